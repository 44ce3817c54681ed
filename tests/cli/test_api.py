"""The C API example program, and `make install` with pkg-config."""
import os
import subprocess
import unittest

from mlptest import MlpTestCase

BUILD = os.environ.get("BUILD", os.path.abspath("build/release"))


class Example(MlpTestCase):
    def test_residual_grad_example(self):
        exe = os.path.join(BUILD, "examples", "residual_grad")
        r = subprocess.run([exe, "examples/seed/residual.mlp"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Sample 0 is the seed example's x = [1, 2, 3], s = [0, 1, 0].
        self.assertIn("sample 0: L = 6.203441  xbar = [1.573724, 1.323356, 2.785695]", r.stdout)
        bad = subprocess.run([exe, "no-such.mlp"], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("no-such.mlp: error: cannot read model", bad.stderr)


@unittest.skipIf("san" in os.path.basename(BUILD), "installs the release build only")
class Install(MlpTestCase):
    def test_install_and_pkg_config(self):
        dest = os.path.join(self.tmp, "root")
        r = subprocess.run(["make", "-s", "install", f"BUILD={BUILD}", "PREFIX=/usr/local",
                            f"DESTDIR={dest}"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        prefix = os.path.join(dest, "usr/local")
        for f in ["bin/mlp", "lib/libmlp.a", "lib/libmlp.so", "include/mlp.h",
                  "lib/pkgconfig/mlp.pc"]:
            self.assertTrue(os.path.exists(os.path.join(prefix, f)), f)
        pc = open(os.path.join(prefix, "lib/pkgconfig/mlp.pc")).read()
        self.assertIn("Libs: -L${libdir} -lmlp", pc)
        # Build the example against the installed header and shared library via pkg-config.
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib/pkgconfig"),
                   PKG_CONFIG_SYSROOT_DIR=dest)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "mlp"], env=env,
                               capture_output=True, text=True)
        self.assertEqual(flags.returncode, 0, flags.stderr)
        exe = os.path.join(self.tmp, "example")
        libdir = os.path.join(prefix, "lib")
        cc = subprocess.run(["cc", "-std=c11", "examples/api/residual_grad.c", "-o", exe,
                             *flags.stdout.split(), f"-Wl,-rpath,{libdir}"],
                            capture_output=True, text=True)
        self.assertEqual(cc.returncode, 0, cc.stderr)
        r = subprocess.run([exe, "examples/seed/residual.mlp"], capture_output=True, text=True)
        self.assertIn("xbar = [1.573724, 1.323356, 2.785695]", r.stdout)
