/* onnx_ops.c - the ONNX ops mlp imports, and how each becomes mlp ops (see onnx_import.h for
 * how values and shapes are held).
 *
 * Ops of mlp's op table that not every build has (they arrive with the op-table work) are looked
 * up by their language name, so a build without one reports the ONNX op as unsupported instead
 * of failing to compile. Where an op can be written exactly with others (Abs = relu(x) +
 * relu(-x)), that is the fallback.
 */
#include "io/onnx_import.h"
#include "base/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- broadcasting ---- */

/* The ONNX (numpy) broadcast of two shapes, with the batch leading the result when either
 * operand has it. */
static bool broadcast_shape(struct importer *im, const struct opnd *a, const struct opnd *b,
                            struct opnd *r)
{
    r->rank = a->rank > b->rank ? a->rank : b->rank;
    r->batched = a->batched || b->batched;
    if ((a->batched && a->rank != r->rank) || (b->batched && b->rank != r->rank))
        return oi_fail(im, "broadcasting would move the batch dimension away from the front");
    for (int d = 0; d < r->rank; d++) {
        int ia = d - (r->rank - a->rank), ib = d - (r->rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (d == 0 && r->batched) {
            if ((!a->batched && da != 1) || (!b->batched && db != 1))
                return oi_fail(im, "a constant's leading dimension %lld meets the batch",
                               (long long)(a->batched ? db : da));
            r->dims[d] = -1;
        } else if (da == db || db == 1) {
            r->dims[d] = da;
        } else if (da == 1) {
            r->dims[d] = db;
        } else {
            return oi_fail(im, "dimensions %lld and %lld do not broadcast", (long long)da,
                           (long long)db);
        }
    }
    return true;
}

/* A constant's values spread to the per-sample shape of r (an anonymous constant). */
static mlp_id expand_const(struct importer *im, const struct onnx_tensor *t, const struct opnd *r)
{
    mlp_shape s;
    if (!oi_squeezed(im, r->batched, r->rank, r->dims, &s))
        return MLP_NONE;
    int64_t size = mlp_shape_size(s);
    if (!mlp_pool_fits(im->g, size))
        return oi_check(im, MLP_NONE), MLP_NONE;
    double *vals = malloc((size_t)(size ? size : 1) * sizeof *vals);
    if (!vals)
        return oi_fail(im, "out of memory"), MLP_NONE;
    int first = r->batched ? 1 : 0;
    for (int64_t i = 0; i < size; i++) {
        int64_t rest = i, src = 0, stride = 1;
        for (int d = r->rank - 1; d >= first; d--) {
            int64_t idx = rest % r->dims[d];
            rest /= r->dims[d];
            int td = d - (r->rank - t->rank);
            if (td >= 0) {
                src += (t->dims[td] == 1 ? 0 : idx) * stride;
                stride *= t->dims[td];
            }
        }
        vals[i] = t->values[src];
    }
    mlp_id id = mlp_const(im->g, s, vals);
    free(vals);
    return id;
}

/* Operand o made ready for an elementwise op whose result has r's shape: its own node when
 * mlp's rule (same shape, or a scalar) allows, else a constant's values spread out. */
static mlp_id fit(struct importer *im, const struct opnd *o, const struct opnd *r, mlp_shape rs)
{
    mlp_shape s = mlp_node(im->g, o->id)->shape;
    if (mlp_shape_equal(s, rs) || s.rank == 0)
        return o->id;
    if (o->v && o->v->t && !o->batched)
        return expand_const(im, o->v->t, r);
    oi_fail(im, "broadcasting this operand to the result needs an op mlp does not have");
    return MLP_NONE;
}

typedef mlp_id (*binary_fn)(mlp_graph *g, mlp_id a, mlp_id b);

static bool elementwise2(struct importer *im, const struct opnd *a, const struct opnd *b,
                         int op, struct opnd *r)
{
    mlp_shape rs;
    if (!broadcast_shape(im, a, b, r) || !oi_squeezed(im, r->batched, r->rank, r->dims, &rs))
        return false;
    mlp_id x = fit(im, a, r, rs), y = x == MLP_NONE ? MLP_NONE : fit(im, b, r, rs);
    if (y == MLP_NONE)
        return false;
    mlp_id in[2] = {x, y};
    r->v = NULL;
    r->id = oi_build(im, op, in, mlp_shape_scalar());
    return oi_check(im, r->id);
}

static bool binary(struct importer *im, enum mlp_op op)
{
    struct opnd a, b, r;
    return oi_input_opnd(im, 0, &a) && oi_input_opnd(im, 1, &b) && elementwise2(im, &a, &b, (int)op, &r) &&
           oi_out_like(im, r.id, &r);
}

static bool op_add(struct importer *im) { return binary(im, MLP_OP_ADD); }
static bool op_sub(struct importer *im) { return binary(im, MLP_OP_SUB); }
static bool op_mul(struct importer *im) { return binary(im, MLP_OP_MUL); }
static bool op_div(struct importer *im) { return binary(im, MLP_OP_DIV); }

/* Sum, Max, Min: variadic, folded left to right. */
static bool variadic(struct importer *im, int op)
{
    struct opnd acc, b;
    if (!oi_input_opnd(im, 0, &acc))
        return false;
    for (int i = 1; i < im->node->nin; i++) {
        struct opnd r;
        if (!oi_input_opnd(im, i, &b) || !elementwise2(im, &acc, &b, op, &r))
            return false;
        acc = r;
    }
    return oi_out_like(im, acc.id, &acc);
}

static bool op_sum(struct importer *im) { return variadic(im, MLP_OP_ADD); }

static bool op_max(struct importer *im)
{
    int op = oi_op_named(im, "max", true);
    return op >= 0 && variadic(im, op);
}

static bool op_min(struct importer *im)
{
    int op = oi_op_named(im, "min", true);
    return op >= 0 && variadic(im, op);
}

/* GreaterOrEqual(a, b) as step(a - b), the 0/1 value its Cast to a float gives (a >= b exactly
 * when a - b >= 0 in floating point too); mlp's exporter writes step(z) so. */
static bool op_greater_or_equal(struct importer *im)
{
    struct opnd a, b, r;
    if (!oi_input_opnd(im, 0, &a) || !oi_input_opnd(im, 1, &b) ||
        !elementwise2(im, &a, &b, MLP_OP_SUB, &r))
        return false;
    return oi_out_like(im, mlp_unary(im->g, MLP_OP_STEP, r.id), &r);
}

/* Cast to float or double: mlp's values are numbers already (a comparison's 0/1 included). */
static bool op_cast(struct importer *im)
{
    int64_t to = oi_attr_int(im->node, "to", 0);
    if (to != ONNX_FLOAT && to != ONNX_DOUBLE)
        return oi_fail(im, "a Cast to element type %lld (mlp computes in float and double)",
                       (long long)to);
    struct opnd x;
    return oi_input_opnd(im, 0, &x) && oi_out_like(im, x.id, &x);
}

/* ---- elementwise functions ---- */

static bool unary_named(struct importer *im, const char *name)
{
    struct opnd x;
    int op = oi_op_named(im, name, true);
    if (op < 0 || !oi_input_opnd(im, 0, &x))
        return false;
    return oi_out_like(im, mlp_unary(im->g, (enum mlp_op)op, x.id), &x);
}

static bool op_relu(struct importer *im) { return unary_named(im, "relu"); }
static bool op_sigmoid(struct importer *im) { return unary_named(im, "sigmoid"); }
static bool op_tanh(struct importer *im) { return unary_named(im, "tanh"); }
static bool op_exp(struct importer *im) { return unary_named(im, "exp"); }
static bool op_log(struct importer *im) { return unary_named(im, "log"); }
static bool op_neg(struct importer *im) { return unary_named(im, "neg"); }
static bool op_sqrt(struct importer *im) { return unary_named(im, "sqrt"); }
static bool op_softplus(struct importer *im) { return unary_named(im, "softplus"); }

/* abs(x), or relu(x) + relu(-x) (exact: one of the two is 0) where mlp has no abs. */
static bool op_abs(struct importer *im)
{
    struct opnd x;
    if (!oi_input_opnd(im, 0, &x))
        return false;
    int op = oi_op_named(im, "abs", false);
    mlp_graph *g = im->g;
    mlp_id y = op >= 0 ? mlp_unary(g, (enum mlp_op)op, x.id)
                       : mlp_add(g, mlp_unary(g, MLP_OP_RELU, x.id),
                                 mlp_unary(g, MLP_OP_RELU, mlp_neg(g, x.id)));
    return oi_out_like(im, y, &x);
}

/* f(x, alpha) with a scalar alpha attribute: LeakyRelu, Elu. */
static bool with_alpha(struct importer *im, const char *name, double dflt)
{
    struct opnd x;
    int op = oi_op_named(im, name, true);
    if (op < 0 || !oi_input_opnd(im, 0, &x))
        return false;
    mlp_id in[2] = {x.id, oi_scalar(im, oi_attr_float(im->node, "alpha", dflt))};
    return oi_out_like(im, oi_build(im, op, in, mlp_shape_scalar()), &x);
}

static bool op_leaky_relu(struct importer *im) { return with_alpha(im, "leaky_relu", 0.01); }
static bool op_elu(struct importer *im) { return with_alpha(im, "elu", 1.0); }

static bool op_identity(struct importer *im)
{
    struct opnd x;
    return oi_input_opnd(im, 0, &x) && oi_out_like(im, x.id, &x);
}

/* Dropout at inference is the identity; its mask output is not supported. */
static bool op_dropout(struct importer *im)
{
    if (im->node->nout > 1 && im->node->out[1][0])
        return oi_fail(im, "the dropout mask output is not supported (inference only)");
    return op_identity(im);
}

/* A scalar constant input's value (Clip's bounds in opset 11+). */
static bool scalar_input(struct importer *im, int i, double *out)
{
    struct oval *v = oi_input(im, i);
    if (!v)
        return false;
    if (!v->t || v->t->size != 1)
        return oi_fail(im, "input %d must be a constant scalar", i + 1);
    *out = v->t->values[0];
    return true;
}

/* clip(x, lo, hi); with one bound max(x, lo) or min(x, hi); where mlp lacks those ops, the
 * exact piecewise-linear forms lo + relu(x - lo) - relu(x - hi), lo + relu(x - lo) and
 * hi - relu(hi - x). */
static bool op_clip(struct importer *im)
{
    struct opnd x;
    if (!oi_input_opnd(im, 0, &x))
        return false;
    double lo = -INFINITY, hi = INFINITY;
    if (im->m->opset < 11) {
        lo = oi_attr_float(im->node, "min", -INFINITY);
        hi = oi_attr_float(im->node, "max", INFINITY);
    } else if ((oi_has_input(im, 1) && !scalar_input(im, 1, &lo)) ||
               (oi_has_input(im, 2) && !scalar_input(im, 2, &hi))) {
        return false;
    }
    mlp_graph *g = im->g;
    bool has_lo = isfinite(lo), has_hi = isfinite(hi);
    mlp_id l = has_lo ? oi_scalar(im, lo) : MLP_NONE, h = has_hi ? oi_scalar(im, hi) : MLP_NONE;
    mlp_id y = x.id;
    int clip = oi_op_named(im, "clip", false), mx = oi_op_named(im, "max", false),
        mn = oi_op_named(im, "min", false);
    if (has_lo && has_hi && clip >= 0) {
        mlp_id in[3] = {x.id, l, h};
        y = oi_build(im, clip, in, mlp_shape_scalar());
    } else {
        if (has_lo) {
            mlp_id in[2] = {y, l};
            y = mx >= 0 ? oi_build(im, mx, in, mlp_shape_scalar())
                        : mlp_add(g, l, mlp_unary(g, MLP_OP_RELU, mlp_sub(g, y, l)));
        }
        if (has_hi) {
            mlp_id in[2] = {y, h};
            y = mn >= 0 ? oi_build(im, mn, in, mlp_shape_scalar())
                        : mlp_sub(g, h, mlp_unary(g, MLP_OP_RELU, mlp_sub(g, h, y)));
        }
    }
    return oi_out_like(im, y, &x);
}

/* Softmax and LogSoftmax over one sample's vector: before opset 13 over everything after
 * `axis` (default 1), from 13 over `axis` (default -1) alone. */
static bool softmax_like(struct importer *im, enum mlp_op op)
{
    struct opnd x;
    if (!oi_input_opnd(im, 0, &x))
        return false;
    bool old = im->m->opset < 13;
    int64_t axis = oi_attr_int(im->node, "axis", old ? 1 : -1);
    if (axis < 0)
        axis += x.rank;
    if (!x.batched || axis < 1 || axis >= x.rank)
        return oi_fail(im, "softmax over axis %lld of a %s value: mlp's softmax is over one "
                           "sample's vector", (long long)axis, x.batched ? "batched" : "constant");
    int64_t others = 1;
    for (int d = 1; d < x.rank; d++)
        if (d != axis && (!old || d < axis))
            others *= x.dims[d];
    if (others != 1 || mlp_node(im->g, x.id)->shape.rank != 1)
        return oi_fail(im, "softmax over axis %lld of a value with more than one non-trivial "
                           "dimension per sample", (long long)axis);
    return oi_out_like(im, mlp_unary(im->g, op, x.id), &x);
}

static bool op_softmax(struct importer *im) { return softmax_like(im, MLP_OP_SOFTMAX); }
static bool op_log_softmax(struct importer *im) { return softmax_like(im, MLP_OP_LOG_SOFTMAX); }

/* ---- products ---- */

/* The per-sample matrix product of logical shapes a (rank 1 or 2) and b (rank 1 or 2) of
 * nodes whose shapes are those with 1s dropped. */
static mlp_id ps_matmul(struct importer *im, mlp_id a, int ra, const int64_t *da, mlp_id b, int rb,
                        const int64_t *db)
{
    int64_t ka = da[ra - 1], kb = db[0];
    if (ka != kb)
        return oi_fail(im, "inner dimensions %lld and %lld differ", (long long)ka, (long long)kb),
               MLP_NONE;
    mlp_graph *g = im->g;
    if (ka == 1) { /* an outer product, or a scaling */
        bool av = mlp_node(g, a)->shape.rank > 0, bv = mlp_node(g, b)->shape.rank > 0;
        return av && bv ? mlp_outer(g, a, b) : mlp_mul(g, a, b);
    }
    (void)rb;
    return mlp_matmul(g, a, b);
}

/* Shapes of a matmul's operands for one sample, as ONNX's MatMul reads them. */
static bool ps_dims(struct importer *im, const struct opnd *o, int *r, const int64_t **d)
{
    *r = o->rank - (o->batched ? 1 : 0);
    *d = o->dims + (o->batched ? 1 : 0);
    if (*r < 1 || *r > 2)
        return oi_fail(im, "a matrix product of %d-dimensional values per sample (mlp's @ takes "
                           "vectors and matrices)", *r);
    return true;
}

static bool op_matmul(struct importer *im)
{
    struct opnd a, b;
    if (!oi_input_opnd(im, 0, &a) || !oi_input_opnd(im, 1, &b))
        return false;
    /* ONNX broadcasts the leading dims of the two; per sample that is mlp's product when the
     * batched operand's batch is the only extra dimension. */
    bool ok = a.batched && b.batched ? a.rank == b.rank && a.rank >= 3
            : a.batched              ? b.rank <= 2
            : b.batched              ? b.rank >= 3 && a.rank <= 2
                                     : a.rank <= 2 && b.rank <= 2;
    if (!ok)
        return oi_fail(im, "a matrix product of shapes mlp cannot read per sample");
    int ra, rb;
    const int64_t *da, *db;
    if (!ps_dims(im, &a, &ra, &da) || !ps_dims(im, &b, &rb, &db))
        return false;
    mlp_id y = ps_matmul(im, a.id, ra, da, b.id, rb, db);
    struct opnd r = {.batched = a.batched || b.batched};
    if (r.batched)
        r.dims[r.rank++] = -1;
    if (ra == 2)
        r.dims[r.rank++] = da[0];
    if (rb == 2)
        r.dims[r.rank++] = db[1];
    return oi_out_like(im, y, &r);
}

/* Gemm: alpha op(A) op(B) + beta C, A the batch of row vectors (or a constant matrix). */
static bool op_gemm(struct importer *im)
{
    struct opnd a, b;
    if (!oi_input_opnd(im, 0, &a) || !oi_input_opnd(im, 1, &b))
        return false;
    const struct onnx_node *n = im->node;
    bool ta = oi_attr_int(n, "transA", 0), tb = oi_attr_int(n, "transB", 0);
    double alpha = oi_attr_float(n, "alpha", 1), beta = oi_attr_float(n, "beta", 1);
    if (a.rank != 2 || b.rank != 2 || b.batched || (a.batched && ta))
        return oi_fail(im, "Gemm needs a batch of rows (or a constant matrix) times a constant "
                           "matrix");
    mlp_graph *g = im->g;
    int64_t k = b.dims[tb ? 1 : 0], nn = b.dims[tb ? 0 : 1];
    mlp_id y;
    struct opnd r = {.batched = a.batched, .rank = 2};
    if (a.batched) {
        int64_t ka[1] = {a.dims[1]}, bd[2] = {b.dims[0], b.dims[1]};
        /* transB: B is [n, k] and the product per sample is the familiar B @ a */
        y = tb ? ps_matmul(im, b.id, 2, bd, a.id, 1, ka) : ps_matmul(im, a.id, 1, ka, b.id, 2, bd);
        r.dims[0] = -1;
        r.dims[1] = nn;
    } else {
        mlp_id at = ta ? mlp_transpose(g, a.id) : a.id, bt = tb ? mlp_transpose(g, b.id) : b.id;
        int64_t ad[2] = {a.dims[ta ? 1 : 0], a.dims[ta ? 0 : 1]}, bd[2] = {k, nn};
        y = ps_matmul(im, at, 2, ad, bt, 2, bd);
        r.dims[0] = ad[0];
        r.dims[1] = nn;
    }
    if (!oi_check(im, y))
        return false;
    if (alpha != 1)
        y = mlp_mul(g, oi_scalar(im, alpha), y);
    r.id = y;
    r.v = NULL;
    if (oi_has_input(im, 2) && beta != 0) {
        struct opnd c, sum;
        if (!oi_input_opnd(im, 2, &c))
            return false;
        if (beta != 1 && c.v->t && !c.batched) { /* a constant C: scale its values */
            struct onnx_tensor *t = oi_tensor_copy(im, c.v->t);
            if (!t)
                return false;
            for (int64_t i = 0; i < t->size; i++)
                t->values[i] *= beta;
            struct oval *scaled = oi_scratch_value(im, t);
            if (!oi_opnd_of(im, scaled, &c))
                return false;
        } else if (beta != 1) {
            c.id = mlp_mul(g, oi_scalar(im, beta), c.id);
            c.v = NULL;
        }
        if (!elementwise2(im, &r, &c, MLP_OP_ADD, &sum))
            return false;
        r = sum;
    }
    return oi_out_like(im, r.id, &r);
}

/* Concat of vectors per sample (or of constant vectors) on their last axis: mlp's concat,
 * folded left to right. */
static bool op_concat(struct importer *im)
{
    bool done;
    if (!onnx_concat_constants(im, &done) || done)
        return !mlp_failed(im->err) && done;
    int op = oi_op_named(im, "concat", true);
    struct opnd acc, b;
    if (op < 0 || !oi_input_opnd(im, 0, &acc))
        return false;
    int64_t axis = oi_attr_int(im->node, "axis", -1);
    if (axis < 0)
        axis += acc.rank;
    for (int i = 1; i < im->node->nin; i++) {
        if (!oi_input_opnd(im, i, &b))
            return false;
        bool vectors = acc.batched == b.batched && acc.rank == b.rank &&
                       acc.rank == (acc.batched ? 2 : 1) && axis == acc.rank - 1;
        for (int d = 0; vectors && d < acc.rank - 1; d++)
            vectors = acc.dims[d] == b.dims[d];
        if (!vectors || mlp_node(im->g, acc.id)->shape.rank != 1 ||
            mlp_node(im->g, b.id)->shape.rank != 1)
            return oi_fail(im, "mlp concatenates vectors (per sample, or constant ones) on "
                               "their last axis");
        mlp_id in[2] = {acc.id, b.id};
        acc.id = oi_build(im, op, in, mlp_shape_scalar());
        acc.dims[acc.rank - 1] += b.dims[b.rank - 1];
        acc.v = NULL;
    }
    return oi_out_like(im, acc.id, &acc);
}

/* ---- normalisation ---- */

/* BatchNormalization at inference: (x - mean) / sqrt(var + eps) * scale + B over the channels,
 * the dimension after the batch; mlp's batch_norm_infer, or where a build lacks it,
 * (x - mean) * s + B with s = scale / sqrt(var + eps) computed once in float64. */
static bool op_batch_norm(struct importer *im)
{
    struct opnd x, p[4]; /* scale, B, mean, var */
    if (!oi_input_opnd(im, 0, &x))
        return false;
    if (oi_attr_int(im->node, "training_mode", 0))
        return oi_fail(im, "training mode is not supported (export the model in eval mode)");
    for (int k = 1; k < im->node->nout; k++)
        if (im->node->out[k][0])
            return oi_fail(im, "the running mean and variance outputs are not supported");
    if (!x.batched || x.rank < 2 || mlp_node(im->g, x.id)->shape.rank != (x.dims[1] != 1))
        return oi_fail(im, "mlp normalises a batch of vectors [N, C]");
    for (int k = 0; k < 4; k++) {
        struct oval *v = oi_input(im, k + 1);
        if (!v || !oi_opnd_of(im, v, &p[k]))
            return false;
        if (p[k].batched || mlp_shape_size(mlp_node(im->g, p[k].id)->shape) != x.dims[1])
            return oi_fail(im, "input %d must be a constant of %lld values", k + 2,
                           (long long)x.dims[1]);
    }
    double eps = oi_attr_float(im->node, "epsilon", 1e-5);
    mlp_graph *g = im->g;
    int op = oi_op_named(im, "batch_norm_infer", false);
    mlp_id y;
    if (op >= 0) {
        mlp_id in[6] = {x.id, p[2].id, p[3].id, p[0].id, p[1].id, oi_scalar(im, eps)};
        y = oi_build(im, op, in, mlp_shape_scalar());
    } else {
        int64_t c = x.dims[1];
        double *s = malloc((size_t)c * sizeof *s);
        if (!s)
            return oi_fail(im, "out of memory");
        if (!p[0].v->t || !p[3].v->t) {
            free(s);
            return oi_fail(im, "the scale and variance must be constants");
        }
        const double *scale = p[0].v->t->values, *var = p[3].v->t->values;
        for (int64_t i = 0; i < c; i++) {
            s[i] = scale[i] / sqrt(var[i] + eps);
            if (!isfinite(s[i])) {
                free(s);
                return oi_fail(im, "channel %lld: variance %g + epsilon %g is not positive",
                               (long long)i, var[i], eps);
            }
        }
        mlp_id sc = mlp_const(g, mlp_node(g, p[0].id)->shape, s);
        free(s);
        y = mlp_add(g, mlp_mul(g, mlp_sub(g, x.id, p[2].id), sc), p[1].id);
    }
    return oi_out_like(im, y, &x);
}

/* ---- the table ---- */

static const struct onnx_op {
    const char *name;
    bool (*import)(struct importer *im);
} onnx_ops[] = {
    {"Abs", op_abs},           {"Add", op_add},         {"BatchNormalization", op_batch_norm},
    {"Cast", op_cast},         {"Concat", op_concat},
    {"Clip", op_clip},         {"GreaterOrEqual", op_greater_or_equal},
    {"Constant", onnx_op_constant}, {"Div", op_div},         {"Dropout", op_dropout},
    {"Elu", op_elu},           {"Gather", onnx_op_gather}, {"Shape", onnx_op_shape},           {"Exp", op_exp},         {"Flatten", onnx_op_flatten},
    {"Gemm", op_gemm},         {"Identity", op_identity}, {"LeakyRelu", op_leaky_relu},
    {"Log", op_log},           {"LogSoftmax", op_log_softmax}, {"MatMul", op_matmul},
    {"Max", op_max},           {"Min", op_min},         {"Mul", op_mul},
    {"Neg", op_neg},           {"Relu", op_relu},       {"Reshape", onnx_op_reshape},
    {"Sigmoid", op_sigmoid},   {"Softmax", op_softmax}, {"Softplus", op_softplus},
    {"Sqrt", op_sqrt},         {"Squeeze", onnx_op_squeeze}, {"Sub", op_sub},
    {"Sum", op_sum},           {"Tanh", op_tanh},       {"Transpose", onnx_op_transpose},
    {"Unsqueeze", onnx_op_unsqueeze},
};

void onnx_supported_ops(char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof onnx_ops / sizeof *onnx_ops && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", onnx_ops[i].name);
}

bool onnx_import_node(struct importer *im)
{
    const struct onnx_node *n = im->node;
    for (int i = 0; i < n->nattr; i++) { /* model numbers are finite (Clip's bounds may be inf) */
        const struct onnx_attr *a = &n->attr[i];
        bool bound = !strcmp(n->op, "Clip");
        if (isnan(a->f) || (isinf(a->f) && !bound))
            return oi_fail(im, "attribute '%s' is not a finite number", a->name ? a->name : "");
    }
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return oi_fail(im, "ops of domain '%s' are not supported", n->domain);
    for (size_t i = 0; i < sizeof onnx_ops / sizeof *onnx_ops; i++)
        if (!strcmp(n->op, onnx_ops[i].name))
            return onnx_ops[i].import(im);
    if (!strcmp(n->op, "Erf"))
        return oi_fail(im, "Erf is imported only as part of the GELU pattern x * 0.5 * (1 + "
                           "erf(x / sqrt 2))%s", oi_op_named(im, "gelu", false) < 0
                           ? ", and this build of mlp has no gelu" : "");
    char list[1024];
    onnx_supported_ops(list, sizeof list);
    return oi_fail(im, "unsupported op; mlp imports %s", list);
}

