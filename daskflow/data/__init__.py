"""Data: storage-backed tensors (``from_zarr``, ``from_npy``, ``from_hdf5``, ``from_dask``) and input pipelines
(TF1's ``tf.compat.v1.data``): datasets over arrays and storage, and graph-mode iterators."""
from .dataset import AUTOTUNE, Dataset, TensorSpec  # noqa: F401
from .iterator import Iterator, make_initializable_iterator, make_one_shot_iterator  # noqa: F401
from .sources import *  # noqa: F401,F403
