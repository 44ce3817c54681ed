"""The op table's new ops through the command line: eval against PyTorch, derive --format mlp
agreeing with grad, verify's exact verdicts on piecewise-linear ops, zeros through relu6, and
convert --fold batch_norm_infer checked by equiv."""
import json
import subprocess

from mlptest import MlpTestCase

MODEL = """input x[4]
param s = 0.2
a = leaky_relu(x, s) + abs(x) - max(x, -x) + min(x, 1/2) + clip(x, -1, 1) + relu6(3 * x)
b = softplus(x) + gelu(x) + gelu_tanh(x) + elu(x, 0.5) + silu(x) + sqrt(square(x) + 1)
c = log1p(abs(x)) + expm1(x) + layer_norm(x) + concat(slice(x, 2, 4), x[0], x[1])
d = batch_norm_infer(x, 0.1, 2, 1.5, -0.2) + flatten(reshape(x, [2, 2]).T)
k = argmax(x)
L = sumsq(a * b) + dot(c, d) * s
output a, b, c, d, k
loss L
"""

TORCH = r"""
import json, sys, torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
x = torch.tensor(json.loads(sys.argv[1]), requires_grad=True)
s = torch.tensor(0.2, requires_grad=True)
a = F.leaky_relu(x, 0.2) + x.abs() - torch.maximum(x, -x) + torch.clamp_max(x, 0.5) \
    + F.hardtanh(x, -1, 1) + F.relu6(3 * x)
a = a + (s - 0.2) * torch.clamp_max(x, 0)  # the slope is a parameter: its gradient is min(x, 0)
b = F.softplus(x) + F.gelu(x) + F.gelu(x, approximate="tanh") + F.elu(x, 0.5) + F.silu(x) \
    + torch.sqrt(x * x + 1)
c = torch.log1p(x.abs()) + torch.expm1(x) + F.layer_norm(x, (4,)) \
    + torch.cat([x[2:4], x[0:1], x[1:2]])
full = lambda v: torch.full((4,), v)  # contiguous: torch 1.13's backward miscounts expand()ed stats
d = F.batch_norm(x[None], full(0.1), full(2.0), full(1.5), full(-0.2), training=False,
                 eps=1e-5)[0] + x.reshape(2, 2).T.reshape(-1)
L = ((a * b) ** 2).sum() + (c @ d) * s
L.backward()
print(json.dumps({"a": a.tolist(), "b": b.tolist(), "c": c.tolist(), "d": d.tolist(),
                  "k": float(torch.argmax(x)), "L": L.item(), "dx": x.grad.tolist(),
                  "ds": s.grad.item()}))
"""

X = [-1.25, 0.375, 2.5, -0.0625]


class Ops(MlpTestCase):
    def torch(self):
        r = subprocess.run(["/usr/bin/python3", "-c", TORCH, json.dumps(X)], capture_output=True,
                           text=True)
        if r.returncode:
            self.skipTest("Debian python3-torch is not installed: " + r.stderr[-200:])
        return json.loads(r.stdout)

    def test_eval_and_grad_match_pytorch(self):
        ref = self.torch()
        m = self.write("ops.mlp", MODEL)
        x = "x=[" + ", ".join(map(str, X)) + "]"
        v = self.ok("eval", m, "--set", x, "--json").json()["values"]
        for name in "abcd":
            for got, want in zip(v[name], ref[name]):
                self.assertClose(got, want, 1e-12)
        self.assertEqual(v["k"], ref["k"])
        g = self.ok("grad", m, "--set", x, "--wrt", "x,s", "--json").json()
        for got, want in zip(g["grad"]["x"], ref["dx"]):
            self.assertClose(got, want, 1e-11)
        self.assertClose(g["grad"]["s"], ref["ds"], 1e-11)

    def test_derived_model_computes_grads(self):
        m = self.write("ops.mlp", MODEL.replace("k = argmax(x)\n", "").replace(", k\n", "\n"))
        x = "x=[" + ", ".join(map(str, X)) + "]"
        derived = self.write("d.mlp", self.ok("derive", m, "--wrt", "x", "--format", "mlp").out)
        got = self.ok("eval", derived, "--set", x, "--json").json()["values"]["d_x"]
        want = self.ok("grad", m, "--set", x, "--wrt", "x", "--json").json()["grad"]["x"]
        for a, b in zip(got, want):
            self.assertClose(a, b, 1e-13)

    def test_verify_is_exact_on_piecewise_ops(self):
        m = self.write("pw.mlp", "input x\ny = abs(x)\nm = max(x, -x)\nl = leaky_relu(x, 1/10)\n"
                                 "c = clip(x, -1, 1)\noutput y, m, l, c\n")
        r = self.ok("verify", m, "--spec", "y == m", "--spec", "c >= -1 and c <= 1",
                    "--spec", "l >= x")
        self.assertEqual(r.out.count("holds for every x in R"), 3)
        r = self.fails(1, "verify", m, "--spec", "l <= x", "--json")
        res = r.json()["results"][0]
        self.assertEqual(res["result"], "violated")
        num, _, den = res["counterexample"]["x"].partition("/")
        self.assertLess(int(num), 0)  # at a negative x, x/10 > x

    def test_zeros_through_a_dead_relu6(self):
        m = self.write("z.mlp", "input x[2]\nparam w[2] = [1, 2]\nparam v = 3\ninput t\n"
                                "z = dot(w, x)\nh = relu6(z)\nL = (v * h - t) * (v * h - t)\nloss L\n")
        j = self.ok("zeros", m, "--assume", "z < 0", "--json").json()["params"]
        self.assertTrue(j["w"]["always_zero"] and j["v"]["always_zero"])
        self.assertIn("clip'(z, 0, 6) = 0 because z < 0 (assumed)", j["w"]["why"])

    def test_fold_batch_norm_is_equivalent(self):
        src = "tests/fixtures/models/batch-norm.mlp"
        out = self.tmp + "/folded.mlp"
        self.ok("convert", src, "--fold", "batch_norm_infer", "-o", out)
        with open(out) as f:
            self.assertNotIn("batch_norm_infer(", f.read())
        r = self.ok("equiv", src, out, "--tol", "1e-12")
        self.assertIn("equivalent", r.out)
        r = self.fails(2, "convert", "examples/seed/relu-net.mlp", "--fold", "batch_norm_infer")
        self.assertIn("no batch_norm_infer to fold", r.err)
        self.fails(2, "convert", src, "--fold", "layer_norm")
