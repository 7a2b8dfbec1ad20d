#include "base/mem.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t used_bytes;
static uint64_t alloc_count;

static void *oom(size_t bytes)
{
    fprintf(stderr, "polis: out of memory allocating %zu bytes\n", bytes);
    abort();
}

void *mem_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (p == NULL) return oom(bytes);
    used_bytes += malloc_usable_size(p);
    alloc_count++;
    return p;
}

void *mem_calloc(size_t count, size_t bytes)
{
    void *p = calloc(count ? count : 1, bytes ? bytes : 1);
    if (p == NULL) return oom(count * bytes);
    used_bytes += malloc_usable_size(p);
    alloc_count++;
    return p;
}

void *mem_realloc(void *p, size_t bytes)
{
    if (p == NULL) return mem_alloc(bytes);
    size_t old = malloc_usable_size(p);
    void *q = realloc(p, bytes ? bytes : 1);
    if (q == NULL) return oom(bytes);
    used_bytes = used_bytes - old + malloc_usable_size(q);
    return q;
}

void mem_free(void *p)
{
    if (p == NULL) return;
    used_bytes -= malloc_usable_size(p);
    free(p);
}

char *mem_strndup(const char *s, size_t len)
{
    char *p = mem_alloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

size_t mem_usable(const void *p)
{
    return p ? malloc_usable_size((void *)(uintptr_t)p) : 0;
}

size_t mem_used_bytes(void)
{
    return used_bytes;
}

uint64_t mem_alloc_count(void)
{
    return alloc_count;
}
