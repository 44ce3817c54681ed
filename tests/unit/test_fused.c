/* test_fused.c - the dense-layer and activation-backward fusions (graph/lower.h) compute every
 * element with the same operations in the same order as the unfused nodes: a fused plan and an
 * unfused plan of the same graph must agree bit for bit, in float32 and float64, and the fused
 * plan must really hold no buffer for what it fused away. The fused plan also reads its inputs
 * in place (mlp_plan_read_input) with the same bits. */
#include "test.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>

#include "api/internal.h"
#include "base/rng.h"
#include "exec/plan.h"
#include "graph/graph.h"

enum { BATCH = 37 }; /* not a multiple of any micro-tile */

struct pair {
    mlp_graph *g;
    mlp_plan *fused, *plain;
    mlp_id targets[32];
    int nt;
};

/* Differentiate the loss with respect to every input and parameter; plan the loss, the
 * outputs and every gradient twice, fused and not. */
static bool make_pair(struct pair *p, const char *text, mlp_dtype dtype)
{
    mlp_model *m = parse_ok(text);
    if (!m)
        return false;
    p->g = mlp_graph_clone(mlp_model_graph(m));
    mlp_model_free(m);
    mlp_id wrt[16], grad[16];
    int nw = 0;
    for (int i = 0; i < p->g->nnames; i++)
        if (p->g->names[i].kind == MLP_INPUT || p->g->names[i].kind == MLP_PARAM)
            wrt[nw++] = p->g->names[i].node;
    mlp_id loss = p->g->names[p->g->loss].node;
    if (mlp_autodiff(p->g, loss, wrt, nw, grad, NULL) != MLP_OK)
        return false;
    p->nt = 0;
    p->targets[p->nt++] = loss;
    for (int i = 0; i < nw; i++)
        if (grad[i] != MLP_NONE)
            p->targets[p->nt++] = grad[i];
    p->fused = mlp_plan_new_fused(p->g, p->targets, p->nt, dtype, BATCH, true, NULL);
    p->plain = mlp_plan_new_fused(p->g, p->targets, p->nt, dtype, BATCH, false, NULL);
    return p->fused && p->plain;
}

static void free_pair(struct pair *p)
{
    mlp_plan_free(p->fused);
    mlp_plan_free(p->plain);
    mlp_graph_free(p->g);
}

/* Same random inputs into both plans (some exactly 0, where relu and step have their kinks),
 * run both; true when every target is bitwise equal. With in_place, the fused plan reads its
 * inputs from memory of their own (mlp_plan_read_input), its buffers holding NaNs. */
static bool same_bits(struct pair *p, mlp_dtype dtype, int batch, unsigned seed, bool in_place)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, 0);
    size_t es = dtype == MLP_F64 ? 8 : 4;
    void *own[8];
    int nown = 0;
    mlp_plan_set_batch(p->fused, batch);
    mlp_plan_set_batch(p->plain, batch);
    for (int i = 0; i < p->g->nnames; i++) {
        mlp_id id = p->g->names[i].node;
        if (p->g->names[i].kind != MLP_INPUT || !mlp_plan_buffer(p->plain, id))
            continue;
        int64_t n = mlp_shape_size(mlp_node(p->g, id)->shape) * batch;
        double *v = malloc((size_t)n * sizeof *v);
        for (int64_t e = 0; e < n; e++)
            v[e] = e % 7 == 3 ? 0 : 3 * mlp_rng_normal(&rng);
        mlp_to_dtype(dtype, mlp_plan_buffer(p->plain, id), v, n);
        if (in_place && nown < 8) {
            own[nown] = malloc((size_t)n * es);
            mlp_to_dtype(dtype, own[nown], v, n);
            mlp_plan_read_input(p->fused, id, own[nown++]);
            for (int64_t e = 0; e < n; e++)
                v[e] = NAN;
        }
        mlp_to_dtype(dtype, mlp_plan_buffer(p->fused, id), v, n);
        free(v);
    }
    mlp_plan_run(p->fused);
    mlp_plan_run(p->plain);
    for (int i = 0; i < p->g->nnames; i++)
        mlp_plan_read_input(p->fused, p->g->names[i].node, NULL);
    while (nown > 0)
        free(own[--nown]);
    for (int t = 0; t < p->nt; t++) {
        const struct mlp_node *n = mlp_node(p->g, p->targets[t]);
        size_t bytes = (size_t)mlp_shape_size(n->shape) * (n->batched ? (size_t)batch : 1) * es;
        if (memcmp(mlp_plan_buffer(p->fused, p->targets[t]),
                   mlp_plan_buffer(p->plain, p->targets[t]), bytes))
            return false;
    }
    return true;
}

/* Nodes with op `op` that the plan holds a buffer for. */
static int held(const struct pair *p, const mlp_plan *plan, enum mlp_op op)
{
    int count = 0;
    for (mlp_id id = 0; id < p->g->n; id++)
        count += mlp_node(p->g, id)->op == op && mlp_plan_buffer(plan, id);
    return count;
}

static const struct {
    const char *name, *model;
} cases[] = {
    {"relu layers", "input x[9]\ninput t[4]\nparam W1[20,9] ~ normal(0, 0.5)\n"
                    "param b1[20] ~ normal(0, 1)\nparam W2[4,20] ~ normal(0, 0.5)\n"
                    "param b2[4] ~ normal(0, 1)\nh = relu(W1 @ x + b1)\ny = W2 @ h + b2\n"
                    "L = softmax_xent(y, 2) + sumsq(y - t)\nloss L\n"},
    {"sigmoid, bias on the left", "input x[6]\nparam W[5,6] ~ normal(0, 1)\n"
                                  "param b[5] ~ normal(0, 1)\nh = sigmoid(b + W @ x)\n"
                                  "L = sumsq(h)\nloss L\n"},
    {"tanh through a transpose", "input x[6]\nparam V[6,5] ~ normal(0, 1)\n"
                                 "param b[5] ~ normal(0, 1)\nh = tanh(V.T @ x + b)\n"
                                 "L = sum(h * h * h)\nloss L\n"},
    {"per-sample addend", "input x[8]\ninput c[8]\nparam W[8,8] ~ normal(0, 1)\n"
                          "y = relu(c + W @ x)\nL = sumsq(y)\nloss L\n"},
    {"residual (seed problem 4)",
     "input x[16]\ninput s[16]\nparam W1[8,16] ~ normal(0, 0.5)\nparam b1[8] ~ normal(0, 1)\n"
     "param W2[16,8] ~ normal(0, 0.5)\nparam b2[16] ~ normal(0, 1)\nconst r[8] = 0.25\n"
     "h = sigmoid(W1 @ x + b1)\ny = x + W2 @ h + b2\n"
     "L = 0.5 * sumsq(y - s) + dot(r, h)\nloss L\n"},
    {"derivatives written by hand", "input a[5]\nparam W[5,5] ~ normal(0, 1)\n"
                                    "z = W @ a\nL = sumsq(dsigmoid(z) + drelu(z) * tanh(z) + "
                                    "dtanh(z) * sigmoid(z) + relu(z))\nloss L\n"},
    {"two addends", "input x[7]\ninput c[6]\nparam W[6,7] ~ normal(0, 1)\n"
                    "param V[6,7] ~ normal(0, 1)\nparam U[6,7] ~ normal(0, 1)\n"
                    "param b[6] ~ normal(0, 1)\nu = b + (W @ x + c)\nv = tanh((c + V @ x) + b)\n"
                    "w = relu(b + (c + U @ x))\nL = sumsq(u) + sum(v * w)\nloss L\n"},
    {"two addends, large (packed GEMM)", "input x[70]\ninput c[80]\nparam W[70,80] ~ normal(0, 0.2)\n"
                                         "param b[80] ~ normal(0, 1)\n"
                                         "L = sumsq(sigmoid((W.T @ x + c) + b))\nloss L\n"},
    {"large layer (packed GEMM)", "input x[70]\nparam W[90,70] ~ normal(0, 0.2)\n"
                                  "param b[90] ~ normal(0, 1)\nparam V[3,90] ~ normal(0, 0.2)\n"
                                  "L = sumsq(V @ relu(W @ x + b))\nloss L\n"},
};

TEST(fused_plans_equal_unfused_bit_for_bit)
{
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int d = 0; d < 2; d++) {
            mlp_dtype dtype = d ? MLP_F64 : MLP_F32;
            struct pair p = {0};
            CHECK_MSG(make_pair(&p, cases[c].model, dtype), "%s: no plans", cases[c].name);
            for (int batch = 1; batch <= BATCH; batch += BATCH - 1)
                for (int in_place = 0; in_place < 2; in_place++)
                    CHECK_MSG(same_bits(&p, dtype, batch, (unsigned)c + 1, in_place),
                              "%s (%s, batch %d%s): fused and unfused plans differ",
                              cases[c].name, d ? "f64" : "f32", batch,
                              in_place ? ", inputs read in place" : "");
            free_pair(&p);
        }
}

TEST(fusion_removes_the_intermediates)
{
    struct pair p = {0};
    CHECK(make_pair(&p, cases[0].model, MLP_F32));
    /* Unfused, the plan holds W1 @ x, W2 @ h, both sums and relu'(z1). */
    CHECK(held(&p, p.plain, MLP_OP_MATMUL) >= 2 && held(&p, p.plain, MLP_OP_DRELU) == 1);
    /* Fused: no forward product, no pre-activation sum, no relu' is stored. */
    CHECK(held(&p, p.fused, MLP_OP_DRELU) == 0);
    int stored_sums = 0;
    for (mlp_id id = 0; id < p.g->n; id++) {
        const struct mlp_node *n = mlp_node(p.g, id);
        if (n->op == MLP_OP_MATMUL && mlp_node(p.g, n->in[0])->op == MLP_OP_PARAM &&
            mlp_node(p.g, n->in[1])->batched) /* a forward W @ x (dx = W.T @ dz is a target) */
            CHECK_MSG(!mlp_plan_buffer(p.fused, id), "W @ x (node %d) is stored", id);
        stored_sums += n->op == MLP_OP_RELU && mlp_plan_buffer(p.fused, n->in[0]); /* z1 */
    }
    CHECK(stored_sums == 0);
    CHECK(mlp_plan_arena_bytes(p.fused) < mlp_plan_arena_bytes(p.plain));
    free_pair(&p);
}

TEST(second_addend_fused_into_the_dense_pass)
{
    /* b + (W @ x + c) and its two activated variants: neither sum is stored. */
    struct pair p = {0};
    CHECK(make_pair(&p, cases[6].model, MLP_F32));
    int stored = 0;
    for (mlp_id id = 0; id < p.g->n; id++) {
        const struct mlp_node *n = mlp_node(p.g, id);
        if (n->op != MLP_OP_ADD)
            continue;
        for (int j = 0; j < 2; j++) { /* W @ x + c: a forward product (W, not a transpose) */
            const struct mlp_node *mm = mlp_node(p.g, n->in[j]);
            bool forward = mm->op == MLP_OP_MATMUL && mlp_node(p.g, mm->in[0])->op == MLP_OP_PARAM;
            stored += forward && mlp_plan_buffer(p.fused, id);
            CHECK(!forward || mlp_plan_buffer(p.plain, id));
        }
    }
    CHECK_MSG(stored == 0, "%d inner sums stored", stored);
    free_pair(&p);
}

TEST(sigmoid_backward_reuses_the_forward_value)
{
    /* sigma'(z) is read from sigma(z): the fused plan stores no dsigmoid and no z. */
    struct pair p = {0};
    CHECK(make_pair(&p, cases[1].model, MLP_F32));
    CHECK(held(&p, p.fused, MLP_OP_DSIGMOID) == 0 && held(&p, p.plain, MLP_OP_DSIGMOID) == 1);
    CHECK(held(&p, p.fused, MLP_OP_SIGMOID) == 1);
    free_pair(&p);
}

/* Nodes with op `op` that some step of the plan computes as its own node. */
static int stepped(const struct pair *p, const mlp_plan *plan, enum mlp_op op)
{
    int count = 0;
    for (int s = 0; s < mlp_plan_steps(plan); s++)
        count += mlp_node(p->g, mlp_plan_step_node(plan, s))->op == op;
    return count;
}

TEST(dense_backward_fused)
{
    /* The bias gradients batch_sum(z̄) are computed by the weight gradients' kernels (no step of
     * their own, but held: they are targets), and W2ᵀ z̄2 is multiplied by relu'(z1) in the
     * product's own pass (not stored). */
    struct pair p = {0};
    CHECK(make_pair(&p, cases[0].model, MLP_F32));
    int bias_sums = 0, weight_sums = 0;
    for (int t = 0; t < p.nt; t++) {
        const struct mlp_node *n = mlp_node(p.g, p.targets[t]);
        bool outer = n->op == MLP_OP_BATCH_SUM && mlp_node(p.g, n->in[0])->op == MLP_OP_OUTER;
        bias_sums += n->op == MLP_OP_BATCH_SUM && !outer;
        weight_sums += outer;
        CHECK(mlp_plan_buffer(p.fused, p.targets[t]));
    }
    CHECK(bias_sums == 2 && weight_sums == 2);
    CHECK(stepped(&p, p.plain, MLP_OP_BATCH_SUM) == 4);
    CHECK(stepped(&p, p.fused, MLP_OP_BATCH_SUM) == 2);
    int stored = 0, found = 0;
    for (mlp_id id = 0; id < p.g->n; id++) {
        const struct mlp_node *n = mlp_node(p.g, id);
        bool back = n->op == MLP_OP_MATMUL && mlp_node(p.g, n->in[0])->op == MLP_OP_TRANSPOSE &&
                    mlp_node(p.g, mlp_node(p.g, n->in[0])->in[0])->name >= 0 &&
                    !strcmp(mlp_node_name(p.g, mlp_node(p.g, n->in[0])->in[0]), "W2");
        stored += back && mlp_plan_buffer(p.fused, id);
        found += back;
        CHECK(!back || mlp_plan_buffer(p.plain, id));
    }
    CHECK(found == 1);
    CHECK_MSG(stored == 0, "W2.T @ dz stored");
    free_pair(&p);
}
