"""Hostile use around the parsers: training that goes wrong, output files that are not plain
files, outputs that name inputs, signals, numbers out of range, resources. Every case checks the
exact exit status, the exact message, and that no file was created, replaced or left behind.
Private device nodes made with mknod in the test's folder stand in for /dev/null and /dev/full
(the real ones are never touched)."""
import json
import os
import random
import signal
import stat
import struct
import subprocess
import threading
import time
import unittest

from mlptest import MLP, MlpTestCase, mlp

LINEAR = "input x\ninput y\nparam w = 0.5\nL = squared_error(w * x, y)\nloss L\n"
UNUSED = "input x\ninput y\nparam w = 0.5\nparam u = 1\nparam v = 2\n" \
         "L = squared_error(w * x + 0 * v, y)\nloss L\n"
CLASSES = "input x\ninput c\nparam W[3] = [1, 2, 3]\nz = W * x\nL = softmax_xent(z, c + 2)\nloss L\n"
DATA = "x,y\n1,2\n2,4\n3,6\n"
SEE = "(see 'mlp {cmd} --help')\n"
ROOT = os.geteuid() == 0


def usage(cmd, message):
    return f"mlp {cmd}: {message}\n" + SEE.format(cmd=cmd)


def read_safetensors(path):
    """{name: first value} of a float32 safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    return {k: struct.unpack("<f", data[8 + n + v["data_offsets"][0]:][:4])[0]
            for k, v in header.items() if k != "__metadata__"}


class Files(MlpTestCase):
    """Helpers: a model and data in the temporary folder, and a listing of what is there."""

    def setUp(self):
        super().setUp()
        self.m = self.write("m.mlp", LINEAR)
        self.d = self.write("d.csv", DATA)

    def train(self, *args, model=None):
        return mlp("train", model or self.m, "--data", self.d, "--label", "y", "--epochs", "2",
                   *args)

    def listing(self):
        return sorted(os.listdir(self.tmp))

    def contents(self):
        out = {}
        for f in self.listing():
            p = os.path.join(self.tmp, f)
            if stat.S_ISREG(os.lstat(p).st_mode):
                with open(p, "rb") as fh:
                    out[f] = fh.read()
        return out

    def node(self, name, minor):
        """A character device like /dev/null (minor 3) or /dev/full (minor 7), private to us."""
        path = os.path.join(self.tmp, name)
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        return path


class Training(Files):
    def test_unused_parameter_warns_once_and_trains(self):
        m = self.write("u.mlp", UNUSED)
        w = os.path.join(self.tmp, "w.safetensors")
        r = self.train("--save", w, model=m)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "warning: parameter 'u' does not affect the loss\n"
                                "warning: parameter 'v' does not affect the loss\n")
        self.assertEqual(r.out.count("epoch "), 2)
        values = read_safetensors(w)
        self.assertEqual((values["u"], values["v"]), (1.0, 2.0))  # never updated
        self.assertNotEqual(values["w"], 0.5)

    def test_divergence_stops_and_saves_nothing(self):
        w = self.write("w.safetensors", b"old weights")
        r = mlp("train", self.m, "--data", self.d, "--label", "y", "--epochs", "1000", "--lr", "10",
                "--save", w, "--quiet")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "error: training diverged: the training loss became infinite at "
                                "epoch 13, step 1 of 1; try a smaller learning rate (it is 10)\n")
        self.assertEqual(open(w, "rb").read(), b"old weights")
        self.assertEqual(self.listing(), ["d.csv", "m.mlp", "w.safetensors"])

    def test_class_index_computed_out_of_range(self):
        m = self.write("c.mlp", CLASSES)
        d = self.write("c.csv", "x,c\n1,0\n2,1\n")
        msg = f"{m}:5:5: error: sample 2: the class index given to softmax_xent is 3, but it " \
              "must be an integer from 0 to 2 (the logits have 3 classes)\n"
        for args in (["eval", m, "--data", d], ["eval", m, "--data", d, "--metrics", "--label", "c"],
                     ["train", m, "--data", d, "--label", "c", "--quiet"]):
            with self.subTest(args[0]):
                r = mlp(*args)
                self.assertEqual((r.rc, r.out, r.err), (2, "", msg))
        r = mlp("eval", m, "--set", "x=1", "--set", "c=1e30")
        self.assertEqual(r.err, msg.replace("sample 2", "sample 1").replace("is 3", "is 1e+30"))

    def test_optimizer_settings(self):
        cases = [
            (["--lr", "-1"], "the learning rate must be a finite number of at least 0, got -1"),
            (["--lr", "0x1p3"], "--lr must be a finite number, got '0x1p3'"),
            (["--lr", " 1"], "--lr must be a finite number, got ' 1'"),
            (["--lr", "infinity"], "--lr must be a finite number, got 'infinity'"),
            (["--beta1", "1"], "beta1 must be at least 0 and below 1, got 1"),
            (["--beta2", "-0.5"], "beta2 must be at least 0 and below 1, got -0.5"),
            (["--eps", "0"], "eps must be a finite number above 0, got 0"),
            (["--momentum", "-0.1"], "momentum must be a finite number of at least 0, got -0.1"),
            (["--weight-decay", "-1"], "weight decay must be a finite number of at least 0, got -1"),
            (["--min-lr", "-1"], "the schedule's minimum learning rate must be a finite number of "
                                 "at least 0, got -1"),
            (["--gamma", "0"], "the step schedule's gamma must be a finite number above 0, got 0"),
        ]
        for args, message in cases:
            with self.subTest(args):
                r = self.train(*args, "--save", os.path.join(self.tmp, "w.st"))
                self.assertEqual((r.rc, r.out, r.err), (2, "", usage("train", message)))
                self.assertEqual(self.listing(), ["d.csv", "m.mlp"])
        r = self.train("--lr", "0", "--quiet")  # as torch.optim allows
        self.assertEqual(r.rc, 0, r)

    def test_csv_value_outside_float32(self):
        d = self.write("big.csv", "x,y\n1,2\n2,1e39\n")
        r = mlp("train", self.m, "--data", d, "--label", "y")
        self.assertEqual((r.rc, r.out), (2, ""))
        self.assertEqual(r.err, f"{d}: error: data row 2, column 2 ('y'): 1e+39 is outside "
                                "float32's range (magnitudes up to 3.4028235e38)\n")

    def test_random_models_through_the_cli(self):
        """The same path as a user's `mlp train`: random layers, unused parameters, losses."""
        rng = random.Random(7)
        acts = ["relu", "sigmoid", "tanh", "identity", "step"]
        for k in range(25):
            n = rng.randint(1, 3)
            uses = [rng.choice(["", "0 * ", None]) for _ in range(n)]
            text = "input x\ninput y\nparam w ~ normal(0, 1)\n" + \
                   "".join(f"param u{i} = 1\n" for i in range(n)) + \
                   f"h = {rng.choice(acts)}(w * x)\nz = h" + \
                   "".join(f" + {u}u{i}" for i, u in enumerate(uses) if u is not None) + \
                   "\nL = squared_error(z, y)\nloss L\n"
            m = self.write(f"r{k}.mlp", text)
            r = self.train("--lr", rng.choice(["0.01", "1e3", "1e30"]), "--quiet", model=m)
            with self.subTest(text=text):
                self.assertIn(r.rc, (0, 1), r)
                self.assertNotIn("Segmentation", r.err)
                for i, u in enumerate(uses):
                    self.assertEqual(f"parameter 'u{i}' does not affect" in r.err, u != "", r)


class Outputs(Files):
    def test_dash_is_stdout(self):
        r = self.train("--log", "-", "--quiet")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.out.startswith("epoch,train_loss,train_acc,test_loss,test_acc,seconds\n1,"), r)
        self.assertIn("trained 2 epochs", r.err)  # the human lines move to stderr
        r = mlp("convert", "examples/seed/sigmoid-mlp.mlp", "--activation", "sigmoid=tanh", "-o", "-")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("tanh", r.out)
        self.assertEqual(self.listing(), ["d.csv", "m.mlp"])

    @unittest.skipUnless(ROOT, "mknod needs root")
    def test_devices_are_written_through(self):
        null = self.node("null", 3)
        r = self.train("--save", null, "--log", null, "--plot", null, "--quiet")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(stat.S_ISCHR(os.lstat(null).st_mode))
        self.assertEqual(self.listing(), ["d.csv", "m.mlp", "null"])
        full = self.node("full", 7)
        r = self.train("--save", full, "--quiet")
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.err, f"{full}: error: write failed: No space left on device\n")
        self.assertTrue(stat.S_ISCHR(os.lstat(full).st_mode))
        self.assertEqual(self.listing(), ["d.csv", "full", "m.mlp", "null"])

    def test_fifo_is_written_through(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
        reader.start()
        r = self.train("--log", fifo, "--quiet")
        reader.join(10)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(got and got[0].startswith(b"epoch,train_loss"), got)
        self.assertEqual(got[0].count(b"\n"), 3)  # written once, at the end: header and 2 epochs
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_symlink_is_followed_and_mode_kept(self):
        os.mkdir(os.path.join(self.tmp, "sub"))
        target = self.write("sub/w.st", "old")
        os.chmod(target, 0o640)
        link = os.path.join(self.tmp, "link.st")
        os.symlink("sub/w.st", link)
        r = self.train("--save", link, "--quiet")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.islink(link))
        self.assertEqual(os.readlink(link), "sub/w.st")
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o640)
        self.assertNotEqual(open(target, "rb").read(), b"old")
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "sub"))), ["w.st"])

    def test_output_that_is_an_input(self):
        link = os.path.join(self.tmp, "alias.mlp")
        os.symlink("m.mlp", link)
        log = os.path.join(self.tmp, "l.csv")
        cases = [
            (["--save", self.m], f"--save {self.m} is the same file as the model {self.m}: an "
                                 "output must not replace an input"),
            (["--save", link], f"--save {link} is the same file as the model {self.m}: an output "
                               "must not replace an input"),
            (["--log", self.d], f"--log {self.d} is the same file as --data {self.d}: an output "
                                "must not replace an input"),
            (["--log", log, "--plot", log], f"--log {log} and --plot {log} are the same file"),
            (["--save", self.tmp], f"--save {self.tmp}: is a directory"),
            # two outputs on one stdout: the JSON report and the weights' bytes interleaved
            (["--json", "--save", "-"], "--save - and --json both write to stdout; name a file "
                                        "for one of them"),
            (["--log", "-", "--plot", "-"], "--log - and --plot - both write to stdout; name a "
                                            "file for one of them"),
            (["--save", "-", "--log", "/dev/stdout"], "--save - and --log /dev/stdout both write "
                                                      "to stdout; name a file for one of them"),
        ]
        before = self.contents()
        for args, message in cases:
            with self.subTest(args):
                r = self.train(*args)
                self.assertEqual((r.rc, r.out, r.err), (2, "", usage("train", message)))
                self.assertEqual(self.contents(), before)
                self.assertEqual(self.listing(), ["alias.mlp", "d.csv", "m.mlp"])
        r = mlp("convert", self.m, "--activation", "sigmoid=tanh", "-o", self.m)
        self.assertEqual(r.err, usage("convert", f"-o {self.m} is the same file as the model "
                                                 f"{self.m}: an output must not replace an input"))

    def test_interrupts_leave_no_temporaries(self):
        """SIGINT or SIGTERM after a random delay, 20 times: no temporary file remains, every
        output is either as it was or complete, and the status is 130 or 143."""
        self.write("big.csv", "x,y\n" + "".join(f"{i % 7},{2 * (i % 7)}\n" for i in range(2000)))
        old = {"l.csv": b"old log", "p.svg": b"old plot", "w.st": b"old weights"}
        for name, data in old.items():
            self.write(name, data)
        rng = random.Random(1)
        for k in range(20):
            p = subprocess.Popen([MLP, "train", self.m, "--data", os.path.join(self.tmp, "big.csv"),
                                  "--label", "y", "--epochs", "100000", "--batch", "1", "--lr", "0.001",
                                  "--log", os.path.join(self.tmp, "l.csv"),
                                  "--plot", os.path.join(self.tmp, "p.svg"),
                                  "--save", os.path.join(self.tmp, "w.st")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 preexec_fn=default_signals)
            time.sleep(rng.uniform(0.05, 0.4))  # after the handlers are installed
            sig = signal.SIGINT if k % 2 == 0 else signal.SIGTERM
            p.send_signal(sig)
            self.assertEqual(p.wait(30), 128 + sig)
            self.assertEqual(self.listing(), ["big.csv", "d.csv", "l.csv", "m.mlp", "p.svg", "w.st"])
            files = self.contents()
            self.assertEqual(files["w.st"], old["w.st"])  # saved only after training
            self.assertTrue(files["l.csv"] == old["l.csv"] or
                            files["l.csv"].startswith(b"epoch,") and files["l.csv"].endswith(b"\n"))
            self.assertTrue(files["p.svg"] == old["p.svg"] or files["p.svg"].endswith(b"</svg>\n"))


def default_signals():
    """In the child: SIGINT and SIGTERM at their default action. mlp keeps a signal that its
    parent ignores ignored (nohup, a background job of a script); a test run started that way
    must still see mlp's own handlers."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Resources(Files):
    def test_endless_inputs(self):
        r = mlp("eval", "/dev/zero")  # reading /dev/zero is harmless; it is never written
        self.assertEqual((r.rc, r.out), (2, ""))
        self.assertEqual(r.err, "/dev/zero:1:1: error: the file contains a NUL byte (not a text file?)\n")
        # An endless pipe (`yes`): an error at the limit, not a machine out of memory.
        p = subprocess.run(f"yes '# an endless comment' | {MLP} eval /dev/stdin --max-memory 4M",
                           shell=True, capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (2, ""))
        self.assertEqual(p.stderr, "/dev/stdin: error: cannot read model: larger than 1048576 bytes, "
                                   "the limit for a text input (1 GiB, and a quarter of the memory "
                                   "available; see --max-memory)\n")

    def test_plan_beyond_max_memory(self):
        r = mlp("eval", "examples/seed/residual.mlp", "--set", "x=1", "--set", "s=0", "--max-memory", "100")
        self.assertEqual((r.rc, r.out), (2, ""))
        self.assertRegex(r.err, r"^error: out of memory: the plan needs [0-9]+ bytes for batches of 1, "
                                r"more than the 100 available \(MemAvailable, or --max-memory\)\n$")

    def test_weights_fifo_without_writer(self):
        fifo = os.path.join(self.tmp, "w.safetensors")
        os.mkfifo(fifo)
        p = subprocess.run([MLP, "eval", "examples/seed/residual.mlp", "--set", "x=1", "--set", "s=0",
                            "--weights", fifo], capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (2, ""))
        self.assertEqual(p.stderr, f"{fifo}: error: cannot read: not a regular file (a weights file "
                                   "is read whole)\n")

    def test_long_output_name_and_names_with_equals(self):
        out = os.path.join(self.tmp, "o" * 250)  # legal; NAME.tmp.XXXXXX would not be
        r = mlp("print", self.m, "-o", out)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(open(out).read(), mlp("print", self.m).out)
        self.assertEqual(self.listing(), ["d.csv", "m.mlp", "o" * 250])
        w = os.path.join(self.tmp, "w=1.safetensors")  # a file of that name: not NAME=FILE
        self.assertEqual(self.train("--save", w, "--quiet").rc, 0)
        r = mlp("eval", self.m, "--weights", w, "--set", "x=1", "--set", "y=0")
        self.assertEqual(r.rc, 0, r)

    def test_log_and_plot_cost_linear_time(self):
        def run(*extra):
            t = time.monotonic()
            r = mlp("train", self.m, "--data", self.d, "--label", "y", "--epochs", "4000", "--quiet",
                    *extra)
            self.assertEqual(r.rc, 0, r)
            return time.monotonic() - t
        plain = run()
        logged = run("--log", os.path.join(self.tmp, "l.csv"), "--plot", os.path.join(self.tmp, "p.svg"))
        self.assertLess(logged, 2 * plain + 1.0)  # quadratic before: 190 s against 0.1 s
        self.assertEqual(open(os.path.join(self.tmp, "l.csv")).read().count("\n"), 4001)

    # A cost guard (linear, not quadratic) that also runs under ASan: zeros and derive walk the
    # chain with explicit stacks, so 100,000 statements cannot overflow the thread's stack.
    def test_long_chains_in_seconds(self):
        n = 100000
        text = "input x\nparam w = 1\nh0 = w * x\n" + \
               "".join(f"h{i} = relu(h{i - 1}) * 2\n" for i in range(1, n)) + f"L = h{n - 1}\nloss L\n"
        m = self.write("chain.mlp", text)
        for args in (["derive", m, "--wrt", "w"], ["zeros", m]):
            with self.subTest(args[0]):
                t = time.monotonic()
                r = mlp(*args)
                self.assertEqual(r.rc, 0, r)
                self.assertLess(time.monotonic() - t, 60)  # over two minutes before


if __name__ == "__main__":
    unittest.main()
