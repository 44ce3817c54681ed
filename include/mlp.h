/* mlp.h - multilayer perceptrons and their computation graphs.
 *
 * A model is a text file in the mlp language (see README.md): inputs, parameters, constants and
 * statements such as `h = sigmoid(W1 @ x + b1)`. The library parses it into a graph, evaluates it
 * on batches in float64 or float32, and differentiates it by building the adjoint graph.
 *
 * Conventions: every function that can fail takes an `mlp_error *` (may be NULL) and returns
 * MLP_OK (0) or a nonzero mlp_status, or NULL for constructors. Nothing here uses global mutable
 * state; distinct objects may be used from distinct threads.
 */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLP_VERSION "0.1.0"
#define MLP_MAX_RANK 4 /* most dimensions a per-sample value can have */

typedef enum mlp_status {
    MLP_OK = 0,
    MLP_ERR_INPUT = 2,       /* the model, a value, a file or an argument is wrong */
    MLP_ERR_IO = 3,          /* a file could not be read or written */
    MLP_ERR_NOMEM = 4,       /* an allocation failed */
    MLP_ERR_UNSUPPORTED = 5, /* a valid request this build or model cannot serve */
    MLP_ERR_NUMERIC = 6,     /* a computation became non-finite (training diverged) */
} mlp_status;

typedef enum mlp_dtype { MLP_F64 = 0, MLP_F32 = 1 } mlp_dtype;

/* What went wrong, and where: print with mlp_error_print. */
typedef struct mlp_error {
    int status;            /* an mlp_status; MLP_OK when nothing is recorded */
    char file[256];        /* file (or "<string>", "--set", ...) the error is in; "" if none */
    int line, col;         /* 1-based position in file; 0 when the error has no position
                            * (line 0 with a col: a one-line text such as a verify spec) */
    char message[512];     /* one line, no trailing newline */
    char source_line[256]; /* the offending line of source, for the caret display; "" if none */
} mlp_error;

/* Print `file:line:col: error: message`, then the source line and a caret under col. */
void mlp_error_print(const mlp_error *err, FILE *out);
/* Clear err to "no error". */
void mlp_error_clear(mlp_error *err);
/* Text from a file or an argument made safe for a terminal, as messages show names: control
 * bytes and bytes that are not UTF-8 become \xNN; cut to `size` bytes (at least 8) with "...".
 * Returns buf. */
const char *mlp_quote(const char *text, char *buf, size_t size);

/* ---- models ------------------------------------------------------------------------------ */

typedef struct mlp_model mlp_model;

/* Kinds of named values in a model. */
typedef enum mlp_kind {
    MLP_INPUT,  /* per-sample data, set before each run */
    MLP_PARAM,  /* trainable weights */
    MLP_CONST,  /* fixed values */
    MLP_DEF,    /* a statement NAME = EXPR */
    MLP_OUTPUT, /* names marked `output` (also MLP_DEF or a declaration) */
    MLP_LOSS,   /* the name marked `loss`, at most one */
} mlp_kind;

/* Parse a model file; NULL with err filled (file:line:col) on failure. */
mlp_model *mlp_model_load(const char *path, mlp_error *err);
/* Flags for mlp_model_load_flags. */
#define MLP_LOAD_NNET_NORMALIZE 1 /* .nnet: the file's input normalisation and output scaling */
/* Load a model in the language, ONNX or .nnet, recognised by content (see README "Models in
 * and out"); mlp_model_load is this with flags 0. */
mlp_model *mlp_model_load_flags(const char *path, int flags, mlp_error *err);
/* Parse model text; `filename` names it in error messages. */
mlp_model *mlp_model_parse(const char *text, const char *filename, mlp_error *err);
/* Free a model (NULL is fine). */
void mlp_model_free(mlp_model *m);
/* Flags for mlp_model_write. */
enum { MLP_WRITE_VALUES = 1 /* parameters as literal values, not `~ INIT` */ };
/* Write the canonical text of the model; parsing it gives the same graph. */
int mlp_model_write(const mlp_model *m, FILE *out, int flags, mlp_error *err);
/* Redraw every parameter declared with `~ INIT` from a seeded generator (default seed: 1). */
int mlp_model_init_params(mlp_model *m, uint64_t seed, mlp_error *err);

/* Number of names of a kind, and the i-th of them in declaration order. */
int mlp_model_count(const mlp_model *m, mlp_kind kind);
const char *mlp_model_name(const mlp_model *m, mlp_kind kind, int i);
/* Kind of a name (MLP_INPUT, MLP_PARAM, MLP_CONST or MLP_DEF), or -1 if it is not defined. */
int mlp_model_kind(const mlp_model *m, const char *name);
/* Per-sample shape of a named value: returns its rank (0 for scalars) and fills dims, or -1. */
int mlp_model_shape(const mlp_model *m, const char *name, int dims[MLP_MAX_RANK]);
/* Number of elements per sample of a named value (1 for scalars), or 0 if unknown. */
size_t mlp_model_size(const mlp_model *m, const char *name);
/* Which inputs the value `name` depends on: needs[i] = 1 or 0 for the i-th input (as
 * mlp_model_name(m, MLP_INPUT, i) names them). An input nothing requested depends on need not
 * be set before a run. MLP_ERR_INPUT for an unknown name. */
int mlp_model_inputs_needed(const mlp_model *m, const char *name, int *needs, mlp_error *err);
/* Copy the values of a parameter or constant (row-major float64) into out. */
int mlp_model_get_values(const mlp_model *m, const char *name, double *out, mlp_error *err);
/* Replace the values of a parameter. */
int mlp_model_set_values(mlp_model *m, const char *name, const double *values, mlp_error *err);

/* Parse a value literal ("0.5", "[1, -2, 1/3]", "[[1,2],[3,4]]") of the given shape into out.
 * A single number fills every element. `where` names the literal in error messages. */
int mlp_parse_value(const char *text, int rank, const int *dims, double *out, const char *where,
                    mlp_error *err);

/* ---- sessions: compiled evaluation and gradients ----------------------------------------- */

typedef struct mlp_session mlp_session;

/* Compile the model for batches of up to max_batch samples. If nwrt > 0, the session also
 * computes the gradient of the model's loss with respect to each named input or parameter
 * (parameter gradients are summed over the batch). The session copies the model's parameters;
 * later changes to the model need mlp_session_load_params. */
mlp_session *mlp_session_new(const mlp_model *m, const char *const *wrt, int nwrt, mlp_dtype dtype,
                             int max_batch, mlp_error *err);
/* Free a session (NULL is fine). */
void mlp_session_free(mlp_session *s);
/* Set the number of samples the next run evaluates (1..max_batch; initially 1). */
int mlp_session_set_batch(mlp_session *s, int batch, mlp_error *err);
/* Set an input from `rows` samples of row-major float64 (rows = batch, or 1 for all samples). */
int mlp_session_set(mlp_session *s, const char *name, const double *values, int rows,
                    mlp_error *err);
/* Evaluate every output, the loss and the requested gradients for the current batch. Inputs
 * need not all be set: reading back a value that depends on one not set is the error. */
int mlp_session_run(mlp_session *s, mlp_error *err);
/* Copy a computed value (an output, the loss, or any named value the run needed) for all
 * samples of the batch: batch * size doubles, or size for values that do not depend on inputs. */
int mlp_session_get(const mlp_session *s, const char *name, double *out, mlp_error *err);
/* Whether a named value varies per sample (depends on an input). */
int mlp_session_is_batched(const mlp_session *s, const char *name);
/* Copy the gradient of the loss with respect to a `wrt` name: batch * size doubles for inputs,
 * size doubles for parameters (summed over the batch). */
int mlp_session_grad(const mlp_session *s, const char *name, double *out, mlp_error *err);
/* Replace one parameter's values in the session only (the model is unchanged). */
int mlp_session_set_param(mlp_session *s, const char *name, const double *values, mlp_error *err);
/* Copy the model's current parameter values into the session. */
int mlp_session_load_params(mlp_session *s, const mlp_model *m, mlp_error *err);

/* ---- speed ------------------------------------------------------------------------------ */

/* Run the session's matrix products on `threads` threads (1..64; initially 1). Large products
 * are split by columns, so results are bit-identical for every thread count. */
int mlp_session_set_threads(mlp_session *s, int threads, mlp_error *err);
/* The session's thread count. */
int mlp_session_threads(const mlp_session *s);

/* ---- sessions by handle: single samples and small layers without lookups or copies ---- */

/* A named value of a session, looked up once: a small nonnegative integer valid for the
 * session's life, or -1 (with err filled) when there is no such value. */
typedef int mlp_handle;
/* The handle of an input. */
mlp_handle mlp_session_input(const mlp_session *s, const char *name, mlp_error *err);
/* The handle of any named value: an input, parameter, constant, statement, output or the loss. */
mlp_handle mlp_session_value(const mlp_session *s, const char *name, mlp_error *err);
/* The handle of the gradient with respect to one of the session's `wrt` names. */
mlp_handle mlp_session_gradient(const mlp_session *s, const char *name, mlp_error *err);
/* The session's own storage of a value, row-major, one row of mlp_model_size elements per
 * sample of the batch (one row for values that do not vary per sample): read outputs and
 * gradients there after mlp_session_run, write inputs there before it. NULL when the session's
 * dtype is the other one, or when no output depends on the value. Asking for an input's storage
 * counts as setting it; writing a parameter's storage changes the session only. The pointer is
 * valid until the session is freed; nothing is copied, converted or allocated. */
float *mlp_session_f32(mlp_session *s, mlp_handle h);
double *mlp_session_f64(mlp_session *s, mlp_handle h);
/* Copy `rows` samples (rows = batch, or 1 for all samples) of float32 into an input of a float32
 * session, or read a value out as float32 (batch * size floats, or size for values that do not
 * vary per sample; a parameter's gradient is summed over the batch). */
int mlp_session_set_f32(mlp_session *s, mlp_handle h, const float *values, int rows,
                        mlp_error *err);
int mlp_session_get_f32(const mlp_session *s, mlp_handle h, float *out, mlp_error *err);
/* One step of plain gradient descent on the current inputs: a run (as mlp_session_run), then
 * w -= lr * dL/dw for every parameter among the session's `wrt` names (inputs are not changed),
 * in the session's dtype: float32 rounds lr to float32 and computes w - lr * g in float32, as a
 * loop over the session's storage would. Gradients read afterwards are this run's (at the
 * weights before the step); the parameters' storage holds the new weights; the model is
 * unchanged. Each weight is updated as soon as the run no longer reads it, so the step makes no
 * extra pass. MLP_ERR_INPUT when the session has no gradients, lr is not finite, or an input was
 * never given a value (nothing changes then). */
int mlp_session_sgd_step(mlp_session *s, double lr, mlp_error *err);

/* ---- tables of numbers (CSV) ------------------------------------------------------------ */

/* A rectangular table of numbers, with column names when the file had a header row. */
typedef struct mlp_table {
    int rows, cols;
    char **names;   /* cols names, or NULL without a header */
    double *values; /* rows * cols, row-major */
} mlp_table;

/* Read a CSV file of numbers (comma-separated; an optional first row of column names; blank
 * lines and lines starting with '#' are skipped). Errors give file:line:col. */
mlp_table *mlp_table_read_csv(const char *path, mlp_error *err);
void mlp_table_free(mlp_table *t);

/* ---- explaining a model: draw, derive, zeros, convert, equiv (src/analysis) ------------- */

/* The op computing a named value ("relu", "matmul", "add"), or NULL for inputs, parameters,
 * constants and unknown names. */
const char *mlp_model_op(const mlp_model *m, const char *name);
/* Whether the named value is computed by an op that is exactly 0 for every negative input
 * (relu, step, relu6: its units can be inactive), as the op table's sign facts say. */
int mlp_model_is_unit(const mlp_model *m, const char *name);

typedef enum mlp_draw_format { MLP_DRAW_DOT, MLP_DRAW_MERMAID } mlp_draw_format;
/* What mlp_draw draws. With input values, every node shows its value (for one sample). */
typedef struct mlp_draw_options {
    mlp_draw_format format;
    int grad;                        /* with values: each node's adjoint dL/dnode too; without:
                                        the adjoint graph itself, drawn beside the forward one */
    int ninputs;                     /* 0, or every input of the model: */
    const char *const *input_names;  /*   their names */
    const double *const *input_values; /* and values (row-major, one sample each) */
} mlp_draw_options;
/* The computation graph as Graphviz DOT or Mermaid text (malloc'ed: free it), or NULL. The same
 * model and options always give the same bytes. */
char *mlp_draw(const mlp_model *m, const mlp_draw_options *opt, mlp_error *err);

typedef enum mlp_derive_format {
    MLP_DERIVE_TEXT,  /* ȳ = y − s, h̄ = r + W2ᵀ ȳ, ... (UTF-8) */
    MLP_DERIVE_LATEX, /* an aligned environment */
    MLP_DERIVE_MLP,   /* a model file whose outputs are the adjoints d_NAME (run it with eval) */
} mlp_derive_format;
/* The backpropagation equations of the model's loss with respect to the named values
 * (malloc'ed text: free it), or NULL with err filled. */
char *mlp_derive(const mlp_model *m, const char *const *wrt, int nwrt, mlp_derive_format format,
                 mlp_error *err);

/* One verdict of mlp_zeros. */
typedef struct mlp_zero_result {
    char *name;      /* the value differentiated with respect to */
    int always_zero; /* 1: dL/dname is 0 for every value of everything the facts leave open */
    char *why;       /* the chain of factors: which one is 0, or which are not known to be 0 */
} mlp_zero_result;
/* Which gradients the facts force to zero. Each fact string holds facts like "z1 < 0" or
 * "h1 == 0, z2 > 0" (comparisons of a named value with a number; every element of the value).
 * wrt NULL means every parameter. Fills *out with a malloc'ed array of *n results. */
int mlp_zeros(const mlp_model *m, const char *const *facts, int nfacts, const char *const *wrt,
              int nwrt, mlp_zero_result **out, int *n, mlp_error *err);
/* Free the results of mlp_zeros. */
void mlp_zero_results_free(mlp_zero_result *r, int n);

/* Flags for mlp_convert_activation. */
enum { MLP_CONVERT_OUTPUTS = 1 /* also activations whose value is an output or the loss */ };
/* An equivalent model with every activation `from` ("sigmoid") rewritten as `to` ("tanh"):
 * the constants of the identity are folded into the neighbouring affine layers' parameters where
 * that is possible, written out explicitly where not. If report is non-NULL it receives a
 * malloc'ed description of what was done, one line per activation. */
mlp_model *mlp_convert_activation(const mlp_model *m, const char *from, const char *to, int flags,
                                  char **report, mlp_error *err);

/* An equivalent model with every batch_norm_infer that follows an affine layer W @ x + b folded
 * into W and b (W* = diag(s) W, b* = s (b - mean) + beta, s = gamma / sqrt(var + eps), in
 * float64); report as for mlp_convert_activation. An error if there is none to fold. */
mlp_model *mlp_convert_fold(const mlp_model *m, char **report, mlp_error *err);

/* How mlp_equiv samples the inputs. */
typedef struct mlp_equiv_options {
    int samples;     /* random samples (besides the zero and large-magnitude ones) */
    int bounded;     /* 1: inputs uniform in [lo, hi] (extremes at the bounds); 0: N(0, 2^2)
                        samples, and extremes of magnitude 1e2 to 1e6 */
    double lo, hi;
    double tol;      /* equal when |a - b| <= tol * max(1, |a|, |b|) */
    uint64_t seed;
} mlp_equiv_options;
/* What mlp_equiv found: the largest difference between the models' outputs. */
typedef struct mlp_equiv_result {
    int equivalent;     /* every output within tol on every sample */
    int nsamples;
    double max_abs;     /* largest |a - b| */
    double max_rel;     /* largest |a - b| / max(1, |a|, |b|) */
    char output[256];   /* where the largest relative difference is: output name, */
    int index;          /*   flat element index, */
    int sample;         /*   sample number (0: all-zero inputs) */
    double a, b;        /*   and the two values */
} mlp_equiv_result;
/* Evaluate both models in float64 on the same inputs and compare their outputs (by name; the
 * loss when a model has no outputs). The models must have the same inputs and outputs. */
int mlp_equiv(const mlp_model *a, const mlp_model *b, const mlp_equiv_options *opt,
              mlp_equiv_result *res, mlp_error *err);

/* ---- files written atomically ------------------------------------------------------------ */

typedef struct mlp_outfile mlp_outfile;

/* Start writing `path`, the one way every output is written:
 *   "-"                          stdout;
 *   a symlink                    followed: its target is written as below, the link stays;
 *   a device, FIFO or /dev/stdout opened and written through, never replaced;
 *   a regular file, or no file   a temporary file beside it until committed, then renamed over
 *                                it (atomic; an existing file keeps its permission bits).
 * A directory is an error. */
mlp_outfile *mlp_outfile_open(const char *path, mlp_error *err);
/* The stream to write to. */
FILE *mlp_outfile_stream(mlp_outfile *o);
/* Whether committing replaces a file atomically (1), or the bytes went straight to stdout, a
 * device or a FIFO (0), where what is written cannot be taken back or rewritten. */
int mlp_outfile_replaces(const mlp_outfile *o);
/* Flush (and for a replaced file sync and rename); frees o, also on failure. */
int mlp_outfile_commit(mlp_outfile *o, mlp_error *err);
/* Discard what was written, leaving `path` as it was (bytes already written to a stream stay
 * written); frees o (NULL is fine). */
void mlp_outfile_abort(mlp_outfile *o);
/* Unlink every temporary file of an outfile not yet committed or aborted, in any thread.
 * Async-signal-safe: for SIGINT and SIGTERM handlers, which then exit. */
void mlp_outfile_remove_temporaries(void);

/* ---- weights files (safetensors, npy) ---------------------------------------------------- */

/* Save every parameter, by name, to a safetensors file as F32 or F64 (written atomically). */
int mlp_model_save_weights(const mlp_model *m, const char *path, mlp_dtype dtype, mlp_error *err);
/* Write the model's outputs as an ONNX file (IR 8, opset 17, parameters as float32
 * initializers; see README "Models in and out"), written completely or not at all ("-":
 * stdout). An op ONNX cannot hold is MLP_ERR_UNSUPPORTED, naming it. */
int mlp_model_export_onnx(const mlp_model *m, const char *path, mlp_error *err);
/* Load the parameters from a safetensors file (F32 or F64): each must be there with its shape,
 * and a tensor that names no parameter is an error. The model is unchanged on failure. */
int mlp_model_load_weights(mlp_model *m, const char *path, mlp_error *err);
/* Load one parameter from a .npy array (float32 or float64, C order) of the same shape. */
int mlp_model_load_npy(mlp_model *m, const char *name, const char *path, mlp_error *err);

/* ---- data sets --------------------------------------------------------------------------- */

/* Samples for training and evaluation: per sample a row of features and a row of targets (a
 * class index for classifiers). Training binds the features to the model's first input and
 * the targets to its second. */
typedef struct mlp_dataset mlp_dataset;

/* Load a data set named by `spec`:
 *   "fashion-mnist", "fashion-mnist:train", "fashion-mnist:test"   (Debian's dataset-fashion-mnist
 *                      in /usr/share/datasets/fashion-mnist)
 *   "IMAGES,LABELS"    two IDX files, gzipped or not (the MNIST format)
 *   "FILE.csv"         a CSV file with a header row: `label` names the target columns
 *                      (comma-separated), `features` the feature columns (NULL: all others). */
mlp_dataset *mlp_dataset_load(const char *spec, const char *label, const char *features,
                              mlp_error *err);
/* A data set of n samples from row-major arrays of nfeat features and ntarget targets (copied). */
mlp_dataset *mlp_dataset_new(int n, int nfeat, const double *x, int ntarget, const double *y,
                             mlp_error *err);
void mlp_dataset_free(mlp_dataset *d);
/* Samples, features per sample, targets per sample. */
int mlp_dataset_count(const mlp_dataset *d);
int mlp_dataset_features(const mlp_dataset *d);
int mlp_dataset_targets(const mlp_dataset *d);
/* Copy sample i's features and targets into x and y (either may be NULL). */
void mlp_dataset_sample(const mlp_dataset *d, int i, double *x, double *y);

/* Feature scaling; the statistics come from the training set and apply to every set. */
typedef enum mlp_scale {
    MLP_SCALE_AUTO,     /* UNIT for byte-valued data (IDX images), NONE otherwise */
    MLP_SCALE_NONE,     /* as stored */
    MLP_SCALE_UNIT,     /* (x - min) / (max - min) with min and max over all features: [0, 1] */
    MLP_SCALE_STANDARD, /* per feature (x - mean) / std (std 0 counts as 1) */
} mlp_scale;
/* Scale train's features, and test's (may be NULL) with train's statistics. */
int mlp_dataset_scale(mlp_dataset *train, mlp_dataset *test, mlp_scale how, mlp_error *err);
/* Scale d with the statistics train was scaled with (nothing if it was not). */
int mlp_dataset_scale_like(mlp_dataset *d, const mlp_dataset *train, mlp_error *err);
/* Hold out a fraction of d's samples, chosen by a shuffle seeded with `seed`: they move to the
 * returned data set, d keeps the rest (both in their original order). */
mlp_dataset *mlp_dataset_split(mlp_dataset *d, double fraction, uint64_t seed, mlp_error *err);

/* Preprocessing travels with the weights: mlp_train records how its training set was scaled
 * (mlp_dataset_scale's statistics) and, for a CSV with texts as labels, the class names;
 * mlp_model_save_weights writes them in the safetensors __metadata__, and mlp_model_load_weights
 * attaches them to the model. mlp_evaluate then scales raw data the same way; a weights file
 * without them changes nothing. */
/* Scale n rows of raw features for the model's first input as its training data was scaled
 * (nothing when the weights carry no scaling). */
void mlp_model_prepare_features(const mlp_model *m, double *x, int n);
/* How the weights' training data was scaled (MLP_SCALE_NONE when they carry no scaling). */
mlp_scale mlp_model_scale(const mlp_model *m);
/* The class names of a classifier trained on CSV label texts: how many (0 when none), and the
 * name of class i (NULL out of range). */
int mlp_model_class_count(const mlp_model *m);
const char *mlp_model_class_name(const mlp_model *m, int i);
/* The CSV columns the model was trained on, comma-separated: the label columns (label = 1) or
 * the feature columns (label = 0); NULL when unknown. */
const char *mlp_model_trained_columns(const mlp_model *m, int label);

/* ---- training ---------------------------------------------------------------------------- */

/* Numbers of one epoch; accuracies are NaN for regression, test values NaN without test data. */
typedef struct mlp_epoch_stats {
    int epoch, epochs; /* 1-based */
    double lr;         /* the learning rate used in this epoch */
    double train_loss, train_acc; /* means over the epoch's minibatches, as they were trained */
    double test_loss, test_acc;   /* on the test set after the epoch */
    double seconds;               /* wall time of the epoch, including the test evaluation */
    /* where that time went (seconds): shuffling, gathering minibatches into the plan, the
     * forward and backward passes, summing losses and accuracy, the optimizer's updates, and
     * the test evaluation */
    double shuffle_s, gather_s, pass_s, tally_s, update_s, test_s;
} mlp_epoch_stats;

typedef struct mlp_train_options {
    const char *optimizer; /* "sgd", "adam" or "adamw" */
    double lr;             /* base learning rate */
    double momentum;       /* sgd: heavy-ball momentum (0: none) */
    int nesterov;          /* sgd: Nesterov momentum */
    double beta1, beta2, eps; /* adam, adamw */
    double weight_decay;   /* sgd, adam: L2 added to the gradient; adamw: decoupled */
    const char *schedule;  /* "constant", "step" (lr *= gamma every step_epochs) or "cosine" */
    int step_epochs;
    double gamma;
    double min_lr;         /* cosine: the rate reached at the end */
    int epochs, batch;
    uint64_t seed;         /* for the shuffling of each epoch */
    int threads;           /* run matrix products on this many threads (1..64); the results do
                              not depend on it, bit for bit */
    /* Called after each minibatch and each epoch (either may be NULL); nonzero stops training. */
    int (*on_batch)(void *user, int epoch, int done, int total, double loss);
    int (*on_epoch)(void *user, const mlp_epoch_stats *stats);
    void *user;
    /* Called once per parameter that training leaves unchanged because the loss does not
     * depend on it ("parameter 'u' does not affect the loss"); may be NULL. */
    void (*on_warning)(void *user, const char *message);
    /* After each epoch, write the training state to this safetensors file (atomically): the
     * parameters (under their names: it is a weights file too), the optimizer's state and the
     * epochs done. NULL: none. */
    const char *checkpoint;
    /* Continue from such a checkpoint: with the same options and data, the final weights are
     * bit for bit those of one run without stopping. NULL: start afresh. */
    const char *resume;
    /* 1: the model holds each epoch's parameters when on_epoch is called (validation, early
     * stopping); 0: only at the end. */
    int sync_epochs;
} mlp_train_options;

/* Defaults: sgd, lr 0.01, no momentum, adam betas 0.9/0.999, eps 1e-8, no weight decay,
 * constant schedule (step: every 10 epochs, gamma 0.1), 10 epochs, batch 32, seed 1, 1 thread. */
void mlp_train_defaults(mlp_train_options *o);
/* Check the settings as torch.optim does (lr >= 0, 0 <= beta < 1, eps > 0, momentum, weight
 * decay and min_lr >= 0, gamma > 0, all finite); mlp_train checks them too. */
int mlp_train_check_options(const mlp_train_options *o, mlp_error *err);
/* Minimise the batch mean of the model's per-sample loss over `train` by minibatch gradient
 * descent in float32 (test may be NULL). The model's parameters are updated in place, and only
 * on success: when the loss or a parameter becomes non-finite, training stops with
 * MLP_ERR_NUMERIC (saying at which epoch and step) and the model keeps its old values. A class
 * index out of range, in the data or computed by the model, is MLP_ERR_INPUT naming the sample. */
int mlp_train(mlp_model *m, const mlp_dataset *train, const mlp_dataset *test,
              const mlp_train_options *o, mlp_error *err);

/* How a model does on a data set. */
typedef struct mlp_metrics {
    int n;              /* samples */
    double loss;        /* mean per-sample loss */
    int classes;        /* softmax_xent: the number of logits; bce_logits: 2; otherwise 0 */
    double accuracy;    /* fraction right (per element for bce_logits); NaN for regression */
    double mse;         /* squared_error: mean of (y - t)^2 over samples and elements; else NaN */
    int64_t *confusion; /* classes x classes counts, row = true class, column = predicted */
} mlp_metrics;

/* Evaluate the model on every sample (in float32). */
int mlp_evaluate(const mlp_model *m, const mlp_dataset *d, mlp_metrics *out, mlp_error *err);
void mlp_metrics_free(mlp_metrics *mt);

/* A model's predictions for every sample of a data set (its targets, if any, are not used;
 * a data set without targets does). */
typedef struct mlp_predictions {
    int n;         /* samples */
    int width;     /* values per sample */
    int classes;   /* softmax_xent: the number of classes; bce_logits: 2; otherwise 0 */
    int *cls;      /* n predicted classes (the argmax; for bce_logits z >= 0), NULL otherwise */
    float *values; /* n * width: softmax_xent's class probabilities p[i], bce_logits' p =
                      sigmoid(z), or else every output's elements */
    char **names;  /* width column names: "p[0]"..., "p", or "y[0]"... */
} mlp_predictions;
/* Predict in float32, as mlp_evaluate evaluates: a class is the one it counts. The data is used
 * as it is (mlp_evaluate scales raw data by the weights' statistics; mlp_predict does too). */
int mlp_predict(const mlp_model *m, const mlp_dataset *d, mlp_predictions *out, mlp_error *err);
void mlp_predictions_free(mlp_predictions *p);
/* Load a data set to use a trained model on: as mlp_dataset_load, but for a CSV the label and
 * feature columns default to those the model was trained on (mlp_model_trained_columns), and
 * when `label` is NULL a label column the file lacks is no error: the set has no targets. */
mlp_dataset *mlp_dataset_load_for(const mlp_model *m, const char *spec, const char *label,
                                  const char *features, mlp_error *err);

/* ---- verification: properties over every real input (docs/verify.md) -------------------- */

/* A named value at a counterexample, as exact rationals. */
typedef struct mlp_exact_value {
    char *name;
    int rank, dims[MLP_MAX_RANK];
    size_t size;
    char **values; /* size rationals, row-major: "-1/4", "3" */
} mlp_exact_value;

/* The verdict on one property, with what it took. */
typedef struct mlp_verify_result {
    int holds;         /* 1: proved for every input of the domain; 0: violated */
    char *domain;      /* the inputs it quantified over: "x in R^5", "x in [-1, 1]^2, t in R" */
    long regions;      /* activation regions decided */
    long branches;     /* units at which the search split a region in two */
    long settled;      /* parts of the search decided by bounds over the --bounds box */
    long solver_calls; /* exact linear-arithmetic solver (Z3) checks */
    double seconds;
    /* When violated, a counterexample, re-checked in exact rational arithmetic before it is
     * returned: the inputs the property depends on, the other values it names, and what it
     * demands of those values at that input ("y = 0"; NULL when no value would satisfy it). */
    int ninputs, nvalues;
    mlp_exact_value *inputs, *values;
    char *requires;
    /* mlp_verify_vnnlib: unknown = 1 (and holds = 0) when the time or memory budget ran out;
     * the branch and bound's counts (docs/verify.md); depth: its deepest split. */
    int unknown;
    long boxes, splits, attack_steps, candidates, exact_leaves, open, depth;
} mlp_verify_result;

/* Decide a property (`spec`: linear comparisons of named values joined by not/and/or/=>/<=>,
 * e.g. "y == 1 <=> x[0] > x[1] > x[2]") of a piecewise-linear model for every real input, or
 * every input within `bounds` ("x in [-1, 1]", "x[0] in [0, 1/2]"). MLP_OK with *out filled
 * whether it holds or not; MLP_ERR_INPUT for a malformed spec or bounds ("spec:COL: error: ...")
 * or a model op that is not piecewise linear. */
int mlp_verify(const mlp_model *m, const char *spec, const char *const *bounds, int nbounds,
               mlp_verify_result *out, mlp_error *err);
/* Free what a result holds (the struct itself is the caller's). */
void mlp_verify_result_free(mlp_verify_result *r);

/* Where mlp_verify_vnnlib stands, for a progress line. */
typedef struct mlp_verify_progress {
    long boxes, open; /* sub-problems bounded, and open now */
    double worst;     /* the open boxes' worst bound on the unsafe set's margin (> 0: open) */
    double seconds;
} mlp_verify_progress;

typedef struct mlp_verify_options {
    double timeout;    /* seconds; 0: none (then the answer is never unknown) */
    size_t max_memory; /* bytes of open sub-problems; 0: none */
    int threads;       /* worker threads (answers and counts are the same for every count) */
    void (*progress)(const mlp_verify_progress *p, void *ctx); /* NULL: none */
    void *progress_ctx;
} mlp_verify_options;

/* Decide a VNNLIB property (the file at `vnnlib`, whose asserts describe the unsafe set over
 * inputs X_i and outputs Y_i, the model's input and output elements in order) of a model that
 * is a chain of dense relu layers: holds when no input in the boxes has an output in the unsafe
 * set, violated with a counterexample re-checked in exact arithmetic, or unknown when the
 * budget ran out. Weights are the exact rationals the model stores. MLP_ERR_INPUT for a
 * malformed property ("FILE:LINE:COL: error: ...") or sizes that do not match the model. */
int mlp_verify_vnnlib(const mlp_model *m, const char *vnnlib, const mlp_verify_options *opt,
                      mlp_verify_result *out, mlp_error *err);

/* ---- random numbers ---------------------------------------------------------------------- */

/* Fill out with n standard normal values from mlp's seeded generator (xoshiro256**); `stream`
 * separates independent sequences of one seed. The same arguments give the same values on
 * every machine. */
void mlp_random_normal(uint64_t seed, uint64_t stream, double *out, size_t n);

/* ---- number formatting ------------------------------------------------------------------- */

/* Write the shortest decimal that reads back as exactly v ("0.1", "1e-09", "nan", "inf").
 * buf must hold 32 bytes; returns buf. */
char *mlp_format_double(double v, char buf[32]);

/* ---- export: standalone C for microcontrollers (src/export; docs/export.md) -------------- */

/* Most values (parameters, constants, inputs, outputs and intermediates together) a model may
 * have to be exported as C: 2^22, 16 MiB of float32. */
#define MLP_EXPORT_C_MAX_VALUES ((int64_t)1 << 22)

/* The model's outputs as standalone C99 in float32: NAME.h (*header) and NAME.c (*source), both
 * malloc'ed, with NAME the identifier made from `name` (a path DIR/NAME: its last component,
 * ".c"/".h" dropped, other characters than letters, digits and '_' as '_'). The code computes
 * what a float32 session computes; MLP_ERR_UNSUPPORTED names the ops without a C lowering. */
int mlp_export_c(const mlp_model *m, const char *name, char **header, char **source,
                 mlp_error *err);

/* Post-training int8 quantisation (docs/export.md): a model that is a chain of dense layers
 * act(W @ h + b) from one input vector to one output (act relu, relu6, clip with constant
 * bounds, or none; hidden layers may also use sigmoid, tanh or step; the output may be a
 * sigmoid, tanh or softmax of the last layer),
 * quantised with scales from the activations a float32 run over `calib` produces (its features
 * bound to that input, scaled as the model expects them). MLP_ERR_UNSUPPORTED names what does
 * not fit the pattern. */
typedef struct mlp_quantized mlp_quantized;
mlp_quantized *mlp_quantize_int8(const mlp_model *m, const mlp_dataset *calib, mlp_error *err);
void mlp_quantized_free(mlp_quantized *q);
/* The float inputs and outputs of one sample, and the names of that input and output. */
int mlp_quantized_inputs(const mlp_quantized *q);
int mlp_quantized_outputs(const mlp_quantized *q);
const char *mlp_quantized_input_name(const mlp_quantized *q);
const char *mlp_quantized_output_name(const mlp_quantized *q);
/* The in-library integer reference on one sample: quantise `in`, run the integer layers,
 * dequantise (and apply the final activation) into `out`; exactly what the generated
 * NAME_predict computes. MLP_OK or MLP_ERR_NOMEM. */
int mlp_quantized_run(const mlp_quantized *q, const float *in, float *out);
/* The integer core alone: int8 in, int8 out, with scratch of 2 x the widest layer bytes.
 * MLP_OK or MLP_ERR_NOMEM (it allocates the int16 copy of each layer's input). */
int mlp_quantized_run_q(const mlp_quantized *q, const int8_t *in, int8_t *out, int8_t *scratch);
/* Classification accuracy and confusion matrix of the int8 model on d (loss and mse NaN). */
int mlp_quantized_evaluate(const mlp_quantized *q, const mlp_dataset *d, mlp_metrics *out,
                           mlp_error *err);
/* The int8 model as standalone C99: NAME_predict_q (integer only) and the float NAME_predict. */
int mlp_export_c_int8(const mlp_quantized *q, const char *name, char **header, char **source,
                      mlp_error *err);

#ifdef __cplusplus
}
#endif
#endif
