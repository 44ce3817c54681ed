"""mlp reads .nnet files (Reluplex/Marabou format) wherever it reads a model."""
import glob
import os
import random
import sys

from mlptest import MlpTestCase

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import nnet_ref  # noqa: E402

ACAS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "benchmarks",
                    "acasxu", "nnet")
TINY = "tests/fuzz/corpus/nnet/tiny.nnet"


def csv(X):
    header = ",".join(f"x[{i}]" for i in range(len(X[0])))
    return header + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in X) + "\n"


class Nnet(MlpTestCase):
    def eval_rows(self, path, X, *flags):
        data = self.write("x.csv", csv(X))
        r = self.ok("eval", path, "--data", data, "--json", *flags)
        return r.json()["values"]["y"]

    def assertRowsClose(self, got, want, tol, what):
        self.assertEqual(len(got), len(want))
        for g, w in zip(got, want):
            for a, b in zip(g, w):
                self.assertLessEqual(abs(a - b), tol * max(1.0, abs(b)), what)

    def acas_nets(self):
        nets = sorted(glob.glob(os.path.join(ACAS, "*.nnet")))
        if not nets:
            self.skipTest("no ACAS Xu networks in ../shared")
        return nets

    def test_acas_raw_matches_reference(self):
        rng = random.Random(11)
        for path in self.acas_nets()[::9]:
            net = nnet_ref.read_nnet(path)
            X = [[rng.uniform(-0.6, 0.6) for _ in range(5)] for _ in range(100)]
            got = self.eval_rows(path, X)
            want = [nnet_ref.evaluate(net, x) for x in X]
            self.assertRowsClose(got, want, 1e-12, path)

    def test_acas_normalized_matches_reference(self):
        rng = random.Random(12)
        path = self.acas_nets()[0]
        net = nnet_ref.read_nnet(path)
        # some inputs lie outside [min, max] and get clamped
        X = [[rng.uniform(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo))
              for lo, hi in zip(net["mins"], net["maxs"])] for _ in range(100)]
        model = self.write("norm.mlp", "")
        self.ok("import", path, "--nnet-normalize", "-o", model)
        got = self.eval_rows(model, X)
        want = [nnet_ref.evaluate(net, x, normalize=True) for x in X]
        self.assertRowsClose(got, want, 1e-9, path)

    def test_structure_and_names(self):
        r = self.ok("print", TINY)
        self.assertEqual([l for l in r.out.splitlines() if not l.startswith("param")],
                         ["input x[2]", "z1 = W1 @ x + b1", "h1 = relu(z1)",
                          "y = W2 @ h1 + b2", "output y"])
        # the numbers keep the file's spelling ("+.5" loses only its plus sign)
        self.assertIn("param W1[3,2] = [[1, 2], [-3.5, 4e-1], [.5, 6.]]", r.out)
        self.assertEqual(self.ok("eval", TINY, "--set", "x=[1, 2]").out, "y = [10.25]\n")

    def test_verify_sees_the_written_decimals(self):
        # y = 0.1 a + 0.2 b - 0.3: exactly 0 at a = b = 1 (in doubles it is 5.55e-17)
        net = self.write("d.nnet", "1,2,1,2,\n2,1,\n0,\n0,0,\n1,1,\n0,0,0,\n1,1,1,\n"
                                   "0.1,0.2,\n-0.3,\n")
        r = self.ok("verify", net, "--bounds", "x in [1, 1]", "--spec", "y == 0")
        self.assertTrue(r.out.startswith("holds"), r)

    def test_sniffed_by_content(self):
        with open(TINY) as f:
            text = f.read()
        other = self.write("model.txt", text)
        self.assertEqual(self.ok("eval", other, "--set", "x=[1, 2]").out, "y = [10.25]\n")

    def test_bad_files(self):
        cases = [
            ("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n0,1,\n2,,\n3,\n", ":8:3: error: empty field"),
            ("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n0,1,\n2,\n", "the file ends before the bias"),
            ("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n0,1,\n2,3\n3,\n", ":8:3: error: too many"),
            ("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n0,1,\nx,\n3,\n", ":8:1: error: expected a number"),
            ("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n0,1,\n2,\n3,\n4,\n", ":10:1: error: unexpected"),
            ("2,1,1,1,\n1,1,\n", ":2:5: error: the layer sizes: 2 numbers, expected 3"),
            ("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n0,1,\n1e999,\n3,\n", "out of range: 1e999"),
            ("1.5,1,1,1,\n", "expected a whole number"),
        ]
        for text, want in cases:
            path = self.write("bad.nnet", text)
            r = self.fails(2, "eval", path, "--set", "x=1")
            self.assertIn(want, r.err, text)
            self.assertEqual(r.out, "")
