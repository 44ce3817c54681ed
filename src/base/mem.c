/* mem.c - allocation helpers that fail loudly (see mem.h for when each kind is used). */
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "mlp: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *mlp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *mlp_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *mlp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *mlp_xstrndup(const char *s, size_t n)
{
    char *d = mlp_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *mlp_xstrdup(const char *s) { return mlp_xstrndup(s, strlen(s)); }

void mlp_xreserve(void *array_ptr, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return;
    int ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void **a = array_ptr;
    *a = mlp_xrealloc(*a, (size_t)ncap * size);
    *cap = ncap;
}

char *mlp_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!buf)
        return NULL;
    if (bad) {
        free(buf);
        errno = bad;
        return NULL;
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

size_t mlp_physical_memory(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && (size_t)pages <= SIZE_MAX / (size_t)page)
        return (size_t)pages * (size_t)page;
#endif
    return SIZE_MAX;
}
