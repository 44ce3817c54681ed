/* residual_grad.c - the C API on seed problem 4: load a model, evaluate a batch, read x-bar.
 *
 *   cc residual_grad.c $(pkg-config --cflags --libs mlp) -o residual_grad
 *   ./residual_grad examples/seed/residual.mlp
 */
#include <mlp.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/seed/residual.mlp";
    mlp_error err = {0};
    mlp_model *model = mlp_model_load(path, &err);
    if (!model) {
        mlp_error_print(&err, stderr);
        return 2;
    }
    /* Two samples in one batch; the gradient with respect to x is given per sample. */
    const char *wrt[] = {"x", "W1"};
    mlp_session *s = mlp_session_new(model, wrt, 2, MLP_F64, 2, &err);
    double x[2][3] = {{1, 2, 3}, {0.5, -1, 0}};
    double target[3] = {0, 1, 0};
    if (!s || mlp_session_set_batch(s, 2, &err) || mlp_session_set(s, "x", &x[0][0], 2, &err) ||
        mlp_session_set(s, "s", target, 1, &err) || mlp_session_run(s, &err)) {
        mlp_error_print(&err, stderr);
        mlp_session_free(s);
        mlp_model_free(model);
        return 2;
    }
    double loss[2], xbar[2][3], w1bar[6];
    mlp_session_get(s, "L", loss, NULL);
    mlp_session_grad(s, "x", &xbar[0][0], NULL);
    mlp_session_grad(s, "W1", w1bar, NULL); /* summed over the batch */
    for (int b = 0; b < 2; b++)
        printf("sample %d: L = %.6f  xbar = [%.6f, %.6f, %.6f]\n", b, loss[b], xbar[b][0],
               xbar[b][1], xbar[b][2]);
    printf("dL/dW1 (batch sum) = [[%.6f, %.6f, %.6f], [%.6f, %.6f, %.6f]]\n", w1bar[0], w1bar[1],
           w1bar[2], w1bar[3], w1bar[4], w1bar[5]);
    mlp_session_free(s);
    mlp_model_free(model);
    return 0;
}
