"""mlp verify: proofs, counterexamples (checked here in exact arithmetic), bounds, errors."""
import re
from fractions import Fraction

from mlptest import MlpTestCase, mlp

V = "examples/verify/"
SEED = "examples/seed/descending.mlp"
DESC = "y == 1 <=> x[0] > x[1] > x[2] > x[3] > x[4]"

# Seed problem 1's network family: h = step(W1 x + b1), y = step(w2 . h + b2).
SEED_W1 = [[-1, 1, 0, 0, 0], [0, -1, 1, 0, 0], [0, 0, -1, 1, 0], [0, 0, 0, -1, 1]]
NAIVE_W1 = [[1, -1, 0, 0, 0], [0, 1, -1, 0, 0], [0, 0, 1, -1, 0], [0, 0, 0, 1, -1]]


def step(z):
    return 1 if z >= 0 else 0


def threshold_net(x, W1, b1, w2, b2):
    h = [step(sum(w * v for w, v in zip(row, x)) + b) for row, b in zip(W1, b1)]
    return step(sum(w * v for w, v in zip(w2, h)) + b2)


def descending(x):
    return all(a > b for a, b in zip(x, x[1:]))


class Holds(MlpTestCase):
    def test_seed_problem1_ties_included(self):
        r = self.ok("verify", SEED, "--spec", DESC)
        self.assertRegex(r.out, r"^holds for every x in R\^5 \(16 activation regions, \d+ solver "
                                r"calls, [0-9.e-]+ s\)\n$")
        j = self.ok("verify", SEED, "--spec", DESC, "--json").json()["results"][0]
        self.assertEqual((j["result"], j["regions"], j["domain"]), ("holds", 16, "x in R^5"))
        self.assertEqual(j["spec"], DESC)
        self.assertGreater(j["solver_calls"], 0)

    def test_classic_threshold_networks(self):
        binary = lambda n: " and ".join(f"(x[{i}] == 0 or x[{i}] == 1)" for i in range(n))
        cases = [
            ("and.mlp", binary(2) + " => (y == 1 <=> x[0] == 1 and x[1] == 1)"),
            ("or.mlp", binary(2) + " => (y == 1 <=> x[0] == 1 or x[1] == 1)"),
            ("xor.mlp", binary(2) + " => (y == 1 <=> x[0] != x[1])"),
            ("xor.mlp", "y == 1 <=> 1/2 <= x[0] + x[1] < 3/2"),
            ("majority.mlp", binary(3) + " => (y == 1 <=> x[0] + x[1] + x[2] >= 2)"),
            ("ascending.mlp", "y == 1 <=> x[0] <= x[1] <= x[2] <= x[3]"),
        ]
        for model, spec in cases:
            with self.subTest(model=model, spec=spec):
                self.assertTrue(self.ok("verify", V + model, "--spec", spec).out.startswith("holds"))

    def test_relu_identities(self):
        cases = [
            ("relu-max.mlp", "(a >= b => y == a) and (a < b => y == b)"),
            ("relu-max.mlp", "y >= a and y >= b and (y == a or y == b)"),
            ("relu-abs.mlp", "y >= 0 and (y == x or y == -x)"),
            ("relu-clip.mlp", "0 <= y <= 1 and (0 <= x <= 1 => y == x) and (x <= 0 => y == 0) "
                              "and (x >= 1 => y == 1)"),
        ]
        for model, spec in cases:
            with self.subTest(model=model):
                self.assertTrue(self.ok("verify", V + model, "--spec", spec).out.startswith("holds"))


    def test_fractions_in_statements_are_exact(self):
        # 1/3 written in a statement is one third, not 0.3333333333333333: at x equal to that
        # double, 3x < 1 but x - double(1/3) = 0 would fire the step.
        m = self.write("third.mlp", "input x\ny = step(x - 1/3)\nz = step(x / (2/-3) + 1)\n"
                                    "output y, z\n")
        self.assertIn("y = step(x - 1/3)\nz = step(x / (-2/3) + 1)\n", self.ok("print", m).out)
        r = self.ok("verify", m, "--spec", "y == 1 <=> 3 * x >= 1",
                    "--spec", "z == 1 <=> 3 * x <= 2")
        self.assertEqual(r.out.count("holds for every x in R"), 2, r.out)


class Violated(MlpTestCase):
    def counterexample(self, model, spec, *extra):
        """Run expecting a violation; returns (inputs, outputs) as Fractions from --json."""
        r = self.fails(1, "verify", model, "--spec", spec, "--json", *extra)
        self.assertEqual(r.err, "")
        j = r.json()["results"][0]
        self.assertEqual(j["result"], "violated")
        conv = lambda v: [Fraction(e) for e in v] if isinstance(v, list) else Fraction(v)
        return ({k: conv(v) for k, v in j["counterexample"].items()},
                {k: conv(v) for k, v in j["output"].items()}, j)

    def check_descending(self, model, W1, b1, w2, b2):
        cx, out, j = self.counterexample(model, DESC)
        x = cx["x"]
        y = threshold_net(x, W1, b1, w2, b2)
        self.assertEqual(out["y"], y)
        self.assertNotEqual(y, int(descending(x)), f"{x} is no counterexample")
        # The float64 evaluator agrees at this point (values given as exact fractions).
        xs = "[" + ", ".join(str(v) for v in x) + "]"
        self.assertEqual(self.ok("eval", model, "--set", f"x={xs}").out, f"y = {y}\n")
        return x, y, j

    def test_natural_mistake_fires_on_ties(self):
        x, y, j = self.check_descending(V + "descending-naive.mlp", NAIVE_W1, [0] * 4, [1] * 4, -4)
        self.assertEqual(y, 1)
        self.assertTrue(any(a == b for a, b in zip(x, x[1:])), "the violation is a tie")
        self.assertEqual(j["requires"], "y = 0")
        text = self.fails(1, "verify", V + "descending-naive.mlp", "--spec", DESC).out
        self.assertRegex(text, r"^violated: x = \[[-0-9/, ]+\] gives y = 1, but the spec requires "
                               r"y = 0\n\(counterexample re-checked in exact arithmetic; found after")

    def test_sliver_far_narrower_than_sampling(self):
        x, y, _ = self.check_descending(V + "descending-sliver.mlp", SEED_W1,
                                        [Fraction(1, 10**9), 0, 0, 0], [-1] * 4, 0)
        self.assertTrue(0 < x[0] - x[1] <= Fraction(1, 10**9))

    def test_output_bias_that_never_fires(self):
        x, y, j = self.check_descending(V + "descending-never.mlp", SEED_W1, [0] * 4, [-1] * 4, -1)
        self.assertEqual((y, j["requires"]), (0, "y = 1"))
        self.assertTrue(descending(x))

    def test_set_parameter_breaks_the_proof(self):
        cx, out, _ = self.counterexample(SEED, DESC, "--set", "b2=-1")
        self.assertEqual(out["y"], 0)

    def test_wrong_relu_max(self):
        cx, out, j = self.counterexample(V + "relu-max-wrong.mlp",
                                         "(a >= b => y == a) and (a < b => y == b)")
        a, b = cx["a"], cx["b"]
        self.assertEqual(out["y"], max(a, 0) + max(b, 0))
        self.assertNotEqual(out["y"], max(a, b))
        self.assertEqual(j["requires"], f"y == {max(a, b)}")

    def test_property_that_holds_only_inside_bounds(self):
        spec = "y == 1 => x[0] >= -1/2"
        r = self.ok("verify", V + "xor.mlp", "--spec", spec, "--bounds", "x in [0, 1]")
        self.assertTrue(r.out.startswith("holds for every x in [0, 1]^2 ("))
        r = self.ok("verify", V + "xor.mlp", "--spec", spec, "--bounds", "x[0] in [-1/2, 5]")
        self.assertTrue(r.out.startswith("holds for every x in R^2 with x[0] in [-1/2, 5] ("))
        cx, out, _ = self.counterexample(V + "xor.mlp", spec)
        self.assertLess(cx["x"][0], Fraction(-1, 2))
        # A bound the network can never exceed is settled by bounds alone, with no solver call.
        j = self.ok("verify", V + "relu-clip.mlp", "--spec", "-4 <= y <= 4", "--bounds",
                    "x in [-5, 5]", "--json").json()["results"][0]
        self.assertEqual((j["result"], j["settled"], j["regions"], j["solver_calls"]),
                         ("holds", 1, 0, 0))
        # Bounds can also pin an input to one value.
        cx, out, _ = self.counterexample(V + "xor.mlp", spec, "--bounds", "x[1] in [2, 2]")
        self.assertEqual(cx["x"][1], 2)

    def test_each_spec_reported_on_its_own(self):
        r = self.fails(1, "verify", V + "descending-naive.mlp",
                       "--spec", "x[0] > x[1] > x[2] > x[3] > x[4] => y == 1",
                       "--spec", "y == 1 => x[0] > x[1] > x[2] > x[3] > x[4]")
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "spec 1: x[0] > x[1] > x[2] > x[3] > x[4] => y == 1")
        self.assertTrue(lines[1].startswith("  holds for every x in R^5"))
        self.assertEqual(lines[2], "spec 2: y == 1 => x[0] > x[1] > x[2] > x[3] > x[4]")
        self.assertTrue(lines[3].startswith("  violated: x = ["))
        j = self.fails(1, "verify", V + "descending-naive.mlp", "--json",
                       "--spec", "x[0] > x[1] > x[2] > x[3] > x[4] => y == 1",
                       "--spec", "y == 1 => x[0] > x[1] > x[2] > x[3] > x[4]").json()["results"]
        self.assertEqual([e["result"] for e in j], ["holds", "violated"])


class Errors(MlpTestCase):
    def spec_error(self, spec, model=SEED):
        r = self.fails(2, "verify", model, "--spec", spec)
        self.assertEqual(r.out, "")
        return r.err.splitlines()

    def test_malformed_specs(self):
        cases = {
            "y == 1 <=> x[0] > z": "spec:19: error: unknown name 'z' (inputs: x; outputs: y)",
            "x[0]*x[1] > 0": "spec:5: error: nonlinear term 'x[0]*x[1]': both factors depend on "
                             "the model's values (a spec is linear: multiply by numbers only)",
            "x[0] > > 1": "spec:8: error: expected a value, got '>'",
            "y == 1 and": "spec:11: error: expected a value, got end of input",
            "x[5] > 0": "spec:3: error: index 5 out of range for axis 0 of size 5",
            "y = 1": "spec:3: error: '=' is not a comparison: write '==' to compare",
            "y": "spec:1: error: 'y' is a value, not a property: compare it (for example 'y == 1')",
            "sigmoid(y) > 0": "spec:1: error: 'sigmoid(...)': a spec has no function calls, only "
                              "linear arithmetic",
        }
        for spec, message in cases.items():
            with self.subTest(spec=spec):
                err = self.spec_error(spec)
                self.assertEqual(err[0], message)
                self.assertEqual(err[1], "  " + spec)
                col = int(message.split(":")[1])
                self.assertEqual(err[2], "  " + " " * (col - 1) + "^")

    def test_not_piecewise_linear(self):
        r = self.fails(2, "verify", "examples/seed/sigmoid-mlp.mlp", "--spec", "y[0] >= 0")
        self.assertEqual(r.err.splitlines()[0], "examples/seed/sigmoid-mlp.mlp:15:5: error: cannot "
                                                "verify: op sigmoid is not piecewise linear")
        self.assertEqual(r.out, "")
        model = self.write("sq.mlp", "input x\ny = x * x\noutput y\n")
        r = self.fails(2, "verify", model, "--spec", "y >= 0")
        self.assertIn("sq.mlp:2:7: error: cannot verify: op mul multiplies two values that "
                      "depend on the inputs", r.err)

    def test_bad_usage(self):
        self.assertIn("missing --spec", self.fails(2, "verify", SEED).err)
        self.assertIn("missing MODEL", self.fails(2, "verify", "--spec", "y == 1").err)
        r = self.fails(2, "verify", SEED, "--spec", DESC, "--set", "x=[1,2,3,4,5]")
        self.assertIn("--bounds 'x in [v, v]'", r.err)
        r = self.fails(2, "verify", SEED, "--spec", DESC, "--bounds", "y in [0, 1]")
        self.assertIn("bounds:1: error: 'y' is not an input: bounds restrict inputs", r.err)
        r = self.fails(2, "verify", SEED, "--spec", DESC, "--bounds", "x in [1, -1]")
        self.assertIn("bounds:7: error: empty interval: 1 > -1", r.err)
        # A bad second spec: nothing is printed for the first either.
        r = self.fails(2, "verify", SEED, "--spec", DESC, "--spec", "y >")
        self.assertEqual(r.out, "")

    def test_help(self):
        r = self.ok("verify", "--help")
        self.assertIn("usage: mlp verify MODEL --spec PROPERTY", r.out)
        self.assertIn("verify", self.ok("--help").out)
