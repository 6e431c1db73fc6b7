"""Train a multilayer perceptron on scikit-learn's bundled 8x8 digits (no download) with daskflow: symbolic
gradients, Adam, mini-batches fed per step, test accuracy on a held-out split.

    python examples/digits_mlp.py --epochs 30 --hidden 128
"""
import argparse

import numpy as np

import daskflow as df


def load_digits(test_fraction=0.25, seed=0):
    from sklearn.datasets import load_digits as sk_digits
    data = sk_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def build(n_in, hidden, n_out, learning_rate, seed=0):
    x = df.placeholder(df.float32, (None, n_in), name="x")
    y = df.placeholder(df.int64, (None,), name="y")
    with df.name_scope("hidden"):
        W1 = df.Variable(df.random.truncated_normal((n_in, hidden), stddev=(2.0 / n_in) ** 0.5, seed=seed), name="W")
        b1 = df.Variable(df.zeros((hidden,)), name="b")
        h = df.nn.relu(df.matmul(x, W1) + b1)
    with df.name_scope("output"):
        W2 = df.Variable(df.random.truncated_normal((hidden, n_out), stddev=(1.0 / hidden) ** 0.5, seed=seed + 1),
                         name="W")
        b2 = df.Variable(df.zeros((n_out,)), name="b")
        logits = df.matmul(h, W2) + b2
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
    global_step = df.train.get_or_create_global_step()
    step = df.train.AdamOptimizer(learning_rate).minimize(loss, global_step=global_step)
    accuracy = df.reduce_mean(df.cast(df.equal(df.argmax(logits, 1), y), df.float32), name="accuracy")
    return x, y, loss, step, accuracy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    args = p.parse_args(argv)

    x_train, y_train, x_test, y_test = load_digits()
    x, y, loss, step, accuracy = build(x_train.shape[1], args.hidden, 10, args.lr)
    rng = np.random.default_rng(1)
    losses = []
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        for epoch in range(args.epochs):
            order = rng.permutation(len(x_train))
            epoch_loss = []
            for i in range(0, len(order), args.batch):
                idx = order[i:i + args.batch]
                l, _ = sess.run([loss, step], {x: x_train[idx], y: y_train[idx]})
                epoch_loss.append(l)
            losses.append(float(np.mean(epoch_loss)))
            print(f"epoch {epoch:3d}  loss {losses[-1]:.4f}")
        test_acc = float(sess.run(accuracy, {x: x_test, y: y_test}))
    print(f"test accuracy {test_acc:.4f} on {len(x_test)} held-out digits")
    return losses, test_acc


if __name__ == "__main__":
    main()
