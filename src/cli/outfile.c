/* outfile.c - writing a result file all at once: a temporary file beside it, renamed into place
 * only when complete, so a failure never leaves a partial file (or clobbers an old one). */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_temp_beside(const char *path, char *tmp, size_t size)
{
    if ((size_t)snprintf(tmp, size, "%s.tmpXXXXXX", path) >= size) {
        fprintf(stderr, "mlp: %s: path too long\n", path);
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "mlp: cannot create a file beside %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* mkstemp makes the file private; the result gets the usual permissions. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return fd;
}

int cli_commit_file(const char *tmp, const char *path)
{
    if (rename(tmp, path) == 0)
        return EXIT_OK;
    fprintf(stderr, "mlp: cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
    return EXIT_BAD_INPUT;
}

int cli_write_output(const char *path, const char *text)
{
    size_t len = strlen(text);
    if (!path || !strcmp(path, "-"))
        return fwrite(text, 1, len, stdout) == len ? EXIT_OK : EXIT_BAD_INPUT;
    char tmp[4200];
    int fd = cli_temp_beside(path, tmp, sizeof tmp);
    if (fd < 0)
        return EXIT_BAD_INPUT;
    FILE *f = fdopen(fd, "w");
    bool ok = f && fwrite(text, 1, len, f) == len;
    ok = (f ? fclose(f) == 0 : (close(fd), false)) && ok;
    if (!ok) {
        fprintf(stderr, "mlp: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return EXIT_BAD_INPUT;
    }
    return cli_commit_file(tmp, path);
}
