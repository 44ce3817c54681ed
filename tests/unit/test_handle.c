/* test_handle.c - the session API by handle gives exactly what the API by name gives, reads and
 * writes the session's own float32 storage, and refuses what it cannot serve. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

static const char model[] =
    "input x[5]\ninput t[1]\nparam W1[4,5] ~ normal(0, 1)\nparam b1[4] ~ normal(0, 1)\n"
    "param W2[1,4] ~ normal(0, 1)\nparam b2[1] ~ normal(0, 1)\n"
    "h = sigmoid(W1 @ x + b1)\ny = sigmoid(W2 @ h + b2)\nL = 0.5 * sumsq(y - t)\n"
    "output y\nloss L\n";

static const char *const wrt[] = {"W1", "x"};

enum { B = 3 };

TEST(handles_give_what_names_give)
{
    mlp_model *m = parse_ok(model);
    CHECK(m);
    mlp_session *byname = mlp_session_new(m, wrt, 2, MLP_F32, B, NULL);
    mlp_session *byhandle = mlp_session_new(m, wrt, 2, MLP_F32, B, NULL);
    CHECK(byname && byhandle);
    /* Inputs exactly representable in float32, so both paths store the same bits. */
    double xd[B * 5], td[B];
    float xf[B * 5], tf[B];
    for (int i = 0; i < B * 5; i++)
        xf[i] = (float)(xd[i] = (i % 7) * 0.25 - 0.75);
    for (int i = 0; i < B; i++)
        tf[i] = (float)(td[i] = i % 2);
    mlp_session_set_batch(byname, B, NULL);
    mlp_session_set_batch(byhandle, B, NULL);
    CHECK(!mlp_session_set(byname, "x", xd, B, NULL) && !mlp_session_set(byname, "t", td, B, NULL));
    mlp_handle hx = mlp_session_input(byhandle, "x", NULL), ht = mlp_session_input(byhandle, "t", NULL);
    mlp_handle hy = mlp_session_value(byhandle, "y", NULL), hL = mlp_session_value(byhandle, "L", NULL);
    mlp_handle gW = mlp_session_gradient(byhandle, "W1", NULL), gx = mlp_session_gradient(byhandle, "x", NULL);
    CHECK(hx >= 0 && ht >= 0 && hy >= 0 && hL >= 0 && gW >= 0 && gx >= 0);
    /* x through the storage pointer, t through the copying setter. */
    float *px = mlp_session_f32(byhandle, hx);
    CHECK(px && !mlp_session_f64(byhandle, hx));
    memcpy(px, xf, sizeof xf);
    CHECK(!mlp_session_set_f32(byhandle, ht, tf, B, NULL));
    CHECK(!mlp_session_run(byname, NULL) && !mlp_session_run(byhandle, NULL));
    double yd[B], Ld[B], gWd[20], gxd[B * 5];
    float yf[B], Lf[B], gWf[20], gxf[B * 5];
    mlp_session_get(byname, "y", yd, NULL);
    mlp_session_get(byname, "L", Ld, NULL);
    mlp_session_grad(byname, "W1", gWd, NULL);
    mlp_session_grad(byname, "x", gxd, NULL);
    CHECK(!mlp_session_get_f32(byhandle, hy, yf, NULL) && !mlp_session_get_f32(byhandle, hL, Lf, NULL));
    CHECK(!mlp_session_get_f32(byhandle, gW, gWf, NULL) && !mlp_session_get_f32(byhandle, gx, gxf, NULL));
    const float *py = mlp_session_f32(byhandle, hy);
    for (int i = 0; i < B; i++) {
        CHECK(yf[i] == (float)yd[i] && py[i] == yf[i]);
        CHECK(Lf[i] == (float)Ld[i]);
    }
    for (int i = 0; i < 20; i++)
        CHECK(gWf[i] == (float)gWd[i]);
    for (int i = 0; i < B * 5; i++)
        CHECK(gxf[i] == (float)gxd[i]);
    /* One row given for all samples. */
    CHECK(!mlp_session_set_f32(byhandle, hx, xf, 1, NULL));
    for (int r = 0; r < B; r++)
        CHECK(!memcmp(px + r * 5, xf, 5 * sizeof *xf));
    mlp_session_free(byname);
    mlp_session_free(byhandle);
    mlp_model_free(m);
}

TEST(parameters_written_through_handles_change_the_run)
{
    mlp_model *m = parse_ok(model);
    CHECK(m);
    mlp_session *s = mlp_session_new(m, wrt, 2, MLP_F32, 1, NULL);
    CHECK(s);
    float *b2 = mlp_session_f32(s, mlp_session_value(s, "b2", NULL));
    float *x = mlp_session_f32(s, mlp_session_input(s, "x", NULL));
    float *t = mlp_session_f32(s, mlp_session_input(s, "t", NULL));
    const float *y = mlp_session_f32(s, mlp_session_value(s, "y", NULL));
    CHECK(b2 && x && t && y);
    memset(x, 0, 5 * sizeof *x);
    t[0] = 0;
    b2[0] = 40; /* y = sigmoid(W2 h + 40) = 1 in float32 for any h in (0, 1)^4 and |W2| small */
    CHECK(!mlp_session_run(s, NULL));
    CHECK(y[0] == 1.0f);
    b2[0] = -40;
    CHECK(!mlp_session_run(s, NULL));
    CHECK(y[0] < 1e-10f);
    mlp_session_free(s);
    mlp_model_free(m);
}

TEST(handle_errors)
{
    mlp_model *m = parse_ok(model);
    CHECK(m);
    mlp_session *s = mlp_session_new(m, wrt, 2, MLP_F32, 2, NULL);
    mlp_session *d = mlp_session_new(m, NULL, 0, MLP_F64, 1, NULL);
    CHECK(s && d);
    mlp_error err = {0};
    mlp_error_clear(&err);
    CHECK(mlp_session_input(s, "nope", &err) == -1);
    CHECK_STR(err.message, "no value named 'nope' in the model");
    mlp_error_clear(&err);
    CHECK(mlp_session_input(s, "W1", &err) == -1);
    CHECK_STR(err.message, "'W1' is not an input");
    mlp_error_clear(&err);
    CHECK(mlp_session_gradient(s, "b1", &err) == -1);
    CHECK_STR(err.message, "the session does not compute the gradient with respect to 'b1'");
    mlp_handle hx = mlp_session_input(s, "x", NULL), hy = mlp_session_value(s, "y", NULL);
    float v[10] = {0};
    /* An input not yet given values is an error when a value that depends on it is read. */
    CHECK(mlp_session_set_f32(s, hx, v, 1, NULL) == MLP_OK);
    mlp_error_clear(&err);
    CHECK(mlp_session_run(s, &err) == MLP_OK);
    CHECK(mlp_session_get_f32(s, hy, v, &err) == MLP_OK);
    mlp_handle hl = mlp_session_value(s, "L", NULL);
    CHECK(hl >= 0 && mlp_session_get_f32(s, hl, v, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "'L' depends on input 't', which was not given a value");
    mlp_error_clear(&err);
    CHECK(mlp_session_set_f32(s, hy, v, 1, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "handle 7 is not an input (only inputs are set per run)");
    mlp_error_clear(&err);
    CHECK(mlp_session_set_f32(s, hx, v, 3, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "3 rows given for 'x', but the batch has 1 samples");
    mlp_error_clear(&err);
    CHECK(mlp_session_get_f32(s, 999, v, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "999 is not a handle of this session");
    CHECK(!mlp_session_f32(s, 999) && !mlp_session_f32(s, -1));
    /* A float64 session hands out float64 storage only. */
    mlp_handle dx = mlp_session_input(d, "x", NULL);
    CHECK(!mlp_session_f32(d, dx) && mlp_session_f64(d, dx));
    mlp_error_clear(&err);
    CHECK(mlp_session_set_f32(d, dx, v, 1, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "the session computes in float64; float32 values need a float32 session");
    mlp_session_free(s);
    mlp_session_free(d);
    mlp_model_free(m);
}
