#!/usr/bin/python3
"""How often does random testing catch the seed-problem-1 mistakes that `mlp verify` proves?

Evaluates the networks of examples/verify/descending-{naive,sliver,never}.mlp in float64
(numpy) on N random inputs and counts the inputs where the output disagrees with
"1 iff x[0] > x[1] > x[2] > x[3] > x[4]". Inputs are drawn from N(0, 1) and, to give ties
a chance, from small integers {-3..3}.

    /usr/bin/python3 bench/verify_sampling.py [N]     (default N = 10**6)
"""
import sys

import numpy as np

SEED_W1 = np.array([[-1, 1, 0, 0, 0], [0, -1, 1, 0, 0], [0, 0, -1, 1, 0], [0, 0, 0, -1, 1]], float)
NETS = {  # name: (W1, b1, w2, b2), as in the example files
    "descending-naive": (-SEED_W1, np.zeros(4), np.ones(4), -4.0),
    "descending-sliver": (SEED_W1, np.array([1e-9, 0, 0, 0]), -np.ones(4), 0.0),
    "descending-never": (SEED_W1, np.zeros(4), -np.ones(4), -1.0),
}


def step(z):
    return (z >= 0).astype(float)


def disagreements(x, W1, b1, w2, b2):
    y = step(step(x @ W1.T + b1) @ w2 + b2)
    want = np.all(x[:, :-1] > x[:, 1:], axis=1).astype(float)
    return int(np.sum(y != want))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10**6
    rng = np.random.default_rng(1)
    samples = {"normal": rng.standard_normal((n, 5)),
               "integers": rng.integers(-3, 4, (n, 5)).astype(float)}
    print(f"{'network':20s} {'sampling':10s} {'wrong outputs':>14s} of {n}")
    for name, net in NETS.items():
        for kind, x in samples.items():
            print(f"{name:20s} {kind:10s} {disagreements(x, *net):14d}")


if __name__ == "__main__":
    main()
