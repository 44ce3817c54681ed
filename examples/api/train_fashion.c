/* train_fashion.c - train the 784-256-128-10 Fashion-MNIST MLP through the C API.
 *
 *   ./train_fashion [MODEL] [EPOCHS] [WEIGHTS.safetensors]
 *
 * MODEL defaults to examples/fashion/mlp.mlp, EPOCHS to 10. Needs Debian's
 * dataset-fashion-mnist. Prints one line per epoch and the final test metrics. */
#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"

static int on_epoch(void *user, const mlp_epoch_stats *s)
{
    (void)user;
    printf("epoch %d/%d  train loss %.4f  acc %.2f%%  test loss %.4f  acc %.2f%%  (%.1f s)\n",
           s->epoch, s->epochs, s->train_loss, 100 * s->train_acc, s->test_loss,
           100 * s->test_acc, s->seconds);
    fflush(stdout);
    return 0; /* nonzero would stop training */
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/fashion/mlp.mlp";
    int epochs = argc > 2 ? atoi(argv[2]) : 10;
    mlp_error err = {0};
    mlp_model *m = mlp_model_load(path, &err);
    mlp_dataset *train = m ? mlp_dataset_load("fashion-mnist:train", NULL, NULL, &err) : NULL;
    mlp_dataset *test = train ? mlp_dataset_load("fashion-mnist:test", NULL, NULL, &err) : NULL;
    /* Pixels are bytes: scale them to [0, 1] with the training set's range. */
    if (!test || mlp_dataset_scale(train, test, MLP_SCALE_UNIT, &err)) {
        mlp_error_print(&err, stderr);
        return 2;
    }
    mlp_train_options o;
    mlp_train_defaults(&o);
    o.optimizer = "adam";
    o.lr = 1e-3;
    o.batch = 128;
    o.epochs = epochs;
    o.on_epoch = on_epoch;
    mlp_metrics mt;
    if (mlp_train(m, train, test, &o, &err) || mlp_evaluate(m, test, &mt, &err) ||
        (argc > 3 && mlp_model_save_weights(m, argv[3], MLP_F32, &err))) {
        mlp_error_print(&err, stderr);
        return 2;
    }
    printf("test accuracy %.2f%% on %d samples\n", 100 * mt.accuracy, mt.n);
    mlp_metrics_free(&mt);
    mlp_dataset_free(train);
    mlp_dataset_free(test);
    mlp_model_free(m);
    return 0;
}
