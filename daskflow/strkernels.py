"""Per-chunk kernels of string tensors, and TF's text forms of tensor values.

String chunks are numpy object arrays of ``bytes``: object arrays exist only in numpy, so these kernels are
numpy's. The text forms follow TF's kernels: ``as_string`` is a printf format per element, and ``print``,
``Print`` and ``strings.format`` write TF's summaries (``Tensor::SummarizeValue``): at most ``summarize``
elements at each end of every dimension, floats with the fewest of 6 (9) or 15 (17) significant digits that
read back as the same float32 (float64), strings quoted and C-escaped.
"""
import math
import sys
import threading

import numpy as np

__all__ = ["as_array", "join", "length", "as_string", "summarize", "summarize_v1", "format_text", "print_text",
           "print_v1", "after", "FirstN"]


def _host(x):
    return x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else np.asarray(x)  # cupy: to numpy


def as_array(b):
    """A 0-d chunk as an array: numpy's integer indexing of an object array gives the element itself."""
    return b if isinstance(b, np.ndarray) else np.array(b, dtype=object)


def _objects(r):
    return np.asarray(r, dtype=object)  # frompyfunc gives a bare element for 0-d inputs


def join(*xs, separator):
    """Elementwise ``separator.join`` of broadcasting string chunks."""
    return _objects(np.frompyfunc(lambda *a: separator.join(a), len(xs), 1)(*xs))


def _utf8_len(b):
    return sum(1 for c in b if c & 0xC0 != 0x80)  # every byte but UTF-8 continuation bytes starts a character


def length(x, unit):
    """Length of each string of ``x`` in bytes (``unit="BYTE"``) or UTF-8 characters (``"UTF8_CHAR"``)."""
    f = len if unit == "BYTE" else _utf8_len
    return np.asarray(np.frompyfunc(f, 1, 1)(x), dtype=object).astype(np.int32)


def _printf(fmt, v):
    """C's printf of one float or int: as Python's ``%``, but inf and nan are never padded with zeros and a NaN
    whose sign bit is set prints "-nan"."""
    if isinstance(v, float) and not math.isfinite(v):
        flags = fmt[1:len(fmt) - len(fmt[1:].lstrip("-+ #0"))]
        fmt = "%" + flags.replace("0", "") + fmt[1 + len(flags):]
    s = fmt % v
    if isinstance(v, float) and math.isnan(v) and math.copysign(1, v) < 0:
        i = s.index("nan")
        if i and s[i - 1] in " +":  # the sign's place, or padding: the width stays
            return s[:i - 1] + "-" + s[i:]
        return s[:i] + "-" + (s[i:-1] if s.endswith(" ") else s[i:])
    return s


def _flushed(v, tiny):
    """float ``v``, a subnormal (below ``tiny``) as zero: TF's kernels run with denormals flushed."""
    v = float(v)
    return math.copysign(0.0, v) if 0 < abs(v) < tiny else v


def _as_text(v, fmt, kind, tiny):
    if kind == "b":
        return b"true" if v else b"false"
    if kind == "O":
        return fmt.encode() % v
    if kind == "c":
        return f"({_printf(fmt, _flushed(v.real, tiny))},{_printf(fmt, _flushed(v.imag, tiny))})".encode()
    return _printf(fmt, _flushed(v, tiny) if kind == "f" else int(v)).encode()


def as_string(x, fmt):
    """Each element of ``x`` formatted with printf format ``fmt`` (TF's ``as_string``): complex numbers as
    ``(real,imag)``, each part with ``fmt``; bools as true/false."""
    x = _host(x)
    kind = x.dtype.kind
    tiny = float(np.finfo(x.dtype).tiny) if kind in "fc" and x.dtype != np.float16 else 0.0
    return _objects(np.frompyfunc(lambda v: _as_text(v, fmt, kind, tiny), 1, 1)(x))


# -- TF's summaries of tensor values

def _cescape(b):
    """TF's ``Utf8SafeCEscape``: C escapes for quotes, backslash and control bytes; bytes >= 0x80 kept."""
    out = bytearray()
    for c in b:
        e = _ESCAPES.get(c)
        if e is not None:
            out += e
        elif c < 0x20 or c == 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return bytes(out)


_ESCAPES = {ord("\n"): b"\\n", ord("\r"): b"\\r", ord("\t"): b"\\t", ord('"'): b'\\"', ord("'"): b"\\'",
            ord("\\"): b"\\\\"}


def _float_text(v, digits, extra, ftype):
    """TF's ``FloatToBuffer``/``DoubleToBuffer``: %g with ``digits`` significant digits, or ``digits + extra``
    when that does not read back as the same value. Subnormals print as zero (TF's kernels flush them)."""
    v = _flushed(v, float(np.finfo(ftype).tiny))
    if math.isnan(v):
        return "-nan" if math.copysign(1, v) < 0 else "nan"
    s = "%.*g" % (digits, v)
    return s if ftype(float(s)) == ftype(v) else "%.*g" % (digits + extra, v)


def _element_text(dtype, quoted):
    kind = dtype.kind
    if kind == "O":
        return (lambda v: b'"' + _cescape(v) + b'"') if quoted else _cescape
    if kind == "b":
        return lambda v: b"1" if v else b"0"
    if kind in "iu":
        return lambda v: b"%d" % int(v)
    if dtype == np.float64:
        return lambda v: _float_text(v, 15, 2, np.float64).encode()
    return lambda v: _float_text(v, 6, 3, np.float32).encode()  # float16 prints as float32


def _spacing(d, ndim):
    return b" " if d == ndim - 1 else b"\n" * (ndim - d - 1) + b" " * (d + 1)


def summarize(a, shape, limit):
    """TF's ``SummarizeValue(limit, print_v2=True)`` of an array of ``shape``, as bytes. ``a`` holds the elements
    printed: along each dim longer than twice the number printed at each end, only those ends."""
    shape = tuple(a.shape) if shape is None else tuple(shape)
    num = math.prod(shape)
    n = num if limit < 0 else min(limit, num)
    if a.dtype.kind == "c":  # TF prints no complex values: "?" for each of the first n
        inner = b" ".join([b"?"] * n) + (b"..." if num > n else b"")
        return b"[" + inner + b"]" if shape else inner
    elem = _element_text(a.dtype, True)
    if not shape:
        return (elem(a[()]) if n else b"") + (b"..." if num > n else b"")
    out = []

    def dim(d, idx):
        if d == len(shape):
            out.append(elem(a[idx]))
            return
        count, off = shape[d], shape[d] - a.shape[d]
        out.append(b"[")
        for i in range(min(n, count)):
            if i:
                out.append(_spacing(d, len(shape)))
            dim(d + 1, idx + (i,))
        if count > 2 * n:
            out.extend([_spacing(d, len(shape)), b"..."])
        for i in range(max(n, count - n), count):
            out.append(_spacing(d, len(shape)))
            dim(d + 1, idx + (i - off,))
        out.append(b"]")
    dim(0, ())
    return b"".join(out)


def summarize_v1(a, shape, limit):
    """TF's ``SummarizeValue(limit)`` (TF1's ``Print``), as bytes: the first ``limit`` elements in row-major order,
    nested in brackets, then "..." when there are more. ``a`` holds at least those first elements."""
    shape = tuple(a.shape) if shape is None else tuple(shape)
    num = math.prod(shape)
    n = num if limit < 0 else min(limit, num)
    flat = a.reshape(-1)
    if a.dtype.kind == "c":
        return b" ".join([b"?"] * n) + (b"..." if num > n else b"")
    elem = _element_text(a.dtype, False)
    if not shape:
        return (elem(flat[0]) if n else b"") + (b"..." if num > n else b"")
    out, k = [], [0]

    def dim(d):
        if k[0] >= n:
            return
        if d == len(shape) - 1:
            for i in range(shape[d]):
                if k[0] >= n:
                    if d:
                        out.append(b"...")
                    return
                if i:
                    out.append(b" ")
                out.append(elem(flat[k[0]]))
                k[0] += 1
            return
        for _ in range(shape[d]):
            opened = k[0] < n
            if opened:
                out.append(b"[")
            dim(d + 1)
            if opened:
                out.append(b"]")
    dim(0)
    return b"".join(out) + (b"..." if num > n else b"")


def format_text(*blocks, pieces, shapes, summarize_):
    """``pieces[0] + value_0 + pieces[1] + ...``: TF's ``StringFormat`` of whole-tensor ``blocks`` (each a summary
    input, of the original ``shapes``), as a 0-d string array."""
    out = [pieces[0].encode()]
    for b, shape, piece in zip(blocks, shapes, pieces[1:]):
        out.extend([summarize(_host(b), shape, summarize_), piece.encode()])
    return np.array(b"".join(out), dtype=object)


def _write(stream, text):
    if stream.startswith("file://"):
        with open(stream[len("file://"):], "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
        return
    out = getattr(sys, stream)  # looked up when the op runs: sys.stderr may have been replaced since
    out.write(text)
    out.flush()


def print_text(text, stream, end):
    """Write 0-d string ``text`` and ``end`` to ``stream`` ("stderr", "stdout" or "file://path")."""
    _write(stream, np.asarray(text)[()].decode("utf-8", "backslashreplace") + end)
    return as_array(text)


class FirstN:
    """How many more times an op may print (TF1's ``Print(first_n=...)``): one per op and Session."""

    def __init__(self, n):
        self.left = n
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    def __getstate__(self):  # sent to another process, it counts there on its own
        return {"left": self.left}

    def __setstate__(self, state):
        self.__init__(state["left"])


def print_v1(*blocks, message, shapes, summarize_, first_n=None):
    """TF1's ``Print``: ``message`` then ``[summary]`` of each of ``blocks`` (of the original ``shapes``), on
    stderr, unless ``first_n`` (a ``FirstN``) has run out. Returns a token for the op's output to wait on."""
    if first_n is None or first_n.take():
        parts = [b"[" + summarize_v1(_host(b), s, summarize_) + b"]" for b, s in zip(blocks, shapes)]
        _write("stderr", message + b"".join(parts).decode("utf-8", "backslashreplace") + "\n")
    return np.zeros((), dtype=bool)


def after(block, token):
    """``block`` itself, once the task giving ``token`` has run."""
    return block
