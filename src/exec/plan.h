/* plan.h - a graph compiled for one dtype and a maximum batch size.
 *
 * Planning orders the nodes the targets need, gives every value a slot in one arena (values whose
 * last use has passed hand their memory to later ones), and prepares each kernel's arguments.
 * Running a plan then only calls kernels: no allocation, no graph walking.
 */
#ifndef MLP_EXEC_PLAN_H
#define MLP_EXEC_PLAN_H

#include "graph/graph.h"

typedef struct mlp_plan mlp_plan;

/* Plan the evaluation of `targets` (and everything they depend on). The graph must outlive the
 * plan and not change while it exists. Parameters and constants are loaded from the graph. */
mlp_plan *mlp_plan_new(const mlp_graph *g, const mlp_id *targets, int ntargets, mlp_dtype dtype,
                       int max_batch, mlp_error *err);
/* The same with fuse = false: only the views and batch fusions of graph/lower.h, not the dense
 * and activation fusions (the reference the fused kernels are tested against). */
mlp_plan *mlp_plan_new_fused(const mlp_graph *g, const mlp_id *targets, int ntargets,
                             mlp_dtype dtype, int max_batch, bool fuse, mlp_error *err);
void mlp_plan_free(mlp_plan *p);

/* The buffer of a node (inputs: max_batch samples; unbatched values: one), or NULL if the plan
 * does not compute or hold it. Targets, inputs and parameters keep their values between runs;
 * other buffers are reused within a run. */
void *mlp_plan_buffer(const mlp_plan *p, mlp_id id);
/* Copy parameter and constant values from the graph's pool into the plan (converting dtype). */
void mlp_plan_load_params(mlp_plan *p);
/* Copy the plan's parameter values back into the graph's pool. */
void mlp_plan_store_params(const mlp_plan *p, mlp_graph *g);
/* Run the matrix products of the following runs on `threads` threads (1..MLP_GEMM_MAX_THREADS;
 * results are bit-identical for any count). MLP_OK, or MLP_ERR_NOMEM (the plan keeps its
 * threads) when threads or memory cannot be had. */
int mlp_plan_set_threads(mlp_plan *p, int threads);
int mlp_plan_threads(const mlp_plan *p);
/* The GEMM context (and threads) the plan's products run on, for work beside the plan's. */
struct mlp_gemm_ctx *mlp_plan_gemm(const mlp_plan *p);
/* Let the following runs read input `id` from src (laid out as the plan's own buffer: one
 * sample after another) instead of from the plan's buffer, or from that buffer again when src is
 * NULL: data that already lies in memory batch after batch is read where it is, not copied. */
void mlp_plan_read_input(mlp_plan *p, mlp_id id, const void *src);
/* Set the batch size of the following runs (1..max_batch). */
void mlp_plan_set_batch(mlp_plan *p, int batch);
int mlp_plan_batch(const mlp_plan *p);
int mlp_plan_max_batch(const mlp_plan *p);
mlp_dtype mlp_plan_dtype(const mlp_plan *p);
/* Evaluate every scheduled node for the current batch. */
void mlp_plan_run(mlp_plan *p);
/* Plain gradient descent: params[i] (parameter nodes) -= lr * grads[i] (nodes the plan holds:
 * targets, with the parameter's shape). Pairs the plan does not hold are skipped. An update is
 * applied by the kernel computing its gradient when no later step reads the weight (moving
 * that step after the weight's last reader where this changes nothing), else right after the
 * last step that computes the gradient or reads the weight: the run sees the old weights. */
void mlp_plan_set_sgd(mlp_plan *p, const mlp_id *params, const mlp_id *grads, int n);
/* A run with those updates (float32: lr rounded to float, w - lr * g in float arithmetic). */
void mlp_plan_run_sgd(mlp_plan *p, double lr);
/* The updates alone, after a plain run. */
void mlp_plan_apply_sgd(mlp_plan *p, double lr);
/* Bytes of the arena (for benchmarks and memory reports). */
size_t mlp_plan_arena_bytes(const mlp_plan *p);

/* The schedule, for code generators that lay out the same computation (export/c.c): the number
 * of computed nodes, the node computed at step s (0 <= s < steps, in run order; how it is computed
 * is mlp_plan_step_lowered's answer: the plan's own lowering, fused or not; a fused step may
 * compute a second node, lowered.also, and mlp_plan_set_sgd may move a weight gradient's step
 * later), and a node's byte offset in the arena (-1 when the plan neither computes
 * nor holds it). Buffers are ALIGN-aligned; values whose lifetimes do not overlap share bytes. */
int mlp_plan_steps(const mlp_plan *p);
mlp_id mlp_plan_step_node(const mlp_plan *p, int s);
struct mlp_lowered;
const struct mlp_lowered *mlp_plan_step_lowered(const mlp_plan *p, int s);
int64_t mlp_plan_offset(const mlp_plan *p, mlp_id id);

/* Element size of a dtype in bytes. */
/* Convert n values between float64 and a buffer of dtype t. */
void mlp_to_dtype(mlp_dtype t, void *dst, const double *src, int64_t n);
void mlp_from_dtype(mlp_dtype t, double *dst, const void *src, int64_t n);

#endif
