/* zeros.c - which gradients are zero for every value of everything the facts leave open.
 *
 * Seed problem 3 asks, knowing only that unit h1 received a negative input, which weight
 * gradients are guaranteed to be 0. The answer is read off the adjoint graph: substitute what
 * the facts imply about the model's values as constants (z1 < 0 gives relu(z1) = 0 and
 * relu'(z1) = 0), rebuild the graph through the smart constructors so the constants fold
 * (0 · x = 0, a sum of zeros is zero), and a gradient is guaranteed zero exactly when it folds to
 * the constant 0. Parameters and inputs stay symbols, so "YES" is a proof for all their values
 * (over the reals), and "NO" means some factor is not known to be zero.
 *
 * The explanation is the chain of factors of the gradient, as the seed's solution writes it:
 * products and adjoints that are products are expanded; the first factor that folds to 0 is
 * explained by the facts (`relu'(z1) = 0 because z1 < 0 (assumed)`).
 */
#include "analysis/analysis.h"
#include "base/mem.h"
#include "graph/rewrite.h"

#include <stdlib.h>
#include <string.h>

struct zeros {
    struct mlp_backprop bp;
    struct mlp_fact *facts;
    int nfacts;
    struct mlp_sign *signs; /* per bp.g node */
    bool *substituted;      /* per bp.g node: replaced by what the facts imply */
    mlp_graph *g;           /* bp.g rebuilt under the facts */
    mlp_id *map;
    mlp_strbuf scratch;
};

struct factor {
    mlp_id id;
    bool transposed; /* the right operand of an outer product: a bᵀ */
};

/* ---- substituting the facts ---- */

static bool exact_value(const struct zeros *z, mlp_id id, double *v)
{
    for (int i = z->nfacts - 1; i >= 0; i--)
        if (z->facts[i].node == id && z->facts[i].exact) {
            *v = z->facts[i].value;
            return true;
        }
    return false;
}

/* What the op's entry says its value is where operand 0's signs lie in a fold's set (relu(z) =
 * z for z ≥ 0, relu'(z) = 1 for z > 0), or MLP_NONE. */
static mlp_id fold(mlp_graph *dst, const struct mlp_node *n, unsigned operand, const mlp_id *map)
{
    const struct mlp_op_info *info = mlp_op(n->op);
    for (int i = 0; i < (int)(sizeof info->fold / sizeof *info->fold); i++) {
        const struct mlp_fold *f = &info->fold[i];
        if (f->to == MLP_FOLD_NOTHING || !operand || (operand & ~f->when))
            continue;
        if (f->to == MLP_FOLD_OPERAND)
            return map[n->in[0]];
        return mlp_const_fill(dst, n->shape, f->to == MLP_FOLD_ONE ? 1 : 0);
    }
    return MLP_NONE;
}

/* The model's values the facts pin down, and the derivatives of relu and step they decide.
 * The adjoint arithmetic itself is left to the smart constructors to fold. */
static mlp_id substitute(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                         const mlp_id *map)
{
    struct zeros *z = ctx;
    const struct mlp_node n = *mlp_node(src, id);
    const struct mlp_op_info *info = mlp_op(n.op);
    bool primal = id < z->bp.nprimal && !mlp_is_anon_const(src, id);
    mlp_id r = MLP_NONE;
    double v;
    if (primal && exact_value(z, id, &v))
        r = mlp_const_fill(dst, n.shape, v);
    else if ((primal || info->cls == MLP_CLASS_PIECEWISE) && z->signs[id].set == SIGN_ZERO)
        r = mlp_const_fill(dst, n.shape, 0);
    else if (info->cls != MLP_CLASS_LEAF)
        r = fold(dst, &n, z->signs[n.in[0]].set, map);
    z->substituted[id] = r != MLP_NONE;
    return r;
}

static bool folds_to_zero(const struct zeros *z, mlp_id id)
{
    return mlp_is_const_value(z->g, z->map[id], 0);
}

/* ---- writing factors ---- */

/* Adjoints are written ∂L/∂name, as the seed does. */
static const char *partial_name(void *ctx, mlp_id id)
{
    struct zeros *z = ctx;
    const mlp_graph *g = z->bp.g;
    mlp_id p;
    if ((id < z->bp.nprimal && g->nodes[id].name >= 0) || !mlp_backprop_names(&z->bp, id, &p))
        return NULL;
    mlp_sb_free(&z->scratch);
    mlp_sb_printf(&z->scratch, "\xe2\x88\x82%s/\xe2\x88\x82%s", g->names[g->loss].text,
                  mlp_node_name(g, p));
    return mlp_sb_str(&z->scratch);
}

static void write_node(struct zeros *z, mlp_id id, int min_prec, mlp_strbuf *out)
{
    struct mlp_math m = {.g = z->bp.g, .style = MLP_MATH_TEXT, .name = partial_name, .ctx = z};
    mlp_math_operand(&m, id, min_prec, out);
}

/* a + b and a - b: the terms of a sum. */
static bool is_sum(enum mlp_op op) { return mlp_op(op)->math_form == MLP_MATH_SUM; }

static bool product_like(enum mlp_op op)
{
    const struct mlp_op_info *info = mlp_op(op);
    return info->cls == MLP_CLASS_BILINEAR || info->math_form == MLP_MATH_PER_SAMPLE ||
           info->math_form == MLP_MATH_BATCH_SUM || info->math_form == MLP_MATH_NEG;
}

/* Appends to an array that doubles as it grows (*cap elements allocated). */
static void *push(void *a, int n, int *cap, size_t size)
{
    if (n < *cap)
        return a;
    *cap = *cap ? 2 * *cap : 16;
    return mlp_xrealloc(a, (size_t)*cap * size);
}

/* The factors of an adjoint expression: through products, and through adjoints that are
 * products (∂L/∂z3 = ∂L/∂h3 · relu'(z3)), down to sums, derivatives and the model's values.
 * Left operand first, by an explicit stack: a 100,000-statement chain is one product that deep. */
static void factors(const struct zeros *z, mlp_id id, bool transposed, struct factor **f, int *n)
{
    int top = 0, cap = 0, fcap = *n;
    struct factor *stack = NULL;
    stack = push(stack, top, &cap, sizeof *stack);
    stack[top++] = (struct factor){id, transposed};
    while (top > 0) {
        struct factor s = stack[--top];
        const struct mlp_node *nd = mlp_node(z->bp.g, s.id);
        if (!(s.id >= z->bp.nprimal && product_like(nd->op))) {
            *f = push(*f, *n, &fcap, sizeof **f);
            (*f)[(*n)++] = s;
            continue;
        }
        mlp_id b = nd->in[1];
        if (mlp_op_arity(nd->op) == 2) {
            bool t = mlp_op(nd->op)->math_form == MLP_MATH_OUTER && mlp_node(z->bp.g, b)->shape.rank == 1;
            stack = push(stack, top, &cap, sizeof *stack);
            stack[top++] = (struct factor){b, t};
        }
        stack = push(stack, top, &cap, sizeof *stack);
        stack[top++] = (struct factor){nd->in[0], false};
    }
    free(stack);
}

/* An expression written one level deep: its own adjoint name must not stand for it. */
static void write_definition(struct zeros *z, mlp_id id, mlp_strbuf *out)
{
    struct mlp_math m = {.g = z->bp.g, .style = MLP_MATH_TEXT, .name = partial_name, .ctx = z};
    mlp_math_definition(&m, id, out);
}

/* Factors joined by ·. An adjoint that is a sum keeps its name (∂L/∂y); one that is a single
 * derivative is written as it (relu'(a), rather than ∂L/∂a where L = relu(a) + ...). */
static void write_factors(struct zeros *z, const struct factor *f, int n, mlp_strbuf *out)
{
    for (int i = 0; i < n; i++) {
        enum mlp_op op = z->bp.g->nodes[f[i].id].op;
        bool sum = is_sum(op);
        bool derivative = !sum && f[i].id >= z->bp.nprimal && partial_name(z, f[i].id);
        mlp_sb_puts(out, i ? " \xc2\xb7 " : "");
        if (derivative)
            write_definition(z, f[i].id, out);
        else
            write_node(z, f[i].id, n > 1 ? (f[i].transposed ? MATH_POSTFIX : MATH_PRODUCT) : 0,
                       out);
        mlp_sb_puts(out, f[i].transposed ? "\xe1\xb5\x80" : "");
    }
}

/* ---- explaining a zero ---- */

/* The terms of a sum (through additions and subtractions), left first, by an explicit stack. */
static void terms(const mlp_graph *g, mlp_id id, mlp_id **t, int *n)
{
    int top = 0, cap = 0, tcap = *n;
    mlp_id *stack = push(NULL, 0, &cap, sizeof *stack);
    stack[top++] = id;
    while (top > 0) {
        mlp_id x = stack[--top];
        if (is_sum(g->nodes[x].op)) {
            stack = push(stack, top, &cap, sizeof *stack);
            stack[top++] = g->nodes[x].in[1];
            stack = push(stack, top, &cap, sizeof *stack);
            stack[top++] = g->nodes[x].in[0];
            continue;
        }
        *t = push(*t, *n, &tcap, sizeof **t);
        (*t)[(*n)++] = x;
    }
    free(stack);
}

/* A sum as its terms, each a product of factors: a + b + c in program order. */
static void write_sum(struct zeros *z, mlp_id id, mlp_strbuf *out)
{
    mlp_id *t = NULL;
    int n = 0;
    terms(z->bp.g, id, &t, &n);
    for (int i = 0; i < n; i++) {
        struct factor *f = NULL;
        int k = 0;
        factors(z, t[i], false, &f, &k);
        mlp_sb_puts(out, i ? " + " : "");
        if (n > 1 && k == 1 && t[i] == f[0].id) /* a term that is no product: parenthesise sums */
            write_node(z, t[i], MATH_SUM + 1, out);
        else
            write_factors(z, f, k, out);
        free(f);
    }
    free(t);
}

static void explain_product(struct zeros *z, mlp_id id, const char *lhs, int depth, mlp_strbuf *out);

/* Why a factor that folds to 0 is 0. */
static void explain_zero(struct zeros *z, mlp_id id, int depth, mlp_strbuf *out)
{
    const mlp_graph *g = z->bp.g;
    enum mlp_op op = g->nodes[id].op;
    if (z->substituted[id] || depth > 8) {
        mlp_sign_explain(g, z->signs, z->facts, id, out);
        return;
    }
    if (is_sum(op)) {
        mlp_id *t = NULL;
        int n = 0;
        terms(g, id, &t, &n);
        mlp_sb_puts(out, "each term is 0: ");
        for (int i = 0; i < n; i++) {
            bool repeated = false;
            for (int j = 0; j < i; j++)
                repeated |= t[j] == t[i];
            if (repeated)
                continue;
            mlp_sb_puts(out, i ? "; " : "");
            explain_product(z, t[i], NULL, depth + 1, out);
        }
        free(t);
        return;
    }
    explain_product(z, id, NULL, depth + 1, out);
}

/* "lhs = f1 · f2 · f3, and f2 = 0 because ..." (lhs NULL: start at the factors). */
static void explain_product(struct zeros *z, mlp_id id, const char *lhs, int depth, mlp_strbuf *out)
{
    struct factor *f = NULL;
    int n = 0;
    factors(z, id, false, &f, &n);
    bool single = n == 1 && f[0].id == id; /* not a product */
    bool leaf = mlp_op(z->bp.g->nodes[id].op)->cls == MLP_CLASS_LEAF;
    int zero = 0;
    while (zero < n && !folds_to_zero(z, f[zero].id))
        zero++;
    if (lhs && !(single && leaf)) {
        mlp_sb_printf(out, "%s = ", lhs);
        if (single)
            write_sum(z, id, out);
        else
            write_factors(z, f, n, out);
        mlp_sb_puts(out, ", and ");
    } else if (!single) {
        write_factors(z, f, n, out);
        mlp_sb_puts(out, ", and ");
    }
    enum mlp_op op = z->bp.g->nodes[id].op;
    if (single && is_sum(op) && !z->substituted[id] && depth < 8)
        explain_zero(z, id, depth + 1, out);
    else if (single)
        mlp_sign_explain(z->bp.g, z->signs, z->facts, id, out);
    else if (zero < n)
        explain_zero(z, f[zero].id, depth, out);
    else
        mlp_sb_puts(out, "the product folds to 0");
    free(f);
}

/* ---- verdicts ---- */

/* Why a value has no adjoint: no path to the loss, or every path passes an op whose derivative
 * is 0 everywhere (step, drelu). */
static void flat_ops(const struct zeros *z, mlp_id wrt, mlp_strbuf *out)
{
    const mlp_graph *g = z->bp.g;
    const char *loss = g->names[g->loss].text, *name = mlp_node_name(g, wrt);
    bool *up = mlp_xcalloc((size_t)g->n, sizeof *up), *down = mlp_xcalloc((size_t)g->n, sizeof *down);
    mlp_graph_ancestors(g, &z->bp.loss, 1, up);
    down[wrt] = true;
    for (mlp_id id = wrt + 1; id < z->bp.nprimal; id++)
        for (int i = 0; i < mlp_op_arity(g->nodes[id].op); i++)
            down[id] |= down[g->nodes[id].in[i]];
    mlp_sb_printf(out, "\xe2\x88\x82%s/\xe2\x88\x82%s = 0: ", loss, name);
    if (!up[wrt]) {
        mlp_sb_printf(out, "%s does not depend on %s", loss, name);
    } else {
        mlp_sb_printf(out, "every path from %s to %s passes through", name, loss);
        const char *sep = " ";
        for (mlp_id id = wrt + 1; id < z->bp.nprimal; id++) {
            bool flat = up[id] && down[id] && !mlp_op(g->nodes[id].op)->vjp;
            if (flat) {
                struct mlp_math m = {.g = g, .style = MLP_MATH_TEXT};
                mlp_sb_puts(out, sep);
                mlp_math_describe(g, id, out);
                mlp_sb_puts(out, g->nodes[id].name >= 0 ? " = " : "");
                if (g->nodes[id].name >= 0)
                    mlp_math_definition(&m, id, out);
                sep = " or ";
            }
        }
        mlp_sb_puts(out, ", whose derivative is 0 everywhere");
    }
    free(up);
    free(down);
}

static char *why(struct zeros *z, int i, bool zero)
{
    const mlp_graph *g = z->bp.g;
    mlp_strbuf out = {0}, lhs = {0};
    const char *loss = g->names[g->loss].text, *name = mlp_node_name(g, z->bp.wrt[i]);
    mlp_sb_printf(&lhs, "\xe2\x88\x82%s/\xe2\x88\x82%s", loss, name);
    if (z->bp.adj[z->bp.wrt[i]] == MLP_NONE) {
        flat_ops(z, z->bp.wrt[i], &out);
    } else if (zero) {
        explain_product(z, z->bp.grad[i], mlp_sb_str(&lhs), 0, &out);
    } else {
        struct factor *f = NULL;
        int n = 0;
        factors(z, z->bp.grad[i], false, &f, &n);
        mlp_sb_printf(&out, "%s = ", mlp_sb_str(&lhs));
        if (n == 1 && f[0].id == z->bp.grad[i])
            write_definition(z, f[0].id, &out);
        else
            write_factors(z, f, n, &out);
        mlp_sb_puts(&out, n > 1 ? ", and none of these factors is known to be zero"
                                : ", which is not known to be zero");
        free(f);
    }
    mlp_sb_free(&lhs);
    return mlp_sb_take(&out);
}

/* Parameters, when the caller names no values. */
static const char **all_params(const mlp_graph *g, int *n)
{
    const char **names = mlp_xmalloc((size_t)g->nnames * sizeof *names + 1);
    *n = 0;
    for (int i = 0; i < g->nnames; i++)
        if (g->names[i].kind == MLP_PARAM)
            names[(*n)++] = g->names[i].text;
    return names;
}

static int analyse(struct zeros *z, const mlp_graph *model, const char *const *facts, int nfacts,
                   const char *const *wrt, int nwrt, mlp_error *err)
{
    const char **params = NULL;
    if (!wrt) {
        params = all_params(model, &nwrt);
        wrt = params;
        if (nwrt == 0) {
            free(params);
            return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC,
                            "the model has no parameters (name values with --wrt)");
        }
    }
    int rc = mlp_backprop_build(&z->bp, model, wrt, nwrt, err);
    free(params);
    for (int i = 0; rc == MLP_OK && i < nfacts; i++)
        rc = mlp_facts_parse(z->bp.g, facts[i], "--assume", &z->facts, &z->nfacts, err);
    if (rc != MLP_OK)
        return rc;
    z->signs = mlp_signs(z->bp.g, z->facts, z->nfacts, err);
    if (!z->signs)
        return MLP_ERR_INPUT;
    z->substituted = mlp_xcalloc((size_t)z->bp.g->n + 1, sizeof *z->substituted);
    z->g = mlp_graph_rewrite(z->bp.g, substitute, z, &z->map, err);
    return z->g ? MLP_OK : MLP_ERR_INPUT;
}

static void zeros_free(struct zeros *z)
{
    mlp_backprop_free(&z->bp);
    free(z->facts);
    free(z->signs);
    free(z->substituted);
    mlp_graph_free(z->g);
    free(z->map);
    mlp_sb_free(&z->scratch);
}

int mlp_zeros_graph(const mlp_graph *model, const char *const *facts, int nfacts,
                    const char *const *wrt, int nwrt, mlp_zero_result **out, int *n, mlp_error *err)
{
    struct zeros z;
    memset(&z, 0, sizeof z);
    *out = NULL;
    *n = 0;
    int rc = analyse(&z, model, facts, nfacts, wrt, nwrt, err);
    if (rc == MLP_OK) {
        *n = z.bp.nwrt;
        *out = mlp_xcalloc((size_t)*n, sizeof **out);
        for (int i = 0; i < *n; i++) {
            bool zero = folds_to_zero(&z, z.bp.grad[i]);
            (*out)[i].name = mlp_xstrdup(mlp_node_name(z.bp.g, z.bp.wrt[i]));
            (*out)[i].always_zero = zero;
            (*out)[i].why = why(&z, i, zero);
        }
    }
    zeros_free(&z);
    return rc;
}

void mlp_zero_results_free(mlp_zero_result *r, int n)
{
    for (int i = 0; r && i < n; i++) {
        free(r[i].name);
        free(r[i].why);
    }
    free(r);
}
