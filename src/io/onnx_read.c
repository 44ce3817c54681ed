/* onnx_read.c - decode an ONNX ModelProto (see onnx.h) with the wire reader of protobuf.h.
 *
 * Fields mlp does not use are skipped, as protobuf readers do, so files from newer exporters
 * read; a field it uses with the wrong wire type is an error. Repeated scalars are accepted
 * packed and unpacked. A tensor's data must be exactly what its dims and type say, in one of
 * raw_data or the typed field for its type; external data and segments are refused.
 */
#include "io/onnx.h"
#include "io/protobuf.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Most elements one tensor may declare, before its data is even looked at (2^40: far beyond
 * any file, small enough that products of dims cannot overflow on the way). */
#define ONNX_MAX_ELEMENTS ((int64_t)1 << 40)

/* A string field into *dst (replacing what an earlier copy of the field left). */
static bool take_string(const struct pb_reader *r, const struct pb_field *f, const char *what,
                        char **dst)
{
    char *s = pb_string(r, f, what);
    if (!s)
        return false;
    free(*dst);
    *dst = s;
    return true;
}

static bool push_string(const struct pb_reader *r, const struct pb_field *f, const char *what,
                        char ***list, int *n, int *cap)
{
    char *s = pb_string(r, f, what);
    if (!s)
        return false;
    mlp_xreserve(list, cap, *n + 1, sizeof **list);
    (*list)[(*n)++] = s;
    return true;
}

static bool varint_field(const struct pb_reader *r, const struct pb_field *f, const char *what,
                         int64_t *out)
{
    if (!pb_expect(r, f, PB_VARINT, what))
        return false;
    *out = (int64_t)f->u;
    return true;
}

/* An int32 field: protobuf writes negative int32 values as 10-byte varints. */
static bool int32_field(const struct pb_reader *r, const struct pb_field *f, const char *what,
                        int *out)
{
    int64_t v;
    if (!varint_field(r, f, what, &v))
        return false;
    if (v < INT32_MIN || v > INT32_MAX)
        return pb_fail(r, f->at, "%s is %lld, beyond 32 bits", what, (long long)v);
    *out = (int)v;
    return true;
}

static double as_float(uint64_t bits)
{
    uint32_t b = (uint32_t)bits;
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static double as_double(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* ---- tensors ---- */

/* The typed data fields, by field number, and how their elements are encoded. */
enum { F_DIMS = 1, F_TYPE = 2, F_SEGMENT = 3, F_FLOATS = 4, F_INT32S = 5, F_INT64S = 7,
       F_NAME = 8, F_RAW = 9, F_DOUBLES = 10, F_EXTERNAL = 13, F_LOCATION = 14 };

static enum pb_wire data_wire(uint32_t num)
{
    return num == F_FLOATS ? PB_I32 : num == F_DOUBLES ? PB_I64 : PB_VARINT;
}

/* The typed field holding a type's values, and the bytes per element in raw_data. */
static bool type_layout(int dtype, uint32_t *field, size_t *bytes)
{
    switch (dtype) {
    case ONNX_FLOAT:
        return *field = F_FLOATS, *bytes = 4, true;
    case ONNX_DOUBLE:
        return *field = F_DOUBLES, *bytes = 8, true;
    case ONNX_INT32:
        return *field = F_INT32S, *bytes = 4, true;
    case ONNX_INT64:
        return *field = F_INT64S, *bytes = 8, true;
    default:
        return false;
    }
}

static const char *type_name(int dtype)
{
    static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16",
                                        "int32", "int64", "string", "bool", "float16", "double",
                                        "uint32", "uint64", "complex64", "complex128",
                                        "bfloat16"};
    return dtype >= 0 && dtype < (int)(sizeof names / sizeof *names) ? names[dtype] : "unknown";
}

/* What the first pass learns about a tensor's data. */
struct tensor_scan {
    const uint8_t *raw;
    size_t rawlen;
    bool has_raw;
    size_t count[16]; /* elements per typed field number */
    size_t dims_n;
};

static bool integral_value(const struct pb_reader *r, size_t at, double v, double *out)
{
    if (fabs(v) > 9007199254740992.0)
        return pb_fail(r, at, "integer %.0f is beyond 2^53", v);
    *out = v;
    return true;
}

/* The value of one element as stored in its typed field. */
static bool typed_value(const struct pb_reader *r, size_t at, int dtype, uint32_t num,
                        uint64_t bits, double *out)
{
    if (num == F_FLOATS)
        return *out = as_float(bits), true;
    if (num == F_DOUBLES)
        return *out = as_double(bits), true;
    if (dtype == ONNX_INT32)
        return *out = (double)(int32_t)(uint32_t)bits, true;
    return integral_value(r, at, (double)(int64_t)bits, out);
}

static bool raw_value(const struct pb_reader *r, size_t at, int dtype, const uint8_t *p,
                      double *out)
{
    uint64_t bits = 0;
    int n = dtype == ONNX_FLOAT || dtype == ONNX_INT32 ? 4 : 8;
    for (int i = 0; i < n; i++)
        bits |= (uint64_t)p[i] << (8 * i);
    if (dtype == ONNX_FLOAT)
        return *out = as_float(bits), true;
    if (dtype == ONNX_DOUBLE)
        return *out = as_double(bits), true;
    if (dtype == ONNX_INT32)
        return *out = (double)(int32_t)(uint32_t)bits, true;
    return integral_value(r, at, (double)(int64_t)bits, out);
}

/* Pass 1: everything but the values; counts the elements of each typed field. */
static bool scan_tensor(struct pb_reader r, struct onnx_tensor *t, struct tensor_scan *s)
{
    struct pb_field f;
    uint64_t dims[ONNX_MAX_DIMS];
    while (pb_next(&r, &f)) {
        size_t n;
        switch (f.num) {
        case F_DIMS:
            if (!pb_count(&r, &f, PB_VARINT, "TensorProto.dims", &n))
                return false;
            if (s->dims_n + n > ONNX_MAX_DIMS)
                return pb_fail(&r, f.at, "a tensor with more than %d dimensions", ONNX_MAX_DIMS);
            if (!pb_scalars(&r, &f, PB_VARINT, "TensorProto.dims", dims, &s->dims_n))
                return false;
            break;
        case F_TYPE:
            if (!int32_field(&r, &f, "TensorProto.data_type", &t->dtype))
                return false;
            break;
        case F_NAME:
            if (!take_string(&r, &f, "TensorProto.name", &t->name))
                return false;
            break;
        case F_RAW:
            if (!pb_expect(&r, &f, PB_LEN, "TensorProto.raw_data"))
                return false;
            s->raw = f.sub.p;
            s->rawlen = (size_t)(f.sub.end - f.sub.p);
            s->has_raw = true;
            break;
        case F_FLOATS: case F_INT32S: case F_INT64S: case F_DOUBLES:
            if (!pb_count(&r, &f, data_wire(f.num), "TensorProto data", &n))
                return false;
            s->count[f.num] += n;
            break;
        case F_SEGMENT:
            return pb_fail(&r, f.at, "segmented tensors are not supported");
        case F_EXTERNAL:
            return pb_fail(&r, f.at, "tensor data in external files is not supported (save the "
                                     "model with its data inside the .onnx file)");
        case F_LOCATION:
            if (f.wire == PB_VARINT && f.u != 0)
                return pb_fail(&r, f.at, "tensor data in external files is not supported");
            break;
        default:
            break;
        }
    }
    if (mlp_failed(r.err))
        return false;
    t->rank = (int)s->dims_n;
    t->size = 1;
    for (int d = 0; d < t->rank; d++) {
        if (dims[d] > (uint64_t)ONNX_MAX_ELEMENTS || t->size * (int64_t)(dims[d] ? dims[d] : 1) >
                                                         ONNX_MAX_ELEMENTS)
            return pb_fail(&r, t->at, "tensor dimensions are too large");
        t->dims[d] = (int64_t)dims[d];
        t->size *= t->dims[d];
    }
    return true;
}

/* Pass 2: the values, from raw_data or the typed field for the tensor's type. */
static bool tensor_values(struct pb_reader r, struct onnx_tensor *t, const struct tensor_scan *s)
{
    uint32_t field;
    size_t bytes;
    char name[80];
    mlp_quote(t->name ? t->name : "", name, sizeof name);
    if (!type_layout(t->dtype, &field, &bytes))
        return pb_fail(&r, t->at, "tensor '%s' holds %s values; mlp reads float, double, int32 "
                                  "and int64", name, type_name(t->dtype));
    size_t typed = s->count[field];
    size_t have = s->has_raw ? s->rawlen : typed * bytes;
    if ((s->has_raw && typed) || have != (size_t)t->size * bytes)
        return pb_fail(&r, t->at, "tensor '%s' has %lld elements but %s", name,
                       (long long)t->size, s->has_raw && typed ? "both raw and typed data"
                       : s->has_raw ? "raw data of another size" : "a different number of values");
    t->values = malloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
    if (!t->values) {
        mlp_fail(r.err, MLP_ERR_NOMEM, r.file, MLP_NOLOC, "out of memory for tensor '%s'", name);
        return false;
    }
    if (s->has_raw) {
        for (int64_t i = 0; i < t->size; i++)
            if (!raw_value(&r, t->at, t->dtype, s->raw + (size_t)i * bytes, &t->values[i]))
                return false;
        return true;
    }
    size_t n = 0;
    struct pb_field f;
    uint64_t *bits = malloc((typed ? typed : 1) * sizeof *bits);
    if (!bits) {
        mlp_fail(r.err, MLP_ERR_NOMEM, r.file, MLP_NOLOC, "out of memory for tensor '%s'", name);
        return false;
    }
    bool ok = true;
    while (ok && pb_next(&r, &f)) {
        if (f.num != field)
            continue;
        size_t start = n;
        ok = pb_scalars(&r, &f, data_wire(f.num), "TensorProto data", bits, &n);
        for (size_t i = start; ok && i < n; i++)
            ok = typed_value(&r, f.at, t->dtype, f.num, bits[i], &t->values[i]);
    }
    free(bits);
    return ok && !mlp_failed(r.err);
}

static bool read_tensor(const struct pb_reader *parent, const struct pb_field *in,
                        struct onnx_tensor *t)
{
    memset(t, 0, sizeof *t);
    t->at = in->at;
    if (!pb_expect(parent, in, PB_LEN, "a tensor"))
        return false;
    struct tensor_scan s = {0};
    return scan_tensor(in->sub, t, &s) && tensor_values(in->sub, t, &s);
}

void onnx_tensor_free(struct onnx_tensor *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->values);
}

/* ---- attributes, nodes, value infos ---- */

static bool read_attr(const struct pb_reader *parent, const struct pb_field *in,
                      struct onnx_attr *a)
{
    if (!pb_expect(parent, in, PB_LEN, "NodeProto.attribute"))
        return false;
    struct pb_reader r = in->sub;
    struct pb_field f;
    int capi = 0, capf = 0;
    while (pb_next(&r, &f)) {
        size_t n = 0, k;
        switch (f.num) {
        case 1:
            if (!take_string(&r, &f, "AttributeProto.name", &a->name))
                return false;
            break;
        case 20:
            if (!int32_field(&r, &f, "AttributeProto.type", &a->type))
                return false;
            break;
        case 2:
            if (!pb_expect(&r, &f, PB_I32, "AttributeProto.f"))
                return false;
            a->f = as_float(f.u);
            break;
        case 3:
            if (!varint_field(&r, &f, "AttributeProto.i", &a->i))
                return false;
            break;
        case 4:
            if (!take_string(&r, &f, "AttributeProto.s", &a->s))
                return false;
            break;
        case 5:
            if (a->t)
                onnx_tensor_free(a->t);
            else
                a->t = mlp_xcalloc(1, sizeof *a->t);
            if (!read_tensor(&r, &f, a->t))
                return false;
            break;
        case 7:
        case 8: {
            enum pb_wire w = f.num == 7 ? PB_I32 : PB_VARINT;
            const char *what = f.num == 7 ? "AttributeProto.floats" : "AttributeProto.ints";
            if (!pb_count(&r, &f, w, what, &n))
                return false;
            uint64_t *bits = mlp_xmalloc((n ? n : 1) * sizeof *bits);
            k = 0;
            bool ok = pb_scalars(&r, &f, w, what, bits, &k);
            for (size_t i = 0; ok && i < k; i++) {
                if (f.num == 7) {
                    mlp_xreserve(&a->floats, &capf, a->nfloats + 1, sizeof *a->floats);
                    a->floats[a->nfloats++] = as_float(bits[i]);
                } else {
                    mlp_xreserve(&a->ints, &capi, a->nints + 1, sizeof *a->ints);
                    a->ints[a->nints++] = (int64_t)bits[i];
                }
            }
            free(bits);
            if (!ok)
                return false;
            break;
        }
        default:
            break;
        }
    }
    return !mlp_failed(r.err);
}

static void attr_free(struct onnx_attr *a)
{
    free(a->name);
    free(a->s);
    onnx_tensor_free(a->t);
    free(a->t);
    free(a->ints);
    free(a->floats);
}

static bool read_node(const struct pb_reader *parent, const struct pb_field *in,
                      struct onnx_node *n)
{
    memset(n, 0, sizeof *n);
    n->at = in->at;
    if (!pb_expect(parent, in, PB_LEN, "GraphProto.node"))
        return false;
    struct pb_reader r = in->sub;
    struct pb_field f;
    int capin = 0, capout = 0, capattr = 0;
    while (pb_next(&r, &f)) {
        bool ok = true;
        switch (f.num) {
        case 1:
            ok = push_string(&r, &f, "NodeProto.input", &n->in, &n->nin, &capin);
            break;
        case 2:
            ok = push_string(&r, &f, "NodeProto.output", &n->out, &n->nout, &capout);
            break;
        case 3:
            ok = take_string(&r, &f, "NodeProto.name", &n->name);
            break;
        case 4:
            ok = take_string(&r, &f, "NodeProto.op_type", &n->op);
            break;
        case 7:
            ok = take_string(&r, &f, "NodeProto.domain", &n->domain);
            break;
        case 5:
            mlp_xreserve(&n->attr, &capattr, n->nattr + 1, sizeof *n->attr);
            memset(&n->attr[n->nattr], 0, sizeof *n->attr);
            ok = read_attr(&r, &f, &n->attr[n->nattr++]);
            break;
        default:
            break;
        }
        if (!ok)
            return false;
    }
    return !mlp_failed(r.err);
}

static void node_free(struct onnx_node *n)
{
    free(n->name);
    free(n->op);
    free(n->domain);
    for (int i = 0; i < n->nin; i++)
        free(n->in[i]);
    for (int i = 0; i < n->nout; i++)
        free(n->out[i]);
    free(n->in);
    free(n->out);
    for (int i = 0; i < n->nattr; i++)
        attr_free(&n->attr[i]);
    free(n->attr);
}

/* TensorShapeProto: its dims (a dim_param or a missing value reads as -1). */
static bool read_shape(struct pb_reader r, struct onnx_value *v)
{
    struct pb_field f, g;
    v->rank = 0;
    while (pb_next(&r, &f)) {
        if (f.num != 1)
            continue;
        if (!pb_expect(&r, &f, PB_LEN, "TensorShapeProto.dim"))
            return false;
        if (v->rank == ONNX_MAX_DIMS)
            return pb_fail(&r, f.at, "a shape with more than %d dimensions", ONNX_MAX_DIMS);
        int64_t d = -1;
        struct pb_reader dim = f.sub;
        while (pb_next(&dim, &g))
            if (g.num == 1 && !varint_field(&dim, &g, "Dimension.dim_value", &d))
                return false;
        if (mlp_failed(r.err))
            return false;
        v->dims[v->rank++] = d;
    }
    return !mlp_failed(r.err);
}

/* TypeProto -> tensor_type -> elem_type and shape; other kinds leave elem at -1. */
static bool read_type(struct pb_reader r, struct onnx_value *v)
{
    struct pb_field f, g;
    v->elem = -1;
    while (pb_next(&r, &f)) {
        if (f.num != 1)
            continue;
        if (!pb_expect(&r, &f, PB_LEN, "TypeProto.tensor_type"))
            return false;
        v->elem = 0;
        struct pb_reader t = f.sub;
        while (pb_next(&t, &g)) {
            if (g.num == 1 && !int32_field(&t, &g, "TypeProto.Tensor.elem_type", &v->elem))
                return false;
            if (g.num == 2 && (!pb_expect(&t, &g, PB_LEN, "TypeProto.Tensor.shape") ||
                               !read_shape(g.sub, v)))
                return false;
        }
        if (mlp_failed(r.err))
            return false;
    }
    return !mlp_failed(r.err);
}

static bool read_value(const struct pb_reader *parent, const struct pb_field *in,
                       struct onnx_value *v)
{
    memset(v, 0, sizeof *v);
    v->rank = -1;
    v->at = in->at;
    if (!pb_expect(parent, in, PB_LEN, "a graph input or output"))
        return false;
    struct pb_reader r = in->sub;
    struct pb_field f;
    while (pb_next(&r, &f)) {
        if (f.num == 1 && !take_string(&r, &f, "ValueInfoProto.name", &v->name))
            return false;
        if (f.num == 2 && (!pb_expect(&r, &f, PB_LEN, "ValueInfoProto.type") ||
                           !read_type(f.sub, v)))
            return false;
    }
    return !mlp_failed(r.err);
}

/* ---- graph and model ---- */

struct caps {
    int node, init, input, output;
};

static bool read_graph(const struct pb_reader *parent, const struct pb_field *in,
                       struct onnx_model *m, struct caps *c)
{
    if (!pb_expect(parent, in, PB_LEN, "ModelProto.graph"))
        return false;
    m->has_graph = true;
    struct pb_reader r = in->sub;
    struct pb_field f;
    while (pb_next(&r, &f)) {
        bool ok = true;
        switch (f.num) {
        case 1:
            mlp_xreserve(&m->node, &c->node, m->nnode + 1, sizeof *m->node);
            ok = read_node(&r, &f, &m->node[m->nnode]);
            m->nnode++; /* counted even when damaged, so that free releases it */
            break;
        case 2:
            ok = take_string(&r, &f, "GraphProto.name", &m->graph_name);
            break;
        case 5:
            mlp_xreserve(&m->init, &c->init, m->ninit + 1, sizeof *m->init);
            ok = read_tensor(&r, &f, &m->init[m->ninit]);
            m->ninit++;
            break;
        case 11:
        case 12: {
            bool input = f.num == 11;
            struct onnx_value **list = input ? &m->input : &m->output;
            int *n = input ? &m->ninput : &m->noutput;
            mlp_xreserve(list, input ? &c->input : &c->output, *n + 1, sizeof **list);
            ok = read_value(&r, &f, &(*list)[*n]);
            (*n)++;
            break;
        }
        case 15:
            return pb_fail(&r, f.at, "sparse initializers are not supported");
        default:
            break;
        }
        if (!ok)
            return false;
    }
    return !mlp_failed(r.err);
}

static bool read_opset(const struct pb_reader *parent, const struct pb_field *in,
                       struct onnx_model *m)
{
    if (!pb_expect(parent, in, PB_LEN, "ModelProto.opset_import"))
        return false;
    struct pb_reader r = in->sub;
    struct pb_field f;
    char *domain = NULL;
    int64_t version = 0;
    bool ok = true;
    while (ok && pb_next(&r, &f)) {
        if (f.num == 1)
            ok = take_string(&r, &f, "OperatorSetIdProto.domain", &domain);
        else if (f.num == 2)
            ok = varint_field(&r, &f, "OperatorSetIdProto.version", &version);
    }
    ok = ok && !mlp_failed(r.err);
    if (ok && (!domain || !*domain || !strcmp(domain, "ai.onnx")))
        m->opset = version;
    free(domain);
    return ok;
}

bool onnx_read(const uint8_t *data, size_t len, const char *file, struct onnx_model *m,
               mlp_error *err)
{
    memset(m, 0, sizeof *m);
    m->opset = 1;
    struct pb_reader r = pb_reader_init(data, len, file, err);
    struct pb_field f;
    struct caps c = {0};
    bool ok = true;
    while (ok && pb_next(&r, &f)) {
        if (f.num == 1)
            ok = varint_field(&r, &f, "ModelProto.ir_version", &m->ir_version);
        else if (f.num == 8)
            ok = read_opset(&r, &f, m);
        else if (f.num == 7)
            ok = read_graph(&r, &f, m, &c);
    }
    return ok && !mlp_failed(err);
}

void onnx_model_free(struct onnx_model *m)
{
    for (int i = 0; i < m->nnode; i++)
        node_free(&m->node[i]);
    for (int i = 0; i < m->ninit; i++)
        onnx_tensor_free(&m->init[i]);
    for (int i = 0; i < m->ninput; i++)
        free(m->input[i].name);
    for (int i = 0; i < m->noutput; i++)
        free(m->output[i].name);
    free(m->node);
    free(m->init);
    free(m->input);
    free(m->output);
    free(m->graph_name);
    memset(m, 0, sizeof *m);
}

const struct onnx_attr *onnx_attr(const struct onnx_node *n, const char *name)
{
    for (int i = n->nattr - 1; i >= 0; i--) /* the last of repeated attributes wins */
        if (n->attr[i].name && !strcmp(n->attr[i].name, name))
            return &n->attr[i];
    return NULL;
}
