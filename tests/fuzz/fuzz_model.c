/* fuzz_model.c - the model language: parse, print, parse again, evaluate.
 *
 * For text that does not parse: an input error whose position lies inside the text.
 * For text that parses:
 *  - printing is a fixed point: print(parse(print(m))) == print(m);
 *  - the model printed with its parameter values (`mlp print --values`) parses, and evaluates
 *    to exactly the values of the original;
 *  - batching changes nothing: three samples run as one batch of 3 give the values and input
 *    gradients of three runs of batch 1, and parameter gradients are their sum (or, when the
 *    loss does not depend on any input and so is one value for the whole batch, the same).
 * The harness parses with a small value budget and skips evaluating models whose values and
 * products are large, so each input runs in milliseconds; the limits' logic is the same.
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "api/internal.h"
#include "base/strbuf.h"
#include "lang/parser.h"

#define BUDGET ((int64_t)1 << 16) /* pool values a fuzzed model may hold */
#define MAX_WORK ((double)(1 << 20)) /* elements and multiply-adds a model evaluated may need */
#define MAX_WRT 64

/* Rough cost of evaluating the graph on a batch of 3. */
static double work(const mlp_graph *g)
{
    double total = 0;
    for (mlp_id id = 0; id < g->n; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        double rows = n->batched ? 3 : 1, size = (double)mlp_shape_size(n->shape);
        total += rows * size;
        if (n->op == MLP_OP_MATMUL) {
            mlp_shape a = mlp_node(g, n->in[0])->shape;
            total += rows * size * a.dim[a.rank - 1];
        }
    }
    return total;
}

static bool uses_batch_sum(const mlp_graph *g)
{
    for (mlp_id id = 0; id < g->n; id++)
        if (mlp_node(g, id)->op == MLP_OP_BATCH_SUM)
            return true;
    return false;
}

/* Parse text that the printer wrote: it must parse. */
static mlp_graph *reparse(const char *text, const char *what)
{
    mlp_error err = {0};
    mlp_graph *g = mlp_parse_model_budget(text, strlen(text), "printed.mlp", BUDGET, &err);
    FUZZ_ASSERT(g, "%s does not parse: printed.mlp:%d:%d: %s\n--- text\n%s", what, err.line,
                err.col, err.message, text);
    mlp_graph_init_params(g, 1);
    return g;
}

/* Everything one run produced: every named value and every gradient, for `batch` samples. */
struct result {
    int batch;
    double **value; /* per name */
    double **grad;  /* per wrt */
};

static void result_free(struct result *r, const mlp_graph *g, int nwrt)
{
    for (int i = 0; r->value && i < g->nnames; i++)
        free(r->value[i]);
    for (int i = 0; r->grad && i < nwrt; i++)
        free(r->grad[i]);
    free(r->value);
    free(r->grad);
}

/* Deterministic input values in [-1.25, 1.25] for sample `row`. */
static double input_value(int input, int row, size_t e)
{
    return (double)((input * 7 + row * 5 + (int)(e % 1000) * 3) % 11 - 5) / 4;
}

/* Run samples first .. first+batch-1 as one batch and collect what it computed. */
static void run(mlp_session *s, const mlp_model *m, const char *const *wrt, int nwrt, int first,
                int batch, struct result *r)
{
    const mlp_graph *g = mlp_model_graph(m);
    mlp_error err = {0};
    FUZZ_ASSERT(mlp_session_set_batch(s, batch, &err) == MLP_OK, "set_batch: %s", err.message);
    for (int i = 0; i < mlp_model_count(m, MLP_INPUT); i++) {
        const char *name = mlp_model_name(m, MLP_INPUT, i);
        size_t size = mlp_model_size(m, name);
        double *v = malloc(size * (size_t)batch * sizeof *v);
        for (int row = 0; row < batch; row++)
            for (size_t e = 0; e < size; e++)
                v[(size_t)row * size + e] = input_value(i, first + row, e);
        int rc = mlp_session_set(s, name, v, batch, &err);
        free(v);
        FUZZ_ASSERT(rc == MLP_OK, "set %s: %s", name, err.message);
    }
    FUZZ_ASSERT(mlp_session_run(s, &err) == MLP_OK, "run: %s", err.message);
    r->batch = batch;
    r->value = calloc((size_t)g->nnames + 1, sizeof *r->value);
    r->grad = calloc((size_t)nwrt + 1, sizeof *r->grad);
    for (int i = 0; i < g->nnames; i++) {
        r->value[i] = malloc(mlp_model_size(m, g->names[i].text) * (size_t)batch * sizeof(double));
        FUZZ_ASSERT(mlp_session_get(s, g->names[i].text, r->value[i], &err) == MLP_OK, "get: %s",
                    err.message);
    }
    for (int i = 0; i < nwrt; i++) {
        r->grad[i] = malloc(mlp_model_size(m, wrt[i]) * (size_t)batch * sizeof(double));
        FUZZ_ASSERT(mlp_session_grad(s, wrt[i], r->grad[i], &err) == MLP_OK, "grad: %s",
                    err.message);
    }
}

/* Sum of three numbers as the batch computes it may round differently: allow a few ulps of
 * the magnitudes involved. */
static bool sum_close(double total, const double *parts, int n)
{
    double sum = 0, mag = 0;
    for (int i = 0; i < n; i++) {
        sum += parts[i];
        mag += fabs(parts[i]);
    }
    if (fuzz_same(total, sum) || !isfinite(mag))
        return true;
    return fabs(total - sum) <= 1e-9 * mag;
}

/* The batch of 3 against the three single samples. */
static void compare_batch(const mlp_model *m, const char *const *wrt, int nwrt,
                          const struct result *one, const struct result *three)
{
    const mlp_graph *g = mlp_model_graph(m);
    for (int i = 0; i < g->nnames; i++) {
        const char *name = g->names[i].text;
        size_t size = mlp_model_size(m, name);
        bool batched = mlp_node(g, g->names[i].node)->batched;
        for (int row = 0; row < 3; row++)
            for (size_t e = 0; e < size; e++) {
                double a = three->value[i][(batched ? (size_t)row * size : 0) + e];
                double b = one[row].value[i][e];
                FUZZ_ASSERT(fuzz_same(a, b), "%s[%zu] of sample %d: %.17g in a batch of 3, %.17g "
                            "alone", name, e, row, a, b);
            }
    }
    bool summed = nwrt > 0 && mlp_node(g, g->names[g->loss].node)->batched;
    for (int i = 0; i < nwrt; i++) {
        size_t size = mlp_model_size(m, wrt[i]);
        bool input = mlp_model_kind(m, wrt[i]) == MLP_INPUT;
        for (size_t e = 0; e < size; e++) {
            double parts[3] = {one[0].grad[i][e], one[1].grad[i][e], one[2].grad[i][e]};
            if (!input && !summed) {
                FUZZ_ASSERT(fuzz_same(three->grad[i][e], parts[0]), "gradient %s[%zu] of a loss "
                            "that is one value per batch: %.17g for the batch, %.17g alone",
                            wrt[i], e, three->grad[i][e], parts[0]);
                continue;
            }
            if (!input) {
                FUZZ_ASSERT(sum_close(three->grad[i][e], parts, 3), "gradient %s[%zu]: %.17g "
                            "for the batch, %.17g + %.17g + %.17g alone", wrt[i], e,
                            three->grad[i][e], parts[0], parts[1], parts[2]);
                continue;
            }
            for (int row = 0; row < 3; row++)
                FUZZ_ASSERT(fuzz_same(three->grad[i][(size_t)row * size + e], parts[row]),
                            "gradient %s[%zu] of sample %d: %.17g in a batch, %.17g alone",
                            wrt[i], e, row, three->grad[i][(size_t)row * size + e], parts[row]);
        }
    }
}

/* The inputs and parameters, when there is a loss to differentiate. */
static int gradient_names(const mlp_model *m, const char **wrt)
{
    int n = 0;
    if (!mlp_model_count(m, MLP_LOSS))
        return 0;
    for (int k = 0; k < 2; k++) {
        mlp_kind kind = k ? MLP_PARAM : MLP_INPUT;
        for (int i = 0; i < mlp_model_count(m, kind) && n < MAX_WRT; i++)
            wrt[n++] = mlp_model_name(m, kind, i);
    }
    return n;
}

/* Evaluate m (and the reprinted model) and check the batch and reprint invariants. */
static void evaluate(const mlp_model *m, const mlp_model *printed)
{
    const char *wrt[MAX_WRT];
    int nwrt = gradient_names(m, wrt);
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, wrt, nwrt, MLP_F64, 3, &err);
    if (!s) { /* the adjoint graph can exceed the value budget */
        FUZZ_ASSERT(err.status == MLP_ERR_INPUT, "session: %s", err.message);
        return;
    }
    struct result one[3] = {{0}}, three = {0}, again = {0};
    for (int row = 0; row < 3; row++)
        run(s, m, wrt, nwrt, row, 1, &one[row]);
    run(s, m, wrt, nwrt, 0, 3, &three);
    if (!uses_batch_sum(mlp_model_graph(m)))
        compare_batch(m, wrt, nwrt, one, &three);
    mlp_session *sp = mlp_session_new(printed, NULL, 0, MLP_F64, 1, &err);
    FUZZ_ASSERT(sp, "the printed model does not compile: %s", err.message);
    run(sp, printed, NULL, 0, 0, 1, &again);
    const mlp_graph *g = mlp_model_graph(m);
    for (int i = 0; i < g->nnames; i++)
        for (size_t e = 0; e < mlp_model_size(m, g->names[i].text); e++)
            FUZZ_ASSERT(fuzz_same(again.value[i][e], one[0].value[i][e]), "%s[%zu] is %.17g, "
                        "but %.17g in the printed model", g->names[i].text, e, one[0].value[i][e],
                        again.value[i][e]);
    result_free(&again, mlp_model_graph(printed), 0);
    mlp_session_free(sp);
    for (int row = 0; row < 3; row++)
        result_free(&one[row], g, nwrt);
    result_free(&three, g, nwrt);
    mlp_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    mlp_error err = {0};
    mlp_graph *g = mlp_parse_model_budget(text, size, "fuzz.mlp", BUDGET, &err);
    if (!g) {
        fuzz_check_error(&err, text, size, "fuzz.mlp");
        free(text);
        return 0;
    }
    mlp_graph_init_params(g, 1);
    char *t1 = fuzz_print(g, false);
    mlp_graph *g1 = reparse(t1, "the printed model");
    char *t2 = fuzz_print(g1, false);
    FUZZ_ASSERT(!strcmp(t1, t2), "printing is not a fixed point\n--- first\n%s--- second\n%s", t1,
                t2);
    char *tv = fuzz_print(g, true);
    mlp_model *printed = mlp_model_from_graph(reparse(tv, "the model printed with values"));
    mlp_model *m = mlp_model_from_graph(g);
    if (work(g) <= MAX_WORK)
        evaluate(m, printed);
    mlp_model_free(printed);
    mlp_model_free(m);
    mlp_graph_free(g1);
    free(t1);
    free(t2);
    free(tv);
    free(text);
    return 0;
}
