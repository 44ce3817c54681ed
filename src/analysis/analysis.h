/* analysis.h - what the analyses (derive, zeros, draw, convert, equiv) share inside the library:
 * the model's graph with its adjoint graph, and writing expressions as mathematics. */
#ifndef MLP_ANALYSIS_H
#define MLP_ANALYSIS_H

#include "graph/graph.h"
#include "base/strbuf.h"

/* ---- the analyses on a model's graph (their public wrappers, on mlp_model, are in
 * src/api/analysis.c) ---- */

char *mlp_draw_graph(const mlp_graph *model, const mlp_draw_options *opt, mlp_error *err);
char *mlp_derive_graph(const mlp_graph *model, const char *const *wrt, int nwrt,
                       mlp_derive_format format, mlp_error *err);
int mlp_zeros_graph(const mlp_graph *model, const char *const *facts, int nfacts,
                    const char *const *wrt, int nwrt, mlp_zero_result **out, int *n, mlp_error *err);
/* A new graph (convert.c, fold.c), or NULL with err set. */
mlp_graph *mlp_convert_activation_graph(const mlp_graph *model, const char *from, const char *to,
                                        int flags, char **report, mlp_error *err);
mlp_graph *mlp_fold_graph(const mlp_graph *model, char **report, mlp_error *err);
/* exact_only (tests): the region enumeration even where the branch and bound applies. */
int mlp_verify_graph(const mlp_graph *model, const char *spec, const char *const *bounds,
                     int nbounds, const mlp_verify_options *opt, bool exact_only,
                     mlp_verify_result *out, mlp_error *err);

/* ---- the backward pass of a model (backprop.c) ---- */

struct mlp_backprop {
    mlp_graph *g;  /* a copy of the model's graph with the adjoint graph appended */
    int nprimal;   /* nodes below this id are the model's own */
    mlp_id loss;   /* the loss node */
    mlp_id *adj;   /* per primal node: its adjoint, or MLP_NONE where the loss does not need it */
    int nwrt;
    mlp_id *wrt;   /* the nodes differentiated with respect to */
    mlp_id *grad;  /* their adjoints (an anonymous zero where a value does not reach the loss) */
    mlp_id *named; /* per node of g after differentiating: the last named primal whose adjoint
                      it is, or MLP_NONE (mlp_backprop_names looks it up here) */
    int nnamed;
};

/* Differentiate the model's loss with respect to the named values, or (wrt NULL) every input
 * and parameter. Errors name the problem (no loss, an unknown or repeated name). */
int mlp_backprop_build(struct mlp_backprop *bp, const mlp_graph *model, const char *const *wrt,
                       int nwrt, mlp_error *err);
void mlp_backprop_free(struct mlp_backprop *bp);
/* Whether node id is the adjoint of a named primal node (constants never count: they are
 * written as numbers); *primal receives the latest such node (the first one backpropagation
 * reaches). */
bool mlp_backprop_names(const struct mlp_backprop *bp, mlp_id id, mlp_id *primal);

/* ---- facts about values, and what they imply for signs (facts.c, signs.c) ---- */

enum { SIGN_NEG = MLP_SIGN_NEG, SIGN_ZERO = MLP_SIGN_ZERO, SIGN_POS = MLP_SIGN_POS, SIGN_ANY = MLP_SIGN_ANY };

/* "z1 < 0": every element of a named value compared with a number. */
struct mlp_fact {
    mlp_id node;
    unsigned signs; /* the signs the fact leaves possible (SIGN_* bits) */
    bool exact;     /* "== c": the value is c */
    double value;
    char text[400]; /* the fact as written, normalised: "z1 < 0" (a name of at most 256
                       characters, a relation, a sign and a number of at most 127) */
};

/* Parse facts ("z1 < 0, h1 == 0", also separated by `and`) about the graph's named values and
 * append them to *facts (*n of them). Errors read `where:1:col: error: ...`. */
int mlp_facts_parse(const mlp_graph *g, const char *text, const char *where,
                    struct mlp_fact **facts, int *n, mlp_error *err);

enum mlp_sign_cause {
    SIGN_OPEN,          /* nothing known beyond what the op guarantees */
    SIGN_ASSUMED,       /* a fact */
    SIGN_FROM_OPERANDS, /* what the operands' signs imply: relu(z) = 0 when z < 0 */
    SIGN_FROM_USER,     /* what a user's sign implies: z <= 0 when relu(z) = 0 */
};

/* The signs a node's elements can have, and the reason the set is that small. */
struct mlp_sign {
    unsigned set;
    enum mlp_sign_cause cause;
    int fact;    /* SIGN_ASSUMED: index of the fact */
    mlp_id user; /* SIGN_FROM_USER: the node whose sign implied this one */
};

/* The sign of every node of g under the facts, by propagation forwards through the ops and
 * backwards through relu and step (exact over the reals). NULL with err when the facts
 * contradict each other or the model (h == 0 for h = sigmoid(z)). */
struct mlp_sign *mlp_signs(const mlp_graph *g, const struct mlp_fact *facts, int nfacts,
                           mlp_error *err);
/* Append why node id has its sign: "relu'(z1) = 0 because z1 < 0 (assumed)". */
void mlp_sign_explain(const mlp_graph *g, const struct mlp_sign *signs,
                      const struct mlp_fact *facts, mlp_id id, mlp_strbuf *out);

/* ---- mathematics (mathprint.c) ---- */

enum mlp_math_style { MLP_MATH_TEXT, MLP_MATH_LATEX };

/* The display text of a node that prints as a name, or NULL: then a named node prints its own
 * name and any other node its expression. */
typedef const char *(*mlp_math_name_fn)(void *ctx, mlp_id id);

struct mlp_math {
    const mlp_graph *g;
    enum mlp_math_style style;
    mlp_math_name_fn name;
    void *ctx;
    bool batch_summed; /* set when a sum over the batch was written as its per-sample term */
};

/* Operator precedence of written mathematics, loosest first. */
enum { MATH_SUM = 1, MATH_PRODUCT = 2, MATH_UNARY = 3, MATH_POSTFIX = 4, MATH_ATOM = 5 };

/* Append node id as mathematics: W2ᵀ ȳ, h̄ ∘ σ'(z), \bar{h} \circ \sigma'(z). */
void mlp_math_expr(struct mlp_math *m, mlp_id id, mlp_strbuf *out);
/* Node id's own expression, even when it has a name: relu(z1) for h1 = relu(z1). */
void mlp_math_definition(struct mlp_math *m, mlp_id id, mlp_strbuf *out);
/* The same, in parentheses when it binds more loosely than min_prec. */
void mlp_math_operand(struct mlp_math *m, mlp_id id, int min_prec, mlp_strbuf *out);
/* A model name as a symbol: W1 -> "W1" or "W_{1}"; with a bar: "W̄1" or "\bar{W}_{1}". */
void mlp_math_name(const char *name, enum mlp_math_style style, bool bar, mlp_strbuf *out);
/* "x" for a named node, else its expression in plain text (for messages). */
void mlp_math_describe(const mlp_graph *g, mlp_id id, mlp_strbuf *out);

#endif
