/* onnx_layout.c - the ONNX ops that move values rather than compute them: Constant, Flatten,
 * Reshape, Squeeze, Unsqueeze and Transpose. As onnx_import.h says, a value's mlp node holds
 * its ONNX shape without the 1s, so most of these change the ONNX shape and nothing else; a
 * constant's tensor just takes the new dims.
 */
#include "io/onnx_import.h"
#include "base/mem.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool onnx_op_constant(struct importer *im)
{
    const struct onnx_node *n = im->node;
    const struct onnx_attr *a = onnx_attr(n, "value");
    struct onnx_tensor *t;
    if (a && a->t) {
        t = oi_tensor_copy(im, a->t);
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
    /* A constant of the graph (not an initializer) stays a tensor: shapes computed from
     * Shape, Gather and Concat are read by later ops as numbers. */
    if (v->t && v->id == MLP_NONE && (!same || v->kind == MLP_CONST)) {
        struct onnx_tensor *t = oi_tensor_copy(im, v->t);
        if (!t)
            return false;
        t->rank = rank;
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
        return oi_output_const(im, 0, t);
    }
    struct opnd x;
    if (!oi_opnd_of(im, v, &x))
        return false;
    mlp_id y = x.id;
    if (!mlp_shape_equal(mlp_node(im->g, x.id)->shape, want)) {
        int op = oi_op_named(im, "reshape", true);
        if (op < 0)
            return false;
        y = oi_build(im, op, &x.id, want);
    }
    return oi_output(im, 0, y, v->batched, rank, dims);
}

bool onnx_op_flatten(struct importer *im)
{
    struct oval *v = oi_input(im, 0);
    if (!v)
        return false;
    int64_t axis = oi_attr_int(im->node, "axis", 1);
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
    for (int k = 0; k < *n; k++) {
        double x = v->t->values[k]; /* shapes are small whole numbers; anything else is refused */
        if (!(fabs(x) <= INT32_MAX) || x != floor(x))
            return oi_fail(im, "input %d: %g is not a dimension or axis", i + 1, x);
        out[k] = (int64_t)x;
    }
    return true;
}

bool onnx_op_reshape(struct importer *im)
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
        if (shape[d] == 0 && d < v->rank && !oi_attr_int(im->node, "allowzero", 0))
            shape[d] = v->dims[d];
        if (d == 0 && v->batched && (shape[d] == -1 || shape[d] == v->dims[0])) {
            shape[d] = -1;
            continue; /* the batch stays first */
        }
        if (shape[d] == -1 && infer < 0)
            infer = d;
        else if (shape[d] < 0)
            return oi_fail(im, "the target shape has a dimension %lld", (long long)shape[d]);
        else if ((known *= shape[d]) > INT32_MAX)
            return oi_fail(im, "the target shape holds more than 2^31 values per sample");
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

bool onnx_op_squeeze(struct importer *im)
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

bool onnx_op_unsqueeze(struct importer *im)
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

bool onnx_op_transpose(struct importer *im)
{
    struct opnd x;
    if (!oi_input_opnd(im, 0, &x))
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


/* ---- shapes as values: Shape, Gather, Concat of constants (x.view(x.size(0), -1)) ---- */

/* Shape(x): x's dims as an int64 constant, -1 standing for the batch (Reshape reads a -1 in
 * front as "keep the batch"); start and end from opset 15. */
bool onnx_op_shape(struct importer *im)
{
    struct oval *v = oi_input(im, 0);
    if (!v)
        return false;
    int64_t start = oi_attr_int(im->node, "start", 0), end = oi_attr_int(im->node, "end", v->rank);
    start = start < 0 ? start + v->rank : start;
    end = end < 0 ? end + v->rank : end;
    start = start < 0 ? 0 : start > v->rank ? v->rank : start;
    end = end < start ? start : end > v->rank ? v->rank : end;
    struct onnx_tensor *t = oi_new_tensor(im);
    t->dtype = ONNX_INT64;
    t->rank = 1;
    t->size = t->dims[0] = end - start;
    t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
    for (int64_t i = 0; i < t->size; i++)
        t->values[i] = (double)v->dims[start + i];
    return oi_output_const(im, 0, t);
}

/* Gather(data, indices) of a constant vector (axis 0): picking dims out of a shape. */
bool onnx_op_gather(struct importer *im)
{
    struct oval *d = oi_input(im, 0), *ix = d ? oi_input(im, 1) : NULL;
    if (!ix)
        return false;
    if (!d->t || d->id != MLP_NONE || !ix->t || d->t->rank != 1 || ix->t->rank > 1 ||
        oi_attr_int(im->node, "axis", 0) != 0)
        return oi_fail(im, "mlp gathers from constant vectors only (shapes)");
    struct onnx_tensor *t = oi_new_tensor(im);
    t->dtype = d->t->dtype;
    t->rank = ix->t->rank;
    t->size = ix->t->size;
    t->dims[0] = ix->t->size;
    t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
    for (int64_t i = 0; i < t->size; i++) {
        double k = ix->t->values[i];
        if (k < 0)
            k += (double)d->t->size;
        if (!(k >= 0 && k < (double)d->t->size) || k != floor(k))
            return oi_fail(im, "index %g is outside the %lld values", ix->t->values[i],
                           (long long)d->t->size);
        t->values[i] = d->t->values[(int64_t)k];
    }
    return oi_output_const(im, 0, t);
}

/* Concat of constant vectors into one (the parts of a shape); false when an input is not one,
 * without an error: then the values are concatenated as mlp values. */
bool onnx_concat_constants(struct importer *im, bool *done)
{
    int64_t total = 0;
    *done = false;
    for (int i = 0; i < im->node->nin; i++) {
        struct oval *v = oi_has_input(im, i) ? oi_find(im, im->node->in[i]) : NULL;
        if (!v || !v->t || v->id != MLP_NONE || v->t->rank > 1 || v->kind != MLP_CONST)
            return true;
        total += v->t->size;
    }
    struct onnx_tensor *t = oi_new_tensor(im);
    t->dtype = ONNX_INT64;
    t->rank = 1;
    t->size = t->dims[0] = total;
    t->values = mlp_xmalloc((size_t)(total ? total : 1) * sizeof *t->values);
    for (int i = 0, k = 0; i < im->node->nin; i++) {
        const struct onnx_tensor *p = oi_find(im, im->node->in[i])->t;
        if (p->dtype == ONNX_FLOAT || p->dtype == ONNX_DOUBLE)
            t->dtype = p->dtype;
        for (int64_t j = 0; j < p->size; j++)
            t->values[k++] = p->values[j];
    }
    *done = true;
    return oi_output_const(im, 0, t);
}
