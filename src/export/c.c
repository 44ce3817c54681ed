/* c.c - a model as standalone C99 in float32 (mlp_export_c): a plan written out as loops.
 *
 * The plan (exec/plan.h) for one sample in float32 gives the schedule and, through its arena
 * offsets, the workspace layout: values whose lifetimes do not overlap share memory exactly as
 * they do when mlp runs the model. Inputs are read from `input`, outputs are computed straight
 * into `output`, parameters and constants become static const arrays, and every other value
 * lives in the caller's workspace (or NAME_predict's static one). Every step becomes one block
 * that names its operands `a`, `b` and its result `y` (pointers to float); then the op's C
 * lowering (its entry in graph/ops_c.h, beside its kernel) writes the loops over them. The loops
 * compute what the executor's float32 kernels compute, in the same order of operations, so with
 * contraction off the results are the executor's.
 */
#include "exec/plan.h"
#include "graph/lower.h"
#include "graph/ops_c.h"
#include "export/export.h"
#include "api/internal.h"
#include "base/fexp.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen {
    struct mlp_c_emit cg;           /* what the lowerings write to */
    const char *name;               /* the identifier prefix */
    unsigned uses;                  /* MLP_C_USES_* bits of the lowerings emitted so far */
    char calls[256];                /* the MLP_C_USES_OTHER functions so far, ", "-separated */
    const mlp_graph *g;
    mlp_plan *plan;
    char upper[MLP_C_NAME_MAX + 1]; /* the name for macros */
    int64_t *in_off, *out_off;      /* per node: where it sits in input[] / output[], or -1 */
    int64_t in_size, out_size, ws_base, ws_size;
    bool *is_const_used;            /* per node: a param/const some step reads */
    bool *is_transposed_used;       /* per node: a matrix some step reads transposed */
};

/* ---- layout: where every value lives ---- */

static mlp_id output_node(const mlp_graph *g, int i) { return g->names[g->outputs[i]].node; }

/* Inputs the outputs depend on, in declaration order, and the outputs, in order. */
static void lay_out_io(struct gen *x, const bool *needed)
{
    const mlp_graph *g = x->g;
    for (int i = 0; i < g->nby_kind[MLP_INPUT]; i++) {
        mlp_id id = g->names[g->by_kind[MLP_INPUT][i]].node;
        if (needed[id] && x->in_off[id] < 0) {
            x->in_off[id] = x->in_size;
            x->in_size += mlp_shape_size(mlp_node(g, id)->shape);
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        mlp_id id = output_node(g, i);
        if (x->out_off[id] < 0 && mlp_op(mlp_node(g, id)->op)->cls != MLP_CLASS_LEAF)
            x->out_off[id] = x->out_size;
        x->out_size += mlp_shape_size(mlp_node(g, id)->shape);
    }
}

/* The workspace: the arena bytes of every computed value that is not an output. */
static void lay_out_workspace(struct gen *x)
{
    int64_t lo = INT64_MAX, hi = 0;
    for (int s = 0; s < mlp_plan_steps(x->plan); s++) {
        mlp_id id = mlp_plan_step_node(x->plan, s);
        if (x->out_off[id] >= 0)
            continue;
        int64_t off = mlp_plan_offset(x->plan, id);
        int64_t end = off + 4 * mlp_shape_size(mlp_node(x->g, id)->shape);
        lo = off < lo ? off : lo;
        hi = end > hi ? end : hi;
    }
    x->ws_base = lo == INT64_MAX ? 0 : lo;
    x->ws_size = lo == INT64_MAX ? 0 : (hi - lo) / 4;
}

/* A parameter or constant: a static const array. */
static bool is_stored(const struct gen *x, mlp_id id)
{
    return mlp_op_c(mlp_node(x->g, id)->op)->c.leaf == MLP_C_LEAF_STORED;
}

/* The C expression of a node's buffer. */
static void print_ref(struct gen *x, mlp_strbuf *sb, mlp_id id)
{
    enum mlp_c_leaf leaf = mlp_op_c(mlp_node(x->g, id)->op)->c.leaf;
    if (leaf == MLP_C_LEAF_INPUT)
        mlp_sb_printf(sb, "input + %lld", (long long)x->in_off[id]);
    else if (leaf == MLP_C_LEAF_STORED)
        mlp_sb_printf(sb, "%s_k%d", x->name, (int)id);
    else if (x->out_off[id] >= 0)
        mlp_sb_printf(sb, "output + %lld", (long long)x->out_off[id]);
    else
        mlp_sb_printf(sb, "ws + %lld", (long long)((mlp_plan_offset(x->plan, id) - x->ws_base) / 4));
}

/* ---- checks before generating ---- */

/* Every computed op needs a lowering: name those that have none (all of them, once each). */
static int check_lowerings(const mlp_graph *g, const bool *needed, mlp_error *err)
{
    bool seen[MLP_OP_COUNT] = {false};
    mlp_strbuf ops = {0};
    mlp_id first = MLP_NONE;
    for (mlp_id id = 0; id < g->n; id++) {
        enum mlp_op op = mlp_node(g, id)->op;
        if (!needed[id] || !mlp_op_c(op)->c.unsupported || seen[op])
            continue;
        seen[op] = true;
        mlp_sb_printf(&ops, "%s%s (%s)", first == MLP_NONE ? "" : "; ", mlp_op_name(op),
                      mlp_op_c(op)->c.unsupported);
        if (first == MLP_NONE)
            first = id;
    }
    if (first == MLP_NONE)
        return MLP_OK;
    mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, mlp_node(g, first)->loc,
             "cannot export to C: no C lowering for %s", mlp_sb_str(&ops));
    mlp_sb_free(&ops);
    return MLP_ERR_UNSUPPORTED;
}

/* Refuse models whose arrays would not fit a microcontroller many times over (and whose source
 * would be hundreds of megabytes): count every value the generated code stores. */
static int check_size(const mlp_graph *g, const bool *needed, mlp_error *err)
{
    int64_t total = 0;
    for (mlp_id id = 0; id < g->n; id++)
        if (needed[id])
            total += mlp_shape_size(mlp_node(g, id)->shape);
    if (total <= MLP_EXPORT_C_MAX_VALUES)
        return MLP_OK;
    return mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, MLP_NOLOC,
                    "cannot export to C: the model's values (parameters, inputs, outputs and "
                    "intermediates) number %lld, more than the %lld (16 MiB of float32) the C "
                    "export accepts", (long long)total, (long long)MLP_EXPORT_C_MAX_VALUES);
}

/* ---- the source file ---- */

static void print_comment_text(mlp_strbuf *sb, const char *text)
{
    for (const char *p = text; *p; p++) /* nothing in a model name may end the comment */
        mlp_sb_putc(sb, *p == '*' && p[1] == '/' ? '_' : (unsigned char)*p < 32 ? '?' : *p);
}

static void print_values(mlp_strbuf *sb, const double *v, int64_t n)
{
    char buf[40];
    for (int64_t i = 0; i < n; i++) {
        mlp_c_float((float)v[i], buf);
        mlp_sb_printf(sb, "%s%s,", i % 8 ? " " : "\n    ", buf);
    }
}

/* A matrix stored transposed, for matrix-vector products (linalg.c's matmul lowering). */
static void print_transposed(struct gen *x, mlp_strbuf *sb, mlp_id id)
{
    const struct mlp_node *n = mlp_node(x->g, id);
    const char *name = mlp_node_name(x->g, id);
    int m = n->shape.dim[0], k = n->shape.dim[1];
    const double *v = mlp_node_values(x->g, id);
    char buf[40];
    mlp_sb_puts(sb, "/* ");
    print_comment_text(sb, name ? name : "a constant");
    mlp_sb_printf(sb, " (line %d), transposed: [%d, %d] */\nstatic const float %s_k%dt[%lld] = {",
                  n->loc.line, k, m, x->name, (int)id, (long long)m * k);
    for (int64_t e = 0; e < (int64_t)m * k; e++) {
        mlp_c_float((float)v[(e % m) * k + e / m], buf);
        mlp_sb_printf(sb, "%s%s,", e % 8 ? " " : "\n    ", buf);
    }
    mlp_sb_puts(sb, "\n};\n\n");
}

static void print_constants(struct gen *x, mlp_strbuf *sb)
{
    const mlp_graph *g = x->g;
    for (mlp_id id = 0; id < g->n; id++) {
        if (x->is_transposed_used[id])
            print_transposed(x, sb, id);
        if (!x->is_const_used[id])
            continue;
        const struct mlp_node *n = mlp_node(g, id);
        const char *name = mlp_node_name(g, id);
        mlp_sb_puts(sb, "/* ");
        print_comment_text(sb, name ? name : "a constant");
        mlp_sb_printf(sb, " (%s, line %d) */\nstatic const float %s_k%d[%lld] = {",
                      mlp_op_c(n->op)->c.leaf_word, n->loc.line, x->name,
                      (int)id, (long long)mlp_shape_size(n->shape));
        print_values(sb, mlp_node_values(g, id), mlp_shape_size(n->shape));
        mlp_sb_puts(sb, "\n};\n\n");
    }
}

/* Add a lowering's libm functions ("expf, log1pf") to the list, each once. */
static void note_calls(struct gen *x, const char *calls)
{
    for (const char *p = calls; p && *p;) {
        size_t n = strcspn(p, ", ");
        char fn[32], *at;
        snprintf(fn, sizeof fn, "%.*s", (int)n, p);
        bool have = false;
        for (at = strstr(x->calls, fn); at && !have; at = strstr(at + 1, fn))
            have = (at == x->calls || at[-1] == ' ') && (at[n] == ',' || at[n] == 0);
        size_t len = strlen(x->calls);
        if (n && !have && len + n + 3 < sizeof x->calls)
            snprintf(x->calls + len, sizeof x->calls - len, "%s%s", len ? ", " : "", fn);
        p += n;
        p += strspn(p, ", ");
    }
}

/* One step: a block naming its operands a, b, ... and result y, then the op's loops. */
static void print_step(struct gen *x, int step)
{
    mlp_strbuf *sb = x->cg.out;
    mlp_id id = mlp_plan_step_node(x->plan, step);
    const struct mlp_node *n = mlp_node(x->g, id);
    const char *name = mlp_node_name(x->g, id);
    struct mlp_lowered low = *mlp_plan_step_lowered(x->plan, step); /* trans[0] may change */
    /* A constant matrix times a vector reads the matrix from a transposed copy. */
    mlp_id a0 = low.arity ? low.in[0] : MLP_NONE;
    bool transpose_a = mlp_op_c(n->op)->c.matrix_transposed && !low.trans[0] &&
                       n->shape.rank == 1 && mlp_node(x->g, a0)->shape.rank == 2 && is_stored(x, a0);
    mlp_sb_printf(sb, "    { /* %s", mlp_op_name(n->op));
    if (name) {
        mlp_sb_puts(sb, " -> ");
        print_comment_text(sb, name);
    }
    mlp_sb_printf(sb, " (line %d) */\n", n->loc.line);
    if (transpose_a) {
        low.trans[0] = true;
        x->is_transposed_used[a0] = true;
        mlp_sb_printf(sb, "        const float *restrict a = %s_k%dt;\n", x->name, (int)a0);
    }
    for (int i = transpose_a ? 1 : 0; i < low.arity; i++) {
        mlp_sb_printf(sb, "        const float *restrict %c = ", "abcdef"[i]);
        print_ref(x, sb, low.in[i]);
        mlp_sb_puts(sb, ";\n");
        if (is_stored(x, low.in[i]))
            x->is_const_used[low.in[i]] = true;
    }
    mlp_sb_puts(sb, "        float *restrict y = ");
    print_ref(x, sb, id);
    mlp_sb_puts(sb, ";\n");
    const struct mlp_c_lowering *c = &mlp_op_c(n->op)->c;
    c->emit(&x->cg, id, &low);
    x->uses |= c->uses;
    note_calls(x, c->calls);
    mlp_sb_puts(sb, "    }\n");
}

/* Outputs that are not computed into place: a second name of a computed value, an input, a
 * parameter or a constant. */
static void print_output_copies(struct gen *x)
{
    const mlp_graph *g = x->g;
    int64_t off = 0;
    for (int i = 0; i < g->noutputs; i++) {
        mlp_id id = output_node(g, i);
        int64_t size = mlp_shape_size(mlp_node(g, id)->shape);
        if (x->out_off[id] != off) {
            if (is_stored(x, id))
                x->is_const_used[id] = true;
            mlp_sb_printf(x->cg.out, "    { /* output %d */\n        long i;\n        const float *a = ", i);
            print_ref(x, x->cg.out, id);
            mlp_sb_printf(x->cg.out, ";\n        for (i = 0; i < %lld; i++)\n"
                          "            output[%lld + i] = a[i];\n    }\n", (long long)size,
                          (long long)off);
        }
        off += size;
    }
}

static void print_libm(unsigned uses, const char *x_calls, mlp_strbuf *sb)
{
    static const char *const fns[] = {"logf", "exp", "log"}; /* MLP_C_USES_* order */
    bool any = false;
    for (int i = 0; i < 3; i++)
        if (uses & (1u << i)) {
            mlp_sb_printf(sb, "%s%s", any ? ", " : "", fns[i]);
            any = true;
        }
    if (x_calls && *x_calls) {
        mlp_sb_printf(sb, "%s%s", any ? ", " : "", x_calls);
        any = true;
    }
    mlp_sb_puts(sb, any ? " (link with -lm)" : "none");
}

/* The interface comment: what to compile with, and where each input and output sits. */
static void print_interface_comment(struct gen *x, mlp_strbuf *sb)
{
    const mlp_graph *g = x->g;
    mlp_sb_puts(sb, "/* ");
    print_comment_text(sb, g->file ? g->file : "model");
    mlp_sb_printf(sb, " as standalone C99 (float32), generated by mlp %s.\n *\n", MLP_VERSION);
    mlp_sb_printf(sb, " * No dynamic memory, no stdio, no global state but %s_predict's static\n"
                      " * workspace. Library calls: ", x->name);
    print_libm(x->uses, x->calls, sb);
    mlp_sb_puts(sb, ".\n *\n * Exactness: the code computes what `mlp eval --dtype f32` computes, operation for\n"
                    " * operation. Compile with -ffp-contract=off (GCC's default under -std=c99 or\n"
                    " * -std=c11; clang contracts only within one expression, and no expression here\n"
                    " * offers a multiply-add), without -ffast-math, and with float arithmetic done in\n"
                    " * float (FLT_EVAL_METHOD 0: not 32-bit x86's x87): then -O0 and -O2 give the same bits.\n *\n");
    mlp_sb_printf(sb, " * Inputs (%s_INPUT_SIZE floats, concatenated in declaration order):\n", x->upper);
    for (int i = 0; i < g->nby_kind[MLP_INPUT]; i++) {
        const struct mlp_name *nm = &g->names[g->by_kind[MLP_INPUT][i]];
        if (x->in_off[nm->node] < 0)
            continue;
        char shape[64];
        mlp_shape_format(mlp_node(g, nm->node)->shape, shape);
        int64_t size = mlp_shape_size(mlp_node(g, nm->node)->shape);
        mlp_sb_printf(sb, " *   input[%lld .. %lld]  ", (long long)x->in_off[nm->node],
                      (long long)(x->in_off[nm->node] + size - 1));
        print_comment_text(sb, nm->text);
        if (nm->loc.line > 0)
            mlp_sb_printf(sb, "%s (line %d), row-major\n", shape, nm->loc.line);
        else
            mlp_sb_printf(sb, "%s, row-major\n", shape);
    }
    mlp_sb_printf(sb, " * Outputs (%s_OUTPUT_SIZE floats, in the order of the `output` statements):\n",
                  x->upper);
    int64_t off = 0;
    for (int i = 0; i < g->noutputs; i++) {
        const struct mlp_name *nm = &g->names[g->outputs[i]];
        char shape[64];
        mlp_shape_format(mlp_node(g, nm->node)->shape, shape);
        int64_t size = mlp_shape_size(mlp_node(g, nm->node)->shape);
        mlp_sb_printf(sb, " *   output[%lld .. %lld]  ", (long long)off, (long long)(off + size - 1));
        print_comment_text(sb, nm->text);
        mlp_sb_printf(sb, "%s, row-major\n", shape);
        off += size;
    }
    mlp_sb_puts(sb, " */\n");
}

static char *header_text(struct gen *x)
{
    mlp_strbuf sb = {0};
    const char *n = x->name, *u = x->upper;
    print_interface_comment(x, &sb);
    mlp_sb_printf(&sb, "#ifndef %s_MLP_H\n#define %s_MLP_H\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", u, u);
    mlp_sb_printf(&sb, "#define %s_INPUT_SIZE %lld     /* floats of input */\n", u, (long long)x->in_size);
    mlp_sb_printf(&sb, "#define %s_OUTPUT_SIZE %lld    /* floats of output */\n", u, (long long)x->out_size);
    mlp_sb_printf(&sb, "#define %s_WORKSPACE_SIZE %lld /* floats of scratch memory for %s_predict_r */\n\n",
                  u, (long long)x->ws_size, n);
    mlp_sb_printf(&sb, "/* output = the model's outputs at input, using a static workspace (not reentrant). */\n"
                       "void %s_predict(const float *input, float *output);\n", n);
    mlp_sb_printf(&sb, "/* The same with the caller's workspace of %s_WORKSPACE_SIZE floats (reentrant). */\n"
                       "void %s_predict_r(const float *input, float *output, float *workspace);\n\n",
                  u, n);
    mlp_sb_printf(&sb, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    return mlp_sb_take(&sb);
}

#define FEXP_ANY (MLP_C_USES_FEXP | MLP_C_USES_FSIGMOID | MLP_C_USES_FTANH | MLP_C_USES_FSOFTMAX)

void mlp_c_print_fexp(mlp_strbuf *sb, unsigned uses)
{
    if (!(uses & FEXP_ANY))
        return;
    mlp_c_print_kernel(sb, MLP_FEXP_REDUCE_CODE(MLP_FEXP_STRING));
    if (uses & (MLP_C_USES_FEXP | MLP_C_USES_FTANH | MLP_C_USES_FSOFTMAX))
        mlp_c_print_kernel(sb, MLP_FEXP_CORE_CODE(MLP_FEXP_STRING));
    if (uses & (MLP_C_USES_FEXP | MLP_C_USES_FSOFTMAX))
        mlp_c_print_kernel(sb, MLP_FEXP_CODE(MLP_FEXP_STRING));
    if (uses & MLP_C_USES_FSIGMOID)
        mlp_c_print_kernel(sb, MLP_FEXP_PADE_CODE(MLP_FEXP_STRING));
    if (uses & MLP_C_USES_FSIGMOID)
        mlp_c_print_kernel(sb, MLP_FSIGMOID_CODE(MLP_FEXP_STRING));
    if (uses & MLP_C_USES_FTANH)
        mlp_c_print_kernel(sb, MLP_FTANH_CODE(MLP_FEXP_STRING));
    if (uses & MLP_C_USES_FSOFTMAX)
        mlp_c_print_kernel(sb, MLP_FSOFTMAX_CODE(MLP_FEXP_STRING));
}

static char *source_text(struct gen *x, const char *body)
{
    mlp_strbuf sb = {0};
    const char *n = x->name, *u = x->upper;
    print_interface_comment(x, &sb);
    mlp_sb_printf(&sb, "#include \"%s.h\"\n\n#include <math.h>\n%s\n", n,
                  x->uses & FEXP_ANY ? "#include <stdint.h>\n" : "");
    print_constants(x, &sb);
    if (x->uses & FEXP_ANY) {
        mlp_sb_puts(&sb, "/* mlp's float32 exp, logistic, tanh and softmax, token for token the functions its\n"
                         " * float32 kernels use (src/base/fexp.h: |error| <= 1 ulp, no libm call, the same\n"
                         " * bits on every compiler under the flags above). */\n");
        mlp_c_print_fexp(&sb, x->uses);
    }
    mlp_sb_printf(&sb, "void %s_predict_r(const float *input, float *output, float *workspace)\n{\n", n);
    mlp_sb_printf(&sb, "    float *ws = workspace;\n    (void)input;\n    (void)ws;\n%s}\n\n", body);
    if (x->ws_size > 0)
        mlp_sb_printf(&sb, "void %s_predict(const float *input, float *output)\n{\n"
                           "    static float workspace[%s_WORKSPACE_SIZE];\n"
                           "    %s_predict_r(input, output, workspace);\n}\n", n, u, n);
    else
        mlp_sb_printf(&sb, "void %s_predict(const float *input, float *output)\n{\n"
                           "    %s_predict_r(input, output, (float *)0);\n}\n", n, n);
    return mlp_sb_take(&sb);
}

static void gen_free(struct gen *x)
{
    mlp_plan_free(x->plan);
    free(x->in_off);
    free(x->out_off);
    free(x->is_const_used);
    free(x->is_transposed_used);
}

int mlp_export_c(const mlp_model *m, const char *name, char **header, char **source, mlp_error *err)
{
    const mlp_graph *g = mlp_model_graph(m);
    char ident[MLP_C_NAME_MAX + 1];
    *header = *source = NULL;
    if (mlp_c_identifier(name, ident, err))
        return MLP_ERR_INPUT;
    if (g->noutputs == 0)
        return mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC,
                        "the model has no `output` statement: nothing to export");
    struct gen x = {.g = g};
    x.cg.g = g;
    x.name = ident;
    for (int i = 0; ident[i]; i++)
        x.upper[i] = (char)toupper((unsigned char)ident[i]);
    mlp_id *targets = malloc((size_t)g->noutputs * sizeof *targets);
    bool *needed = calloc((size_t)g->n, sizeof *needed);
    x.in_off = malloc((size_t)g->n * sizeof *x.in_off);
    x.out_off = malloc((size_t)g->n * sizeof *x.out_off);
    x.is_const_used = calloc((size_t)g->n, sizeof *x.is_const_used);
    x.is_transposed_used = calloc((size_t)g->n, sizeof *x.is_transposed_used);
    if (!targets || !needed || !x.in_off || !x.out_off || !x.is_const_used || !x.is_transposed_used) {
        free(targets);
        free(needed);
        gen_free(&x);
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
    }
    for (mlp_id id = 0; id < g->n; id++)
        x.in_off[id] = x.out_off[id] = -1;
    for (int i = 0; i < g->noutputs; i++)
        targets[i] = output_node(g, i);
    mlp_graph_ancestors(g, targets, g->noutputs, needed);
    int rc = check_lowerings(g, needed, err);
    if (!rc)
        rc = check_size(g, needed, err);
    if (!rc) {
        lay_out_io(&x, needed);
        /* Unfused: each step is its op's own kernel (with views), which is what the C lowerings
         * emit; the dense-layer fusions are the executor's, not the generated code's. */
        x.plan = mlp_plan_new_fused(g, targets, g->noutputs, MLP_F32, 1, false, err);
        rc = x.plan ? MLP_OK : MLP_ERR_NOMEM;
    }
    if (!rc) {
        mlp_strbuf body = {0};
        lay_out_workspace(&x);
        x.cg.out = &body;
        for (int s = 0; s < mlp_plan_steps(x.plan); s++)
            print_step(&x, s);
        print_output_copies(&x);
        *header = header_text(&x);
        *source = source_text(&x, mlp_sb_str(&body));
        mlp_sb_free(&body);
    }
    free(targets);
    free(needed);
    gen_free(&x);
    return rc;
}
