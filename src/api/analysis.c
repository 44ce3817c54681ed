/* analysis.c - the public analyses (draw, derive, zeros, convert, verify) on models; each runs
 * on the model's graph in src/analysis. */
#include "api/internal.h"
#include "analysis/analysis.h"

char *mlp_draw(const mlp_model *m, const mlp_draw_options *opt, mlp_error *err)
{
    return mlp_draw_graph(mlp_model_graph(m), opt, err);
}

char *mlp_derive(const mlp_model *m, const char *const *wrt, int nwrt, mlp_derive_format format,
                 mlp_error *err)
{
    return mlp_derive_graph(mlp_model_graph(m), wrt, nwrt, format, err);
}

int mlp_zeros(const mlp_model *m, const char *const *facts, int nfacts, const char *const *wrt,
              int nwrt, mlp_zero_result **out, int *n, mlp_error *err)
{
    return mlp_zeros_graph(mlp_model_graph(m), facts, nfacts, wrt, nwrt, out, n, err);
}

mlp_model *mlp_convert_activation(const mlp_model *m, const char *from, const char *to, int flags,
                                  char **report, mlp_error *err)
{
    mlp_graph *g = mlp_convert_activation_graph(mlp_model_graph(m), from, to, flags, report, err);
    return g ? mlp_model_from_graph(g) : NULL;
}

mlp_model *mlp_convert_fold(const mlp_model *m, char **report, mlp_error *err)
{
    mlp_graph *g = mlp_fold_graph(mlp_model_graph(m), report, err);
    return g ? mlp_model_from_graph(g) : NULL;
}

int mlp_verify(const mlp_model *m, const char *spec, const char *const *bounds, int nbounds,
               mlp_verify_result *out, mlp_error *err)
{
    return mlp_verify_with(m, spec, bounds, nbounds, NULL, out, err);
}

int mlp_verify_with(const mlp_model *m, const char *spec, const char *const *bounds,
                    int nbounds, const mlp_verify_options *opt, mlp_verify_result *out,
                    mlp_error *err)
{
    return mlp_verify_graph(mlp_model_graph(m), spec, bounds, nbounds, opt, false, out, err);
}
