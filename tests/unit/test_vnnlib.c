/* test_vnnlib.c - the VNNLIB reader: the benchmark's properties as cases, and bad input. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/verify/vnnlib.h"

#define ACAS "../shared/benchmarks/acasxu/vnnlib/"

/* Parse text; MLP_OK or the error (message into msg). */
static int parse(const char *text, struct vnnlib *p, char *msg, size_t size)
{
    mlp_error err = {0};
    int rc = vnnlib_parse(p, text, strlen(text), "p.vnnlib", &err);
    snprintf(msg, size, "%d:%d: %.400s", err.line, err.col, err.message);
    return rc;
}

static bool rational_is(const mpq_t q, const char *text)
{
    mpq_t e;
    mpq_init(e);
    mpq_set_str(e, text, 10);
    mpq_canonicalize(e);
    bool ok = mpq_equal(q, e);
    mpq_clear(e);
    return ok;
}

TEST(vnnlib_reads_the_acasxu_properties)
{
    /* cases, terms in the first case, atoms in its first term */
    static const int shape[10][3] = {{1, 1, 1}, {1, 1, 4}, {1, 1, 4}, {1, 1, 4}, {1, 4, 1},
                                     {2, 4, 1}, {1, 2, 3}, {1, 3, 2}, {1, 4, 1}, {1, 4, 1}};
    for (int k = 1; k <= 10; k++) {
        char path[128];
        snprintf(path, sizeof path, ACAS "prop_%d.vnnlib", k);
        struct vnnlib p;
        mlp_error err = {0};
        CHECK_MSG(vnnlib_load(&p, path, &err) == MLP_OK, "%s: %s", path, err.message);
        CHECK(p.nx == 5 && p.ny == 5);
        CHECK_MSG(p.ncases == shape[k - 1][0] && p.cases[0].nterms == shape[k - 1][1] &&
                      p.cases[0].len[0] == shape[k - 1][2],
                  "prop %d: %d cases, %d terms, %d atoms", k, p.ncases, p.cases[0].nterms,
                  p.cases[0].len[0]);
        if (k == 1) { /* 0.6 <= X_0 <= 0.679857769, Y_0 >= 3.991125645861615 */
            CHECK(rational_is(p.cases[0].lo[0], "3/5"));
            CHECK(rational_is(p.cases[0].hi[0], "679857769/1000000000"));
            const struct vnn_atom *a = &p.atoms[p.cases[0].term[0][0]];
            CHECK(rational_is(a->c[5], "1") && rational_is(a->c0, "-3991125645861615/1000000000000000"));
        }
        vnnlib_free(&p);
    }
}

TEST(vnnlib_atoms_and_membership_are_exact)
{
    struct vnnlib p;
    char msg[512];
    const char *text = "; a comment\n(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
                       "(declare-const Y_1 Real)\n(assert (<= -1 X_0 (/ 1 1)))\n"
                       "(assert (or (and (> (+ Y_0 (* 2 X_0)) (- Y_1 0.5))) (>= Y_1 3)))\n";
    /* '/' is not in the subset: an error at its column */
    CHECK(parse(text, &p, msg, sizeof msg) == MLP_ERR_INPUT);
    CHECK_MSG(strstr(msg, "5:21:") == msg, "%s", msg);
    text = "; a comment\n(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
           "(declare-const Y_1 Real)\n(assert (<= -1 X_0 1))\n"
           "(assert (or (and (> (+ Y_0 (* 2 X_0)) (- Y_1 0.5))) (>= Y_1 3)))\n";
    CHECK_MSG(parse(text, &p, msg, sizeof msg) == MLP_OK, "%s", msg);
    CHECK(p.ncases == 1 && p.cases[0].nterms == 2);
    CHECK(rational_is(p.cases[0].lo[0], "-1") && rational_is(p.cases[0].hi[0], "1"));
    mpq_t v[3];
    for (int i = 0; i < 3; i++)
        mpq_init(v[i]);
    /* X = 1/4, Y = (0, 1): 0 + 1/2 > 1 - 1/2 is false (a tie), Y_1 >= 3 false */
    mpq_set_str(v[0], "1/4", 10);
    mpq_set_str(v[2], "1", 10);
    CHECK(!vnn_case_contains(&p, 0, v));
    mpq_set_str(v[1], "1/1000", 10); /* just past the tie */
    CHECK(vnn_case_contains(&p, 0, v));
    mpq_set_str(v[0], "2", 10); /* outside the box */
    CHECK(!vnn_case_contains(&p, 0, v));
    for (int i = 0; i < 3; i++)
        mpq_clear(v[i]);
    vnnlib_free(&p);
}

TEST(vnnlib_bad_input_has_a_position)
{
    static const struct {
        const char *text, *where, *what;
    } bad[] = {
        {"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 Z))\n", "3:17:",
         "unknown name"},
        {"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (* X_0 Y_0) 1))\n",
         "3:20:", "nonlinear"},
        {"(declare-const X_0 Real)\n(push 1)\n", "2:2:", "unknown command"},
        {"(declare-const X_0 Int)\n", "1:20:", "Real"},
        {"(declare-const X_0 Real)\n(declare-const X_0 Real)\n", "2:16:", "twice"},
        {"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)\n", "4:1:",
         "expected"},
        {"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n", "0:0:",
         "no lower bound"},
        {"(declare-const X_1 Real)\n(declare-const Y_0 Real)\n", "0:0:", "X_0 is not declared"},
        {"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (= X_0 1))\n", "3:10:",
         "not supported"},
        {"(declare-const X_0 Real)\n(assert (<= X_0 1e99999999))\n", "2:17:", "malformed"},
        {"(declare-const X_0 Real)\n(assert (<= X_0 |q|))\n", "2:17:", "unexpected '|'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct vnnlib p;
        char msg[512];
        CHECK_MSG(parse(bad[i].text, &p, msg, sizeof msg) == MLP_ERR_INPUT, "case %zu parsed", i);
        CHECK_MSG(strstr(msg, bad[i].where) == msg && strstr(msg, bad[i].what), "case %zu: %s",
                  i, msg);
    }
}

TEST(vnnlib_deep_nesting_and_blowup_are_refused)
{
    char *text = malloc(1 << 16);
    int n = sprintf(text, "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert ");
    for (int i = 0; i < 1000; i++)
        n += sprintf(text + n, "(and ");
    text[n] = 0;
    struct vnnlib p;
    char msg[512];
    CHECK(parse(text, &p, msg, sizeof msg) == MLP_ERR_INPUT && strstr(msg, "nested"));
    /* 2^13 disjuncts: (or a b) and-ed 13 times */
    n = sprintf(text, "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (and");
    for (int i = 0; i < 13; i++)
        n += sprintf(text + n, " (or (<= X_0 %d) (>= X_0 -%d))", i, i);
    sprintf(text + n, "))\n");
    CHECK(parse(text, &p, msg, sizeof msg) == MLP_ERR_INPUT && strstr(msg, "disjuncts"));
    free(text);
}
