/* net.h - the part of a model a property depends on, lowered for exact verification.
 *
 * vnet_init takes the cone of influence of some nodes, checks that every op in it is piecewise
 * linear, and lays the inputs it reaches out as variables x_0 .. x_{n-1}. A vevals holds one
 * affine form per element of every cone node (see linform.h): symbolic (forms over the n input
 * variables, valid in one activation region) or concrete (n = 0: exact rational values at one
 * input point). Both are computed by the same per-op rules, so the exact evaluator that re-checks
 * a counterexample is the very semantics the search decided regions with. */
#ifndef MLP_ANALYSIS_VERIFY_NET_H
#define MLP_ANALYSIS_VERIFY_NET_H

#include <stdbool.h>
#include <gmp.h>

#include "analysis/verify/linform.h"
#include "graph/graph.h"

/* Most rationals the affine forms of one network may take (values x (inputs + 1)). */
#define VNET_MAX_COEFFS ((int64_t)1 << 23)

/* Fractional bits of the relu relaxation's slope when settling by bounds (net.c relax_relu). */
#define VNET_LAMBDA_BITS 24

/* How a value depends on the inputs (decides which products stay linear). */
enum vdep {
    VDEP_CONST,   /* not at all: parameters, constants and what is computed from them */
    VDEP_PWCONST, /* only through step/drelu: constant within each activation region */
    VDEP_PWLIN,   /* piecewise linear */
};

struct vnet {
    const mlp_graph *g;
    int n;           /* cone nodes, in topological (id) order */
    mlp_id *id;      /* graph id of each cone node */
    int *slot;       /* cone index of each graph node, or -1 (g->n entries) */
    enum vdep *dep;
    int64_t *size;   /* elements per cone node */
    int64_t **src;   /* data-movement ops: 1 + source element of each element, 0 for a zero */
    int *var0;       /* inputs: their first variable; -1 for other nodes */
    int nvars;
};

/* *out = the model with every piecewise-linear op that its entry lowers (abs, max, clip, ...)
 * rewritten as relu, step, drelu and affine ops (lower.c), names kept; NULL when it has none
 * (use g itself). vnet_init refuses unlowered ops. */
int vnet_lower(const mlp_graph *g, mlp_graph **out, mlp_error *err);

/* Lower the cone of `roots`. Errors (an op that is not piecewise linear, a product of two
 * input-dependent values, a division by something that is not a constant) name the op's
 * file:line:col. */
int vnet_init(struct vnet *net, const mlp_graph *g, const mlp_id *roots, int nroots,
              mlp_error *err);
void vnet_free(struct vnet *net);
/* Whether a cone node is an activation that splits regions (step, relu, drelu). */
bool vnet_branches(const struct vnet *net, int k);
/* For such a node: the element is active iff its pre-activation z satisfies z >= 0 (closed, as
 * step) or z > 0 (open, as relu and drelu). */
bool vnet_closed(const struct vnet *net, int k);

/* One affine form with an error interval (linform.h) per element of every cone node. Exact
 * evaluations keep every interval at 0; a relaxed one (veval_relax_unit) over-approximates
 * units whose side is not decided, over the box `box`. */
struct veval {
    const struct vnet *net;
    int n;          /* variables per form: net->nvars (symbolic) or 0 (concrete) */
    mpq_t **f;      /* per cone node: size * (n + 1) rationals */
    mpq_t **lo, **hi;
    bool **unb;
    const struct vbox *box; /* for relaxed evaluation; NULL otherwise */
};

/* Symbolic (point == NULL: input element j of an input is its variable) or concrete (the inputs
 * take the values of `point`, net->nvars rationals). Leaves are set here. */
void veval_init(struct veval *ev, const struct vnet *net, const mpq_t *point);
void veval_free(struct veval *ev);
/* The form of element e of cone node k. */
static inline mpq_t *veval_form(const struct veval *ev, int k, int64_t e)
{
    return ev->f[k] + e * (ev->n + 1);
}
/* The whole value (form and interval) of element e of cone node k. */
static inline struct vaf veval_af(const struct veval *ev, int k, int64_t e)
{
    return (struct vaf){ev->f[k] + e * (ev->n + 1), ev->lo[k][e], ev->hi[k][e], &ev->unb[k][e]};
}
/* Compute a cone node that does not branch from its operands. Fails only on division by zero. */
int veval_node(struct veval *ev, int k, mlp_error *err);
/* For a branching node: the pre-activation of element e, and setting the element's value once
 * its side is decided. */
const mpq_t *veval_pre(const struct veval *ev, int k, int64_t e);
void veval_set_side(struct veval *ev, int k, int64_t e, bool active);
/* A unit whose side is not decided, over-approximated over ev->box: its side if the bounds of
 * its pre-activation fix it, else 0 + [0, 1] for step and drelu, and the chord relaxation for
 * relu (or [0, hi], or nothing known, when the bounds are one-sided). */
void veval_relax_unit(struct veval *ev, int k, int64_t e);
/* Concrete evaluation (n = 0): compute every node, each unit's side decided by the sign of its
 * pre-activation. */
int veval_concrete(struct veval *ev, mlp_error *err);
/* Whether a constant pre-activation z is on the active side (n = 0 forms and constants). */
bool vnet_active_at(const struct vnet *net, int k, const mpq_t z);

#endif
