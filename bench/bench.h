/* bench.h - timing helpers shared by mlp-bench's cases.
 *
 * Times are per call. time_calls: a warm-up, then TRIALS trials of as many calls as fill
 * MLP_BENCH_SECONDS (default 0.1 s). time_alternating: several contenders measured in turns,
 * round after round, so a change in the machine's load hits all of them alike; each gets the
 * median over the rounds. */
#ifndef MLP_BENCH_H
#define MLP_BENCH_H

#define TRIALS 5

struct timing {
    double best, median; /* seconds per call */
};

double bench_now(void);
double bench_trial_seconds(void);
struct timing time_calls(void (*fn)(void *), void *arg);
/* n contenders fn[i](arg[i]), ROUNDS rounds of about trial seconds each, in turns. */
#define ROUNDS 7
void time_alternating(int n, void (*const *fn)(void *), void *const *arg, struct timing *out);

int bench_single(int argc, char **argv);   /* bench_small.c */
int bench_residual(int argc, char **argv); /* bench_small.c */
int bench_eval(int argc, char **argv);     /* bench_data.c */
int bench_epoch(int argc, char **argv);    /* bench_data.c */

#endif
