/* test_hostile.c - hostile model text and values: each fix found by fuzzing (or by reading the
 * code with a fuzzer's eyes) with the exact error it now gives, or the invariant it now keeps. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "api/internal.h"
#include "base/strbuf.h"
#include "io/csv.h"
#include "lang/parser.h"

/* "input x\ny = " + prefix * n + "x" + suffix * n + "\noutput y\n", in a static buffer. */
static const char *nested(const char *prefix, const char *suffix, int n)
{
    static char buf[1 << 20];
    int len = snprintf(buf, sizeof buf, "input x\ny = ");
    for (int i = 0; i < n; i++)
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%s", prefix);
    len += snprintf(buf + len, sizeof buf - (size_t)len, "x");
    for (int i = 0; i < n; i++)
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%s", suffix);
    snprintf(buf + len, sizeof buf - (size_t)len, "\noutput y\n");
    return buf;
}

/* The canonical text of a model (caller frees). */
static char *printed(const mlp_model *m)
{
    mlp_strbuf b = {0};
    mlp_print_model(mlp_model_graph(m), NULL, &b);
    mlp_sb_putc(&b, 0);
    return mlp_sb_take(&b);
}

/* Recursive descent used to overflow the stack on 100000 '(' or signs. */
TEST(hostile_deep_nesting_is_an_error)
{
    CHECK_STR(parse_error(nested("(", ")", 100000)),
              "2:205: expression nested too deeply (more than 200 levels of parentheses, "
              "function calls and signs)");
    CHECK_STR(parse_error(nested("-", "", 1000000)),
              "2:204: expression nested too deeply (more than 200 levels of parentheses, "
              "function calls and signs)");
    CHECK_STR(parse_error(nested("sigmoid(", ")", 300)),
              "2:1605: expression nested too deeply (more than 200 levels of parentheses, "
              "function calls and signs)");
    mlp_model *m = parse_ok(nested("-(", ")", 99)); /* 198 levels: still fine */
    CHECK(m);
    mlp_model_free(m);
}

/* A left-associated chain is a tree as deep as it is long: the printer used to recurse on it
 * and overflow the stack. It now prints iteratively, and the text reparses to itself. */
TEST(hostile_long_chain_prints)
{
    enum { TERMS = 200000 };
    mlp_strbuf src = {0};
    mlp_sb_puts(&src, "input x\ny = x");
    for (int i = 1; i < TERMS; i++)
        mlp_sb_puts(&src, i % 2 ? " + x" : " * x");
    mlp_sb_puts(&src, "\noutput y\n");
    mlp_model *m = parse_ok(mlp_sb_str(&src));
    CHECK(m);
    char *t1 = printed(m);
    mlp_model *m2 = parse_ok(t1);
    CHECK(m2);
    char *t2 = printed(m2);
    CHECK(!strcmp(t1, t2));
    CHECK(!strncmp(t1, "input x\ny = x + x * x + x * x", 29));
    free(t1);
    free(t2);
    mlp_model_free(m2);
    mlp_model_free(m);
    mlp_sb_free(&src);
}

/* Names are found by hashing: 100000 declarations and 100000 outputs parse in linear time
 * (the lookups and the duplicate-output check were quadratic: minutes for this model). */
TEST(hostile_many_names)
{
    enum { N = 100000 };
    mlp_strbuf src = {0};
    for (int i = 0; i < N; i++)
        mlp_sb_printf(&src, "input a%d\n", i);
    mlp_sb_puts(&src, "output a0");
    for (int i = 1; i < N; i++)
        mlp_sb_printf(&src, ", a%d", i);
    mlp_sb_puts(&src, "\n");
    mlp_model *m = parse_ok(mlp_sb_str(&src));
    CHECK(m);
    CHECK(mlp_model_count(m, MLP_OUTPUT) == N);
    CHECK(mlp_model_kind(m, "a99999") == MLP_INPUT);
    CHECK(mlp_model_kind(m, "a100000") == -1);
    mlp_model_free(m);
    mlp_sb_puts(&src, "output a5, a77, a5\n");
    CHECK_STR(parse_error(mlp_sb_str(&src)), "100002:8: 'a5' is already an output");
    mlp_sb_free(&src);
}

/* "line:col: message" of text parsed with a value budget of `budget` ("" if it parses). */
static const char *budget_error(const char *text, int64_t budget)
{
    static char buf[700];
    mlp_error err = {0};
    mlp_graph *g = mlp_parse_model_budget(text, strlen(text), "test.mlp", budget, &err);
    snprintf(buf, sizeof buf, "%d:%d: %s", err.line, err.col, err.message);
    mlp_graph_free(g);
    return buf;
}

/* 100000 statements with distinct constants: hash-consing used to put constants 1, 2, 3, ...
 * in one probe sequence (their doubles differ only in high bits), so parsing took minutes. */
TEST(hostile_many_constants)
{
    enum { N = 100000 };
    mlp_strbuf src = {0};
    mlp_sb_puts(&src, "input x\n");
    for (int i = 1; i <= N; i++)
        mlp_sb_printf(&src, "a%d = sigmoid(x) * %d\n", i, i);
    const char *sets[] = {"x=0", NULL};
    double y;
    CHECK(eval_model(mlp_sb_str(&src), sets, "a100000", &y) == 0);
    CHECK(y == 50000);
    mlp_sb_free(&src);
}

/* The i-th name of a kind is found in constant time (the CLI loops over all inputs). */
TEST(hostile_many_inputs)
{
    enum { N = 100000 };
    mlp_strbuf src = {0};
    for (int i = 0; i < N; i++)
        mlp_sb_printf(&src, i % 2 ? "input a%d\n" : "param a%d = %d\n", i, i);
    mlp_model *m = parse_ok(mlp_sb_str(&src));
    CHECK(m);
    CHECK(mlp_model_count(m, MLP_INPUT) == N / 2 && mlp_model_count(m, MLP_PARAM) == N / 2);
    for (int i = 0; i < N / 2; i++) {
        char want[16];
        snprintf(want, sizeof want, "a%d", 2 * i + 1);
        CHECK_STR(mlp_model_name(m, MLP_INPUT, i), want);
    }
    CHECK(!mlp_model_name(m, MLP_INPUT, N / 2) && !mlp_model_name(m, MLP_INPUT, -1));
    CHECK(mlp_model_count(m, MLP_CONST) == 0 && !mlp_model_name(m, MLP_CONST, 0));
    mlp_model_free(m);
    mlp_sb_free(&src);
}

/* Declared shapes and folded constants are checked against the per-value limit and the model's
 * value budget before anything is allocated: these used to allocate gigabytes (or die trying).
 * The budget's logic is tested with a small budget, so the test allocates little. */
TEST(hostile_huge_shapes_are_refused_before_allocating)
{
    CHECK_STR(parse_error("const c[8192,8193] = 0\n"),
              "1:14: shape too large: more than 67108864 elements");
    CHECK_STR(parse_error("input x[65536,65536]\n"),
              "1:15: shape too large: more than 67108864 elements");
    CHECK_STR(parse_error("input x[4096]\ny = broadcast(1, [8192, 8192, 2])\n"),
              "2:31: shape too large: more than 67108864 elements");
    CHECK_STR(budget_error("param a[30,20] ~ zeros\nparam b[20,21] ~ zeros\n", 1000),
              "2:8: 'b' needs 420 values, but the parameters and constants of a model may hold "
              "at most 1000 in all");
    CHECK_STR(budget_error("input x[40,40]\ny = 0 * x\n", 1000),
              "2:7: model too large: its parameters and constants would hold 1601 values, more "
              "than the 1000 allowed");
    CHECK_STR(budget_error("y = broadcast(1, [40,40])\n", 1000),
              "1:5: model too large: its parameters and constants would hold 1601 values, more "
              "than the 1000 allowed");
    CHECK_STR(budget_error("const c[10,10] = 1\nd = c * [[1,2],[3,4]]\n", 103),
              "2:9: model too large: its parameters and constants would hold 104 values, more "
              "than the 103 allowed");
}

/* A literal filling a large shape stores its text once, not once per value. */
TEST(hostile_fill_text_is_stored_once)
{
    mlp_model *m = parse_ok("const c[1000,1000] = 0.1\nparam p[500,2] = 1/3\n");
    CHECK(m);
    const mlp_graph *g = mlp_model_graph(m);
    CHECK(g->ntexts == 2);
    CHECK(g->npool == 1001000);
    CHECK_STR(g->pool_text[999999], "0.1");
    CHECK_STR(g->pool_text[1000999], "1/3");
    mlp_model_free(m);
}

/* Folding never makes a constant the language cannot write: 1e308 * 10 stays an operation. */
TEST(hostile_overflow_is_not_folded)
{
    mlp_model *m = parse_ok("input x\ny = 1e308 * 10 + x\nz = log(-1) + 0 * x\noutput y, z\n");
    CHECK(m);
    char *t = printed(m);
    CHECK_STR(t, "input x\ny = 1e308 * 10 + x\nz = log(-1)\noutput y, z\n");
    free(t);
    const char *sets[] = {"x=1", NULL};
    double y, z;
    CHECK(eval_model("input x\ny = 1e308 * 10 + x\noutput y\n", sets, "y", &y) == 0);
    CHECK(isinf(y) && y > 0);
    CHECK(eval_model("input x\nz = log(-1) + 0 * x\noutput z\n", sets, "z", &z) == 0);
    CHECK(isnan(z));
    mlp_model_free(m);
}

/* Values are finite: fractions that overflow and initialisers that could draw inf are errors. */
TEST(hostile_nonfinite_literals)
{
    CHECK_STR(parse_error("const c = 1e300/1e-300\n"), "1:11: number out of range: 1e300/1e-300");
    CHECK_STR(parse_error("const c = 1e999\n"), "1:11: number out of range: 1e999");
    CHECK_STR(parse_error("param p[3] ~ uniform(-1e308, 1e308)\n"),
              "1:14: uniform arguments must lie within -1e300 to 1e300");
    CHECK_STR(parse_error("param p ~ normal(0, 1e301)\n"),
              "1:11: normal arguments must lie within -1e300 to 1e300");
    mlp_model *m = parse_ok("param p[1000] ~ uniform(-1e300, 1e300)\nparam q[1000] ~ normal(1e300, "
                            "1e300)\n");
    CHECK(m);
    double v[1000];
    for (int k = 0; k < 2; k++) {
        CHECK(mlp_model_get_values(m, k ? "q" : "p", v, NULL) == MLP_OK);
        for (int i = 0; i < 1000; i++)
            CHECK(isfinite(v[i]));
    }
    mlp_model_free(m);
    double x;
    mlp_error err = {0};
    CHECK(mlp_parse_value("1e300/1e-10", 0, NULL, &x, "--set x", &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "number out of range: 1e300/1e-10");
}

/* An expression's text in a message is one line, even when it spans a continuation. */
TEST(hostile_context_is_one_line)
{
    CHECK_STR(parse_error("input x[3]\nparam W[2,2] = 0\ny = W @ \\\n  x  # the input\n"),
              "3:7: shape mismatch in 'W @ x': [2,2] @ [3] (inner dimensions differ)");
    CHECK_STR(parse_error("input x[3]\ny = dot(x, # first\n  [1, 2])\n"),
              "2:5: shape mismatch in 'dot(x, [1, 2])': dot of [3] and [2] (dot needs equal "
              "shapes)");
}

/* One value written two ways meets in one hash-consed constant; printing picks the same
 * spelling whatever the order, so print(parse(print(m))) == print(m). */
TEST(hostile_print_is_a_fixed_point)
{
    static const char *const models[] = {
        "input x\ny = x - ---4440956294444444444444444444 - 4440956294444444444444444444\n"
        "output y\n",
        "input x\ny = x - 4440956294444444444444444444 - ---4440956294444444444444444444\n"
        "output y\n",
        "input x\ny = x * 0.10 + x * 0.1 - -0.1\noutput y\n",
    };
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        mlp_model *m = parse_ok(models[i]);
        CHECK(m);
        char *t1 = printed(m);
        mlp_model *m2 = parse_ok(t1);
        CHECK(m2);
        char *t2 = printed(m2);
        CHECK_MSG(!strcmp(t1, t2), "model %zu:\n%s\nreprinted:\n%s", i, t1, t2);
        free(t1);
        free(t2);
        mlp_model_free(m2);
        mlp_model_free(m);
    }
}

/* The empty model is a model; a session over it has nothing to compute (it used to report
 * "out of memory: the plan needs 0 bytes"). */
TEST(hostile_empty_model)
{
    mlp_model *m = parse_ok("");
    CHECK(m);
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 3, &err);
    CHECK_MSG(s, "%s", err.message);
    CHECK(mlp_session_run(s, &err) == MLP_OK);
    mlp_session_free(s);
    mlp_model_free(m);
}

/* A value read from a file may end with line breaks, but nothing may follow them. */
TEST(hostile_value_ends_at_end)
{
    double x;
    mlp_error err = {0};
    CHECK(mlp_parse_value("0.5\n\n", 0, NULL, &x, "--set x", &err) == MLP_OK && x == 0.5);
    CHECK(mlp_parse_value("0.5\n7", 0, NULL, &x, "--set x", &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "expected end of value, got '7'");
    CHECK(err.line == 2 && err.col == 1);
}

/* Control bytes and invalid UTF-8 from a file are escaped when an error quotes them; the
 * caret still lines up under the column (counted in characters). */
TEST(hostile_error_display_is_escaped)
{
    mlp_error err = {0};
    CHECK(!mlp_model_parse("input x # caf\xc3\xa9\ny = \xc3\xa9 + \x1b[2J x\n", "m.mlp", &err));
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    mlp_error_print(&err, f);
    fclose(f);
    CHECK_STR(buf, "m.mlp:2:5: error: unexpected character byte 0xc3\n"
                   "  y = \xc3\xa9 + ?[2J x\n"
                   "      ^\n");
    mlp_error_clear(&err);
    f = fmemopen(buf, sizeof buf, "w");
    mlp_fail(&err, MLP_ERR_INPUT, "d\x1b.csv", (mlp_srcloc){1, 3}, "'%s' is not a number",
             "\xff\x07");
    mlp_error_print(&err, f);
    fclose(f);
    CHECK_STR(buf, "d\\x1b.csv:1:3: error: '\\xff\\x07' is not a number\n");
}

/* CSV numbers are decimal and finite; the errors say which. */
TEST(hostile_csv_numbers)
{
    static const struct {
        const char *text;
        size_t len; /* 0: up to the NUL */
        const char *error;
    } cases[] = {
        {"x,y\n1,nan\n", 0, "2:3: 'nan' is not a finite number"},
        {"x,y\n-Infinity,1\n", 0, "2:1: '-Infinity' is not a finite number"},
        {"1,1e999\n", 0, "1:3: '1e999' is not a finite number"},
        {"x\n0x10\n", 0, "2:1: '0x10' is not a number"},
        {"x\n1e\n", 0, "2:1: '1e' is not a number"},
        {"x,y\n1, 2 3\n", 0, "2:4: '2 3' is not a number"},
        {"1,nan\n2,3\n", 0, "1:3: 'nan' is not a finite number"}, /* data, not a header */
        {"x\n1\0002\n", 6, "2:2: NUL byte in a CSV file (not a text file?)"},
        {"x,y\n", 0, "no data rows"},
        {"", 0, "no data rows"},
        {"\"x[0,1],y\n1,2\n", 0, "1:1: a quoted field has no closing quote"},
        {"\"x\" z,y\n1,2\n", 0, "1:1: text after the closing quote of a field"},
        {"\"a\nb\",y\n1,2\n3,z\n", 0, "4:3: 'z' is not a number"}, /* lines, not records */
        /* after a field with line breaks, in the same record: its line and column */
        {"\"a\nbc\", \"z\" w,y\n", 0, "2:6: text after the closing quote of a field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mlp_error err = {0};
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        mlp_table *t = mlp_csv_parse(cases[i].text, len, "d.csv", &err);
        CHECK_MSG(!t, "case %zu parsed", i);
        char got[600];
        if (err.line)
            snprintf(got, sizeof got, "%d:%d: %s", err.line, err.col, err.message);
        else
            snprintf(got, sizeof got, "%s", err.message);
        CHECK_MSG(!strcmp(got, cases[i].error), "case %zu: %s", i, got);
    }
    mlp_error err = {0};
    mlp_table *t = mlp_csv_parse("a\n.5\n-1.\n+2e-400\n1e308\n", 22, "d.csv", &err);
    CHECK_MSG(t, "%s", err.message);
    CHECK(t->rows == 4 && t->values[0] == 0.5 && t->values[1] == -1 && t->values[2] == 0 &&
          t->values[3] == 1e308);
    mlp_table_free(t);
}

/* RFC 4180 quoting: a quoted field keeps its commas and line breaks, "" is one quote; a quote
 * inside an unquoted field is text; a comment line's quotes open nothing. */
TEST(csv_quoted_fields)
{
    const char *text = "# a \"comment\n\"x[0,1]\", \"say \"\"hi\"\"\" ,\"two\nlines\",c\n"
                       "\"1.5\",2,3,4\n5,6,7,8\n";
    mlp_error err = {0};
    mlp_table *t = mlp_csv_parse(text, strlen(text), "d.csv", &err);
    CHECK_MSG(t, "%s", err.message);
    if (!t)
        return;
    CHECK(t->cols == 4 && t->rows == 2);
    CHECK_STR(t->names[0], "x[0,1]");
    CHECK_STR(t->names[1], "say \"hi\"");
    CHECK_STR(t->names[2], "two\nlines");
    CHECK_STR(t->names[3], "c");
    CHECK(t->values[0] == 1.5 && t->values[3] == 4 && t->values[7] == 8);
    mlp_table_free(t);
    t = mlp_csv_parse("a\"b,c\n1,2\n", 10, "d.csv", &err);
    CHECK_MSG(t, "%s", err.message);
    if (t)
        CHECK_STR(t->names[0], "a\"b");
    mlp_table_free(t);
}
