"""One trained model, every command: --weights on each subcommand, print --values round trips."""
import json
import os
import re
import struct
import subprocess
import unittest

from mlptest import MLP as MLP_BIN, MlpTestCase, mlp

BUILD = os.environ.get("BUILD", "build/release")

# A ReLU network that is all zeros until weights are loaded: then y = |x0 - x1| / 2 + 0.1f.
NET = """input x[2]
input t
param W1[2,2] = 0
param b1[2] = 0
param w2[2] = 0
param b2 = 0
h = relu(W1 @ x + b1)
y = dot(w2, h) + b2
L = squared_error(y, t)
output y
loss L
"""
WEIGHTS = {"W1": ([2, 2], [1, -1, -1, 1]), "b1": ([2], [0, 0]), "w2": ([2], [0.5, 0.5]),
           "b2": ([], [0.1])}
B2 = 0.100000001490116119384765625  # 0.1 as float32, exactly

# A sigmoid network for convert and equiv.
SIG = """input x[2]
param W[2,2] = 0
param b[2] = 0
param v[2] = 0
y = dot(v, sigmoid(W @ x + b))
output y
"""


def write_safetensors(path, tensors, dtype="F32"):
    """An independent writer of the published format."""
    fmt = {"F32": "f", "F64": "d"}[dtype]
    header, data = {}, b""
    for name, (shape, vals) in tensors.items():
        blob = struct.pack("<%d%s" % (len(vals), fmt), *vals)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


class WeightsEverywhere(MlpTestCase):
    def setUp(self):
        super().setUp()
        self.net = self.write("net.mlp", NET)
        self.w = os.path.join(self.tmp, "w.safetensors")
        write_safetensors(self.w, WEIGHTS)
        self.bad = os.path.join(self.tmp, "bad.safetensors")
        write_safetensors(self.bad, {"W1": ([3], [1, 2, 3])})

    def test_eval_and_grad(self):
        x = "--set", "x=[1,0]"
        self.assertEqual(self.ok("eval", self.net, *x, "--json").json()["values"]["y"], 0)
        y = self.ok("eval", self.net, *x, "--weights", self.w, "--json").json()["values"]["y"]
        self.assertEqual(y, 0.5 + B2)
        g0 = self.ok("grad", self.net, *x, "--set", "t=0", "--wrt", "b2,w2", "--json").json()
        g = self.ok("grad", self.net, *x, "--set", "t=0", "--wrt", "b2,w2", "--weights", self.w,
                    "--json").json()
        self.assertEqual(g0["grad"]["b2"], 0)
        self.assertEqual(g["grad"]["b2"], y)           # dL/db2 = y - t
        self.assertEqual(g["grad"]["w2"], [y * 1, 0])  # h = relu([1, -1]) = [1, 0]

    def test_gradcheck(self):
        args = ("gradcheck", self.net, "--set", "x=[1,0]", "--set", "t=0", "--json")
        r0 = self.ok(*args).json()["results"]
        r = self.ok(*args, "--weights", self.w).json()["results"]
        # with all weights 0 every gradient is exactly 0; trained, dL/dW1 is not
        self.assertEqual(r0["W1"]["worst_error"], 0)
        self.assertGreater(r["W1"]["worst_error"], 0)
        self.assertTrue(r["W1"]["ok"])
        self.fails(2, *args, "--weights", self.bad)

    def test_print_values_is_self_contained_and_exact(self):
        out = os.path.join(self.tmp, "trained.mlp")
        self.ok("print", self.net, "--values", "--weights", self.w, "-o", out)
        with open(out) as f:
            text = f.read()
        self.assertIn("param b2 = 0.100000001490116119384765625\n", text)
        self.assertIn("param W1[2,2] = [[1, -1], [-1, 1]]\n", text)
        # eval of the printed model equals eval --weights, bit for bit, in f64 and f32
        rows = "x[0],x[1]\n" + "".join(f"{a / 7},{b / 3}\n" for a in range(-5, 5) for b in range(3))
        data = self.write("d.csv", rows)
        for dtype in ("f64", "f32"):
            a = self.ok("eval", out, "--data", data, "--dtype", dtype).out
            b = self.ok("eval", self.net, "--weights", self.w, "--data", data, "--dtype", dtype).out
            self.assertEqual(a, b)
        # verify reads the printed literals as the exact float32 values
        spec = "y >= 0.100000001490116119384765625"
        self.assertIn("holds", self.ok("verify", out, "--spec", spec).out)
        self.assertIn("holds", self.ok("verify", self.net, "--weights", self.w, "--spec", spec).out)
        self.assertEqual(self.fails(1, "verify", out, "--spec", "y > " + repr(B2)).rc, 1)
        # the same in float64 weights
        w64 = os.path.join(self.tmp, "w64.safetensors")
        write_safetensors(w64, WEIGHTS, "F64")
        r = self.ok("print", self.net, "--values", "--weights", w64).out
        self.assertIn("param b2 = 0.1\n", r)

    def test_verify(self):
        # the untrained network is 0 everywhere; trained, it is at least 0.1f everywhere
        r = self.fails(1, "verify", self.net, "--spec", "y > 0")
        self.assertIn("violated", r.out)
        r = self.ok("verify", self.net, "--weights", self.w, "--spec", "y > 0")
        self.assertIn("holds for every x in R^2", r.out)
        self.fails(2, "verify", self.net, "--weights", self.bad, "--spec", "y > 0")

    def test_draw_and_derive(self):
        sets = ("--set", "x=[1,0]", "--set", "t=0")
        d0 = self.ok("draw", self.net, *sets).out
        d = self.ok("draw", self.net, *sets, "--weights", self.w).out
        self.assertIn('label="y\\n+\\n= 0"', d0)  # y's value on its node
        self.assertIn('label="y\\n+\\n= 0.6"', d)
        m = self.ok("derive", self.net, "--wrt", "b2", "--format", "mlp", "--weights", self.w).out
        self.assertIn("param b2 = 0.100000001490116119384765625\n", m)
        self.assertIn("param w2[2] = [0.5, 0.5]\n", m)
        self.fails(2, "derive", self.net, "--wrt", "b2", "--weights", self.bad)

    def test_zeros_checks_weights_but_answers_for_all_values(self):
        a = ("zeros", self.net, "--assume", "h == 0", "--json")
        self.assertEqual(self.ok(*a).out, self.ok(*a, "--weights", self.w).out)
        r = self.fails(2, *a, "--weights", self.bad)
        self.assertIn("tensor 'W1' has shape [3]", r.err)

    def test_convert_and_equiv(self):
        sig = self.write("sig.mlp", SIG)
        w = os.path.join(self.tmp, "sig.safetensors")
        write_safetensors(w, {"W": ([2, 2], [1, 2, -3, 0.5]), "b": ([2], [0.25, -1]),
                              "v": ([2], [2, -1])})
        conv = os.path.join(self.tmp, "tanh.mlp")
        self.ok("convert", sig, "--activation", "sigmoid=tanh", "--weights", w, "-o", conv)
        # the converted model holds the trained weights, folded: equal to the original with them
        r = self.ok("equiv", sig, conv, "--weights-a", w, "--json").json()
        self.assertTrue(r["equivalent"], r)
        self.assertGreater(abs(r["worst"]["a"]), 0)
        r = self.mlp_rc(1, "equiv", sig, conv, "--json")
        self.assertFalse(r.json()["equivalent"])
        # --weights loads into both models; a bad file for either is an error
        self.assertTrue(self.ok("equiv", sig, sig, "--weights", w, "--json").json()["equivalent"])
        self.fails(2, "equiv", sig, conv, "--weights-b", self.bad)
        self.fails(2, "equiv", sig, conv, "--weights-a", self.bad)

    def test_import(self):
        self.assertIn("param b2 = 0\n", self.ok("import", self.net).out)
        out = self.ok("import", self.net, "--weights", self.w).out
        self.assertIn("param b2 = 0.100000001490116119384765625\n", out)
        self.fails(2, "import", self.net, "--weights", self.bad)

    def mlp_rc(self, rc, *args):
        r = mlp(*args)
        self.assertEqual(r.rc, rc, r)
        return r


FLOWERS = """input x[3]
input c
param W1[8,3] ~ he_uniform
param b1[8] = 0
param W2[3,8] ~ he_uniform
param b2[3] = 0
h = relu(W1 @ x + b1)
z = W2 @ h + b2
L = softmax_xent(z, c)
output z
loss L
"""
NAMES = ["setosa", "versicolor", "virginica"]


def flowers(n=120):
    """Named columns, the label (texts) between the features; a deterministic spread."""
    rows, plain, labels = ["sepal_len,sepal_wid,species,petal_len"], ["sepal_len,sepal_wid,petal_len"], []
    for i in range(n):
        c = i % 3
        a = 50 + 8 * c + (i * 37 % 23) - 11
        b = 30 - 3 * c + (i * 17 % 13) - 6
        p = 10 + 15 * c + (i * 29 % 31) - 15
        rows.append(f"{a}.{i % 10},{b}.{i % 7},{NAMES[c]},{p}.{i % 3}")
        plain.append(f"{a}.{i % 10},{b}.{i % 7},{p}.{i % 3}")
        labels.append(NAMES[c])
    return "\n".join(rows) + "\n", "\n".join(plain) + "\n", labels


class TrainThenUse(MlpTestCase):
    def trained(self, *scale):
        labelled, plain, labels = flowers()
        self.data = self.write("flowers.csv", labelled)
        self.plain = self.write("plain.csv", plain)
        self.labels = labels
        self.model = self.write("flowers.mlp", FLOWERS)
        self.w = os.path.join(self.tmp, "w.safetensors")
        self.ok("train", self.model, "--data", self.data, "--label", "species", *scale,
                "--epochs", "40", "--optimizer", "adam", "--lr", "0.02", "--save", self.w, "--quiet")
        return self.w

    def check_predict_matches_eval(self, *scale):
        self.trained(*scale)
        r = self.ok("predict", self.model, "--weights", self.w, "--data", self.plain)
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "class,p[0],p[1],p[2]")
        rows = [line.split(",") for line in lines[1:]]
        self.assertEqual(len(rows), len(self.labels))
        for row in rows:
            self.assertIn(row[0], NAMES)
            p = [float(v) for v in row[1:]]
            self.assertAlmostEqual(sum(p), 1, places=5)
            self.assertEqual(NAMES[p.index(max(p))], row[0])
        # the labelled file predicts the same, and its metrics count exactly these classes
        self.assertEqual(self.ok("predict", self.model, "--weights", self.w, "--data", self.data).out,
                         r.out)
        m = self.ok("eval", self.model, "--weights", self.w, "--metrics", "--data", self.data,
                    "--json").json()
        conf = [[0] * 3 for _ in range(3)]
        for row, want in zip(rows, self.labels):
            conf[NAMES.index(want)][NAMES.index(row[0])] += 1
        self.assertEqual(m["confusion"], conf)
        self.assertEqual(m["class_names"], NAMES)
        right = sum(row[0] == want for row, want in zip(rows, self.labels))
        self.assertEqual(m["accuracy"], right / len(rows))
        self.assertGreater(m["accuracy"], 0.6)
        # predict --metrics is the same report
        pm = self.ok("predict", self.model, "--weights", self.w, "--data", self.data, "--metrics",
                     "-o", os.path.join(self.tmp, "p.csv"), "--json").json()
        self.assertEqual(pm, m)
        return m

    def test_predict_matches_eval_metrics(self):
        self.check_predict_matches_eval()

    def test_predict_matches_eval_metrics_with_standard_scaling(self):
        m = self.check_predict_matches_eval("--scale", "standard")
        # the statistics are the training set's, saved with the weights (independently computed)
        meta = read_metadata(self.w)
        self.assertEqual(meta["mlp.scale"], "standard")
        self.assertEqual(meta["mlp.classes"], "\n".join(NAMES))
        self.assertEqual(meta["mlp.label"], "species")
        self.assertEqual(meta["mlp.features"], "sepal_len,sepal_wid,petal_len")
        col = [f32(float(line.split(",")[0])) for line in open(self.plain).read().splitlines()[1:]]
        mean = sum(col) / len(col)
        self.assertAlmostEqual(float(meta["mlp.scale.shift"].split()[0]), mean, places=9)
        # eval on only the first rows uses the saved statistics, not those of these rows
        few = self.write("few.csv", "\n".join(open(self.data).read().splitlines()[:4]) + "\n")
        a = self.ok("eval", self.model, "--weights", self.w, "--metrics", "--data", few, "--scale",
                    "standard", "--json").json()
        b = self.ok("predict", self.model, "--weights", self.w, "--data", few).out.splitlines()[1:]
        self.assertEqual(a["accuracy"], sum(r.split(",")[0] == n for r, n in zip(b, self.labels)) / 3)
        r = self.fails(2, "eval", self.model, "--weights", self.w, "--metrics", "--data", few,
                       "--scale", "unit")
        self.assertIn("trained with --scale standard", r.err)
        # eval of one raw sample applies the scaling too: the class predict gives it
        first = open(self.plain).read().splitlines()[1].split(",")
        z = self.ok("eval", self.model, "--weights", self.w, "--set", f"x=[{','.join(first)}]",
                    "--json", "--dtype", "f32").json()["values"]["z"]
        self.assertEqual(NAMES[z.index(max(z))], b[0].split(",")[0])
        self.assertGreater(m["accuracy"], 0.6)

    def test_predict_json_idx_and_errors(self):
        self.trained()
        j = self.ok("predict", self.model, "--weights", self.w, "--data", self.plain, "--json").json()
        self.assertEqual(j["columns"], ["class", "p[0]", "p[1]", "p[2]"])
        self.assertEqual(len(j["rows"]), len(self.labels))
        self.assertIn(j["rows"][0][0], NAMES)
        r = self.fails(2, "predict", self.model, "--weights", self.w, "--data", self.plain,
                       "--metrics")
        self.assertIn("no label column", r.err)
        bad = self.write("bad.csv", open(self.data).read().replace("setosa", "rosa", 1))
        r = self.fails(2, "predict", self.model, "--weights", self.w, "--data", bad, "--metrics")
        self.assertIn("label 'rosa' is not one of the 3 classes the model was trained on", r.err)
        self.assertEqual(r.out, "")
        missing = self.write("missing.csv", "sepal_len,petal_len\n1,2\n")
        r = self.fails(2, "predict", self.model, "--weights", self.w, "--data", missing)
        self.assertIn("no column named 'sepal_wid'", r.err)

    def test_predict_idx_and_regression(self):
        D = "tests/fixtures/data/"
        tiny = self.write("tiny.mlp", """input x[16]
input c
param W[3,16] ~ he_uniform
param b[3] = 0
z = W @ x + b
L = softmax_xent(z, c)
output z
loss L
""")
        spec = D + "tiny-test-images.idx," + D + "tiny-test-labels.idx"
        w = os.path.join(self.tmp, "t.safetensors")
        self.ok("train", tiny, "--data", D + "tiny-images.idx.gz," + D + "tiny-labels.idx.gz",
                "--epochs", "3", "--save", w, "--quiet")
        r = self.ok("predict", tiny, "--weights", w, "--data", spec)
        rows = r.out.splitlines()
        self.assertEqual(rows[0], "class,p[0],p[1],p[2]")
        m = self.ok("eval", tiny, "--weights", w, "--metrics", "--data", spec, "--json").json()
        self.assertEqual(m["samples"], len(rows) - 1)
        self.assertEqual(read_metadata(w)["mlp.scale"], "unit")  # auto: bytes to [0, 1]
        lin = self.write("lin.mlp", "input x\ninput y\nparam a = 2\nparam b = 1\nf = a * x + b\n"
                                    "L = squared_error(f, y)\noutput f\nloss L\n")
        data = self.write("xy.csv", "x,y\n1,0\n2.5,0\n")
        r = self.ok("predict", lin, "--data", data, "--label", "y")
        self.assertEqual(r.out, "f\n3\n6\n")


def read_metadata(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]).get("__metadata__", {})


@unittest.skipIf("san" in os.path.basename(BUILD), "installs the release build only")
class InstallsLikeALibrary(MlpTestCase):
    def test_soname_exports_and_no_ld_library_path(self):
        prefix = os.path.join(self.tmp, "prefix")
        r = subprocess.run(["make", "-s", "install", f"BUILD={BUILD}", f"PREFIX={prefix}"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        lib = os.path.join(prefix, "lib")
        real = os.path.join(lib, "libmlp.so.0.1.0")
        self.assertTrue(os.path.isfile(real) and not os.path.islink(real))
        self.assertEqual(os.readlink(os.path.join(lib, "libmlp.so.0")), "libmlp.so.0.1.0")
        self.assertEqual(os.readlink(os.path.join(lib, "libmlp.so")), "libmlp.so.0")
        dyn = subprocess.run(["readelf", "-d", real], capture_output=True, text=True).stdout
        self.assertIn("Library soname: [libmlp.so.0]", dyn)
        # exactly the functions the public header declares are exported
        nm = subprocess.run(["nm", "-D", "--defined-only", real], capture_output=True, text=True)
        exported = {line.split()[-1] for line in nm.stdout.splitlines() if line.strip()}
        with open("include/mlp.h") as f:
            declared = set(re.findall(r"\b(mlp_[a-z0-9_]*)\(", f.read()))
        self.assertEqual(exported, declared)
        self.assertTrue(all(s.startswith("mlp_") for s in exported))
        # an outside program built with pkg-config alone runs without LD_LIBRARY_PATH
        env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
        env["PKG_CONFIG_PATH"] = os.path.join(lib, "pkgconfig")
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "mlp"], env=env,
                               capture_output=True, text=True)
        self.assertEqual(flags.returncode, 0, flags.stderr)
        exe = os.path.join(self.tmp, "outside")
        cc = subprocess.run(["cc", "-std=c11", "examples/api/residual_grad.c", "-o", exe,
                             *flags.stdout.split()], capture_output=True, text=True)
        self.assertEqual(cc.returncode, 0, cc.stderr)
        run = subprocess.run([exe, "examples/seed/residual.mlp"], capture_output=True, text=True,
                             env=env)
        self.assertIn("xbar = [1.573724, 1.323356, 2.785695]", run.stdout, run.stderr)
        ldd = subprocess.run(["ldd", exe], capture_output=True, text=True, env=env).stdout
        self.assertIn(f"libmlp.so.0 => {lib}/libmlp.so.0", ldd)
        r = subprocess.run([os.path.join(prefix, "bin", "mlp"), "--version"], env=env,
                           capture_output=True, text=True)
        self.assertEqual(r.stdout, "mlp 0.1.0\n")


class Polish(MlpTestCase):
    def test_help_command(self):
        self.assertEqual(self.ok("help", "predict").out, self.ok("predict", "--help").out)
        self.assertIn("Print the model as a model file", self.ok("help", "print").out)
        r = self.fails(2, "help", "nope")
        self.assertIn("unknown command 'nope'", r.err)

    def test_one_epoch(self):
        m = self.write("m.mlp", FLOWERS)
        data = self.write("f.csv", flowers(30)[0])
        r = self.ok("train", m, "--data", data, "--label", "species", "--epochs", "1", "--quiet")
        self.assertIn("trained 1 epoch in", r.out)

    def test_draw_pdf_or_refused(self):
        m = self.write("m.mlp", NET)
        pdf = os.path.join(self.tmp, "g.pdf")
        if subprocess.run(["sh", "-c", "command -v dot"], capture_output=True).returncode == 0:
            self.ok("draw", m, "-o", pdf)
            with open(pdf, "rb") as f:
                self.assertEqual(f.read(5), b"%PDF-")
        r = self.fails(2, "draw", m, "--format", "dot", "-o", os.path.join(self.tmp, "h.pdf"))
        self.assertIn("names another format", r.err)
        r = self.fails(2, "draw", m, "-o", os.path.join(self.tmp, "g.jpg"))
        self.assertIn("name the format with --format", r.err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "h.pdf")))
        self.assertTrue(self.ok("draw", m, "-o", os.path.join(self.tmp, "g.gv")))

    def test_did_you_mean_only_writable_names(self):
        r = self.fails(2, "print", self.write("a.mlp", "input x\ny = inpu(x)\noutput y\n"))
        self.assertNotIn("did you mean", r.err)
        r = self.fails(2, "print", self.write("b.mlp", "input x\ny = indx(x)\noutput y\n"))
        self.assertNotIn("did you mean", r.err)
        r = self.fails(2, "print", self.write("c.mlp", "input x\ny = sigmod(x)\noutput y\n"))
        self.assertIn("(did you mean 'sigmoid'?)", r.err)

    def test_derive_one_bar_over_a_long_name(self):
        m = self.write("m.mlp", "input x[1]\ninput c\nparam W[3,1] = 1\nlogits = W @ x\n"
                                "L = softmax_xent(logits, c)\nloss L\n")
        out = self.ok("derive", m, "--wrt", "W").out
        self.assertIn("l\u0305o\u0305g\u0305i\u0305t\u0305s\u0305 = ", out)  # a joined overline
        self.assertNotIn("l\u0304", out)
        self.assertIn("W\u0304 = ", out)  # one letter: its macron

    def test_demo_plain_when_piped(self):
        r = subprocess.run(["sh", "examples/seed/demo.sh", MLP_BIN], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\033", r.stdout)
        self.assertIn("$ mlp eval", r.stdout)


class TrainingAsUsersExpect(MlpTestCase):
    def setUp(self):
        super().setUp()
        self.model = self.write("flowers.mlp", FLOWERS)
        self.data = self.write("flowers.csv", flowers()[0])

    def train(self, *extra):
        return self.ok("train", self.model, "--data", self.data, "--label", "species", "--scale",
                       "standard", "--batch", "16", *extra)

    def weights(self, name):
        with open(os.path.join(self.tmp, name), "rb") as f:
            return f.read()

    def test_resume_is_bit_identical(self):
        for opt in (["--optimizer", "adam", "--lr", "0.01"],
                    ["--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--nesterov"]):
            full, part, ck, resumed = (os.path.join(self.tmp, n) for n in
                                       ("full.st", "part.st", "ck.st", "resumed.st"))
            self.train(*opt, "--epochs", "9", "--save", full, "--quiet")
            self.train(*opt, "--epochs", "4", "--checkpoint", ck, "--quiet")
            r = self.train(*opt, "--epochs", "9", "--resume", ck, "--checkpoint", ck,
                           "--save", resumed)
            self.assertTrue(r.out.startswith("epoch 5/9 "), r.out)
            self.assertEqual(self.weights("full.st"), self.weights("resumed.st"))
            # the checkpoint is a weights file: the last epoch's, the ones saved
            a = self.ok("eval", self.model, "--weights", ck, "--metrics", "--data", self.data).out
            b = self.ok("eval", self.model, "--weights", full, "--metrics", "--data", self.data).out
            self.assertEqual(a, b)
        r = self.fails(2, "train", self.model, "--data", self.data, "--label", "species",
                       "--batch", "8", "--epochs", "9", "--resume", ck)
        self.assertIn("the checkpoint was made with --batch 16, this run has 8", r.err)
        r = self.fails(2, "train", self.model, "--data", self.data, "--label", "species",
                       "--batch", "16", "--epochs", "9", "--resume", ck)
        self.assertIn("has done 9 epochs already", r.err)

    def test_val_split_and_patience_keep_the_best_epoch(self):
        r = self.train("--optimizer", "adam", "--lr", "0.05", "--epochs", "200", "--val-split",
                       "0.25", "--patience", "4", "--save", os.path.join(self.tmp, "best.st"))
        self.assertIn("val loss", r.out.splitlines()[0])
        m = re.search(r"keeping the weights of epoch (\d+) \(val loss ([0-9.]+)\)", r.out)
        self.assertTrue(m, r.out)
        best = int(m.group(1))
        losses = [float(x) for x in re.findall(r"^epoch .*val loss ([0-9.]+)", r.out, re.M)]
        self.assertEqual(len(losses), best + 4)  # stopped 4 epochs after the best
        self.assertEqual(min(losses), losses[best - 1])
        # the weights kept are those of a run that ends at that epoch, bit for bit
        self.train("--optimizer", "adam", "--lr", "0.05", "--epochs", str(best), "--val-split",
                   "0.25", "--save", os.path.join(self.tmp, "short.st"), "--quiet")
        self.assertEqual(self.weights("best.st"), self.weights("short.st"))
        r = self.fails(2, "train", self.model, "--data", self.data, "--label", "species",
                       "--patience", "3")
        self.assertIn("needs --val-split", r.err)
        r = self.fails(2, "train", self.model, "--data", self.data, "--label", "species",
                       "--val-split", "1.5")
        self.assertIn("--val-split must be a fraction between 0 and 1", r.err)

    def test_quiet_prints_no_epoch_lines(self):
        r = self.train("--epochs", "3", "--quiet")
        self.assertNotIn("epoch 1/3", r.out)
        self.assertIn("trained 3 epochs", r.out)
