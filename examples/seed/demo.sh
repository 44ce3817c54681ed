#!/bin/sh
# The seed problems, answered by mlp (run by `make demo`).
set -e
MLP=${1:-build/release/mlp}
D=$(dirname "$0")
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "mlp $*"; "$MLP" "$@"; }

echo "== Problem 1: threshold network for x1 > x2 > x3 > x4 > x5 (ties give 0)"
run eval "$D/descending.mlp" --set 'x=[5, 4, 3, 2, 1]'
run eval "$D/descending.mlp" --set 'x=[5, 4, 4, 2, 1]'

echo
echo "== Problem 4: residual MLP, x-bar by the adjoint graph"
run grad "$D/residual.mlp" --wrt x --set 'x=[1, 2, 3]' --set 's=[0, 1, 0]'
run gradcheck "$D/residual.mlp" --set 'x=[1, 2, 3]' --set 's=[0, 1, 0]'
