/* test_ops.c - every op: forward values against hand-computed cases, gradients against float64
 * central differences. */
#include "test.h"
#include "util.h"

#include <float.h>

#include "graph/ops.h"

/* Evaluate expression `expr` over inputs declared in `decls` with the given values. */
static int eval_expr(const char *decls, const char *expr, const char *const *sets, double *out)
{
    char text[2048];
    snprintf(text, sizeof text, "%s\ny = %s\noutput y\n", decls, expr);
    return eval_model(text, sets, "y", out);
}

#define EVAL1(decls, expr, set1, out) eval_expr(decls, expr, (const char *const[]){set1, NULL}, out)

TEST(forward_arithmetic)
{
    double y[3];
    CHECK(!eval_expr("input a[3]\ninput b[3]", "a + b * 2 - a / b",
                     (const char *const[]){"a=[1, 2, 3]", "b=[4, 5, 6]", NULL}, y));
    CHECK(y[0] == 1 + 8 - 0.25 && y[1] == 2 + 10 - 0.4 && y[2] == 3 + 12 - 0.5);
    CHECK(!EVAL1("input a[3]", "-a * 0.5 + 1", "a=[2, -4, 0]", y));
    CHECK(y[0] == 0 && y[1] == 3 && y[2] == 1);
    CHECK(!EVAL1("input a", "a / 0", "a=1", y));
    CHECK(isinf(y[0]));
}

TEST(forward_matmul_shapes)
{
    double y[6];
    const char *W = "input W[2,3]\ninput x[3]\ninput X[3,2]\ninput v[2]";
    const char *const sets[] = {"W=[[1, 2, 3], [4, 5, 6]]", "x=[1, 0, -1]", "X=[[1, 0], [0, 1], [1, 1]]",
                                "v=[2, 3]", NULL};
    CHECK(!eval_expr(W, "W @ x", sets, y));
    CHECK(y[0] == -2 && y[1] == -2);
    CHECK(!eval_expr(W, "W @ X", sets, y));
    CHECK(y[0] == 4 && y[1] == 5 && y[2] == 10 && y[3] == 11);
    CHECK(!eval_expr(W, "v @ W", sets, y));
    CHECK(y[0] == 14 && y[1] == 19 && y[2] == 24);
    CHECK(!eval_expr(W, "x @ x", sets, y));
    CHECK(y[0] == 2);
    CHECK(!eval_expr(W, "W.T[2]", sets, y));
    CHECK(y[0] == 3 && y[1] == 6);
    CHECK(!eval_expr(W, "outer(v, x)", sets, y));
    CHECK(y[0] == 2 && y[1] == 0 && y[2] == -2 && y[3] == 3 && y[5] == -3);
    CHECK(!eval_expr(W, "dot(v, [1, -1])", sets, y));
    CHECK(y[0] == -1);
    CHECK(!eval_expr(W, "W[1, 2] + W[0][1]", sets, y));
    CHECK(y[0] == 8);
}

TEST(forward_reductions_and_structure)
{
    double y[6];
    const char *const sets[] = {"x=[1, 2, 3, -4]", NULL};
    CHECK(!eval_expr("input x[4]", "sum(x)", sets, y) && y[0] == 2);
    CHECK(!eval_expr("input x[4]", "mean(x)", sets, y) && y[0] == 0.5);
    CHECK(!eval_expr("input x[4]", "sumsq(x)", sets, y) && y[0] == 30);
    CHECK(!eval_expr("input x[4]", "broadcast(x[3], [2, 3])", sets, y));
    CHECK(y[0] == -4 && y[5] == -4);
    CHECK(!eval_expr("input x[4]", "unindex(x[1], [3], 2)", sets, y));
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 2);
}

TEST(forward_activations_at_their_kinks)
{
    double y[5];
    const char *const sets[] = {"z=[-1, -1e-300, 0, 1e-300, 2]", NULL};
    /* step(z) = 1 if z >= 0 else 0, exactly as the seed defines it: step(0) = 1. */
    CHECK(!eval_expr("input z[5]", "step(z)", sets, y));
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 1 && y[4] == 1);
    CHECK(!eval_expr("input z[5]", "relu(z)", sets, y));
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 0 && y[3] == 1e-300 && y[4] == 2);
    /* relu'(0) = 0, as PyTorch defines it. */
    CHECK(!eval_expr("input z[5]", "drelu(z)", sets, y));
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 0 && y[3] == 1 && y[4] == 1);
    CHECK(!eval_expr("input z[5]", "identity(z)", sets, y));
    CHECK(y[0] == -1 && y[4] == 2);
}

TEST(forward_smooth_functions)
{
    double y[3];
    const char *const sets[] = {"z=[-1000, 0, 1000]", NULL};
    CHECK(!eval_expr("input z[3]", "sigmoid(z)", sets, y));
    CHECK(y[0] == 0 && y[1] == 0.5 && y[2] == 1); /* no overflow, no NaN */
    CHECK(!eval_expr("input z[3]", "dsigmoid(z)", sets, y));
    CHECK(y[0] == 0 && y[1] == 0.25 && y[2] == 0);
    CHECK(!eval_expr("input z[3]", "tanh(z)", sets, y));
    CHECK(y[0] == -1 && y[1] == 0 && y[2] == 1);
    CHECK(!eval_expr("input z[3]", "dtanh(z)", sets, y));
    CHECK(y[0] == 0 && y[1] == 1 && y[2] == 0);
    CHECK(!EVAL1("input z", "log(exp(z))", "z=0.75", y) && test_close(y[0], 0.75, 1e-15));
    CHECK(!EVAL1("input z", "exp(z)", "z=1", y) && y[0] == exp(1.0));
}

TEST(forward_softmax_family_is_stable)
{
    double y[3];
    CHECK(!EVAL1("input z[3]", "softmax(z)", "z=[1, 2, 3]", y));
    double e = exp(1) + exp(2) + exp(3);
    CHECK_CLOSE(y[0], exp(1) / e, 1e-15);
    CHECK_CLOSE(y[2], exp(3) / e, 1e-15);
    CHECK(!EVAL1("input z[3]", "softmax(z)", "z=[1000, 1000, -1000]", y));
    CHECK_CLOSE(y[0], 0.5, 1e-15);
    CHECK(y[0] == y[1] && y[2] == 0);
    CHECK(!EVAL1("input z[2]", "logsumexp(z)", "z=[1000, 1000]", y));
    CHECK_CLOSE(y[0], 1000 + log(2.0), 1e-15);
    CHECK(!EVAL1("input z[2]", "log_softmax(z)", "z=[0, -1000]", y));
    CHECK(y[0] == 0 && y[1] == -1000);
}

TEST(forward_losses_by_hand)
{
    double y[4];
    /* 1/2 ((1 - 0)^2 + (2 - 4)^2) = 2.5 */
    CHECK(!eval_expr("input a[2]", "squared_error(a, [0, 4])", (const char *const[]){"a=[1, 2]", NULL}, y));
    CHECK(y[0] == 2.5);
    /* bce(z, t) = log(1 + e^z) - z t: at z = 0 it is log 2 for any t. */
    CHECK(!EVAL1("input z[2]", "bce_logits(z, [1, 0])", "z=[0, 0]", y));
    CHECK_CLOSE(y[0], 2 * log(2.0), 1e-15);
    CHECK(!EVAL1("input z[2]", "bce_logits(z, [1, 0])", "z=[2, -3]", y));
    CHECK_CLOSE(y[0], log(1 + exp(-2.0)) + log(1 + exp(-3.0)), 1e-15);
    /* Stable at large logits: exact zero loss, and a finite one for a confident wrong answer. */
    CHECK(!EVAL1("input z[2]", "bce_logits(z, [1, 0])", "z=[1000, -1000]", y));
    CHECK(y[0] == 0);
    CHECK(!EVAL1("input z", "bce_logits(z, 0)", "z=1000", y));
    CHECK(y[0] == 1000);
    /* softmax_xent(z, c) = logsumexp(z) - z[c] = -log softmax(z)[c] */
    CHECK(!EVAL1("input z[3]", "softmax_xent(z, 2)", "z=[1, 2, 3]", y));
    CHECK_CLOSE(y[0], log(exp(1) + exp(2) + exp(3)) - 3, 1e-15);
    CHECK(!EVAL1("input z[3]", "softmax_xent(z, 0)", "z=[1000, 1000, -1000]", y));
    CHECK_CLOSE(y[0], log(2.0), 1e-15);
    CHECK(!EVAL1("input z[3]", "softmax_xent(z, 2)", "z=[1e6, 0, -1e6]", y));
    CHECK(y[0] == 2e6);
    /* A label that is not a class index: the kernel gives NaN, never a read out of bounds (the
     * run happens, under ASan too), and the run then fails naming the sample (classes.c). */
    CHECK(EVAL1("input c", "softmax_xent([1, 2, 3], c)", "c=3", y));
    CHECK(EVAL1("input c", "softmax_xent([1, 2, 3], c)", "c=-1", y));
    CHECK(EVAL1("input c", "softmax_xent([1, 2, 3], c)", "c=0.5", y));
    CHECK(EVAL1("input c", "softmax_xent([1, 2, 3], c)", "c=1e30", y));
    /* Its gradient: softmax(z) - onehot(c). */
    CHECK(!EVAL1("input z[3]", "dsoftmax_xent(z, 1)", "z=[0, 0, 0]", y));
    CHECK_CLOSE(y[0], 1.0 / 3, 1e-15);
    CHECK_CLOSE(y[1], 1.0 / 3 - 1, 1e-15);
    CHECK(EVAL1("input c", "dsoftmax_xent([1, 2], c)", "c=7", y));
}

TEST(loss_shape_errors)
{
    CHECK_STR(parse_error("input z[3]\ninput c[2]\ny = softmax_xent(z, c)\n"),
              "3:5: softmax_xent needs a vector of logits and a scalar class index, got [3] and [2] "
              "in 'softmax_xent(z, c)'");
    CHECK_STR(parse_error("input z[3]\ny = squared_error(z, [1, 2])\n"),
              "2:5: shape mismatch in 'squared_error(z, [1, 2])': squared_error needs a prediction "
              "and a target of equal shapes, got [3] and [2]");
}

/* Each op inside a small model with a scalar loss; inputs and parameters get random values. */
static const struct {
    const char *name, *model;
} gradient_cases[] = {
    {"add", "input a[3]\ninput b[3]\nL = sumsq(a + b)"},
    {"add scalar", "input a\ninput b[3]\nL = sumsq(a + b)"},
    {"sub", "input a[3]\ninput b\nL = sumsq(a - b)"},
    {"mul", "input a[3]\ninput b[3]\nL = sum(a * b * a)"},
    {"mul scalar", "param w\ninput b[3]\nL = sumsq(w * b)"},
    {"div", "input a[3]\ninput b[3]\nL = sum(a / (b * b + 1))"},
    {"neg", "input a[3]\nL = sumsq(-a + 1)"},
    {"matmul mv", "param W[2,3]\ninput x[3]\nL = sumsq(W @ x)"},
    {"matmul mm", "param W[2,3]\ninput X[3,4]\nL = sumsq(W @ X)"},
    {"matmul vm", "input v[2]\nparam W[2,3]\nL = sumsq(v @ W)"},
    {"matmul vv", "input v[3]\ninput w[3]\nL = (v @ w) * (v @ w)"},
    {"transpose", "param W[2,3]\ninput x[2]\nL = sumsq(W.T @ x)"},
    {"outer", "input a[2]\ninput b[3]\nL = sumsq(outer(a, b) + 1)"},
    {"dot", "input a[3]\ninput b[3]\nL = dot(a, b) * dot(a, a)"},
    {"index", "input W[2,3]\nL = W[1, 2] * W[0][1] + sumsq(W[1])"},
    {"unindex", "input a[2]\nL = sumsq(unindex(a, [3, 2], 1) + 1)"},
    {"broadcast", "input a\nL = sumsq(broadcast(a, [3]) * [1, 2, 3])"},
    {"sum", "input a[3]\nL = sum(a) * sum(a)"},
    {"mean", "input a[3]\nL = mean(a) * mean(a * a)"},
    {"sumsq", "input a[3]\nL = sumsq(a)"},
    {"sigmoid", "input a[3]\nL = sumsq(sigmoid(a))"},
    {"tanh", "input a[3]\nL = sumsq(tanh(a))"},
    {"relu", "input a[3]\nL = sumsq(relu(a) + a)"},
    {"step", "input a[3]\nL = sumsq(step(a) + a)"},
    {"identity", "input a[3]\nL = sumsq(identity(a))"},
    {"exp", "input a[3]\nL = sum(exp(a))"},
    {"log", "input a[3]\nL = sum(log(a * a + 1))"},
    {"dsigmoid", "input a[3]\nL = sumsq(dsigmoid(a))"},
    {"dtanh", "input a[3]\nL = sumsq(dtanh(a))"},
    {"drelu", "input a[3]\nL = sumsq(drelu(a) * a)"},
    {"softmax", "input a[4]\nL = sumsq(softmax(a) - [1, 0, 0, 0])"},
    {"log_softmax", "input a[4]\nL = dot(log_softmax(a), [0.1, 0.2, 0.3, 0.4])"},
    {"logsumexp", "input a[4]\nL = logsumexp(a) * logsumexp(a)"},
    {"squared_error", "input a[3]\ninput t[3]\nL = squared_error(a, t) * sum(a)"},
    {"bce_logits", "input z[3]\ninput t[3]\nL = bce_logits(z * 3, t) * sum(z)"},
    {"softmax_xent", "input z[4]\nconst c = 2\nL = softmax_xent(z * 2, c) * sum(z)"},
    {"dsoftmax_xent", "input z[4]\nconst c = 3\nL = sumsq(dsoftmax_xent(z, c) + z)"},
    {"leaky_relu", "input a[3]\nparam s\nL = sumsq(leaky_relu(a) + leaky_relu(a, s) * a)"},
    {"abs", "input a[3]\nL = sumsq(abs(a) + a)"},
    {"max", "input a[3]\ninput b[3]\nL = sumsq(max(a, b) * a + max(a, 0.2))"},
    {"min", "input a[3]\ninput b[3]\nL = sumsq(min(a, b) * b + min(-0.1, a))"},
    {"clip", "input a[3]\nL = sumsq(clip(2 * a, -1, 0.5) + a)"},
    {"relu6", "input a[3]\nL = sumsq(relu6(8 * a) + a)"},
    {"sign", "input a[3]\nL = sumsq(sign(a) + a)"},
    {"dleaky_relu", "input a[3]\nparam s\nL = sumsq(dleaky_relu(a, s) * a)"},
    {"dmax", "input a[3]\ninput b[3]\nL = sumsq(dmax(a, b) * a)"},
    {"dclip", "input a[3]\nL = sumsq(dclip(a, -0.5, 0.5) * a)"},
    {"softplus", "input a[3]\nL = sumsq(softplus(4 * a))"},
    {"gelu", "input a[3]\nL = sumsq(gelu(3 * a))"},
    {"gelu_tanh", "input a[3]\nL = dot(gelu_tanh(3 * a), [1, -2, 3])"},
    {"elu", "input a[3]\nparam s\nL = sumsq(elu(2 * a) + elu(a, s))"},
    {"silu", "input a[3]\nL = sumsq(silu(3 * a))"},
    {"sqrt", "input a[3]\nL = sum(sqrt(a * a + 0.5) * a)"},
    {"square", "input a[3]\nL = sum(square(a) * a)"},
    {"log1p", "input a[3]\nL = sum(log1p(a * a) * a)"},
    {"expm1", "input a[3]\nL = sumsq(expm1(a))"},
    {"dgelu", "input a[3]\nL = sumsq(dgelu(2 * a))"},
    {"delu", "input a[3]\nparam s\nL = sumsq(delu(a, s) + a)"},
    {"concat", "input a[3]\ninput b\nL = sumsq(concat(a, b, a) * [1, 2, 3, 4, 5, 6, 7])"},
    {"slice", "input a[4]\nL = sumsq(slice(a, 1, 3) * [2, 3]) + sum(slice(a, 0, 4))"},
    {"reshape", "input a[6]\nL = sumsq(reshape(a, [2, 3]) @ [1, 2, 3])"},
    {"flatten", "input A[2,3]\nL = sumsq(flatten(A) * [1, 2, 3, 4, 5, 6])"},
    {"layer_norm", "input a[4]\nparam e\nparam g[4]\nL = dot(layer_norm(a, e * e + 0.1), [1, 2, 3, 4]) + "
                   "sumsq(layer_norm(a, 0.5, g, a))"},
    {"batch_norm_infer", "input x[3]\nparam m[3]\nparam v[3]\nparam g[3]\nparam b[3]\nparam e\n"
                         "L = sumsq(batch_norm_infer(x, m, v * v + 0.5, g, b, e * e + 0.1)) + "
                         "sum(batch_norm_infer(x, m, 1, g, b))"},
    {"residual", "input x[3]\nparam W1[2,3]\nparam b1[2]\nparam W2[3,2]\nparam b2[3]\nconst r[2] = [1, -1]\n"
                 "input s[3]\nz = W1 @ x + b1\nh = sigmoid(z)\ny = x + W2 @ h + b2\n"
                 "L = 0.5 * sumsq(y - s) + dot(r, h)"},
    {"shared", "input x[3]\nh = tanh(x)\nL = sum(h * h * h) + dot(h, x) + sum(h)"},
};

TEST(gradients_match_finite_differences)
{
    for (size_t i = 0; i < sizeof gradient_cases / sizeof *gradient_cases; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%s\nloss L\n", gradient_cases[i].model);
        /* Parameters declared without values get them from the test's generator. */
        char *p = text, fixed[2048] = "";
        for (char *line = strtok_r(p, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
            strcat(fixed, line);
            if (!strncmp(line, "param", 5) && !strchr(line, '='))
                strcat(fixed, " = 0");
            strcat(fixed, "\n");
        }
        for (unsigned seed = 1; seed <= 3; seed++) {
            double err = gradient_error(fixed, seed);
            CHECK_MSG(err < 1e-7, "%s (seed %u): gradient error %g", gradient_cases[i].name, seed,
                      err);
            /* mlp derive's model file computes the same gradients (test_derive.c). */
            err = derived_gradient_error(fixed, seed);
            CHECK_MSG(err < 1e-12, "%s (seed %u): derived gradients differ by %g",
                      gradient_cases[i].name, seed, err);
        }
    }
}

TEST(every_op_is_tested)
{
    /* Guard against a new op without a gradient case: each differentiable non-leaf op (but the
     * internal batch_sum, tested in test_exec.c) appears in some model above, by its name, or
     * by its symbol where it is written as an operator. */
    for (int op = 0; op < MLP_OP_COUNT; op++) {
        const struct mlp_op_info *info = mlp_op(op);
        const char *name = mlp_op_name(op);
        if (info->cls == MLP_CLASS_LEAF || info->grad == MLP_GRAD_NONE || op == MLP_OP_BATCH_SUM)
            continue;
        const char *written = info->syntax == MLP_SYNTAX_CALL ? name
                              : info->syntax == MLP_SYNTAX_INDEX ? "["
                              : info->syntax == MLP_SYNTAX_T     ? ".T"
                                                                 : info->symbol;
        bool call = info->syntax == MLP_SYNTAX_CALL, found = false;
        for (size_t i = 0; !found && i < sizeof gradient_cases / sizeof *gradient_cases; i++) {
            const char *m = strstr(gradient_cases[i].model, "L =");
            for (const char *p = strstr(m, written); p && !found; p = strstr(p + 1, written))
                found = !call || (p[strlen(name)] == '(' &&
                                  !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')));
        }
        CHECK_MSG(found, "op %s has no gradient test case", name);
    }
}
