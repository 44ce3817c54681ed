/* outfile.c - writing a file atomically: into a temporary file beside the target, then renamed
 * over it. A crash or an error midway leaves the old file (or none), never a half-written one;
 * rename within one directory is atomic on POSIX file systems. */
#include "mlp.h"
#include "base/error.h"
#include "base/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mlp_outfile {
    FILE *f;
    char *path, *tmp;
};

mlp_outfile *mlp_outfile_open(const char *path, mlp_error *err)
{
    size_t n = strlen(path);
    char *tmp = mlp_xmalloc(n + 16);
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot create a file beside it: %s",
                 strerror(errno));
        free(tmp);
        return NULL;
    }
    /* mkstemp makes the file private (0600); the result should be an ordinary file. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    mlp_outfile *o = mlp_xcalloc(1, sizeof *o);
    o->f = fdopen(fd, "wb");
    o->path = mlp_xstrdup(path);
    o->tmp = tmp;
    if (!o->f) {
        close(fd);
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot open: %s", strerror(errno));
        mlp_outfile_abort(o);
        return NULL;
    }
    return o;
}

FILE *mlp_outfile_stream(mlp_outfile *o) { return o->f; }

static void outfile_free(mlp_outfile *o)
{
    free(o->path);
    free(o->tmp);
    free(o);
}

int mlp_outfile_commit(mlp_outfile *o, mlp_error *err)
{
    bool ok = fflush(o->f) == 0 && !ferror(o->f) && fsync(fileno(o->f)) == 0;
    int e = errno;
    ok &= fclose(o->f) == 0;
    o->f = NULL;
    if (ok && rename(o->tmp, o->path) == 0) {
        outfile_free(o);
        return MLP_OK;
    }
    e = ok ? errno : e;
    int rc = mlp_fail(err, MLP_ERR_IO, o->path, MLP_NOLOC, "write failed: %s", strerror(e));
    mlp_outfile_abort(o);
    return rc;
}

void mlp_outfile_abort(mlp_outfile *o)
{
    if (!o)
        return;
    if (o->f)
        fclose(o->f);
    unlink(o->tmp);
    outfile_free(o);
}
