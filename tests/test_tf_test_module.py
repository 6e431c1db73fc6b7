"""tf.test (daskflow.test_utils): TestCase's sessions and assertions, gradient checks, benchmarks, the machine
queries and a local cluster, as unittest cases run by pytest."""
import json
import os
import sys
import threading
import types
import unittest

import numpy as np
import pytest

import daskflow as df
import daskflow.test_utils as tft


class SessionTest(tft.TestCase):
    def test_fresh_graph_and_sessions(self):
        g = df.get_default_graph()
        self.assertEqual(g.get_operations(), [])  # each test starts on a new default graph
        x = df.constant([1.0, 2.0]) * 3.0
        with self.cached_session() as s1:
            self.assertIs(df.get_default_session(), s1)
            self.assertAllClose(self.evaluate(x), [3.0, 6.0])
            self.assertAllClose(x, [3.0, 6.0])  # a tensor is run in the default session
        with self.test_session() as s2:
            self.assertIs(s1, s2)
        with self.session() as s3:
            self.assertIsNot(s3, s1)
            self.assertEqual(s3.run({"a": x, "b": [x]})["b"][0].tolist(), [3.0, 6.0])
        with self.assertRaisesRegex(ValueError, "different than the one"):
            with self.cached_session(graph=df.Graph()):
                pass
        self.assertEqual(self.evaluate({"y": x * 0.0})["y"].tolist(), [0.0, 0.0])
        d = self.get_temp_dir()
        self.assertTrue(os.path.isdir(d) and d.startswith(tft.get_temp_dir()))

    def test_second_test_has_its_own_graph(self):
        self.assertEqual(df.get_default_graph().get_operations(), [])
        np.testing.assert_array_equal(np.random.rand(2), np.random.RandomState(87654321).rand(2))

    def test_checked_thread(self):
        out = []
        t = self.checkedThread(out.append, args=(1,))
        t.start()
        t.join()
        self.assertEqual(out, [1])
        bad = self.checkedThread(lambda: 1 / 0)
        bad.start()
        with self.assertRaisesRegex(AssertionError, "division by zero"):
            bad.join()


class AssertionsTest(tft.TestCase):
    def test_closeness(self):
        self.assertAllClose({"a": [1.0, 2.0], "b": (np.ones(2), 3)}, {"a": [1.0, 2.0 + 1e-7], "b": (np.ones(2), 3)})
        with self.assertRaises(AssertionError):
            self.assertAllClose([1.0, 2.0], [1.0, 2.1])
        with self.assertRaises(AssertionError):
            self.assertAllClose(np.ones((2, 1)), np.ones(2))
        self.assertNotAllClose([1.0], [1.1])
        with self.assertRaises(AssertionError):
            self.assertNotAllClose([1.0], [1.0])
        self.assertAllCloseAccordingToType(np.float16([1.0]), np.float16([1.0005]))
        with self.assertRaises(AssertionError):
            self.assertAllCloseAccordingToType(np.float64([1.0]), np.float64([1.0005]))
        self.assertNear(1.0, 1.05, 0.1)
        with self.assertRaisesRegex(AssertionError, r"1.000000 != 1.200000 \+/- 0.100000"):
            self.assertNear(1.0, 1.2, 0.1)
        self.assertArrayNear([1.0, 2.0], [1.01, 1.99], 0.02)
        self.assertNDArrayNear(np.ones((2, 2)), np.ones((2, 2)) + 1e-3, 1e-2)

    def test_equality_and_ranges(self):
        self.assertAllEqual([[1, 2]], np.array([[1, 2]]))
        with self.assertRaisesRegex(AssertionError, "Shape mismatch"):
            self.assertAllEqual([1, 2], [[1, 2]])
        self.assertNotAllEqual([1, 2], [1, 3])
        self.assertAllGreater([2, 3], 1)
        self.assertAllLess([2, 3], 4)
        self.assertAllGreaterEqual([2, 3], 2)
        self.assertAllLessEqual([2, 3], 3)
        with self.assertRaises(AssertionError):
            self.assertAllGreater([2, 3], 2)
        self.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0)
        with self.assertRaisesRegex(AssertionError, r"1 of the 3 element\(s\) are outside the range \[0.0, 1.0\)"):
            self.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0, open_upper_bound=True)
        with self.assertRaisesRegex(AssertionError, "ordered numeric type"):
            self.assertAllInRange(np.array(["a"]), 0, 1)
        self.assertAllInSet([1, 2, 2], {1, 2})
        with self.assertRaises(AssertionError):
            self.assertAllInSet([1, 5], [1, 2])

    def test_shapes_dtypes_devices(self):
        t = df.placeholder(df.float32, [2, 3])
        self.assertShapeEqual(np.zeros((2, 3)), t)
        with self.assertRaises(AssertionError):
            self.assertShapeEqual(np.zeros((3, 2)), t)
        with self.assertRaisesRegex(TypeError, "input_a must be a Numpy ndarray"):
            self.assertShapeEqual([1], t)
        self.assertDTypeEqual(np.zeros(2, np.float32), df.float32)
        self.assertDTypeEqual([np.zeros(2, np.int64)], np.int64)
        with self.assertRaises(AssertionError):
            self.assertDTypeEqual(np.zeros(2), df.float32)
        self.assertDeviceEqual("/cpu:0", "/device:CPU:0")
        with self.assertRaises(AssertionError):
            self.assertDeviceEqual("/cpu:0", "/gpu:0")

    def test_protos(self):
        from daskflow.graph_def import shape_proto
        shape = shape_proto([2, None])
        self.assertProtoEquals("dim { size: 2 } dim { size: -1 }", shape)
        self.assertProtoEquals(type(shape)(dim=shape.dim), shape)
        with self.assertRaises(AssertionError):
            self.assertProtoEquals("dim { size: 3 }", shape)

    def test_raises(self):
        x = df.placeholder(df.float32, [None])
        y = df.debugging.assert_positive(x)
        with self.cached_session() as s:
            with self.assertRaisesOpError("positive|x > 0|greater"):
                s.run(y, {x: [-1.0]})
        with self.assertRaisesWithPredicateMatch(ValueError, lambda e: "bad" in str(e)):
            raise ValueError("bad value")
        with self.assertRaisesRegex(AssertionError, "Exception of type"):
            with self.assertRaisesWithPredicateMatch(ValueError, "^nope"):
                raise ValueError("other")
        with self.assertRaisesRegex(AssertionError, "OpError not raised"):
            with self.assertRaisesOpError("x"):
                pass
        with self.assertRaises(TypeError):  # another class is not caught
            with self.assertRaisesOpError("x"):
                raise TypeError("x")


class GradientTest(tft.TestCase):
    def test_compute_gradient(self):
        x = df.placeholder(df.float64, [2, 3])
        w = df.constant(np.arange(6.0).reshape(3, 2))
        y = df.matmul(df.sin(x), w)
        x0 = np.linspace(-1, 1, 6).reshape(2, 3)
        with self.cached_session():
            theo, num = tft.compute_gradient(x, [2, 3], y, [2, 2], x_init_value=x0, delta=1e-6)
        expected = np.zeros((6, 4))  # d y[i, k] / d x[i, j] = cos(x[i, j]) w[j, k]
        for i in range(2):
            for j in range(3):
                for k in range(2):
                    expected[i * 3 + j, i * 2 + k] = np.cos(x0[i, j]) * (j * 2 + k)
        np.testing.assert_allclose(theo, expected, rtol=1e-12)
        np.testing.assert_allclose(num, expected, atol=1e-6)
        self.assertLess(tft.compute_gradient_error(x, [2, 3], y, [2, 2], x_init_value=x0), 1e-4)

    def test_list_of_inputs_and_wrong_gradient(self):
        a, b = df.placeholder(df.float32, [3]), df.placeholder(df.float32, [3])
        y = a * b
        (ta, na), (tb, nb) = tft.compute_gradient([a, b], [[3], [3]], y, [3],  # no default session: its own
                                                  x_init_value=[np.float32([1, 2, 3]), np.float32([4, 5, 6])])
        np.testing.assert_allclose(ta, np.diag([4, 5, 6]))
        np.testing.assert_allclose(nb, np.diag([1, 2, 3]), rtol=1e-3)

        @df.custom_gradient
        def wrong(v):
            return df.square(v), lambda dy: dy  # the gradient should be 2 v dy
        z = wrong(a)
        err = tft.compute_gradient_error(a, [3], z, [3], x_init_value=np.float32([1, 2, 3]))
        self.assertNear(err, 5.0, 1e-2)  # at v = 3: 2 * 3 - 1


class BenchTest(tft.Benchmark):
    def benchmark_square(self, sess, t, feed):
        return self.run_op_benchmark(sess, t, feed, burn_iters=1, min_iters=3, extras={"n": 4}, mbs=2)


def test_benchmark(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_REPORT_FILE_PREFIX", str(tmp_path) + "/bench_")
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, [4])
        t = df.square(x)
    with df.Session(graph=g) as sess:
        values = BenchTest().benchmark_square(sess, t, {x: np.ones(4, np.float32)})
        with g.as_default():
            two = df.constant(2.0) * 3.0
        with sess.as_default():
            assert BenchTest().evaluate(two) == 6.0
    assert values["iters"] == 3 and values["name"] == "BenchTest.benchmark_square"
    assert values["throughput"] == pytest.approx(2 / values["wall_time"])
    assert values["extras"]["wall_time_stdev"] >= 0
    with open(tmp_path / "bench_BenchTest.benchmark_square") as f:
        entry = json.load(f)["entry"][0]
    assert entry["iters"] == 3 and entry["extras"]["n"] == {"double_value": 4.0}
    with pytest.raises(OSError, match="File already exists"):
        BenchTest().report_benchmark(iters=1, name="BenchTest.benchmark_square")
    with pytest.raises(TypeError, match="extras must be a dict"):
        BenchTest().report_benchmark(extras=[1], name="other")
    cfg = tft.benchmark_config()
    assert cfg.graph_options.rewrite_options.dependency_optimization == 2  # RewriterConfig.OFF


def test_machine_queries():
    try:
        import cupy  # noqa: F401
        has_cupy = True
    except ImportError:
        has_cupy = False
    assert tft.is_built_with_gpu_support() == has_cupy and tft.is_built_with_cuda() in (False, has_cupy)
    assert tft.is_built_with_xla() is False
    if not has_cupy:
        assert tft.gpu_device_name() == "" and not tft.is_gpu_available()
    else:
        assert tft.gpu_device_name() in ("", "/device:GPU:0")
        assert tft.is_gpu_available() == (tft.gpu_device_name() != "")
    import platform
    machine = platform.machine().lower()
    assert tft.is_cpu_target_available("x86") == (machine in ("x86_64", "amd64", "i386", "i686"))
    assert not tft.is_cpu_target_available("s390x") or machine == "s390x"
    assert tft.test_src_dir_path("ops/math.py") == os.path.join(os.path.dirname(df.__file__), "ops", "math.py")
    assert os.path.isfile(tft.test_src_dir_path("ops/math.py"))
    assert tft.mock is unittest.mock


def test_decorators_and_stubs():
    class DecoratorTest(unittest.TestCase):
        ran = []

        @tft.disable_with_predicate(lambda: True, "always off")
        def test_skipped(self):
            self.ran.append("skipped")

        @tft.disable_with_predicate(lambda: False, "never off")
        def test_runs(self):
            self.ran.append("runs")
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(DecoratorTest).run(result)
    assert DecoratorTest.ran == ["runs"] and [r for _, r in result.skipped] == ["always off"]
    assert tft.with_eager_op_as_function(DecoratorTest) is DecoratorTest
    assert tft.with_eager_op_as_function(only_as_function=True)(DecoratorTest) is DecoratorTest

    class A:
        @staticmethod
        def s():
            return "s"

        def m(self):
            return "m"
    stubs = tft.StubOutForTesting()
    stubs.Set(A, "s", lambda: "stub")
    stubs.SmartSet(A, "m", lambda self: "smart")
    stubs.Set(os.path, "sep", "|")
    assert (A.s(), A().s(), A().m(), os.path.sep) == ("stub", "stub", "smart", "|")
    stubs.CleanUp()
    assert (A.s(), A().m(), os.path.sep) == ("s", "m", "/")


def test_assert_equal_graph_def():
    def build(order, extra=False):
        g = df.Graph()
        with g.as_default():
            a = df.constant(1.0, name="a")
            b = df.constant(2.0, name="b")
            e = df.constant(2.0, name="e")
            with df.control_dependencies([b, e] if order else [b]):
                df.square(a, name="c")
            if extra:
                df.constant(3.0, name="d")
        return g.as_graph_def()
    tft.assert_equal_graph_def(build(True), build(True))
    with pytest.raises(AssertionError, match="Found unexpected node 'd'"):
        tft.assert_equal_graph_def(build(True, extra=True), build(True))
    with pytest.raises(AssertionError, match="Node named 'c' has inputs"):
        tft.assert_equal_graph_def(build(False), build(True))
    with pytest.raises(TypeError, match="Expected tf.GraphDef for actual"):
        tft.assert_equal_graph_def("x", build(True))


@pytest.mark.distributed
def test_create_local_cluster():
    workers, ps = tft.create_local_cluster(2, 1)
    try:
        assert len(workers) == 2 and len(ps) == 1
        assert all(w.target == workers[0].target and w.target.startswith("tcp://127.0.0.1:") for w in workers + ps)
        assert len({w.address for w in workers + ps}) == 3
        g = df.Graph()
        with g.as_default():
            x = df.placeholder(df.float32, [3])
            y = df.reduce_sum(x * 2.0)
        with df.Session(workers[0].target, graph=g) as sess:
            assert sess.run(y, {x: [1.0, 2.0, 3.0]}) == 12.0
    finally:
        workers[0].cluster.close()


def test_main_runs_the_tests_of_the_main_module(monkeypatch, capsys):
    class T(tft.TestCase):
        def test_ok(self):
            with self.cached_session():
                self.assertAllEqual(self.evaluate(df.constant([1, 2]) * 2), [2, 4])

        def test_fails(self):
            self.assertAllEqual([1], [2])
    main = types.ModuleType("__main__")
    main.T = T
    monkeypatch.setitem(sys.modules, "__main__", main)
    with pytest.raises(SystemExit) as exit_:
        tft.main(argv=["prog"])
    err = capsys.readouterr().err
    # test_session is TestCase's (a name TF reserves): unittest finds it and it skips itself
    assert exit_.value.code == 1 and "Ran 3 tests" in err and "FAILED (failures=1, skipped=1)" in err
    assert "FAIL: test_fails" in err and "test_ok" not in err


def test_checked_thread_is_a_thread():
    assert isinstance(tft.testcase._CheckedThread(None, lambda: None)._thread, threading.Thread)
