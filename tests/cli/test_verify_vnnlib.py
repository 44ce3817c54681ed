"""mlp verify --vnnlib: ACAS Xu instances against the competition's agreed answers
(expected.csv), counterexamples checked against the property's box here with fractions, the
exit statuses, JSON, and hostile property files."""
import csv
import os
from fractions import Fraction

from mlptest import MlpTestCase

ACAS = "../shared/benchmarks/acasxu/"

# A fast subset: every property kind, holds and violated (expected.csv has the answers).
SUBSET = [
    ("1_1", "prop_1"), ("1_1", "prop_3"), ("1_1", "prop_4"), ("2_1", "prop_1"),
    ("2_2", "prop_3"), ("5_5", "prop_4"), ("4_5", "prop_10"), ("1_7", "prop_3"),
    ("1_8", "prop_4"), ("3_2", "prop_2"), ("1_2", "prop_2"), ("2_9", "prop_8"),
    ("1_6", "prop_2"),
]


def expected():
    with open(ACAS + "expected.csv") as f:
        return {(os.path.basename(r["onnx"]), os.path.basename(r["vnnlib"])): r["expected"]
                for r in csv.DictReader(f)}


def box(p):
    """The input box of a one-box property, from its asserts (X_i <= c, X_i >= c)."""
    lo, hi = [None] * 5, [None] * 5
    with open(prop(p)) as f:
        for line in f:
            parts = line.replace("(", " ").replace(")", " ").split()
            if len(parts) == 4 and parts[0] == "assert" and parts[2].startswith("X_"):
                i, c = int(parts[2][2:]), Fraction(parts[3])
                (hi if parts[1] == "<=" else lo)[i] = c
    return lo, hi


def spec_args(p):
    """A one-box property with output asserts Y_i REL Y_j as --spec (not the unsafe set) and
    --bounds."""
    lo, hi = box(p)
    y, atoms = "linear_7_Add", []
    with open(prop(p)) as f:
        for line in f:
            parts = line.replace("(", " ").replace(")", " ").split()
            if len(parts) == 4 and parts[0] == "assert" and parts[2].startswith("Y_"):
                atoms.append(f"{y}[{parts[2][2:]}] {parts[1]} {y}[{parts[3][2:]}]")
    args = ["--spec", "not (" + " and ".join(atoms) + ")"]
    for i, (a, b) in enumerate(zip(lo, hi)):
        args += ["--bounds", f"input_2[{i}] in [{a}, {b}]"]
    return args


def net(n):
    return ACAS + f"onnx/ACASXU_run2a_{n}_batch_2000.onnx"


def prop(p):
    return ACAS + f"vnnlib/{p}.vnnlib"


class AcasXu(MlpTestCase):
    def test_subset_matches_expected(self):
        want = expected()
        for n, p in SUBSET:
            exp = want[(f"ACASXU_run2a_{n}_batch_2000.onnx", f"{p}.vnnlib")]
            rc = 0 if exp == "holds" else 1
            r = self.fails(rc, "verify", net(n), "--vnnlib", prop(p), "--timeout", "120",
                           "--json") if rc else self.ok("verify", net(n), "--vnnlib", prop(p),
                                                        "--timeout", "120", "--json")
            j = r.json()
            self.assertEqual(j["result"], exp, f"N{n} {p}")
            self.assertGreater(j["boxes"], 0)
            if exp == "violated":  # the point lies in the property's box, exactly
                x = [Fraction(v) for v in list(j["counterexample"].values())[0]]
                lo, hi = box(p)
                self.assertTrue(all(a <= v <= b for a, v, b in zip(lo, x, hi)), f"N{n} {p}")

    def test_text_output_and_nnet(self):
        r = self.ok("verify", ACAS + "nnet/ACASXU_run2a_1_1_batch_2000.nnet", "--vnnlib",
                    prop("prop_1"))
        self.assertRegex(r.out, r"^holds: no input in .* has an output in the unsafe set "
                                r"\(\d+ sub-problems, \d+ splits, [0-9.e-]+ s\)\n$")

    def test_threads_give_the_same_results(self):
        """--threads N: the same answer, counterexample and counts for every N."""
        for n, p, rc in (("1_1", "prop_3", 0), ("1_7", "prop_3", 1)):
            runs = []
            for t in ("1", "2", "3", "4"):
                args = ("verify", net(n), "--vnnlib", prop(p), "--threads", t, "--json")
                j = (self.fails(rc, *args) if rc else self.ok(*args)).json()
                del j["seconds"]
                runs.append(j)
            self.assertGreater(runs[0]["boxes"], 1 if rc == 0 else 0)
            for j in runs[1:]:
                self.assertEqual(j, runs[0], f"N{n} {p}")

    def test_spec_takes_the_same_engine(self):
        """--spec over a bounded box runs the branch and bound of --vnnlib: the VNNLIB property
        written as a spec and bounds gives the same search (counts, counterexample) as the file,
        on 1 and 3 threads; --timeout gives unknown (exit 3)."""
        counts = ("boxes", "splits", "attack_steps", "candidates", "exact_leaves", "open")
        for n, p, rc in (("1_1", "prop_4", 0), ("1_2", "prop_2", 1)):
            args = ["verify", net(n)] + spec_args(p)
            runs = []
            for t in ("1", "3"):
                j = self.fails(rc, *args, "--threads", t, "--json").json()["results"][0]
                del j["seconds"]
                runs.append(j)
            self.assertEqual(runs[0], runs[1], f"N{n} {p}")
            j = runs[0]
            self.assertEqual((j["result"], j["method"]),
                             ("violated" if rc else "holds", "branch and bound"))
            v = self.fails(rc, "verify", net(n), "--vnnlib", prop(p), "--json").json()
            self.assertEqual([j[k] for k in counts], [v[k] for k in counts], f"N{n} {p}")
            if rc:
                self.assertEqual(j["counterexample"], v["counterexample"])
                self.assertEqual(j["output"], v["output"])
        r = self.fails(3, "verify", net("1_1"), *spec_args("prop_3"), "--timeout", "0.05")
        self.assertRegex(r.out, r"^unknown: the budget ran out with \d+ sub-problems? open \(")

    def test_timeout_gives_unknown(self):
        r = self.fails(3, "verify", net("1_1"), "--vnnlib", prop("prop_5"), "--timeout",
                       "0.01", "--json")
        self.assertEqual(r.json()["result"], "unknown")


H = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"


class Properties(MlpTestCase):
    def setUp(self):
        super().setUp()
        self.net = self.write("id.mlp", "input x[1]\ny = relu(x) - relu(-x)\noutput y\n")

    def test_box_face_counterexample_is_exact(self):
        p = self.write("p.vnnlib", H + "(assert (<= 0 X_0 0.6))\n(assert (>= Y_0 0.6))\n")
        j = self.fails(1, "verify", self.net, "--vnnlib", p, "--json").json()
        self.assertEqual(j["counterexample"], {"x": ["3/5"]})
        self.assertEqual(j["output"], {"y": ["3/5"]})

    def test_holds(self):
        p = self.write("p.vnnlib", H + "(assert (<= 0 X_0 0.6))\n(assert (> Y_0 0.6))\n")
        r = self.ok("verify", self.net, "--vnnlib", p)
        self.assertTrue(r.out.startswith("holds: "))

    def test_hostile_properties(self):
        cases = [
            (H + "(assert (<= X_0 Z))\n", ":3:17: error: unknown name 'Z'"),
            (H + "(assert (<= (* X_0 Y_0) 1))\n", ":3:20: error: nonlinear"),
            (H + "(push 1)\n", ":3:2: error: unknown command 'push'"),
            (H + "(assert (<= X_0 1))\n", "error: X_0 has no lower bound"),
            (H + "(assert " + "(and " * 500, "nested more than 64 deep"),
            (H + "(assert (<= 0 X_0 1))\n(assert (>= Y_1 0))\n", ":4:13: error: unknown name"),
            ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
             "(assert (<= 0 X_0 1))\n", "2 outputs Y_i; the model has 1 input and 1 output"),
        ]
        for text, msg in cases:
            p = self.write("bad.vnnlib", text)
            r = self.fails(2, "verify", self.net, "--vnnlib", p)
            self.assertIn(msg, r.err)
            self.assertEqual(r.out, "")

    def test_usage_errors(self):
        p = self.write("p.vnnlib", H + "(assert (<= 0 X_0 1))\n(assert (>= Y_0 2))\n")
        self.assertIn("no --spec", self.fails(2, "verify", self.net, "--vnnlib", p, "--spec",
                                              "y > 0").err)
        self.assertIn("--timeout must be >= 0", self.fails(2, "verify", self.net, "--spec",
                                                           "y > 0", "--timeout", "-1").err)
        self.assertIn("--max-memory", self.fails(2, "verify", self.net, "--vnnlib", p,
                                                 "--max-memory", "lots").err)
