/* bench.c - ns per call of the generated 5-4-1 C (sig541_predict) and FANN 2.2's fann_run on the
 * same network with the same weights, in one process, alternating trials; best of TRIALS.
 * Two measures: independent calls (distinct inputs, so the CPU overlaps consecutive calls: the
 * throughput) and chained calls (each call's input[0] is the previous call's output, so nothing
 * overlaps: the latency of one call). Built and run by bench/export/run.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "fann541.h"
#include "sig541.h"

#define SAMPLES 1024 /* distinct inputs, cycled, so no call can be hoisted */
#define TRIALS 7

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 2000000;
    static float in[SAMPLES][5];
    srand(1);
    for (int s = 0; s < SAMPLES; s++)
        for (int i = 0; i < 5; i++)
            in[s][i] = (float)rand() / RAND_MAX * 4 - 2;
    struct fann *ann = make_fann();
    double worst = 0, best_c = 1e9, best_f = 1e9, lat_c = 1e9, lat_f = 1e9, sink = 0;
    for (int s = 0; s < SAMPLES; s++) { /* the two compute the same function */
        float y;
        sig541_predict(in[s], &y);
        double d = fabs(y - fann_run(ann, in[s])[0]);
        worst = d > worst ? d : worst;
    }
    for (int t = 0; t < TRIALS; t++) {
        double t0 = now();
        for (long c = 0; c < calls; c++) {
            float y;
            sig541_predict(in[c % SAMPLES], &y);
            sink += y;
        }
        double t1 = now();
        for (long c = 0; c < calls; c++)
            sink += fann_run(ann, in[c % SAMPLES])[0];
        double t2 = now();
        float x[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        for (long c = 0; c < calls; c++) { /* input and output must not overlap */
            float y;
            sig541_predict(x, &y);
            x[0] = y;
        }
        double t3 = now();
        for (long c = 0; c < calls; c++)
            x[0] = fann_run(ann, x)[0];
        double t4 = now();
        sink += x[0];
        best_c = (t1 - t0) < best_c ? t1 - t0 : best_c;
        best_f = (t2 - t1) < best_f ? t2 - t1 : best_f;
        lat_c = (t3 - t2) < lat_c ? t3 - t2 : lat_c;
        lat_f = (t4 - t3) < lat_f ? t4 - t3 : lat_f;
    }
    printf("5-4-1 sigmoid, one sample per call, best of %d trials of %ld calls\n", TRIALS, calls);
    printf("generated C (mlp export --format c): %6.1f ns/call\n", 1e9 * best_c / calls);
    printf("FANN 2.2 fann_run:                   %6.1f ns/call\n", 1e9 * best_f / calls);
    printf("ratio FANN / generated C: %.2fx; largest output difference %.2g (checksum %.6g)\n",
           best_f / best_c, worst, sink);
    printf("chained calls (latency): generated C %.1f ns, FANN %.1f ns (%.2fx)\n",
           1e9 * lat_c / calls, 1e9 * lat_f / calls, lat_f / lat_c);
    fann_destroy(ann);
    return 0;
}
