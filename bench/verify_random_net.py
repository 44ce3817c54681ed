#!/usr/bin/python3
"""A random fully connected ReLU network as an mlp model, for timing `mlp verify`.

    /usr/bin/python3 bench/verify_random_net.py INPUTS WIDTHS SEED > net.mlp
    e.g. bench/verify_random_net.py 3 10,10 2   (3 inputs, two hidden layers of 10 relu units)

Weights and biases are uniform in [-1, 1] with 3 decimals; the output is y = dot(v, h_last).
With --smt2 BOUND it prints instead the SMT-LIB2 problem "some x in [-1, 1]^n has y > BOUND"
with every relu as an ite, which is how the whole network is handed to Z3 in one query.
"""
import random, sys
n_in, widths, seed = int(sys.argv[1]), [int(w) for w in sys.argv[2].split(',')], int(sys.argv[3])
smt_bound = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--smt2" else None
random.seed(seed)
r = lambda: round(random.uniform(-1, 1), 3)
lines = [f"input x[{n_in}]"]
prev, name = n_in, "x"
for i, w in enumerate(widths):
    W = [[r() for _ in range(prev)] for _ in range(w)]
    b = [r() for _ in range(w)]
    lines.append(f"param W{i}[{w},{prev}] = {W}")
    lines.append(f"param b{i}[{w}] = {b}")
    lines.append(f"h{i} = relu(W{i} @ {name} + b{i})")
    prev, name = w, f"h{i}"
lines.append(f"param v[{prev}] = {[r() for _ in range(prev)]}")
lines.append(f"y = dot(v, {name})")
lines.append("output y")


def smt2(params, n, bound):
    """The network as SMT-LIB2 over reals, relu(z) = ite(z > 0, z, 0)."""
    from fractions import Fraction
    def q(v):
        f = Fraction(str(v))
        s = f"(/ {abs(f.numerator)} {f.denominator})"
        return f"(- {s})" if f < 0 else s
    out = ["(set-logic QF_LRA)"]
    for i in range(n):
        out += [f"(declare-const x{i} Real)", f"(assert (<= -1 x{i} 1))"]
    prev, L = [f"x{i}" for i in range(n)], 0
    while f"W{L}" in params:
        cur = []
        for j, (row, bj) in enumerate(zip(params[f"W{L}"], params[f"b{L}"])):
            z = f"(+ {' '.join(f'(* {q(w)} {p})' for w, p in zip(row, prev))} {q(bj)})"
            out += [f"(define-fun z{L}_{j} () Real {z})",
                    f"(define-fun h{L}_{j} () Real (ite (> z{L}_{j} 0) z{L}_{j} 0))"]
            cur.append(f"h{L}_{j}")
        prev, L = cur, L + 1
    y = " ".join(f"(* {q(w)} {p})" for w, p in zip(params["v"], prev))
    out += [f"(define-fun y () Real (+ {y}))", f"(assert (> y {q(bound)}))", "(check-sat)"]
    return "\n".join(out)


if smt_bound is None:
    print("\n".join(lines))
else:
    import ast, re
    params = {m.group(1): ast.literal_eval(m.group(2))
              for m in re.finditer(r"param (\w+)\[[\d,]+\] = (.*)", "\n".join(lines))}
    print(smt2(params, n_in, smt_bound))
