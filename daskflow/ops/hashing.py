"""TF's hashes of strings and of tensors' bytes: ``fingerprint``, ``string_to_hash_bucket`` (legacy, fast and strong)
and ``train.sdca_fprint``; the per-element hashes ``sparse.cross_hashed`` combines are here too.

The values equal TF's bit for bit, so a model's hash buckets are the same in both. Which hash each op uses:

- ``fingerprint``, ``string_to_hash_bucket_fast``, ``sparse.cross_hashed``: FarmHash ``Fingerprint64``;
  ``sdca_fprint``: FarmHash ``Fingerprint128``. Both come from the optional ``cityhash`` package (module
  ``farmhash``), installed with ``pip install daskflow[hashing]``.
- ``string_to_hash_bucket``: TF's legacy ``Hash64``, MurmurHash64A with seed ``0xDECAFCAFFE`` (written here).
- ``string_to_hash_bucket_strong``: SipHash-2-4 keyed by two 64-bit words (written here).
- ``sparse.cross_hashed`` chains the features' hashes with ``FingerprintCat64`` (written here).

The kernels run on the host (string chunks are numpy object arrays); hashes are computed as Python ints modulo 2**64.
"""
import numpy as np

from .. import dtypes, errors
from ..graph import TensorShape
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, defop, fail
from .strings_map import check_strings, meta, whole

__all__ = ["fingerprint", "string_to_hash_bucket", "string_to_hash_bucket_fast", "string_to_hash_bucket_strong"]

NAMESPACES = {"strings": ["to_hash_bucket", "to_hash_bucket_fast", "to_hash_bucket_strong"]}

MASK = (1 << 64) - 1
MUL = 0xC6A4A7935BD1E995  # the multiplier of MurmurHash64A, which Hash64 and FingerprintCat64 share
HASH64_SEED = 0xDECAFCAFFE


# -- the hashes, on bytes, as Python ints in [0, 2**64)

def farmhash(what):
    """The ``farmhash`` module of the ``cityhash`` package, or a daskflow error naming ``what`` needs it."""
    try:
        import farmhash as fh
    except ImportError:
        raise errors.UnimplementedError(
            None, None, f"{what} needs FarmHash, from the optional 'cityhash' package: pip install "
                        f"daskflow[hashing] (or pip install cityhash)") from None
    return fh


def fingerprint64(b):
    """FarmHash Fingerprint64 of bytes ``b`` (TF's ``Fingerprint64``)."""
    return farmhash("Fingerprint64").Fingerprint64(b)


def fingerprint128(b):
    """FarmHash Fingerprint128 of bytes ``b`` as TF's ``(low64, high64)``."""
    v = farmhash("Fingerprint128").Fingerprint128(b)
    return v >> 64, v & MASK  # the package packs TF's low word above its high word


def _shift_mix(v):
    return v ^ (v >> 47)


def hash64(b, seed=HASH64_SEED):
    """TF's legacy ``Hash64``: MurmurHash64A of ``b`` (8-byte little-endian words, then the tail bytes)."""
    n = len(b)
    h = (seed ^ (n * MUL)) & MASK
    end = n - n % 8
    for i in range(0, end, 8):
        k = int.from_bytes(b[i:i + 8], "little") * MUL & MASK
        h = (h ^ (_shift_mix(k) * MUL & MASK)) * MUL & MASK
    if end < n:
        h = (h ^ int.from_bytes(b[end:], "little")) * MUL & MASK
    return _shift_mix(_shift_mix(h) * MUL & MASK)


def fingerprint_cat64(fp1, fp2):
    """TF's ``FingerprintCat64``: combines two 64-bit fingerprints (not commutative)."""
    r = fp1 ^ MUL
    r ^= _shift_mix(fp2 * MUL & MASK) * MUL & MASK
    r = r * MUL & MASK
    return _shift_mix(_shift_mix(r) * MUL & MASK)


def _rotl(v, s):
    return ((v << s) | (v >> (64 - s))) & MASK


def _sip_rounds(v, n):
    v0, v1, v2, v3 = v
    for _ in range(n):
        v0 = (v0 + v1) & MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash24(k0, k1, b):
    """SipHash-2-4 of bytes ``b`` under the 128-bit key ``(k0, k1)`` (two 64-bit words), as TF's
    ``StrongKeyedHash``."""
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    n = len(b)
    end = n - n % 8
    for i in range(0, end + 8, 8):
        if i < end:
            m = int.from_bytes(b[i:i + 8], "little")
        else:  # the last word: the tail bytes and the length's low byte at the top
            m = int.from_bytes(b[end:], "little") | ((n & 0xFF) << 56)
        v[3] ^= m
        v = _sip_rounds(v, 2)
        v[0] ^= m
    v[2] ^= 0xFF
    v0, v1, v2, v3 = _sip_rounds(v, 4)
    return v0 ^ v1 ^ v2 ^ v3


# -- kernels

def _each(fn, x, dtype):
    flat = [fn(v) for v in np.asarray(x, dtype=object).ravel()]
    return np.array(flat, dtype=np.uint64).astype(dtype).reshape(np.shape(x))


def _bucket_kernel(x, kind, num_buckets, key):
    if kind == "fast":
        fp = farmhash("StringToHashBucketFast").Fingerprint64
        return _each(lambda s: fp(s) % num_buckets, x, np.int64)
    if kind == "strong":
        k0, k1 = (k & MASK for k in key)
        return _each(lambda s: siphash24(k0, k1, s) % num_buckets, x, np.int64)
    return _each(lambda s: hash64(s) % num_buckets, x, np.int64)


def _row_bytes(block):
    """The bytes each row (along axis 0) of a numeric block holds in memory, little-endian, as TF's kernel reads."""
    a = np.asarray(block.get() if hasattr(block, "get") else block)
    a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"), copy=False)).reshape(a.shape[0], -1 if a.size else 0)
    return [a[i].tobytes() for i in range(a.shape[0])]


def _fingerprint_kernel(block):
    fp = farmhash("Fingerprint").Fingerprint64
    n = block.shape[0]
    if block.dtype == object:
        flat = np.asarray(block, dtype=object).reshape(n, -1 if block.size else 0)
        if flat.shape[1] > 1:  # several strings a row: the fingerprint of their fingerprints' bytes
            rows = [b"".join(fp(s).to_bytes(8, "little") for s in row) for row in flat]
        else:
            rows = [row[0] if row.size else b"" for row in flat]
    else:
        rows = _row_bytes(block)
    out = np.array([fp(r) for r in rows], dtype="<u8").reshape(n, 1)
    return out.view(np.uint8).reshape(n, 8)


def sdca_fprint_pair(b):
    """TF's SdcaFprint of bytes ``b``: Fingerprint128's (low64, high64), low64 never 0 or 1 (TF keeps those for
    sentinels: 0 and 1 become 2**64 - 2 and 2**64 - 1)."""
    low, high = fingerprint128(b)
    return (low if low >= 2 else low + MASK - 1), high


def _fprint128_kernel(x):
    out = np.array([sdca_fprint_pair(s) for s in np.asarray(x, dtype=object)], dtype=np.uint64).reshape(-1, 2)
    return out.view(np.int64)


# -- op types

def _bucket_infer(op):
    check_strings(op, op.inputs)
    return [(op.inputs[0].shape, dtypes.int64)]


def _bucket_lower(op, x):
    return x.map_blocks(_bucket_kernel, kind=op.attrs["kind"], num_buckets=op.attrs["num_buckets"],
                        key=op.attrs.get("key"), dtype=np.int64, meta=meta(np.int64, x.ndim))


defop("StringToHashBucket", _bucket_infer, _bucket_lower, grad=NOT_DIFFERENTIABLE, strings=True)
defop("StringToHashBucketFast", _bucket_infer, _bucket_lower, grad=NOT_DIFFERENTIABLE, strings=True)
defop("StringToHashBucketStrong", _bucket_infer, _bucket_lower, grad=NOT_DIFFERENTIABLE, strings=True)


def _fingerprint_infer(op):
    x = op.inputs[0]
    if x.shape.ndims == 0:
        fail(op, "Shape must be at least rank 1 but is rank 0", ValueError)
    if not (dtypes.is_string(x.dtype) or x.dtype.kind in "biufc"):
        fail(op, f"Data type not supported: {dtypes.name(x.dtype)}")
    return [(TensorShape([x.shape[0] if x.shape.ndims else None, 8]), dtypes.uint8)]


def _fingerprint_lower(op, x):
    x = whole(x, range(1, x.ndim))
    return x.map_blocks(_fingerprint_kernel, chunks=(x.chunks[0], (8,)), drop_axis=list(range(1, x.ndim)),
                        new_axis=[1], dtype=np.uint8, meta=meta(np.uint8, 2))


defop("Fingerprint", _fingerprint_infer, _fingerprint_lower, grad=NOT_DIFFERENTIABLE, strings=True)


def _fprint_infer(op):
    x = op.inputs[0]
    check_strings(op, [x])
    if x.shape.ndims is not None and x.shape.ndims != 1:
        fail(op, f"Shape must be rank 1 but is rank {x.shape.ndims}", ValueError)
    return [(TensorShape([x.shape[0] if x.shape.ndims else None, 2]), dtypes.int64)]


def _fprint_lower(op, x):
    return x.map_blocks(_fprint128_kernel, chunks=(x.chunks[0], (2,)), new_axis=[1], dtype=np.int64,
                        meta=meta(np.int64, 2))


defop("SdcaFprint", _fprint_infer, _fprint_lower, grad=NOT_DIFFERENTIABLE, strings=True)


# -- public functions

def _strings_input(input, type_name):
    x = convert_to_tensor(input, dtype_hint=dtypes.string)
    if not dtypes.is_string(x.dtype) and x is input:
        raise TypeError(f"Input 'input' of '{type_name}' Op has type {dtypes.name(x.dtype)} that does not match "
                        f"expected type of string.")
    if not dtypes.is_string(x.dtype):
        raise TypeError(f"Expected string passed to parameter 'input' of op '{type_name}', got {input!r} of type "
                        f"'{type(input).__name__}' instead.")
    return x


def _bucket(type_name, kind, input, num_buckets, name, key=None):
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, (int, np.integer)):
        raise TypeError(f"Expected int for argument 'num_buckets' not {num_buckets!r}.")
    if num_buckets < 1:
        raise ValueError(f"Attr 'num_buckets' of '{type_name}' Op passed {num_buckets} less than minimum 1.")
    attrs = {"kind": kind, "num_buckets": int(num_buckets)}
    if key is not None:
        attrs["key"] = key
    if kind == "fast":
        farmhash(type_name)
    return apply1(type_name, [_strings_input(input, type_name)], attrs, name=name or type_name)


def string_to_hash_bucket_fast(input, num_buckets, name=None):
    """Hash each string of ``input`` into one of ``num_buckets`` buckets: FarmHash ``Fingerprint64`` modulo
    ``num_buckets``, as int64 of ``input``'s shape (TF's ``string_to_hash_bucket_fast``). Needs the ``cityhash``
    package (``pip install daskflow[hashing]``).

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.ops.hashing import string_to_hash_bucket_fast
    >>> df.Session().run(string_to_hash_bucket_fast(["hello", ""], 1000))
    array([296, 263])
    """
    return _bucket("StringToHashBucketFast", "fast", input, num_buckets, name)


def string_to_hash_bucket(string_tensor=None, num_buckets=None, name=None, input=None):
    """Hash each string into one of ``num_buckets`` buckets with TF's legacy ``Hash64`` (MurmurHash64A), as int64
    (TF1's ``string_to_hash_bucket``; ``input`` is the older name of ``string_tensor``). Prefer
    ``string_to_hash_bucket_fast``, which TF recommends for new code.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.ops.hashing import string_to_hash_bucket
    >>> df.Session().run(string_to_hash_bucket(["hello", ""], 1000))
    array([938, 899])
    """
    if string_tensor is not None and input is not None:
        raise ValueError("Cannot specify both 'string_tensor' and 'input'.")
    string_tensor = input if string_tensor is None else string_tensor
    if string_tensor is None:
        raise TypeError("string_to_hash_bucket() missing required argument: 'string_tensor'")
    if num_buckets is None:
        raise TypeError("string_to_hash_bucket() missing required argument: 'num_buckets'")
    return _bucket("StringToHashBucket", "legacy", string_tensor, num_buckets, name)


def string_to_hash_bucket_strong(input, num_buckets, key, name=None):
    """Hash each string into one of ``num_buckets`` buckets with SipHash-2-4 keyed by ``key`` (two ints, the 128-bit
    key's two 64-bit words), as int64 (TF's ``string_to_hash_bucket_strong``): slower than the fast hash, but the
    buckets cannot be steered by someone who does not know the key.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.ops.hashing import string_to_hash_bucket_strong
    >>> df.Session().run(string_to_hash_bucket_strong(["hello", ""], 1000, [1, 2]))
    array([622, 435])
    """
    if isinstance(key, (str, bytes)) or not hasattr(key, "__len__"):
        raise TypeError(f"Expected list for 'key' argument to 'string_to_hash_bucket_strong' Op, not {key!r}.")
    key = [int(k) for k in key]
    if len(key) != 2:
        raise errors.InvalidArgumentError(None, None, "Key must have 2 elements")
    if any(not -(1 << 63) <= k < (1 << 63) for k in key):
        raise ValueError(f"Value out of range: {key}")
    return _bucket("StringToHashBucketStrong", "strong", input, num_buckets, name, key=tuple(key))


to_hash_bucket = string_to_hash_bucket
to_hash_bucket_fast = string_to_hash_bucket_fast
to_hash_bucket_strong = string_to_hash_bucket_strong


def fingerprint(data, method="farmhash64", name=None):
    """A fingerprint of each slice ``data[i]``: 8 bytes (uint8 ``[data.shape[0], 8]``) of FarmHash ``Fingerprint64``,
    little-endian (TF's ``fingerprint``). A numeric slice is fingerprinted through its bytes in memory
    (little-endian); a string slice through its one string, or, with several strings, through the concatenated
    fingerprints of its strings. Needs the ``cityhash`` package (``pip install daskflow[hashing]``).

    Parameters
    ----------
    data : Tensor
        Of rank at least 1, of a number, bool or string dtype.
    method : str
        Only "farmhash64".
    name : str, optional

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.ops.hashing import fingerprint
    >>> df.Session().run(fingerprint(["hello"]))
    array([[232,  12,  56,  49, 169, 229, 139, 180]], dtype=uint8)
    """
    if method != "farmhash64":
        raise ValueError(f"Unsupported method: {method}")
    farmhash("Fingerprint")
    return apply1("Fingerprint", [data], {"method": method}, name=name or "Fingerprint")


def sdca_fprint(input, name=None):
    """FarmHash ``Fingerprint128`` of each string of the vector ``input``, as int64 ``[N, 2]`` (its low and high
    64-bit words, a low word of 0 or 1 moved to 2**64 - 2 or 2**64 - 1: TF's ``train.sdca_fprint``), compact ids
    of examples for TF's SDCA optimizer. Needs the ``cityhash``
    package (``pip install daskflow[hashing]``)."""
    farmhash("SdcaFprint")
    return apply1("SdcaFprint", [_strings_input(input, "SdcaFprint")], {}, name=name or "SdcaFprint")
