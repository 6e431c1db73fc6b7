"""``df.train.Saver`` and checkpoint management: variables (optimizer slots and the global step included) restore
into a fresh Session and a fresh process with identical values, so training resumes exactly; checkpoints are kept
and deleted as TF keeps them; a restore checks names, shapes and dtypes first and verifies every chunk's checksum,
changing no variable when anything is wrong; a saving process killed at any point leaves the previous checkpoint
loadable; on a cluster, blocks are written and read by the workers holding them."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import daskflow as df


def _model(seed=0):
    """A small MLP trained by Adam with a global step: its feed, train op, loss and variables."""
    rng = np.random.default_rng(seed)
    x = df.placeholder(df.float64, [None, 6], name="x")
    y = df.placeholder(df.int64, [None], name="y")
    with df.name_scope("layer1"):
        W1 = df.Variable(rng.standard_normal((6, 8)) * 0.5, name="W")
        b1 = df.Variable(np.zeros(8), name="b")
    W2 = df.Variable(rng.standard_normal((8, 3)) * 0.5, name="W2")
    logits = df.matmul(df.nn.relu(df.matmul(x, W1) + b1), W2, name="logits")
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = df.train.get_or_create_global_step()
    train = df.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
    return x, y, train, loss, step


BATCHES = [(np.random.default_rng(i).standard_normal((16, 6)), np.random.default_rng(i).integers(0, 3, 16))
           for i in range(8)]


def _losses(s, x, y, train, loss, batches):
    return [s.run([train, loss], {x: xb, y: yb})[1] for xb, yb in batches]


def _started(s, model, n):
    """``s`` initialised and trained on the first ``n`` batches; their losses."""
    x, y, train, loss, step = model
    s.run(df.global_variables_initializer())
    return _losses(s, x, y, train, loss, BATCHES[:n])


def test_training_resumes_exactly_from_a_checkpoint(tmp_path):
    with df.Graph().as_default():
        x, y, train, loss, step = _model()
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            want = _losses(s, x, y, train, loss, BATCHES)
            want_state = s.run(df.global_variables())
    with df.Graph().as_default():
        x, y, train, loss, step = _model()
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            first = _losses(s, x, y, train, loss, BATCHES[:4])
            path = saver.save(s, str(tmp_path / "model.ckpt"), global_step=step, write_meta_graph=False)
        assert path == str(tmp_path / "model.ckpt-4")
        with df.Session() as s:  # a fresh Session: nothing initialised, everything restored
            saver.restore(s, df.train.latest_checkpoint(str(tmp_path)))
            assert s.run(step) == 4
            rest = _losses(s, x, y, train, loss, BATCHES[4:])
            state = s.run(df.global_variables())
    np.testing.assert_array_equal(first + rest, want)  # step by step, the same as uninterrupted training
    for a, b in zip(state, want_state):
        np.testing.assert_array_equal(a, b)


def test_a_fresh_process_restores_identical_values(tmp_path):
    script = textwrap.dedent(f"""
        import sys, json
        import numpy as np
        import daskflow as df
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_saver import _model, _losses, BATCHES
        x, y, train, loss, step = _model()
        saver = df.train.Saver()
        with df.Session() as s:
            saver.restore(s, df.train.latest_checkpoint(sys.argv[1]))
            print(json.dumps({{"losses": [float(v) for v in _losses(s, x, y, train, loss, BATCHES[4:])],
                               "step": int(s.run(step))}}))
    """)
    with df.Graph().as_default():
        x, y, train, loss, step = model = _model()
        saver = df.train.Saver()
        with df.Session() as s:
            _started(s, model, 4)
            saver.save(s, str(tmp_path / "model.ckpt"), global_step=step, write_meta_graph=False)
            want = [float(v) for v in _losses(s, x, y, train, loss, BATCHES[4:])]
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["step"] == 8 and got["losses"] == want


def _counter_graph(n=3, shape=(4, 5)):
    vs = [df.Variable(np.zeros(shape), name=f"v{i}") for i in range(n)]
    return vs


def test_checkpoints_are_kept_and_deleted_as_tf_keeps_them(tmp_path):
    with df.Graph().as_default():
        v = df.Variable(0.0, name="v")
        bump = v.assign_add(1.0)
        saver = df.train.Saver(max_to_keep=2)
        with df.Session() as s:
            s.run(v.initializer)
            for i in range(1, 5):
                s.run(bump)
                saver.save(s, str(tmp_path / "m"), global_step=i, write_meta_graph=False)
        assert saver.last_checkpoints == [str(tmp_path / "m-3"), str(tmp_path / "m-4")]
        assert not df.train.checkpoint_exists(str(tmp_path / "m-2"))
        assert df.train.checkpoint_exists(str(tmp_path / "m-3"))
        assert not [f for f in os.listdir(tmp_path) if f.startswith(("m-1", "m-2"))]  # data deleted too
        state = df.train.get_checkpoint_state(str(tmp_path))
        assert state.model_checkpoint_path == str(tmp_path / "m-4")
        assert list(state.all_model_checkpoint_paths) == [str(tmp_path / "m-3"), str(tmp_path / "m-4")]
        assert 'model_checkpoint_path: "m-4"' in (tmp_path / "checkpoint").read_text()  # relative, as TF writes
        assert df.train.load_variable(str(tmp_path), "v") == 4.0
        assert df.train.load_variable(str(tmp_path / "m-3"), "v:0") == 3.0
        assert df.train.latest_checkpoint(str(tmp_path / "nowhere")) is None


def test_names_shapes_and_dtypes_of_a_checkpoint(tmp_path):
    with df.Graph().as_default():
        a = df.Variable(np.arange(6, dtype="int32").reshape(2, 3), name="scope/a")
        b = df.Variable(np.array([True, False]), name="b")
        c = df.Variable(np.float16(1.5), name="c")
        saver = df.train.Saver({"renamed/a": a, "b": b, "c": c})
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
    assert df.train.list_variables(prefix) == [("b", [2]), ("c", []), ("renamed/a", [2, 3])]
    reader = df.train.NewCheckpointReader(prefix)
    assert reader.get_variable_to_dtype_map() == {"b": np.dtype(bool), "c": np.dtype("float16"),
                                                  "renamed/a": np.dtype("int32")}
    np.testing.assert_array_equal(reader.get_tensor("renamed/a"), np.arange(6).reshape(2, 3))
    assert reader.has_tensor("b") and not reader.has_tensor("a")
    with pytest.raises(df.errors.NotFoundError, match="Key a not found"):
        reader.get_tensor("a")
    manifest = json.loads((tmp_path / "ckpt.manifest.json").read_text())
    assert manifest["variables"]["renamed/a"]["dtype"] == "int32" and manifest["variables"]["c"]["shape"] == []


def _two_vars():
    return df.Variable(np.ones((3, 4)), name="w"), df.Variable(np.zeros(4, "float32"), name="b")


def test_a_mismatched_restore_lists_every_problem_and_changes_nothing(tmp_path):
    with df.Graph().as_default():
        w, b = _two_vars()
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
    with df.Graph().as_default():
        w = df.Variable(np.full((4, 4), 7.0), name="w")  # another shape
        b = df.Variable(np.full(4, 7.0), name="b")  # float64, saved float32
        extra = df.Variable(7.0, name="extra")  # not in the checkpoint
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            with pytest.raises(df.errors.InvalidArgumentError) as e:
                saver.restore(s, prefix)
            msg = str(e.value)
            assert "variable w: shape (4, 4)" in msg and "variable b: dtype float64" in msg and \
                "Key extra not found" in msg and "no variable was changed" in msg
            np.testing.assert_array_equal(s.run(w), np.full((4, 4), 7.0))
            assert s.run(extra) == 7.0
            with pytest.raises(df.errors.NotFoundError, match="not a valid checkpoint"):
                saver.restore(s, str(tmp_path / "missing"))


def test_a_corrupted_chunk_is_detected_and_changes_nothing(tmp_path):
    with df.Graph().as_default(), df.config.set(chunk_bytes=64):
        w, b = _two_vars()
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
            manifest = json.loads((tmp_path / "ckpt.manifest.json").read_text())
            entry = manifest["variables"]["w"]
            assert len(entry["checksums"]) > 1  # several chunks, each with its checksum
            # a chunk whose bytes changed on disk (a bit flipped in storage: zarr still decodes it)
            import zarr
            arr = zarr.open_array(str(tmp_path / manifest["data"] / entry["key"]), mode="r+")
            arr[0, 0] = 5.0
            s.run([w.assign(w * 2), b.assign(b + 1)])
            with pytest.raises(df.errors.DataLossError, match=r"chunk 0\.0 of variable 'w'"):
                saver.restore(s, prefix)
            np.testing.assert_array_equal(s.run(w), np.full((3, 4), 2.0))  # not restored: as it was
            np.testing.assert_array_equal(s.run(b), np.ones(4))


def test_saving_an_uninitialised_variable_is_an_error(tmp_path):
    with df.Graph().as_default():
        w, b = _two_vars()
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(w.initializer)
            with pytest.raises(df.errors.FailedPreconditionError, match=r"uninitialized value\(s\) \['b'\]"):
                saver.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
        assert not df.train.checkpoint_exists(str(tmp_path / "ckpt")) and os.listdir(tmp_path) == []
        with pytest.raises(ValueError, match="No variables to save"):
            with df.Graph().as_default():
                df.train.Saver()


def test_init_from_checkpoint(tmp_path):
    with df.Graph().as_default():
        with df.name_scope("old"):
            w, b = _two_vars()
        s_ = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            s.run(w.assign(w * 3))
            s_.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
    with df.Graph().as_default():
        with df.name_scope("new"):
            w2, b2 = _two_vars()
        other = df.Variable(5.0, name="other")
        df.train.init_from_checkpoint(str(tmp_path), {"old/": "new/"})
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            np.testing.assert_array_equal(s.run(w2), np.full((3, 4), 3.0))
            assert s.run(other) == 5.0
        with pytest.raises(df.errors.NotFoundError, match="old/missing"):
            df.train.init_from_checkpoint(str(tmp_path), {"old/missing": other})


KILLED_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import daskflow as df
    vs = [df.Variable(np.zeros((256, 512)), name=f"v{i}") for i in range(6)]
    value = df.placeholder(df.float64, [])
    set_all = df.group(*[v.assign(df.fill([256, 512], value)) for v in vs])
    saver = df.train.Saver(max_to_keep=2)
    with df.config.set(chunk_bytes=2**18), df.Session() as s:
        s.run(df.global_variables_initializer())
        saver.save(s, sys.argv[1] + "/m", global_step=0, write_meta_graph=False)
        print("ready", flush=True)
        for step in range(1, 10**6):
            s.run(set_all, {value: float(step)})
            saver.save(s, sys.argv[1] + "/m", global_step=step, write_meta_graph=False)
""")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.13, 0.31, 0.57, 0.8, 1.1])
def test_a_saving_process_killed_at_any_point_leaves_a_loadable_checkpoint(tmp_path, delay):
    """The saving process is killed (SIGKILL) at several moments of saving: the directory's latest checkpoint
    restores, every chunk's checksum holds and its values are one step's, and the previous checkpoint too."""
    p = subprocess.Popen([sys.executable, "-c", KILLED_SAVER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(delay)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    latest = df.train.latest_checkpoint(str(tmp_path))
    state = df.train.get_checkpoint_state(str(tmp_path))
    for prefix in list(state.all_model_checkpoint_paths):
        assert df.train.checkpoint_exists(prefix)
    step = int(latest.rsplit("-", 1)[1])
    with df.Graph().as_default():
        vs = _counter_graph(6, (256, 512))
        saver = df.train.Saver()
        with df.Session() as s:
            saver.restore(s, latest)
            for v in s.run(vs):
                np.testing.assert_array_equal(v, np.full((256, 512), float(step)))


@pytest.mark.distributed
@pytest.mark.slow
def test_on_a_cluster_blocks_are_written_and_read_by_the_workers(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from daskflow import remote
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client, df.config.set(chunk_bytes=256):
        with df.Graph().as_default():
            model = _model()
            step = model[-1]
            saver = df.train.Saver()
            with df.Session() as local:
                _started(local, model, 3)
                want = local.run(df.global_variables())
            with df.Session(client) as s:
                _started(s, model, 3)

                def no_gather(self):
                    raise AssertionError("a variable was gathered to the client")
                monkeypatch.setattr(remote.RemoteValue, "fetch", no_gather)
                with distributed.get_task_stream(client) as ts:
                    prefix = saver.save(s, str(tmp_path / "c"), global_step=step, write_meta_graph=False)
                writers = {r["worker"] for r in ts.data if r["key"].startswith("_write_block")}
                assert writers == set(client.scheduler_info()["workers"])  # both workers wrote their blocks
                manifest = json.loads((tmp_path / "c-3.manifest.json").read_text())
                assert len(manifest["variables"]["layer1/W"]["checksums"]) >= 2
            with df.Session(client) as s:  # restored on the cluster, read there
                with distributed.get_task_stream(client) as ts:
                    saver.restore(s, prefix)
                assert any(r["key"].startswith("_read_block") for r in ts.data)
                monkeypatch.undo()
                for a, b in zip(s.run(df.global_variables()), want):
                    np.testing.assert_allclose(a, b, rtol=1e-12)
        with df.Graph().as_default():  # and into a local Session
            x, y, train, loss, step = _model()
            with df.Session() as local:
                df.train.Saver().restore(local, prefix)
                for a, b in zip(local.run(df.global_variables()), want):
                    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_model_reloads_in_a_new_process_from_its_checkpoint_alone(tmp_path):
    """The graph comes back from the checkpoint's meta graph (written by ``save``), the values from the checkpoint:
    a new process that never built the model predicts what the trained one did."""
    with df.Graph().as_default():
        x, y, train, loss, step = _model()
        probs = df.nn.softmax(df.get_default_graph().get_tensor_by_name("logits:0"), name="probs")
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            _losses(s, x, y, train, loss, BATCHES[:3])
            prefix = saver.save(s, str(tmp_path / "model.ckpt"), global_step=step)
            want = s.run(probs, {x: BATCHES[5][0]})
    np.save(tmp_path / "x.npy", BATCHES[5][0])
    script = textwrap.dedent("""
        import sys, json
        import numpy as np
        import daskflow as df
        saver = df.train.import_meta_graph(sys.argv[1] + ".meta")
        with df.Session() as s:
            saver.restore(s, sys.argv[1])
            out = s.run("probs:0", {"x:0": np.load(sys.argv[2], allow_pickle=False)})
        print(json.dumps(out.tolist()))
    """)
    out = subprocess.run([sys.executable, "-c", script, prefix, str(tmp_path / "x.npy")], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.array(json.loads(out.stdout.strip().splitlines()[-1])), want)


def test_string_variables_and_a_chunk_file_that_no_longer_decodes(tmp_path):
    with df.Graph().as_default():
        words = df.Variable(np.array([b"alpha", b"", b"\xff\x00z"], dtype=object), name="words")
        w = df.Variable(np.arange(12.0).reshape(3, 4), name="w")
        saver = df.train.Saver()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
        assert df.train.load_variable(prefix, "words").tolist() == [b"alpha", b"", b"\xff\x00z"]
        manifest = json.loads((tmp_path / "ckpt.manifest.json").read_text())
        assert manifest["variables"]["words"]["dtype"] == "string"
        # a byte of w's stored (compressed) chunk flipped on disk
        chunk = next(p for p in (tmp_path / manifest["data"] / manifest["variables"]["w"]["key"]).rglob("*")
                     if p.is_file() and p.name != "zarr.json")
        data = bytearray(chunk.read_bytes())
        data[len(data) // 2] ^= 0xFF
        chunk.write_bytes(bytes(data))
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            s.run(w.assign(w + 100))
            with pytest.raises(df.errors.DataLossError, match="variable 'w'"):
                saver.restore(s, prefix)
            np.testing.assert_array_equal(s.run(w), np.arange(12.0).reshape(3, 4) + 100)
            assert s.run(words).tolist() == [b"alpha", b"", b"\xff\x00z"]


def test_one_checkpoint_per_n_hours_is_kept_for_good(tmp_path):
    """With ``keep_checkpoint_every_n_hours`` (here a few microseconds), a checkpoint leaving the ``max_to_keep``
    window is kept on disk when the period has passed since the last one kept, as TF keeps them."""
    with df.Graph().as_default():
        v = df.Variable(0.0, name="v")
        saver = df.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1e-9)
        with df.Session() as s:
            s.run(v.initializer)
            for i in range(3):
                time.sleep(0.01)
                saver.save(s, str(tmp_path / "m"), global_step=i, write_meta_graph=False)
        assert saver.last_checkpoints == [str(tmp_path / "m-2")]
        assert all(df.train.checkpoint_exists(str(tmp_path / f"m-{i}")) for i in range(3))
        kept = df.train.Saver(max_to_keep=1)
        with df.Session() as s:
            s.run(v.initializer)
            for i in range(3, 6):
                kept.save(s, str(tmp_path / "m"), global_step=i, write_meta_graph=False)
        assert [df.train.checkpoint_exists(str(tmp_path / f"m-{i}")) for i in range(3, 6)] == [False, False, True]
