#!/usr/bin/python3
"""PyTorch exports of small MLPs as ONNX, with PyTorch's own outputs on fixed inputs: the files
the ONNX importer is tested against (tests/cli/test_onnx.py).

Run once with Debian's interpreter and python3-torch (the results are committed):
    /usr/bin/python3 tests/reference/gen_onnx.py
Writes tests/fixtures/onnx/NAME-opsetN.onnx for opsets 9, 13 and 17, and NAME.json with the
inputs and the outputs PyTorch computes (in the model's dtype, as decimal strings of the exact
float values).
"""
import io
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx")


class Residual(nn.Module):
    """Seed problem 4: y = x + W2 sigmoid(W1 x + b1) + b2."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(3, 2)
        self.l2 = nn.Linear(2, 3)

    def forward(self, x):
        return x + self.l2(torch.sigmoid(self.l1(x)))


class ManyOps(nn.Module):
    """The elementwise ops of the op-table work, as PyTorch exports them."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(3, 4)
        self.l2 = nn.Linear(32, 2)

    def forward(self, x):
        h = self.l1(x)
        parts = [nn.functional.softplus(h), nn.functional.elu(h, 0.5),
                 nn.functional.hardtanh(h, -0.5, 0.5), nn.functional.relu6(h * 4), torch.abs(h),
                 torch.sqrt(torch.abs(h) + 1), torch.maximum(h, -0.5 * h), torch.minimum(h, h * h)]
        return self.l2(torch.cat(parts, dim=1))


class ViewFlatten(nn.Module):
    """x.view(x.size(0), -1): exported as Shape, Gather, Unsqueeze, Concat and Reshape."""

    def __init__(self):
        super().__init__()
        self.l = nn.Linear(6, 2)

    def forward(self, x):
        return torch.tanh(self.l(x.view(x.size(0), -1)))


def models():
    torch.manual_seed(11)
    yield "relu_softmax", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3),
                                        nn.Softmax(dim=1)), 4, torch.float32
    yield "tanh_sigmoid", nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2),
                                        nn.Sigmoid()), 3, torch.float32
    yield "leaky_relu", nn.Sequential(nn.Linear(4, 6), nn.LeakyReLU(0.1), nn.Linear(6, 2)), 4, \
        torch.float32
    yield "residual", Residual(), 3, torch.float32
    bn = nn.BatchNorm1d(8)
    with torch.no_grad():  # running statistics as training would leave them
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    yield "dropout_bn_gelu", nn.Sequential(nn.Linear(4, 8), bn, nn.GELU(), nn.Dropout(0.3),
                                           nn.Linear(8, 2)), 4, torch.float32
    yield "relu_float64", nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)), 4, \
        torch.float64
    yield "many_ops", ManyOps(), 3, torch.float32
    yield "view_flatten", ViewFlatten(), (2, 3), torch.float32


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, model, nin, dtype in models():
        model = model.to(dtype).eval()
        x = torch.randn(5, *(nin if isinstance(nin, tuple) else (nin,)), dtype=dtype)
        with torch.no_grad():
            y = model(x)
        for opset in (9, 13, 17):
            buf = io.BytesIO()
            torch.onnx.export(model, x, buf, opset_version=opset, input_names=["x"],
                              output_names=["y"], dynamic_axes={"x": {0: "batch"},
                                                                "y": {0: "batch"}})
            with open(os.path.join(OUT, f"{name}-opset{opset}.onnx"), "wb") as f:
                f.write(buf.getvalue())
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({"dtype": str(dtype).replace("torch.", ""),
                       "x": [[repr(float(v)) for v in row.flatten()] for row in x],
                       "y": [[repr(float(v)) for v in row] for row in y]}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
