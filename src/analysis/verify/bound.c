/* bound.c - forward and backward linear relaxations with upward rounding (see bound.h).
 *
 * Compiled with -frounding-math (Makefile) so that the compiler keeps the rounding mode's
 * meaning; the mode is set on entry to each public function and restored on exit, and the
 * work is done in functions that are not inlined into the callers (a call is a barrier the
 * compiler does not move floating-point code across). */
#include "analysis/verify/bound.h"
#include "base/mem.h"

#include <fenv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static double *dalloc(size_t n) { return mlp_xcalloc(n + 1, sizeof(double)); }

void vbound_init(struct vbwork *w, const struct vdense *d, int rows)
{
    memset(w, 0, sizeof *w);
    w->d = d;
    rows = rows > 2 * d->width ? rows : 2 * d->width; /* intermediate bounds: 2 rows a unit */
    w->rows = w->arows = rows;
    size_t W = (size_t)d->width, n1 = (size_t)d->nx + 1;
    w->l = mlp_xcalloc((size_t)d->nl, sizeof *w->l);
    w->u = mlp_xcalloc((size_t)d->nl, sizeof *w->u);
    for (int i = 0; i < d->nl; i++) {
        w->l[i] = dalloc((size_t)d->L[i].out);
        w->u[i] = dalloc((size_t)d->L[i].out);
        w->units += i < d->nl - 1 ? d->L[i].out : 0;
    }
    w->U = dalloc(W * n1);
    w->Lo = dalloc(W * n1);
    w->UA = dalloc(W * n1);
    w->LA = dalloc(W * n1);
    w->G = dalloc((size_t)rows * W);
    w->H = dalloc(2 * (size_t)rows * W); /* the first layer needs both ends of G W */
    w->rub = dalloc(2 * W);
    w->slope = mlp_xcalloc((size_t)d->nl, sizeof *w->slope);
    for (int i = 0; i < d->nl - 1; i++)
        w->slope[i] = dalloc(4 * (size_t)d->L[i].out);
    w->unst = mlp_xcalloc((size_t)d->nl, sizeof *w->unst);
    w->nunst = mlp_xcalloc((size_t)d->nl, sizeof *w->nunst);
    w->live = mlp_xcalloc((size_t)d->nl, sizeof *w->live);
    w->nlive = mlp_xcalloc((size_t)d->nl, sizeof *w->nlive);
    for (int i = 0; i < d->nl; i++) {
        int n = d->L[i].out;
        w->unst[i] = mlp_xcalloc((size_t)n + 1, sizeof **w->unst);
        w->live[i] = mlp_xcalloc((size_t)n + 1, sizeof **w->live);
        for (int j = 0; j < n; j++) /* the last layer's: all (set_slopes sets the others') */
            w->live[i][w->nlive[i]++] = j;
    }
    w->cst = dalloc((size_t)rows);
    w->alpha = dalloc(W);
    w->off = mlp_xcalloc((size_t)d->nl, sizeof *w->off);
    for (int i = 1; i < d->nl; i++)
        w->off[i] = w->off[i - 1] + d->L[i - 1].out;
    size_t A = (size_t)w->arows * (size_t)w->units;
    w->hsave = dalloc(A);
    w->am = dalloc(A);
    w->av = dalloc(A);
    w->abest = dalloc(A);
    size_t wide = W > (size_t)d->nx ? W : (size_t)d->nx; /* alpha.c: a point per row */
    w->az = dalloc((size_t)w->arows * wide);
    w->aa = dalloc((size_t)w->arows * wide);
    w->aub = dalloc((size_t)w->arows);
}

void vbound_free(struct vbwork *w)
{
    for (int i = 0; w->l && i < w->d->nl; i++) {
        free(w->l[i]);
        free(w->u[i]);
    }
    for (int i = 0; w->slope && i < w->d->nl; i++) {
        free(w->slope[i]);
        free(w->unst[i]);
        free(w->live[i]);
    }
    free(w->live);
    free(w->nlive);
    free(w->slope);
    free(w->unst);
    free(w->nunst);
    free(w->l);
    free(w->u);
    free(w->U);
    free(w->Lo);
    free(w->UA);
    free(w->LA);
    free(w->G);
    free(w->H);
    free(w->cst);
    free(w->rub);
    free(w->alpha);
    free(w->off);
    free(w->hsave);
    free(w->am);
    free(w->av);
    free(w->abest);
    free(w->az);
    free(w->aa);
    free(w->aub);
    memset(w, 0, sizeof *w);
}

/* ---- forward ---- */

/* Layer 0: z = W (xl + wd t) + b, with wd = xu - xl rounded up (t in [0, 1]^n then covers the
 * box). Upper form into U, lower into Lo; row j is (const, coef_0 .. coef_{n-1}). */
static NOINLINE void forward_first(const struct vlayer *L, const double *xl, const double *xu,
                                   double *U, double *Lo)
{
    int n = L->in;
    for (int j = 0; j < L->out; j++) {
        double *u = U + (size_t)j * (n + 1), *lo = Lo + (size_t)j * (n + 1);
        double cu = L->bhi[j], cl = -L->blo[j]; /* cl accumulates -(lower) */
        for (int i = 0; i < n; i++) {
            double wl = L->wlo[(size_t)j * n + i], wh = L->whi[(size_t)j * n + i];
            double wd = xu[i] - xl[i];
            cu += fmax(wl * xl[i], wh * xl[i]);
            cl += fmax(-wl * xl[i], -wh * xl[i]);
            u[1 + i] = wh * wd;        /* >= w wd for every w <= wh, as wd >= 0 */
            lo[1 + i] = -((-wl) * wd); /* <= w wd */
        }
        u[0] = cu;
        lo[0] = -cl;
    }
}

/* Concrete bounds of forms over t in [0, 1]^n. */
static NOINLINE void concretize(int out, int n, const double *U, const double *Lo, double *l,
                                double *u)
{
    for (int j = 0; j < out; j++) {
        const double *fu = U + (size_t)j * (n + 1), *fl = Lo + (size_t)j * (n + 1);
        double su = fu[0], sl = -fl[0];
        for (int i = 1; i <= n; i++) {
            su += fmax(fu[i], 0);
            sl += fmax(-fl[i], 0);
        }
        u[j] = su;
        l[j] = -sl;
    }
}

/* Relu outputs' forms from the pre-activations' (U, Lo) and bounds. */
static NOINLINE void relax_forward(int out, int n, const double *U, const double *Lo,
                                   const double *l, const double *u, double *UA, double *LA)
{
    for (int j = 0; j < out; j++) {
        const double *fu = U + (size_t)j * (n + 1), *fl = Lo + (size_t)j * (n + 1);
        double *au = UA + (size_t)j * (n + 1), *al = LA + (size_t)j * (n + 1);
        if (u[j] <= 0) {
            memset(au, 0, (size_t)(n + 1) * sizeof *au);
            memset(al, 0, (size_t)(n + 1) * sizeof *al);
        } else if (l[j] >= 0) {
            memcpy(au, fu, (size_t)(n + 1) * sizeof *au);
            memcpy(al, fl, (size_t)(n + 1) * sizeof *al);
        } else {
            /* lam >= u / (u - l): the denominator rounded down, the quotient up */
            double lam = u[j] / -((-u[j]) + l[j]);
            for (int i = 0; i <= n; i++)
                au[i] = lam * fu[i];
            au[0] = au[0] + lam * (-l[j]);
            if (u[j] > -l[j]) /* a >= z >= Lo */
                memcpy(al, fl, (size_t)(n + 1) * sizeof *al);
            else /* a >= 0 */
                memset(al, 0, (size_t)(n + 1) * sizeof *al);
        }
    }
}

/* z = W a + b with a in [LA, UA] (a >= 0, so W's upper end bounds W a above). */
static NOINLINE void forward_layer(const struct vlayer *L, int n, const double *UA,
                                   const double *LA, double *U, double *Lo)
{
    for (int j = 0; j < L->out; j++) {
        double *u = U + (size_t)j * (n + 1), *lo = Lo + (size_t)j * (n + 1);
        for (int i = 0; i <= n; i++)
            u[i] = lo[i] = 0; /* lo accumulates -(lower) */
        u[0] = L->bhi[j];
        lo[0] = -L->blo[j];
        for (int k = 0; k < L->in; k++) {
            double wh = L->whi[(size_t)j * L->in + k], wl = L->wlo[(size_t)j * L->in + k];
            const double *su = (wh >= 0 ? UA : LA) + (size_t)k * (n + 1);
            const double *sl = (wl >= 0 ? LA : UA) + (size_t)k * (n + 1);
            if (wh != 0)
                for (int i = 0; i <= n; i++)
                    u[i] += wh * su[i];
            if (wl != 0)
                for (int i = 0; i <= n; i++)
                    lo[i] += (-wl) * sl[i];
        }
        for (int i = 0; i <= n; i++)
            lo[i] = -lo[i];
    }
}

static void refine(struct vbwork *w, int m, const double *xl, const double *xu);
static NOINLINE void relu_slopes(int n, const double *l, const double *u, double *up,
                                 double *lo, double *gl, double *gu);

/* Layer i's relaxation for the back-substitution, once its bounds are final. */
static void set_slopes(struct vbwork *w, int i)
{
    int n = w->d->L[i].out;
    double *sl = w->slope[i];
    relu_slopes(n, w->l[i], w->u[i], sl, sl + n, sl + 2 * n, sl + 3 * n);
    w->nunst[i] = w->nlive[i] = 0;
    for (int j = 0; j < n; j++) {
        if (w->l[i][j] < 0 && w->u[i][j] > 0)
            w->unst[i][w->nunst[i]++] = j;
        if (!(w->u[i][j] <= 0)) /* not dead: its coefficients can be nonzero */
            w->live[i][w->nlive[i]++] = j;
    }
}

/* Intersect layer i's bounds with the known ones (at offset *at of `known`). */
static void clamp(struct vbwork *w, int i, const double *known, int *at)
{
    int out = w->d->L[i].out;
    if (!known || i >= w->d->nl - 1)
        return;
    for (int j = 0; j < out; j++) {
        w->l[i][j] = fmax(w->l[i][j], known[*at + j]);
        w->u[i][j] = fmin(w->u[i][j], known[w->units + *at + j]);
    }
    *at += out;
}

void vbound_save(const struct vbwork *w, double *out)
{
    int at = 0;
    for (int i = 0; i < w->d->nl - 1; i++) {
        int n = w->d->L[i].out;
        memcpy(out + at, w->l[i], (size_t)n * sizeof *out);
        memcpy(out + w->units + at, w->u[i], (size_t)n * sizeof *out);
        at += n;
    }
}

const double *vbound_input_coefs(const struct vbwork *w, int r)
{
    return w->H + (size_t)r * w->d->nx;
}

void vbound_forward(struct vbwork *w, const double *xl, const double *xu, const double *known)
{
    int at = 0;
    int mode = fegetround();
    fesetround(FE_UPWARD);
    const struct vdense *d = w->d;
    int n = d->nx;
    forward_first(&d->L[0], xl, xu, w->U, w->Lo);
    concretize(d->L[0].out, n, w->U, w->Lo, w->l[0], w->u[0]);
    clamp(w, 0, known, &at);
    if (d->nl > 1)
        set_slopes(w, 0);
    for (int i = 1; i < d->nl; i++) {
        relax_forward(d->L[i - 1].out, n, w->U, w->Lo, w->l[i - 1], w->u[i - 1], w->UA, w->LA);
        forward_layer(&d->L[i], n, w->UA, w->LA, w->U, w->Lo);
        concretize(d->L[i].out, n, w->U, w->Lo, w->l[i], w->u[i]);
        clamp(w, i, known, &at);
        if (i < d->nl - 1) {
            refine(w, i, xl, xu);
            if (w->layer_hook)
                w->layer_hook(w, i, xl, xu, w->hook_ctx);
            set_slopes(w, i);
        }
    }
    fesetround(mode);
}

/* ---- backward ---- */

/* cst[r] += upper bound of G[r] . b (one end of b when the layer is exact: no branch) */
static NOINLINE void add_bias(int R, int out, const double *G, const struct vlayer *L,
                              double *cst)
{
    for (int r = 0; r < R; r++) {
        const double *g = G + (size_t)r * out;
        double s = cst[r];
        if (L->exact)
            for (int j = 0; j < out; j++)
                s += g[j] * L->bhi[j];
        else
            for (int j = 0; j < out; j++)
                s += g[j] >= 0 ? g[j] * L->bhi[j] : g[j] * L->blo[j];
        cst[r] = s;
    }
}

/* H = G W rounded up, each product with the end of W that is worse for G's sign (sgn = +1), or
 * the upper bound of (-G) W (sgn = -1). Every h[k] is a sum of upward-rounded products added
 * with upward rounding, in any order: an upper bound of the exact sum. */
static NOINLINE void back_matmul(int R, const struct vlayer *L, const double *G, double *H,
                                 int sgn, const int *live, int nlive)
{
    int in = L->in, out = L->out, r = 0;
    if (L->exact) /* four rows at a time: each row of W is loaded once for all four */
        for (; r + 4 <= R; r += 4) {
            double *h0 = H + (size_t)r * in, *h1 = h0 + in, *h2 = h1 + in, *h3 = h2 + in;
            memset(h0, 0, 4 * (size_t)in * sizeof *h0);
            const double *g = G + (size_t)r * out;
            for (int q = 0; q < nlive; q++) { /* G is 0 on the dead units */
                int j = live[q];
                double g0 = sgn * g[j], g1 = sgn * g[out + j], g2 = sgn * g[2 * out + j],
                       g3 = sgn * g[3 * out + j];
                if (g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0)
                    continue;
                const double *wr = L->whi + (size_t)j * in;
                for (int k = 0; k < in; k++) {
                    double wk = wr[k];
                    h0[k] += g0 * wk;
                    h1[k] += g1 * wk;
                    h2[k] += g2 * wk;
                    h3[k] += g3 * wk;
                }
            }
        }
    for (; r < R; r++) {
        double *h = H + (size_t)r * in;
        memset(h, 0, (size_t)in * sizeof *h);
        const double *g = G + (size_t)r * out;
        for (int j = 0; j < out; j++) {
            double gj = sgn * g[j];
            if (gj == 0)
                continue;
            const double *wr = (gj >= 0 ? L->whi : L->wlo) + (size_t)j * in;
            for (int k = 0; k < in; k++)
                h[k] += gj * wr[k];
        }
    }
}

static inline double dmax(double a, double b) { return a > b ? a : b; }

/* Per unit of a relu layer, for back_relu: the slope for a non-negative coefficient (0 dead, 1
 * active, the chord's u / (u - l) rounded up), for a negative one (0, 1, DeepPoly's 0 or 1),
 * and the ends used for the offset (0 for a stable unit: its relaxation is exact). */
static NOINLINE void relu_slopes(int n, const double *l, const double *u, double *up,
                                 double *lo, double *gl, double *gu)
{
    for (int k = 0; k < n; k++) {
        bool dead = u[k] <= 0, active = l[k] >= 0;
        up[k] = dead ? 0 : active ? 1 : u[k] / -((-u[k]) + l[k]);
        lo[k] = dead ? 0 : active ? 1 : u[k] > -l[k] ? 1 : 0;
        gl[k] = dead || active ? 0 : l[k];
        gu[k] = dead || active ? 0 : u[k];
    }
}

/* H . a for a = relu(z), z in [l, u]: the slopes into G (R x n), the offsets into cst. The
 * slopes come from relu_slopes (sl: up, lo, gl, gu, n each), or for a negative coefficient on
 * an unstable unit from row r's own alo + r astride (alo NULL: none); only the nu unstable units
 * `unst` have an offset (a stable unit's relaxation is exact). A slope may be any double: the
 * offset is the largest gap h relu(z) - s z over the kinks {l, 0, u}, rounded up. An infinite
 * coefficient there makes the offset NaN (s * 0), which proves nothing; elsewhere infinities
 * reach the bound through G. */
static NOINLINE void back_relu(int R, int n, const double *H, const double *sl, const int *unst,
                               int nu, const double *alo, size_t astride, double *G, double *cst)
{
    const double *up = sl, *lo = sl + n, *gl = sl + 2 * n, *gu = sl + 3 * n;
    for (int r = 0; r < R; r++) {
        const double *h = H + (size_t)r * n;
        double *g = G + (size_t)r * n, c = cst[r];
        for (int k = 0; k < n; k++) { /* branch-free (the signs are unpredictable): exact,
                                        * s = h, on an active unit, where up = lo = 1 */
            double hk = h[k], hp = hk > 0 ? hk : 0, hn = hk < 0 ? hk : 0;
            g[k] = hp * up[k] + hn * lo[k];
        }
        const double *ar = alo ? alo + (size_t)r * astride : NULL;
        for (int q = 0; q < nu; q++) {
            int k = unst[q];
            if (ar && h[k] < 0)
                g[k] = h[k] * ar[k];
            double hk = h[k], ms = -g[k];
            c += dmax(0, dmax(ms * gl[k], hk * gu[k] + ms * gu[k])) + (ms * 0 + hk * 0);
        }
        cst[r] = c;
    }
}

double vbound_linear_box(int n, const double *clo, const double *chi, const double *xl,
                         const double *xu)
{
    int mode = fegetround();
    fesetround(FE_UPWARD);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += fmax(fmax(clo[i] * xl[i], clo[i] * xu[i]), fmax(chi[i] * xl[i], chi[i] * xu[i]));
    fesetround(mode);
    return s;
}

/* ub[r] >= max over the box of G[r] . z_m, for the R rows in w->G (on layer m's outputs); with
 * row r's lower slopes from alpha + r units (NULL: DeepPoly's), each row's H kept in hsave. */
static void back_from(struct vbwork *w, int m, int R, const double *xl, const double *xu,
                      const double *alpha, double *ub)
{
    const struct vdense *d = w->d;
    memset(w->cst, 0, (size_t)R * sizeof *w->cst);
    for (int i = m; i >= 1; i--) {
        const struct vlayer *L = &d->L[i];
        add_bias(R, L->out, w->G, L, w->cst);
        back_matmul(R, L, w->G, w->H, +1, w->live[i], w->nlive[i]);
        const double *alo = alpha ? alpha + w->off[i - 1] : NULL;
        for (int r = 0; alpha && r < R; r++)
            memcpy(w->hsave + (size_t)r * w->units + w->off[i - 1], w->H + (size_t)r * L->in,
                   (size_t)L->in * sizeof *w->H);
        back_relu(R, L->in, w->H, w->slope[i - 1], w->unst[i - 1], w->nunst[i - 1], alo,
                  (size_t)w->units, w->G, w->cst);
    }
    const struct vlayer *L0 = &d->L[0];
    add_bias(R, L0->out, w->G, L0, w->cst);
    int *lv = w->live[0], nl = w->nlive[0];
    back_matmul(R, L0, w->G, w->H, +1, lv, nl);                     /* upper ends of G W */
    back_matmul(R, L0, w->G, w->H + (size_t)R * d->nx, -1, lv, nl); /* upper ends of -(G W) */
    for (int r = 0; r < R; r++) {
        double *hi = w->H + (size_t)r * d->nx, *lo = w->H + (size_t)(R + r) * d->nx;
        for (int k = 0; k < d->nx; k++)
            lo[k] = -lo[k]; /* exact */
        ub[r] = w->cst[r] + vbound_linear_box(d->nx, lo, hi, xl, xu); /* rounded up */
    }
}

/* Back-substitute the rows +e_j (ub[r]) and -e_j (ub[R + r]) of layer m's R units
 * unit[r], with the rows' own lower slopes (alpha, NULL: DeepPoly's). */
static void units_back(struct vbwork *w, int m, const double *xl, const double *xu, int R,
                       const int *unit, const double *alpha, double *ub)
{
    int out = w->d->L[m].out;
    memset(w->G, 0, (size_t)2 * R * out * sizeof *w->G);
    for (int r = 0; r < R; r++) {
        w->G[(size_t)r * out + unit[r]] = 1;
        w->G[(size_t)(R + r) * out + unit[r]] = -1;
    }
    w->nlive[m] = 0; /* G's nonzero columns are the rows' units (set_slopes comes later) */
    for (int r = 0; r < R; r++)
        w->live[m][w->nlive[m]++] = unit[r];
    back_from(w, m, 2 * R, xl, xu, alpha, ub);
}

/* Tighten layer m's bounds by back-substitution, for its units the forward pass left
 * unstable: rows +e_j (upper) and -e_j (lower). */
static void refine(struct vbwork *w, int m, const double *xl, const double *xu)
{
    int out = w->d->L[m].out, R = 0;
    int *unit = (int *)w->alpha; /* scratch: at most width ints fit in width doubles */
    for (int j = 0; j < out; j++)
        if (w->l[m][j] < 0 && w->u[m][j] > 0)
            unit[R++] = j;
    if (!R)
        return;
    double *ub = w->rub;
    units_back(w, m, xl, xu, R, unit, NULL, ub);
    for (int r = 0; r < R; r++) {
        int j = unit[r];
        w->u[m][j] = fmin(w->u[m][j], ub[r]);
        w->l[m][j] = fmax(w->l[m][j], -ub[R + r]);
    }
}

void vbound_units_alpha(struct vbwork *w, int m, const double *xl, const double *xu, int R,
                        const int *unit, const double *alpha, double *ub)
{
    int mode = fegetround();
    fesetround(FE_UPWARD);
    units_back(w, m, xl, xu, R, unit, alpha, ub);
    fesetround(mode);
}

void vbound_rows(struct vbwork *w, const double *xl, const double *xu, int R, const double *C,
                 double *ub)
{
    int mode = fegetround();
    fesetround(FE_UPWARD);
    memcpy(w->G, C, (size_t)R * w->d->ny * sizeof *C);
    back_from(w, w->d->nl - 1, R, xl, xu, NULL, ub);
    fesetround(mode);
}

void vbound_rows_alpha(struct vbwork *w, const double *xl, const double *xu, int R,
                       const double *C, const double *alpha, double *ub)
{
    int mode = fegetround();
    fesetround(FE_UPWARD);
    memcpy(w->G, C, (size_t)R * w->d->ny * sizeof *C);
    back_from(w, w->d->nl - 1, R, xl, xu, alpha, ub);
    fesetround(mode);
}

void vbound_default_alpha(const struct vbwork *w, double *alpha)
{
    for (int i = 0; i < w->d->nl - 1; i++) {
        int n = w->d->L[i].out;
        memcpy(alpha + w->off[i], w->slope[i] + n, (size_t)n * sizeof *alpha);
    }
}

/* The rest of an atom's bound, in upward rounding: the inputs' part over the box, the error of
 * the output coefficients times the outputs' magnitude, and the constant. */
static NOINLINE double atom_rest(const struct vbwork *w, double ub, const double *crad,
                                 const double *elo, const double *ehi, const double *xl,
                                 const double *xu, double c0)
{
    const struct vdense *d = w->d;
    double s = ub + c0;
    for (int i = 0; i < d->nx; i++)
        s += fmax(fmax(elo[i] * xl[i], elo[i] * xu[i]), fmax(ehi[i] * xl[i], ehi[i] * xu[i]));
    if (crad) {
        const double *l = w->l[d->nl - 1], *u = w->u[d->nl - 1];
        for (int j = 0; j < d->ny; j++)
            s += crad[j] * fmax(fabs(l[j]), fabs(u[j]));
    }
    return s;
}

void vbound_atoms(struct vbwork *w, const double *xl, const double *xu, int R, const double *C,
                  const double *crad, const double *elo, const double *ehi, const double *c0,
                  double *ub)
{
    vbound_rows(w, xl, xu, R, C, ub);
    vbound_atoms_rest(w, xl, xu, R, crad, elo, ehi, c0, ub);
}

void vbound_atoms_rest(const struct vbwork *w, const double *xl, const double *xu, int R,
                       const double *crad, const double *elo, const double *ehi,
                       const double *c0, double *ub)
{
    int mode = fegetround();
    fesetround(FE_UPWARD);
    const struct vdense *d = w->d;
    for (int r = 0; r < R; r++)
        ub[r] = atom_rest(w, ub[r], crad ? crad + (size_t)r * d->ny : NULL,
                          elo + (size_t)r * d->nx, ehi + (size_t)r * d->nx, xl, xu, c0[r]);
    fesetround(mode);
}
