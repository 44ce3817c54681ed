"""Hostile input: every case exits with status 2, prints nothing on stdout and exactly the
message given here on stderr. One table of cases (files the case writes, the arguments, the
expected stderr); "{tmp}" in arguments and messages is the case's temporary folder."""
import gzip
import os
import unittest

from mlptest import MlpTestCase, mlp

RES = "examples/seed/residual.mlp"
SETS = ["--set", "x=[1,2,3]", "--set", "s=[0,1,0]"]
LONG = "a" * 100000
SEE = "(see 'mlp {cmd} --help')\n"


def usage(cmd, message):
    """The two lines of a usage error of subcommand cmd."""
    return f"mlp {cmd}: {message}\n" + SEE.format(cmd=cmd)


def located(file, line, col, message, source=None, caret=None):
    """A file:line:col error, with its source line and caret when given."""
    text = f"{{tmp}}/{file}:{line}:{col}: error: {message}\n"
    if source is not None:
        text += f"  {source}\n  {' ' * (caret if caret is not None else col - 1)}^\n"
    return text


def at_column(where, col, message, source):
    """A `where:col` error about a one-line text (a spec, bounds) or `where:1:col` (facts)."""
    return f"{where}:{col}: error: {message}\n  {source}\n  {' ' * (col - 1)}^\n"


RELU = "examples/seed/relu-net.mlp"
LINEAR_MODEL = b"input x\ninput y\nparam w = 0.5\nL = squared_error(w * x, y)\nloss L\n"
DESC = "examples/seed/descending.mlp"
NEST = "expression nested too deeply (more than 200 levels of parentheses, function calls and signs)"

# (name, files {name: bytes}, arguments, expected stderr)
CASES = [
    # ---- model files: truncated, binary, empty, not files, huge, long, deep, bad bytes ----
    ("truncated model", {"m.mlp": b"input x[3]\nparam W[2,3] = [[1, 2, 3], [4,"}, ["eval", "{tmp}/m.mlp"],
     located("m.mlp", 2, 28, "'[' is never closed", "param W[2,3] = [[1, 2, 3], [4,")),
    ("truncated statement", {"m.mlp": b"input x\ny = sigmoid(x +"}, ["eval", "{tmp}/m.mlp"],
     located("m.mlp", 2, 16, "expected a value, got end of input", "y = sigmoid(x +")),
    ("binary garbage model", {"m.mlp": b"\x7fELF\x02\x01\x01\x03(((\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 1, "unexpected character byte 0x7f", "?ELF????(((")),
    ("NUL byte in a model", {"m.mlp": b"input x\ny = x\x00 + 1\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 2, 6, "the file contains a NUL byte (not a text file?)")),
    ("empty model", {"m.mlp": b""}, ["eval", "{tmp}/m.mlp"],
     usage("eval", "{tmp}/m.mlp has no `output` or `loss` statement: nothing to print")),
    ("empty model, gradient", {"m.mlp": b""}, ["grad", "{tmp}/m.mlp", "--wrt", "x"],
     usage("grad", "--wrt x: no value named 'x' in the model")),
    ("directory as model", {}, ["eval", "{tmp}"], "{tmp}: error: cannot read model: Is a directory\n"),
    ("missing model", {}, ["print", "{tmp}/nope.mlp"],
     "{tmp}/nope.mlp: error: cannot read model: No such file or directory\n"),
    ("number out of range", {"m.mlp": b"param w = 1e999\noutput w\n"}, ["eval", "{tmp}/m.mlp"],
     located("m.mlp", 1, 11, "number out of range: 1e999", "param w = 1e999")),
    ("fraction out of range", {"m.mlp": b"const c = 1e300/1e-300\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 11, "number out of range: 1e300/1e-300", "const c = 1e300/1e-300")),
    ("huge shape", {"m.mlp": b"param W[100000,100000] ~ zeros\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 16, "shape too large: more than 67108864 elements",
             "param W[100000,100000] ~ zeros")),
    ("huge input", {"m.mlp": b"input x[32768,65536]\ny = sum(x)\noutput y\n"},
     ["eval", "{tmp}/m.mlp", "--set", "x=1"],
     located("m.mlp", 1, 15, "shape too large: more than 67108864 elements", "input x[32768,65536]")),
    ("huge dimension", {"m.mlp": b"input x[99999999999]\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 9, "a dimension must be an integer from 1 to 1073741824, got "
             "'99999999999'", "input x[99999999999]")),
    ("too many dimensions", {"m.mlp": b"input x[1,1,1,1,1]\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 17, "more than 4 dimensions", "input x[1,1,1,1,1]")),
    ("long identifier", {"m.mlp": b"input " + LONG.encode() + b"\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 7, "name too long: 100000 characters (at most 256)",
             ("input " + LONG)[:255])),
    ("long unknown name", {"m.mlp": b"input x\ny = x + " + LONG.encode() + b"\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 2, 9, "unknown name '" + "a" * 57 + "...'", ("y = x + " + LONG)[:255])),
    ("long line", {"m.mlp": b"input x\ny = " + b"x + " * 5000 + b"?\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 2, 20005, "unexpected character '?'")),
    ("deep parentheses", {"m.mlp": b"input x\ny = " + b"(" * 100000 + b"x" + b")" * 100000 + b"\n"},
     ["print", "{tmp}/m.mlp"], located("m.mlp", 2, 205, NEST, ("y = " + "(" * 251))),
    ("deep signs", {"m.mlp": b"input x\ny = " + b"-" * 100000 + b"x\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 2, 204, NEST, ("y = " + "-" * 251))),
    ("deep calls", {"m.mlp": b"input x\ny = " + b"relu(" * 1000 + b"x" + b")" * 1000 + b"\n"},
     ["print", "{tmp}/m.mlp"], located("m.mlp", 2, 1005, NEST)),
    ("many inputs", {"m.mlp": "".join(f"input a{i}\n" for i in range(100000)).encode() + b"output a5\n"},
     ["eval", "{tmp}/m.mlp"],
     usage("eval", "input 'a5' has no value: give it with --set a5=VALUE or in --data")),
    ("deep literal", {"m.mlp": b"const c = [[[[[1]]]]]\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 15, "literal nested deeper than 4 levels", "const c = [[[[[1]]]]]")),
    ("bad UTF-8", {"m.mlp": b"input x\ny = x +\xff 1\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 2, 8, "unexpected character byte 0xff", "y = x +? 1")),
    ("terminal escape in a model", {"m.mlp": b"input x\ny = \x1b[2J x\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 2, 5, "unexpected character byte 0x1b", "y = ?[2J x")),
    ("initialiser that would draw inf", {"m.mlp": b"param p[2] ~ uniform(-1e308, 1e308)\n"},
     ["print", "{tmp}/m.mlp"], located("m.mlp", 1, 14, "uniform arguments must lie within -1e300 "
                                       "to 1e300", "param p[2] ~ uniform(-1e308, 1e308)")),
    # ---- data files ----
    ("truncated CSV row", {"d.csv": b"x[0],x[1],x[2]\n1,2,3\n4,5"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 3, 1, "row has 2 fields, expected 3")),
    ("binary garbage CSV", {"d.csv": b"\x89PNG\r\n\x1a\n\x00\x00"}, ["eval", RES, "--data", "{tmp}/d.csv"],
     located("d.csv", 2, 1, "'\\x1a' is not a number")),
    ("empty CSV", {"d.csv": b""}, ["eval", RES, "--data", "{tmp}/d.csv"],
     "{tmp}/d.csv: error: no data rows\n"),
    ("header-only CSV", {"d.csv": b"x[0],x[1],x[2]\n"}, ["eval", RES, "--data", "{tmp}/d.csv"],
     "{tmp}/d.csv: error: no data rows\n"),
    ("unclosed quote in a CSV header", {"d.csv": b"x[0],\"x[1],x[2]\n1,2,3\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 1, 6, "a quoted field has no closing quote")),
    ("text after a closing quote in CSV", {"d.csv": b"x[0],x[1],x[2]\n1,\"2\"3,3\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 2, 3, "text after the closing quote of a field")),
    ("directory as CSV", {}, ["eval", RES, "--data", "{tmp}"], "{tmp}: error: cannot read: Is a directory\n"),
    ("NaN in CSV", {"d.csv": b"x[0],x[1],x[2]\n1,nan,3\n"}, ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 2, 3, "'nan' is not a finite number")),
    ("infinity in CSV", {"d.csv": b"1,2,-inf\n"}, ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 1, 5, "'-inf' is not a finite number")),
    ("number out of range in CSV", {"d.csv": b"1,2,1e999\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 1, 5, "'1e999' is not a finite number")),
    ("hex float in CSV", {"d.csv": b"1,2,0x1p3\n"}, ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 1, 5, "'0x1p3' is not a number (and a header row names every column)")),
    ("bad UTF-8 in CSV", {"d.csv": b"x[0],x[1],x[2]\n1,2,\xff\xfe\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 2, 5, "'\\xff\\xfe' is not a number")),
    ("NUL byte in CSV", {"d.csv": b"1,2,3\n4,\x005,6\n"}, ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     located("d.csv", 2, 3, "NUL byte in a CSV file (not a text file?)")),
    ("repeated CSV column", {"d.csv": b"x[0],x[1],x[2],x[1]\n1,2,3,4\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     usage("eval", "{tmp}/d.csv: columns 2 and 4 both give x[1]")),
    ("missing CSV column", {"d.csv": b"x[0],x[2]\n1,2\n"}, ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     usage("eval", "{tmp}/d.csv has no column for x[1] (with a header, every element of an input "
           "needs a column)")),
    ("long CSV line", {"d.csv": b"1," * 100000 + b"1\n"}, ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     usage("eval", "{tmp}/d.csv has 100001 columns, but the inputs not given by --set need 3 (in "
           "declaration order, flattened; or add a header row)")),
    # ---- facts (mlp zeros --assume), specs and bounds (mlp verify) ----
    ("fact with a number that underflows", {}, ["zeros", RELU, "--assume", "z1< .999e-345"],
     at_column("--assume:1", 5, "number out of range: .999e-345 is too small to tell from 0",
               "z1< .999e-345")),
    ("fact with a number too long", {}, ["zeros", RELU, "--assume", "z1 < 0." + "0" * 130 + "1"],
     at_column("--assume:1", 6, "number too long (at most 127 characters)", "z1 < 0." + "0" * 130 + "1")),
    ("many contradicting facts", {}, ["zeros", RELU, "--assume", ", ".join(["z1 == 1", "z1 == 0"] * 20)],
     "--assume: error: the facts (" + ", ".join(["z1 == 1", "z1 == 0"] * 11) + ", and 18 more) cannot "
     "all hold in this model: they leave no possible value for z1\n"),
    ("empty spec", {}, ["verify", DESC, "--spec", ""], "spec:1: error: the spec is empty\n"),
    ("spec of two lines", {}, ["verify", DESC, "--spec", "y == 1 <=> (x[0] >\n x[1])"],
     at_column("spec", 19, "the spec must be one line", "y == 1 <=> (x[0] >")),
    ("bounds with a carriage return", {}, ["verify", DESC, "--spec", "y == 1", "--bounds", "x in [0,\r 1]"],
     at_column("bounds", 9, "the bounds must be one line", "x in [0,")),
    ("deeply nested spec list", {}, ["verify", DESC, "--spec", "[" * 60000 + "1" + "]" * 60000 + " == y"],
     at_column("spec", 200, "the spec nests too deeply", "[" * 255)),
    # ---- data and weight files (IDX, safetensors, npy) ----
    ("NaN in IDX data", {"x.idx": b"\0\0\x0d\x01\0\0\0\x02\x3f\x80\0\0\x7f\xc0\0\0"},
     ["train", RES, "--data", "{tmp}/x.idx,tests/fixtures/data/tiny-labels.idx.gz"],
     "{tmp}/x.idx: error: value 1 of the data is nan, not a finite number\n"),
    ("data after a gzip stream", {"x.idx.gz": gzip.compress(b"\0\0\x08\x01\0\0\0\x01\x07", mtime=0) + b"junk"},
     ["train", RES, "--data", "{tmp}/x.idx.gz,tests/fixtures/data/tiny-labels.idx.gz"],
     "{tmp}/x.idx.gz: error: corrupt gzip data: data after the end of the gzip stream\n"),
    ("safetensors without tensors", {"w.st": b"\x02\0\0\0\0\0\0\0{}\0\0\0\0"},
     ["eval", RES, *SETS, "--weights", "{tmp}/w.st"],
     "{tmp}/w.st: error: the tensors cover 0 bytes of data, but the file has 4 after the header\n"),
    ("control character in a .npy dtype", {"w.npy": b"\x93NUMPY\x01\x00\x3b\x00{'descr': '<f\n4', "
                                           b"'fortran_order': False, 'shape': (2,), }\n" + bytes(8)},
     ["eval", RES, *SETS, "--weights", "b1={tmp}/w.npy"],
     "{tmp}/w.npy: error: bad .npy header at byte 23: 'descr' must be a dtype string such as '<f4'\n"),
    # ---- arguments ----
    ("--set without =", {}, ["eval", RES, "--set", "x"], usage("eval", "--set needs NAME=VALUE, got 'x'")),
    ("--set without a name", {}, ["eval", RES, "--set", "=1"], usage("eval", "--set needs NAME=VALUE, got '=1'")),
    ("--set unknown name", {}, ["eval", RES, "--set", "nope=1"],
     usage("eval", "--set nope: the model has no value named 'nope'")),
    ("--set a constant", {}, ["eval", RES, "--set", "r=[1,2]"],
     usage("eval", "--set r: only inputs and parameters can be set")),
    ("--set twice", {}, ["eval", RES, *SETS, "--set", "x=0"], usage("eval", "--set x: given more than once")),
    ("--set truncated value", {}, ["eval", RES, "--set", "x=[1,2,", "--set", "s=0"],
     "--set x:1:1: error: '[' is never closed\n  [1,2,\n  ^\n"),
    ("--set value, then more", {}, ["eval", RES, "--set", "x=1\n2", "--set", "s=0"],
     "--set x:2:1: error: expected end of value, got '2'\n"),
    ("--set number out of range", {}, ["eval", RES, "--set", "x=1e999", "--set", "s=0"],
     "--set x:1:1: error: number out of range: 1e999\n  1e999\n  ^\n"),
    ("--set without its value", {}, ["eval", RES, "--set"], usage("eval", "option '--set' needs a value")),
    ("repeated option", {}, ["eval", RES, *SETS, "--dtype", "f32", "--dtype", "f64"],
     usage("eval", "option '--dtype' given more than once")),
    ("repeated flag", {}, ["eval", RES, *SETS, "--json", "--json"],
     usage("eval", "option '--json' given more than once")),
    ("flag with a value", {}, ["eval", RES, *SETS, "--json=yes"], usage("eval", "option '--json' takes no value")),
    ("unknown option", {}, ["eval", RES, "--frobnicate"], usage("eval", "unknown option '--frobnicate'")),
    ("two models", {}, ["print", RES, RES], usage("print", "expected one MODEL, got 2 arguments")),
    ("negative integer", {}, ["eval", RES, *SETS, "--seed", "-1"],
     usage("eval", "--seed must be an integer from 0 to 2147483647, got '-1'")),
    ("overflowing integer", {}, ["eval", RES, *SETS, "--seed", "99999999999999999999999"],
     usage("eval", "--seed must be an integer from 0 to 2147483647, got '99999999999999999999999'")),
    ("not an integer", {}, ["eval", RES, *SETS, "--seed", "1e3"],
     usage("eval", "--seed must be an integer from 0 to 2147483647, got '1e3'")),
    ("integer after a blank", {}, ["eval", RES, *SETS, "--seed", " 5"],
     usage("eval", "--seed must be an integer from 0 to 2147483647, got ' 5'")),
    ("integer with a plus sign", {}, ["eval", RES, *SETS, "--seed", "+5"],
     usage("eval", "--seed must be an integer from 0 to 2147483647, got '+5'")),
    ("zero dimension", {"m.mlp": b"input x[2,0]\n"}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 11, "a dimension must be an integer from 1 to 1073741824, got '0'",
             "input x[2,0]")),
    ("directory as data, with --label", {"m.mlp": LINEAR_MODEL},
     ["train", "{tmp}/m.mlp", "--data", "{tmp}", "--label", "y"],
     "{tmp}: error: cannot read: Is a directory\n"),
    ("directory as data", {"m.mlp": LINEAR_MODEL}, ["eval", "{tmp}/m.mlp", "--data", "{tmp}"],
     "{tmp}: error: cannot read: Is a directory\n"),
    ("zero checks", {}, ["gradcheck", RES, "--max-checks", "0"],
     usage("gradcheck", "--max-checks must be an integer from 1 to 1073741824, got '0'")),
    ("negative tolerance", {}, ["gradcheck", RES, "--tol", "-1"], usage("gradcheck", "--tol must not be negative, got '-1'")),
    ("infinite tolerance", {}, ["gradcheck", RES, "--tol", "inf"],
     usage("gradcheck", "--tol must be a finite number, got 'inf'")),
    ("empty --wrt", {}, ["grad", RES, *SETS, "--wrt", ","], usage("grad", "--wrt needs at least one name")),
    ("too many --wrt names", {}, ["grad", RES, *SETS, "--wrt", ",".join(["x"] * 65)],
     usage("grad", "--wrt lists more than 64 names")),
    ("--wrt unknown name", {}, ["grad", RES, *SETS, "--wrt", "nope"],
     usage("grad", "--wrt nope: no value named 'nope' in the model")),
    ("--wrt name twice", {}, ["grad", RES, *SETS, "--wrt", "x,W1,x"], usage("grad", "--wrt x: listed more than once")),
    ("gradcheck with an empty --wrt", {}, ["gradcheck", RES, "--wrt", ","], usage("gradcheck", "--wrt needs at least one name")),
    ("bad dtype", {}, ["eval", RES, *SETS, "--dtype", "f16"], usage("eval", "--dtype must be f64 or f32, got 'f16'")),
    # ---- numbers, resources and messages around the parsers (docs/reliability.md) ----
    ("hex float option", {}, ["gradcheck", RES, "--tol", "0x1p-3"],
     usage("gradcheck", "--tol must be a finite number, got '0x1p-3'")),
    ("option number with a blank", {}, ["gradcheck", RES, "--tol", " 1"],
     usage("gradcheck", "--tol must be a finite number, got ' 1'")),
    ("hex float bounds", {}, ["equiv", RES, RES, "--bounds", "0x0,1"],
     usage("equiv", "--bounds needs LO,HI with finite LO <= HI, got '0x0,1'")),
    ("CSV value beyond float32", {"d.csv": b"x,y\n1,2\n2,-1e39\n"},
     ["train", RES, "--data", "{tmp}/d.csv", "--label", "y"],
     "{tmp}/d.csv: error: data row 2, column 2 ('y'): -1e+39 is outside float32's range "
     "(magnitudes up to 3.4028235e38)\n"),
    ("model of NUL bytes", {"m.mlp": bytes(1 << 20)}, ["print", "{tmp}/m.mlp"],
     located("m.mlp", 1, 1, "the file contains a NUL byte (not a text file?)")),
    ("model beyond the text limit", {"m.mlp": b"# a comment\n" * 50000}, ["print", "{tmp}/m.mlp", "--max-memory", "1M"],
     "{tmp}/m.mlp: error: cannot read model: larger than 262144 bytes, the limit for a text input "
     "(1 GiB, and a quarter of the memory available; see --max-memory)\n"),
    ("CSV beyond the text limit", {"d.csv": b"1,2,3\n" * 100000},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv", "--max-memory", "1M"],
     "{tmp}/d.csv: error: cannot read: larger than 262144 bytes, the limit for a text input "
     "(1 GiB, and a quarter of the memory available; see --max-memory)\n"),
    ("bad --max-memory", {}, ["eval", RES, "--max-memory", "1Q"],
     usage("eval", "--max-memory must be a positive number of bytes, optionally with K, M, G or T, got '1Q'")),
    ("zero --max-memory", {}, ["eval", RES, "--max-memory", "0"],
     usage("eval", "--max-memory must be a positive number of bytes, optionally with K, M, G or T, got '0'")),
    ("--weights a directory", {}, ["eval", RES, *SETS, "--weights", "{tmp}"],
     "{tmp}: error: cannot read: it is a directory\n"),
    ("--weights .npy without a name", {"w.npy": b""}, ["eval", RES, *SETS, "--weights", "{tmp}/w.npy"],
     usage("eval", "--weights {tmp}/w.npy: a .npy file holds one array; name the parameter it is for: "
           "--weights NAME={tmp}/w.npy")),
    ("--weights with a long name", {}, ["eval", RES, *SETS, "--weights", "b" * 256 + "1=tests/fixtures/weights/b_be.npy"],
     "tests/fixtures/weights/b_be.npy: error: tensor '" + "b" * 68 + "...' names no parameter of "
     "the model\n"),
    ("escape sequence in a CSV header", {"d.csv": b"x\x1b[2J,y\n1,2\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     usage("eval", "{tmp}/d.csv: column 'x\\x1b[2J' names no input element (expected NAME for a "
           "scalar input, NAME[i] or NAME[i,j])")),
    ("invalid UTF-8 in a CSV header", {"d.csv": b"x\xff,y\n1,2\n"},
     ["eval", RES, "--set", "s=0", "--data", "{tmp}/d.csv"],
     usage("eval", "{tmp}/d.csv: column 'x\\xff' names no input element (expected NAME for a "
           "scalar input, NAME[i] or NAME[i,j])")),
]


class Hostile(MlpTestCase):
    def test_table(self):
        for name, files, args, expected in CASES:
            with self.subTest(name):
                for file, data in files.items():
                    self.write(file, data)
                r = mlp(*[a.replace("{tmp}", self.tmp) for a in args])
                self.assertEqual(r.rc, 2, r)
                self.assertEqual(r.out, "", r)
                self.assertEqual(r.err, expected.replace("{tmp}", self.tmp))
                for file in files:
                    os.remove(os.path.join(self.tmp, file))

    def test_unknown_command(self):
        r = self.fails(2, "frobnicate")
        self.assertEqual(r.out, "")
        self.assertTrue(r.err.startswith("mlp: unknown command 'frobnicate'\n\nusage: mlp COMMAND"))

    @unittest.skipIf(os.geteuid() == 0, "root reads files whatever their permissions")
    def test_unreadable_file(self):
        path = self.write("m.mlp", "input x\n")
        os.chmod(path, 0)
        r = self.fails(2, "print", path)
        self.assertEqual((r.out, r.err), ("", f"{path}: error: cannot read model: Permission denied\n"))

    def test_output_that_cannot_be_written(self):
        """Results that do not reach stdout (a full disk) are an error, not success."""
        with open("/dev/full", "w") as full:
            import subprocess
            from mlptest import MLP
            p = subprocess.run([MLP, "print", RES], stdout=full, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "mlp: cannot write the output: No space left on device\n")


if __name__ == "__main__":
    unittest.main()
