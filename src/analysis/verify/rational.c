/* rational.c - exact rationals from model literals and doubles. */
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An unsigned decimal DIGITS [. DIGITS] [e [+-] DIGITS] at *p into q; advances *p. */
static bool parse_decimal(mpq_t q, const char **p)
{
    const char *s = *p;
    mpz_t mant;
    mpz_init(mant);
    long scale = 0; /* value = mant * 10^scale */
    bool digits = false;
    for (; isdigit((unsigned char)*s); s++, digits = true) {
        mpz_mul_ui(mant, mant, 10);
        mpz_add_ui(mant, mant, (unsigned long)(*s - '0'));
    }
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++, digits = true, scale--) {
            mpz_mul_ui(mant, mant, 10);
            mpz_add_ui(mant, mant, (unsigned long)(*s - '0'));
        }
    bool ok = digits;
    if (ok && (*s == 'e' || *s == 'E')) {
        s++;
        int sign = *s == '-' ? -1 : 1;
        if (*s == '-' || *s == '+')
            s++;
        long e = 0;
        ok = isdigit((unsigned char)*s);
        for (; isdigit((unsigned char)*s); s++)
            if (e <= 10L * VQ_MAX_EXPONENT)
                e = e * 10 + (*s - '0');
        scale += sign * e;
    }
    ok = ok && labs(scale) <= 2L * VQ_MAX_EXPONENT;
    if (ok) {
        mpz_t pow;
        mpz_init(pow);
        mpz_ui_pow_ui(pow, 10, (unsigned long)labs(scale));
        mpq_set_z(q, mant);
        if (scale >= 0) {
            mpz_mul(mpq_numref(q), mpq_numref(q), pow);
        } else {
            mpz_set(mpq_denref(q), pow);
            mpq_canonicalize(q);
        }
        mpz_clear(pow);
    }
    mpz_clear(mant);
    *p = s;
    return ok;
}

bool vq_parse(mpq_t q, const char *text)
{
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (!parse_decimal(q, &p))
        return false;
    if (*p == '/') {
        p++;
        mpq_t den;
        mpq_init(den);
        bool ok = parse_decimal(den, &p) && mpq_sgn(den) != 0;
        if (ok)
            mpq_div(q, q, den);
        mpq_clear(den);
        if (!ok)
            return false;
    }
    if (neg)
        mpq_neg(q, q);
    return *p == 0;
}

bool vq_set_double(mpq_t q, double v)
{
    if (!isfinite(v))
        return false;
    mpq_set_d(q, v); /* exact: every finite double is a dyadic rational */
    return true;
}

bool vq_pool_value(mpq_t q, const mlp_graph *g, int64_t off)
{
    const char *text = g->pool_text ? g->pool_text[off] : NULL;
    double stored = g->pool[off];
    /* The parser stores the literal's double next to its text; a text is trusted only while the
     * two still agree to within rounding (a value replaced later has its text cleared anyway). */
    if (text && vq_parse(q, text)) {
        double d = mpq_get_d(q);
        if (fabs(d - stored) <= 1e-12 * fmax(fabs(d), fabs(stored)))
            return true;
    }
    return vq_set_double(q, stored);
}

void vq_round_up_dyadic(mpq_t out, const mpq_t q, unsigned bits)
{
    mpz_t num;
    mpz_init(num);
    mpz_mul_2exp(num, mpq_numref(q), bits);
    mpz_cdiv_q(num, num, mpq_denref(q)); /* ceil(q 2^bits) */
    mpq_set_z(out, num);
    mpq_div_2exp(out, out, bits);
    mpz_clear(num);
}

/* mpq_get_d truncates towards zero; one step away from zero where that lost something. */
static double vq_round(const mpq_t q, int dir)
{
    double d = mpq_get_d(q);
    mpq_t t;
    mpq_init(t);
    mpq_set_d(t, d);
    int c = mpq_cmp(q, t); /* > 0: q above d */
    mpq_clear(t);
    if (c != 0 && (c > 0) == (dir > 0))
        d = nextafter(d, dir > 0 ? INFINITY : -INFINITY);
    return d;
}

double vq_down(const mpq_t q) { return vq_round(q, -1); }
double vq_up(const mpq_t q) { return vq_round(q, +1); }

char *vq_str(const mpq_t q)
{
    char *s = mpq_get_str(NULL, 10, q);
    char *r = mlp_xstrdup(s);
    void (*gmp_free)(void *, size_t);
    mp_get_memory_functions(NULL, NULL, &gmp_free);
    gmp_free(s, strlen(s) + 1);
    return r;
}

mpq_t *vq_array_new(int64_t n)
{
    mpq_t *a = mlp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *a);
    for (int64_t i = 0; i < n; i++)
        mpq_init(a[i]);
    return a;
}

void vq_array_free(mpq_t *a, int64_t n)
{
    if (!a)
        return;
    for (int64_t i = 0; i < n; i++)
        mpq_clear(a[i]);
    free(a);
}
