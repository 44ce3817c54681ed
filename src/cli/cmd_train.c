/* cmd_train.c - `mlp train`: fit a model's parameters to a data set. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: mlp train MODEL --data SPEC [options]\n"
    "\n"
    "Train the model's parameters by minibatch gradient descent on the batch mean of its\n"
    "per-sample `loss` (float32). The data's features feed the model's first input, its\n"
    "targets the second: a class index for softmax_xent, 0/1 for bce_logits, values for\n"
    "squared_error, which also decide the accuracy printed per epoch.\n"
    "\n"
    "data:\n"
    "  --data SPEC          fashion-mnist[:train|:test], IMAGES,LABELS (two IDX files, gzipped\n"
    "                       or not), or FILE.csv (with a header row)\n"
    "  --test-data SPEC     evaluated after every epoch (fashion-mnist's default: its test split)\n"
    "  --val-split F        hold out the fraction F of the training data (chosen by --seed),\n"
    "                       evaluated after every epoch: its loss and accuracy per epoch\n"
    "  --label COLS         CSV: the target column(s), comma-separated\n"
    "  --features COLS      CSV: the feature columns (default: all the others)\n"
    "  --scale HOW          auto (default: unit for byte images, else none), none, unit\n"
    "                       ((x - min) / (max - min) over all features) or standard (per feature\n"
    "                       (x - mean) / std); statistics from the training data\n"
    "optimisation:\n"
    "  --epochs N           passes over the data (default 10)\n"
    "  --batch N            samples per minibatch (default 32); the data is shuffled each epoch\n"
    "  --optimizer NAME     sgd (default), adam or adamw, with torch.optim's formulas\n"
    "  --lr X               learning rate (default 0.01)\n"
    "  --momentum X         sgd momentum (default 0); --nesterov for Nesterov momentum\n"
    "  --weight-decay X     L2 for sgd and adam, decoupled for adamw (default 0)\n"
    "  --beta1 X --beta2 X --eps X   adam's (default 0.9, 0.999, 1e-8)\n"
    "  --schedule NAME      constant (default), step (lr *= --gamma every --step-epochs, default\n"
    "                       0.1 and 10) or cosine (down to --min-lr, default 0), per epoch\n"
    "  --seed N             initial weights and shuffling (default 1)\n"
    "  --threads N          run large matrix products on N threads (default 1); the results\n"
    "                       are the same, bit for bit, for every N\n"
    "  --weights FILE       start from weights: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --patience N         stop when the validation loss has not improved for N epochs, and\n"
    "                       keep the weights of the epoch with the lowest (needs --val-split)\n"
    "  --checkpoint FILE    after every epoch, save the parameters, the optimizer's state and\n"
    "                       the epoch (safetensors; it loads as weights too)\n"
    "  --resume FILE        continue from a checkpoint, with the same options and data: the\n"
    "                       final weights are bit for bit those of one uninterrupted run\n"
    "output:\n"
    "  --save FILE          the trained weights as safetensors (written atomically; - for\n"
    "                       stdout, and then the epoch lines go to stderr, as with --log -)\n"
    "  --save-dtype T       f32 (default) or f64\n"
    "  --log FILE.csv       per-epoch numbers: epoch,train_loss,train_acc,test_loss,test_acc,seconds\n"
    "  --plot FILE.svg      learning curves (loss, and accuracy for classifiers); --log and\n"
    "                       --plot are rewritten at most once a second while training\n"
    "  --quiet              no progress bar (drawn on stderr only when that is a terminal) and\n"
    "                       no per-epoch lines\n"
    "  --json               print the per-epoch numbers as JSON at the end instead of lines\n"
    "\n"
    "Exit status: 0 ok, 1 training diverged (the loss or a parameter became non-finite; nothing\n"
    "is saved), 2 bad usage or bad input.\n";

static const struct cli_opt opts[] = {
    {"--data", CLI_VALUE},   {"--test-data", CLI_VALUE}, {"--label", CLI_VALUE},     {"--features", CLI_VALUE},
    {"--scale", CLI_VALUE},  {"--epochs", CLI_VALUE},    {"--batch", CLI_VALUE},     {"--optimizer", CLI_VALUE},
    {"--lr", CLI_VALUE},     {"--momentum", CLI_VALUE},  {"--nesterov", CLI_FLAG}, {"--weight-decay", CLI_VALUE},
    {"--beta1", CLI_VALUE}, {"--beta2", CLI_VALUE},     {"--eps", CLI_VALUE},       {"--schedule", CLI_VALUE},
    {"--gamma", CLI_VALUE},  {"--step-epochs", CLI_VALUE}, {"--min-lr", CLI_VALUE},  {"--seed", CLI_VALUE}, {"--threads", CLI_VALUE},
    {"--weights", CLI_LIST}, {"--set", CLI_LIST},      {"--save", CLI_VALUE},      {"--save-dtype", CLI_VALUE},
    {"--log", CLI_VALUE},    {"--plot", CLI_VALUE},      {"--quiet", CLI_FLAG},    {"--json", CLI_FLAG},
    {"--val-split", CLI_VALUE}, {"--patience", CLI_VALUE}, {"--checkpoint", CLI_VALUE}, {"--resume", CLI_VALUE},
    {NULL, CLI_FLAG}};

struct run {
    const struct cli_args *a;
    struct cli_progress progress;
    mlp_epoch_stats *st;
    int n;
    struct cli_curves curves;
    FILE *text;    /* the epoch lines: stdout, or stderr when --log or --plot is "-" */
    struct cli_val val; /* --val-split, --patience */
    mlp_model *model;
    mlp_error err; /* a failed --log or --plot write stops training */
};

static int on_batch(void *user, int epoch, int done, int total, double loss)
{
    struct run *r = user;
    cli_progress_update(&r->progress, epoch, r->st[0].epochs, done, total, loss);
    return 0;
}

static void on_warning(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "warning: %s\n", message);
}

static void print_epoch(FILE *f, const mlp_epoch_stats *s, const struct cli_val *v, bool show_lr)
{
    fprintf(f, "epoch %d/%d  train loss %.4f", s->epoch, s->epochs, s->train_loss);
    if (!isnan(s->train_acc))
        fprintf(f, "  acc %.2f%%", 100 * s->train_acc);
    if (!isnan(s->test_loss))
        fprintf(f, "  test loss %.4f", s->test_loss);
    if (!isnan(s->test_acc))
        fprintf(f, "  acc %.2f%%", 100 * s->test_acc);
    if (v->data)
        fprintf(f, "  val loss %.4f", v->loss);
    if (v->data && !isnan(v->acc))
        fprintf(f, "  acc %.2f%%", 100 * v->acc);
    if (show_lr)
        fprintf(f, "  lr %.3g", s->lr);
    fprintf(f, "  (%.1f s)\n", s->seconds);
    fflush(f);
}

static int on_epoch(void *user, const mlp_epoch_stats *s)
{
    struct run *r = user;
    cli_progress_clear(&r->progress);
    r->st[r->n++] = *s;
    int stop = cli_val_epoch(&r->val, r->model, s->epoch, &r->err);
    if (stop < 0)
        return 1;
    r->val.stopped = stop;
    if (!cli_flag(r->a, "--json") && !cli_flag(r->a, "--quiet"))
        print_epoch(r->text, s, &r->val, cli_get(r->a, "--schedule") &&
                                             strcmp(cli_get(r->a, "--schedule"), "constant"));
    if (stop)
        return 1;
    if (cli_curves_write(&r->curves, r->st, r->n, false, &r->err) != MLP_OK)
        return 1;
    cli_progress_start(&r->progress);
    return 0;
}

/* Numeric options into o; false (with the message printed) on a bad value. */
static bool read_options(const struct cli_args *a, mlp_train_options *o)
{
    long epochs = o->epochs, batch = o->batch, step = o->step_epochs, seed = 1, threads = 1;
    bool ok = cli_int(a, "--epochs", 1, 1000000, &epochs) && cli_int(a, "--batch", 1, 1 << 20, &batch) &&
              cli_int(a, "--threads", 1, 64, &threads) &&
              cli_int(a, "--step-epochs", 1, 1000000, &step) &&
              cli_int(a, "--seed", 0, 0x7fffffffL, &seed) && cli_double(a, "--lr", &o->lr) &&
              cli_double(a, "--momentum", &o->momentum) &&
              cli_double(a, "--weight-decay", &o->weight_decay) &&
              cli_double(a, "--beta1", &o->beta1) && cli_double(a, "--beta2", &o->beta2) &&
              cli_double(a, "--eps", &o->eps) && cli_double(a, "--gamma", &o->gamma) &&
              cli_double(a, "--min-lr", &o->min_lr);
    if (!ok)
        return false;
    o->epochs = (int)epochs;
    o->batch = (int)batch;
    o->step_epochs = (int)step;
    o->seed = (uint64_t)seed;
    o->threads = (int)threads;
    o->nesterov = cli_flag(a, "--nesterov");
    if (cli_get(a, "--optimizer"))
        o->optimizer = cli_get(a, "--optimizer");
    if (cli_get(a, "--schedule"))
        o->schedule = cli_get(a, "--schedule");
    mlp_error err = {0};
    if (mlp_train_check_options(o, &err) != MLP_OK) {
        cli_usage_error(a, "%s", err.message);
        return false;
    }
    return true;
}

/* Output files are checked before training, not after minutes of it: each can be written,
 * none replaces the model, the data or the weights read, no two are the same file. */
static bool outputs_writable(const struct cli_args *a)
{
    const struct cli_file out[] = {{"--save", cli_get(a, "--save")},
                                   {"--log", cli_get(a, "--log")},
                                   {"--plot", cli_get(a, "--plot")},
                                   {"--checkpoint", cli_get(a, "--checkpoint")},
                                   {"--json", cli_flag(a, "--json") ? cli_stdout_flag : NULL}};
    return cli_check_command_outputs(a, out, 5);
}

static void print_json(const mlp_epoch_stats *st, int n)
{
    printf("{\"epochs\": [");
    for (int i = 0; i < n; i++) {
        double v[6] = {st[i].lr, st[i].train_loss, st[i].train_acc, st[i].test_loss,
                       st[i].test_acc, st[i].seconds};
        const char *k[6] = {"lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"};
        printf("%s{\"epoch\": %d", i ? ", " : "", st[i].epoch);
        for (int j = 0; j < 6; j++) {
            printf(", \"%s\": ", k[j]);
            cli_print_value(stdout, &v[j], 0, 0, NULL, true);
        }
        putchar('}');
    }
    printf("]}\n");
}

/* Load the training and test data and scale them; false with the error printed. */
static bool load_data(const struct cli_args *a, mlp_dataset **train, mlp_dataset **test,
                      struct cli_val *val, uint64_t seed)
{
    const char *spec = cli_get(a, "--data"), *tspec = cli_get(a, "--test-data");
    mlp_scale scale;
    if (!spec) {
        cli_usage_error(a, "missing --data SPEC (the training data)");
        return false;
    }
    if (!cli_scale(a, &scale))
        return false;
    if (!tspec && (!strcmp(spec, "fashion-mnist") || !strcmp(spec, "fashion-mnist:train")))
        tspec = "fashion-mnist:test";
    *train = cli_load_data(a, spec);
    *test = *train && tspec ? cli_load_data(a, tspec) : NULL;
    if (!*train || (tspec && !*test) || !cli_val_split(a, val, *train, seed))
        return false;
    mlp_error err = {0};
    if (mlp_dataset_scale(*train, *test, scale, &err) != MLP_OK ||
        (val->data && mlp_dataset_scale_like(val->data, *train, &err) != MLP_OK)) {
        cli_report(&err);
        return false;
    }
    return true;
}

int cmd_train(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(argc, argv, "train", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    mlp_train_options o;
    mlp_train_defaults(&o);
    const char *sdt = cli_get(&a, "--save-dtype");
    if (sdt && strcmp(sdt, "f32") && strcmp(sdt, "f64"))
        return cli_usage_error(&a, "--save-dtype must be f32 or f64, got '%s'", sdt);
    if (!read_options(&a, &o) || !outputs_writable(&a))
        return EXIT_BAD_INPUT;
    mlp_model *m = cli_load_model(&a);
    mlp_dataset *train = NULL, *test = NULL;
    struct run r = {.a = &a, .st = calloc((size_t)o.epochs, sizeof *r.st), .text = stdout,
                    .curves = {cli_get(&a, "--log"), cli_get(&a, "--plot"), 0}};
    for (int i = 0; i < 3; i++) { /* stdout carries the weights, the log or the plot */
        const char *path = cli_get(&a, (const char *[]){"--save", "--log", "--plot"}[i]);
        if (path && !strcmp(path, "-"))
            r.text = stderr;
    }
    r.model = m;
    rc = m && r.st && cli_val_options(&a, &r.val) && load_data(&a, &train, &test, &r.val, o.seed)
             ? EXIT_OK : EXIT_BAD_INPUT;
    o.checkpoint = cli_get(&a, "--checkpoint");
    o.resume = cli_get(&a, "--resume");
    o.sync_epochs = r.val.data != NULL;
    if (rc == EXIT_OK) {
        bool bar = !cli_flag(&a, "--quiet") && !cli_flag(&a, "--json") && isatty(STDERR_FILENO);
        r.progress = (struct cli_progress){.out = bar ? stderr : NULL, .batch = o.batch};
        r.st[0].epochs = o.epochs;
        o.on_batch = on_batch;
        o.on_epoch = on_epoch;
        o.on_warning = on_warning;
        o.user = &r;
        cli_progress_start(&r.progress);
        double t0 = cli_now();
        if (mlp_train(m, train, test, &o, &r.err) != MLP_OK || r.err.status != MLP_OK) {
            cli_progress_clear(&r.progress);
            rc = cli_report(&r.err);
            if (r.err.status == MLP_ERR_NUMERIC) /* a run that went bad, not bad input */
                rc = EXIT_CHECK_FAILED;
        }
        double secs = cli_now() - t0;
        if (rc == EXIT_OK)
            cli_val_finish(&r.val, m, cli_flag(&a, "--json") ? NULL : r.text);
        mlp_error cerr = {0}; /* the curves so far, also of a run that diverged */
        if (cli_curves_write(&r.curves, r.st, r.n, true, &cerr) != MLP_OK && rc == EXIT_OK)
            rc = cli_report(&cerr);
        if (rc == EXIT_OK && cli_get(&a, "--save") &&
            mlp_model_save_weights(m, cli_get(&a, "--save"), sdt && !strcmp(sdt, "f64") ? MLP_F64
                                   : MLP_F32, &r.err) != MLP_OK)
            rc = cli_report(&r.err);
        if (rc == EXIT_OK && cli_flag(&a, "--json"))
            print_json(r.st, r.n);
        else if (rc == EXIT_OK)
            fprintf(r.text, "trained %d epoch%s in %.1f s (%.0f samples/s)%s%s\n", r.n, r.n == 1 ? "" : "s", secs,
                   secs > 0 ? (double)r.n * mlp_dataset_count(train) / secs : 0,
                   cli_get(&a, "--save") ? "; weights saved to " : "",
                   cli_get(&a, "--save") ? cli_get(&a, "--save") : "");
    }
    free(r.st);
    cli_val_free(&r.val);
    mlp_dataset_free(train);
    mlp_dataset_free(test);
    mlp_model_free(m);
    return rc;
}
