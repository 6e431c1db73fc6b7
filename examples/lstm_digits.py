"""An LSTM classifier of the 8x8 digits read row by row: each image is a sequence of 8 time steps of 8 pixels,
run by ``df.nn.dynamic_rnn`` (a ``while_loop`` over the time steps, trained through its gradient loop) with an
``LSTMCell``; the last output goes through a softmax layer. Variables are named as TF1 names them
(``rnn/lstm_cell/kernel``...), so a TF1 checkpoint of the same model restores into it.

    python examples/lstm_digits.py --epochs 15 --hidden 64
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_mlp import load_digits  # noqa: E402

import daskflow as df  # noqa: E402


def build(steps, features, hidden, classes, learning_rate, seed=0):
    df.set_random_seed(seed)
    x = df.placeholder(df.float32, (None, steps, features), name="x")
    y = df.placeholder(df.int64, (None,), name="y")
    cell = df.nn.rnn_cell.LSTMCell(hidden)
    outputs, state = df.nn.dynamic_rnn(cell, x, dtype=df.float32)
    with df.name_scope("softmax"):
        W = df.Variable(df.random.truncated_normal((hidden, classes), stddev=hidden ** -0.5), name="W")
        b = df.Variable(df.zeros((classes,)), name="b")
        logits = df.matmul(state.h, W) + b
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
    step = df.train.AdamOptimizer(learning_rate).minimize(loss)
    accuracy = df.reduce_mean(df.cast(df.equal(df.argmax(logits, 1), y), df.float32), name="accuracy")
    return x, y, loss, step, accuracy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    args = p.parse_args(argv)

    x_train, y_train, x_test, y_test = load_digits()
    x_train, x_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)  # 8 rows of 8 pixels
    x, y, loss, step, accuracy = build(8, 8, args.hidden, 10, args.lr)
    rng = np.random.default_rng(1)
    losses = []
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        names = [v.name for v in df.trainable_variables()]
        for epoch in range(args.epochs):
            order = rng.permutation(len(x_train))
            out = [sess.run([loss, step], {x: x_train[order[i:i + args.batch]], y: y_train[order[i:i + args.batch]]})[0]
                   for i in range(0, len(order), args.batch)]
            losses.append(float(np.mean(out)))
            print(f"epoch {epoch:3d}  loss {losses[-1]:.4f}")
        test_acc = float(sess.run(accuracy, {x: x_test, y: y_test}))
    print(f"test accuracy {test_acc:.4f} on {len(x_test)} held-out digits; variables {', '.join(names)}")
    return {"losses": losses, "accuracy": test_acc, "variables": names}


if __name__ == "__main__":
    main()
