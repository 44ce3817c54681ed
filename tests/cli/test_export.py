"""mlp export --format c: standalone float32 C, checked against `mlp eval --dtype f32`.

Every example model, the ACAS Xu networks (.nnet) and the PyTorch-made ONNX files are exported,
compiled with `cc -std=c99 -Wall -Wextra -Werror -pedantic`, checked with nm to call nothing but the libm functions its header lists, run on 1,000 random
inputs at -O0 and -O2 (and, for two models, with clang at -O2): the same bits every time, and within
1e-6 (relative) of mlp's own float32 evaluation of the same inputs.
"""
import glob
import os
import re
import struct

import cexport as cx
from mlptest import MlpTestCase, mlp

SAMPLES = 1000
SINGLE = 4  # samples also evaluated one at a time, where the executor's arithmetic is the C's
# The batch of 1,000 is evaluated by the executor's blocked matrix products, which use FMA and
# sum the inner dimension in slices; the generated code sums one sample in order. So outputs
# agree to REL relative to the largest magnitude of that output over the batch, and a sample
# evaluated alone (the executor's one-sample path) agrees bit for bit.
REL = 1e-6


def model_inputs(model):
    """[(name, dims)] of every input the model declares, from `mlp print`."""
    text = mlp("print", model).out
    res = []
    for m in re.finditer(r"^input (\w+)(?:\[([\d, ]+)\])?", text, re.M):
        res.append((m.group(1), [int(d) for d in m.group(2).split(",")] if m.group(2) else []))
    return res


def libm_listed(header):
    m = re.search(r"Library calls: ([^.(]*)", header)
    names = m.group(1).strip()
    return [] if names == "none" else [n.strip() for n in names.split(",")]


class ExportFloatTest(MlpTestCase):
    def check_model(self, model, scale=2.0, seed=7, clang=False):
        out = os.path.join(self.tmp, "net")
        header, source = cx.export(model, out)
        size_in, size_out = cx.macro(header, "INPUT_SIZE"), cx.macro(header, "OUTPUT_SIZE")
        ins, outs = cx.interface(header)
        self.assertEqual(sum(b - a + 1 for _, a, b in ins), size_in)
        self.assertEqual(sum(b - a + 1 for _, a, b in outs), size_out)
        self.assertNotIn("malloc", source)
        self.assertNotIn("#include <stdio", source)
        # Compiled strictly; nothing undefined but the libm functions the header lists.
        exe0, exe2 = os.path.join(self.tmp, "h0"), os.path.join(self.tmp, "h2")
        obj = cx.build(self.tmp, "net", exe2, flags=["-O2"])
        self.assertLessEqual(set(cx.undefined_symbols(obj)), set(libm_listed(header)), model)
        cx.build(self.tmp, "net", exe0, flags=["-O0"])
        xs = cx.random_inputs(SAMPLES, size_in, seed, scale)
        got2 = cx.run_harness(exe2, xs, SAMPLES)
        self.assertEqual(cx.run_harness(exe0, xs, SAMPLES), got2, f"{model}: -O0 and -O2 differ")
        # With all of this CPU's instructions (FMA among them on x86-64 since 2013): ISO C's
        # -ffp-contract=off keeps every product rounded, so the bits are still -O0's.
        exe_n = os.path.join(self.tmp, "hn")
        cx.build(self.tmp, "net", exe_n, flags=["-O2", "-march=native"])
        self.assertEqual(cx.run_harness(exe_n, xs, SAMPLES), got2, f"{model}: -march=native differs")
        if clang and cx.have("clang"):
            exe_c = os.path.join(self.tmp, "hc")
            cx.build(self.tmp, "net", exe_c, cc="clang", flags=["-O2"])
            self.assertEqual(cx.run_harness(exe_c, xs, SAMPLES), got2, f"{model}: clang differs")
        self.compare_with_eval(model, ins, outs, xs, cx.parse_rows(got2))
        return header, source

    def compare_with_eval(self, model, ins, outs, xs, rows):
        csv = os.path.join(self.tmp, "in.csv")
        size = sum(b - a + 1 for _, a, b in ins)
        cx.write_csv(csv, xs, SAMPLES, size)
        unused = [f"{n}=0" for n, _ in model_inputs(model) if n not in {i[0] for i in ins}]
        args = ["eval", model, "--dtype", "f32", "--data", csv]
        for u in unused:
            args += ["--set", u]
        r = mlp(*args)
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        # eval prints the outputs first, in order, element by element (then the loss)
        want_cols = list(range(sum(b - a + 1 for _, a, b in outs)))
        self.assertEqual(len(want_cols), len(rows[0]))
        expect = [[float(line.split(",")[c]) for c in want_cols] for line in lines[1:]]
        scale = [max(abs(row[k]) for row in expect if row[k] == row[k]) for k in range(len(want_cols))]
        worst = 0.0
        for s, row in enumerate(expect):
            for k, e in enumerate(row):
                c = rows[s][k]
                if e != e:
                    self.assertNotEqual(c, c, f"{model} sample {s} output {k}")
                    continue
                if c == e:  # also an infinity (where the scale is infinite too)
                    continue
                err = abs(c - e) / max(scale[k], 1e-30)
                worst = max(worst, err)
                self.assertLessEqual(err, REL, f"{model} sample {s} output {k}: C {c!r}, eval {e!r}")
        self.compare_one_at_a_time(args, csv, want_cols, rows)
        return worst

    def compare_one_at_a_time(self, args, csv, want_cols, rows):
        with open(csv) as f:
            lines = f.read().splitlines()
        one = os.path.join(self.tmp, "one.csv")
        for s in range(SINGLE):
            with open(one, "w") as f:
                f.write(lines[s] + "\n")
            r = mlp(*args[:args.index("--data") + 1], one, *args[args.index("--data") + 2:])
            self.assertEqual(r.rc, 0, r)
            vals = r.out.splitlines()[1].split(",")  # after eval's header
            for k, col in enumerate(want_cols):
                e, c = float(vals[col]), rows[s][k]
                if e == e or c == c:
                    self.assertEqual(struct.pack("f", c), struct.pack("f", e),
                                     f"{args[1]} sample {s} output {k} alone: C {c!r}, eval {e!r}")

    def test_every_example_model(self):
        models = sorted(glob.glob("examples/**/*.mlp", recursive=True))
        self.assertGreater(len(models), 15)
        for model in models:
            with self.subTest(model=model):
                self.check_model(model)

    def test_imported_networks(self):
        """ACAS Xu networks, imported from .nnet files (5-50x6-5 ReLU, input normalisation)."""
        nets = sorted(glob.glob("../shared/benchmarks/acasxu/nnet/*.nnet"))[:2]
        if not nets:
            self.skipTest("../shared/benchmarks/acasxu is not present")
        for net in nets:
            with self.subTest(net=net):
                self.check_model(net, scale=1.0)

    def test_pytorch_networks(self):
        """The PyTorch exports the ONNX importer is tested with (tests/reference/gen_onnx.py), read
        directly: ReLU, tanh/sigmoid, leaky ReLU, softmax, batch norm + GELU, residual, view and
        flatten, float64 weights; each at opsets 9, 13 and 17 (different node forms)."""
        nets = sorted(glob.glob("tests/fixtures/onnx/*-opset*.onnx"))
        self.assertGreaterEqual(len(nets), 24)
        for net in nets:
            with self.subTest(net=net):
                self.check_model(net)

    def test_interface(self):
        header, source = self.check_model("examples/explain/heads.mlp", clang=True)
        self.assertIn("void net_predict(const float *input, float *output);", header)
        self.assertIn("void net_predict_r(const float *input, float *output, float *workspace);", header)
        self.assertRegex(header, r"input\[0 \.\. 3\]  x\[4\]")
        self.assertRegex(header, r"output\[0 \.\. 1\]  y\[2\]")
        self.assertRegex(header, r"output\[2 \.\. 4\]  p\[3\]")
        # softmax is mlp_fsoftmax (base/fexp.h), float32 throughout, as mlp's float32 kernel
        self.assertIn("Library calls: none.", header)
        self.assertIn("mlp_fsoftmax(a, y, 3);", source)
        self.assertIn("static float workspace[NET_WORKSPACE_SIZE];", source)
        self.assertIn("static const float net_k", source)
        # the only mutable static is the documented workspace
        statics = [l for l in source.splitlines() if re.match(r"\s*static (?!const|float \w+\(|inline (float|void) \w+\()", l)]
        self.assertEqual(statics, ["    static float workspace[NET_WORKSPACE_SIZE];"])

    def test_operations_beyond_the_examples(self):
        model = self.write("ops.mlp", """
input x[3]
input u[2, 3]
param W[3, 2] = [[1, 2], [3, -4], [0.5, 0.25]]
const k = 3
a = x @ W
b = (u @ W) @ (W.T @ x)
c = outer(a, x)
d = sum(c) / mean(exp(x - 1)) + sumsq(x) * dot(x, x)
e = log_softmax(u.T @ a) - logsumexp(x)
f = x[1] * u[0, 2] + step(x[0]) - neg(tanh(x[2]))
g = softmax(x / k) * sigmoid(-x)
output a, b, c, d, e, f, g, x, W
""")
        self.check_model(model, scale=1.0, clang=True)

    def test_the_newer_ops(self):
        model = self.write("ops2.mlp", """
input x[4]
input u[2, 3]
param W[3, 4] ~ xavier
param g[4] = [1.5, -0.5, 2, 0.25]
param m[4] = [0.1, 0.2, -0.3, 0.4]
param v[4] = [1, 0.5, 2, 0.25]
z = W @ x
a = leaky_relu(x, 0.1) + abs(x) - max(x, g) * min(x, m) + clip(x, -0.5, 0.5) + relu6(4 * x)
b = sign(x) + softplus(x) + gelu(x) + gelu_tanh(x) + elu(x, 0.7) + silu(x)
c = sqrt(abs(x)) + square(x) + log1p(abs(x)) + expm1(x) + layer_norm(x, 0.001)
d = batch_norm_infer(x, m, v, g, m, 0.01)
e = concat(slice(x, 1, 3), z, flatten(u))
f = reshape(u, [3, 2]) * 2
h = argmax(z)
output a, b, c, d, e, f, h
""")
        header, source = self.check_model(model, scale=1.5, clang=True)
        for fn in ["erf", "log1pf", "expm1f", "sqrt"]:
            self.assertIn(fn, re.search(r"Library calls: ([^.]*)", header).group(1))

    def test_exp_sigmoid_and_tanh_are_mlps_own(self):
        """exp, sigmoid, sigmoid', silu, tanh and tanh' use base/fexp.h's functions, written into the file: no
        libm call (nm), the function text as the library compiles it, and the same bits as `mlp
        eval --dtype f32` over the whole range, through overflow, underflow and subnormals."""
        model = self.write("e.mlp", "input x[12]\ny = exp(x)\ns = sigmoid(x)\nd = dsigmoid(x)\n"
                                    "u = silu(x)\nt = tanh(x)\nv = dtanh(x)\noutput y, s, d, u, t, v\n")
        header, source = self.check_model(model, scale=60.0, clang=True)
        self.assertIn("Library calls: none.", header)
        self.assertIn("static inline float mlp_fexp(float x)", source)
        self.assertIn("static inline float mlp_fsigmoid(float v)", source)
        self.assertIn("static inline float mlp_ftanh(float v)", source)
        with open("src/base/fexp.h") as f:  # the same statements, in the same order
            lib = re.sub(r"\s+", "", f.read().split("#define MLP_FEXP_CODE(X) X(")[1].split("})")[0])
        self.assertIn(lib.replace("\\", ""), re.sub(r"\s+", "", source))
        edges = [-1e30, -200, -104, -103.9721, -103.972, -103.2789, -100, -90, -87.4, -87.3365479,
                 -20, -1, -1e-30, 0, 1e-30, 0.5, 1, 20, 88, 88.7228317, 88.7228394, 89, 200, 1e30]
        xs, n = cx.array.array("f", edges), 2
        exe = os.path.join(self.tmp, "h2")
        cx.build(self.tmp, "net", exe, flags=["-O2"])
        rows = cx.parse_rows(cx.run_harness(exe, xs, n))
        csv = os.path.join(self.tmp, "edges.csv")
        cx.write_csv(csv, xs, n, 12)
        r = mlp("eval", model, "--dtype", "f32", "--data", csv)
        self.assertEqual(r.rc, 0, r)
        for s, line in enumerate(r.out.splitlines()[1:]):
            want = [float(v) for v in line.split(",")[:72]]
            for k, (c, e) in enumerate(zip(rows[s], want)):
                self.assertEqual(struct.pack("f", c), struct.pack("f", e),
                                 f"sample {s} output {k} (x = {xs[12 * s + k % 12]!r}): C {c!r}, eval {e!r}")
        def f32(v):  # the float32 that a 9-digit value printed by the harness stands for
            return struct.unpack("f", struct.pack("f", v))[0]
        self.assertEqual([f32(rows[0][k]) for k in (0, 3, 4, 5)], [0.0, 0.0, 2.0**-149, 2.0**-149])
        self.assertEqual([rows[1][k] for k in (8, 9, 10, 11)], [float("inf")] * 4)
        self.assertLess(rows[1][7], float("inf"))  # exp(88.7228317) is the largest finite one
        self.assertEqual(rows[0][12], 0.0)  # sigmoid(-1e30)
        self.assertEqual(rows[1][23], 1.0)  # sigmoid(1e30)
        self.assertEqual((rows[0][48], rows[1][59]), (-1.0, 1.0))  # tanh(-1e30), tanh(1e30)

    def test_reentrant_and_static_agree(self):
        out = os.path.join(self.tmp, "net")
        header, _ = cx.export("examples/explain/deep.mlp", out)
        main = self.write("main.c", """
#include <string.h>
#include "net.h"
int main(void)
{
    float in[NET_INPUT_SIZE], a[NET_OUTPUT_SIZE], b[NET_OUTPUT_SIZE], ws[NET_WORKSPACE_SIZE];
    for (int i = 0; i < NET_INPUT_SIZE; i++)
        in[i] = (float)i / 3 - 1;
    net_predict(in, a);
    memset(ws, 0x7f, sizeof ws); /* garbage in the workspace must not matter */
    net_predict_r(in, b, ws);
    return memcmp(a, b, sizeof a) != 0;
}
""")
        exe = os.path.join(self.tmp, "main")
        cx.run(["cc", *cx.STRICT, "-I", self.tmp, main, out + ".c", "-o", exe, "-lm"])
        cx.run([exe])


class ExportHostileTest(MlpTestCase):
    def test_c_keywords_as_model_names_and_output_name(self):
        model = self.write("kw.mlp", """
input int[2]
param for[2,2] = [[1, 2], [3, 4]]
param static[2] = [1, -20]
return = relu(for @ int + static)
output return
""")
        out = os.path.join(self.tmp, "int")
        header, source = cx.export(model, out)
        self.assertIn("void int_predict(const float *input, float *output);", header)
        self.assertIn("#define INT_INPUT_SIZE 2 ", header)
        exe = os.path.join(self.tmp, "h")
        cx.build(self.tmp, "int", exe)
        xs = cx.random_inputs(4, 2, seed=1) 
        rows = cx.parse_rows(cx.run_harness(exe, xs, 4))
        for s in range(4):
            x0, x1 = xs[2 * s], xs[2 * s + 1]
            want = [max(0.0, x0 + 2 * x1 + 1), max(0.0, 3 * x0 + 4 * x1 - 20)]
            for c, w in zip(rows[s], want):
                self.assertAlmostEqual(c, w, places=4)

    def test_names_made_identifiers(self):
        for given, name in [("my-net.v2", "my_net_v2"), ("2layer.c", "net2layer"), ("_x", "net_x")]:
            out = os.path.join(self.tmp, given)
            r = self.ok("export", "examples/train/tiny.mlp", "--format", "c", "-o", out)
            base = out[:-2] if out.endswith(".c") else out
            with open(base + ".h") as f:
                self.assertIn(f"void {name}_predict(", f.read())
            self.assertTrue(os.path.exists(base + ".c"))
            self.assertEqual(r.out, "")
        r = self.fails(2, "export", "examples/train/tiny.mlp", "--format", "c", "-o", self.tmp + "/")
        self.assertIn("-o DIR/NAME is required, with a NAME", r.err)

    def test_huge_model_refused(self):
        model = self.write("huge.mlp", "input x[2000]\nparam W[2100,2000] ~ normal(0, 1)\ny = W @ x\noutput y\n")
        out = os.path.join(self.tmp, "huge")
        r = self.fails(2, "export", model, "--format", "c", "-o", out)
        self.assertIn("number 4204100, more than the 4194304 (16 MiB of float32) the C export accepts", r.err)
        self.assertFalse(os.path.exists(out + ".c") or os.path.exists(out + ".h"))

    def test_ops_without_c_lowering_named(self):
        model = self.write("loss.mlp", """
input x[3]
input c
param W[2,3] ~ xavier
z = W @ x
L = softmax_xent(z, c)
E = squared_error(z, 2 * z)
output z, L, E
""")
        out = os.path.join(self.tmp, "loss")
        r = self.fails(2, "export", model, "--format", "c", "-o", out)
        self.assertRegex(r.err, r"loss\.mlp:6:\d+: error: cannot export to C: no C lowering for "
                                r"softmax_xent \(a training loss.*\); squared_error \(a training loss")
        self.assertFalse(os.path.exists(out + ".c") or os.path.exists(out + ".h"))
        # the same model without the losses as outputs exports
        self.ok("export", self.write("ok.mlp", open(model).read().replace("output z, L, E", "output z")),
                "--format", "c", "-o", out)

    def test_bad_usage(self):
        r = self.fails(2, "export", "examples/train/tiny.mlp", "-o", os.path.join(self.tmp, "n"))
        self.assertIn("--format is required", r.err)
        r = self.fails(2, "export", "examples/train/tiny.mlp", "--format", "rust", "-o", "n")
        self.assertIn("unknown --format 'rust'", r.err)
        r = self.fails(2, "export", "examples/train/tiny.mlp", "--format", "c", "-o", "n",
                       "--quantize", "int4", "--calibrate", "x.csv")
        self.assertIn("--quantize must be int8", r.err)
        r = self.fails(2, "export", "examples/train/tiny.mlp", "--format", "c", "-o",
                       os.path.join(self.tmp, "no", "such", "dir", "n"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))
