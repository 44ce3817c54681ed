"""What the tests of `mlp export --format c` share: export, compile, run, read the interface."""
import array
import os
import random
import re
import shutil
import subprocess

from mlptest import mlp

HARNESS = os.path.abspath("tests/fixtures/export/harness.c")
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def export(model, out, *args):
    """mlp export MODEL --format c -o OUT ...; returns the (header, source) texts."""
    r = mlp("export", model, "--format", "c", "-o", out, *args)
    if r.rc != 0 or r.err:
        raise AssertionError(f"export of {model} failed: {r}")
    with open(out + ".h") as h, open(out + ".c") as c:
        return h.read(), c.read()


def interface(header):
    """The inputs and outputs listed in a generated header: [(name, first, last)] each."""
    ins = [(m[3], int(m[1]), int(m[2])) for m in
           (re.match(r"\s*\*\s+input\[(\d+) \.\. (\d+)\]\s+([^\[\s]+)", l) for l in header.splitlines()) if m]
    outs = [(m[3], int(m[1]), int(m[2])) for m in
            (re.match(r"\s*\*\s+output\[(\d+) \.\. (\d+)\]\s+([^\[\s]+)", l) for l in header.splitlines()) if m]
    return ins, outs


def macro(header, name):
    m = re.search(r"#define \w+_" + name + r" (\d+)", header)
    return int(m.group(1))


def build(folder, name, exe, cc="cc", flags=("-O2",), extra=()):
    """Compile NAME.c strictly, then link it with the harness into exe."""
    src = os.path.join(folder, name + ".c")
    obj = exe + ".o"
    run([cc, *STRICT, *flags, "-c", src, "-o", obj])
    run([cc, "-std=c99", *flags, f'-DNAME_H="{name}.h"', f"-DPREDICT={name}_predict",
         f"-DIN_SIZE={name.upper()}_INPUT_SIZE", f"-DOUT_SIZE={name.upper()}_OUTPUT_SIZE",
         "-I", folder, HARNESS, obj, "-o", exe, "-lm", *extra])
    return obj


def undefined_symbols(obj, nm="nm"):
    out = run([nm, "-u", obj])
    return sorted(l.split()[-1] for l in out.splitlines() if l.strip())


def random_inputs(n, size, seed, scale=2.0):
    """n samples of `size` float32 values from N(0, scale^2)."""
    rng = random.Random(seed)
    return array.array("f", (rng.gauss(0, scale) for _ in range(n * size)))


def run_harness(exe, inputs, n, prefix=()):
    out = run([*prefix, exe, str(n)], input=inputs.tobytes().decode("latin-1"), encoding="latin-1")
    return out


def parse_rows(text):
    return [[float(v) for v in line.split(",")] for line in text.splitlines() if line]


def write_csv(path, inputs, n, size):
    """The samples as CSV without a header (the inputs not given by --set, flattened in
    declaration order, which is the generated code's order), for `mlp eval --data`."""
    with open(path, "w") as f:
        for s in range(n):
            f.write(",".join(repr(float(v)) for v in inputs[s * size:(s + 1) * size]) + "\n")


def have(tool):
    return shutil.which(tool) is not None
