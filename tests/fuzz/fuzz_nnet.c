/* fuzz_nnet.c - the .nnet reader (mlp_nnet_parse), raw and with its normalisation.
 *
 * For a file that does not read: an input error naming the file, one line, its position inside
 * the text. For one that reads:
 *  - the model has one input `x` and one output `y`, both vectors;
 *  - every parameter value is the double of the text it keeps (so verify sees what was written);
 *  - the printed model parses back and prints the same (import is load-then-print);
 *  - with --nnet-normalize the file reads too, unless it is a range of 0 or a minimum above its
 *    maximum that stops it; a file that reads normalised reads raw.
 */
#include "fuzz.h"

#include <string.h>

#include "api/internal.h"
#include "io/import.h"

#define FILE_NAME "fuzz.nnet"
#define BUDGET ((int64_t)1 << 16)

static void check_model(const mlp_graph *g)
{
    FUZZ_ASSERT(g->nby_kind[MLP_INPUT] == 1 && g->noutputs == 1, "inputs %d outputs %d",
                g->nby_kind[MLP_INPUT], g->noutputs);
    FUZZ_ASSERT(!strcmp(g->names[g->outputs[0]].text, "y"), "output %s",
                g->names[g->outputs[0]].text);
    for (int64_t i = 0; i < g->npool; i++) {
        const char *t = g->pool_text ? g->pool_text[i] : NULL;
        FUZZ_ASSERT(t && strtod(t, NULL) == g->pool[i], "value %lld: %s vs %.17g", (long long)i,
                    t ? t : "(no text)", g->pool[i]);
    }
    fuzz_check_reprint(g, BUDGET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    mlp_error err = {0}, nerr = {0};
    mlp_graph *g = mlp_nnet_parse(text, size, FILE_NAME, 0, BUDGET, &err);
    mlp_graph *n = mlp_nnet_parse(text, size, FILE_NAME, MLP_LOAD_NNET_NORMALIZE, BUDGET, &nerr);
    if (!g)
        fuzz_check_error(&err, text, size, FILE_NAME);
    else
        check_model(g);
    if (!n) {
        fuzz_check_error(&nerr, text, size, FILE_NAME);
        FUZZ_ASSERT(!g || strstr(nerr.message, "normalise") || strstr(nerr.message, "too large"),
                    "reads raw but not normalised: %s", nerr.message);
    } else {
        FUZZ_ASSERT(g, "reads normalised but not raw: %s", err.message);
        check_model(n);
    }
    mlp_graph_free(g);
    mlp_graph_free(n);
    free(text);
    return 0;
}
