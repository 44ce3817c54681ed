/* outfile.c - result text to stdout or, atomically, to a file (see mlp_outfile in mlp.h). */
#include "cli/cli.h"

#include <string.h>

int cli_write_output(const char *path, const char *text)
{
    size_t len = strlen(text);
    if (!path || !strcmp(path, "-"))
        return fwrite(text, 1, len, stdout) == len ? EXIT_OK : EXIT_BAD_INPUT;
    mlp_error err = {0};
    mlp_outfile *o = mlp_outfile_open(path, &err);
    if (!o)
        return cli_report(&err);
    if (fwrite(text, 1, len, mlp_outfile_stream(o)) != len) {
        mlp_outfile_abort(o);
        fprintf(stderr, "%s: error: write failed\n", path);
        return EXIT_BAD_INPUT;
    }
    return mlp_outfile_commit(o, &err) == MLP_OK ? EXIT_OK : cli_report(&err);
}
