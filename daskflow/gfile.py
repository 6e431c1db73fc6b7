"""TF1's ``tf.gfile``: files and directories on any filesystem ``fsspec`` knows (local paths, and ``s3://``,
``gs://``, ``hdfs://``... where their fsspec backends are installed), as dask reads and writes them, with TF's
names, return values and errors (``NotFoundError``, ``AlreadyExistsError``)."""
import collections
import posixpath

import fsspec

from . import errors

__all__ = ["GFile", "Open", "FastGFile", "Exists", "IsDirectory", "ListDirectory", "MakeDirs", "MkDir", "Glob",
           "Remove", "DeleteRecursively", "Rename", "Copy", "Stat", "Walk"]

FileStatistics = collections.namedtuple("FileStatistics", ["length", "mtime_nsec", "is_directory"])


def _fs(path):
    fs, p = fsspec.core.url_to_fs(str(path))
    return fs, p


def _missing(path, what=None):
    return errors.NotFoundError(None, None, what or f"{path}; No such file or directory")


class GFile:
    """A file, as TF's ``GFile(name, mode)``: ``read(n=-1)``, ``readline``, ``readlines``, iteration, ``write``,
    ``seek``, ``tell``, ``size``, ``flush``, ``close`` and ``with``. Text modes give and take ``str``, binary
    modes ``bytes``; a missing file raises ``NotFoundError`` when first read, as TF's."""

    def __init__(self, name, mode="r"):
        self.name, self.mode = str(name), mode
        self._f = None

    def _file(self):
        if self._f is None:
            try:
                self._f = fsspec.open(self.name, self.mode, **({} if "b" in self.mode else {"encoding": "utf-8"})
                                      ).open()
            except FileNotFoundError:
                raise _missing(self.name) from None
        return self._f

    def read(self, n=-1):
        return self._file().read(n)

    def readline(self):
        return self._file().readline()

    def readlines(self):
        return self._file().readlines()

    def __iter__(self):
        return iter(self._file())

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, data):
        self._file().write(data)

    def seek(self, offset=None, whence=0, position=None):
        self._file().seek(position if position is not None else offset, whence)

    def tell(self):
        return self._file().tell()

    def size(self):
        return Stat(self.name).length

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


Open = FastGFile = GFile


def Exists(filename):  # noqa: N802 - TF's names
    fs, p = _fs(filename)
    return fs.exists(p)


def IsDirectory(dirname):  # noqa: N802
    fs, p = _fs(dirname)
    return fs.isdir(p)


def ListDirectory(dirname):  # noqa: N802
    """The names (not paths) of the entries of ``dirname``."""
    fs, p = _fs(dirname)
    if not fs.isdir(p):
        raise _missing(dirname, f"Could not find directory {dirname}")
    return [posixpath.basename(e.rstrip("/")) for e in fs.ls(p, detail=False)]


def MakeDirs(dirname):  # noqa: N802
    """``dirname`` and its missing parents; nothing if it exists."""
    fs, p = _fs(dirname)
    fs.makedirs(p, exist_ok=True)


def MkDir(dirname):  # noqa: N802
    """``dirname``, whose parent must exist; nothing if it exists."""
    fs, p = _fs(dirname)
    if fs.isdir(p):
        return
    parent = posixpath.dirname(p.rstrip("/"))
    if parent and not fs.isdir(parent):
        raise _missing(dirname)
    fs.mkdir(p, create_parents=False)


def Glob(filename):  # noqa: N802
    """The paths matching the pattern ``filename``."""
    fs, p = _fs(filename)
    found = fs.glob(p)
    protocol = str(filename).split("://", 1)[0] + "://" if "://" in str(filename) else ""
    return [protocol + f if protocol and not f.startswith(protocol) else f for f in sorted(found)]


def Remove(filename):  # noqa: N802
    fs, p = _fs(filename)
    if not fs.isfile(p):
        raise _missing(filename)
    fs.rm_file(p)


def DeleteRecursively(dirname):  # noqa: N802
    fs, p = _fs(dirname)
    if not fs.exists(p):
        raise _missing(dirname, f"{dirname} not found")
    fs.rm(p, recursive=True)


def _check_target(fs, p, overwrite):
    if not overwrite and fs.exists(p):
        raise errors.AlreadyExistsError(None, None, "file already exists")


def Rename(oldname, newname, overwrite=False):  # noqa: N802
    fs, old = _fs(oldname)
    _, new = _fs(newname)
    if not fs.exists(old):
        raise _missing(oldname)
    _check_target(fs, new, overwrite)
    fs.mv(old, new)


def Copy(oldpath, newpath, overwrite=False):  # noqa: N802
    fs, old = _fs(oldpath)
    _, new = _fs(newpath)
    if not fs.isfile(old):
        raise _missing(oldpath)
    _check_target(fs, new, overwrite)
    fs.copy(old, new)


def Stat(filename):  # noqa: N802
    """``FileStatistics(length, mtime_nsec, is_directory)``."""
    fs, p = _fs(filename)
    try:
        info = fs.info(p)
    except FileNotFoundError:
        raise _missing(filename) from None
    mtime = info.get("mtime", info.get("LastModified", 0)) or 0
    mtime = mtime.timestamp() if hasattr(mtime, "timestamp") else float(mtime)
    return FileStatistics(int(info.get("size") or 0), int(mtime * 1e9), info.get("type") == "directory")


def Walk(top, in_order=True):  # noqa: N802
    """``(dirname, subdirectory names, file names)`` for ``top`` and every directory below it (top-down with
    ``in_order``, else bottom-up); nothing for a missing ``top``."""
    fs, p = _fs(top)
    if not fs.isdir(p):
        return
    subdirs, files = [], []
    for entry in fs.ls(p, detail=True):
        name = posixpath.basename(entry["name"].rstrip("/"))
        (subdirs if entry["type"] == "directory" else files).append(name)
    here = (str(top), subdirs, files)
    if in_order:
        yield here
    for d in subdirs:
        yield from Walk(posixpath.join(str(top), d), in_order)
    if not in_order:
        yield here
