/* map.c -- one small string-keyed hash map for every registry.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "base.h"

/* How it works: a key of up to INLINE bytes is kept in its slot as two
 * words (key_words), so a hit compares two words the probe has just
 * loaded and never reads the key's own string (with 100 000 names that
 * string is a cache miss per lookup, as costly as the slot's); a longer
 * key is borrowed.  32 bytes a slot, two to a cache line. */
enum { INLINE = 16 };

struct pk__map_slot {
  void *value;
  uint32_t hash; /* short_hash or pk__hash */
  uint32_t len1; /* key length + 1; 0: empty */
  union {
    const char *ptr; /* len > INLINE: borrowed */
    uint64_t w[2];   /* len <= INLINE: key_words of the key */
  } key;
};

/* The 0 to 7 bytes of s as one word: two loads that overlap cover 4 to 7
 * bytes, the first, middle and last byte 1 to 3. */
static uint64_t short_word(const char *s, size_t len)
{
  if (len >= 4) {
    uint32_t x, y;
    memcpy(&x, s, 4);
    memcpy(&y, s + len - 4, 4);
    return (uint64_t)x << 32 | y;
  }
  return len ? (uint64_t)(unsigned char)s[0] << 16 |
                   (uint64_t)(unsigned char)s[len / 2] << 8 |
                   (unsigned char)s[len - 1]
             : 0;
}

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
  h = (h ^ short_word(s, len)) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 29;
  return h;
}

/* The len <= INLINE bytes of s as two words, with loads that never read
 * past either end: for 8 to 16 bytes two that overlap (the first 8 and the
 * last 8), else short_word.  Together they cover every byte, so two keys
 * of one length are equal exactly when their words are. */
static void key_words(const char *s, size_t len, uint64_t w[2])
{
  if (len >= 8) {
    memcpy(&w[0], s, 8);
    memcpy(&w[1], s + len - 8, 8);
  } else {
    w[0] = short_word(s, len);
    w[1] = 0;
  }
}

/* The hash of a key of up to INLINE bytes, from its words w (loaded for
 * the compare anyway): two rounds of multiply and shift that carry every
 * bit of both into the low bits a table masks.  Equal (len, w) are equal
 * keys, so this is a hash of the key.  A longer key: pk__hash. */
static inline uint32_t short_hash(const char *key, size_t len, uint64_t w[2])
{
  key_words(key, len, w);
  uint64_t h = (w[0] ^ 0x9E3779B97F4A7C15ull ^ len) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 31;
  h = (h ^ w[1]) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 29;
  return (uint32_t)h;
}

/* The slot of key (hash h, words w when len <= INLINE), or the empty slot
 * where it would go.  Inlined where len <= INLINE is known, the compare is
 * of words only and a lookup a leaf function. */
static inline struct pk__map_slot *find(const pk__map *m, const char *key,
                                        size_t len, uint32_t h,
                                        const uint64_t *w)
{
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    struct pk__map_slot *s = &m->slots[i];
    if (!s->len1 || (s->hash == h && s->len1 - 1 == len &&
                     (len <= INLINE ? s->key.w[0] == w[0] && s->key.w[1] == w[1]
                                    : !memcmp(s->key.ptr, key, len))))
      return s;
  }
}

/* find for a key longer than INLINE (hash h = pk__hash), out of line. */
static __attribute__((noinline)) struct pk__map_slot *
find_long(const pk__map *m, const char *key, size_t len, uint32_t h)
{
  return find(m, key, len, h, NULL);
}

/* The slot of key, or the empty slot where it would go; *h its hash, w
 * its words when len <= INLINE. */
static inline struct pk__map_slot *slot_of(const pk__map *m, const char *key,
                                           size_t len, uint32_t *h,
                                           uint64_t w[2])
{
  if (len <= INLINE) {
    *h = short_hash(key, len, w);
    return find(m, key, len, *h, w);
  }
  *h = (uint32_t)pk__hash(key, len);
  return find_long(m, key, len, *h);
}

/* How it works: a table of 100 000 keys is several MiB, and each get or
 * put of a key in it waits for its home slot's cache line (from L3 or
 * memory: ~20 ns, more when the cache is shared with a busy neighbour).
 * A caller walking a list of keys asks for the line of the key a few
 * places ahead; the probe then finds it loaded, and the misses of
 * several keys overlap instead of following one another. */
void pk__map_prefetch(const pk__map *m, const char *key, size_t len)
{
  if (!m->cap)
    return;
  uint64_t w[2];
  uint32_t h =
      len <= INLINE ? short_hash(key, len, w) : (uint32_t)pk__hash(key, len);
  __builtin_prefetch(&m->slots[h & (m->cap - 1)]);
}

void *pk__map_get(const pk__map *m, const char *key, size_t len)
{
  if (!m->cap)
    return NULL;
  uint32_t h;
  uint64_t w[2];
  struct pk__map_slot *s = slot_of(m, key, len, &h, w);
  return s->len1 ? s->value : NULL;
}

/* The table is aligned to a slot's size, so that no slot straddles two
 * cache lines (malloc aligns to 16 only): mem is the block, slots the
 * aligned table inside it. */
#define ALIGN_SLACK (sizeof(struct pk__map_slot) - 1)
_Static_assert((sizeof(struct pk__map_slot) & ALIGN_SLACK) == 0,
               "a slot is a power of two bytes");

static __attribute__((noinline)) pk_status grow(const pk__allocator *a,
                                                pk__map *m, size_t ncap)
{
  pk__map old = *m;
  m->mem = pk__alloc_zero(a, ncap * sizeof *m->slots + ALIGN_SLACK);
  if (!m->mem) {
    *m = old;
    return PK_ENOMEM;
  }
  uintptr_t at = ((uintptr_t)m->mem + ALIGN_SLACK) & ~(uintptr_t)ALIGN_SLACK;
  m->slots = (struct pk__map_slot *)at;
  m->cap = ncap;
  size_t mask = ncap - 1;
  for (size_t i = 0; i < old.cap; i++) /* every key differs: no compare */
    if (old.slots[i].len1) {
      size_t j = old.slots[i].hash & mask;
      while (m->slots[j].len1)
        j = (j + 1) & mask;
      m->slots[j] = old.slots[i];
    }
  if (old.cap)
    pk__free(a, old.mem, old.cap * sizeof *old.slots + ALIGN_SLACK);
  return PK_OK;
}

/* Whether a table of cap slots is too small for n keys: over 3/4 full,
 * or over 7/8 for a table of up to DENSE_CAP slots (32 KiB).  A small
 * table lies in the core's cache, where the longer probes of the higher
 * load cost little, and in a fresh process each of its pages is a fault:
 * the 100 plugins of a start fill three tables (ids, aliases, tags) of
 * 128 slots instead of 256 (4 page faults fewer, docs/DESIGN.md).  A
 * larger one keeps 3/4: there each probe's line is a cache miss. */
enum { DENSE_CAP = 1024 };

static inline bool full(size_t n, size_t cap)
{
  return cap <= DENSE_CAP ? n * 8 > cap * 7 : n * 4 > cap * 3;
}

/* put and get_or_put: one hash and one probe; an absent key is inserted,
 * a present one's value replaced when replace, else left untouched and
 * given in *old (NULL when the key was inserted). */
static pk_status put(const pk__allocator *a, pk__map *m, const char *key,
                     size_t len, void *value, bool replace, void **old)
{
  if (full(m->count + 1, m->cap) &&
      grow(a, m, m->cap ? m->cap * 2 : 16) != PK_OK)
    return PK_ENOMEM;
  if (len >= UINT32_MAX)
    return PK_ENOMEM;
  uint32_t h;
  uint64_t w[2];
  struct pk__map_slot *s = slot_of(m, key, len, &h, w);
  if (!s->len1) {
    *s = (struct pk__map_slot){
        .value = value, .hash = h, .len1 = (uint32_t)len + 1};
    if (len <= INLINE) {
      s->key.w[0] = w[0];
      s->key.w[1] = w[1];
    } else {
      s->key.ptr = key;
    }
    m->count++;
    *old = NULL;
  } else {
    *old = s->value;
    if (replace)
      s->value = value;
  }
  return PK_OK;
}

pk_status pk__map_put(const pk__allocator *a, pk__map *m, const char *key,
                      size_t len, void *value)
{
  void *old;
  return put(a, m, key, len, value, true, &old);
}

pk_status pk__map_get_or_put(const pk__allocator *a, pk__map *m,
                             const char *key, size_t len, void *value,
                             void **old)
{
  return put(a, m, key, len, value, false, old);
}

pk_status pk__map_reserve(const pk__allocator *a, pk__map *m, size_t n)
{
  size_t cap = m->cap ? m->cap : 16;
  while (full(n, cap))
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
  if (m->cap)
    pk__free(a, m->mem, m->cap * sizeof *m->slots + ALIGN_SLACK);
  m->mem = NULL;
  m->slots = NULL;
  m->cap = m->count = 0;
}
