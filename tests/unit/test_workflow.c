/* test_workflow.c - train, then use: label texts, preprocessing saved with the weights,
 * predictions, held-out data. */
#include "test.h"
#include "util.h"
#include "io/csv.h"

#include <stdlib.h>
#include <unistd.h>

TEST(csv_label_texts_become_sorted_classes)
{
    const char *text = "a,label,b\n1,virginica,2\n3,setosa,4\n5,virginica,6\n7,versicolor,8\n";
    struct mlp_csv_classes *cls = NULL;
    mlp_error err = {0};
    mlp_table *t = mlp_csv_parse_labels(text, strlen(text), "f.csv", "label", &cls, &err);
    CHECK(t && t->rows == 4 && t->cols == 3);
    CHECK(cls[1].n == 3 && cls[0].n == 0 && cls[2].n == 0);
    CHECK_STR(cls[1].names[0], "setosa");
    CHECK_STR(cls[1].names[2], "virginica");
    double want[] = {2, 0, 2, 1};
    for (int r = 0; r < 4; r++)
        CHECK(t->values[r * 3 + 1] == want[r] && t->values[r * 3] == 2 * r + 1);
    mlp_csv_classes_free(cls, t->cols);
    mlp_table_free(t);
    /* texts elsewhere are still errors, with their position; numbers stay numbers */
    const char *bad = "a,label\nx,1\n";
    CHECK(!mlp_csv_parse_labels(bad, strlen(bad), "f.csv", "label", &cls, &err));
    CHECK(err.line == 2 && err.col == 1);
    CHECK_STR(err.message, "'x' is not a number");
    const char *empty = "a,label\n1,\n";
    mlp_error_clear(&err);
    CHECK(!mlp_csv_parse_labels(empty, strlen(empty), "f.csv", "label", &cls, &err));
    CHECK_STR(err.message, "empty label");
}

static const char *const MODEL = "input x[2]\ninput c\nparam W[2,2] ~ he_uniform\nparam b[2] = 0\n"
                                 "z = W @ x + b\nL = softmax_xent(z, c)\noutput z\nloss L\n";

/* Points around (100, -50) and (110, -40) on very different scales: class by the sum. */
static mlp_dataset *points(int n)
{
    double *x = malloc((size_t)n * 2 * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int i = 0; i < n; i++) {
        int c = i % 2;
        x[2 * i] = 100 + 10 * c + (i * 7 % 5) - 2;
        x[2 * i + 1] = -50 + 10 * c + 0.1 * (i * 3 % 7);
        y[i] = c;
    }
    mlp_dataset *d = mlp_dataset_new(n, 2, x, 1, y, NULL);
    free(x);
    free(y);
    return d;
}

TEST(scaling_travels_with_the_weights)
{
    mlp_model *m = parse_ok(MODEL);
    mlp_dataset *train = points(60), *raw = points(60);
    mlp_error err = {0};
    CHECK(m && mlp_dataset_scale(train, NULL, MLP_SCALE_STANDARD, &err) == MLP_OK);
    mlp_train_options o;
    mlp_train_defaults(&o);
    o.epochs = 5;
    o.lr = 0.5;
    CHECK(mlp_train(m, train, NULL, &o, &err) == MLP_OK);
    CHECK(mlp_model_scale(m) == MLP_SCALE_STANDARD);
    char path[] = "/tmp/mlp-prep-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(mlp_model_save_weights(m, path, MLP_F32, &err) == MLP_OK);
    mlp_model *u = parse_ok(MODEL);
    CHECK(u && mlp_model_scale(u) == MLP_SCALE_NONE);
    CHECK(mlp_model_load_weights(u, path, &err) == MLP_OK);
    unlink(path);
    CHECK(mlp_model_scale(u) == MLP_SCALE_STANDARD);
    /* raw data through the loaded model = scaled data through the trained one */
    mlp_metrics a = {0}, b = {0};
    CHECK(mlp_evaluate(m, train, &a, &err) == MLP_OK && mlp_evaluate(u, raw, &b, &err) == MLP_OK);
    CHECK(a.loss == b.loss && a.accuracy == b.accuracy && a.accuracy > 0.9);
    mlp_predictions p = {0};
    CHECK(mlp_predict(u, raw, &p, &err) == MLP_OK);
    CHECK(p.n == 60 && p.width == 2 && p.classes == 2 && p.cls);
    CHECK_STR(p.names[1], "p[1]");
    int right = 0;
    for (int i = 0; i < 60; i++) {
        right += p.cls[i] == i % 2;
        CHECK(fabs(p.values[2 * i] + p.values[2 * i + 1] - 1) < 1e-6);
    }
    CHECK(right == (int)(a.accuracy * 60 + 0.5));
    /* and one raw row for a session */
    double row[2] = {110, -40};
    mlp_model_prepare_features(u, row, 1);
    CHECK(fabs(row[0]) < 3 && fabs(row[1]) < 3);
    mlp_predictions_free(&p);
    mlp_metrics_free(&a);
    mlp_metrics_free(&b);
    mlp_dataset_free(train);
    mlp_dataset_free(raw);
    mlp_model_free(m);
    mlp_model_free(u);
}

TEST(split_holds_out_a_seeded_fraction)
{
    mlp_dataset *d = points(50);
    mlp_error err = {0};
    mlp_dataset *v = mlp_dataset_split(d, 0.2, 3, &err);
    CHECK(v && mlp_dataset_count(v) == 10 && mlp_dataset_count(d) == 40);
    /* every sample is in exactly one part: the first features are distinct per (i mod 10) */
    double sum = 0, x[2];
    for (int i = 0; i < 40; i++)
        mlp_dataset_sample(d, i, x, NULL), sum += x[0] + x[1];
    for (int i = 0; i < 10; i++)
        mlp_dataset_sample(v, i, x, NULL), sum += x[0] + x[1];
    mlp_dataset *all = points(50);
    double want = 0;
    for (int i = 0; i < 50; i++)
        mlp_dataset_sample(all, i, x, NULL), want += x[0] + x[1];
    CHECK(fabs(sum - want) < 1e-6);
    CHECK(!mlp_dataset_split(all, 1.0, 3, &err));
    mlp_dataset_free(all);
    mlp_dataset_free(v);
    mlp_dataset_free(d);
}
