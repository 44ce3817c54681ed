/* sniff.c - which format a model file is in, from its content. */
#include "io/import.h"

#include <ctype.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Every ONNX exporter writes ModelProto's field 1 first (ir_version, a varint: tag 0x08, a
 * small number), then another of its fields: a backspace byte, which no text starts with. */
static bool onnx_start(const unsigned char *d, size_t len)
{
    if (len < 3 || d[0] != 0x08 || d[1] == 0 || d[1] >= 0x80)
        return false;
    static const unsigned char next_tags[] = {0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72};
    return memchr(next_tags, d[2], sizeof next_tags) != NULL;
}

enum mlp_format mlp_sniff_format(const char *path, const unsigned char *data, size_t len)
{
    if (path && ends_with(path, ".onnx"))
        return MLP_FORMAT_ONNX;
    if (path && ends_with(path, ".nnet"))
        return MLP_FORMAT_NNET;
    if (onnx_start(data, len))
        return MLP_FORMAT_ONNX;
    size_t i = 0;
    while (i < len && isspace(data[i]))
        i++;
    if (i < len && (isdigit(data[i]) || (data[i] == '/' && i + 1 < len && data[i + 1] == '/')))
        return MLP_FORMAT_NNET;
    return MLP_FORMAT_MLP;
}
