/* numfmt.c - shortest decimal text that reads back as the same double.
 *
 * Printed values must be exact to the digits shown (a model printed and parsed again is the same
 * model), yet 0.1 should print as "0.1", not "0.10000000000000001". Trying increasing numbers of
 * significant digits until strtod gives the value back yields the shortest such digits; they are
 * then laid out as Python's repr does: positionally for decimal exponents -4..15 ("100", "0.0015"),
 * in scientific notation otherwise ("1e-05", "1e+16"). */
#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *mlp_format_double(double v, char buf[32])
{
    if (isnan(v))
        return strcpy(buf, "nan");
    if (isinf(v))
        return strcpy(buf, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return strcpy(buf, signbit(v) ? "-0" : "0");
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(buf, 32, "%.*e", digits - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    snprintf(buf, 32, "%.*e", digits - 1, v);
    int exponent = atoi(strchr(buf, 'e') + 1);
    if (exponent < -4 || exponent >= 16) {
        /* %e keeps trailing zeros of the mantissa ("1.50e+20" cannot happen: digits is minimal,
         * so the last digit is nonzero); it is already the shortest scientific form. */
        return buf;
    }
    int decimals = digits - 1 - exponent;
    snprintf(buf, 32, "%.*f", decimals > 0 ? decimals : 0, v);
    return buf;
}

/* ---- float32: shortest (fast) and exact ---- */

#include "base/numfmt.h"

#include <float.h>
#include <stdint.h>

/* Lay out significant digits `dig` (n of them, no trailing zeros needed) with decimal exponent
 * `e` (the first digit's) as mlp_format_double does: positional for -4 <= e < 16, else
 * "D.DDDe+XX". `neg` prefixes '-'. Returns the length. */
static int layout(char *buf, bool neg, const char *dig, int n, int e)
{
    char *p = buf;
    if (neg)
        *p++ = '-';
    if (e < -4 || e >= 16) {
        *p++ = dig[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)n - 1);
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        int a = e < 0 ? -e : e;
        if (a >= 100)
            *p++ = (char)('0' + a / 100);
        *p++ = (char)('0' + a / 10 % 10);
        *p++ = (char)('0' + a % 10);
    } else if (e < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -e - 1; i++)
            *p++ = '0';
        memcpy(p, dig, (size_t)n);
        p += n;
    } else {
        for (int i = 0; i <= e; i++)
            *p++ = i < n ? dig[i] : '0';
        if (n > e + 1) {
            *p++ = '.';
            memcpy(p, dig + e + 1, (size_t)(n - e - 1));
            p += n - e - 1;
        }
    }
    *p = '\0';
    return (int)(p - buf);
}

/* nan, infinities and zeros, as mlp_format_double writes them; 0 for other values. */
static int special(float v, char *buf)
{
    const char *s = isnan(v) ? "nan" : isinf(v) ? (v < 0 ? "-inf" : "inf")
                    : v == 0 ? (signbit(v) ? "-0" : "0") : NULL;
    if (!s)
        return 0;
    strcpy(buf, s);
    return (int)strlen(s);
}

int mlp_format_float_slow(float v, char buf[32])
{
    int n = special(v, buf);
    if (n)
        return n;
    char e[32];
    int digits = 1;
    for (; digits < 9; digits++) {
        snprintf(e, sizeof e, "%.*e", digits - 1, (double)v);
        if (strtof(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof e, "%.*e", digits - 1, (double)v);
    /* "-D.DDDe+XX": the digits without the point, then the exponent */
    char dig[16];
    const char *p = e + (v < 0);
    int nd = 0;
    for (; *p != 'e'; p++)
        if (*p != '.')
            dig[nd++] = *p;
    return layout(buf, v < 0, dig, nd, atoi(p + 1));
}

/* Powers of ten as doubles: exact up to 1e22, correctly rounded beyond (the compiler rounds
 * each literal), so a product with one has a relative error of at most 2^-52. */
static double pow10_of(int k)
{
    static const double p[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
        1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27,
        1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41,
        1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55,
        1e56, 1e57, 1e58, 1e59, 1e60, 1e61, 1e62, 1e63, 1e64};
    return p[k];
}

/* x * 10^k, within a relative 2^-51 (|k| <= 64). */
static double scale10(double x, int k) { return k >= 0 ? x * pow10_of(k) : x / pow10_of(-k); }

/* How far a computed value t may be from the true one, in absolute terms, for values below
 * 2^31: a relative error under 2^-50 is under 2^-19; deciding only with this margin clear makes
 * every answer of the fast path certain. */
#define MARGIN 4e-6

int mlp_format_float(float v, char buf[32])
{
    int n = special(v, buf);
    if (n)
        return n;
    bool neg = v < 0;
    float a = neg ? -v : v;
    double x = a;
    double lo = (x + (double)nextafterf(a, 0)) / 2;
    double hi = a == FLT_MAX ? x + (x - (double)nextafterf(a, 0)) / 2
                             : (x + (double)nextafterf(a, INFINITY)) / 2;
    int e = (int)floor(log10(x));
    double s1 = scale10(x, -e);
    if (s1 < 1)
        e--, s1 *= 10;
    else if (s1 >= 10)
        e++, s1 /= 10;
    if (fabs(s1 - 1) < 1e-9 || fabs(s1 - 10) < 1e-8)
        return mlp_format_float_slow(v, buf); /* next to a power of ten */
    for (int d = 1; d <= 9; d++) {
        int q = e - d + 1; /* the candidate is N * 10^q */
        double s = scale10(x, -q);
        double f = s - floor(s);
        if (fabs(f - 0.5) < MARGIN)
            return mlp_format_float_slow(v, buf); /* too near a tie to round with certainty */
        uint64_t N = (uint64_t)floor(s) + (f > 0.5);
        double tl = scale10(lo, -q), th = scale10(hi, -q), dn = (double)N;
        if (fabs(dn - tl) < MARGIN || fabs(dn - th) < MARGIN)
            return mlp_format_float_slow(v, buf); /* too near a rounding boundary */
        if (!(dn > tl && dn < th))
            continue;
        int ex = e;
        char dig[16];
        int nd = 0;
        for (uint64_t t = N; t; t /= 10)
            nd++;
        for (uint64_t t = N, i = (uint64_t)nd; i-- > 0; t /= 10)
            dig[i] = (char)('0' + t % 10);
        if (nd > d) /* rounded up to 10^d: the digits of 10^(e+1) */
            ex++;
        while (nd > 1 && dig[nd - 1] == '0')
            nd--;
        return layout(buf, neg, dig, nd, ex);
    }
    return mlp_format_float_slow(v, buf);
}

bool mlp_is_float32(double v)
{
    return isfinite(v) && fabs(v) <= FLT_MAX && (double)(float)v == v;
}

char *mlp_format_exact_float(double v, char buf[MLP_EXACT_BUF])
{
    if (v == 0)
        return strcpy(buf, signbit(v) ? "-0" : "0");
    int ex;
    double f = frexp(fabs(v), &ex); /* |v| = f * 2^ex, f in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(f, 53);
    int bits = ex - 53; /* |v| = m * 2^bits */
    while (!(m & 1))
        m >>= 1, bits++;
    /* m * 2^bits with bits < 0 has exactly -bits decimals, and glibc prints them exactly */
    char full[MLP_EXACT_BUF], dig[MLP_EXACT_BUF];
    snprintf(full, sizeof full, "%.*f", bits < 0 ? -bits : 0, fabs(v));
    const char *dot = strchr(full, '.'), *nz = full + strspn(full, "0.");
    int nd = 0;
    for (const char *p = nz; *p; p++)
        if (*p != '.')
            dig[nd++] = *p;
    while (nd > 1 && dig[nd - 1] == '0') /* an integer's trailing zeros */
        nd--;
    /* the decimal exponent of the first nonzero digit */
    int ipart = dot ? (int)(dot - full) : (int)strlen(full), pos = (int)(nz - full);
    int e = pos < ipart ? ipart - pos - 1 : ipart - pos;
    layout(buf, v < 0, dig, nd, e);
    return buf;
}
