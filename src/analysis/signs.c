/* signs.c - which signs each value can take under assumed facts, and why.
 *
 * A node's sign set is the union over its elements of {negative, zero, positive}. Facts narrow
 * sets; ops carry the narrowing forwards (relu(z) = 0 where z ≤ 0, a product with a zero factor
 * is zero) and elementwise ones such as relu and step carry it backwards (relu(z) = 0 only if
 * z ≤ 0). The rules are the ops' sign facts, in their op table entries (src/graph/ops/). Every rule holds
 * over the real numbers for every element, so a set of {zero} is a proof that the value is 0.
 * Sets only shrink, so the alternating passes reach a fixed point.
 */
#include "analysis/analysis.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = SIGN_NEG, Z = SIGN_ZERO, P = SIGN_POS, ANY = SIGN_ANY };

static unsigned constant_signs(const mlp_graph *g, mlp_id id)
{
    unsigned s = 0;
    const double *v = mlp_node_values(g, id);
    for (int64_t i = 0; i < mlp_shape_size(g->nodes[id].shape); i++)
        s |= isnan(v[i]) ? ANY : v[i] < 0 ? N : v[i] > 0 ? P : Z;
    return s;
}

/* What the op guarantees about its value from its operands' signs (its entry's sign facts);
 * a constant's signs are those of its values, an input's and a parameter's any. */
static unsigned forward(const mlp_graph *g, mlp_id id, const unsigned *in)
{
    const struct mlp_node *n = mlp_node(g, id);
    if (mlp_op(n->op)->cls == MLP_CLASS_LEAF)
        return mlp_is_constant(g, id) ? constant_signs(g, id) : ANY;
    return mlp_op_signs(n->op, in);
}

static bool narrow(struct mlp_sign *s, unsigned set, enum mlp_sign_cause cause, mlp_id user)
{
    if ((s->set & set) == s->set)
        return false;
    s->set &= set;
    s->cause = cause;
    s->user = user;
    return true;
}

static unsigned operand_set(const mlp_graph *g, const struct mlp_sign *s, mlp_id id, int i)
{
    return i < mlp_op_arity(g->nodes[id].op) ? s[g->nodes[id].in[i]].set : ANY;
}

static bool propagate(const mlp_graph *g, struct mlp_sign *s)
{
    bool changed = false;
    for (mlp_id id = 0; id < g->n; id++) {
        unsigned in[MLP_MAX_ARITY];
        for (int i = 0; i < MLP_MAX_ARITY; i++)
            in[i] = operand_set(g, s, id, i);
        unsigned f = forward(g, id, in);
        bool leaf = mlp_op(g->nodes[id].op)->cls == MLP_CLASS_LEAF;
        changed |= narrow(&s[id], f, leaf ? SIGN_OPEN : SIGN_FROM_OPERANDS, MLP_NONE);
    }
    for (mlp_id id = g->n - 1; id >= 0; id--) {
        const struct mlp_node *n = mlp_node(g, id);
        if (mlp_op_arity(n->op) == 1)
            changed |= narrow(&s[n->in[0]], mlp_op_signs_back(n->op, s[id].set), SIGN_FROM_USER,
                              id);
    }
    return changed;
}

static mlp_id contradiction(const mlp_graph *g, const struct mlp_sign *s)
{
    for (mlp_id id = 0; id < g->n; id++)
        if (!s[id].set)
            return id;
    return MLP_NONE;
}

struct mlp_sign *mlp_signs(const mlp_graph *g, const struct mlp_fact *facts, int nfacts,
                           mlp_error *err)
{
    struct mlp_sign *s = mlp_xcalloc((size_t)g->n + 1, sizeof *s);
    for (mlp_id id = 0; id < g->n; id++)
        s[id] = (struct mlp_sign){ANY, SIGN_OPEN, -1, MLP_NONE};
    for (int i = 0; i < nfacts; i++)
        if (narrow(&s[facts[i].node], facts[i].signs, SIGN_ASSUMED, MLP_NONE))
            s[facts[i].node].fact = i;
    int rounds = 0;
    while (propagate(g, s) && contradiction(g, s) == MLP_NONE && ++rounds < 4 * g->n + 4)
        ;
    mlp_id bad = contradiction(g, s);
    if (bad == MLP_NONE)
        return s;
    mlp_strbuf what = {0};
    mlp_math_describe(g, bad, &what);
    /* The facts, as many as leave room in the message for its point (an error message holds
     * 512 bytes; 30 long facts used to push "cannot all hold" out of it). */
    mlp_strbuf all = {0};
    int listed = 0;
    for (; listed < nfacts && (listed == 0 || all.len + strlen(facts[listed].text) < 200); listed++)
        mlp_sb_printf(&all, listed ? ", %s" : "%s", facts[listed].text);
    if (listed < nfacts)
        mlp_sb_printf(&all, ", and %d more", nfacts - listed);
    mlp_fail(err, MLP_ERR_INPUT, "--assume", MLP_NOLOC,
             "the facts (%s) cannot all hold in this model: they leave no possible value for %s",
             mlp_sb_str(&all), mlp_sb_str(&what));
    mlp_sb_free(&all);
    mlp_sb_free(&what);
    free(s);
    return NULL;
}

/* ---- explanations ---- */

static const char *sign_text(unsigned s)
{
    switch (s) {
    case N: return " < 0";
    case Z: return " = 0";
    case P: return " > 0";
    case N | Z: return " \xe2\x89\xa4 0"; /* ≤ */
    case Z | P: return " \xe2\x89\xa5 0"; /* ≥ */
    case N | P: return " \xe2\x89\xa0 0"; /* ≠ */
    default: return " (any sign)";
    }
}

/* "h1 = relu(z1)" for a named op node when its definition is the point, else "h1" or the
 * expression of an unnamed node. */
static void label(const mlp_graph *g, mlp_id id, bool definition, mlp_strbuf *out)
{
    mlp_math_describe(g, id, out);
    if (definition && mlp_op(g->nodes[id].op)->cls != MLP_CLASS_LEAF && g->nodes[id].name >= 0) {
        struct mlp_math m = {.g = g, .style = MLP_MATH_TEXT};
        mlp_sb_puts(out, " = ");
        mlp_math_definition(&m, id, out);
    }
}

/* "h1 = relu(z1) = 0 because z1 < 0 (assumed)"; with `definition`, a named node's definition
 * is written even when its sign has another cause (the user whose sign implied an operand's). */
static void explain(const mlp_graph *g, const struct mlp_sign *s, const struct mlp_fact *facts,
                    mlp_id id, bool definition, int depth, mlp_strbuf *out)
{
    const struct mlp_sign *si = &s[id];
    label(g, id, definition || si->cause == SIGN_FROM_OPERANDS, out);
    mlp_sb_puts(out, sign_text(si->set));
    if (depth > 12) {
        mlp_sb_puts(out, " (...)");
        return;
    }
    const struct mlp_node *n = mlp_node(g, id);
    switch (si->cause) {
    case SIGN_ASSUMED: {
        const struct mlp_fact *f = &facts[si->fact];
        bool as_written = f->signs == si->set && f->value == 0; /* "z1 < 0" says z1 < 0 */
        if (as_written)
            mlp_sb_puts(out, " (assumed)");
        else
            mlp_sb_printf(out, " (assumed: %s)", f->text);
        return;
    }
    case SIGN_FROM_USER:
        mlp_sb_puts(out, ", since ");
        explain(g, s, facts, si->user, true, depth + 1, out);
        return;
    case SIGN_FROM_OPERANDS: {
        const char *sep = " because ";
        for (int i = 0; i < mlp_op_arity(n->op); i++) {
            mlp_id x = n->in[i];
            if (s[x].set == ANY || (i == 1 && n->in[0] == x) || mlp_is_anon_const(g, x))
                continue;
            mlp_sb_puts(out, sep);
            explain(g, s, facts, x, false, depth + 1, out);
            sep = " and ";
        }
        return;
    }
    default:
        return;
    }
}

void mlp_sign_explain(const mlp_graph *g, const struct mlp_sign *signs,
                      const struct mlp_fact *facts, mlp_id id, mlp_strbuf *out)
{
    explain(g, signs, facts, id, false, 0, out);
}
