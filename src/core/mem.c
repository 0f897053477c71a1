/** @file
 * Aligned allocation with an allocation counter (tests assert steady-state zero).
 */
#include "mem.h"

#include <stdatomic.h>
#include <string.h>

#include "panim.h"

static atomic_uint_fast64_t g_allocs;

void *pa_malloc(size_t size)
{
    size_t total;
    if (pa_size_add(size, PA_EXTRA_BYTES + PA_ALIGN - 1, &total) < 0)
        return NULL;
    total -= total % PA_ALIGN;
    atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed);
    return aligned_alloc(PA_ALIGN, total);
}

void *pa_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (pa_size_mul(n, size, &bytes) < 0)
        return NULL;
    void *p = pa_malloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void *pa_realloc_array(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (pa_size_mul(n, size, &bytes) < 0)
        return NULL;
    atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed);
    return realloc(p, bytes ? bytes : 1);
}

void pa_free(void *p)
{
    free(p);
}

void pa_freep(void *pp)
{
    void **p = pp;
    free(*p);
    *p = NULL;
}

char *pa_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

uint64_t pa_mem_alloc_count(void)
{
    return atomic_load_explicit(&g_allocs, memory_order_relaxed);
}

int pa_size_mul(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return PA_EOVERFLOW;
    *out = a * b;
    return 0;
}

int pa_size_add(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return PA_EOVERFLOW;
    *out = a + b;
    return 0;
}
