/* main.c - runs every registered unit test (or those whose name contains argv[1]). */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>

struct test {
    const char *name, *file;
    void (*fn)(void);
};

static struct test tests[1024];
static int ntests, failures;
static bool current_failed;

void test_register(const char *name, void (*fn)(void), const char *file)
{
    if (ntests < (int)(sizeof tests / sizeof *tests))
        tests[ntests++] = (struct test){name, file, fn};
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    current_failed = true;
}

bool test_close(double a, double b, double tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= tol * scale;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int run = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        current_failed = false;
        tests[i].fn();
        run++;
        if (current_failed) {
            failures++;
            fprintf(stderr, "FAIL %s (%s)\n", tests[i].name, tests[i].file);
        }
    }
    printf("unit: %d tests, %d failed\n", run, failures);
    return failures ? 1 : 0;
}
