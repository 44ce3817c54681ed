/* equiv.c - do two models compute the same function? Evaluate both in float64 on the same
 * inputs and report the largest difference between their outputs.
 *
 * The inputs: the all-zero sample (when the bounds allow it), samples of large magnitude (every
 * element ±1e2, ±1e4 or ±1e6, random signs; with bounds: at the bounds), where saturating
 * activations show whether an identity holds in the limit, and random samples (N(0, 2²), or
 * uniform within the bounds). This is testing, not proof: it finds a wrong conversion, it does not
 * certify a right one.
 */
#include "analysis/analysis.h"
#include "api/internal.h"
#include "base/mem.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256  /* samples evaluated per run */
#define EXTREMES 6 /* large-magnitude samples */

struct compare {
    const mlp_model *a, *b;
    const mlp_equiv_options *opt;
    const char **outputs; /* names compared */
    int noutputs;
    bool zero;            /* sample 0 is the all-zero input */
    int total;
};

/* Same inputs (names and shapes) in both models. */
static int check_inputs(const mlp_model *a, const mlp_model *b, mlp_error *err)
{
    for (int pass = 0; pass < 2; pass++) {
        const mlp_model *x = pass ? b : a, *y = pass ? a : b;
        for (int i = 0; i < mlp_model_count(x, MLP_INPUT); i++) {
            const char *name = mlp_model_name(x, MLP_INPUT, i);
            int dx[MLP_MAX_RANK], dy[MLP_MAX_RANK];
            int rx = mlp_model_shape(x, name, dx), ry = mlp_model_shape(y, name, dy);
            if (mlp_model_kind(y, name) != MLP_INPUT)
                return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                                "input '%s' of %s is not an input of %s", name,
                                mlp_model_graph(x)->file, mlp_model_graph(y)->file);
            if (rx != ry || memcmp(dx, dy, (size_t)rx * sizeof *dx))
                return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                                "input '%s' has different shapes in the two models", name);
        }
    }
    return MLP_OK;
}

/* The outputs of a (its loss if it has none), each a same-shaped value of b. */
static int pick_outputs(struct compare *c, mlp_error *err)
{
    const mlp_model *a = c->a;
    int n = mlp_model_count(a, MLP_OUTPUT);
    mlp_kind kind = n ? MLP_OUTPUT : MLP_LOSS;
    n = n ? n : mlp_model_count(a, MLP_LOSS);
    if (n == 0)
        return mlp_fail(err, MLP_ERR_INPUT, mlp_model_graph(a)->file, MLP_NOLOC,
                        "the model has no output or loss to compare");
    c->outputs = mlp_xmalloc((size_t)n * sizeof *c->outputs);
    for (int i = 0; i < n; i++) {
        const char *name = mlp_model_name(a, kind, i);
        int da[MLP_MAX_RANK], db[MLP_MAX_RANK];
        int ra = mlp_model_shape(a, name, da), rb = mlp_model_shape(c->b, name, db);
        if (rb < 0)
            return mlp_fail(err, MLP_ERR_INPUT, mlp_model_graph(c->b)->file, MLP_NOLOC,
                            "no value named '%s' (an output of %s) to compare", name,
                            mlp_model_graph(a)->file);
        if (ra != rb || memcmp(da, db, (size_t)ra * sizeof *da))
            return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                            "'%s' has different shapes in the two models", name);
        c->outputs[c->noutputs++] = name;
    }
    return MLP_OK;
}

/* Element e of input sample `s`: zero, extreme, or random. */
static double sample_value(const struct compare *c, int s, mlp_rng *rng)
{
    const mlp_equiv_options *o = c->opt;
    if (c->zero && s == 0)
        return 0;
    int k = s - (c->zero ? 1 : 0);
    if (k < EXTREMES) {
        bool up = mlp_rng_uniform(rng) < 0.5;
        if (o->bounded)
            return up ? o->hi : o->lo;
        double mag = k % 3 == 0 ? 1e2 : k % 3 == 1 ? 1e4 : 1e6;
        return up ? mag : -mag;
    }
    return o->bounded ? o->lo + (o->hi - o->lo) * mlp_rng_uniform(rng) : 2 * mlp_rng_normal(rng);
}

/* Set every input for samples [first, first + rows) in both sessions. */
static void set_inputs(const struct compare *c, mlp_session *sa, mlp_session *sb, int first,
                       int rows, mlp_rng *rng)
{
    for (int i = 0; i < mlp_model_count(c->a, MLP_INPUT); i++) {
        const char *name = mlp_model_name(c->a, MLP_INPUT, i);
        size_t size = mlp_model_size(c->a, name);
        double *v = mlp_xmalloc(size * (size_t)rows * sizeof *v);
        for (int r = 0; r < rows; r++)
            for (size_t e = 0; e < size; e++)
                v[(size_t)r * size + e] = sample_value(c, first + r, rng);
        mlp_session_set(sa, name, v, rows, NULL);
        mlp_session_set(sb, name, v, rows, NULL);
        free(v);
    }
}

static void record(mlp_equiv_result *res, const char *name, int index, int sample, double x,
                   double y)
{
    double diff = fabs(x - y);
    double rel = diff / fmax(1, fmax(fabs(x), fabs(y)));
    if (isnan(x) && isnan(y))
        diff = rel = 0;
    else if (isnan(diff) || isnan(rel))
        diff = rel = INFINITY; /* one NaN, or infinities of opposite signs */
    res->max_abs = fmax(res->max_abs, diff);
    if (rel > res->max_rel || (rel == res->max_rel && !res->output[0])) {
        res->max_rel = rel;
        snprintf(res->output, sizeof res->output, "%s", name);
        res->index = index;
        res->sample = sample;
        res->a = x;
        res->b = y;
    }
}

static void compare_chunk(const struct compare *c, mlp_session *sa, mlp_session *sb, int first,
                          int rows, mlp_equiv_result *res)
{
    for (int i = 0; i < c->noutputs; i++) {
        const char *name = c->outputs[i];
        size_t size = mlp_model_size(c->a, name);
        double *x = mlp_xmalloc(size * (size_t)rows * sizeof *x);
        double *y = mlp_xmalloc(size * (size_t)rows * sizeof *y);
        mlp_session_get(sa, name, x, NULL);
        mlp_session_get(sb, name, y, NULL);
        /* A value that does not depend on the inputs comes back once. */
        bool xa = mlp_session_is_batched(sa, name), yb = mlp_session_is_batched(sb, name);
        for (int r = 0; r < rows; r++)
            for (size_t e = 0; e < size; e++)
                record(res, name, (int)e, first + r, x[(xa ? (size_t)r * size : 0) + e],
                       y[(yb ? (size_t)r * size : 0) + e]);
        free(x);
        free(y);
    }
}

static int run_all(struct compare *c, mlp_equiv_result *res, mlp_error *err)
{
    int chunk = c->total < CHUNK ? c->total : CHUNK;
    mlp_session *sa = mlp_session_new(c->a, NULL, 0, MLP_F64, chunk, err);
    mlp_session *sb = sa ? mlp_session_new(c->b, NULL, 0, MLP_F64, chunk, err) : NULL;
    int rc = sb ? MLP_OK : MLP_ERR_INPUT;
    mlp_rng rng;
    mlp_rng_seed(&rng, c->opt->seed, 17);
    for (int first = 0; rc == MLP_OK && first < c->total; first += chunk) {
        int rows = c->total - first < chunk ? c->total - first : chunk;
        rc = mlp_session_set_batch(sa, rows, err) || mlp_session_set_batch(sb, rows, err);
        if (rc == MLP_OK) {
            set_inputs(c, sa, sb, first, rows, &rng);
            rc = mlp_session_run(sa, err) || mlp_session_run(sb, err) ? MLP_ERR_INPUT : MLP_OK;
        }
        if (rc == MLP_OK)
            compare_chunk(c, sa, sb, first, rows, res);
    }
    mlp_session_free(sa);
    mlp_session_free(sb);
    return rc;
}

int mlp_equiv(const mlp_model *a, const mlp_model *b, const mlp_equiv_options *opt,
              mlp_equiv_result *res, mlp_error *err)
{
    memset(res, 0, sizeof *res);
    if (opt->samples < 0 || (opt->bounded && !(opt->lo <= opt->hi)) || !(opt->tol >= 0))
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "invalid options: samples >= 0, lo <= hi and tol >= 0 are needed");
    struct compare c = {.a = a, .b = b, .opt = opt};
    c.zero = !opt->bounded || (opt->lo <= 0 && 0 <= opt->hi);
    c.total = (c.zero ? 1 : 0) + EXTREMES + opt->samples;
    int rc = check_inputs(a, b, err);
    if (rc == MLP_OK)
        rc = pick_outputs(&c, err);
    if (rc == MLP_OK)
        rc = run_all(&c, res, err);
    free(c.outputs);
    res->nsamples = c.total;
    res->equivalent = rc == MLP_OK && res->max_rel <= opt->tol;
    return rc;
}
