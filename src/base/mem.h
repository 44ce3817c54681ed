/* mem.h - allocation helpers.
 *
 * Small bookkeeping structures (nodes, names, token lists) use mlp_xmalloc and friends, which end
 * the process with a message if memory is exhausted: these allocations are bounded by the size of
 * a model's text, and threading a status through every one would bury the logic. Allocations whose
 * size comes from the data (tensor values, batches, data sets) use plain malloc and report
 * MLP_ERR_NOMEM, since a hostile file can ask for any size.
 */
#ifndef MLP_BASE_MEM_H
#define MLP_BASE_MEM_H

#include <stddef.h>

void *mlp_xmalloc(size_t n);
void *mlp_xcalloc(size_t count, size_t size);
void *mlp_xrealloc(void *p, size_t n);
char *mlp_xstrdup(const char *s);
char *mlp_xstrndup(const char *s, size_t n);

/* Grow *array (of elements of `size` bytes) so it holds at least `need` elements. */
void mlp_xreserve(void *array_ptr, int *cap, int need, size_t size);

/* Ask for large pages under a large array just allocated and not yet written (Linux's
 * transparent huge pages in "madvise" mode; elsewhere nothing): a training epoch reads a data
 * set's rows in random order, and with 4 KiB pages nearly every row is a TLB miss (random
 * 3 KiB rows of a 188 MB array are copied ~25% faster). Arrays under 4 MiB are left alone. */
void mlp_advise_huge_pages(void *p, size_t bytes);

/* Largest file a reader takes whole into memory (.npy, .safetensors): 1 TiB, beyond any real
 * weights file, while a size read from a corrupt header stays far from overflowing size_t and
 * int64 products. */
#define MLP_MAX_FILE_BYTES ((size_t)1 << 40)
/* Largest count of rows, samples, dimensions or indices read from a file or a model: 2^30 fits an
 * int with room to add one, and the product of two such counts fits int64. */
#define MLP_MAX_COUNT (1 << 30)

/* Bytes of physical memory, or SIZE_MAX where the system does not say: allocations sized by
 * data are refused beyond it rather than attempted (with overcommit they would succeed, and the
 * process be killed while touching the memory). */
size_t mlp_physical_memory(void);
/* The bytes one allocation may take: the environment's MLP_MAX_MEMORY (bytes; `--max-memory`
 * sets it), else what the kernel says is available now (MemAvailable), else physical memory.
 * Checked before large allocations: with overcommit, one larger than this would succeed and the
 * process be killed while touching it, or the machine thrash. */
size_t mlp_memory_budget(void);

/* Text inputs (models, CSV files) are read whole; this bounds them. */
#define MLP_TEXT_LIMIT ((size_t)1 << 30)
/* The limit now: MLP_TEXT_LIMIT, or a quarter of mlp_memory_budget() if less. */
size_t mlp_text_limit(void);
/* Read a whole file into a NUL-terminated buffer; NULL on failure (errno set: EFBIG beyond
 * mlp_text_limit). */
char *mlp_read_file(const char *path, size_t *len);
/* The same for a text format: reading stops after the block holding the first NUL byte, which
 * the format's parser then refuses (so /dev/zero is an error at once). */
char *mlp_read_text(const char *path, size_t *len);
/* strerror for mlp_read_file's errno, with the limit spelled out for EFBIG. */
const char *mlp_read_error(int e, char buf[128]);

#endif
