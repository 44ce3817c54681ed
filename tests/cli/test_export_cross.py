"""The generated C on ARM: a Cortex-M build (arm-none-eabi-gcc, size reported) and an emulated
ARM Linux run (arm-linux-gnueabihf-gcc + qemu-arm) whose outputs must equal the host's.

scripts/install-deps installs the cross tools (gcc-arm-none-eabi, libnewlib-arm-none-eabi,
gcc-arm-linux-gnueabihf, libc6-dev-armhf-cross, qemu-user); without them this test fails and
says so, rather than passing without having run.
"""
import os
import random
import sys

import cexport as cx
from mlptest import MlpTestCase

TOOLS = ["arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "arm-linux-gnueabihf-gcc",
         "qemu-arm"]
M4 = ["-mcpu=cortex-m4", "-mthumb", "-Os"]
M4F = M4 + ["-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]
M0 = ["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft", "-Os"]
ARMHF = "/usr/arm-linux-gnueabihf"


class ExportCrossTest(MlpTestCase):
    def setUp(self):
        super().setUp()
        missing = [t for t in TOOLS if not cx.have(t)]
        if missing:
            self.fail(f"cross tools missing: {', '.join(missing)} (scripts/install-deps installs them)")

    def size(self, obj):
        out = cx.run(["arm-none-eabi-size", obj]).splitlines()[1].split()
        return int(out[0]), int(out[1]), int(out[2])  # text, data, bss

    def run_on_arm(self, name, n, xs):
        exe = os.path.join(self.tmp, "arm-" + name)
        cx.build(self.tmp, name, exe, cc="arm-linux-gnueabihf-gcc", flags=["-O2"], extra=["-static"])
        return cx.run_harness(exe, xs, n, prefix=["qemu-arm", "-L", ARMHF])

    def test_float_model_on_cortex_m4_and_emulated_arm(self):
        out = os.path.join(self.tmp, "net")
        cx.export("examples/explain/deep.mlp", out)
        obj = os.path.join(self.tmp, "m4.o")
        cx.run(["arm-none-eabi-gcc", *cx.STRICT, *M4F, "-c", out + ".c", "-o", obj])
        text, data, bss = self.size(obj)
        sys.stderr.write(f"\n  deep.mlp float32 on Cortex-M4F -Os: text {text} B, data {data} B, bss {bss} B ")
        self.assertGreater(text, 0)
        # Same bits on emulated ARM as on this machine (no libm call in a ReLU network; the
        # sigmoid model below checks mlp's own exp, base/fexp.h, too).
        n = 500
        for model in ["examples/explain/deep.mlp", "examples/train/tiny.mlp", "examples/seed/sigmoid-mlp.mlp"]:
            with self.subTest(model=model):
                header, _ = cx.export(model, out)
                size = cx.macro(header, "INPUT_SIZE")
                xs = cx.random_inputs(n, size, seed=9)
                host = os.path.join(self.tmp, "host")
                cx.build(self.tmp, "net", host, flags=["-O2"])
                self.assertEqual(self.run_on_arm("net", n, xs), cx.run_harness(host, xs, n), model)

    def test_int8_model_integer_only_on_cortex_m0_and_emulated_arm(self):
        rng = random.Random(2)
        calib = self.write("cal.csv", "a,b,c,d,e,label\n" + "".join(
            ",".join(f"{rng.gauss(0, 1):.6g}" for _ in range(5)) + ",0\n" for _ in range(300)))
        model = self.write("q.mlp", """
input x[5]
param W1[16,5] ~ xavier
param b1[16] ~ normal(0, 0.2)
param W2[8,16] ~ xavier
param W3[3,8] ~ xavier
h1 = relu(W1 @ x + b1)
h2 = tanh(W2 @ h1)
y = softmax(W3 @ h2)
output y
""")
        out = os.path.join(self.tmp, "net")
        cx.export(model, out, "--quantize", "int8", "--calibrate", calib, "--label", "label")
        # Cortex-M0, soft float: the integer core pulls in no float routine (only libgcc's
        # 64-bit integer helpers).
        obj = os.path.join(self.tmp, "m0.o")
        cx.run(["arm-none-eabi-gcc", *cx.STRICT, *M0, "-DNET_INTEGER_ONLY", "-c", out + ".c", "-o", obj])
        undefined = cx.undefined_symbols(obj, nm="arm-none-eabi-nm")
        self.assertFalse([s for s in undefined if s.startswith(("__aeabi_f", "__aeabi_d", "__aeabi_i2f",
                                                                "__aeabi_ui2f", "__aeabi_l2f"))
                          or not s.startswith("__aeabi_")], undefined)
        # ... while the float wrapper does need them, so the check above can fail.
        obj_f = os.path.join(self.tmp, "m0f.o")
        cx.run(["arm-none-eabi-gcc", *cx.STRICT, *M0, "-c", out + ".c", "-o", obj_f])
        self.assertIn("__aeabi_fmul", cx.undefined_symbols(obj_f, nm="arm-none-eabi-nm"))
        n = 400
        xs = cx.random_inputs(n, 5, seed=4, scale=1.0)
        host = os.path.join(self.tmp, "host")
        cx.build(self.tmp, "net", host, flags=["-O2"])
        self.assertEqual(self.run_on_arm("net", n, xs), cx.run_harness(host, xs, n))
