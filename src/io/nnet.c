/* nnet.c - the .nnet text format of Reluplex and Marabou (Kyle Julian, Stanford 2016):
 *
 *   // comment lines
 *   numLayers,inputSize,outputSize,maxLayerSize,
 *   size0,size1,...,sizeN,          (numLayers + 1 sizes; size0 = inputs, sizeN = outputs)
 *   0,                              (a legacy flag)
 *   min_1,...,min_n,                input minima
 *   max_1,...,max_n,                input maxima
 *   mean_1,...,mean_n,mean_out,     means of the inputs, then one for the outputs
 *   range_1,...,range_n,range_out,  ranges, likewise
 *   then per layer: one line of weights per neuron, then one line per bias.
 *
 * ReLU follows every layer but the last. Inputs are normalised as (clamp(x, min, max) - mean) /
 * range and outputs de-normalised as y * range + mean; the raw network (what the ONNX copies hold)
 * is the default. Every number keeps the text it was written as, so `verify` proves facts about
 * exactly those decimals. Lines must hold exactly the numbers the header announces (a trailing
 * comma is allowed); blank lines and `//` lines are skipped.
 */
#include "io/import.h"
#include "base/mem.h"
#include "mlp.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits that keep a hostile header from asking for absurd work before the data runs out. */
#define NNET_MAX_LAYERS 1024
#define NNET_MAX_WIDTH (1 << 20)
#define NNET_MAX_NUMBER 64 /* characters in one number */

struct scan {
    const char *file;
    const char *s;
    size_t len, pos;
    int line;            /* of the line being read */
    const char *linestart;
    mlp_error *err;
};

static bool fail(struct scan *sc, const char *at, const char *fmt, ...) MLP_PRINTF(3, 4);
static bool fail(struct scan *sc, const char *at, const char *fmt, ...)
{
    mlp_srcloc loc = MLP_NOLOC; /* the end of the file, or the header's numbers as a whole */
    if (at && sc->linestart)
        loc = (mlp_srcloc){sc->line, (int)(at - sc->linestart) + 1};
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(sc->err, MLP_ERR_INPUT, sc->file, loc, fmt, ap);
    va_end(ap);
    return false;
}

static bool blank_line(const char *p, const char *end)
{
    for (; p < end; p++)
        if (!isspace((unsigned char)*p))
            return false;
    return true;
}

/* The next line that holds data, as [*start, *end); false at the end of the text. */
static bool next_line(struct scan *sc, const char **start, const char **end)
{
    while (sc->pos < sc->len) {
        const char *p = sc->s + sc->pos;
        const char *nl = memchr(p, '\n', sc->len - sc->pos);
        const char *e = nl ? nl : sc->s + sc->len;
        sc->pos = (size_t)(e - sc->s) + (nl ? 1 : 0);
        sc->line++;
        sc->linestart = p;
        if (blank_line(p, e) || (e - p >= 2 && p[0] == '/' && p[1] == '/'))
            continue;
        *start = p;
        *end = e;
        return true;
    }
    sc->linestart = NULL;
    return false;
}

/* A number as .nnet files write it: [+-] digits [. digits] [e [+-] digits] (digits on at least
 * one side of the point). Its text (without a leading '+') goes to `text`. */
static bool number(struct scan *sc, const char *p, const char *e, double *v, char *text)
{
    const char *q = p;
    if (q < e && (*q == '+' || *q == '-'))
        q++;
    const char *digits = q;
    while (q < e && isdigit((unsigned char)*q))
        q++;
    bool any = q > digits;
    if (q < e && *q == '.') {
        const char *frac = ++q;
        while (q < e && isdigit((unsigned char)*q))
            q++;
        any = any || q > frac;
    }
    if (any && q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        const char *ex = q;
        while (q < e && isdigit((unsigned char)*q))
            q++;
        any = q > ex;
    }
    size_t n = (size_t)(e - p);
    if (!any || q != e)
        return fail(sc, p, "expected a number, found '%.*s'", (int)(n > 40 ? 40 : n), p);
    if (n >= NNET_MAX_NUMBER)
        return fail(sc, p, "number too long (%zu characters)", n);
    const char *from = *p == '+' ? p + 1 : p;
    memcpy(text, from, (size_t)(e - from));
    text[e - from] = 0;
    *v = strtod(text, NULL);
    if (!isfinite(*v))
        return fail(sc, p, "number out of range: %s", text);
    return true;
}

/* One line of exactly n numbers separated by commas (and blanks), a trailing comma allowed.
 * Values go to v[0..n-1] and, when texts is non-NULL, their texts (malloc'ed) to texts[]. */
static bool numbers_line(struct scan *sc, int n, const char *what, double *v, char **texts)
{
    const char *p, *end;
    if (!next_line(sc, &p, &end))
        return fail(sc, NULL, "the file ends before %s", what);
    int count = 0;
    for (;;) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end)
            break;
        const char *tok = p;
        while (p < end && *p != ',' && !isspace((unsigned char)*p))
            p++;
        const char *tokend = p;
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (tok == tokend)
            return fail(sc, tok, "empty field in %s", what);
        if (count == n)
            return fail(sc, tok, "too many numbers in %s: expected %d", what, n);
        char text[NNET_MAX_NUMBER];
        if (!number(sc, tok, tokend, &v[count], text))
            return false;
        if (texts)
            texts[count] = mlp_xstrdup(text);
        count++;
        if (p < end && *p == ',')
            p++;
        else if (p < end)
            return fail(sc, p, "expected ',' between numbers in %s", what);
    }
    if (count < n)
        return fail(sc, end, "%s: %d number%s, expected %d", what, count, count == 1 ? "" : "s",
                    n);
    return true;
}

/* A line of n whole numbers within [lo, hi]. */
static bool ints_line(struct scan *sc, int n, const char *what, long lo, long hi, int *out)
{
    double v[NNET_MAX_LAYERS + 1];
    if (!numbers_line(sc, n, what, v, NULL))
        return false;
    for (int i = 0; i < n; i++) {
        if (v[i] != floor(v[i]) || v[i] < (double)lo || v[i] > (double)hi)
            return fail(sc, sc->linestart, "%s: entry %d is %g, expected a whole number in "
                                           "[%ld, %ld]", what, i + 1, v[i], lo, hi);
        out[i] = (int)v[i];
    }
    return true;
}

struct header {
    int nlayers, nin, nout;
    int size[NNET_MAX_LAYERS + 1];
    double *min, *max, *mean, *range; /* nin, nin, nin + 1, nin + 1 */
    char **tmin, **tmax, **tmean, **trange;
};

static void free_texts(char **t, int64_t n)
{
    if (!t)
        return;
    for (int64_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

static void header_free(struct header *h)
{
    free(h->min);
    free(h->max);
    free(h->mean);
    free(h->range);
    free_texts(h->tmin, h->nin);
    free_texts(h->tmax, h->nin);
    free_texts(h->tmean, h->nin + 1);
    free_texts(h->trange, h->nin + 1);
}

static bool read_vector(struct scan *sc, int n, const char *what, double **v, char ***t)
{
    *v = mlp_xcalloc((size_t)n, sizeof **v);
    *t = mlp_xcalloc((size_t)n, sizeof **t);
    return numbers_line(sc, n, what, *v, *t);
}

static bool read_header(struct scan *sc, struct header *h)
{
    int first[4];
    if (!ints_line(sc, 4, "the first line (numLayers,inputSize,outputSize,maxLayerSize)", 1,
                   NNET_MAX_WIDTH, first))
        return false;
    h->nlayers = first[0];
    h->nin = first[1];
    h->nout = first[2];
    if (h->nlayers > NNET_MAX_LAYERS)
        return fail(sc, sc->linestart, "%d layers: at most %d are supported", h->nlayers,
                    NNET_MAX_LAYERS);
    if (!ints_line(sc, h->nlayers + 1, "the layer sizes", 1, NNET_MAX_WIDTH, h->size))
        return false;
    if (h->size[0] != h->nin || h->size[h->nlayers] != h->nout)
        return fail(sc, sc->linestart, "the layer sizes start with %d and end with %d, but the "
                                       "first line says %d inputs and %d outputs",
                    h->size[0], h->size[h->nlayers], h->nin, h->nout);
    int flag;
    if (!ints_line(sc, 1, "the flag line", 0, 1, &flag))
        return false;
    return read_vector(sc, h->nin, "the input minima", &h->min, &h->tmin) &&
           read_vector(sc, h->nin, "the input maxima", &h->max, &h->tmax) &&
           read_vector(sc, h->nin + 1, "the means", &h->mean, &h->tmean) &&
           read_vector(sc, h->nin + 1, "the ranges", &h->range, &h->trange);
}

/* Declare parameter `name` of shape `s` read from `rows` lines of `cols` numbers each. */
static mlp_id read_param(struct scan *sc, mlp_graph *g, const char *name, mlp_shape s, int rows,
                         int cols, const char *kind, int layer)
{
    int64_t n = (int64_t)rows * cols;
    if (!mlp_pool_fits(g, n)) {
        *sc->err = g->err;
        return MLP_NONE;
    }
    double *v = malloc((size_t)n * sizeof *v);
    char **t = calloc((size_t)n, sizeof *t);
    mlp_id id = MLP_NONE;
    bool ok = v && t;
    if (!ok)
        mlp_fail(sc->err, MLP_ERR_NOMEM, sc->file, MLP_NOLOC, "out of memory for '%s'", name);
    char what[96];
    mlp_srcloc at = {sc->line + 1, 1};
    for (int r = 0; ok && r < rows; r++) {
        snprintf(what, sizeof what, "the %s of neuron %d of layer %d (%s)", kind, r + 1, layer,
                 name);
        ok = numbers_line(sc, cols, what, v + (int64_t)r * cols, t + (int64_t)r * cols);
        if (r == 0)
            at.line = sc->line;
    }
    if (ok)
        id = mlp_graph_declare(g, MLP_PARAM, name, s, v, t, at);
    free(v);
    free_texts(t, t ? n : 0);
    return id;
}

/* A declared constant vector of the file's values (normalisation). */
static mlp_id const_vector(mlp_graph *g, const char *name, int n, const double *v, char **t)
{
    return mlp_graph_declare(g, MLP_CONST, name, mlp_shape_1d(n), v, t, MLP_NOLOC);
}

/* clamp(x, lo, hi) = min(max(x, lo), hi) with mlp's max and min (per element: the bounds are
 * vectors), or where a build lacks them lo + relu(x - lo) - relu(x - hi), exact for lo <= hi
 * (the min/max pair of a .nnet file); piecewise linear either way, so verify handles it
 * exactly. */
static mlp_id clamp(mlp_graph *g, mlp_id x, mlp_id lo, mlp_id hi)
{
    int max = mlp_op_lookup("max", 3), min = mlp_op_lookup("min", 3);
    if (max >= 0 && min >= 0) {
        mlp_id in[8] = {x, lo, MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE};
        in[0] = mlp_build(g, (enum mlp_op)max, in, NULL, mlp_shape_scalar());
        in[1] = hi;
        return mlp_build(g, (enum mlp_op)min, in, NULL, mlp_shape_scalar());
    }
    mlp_id above_lo = mlp_unary(g, MLP_OP_RELU, mlp_sub(g, x, lo));
    mlp_id above_hi = mlp_unary(g, MLP_OP_RELU, mlp_sub(g, x, hi));
    return mlp_sub(g, mlp_add(g, lo, above_lo), above_hi);
}

static mlp_id normalise_input(struct scan *sc, mlp_graph *g, struct header *h, mlp_id x)
{
    for (int i = 0; i < h->nin; i++)
        if (!(h->min[i] <= h->max[i]) || h->range[i] == 0) {
            fail(sc, NULL, "input %d: minimum %s above maximum %s or range 0: cannot normalise",
                 i + 1, h->tmin[i], h->tmax[i]);
            return MLP_NONE;
        }
    if (h->range[h->nin] == 0) {
        fail(sc, NULL, "the output range is 0: cannot de-normalise");
        return MLP_NONE;
    }
    mlp_id lo = const_vector(g, "x_min", h->nin, h->min, h->tmin);
    mlp_id hi = const_vector(g, "x_max", h->nin, h->max, h->tmax);
    mlp_id mean = const_vector(g, "x_mean", h->nin, h->mean, h->tmean);
    mlp_id range = const_vector(g, "x_range", h->nin, h->range, h->trange);
    mlp_id xn = mlp_div(g, mlp_sub(g, clamp(g, x, lo, hi), mean), range);
    mlp_graph_define(g, "x_norm", xn, MLP_NOLOC);
    return xn;
}

static mlp_id denormalise_output(mlp_graph *g, struct header *h, mlp_id y)
{
    mlp_id mean = mlp_graph_declare(g, MLP_CONST, "y_mean", mlp_shape_scalar(),
                                    &h->mean[h->nin], &h->tmean[h->nin], MLP_NOLOC);
    mlp_id range = mlp_graph_declare(g, MLP_CONST, "y_range", mlp_shape_scalar(),
                                     &h->range[h->nin], &h->trange[h->nin], MLP_NOLOC);
    return mlp_add(g, mlp_mul(g, y, range), mean);
}

/* The layers: z_i = W_i @ h_{i-1} + b_i, h_i = relu(z_i), and the last z is the output. */
static mlp_id layers(struct scan *sc, mlp_graph *g, struct header *h, mlp_id in)
{
    mlp_id cur = in;
    for (int l = 1; l <= h->nlayers && cur != MLP_NONE; l++) {
        char wname[32], bname[32], zname[32];
        snprintf(wname, sizeof wname, "W%d", l);
        snprintf(bname, sizeof bname, "b%d", l);
        int rows = h->size[l], cols = h->size[l - 1];
        mlp_id w = read_param(sc, g, wname, mlp_shape_2d(rows, cols), rows, cols, "weights", l);
        mlp_id b = w == MLP_NONE ? MLP_NONE
                                 : read_param(sc, g, bname, mlp_shape_1d(rows), rows, 1, "bias", l);
        if (b == MLP_NONE)
            return MLP_NONE;
        mlp_id z = mlp_add(g, mlp_matmul(g, w, cur), b);
        if (l == h->nlayers)
            return z;
        snprintf(zname, sizeof zname, "z%d", l);
        mlp_graph_define(g, zname, z, MLP_NOLOC);
        snprintf(zname, sizeof zname, "h%d", l);
        cur = mlp_unary(g, MLP_OP_RELU, z);
        mlp_graph_define(g, zname, cur, MLP_NOLOC);
    }
    return cur;
}

static bool build(struct scan *sc, mlp_graph *g, struct header *h, int flags)
{
    mlp_id x = mlp_graph_declare(g, MLP_INPUT, "x", mlp_shape_1d(h->nin), NULL, NULL, MLP_NOLOC);
    if ((flags & MLP_LOAD_NNET_NORMALIZE) && x != MLP_NONE)
        x = normalise_input(sc, g, h, x);
    mlp_id y = x == MLP_NONE ? MLP_NONE : layers(sc, g, h, x);
    if (y != MLP_NONE && (flags & MLP_LOAD_NNET_NORMALIZE))
        y = denormalise_output(g, h, y);
    if (y == MLP_NONE)
        return false;
    const char *p, *e;
    if (next_line(sc, &p, &e))
        return fail(sc, p, "unexpected data after the last layer's biases");
    int nm = mlp_graph_define(g, "y", y, MLP_NOLOC);
    mlp_xreserve(&g->outputs, &g->capoutputs, g->noutputs + 1, sizeof *g->outputs);
    g->outputs[g->noutputs++] = nm;
    return true;
}

mlp_graph *mlp_nnet_parse(const char *text, size_t len, const char *file, int flags,
                          int64_t max_values, mlp_error *err)
{
    mlp_error local;
    if (!err)
        err = &local;
    mlp_error_clear(err);
    struct scan sc = {.file = file, .s = text, .len = len, .err = err};
    if (memchr(text, 0, len))
        return fail(&sc, NULL, "the file contains a NUL byte (not a .nnet text file?)"), NULL;
    struct header h = {0};
    mlp_graph *g = NULL;
    if (read_header(&sc, &h)) {
        g = mlp_graph_new(file);
        g->max_values = max_values;
        if (!build(&sc, g, &h, flags) && !mlp_failed(err))
            *err = g->err;
    }
    header_free(&h);
    if (mlp_failed(err)) {
        mlp_error_attach_source(err, text);
        mlp_graph_free(g);
        return NULL;
    }
    g->loc = MLP_NOLOC;
    return g;
}
