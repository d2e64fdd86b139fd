/* entry.c -- the cache entry format: one blob per runnable, the same bytes
 * in the local store and in a remote one.
 * SPDX-License-Identifier: MIT
 *
 *   runner-entry 1
 *   name NAME
 *   hash HEX
 *   code N
 *   log LEN            then LEN bytes and "\n"
 *   artifact MODE LEN PATH   then LEN bytes and "\n"   (any number)
 *   digest HEX         SHA-256 of every byte before this line
 *
 * A reader checks the digest first, then every line strictly: a truncated,
 * damaged or foreign entry is a miss, never replayed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "hash.h"

typedef struct buf {
  char *p;
  size_t n, cap;
} buf;

static void put(buf *b, const void *data, size_t len)
{
  if (b->n + len > b->cap) {
    while (b->n + len > b->cap)
      b->cap = b->cap ? 2 * b->cap : 4096;
    b->p = xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, data, len);
  b->n += len;
}

static void putf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(buf *b, const char *fmt, ...)
{
  char line[4200];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  put(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void entry_pack(const entry *e, char **out, size_t *len)
{
  buf b = {0};
  putf(&b, "runner-entry 1\nname %s\nhash %s\ncode %d\nlog %zu\n", e->name,
       e->hash, e->code, e->loglen);
  put(&b, e->log, e->loglen);
  put(&b, "\n", 1);
  for (size_t i = 0; i < e->narts; i++) {
    const entry_artifact *a = &e->arts[i];
    putf(&b, "artifact %o %zu %s\n", (unsigned)a->mode, a->len, a->path);
    put(&b, a->data, a->len);
    put(&b, "\n", 1);
  }
  char hex[65];
  hash_hex_of(b.p, b.n, hex);
  putf(&b, "digest %s\n", hex);
  *out = b.p;
  *len = b.n;
}

void entry_free(entry *e)
{
  free(e->name);
  free(e->hash);
  free(e->log);
  for (size_t i = 0; i < e->narts; i++) {
    free(e->arts[i].path);
    free(e->arts[i].data);
  }
  free(e->arts);
  memset(e, 0, sizeof *e);
}

/* A reader over the bytes before the digest line. */
typedef struct rd {
  const char *p, *end;
} rd;

/* The next line (without "\n") into line; false at the end or when too
 * long. */
static bool line_of(rd *r, char *line, size_t n)
{
  const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  if (!nl || (size_t)(nl - r->p) >= n)
    return false;
  memcpy(line, r->p, (size_t)(nl - r->p));
  line[nl - r->p] = 0;
  r->p = nl + 1;
  return true;
}

/* len bytes then "\n", copied into a new NUL-terminated string. */
static bool bytes_of(rd *r, size_t len, char **out)
{
  if ((size_t)(r->end - r->p) < len + 1 || r->p[len] != '\n')
    return false;
  *out = xmalloc(len + 1);
  memcpy(*out, r->p, len);
  (*out)[len] = 0;
  r->p += len + 1;
  return true;
}

/* A relative path with no ".." component: it stays in the project. */
static bool inside(const char *path)
{
  if (!*path || path[0] == '/')
    return false;
  for (const char *c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
    if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
      return false;
  return true;
}

#define BAD(...)                                                               \
  do {                                                                         \
    if (why)                                                                   \
      snprintf(why, n, __VA_ARGS__);                                           \
    entry_free(e);                                                             \
    return -1;                                                                 \
  } while (0)

int entry_parse(const char *data, size_t len, const runner_key *key,
                entry *e, char *why, size_t n)
{
  memset(e, 0, sizeof *e);
  /* the digest line: the last line, 7 + 64 + 1 bytes */
  const size_t dl = 7 + 64 + 1;
  if (len < dl || data[len - 1] != '\n' ||
      memcmp(data + len - dl, "digest ", 7) != 0)
    BAD("truncated (no digest line)");
  char want[65], got[65];
  memcpy(want, data + len - dl + 7, 64);
  want[64] = 0;
  hash_hex_of(data, len - dl, got);
  if (strcmp(want, got) != 0)
    BAD("digest mismatch (damaged)");
  rd r = {data, data + len - dl};
  char line[4200];
  size_t loglen;
  if (!line_of(&r, line, sizeof line) || strcmp(line, "runner-entry 1"))
    BAD("not a runner entry (version line)");
  if (!line_of(&r, line, sizeof line) || strncmp(line, "name ", 5))
    BAD("no name line");
  e->name = xstrdup(line + 5);
  if (!line_of(&r, line, sizeof line) || strncmp(line, "hash ", 5))
    BAD("no hash line");
  e->hash = xstrdup(line + 5);
  if (!line_of(&r, line, sizeof line) || sscanf(line, "code %d", &e->code) != 1)
    BAD("no code line");
  if (!line_of(&r, line, sizeof line) || sscanf(line, "log %zu", &loglen) != 1 ||
      !bytes_of(&r, loglen, &e->log))
    BAD("bad log");
  e->loglen = loglen;
  while (r.p < r.end) {
    unsigned mode;
    size_t alen;
    int off = 0;
    if (!line_of(&r, line, sizeof line) ||
        sscanf(line, "artifact %o %zu %n", &mode, &alen, &off) != 2 || !off)
      BAD("bad artifact line");
    e->arts = xrealloc(e->arts, (e->narts + 1) * sizeof *e->arts);
    entry_artifact *a = &e->arts[e->narts];
    memset(a, 0, sizeof *a);
    a->path = xstrdup(line + off);
    a->mode = (int)(mode & 0777);
    a->len = alen;
    e->narts++;
    if (!bytes_of(&r, alen, &a->data))
      BAD("artifact %s truncated", a->path);
    if (!inside(a->path))
      BAD("artifact path %s leaves the project", a->path);
  }
  if (key && strcmp(e->name, key->runnable))
    BAD("entry of %s, not %s", e->name, key->runnable);
  if (key && strcmp(e->hash, key->hash))
    BAD("stale (another hash)");
  return 0;
}

int entry_check(const char *data, size_t len, const runner_key *key,
                char *why, size_t n)
{
  entry e;
  int rc = entry_parse(data, len, key, &e, why, n);
  if (rc == 0)
    entry_free(&e);
  return rc;
}
