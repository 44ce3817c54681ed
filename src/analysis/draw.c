/* draw.c - the computation graph as Graphviz DOT or Mermaid text.
 *
 * Every node the outputs and the loss depend on is drawn: inputs (blue ellipses), parameters
 * (yellow boxes), constants (grey dashed boxes, or bare numbers), and ops (circles; the ones a
 * statement names are green ellipses headed by the name). Operands of ops whose order matters
 * (a − b, a @ b, a / b, outer(a, b)) arrive on edges labelled a and b. With input values every
 * node shows its value, and with `grad` also the adjoint dL/dnode; with `grad` and no values the
 * adjoint graph itself is drawn in a "backward" cluster in red, its nodes named x̄ where they
 * are the adjoint of a named value. Output depends only on the model and the options: nodes in
 * id order, edges in operand order, numbers printed with %.4g.
 */
#include "analysis/analysis.h"
#include "base/mem.h"
#include "exec/plan.h"

#include <stdlib.h>
#include <string.h>

struct drawing {
    const mlp_draw_options *opt;
    struct mlp_backprop bp; /* bp.g is the graph drawn (with the adjoint graph when grad) */
    mlp_graph *g;
    int nprimal;
    bool *drawn;
    bool backward;          /* drawing the adjoint graph itself */
    mlp_plan *plan;         /* when values are shown */
    mlp_strbuf out;
    bool mermaid;
};

enum kind { K_INPUT, K_PARAM, K_CONST, K_NUMBER, K_VALUE, K_OP, K_ADJOINT };

static enum kind kind_of(const struct drawing *d, mlp_id id)
{
    const struct mlp_node *n = mlp_node(d->g, id);
    if (mlp_is_anon_const(d->g, id) && n->name < 0)
        return K_NUMBER;
    if (id >= d->nprimal)
        return K_ADJOINT;
    if (mlp_is_input(d->g, id))
        return K_INPUT;
    if (mlp_is_constant(d->g, id))
        return K_CONST;
    if (mlp_op(n->op)->cls == MLP_CLASS_LEAF)
        return K_PARAM;
    return n->name >= 0 ? K_VALUE : K_OP;
}

/* ---- which nodes ---- */

static void choose_nodes(struct drawing *d)
{
    mlp_graph *g = d->g;
    mlp_id *roots = mlp_xmalloc((size_t)(g->nnames + d->bp.nwrt + 1) * sizeof *roots);
    int n = 0;
    for (int i = 0; i < g->noutputs; i++)
        roots[n++] = g->names[g->outputs[i]].node;
    if (g->loss >= 0)
        roots[n++] = g->names[g->loss].node;
    for (int i = 0; n == 0 && i < g->nnames; i++) /* nothing marked: draw every statement */
        roots[n++] = g->names[i].node;
    for (int i = 0; d->backward && i < d->bp.nwrt; i++)
        roots[n++] = d->bp.grad[i];
    d->drawn = mlp_xcalloc((size_t)g->n, sizeof *d->drawn);
    mlp_graph_ancestors(g, roots, n, d->drawn);
    free(roots);
}

/* ---- evaluation, when values are shown ---- */

static int evaluate(struct drawing *d, mlp_error *err)
{
    const mlp_draw_options *o = d->opt;
    mlp_graph *g = d->g;
    mlp_id *targets = mlp_xmalloc((size_t)g->n * sizeof *targets);
    int nt = 0;
    for (mlp_id id = 0; id < d->nprimal; id++)
        if (d->drawn[id]) {
            targets[nt++] = id;
            if (o->grad && d->bp.adj && d->bp.adj[id] != MLP_NONE)
                targets[nt++] = d->bp.adj[id];
        }
    d->plan = mlp_plan_new(g, targets, nt, MLP_F64, 1, err);
    free(targets);
    if (!d->plan)
        return MLP_ERR_INPUT;
    mlp_plan_set_batch(d->plan, 1);
    for (int i = 0; i < g->nnames; i++) {
        if (g->names[i].kind != MLP_INPUT)
            continue;
        int k = 0;
        while (k < o->ninputs && strcmp(o->input_names[k], g->names[i].text))
            k++;
        if (k == o->ninputs)
            return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                            "input '%s' has no value (drawing values needs every input)",
                            g->names[i].text);
        double *buf = mlp_plan_buffer(d->plan, g->names[i].node);
        if (buf)
            memcpy(buf, o->input_values[k],
                   (size_t)mlp_shape_size(g->nodes[g->names[i].node].shape) * sizeof *buf);
    }
    for (int k = 0; k < o->ninputs; k++) {
        int nm = mlp_graph_find(g, o->input_names[k], (int)strlen(o->input_names[k]));
        if (nm < 0 || g->names[nm].kind != MLP_INPUT)
            return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "'%s' is not an input of the "
                                                                 "model", o->input_names[k]);
    }
    mlp_plan_run(d->plan);
    return MLP_OK;
}

/* ---- labels ---- */

static void put_values(struct drawing *d, const char *prefix, mlp_id id, mlp_strbuf *out)
{
    const double *v = d->plan ? mlp_plan_buffer(d->plan, id) : NULL;
    if (!v)
        return;
    mlp_shape s = d->g->nodes[id].shape;
    int64_t n = mlp_shape_size(s), shown = n > 6 ? 5 : n;
    mlp_sb_printf(out, "\n%s", prefix);
    mlp_sb_puts(out, s.rank ? "[" : "");
    for (int64_t i = 0; i < shown; i++)
        mlp_sb_printf(out, i ? ", %.4g" : "%.4g", v[i] == 0 ? 0.0 : v[i]); /* no "-0" */
    mlp_sb_puts(out, shown < n ? ", …" : "");
    mlp_sb_puts(out, s.rank ? "]" : "");
}

/* Binary operators whose operands' order matters (a − b, a / b, a @ b, a bᵀ): their edges are
 * labelled. */
static bool ordered_operands(enum mlp_op op)
{
    const struct mlp_op_info *info = mlp_op(op);
    enum mlp_math_form f = info->math_form;
    return f == MLP_MATH_DIV || f == MLP_MATH_MATMUL || f == MLP_MATH_OUTER ||
           (f == MLP_MATH_SUM && !strcmp(info->symbol, "-"));
}

/* The op as drawn: its symbol, or a template naming the operands where their order matters. */
static void put_op(const mlp_graph *g, mlp_id id, mlp_strbuf *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    const struct mlp_op_info *info = mlp_op(n->op);
    switch (ordered_operands(n->op) ? info->math_form : MLP_MATH_CALL) {
    case MLP_MATH_SUM: mlp_sb_puts(out, "a − b"); return;
    case MLP_MATH_DIV: mlp_sb_puts(out, "a / b"); return;
    case MLP_MATH_MATMUL: mlp_sb_puts(out, "a @ b"); return;
    case MLP_MATH_OUTER: mlp_sb_puts(out, "a bᵀ"); return;
    default: break;
    }
    switch (info->math_form) {
    case MLP_MATH_PRODUCT: /* ∘ for tensors, · where a scalar scales */
        mlp_sb_puts(out, g->nodes[n->in[0]].shape.rank && g->nodes[n->in[1]].shape.rank ? "∘" : "·");
        return;
    case MLP_MATH_INDEX:
        mlp_sb_puts(out, "a[");
        for (int i = 0; i < n->attr[0]; i++)
            mlp_sb_printf(out, i ? ",%d" : "%d", n->attr[1 + i]);
        mlp_sb_puts(out, "]");
        return;
    default: {
        const char *m = mlp_op(n->op)->math;
        mlp_sb_puts(out, m && *m ? m : mlp_op_name(n->op));
    }
    }
}


/* Append x̄ if node id is the adjoint of a named value x; whether it is. */
static bool bar_name(const struct drawing *d, mlp_id id, mlp_strbuf *out)
{
    mlp_id p;
    if (!d->backward || !mlp_backprop_names(&d->bp, id, &p))
        return false;
    mlp_math_name(mlp_node_name(d->g, p), MLP_MATH_TEXT, true, out);
    return true;
}

static void label(struct drawing *d, mlp_id id, mlp_strbuf *out)
{
    const mlp_graph *g = d->g;
    const struct mlp_node *n = mlp_node(g, id);
    char shape[64];
    mlp_shape_format(n->shape, shape);
    switch (kind_of(d, id)) {
    case K_NUMBER:
        mlp_math_describe(g, id, out);
        return;
    case K_INPUT:
    case K_PARAM:
    case K_CONST:
        mlp_sb_printf(out, "%s%s%s", mlp_node_name(g, id), n->shape.rank ? " " : "",
                      n->shape.rank ? shape : "");
        break;
    case K_VALUE:
        mlp_sb_printf(out, "%s\n", mlp_node_name(g, id));
        put_op(g, id, out);
        break;
    case K_OP:
    case K_ADJOINT:
        if (id >= d->nprimal && bar_name(d, id, out))
            mlp_sb_putc(out, '\n');
        put_op(g, id, out);
        break;
    }
    if (id < d->nprimal && d->backward && mlp_backprop_names(&d->bp, id, NULL)) { /* is x̄ */
        mlp_sb_puts(out, "\n= ");
        bar_name(d, id, out);
    }
    put_values(d, "= ", id, out);
    if (d->opt->grad && d->bp.adj && id < d->nprimal && d->bp.adj[id] != MLP_NONE) {
        mlp_strbuf prefix = {0};
        mlp_sb_printf(&prefix, "∂%s = ", g->names[g->loss].text);
        put_values(d, mlp_sb_str(&prefix), d->bp.adj[id], out);
        mlp_sb_free(&prefix);
    }
}

/* ---- DOT ---- */

static const char *const dot_style[] = {
    [K_INPUT] = "shape=ellipse, style=filled, fillcolor=\"#dbeafe\"",
    [K_PARAM] = "shape=box, style=\"filled,rounded\", fillcolor=\"#fef3c7\"",
    [K_CONST] = "shape=box, style=\"filled,dashed\", fillcolor=\"#f3f4f6\"",
    [K_NUMBER] = "shape=plaintext, fontsize=10",
    [K_VALUE] = "shape=ellipse, style=filled, fillcolor=\"#dcfce7\"",
    [K_OP] = "shape=circle, fontsize=11",
    [K_ADJOINT] = "shape=ellipse, style=filled, fillcolor=\"#fee2e2\", color=\"#dc2626\"",
};

static void dot_string(mlp_strbuf *out, const char *s)
{
    mlp_sb_putc(out, '"');
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            mlp_sb_printf(out, "\\%c", *s);
        else if (*s == '\n')
            mlp_sb_puts(out, "\\n");
        else
            mlp_sb_putc(out, *s);
    mlp_sb_putc(out, '"');
}

static bool is_marked(const mlp_graph *g, mlp_id id)
{
    for (int i = 0; i < g->noutputs; i++)
        if (g->names[g->outputs[i]].node == id)
            return true;
    return g->loss >= 0 && g->names[g->loss].node == id;
}

static void dot_node(struct drawing *d, mlp_id id)
{
    mlp_strbuf text = {0};
    label(d, id, &text);
    mlp_sb_printf(&d->out, "  n%d [label=", id);
    dot_string(&d->out, mlp_sb_str(&text));
    enum kind k = kind_of(d, id);
    /* Values make labels long: an ellipse holds them better than a circle. */
    const char *style = k == K_OP && d->plan ? "shape=ellipse, fontsize=11" : dot_style[k];
    mlp_sb_printf(&d->out, ", %s%s];\n", style, is_marked(d->g, id) ? ", peripheries=2" : "");
    mlp_sb_free(&text);
}

static void edges(struct drawing *d, mlp_id id)
{
    const struct mlp_node *n = mlp_node(d->g, id);
    bool back = id >= d->nprimal; /* an edge of the backward pass */
    for (int i = 0; i < mlp_op_arity(n->op); i++) {
        const char *role = ordered_operands(n->op) ? (i ? "b" : "a") : NULL;
        if (d->mermaid) {
            mlp_sb_printf(&d->out, "  n%d %s%s%s%s n%d\n", n->in[i], back ? "-.->" : "-->",
                          role ? "|" : "", role ? role : "", role ? "|" : "", id);
            continue;
        }
        mlp_strbuf attrs = {0};
        if (role)
            mlp_sb_printf(&attrs, "label=\"%s\"", role);
        if (back)
            mlp_sb_printf(&attrs, "%scolor=\"#dc2626\", style=dashed", role ? ", " : "");
        mlp_sb_printf(&d->out, "  n%d -> n%d%s%s%s;\n", n->in[i], id, attrs.len ? " [" : "",
                      mlp_sb_str(&attrs), attrs.len ? "]" : "");
        mlp_sb_free(&attrs);
    }
}

static void write_dot(struct drawing *d)
{
    mlp_sb_puts(&d->out, "digraph model {\n  rankdir=LR;\n"
                         "  node [fontname=\"Helvetica\", fontsize=12];\n"
                         "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (int part = 0; part < (d->backward ? 2 : 1); part++) {
        if (d->backward)
            mlp_sb_printf(&d->out, "  subgraph cluster_%s {\n  label=\"%s\";%s\n",
                          part ? "backward" : "forward", part ? "backward" : "forward",
                          part ? " color=\"#dc2626\"; fontcolor=\"#dc2626\"; style=dashed;" : "");
        for (mlp_id id = 0; id < d->g->n; id++)
            if (d->drawn[id] && (id >= d->nprimal) == (part == 1))
                dot_node(d, id);
        mlp_sb_puts(&d->out, d->backward ? "  }\n" : "");
    }
    for (mlp_id id = 0; id < d->g->n; id++)
        if (d->drawn[id])
            edges(d, id);
    mlp_sb_puts(&d->out, "}\n");
}

/* ---- Mermaid ---- */

static const char *const mermaid_shape[][2] = {
    [K_INPUT] = {"([", "])"}, [K_PARAM] = {"[", "]"},     [K_CONST] = {"[/", "/]"},
    [K_NUMBER] = {"[", "]"},  [K_VALUE] = {"(", ")"},     [K_OP] = {"((", "))"},
    [K_ADJOINT] = {"(", ")"},
};
static const char *const mermaid_class[] = {
    [K_INPUT] = "input", [K_PARAM] = "param", [K_CONST] = "const", [K_NUMBER] = "number",
    [K_VALUE] = "value", [K_OP] = "op",       [K_ADJOINT] = "adjoint",
};

static void mermaid_node(struct drawing *d, mlp_id id)
{
    mlp_strbuf text = {0};
    label(d, id, &text);
    enum kind k = kind_of(d, id);
    mlp_sb_printf(&d->out, "  n%d%s\"", id, mermaid_shape[k][0]);
    for (const char *s = mlp_sb_str(&text); *s; s++)
        if (*s == '\n')
            mlp_sb_puts(&d->out, "<br/>");
        else if (*s == '"')
            mlp_sb_puts(&d->out, "#quot;");
        else
            mlp_sb_putc(&d->out, *s);
    mlp_sb_printf(&d->out, "\"%s:::%s\n", mermaid_shape[k][1], mermaid_class[k]);
    mlp_sb_free(&text);
}

static void write_mermaid(struct drawing *d)
{
    mlp_sb_puts(&d->out, "graph LR\n");
    for (int part = 0; part < (d->backward ? 2 : 1); part++) {
        if (d->backward)
            mlp_sb_printf(&d->out, "  subgraph %s\n", part ? "backward" : "forward");
        for (mlp_id id = 0; id < d->g->n; id++)
            if (d->drawn[id] && (id >= d->nprimal) == (part == 1))
                mermaid_node(d, id);
        mlp_sb_puts(&d->out, d->backward ? "  end\n" : "");
    }
    for (mlp_id id = 0; id < d->g->n; id++)
        if (d->drawn[id])
            edges(d, id);
    mlp_sb_puts(&d->out, "  classDef input fill:#dbeafe,stroke:#1e40af\n"
                         "  classDef param fill:#fef3c7,stroke:#92400e\n"
                         "  classDef const fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:4\n"
                         "  classDef number fill:#ffffff,stroke:#ffffff\n"
                         "  classDef value fill:#dcfce7,stroke:#166534\n"
                         "  classDef op fill:#ffffff,stroke:#374151\n"
                         "  classDef adjoint fill:#fee2e2,stroke:#dc2626\n");
}

/* ---- the public entry ---- */

char *mlp_draw_graph(const mlp_graph *model, const mlp_draw_options *opt, mlp_error *err)
{
    struct drawing d;
    memset(&d, 0, sizeof d);
    d.opt = opt;
    d.mermaid = opt->format == MLP_DRAW_MERMAID;
    d.backward = opt->grad && opt->ninputs == 0;
    int rc = MLP_OK;
    if (opt->grad) {
        rc = mlp_backprop_build(&d.bp, model, NULL, 0, err);
        d.g = d.bp.g;
        d.nprimal = d.bp.nprimal;
    } else {
        d.g = mlp_graph_clone(model);
        d.nprimal = d.g->n;
    }
    if (rc == MLP_OK) {
        choose_nodes(&d);
        if (opt->ninputs > 0)
            rc = evaluate(&d, err);
    }
    if (rc == MLP_OK) {
        if (d.mermaid)
            write_mermaid(&d);
        else
            write_dot(&d);
    }
    if (!opt->grad)
        mlp_graph_free(d.g);
    mlp_backprop_free(&d.bp);
    mlp_plan_free(d.plan);
    free(d.drawn);
    if (rc != MLP_OK) {
        mlp_sb_free(&d.out);
        return NULL;
    }
    return mlp_sb_take(&d.out);
}
