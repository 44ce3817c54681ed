/* log.c - `mlp train --log FILE.csv`: the per-epoch numbers; and when --log and --plot are
 * rewritten during training. */
#include "cli/cli.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

static void field(FILE *f, double v)
{
    char buf[32];
    fputc(',', f);
    if (!isnan(v))
        fputs(mlp_format_double(v, buf), f);
}

int cli_log_csv(const char *path, const mlp_epoch_stats *st, int n, mlp_error *err)
{
    mlp_outfile *o = mlp_outfile_open(path, err);
    if (!o)
        return MLP_ERR_IO;
    FILE *f = mlp_outfile_stream(o);
    fputs("epoch,train_loss,train_acc,test_loss,test_acc,seconds\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d", st[i].epoch);
        field(f, st[i].train_loss);
        field(f, st[i].train_acc);
        field(f, st[i].test_loss);
        field(f, st[i].test_acc);
        field(f, st[i].seconds);
        fputc('\n', f);
    }
    return mlp_outfile_commit(o, err);
}

/* Whether path is written through (stdout, a device, a FIFO): such a stream cannot be
 * rewritten, so it gets the curves once, at the end. */
static bool is_stream(const char *path)
{
    struct stat st;
    return !strcmp(path, "-") || (stat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

int cli_curves_write(struct cli_curves *c, const mlp_epoch_stats *st, int n, bool final,
                     mlp_error *err)
{
    double t0 = cli_now();
    if (c->next == 0 && !final)
        c->next = t0 + 1; /* the first write after a second: a short run writes once, at the end */
    if (n == 0 || (!final && t0 < c->next))
        return MLP_OK;
    int rc = MLP_OK;
    if (c->log && (final || !is_stream(c->log)))
        rc = cli_log_csv(c->log, st, n, err);
    if (rc == MLP_OK && c->plot && (final || !is_stream(c->plot)))
        rc = cli_plot_svg(c->plot, st, n, err);
    /* Each rewrite costs time linear in the epochs so far (and an fsync): waiting 20 times as
     * long as the last one took, and at least a second, keeps the total within 5% of the run. */
    double cost = cli_now() - t0;
    c->next = cli_now() + (20 * cost > 1 ? 20 * cost : 1);
    return rc;
}
