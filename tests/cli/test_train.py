"""mlp train and mlp eval --metrics: training output, log, plot, weights, errors."""
import json
import os
import pty
import struct
import subprocess
import xml.etree.ElementTree as ET

from mlptest import MLP, MlpTestCase, mlp

D = "tests/fixtures/data/"
TRAIN = D + "tiny-images.idx.gz," + D + "tiny-labels.idx.gz"
TEST = D + "tiny-test-images.idx," + D + "tiny-test-labels.idx"
FASHION = "/usr/share/datasets/fashion-mnist"

TINY = """input x[16]
input c
param W1[8,16] ~ he_uniform
param b1[8] = 0
param W2[NCLASS,8] ~ he_uniform
param b2[NCLASS] = 0
h = relu(W1 @ x + b1)
z = W2 @ h + b2
L = softmax_xent(z, c)
output z
loss L
"""

BINARY = """input x[2]
input t
param w[2] = 0
param b = 0
z = dot(w, x) + b
L = bce_logits(z, t)
output z
loss L
"""

LINEAR = """input x
input y
param a = 0
param b = 0
L = squared_error(a * x + b, y)
loss L
"""


def read_safetensors(path):
    """An independent reader of the published format: length, JSON header, data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        fmt = {"F32": "f", "F64": "d"}[info["dtype"]]
        count = (e - b) // struct.calcsize(fmt)
        out[name] = (info["shape"], list(struct.unpack("<%d%s" % (count, fmt), data[b:e])))
    return out


class Train(MlpTestCase):
    def model(self, text=TINY, classes=3):
        return self.write("m.mlp", text.replace("NCLASS", str(classes)))

    def train(self, *extra, model=None):
        return self.ok("train", model or self.model(), "--data", TRAIN, "--test-data", TEST,
                       "--epochs", 3, "--batch", 8, "--optimizer", "adam", "--lr", 0.05, *extra)

    def test_trains_logs_plots_and_saves(self):
        log, plot, w = (os.path.join(self.tmp, n) for n in ("l.csv", "p.svg", "w.safetensors"))
        r = self.train("--log", log, "--plot", plot, "--save", w)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 4, r)
        self.assertRegex(lines[0], r"^epoch 1/3  train loss \d+\.\d{4}  acc \d+\.\d\d%  "
                                   r"test loss \d+\.\d{4}  acc \d+\.\d\d%  \(\d+\.\d s\)$")
        self.assertIn("acc 100.00%  (", lines[2])
        self.assertRegex(lines[3], r"^trained 3 epochs in .* s \(\d+ samples/s\); weights saved to ")
        with open(log) as f:
            rows = f.read().splitlines()
        self.assertEqual(rows[0], "epoch,train_loss,train_acc,test_loss,test_acc,seconds")
        self.assertEqual(len(rows), 4)
        self.assertEqual(rows[3].split(",")[0], "3")
        self.assertEqual(rows[3].split(",")[4], "1")
        svg = ET.parse(plot).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        self.assertEqual(svg.tag, ns + "svg")
        self.assertEqual(len(svg.findall(f".//{ns}polyline")), 4)  # loss and accuracy, train and test
        self.assertEqual(len(svg.findall(f".//{ns}circle")), 12)
        tensors = read_safetensors(w)
        self.assertEqual(sorted(tensors), ["W1", "W2", "b1", "b2"])
        self.assertEqual(tensors["W1"][0], [8, 16])
        self.assertEqual(len(tensors["W2"][1]), 24)
        m = self.ok("eval", self.model(), "--weights", w, "--metrics", "--data", TEST)
        self.assertIn("accuracy 100.00%", m.out)
        self.assertIn("confusion matrix (rows: true class, columns: predicted)", m.out)
        j = self.ok("eval", self.model(), "--weights", w, "--metrics", "--data", TEST, "--json").json()
        self.assertEqual(j["samples"], 30)
        self.assertEqual(j["confusion"], [[10, 0, 0], [0, 10, 0], [0, 0, 10]])
        # An untrained model does worse: the weights made the difference.
        u = self.ok("eval", self.model(), "--metrics", "--data", TEST, "--json").json()
        self.assertLess(u["accuracy"], 1)

    def test_same_seed_same_weights(self):
        paths = [os.path.join(self.tmp, f"w{i}.safetensors") for i in range(3)]
        for p, seed in zip(paths, (4, 4, 5)):
            self.train("--seed", seed, "--save", p, "--save-dtype", "f64")
        blobs = [open(p, "rb").read() for p in paths]
        self.assertEqual(blobs[0], blobs[1])
        self.assertNotEqual(blobs[0], blobs[2])
        self.assertEqual(read_safetensors(paths[0])["b1"][0], [8])

    def test_csv_binary_classifier_and_json(self):
        r = self.ok("train", self.model(BINARY), "--data", D + "blobs.csv", "--label", "label",
                    "--epochs", 20, "--batch", 16, "--optimizer", "sgd", "--lr", 0.5,
                    "--momentum", 0.9, "--nesterov", "--schedule", "cosine", "--json")
        j = r.json()
        self.assertEqual(len(j["epochs"]), 20)
        self.assertGreaterEqual(j["epochs"][-1]["train_acc"], 0.95)
        self.assertIsNone(j["epochs"][-1]["test_loss"])
        self.assertAlmostEqual(j["epochs"][0]["lr"], 0.5)
        self.assertAlmostEqual(j["epochs"][10]["lr"], 0.25)

    def test_regression_has_no_accuracy(self):
        data = self.write("lin.csv", "x,y\n" + "".join(f"{i / 10},{3 * i / 10 - 1}\n" for i in range(20)))
        log = os.path.join(self.tmp, "l.csv")
        r = self.ok("train", self.model(LINEAR), "--data", data, "--label", "y", "--epochs", 200,
                    "--batch", 20, "--optimizer", "adam", "--lr", 0.05, "--log", log)
        self.assertNotIn("acc", r.out)
        last = open(log).read().splitlines()[-1].split(",")
        self.assertEqual((last[0], last[2], last[3], last[4]), ("200", "", "", ""))
        w = os.path.join(self.tmp, "w.safetensors")
        self.ok("train", self.model(LINEAR), "--data", data, "--label", "y", "--epochs", 300,
                "--batch", 20, "--optimizer", "adam", "--lr", 0.05, "--save", w)
        m = self.ok("eval", self.model(LINEAR), "--weights", w, "--metrics", "--data", data,
                    "--label", "y", "--json").json()
        self.assertLess(m["mse"], 1e-3)
        self.assertNotIn("accuracy", m)
        t = read_safetensors(w)
        self.assertAlmostEqual(t["a"][1][0], 3, delta=0.05)
        self.assertAlmostEqual(t["b"][1][0], -1, delta=0.05)

    def test_progress_bar_on_a_terminal_only(self):
        master, slave = pty.openpty()
        proc = subprocess.run([MLP, "train", self.model(), "--data", TRAIN, "--epochs", "2"],
                              stdout=subprocess.PIPE, stderr=slave, timeout=600)
        os.close(slave)
        bar = os.read(master, 65536).decode()
        os.close(master)
        self.assertEqual(proc.returncode, 0)
        self.assertRegex(bar, r"\repoch 1/2 \[[=> ]{24}] \d+/2  loss \d+\.\d{3}  .* samples/s  eta \d+:\d\d")
        self.assertNotIn("\r", proc.stdout.decode())  # stdout gets plain lines
        r = self.ok("train", self.model(), "--data", TRAIN, "--epochs", 1)  # not a terminal
        self.assertNotIn("eta", r.err + r.out)

    def test_errors_and_no_partial_outputs(self):
        w = os.path.join(self.tmp, "w.safetensors")
        log = os.path.join(self.tmp, "l.csv")
        r = self.fails(2, "train", self.model(classes=2), "--data", TRAIN, "--save", w, "--log", log)
        self.assertEqual(r.err, f"{D}tiny-labels.idx.gz: error: sample 3 has label 2, but the "
                                "model's softmax_xent has 2 classes (labels 0 to 1)\n")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["m.mlp"])
        r = self.fails(2, "train", self.model())
        self.assertIn("missing --data SPEC", r.err)
        r = self.fails(2, "train", self.model(), "--data", TRAIN, "--optimizer", "rmsprop")
        self.assertEqual(r.err, "mlp train: unknown optimizer 'rmsprop' (use sgd, adam, adamw)\n"
                                "(see 'mlp train --help')\n")
        r = self.fails(2, "train", self.model(), "--data", TRAIN, "--lr", "fast")
        self.assertIn("--lr must be a finite number, got 'fast'", r.err)
        r = self.fails(2, "train", self.model(), "--data", TRAIN, "--save", "/no/such/dir/w.st")
        self.assertIn("/no/such/dir/w.st: error: cannot create a file beside it", r.err)
        bad = self.write("bad.idx", b"\x00\x00\x08\x01\x00\x00\x00\x05abc")
        r = self.fails(2, "train", self.model(), "--data", bad + "," + D + "tiny-labels.idx.gz")
        self.assertEqual(r.err, f"{bad}: error: the header's sizes 5 need 5 bytes of unsigned "
                                "bytes, but 3 bytes follow the header (truncated)\n")
        r = self.fails(2, "train", self.model(), "--data", D + "blobs.csv", "--label", "label")
        self.assertIn("input 'x' has 16 elements, but the data has 2 features per sample", r.err)
        r = self.fails(2, "eval", self.model(), "--metrics", "--data", TEST, "--weights",
                       "tests/fixtures/weights/fixture.safetensors")
        self.assertIn("tensor 'W' names no parameter of the model", r.err)
        r = self.fails(2, "train", self.model(), "--data", TRAIN, "--label", "c")
        self.assertIn("--label and --features name CSV columns, but '" + TRAIN + "' is not a .csv", r.err)
        r = self.fails(2, "eval", self.model(), "--metrics")
        self.assertIn("--metrics needs --data SPEC", r.err)

    def test_weights_npy_and_safetensors_in_eval(self):
        fx = "tests/fixtures/weights/"
        r = self.ok("eval", fx + "fixture.mlp", "--weights", fx + "fixture.safetensors",
                    "--set", "x=[1, 0, 0]")
        f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]  # b is stored as F32
        self.assertEqual(r.out, f"y = [{3.25 * (0.5 + f32(0.1))!r}, {3.25 * (3 + f32(-0.2))!r}]\n")
        r = self.ok("eval", fx + "fixture.mlp", "--weights", fx + "fixture.safetensors",
                    "--weights", "W=" + fx + "W.npy", "--set", "x=[0, 1, 0]", "--json")
        self.assertAlmostEqual(r.json()["values"]["y"][0], 3.25 * (-1.25 + 0.1), places=6)

    def test_fashion_mnist_is_a_built_in_name(self):
        if not os.path.exists(FASHION):
            self.skipTest("dataset-fashion-mnist is not installed")
        r = self.ok("eval", "examples/fashion/mlp.mlp", "--metrics", "--data", "fashion-mnist:test",
                    "--json")
        j = r.json()
        self.assertEqual(j["samples"], 10000)
        self.assertEqual(sum(map(sum, j["confusion"])), 10000)
        self.assertEqual([sum(row) for row in j["confusion"]], [1000] * 10)


class Examples(MlpTestCase):
    def test_train_xor_example_learns_xor(self):
        exe = os.path.join(os.environ.get("BUILD", "build/release"), "examples", "train_xor")
        proc = subprocess.run([exe], capture_output=True, text=True, timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertTrue(proc.stdout.endswith("4 of 4 right\n"), proc.stdout)
