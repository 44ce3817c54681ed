/* variants.c - ns per call, independent and chained (as bench.c), of several builds of the
 * generated 5-4-1 network and FANN's fann_run, all in one process, alternating within each of
 * TRIALS trials; prints medians and minima of thread CPU time. To compare two exports (say
 * main's and a branch's `mlp export bench/export/sigmoid541.mlp --format c -o DIR/sig541`),
 * compile each with its symbols renamed and list the names in VARIANTS:
 *   cc -std=c99 -O2 -I DIR -Dsig541_predict_r=a_predict_r -Dsig541_predict=a_predict -c DIR/sig541.c -o a.o
 *   cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 '-DVARIANTS=X(a) X(b)' bench/export/variants.c a.o b.o \
 *      -lfloatfann -lm -o variants && ./variants [CALLS [TRIALS]]
 * (bench/export/RESULTS.md, 2026-12-03 17:03, for the variants measured with it). */
#include "fann541.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#define SAMPLES 1024
typedef void (*pred)(const float *, float *);
#define X(n) void n##_predict(const float *, float *);
VARIANTS
#undef X
#define X(n) {#n, n##_predict},
static struct { const char *name; pred f; } V[] = { VARIANTS };
#undef X
#define NV (int)(sizeof V / sizeof V[0])
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static float in[SAMPLES][5];
static volatile double sink;
int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 100000;
    int trials = argc > 2 ? atoi(argv[2]) : 31;
    srand(1);
    for (int s = 0; s < SAMPLES; s++) for (int i = 0; i < 5; i++) in[s][i] = (float)rand() / RAND_MAX * 4 - 2;
    struct fann *ann = make_fann();
    double *ti = calloc((size_t)(NV + 1) * trials, sizeof *ti), *tc = calloc((size_t)(NV + 1) * trials, sizeof *tc);
    for (int v = 0; v < NV; v++) {
        double worst = 0;
        for (int s = 0; s < SAMPLES; s++) { float y; V[v].f(in[s], &y); double d = fabs(y - fann_run(ann, in[s])[0]); worst = d > worst ? d : worst; }
        printf("%-10s largest difference from FANN %.2g\n", V[v].name, worst);
    }
    for (int t = 0; t < trials; t++) {
        for (int v = 0; v <= NV; v++) {
            double acc = 0, t0 = now();
            if (v < NV) { pred f = V[v].f; for (long c = 0; c < calls; c++) { float y; f(in[c % SAMPLES], &y); acc += y; } }
            else for (long c = 0; c < calls; c++) acc += fann_run(ann, in[c % SAMPLES])[0];
            double t1 = now();
            float x[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
            if (v < NV) { pred f = V[v].f; for (long c = 0; c < calls; c++) { float y; f(x, &y); x[0] = y; } }
            else for (long c = 0; c < calls; c++) x[0] = fann_run(ann, x)[0];
            double t2 = now();
            sink += acc + x[0];
            ti[v * trials + t] = 1e9 * (t1 - t0) / calls; tc[v * trials + t] = 1e9 * (t2 - t1) / calls;
        }
    }
    printf("%ld calls x %d trials, thread CPU time, ns/call: median (min)\n", calls, trials);
    for (int v = 0; v <= NV; v++) {
        qsort(ti + v * trials, trials, sizeof *ti, cmp); qsort(tc + v * trials, trials, sizeof *tc, cmp);
        printf("%-10s independent %6.1f (%5.1f)   chained %6.1f (%5.1f)\n", v < NV ? V[v].name : "fann",
               ti[v * trials + trials / 2], ti[v * trials], tc[v * trials + trials / 2], tc[v * trials]);
    }
    return 0;
}
