/* prep.c - preprocessing saved with the weights (see prep.h): copies, metadata, application. */
#include "io/prep.h"
#include "io/tensorfile.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mlp_prep *mlp_prep_new(void)
{
    struct mlp_prep *p = mlp_xcalloc(1, sizeof *p);
    p->scale = MLP_SCALE_NONE;
    return p;
}

static double *copy_doubles(const double *v, int n)
{
    if (!v)
        return NULL;
    double *c = mlp_xmalloc((size_t)(n ? n : 1) * sizeof *c);
    memcpy(c, v, (size_t)n * sizeof *c);
    return c;
}

struct mlp_prep *mlp_prep_copy(const struct mlp_prep *p)
{
    if (!p)
        return NULL;
    struct mlp_prep *c = mlp_xmalloc(sizeof *c);
    *c = *p;
    c->shift = copy_doubles(p->shift, p->nstat);
    c->factor = copy_doubles(p->factor, p->nstat);
    c->classes = p->nclasses ? mlp_xmalloc((size_t)p->nclasses * sizeof *c->classes) : NULL;
    for (int i = 0; i < p->nclasses; i++)
        c->classes[i] = mlp_xstrdup(p->classes[i]);
    c->label = p->label ? mlp_xstrdup(p->label) : NULL;
    c->features = p->features ? mlp_xstrdup(p->features) : NULL;
    return c;
}

void mlp_prep_free(struct mlp_prep *p)
{
    if (!p)
        return;
    free(p->shift);
    free(p->factor);
    for (int i = 0; i < p->nclasses; i++)
        free(p->classes[i]);
    free(p->classes);
    free(p->label);
    free(p->features);
    free(p);
}

bool mlp_prep_empty(const struct mlp_prep *p)
{
    return !p || (p->scale == MLP_SCALE_NONE && !p->nclasses && !p->label && !p->features);
}

/* ---- metadata: "mlp.scale" (unit|standard), "mlp.scale.shift" and "mlp.scale.factor" (numbers
 * in shortest round-trip form, space-separated), "mlp.classes" (texts, one per line),
 * "mlp.label" and "mlp.features" (CSV column names) ---- */

static void add_meta(struct mlp_tensor_list *l, const char *key, char *value)
{
    int cap = l->nmeta;
    mlp_xreserve(&l->meta_key, &cap, l->nmeta + 1, sizeof *l->meta_key);
    cap = l->nmeta;
    mlp_xreserve(&l->meta_value, &cap, l->nmeta + 1, sizeof *l->meta_value);
    l->meta_key[l->nmeta] = mlp_xstrdup(key);
    l->meta_value[l->nmeta++] = value;
}

static char *numbers_text(const double *v, int n)
{
    mlp_strbuf b = {0};
    for (int i = 0; i < n; i++) {
        if (i)
            mlp_sb_putc(&b, ' ');
        mlp_sb_double(&b, v[i]);
    }
    return mlp_sb_take(&b);
}

void mlp_prep_to_meta(const struct mlp_prep *p, struct mlp_tensor_list *l)
{
    if (mlp_prep_empty(p))
        return;
    if (p->scale != MLP_SCALE_NONE) {
        add_meta(l, "mlp.scale", mlp_xstrdup(p->scale == MLP_SCALE_UNIT ? "unit" : "standard"));
        add_meta(l, "mlp.scale.shift", numbers_text(p->shift, p->nstat));
        add_meta(l, "mlp.scale.factor", numbers_text(p->factor, p->nstat));
    }
    if (p->nclasses) {
        mlp_strbuf b = {0};
        for (int i = 0; i < p->nclasses; i++) {
            if (i)
                mlp_sb_putc(&b, '\n');
            mlp_sb_puts(&b, p->classes[i]);
        }
        add_meta(l, "mlp.classes", mlp_sb_take(&b));
    }
    if (p->label)
        add_meta(l, "mlp.label", mlp_xstrdup(p->label));
    if (p->features)
        add_meta(l, "mlp.features", mlp_xstrdup(p->features));
}

/* n finite numbers, space-separated, exactly; false if the text is anything else. */
static bool parse_numbers(const char *s, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        if (i && *s++ != ' ')
            return false;
        if (!*s || *s == ' ')
            return false;
        char *end;
        errno = 0;
        out[i] = strtod(s, &end);
        if (end == s || errno == ERANGE || !isfinite(out[i]))
            return false;
        s = end;
    }
    return *s == '\0';
}

static int read_scale(const struct mlp_tensor_list *l, int nfeat, const char *path,
                      struct mlp_prep *p, mlp_error *err)
{
    const char *how = mlp_tensor_meta(l, "mlp.scale");
    const char *shift = mlp_tensor_meta(l, "mlp.scale.shift");
    const char *factor = mlp_tensor_meta(l, "mlp.scale.factor");
    if (!how && !shift && !factor)
        return MLP_OK;
    if (!how || (strcmp(how, "unit") && strcmp(how, "standard")) || !shift || !factor)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "__metadata__: mlp.scale must be "
                        "unit or standard, with mlp.scale.shift and mlp.scale.factor");
    p->scale = strcmp(how, "unit") ? MLP_SCALE_STANDARD : MLP_SCALE_UNIT;
    p->nfeat = nfeat;
    p->nstat = p->scale == MLP_SCALE_UNIT ? 1 : nfeat;
    p->shift = mlp_xmalloc((size_t)p->nstat * sizeof *p->shift);
    p->factor = mlp_xmalloc((size_t)p->nstat * sizeof *p->factor);
    if (!parse_numbers(shift, p->shift, p->nstat) || !parse_numbers(factor, p->factor, p->nstat))
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "__metadata__: mlp.scale.shift and "
                        "mlp.scale.factor must each hold %d finite numbers (the model's first "
                        "input has %d features), separated by single spaces", p->nstat, nfeat);
    return MLP_OK;
}

static int read_classes(const char *text, const char *path, struct mlp_prep *p, mlp_error *err)
{
    int n = 1;
    for (const char *c = text; *c; c++)
        n += *c == '\n';
    p->classes = mlp_xcalloc((size_t)n, sizeof *p->classes);
    for (const char *c = text;; c++) {
        size_t len = strcspn(c, "\n");
        if (len == 0)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "__metadata__: mlp.classes has "
                            "an empty class name");
        p->classes[p->nclasses] = mlp_xstrndup(c, len);
        for (int i = 0; i < p->nclasses; i++)
            if (!strcmp(p->classes[i], p->classes[p->nclasses]))
                return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "__metadata__: mlp.classes "
                                "names a class twice");
        p->nclasses++;
        c += len;
        if (!*c)
            return MLP_OK;
    }
}

int mlp_prep_from_meta(const struct mlp_tensor_list *l, int nfeat, const char *path,
                       struct mlp_prep **out, mlp_error *err)
{
    *out = NULL;
    if (l->nmeta == 0)
        return MLP_OK;
    struct mlp_prep *p = mlp_prep_new();
    int rc = read_scale(l, nfeat, path, p, err);
    const char *classes = mlp_tensor_meta(l, "mlp.classes");
    if (rc == MLP_OK && classes)
        rc = read_classes(classes, path, p, err);
    const char *label = mlp_tensor_meta(l, "mlp.label"), *feat = mlp_tensor_meta(l, "mlp.features");
    p->label = label ? mlp_xstrdup(label) : NULL;
    p->features = feat ? mlp_xstrdup(feat) : NULL;
    if (rc != MLP_OK || mlp_prep_empty(p)) {
        mlp_prep_free(p);
        return rc;
    }
    *out = p;
    return MLP_OK;
}

/* ---- applying it ---- */

/* Feature k of one sample as the training data was scaled: in double, then stored as float32
 * (both scalers below give the same bits for the same float32 input). */
static float scaled(const struct mlp_prep *p, int k, float v)
{
    int s = p->nstat > 1 ? k : 0;
    return (float)((v - p->shift[s]) * p->factor[s]);
}

void mlp_prep_scale_floats(const struct mlp_prep *p, float *x, int64_t n)
{
    if (!p || p->scale == MLP_SCALE_NONE)
        return;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < p->nfeat; k++)
            x[i * p->nfeat + k] = scaled(p, k, x[i * p->nfeat + k]);
}

void mlp_prep_scale_doubles(const struct mlp_prep *p, double *x, int64_t n)
{
    if (!p || p->scale == MLP_SCALE_NONE)
        return;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < p->nfeat; k++)
            x[i * p->nfeat + k] = scaled(p, k, (float)x[i * p->nfeat + k]);
}

int mlp_prep_class(const struct mlp_prep *p, const char *text)
{
    for (int i = 0; p && i < p->nclasses; i++)
        if (!strcmp(p->classes[i], text))
            return i;
    return -1;
}
