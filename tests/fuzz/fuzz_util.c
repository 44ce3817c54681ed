/* fuzz_util.c - helpers shared by the fuzz harnesses. */
#include "fuzz.h"

#include <string.h>

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_ASSERT(s, "out of memory");
    if (size)
        memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Length of line `line` (1-based) of text, or -1 if the text has fewer lines. */
static long line_length(const char *text, size_t len, int line)
{
    size_t i = 0;
    for (int l = 1; l < line; l++) {
        while (i < len && text[i] != '\n')
            i++;
        if (i == len)
            return -1;
        i++;
    }
    size_t start = i;
    while (i < len && text[i] != '\n')
        i++;
    return (long)(i - start);
}

void fuzz_check_error(const mlp_error *err, const char *text, size_t len, const char *file)
{
    FUZZ_ASSERT(err->status == MLP_ERR_INPUT, "status %d: %s", err->status, err->message);
    FUZZ_ASSERT(err->message[0] && !strchr(err->message, '\n'), "message '%s'", err->message);
    if (err->line == 0) { /* about the whole text: the message may name it instead */
        FUZZ_ASSERT(!err->file[0] || !strcmp(err->file, file), "file '%s'", err->file);
        FUZZ_ASSERT(err->col == 0, "column %d without a line", err->col);
        return;
    }
    FUZZ_ASSERT(!strcmp(err->file, file), "file '%s', expected '%s'", err->file, file);
    long n = line_length(text, len, err->line);
    FUZZ_ASSERT(err->line > 0 && n >= 0, "line %d outside the text: %s", err->line, err->message);
    FUZZ_ASSERT(err->col >= 1 && err->col <= n + 1, "column %d outside line %d (%ld bytes): %s",
                err->col, err->line, n, err->message);
}
