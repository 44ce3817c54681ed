/* fashion.c - ns per one-sample call of the generated Fashion-MNIST 784-256-128-10 model, float32
 * (ff_predict) and int8 (fq_predict_q on int8 input, and fq_predict with the float wrapper).
 * Built and run by bench/export/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ff.h"
#include "fq.h"

#define SAMPLES 16
#define TRIALS 5

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: other load on the machine does not count */
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 2000;
    static float in[SAMPLES][784], out[10];
    static int8_t qin[SAMPLES][784], qout[10];
    double best[3] = {1e9, 1e9, 1e9}, sink = 0;
    for (int s = 0; s < SAMPLES; s++)
        for (int i = 0; i < 784; i++) {
            in[s][i] = (float)rand() / RAND_MAX;
            qin[s][i] = (int8_t)(rand() % 256 - 128);
        }
    for (int t = 0; t < TRIALS; t++) {
        double t0 = now();
        for (long c = 0; c < calls; c++) {
            ff_predict(in[c % SAMPLES], out);
            sink += out[0];
        }
        double t1 = now();
        for (long c = 0; c < calls; c++) {
            fq_predict_q(qin[c % SAMPLES], qout);
            sink += qout[0];
        }
        double t2 = now();
        for (long c = 0; c < calls; c++) {
            fq_predict(in[c % SAMPLES], out);
            sink += out[0];
        }
        double t3 = now();
        double d[3] = {t1 - t0, t2 - t1, t3 - t2};
        for (int k = 0; k < 3; k++)
            best[k] = d[k] < best[k] ? d[k] : best[k];
    }
    printf("Fashion-MNIST 784-256-128-10, one sample per call, best of %d trials of %ld calls\n",
           TRIALS, calls);
    printf("float32 ff_predict:           %8.1f us/call\n", 1e6 * best[0] / calls);
    printf("int8    fq_predict_q:         %8.1f us/call\n", 1e6 * best[1] / calls);
    printf("int8    fq_predict (wrapped): %8.1f us/call  (checksum %g)\n", 1e6 * best[2] / calls, sink);
    return 0;
}
