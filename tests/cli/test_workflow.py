"""One trained model, every command: --weights on each subcommand, print --values round trips."""
import json
import os
import struct

from mlptest import MlpTestCase, mlp

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
