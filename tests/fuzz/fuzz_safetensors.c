/* fuzz_safetensors.c - safetensors weight files (mlp_safetensors_parse, then the checks of
 * mlp_model_load_weights against a fixed model).
 *
 * For a file that does not parse: an input error (or "unsupported", for dtypes mlp does not
 * load) naming the file, with a one-line message.
 * For a file that parses: at most 4 dimensions per tensor, sizes that are the products of the
 * shapes, names that differ. If the tensors fit the fixed model's parameters, the model holds
 * their values bit for bit, and saving it (mlp_model_save_weights, F64) and loading the file
 * into a second copy gives the same bits; if they do not fit, the model is unchanged.
 * Preprocessing in __metadata__ ("mlp.*" keys) either is an input error naming the file, or
 * parses, and written back as metadata parses to the same statistics and class names.
 */
#include "fuzz.h"

#include <string.h>

#include "api/internal.h"
#include "io/prep.h"
#include "io/tensorfile.h"

#define FILE_NAME "fuzz.safetensors"

/* Made once: the harness's own state. */
static mlp_model *model, *copy;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_weights_models(&model, &copy);
    return 0;
}

static void check_tensors(const struct mlp_tensor_list *l)
{
    for (int i = 0; i < l->n; i++) {
        const struct mlp_tensor *t = &l->t[i];
        FUZZ_ASSERT(t->name && t->rank >= 0 && t->rank <= MLP_MAX_RANK, "tensor %d: rank %d", i,
                    t->rank);
        int64_t size = 1;
        for (int d = 0; d < t->rank; d++) {
            FUZZ_ASSERT(t->dim[d] >= 0, "tensor '%s': dimension %d", t->name, t->dim[d]);
            size *= t->dim[d];
        }
        FUZZ_ASSERT(size == t->size, "tensor '%s': %lld values for its shape's %lld", t->name,
                    (long long)t->size, (long long)size);
        for (int k = 0; k < i; k++)
            FUZZ_ASSERT(strcmp(l->t[k].name, t->name), "tensor '%s' appears twice", t->name);
    }
}

/* Every parameter of the model holds the values of the tensor of its name. */
static bool holds(const mlp_model *m, const struct mlp_tensor_list *l)
{
    const mlp_graph *g = mlp_model_graph(m);
    for (int i = 0; i < l->n; i++) {
        int nm = mlp_graph_find(g, l->t[i].name, (int)strlen(l->t[i].name));
        FUZZ_ASSERT(nm >= 0, "tensor '%s' loaded into no parameter", l->t[i].name);
        if (memcmp(mlp_node_values(g, g->names[nm].node), l->t[i].values,
                   (size_t)l->t[i].size * sizeof(double)))
            return false;
    }
    return true;
}

/* The preprocessing in the metadata (for 3 features, as the fixed model's first input). */
static void check_prep(const struct mlp_tensor_list *l)
{
    struct mlp_prep *p, *q;
    mlp_error err = {0};
    if (mlp_prep_from_meta(l, 3, FILE_NAME, &p, &err) != MLP_OK) {
        fuzz_check_error(&err, "", 0, FILE_NAME);
        return;
    }
    if (!p)
        return;
    struct mlp_tensor_list back = {0};
    mlp_prep_to_meta(p, &back);
    FUZZ_ASSERT(mlp_prep_from_meta(&back, 3, FILE_NAME, &q, &err) == MLP_OK && q,
                "preprocessing written back does not parse: %s", err.message);
    FUZZ_ASSERT(p->scale == q->scale && p->nstat == q->nstat && p->nclasses == q->nclasses,
                "preprocessing changed when written back");
    for (int i = 0; i < p->nstat; i++)
        FUZZ_ASSERT(!memcmp(&p->shift[i], &q->shift[i], sizeof(double)) &&
                    !memcmp(&p->factor[i], &q->factor[i], sizeof(double)), "statistic %d changed", i);
    for (int i = 0; i < p->nclasses; i++)
        FUZZ_ASSERT(!strcmp(p->classes[i], q->classes[i]), "class %d changed", i);
    mlp_prep_free(p);
    mlp_prep_free(q);
    mlp_tensor_list_free(&back);
}

static void snapshot(const mlp_model *m, double *out)
{
    const mlp_graph *g = mlp_model_graph(m);
    memcpy(out, g->pool, (size_t)g->npool * sizeof *out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mlp_tensor_list l;
    mlp_error err = {0};
    if (mlp_safetensors_parse(data, size, FILE_NAME, &l, &err) != MLP_OK) {
        if (err.status == MLP_ERR_UNSUPPORTED)
            err.status = MLP_ERR_INPUT; /* a dtype or rank mlp does not load: same checks */
        fuzz_check_error(&err, "", 0, FILE_NAME);
        fuzz_check_byte_position(&err, size);
        return 0;
    }
    check_tensors(&l);
    check_prep(&l);
    const mlp_graph *g = mlp_model_graph(model);
    double *before = malloc((size_t)g->npool * sizeof *before + 1);
    double *after = malloc((size_t)g->npool * sizeof *after + 1);
    FUZZ_ASSERT(before && after, "out of memory");
    snapshot(model, before);
    if (mlp_model_set_tensors(model, &l, FILE_NAME, &err) == MLP_OK) {
        FUZZ_ASSERT(holds(model, &l), "the model does not hold the file's values");
        fuzz_check_weights_round_trip(model, copy);
    } else {
        fuzz_check_error(&err, "", 0, FILE_NAME);
        snapshot(model, after);
        FUZZ_ASSERT(!memcmp(before, after, (size_t)g->npool * sizeof *before),
                    "a file that does not fit changed the model");
    }
    free(before);
    free(after);
    mlp_tensor_list_free(&l);
    return 0;
}
