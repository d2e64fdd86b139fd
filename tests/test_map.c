/* test_map.c -- the string-keyed hash map of every registry: keys of every
 * length around the inline limit (16 bytes copied into the table, longer
 * ones borrowed), growth, replacement, clearing, prefetching, out of
 * memory.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "counting_alloc.h"

enum { NKEYS = 3000 };

/* Key i: its length is i % 41 (0 to 40: across 16), its bytes spell i
 * from the end, so that keys of one length differ in their last bytes
 * (and keys longer than 16 only after byte 16). */
static size_t key_of(size_t i, char *buf)
{
  size_t len = i % 41;
  memset(buf, 'k', len);
  for (size_t j = len, v = i; j > 0 && v; j--, v /= 10)
    buf[j - 1] = (char)('0' + v % 10);
  buf[len] = '\0';
  return len;
}

Test(map, keys_of_every_length_are_found_after_growing)
{
  static char keys[NKEYS][48];
  pk__map m = {0};
  size_t distinct = 0;
  for (size_t i = 0; i < NKEYS; i++) {
    size_t len = key_of(i, keys[i]);
    if (!pk__map_get(&m, keys[i], len))
      distinct++;
    cr_assert_eq(pk__map_put(NULL, &m, keys[i], len, (void *)(i + 1)), PK_OK);
  }
  cr_expect_eq(m.count, distinct);
  for (size_t i = 0; i < NKEYS; i++) {
    char probe[48];
    size_t len = key_of(i, probe); /* another buffer: compared, not pointer */
    uintptr_t v = (uintptr_t)pk__map_get(&m, probe, len);
    /* a key made twice (short ones repeat) holds its last value */
    size_t last = i;
    for (size_t j = i + 41; j < NKEYS; j += 41)
      if (!strcmp(keys[j], keys[i]))
        last = j;
    cr_assert_eq(v, last + 1, "key \"%s\" (%zu bytes)", probe, len);
  }
  cr_expect_null(pk__map_get(&m, "k0000000000000000000x", 21));
  cr_expect_null(pk__map_get(&m, "kkkkkkkkkkkkkkkx", 16)); /* inline size */
  pk__map_clear(&m);
  cr_expect_eq(m.count, 0);
  cr_expect_null(pk__map_get(&m, keys[5], 5));
  pk__map_free(NULL, &m);
}

Test(map, a_key_of_up_to_16_bytes_is_copied_a_longer_one_borrowed)
{
  char shortk[] = "bench:p000001", longk[] = "bench:p0000000000000001";
  pk__map m = {0};
  cr_assert_eq(pk__map_put(NULL, &m, shortk, strlen(shortk), (void *)1), PK_OK);
  cr_assert_eq(pk__map_put(NULL, &m, longk, strlen(longk), (void *)2), PK_OK);
  /* the caller's buffers change: the short key was copied, the long one
   * is read where it is (the contract: it must outlive the map) */
  memset(shortk, 'x', strlen(shortk));
  cr_expect_eq(pk__map_get(&m, "bench:p000001", 13), (void *)1);
  cr_expect_null(pk__map_get(&m, shortk, 13));
  cr_expect_eq(pk__map_get(&m, longk, strlen(longk)), (void *)2);
  /* replacing keeps one entry */
  cr_assert_eq(pk__map_put(NULL, &m, "bench:p000001", 13, (void *)3), PK_OK);
  cr_expect_eq(m.count, 2);
  cr_expect_eq(pk__map_get(&m, "bench:p000001", 13), (void *)3);
  /* the empty key is a key */
  cr_expect_null(pk__map_get(&m, "", 0));
  cr_assert_eq(pk__map_put(NULL, &m, "", 0, (void *)4), PK_OK);
  cr_expect_eq(pk__map_get(&m, "", 0), (void *)4);
  pk__map_free(NULL, &m);
}

Test(map, get_or_put_keeps_a_present_key_and_inserts_a_new_one_once)
{
  static char keys[NKEYS][48];
  pk__map m = {0};
  size_t distinct = 0;
  for (size_t i = 0; i < NKEYS; i++) { /* grows many times on the way */
    size_t len = key_of(i, keys[i]);
    void *want = pk__map_get(&m, keys[i], len), *old = (void *)-1;
    size_t before = m.count;
    cr_assert_eq(
        pk__map_get_or_put(NULL, &m, keys[i], len, (void *)(i + 1), &old),
        PK_OK);
    cr_assert_eq(old, want, "key \"%s\"", keys[i]);
    cr_assert_eq(m.count, before + (want == NULL));
    distinct += want == NULL;
    /* the first value stays: a present key's slot is untouched */
    cr_assert_eq(pk__map_get(&m, keys[i], len),
                 want ? want : (void *)(i + 1));
  }
  cr_expect_eq(m.count, distinct);
  for (size_t i = 0; i < NKEYS; i++) { /* each holds its first value */
    size_t first = i;
    for (size_t j = i % 41; j < i; j += 41)
      if (!strcmp(keys[j], keys[i])) {
        first = j;
        break;
      }
    cr_assert_eq(pk__map_get(&m, keys[i], strlen(keys[i])),
                 (void *)(first + 1));
  }
  pk__map_free(NULL, &m);
}

/* pk__map_prefetch only loads: an empty map, keys of every length ahead
 * of the ones put (absent ones, then present), and the table comes out
 * byte for byte the same as one filled without it. */
Test(map, prefetch_changes_nothing)
{
  static char keys[NKEYS][48];
  pk__map with = {0}, without = {0};
  pk__map_prefetch(&with, "absent", 6); /* no table yet */
  cr_expect_eq(with.cap, 0);
  for (size_t i = 0; i < NKEYS; i++)
    key_of(i, keys[i]);
  for (size_t i = 0; i < NKEYS; i++) {
    size_t ahead = (i + PK__MAP_AHEAD) % NKEYS; /* absent, at the end present */
    pk__map_prefetch(&with, keys[ahead], strlen(keys[ahead]));
    cr_assert_eq(pk__map_put(NULL, &with, keys[i], strlen(keys[i]),
                             (void *)(i + 1)), PK_OK);
    cr_assert_eq(pk__map_put(NULL, &without, keys[i], strlen(keys[i]),
                             (void *)(i + 1)), PK_OK);
  }
  cr_assert_eq(with.count, without.count);
  cr_assert_eq(with.cap, without.cap);
  for (size_t i = 0; i < NKEYS; i++)
    pk__map_prefetch(&with, keys[i], strlen(keys[i]));
  pk__map_prefetch(&with, "k0000000000000000000x", 21);
  /* the tables: 32 bytes a slot (map.c) */
  cr_expect_eq(memcmp(with.slots, without.slots, with.cap * 32), 0);
  for (size_t i = 0; i < NKEYS; i++)
    cr_expect_eq(pk__map_get(&with, keys[i], strlen(keys[i])),
                 pk__map_get(&without, keys[i], strlen(keys[i])));
  /* worth it from some 6000 keys on (NKEYS fit the core's cache) */
  cr_expect(!pk__map_is_large(&with));
  cr_assert_eq(pk__map_reserve(NULL, &with, 6500), PK_OK);
  cr_expect(pk__map_is_large(&with));
  pk__map_free(NULL, &with);
  pk__map_free(NULL, &without);
}

/* A table of up to 1024 slots fills to 7/8 before it doubles (in a fresh
 * process each of its pages is a fault: 100 keys take 128 slots, 4 KiB),
 * a larger one to 3/4 (each probe a cache miss there), by puts as by
 * pk__map_reserve; every key is found at every size. */
Test(map, a_small_table_fills_to_seven_eighths_a_large_one_to_three_quarters)
{
  static char keys[1600][16];
  pk__map m = {0}, r = {0};
  size_t cap_at[1601] = {0};
  for (size_t i = 0; i < 1600; i++) {
    snprintf(keys[i], sizeof keys[i], "key%05zu", i);
    cr_assert_eq(pk__map_put(NULL, &m, keys[i], strlen(keys[i]),
                             (void *)(i + 1)), PK_OK);
    cap_at[i + 1] = m.cap;
  }
  cr_expect_eq(cap_at[14], 16);
  cr_expect_eq(cap_at[15], 32);
  cr_expect_eq(cap_at[112], 128);
  cr_expect_eq(cap_at[113], 256);
  cr_expect_eq(cap_at[896], 1024);
  cr_expect_eq(cap_at[897], 2048);
  cr_expect_eq(cap_at[1536], 2048); /* 3/4 of 2048 */
  cr_expect_eq(cap_at[1537], 4096);
  for (size_t i = 0; i < 1600; i++)
    cr_expect_eq(pk__map_get(&m, keys[i], strlen(keys[i])), (void *)(i + 1));
  cr_assert_eq(pk__map_reserve(NULL, &r, 100), PK_OK);
  cr_expect_eq(r.cap, 128);
  for (size_t i = 0; i < 112; i++)
    cr_assert_eq(pk__map_put(NULL, &r, keys[i], strlen(keys[i]),
                             (void *)(i + 1)), PK_OK);
  cr_expect_eq(r.cap, 128); /* no growth up to the 7/8 reserved for */
  for (size_t i = 0; i < 112; i++)
    cr_expect_eq(pk__map_get(&r, keys[i], strlen(keys[i])), (void *)(i + 1));
  cr_assert_eq(pk__map_reserve(NULL, &r, 896), PK_OK);
  cr_expect_eq(r.cap, 1024);
  cr_assert_eq(pk__map_reserve(NULL, &r, 1600), PK_OK);
  cr_expect_eq(r.cap, 4096); /* 7/8 of 2048 would hold 1792 */
  cr_expect_eq(pk__map_get(&r, keys[111], strlen(keys[111])), (void *)112);
  pk__map_free(NULL, &m);
  pk__map_free(NULL, &r);
}

static pk_status fill(counting *cnt, void *ud)
{
  (void)ud;
  pk__allocator a = {counting_alloc, cnt};
  static char keys[200][48];
  pk__map m = {0};
  pk_status st = pk__map_reserve(&a, &m, 20);
  void *old;
  for (size_t i = 0; i < 200 && st == PK_OK; i++)
    st = i % 2 ? pk__map_put(&a, &m, keys[i], key_of(i + 17, keys[i]),
                             (void *)(i + 1))
               : pk__map_get_or_put(&a, &m, keys[i], key_of(i + 17, keys[i]),
                                    (void *)(i + 1), &old);
  /* whatever failed, the map still answers for what it holds */
  if (m.count)
    cr_expect_eq(pk__map_get(&m, keys[0], 17), (void *)1);
  pk__map_free(&a, &m);
  return st;
}

Test(map, out_of_memory_is_reported_and_leaks_nothing)
{
  cr_expect_gt(oom_sweep(fill, NULL), 2);
}
