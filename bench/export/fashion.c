/* fashion.c - ns per one-sample call of the generated Fashion-MNIST 784-256-128-10 model, float32
 * (ff_predict) and int8 (fq_predict_q on int8 input, and fq_predict with the float wrapper).
 * Built and run by bench/export/run.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ff.h"
#include "fq.h"

#define SAMPLES 16
#define TRIALS 5
/* The float32 model's parameters: 784*256 + 256 + 256*128 + 128 + 128*10 + 10 floats. */
#define PARAM_BYTES (4L * (784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10))

/* The memory limit of a one-sample GEMV: reading as many bytes as the model's weights (too many
 * for L2, as theirs) once per call, 8 bytes per load in four independent chains, so that the
 * loads, not the arithmetic, set the pace. */
static uint64_t stream[PARAM_BYTES / 8];

static uint64_t read_all(void)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (long i = 0; i + 3 < PARAM_BYTES / 8; i += 4) {
        a ^= stream[i];
        b ^= stream[i + 1];
        c ^= stream[i + 2];
        d ^= stream[i + 3];
    }
    return a ^ b ^ c ^ d;
}

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
    double best[4] = {1e9, 1e9, 1e9, 1e9}, sink = 0;
    uint64_t bits = 0;
    for (long i = 0; i < PARAM_BYTES / 8; i++)
        stream[i] = (uint64_t)i * 0x9e3779b97f4a7c15u;
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
        for (long c = 0; c < calls; c++) {
            stream[c % 1024] += bits & 1; /* each pass depends on the last */
            bits ^= read_all();
        }
        double t4 = now();
        double d[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
        for (int k = 0; k < 4; k++)
            best[k] = d[k] < best[k] ? d[k] : best[k];
    }
    printf("Fashion-MNIST 784-256-128-10, one sample per call, best of %d trials of %ld calls\n",
           TRIALS, calls);
    printf("float32 ff_predict:           %8.1f us/call\n", 1e6 * best[0] / calls);
    printf("int8    fq_predict_q:         %8.1f us/call\n", 1e6 * best[1] / calls);
    printf("int8    fq_predict (wrapped): %8.1f us/call  (checksum %g)\n", 1e6 * best[2] / calls, sink);
    printf("GEMV memory limit: reading the %ld bytes of float32 weights: %.1f us (%.1f GB/s; %llx)\n",
           PARAM_BYTES, 1e6 * best[3] / calls, PARAM_BYTES / (best[3] / calls) * 1e-9,
           (unsigned long long)(bits & 0xff));
    printf("float32 / memory limit: %.2fx\n", best[0] / best[3]);
    return 0;
}
