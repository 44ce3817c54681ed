/* parts.h - dividing elementwise work (an optimizer step, copying a batch) over the threads of
 * a plan's GEMM context: each element goes to one part, decided by the part number alone, and
 * gets the same arithmetic whichever part it is in, so results do not depend on the count. */
#ifndef MLP_TRAIN_PARTS_H
#define MLP_TRAIN_PARTS_H

#include <stdint.h>

/* Elements [*lo, *hi) of n for part `part` of `parts`: equal shares in whole 64-byte lines of
 * floats (16), so no two threads write one line; under `min` elements part 0 takes them all
 * (waking a thread costs more than it saves). */
static inline void mlp_part_range(int64_t n, int part, int parts, int64_t min, int64_t *lo,
                                  int64_t *hi)
{
    int64_t per = n < min ? n : ((n + parts - 1) / parts + 15) / 16 * 16;
    int64_t start = part * per;
    *lo = start < n ? start : n;
    *hi = start + per < n ? start + per : n;
}

#endif
