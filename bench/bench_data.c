/* bench_data.c - Fashion-MNIST workloads through the public API, data loaded once:
 *
 *   mlp-bench eval MODEL [THREADS]    mlp_evaluate over the 10,000 test images (planning,
 *                                     forward passes, loss, accuracy and confusion matrix)
 *   mlp-bench epoch MODEL [THREADS]   one epoch of mlp_train (SGD, lr 0.05, batch 128) with the
 *                                     test evaluation; where the time went; a hash of the
 *                                     trained weights (equal for every thread count)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int keep_stats(void *user, const mlp_epoch_stats *st)
{
    *(mlp_epoch_stats *)user = *st;
    return 0;
}

/* FNV-1a over every parameter's float64 values, in declaration order. */
static uint64_t weights_hash(const mlp_model *m)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < mlp_model_count(m, MLP_PARAM); i++) {
        const char *name = mlp_model_name(m, MLP_PARAM, i);
        size_t n = mlp_model_size(m, name);
        double *v = malloc(n * sizeof *v);
        mlp_model_get_values(m, name, v, NULL);
        const unsigned char *b = (const unsigned char *)v;
        for (size_t k = 0; k < n * sizeof *v; k++)
            h = (h ^ b[k]) * 1099511628211ULL;
        free(v);
    }
    return h;
}

int bench_epoch(int argc, char **argv)
{
    if (argc < 1)
        return 2;
    mlp_error err = {0};
    mlp_model *m = mlp_model_load(argv[0], &err);
    mlp_dataset *train = m ? mlp_dataset_load("fashion-mnist:train", NULL, NULL, &err) : NULL;
    mlp_dataset *test = train ? mlp_dataset_load("fashion-mnist:test", NULL, NULL, &err) : NULL;
    if (!test || mlp_dataset_scale(train, test, MLP_SCALE_AUTO, &err) != MLP_OK ||
        mlp_model_init_params(m, 1, &err) != MLP_OK) {
        mlp_error_print(&err, stderr);
        return 1;
    }
    mlp_train_options o;
    mlp_train_defaults(&o);
    mlp_epoch_stats st;
    memset(&st, 0, sizeof st);
    o.optimizer = "sgd";
    o.lr = 0.05;
    o.epochs = 1;
    o.batch = 128;
    o.threads = argc > 1 ? atoi(argv[1]) : 1;
    o.on_epoch = keep_stats;
    o.user = &st;
    /* Also the process's CPU time over mlp_train (planning included, a few ms): on a loaded
     * machine it leaves out the time other processes had the cores (one thread only). */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    int rc = mlp_train(m, train, test, &o, &err);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    if (rc != MLP_OK) {
        mlp_error_print(&err, stderr);
        return 1;
    }
    printf("{\"bench\": \"epoch\", \"threads\": %d, \"seconds\": %.4f, \"shuffle_s\": %.4f, "
           "\"gather_s\": %.4f, \"pass_s\": %.4f, \"tally_s\": %.4f, \"update_s\": %.4f, "
           "\"test_s\": %.4f, \"test_acc\": %.4f, \"cpu_s\": %.4f, \"weights_hash\": \"%016llx\"}\n",
           o.threads, st.seconds, st.shuffle_s, st.gather_s, st.pass_s, st.tally_s, st.update_s,
           st.test_s, st.test_acc,
           (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec),
           (unsigned long long)weights_hash(m));
    mlp_dataset_free(train);
    mlp_dataset_free(test);
    mlp_model_free(m);
    return 0;
}
