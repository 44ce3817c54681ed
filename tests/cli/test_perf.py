"""Fused and viewed matrix products through the CLI: a batch's gradients equal the per-sample
ones (parameter gradients summed), in float64 and float32."""
import json

from mlptest import MlpTestCase

# W1 @ x (weight gradient fused into one GEMM, W2.T read in place), x @ V, W @ X per sample.
MODEL = """\
input x[4]
input X[4,2]
param W1[3,4] = [[0.5, -1, 0.25, 2], [1, 0.5, -0.5, 0], [-1, 2, 1, 0.5]]
param W2[2,3] = [[1, -1, 0.5], [0.25, 2, -1]]
param V[4,3] = [[1, 0, -1], [0.5, 0.5, 0.5], [2, -1, 0], [0, 1, 1]]
h = tanh(W1 @ x)
y = W2 @ h
L = 0.5 * sumsq(y) + sum(x @ V) * sum(h) + sumsq(W1 @ X)
loss L
"""
SAMPLES = [([1, -2, 0.5, 3], [[1, 0], [0, 1], [1, 1], [-1, 2]]),
           ([0, 1, -1, 2], [[2, 1], [0, -1], [0.5, 0], [1, 1]]),
           ([-1, 0.5, 2, 0], [[0, 0], [1, 2], [-2, 1], [0, 3]])]
WRT = "W1,W2,V,x"


def flat(v):
    return [e for row in v for e in (flat(row) if isinstance(row, list) else [row])] \
        if isinstance(v, list) else [v]


class FusedProducts(MlpTestCase):
    def check(self, dtype, tol):
        model = self.write("m.mlp", MODEL)
        # No header: the columns are x, then X flattened, in declaration order.
        rows = [",".join(map(str, x + flat(X))) for x, X in SAMPLES]
        data = self.write("d.csv", "\n".join(rows) + "\n")
        batch = self.ok("grad", model, "--wrt", WRT, "--data", data, "--json",
                        "--dtype", dtype).json()["grad"]
        total = {name: None for name in ("W1", "W2", "V")}
        for b, (x, X) in enumerate(SAMPLES):
            one = self.ok("grad", model, "--wrt", WRT, "--set", f"x={json.dumps(x)}",
                          "--set", f"X={json.dumps(X)}", "--json").json()["grad"]
            self.assertClose(flat(batch["x"][b]), flat(one["x"]), tol)
            for name in total:
                g = flat(one[name])
                total[name] = g if total[name] is None else [a + c for a, c in zip(total[name], g)]
        for name, want in total.items():
            self.assertClose(flat(batch[name]), want, tol)

    def test_float64(self):
        self.check("f64", 1e-13)

    def test_float32(self):
        self.check("f32", 1e-5)
