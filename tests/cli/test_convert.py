"""mlp convert (seed problem 2) and mlp equiv."""
import os

from mlptest import MlpTestCase, params

SIG = "examples/seed/sigmoid-mlp.mlp"


class Convert(MlpTestCase):
    def test_seed2_parameters(self):
        before = params(self.ok("print", SIG).out)
        r = self.ok("convert", SIG, "--activation", "sigmoid=tanh")
        self.assertTrue(r.out.startswith("# sigmoid -> tanh by sigmoid(a) = 0.5 * tanh(0.5 * a) "
                                         "+ 0.5\n"))
        self.assertIn("h = tanh(W1 @ x + b1)\ny = sigmoid(W2 @ h + b2)\n", r.out)
        after = params(r.out)
        W1, b1, W2, b2 = (before[k] for k in ("W1", "b1", "W2", "b2"))
        self.assertEqual(after["W1"], [[w / 2 for w in row] for row in W1])
        self.assertEqual(after["b1"], [b / 2 for b in b1])
        self.assertEqual(after["W2"], [[w / 2 for w in row] for row in W2])
        self.assertClose(after["b2"], [b2[k] + sum(W2[k]) / 2 for k in range(2)], 1e-15)

    def test_round_trip_is_equivalent(self):
        t = self.write("t.mlp", "")
        s = self.write("s.mlp", "")
        self.ok("convert", SIG, "--activation", "sigmoid=tanh", "-o", t)
        self.ok("convert", t, "--activation", "tanh=sigmoid", "-o", s)
        for other in (t, s):
            j = self.ok("equiv", SIG, other, "--tol", "1e-12", "--json").json()
            self.assertTrue(j["equivalent"])
            self.assertEqual(j["samples"], 1007)
            self.assertLessEqual(j["max_rel_diff"], 1e-12)

    def test_written_out_when_not_foldable(self):
        out = self.write("c.mlp", "")
        r = self.ok("convert", "examples/seed/residual.mlp", "--activation", "sigmoid=tanh",
                    "-o", out)
        self.assertEqual(r.out, "")
        with open(out) as f:
            text = f.read()
        self.assertIn("h = 0.5 * tanh(z) + 0.5\n", text)
        self.ok("equiv", "examples/seed/residual.mlp", out)

    def test_errors_leave_no_file(self):
        out = os.path.join(self.tmp, "never.mlp")
        r = self.fails(2, "convert", SIG, "--activation", "relu=tanh", "-o", out)
        self.assertIn("no identity rewrites relu as tanh", r.err)
        self.assertFalse(os.path.exists(out))
        old = self.write("old.mlp", "keep me\n")
        self.fails(2, "convert", "examples/seed/relu-net.mlp", "--activation", "sigmoid=tanh",
                   "-o", old)
        with open(old) as f:
            self.assertEqual(f.read(), "keep me\n")
        self.assertEqual(os.listdir(self.tmp), ["old.mlp"])  # no temporary left behind
        r = self.fails(2, "convert", SIG)
        self.assertIn("--activation FROM=TO is required", r.err)
        r = self.fails(2, "convert", SIG, "--activation", "sigmoid")
        self.assertIn("--activation needs FROM=TO, got 'sigmoid'", r.err)
        r = self.fails(2, "convert", SIG, "--activation", "sigmoid=tanh", "-o",
                       os.path.join(self.tmp, "no", "such", "dir.mlp"))
        self.assertIn("cannot create a file beside", r.err)


class Equiv(MlpTestCase):
    def test_not_equivalent_exits_1(self):
        with open(SIG) as f:
            b = self.write("b.mlp", f.read().replace("b2[2] = [-0.5, 0.25]", "b2[2] = [-0.5, 0.26]"))
        r = self.fails(1, "equiv", SIG, b)
        self.assertIn("NOT equivalent (tolerance 1e-09)", r.out)
        j = self.fails(1, "equiv", SIG, b, "--json").json()
        self.assertFalse(j["equivalent"])
        self.assertEqual(j["worst"]["output"], "y")
        self.assertEqual(j["worst"]["index"], 1)

    def test_bounds(self):
        a = self.write("a.mlp", "input x\ny = tanh(x)\noutput y\n")
        b = self.write("b.mlp", "input x\ny = x\noutput y\n")
        self.fails(1, "equiv", a, b)
        r = self.ok("equiv", a, b, "--bounds", "-1e-4,1e-4", "--samples", "50")
        self.assertIn("compared y on 57 samples (uniform in [-0.0001, 0.0001], extremes at the "
                      "bounds)", r.out)

    def test_errors(self):
        c = self.write("c.mlp", "input z[3]\ny = z\noutput y\n")
        r = self.fails(2, "equiv", SIG, c)
        self.assertIn("input 'x' of examples/seed/sigmoid-mlp.mlp is not an input of", r.err)
        r = self.fails(2, "equiv", SIG)
        self.assertIn("expected two models A and B, got 1 arguments", r.err)
        r = self.fails(2, "equiv", SIG, SIG, "--bounds", "3,1")
        self.assertIn("--bounds needs LO,HI with finite LO <= HI, got '3,1'", r.err)
        r = self.fails(2, "equiv", SIG, SIG, "--tol", "-1")
        self.assertIn("--tol must be >= 0", r.err)
