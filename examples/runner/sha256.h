/* sha256.h -- SHA-256 (FIPS 180-4), for cache keys and entry digests.
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_SHA256_H
#define RUNNER_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256 {
  uint32_t h[8];
  uint64_t len;       /* bytes hashed so far */
  unsigned char buf[64];
  size_t nbuf;
} sha256;

void sha256_init(sha256 *s);
void sha256_update(sha256 *s, const void *data, size_t len);
/* Finishes: 32 bytes into digest. */
void sha256_final(sha256 *s, unsigned char digest[32]);
/* Finishes: 64 lowercase hex digits and a NUL into hex. */
void sha256_hex(sha256 *s, char hex[65]);
/* The hex digest of one buffer. */
void sha256_hex_of(const void *data, size_t len, char hex[65]);

#endif
