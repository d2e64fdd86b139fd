/* includes.c -- following the #include "..." lines of C files
 * (includes.h).  Thread-safe: no state but the caller's.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "includes.h"

int incs_add(incs *s, char *path)
{
  if (!path)
    return -1;
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->paths[i], path) == 0) {
      free(path);
      return 0;
    }
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    char **v = realloc(s->paths, cap * sizeof *v);
    if (!v) {
      free(path);
      return -1;
    }
    s->paths = v;
    s->cap = cap;
  }
  s->paths[s->n++] = path;
  return 1;
}

char *incs_join(const char *dir, size_t dirlen, const char *name,
                size_t namelen)
{
  if (name[0] == '/')
    dirlen = 0;
  char *in = malloc(dirlen + namelen + 2);
  char *out = malloc(dirlen + namelen + 2);
  if (!in || !out) {
    free(in);
    free(out);
    return NULL;
  }
  memcpy(in, dir, dirlen);
  in[dirlen] = '/';
  memcpy(in + dirlen + (dirlen > 0), name, namelen);
  in[dirlen + (dirlen > 0) + namelen] = 0;
  size_t o = 0, keep = 0; /* keep: segments ".." may remove */
  int rooted = in[0] == '/';
  for (char *seg = in; seg;) {
    char *next = strchr(seg, '/');
    size_t n = next ? (size_t)(next - seg) : strlen(seg);
    if (n == 2 && seg[0] == '.' && seg[1] == '.' && keep > 0) {
      while (o > 0 && out[o - 1] != '/')
        o--; /* drop the last segment and its '/' */
      o = o > 0 ? o - 1 : 0;
      keep--;
    } else if (!(n == 0 || (n == 1 && seg[0] == '.') ||
                 (n == 2 && seg[0] == '.' && seg[1] == '.' && rooted))) {
      if (o > 0 || rooted)
        out[o++] = '/';
      memcpy(out + o, seg, n);
      o += n;
      if (!(n == 2 && seg[0] == '.' && seg[1] == '.'))
        keep++;
    }
    seg = next ? next + 1 : NULL;
  }
  if (o == 0 && rooted)
    out[o++] = '/';
  out[o] = 0;
  free(in);
  return out;
}

int incs_scan(incs *s, const char *path, const char *data, size_t len)
{
  const char *slash = strrchr(path, '/');
  size_t dirlen = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
  for (const char *p = data; p < data + len;) {
    const char *eol = memchr(p, '\n', (size_t)(data + len - p));
    const char *end = eol ? eol : data + len, *q = p;
    while (q < end && (*q == ' ' || *q == '\t'))
      q++;
    if (q < end && *q == '#') {
      q++;
      while (q < end && (*q == ' ' || *q == '\t'))
        q++;
      if (end - q > 7 && strncmp(q, "include", 7) == 0) {
        q += 7;
        while (q < end && (*q == ' ' || *q == '\t'))
          q++;
        const char *close = q < end && *q == '"'
            ? memchr(q + 1, '"', (size_t)(end - q - 1)) : NULL;
        if (close && close > q + 1 &&
            incs_add(s, incs_join(path, dirlen, q + 1,
                                  (size_t)(close - q - 1))) < 0)
          return -1;
      }
    }
    p = end + 1;
  }
  return 0;
}

int incs_read(const char *path, char **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t cap = 4096, n = 0, got;
  char *b = malloc(cap + 1);
  while (b && (got = fread(b + n, 1, cap - n, f)) > 0)
    if ((n += got) == cap) {
      char *nb = realloc(b, (cap *= 2) + 1);
      if (!nb)
        free(b);
      b = nb;
    }
  int bad = !b ? ENOMEM : ferror(f) ? EIO : 0;
  fclose(f);
  if (bad) {
    free(b);
    errno = bad;
    return -1;
  }
  b[n] = 0;
  *data = b;
  *len = n;
  return 0;
}

static int by_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void incs_sort(incs *s)
{
  if (s->n > 1)
    qsort(s->paths, s->n, sizeof *s->paths, by_str);
}

void incs_free(incs *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->paths[i]);
  free(s->paths);
  s->paths = NULL;
  s->n = s->cap = 0;
}
