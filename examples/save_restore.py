"""Checkpoints with ``df.train.Saver``: train the digits MLP part of the way, save, restore in a new process and
finish training there; the result is the same as training without a stop (the same losses, the same test
accuracy), because the checkpoint holds every variable, Adam's slots and the global step included.

    python examples/save_restore.py --epochs 20 --stop-after 8 [--dir CHECKPOINTS]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_mlp import build, load_digits  # noqa: E402

import daskflow as df  # noqa: E402


def train(sess, x, y, loss, step, epochs, batch):
    """Mini-batch epochs ``epochs`` (a range: each epoch's order comes from its number, so a resumed run takes the
    batches the uninterrupted one takes); the mean loss of each."""
    x_train, y_train, _, _ = load_digits()
    losses = []
    for epoch in epochs:
        order = np.random.default_rng(epoch).permutation(len(x_train))
        out = [sess.run([loss, step], {x: x_train[order[i:i + batch]], y: y_train[order[i:i + batch]]})[0]
               for i in range(0, len(order), batch)]
        losses.append(float(np.mean(out)))
    return losses


def resume(args):
    """In a new process: the graph built again, the latest checkpoint restored, the remaining epochs trained."""
    _, _, x_test, y_test = load_digits()
    x, y, loss, step, accuracy = build(64, args.hidden, 10, args.lr)
    saver = df.train.Saver()
    with df.Session() as sess:
        path = df.train.latest_checkpoint(args.dir)
        saver.restore(sess, path)
        start = int(sess.run(df.train.get_global_step()))
        losses = train(sess, x, y, loss, step, range(args.stop_after, args.epochs), args.batch)
        acc = float(sess.run(accuracy, {x: x_test, y: y_test}))
    print(json.dumps({"restored": path, "global_step": start, "losses": losses, "accuracy": acc}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--stop-after", type=int, default=8)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--dir", default=None, help="checkpoint directory (default: a temporary one)")
    p.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = p.parse_args(argv)
    if args.resume:
        return resume(args)
    args.dir = args.dir or tempfile.mkdtemp(prefix="daskflow-ckpt-")
    _, _, x_test, y_test = load_digits()

    with df.Graph().as_default():  # uninterrupted, for reference
        x, y, loss, step, accuracy = build(64, args.hidden, 10, args.lr)
        with df.Session() as sess:
            sess.run(df.global_variables_initializer())
            want = train(sess, x, y, loss, step, range(args.epochs), args.batch)
            want_acc = float(sess.run(accuracy, {x: x_test, y: y_test}))
    print(f"uninterrupted: {args.epochs} epochs, last loss {want[-1]:.4f}, test accuracy {want_acc:.4f}")

    with df.Graph().as_default():  # stopped after some epochs, saved
        x, y, loss, step, accuracy = build(64, args.hidden, 10, args.lr)
        saver = df.train.Saver(max_to_keep=3)
        with df.Session() as sess:
            sess.run(df.global_variables_initializer())
            first = train(sess, x, y, loss, step, range(args.stop_after), args.batch)
            path = saver.save(sess, os.path.join(args.dir, "digits.ckpt"), global_step=df.train.get_global_step())
    print(f"saved {path} after {args.stop_after} epochs")

    cmd = [sys.executable, os.path.abspath(__file__), "--resume", "--dir", args.dir, "--epochs", str(args.epochs),
           "--stop-after", str(args.stop_after), "--batch", str(args.batch), "--hidden", str(args.hidden),
           "--lr", str(args.lr)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    resumed = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"resumed in a new process from {resumed['restored']} (global step {resumed['global_step']}): "
          f"last loss {resumed['losses'][-1]:.4f}, test accuracy {resumed['accuracy']:.4f}")
    same = first + resumed["losses"] == want and resumed["accuracy"] == want_acc
    print("the same as uninterrupted training" if same else "DIFFERENT from uninterrupted training")
    return {"losses": want, "accuracy": want_acc, "resumed_losses": first + resumed["losses"],
            "resumed_accuracy": resumed["accuracy"], "global_step": resumed["global_step"], "checkpoint": path}


if __name__ == "__main__":
    main()
