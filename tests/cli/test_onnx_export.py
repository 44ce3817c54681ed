"""mlp export --format onnx: every example model, checked by onnx.checker (Debian python3-onnx),
read back by mlp import as the same function."""
import glob
import os
import random
import re
import subprocess

from mlptest import MlpTestCase

CHECKER = """
import sys, onnx
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version == 8 and m.opset_import[0].version == 17, path
print("checked", len(sys.argv) - 1)
"""


def outputs_only(text):
    """The model without its loss and the statements only the loss needs (the export holds the
    outputs' graph; evaluating the loss would need valid targets)."""
    lines = [l.split("#")[0].rstrip() for l in text.splitlines()]
    stmts = {l.split("=")[0].strip(): l for l in lines if re.match(r"^\w+\s*=", l)}
    need = set()
    todo = [n.strip() for l in lines if l.startswith("output ") for n in l[7:].split(",")]
    while todo:
        n = todo.pop()
        if n in need:
            continue
        need.add(n)
        if n in stmts:
            todo += re.findall(r"[A-Za-z_]\w*", stmts[n].split("=", 1)[1])
    keep = [l for l in lines if l and not l.startswith("loss") and
            (not re.match(r"^\w+\s*=", l) or l.split("=")[0].strip() in need)]
    return "\n".join(keep) + "\n"


def has_onnx():
    return subprocess.run(["/usr/bin/python3", "-c", "import onnx"], capture_output=True).returncode == 0


class Export(MlpTestCase):
    def examples(self):
        return sorted(glob.glob("examples/*/*.mlp")) + ["tests/fixtures/onnx/new-ops.mlp"]

    def test_every_example_passes_the_checker(self):
        if not has_onnx():
            self.skipTest("Debian python3-onnx is not installed (scripts/install-deps)")
        paths = []
        for i, model in enumerate(self.examples()):
            out = os.path.join(self.tmp, f"m{i}.onnx")
            self.ok("export", model, "--format", "onnx", "-o", out)
            paths.append(out)
        r = subprocess.run(["/usr/bin/python3", "-c", CHECKER, *paths], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), f"checked {len(paths)}")

    def test_reimport_is_the_same_function(self):
        for model in self.examples():
            out = os.path.join(self.tmp, "m.onnx")
            self.ok("export", model, "--format", "onnx", "-o", out)
            with open(model) as f:
                pruned = self.write("pruned.mlp", outputs_only(f.read()))
            # the parameters become float32: equal to float32 rounding in float64 ...
            self.ok("equiv", pruned, out, "--tol", "1e-5", "--samples", "200")
            # ... and exactly equal when both run in float32
            back = self.eval_f32(out, model)
            full = self.eval_f32(pruned, model)
            self.assertEqual({k: full[k] for k in back}, back, model)

    def eval_f32(self, model, declared):
        names = [l.split()[1] for l in self.ok("print", declared).out.splitlines()
                 if l.startswith("input ")]
        rng = random.Random(7)
        sets = []
        for decl in names:
            name, _, dims = decl.partition("[")
            size = 1
            for d in dims.rstrip("]").split(",") if dims else []:
                size *= int(d)
            vals = [round(rng.uniform(-2, 2), 3) for _ in range(size)]
            sets += ["--set", f"{name}={vals if dims else vals[0]}"]
        return self.ok("eval", model, "--dtype", "f32", "--json", *sets).json()["values"]

    def test_weights_are_exported(self):
        w = os.path.join(self.tmp, "w.safetensors")
        model = "examples/train/blobs.mlp"
        self.ok("train", model, "--data", "tests/fixtures/data/blobs.csv", "--label", "label",
                "--epochs", "2", "--save", w, "--quiet")
        a, b = os.path.join(self.tmp, "a.onnx"), os.path.join(self.tmp, "b.onnx")
        self.ok("export", model, "--format", "onnx", "-o", a)
        self.ok("export", model, "--weights", w, "--format", "onnx", "-o", b)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertNotEqual(fa.read(), fb.read())
        self.ok("equiv", model, b, "--weights-a", w, "--tol", "1e-5")

    def test_unsupported_op_is_named(self):
        model = self.write("l.mlp", "input x[2]\ninput t[2]\nL = squared_error(x, t)\n"
                                    "output L\n")
        out = os.path.join(self.tmp, "l.onnx")
        r = self.fails(2, "export", model, "--format", "onnx", "-o", out)
        self.assertIn("cannot export 'L' = 'squared_error' to ONNX", r.err)
        self.assertFalse(os.path.exists(out))

    def test_usage(self):
        r = self.fails(2, "export", "examples/seed/residual.mlp", "--format", "tflite", "-o", "x")
        self.assertIn("unknown --format 'tflite'", r.err)
        r = self.fails(2, "export", "examples/seed/residual.mlp")
        self.assertIn("--format is required (onnx or c)", r.err)
