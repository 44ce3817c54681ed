#!/bin/sh
# memcheck.sh BUILD - run the unit tests and CLI commands (good input and bad) under valgrind:
# any leak of mlp's (definite, indirect or possible), invalid access or uninitialised read fails.
# Blocks still reachable at exit are not leaks and do not count: libz3 keeps some from load
# time that no program can free (see tests/valgrind.supp for what is suppressed beyond that). `make memcheck` runs it on the release
# build (the ASan+UBSan build of `make check` also finds leaks, through LeakSanitizer; valgrind
# checks the uninstrumented binary and uninitialised reads, which ASan does not).
set -u
BUILD=${1:-build/release}
MLP=$BUILD/mlp
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --suppressions=tests/valgrind.supp"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RES=examples/seed/residual.mlp
printf 'x[0],x[1],x[2],s[0],s[1],s[2]\n1,2,3,0,1,0\n-1,0.5,2,1,1,1\n' > "$TMP/d.csv"
printf 'x[0],x[1]\n1,nan\n' > "$TMP/bad.csv"
printf 'input x[3]\nparam W[2,3] = [[1, 2, 3], [4,' > "$TMP/trunc.mlp"
printf 'x,y\n1,2\n2,4\n3,6\n' > "$TMP/lin.csv"
printf 'input x\ninput y\nparam w = 0.5\nparam u = 1\nL = squared_error(w * x + 0 * u, y)\nloss L\n' > "$TMP/u.mlp"
printf 'input x\ninput c\nparam W[3] = [1, 2, 3]\nL = softmax_xent(W * x, c + 2)\nloss L\n' > "$TMP/c.mlp"
printf 'x,c\n1,0\n2,1\n' > "$TMP/c.csv"
printf '"x[0]","x[1]",x[2],"s[0]",s[1],s[2]\n"1",2,3,0,1,0\n' > "$TMP/q.csv"
printf 'x[0],"x[1],x[2]\n1,2,3\n' > "$TMP/qbad.csv"
failed=0
run() { # expected-status command...
    want=$1
    shift
    $VG "$@" > "$TMP/out" 2> "$TMP/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "memcheck: FAILED (status $rc, expected $want): $*"
        sed 's/^/  /' "$TMP/err" | head -30
        failed=1
    fi
}
run 0 "$BUILD/unit-tests" ${UNIT_FILTER:-}
run 0 "$MLP" eval $RES --set 'x=[1,2,3]' --set 's=[0,1,0]'
run 0 "$MLP" eval $RES --data "$TMP/d.csv" --json --dtype f32
run 0 "$MLP" grad $RES --wrt x,W1,b2 --data "$TMP/d.csv"
run 0 "$MLP" gradcheck $RES --max-checks 4
run 0 "$MLP" print examples/seed/descending.mlp --values --set b2=1
run 2 "$MLP" eval $RES --data "$TMP/bad.csv"
run 2 "$MLP" eval "$TMP/trunc.mlp"
run 2 "$MLP" grad $RES --wrt x,x --set x=1 --set s=1
run 2 "$MLP" gradcheck $RES --wrt ,
run 2 "$MLP" eval $RES --set x=1 --set x=2
run 2 "$MLP" print "$TMP"
run 0 "$MLP" train "$TMP/u.mlp" --data "$TMP/lin.csv" --label y --epochs 3 --log "$TMP/l.csv" \
    --plot "$TMP/p.svg" --save "$TMP/w.st"
run 1 "$MLP" train "$TMP/u.mlp" --data "$TMP/lin.csv" --label y --epochs 100 --lr 10
run 2 "$MLP" train "$TMP/u.mlp" --data "$TMP/lin.csv" --label y --save "$TMP/u.mlp"
run 2 "$MLP" eval "$TMP/c.mlp" --data "$TMP/c.csv"
run 2 "$MLP" train "$TMP/c.mlp" --data "$TMP/c.csv" --label c
run 0 "$MLP" eval $RES --data "$TMP/q.csv"
run 2 "$MLP" eval $RES --data "$TMP/qbad.csv" --set s=0
run 2 "$MLP" train "$TMP/u.mlp" --data "$TMP/lin.csv" --label y --json --save -
if [ $failed -eq 0 ]; then echo "memcheck: unit tests and 19 CLI runs clean under valgrind"; fi
exit $failed
