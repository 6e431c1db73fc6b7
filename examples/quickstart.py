"""daskflow in one page: build a graph, run it in a Session on dask's local scheduler, fetch several values in one
run, feed a chunked dask array lazily, and get the dask array behind a tensor.

    python examples/quickstart.py
"""
import dask.array as da
import numpy as np

import daskflow as df


def main(rows=10_000):
    x = df.placeholder(df.float32, shape=(None, 784), name="x")
    W = df.Variable(df.random.uniform((784, 100), -1, 1, seed=1), name="W")
    b = df.Variable(df.zeros((100,)), name="b")
    relu = df.nn.relu(df.matmul(x, W) + b)
    C = df.reduce_sum(relu, name="C")

    data = np.random.default_rng(0).random((rows, 784), dtype=np.float32)
    with df.Session() as sess:                       # dask's local scheduler, nothing to start
        sess.run(df.global_variables_initializer())
        cost = sess.run(C, feed_dict={x: data})
        print(f"C over {rows} rows of numpy input: {cost:.1f}")

        chunked = da.from_array(data, chunks=(2_500, 784))  # a dask array feed stays lazy, chunk by chunk
        cost_dask, act = sess.run([C, relu[:2, :5]], feed_dict={x: chunked})
        print(f"C over the same rows as a dask array:  {cost_dask:.1f}")
        print("first activations:\n", act)

        W_value = sess.run(W)
        lazy = df.lower(C, feed_dict={x: chunked})     # the dask array behind C, not computed yet
        print(f"df.lower gives {type(lazy).__name__} with {len(lazy.__dask_graph__())} tasks")

    print("reduce_sum([1, 2]) =", df.reduce_sum(df.constant([1.0, 2.0])).compute())  # like dask's .compute()
    return cost, cost_dask, W_value, data


if __name__ == "__main__":
    main()
