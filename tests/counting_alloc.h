/* counting_alloc.h -- the test allocator: counts calls, blocks and bytes
 * alive, and fails the call numbered fail_at (1-based; 0: never), for the
 * out-of-memory sweeps and the leak checks of the tests.
 * SPDX-License-Identifier: MIT */
#ifndef PK_COUNTING_ALLOC_H
#define PK_COUNTING_ALLOC_H

#include <stdlib.h>

typedef struct counting {
  long calls;   /* allocations and resizes so far */
  long fail_at; /* fail the call with this number (1-based); 0: never */
  long live;    /* blocks alive */
  size_t bytes; /* bytes alive */
} counting;

static inline void *counting_alloc(void *ud, void *p, size_t old, size_t n)
{
  counting *c = ud;
  if (n == 0) {
    if (p) {
      c->live--;
      c->bytes -= old;
    }
    free(p);
    return NULL;
  }
  if (++c->calls == c->fail_at)
    return NULL;
  void *q = realloc(p, n);
  if (!q)
    return NULL;
  if (!p)
    c->live++;
  c->bytes = c->bytes - (p ? old : 0) + n;
  return q;
}

#endif
