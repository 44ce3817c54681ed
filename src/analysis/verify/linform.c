/* linform.c - affine forms over exact rationals, and boxes of inputs. */
#include "analysis/verify/linform.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <stdlib.h>

void vbox_init(struct vbox *b, int n)
{
    b->n = n;
    b->lo = vq_array_new(n);
    b->hi = vq_array_new(n);
    b->has_lo = mlp_xcalloc((size_t)n + 1, sizeof *b->has_lo);
    b->has_hi = mlp_xcalloc((size_t)n + 1, sizeof *b->has_hi);
}

void vbox_free(struct vbox *b)
{
    vq_array_free(b->lo, b->n);
    vq_array_free(b->hi, b->n);
    free(b->has_lo);
    free(b->has_hi);
}

void vbox_restrict(struct vbox *b, int i, const mpq_t lo, const mpq_t hi)
{
    if (!b->has_lo[i] || mpq_cmp(lo, b->lo[i]) > 0)
        mpq_set(b->lo[i], lo);
    if (!b->has_hi[i] || mpq_cmp(hi, b->hi[i]) < 0)
        mpq_set(b->hi[i], hi);
    b->has_lo[i] = b->has_hi[i] = true;
}

bool vbox_empty(const struct vbox *b, int *i)
{
    for (*i = 0; *i < b->n; (*i)++)
        if (b->has_lo[*i] && b->has_hi[*i] && mpq_cmp(b->lo[*i], b->hi[*i]) > 0)
            return true;
    return false;
}

void vbox_point(const struct vbox *b, mpq_t *x)
{
    for (int i = 0; i < b->n; i++) {
        mpq_set_ui(x[i], 0, 1);
        if (b->has_lo[i] && mpq_sgn(b->lo[i]) > 0)
            mpq_set(x[i], b->lo[i]);
        if (b->has_hi[i] && mpq_sgn(b->hi[i]) < 0)
            mpq_set(x[i], b->hi[i]);
    }
}

bool vbox_contains(const struct vbox *b, const mpq_t *x)
{
    for (int i = 0; i < b->n; i++)
        if ((b->has_lo[i] && mpq_cmp(x[i], b->lo[i]) < 0) ||
            (b->has_hi[i] && mpq_cmp(x[i], b->hi[i]) > 0))
            return false;
    return true;
}

void lin_zero(int n, mpq_t *f)
{
    for (int i = 0; i <= n; i++)
        mpq_set_ui(f[i], 0, 1);
}

void lin_var(int n, mpq_t *f, int i)
{
    lin_zero(n, f);
    mpq_set_ui(f[1 + i], 1, 1);
}

void lin_copy(int n, mpq_t *dst, const mpq_t *src)
{
    for (int i = 0; i <= n; i++)
        mpq_set(dst[i], src[i]);
}

void lin_addmul(int n, mpq_t *dst, const mpq_t *a, const mpq_t k)
{
    if (mpq_sgn(k) == 0)
        return;
    mpq_t t;
    mpq_init(t);
    for (int i = 0; i <= n; i++)
        if (mpq_sgn(a[i])) {
            mpq_mul(t, a[i], k);
            mpq_add(dst[i], dst[i], t);
        }
    mpq_clear(t);
}

void lin_add(int n, mpq_t *dst, const mpq_t *a, const mpq_t *b, int s)
{
    for (int i = 0; i <= n; i++)
        (s > 0 ? mpq_add : mpq_sub)(dst[i], a[i], b[i]);
}

void lin_scale(int n, mpq_t *dst, const mpq_t *a, const mpq_t k)
{
    for (int i = 0; i <= n; i++)
        mpq_mul(dst[i], a[i], k);
}

bool lin_is_const(int n, const mpq_t *f)
{
    for (int i = 1; i <= n; i++)
        if (mpq_sgn(f[i]))
            return false;
    return true;
}

void lin_eval(int n, const mpq_t *f, const mpq_t *x, mpq_t out)
{
    mpq_t t;
    mpq_init(t);
    mpq_set(out, f[0]);
    for (int i = 0; i < n; i++)
        if (mpq_sgn(f[1 + i])) {
            mpq_mul(t, f[1 + i], x[i]);
            mpq_add(out, out, t);
        }
    mpq_clear(t);
}

bool lin_box_extreme(const mpq_t *f, const struct vbox *b, int dir, mpq_t out)
{
    mpq_t t;
    mpq_init(t);
    mpq_set(out, f[0]);
    bool bounded = true;
    for (int i = 0; i < b->n && bounded; i++) {
        int s = mpq_sgn(f[1 + i]) * dir; /* > 0: the extreme is at the upper end */
        if (s == 0)
            continue;
        bounded = s > 0 ? b->has_hi[i] : b->has_lo[i];
        if (bounded) {
            mpq_mul(t, f[1 + i], s > 0 ? b->hi[i] : b->lo[i]);
            mpq_add(out, out, t);
        }
    }
    mpq_clear(t);
    return bounded;
}

void lin_box_signs(const mpq_t *f, const struct vbox *b, bool *ge0, bool *gt0, bool *le0,
                   bool *lt0)
{
    mpq_t v;
    mpq_init(v);
    bool has_min = lin_box_extreme(f, b, -1, v);
    *ge0 = has_min && mpq_sgn(v) >= 0;
    *gt0 = has_min && mpq_sgn(v) > 0;
    bool has_max = lin_box_extreme(f, b, +1, v);
    *le0 = has_max && mpq_sgn(v) <= 0;
    *lt0 = has_max && mpq_sgn(v) < 0;
    mpq_clear(v);
}

/* ---- affine forms with an error interval ---- */

void af_zero(int n, struct vaf d)
{
    lin_zero(n, d.f);
    mpq_set_ui(d.lo, 0, 1);
    mpq_set_ui(d.hi, 0, 1);
    *d.unb = false;
}

void af_copy(int n, struct vaf d, struct vaf a)
{
    lin_copy(n, d.f, a.f);
    mpq_set(d.lo, a.lo);
    mpq_set(d.hi, a.hi);
    *d.unb = *a.unb;
}

void af_add(int n, struct vaf d, struct vaf a, struct vaf b, int s)
{
    lin_add(n, d.f, a.f, b.f, s);
    /* a - b: [alo - bhi, ahi - blo]; written to temporaries first, d may alias a */
    mpq_t lo, hi;
    mpq_inits(lo, hi, NULL);
    (s > 0 ? mpq_add : mpq_sub)(lo, a.lo, s > 0 ? b.lo : b.hi);
    (s > 0 ? mpq_add : mpq_sub)(hi, a.hi, s > 0 ? b.hi : b.lo);
    mpq_swap(d.lo, lo);
    mpq_swap(d.hi, hi);
    mpq_clears(lo, hi, NULL);
    *d.unb = *a.unb || *b.unb;
}

/* [lo, hi] * k into [out_lo, out_hi] (k < 0 swaps the ends); the outputs may alias the inputs. */
static void scale_interval(mpq_ptr out_lo, mpq_ptr out_hi, mpq_srcptr lo, mpq_srcptr hi,
                           const mpq_t k)
{
    mpq_t a, b;
    mpq_inits(a, b, NULL);
    mpq_mul(a, lo, k);
    mpq_mul(b, hi, k);
    bool neg = mpq_sgn(k) < 0;
    mpq_swap(out_lo, neg ? b : a);
    mpq_swap(out_hi, neg ? a : b);
    mpq_clears(a, b, NULL);
}

void af_scale(int n, struct vaf d, struct vaf a, const mpq_t k)
{
    bool unb = *a.unb && mpq_sgn(k) != 0; /* 0 times anything is 0 */
    lin_scale(n, d.f, a.f, k);
    scale_interval(d.lo, d.hi, a.lo, a.hi, k);
    *d.unb = unb;
}

void af_range(int n, struct vaf a, const struct vbox *box, mpq_t lo, mpq_t hi, bool *has_lo,
              bool *has_hi)
{
    if (!box) { /* no box: only a constant is bounded */
        *has_lo = *has_hi = !*a.unb && lin_is_const(n, a.f);
        mpq_set(lo, a.f[0]);
        mpq_set(hi, a.f[0]);
    } else {
        *has_lo = !*a.unb && lin_box_extreme(a.f, box, -1, lo);
        *has_hi = !*a.unb && lin_box_extreme(a.f, box, +1, hi);
    }
    if (*has_lo)
        mpq_add(lo, lo, a.lo);
    if (*has_hi)
        mpq_add(hi, hi, a.hi);
}

/* d's interval += [clo, chi] * [rlo, rhi] (the least and greatest of the four products). */
static void add_interval_product(struct vaf d, mpq_srcptr clo, mpq_srcptr chi, const mpq_t rlo,
                                 const mpq_t rhi)
{
    mpq_t p[4];
    for (int i = 0; i < 4; i++)
        mpq_init(p[i]);
    mpq_mul(p[0], clo, rlo);
    mpq_mul(p[1], clo, rhi);
    mpq_mul(p[2], chi, rlo);
    mpq_mul(p[3], chi, rhi);
    int lo = 0, hi = 0;
    for (int i = 1; i < 4; i++) {
        lo = mpq_cmp(p[i], p[lo]) < 0 ? i : lo;
        hi = mpq_cmp(p[i], p[hi]) > 0 ? i : hi;
    }
    mpq_add(d.lo, d.lo, p[lo]);
    mpq_add(d.hi, d.hi, p[hi]);
    for (int i = 0; i < 4; i++)
        mpq_clear(p[i]);
}

void af_addmul(int n, struct vaf d, struct vaf c, struct vaf a, const struct vbox *box)
{
    /* (c0 + [clo, chi]) (f + [alo, ahi]) = c0 f + c0 [alo, ahi] + [clo, chi] (f + [alo, ahi]) */
    if (*c.unb) {
        *d.unb = true;
        return;
    }
    const mpq_srcptr c0 = c.f[0];
    if (mpq_sgn(c0) != 0) {
        lin_addmul(n, d.f, a.f, c0);
        mpq_t lo, hi;
        mpq_inits(lo, hi, NULL);
        scale_interval(lo, hi, a.lo, a.hi, c0);
        mpq_add(d.lo, d.lo, lo);
        mpq_add(d.hi, d.hi, hi);
        mpq_clears(lo, hi, NULL);
        *d.unb = *d.unb || *a.unb;
    }
    if (mpq_sgn(c.lo) == 0 && mpq_sgn(c.hi) == 0)
        return;
    mpq_t rlo, rhi;
    mpq_inits(rlo, rhi, NULL);
    bool has_lo, has_hi;
    af_range(n, a, box, rlo, rhi, &has_lo, &has_hi);
    if (has_lo && has_hi)
        add_interval_product(d, c.lo, c.hi, rlo, rhi);
    else
        *d.unb = true;
    mpq_clears(rlo, rhi, NULL);
}
