/* graph.c - node storage, hash-consing, names, constants and the value pool. */
#include "graph/graph.h"
#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *intern_text(mlp_graph *g, const char *text);

mlp_graph *mlp_graph_new(const char *file)
{
    mlp_graph *g = mlp_xcalloc(1, sizeof *g);
    g->file = mlp_xstrdup(file ? file : "<model>");
    g->loss = -1;
    g->max_values = MLP_MAX_MODEL_VALUES;
    return g;
}

void mlp_graph_free(mlp_graph *g)
{
    if (!g)
        return;
    for (int64_t i = 0; i < g->cap_text_set; i++)
        free(g->text_set[i]);
    free(g->text_set);
    for (int i = 0; i < g->nnames; i++)
        free(g->names[i].text);
    free(g->nodes);
    free(g->pool);
    free(g->pool_text);
    free(g->names);
    free(g->name_table);
    for (int k = 0; k <= MLP_DEF; k++)
        free(g->by_kind[k]);
    free(g->outputs);
    free(g->table);
    free(g->file);
    free(g);
}

static void *dup_array(const void *src, size_t bytes)
{
    if (!src)
        return NULL;
    void *d = mlp_xmalloc(bytes);
    memcpy(d, src, bytes);
    return d;
}

mlp_graph *mlp_graph_clone(const mlp_graph *g)
{
    mlp_graph *c = mlp_xmalloc(sizeof *c);
    *c = *g;
    c->nodes = dup_array(g->nodes, (size_t)g->cap * sizeof *g->nodes);
    c->pool = dup_array(g->pool, (size_t)g->cappool * sizeof *g->pool);
    c->pool_text = NULL;
    c->text_set = NULL;
    c->ntexts = c->cap_text_set = 0;
    if (g->pool_text) {
        c->pool_text = mlp_xcalloc((size_t)g->cappool, sizeof *c->pool_text);
        for (int64_t i = 0; i < g->npool; i++)
            c->pool_text[i] = g->pool_text[i] ? intern_text(c, g->pool_text[i]) : NULL;
    }
    c->names = dup_array(g->names, (size_t)g->capnames * sizeof *g->names);
    for (int i = 0; i < g->nnames; i++)
        c->names[i].text = mlp_xstrdup(g->names[i].text);
    c->name_table = dup_array(g->name_table, (size_t)g->name_table_cap * sizeof *g->name_table);
    for (int k = 0; k <= MLP_DEF; k++)
        c->by_kind[k] = dup_array(g->by_kind[k], (size_t)g->capby_kind[k] * sizeof *g->by_kind[k]);
    c->outputs = dup_array(g->outputs, (size_t)g->capoutputs * sizeof *g->outputs);
    c->table = dup_array(g->table, (size_t)g->table_cap * sizeof *g->table);
    c->file = mlp_xstrdup(g->file);
    c->ctx = NULL;
    mlp_error_clear(&c->err);
    return c;
}

mlp_id mlp_graph_fail(mlp_graph *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(&g->err, MLP_ERR_INPUT, g->file, g->loc, fmt, ap);
    va_end(ap);
    return MLP_NONE;
}

/* The expression's text on one line, as messages are: comments dropped, each run of blanks,
 * line breaks and `\` continuations written as one space, at most 80 characters. */
void mlp_graph_context(const mlp_graph *g, enum mlp_op op, char *buf, size_t size)
{
    if (!g->ctx || g->ctxlen <= 0) {
        snprintf(buf, size, "%s", mlp_op_name(op));
        return;
    }
    char text[84];
    size_t n = 0;
    bool blank = false;
    for (int i = 0; i < g->ctxlen && n < 80; i++) {
        char c = g->ctx[i];
        if (c == '#')
            while (i + 1 < g->ctxlen && g->ctx[i + 1] != '\n')
                i++;
        if (c == '#' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
            (c == '\\' && i + 1 < g->ctxlen && g->ctx[i + 1] == '\n')) {
            blank = true;
            continue;
        }
        if (blank && n > 0)
            text[n++] = ' ';
        blank = false;
        text[n++] = c;
    }
    text[n] = 0;
    snprintf(buf, size, "'%s'", text);
}

/* ---- literal texts ---- */

static uint64_t hash_text(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

/* The slot holding `text` in the set, or the empty slot where it belongs. */
static int64_t text_slot(const mlp_graph *g, const char *text)
{
    int64_t mask = g->cap_text_set - 1;
    int64_t k = (int64_t)(hash_text(text, strlen(text)) & (uint64_t)mask);
    while (g->text_set[k] && strcmp(g->text_set[k], text))
        k = (k + 1) & mask;
    return k;
}

/* The graph's copy of a text, made on first use. */
static char *intern_text(mlp_graph *g, const char *text)
{
    if (2 * (g->ntexts + 1) > g->cap_text_set) {
        int64_t old = g->cap_text_set;
        char **set = g->text_set;
        g->cap_text_set = old ? 2 * old : 64;
        g->text_set = mlp_xcalloc((size_t)g->cap_text_set, sizeof *g->text_set);
        for (int64_t i = 0; i < old; i++)
            if (set[i])
                g->text_set[text_slot(g, set[i])] = set[i];
        free(set);
    }
    int64_t k = text_slot(g, text);
    if (!g->text_set[k]) {
        g->text_set[k] = mlp_xstrdup(text);
        g->ntexts++;
    }
    return g->text_set[k];
}

/* ---- pool ---- */

bool mlp_pool_fits(mlp_graph *g, int64_t n)
{
    if (n >= 0 && n <= g->max_values - g->npool)
        return true;
    mlp_graph_fail(g, "model too large: its parameters and constants would hold %lld values, "
                      "more than the %lld allowed", (long long)(g->npool + n),
                   (long long)g->max_values);
    return false;
}

int64_t mlp_pool_append(mlp_graph *g, const double *values, char *const *texts, int64_t n)
{
    if (!mlp_pool_fits(g, n))
        return -1;
    if (g->npool + n > g->cappool) {
        int64_t cap = g->cappool ? g->cappool : 256;
        while (cap < g->npool + n)
            cap *= 2;
        double *pool = realloc(g->pool, (size_t)cap * sizeof *pool);
        if (!pool) {
            mlp_graph_fail(g, "out of memory for %lld values", (long long)cap);
            return -1;
        }
        g->pool = pool;
        if (g->pool_text) {
            g->pool_text = mlp_xrealloc(g->pool_text, (size_t)cap * sizeof *g->pool_text);
            memset(g->pool_text + g->cappool, 0, (size_t)(cap - g->cappool) * sizeof *g->pool_text);
        }
        g->cappool = cap;
    }
    int64_t off = g->npool;
    if (values)
        memcpy(g->pool + off, values, (size_t)n * sizeof *values);
    else
        memset(g->pool + off, 0, (size_t)n * sizeof *g->pool);
    if (texts) {
        if (!g->pool_text)
            g->pool_text = mlp_xcalloc((size_t)g->cappool, sizeof *g->pool_text);
        for (int64_t i = 0; i < n; i++)
            g->pool_text[off + i] = texts[i] ? intern_text(g, texts[i]) : NULL;
    }
    g->npool += n;
    return off;
}

/* ---- hash-consing ---- */

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL + (h >> 29); }

static uint64_t hash_node(const mlp_graph *g, const struct mlp_node *n, const double *values)
{
    uint64_t h = mix(0xcbf29ce484222325ULL, (uint64_t)n->op);
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        h = mix(h, (uint64_t)(uint32_t)n->in[i]);
    for (int i = 0; i < MLP_MAX_ATTR; i++)
        h = mix(h, (uint64_t)(uint32_t)n->attr[i]);
    h = mix(h, (uint64_t)n->shape.rank);
    for (int i = 0; i < n->shape.rank; i++)
        h = mix(h, (uint64_t)n->shape.dim[i]);
    if (n->op == MLP_OP_CONST) {
        int64_t size = mlp_shape_size(n->shape);
        for (int64_t i = 0; i < size; i++) {
            uint64_t bits;
            memcpy(&bits, &values[i], sizeof bits);
            h = mix(h, bits);
        }
    }
    (void)g;
    /* Finalise (MurmurHash3's fmix64): the table uses the low bits, and constants 1, 2, 3, ...
     * differ only in the high bits of their doubles, which mix() never moves down. Without
     * this, 20000 statements `a = f(x) * k` collided into one probe sequence: quadratic. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static bool same_node(const mlp_graph *g, const struct mlp_node *a, const struct mlp_node *b,
                      const double *b_values)
{
    if (a->op != b->op || !mlp_shape_equal(a->shape, b->shape))
        return false;
    if (memcmp(a->in, b->in, sizeof a->in) || memcmp(a->attr, b->attr, sizeof a->attr))
        return false;
    if (a->op == MLP_OP_CONST)
        return !memcmp(g->pool + a->data, b_values,
                       (size_t)mlp_shape_size(a->shape) * sizeof *b_values);
    return true;
}

static void table_insert(mlp_graph *g, mlp_id id, uint64_t h)
{
    int mask = g->table_cap - 1;
    int i = (int)(h & (uint64_t)mask);
    while (g->table[i] != MLP_NONE)
        i = (i + 1) & mask;
    g->table[i] = id;
}

static const double *node_values(const mlp_graph *g, const struct mlp_node *n)
{
    return n->op == MLP_OP_CONST ? g->pool + n->data : NULL;
}

static void table_grow(mlp_graph *g)
{
    int cap = g->table_cap ? g->table_cap * 2 : 256;
    free(g->table);
    g->table = mlp_xmalloc((size_t)cap * sizeof *g->table);
    for (int i = 0; i < cap; i++)
        g->table[i] = MLP_NONE;
    g->table_cap = cap;
    for (mlp_id id = 0; id < g->n; id++) {
        const struct mlp_node *n = &g->nodes[id];
        bool interned = n->op != MLP_OP_INPUT && n->op != MLP_OP_PARAM &&
                        !(n->op == MLP_OP_CONST && !mlp_is_anon_const(g, id));
        if (interned)
            table_insert(g, id, hash_node(g, n, node_values(g, n)));
    }
}

static mlp_id append_node(mlp_graph *g, const struct mlp_node *n)
{
    mlp_xreserve(&g->nodes, &g->cap, g->n + 1, sizeof *g->nodes);
    g->nodes[g->n] = *n;
    return g->n++;
}

/* Find an identical interned node or append this one. For constants, `values` are the values
 * and n->data is assigned when the node is new. */
static mlp_id intern(mlp_graph *g, struct mlp_node *n, const double *values)
{
    if (2 * (g->n + 1) > g->table_cap)
        table_grow(g);
    uint64_t h = hash_node(g, n, values);
    int mask = g->table_cap - 1;
    for (int i = (int)(h & (uint64_t)mask); g->table[i] != MLP_NONE; i = (i + 1) & mask)
        if (same_node(g, &g->nodes[g->table[i]], n, values))
            return g->table[i];
    if (n->op == MLP_OP_CONST) {
        n->data = mlp_pool_append(g, values, NULL, mlp_shape_size(n->shape));
        if (n->data < 0)
            return mlp_graph_fail(g, "out of memory for constant values");
    }
    mlp_id id = append_node(g, n);
    table_insert(g, id, h);
    return id;
}

static struct mlp_node blank_node(const mlp_graph *g, enum mlp_op op)
{
    struct mlp_node n;
    memset(&n, 0, sizeof n);
    n.op = op;
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        n.in[i] = MLP_NONE;
    n.data = -1;
    n.name = -1;
    n.loc = g->loc;
    return n;
}

bool mlp_prepare(mlp_graph *g, enum mlp_op op, const mlp_id *in, const int32_t *attr,
                 mlp_shape target, struct mlp_node *out)
{
    if (g->err.status != MLP_OK)
        return false;
    struct mlp_node n = blank_node(g, op);
    int arity = mlp_op_arity(op);
    for (int i = 0; i < arity; i++) {
        if (in[i] == MLP_NONE)
            return false;
        n.in[i] = in[i];
        n.batched |= g->nodes[in[i]].batched;
    }
    for (int i = 0; i < arity; i++)
        if ((mlp_op(op)->const_args >> i & 1) && g->nodes[in[i]].op != MLP_OP_CONST) {
            char ctx[100];
            mlp_graph_context(g, op, ctx, sizeof ctx);
            mlp_graph_fail(g, "%s needs a constant as argument %d in %s", mlp_op_name(op), i + 1,
                           ctx);
            return false;
        }
    if (attr)
        memcpy(n.attr, attr, sizeof n.attr);
    if (op == MLP_OP_BATCH_SUM)
        n.batched = false;
    n.shape = target;
    if (!mlp_op(op)->shape(g, &n, &n.shape))
        return false;
    if (mlp_shape_size(n.shape) > MLP_MAX_ELEMENTS) {
        mlp_graph_fail(g, "value too large: more than %lld elements", (long long)MLP_MAX_ELEMENTS);
        return false;
    }
    *out = n;
    return true;
}

mlp_id mlp_intern(mlp_graph *g, struct mlp_node *n) { return intern(g, n, NULL); }


/* ---- constants ---- */

mlp_id mlp_const(mlp_graph *g, mlp_shape shape, const double *values)
{
    if (g->err.status != MLP_OK)
        return MLP_NONE;
    struct mlp_node n = blank_node(g, MLP_OP_CONST);
    n.shape = shape;
    return intern(g, &n, values);
}

mlp_id mlp_const_fill(mlp_graph *g, mlp_shape shape, double v)
{
    int64_t size = mlp_shape_size(shape);
    if (!mlp_pool_fits(g, size))
        return MLP_NONE;
    double one[1] = {v};
    double *vals = size == 1 ? one : malloc((size_t)size * sizeof *vals);
    if (!vals)
        return mlp_graph_fail(g, "out of memory for a constant of %lld elements", (long long)size);
    for (int64_t i = 0; i < size; i++)
        vals[i] = v;
    mlp_id id = mlp_const(g, shape, vals);
    if (vals != one)
        free(vals);
    return id;
}

bool mlp_is_anon_const(const mlp_graph *g, mlp_id id)
{
    const struct mlp_node *n = &g->nodes[id];
    return n->op == MLP_OP_CONST && (n->name < 0 || g->names[n->name].kind != MLP_CONST);
}

bool mlp_is_const_value(const mlp_graph *g, mlp_id id, double v)
{
    if (id == MLP_NONE || !mlp_is_anon_const(g, id))
        return false;
    const double *x = mlp_node_values(g, id);
    int64_t size = mlp_shape_size(g->nodes[id].shape);
    for (int64_t i = 0; i < size; i++)
        if (x[i] != v)
            return false;
    return true;
}

/* Whether text is the shortest round-trip spelling of v (what the printer writes for v). */
static bool shortest_form(double v, const char *text)
{
    char buf[32];
    return !strcmp(mlp_format_double(v, buf), text);
}

void mlp_pool_set_text(mlp_graph *g, int64_t off, const char *text)
{
    if (!g->pool_text)
        g->pool_text = mlp_xcalloc((size_t)g->cappool, sizeof *g->pool_text);
    /* Constants are shared by value, so 4440956294444444444444444444 and its printed form
     * 4.4409562944444445e+27 meet in one node. Letting the more specific spelling win, in
     * either order, keeps print(parse(print(m))) == print(m). */
    const char *old = g->pool_text[off];
    if (!old || (shortest_form(g->pool[off], old) && !shortest_form(g->pool[off], text)))
        g->pool_text[off] = intern_text(g, text);
}

void mlp_pool_clear_text(mlp_graph *g, int64_t off, int64_t n)
{
    if (!g->pool_text)
        return;
    for (int64_t i = off; i < off + n; i++)
        g->pool_text[i] = NULL; /* the string stays in text_set, which owns it */
}

/* ---- names ---- */

/* The slot of the name with this text in g->name_table, or of the empty slot ending its probe. */
static int name_slot(const mlp_graph *g, const char *text, int len)
{
    int mask = g->name_table_cap - 1;
    int i = (int)(hash_text(text, (size_t)len) & (uint64_t)mask);
    for (; g->name_table[i] >= 0; i = (i + 1) & mask) {
        const char *t = g->names[g->name_table[i]].text;
        if (strlen(t) == (size_t)len && !memcmp(t, text, (size_t)len))
            return i;
    }
    return i;
}

/* Index name number `nm` (keeping an earlier name with the same text, which find returns). */
static void index_name(mlp_graph *g, int nm)
{
    if (2 * (nm + 1) > g->name_table_cap) {
        int cap = g->name_table_cap ? 2 * g->name_table_cap : 64;
        free(g->name_table);
        g->name_table = mlp_xmalloc((size_t)cap * sizeof *g->name_table);
        for (int i = 0; i < cap; i++)
            g->name_table[i] = -1;
        g->name_table_cap = cap;
        for (int i = 0; i < nm; i++)
            index_name(g, i);
    }
    const char *text = g->names[nm].text;
    int slot = name_slot(g, text, (int)strlen(text));
    if (g->name_table[slot] < 0)
        g->name_table[slot] = nm;
}

static int add_name(mlp_graph *g, const char *text, mlp_id node, mlp_kind kind, mlp_srcloc loc)
{
    mlp_xreserve(&g->names, &g->capnames, g->nnames + 1, sizeof *g->names);
    struct mlp_name *nm = &g->names[g->nnames];
    memset(nm, 0, sizeof *nm);
    nm->text = mlp_xstrdup(text);
    nm->node = node;
    nm->kind = kind;
    nm->loc = loc;
    if (g->nodes[node].name < 0)
        g->nodes[node].name = g->nnames;
    index_name(g, g->nnames);
    mlp_xreserve(&g->by_kind[kind], &g->capby_kind[kind], g->nby_kind[kind] + 1,
                 sizeof *g->by_kind[kind]);
    g->by_kind[kind][g->nby_kind[kind]++] = g->nnames;
    return g->nnames++;
}

mlp_id mlp_graph_declare(mlp_graph *g, mlp_kind kind, const char *name, mlp_shape shape,
                         const double *values, char *const *texts, mlp_srcloc loc)
{
    static const enum mlp_op op_of_kind[] = {
        [MLP_INPUT] = MLP_OP_INPUT, [MLP_PARAM] = MLP_OP_PARAM, [MLP_CONST] = MLP_OP_CONST};
    struct mlp_node n = blank_node(g, op_of_kind[kind]);
    n.loc = loc;
    n.shape = shape;
    n.batched = kind == MLP_INPUT;
    if (kind != MLP_INPUT) {
        n.data = mlp_pool_append(g, values, texts, mlp_shape_size(shape));
        if (n.data < 0)
            return mlp_graph_fail(g, "out of memory for the values of '%s'", name);
    }
    mlp_id id = append_node(g, &n);
    add_name(g, name, id, kind, loc);
    return id;
}

int mlp_graph_define(mlp_graph *g, const char *name, mlp_id node, mlp_srcloc loc)
{
    return add_name(g, name, node, MLP_DEF, loc);
}

int mlp_graph_add_name(mlp_graph *g, const char *name, mlp_id node, mlp_kind kind, mlp_srcloc loc)
{
    return add_name(g, name, node, kind, loc);
}

void mlp_graph_clear_names(mlp_graph *g)
{
    for (int i = 0; i < g->nnames; i++)
        free(g->names[i].text);
    g->nnames = 0;
    for (int i = 0; i < g->name_table_cap; i++)
        g->name_table[i] = -1;
    for (int k = 0; k <= MLP_DEF; k++)
        g->nby_kind[k] = 0;
    for (mlp_id id = 0; id < g->n; id++)
        g->nodes[id].name = -1;
    g->noutputs = 0;
    g->loss = -1;
}

int mlp_graph_find(const mlp_graph *g, const char *name, int len)
{
    if (g->name_table_cap == 0)
        return -1;
    return g->name_table[name_slot(g, name, len)];
}

/* ---- whole-graph helpers ---- */

void mlp_graph_ancestors(const mlp_graph *g, const mlp_id *roots, int nroots, bool *mark)
{
    memset(mark, 0, (size_t)g->n * sizeof *mark);
    for (int i = 0; i < nroots; i++)
        if (roots[i] != MLP_NONE)
            mark[roots[i]] = true;
    /* Operands precede their users, so one backward sweep suffices. */
    for (mlp_id id = g->n - 1; id >= 0; id--) {
        if (!mark[id])
            continue;
        for (int i = 0; i < mlp_op_arity(g->nodes[id].op); i++)
            mark[g->nodes[id].in[i]] = true;
    }
}

void mlp_eval_const_op(const mlp_graph *g, const struct mlp_node *n, double *out)
{
    struct mlp_kargs k;
    memset(&k, 0, sizeof k);
    k.dtype = MLP_F64;
    k.rows = 1;
    k.batch = 1;
    k.out = out;
    k.node = n;
    for (int i = 0; i < mlp_op_arity(n->op); i++) {
        k.in[i] = mlp_node_values(g, n->in[i]);
        k.inode[i] = &g->nodes[n->in[i]];
    }
    mlp_op(n->op)->forward(&k);
}
