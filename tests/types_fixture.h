/* types_fixture.h -- the fixtures of the types tests (test_types.c,
 * test_types_threads.c): where they are, the schema of the host's "local"
 * type, and whether the lazy plugin's library (fixtures/types/s3) is loaded
 * yet.
 * SPDX-License-Identifier: MIT */
#ifndef PK_TYPES_FIXTURE_H
#define PK_TYPES_FIXTURE_H

#include <dlfcn.h>
#include <stdbool.h>

#define TY PK_TEST_BINARY_DIR "/fixtures/types"
#define HOST_TOML PK_TEST_SOURCE_DIR "/fixtures/types_host.toml"
#define S3_LIB TY "/s3/libpk_types_s3.so"

/* The schema of the host's built-in cache type "local" (fixtures/types/s3's
 * type extends it). */
#define LOCAL_SCHEMA "dir = { type = \"string\", default = \"._cache\" }\n"

static inline bool s3_loaded(void)
{
  void *h = dlopen(S3_LIB, RTLD_NOW | RTLD_NOLOAD);
  if (h)
    dlclose(h);
  return h != NULL;
}

#endif
