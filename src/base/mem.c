/* mem.c - allocation helpers that fail loudly (see mem.h for when each kind is used). */
#include "base/mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

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

size_t mlp_text_limit(void)
{
    size_t quarter = mlp_memory_budget() / 4;
    return quarter < MLP_TEXT_LIMIT ? quarter : MLP_TEXT_LIMIT;
}

static char *read_file(const char *path, bool text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, limit = mlp_text_limit();
    char *buf = malloc(cap);
    int bad = 0;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        /* Text inputs never hold a NUL byte (their parsers refuse one where it is): reading
         * stops at the first, so /dev/zero is an error at once, not a machine out of memory. */
        bool nul = text && memchr(buf + n, 0, got) != NULL;
        n += got;
        if (n < cap - 1 || nul)
            break;
        if (n > limit) { /* an endless pipe is an error before it is a problem */
            bad = EFBIG;
            break;
        }
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
    if (!bad && ferror(f))
        bad = errno ? errno : EIO;
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

char *mlp_read_file(const char *path, size_t *len) { return read_file(path, false, len); }
char *mlp_read_text(const char *path, size_t *len) { return read_file(path, true, len); }

const char *mlp_read_error(int e, char buf[128])
{
    if (e != EFBIG)
        return strerror(e);
    snprintf(buf, 128, "larger than %zu bytes, the limit for a text input (1 GiB, and a quarter "
             "of the memory available; see --max-memory)", mlp_text_limit());
    return buf;
}

/* MemAvailable from /proc/meminfo (the kernel's estimate of what can be allocated without
 * swapping), or 0 when it cannot be read. */
static size_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return kb > 0 && kb <= SIZE_MAX / 1024 ? (size_t)kb * 1024 : 0;
}

size_t mlp_memory_budget(void)
{
    const char *limit = getenv("MLP_MAX_MEMORY");
    if (limit && *limit) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(limit, &end, 10);
        if (!*end && !errno && v > 0 && v <= SIZE_MAX)
            return (size_t)v;
    }
    size_t avail = mem_available();
    return avail ? avail : mlp_physical_memory();
}

void mlp_advise_huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t page = 4096;
    uintptr_t lo = ((uintptr_t)p + page - 1) / page * page, hi = ((uintptr_t)p + bytes) / page * page;
    if (p && bytes >= ((size_t)4 << 20) && hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#else
    (void)p, (void)bytes;
#endif
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
