/* onnx.h - the parts of an ONNX ModelProto that mlp reads and writes, decoded into plain structs.
 *
 * Decoding (onnx_read.c) keeps what the importer needs: the graph's nodes (op, inputs, outputs,
 * attributes), initializers (dims, element type, values), inputs and outputs (names, element
 * types and shapes), and the default domain's opset. Field numbers follow onnx.proto (IR 3-8).
 * Tensor values are converted to doubles: exact for float32 and float64, and for integers up to
 * 2^53 (larger ones are refused: they only occur in shapes, where 2^53 is absurd anyway).
 *
 * Limits (checked before allocating): at most ONNX_MAX_DIMS dimensions; a tensor's element count
 * must match its data exactly, so a file cannot ask for more memory than it holds (the importer
 * further bounds the parameters by the model's value budget).
 */
#ifndef MLP_IO_ONNX_H
#define MLP_IO_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define ONNX_MAX_DIMS 8

/* TensorProto.DataType values mlp reads. */
enum { ONNX_FLOAT = 1, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_DOUBLE = 11 };
/* AttributeProto.AttributeType values. */
enum { ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3, ONNX_ATTR_TENSOR = 4,
       ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7 };

struct onnx_tensor {
    char *name;
    int dtype;
    int rank;
    int64_t dims[ONNX_MAX_DIMS];
    int64_t size;   /* product of dims */
    double *values; /* size values */
    size_t at;      /* offset of the tensor in the file, for messages */
};

struct onnx_attr {
    char *name;
    int type; /* 0 when the file did not say: then from the field that was set */
    double f;
    int64_t i;
    char *s;
    struct onnx_tensor *t;
    int64_t *ints;
    double *floats;
    int nints, nfloats;
};

struct onnx_node {
    char *name, *op, *domain;
    char **in, **out; /* an empty input name means "absent" (optional inputs) */
    int nin, nout;
    struct onnx_attr *attr;
    int nattr;
    size_t at;
};

struct onnx_value {
    char *name;
    int elem;      /* element type, 0 when not given */
    int rank;      /* -1 when no shape is given */
    int64_t dims[ONNX_MAX_DIMS]; /* -1: a symbolic or missing dimension (the batch) */
    size_t at;
};

struct onnx_model {
    int64_t ir_version;
    int64_t opset; /* of the default domain ("" or "ai.onnx"); 1 when none is listed */
    bool has_graph;
    char *graph_name;
    struct onnx_node *node;
    struct onnx_tensor *init;
    struct onnx_value *input, *output;
    int nnode, ninit, ninput, noutput;
};

/* Decode a ModelProto; false with err filled ("file: error: at byte N: ...") on damage. */
bool onnx_read(const uint8_t *data, size_t len, const char *file, struct onnx_model *m,
               mlp_error *err);
void onnx_model_free(struct onnx_model *m);
void onnx_tensor_free(struct onnx_tensor *t);

/* An attribute of node n by name, or NULL. */
const struct onnx_attr *onnx_attr(const struct onnx_node *n, const char *name);

/* Encode a model (onnx_write.c): the inverse of onnx_read for what it reads. */
struct pb_writer;
void onnx_write(const struct onnx_model *m, struct pb_writer *w);

#endif
