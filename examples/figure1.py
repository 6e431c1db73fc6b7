"""The TensorFlow whitepaper's Figure 1 program on daskflow: ReLU(Wx + b) and a cost C, run for several steps,
each with a fresh batch of inputs.

    python examples/figure1.py --steps 5 --batch 100
"""
import argparse

import numpy as np

import daskflow as df


def build(seed=1):
    b = df.Variable(df.zeros([100]), name="b")                                # 100-d vector, init to zeros
    W = df.Variable(df.random_uniform([784, 100], -1, 1, seed=seed), name="W")  # 784x100 matrix, random values
    x = df.placeholder(df.float32, shape=(None, 784), name="x")              # placeholder for input
    relu = df.nn.relu(df.matmul(x, W) + b)                                   # Relu(Wx+b)
    C = df.reduce_mean(df.square(relu), name="C")                            # cost computed as a function of Relu
    return x, W, b, relu, C


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--scheduler", default=None, help="sync, threads, processes or a scheduler address")
    args = p.parse_args(argv)

    x, W, b, relu, C = build()
    rng = np.random.default_rng(0)
    costs = []
    with df.Session(scheduler=args.scheduler) as s:
        s.run(df.global_variables_initializer())
        for step in range(args.steps):
            inp = rng.random((args.batch, 784), dtype=np.float32)  # a fresh batch each step
            result = s.run(C, feed_dict={x: inp})
            costs.append(float(result))
            print(f"step {step}: C = {result:.4f}")
    return costs


if __name__ == "__main__":
    main()
