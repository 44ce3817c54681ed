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
    for (int i = 0; i < ntargets; i++)
        if (targets[i] != MLP_NONE)
            needed[targets[i]] = true;
    /* Lowered operands have smaller ids than their user, so one backward sweep suffices. */
    for (mlp_id id = g->n - 1; id >= 0; id--) {
        low[id].arity = 0;
        if (!needed[id] || is_leaf(g, id))
            continue;
        mlp_lower(g, ctx, id, &low[id]);
        for (int i = 0; i < low[id].arity; i++)
            needed[low[id].in[i]] = true;
    }
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
        count += needed[id] && !is_leaf(g, id);
    p->steps = mlp_xcalloc((size_t)count, sizeof *p->steps);
    for (mlp_id id = 0; id < g->n; id++) {
        if (!needed[id] || is_leaf(g, id))
            continue;
        struct step *s = &p->steps[p->nsteps++];
        struct mlp_kargs *k = &s->k;
        s->forward = low[id].forward;
        s->low = low[id];
        k->dtype = p->dtype;
        k->out = p->arena + p->offset[id];
        k->node = mlp_node(g, id);
        k->gemm = p->gemm;
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

void mlp_plan_set_batch(mlp_plan *p, int batch)
{
    p->batch = batch < 1 ? 1 : batch > p->max_batch ? p->max_batch : batch;
}

int mlp_plan_batch(const mlp_plan *p) { return p->batch; }
int mlp_plan_max_batch(const mlp_plan *p) { return p->max_batch; }
mlp_dtype mlp_plan_dtype(const mlp_plan *p) { return p->dtype; }
size_t mlp_plan_arena_bytes(const mlp_plan *p) { return p->arena_bytes; }

void mlp_plan_run(mlp_plan *p)
{
    for (int s = 0; s < p->nsteps; s++) {
        struct mlp_kargs *k = &p->steps[s].k;
        k->batch = p->batch;
        k->rows = k->node->batched ? p->batch : 1;
        p->steps[s].forward(k);
    }
}

int mlp_plan_steps(const mlp_plan *p) { return p->nsteps; }

mlp_id mlp_plan_step_node(const mlp_plan *p, int s) { return (mlp_id)(p->steps[s].k.node - p->g->nodes); }

const struct mlp_lowered *mlp_plan_step_lowered(const mlp_plan *p, int s) { return &p->steps[s].low; }

int64_t mlp_plan_offset(const mlp_plan *p, mlp_id id)
{
    return id >= 0 && id < p->g->n ? p->offset[id] : -1;
}
