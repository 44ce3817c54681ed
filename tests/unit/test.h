/* test.h - a minimal test harness: TEST(name) { CHECK(...); } registers itself at load time. */
#ifndef MLP_TEST_H
#define MLP_TEST_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void test_register(const char *name, void (*fn)(void), const char *file);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* |a - b| <= tol * max(1, |a|, |b|)  (relative for large values, absolute near zero) */
bool test_close(double a, double b, double tol);

#define TEST(name)                                                                              \
    static void name(void);                                                                     \
    __attribute__((constructor)) static void register_##name(void)                              \
    {                                                                                           \
        test_register(#name, name, __FILE__);                                                   \
    }                                                                                           \
    static void name(void)

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                  \
            return;                                                                             \
        }                                                                                       \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                    \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                                         \
            return;                                                                             \
        }                                                                                       \
    } while (0)

#define CHECK_CLOSE(a, b, tol)                                                                  \
    do {                                                                                        \
        double a_ = (a), b_ = (b);                                                              \
        if (!test_close(a_, b_, tol)) {                                                         \
            test_fail(__FILE__, __LINE__, "%s = %.17g, expected %s = %.17g (tol %g)", #a, a_,    \
                      #b, b_, (double)(tol));                                                   \
            return;                                                                             \
        }                                                                                       \
    } while (0)

#define CHECK_STR(a, b)                                                                         \
    do {                                                                                        \
        const char *a_ = (a), *b_ = (b);                                                        \
        if (!a_ || strcmp(a_, b_)) {                                                            \
            test_fail(__FILE__, __LINE__, "%s =\n    \"%s\"\nexpected\n    \"%s\"", #a,          \
                      a_ ? a_ : "(null)", b_);                                                  \
            return;                                                                             \
        }                                                                                       \
    } while (0)

#endif
