"""Every subcommand reads ONNX and .nnet files where it reads a model (recognised by content)."""
from mlptest import MlpTestCase

ONNX = "tests/fixtures/onnx/residual-opset13.onnx"
RELU = "tests/fixtures/onnx/relu_float64-opset9.onnx"
NNET = "tests/fuzz/corpus/nnet/tiny.nnet"


class Formats(MlpTestCase):
    def test_commands_read_onnx_and_nnet(self):
        self.assertEqual(self.ok("eval", ONNX, "--set", "x=[1, 2, 3]").out.count("y = ["), 1)
        self.assertEqual(self.ok("eval", NNET, "--set", "x=[1, 2]").out, "y = [10.25]\n")
        self.assertIn("input x[3]", self.ok("print", ONNX).out)
        self.assertIn("graph LR", self.ok("draw", NNET, "--format", "mermaid").out)
        self.assertIn("= tanh(", self.ok("convert", ONNX, "--activation", "sigmoid=tanh").out)
        self.assertIn("equivalent", self.ok("equiv", ONNX, "tests/fixtures/onnx/residual-opset9.onnx").out)
        self.assertTrue(self.ok("verify", NNET, "--bounds", "x in [0, 1]", "--spec", "y >= -10").out
                        .startswith("holds"))
        self.assertTrue(self.ok("verify", RELU, "--bounds", "x in [-1, 1]", "--spec",
                                "y[0] <= 2").out.startswith("holds"))
        # the commands that differentiate the loss read the file and say it has none
        for cmd in (["grad", "--wrt", "x", "--set", "x=1"], ["derive", "--wrt", "x"],
                    ["zeros", "--assume", "x[0] < 0"]):
            r = self.fails(2, cmd[0], ONNX, *cmd[1:])
            self.assertIn("has no loss statement", r.err)

    def test_recognised_by_content(self):
        # the same bytes under names that say nothing
        onnx = self.write("model.bin", open(ONNX, "rb").read())
        nnet = self.write("model.txt", open(NNET).read())
        self.assertIn("input x[3]", self.ok("print", onnx).out)
        self.assertIn("input x[2]", self.ok("print", nnet).out)
        mlp = self.write("model.onnx.mlp", "input x\ny = 2 * x\noutput y\n")
        self.assertEqual(self.ok("eval", mlp, "--set", "x=2").out, "y = 4\n")
