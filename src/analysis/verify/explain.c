/* explain.c - describing the domain of a proof and the demand of a violated property. */
#include "analysis/verify/explain.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"
#include "base/strbuf.h"

#include <stdlib.h>

static void put_q(mlp_strbuf *b, const mpq_t q)
{
    char *t = vq_str(q);
    mlp_sb_puts(b, t);
    free(t);
}

static void put_interval(mlp_strbuf *b, const struct vbox *box, int i)
{
    mlp_sb_putc(b, '[');
    put_q(b, box->lo[i]);
    mlp_sb_puts(b, ", ");
    put_q(b, box->hi[i]);
    mlp_sb_putc(b, ']');
}

static bool same_interval(const struct vbox *box, int i, int j)
{
    return box->has_lo[i] == box->has_lo[j] && box->has_hi[i] == box->has_hi[j] &&
           (!box->has_lo[i] || mpq_equal(box->lo[i], box->lo[j])) &&
           (!box->has_hi[i] || mpq_equal(box->hi[i], box->hi[j]));
}

/* "^5", "^(2x3)", or "" for a scalar. */
static void put_power(mlp_strbuf *b, mlp_shape s)
{
    if (s.rank == 1)
        mlp_sb_printf(b, "^%d", s.dim[0]);
    for (int i = 0; s.rank > 1 && i < s.rank; i++)
        mlp_sb_printf(b, "%s%d%s", i ? "x" : "^(", s.dim[i], i == s.rank - 1 ? ")" : "");
}

/* One input's part of the domain. */
static void describe_input(mlp_strbuf *b, const struct vnet *net, int k, const struct vbox *box)
{
    const char *name = mlp_node_name(net->g, net->id[k]);
    mlp_shape shape = mlp_node(net->g, net->id[k])->shape;
    int v0 = net->var0[k], n = (int)net->size[k];
    bool uniform = true, any = false;
    for (int e = 0; e < n; e++) {
        uniform = uniform && same_interval(box, v0, v0 + e);
        any = any || box->has_lo[v0 + e];
    }
    mlp_sb_printf(b, "%s in ", name);
    if (uniform && any)
        put_interval(b, box, v0);
    else
        mlp_sb_puts(b, "R");
    put_power(b, shape);
    if (uniform)
        return;
    for (int e = 0, first = 1; e < n; e++) {
        if (!box->has_lo[v0 + e])
            continue;
        mlp_sb_printf(b, "%s%s[%d] in ", first ? " with " : ", ", name, e);
        put_interval(b, box, v0 + e);
        first = 0;
    }
}

char *vexplain_domain(const struct vnet *net, const struct vbox *box)
{
    mlp_strbuf b = {0};
    for (int k = 0, first = 1; k < net->n; k++) {
        if (net->var0[k] < 0)
            continue;
        if (!first)
            mlp_sb_puts(&b, ", ");
        describe_input(&b, net, k, box);
        first = 0;
    }
    return b.s ? mlp_sb_take(&b) : mlp_xstrdup("");
}

static bool is_input(const struct vspec *s, int j)
{
    return mlp_is_input(s->g, s->atoms[j].node);
}

/* "y = 0, h[1] = 1" when exactly one 0/1 choice of the non-input atoms satisfies the spec (all
 * of them outputs of step or drelu, at most 16); else NULL. atomv holds the inputs' values and
 * receives the choices. */
static char *unique_binary_choice(const struct vspec *s, mpq_t **atomv, mpq_t *bits)
{
    int idx[16], n = 0;
    for (int j = 0; j < s->natoms; j++) {
        if (is_input(s, j))
            continue;
        enum mlp_vsem v = mlp_op(mlp_node(s->g, s->atoms[j].node)->op)->vsem;
        if (n == 16 || (v != MLP_V_STEP && v != MLP_V_DRELU)) /* 0 or 1 */
            return NULL;
        idx[n++] = j;
    }
    long found = -1, count = 0;
    for (long mask = 0; mask < (1L << n) && count < 2; mask++) {
        for (int i = 0; i < n; i++) {
            mpq_set_ui(bits[i], (unsigned long)((mask >> i) & 1), 1);
            atomv[idx[i]] = &bits[i];
        }
        if (vspec_holds(s, atomv)) {
            found = mask;
            count++;
        }
    }
    if (count != 1)
        return NULL;
    mlp_strbuf b = {0};
    for (int i = 0; i < n; i++) {
        mlp_sb_puts(&b, i ? ", " : "");
        vspec_atom_name(s, idx[i], &b);
        mlp_sb_printf(&b, " = %ld", (found >> i) & 1);
    }
    return mlp_sb_take(&b);
}

/* The spec with the inputs substituted: each non-input atom j is variable j. */
static char *residual(const struct vspec *s, mpq_t *const *inputv)
{
    int n = s->natoms;
    mpq_t **atomf = mlp_xmalloc((size_t)n * sizeof *atomf + 1);
    mpq_t **cmpf = mlp_xmalloc((size_t)s->ncmps * sizeof *cmpf + 1);
    signed char *truth = mlp_xmalloc((size_t)s->ncmps + 1);
    for (int j = 0; j < n; j++) {
        atomf[j] = vq_array_new(n + 1);
        if (is_input(s, j))
            mpq_set(atomf[j][0], *inputv[j]);
        else
            mpq_set_ui(atomf[j][1 + j], 1, 1);
    }
    for (int i = 0; i < s->ncmps; i++) {
        cmpf[i] = vq_array_new(n + 1);
        vspec_cmp_form(s, i, n, atomf, cmpf[i]);
        bool known = true;
        for (int j = 1; j <= n; j++)
            known = known && mpq_sgn(cmpf[i][j]) == 0;
        truth[i] = known ? (signed char)vrel_holds(s->cmps[i].rel, mpq_sgn(cmpf[i][0])) : -1;
    }
    char *text = NULL;
    if (vspec_eval3(s, s->root, truth) < 0) {
        mlp_strbuf b = {0};
        vspec_print_residual(s, s->root, truth, cmpf, &b);
        text = mlp_sb_take(&b);
    }
    for (int j = 0; j < n; j++)
        vq_array_free(atomf[j], n + 1);
    for (int i = 0; i < s->ncmps; i++)
        vq_array_free(cmpf[i], n + 1);
    free(atomf);
    free(cmpf);
    free(truth);
    return text;
}

char *vexplain_requires(const struct vspec *s, const struct veval *ev)
{
    bool names_values = false;
    mpq_t **atomv = mlp_xmalloc((size_t)s->natoms * sizeof *atomv + 1);
    for (int j = 0; j < s->natoms; j++) {
        atomv[j] = veval_form(ev, ev->net->slot[s->atoms[j].node], s->atoms[j].elem);
        names_values = names_values || !is_input(s, j);
    }
    char *text = NULL;
    if (names_values) {
        mpq_t *bits = vq_array_new(16);
        text = unique_binary_choice(s, atomv, bits);
        vq_array_free(bits, 16);
        for (int j = 0; j < s->natoms; j++) /* restore: the choices pointed into bits */
            atomv[j] = veval_form(ev, ev->net->slot[s->atoms[j].node], s->atoms[j].elem);
        if (!text)
            text = residual(s, atomv);
    }
    free(atomv);
    return text;
}

void vexplain_value_init(mlp_exact_value *v, const char *name, mlp_shape shape)
{
    v->name = mlp_xstrdup(name);
    v->rank = shape.rank;
    for (int i = 0; i < shape.rank; i++)
        v->dims[i] = shape.dim[i];
    v->size = (size_t)mlp_shape_size(shape);
    v->values = mlp_xcalloc(v->size + 1, sizeof *v->values);
}
