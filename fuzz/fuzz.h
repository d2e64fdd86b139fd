/* fuzz.h -- what every libFuzzer target here shares: its entry point and
 * CHECK, which aborts (a finding) with the condition and its place.
 * SPDX-License-Identifier: MIT */
#ifndef PK_FUZZ_H
#define PK_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                              \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);   \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif
