/* base/mem.h - the allocator every module uses, with accounting.
 *
 * mem_alloc/mem_realloc/mem_free wrap malloc and keep a running total of
 * usable bytes (malloc_usable_size), which INFO memory reports as
 * used_memory and maxmemory will enforce. Allocation failure is fatal: the
 * process logs and aborts rather than continue with half-built state.
 * The counter is a plain global: polis allocates on the event-loop thread;
 * threads that allocate (the WAL I/O thread) use their own plain malloc. */
#ifndef POLIS_BASE_MEM_H
#define POLIS_BASE_MEM_H

#include <stddef.h>
#include <stdint.h>

void *mem_alloc(size_t bytes);
void *mem_calloc(size_t count, size_t bytes);
void *mem_realloc(void *p, size_t bytes);
void mem_free(void *p);
char *mem_strndup(const char *s, size_t len); /* NUL-terminated copy */
size_t mem_usable(const void *p);
size_t mem_used_bytes(void);
/* Number of allocations made so far (mem_alloc, mem_calloc, and reallocs
 * of NULL), for benchmarks that report allocations per operation. */
uint64_t mem_alloc_count(void);

#endif
