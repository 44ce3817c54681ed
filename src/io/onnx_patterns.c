/* onnx_patterns.c - groups of ONNX nodes that are one mlp op. Opsets before 20 have no Gelu,
 * so exporters (PyTorch, and mlp's own) write gelu(x) = x * 0.5 * (1 + erf(x / sqrt 2)) as
 *
 *   d = Div(x, sqrt 2)   e = Erf(d)   a = Add(e, 1)   m = Mul(x, a)   y = Mul(m, 0.5)
 *
 * (the constants from Constant nodes or initializers, the operands of Add and Mul in either
 * order). When every intermediate value is used only by the next node of the chain, the first
 * four nodes are skipped and the last one imports as gelu(x).
 */
#include "io/onnx_import.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Which node writes each value, and how many node inputs read it (and the last that does). */
struct uses {
    const char **name;
    int *producer, *count, *consumer;
    int cap;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int slot(struct uses *u, const char *name)
{
    int k = (int)(hash(name) & (uint64_t)(u->cap - 1));
    while (u->name[k] && strcmp(u->name[k], name))
        k = (k + 1) & (u->cap - 1);
    if (!u->name[k]) {
        u->name[k] = name;
        u->producer[k] = u->consumer[k] = -1;
    }
    return k;
}

static void uses_build(struct uses *u, const struct onnx_model *m)
{
    int total = 1 + m->noutput;
    for (int i = 0; i < m->nnode; i++)
        total += m->node[i].nin + m->node[i].nout;
    for (u->cap = 16; u->cap < 2 * total; u->cap *= 2)
        ;
    u->name = mlp_xcalloc((size_t)u->cap, sizeof *u->name);
    u->producer = mlp_xcalloc((size_t)u->cap, sizeof *u->producer);
    u->count = mlp_xcalloc((size_t)u->cap, sizeof *u->count);
    u->consumer = mlp_xcalloc((size_t)u->cap, sizeof *u->consumer);
    for (int i = 0; i < m->nnode; i++) {
        for (int k = 0; k < m->node[i].nout; k++)
            u->producer[slot(u, m->node[i].out[k])] = i;
        for (int k = 0; k < m->node[i].nin; k++) {
            int s = slot(u, m->node[i].in[k]);
            u->count[s]++;
            u->consumer[s] = i;
        }
    }
    for (int o = 0; o < m->noutput; o++) /* a graph output is a use no pattern may hide */
        if (m->output[o].name)
            u->count[slot(u, m->output[o].name)] += 2;
}

static void uses_free(struct uses *u)
{
    free(u->name);
    free(u->producer);
    free(u->count);
    free(u->consumer);
}

static const struct onnx_node *node_of(const struct importer *im, int i)
{
    return i >= 0 ? &im->m->node[i] : NULL;
}

/* The node reading value `name` when it is its only reader, and it has op `op`. */
static int only_consumer(struct uses *u, const struct importer *im, const char *name,
                         const char *op)
{
    int s = slot(u, name);
    const struct onnx_node *n = node_of(im, u->consumer[s]);
    return u->count[s] == 1 && n && n->op && !strcmp(n->op, op) && n->nin == 2 && n->nout >= 1
               ? u->consumer[s] : -1;
}

/* Whether value `name` is a constant scalar equal to v (to float32 precision). */
static bool const_is(struct uses *u, struct importer *im, const char *name, double v)
{
    const struct onnx_tensor *t = NULL;
    for (int i = 0; i < im->m->ninit && !t; i++)
        if (im->m->init[i].name && !strcmp(im->m->init[i].name, name))
            t = &im->m->init[i];
    const struct onnx_node *c = node_of(im, u->producer[slot(u, name)]);
    if (!t && c && c->op && !strcmp(c->op, "Constant")) {
        const struct onnx_attr *a = onnx_attr(c, "value");
        if (a && a->t)
            t = a->t;
        else if ((a = onnx_attr(c, "value_float")))
            return fabs(a->f - v) <= 1e-6 * fabs(v);
    }
    return t && t->size == 1 && fabs(t->values[0] - v) <= 1e-6 * fabs(v);
}

/* The other input of a two-input node, given one of them; NULL if `one` is neither. */
static const char *other(const struct onnx_node *n, const char *one)
{
    return !strcmp(n->in[0], one) ? n->in[1] : !strcmp(n->in[1], one) ? n->in[0] : NULL;
}

static void match_gelu(struct importer *im, struct uses *u, int erf)
{
    const struct onnx_node *e = &im->m->node[erf];
    if (e->nin != 1 || e->nout != 1)
        return;
    int di = u->producer[slot(u, e->in[0])];
    const struct onnx_node *d = node_of(im, di);
    if (!d || !d->op || strcmp(d->op, "Div") || d->nin != 2 || u->count[slot(u, e->in[0])] != 1 ||
        !const_is(u, im, d->in[1], sqrt(2.0)))
        return;
    const char *x = d->in[0];
    int ai = only_consumer(u, im, e->out[0], "Add");
    const char *one = ai >= 0 ? other(&im->m->node[ai], e->out[0]) : NULL;
    if (!one || !const_is(u, im, one, 1))
        return;
    int mi = only_consumer(u, im, im->m->node[ai].out[0], "Mul");
    const char *x2 = mi >= 0 ? other(&im->m->node[mi], im->m->node[ai].out[0]) : NULL;
    if (!x2 || strcmp(x2, x))
        return;
    int yi = only_consumer(u, im, im->m->node[mi].out[0], "Mul");
    const char *half = yi >= 0 ? other(&im->m->node[yi], im->m->node[mi].out[0]) : NULL;
    if (!half || !const_is(u, im, half, 0.5))
        return;
    im->skip[di] = im->skip[erf] = im->skip[ai] = im->skip[mi] = true;
    im->gelu_x[yi] = x;
}

void onnx_find_patterns(struct importer *im)
{
    if (oi_op_named(im, "gelu", false) < 0)
        return; /* without mlp's gelu the Erf stays, and is reported */
    struct uses u;
    uses_build(&u, im->m);
    for (int i = 0; i < im->m->nnode; i++)
        if (im->m->node[i].op && !strcmp(im->m->node[i].op, "Erf"))
            match_gelu(im, &u, i);
    uses_free(&u);
}

/* The last node of a matched pattern: gelu of the chain's x. */
bool onnx_import_gelu(struct importer *im, const char *x)
{
    int op = oi_op_named(im, "gelu", true);
    if (op < 0)
        return false;
    struct oval *v = oi_find(im, x);
    if (!v) {
        char name[80];
        return oi_fail(im, "the GELU pattern's input '%s' is not defined by an earlier node",
                       mlp_quote(x, name, sizeof name));
    }
    struct opnd in;
    return oi_opnd_of(im, v, &in) && oi_out_like(im, mlp_unary(im->g, (enum mlp_op)op, in.id), &in);
}
