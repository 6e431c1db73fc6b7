"""A graph-mode iterator feeding runs on a dask.distributed LocalCluster, over a dask array read in blocks."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df

pytestmark = [pytest.mark.distributed, pytest.mark.slow]


def test_iterator_feeds_cluster_runs():
    distributed = pytest.importorskip("distributed")
    X = np.random.default_rng(0).random((300, 4))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        ds = df.data.Dataset.from_tensor_slices(da.from_array(X, chunks=(50, 4))).shuffle(64, seed=0).batch(32)
        xb = ds.prefetch(1).make_one_shot_iterator().get_next()
        total = df.reduce_sum(xb, axis=0)
        sums = []
        with df.Session(scheduler=client) as sess:
            while True:
                try:
                    sums.append(sess.run(total))
                except df.errors.OutOfRangeError:
                    break
    assert len(sums) == 10  # 300 rows in batches of 32
    np.testing.assert_allclose(np.sum(sums, axis=0), X.sum(0))
