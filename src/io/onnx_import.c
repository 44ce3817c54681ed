#include "io/import.h"
mlp_graph *mlp_onnx_import(const unsigned char *data, size_t len, const char *file, int flags,
                           int64_t max_values, mlp_error *err)
{
    (void)data; (void)len; (void)flags; (void)max_values;
    mlp_fail(err, MLP_ERR_UNSUPPORTED, file, MLP_NOLOC, "ONNX import is not built yet");
    return NULL;
}
