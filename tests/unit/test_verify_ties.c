/* test_verify_ties.c - verify --vnnlib on properties whose threshold is exactly a network's
 * largest (or smallest) value over the box: the margin is exactly 0 at one point, which no float
 * bound can close and an attack rarely hits; the search must still end, with the exact answer. */
#include "test.h"
#include "util.h"
#include "verify_nets.h"

#include <stdlib.h>
#include <string.h>
#include <gmp.h>

#define THREE_IN                                                                                \
    "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n"            \
    "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(assert (<= -1 X_0 1))\n"              \
    "(assert (<= -1 X_1 1))\n(assert (<= -1 X_2 1))\n"

/* Field k from the end of a summary (1: the last; the counterexample's Y_0 is the 2nd). */
static const char *field_from_end(const char *s, int k, char *buf, size_t size)
{
    const char *f[64];
    int n = 0;
    for (const char *at = s; *at && n < 64; at += strcspn(at, " "), at += *at == ' ')
        f[n++] = at;
    snprintf(buf, size, "%.*s", n >= k ? (int)strcspn(f[n - k], " ") : 0, n >= k ? f[n - k] : "");
    return buf;
}

/* p/q strings compare equal as rationals. */
static bool same_rational(const char *a, const char *b)
{
    mpq_t x, y;
    mpq_inits(x, y, NULL);
    bool ok = mpq_set_str(x, a, 10) == 0 && mpq_set_str(y, b, 10) == 0;
    if (ok) {
        mpq_canonicalize(x);
        mpq_canonicalize(y);
        ok = mpq_equal(x, y);
    }
    mpq_clears(x, y, NULL);
    return ok;
}

/* Random 3-input nets, threshold the exact max of y[0] (>=: violated where it is attained, >:
 * holds) and the exact min (<=: violated, <: holds): exact answers, the counterexample's y[0] is
 * the extreme itself, and 1 and 3 threads give the same run. The timeout only turns a search
 * that never ends into a failure here; the answers are checked, never the time. */
TEST(verify_vnnlib_ties_at_the_extremes_end_exactly)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, 41, 0);
    static const char *const rel[4] = {">=", ">", "<=", "<"};
    long boxes = 0;
    for (int trial = 0; trial < 12; trial++) {
        char model[16384], ext[256], prop[2048], one[8192], three[8192], y0[256];
        random_net_sized(&rng, model, sizeof model, 3, 2, 5 + trial % 3);
        int kind = trial % 4, sign = kind < 2 ? 1 : -1;
        CHECK_MSG(exact_extreme(model, 1, 0, sign, ext, sizeof ext), "trial %d\n%s", trial, model);
        if (sign < 0) { /* the max of -y[0] is minus the min */
            memmove(ext + 1, ext, strlen(ext) + 1);
            ext[0] = '-';
            if (ext[1] == '-')
                memmove(ext, ext + 2, strlen(ext + 2) + 1);
        }
        snprintf(prop, sizeof prop, THREE_IN "(assert (%s Y_0 %s))\n", rel[kind], ext);
        vnn_summary(model, prop, 1, 120, one, sizeof one);
        vnn_summary(model, prop, 3, 120, three, sizeof three);
        const char *want = kind % 2 ? "holds" : "violated";
        CHECK_MSG(!strncmp(one, want, strlen(want)), "trial %d: %s, want %s\n%s\n%s", trial,
                  one, want, model, prop);
        CHECK_MSG(!strcmp(one, three), "trial %d: 1 thread %s\n3 threads %s", trial, one, three);
        if (kind % 2 == 0)
            CHECK_MSG(same_rational(field_from_end(one, 2, y0, sizeof y0), ext),
                      "trial %d: y[0] = %s at the counterexample, extreme %s", trial, y0, ext);
        boxes += strtol(strchr(one, ' ') + 1, NULL, 10);
    }
    CHECK_MSG(boxes > 100, "%ld boxes: the ties did not need a search", boxes);
}
