"""The ONNX project's node tests (Debian libonnx-testdata) for every op mlp imports: each runs
through `mlp import`/`mlp eval` and is compared with its expected outputs
(tests/reference/onnx_node_tests.py; the list of tests that ran is in its output)."""
import os
import subprocess

from mlptest import MLP, MlpTestCase

RUNNER = "tests/reference/onnx_node_tests.py"


class NodeTests(MlpTestCase):
    def supported(self):
        # mlp names the ops it imports when it meets one it does not
        r = self.fails(2, "print", "tests/fuzz/corpus/onnx/unknown-op.onnx")
        return r.err.split("mlp imports ")[1].strip().replace(", ", ",")

    def test_node_tests(self):
        ok = subprocess.run(["/usr/bin/python3", "-c", "import onnx, numpy"],
                            capture_output=True).returncode == 0
        if not ok or not os.path.isdir("/usr/share/libonnx-testdata/data/node"):
            self.skipTest("needs Debian python3-onnx and libonnx-testdata (scripts/install-deps)")
        r = subprocess.run(["/usr/bin/python3", RUNNER, MLP, self.supported()],
                           capture_output=True, text=True, timeout=600)
        lines = r.stdout.strip().splitlines()
        print("\n" + lines[-2] + "\n" + lines[-1])  # which node tests ran and passed, and totals
        failed = [l for l in r.stdout.splitlines() if l.startswith("FAIL")]
        self.assertEqual(failed, [], r.stdout)
        self.assertEqual(r.returncode, 0, r.stderr)
        passed = [l.split()[1] for l in r.stdout.splitlines() if l.startswith("pass")]
        # the core of the MLP subset, each with at least one passing node test
        for test in ("test_gemm_default_no_bias", "test_matmul_2d", "test_relu", "test_sigmoid",
                     "test_tanh", "test_add_bcast", "test_softmax_example", "test_flatten_axis1",
                     "test_reshape_reordered_last_dims", "test_squeeze", "test_unsqueeze_axis_0",
                     "test_transpose_all_permutations_0", "test_constant", "test_dropout_default",
                     "test_identity", "test_exp", "test_log", "test_sub", "test_mul", "test_div",
                     "test_abs", "test_neg", "test_clip", "test_sum_two_inputs"):
            self.assertIn(test, passed, r.stdout)
