/* fuzz_npy.c - NumPy .npy arrays (mlp_npy_parse, then mlp_model_load_npy's checks against a
 * fixed model).
 *
 * For a file that does not parse: an input error (or "unsupported", for dtypes and layouts mlp
 * does not load) naming the file, with a one-line message; "at byte N" lies in the file.
 * For a file that parses: at most 4 dimensions, a size that is the product of the shape, and
 * data after the header of exactly size x 4 or size x 8 bytes; the array written back as a
 * float64 .npy parses to the same shape and bits. Loaded into each parameter of the fixed model
 * it succeeds exactly when the shapes agree; then the parameter holds the array's bits, and
 * saving the model's weights (mlp_model_save_weights) and loading them into a second copy gives
 * the same bits.
 */
#include "fuzz.h"

#include <string.h>

#include "api/internal.h"
#include "io/tensorfile.h"

#define FILE_NAME "fuzz.npy"

/* Made once: the harness's own state. */
static mlp_model *model, *copy;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_weights_models(&model, &copy);
    return 0;
}

/* The tensor as a version 1.0 .npy of little-endian float64 (malloc'ed; *len its size). */
static unsigned char *write_npy(const struct mlp_tensor *t, size_t *len)
{
    char dict[160];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (");
    for (int d = 0; d < t->rank; d++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%d, ", t->dim[d]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }\n");
    size_t data = (size_t)t->size * 8;
    *len = 10 + (size_t)n + data;
    unsigned char *buf = malloc(*len);
    FUZZ_ASSERT(buf, "out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(n & 0xFF);
    buf[9] = (unsigned char)(n >> 8);
    memcpy(buf + 10, dict, (size_t)n);
    for (int64_t i = 0; i < t->size; i++) {
        uint64_t u;
        memcpy(&u, &t->values[i], 8);
        for (int b = 0; b < 8; b++)
            buf[10 + (size_t)n + (size_t)i * 8 + (size_t)b] = (unsigned char)(u >> (8 * b));
    }
    return buf;
}

static bool same_shape(const struct mlp_tensor *a, const struct mlp_tensor *b)
{
    return a->rank == b->rank && !memcmp(a->dim, b->dim, (size_t)a->rank * sizeof *a->dim);
}

static void check_array(const struct mlp_tensor *t, const uint8_t *data, size_t size)
{
    FUZZ_ASSERT(t->rank >= 0 && t->rank <= MLP_MAX_RANK, "rank %d", t->rank);
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++) {
        FUZZ_ASSERT(t->dim[d] >= 0, "dimension %d", t->dim[d]);
        n *= t->dim[d];
    }
    FUZZ_ASSERT(n == t->size, "%lld values for the shape's %lld", (long long)t->size, (long long)n);
    size_t lenbytes = data[6] == 1 ? 2 : 4, hlen = 0;
    for (size_t b = 0; b < lenbytes; b++)
        hlen |= (size_t)data[8 + b] << (8 * b);
    size_t rest = size - 8 - lenbytes - hlen;
    FUZZ_ASSERT(rest == (size_t)n * 4 || rest == (size_t)n * 8, "%zu bytes of data for %lld values",
                rest, (long long)n);
    size_t len;
    unsigned char *again = write_npy(t, &len);
    struct mlp_tensor u;
    mlp_error err = {0};
    FUZZ_ASSERT(mlp_npy_parse(again, len, "written.npy", &u, &err) == MLP_OK,
                "the array written back does not parse: %s", err.message);
    FUZZ_ASSERT(same_shape(t, &u) && u.size == t->size &&
                !memcmp(u.values, t->values, (size_t)t->size * sizeof *t->values),
                "the array written back reads as another");
    free(u.values);
    free(again);
}

/* Load the array into each parameter: exactly those of its shape take it, bit for bit. */
static void check_load(const struct mlp_tensor *t)
{
    const mlp_graph *g = mlp_model_graph(model);
    for (int i = 0; i < g->nnames; i++) {
        if (g->names[i].kind != MLP_PARAM)
            continue;
        mlp_id id = g->names[i].node;
        mlp_shape s = mlp_node(g, id)->shape;
        struct mlp_tensor want = {.rank = s.rank};
        memcpy(want.dim, s.dim, sizeof want.dim);
        mlp_error err = {0};
        int rc = mlp_model_set_tensor(model, g->names[i].text, t, FILE_NAME, &err);
        FUZZ_ASSERT((rc == MLP_OK) == same_shape(t, &want), "loading into '%s': status %d: %s",
                    g->names[i].text, rc, err.message);
        if (rc != MLP_OK) {
            fuzz_check_error(&err, "", 0, FILE_NAME);
            continue;
        }
        FUZZ_ASSERT(!memcmp(mlp_node_values(g, id), t->values, (size_t)t->size * sizeof(double)),
                    "'%s' does not hold the array's values", g->names[i].text);
        fuzz_check_weights_round_trip(model, copy);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mlp_tensor t;
    mlp_error err = {0};
    if (mlp_npy_parse(data, size, FILE_NAME, &t, &err) != MLP_OK) {
        if (err.status == MLP_ERR_UNSUPPORTED)
            err.status = MLP_ERR_INPUT; /* a dtype, version or layout mlp does not load */
        fuzz_check_error(&err, "", 0, FILE_NAME);
        fuzz_check_byte_position(&err, size);
        return 0;
    }
    check_array(&t, data, size);
    check_load(&t);
    free(t.values);
    return 0;
}
