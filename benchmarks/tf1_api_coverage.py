"""Coverage of TensorFlow 1.x's public API: for each module of ``tensorflow.compat.v1`` that TF1 programs build
models with, the public names daskflow has, the names left out because they have no meaning for a graph engine on
dask (``EXCLUDED`` below, each group with its reason; the README lists them), and the names still missing.

    python benchmarks/tf1_api_coverage.py [--tf-python PATH] [--missing] [--excluded]

TensorFlow is never a dependency: the names are read from ``tensorflow.compat.v1`` in this interpreter when it is
installed, else from the interpreter given with ``--tf-python`` (a virtual environment with TensorFlow and
``tf-keras``), else the benchmark says so and stops. ``--missing`` lists the missing names of each module,
``--excluded`` prints the excluded groups as a Markdown list.
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys

MODULES = ("tf", "nn", "train", "layers", "losses", "metrics", "initializers", "summary", "math", "linalg",
           "random", "errors", "image")
EXTRA = ("strings", "sparse", "distributions", "lookup", "sets", "saved_model", "test", "ragged", "profiler", "feature_column")  # reported, not in the goal

# Names with no meaning for a graph engine on dask: {reason: [module.name or module.pattern, ...]}
EXCLUDED = {
    "TensorFlow's build, its C++ toolchain and its native plugin loading": [
        "tf.COMPILER_VERSION", "tf.CXX11_ABI_FLAG", "tf.CXX_VERSION", "tf.GIT_VERSION", "tf.MONOLITHIC_BUILD",
        "tf.VERSION", "tf.version", "tf.GRAPH_DEF_VERSION*", "tf.sysconfig", "tf.load_file_system_library", "tf.load_library",
        "tf.load_op_library", "tf.user_ops", "tf.resource_loader", "tf.mlir", "tf.lite", "tf.raw_ops"],
    "TPU and XLA compilation": ["tf.tpu", "tf.xla", "tf.approx_top_k", "nn.approx_max_k", "nn.approx_min_k",
                                "math.approx_max_k", "math.approx_min_k"],
    "quantised types and kernels (numpy has no quantised dtypes)": [
        "tf.qint8", "tf.qint16", "tf.qint32", "tf.quint8", "tf.quint16", "tf.QUANTIZED_DTYPES", "tf.quantization",
        "tf.quantize", "tf.quantize_v2", "tf.quantized_concat", "tf.dequantize", "tf.fake_quant_*", "nn.quantized_*",
        "train.do_quantize_training_on_graphdef"],
    "bfloat16 (no numpy or cupy dtype)": ["tf.bfloat16", "tf.to_bfloat16"],
    "resource and variant handles and their containers (daskflow's variables are values held by the Session)": [
        "tf.resource", "tf.variant", "tf.container"],
    "TensorFlow 2's eager mode, tf.function and its type specs (daskflow is graph mode only)": [
        "tf.enable_eager_execution", "tf.executing_eagerly_outside_functions", "tf.function", "tf.wrap_function",
        "tf.autograph", "tf.GradientTape", "tf.Module", "tf.TypeSpec", "tf.TensorSpec", "tf.SparseTensorSpec",
        "tf.IndexedSlicesSpec", "tf.RaggedTensorSpec", "tf.TensorArraySpec", "tf.OptionalSpec", "tf.NoneTensorSpec",
        "tf.type_spec_from_value", "tf.types", "tf.variable_creator_scope", "tf.recompute_grad",
        "tf.nondifferentiable_batch_function", "tf.vectorized_map", "tf.enable_v2_behavior",
        "tf.enable_control_flow_v2", "tf.enable_resource_variables", "tf.enable_tensor_equality",
        "tf.enable_v2_tensorshape", "tf.experimental",
        "random.Generator", "random.get_global_generator", "random.set_global_generator", "random.create_rng_state",
        "random.Algorithm", "random.experimental", "tf.mixed_precision", "saved_model.save", "saved_model.load_v2",
        "saved_model.experimental", "test.experimental"],
    "TensorFlow's own distribution runtime (daskflow runs on dask.distributed)": [
        "tf.distribute", "train.Server", "train.ServerDef", "train.ClusterDef", "train.JobDef", "train.ClusterSpec",
        "train.SyncReplicasOptimizer", "tf.check_pinned"],
    "Keras, a separate library (TF1 exposes it as tf.keras)": ["tf.keras", "layers.experimental"],
    "the compat module of TensorFlow 2 (v1/v2 switch)": ["tf.compat"],
    "tf.contrib.summary's writers (TF1's graph-mode summaries are tf.summary with FileWriter)": [
        "summary.initialize"],
    "TensorFlow's C API status objects": ["errors.raise_exception_on_not_ok_status"],
}


def _excluded(module, name):
    key = f"{module}.{name}"
    return any(fnmatch.fnmatchcase(key, pat) for pats in EXCLUDED.values() for pat in pats)


_DUMP = """
import json, os, sys
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf
out = {"version": tf.__version__ if hasattr(tf, "__version__") else tf.VERSION, "modules": {}}
for m in %r:
    mod = tf if m == "tf" else getattr(tf, m)
    out["modules"][m] = sorted(n for n in dir(mod) if not n.startswith("_"))
sys.stdout.write(json.dumps(out))
"""


def tf_names(tf_python=None):
    """{module: [public names]} of tensorflow.compat.v1, and TF's version; None where TensorFlow is not found."""
    code = _DUMP % (MODULES + EXTRA,)
    python = tf_python
    if python is None:
        try:
            import importlib.util
            if importlib.util.find_spec("tensorflow") is None:
                return None
        except (ImportError, ValueError):
            return None
        python = sys.executable
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    res = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=False)
    if res.returncode:
        sys.exit(f"reading TensorFlow's names with {python} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout)


def coverage(names):
    """Rows (module, have, counted, excluded, missing names) comparing daskflow with TF's ``names``."""
    import daskflow as df
    rows = []
    for m, tf_list in names.items():
        mod = df if m == "tf" else getattr(df, m, None)
        counted = [n for n in tf_list if not _excluded(m, n)]
        have = [n for n in counted if mod is not None and hasattr(mod, n)]
        missing = [n for n in counted if n not in set(have)]
        rows.append((m, len(have), len(counted), len(tf_list) - len(counted), missing))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tf-python", help="a Python interpreter with TensorFlow (and tf-keras) installed")
    ap.add_argument("--missing", action="store_true", help="list the missing names of each module")
    ap.add_argument("--excluded", action="store_true", help="print the excluded names as Markdown and stop")
    args = ap.parse_args()
    if args.excluded:
        for reason, pats in EXCLUDED.items():
            print(f"- {reason}: " + ", ".join(f"`{p}`" for p in pats))
        return
    data = tf_names(args.tf_python)
    if data is None:
        print("TensorFlow is not installed here (pass --tf-python PATH): nothing to compare against.")
        return
    rows = coverage(data["modules"])
    print(f"TensorFlow {data['version']} (tensorflow.compat.v1) against daskflow")
    print(f"{'module':<14}{'daskflow':>10}{'counted':>9}{'share':>8}{'left out':>10}")
    have = counted = 0
    for m, h, c, x, _ in rows:
        print(f"{m:<14}{h:>10}{c:>9}{h / max(c, 1):>8.0%}{x:>10}" + ("   (not in the goal)" if m in EXTRA else ""))
        if m in MODULES:
            have, counted = have + h, counted + c
    print(f"{'goal modules':<14}{have:>10}{counted:>9}{have / counted:>8.0%}")
    if args.missing:
        for m, _, _, _, missing in rows:
            print(f"\n{m} missing ({len(missing)}): " + " ".join(missing))


if __name__ == "__main__":
    main()
