/* onnx_import.c - an ONNX model as an mlp graph, built through the smart constructors.
 *
 * The graph's inputs that are not initializers become `input`s whose first dimension is the
 * batch; initializers become `param`s (with their exact values: a float32 is a double exactly)
 * and Constant nodes `const`s, declared when an op first uses them. Nodes are imported in file
 * order (ONNX requires a topological order, so a use before its definition, a cycle included,
 * is an error). Node outputs that a person would name get a name: graph outputs, values used
 * more than once, and the results of activations; a chain of linear ops reads as one statement
 * (W @ x + b). ONNX names become identifiers by the rule in onnx_name below.
 */
#include "io/onnx_import.h"
#include "io/import.h"
#include "base/mem.h"
#include "lang/parser.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_IR 3
#define MAX_IR 10
#define MIN_OPSET 7
#define MAX_OPSET 17
#define MAX_NAME_LEN 200 /* before a _N suffix; the language allows 256 */

/* ---- the value table ---- */

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int slot(const struct importer *im, const char *name)
{
    int mask = im->tcap - 1, k = (int)(hash(name) & (uint64_t)mask);
    while (im->table[k] >= 0 && strcmp(im->v[im->table[k]].name, name))
        k = (k + 1) & mask;
    return k;
}

static struct oval *find(struct importer *im, const char *name)
{
    if (!im->tcap)
        return NULL;
    int k = slot(im, name);
    return im->table[k] >= 0 ? &im->v[im->table[k]] : NULL;
}

struct oval *oi_find(struct importer *im, const char *name) { return find(im, name); }

/* A new value named `name` (which must not exist yet). */
static struct oval *add_value(struct importer *im, const char *name)
{
    if (2 * (im->nv + 1) > im->tcap) {
        int old = im->tcap;
        im->tcap = old ? 2 * old : 64;
        free(im->table);
        im->table = mlp_xmalloc((size_t)im->tcap * sizeof *im->table);
        for (int i = 0; i < im->tcap; i++)
            im->table[i] = -1;
        for (int i = 0; i < im->nv; i++)
            im->table[slot(im, im->v[i].name)] = i;
    }
    mlp_xreserve(&im->v, &im->capv, im->nv + 1, sizeof *im->v);
    struct oval *v = &im->v[im->nv];
    memset(v, 0, sizeof *v);
    v->name = mlp_xstrdup(name);
    v->id = MLP_NONE;
    v->nm = -1;
    im->table[slot(im, name)] = im->nv++;
    return v;
}

/* ---- messages ---- */

static const char *quoted(const char *s, char *buf, size_t size)
{
    return mlp_quote(s ? s : "", buf, size);
}

bool oi_fail(struct importer *im, const char *fmt, ...)
{
    char msg[400], name[80], op[48];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->node)
        mlp_fail(im->err, MLP_ERR_INPUT, im->file, MLP_NOLOC, "node '%s' (%s, at byte %zu): %s",
                 quoted(im->node->name, name, sizeof name), quoted(im->node->op, op, sizeof op),
                 im->node->at, msg);
    else
        mlp_fail(im->err, MLP_ERR_INPUT, im->file, MLP_NOLOC, "%s", msg);
    return false;
}

bool oi_check(struct importer *im, mlp_id id)
{
    if (id != MLP_NONE)
        return true;
    if (mlp_failed(im->err))
        return false;
    return oi_fail(im, "%s", im->g->err.status ? im->g->err.message : "cannot build this node");
}

/* ---- names ---- */

static bool reserved(const char *s)
{
    static const char *const words[] = {"input", "param", "const", "output", "loss",
                                        "and",   "or",    "not",   "in"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcmp(s, words[i]))
            return true;
    return mlp_op_lookup(s, (int)strlen(s)) >= 0;
}

/* The identifier for an ONNX name: letters, digits and '_' are kept, each run of other bytes
 * becomes one '_' (none at the start), a leading digit gets a '_' in front, an empty result is
 * "v", at most MAX_NAME_LEN characters; a keyword, a function name or a name already taken gets
 * the first free suffix _2, _3, ...  ("/1/Relu_output_0" -> "_1_Relu_output_0",
 * "0.weight" -> "_0_weight", "input" -> "input_2"). */
static char *onnx_name(const mlp_graph *g, const char *s)
{
    char base[MAX_NAME_LEN + 2];
    size_t n = 0;
    bool replaced = false;
    for (; *s && n < MAX_NAME_LEN; s++) {
        bool ok = isalnum((unsigned char)*s) || *s == '_';
        if (ok) {
            if (n == 0 && isdigit((unsigned char)*s))
                base[n++] = '_';
            base[n++] = *s;
        } else if (n > 0 && !replaced) {
            base[n++] = '_';
        }
        replaced = !ok;
    }
    if (n == 0)
        base[n++] = 'v';
    base[n] = 0;
    char *out = mlp_xmalloc(n + 16);
    strcpy(out, base);
    for (int k = 2; reserved(out) || mlp_graph_find(g, out, (int)strlen(out)) >= 0; k++)
        snprintf(out, n + 16, "%s_%d", base, k);
    return out;
}

/* ---- shapes ---- */

bool oi_squeezed(struct importer *im, bool batched, int rank, const int64_t *dims, mlp_shape *out)
{
    *out = mlp_shape_scalar();
    int64_t size = 1;
    for (int d = batched ? 1 : 0; d < rank; d++) {
        if (dims[d] == 1)
            continue;
        if (dims[d] < 0 || dims[d] > INT32_MAX)
            return oi_fail(im, "dimension %d is %lld: mlp needs fixed sizes after the batch", d,
                           (long long)dims[d]);
        size *= dims[d] ? dims[d] : 1;
        if (size > INT32_MAX)
            return oi_fail(im, "more than 2^31 values per sample");
        if (out->rank == MLP_MAX_RANK)
            return oi_fail(im, "more than %d dimensions (other than 1) per sample", MLP_MAX_RANK);
        out->dim[out->rank++] = (int)dims[d];
    }
    return true;
}

mlp_id oi_scalar(struct importer *im, double v)
{
    return mlp_scalar(im->g, v);
}

/* ---- values of the current node ---- */

bool oi_has_input(const struct importer *im, int i)
{
    return i < im->node->nin && im->node->in[i][0];
}

struct oval *oi_input(struct importer *im, int i)
{
    if (!oi_has_input(im, i)) {
        oi_fail(im, "input %d is missing", i + 1);
        return NULL;
    }
    struct oval *v = find(im, im->node->in[i]);
    if (!v) {
        char name[80];
        oi_fail(im, "input '%s' is not defined by an earlier node, a graph input or an "
                    "initializer (ONNX nodes must come in topological order, without cycles)",
                quoted(im->node->in[i], name, sizeof name));
    }
    return v;
}

mlp_id oi_node(struct importer *im, struct oval *v)
{
    if (v->id != MLP_NONE || !v->t)
        return v->id;
    const struct onnx_tensor *t = v->t;
    mlp_shape s;
    if (!oi_squeezed(im, false, t->rank, t->dims, &s))
        return MLP_NONE;
    for (int64_t i = 0; i < t->size; i++)
        if (!isfinite(t->values[i])) {
            char name[80];
            oi_fail(im, "'%s' holds %s at element %lld; a model's numbers must be finite",
                    quoted(v->name, name, sizeof name), isnan(t->values[i]) ? "NaN" : "infinity",
                    (long long)i);
            return MLP_NONE;
        }
    if (!mlp_pool_fits(im->g, t->size)) {
        oi_check(im, MLP_NONE);
        return MLP_NONE;
    }
    if (v->kind == MLP_CONST && (t->size == 1 || v->anonymous)) { /* a number in the graph */
        v->id = mlp_const(im->g, s, t->values);
        oi_check(im, v->id);
        return v->id;
    }
    char *name = onnx_name(im->g, v->name);
    v->id = mlp_graph_declare(im->g, v->kind, name, s, t->values, NULL, MLP_NOLOC);
    free(name);
    oi_check(im, v->id);
    return v->id;
}

static struct oval *new_output(struct importer *im, int k)
{
    if (k >= im->node->nout || !im->node->out[k][0])
        return NULL; /* an output nobody asked for */
    if (find(im, im->node->out[k])) {
        char name[80];
        oi_fail(im, "output '%s' is already defined (ONNX values are assigned once)",
                quoted(im->node->out[k], name, sizeof name));
        return NULL;
    }
    return add_value(im, im->node->out[k]);
}

bool oi_output(struct importer *im, int k, mlp_id id, bool batched, int rank, const int64_t *dims)
{
    if (!oi_check(im, id))
        return false;
    mlp_shape want;
    if (!oi_squeezed(im, batched, rank, dims, &want))
        return false;
    const struct mlp_node *n = mlp_node(im->g, id);
    if (!mlp_shape_equal(n->shape, want) || n->batched != batched) {
        char a[64], b[64];
        mlp_shape_format(n->shape, a);
        mlp_shape_format(want, b);
        return oi_fail(im, "internal: the result has shape %s%s, expected %s%s", a,
                       n->batched ? " per sample" : "", b, batched ? " per sample" : "");
    }
    if (k >= im->node->nout || !im->node->out[k][0])
        return true;
    struct oval *v = new_output(im, k);
    if (!v)
        return false;
    v->id = id;
    v->batched = batched;
    v->rank = rank;
    memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
    return true;
}

struct onnx_tensor *oi_new_tensor(struct importer *im)
{
    /* One allocation per tensor: values point at them, so the list may move but they may not. */
    mlp_xreserve(&im->owned, &im->capowned, im->nowned + 1, sizeof *im->owned);
    struct onnx_tensor *t = mlp_xcalloc(1, sizeof *t);
    im->owned[im->nowned++] = t;
    return t;
}

struct oval *oi_scratch_value(struct importer *im, struct onnx_tensor *t)
{
    mlp_xreserve(&im->scratch, &im->capscratch, im->nscratch + 1, sizeof *im->scratch);
    struct oval *v = mlp_xcalloc(1, sizeof *v);
    im->scratch[im->nscratch++] = v;
    v->id = MLP_NONE;
    v->nm = -1;
    v->t = t;
    v->kind = MLP_CONST;
    v->anonymous = true;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, (size_t)t->rank * sizeof *t->dims);
    return v;
}

bool oi_output_const(struct importer *im, int k, struct onnx_tensor *t)
{
    if (k >= im->node->nout || !im->node->out[k][0])
        return true;
    struct oval *v = new_output(im, k);
    if (!v)
        return false;
    v->t = t;
    v->kind = MLP_CONST;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, (size_t)t->rank * sizeof *t->dims);
    return true;
}

/* ---- operands ---- */

/* A value as an operand: its node (declared on demand) and ONNX shape. */


bool oi_opnd_of(struct importer *im, struct oval *v, struct opnd *o)
{
    if (!v)
        return false;
    o->v = v;
    o->id = oi_node(im, v);
    o->batched = v->batched;
    o->rank = v->rank;
    memcpy(o->dims, v->dims, sizeof o->dims);
    return o->id != MLP_NONE;
}

bool oi_input_opnd(struct importer *im, int i, struct opnd *o)
{
    return oi_opnd_of(im, oi_input(im, i), o);
}

bool oi_out_like(struct importer *im, mlp_id id, const struct opnd *shape_of)
{
    return oi_output(im, 0, id, shape_of->batched, shape_of->rank, shape_of->dims);
}

int64_t oi_attr_int(const struct onnx_node *n, const char *name, int64_t dflt)
{
    const struct onnx_attr *a = onnx_attr(n, name);
    return a ? a->i : dflt;
}

double oi_attr_float(const struct onnx_node *n, const char *name, double dflt)
{
    const struct onnx_attr *a = onnx_attr(n, name);
    return a ? a->f : dflt;
}

struct onnx_tensor *oi_tensor_copy(struct importer *im, const struct onnx_tensor *src)
{
    struct onnx_tensor *t = oi_new_tensor(im);
    *t = *src;
    t->name = NULL;
    t->values = malloc((size_t)(src->size ? src->size : 1) * sizeof *t->values);
    if (!t->values)
        return oi_fail(im, "out of memory"), NULL;
    memcpy(t->values, src->values, (size_t)src->size * sizeof *t->values);
    return t;
}

/* The op of mlp's table called `name`, or -1 (with the error set when `required`). */
int oi_op_named(struct importer *im, const char *name, bool required)
{
    int op = mlp_op_lookup(name, (int)strlen(name));
    if (op < 0 && required)
        oi_fail(im, "this build of mlp has no '%s' op to import it as", name);
    return op;
}

mlp_id oi_build(struct importer *im, int op, const mlp_id *in, mlp_shape target)
{
    mlp_id ops[8] = {MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE,
                     MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE};
    for (int i = 0; i < mlp_op_arity((enum mlp_op)op) && i < 8; i++)
        ops[i] = in[i];
    return mlp_build(im->g, (enum mlp_op)op, ops, NULL, target);
}

/* ---- the graph ---- */

static bool check_versions(struct importer *im)
{
    const struct onnx_model *m = im->m;
    if (!m->has_graph)
        return oi_fail(im, "not an ONNX model: no graph (ModelProto field 7)");
    if (m->ir_version < MIN_IR || m->ir_version > MAX_IR)
        return oi_fail(im, "ONNX IR version %lld: mlp reads IR versions %d to %d",
                       (long long)m->ir_version, MIN_IR, MAX_IR);
    if (m->opset < MIN_OPSET || m->opset > MAX_OPSET)
        return oi_fail(im, "ONNX opset %lld: mlp reads opsets %d to %d", (long long)m->opset,
                       MIN_OPSET, MAX_OPSET);
    return true;
}

static bool add_initializers(struct importer *im)
{
    for (int i = 0; i < im->m->ninit; i++) {
        const struct onnx_tensor *t = &im->m->init[i];
        char name[80];
        if (!t->name || !t->name[0])
            return oi_fail(im, "initializer %d (at byte %zu) has no name", i + 1, t->at);
        if (find(im, t->name))
            return oi_fail(im, "initializer '%s' is given twice", quoted(t->name, name, sizeof name));
        struct oval *v = add_value(im, t->name);
        v->t = t;
        v->kind = MLP_PARAM;
        v->rank = t->rank;
        memcpy(v->dims, t->dims, (size_t)t->rank * sizeof *t->dims);
    }
    return true;
}

/* Graph inputs that are not initializers (old exporters list initializers as inputs too). */
static bool add_inputs(struct importer *im)
{
    for (int i = 0; i < im->m->ninput; i++) {
        const struct onnx_value *in = &im->m->input[i];
        char name[80];
        quoted(in->name, name, sizeof name);
        if (!in->name || !in->name[0])
            return oi_fail(im, "graph input %d (at byte %zu) has no name", i + 1, in->at);
        struct oval *v = find(im, in->name);
        if (v && v->t)
            continue;
        if (v)
            return oi_fail(im, "graph input '%s' is listed twice", name);
        if (in->elem != 1 && in->elem != 11)
            return oi_fail(im, "graph input '%s' is not a float or double tensor", name);
        if (in->rank < 1)
            return oi_fail(im, "graph input '%s' has %s; mlp needs its shape, batch first", name,
                           in->rank < 0 ? "no shape" : "rank 0 (no batch dimension)");
        mlp_shape s;
        if (!oi_squeezed(im, true, in->rank, in->dims, &s))
            return false;
        char *id = onnx_name(im->g, in->name);
        mlp_id x = mlp_graph_declare(im->g, MLP_INPUT, id, s, NULL, NULL, MLP_NOLOC);
        free(id);
        if (!oi_check(im, x))
            return false;
        v = add_value(im, in->name);
        v->id = x;
        v->batched = true;
        v->rank = in->rank;
        memcpy(v->dims, in->dims, (size_t)in->rank * sizeof *in->dims);
        v->dims[0] = -1;
    }
    return true;
}

/* Whether an ONNX name is the "OP:ID" that mlp's exporter gives values without a name. */
static bool mlp_written_anonymous(const char *name)
{
    const char *colon = strchr(name, ':');
    if (!colon || colon == name || !colon[1] || mlp_op_lookup(name, (int)(colon - name)) < 0)
        return false;
    for (const char *p = colon + 1; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

/* Whether a person would give this value a name of its own: graph outputs, values used more
 * than once, and results of nonlinear ops (activations); the linear ops (W @ x + b) chain into
 * one statement. */
static bool worth_a_name(const struct importer *im, const struct oval *v)
{
    const struct mlp_node *n = mlp_node(im->g, v->id);
    enum mlp_op_class cls = mlp_op(n->op)->cls;
    if (cls == MLP_CLASS_LEAF)
        return false; /* declared already, or an anonymous constant written inline */
    if (v->is_output || v->uses != 1)
        return true;
    if (mlp_written_anonymous(v->name))
        return false; /* mlp's exporter named a value that had no name: it gets none back */
    return cls != MLP_CLASS_LINEAR && cls != MLP_CLASS_BILINEAR && n->op != MLP_OP_DIV;
}

static void count_uses(struct importer *im)
{
    for (int i = 0; i < im->m->nnode; i++)
        for (int q = 0; q < im->m->node[i].nin; q++) {
            struct oval *v = im->m->node[i].in[q][0] ? find(im, im->m->node[i].in[q]) : NULL;
            v = v && !im->skip[i] ? v : NULL;
            if (v)
                v->uses++;
        }
    for (int o = 0; o < im->m->noutput; o++) {
        struct oval *v = im->m->output[o].name ? find(im, im->m->output[o].name) : NULL;
        if (v) {
            v->uses++;
            v->is_output = true;
        }
    }
}

/* Name the values worth a name, in the order they were made (a topological order, so every
 * statement refers only to names before it). Where several values are one node (a comparison
 * and its Cast, Identity, Flatten), the node takes the name of the last of them. A graph output
 * whose node already has a name gets its own as a second name. */
static void name_values(struct importer *im)
{
    int *last = mlp_xmalloc((size_t)(im->g->n ? im->g->n : 1) * sizeof *last);
    for (mlp_id id = 0; id < im->g->n; id++)
        last[id] = -1;
    for (int k = 0; k < im->nv; k++)
        if (im->v[k].id != MLP_NONE)
            last[im->v[k].id] = k;
    for (int k = 0; k < im->nv; k++) {
        struct oval *v = &im->v[k];
        if (v->id == MLP_NONE)
            continue;
        struct oval *who = &im->v[last[v->id]];
        if (mlp_node(im->g, v->id)->name < 0 && worth_a_name(im, who)) {
            char *name = onnx_name(im->g, who->name);
            who->nm = mlp_graph_define(im->g, name, v->id, MLP_NOLOC);
            free(name);
        }
        if (v->is_output && v->nm < 0 && mlp_node(im->g, v->id)->op != MLP_OP_INPUT &&
            mlp_node(im->g, v->id)->name >= 0 && strcmp(mlp_node_name(im->g, v->id), v->name)) {
            char *name = onnx_name(im->g, v->name);
            v->nm = mlp_graph_define(im->g, name, v->id, MLP_NOLOC);
            free(name);
        }
    }
    free(last);
}

static bool import_nodes(struct importer *im)
{
    const struct onnx_model *m = im->m;
    im->skip = mlp_xcalloc((size_t)(m->nnode ? m->nnode : 1), sizeof *im->skip);
    im->gelu_x = mlp_xcalloc((size_t)(m->nnode ? m->nnode : 1), sizeof *im->gelu_x);
    onnx_find_patterns(im);
    for (int i = 0; i < m->nnode; i++) {
        im->node = &m->node[i];
        if (im->skip[i])
            continue;
        if (!im->node->op || !im->node->op[0])
            return oi_fail(im, "the node has no op_type");
        int before = im->nv;
        if (!(im->gelu_x[i] ? onnx_import_gelu(im, im->gelu_x[i]) : onnx_import_node(im)))
            return false;
        for (int k = before; k < im->nv; k++)
            im->v[k].op = im->node->op;
    }
    im->node = NULL;
    count_uses(im);
    name_values(im);
    return true;
}

static bool add_outputs(struct importer *im)
{
    if (im->m->noutput == 0)
        return oi_fail(im, "the graph has no outputs");
    for (int i = 0; i < im->m->noutput; i++) {
        const char *on = im->m->output[i].name;
        char name[80];
        struct oval *v = on ? find(im, on) : NULL;
        if (!v)
            return oi_fail(im, "graph output '%s' is not computed by any node",
                           quoted(on, name, sizeof name));
        mlp_id id = oi_node(im, v);
        if (id == MLP_NONE)
            return false;
        int nm = v->nm >= 0 ? v->nm : mlp_node(im->g, id)->name;
        for (int o = 0; o < im->g->noutputs; o++)
            if (im->g->outputs[o] == nm)
                return oi_fail(im, "graph output '%s' is listed twice", quoted(on, name, sizeof name));
        mlp_xreserve(&im->g->outputs, &im->g->capoutputs, im->g->noutputs + 1,
                     sizeof *im->g->outputs);
        im->g->outputs[im->g->noutputs++] = nm;
    }
    return true;
}

static void importer_free(struct importer *im)
{
    for (int i = 0; i < im->nv; i++)
        free(im->v[i].name);
    free(im->v);
    free(im->table);
    free(im->skip);
    free(im->gelu_x);
    for (int i = 0; i < im->nowned; i++) {
        onnx_tensor_free(im->owned[i]);
        free(im->owned[i]);
    }
    free(im->owned);
    for (int i = 0; i < im->nscratch; i++)
        free(im->scratch[i]);
    free(im->scratch);
}

mlp_graph *mlp_onnx_import(const unsigned char *data, size_t len, const char *file, int flags,
                           int64_t max_values, mlp_error *err)
{
    mlp_error local;
    if (!err)
        err = &local;
    mlp_error_clear(err);
    struct onnx_model m;
    if (!onnx_read(data, len, file, &m, err)) {
        onnx_model_free(&m);
        return NULL;
    }
    struct importer im = {.m = &m, .file = file, .err = err, .flags = flags};
    im.g = mlp_graph_new(file);
    im.g->max_values = max_values;
    bool ok = check_versions(&im) && add_initializers(&im) && add_inputs(&im) &&
              import_nodes(&im) && add_outputs(&im);
    importer_free(&im);
    onnx_model_free(&m);
    if (!ok) {
        mlp_graph_free(im.g);
        return NULL;
    }
    im.g->loc = MLP_NOLOC;
    return im.g;
}
