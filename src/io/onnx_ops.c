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

/* A value as an operand: its node (declared on demand) and ONNX shape. */
struct opnd {
    struct oval *v;
    mlp_id id;
    bool batched;
    int rank;
    int64_t dims[ONNX_MAX_DIMS];
};

static bool opnd_of(struct importer *im, struct oval *v, struct opnd *o)
{
    if (!v)
        return false;
    o->v = v;
    o->id = oi_node(im, v);
    o->batched = v->batched;
    o->rank = v->rank;
    memcpy(o->dims, v->dims, sizeof o->dims);
    return o->id != MLP_NONE;
}

static bool input_opnd(struct importer *im, int i, struct opnd *o)
{
    return opnd_of(im, oi_input(im, i), o);
}

static bool out_like(struct importer *im, mlp_id id, const struct opnd *shape_of)
{
    return oi_output(im, 0, id, shape_of->batched, shape_of->rank, shape_of->dims);
}

static int64_t attr_int(const struct onnx_node *n, const char *name, int64_t dflt)
{
    const struct onnx_attr *a = onnx_attr(n, name);
    return a ? a->i : dflt;
}

static double attr_float(const struct onnx_node *n, const char *name, double dflt)
{
    const struct onnx_attr *a = onnx_attr(n, name);
    return a ? a->f : dflt;
}

/* The op of mlp's table called `name`, or -1 (with the error set when `required`). */
static int mlp_op_named(struct importer *im, const char *name, bool required)
{
    int op = mlp_op_lookup(name, (int)strlen(name));
    if (op < 0 && required)
        oi_fail(im, "this build of mlp has no '%s' op to import it as", name);
    return op;
}

static mlp_id build_n(struct importer *im, int op, const mlp_id *in, mlp_shape target)
{
    mlp_id ops[8] = {MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE,
                     MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE};
    for (int i = 0; i < mlp_op_arity((enum mlp_op)op) && i < 8; i++)
        ops[i] = in[i];
    return mlp_build(im->g, (enum mlp_op)op, ops, NULL, target);
}

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
    r->id = build_n(im, op, in, mlp_shape_scalar());
    return oi_check(im, r->id);
}

static bool binary(struct importer *im, enum mlp_op op)
{
    struct opnd a, b, r;
    return input_opnd(im, 0, &a) && input_opnd(im, 1, &b) && elementwise2(im, &a, &b, (int)op, &r) &&
           out_like(im, r.id, &r);
}

static bool op_add(struct importer *im) { return binary(im, MLP_OP_ADD); }
static bool op_sub(struct importer *im) { return binary(im, MLP_OP_SUB); }
static bool op_mul(struct importer *im) { return binary(im, MLP_OP_MUL); }
static bool op_div(struct importer *im) { return binary(im, MLP_OP_DIV); }

/* Sum, Max, Min: variadic, folded left to right. */
static bool variadic(struct importer *im, int op)
{
    struct opnd acc, b;
    if (!input_opnd(im, 0, &acc))
        return false;
    for (int i = 1; i < im->node->nin; i++) {
        struct opnd r;
        if (!input_opnd(im, i, &b) || !elementwise2(im, &acc, &b, op, &r))
            return false;
        acc = r;
    }
    return out_like(im, acc.id, &acc);
}

static bool op_sum(struct importer *im) { return variadic(im, MLP_OP_ADD); }

static bool op_max(struct importer *im)
{
    int op = mlp_op_named(im, "max", true);
    return op >= 0 && variadic(im, op);
}

static bool op_min(struct importer *im)
{
    int op = mlp_op_named(im, "min", true);
    return op >= 0 && variadic(im, op);
}

/* GreaterOrEqual(a, b) as step(a - b), the 0/1 value its Cast to a float gives (a >= b exactly
 * when a - b >= 0 in floating point too); mlp's exporter writes step(z) so. */
static bool op_greater_or_equal(struct importer *im)
{
    struct opnd a, b, r;
    if (!input_opnd(im, 0, &a) || !input_opnd(im, 1, &b) ||
        !elementwise2(im, &a, &b, MLP_OP_SUB, &r))
        return false;
    return out_like(im, mlp_unary(im->g, MLP_OP_STEP, r.id), &r);
}

/* Cast to float or double: mlp's values are numbers already (a comparison's 0/1 included). */
static bool op_cast(struct importer *im)
{
    int64_t to = attr_int(im->node, "to", 0);
    if (to != ONNX_FLOAT && to != ONNX_DOUBLE)
        return oi_fail(im, "a Cast to element type %lld (mlp computes in float and double)",
                       (long long)to);
    struct opnd x;
    return input_opnd(im, 0, &x) && out_like(im, x.id, &x);
}

/* ---- elementwise functions ---- */

static bool unary_named(struct importer *im, const char *name)
{
    struct opnd x;
    int op = mlp_op_named(im, name, true);
    if (op < 0 || !input_opnd(im, 0, &x))
        return false;
    return out_like(im, mlp_unary(im->g, (enum mlp_op)op, x.id), &x);
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
    if (!input_opnd(im, 0, &x))
        return false;
    int op = mlp_op_named(im, "abs", false);
    mlp_graph *g = im->g;
    mlp_id y = op >= 0 ? mlp_unary(g, (enum mlp_op)op, x.id)
                       : mlp_add(g, mlp_unary(g, MLP_OP_RELU, x.id),
                                 mlp_unary(g, MLP_OP_RELU, mlp_neg(g, x.id)));
    return out_like(im, y, &x);
}

/* f(x, alpha) with a scalar alpha attribute: LeakyRelu, Elu. */
static bool with_alpha(struct importer *im, const char *name, double dflt)
{
    struct opnd x;
    int op = mlp_op_named(im, name, true);
    if (op < 0 || !input_opnd(im, 0, &x))
        return false;
    mlp_id in[2] = {x.id, oi_scalar(im, attr_float(im->node, "alpha", dflt))};
    return out_like(im, build_n(im, op, in, mlp_shape_scalar()), &x);
}

static bool op_leaky_relu(struct importer *im) { return with_alpha(im, "leaky_relu", 0.01); }
static bool op_elu(struct importer *im) { return with_alpha(im, "elu", 1.0); }

static bool op_identity(struct importer *im)
{
    struct opnd x;
    return input_opnd(im, 0, &x) && out_like(im, x.id, &x);
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
    if (!input_opnd(im, 0, &x))
        return false;
    double lo = -INFINITY, hi = INFINITY;
    if (im->m->opset < 11) {
        lo = attr_float(im->node, "min", -INFINITY);
        hi = attr_float(im->node, "max", INFINITY);
    } else if ((oi_has_input(im, 1) && !scalar_input(im, 1, &lo)) ||
               (oi_has_input(im, 2) && !scalar_input(im, 2, &hi))) {
        return false;
    }
    mlp_graph *g = im->g;
    bool has_lo = isfinite(lo), has_hi = isfinite(hi);
    mlp_id l = has_lo ? oi_scalar(im, lo) : MLP_NONE, h = has_hi ? oi_scalar(im, hi) : MLP_NONE;
    mlp_id y = x.id;
    int clip = mlp_op_named(im, "clip", false), mx = mlp_op_named(im, "max", false),
        mn = mlp_op_named(im, "min", false);
    if (has_lo && has_hi && clip >= 0) {
        mlp_id in[3] = {x.id, l, h};
        y = build_n(im, clip, in, mlp_shape_scalar());
    } else {
        if (has_lo) {
            mlp_id in[2] = {y, l};
            y = mx >= 0 ? build_n(im, mx, in, mlp_shape_scalar())
                        : mlp_add(g, l, mlp_unary(g, MLP_OP_RELU, mlp_sub(g, y, l)));
        }
        if (has_hi) {
            mlp_id in[2] = {y, h};
            y = mn >= 0 ? build_n(im, mn, in, mlp_shape_scalar())
                        : mlp_sub(g, h, mlp_unary(g, MLP_OP_RELU, mlp_sub(g, h, y)));
        }
    }
    return out_like(im, y, &x);
}

/* Softmax and LogSoftmax over one sample's vector: before opset 13 over everything after
 * `axis` (default 1), from 13 over `axis` (default -1) alone. */
static bool softmax_like(struct importer *im, enum mlp_op op)
{
    struct opnd x;
    if (!input_opnd(im, 0, &x))
        return false;
    bool old = im->m->opset < 13;
    int64_t axis = attr_int(im->node, "axis", old ? 1 : -1);
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
    return out_like(im, mlp_unary(im->g, op, x.id), &x);
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
    if (!input_opnd(im, 0, &a) || !input_opnd(im, 1, &b))
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
    return out_like(im, y, &r);
}

/* Gemm: alpha op(A) op(B) + beta C, A the batch of row vectors (or a constant matrix). */
static bool op_gemm(struct importer *im)
{
    struct opnd a, b;
    if (!input_opnd(im, 0, &a) || !input_opnd(im, 1, &b))
        return false;
    const struct onnx_node *n = im->node;
    bool ta = attr_int(n, "transA", 0), tb = attr_int(n, "transB", 0);
    double alpha = attr_float(n, "alpha", 1), beta = attr_float(n, "beta", 1);
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
        if (!input_opnd(im, 2, &c))
            return false;
        if (beta != 1) {
            c.id = mlp_mul(g, oi_scalar(im, beta), c.id);
            c.v = NULL;
        }
        if (!elementwise2(im, &r, &c, MLP_OP_ADD, &sum))
            return false;
        r = sum;
    }
    return out_like(im, r.id, &r);
}

/* ---- constants and layout ---- */

static struct onnx_tensor *tensor_copy(struct importer *im, const struct onnx_tensor *src)
{
    struct onnx_tensor *t = oi_new_tensor(im);
    *t = *src;
    t->name = NULL;
    t->values = malloc((size_t)(src->size ? src->size : 1) * sizeof *t->values);
    if (!t->values)
        return oi_fail(im, "out of memory"), NULL;
    memcpy(t->values, src->values, (size_t)src->size * sizeof *t->values);
    return t;
}

static bool op_constant(struct importer *im)
{
    const struct onnx_node *n = im->node;
    const struct onnx_attr *a = onnx_attr(n, "value");
    struct onnx_tensor *t;
    if (a && a->t) {
        t = tensor_copy(im, a->t);
    } else if ((a = onnx_attr(n, "value_float")) || (a = onnx_attr(n, "value_int"))) {
        t = oi_new_tensor(im);
        t->size = 1;
        t->values = mlp_xmalloc(sizeof *t->values);
        t->values[0] = !strcmp(a->name, "value_float") ? a->f : (double)a->i;
    } else if ((a = onnx_attr(n, "value_floats")) || (a = onnx_attr(n, "value_ints"))) {
        bool f = !strcmp(a->name, "value_floats");
        t = oi_new_tensor(im);
        t->rank = 1;
        t->size = t->dims[0] = f ? a->nfloats : a->nints;
        t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
        for (int64_t i = 0; i < t->size; i++)
            t->values[i] = f ? a->floats[i] : (double)a->ints[i];
    } else {
        return oi_fail(im, "a Constant needs a value, value_float(s) or value_int(s) attribute");
    }
    return t && oi_output_const(im, 0, t);
}

/* The value with a new ONNX shape of the same size: the same node when only 1s move (the
 * squeezed shapes agree), else mlp's reshape; a constant's tensor just takes the new dims. */
static bool relayout(struct importer *im, struct oval *v, int rank, const int64_t *dims)
{
    int64_t size = 1, old = 1;
    for (int d = v->batched ? 1 : 0; d < rank; d++)
        size *= dims[d];
    for (int d = v->batched ? 1 : 0; d < v->rank; d++)
        old *= v->dims[d];
    if (size != old)
        return oi_fail(im, "the new shape holds %lld elements per sample, the value %lld",
                       (long long)size, (long long)old);
    mlp_shape want;
    if (!oi_squeezed(im, v->batched, rank, dims, &want))
        return false;
    bool same = true; /* whether only 1s move: then the value keeps its node (and name) */
    if (v->id != MLP_NONE)
        same = mlp_shape_equal(mlp_node(im->g, v->id)->shape, want);
    else if (v->t) {
        mlp_shape s;
        same = oi_squeezed(im, false, v->t->rank, v->t->dims, &s) && mlp_shape_equal(s, want);
    }
    if (v->t && v->id == MLP_NONE && !same) {
        struct onnx_tensor *t = tensor_copy(im, v->t);
        if (!t)
            return false;
        t->rank = rank;
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
        return oi_output_const(im, 0, t);
    }
    struct opnd x;
    if (!opnd_of(im, v, &x))
        return false;
    mlp_id y = x.id;
    if (!mlp_shape_equal(mlp_node(im->g, x.id)->shape, want)) {
        int op = mlp_op_named(im, "reshape", true);
        if (op < 0)
            return false;
        y = build_n(im, op, &x.id, want);
    }
    return oi_output(im, 0, y, v->batched, rank, dims);
}

static bool op_flatten(struct importer *im)
{
    struct oval *v = oi_input(im, 0);
    if (!v)
        return false;
    int64_t axis = attr_int(im->node, "axis", 1);
    if (axis < 0)
        axis += v->rank;
    if (axis < 0 || axis > v->rank || (v->batched && axis != 1))
        return oi_fail(im, "Flatten at axis %lld of a %s value", (long long)axis,
                       v->batched ? "batched (only axis 1 keeps the batch)" : "constant");
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < v->rank; d++)
        dims[d < axis ? 0 : 1] *= v->dims[d];
    if (v->batched)
        dims[0] = -1;
    return relayout(im, v, 2, dims);
}

/* The integer values of a constant input (Reshape's shape; Squeeze's axes from opset 13). */
static bool const_ints(struct importer *im, int i, int64_t *out, int *n)
{
    struct oval *v = oi_input(im, i);
    if (!v)
        return false;
    if (!v->t)
        return oi_fail(im, "input %d must be a constant (mlp reads fixed shapes only)", i + 1);
    if (v->t->size > ONNX_MAX_DIMS)
        return oi_fail(im, "input %d holds %lld values: at most %d dimensions", i + 1,
                       (long long)v->t->size, ONNX_MAX_DIMS);
    *n = (int)v->t->size;
    for (int k = 0; k < *n; k++)
        out[k] = (int64_t)v->t->values[k];
    return true;
}

static bool op_reshape(struct importer *im)
{
    struct oval *v = oi_input(im, 0);
    int64_t shape[ONNX_MAX_DIMS];
    int n;
    if (!v || !const_ints(im, 1, shape, &n))
        return false;
    int infer = -1;
    int64_t known = 1, total = 1;
    for (int d = 0; d < v->rank; d++)
        total *= d == 0 && v->batched ? 1 : v->dims[d];
    for (int d = 0; d < n; d++) {
        if (shape[d] == 0 && d < v->rank && !attr_int(im->node, "allowzero", 0))
            shape[d] = v->dims[d];
        if (d == 0 && v->batched && (shape[d] == -1 || shape[d] == v->dims[0])) {
            shape[d] = -1;
            continue; /* the batch stays first */
        }
        if (shape[d] == -1 && infer < 0)
            infer = d;
        else if (shape[d] < 0)
            return oi_fail(im, "the target shape has a dimension %lld", (long long)shape[d]);
        else
            known *= shape[d];
    }
    if (v->batched && (n == 0 || shape[0] != -1))
        return oi_fail(im, "the target shape must keep the batch as its first dimension "
                           "(0 or -1)");
    if (infer >= 0) {
        if (known == 0 || total % known)
            return oi_fail(im, "cannot infer the -1 dimension of the target shape");
        shape[infer] = total / known;
    }
    return relayout(im, v, n, shape);
}

/* Squeeze and Unsqueeze: the axes from the attribute (before opset 13) or input 2. */
static bool layout_axes(struct importer *im, int64_t *axes, int *n)
{
    if (im->m->opset >= 13) {
        *n = 0;
        return !oi_has_input(im, 1) || const_ints(im, 1, axes, n);
    }
    const struct onnx_attr *a = onnx_attr(im->node, "axes");
    *n = a ? a->nints : 0;
    if (*n > ONNX_MAX_DIMS)
        return oi_fail(im, "more than %d axes", ONNX_MAX_DIMS);
    for (int k = 0; k < *n; k++)
        axes[k] = a->ints[k];
    return true;
}

static bool op_squeeze(struct importer *im)
{
    struct oval *v = oi_input(im, 0);
    int64_t axes[ONNX_MAX_DIMS], dims[ONNX_MAX_DIMS];
    int n, rank = 0;
    if (!v || !layout_axes(im, axes, &n))
        return false;
    bool drop[ONNX_MAX_DIMS] = {false};
    for (int k = 0; k < n; k++) {
        int64_t a = axes[k] < 0 ? axes[k] + v->rank : axes[k];
        if (a < 0 || a >= v->rank || v->dims[a] != 1 || (a == 0 && v->batched))
            return oi_fail(im, "cannot squeeze axis %lld", (long long)axes[k]);
        drop[a] = true;
    }
    for (int d = 0; d < v->rank; d++)
        if (!(n ? drop[d] : v->dims[d] == 1 && !(d == 0 && v->batched)))
            dims[rank++] = v->dims[d];
    return relayout(im, v, rank, dims);
}

static bool op_unsqueeze(struct importer *im)
{
    struct oval *v = oi_input(im, 0);
    int64_t axes[ONNX_MAX_DIMS], dims[ONNX_MAX_DIMS];
    int n;
    if (!v || !layout_axes(im, axes, &n))
        return false;
    int rank = v->rank + n;
    if (rank > ONNX_MAX_DIMS)
        return oi_fail(im, "more than %d dimensions", ONNX_MAX_DIMS);
    bool added[ONNX_MAX_DIMS] = {false};
    for (int k = 0; k < n; k++) {
        int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
        if (a < 0 || a >= rank || added[a] || (a == 0 && v->batched))
            return oi_fail(im, "cannot unsqueeze at axis %lld", (long long)axes[k]);
        added[a] = true;
    }
    for (int d = 0, s = 0; d < rank; d++)
        dims[d] = added[d] ? 1 : v->dims[s++];
    return relayout(im, v, rank, dims);
}

static bool op_transpose(struct importer *im)
{
    struct opnd x;
    if (!input_opnd(im, 0, &x))
        return false;
    const struct onnx_attr *p = onnx_attr(im->node, "perm");
    int64_t perm[ONNX_MAX_DIMS] = {0}, dims[ONNX_MAX_DIMS];
    bool seen[ONNX_MAX_DIMS] = {false};
    if (p && p->nints != x.rank)
        return oi_fail(im, "perm has %d entries for a %d-dimensional value", p->nints, x.rank);
    for (int d = 0; d < x.rank; d++) {
        perm[d] = p ? p->ints[d] : x.rank - 1 - d;
        if (perm[d] < 0 || perm[d] >= x.rank || seen[perm[d]])
            return oi_fail(im, "perm is not a permutation");
        seen[perm[d]] = true;
        dims[d] = x.dims[perm[d]];
    }
    if (x.batched && x.rank > 0 && perm[0] != 0)
        return oi_fail(im, "a transpose that moves the batch dimension");
    /* Per sample only the order of the dimensions other than 1 matters. */
    int order[ONNX_MAX_DIMS], k = 0;
    for (int d = 0; d < x.rank; d++)
        if (x.dims[perm[d]] != 1 && !(x.batched && d == 0))
            order[k++] = (int)perm[d];
    bool sorted = true;
    for (int i = 1; i < k; i++)
        sorted = sorted && order[i - 1] < order[i];
    mlp_id y = x.id;
    if (!sorted) {
        if (k != 2)
            return oi_fail(im, "a transpose of more than two dimensions per sample");
        y = mlp_transpose(im->g, x.id);
    }
    return oi_output(im, 0, y, x.batched, x.rank, dims);
}

/* ---- the table ---- */

static const struct onnx_op {
    const char *name;
    bool (*import)(struct importer *im);
} onnx_ops[] = {
    {"Abs", op_abs},           {"Add", op_add},         {"Cast", op_cast},
    {"Clip", op_clip},         {"GreaterOrEqual", op_greater_or_equal},
    {"Constant", op_constant}, {"Div", op_div},         {"Dropout", op_dropout},
    {"Elu", op_elu},           {"Exp", op_exp},         {"Flatten", op_flatten},
    {"Gemm", op_gemm},         {"Identity", op_identity}, {"LeakyRelu", op_leaky_relu},
    {"Log", op_log},           {"LogSoftmax", op_log_softmax}, {"MatMul", op_matmul},
    {"Max", op_max},           {"Min", op_min},         {"Mul", op_mul},
    {"Neg", op_neg},           {"Relu", op_relu},       {"Reshape", op_reshape},
    {"Sigmoid", op_sigmoid},   {"Softmax", op_softmax}, {"Softplus", op_softplus},
    {"Sqrt", op_sqrt},         {"Squeeze", op_squeeze}, {"Sub", op_sub},
    {"Sum", op_sum},           {"Tanh", op_tanh},       {"Transpose", op_transpose},
    {"Unsqueeze", op_unsqueeze},
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
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return oi_fail(im, "ops of domain '%s' are not supported", n->domain);
    for (size_t i = 0; i < sizeof onnx_ops / sizeof *onnx_ops; i++)
        if (!strcmp(n->op, onnx_ops[i].name))
            return onnx_ops[i].import(im);
    char list[1024];
    onnx_supported_ops(list, sizeof list);
    return oi_fail(im, "unsupported op; mlp imports %s", list);
}

void onnx_find_patterns(struct importer *im)
{
    (void)im;
}
