"""Image quality metrics (PSNR, SSIM, MS-SSIM) and filters (total variation, image gradients, Sobel edges), as
TF1's ``tf.image``; composites of math and convolution ops, so their gradients come from those."""
import numpy as np

from ..graph import name_scope
from ..ops.registry import convert_to_tensor
from .color import convert_image_dtype

__all__ = ["psnr", "ssim", "ssim_multiscale", "total_variation", "image_gradients", "sobel_edges"]

_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _df():
    import daskflow as df
    return df


def _pair(a, b, na="a", nb="b"):
    a, b = convert_to_tensor(a, name=na), convert_to_tensor(b, name=nb)
    for t in (a, b):
        if t.shape.ndims is not None and t.shape.ndims < 3:
            raise ValueError(f"Shape {t.shape} must have rank at least 3")
    s1, s2 = a.shape, b.shape
    if s1.ndims is not None and s2.ndims is not None:
        from ..graph import TensorShape
        if not TensorShape(s1[-3:]).is_compatible_with(TensorShape(s2[-3:])):
            raise ValueError(f"Shapes {TensorShape(s1[-3:])} and {TensorShape(s2[-3:])} are incompatible")
        for d1, d2 in zip(reversed(list(s1)[:-3]), reversed(list(s2)[:-3])):
            if not (d1 == 1 or d2 == 1 or d1 is None or d2 is None or d1 == d2):
                raise ValueError(f"Two images are not compatible: {s1} and {s2}")
    return a, b


def _max_val(max_val, dtype):
    df = _df()
    return convert_image_dtype(df.cast(max_val, dtype), "float32")


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio of ``a`` against ``b`` per image, in dB: ``20 log10(max_val) - 10 log10(mse)``
    over the last three axes (pixel values converted to float as ``convert_image_dtype``)."""
    df = _df()
    with name_scope(name, "PSNR", [a, b]):
        a, b = _pair(a, b)
        mv = _max_val(max_val, a.dtype)
        a, b = convert_image_dtype(a, "float32"), convert_image_dtype(b, "float32")
        mse = df.reduce_mean(df.math.squared_difference(a, b), [-3, -2, -1])
        return df.subtract(20 * df.log(mv) / df.log(10.0), np.float32(10 / np.log(10)) * df.log(mse), name="psnr")


def _gauss(size, sigma):
    c = np.arange(size, dtype=np.float32) - np.float32(size - 1) / np.float32(2)
    g = np.square(c) * np.float32(-0.5 / np.float32(sigma) ** 2)
    g = (g[None, :] + g[:, None]).ravel().astype(np.float64)
    e = np.exp(g - g.max())
    return (e / e.sum()).astype(np.float32).reshape(size, size, 1, 1)


def _reducer(kernel, channels):
    df = _df()
    k = df.constant(np.tile(kernel, (1, 1, channels, 1)))

    def reduce(x):
        n = x.shape.ndims
        if n == 4:
            return df.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "VALID")
        shape = df.shape(x)
        flat = df.reshape(x, df.concat([[-1], shape[-3:]], 0))
        y = df.nn.depthwise_conv2d(flat, k, [1, 1, 1, 1], "VALID")
        return df.reshape(y, df.concat([shape[:-3], df.shape(y)[1:]], 0))
    return reduce


def _ssim_parts(x, y, max_val, filter_size, filter_sigma, k1, k2, index_map=False):
    df = _df()
    size = int(filter_size)
    for t in (x, y):
        hw = [d for d in list(t.shape)[-3:-1] if d is not None] if t.shape.ndims else []
        if any(d < size for d in hw):
            raise ValueError(f"images of shape {t.shape} are smaller than the filter ({size})")
    channels = x.shape[-1] if x.shape.ndims is not None else None
    if channels is None:
        raise ValueError("ssim needs the number of channels of the images (their last dim) to be known")
    reduce = _reducer(_gauss(size, float(filter_sigma)), channels)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mean0, mean1 = reduce(x), reduce(y)
    num0 = mean0 * mean1 * 2.0
    den0 = df.square(mean0) + df.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reduce(x * y) * 2.0
    den1 = reduce(df.square(x) + df.square(y))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    if index_map:
        return luminance * cs, cs
    return df.reduce_mean(luminance * cs, [-3, -2]), df.reduce_mean(cs, [-3, -2])


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, return_index_map=False):
    """Structural similarity of ``img1`` and ``img2`` per image (mean over channels), with a Gaussian window of
    ``filter_size`` and ``filter_sigma`` (Wang et al., 2004), as TF: windows lie wholly inside the image;
    ``return_index_map`` gives the per-window values instead of their mean."""
    df = _df()
    with name_scope(None, "SSIM", [img1, img2]):
        img1, img2 = _pair(img1, img2, "img1", "img2")
        mv = _max_val(max_val, img1.dtype)
        img1, img2 = convert_image_dtype(img1, "float32"), convert_image_dtype(img2, "float32")
        val, _ = _ssim_parts(img1, img2, mv, filter_size, filter_sigma, k1, k2, return_index_map)
        return df.reduce_mean(val, [-1])


def _halve(x):
    """2x2 average pooling of NHWC ``x``, its odd height or width first padded by mirroring its last row or
    column (TF's SYMMETRIC padding)."""
    df = _df()
    h, w = x.shape[1], x.shape[2]
    if h is None or w is None:
        raise ValueError("ssim_multiscale needs the images' height and width to be known")
    if h % 2 or w % 2:
        x = df.pad(x, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]], mode="SYMMETRIC")
    return df.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")


def ssim_multiscale(img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11, filter_sigma=1.5, k1=0.01,
                    k2=0.03):
    """Multi-scale SSIM (Wang et al., 2003): the contrast-structure terms of each scale (halving the images each
    time) and the SSIM of the last, raised to ``power_factors`` and multiplied; mean over channels."""
    df = _df()
    with name_scope(None, "MS-SSIM", [img1, img2]):
        img1, img2 = _pair(img1, img2, "img1", "img2")
        mv = _max_val(max_val, img1.dtype)
        imgs = [convert_image_dtype(img1, "float32"), convert_image_dtype(img2, "float32")]
        heads = None
        if imgs[0].shape.ndims != 4:
            heads = df.shape(imgs[0])[:-3]
            imgs = [df.reshape(x, df.concat([[-1], df.shape(x)[-3:]], 0)) for x in imgs]
        mcs = []
        for k in range(len(power_factors)):
            with name_scope(None, f"Scale{k}"):
                if k > 0:
                    imgs = [_halve(x) for x in imgs]
                val, cs = _ssim_parts(imgs[0], imgs[1], mv, filter_size, filter_sigma, k1, k2)
                mcs.append(df.nn.relu(cs))
        mcs.pop()  # the last scale gives its SSIM instead
        stacked = df.stack(mcs + [df.nn.relu(val)], axis=-1)
        ms = df.reduce_prod(df.pow(stacked, df.constant(power_factors, dtype=stacked.dtype)), [-1])
        out = df.reduce_mean(ms, [-1])
        return out if heads is None else df.reshape(out, heads)


def total_variation(images, name=None):
    """Sum of the absolute differences of neighbouring pixels (vertical and horizontal) per image."""
    df = _df()
    with name_scope(name, "total_variation"):
        images = convert_to_tensor(images, name="images")
        n = images.shape.ndims
        if n == 3:
            d1, d2, axis = images[1:, :, :] - images[:-1, :, :], images[:, 1:, :] - images[:, :-1, :], None
        elif n == 4:
            d1, d2 = images[:, 1:, :, :] - images[:, :-1, :, :], images[:, :, 1:, :] - images[:, :, :-1, :]
            axis = [1, 2, 3]
        else:
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        return df.reduce_sum(df.abs(d1), axis=axis) + df.reduce_sum(df.abs(d2), axis=axis)


def image_gradients(image):
    """``(dy, dx)``: forward differences of NHWC ``image`` along height and width, zero in the last row
    (column)."""
    df = _df()
    image = convert_to_tensor(image, name="image")
    if image.shape.ndims != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], not {image.shape}.")
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    dy = df.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = df.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


_SOBEL = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])


def sobel_edges(image):
    """The vertical and horizontal Sobel responses of NHWC ``image`` (edges mirrored), stacked on a new last axis
    of 2: shape ``[batch, h, w, d, 2]``."""
    df = _df()
    image = convert_to_tensor(image, name="image")
    if image.shape.ndims != 4:
        raise ValueError(f"sobel_edges expects a 4D tensor [batch_size, h, w, d], not {image.shape}.")
    channels = image.shape[-1]
    if channels is None:
        raise ValueError("sobel_edges needs the number of channels of the image (its last dim) to be known")
    k = np.tile(np.expand_dims(np.transpose(_SOBEL, (1, 2, 0)), -2), (1, 1, channels, 1))
    padded = df.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    out = df.nn.depthwise_conv2d(padded, df.constant(k, dtype=image.dtype), [1, 1, 1, 1], "VALID")
    return df.reshape(out, df.concat([df.shape(image), [2]], 0))
