"""mlp derive: the seed's equations, LaTeX, and the model-file form checked against mlp grad."""
import glob
import random
import re
import unicodedata

from mlptest import MlpTestCase, mlp

RES = "examples/seed/residual.mlp"


def nfd(s):
    """mlp writes bars as combining macrons; expected texts may use precomposed letters."""
    return unicodedata.normalize("NFD", s)


def declared(path, kind):
    """(name, size) of each `input` or `param` of a model, from its canonical text."""
    out = []
    for line in mlp("print", path).out.splitlines():
        m = re.match(rf"{kind} (\w+)(?:\[([\d,]+)\])?", line)
        if m:
            size = 1
            for d in (m.group(2) or "").split(","):
                size *= int(d) if d else 1
            out.append((m.group(1), size))
    return out


def has_loss(path):
    return any(line.startswith("loss ") for line in mlp("print", path).out.splitlines())


class Derive(MlpTestCase):
    def test_seed4_text(self):
        r = self.ok("derive", RES, "--wrt", "x")
        self.assertEqual(nfd(r.out), nfd("L̄ = R̄ = S̄ = 1\nȳ = y − s\nh̄ = r + W2ᵀ ȳ\n"
                                         "z̄ = h̄ ∘ σ'(z)\nx̄ = W1ᵀ z̄ + ȳ\n"))

    def test_seed4_latex(self):
        r = self.ok("derive", RES, "--wrt", "x", "--format", "latex")
        self.assertIn("\\bar{x} &= W_{1}^\\top \\bar{z} + \\bar{y}\n\\end{aligned}\n", r.out)

    def test_model_file_matches_grad_for_every_example(self):
        """The derivation and the numbers can never drift: for every example model with a
        loss, evaluate the derived model file at random inputs and compare with mlp grad."""
        models = [p for p in sorted(glob.glob("examples/*/*.mlp")) if has_loss(p)]
        self.assertGreaterEqual(len(models), 5)
        rng = random.Random(3)
        for path in models:
            inputs, params = declared(path, "input"), declared(path, "param")
            # Class-index inputs of softmax_xent need integer values (0 and 1 exist in every
            # example's classes); everything else gets Gaussian values.
            labels = set(re.findall(r"softmax_xent\([^,]+,\s*(\w+)\)", open(path).read()))
            wrt = ",".join(n for n, _ in inputs + params)
            derived = self.write("derived.mlp", self.ok("derive", path, "--wrt", wrt,
                                                        "--format", "mlp").out)
            for _ in range(3):
                sets = []
                for name, size in inputs:
                    vals = [rng.randrange(2) if name in labels else round(rng.gauss(0, 2), 6)
                            for _ in range(size)]
                    sets += ["--set", f"{name}=[{', '.join(map(str, vals))}]" if size > 1
                             else f"{name}={vals[0]}"]
                got = self.ok("eval", derived, *sets, "--json").json()["values"]
                want = self.ok("grad", path, "--wrt", wrt, *sets, "--json").json()
                self.assertClose(got[want["loss"]["name"]], want["loss"]["value"])
                for name, value in want["grad"].items():
                    self.assertClose(flatten(got["d_" + name]), flatten(value), 1e-12)

    def test_errors(self):
        r = self.fails(2, "derive", RES)
        self.assertIn("--wrt NAME[,NAME...] is required", r.err)
        r = self.fails(2, "derive", RES, "--wrt", "x", "--format", "pdf")
        self.assertIn("--format must be text, latex or mlp, got 'pdf'", r.err)
        r = self.fails(2, "derive", RES, "--wrt", "x,q")
        self.assertIn("no value named 'q' in the model", r.err)
        r = self.fails(2, "derive", "examples/seed/descending.mlp", "--wrt", "x")
        self.assertIn("has no loss statement", r.err)
        self.assertEqual(r.out, "")
        self.assertIn("usage: mlp derive", self.ok("derive", "--help").out)


def flatten(v):
    if isinstance(v, list):
        return [x for e in v for x in flatten(e)]
    return [v]
