/* test_parser.c - the model language: valid models, exact error messages, canonical printing. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "api/internal.h"
#include "base/strbuf.h"
#include "lang/parser.h"

TEST(parse_declarations_and_statements)
{
    mlp_model *m = parse_ok("input x[3]          # a comment\n"
                            "param W[2,3] = [[1, 2, 3], [4, 5, 6]]\n"
                            "param b[2] = 0\n"
                            "param w = 0.5\n"
                            "param V[2,2] ~ normal(0, 0.1)\n"
                            "const r[2] = [1/2, -1/4]\n"
                            "y = W @ x + b\n"
                            "z = w * y - r\n"
                            "output y, z\n");
    CHECK(m);
    CHECK(mlp_model_count(m, MLP_INPUT) == 1);
    CHECK(mlp_model_count(m, MLP_PARAM) == 4);
    CHECK(mlp_model_count(m, MLP_CONST) == 1);
    CHECK(mlp_model_count(m, MLP_OUTPUT) == 2);
    CHECK(mlp_model_count(m, MLP_LOSS) == 0);
    int dims[MLP_MAX_RANK];
    CHECK(mlp_model_shape(m, "W", dims) == 2 && dims[0] == 2 && dims[1] == 3);
    CHECK(mlp_model_shape(m, "w", dims) == 0);
    double r[2];
    CHECK(mlp_model_get_values(m, "r", r, NULL) == MLP_OK);
    CHECK(r[0] == 0.5 && r[1] == -0.25);
    double b[2] = {7, 7};
    CHECK(mlp_model_get_values(m, "b", b, NULL) == MLP_OK);
    CHECK(b[0] == 0 && b[1] == 0);
    mlp_model_free(m);
}

TEST(parse_multiline_literals_and_continuations)
{
    mlp_model *m = parse_ok("param W[2,2] = [[1, 2],\n"
                            "                [3, 4],]\n"
                            "input x[2]\n"
                            "y = W @ \\\n x\n"
                            "output y\n");
    CHECK(m);
    mlp_model_free(m);
}

/* Each invalid model with its exact message: what a user sees must stay this precise. */
static const struct {
    const char *text, *error;
} invalid[] = {
    {"input x[3]\ny = x +\n", "2:8: expected a value, got end of line"},
    {"y = foo + 1\n", "1:5: unknown name 'foo'"},
    {"input xx\ny = xy + 1\n", "2:5: unknown name 'xy' (did you mean 'xx'?)"},
    {"input x\ninput x\n", "2:7: redefinition of 'x' (first defined at line 1, column 7)"},
    {"input x[4]\nparam W1[2,3] = 0\nz = W1 @ x\n",
     "3:8: shape mismatch in 'W1 @ x': [2,3] @ [4] (inner dimensions differ)"},
    {"input x[2]\ninput y[3]\nz = x + y\n",
     "3:7: shape mismatch in 'x + y': [2] + [3] (elementwise operands need equal shapes, or one "
     "scalar)"},
    {"param W[2,2] = [1, 2, 3]\n", "1:16: W has shape [2,2] but the literal has shape [3] (3 values)"},
    {"param W[2,2] = [[1,2],[3]]\n",
     "1:23: ragged literal: this list has 1 element, an earlier one at the same level has 2"},
    {"param W[2] = [[1],2]\n",
     "1:19: inconsistent nesting: a number where a list was expected, or the other way round"},
    {"input x\ny = y + x\n",
     "2:5: 'y' is used in its own definition (a model is a graph without cycles: a statement can "
     "only use names defined before it)"},
    {"input x\ny = h + x\nh = x\n",
     "2:5: 'h' is used before its definition on line 3 (a statement can only use names defined "
     "before it)"},
    {"input x\ny = sigmod(x)\n", "2:5: unknown function 'sigmod' (did you mean 'sigmoid'?)"},
    {"input x\ny = sigmoid(x, x)\n", "2:14: sigmoid takes 1 argument"},
    {"input x\ny = sigmoid\n", "2:5: 'sigmoid' is a function: call it as sigmoid(...)"},
    {"input x[3]\nloss x\n",
     "2:6: the loss must be a scalar per sample, but 'x' has shape [3] (reduce it with sum, mean "
     "or sumsq)"},
    {"input x\nL = x\nM = x\nloss L\nloss M\n",
     "5:6: a model has at most one loss; 'L' is already the loss"},
    {"input x\noutput y\n", "2:8: unknown name 'y'"},
    {"input sum\n", "1:7: 'sum' is a function and cannot name a value"},
    {"input loss\n", "1:7: 'loss' is a keyword and cannot name a value"},
    {"input x\ny = x $ 2\n", "2:7: unexpected character '$'"},
    {"y = 1e999\n", "1:5: number out of range: 1e999"},
    {"input x[0]\n", "1:9: a dimension must be an integer from 1 to 1073741824, got '0'"},
    {"input x[2,3,4,5,6]\n", "1:17: more than 4 dimensions"},
    {"param W[2]\n", "1:11: expected '= value' or '~ initialiser', got end of line"},
    {"param W[2] ~ gaussian\n",
     "1:14: unknown initialiser 'gaussian' (known: zeros, ones, normal, uniform, xavier, "
     "xavier_normal, he, he_uniform)"},
    {"param W[2] ~ normal(0)\n", "1:14: normal takes 2 arguments, got 1"},
    {"param W[2] = [1, 1/0]\n", "1:20: division by zero in a literal"},
    {"input x[3]\ny = x[3]\n", "2:6: index 3 out of range for axis 0 of size 3 (shape [3]) in 'x[3]'"},
    {"input x[3]\ny = x.T\n", "2:6: transpose needs a matrix, got [3] in 'x.T'"},
    {"input x[3]\ny = softmax(x[0])\n", "2:5: softmax needs a vector, got [] in 'softmax(x[0])'"},
    {"input x\ny = x\ny = x\n", "3:1: redefinition of 'y' (first defined at line 2, column 1)"},
    {"input x\ny == x\n", "2:3: expected '=' (a statement is NAME = EXPRESSION), got '=='"},
    {"42\n", "1:1: expected a statement (input, param, const, output, loss or NAME = ...), got '42'"},
    {"input x\ny = (x + 1\n", "2:5: '(' is never closed"},
    {"param W[2] = [1, 2\n", "1:14: '[' is never closed"},
    {"input x y\n", "1:9: expected end of line, got 'y'"},
    {"input x\0y\n", ""}, /* replaced below: NUL bytes are checked through the length */
};

TEST(parse_errors_are_exact)
{
    for (size_t i = 0; i + 1 < sizeof invalid / sizeof *invalid; i++) {
        const char *got = parse_error(invalid[i].text);
        CHECK_MSG(!strcmp(got, invalid[i].error), "model:\n%s\ngave:     %s\nexpected: %s",
                  invalid[i].text, got, invalid[i].error);
    }
}

TEST(parse_error_has_source_line)
{
    mlp_error err = {0};
    CHECK(!mlp_model_parse("input x[4]\nparam W1[2,3] = 0\nz = W1 @ x\n", "m.mlp", &err));
    CHECK_STR(err.file, "m.mlp");
    CHECK_STR(err.source_line, "z = W1 @ x");
    char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    mlp_error_print(&err, f);
    fclose(f);
    CHECK_STR(buf, "m.mlp:3:8: error: shape mismatch in 'W1 @ x': [2,3] @ [4] (inner dimensions "
                   "differ)\n  z = W1 @ x\n         ^\n");
}

TEST(parse_rejects_nul_bytes)
{
    static const char text[] = "input x\ny = x\0 + 1\n";
    mlp_error err = {0};
    mlp_graph *g = mlp_parse_model(text, sizeof text - 1, "nul.mlp", &err);
    CHECK(!g);
    CHECK_STR(err.message, "the file contains a NUL byte (not a text file?)");
    CHECK(err.line == 2);
}

/* Whether node x of a and node y of b compute the same thing: same op, shape, attributes and
 * values, and equal operands (node ids may differ: creation order is not part of a graph). */
static bool same_node(const mlp_graph *a, mlp_id x, const mlp_graph *b, mlp_id y)
{
    const struct mlp_node *p = &a->nodes[x], *q = &b->nodes[y];
    if (p->op != q->op || !mlp_shape_equal(p->shape, q->shape) || p->batched != q->batched ||
        memcmp(p->attr, q->attr, sizeof p->attr))
        return false;
    if (p->data >= 0 && memcmp(a->pool + p->data, b->pool + q->data,
                               (size_t)mlp_shape_size(p->shape) * sizeof(double)))
        return false;
    if ((p->name >= 0 && a->names[p->name].kind != MLP_DEF) !=
        (q->name >= 0 && b->names[q->name].kind != MLP_DEF))
        return false;
    if (p->name >= 0 && a->names[p->name].kind != MLP_DEF) /* declared leaves: by name */
        return !strcmp(a->names[p->name].text, b->names[q->name].text);
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        if ((p->in[i] < 0) != (q->in[i] < 0) ||
            (p->in[i] >= 0 && !same_node(a, p->in[i], b, q->in[i])))
            return false;
    return true;
}

/* Same names in the same order, bound to equal nodes; same outputs and loss. */
static bool same_graph(const mlp_graph *a, const mlp_graph *b)
{
    if (a->nnames != b->nnames || a->noutputs != b->noutputs || a->loss != b->loss)
        return false;
    for (int i = 0; i < a->nnames; i++)
        if (strcmp(a->names[i].text, b->names[i].text) || a->names[i].kind != b->names[i].kind ||
            !same_node(a, a->names[i].node, b, b->names[i].node))
            return false;
    for (int i = 0; i < a->noutputs; i++)
        if (a->outputs[i] != b->outputs[i])
            return false;
    return true;
}

static const char *const roundtrip_models[] = {
    "input x[3]\nparam W1[2,3] = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]\nparam b1[2] = [0.01, -0.02]\n"
    "param W2[3,2] ~ normal(0, 0.1)\nparam b2[3] = 0\nconst r[2] = [1, -1]\ninput s[3]\n"
    "z = W1 @ x + b1\nh = sigmoid(z)\ny = x + W2 @ h + b2\nS = 0.5 * sumsq(y - s)\nR = dot(r, h)\n"
    "L = S + R\noutput y\nloss L\n",
    "input a\ninput b\nc = a - (b - a)\nd = (a - b) - a\ne = a / (b * a)\nf = -(a + b) * 2\n"
    "g = a - -2\ninput p[2]\ninput q[2]\nh = -p @ -q\noutput c, d, e, f, g, h\n",
    "input X[2,3]\nparam W[3,4] ~ xavier\ny = (X @ W).T[1]\nz = transpose(X)[2, 1] + sum(y)\n"
    "q = broadcast(z, [2, 2]) + unindex(y[0], [2], 1)[1]\noutput q\n",
    "input x[4]\ny = softmax(x) + log_softmax(x) * logsumexp(x)\nz = relu(x) * step(x) - "
    "tanh(x) / exp(x)\nw = outer(y, z) @ [1, 2, 3, 4]\noutput w\n",
    "input x\nparam p = 1/3\nconst c = 1e-9\ny = x * p + c * 1/3\nu = x\nv = y\noutput u, v\n",
};

TEST(print_parse_roundtrip)
{
    for (size_t i = 0; i < sizeof roundtrip_models / sizeof *roundtrip_models; i++) {
        mlp_model *m = parse_ok(roundtrip_models[i]);
        CHECK_MSG(m, "model %zu does not parse", i);
        mlp_strbuf b = {0};
        mlp_print_model(mlp_model_graph(m), NULL, &b);
        mlp_model *m2 = parse_ok(mlp_sb_str(&b));
        CHECK_MSG(m2, "printed model %zu does not parse:\n%s", i, mlp_sb_str(&b));
        CHECK_MSG(same_graph(mlp_model_graph(m), mlp_model_graph(m2)),
                  "model %zu changed in print/parse:\n%s", i, mlp_sb_str(&b));
        /* Printing is a fixed point. */
        mlp_strbuf b2 = {0};
        mlp_print_model(mlp_model_graph(m2), NULL, &b2);
        CHECK_STR(mlp_sb_str(&b2), mlp_sb_str(&b));
        mlp_sb_free(&b);
        mlp_sb_free(&b2);
        mlp_model_free(m);
        mlp_model_free(m2);
    }
}

TEST(print_canonical_text)
{
    mlp_model *m = parse_ok("input   x[2]\nparam W[2,2]=[[1,0.10],[ 3,4 ]]\n"
                            "y=((W@x)+x)*2 # comment\noutput y\n");
    CHECK(m);
    mlp_strbuf b = {0};
    mlp_print_model(mlp_model_graph(m), NULL, &b);
    CHECK_STR(mlp_sb_str(&b), "input x[2]\nparam W[2,2] = [[1, 0.10], [3, 4]]\n"
                              "y = 2 * (W @ x + x)\noutput y\n");
    mlp_sb_free(&b);
    mlp_model_free(m);
}

TEST(parse_value_literals)
{
    double v[6];
    int dims[2] = {2, 3};
    mlp_error err = {0};
    CHECK(mlp_parse_value("[[1, 2, 3], [4, 5, 6]]", 2, dims, v, "--set W", &err) == MLP_OK);
    CHECK(v[0] == 1 && v[5] == 6);
    CHECK(mlp_parse_value("7", 2, dims, v, "--set W", &err) == MLP_OK);
    CHECK(v[0] == 7 && v[5] == 7);
    CHECK(mlp_parse_value("[1/2, -1/4, 0.125]", 1, dims + 1, v, "--set x", &err) == MLP_OK);
    CHECK(v[0] == 0.5 && v[1] == -0.25 && v[2] == 0.125);
    CHECK(mlp_parse_value("[1, 2]", 1, dims + 1, v, "--set x", &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "--set x has shape [3] but the literal has shape [2] (2 values)");
    mlp_error_clear(&err);
    CHECK(mlp_parse_value("[1, 2, 3] x", 1, dims + 1, v, "--set x", &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "expected end of value, got 'x'");
    CHECK(err.col == 11);
}

/* Shortest round-trip text, laid out like Python's repr: positional for exponents -4..15. */
TEST(format_double_is_shortest_and_readable)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {{100, "100"}, {120, "120"}, {0.1, "0.1"}, {0.0015, "0.0015"}, {1e-4, "0.0001"},
                 {1e-5, "1e-05"}, {1e15, "1000000000000000"}, {1e16, "1e+16"}, {-2.5, "-2.5"},
                 {0.19999999999999998, "0.19999999999999998"}, {5e-324, "5e-324"},
                 {1.7976931348623157e308, "1.7976931348623157e+308"}, {-0.0, "-0"}, {0, "0"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[32];
        CHECK_STR(mlp_format_double(cases[i].v, buf), cases[i].text);
        CHECK(strtod(buf, NULL) == cases[i].v);
    }
}
