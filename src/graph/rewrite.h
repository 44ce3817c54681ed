/* rewrite.h - copy a graph node by node into a new one, letting a hook replace nodes.
 *
 * One mechanism behind the analyses that transform a model: derive orders the terms of adjoint
 * sums, zeros substitutes what the user's facts imply (relu'(z1) = 0), convert swaps activations.
 * Nodes are copied in id order, so every operand is mapped before its users; op nodes are rebuilt
 * through the smart constructors, so substituted constants fold (0 * x = 0) and identical nodes
 * merge. Names, outputs and the loss are copied in their original order.
 */
#ifndef MLP_GRAPH_REWRITE_H
#define MLP_GRAPH_REWRITE_H

#include "graph/graph.h"

/* Return the node of dst that replaces src node `id`, or MLP_NONE for the default copy. Every
 * operand of `id` is already mapped: map[i] is the dst node of src node i < id. */
typedef mlp_id (*mlp_rewrite_fn)(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                                 const mlp_id *map);

/* A new graph rebuilt from src with the hook (may be NULL: a plain rebuild). If map_out is
 * non-NULL it receives the malloc'ed map (src->n entries). NULL with err filled on failure.
 * A declared leaf that the hook replaces loses its declaration: its name becomes a statement. */
mlp_graph *mlp_graph_rewrite(const mlp_graph *src, mlp_rewrite_fn fn, void *ctx, mlp_id **map_out,
                             mlp_error *err);

#endif
