"""String ops (join, length, as_string, format) and printing (TF2's ``print``, TF1's ``Print``).

String tensors hold bytes in numpy object arrays (``df.string``); their kernels are in ``strkernels``. Printing
happens in a dask task, when the op runs: ``print`` builds a ``PrintV2`` op that runs whenever it is reached (a
fetch or a control input), ``Print`` an identity of its input that prints when that value is computed.
"""
import math
import sys

import dask.array as da
import numpy as np
from dask.base import tokenize

from .. import dtypes, strkernels
from ..graph import Tensor, TensorShape
from ..lowering import current
from .hostvalue import known_dims
from .registry import NOT_DIFFERENTIABLE, apply, apply1, convert_to_tensor, fail, register

__all__ = ["as_string", "string_join", "print", "Print"]

_STDERR, _STDOUT = sys.stderr, sys.stdout  # print's defaults, whatever sys.stderr is when it is called


def _check_strings(op, tensors, what):
    bad = [t for t in tensors if not dtypes.is_string(t.dtype)]
    if bad:
        fail(op, f"{what} of {op.type} must be strings, got '{bad[0].name}' of dtype {dtypes.name(bad[0].dtype)}")


def _meta(dtype, ndim):
    return np.empty((0,) * ndim, dtype=dtype)  # string chunks, and print tokens, are numpy's whatever the inputs


# -- join, length

@register("StringJoin")
class StringJoin:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_strings(op, op.inputs, "inputs")
        shape = None  # the inputs that are not scalars have one shape (scalars go with every element)
        for t in op.inputs:
            if t.shape.ndims == 0:
                continue
            if shape is not None and not shape.is_compatible_with(t.shape):
                fail(op, f"Input shapes do not match: {shape} vs. {t.shape}")
            shape = t.shape if shape is None else shape.merge_with(t.shape)
        return [(TensorShape(()) if shape is None else shape, dtypes.string)]

    def lower(op, *xs):
        full = [x for x in xs if x.ndim]
        shapes = list(dict.fromkeys(known_dims(x.shape) for x in full))
        if len(shapes) > 1 and not any(None in s for s in shapes):
            fail(op, "Input shapes do not match: " + " vs. ".join(str(list(s)) for s in shapes))
        ind = tuple(range(full[0].ndim if full else 0))
        args = [a for x in xs for a in (x, ind if x.ndim else ())]
        return da.blockwise(strkernels.join, ind, *args, separator=op.attrs["separator"], dtype=dtypes.string,
                            meta=_meta(dtypes.string, len(ind)), token="string_join")


def join(inputs, separator="", name=None):
    """Join strings elementwise: ``separator.join`` of the inputs' elements (TF's ``strings.join``).

    Parameters
    ----------
    inputs : list of string tensors (or str, bytes)
        Of one shape, or scalars, which go with every element.
    separator : str or bytes
    name : str, optional

    Returns
    -------
    Tensor
        Of dtype string and the inputs' shape (a scalar when every input is one).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.strings.join([["a", "b"], "x"], separator="-"))
    array([b'a-x', b'b-x'], dtype=object)
    """
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"Expected list for 'inputs' argument to 'string_join' Op, not {inputs!r}.")
    if not inputs:
        from .state import constant
        return constant(b"", name=name or "StringJoin")
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    return apply1("StringJoin", list(inputs), {"separator": sep}, name=name or "StringJoin")


string_join = join


@register("StringLength")
class StringLength:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_strings(op, op.inputs, "input")
        return [(op.inputs[0].shape, dtypes.int32)]

    def lower(op, x):
        return x.map_blocks(strkernels.length, unit=op.attrs["unit"], dtype=dtypes.int32,
                            meta=_meta(dtypes.int32, x.ndim))


def length(input, name=None, unit="BYTE"):
    """The length of each string of ``input``, as int32: in bytes, or in UTF-8 characters with
    ``unit="UTF8_CHAR"`` (TF's ``strings.length``)."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"Attr 'unit' of 'StringLength' Op passed string '{unit}' not in: \"BYTE\", "
                         "\"UTF8_CHAR\".")
    return apply1("StringLength", [input], {"unit": unit}, name=name or "StringLength")


# -- as_string

def _printf_format(op, dt):
    """The printf format TF's AsString kernel builds from the op's attributes (bools print true/false)."""
    a, name = op.attrs, dtypes.name(dt)
    real, kind = dt.kind in "fc", dt.kind
    if a["scientific"] and a["shortest"]:
        fail(op, "Cannot select both scientific and shortest notation")
    if len(a["fill"]) > 1:
        fail(op, "Fill string must be one or fewer characters")
    if a["fill"] and a["fill"] not in " +-#0":
        fail(op, f"Fill argument not supported: \"{a['fill']}\"")
    if (a["scientific"] or a["shortest"]) and not real and kind != "O":
        fail(op, f"scientific and shortest format not supported for datatype {name}")
    if a["precision"] > -1 and not real and kind != "O":
        fail(op, f"precision not supported for datatype {name}")
    width = str(a["width"]) if a["width"] > -1 else ""
    if kind == "O":
        return f"%{a['fill']}{width}s"
    precision = f".{a['precision']}" if a["precision"] > -1 else ""
    conv = "d" if kind in "iub" else "g" if a["shortest"] else "e" if a["scientific"] else "f"
    return f"%{a['fill']}{width}{precision}{conv}"


@register("AsString")
class AsString:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        _printf_format(op, x.dtype)
        return [(x.shape, dtypes.string)]

    def lower(op, x):
        return x.map_blocks(strkernels.as_string, fmt=_printf_format(op, x.dtype), dtype=dtypes.string,
                            meta=_meta(dtypes.string, x.ndim))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):
    """Each element of ``input`` as a string, with TF's (printf's) formats (TF's ``as_string``).

    Parameters
    ----------
    input : Tensor
        Of a number, bool or string dtype.
    precision : int
        Digits after the point of floats (default: 6), or significant digits with ``shortest``.
    scientific, shortest : bool
        Floats as ``%e`` or ``%g`` instead of ``%f``.
    width : int
        Pad to at least this many characters (not bools).
    fill : str
        One printf flag: "0" pads numbers with zeros, "-" pads on the right, " " and "+" give positive numbers
        a space or a sign, "#" the alternate form.
    name : str, optional

    Returns
    -------
    Tensor of dtype string, of ``input``'s shape; bools give b"true" and b"false", complex numbers
    b"(real,imag)".

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.as_string([1.5, 2.0], precision=2))
    array([b'1.50', b'2.00'], dtype=object)
    """
    attrs = {"precision": int(precision), "scientific": bool(scientific), "shortest": bool(shortest),
             "width": int(width), "fill": str(fill)}
    return apply1("AsString", [input], attrs, name=name or "AsString")


# -- format

def _summary_input(x, limit, flat=False):
    """The part of dask array ``x`` a summary prints, and ``x``'s shape (None: the part is all of ``x``): at
    most ``limit`` elements at each end of every dim, or with ``flat`` the first ``limit`` elements' rows."""
    shape = known_dims(x.shape)
    if None in shape or limit < 0:
        return x, None
    n = min(limit, math.prod(shape))
    if flat:
        inner = math.prod(shape[1:])
        return (x[:-(-n // inner)] if shape and inner else x), shape
    for d, count in enumerate(shape):
        if count > 2 * n:
            lead = (slice(None),) * d
            x = da.concatenate([x[lead + (slice(0, n),)], x[lead + (slice(count - n, count),)]], axis=d)
    return x, shape


def _summaries(op, xs, kernel, flat=False, **kwargs):
    """One task computing ``kernel(*blocks, shapes=..., summarize_=..., **kwargs)`` from the parts of ``xs``
    that the summaries print (each whole in one block)."""
    limit = op.attrs["summarize"]
    parts = [_summary_input(x, limit, flat) for x in xs]
    args = [a for i, (x, _) in enumerate(parts) for a in (x, tuple(f"{i}.{d}" for d in range(x.ndim)))]
    dtype = dtypes.string if kernel is strkernels.format_text else dtypes.bool
    return da.blockwise(kernel, (), *args, concatenate=True, shapes=[s for _, s in parts], summarize_=limit,
                        dtype=dtype, meta=_meta(dtype, 0), **kwargs,
                        name=f"{op.type.lower()}-{op.name}-{tokenize([x.name for x in xs], op.attrs)}")


@register("StringFormat")
class StringFormat:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.string)]

    def lower(op, *xs):
        return _summaries(op, xs, strkernels.format_text, pieces=op.attrs["pieces"])


def format(template, inputs, placeholder="{}", summarize=3, name=None):
    """A scalar string: ``template`` with each ``placeholder`` replaced by a summary of one of ``inputs``, as
    TF's ``strings.format`` writes it (at most ``summarize`` elements at each end of every dim, -1 for all).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.strings.format("x = {}", df.range(10), summarize=2))
    b'x = [0 1 ... 8 9]'
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise ValueError(f"The template expects {len(pieces) - 1} tensors, but the inputs only has {len(inputs)}. "
                         "Please ensure the number of placeholders in template matches inputs length.")
    return _format(pieces, [convert_to_tensor(x) for x in inputs], summarize, name or "StringFormat")


def _format(pieces, tensors, summarize, name):
    attrs = {"pieces": tuple(pieces), "summarize": 3 if summarize is None else int(summarize)}
    return apply1("StringFormat", tensors, attrs, name=name)


# -- printing

@register("PrintV2")
class PrintV2:
    strings = True
    stateful = True
    side_effect = True
    grad = NOT_DIFFERENTIABLE

    # TF's PrintV2 has no output; this one gives the printed text, so that a run can force it like any effect
    def infer(op):
        x = op.inputs[0]
        if not dtypes.is_string(x.dtype) or not x.shape.is_compatible_with(()):
            fail(op, f"input must be a scalar string, got '{x.name}' of dtype {dtypes.name(x.dtype)} and shape "
                     f"{x.shape}")
        return [((), dtypes.string)]

    def lower(op, x):
        stream, end = op.attrs["output_stream"], op.attrs["end"]
        return x.map_blocks(strkernels.print_text, stream=stream, end=end, dtype=dtypes.string,
                            meta=_meta(dtypes.string, 0), name=f"printv2-{op.name}-{tokenize(x.name, stream, end)}")


def _stream_name(stream):
    for known, streams in (("stderr", (sys.stderr, _STDERR, sys.__stderr__)),
                           ("stdout", (sys.stdout, _STDOUT, sys.__stdout__))):
        if any(stream is s for s in streams):
            return known
    if isinstance(stream, str) and stream.startswith("file://"):
        return stream
    raise ValueError(f"Unsupported output stream or file {stream!r}. Supported streams are sys.stdout and "
                     "sys.stderr. File needs to be in the form of 'file://<filepath>'.")


def _marked(value, found):
    """``value`` (nested lists, tuples, dicts) with each tensor replaced by a marker string, listed in ``found``;
    dicts in sorted key order, as TF prints them."""
    t = value._as_tensor() if hasattr(value, "_as_tensor") else value
    if isinstance(t, Tensor):
        found.append((f"__daskflow_tensor_{len(found)}__", t))
        return found[-1][0]
    if isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:
            keys = list(value)
        return {k: _marked(value[k], found) for k in keys}
    if isinstance(value, (list, tuple)):
        items = [_marked(v, found) for v in value]
        if hasattr(value, "_fields"):
            return type(value)(*items)
        return type(value)(items)
    return value


def _template(inputs, sep):
    """The literal text around the tensors of ``print``'s inputs (``len(tensors) + 1`` pieces), and the tensors."""
    pieces, tensors, text = [], [], ""
    for i, value in enumerate(inputs):
        found = []
        shown = _marked(value, found)
        text += (sep if i else "") + str(shown)
        for marker, t in found:  # inside a structure a marker shows as its repr; alone, as itself
            head, text = text.split(marker if shown is marker else repr(marker), 1)
            pieces.append(head)
            tensors.append(t)
    return pieces + [text], tensors


def print(*inputs, output_stream=sys.stderr, sep=" ", end="\n", summarize=3, name=None):
    """An op that prints ``inputs`` when it runs (TF's ``print`` in graph mode): run it with ``Session.run`` or
    make it a control dependency. The text is TF's: python values as ``str`` gives them, tensors summarized
    (``summarize`` elements at each end of every dim, -1 for all), a lone string scalar as it is.

    Parameters
    ----------
    *inputs : tensors, python values, or lists, tuples and dicts of them
    output_stream : sys.stderr, sys.stdout, or "file://<path>" (appended to)
    sep, end : str
        Written between inputs, and after the last.
    summarize : int
    name : str, optional

    Returns
    -------
    Operation

    Examples
    --------
    >>> import sys, daskflow as df
    >>> x = df.constant([1, 2, 3])
    >>> op = df.print("x:", x, output_stream=sys.stdout)
    >>> with df.Session() as sess:
    ...     sess.run(op)
    x: [1 2 3]
    """
    stream = _stream_name(output_stream)
    lone = inputs[0]._as_tensor() if len(inputs) == 1 and hasattr(inputs[0], "_as_tensor") else \
        (inputs[0] if len(inputs) == 1 else None)
    if isinstance(lone, Tensor) and dtypes.is_string(lone.dtype) and lone.shape.ndims == 0:
        text = lone
    else:
        pieces, tensors = _template(inputs, sep)
        text = _format(pieces, tensors, summarize, "StringFormat")
    return apply("PrintV2", [text], {"output_stream": stream, "end": str(end)}, name=name or "PrintV2")[0].op


@register("Print")
class Print_:
    strings = True
    stateful = True  # prints when its value is computed: not when only its shape is needed (a gradient's ones)

    def infer(op):
        x = op.inputs[0]
        return [(x.shape, x.dtype)]

    def lower(op, x, *data):
        first_n = op.attrs["first_n"]
        counter = None
        if first_n >= 0:  # one count per op and Session, as TF's kernel (one per Session) keeps it
            counts = current().sources.session._host_state.setdefault("print_first_n", {})
            counter = counts.setdefault(op.name, strkernels.FirstN(first_n))
        token = _summaries(op, data, strkernels.print_v1, flat=True, message=op.attrs["message"], first_n=counter)
        ind = tuple(range(x.ndim))
        return da.blockwise(strkernels.after, ind, x, ind, token, (), dtype=x.dtype, meta=x._meta,
                            name=f"print-{op.name}-{tokenize(x.name, token.name)}")

    def grad(op, dy):
        return [dy] + [None] * (len(op.inputs) - 1)


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):
    """TF1's ``Print``: an identity of ``input_`` that, when its value is computed, prints ``message`` then
    ``[summary]`` of each tensor of ``data`` to stderr (the first ``summarize`` elements, default 3, -1 for all;
    only the first ``first_n`` times in a Session when given). Gradients flow to ``input_`` as through identity.
    Only its value runs it: as a control input alone it prints nothing (``print`` is the op for that).

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.constant([1.0, 2.0])
    >>> y = df.Print(x, [x], "x is ")  # prints "x is [1 2]" on stderr when y is computed
    """
    if not isinstance(data, (list, tuple)):
        raise TypeError(f"Expected list for 'data' argument to 'Print' Op, not {data!r}.")
    attrs = {"message": "" if message is None else str(message), "first_n": -1 if first_n is None else int(first_n),
             "summarize": 3 if summarize is None else int(summarize)}
    return apply1("Print", [input_] + [convert_to_tensor(d) for d in data], attrs, name=name or "Print")
