#!/bin/sh
# Time `mlp verify` on random ReLU networks over x in [-1, 1]^n (bench/verify_random_net.py)
# and, for comparison, Z3 alone on the whole network (relu as ite, one query).
#   sh bench/verify_scaling.sh [build/release/mlp]
# Prints CPU seconds (user) per run. Timings on a loaded machine are noisy. Over this bounded
# box `mlp verify` uses the branch and bound (docs/verify.md); run an older build for the
# region enumeration.
set -eu
MLP=${1:-build/release/mlp}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc bench/z3_check.c -lz3 -o "$T/z3_check"
run() { # name, command...
    name=$1; shift
    /usr/bin/time -f "%U" -o "$T/time" "$@" > "$T/out" 2>&1 || true
    printf '%-40s %6ss  %s\n' "$name" "$(tail -1 "$T/time")" "$(head -1 "$T/out" | cut -c1-90)"
}
for cfg in "2 8,8 1 1" "3 10,10 2 1" "3 10,10 2 100" "4 12,12 3 100" "4 12,12 3 6" "4 12,12 3 7" \
           "4 24,24 3 7" "5 50,50 4 10"; do
    set -- $cfg
    python3 bench/verify_random_net.py "$1" "$2" "$3" > "$T/net.mlp"
    python3 bench/verify_random_net.py "$1" "$2" "$3" --smt2 "$4" > "$T/net.smt2"
    run "mlp verify in=$1 hidden=$2 y<=$4" "$MLP" verify "$T/net.mlp" --spec "y <= $4" --bounds 'x in [-1, 1]'
    run "z3 alone   in=$1 hidden=$2 y<=$4" timeout 120 "$T/z3_check" "$T/net.smt2"
done
