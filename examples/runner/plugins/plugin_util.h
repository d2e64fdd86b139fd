/* plugin_util.h -- what the runner's plugins (separate shared objects)
 * share, as static inline functions: each gets its own copy.
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_PLUGIN_UTIL_H
#define RUNNER_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* printf into a malloc()ed string, or NULL (out of memory). */
static inline char *plugin_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static inline char *plugin_printf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n < 0 ? NULL : malloc((size_t)n + 1);
  if (s) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

#endif
