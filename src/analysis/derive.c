/* derive.c - the backpropagation equations of a model, as a person writes them.
 *
 * The adjoint graph that `mlp grad` evaluates is printed as equations, one per named value on a
 * path from the wrt values to the loss, in the order backpropagation computes them (the reverse
 * of the program). The smart constructors have already folded the constants (S̄ = 1 makes
 * ȳ = S̄ (y − s) read ȳ = y − s). What derive adds:
 *
 *  - Order of terms. Autodiff accumulates an adjoint as one term per use of the value, in the
 *    program order of those uses. Derive writes first the terms that mention no other adjoint
 *    (they are known before backpropagation starts, like r in h̄ = r + W2ᵀ ȳ), then the others
 *    in program order. This is done by rebuilding the graph (rewrite.c), so the equations as
 *    text, as LaTeX and as a model file all read alike.
 *  - Names. An adjoint equal to an earlier one is written by its name (x̄ = ... + ȳ); the
 *    adjoint of an unnamed value that several equations use gets a name of its own (ū1, with
 *    u1 the value), so nothing is written out twice.
 *  - Adjoints that are constants (L̄ = S̄ = R̄ = 1) are grouped on one line.
 */
#include "analysis/analysis.h"
#include "base/mem.h"
#include "graph/rewrite.h"
#include "lang/parser.h"

#include <stdlib.h>
#include <string.h>

struct equation {
    mlp_id primal; /* the value whose adjoint this is */
    mlp_id root;   /* its adjoint: a node of bp.g, then (after canonicalize) of d->g */
    char *name;    /* the value's name, or u1, u2, ... for an unnamed value */
    bool temp;     /* an unnamed value, named here because several equations use its adjoint */
};

struct derive {
    struct mlp_backprop bp;
    struct equation *eq;
    int neq, eq_cap;
    mlp_graph *g;    /* the canonical graph the equations are printed from */
    mlp_id *map;     /* bp.g node -> g node */
    bool *is_root;   /* per bp.g node: the root of some equation */
    bool *mentions;  /* per bp.g node: its expression refers to an adjoint */
    int current;     /* the equation being printed: only earlier ones are referred to by name */
    int value_upto;  /* unnamed values of temporaries before this equation print as u1, u2 */
    enum mlp_math_style style;
    mlp_strbuf names; /* scratch for display names */
    int *first_bar;   /* per g node: the first equation with it as root, or neq */
    int *first_value; /* per g node: the first temporary equation naming its value, or neq */
};

static bool is_leaf(const mlp_graph *g, mlp_id id) { return mlp_op(g->nodes[id].op)->cls == MLP_CLASS_LEAF; }

/* ---- choosing the equations ---- */

/* Nodes written inline from the roots: count how often each is used by something written out.
 * Named values, leaves and other roots are written as names and not expanded. */
static void count_uses(const struct derive *d, mlp_id id, bool *seen, int *uses)
{
    const mlp_graph *g = d->bp.g;
    if (seen[id])
        return;
    seen[id] = true;
    for (int i = 0; i < mlp_op_arity(g->nodes[id].op); i++) {
        mlp_id x = g->nodes[id].in[i];
        uses[x]++;
        if (!d->is_root[x] && g->nodes[x].name < 0 && !is_leaf(g, x))
            count_uses(d, x, seen, uses);
    }
}

/* A fresh name "u<k>" that the model does not use. */
static char *temp_name(const mlp_graph *g, int *k)
{
    char buf[32];
    do
        snprintf(buf, sizeof buf, "u%d", ++*k);
    while (mlp_graph_find(g, buf, (int)strlen(buf)) >= 0);
    return mlp_xstrdup(buf);
}

static void add_equation(struct derive *d, mlp_id primal, mlp_id root, const char *name, bool temp)
{
    if (d->neq == d->eq_cap) { /* doubling: growing by one copied the whole array each time */
        d->eq_cap = d->eq_cap ? 2 * d->eq_cap : 16;
        d->eq = mlp_xrealloc(d->eq, (size_t)d->eq_cap * sizeof *d->eq);
    }
    d->eq[d->neq++] = (struct equation){primal, root, mlp_xstrdup(name), temp};
    d->is_root[root] = true;
}

/* The adjoint of an unnamed value deserves a name when two or more written expressions use it. */
static bool *temporaries(struct derive *d)
{
    const mlp_graph *g = d->bp.g;
    int *uses = mlp_xcalloc((size_t)g->n, sizeof *uses);
    bool *seen = mlp_xcalloc((size_t)g->n, sizeof *seen);
    bool *temp = mlp_xcalloc((size_t)d->bp.nprimal, sizeof *temp);
    for (int i = 0; i < d->neq; i++)
        count_uses(d, d->eq[i].root, seen, uses);
    for (mlp_id p = d->bp.nprimal - 1; p >= 0; p--) {
        mlp_id r = d->bp.adj[p];
        if (r != MLP_NONE && g->nodes[p].name < 0 && !d->is_root[r] && !is_leaf(g, r) &&
            g->nodes[r].name < 0 && uses[r] >= 2) {
            temp[p] = true;
            d->is_root[r] = true; /* one name per adjoint */
        }
    }
    free(uses);
    free(seen);
    return temp;
}

static void choose_equations(struct derive *d)
{
    const struct mlp_backprop *bp = &d->bp;
    const mlp_graph *g = bp->g;
    d->is_root = mlp_xcalloc((size_t)g->n, sizeof *d->is_root);
    /* First the named values alone, to see which unnamed adjoints are used twice. */
    for (mlp_id p = bp->nprimal - 1; p >= 0; p--)
        if (bp->adj[p] != MLP_NONE && g->nodes[p].name >= 0)
            add_equation(d, p, bp->adj[p], mlp_node_name(g, p), false);
    bool *temp = temporaries(d);
    for (int i = 0; i < d->neq; i++)
        free(d->eq[i].name);
    d->neq = 0;
    int k = 0;
    for (mlp_id p = bp->nprimal - 1; p >= 0; p--) {
        if (bp->adj[p] == MLP_NONE || (g->nodes[p].name < 0 && !temp[p]))
            continue;
        char *name = temp[p] ? temp_name(g, &k) : mlp_xstrdup(mlp_node_name(g, p));
        add_equation(d, p, bp->adj[p], name, temp[p]);
        free(name);
    }
    free(temp);
    /* Values that do not reach the loss: their adjoint is 0. */
    for (int i = 0; i < bp->nwrt; i++)
        if (bp->adj[bp->wrt[i]] == MLP_NONE)
            add_equation(d, bp->wrt[i], bp->grad[i], mlp_node_name(g, bp->wrt[i]), false);
}

/* ---- ordering the terms of sums ---- */

static void find_mentions(struct derive *d)
{
    const mlp_graph *g = d->bp.g;
    d->mentions = mlp_xcalloc((size_t)g->n, sizeof *d->mentions);
    for (mlp_id id = 0; id < g->n; id++) {
        bool m = d->is_root[id];
        for (int i = 0; id >= d->bp.nprimal && i < mlp_op_arity(g->nodes[id].op); i++)
            m |= d->mentions[g->nodes[id].in[i]];
        d->mentions[id] = m;
    }
}

/* a + b (its entry's semantics: elementwise addition). */
static bool is_add(const mlp_graph *g, mlp_id id) { return mlp_op(g->nodes[id].op)->vsem == MLP_V_ADD; }

/* The terms of a sum, left to right, down to named values and other roots. */
static int sum_terms(const struct derive *d, mlp_id id, bool top, mlp_id **terms, int n)
{
    const mlp_graph *g = d->bp.g;
    bool split = is_add(g, id) &&
                 (top || (!d->is_root[id] && g->nodes[id].name < 0));
    if (!split) {
        *terms = mlp_xrealloc(*terms, (size_t)(n + 1) * sizeof **terms);
        (*terms)[n] = id;
        return n + 1;
    }
    n = sum_terms(d, g->nodes[id].in[0], false, terms, n);
    return sum_terms(d, g->nodes[id].in[1], false, terms, n);
}

/* Rewrite hook: each root that is a sum is rebuilt with the terms that mention no adjoint
 * first, the others after them, each group in its original (program) order. */
static mlp_id order_sum(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                        const mlp_id *map)
{
    struct derive *d = ctx;
    if (!d->is_root[id] || !is_add(src, id))
        return MLP_NONE;
    mlp_id *terms = NULL;
    int n = sum_terms(d, id, true, &terms, 0);
    mlp_id acc = MLP_NONE;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++)
            if (d->mentions[terms[i]] == (pass == 1))
                acc = acc == MLP_NONE ? map[terms[i]] : mlp_add(dst, acc, map[terms[i]]);
    free(terms);
    return acc;
}

static int canonicalize(struct derive *d, mlp_error *err)
{
    find_mentions(d);
    d->g = mlp_graph_rewrite(d->bp.g, order_sum, d, &d->map, err);
    if (!d->g)
        return MLP_ERR_INPUT;
    for (int i = 0; i < d->neq; i++)
        d->eq[i].root = d->map[d->eq[i].root];
    return MLP_OK;
}

/* ---- text and LaTeX ---- */

/* Names while printing equation d->current: earlier adjoints by their bar names, values named
 * by a temporary once it is introduced. */
static const char *display_name(void *ctx, mlp_id id)
{
    struct derive *d = ctx;
    if (mlp_is_anon_const(d->g, id)) /* the 1 of b + 1 is a number, whatever else equals 1 */
        return NULL;
    /* The first equation that names id (as an adjoint, or a temporary's value) among those
     * already printed: looked up, not searched, so printing stays linear in the equations. */
    int ib = d->first_bar[id] < d->current ? d->first_bar[id] : d->neq;
    int iv = d->first_value[id] < d->value_upto ? d->first_value[id] : d->neq;
    int i = ib < iv ? ib : iv;
    if (i == d->neq)
        return NULL;
    mlp_sb_free(&d->names);
    mlp_math_name(d->eq[i].name, d->style, d->eq[i].root == id && i < d->current, &d->names);
    return mlp_sb_str(&d->names);
}

/* Fill first_bar and first_value for display_name. */
static void index_names(struct derive *d)
{
    d->first_bar = mlp_xmalloc(((size_t)d->g->n + 1) * sizeof *d->first_bar);
    d->first_value = mlp_xmalloc(((size_t)d->g->n + 1) * sizeof *d->first_value);
    for (int id = 0; id < d->g->n; id++)
        d->first_bar[id] = d->first_value[id] = d->neq;
    for (int i = d->neq - 1; i >= 0; i--) {
        const struct equation *e = &d->eq[i];
        d->first_bar[e->root] = i;
        if (e->temp)
            d->first_value[d->map[e->primal]] = i;
    }
}

static bool is_constant_eq(const struct derive *d, int i)
{
    return mlp_is_anon_const(d->g, d->eq[i].root) && d->g->nodes[d->eq[i].root].shape.rank == 0;
}

/* "L̄ = R̄ = S̄" for the run of equations from i with the same constant root; returns its end. */
static int constant_group(struct derive *d, int i, mlp_strbuf *out)
{
    int j = i;
    while (j < d->neq && is_constant_eq(d, j) && d->eq[j].root == d->eq[i].root) {
        mlp_sb_puts(out, j > i ? " = " : "");
        mlp_math_name(d->eq[j].name, d->style, true, out);
        j++;
    }
    return j;
}

static void print_math(struct derive *d, mlp_strbuf *out)
{
    bool tex = d->style == MLP_MATH_LATEX;
    struct mlp_math m = {.g = d->g, .style = d->style, .name = display_name, .ctx = d};
    index_names(d);
    mlp_sb_puts(out, tex ? "\\begin{aligned}\n" : "");
    for (int i = 0; i < d->neq;) {
        const struct equation *e = &d->eq[i];
        int next = i + 1;
        d->current = i;
        d->value_upto = i + 1;
        if (is_constant_eq(d, i))
            next = constant_group(d, i, out);
        else
            mlp_math_name(e->name, d->style, true, out);
        mlp_sb_puts(out, tex ? " &= " : " = ");
        mlp_math_expr(&m, e->root, out);
        if (e->temp) { /* say what the new name stands for, written as before it existed */
            mlp_sb_puts(out, tex ? " \\quad \\text{where } " : "    where ");
            mlp_math_name(e->name, d->style, false, out);
            mlp_sb_puts(out, " = ");
            d->value_upto = i;
            mlp_math_expr(&m, d->map[e->primal], out);
        }
        d->current = i = next;
        mlp_sb_puts(out, tex && i < d->neq ? " \\\\\n" : "\n");
    }
    mlp_sb_puts(out, tex ? "\\end{aligned}\n" : "");
    if (m.batch_summed)
        mlp_sb_printf(out, tex ? "%% %s\n" : "(%s)\n",
                      "Over a batch, the adjoint of a value that does not vary per sample is the "
                      "sum of these per-sample expressions.");
}

/* ---- a model file ---- */

/* "d_NAME", made unique among the graph's names. */
static char *adjoint_name(const mlp_graph *g, const char *name)
{
    mlp_strbuf b = {0};
    mlp_sb_printf(&b, "d_%s", name);
    while (mlp_graph_find(g, mlp_sb_str(&b), (int)b.len) >= 0)
        mlp_sb_putc(&b, '_');
    return mlp_sb_take(&b);
}

static void define(mlp_graph *g, const char *name, mlp_id node)
{
    mlp_graph_define(g, name, node, MLP_NOLOC);
}

static bool is_wrt(const struct derive *d, mlp_id primal)
{
    for (int i = 0; i < d->bp.nwrt; i++)
        if (d->bp.wrt[i] == primal)
            return true;
    return false;
}

/* "# d_L = d_R = d_S = 1" for the run of constant equations from i (a named constant would
 * print in place of every use of the number); returns the last equation of the run. */
static int comment_constants(struct derive *d, int i, mlp_strbuf *out)
{
    const mlp_id root = d->eq[i].root;
    const char *sep = "# ";
    for (; i < d->neq && is_constant_eq(d, i) && !is_wrt(d, d->eq[i].primal) &&
           d->eq[i].root == root; i++) {
        char *name = adjoint_name(d->g, d->eq[i].name);
        mlp_sb_printf(out, "%s%s", sep, name);
        free(name);
        sep = " = ";
    }
    mlp_sb_puts(out, " = ");
    mlp_print_expr(d->g, root, 0, out);
    mlp_sb_puts(out, " (folded into the statements below)\n");
    return i - 1;
}

static void print_model(struct derive *d, mlp_strbuf *out)
{
    mlp_graph *g = d->g;
    mlp_sb_printf(out, "# Backpropagation for the loss %s (mlp derive --format mlp): evaluate it "
                       "with\n# `mlp eval`; each output d_NAME is the adjoint dL/dNAME.\n",
                  g->names[g->loss].text);
    int *wrt_name = mlp_xcalloc((size_t)d->bp.nwrt, sizeof *wrt_name);
    for (int i = 0; i < d->neq; i++) {
        const struct equation *e = &d->eq[i];
        if (is_constant_eq(d, i) && !is_wrt(d, e->primal)) {
            i = comment_constants(d, i, out);
            continue;
        }
        char *name = adjoint_name(g, e->name);
        if (e->temp)
            define(g, e->name, d->map[e->primal]);
        define(g, name, e->root);
        free(name);
        for (int w = 0; w < d->bp.nwrt; w++)
            if (d->bp.wrt[w] == e->primal)
                wrt_name[w] = g->nnames - 1;
    }
    /* The outputs are the adjoints asked for, in the order asked. */
    g->noutputs = 0;
    for (int w = 0; w < d->bp.nwrt; w++) {
        mlp_xreserve(&g->outputs, &g->capoutputs, g->noutputs + 1, sizeof *g->outputs);
        g->outputs[g->noutputs++] = wrt_name[w];
    }
    free(wrt_name);
    mlp_print_model(g, NULL, out);
}

/* ---- the public entry ---- */

static void derive_free(struct derive *d)
{
    for (int i = 0; i < d->neq; i++)
        free(d->eq[i].name);
    free(d->eq);
    free(d->is_root);
    free(d->mentions);
    free(d->map);
    free(d->first_bar);
    free(d->first_value);
    mlp_graph_free(d->g);
    mlp_sb_free(&d->names);
    mlp_backprop_free(&d->bp);
}

char *mlp_derive_graph(const mlp_graph *model, const char *const *wrt, int nwrt,
                       mlp_derive_format format, mlp_error *err)
{
    struct derive d;
    memset(&d, 0, sizeof d);
    if (nwrt < 1) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "derive needs at least one value to "
                                                      "differentiate with respect to");
        return NULL;
    }
    if (mlp_backprop_build(&d.bp, model, wrt, nwrt, err) != MLP_OK) {
        derive_free(&d);
        return NULL;
    }
    choose_equations(&d);
    mlp_strbuf out = {0};
    int rc = canonicalize(&d, err);
    if (rc == MLP_OK) {
        d.style = format == MLP_DERIVE_LATEX ? MLP_MATH_LATEX : MLP_MATH_TEXT;
        if (format == MLP_DERIVE_MLP)
            print_model(&d, &out);
        else
            print_math(&d, &out);
    }
    derive_free(&d);
    if (rc != MLP_OK) {
        mlp_sb_free(&out);
        return NULL;
    }
    return mlp_sb_take(&out);
}
