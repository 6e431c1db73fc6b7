"""Persistent tensors (``get_session_handle``/``get_session_tensor``/``delete_session_tensor``): values kept in the
Session between runs, read back by handle, fed directly, freed; errors and messages as TF's; on a cluster the kept
value stays on the workers."""
import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.session_handles import TensorHandle, delete_session_tensor, get_session_handle, get_session_tensor
from daskflow.testing import SweepCase

# a fresh Session per run of the sweep: the handles' strings are the same (fetched through identity: as strings)
SWEEP_CASES = [SweepCase(lambda x: [df.identity(get_session_handle(x * 2))], np.arange(6.0).reshape(2, 3),
                         name="session_handle")]

TESTED_OPS = {"GetSessionHandle", "SessionHandleName", "GetSessionTensor", "DeleteSessionTensor"}


def test_handle_round_trip_feeds_and_delete():
    c = df.constant(10.0) * df.constant(5.0)
    h = get_session_handle(c)
    assert (h.op.name, h.op.type, h.dtype, tuple(h.shape)) == ("GetSessionHandle", "GetSessionHandle",
                                                                df.string, ())
    with df.Session() as s:
        hv = s.run(h)
        assert isinstance(hv, TensorHandle)
        assert hv.handle == "GetSessionHandle;0;/job:localhost/replica:0/task:0/device:CPU:0" == str(hv)
        assert hv.eval() == 50.0
        p, t = get_session_tensor(hv.handle, df.float32)
        assert p.dtype == df.string and t.dtype == df.float32
        r = t * 10.0
        assert s.run(r, feed_dict={p: hv.handle}) == 500.0
        assert s.run(r, feed_dict={p: hv}) == 500.0  # the handle object for its string
        x = df.placeholder(df.float32, shape=())
        assert s.run(x * 2.0, feed_dict={x: hv}) == 100.0  # fed directly: its value
        assert s.run(get_session_handle(c, name="foo")).handle.startswith("foo;1;")
        hold, dele = delete_session_tensor(hv.handle)
        assert dele.type == "DeleteSessionTensor"
        s.run(dele, feed_dict={hold: hv.handle})
        with pytest.raises(errors.InvalidArgumentError, match="is not in the session store"):
            s.run(r, feed_dict={p: hv.handle})
        with pytest.raises(errors.InvalidArgumentError, match="Failed to delete a tensor with handle"):
            s.run(dele, feed_dict={hold: hv.handle})


def test_kept_value_is_a_snapshot_computed_in_the_run():
    v = df.Variable([1.0, 2.0], name="v")
    step = v.assign_add([1.0, 1.0])
    with df.Session() as s:
        s.run(v.initializer)
        hv, _ = s.run([get_session_handle(v * 2.0), step])  # the run reads v as of its start
        s.run(v.assign([9.0, 9.0]))
        np.testing.assert_array_equal(hv.eval(), [2.0, 4.0])
        p, t = get_session_tensor(hv.handle, df.float32)
        np.testing.assert_array_equal(s.run(df.reduce_sum(t) + v, feed_dict={p: hv.handle}), [15.0, 15.0])


def test_errors_as_tf():
    with pytest.raises(TypeError, match="`data` must be of type Tensor."):
        get_session_handle(3.0)
    with df.Session() as s:
        hv = s.run(get_session_handle(df.constant([1, 2, 3])))
        p, t = get_session_tensor(hv.handle, df.float32)
        with pytest.raises(errors.InternalError, match="does not match declared output type float32"):
            s.run(t, feed_dict={p: hv.handle})
        with pytest.raises(errors.InvalidArgumentError, match="'garbage' is not in the session store"):
            s.run(t, feed_dict={p: "garbage"})
        x = df.placeholder(df.float32)
        with pytest.raises(errors.InvalidArgumentError, match="Cannot feed a value of dtype int32"):
            s.run(x, feed_dict={x: hv})
        np.testing.assert_array_equal(hv.eval(), [1, 2, 3])
        hv.delete()
        with pytest.raises(TypeError, match="may have already been deleted"):
            hv.eval()
        with pytest.raises(TypeError, match="may have already been deleted"):
            hv.delete()


def test_dropped_handles_are_freed_in_batches():
    c = df.constant(1.0)
    h = get_session_handle(c)
    with df.Session() as s:
        raw = [s.run(h).handle for _ in range(9)]  # each TensorHandle dropped at once
        p, t = get_session_tensor(raw[0], df.float32)
        assert s.run(t, feed_dict={p: raw[0]}) == 1.0  # nine dead: not freed yet, as TF
        s.run(h)  # the tenth
        with pytest.raises(errors.InvalidArgumentError, match="is not in the session store"):
            s.run(t, feed_dict={p: raw[0]})


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        yield c


@pytest.mark.distributed
@pytest.mark.slow
def test_kept_value_stays_on_the_workers(client):
    from daskflow.testing import client_received
    data = np.arange(64 * 1024, dtype=np.float64)  # 512 KiB
    with df.Graph().as_default(), df.config.set(chunk_bytes=128 * 2**10):
        v = df.Variable(data, name="v")
        h = get_session_handle(v * 2.0)
        with df.Session(client) as s:
            s.run(v.initializer)
            with client_received(client) as got:
                hv = s.run(h)
                p, t = get_session_tensor(hv.handle, df.float64)
                total = s.run(df.reduce_sum(t), feed_dict={p: hv})
            assert got[0] < 64 * 2**10, got[0]  # neither run brought the kept value back
            assert total == 2.0 * data.sum()
            np.testing.assert_array_equal(hv.eval(), 2.0 * data)
