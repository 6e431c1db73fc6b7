"""Image codecs: decoding TF's own JPEG and PNG encodings to TF's pixels (fixtures of
tests/fixtures/tf1/make_image_fixtures.py), round trips of our encodings, GIF and BMP by Pillow, and errors."""
import io
import pathlib

import numpy as np
import pytest

import daskflow as df
import daskflow.image as image
from daskflow.testing import SweepCase, load_module

PIL = pytest.importorskip("PIL.Image")

TESTED_OPS = {"DecodeImage", "DecodeAndCropJpeg", "DecodedImageShape", "EncodeJpeg", "EncodePng",
              "EncodeJpegVariableQuality",
              "ExtractJpegShape"}
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
DATA = np.load(FIXTURES / "image" / "image.npz", allow_pickle=False)
MAKER = load_module(FIXTURES / "make_image_fixtures.py")


def _bytes(name):
    return DATA[f"bytes/{name}"].tobytes()


def _run(t, feed=None):
    with df.Session() as s:
        return s.run(t, feed)


@pytest.mark.parametrize("name", sorted(MAKER.CODEC_CASES))
def test_decodes_tf_encodings_as_tf(name):
    enc, build = MAKER.CODEC_CASES[name]
    g = df.Graph()
    with g.as_default():
        c = df.placeholder(df.string, [])
        got = _run(build(type("tf", (), {"image": image}), c), {c: _bytes(enc)})
    want = DATA[f"result/{name}"]
    assert got.dtype == want.dtype and got.shape == want.shape
    if name in _TF_DEFAULT_COLOUR_JPEG:  # TF's fast IDCT with smooth upsampling: see decode_jpeg
        assert np.abs(got.astype(int) - want).max() <= 4
        assert np.abs(got.astype(int) - want).mean() < 1
    else:
        np.testing.assert_array_equal(got, want)


_TF_DEFAULT_COLOUR_JPEG = {"decode_jpeg", "decode_jpeg_ratio2", "decode_and_crop_jpeg", "decode_image_jpeg"}


def test_adjust_jpeg_quality_as_tf():
    got = _run(image.adjust_jpeg_quality(MAKER.SMOOTH, 40))
    want = DATA["result/adjust_jpeg_quality"]
    # Pillow's libjpeg encodes as TF's does; decoding differs as in decode_jpeg
    assert np.abs(got.astype(int) - want).max() <= 4 and np.abs(got.astype(int) - want).mean() < 1.5
    q = df.placeholder(df.int32, [])
    t = image.adjust_jpeg_quality(MAKER.SMOOTH.astype("float32") / 255, q)
    assert t.shape.as_list() == [21, 26, 3] and t.dtype == df.float32
    np.testing.assert_allclose(_run(t, {q: 40}), got / np.float32(255), atol=1e-6)


def test_round_trips_and_static_shapes():
    x = MAKER.SMOOTH
    png = _run(image.encode_png(x, compression=9))
    np.testing.assert_array_equal(_run(image.decode_png(png)), x)
    wide = (x.astype("uint16") * 257 + 3)
    np.testing.assert_array_equal(_run(image.decode_png(image.encode_png(wide[..., :1]), dtype=df.uint16)),
                                  wide[..., :1])
    rgb16 = _run(image.encode_png(wide))
    np.testing.assert_array_equal(_run(image.decode_png(rgb16)), (wide >> 8).astype("uint8"))  # 8 bits: high bytes
    with pytest.raises(df.errors.UnimplementedError, match="16-bit colour PNGs decode to uint8 only"):
        _run(image.decode_png(rgb16, dtype=df.uint16))
    jpg = _run(image.encode_jpeg(x, quality=95, chroma_downsampling=False))
    assert np.abs(_run(image.decode_jpeg(jpg)).astype(int) - x).max() <= 8
    c = df.placeholder(df.string, [])
    assert image.decode_jpeg(c, channels=3).shape.as_list() == [None, None, 3]
    assert image.decode_png(c).shape.as_list() == [None, None, None]
    assert image.decode_gif(c).shape.as_list() == [None, None, None, 3]
    assert image.decode_image(c).shape.ndims is None
    assert image.decode_and_crop_jpeg(c, [1, 2, 3, 4]).shape.as_list() == [3, 4, None]
    # a decoded image goes on through other ops
    small = image.resize_images(image.decode_png(png, channels=3), [5, 6])
    assert _run(small).shape == (5, 6, 3)


def _pillow_bytes(frames, fmt, **kw):
    buf = io.BytesIO()
    imgs = [PIL.fromarray(f) for f in frames]
    imgs[0].save(buf, fmt, save_all=len(imgs) > 1, append_images=imgs[1:], **kw)
    return buf.getvalue()


def test_gif_and_bmp():
    # GIF frames of few colours survive the palette exactly
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [10, 20, 200]], "uint8")
    rng = np.random.default_rng(0)
    frames = palette[rng.integers(0, 4, (3, 5, 6))]
    gif = _pillow_bytes(list(frames), "GIF")
    np.testing.assert_array_equal(_run(image.decode_gif(gif)), frames)
    np.testing.assert_array_equal(_run(image.decode_image(gif)), frames)
    np.testing.assert_array_equal(_run(image.decode_image(gif, expand_animations=False)), frames[0])
    bmp = _pillow_bytes([frames[1]], "BMP")
    np.testing.assert_array_equal(_run(image.decode_bmp(bmp)), frames[1])
    rgba = _run(image.decode_bmp(bmp, channels=4))
    np.testing.assert_array_equal(rgba[..., :3], frames[1])
    assert (rgba[..., 3] == 255).all()
    np.testing.assert_array_equal(_run(image.decode_image(bmp, dtype=df.float32)), frames[1] / np.float32(255))


def test_webp_as_tf():
    # TF decodes a lossless WebP (RGB, or RGBA) to [1, h, w, c], and refuses channels other than the file's
    x = MAKER.SMOOTH
    rgba = np.concatenate([x, (x[..., :1] // 2 + 7)], -1)
    for arr in (x, rgba):
        webp = _pillow_bytes([arr], "WEBP", lossless=True)
        np.testing.assert_array_equal(_run(image.decode_webp(webp)), arr[None])
        np.testing.assert_array_equal(_run(image.decode_image(webp)), arr[None])
        np.testing.assert_array_equal(_run(image.decode_image(webp, expand_animations=False)), arr)
        with pytest.raises(df.errors.InvalidArgumentError, match="Number of channels requested does not match"):
            _run(image.decode_webp(webp, channels=7 - arr.shape[-1]))


def test_errors():
    png = _run(image.encode_png(MAKER.SMOOTH))
    with pytest.raises(df.errors.InvalidArgumentError, match="Invalid JPEG data"):
        _run(image.decode_jpeg(png))
    with pytest.raises(df.errors.InvalidArgumentError, match="Unknown image file format"):
        _run(image.decode_image(b"not an image", expand_animations=False))
    with pytest.raises(df.errors.InvalidArgumentError, match="Invalid JPEG data or crop window"):
        _run(image.decode_and_crop_jpeg(_bytes("jpeg"), [15, 0, 10, 5]))
    with pytest.raises(df.errors.InvalidArgumentError, match="channels must be 0, 1, 3"):
        image.decode_jpeg(b"", channels=2)
    with pytest.raises(df.errors.InvalidArgumentError, match="contents must be scalar"):
        image.decode_png(df.constant([b"a", b"b"]))
    with pytest.raises(ValueError, match="ratio must be 1, 2, 4, or 8"):
        image.decode_jpeg(b"", ratio=3)
    with pytest.raises(df.errors.InvalidArgumentError, match="image of EncodeJpeg must be uint8"):
        image.encode_jpeg(np.zeros((2, 2, 3), "float32"))
    with pytest.raises(df.errors.InvalidArgumentError, match="image must have 1 or 3 channels"):
        image.encode_jpeg(np.zeros((2, 2, 4), "uint8"))
    with pytest.raises(ValueError, match="`min_jpeg_quality` must be less than `max_jpeg_quality`."):
        image.random_jpeg_quality(MAKER.SMOOTH, 50, 40)
    with pytest.raises(ValueError, match="jpeg_quality must be in \\[0,100\\]"):
        image.random_jpeg_quality(MAKER.SMOOTH, 50, 140)


def test_random_jpeg_quality_is_a_quality_in_range():
    x = MAKER.SMOOTH
    got = _run(image.random_jpeg_quality(x, 30, 33, seed=4))
    options = [_run(image.adjust_jpeg_quality(x, q)) for q in (30, 31, 32)]
    assert any(np.array_equal(got, o) for o in options)


def _codecs(x, q):
    jpeg, png = image.encode_jpeg(x, quality=90), image.encode_png(x)
    return [image.decode_png(png), image.decode_image(png, dtype=df.float32, expand_animations=False),
            image.decode_image(jpeg, channels=3), image.decode_jpeg(jpeg, channels=1, ratio=2),
            image.decode_and_crop_jpeg(jpeg, [1, 0, 2, 3], channels=3), image.extract_jpeg_shape(jpeg),
            image.adjust_jpeg_quality(x, q), df.strings.length(image.encode_png(df.cast(x, df.uint16)))]


SWEEP_CASES = [
    SweepCase(_codecs, np.random.default_rng(0).integers(0, 256, (4, 6, 3)).astype(np.uint8),
              np.array(75, dtype=np.int32), name="image_codecs"),
    SweepCase(lambda s, q: [image.decode_png(image.encode_png(df.io.decode_raw(s, df.uint8))),  # channels from
                            image.adjust_jpeg_quality(df.io.decode_raw(s, df.uint8), q)],  # the data, when run
              np.array([[b"abc", b"def", b"ghi"], [b"\x00\x7f\xff", b"xyz", b"   "]], dtype=object),
              np.array(60, dtype=np.int32), name="image_from_raw_bytes"),
]
