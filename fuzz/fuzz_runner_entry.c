/* fuzz_runner_entry.c -- libFuzzer target: the runner's cache entry reader
 * (examples/runner/entry.c, built from the runner's sources) on any bytes,
 * as anyone able to write to a shared cache could send them.
 *
 * The input's first byte chooses the case (bit 0: a cache key is set;
 * bit 1: the reader wants the entry of runnable "gen" for hash 0...0), the
 * rest is an entry's body.  The harness ends it the way a writer would --
 * the digest line, and with the key the hmac line -- so the reader gets
 * past the digest into the lines themselves.  Checks: nothing crashes or
 * reads out of bounds (ASan, UBSan); an accepted entry is in bounds, its
 * paths stay in the project and appear once; it is accepted without the
 * key too; it packs back into bytes that read to the same entry; the
 * runner's HMAC-SHA256 is libcrypto's HMAC().
 * SPDX-License-Identifier: MIT */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "hash.h"
#include "runner.h"

#include "fuzz.h"

static const char KEY[] = "fuzz-cache-key-0123456789";

/* Whether path has a ".." component or starts with '/'. */
static int leaves(const char *path)
{
  if (path[0] == '/')
    return 1;
  for (const char *c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : 0)
    if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
      return 1;
  return 0;
}

static void same(const entry *a, const entry *b)
{
  CHECK(!strcmp(a->name, b->name) && !strcmp(a->hash, b->hash));
  CHECK(a->code == b->code && a->loglen == b->loglen);
  CHECK(!memcmp(a->log, b->log, a->loglen));
  CHECK(a->narts == b->narts);
  for (size_t i = 0; i < a->narts; i++) {
    CHECK(!strcmp(a->arts[i].path, b->arts[i].path));
    CHECK(a->arts[i].mode == b->arts[i].mode);
    CHECK(a->arts[i].len == b->arts[i].len);
    CHECK(!memcmp(a->arts[i].data, b->arts[i].data, a->arts[i].len));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int keyed = data[0] & 1, wanted = data[0] & 2;
  const char *body = (const char *)data + 1;
  size_t blen = size - 1;
  /* body, "digest HEX\n", "hmac HEX\n" and sprintf's NUL */
  char *blob = malloc(blen + 72 + 70 + 1);
  CHECK(blob);
  memcpy(blob, body, blen);
  char hex[65];
  hash_hex_of(blob, blen, hex);
  size_t len = blen;
  len += (size_t)sprintf(blob + len, "digest %s\n", hex);
  entry_set_secret(keyed ? KEY : NULL, keyed ? strlen(KEY) : 0);
  if (keyed) {
    hmac_hex_of(KEY, strlen(KEY), blob, len, hex);
    unsigned char md[32];
    unsigned int mdlen;
    CHECK(HMAC(EVP_sha256(), KEY, (int)strlen(KEY),
               (const unsigned char *)blob, len, md, &mdlen));
    for (unsigned i = 0; i < mdlen; i++) {
      char two[3];
      snprintf(two, sizeof two, "%02x", md[i]);
      CHECK(hex[2 * i] == two[0] && hex[2 * i + 1] == two[1]);
    }
    len += (size_t)sprintf(blob + len, "hmac %s\n", hex);
  }
  static const char zeros[] = "0000000000000000000000000000000000000000000000"
                              "000000000000000000";
  runner_key want = {.runnable = "gen", .slug = "gen", .hash = zeros};
  entry e;
  char why[200];
  int rc = entry_parse(blob, len, wanted ? &want : NULL, &e, why, sizeof why);
  CHECK(rc == ENTRY_OK || rc == ENTRY_BAD || rc == ENTRY_STALE);
  CHECK(rc == ENTRY_OK || (e.narts == 0 && !e.name && !e.arts));
  if (rc == ENTRY_OK) {
    CHECK(e.log >= blob && e.log + e.loglen <= blob + len);
    CHECK(e.code >= 0 && e.code <= 255 && strlen(e.hash) == 64);
    for (size_t i = 0; i < e.narts; i++) {
      const entry_artifact *a = &e.arts[i];
      CHECK(a->path[0] && !leaves(a->path));
      CHECK(a->mode >= 0 && a->mode <= 0777);
      CHECK(a->data >= blob && a->data + a->len <= blob + len);
      for (size_t j = 0; j < i && e.narts < 64; j++)
        CHECK(strcmp(a->path, e.arts[j].path));
    }
    if (keyed) { /* a reader without the key only checks the digest */
      entry_set_secret(NULL, 0);
      CHECK(entry_check(blob, len, wanted ? &want : NULL, why, sizeof why) ==
            0);
      entry_set_secret(KEY, strlen(KEY));
    }
    char *packed;
    size_t plen;
    entry_pack(&e, &packed, &plen);
    entry f;
    CHECK(entry_parse(packed, plen, wanted ? &want : NULL, &f, why,
                      sizeof why) == ENTRY_OK);
    same(&e, &f);
    entry_free(&f);
    free(packed);
    entry_free(&e);
  }
  free(blob);
  return 0;
}
