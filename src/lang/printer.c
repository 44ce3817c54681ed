/* printer.c - the canonical text of a graph.
 *
 * Declarations and statements come out in their original order; unnamed nodes are written inline
 * and named ones by name, but only names defined before the statement being printed (a name
 * introduced later cannot be referred to earlier). Parentheses follow precedence and
 * left-associativity exactly, so parsing the text rebuilds the same nodes.
 */
#include "lang/parser.h"
#include "base/strbuf.h"

#include <string.h>

static const char *const init_names[] = {
#define MLP_INIT_NAME(id, name, nargs) name,
    MLP_INITS(MLP_INIT_NAME)
#undef MLP_INIT_NAME
};

static void print_number(const mlp_graph *g, int64_t off, mlp_strbuf *out)
{
    if (g->pool_text && g->pool_text[off])
        mlp_sb_puts(out, g->pool_text[off]);
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
    if (n->op == MLP_OP_CONST && n->shape.rank == 0) {
        const char *t = g->pool_text ? g->pool_text[n->data] : NULL;
        bool negative = t ? t[0] == '-' : (g->pool[n->data] < 0 || 1 / g->pool[n->data] < 0);
        return negative ? MLP_PREC_UNARY : MLP_PREC_ATOM;
    }
    return mlp_op(n->op)->prec;
}

static void print_operand(const mlp_graph *g, mlp_id id, int upto, int min_prec, mlp_strbuf *out)
{
    bool parens = precedence(g, id, upto) < min_prec;
    if (parens)
        mlp_sb_putc(out, '(');
    mlp_print_expr(g, id, upto, out);
    if (parens)
        mlp_sb_putc(out, ')');
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

void mlp_print_expr(const mlp_graph *g, mlp_id id, int upto, mlp_strbuf *out)
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
        print_operand(g, n->in[0], upto, info->prec, out);
        mlp_sb_printf(out, " %s ", info->symbol);
        print_operand(g, n->in[1], upto, info->prec + 1, out);
        return;
    case MLP_SYNTAX_PREFIX:
        mlp_sb_puts(out, info->symbol);
        print_operand(g, n->in[0], upto, MLP_PREC_UNARY, out);
        return;
    case MLP_SYNTAX_INDEX:
        print_operand(g, n->in[0], upto, MLP_PREC_POSTFIX, out);
        mlp_sb_putc(out, '[');
        print_indices(n->attr, out);
        mlp_sb_putc(out, ']');
        return;
    case MLP_SYNTAX_T:
        print_operand(g, n->in[0], upto, MLP_PREC_POSTFIX, out);
        mlp_sb_puts(out, ".T");
        return;
    case MLP_SYNTAX_CALL:
        mlp_sb_printf(out, "%s(", mlp_op_name(n->op));
        for (int i = 0; i < mlp_op_arity(n->op); i++) {
            if (i)
                mlp_sb_puts(out, ", ");
            mlp_print_expr(g, n->in[i], upto, out);
        }
        if (n->op == MLP_OP_BROADCAST || n->op == MLP_OP_UNINDEX) {
            mlp_sb_puts(out, ", ");
            print_shape(n->shape, out);
        }
        if (n->op == MLP_OP_UNINDEX) {
            mlp_sb_puts(out, ", ");
            print_indices(n->attr, out);
        }
        mlp_sb_putc(out, ')');
        return;
    }
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
