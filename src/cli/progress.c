/* progress.c - the progress bar `mlp train` draws on a terminal (stderr), one epoch at a time. */
#include "cli/cli.h"

#include <time.h>

#define WIDTH 24 /* characters inside the brackets */

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(struct cli_progress *p)
{
    p->start = cli_now();
    p->drawn = 0;
}

/* "12.3k" for 12345: rates read at a glance. */
static void human(double v, char *buf, size_t size)
{
    if (v >= 1e6)
        snprintf(buf, size, "%.1fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, size, "%.1fk", v / 1e3);
    else
        snprintf(buf, size, "%.0f", v);
}

void cli_progress_update(struct cli_progress *p, int epoch, int epochs, int done, int total,
                         double loss)
{
    double t = cli_now();
    if (!p->out || (t - p->drawn < 0.1 && done < total))
        return;
    p->drawn = t;
    double elapsed = t - p->start, rate = elapsed > 0 ? done * (double)p->batch / elapsed : 0;
    int fill = (int)((double)WIDTH * done / total), eta = done ? (int)(elapsed * (total - done) / done + 0.5) : 0;
    char bar[WIDTH + 1], rbuf[32];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[WIDTH] = 0;
    human(rate, rbuf, sizeof rbuf);
    fprintf(p->out, "\repoch %d/%d [%s] %d/%d  loss %.3f  %s samples/s  eta %d:%02d\033[K", epoch,
            epochs, bar, done, total, loss, rbuf, eta / 60, eta % 60);
    fflush(p->out);
}

void cli_progress_clear(struct cli_progress *p)
{
    if (p->out) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
}
