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
