/* inputs.c -- the hash of a runnable's inputs (its cache key), and the
 * stat cache that spares reading files that did not change.
 *
 * The key is the SHA-256 of: the runnable's name, exec line, arguments,
 * constants (env configs, a dep's text), artifact patterns, then for each
 * file its glob deps match (sorted, once) its path and the XXH3-128 of its
 * bytes, and each pattern that matches nothing.
 *
 * The stat cache (ROOT/.runner/stat.cache) maps a path to what stat said
 * of it (size, mtime and ctime in ns, inode, device) when its bytes were
 * hashed, and the hash: while stat says the same, the bytes are not read
 * again (git's index does the same).  A write within a file system's
 * timestamp granularity of the hashing could leave the same stat with
 * other bytes, so an entry is trusted only when the file's mtime and ctime
 * are more than RACY_NS older than the moment its bytes were read (git's
 * "racily clean" rule): a file edited the same second it was hashed, or
 * edited twice within a second, is read again.  The file is read through
 * the descriptor that was fstat'ed, so what is recorded is what was read.
 * The cache is a cache: a damaged or foreign one is dropped, a lost update
 * only costs a read; concurrent runners each write theirs whole
 * (atomically), and every entry is checked against stat before use.
 * Workers look it up at once under one lock.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "runner.h"

/* A FAT file system keeps times to 2 s; others to a clock tick or a
 * second. */
#define RACY_NS (2 * 1000000000LL)

static const char magic[] = "runner-stat 1\n";

typedef struct sentry {
  const char *path;        /* in g_file, or owned (new) */
  int64_t size, mtime, ctime, read_at; /* ns */
  uint64_t ino, dev;
  char hex[CONTENT_HEX];
  bool owned;
} sentry;

/* The record on disk: the fields above, then the path's length (uint16),
 * the path and a NUL. */
enum { RECORD = 6 * 8 + (CONTENT_HEX - 1) + 2 };

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static strmap g_map;       /* path -> sentry */
static sentry *g_loaded;   /* the entries read from the file */
static char *g_file;       /* its bytes (paths point into them) */
static char *g_path;       /* NULL: no stat cache */
static bool g_dirty;

static int64_t ns_of(struct timespec ts)
{
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- loading and saving ---- */

/* Reads the cache file into g_map; anything unexpected drops it all. */
static void load(void)
{
  size_t len, off = sizeof magic - 1 + 8;
  uint64_t count;
  if (file_read(g_path, &g_file, &len) != 0)
    return;
  if (len < off || memcmp(g_file, magic, sizeof magic - 1) != 0)
    goto drop;
  memcpy(&count, g_file + sizeof magic - 1, 8);
  if (count > len / RECORD)
    goto drop;
  g_loaded = xcalloc((size_t)count, sizeof *g_loaded);
  strmap_reserve(&g_map, (size_t)count);
  for (uint64_t i = 0; i < count; i++) {
    sentry *e = &g_loaded[i];
    uint16_t plen;
    if (len - off < RECORD)
      goto drop;
    const char *p = g_file + off;
    memcpy(&e->size, p, 8);
    memcpy(&e->mtime, p + 8, 8);
    memcpy(&e->ctime, p + 16, 8);
    memcpy(&e->read_at, p + 24, 8);
    memcpy(&e->ino, p + 32, 8);
    memcpy(&e->dev, p + 40, 8);
    memcpy(e->hex, p + 48, CONTENT_HEX - 1);
    memcpy(&plen, p + 48 + CONTENT_HEX - 1, 2);
    off += RECORD;
    if (plen == 0 || len - off < (size_t)plen + 1 || g_file[off + plen])
      goto drop;
    e->path = g_file + off;
    off += (size_t)plen + 1;
    strmap_put(&g_map, e->path, e);
  }
  return;
drop:
  strmap_free(&g_map);
  free(g_loaded);
  free(g_file);
  g_loaded = NULL;
  g_file = NULL;
}

void inputs_open(const char *state_dir)
{
  g_path = xconcat(state_dir, "/stat.cache", NULL);
  load();
}

static void put64(buf *t, const void *v) { buf_add(t, v, 8); }

void inputs_close(void)
{
  if (g_path && g_dirty) {
    buf t = {0};
    uint64_t count = 0;
    buf_add(&t, magic, sizeof magic - 1);
    put64(&t, &count);
    for (size_t i = 0; i < g_map.cap; i++) {
      const sentry *e = g_map.keys[i] ? g_map.vals[i] : NULL;
      size_t plen = e ? strlen(e->path) : 0;
      if (!e || plen > UINT16_MAX)
        continue;
      uint16_t p16 = (uint16_t)plen;
      put64(&t, &e->size);
      put64(&t, &e->mtime);
      put64(&t, &e->ctime);
      put64(&t, &e->read_at);
      put64(&t, &e->ino);
      put64(&t, &e->dev);
      buf_add(&t, e->hex, CONTENT_HEX - 1);
      buf_add(&t, (const char *)&p16, 2);
      buf_add(&t, e->path, plen + 1);
      count++;
    }
    memcpy(t.p + sizeof magic - 1, &count, 8);
    if (file_write_atomic(g_path, t.p, t.n, 0644) != 0)
      runner_warn("cannot write %s: %s (the next run reads every input "
                  "again)", g_path, strerror(errno));
    buf_free(&t);
  }
  for (size_t i = 0; i < g_map.cap; i++) {
    sentry *e = g_map.keys[i] ? g_map.vals[i] : NULL;
    if (e && e->owned) {
      free((char *)e->path);
      free(e);
    }
  }
  strmap_free(&g_map);
  free(g_loaded);
  free(g_file);
  free(g_path);
  g_loaded = NULL;
  g_file = g_path = NULL;
  g_dirty = false;
}

/* ---- a file's content hash ---- */

static bool same(const sentry *e, const struct stat *st)
{
  return e->size == (int64_t)st->st_size &&
         e->mtime == ns_of(st->st_mtim) && e->ctime == ns_of(st->st_ctim) &&
         e->ino == (uint64_t)st->st_ino && e->dev == (uint64_t)st->st_dev;
}

/* The XXH3-128 of path's bytes (st: what stat said of it) into hex, from
 * the cache when it may be trusted, else read (and recorded); a file
 * that cannot be read is "unreadable:ERRNO". */
static void content_of(const char *path, const struct stat *st, char *hex,
                       size_t n)
{
  pthread_mutex_lock(&g_mu);
  const sentry *e = g_path ? strmap_get(&g_map, path) : NULL;
  bool hit = e && same(e, st) && e->mtime < e->read_at - RACY_NS &&
             e->ctime < e->read_at - RACY_NS;
  if (hit)
    memcpy(hex, e->hex, CONTENT_HEX);
  pthread_mutex_unlock(&g_mu);
  if (hit)
    return;
  struct stat fst;
  struct timespec now;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &fst) != 0 ||
      clock_gettime(CLOCK_REALTIME, &now) != 0 ||
      content_hex_of_fd(fd, S_ISREG(fst.st_mode) ? (long long)fst.st_size
                                                 : -1, hex) != 0) {
    snprintf(hex, n, "unreadable:%d", errno);
    if (fd >= 0)
      close(fd);
    return;
  }
  close(fd);
  if (!g_path)
    return;
  pthread_mutex_lock(&g_mu);
  sentry *w = strmap_get(&g_map, path);
  if (!w) {
    w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    w->owned = true;
    strmap_put(&g_map, w->path, w);
  }
  w->size = (int64_t)fst.st_size;
  w->mtime = ns_of(fst.st_mtim);
  w->ctime = ns_of(fst.st_ctim);
  w->ino = (uint64_t)fst.st_ino;
  w->dev = (uint64_t)fst.st_dev;
  w->read_at = ns_of(now);
  memcpy(w->hex, hex, CONTENT_HEX);
  g_dirty = true;
  pthread_mutex_unlock(&g_mu);
}

/* ---- the key ---- */

typedef struct input {
  char *path;
  struct stat st;
} input;

static int by_path(const void *a, const void *b)
{
  return strcmp(((const input *)a)->path, ((const input *)b)->path);
}

static void hash_str(hasher *s, const char *tag, const char *v)
{
  hasher_update(s, tag, strlen(tag) + 1);
  hasher_update(s, v, strlen(v) + 1);
}

/* Whether pattern is a plain path (no glob character). */
static bool literal(const char *pattern)
{
  return !strpbrk(pattern, "*?[\\");
}

void hash_inputs(const runnable *r, char hex[65])
{
  hasher s;
  hasher_init(&s);
  hash_str(&s, "runner-hash", "3"); /* 3: XXH3-128 contents, stat cache */
  hash_str(&s, "name", r->name);
  hash_str(&s, "exec", r->exec);
  for (size_t i = 0; i < r->args.n; i++)
    hash_str(&s, "arg", r->args.v[i]);
  for (size_t i = 0; i < r->constants.n; i++)
    hash_str(&s, "const", r->constants.v[i]);
  for (size_t i = 0; i < r->artifacts.n; i++)
    hash_str(&s, "artifact", r->artifacts.v[i]);
  input *in = NULL;
  size_t n = 0, cap = 0;
  strlist found = {0};
  for (size_t i = 0; i < r->globs.n; i++) {
    const char *g = r->globs.v[i];
    struct stat st;
    size_t before = n;
    if (literal(g)) { /* one stat, no glob(3) */
      if (stat(g, &st) == 0 && S_ISREG(st.st_mode)) {
        if (n == cap)
          in = xrealloc(in, (cap = cap ? 2 * cap : 16) * sizeof *in);
        in[n++] = (input){xstrdup(g), st};
      }
    } else {
      glob_files(g, &found);
      for (size_t k = 0; k < found.n; k++) {
        if (stat(found.v[k], &st) != 0)
          continue;
        if (n == cap)
          in = xrealloc(in, (cap = cap ? 2 * cap : 16) * sizeof *in);
        in[n++] = (input){found.v[k], st};
        found.v[k] = NULL;
      }
      strlist_free(&found);
    }
    if (n == before)
      hash_str(&s, "no-match", g);
  }
  if (n > 1)
    qsort(in, n, sizeof *in, by_path);
  for (size_t i = 0; i < n; i++) {
    if (i && !strcmp(in[i].path, in[i - 1].path))
      continue;
    char fh[CONTENT_HEX + 32];
    content_of(in[i].path, &in[i].st, fh, sizeof fh);
    hash_str(&s, in[i].path, fh);
  }
  for (size_t i = 0; i < n; i++)
    free(in[i].path);
  free(in);
  hasher_hex(&s, hex);
}
