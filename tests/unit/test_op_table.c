/* test_op_table.c - what every op table entry must hold, checked for every op: sign facts that
 * are true at sample points, a verification class (with exact piecewise-linear semantics where
 * it claims them), a PyTorch reference case, ONNX and C export entries that hold what their
 * patterns need; and the new ops' conventions at their kinks. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "analysis/verify/net.h"
#include "api/internal.h"
#include "base/mem.h"
#include "base/strbuf.h"
#include "graph/graph.h"
#include "graph/ops_c.h"
#include "lang/parser.h"

static unsigned signs_of(const double *v, int64_t n)
{
    unsigned s = 0;
    for (int64_t i = 0; i < n; i++)
        s |= v[i] < 0 ? MLP_SIGN_NEG : v[i] > 0 ? MLP_SIGN_POS : MLP_SIGN_ZERO;
    return s;
}

/* Operand values for the sign test: zeros, ties, both signs, small and large magnitudes (not so
 * large that float64 rounds a positive value such as 1 - tanh(30)^2 to 0). */
static const double samples[] = {0, -1, 1, 2, -2, 0.5, -0.5, 1e-3, -1e-3, 7, -7, 3, -3, 0, 2, -1};
#define NSAMPLES ((int)(sizeof samples / sizeof *samples))

/* Prepare op on constant operands of shape `s` (values from `samples`, starting at `off`),
 * without folding; false when the op does not take such operands. */
static bool prepare(mlp_graph *g, enum mlp_op op, mlp_shape s, int off, struct mlp_node *n)
{
    mlp_id in[MLP_MAX_ARITY];
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        in[i] = MLP_NONE;
    int64_t size = mlp_shape_size(s);
    const struct mlp_op_info *info = mlp_op(op);
    for (int i = 0; i < mlp_op_arity(op); i++) {
        double v[8];
        /* Scalars where the op's entry wants constants or scalars (clip's bounds: lo <= hi). */
        bool scalar = (info->const_args >> i & 1) || (i > 0 && info->shape == mlp_op(MLP_OP_LEAKY_RELU)->shape);
        for (int64_t e = 0; e < (scalar ? 1 : size); e++)
            v[e] = samples[(off + 3 * i + (int)e) % NSAMPLES];
        if (info->const_args >> i & 1)
            v[0] = i == 1 ? -1 : 2; /* clip(x, -1, 2) */
        in[i] = mlp_const(g, scalar ? mlp_shape_scalar() : s, v);
    }
    int32_t attr[MLP_MAX_ATTR] = {1, 0}; /* index x[0], unindex at [0]; slice 0 to 2 below */
    if (info->extra == MLP_EXTRA_RANGE)
        attr[0] = 0, attr[1] = 2;
    mlp_shape target = info->extra == MLP_EXTRA_NONE ? mlp_shape_scalar() : s;
    if (info->extra != MLP_EXTRA_NONE && info->extra != MLP_EXTRA_RANGE && s.rank == 0)
        target = mlp_shape_1d(3); /* broadcast and unindex of a scalar */
    bool ok = mlp_prepare(g, op, in, attr, target, n);
    mlp_error_clear(&g->err);
    return ok;
}

TEST(every_op_has_sign_facts_that_hold)
{
    mlp_shape shapes[] = {mlp_shape_scalar(), mlp_shape_1d(3), mlp_shape_2d(2, 2)};
    for (int op = 0; op < MLP_OP_COUNT; op++) {
        const struct mlp_op_info *info = mlp_op(op);
        if (info->cls == MLP_CLASS_LEAF)
            continue;
        bool declared = info->sign_fn || info->sign[0] || info->sign[1] || info->sign[2];
        CHECK_MSG(declared, "op %s has no sign facts (.sign or .sign_fn)", mlp_op_name(op));
        int tried = 0;
        for (int si = 0; si < 3; si++)
            for (int off = 0; off < NSAMPLES; off++) {
                mlp_graph *g = mlp_graph_new("signs");
                struct mlp_node n;
                if (!prepare(g, op, shapes[si], off, &n)) {
                    mlp_graph_free(g);
                    continue;
                }
                tried++;
                int64_t size = mlp_shape_size(n.shape);
                double *out = mlp_xmalloc((size_t)size * sizeof *out);
                mlp_eval_const_op(g, &n, out);
                unsigned in[MLP_MAX_ARITY] = {0};
                for (int i = 0; i < mlp_op_arity(op); i++)
                    in[i] = signs_of(mlp_node_values(g, n.in[i]), mlp_shape_size(g->nodes[n.in[i]].shape));
                unsigned claimed = mlp_op_signs(op, in), all = 0;
                bool finite = true;
                for (int64_t e = 0; e < size; e++) {
                    finite &= !isnan(out[e]);
                    if (isnan(out[e]))
                        continue; /* the facts hold over the reals */
                    unsigned got = signs_of(out + e, 1);
                    all |= got;
                    CHECK_MSG((got & ~claimed) == 0, "%s: result %g outside its sign facts %u (shape "
                              "%d, samples from %d)", mlp_op_name(op), out[e], claimed, si, off);
                }
                /* Facts carried backwards: the result's signs allow the operand's. */
                CHECK_MSG(!info->sign_back || !finite || (in[0] & ~mlp_op_signs_back(op, all)) == 0,
                          "%s: operand signs %u excluded by the result's %u", mlp_op_name(op), in[0], all);
                free(out);
                mlp_graph_free(g);
            }
        CHECK_MSG(tried > 0 || info->cls == MLP_CLASS_SMOOTH || op == MLP_OP_BATCH_SUM,
                  "op %s: no sample operands were accepted", mlp_op_name(op));
    }
}

/* Piecewise-linear ops as verify sees them, on scalar inputs a and b. */
static const struct {
    enum mlp_op op;
    const char *expr;
} piecewise_cases[] = {
    {MLP_OP_LEAKY_RELU, "leaky_relu(a, b)"}, {MLP_OP_ABS, "abs(a)"},
    {MLP_OP_MAX, "max(a, b)"},             {MLP_OP_MIN, "min(a, b)"},
    {MLP_OP_CLIP, "clip(a, -1, 1/2)"},     {MLP_OP_RELU6, "relu6(a)"},
    {MLP_OP_SIGN, "sign(a)"},              {MLP_OP_DLEAKY_RELU, "dleaky_relu(a, b)"},
    {MLP_OP_DMAX, "dmax(a, b)"},           {MLP_OP_DCLIP, "dclip(a, -1, 1/2)"},
};

/* The model text of y = expr lowered for verify (its ops all among relu, step, drelu, affine). */
static char *lowered_text(const char *expr)
{
    char text[256];
    snprintf(text, sizeof text, "input a\ninput b\ny = %s + 0 * b\noutput y\n", expr);
    mlp_model *m = parse_ok(text);
    mlp_graph *low = NULL;
    mlp_error err = {0};
    if (!m || vnet_lower(mlp_model_graph(m), &low, &err) || !low) {
        mlp_model_free(m);
        return NULL;
    }
    for (mlp_id id = 0; id < low->n; id++)
        if (mlp_op(low->nodes[id].op)->vsem == MLP_V_LOWER || mlp_op(low->nodes[id].op)->vsem == MLP_V_NONE)
            test_fail(__FILE__, __LINE__, "%s lowers to %s, which verify cannot split", expr,
                      mlp_op_name(low->nodes[id].op));
    mlp_strbuf sb = {0};
    mlp_print_model(low, NULL, &sb);
    char *r = mlp_xstrdup(mlp_sb_str(&sb));
    mlp_sb_free(&sb);
    mlp_graph_free(low);
    mlp_model_free(m);
    return r;
}

TEST(every_op_has_a_verify_class_and_piecewise_ops_lower_exactly)
{
    for (int op = 0; op < MLP_OP_COUNT; op++) {
        const struct mlp_op_info *info = mlp_op(op);
        bool listed = false;
        for (size_t i = 0; i < sizeof piecewise_cases / sizeof *piecewise_cases; i++)
            listed |= piecewise_cases[i].op == (enum mlp_op)op;
        /* A piecewise-linear op is decided exactly by verify; a lowered one is tested below. */
        CHECK_MSG(info->cls != MLP_CLASS_PIECEWISE || info->vsem != MLP_V_NONE,
                  "piecewise op %s has no verify semantics", mlp_op_name(op));
        CHECK_MSG((info->vsem == MLP_V_LOWER) == (info->lower != NULL) &&
                      (info->vsem != MLP_V_LOWER || listed),
                  "op %s: .lower and MLP_V_LOWER go together, with a case here", mlp_op_name(op));
        CHECK_MSG(info->cls != MLP_CLASS_LEAF || info->vsem == MLP_V_LEAF, "leaf %s", mlp_op_name(op));
        CHECK_MSG(info->grad != MLP_GRAD_RULE || info->vjp || info->cls == MLP_CLASS_LEAF,
                  "op %s has MLP_GRAD_RULE but no rule", mlp_op_name(op));
    }
    /* The lowering computes the op's own values, ties and kinks included (dyadic points, so the
     * float64 arithmetic of both sides is exact). */
    const double pts[] = {-7, -1, -0.5, 0, 0.5, 1, 6, 7};
    for (size_t i = 0; i < sizeof piecewise_cases / sizeof *piecewise_cases; i++) {
        char *low = lowered_text(piecewise_cases[i].expr);
        CHECK_MSG(low, "%s did not lower", piecewise_cases[i].expr);
        char text[256];
        snprintf(text, sizeof text, "input a\ninput b\ny = %s + 0 * b\noutput y\n", piecewise_cases[i].expr);
        for (int p = 0; low && p < 8; p++)
            for (int q = 0; q < 8; q++) {
                char sa[32], sb[32];
                snprintf(sa, sizeof sa, "a=%g", pts[p]);
                snprintf(sb, sizeof sb, "b=%g", pts[q]);
                const char *const sets[] = {sa, sb, NULL};
                double y0, y1;
                CHECK(!eval_model(text, sets, "y", &y0) && !eval_model(low, sets, "y", &y1));
                CHECK_MSG(y0 == y1, "%s at a=%g b=%g: %g, lowered %g", piecewise_cases[i].expr,
                          pts[p], pts[q], y0, y1);
            }
        free(low);
    }
}

/* Mark every op in the graph of a model and of its gradient. */
static void mark_ops(const char *text, bool *seen)
{
    mlp_model *m = parse_ok(text);
    if (!m)
        return;
    mlp_graph *g = mlp_graph_clone(mlp_model_graph(m));
    mlp_id wrt[64], grads[64];
    int n = 0;
    for (int i = 0; i < g->nnames && n < 64; i++)
        if (g->names[i].kind == MLP_INPUT || g->names[i].kind == MLP_PARAM)
            wrt[n++] = g->names[i].node;
    if (g->loss >= 0)
        mlp_autodiff(g, g->names[g->loss].node, wrt, n, grads, NULL);
    for (mlp_id id = 0; id < g->n; id++)
        seen[g->nodes[id].op] = true;
    mlp_graph_free(g);
    mlp_model_free(m);
}

TEST(every_op_has_a_pytorch_reference_case)
{
    /* Every op appears in some reference case's model or in its gradient graph, so PyTorch has
     * checked its values or its derivative rule (tests/reference/gen_torch.py). */
    FILE *f = fopen("tests/reference/cases.txt", "r");
    CHECK_MSG(f, "tests/reference/cases.txt: run from the repository root");
    if (!f)
        return;
    bool seen[MLP_OP_COUNT] = {false};
    mlp_strbuf model = {0};
    char line[1 << 16];
    bool in_model = false;
    while (fgets(line, sizeof line, f)) {
        if (!strcmp(line, "model\n")) {
            in_model = true;
            mlp_sb_free(&model);
        } else if (!strcmp(line, "end\n")) {
            in_model = false;
            mark_ops(mlp_sb_str(&model), seen);
        } else if (in_model) {
            mlp_sb_puts(&model, line + 2);
        }
    }
    fclose(f);
    mlp_sb_free(&model);
    for (int op = 0; op < MLP_OP_COUNT; op++)
        CHECK_MSG(seen[op], "op %s has no PyTorch reference case", mlp_op_name(op));
}

TEST(every_onnx_pattern_has_what_it_needs)
{
    /* The ONNX exporter writes an op by its entry's pattern alone, so each pattern's fields must
     * be there: an ONNX type where the pattern names one, the operand count the pattern reads,
     * and fixed bounds for a one-operand clip. */
    for (int op = 0; op < MLP_OP_COUNT; op++) {
        const struct mlp_onnx_out *o = &mlp_op(op)->onnx;
        int arity = mlp_op_arity(op);
        bool typed = o->form == MLP_ONNX_UNARY || o->form == MLP_ONNX_BINARY ||
                     o->form == MLP_ONNX_AFFINE || o->form == MLP_ONNX_SOFTMAX ||
                     o->form == MLP_ONNX_ALPHA || o->form == MLP_ONNX_CLIP;
        CHECK_MSG(typed == (o->type != NULL), "op %s: ONNX type", mlp_op_name(op));
        if (o->form == MLP_ONNX_UNARY || o->form == MLP_ONNX_SOFTMAX)
            CHECK_MSG(arity == 1, "op %s: a one-operand ONNX pattern", mlp_op_name(op));
        if (o->form == MLP_ONNX_BINARY || o->form == MLP_ONNX_AFFINE || o->form == MLP_ONNX_ALPHA)
            CHECK_MSG(arity == 2, "op %s: a two-operand ONNX pattern", mlp_op_name(op));
        if (o->form == MLP_ONNX_CLIP)
            CHECK_MSG(arity == 3 || (arity == 1 && o->lo < o->hi), "op %s: clip bounds",
                      mlp_op_name(op));
    }
}

TEST(every_c_entry_has_what_it_needs)
{
    /* The C generators and the quantiser read an op's C entry alone (graph/ops_c.h): each op is
     * a leaf, has a lowering, or says why it has none, and its int8 role has the fields its
     * form needs, for the operands the form reads. */
    int pass = 0;
    for (int op = 0; op < MLP_OP_COUNT; op++) {
        const struct mlp_c_lowering *c = &mlp_op_c(op)->c;
        const struct mlp_q8_op *q = &mlp_op_c(op)->q8;
        const char *name = mlp_op_name(op);
        int arity = mlp_op_arity(op);
        bool leaf = mlp_op(op)->cls == MLP_CLASS_LEAF;
        CHECK_MSG((c->leaf != MLP_C_NOT_LEAF) == leaf, "op %s: C leaf kind", name);
        CHECK_MSG(leaf + (c->emit != NULL) + (c->unsupported != NULL) == 1, "op %s: C lowering", name);
        CHECK_MSG((c->leaf == MLP_C_LEAF_STORED) == (c->leaf_word != NULL), "op %s: leaf word", name);
        CHECK_MSG(!(c->uses & MLP_C_USES_OTHER) == !c->calls, "op %s: C calls", name);
        if (q->form == MLP_Q8_TABLE)
            CHECK_MSG(arity == 1 && q->f, "op %s: int8 table", name);
        if (q->form == MLP_Q8_CLAMP)
            CHECK_MSG(arity == 3 || (arity == 1 && q->lo < q->hi), "op %s: int8 clamp bounds", name);
        if (q->form == MLP_Q8_PRODUCT || q->form == MLP_Q8_BIAS)
            CHECK_MSG(arity == 2, "op %s: int8 layer part", name);
        if (q->final)
            CHECK_MSG(arity == 1 && q->final->run && q->final->code && q->final->fn &&
                          strstr(q->final->code, q->final->fn), "op %s: int8 final", name);
        pass += q->form == MLP_Q8_PASS && arity == 1;
    }
    CHECK_MSG(pass == 1, "one op passes an int8 layer's value on (got %d)", pass);
}

/* ---- the new ops' conventions (PyTorch's) ---- */

static int eval1(const char *decls, const char *expr, const char *set, double *out)
{
    char text[1024];
    snprintf(text, sizeof text, "%s\ny = %s\noutput y\n", decls, expr);
    return eval_model(text, (const char *const[]){set, NULL}, "y", out);
}

TEST(piecewise_ops_at_their_kinks)
{
    double y[5];
    const char *z = "z=[-2, -0, 0, 3, 7]";
    CHECK(!eval1("input z[5]", "leaky_relu(z)", z, y));
    CHECK(y[0] == -0.02 && y[2] == 0 && y[3] == 3);
    CHECK(!eval1("input z[5]", "dleaky_relu(z, 0.2)", z, y)); /* PyTorch: slope at 0 */
    CHECK(y[0] == 0.2 && y[1] == 0.2 && y[2] == 0.2 && y[3] == 1);
    CHECK(!eval1("input z[5]", "sign(z)", z, y));
    CHECK(y[0] == -1 && y[2] == 0 && y[3] == 1);
    CHECK(!eval1("input z[5]", "relu6(z)", z, y));
    CHECK(y[0] == 0 && y[3] == 3 && y[4] == 6);
    CHECK(!eval1("input z[5]", "dclip(z, 0, 7)", z, y)); /* hardtanh: 0 at both ends */
    CHECK(y[0] == 0 && y[2] == 0 && y[3] == 1 && y[4] == 0);
    CHECK(!eval1("input z[5]", "clip(z, -1, 3)", z, y));
    CHECK(y[0] == -1 && y[3] == 3 && y[4] == 3);
    CHECK(!eval1("input z[5]", "dmax(z, 3)", z, y)); /* a tie splits the gradient */
    CHECK(y[0] == 0 && y[3] == 0.5 && y[4] == 1);
    CHECK(!eval1("input z[5]", "max(z, 0) - min(z, 0) - abs(z)", z, y));
    CHECK(y[0] == 0 && y[3] == 0 && y[4] == 0);
    /* argmax: the first largest element; nan counts as largest (torch.argmax) */
    CHECK(!eval1("input z[5]", "argmax(z)", "z=[1, 7, 3, 7, 0]", y) && y[0] == 1);
    CHECK(!eval1("input z[5]", "argmax(z)", "z=[1, 7, 0, 9, 0]", y) && y[0] == 3);
}

TEST(structure_and_norm_ops_by_hand)
{
    double y[8];
    CHECK(!eval1("input z[3]", "concat(z, -1, [5, 6])", "z=[1, 2, 3]", y));
    CHECK(y[0] == 1 && y[2] == 3 && y[3] == -1 && y[5] == 6);
    CHECK(!eval1("input z[6]", "reshape(z, [3, 2])[2, 0] + flatten(reshape(z, [2, 3]).T)[1]",
                 "z=[1, 2, 3, 4, 5, 6]", y));
    CHECK(y[0] == 5 + 4);
    CHECK(!eval1("input z[5]", "slice(z, 1, 3)", "z=[1, 2, 3, 4, 5]", y) && y[0] == 2 && y[1] == 3);
    /* layer_norm([1, 3]) = [-1, 1] / sqrt(1 + eps) */
    CHECK(!eval1("input z[2]", "layer_norm(z, 0)", "z=[1, 3]", y) && y[0] == -1 && y[1] == 1);
    CHECK(!eval1("input z[2]", "layer_norm(z, 0, [2, 3], 1)", "z=[1, 3]", y) && y[0] == -1 && y[1] == 4);
    /* (x - 1) / sqrt(3 + 1) * 2 + 1 */
    CHECK(!eval1("input z[2]", "batch_norm_infer(z, 1, 3, 2, 1, 1)", "z=[1, 5]", y));
    CHECK(y[0] == 1 && y[1] == 5);
    CHECK(!eval1("input z", "elu(z) + softplus(z) + gelu(z) + silu(z)", "z=0", y));
    CHECK_CLOSE(y[0], log(2.0), 1e-15);
    CHECK(!eval1("input z", "gelu_tanh(z) + expm1(z) + log1p(z) + sqrt(square(z))", "z=0", y) && y[0] == 0);
}

TEST(op_arguments_and_their_errors)
{
    CHECK_STR(parse_error("input x\ny = leaky_relu()\n"), "2:16: expected another argument, got ')'");
    CHECK_STR(parse_error("input x\ny = abs(x, x)\n"), "2:10: abs takes 1 argument");
    CHECK_STR(parse_error("input x\ny = leaky_relu(x, 1, 2)\n"), "2:20: leaky_relu takes 1 or 2 arguments");
    CHECK_STR(parse_error("input x\ny = clip(x, 1, -1)\n"), "2:5: clip needs lo <= hi, got 1 > -1 in 'clip(x, 1, -1)'");
    CHECK_STR(parse_error("input x\nparam p = 1\ny = clip(x, p, 2)\n"),
              "3:5: clip needs a constant as argument 2 in 'clip(x, p, 2)'");
    CHECK_STR(parse_error("input x[3]\ny = leaky_relu(x, x)\n"),
              "2:5: leaky_relu needs a scalar as argument 2, got [3] in 'leaky_relu(x, x)'");
    CHECK_STR(parse_error("input x\ny = layer_norm(x, 1, 2)\n"),
              "2:5: layer_norm takes 1, 2 or 4 arguments (x, eps, gamma, beta): gamma and beta go together");
    CHECK_STR(parse_error("input x\ny = concat(x)\n"), "2:13: expected another argument, got ')'");
    CHECK_STR(parse_error("input x[4]\ny = reshape(x, [3])\n"),
              "2:5: reshape of [4] to [3] changes the number of elements in 'reshape(x, [3])'");
    CHECK_STR(parse_error("input x[4]\ny = slice(x, 2, 5)\n"),
              "2:5: slice 2 to 5 out of range for a vector of 4 elements in 'slice(x, 2, 5)'");
    CHECK_STR(parse_error("input x[4]\ny = argmax(x) * x\nL = sum(y)\nloss L\n"), "");
    /* argmax has no gradient: differentiating through it is an error, not a silent zero */
    mlp_model *m = parse_ok("input x[4]\nparam w[4] = 1\nL = argmax(w * x)\nloss L\n");
    const char *wrt[] = {"w"};
    mlp_error err = {0};
    mlp_session *s = m ? mlp_session_new(m, wrt, 1, MLP_F64, 1, &err) : NULL;
    CHECK(!s && strstr(err.message, "argmax has no gradient"));
    mlp_error_clear(&err);
    mlp_session_free(s);
    mlp_model_free(m);
    /* defaults print explicitly, and the printed model parses back to the same text */
    m = parse_ok("input x[2]\ny = leaky_relu(x) + elu(x) + layer_norm(x) + batch_norm_infer(x, 0, 1, 1, 0)\n"
                 "output y\n");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK(m && !mlp_model_write(m, out, 0, NULL));
    fclose(out);
    CHECK(strstr(text, "leaky_relu(x, 0.01) + elu(x, 1) + layer_norm(x, 1e-05) + "
                       "batch_norm_infer(x, 0, 1, 1, 0, 1e-05)"));
    mlp_model_free(m);
    free(text);
}

/* y for input a (4 values, a batch of 2 samples) in the given dtype. */
static int run_dtype(const char *expr, mlp_dtype dtype, double *y, int ny)
{
    char text[512];
    snprintf(text, sizeof text, "input a[4]\ny = %s\noutput y\n", expr);
    mlp_model *m = parse_ok(text);
    mlp_error err = {0};
    mlp_session *s = m ? mlp_session_new(m, NULL, 0, dtype, 2, &err) : NULL;
    const double a[8] = {-1.5, 0.25, 2, -0.125, 3, -2.5, 0.5, 1};
    int rc = !s || mlp_session_set_batch(s, 2, &err) || mlp_session_set(s, "a", a, 2, &err) ||
             mlp_session_run(s, &err) ||
             mlp_model_size(m, "y") * 2 > (size_t)ny || mlp_session_get(s, "y", y, &err);
    if (rc && err.status)
        mlp_error_print(&err, stderr);
    mlp_session_free(s);
    mlp_model_free(m);
    return rc;
}

TEST(new_ops_agree_in_float32_and_float64_over_a_batch)
{
    const char *exprs[] = {
        "leaky_relu(a) + leaky_relu(a, 0.3)", "abs(a) + sign(a)", "max(a, 0.5) - min(a, [1, 0, -1, 2])",
        "clip(a, -1, 1) + relu6(2 * a) + dclip(a, -1, 1)", "dleaky_relu(a, 0.5) + dmax(a, 0.25)",
        "softplus(a) + gelu(a) + gelu_tanh(a) + dgelu(a) + dgelu_tanh(a)",
        "elu(a) + elu(a, 0.5) + delu(a, 2) + silu(a)", "sqrt(square(a) + 1) + log1p(abs(a)) + expm1(a)",
        "concat(slice(a, 1, 3), a, 2)", "flatten(reshape(a, [2, 2]).T)", "argmax(a) + 0 * a",
        "layer_norm(a) + layer_norm(a, 0.5, a, 1)", "batch_norm_infer(a, 0.5, 2, [1, 2, 3, 4], -1, 0.1)",
    };
    for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++) {
        double y64[32], y32[32];
        CHECK_MSG(!run_dtype(exprs[i], MLP_F64, y64, 32) && !run_dtype(exprs[i], MLP_F32, y32, 32),
                  "%s did not run", exprs[i]);
        for (int e = 0; e < 8; e++) /* the first 4 (or 8) values cover both samples */
            CHECK_MSG(fabs(y64[e] - y32[e]) <= 1e-5 * fmax(1, fabs(y64[e])), "%s[%d]: %g vs %g",
                      exprs[i], e, y64[e], y32[e]);
    }
}
