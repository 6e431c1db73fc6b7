"""Train an MLP on scikit-learn's 8x8 digits on a dask.distributed cluster, two ways the TensorFlow whitepaper
describes (its section 7):

- synchronous data parallelism: each batch is split across the workers, one replica of the model (a "tower") per
  worker computes the gradients of its part, and the averaged gradients update the one copy of the variables;
- model parallelism: each layer, with its variables and their optimizer slots, is pinned to its own worker.

The same data-parallel graph is also trained with a local Session, to show the cluster computes the same model.

    python examples/distributed_training.py --epochs 20                        # starts a LocalCluster of 2 workers
    python examples/distributed_training.py --scheduler tcp://10.0.0.1:8786    # or uses a running cluster
"""
import argparse

import numpy as np

import daskflow as df


def digits(test_fraction=0.25, seed=0):
    """Scaled pixels and labels of the digits, split into training and test rows."""
    from sklearn.datasets import load_digits
    images, labels = load_digits(return_X_y=True)
    rows = np.random.default_rng(seed).permutation(len(labels))
    cut = int(len(rows) * test_fraction)
    x, y = (images / 16.0).astype(np.float32), labels.astype(np.int64)
    return x[rows[cut:]], y[rows[cut:]], x[rows[:cut]], y[rows[:cut]]


def dense(x, n_out, name, seed, relu=True):
    """A dense layer whose variables are created in the current device scope."""
    n_in = int(x.shape[1])
    with df.name_scope(name):
        W = df.Variable(df.random.truncated_normal((n_in, n_out), stddev=(2.0 / n_in) ** 0.5, seed=seed), name="W")
        b = df.Variable(df.zeros((n_out,)), name="b")
        z = df.matmul(x, W) + b
        return df.nn.relu(z) if relu else z


def data_parallel(n_in, hidden, n_out, lr, towers):
    """The batch fed to ``x`` and ``y`` is split into ``towers`` parts, tower k on ``/job:worker/task:k``; the
    variables are shared, and each is updated where it lives with the mean of the towers' gradients."""
    x = df.placeholder(df.float32, (None, n_in), name="x")
    y = df.placeholder(df.int64, (None,), name="y")
    with df.name_scope("model"):
        W1 = df.Variable(df.random.truncated_normal((n_in, hidden), stddev=(2.0 / n_in) ** 0.5, seed=1), name="W1")
        b1 = df.Variable(df.zeros((hidden,)), name="b1")
        W2 = df.Variable(df.random.truncated_normal((hidden, n_out), stddev=(1.0 / hidden) ** 0.5, seed=2), name="W2")
        b2 = df.Variable(df.zeros((n_out,)), name="b2")
    params = [W1, b1, W2, b2]

    def model(xs):
        return df.matmul(df.nn.relu(df.matmul(xs, W1) + b1), W2) + b2

    opt = df.train.AdamOptimizer(lr)
    tower_grads, tower_losses = [], []
    for k, (xk, yk) in enumerate(zip(df.split(x, towers), df.split(y, towers))):
        with df.device(f"/job:worker/task:{k}"), df.name_scope(f"tower_{k}"):
            loss_k = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=yk, logits=model(xk)))
            tower_grads.append([g for g, _ in opt.compute_gradients(loss_k, var_list=params)])
            tower_losses.append(loss_k)
    averaged = []
    for v, grads in zip(params, zip(*tower_grads)):
        with df.colocate_with(v):  # reduced where the variable is
            averaged.append((df.add_n(list(grads)) / float(towers), v))
    step = opt.apply_gradients(averaged)
    loss = df.add_n(tower_losses) / float(towers)
    accuracy = df.reduce_mean(df.cast(df.equal(df.argmax(model(x), 1), y), df.float32))
    return x, y, loss, step, accuracy


def model_parallel(n_in, hidden, n_out, lr):
    """The hidden layer on ``/job:worker/task:0``, the output layer on ``/job:worker/task:1``."""
    x = df.placeholder(df.float32, (None, n_in), name="x")
    y = df.placeholder(df.int64, (None,), name="y")
    with df.device("/job:worker/task:0"):
        h = dense(x, hidden, "hidden", seed=1)
    with df.device("/job:worker/task:1"):
        logits = dense(h, n_out, "output", seed=2, relu=False)
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = df.train.AdamOptimizer(lr).minimize(loss)
    accuracy = df.reduce_mean(df.cast(df.equal(df.argmax(logits, 1), y), df.float32))
    return x, y, loss, step, accuracy


def train(sess, graph, data, epochs, batch, seed=1):
    """Mini-batch training; returns the mean loss of each epoch and the test accuracy."""
    x, y, loss, step, accuracy = graph
    x_train, y_train, x_test, y_test = data
    rng, losses = np.random.default_rng(seed), []
    sess.run(df.global_variables_initializer())
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        order = order[:len(order) - len(order) % batch]  # whole batches: each splits evenly across the towers
        epoch = [sess.run([loss, step], {x: x_train[i], y: y_train[i]})[0] for i in order.reshape(-1, batch)]
        losses.append(float(np.mean(epoch)))
    return losses, float(sess.run(accuracy, {x: x_test, y: y_test}))


def ran_on(client, sess, fetches, feeds):
    """Runs ``fetches`` and gives, per op name scope (``tower_0``, ``hidden``, ...), the workers its tasks ran on."""
    from distributed import get_task_stream
    with get_task_stream(client) as stream:
        sess.run(fetches, feeds)
    where = {}
    for rec in stream.data:
        key = rec["key"][0] if isinstance(rec["key"], tuple) else rec["key"]
        where.setdefault(key, set()).add(rec["worker"])
    return where


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scheduler", default=None, help="a running scheduler's address (default: a LocalCluster)")
    p.add_argument("--workers", type=int, default=2, help="workers of the LocalCluster, and towers")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    args = p.parse_args(argv)

    import distributed
    data = digits()
    cluster = None
    if args.scheduler is None:
        cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
    result = {}
    try:
        with distributed.Client(args.scheduler or cluster, set_as_default=False) as client:
            workers = {name: addr for addr, name in client.run(lambda dask_worker: dask_worker.name).items()}
            towers = len(workers)
            print(f"cluster: {towers} workers {sorted(workers.values())}")

            with df.Graph().as_default():
                graph = data_parallel(data[0].shape[1], args.hidden, 10, args.lr, towers)
                with df.Session(scheduler="sync") as local:
                    result["local"] = train(local, graph, data, args.epochs, args.batch)
                with df.Session(client) as sess:
                    result["data_parallel"] = train(sess, graph, data, args.epochs, args.batch)
                    x, y, loss, step, _ = graph
                    result["towers_ran_on"] = {
                        k: sorted(ws) for k, ws in ran_on(client, sess, [loss, step],
                                                           {x: data[0][:args.batch], y: data[1][:args.batch]}).items()
                        if "tower" in k or k.startswith("var-")}
            for name in ("local", "data_parallel"):
                losses, acc = result[name]
                print(f"{name:>14}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, test accuracy {acc:.4f}")

            with df.Graph().as_default():
                graph = model_parallel(data[0].shape[1], args.hidden, 10, args.lr)
                with df.Session(client) as sess:
                    result["model_parallel"] = train(sess, graph, data, args.epochs, args.batch)
                    x, y, loss, step, _ = graph
                    where = ran_on(client, sess, [loss, step], {x: data[0][:args.batch], y: data[1][:args.batch]})
                    result["layers_ran_on"] = {layer: sorted({w for k, ws in where.items()
                                                              if k.startswith(f"var-{layer}/") for w in ws})
                                               for layer in ("hidden", "output")}
            losses, acc = result["model_parallel"]
            print(f"{'model_parallel':>14}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, test accuracy {acc:.4f}")
            for layer, ws in result["layers_ran_on"].items():
                print(f"  layer {layer!r} and its variables on {', '.join(ws)}")
            result["workers"] = workers
    finally:
        if cluster is not None:
            cluster.close()
    return result


if __name__ == "__main__":
    main()
