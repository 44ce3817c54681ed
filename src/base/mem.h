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

/* Read a whole file into a NUL-terminated buffer; NULL on failure (errno set). */
char *mlp_read_file(const char *path, size_t *len);

#endif
