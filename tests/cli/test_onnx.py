"""ONNX import: PyTorch exports (tests/reference/gen_onnx.py) and hostile files."""
import glob
import json
import os

from mlptest import MlpTestCase, mlp

FIX = "tests/fixtures/onnx"


def load_case(name):
    with open(os.path.join(FIX, name + ".json")) as f:
        case = json.load(f)
    to_f = lambda rows: [[float(v) for v in row] for row in rows]  # noqa: E731
    return case["dtype"], to_f(case["x"]), to_f(case["y"])


def csv(X):
    # no header: the columns are the input x flattened (a header cannot name x[i,j] columns)
    return "".join(",".join(repr(v) for v in row) + "\n" for row in X)


class TorchExports(MlpTestCase):
    def check(self, name, dtypes):
        dtype, X, want = load_case(name)
        data = self.write("x.csv", csv(X))
        for opset in (9, 13, 17):
            path = os.path.join(FIX, f"{name}-opset{opset}.onnx")
            for mlp_dtype, tol in dtypes:
                r = self.ok("eval", path, "--data", data, "--json", "--dtype", mlp_dtype)
                got = r.json()["values"]["y"]
                for g, w in zip(got, want):
                    for a, b in zip(g, w):
                        self.assertLessEqual(abs(a - b), tol * abs(b) + tol * 1e-3,
                                             f"{path} {mlp_dtype}: {g} vs {w}")

    # float32 exports: mlp in float64 and in float32 agree with PyTorch's float32 to 1e-6
    F32 = [("f64", 1e-6), ("f32", 1e-6)]

    def test_relu_softmax(self):
        self.check("relu_softmax", self.F32)

    def test_tanh_sigmoid(self):
        self.check("tanh_sigmoid", self.F32)

    def test_residual(self):
        self.check("residual", self.F32)

    def needs_op(self, name, op):
        """Skip where this build lacks an op of the op-table work (the import says so)."""
        r = mlp("import", os.path.join(FIX, f"{name}-opset13.onnx"))
        if r.rc and (f"has no '{op}' op" in r.err or f"has no {op}" in r.err):
            self.skipTest(f"this build has no {op}")

    def test_leaky_relu(self):
        self.needs_op("leaky_relu", "leaky_relu")
        self.check("leaky_relu", self.F32)

    def test_dropout_batchnorm_gelu(self):
        self.needs_op("dropout_bn_gelu", "gelu")
        self.check("dropout_bn_gelu", self.F32)
        text = self.ok("import", os.path.join(FIX, "dropout_bn_gelu-opset17.onnx")).out
        self.assertIn(" = gelu(", text)  # the Erf pattern is one op

    def test_many_ops(self):
        # Softplus, Elu, Clip (hardtanh; relu6 as Relu then Clip), Abs, Sqrt, Max, Min, Concat
        self.needs_op("many_ops", "softplus")
        self.check("many_ops", self.F32)

    def test_view_flatten(self):
        # x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat of constants, then Reshape
        self.check("view_flatten", self.F32)

    def test_float64(self):
        self.check("relu_float64", [("f64", 1e-12)])

    def test_readable_import(self):
        r = self.ok("import", os.path.join(FIX, "residual-opset13.onnx"))
        lines = [l for l in r.out.splitlines() if not l.startswith("param")]
        self.assertEqual(lines, ["input x[3]",
                                 "Sigmoid_output_0 = sigmoid(l1_weight @ x + l1_bias)",
                                 "y = x + (l2_weight @ Sigmoid_output_0 + l2_bias)",
                                 "output y"])
        # the import is a model file that reads back to the same function
        out = self.write("r.mlp", r.out)
        self.ok("equiv", out, os.path.join(FIX, "residual-opset13.onnx"))

    def test_float32_initializers_are_exact(self):
        # a float32 is a double exactly: the printed params parse back to the same float32s
        import struct
        r = self.ok("import", os.path.join(FIX, "tanh_sigmoid-opset17.onnx"))
        for line in r.out.splitlines():
            if line.startswith("param"):
                for tok in line.split("=", 1)[1].replace("[", " ").replace("]", " ").split(","):
                    v = float(tok)
                    self.assertEqual(struct.unpack("f", struct.pack("f", v))[0], v, line[:40])


class Hostile(MlpTestCase):
    def onnx_bytes(self):
        with open(os.path.join(FIX, "residual-opset13.onnx"), "rb") as f:
            return f.read()

    def test_truncated_anywhere(self):
        data = self.onnx_bytes()
        # every 7th prefix through the CLI (all of them run in the unit tests and the fuzz corpus)
        for n in range(1, len(data), 7):
            path = self.write("t.onnx", data[:n])
            r = self.fails(2, "eval", path, "--set", "x=1")
            self.assertTrue(r.err.startswith(path + ": error: "), r.err)
            self.assertEqual(r.err.count("\n"), 1, r.err)

    def test_messages(self):
        base = self.onnx_bytes()
        cases = [
            (b"\x08\x08\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
             "at byte 2: field 7 claims 18446744073709551615 bytes, but only 0 are left"),
            (b"\x08\x08\x3a\x80\x80", "at byte 3: the data ends inside a varint"),
            (b"\x08\x08\x3b", "at byte 2: field 7 has wire type 3 (a group)"),
            (b"\x08\x08\x39\x00\x00\x00\x00\x00\x00\x00\x00",
             "at byte 2: ModelProto.graph (field 7) should be a length-delimited value, but is "
             "8 bytes"),
            (b"\x08\x08", "not an ONNX model: no graph"),
            (b"\x08\x63\x3a\x00", "ONNX IR version 99: mlp reads IR versions 3 to 10"),
        ]
        for data, want in cases:
            path = self.write("h.onnx", data)
            r = self.fails(2, "print", path)
            self.assertIn(want, r.err)
            self.assertEqual(r.out, "")

    def test_unknown_op_names_node_op_and_list(self):
        data = self.onnx_bytes().replace(b"Sigmoid", b"Sinuous")
        path = self.write("u.onnx", data)
        r = self.fails(2, "eval", path, "--set", "x=1")
        self.assertIn("node '/Sinuous' (Sinuous, at byte", r.err)
        self.assertIn("unsupported op; mlp imports Abs, Add, ", r.err)
        self.assertIn("Relu", r.err)

    def test_cycle_and_use_before_definition(self):
        # rename the first node's input to the last node's output: a cycle
        data = self.onnx_bytes()
        path = self.write("c.onnx", data.replace(b"\n\x01x", b"\n\x01y", 1))
        r = self.fails(2, "eval", path, "--set", "x=1")
        self.assertIn("input 'y' is not defined by an earlier node", r.err)

    def test_huge_dims(self):
        # a tensor declaring 2^41 elements without the data: refused before allocating
        import struct
        tensor = b"\x08\x80\x80\x80\x80\x80\x40" + b"\x10\x01" + b"\x42\x01W"
        graph = b"\x2a" + bytes([len(tensor)]) + tensor
        data = b"\x08\x08\x3a" + bytes([len(graph)]) + graph
        path = self.write("d.onnx", data)
        r = self.fails(2, "print", path)
        self.assertIn("tensor dimensions are too large", r.err)
        del struct
