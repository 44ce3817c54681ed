/* internal.h - how the public objects are made, for the library's own layers and tests. */
#ifndef MLP_API_INTERNAL_H
#define MLP_API_INTERNAL_H

#include "mlp.h"
#include "graph/graph.h"
#include "exec/plan.h"

struct mlp_prep;
struct mlp_model {
    mlp_graph *g;
    struct mlp_prep *prep; /* preprocessing loaded with the weights or set by training, or NULL */
};

struct mlp_session {
    mlp_graph *g; /* the model's graph, cloned, with the adjoint graph appended */
    mlp_plan *plan;
    int nwrt;
    int *wrt_name;     /* name index of each wrt */
    mlp_id *grad;      /* node computing the gradient for each wrt */
    bool *input_set;   /* per name: an input has been given values */
    mlp_id *xent;      /* softmax_xent nodes, whose class indices each run checks */
    int nxent;
    int *unset_input;  /* per node, after a run: the name of an input not set that it depends
                          on, or -1 (its value is then not available) */
    int unset_inputs;  /* inputs a run needs that have not been given values yet */
};

/* Record that input name nm has values (keeps unset_inputs, so a run checks in O(1)). */
void mlp_session_mark_set(mlp_session *s, int nm);
/* MLP_OK when node id's value was computed from inputs that were set; else the error, which
 * names `what` and the input it depends on. */
int mlp_session_available(const mlp_session *s, mlp_id id, const char *what, mlp_error *err);

/* The graph behind a model (owned by the model). */
static inline mlp_graph *mlp_model_graph(const mlp_model *m) { return m->g; }
/* Wrap a graph as a model (takes ownership). */
mlp_model *mlp_model_from_graph(mlp_graph *g);

/* What mlp_model_load_weights and mlp_model_load_npy do once a file is parsed (io/tensorfile.h),
 * for tensors held in memory; `path` names their file in messages. Every parameter must get a
 * tensor of its shape, and every tensor must name a parameter; the model is unchanged on failure. */
struct mlp_tensor;
struct mlp_tensor_list;
int mlp_model_set_tensors(mlp_model *m, const struct mlp_tensor_list *l, const char *path,
                          mlp_error *err);
/* Set parameter `name` from one tensor (whose own name is ignored) of the same shape. */
int mlp_model_set_tensor(mlp_model *m, const char *name, const struct mlp_tensor *t,
                         const char *path, mlp_error *err);

/* Preprocessing (io/prep.h) the model takes over, replacing what it had; NULL clears it. */
void mlp_model_set_prep(mlp_model *m, struct mlp_prep *p);
/* d as the model needs it (scaled by the statistics saved with its weights, label texts
 * numbered as in training): a new data set, or NULL when d is fine as it is or on error. */
mlp_dataset *mlp_model_prepared_data(const mlp_model *m, const mlp_dataset *d, mlp_error *err);
/* The size of the model's first input (what scaling statistics are for), or 0 without inputs. */
int mlp_model_feature_count(const mlp_model *m);

#endif
