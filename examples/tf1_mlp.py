"""An MLP classifier of scikit-learn's bundled 8x8 digits, written as a TF1 tutorial writes it, with
``import daskflow as tf`` as its only change: ``tf.layers.dense`` and ``tf.layers.dropout`` driven by a ``training``
placeholder, ``tf.losses.sparse_softmax_cross_entropy``, ``tf.metrics.accuracy`` over the test split (its counters are
local variables), ``tf.summary`` scalars and histograms written by a ``FileWriter`` for TensorBoard, and a
``tf.train.Saver`` checkpoint. At the default settings the test accuracy is 97.5-99% over seeds (the stated target:
>= 97%).

    python examples/tf1_mlp.py --epochs 40 --logdir /tmp/tf1_mlp
"""
import argparse
import os
import tempfile

import numpy as np

import daskflow as tf


def load_digits(test_fraction=0.25, seed=0):
    """The 1797 digits as (x_train, y_train, x_test, y_test): pixels scaled to [0, 1], int64 labels."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split
    data = sk_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    return train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)


def model(x, training, hidden, dropout, classes=10):
    with tf.variable_scope("mlp"):
        h = x
        for i, units in enumerate(hidden):
            h = tf.layers.dense(h, units, activation=tf.nn.relu, name=f"hidden{i + 1}")
            h = tf.layers.dropout(h, rate=dropout, training=training, name=f"dropout{i + 1}")
        return tf.layers.dense(h, classes, name="logits")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 64])
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--logdir", default=os.path.join(tempfile.gettempdir(), "tf1_mlp"))
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    x_train, x_test, y_train, y_test = load_digits()
    tf.reset_default_graph()
    tf.set_random_seed(args.seed)

    x = tf.placeholder(tf.float32, [None, 64], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    training = tf.placeholder_with_default(False, [], name="training")
    logits = model(x, training, args.hidden, args.dropout)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    predictions = tf.argmax(logits, axis=1, name="predictions")

    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(args.lr).minimize(loss, global_step=global_step)

    with tf.name_scope("eval"):
        accuracy, accuracy_update = tf.metrics.accuracy(labels=y, predictions=predictions)

    tf.summary.scalar("loss", loss)
    for v in tf.trainable_variables():
        tf.summary.histogram(v.op.name, v)
    merged = tf.summary.merge_all()
    test_summary = tf.summary.scalar("test_accuracy", accuracy, collections=[])
    saver = tf.train.Saver(max_to_keep=2)

    rng = np.random.RandomState(args.seed)
    losses = []
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(args.logdir, sess.graph)
        sess.run(tf.global_variables_initializer())
        for epoch in range(args.epochs):
            order = rng.permutation(len(x_train))
            epoch_loss = []
            for i in range(0, len(order), args.batch):
                idx = order[i:i + args.batch]
                feed = {x: x_train[idx], y: y_train[idx], training: True}
                summary, batch_loss, _, step = sess.run([merged, loss, train_op, global_step], feed)
                epoch_loss.append(batch_loss)
            writer.add_summary(summary, step)
            losses.append(float(np.mean(epoch_loss)))
            print(f"epoch {epoch:3d}  loss {losses[-1]:.4f}")
        checkpoint = saver.save(sess, os.path.join(args.logdir, "model.ckpt"), global_step=global_step)
        step = tf.train.global_step(sess, global_step)

        sess.run(tf.local_variables_initializer())  # the metric's total and count start at zero
        for i in range(0, len(x_test), 100):  # accumulated over batches, as a streaming metric is
            sess.run(accuracy_update, {x: x_test[i:i + 100], y: y_test[i:i + 100]})
        test_acc, summary = sess.run([accuracy, test_summary])
        writer.add_summary(summary, step)
        writer.close()
    print(f"test accuracy {test_acc:.4f} on {len(x_test)} held-out digits; checkpoint {checkpoint}")
    return {"losses": losses, "accuracy": float(test_acc), "checkpoint": checkpoint, "logdir": args.logdir,
            "global_step": int(step)}


if __name__ == "__main__":
    main()
