"""A Session on a dask.distributed cluster against the local Session on the same machine:

a. seconds per training step of an MLP (784-1024-10, float32, ReLU, sparse softmax cross-entropy, Adam) at each
   batch size: the median over ``--steps`` steps after ``--warmup`` steps, for ``df.Session()`` and for
   ``df.Session(client)`` on a LocalCluster of 2 worker processes of one thread each (127.0.0.1), and their ratio,
   with steps taken back to back (as a training loop takes them) and alternating between the Sessions;
b. bytes a step moves: what the client receives from the scheduler (the fetched loss, and the scheduler's messages
   about the run), against the bytes of the fetched values and of a bare round trip fetching one float32 (the
   protocol's own cost); and the bytes of values the workers fetch from each other (distributed's
   ``transfer_incoming_log``);
c. a compute-bound chunked graph: a chain of ``--matmul-k`` float32 matmuls ``y = y @ W`` of ``--matmul-n`` square
   matrices (variables made on the cluster, blocks as daskflow's planner cuts them; only a sum comes back) on a
   1-worker and a 2-worker cluster (one thread each), and the local Session for reference: seconds, GFLOP/s and
   the speed-up of 2 workers over 1.

    python benchmarks/distributed.py [--batches 256 8192] [--steps 20] [--warmup 3] [--matmul-n 8192]
                                     [--matmul-k 3] [--matmul-repeat 2] [--matmul-chunk-mib MIB] [--json FILE]
    python benchmarks/distributed.py --batches 256 --steps 5 --matmul-n 2048 --matmul-chunk-mib 4   # a quick look

The goals: bytes to the client per step no more than the fetched values plus the protocol's overhead (both are
printed, with the state the workers keep; a step counts as within it while it receives less than 64 KiB beyond
its fetched values, the bound of tests/distributed/test_cluster_state.py); a cluster step within 3x of the local
one at batch 256 and within 1.2x at batch 8192. Timings are printed, never asserted: workers, scheduler and client
share this machine's cores.
"""
import argparse
import contextlib
import importlib.util
import json
import os
import sys
import time
import warnings

# run as a script, this file's folder comes first on sys.path, and this file would be imported as `distributed`
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402

from daskflow import testing  # noqa: E402

SIZES = (784, 1024, 10)
STEP_GOALS = {256: 3.0, 8192: 1.2}  # batch: the most a cluster step may take, in local steps
BLOCK = 5  # steps of one Session taken back to back, the first not counted
COUNTED_STEPS = 5  # steps whose bytes are counted (apart from the timed ones: counting costs a little)
OVERHEAD_BOUND = 64 * 2**10  # what a step may receive beyond its fetched values


def start_cluster(n_workers):
    import distributed
    # ":0": the scheduler's HTTP server on a free port (it starts even without a dashboard)
    cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=":0", worker_dashboard_address=None)
    # gathers go through the scheduler (distributed's default for a client outside the cluster): what the client
    # receives all comes on its comms to the scheduler
    return cluster, distributed.Client(cluster, set_as_default=False, direct_to_workers=False)


# -- counting bytes

def _worker_clock(dask_worker):
    from distributed.metrics import time as now
    return now() + dask_worker.scheduler_delay  # the clock of the worker's transfer log


def _fetched_from_workers(dask_worker, since):
    return sum(e["total"] for e in dask_worker.transfer_incoming_log if e["start"] >= since)


@contextlib.contextmanager
def between_workers(client):
    """Counts the bytes of the values the workers fetch from each other (the sizes of the values, from each
    worker's ``transfer_incoming_log``; a list of one int, set on exit)."""
    since = max(client.run(_worker_clock).values())
    counted = [0]
    yield counted
    counted[0] = sum(client.run(_fetched_from_workers, since=since).values())


def bare_round_trip(client, repeat=5):
    """Bytes the client receives for submitting a task that makes one float32 and fetching it: the protocol's
    overhead of one run with one fetched value (the median of ``repeat``)."""
    got = []
    for _ in range(repeat):
        with testing.client_received(client) as n:
            client.submit(np.float32, 1.0, pure=False).result()
        got.append(n[0])
    return int(np.median(got))


# -- a. and b.: the training step

def mlp(batch, seed=0):
    """A graph of the MLP's training step: the graph, its initializer, the fetches (loss and train op), a batch of
    data to feed, and the bytes of the state (variables, Adam's slots)."""
    import daskflow as df
    rng = np.random.default_rng(seed)
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, (None, SIZES[0]), name="x")
        y = df.placeholder(df.int64, (None,), name="y")
        h = x
        for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            W = df.Variable((rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32))
            h = df.matmul(h, W) + df.Variable(np.zeros(n_out, np.float32))
            if i + 2 < len(SIZES):
                h = df.nn.relu(h)
        loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = df.train.AdamOptimizer(1e-3).minimize(loss)
        init = df.global_variables_initializer()
        state = sum(v.dtype.itemsize * int(np.prod(v.shape)) for v in df.global_variables())
    feed = {x: rng.random((batch, SIZES[0]), dtype=np.float32), y: rng.integers(0, SIZES[-1], batch)}
    return g, init, [loss, train], feed, state


def bench_step(client, batch, steps, warmup):
    """Seconds per step, locally and on the cluster, after ``warmup`` steps each: the medians of ``steps`` steps
    each, timed two ways (load from elsewhere on the machine hits both Sessions alike in each):

    - back to back, as a training loop takes them: in blocks of ``BLOCK`` steps of one Session then of the other,
      the first step of each block not counted (it pays for the other Session's leftovers); the goals are judged
      on these;
    - alternating, a step of one Session then a step of the other: each step pays for the other's leftovers (the
      local Session's BLAS threads spin for a while after its step, taking the cores the workers need; the
      client's threads sleep during a cluster step and are slow to wake for a local one).

    Then the bytes of ``COUNTED_STEPS`` more steps on the cluster."""
    import daskflow as df
    g, init, fetches, feed, state = mlp(batch)
    row = {"batch": batch, "state_bytes": state, "feed_bytes": sum(v.nbytes for v in feed.values())}
    with df.Session(graph=g) as local, df.Session(client, graph=g) as remote, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)  # distributed's "Sending large graph": the feeds are in it
        sessions = (("local", local), ("cluster", remote))
        for _, sess in sessions:
            sess.run(init)
            for _ in range(warmup):
                sess.run(fetches, feed)
        for how, block, counted in (("", BLOCK, range(1, BLOCK)), ("alt_", 1, range(1))):
            times = {"local": [], "cluster": []}
            while len(times["cluster"]) < steps:  # both Sessions take the same steps: their losses agree
                for where, sess in sessions:
                    for i in range(block):
                        t0 = time.perf_counter()
                        row[f"{where}_loss"] = float(sess.run(fetches, feed)[0])
                        if i in counted:
                            times[where].append(time.perf_counter() - t0)
            row.update({f"{how}{where}_s": float(np.median(t)) for where, t in times.items()})
            row[f"{how}ratio"] = row[f"{how}cluster_s"] / row[f"{how}local_s"]
        received, fetched = [], 0
        with between_workers(client) as moved:
            for _ in range(COUNTED_STEPS):
                with testing.client_received(client) as n:
                    values = remote.run(fetches, feed)
                received.append(n[0])
                fetched = sum(np.asarray(v).nbytes for v in values if v is not None)
    row.update(fetched_bytes=fetched, client_bytes=int(np.median(received)),
               client_bytes_max=max(received), worker_bytes=moved[0] / COUNTED_STEPS,
               warnings=sorted({str(w.message).splitlines()[0] for w in caught}))
    # same steps, same losses: to float32's rounding of sums over the batch taken in another order (a batch split
    # over the workers, ``tower_bytes``), grown over the steps
    row["agree"] = bool(np.isclose(row["cluster_loss"], row["local_loss"], rtol=1e-3))
    return row


# -- c.: the matmul chain

def matmul_chain(n, k):
    """A graph of ``k`` matmuls ``y = y @ W`` of n x n float32 variables (made where the Session keeps them),
    whose sum is fetched."""
    import daskflow as df
    g = df.Graph()
    with g.as_default():
        x = df.Variable(df.random_normal([n, n], stddev=1.0, seed=1), name="x")
        W = df.Variable(df.random_normal([n, n], stddev=1.0 / np.sqrt(n), seed=2), name="W")  # keeps y's scale
        y = x
        for _ in range(k):
            y = df.matmul(y, W)
        total = df.reduce_sum(y)
        init = df.global_variables_initializer()
    return g, init, total


def matmul_seconds(n, k, repeat, client=None, chunk_bytes=None):
    """The best seconds of ``repeat`` runs of the chain (after one run not counted: planning, and the workers'
    imports), its sum, and the block grid of its variables on a cluster (as the planner cut them)."""
    import daskflow as df
    g, init, total = matmul_chain(n, k)
    # a chunk_bytes of our own would otherwise set task_bytes to 8 x chunk_bytes: the runs' budget stays large
    limits = {} if chunk_bytes is None else {"chunk_bytes": chunk_bytes, "task_bytes": 2 * 2**30}
    with df.config.set(**limits), df.Session(client, graph=g) as sess:
        sess.run(init)
        value = sess.run(total)
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = sess.run(total)
            best = min(best, time.perf_counter() - t0)
        chunks = getattr(sess._vars.get("W"), "chunks", None)  # a cluster's RemoteValue; None for local arrays
    blocks = None if chunks is None else "x".join(str(len(c)) for c in chunks)
    return dict(seconds=best, value=float(value), blocks=blocks, block=None if chunks is None else
                "x".join(str(max(c)) for c in chunks))


def bench_matmul(n, k, repeat, chunk_bytes=None):
    rows = [dict(where="local Session", workers=0, **matmul_seconds(n, k, repeat, None, chunk_bytes))]
    for workers in (1, 2):
        cluster, client = start_cluster(workers)
        with cluster, client:
            rows.append(dict(where=f"{workers}-worker cluster", workers=workers,
                             **matmul_seconds(n, k, repeat, client, chunk_bytes)))
    for r in rows:
        r["gflops"] = 2.0 * n ** 3 * k / r["seconds"] / 1e9
    return rows


# -- printing

def _print_steps(rows, steps):
    print(f"\na. MLP {'-'.join(map(str, SIZES))} float32, Adam: seconds per step (median of {steps}), "
          f"2 workers x 1 thread")
    print(f"{'':>7}{'back to back':^30}{'alternating':^30}")
    print(f"{'batch':>7}{'local':>11}{'cluster':>11}{'ratio':>8}{'local':>11}{'cluster':>11}{'ratio':>8}{'goal':>8}"
          f"   last loss, local and cluster")
    for r in rows:
        goal = STEP_GOALS.get(r["batch"])
        met = "" if goal is None else f"{'<=' if r['ratio'] <= goal else '> '}{goal:g}x"
        print(f"{r['batch']:>7}{r['local_s'] * 1e3:>9.1f}ms{r['cluster_s'] * 1e3:>9.1f}ms{r['ratio']:>7.2f}x"
              f"{r['alt_local_s'] * 1e3:>9.1f}ms{r['alt_cluster_s'] * 1e3:>9.1f}ms{r['alt_ratio']:>7.2f}x{met:>8}"
              f"   {r['local_loss']:.6g} {r['cluster_loss']:.6g} ({'agree' if r['agree'] else 'DIFFER'})")
    print("  back to back: steps of one Session in blocks, as a training loop takes them (the goals are judged on\n"
          "  these); alternating: a step of each in turn, each paying for the other's leftovers. A batch of 8192\n"
          "  (24.6 MiB fed, over daskflow's tower_bytes) is split over the 2 workers, a task each, and one more\n"
          "  task sums their gradients and updates the state; a batch of 256 runs as one task next to the state")


def _print_bytes(rows, bare):
    print(f"\nb. bytes per step on the cluster (median of {COUNTED_STEPS} steps; a bare round trip fetching one "
          f"float32 receives {bare} B)")
    print(f"{'batch':>7}{'fetched':>10}{'client rx':>11}{'overhead':>10}{'max rx':>9}{'workers':>12}{'fed':>12}"
          f"{'state':>12}")
    for r in rows:
        print(f"{r['batch']:>7}{r['fetched_bytes']:>8} B{r['client_bytes']:>9} B"
              f"{r['client_bytes'] - r['fetched_bytes']:>8} B{r['client_bytes_max']:>7} B"
              f"{_fmt_bytes(r['worker_bytes']):>12}{_fmt_bytes(r['feed_bytes']):>12}{_fmt_bytes(r['state_bytes']):>12}")
    print("  client rx: what the client read from the scheduler during a step; overhead: that less the fetched values\n"
          "  (the scheduler's messages about the run); workers: values the workers fetched from each other; fed: the\n"
          "  step's feeds, sent by the client (straight to the workers when the batch is split, else in the run's\n"
          "  graph); state: variables and Adam's slots, kept on the workers, each block with a copy on another\n"
          "  worker (daskflow's state_copies, 2 by default: a worker's loss loses no state). A run as one task\n"
          "  sends the new state's copies, the state's bytes again; a split batch runs its combining task on both\n"
          "  workers, each making its copy, and the workers exchange the towers' results instead (workers column)")
    for r in rows:
        for w in r["warnings"]:
            print(f"  batch {r['batch']}: distributed warned: {w}")


def _print_matmul(rows, n, k, repeat):
    print(f"\nc. {k} chained float32 matmuls of {n}x{n} (best of {repeat})")
    print(f"{'where':>18}{'seconds':>10}{'GFLOP/s':>10}{'sum':>14}   blocks of W")
    for r in rows:
        blocks = "" if r["blocks"] is None else f"   {r['blocks']} of {r['block']}"
        print(f"{r['where']:>18}{r['seconds']:>10.2f}{r['gflops']:>10.1f}{r['value']:>14.5g}{blocks}")
    one, two = (next(r["seconds"] for r in rows if r["workers"] == w) for w in (1, 2))
    print(f"  speed-up of 2 workers over 1: {one / two:.2f}x")


def _print_goals(steps, bare):
    print("\ngoals:")
    for r in steps:
        over = r["client_bytes"] - r["fetched_bytes"]
        met = r["client_bytes_max"] - r["fetched_bytes"] < OVERHEAD_BOUND
        print(f"  batch {r['batch']}: bytes to the client per step no more than the fetched values plus the "
              f"protocol's overhead: {r['client_bytes']} B = {r['fetched_bytes']} B fetched + {over} B overhead "
              f"(a bare one-value round trip receives {bare} B; the state is {_fmt_bytes(r['state_bytes'])}): "
              f"{'met' if met else 'missed'}")
    for r in steps:
        goal = STEP_GOALS.get(r["batch"])
        if goal is not None:
            print(f"  batch {r['batch']}: cluster step within {goal:g}x of local: {r['ratio']:.2f}x back to back "
                  f"({'met' if r['ratio'] <= goal else 'missed'}; {r['alt_ratio']:.2f}x alternating)")


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, nargs="+", default=[256, 8192])
    p.add_argument("--steps", type=int, default=20, help="timed steps (the median counts)")
    p.add_argument("--warmup", type=int, default=3, help="steps before the timed ones")
    p.add_argument("--matmul-n", type=int, default=8192, help="size of the square matrices")
    p.add_argument("--matmul-k", type=int, default=3, help="matmuls in the chain")
    p.add_argument("--matmul-repeat", type=int, default=2, help="timed runs of the chain (the best counts)")
    p.add_argument("--matmul-chunk-mib", type=float, default=None,
                   help="daskflow's chunk_bytes for the chain, in MiB, with task_bytes 2 GiB (default: the "
                        "planner's own; a matrix within it is one block, which one worker runs)")
    p.add_argument("--json", default=None, help="also write the measurements to this file")
    args = p.parse_args(argv)
    if importlib.util.find_spec("distributed") is None:
        print("skipped: dask.distributed is not installed (pip install distributed)")
        return None
    cluster, client = start_cluster(2)
    with cluster, client:
        bare = bare_round_trip(client)
        steps = [bench_step(client, b, args.steps, args.warmup) for b in args.batches]
    _print_steps(steps, args.steps)
    _print_bytes(steps, bare)
    chunk = None if args.matmul_chunk_mib is None else int(args.matmul_chunk_mib * 2**20)
    matmul = bench_matmul(args.matmul_n, args.matmul_k, args.matmul_repeat, chunk)
    _print_matmul(matmul, args.matmul_n, args.matmul_k, args.matmul_repeat)
    _print_goals(steps, bare)
    result = {"steps": steps, "bare_round_trip_bytes": bare, "matmul": matmul,
              "settings": {k: v for k, v in vars(args).items() if k != "json"}}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
