"""TF1's ``tf.train.VocabInfo`` and the vocabulary remapping ``tf.train.warm_start`` does with it.

A variable whose rows (``axis=0``, an embedding) or columns (``axis=1``, the output layer of a classifier) follow a
vocabulary is warm-started from a checkpoint written with another vocabulary: entry ``i`` of the new vocabulary
takes the checkpoint's row (column) of the same entry in the old vocabulary file (of its first ``old_vocab_size``
entries); the values of entries the old vocabulary lacks, and the ``num_oov_buckets`` out-of-vocabulary rows
(columns) after the vocabulary, come from ``backup_initializer`` (zeros by default). As TF's
``load_and_remap_matrix``, the missing values of a part are filled, in row-major order, from one call of the
initializer for shape ``[count, 1]``; the out-of-vocabulary rows from one call for ``[buckets, columns]``, then the
out-of-vocabulary columns from one for ``[rows, buckets]``. A partitioned variable (rows divided into parts) is
remapped part by part. Vocabulary files hold one entry a line.
"""
import collections

import numpy as np

from .. import dtypes

__all__ = ["VocabInfo"]


class VocabInfo(collections.namedtuple("VocabInfo", ["new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab",
                                                     "old_vocab_size", "backup_initializer", "axis"])):
    """How to warm-start a variable that follows a vocabulary (TF1's ``tf.train.VocabInfo``).

    Parameters
    ----------
    new_vocab : str
        The vocabulary file of the variable being warm-started.
    new_vocab_size : int
        How many entries of ``new_vocab`` the variable has (its size along ``axis`` less the OOV buckets).
    num_oov_buckets : int
        Out-of-vocabulary rows (columns) after the vocabulary, newly initialised.
    old_vocab : str
        The vocabulary file of the checkpoint's tensor.
    old_vocab_size : int
        Only the first this many entries of ``old_vocab`` (-1: all of them).
    backup_initializer : initializer, optional
        For the values the checkpoint does not give; zeros when None.
    axis : 0 or 1
        The variable's axis that follows the vocabulary.

    Examples
    --------
    >>> from daskflow.train.vocab_info import VocabInfo     # df.train.VocabInfo
    >>> info = VocabInfo("new.txt", 100, 2, "old.txt")
    >>> info.old_vocab_size, info.axis
    (-1, 0)
    """

    __slots__ = ()

    def __new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size=-1,
                backup_initializer=None, axis=0):
        if axis != 0 and axis != 1:
            raise ValueError(f"The only supported values for the axis argument are 0 and 1.  Provided axis: {axis}")
        return super().__new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size,
                               backup_initializer, axis)


def _vocab(path, size=-1):
    with open(path, "rb") as f:
        words = [line.rstrip(b"\n").rstrip(b"\r") for line in f]
    return words[:size] if size is not None and size >= 0 else words


def _remap(words, old_index, start, count, path):
    if start + count > len(words):
        raise ValueError(f"Vocabulary file {path} has {len(words)} entries; {start + count} are needed")
    return np.array([old_index.get(w, -1) for w in words[start:start + count]], dtype=np.int64)


def _remapped_part(old, rows, cols, initializer, dtype):
    """The tensor of the old matrix's rows ``rows`` and columns ``cols`` (-1: missing, from ``initializer``)."""
    from ..ops.array import concat, reshape
    from ..ops.indexing import gather
    from ..ops.state import constant
    n_rows, n_cols = len(rows), len(cols)
    present = (rows[:, None] >= 0) & (cols[None, :] >= 0)
    known = old[np.ix_(np.maximum(rows, 0), np.maximum(cols, 0))][present].astype(dtype) if old.size else \
        np.zeros(0, dtype)
    missing = n_rows * n_cols - int(present.sum())
    if not missing:
        return constant(known.reshape(n_rows, n_cols))
    # each cell's place in [known values..., missing values...], the missing in row-major order
    where = np.empty((n_rows, n_cols), np.int64)
    where[present] = np.arange(present.sum())
    where[~present] = present.sum() + np.arange(missing)
    filler = reshape(initializer([missing, 1]), [-1])
    return reshape(gather(concat([constant(known), filler], 0), constant(where.reshape(-1))), [n_rows, n_cols])


def remapped_values(parts, info, old, dtype):
    """``[(part, value tensor)]``: each part's warm-start value from the old matrix ``old`` (numpy) per ``info``.
    ``parts`` are the variables of one (possibly partitioned) variable, in order."""
    from ..initializers import zeros_initializer
    from ..ops.array import concat
    if not (info.new_vocab and info.new_vocab_size and info.old_vocab):
        raise ValueError("Invalid args: Must provide all of [current_vocab_path, current_vocab_size, prev_ckpt, "
                         "prev_vocab_path}.")
    if dtypes.as_dtype(dtype) != dtypes.float32:
        raise TypeError(f"Currently, only float32 is supported. Received dtype: {dtypes.as_dtype(dtype).name}")
    if old.ndim != 2:
        raise ValueError(f"Warm-starting with a vocabulary needs a matrix in the checkpoint, got shape "
                         f"{list(old.shape)}")
    initializer = info.backup_initializer or zeros_initializer()
    old_words = _vocab(info.old_vocab, info.old_vocab_size if info.axis == 0 else -1)
    old_index = {}
    for i, w in enumerate(old_words):
        old_index.setdefault(w, i)
    new_words, size, oov = _vocab(info.new_vocab), int(info.new_vocab_size), int(info.num_oov_buckets)
    total_rows = sum(p.shape.as_list()[0] for p in parts)
    out = []
    for p in parts:
        h, w = p.shape.as_list()
        info_slice = getattr(p, "_save_slice_info", None)
        offset = info_slice.var_offset[0] if info_slice is not None else 0
        if info.axis == 0:
            new_rows, n_cols, row_oov, col_oov = size, w, oov, 0
        else:
            new_rows, n_cols, row_oov, col_oov = total_rows, size, 0, oov
        if w != n_cols + col_oov:
            raise ValueError(f"Expected 2nd dim of shape to be new_col_vocab_size ({n_cols}) + num_col_oov_buckets "
                             f"({col_oov}) = {n_cols + col_oov}, but received shape: {[h, w]}")
        if offset + h > new_rows + row_oov:
            raise ValueError(f"Trying to initialize {h} additional rows after {offset} rows have already been "
                             f"initialized, which would exceed expected total row count of new_row_vocab_size "
                             f"({new_rows}) + num_row_oov_buckets ({row_oov}) = {new_rows + row_oov}.")
        oov_rows = min(h, max(0, offset + h - new_rows))
        n_load = h - oov_rows
        if info.axis == 0:
            rows = _remap(new_words, old_index, offset, n_load, info.new_vocab)
            cols = np.arange(n_cols) if old.shape[1] == n_cols else None
        else:
            rows = np.arange(offset, offset + n_load)
            cols = _remap(new_words, old_index, 0, n_cols, info.new_vocab)
        if cols is None or (rows.size and rows.max() >= old.shape[0]) or (cols.size and cols.max() >= old.shape[1]):
            raise ValueError(f"The checkpoint's matrix of shape {list(old.shape)} does not fit variable "
                             f"{p.op.name} of shape {[h, w]} with this vocabulary")
        blocks = [_remapped_part(old, rows, cols, initializer, dtype)] if n_load else []
        if oov_rows:
            blocks.append(initializer([oov_rows, n_cols]))
        value = blocks[0] if len(blocks) == 1 else concat(blocks, 0)
        if col_oov:
            value = concat([value, initializer([h, col_oov])], 1)
        out.append((p, value))
    return out
