/* bench_data.c - Fashion-MNIST workloads through the public API, data loaded once:
 *
 *   mlp-bench eval MODEL [THREADS]    mlp_evaluate over the 10,000 test images (planning,
 *                                     forward passes, loss, accuracy and confusion matrix)
 */
#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"
#include "bench.h"

struct eval_case {
    const mlp_model *m;
    const mlp_dataset *d;
    double acc;
};

static void run_eval(void *arg)
{
    struct eval_case *c = arg;
    mlp_metrics mt;
    if (mlp_evaluate(c->m, c->d, &mt, NULL) == MLP_OK)
        c->acc = mt.accuracy;
    mlp_metrics_free(&mt);
}

int bench_eval(int argc, char **argv)
{
    if (argc < 1)
        return 2;
    mlp_error err = {0};
    mlp_model *m = mlp_model_load(argv[0], &err);
    mlp_dataset *d = m ? mlp_dataset_load("fashion-mnist:test", NULL, NULL, &err) : NULL;
    if (!d || mlp_dataset_scale(d, NULL, MLP_SCALE_AUTO, &err) != MLP_OK) {
        mlp_error_print(&err, stderr);
        return 1;
    }
    struct eval_case c = {m, d, 0};
    struct timing t = time_calls(run_eval, &c);
    printf("{\"bench\": \"eval\", \"samples\": %d, \"best_ms\": %.3f, \"median_ms\": %.3f, "
           "\"accuracy\": %.4f}\n", mlp_dataset_count(d), t.best * 1e3, t.median * 1e3, c.acc);
    mlp_dataset_free(d);
    mlp_model_free(m);
    return 0;
}
