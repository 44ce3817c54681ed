/* output.c - printing values as numbers and nested lists, in text or JSON. */
#include "cli/cli.h"

#include <math.h>

static void print_number(FILE *f, double v, bool json)
{
    char buf[32];
    if (json && !isfinite(v))
        fputs("null", f);
    else
        fputs(mlp_format_double(v, buf), f);
}

static void print_nested(FILE *f, const double **v, int axis, int rank, const int *dims, bool json)
{
    if (axis == rank) {
        print_number(f, *(*v)++, json);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < dims[axis]; i++) {
        if (i)
            fputs(", ", f);
        print_nested(f, v, axis + 1, rank, dims, json);
    }
    fputc(']', f);
}

void cli_print_value(FILE *f, const double *v, int batch, int rank, const int *dims, bool json)
{
    int all[MLP_MAX_RANK + 1], n = 0;
    if (batch > 0)
        all[n++] = batch;
    for (int i = 0; i < rank; i++)
        all[n++] = dims[i];
    print_nested(f, &v, 0, n, all, json);
}

void cli_print_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}
