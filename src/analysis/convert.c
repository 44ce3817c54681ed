/* convert.c - rewrite activations into others through an exact identity, folding the identity's
 * constants into the neighbouring affine layers (seed problem 2).
 *
 * With from(a) = α to(β a) + γ (sigmoid(a) = ½ tanh(a/2) + ½, tanh(a) = 2 sigmoid(2a) − 1):
 *  - input side: if the pre-activation a is a sum of terms P·v or P (parameters used nowhere
 *    else), scaling those parameters by β makes it β a; otherwise β a is written out;
 *  - output side: if every use of h = from(a) is a product Q·h (Q a parameter used nowhere else)
 *    that is summed, through values used nowhere else, with a bias parameter d of its shape,
 *    then Q h = α Q h' + γ Q 1 becomes Q* = α Q, d* = d ± γ Q 1 (the signs of the sum's terms
 *    decide ±); otherwise h = α h' + γ is written out.
 * For seed problem 2 that is W1* = W1/2, b1* = b1/2, W2* = W2/2, b2* = b2 + ½ Σⱼ W2[:, j].
 * Each activation's rewrite is an equivalence of the model as it stands, applied to the current
 * parameter values, so activations in consecutive layers compose. Activations whose value is an
 * output or the loss keep that value: they are rewritten only on request, explicitly.
 */
#include "analysis/analysis.h"
#include "base/mem.h"
#include "graph/rewrite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct identity {
    enum mlp_op from, to;
    double alpha, beta, gamma; /* from(a) = alpha * to(beta * a) + gamma */
    const char *formula;
} identities[] = {
    {MLP_OP_SIGMOID, MLP_OP_TANH, 0.5, 0.5, 0.5, "sigmoid(a) = 0.5 * tanh(0.5 * a) + 0.5"},
    {MLP_OP_TANH, MLP_OP_SIGMOID, 2, 2, -1, "tanh(a) = 2 * sigmoid(2 * a) - 1"},
};

/* How one activation is rewritten. */
struct plan {
    bool convert;     /* rewrite this node at all */
    bool fold_in;     /* beta folded into the parameters of its pre-activation */
    bool fold_out;    /* alpha, gamma folded into the layers that use it */
};

struct convert {
    mlp_graph *g; /* a copy of the model: its parameter values are updated in place */
    const struct identity *id;
    int *uses;        /* per node: operand slots that refer to it */
    bool *fixed;      /* per node: named as an output or the loss (its value must not change) */
    struct plan *plan;
    mlp_strbuf report;
};

static bool is_param(const struct convert *c, mlp_id id)
{
    bool param = mlp_op(c->g->nodes[id].op)->cls == MLP_CLASS_LEAF && !mlp_is_input(c->g, id) &&
                 !mlp_is_constant(c->g, id);
    return param && c->uses[id] == 1 && !c->fixed[id];
}

/* Used by exactly one operand slot and not an output: its value may change. */
static bool private(const struct convert *c, mlp_id id) { return c->uses[id] == 1 && !c->fixed[id]; }

static void count_uses(struct convert *c)
{
    mlp_graph *g = c->g;
    c->uses = mlp_xcalloc((size_t)g->n, sizeof *c->uses);
    c->fixed = mlp_xcalloc((size_t)g->n, sizeof *c->fixed);
    for (mlp_id id = 0; id < g->n; id++)
        for (int i = 0; i < mlp_op_arity(g->nodes[id].op); i++)
            c->uses[g->nodes[id].in[i]]++;
    for (int i = 0; i < g->noutputs; i++)
        c->fixed[g->names[g->outputs[i]].node] = true;
    if (g->loss >= 0)
        c->fixed[g->names[g->loss].node] = true;
}

static void scale(mlp_graph *g, mlp_id param, double k)
{
    double *v = mlp_node_values(g, param);
    int64_t n = mlp_shape_size(g->nodes[param].shape);
    for (int64_t i = 0; i < n; i++)
        v[i] *= k;
    mlp_pool_clear_text(g, g->nodes[param].data, n);
}

static void name_of(const mlp_graph *g, mlp_id id, mlp_strbuf *out)
{
    mlp_math_describe(g, id, out);
}

/* ---- input side: a = Σ ±(P · v) or ±P, parameters used only here ---- */

/* The parameter that makes term t scalable, or MLP_NONE. */
static mlp_id term_param(const struct convert *c, mlp_id t)
{
    const struct mlp_node *n = mlp_node(c->g, t);
    if (is_param(c, t))
        return t;
    if ((n->op != MLP_OP_MUL && n->op != MLP_OP_MATMUL) || !private(c, t))
        return MLP_NONE;
    return is_param(c, n->in[0]) ? n->in[0] : is_param(c, n->in[1]) ? n->in[1] : MLP_NONE;
}

static bool linear_params(const struct convert *c, mlp_id a, mlp_id **params, int *n)
{
    const struct mlp_node *nd = mlp_node(c->g, a);
    if ((nd->op == MLP_OP_ADD || nd->op == MLP_OP_SUB) && private(c, a))
        return linear_params(c, nd->in[0], params, n) && linear_params(c, nd->in[1], params, n);
    mlp_id p = term_param(c, a);
    if (p == MLP_NONE)
        return false;
    *params = mlp_xrealloc(*params, (size_t)(*n + 1) * sizeof **params);
    (*params)[(*n)++] = p;
    return true;
}

static bool fold_input(struct convert *c, mlp_id act)
{
    mlp_id a = mlp_operand(c->g, act, 0), *params = NULL;
    int n = 0;
    bool ok = private(c, a) && linear_params(c, a, &params, &n);
    if (ok) {
        mlp_sb_puts(&c->report, "; input side folded into ");
        for (int i = 0; i < n; i++) {
            scale(c->g, params[i], c->id->beta);
            mlp_sb_printf(&c->report, i ? ", %s" : "%s", mlp_node_name(c->g, params[i]));
        }
        mlp_sb_printf(&c->report, " (x %g)", c->id->beta);
    } else {
        mlp_sb_printf(&c->report, "; input side written out (%s(%g * a): the pre-activation is "
                                  "not a sum of parameter terms used only there)",
                      mlp_op_name(c->id->to), c->id->beta);
    }
    free(params);
    return ok;
}

/* ---- output side: Q h summed with a bias d ---- */

struct use {
    mlp_id product; /* Q @ h, h @ Q or q * h */
    mlp_id q, bias;
    double sign;    /* of the bias correction: s * s_d */
};

/* The single user of a private node, or MLP_NONE. */
static mlp_id user_of(const struct convert *c, mlp_id id)
{
    for (mlp_id u = id + 1; u < c->g->n; u++)
        for (int i = 0; i < mlp_op_arity(c->g->nodes[u].op); i++)
            if (c->g->nodes[u].in[i] == id)
                return u;
    return MLP_NONE;
}

/* Climb from the product through sums of its shape to the one that adds a bias parameter. */
static bool find_bias(const struct convert *c, struct use *u)
{
    mlp_shape shape = c->g->nodes[u->product].shape;
    double s = 1;
    for (mlp_id node = u->product; private(c, node);) {
        mlp_id p = user_of(c, node);
        const struct mlp_node *pn = mlp_node(c->g, p);
        if ((pn->op != MLP_OP_ADD && pn->op != MLP_OP_SUB) || !mlp_shape_equal(pn->shape, shape))
            return false;
        bool left = pn->in[0] == node;
        mlp_id other = left ? pn->in[1] : pn->in[0];
        double s_other = pn->op == MLP_OP_SUB && left ? -1 : 1;
        s *= pn->op == MLP_OP_SUB && !left ? -1 : 1;
        if (is_param(c, other) && mlp_shape_equal(c->g->nodes[other].shape, shape)) {
            u->bias = other;
            u->sign = s * s_other;
            return true;
        }
        node = p;
    }
    return false;
}

/* Each use of the activation: a product with a private parameter, and a bias to absorb γ Q 1. */
static bool output_uses(const struct convert *c, mlp_id act, struct use **uses, int *n)
{
    if (c->fixed[act])
        return false;
    for (mlp_id u = act + 1; u < c->g->n; u++) {
        const struct mlp_node *un = mlp_node(c->g, u);
        for (int i = 0; i < mlp_op_arity(un->op); i++) {
            if (un->in[i] != act)
                continue;
            mlp_id q = un->in[1 - i];
            bool product = un->op == MLP_OP_MUL ||
                           (un->op == MLP_OP_MATMUL && c->g->nodes[act].shape.rank == 1 &&
                            c->g->nodes[q].shape.rank == 2);
            if (mlp_op_arity(un->op) != 2 || !product || !is_param(c, q) || un->in[0] == un->in[1])
                return false;
            struct use use = {u, q, MLP_NONE, 1};
            if (!find_bias(c, &use))
                return false;
            *uses = mlp_xrealloc(*uses, (size_t)(*n + 1) * sizeof **uses);
            (*uses)[(*n)++] = use;
        }
    }
    return *n > 0;
}

/* d += k * (the product with the activation replaced by ones): Q 1, 1ᵀ Q, or q. */
static void absorb(mlp_graph *g, const struct use *u, double k)
{
    const struct mlp_node *pn = mlp_node(g, u->product);
    const double *q = mlp_node_values(g, u->q);
    double *d = mlp_node_values(g, u->bias);
    int64_t n = mlp_shape_size(pn->shape), qn = mlp_shape_size(g->nodes[u->q].shape);
    mlp_shape qs = g->nodes[u->q].shape;
    for (int64_t i = 0; i < n; i++) {
        double sum = 0;
        if (pn->op == MLP_OP_MUL) /* elementwise, or a scalar q */
            sum = q[qn == 1 ? 0 : i];
        else if (pn->in[0] == u->q) /* Q h: row sums */
            for (int j = 0; j < qs.dim[1]; j++)
                sum += q[i * qs.dim[1] + j];
        else /* h Q: column sums */
            for (int j = 0; j < qs.dim[0]; j++)
                sum += q[(int64_t)j * qs.dim[1] + i];
        d[i] += k * sum;
    }
    mlp_pool_clear_text(g, g->nodes[u->bias].data, n);
}

static bool fold_output(struct convert *c, mlp_id act)
{
    struct use *uses = NULL;
    int n = 0;
    bool ok = output_uses(c, act, &uses, &n);
    if (ok) {
        mlp_sb_puts(&c->report, "; output side folded into ");
        for (int i = 0; i < n; i++) {
            absorb(c->g, &uses[i], uses[i].sign * c->id->gamma);
            scale(c->g, uses[i].q, c->id->alpha);
            const struct mlp_node *pn = mlp_node(c->g, uses[i].product);
            const char *q = mlp_node_name(c->g, uses[i].q);
            const char *sums = pn->op == MLP_OP_MUL ? "" : pn->in[0] == uses[i].q
                                                            ? "the row sums of " : "the column sums of ";
            mlp_sb_printf(&c->report, "%s%s (x %g) and %s (%+g x %s%s)", i ? ", " : "", q,
                          c->id->alpha, mlp_node_name(c->g, uses[i].bias),
                          uses[i].sign * c->id->gamma, sums, q);
        }
    } else {
        mlp_sb_printf(&c->report, "; output side written out (%g * %s(...) %s %g: %s)",
                      c->id->alpha, mlp_op_name(c->id->to), c->id->gamma < 0 ? "-" : "+",
                      fabs(c->id->gamma),
                      c->fixed[act] ? "its value is an output or the loss"
                                    : "a use is not a parameter product summed with a bias "
                                      "parameter used only there");
    }
    free(uses);
    return ok;
}

/* ---- the rewrite ---- */

static void plan_all(struct convert *c, int flags)
{
    mlp_graph *g = c->g;
    c->plan = mlp_xcalloc((size_t)g->n, sizeof *c->plan);
    for (mlp_id id = 0; id < g->n; id++) {
        if (g->nodes[id].op != c->id->from)
            continue;
        mlp_sb_puts(&c->report, "# ");
        name_of(g, id, &c->report);
        if (c->fixed[id] && !(flags & MLP_CONVERT_OUTPUTS)) {
            mlp_sb_printf(&c->report, ": kept as %s (its value is an output or the loss; "
                                      "--all rewrites it too)\n", mlp_op_name(c->id->from));
            continue;
        }
        mlp_sb_printf(&c->report, ": %s -> %s", mlp_op_name(c->id->from), mlp_op_name(c->id->to));
        c->plan[id].convert = true;
        c->plan[id].fold_in = fold_input(c, id);
        c->plan[id].fold_out = fold_output(c, id);
        mlp_sb_putc(&c->report, '\n');
    }
}

static mlp_id swap_activation(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                              const mlp_id *map)
{
    const struct convert *c = ctx;
    const struct plan *p = &c->plan[id];
    if (!p->convert)
        return MLP_NONE;
    const struct identity *k = c->id;
    dst->loc = src->nodes[id].loc;
    mlp_id a = map[src->nodes[id].in[0]];
    if (!p->fold_in)
        a = mlp_mul(dst, mlp_scalar(dst, k->beta), a);
    mlp_id h = mlp_unary(dst, k->to, a);
    if (p->fold_out)
        return h;
    h = mlp_mul(dst, mlp_scalar(dst, k->alpha), h);
    return k->gamma < 0 ? mlp_sub(dst, h, mlp_scalar(dst, -k->gamma))
                        : mlp_add(dst, h, mlp_scalar(dst, k->gamma));
}

static const struct identity *find_identity(const char *from, const char *to, mlp_error *err)
{
    for (size_t i = 0; i < sizeof identities / sizeof *identities; i++)
        if (!strcmp(mlp_op_name(identities[i].from), from) &&
            !strcmp(mlp_op_name(identities[i].to), to))
            return &identities[i];
    mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
             "no identity rewrites %s as %s (known: sigmoid=tanh, tanh=sigmoid)", from, to);
    return NULL;
}

mlp_graph *mlp_convert_activation_graph(const mlp_graph *model, const char *from, const char *to,
                                        int flags, char **report, mlp_error *err)
{
    struct convert c;
    memset(&c, 0, sizeof c);
    c.id = find_identity(from, to, err);
    if (!c.id)
        return NULL;
    c.g = mlp_graph_clone(model);
    count_uses(&c);
    mlp_sb_printf(&c.report, "# %s -> %s by %s\n", from, to, c.id->formula);
    plan_all(&c, flags);
    bool any = false;
    for (mlp_id id = 0; id < c.g->n; id++)
        any |= c.plan[id].convert;
    mlp_graph *out = NULL;
    if (!any)
        mlp_fail(err, MLP_ERR_INPUT, c.g->file, MLP_NOLOC, "no %s activation to rewrite%s", from,
                 strstr(mlp_sb_str(&c.report), "kept") ? " (those there are outputs; --all "
                                                         "rewrites them too)" : "");
    else
        out = mlp_graph_rewrite(c.g, swap_activation, &c, NULL, err);
    if (out && report)
        *report = mlp_sb_take(&c.report);
    mlp_sb_free(&c.report);
    mlp_graph_free(c.g);
    free(c.uses);
    free(c.fixed);
    free(c.plan);
    return out;
}
