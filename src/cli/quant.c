/* quant.c - the int8 paths of `mlp export` and `mlp eval`: calibration data and quantisation. */
#include "cli/cli.h"

int cli_export_c_int8(const struct cli_args *a, const mlp_model *m, const char *out, char **header,
                      char **source)
{
    (void)m, (void)out, (void)header, (void)source;
    return cli_usage_error(a, "--quantize int8 is not built yet");
}
