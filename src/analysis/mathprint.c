/* mathprint.c - expressions of the graph written as a person writes them.
 *
 * The model language writes `W2.T @ d_y`; mathematics writes W2ᵀ ȳ. Matrix products are
 * juxtaposition, elementwise products of tensors are ∘ (scalars use ·), a numeric coefficient
 * is juxtaposed (2 x), derivatives of activations are σ'(z) and relu'(z), outer(a, b) is a bᵀ,
 * the dot product of vectors is aᵀ b. Sums over the batch and scalar broadcasts are written as
 * their per-sample operand (the equations describe one sample). Parentheses follow precedence,
 * left-associatively, exactly as the language printer does.
 */
#include "analysis/analysis.h"

#include <ctype.h>
#include <string.h>

static bool latex(const struct mlp_math *m) { return m->style == MLP_MATH_LATEX; }

/* Nodes written as their operand: a per-sample equation needs neither. */
static bool transparent(const struct mlp_node *n)
{
    enum mlp_math_form f = mlp_op(n->op)->math_form;
    return f == MLP_MATH_PER_SAMPLE || f == MLP_MATH_BATCH_SUM;
}

/* Whether a value is written as a scalar: a broadcast scalar is written as the scalar. */
static bool is_scalar(const mlp_graph *g, mlp_id id)
{
    while (transparent(&g->nodes[id]))
        id = g->nodes[id].in[0];
    return g->nodes[id].shape.rank == 0;
}

static bool is_number(const mlp_graph *g, mlp_id id)
{
    return mlp_is_anon_const(g, id) && is_scalar(g, id);
}

/* Whether every element of a constant equals the first (a uniform value prints as a number). */
static bool uniform(const mlp_graph *g, mlp_id id)
{
    const double *v = mlp_node_values(g, id);
    for (int64_t i = 1; i < mlp_shape_size(g->nodes[id].shape); i++)
        if (v[i] != v[0])
            return false;
    return true;
}

static double first_value(const mlp_graph *g, mlp_id id) { return mlp_node_values(g, id)[0]; }

static bool named(const struct mlp_math *m, mlp_id id)
{
    return (m->name && m->name(m->ctx, id)) || m->g->nodes[id].name >= 0;
}

static int precedence(const struct mlp_math *m, mlp_id id)
{
    const struct mlp_node *n = mlp_node(m->g, id);
    if (named(m, id))
        return MATH_ATOM;
    if (transparent(n))
        return precedence(m, n->in[0]);
    if (mlp_op(n->op)->cls == MLP_CLASS_LEAF) /* an anonymous constant: named leaves are named */
        return uniform(m->g, id) && first_value(m->g, id) < 0 ? MATH_UNARY : MATH_ATOM;
    switch (mlp_op(n->op)->math_form) {
    case MLP_MATH_SUM:
        return MATH_SUM;
    case MLP_MATH_PRODUCT:
    case MLP_MATH_MATMUL:
    case MLP_MATH_OUTER:
        return MATH_PRODUCT;
    case MLP_MATH_DIV:
        return latex(m) ? MATH_ATOM : MATH_PRODUCT; /* \frac{a}{b} */
    case MLP_MATH_DOT:
        return n->shape.rank == 0 && m->g->nodes[n->in[0]].shape.rank == 1 ? MATH_PRODUCT
                                                                            : MATH_ATOM;
    case MLP_MATH_NEG:
        return MATH_UNARY;
    case MLP_MATH_TRANSPOSE:
    case MLP_MATH_INDEX:
        return MATH_POSTFIX;
    default:
        return MATH_ATOM;
    }
}

void mlp_math_operand(struct mlp_math *m, mlp_id id, int min_prec, mlp_strbuf *out)
{
    bool parens = precedence(m, id) < min_prec;
    mlp_sb_puts(out, parens ? (latex(m) ? "\\left(" : "(") : "");
    mlp_math_expr(m, id, out);
    mlp_sb_puts(out, parens ? (latex(m) ? "\\right)" : ")") : "");
}

/* ---- names and numbers ---- */

static void latex_subscript(const char *rest, mlp_strbuf *out)
{
    if (*rest == '_')
        rest++;
    if (!*rest)
        return;
    bool digits = true;
    for (const char *p = rest; *p; p++)
        digits &= isdigit((unsigned char)*p) != 0;
    mlp_sb_puts(out, "_{");
    if (!digits)
        mlp_sb_puts(out, "\\mathrm{");
    for (const char *p = rest; *p; p++)
        mlp_sb_puts(out, *p == '_' ? "\\_" : (char[2]){*p, 0});
    mlp_sb_puts(out, digits ? "}" : "}}");
}

void mlp_math_name(const char *name, enum mlp_math_style style, bool bar, mlp_strbuf *out)
{
    size_t base = 0;
    while (isalpha((unsigned char)name[base]))
        base++;
    if (base == 0) /* starts with '_': no letters to carry the bar */
        base = strlen(name);
    if (style == MLP_MATH_TEXT) {
        /* One letter takes a combining macron (x̄). A longer base takes a combining overline
         * after each letter: overlines join into one bar over the word (l̅o̅g̅i̅t̅s̅), where
         * macrons would draw a dash over each letter. */
        for (size_t i = 0; i < base; i++) {
            mlp_sb_putc(out, name[i]);
            if (bar)
                mlp_sb_puts(out, base > 1 ? "\xcc\x85" : "\xcc\x84");
        }
        mlp_sb_puts(out, name + base);
        return;
    }
    bool word = base > 1;
    mlp_sb_puts(out, bar ? (word ? "\\overline{" : "\\bar{") : "");
    mlp_sb_puts(out, word ? "\\mathrm{" : "");
    for (size_t i = 0; i < base; i++)
        mlp_sb_puts(out, name[i] == '_' ? "\\_" : (char[2]){name[i], 0});
    mlp_sb_puts(out, word ? "}" : "");
    mlp_sb_puts(out, bar ? "}" : "");
    latex_subscript(name + base, out);
}

static void put_number(const struct mlp_math *m, double v, const char *text, mlp_strbuf *out)
{
    char buf[32];
    if (!text)
        text = mlp_format_double(v, buf);
    if (text[0] == '-' && !latex(m)) {
        mlp_sb_puts(out, "\xe2\x88\x92"); /* U+2212 MINUS SIGN */
        text++;
    }
    mlp_sb_puts(out, text);
}

static void put_constant(const struct mlp_math *m, mlp_id id, mlp_strbuf *out)
{
    const mlp_graph *g = m->g;
    const struct mlp_node *n = mlp_node(g, id);
    int64_t size = mlp_shape_size(n->shape);
    char *const *texts = g->pool_text ? g->pool_text + n->data : NULL;
    if (uniform(g, id)) { /* a scalar, or a tensor of one value: written as that number */
        put_number(m, first_value(g, id), texts ? texts[0] : NULL, out);
        return;
    }
    mlp_sb_putc(out, '[');
    for (int64_t i = 0; i < size; i++) {
        mlp_sb_puts(out, i ? ", " : "");
        put_number(m, mlp_node_values(g, id)[i], texts ? texts[i] : NULL, out);
    }
    mlp_sb_putc(out, ']');
}

/* ---- operators ---- */

static void infix(struct mlp_math *m, mlp_id a, const char *op, mlp_id b, int prec, mlp_strbuf *out)
{
    mlp_math_operand(m, a, prec, out);
    mlp_sb_puts(out, op);
    /* Right operands of products take parentheses even for a unary minus: a · (−b). */
    mlp_math_operand(m, b, prec == MATH_PRODUCT ? MATH_POSTFIX : prec + 1, out);
}

static void transposed(struct mlp_math *m, mlp_id a, mlp_strbuf *out)
{
    mlp_math_operand(m, a, MATH_POSTFIX, out);
    mlp_sb_puts(out, latex(m) ? "^\\top" : "\xe1\xb5\x80"); /* U+1D40 MODIFIER LETTER CAPITAL T */
}

static void product(struct mlp_math *m, const struct mlp_node *n, mlp_strbuf *out)
{
    mlp_id a = n->in[0], b = n->in[1];
    const char *op;
    if (is_number(m->g, a))
        op = " "; /* a numeric coefficient: 2 x */
    else if (is_scalar(m->g, a) || is_scalar(m->g, b))
        op = latex(m) ? " \\cdot " : " \xc2\xb7 "; /* U+00B7 MIDDLE DOT */
    else
        op = latex(m) ? " \\circ " : " \xe2\x88\x98 "; /* U+2218 RING OPERATOR */
    infix(m, a, op, b, MATH_PRODUCT, out);
}

static void call(struct mlp_math *m, const struct mlp_node *n, mlp_strbuf *out)
{
    const struct mlp_op_info *info = mlp_op(n->op);
    const char *fn = latex(m) ? info->latex : info->math;
    mlp_sb_puts(out, fn && *fn ? fn : mlp_op_name(n->op));
    mlp_sb_putc(out, '(');
    for (int i = 0; i < mlp_op_arity(n->op); i++) {
        mlp_sb_puts(out, i ? ", " : "");
        mlp_math_expr(m, n->in[i], out);
    }
    if (info->extra == MLP_EXTRA_SHAPE_INDICES) {
        char shape[64];
        mlp_shape_format(n->shape, shape);
        mlp_sb_printf(out, ", %s", shape);
        for (int i = 0; i < n->attr[0]; i++)
            mlp_sb_printf(out, ", %d", n->attr[1 + i]);
    }
    mlp_sb_putc(out, ')');
}

static void indexed(struct mlp_math *m, const struct mlp_node *n, mlp_strbuf *out)
{
    mlp_math_operand(m, n->in[0], MATH_POSTFIX, out);
    mlp_sb_putc(out, '[');
    for (int i = 0; i < n->attr[0]; i++)
        mlp_sb_printf(out, i ? ", %d" : "%d", n->attr[1 + i]);
    mlp_sb_putc(out, ']');
}

static bool put_name(struct mlp_math *m, mlp_id id, mlp_strbuf *out)
{
    const char *s = m->name ? m->name(m->ctx, id) : NULL;
    if (s)
        mlp_sb_puts(out, s);
    else if (m->g->nodes[id].name >= 0)
        mlp_math_name(mlp_node_name(m->g, id), m->style, false, out);
    return s || m->g->nodes[id].name >= 0;
}

void mlp_math_expr(struct mlp_math *m, mlp_id id, mlp_strbuf *out)
{
    if (!put_name(m, id, out))
        mlp_math_definition(m, id, out);
}

void mlp_math_definition(struct mlp_math *m, mlp_id id, mlp_strbuf *out)
{
    const struct mlp_node n = *mlp_node(m->g, id);
    bool tex = latex(m);
    if (transparent(&n)) {
        m->batch_summed |= mlp_op(n.op)->math_form == MLP_MATH_BATCH_SUM;
        mlp_math_expr(m, n.in[0], out);
        return;
    }
    const struct mlp_op_info *info = mlp_op(n.op);
    if (info->cls == MLP_CLASS_LEAF) {
        put_constant(m, id, out);
        return;
    }
    const char *sym = tex ? info->latex : info->math;
    switch (info->math_form) {
    case MLP_MATH_SUM: /* a + b, a − b */
        infix(m, n.in[0], sym[0] == '+' ? " + " : tex ? " - " : " \xe2\x88\x92 ", n.in[1],
              MATH_SUM, out);
        return;
    case MLP_MATH_NEG:
        mlp_sb_puts(out, sym);
        mlp_math_operand(m, n.in[0], MATH_POSTFIX, out);
        return;
    case MLP_MATH_PRODUCT:
        product(m, &n, out);
        return;
    case MLP_MATH_DIV:
        if (!tex) {
            infix(m, n.in[0], " / ", n.in[1], MATH_PRODUCT, out);
            return;
        }
        mlp_sb_puts(out, "\\frac{");
        mlp_math_expr(m, n.in[0], out);
        mlp_sb_puts(out, "}{");
        mlp_math_expr(m, n.in[1], out);
        mlp_sb_puts(out, "}");
        return;
    case MLP_MATH_MATMUL:
        infix(m, n.in[0], " ", n.in[1], MATH_PRODUCT, out);
        return;
    case MLP_MATH_OUTER: /* a bᵀ */
        mlp_math_operand(m, n.in[0], MATH_PRODUCT, out);
        mlp_sb_putc(out, ' ');
        transposed(m, n.in[1], out);
        return;
    case MLP_MATH_DOT:
        if (precedence(m, id) == MATH_PRODUCT) { /* vectors: aᵀ b */
            transposed(m, n.in[0], out);
            mlp_sb_putc(out, ' ');
            mlp_math_operand(m, n.in[1], MATH_POSTFIX, out);
            return;
        }
        mlp_sb_puts(out, tex ? "\\langle " : "\xe2\x9f\xa8"); /* U+27E8 */
        mlp_math_expr(m, n.in[0], out);
        mlp_sb_puts(out, ", ");
        mlp_math_expr(m, n.in[1], out);
        mlp_sb_puts(out, tex ? " \\rangle" : "\xe2\x9f\xa9"); /* U+27E9 */
        return;
    case MLP_MATH_TRANSPOSE:
        transposed(m, n.in[0], out);
        return;
    case MLP_MATH_INDEX:
        indexed(m, &n, out);
        return;
    case MLP_MATH_NORM2:
        mlp_sb_puts(out, tex ? "\\lVert " : "\xe2\x80\x96"); /* U+2016 DOUBLE VERTICAL LINE */
        mlp_math_expr(m, n.in[0], out);
        mlp_sb_puts(out, tex ? " \\rVert^2" : "\xe2\x80\x96\xc2\xb2");
        return;
    case MLP_MATH_ABS:
        mlp_sb_puts(out, tex ? "\\lvert " : "|");
        mlp_math_expr(m, n.in[0], out);
        mlp_sb_puts(out, tex ? " \\rvert" : "|");
        return;
    default:
        call(m, &n, out);
        return;
    }
}

void mlp_math_describe(const mlp_graph *g, mlp_id id, mlp_strbuf *out)
{
    struct mlp_math m = {.g = g, .style = MLP_MATH_TEXT};
    mlp_math_expr(&m, id, out);
}
