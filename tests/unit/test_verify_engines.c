/* test_verify_engines.c - `mlp verify --spec` by its two engines: the branch and bound (over a
 * bounded box of a dense relu network) and the exact region enumeration must agree. */
#include "test.h"
#include "util.h"
#include "verify_nets.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "api/internal.h"

static const char *const bounds[2] = {"x[0] in [-1, 1]", "x[1] in [-1/2, 3/4]"};

/* Decide spec on model text by one engine; 1 holds, 0 violated, -1 unknown, -2 error. */
static int decide(const char *model, const char *spec, const char *const *b, bool exact,
                  mlp_verify_result *r)
{
    mlp_model *m = parse_ok(model);
    mlp_error err = {0};
    int v = -2;
    if (m && mlp_verify_graph(mlp_model_graph(m), spec, b, 2, NULL, exact, r, &err) == MLP_OK)
        v = r->holds ? 1 : r->unknown ? -1 : 0;
    else
        fprintf(stderr, "decide: %s\n", err.message);
    mlp_model_free(m);
    return v;
}

/* The exact engine, with the input pinned to the counterexample of r, finds the spec violated
 * there: an exact check of the point that shares nothing with the branch and bound. */
static bool violated_at(const char *model, const char *spec, const mlp_verify_result *r)
{
    char pin[2][512];
    const char *b[2] = {pin[0], pin[1]};
    for (int i = 0; i < 2; i++)
        snprintf(pin[i], sizeof pin[i], "x[%d] in [%s, %s]", i, r->inputs[0].values[i],
                 r->inputs[0].values[i]);
    mlp_verify_result e;
    int v = decide(model, spec, b, true, &e);
    if (v >= 0)
        mlp_verify_result_free(&e);
    return v == 0;
}

/* 200 random 2-input relu networks and specs of every connective and relation: the branch and
 * bound decides each (nothing unknown), the region enumeration gives the same answer, and each
 * branch and bound counterexample is violated again by the exact engine at that point. */
TEST(verify_spec_engines_agree)
{
    static const char *const specs[] = {
        "y[0] <= %d/8",
        "y[0] > y[1] or y[1] >= %d/8",
        "x[0] >= %d/8 => y[0] < y[1]",
        "not (y[0] - y[1] == %d/8)",
        "(y[0] >= %d/8) <=> (y[1] >= 0)",
        "-4 <= y[0] + x[1] <= %d/8",
        "y[0] != y[1] and y[0] < %d/8",
        "y >= [%d/8, -2]",
    };
    mlp_rng rng;
    mlp_rng_seed(&rng, 51, 0);
    int count[2] = {0, 0};
    for (int trial = 0; trial < 200; trial++) {
        char model[4096], spec[256];
        random_net_sized(&rng, model, sizeof model, 2, 2, 3);
        snprintf(spec, sizeof spec, specs[trial % 8], (int)mlp_rng_below(&rng, 33) - 8);
        mlp_verify_result a, b;
        int fast = decide(model, spec, bounds, false, &a);
        CHECK_MSG(fast >= 0 && a.bab, "trial %d: branch and bound %d (bab %d)\n%s\n%s", trial,
                  fast, fast >= -1 ? a.bab : -1, model, spec);
        int exact = decide(model, spec, bounds, true, &b);
        CHECK_MSG(exact == fast && !b.bab, "trial %d: branch and bound %d, exact %d\n%s\n%s",
                  trial, fast, exact, model, spec);
        if (fast == 0)
            CHECK_MSG(violated_at(model, spec, &a), "trial %d: the counterexample is not one\n%s"
                      "\n%s", trial, model, spec);
        count[fast]++;
        mlp_verify_result_free(&a);
        mlp_verify_result_free(&b);
    }
    CHECK_MSG(count[0] > 30 && count[1] > 30, "%d violated, %d hold: not mixed", count[0],
              count[1]);
}

/* What the branch and bound does not take goes to the region enumeration, with its answer:
 * an unbounded input, a second value besides the inputs, step units. */
TEST(verify_spec_engine_choice)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, 52, 0);
    char model[4096];
    random_net_sized(&rng, model, sizeof model, 2, 2, 3);
    mlp_verify_result r;
    const char *one[2] = {bounds[0], bounds[0]};
    CHECK(decide(model, "y[0] <= 100", bounds, false, &r) == 1 && r.bab);
    mlp_verify_result_free(&r);
    CHECK(decide(model, "y[0] <= 100", one, false, &r) >= 0 && !r.bab); /* x[1] unbounded */
    mlp_verify_result_free(&r);
    CHECK(decide(model, "y[0] <= 100 or h0[0] >= 0", bounds, false, &r) == 1 && !r.bab);
    mlp_verify_result_free(&r);
    const char *step = "input x[2]\ny = step(x[0] - x[1])\noutput y\n";
    CHECK(decide(step, "y == 1 => x[0] >= x[1]", bounds, false, &r) == 1 && !r.bab);
    mlp_verify_result_free(&r);
}
