"""TF1's ``tf.test.TestCase``: ``unittest.TestCase`` with a fresh default graph per test, sessions on it, and
assertions on arrays, shapes, dtypes, protos and op errors."""
import contextlib
import re
import tempfile
import threading
import unittest

import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, get_default_graph, reset_default_graph
from ..session import Session, get_default_session

__all__ = ["TestCase"]


def _array(a):
    """A value as an array: tensors are evaluated in the default session."""
    if isinstance(a, Tensor):
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot evaluate a Tensor in an assertion: no default session (use self.evaluate())")
        a = sess.run(a)
    return np.asarray(a)


def _nested_close(test, a, b, rtol, atol, path, msg):
    if isinstance(a, dict) or isinstance(b, dict):
        test.assertIsInstance(a, dict, f"{path}: {type(a).__name__} vs dict. {msg or ''}")
        test.assertIsInstance(b, dict, f"{path}: dict vs {type(b).__name__}. {msg or ''}")
        test.assertEqual(set(a), set(b), f"{path}: mismatched keys. {msg or ''}")
        for k in a:
            _nested_close(test, a[k], b[k], rtol, atol, f"{path}[{k!r}]", msg)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
            (any(isinstance(v, (dict, list, tuple, Tensor, np.ndarray)) for v in list(a) + list(b))
             or len(a) != len(b)):
        test.assertEqual(len(a), len(b), f"{path}: mismatched length {len(a)} vs {len(b)}. {msg or ''}")
        for i, (u, v) in enumerate(zip(a, b)):
            _nested_close(test, u, v, rtol, atol, f"{path}[{i}]", msg)
    else:
        x, y = _array(a), _array(b)
        test.assertEqual(x.shape, y.shape, f"{path}: shape mismatch: expected {x.shape}, got {y.shape}. {msg or ''}")
        if x.dtype.kind in "OSU" or y.dtype.kind in "OSU":
            np.testing.assert_array_equal(x, y, err_msg=f"{path}: {msg or ''}")
        else:
            np.testing.assert_allclose(y, x, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"Mismatched value: a is different from b. {path} {msg or ''}")


class _CheckedThread:
    """A thread whose exception fails the test at ``join()``."""

    def __init__(self, testcase, target, args=None, kwargs=None):
        self._testcase, self._target = testcase, target
        self._args, self._kwargs = args or (), kwargs or {}
        self._exception = None
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            self._target(*self._args, **self._kwargs)
        except Exception as e:  # noqa: BLE001 - reported at join
            self._exception = e

    def start(self):
        self._thread.start()

    def join(self):
        self._thread.join()
        if self._exception is not None:
            self._testcase.fail(f"Error in checkedThread: {self._exception}")

    def is_alive(self):
        return self._thread.is_alive()


class TestCase(unittest.TestCase):
    """Base class of daskflow graph tests (TF1's ``tf.test.TestCase``).

    Each test starts with a fresh default graph and numpy's global seed set. ``session()`` /
    ``cached_session()`` / ``test_session()`` give a daskflow ``Session`` on it, set as the default session and its
    graph as the default graph; ``evaluate`` runs tensors in it.

    Examples
    --------
    >>> import daskflow as tf
    >>> class SquareTest(tf.test.TestCase):
    ...     def test_square(self):
    ...         with self.cached_session():
    ...             self.assertAllEqual(self.evaluate(tf.square([2, 3])), [4, 9])
    """

    def __init__(self, methodName="runTest"):
        super().__init__(methodName)
        self._cached_session = None
        self._tempdir = None

    def setUp(self):
        self._cached_session = None
        np.random.seed(87654321)
        reset_default_graph()
        super().setUp()

    def tearDown(self):
        if self._cached_session is not None:
            self._cached_session.close()
            self._cached_session = None
        super().tearDown()

    # -- sessions
    @contextlib.contextmanager
    def _as_default(self, sess):
        with sess.graph.as_default(), sess.as_default():
            yield sess

    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """A new Session on ``graph`` (default: the default graph), closed on exit; ``use_gpu`` and ``force_gpu``
        are accepted for TensorFlow compatibility (daskflow places by device scopes)."""
        sess = Session(graph=graph if graph is not None else get_default_graph(), config=config)
        try:
            with self._as_default(sess):
                yield sess
        finally:
            sess.close()

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """The test's Session, made on first use (on ``graph``, default the default graph) and closed when the
        test ends; a ``ValueError`` if asked for with another graph."""
        if self._cached_session is None:
            self._cached_session = Session(graph=graph if graph is not None else get_default_graph(), config=config)
        elif graph is not None and graph is not self._cached_session.graph:
            raise ValueError("The graph used to get the cached session is different than the one that was used to "
                             "create the session. Maybe create a new session with self.session()")
        with self._as_default(self._cached_session):
            yield self._cached_session

    def test_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """``cached_session`` (TF's older name). A test named ``test_session`` is skipped: the name is taken."""
        if self.id().endswith(".test_session"):
            self.skipTest('Tests that have the name "test_session" are automatically skipped by TensorFlow test '
                          "fixture, as the name is reserved for creating sessions within tests. Please rename your "
                          "test if you have a test with this name.")
        return self.cached_session(graph, config, use_gpu, force_gpu)

    test_session.__test__ = False  # not a test (pytest)

    def evaluate(self, tensors):
        """The values of ``tensors`` (any nesting of lists, tuples and dicts) in the default session, or the
        cached session."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.cached_session() as sess:
            return sess.run(tensors)

    def get_temp_dir(self):
        """A temporary directory of this test (under ``tf.test.get_temp_dir()``)."""
        if self._tempdir is None:
            from . import get_temp_dir
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    def checkedThread(self, target, args=None, kwargs=None):
        """A thread running ``target(*args, **kwargs)``; its exception fails the test at ``join()``."""
        return _CheckedThread(self, target, args, kwargs)

    # -- values
    def assertNear(self, f1, f2, err, msg=None):
        """``|f1 - f2| <= err``."""
        self.assertTrue(f1 == f2 or abs(f1 - f2) <= err,
                        f"{f1:f} != {f2:f} +/- {err:f}{' (' + msg + ')' if msg is not None else ''}")

    def assertArrayNear(self, farray1, farray2, err, msg=None):
        """Two lists of floats, element by element within ``err``."""
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):
        """Two arrays within ``err`` of each other (absolute)."""
        self.assertTrue(np.linalg.norm(np.asarray(ndarray1) - np.asarray(ndarray2)) <= err, msg=msg)

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """``a`` and ``b`` (arrays, tensors run in the default session, or nested lists, tuples and dicts of them)
        have the same structure and shapes and are close elementwise: ``|a - b| <= atol + rtol * |b|``."""
        _nested_close(self, a, b, rtol, atol, "", msg)

    def assertAllCloseAccordingToType(self, a, b, rtol=1e-6, atol=1e-6, float_rtol=1e-6, float_atol=1e-6,
                                      half_rtol=1e-3, half_atol=1e-3, bfloat16_rtol=1e-2, bfloat16_atol=1e-2,
                                      msg=None):
        """``assertAllClose`` with the tolerances loosened for float32 and float16 values."""
        x, y = _array(a), _array(b)
        if np.float32 in (x.dtype, y.dtype):
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if np.float16 in (x.dtype, y.dtype):
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(x, y, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """The opposite of ``assertAllClose``."""
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)
        except AssertionError:
            return
        raise AssertionError(msg or "The two values are close at all elements")

    def assertAllEqual(self, a, b, msg=None):
        """``a`` and ``b`` have the same shape and equal elements."""
        x, y = _array(a), _array(b)
        self.assertEqual(x.shape, y.shape, f"Shape mismatch: expected {x.shape}, got {y.shape}. {msg or ''}")
        np.testing.assert_array_equal(x, y, err_msg=msg or "")

    def assertNotAllEqual(self, a, b, msg=None):
        """Some element of ``a`` differs from ``b``'s."""
        try:
            self.assertAllEqual(a, b)
        except AssertionError:
            return
        raise AssertionError(msg or "The two values are equal at all elements")

    def assertAllGreater(self, a, comparison_target):
        self.assertGreater(_array(a).min(), comparison_target)

    def assertAllLess(self, a, comparison_target):
        self.assertLess(_array(a).max(), comparison_target)

    def assertAllGreaterEqual(self, a, comparison_target):
        self.assertGreaterEqual(_array(a).min(), comparison_target)

    def assertAllLessEqual(self, a, comparison_target):
        self.assertLessEqual(_array(a).max(), comparison_target)

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False, open_upper_bound=False):
        """Every element of ``target`` (a real array) lies in the interval, open or closed at each end."""
        t = _array(target)
        if not np.issubdtype(t.dtype, np.floating) and not np.issubdtype(t.dtype, np.integer):
            raise AssertionError(f"The value of {target} does not have an ordered numeric type, instead it has type: "
                                 f"{t.dtype}")
        low = t <= lower_bound if open_lower_bound else t < lower_bound
        high = t >= upper_bound if open_upper_bound else t > upper_bound
        bad = np.argwhere(low | high | np.isnan(t) if t.dtype.kind == "f" else low | high)
        if bad.size:
            interval = (f"{'(' if open_lower_bound else '['}{lower_bound}, {upper_bound}"
                        f"{')' if open_upper_bound else ']'}")
            raise AssertionError(f"{len(bad)} of the {t.size} element(s) are outside the range {interval}. "
                                 f"Subscript(s) and value(s) of the offending elements:\n"
                                 + "\n".join(f"{tuple(i)}: {t[tuple(i)]}" for i in bad[:20]))

    def assertAllInSet(self, target, expected_set):
        """Every element of ``target`` is in ``expected_set``."""
        t = _array(target)
        missing = set(np.unique(t).tolist()) - set(expected_set)
        if missing:
            raise AssertionError(f"{len(missing)} unique element(s) are not in the set {set(expected_set)}: "
                                 f"{sorted(missing)}")

    def assertShapeEqual(self, input_a, input_b, msg=None):
        """A numpy array's shape equals a tensor's static shape."""
        if not isinstance(input_a, (np.ndarray, np.generic, Tensor)):
            raise TypeError(f"input_a must be a Numpy ndarray, Numpy scalar, or a Tensor. Instead received "
                            f"{type(input_a)}")
        if not isinstance(input_b, (np.ndarray, np.generic, Tensor)):
            raise TypeError(f"input_b must be a Numpy ndarray, Numpy scalar, or a Tensor. Instead received "
                            f"{type(input_b)}")
        def shape(x):
            return list(x.shape.as_list()) if isinstance(x, Tensor) else list(np.shape(x))
        self.assertAllEqual(shape(input_a), shape(input_b), msg=msg)

    def assertDTypeEqual(self, target, expected_dtype):
        """Every array in ``target`` (an array or a list of arrays) has dtype ``expected_dtype`` (a daskflow or
        numpy dtype)."""
        want = dtypes.as_dtype(expected_dtype)
        for t in target if isinstance(target, list) else [target]:
            got = t.dtype if isinstance(t, Tensor) else np.asarray(t).dtype
            self.assertEqual(dtypes.as_dtype(got), want)

    def assertDeviceEqual(self, device1, device2, msg=None):
        """Two device strings name the same device."""
        from ..graph import DeviceSpec
        d1 = DeviceSpec.from_string(device1 or "").to_string()
        d2 = DeviceSpec.from_string(device2 or "").to_string()
        self.assertEqual(d1, d2, f"Devices {device1} and {device2} are not equal. {msg or ''}")

    # -- protos
    def assertProtoEquals(self, expected_message_maybe_ascii, validate_message, msg=None, relative_tolerance=None):
        """``validate_message`` equals the expected message, given as a message or its protobuf text form."""
        from google.protobuf import text_format
        if isinstance(expected_message_maybe_ascii, (str, bytes)):
            text = expected_message_maybe_ascii
            expected = text_format.Parse(text.decode() if isinstance(text, bytes) else text, type(validate_message)())
        elif type(expected_message_maybe_ascii) is type(validate_message):
            expected = expected_message_maybe_ascii
        else:
            raise AssertionError(f"Can't compare protos of type {type(expected_message_maybe_ascii)} and "
                                 f"{type(validate_message)}.")
        if expected != validate_message:
            self.assertMultiLineEqual(text_format.MessageToString(expected),
                                      text_format.MessageToString(validate_message), msg=msg)

    # -- errors
    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):
        """The block raises ``exception_type`` whose message matches a regex (``re.search``), or that satisfies a
        predicate."""
        if callable(expected_err_re_or_predicate):
            predicate = expected_err_re_or_predicate
        else:
            def predicate(e):
                message = e.message if isinstance(e, errors.OpError) else str(e)
                return re.search(expected_err_re_or_predicate, message) is not None
        try:
            yield
        except exception_type as e:
            if not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e
        else:
            self.fail(exception_type.__name__ + " not raised")

    def assertRaisesOpError(self, expected_err_re_or_predicate):
        """The block raises a ``daskflow.errors.OpError`` matching the regex or predicate."""
        return self.assertRaisesWithPredicateMatch(errors.OpError, expected_err_re_or_predicate)


