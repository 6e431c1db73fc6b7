"""``df.gfile`` (TF1's ``tf.gfile``) on the local filesystem and on fsspec's in-memory one: the values and errors
TF 2.21's ``tf.compat.v1.gfile`` gives for the same calls."""
import pytest

import daskflow as df

g = df.gfile


@pytest.fixture(params=["local", "memory"])
def root(request, tmp_path):
    if request.param == "local":
        return str(tmp_path)
    import fsspec
    fsspec.filesystem("memory").store.clear()
    return "memory://gfiletest"


def test_files_and_directories(root):
    g.MakeDirs(f"{root}/a/b/c")
    g.MkDir(f"{root}/a")  # exists: nothing
    with g.GFile(f"{root}/a/f.txt", "w") as f:
        f.write("hi\nthere\n")
    assert g.GFile(f"{root}/a/f.txt").read() == "hi\nthere\n"
    assert g.GFile(f"{root}/a/f.txt", "rb").read() == b"hi\nthere\n"
    assert g.GFile(f"{root}/a/f.txt").readlines() == ["hi\n", "there\n"]
    assert list(g.GFile(f"{root}/a/f.txt")) == ["hi\n", "there\n"]
    assert g.GFile(f"{root}/a/f.txt").size() == 9 and g.Stat(f"{root}/a/f.txt").length == 9
    assert sorted(g.ListDirectory(f"{root}/a")) == ["b", "f.txt"]
    assert [p.rsplit("/", 1)[1] for p in g.Glob(f"{root}/a/*")] == ["b", "f.txt"]
    assert g.IsDirectory(f"{root}/a") and not g.IsDirectory(f"{root}/a/f.txt") and g.Stat(f"{root}/a").is_directory
    g.Rename(f"{root}/a/f.txt", f"{root}/a/g.txt")
    g.Copy(f"{root}/a/g.txt", f"{root}/a/h.txt")
    with pytest.raises(df.errors.AlreadyExistsError, match="file already exists"):
        g.Copy(f"{root}/a/g.txt", f"{root}/a/h.txt")
    with pytest.raises(df.errors.AlreadyExistsError, match="file already exists"):
        g.Rename(f"{root}/a/g.txt", f"{root}/a/h.txt")
    g.Copy(f"{root}/a/g.txt", f"{root}/a/h.txt", overwrite=True)
    walk = list(g.Walk(f"{root}/a"))
    assert [(d.rsplit("/", 1)[1], s, sorted(f)) for d, s, f in walk] == [
        ("a", ["b"], ["g.txt", "h.txt"]), ("b", ["c"], []), ("c", [], [])]
    assert [d for d, _, _ in g.Walk(f"{root}/a", in_order=False)][-1] == f"{root}/a"
    g.Remove(f"{root}/a/g.txt")
    assert not g.Exists(f"{root}/a/g.txt")
    g.DeleteRecursively(f"{root}/a")
    assert not g.Exists(f"{root}/a") and list(g.Walk(f"{root}/a")) == []


def test_missing_paths_raise_not_found(root):
    for call, message in [
            (lambda: g.GFile(f"{root}/nope.txt").read(), "nope.txt; No such file or directory"),
            (lambda: g.ListDirectory(f"{root}/nope"), "Could not find directory"),
            (lambda: g.Stat(f"{root}/nope"), "nope; No such file or directory"),
            (lambda: g.Remove(f"{root}/nope"), "nope; No such file or directory"),
            (lambda: g.DeleteRecursively(f"{root}/nope"), "nope not found")]:
        with pytest.raises(df.errors.NotFoundError, match=message):
            call()
    if root.startswith("/"):  # fsspec's memory filesystem has no real parents to check
        with pytest.raises(df.errors.NotFoundError, match="y; No such file or directory"):
            g.MkDir(f"{root}/x/y")
