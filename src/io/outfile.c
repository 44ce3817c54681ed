/* outfile.c - the one writer of every output file (see mlp_outfile_open in mlp.h).
 *
 * Where the bytes go depends on what the path names, never on what the caller guesses:
 *   "-"                      stdout, written through;
 *   a symlink                followed (up to 40 links); what it points to is treated as below,
 *                            so the link stays a link and its target is replaced;
 *   a device, FIFO, socket   opened and written through: replacing /dev/null with a regular
 *                            file (as root) or a FIFO with a file would break what the user
 *                            set up; /dev/stdout and /proc/self/fd/N are magic links, written
 *                            through too;
 *   a regular file, or none  written to a temporary file beside it (the target, not the link),
 *                            synced, then renamed over it: a crash, an error or a signal leaves
 *                            the old file or none, never half of one. A file that exists keeps
 *                            its permission bits (and, where allowed, its owner).
 *
 * Temporary files are listed in a process-wide table so that a SIGINT or SIGTERM handler can
 * unlink them (mlp_outfile_remove_temporaries, async-signal-safe). That table is the library's
 * one piece of global state: a signal handler has no other way to find them. Signals are
 * blocked while a temporary file is created and listed, and while it is renamed and delisted,
 * so that no signal sees one without the other. */
#include "mlp.h"
#include "base/error.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40
#define MAX_TEMPS 64

static _Atomic(char *) temporaries[MAX_TEMPS];

void mlp_outfile_remove_temporaries(void)
{
    for (int i = 0; i < MAX_TEMPS; i++) {
        char *t = atomic_load(&temporaries[i]);
        if (t)
            unlink(t);
    }
}

static void list_temporary(char *tmp)
{
    for (int i = 0; i < MAX_TEMPS; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&temporaries[i], &expected, tmp))
            return;
    }
}

static void delist_temporary(const char *tmp)
{
    for (int i = 0; i < MAX_TEMPS; i++) {
        char *expected = (char *)tmp;
        if (atomic_compare_exchange_strong(&temporaries[i], &expected, NULL))
            return;
    }
}

/* Block SIGINT and SIGTERM (saving the old mask), or restore it. */
static void hold_signals(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, old);
}
static void release_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

enum kind { KIND_STDOUT, KIND_THROUGH, KIND_REPLACE };

struct mlp_outfile {
    FILE *f;
    enum kind kind;
    char *path; /* as given, for messages */
    char *real; /* the file written or replaced, symlinks followed */
    char *tmp;  /* KIND_REPLACE: the temporary file */
};

/* The path a symlink at `link` points to (relative targets are relative to its directory). */
static char *link_target(const char *link, const char *target)
{
    if (target[0] == '/')
        return mlp_xstrdup(target);
    const char *slash = strrchr(link, '/');
    size_t dir = slash ? (size_t)(slash - link) + 1 : 0;
    char *out = mlp_xmalloc(dir + strlen(target) + 1);
    memcpy(out, link, dir);
    strcpy(out + dir, target);
    return out;
}

/* Follow symlinks from path; *through is set for magic links into /proc (/dev/stdout).
 * NULL with errno set (ELOOP) on failure. */
static char *follow_links(const char *path, bool *through)
{
    char *cur = mlp_xstrdup(path);
    *through = false;
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur; /* not there (it will be created) or not a link */
        if (hops == MAX_LINKS || !strncmp(cur, "/proc/", 6)) {
            *through = hops < MAX_LINKS; /* /proc/self/fd/N: open it, never replace it */
            if (*through)
                return cur;
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) {
            free(cur);
            return NULL;
        }
        target[n] = 0;
        char *next = link_target(cur, target);
        free(cur);
        cur = next;
    }
}

static mlp_outfile *outfile_new(const char *path, enum kind kind, char *real)
{
    mlp_outfile *o = mlp_xcalloc(1, sizeof *o);
    o->kind = kind;
    o->path = mlp_xstrdup(path);
    o->real = real;
    return o;
}

static void outfile_free(mlp_outfile *o)
{
    free(o->path);
    free(o->real);
    free(o->tmp);
    free(o);
}

/* Open a device, FIFO or magic link for writing, as a shell's `>` would (a FIFO waits for its
 * reader). */
static mlp_outfile *open_through(const char *path, char *real, mlp_error *err)
{
    int fd = open(real, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot open for writing: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        free(real);
        return NULL;
    }
    mlp_outfile *o = outfile_new(path, KIND_THROUGH, real);
    o->f = f;
    return o;
}

/* A temporary file beside `real`, with the mode (and owner) of the file it will replace. */
static mlp_outfile *open_replace(const char *path, char *real, const struct stat *old,
                                 mlp_error *err)
{
    /* NAME.tmp.XXXXXX beside it; a name too long for that suffix (a legal 250-byte name) gets
     * a temporary named .mlp.tmp.XXXXXX in the same directory instead. */
    size_t n = strlen(real);
    const char *slash = strrchr(real, '/'), *base = slash ? slash + 1 : real;
    char *tmp = mlp_xmalloc(n + 32);
    if (strlen(base) + 11 <= NAME_MAX)
        snprintf(tmp, n + 32, "%s.tmp.XXXXXX", real);
    else
        snprintf(tmp, n + 32, "%.*s.mlp.tmp.XXXXXX", (int)(base - real), real);
    sigset_t mask;
    hold_signals(&mask);
    int fd = mkstemp(tmp);
    if (fd >= 0)
        list_temporary(tmp);
    release_signals(&mask);
    if (fd < 0) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot create a file beside it: %s",
                 strerror(errno));
        free(tmp);
        free(real);
        return NULL;
    }
    if (old) {
        if (fchown(fd, old->st_uid, old->st_gid) != 0) /* only root may give a file away */
            errno = 0;
        fchmod(fd, old->st_mode & 07777);
    } else { /* mkstemp makes the file private (0600); a new file is an ordinary one */
        mode_t mask_bits = umask(0);
        umask(mask_bits);
        fchmod(fd, 0666 & ~mask_bits);
    }
    mlp_outfile *o = outfile_new(path, KIND_REPLACE, real);
    o->tmp = tmp;
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot open: %s", strerror(errno));
        mlp_outfile_abort(o);
        return NULL;
    }
    return o;
}

mlp_outfile *mlp_outfile_open(const char *path, mlp_error *err)
{
    if (!strcmp(path, "-")) {
        mlp_outfile *o = outfile_new(path, KIND_STDOUT, mlp_xstrdup("-"));
        o->f = stdout;
        return o;
    }
    bool magic;
    char *real = follow_links(path, &magic);
    if (!real) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot follow the link: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    bool exists = stat(real, &st) == 0;
    if (magic || (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
        return open_through(path, real, err);
    if (exists && S_ISDIR(st.st_mode)) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot write: it is a directory");
        free(real);
        return NULL;
    }
    return open_replace(path, real, exists ? &st : NULL, err);
}

FILE *mlp_outfile_stream(mlp_outfile *o) { return o->f; }

int mlp_outfile_replaces(const mlp_outfile *o) { return o->kind == KIND_REPLACE; }

/* Flush and close (stdout is flushed, not closed); false with errno on a write error. */
static bool finish_stream(mlp_outfile *o, int *e)
{
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    *e = errno;
    if (ok && o->kind == KIND_REPLACE) {
        ok = fsync(fileno(o->f)) == 0;
        *e = errno;
    }
    if (o->kind != KIND_STDOUT) {
        if (fclose(o->f) != 0 && ok) {
            ok = false;
            *e = errno;
        }
    }
    o->f = NULL;
    return ok;
}

int mlp_outfile_commit(mlp_outfile *o, mlp_error *err)
{
    int e = 0;
    bool ok = finish_stream(o, &e);
    if (ok && o->kind == KIND_REPLACE) {
        sigset_t mask;
        hold_signals(&mask);
        ok = rename(o->tmp, o->real) == 0;
        e = errno;
        if (ok)
            delist_temporary(o->tmp);
        release_signals(&mask);
    }
    if (ok) {
        outfile_free(o);
        return MLP_OK;
    }
    int rc = mlp_fail(err, MLP_ERR_IO, o->path, MLP_NOLOC, "write failed: %s", strerror(e));
    mlp_outfile_abort(o);
    return rc;
}

void mlp_outfile_abort(mlp_outfile *o)
{
    if (!o)
        return;
    if (o->f && o->kind != KIND_STDOUT)
        fclose(o->f);
    if (o->kind == KIND_REPLACE) {
        sigset_t mask;
        hold_signals(&mask);
        unlink(o->tmp);
        delist_temporary(o->tmp);
        release_signals(&mask);
    }
    outfile_free(o);
}
