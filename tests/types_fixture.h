/* types_fixture.h -- the fixtures of the types tests (test_types.c,
 * test_types_threads.c): where they are, and whether the lazy plugin's
 * library (fixtures/types/s3) is loaded yet.
 * SPDX-License-Identifier: MIT */
#ifndef PK_TYPES_FIXTURE_H
#define PK_TYPES_FIXTURE_H

#include <dlfcn.h>
#include <stdbool.h>

#define TY PK_TEST_BINARY_DIR "/fixtures/types"
#define HOST_TOML PK_TEST_SOURCE_DIR "/fixtures/types_host.toml"
#define S3_LIB TY "/s3/libpk_types_s3.so"

static inline bool s3_loaded(void)
{
  void *h = dlopen(S3_LIB, RTLD_NOW | RTLD_NOLOAD);
  if (h)
    dlclose(h);
  return h != NULL;
}

#endif
