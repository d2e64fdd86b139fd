/* alloc.c -- every allocation goes through the host or document allocator.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
  size_t n = strlen(s) + 1;
  char *d = pk__alloc(a, n);
  if (d)
    memcpy(d, s, n);
  return d;
}

void pk__strfree(const pk__allocator *a, char *s)
{
  if (s)
    pk__free(a, s, strlen(s) + 1);
}
