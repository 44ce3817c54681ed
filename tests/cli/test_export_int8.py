"""mlp export --format c --quantize int8: the generated integer C against mlp's integer reference.

The reference (`mlp eval --quantized int8`) and the generated NAME_predict must agree bit for bit,
on the calibration data and on held-out data; NAME_predict_q must build as integer-only code
(-mgeneral-regs-only on x86-64). On Fashion-MNIST the test trains the 784-256-128-10 example for
one epoch and reports the accuracy of float32 and int8 on the test set.
"""
import array
import gzip
import os
import platform
import random
import re
import struct
import sys

import cexport as cx
from mlptest import MlpTestCase, mlp

FASHION = "/usr/share/datasets/fashion-mnist"


def idx_images(path, first, n):
    with gzip.open(path, "rb") as f:
        _, count, rows, cols = struct.unpack(">IIII", f.read(16))
        size = rows * cols
        f.seek(16 + first * size)
        data = f.read(n * size)
    # scaled to [0, 1] as `--scale auto` does for byte images, rounded to float32
    return array.array("f", (b / 255.0 for b in data)), size


class ExportInt8Test(MlpTestCase):
    def export_int8(self, model, calibrate, *extra):
        out = os.path.join(self.tmp, "net")
        header, source = cx.export(model, out, "--quantize", "int8", "--calibrate", calibrate, *extra)
        return out, header, source

    def check_integer_only(self, out):
        """NAME_predict_q alone: no float registers, and no library symbol at all."""
        if platform.machine() != "x86_64":
            return
        obj = out + "-int.o"
        cx.run(["cc", *cx.STRICT, "-O2", "-mgeneral-regs-only", "-DNET_INTEGER_ONLY", "-c",
                out + ".c", "-o", obj])
        self.assertEqual(cx.undefined_symbols(obj), [])

    def reference(self, model, calibrate, xs, n, size, extra=(), sets=()):
        """The integer reference's outputs on n samples, as float32 rows."""
        csv = os.path.join(self.tmp, "data.csv")
        cx.write_csv(csv, xs, n, size)
        args = ["eval", model, "--quantized", "int8", "--calibrate", calibrate, "--data", csv, *extra]
        for s in sets:
            args += ["--set", s]
        r = mlp(*args)
        self.assertEqual(r.rc, 0, r)
        return r.out.splitlines()[1:]

    def assertSameBits(self, got, want, what):
        self.assertEqual(len(got), len(want), what)
        for s, (g, w) in enumerate(zip(got, want)):
            gb = [struct.pack("f", float(v)) for v in g.split(",")]
            wb = [struct.pack("f", float(v)) for v in w.split(",")]
            self.assertEqual(gb, wb, f"{what}: sample {s}: C {g} vs reference {w}")

    def test_fashion_mnist(self):
        if not os.path.exists(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")):
            self.skipTest("Fashion-MNIST is not installed (scripts/install-deps installs "
                          "dataset-fashion-mnist)")
        weights = os.path.join(self.tmp, "fashion.safetensors")
        r = mlp("train", "examples/fashion/mlp.mlp", "--data", "fashion-mnist", "--epochs", "1",
                "--batch", "128", "--optimizer", "adam", "--lr", "1e-3", "--save", weights)
        self.assertEqual(r.rc, 0, r)
        w = ["--weights", weights]
        out, header, source = self.export_int8("examples/fashion/mlp.mlp", "fashion-mnist", *w)
        self.assertIn("void net_predict_q(const int8_t *input, int8_t *output);", header)
        self.assertIn("void net_predict(const float *input, float *output);", header)
        self.assertIn("static const int8_t net_w0[200704]", source)
        exe = os.path.join(self.tmp, "h")
        obj = cx.build(self.tmp, "net", exe, flags=["-O2"])
        self.assertEqual(cx.undefined_symbols(obj), [])  # logits: no final activation, no libm
        self.check_integer_only(out)
        # held-in (the first and last of the calibration set) and held-out (the test set)
        n, parts = 300, []
        for split, first in (("train", 0), ("train", 59700), ("t10k", 0)):
            xs, size = idx_images(os.path.join(FASHION, f"{split}-images-idx3-ubyte.gz"), first, n)
            parts.append(xs)
        xs = parts[0] + parts[1] + parts[2]
        got = cx.run_harness(exe, xs, 3 * n).splitlines()
        want = self.reference("examples/fashion/mlp.mlp", "fashion-mnist", xs, 3 * n, size,
                              extra=w, sets=["label=0"])
        self.assertSameBits(got, want, "Fashion-MNIST")
        r = mlp("eval", "examples/fashion/mlp.mlp", *w, "--quantized", "int8", "--calibrate",
                "fashion-mnist", "--metrics", "--data", "fashion-mnist:test", "--json")
        self.assertEqual(r.rc, 0, r)
        acc = r.json()
        f32, i8 = acc["float32"]["accuracy"], acc["int8"]["accuracy"]
        sys.stderr.write(f"\n  Fashion-MNIST test set, 1 epoch: float32 {100 * f32:.2f}%, "
                         f"int8 {100 * i8:.2f}% ({100 * (i8 - f32):+.2f} points) ")
        self.assertEqual(acc["int8"]["samples"], 10000)
        self.assertGreater(i8, 0.7)  # a broken quantisation is near 10%

    def test_tables_and_final_activations(self):
        """Hidden tanh and sigmoid as tables, ReLU, clip and ReLU6 as clamps, each final activation."""
        rng = random.Random(5)
        cal = ["x0,x1,x2,x3,label"] + [",".join(f"{rng.gauss(0, 1.5):.6g}" for _ in range(4)) + ",0"
                                       for _ in range(400)]
        calib = self.write("cal.csv", "\n".join(cal) + "\n")
        xs = cx.random_inputs(500, 4, seed=11, scale=1.5)  # held-out
        for final in ["z", "sigmoid(z)", "tanh(z)", "softmax(z)"]:
            with self.subTest(final=final):
                model = self.write("q.mlp", f"""
input x[4]
param W1[6,4] ~ xavier
param b1[6] ~ normal(0, 0.3)
param W2[5,6] ~ xavier
param b2[5] ~ normal(0, 0.3)
param W3[5,5] ~ xavier
param W4[7,5] ~ xavier
param b4[7] ~ normal(0, 0.3)
param W6[7,7] ~ xavier
param W5[3,7] ~ xavier
param b5[3] = [0.1, -0.2, 0.3]
h1 = tanh(W1 @ x + b1)
h2 = sigmoid(W2 @ h1 + b2)
h3 = W3 @ h2
h4 = relu(b4 + W4 @ h3)
h5 = clip(W6 @ h4, -0.5, 0.75)
z = relu6(W5 @ h5 + b5)
y = {final}
output y
""")
                out, header, source = self.export_int8(model, calib, "--label", "label")
                self.assertIn("static const int8_t net_t0[256]", source)  # tanh's table
                exe = os.path.join(self.tmp, "h")
                obj = cx.build(self.tmp, "net", exe, flags=["-O2"])
                libm = {"z": [], "sigmoid(z)": [], "tanh(z)": [], "softmax(z)": []}  # fexp.h's functions
                self.assertEqual(cx.undefined_symbols(obj), libm[final])
                cx.build(self.tmp, "net", exe + "0", flags=["-O0"])
                self.check_integer_only(out)
                got = cx.run_harness(exe, xs, 500).splitlines()
                self.assertEqual(cx.run_harness(exe + "0", xs, 500).splitlines(), got)
                want = self.reference(model, calib, xs, 500, 4, extra=["--label", "label"])
                self.assertSameBits(got, want, final)
                # the int8 outputs are not all the same (the test could not fail otherwise)
                self.assertGreater(len(set(got)), 50)

    def test_idx_calibration(self):
        """--calibrate IMAGES,LABELS (IDX, one gzipped): the tiny 16-8-3 classifier."""
        d = "tests/fixtures/data/"
        calib = d + "tiny-images.idx.gz," + d + "tiny-labels.idx.gz"
        weights = os.path.join(self.tmp, "tiny.safetensors")
        r = mlp("train", "examples/train/tiny.mlp", "--data", calib, "--epochs", "3", "--batch", "8",
                "--optimizer", "adam", "--lr", "0.05", "--save", weights)
        self.assertEqual(r.rc, 0, r)
        out, header, source = self.export_int8("examples/train/tiny.mlp", calib, "--weights", weights)
        exe = os.path.join(self.tmp, "h")
        cx.build(self.tmp, "net", exe, flags=["-O2"])
        self.check_integer_only(out)
        with open(d + "tiny-test-images.idx", "rb") as f:
            _, count, rows, cols = struct.unpack(">IIII", f.read(16))
            xs = array.array("f", (b / 255.0 for b in f.read(count * rows * cols)))
        got = cx.run_harness(exe, xs, count).splitlines()
        want = self.reference("examples/train/tiny.mlp", calib, xs, count, rows * cols,
                              extra=["--weights", weights], sets=["c=0"])
        self.assertSameBits(got, want, "tiny test images")
        r = mlp("eval", "examples/train/tiny.mlp", "--weights", weights, "--quantized", "int8",
                "--calibrate", calib, "--metrics", "--data",
                d + "tiny-test-images.idx," + d + "tiny-test-labels.idx")
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"float32  samples \d+  accuracy [\d.]+%\nint8     samples \d+  "
                                r"accuracy [\d.]+%\nint8 - float32: [+-][\d.]+ points\n")

    def test_step_as_a_table(self):
        rng = random.Random(6)
        calib = self.write("cal.csv", "a,b,c,label\n" + "".join(
            ",".join(f"{rng.gauss(0, 1):.6g}" for _ in range(3)) + ",1\n" for _ in range(200)))
        model = self.write("s.mlp", """
input x[3]
param W1[8,3] ~ normal(0, 1)
param b1[8] ~ normal(0, 0.5)
param W2[2,8] ~ normal(0, 1)
y = W2 @ step(W1 @ x + b1)
output y
""")
        out, header, source = self.export_int8(model, calib, "--label", "label")
        exe = os.path.join(self.tmp, "h")
        cx.build(self.tmp, "net", exe, flags=["-O2"])
        self.check_integer_only(out)
        xs = cx.random_inputs(300, 3, seed=3, scale=1.0)
        got = cx.run_harness(exe, xs, 300).splitlines()
        self.assertSameBits(got, self.reference(model, calib, xs, 300, 3, extra=["--label", "label"]),
                            "step")
        self.assertGreater(len(set(got)), 5)

    def test_models_int8_cannot_take(self):
        r = self.fails(2, "export", "examples/seed/residual.mlp", "--format", "c", "-o",
                       os.path.join(self.tmp, "r"), "--quantize", "int8", "--calibrate",
                       self.write("c.csv", "x0,x1,x2,l\n1,2,3,0\n"), "--label", "l")
        self.assertRegex(r.err, r"residual\.mlp:\d+:\d+: error: cannot quantise to int8: .* found add")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "r.c")))
        r = self.fails(2, "export", "examples/fashion/mlp.mlp", "--format", "c", "-o",
                       os.path.join(self.tmp, "f"), "--quantize", "int8")
        self.assertIn("--quantize int8 needs --calibrate DATA", r.err)
        r = self.fails(2, "export", "examples/train/tiny.mlp", "--format", "c", "-o",
                       os.path.join(self.tmp, "t"), "--quantize", "int8", "--calibrate",
                       self.write("c2.csv", "a,b,l\n1,2,0\n"), "--label", "l")
        self.assertIn("calibration data has 1 samples of 2 features, but input 'x' takes 16", r.err)
        # A table activation (step) on the last layer: refused, and the message lists what the op
        # table says each place takes (the ops' int8 roles, graph/ops_c.h).
        last = self.write("last.mlp", "input x[2]\nparam W[3,2] ~ xavier\ny = step(W @ x)\noutput y\n")
        r = self.fails(2, "export", last, "--format", "c", "-o", os.path.join(self.tmp, "l"),
                       "--quantize", "int8", "--calibrate", self.write("c3.csv", "a,b,l\n1,2,0\n"),
                       "--label", "l")
        self.assertRegex(r.err, r"last\.mlp:3:5: error: cannot quantise to int8: relu, identity, clip, "
                                r"relu6 or no activation on the last layer, but found step here")
        self.assertIn("act: relu, identity, clip, relu6 or none, or in hidden layers step, sigmoid or "
                      "tanh; a final sigmoid, tanh or softmax stays in float", r.err)
