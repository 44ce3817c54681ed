#!/usr/bin/python3
"""mlp against its peers in the same run, where overheads rule and where GEMMs do.

    make bench                       # builds build/release/mlp-bench, then runs this
    /usr/bin/python3 bench/compare.py --bench build/release/mlp-bench [--threads 1] [--only ...]

The workloads table (default): a 5-4-1 sigmoid net one sample at a time against FANN 2.2 (in
one process, in turns: mlp-bench single), the seed's residual MLP at N = 64, K = 32, batch 256
(forward + backward with dL/dx), one Fashion-MNIST epoch (784-256-128-10, SGD, batch 128, test
evaluation included; with where mlp's time went, and the same epoch on two threads, whose
weights must hash equal), and evaluation of the 10,000 test images, against PyTorch. Each is
measured --repeats times, mlp and the peer alternating (and alternating who goes first); the
table gives medians and the ratio peer time / mlp time (above 1: mlp is faster). The load
average is printed before and after: on a shared machine absolute times are pessimistic and
ratios are what a run can show; MLP_BENCH_CLOCK=cpu times both sides by CPU time instead.
`--only fashion` runs the Fashion-MNIST rows alone; `--only gemm` and `--only mlp` give the GEMM
and MLP-step table.

Both sides are timed the same way: one warm-up call, then 5 trials of as many calls as fill
MLP_BENCH_SECONDS (default 0.1 s); the table shows the best trial's time per call (the median is
in --json output). Both use --threads threads (default 1): mlp_session_set_threads and
torch.set_num_threads. PyTorch's GEMM is whatever BLAS its process loads (printed in the header:
Debian's python3-torch uses the system libblas.so.3, the reference BLAS unless OpenBLAS is
installed; LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread selects OpenBLAS, with
OPENBLAS_NUM_THREADS set to the same count). Needs Debian's python3-torch; used only for
benchmarks, never by tests.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# One thread for PyTorch's BLAS too (OpenBLAS keeps its own pool): set before torch loads it.
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, _threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TRIALS = 5

# (M, K, N, transposes): the products of one training step of the 784-256-128-10 MLP at batch
# 128, in the layouts it uses them (forward X W^T, input gradient dY W, weight gradient dY^T X),
# and each size plain (NN).
GEMM_CASES = [
    (128, 784, 256, "NN"), (128, 256, 128, "NN"), (256, 128, 784, "NN"),
    (128, 784, 256, "NT"), (128, 256, 128, "NT"), (256, 128, 784, "TN"), (128, 256, 128, "TN"),
]


def seconds():
    return float(os.environ.get("MLP_BENCH_SECONDS", "0.1"))


def time_calls(fn):
    """Best and median seconds per call, measured like mlp-bench does."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    reps = int(seconds() / once) + 1 if once > 0 else 1000
    per = []
    for _ in range(TRIALS):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        per.append((time.perf_counter() - t0) / reps)
    return min(per), statistics.median(per)


def torch_gemm(m, k, n, trans, dtype):
    g = torch.Generator().manual_seed(1)
    a = torch.randn((k, m) if trans[0] == "T" else (m, k), dtype=dtype, generator=g)
    b = torch.randn((n, k) if trans[1] == "T" else (k, n), dtype=dtype, generator=g)
    a = a.t() if trans[0] == "T" else a  # a view: BLAS reads it with its transpose flag
    b = b.t() if trans[1] == "T" else b
    out = torch.empty((m, n), dtype=dtype)
    return time_calls(lambda: torch.mm(a, b, out=out))


def torch_mlp(batch, dtype):
    """Forward, and forward + backward, of the same network and loss as mlp-bench's model."""
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10)).to(dtype)
    x = torch.rand(batch, 784, dtype=dtype)
    t = F.one_hot(torch.randint(0, 10, (batch,)), 10).to(dtype)

    def loss():  # summed over the batch, as mlp's session gradients are
        return -(F.log_softmax(net(x), dim=1) * t).sum()

    def forward():
        with torch.no_grad():
            loss()

    def step():
        for p in net.parameters():
            p.grad = None
        loss().backward()

    return time_calls(forward), time_calls(step)


def run_mlp_bench(exe, *args):
    env = dict(os.environ, MLP_BENCH_SECONDS=str(seconds()))
    out = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"compare.py: {exe} {' '.join(map(str, args))} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def torch_blas():
    """The BLAS library PyTorch's process has loaded (Debian's torch uses the system libblas)."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(libs)) or "none found"


def machine():
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs"


def row(name, dtype, flops, mlp_s, torch_s):
    def gf(s):
        return f"{flops / s * 1e-9:8.1f}" if flops else "       -"
    return (f"| {name:<34} | {dtype} | {mlp_s * 1e3:9.3f} | {gf(mlp_s)} | {torch_s * 1e3:9.3f} | "
            f"{gf(torch_s)} | {torch_s / mlp_s:6.2f}x |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default="build/release/mlp-bench", help="the mlp-bench program")
    ap.add_argument("--threads", type=int, default=1, help="threads for both (default 1)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--only", choices=("workloads", "fashion", "gemm", "mlp", "all"),
                    default="workloads", help="the workloads table (default), its Fashion-MNIST "
                    "rows alone, the GEMMs, the MLP step, or all")
    ap.add_argument("--repeats", type=int, default=5, help="rounds of each workload (default 5)")
    ap.add_argument("--no-fashion", action="store_true", help="skip the Fashion-MNIST rows")
    ap.add_argument("--dtype", choices=("f32", "f64"), help="run only this element type")
    ap.add_argument("--json", help="also write every measurement to this file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    print(f"machine: {machine()}")
    print(f"mlp: {args.threads} thread(s); PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s), "
          f"BLAS {torch_blas()}")
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    if args.only in ("workloads", "fashion", "all"):
        from workloads import workloads
        results.append(workloads(args.bench, args.repeats, seconds(), args.no_fashion,
                                 args.only == "fashion"))
        if args.only in ("workloads", "fashion"):
            return finish(args, results)
        print()
    print(f"time per call: best of {TRIALS} trials of {seconds()} s; speedup = PyTorch time / mlp time\n")
    print("| case                               | dtype | mlp ms    | GFLOP/s  | torch ms  | GFLOP/s  | speedup |")
    print("|------------------------------------|-------|-----------|----------|-----------|----------|---------|")
    for dtype_name, dtype in (("f32", torch.float32), ("f64", torch.float64)):
        if args.dtype and dtype_name != args.dtype:
            continue
        for m, k, n, trans in GEMM_CASES if args.only in ("gemm", "all") else []:
            ours = run_mlp_bench(args.bench, "gemm", dtype_name, trans, m, k, n, args.threads)
            best, median = torch_gemm(m, k, n, trans, dtype)
            ours.update(torch_best_ms=best * 1e3, torch_median_ms=median * 1e3)
            results.append(ours)
            name = f"gemm {trans} {m}x{k}x{n} ({ours['isa']})"
            print(row(name, dtype_name, 2.0 * m * k * n, ours["best_ms"] * 1e-3, best))
        if args.only == "gemm":
            continue
        ours = run_mlp_bench(args.bench, "mlp", dtype_name, args.batch, args.threads)
        (fb, fm), (sb, sm) = torch_mlp(args.batch, dtype)
        ours.update(torch_forward_ms=fb * 1e3, torch_forward_median_ms=fm * 1e3,
                    torch_step_ms=sb * 1e3, torch_step_median_ms=sm * 1e3)
        results.append(ours)
        layers = 784 * 256 + 256 * 128 + 128 * 10
        f_flops = 2.0 * args.batch * layers
        s_flops = 2.0 * args.batch * (2 * layers + 256 * 128 + 128 * 10)
        print(row(f"MLP forward, batch {args.batch}", dtype_name, f_flops,
                  ours["forward_ms"] * 1e-3, fb))
        print(row(f"MLP forward+backward, batch {args.batch}", dtype_name, s_flops,
                  ours["step_ms"] * 1e-3, sb))
    finish(args, results)


def finish(args, results):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
