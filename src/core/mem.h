/** @file
 * Allocation helpers: overflow-checked sizes, aligned buffers, freep, and a debug counter
 * so tests can assert "no allocation per frame" (pa_mem_alloc_count before/after a run).
 */
#ifndef PA_CORE_MEM_H
#define PA_CORE_MEM_H

#include "pa_common.h"

/** Alignment of every pa_malloc'ed block and of image rows (one cache line, AVX-512 wide). */
#define PA_ALIGN 64
/** Extra bytes after every buffer that may reach XNNPACK (its XNN_EXTRA_BYTES rule). */
#define PA_EXTRA_BYTES 16

void *pa_malloc(size_t size);              ///< PA_ALIGN-aligned, padded by PA_EXTRA_BYTES
void *pa_calloc(size_t n, size_t size);    ///< zeroed; NULL on overflow
void *pa_realloc_array(void *p, size_t n, size_t size); ///< plain realloc, overflow-checked
void pa_free(void *p);
/** Free *pp and set it to NULL (FFmpeg av_freep). pp is a pointer to a pointer. */
void pa_freep(void *pp);
char *pa_strdup(const char *s);

/** @return number of pa_malloc/pa_calloc/pa_realloc_array calls so far (all threads). */
uint64_t pa_mem_alloc_count(void);

/** *out = a * b; @return 0, or PA_EOVERFLOW (stb's mad3sizes_valid). */
int pa_size_mul(size_t a, size_t b, size_t *out);
/** *out = a + b; @return 0, or PA_EOVERFLOW. */
int pa_size_add(size_t a, size_t b, size_t *out);

#endif /* PA_CORE_MEM_H */
