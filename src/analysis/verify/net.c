/* net.c - a model's cone of influence as exact affine forms per activation region. */
#include "analysis/verify/net.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- lowering: which ops, and how values depend on the inputs ---- */

static int fail_at_node(const mlp_graph *g, mlp_id id, mlp_error *err, const char *what)
{
    mlp_srcloc loc = mlp_node(g, id)->loc;
    mlp_fail(err, MLP_ERR_INPUT, g->file, loc, "cannot verify: %s", what);
    size_t len;
    char *text = loc.line > 0 ? mlp_read_file(g->file, &len) : NULL;
    mlp_error_attach_source(err, text);
    free(text);
    return MLP_ERR_INPUT;
}

static enum vdep max_dep(enum vdep a, enum vdep b) { return a > b ? a : b; }

/* The dependency class of node id from its operands', or an error for what verify cannot
 * decide exactly. The op's entry says what it computes (its vsem). */
static int classify(struct vnet *net, mlp_id id, enum vdep *out, mlp_error *err)
{
    const mlp_graph *g = net->g;
    const struct mlp_node *nd = mlp_node(g, id);
    const struct mlp_op_info *info = mlp_op(nd->op);
    enum vdep d[MLP_MAX_ARITY] = {VDEP_CONST}, all = VDEP_CONST;
    for (int i = 0; i < mlp_op_arity(nd->op); i++) {
        d[i] = net->dep[net->slot[nd->in[i]]];
        all = max_dep(all, d[i]);
    }
    char msg[160];
    switch (info->vsem) {
    case MLP_V_LEAF:
        *out = mlp_is_input(g, id) ? VDEP_PWLIN : VDEP_CONST;
        for (int64_t i = 0; !mlp_is_input(g, id) && i < mlp_shape_size(nd->shape); i++)
            if (!isfinite(mlp_node_values(g, id)[i]))
                return fail_at_node(g, id, err, "a value that is not finite (inf or nan)");
        return MLP_OK;
    case MLP_V_MUL:
    case MLP_V_MATMUL:
    case MLP_V_DOT:
    case MLP_V_OUTER:
        if (d[0] == VDEP_PWLIN && d[1] == VDEP_PWLIN) {
            snprintf(msg, sizeof msg, "op %s multiplies two values that depend on the inputs "
                     "(not piecewise linear)", mlp_op_name(nd->op));
            return fail_at_node(g, id, err, msg);
        }
        *out = all;
        return MLP_OK;
    case MLP_V_DIV:
        if (d[1] != VDEP_CONST)
            return fail_at_node(g, id, err, "op div divides by a value that depends on the "
                                            "inputs (only division by a constant is linear)");
        *out = d[0];
        return MLP_OK;
    case MLP_V_STEP:
    case MLP_V_DRELU:
        *out = d[0] == VDEP_CONST ? VDEP_CONST : VDEP_PWCONST;
        return MLP_OK;
    case MLP_V_ADD:
    case MLP_V_SUB:
    case MLP_V_NEG:
    case MLP_V_COPY:
    case MLP_V_RELU:
    case MLP_V_MOVE:
    case MLP_V_SUM:
    case MLP_V_MEAN:
        *out = all;
        return MLP_OK;
    default: /* MLP_V_NONE, and MLP_V_LOWER left unlowered (vnet_lower) */
        snprintf(msg, sizeof msg, "op %s is not %s", mlp_op_name(nd->op),
                 info->cls == MLP_CLASS_SMOOTH ? "piecewise linear" : "supported by verify");
        return fail_at_node(g, id, err, msg);
    }
}

static bool moves_data(enum mlp_op op) { return mlp_op(op)->vsem == MLP_V_MOVE; }

/* Where each element of a data-movement op comes from, found by running the op's own float64
 * kernel on operands numbered 1, 2, 3, ... (operand 1 continuing where operand 0 stops):
 * element i of the result is then 1 + its source element in that numbering, or 0 where the op
 * writes a zero. Exact for any size below 2^53, and it keeps the op table the one definition
 * of indexing. */
static int64_t *data_map(const mlp_graph *g, mlp_id id)
{
    const struct mlp_node *nd = mlp_node(g, id);
    int64_t nout = mlp_shape_size(nd->shape), next = 1;
    double *in[MLP_MAX_ARITY] = {NULL}, *out = mlp_xmalloc((size_t)nout * sizeof *out + 1);
    struct mlp_kargs k;
    memset(&k, 0, sizeof k);
    k.dtype = MLP_F64;
    k.rows = k.batch = 1;
    k.out = out;
    k.node = nd;
    for (int i = 0; i < mlp_op_arity(nd->op); i++) {
        int64_t nin = mlp_shape_size(mlp_node(g, nd->in[i])->shape);
        in[i] = mlp_xmalloc((size_t)nin * sizeof *in[i] + 1);
        for (int64_t e = 0; e < nin; e++)
            in[i][e] = (double)next++;
        k.in[i] = in[i];
        k.inode[i] = mlp_node(g, nd->in[i]);
    }
    mlp_op(nd->op)->forward(&k);
    int64_t *map = mlp_xmalloc((size_t)nout * sizeof *map + 1);
    for (int64_t i = 0; i < nout; i++)
        map[i] = (int64_t)out[i];
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        free(in[i]);
    free(out);
    return map;
}

/* Every value is held as an affine form over the inputs, in exact rationals: refuse what would
 * not fit in memory (each coefficient costs tens of bytes) rather than die trying. */
static int check_size(const struct vnet *net, mlp_error *err)
{
    int64_t values = 0;
    for (int k = 0; k < net->n; k++)
        values += net->size[k];
    if (values <= VNET_MAX_COEFFS / (net->nvars + 1))
        return MLP_OK;
    return mlp_fail(err, MLP_ERR_UNSUPPORTED, net->g->file, MLP_NOLOC,
                    "cannot verify: %lld values over %d input elements would need %lld exact "
                    "coefficients (at most %lld)", (long long)values, net->nvars,
                    (long long)values * (net->nvars + 1), (long long)VNET_MAX_COEFFS);
}

int vnet_init(struct vnet *net, const mlp_graph *g, const mlp_id *roots, int nroots,
              mlp_error *err)
{
    memset(net, 0, sizeof *net);
    net->g = g;
    bool *mark = mlp_xcalloc((size_t)g->n + 1, sizeof *mark);
    mlp_graph_ancestors(g, roots, nroots, mark);
    net->slot = mlp_xmalloc((size_t)g->n * sizeof *net->slot + 1);
    for (mlp_id id = 0; id < g->n; id++)
        net->slot[id] = mark[id] ? net->n++ : -1;
    free(mark);
    net->id = mlp_xmalloc((size_t)net->n * sizeof *net->id + 1);
    net->dep = mlp_xmalloc((size_t)net->n * sizeof *net->dep + 1);
    net->size = mlp_xmalloc((size_t)net->n * sizeof *net->size + 1);
    net->src = mlp_xcalloc((size_t)net->n + 1, sizeof *net->src);
    net->var0 = mlp_xmalloc((size_t)net->n * sizeof *net->var0 + 1);
    for (mlp_id id = 0; id < g->n; id++) {
        int k = net->slot[id];
        if (k < 0)
            continue;
        const struct mlp_node *nd = mlp_node(g, id);
        net->id[k] = id;
        net->size[k] = mlp_shape_size(nd->shape);
        net->var0[k] = -1;
        if (classify(net, id, &net->dep[k], err) != MLP_OK)
            return MLP_ERR_INPUT;
        if (moves_data(nd->op))
            net->src[k] = data_map(g, id);
        if (mlp_is_input(g, id)) {
            if (net->size[k] > VNET_MAX_COEFFS - net->nvars)
                return fail_at_node(g, id, err, "too many input elements for exact verification");
            net->var0[k] = net->nvars;
            net->nvars += (int)net->size[k];
        }
    }
    return check_size(net, err);
}

void vnet_free(struct vnet *net)
{
    for (int k = 0; net->src && k < net->n; k++)
        free(net->src[k]);
    free(net->src);
    free(net->id);
    free(net->slot);
    free(net->dep);
    free(net->size);
    free(net->var0);
    memset(net, 0, sizeof *net);
}

static enum mlp_op op_of(const struct vnet *net, int k) { return mlp_node(net->g, net->id[k])->op; }

static enum mlp_vsem vsem_of(const struct vnet *net, int k) { return mlp_op(op_of(net, k))->vsem; }

bool vnet_branches(const struct vnet *net, int k)
{
    enum mlp_vsem v = vsem_of(net, k);
    return v == MLP_V_STEP || v == MLP_V_RELU || v == MLP_V_DRELU;
}

bool vnet_closed(const struct vnet *net, int k) { return vsem_of(net, k) == MLP_V_STEP; }

bool vnet_active_at(const struct vnet *net, int k, const mpq_t z)
{
    return vnet_closed(net, k) ? mpq_sgn(z) >= 0 : mpq_sgn(z) > 0;
}

/* ---- evaluation ---- */

void veval_init(struct veval *ev, const struct vnet *net, const mpq_t *point)
{
    ev->net = net;
    ev->n = point ? 0 : net->nvars;
    ev->box = NULL;
    ev->f = mlp_xcalloc((size_t)net->n + 1, sizeof *ev->f);
    ev->lo = mlp_xcalloc((size_t)net->n + 1, sizeof *ev->lo);
    ev->hi = mlp_xcalloc((size_t)net->n + 1, sizeof *ev->hi);
    ev->unb = mlp_xcalloc((size_t)net->n + 1, sizeof *ev->unb);
    for (int k = 0; k < net->n; k++) {
        ev->f[k] = vq_array_new(net->size[k] * (ev->n + 1));
        ev->lo[k] = vq_array_new(net->size[k]);
        ev->hi[k] = vq_array_new(net->size[k]);
        ev->unb[k] = mlp_xcalloc((size_t)net->size[k] + 1, sizeof **ev->unb);
        const struct mlp_node *nd = mlp_node(net->g, net->id[k]);
        bool input = mlp_is_input(net->g, net->id[k]);
        bool leaf = mlp_op(nd->op)->vsem == MLP_V_LEAF;
        for (int64_t e = 0; e < net->size[k]; e++) {
            mpq_t *f = veval_form(ev, k, e);
            if (input && point)
                mpq_set(f[0], point[net->var0[k] + e]);
            else if (input)
                lin_var(ev->n, f, net->var0[k] + (int)e);
            else if (leaf)
                vq_pool_value(f[0], net->g, nd->data + e); /* finite: checked by vnet_init */
        }
    }
}

void veval_free(struct veval *ev)
{
    for (int k = 0; ev->f && k < ev->net->n; k++) {
        vq_array_free(ev->f[k], ev->net->size[k] * (ev->n + 1));
        vq_array_free(ev->lo[k], ev->net->size[k]);
        vq_array_free(ev->hi[k], ev->net->size[k]);
        free(ev->unb[k]);
    }
    free(ev->f);
    free(ev->lo);
    free(ev->hi);
    free(ev->unb);
    ev->f = NULL;
}

/* Cone index of operand i of cone node k. */
static int operand(const struct veval *ev, int k, int i)
{
    return ev->net->slot[mlp_operand(ev->net->g, ev->net->id[k], i)];
}

/* Which operand of a product is constant within a region (vnet_init rejected the others). */
static int const_side(const struct veval *ev, int k)
{
    return ev->net->dep[operand(ev, k, 0)] < VDEP_PWLIN ? 0 : 1;
}

/* dst += a * b, the operand `cs` (0: a, 1: b) being the one constant in the region. */
static void product_acc(const struct veval *ev, struct vaf dst, struct vaf a, struct vaf b, int cs)
{
    af_addmul(ev->n, dst, cs == 0 ? a : b, cs == 0 ? b : a, ev->box);
}

/* Elementwise + - * / with a scalar operand broadcast. */
static int elementwise(struct veval *ev, int k, mlp_error *err)
{
    int a = operand(ev, k, 0), b = operand(ev, k, 1), n = ev->n;
    const struct vnet *net = ev->net;
    enum mlp_vsem op = vsem_of(net, k);
    int cs = op == MLP_V_MUL ? const_side(ev, k) : 1;
    mpq_t inv;
    mpq_init(inv);
    int rc = MLP_OK;
    for (int64_t e = 0; e < net->size[k] && rc == MLP_OK; e++) {
        struct vaf y = veval_af(ev, k, e);
        struct vaf fa = veval_af(ev, a, net->size[a] == 1 ? 0 : e);
        struct vaf fb = veval_af(ev, b, net->size[b] == 1 ? 0 : e);
        if (op == MLP_V_ADD || op == MLP_V_SUB) {
            af_add(n, y, fa, fb, op == MLP_V_ADD ? 1 : -1);
        } else if (op == MLP_V_MUL) {
            af_zero(n, y);
            product_acc(ev, y, fa, fb, cs);
        } else if (mpq_sgn(fb.f[0]) == 0) { /* the divisor is a constant (vnet_init) */
            mlp_srcloc loc = mlp_node(net->g, net->id[k])->loc;
            rc = mlp_fail(err, MLP_ERR_INPUT, net->g->file, loc,
                          "cannot verify: division by zero");
        } else {
            mpq_inv(inv, fb.f[0]);
            af_scale(n, y, fa, inv);
        }
    }
    mpq_clear(inv);
    return rc;
}

/* matmul in its four shapes, dot and outer: sums of products of operand elements. */
static void bilinear(struct veval *ev, int k)
{
    const struct vnet *net = ev->net;
    const mlp_graph *g = net->g;
    int a = operand(ev, k, 0), b = operand(ev, k, 1), cs = const_side(ev, k);
    mlp_shape sa = mlp_node(g, net->id[a])->shape, sb = mlp_node(g, net->id[b])->shape;
    int64_t M, K, N;
    enum mlp_vsem op = vsem_of(net, k);
    if (op == MLP_V_DOT) { /* a row of all elements times a column of all elements */
        M = N = 1;
        K = net->size[a];
    } else if (op == MLP_V_OUTER) {
        M = sa.dim[0], K = 1, N = sb.dim[0];
    } else { /* a vector on the left acts as one row, on the right as one column */
        M = sa.rank == 2 ? sa.dim[0] : 1;
        K = sa.rank == 2 ? sa.dim[1] : sa.dim[0];
        N = sb.rank == 2 ? sb.dim[1] : 1;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            struct vaf y = veval_af(ev, k, i * N + j);
            af_zero(ev->n, y);
            for (int64_t t = 0; t < K; t++)
                product_acc(ev, y, veval_af(ev, a, i * K + t), veval_af(ev, b, t * N + j), cs);
        }
}

/* sum and mean. */
static void reduce(struct veval *ev, int k)
{
    int a = operand(ev, k, 0), n = ev->n;
    struct vaf y = veval_af(ev, k, 0);
    af_zero(n, y);
    for (int64_t e = 0; e < ev->net->size[a]; e++)
        af_add(n, y, y, veval_af(ev, a, e), 1);
    if (vsem_of(ev->net, k) == MLP_V_MEAN) {
        mpq_t inv;
        mpq_init(inv);
        mpq_set_ui(inv, 1, (unsigned long)ev->net->size[a]);
        af_scale(n, y, y, inv);
        mpq_clear(inv);
    }
}

/* Cone index and element of flat source element `src` (data_map's numbering, from 0) among the
 * operands of cone node k. */
static int source(const struct veval *ev, int k, int64_t *src)
{
    int i = 0;
    for (; i + 1 < mlp_op_arity(op_of(ev->net, k)); i++) {
        int64_t size = ev->net->size[operand(ev, k, i)];
        if (*src < size)
            break;
        *src -= size;
    }
    return operand(ev, k, i);
}

int veval_node(struct veval *ev, int k, mlp_error *err)
{
    const struct vnet *net = ev->net;
    int n = ev->n;
    switch (vsem_of(net, k)) {
    case MLP_V_LEAF:
        return MLP_OK;
    case MLP_V_ADD:
    case MLP_V_SUB:
    case MLP_V_MUL:
    case MLP_V_DIV:
        return elementwise(ev, k, err);
    case MLP_V_MATMUL:
    case MLP_V_DOT:
    case MLP_V_OUTER:
        bilinear(ev, k);
        return MLP_OK;
    case MLP_V_SUM:
    case MLP_V_MEAN:
        reduce(ev, k);
        return MLP_OK;
    default:
        break;
    }
    int a = operand(ev, k, 0);
    mpq_t minus;
    mpq_init(minus);
    mpq_set_si(minus, -1, 1);
    bool neg = vsem_of(net, k) == MLP_V_NEG;
    for (int64_t e = 0; e < net->size[k]; e++) {
        struct vaf y = veval_af(ev, k, e);
        int64_t src = net->src[k] ? net->src[k][e] - 1 : e;
        if (net->src[k] && src < 0) {
            af_zero(n, y);
        } else if (net->src[k]) {
            int from = source(ev, k, &src);
            af_copy(n, y, veval_af(ev, from, src));
        } else if (neg) {
            af_scale(n, y, veval_af(ev, a, e), minus);
        } else { /* a copy */
            af_copy(n, y, veval_af(ev, a, e));
        }
    }
    mpq_clear(minus);
    return MLP_OK;
}

const mpq_t *veval_pre(const struct veval *ev, int k, int64_t e)
{
    return veval_form(ev, operand(ev, k, 0), e);
}

void veval_set_side(struct veval *ev, int k, int64_t e, bool active)
{
    struct vaf y = veval_af(ev, k, e);
    if (vsem_of(ev->net, k) == MLP_V_RELU && active) {
        af_copy(ev->n, y, veval_af(ev, operand(ev, k, 0), e));
    } else {
        af_zero(ev->n, y);
        if (active)
            mpq_set_ui(y.f[0], 1, 1);
    }
}

/* relu(z) for z in [lo, hi] with lo < 0 < hi lies between the lines lam z and lam (z - lo) for
 * any lam in [hi / (hi - lo), 1]: the upper line is >= relu at both ends (0 at lo, and
 * lam (hi - lo) >= hi at hi), so above the convex relu between them, and lam <= 1 keeps the lower
 * line below relu. The tightest band (the chord above, a parallel below) has lam = hi / (hi - lo)
 * exactly, but that rational's size adds to the next layer's bounds, which feed the next lam:
 * the bits grow about 30x per layer (a 6-layer network of 50 units never settled). Rounding lam
 * up to a multiple of 2^-VNET_LAMBDA_BITS keeps every coefficient dyadic and the sizes linear
 * in depth, at a cost in tightness of at most 2^-VNET_LAMBDA_BITS per unit. */
static void relax_relu(int n, struct vaf y, struct vaf z, const mpq_t lo, const mpq_t hi)
{
    mpq_t lam, t;
    mpq_inits(lam, t, NULL);
    mpq_sub(t, hi, lo);
    mpq_div(lam, hi, t);
    vq_round_up_dyadic(lam, lam, VNET_LAMBDA_BITS);
    if (mpq_cmp_ui(lam, 1, 1) > 0)
        mpq_set_ui(lam, 1, 1);
    af_scale(n, y, z, lam);
    mpq_mul(t, lam, lo);
    mpq_sub(y.hi, y.hi, t); /* the upper line adds -lam lo > 0 */
    mpq_clears(lam, t, NULL);
}

void veval_relax_unit(struct veval *ev, int k, int64_t e)
{
    struct vaf y = veval_af(ev, k, e), z = veval_af(ev, operand(ev, k, 0), e);
    bool relu = vsem_of(ev->net, k) == MLP_V_RELU, closed = vnet_closed(ev->net, k);
    mpq_t lo, hi;
    mpq_inits(lo, hi, NULL);
    bool has_lo, has_hi;
    af_range(ev->n, z, ev->box, lo, hi, &has_lo, &has_hi);
    bool on = has_lo && (closed ? mpq_sgn(lo) >= 0 : mpq_sgn(lo) > 0);
    bool off = has_hi && (closed ? mpq_sgn(hi) < 0 : mpq_sgn(hi) <= 0);
    if (on || off) {
        veval_set_side(ev, k, e, on);
    } else if (!relu) { /* step, drelu: 0 or 1 */
        af_zero(ev->n, y);
        mpq_set_ui(y.hi, 1, 1);
    } else if (has_lo && has_hi) {
        relax_relu(ev->n, y, z, lo, hi);
    } else if (has_hi) { /* relu(z) in [0, hi] */
        af_zero(ev->n, y);
        mpq_set(y.hi, hi);
    } else {
        af_zero(ev->n, y);
        *y.unb = true;
    }
    mpq_clears(lo, hi, NULL);
}

int veval_concrete(struct veval *ev, mlp_error *err)
{
    for (int k = 0; k < ev->net->n; k++) {
        if (!vnet_branches(ev->net, k)) {
            if (veval_node(ev, k, err) != MLP_OK)
                return MLP_ERR_INPUT;
            continue;
        }
        for (int64_t e = 0; e < ev->net->size[k]; e++)
            veval_set_side(ev, k, e, vnet_active_at(ev->net, k, veval_pre(ev, k, e)[0]));
    }
    return MLP_OK;
}
