/* hash.h -- the runner's hashing, in one place:
 *   content   XXH3-128 of a file's bytes (Debian's xxhash): every input
 *             file of every runnable, the files cinclude-scan lists; fast
 *             (several GB/s), not meant to resist a forger
 *   key       SHA-256 of a runnable's inputs (exec line, arguments, each
 *             file's path and content hash, ...): the cache key an entry
 *             is stored and looked up under, locally and in a remote
 *   entry     SHA-256 digest and HMAC-SHA256 tag of a cache entry
 * SHA-256 and HMAC-SHA256 are nettle's (Debian nettle-dev), linked
 * statically (hash.c says why).
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_HASH_H
#define RUNNER_HASH_H

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- content: XXH3-128 ---- */

enum { CONTENT_HEX = 33 }; /* 32 hex digits and a NUL */

/* The XXH3-128 of len bytes, as 32 lowercase hex digits into hex. */
void content_hex_of(const void *data, size_t len, char hex[CONTENT_HEX]);
/* The XXH3-128 of what remains to be read from fd, in hex: 0, or -1
 * (errno) when a read fails.  size: how many bytes fstat said there are
 * (it stops there, sparing the read that finds the end), or -1 (read to
 * the end). */
int content_hex_of_fd(int fd, long long size, char hex[CONTENT_HEX]);

/* ---- key and entries: SHA-256 ---- */

/* A SHA-256 in progress: hasher_init, any number of hasher_update, then
 * hasher_hex.  Plain data: nothing to release. */
typedef struct hasher {
  struct sha256_ctx ctx;
} hasher;

void hasher_init(hasher *h);
void hasher_update(hasher *h, const void *data, size_t len);
/* Finishes: 64 lowercase hex digits and a NUL into hex. */
void hasher_hex(hasher *h, char hex[65]);

/* The SHA-256 of one buffer, in hex. */
void hash_hex_of(const void *data, size_t len, char hex[65]);

/* Whether two 64-digit hex hashes are the same, in a time that does not
 * depend on where they differ. */
bool hash_equal(const char a[64], const char b[64]);

/* HMAC-SHA256 of data with key (any length), in hex. */
void hmac_hex_of(const void *key, size_t klen, const void *data, size_t len,
                 char hex[65]);

#endif
