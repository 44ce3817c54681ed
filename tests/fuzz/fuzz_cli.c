/* fuzz_cli.c - the command line: `mlp` run on fuzzed argument vectors.
 *
 * The input is the arguments after `mlp`, separated by NUL bytes (at most 32). Placeholders
 * (whole arguments, or the value in --option=@X) stand for files made at start-up in a temporary folder, the working directory of each run:
 *   @M  a model (the seed's residual MLP)   @D  a CSV batch for it     @E  an empty file
 *   @G  a file of binary garbage            @X  a directory
 * Invariants of every run: the exit status is 0, 1 or 2; status 2 writes nothing to stdout and
 * a message to stderr; status 0 writes nothing to stderr. stdout and stderr are captured in
 * files in the temporary folder while a command runs (set FUZZ_CLI_SHOW=1 to see them instead,
 * when replaying a reproducer).
 */
#include "fuzz.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 32

/* src/cli/main.c, built with -Dmain=mlp_cli_main: every subcommand, as the tool dispatches. */
int mlp_cli_main(int argc, char **argv);

static const char model_text[] =
    "input x[3]\n"
    "param W1[2,3] = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]\n"
    "param b1[2] = [0.01, -0.02]\n"
    "param W2[3,2] ~ normal(0, 0.1)\n"
    "param b2[3] = 0\n"
    "const r[2] = [1, -1]\n"
    "input s[3]\n"
    "z = W1 @ x + b1\n"
    "h = sigmoid(z)\n"
    "y = x + W2 @ h + b2\n"
    "L = 0.5 * sumsq(y - s) + dot(r, h)\n"
    "output y\n"
    "loss L\n";
static const char data_text[] = "x[0],x[1],x[2],s[0],s[1],s[2]\n1,2,3,0,1,0\n-1,0.5,2,1,1,1\n";
static const char garbage[] = "\x7f" "ELF\x02\x01\x01\x00\xff\xfe\x00\x00(((\n]]]";

/* Set up once: the folder, its files, and the capture files (the harness's own state). */
static char dir[64];
static int out_fd = -1, err_fd = -1, saved_out = -1, saved_err = -1, saved_cwd = -1;
static bool show;

static void write_file(const char *name, const char *text, size_t len)
{
    FILE *f = fopen(name, "wb");
    FUZZ_ASSERT(f && fwrite(text, 1, len, f) == len && fclose(f) == 0, "cannot write %s", name);
}

static const char *const made[] = {"model.mlp", "data.csv", "empty.mlp", "garbage.bin",
                                   "stdout.txt", "stderr.txt"};

/* Remove the temporary folder at exit (a command that wrote other files there keeps it). */
static void clean_up(void)
{
    char path[128];
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, made[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/folder", dir);
    rmdir(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(dir, sizeof dir, "%s", "/tmp/mlp-fuzz-cli-XXXXXX");
    saved_cwd = open(".", O_RDONLY);
    FUZZ_ASSERT(saved_cwd >= 0 && mkdtemp(dir) && chdir(dir) == 0, "cannot make a temporary folder");
    write_file("model.mlp", model_text, sizeof model_text - 1);
    write_file("data.csv", data_text, sizeof data_text - 1);
    write_file("empty.mlp", "", 0);
    write_file("garbage.bin", garbage, sizeof garbage - 1);
    FUZZ_ASSERT(mkdir("folder", 0700) == 0, "cannot make a folder");
    atexit(clean_up);
    show = getenv("FUZZ_CLI_SHOW") != NULL;
    out_fd = open("stdout.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    err_fd = open("stderr.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    saved_out = dup(1);
    saved_err = dup(2);
    FUZZ_ASSERT(out_fd >= 0 && err_fd >= 0 && saved_out >= 0 && saved_err >= 0, "cannot capture");
    FUZZ_ASSERT(fchdir(saved_cwd) == 0, "cannot go back"); /* the drivers read corpora from here */
    return 0;
}

/* The argument with a placeholder replaced: a new string, which the caller frees. */
static char *placeholder(const char *arg)
{
    static const char *const files[][2] = {{"@M", "model.mlp"}, {"@D", "data.csv"},
                                           {"@E", "empty.mlp"}, {"@G", "garbage.bin"},
                                           {"@X", "folder"}};
    const char *eq = strncmp(arg, "--", 2) ? NULL : strchr(arg, '=');
    size_t keep = eq ? (size_t)(eq + 1 - arg) : 0;
    char *out = malloc(strlen(arg) + 16);
    FUZZ_ASSERT(out, "out of memory");
    strcpy(out, arg);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (!strcmp(arg + keep, files[i][0]))
            strcpy(out + keep, files[i][1]);
    return out;
}

/* Enter the temporary folder and point fd 1 and 2 at the capture files (emptied), or go back. */
static void capture(bool on)
{
    fflush(stdout);
    fflush(stderr);
    FUZZ_ASSERT(on ? chdir(dir) == 0 : fchdir(saved_cwd) == 0, "cannot change folder");
    if (show)
        return;
    if (on) {
        FUZZ_ASSERT(ftruncate(out_fd, 0) == 0 && ftruncate(err_fd, 0) == 0, "truncate");
        lseek(out_fd, 0, SEEK_SET);
        lseek(err_fd, 0, SEEK_SET);
    }
    dup2(on ? out_fd : saved_out, 1);
    dup2(on ? err_fd : saved_err, 2);
}

static long captured(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char *argv[MAX_ARGS + 2] = {"mlp"};
    int argc = 1;
    for (size_t i = 0; i <= size && argc <= MAX_ARGS; i += strlen(text + i) + 1)
        argv[argc++] = placeholder(text + i);
    capture(true);
    int rc = mlp_cli_main(argc, argv);
    capture(false);
    if (!show) {
        long out = captured(out_fd), err = captured(err_fd);
        FUZZ_ASSERT(rc == 0 || rc == 1 || rc == 2, "exit status %d", rc);
        FUZZ_ASSERT(rc != 2 || out == 0, "exit status 2 with %ld bytes on stdout", out);
        FUZZ_ASSERT(rc != 2 || err > 0, "exit status 2 without a message on stderr");
        FUZZ_ASSERT(rc != 0 || err == 0, "exit status 0 with %ld bytes on stderr", err);
    }
    for (int i = 1; i < argc; i++)
        free(argv[i]);
    free(text);
    return 0;
}
