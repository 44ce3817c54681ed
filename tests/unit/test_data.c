/* test_data.c - data sets: IDX (gzipped or not), CSV with named columns, scaling, and a table of
 * corrupt files each with its exact error. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

#include "io/dataset.h"
#include "io/idx.h"

#define DATA "tests/fixtures/data/"

TEST(idx_fixtures_load_gzipped_or_not)
{
    mlp_error err = {0};
    mlp_dataset *d = mlp_dataset_load(DATA "tiny-images.idx.gz," DATA "tiny-labels.idx.gz", NULL,
                                      NULL, &err);
    mlp_dataset *t = mlp_dataset_load(DATA "tiny-test-images.idx," DATA "tiny-test-labels.idx",
                                      NULL, NULL, &err);
    CHECK(d && t);
    CHECK(mlp_dataset_count(d) == 60 && mlp_dataset_features(d) == 16 && mlp_dataset_targets(d) == 1);
    CHECK(mlp_dataset_count(t) == 30);
    double x[16], y;
    mlp_dataset_sample(d, 4, x, &y); /* sample 4 is class 1: row 1 of the image is bright */
    CHECK(y == 1 && x[4] >= 180 && x[7] >= 180 && x[0] < 60);
    /* auto scaling maps byte images to [0, 1] with the training set's min and max */
    CHECK(!mlp_dataset_scale(d, t, MLP_SCALE_AUTO, &err));
    double lo = 1, hi = 0;
    for (int i = 0; i < 60; i++) {
        mlp_dataset_sample(d, i, x, NULL);
        for (int k = 0; k < 16; k++)
            lo = fmin(lo, x[k]), hi = fmax(hi, x[k]);
    }
    CHECK(lo == 0 && hi == 1);
    mlp_dataset_free(d);
    mlp_dataset_free(t);
}

TEST(standard_scaling_uses_training_statistics)
{
    mlp_dataset *a = mlp_dataset_new(4, 2, (double[]){1, 5, 3, 5, 5, 5, 7, 5}, 1, (double[]){0, 0, 0, 0}, NULL);
    mlp_dataset *b = mlp_dataset_new(1, 2, (double[]){4, 9}, 1, (double[]){0}, NULL);
    CHECK(!mlp_dataset_scale(a, b, MLP_SCALE_STANDARD, NULL));
    double x[2];
    mlp_dataset_sample(a, 0, x, NULL); /* mean 4, std sqrt(5) */
    CHECK_CLOSE(x[0], -3 / sqrt(5.0), 1e-6);
    CHECK(x[1] == 0); /* a constant feature is centred, not divided by zero */
    mlp_dataset_sample(b, 0, x, NULL);
    CHECK(x[0] == 0 && x[1] == 4);
    mlp_dataset_free(a);
    mlp_dataset_free(b);
}

TEST(csv_data_sets_name_their_columns)
{
    mlp_error err = {0};
    mlp_dataset *d = mlp_dataset_load(DATA "blobs.csv", "label", NULL, &err);
    CHECK(d && mlp_dataset_count(d) == 80 && mlp_dataset_features(d) == 2);
    double x[2], y;
    mlp_dataset_sample(d, 0, x, &y);
    CHECK_CLOSE(x[0], -1.2451, 1e-6);
    CHECK(y == 0);
    mlp_dataset_free(d);
    d = mlp_dataset_load(DATA "blobs.csv", "x1", "x2", &err); /* any columns can be targets */
    CHECK(d && mlp_dataset_features(d) == 1);
    mlp_dataset_sample(d, 0, x, &y);
    CHECK_CLOSE(x[0], -1.2215, 1e-6);
    CHECK_CLOSE(y, -1.2451, 1e-6);
    mlp_dataset_free(d);
    struct {
        const char *spec, *label, *features, *message;
    } cases[] = {
        {DATA "blobs.csv", "y", NULL, "no column named 'y' in the header row"},
        {DATA "blobs.csv", NULL, NULL, "name the label column(s) of a CSV data set (--label NAME)"},
        {DATA "blobs.csv", "label", "x1,label", "column 'label' is named twice (as a label and a "
                                                "feature, or twice in one list)"},
        {DATA "blobs.csv", "label,x1,x2", NULL, "no feature columns are left"},
        {"nothing.txt", "y", NULL, "not a data set: expected fashion-mnist[:train|:test], "
                                   "IMAGES,LABELS (two IDX files) or a .csv file"},
        {"fashion-mnist:valid", NULL, NULL, "unknown split 'fashion-mnist:valid' (use "
                                            "fashion-mnist:train or fashion-mnist:test)"},
        {DATA "tiny-images.idx.gz," DATA "tiny-test-labels.idx", NULL, NULL,
         "30 labels for the 60 samples of " DATA "tiny-images.idx.gz"},
        {DATA "missing.idx," DATA "tiny-test-labels.idx", NULL, NULL,
         "cannot read: No such file or directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mlp_error e = {0};
        CHECK_MSG(!mlp_dataset_load(cases[i].spec, cases[i].label, cases[i].features, &e),
                  "case %zu loaded", i);
        if (strcmp(e.message, cases[i].message))
            test_fail(__FILE__, __LINE__, "case %zu: '%s'\n  expected '%s'", i, e.message,
                      cases[i].message);
    }
}

/* An IDX file: 0 0 type ndims, big-endian sizes, then `data` bytes (all 7). */
static size_t idx_bytes(unsigned char *buf, int type, int ndims, const int *dims, size_t data)
{
    buf[0] = buf[1] = 0;
    buf[2] = (unsigned char)type;
    buf[3] = (unsigned char)ndims;
    for (int d = 0; d < ndims; d++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * d + b] = (unsigned char)((unsigned)dims[d] >> (24 - 8 * b));
    memset(buf + 4 + 4 * ndims, 7, data);
    return 4 + 4 * (size_t)ndims + data;
}

TEST(corrupt_idx_each_give_their_error)
{
    static unsigned char buf[512];
    struct mlp_idx x;
    mlp_error err = {0};
    size_t len = idx_bytes(buf, 0x08, 3, (int[]){2, 3, 4}, 24);
    CHECK(!mlp_idx_parse(buf, len, "a.idx", &x, &err));
    CHECK(x.count == 24 && x.ndims == 3 && x.values[23] == 7);
    free(x.values);
    struct {
        int type, ndims, dims[3];
        size_t data, cut;
        const char *message;
    } cases[] = {
        {0x08, 3, {2, 3, 4}, 23, 0, "the header's sizes 2x3x4 need 24 bytes of unsigned bytes, "
                                    "but 23 bytes follow the header (truncated)"},
        {0x08, 1, {5}, 6, 0, "the header's sizes 5 need 5 bytes of unsigned bytes, but 6 bytes "
                             "follow the header (trailing data)"},
        {0x0D, 2, {2, 2}, 8, 0, "the header's sizes 2x2 need 16 bytes of float32, but 8 bytes "
                                "follow the header (truncated)"},
        {0x07, 1, {1}, 1, 0, "unknown IDX type code 0x07"},
        {0x08, 0, {0}, 0, 0, "0 dimensions (mlp reads IDX arrays of 1 to 4)"},
        {0x08, 3, {2, 3, 4}, 0, 6, "file of 10 bytes ends inside the 3 dimension sizes"},
        {0x08, 1, {1}, 0, 14, "file of 2 bytes is too short for an IDX header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        len = idx_bytes(buf, cases[i].type, cases[i].ndims, cases[i].dims, cases[i].data);
        len -= cases[i].cut ? len - (cases[i].cut == 14 ? 2 : 10) : 0;
        mlp_error e = {0};
        CHECK_MSG(mlp_idx_parse(buf, len, "a.idx", &x, &e) == MLP_ERR_INPUT, "case %zu parsed", i);
        if (strcmp(e.message, cases[i].message))
            test_fail(__FILE__, __LINE__, "case %zu: '%s'\n  expected '%s'", i, e.message,
                      cases[i].message);
    }
    buf[0] = 0x1f;
    buf[1] = 0x8b;
    mlp_error e = {0};
    CHECK(mlp_idx_parse(buf, 20, "a.idx", &x, &e) == MLP_ERR_INPUT);
    CHECK_STR(e.message, "bad magic number 0x1f8b0801 (an IDX file starts with two zero bytes, a "
                         "type code and the number of dimensions)");
}

TEST(corrupt_gzip_is_an_error_not_garbage)
{
    /* The fixture cut in half: zlib sees the stream end early. */
    unsigned char *buf = malloc(4096);
    FILE *f = fopen(DATA "tiny-images.idx.gz", "rb");
    CHECK(buf && f);
    size_t n = fread(buf, 1, 4096, f);
    fclose(f);
    char path[128];
    snprintf(path, sizeof path, "/tmp/mlp-test-%d-cut.idx.gz", (int)getpid());
    f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, n / 2, f) == n / 2 && !fclose(f));
    struct mlp_idx x;
    mlp_error err = {0};
    CHECK(mlp_idx_read(path, &x, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "corrupt gzip data: unexpected end of file");
    /* A flipped byte inside the deflate stream. */
    buf[n / 2] ^= 0xff;
    buf[n / 2 + 1] ^= 0x55;
    f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, n, f) == n && !fclose(f));
    mlp_error e2 = {0};
    CHECK(mlp_idx_read(path, &x, &e2) == MLP_ERR_INPUT);
    CHECK(!strncmp(e2.message, "corrupt gzip data: ", 19));
    unlink(path);
    free(buf);
}

TEST(corrupt_csv_data_sets_each_give_their_error)
{
    struct {
        const char *text, *message;
        int line, col;
    } cases[] = {
        {"a,b,label\n1,2,0\n1,x2,1\n", "'x2' is not a number", 3, 3},
        {"a,b,label\n1,2,0\n1,2\n", "row has 2 fields, expected 3", 3, 1},
        {"a,b,label\n", "no data rows", 0, 0},
        {"1,2,0\n3,4,1\n", "a CSV data set needs a header row naming its columns", 0, 0},
        {"a,,label\n1,2,0\n", "empty column name in the header", 1, 3},
    };
    char path[128];
    snprintf(path, sizeof path, "/tmp/mlp-test-%d-bad.csv", (int)getpid());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        FILE *f = fopen(path, "w");
        CHECK(f && fputs(cases[i].text, f) >= 0 && !fclose(f));
        mlp_error err = {0};
        CHECK_MSG(!mlp_dataset_load(path, "label", NULL, &err), "case %zu loaded", i);
        if (strcmp(err.message, cases[i].message) || err.line != cases[i].line ||
            err.col != cases[i].col)
            test_fail(__FILE__, __LINE__, "case %zu: %d:%d: '%s'\n  expected %d:%d: '%s'", i,
                      err.line, err.col, err.message, cases[i].line, cases[i].col,
                      cases[i].message);
    }
    unlink(path);
}
