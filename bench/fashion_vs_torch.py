#!/usr/bin/python3
"""Train the Fashion-MNIST MLP with mlp and with PyTorch in one run; print both side by side.

    /usr/bin/python3 bench/fashion_vs_torch.py [--epochs 10] [--threads 1] [--mlp build/release/mlp]

Both sides train examples/fashion/mlp.mlp's network (784-256-128-10, ReLU) the same way:
  - initialisation: weights He-uniform, U(-sqrt(6/fan_in), sqrt(6/fan_in)) (torch's
    kaiming_uniform_(nonlinearity='relu')), biases zero; each side draws from its own generator;
  - data: Debian's dataset-fashion-mnist, pixels / 255, shuffled every epoch, last partial
    batch kept (torch's DataLoader defaults);
  - loss: softmax cross-entropy, mean over the batch (torch's CrossEntropyLoss default, and
    mlp's convention: the per-sample loss averaged over each minibatch);
  - optimizer: Adam, lr 1e-3, betas (0.9, 0.999), eps 1e-8, batch 128;
  - threads: torch.set_num_threads(N) and mlp train --threads N.
Wall time counts training and the per-epoch test evaluation on both sides, not data loading.
Needs python3-torch and python3-numpy (Debian packages). Never run by the tests.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        blob = f.read()
    ndims = blob[3]
    dims = [int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(ndims)]
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * ndims).reshape(dims)


def load(split):
    x = idx(f"{DATA}/{split}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    y = idx(f"{DATA}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def run_torch(epochs, batch, seed):
    torch.manual_seed(seed)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    layers = [torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
              torch.nn.ReLU(), torch.nn.Linear(128, 10)]
    for layer in layers[::2]:
        torch.nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    lossf = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    start, accs = time.perf_counter(), []
    for _ in range(epochs):
        perm = torch.randperm(len(xtr), generator=gen)
        for k in range(0, len(xtr), batch):
            idx_ = perm[k:k + batch]
            opt.zero_grad()
            loss = lossf(net(xtr[idx_]), ytr[idx_])
            loss.backward()
            opt.step()
        with torch.no_grad():
            accs.append((net(xte).argmax(1) == yte).float().mean().item())
    return time.perf_counter() - start, accs


def run_mlp(exe, epochs, batch, seed, threads):
    cmd = [exe, "train", os.path.join(ROOT, "examples/fashion/mlp.mlp"), "--data", "fashion-mnist",
           "--epochs", str(epochs), "--batch", str(batch), "--optimizer", "adam", "--lr", "1e-3",
           "--seed", str(seed), "--threads", str(threads), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    eps = json.loads(out)["epochs"]
    # Each epoch's seconds cover its training and its test evaluation, as on the torch side.
    return sum(e["seconds"] for e in eps), [e["test_acc"] for e in eps], cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mlp", default=os.path.join(ROOT, "build/release/mlp"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    samples = 60000 * a.epochs
    m_secs, m_accs, cmd = run_mlp(a.mlp, a.epochs, a.batch, a.seed, a.threads)
    t_secs, t_accs = run_torch(a.epochs, a.batch, a.seed)
    print(f"Fashion-MNIST 784-256-128-10 ReLU, Adam lr 1e-3, batch {a.batch}, {a.epochs} epochs, "
          f"{a.threads} thread(s), {os.cpu_count()} CPUs")
    print(f"mlp command: {' '.join(cmd)}")
    print(f"{'':8}{'wall s':>10}{'samples/s':>12}{'test acc':>10}")
    for name, secs, accs in (("mlp", m_secs, m_accs), ("pytorch", t_secs, t_accs)):
        print(f"{name:8}{secs:10.1f}{samples / secs:12.0f}{100 * accs[-1]:9.2f}%")
    print(f"mlp / pytorch wall time: {m_secs / t_secs:.2f}")
    print("test accuracy per epoch (mlp):     " + " ".join(f"{100 * v:.2f}" for v in m_accs))
    print("test accuracy per epoch (pytorch): " + " ".join(f"{100 * v:.2f}" for v in t_accs))


if __name__ == "__main__":
    sys.exit(main())
