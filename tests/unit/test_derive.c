/* test_derive.c - backpropagation equations: the seed's problem 4 as the seed writes it, the
 * term-ordering rule, named temporaries, LaTeX, and the model-file form evaluated against the
 * gradients the library computes. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "base/mem.h"

/* Expected texts are typed with precomposed letters where Unicode has them (ȳ, ā, ū); mlp
 * writes every bar as a combining macron after the letter. Decompose so the two compare. */
static const char *bars(const char *s)
{
    static char buf[4096];
    static const struct {
        const char *pre;
        char letter;
    } pre[] = {{"Ā", 'A'}, {"ā", 'a'}, {"Ē", 'E'}, {"ē", 'e'}, {"Ī", 'I'}, {"ī", 'i'},
               {"Ō", 'O'}, {"ō", 'o'}, {"Ū", 'U'}, {"ū", 'u'}, {"Ȳ", 'Y'}, {"ȳ", 'y'}};
    size_t n = 0;
    while (*s && n + 4 < sizeof buf) {
        size_t k = 0;
        while (k < sizeof pre / sizeof *pre && strncmp(s, pre[k].pre, strlen(pre[k].pre)))
            k++;
        if (k == sizeof pre / sizeof *pre) {
            buf[n++] = *s++;
            continue;
        }
        buf[n++] = pre[k].letter;
        buf[n++] = '\xcc';
        buf[n++] = '\x84';
        s += strlen(pre[k].pre);
    }
    buf[n] = 0;
    return buf;
}

#define CHECK_TEXT(t, expected) CHECK_STR(t, bars(expected))
#define HAS(t, s) strstr(t, bars(s))

static char *derive_file(const char *path, const char *wrt, mlp_derive_format f)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_load(path, &err);
    if (!m) {
        mlp_error_print(&err, stderr);
        return NULL;
    }
    const char *names[16];
    char buf[256];
    snprintf(buf, sizeof buf, "%s", wrt);
    int n = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t && n < 16; t = strtok_r(NULL, ",", &save))
        names[n++] = t;
    char *text = mlp_derive(m, names, n, f, &err);
    if (!text)
        mlp_error_print(&err, stderr);
    mlp_model_free(m);
    return text;
}

static char *derive_text(const char *model, const char *const *wrt, int nwrt)
{
    mlp_model *m = parse_ok(model);
    if (!m)
        return NULL;
    mlp_error err = {0};
    char *text = mlp_derive(m, wrt, nwrt, MLP_DERIVE_TEXT, &err);
    if (!text)
        mlp_error_print(&err, stderr);
    mlp_model_free(m);
    return text;
}

/* Seed problem 4, part 2: the equations as the seed's solution writes them (its h̄ line has a
 * typo, x̄ R̄ for r R̄; this is the right one), with L̄ = S̄ = R̄ = 1 folded. */
TEST(derive_seed4_reads_as_the_seed)
{
    char *t = derive_file("examples/seed/residual.mlp", "x", MLP_DERIVE_TEXT);
    CHECK_TEXT(t, "L̄ = R̄ = S̄ = 1\n"
                 "ȳ = y − s\n"
                 "h̄ = r + W2ᵀ ȳ\n"
                 "z̄ = h̄ ∘ σ'(z)\n"
                 "x̄ = W1ᵀ z̄ + ȳ\n");
    free(t);
}

TEST(derive_seed4_latex)
{
    char *t = derive_file("examples/seed/residual.mlp", "x,W1", MLP_DERIVE_LATEX);
    CHECK_TEXT(t, "\\begin{aligned}\n"
                 "\\bar{L} = \\bar{R} = \\bar{S} &= 1 \\\\\n"
                 "\\bar{y} &= y - s \\\\\n"
                 "\\bar{h} &= r + W_{2}^\\top \\bar{y} \\\\\n"
                 "\\bar{z} &= \\bar{h} \\circ \\sigma'(z) \\\\\n"
                 "\\bar{W}_{1} &= \\bar{z} x^\\top \\\\\n"
                 "\\bar{x} &= W_{1}^\\top \\bar{z} + \\bar{y}\n"
                 "\\end{aligned}\n"
                 "% Over a batch, the adjoint of a value that does not vary per sample is the sum "
                 "of these per-sample expressions.\n");
    free(t);
}

/* Seed problem 3's network: scalar weights, the two paths from h1 summed in program order. */
TEST(derive_seed3_scalar_network)
{
    char *t = derive_file("examples/seed/relu-net.mlp", "w1", MLP_DERIVE_TEXT);
    CHECK(t);
    CHECK_MSG(HAS(t, "z̄ = ȳ · relu'(z)\n") && HAS(t, "h̄1 = z̄3 · w2 + z̄4 · w4\n") &&
                  HAS(t, "z̄1 = h̄1 · relu'(z1)\n") && HAS(t, "w̄1 = z̄1 · x1\n"),
              "got:\n%s", t);
    free(t);
}

/* The ordering rule on its own: a term that mentions no adjoint goes first even when its use
 * comes later in the program; terms that do mention adjoints keep the program order. */
TEST(derive_orders_terms)
{
    const char *wrt[] = {"x"};
    char *t = derive_text("input x[2]\nparam W[2,2] = [[1, 2], [3, 4]]\nh = tanh(W @ x)\n"
                          "L = sumsq(h) + dot(x, [1, 2])\nloss L\n", wrt, 1);
    CHECK(t);
    CHECK_MSG(HAS(t, "\nx̄ = [1, 2] + Wᵀ (h̄ ∘ tanh'(W x))\n"), "got:\n%s", t);
    free(t);
    /* Two uses that both mention adjoints: program order (a's use of x first). */
    t = derive_text("input x\na = 3 * x\nb = x * x\nL = a * b\nloss L\n", wrt, 1);
    CHECK(t);
    CHECK_MSG(HAS(t, "\nx̄ = 3 ā + b̄ · x + b̄ · x\n"), "got:\n%s", t);
    free(t);
}

/* The adjoint of an unnamed value used by several equations gets a name of its own. */
TEST(derive_names_shared_adjoints)
{
    char *t = derive_file("examples/explain/relu-layer.mlp", "W,b,x", MLP_DERIVE_TEXT);
    CHECK_TEXT(t, "L̄ = 1\n"
                 "ȳ = y − t\n"
                 "ū1 = ȳ ∘ relu'(u1)    where u1 = W x + b\n"
                 "b̄ = ū1\n"
                 "W̄ = ū1 xᵀ\n"
                 "x̄ = Wᵀ ū1\n"
                 "(Over a batch, the adjoint of a value that does not vary per sample is the sum "
                 "of these per-sample expressions.)\n");
    free(t);
}

TEST(derive_unreached_value_is_zero)
{
    const char *wrt[] = {"w", "v"};
    char *t = derive_text("input x\nparam w = 2\nparam v = 1\ny = v * 3\nL = w * x\nloss L\n"
                          "output y\n", wrt, 2);
    CHECK_TEXT(t, "L̄ = 1\nw̄ = x\nv̄ = 0\n(Over a batch, the adjoint of a value that does not "
                 "vary per sample is the sum of these per-sample expressions.)\n");
    free(t);
}

TEST(derive_errors)
{
    mlp_model *m = parse_ok("input x\ny = 2 * x\noutput y\n");
    CHECK(m);
    const char *wrt[] = {"x", "q"};
    mlp_error err = {0};
    CHECK(!mlp_derive(m, wrt, 1, MLP_DERIVE_TEXT, &err));
    CHECK_STR(err.message, "the model has no loss statement, so there is nothing to differentiate");
    mlp_model_free(m);
    m = parse_ok("input x\nL = 2 * x\nloss L\n");
    mlp_error_clear(&err);
    CHECK(!mlp_derive(m, wrt, 2, MLP_DERIVE_TEXT, &err));
    CHECK_STR(err.message, "no value named 'q' in the model");
    const char *twice[] = {"x", "x"};
    mlp_error_clear(&err);
    CHECK(!mlp_derive(m, twice, 2, MLP_DERIVE_TEXT, &err));
    CHECK(strstr(err.message, "'x' is listed twice"));
    mlp_model_free(m);
}

/* Constants stay numbers even when an adjoint equals them (L̄ = 1 and the 1 of b ∘ b + 1), and
 * a broadcast scalar scales with ·. */
TEST(derive_writes_constants_as_numbers)
{
    const char *wrt[] = {"a"};
    char *t = derive_text("input a[3]\ninput b[3]\nL = sum(a / (b * b + 1))\nloss L\n", wrt, 1);
    CHECK_TEXT(t, "L̄ = 1\nā = 1 / (b ∘ b + 1)\n");
    free(t);
    t = derive_text("input a\nL = sumsq(broadcast(a, [3]) * [1, 2, 3])\nloss L\n", wrt, 1);
    CHECK_TEXT(t, "L̄ = 1\nā = Σ(2 (a · [1, 2, 3]) ∘ [1, 2, 3])\n");
    free(t);
}

/* The model-file form computes exactly what mlp_session_grad computes (every op is checked
 * the same way in test_ops.c). */
TEST(derive_model_file_matches_grad)
{
    const char *models[] = {"examples/seed/residual.mlp", "examples/seed/relu-net.mlp",
                            "examples/explain/heads.mlp", "examples/explain/deep.mlp",
                            "examples/explain/relu-layer.mlp"};
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        size_t len;
        char *text = mlp_read_file(models[i], &len);
        CHECK(text);
        for (unsigned seed = 1; seed <= 3; seed++) {
            double e = derived_gradient_error(text, seed);
            CHECK_MSG(e < 1e-12, "%s (seed %u): derived model differs by %g", models[i], seed, e);
        }
        free(text);
    }
}
