#!/usr/bin/python3
"""Run the ONNX project's own node tests (Debian libonnx-testdata) through mlp.

For every test whose model uses only ops mlp imports: each test input but the first becomes an
initializer (mlp's inputs are batched: the first dimension of a graph input is the batch), the
model is evaluated by `mlp eval` on the first input's rows, and every output is compared with
the test's expected output (float64 evaluation; |got - want| <= 1e-5 * |want| + 1e-6). When mlp
refuses that form (say, the op acts along the batch dimension), the test runs again with every
input an initializer, which evaluates the ops on the whole tensors. A refusal of both is
reported with mlp's message; a wrong number is a failure.

Usage: onnx_node_tests.py MLP OPS   (OPS: the comma-separated list mlp imports)
Prints one line per test ("pass NAME [batched|constant]", "refused NAME: message",
"FAIL NAME: ...") and a summary; exits 1 on a failure.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def mlp(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True)


def model_form(model, inputs, batched):
    """The model with the graph inputs after the first (or all) as initializers."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = 1 if batched else 0
    names = [i.name for i in m.graph.input][:len(inputs)]
    for name, value in list(zip(names, inputs))[keep:]:
        m.graph.initializer.append(numpy_helper.from_array(value, name))
    del m.graph.input[keep:]
    return m


def run(binary, tmp, model, inputs, outputs, batched):
    path = os.path.join(tmp, "m.onnx")
    onnx.save(model_form(model, inputs, batched), path)
    text = mlp(binary, "import", path)
    if text.returncode:
        return None, text.stderr.strip()
    args = ["eval", path, "--json"]
    if batched:
        x = inputs[0]
        if x.ndim < 1 or x.dtype.kind != "f":
            return None, "the first input is not a batch of float tensors"
        # no header: the columns are the model's one input, flattened (a header x[i,j] would
        # need a comma inside a column name)
        per = x.reshape(x.shape[0], -1)
        csv = os.path.join(tmp, "x.csv")
        with open(csv, "w") as f:
            for row in per:
                f.write(",".join(repr(float(v)) for v in row) + "\n")
        args += ["--data", csv]
    r = mlp(binary, *args)
    if r.returncode:
        return None, r.stderr.strip()
    values = json.loads(r.stdout)["values"]
    outs = [l for l in text.stdout.splitlines() if l.startswith("output ")][0][7:].split(", ")
    return [np.array(values[o], dtype=np.float64) for o in outs], None


def compare(got, want, batched):
    for g, w in zip(got, want):
        w = np.asarray(w, dtype=np.float64)
        if g.size != w.size:
            return f"{g.size} values, expected {w.size}"
        g = g.reshape(w.shape)
        bad = np.abs(g - w) > 1e-5 * np.abs(w) + 1e-6
        if bad.any():
            i = np.argwhere(bad)[0]
            return f"at {tuple(i)}: {g[tuple(i)]!r}, expected {w[tuple(i)]!r}"
    return None


def main():
    binary, ops = sys.argv[1], set(sys.argv[2].split(","))
    passed, refused, failed, skipped, seen_ops, names = 0, 0, 0, 0, set(), []
    with tempfile.TemporaryDirectory() as tmp:
        for d in sorted(glob.glob(os.path.join(DATA, "test_*"))):
            name = os.path.basename(d)
            model = onnx.load(os.path.join(d, "model.onnx"))
            used = {n.op_type for n in model.graph.node}
            if not used <= ops or not used:
                continue
            sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
            if not sets:
                continue
            try:
                inputs = [read_pb(p) for p in sorted(glob.glob(os.path.join(sets[0], "input_*.pb")))]
                want = [read_pb(p) for p in sorted(glob.glob(os.path.join(sets[0], "output_*.pb")))]
            except ValueError:  # a sequence or optional value, not a tensor
                skipped += 1
                continue
            # mlp computes with float and double values (integers only as shapes and axes)
            if any(x.dtype.kind != "f" or x.dtype.itemsize < 4 for x in inputs[:1] + want) or \
                    any(x.dtype.kind not in "fi" for x in inputs):
                skipped += 1
                continue
            result, form, why = None, None, None
            for batched in (True, False) if inputs else (False,):
                got, err = run(binary, tmp, model, inputs, want, batched)
                if got is not None:
                    result, form = compare(got, want, batched), batched
                    break
                why = f"{why}; as constants: {err}" if why else err
            if form is None:
                refused += 1
                print(f"refused {name}: {why.replace(tmp + '/', '')}")
            elif result:
                failed += 1
                print(f"FAIL {name} ({'batched' if form else 'constant'}): {result}")
            else:
                passed += 1
                names.append(name)
                seen_ops |= used
                print(f"pass {name} [{'batched' if form else 'constant'}]")
    print("node tests that passed: " + ", ".join(names))
    print(f"node tests: {passed} passed, {refused} refused, {failed} failed, {skipped} not "
          f"float; ops passing: "
          f"{', '.join(sorted(seen_ops))}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
