"""The 45 ACAS Xu networks: the .onnx and .nnet copies import as the same function."""
import glob
import os
import random
import struct

from mlptest import MlpTestCase, params

ACAS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "benchmarks", "acasxu")


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def flat(v):
    return [x for row in v for x in flat(row)] if isinstance(v, list) else [v]


class AcasXu(MlpTestCase):
    def pairs(self):
        nets = sorted(glob.glob(os.path.join(ACAS, "onnx", "*.onnx")))
        if len(nets) != 45:
            self.skipTest("the ACAS Xu networks are not in ../shared")
        return [(n, n.replace("/onnx/", "/nnet/")[:-5] + ".nnet") for n in nets]

    def eval_rows(self, path, name, X):
        data = self.write("x.csv", ",".join(f"{name}[{i}]" for i in range(5)) + "\n" +
                          "".join(",".join(repr(v) for v in r) + "\n" for r in X))
        values = self.ok("eval", path, "--data", data, "--json").json()["values"]
        self.assertEqual(len(values), 1)
        return next(iter(values.values()))

    def test_weights_are_the_float32_of_the_decimals(self):
        """Every ONNX initializer is exactly float32 of the .nnet decimal (W transposed); on
        every fifth network, to keep the test quick (the function test below covers all)."""
        for onnx, nnet in self.pairs()[::5]:
            po = list(params(self.ok("import", onnx).out).items())
            pn = params(self.ok("import", nnet).out)
            po = [(k, v) for k, v in po if k != "input_AvgImg"]  # zeros subtracted from x
            self.assertEqual(len(po), len(pn), onnx)
            for layer, ((name, ov), nv) in enumerate(zip(po, pn.values())):
                if isinstance(nv[0], list):  # .nnet rows are neurons, ONNX columns are
                    nv = [list(c) for c in zip(*nv)]
                self.assertEqual(flat(ov), [f32(x) for x in flat(nv)], f"{onnx} {name}")

    def test_same_function_on_1000_inputs(self):
        rng = random.Random(45)
        worst = 0.0
        for onnx, nnet in self.pairs():
            X = [[rng.uniform(-0.5, 0.5) for _ in range(5)] for _ in range(1000)]
            a = self.eval_rows(onnx, "input_2", X)
            b = self.eval_rows(nnet, "x", X)
            scale = max(abs(v) for row in b for v in row)
            diff = max(abs(p - q) for ra, rb in zip(a, b) for p, q in zip(ra, rb))
            worst = max(worst, diff / scale)
            # rounding the weights to float32 (relative 6e-8 each) moves the outputs by less
            # than this over seven layers of 50; the exact correspondence is checked above
            self.assertLess(diff, 1e-5 * scale, onnx)
        print(f"\nACAS Xu: 45 networks x 1000 inputs, .onnx vs .nnet: largest difference "
              f"{worst:.2e} of the output scale")
