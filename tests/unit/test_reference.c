/* test_reference.c - values and gradients against PyTorch, an independent implementation.
 *
 * tests/reference/cases.txt holds random models (matmul chains, residual adds, every activation,
 * loss building blocks, per-sample matrices) with batches of inputs and PyTorch's float64 outputs,
 * summed loss and gradients; tests/reference/gen_torch.py made it. Agreement is required to
 * 1e-9 relative. */
#include "test.h"

#include <stdlib.h>

#include "base/mem.h"
#include "base/strbuf.h"

#define TOL 1e-9

struct named {
    char name[64];
    double *v;
    int n;
};

struct ref_case {
    char name[64];
    int batch;
    mlp_strbuf model;
    struct named sets[16], values[16], grads[32];
    int nsets, nvalues, ngrads;
    char loss[64];
    double loss_value;
};

static void parse_numbers(const char *s, struct named *out)
{
    int cap = 16;
    out->v = mlp_xmalloc((size_t)cap * sizeof *out->v);
    out->n = 0;
    sscanf(s, "%63s", out->name);
    s = strchr(s, ' ');
    while (s && *s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            break;
        if (out->n == cap)
            out->v = mlp_xrealloc(out->v, (size_t)(cap *= 2) * sizeof *out->v);
        out->v[out->n++] = v;
        s = end;
    }
}

static void free_case(struct ref_case *c)
{
    for (int i = 0; i < c->nsets; i++)
        free(c->sets[i].v);
    for (int i = 0; i < c->nvalues; i++)
        free(c->values[i].v);
    for (int i = 0; i < c->ngrads; i++)
        free(c->grads[i].v);
    mlp_sb_free(&c->model);
    memset(c, 0, sizeof *c);
}

static bool near(double a, double b) { return fabs(a - b) <= TOL * fmax(fabs(a), fabs(b)) + 1e-13; }

static void compare(const char *what, const char *cname, const double *got, const double *want,
                    int n, int *failures)
{
    for (int i = 0; i < n; i++)
        if (!near(got[i], want[i])) {
            test_fail(__FILE__, __LINE__, "case %s: %s[%d] = %.17g, PyTorch %.17g", cname, what, i,
                      got[i], want[i]);
            (*failures)++;
            return;
        }
}

/* Run one case through mlp and compare; returns the number of mismatches. */
static int run_case(struct ref_case *c)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(mlp_sb_str(&c->model), c->name, &err);
    if (!m) {
        mlp_error_print(&err, stderr);
        return 1;
    }
    const char *wrt[32];
    for (int i = 0; i < c->ngrads; i++)
        wrt[i] = c->grads[i].name;
    mlp_session *s = mlp_session_new(m, wrt, c->ngrads, MLP_F64, c->batch, &err);
    int failures = 0;
    if (!s || mlp_session_set_batch(s, c->batch, &err)) {
        mlp_error_print(&err, stderr);
        mlp_model_free(m);
        return 1;
    }
    for (int i = 0; i < c->nsets; i++)
        mlp_session_set(s, c->sets[i].name, c->sets[i].v, c->batch, &err);
    if (mlp_session_run(s, &err)) {
        mlp_error_print(&err, stderr);
        failures++;
    }
    double *buf = mlp_xmalloc(4096 * sizeof *buf);
    for (int i = 0; !failures && i < c->nvalues; i++) {
        mlp_session_get(s, c->values[i].name, buf, NULL);
        compare(c->values[i].name, c->name, buf, c->values[i].v, c->values[i].n, &failures);
    }
    mlp_session_get(s, c->loss, buf, NULL);
    double total = 0;
    for (int b = 0; b < (mlp_session_is_batched(s, c->loss) ? c->batch : 1); b++)
        total += buf[b];
    compare("loss", c->name, &total, &c->loss_value, 1, &failures);
    for (int i = 0; i < c->ngrads; i++) {
        mlp_session_grad(s, c->grads[i].name, buf, NULL);
        char what[80];
        snprintf(what, sizeof what, "d%s/d%s", c->loss, c->grads[i].name);
        compare(what, c->name, buf, c->grads[i].v, c->grads[i].n, &failures);
    }
    free(buf);
    mlp_session_free(s);
    mlp_model_free(m);
    return failures;
}

/* Read the case file line by line; a case runs when the next one starts, or at the end. */
TEST(reference_values_and_gradients_match_pytorch)
{
    size_t len;
    char *text = mlp_read_file("tests/reference/cases.txt", &len);
    CHECK_MSG(text, "cannot read tests/reference/cases.txt");
    struct ref_case c;
    memset(&c, 0, sizeof c);
    int ncases = 0, failures = 0;
    bool in_model = false;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (in_model) {
            if (!strcmp(line, "end"))
                in_model = false;
            else
                mlp_sb_printf(&c.model, "%s\n", line + 2);
            continue;
        }
        if (!strncmp(line, "case ", 5)) {
            if (c.name[0]) {
                failures += run_case(&c) > 0;
                ncases++;
            }
            free_case(&c);
            sscanf(line + 5, "%63s %d", c.name, &c.batch);
        } else if (!strcmp(line, "model")) {
            in_model = true;
        } else if (!strncmp(line, "set ", 4)) {
            parse_numbers(line + 4, &c.sets[c.nsets++]);
        } else if (!strncmp(line, "value ", 6)) {
            parse_numbers(line + 6, &c.values[c.nvalues++]);
        } else if (!strncmp(line, "grad ", 5)) {
            parse_numbers(line + 5, &c.grads[c.ngrads++]);
        } else if (!strncmp(line, "loss ", 5)) {
            sscanf(line + 5, "%63s %lf", c.loss, &c.loss_value);
        }
    }
    if (c.name[0]) {
        failures += run_case(&c) > 0;
        ncases++;
    }
    free_case(&c);
    free(text);
    CHECK_MSG(ncases >= 30, "only %d reference cases", ncases);
    CHECK_MSG(failures == 0, "%d of %d reference cases disagree with PyTorch", failures, ncases);
}
