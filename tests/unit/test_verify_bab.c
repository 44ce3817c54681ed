/* test_verify_bab.c - the float branch and bound of verify --vnnlib against the exact region
 * search, and the traps a float verifier falls into. */
#include "test.h"
#include "util.h"
#include "verify_nets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/verify/alpha.h"
#include "analysis/verify/alpha_layers.h"
#include "analysis/verify/attack.h"
#include "analysis/verify/bab_impl.h"
#include "analysis/verify/bound.h"
#include "analysis/verify/dense.h"
#include "analysis/verify/net.h"
#include "analysis/verify/vnnlib.h"
#include "analysis/verify/vnnverify.h"
#include "api/internal.h"
#include "base/rng.h"

/* Decide property text `prop` of model text `model`; the verdict (1 holds, 0 violated, -1
 * unknown) or -2 on error. The counterexample's first input and output go to x0 / y0. */
static int decide(const char *model, const char *prop, bool exact_only, char *x0, char *y0)
{
    mlp_model *m = parse_ok(model);
    if (!m)
        return -2;
    struct vnnlib p;
    mlp_error err = {0};
    int v = -2;
    if (vnnlib_parse(&p, prop, strlen(prop), "p.vnnlib", &err) == MLP_OK) {
        mlp_verify_result r;
        if (vnn_verify(mlp_model_graph(m), &p, "p.vnnlib", NULL, exact_only, &r, &err) == MLP_OK) {
            v = r.holds ? 1 : r.unknown ? -1 : 0;
            if (v == 0 && x0)
                snprintf(x0, 128, "%s", r.inputs[0].values[0]);
            if (v == 0 && y0)
                snprintf(y0, 128, "%s", r.values[0].values[0]);
            mlp_verify_result_free(&r);
        }
        vnnlib_free(&p);
    }
    if (v == -2)
        fprintf(stderr, "decide: %s\n", err.message);
    mlp_model_free(m);
    return v;
}

/* 2 inputs, two hidden layers of 3 to 5 units. */
static void random_net(mlp_rng *rng, char *buf, size_t size)
{
    random_net_sized(rng, buf, size, 2, 2, 3);
}

/* The branch and bound and the exact region search agree on 200 random networks and
 * properties (both answers are exact: a proof, or a counterexample re-checked exactly). */
TEST(verify_vnnlib_bab_agrees_with_exact_search)
{
    static const char *const unsafe[] = {
        "(assert (>= Y_0 %d/8))", "(assert (<= Y_1 (- Y_0 %d/8)))",
        "(assert (or (>= Y_0 %d/8) (>= Y_1 1)))", "(assert (and (>= Y_0 Y_1) (>= Y_1 %d/16)))",
    };
    mlp_rng rng;
    mlp_rng_seed(&rng, 21, 0);
    int count[2] = {0, 0};
    for (int trial = 0; trial < 200; trial++) {
        char model[4096], prop[1024], atom[128];
        random_net(&rng, model, sizeof model);
        snprintf(atom, sizeof atom, unsafe[trial % 4], (int)mlp_rng_below(&rng, 25) - 4);
        snprintf(prop, sizeof prop,
                 "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
                 "(declare-const Y_1 Real)\n(assert (<= -1 X_0 1))\n(assert (<= -1/2 X_1 3/4))\n"
                 "%s\n", atom);
        int fast = decide(model, prop, false, NULL, NULL);
        int exact = decide(model, prop, true, NULL, NULL);
        CHECK_MSG(fast == exact && fast >= 0, "trial %d: bab %d, exact %d\n%s\n%s", trial, fast,
                  exact, model, prop);
        count[fast]++;
    }
    CHECK_MSG(count[0] > 20 && count[1] > 20, "%d violated, %d hold: not mixed", count[0],
              count[1]);
}

/* The largest y[0] of model over 2000 random points of [-1, 1]^3, in doubles. */
static double sampled_max(const char *model, mlp_rng *rng)
{
    mlp_model *m = parse_ok(model);
    mlp_graph *g = mlp_model_graph(m);
    mlp_id root = g->names[g->outputs[0]].node;
    struct vnet net;
    struct vdense d;
    struct vatk a;
    double best = -INFINITY;
    if (vnet_init(&net, g, &root, 1, NULL) == MLP_OK &&
        vdense_from_net(&d, &net, net.slot[root], NULL) == MLP_OK) {
        vatk_init(&a, &d);
        for (int s = 0; s < 2000; s++) {
            double x[3];
            for (int i = 0; i < 3; i++)
                x[i] = 2 * mlp_rng_uniform(rng) - 1;
            best = fmax(best, vatk_forward(&a, x)[0]);
        }
        vatk_free(&a);
        vdense_free(&d);
        vnet_free(&net);
    }
    mlp_model_free(m);
    return best;
}

/* --threads: the answer, the counterexample and every count are the same on 1, 2, 3 and 4
 * threads, on random networks and thresholds near their sampled maximum (so that the search
 * needs splits and attack bursts, and finds some violations only in small regions). The
 * thresholds are not dyadic, so no tie with a value at a dyadic point leaves a box open down to
 * the resolution of doubles. */
TEST(verify_vnnlib_threads_give_the_same_results)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, 22, 0);
    int kinds[2] = {0, 0};
    long boxes = 0;
    for (int trial = 0; trial < 64; trial++) {
        char model[16384], prop[1024], want[4096], got[4096];
        random_net_sized(&rng, model, sizeof model, 3, 2, 5 + trial % 3);
        double c = sampled_max(model, &rng) + (trial % 2 ? 1 : -1) / 16.0;
        snprintf(prop, sizeof prop,
                 "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n"
                 "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(assert (<= -1 X_0 1))\n"
                 "(assert (<= -1 X_1 1))\n(assert (<= -1 X_2 1))\n"
                 "(assert (or (>= Y_0 %d/192) (>= (- Y_1 Y_0) 64)))\n", 3 * (int)ceil(c * 64) + 1);
        vnn_summary(model, prop, 1, 0, want, sizeof want);
        CHECK_MSG(strncmp(want, "error", 5) != 0, "trial %d\n%s", trial, model);
        for (int t = 2; t <= 4; t++) {
            vnn_summary(model, prop, t, 0, got, sizeof got);
            CHECK_MSG(!strcmp(got, want), "trial %d, %d threads: %s\n1 thread: %s", trial, t, got,
                      want);
        }
        kinds[want[0] == 'h']++;
        boxes += strtol(strchr(want, ' ') + 1, NULL, 10);
    }
    CHECK_MSG(kinds[0] > 3 && kinds[1] > 3 && boxes > 500,
              "%d violated, %d hold, %ld boxes: not a mixed, searching set", kinds[0], kinds[1],
              boxes);
}

#define ONE_IN "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"

/* h = relu([1 + 1e-17, 1] x), y = h0 - h1 = 1e-17 x exactly, but 0 in doubles (1 + 1e-17
 * rounds to 1): a float verifier proves y > 0 impossible. */
TEST(verify_vnnlib_cancellation_is_not_a_proof)
{
    const char *model = "input x[1]\nparam W[2,1] = [[1.00000000000000001], [1]]\n"
                        "h = relu(W @ x)\ny = [[1, -1]] @ h\noutput y\n";
    const char *prop = ONE_IN "(assert (<= 1 X_0 2))\n(assert (> Y_0 0))\n";
    char x[128], y[128];
    CHECK(decide(model, prop, false, x, y) == 0);
    mpq_t q;
    mpq_init(q);
    CHECK(mpq_set_str(q, y, 10) == 0);
    mpq_canonicalize(q);
    CHECK(mpq_sgn(q) > 0); /* y = x / 10^17 > 0 */
    mpq_clear(q);
    /* and with exactly cancelling weights it holds */
    const char *exact = "input x[1]\nparam W[2,1] = [[1], [1]]\nh = relu(W @ x)\n"
                        "y = [[1, -1]] @ h\noutput y\n";
    CHECK(decide(exact, prop, false, NULL, NULL) == 1);
}

/* y = x over [0, 3/5]: y >= 3/5 only on the box's face x = 3/5, which is not a double
 * (float(0.6) < 3/5): the float candidate must be snapped into the exact box. y > 3/5 holds. */
TEST(verify_vnnlib_violation_only_on_a_box_face)
{
    const char *model = "input x[1]\ny = 1 * x\noutput y\n";
    char x[128];
    CHECK(decide(model, ONE_IN "(assert (<= 0 X_0 0.6))\n(assert (>= Y_0 0.6))\n", false, x,
                 NULL) == 0);
    CHECK_STR(x, "3/5");
    CHECK(decide(model, ONE_IN "(assert (<= 0 X_0 0.6))\n(assert (> Y_0 0.6))\n", false, NULL,
                 NULL) == 1);
}

/* y = relu(x - 1/3) over [1/3, 1]: y <= 0 only at the relu's kink x = 1/3 (not a double);
 * y < 0 never. */
TEST(verify_vnnlib_tie_at_a_relu_kink)
{
    const char *model = "input x[1]\ny = relu(x - 1/3)\noutput y\n";
    char x[128];
    CHECK(decide(model, ONE_IN "(assert (<= 1/3 X_0 1))\n(assert (<= Y_0 0))\n", false, x,
                 NULL) == 0);
    CHECK_STR(x, "1/3");
    CHECK(decide(model, ONE_IN "(assert (<= 1/3 X_0 1))\n(assert (< Y_0 0))\n", false, NULL,
                 NULL) == 1);
}

/* A random network of 3 inputs, three relu layers of 2 to 8 units and 2 outputs, as model text:
 * weights k/8 (doubles: the exact layers' kernels) or one-decimal ones (not doubles, so
 * bracketed: the general kernels). */
static void random_layered(mlp_rng *rng, bool dyadic, char *model, size_t size)
{
    int n = snprintf(model, size, "input x[3]\n");
    int in = 3;
    const char *prev = "x";
    for (int l = 0; l < 4; l++) {
        int out = l == 3 ? 2 : 2 + (int)mlp_rng_below(rng, 7);
        n += snprintf(model + n, size - (size_t)n, "param W%d[%d,%d] = [", l, out, in);
        for (int i = 0; i < out * in; i++)
            n += snprintf(model + n, size - (size_t)n, dyadic ? "%s%.3f%s" : "%s%.1f%s",
                          i % in ? ", " : i ? ", [" : "[",
                          dyadic ? (double)((int)mlp_rng_below(rng, 17) - 8) / 8
                                 : mlp_rng_uniform(rng) * 2 - 1,
                          i % in == in - 1 ? "]" : "");
        n += snprintf(model + n, size - (size_t)n, "]\nparam b%d[%d] = [", l, out);
        for (int i = 0; i < out; i++)
            n += snprintf(model + n, size - (size_t)n, dyadic ? "%s%.3f" : "%s%.2f",
                          i ? ", " : "",
                          dyadic ? (double)((int)mlp_rng_below(rng, 9) - 4) / 8
                                 : mlp_rng_uniform(rng) - 0.5);
        n += snprintf(model + n, size - (size_t)n,
                      l < 3 ? "]\nh%d = relu(W%d @ %s + b%d)\n" : "]\ny = W3 @ h2 + b3\n", l, l,
                      prev, l);
        prev = l == 0 ? "h0" : l == 1 ? "h1" : "h2";
        in = out;
    }
    snprintf(model + n, size - (size_t)n, "output y\n");
}

/* One random network of random_layered in the bounds' form, and a random box of one of three
 * sizes (trial % 3: wide, small, tiny). */
struct fixture {
    char model[8192];
    mlp_model *m;
    struct vnet net;
    struct vdense d;
    double xl[3], xu[3];
    struct vbwork bw; /* for 2 rows */
    struct vatk a;
};

static void fixture_init(struct fixture *f, mlp_rng *rng, bool dyadic, int trial)
{
    random_layered(rng, dyadic, f->model, sizeof f->model);
    f->m = parse_ok(f->model);
    CHECK(f->m);
    mlp_graph *g = mlp_model_graph(f->m);
    mlp_id root = g->names[g->outputs[0]].node;
    CHECK(vnet_init(&f->net, g, &root, 1, NULL) == MLP_OK);
    CHECK(vdense_from_net(&f->d, &f->net, f->net.slot[root], NULL) == MLP_OK);
    CHECK(f->d.L[0].exact == dyadic); /* 0.1 and the like are not doubles; k/8 are */
    double w = trial % 3 == 0 ? 2 : trial % 3 == 1 ? 0.1 : 1e-4;
    for (int i = 0; i < 3; i++) {
        f->xl[i] = mlp_rng_uniform(rng) * 2 - 1;
        f->xu[i] = f->xl[i] + w * mlp_rng_uniform(rng);
    }
    vbound_init(&f->bw, &f->d, 2);
    vatk_init(&f->a, &f->d);
}

static void fixture_free(struct fixture *f)
{
    vatk_free(&f->a);
    vbound_free(&f->bw);
    vdense_free(&f->d);
    vnet_free(&f->net);
    mlp_model_free(f->m);
}

/* The two rows every bound below is asked for. */
static const double ROWS[4] = {1, -1, 0.5, 1};

/* The most C[r] . y exceeds ub[r] (r = 0, 1) at 200 points sampled in the box (in doubles: far
 * from the bounds' own error); <= 0 when the bounds contain them all. */
static double sampled_excess(struct vatk *a, mlp_rng *rng, const struct fixture *f,
                             const double *ub)
{
    double worst = -INFINITY;
    for (int s = 0; s < 200; s++) {
        double x[3];
        for (int i = 0; i < 3; i++)
            x[i] = f->xl[i] + (f->xu[i] - f->xl[i]) * mlp_rng_uniform(rng);
        const double *y = vatk_forward(a, x);
        for (int r = 0; r < 2; r++)
            worst = fmax(worst, ROWS[2 * r] * y[0] + ROWS[2 * r + 1] * y[1] - ub[r]);
    }
    return worst;
}

/* The float bounds contain every value the network takes: each sampled pre-activation lies
 * within the forward pass's bounds, and the rows' values within their back-substituted bounds,
 * on random networks and random boxes of every size. */
static void bounds_contain_samples(bool dyadic, uint64_t seed)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, 0);
    for (int trial = 0; trial < 100; trial++) {
        struct fixture f;
        fixture_init(&f, &rng, dyadic, trial);
        struct vbwork *bw = &f.bw;
        struct vatk *a = &f.a;
        double ub[2];
        vbound_forward(bw, f.xl, f.xu, NULL);
        vbound_rows(bw, f.xl, f.xu, 2, ROWS, ub);
        for (int s = 0; s < 200; s++) {
            double x[3];
            for (int i = 0; i < 3; i++)
                x[i] = f.xl[i] + (f.xu[i] - f.xl[i]) * mlp_rng_uniform(&rng);
            vatk_forward(a, x);
            for (int l = 0; l < f.d.nl; l++)
                for (int j = 0; j < f.d.L[l].out; j++)
                    CHECK_MSG(a->z[l][j] >= bw->l[l][j] - 1e-9 && a->z[l][j] <= bw->u[l][j] + 1e-9,
                              "trial %d layer %d unit %d: %g not in [%g, %g]\n%s", trial, l, j,
                              a->z[l][j], bw->l[l][j], bw->u[l][j], f.model);
        }
        CHECK_MSG(sampled_excess(a, &rng, &f, ub) <= 1e-9, "trial %d\n%s", trial, f.model);
        fixture_free(&f);
    }
}

/* Bracketed weights (decimals) take the general kernels; dyadic ones the exact layers' blocked
 * ones (four rows at a time, dead units skipped). */
TEST(verify_vnnlib_bounds_contain_sampled_values)
{
    bounds_contain_samples(false, 33);
}

TEST(verify_vnnlib_bounds_contain_sampled_values_exact_layers)
{
    bounds_contain_samples(true, 34);
}

/* Rows' own lower slopes (alpha.h): the bounds after optimisation steps, and those of random
 * slopes far outside [0, 1], contain the sampled values, and the optimised ones are never
 * worse than the plain bounds (often better). The same check catches a planted unsound
 * variant: the offsets forced to 0 (the ends the offsets are taken over zeroed), with which
 * a chord or a slope outside [0, 1] no longer bounds the relu. */
static void alpha_bounds_contain_samples(bool dyadic, uint64_t seed)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, 0);
    int better = 0, caught = 0;
    for (int trial = 0; trial < 100; trial++) {
        struct fixture f;
        fixture_init(&f, &rng, dyadic, trial);
        struct vbwork *bw = &f.bw;
        struct vatk *a = &f.a;
        double plain[2], best[2] = {INFINITY, INFINITY}, ub[2];
        double *alpha = calloc(2 * (size_t)bw->units + 1, sizeof *alpha);
        vbound_forward(bw, f.xl, f.xu, NULL);
        vbound_rows(bw, f.xl, f.xu, 2, ROWS, plain);
        for (int r = 0; r < 2; r++)
            vbound_default_alpha(bw, alpha + (size_t)r * bw->units);
        valpha_begin(bw, 2, alpha);
        for (int it = 0; it < 8; it++)
            valpha_step(bw, f.xl, f.xu, 2, ROWS, alpha, it, best);
        CHECK(best[0] <= plain[0] && best[1] <= plain[1]); /* step 0 has DeepPoly's slopes */
        better += best[0] < plain[0] || best[1] < plain[1];
        CHECK_MSG(sampled_excess(a, &rng, &f, best) <= 1e-9, "trial %d\n%s", trial, f.model);
        for (int k = 0; k < 2 * bw->units; k++)
            alpha[k] = 3 * mlp_rng_uniform(&rng) - 1; /* in [-1, 2] */
        vbound_rows_alpha(bw, f.xl, f.xu, 2, ROWS, alpha, ub);
        CHECK_MSG(sampled_excess(a, &rng, &f, ub) <= 1e-9, "trial %d\n%s", trial, f.model);
        for (int i = 0; i < f.d.nl - 1; i++) { /* planted: no offsets */
            int n = f.d.L[i].out;
            memset(bw->slope[i] + 2 * n, 0, 2 * (size_t)n * sizeof *bw->slope[i]);
        }
        vbound_rows_alpha(bw, f.xl, f.xu, 2, ROWS, alpha, ub);
        caught += sampled_excess(a, &rng, &f, ub) > 1e-9;
        free(alpha);
        fixture_free(&f);
    }
    printf("  optimised slopes tighter in %d of 100; planted variant caught in %d\n", better,
           caught);
    CHECK(better >= 10);
    CHECK(caught >= 10);
}

TEST(verify_vnnlib_alpha_bounds_contain_sampled_values)
{
    alpha_bounds_contain_samples(false, 35);
}

TEST(verify_vnnlib_alpha_bounds_contain_sampled_values_exact_layers)
{
    alpha_bounds_contain_samples(true, 36);
}

/* Relu phase splits (bab_relu.c): with one unstable unit's phase fixed in the known bounds
 * (bab_relu_fix), the forward pass and the rows' bounds contain every sampled point that has
 * that phase, on random networks, boxes and units; fixing a phase often tightens the bounds.
 * The same check catches a planted unsound variant: each child's bounds taken as holding on
 * the other phase's points (the phases swapped). */
static void phase_bounds_contain_samples(bool dyadic, uint64_t seed)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, 0);
    int tighter = 0, caught = 0, splits = 0;
    for (int trial = 0; trial < 100; trial++) {
        struct fixture f;
        fixture_init(&f, &rng, dyadic, trial);
        struct vbwork bw;
        vbound_init(&bw, &f.d, 2);
        struct vatk a;
        vatk_init(&a, &f.d);
        double plain[2], ub[2][2];
        size_t nu = (size_t)bw.units;
        double *known = calloc(2 * nu + 1, sizeof *known), *k = calloc(2 * nu + 1, sizeof *k);
        double *kl[2] = {calloc(nu + 1, sizeof *k), calloc(nu + 1, sizeof *k)};
        double *ku[2] = {calloc(nu + 1, sizeof *k), calloc(nu + 1, sizeof *k)};
        vbound_forward(&bw, f.xl, f.xu, NULL);
        vbound_rows(&bw, f.xl, f.xu, 2, ROWS, plain);
        vbound_save(&bw, known);
        int unst[64], n = 0;
        for (size_t q = 0; q < nu && n < 64; q++)
            if (known[q] < 0 && known[nu + q] > 0)
                unst[n++] = (int)q;
        if (n > 0) {
            splits++;
            int q = unst[mlp_rng_below(&rng, (uint64_t)n)], layer = 0;
            while (layer + 1 < f.d.nl - 1 && bw.off[layer + 1] <= q)
                layer++;
            for (int h = 0; h < 2; h++) {
                memcpy(k, known, 2 * nu * sizeof *k);
                bab_relu_fix(k, (int)nu, q, h);
                vbound_forward(&bw, f.xl, f.xu, k);
                vbound_rows(&bw, f.xl, f.xu, 2, ROWS, ub[h]);
                vbound_save(&bw, k);
                memcpy(kl[h], k, nu * sizeof *k);
                memcpy(ku[h], k + nu, nu * sizeof *k);
            }
            tighter += fmax(ub[0][0], ub[1][0]) < plain[0] || fmax(ub[0][1], ub[1][1]) < plain[1];
            bool bad = false;
            for (int s = 0; s < 400; s++) {
                double x[3];
                for (int i = 0; i < 3; i++)
                    x[i] = f.xl[i] + (f.xu[i] - f.xl[i]) * mlp_rng_uniform(&rng);
                const double *y = vatk_forward(&a, x);
                double zq = a.z[layer][q - bw.off[layer]];
                for (int h = 0; h < 2; h++) {
                    if (h ? zq < 0 : zq > 0)
                        continue;
                    for (int l = 0, at = 0; l < f.d.nl - 1; at += f.d.L[l++].out)
                        for (int j = 0; j < f.d.L[l].out; j++)
                            CHECK_MSG(a.z[l][j] >= kl[h][at + j] - 1e-9 &&
                                          a.z[l][j] <= ku[h][at + j] + 1e-9,
                                      "trial %d phase %d layer %d unit %d\n%s", trial, h, l, j,
                                      f.model);
                    for (int r = 0; r < 2; r++) {
                        double v = ROWS[2 * r] * y[0] + ROWS[2 * r + 1] * y[1];
                        CHECK_MSG(v <= ub[h][r] + 1e-9, "trial %d phase %d row %d\n%s", trial,
                                  h, r, f.model);
                        bad = bad || v > ub[!h][r] + 1e-9; /* planted: the phases swapped */
                    }
                }
            }
            caught += bad;
        }
        free(known);
        free(k);
        for (int h = 0; h < 2; h++) {
            free(kl[h]);
            free(ku[h]);
        }
        vatk_free(&a);
        vbound_free(&bw);
        fixture_free(&f);
    }
    printf("  %d phase splits: tighter in %d; planted variant caught in %d\n", splits, tighter,
           caught);
    CHECK(splits >= 30);
    CHECK(tighter >= 5);
    CHECK(caught >= 5);
}

TEST(verify_vnnlib_phase_split_bounds_contain_sampled_values)
{
    phase_bounds_contain_samples(false, 37);
}

TEST(verify_vnnlib_phase_split_bounds_contain_sampled_values_exact_layers)
{
    phase_bounds_contain_samples(true, 38);
}

/* The most a sampled pre-activation of any layer lies outside the forward pass's bounds (200
 * points of the box, in doubles); <= 0 when the bounds contain them all. */
static double layers_excess(struct vatk *a, mlp_rng *rng, const struct fixture *f,
                            const struct vbwork *bw)
{
    double worst = -INFINITY;
    for (int s = 0; s < 200; s++) {
        double x[3];
        for (int i = 0; i < 3; i++)
            x[i] = f->xl[i] + (f->xu[i] - f->xl[i]) * mlp_rng_uniform(rng);
        vatk_forward(a, x);
        for (int l = 0; l < f->d.nl; l++)
            for (int j = 0; j < f->d.L[l].out; j++)
                worst = fmax(worst, fmax(bw->l[l][j] - a->z[l][j], a->z[l][j] - bw->u[l][j]));
    }
    return worst;
}

/* A planted unsound hook: the offsets of the layers below m dropped (the ends they are taken
 * over zeroed), then the real one. */
static void planted_hook(struct vbwork *w, int m, const double *xl, const double *xu, void *ctx)
{
    for (int i = 0; i < m; i++) {
        int n = w->d->L[i].out;
        memset(w->slope[i] + 2 * n, 0, 2 * (size_t)n * sizeof *w->slope[i]);
    }
    valayers_hook(w, m, xl, xu, ctx);
}

/* The hidden layers' own slopes (alpha_layers.h): every layer's bounds, after optimisation
 * steps, warm-started again from the slopes they saved, and with random slopes far outside
 * [0, 1], contain the sampled pre-activations, and the optimised ones are never looser than the
 * plain ones (often tighter). The same check catches the planted variant (no offsets). */
static void layer_bounds_contain_samples(bool dyadic, uint64_t seed)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, 0);
    int tighter = 0, caught = 0;
    for (int trial = 0; trial < 100; trial++) {
        struct fixture f;
        fixture_init(&f, &rng, dyadic, trial);
        struct vbwork *bw = &f.bw;
        struct vatk *a = &f.a;
        struct valayers va;
        valayers_init(&va, bw, 8);
        size_t n = valayers_size(&f.d);
        double *store = calloc(n + 1, sizeof *store), *plain = calloc(2 * bw->units + 1, 8);
        vbound_forward(bw, f.xl, f.xu, NULL);
        vbound_save(bw, plain);
        va.store = store;
        bw->layer_hook = valayers_hook;
        bw->hook_ctx = &va;
        valayers_clear(&f.d, store);
        bool tight = false;
        for (int pass = 0; pass < 2; pass++) { /* the second starts from the saved slopes */
            vbound_forward(bw, f.xl, f.xu, plain); /* inside the plain bounds, as a box's */
            CHECK_MSG(layers_excess(a, &rng, &f, bw) <= 1e-9, "trial %d\n%s", trial, f.model);
            for (int i = 0, at = 0; i < f.d.nl - 1; at += f.d.L[i++].out)
                for (int j = 0; j < f.d.L[i].out; j++) {
                    CHECK(bw->l[i][j] >= plain[at + j] && bw->u[i][j] <= plain[bw->units + at + j]);
                    tight |= bw->l[i][j] > plain[at + j] || bw->u[i][j] < plain[bw->units + at + j];
                }
        }
        tighter += tight;
        va.steps = 1; /* random slopes, bounded as they are */
        for (size_t k = 0; k < n; k++)
            store[k] = 3 * mlp_rng_uniform(&rng) - 1; /* in [-1, 2] */
        vbound_forward(bw, f.xl, f.xu, NULL);
        CHECK_MSG(layers_excess(a, &rng, &f, bw) <= 1e-9, "trial %d\n%s", trial, f.model);
        bw->layer_hook = planted_hook;
        vbound_forward(bw, f.xl, f.xu, NULL);
        caught += layers_excess(a, &rng, &f, bw) > 1e-9;
        free(store);
        free(plain);
        valayers_free(&va);
        fixture_free(&f);
    }
    printf("  hidden layers' optimised bounds tighter in %d of 100; planted variant caught in %d\n",
           tighter, caught);
    CHECK(tighter >= 10);
    CHECK(caught >= 10);
}

TEST(verify_vnnlib_layer_slopes_bounds_contain_sampled_values)
{
    layer_bounds_contain_samples(false, 37);
}

TEST(verify_vnnlib_layer_slopes_bounds_contain_sampled_values_exact_layers)
{
    layer_bounds_contain_samples(true, 38);
}
