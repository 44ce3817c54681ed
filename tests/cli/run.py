#!/usr/bin/env python3
"""Run the CLI tests: every tests/cli/test_*.py against the binary named by $MLP.

Each test module uses `mlptest` (the helpers in this folder): run the tool, check stdout,
stderr and the exit status. Prints one summary line: "cli: N tests, F failed".
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    os.chdir(os.path.dirname(os.path.dirname(HERE)))  # the repository root
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stderr).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"cli: {result.testsRun} tests, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
