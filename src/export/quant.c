/* quant.c - post-training int8 quantisation and the in-library integer reference.
 *
 * A model that is a chain of dense layers, act(W @ h + b) from one input vector to one output,
 * is quantised as TFLite Micro and CMSIS-NN quantise one: weights int8, symmetric, one scale per
 * output channel; activations int8 with a scale and zero point from the range the calibration
 * data produces (min/max, zero always representable); biases int32 in the accumulator's scale;
 * requantisation by a Q31 multiplier and a shift; ReLU folded into the clamp; hidden sigmoid,
 * tanh and step as 256-entry tables; a final sigmoid, tanh or softmax left to the float wrapper.
 * The kernels are q8_kernels.h's, shared with the generated C. What part an op plays (product,
 * bias, clamp, table, final) is its C entry's int8 role (graph/ops_c.h): no op is named here.
 */
#include "export/q8.h"
#include "export/q8_kernels.h"
#include "api/internal.h"
#include "io/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

MLP_Q8_ROUND_SHIFT(MLP_Q8_EXPAND)
MLP_Q8_DENSE(MLP_Q8_EXPAND)
MLP_Q8_LUT(MLP_Q8_EXPAND)
MLP_Q8_QUANTIZE(MLP_Q8_EXPAND)
MLP_Q8_DEQUANTIZE(MLP_Q8_EXPAND)

/* ---- recognising the chain ---- */

#define MAX_LAYERS 64

struct link {
    mlp_id w, b, z, h, in; /* weights, bias (or MLP_NONE), pre-activation, output, input */
    enum mlp_op act;       /* the op of form MLP_Q8_PASS when none */
    const struct mlp_q8_op *role; /* act's int8 role */
    double lo, hi;         /* CLAMP: the bounds the clamp applies */
};

struct chain {
    mlp_id input, output;
    enum mlp_op final_op;
    const struct mlp_q8_final *final;
    int n;
    struct link l[MAX_LAYERS]; /* from the input up */
};

static const struct mlp_q8_op *role(const mlp_graph *g, mlp_id id)
{
    return &mlp_op_c(mlp_node(g, id)->op)->q8;
}

static enum mlp_c_leaf leaf(const mlp_graph *g, mlp_id id)
{
    return mlp_op_c(mlp_node(g, id)->op)->c.leaf;
}

/* A parameter or constant of the rank. */
static bool is_value(const mlp_graph *g, mlp_id id, int rank)
{
    return leaf(g, id) == MLP_C_LEAF_STORED && mlp_node(g, id)->shape.rank == rank;
}

/* The activation of a layer that has none: the op that passes its value on. */
static enum mlp_op pass_op(void)
{
    int op = 0;
    while (op < MLP_OP_COUNT - 1 && mlp_op_c((enum mlp_op)op)->q8.form != MLP_Q8_PASS)
        op++;
    return (enum mlp_op)op;
}

#define FORM(f) (1u << (f))
#define ACTIVATIONS (FORM(MLP_Q8_PASS) | FORM(MLP_Q8_CLAMP)) /* any layer's */

/* "a, b or c": the ops whose int8 role has a form in `forms` (bits FORM(f)), or with `finals`,
 * those the model's output may be; then `more`, if given, as the last item. */
static void op_names(mlp_strbuf *sb, unsigned forms, bool finals, const char *more)
{
    int count = more ? 1 : 0, k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int op = 0; op < MLP_OP_COUNT; op++) {
            const struct mlp_q8_op *r = &mlp_op_c((enum mlp_op)op)->q8;
            if (!(finals ? r->final != NULL : (forms & FORM(r->form)) != 0))
                continue;
            if (pass == 0)
                count++;
            else
                mlp_sb_printf(sb, "%s%s", k++ == 0 ? "" : k == count ? " or " : ", ",
                              mlp_op_name((enum mlp_op)op));
        }
    if (more)
        mlp_sb_printf(sb, "%s%s", k ? " or " : "", more);
}

static int no_match(const mlp_graph *g, mlp_id id, const char *what, mlp_error *err)
{
    const struct mlp_node *n = mlp_node(g, id);
    mlp_strbuf sb = {0};
    mlp_sb_puts(&sb, "int8 export takes a chain of dense layers act(W @ h + b) from one input vector "
                     "to one output; act: ");
    op_names(&sb, ACTIVATIONS, false, "none");
    mlp_sb_puts(&sb, ", or in hidden layers ");
    op_names(&sb, FORM(MLP_Q8_TABLE), false, NULL);
    mlp_sb_puts(&sb, "; a final ");
    op_names(&sb, 0, true, NULL);
    mlp_sb_puts(&sb, " stays in float");
    mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, n->loc, "cannot quantise to int8: %s, but found %s "
             "here (%s)", what, mlp_op_name(n->op), mlp_sb_str(&sb));
    mlp_sb_free(&sb);
    return MLP_ERR_UNSUPPORTED;
}

/* The activation at *top, if it is one (else a layer without one, named as the pass op): its op,
 * int8 role and clamp bounds in *l, and *top moved to the node below it. */
static int match_activation(const mlp_graph *g, mlp_id *top, struct link *l, mlp_error *err)
{
    const struct mlp_node *n = mlp_node(g, *top);
    const struct mlp_q8_op *r = role(g, *top);
    l->act = pass_op();
    l->role = &mlp_op_c(l->act)->q8;
    l->lo = l->hi = 0;
    if (!((ACTIVATIONS | FORM(MLP_Q8_TABLE)) & FORM(r->form)))
        return MLP_OK;
    l->act = n->op;
    l->role = r;
    l->lo = r->lo, l->hi = r->hi;
    if (r->form == MLP_Q8_CLAMP && mlp_op_arity(n->op) == 3) { /* clip(z, lo, hi) */
        char what[64];
        snprintf(what, sizeof what, "%s with constant bounds", mlp_op_name(n->op));
        if (!is_value(g, n->in[1], 0) || !is_value(g, n->in[2], 0))
            return no_match(g, *top, what, err);
        l->lo = mlp_node_values(g, n->in[1])[0];
        l->hi = mlp_node_values(g, n->in[2])[0];
    }
    *top = n->in[0];
    return MLP_OK;
}

/* One layer below `top`: act(W @ h + b), act(W @ h), W @ h + b, b + W @ h or W @ h. */
static int match_layer(const mlp_graph *g, mlp_id top, struct link *l, mlp_error *err)
{
    l->h = top;
    if (match_activation(g, &top, l, err))
        return MLP_ERR_UNSUPPORTED;
    const struct mlp_node *n = mlp_node(g, top);
    l->z = top;
    l->b = MLP_NONE;
    if (role(g, top)->form == MLP_Q8_BIAS) {
        int bi = is_value(g, n->in[1], 1) ? 1 : is_value(g, n->in[0], 1) ? 0 : -1;
        if (bi < 0)
            return no_match(g, top, "a bias (a parameter or constant vector) added to W @ h", err);
        l->b = n->in[bi];
        top = n->in[1 - bi];
        n = mlp_node(g, top);
    }
    if (role(g, top)->form != MLP_Q8_PRODUCT || !is_value(g, n->in[0], 2) ||
        mlp_node(g, n->in[1])->shape.rank != 1)
        return no_match(g, top, "a product W @ h of a parameter matrix and a vector", err);
    l->w = n->in[0];
    l->in = n->in[1];
    if (l->b != MLP_NONE && mlp_node(g, l->b)->shape.dim[0] != mlp_node(g, l->w)->shape.dim[0])
        return no_match(g, top, "a bias with one value per row of W", err);
    return MLP_OK;
}

static int match_chain(const mlp_graph *g, struct chain *c, mlp_error *err)
{
    if (g->noutputs != 1)
        return mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, MLP_NOLOC,
                        "cannot quantise to int8: the model has %d outputs (int8 export takes one)",
                        g->noutputs);
    mlp_id top = c->output = g->names[g->outputs[0]].node;
    c->final_op = mlp_node(g, top)->op;
    c->final = role(g, top)->final;
    if (c->final)
        top = mlp_node(g, top)->in[0];
    struct link rev[MAX_LAYERS];
    int n = 0;
    while (leaf(g, top) != MLP_C_LEAF_INPUT) {
        if (n == MAX_LAYERS)
            return mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, MLP_NOLOC,
                            "cannot quantise to int8: more than %d layers", MAX_LAYERS);
        if (match_layer(g, top, &rev[n], err))
            return MLP_ERR_UNSUPPORTED;
        top = rev[n++].in;
    }
    if (n == 0 || mlp_node(g, top)->shape.rank != 1)
        return no_match(g, c->output, "at least one dense layer on an input vector", err);
    c->input = top;
    c->n = n;
    for (int i = 0; i < n; i++)
        c->l[i] = rev[n - 1 - i];
    if (c->l[n - 1].role->form == MLP_Q8_TABLE) {
        mlp_strbuf sb = {0};
        op_names(&sb, ACTIVATIONS, false, "no activation");
        mlp_sb_puts(&sb, " on the last layer");
        no_match(g, c->l[n - 1].h, mlp_sb_str(&sb), err);
        mlp_sb_free(&sb);
        return MLP_ERR_UNSUPPORTED;
    }
    return MLP_OK;
}

/* ---- calibration: the range of every activation over the data ---- */

struct range {
    double lo, hi;
};

static void widen(struct range *r, const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (v[i] == v[i]) {
            r->lo = v[i] < r->lo ? v[i] : r->lo;
            r->hi = v[i] > r->hi ? v[i] : r->hi;
        }
}

/* Ranges of the input (r[0]) and of each layer's pre-activation z and output h (r[1 + 2i],
 * r[2 + 2i]), from a float32 run over the data in batches. Zero is always in range. */
static int calibrate(const mlp_graph *g, const struct chain *c, const mlp_dataset *d,
                     struct range *r, mlp_error *err)
{
    enum { BATCH = 256 };
    mlp_id targets[2 * MAX_LAYERS];
    for (int i = 0; i < c->n; i++) {
        targets[2 * i] = c->l[i].z;
        targets[2 * i + 1] = c->l[i].h;
    }
    for (int i = 0; i < 1 + 2 * c->n; i++)
        r[i] = (struct range){0, 0};
    mlp_plan *p = mlp_plan_new(g, targets, 2 * c->n, MLP_F32, BATCH, err);
    if (!p)
        return MLP_ERR_NOMEM;
    int64_t nin = d->nfeat;
    float *x = mlp_plan_buffer(p, c->input);
    for (int s0 = 0; s0 < d->n; s0 += BATCH) {
        int rows = d->n - s0 < BATCH ? d->n - s0 : BATCH;
        memcpy(x, d->x + (size_t)s0 * (size_t)nin, (size_t)rows * (size_t)nin * sizeof *x);
        widen(&r[0], x, rows * nin);
        mlp_plan_set_batch(p, rows);
        mlp_plan_run(p);
        for (int t = 0; t < 2 * c->n; t++)
            widen(&r[1 + t], mlp_plan_buffer(p, targets[t]),
                  rows * mlp_shape_size(mlp_node(g, targets[t])->shape));
    }
    mlp_plan_free(p);
    return MLP_OK;
}

/* Scale and zero point of an int8 tensor covering [r.lo, r.hi] (which contains 0). */
static void qparams(struct range r, double *scale, int32_t *zp)
{
    *scale = (r.hi - r.lo) / 255;
    if (!(*scale > 0) || !isfinite(*scale))
        *scale = 1;
    double z = -128 - r.lo / *scale;
    *zp = (int32_t)(z < -128 ? -128 : z > 127 ? 127 : lround(z));
}

/* ---- the quantised layers ---- */

/* M = mult / 2^shift with mult in [2^30, 2^31) and 1 <= shift <= 62 (0 when M is negligible). */
static bool multiplier(double m, int32_t *mult, int32_t *shift)
{
    int e;
    double f = frexp(m, &e); /* m = f 2^e, f in [0.5, 1) */
    int64_t q = llround(f * 2147483648.0);
    if (q == ((int64_t)1 << 31))
        q >>= 1, e++;
    *mult = (int32_t)q;
    *shift = 31 - e;
    if (m == 0 || *shift > 62)
        *mult = 0, *shift = 1;
    return *shift >= 1;
}

static int quantise_layer(const mlp_graph *g, const struct link *lk, double s_in, int32_t zp_in,
                          struct range rz, struct range rh, struct q8_layer *q, double *s_out,
                          int32_t *zp_out, mlp_error *err)
{
    const struct mlp_node *w = mlp_node(g, lk->w);
    int m = w->shape.dim[0], k = w->shape.dim[1];
    const double *W = mlp_node_values(g, lk->w), *b = lk->b == MLP_NONE ? NULL : mlp_node_values(g, lk->b);
    bool lut = lk->role->form == MLP_Q8_TABLE;
    double s_z, s_h;
    int32_t zp_z, zp_h;
    qparams(rz, &s_z, &zp_z);
    bool clamp = lk->role->form == MLP_Q8_CLAMP;
    qparams(clamp || lut ? rh : rz, &s_h, &zp_h);
    *q = (struct q8_layer){.n_in = k, .n_out = m, .act = lk->act, .line = mlp_node(g, lk->z)->loc.line};
    q->w = malloc((size_t)m * (size_t)k);
    q->bias = malloc((size_t)m * sizeof *q->bias);
    q->mult = malloc((size_t)m * sizeof *q->mult);
    q->shift = malloc((size_t)m * sizeof *q->shift);
    if (!q->w || !q->bias || !q->mult || !q->shift)
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
    double s_req = lut ? s_z : s_h; /* the scale the accumulator is requantised to */
    for (int j = 0; j < m; j++) {
        double amax = 0;
        for (int i = 0; i < k; i++)
            amax = fmax(amax, fabs(W[(int64_t)j * k + i]));
        double s_w = amax > 0 && isfinite(amax) ? amax / 127 : 1;
        int64_t sum = 0;
        for (int i = 0; i < k; i++) {
            long v = lround(W[(int64_t)j * k + i] / s_w);
            q->w[(int64_t)j * k + i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
            sum += q->w[(int64_t)j * k + i];
        }
        double bq = b ? nearbyint(b[j] / (s_in * s_w)) : 0;
        double bias = bq - (double)zp_in * (double)sum;
        /* the accumulator must stay in int32 for every input */
        if (!(fabs(bias) + (double)k * 127 * 128 < 2147483647.0))
            return mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, mlp_node(g, lk->z)->loc,
                            "cannot quantise to int8: row %d of this layer's accumulator could "
                            "leave int32 (bias %g in accumulator units, %d inputs)", j, bias, k);
        q->bias[j] = (int32_t)bias;
        if (!multiplier(s_in * s_w / s_req, &q->mult[j], &q->shift[j]))
            return mlp_fail(err, MLP_ERR_UNSUPPORTED, g->file, mlp_node(g, lk->z)->loc,
                            "cannot quantise to int8: the requantisation multiplier of row %d is "
                            "too large (%g)", j, s_in * s_w / s_req);
    }
    q->zp_out = lut ? zp_z : zp_h;
    /* ReLU, ReLU6 and clip are the clamp: their bounds in the output's int8 steps (relu's lower
     * one is the zero point, its upper one beyond 127) */
    q->lo = -128;
    q->hi = 127;
    if (clamp) {
        double lo = nearbyint(lk->lo / s_h) + zp_h, hi = nearbyint(lk->hi / s_h) + zp_h;
        q->lo = (int32_t)(lo < -128 ? -128 : lo > 127 ? 127 : lo);
        q->hi = (int32_t)(hi < -128 ? -128 : hi > 127 ? 127 : hi);
    }
    if (lut) {
        if (!(q->lut = malloc(256)))
            return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
        for (int v = -128; v < 128; v++) {
            double y = nearbyint(lk->role->f(s_z * (v - zp_z)) / s_h) + zp_h;
            q->lut[v + 128] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
        }
    }
    *s_out = s_h;
    *zp_out = zp_h;
    return MLP_OK;
}

void mlp_quantized_free(mlp_quantized *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->nlayers; i++) {
        free(q->layers[i].w);
        free(q->layers[i].bias);
        free(q->layers[i].mult);
        free(q->layers[i].shift);
        free(q->layers[i].lut);
    }
    free(q->layers);
    free(q->file);
    free(q->input_name);
    free(q->output_name);
    free(q);
}

static char *copy(const char *s) { return s ? strcpy(malloc(strlen(s) + 1), s) : NULL; }

static int build(const mlp_graph *g, const struct chain *c, const struct range *r,
                 mlp_quantized *q, mlp_error *err)
{
    double s;
    int32_t zp;
    qparams(r[0], &s, &zp);
    q->in_scale = (float)s;
    q->in_inv_scale = (float)(1 / s);
    q->in_zp = zp;
    q->n_in = (int32_t)mlp_shape_size(mlp_node(g, c->input)->shape);
    q->width = 1;
    q->final = c->final;
    q->final_op = c->final_op;
    q->layers = calloc((size_t)c->n, sizeof *q->layers);
    if (!q->layers)
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
    for (int i = 0; i < c->n; i++, q->nlayers++) {
        if (quantise_layer(g, &c->l[i], s, zp, r[1 + 2 * i], r[2 + 2 * i], &q->layers[i], &s, &zp, err))
            return err ? err->status : MLP_ERR_INPUT;
        if (i < c->n - 1 && q->layers[i].n_out > q->width) /* the last writes `out` */
            q->width = q->layers[i].n_out;
    }
    q->n_out = q->layers[c->n - 1].n_out;
    q->out_scale = (float)s;
    q->out_zp = zp;
    return MLP_OK;
}

mlp_quantized *mlp_quantize_int8(const mlp_model *m, const mlp_dataset *calib, mlp_error *err)
{
    const mlp_graph *g = mlp_model_graph(m);
    struct chain c = {0};
    if (match_chain(g, &c, err))
        return NULL;
    int64_t n_in = mlp_shape_size(mlp_node(g, c.input)->shape);
    if (calib->nfeat != n_in || calib->n < 1) {
        mlp_fail(err, MLP_ERR_INPUT, calib->x_source, MLP_NOLOC,
                 "calibration data has %d samples of %d features, but input '%s' takes %lld",
                 calib->n, calib->nfeat, mlp_node_name(g, c.input), (long long)n_in);
        return NULL;
    }
    struct range *r = malloc((size_t)(1 + 2 * c.n) * sizeof *r);
    mlp_quantized *q = calloc(1, sizeof *q);
    if (!r || !q) {
        free(r);
        free(q);
        mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
        return NULL;
    }
    q->file = copy(g->file);
    q->input_name = copy(mlp_node_name(g, c.input));
    q->output_name = copy(g->names[g->outputs[0]].text);
    int rc = calibrate(g, &c, calib, r, err);
    if (!rc)
        rc = build(g, &c, r, q, err);
    free(r);
    if (rc) {
        mlp_quantized_free(q);
        return NULL;
    }
    return q;
}

/* ---- the integer reference ---- */

/* q8_dense's input widened to int16 lives on the stack up to this many values (8 KiB: every
 * layer of the examples, Fashion-MNIST's 784 included), so a call allocates nothing; wider
 * layers take it from the heap. */
#define Q8_STACK_WIDTH 4096

int mlp_quantized_run_q(const mlp_quantized *q, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const int8_t *x = in;
    int8_t *buf[2] = {scratch, scratch + q->width};
    int16_t stack[Q8_STACK_WIDTH], *xw = stack;
    int32_t widest = q->n_in > q->width ? q->n_in : q->width;
    if (widest > Q8_STACK_WIDTH && !(xw = malloc(sizeof *xw * (size_t)widest)))
        return MLP_ERR_NOMEM;
    for (int i = 0; i < q->nlayers; i++) {
        const struct q8_layer *l = &q->layers[i];
        int8_t *y = i == q->nlayers - 1 ? out : buf[i % 2];
        q8_dense(x, y, l->w, l->bias, l->mult, l->shift, l->n_in, l->n_out, l->zp_out, l->lo, l->hi,
                 xw);
        if (l->lut)
            q8_lut(y, l->lut, l->n_out);
        x = y;
    }
    if (xw != stack)
        free(xw);
    return MLP_OK;
}

int mlp_quantized_run(const mlp_quantized *q, const float *in, float *out)
{
    int8_t *mem = malloc((size_t)(q->n_in + q->n_out + 2 * q->width));
    if (!mem)
        return MLP_ERR_NOMEM;
    int8_t *qi = mem, *qo = mem + q->n_in;
    q8_quantize(in, qi, q->n_in, q->in_inv_scale, q->in_zp);
    if (mlp_quantized_run_q(q, qi, qo, qo + q->n_out)) {
        free(mem);
        return MLP_ERR_NOMEM;
    }
    q8_dequantize(qo, out, q->n_out, q->out_scale, q->out_zp);
    if (q->final)
        q->final->run(out, q->n_out);
    free(mem);
    return MLP_OK;
}

int mlp_quantized_inputs(const mlp_quantized *q) { return q->n_in; }
int mlp_quantized_outputs(const mlp_quantized *q) { return q->n_out; }
const char *mlp_quantized_input_name(const mlp_quantized *q) { return q->input_name; }
const char *mlp_quantized_output_name(const mlp_quantized *q) { return q->output_name; }

/* How the int8 model classifies data set d: argmax of the outputs (or, for one output, whether
 * it passes 0.5 after a sigmoid, 0 otherwise) against the class index in d's first target. */
int mlp_quantized_evaluate(const mlp_quantized *q, const mlp_dataset *d, mlp_metrics *mt,
                           mlp_error *err)
{
    memset(mt, 0, sizeof *mt);
    mt->loss = mt->mse = mt->accuracy = NAN;
    if (d->nfeat != q->n_in || d->ntarget < 1)
        return mlp_fail(err, MLP_ERR_INPUT, d->x_source, MLP_NOLOC,
                        "the data has %d features and %d targets, but the int8 model takes %d "
                        "inputs and needs a class index", d->nfeat, d->ntarget, q->n_in);
    int k = q->n_out > 1 ? q->n_out : 2;
    float *out = malloc((size_t)q->n_out * sizeof *out);
    mt->confusion = calloc((size_t)k * (size_t)k, sizeof *mt->confusion);
    if (!out || !mt->confusion) {
        free(out);
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
    }
    mt->n = d->n;
    mt->classes = k;
    int64_t right = 0;
    for (int s = 0; s < d->n; s++) {
        if (mlp_quantized_run(q, d->x + (size_t)s * (size_t)d->nfeat, out)) {
            free(out);
            return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
        }
        int pred = 0;
        if (q->n_out == 1)
            pred = out[0] > (q->final ? q->final->split : 0.0f);
        for (int j = 1; j < q->n_out; j++)
            pred = out[j] > out[pred] ? j : pred;
        double label = d->y[(size_t)s * (size_t)d->ntarget];
        int truth = label >= 0 && label < k ? (int)label : -1;
        if (truth >= 0)
            mt->confusion[truth * k + pred]++;
        right += truth == pred;
    }
    mt->accuracy = (double)right / d->n;
    free(out);
    return MLP_OK;
}
