/* train_xor.c - train a 2-2-1 sigmoid network on XOR through the C API.
 *
 *   cc train_xor.c -lmlp -lm -lz && ./a.out
 *
 * The network and its loss are written in the mlp language; the library differentiates it,
 * and mlp_train runs Adam on the batch mean of the per-sample loss. */
#include <math.h>
#include <stdio.h>

#include "mlp.h"

static const char model_text[] =
    "input x[2]\n"
    "input t\n"
    "param W1[2,2] ~ normal(0, 1)\n"
    "param b1[2] = 0\n"
    "param w2[2] ~ normal(0, 1)\n"
    "param b2 = 0\n"
    "h = sigmoid(W1 @ x + b1)\n"
    "z = dot(w2, h) + b2          # a logit: bce_logits applies the sigmoid, stably\n"
    "L = bce_logits(z, t)\n"
    "output z\n"
    "loss L\n";

static int report(const mlp_error *err)
{
    mlp_error_print(err, stderr);
    return 1;
}

int main(void)
{
    const double x[] = {0, 0, 0, 1, 1, 0, 1, 1}, t[] = {0, 1, 1, 0};
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(model_text, "xor.mlp", &err);
    mlp_dataset *d = m ? mlp_dataset_new(4, 2, x, 1, t, &err) : NULL;
    if (!d || mlp_model_init_params(m, 3, &err))
        return report(&err);

    mlp_train_options o;
    mlp_train_defaults(&o);
    o.optimizer = "adam";
    o.lr = 0.1;
    o.batch = 4;
    o.epochs = 300;
    o.seed = 3;
    if (mlp_train(m, d, NULL, &o, &err))
        return report(&err);

    /* Predict with a session: sigmoid(z) is the probability of a 1. */
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 4, &err);
    if (!s || mlp_session_set_batch(s, 4, &err) || mlp_session_set(s, "x", x, 4, &err) ||
        mlp_session_set(s, "t", t, 4, &err) || mlp_session_run(s, &err))
        return report(&err);
    double z[4];
    mlp_session_get(s, "z", z, NULL);
    int right = 0;
    for (int i = 0; i < 4; i++) {
        double p = 1 / (1 + exp(-z[i]));
        right += (p >= 0.5) == (t[i] == 1);
        printf("xor(%g, %g) = %g  (p = %.4f)\n", x[2 * i], x[2 * i + 1], t[i], p);
    }
    printf("%d of 4 right\n", right);
    mlp_session_free(s);
    mlp_dataset_free(d);
    mlp_model_free(m);
    return right == 4 ? 0 : 1;
}
