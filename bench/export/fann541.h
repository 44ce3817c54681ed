/* fann541.h - the 5-4-1 network of sigmoid541.mlp built in FANN 2.2, and the clock, shared by
 * bench.c and variants.c. */
#ifndef FANN541_H
#define FANN541_H
#include <floatfann.h>
#include <time.h>

static const float W1[4][5] = {{0.5f, -0.25f, 0.75f, 0.1f, -0.6f}, {0.3f, 0.8f, -0.45f, 0.2f, 0.05f},
                               {-0.7f, 0.15f, 0.35f, -0.9f, 0.4f}, {0.25f, -0.55f, 0.6f, 0.45f, -0.15f}};
static const float b1[4] = {0.1f, -0.2f, 0.05f, 0.3f};
static const float W2[4] = {1.2f, -0.8f, 0.65f, -1.1f};
static const float b2 = 0.15f;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: other load on the machine does not count */
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* FANN numbers neurons layer by layer, each layer's bias neuron last: inputs 0-4, bias 5,
 * hidden 6-9, bias 10, output 11. */
static struct fann *make_fann(void)
{
    struct fann *ann = fann_create_standard(3, 5, 4, 1);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5f);
    fann_set_activation_steepness_output(ann, 0.5f);
    for (int j = 0; j < 4; j++) {
        for (int i = 0; i < 5; i++)
            fann_set_weight(ann, (unsigned)i, (unsigned)(6 + j), W1[j][i]);
        fann_set_weight(ann, 5, (unsigned)(6 + j), b1[j]);
        fann_set_weight(ann, (unsigned)(6 + j), 11, W2[j]);
    }
    fann_set_weight(ann, 10, 11, b2);
    return ann;
}

#endif
