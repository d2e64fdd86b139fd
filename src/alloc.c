/* alloc.c -- every allocation goes through the host or document allocator.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base.h"

void *pk__resize(const pk__allocator *a, void *p, size_t old_n, size_t new_n)
{
  if (a && a->fn)
    return a->fn(a->ud, p, old_n, new_n);
  if (new_n == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, new_n);
}

void *pk__alloc(const pk__allocator *a, size_t n)
{
  return pk__resize(a, NULL, 0, n ? n : 1);
}

void *pk__alloc_zero(const pk__allocator *a, size_t n)
{
  void *p = pk__alloc(a, n);
  if (p)
    memset(p, 0, n ? n : 1);
  return p;
}

void *pk__free(const pk__allocator *a, void *p, size_t n)
{
  if (p)
    pk__resize(a, p, n ? n : 1, 0);
  return NULL;
}

char *pk__strdup(const pk__allocator *a, const char *s)
{
  return pk__strndup(a, s, strlen(s));
}

char *pk__strndup(const pk__allocator *a, const char *s, size_t n)
{
  char *d = pk__alloc(a, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

void pk__strfree(const pk__allocator *a, char *s)
{
  if (s)
    pk__free(a, s, strlen(s) + 1);
}

/* ---- bump arena ---- */

struct pk__chunk {
  struct pk__chunk *next;
  size_t size; /* bytes of the whole chunk; bit 0: a mapping of its own
                  (reserve_chunk), which its parent did not give */
};

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16
/* A reservation of PK__ARENA_HUGE bytes or more (and an arena over the
 * default allocator) is a mapping of its own, whole 2 MiB pages aligned
 * to 2 MiB and advised as transparent huge pages (MADV_HUGEPAGE, where
 * the kernel allows them): a warm start of a thousand plugins fills its
 * records, the cache's sections and its paths with one page fault rather
 * than about 250 (each 2 to 10 us here, against 0.1 to 0.2 ms to fill a
 * huge page).  Below that the bytes of the reservation are one ordinary
 * chunk. */
#define HUGE_PAGE ((size_t)2 << 20)

void pk__arena_init(pk__arena *ar, const pk__allocator *parent)
{
  memset(ar, 0, sizeof *ar);
  if (parent)
    ar->parent = *parent;
}

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

size_t pk__arena_round(size_t n) { return round_up(n); }

static void *arena_take(pk__arena *ar, size_t n)
{
  n = round_up(n ? n : 1);
  if (n > ar->left) {
    size_t head = round_up(sizeof(struct pk__chunk));
    size_t size = head + (n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE);
    if (size < n)
      return NULL;
    struct pk__chunk *c = pk__alloc(&ar->parent, size);
    if (!c)
      return NULL;
    c->size = size;
    c->next = ar->chunks;
    ar->chunks = c;
    if (n > CHUNK_SIZE / 4) { /* its own chunk: keep serving the old one */
      ar->last = NULL;
      return (char *)c + head;
    }
    ar->cur = (char *)c + head;
    ar->left = size - head;
  }
  void *p = ar->cur;
  ar->cur += n;
  ar->left -= n;
  ar->last = p;
  ar->last_size = n;
  return p;
}

void *pk__arena_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
  pk__arena *ar = ud;
  if (new_size == 0) { /* free: only the most recent block goes back */
    if (ptr && ptr == ar->last) {
      ar->cur = ar->last;
      ar->left += ar->last_size;
      ar->last = NULL;
    }
    return NULL;
  }
  if (ptr && ptr == ar->last) { /* grow or shrink the newest block in place */
    size_t want = round_up(new_size);
    if (want <= ar->last_size + ar->left) {
      ar->left = ar->left + ar->last_size - want;
      ar->cur = ar->last + want;
      ar->last_size = want;
      return ptr;
    }
  }
  if (ptr && new_size <= old_size) /* shrinking an older block: it stays */
    return ptr;
  void *p = arena_take(ar, new_size);
  if (p && ptr)
    memcpy(p, ptr, old_size < new_size ? old_size : new_size);
  return p;
}

void pk__arena_release(pk__arena *ar)
{
  for (struct pk__chunk *c = ar->chunks, *next; c; c = next) {
    next = c->next;
    if (c->size & 1)
      munmap(c, c->size & ~(size_t)1);
    else
      pk__free(&ar->parent, c, c->size);
  }
  ar->chunks = NULL;
  ar->cur = ar->last = NULL;
  ar->left = ar->last_size = 0;
}

/* A chunk of size bytes for a reservation: a 2 MiB-aligned mapping of
 * whole huge pages when large enough (see HUGE_PAGE), else the parent's. */
static struct pk__chunk *reserve_chunk(pk__arena *ar, size_t size)
{
  if (!ar->parent.fn && size >= PK__ARENA_HUGE && size <= SIZE_MAX / 2) {
    size_t len = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1),
           span = len + HUGE_PAGE;
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      char *p = (char *)(((uintptr_t)m + HUGE_PAGE - 1) &
                         ~(uintptr_t)(HUGE_PAGE - 1));
      if (p > m)
        munmap(m, (size_t)(p - m));
      munmap(p + len, (size_t)(m + span - (p + len)));
#ifdef MADV_HUGEPAGE
      (void)madvise(p, len, MADV_HUGEPAGE); /* advice: fine if refused */
#endif
      struct pk__chunk *c = (struct pk__chunk *)p;
      c->size = len | 1;
      return c;
    }
  }
  struct pk__chunk *c = pk__alloc(&ar->parent, size);
  if (c)
    c->size = size;
  return c;
}

bool pk__arena_reserve(pk__arena *ar, size_t n)
{
  n = round_up(n ? n : 1);
  if (n <= ar->left)
    return true;
  size_t head = round_up(sizeof(struct pk__chunk)), size = head + n;
  struct pk__chunk *c = size > n ? reserve_chunk(ar, size) : NULL;
  if (!c)
    return false;
  c->next = ar->chunks;
  ar->chunks = c;
  ar->cur = (char *)c + head;
  ar->left = (c->size & ~(size_t)1) - head;
  ar->last = NULL;
  return true;
}

bool pk__arena_holds(const pk__arena *ar, size_t n)
{
  return round_up(n ? n : 1) <= ar->left;
}

void pk__arena_seed(pk__arena *ar, void *p, size_t n)
{
  size_t skip = p ? -(uintptr_t)p & (ALIGN - 1) : n;
  if (n <= skip)
    return;
  ar->cur = (char *)p + skip;
  ar->left = (n - skip) & ~(size_t)(ALIGN - 1);
  ar->last = NULL;
}

void pk__arena_absorb(pk__arena *dst, pk__arena *src)
{
  struct pk__chunk *last = src->chunks;
  if (!last)
    return;
  while (last->next)
    last = last->next;
  if (dst->chunks) { /* behind dst's newest chunk, which is still filling */
    last->next = dst->chunks->next;
    dst->chunks->next = src->chunks;
  } else {
    dst->chunks = src->chunks;
  }
  src->chunks = NULL;
  src->cur = src->last = NULL;
  src->left = src->last_size = 0;
}
