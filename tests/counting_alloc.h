/* counting_alloc.h -- the test allocator: counts calls, blocks and bytes
 * alive, and fails the call numbered fail_at (1-based; 0: never), for the
 * out-of-memory sweeps and the leak checks of the tests; and oom_sweep.
 * SPDX-License-Identifier: MIT */
#ifndef PK_COUNTING_ALLOC_H
#define PK_COUNTING_ALLOC_H

#include <criterion/criterion.h>
#include <plugkit.h>
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

/* The out-of-memory sweep: runs RUN(&cnt, UD) with allocation 1, 2, ...
 * failing until a run succeeds.  Every run leaves no block and no byte
 * alive, and every failed one fails with PK_ENOMEM.  Returns the number of
 * the allocation failing in the run that succeeded (the one it never
 * reached). */
static inline long oom_sweep(pk_status (*run)(counting *cnt, void *ud),
                             void *ud)
{
  long k;
  for (k = 1;; k++) {
    counting cnt = {0, k, 0, 0};
    pk_status st = run(&cnt, ud);
    cr_assert_eq(cnt.live, 0, "allocation %ld failing leaks %ld blocks", k,
                 cnt.live);
    cr_assert_eq(cnt.bytes, 0, "allocation %ld failing leaks %zu bytes", k,
                 cnt.bytes);
    if (st == PK_OK)
      break;
    cr_assert_eq(st, PK_ENOMEM, "allocation %ld failing: %s", k,
                 pk_status_name(st));
  }
  return k;
}

#endif
