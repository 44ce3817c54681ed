"""mlp draw: DOT and Mermaid written by mlp, SVG/PNG through Graphviz, values, errors."""
import os
import shutil
import subprocess
import unittest

from mlptest import MLP, MlpTestCase, mlp

RES = "examples/seed/residual.mlp"
SETS = ["--set", "x=[1,2,3]", "--set", "s=[0,1,0]"]
HAVE_DOT = shutil.which("dot") is not None


class Draw(MlpTestCase):
    def test_dot_is_stable(self):
        a = self.ok("draw", RES).out
        b = self.ok("draw", RES, "--format", "dot").out
        self.assertEqual(a, b)
        self.assertTrue(a.startswith("digraph model {\n"))
        for name in ["x [3]", "z\\n+", "h\\nσ", "y\\n+", "S\\n·", "R\\ndot", "L\\n+"]:
            self.assertIn(f'[label="{name}"', a)
        # Comments and layout of the source file do not matter: the graph does.
        with open(RES) as f:
            text = f.read()
        other = self.write("same.mlp", "# the same model\n" + text.replace("  ", " "))
        self.assertEqual(self.ok("draw", other).out, a)

    def test_mermaid(self):
        r = self.ok("draw", RES, "--format", "mermaid")
        self.assertTrue(r.out.startswith("graph LR\n"))
        self.assertIn('  n8("z<br/>+"):::value\n', r.out)

    def test_values_and_grad(self):
        r = self.ok("draw", RES, *SETS, "--grad")
        g = self.ok("grad", RES, "--wrt", "x", *SETS, "--json").json()["grad"]["x"]
        self.assertIn("x [3]\\n= [1, 2, 3]\\n∂L = [%.4g, %.4g, %.4g]" % tuple(g), r.out)

    def test_values_need_every_input(self):
        r = self.fails(2, "draw", RES, "--set", "x=[1,2,3]")
        self.assertIn("input 's' has no value", r.err)

    @unittest.skipUnless(HAVE_DOT, "Graphviz `dot` is not installed")
    def test_svg_and_png(self):
        svg = os.path.join(self.tmp, "g.svg")
        self.ok("draw", RES, "-o", svg)  # the format follows the extension
        with open(svg) as f:
            self.assertIn("<svg", f.read())
        png = os.path.join(self.tmp, "g.png")
        self.ok("draw", RES, "--format", "png", "--grad", "-o", png)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["g.png", "g.svg"])
        r = self.ok("draw", RES, "--format", "svg")
        self.assertIn("<svg", r.out)

    def test_missing_graphviz_is_said_clearly(self):
        empty = os.path.join(self.tmp, "bin")
        os.mkdir(empty)
        out = os.path.join(self.tmp, "g.svg")
        env = dict(os.environ, PATH=empty)
        p = subprocess.run([MLP, "draw", RES, "-o", out], capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--format svg needs Graphviz's `dot` program, which is not on PATH", p.stderr)
        self.assertEqual(os.listdir(self.tmp), ["bin"])  # nothing half-written
        p = subprocess.run([MLP, "draw", RES], capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 0)  # DOT itself needs no Graphviz

    def test_errors(self):
        r = self.fails(2, "draw", RES, "--format", "gif")
        self.assertIn("--format must be dot, mermaid, svg, png or pdf, got 'gif'", r.err)
        r = self.fails(2, "draw", RES, "--set", "q=1")
        self.assertIn("the model has no value named 'q'", r.err)
        r = self.fails(2, "draw", "examples/seed/descending.mlp", "--grad")
        self.assertIn("has no loss statement", r.err)
        self.assertIn("usage: mlp draw", mlp("draw", "--help").out)


class Help(MlpTestCase):
    def test_every_explain_command_has_help(self):
        listing = self.ok("--help").out
        for cmd in ["draw", "derive", "zeros", "convert", "equiv"]:
            self.assertIn(f"  {cmd} ", listing)
            self.assertIn(f"usage: mlp {cmd}", self.ok(cmd, "--help").out)
        self.assertIn("--sparsity", self.ok("grad", "--help").out)
