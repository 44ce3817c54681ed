#!/usr/bin/python3
"""Run `mlp verify NET --vnnlib PROP` on the ACAS Xu benchmark and compare with expected.csv.

    /usr/bin/python3 bench/acasxu.py [--mlp build/release/mlp] [--timeout S] [--filter TEXT]
                                     [--nets DIR] [--csv OUT.csv] [--limit N]

Each instance of instances.csv (network, property, the competition's timeout) is run with
`--timeout` = the competition's (or --timeout S if smaller) and `--json`; the CSV has
instance, answer, expected, seconds (wall, the whole process), sub-problems, CPU seconds
(user + system: what the instance cost on a shared machine). The summary
compares with VNN-COMP 2021 (nnenum: 186/186, median 1.2 s, total 285 s). By default the
networks are the benchmark's .onnx files; --nets DIR takes DIR/NAME.mlp (or .nnet) instead.
"""
import argparse, csv, json, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "shared", "benchmarks", "acasxu")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlp", default=os.path.join(HERE, "..", "build", "release", "mlp"))
    ap.add_argument("--bench", default=BENCH)
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--filter", default="")
    ap.add_argument("--nets", default=None, help="folder of NAME.mlp or NAME.nnet networks")
    ap.add_argument("--csv", default="acasxu-results.csv")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    expected = {}
    with open(os.path.join(a.bench, "expected.csv")) as f:
        for row in csv.DictReader(f):
            expected[(os.path.basename(row["onnx"]), os.path.basename(row["vnnlib"]))] = row
    rows = []
    with open(os.path.join(a.bench, "instances.csv")) as f:
        for net, prop, tmo in csv.reader(f):
            if a.filter in f"{net},{prop}":
                rows.append((net, prop, float(tmo)))
    if a.limit:
        rows = rows[:a.limit]
    out = []
    for net, prop, tmo in rows:
        tmo = min(tmo, a.timeout) if a.timeout else tmo
        path = os.path.join(a.bench, "onnx", net)
        if a.nets:
            base = os.path.join(a.nets, net[:-len(".onnx")])
            path = base + ".mlp" if os.path.exists(base + ".mlp") else base + ".nnet"
        cmd = [a.mlp, "verify", path, "--vnnlib", os.path.join(a.bench, "vnnlib", prop),
               "--timeout", str(tmo), "--json"]
        t0 = time.monotonic()
        c0 = os.times()
        p = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.monotonic() - t0
        c1 = os.times()
        cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
        try:
            r = json.loads(p.stdout)
            answer, boxes = r["result"], r["boxes"]
        except (ValueError, KeyError):
            answer, boxes = "error", 0
            sys.stderr.write(f"{net} {prop}: exit {p.returncode}: {p.stderr.strip()}\n")
        exp = expected[(net, prop)]["expected"]
        out.append({"instance": f"{net[:-5]},{prop[:-7]}", "answer": answer, "expected": exp,
                    "seconds": f"{secs:.3f}", "sub_problems": boxes, "cpu_seconds": f"{cpu:.3f}",
                    "nnenum_seconds": expected[(net, prop)]["nnenum_2021_seconds"]})
        flag = "" if answer == exp else "  <-- WRONG" if answer in ("holds", "violated") else ""
        print(f"{net[:-5]:32} {prop[:-7]:8} {answer:9} {exp:9} {secs:8.3f} s {cpu:8.3f} cpu s "
              f"{boxes:8}{flag}", flush=True)
    with open(a.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)
    summary(out)


def summary(out):
    n = len(out)
    right = sum(r["answer"] == r["expected"] for r in out)
    wrong = sum(r["answer"] in ("holds", "violated") and r["answer"] != r["expected"] for r in out)
    unknown = n - right - wrong
    secs = [float(r["seconds"]) for r in out]
    cpu = [float(r["cpu_seconds"]) for r in out]
    solved = [float(r["seconds"]) for r in out if r["answer"] == r["expected"]]
    print()
    print(f"{'':24} {'solved':>8} {'wrong':>6} {'unknown':>8} {'median s':>9} {'total s':>8}")
    print(f"{'mlp verify, wall':24} {right:>5}/{n:<3} {wrong:>5} {unknown:>8} "
          f"{statistics.median(secs):9.3f} {sum(secs):8.1f}")
    print(f"{'mlp verify, CPU':24} {'':>8} {'':>6} {'':>8} {statistics.median(cpu):9.3f} "
          f"{sum(cpu):8.1f}")
    print(f"{'nnenum, VNN-COMP 2021':24} {'186/186':>8} {0:>6} {0:>8} {1.2:9.3f} {285:8.1f}")
    slow = sorted(out, key=lambda r: -float(r["seconds"]))[:5]
    print("slowest: " + ", ".join(f"{r['instance']} {float(r['seconds']):.1f} s ({r['answer']})"
                                  for r in slow))
    if solved:
        print(f"median of the solved: {statistics.median(solved):.3f} s")


if __name__ == "__main__":
    main()
