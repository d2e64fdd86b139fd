/* alloc.c -- every allocation goes through the host or document allocator.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

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
  size_t size; /* bytes of the whole chunk */
};

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16

void pk__arena_init(pk__arena *ar, const pk__allocator *parent)
{
  memset(ar, 0, sizeof *ar);
  if (parent)
    ar->parent = *parent;
}

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

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
    pk__free(&ar->parent, c, c->size);
  }
  ar->chunks = NULL;
  ar->cur = ar->last = NULL;
  ar->left = ar->last_size = 0;
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
