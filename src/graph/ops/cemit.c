/* cemit.c - the C lowerings every elementwise family shares: an expression written per element
 * (the entry's .expr), in the same C types as the kernel that the expression mirrors. */
#include "graph/ops/cemit.h"

void mlp_c_emit_unary(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n            float v = a[i];\n",
      (long long)mlp_c_size(cg, id));
    P("            y[i] = (float)(%s);\n        }\n", mlp_op_c(mlp_node(cg->g, id)->op)->c.expr);
    (void)low;
}

/* Either operand may be a scalar, spread over the other (as MLP_BINARY_FORWARD). */
void mlp_c_emit_binary(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    int64_t n = mlp_c_size(cg, id);
    bool a_all = mlp_c_size(cg, low->in[0]) == n, b_all = mlp_c_size(cg, low->in[1]) == n;
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)n);
    P("            float a_ = a[%s], b_ = b[%s];\n", a_all ? "i" : "0", b_all || !a_all ? "i" : "0");
    P("            y[i] = %s;\n        }\n", mlp_op_c(mlp_node(cg->g, id)->op)->c.expr);
}

/* An elementwise op of any arity whose operands after the first may be scalars (as
 * MLP_NARY_FORWARD): the kernel's expression written as statements that never offer a
 * multiply-add to contract, with the same C types (float operands, double constants). */
void mlp_c_emit_nary(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    int64_t n = mlp_c_size(cg, id);
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)n);
    for (int j = 0; j < low->arity; j++)
        P("            float a%d = %c[%s];\n", j, "abcdef"[j], mlp_c_size(cg, low->in[j]) == n ? "i" : "0");
    P("            double r;\n            %s\n", mlp_op_c(mlp_node(cg->g, id)->op)->c.expr);
    P("            y[i] = (float)r;\n        }\n");
}
