/* util.c - helpers shared by the unit tests. */
#include "util.h"
#include "test.h"

#include <stdlib.h>

#include "base/rng.h"

mlp_model *parse_ok(const char *text)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(text, "test.mlp", &err);
    if (!m)
        mlp_error_print(&err, stderr);
    return m;
}

const char *parse_error(const char *text)
{
    static char buf[700];
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(text, "test.mlp", &err);
    if (m) {
        mlp_model_free(m);
        return "";
    }
    snprintf(buf, sizeof buf, "%d:%d: %s", err.line, err.col, err.message);
    return buf;
}

/* Apply "name=value" to a session. */
static int apply_set(const mlp_model *m, mlp_session *s, const char *set)
{
    char name[64];
    const char *eq = strchr(set, '=');
    if (!eq || eq - set >= (int)sizeof name)
        return 1;
    memcpy(name, set, (size_t)(eq - set));
    name[eq - set] = 0;
    int dims[MLP_MAX_RANK];
    int rank = mlp_model_shape(m, name, dims);
    double *v = malloc(mlp_model_size(m, name) * sizeof *v);
    mlp_error err = {0};
    int rc = mlp_parse_value(eq + 1, rank, dims, v, name, &err) ||
             mlp_session_set(s, name, v, 1, &err);
    if (rc)
        mlp_error_print(&err, stderr);
    free(v);
    return rc;
}

int eval_model(const char *text, const char *const *sets, const char *name, double *out)
{
    mlp_model *m = parse_ok(text);
    if (!m)
        return 1;
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 1, &err);
    int rc = !s;
    for (int i = 0; !rc && sets && sets[i]; i++)
        rc = apply_set(m, s, sets[i]);
    if (!rc)
        rc = mlp_session_run(s, &err) || mlp_session_get(s, name, out, &err);
    if (rc && err.status)
        mlp_error_print(&err, stderr);
    mlp_session_free(s);
    mlp_model_free(m);
    return rc;
}

static double total_loss(mlp_session *s, const char *loss)
{
    double v;
    mlp_session_run(s, NULL);
    mlp_session_get(s, loss, &v, NULL);
    return v;
}

double gradient_error(const char *text, unsigned seed)
{
    mlp_model *m = parse_ok(text);
    if (!m)
        return INFINITY;
    int ni = mlp_model_count(m, MLP_INPUT), np = mlp_model_count(m, MLP_PARAM);
    const char *names[64];
    int n = 0;
    for (int i = 0; i < ni; i++)
        names[n++] = mlp_model_name(m, MLP_INPUT, i);
    for (int i = 0; i < np; i++)
        names[n++] = mlp_model_name(m, MLP_PARAM, i);
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, names, n, MLP_F64, 1, &err);
    if (!s) {
        mlp_error_print(&err, stderr);
        mlp_model_free(m);
        return INFINITY;
    }
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, 7);
    double *vals[64];
    for (int i = 0; i < n; i++) {
        size_t size = mlp_model_size(m, names[i]);
        vals[i] = malloc(size * sizeof(double));
        for (size_t e = 0; e < size; e++)
            vals[i][e] = mlp_rng_uniform(&rng) * 2 - 1.2; /* away from kinks at 0 mostly */
        if (i < ni)
            mlp_session_set(s, names[i], vals[i], 1, NULL);
        else
            mlp_session_set_param(s, names[i], vals[i], NULL);
    }
    const char *loss = mlp_model_name(m, MLP_LOSS, 0);
    double worst = 0;
    total_loss(s, loss);
    for (int i = 0; i < n; i++) {
        size_t size = mlp_model_size(m, names[i]);
        double *g = malloc(size * sizeof *g);
        total_loss(s, loss);
        mlp_session_grad(s, names[i], g, NULL);
        for (size_t e = 0; e < size; e++) {
            double orig = vals[i][e], h = 1e-6;
            double fx[2];
            for (int k = 0; k < 2; k++) {
                vals[i][e] = orig + (k ? -h : h);
                if (i < ni)
                    mlp_session_set(s, names[i], vals[i], 1, NULL);
                else
                    mlp_session_set_param(s, names[i], vals[i], NULL);
                fx[k] = total_loss(s, loss);
            }
            vals[i][e] = orig;
            if (i < ni)
                mlp_session_set(s, names[i], vals[i], 1, NULL);
            else
                mlp_session_set_param(s, names[i], vals[i], NULL);
            double num = (fx[0] - fx[1]) / (2 * h);
            double errv = fabs(num - g[e]) / fmax(1.0, fmax(fabs(num), fabs(g[e])));
            if (!(errv <= worst))
                worst = errv;
        }
        free(g);
    }
    for (int i = 0; i < n; i++)
        free(vals[i]);
    mlp_session_free(s);
    mlp_model_free(m);
    return worst;
}

/* Random values for every input, set in both sessions. */
static void set_random_inputs(const mlp_model *m, mlp_session *a, mlp_session *b, mlp_rng *rng)
{
    for (int i = 0; i < mlp_model_count(m, MLP_INPUT); i++) {
        const char *name = mlp_model_name(m, MLP_INPUT, i);
        size_t size = mlp_model_size(m, name);
        double *v = malloc(size * sizeof *v);
        for (size_t e = 0; e < size; e++)
            v[e] = 2 * mlp_rng_normal(rng);
        mlp_session_set(a, name, v, 1, NULL);
        mlp_session_set(b, name, v, 1, NULL);
        free(v);
    }
}

/* How far d_NAME (derived) is from the gradient, over every wrt name. */
static double compare_adjoints(const mlp_model *m, mlp_session *sg, mlp_session *sd,
                               const char *const *wrt, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        size_t size = mlp_model_size(m, wrt[i]);
        double *g = malloc(size * sizeof *g), *v = malloc(size * sizeof *v);
        char name[80];
        snprintf(name, sizeof name, "d_%s", wrt[i]);
        if (mlp_session_grad(sg, wrt[i], g, NULL) || mlp_session_get(sd, name, v, NULL))
            worst = INFINITY;
        for (size_t e = 0; e < size && worst < INFINITY; e++)
            worst = fmax(worst, fabs(g[e] - v[e]) / fmax(1, fabs(g[e])));
        free(g);
        free(v);
    }
    return worst;
}

double derived_gradient_error(const char *text, unsigned seed)
{
    mlp_model *m = parse_ok(text);
    if (!m)
        return INFINITY;
    const char *wrt[64];
    int n = 0;
    for (int k = MLP_INPUT; k <= MLP_PARAM; k++)
        for (int i = 0; i < mlp_model_count(m, (mlp_kind)k) && n < 64; i++)
            wrt[n++] = mlp_model_name(m, (mlp_kind)k, i);
    mlp_error err = {0};
    char *derived = mlp_derive(m, wrt, n, MLP_DERIVE_MLP, &err);
    mlp_model *d = derived ? mlp_model_parse(derived, "derived.mlp", &err) : NULL;
    mlp_session *sg = mlp_session_new(m, wrt, n, MLP_F64, 1, &err);
    mlp_session *sd = d ? mlp_session_new(d, NULL, 0, MLP_F64, 1, &err) : NULL;
    double worst = INFINITY;
    if (sg && sd) {
        mlp_rng rng;
        mlp_rng_seed(&rng, seed, 3);
        set_random_inputs(m, sg, sd, &rng);
        if (!mlp_session_run(sg, &err) && !mlp_session_run(sd, &err))
            worst = compare_adjoints(m, sg, sd, wrt, n);
    }
    if (err.status)
        mlp_error_print(&err, stderr);
    mlp_session_free(sg);
    mlp_session_free(sd);
    mlp_model_free(d);
    mlp_model_free(m);
    free(derived);
    return worst;
}

const char *one_over_10_to(int n)
{
    static char buf[1004];
    snprintf(buf, sizeof buf, "1/1");
    for (int i = 0; i < n && i < 1000; i++)
        buf[3 + i] = '0';
    buf[3 + (n < 1000 ? n : 1000)] = 0;
    return buf;
}
