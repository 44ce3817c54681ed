/* test_verify_parts.c - the pieces of `mlp verify`: exact literals, the spec language, and the
 * exact evaluator against the float64 executor. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "analysis/verify/net.h"
#include "analysis/verify/search.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/spec.h"
#include "api/internal.h"
#include "base/rng.h"

/* vq_parse(text) == num/den exactly. */
static bool parses_to(const char *text, const char *expected)
{
    mpq_t q, e;
    mpq_inits(q, e, NULL);
    mpq_set_str(e, expected, 10);
    mpq_canonicalize(e);
    bool ok = vq_parse(q, text) && mpq_equal(q, e);
    mpq_clears(q, e, NULL);
    return ok;
}

TEST(verify_literals_are_exact)
{
    CHECK(parses_to("0.1", "1/10")); /* not the double 0.1000000000000000055... */
    CHECK(parses_to("1e-9", "1/1000000000"));
    CHECK(parses_to("-1/4", "-1/4"));
    CHECK(parses_to("2.5e+3", "2500"));
    CHECK(parses_to(".5", "1/2"));
    CHECK(parses_to("1.5/0.3", "5"));
    CHECK(parses_to("+3", "3"));
    CHECK(parses_to("1e-400", one_over_10_to(400)));
    mpq_t q;
    mpq_init(q);
    CHECK(!vq_parse(q, "1/0"));
    CHECK(!vq_parse(q, "abc"));
    CHECK(!vq_parse(q, "1e99999"));
    CHECK(!vq_parse(q, "1.2.3"));
    CHECK(!vq_parse(q, "1e"));
    CHECK(vq_set_double(q, 0.1) && mpq_get_d(q) == 0.1 && mpz_cmp_ui(mpq_denref(q), 10) != 0);
    CHECK(!vq_set_double(q, INFINITY));
    char *s = vq_str(q);
    CHECK_STR(s, "3602879701896397/36028797018963968");
    free(s);
    mpq_clear(q);
}

TEST(verify_pool_values_follow_the_source_text)
{
    mlp_model *m = parse_ok("param w[3] = [0.1, -1/3, 1e-400]\ninput x\ny = 0.2 * x\noutput y\n");
    CHECK(m);
    mlp_graph *g = mlp_model_graph(m);
    mlp_id w = g->names[mlp_graph_find(g, "w", 1)].node;
    mpq_t q;
    mpq_init(q);
    const char *want[] = {"1/10", "-1/3", NULL};
    for (int i = 0; i < 2; i++) {
        CHECK(vq_pool_value(q, g, mlp_node(g, w)->data + i));
        char *s = vq_str(q);
        CHECK_STR(s, want[i]);
        free(s);
    }
    CHECK(vq_pool_value(q, g, mlp_node(g, w)->data + 2) && mpq_sgn(q) > 0); /* the double is 0 */
    /* A replaced value has no text any more: its double is taken exactly. */
    double v[3] = {0.5, 0.25, 0.1};
    CHECK(mlp_model_set_values(m, "w", v, NULL) == MLP_OK);
    CHECK(vq_pool_value(q, g, mlp_node(g, w)->data + 2));
    CHECK(mpq_get_d(q) == 0.1 && mpz_cmp_ui(mpq_denref(q), 10) != 0);
    mpq_clear(q);
    mlp_model_free(m);
}

static const char *const NET =
    "input x[3]\ninput t\nparam W[2,3] = [[1, -2, 1/2], [0, 1, -1]]\nparam b[2] = [0.1, 0]\n"
    "h = relu(W @ x + b)\ns = step(x[0] - x[1])\ny = dot([1, -1], h) + 2 * s - t / 4\n"
    "z = sigmoid(y)\noutput y, z\n";

/* Parse `spec` against NET: "" on success, else "col: message". */
static const char *spec_error(const char *spec)
{
    static char buf[1024];
    mlp_model *m = parse_ok(NET);
    struct vspec s;
    mlp_error err = {0};
    buf[0] = 0;
    if (vspec_parse(&s, mlp_model_graph(m), spec, &err) == MLP_OK)
        vspec_free(&s);
    else
        snprintf(buf, sizeof buf, "%s:%d: %s", err.file, err.col, err.message);
    mlp_model_free(m);
    return buf;
}

TEST(verify_spec_errors_point_at_the_column)
{
    CHECK_STR(spec_error("y > 0 and x[0] <= t"), "");
    CHECK_STR(spec_error("y == 1 <=> q > 0"), "spec:12: unknown name 'q' (inputs: x, t; outputs: y, z)");
    CHECK_STR(spec_error("x[0]*x[1] > 0"),
              "spec:5: nonlinear term 'x[0]*x[1]': both factors depend on the model's values (a "
              "spec is linear: multiply by numbers only)");
    CHECK_STR(spec_error("y / t > 0"), "spec:3: nonlinear term 'y / t': the divisor depends on the model's values");
    CHECK_STR(spec_error("y > 0 and"), "spec:10: expected a value, got end of input");
    CHECK_STR(spec_error("y"), "spec:1: 'y' is a value, not a property: compare it (for example 'y == 1')");
    CHECK_STR(spec_error("y = 1"), "spec:3: '=' is not a comparison: write '==' to compare");
    CHECK_STR(spec_error("x[3] > 0"), "spec:3: index 3 out of range for axis 0 of size 3");
    CHECK_STR(spec_error("(y > 0"), "spec:1: '(' is never closed");
    CHECK_STR(spec_error("y > (t < 1)"), "spec:5: '(t < 1)' is a property (true or false), not a number");
    CHECK_STR(spec_error("x > [1, 2]"), "spec:3: shape mismatch in 'x > [1, 2]': [3] > [2]");
    CHECK_STR(spec_error("y > 0 y"), "spec:7: expected 'and', 'or', '=>', '<=>' or the end of the spec, got 'y'");
    CHECK_STR(spec_error("relu(y) > 0"), "spec:1: 'relu(...)': a spec has no function calls, only linear arithmetic");
    CHECK_STR(spec_error("y > 1/0"), "spec:6: division by zero in '1/0'");
    CHECK_STR(spec_error(""), "spec:1: the spec is empty");
    CHECK_STR(spec_error("y > 0  # comments end a spec, as they end a model's line"), "");
}

TEST(verify_spec_compiles_to_linear_comparisons)
{
    mlp_model *m = parse_ok(NET);
    mlp_graph *g = mlp_model_graph(m);
    struct vspec s;
    /* A chain of three makes two comparisons; W is a parameter, so W[0, 2] is the number 1/2. */
    CHECK(vspec_parse(&s, g, "x[0] > x[1] >= 2*x[2] - W[0, 2]", NULL) == MLP_OK);
    CHECK(s.ncmps == 2 && s.natoms == 3 && s.f[s.root].op == VF_AND);
    CHECK(s.cmps[1].rel == VREL_GE);
    char *c0 = vq_str(s.cmps[1].t.c0);
    CHECK_STR(c0, "1/2"); /* x[1] - 2 x[2] + 1/2 >= 0 */
    free(c0);
    vspec_free(&s);
    /* Vectors compare elementwise; constant comparisons fold away; x - x cancels. */
    CHECK(vspec_parse(&s, g, "x >= 0 and 1 < 2 and x[0] - x[0] == 0", NULL) == MLP_OK);
    CHECK(s.ncmps == 3 && s.natoms == 3);
    vspec_free(&s);
    CHECK(vspec_parse(&s, g, "x != [1, 2, 3]", NULL) == MLP_OK);
    CHECK(s.f[s.root].op == VF_OR);
    vspec_free(&s);
    /* Three-valued truth: unknown parts stay unknown unless the rest decides. */
    CHECK(vspec_parse(&s, g, "y > 0 => t == 1", NULL) == MLP_OK);
    signed char truth[2] = {0, -1};
    CHECK(vspec_eval3(&s, s.root, truth) == 1);
    truth[0] = 1;
    CHECK(vspec_eval3(&s, s.root, truth) == -1);
    vspec_free(&s);
    mlp_model_free(m);
}

TEST(verify_bounds_parse_and_errors)
{
    mlp_model *m = parse_ok(NET);
    mlp_graph *g = mlp_model_graph(m);
    struct vbound *b = NULL;
    int n = 0;
    mlp_error err = {0};
    CHECK(vbounds_parse(g, "x in [-1, 1/2] and t in [0, 0], x[1] in [0, 3]", &b, &n, &err) == MLP_OK);
    CHECK(n == 5 && b[4].elem == 1 && mpq_sgn(b[4].lo) == 0 && mpq_cmp_ui(b[4].hi, 3, 1) == 0);
    vbounds_free(b, n);
    const char *bad[][2] = {{"y in [0, 1]", "bounds:1: 'y' is not an input: bounds restrict inputs"},
                            {"x in [1, 0]", "bounds:7: empty interval: 1 > 0"},
                            {"x in [0, t]", "bounds:10: an interval's ends must be numbers"},
                            {"x = [0, 1]", "bounds:3: expected 'in', got '='"},
                            {"x in [0, 1] or t in [0, 1]", "bounds:13: expected ',', 'and' or the end of the bounds, got 'or'"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = NULL, n = 0;
        mlp_error_clear(&err);
        CHECK(vbounds_parse(g, bad[i][0], &b, &n, &err) == MLP_ERR_INPUT);
        char got[1024];
        snprintf(got, sizeof got, "%s:%d: %s", err.file, err.col, err.message);
        CHECK_STR(got, bad[i][1]);
        vbounds_free(b, n);
    }
    mlp_model_free(m);
}

/* The exact evaluator (n = 0 forms) agrees with the float64 executor on random inputs, for
 * every op verify accepts: it is the semantics the search decides regions with. */
TEST(verify_exact_evaluator_matches_executor)
{
    static const char *const text =
        "input x[3]\ninput X[2,3]\ninput s\n"
        "param W[4,3] = [[1, -2, 0.5], [0.25, 1, -1], [-1, 0, 2], [3, 1, 1]]\n"
        "param b[4] = [0.1, -0.2, 0.3, 0]\nconst v[2] = [1.5, -2]\n"
        "h = relu(W @ x + b)\ng = step(h - 0.5) * h\nk = drelu(x) + identity(x)\n"
        "M = X @ W.T\nm = v @ X + outer(v, x)[1]\n"
        "r = sum(M) + mean(m) - dot(v, v) * X[0, 1] + X[1, 2] / 4 + X.T @ v @ [1, 1, 1]\n"
        "q = broadcast(s, [3]) + unindex(s, [3], 1) - k\n"
        "out = dot([1, 2, 3, 4], g) + r + sum(q) + sum(M.T[2]) + -x[2]\n"
        "output out, h, M, m, q\n";
    mlp_model *mo = parse_ok(text);
    CHECK(mo);
    mlp_graph *g = mlp_model_graph(mo);
    const char *names[] = {"out", "h", "M", "m", "q"};
    mlp_id roots[5];
    for (int i = 0; i < 5; i++)
        roots[i] = g->names[mlp_graph_find(g, names[i], (int)strlen(names[i]))].node;
    struct vnet net;
    CHECK(vnet_init(&net, g, roots, 5, NULL) == MLP_OK);
    CHECK(net.nvars == 10);
    mlp_session *s = mlp_session_new(mo, NULL, 0, MLP_F64, 1, NULL);
    mlp_rng rng;
    mlp_rng_seed(&rng, 11, 0);
    mpq_t *point = vq_array_new(net.nvars);
    double worst = 0;
    for (int trial = 0; trial < 50; trial++) {
        double x[3], X[6], sv;
        for (int i = 0; i < 3; i++)
            x[i] = mlp_rng_normal(&rng);
        for (int i = 0; i < 6; i++)
            X[i] = mlp_rng_normal(&rng);
        sv = mlp_rng_normal(&rng);
        mlp_session_set(s, "x", x, 1, NULL);
        mlp_session_set(s, "X", X, 1, NULL);
        mlp_session_set(s, "s", &sv, 1, NULL);
        CHECK(mlp_session_run(s, NULL) == MLP_OK);
        /* the inputs' variables are laid out in declaration order: x, X, s */
        for (int i = 0; i < 3; i++)
            mpq_set_d(point[i], x[i]);
        for (int i = 0; i < 6; i++)
            mpq_set_d(point[3 + i], X[i]);
        mpq_set_d(point[9], sv);
        struct veval ev;
        veval_init(&ev, &net, point);
        CHECK(veval_concrete(&ev, NULL) == MLP_OK);
        for (int i = 0; i < 5; i++) {
            double got[16];
            mlp_session_get(s, names[i], got, NULL);
            int k = net.slot[roots[i]];
            for (int64_t e = 0; e < net.size[k]; e++) {
                double exact = mpq_get_d(veval_form(&ev, k, e)[0]);
                double d = fabs(exact - got[e]) / fmax(1, fabs(exact));
                worst = d > worst ? d : worst;
            }
        }
        veval_free(&ev);
    }
    CHECK_MSG(worst < 1e-12, "exact and float64 evaluations differ by %g", worst);
    vq_array_free(point, net.nvars);
    vnet_free(&net);
    mlp_session_free(s);
    mlp_model_free(mo);
}

/* A random network of relu and step units with weights in eighths, as model text. */
static void random_net(mlp_rng *rng, char *buf, size_t size)
{
    int n = snprintf(buf, size, "input x[2]\n");
    const char *prev = "x";
    int width = 2;
    for (int layer = 0; layer < 2; layer++) {
        n += snprintf(buf + n, size - (size_t)n, "param W%d[4,%d] = [", layer, width);
        for (int i = 0; i < 4 * width; i++)
            n += snprintf(buf + n, size - (size_t)n, "%s%d/8%s", i % width ? ", " : i ? ", [" : "[",
                          (int)mlp_rng_below(rng, 17) - 8, i % width == width - 1 ? "]" : "");
        n += snprintf(buf + n, size - (size_t)n, "]\nparam b%d[4] = [%d/4, %d/4, %d/4, %d/4]\n",
                      layer, (int)mlp_rng_below(rng, 9) - 4, (int)mlp_rng_below(rng, 9) - 4,
                      (int)mlp_rng_below(rng, 9) - 4, (int)mlp_rng_below(rng, 9) - 4);
        n += snprintf(buf + n, size - (size_t)n, "h%d = %s(W%d @ %s + b%d)\n", layer,
                      mlp_rng_below(rng, 3) ? "relu" : "step", layer, prev, layer);
        prev = layer ? "h1" : "h0";
        width = 4;
    }
    snprintf(buf + n, size - (size_t)n, "y = [[1, -1, 0.5, 0], [0, 1, -1, 1]] @ h1\noutput y\n");
}

/* Settling subtrees by bounds is an optimisation: it never changes a verdict. */
TEST(verify_settling_by_bounds_changes_no_verdict)
{
    static const char *const specs[] = {"y[0] <= 1", "y[0] >= y[1] - 1/2",
                                        "y[1] > 0 => y[0] <= 3/4", "y[0] != 1/2 or x[0] > 0",
                                        "y[0] + y[1] < 2"};
    mlp_rng rng;
    mlp_rng_seed(&rng, 5, 0);
    int verdicts[2] = {0, 0};
    for (int trial = 0; trial < 40; trial++) {
        char text[4096];
        random_net(&rng, text, sizeof text);
        mlp_model *m = parse_ok(text);
        CHECK(m);
        mlp_graph *g = mlp_model_graph(m);
        struct vspec s;
        CHECK(vspec_parse(&s, g, specs[trial % 5], NULL) == MLP_OK);
        mlp_id roots[64];
        for (int j = 0; j < s.natoms; j++)
            roots[j] = s.atoms[j].node;
        struct vnet net;
        CHECK(vnet_init(&net, g, roots, s.natoms, NULL) == MLP_OK);
        struct vbox box;
        vbox_init(&box, net.nvars);
        mpq_t lo, hi;
        mpq_inits(lo, hi, NULL);
        mpq_set_si(lo, -1, 1);
        mpq_set_si(hi, 1, 1);
        for (int i = 0; i < net.nvars; i++)
            vbox_restrict(&box, i, lo, hi);
        mpq_t *point = vq_array_new(net.nvars);
        struct vsearch_stats st[2];
        int v[2];
        for (int settle = 0; settle < 2; settle++)
            v[settle] = vsearch_run(&net, &s, &box, settle, point, &st[settle], NULL);
        CHECK_MSG(v[0] == v[1] && v[0] >= 0, "trial %d: %d without settling, %d with\n%s", trial,
                  v[0], v[1], text);
        verdicts[v[0]]++;
        vq_array_free(point, net.nvars);
        mpq_clears(lo, hi, NULL);
        vbox_free(&box);
        vnet_free(&net);
        vspec_free(&s);
        mlp_model_free(m);
    }
    CHECK_MSG(verdicts[0] > 5 && verdicts[1] > 5, "%d violated, %d hold: the cases are not mixed",
              verdicts[0], verdicts[1]);
}

/* The network of `text` relaxed over the box x in [lo, hi]^n: every unit over-approximated as
 * when a subtree is settled by bounds. */
static void relax_all(struct veval *ev)
{
    for (int k = 0; k < ev->net->n; k++) {
        if (!vnet_branches(ev->net, k)) {
            veval_node(ev, k, NULL);
            continue;
        }
        for (int64_t e = 0; e < ev->net->size[k]; e++)
            veval_relax_unit(ev, k, e);
    }
}

static void box_all(struct vbox *box, int n, long lo_num, long lo_den, long hi_num, long hi_den)
{
    mpq_t lo, hi;
    mpq_inits(lo, hi, NULL);
    mpq_set_si(lo, lo_num, (unsigned long)lo_den);
    mpq_set_si(hi, hi_num, (unsigned long)hi_den);
    mpq_canonicalize(lo);
    mpq_canonicalize(hi);
    vbox_init(box, n);
    for (int i = 0; i < n; i++)
        vbox_restrict(box, i, lo, hi);
    mpq_clears(lo, hi, NULL);
}

/* The relu band's slope is hi/(hi - lo) rounded up to a multiple of 2^-24: still sound (the
 * band contains relu on [lo, hi]) and dyadic. */
TEST(verify_relu_relaxation_slope_is_rounded_up_and_sound)
{
    mlp_model *m = parse_ok("input x\ny = relu(x)\noutput y\n");
    mlp_graph *g = mlp_model_graph(m);
    mlp_id root = g->n - 1;
    struct vnet net;
    CHECK(vnet_init(&net, g, &root, 1, NULL) == MLP_OK);
    struct vbox box;
    box_all(&box, 1, -1, 3, 2, 3); /* lambda = (2/3) / 1 is not dyadic */
    struct veval ev;
    veval_init(&ev, &net, NULL);
    ev.box = &box;
    relax_all(&ev);
    struct vaf y = veval_af(&ev, net.n - 1, 0);
    mpq_t lam, want, z, v, r;
    mpq_inits(lam, want, z, v, r, NULL);
    mpq_set(lam, y.f[1]);
    mpq_set_ui(want, 11184811, 16777216); /* ceil(2/3 2^24) / 2^24 */
    CHECK(mpq_equal(lam, want));
    CHECK(mpq_sgn(y.f[0]) == 0 && mpq_sgn(y.lo) == 0);
    mpq_set_ui(want, 1, 3);
    mpq_mul(want, want, lam); /* -lam lo */
    CHECK(mpq_equal(y.hi, want));
    for (int i = -8; i <= 16; i++) { /* z from -1/3 to 2/3 in steps of 1/24 */
        mpq_set_si(z, i, 24);
        mpq_canonicalize(z);
        mpq_mul(v, lam, z);
        mpq_set(r, z);
        if (mpq_sgn(z) <= 0)
            mpq_set_ui(r, 0, 1);
        CHECK(mpq_cmp(v, r) <= 0);
        mpq_add(v, v, y.hi);
        CHECK(mpq_cmp(r, v) <= 0);
    }
    mpq_clears(lam, want, z, v, r, NULL);
    veval_free(&ev);
    vbox_free(&box);
    vnet_free(&net);
    mlp_model_free(m);
}

/* Denominator bits of the largest coefficient of any form of cone node k. */
static size_t max_den_bits(const struct veval *ev, int k)
{
    size_t bits = 0;
    for (int64_t e = 0; e < ev->net->size[k]; e++) {
        struct vaf a = veval_af(ev, k, e);
        for (int i = 0; i <= ev->n; i++) {
            size_t b = mpz_sizeinbase(mpq_denref(a.f[i]), 2);
            bits = b > bits ? b : bits;
        }
        size_t b = mpz_sizeinbase(mpq_denref(a.hi), 2);
        bits = b > bits ? b : bits;
    }
    return bits;
}

/* With the exact slope the bits of the relaxed bounds grew about 30x per layer (these 4 layers of
 * 12 units: 258,229 bits, 0.4 s; 6 layers: no answer in minutes); rounded, they grow by a few
 * dozen bits per layer (136 bits). */
TEST(verify_relaxation_sizes_stay_linear_in_depth)
{
    enum { LAYERS = 4, WIDTH = 12 };
    static char text[1 << 16];
    mlp_rng rng;
    mlp_rng_seed(&rng, 11, 0);
    int n = snprintf(text, sizeof text, "input x[3]\n");
    const char *prev = "x";
    char names[LAYERS][16]; /* "h%d" for any int, as -Wformat-truncation at -O1 insists */
    for (int l = 0; l < LAYERS; l++) {
        int in = l ? WIDTH : 3;
        n += snprintf(text + n, sizeof text - (size_t)n, "param W%d[%d,%d] = [", l, WIDTH, in);
        for (int i = 0; i < WIDTH * in; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s%d/1000%s",
                          i % in ? ", " : i ? ", [" : "[", (int)mlp_rng_below(&rng, 2001) - 1000,
                          i % in == in - 1 ? "]" : "");
        n += snprintf(text + n, sizeof text - (size_t)n, "]\nparam b%d[%d] = [", l, WIDTH);
        for (int i = 0; i < WIDTH; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s%d/1000", i ? ", " : "",
                          (int)mlp_rng_below(&rng, 2001) - 1000);
        snprintf(names[l], sizeof names[l], "h%d", l);
        n += snprintf(text + n, sizeof text - (size_t)n, "]\nh%d = relu(W%d @ %s + b%d)\n", l, l,
                      prev, l);
        prev = names[l];
    }
    snprintf(text + n, sizeof text - (size_t)n, "y = sum(%s)\noutput y\n", prev);
    mlp_model *m = parse_ok(text);
    CHECK(m);
    mlp_graph *g = mlp_model_graph(m);
    mlp_id root = g->n - 1;
    struct vnet net;
    CHECK(vnet_init(&net, g, &root, 1, NULL) == MLP_OK);
    struct vbox box;
    box_all(&box, net.nvars, -1, 1, 1, 1);
    struct veval ev;
    veval_init(&ev, &net, NULL);
    ev.box = &box;
    relax_all(&ev);
    size_t bits = max_den_bits(&ev, net.n - 1);
    CHECK_MSG(bits < 64 * LAYERS + 200, "%zu bits after %d layers", bits, LAYERS);
    veval_free(&ev);
    vbox_free(&box);
    vnet_free(&net);
    mlp_model_free(m);
}
