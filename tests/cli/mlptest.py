"""Helpers for the CLI tests: run `mlp` and look at what it printed."""
import ast
import json
import os
import re
import subprocess
import tempfile
import unittest

MLP = os.environ.get("MLP", os.path.abspath("build/release/mlp"))


def params(text):
    """{name: value} of the `param NAME[...] = LITERAL` lines of a model text, in order."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"param (\w+)(?:\[[\d,]+\])? = (.*)", line)
        if m:
            out[m.group(1)] = ast.literal_eval(m.group(2))
    return out


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc}\n--- stdout\n{self.out}--- stderr\n{self.err}"


def mlp(*args, stdin=None, cwd=None):
    """Run the mlp binary with string arguments."""
    proc = subprocess.run([MLP, *map(str, args)], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=600)
    return Result(proc)


class MlpTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, text):
        """Write a file in this test's temporary folder; returns its path."""
        path = os.path.join(self.tmp, name)
        mode = "wb" if isinstance(text, bytes) else "w"
        with open(path, mode) as f:
            f.write(text)
        return path

    def ok(self, *args, **kw):
        r = mlp(*args, **kw)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "", r)
        return r

    def fails(self, rc, *args, **kw):
        """Run expecting exit status rc (1 a failed check, 2 bad input); stdout must be empty
        for rc 2, and stderr must say something."""
        r = mlp(*args, **kw)
        self.assertEqual(r.rc, rc, r)
        if rc == 2:
            self.assertTrue(r.err.strip(), r)
        return r

    def assertClose(self, a, b, tol=1e-12):
        if isinstance(a, list):
            self.assertEqual(len(a), len(b))
            for x, y in zip(a, b):
                self.assertClose(x, y, tol)
            return
        self.assertLessEqual(abs(a - b), tol * max(1.0, abs(a), abs(b)), f"{a} != {b}")
