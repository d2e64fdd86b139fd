/* hash.c -- SHA-256 and HMAC-SHA256 over OpenSSL libcrypto's SHA-256.
 *
 * libcrypto's low-level SHA256_Init/Update/Final, linked from the static
 * libcrypto.a: a static link takes only the SHA-256 objects (SHA-NI and
 * AVX2 code chosen at run time).  Measured with callgrind on a do-nothing
 * program: the low-level SHA-256 from libcrypto.a adds 1.7 k instructions
 * to every start; the EVP interface adds 224 k (static: the provider code
 * and its relocations) or 2.5 M (libcrypto.so's relocations), and its
 * first digest another 6.3 M (providers set up) -- against 0.48 M for
 * all of `runner --ls`.  The low-level functions are deprecated by
 * OpenSSL 3.0 for new code but kept and maintained; HMAC is the RFC 2104
 * construction over them (HMAC() and HMAC_CTX go through EVP), checked
 * against libcrypto's HMAC() by the tests and the fuzz target.
 * SPDX-License-Identifier: MIT */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hash.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void to_hex(const unsigned char md[SHA256_DIGEST_LENGTH],
                   char hex[65])
{
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[64] = 0;
}

void hasher_init(hasher *h)
{
  h->ctx = malloc(sizeof(SHA256_CTX));
  if (!h->ctx) {
    fputs("runner: out of memory\n", stderr);
    exit(3);
  }
  SHA256_Init(h->ctx);
}

void hasher_update(hasher *h, const void *data, size_t len)
{
  SHA256_Update(h->ctx, data, len);
}

void hasher_hex(hasher *h, char hex[65])
{
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, h->ctx);
  free(h->ctx);
  h->ctx = NULL;
  to_hex(md, hex);
}

static void sha256_of(const void *data, size_t len,
                      unsigned char md[SHA256_DIGEST_LENGTH])
{
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, data, len);
  SHA256_Final(md, &c);
}

void hash_hex_of(const void *data, size_t len, char hex[65])
{
  unsigned char md[SHA256_DIGEST_LENGTH];
  sha256_of(data, len, md);
  to_hex(md, hex);
}

bool hash_equal(const char a[64], const char b[64])
{
  return CRYPTO_memcmp(a, b, 64) == 0;
}

void hmac_hex_of(const void *key, size_t klen, const void *data, size_t len,
                 char hex[65])
{
  enum { BLOCK = SHA256_CBLOCK };
  unsigned char k[BLOCK] = {0}, pad[BLOCK], md[SHA256_DIGEST_LENGTH];
  if (klen > BLOCK)
    sha256_of(key, klen, k);
  else if (klen)
    memcpy(k, key, klen);
  SHA256_CTX c;
  for (int i = 0; i < BLOCK; i++)
    pad[i] = k[i] ^ 0x36;
  SHA256_Init(&c);
  SHA256_Update(&c, pad, BLOCK);
  SHA256_Update(&c, data, len);
  SHA256_Final(md, &c);
  for (int i = 0; i < BLOCK; i++)
    pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&c);
  SHA256_Update(&c, pad, BLOCK);
  SHA256_Update(&c, md, sizeof md);
  SHA256_Final(md, &c);
  to_hex(md, hex);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(&c, sizeof c);
}
