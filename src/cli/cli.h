/* cli.h - what the subcommands share: options, inputs, and printing values. */
#ifndef MLP_CLI_H
#define MLP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "mlp.h"

/* Exit statuses, as every subcommand documents them. */
enum { EXIT_OK = 0, EXIT_CHECK_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* ---- options ---- */

/* What an option takes: nothing (a flag), one value, or a value each time it is repeated. Any
 * other option given twice is an error rather than a silent choice of one value. */
enum cli_opt_kind { CLI_FLAG, CLI_VALUE, CLI_LIST };

struct cli_opt {
    const char *name; /* "--set" */
    enum cli_opt_kind kind;
};

#define CLI_MAX_GIVEN 256
struct cli_args {
    const char *cmd;
    const char *pos[16];
    int npos;
    struct {
        const char *name;
        const char *value;
    } given[CLI_MAX_GIVEN];
    int ngiven;
};

/* Parse argv (after the subcommand) against the allowed options, with at most one positional
 * argument (the MODEL). Prints usage on --help (returns -1) and an error on a bad option or
 * argument (returns EXIT_BAD_INPUT); 0 when all is well. An option given twice is an error
 * unless its kind is CLI_LIST. */
int cli_parse(int argc, char **argv, const char *cmd, const char *usage,
              const struct cli_opt *opts, struct cli_args *a);
/* The same, for commands that take any number of positional arguments. */
int cli_parse_args(int argc, char **argv, const char *cmd, const char *usage,
                   const struct cli_opt *opts, struct cli_args *a);
/* The last value given for an option, or NULL. */
const char *cli_get(const struct cli_args *a, const char *name);
/* Whether a flag was given. */
bool cli_flag(const struct cli_args *a, const char *name);
/* Print "mlp CMD: message" to stderr and return EXIT_BAD_INPUT. */
int cli_usage_error(const struct cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print an mlp_error and return EXIT_BAD_INPUT. */
int cli_report(const mlp_error *err);
/* Parse an option as an integer/float within bounds; prints the error. */
bool cli_int(const struct cli_args *a, const char *name, long lo, long hi, long *out);
bool cli_double(const struct cli_args *a, const char *name, double *out);
/* A finite decimal number in the model language's syntax (no hex floats, inf or blanks). */
bool cli_number(const char *s, double *out);
/* The names listed by --wrt (comma-separated): the count, 0 when the option is absent and not
 * required, or -1 with the error printed (absent but required, empty, more than max names).
 * The names point into *buf, which the caller frees. */
/* Most names one --wrt list gives: a model's parameters and inputs are far fewer in practice,
 * and a fixed bound lets each command keep the list on its stack. */
#define CLI_MAX_WRT 64
int cli_wrt(const struct cli_args *a, bool required, char **buf, const char **names, int max);
/* --dtype f64|f32 (default f64). */
bool cli_dtype(const struct cli_args *a, mlp_dtype *out);

/* ---- model and inputs ---- */

/* Load the model named by the first positional argument and apply `--set NAME=VALUE` for
 * parameters; NULL (with the error printed) on failure. */
mlp_model *cli_load_model(const struct cli_args *a);
/* For a command whose one result goes to `-o FILE`: check first that FILE can be written and
 * names no input (cli_check_command_outputs), then cli_load_model. */
mlp_model *cli_load_model_for_output(const struct cli_args *a);

/* Values for the model's inputs: from --set (one sample, shared by all rows) and --data
 * (one sample per CSV row). Inputs given neither are drawn from N(0, 1) when `random_fill`. */
struct cli_inputs {
    int batch;
    mlp_table *data;
    int ninputs;
    struct cli_input {
        const char *name;
        size_t size;
        double *values; /* size * rows */
        int rows;       /* 1 or batch */
    } *in;
};
int cli_inputs_load(const struct cli_args *a, const mlp_model *m, bool random_fill,
                    uint64_t seed, struct cli_inputs *out);
/* Without random_fill, inputs given neither stay without values: they are needed only by the
 * values that depend on them. The first such input `name` depends on, or NULL. */
const char *cli_inputs_unset(const struct cli_inputs *in, const mlp_model *m, const char *name);
/* EXIT_OK when `name` can be computed from the inputs given, else the error printed. */
int cli_inputs_require(const struct cli_args *a, const struct cli_inputs *in, const mlp_model *m,
                       const char *name);
/* Set every loaded input in a session (its batch must already be set). */
int cli_inputs_apply(const struct cli_inputs *in, mlp_session *s, mlp_error *err);
void cli_inputs_free(struct cli_inputs *in);

/* A model evaluated on its inputs: what eval, grad and gradcheck start from. */
struct cli_run {
    mlp_model *model;
    struct cli_inputs inputs;
    mlp_session *session;
    mlp_dtype dtype;
};
/* Load the model and inputs, compile a session (with gradients for `wrt`) and run it once.
 * Prints any error and returns its exit status. */
int cli_run_start(const struct cli_args *a, const char *const *wrt, int nwrt, bool random_fill,
                  struct cli_run *run);
/* The same; with raw_features the first input's values are scaled first, as the weights'
 * training data was (eval: the model used on raw data). */
int cli_run_begin(const struct cli_args *a, const char *const *wrt, int nwrt, bool random_fill,
                  bool raw_features, struct cli_run *run);
void cli_run_free(struct cli_run *run);
/* The loss of the last run summed over the batch (what parameter gradients differentiate). */
double cli_loss_sum(const struct cli_run *run);
/* Rank and dims of a named value; returns the element count. */
size_t cli_shape(const mlp_model *m, const char *name, int *rank, int dims[MLP_MAX_RANK]);

/* ---- result files ---- */

/* Every output goes through the library's writer, mlp_outfile_open (mlp.h): "-" is stdout,
 * symlinks are followed, devices and FIFOs written through, regular files replaced atomically
 * with their mode kept; the SIGINT/SIGTERM handlers (cli_signals_install) unlink its temporary
 * files. A command that writes files checks them first, before any work:
 *
 *     const struct cli_file out[] = {{"-o", cli_get(&a, "-o")}};
 *     if (!cli_check_command_outputs(&a, out, 1))
 *         return EXIT_BAD_INPUT;
 *     ... work ...
 *     rc = cli_write_output(cli_get(&a, "-o"), text);     (or mlp_outfile_open/commit)
 */

/* Write text to path (NULL or "-": stdout) through the writer. */
int cli_write_output(const char *path, const char *text);

/* A file a command reads or writes, named for messages: {"--save", "w.st"}, {"the model", ...};
 * path NULL: the option was not given. */
struct cli_file {
    const char *what;
    const char *path;
};
/* The path of an output that an option without a value writes to stdout (train --json): "-",
 * and messages name the option alone. */
extern const char cli_stdout_flag[];
/* Check before any work that each output can be written (not a directory; its directory takes
 * a temporary file; a device or FIFO is writable, without opening it), names no input (same
 * device and inode, symlinks followed) and no other output (a file not yet there: the same
 * canonical path). "-", devices and FIFOs may be shared. Prints the error naming both files and
 * returns false. */
bool cli_check_outputs(const struct cli_args *a, const struct cli_file *in, int nin,
                       const struct cli_file *out, int nout);
/* The input files named by the command line: the MODEL argument(s), --data and --test-data
 * (a file, or IMAGES,LABELS), --weights (FILE or NAME=FILE). */
#define CLI_MAX_FILES 32
struct cli_files {
    struct cli_file in[CLI_MAX_FILES];
    int nin;
    char *copies[CLI_MAX_FILES]; /* split specs, freed by cli_files_free */
    int ncopies;
};
void cli_input_files(const struct cli_args *a, struct cli_files *f);
void cli_files_free(struct cli_files *f);
/* cli_check_outputs against the inputs cli_input_files finds. */
bool cli_check_command_outputs(const struct cli_args *a, const struct cli_file *out, int nout);
/* Install the SIGINT and SIGTERM handlers: remove the writer's temporary files, then exit with
 * status 128 + the signal's number (130, 143). */
void cli_signals_install(void);

/* After `mlp grad` ran: the inactive relu/step units and the exactly-zero gradient entries
 * (text lines, or a JSON member `, "sparsity": {...}` to splice into grad's object). */
void cli_print_sparsity(const struct cli_run *run, const char *const *wrt, int nwrt, bool json);

/* ---- data sets and training output (data.c, progress.c, plot.c) ---- */

/* Load the data set `spec` with the CSV options --label and --features; prints any error. */
mlp_dataset *cli_load_data(const struct cli_args *a, const char *spec);
/* The same for a data set to use model m on: CSV columns default to those it was trained on,
 * and the label column may be absent when --label is not given (no targets, then). */
mlp_dataset *cli_load_data_for(const struct cli_args *a, const mlp_model *m, const char *spec);
/* --scale auto|none|unit|standard (default auto); prints the error. */
bool cli_scale(const struct cli_args *a, mlp_scale *out);
/* --scale for data to use model m on: when its weights carry their scaling (applied when the
 * model evaluates), the data is not scaled again (*out NONE), and a different --scale is an
 * error; otherwise as cli_scale. */
bool cli_scale_for(const struct cli_args *a, const mlp_model *m, mlp_scale *out);
/* Apply `--weights FILE.safetensors` and `--weights NAME=FILE.npy` (each may repeat). */
bool cli_load_weights(const struct cli_args *a, mlp_model *m);
/* The same for the values of another option (equiv's --weights-a and --weights-b). */
bool cli_load_weights_from(const struct cli_args *a, const char *option, mlp_model *m);

/* train --val-split F and --patience N (train_val.c). */
struct cli_val {
    double fraction;    /* of the training data held out */
    int patience;       /* 0: no early stopping */
    mlp_dataset *data;  /* the held-out samples, or NULL */
    double loss, acc;   /* of the last epoch */
    double best_loss;
    int best_epoch, wait;
    bool stopped;       /* early stopping ended training */
    double **best;      /* the best epoch's parameter values (with --patience) */
    int nparams;
};
/* Read --val-split and --patience; false with the error printed. */
bool cli_val_options(const struct cli_args *a, struct cli_val *v);
/* Move the held-out part out of train (before scaling: statistics come from the rest). */
bool cli_val_split(const struct cli_args *a, struct cli_val *v, mlp_dataset *train, uint64_t seed);
/* After an epoch (the model holding its weights): evaluate the held-out data; 1 when early
 * stopping says stop, -1 on an error, else 0. */
int cli_val_epoch(struct cli_val *v, const mlp_model *m, int epoch, mlp_error *err);
/* With --patience, put the best epoch's weights back (and say so when training stopped early). */
void cli_val_finish(struct cli_val *v, mlp_model *m, FILE *text);
void cli_val_free(struct cli_val *v);

/* A progress bar for one epoch on a terminal: "epoch 1/10 [====>   ] 312/469  loss 0.512
 * 12.3k samples/s  eta 0:03", redrawn at most ten times a second. */
struct cli_progress {
    FILE *out;    /* NULL: draw nothing */
    double start; /* when the epoch began */
    double drawn; /* when it was last drawn */
    int batch;    /* samples per batch */
};
void cli_progress_start(struct cli_progress *p);
void cli_progress_update(struct cli_progress *p, int epoch, int epochs, int done, int total,
                         double loss);
/* Erase the bar so the next line starts clean. */
void cli_progress_clear(struct cli_progress *p);
/* Seconds since an arbitrary start (monotonic). */
double cli_now(void);

/* Write learning curves as an SVG chart: loss (train and test) and, when accuracies are
 * known, accuracy, per epoch. Written atomically. */
int cli_plot_svg(const char *path, const mlp_epoch_stats *st, int n, mlp_error *err);
/* Write the per-epoch numbers as CSV (epoch,train_loss,train_acc,test_loss,test_acc,seconds),
 * atomically; unknown values are empty fields. */
int cli_log_csv(const char *path, const mlp_epoch_stats *st, int n, mlp_error *err);
/* --log and --plot while training: rewritten after an epoch when at least a second has passed
 * and 20 times what the last write took (linear time over a run, whatever the epochs), and
 * always when `final`. Stdout, devices and FIFOs get them once, when final. */
struct cli_curves {
    const char *log, *plot; /* NULL: not asked for */
    double next;            /* cli_now() before which no rewrite happens */
};
int cli_curves_write(struct cli_curves *c, const mlp_epoch_stats *st, int n, bool final,
                     mlp_error *err);
/* Print accuracy, per-class precision and recall and the confusion matrix (or the mean
 * squared error of a regression). */
void cli_print_metrics(FILE *f, const mlp_metrics *mt, bool json);
/* The same, naming the classes by the label texts model m was trained on (m may be NULL). */
void cli_print_metrics_for(FILE *f, const mlp_metrics *mt, const mlp_model *m, bool json);
/* `mlp eval --metrics`: load the model and --data, evaluate, print the metrics. */
int cli_eval_metrics(const struct cli_args *a);

/* ---- printing values ---- */

/* Print values of shape dims as a number or nested lists; `batch` > 0 adds a leading batch
 * axis. JSON mode writes null for NaN and infinities. */
void cli_print_value(FILE *f, const double *v, int batch, int rank, const int *dims, bool json);
/* Print a string as a JSON string literal. */
void cli_print_json_string(FILE *f, const char *s);

/* The subcommands. */
int cmd_eval(int argc, char **argv);
int cmd_grad(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_print(int argc, char **argv);
int cmd_draw(int argc, char **argv);
int cmd_derive(int argc, char **argv);
int cmd_zeros(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_equiv(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* `mlp export --quantize int8 --calibrate DATA` (quant.c): calibrate and generate the int8 C. */
int cli_export_c_int8(const struct cli_args *a, const mlp_model *m, const char *out, char **header,
                      char **source);
/* `mlp eval --quantized int8 --calibrate DATA`: the integer reference's outputs or --metrics. */
int cli_eval_quantized(const struct cli_args *a);

#endif
