/* outfile.c - the CLI's side of writing files: results through the library's one writer
 * (mlp_outfile_open: "-" is stdout, devices and FIFOs are written through, files replaced
 * atomically), and the checks every command makes before any work: each output can be
 * written, and none names an input or another output. */
#include "cli/cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_write_output(const char *path, const char *text)
{
    size_t len = strlen(text);
    if (!path || !strcmp(path, "-")) /* a write error on stdout is reported once, by main */
        return fwrite(text, 1, len, stdout) == len ? EXIT_OK : EXIT_BAD_INPUT;
    mlp_error err = {0};
    mlp_outfile *o = mlp_outfile_open(path, &err);
    if (!o)
        return cli_report(&err);
    if (fwrite(text, 1, len, mlp_outfile_stream(o)) != len) {
        int e = errno;
        mlp_outfile_abort(o);
        fprintf(stderr, "%s: error: write failed: %s\n", path, strerror(e));
        return EXIT_BAD_INPUT;
    }
    return mlp_outfile_commit(o, &err) == MLP_OK ? EXIT_OK : cli_report(&err);
}

/* What a path names, for telling whether two paths are one file: the device and inode of an
 * existing file (symlinks followed), else the canonical path it would be created at. */
struct identity {
    bool exists, regular;
    dev_t dev;
    ino_t ino;
    char where[PATH_MAX + NAME_MAX + 2];
};

static void identify(const char *path, struct identity *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->exists = true;
        id->regular = S_ISREG(st.st_mode);
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    char *d = strdup(path), *b = strdup(path), dir[PATH_MAX];
    if (d && b && realpath(dirname(d), dir))
        snprintf(id->where, sizeof id->where, "%s/%s", dir, basename(b));
    else
        snprintf(id->where, sizeof id->where, "%s", path);
    free(d);
    free(b);
}

static bool same_file(const struct identity *a, const struct identity *b)
{
    if (a->exists != b->exists)
        return false;
    return a->exists ? a->dev == b->dev && a->ino == b->ino : !strcmp(a->where, b->where);
}

/* Whether an output can be written, found without writing it: a FIFO must not be opened here
 * (that waits for a reader), a regular file's directory must take a temporary file. */
static bool writable(const struct cli_args *a, const struct cli_file *f)
{
    struct stat st;
    if (!strcmp(f->path, "-"))
        return true;
    if (stat(f->path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_usage_error(a, "%s %s: is a directory", f->what, f->path);
        return false;
    }
    if (stat(f->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (access(f->path, W_OK) == 0)
            return true;
        cli_usage_error(a, "%s %s: cannot write: %s", f->what, f->path, strerror(errno));
        return false;
    }
    mlp_error err = {0};
    mlp_outfile *o = mlp_outfile_open(f->path, &err);
    if (!o) {
        cli_report(&err);
        return false;
    }
    mlp_outfile_abort(o);
    return true;
}

/* Whether an output goes to stdout: "-", or a path naming the file or pipe that stdout is
 * (/dev/stdout, /proc/self/fd/1). A terminal or /dev/null as stdout may be shared. */
static bool to_stdout(const struct cli_file *f)
{
    struct stat st, out;
    if (!strcmp(f->path, "-"))
        return true;
    return stat(f->path, &st) == 0 && fstat(STDOUT_FILENO, &out) == 0 && !S_ISCHR(st.st_mode) &&
           st.st_dev == out.st_dev && st.st_ino == out.st_ino;
}

const char cli_stdout_flag[] = "-";

/* "--save -", or "--json" for a flag. */
static const char *describe(const struct cli_file *f, char *buf, size_t size)
{
    snprintf(buf, size, f->path == cli_stdout_flag ? "%s" : "%s %s", f->what, f->path);
    return buf;
}

/* Two outputs on one stdout would be interleaved (a JSON report and the weights' bytes). */
static bool stdout_shared(const struct cli_args *a, const struct cli_file *out, int i)
{
    if (!to_stdout(&out[i]))
        return false;
    for (int j = 0; j < i; j++) {
        if (!out[j].path || !to_stdout(&out[j]))
            continue;
        char x[PATH_MAX + 32], y[PATH_MAX + 32];
        cli_usage_error(a, "%s and %s both write to stdout; name a file for one of them",
                        describe(&out[j], x, sizeof x), describe(&out[i], y, sizeof y));
        return true;
    }
    return false;
}

bool cli_check_outputs(const struct cli_args *a, const struct cli_file *in, int nin,
                       const struct cli_file *out, int nout)
{
    for (int i = 0; i < nout; i++) {
        if (!out[i].path)
            continue;
        if (!writable(a, &out[i]) || stdout_shared(a, out, i))
            return false;
        struct identity o, other;
        identify(out[i].path, &o);
        /* stdout, devices and FIFOs are written through: two outputs may share /dev/null. */
        if (!strcmp(out[i].path, "-") || (o.exists && !o.regular))
            continue;
        for (int j = 0; j < nin; j++) {
            if (!in[j].path)
                continue;
            identify(in[j].path, &other);
            if (other.exists && same_file(&o, &other)) {
                cli_usage_error(a, "%s %s is the same file as %s %s: an output must not replace "
                                "an input", out[i].what, out[i].path, in[j].what, in[j].path);
                return false;
            }
        }
        for (int j = 0; j < i; j++) {
            if (!out[j].path)
                continue;
            identify(out[j].path, &other);
            if (same_file(&o, &other)) {
                cli_usage_error(a, "%s %s and %s %s are the same file", out[j].what, out[j].path,
                                out[i].what, out[i].path);
                return false;
            }
        }
    }
    return true;
}

/* Add the files a data spec or --weights value names: the whole text when such a file exists,
 * else its comma-separated parts (IMAGES,LABELS) or the part after NAME=. */
static void add_spec(struct cli_files *f, const char *what, const char *spec, char sep)
{
    struct stat st;
    if (stat(spec, &st) == 0 || !strchr(spec, sep)) {
        if (f->nin < CLI_MAX_FILES)
            f->in[f->nin++] = (struct cli_file){what, spec};
        return;
    }
    char *copy = f->ncopies < CLI_MAX_FILES ? strdup(spec) : NULL;
    if (!copy)
        return;
    f->copies[f->ncopies++] = copy;
    if (sep == '=') {
        if (f->nin < CLI_MAX_FILES)
            f->in[f->nin++] = (struct cli_file){what, strchr(copy, '=') + 1};
        return;
    }
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && f->nin < CLI_MAX_FILES;
         t = strtok_r(NULL, ",", &save))
        f->in[f->nin++] = (struct cli_file){what, t};
}

void cli_input_files(const struct cli_args *a, struct cli_files *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < a->npos && f->nin < CLI_MAX_FILES; i++)
        f->in[f->nin++] = (struct cli_file){"the model", a->pos[i]};
    for (int i = 0; i < a->ngiven; i++) {
        const char *name = a->given[i].name, *v = a->given[i].value;
        if (!v)
            continue;
        if (!strcmp(name, "--data") || !strcmp(name, "--test-data"))
            add_spec(f, name, v, ',');
        else if (!strcmp(name, "--weights"))
            add_spec(f, name, v, '=');
    }
}

void cli_files_free(struct cli_files *f)
{
    for (int i = 0; i < f->ncopies; i++)
        free(f->copies[i]);
    f->ncopies = 0;
}

bool cli_check_command_outputs(const struct cli_args *a, const struct cli_file *out, int nout)
{
    struct cli_files f;
    cli_input_files(a, &f);
    bool ok = cli_check_outputs(a, f.in, f.nin, out, nout);
    cli_files_free(&f);
    return ok;
}
