#!/bin/sh
# The C-export benchmark: the generated 5-4-1 sigmoid network against FANN 2.2's fann_run in
# the same process (needs Debian's libfann-dev), and the size of the Fashion-MNIST model's code
# and data for a Cortex-M4 (needs gcc-arm-none-eabi). Run from the repository root after `make`:
#   sh bench/export/run.sh [CALLS]
set -eu
MLP=${MLP:-build/release/mlp}
OUT=${OUT:-build/bench-export}
mkdir -p "$OUT"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$MLP" export bench/export/sigmoid541.mlp --format c -o "$OUT/sig541"
if [ -f /usr/include/floatfann.h ]; then
    # The x86-64 baseline (SSE2), then with this CPU's instructions (AVX's three-operand forms
    # and broadcasts: fewer instructions, the same bits since ISO C contracts no multiply-add).
    for flags in "-O2" "-O2 -march=native"; do
        echo "== cc -std=c99 $flags"
        cc -std=c99 -D_POSIX_C_SOURCE=200809L $flags -Wall -Wextra -Werror -I "$OUT" bench/export/bench.c "$OUT/sig541.c" -o "$OUT/bench" -lfloatfann -lm
        "$OUT/bench" "${1:-2000000}"
    done
else
    echo "5-4-1 against FANN skipped: needs Debian's libfann-dev (apt-get install libfann-dev)"
fi


# Fashion-MNIST: timing on this machine, and code + data size for a Cortex-M4 (-Os).
"$MLP" export examples/fashion/mlp.mlp --format c -o "$OUT/ff"
"$MLP" export examples/fashion/mlp.mlp --format c -o "$OUT/fq" --quantize int8 --calibrate fashion-mnist
cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -I "$OUT" bench/export/fashion.c \
    "$OUT/ff.c" "$OUT/fq.c" -o "$OUT/fashion" -lm
"$OUT/fashion" "${2:-2000}"
if command -v arm-none-eabi-gcc >/dev/null; then
    for m in ff fq; do
        arm-none-eabi-gcc -std=c99 -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -Os \
            -c "$OUT/$m.c" -o "$OUT/$m-m4.o"
        arm-none-eabi-size "$OUT/$m-m4.o" | tail -1
    done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
