/* test_draw.c - the computation graph as DOT and Mermaid: seed problem 4's nodes and edges,
 * byte-identical output, values and adjoints equal to what a session computes, the adjoint
 * graph, errors. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#define RES "examples/seed/residual.mlp"

static char *draw(const char *path, mlp_draw_format f, int grad, int nin, const char *const *names,
                  const double *const *values, mlp_error *err)
{
    mlp_model *m = mlp_model_load(path, err);
    if (!m)
        return NULL;
    mlp_draw_options o = {.format = f, .grad = grad, .ninputs = nin, .input_names = names,
                          .input_values = values};
    char *text = mlp_draw(m, &o, err);
    mlp_model_free(m);
    return text;
}

/* Seed problem 4, part 1: x, z, h, y, S, R, L with the ops between them. */
TEST(draw_seed4_graph)
{
    char *t = draw(RES, MLP_DRAW_DOT, 0, 0, NULL, NULL, NULL);
    CHECK(t);
    CHECK(!strncmp(t, "digraph model {\n  rankdir=LR;\n", 30));
    const char *lines[] = {
        "  n0 [label=\"x [3]\", shape=ellipse, style=filled, fillcolor=\"#dbeafe\"];\n",
        "  n1 [label=\"W1 [2,3]\", shape=box, style=\"filled,rounded\", fillcolor=\"#fef3c7\"];\n",
        "  n5 [label=\"r [2]\", shape=box, style=\"filled,dashed\", fillcolor=\"#f3f4f6\"];\n",
        "  n7 [label=\"a @ b\", shape=circle, fontsize=11];\n",
        "  n8 [label=\"z\\n+\", shape=ellipse, style=filled, fillcolor=\"#dcfce7\"];\n",
        "  n9 [label=\"h\\nσ\",",
        "  n12 [label=\"y\\n+\", shape=ellipse, style=filled, fillcolor=\"#dcfce7\", peripheries=2];\n",
        "  n16 [label=\"S\\n·\",", "  n17 [label=\"R\\ndot\",", "  n18 [label=\"L\\n+\",",
        "  n1 -> n7 [label=\"a\"];\n  n0 -> n7 [label=\"b\"];\n", /* W1 @ x: W1 is a */
        "  n12 -> n14 [label=\"a\"];\n  n6 -> n14 [label=\"b\"];\n", /* y − s */
        "  n16 -> n18;\n  n17 -> n18;\n}\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        CHECK_MSG(strstr(t, lines[i]), "missing: %s\nin:\n%s", lines[i], t);
    /* Nineteen nodes, twenty edges, and nothing else. */
    int nodes = 0, edges = 0;
    for (const char *p = t; (p = strstr(p, "\n  n")); p++)
        if (p[4] >= '0' && p[4] <= '9')
            strncmp(strchr(p + 3, ' '), " -> ", 4) ? nodes++ : edges++;
    CHECK_MSG(nodes == 19 && edges == 20, "%d nodes, %d edges", nodes, edges);
    char *again = draw(RES, MLP_DRAW_DOT, 0, 0, NULL, NULL, NULL);
    CHECK_STR(again, t); /* the same model gives the same bytes */
    free(again);
    free(t);
}

TEST(draw_mermaid)
{
    char *t = draw(RES, MLP_DRAW_MERMAID, 0, 0, NULL, NULL, NULL);
    CHECK(t);
    CHECK(!strncmp(t, "graph LR\n  n0([\"x [3]\"]):::input\n", 32));
    CHECK(strstr(t, "  n1[\"W1 [2,3]\"]:::param\n"));
    CHECK(strstr(t, "  n5[/\"r [2]\"/]:::const\n"));
    CHECK(strstr(t, "  n7((\"a @ b\")):::op\n"));
    CHECK(strstr(t, "  n8(\"z<br/>+\"):::value\n"));
    CHECK(strstr(t, "  n1 -->|a| n7\n  n0 -->|b| n7\n"));
    CHECK(strstr(t, "  classDef input fill:#dbeafe,stroke:#1e40af\n"));
    free(t);
}

/* With values and --grad, each node shows its value and dL/dnode: the same numbers a session
 * computes (printed %.4g). */
TEST(draw_values_and_adjoints)
{
    const double x[] = {1, 2, 3}, s[] = {0, 1, 0};
    const char *names[] = {"x", "s"};
    const double *values[] = {x, s};
    char *t = draw(RES, MLP_DRAW_DOT, 1, 2, names, values, NULL);
    CHECK(t);
    mlp_model *m = mlp_model_load(RES, NULL);
    const char *wrt[] = {"x", "W1"};
    mlp_session *se = mlp_session_new(m, wrt, 2, MLP_F64, 1, NULL);
    CHECK(se && !mlp_session_set(se, "x", x, 1, NULL) && !mlp_session_set(se, "s", s, 1, NULL));
    CHECK(!mlp_session_run(se, NULL));
    double y[3], gx[3], L;
    mlp_session_get(se, "y", y, NULL);
    mlp_session_get(se, "L", &L, NULL);
    mlp_session_grad(se, "x", gx, NULL);
    char want[256];
    snprintf(want, sizeof want, "y\\n+\\n= [%.4g, %.4g, %.4g]", y[0], y[1], y[2]);
    CHECK_MSG(strstr(t, want), "missing %s", want);
    snprintf(want, sizeof want, "x [3]\\n= [1, 2, 3]\\n∂L = [%.4g, %.4g, %.4g]", gx[0], gx[1], gx[2]);
    CHECK_MSG(strstr(t, want), "missing %s", want);
    snprintf(want, sizeof want, "L\\n+\\n= %.4g\\n∂L = 1\"", L);
    CHECK_MSG(strstr(t, want), "missing %s", want);
    CHECK(strstr(t, "n7 [label=\"a @ b\\n= [0.6, -0.4]\\n∂L = [0.1922, 0.2265]\", shape=ellipse"));
    mlp_session_free(se);
    mlp_model_free(m);
    free(t);
}

/* --grad without values: the adjoint graph, in its own cluster, adjoints named x̄. */
TEST(draw_adjoint_graph)
{
    char *t = draw(RES, MLP_DRAW_DOT, 1, 0, NULL, NULL, NULL);
    CHECK(t);
    CHECK(strstr(t, "  subgraph cluster_forward {\n  label=\"forward\";\n"));
    CHECK(strstr(t, "  subgraph cluster_backward {\n  label=\"backward\"; color=\"#dc2626\";"));
    CHECK(strstr(t, "[label=\"x\xcc\x84\\n+\", shape=ellipse, style=filled, fillcolor=\"#fee2e2\""));
    CHECK(strstr(t, "[label=\"h\xcc\x84\\n+\""));
    CHECK(strstr(t, "[label=\"a − b\\n= y\xcc\x84\"")); /* y − s is ȳ itself */
    CHECK(strstr(t, "color=\"#dc2626\", style=dashed];\n"));
    char *m = draw(RES, MLP_DRAW_MERMAID, 1, 0, NULL, NULL, NULL);
    CHECK(m && strstr(m, "  subgraph backward\n") && strstr(m, " -.-> "));
    free(m);
    free(t);
}

TEST(draw_errors)
{
    const double x[] = {1, 2, 3};
    const char *names[] = {"x", "q"};
    const double *values[] = {x, x};
    mlp_error err = {0};
    CHECK(!draw(RES, MLP_DRAW_DOT, 0, 1, names, values, &err));
    CHECK_STR(err.message, "input 's' has no value (drawing values needs every input)");
    mlp_error_clear(&err);
    const char *bad[] = {"x", "s", "q"};
    const double *v3[] = {x, x, x};
    CHECK(!draw(RES, MLP_DRAW_DOT, 0, 3, bad, v3, &err));
    CHECK_STR(err.message, "'q' is not an input of the model");
    mlp_error_clear(&err);
    CHECK(!draw("examples/seed/descending.mlp", MLP_DRAW_DOT, 1, 0, NULL, NULL, &err));
    CHECK(strstr(err.message, "has no loss statement"));
    /* Without --grad a model without a loss draws fine. */
    char *t = draw("examples/seed/descending.mlp", MLP_DRAW_DOT, 0, 0, NULL, NULL, NULL);
    CHECK(t && strstr(t, "[label=\"h\\nstep\""));
    free(t);
}
