"""TF1's queue-based input pipelines: producers, readers, batching functions, QueueRunners started with a
Coordinator. Every record comes once per epoch, the end of input is an OutOfRangeError, and the threads end."""
import numpy as np
import pytest

import daskflow as df
from daskflow.readers import TextLineReader
from daskflow.train import input as tin
from daskflow.train.coordinator import Coordinator
from daskflow.train.queue_runner import QUEUE_RUNNERS, start_queue_runners


@pytest.fixture(autouse=True)
def graph():
    with df.Graph().as_default() as g:
        yield g


def _session():
    return df.Session(config=df.ConfigProto(operation_timeout_in_ms=5000))


def _drain(fetch, init=()):
    """Run ``fetch`` until OutOfRangeError, with the graph's queue runners started; the values, in order."""
    got = []
    with _session() as sess:
        sess.run([df.global_variables_initializer(), df.local_variables_initializer(), *init])
        coord = Coordinator()
        threads = start_queue_runners(sess, coord)
        try:
            while not coord.should_stop():
                got.append(sess.run(fetch))
        except df.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)
    return got


def _csv_files(tmp_path, n_files=3, rows=7):
    files, rng = [], np.random.default_rng(0)
    for i in range(n_files):
        path = tmp_path / f"part{i}.csv"
        lines = ["x,y"]
        for j in range(rows):
            x = rng.normal()
            lines.append(f"{i * rows + j},{x:.6f},{3.0 * x - 1.0:.6f}")
        path.write_text("\n".join(lines) + "\n")
        files.append(str(path))
    return files


def test_classic_csv_pipeline_trains_and_sees_every_record_once_per_epoch(tmp_path):
    files = _csv_files(tmp_path)
    filenames = tin.string_input_producer(files, num_epochs=2, shuffle=True, seed=3)
    _, line = TextLineReader(skip_header_lines=1).read(filenames)
    ident, x, y = df.decode_csv(line, [[0], [0.0], [0.0]])
    ids, xs, ys = tin.shuffle_batch([ident, x, y], batch_size=4, capacity=20, min_after_dequeue=6,
                                    num_threads=2, seed=4, allow_smaller_final_batch=True)
    w, b = df.Variable(0.0), df.Variable(0.0)
    loss = df.reduce_mean(df.square(w * xs + b - ys))
    train = df.train.GradientDescentOptimizer(0.3).minimize(loss)
    steps = _drain([ids, loss, train])
    seen = np.concatenate([s[0] for s in steps])
    assert sorted(seen.tolist()) == sorted(list(range(21)) * 2)
    assert all(len(s[0]) <= 4 for s in steps) and sum(len(s[0]) == 4 for s in steps) >= 9
    assert steps[-1][1] < steps[0][1]


def test_string_producer_in_order_then_closed():
    q = tin.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
    assert q.name == "input_producer"
    assert _drain(q.dequeue()) == [b"a", b"b", b"c", b"a", b"b", b"c"]
    with pytest.raises(ValueError, match="non-null input tensor"):
        tin.string_input_producer([])


def test_shuffled_producer_shuffles_within_each_epoch():
    q = tin.range_input_producer(10, num_epochs=3, shuffle=True, seed=1)
    got = [int(v) for v in _drain(q.dequeue())]
    epochs = [got[i * 10:(i + 1) * 10] for i in range(3)]
    assert len(got) == 30 and all(sorted(e) == list(range(10)) for e in epochs)
    assert any(e != list(range(10)) for e in epochs)


def test_batch_full_and_smaller_final_batch():
    n = tin.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
    assert tin.batch([n], 4).name == "batch:0"
    with df.Graph().as_default():
        n = tin.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
        batches = _drain(tin.batch([n], 4))
        assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]  # the last 2 never make a batch
    with df.Graph().as_default():
        n = tin.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
        out = tin.batch([n], 4, allow_smaller_final_batch=True)
        assert out.shape.as_list() == [None]
        assert [b.tolist() for b in _drain(out)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batch_structures_names_and_collection(graph):
    n = tin.range_input_producer(6, num_epochs=1, shuffle=False).dequeue()
    out = tin.batch({"n": n, "sq": n * n}, 3)
    assert sorted(out) == ["n", "sq"] and out["n"].shape.as_list() == [3]
    assert [qr.name for qr in graph.get_collection(QUEUE_RUNNERS)] == ["input_producer", "batch/fifo_queue"]
    got = _drain(out)
    assert [g["sq"].tolist() for g in got] == [[0, 1, 4], [9, 16, 25]]


def test_batch_enqueue_many_and_dynamic_pad():
    rows = tin.slice_input_producer([np.arange(6), np.arange(6) * 10], num_epochs=1, shuffle=False)
    pairs = _drain(tin.batch(rows, 2, enqueue_many=False))
    assert [p[1].tolist() for p in pairs] == [[0, 10], [20, 30], [40, 50]]
    with df.Graph().as_default():
        n = tin.range_input_producer(4, num_epochs=1, shuffle=False).dequeue()
        ragged = df.range(n + 1)  # lengths 1..4
        padded = _drain(tin.batch([ragged], 2, dynamic_pad=True))
        assert [p.tolist() for p in padded] == [[[0, 0], [0, 1]], [[0, 1, 2, 0], [0, 1, 2, 3]]]
    with df.Graph().as_default():
        chunks = tin.input_producer(np.arange(12).reshape(4, 3), num_epochs=1, shuffle=False).dequeue()
        out = _drain(tin.batch([chunks], 4, enqueue_many=True, allow_smaller_final_batch=True))
        assert np.concatenate(out).tolist() == list(range(12))


def test_slice_input_producer_keeps_rows_together():
    a, b = tin.slice_input_producer([np.arange(8), np.arange(8) * 2.0], num_epochs=2, shuffle=True, seed=5)
    got = _drain([a, b])
    assert len(got) == 16 and all(float(y) == 2.0 * x for x, y in got)
    assert sorted(int(x) for x, _ in got) == sorted(list(range(8)) * 2)


def test_batch_join_and_maybe_batch():
    qa = tin.range_input_producer(3, num_epochs=1, shuffle=False).dequeue()
    qb = tin.range_input_producer(3, num_epochs=1, shuffle=False).dequeue() + 100
    got = _drain(tin.batch_join([[qa], [qb]], 2, allow_smaller_final_batch=True))
    assert sorted(np.concatenate(got).tolist()) == [0, 1, 2, 100, 101, 102]
    with df.Graph().as_default():
        n = tin.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
        evens = tin.maybe_batch([n], df.equal(n % 2, 0), 2, allow_smaller_final_batch=True)
        assert np.concatenate(_drain(evens)).tolist() == [0, 2, 4, 6, 8]
    with df.Graph().as_default():
        block = tin.input_producer(np.arange(12).reshape(3, 4), num_epochs=1, shuffle=False).dequeue()
        kept = tin.maybe_shuffle_batch([block], 2, 10, 0, block > 5, enqueue_many=True, seed=1,
                                       allow_smaller_final_batch=True)
        assert sorted(np.concatenate(_drain(kept)).tolist()) == [6, 7, 8, 9, 10, 11]
    with pytest.raises(ValueError, match="cannot be a vector"):
        tin.maybe_batch([df.constant(1)], [True], 2)


def test_shuffle_batch_join_mixes_both_inputs():
    qa = tin.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()
    qb = tin.range_input_producer(5, num_epochs=1, shuffle=False).dequeue() + 10
    got = np.concatenate(_drain(tin.shuffle_batch_join([[qa], [qb]], 3, 8, 2, seed=2,
                                                       allow_smaller_final_batch=True)))
    assert sorted(got.tolist()) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    with pytest.raises(ValueError, match="capacity 5 must be bigger than min_after_dequeue 5."):
        tin.shuffle_batch([qa], 2, 5, 5)


def test_limit_epochs_and_match_filenames_once(tmp_path):
    x = tin.limit_epochs(df.constant([1, 2]), num_epochs=2)
    with _session() as sess:
        sess.run(df.local_variables_initializer())
        assert sess.run(x).tolist() == [1, 2] and sess.run(x).tolist() == [1, 2]
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(x)
    with pytest.raises(ValueError, match="num_epochs must be > 0 not 0."):
        tin.limit_epochs(df.constant(1), 0)
    for name in ["b.csv", "a.csv", "c.txt"]:
        (tmp_path / name).write_text("")
    files = tin.match_filenames_once(str(tmp_path / "*.csv"))
    with _session() as sess:
        sess.run(df.local_variables_initializer())
        assert sess.run(files).tolist() == [str(tmp_path / "a.csv").encode(), str(tmp_path / "b.csv").encode()]
