/* driver.c - replays inputs through a fuzz harness without libFuzzer.
 *
 *   replay-NAME FILE_OR_DIR...
 *
 * Calls LLVMFuzzerTestOneInput once per file (the files of a directory in name order), so the
 * committed corpus and crash reproducers run under any compiler and sanitizer as a regression
 * test. A failing invariant aborts with the harness's message, and the driver then names the
 * file that caused it (from a signal handler, or the sanitizers' death callback).
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"

/* Weak so harnesses without set-up link too. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);
/* Provided by the sanitizer runtimes when linked in. */
__attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)(void));

/* The input being run, for the crash message (this test program's only global state). */
static const char *current;

static void name_current(void)
{
    static const char msg[] = "replay: the failing input is ";
    if (!current)
        return;
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, current, strlen(current)) < 0 ||
        write(2, "\n", 1) < 0)
        return;
}

static void on_crash(int sig)
{
    name_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path)
{
    size_t len;
    char *data = mlp_read_file(path, &len);
    if (!data) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    current = path;
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    current = NULL;
    free(data);
    return 0;
}

/* Run every regular file in dir, in name order; adds to *count. */
static int run_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    int n = 0, cap = 0, rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        mlp_xreserve(&names, &cap, n + 1, sizeof *names);
        names[n++] = mlp_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, compare);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (!rc && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(path);
            ++*count;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGABRT, on_crash);
    signal(SIGSEGV, on_crash);
    signal(SIGFPE, on_crash);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(name_current);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    int count = 0, rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = run_dir(argv[i], &count);
        } else {
            rc = run_file(argv[i]);
            count++;
        }
    }
    printf("replay %s: %d inputs, %s\n", argv[0], count, rc ? "FAILED" : "ok");
    return rc;
}
