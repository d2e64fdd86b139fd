/* hash.c -- XXH3-128 for contents, SHA-256 and HMAC-SHA256 for keys and
 * entries (hash.h).
 *
 * SHA-256 and HMAC-SHA256 are nettle's (sha256_*, hmac_sha256_*), linked
 * from the static libnettle.a: a static link takes only those objects.
 * Measured by callgrind on a do-nothing program, libnettle.so would add
 * about 333 k instructions to every start (its relocations and
 * constructors), libnettle.a about 4.5 k.
 *
 * XXH3-128 is Debian's xxhash.h with XXH_INLINE_ALL: its functions are
 * compiled into this file, static, so nothing is resolved at start and no
 * library is linked.  Measured with callgrind on `runner --ls` in a copy
 * of the demo after a warm-up run (release build, the same binary path):
 * XXH_INLINE_ALL 481 391 instructions, libxxhash.a 481 430, libxxhash.so
 * 498 027 (+16.6 k: one more library to map and relocate).  The two static
 * ways start alike (39 instructions apart); inlining is the cheaper one,
 * and its binary is 11 KB smaller (libxxhash.a's object brings XXH32,
 * XXH64 and the 64-bit XXH3 along).
 * SPDX-License-Identifier: MIT */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hash.h"

#include <errno.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <unistd.h>

static void to_hex(const uint8_t *md, size_t n, char *hex)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[2 * n] = 0;
}

/* ---- content ---- */

static void xxh128_hex(XXH128_hash_t h, char hex[CONTENT_HEX])
{
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  to_hex(c.digest, sizeof c.digest, hex);
}

void content_hex_of(const void *data, size_t len, char hex[CONTENT_HEX])
{
  xxh128_hex(XXH3_128bits(data, len), hex);
}

int content_hex_of_fd(int fd, long long size, char hex[CONTENT_HEX])
{
  XXH3_state_t st;
  XXH3_128bits_reset(&st);
  char buf[1 << 16];
  for (long long got = 0; size < 0 || got < size;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    XXH3_128bits_update(&st, buf, (size_t)n);
    got += n;
  }
  xxh128_hex(XXH3_128bits_digest(&st), hex);
  return 0;
}

/* ---- SHA-256 ---- */

void hasher_init(hasher *h) { sha256_init(&h->ctx); }

void hasher_update(hasher *h, const void *data, size_t len)
{
  sha256_update(&h->ctx, len, data);
}

void hasher_hex(hasher *h, char hex[65])
{
  uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(&h->ctx, sizeof md, md);
  to_hex(md, sizeof md, hex);
}

void hash_hex_of(const void *data, size_t len, char hex[65])
{
  hasher h;
  hasher_init(&h);
  hasher_update(&h, data, len);
  hasher_hex(&h, hex);
}

bool hash_equal(const char a[64], const char b[64])
{
  return memeql_sec(a, b, 64) != 0;
}

void hmac_hex_of(const void *key, size_t klen, const void *data, size_t len,
                 char hex[65])
{
  struct hmac_sha256_ctx c;
  uint8_t md[SHA256_DIGEST_SIZE];
  hmac_sha256_set_key(&c, klen, key);
  hmac_sha256_update(&c, len, data);
  hmac_sha256_digest(&c, sizeof md, md);
  to_hex(md, sizeof md, hex);
  /* the key's pads stay in c: wipe them */
  volatile uint8_t *v = (volatile uint8_t *)&c;
  for (size_t i = 0; i < sizeof c; i++)
    v[i] = 0;
}
