/* dataset.c - data sets: what a spec names (a built-in set, two IDX files, a CSV file), their
 * accessors, and feature scaling. */
#include "io/dataset.h"
#include "io/idx.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/strbuf.h"
#include "io/csv.h"
#include "io/prep.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

mlp_dataset *mlp_dataset_wrap(int n, int nfeat, int ntarget, float *x, float *y,
                              const char *x_source, const char *y_source)
{
    mlp_dataset *d = mlp_xcalloc(1, sizeof *d);
    d->n = n;
    d->nfeat = nfeat;
    d->ntarget = ntarget;
    d->x = x;
    d->y = y;
    d->x_source = mlp_xstrdup(x_source);
    d->y_source = mlp_xstrdup(y_source);
    return d;
}

mlp_dataset *mlp_dataset_alloc(int n, int nfeat, int ntarget, const char *x_source,
                               const char *y_source, mlp_error *err)
{
    float *x = calloc((size_t)n * (size_t)nfeat + 1, sizeof *x);
    float *y = calloc((size_t)n * (size_t)ntarget + 1, sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        mlp_fail(err, MLP_ERR_NOMEM, x_source, MLP_NOLOC, "out of memory for %d samples", n);
        return NULL;
    }
    mlp_advise_huge_pages(x, (size_t)n * (size_t)nfeat * sizeof *x);
    return mlp_dataset_wrap(n, nfeat, ntarget, x, y, x_source, y_source);
}

void mlp_dataset_free(mlp_dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    free(d->x_source);
    free(d->y_source);
    mlp_prep_free(d->prep);
    free(d);
}

mlp_dataset *mlp_dataset_new(int n, int nfeat, const double *x, int ntarget, const double *y,
                             mlp_error *err)
{
    if (n < 1 || nfeat < 1 || ntarget < 1) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "a data set needs at least one sample, "
                 "feature and target (got %d, %d, %d)", n, nfeat, ntarget);
        return NULL;
    }
    for (size_t i = 0; i < (size_t)n * (size_t)(nfeat + ntarget); i++) {
        size_t nx = (size_t)n * (size_t)nfeat, j = i < nx ? i : i - nx;
        double v = i < nx ? x[i] : y[j];
        int width = i < nx ? nfeat : ntarget;
        char num[32];
        if (!(fabs(v) <= FLT_MAX)) { /* no float conversion out of range */
            mlp_fail(err, MLP_ERR_INPUT, "<arrays>", MLP_NOLOC, "sample %zu, %s %zu: %s is not a "
                     "finite float32", j / (size_t)width + 1, i < nx ? "feature" : "target",
                     j % (size_t)width + 1, mlp_format_double(v, num));
            return NULL;
        }
    }
    mlp_dataset *d = mlp_dataset_alloc(n, nfeat, ntarget, "<arrays>", "<arrays>", err);
    for (size_t i = 0; d && i < (size_t)n * (size_t)nfeat; i++)
        d->x[i] = (float)x[i];
    for (size_t i = 0; d && i < (size_t)n * (size_t)ntarget; i++)
        d->y[i] = (float)y[i];
    return d;
}

int mlp_dataset_count(const mlp_dataset *d) { return d->n; }
int mlp_dataset_features(const mlp_dataset *d) { return d->nfeat; }
int mlp_dataset_targets(const mlp_dataset *d) { return d->ntarget; }

void mlp_dataset_sample(const mlp_dataset *d, int i, double *x, double *y)
{
    for (int k = 0; x && k < d->nfeat; k++)
        x[k] = d->x[(size_t)i * (size_t)d->nfeat + (size_t)k];
    for (int k = 0; y && k < d->ntarget; k++)
        y[k] = d->y[(size_t)i * (size_t)d->ntarget + (size_t)k];
}

/* ---- CSV: a header row names the columns; the user names the label columns ---- */

/* Index of column `name` (len bytes), or -1. */
static int column(const mlp_table *t, const char *name, size_t len)
{
    for (int c = 0; c < t->cols; c++)
        if (strlen(t->names[c]) == len && !strncmp(t->names[c], name, len))
            return c;
    return -1;
}

/* Mark the columns a comma-separated list names (as `mark`); -1 when a name is unknown. */
static int mark_columns(const mlp_table *t, const char *list, int *role, int mark,
                        const char *path, mlp_error *err)
{
    int count = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int c = column(t, p, len);
        if (c < 0)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "no column named '%.*s' in the "
                            "header row", (int)len, p), -1;
        if (role[c])
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "column '%s' is named twice "
                            "(as a label and a feature, or twice in one list)", t->names[c]), -1;
        role[c] = mark;
        count++;
        p += len + (p[len] == ',');
    }
    return count;
}

enum { UNUSED, LABEL, FEATURE };

/* Whether every column a comma-separated list names is in the header (none: false). */
static bool all_columns(const mlp_table *t, const char *list, bool *none)
{
    bool all = true;
    *none = true;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        bool found = column(t, p, len) >= 0;
        all = all && found;
        *none = *none && !found;
        p += len + (p[len] == ',');
    }
    return all;
}

/* The names of the columns with role `want` (or, with want FEATURE and no features list, all
 * unmarked), comma-separated. */
static char *column_list(const mlp_table *t, const int *role, int want, bool any_unused)
{
    mlp_strbuf b = {0};
    for (int c = 0; c < t->cols; c++)
        if (role[c] == want || (any_unused && role[c] == UNUSED)) {
            if (b.len)
                mlp_sb_putc(&b, ',');
            mlp_sb_puts(&b, t->names[c]);
        }
    return mlp_sb_take(&b);
}

/* Label texts to class indices: the file's own sorted texts, or the training set's. */
static int label_classes(mlp_dataset *d, struct mlp_csv_classes *cls, const struct mlp_prep *train,
                         const char *path, mlp_error *err)
{
    if (!train || !train->nclasses) {
        d->prep->nclasses = cls->n;
        d->prep->classes = cls->names;
        cls->n = 0;
        cls->names = NULL;
        return MLP_OK;
    }
    int *map = mlp_xmalloc((size_t)cls->n * sizeof *map);
    int rc = MLP_OK;
    for (int i = 0; i < cls->n && rc == MLP_OK; i++)
        if ((map[i] = mlp_prep_class(train, cls->names[i])) < 0) {
            char shown[72];
            mlp_quote(cls->names[i], shown, sizeof shown);
            rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "label '%s' is not one of the %d "
                          "classes the model was trained on", shown, train->nclasses);
        }
    for (int r = 0; r < d->n && rc == MLP_OK; r++)
        d->y[r] = (float)map[(int)d->y[r]];
    free(map);
    if (rc == MLP_OK) {
        struct mlp_prep *c = mlp_prep_copy(train);
        d->prep->nclasses = c->nclasses;
        d->prep->classes = c->classes;
        c->nclasses = 0;
        c->classes = NULL;
        mlp_prep_free(c);
    }
    return rc;
}

mlp_dataset *mlp_csv_dataset(const char *path, const char *label, const char *features,
                             bool label_optional, const struct mlp_prep *classes, mlp_error *err)
{
    if ((!label || !*label) && !label_optional) {
        mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "name the label column(s) of a CSV data "
                 "set (--label NAME)");
        return NULL;
    }
    struct mlp_csv_classes *cls = NULL;
    mlp_table *t = mlp_csv_read_labels(path, label, &cls, err);
    if (!t)
        return NULL;
    mlp_dataset *d = NULL;
    int *role = mlp_xcalloc((size_t)t->cols, sizeof *role);
    int nlabel = 0, nfeat = -1, text_col = -1;
    bool none = true;
    if (!t->names)
        mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "a CSV data set needs a header row naming "
                 "its columns");
    else if (label && *label && (!label_optional || all_columns(t, label, &none) || !none))
        nlabel = mark_columns(t, label, role, LABEL, path, err);
    if (t->names && nlabel >= 0)
        nfeat = features ? mark_columns(t, features, role, FEATURE, path, err)
                         : t->cols - nlabel;
    for (int c = 0; nfeat > 0 && c < t->cols; c++)
        if (role[c] == LABEL && cls[c].n > 0) {
            if (nlabel > 1) {
                nfeat = -1;
                mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "label column '%s' holds texts; "
                         "texts are class names, for a single label column", t->names[c]);
            }
            text_col = c;
        }
    if (nfeat == 0)
        mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "no feature columns are left");
    if (nfeat > 0)
        d = mlp_dataset_alloc(t->rows, nfeat, nlabel, path, path, err);
    for (int r = 0; d && r < t->rows; r++)
        for (int c = 0, fi = 0, li = 0; c < t->cols; c++) {
            double dv = t->values[(size_t)r * (size_t)t->cols + (size_t)c];
            if (role[c] != UNUSED || !features) {
                if (!(fabs(dv) <= FLT_MAX)) { /* training and evaluation run in float32 */
                    char num[32], name[72];
                    mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "data row %d, column %d ('%s'): "
                             "%s is outside float32's range (magnitudes up to 3.4028235e38)",
                             r + 1, c + 1, mlp_quote(t->names[c], name, sizeof name),
                             mlp_format_double(dv, num));
                    mlp_dataset_free(d);
                    d = NULL;
                    break;
                }
            }
            float v = (float)dv;
            if (role[c] == LABEL)
                d->y[(size_t)r * (size_t)nlabel + (size_t)li++] = v;
            else if (role[c] == FEATURE || (!features && role[c] == UNUSED))
                d->x[(size_t)r * (size_t)nfeat + (size_t)fi++] = v;
        }
    if (d) {
        d->prep = mlp_prep_new();
        d->prep->label = nlabel ? column_list(t, role, LABEL, false) : NULL;
        d->prep->features = column_list(t, role, FEATURE, !features);
    }
    if (d && text_col >= 0 && label_classes(d, &cls[text_col], classes, path, err) != MLP_OK) {
        mlp_dataset_free(d);
        d = NULL;
    }
    mlp_csv_classes_free(cls, t->cols);
    free(role);
    mlp_table_free(t);
    return d;
}

/* A data set from an IDX file of samples (first axis) and one of their labels. */
static mlp_dataset *idx_dataset(const char *images, const char *labels, mlp_error *err)
{
    struct mlp_idx x, y;
    if (mlp_idx_read(images, &x, err) != MLP_OK)
        return NULL;
    if (mlp_idx_read(labels, &y, err) != MLP_OK) {
        free(x.values);
        return NULL;
    }
    mlp_dataset *d = NULL;
    if (x.dim[0] != y.dim[0])
        mlp_fail(err, MLP_ERR_INPUT, labels, MLP_NOLOC, "%lld labels for the %lld samples of %s",
                 (long long)y.dim[0], (long long)x.dim[0], images);
    else if (x.dim[0] == 0 || x.dim[0] > MLP_MAX_COUNT || x.count / x.dim[0] > MLP_MAX_COUNT)
        mlp_fail(err, MLP_ERR_INPUT, images, MLP_NOLOC, "%lld samples: nothing to train on",
                 (long long)x.dim[0]);
    else /* the arrays are already float32 rows in sample order: the data set takes them */
        d = mlp_dataset_wrap((int)x.dim[0], (int)(x.count / x.dim[0]), (int)(y.count / y.dim[0]),
                             x.values, y.values, images, labels);
    if (d) {
        d->bytes = x.type == 0x08;
        return d;
    }
    free(x.values);
    free(y.values);
    return NULL;
}

/* ---- specs ---- */

static mlp_dataset *fashion_mnist(const char *split, mlp_error *err)
{
    bool train = !split || !strcmp(split, "train");
    if (!train && strcmp(split, "test")) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "unknown split 'fashion-mnist:%s' (use "
                 "fashion-mnist:train or fashion-mnist:test)", split);
        return NULL;
    }
    const char *prefix = train ? "train" : "t10k";
    char images[300], labels[300];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", FASHION_DIR, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", FASHION_DIR, prefix);
    FILE *f = fopen(images, "rb");
    if (!f) {
        mlp_fail(err, MLP_ERR_IO, images, MLP_NOLOC, "fashion-mnist is not installed (install "
                 "Debian's dataset-fashion-mnist package)");
        return NULL;
    }
    fclose(f);
    return idx_dataset(images, labels, err);
}

mlp_dataset *mlp_dataset_load(const char *spec, const char *label, const char *features,
                              mlp_error *err)
{
    if (!strncmp(spec, "fashion-mnist", 13) && (!spec[13] || spec[13] == ':'))
        return fashion_mnist(spec[13] ? spec + 14 : NULL, err);
    const char *comma = strchr(spec, ',');
    if (comma) {
        char *images = mlp_xstrndup(spec, (size_t)(comma - spec));
        mlp_dataset *d = idx_dataset(images, comma + 1, err);
        free(images);
        return d;
    }
    size_t n = strlen(spec);
    if (n >= 4 && !strcmp(spec + n - 4, ".csv"))
        return mlp_csv_dataset(spec, label, features, false, NULL, err);
    struct stat st;
    if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
        mlp_fail(err, MLP_ERR_IO, spec, MLP_NOLOC, "cannot read: Is a directory"); /* as a .csv one */
        return NULL;
    }
    mlp_fail(err, MLP_ERR_INPUT, spec, MLP_NOLOC, "not a data set: expected fashion-mnist[:train|"
             ":test], IMAGES,LABELS (two IDX files) or a .csv file");
    return NULL;
}

/* ---- scaling ---- */

static void affine(mlp_dataset *d, const double *shift, const double *scale, bool per_feature)
{
    for (size_t i = 0; d && i < (size_t)d->n; i++)
        for (int k = 0; k < d->nfeat; k++) {
            int s = per_feature ? k : 0;
            float *v = &d->x[i * (size_t)d->nfeat + (size_t)k];
            *v = (float)((*v - shift[s]) * scale[s]);
        }
}

int mlp_dataset_scale(mlp_dataset *train, mlp_dataset *test, mlp_scale how, mlp_error *err)
{
    if (test && test->nfeat != train->nfeat)
        return mlp_fail(err, MLP_ERR_INPUT, test->x_source, MLP_NOLOC, "%d features per sample, "
                        "but the training data has %d", test->nfeat, train->nfeat);
    if (how == MLP_SCALE_AUTO)
        how = train->bytes ? MLP_SCALE_UNIT : MLP_SCALE_NONE;
    if (how == MLP_SCALE_NONE)
        return MLP_OK;
    size_t n = (size_t)train->n, f = (size_t)train->nfeat;
    bool per_feature = how == MLP_SCALE_STANDARD;
    double *shift = calloc(f, sizeof *shift), *scale = calloc(f, sizeof *scale);
    double *sq = per_feature ? calloc(f, sizeof *sq) : NULL;
    if (!shift || !scale || (per_feature && !sq)) {
        free(shift);
        free(scale);
        free(sq);
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
    }
    if (per_feature) { /* mean and standard deviation of each feature, in double */
        for (size_t i = 0; i < n * f; i++) {
            shift[i % f] += train->x[i];
            sq[i % f] += (double)train->x[i] * train->x[i];
        }
        for (size_t k = 0; k < f; k++) {
            shift[k] /= (double)n;
            double var = sq[k] / (double)n - shift[k] * shift[k];
            scale[k] = var > 1e-24 ? 1 / sqrt(var) : 1;
        }
    } else { /* one min and max over every feature: images keep their relative intensities */
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n * f; i++) { /* values are finite: plain comparisons */
            double v = train->x[i];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        shift[0] = lo;
        scale[0] = hi > lo ? 1 / (hi - lo) : 1;
    }
    affine(train, shift, scale, per_feature);
    affine(test, shift, scale, per_feature);
    /* the statistics go with the training set, and from there with the trained weights */
    if (!train->prep)
        train->prep = mlp_prep_new();
    struct mlp_prep *p = train->prep;
    free(p->shift);
    free(p->factor);
    p->scale = how;
    p->nfeat = (int)f;
    p->nstat = per_feature ? (int)f : 1;
    p->shift = shift;
    p->factor = scale;
    train->scaled = true;
    if (test)
        test->scaled = true; /* evaluation must not scale it again */
    free(sq);
    return MLP_OK;
}

void mlp_dataset_scale_with(mlp_dataset *d, const struct mlp_prep *p)
{
    if (!p || p->scale == MLP_SCALE_NONE || d->nfeat != p->nfeat)
        return;
    mlp_prep_scale_floats(p, d->x, d->n);
    d->scaled = true;
    if (!d->prep) /* the statistics go on with it (training from saved weights keeps them) */
        d->prep = mlp_prep_new();
    struct mlp_prep *c = mlp_prep_copy(p);
    free(d->prep->shift);
    free(d->prep->factor);
    d->prep->scale = c->scale;
    d->prep->nfeat = c->nfeat;
    d->prep->nstat = c->nstat;
    d->prep->shift = c->shift;
    d->prep->factor = c->factor;
    c->shift = c->factor = NULL;
    mlp_prep_free(c);
}
