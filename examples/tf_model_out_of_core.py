"""A model trained and saved by TensorFlow 1.x, run by daskflow over data larger than its memory budget: the meta
graph (``model.ckpt-5.meta``) and the checkpoint (TF's tensor bundle) are loaded without TensorFlow, and the
model's predictions for every row of a zarr data set are written to zarr with ``df.io.to_zarr``, block by block.

    python examples/tf_model_out_of_core.py --rows 2000000 --budget-mib 64 [--dir WORK]

The model is the MLP of ``tests/fixtures/tf1`` (64 inputs, 16 hidden, 10 classes, trained 5 Adam steps by TF); the
data are synthetic rows of 64 features, written to ``WORK/features.zarr`` in chunks (never whole in memory).
"""
import argparse
import os
import tempfile

import numpy as np

import daskflow as df

MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "fixtures", "tf1", "mlp")


def write_features(path, rows, chunk_rows=65536, seed=0):
    """``rows`` x 64 float32 features in [0, 1) to a zarr array at ``path``, a chunk at a time."""
    import zarr
    z = zarr.create_array(path, shape=(rows, 64), chunks=(chunk_rows, 64), dtype="float32", overwrite=True)
    rng = np.random.default_rng(seed)
    for start in range(0, rows, chunk_rows):
        z[start:start + chunk_rows] = rng.random((min(chunk_rows, rows - start), 64), dtype=np.float32)
    return z


def reference(model, x):
    """The MLP's probabilities for ``x``, with numpy, from the checkpoint's weights."""
    r = df.train.NewCheckpointReader(df.train.latest_checkpoint(model))
    h = np.maximum(x @ r.get_tensor("dense/kernel") + r.get_tensor("dense/bias"), 0)
    z = h @ r.get_tensor("dense_1/kernel") + r.get_tensor("dense_1/bias")
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--budget-mib", type=float, default=64, help="run_bytes: the most a run may hold")
    p.add_argument("--model", default=MODEL, help="a directory of TF checkpoints with their meta graphs")
    p.add_argument("--dir", default=None, help="where the features and predictions go (default: a temporary one)")
    args = p.parse_args(argv)
    work = args.dir or tempfile.mkdtemp(prefix="daskflow-tf-model-")
    features = write_features(os.path.join(work, "features.zarr"), args.rows)
    data_bytes = features.nbytes

    budget = int(args.budget_mib * 2**20)
    with df.Graph().as_default(), df.config.set(run_bytes=budget, task_bytes=budget // 2, chunk_bytes=budget // 16):
        prefix = df.train.latest_checkpoint(args.model)
        X = df.data.from_zarr(features)  # read lazily, a block at a time
        # TF's graph, its ops mapped to daskflow's, reading X where it read its placeholder x
        saver = df.train.import_meta_graph(prefix + ".meta", input_map={"x:0": X})
        probs = df.get_default_graph().get_tensor_by_name("probs:0")
        with df.Session() as sess:
            saver.restore(sess, prefix)  # TF's tensor bundle, read by name
            plan = df.io.plan_to_zarr(probs, session=sess)
            out = df.io.to_zarr(probs, os.path.join(work, "predictions.zarr"), session=sess, overwrite=True,
                                progress=False)
    print(f"{args.rows} rows ({data_bytes / 2**20:.0f} MiB of features) through TF's model from {prefix}, "
          f"within a budget of {budget / 2**20:.0f} MiB (projected peak {plan.run_peak_bytes / 2**20:.1f} MiB)")
    head = features[:1000]
    err = float(np.abs(out[:1000] - reference(args.model, head)).max())
    print(f"predictions {out.shape} written; first 1000 rows against numpy on the checkpoint's weights: "
          f"max abs difference {err:.2e}")
    return {"shape": out.shape, "max_abs_error": err, "data_bytes": data_bytes, "budget": budget,
            "projected_peak": plan.run_peak_bytes, "classes": np.bincount(np.argmax(out[-1000:], 1), minlength=10)}


if __name__ == "__main__":
    main()
