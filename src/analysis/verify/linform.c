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

void lin_const(int n, mpq_t *f, const mpq_t v)
{
    lin_zero(n, f);
    mpq_set(f[0], v);
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

void lin_neg(int n, mpq_t *dst, const mpq_t *a)
{
    for (int i = 0; i <= n; i++)
        mpq_neg(dst[i], a[i]);
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

/* The least (dir = -1) or greatest (dir = +1) value of f over the box into out; false when f
 * is unbounded in that direction. */
static bool box_extreme(const mpq_t *f, const struct vbox *b, int dir, mpq_t out)
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
    bool has_min = box_extreme(f, b, -1, v);
    *ge0 = has_min && mpq_sgn(v) >= 0;
    *gt0 = has_min && mpq_sgn(v) > 0;
    bool has_max = box_extreme(f, b, +1, v);
    *le0 = has_max && mpq_sgn(v) <= 0;
    *lt0 = has_max && mpq_sgn(v) < 0;
    mpq_clear(v);
}
