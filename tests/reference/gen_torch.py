#!/usr/bin/python3
"""Generate reference test vectors with PyTorch (float64) for random mlp models.

Each case is a random graph in the mlp model language -- matmul chains, residual adds, every
activation, every loss building block -- with random parameter values and a random batch of
inputs. PyTorch evaluates the same computation independently: the outputs, the loss summed over
the batch, and its gradient with respect to every input (per sample) and parameter (summed).
tests/unit/test_reference.c parses cases.txt, runs mlp and compares to 1e-9 relative.

Run with Debian's interpreter and python3-torch:  /usr/bin/python3 tests/reference/gen_torch.py
"""
import os
import random

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def fmt(v):
    return repr(float(v))


def literal(t):
    """A tensor as an mlp literal (nested lists, shortest round-trip numbers)."""
    if t.dim() == 0:
        return fmt(t.item())
    return "[" + ", ".join(literal(s) for s in t) + "]"


class Case:
    """Builds a model text and a torch function computing the same thing."""

    def __init__(self, rng, name):
        self.rng = rng
        self.name = name
        self.decls = []     # model lines
        self.stmts = []
        self.inputs = {}    # name -> shape
        self.params = {}    # name -> tensor
        self.consts = {}
        self.steps = []     # (name, fn(env) -> tensor)
        self.outputs = []
        self.loss = None

    def input(self, name, shape):
        self.inputs[name] = shape
        self.decls.append(f"input {name}" + (f"[{','.join(map(str, shape))}]" if shape else ""))

    def param(self, name, shape, scale=0.7):
        t = torch.randn(*shape, generator=self.rng) * scale if shape else \
            torch.randn((), generator=self.rng) * scale
        self.params[name] = t
        dims = f"[{','.join(map(str, shape))}]" if shape else ""
        self.decls.append(f"param {name}{dims} = {literal(t)}")

    def const(self, name, t):
        self.consts[name] = t
        dims = f"[{','.join(map(str, t.shape))}]" if t.dim() else ""
        self.decls.append(f"const {name}{dims} = {literal(t)}")

    def let(self, name, text, fn):
        self.stmts.append(f"{name} = {text}")
        self.steps.append((name, fn))

    def model_text(self):
        lines = self.decls + self.stmts
        if self.outputs:
            lines.append("output " + ", ".join(self.outputs))
        lines.append(f"loss {self.loss}")
        return "\n".join(lines) + "\n"

    def run(self, batch):
        """Values for a batch of inputs, and gradients of the summed loss."""
        xs = {n: torch.randn(batch, *s, generator=self.rng) for n, s in self.inputs.items()}
        for x in xs.values():
            x.requires_grad_(True)
        ps = {n: t.clone().requires_grad_(True) for n, t in self.params.items()}
        per_sample = []
        total = 0
        for b in range(batch):
            env = dict(self.consts)
            env.update(ps)
            env.update({n: x[b] for n, x in xs.items()})
            for name, fn in self.steps:
                env[name] = fn(env)
            per_sample.append({n: env[n].detach() for n in self.outputs + [self.loss]})
            total = total + env[self.loss]
        total.backward()
        grads = {n: t.grad if t.grad is not None else torch.zeros_like(t)
                 for n, t in list(xs.items()) + list(ps.items())}
        return xs, per_sample, total.item(), grads


ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
    "step": lambda z: (z >= 0).to(z.dtype),  # no gradient, as in mlp (step' = 0)
    "exp": torch.exp,
}

# Loss building blocks: (mlp text over y and target t, torch function)
LOSSES = [
    ("0.5 * sumsq(y - t)", lambda y, t: 0.5 * ((y - t) ** 2).sum()),
    ("mean(exp(y * t))", lambda y, t: torch.exp(y * t).mean()),
    ("logsumexp(y) - dot(softmax(t), y)", lambda y, t: torch.logsumexp(y, 0) - torch.softmax(t, 0) @ y),
    ("-dot(log_softmax(y), softmax(t))", lambda y, t: -(torch.log_softmax(y, 0) @ torch.softmax(t, 0))),
    ("sum(log(sigmoid(y) + 1) / (t * t + 1))",
     lambda y, t: (torch.log(torch.sigmoid(y) + 1) / (t * t + 1)).sum()),
    ("sumsq(softmax(y) - sigmoid(t))", lambda y, t: ((torch.softmax(y, 0) - torch.sigmoid(t)) ** 2).sum()),
    ("y[0] * t[1] - mean(y)", lambda y, t: y[0] * t[1] - y.mean()),
    ("sum(tanh(y)) * sum(t)", lambda y, t: torch.tanh(y).sum() * t.sum()),
]


def matmul_chain(rng, r, name, act_names):
    c = Case(rng, name)
    sizes = [r.randint(2, 6) for _ in range(len(act_names) + 1)]
    c.input("x", [sizes[0]])
    prev, prev_fn = "x", None
    for i, act in enumerate(act_names, 1):
        c.param(f"W{i}", [sizes[i], sizes[i - 1]])
        c.param(f"b{i}", [sizes[i]], 0.3)
        src = prev
        f = ACTIVATIONS[act]
        c.let(f"h{i}", f"{act}(W{i} @ {src} + b{i})",
              lambda e, i=i, src=src, f=f: f(e[f"W{i}"] @ e[src] + e[f"b{i}"]))
        prev = f"h{i}"
    c.input("t", [sizes[-1]])
    text, fn = LOSSES[r.randrange(len(LOSSES))]
    c.let("y", prev, lambda e, prev=prev: e[prev])
    c.let("L", text, lambda e, fn=fn: fn(e["y"], e["t"]))
    c.outputs = ["y"]
    c.loss = "L"
    return c


def residual(rng, r, name, act):
    c = Case(rng, name)
    n, k = r.randint(2, 5), r.randint(2, 5)
    c.input("x", [n])
    c.param("W1", [k, n])
    c.param("b1", [k], 0.2)
    c.param("W2", [n, k])
    c.param("b2", [n], 0.2)
    c.const("r", torch.randn(k, generator=rng))
    c.input("s", [n])
    f = ACTIVATIONS[act]
    c.let("z", "W1 @ x + b1", lambda e: e["W1"] @ e["x"] + e["b1"])
    c.let("h", f"{act}(z)", lambda e: f(e["z"]))
    c.let("y", "x + W2 @ h + b2", lambda e: e["x"] + e["W2"] @ e["h"] + e["b2"])
    c.let("L", "0.5 * sumsq(y - s) + dot(r, h)",
          lambda e: 0.5 * ((e["y"] - e["s"]) ** 2).sum() + e["r"] @ e["h"])
    c.outputs = ["y", "h"]
    c.loss = "L"
    return c


def matrices(rng, r, name):
    """Per-sample matrices, transposes, outer products, vector @ matrix, indexing."""
    c = Case(rng, name)
    m, n, p = r.randint(2, 4), r.randint(2, 4), r.randint(2, 4)
    c.input("X", [m, n])
    c.param("A", [p, m])
    c.param("B", [n, p])
    c.param("v", [p])
    c.let("M", "tanh(A @ X @ B)", lambda e: torch.tanh(e["A"] @ e["X"] @ e["B"]))
    c.let("u", "v @ M.T + M[0]", lambda e: e["v"] @ e["M"].T + e["M"][0])
    c.let("Q", "outer(u, v) * M[1, 0] - transpose(M) @ M",
          lambda e: torch.outer(e["u"], e["v"]) * e["M"][1, 0] - e["M"].T @ e["M"])
    c.let("L", "sumsq(Q) / 10 + mean(sigmoid(u)) + X[1, 1] * u[0]",
          lambda e: (e["Q"] ** 2).sum() / 10 + torch.sigmoid(e["u"]).mean() + e["X"][1, 1] * e["u"][0])
    c.outputs = ["u"]
    c.loss = "L"
    return c


def elementwise(rng, r, name):
    """Scalar broadcasting, division, negation, exp and log, a shared subexpression."""
    c = Case(rng, name)
    n = r.randint(2, 6)
    c.input("a", [n])
    c.input("b", [n])
    c.param("w", [])
    c.param("k", [n])
    c.let("q", "w * a / (b * b + 1) - -k", lambda e: e["w"] * e["a"] / (e["b"] * e["b"] + 1) + e["k"])
    c.let("g", "exp(-q) + log(sigmoid(q)) * w", lambda e: torch.exp(-e["q"]) + torch.log(torch.sigmoid(e["q"])) * e["w"])
    c.let("L", "sum(g * q) - 2 * w + mean(q) / w",
          lambda e: (e["g"] * e["q"]).sum() - 2 * e["w"] + e["q"].mean() / e["w"])
    c.outputs = ["g"]
    c.loss = "L"
    return c


def cases():
    rng = torch.Generator().manual_seed(20261126)
    r = random.Random(20261126)
    out = []
    acts = ["sigmoid", "tanh", "relu", "identity"]
    for i in range(16):
        depth = r.randint(1, 3)
        out.append(matmul_chain(rng, r, f"chain{i}", [r.choice(acts) for _ in range(depth)]))
    out.append(matmul_chain(rng, r, "chain_step", ["tanh", "step", "sigmoid"]))
    out.append(matmul_chain(rng, r, "chain_exp", ["tanh", "exp"]))
    for act in acts:
        out.append(residual(rng, r, f"residual_{act}", act))
    for i in range(4):
        out.append(matrices(rng, r, f"matrices{i}"))
    for i in range(4):
        out.append(elementwise(rng, r, f"elementwise{i}"))
    return out, r


F = torch.nn.functional

# One case per op (or form of it): (case name, mlp expression over z = W @ x + b and the second
# input u, torch function of the same). Operands are kept away from kinks and domain edges.
OP_CASES = [
    ("leaky_relu", "leaky_relu(z)", lambda z, u: F.leaky_relu(z, 0.01)),
    ("leaky_relu_slope", "leaky_relu(z, 0.2) * leaky_relu(u, -0.3)",
     lambda z, u: F.leaky_relu(z, 0.2) * F.leaky_relu(u, -0.3)),
    ("abs", "abs(z) * u", lambda z, u: torch.abs(z) * u),
    ("max", "max(z, u) + max(z, 0.1)", lambda z, u: torch.maximum(z, u) + torch.clamp_min(z, 0.1)),
    ("min", "min(z, u) - min(0.2, u)", lambda z, u: torch.minimum(z, u) - torch.clamp_max(u, 0.2)),
    ("clip", "clip(z, -0.5, 0.7) * u", lambda z, u: F.hardtanh(z, -0.5, 0.7) * u),
    ("relu6", "relu6(4 * z) + relu6(-4 * u)", lambda z, u: F.relu6(4 * z) + F.relu6(-4 * u)),
    ("softplus", "softplus(z) * u", lambda z, u: F.softplus(z) * u),
    ("gelu", "gelu(z) - gelu(u)", lambda z, u: F.gelu(z) - F.gelu(u)),
    ("gelu_tanh", "gelu_tanh(z) * u", lambda z, u: F.gelu(z, approximate="tanh") * u),
    ("elu", "elu(z) + elu(u, 0.5)", lambda z, u: F.elu(z) + F.elu(u, 0.5)),
    ("silu", "silu(z) * u", lambda z, u: F.silu(z) * u),
    ("sqrt", "sqrt(z * z + 0.5) - sqrt(u * u + 1)",
     lambda z, u: torch.sqrt(z * z + 0.5) - torch.sqrt(u * u + 1)),
    ("square", "square(z) * u", lambda z, u: torch.square(z) * u),
    ("log1p", "log1p(z * z) + log1p(0.5 * sigmoid(u))",
     lambda z, u: torch.log1p(z * z) + torch.log1p(0.5 * torch.sigmoid(u))),
    ("expm1", "expm1(z) * u", lambda z, u: torch.expm1(z) * u),
    ("layer_norm", "layer_norm(z) + layer_norm(u, 0.1, z, u)",
     lambda z, u: F.layer_norm(z, z.shape, eps=1e-5) + F.layer_norm(u, u.shape, z, u, eps=0.1)),
    ("batch_norm_infer", "batch_norm_infer(z, mu, var, u, z, 0.01) + batch_norm_infer(u, mu, var, z, 0.5)",
     lambda z, u, e=None: None),  # built in op_case: needs the constants
]


def op_case(rng, name, text, fn):
    """z = W @ x + b, then the op; the loss weighs the result with a random constant r."""
    c = Case(rng, "op_" + name)
    n = 4
    c.input("x", [n])
    c.input("u", [n])
    c.param("W", [n, n])
    c.param("b", [n], 0.3)
    c.const("r", torch.randn(n, generator=rng))
    if name == "batch_norm_infer":
        c.const("mu", torch.randn(n, generator=rng) * 0.5)
        c.const("var", torch.rand(n, generator=rng) + 0.5)

        def fn(z, u, e=None):
            bn = lambda v, g, b_, eps: F.batch_norm(v.unsqueeze(0), e["mu"], e["var"], g, b_,
                                                    training=False, eps=eps).squeeze(0)
            return bn(z, u, z, 0.01) + bn(u, z, torch.full_like(u, 0.0), 1e-5) + 0 * u
        text = "batch_norm_infer(z, mu, var, u, z, 0.01) + batch_norm_infer(u, mu, var, z, 0)"
        c.let("z", "W @ x + b", lambda e: e["W"] @ e["x"] + e["b"])
        c.let("h", text, lambda e: fn(e["z"], e["u"], e))
    else:
        c.let("z", "W @ x + b", lambda e: e["W"] @ e["x"] + e["b"])
        c.let("h", text, lambda e, fn=fn: fn(e["z"], e["u"]))
    c.let("L", "dot(r, h) + 0.1 * sumsq(h)", lambda e: e["r"] @ e["h"] + 0.1 * (e["h"] ** 2).sum())
    c.outputs = ["h"]
    c.loss = "L"
    return c


def structure_case(rng):
    """concat, reshape, flatten and argmax (an output: it has no gradient)."""
    c = Case(rng, "op_structure")
    c.input("x", [3])
    c.input("u", [2])
    c.param("W", [6, 6])
    c.param("v", [3])
    c.let("a", "concat(x, u, 1.5)", lambda e: torch.cat([e["x"], e["u"], torch.tensor([1.5])]))
    c.let("M", "reshape(tanh(W @ a), [2, 3])", lambda e: torch.reshape(torch.tanh(e["W"] @ e["a"]), (2, 3)))
    c.let("f", "flatten(M.T)", lambda e: e["M"].T.reshape(-1))
    c.let("k", "argmax(f)", lambda e: torch.argmax(e["f"]).to(torch.float64))
    c.let("L", "sumsq(M @ v) + dot(f, concat(v, v))",
          lambda e: ((e["M"] @ e["v"]) ** 2).sum() + e["f"] @ torch.cat([e["v"], e["v"]]))
    c.outputs = ["f", "k"]
    c.loss = "L"
    return c


def loss_case(rng):
    """The training losses: squared_error, bce_logits, softmax_xent (with a class index)."""
    c = Case(rng, "op_losses")
    c.input("x", [4])
    c.input("t", [4])
    c.param("W", [4, 4])
    c.const("cls", torch.tensor(2.0))
    c.let("z", "W @ x", lambda e: e["W"] @ e["x"])
    c.let("L", "squared_error(z, t) + bce_logits(z, sigmoid(t)) + softmax_xent(z, cls)",
          lambda e: 0.5 * ((e["z"] - e["t"]) ** 2).sum()
          + F.binary_cross_entropy_with_logits(e["z"], torch.sigmoid(e["t"]), reduction="sum")
          + F.cross_entropy(e["z"].unsqueeze(0), torch.tensor([2]), reduction="sum"))
    c.outputs = ["z"]
    c.loss = "L"
    return c


def op_cases():
    """Separate generator: adding these left the earlier cases' numbers unchanged."""
    rng = torch.Generator().manual_seed(20261202)
    out = [op_case(rng, name, text, fn) for name, text, fn in OP_CASES]
    out.append(structure_case(rng))
    out.append(loss_case(rng))
    return out


def flat(t):
    return " ".join(fmt(v) for v in t.reshape(-1).tolist())


def case_lines(c, batch):
    """The committed text of one case run on `batch` samples."""
    xs, per_sample, total, grads = c.run(batch)
    lines = [f"case {c.name} {batch}", "model"]
    lines.extend("  " + l for l in c.model_text().splitlines())
    lines.append("end")
    for n, x in xs.items():
        lines.append(f"set {n} {flat(x.detach())}")
    for n in c.outputs:
        lines.append(f"value {n} {flat(torch.stack([s[n] for s in per_sample]))}")
    lines.append(f"loss {c.loss} {fmt(total)}")
    for n, g in grads.items():
        lines.append(f"grad {n} {flat(g)}")
    lines.append("")
    return lines


def main():
    all_cases, r = cases()
    lines = ["# Generated by tests/reference/gen_torch.py with PyTorch " + torch.__version__ +
             " in float64. Do not edit."]
    for c in all_cases:
        lines.extend(case_lines(c, r.choice([1, 3])))
    for c in op_cases():
        lines.extend(case_lines(c, 3))
        all_cases.append(c)
    with open(os.path.join(HERE, "cases.txt"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {len(all_cases)} cases to {os.path.join(HERE, 'cases.txt')}")


if __name__ == "__main__":
    main()
