"""mlp zeros (seed problem 3) and mlp grad --sparsity, its numerical side."""
import unicodedata

from mlptest import MlpTestCase

NET = "examples/seed/relu-net.mlp"


def nfd(s):
    return unicodedata.normalize("NFD", s)


class Zeros(MlpTestCase):
    def test_seed3_text(self):
        r = self.ok("zeros", NET, "--assume", "z1 < 0", "--wrt", "w1,w2,w3")
        self.assertEqual(r.out, nfd(
            "Assuming z1 < 0, for every value of everything else:\n"
            "  w1  YES  ∂L/∂w1 = ∂L/∂h1 · relu'(z1) · x1, and relu'(z1) = 0 because z1 < 0 "
            "(assumed)\n"
            "  w2  YES  ∂L/∂w2 = ∂L/∂y · relu'(z) · w3 · relu'(z3) · h1, and h1 = relu(z1) = 0 "
            "because z1 < 0 (assumed)\n"
            "  w3  NO   ∂L/∂w3 = ∂L/∂y · relu'(z) · h3, and none of these factors is known to be "
            "zero\n"))

    def test_seed3_json_every_parameter(self):
        j = self.ok("zeros", NET, "--assume", "h1 == 0", "--json").json()
        self.assertEqual(j["facts"], ["h1 == 0"])
        params = j["params"]
        self.assertEqual(list(params), ["w1", "w7", "w8", "w9", "w2", "w6", "w4", "w10", "w3", "w5"])
        self.assertEqual(sorted(k for k, v in params.items() if v["always_zero"]),
                         ["w1", "w2", "w4", "w7"])
        self.assertIn("relu'(z1) = 0 because z1 ≤ 0, since h1 = relu(z1) = 0 (assumed)",
                      params["w1"]["why"])

    def test_several_assume_options(self):
        j = self.ok("zeros", NET, "--assume", "z1 < 0", "--assume", "z2 <= 0", "--json").json()
        self.assertTrue(all(v["always_zero"] for v in j["params"].values()))

    def test_errors(self):
        r = self.fails(2, "zeros", NET, "--assume", "z1 < q")
        self.assertEqual(r.err, "--assume:1:6: error: expected a number, got 'q'\n"
                                "  z1 < q\n       ^\n")
        r = self.fails(2, "zeros", NET, "--assume", "z1 < 0", "--wrt", "nope")
        self.assertIn("no value named 'nope' in the model", r.err)
        r = self.fails(2, "zeros", NET, "--assume", "h1 < 0")
        self.assertIn("cannot all hold", r.err)
        r = self.fails(2, "zeros", "examples/seed/descending.mlp", "--assume", "h == 0")
        self.assertIn("has no loss statement", r.err)
        self.assertEqual(r.out, "")
        self.assertIn("usage: mlp zeros", self.ok("zeros", "--help").out)


class Sparsity(MlpTestCase):
    SETS = ["--set", "x1=1", "--set", "x2=2", "--set", "t=0"]

    def test_text(self):
        r = self.ok("grad", NET, "--wrt", "w1,w2,w3", *self.SETS, "--sparsity")
        self.assertIn("inactive units (output exactly 0):\n  h1: 1 of 1 (100%): h1\n"
                      "  h2: 0 of 1 (0%)\n", r.out)
        self.assertIn("gradient entries exactly 0:\n  dL/dw1: 1 of 1 (100%)\n"
                      "  dL/dw2: 1 of 1 (100%)\n  dL/dw3: 0 of 1 (0%)\n", r.out)

    def test_json_over_a_batch(self):
        data = self.write("d.csv", "x1,x2,t\n1,2,0\n-1,3,1\n2,-1,0\n")
        j = self.ok("grad", NET, "--wrt", "w1,x1", "--data", data, "--sparsity", "--json").json()
        units, grads = j["sparsity"]["units"], j["sparsity"]["grad"]
        # z1 = 0.5 x1 - 0.25 x2: negative for samples 1 and 2, positive for sample 3.
        self.assertEqual(units["h1"], {"inactive": 2, "total": 3, "fraction": 2 / 3,
                                       "always_inactive": []})
        self.assertEqual(grads["x1"]["total"], 3)
        zero_x1 = sum(1 for g in j["grad"]["x1"] if g == 0)
        self.assertEqual(grads["x1"]["zero"], zero_x1)
