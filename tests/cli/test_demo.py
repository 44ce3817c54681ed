"""`make demo` (examples/seed/demo.sh) keeps working and answers the four seed problems."""
import subprocess
import unicodedata

from mlptest import MLP, MlpTestCase


class Demo(MlpTestCase):
    def test_demo_answers_the_seed_problems(self):
        r = subprocess.run(["sh", "examples/seed/demo.sh", MLP], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = unicodedata.normalize("NFD", r.stdout)
        self.assertIn("holds for every x in R^5", out)                               # problem 1
        self.assertIn("violated: x = [0, -1, -2, -3, -3] gives y = 1", out)
        self.assertIn("equivalent (tolerance 1e-09)", out)                           # problem 2
        self.assertIn("w1  YES", out)                                                # problem 3
        self.assertIn("w3  NO", out)
        self.assertIn(unicodedata.normalize("NFD", "x̄ = W1ᵀ z̄ + ȳ"), out)                                          # problem 4
        self.assertIn("dL/dx = [1.5737239549091389, 1.3233561428579292, 2.7856948776698176]", out)
