/* onnx_write.c - encode a struct onnx_model as a ModelProto (the inverse of onnx_read.c for
 * the fields it reads). Float tensors are written as float32 raw_data, integer ones as int64
 * raw_data, little-endian as ONNX requires; every value info carries a tensor type and shape
 * (a dimension of -1 is written as the symbolic batch "N").
 */
#include "io/onnx.h"
#include "io/protobuf.h"

#include <stdlib.h>
#include <string.h>

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void write_tensor(struct pb_writer *w, const struct onnx_tensor *t)
{
    for (int d = 0; d < t->rank; d++)
        pb_put_uint(w, 1, (uint64_t)t->dims[d]);
    pb_put_uint(w, 2, (uint64_t)t->dtype);
    if (t->name)
        pb_put_string(w, 8, t->name);
    size_t es = t->dtype == ONNX_FLOAT ? 4 : 8;
    uint8_t *raw = malloc((size_t)(t->size ? t->size : 1) * es);
    if (!raw)
        abort(); /* sized by a model already in memory, as the writer's own buffers are */
    for (int64_t i = 0; i < t->size; i++) {
        uint64_t bits;
        if (t->dtype == ONNX_FLOAT) {
            float f = (float)t->values[i];
            uint32_t b;
            memcpy(&b, &f, sizeof b);
            bits = b;
        } else if (t->dtype == ONNX_DOUBLE) {
            memcpy(&bits, &t->values[i], sizeof bits);
        } else {
            bits = (uint64_t)(int64_t)t->values[i];
        }
        put_le(raw + (size_t)i * es, bits, (int)es);
    }
    pb_put_bytes(w, 9, raw, (size_t)t->size * es);
    free(raw);
}

static void write_attr(struct pb_writer *w, const struct onnx_attr *a)
{
    pb_put_string(w, 1, a->name);
    pb_put_uint(w, 20, (uint64_t)a->type);
    struct pb_writer sub = {0};
    switch (a->type) {
    case ONNX_ATTR_FLOAT:
        pb_put_float(w, 2, (float)a->f);
        break;
    case ONNX_ATTR_INT:
        pb_put_uint(w, 3, (uint64_t)a->i);
        break;
    case ONNX_ATTR_STRING:
        pb_put_string(w, 4, a->s);
        break;
    case ONNX_ATTR_TENSOR:
        write_tensor(&sub, a->t);
        pb_put_message(w, 5, &sub);
        break;
    case ONNX_ATTR_FLOATS:
        for (int i = 0; i < a->nfloats; i++)
            pb_put_float(w, 7, (float)a->floats[i]);
        break;
    case ONNX_ATTR_INTS:
        for (int i = 0; i < a->nints; i++)
            pb_put_uint(w, 8, (uint64_t)a->ints[i]);
        break;
    default:
        break;
    }
}

static void write_node(struct pb_writer *w, const struct onnx_node *n)
{
    for (int i = 0; i < n->nin; i++)
        pb_put_string(w, 1, n->in[i]);
    for (int i = 0; i < n->nout; i++)
        pb_put_string(w, 2, n->out[i]);
    if (n->name)
        pb_put_string(w, 3, n->name);
    pb_put_string(w, 4, n->op);
    for (int i = 0; i < n->nattr; i++) {
        struct pb_writer a = {0};
        write_attr(&a, &n->attr[i]);
        pb_put_message(w, 5, &a);
    }
}

static void write_value(struct pb_writer *w, const struct onnx_value *v)
{
    struct pb_writer type = {0}, tensor = {0}, shape = {0};
    pb_put_string(w, 1, v->name);
    pb_put_uint(&tensor, 1, (uint64_t)v->elem);
    for (int d = 0; d < v->rank; d++) {
        struct pb_writer dim = {0};
        if (v->dims[d] < 0)
            pb_put_string(&dim, 2, "N");
        else
            pb_put_uint(&dim, 1, (uint64_t)v->dims[d]);
        pb_put_message(&shape, 1, &dim);
    }
    if (v->rank >= 0)
        pb_put_message(&tensor, 2, &shape);
    pb_put_message(&type, 1, &tensor);
    pb_put_message(w, 2, &type);
}

void onnx_write(const struct onnx_model *m, struct pb_writer *w)
{
    struct pb_writer g = {0}, opset = {0};
    pb_put_uint(w, 1, (uint64_t)m->ir_version);
    pb_put_string(w, 2, "mlp");
    for (int i = 0; i < m->nnode; i++) {
        struct pb_writer n = {0};
        write_node(&n, &m->node[i]);
        pb_put_message(&g, 1, &n);
    }
    pb_put_string(&g, 2, m->graph_name ? m->graph_name : "mlp");
    for (int i = 0; i < m->ninit; i++) {
        struct pb_writer t = {0};
        write_tensor(&t, &m->init[i]);
        pb_put_message(&g, 5, &t);
    }
    for (int i = 0; i < m->ninput; i++) {
        struct pb_writer v = {0};
        write_value(&v, &m->input[i]);
        pb_put_message(&g, 11, &v);
    }
    for (int i = 0; i < m->noutput; i++) {
        struct pb_writer v = {0};
        write_value(&v, &m->output[i]);
        pb_put_message(&g, 12, &v);
    }
    pb_put_message(w, 7, &g);
    pb_put_string(&opset, 1, "");
    pb_put_uint(&opset, 2, (uint64_t)m->opset);
    pb_put_message(w, 8, &opset);
}
