/* printer.c - the canonical text of a graph.
 *
 * Declarations and statements come out in their original order; unnamed nodes are written inline
 * and named ones by name, but only names defined before the statement being printed (a name
 * introduced later cannot be referred to earlier). Parentheses follow precedence and
 * left-associativity exactly, so parsing the text rebuilds the same nodes.
 */
#include "lang/parser.h"
#include "base/mem.h"
#include "base/numfmt.h"
#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

static const char *const init_names[] = {
#define MLP_INIT_NAME(id, name, nargs) name,
    MLP_INITS(MLP_INIT_NAME)
#undef MLP_INIT_NAME
};

/* A value the model wrote keeps its text. Others (trained or loaded weights) print so that they
 * read back as the same double; float32 values (weights trained or saved in float32) print as
 * their exact decimal, so that `verify`, which takes literals exactly, sees the very weights
 * that eval computes with (0.1f is 0.100000001490116119384765625, not 1/10). */
static void print_number(const mlp_graph *g, int64_t off, mlp_strbuf *out)
{
    char buf[MLP_EXACT_BUF];
    if (g->pool_text && g->pool_text[off])
        mlp_sb_puts(out, g->pool_text[off]);
    else if (mlp_is_float32(g->pool[off]))
        mlp_sb_puts(out, mlp_format_exact_float(g->pool[off], buf));
    else
        mlp_sb_double(out, g->pool[off]);
}

static void print_nested(const mlp_graph *g, mlp_shape s, int axis, int64_t *off, mlp_strbuf *out)
{
    if (axis == s.rank) {
        print_number(g, (*off)++, out);
        return;
    }
    mlp_sb_putc(out, '[');
    for (int i = 0; i < s.dim[axis]; i++) {
        if (i)
            mlp_sb_puts(out, ", ");
        print_nested(g, s, axis + 1, off, out);
    }
    mlp_sb_putc(out, ']');
}

void mlp_print_values(const mlp_graph *g, mlp_shape shape, int64_t pool_offset, mlp_strbuf *out)
{
    print_nested(g, shape, 0, &pool_offset, out);
}

/* Precedence of the text a node prints as (a negative number prints like a unary minus). */
static int precedence(const mlp_graph *g, mlp_id id, int upto)
{
    const struct mlp_node *n = mlp_node(g, id);
    if (n->name >= 0 && n->name < upto)
        return MLP_PREC_ATOM;
    if (mlp_is_constant(g, id) && n->shape.rank == 0) {
        const char *t = g->pool_text ? g->pool_text[n->data] : NULL;
        bool negative = t ? t[0] == '-' : (g->pool[n->data] < 0 || 1 / g->pool[n->data] < 0);
        if (t && strchr(t, '/')) /* a fraction p/q reads as a division */
            return MLP_PREC_MUL;
        return negative ? MLP_PREC_UNARY : MLP_PREC_ATOM;
    }
    return mlp_op(n->op)->prec;
}

static void print_shape(mlp_shape s, mlp_strbuf *out)
{
    char buf[64];
    mlp_shape_format(s, buf);
    mlp_sb_puts(out, buf);
}

static void print_indices(const int32_t *attr, mlp_strbuf *out)
{
    for (int i = 0; i < attr[0]; i++)
        mlp_sb_printf(out, i ? ", %d" : "%d", attr[1 + i]);
}

/* Printing walks the expression with an explicit stack of pending pieces instead of recursion:
 * a chain like x + x + ... + x is a tree as deep as it is long, and a model may hold one of any
 * length. */
enum piece_kind {
    PIECE_OPERAND, /* node `id`, in parentheses if its precedence is below `prec` */
    PIECE_TEXT,    /* the fixed string `text` */
    PIECE_INDEX,   /* "[i, j]" of index node `id` */
    PIECE_CALL_END /* the shape and indices arguments of call node `id`, and ")" */
};

struct piece {
    enum piece_kind kind;
    mlp_id id;
    int prec;
    const char *text;
};

struct pieces {
    struct piece *p;
    int n, cap;
};

static void push(struct pieces *st, enum piece_kind kind, mlp_id id, int prec, const char *text)
{
    mlp_xreserve(&st->p, &st->cap, st->n + 1, sizeof *st->p);
    st->p[st->n++] = (struct piece){kind, id, prec, text};
}

/* Write node id itself (its name, value or operator) and push what follows it, last first. */
static void expand(const mlp_graph *g, mlp_id id, int upto, struct pieces *st, mlp_strbuf *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    const struct mlp_op_info *info = mlp_op(n->op);
    if (n->name >= 0 && n->name < upto) {
        mlp_sb_puts(out, g->names[n->name].text);
        return;
    }
    switch (info->syntax) {
    case MLP_SYNTAX_LEAF: /* only anonymous constants reach here: declared leaves are named */
        mlp_print_values(g, n->shape, n->data, out);
        return;
    case MLP_SYNTAX_INFIX:
        /* Left-associative: the right operand needs parentheses at equal precedence. */
        push(st, PIECE_OPERAND, n->in[1], info->prec + 1, NULL);
        push(st, PIECE_TEXT, MLP_NONE, 0, " ");
        push(st, PIECE_TEXT, MLP_NONE, 0, info->symbol);
        push(st, PIECE_TEXT, MLP_NONE, 0, " ");
        push(st, PIECE_OPERAND, n->in[0], info->prec, NULL);
        return;
    case MLP_SYNTAX_PREFIX:
        mlp_sb_puts(out, info->symbol);
        push(st, PIECE_OPERAND, n->in[0], MLP_PREC_UNARY, NULL);
        return;
    case MLP_SYNTAX_INDEX:
        push(st, PIECE_INDEX, id, 0, NULL);
        push(st, PIECE_OPERAND, n->in[0], MLP_PREC_POSTFIX, NULL);
        return;
    case MLP_SYNTAX_T:
        push(st, PIECE_TEXT, MLP_NONE, 0, ".T");
        push(st, PIECE_OPERAND, n->in[0], MLP_PREC_POSTFIX, NULL);
        return;
    case MLP_SYNTAX_CALL:
        mlp_sb_printf(out, "%s(", mlp_op_name(n->op));
        push(st, PIECE_CALL_END, id, 0, NULL);
        for (int i = mlp_op_arity(n->op) - 1; i >= 0; i--) {
            push(st, PIECE_OPERAND, n->in[i], 0, NULL);
            if (i)
                push(st, PIECE_TEXT, MLP_NONE, 0, ", ");
        }
        return;
    }
}

static void call_end(const mlp_graph *g, mlp_id id, mlp_strbuf *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    enum mlp_call_extra extra = mlp_op(n->op)->extra;
    if (extra == MLP_EXTRA_SHAPE || extra == MLP_EXTRA_SHAPE_INDICES) {
        mlp_sb_puts(out, ", ");
        print_shape(n->shape, out);
    }
    if (extra == MLP_EXTRA_SHAPE_INDICES) {
        mlp_sb_puts(out, ", ");
        print_indices(n->attr, out);
    }
    if (extra == MLP_EXTRA_RANGE)
        mlp_sb_printf(out, ", %d, %d", n->attr[0], n->attr[1]);
    mlp_sb_putc(out, ')');
}

void mlp_print_expr(const mlp_graph *g, mlp_id id, int upto, mlp_strbuf *out)
{
    struct pieces st = {0};
    push(&st, PIECE_OPERAND, id, 0, NULL);
    while (st.n > 0) {
        struct piece pc = st.p[--st.n];
        switch (pc.kind) {
        case PIECE_TEXT:
            mlp_sb_puts(out, pc.text);
            break;
        case PIECE_INDEX:
            mlp_sb_putc(out, '[');
            print_indices(mlp_node(g, pc.id)->attr, out);
            mlp_sb_putc(out, ']');
            break;
        case PIECE_CALL_END:
            call_end(g, pc.id, out);
            break;
        case PIECE_OPERAND:
            if (precedence(g, pc.id, upto) < pc.prec) {
                mlp_sb_putc(out, '(');
                push(&st, PIECE_TEXT, MLP_NONE, 0, ")");
            }
            expand(g, pc.id, upto, &st, out);
            break;
        }
    }
    free(st.p);
}

static void print_declaration(const mlp_graph *g, const struct mlp_name *nm,
                              const struct mlp_print_options *opt, mlp_strbuf *out)
{
    static const char *const word[] = {[MLP_INPUT] = "input", [MLP_PARAM] = "param",
                                       [MLP_CONST] = "const"};
    const struct mlp_node *n = mlp_node(g, nm->node);
    mlp_sb_printf(out, "%s %s", word[nm->kind], nm->text);
    if (n->shape.rank > 0)
        print_shape(n->shape, out);
    if (nm->kind == MLP_INPUT)
        return;
    if (nm->kind == MLP_PARAM && nm->init.kind != MLP_INIT_NONE && !(opt && opt->values)) {
        mlp_sb_printf(out, " ~ %s", init_names[nm->init.kind]);
        if (nm->init.kind == MLP_INIT_NORMAL || nm->init.kind == MLP_INIT_UNIFORM) {
            mlp_sb_puts(out, "(");
            mlp_sb_double(out, nm->init.arg[0]);
            mlp_sb_puts(out, ", ");
            mlp_sb_double(out, nm->init.arg[1]);
            mlp_sb_puts(out, ")");
        }
        return;
    }
    mlp_sb_puts(out, " = ");
    mlp_print_values(g, n->shape, n->data, out);
}

void mlp_print_model(const mlp_graph *g, const struct mlp_print_options *opt, mlp_strbuf *out)
{
    for (int i = 0; i < g->nnames; i++) {
        const struct mlp_name *nm = &g->names[i];
        if (nm->kind == MLP_DEF) {
            mlp_sb_printf(out, "%s = ", nm->text);
            mlp_print_expr(g, nm->node, i, out);
        } else {
            print_declaration(g, nm, opt, out);
        }
        mlp_sb_putc(out, '\n');
    }
    if (g->noutputs > 0) {
        mlp_sb_puts(out, "output ");
        for (int i = 0; i < g->noutputs; i++)
            mlp_sb_printf(out, i ? ", %s" : "%s", g->names[g->outputs[i]].text);
        mlp_sb_putc(out, '\n');
    }
    if (g->loss >= 0)
        mlp_sb_printf(out, "loss %s\n", g->names[g->loss].text);
}
