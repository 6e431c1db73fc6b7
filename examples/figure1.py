"""The TensorFlow whitepaper's Figure 1 program on daskflow: ReLU(Wx + b) and a cost C, trained for several steps
by gradient descent, each step with a fresh batch of inputs (the gradients are graph nodes, as in its Figure 5).

    python examples/figure1.py --steps 20 --batch 100
"""
import argparse

import numpy as np

import daskflow as df


def build(seed=1, learning_rate=0.1):
    b = df.Variable(df.zeros([100]), name="b")                                # 100-d vector, init to zeros
    W = df.Variable(df.random_uniform([784, 100], -1, 1, seed=seed), name="W")  # 784x100 matrix, random values
    x = df.placeholder(df.float32, shape=(None, 784), name="x")              # placeholder for input
    relu = df.nn.relu(df.matmul(x, W) + b)                                   # Relu(Wx+b)
    target = df.placeholder(df.float32, shape=(None, 100), name="target")
    C = df.reduce_mean(df.square(relu - target), name="C")                  # cost computed as a function of Relu
    dW, db = df.gradients(C, [W, b])                                         # symbolic gradients: more graph nodes
    step = df.group(W.assign_sub(learning_rate * dW), b.assign_sub(learning_rate * db), name="step")
    return x, target, C, step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--scheduler", default=None, help="sync, threads, processes or a scheduler address")
    args = p.parse_args(argv)

    x, target, C, step = build()
    rng = np.random.default_rng(0)
    teacher = rng.uniform(-0.05, 0.05, (784, 100)).astype(np.float32)  # what a perfect W would compute
    costs = []
    with df.Session(scheduler=args.scheduler) as s:
        s.run(df.global_variables_initializer())
        for i in range(args.steps):
            inp = rng.random((args.batch, 784), dtype=np.float32)  # a fresh batch each step
            cost, _ = s.run([C, step], feed_dict={x: inp, target: np.maximum(inp @ teacher, 0)})
            costs.append(float(cost))
            print(f"step {i}: C = {cost:.4f}")
    return costs


if __name__ == "__main__":
    main()
