/* c_q8.c - an int8-quantised model as standalone C99 (mlp_export_c_int8).
 *
 * The kernels are written into the file from q8_kernels.h as strings of the same tokens the
 * library's reference compiles, laid out one statement per line; the arrays are the
 * quantised network (q8.h); NAME_predict_q calls the kernels layer by layer exactly as
 * mlp_quantized_run_q does, and NAME_predict wraps it as mlp_quantized_run does.
 */
#include "export/export.h"
#include "export/q8.h"
#include "export/q8_kernels.h"
#include "base/fexp.h"
#include "base/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void print_i8(mlp_strbuf *sb, const int8_t *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        mlp_sb_printf(sb, "%s%d,", i % 16 ? " " : "\n    ", v[i]);
}

static void print_i32(mlp_strbuf *sb, const int32_t *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        mlp_sb_printf(sb, "%s%ld,", i % 8 ? " " : "\n    ", (long)v[i]);
}

static const char *act_name(enum mlp_op op) { return mlp_op_name(op); }

static void print_layer_arrays(mlp_strbuf *sb, const char *n, int i, const struct q8_layer *l)
{
    mlp_sb_printf(sb, "/* layer %d (line %d): %s(W @ h + b), %d -> %d */\n", i, l->line,
                  act_name(l->act), (int)l->n_in, (int)l->n_out);
    mlp_sb_printf(sb, "static const int8_t %s_w%d[%ld] = {", n, i, (long)l->n_in * l->n_out);
    print_i8(sb, l->w, (int64_t)l->n_in * l->n_out);
    mlp_sb_printf(sb, "\n};\nstatic const int32_t %s_b%d[%ld] = {", n, i, (long)l->n_out);
    print_i32(sb, l->bias, l->n_out);
    mlp_sb_printf(sb, "\n};\nstatic const int32_t %s_m%d[%ld] = {", n, i, (long)l->n_out);
    print_i32(sb, l->mult, l->n_out);
    mlp_sb_printf(sb, "\n};\nstatic const int32_t %s_s%d[%ld] = {", n, i, (long)l->n_out);
    print_i32(sb, l->shift, l->n_out);
    mlp_sb_puts(sb, "\n};\n");
    if (l->lut) {
        mlp_sb_printf(sb, "static const int8_t %s_t%d[256] = {", n, i);
        print_i8(sb, l->lut, 256);
        mlp_sb_puts(sb, "\n};\n");
    }
    mlp_sb_puts(sb, "\n");
}

/* NAME_predict_q: the layers, ping-ponging between two stack buffers (as the reference). */
static void print_core(mlp_strbuf *sb, const char *n, const mlp_quantized *q)
{
    mlp_sb_printf(sb, "void %s_predict_q(const int8_t *input, int8_t *output)\n{\n", n);
    mlp_sb_printf(sb, "    int16_t xw[%ld];\n", (long)(q->n_in > q->width ? q->n_in : q->width));
    if (q->nlayers >= 2)
        mlp_sb_printf(sb, "    int8_t a[%ld];\n", (long)q->width);
    if (q->nlayers >= 3)
        mlp_sb_printf(sb, "    int8_t b[%ld];\n", (long)q->width);
    for (int i = 0; i < q->nlayers; i++) {
        const struct q8_layer *l = &q->layers[i];
        const char *x = i == 0 ? "input" : (i - 1) % 2 ? "b" : "a";
        const char *y = i == q->nlayers - 1 ? "output" : i % 2 ? "b" : "a";
        mlp_sb_printf(sb, "    q8_dense(%s, %s, %s_w%d, %s_b%d, %s_m%d, %s_s%d, %ld, %ld, %ld, %ld, %ld, xw);\n",
                      x, y, n, i, n, i, n, i, n, i, (long)l->n_in, (long)l->n_out, (long)l->zp_out,
                      (long)l->lo, (long)l->hi);
        if (l->lut)
            mlp_sb_printf(sb, "    q8_lut(%s, %s_t%d, %ld);\n", y, n, i, (long)l->n_out);
    }
    mlp_sb_puts(sb, "}\n\n");
}

static void print_wrapper(mlp_strbuf *sb, const char *n, const char *u, const mlp_quantized *q)
{
    char inv[40], scale[40];
    mlp_c_float(q->in_inv_scale, inv);
    mlp_c_float(q->out_scale, scale);
    mlp_sb_printf(sb, "#ifndef %s_INTEGER_ONLY\n\n", u);
    mlp_c_print_kernel(sb, MLP_Q8_QUANTIZE(MLP_Q8_STRING));
    mlp_c_print_kernel(sb, MLP_Q8_DEQUANTIZE(MLP_Q8_STRING));
    if (q->final != Q8_FINAL_NONE)
        mlp_c_print_kernel(sb, MLP_FEXP_CORE_CODE(MLP_FEXP_STRING));
    if (q->final == Q8_FINAL_SOFTMAX) {
        mlp_c_print_kernel(sb, MLP_FEXP_CODE(MLP_FEXP_STRING));
        mlp_c_print_kernel(sb, MLP_FSOFTMAX_CODE(MLP_FEXP_STRING));
    }
    if (q->final == Q8_FINAL_SIGMOID) {
        mlp_c_print_kernel(sb, MLP_FSIGMOID_CODE(MLP_FEXP_STRING));
        mlp_c_print_kernel(sb, MLP_Q8_SIGMOID(MLP_Q8_STRING));
    }
    if (q->final == Q8_FINAL_TANH) {
        mlp_c_print_kernel(sb, MLP_FTANH_CODE(MLP_FEXP_STRING));
        mlp_c_print_kernel(sb, MLP_Q8_TANH(MLP_Q8_STRING));
    }
    if (q->final == Q8_FINAL_SOFTMAX)
        mlp_c_print_kernel(sb, MLP_Q8_SOFTMAX(MLP_Q8_STRING));
    mlp_sb_printf(sb, "void %s_predict(const float *input, float *output)\n{\n"
                      "    int8_t qi[%ld], qo[%ld];\n", n, (long)q->n_in, (long)q->n_out);
    mlp_sb_printf(sb, "    q8_quantize(input, qi, %ld, %s, %ld);\n", (long)q->n_in, inv, (long)q->in_zp);
    mlp_sb_printf(sb, "    %s_predict_q(qi, qo);\n", n);
    mlp_sb_printf(sb, "    q8_dequantize(qo, output, %ld, %s, %ld);\n", (long)q->n_out, scale, (long)q->out_zp);
    static const char *const finals[] = {NULL, "q8_sigmoid", "q8_tanh", "q8_softmax"};
    if (finals[q->final])
        mlp_sb_printf(sb, "    %s(output, %ld);\n", finals[q->final], (long)q->n_out);
    mlp_sb_printf(sb, "}\n\n#endif /* %s_INTEGER_ONLY */\n", u);
}

static const char *final_name(enum q8_final f)
{
    return f == Q8_FINAL_SIGMOID ? "sigmoid" : f == Q8_FINAL_TANH ? "tanh" : f == Q8_FINAL_SOFTMAX ? "softmax" : NULL;
}

static void print_comment(mlp_strbuf *sb, const char *n, const char *u, const mlp_quantized *q)
{
    int64_t bytes = 0;
    for (int i = 0; i < q->nlayers; i++)
        bytes += (int64_t)q->layers[i].n_in * q->layers[i].n_out + 12 * q->layers[i].n_out +
                 (q->layers[i].lut ? 256 : 0);
    mlp_sb_printf(sb, "/* %s as standalone C99, int8-quantised, generated by mlp %s.\n *\n",
                  q->file ? q->file : "model", MLP_VERSION);
    mlp_sb_printf(sb, " * %s_predict_q uses integer arithmetic only (int8 weights and activations, int32\n"
                      " * accumulators, 64-bit products for requantisation); it needs no library at all,\n"
                      " * %lld bytes of constant data and %ld bytes of stack. Define %s_INTEGER_ONLY to\n"
                      " * compile just that (e.g. with -mgeneral-regs-only, or -mfloat-abi=soft on a\n"
                      " * Cortex-M0, pulling in no float routine).\n", n, (long long)bytes,
                  (long)(q->nlayers >= 3 ? 2 : q->nlayers >= 2 ? 1 : 0) * q->width +
                      2L * (q->n_in > q->width ? q->n_in : q->width), u);
    mlp_sb_printf(sb, " * %s_predict wraps it for floats: input q = round(x / %s_INPUT_SCALE) +\n"
                      " * %s_INPUT_ZERO_POINT, output x = (q - %s_OUTPUT_ZERO_POINT) * %s_OUTPUT_SCALE%s%s;\n"
                      " * library calls: none (sigmoid, tanh and exp are mlp's own, src/base/fexp.h).\n *\n",
                  n, u, u, u, u, final_name(q->final) ? ", then " : "",
                  final_name(q->final) ? final_name(q->final) : "");
    mlp_sb_printf(sb, " * Input:  input[0 .. %ld]  %s[%ld]\n * Output: output[0 .. %ld]  %s[%ld]\n */\n",
                  (long)q->n_in - 1, q->input_name ? q->input_name : "x", (long)q->n_in,
                  (long)q->n_out - 1, q->output_name ? q->output_name : "y", (long)q->n_out);
}

static char *header_text(const char *n, const char *u, const mlp_quantized *q)
{
    mlp_strbuf sb = {0};
    char buf[40];
    print_comment(&sb, n, u, q);
    mlp_sb_printf(&sb, "#ifndef %s_MLP_H\n#define %s_MLP_H\n\n#include <stdint.h>\n\n"
                       "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", u, u);
    mlp_sb_printf(&sb, "#define %s_INPUT_SIZE %ld\n#define %s_OUTPUT_SIZE %ld\n", u, (long)q->n_in, u,
                  (long)q->n_out);
    mlp_c_float(q->in_scale, buf);
    mlp_sb_printf(&sb, "#define %s_INPUT_SCALE %s\n#define %s_INPUT_ZERO_POINT %ld\n", u, buf, u, (long)q->in_zp);
    mlp_c_float(q->out_scale, buf);
    mlp_sb_printf(&sb, "#define %s_OUTPUT_SCALE %s\n#define %s_OUTPUT_ZERO_POINT %ld\n\n", u, buf, u,
                  (long)q->out_zp);
    mlp_sb_printf(&sb, "/* The int8 outputs at int8 input (integer arithmetic only; reentrant). */\n"
                       "void %s_predict_q(const int8_t *input, int8_t *output);\n\n", n);
    mlp_sb_printf(&sb, "#ifndef %s_INTEGER_ONLY\n/* The float outputs at float input: quantise, "
                       "%s_predict_q, dequantise (reentrant). */\n"
                       "void %s_predict(const float *input, float *output);\n#endif\n\n", u, n, n);
    mlp_sb_puts(&sb, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    return mlp_sb_take(&sb);
}

static char *source_text(const char *n, const char *u, const mlp_quantized *q)
{
    mlp_strbuf sb = {0};
    bool lut = false;
    for (int i = 0; i < q->nlayers; i++)
        lut |= q->layers[i].lut != NULL;
    print_comment(&sb, n, u, q);
    mlp_sb_printf(&sb, "#include \"%s.h\"\n\n#ifndef %s_INTEGER_ONLY\n#include <math.h>\n#endif\n\n", n, u);
    mlp_sb_puts(&sb, "/* The kernels of mlp's integer reference (src/export/q8_kernels.h), token for token. */\n");
    mlp_c_print_kernel(&sb, MLP_Q8_ROUND_SHIFT(MLP_Q8_STRING));
    mlp_c_print_kernel(&sb, MLP_Q8_DENSE(MLP_Q8_STRING));
    if (lut)
        mlp_c_print_kernel(&sb, MLP_Q8_LUT(MLP_Q8_STRING));
    for (int i = 0; i < q->nlayers; i++)
        print_layer_arrays(&sb, n, i, &q->layers[i]);
    print_core(&sb, n, q);
    print_wrapper(&sb, n, u, q);
    return mlp_sb_take(&sb);
}

int mlp_export_c_int8(const mlp_quantized *q, const char *name, char **header, char **source,
                      mlp_error *err)
{
    char n[MLP_C_NAME_MAX + 1], u[MLP_C_NAME_MAX + 1];
    *header = *source = NULL;
    if (mlp_c_identifier(name, n, err))
        return MLP_ERR_INPUT;
    int64_t total = 0;
    for (int i = 0; i < q->nlayers; i++)
        total += (int64_t)q->layers[i].n_in * q->layers[i].n_out;
    if (total > 4 * MLP_EXPORT_C_MAX_VALUES)
        return mlp_fail(err, MLP_ERR_UNSUPPORTED, q->file, MLP_NOLOC,
                        "cannot export to C: %lld int8 weights, more than the %lld (16 MiB) the C "
                        "export accepts", (long long)total, (long long)(4 * MLP_EXPORT_C_MAX_VALUES));
    size_t i = 0;
    for (; n[i]; i++)
        u[i] = (char)toupper((unsigned char)n[i]);
    u[i] = 0;
    *header = header_text(n, u, q);
    *source = source_text(n, u, q);
    return MLP_OK;
}
