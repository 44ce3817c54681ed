"""An independent reading of the .nnet format (the ACAS Xu README's description) in plain
float64 Python: the reference the .nnet importer is checked against. Not mlp's code: a line
split and lists, no dependencies."""


def read_nnet(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("//") or not line.strip():
                continue
            rows.append([float(t) for t in line.strip().rstrip(",").split(",")])
    nlayers, nin, nout, _ = map(int, rows[0])
    sizes = list(map(int, rows[1]))
    mins, maxs, means, ranges = rows[3:7]
    i, layers = 7, []
    for k in range(nlayers):
        W = rows[i:i + sizes[k + 1]]
        i += sizes[k + 1]
        b = [r[0] for r in rows[i:i + sizes[k + 1]]]
        i += sizes[k + 1]
        layers.append((W, b))
    return dict(layers=layers, nin=nin, nout=nout, mins=mins, maxs=maxs, means=means,
                ranges=ranges)


def evaluate(net, x, normalize=False):
    """The outputs for one input vector: ReLU after every layer but the last; with normalize,
    inputs clamped to [min, max], then (x - mean) / range, and outputs y * range + mean."""
    nin = net["nin"]
    h = list(x)
    if normalize:
        h = [(min(max(v, lo), hi) - m) / r
             for v, lo, hi, m, r in zip(h, net["mins"], net["maxs"], net["means"], net["ranges"])]
    for k, (W, b) in enumerate(net["layers"]):
        h = [sum(w * v for w, v in zip(row, h)) + bias for row, bias in zip(W, b)]
        if k < len(net["layers"]) - 1:
            h = [max(v, 0.0) for v in h]
    if normalize:
        h = [v * net["ranges"][nin] + net["means"][nin] for v in h]
    return h
