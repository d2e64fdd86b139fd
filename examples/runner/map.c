/* map.c -- a map from strings to pointers: open addressing with linear
 * probing over a power-of-two table kept at most half full, FNV-1a.  Keys
 * are borrowed (they must outlive the map).  The runner's names (commands,
 * runnables, modules, files of the stat cache) are looked up through it,
 * so a project of N commands plans in O(N).
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static size_t hash_of(const char *s, size_t n)
{
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
  return (size_t)(h ^ (h >> 32));
}

/* The slot of key (n bytes): where it is, or the empty one it would go
 * in. */
static size_t slot_of(const strmap *m, const char *key, size_t n)
{
  size_t mask = m->cap - 1;
  for (size_t i = hash_of(key, n) & mask;; i = (i + 1) & mask)
    if (!m->keys[i] ||
        (!strncmp(m->keys[i], key, n) && m->keys[i][n] == 0))
      return i;
}

void *strmap_getn(const strmap *m, const char *key, size_t n)
{
  if (!m->cap)
    return NULL;
  size_t i = slot_of(m, key, n);
  return m->keys[i] ? m->vals[i] : NULL;
}

void *strmap_get(const strmap *m, const char *key)
{
  return strmap_getn(m, key, strlen(key));
}

void strmap_reserve(strmap *m, size_t n)
{
  size_t cap = m->cap ? m->cap : 16;
  while (2 * n > cap)
    cap *= 2;
  if (cap == m->cap)
    return;
  strmap g = {.cap = cap, .n = m->n};
  g.keys = xcalloc(g.cap, sizeof *g.keys);
  g.vals = xcalloc(g.cap, sizeof *g.vals);
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) {
      size_t k = slot_of(&g, m->keys[i], strlen(m->keys[i]));
      g.keys[k] = m->keys[i];
      g.vals[k] = m->vals[i];
    }
  strmap_free(m);
  *m = g;
}

void *strmap_put(strmap *m, const char *key, void *val)
{
  strmap_reserve(m, m->n + 1);
  size_t i = slot_of(m, key, strlen(key));
  if (m->keys[i])
    return m->vals[i];
  m->keys[i] = key;
  m->vals[i] = val;
  m->n++;
  return NULL;
}

void strmap_free(strmap *m)
{
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}
