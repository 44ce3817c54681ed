/* fuzz_vnnlib.c - VNNLIB properties (vnnlib_parse), decided against a small fixed relu network.
 *
 * For text that does not parse: an input error naming "p.vnnlib" whose position lies inside
 * the text. For text that parses:
 *  - at least one input and one output are declared; every case's box is non-empty and every
 *    term's atoms exist;
 *  - a case's unsafe set holds at a point exactly when the point is in the box and some term's
 *    atoms all hold there (checked at the box's lower corner with outputs 0);
 *  - when the sizes fit the fixed network (2 inputs, 1 output) and the property is small, the
 *    branch and bound and the exact region search give the same verdict.
 */
#include "fuzz.h"

#include <string.h>

#include "analysis/verify/rational.h"
#include "analysis/verify/vnnlib.h"
#include "analysis/verify/vnnverify.h"
#include "api/internal.h"

static const char model_text[] = "input x[2]\n"
                                 "param W[3,2] = [[1, -1], [1/2, 2], [-1, 1/4]]\n"
                                 "param b[3] = [0, -1, 1/2]\n"
                                 "h = relu(W @ x + b)\n"
                                 "param v[1,3] = [[1, -1, 1/2]]\n"
                                 "y = v @ h\n"
                                 "output y\n";

static mlp_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    model = fuzz_fixed_model(model_text, "fixed.mlp");
    return 0;
}

/* The definition of a case's unsafe set, at the box's lower corner with outputs 0. */
static void check_membership(const struct vnnlib *p, int k)
{
    const struct vnn_case *c = &p->cases[k];
    mpq_t *v = vq_array_new(p->nx + p->ny);
    for (int i = 0; i < p->nx; i++)
        mpq_set(v[i], c->lo[i]);
    bool some = false;
    for (int t = 0; t < c->nterms; t++) {
        bool all = true;
        for (int j = 0; j < c->len[t]; j++) {
            FUZZ_ASSERT(c->term[t][j] >= 0 && c->term[t][j] < p->natoms, "atom %d of %d",
                        c->term[t][j], p->natoms);
            all = all && vnn_atom_holds(p, c->term[t][j], v);
        }
        some = some || all;
    }
    FUZZ_ASSERT(vnn_case_contains(p, k, v) == some, "case %d: membership differs", k);
    vq_array_free(v, p->nx + p->ny);
}

static void check_verdicts(const struct vnnlib *p)
{
    int v[2];
    for (int exact = 0; exact < 2; exact++) {
        mlp_verify_result r;
        mlp_error err = {0};
        mlp_verify_options o = {.timeout = 5};
        int rc = vnn_verify(mlp_model_graph(model), p, "p.vnnlib", &o, exact, &r, &err);
        FUZZ_ASSERT(rc == MLP_OK, "verify failed: %s", err.message);
        v[exact] = r.holds ? 1 : r.unknown ? -1 : 0;
        mlp_verify_result_free(&r);
    }
    FUZZ_ASSERT(v[0] == v[1] || v[0] < 0, "branch and bound %d, exact search %d", v[0], v[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    struct vnnlib p;
    mlp_error err = {0};
    if (vnnlib_parse(&p, text, size, "p.vnnlib", &err) != MLP_OK) {
        fuzz_check_error(&err, text, size, "p.vnnlib");
        free(text);
        return 0;
    }
    FUZZ_ASSERT(p.nx >= 1 && p.ny >= 1, "%d inputs, %d outputs", p.nx, p.ny);
    int atoms = 0;
    for (int k = 0; k < p.ncases; k++) {
        for (int i = 0; i < p.nx; i++)
            FUZZ_ASSERT(mpq_cmp(p.cases[k].lo[i], p.cases[k].hi[i]) <= 0, "empty box kept");
        for (int t = 0; t < p.cases[k].nterms; t++)
            atoms += p.cases[k].len[t];
        check_membership(&p, k);
    }
    if (p.nx == 2 && p.ny == 1 && p.ncases <= 2 && atoms <= 6)
        check_verdicts(&p);
    vnnlib_free(&p);
    free(text);
    return 0;
}
