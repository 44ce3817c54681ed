"""mlp eval / grad / gradcheck / print: output formats, exit codes, errors."""
from mlptest import MlpTestCase, mlp

RES = "examples/seed/residual.mlp"
DESC = "examples/seed/descending.mlp"
SETS = ["--set", "x=[1,2,3]", "--set", "s=[0,1,0]"]


class Eval(MlpTestCase):
    def test_text(self):
        r = self.ok("eval", RES, *SETS)
        self.assertEqual(r.out, "y = [1.4639068864429279, 2.248543185456712, 2.863939649040839]\n"
                                "L = 6.20344093768217\n")

    def test_json(self):
        v = self.ok("eval", RES, *SETS, "--json").json()["values"]
        self.assertClose(v["L"], 6.20344093768217)
        self.assertEqual(len(v["y"]), 3)

    def test_descending_ties(self):
        self.assertEqual(self.ok("eval", DESC, "--set", "x=[5,4,3,2,1]").out, "y = 1\n")
        self.assertEqual(self.ok("eval", DESC, "--set", "x=[5,4,4,2,1]").out, "y = 0\n")

    def test_data_csv_with_header(self):
        data = self.write("d.csv", "x[0],x[1],x[2],x[3],x[4]\n5,4,3,2,1\n5,4,4,2,1\n1,2,3,4,5\n")
        r = self.ok("eval", DESC, "--data", data)
        self.assertEqual(r.out, "y\n1\n0\n0\n")

    def test_data_csv_without_header_and_set(self):
        data = self.write("d.csv", "1,2,3\n0,0,0\n")
        r = self.ok("eval", RES, "--data", data, "--set", "s=[0,1,0]")
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "y[0],y[1],y[2],L")
        self.assertTrue(lines[1].startswith("1.4639068864429279,"))
        self.assertEqual(len(lines), 3)
        j = self.ok("eval", RES, "--data", data, "--set", "s=[0,1,0]", "--json").json()
        self.assertEqual(len(j["values"]["y"]), 2)

    def test_f32(self):
        v = self.ok("eval", RES, *SETS, "--json", "--dtype", "f32").json()["values"]
        self.assertClose(v["L"], 6.20344093768217, 1e-6)

    def test_set_parameter(self):
        r = self.ok("eval", DESC, "--set", "x=[5,4,3,2,1]", "--set", "b2=-1")
        self.assertEqual(r.out, "y = 0\n")

    def test_errors(self):
        r = self.fails(2, "eval", RES, "--set", "x=[1,2]", "--set", "s=0")
        self.assertIn("--set x has shape [3] but the literal has shape [2] (2 values)", r.err)
        # the output y needs only x; the loss, which needs the target s, is left out
        r = self.ok("eval", RES, "--set", "x=[1,2,3]")
        self.assertTrue(r.out.startswith("y = [") and "L =" not in r.out, r)
        r = self.fails(2, "grad", RES, "--set", "x=[1,2,3]", "--wrt", "x")
        self.assertIn("input 's' has no value", r.err)
        r = self.fails(2, "eval", RES, "--bogus")
        self.assertIn("unknown option '--bogus'", r.err)
        r = self.fails(2, "eval")
        self.assertIn("missing MODEL", r.err)
        r = self.fails(2, "eval", "no/such/file.mlp")
        self.assertIn("no/such/file.mlp: error: cannot read model: No such file or directory",
                      r.err)
        r = self.fails(2, "eval", RES, *SETS, "--dtype", "f16")
        self.assertIn("--dtype must be f64 or f32", r.err)
        r = self.fails(2, "eval", RES, "--set", "h=[1,2]")
        self.assertIn("only inputs and parameters can be set", r.err)
        bad = self.write("bad.csv", "x[0],x[1],x[2],x[3],x[4]\n1,2,3,4,five\n")
        r = self.fails(2, "eval", DESC, "--data", bad)
        self.assertIn("bad.csv:2:9: error: 'five' is not a number", r.err)
        bad = self.write("cols.csv", "1,2,3\n")
        r = self.fails(2, "eval", DESC, "--data", bad)
        self.assertIn("has 3 columns, but the inputs not given by --set need 5", r.err)
        bad = self.write("hdr.csv", "x[0],x[1],x[9],x[3],x[4]\n1,2,3,4,5\n")
        r = self.fails(2, "eval", DESC, "--data", bad)
        self.assertIn("column 'x[9]' names no input element", r.err)

    def test_model_error_display(self):
        m = self.write("m.mlp", "input x[4]\nparam W1[2,3] = 0\nz = W1 @ x\noutput z\n")
        r = self.fails(2, "eval", m, "--set", "x=0")
        self.assertEqual(r.err, f"{m}:3:8: error: shape mismatch in 'W1 @ x': [2,3] @ [4] "
                                "(inner dimensions differ)\n  z = W1 @ x\n         ^\n")
        self.assertEqual(r.out, "")


class Grad(MlpTestCase):
    def test_text_and_json(self):
        r = self.ok("grad", RES, "--wrt", "x,W1", *SETS)
        self.assertTrue(r.out.startswith("L = 6.20344093768217\ndL/dx = [1.5737239549091389, "))
        j = self.ok("grad", RES, "--wrt", "x,W1", *SETS, "--json").json()
        self.assertEqual(j["loss"]["name"], "L")
        self.assertClose(j["loss"]["value"], 6.20344093768217)
        self.assertClose(j["grad"]["x"], [1.5737239549091389, 1.3233561428579292,
                                          2.7856948776698176])
        self.assertEqual(len(j["grad"]["W1"]), 2)
        self.assertEqual(len(j["grad"]["W1"][0]), 3)

    def test_batch_sums_parameter_gradients(self):
        data = self.write("d.csv", "x[0],x[1],x[2]\n1,2,3\n1,2,3\n")
        j = self.ok("grad", RES, "--wrt", "x,b1", "--data", data, "--set", "s=[0,1,0]",
                    "--json").json()
        one = self.ok("grad", RES, "--wrt", "x,b1", *SETS, "--json").json()
        self.assertClose(j["loss"]["value"], 2 * one["loss"]["value"])
        self.assertClose(j["grad"]["b1"], [2 * v for v in one["grad"]["b1"]])
        self.assertEqual(j["grad"]["x"], [one["grad"]["x"], one["grad"]["x"]])

    def test_errors(self):
        r = self.fails(2, "grad", RES, *SETS)
        self.assertIn("--wrt NAME[,NAME...] is required", r.err)
        r = self.fails(2, "grad", RES, "--wrt", "q", *SETS)
        self.assertIn("no value named 'q' in the model", r.err)
        r = self.fails(2, "grad", DESC, "--wrt", "x", "--set", "x=0")
        self.assertIn("has no loss statement", r.err)


class GradCheck(MlpTestCase):
    def test_residual_passes(self):
        r = self.ok("gradcheck", RES)
        self.assertIn("ok: every gradient agrees with finite differences", r.out)
        j = self.ok("gradcheck", RES, "--json").json()
        self.assertTrue(j["ok"])
        self.assertEqual(sorted(j["results"]), ["W1", "W2", "b1", "b2", "s", "x"])

    def test_kink_fails(self):
        # |x| near its kink: d/dx relu(x) - relu(-x) at x = 0 is 1 - 0 = 1 from the graph
        # (relu'(0) = 0), but the central difference sees slope 1 on both sides: 1 vs 1 agree;
        # step's derivative is 0 while the difference quotient across the jump is huge.
        m = self.write("k.mlp", "input x\nL = step(x)\nloss L\n")
        r = self.fails(1, "gradcheck", m, "--set", "x=0")
        self.assertIn("MISMATCH", r.out)

    def test_class_index_inputs(self):
        # N(0, 1) values are no class indices: the run fails, and gradcheck says why.
        r = self.fails(2, "gradcheck", "examples/train/tiny.mlp")
        self.assertRegex(r.err, r"^examples/train/tiny.mlp:14:5: error: sample 1: the class index "
                         r"given to softmax_xent is -?[0-9.e-]+, but it must be an integer from 0 "
                         r"to 2 \(the logits have 3 classes\)\n$")
        # With a valid label, the label itself is skipped: L is undefined off an integer.
        r = self.ok("gradcheck", "examples/train/tiny.mlp", "--set", "c=1", "--max-checks", "20")
        self.assertIn("c                   0/1  -           1 skipped: the loss is undefined "
                      "next to their values (class indices?)", r.out)
        j = self.ok("gradcheck", "examples/train/tiny.mlp", "--set", "c=1", "--max-checks", "20",
                    "--json").json()
        self.assertTrue(j["ok"])
        self.assertEqual(j["results"]["c"], {"checked": 0, "total": 1, "undefined": 1,
                                             "worst_error": None, "worst_index": 0, "ok": True})

    def test_no_loss(self):
        r = self.fails(2, "gradcheck", DESC)
        self.assertIn("has no `loss` statement", r.err)


class Print(MlpTestCase):
    def test_canonical(self):
        m = self.write("m.mlp", "input x[2]\nparam W[2,2]=[[1,0.10],[ 3,4 ]]\n"
                                "y=((W@x)+x)*2 # c\noutput y\n")
        self.assertEqual(self.ok("print", m).out, "input x[2]\nparam W[2,2] = [[1, 0.10], [3, 4]]\n"
                                                  "y = 2 * (W @ x + x)\noutput y\n")

    def test_values_flag(self):
        m = self.write("m.mlp", "param W[2] ~ ones\n")
        self.assertEqual(self.ok("print", m).out, "param W[2] ~ ones\n")
        self.assertEqual(self.ok("print", m, "--values").out, "param W[2] = [1, 1]\n")

    def test_roundtrip_seed_examples(self):
        for name in ["descending", "sigmoid-mlp", "relu-net", "residual"]:
            first = self.ok("print", f"examples/seed/{name}.mlp").out
            again = self.ok("print", self.write("p.mlp", first)).out
            self.assertEqual(first, again, name)


class Main(MlpTestCase):
    def test_help_and_unknown(self):
        self.assertIn("commands:", self.ok("--help").out)
        r = self.fails(2, "frobnicate")
        self.assertIn("unknown command 'frobnicate'", r.err)
        for cmd in ["eval", "grad", "gradcheck", "print"]:
            self.assertIn(f"usage: mlp {cmd}", self.ok(cmd, "--help").out)
        self.assertEqual(mlp().rc, 2)
