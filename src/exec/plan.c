/* plan.c - scheduling, liveness-based buffer reuse, and the run loop. */
#include "exec/plan.h"
#include "base/mem.h"
#include "graph/lower.h"
#include "tensor/gemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN 64 /* cache line; also enough for any SIMD load */

struct step {
    mlp_forward_fn forward;
    struct mlp_kargs k;
    struct mlp_lowered low; /* how the step was lowered, for code generators */
    int upd, nupd;          /* the SGD updates applied right after the step: upd[upd..+nupd) */
};

/* A plain gradient-descent update w -= lr * g (mlp_plan_set_sgd): fused into the kernel that
 * computes g when it accepts that (lowered.sgd) and no later step reads w; else one loop right
 * after step `after`, the last that computes g or reads w. Either way the run's later steps see
 * the old weights and the update makes no pass of its own over g. */
struct update {
    int64_t w_off, g_off, n; /* arena byte offsets of w and g; elements */
    int after;               /* step index; -1: before any step reads either */
    bool fused;
};

struct mlp_plan {
    const mlp_graph *g;
    mlp_dtype dtype;
    int max_batch, batch;
    int nsteps;
    struct step *steps;      /* one per scheduled op node, in order */
    int64_t *offset;         /* per node: byte offset in the arena, or -1 */
    char *arena;
    size_t arena_bytes;
    mlp_gemm_ctx *gemm;      /* packing workspace for the matrix products */
    struct update *upd;      /* the loops by `after`, then the fused ones */
    int nupd;
    struct mlp_sgd_run sgd;  /* what the fused kernels read (kargs.sgd) */
};

/* ---- a first-fit allocator over arena offsets, used only while planning ---- */

struct block {
    size_t off, size;
};

struct allocator {
    struct block *free;
    int nfree, cap;
    size_t top;  /* end of the used region: blocks beyond it are free */
    size_t peak; /* the largest top ever: the arena size */
};

static size_t alloc_block(struct allocator *a, size_t size)
{
    int best = -1;
    for (int i = 0; i < a->nfree; i++)
        if (a->free[i].size >= size && (best < 0 || a->free[i].size < a->free[best].size))
            best = i;
    if (best < 0) {
        size_t off = a->top;
        a->top += size;
        if (a->top > a->peak)
            a->peak = a->top;
        return off;
    }
    size_t off = a->free[best].off;
    a->free[best].off += size;
    a->free[best].size -= size;
    if (a->free[best].size == 0)
        a->free[best] = a->free[--a->nfree];
    return off;
}

/* Return a block, merging it with free neighbours so large values can reuse small gaps. */
static void free_block(struct allocator *a, size_t off, size_t size)
{
    for (int i = 0; i < a->nfree;) {
        struct block *b = &a->free[i];
        if (b->off + b->size == off || off + size == b->off) {
            if (b->off < off)
                off = b->off;
            size += b->size;
            a->free[i] = a->free[--a->nfree];
        } else {
            i++;
        }
    }
    if (off + size == a->top) {
        a->top = off;
        return;
    }
    mlp_xreserve(&a->free, &a->cap, a->nfree + 1, sizeof *a->free);
    a->free[a->nfree++] = (struct block){off, size};
}

/* Largest arena (64 TiB); a value or plan any larger makes the plan fail with a message before
 * sizes could wrap (a 2^31-element input in batches of 2^30 would wrap size_t). */
#define MAX_VALUE_BYTES ((size_t)1 << 46)

/* Bytes of a node's buffer, rounded up to ALIGN; above MAX_VALUE_BYTES means too large. */
static size_t node_bytes(const mlp_graph *g, mlp_id id, mlp_dtype dtype, int max_batch)
{
    const struct mlp_node *n = mlp_node(g, id);
    size_t rows = n->batched ? (size_t)max_batch : 1;
    size_t elems = (size_t)mlp_shape_size(n->shape), size = mlp_dtype_size(dtype);
    if (elems > MAX_VALUE_BYTES / size / rows)
        return MAX_VALUE_BYTES + ALIGN;
    return (rows * elems * size + ALIGN - 1) / ALIGN * ALIGN;
}

static bool is_leaf(const mlp_graph *g, mlp_id id)
{
    return mlp_op(mlp_node(g, id)->op)->cls == MLP_CLASS_LEAF;
}

/* Which nodes the plan computes or holds, and how each is computed: walking back from the
 * targets through the lowered operands, so a transpose read as a view, or an outer product fused
 * into its batch_sum, is computed only if something else reads it. */
static void lower_needed(const mlp_graph *g, const struct mlp_lower_ctx *ctx,
                         const mlp_id *targets, int ntargets, bool *needed,
                         struct mlp_lowered *low)
{
    memset(needed, 0, (size_t)g->n * sizeof *needed);
    for (mlp_id id = 0; id < g->n; id++)
        low[id].arity = 0;
    for (int i = 0; i < ntargets; i++)
        if (targets[i] != MLP_NONE)
            needed[targets[i]] = true;
    /* Lowered operands have smaller ids than their user, so one backward sweep suffices. A
     * node another kernel computes too (lowered.also) gets no step of its own: forward NULL. */
    for (mlp_id id = g->n - 1; id >= 0; id--) {
        if (low[id].arity < 0) /* computed by the kernel of a node with a larger id */
            continue;
        low[id].arity = 0;
        low[id].forward = NULL;
        if (!needed[id] || is_leaf(g, id))
            continue;
        mlp_lower(g, ctx, id, &low[id]);
        for (int i = 0; i < low[id].arity; i++)
            needed[low[id].in[i]] = true;
        mlp_id also = low[id].also;
        if (also != MLP_NONE && low[also].arity < 0) /* another kernel computes it already */
            low[id].also = also = MLP_NONE;
        if (also != MLP_NONE) {
            needed[also] = true;
            low[also].forward = NULL;
            low[also].arity = -1;
        }
    }
    for (mlp_id id = 0; id < g->n; id++)
        if (low[id].arity < 0)
            low[id].arity = 0;
}

/* Assign arena offsets. Leaves and targets live for the whole run; other values from their
 * computation to their last use, following the lowered operands. Returns the arena size;
 * *overflow when a value or the arena would exceed MAX_VALUE_BYTES. */
static size_t assign_offsets(mlp_plan *p, const bool *needed, const bool *pinned,
                             const struct mlp_lowered *low, bool *overflow)
{
    const mlp_graph *g = p->g;
    int *last_use = mlp_xmalloc((size_t)g->n * sizeof *last_use);
    for (mlp_id id = 0; id < g->n; id++) {
        last_use[id] = -1;
        for (int i = 0; i < low[id].arity; i++)
            last_use[low[id].in[i]] = id;
    }
    struct allocator a = {0};
    *overflow = false;
    for (mlp_id id = 0; id < g->n && !*overflow; id++)
        if (needed[id] && pinned[id]) {
            size_t bytes = node_bytes(g, id, p->dtype, p->max_batch);
            *overflow |= bytes > MAX_VALUE_BYTES;
            p->offset[id] = (int64_t)alloc_block(&a, bytes);
            *overflow |= a.peak > MAX_VALUE_BYTES; /* each step adds at most that: no wrap */
        }
    for (mlp_id id = 0; id < g->n && !*overflow; id++) {
        if (!needed[id] || pinned[id])
            continue;
        size_t bytes = node_bytes(g, id, p->dtype, p->max_batch);
        *overflow |= bytes > MAX_VALUE_BYTES;
        p->offset[id] = (int64_t)alloc_block(&a, bytes);
        *overflow |= a.peak > MAX_VALUE_BYTES;
        /* Operands used for the last time here are freed after the output is placed, so a
         * kernel never writes over its own inputs. */
        for (int i = 0; i < low[id].arity; i++) {
            mlp_id x = low[id].in[i];
            bool dup = false; /* an operand used twice (x * x) is freed once */
            for (int j = 0; j < i; j++)
                dup |= low[id].in[j] == x;
            if (!pinned[x] && last_use[x] == id && !dup)
                free_block(&a, (size_t)p->offset[x], node_bytes(g, x, p->dtype, p->max_batch));
        }
    }
    free(last_use);
    free(a.free);
    return a.peak;
}

/* Allocate the zeroed arena (none for a plan with nothing to compute). A plan larger than the
 * machine's memory is refused with a message rather than attempted: with overcommit the
 * allocation would succeed and the process be killed while touching it. */
static bool alloc_arena(mlp_plan *p, bool overflow, mlp_error *err)
{
    if (!overflow && p->arena_bytes == 0)
        return true;
    size_t have = mlp_memory_budget();
    if (!overflow && p->arena_bytes <= have)
        p->arena = aligned_alloc(ALIGN, p->arena_bytes);
    if (p->arena) {
        memset(p->arena, 0, p->arena_bytes);
        return true;
    }
    if (overflow || p->arena_bytes > have)
        mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory: the plan needs %s%zu bytes "
                 "for batches of %d, more than the %zu available (MemAvailable, or --max-memory)",
                 overflow ? "more than " : "",
                 overflow ? MAX_VALUE_BYTES : p->arena_bytes, p->max_batch, have);
    else
        mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC,
                 "out of memory: the plan needs %zu bytes for batches of %d", p->arena_bytes,
                 p->max_batch);
    return false;
}

static void build_steps(mlp_plan *p, const bool *needed, const struct mlp_lowered *low)
{
    const mlp_graph *g = p->g;
    int count = 0;
    for (mlp_id id = 0; id < g->n; id++)
        count += needed[id] && low[id].forward;
    p->steps = mlp_xcalloc((size_t)count, sizeof *p->steps);
    for (mlp_id id = 0; id < g->n; id++) {
        if (!needed[id] || !low[id].forward)
            continue;
        struct step *s = &p->steps[p->nsteps++];
        struct mlp_kargs *k = &s->k;
        s->forward = low[id].forward;
        s->low = low[id];
        k->dtype = p->dtype;
        k->out = p->arena + p->offset[id];
        k->node = mlp_node(g, id);
        k->gemm = p->gemm;
        k->out2 = low[id].also != MLP_NONE ? p->arena + p->offset[low[id].also] : NULL;
        for (int i = 0; i < low[id].arity; i++) {
            const struct mlp_node *x = mlp_node(g, low[id].in[i]);
            k->in[i] = p->arena + p->offset[low[id].in[i]];
            k->inode[i] = mlp_node(g, low[id].operand[i]);
            k->in_stride[i] = x->batched ? mlp_shape_size(x->shape) : 0;
            k->trans[i] = low[id].trans[i];
        }
    }
}

static mlp_plan *plan_fail(mlp_plan *p, mlp_error *err, size_t bytes)
{
    mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC,
             "out of memory: the plan needs %zu bytes for batches of %d", bytes, p->max_batch);
    mlp_plan_free(p);
    return NULL;
}

mlp_plan *mlp_plan_new(const mlp_graph *g, const mlp_id *targets, int ntargets, mlp_dtype dtype,
                       int max_batch, mlp_error *err)
{
    return mlp_plan_new_fused(g, targets, ntargets, dtype, max_batch, true, err);
}

mlp_plan *mlp_plan_new_fused(const mlp_graph *g, const mlp_id *targets, int ntargets,
                             mlp_dtype dtype, int max_batch, bool fuse, mlp_error *err)
{
    if (max_batch < 1) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "batch size must be at least 1");
        return NULL;
    }
    mlp_plan *p = mlp_xcalloc(1, sizeof *p);
    p->g = g;
    p->dtype = dtype;
    p->max_batch = max_batch;
    p->batch = 1;
    p->offset = mlp_xmalloc((size_t)g->n * sizeof *p->offset);
    p->gemm = mlp_gemm_ctx_new(MLP_GEMM_AUTO, 1);
    if (!p->gemm)
        return plan_fail(p, err, 0);
    bool *needed = mlp_xmalloc((size_t)g->n * sizeof *needed);
    bool *pinned = mlp_xcalloc((size_t)g->n, sizeof *pinned);
    struct mlp_lowered *low = mlp_xmalloc((size_t)g->n * sizeof *low);
    for (mlp_id id = 0; id < g->n; id++)
        p->offset[id] = -1;
    for (int i = 0; i < ntargets; i++)
        if (targets[i] != MLP_NONE)
            pinned[targets[i]] = true;
    struct mlp_lower_ctx ctx;
    mlp_lower_ctx_init(&ctx, g, pinned, fuse);
    lower_needed(g, &ctx, targets, ntargets, needed, low);
    mlp_lower_ctx_free(&ctx);
    for (mlp_id id = 0; id < g->n; id++)
        pinned[id] |= needed[id] && is_leaf(g, id);
    bool overflow;
    p->arena_bytes = assign_offsets(p, needed, pinned, low, &overflow);
    free(pinned);
    if (!alloc_arena(p, overflow, err)) {
        free(needed);
        free(low);
        return plan_fail(p, err, p->arena_bytes);
    }
    build_steps(p, needed, low);
    mlp_plan_set_batch(p, 1);
    free(needed);
    free(low);
    mlp_plan_load_params(p);
    return p;
}

void mlp_plan_free(mlp_plan *p)
{
    if (!p)
        return;
    free(p->steps);
    free(p->upd);
    free(p->offset);
    free(p->arena);
    mlp_gemm_ctx_free(p->gemm);
    free(p);
}

void *mlp_plan_buffer(const mlp_plan *p, mlp_id id)
{
    if (id < 0 || id >= p->g->n || p->offset[id] < 0)
        return NULL;
    return p->arena + p->offset[id];
}

void mlp_to_dtype(mlp_dtype t, void *dst, const double *src, int64_t n)
{
    if (t == MLP_F64) {
        memcpy(dst, src, (size_t)n * sizeof *src);
        return;
    }
    float *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = (float)src[i];
}

void mlp_from_dtype(mlp_dtype t, double *dst, const void *src, int64_t n)
{
    if (t == MLP_F64) {
        memcpy(dst, src, (size_t)n * sizeof *dst);
        return;
    }
    const float *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = s[i];
}

void mlp_plan_load_params(mlp_plan *p)
{
    const mlp_graph *g = p->g;
    for (mlp_id id = 0; id < g->n; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        if (p->offset[id] >= 0 && (n->op == MLP_OP_PARAM || n->op == MLP_OP_CONST))
            mlp_to_dtype(p->dtype, p->arena + p->offset[id], g->pool + n->data,
                         mlp_shape_size(n->shape));
    }
}

void mlp_plan_store_params(const mlp_plan *p, mlp_graph *g)
{
    for (mlp_id id = 0; id < g->n && id < p->g->n; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        if (p->offset[id] >= 0 && n->op == MLP_OP_PARAM) {
            int64_t size = mlp_shape_size(n->shape);
            mlp_from_dtype(p->dtype, g->pool + n->data, p->arena + p->offset[id], size);
            mlp_pool_clear_text(g, n->data, size);
        }
    }
}

int mlp_plan_set_threads(mlp_plan *p, int threads)
{
    if (threads == mlp_gemm_ctx_threads(p->gemm))
        return MLP_OK;
    mlp_gemm_ctx *ctx = mlp_gemm_ctx_new(MLP_GEMM_AUTO, threads);
    if (!ctx)
        return MLP_ERR_NOMEM;
    mlp_gemm_ctx_free(p->gemm);
    p->gemm = ctx;
    for (int s = 0; s < p->nsteps; s++)
        p->steps[s].k.gemm = ctx;
    return MLP_OK;
}

int mlp_plan_threads(const mlp_plan *p) { return mlp_gemm_ctx_threads(p->gemm); }
struct mlp_gemm_ctx *mlp_plan_gemm(const mlp_plan *p) { return p->gemm; }

void mlp_plan_read_input(mlp_plan *p, mlp_id id, const void *src)
{
    const void *from = src ? src : mlp_plan_buffer(p, id);
    for (int s = 0; from && s < p->nsteps; s++)
        for (int i = 0; i < p->steps[s].low.arity; i++)
            if (p->steps[s].low.in[i] == id)
                p->steps[s].k.in[i] = from;
}

void mlp_plan_set_batch(mlp_plan *p, int batch)
{
    p->batch = batch < 1 ? 1 : batch > p->max_batch ? p->max_batch : batch;
    for (int s = 0; s < p->nsteps; s++) { /* once here, not per run: single samples */
        struct mlp_kargs *k = &p->steps[s].k;
        k->batch = p->batch;
        k->rows = k->node->batched ? p->batch : 1;
    }
}

int mlp_plan_batch(const mlp_plan *p) { return p->batch; }
int mlp_plan_max_batch(const mlp_plan *p) { return p->max_batch; }
mlp_dtype mlp_plan_dtype(const mlp_plan *p) { return p->dtype; }
size_t mlp_plan_arena_bytes(const mlp_plan *p) { return p->arena_bytes; }

/* w -= lr * g in the plan's dtype for updates [u, end):
 * float32 rounds lr to float and each product and difference as float arithmetic does (the loop
 * a caller would write over the session's buffers, and the fused kernels' arithmetic). */
static void apply_updates(const mlp_plan *p, int u, int end, double lr)
{
    for (; u < end; u++) {
        const struct update *d = &p->upd[u];
        if (p->dtype == MLP_F64) {
            double *restrict w = (double *)(p->arena + d->w_off);
            const double *restrict g = (const double *)(p->arena + d->g_off);
            for (int64_t e = 0; e < d->n; e++)
                w[e] -= lr * g[e];
        } else {
            float *restrict w = (float *)(p->arena + d->w_off), rate = (float)lr;
            const float *restrict g = (const float *)(p->arena + d->g_off);
            for (int64_t e = 0; e < d->n; e++)
                w[e] -= rate * g[e];
        }
    }
}

/* Run every step; with `sgd`, the fused updates in their kernels and the others right after
 * their step. */
static void run_steps(mlp_plan *p, bool sgd, double lr)
{
    for (int s = 0; s < p->nsteps; s++) {
        struct step *st = &p->steps[s];
        st->forward(&st->k);
        if (sgd && st->nupd)
            apply_updates(p, st->upd, st->upd + st->nupd, lr);
    }
    if (sgd && p->nsteps == 0)
        apply_updates(p, 0, p->nupd, lr);
}

void mlp_plan_run(mlp_plan *p) { run_steps(p, false, 0); }

void mlp_plan_run_sgd(mlp_plan *p, double lr)
{
    p->sgd = (struct mlp_sgd_run){.on = true, .lr = lr};
    run_steps(p, true, lr);
    p->sgd.on = false;
}

void mlp_plan_apply_sgd(mlp_plan *p, double lr) { apply_updates(p, 0, p->nupd, lr); }

/* The last step that reads node id's buffer, or -1. */
static int last_reader(const mlp_plan *p, mlp_id id)
{
    for (int s = p->nsteps - 1; s >= 0; s--)
        for (int i = 0; i < p->steps[s].low.arity; i++)
            if (p->steps[s].low.in[i] == id)
                return s;
    return -1;
}

/* The step that computes node id (as its node or its lowered.also), or -1 (a leaf). */
static int computing_step(const mlp_plan *p, mlp_id id)
{
    for (int s = 0; s < p->nsteps; s++)
        if (p->steps[s].k.node == mlp_node(p->g, id) || p->steps[s].low.also == id)
            return s;
    return -1;
}

static int update_order(const void *a, const void *b)
{
    const struct update *x = a, *y = b;
    if (x->fused != y->fused)
        return x->fused ? 1 : -1;
    return (x->after > y->after) - (x->after < y->after);
}

/* The largest id of a node whose step reads node id: the arena keeps id's buffer until then
 * (offsets were assigned in id order). */
static mlp_id last_reader_id(const mlp_plan *p, mlp_id id)
{
    mlp_id last = MLP_NONE;
    for (int s = 0; s < p->nsteps; s++)
        for (int i = 0; i < p->steps[s].low.arity; i++)
            if (p->steps[s].low.in[i] == id && mlp_plan_step_node(p, s) > last)
                last = mlp_plan_step_node(p, s);
    return last;
}

/* Move step c to just after step r (c < r) when that changes nothing the run computes: nothing
 * reads step c's results (targets), and every buffer it reads stays live through the steps it
 * moves past (a leaf, or read by a node with a larger id than theirs, so none of them was given
 * its memory). Then a weight those steps read can be updated inside step c's kernel. */
static bool defer_step(mlp_plan *p, int c, int r)
{
    const struct step *st = &p->steps[c];
    if (last_reader(p, mlp_plan_step_node(p, c)) >= 0 ||
        (st->low.also != MLP_NONE && last_reader(p, st->low.also) >= 0))
        return false;
    mlp_id passed = MLP_NONE; /* the largest id among the steps moved past */
    for (int s = c + 1; s <= r; s++)
        if (mlp_plan_step_node(p, s) > passed)
            passed = mlp_plan_step_node(p, s);
    for (int i = 0; i < st->low.arity; i++)
        if (!is_leaf(p->g, st->low.in[i]) && last_reader_id(p, st->low.in[i]) < passed)
            return false;
    struct step moved = *st;
    memmove(&p->steps[c], &p->steps[c + 1], (size_t)(r - c) * sizeof *p->steps);
    p->steps[r] = moved;
    return true;
}

void mlp_plan_set_sgd(mlp_plan *p, const mlp_id *params, const mlp_id *grads, int n)
{
    for (int i = 0; i < n; i++) { /* a weight read after its gradient's step: defer the step */
        if (p->offset[params[i]] < 0 || p->offset[grads[i]] < 0)
            continue;
        int r = last_reader(p, params[i]), c = computing_step(p, grads[i]);
        if (c >= 0 && r > c && p->steps[c].low.sgd)
            defer_step(p, c, r);
    }
    free(p->upd);
    p->upd = mlp_xcalloc((size_t)(n > 0 ? n : 1), sizeof *p->upd);
    p->nupd = 0;
    for (int s = 0; s < p->nsteps; s++) {
        struct mlp_kargs *k = &p->steps[s].k;
        p->steps[s].nupd = 0;
        k->sgd_w[0] = k->sgd_w[1] = NULL;
        k->sgd = p->steps[s].low.sgd ? &p->sgd : NULL;
    }
    for (int i = 0; i < n; i++) {
        if (mlp_node(p->g, params[i])->op != MLP_OP_PARAM || p->offset[params[i]] < 0 ||
            p->offset[grads[i]] < 0)
            continue;
        int r = last_reader(p, params[i]), c = computing_step(p, grads[i]);
        struct update *d = &p->upd[p->nupd++];
        *d = (struct update){.w_off = p->offset[params[i]], .g_off = p->offset[grads[i]],
                             .n = mlp_shape_size(mlp_node(p->g, params[i])->shape),
                             .after = r > c ? r : c};
        void **slot = c >= 0 ? &p->steps[c].k.sgd_w[p->steps[c].low.also == grads[i]] : NULL;
        if (slot && r < c && p->steps[c].low.sgd && !*slot) {
            d->fused = true;
            *slot = p->arena + d->w_off;
        }
    }
    qsort(p->upd, (size_t)p->nupd, sizeof *p->upd, update_order);
    for (int u = 0; u < p->nupd && p->nsteps > 0 && !p->upd[u].fused; u++) { /* with no step
                                                   of their own: after step 0 (reads neither) */
        struct step *st = &p->steps[p->upd[u].after > 0 ? p->upd[u].after : 0];
        if (st->nupd++ == 0)
            st->upd = u;
    }
}

int mlp_plan_steps(const mlp_plan *p) { return p->nsteps; }

mlp_id mlp_plan_step_node(const mlp_plan *p, int s) { return (mlp_id)(p->steps[s].k.node - p->g->nodes); }

const struct mlp_lowered *mlp_plan_step_lowered(const mlp_plan *p, int s) { return &p->steps[s].low; }

int64_t mlp_plan_offset(const mlp_plan *p, mlp_id id)
{
    return id >= 0 && id < p->g->n ? p->offset[id] : -1;
}
