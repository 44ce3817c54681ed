"""The workloads table of bench/compare.py: where overheads rule (single samples, small layers,
a whole training epoch, batched evaluation), mlp against FANN 2.2 and PyTorch in the same run.

Every row is measured `repeats` times with mlp and its peer alternating (who goes first
alternates too), and reports medians over the repeats. mlp's side runs in mlp-bench processes
(data loaded once per process, outside the timing); PyTorch's in this process, its data loaded
once, outside the timing.
"""
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# MLP_BENCH_CLOCK=cpu: both sides timed by this thread's CPU time (mlp-bench: its thread's; the
# epoch: its process's, one thread), so that time other processes had the cores does not count.
CPU_CLOCK = os.environ.get("MLP_BENCH_CLOCK") == "cpu"
clock = time.thread_time if CPU_CLOCK else time.perf_counter
EPOCH_TIME = "cpu_s" if CPU_CLOCK else "seconds"
FASHION_MODEL = os.path.join(ROOT, "examples/fashion/mlp.mlp")


def run_json(exe, *args):
    """Run mlp-bench; its stdout is one JSON object per line."""
    out = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare.py: {exe} {' '.join(map(str, args))} failed:\n{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def best_of(fn, trial):
    """Seconds per call of fn: the best of 5 trials of about `trial` seconds (as mlp-bench)."""
    fn()
    t0 = clock()
    fn()
    once = clock() - t0
    reps = int(trial / once) + 1 if once > 0 else 1000
    per = []
    for _ in range(5):
        t0 = clock()
        for _ in range(reps):
            fn()
        per.append((clock() - t0) / reps)
    return min(per)


def alternate(repeats, mlp, peer):
    """Median seconds of mlp() and peer() over `repeats` rounds, in turns; and the median of
    the rounds' ratios peer / mlp (each round's pair ran under about the same load)."""
    a, b = [], []
    for r in range(repeats):
        if r % 2 == 0:
            a.append(mlp())
            b.append(peer())
        else:
            b.append(peer())
            a.append(mlp())
    ratio = statistics.median(y / x for x, y in zip(a, b))
    return statistics.median(a), statistics.median(b), a, b, ratio


# ---- residual MLP (seed problem 4) at N = 64, K = 32 ----

def torch_residual(batch):
    torch.manual_seed(1)
    x = torch.randn(batch, 64, requires_grad=True)
    s = torch.randn(batch, 64)
    l1, l2 = torch.nn.Linear(64, 32), torch.nn.Linear(32, 64)
    r = torch.full((32,), 0.25)

    def step():  # L summed over the batch, as mlp's session gradients are; dL/dx too
        x.grad = None
        for p in (*l1.parameters(), *l2.parameters()):
            p.grad = None
        h = torch.sigmoid(l1(x))
        y = x + l2(h)
        (0.5 * ((y - s) ** 2).sum() + (h @ r).sum()).backward()
    return step


# ---- Fashion-MNIST ----

def fashion():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    from fashion_vs_torch import load
    return load("train"), load("t10k")


def torch_net():
    layers = [torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
              torch.nn.ReLU(), torch.nn.Linear(128, 10)]
    for layer in layers[::2]:
        torch.nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
    return torch.nn.Sequential(*layers)


def torch_epoch(data, seed):
    """One epoch of SGD (lr 0.05, batch 128, mean cross-entropy) and the test evaluation."""
    (xtr, ytr), (xte, yte) = data
    torch.manual_seed(seed)
    net = torch_net()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    t0 = clock()
    perm = torch.randperm(len(xtr))
    for k in range(0, len(xtr), 128):
        i = perm[k:k + 128]
        opt.zero_grad()
        F.cross_entropy(net(xtr[i]), ytr[i]).backward()
        opt.step()
    with torch.no_grad():
        (net(xte).argmax(1) == yte).float().mean().item()
    return clock() - t0


def torch_eval(data, trial):
    """model(x) over the test set under no_grad, with the loss and accuracy (what mlp eval
    --metrics computes and prints)."""
    _, (xte, yte) = data
    torch.manual_seed(1)
    net = torch_net()

    def run():
        with torch.no_grad():
            logits = net(xte)
            loss = F.cross_entropy(logits, yte).item()
            acc = (logits.argmax(1) == yte).float().mean().item()
        return loss, acc
    return best_of(run, trial)


def single_instructions(exe):
    """Instructions per call of each single-sample contender, counted by callgrind (they do not
    depend on the load, unlike times): {function name: instructions}; {} without valgrind."""
    reps, rounds = 2000, 7  # bench.h: ROUNDS rounds of MLP_BENCH_REPS calls each
    out = "/tmp/mlp-bench-single.callgrind"
    try:
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", exe,
                        "single"], env=dict(os.environ, MLP_BENCH_REPS=str(reps)),
                       capture_output=True, check=True)
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    counts = {}
    for line in text.splitlines():
        parts = line.split()
        for fn in ("fwd_by_handle", "fwd_by_name", "fann_fwd", "step_by_handle", "fann_step"):
            if len(parts) >= 3 and parts[2].endswith(":" + fn):
                counts[fn] = int(parts[0].replace(",", "")) / (reps * rounds)
    os.remove(out)
    return counts


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def row(name, mlp_s, peer_s, peer, unit, ratio=None):
    """A table row; ratio is the median of per-round ratios (default: of the medians)."""
    scale = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1}[unit]
    ratio = peer_s / mlp_s if ratio is None else ratio
    return (f"| {name:<52} | {mlp_s * scale:10.3f} {unit:<2} | {peer_s * scale:10.3f} {unit:<2} | "
            f"{peer:<15} | {ratio:6.2f}x |")


def workloads(exe, repeats, trial, skip_fashion=False, only_fashion=False):
    """Measure every workload; print the table; return the measurements."""
    env_trial = str(trial)
    os.environ["MLP_BENCH_SECONDS"] = env_trial
    results = {"load_before": load_average()}
    print(f"load average before: {results['load_before']}; {repeats} repeats, mlp and peer "
          f"alternating; medians; ratio = median over the repeats of peer time / mlp time "
          f"(above 1: mlp is faster)\n")
    lines = ["| workload                                             |   mlp (median) |  peer (median) "
             "| peer            |  ratio |",
             "|------------------------------------------------------|----------------|----------------"
             "|-----------------|--------|"]
    if CPU_CLOCK:
        print("times: CPU time of the timing thread (MLP_BENCH_CLOCK=cpu), both sides\n")
    if not only_fashion:
        small_workloads(exe, repeats, trial, lines, results)
    return fashion_workloads(exe, repeats, trial, skip_fashion, lines, results)


def small_workloads(exe, repeats, trial, lines, results):
    """The 5-4-1 single-sample rows against FANN and the residual MLP against PyTorch."""
    # Single samples: mlp-bench measures mlp and FANN in turns inside one process.
    runs = [run_json(exe, "single") for _ in range(repeats)]
    med = {}
    for r in runs[0]:
        key = (r["case"], r["who"])
        med[key] = statistics.median(x["median_ns"] for run in runs for x in run
                                     if (x["case"], x["who"]) == key) * 1e-9
    results["single"] = {f"{c} {w}": v for (c, w), v in med.items()}

    def per_run_ratio(case, ours, theirs):
        def get(run, who):
            return next(x["median_ns"] for x in run if (x["case"], x["who"]) == (case, who))
        return statistics.median(get(run, theirs) / get(run, ours) for run in runs)
    if ("forward", "fann") in med:
        for name, case, ours, peer in (
                ("5-4-1 sigmoid, 1 sample, forward (handle API)", "forward", "mlp handle",
                 "FANN fann_run"),
                ("5-4-1 sigmoid, 1 sample, forward (API by name)", "forward", "mlp by name",
                 "FANN fann_run"),
                ("5-4-1 sigmoid, 1 sample, SGD step (handle API)", "step", "mlp handle",
                 "FANN fann_train")):
            lines.append(row(name, med[(case, ours)], med[(case, "fann")], peer, "ns",
                             per_run_ratio(case, ours, "fann")))
        counts = single_instructions(exe)
        results["single_instructions"] = counts
        if counts:
            lines.append(f"| 5-4-1, instructions per call (callgrind): forward "
                         f"{counts['fwd_by_handle']:.0f} vs {counts['fann_fwd']:.0f}, by name "
                         f"{counts['fwd_by_name']:.0f}; step {counts['step_by_handle']:.0f} vs "
                         f"{counts['fann_step']:.0f} |")
    else:
        lines.append("| 5-4-1 single-sample rows: mlp-bench was built without FANN "
                     "(apt-get install libfann-dev) |")
    # Residual MLP.
    step = torch_residual(256)
    m, t, ms, ts, q = alternate(repeats,
                                lambda: run_json(exe, "residual", 256)[0]["best_us"] * 1e-6,
                                lambda: best_of(step, trial))
    results["residual"] = {"mlp_s": ms, "torch_s": ts}
    lines.append(row("residual N=64 K=32, batch 256, fwd+bwd incl. dL/dx", m, t, "PyTorch", "us",
                     q))


def fashion_workloads(exe, repeats, trial, skip_fashion, lines, results):
    """The Fashion-MNIST epoch (1 and 2 threads) and evaluation rows; prints the table."""
    if not skip_fashion:
        data = fashion()
        epochs = []
        m, t, ms, ts, q = alternate(repeats, lambda: epochs.append(
            run_json(exe, "epoch", FASHION_MODEL, 1)[0]) or epochs[-1][EPOCH_TIME],
            lambda: torch_epoch(data, 1))
        results["epoch"] = {"mlp_s": ms, "torch_s": ts, "mlp_runs": epochs}
        lines.append(row("Fashion-MNIST epoch, SGD, batch 128, + test eval", m, t, "PyTorch", "s",
                         q))
        two = [run_json(exe, "epoch", FASHION_MODEL, 2)[0] for _ in range(max(1, repeats // 2))]
        results["epoch_2threads"] = two
        m2 = statistics.median(e["seconds"] for e in two)
        m1 = statistics.median(e["seconds"] for e in epochs)  # wall time: 2 threads' CPU adds up
        lines.append(row("  same, mlp --threads 2 (peer: mlp 1 thread), wall", m2, m1,
                         "mlp 1 thread", "s"))
        same = len({e["weights_hash"] for e in epochs + two}) == 1
        m, t, ms, ts, q = alternate(repeats, lambda: run_json(exe, "eval", FASHION_MODEL)[0]
                                    ["best_ms"] * 1e-3, lambda: torch_eval(data, trial))
        results["eval"] = {"mlp_s": ms, "torch_s": ts}
        lines.append(row("evaluate 10,000 test images (loss, accuracy)", m, t, "PyTorch no_grad",
                         "ms", q))
    print("\n".join(lines))
    if not skip_fashion:
        phases = ("shuffle_s", "gather_s", "pass_s", "tally_s", "update_s", "test_s")
        mid = sorted(epochs, key=lambda e: e["seconds"])[len(epochs) // 2]
        print(f"\nmlp's epoch (median run, {mid['seconds']:.3f} s): " + ", ".join(
            f"{p[:-2]} {mid[p]:.3f} s ({100 * mid[p] / mid['seconds']:.1f}%)" for p in phases))
        print(f"trained weights on 1 and 2 threads: "
              f"{'bit-identical' if same else 'DIFFERENT'} (hash {mid['weights_hash']})")
    results["load_after"] = load_average()
    print(f"load average after: {results['load_after']}")
    return results
