/* export.c - the public wrappers of the model exporters (io/onnx_export.c). */
#include "api/internal.h"
#include "io/onnx_export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mlp_model_export_onnx(const mlp_model *m, const char *path, mlp_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = mlp_onnx_export(mlp_model_graph(m), path, &data, &len, err);
    if (rc != MLP_OK)
        return rc;
    if (!strcmp(path, "-")) {
        rc = fwrite(data, 1, len, stdout) == len ? MLP_OK
             : mlp_fail(err, MLP_ERR_IO, NULL, MLP_NOLOC, "write failed: %s", strerror(errno));
        free(data);
        return rc;
    }
    mlp_outfile *o = mlp_outfile_open(path, err);
    if (!o) {
        free(data);
        return err->status;
    }
    if (fwrite(data, 1, len, mlp_outfile_stream(o)) != len) {
        mlp_outfile_abort(o);
        free(data);
        return mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "write failed: %s", strerror(errno));
    }
    free(data);
    return mlp_outfile_commit(o, err);
}
