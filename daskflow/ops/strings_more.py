"""TF1's string and byte ops beyond join/length/as_string/format: the names this module lists for ``tf.``,
``tf.strings``, ``tf.io`` and ``tf.audio``. The ops live in ``strings_map`` (elementwise), ``strings_join``
(reductions), ``strings_split`` (tokens as a ``SparseTensor``), ``strings_codec`` (encodings), ``bytes_decode``
(bytes as numbers) and ``bytes_files`` (files, WAV).

String ops are not differentiable.
"""
from .bytes_decode import bitcast, decode_csv, decode_raw, parse_tensor, serialize_tensor  # noqa: F401
from .bytes_files import decode_wav, encode_wav, matching_files, read_file, timestamp, write_file  # noqa: F401
from .strings_codec import (decode_base64, decode_compressed, encode_base64, unicode_encode,  # noqa: F401
                            unicode_transcode)
from .strings_join import ngrams, reduce_join, unsorted_segment_join  # noqa: F401
from .strings_map import lower, regex_full_match, regex_replace, strip, substr, to_number, upper  # noqa: F401
from .strings_split import split, string_split  # noqa: F401

string_strip = strip
string_to_number = to_number

__all__ = ["string_split", "string_strip", "string_to_number", "substr", "reduce_join", "regex_replace",
           "decode_base64", "encode_base64", "decode_raw", "decode_compressed", "decode_csv", "read_file", "write_file",
           "matching_files", "timestamp", "bitcast", "serialize_tensor", "parse_tensor"]

NAMESPACES = {
    "strings": ["lower", "upper", "strip", "regex_replace", "regex_full_match", "substr", "to_number", "reduce_join",
                "unsorted_segment_join", "ngrams", "split", "unicode_encode", "unicode_transcode"],
    "io": ["decode_base64", "encode_base64", "decode_raw", "decode_compressed", "decode_csv", "read_file",
           "write_file", "matching_files", "serialize_tensor", "parse_tensor"],
    "audio": ["decode_wav", "encode_wav"],
}
