/* fuzz_onnx.c - the protobuf reader, ONNX decoding and the importer (mlp_onnx_import).
 *
 * For a file that does not import: an input error with a one-line message naming the file,
 * whose "at byte N", when given, lies in the file. For one that imports:
 *  - every input is batched and every output is named;
 *  - the printed model parses back and prints the same (mlp import is load-then-print);
 *  - exporting it to ONNX either works or names an op ONNX cannot hold; what it writes imports
 *    again, with the same inputs and outputs (export and import are inverse for what mlp
 *    writes).
 */
#include "fuzz.h"

#include <string.h>

#include "api/internal.h"
#include "io/import.h"
#include "io/onnx_export.h"

#define FILE_NAME "fuzz.onnx"
#define BUDGET ((int64_t)1 << 16)

static void check_model(const mlp_graph *g)
{
    FUZZ_ASSERT(g->noutputs > 0, "no outputs");
    for (int i = 0; i < g->nby_kind[MLP_INPUT]; i++)
        FUZZ_ASSERT(mlp_node(g, g->names[g->by_kind[MLP_INPUT][i]].node)->batched, "input %d", i);
    fuzz_check_reprint(g, BUDGET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlp_error err = {0};
    mlp_graph *g = mlp_onnx_import(data, size, FILE_NAME, 0, BUDGET, &err);
    if (!g) {
        FUZZ_ASSERT(err.status == MLP_ERR_INPUT, "status %d: %s", err.status, err.message);
        FUZZ_ASSERT(err.message[0] && !strchr(err.message, '\n'), "message '%s'", err.message);
        FUZZ_ASSERT(!strcmp(err.file, FILE_NAME), "file '%s'", err.file);
        fuzz_check_byte_position(&err, size);
        return 0;
    }
    check_model(g);
    unsigned char *bytes = NULL;
    size_t len = 0;
    mlp_error_clear(&err);
    if (mlp_onnx_export(g, "export.onnx", &bytes, &len, &err) == MLP_OK) {
        mlp_graph *back = mlp_onnx_import(bytes, len, "export.onnx", 0, 2 * BUDGET, &err);
        FUZZ_ASSERT(back, "the export does not import: %s", err.message);
        FUZZ_ASSERT(back->noutputs == g->noutputs &&
                        back->nby_kind[MLP_INPUT] == g->nby_kind[MLP_INPUT],
                    "outputs %d vs %d, inputs %d vs %d", back->noutputs, g->noutputs,
                    back->nby_kind[MLP_INPUT], g->nby_kind[MLP_INPUT]);
        check_model(back);
        mlp_graph_free(back);
        free(bytes);
    } else {
        FUZZ_ASSERT(err.status == MLP_ERR_UNSUPPORTED || err.status == MLP_ERR_INPUT,
                    "export status %d: %s", err.status, err.message);
    }
    mlp_graph_free(g);
    return 0;
}
