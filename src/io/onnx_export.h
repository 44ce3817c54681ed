/* onnx_export.h - an mlp graph as an ONNX file (onnx_export.c). */
#ifndef MLP_IO_ONNX_EXPORT_H
#define MLP_IO_ONNX_EXPORT_H

#include <stddef.h>
#include "graph/graph.h"
#include "io/onnx.h"
#include "io/protobuf.h"

/* The ModelProto bytes of the graph's outputs (malloc'ed into *data, *len bytes): IR 8,
 * opset 17, float32. MLP_ERR_UNSUPPORTED naming the value and op that ONNX cannot hold; `file`
 * names the model in messages. */
int mlp_onnx_export(const mlp_graph *g, const char *file, unsigned char **data, size_t *len,
                    mlp_error *err);

#endif
