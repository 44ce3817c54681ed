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
/* Evaluate every output, the loss and the requested gradients for the current batch. */
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

/* ---- number formatting ------------------------------------------------------------------- */

/* Write the shortest decimal that reads back as exactly v ("0.1", "1e-09", "nan", "inf").
 * buf must hold 32 bytes; returns buf. */
char *mlp_format_double(double v, char buf[32]);

#ifdef __cplusplus
}
#endif
#endif
