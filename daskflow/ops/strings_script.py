"""TF's ``tf.strings.unicode_script``: the script of each Unicode code point, as ICU's ``UScriptCode`` (int32).

The Unicode Script property of each code point comes from the optional ``fonttools`` package
(``fontTools.unicodedata``, Unicode's Scripts.txt as sorted ranges), installed with ``pip install
daskflow[unicode]``; ``USCRIPT`` maps its ISO 15924 codes to the numbers of ICU's ``UScriptCode`` enumeration,
as TensorFlow's ICU gives them. Common characters give 0 (``USCRIPT_COMMON``), inherited ones (combining marks)
1 (``USCRIPT_INHERITED``), unassigned code points, surrogates, private use and noncharacters 103
(``USCRIPT_UNKNOWN``), and values that are not code points (negative or above 0x10FFFF) -1, as in TF.

fontTools follows a newer Unicode than TF's ICU (Unicode 13): code points assigned since then to a script TF's ICU
knows give that script here where TF gives 103, and scripts encoded since then (Vithkuqi, Toto, Kawi, ...: ICU has
no number for them in TF) give 103, as in TF.
"""
import numpy as np

from .. import backend, dtypes, errors
from ..graph import Tensor, TensorShape
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, defop, fail

__all__ = []
NAMESPACES = {"strings": ["unicode_script"]}

USCRIPT = {  # ISO 15924 code -> ICU UScriptCode, as TF numbers them (make_unicode_script_fixtures.py pairs the two)
    "Adlm": 167, "Aghb": 159, "Ahom": 161, "Arab": 2, "Armi": 116, "Armn": 3, "Avst": 117, "Bali": 62, "Bamu": 130,
    "Bass": 134, "Batk": 63, "Beng": 4, "Bhks": 168, "Bopo": 5, "Brah": 65, "Brai": 46, "Bugi": 55, "Buhd": 44,
    "Cakm": 118, "Cans": 40, "Cari": 104, "Cham": 66, "Cher": 6, "Chrs": 189, "Copt": 7, "Cprt": 47, "Cyrl": 8,
    "Deva": 10, "Diak": 190, "Dogr": 178, "Dsrt": 9, "Dupl": 135, "Egyp": 71, "Elba": 136, "Elym": 185, "Ethi": 11,
    "Geor": 12, "Glag": 56, "Gong": 179, "Gonm": 175, "Goth": 13, "Gran": 137, "Grek": 14, "Gujr": 15, "Guru": 16,
    "Hang": 18, "Hani": 17, "Hano": 43, "Hatr": 162, "Hebr": 19, "Hira": 20, "Hluw": 156, "Hmng": 75, "Hmnp": 186,
    "Hung": 76, "Ital": 30, "Java": 78, "Kali": 79, "Kana": 22, "Khar": 57, "Khmr": 23, "Khoj": 157, "Kits": 191,
    "Knda": 21, "Kthi": 120, "Lana": 106, "Laoo": 24, "Latn": 25, "Lepc": 82, "Limb": 48, "Lina": 83, "Linb": 49,
    "Lisu": 131, "Lyci": 107, "Lydi": 108, "Mahj": 160, "Maka": 180, "Mand": 84, "Mani": 121, "Marc": 169,
    "Medf": 181, "Mend": 140, "Merc": 141, "Mero": 86, "Mlym": 26, "Modi": 163, "Mong": 27, "Mroo": 149, "Mtei": 115,
    "Mult": 164, "Mymr": 28, "Nand": 187, "Narb": 142, "Nbat": 143, "Newa": 170, "Nkoo": 87, "Nshu": 150, "Ogam": 29,
    "Olck": 109, "Orkh": 88, "Orya": 31, "Osge": 171, "Osma": 50, "Palm": 144, "Pauc": 165, "Perm": 89, "Phag": 90,
    "Phli": 122, "Phlp": 123, "Phnx": 91, "Plrd": 92, "Prti": 125, "Rjng": 110, "Rohg": 182, "Runr": 32, "Samr": 126,
    "Sarb": 133, "Saur": 111, "Sgnw": 112, "Shaw": 51, "Shrd": 151, "Sidd": 166, "Sind": 145, "Sinh": 33,
    "Sogd": 183, "Sogo": 184, "Sora": 152, "Soyo": 176, "Sund": 113, "Sylo": 58, "Syrc": 34, "Tagb": 45, "Takr": 153,
    "Tale": 52, "Talu": 59, "Taml": 35, "Tang": 154, "Tavt": 127, "Telu": 36, "Tfng": 60, "Tglg": 42, "Thaa": 37,
    "Thai": 38, "Tibt": 39, "Tirh": 158, "Ugar": 53, "Vaii": 99, "Wara": 146, "Wcho": 188, "Xpeo": 61, "Xsux": 101,
    "Yezi": 192, "Yiii": 41, "Zanb": 177, "Zinh": 1, "Zyyy": 0, "Zzzz": 103
}
UNKNOWN, INVALID, MAX_CODE_POINT = 103, -1, 0x10FFFF

_lookup_cache = []


def _lookup():
    """``(starts, codes)``: the first code point of each range of equal script, sorted, and each range's
    ``UScriptCode`` (int32), built once from fontTools' table; raises ImportError without fontTools."""
    if not _lookup_cache:
        from fontTools.unicodedata import Scripts
        starts = np.asarray(Scripts.RANGES, dtype=np.int64)
        codes = np.array([USCRIPT.get(v, UNKNOWN) for v in Scripts.VALUES], dtype=np.int32)
        _lookup_cache.append((starts, codes))
    return _lookup_cache[0]


def script_block(x):
    """``UScriptCode`` of each int32 code point of chunk ``x``: a binary search in the ranges."""
    m = backend.xp(x)
    starts, codes = (m.asarray(a) for a in _lookup())
    found = codes[m.searchsorted(starts, x, side="right") - 1]  # below 0 wraps to the last range: masked next
    return m.where((x < 0) | (x > MAX_CODE_POINT), INVALID, found).astype(m.int32, copy=False)


def _dtype_error(dtype):
    return (f"Input 'input' of 'UnicodeScript' Op has type {dtypes.name(dtype)} that does not match expected type "
            f"of int32.")


def _infer(op):
    x = op.inputs[0]
    if x.dtype != dtypes.int32:
        fail(op, _dtype_error(x.dtype), cls=TypeError)
    try:
        _lookup()
    except ImportError:
        fail(op, "unicode_script needs Unicode's script data from the optional 'fonttools' package: pip install "
                 "daskflow[unicode] (or pip install fonttools)", cls=errors.UnimplementedError)
    return [(TensorShape(x.shape), dtypes.int32)]


def _lower(op, x):
    return x.map_blocks(script_block, dtype=np.int32, meta=backend.meta(x, np.int32), token="unicodescript")


defop("UnicodeScript", _infer, _lower, grad=NOT_DIFFERENTIABLE)


def unicode_script(input, name=None):  # noqa: A002 - TF's argument name
    """The script of each Unicode code point of ``input`` (int32, any shape), as ICU's ``UScriptCode`` (int32, of
    ``input``'s shape; op type ``UnicodeScript``).

    Common characters (digits, punctuation, symbols) give 0, inherited ones (combining marks) 1, unassigned code
    points 103 (``USCRIPT_UNKNOWN``) and values outside 0..0x10FFFF -1. Needs the ``fonttools`` package
    (``pip install daskflow[unicode]``).

    Examples
    --------
    >>> import daskflow as tf
    >>> with tf.Graph().as_default(), tf.Session() as s:
    ...     s.run(tf.strings.unicode_script([ord("a"), 0x0416, ord("1"), 0x0301, 0x0378, -1])).tolist()
    [25, 8, 0, 1, 103, -1]
    """
    t = input._as_tensor() if hasattr(input, "_as_tensor") else input
    t = t if isinstance(t, Tensor) else convert_to_tensor(input, dtype=dtypes.int32)
    if t.dtype != dtypes.int32:
        raise TypeError(_dtype_error(t.dtype))
    return apply1("UnicodeScript", [t], name=name or "UnicodeScript")
