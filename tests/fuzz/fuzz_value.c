/* fuzz_value.c - value literals: `--set NAME=VALUE`, i.e. mlp_parse_value.
 *
 * The first byte picks the shape: bits 0-1 the rank (0 to 3), then two bits per dimension
 * (sizes 1 to 4). The rest of the input, up to a NUL byte, is the literal.
 * For text that does not parse: an input error positioned inside the text.
 * For text that parses: every value is finite, and the values written back as a literal (in
 * shortest round-trip form) parse to the same bits.
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "base/strbuf.h"

#define WHERE "--set v"

static void write_nested(const double *v, int rank, const int *dims, int axis, size_t *at,
                         mlp_strbuf *out)
{
    char buf[32];
    if (axis == rank) {
        mlp_sb_puts(out, mlp_format_double(v[(*at)++], buf));
        return;
    }
    mlp_sb_putc(out, '[');
    for (int i = 0; i < dims[axis]; i++) {
        if (i)
            mlp_sb_puts(out, ", ");
        write_nested(v, rank, dims, axis + 1, at, out);
    }
    mlp_sb_putc(out, ']');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int rank = data[0] & 3, dims[MLP_MAX_RANK];
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        dims[i] = 1 + ((data[0] >> (2 + 2 * i)) & 3);
        n *= (size_t)dims[i];
    }
    char *text = fuzz_cstr(data + 1, size - 1);
    double values[64], again[64];
    mlp_error err = {0};
    if (mlp_parse_value(text, rank, dims, values, WHERE, &err) != MLP_OK) {
        fuzz_check_error(&err, text, strlen(text), WHERE);
        free(text);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(isfinite(values[i]), "value %zu of '%s' is %g", i, text, values[i]);
    mlp_strbuf b = {0};
    size_t at = 0;
    write_nested(values, rank, dims, 0, &at, &b);
    int rc = mlp_parse_value(mlp_sb_str(&b), rank, dims, again, WHERE, &err);
    FUZZ_ASSERT(rc == MLP_OK, "'%s' (written back from '%s') does not parse: %s", mlp_sb_str(&b),
                text, err.message);
    FUZZ_ASSERT(!memcmp(values, again, n * sizeof *values), "'%s' and '%s' differ", text,
                mlp_sb_str(&b));
    mlp_sb_free(&b);
    free(text);
    return 0;
}
