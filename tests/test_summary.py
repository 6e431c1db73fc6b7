"""TF1's summaries (``df.summary``): the summary ops' values against TensorFlow 1.x's for the same programs
(``tests/fixtures/tf1/make_summary_fixtures.py``), histograms computed chunk by chunk, tags with name scopes and
families, collections, errors, and event files written by ``FileWriter`` and read back with TensorBoard's own
loader."""
import io
import json
import os
import pathlib
import sys

import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.graph_def import make_ndarray
from daskflow.summary import kernels
from daskflow.summary.writer import summary_iterator
from daskflow.testing import BlockCounter, SweepCase

pytest.importorskip("tensorboard")
from PIL import Image  # noqa: E402 - tensorboard's dependency
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.compat.proto import config_pb2, event_pb2, graph_pb2, meta_graph_pb2, node_def_pb2  # noqa: E402

TESTED_OPS = {"ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummaryV2", "TensorSummaryV2", "MergeSummary"}

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "tf1"
sys.path.insert(0, str(FIXTURES))
import make_summary_fixtures as tf1_cases  # noqa: E402

with open(FIXTURES / "summary" / "summaries.json") as _f:
    TF1 = json.load(_f)["cases"]


def parse(value):
    return df.summary.Summary.FromString(value)


def pixels(encoded):
    with Image.open(io.BytesIO(encoded)) as im:
        return np.asarray(im)


def assert_values_equal(got, want):
    """Two ``Summary.Value``s agree: tags, then histograms (sums to rounding), decoded images, and all else exactly
    (audio's WAV bytes included)."""
    assert got.tag == want.tag
    if want.HasField("histo"):
        g, w = got.histo, want.histo
        assert (g.min, g.max, g.num) == (w.min, w.max, w.num)
        assert list(g.bucket_limit) == list(w.bucket_limit) and list(g.bucket) == list(w.bucket)
        np.testing.assert_allclose([g.sum, g.sum_squares], [w.sum, w.sum_squares], rtol=1e-12)
    elif want.HasField("image"):
        g, w = got.image, want.image
        assert (g.height, g.width, g.colorspace) == (w.height, w.width, w.colorspace)
        np.testing.assert_array_equal(pixels(g.encoded_image_string), pixels(w.encoded_image_string))
    else:
        assert got == want


# -- values, names and tags as TF1's

@pytest.mark.parametrize("case", sorted(tf1_cases.CASES))
def test_summaries_match_tf1(case):
    with df.Graph().as_default():
        ops = tf1_cases.CASES[case](df, tf1_cases.inputs())
        with df.Session() as sess:
            values = sess.run(ops)
    want = TF1[case]
    assert [t.name for t in ops] == [w["name"] for w in want]
    for t, v, w in zip(ops, values, want):
        assert t.dtype == df.string and t.shape == () and type(v) is bytes
        got, exp = parse(v), parse(bytes.fromhex(w["summary"]))
        assert [x.tag for x in got.value] == [x.tag for x in exp.value], t.name
        for g, e in zip(got.value, exp.value):
            assert_values_equal(g, e)


def test_tags_follow_name_scopes_and_families():
    with df.Graph().as_default():
        with df.name_scope("scope"):
            a = df.summary.scalar("loss", 1.0)
            b = df.summary.scalar("loss", 1.0, family="fam")
        c = df.summary.histogram("a b!", [1.0])
        with df.Session() as sess:
            tags = [parse(v).value[0].tag for v in sess.run([a, b, c])]
    assert [a.op.name, b.op.name, c.op.name] == ["scope/loss", "scope/fam/loss", "a_b_"]
    assert tags == ["scope/loss", "fam/scope/fam/loss", "a_b_"]
    assert a.op.type == "ScalarSummary" and c.op.type == "HistogramSummary"


@pytest.mark.parametrize("chunks", [300, 7, 1])
def test_histogram_of_a_chunked_tensor_is_tf1s(chunks):
    spread = tf1_cases.inputs()["spread"]
    with df.Graph().as_default():
        x = df.placeholder(df.float32, [None])
        h = df.summary.histogram("spread", x)
        with df.Session() as sess:
            got = parse(sess.run(h, {x: da.from_array(spread, chunks=chunks)}))
    assert_values_equal(got.value[0], parse(bytes.fromhex(TF1["histograms"][0]["summary"])).value[0])


def test_histogram_reads_each_chunk_once_and_holds_few():
    data = np.random.default_rng(3).standard_normal((400, 30))
    src = BlockCounter(data)
    with df.Graph().as_default():
        x = df.data.from_dask(da.from_array(src, chunks=(10, 30), asarray=False, meta=np.empty((0, 0))))
        h = df.summary.histogram("big", x)
        with df.Session(scheduler="sync") as sess:
            histo = parse(sess.run(h)).value[0].histo
    assert src.reads == 40 and src.peak <= 2, f"{src.peak} of 40 blocks in memory at once"
    assert (histo.min, histo.max, histo.num) == (data.min(), data.max(), data.size)
    np.testing.assert_allclose([histo.sum, histo.sum_squares], [data.sum(), (data ** 2).sum()], rtol=1e-12)
    assert sum(histo.bucket) == data.size


def test_histogram_of_a_scalar_and_of_ints():
    with df.Graph().as_default():
        one = df.summary.histogram("one", 2.5)
        ints = df.summary.histogram("ints", df.constant([[3, 3], [0, -7]], df.int32))
        with df.Session() as sess:
            h1, h2 = (parse(v).value[0].histo for v in sess.run([one, ints]))
    assert (h1.min, h1.max, h1.num, h1.sum, h1.sum_squares) == (2.5, 2.5, 1, 2.5, 6.25)
    assert sum(h1.bucket) == 1 and h1.bucket_limit[list(h1.bucket).index(1)] > 2.5
    # TF1's values for this int tensor
    assert (h2.min, h2.max, h2.num, h2.sum, h2.sum_squares) == (-7, 3, 4, -1, 67)
    assert list(h2.bucket) == [0, 1, 0, 1, 0, 2, 0]
    np.testing.assert_array_equal(h2.bucket_limit, [-7.4666377932988732, -6.7878525393626115, 0, 1e-12,
                                                   2.8787120958073054, 3.1665833053880363, sys.float_info.max])


def test_histogram_buckets_are_tfs():
    limits = kernels.bucket_limits()
    assert limits[0] == -sys.float_info.max and limits[-1] == sys.float_info.max
    mid = len(limits) // 2
    assert limits[mid] == 0.0 and limits[mid + 1] == 1e-12 and np.all(np.diff(limits) > 0)
    np.testing.assert_allclose(limits[mid + 2:-1] / limits[mid + 1:-2], 1.1, rtol=1e-12)
    assert limits[-2] < 1e20 <= limits[-2] * 1.1
    empty = kernels.histogram_proto(kernels.histogram_combine([kernels.histogram_chunk(np.zeros(0))]))
    assert (empty.min, empty.max, empty.num) == (sys.float_info.max, -sys.float_info.max, 0)  # TF's empty histogram
    assert list(empty.bucket_limit) == [sys.float_info.max] and list(empty.bucket) == [0.0]


def test_image_float_scaling_and_bad_pixels():
    img = np.array([[[0.0], [0.5]], [[1.0], [2.0]]], np.float32)
    np.testing.assert_array_equal(kernels.to_uint8(img, (255, 0, 0, 255))[..., 0], [[0, 63], [127, 255]])
    signed = np.array([[[-1.0], [0.5]], [[1.0], [0.2]]], np.float32)
    np.testing.assert_array_equal(kernels.to_uint8(signed, (255, 0, 0, 255))[..., 0], [[1, 191], [255, 153]])
    bad = np.array([[[np.nan, 0, 0]], [[0.5, 0.2, 1.0]]], np.float32)
    np.testing.assert_array_equal(kernels.to_uint8(bad, (255, 0, 0, 255)), [[[255, 0, 0]], [[127, 51, 255]]])
    np.testing.assert_array_equal(kernels.to_uint8(np.full((1, 2, 1), 1e-7, np.float32), (0, 0, 0, 0)), 0)


def test_text_and_tensor_summaries():
    with df.Graph().as_default():
        t = df.summary.text("greeting", df.constant(["hello", "wörld"]))
        ts = df.summary.tensor_summary("ints", df.constant([[1, 2], [3, 4]], df.int64), display_name="shown")
        with df.Session() as sess:
            vt, vs = (parse(v).value[0] for v in sess.run([t, ts]))
    assert vt.metadata.plugin_data.plugin_name == "text"
    assert make_ndarray(vt.tensor).tolist() == [b"hello", "wörld".encode()]
    assert vs.metadata.display_name == "shown" and vs.tensor.dtype == 9  # DT_INT64
    np.testing.assert_array_equal(make_ndarray(vs.tensor), [[1, 2], [3, 4]])


# -- collections and merging

def test_merge_all_collects_by_collection_and_scope():
    with df.Graph().as_default() as g:
        with df.name_scope("train"):
            a = df.summary.scalar("loss", 1.0)
            b = df.summary.histogram("w", [1.0, 2.0])
        with df.name_scope("eval"):
            c = df.summary.scalar("acc", 0.5, collections=["eval_summaries"])
        d = df.summary.scalar("hidden", 2.0, collections=[])
        assert g.get_collection(df.GraphKeys.SUMMARIES) == [a, b]
        assert g.get_collection("eval_summaries") == [c]
        all_ = df.summary.merge_all()
        train = df.summary.merge_all(scope="train")
        ev = df.summary.merge_all("eval_summaries", name="ev")
        assert df.summary.merge_all(scope="nothing") is None and df.summary.merge_all("none") is None
        m = df.summary.merge([a, d], collections=["merged"])
        assert g.get_collection("merged") == [m] and m not in g.get_collection(df.GraphKeys.SUMMARIES)
        assert all_.op.type == "MergeSummary" and list(all_.op.inputs) == [a, b]
        assert list(train.op.inputs) == [a, b] and list(ev.op.inputs) == [c]
        assert (all_.op.name, train.op.name, ev.op.name, m.op.name) == \
            ("Merge/MergeSummary", "Merge_1/MergeSummary", "ev/ev", "Merge_2/MergeSummary")
        with df.Session() as sess:
            tags = [[v.tag for v in parse(s).value] for s in sess.run([all_, ev, m])]
    assert tags == [["train/loss", "train/w"], ["eval/acc"], ["train/loss", "hidden"]]
    assert df.summary.all_v2_summary_ops() == []


# -- errors, with TF1's classes and messages

@pytest.mark.parametrize("build, cls, match", [
    (lambda: df.summary.scalar("s", df.constant([1.0, 2.0])), df.errors.InvalidArgumentError,
     r"tags and values are not the same shape: \[\] != \[2\] \(tag 's'\)"),
    (lambda: df.summary.scalar("s", df.constant(True)), TypeError,
     "Value passed to parameter 'values' has DataType bool not in list of allowed values"),
    (lambda: df.summary.histogram("h", df.constant("a")), TypeError, "has DataType string not in list"),
    (lambda: df.summary.image("i", df.zeros([4, 5, 3])), df.errors.InvalidArgumentError,
     r"Tensor must be 4-D with last dim 1, 3, or 4, not \[4,5,3\]"),
    (lambda: df.summary.image("i", df.zeros([1, 4, 5, 2])), df.errors.InvalidArgumentError,
     r"Tensor must be 4-D with last dim 1, 3, or 4, not \[1,4,5,2\]"),
    (lambda: df.summary.image("i", df.zeros([1, 4, 5, 3], df.int32)), TypeError,
     "allowed values: uint8, float32, float16, float64"),
    (lambda: df.summary.image("i", df.zeros([1, 4, 5, 3]), max_outputs=0), ValueError,
     "Attr 'max_images' of 'ImageSummary' Op passed 0 less than minimum 1."),
    (lambda: df.summary.audio("a", df.zeros([4]), 8000), df.errors.InvalidArgumentError,
     r"Tensor must be 3-D or 2-D, got: \[4\]"),
    (lambda: df.summary.audio("a", df.zeros([2, 4], df.int32), 8000), TypeError,
     "Input 'tensor' of 'AudioSummaryV2' Op has type int32 that does not match expected type of float32."),
    (lambda: df.summary.audio("a", df.zeros([2, 4]), df.constant(5)), ValueError,
     "Tensor conversion requested dtype float32"),
    (lambda: df.summary.text("t", df.constant(1.0)), ValueError, "Expected tensor Const:0 to have dtype string"),
    (lambda: df.summary.merge([]), ValueError, "List argument 'inputs' to 'MergeSummary' Op with length 0"),
    (lambda: df.summary.merge([df.constant(1.0)]), TypeError,
     r"Tensors in list passed to 'inputs' of 'MergeSummary' Op have types \[float32\]"),
])
def test_build_errors(build, cls, match):
    with df.Graph().as_default():
        with pytest.raises(cls, match=match):
            build()


@pytest.mark.parametrize("build, feed, match", [
    (lambda p: df.summary.scalar("s", p), [1.0, 2.0], r"tags and values are not the same shape: \[\] != \[2\]"),
    (lambda p: df.summary.histogram("hn", p), [1.0, np.nan], "Nan in summary histogram for: hn"),
    (lambda p: df.summary.histogram("hi", p), [1.0, -np.inf], "Infinity in Histogram for: hi"),
    (lambda p: df.summary.image("i", p), np.zeros((4, 5, 3), np.float32),
     r"4-D with last dim 1, 3, or 4, not \[4,5,3\]"),
    (lambda p: df.summary.image("i", p), np.zeros((1, 4, 0, 3), np.float32),
     r"input tensor must have non-zero dims. Found: \[1, 4, 0, 3\]."),
    (lambda p: df.summary.audio("a", p, 0.0), np.zeros((1, 4), np.float32), "sample_rate must be > 0"),
    (lambda p: df.summary.merge([df.summary.scalar("same", p, collections=[])] * 2), 1.0,
     "Duplicate tag same found in summary inputs"),
    (lambda p: df.summary.merge([df.as_string(p)]), 1.0, "Could not parse one of the summary inputs"),
])
def test_run_errors(build, feed, match):
    with df.Graph().as_default():
        p = df.placeholder(df.float32)
        s = build(p)
        with df.Session() as sess, pytest.raises(df.errors.InvalidArgumentError, match=match):
            sess.run(s, {p: feed})


def test_summary_description():
    node = node_def_pb2.NodeDef(name="t", op="TensorSummary")
    node.attr["description"].s = b'{"typeHint": "image"}'
    assert df.summary.get_summary_description(node) == df.summary.SummaryDescription(type_hint="image")
    with df.Graph().as_default():
        t = df.summary.tensor_summary("t", 1.0)
        with pytest.raises(ValueError, match="Can't get_summary_description on TensorSummaryV2"):
            df.summary.get_summary_description(t.op.node_def)


# -- event files

def _event_file(logdir):
    files = sorted(pathlib.Path(logdir).glob("events.out.tfevents.*"))
    assert len(files) == 1, files
    return files[0]


def test_training_loop_writes_what_tensorboard_reads(tmp_path):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((32, 3)).astype(np.float32)
    ys = xs @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    picture = rng.integers(0, 256, (2, 4, 5, 3)).astype(np.uint8)
    clip = rng.uniform(-1, 1, (1, 100)).astype(np.float32)
    with df.Graph().as_default() as g:
        x = df.placeholder(df.float32, [None, 3], name="x")
        y = df.placeholder(df.float32, [None, 1], name="y")
        w = df.Variable(np.zeros((3, 1), np.float32), name="w")
        loss = df.reduce_mean(df.square(df.matmul(x, w) - y))
        train = df.train.GradientDescentOptimizer(0.1).minimize(loss)
        with df.name_scope("stats"):
            df.summary.scalar("loss", loss)
            df.summary.histogram("w", w)
        df.summary.image("picture", df.constant(picture), max_outputs=2)
        df.summary.text("note", df.constant("step done"))
        df.summary.audio("clip", df.constant(clip), 4000, max_outputs=1)
        merged = df.summary.merge_all()
        init = df.global_variables_initializer()
        losses, weights = [], []
        with df.Session() as sess, df.summary.FileWriter(tmp_path, sess.graph) as writer:
            sess.run(init)
            for step in range(4):
                s, lv, wv, _ = sess.run([merged, loss, w, train], {x: xs, y: ys})
                writer.add_summary(s, global_step=step)
                losses.append(lv)
                weights.append(wv)
            assert writer.get_logdir() == str(tmp_path)
    acc = EventAccumulator(str(tmp_path), size_guidance={k: 0 for k in
                                                         ("scalars", "histograms", "images", "audio", "tensors",
                                                          "compressedHistograms")})
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["stats/loss"] and tags["histograms"] == ["stats/w"]
    assert tags["images"] == ["picture/image/0", "picture/image/1"] and tags["audio"] == ["clip/audio"]
    assert tags["tensors"] == ["note"] and tags["graph"] and tags["meta_graph"]
    scalars = acc.Scalars("stats/loss")
    assert [e.step for e in scalars] == [0, 1, 2, 3]
    assert [e.value for e in scalars] == [float(np.float32(v)) for v in losses]
    for e, wv in zip(acc.Histograms("stats/w"), weights):
        h = e.histogram_value
        assert (h.min, h.max, h.num) == (wv.min(), wv.max(), wv.size)
        np.testing.assert_allclose([h.sum, h.sum_squares], [wv.sum(), (wv.astype(float) ** 2).sum()], rtol=1e-6)
    for i in range(2):
        images = acc.Images(f"picture/image/{i}")
        assert [e.step for e in images] == [0, 1, 2, 3]
        assert (images[0].height, images[0].width) == (4, 5)
        np.testing.assert_array_equal(pixels(images[0].encoded_image_string), picture[i])
    (note, *_), (sound, *_) = acc.Tensors("note"), acc.Audio("clip/audio")
    assert make_ndarray(note.tensor_proto) == b"step done"
    assert (sound.sample_rate, sound.length_frames, sound.content_type) == (4000, 100, "audio/wav")
    graph = acc.Graph()
    assert isinstance(graph, graph_pb2.GraphDef)
    assert sorted(n.name for n in graph.node) == sorted(op.name for op in g.get_operations())
    first = next(summary_iterator(_event_file(tmp_path)))
    assert first.file_version == "brain.Event:2"


def test_file_writer_events(tmp_path):
    run_metadata = config_pb2.RunMetadata()
    run_metadata.step_stats.dev_stats.add(device="/cpu:0")
    with df.Graph().as_default() as g:
        df.constant(1.0, name="c")
        s = df.summary.text("words", df.constant("a"))
        with df.Session() as sess:
            summary = sess.run(s)
    writer = df.summary.FileWriter(tmp_path / "run", filename_suffix=".v1", flush_secs=1)
    writer.add_summary(summary, 1)
    writer.add_summary(parse(summary), global_step=np.int64(2))  # a proto too; the tag's metadata only once
    writer.add_session_log(df.summary.SessionLog(status=df.summary.SessionLog.START), 3)
    writer.add_run_metadata(run_metadata, "step3", global_step=3)
    with pytest.raises(ValueError, match="The provided tag was already used for this event type"):
        writer.add_run_metadata(run_metadata, "step3")
    writer.add_graph(g.as_graph_def(), global_step=4)
    with pytest.raises(TypeError, match="must be an instance of `Graph` or the deprecated `GraphDef`"):
        writer.add_graph("graph")
    with pytest.raises(TypeError, match="meta_graph_def must be type MetaGraphDef"):
        writer.add_meta_graph(g.as_graph_def())
    writer.add_meta_graph(meta_graph_pb2.MetaGraphDef(graph_def=g.as_graph_def()), 5)
    writer.add_event(event_pb2.Event(step=6, wall_time=1.0))
    writer.close()
    writer.add_summary(summary, 7)  # dropped: the writer is closed
    path = _event_file(tmp_path / "run")
    assert path.name.endswith(".v1")
    events = list(summary_iterator(path))
    assert [e.step for e in events] == [0, 1, 2, 3, 3, 4, 5, 6]
    assert [e.WhichOneof("what") for e in events] == ["file_version", "summary", "summary", "session_log",
                                                      "tagged_run_metadata", "graph_def", "meta_graph_def", None]
    assert events[1].summary.value[0].HasField("metadata") and not events[2].summary.value[0].HasField("metadata")
    assert events[3].session_log.status == df.summary.SessionLog.START
    tagged = events[4].tagged_run_metadata
    assert isinstance(tagged, df.summary.TaggedRunMetadata) and tagged.tag == "step3"
    assert config_pb2.RunMetadata.FromString(tagged.run_metadata) == run_metadata
    assert [n.name for n in graph_pb2.GraphDef.FromString(events[5].graph_def).node] == ["c", "Const", "words"]
    assert events[7].wall_time == 1.0 and all(e.wall_time > 1e9 for e in events[:7])
    writer.reopen()  # a new file for what follows
    writer.add_summary(summary, 8)
    writer.flush()
    writer.close()
    assert len(list((tmp_path / "run").glob("events.out.tfevents.*"))) == 2


def test_file_writer_cache(tmp_path):
    with df.Graph().as_default() as g:
        df.constant(1.0, name="only")
        a = df.summary.FileWriterCache.get(str(tmp_path))
        assert df.summary.FileWriterCache.get(str(tmp_path)) is a
        assert df.summary.FileWriterCache.get(str(tmp_path / "other")) is not a
        df.summary.FileWriterCache.clear()
        assert df.summary.FileWriterCache.get(str(tmp_path)) is not a
        df.summary.FileWriterCache.clear()
    events = list(summary_iterator(sorted(tmp_path.glob("events.out.tfevents.*"))[0]))
    graphs = [graph_pb2.GraphDef.FromString(e.graph_def) for e in events if e.graph_def]
    assert [n.name for n in graphs[0].node] == [op.name for op in g.get_operations()] == ["only"]
    assert os.path.isdir(tmp_path / "other")


def _summaries(x, img, clip, rate):
    ops = [df.summary.scalar("mean", df.reduce_mean(x)), df.summary.histogram("x", x),
           df.summary.image("img", img, max_outputs=2), df.summary.image("img_u8", df.cast(img * 255, df.uint8)),
           df.summary.audio("clip", clip, rate, max_outputs=1), df.summary.tensor_summary("t", x),
           df.summary.text("words", df.as_string(x))]
    return ops + [df.summary.merge(ops), df.summary.merge([ops[0], df.reshape(df.stack(ops[1:3]), [1, 2])])]


SWEEP_CASES = [
    SweepCase(_summaries, np.linspace(-3, 5, 12).reshape(4, 3),
              np.random.default_rng(0).uniform(0, 1, (3, 4, 5, 3)).astype(np.float32),
              np.linspace(-1, 1, 16, dtype=np.float32).reshape(2, 8), np.array(8000, dtype=np.float32),
              name="summaries"),
    SweepCase(lambda s: [df.summary.image("raw", df.io.decode_raw(s, df.uint8)),  # channels known when run
                         df.summary.histogram("raw", df.io.decode_raw(s, df.uint8)),
                         df.summary.text("words", df.strings.split(df.reshape(s, [-1])).values)],
              np.array([[[b"ab c", b"d ef"], [b"\x00\x7f\xff\x01", b"wxyz"]]], dtype=object),
              name="summaries_of_raw_bytes"),
]
