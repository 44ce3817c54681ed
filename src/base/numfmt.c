/* numfmt.c - shortest decimal text that reads back as the same double.
 *
 * Printed values must be exact to the digits shown (a model printed and parsed again is the same
 * model), yet 0.1 should print as "0.1", not "0.10000000000000001". Trying increasing precision
 * until strtod gives the value back yields the shortest such text. */
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
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
