/* depends.c - which values depend on which inputs: what a run needs to be given. */
#include "api/internal.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* Mark every node `from` reaches through operands (an explicit stack: graphs can be as deep as
 * they are long). */
static void reach(const mlp_graph *g, mlp_id from, bool *seen)
{
    mlp_id *stack = mlp_xmalloc(((size_t)g->n + 1) * sizeof *stack);
    int top = 0;
    stack[top++] = from;
    seen[from] = true;
    while (top > 0) {
        const struct mlp_node *n = mlp_node(g, stack[--top]);
        for (int k = 0; k < MLP_MAX_ARITY; k++)
            if (n->in[k] != MLP_NONE && !seen[n->in[k]]) {
                seen[n->in[k]] = true;
                stack[top++] = n->in[k];
            }
    }
    free(stack);
}

int mlp_model_inputs_needed(const mlp_model *m, const char *name, int *needs, mlp_error *err)
{
    const mlp_graph *g = m->g;
    int nm = mlp_graph_find(g, name, (int)strlen(name));
    if (nm < 0)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "no value named '%s' in the model",
                        name);
    bool *seen = mlp_xcalloc((size_t)g->n + 1, sizeof *seen);
    reach(g, g->names[nm].node, seen);
    for (int i = 0; i < g->nby_kind[MLP_INPUT]; i++)
        needs[i] = seen[g->names[g->by_kind[MLP_INPUT][i]].node];
    free(seen);
    return MLP_OK;
}
