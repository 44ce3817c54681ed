/* log.c - `mlp train --log FILE.csv`: the per-epoch numbers, rewritten after every epoch. */
#include "cli/cli.h"

#include <math.h>

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
