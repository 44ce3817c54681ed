/* import.h - models from other tools' formats, built through the graph's smart constructors.
 *
 * Each reader turns a whole file held in memory into a graph like the parser's, or returns NULL
 * with err filled; nothing is kept from a failed read. `max_values` bounds the values of the
 * parameters and constants (MLP_MAX_MODEL_VALUES for files, less in the fuzz harnesses).
 */
#ifndef MLP_IO_IMPORT_H
#define MLP_IO_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "graph/graph.h"

/* The model formats mlp_model_load recognises. */
enum mlp_format { MLP_FORMAT_MLP, MLP_FORMAT_NNET, MLP_FORMAT_ONNX };

/* The format of a file from its content (and, where the content is ambiguous, its name):
 * ONNX when the name ends in .onnx or the data starts with a protobuf tag that no text starts
 * with; .nnet when the name ends in .nnet or the first line starts with "//" or a digit (the
 * model language starts every statement with a word); else the model language. */
enum mlp_format mlp_sniff_format(const char *path, const unsigned char *data, size_t len);

/* The Reluplex/Marabou .nnet text format (io/nnet.c). Input `x`, output `y`, weights W1, b1, ...
 * with the texts written in the file (so verify reads exactly those decimals). With
 * MLP_LOAD_NNET_NORMALIZE the file's input clamping and normalisation and its output scaling
 * are part of the model. */
mlp_graph *mlp_nnet_parse(const char *text, size_t len, const char *file, int flags,
                          int64_t max_values, mlp_error *err);

/* An ONNX ModelProto (io/onnx_import.c). */
mlp_graph *mlp_onnx_import(const unsigned char *data, size_t len, const char *file, int flags,
                           int64_t max_values, mlp_error *err);

#endif
