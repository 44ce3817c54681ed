/* init.c - drawing initial parameter values from their declared initialisers.
 *
 * Each parameter draws from its own stream, derived from the seed and its name, so adding or
 * reordering parameters leaves the others' values unchanged. Fan-in and fan-out follow PyTorch
 * for a weight W[out, in]: fan_in = in, fan_out = out; vectors and scalars use their size for both.
 */
#include "graph/graph.h"
#include "base/rng.h"

#include <math.h>

static void fans(mlp_shape s, double *fan_in, double *fan_out)
{
    if (s.rank >= 2) {
        double receptive = (double)mlp_shape_size(s) / ((double)s.dim[0] * s.dim[1]);
        *fan_in = s.dim[1] * receptive;
        *fan_out = s.dim[0] * receptive;
    } else {
        *fan_in = *fan_out = (double)mlp_shape_size(s);
    }
}

static void draw(const struct mlp_init *init, mlp_shape shape, mlp_rng *rng, double *out)
{
    double fan_in, fan_out;
    fans(shape, &fan_in, &fan_out);
    int64_t n = mlp_shape_size(shape);
    for (int64_t i = 0; i < n; i++) {
        double u = mlp_rng_uniform(rng);
        switch (init->kind) {
        case MLP_INIT_NONE:
            return;
        case MLP_INIT_ZEROS:
            out[i] = 0;
            break;
        case MLP_INIT_ONES:
            out[i] = 1;
            break;
        case MLP_INIT_NORMAL:
            out[i] = init->arg[0] + init->arg[1] * mlp_rng_normal(rng);
            break;
        case MLP_INIT_UNIFORM:
            out[i] = init->arg[0] + (init->arg[1] - init->arg[0]) * u;
            break;
        case MLP_INIT_XAVIER: /* Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
            out[i] = (2 * u - 1) * sqrt(6.0 / (fan_in + fan_out));
            break;
        case MLP_INIT_XAVIER_NORMAL:
            out[i] = sqrt(2.0 / (fan_in + fan_out)) * mlp_rng_normal(rng);
            break;
        case MLP_INIT_HE: /* Kaiming normal for ReLU: N(0, 2 / fan_in) */
            out[i] = sqrt(2.0 / fan_in) * mlp_rng_normal(rng);
            break;
        case MLP_INIT_HE_UNIFORM: /* Kaiming uniform: U(-a, a), a = sqrt(6 / fan_in) */
            out[i] = (2 * u - 1) * sqrt(6.0 / fan_in);
            break;
        case MLP_INIT_COUNT:
            break;
        }
    }
}

void mlp_graph_init_params(mlp_graph *g, uint64_t seed)
{
    for (int i = 0; i < g->nnames; i++) {
        const struct mlp_name *nm = &g->names[i];
        if (nm->kind != MLP_PARAM || nm->init.kind == MLP_INIT_NONE)
            continue;
        const struct mlp_node *n = mlp_node(g, nm->node);
        mlp_rng rng;
        mlp_rng_seed(&rng, seed, mlp_hash_string(nm->text));
        draw(&nm->init, n->shape, &rng, g->pool + n->data);
        mlp_pool_clear_text(g, n->data, mlp_shape_size(n->shape));
    }
}
