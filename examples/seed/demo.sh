#!/bin/sh
# The seed problems, answered by mlp (run by `make demo`).
set -e
MLP=${1:-build/release/mlp}
D=$(dirname "$0")
SPEC='y == 1 <=> x[0] > x[1] > x[2] > x[3] > x[4]'
# Bold commands on a terminal only: piped or redirected, the output is plain text.
if [ -t 1 ]; then BOLD=$(printf '\033[1m') PLAIN=$(printf '\033[0m'); else BOLD= PLAIN=; fi
# Echo a command as it would be typed: arguments with spaces or shell characters quoted.
say() {
    printf '\n%s$ mlp' "$BOLD"
    for a in "$@"; do
        case $a in
        *[\ \<\>\|\&\;\(\)\[\]\*\?\$]*) printf " '%s'" "$a" ;;
        *) printf ' %s' "$a" ;;
        esac
    done
    printf '%s\n' "$PLAIN"
}
run() { say "$@"; "$MLP" "$@"; }
check() { run "$@" || true; } # a command whose exit status 1 (a failed check) is the point

echo "== Problem 1: threshold network for x1 > x2 > x3 > x4 > x5 (ties give 0)"
run eval "$D/descending.mlp" --set 'x=[5, 4, 3, 2, 1]'
run eval "$D/descending.mlp" --set 'x=[5, 4, 4, 2, 1]'
run verify "$D/descending.mlp" --spec "$SPEC"
echo "   ... and the natural mistake, step(x[i] - x[i+1]), fires on ties:"
check verify "$D/../verify/descending-naive.mlp" --spec "$SPEC"

echo
echo "== Problem 2: sigmoid hidden units as tanh hidden units (W1/2, b1/2, W2/2, b2 + sum_j W2[:, j]/2)"
TMP=$(mktemp -d)
run convert "$D/sigmoid-mlp.mlp" --activation sigmoid=tanh -o "$TMP/tanh.mlp"
cat "$TMP/tanh.mlp"
run equiv "$D/sigmoid-mlp.mlp" "$TMP/tanh.mlp"
rm -rf "$TMP"

echo
echo "== Problem 3: which weight gradients are zero when h1's input is negative"
run zeros "$D/relu-net.mlp" --assume 'z1 < 0' --wrt w1,w2,w3

echo
echo "== Problem 4: the computation graph, the backpropagation equations, and x-bar"
run draw "$D/residual.mlp" --format mermaid
run derive "$D/residual.mlp" --wrt x
run grad "$D/residual.mlp" --wrt x --set 'x=[1, 2, 3]' --set 's=[0, 1, 0]'
run gradcheck "$D/residual.mlp" --set 'x=[1, 2, 3]' --set 's=[0, 1, 0]'
