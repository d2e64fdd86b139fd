/* map.c -- one small string-keyed hash map for every registry.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "base.h"

struct pk__map_slot {
  const char *key; /* NULL: empty */
  void *value;
  uint32_t hash;   /* low bits of pk__hash */
  uint32_t len;
};

/* A word at a time (names are short: one or two words), then a final
 * mix so that every key byte reaches the low bits a table masks. */
uint64_t pk__hash(const char *s, size_t len)
{
  uint64_t h = 0x9E3779B97F4A7C15ull ^ len, w;
  for (; len >= 8; s += 8, len -= 8) {
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  if (len >= 4) { /* two loads that overlap cover 4 to 7 bytes */
    uint32_t x, y;
    memcpy(&x, s, 4);
    memcpy(&y, s + len - 4, 4);
    w = (uint64_t)x << 32 | y;
  } else { /* first, middle and last cover 1 to 3 bytes */
    w = len ? (uint64_t)(unsigned char)s[0] << 16 |
                  (uint64_t)(unsigned char)s[len / 2] << 8 |
                  (unsigned char)s[len - 1]
            : 0;
  }
  h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 29;
  return h;
}

static struct pk__map_slot *find(const pk__map *m, const char *key, size_t len,
                                 uint32_t h)
{
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    struct pk__map_slot *s = &m->slots[i];
    if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len)))
      return s;
  }
}

void *pk__map_get(const pk__map *m, const char *key, size_t len)
{
  if (!m->cap)
    return NULL;
  struct pk__map_slot *s = find(m, key, len, (uint32_t)pk__hash(key, len));
  return s->key ? s->value : NULL;
}

static pk_status grow(const pk__allocator *a, pk__map *m, size_t ncap)
{
  pk__map old = *m;
  m->slots = pk__alloc_zero(a, ncap * sizeof *m->slots);
  if (!m->slots) {
    *m = old;
    return PK_ENOMEM;
  }
  m->cap = ncap;
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].key)
      *find(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) =
          old.slots[i];
  pk__free(a, old.slots, old.cap * sizeof *old.slots);
  return PK_OK;
}

pk_status pk__map_put(const pk__allocator *a, pk__map *m, const char *key,
                      size_t len, void *value)
{
  if ((m->count + 1) * 4 > m->cap * 3 &&
      grow(a, m, m->cap ? m->cap * 2 : 16) != PK_OK)
    return PK_ENOMEM;
  if (len > UINT32_MAX)
    return PK_ENOMEM;
  uint32_t h = (uint32_t)pk__hash(key, len);
  struct pk__map_slot *s = find(m, key, len, h);
  if (!s->key) {
    *s = (struct pk__map_slot){key, value, h, (uint32_t)len};
    m->count++;
  } else {
    s->value = value;
  }
  return PK_OK;
}

pk_status pk__map_reserve(const pk__allocator *a, pk__map *m, size_t n)
{
  size_t cap = m->cap ? m->cap : 16;
  while (n * 4 > cap * 3)
    cap *= 2;
  return cap > m->cap ? grow(a, m, cap) : PK_OK;
}

void pk__map_clear(pk__map *m)
{
  if (m->cap)
    memset(m->slots, 0, m->cap * sizeof *m->slots);
  m->count = 0;
}

void pk__map_free(const pk__allocator *a, pk__map *m)
{
  pk__free(a, m->slots, m->cap * sizeof *m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}
