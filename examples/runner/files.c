/* files.c -- small lists, allocation that exits on failure, files (read,
 * atomic write, mkdir -p) and glob expansion with `**`.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

/* ---- allocation: the runner is a short-lived program; running out of
 * memory ends it with a message ---- */

static void *check(void *p)
{
  if (!p) {
    fputs("runner: out of memory\n", stderr);
    exit(3);
  }
  return p;
}

void *xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size)); }
void *xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check(strdup(s)); }

char *xasprintf(const char *fmt, ...)
{
  va_list ap, aq;
  va_start(ap, fmt);
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, aq);
  va_end(aq);
  return s;
}

/* ---- string lists ---- */

void strlist_take(strlist *l, char *s)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 8;
    l->v = xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = s;
}

void strlist_add(strlist *l, const char *s) { strlist_take(l, xstrdup(s)); }

bool strlist_has(const strlist *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->v[i], s))
      return true;
  return false;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(strlist *l)
{
  if (l->n > 1)
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

void strlist_free(strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

/* ---- files ---- */

int file_read(const char *path, char **data, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t cap = 4096, n = 0;
  char *buf = xmalloc(cap + 1);
  for (;;) {
    if (n == cap)
      buf = xrealloc(buf, (cap *= 2) + 1);
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      close(fd);
      errno = e;
      return -1;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  *data = buf;
  *len = n;
  return 0;
}

int mkdir_p(const char *dir)
{
  char *p = xstrdup(dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      free(p);
      return -1;
    }
    *s = '/';
  }
  int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

int file_write_atomic(const char *path, const char *data, size_t len,
                      int mode)
{
  const char *slash = strrchr(path, '/');
  if (slash && slash != path) {
    char *dir = xasprintf("%.*s", (int)(slash - path), path);
    int rc = mkdir_p(dir);
    free(dir);
    if (rc != 0)
      return -1;
  }
  char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    free(tmp);
    return -1;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      break;
    off += (size_t)w;
  }
  int e = off < len ? errno : 0;
  if (close(fd) != 0 && !e)
    e = errno;
  if (!e && rename(tmp, path) != 0)
    e = errno;
  if (e)
    unlink(tmp);
  free(tmp);
  errno = e;
  return e ? -1 : 0;
}

/* ---- globs ---- */

/* Walks dir (relative; "" is the root), matching every file's path with
 * fnmatch without FNM_PATHNAME, so `*` and `**` cross directories.  The
 * runner's state (.runner) and .git are skipped. */
static void walk(const char *dir, const char *pattern, const char *alt,
                 strlist *out)
{
  DIR *d = opendir(dir[0] ? dir : ".");
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]) ||
                        !strcmp(n, ".runner") || !strcmp(n, ".git")))
      continue;
    char *path = dir[0] ? xasprintf("%s/%s", dir, n) : xstrdup(n);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      walk(path, pattern, alt, out);
    else if (fnmatch(pattern, path, 0) == 0 ||
             (alt && fnmatch(alt, path, 0) == 0)) {
      strlist_take(out, path);
      continue;
    }
    free(path);
  }
  closedir(d);
}

void glob_files(const char *pattern, strlist *out)
{
  strlist found = {0};
  if (strstr(pattern, "**")) {
    /* "**" + "/x" also matches x at the top */
    const char *alt = !strncmp(pattern, "**/", 3) ? pattern + 3 : NULL;
    walk("", pattern, alt, &found);
  } else {
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
          strlist_add(&found, g.gl_pathv[i]);
      }
    globfree(&g);
  }
  strlist_sort(&found);
  for (size_t i = 0; i < found.n; i++)
    if (!strlist_has(out, found.v[i]))
      strlist_add(out, found.v[i]);
  strlist_free(&found);
}

char *slugify(const char *name)
{
  size_t n = strlen(name);
  char *s = xmalloc(2 * n + 1), *o = s;
  for (const char *c = name; *c; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
        (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-') {
      *o++ = *c;
    } else {
      *o++ = '_';
      *o++ = '_';
    }
  }
  *o = 0;
  return s;
}
