/* fuzz_util.c - helpers shared by the fuzz harnesses. */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "base/strbuf.h"
#include "lang/parser.h"

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_ASSERT(s, "out of memory");
    if (size)
        memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Length of line `line` (1-based) of text, or -1 if the text has fewer lines. */
static long line_length(const char *text, size_t len, int line)
{
    size_t i = 0;
    for (int l = 1; l < line; l++) {
        while (i < len && text[i] != '\n')
            i++;
        if (i == len)
            return -1;
        i++;
    }
    size_t start = i;
    while (i < len && text[i] != '\n')
        i++;
    return (long)(i - start);
}

void fuzz_check_error(const mlp_error *err, const char *text, size_t len, const char *file)
{
    FUZZ_ASSERT(err->status == MLP_ERR_INPUT, "status %d: %s", err->status, err->message);
    FUZZ_ASSERT(err->message[0] && !strchr(err->message, '\n'), "message '%s'", err->message);
    if (err->line == 0 && err->col == 0) { /* about the whole text: the message may name it */
        FUZZ_ASSERT(!err->file[0] || !strcmp(err->file, file), "file '%s'", err->file);
        return;
    }
    FUZZ_ASSERT(!strcmp(err->file, file), "file '%s', expected '%s'", err->file, file);
    /* A column without a line is about a text that must be one line (a spec: "spec:COL"): a
     * column of its first line, the one the message shows. */
    int line = err->line ? err->line : 1;
    long n = line_length(text, len, line);
    FUZZ_ASSERT(line > 0 && n >= 0, "line %d outside the text: %s", line, err->message);
    FUZZ_ASSERT(err->col >= 1 && err->col <= n + 1, "column %d outside line %d (%ld bytes): %s",
                err->col, line, n, err->message);
}

/* A private temporary folder, made on first use and removed at exit (the harness's own state). */
static char scratch[64];

static void remove_scratch(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/weights.safetensors", scratch);
    unlink(path);
    rmdir(scratch);
}

static const char *scratch_dir(void)
{
    if (!scratch[0]) {
        snprintf(scratch, sizeof scratch, "%s", "/tmp/mlp-fuzz-XXXXXX");
        FUZZ_ASSERT(mkdtemp(scratch), "cannot make a temporary folder");
        atexit(remove_scratch);
    }
    return scratch;
}

void fuzz_check_weights_round_trip(const mlp_model *m, mlp_model *copy)
{
    char path[128];
    snprintf(path, sizeof path, "%s/weights.safetensors", scratch_dir());
    mlp_error err = {0};
    FUZZ_ASSERT(mlp_model_save_weights(m, path, MLP_F64, &err) == MLP_OK, "save: %s", err.message);
    FUZZ_ASSERT(mlp_model_load_weights(copy, path, &err) == MLP_OK, "reload: %s", err.message);
    const mlp_graph *g = mlp_model_graph(m), *h = mlp_model_graph(copy);
    FUZZ_ASSERT(g->nnames == h->nnames, "the copy is another model");
    for (int i = 0; i < g->nnames; i++) {
        if (g->names[i].kind != MLP_PARAM)
            continue;
        int64_t n = mlp_shape_size(mlp_node(g, g->names[i].node)->shape);
        FUZZ_ASSERT(!memcmp(mlp_node_values(g, g->names[i].node),
                            mlp_node_values(h, h->names[i].node), (size_t)n * sizeof(double)),
                    "parameter '%s' reloads to other bits", g->names[i].text);
    }
}

void fuzz_check_byte_position(const mlp_error *err, size_t size)
{
    const char *at = strstr(err->message, "at byte ");
    if (!at)
        return;
    unsigned long long byte = strtoull(at + 8, NULL, 10);
    FUZZ_ASSERT(byte <= size, "byte %llu outside the file of %zu bytes: %s", byte, size,
                err->message);
}

mlp_model *fuzz_fixed_model(const char *text, const char *file)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(text, file, &err);
    FUZZ_ASSERT(m, "the fixed model does not parse: %s", err.message);
    return m;
}

void fuzz_weights_models(mlp_model **model, mlp_model **copy)
{
    static const char text[] = "input x[3]\n"
                               "param W[2,3] = 0\n"
                               "param b[2] = 0\n"
                               "param s = 1\n"
                               "y = s * (W @ x + b)\n"
                               "output y\n";
    *model = fuzz_fixed_model(text, "fixed.mlp");
    *copy = fuzz_fixed_model(text, "fixed.mlp");
}

char *fuzz_print(const mlp_graph *g, bool values)
{
    mlp_strbuf b = {0};
    struct mlp_print_options opt = {.values = values};
    mlp_print_model(g, &opt, &b);
    mlp_sb_putc(&b, 0); /* an empty model prints as "" */
    return mlp_sb_take(&b);
}

void fuzz_check_reprint(const mlp_graph *g, int64_t budget)
{
    char *text = fuzz_print(g, true);
    mlp_error err = {0};
    mlp_graph *again = mlp_parse_model_budget(text, strlen(text), "printed.mlp", budget, &err);
    FUZZ_ASSERT(again, "printed model does not parse: %d:%d: %s\n%s", err.line, err.col,
                err.message, text);
    char *text2 = fuzz_print(again, true);
    FUZZ_ASSERT(!strcmp(text, text2), "printing is not a fixed point:\n%s\n---\n%s", text, text2);
    free(text2);
    free(text);
    mlp_graph_free(again);
}
