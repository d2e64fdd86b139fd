/* test_util.h -- small helpers shared by the test files.  Includes
 * stress.h, so that a file also built as a plain program (PK_STRESS_MAIN)
 * can use them.
 * SPDX-License-Identifier: MIT */
#ifndef PK_TEST_UTIL_H
#define PK_TEST_UTIL_H

#include "stress.h"
#include <stdio.h>

/* Writes TEXT to the file PATH (created or emptied). */
static inline void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

#endif
