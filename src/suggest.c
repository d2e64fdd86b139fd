/* suggest.c -- "did you mean" for unknown names.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "base.h"

/* Optimal-string-alignment distance, capped: returns cap + 1 when above. */
static size_t distance(const char *a, const char *b, size_t cap)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63)
    return cap + 1;
  if ((la > lb ? la - lb : lb - la) > cap)
    return cap + 1;
  size_t d[64][64];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v)
        v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v)
        v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[la][lb];
}

const char *pk__closest(const char *word, const char *const *candidates,
                        size_t n)
{
  size_t wl = strlen(word);
  size_t cap = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
  const char *best = NULL;
  size_t best_d = cap + 1;
  for (size_t i = 0; i < n; i++) {
    size_t d = distance(word, candidates[i], cap);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}

void pk__join(char *buf, size_t n, const char *const *items, size_t count)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && used + 1 < n; i++) {
    size_t l = strlen(items[i]);
    const char *sep = i ? ", " : "";
    if (used + strlen(sep) + l + 1 > n) {
      pk__copy_str(buf + used, n - used, i ? ", ..." : "...");
      return;
    }
    memcpy(buf + used, sep, strlen(sep));
    used += strlen(sep);
    memcpy(buf + used, items[i], l);
    used += l;
    buf[used] = '\0';
  }
}

const char *pk_closest(const char *word, const char *const *candidates,
                       size_t n)
{
  return word && (candidates || !n) ? pk__closest(word, candidates, n) : NULL;
}
