/* plot.c - `mlp train --plot FILE.svg`: learning curves drawn as SVG by hand, so plotting needs
 * no library. One panel for the loss, one for the accuracy when the model classifies; train in
 * blue, test in orange, one point per epoch. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>

#define PW 440 /* panel size */
#define PH 300
#define ML 60 /* margins inside a panel: left, right, top, bottom */
#define MR 20
#define MT 48
#define MB 44

struct axis {
    double lo, hi, step;
};

/* A range covering [lo, hi] with 4 to 10 ticks at 1, 2 or 5 times a power of ten. */
static struct axis nice_axis(double lo, double hi)
{
    if (!(hi > lo)) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), step = mag;
    for (int i = 0; i < 3 && (hi - lo) / step > 10; i++)
        step = mag * (i == 0 ? 2 : i == 1 ? 5 : 10);
    return (struct axis){floor(lo / step) * step, ceil(hi / step) * step, step};
}

/* Value i of a series: 0 train loss, 1 test loss, 2 train accuracy, 3 test accuracy. */
static double value(const mlp_epoch_stats *s, int series)
{
    double v[4] = {s->train_loss, s->test_loss, 100 * s->train_acc, 100 * s->test_acc};
    return v[series];
}

static void series_range(const mlp_epoch_stats *st, int n, int first, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int k = first; k < first + 2; k++) {
            double v = value(&st[i], k);
            if (isfinite(v)) {
                *lo = fmin(*lo, v);
                *hi = fmax(*hi, v);
            }
        }
}

static double px(int epoch, int n) { return ML + (n > 1 ? (epoch - 1.0) / (n - 1) : 0.5) * (PW - ML - MR); }
static double py(double v, struct axis a) { return MT + (a.hi - v) / (a.hi - a.lo) * (PH - MT - MB); }

static void axes(FILE *f, const char *title, const char *ylabel, struct axis a, int n)
{
    fprintf(f, "<text x=\"%d\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">%s</text>\n",
            (ML + PW - MR) / 2, title);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
            ML, MT, PW - ML - MR, PH - MT - MB);
    /* Tick labels show as many decimals as the step needs: 0.1 steps give 0.3, not 0.30000000000000004. */
    int decimals = a.step >= 1 ? 0 : (int)ceil(-log10(a.step) - 1e-9);
    for (int k = 0; a.lo + k * a.step <= a.hi + a.step / 2; k++) {
        double v = a.lo + k * a.step, y = py(v, a);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n", ML, y,
                PW - MR, y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n", ML - 6, y + 4,
                decimals, fabs(v) < a.step * 1e-9 ? 0.0 : v);
    }
    int every = n > 10 ? (n + 9) / 10 : 1;
    for (int e = 1; e <= n; e += every)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", px(e, n),
                PH - MB + 16, e);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", (ML + PW - MR) / 2,
            PH - 8);
    fprintf(f, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
            (MT + PH - MB) / 2, ylabel);
}

static void curve(FILE *f, const mlp_epoch_stats *st, int n, int series, struct axis a,
                  const char *color, const char *label, int legend_row)
{
    bool any = false;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (int i = 0; i < n; i++)
        if (isfinite(value(&st[i], series))) {
            fprintf(f, "%s%.1f,%.1f", any ? " " : "", px(st[i].epoch, n), py(value(&st[i], series), a));
            any = true;
        }
    fputs("\"/>\n", f);
    for (int i = 0; i < n; i++)
        if (isfinite(value(&st[i], series)))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(st[i].epoch, n),
                    py(value(&st[i], series), a), color);
    if (!any)
        return;
    /* The legend sits above the plot, where no curve can hide it. */
    int x = PW - MR - 130 + 66 * legend_row, y = MT - 10;
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
               "<text x=\"%d\" y=\"%d\">%s</text>\n", x, y - 4, x + 18, y - 4, color, x + 24, y,
            label);
}

static void panel(FILE *f, const mlp_epoch_stats *st, int n, int first, int x0)
{
    double lo, hi;
    series_range(st, n, first, &lo, &hi);
    if (first == 0 && lo >= 0)
        lo = 0; /* losses are read against zero */
    struct axis a = nice_axis(lo, hi);
    fprintf(f, "<g transform=\"translate(%d,0)\">\n", x0);
    axes(f, first ? "accuracy" : "loss", first ? "accuracy (%)" : "mean loss per sample", a, n);
    curve(f, st, n, first, a, "#1f77b4", "train", 0);
    curve(f, st, n, first + 1, a, "#ff7f0e", "test", 1);
    fputs("</g>\n", f);
}

int cli_plot_svg(const char *path, const mlp_epoch_stats *st, int n, mlp_error *err)
{
    mlp_outfile *o = mlp_outfile_open(path, err);
    if (!o)
        return MLP_ERR_IO;
    FILE *f = mlp_outfile_stream(o);
    double lo, hi;
    series_range(st, n, 2, &lo, &hi);
    int panels = isfinite(lo) ? 2 : 1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            PW * panels, PH, PW * panels, PH);
    panel(f, st, n, 0, 0);
    if (panels == 2)
        panel(f, st, n, 2, PW);
    fputs("</svg>\n", f);
    return mlp_outfile_commit(o, err);
}
