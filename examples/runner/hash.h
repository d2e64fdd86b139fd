/* hash.h -- the runner's hashing, in one place: the hash of a runnable's
 * inputs (execute.c), the digest and the authentication tag of a cache
 * entry (entry.c), the hashes of the files cinclude-scan lists.  SHA-256
 * and HMAC-SHA256 (RFC 2104) over OpenSSL libcrypto's SHA-256.
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_HASH_H
#define RUNNER_HASH_H

#include <stdbool.h>
#include <stddef.h>

/* A SHA-256 in progress: hasher_init, any number of hasher_update, then
 * hasher_hex, which finishes it and releases what init took. */
typedef struct hasher {
  void *ctx;
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
