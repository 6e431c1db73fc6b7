"""Logistic regression on a data set larger than a chosen memory budget, stored in zarr and never loaded whole.

    python examples/out_of_core_logreg.py --gib 1 --budget-mib 256

1. Writes a synthetic classification data set (float32 features, 0/1 labels) to zarr, chunk by chunk, with a
   train and a test split.
2. Trains by mini-batch SGD from a ``df.data.Dataset`` over the stored training arrays: read in row blocks,
   shuffled with a seed, batched, prefetched on a background thread.
3. Trains a second model by full-batch gradient descent: every step is one streaming pass over all training rows
   (per-block partial gradients and a tree reduction), planned within the budget.
4. Reports loss and accuracy of both models on the test split (streamed too) and the process's peak memory.
"""
import argparse
import os
import resource
import shutil
import tempfile
import time

import dask.array as da
import numpy as np

import daskflow as df


def write_data(path, rows, features, seed=0, test_fraction=0.1):
    """Train and test splits of ``rows`` rows in a zarr group: X = N(0, 1), y = [X w + noise > 0]."""
    import zarr

    n_test = int(rows * test_fraction)
    block = max(1, (8 * 2**20) // (4 * features))  # storage chunks of about 8 MiB
    w_true = np.random.default_rng(seed).standard_normal((features, 1)).astype(np.float32)
    group = zarr.open_group(path, mode="w")
    for split, n, s in (("train", rows - n_test, seed + 1), ("test", n_test, seed + 2)):
        rs = da.random.RandomState(s)
        X = rs.standard_normal((n, features), chunks=(block, features)).astype(np.float32)
        y = ((X @ w_true) / np.sqrt(features) + 0.3 * rs.standard_normal((n, 1), chunks=(block, 1)) > 0)
        zx = group.create_array(f"{split}/X", shape=X.shape, chunks=(block, features), dtype="f4")
        zy = group.create_array(f"{split}/y", shape=y.shape, chunks=(block, 1), dtype="f4")
        da.store([X, y.astype(np.float32)], [zx, zy], lock=False)
    return group


def model(name, features):
    with df.name_scope(name):
        w = df.Variable(np.zeros((features, 1), np.float32), name="w")
        b = df.Variable(np.float32(0.0), name="b")
    return w, b


def metrics(w, b, X, y):
    logits = df.matmul(X, w) + b
    loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    accuracy = df.reduce_mean(df.cast(df.equal(df.cast(logits > 0, df.float32), y), df.float32))
    return loss, accuracy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gib", type=float, default=1.0, help="size of the features in GiB (ignored with --rows)")
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--budget-mib", type=float, default=256, help="memory budget for the data work")
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--gd-steps", type=int, default=10)
    p.add_argument("--dir", default=None, help="where to write the data (default: a temporary directory)")
    args = p.parse_args(argv)

    rows = args.rows or int(args.gib * 2**30) // (4 * args.features)
    budget = int(args.budget_mib * 2**20)
    data_bytes = rows * (args.features + 1) * 4
    workdir = args.dir or tempfile.mkdtemp(prefix="daskflow-logreg-")
    path = os.path.join(workdir, "data.zarr")
    # the whole run is held to the budget (run_bytes): a run that could not keep to it is refused before it starts;
    # blocks of an eighth of each thread's share leave room for the blocks a run holds at once
    threads = os.cpu_count() or 1
    settings = df.config.set(run_bytes=budget, chunk_bytes=max(1, budget // (8 * threads)),
                             task_bytes=max(1, budget // threads))
    print(f"data set: {rows} rows x {args.features} features = {data_bytes / 2**20:.1f} MiB, "
          f"memory budget {budget / 2**20:.1f} MiB ({'larger' if data_bytes > budget else 'smaller'} than the budget)")
    results = {}
    try:
        t0 = time.perf_counter()
        write_data(path, rows, args.features)
        print(f"wrote {path} in {time.perf_counter() - t0:.1f} s")
        with settings, df.Graph().as_default():
            Xs, ys = (df.data.from_zarr(path, component=f"train/{c}") for c in ("X", "y"))
            Xt, yt = (df.data.from_zarr(path, component=f"test/{c}") for c in ("X", "y"))

            # mini-batch SGD over a shuffled, prefetched Dataset of the stored arrays
            # (a shuffle buffer of up to 64 batches, within an eighth of the budget: it is held in memory)
            buffer = max(args.batch, min(64 * args.batch, budget // (8 * 4 * (args.features + 1))))
            ds = (df.data.Dataset.from_tensor_slices((Xs, ys)).shuffle(buffer, seed=0)
                  .batch(args.batch).repeat(args.epochs).prefetch(2))
            xb, yb = ds.make_one_shot_iterator().get_next()
            w1, b1 = model("sgd", args.features)
            batch_loss, _ = metrics(w1, b1, xb, yb)
            sgd_step = df.train.GradientDescentOptimizer(0.5).minimize(batch_loss)

            # full-batch gradient descent: each step streams every training row
            w2, b2 = model("gd", args.features)
            full_loss, _ = metrics(w2, b2, Xs, ys)
            gd_step = df.train.GradientDescentOptimizer(2.0).minimize(full_loss)

            test = {name: metrics(w, b, Xt, yt) for name, (w, b) in (("sgd", (w1, b1)), ("gd", (w2, b2)))}
            with df.Session() as sess:
                sess.run(df.global_variables_initializer())
                print(sess.plan([gd_step, full_loss]))
                t0, step, sgd_losses = time.perf_counter(), 0, []
                while True:
                    try:
                        _, loss = sess.run([sgd_step, batch_loss])
                    except df.errors.OutOfRangeError:
                        break
                    sgd_losses.append(float(loss))
                    if step % max(1, rows // args.batch // 5) == 0:
                        print(f"sgd step {step}: batch loss {loss:.4f}")
                    step += 1
                print(f"mini-batch SGD: {step} steps in {time.perf_counter() - t0:.1f} s")
                t0, gd_losses = time.perf_counter(), []
                for i in range(args.gd_steps):
                    _, loss = sess.run([gd_step, full_loss])
                    gd_losses.append(float(loss))
                    print(f"full-batch step {i}: loss {loss:.4f}")
                print(f"full-batch GD: {args.gd_steps} passes over the data in {time.perf_counter() - t0:.1f} s")
                for name, (loss, acc) in test.items():
                    lv, av = sess.run([loss, acc])
                    results[name] = {"test_loss": float(lv), "test_accuracy": float(av)}
                    print(f"{name}: test loss {lv:.4f}, test accuracy {av:.4f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"peak memory (RSS) of this process: {peak / 2**20:.0f} MiB for {data_bytes / 2**20:.0f} MiB of data")
        results.update(sgd_losses=sgd_losses, gd_losses=gd_losses, peak_rss=peak, data_bytes=data_bytes)
        return results
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
