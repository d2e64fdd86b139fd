/* files.c -- small lists and buffers, allocation that exits on failure,
 * files (read, atomic write, a write that follows no link, mkdir -p), the
 * sweep of the temporary files killed runners left, and glob expansion
 * with `**`.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

char *xconcat(const char *first, ...)
{
  va_list ap;
  size_t n = 0;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *))
    n += strlen(s);
  va_end(ap);
  char *out = xmalloc(n + 1), *o = out;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *)) {
    size_t k = strlen(s);
    memcpy(o, s, k);
    o += k;
  }
  va_end(ap);
  *o = 0;
  return out;
}

/* ---- descriptors ---- */

bool write_all(int fd, const void *data, size_t n)
{
  for (const char *p = data; n;) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* ---- growable byte buffers ---- */

void buf_add(buf *b, const void *data, size_t len)
{
  if (b->n + len > b->cap) {
    while (b->n + len > b->cap)
      b->cap = b->cap ? 2 * b->cap : 256;
    b->p = xrealloc(b->p, b->cap);
  }
  if (len)
    memcpy(b->p + b->n, data, len);
  b->n += len;
}

void buf_vprintf(buf *b, const char *fmt, va_list ap)
{
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  if (n > 0) {
    if (b->n + (size_t)n + 1 > b->cap) {
      b->cap = b->n + (size_t)n + 1 > 2 * b->cap ? b->n + (size_t)n + 1
                                                  : 2 * b->cap;
      b->p = xrealloc(b->p, b->cap);
    }
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, aq);
    b->n += (size_t)n;
  }
  va_end(aq);
}

void buf_printf(buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void buf_json(buf *b, const char *s)
{
  buf_add(b, "\"", 1);
  for (; *s; s++)
    if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
      buf_printf(b, "\\u%04x", (unsigned char)*s);
    else
      buf_add(b, s, 1);
  buf_add(b, "\"", 1);
}

char *buf_str(buf *b)
{
  buf_add(b, "", 1);
  char *s = b->p;
  memset(b, 0, sizeof *b);
  return s;
}

void buf_free(buf *b)
{
  free(b->p);
  memset(b, 0, sizeof *b);
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
  struct stat st; /* its size, when known, saves the regrowing */
  bool sized = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
               st.st_size > 0 && (uintmax_t)st.st_size < SIZE_MAX;
  size_t cap = sized ? (size_t)st.st_size + 1 : 4096, n = 0;
  char *bytes = xmalloc(cap + 1);
  /* a regular file read to the size fstat gave is whole (an atomic
   * rename over it changes which file fd is, not its bytes): no read for
   * the end */
  while (!sized || n < (size_t)st.st_size) {
    if (n == cap)
      bytes = xrealloc(bytes, (cap *= 2) + 1);
    ssize_t r = read(fd, bytes + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      free(bytes);
      close(fd);
      errno = e;
      return -1;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  bytes[n] = 0;
  *data = bytes;
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

/* A set of directories by device and inode: those a `**` walk has
 * entered (each is walked once, so links back up (x -> .) cost one stat,
 * not a walk), those a run has swept. */
typedef struct visited {
  struct dirid {
    dev_t dev;
    ino_t ino;
  } *v;
  size_t n, cap; /* cap: a power of two, or 0 */
} visited;

/* Adds (dev, ino); false when it was there. */
static bool visit(visited *s, dev_t dev, ino_t ino)
{
  if (2 * (s->n + 1) > s->cap) {
    visited g = {.cap = s->cap ? 2 * s->cap : 64};
    g.v = xcalloc(g.cap, sizeof *g.v);
    for (size_t i = 0; i < s->cap; i++)
      if (s->v[i].dev || s->v[i].ino)
        visit(&g, s->v[i].dev, s->v[i].ino);
    free(s->v);
    *s = g;
  }
  size_t h = (size_t)(((uint64_t)ino * 0x9E3779B97F4A7C15u) >> 29) ^
             (size_t)dev;
  for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (!s->v[i].dev && !s->v[i].ino) {
      s->v[i] = (struct dirid){dev, ino};
      s->n++;
      return true;
    }
    if (s->v[i].dev == dev && s->v[i].ino == ino)
      return false;
  }
}

/* ---- what a killed runner left: its temporary files ----
 * write_in's temporary file is renamed, or removed on an error; a runner
 * killed (SIGKILL, the OOM killer, a power cut) between its open and its
 * rename leaves it.  The first write of a run into a directory sweeps
 * the directory of those: a readdir once per directory and run, only
 * where the runner writes (its cache, its state, restored artifacts). */

/* How old (by mtime, in seconds) a leftover must be: a runner that
 * kill(2) cannot see -- in another PID namespace sharing the directory,
 * where its PID may be free here -- keeps writing its file (each write
 * sets the mtime) and renames it at once, so a file untouched for 10
 * minutes is no live write's. */
enum { TMP_MARGIN_S = 600 };

/* The PID in name when name is exactly ".runner-tmp.PID.N" as write_in
 * makes it (PID and N decimal, without a leading zero), else 0. */
static pid_t tmp_pid(const char *name)
{
  static const char prefix[] = ".runner-tmp.";
  if (strncmp(name, prefix, sizeof prefix - 1))
    return 0;
  const char *s = name + sizeof prefix - 1;
  long long pid = 0;
  for (int i = 0; i < 2; i++) {
    const char *digits = s;
    for (; *s >= '0' && *s <= '9' && s - digits < 10; s++)
      if (!i)
        pid = 10 * pid + (*s - '0');
    if (s == digits || (*digits == '0' && s - digits > 1) ||
        *s != (i ? 0 : '.'))
      return 0;
    s += !i;
  }
  return pid > 0 && pid <= INT_MAX ? (pid_t)pid : 0;
}

/* Removes from the directory dirfd the temporary files of runners that
 * are gone: named by tmp_pid, regular files (not following: a link or a
 * directory of that name is left), last written TMP_MARGIN_S ago or more,
 * of a PID that is no process (kill(2): ESRCH; EPERM is another user's
 * live one) and not this one's.  Relative to dirfd: no link is followed. */
static void sweep(int dirfd)
{
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return;
  }
  time_t old = time(NULL) - TMP_MARGIN_S;
  pid_t self = getpid();
  struct dirent *de;
  while ((de = readdir(d))) {
    pid_t pid = de->d_name[0] == '.' ? tmp_pid(de->d_name) : 0;
    struct stat st;
    if (pid && pid != self &&
        fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && st.st_mtime <= old && kill(pid, 0) != 0 &&
        errno == ESRCH)
      unlinkat(dirfd, de->d_name, 0);
  }
  closedir(d);
}

/* Sweeps the directory dirfd when this is the process's first write
 * there (any thread). */
static void sweep_once(int dirfd)
{
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  static visited swept;
  struct stat st;
  if (fstat(dirfd, &st) != 0)
    return;
  pthread_mutex_lock(&mu);
  bool first = visit(&swept, st.st_dev, st.st_ino);
  pthread_mutex_unlock(&mu);
  if (first)
    sweep(dirfd);
}

/* Writes data to a new file of the directory dirfd under a temporary name
 * (O_EXCL, O_NOFOLLOW: nothing there is reused or followed) and renames
 * it over name, which is replaced, not followed, when it is a symbolic
 * link; 0 or -1 (errno).  The first write of a run in a directory sweeps
 * what killed runners left there (sweep_once). */
static int write_in(int dirfd, const char *name, const char *data,
                    size_t len, int mode)
{
  static atomic_uint seq;
  char tmp[64];
  int fd = -1;
  sweep_once(dirfd);
  for (int tries = 0; fd < 0 && tries < 100; tries++) {
    snprintf(tmp, sizeof tmp, ".runner-tmp.%ld.%u", (long)getpid(),
             atomic_fetch_add(&seq, 1));
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST)
      return -1;
  }
  if (fd < 0)
    return -1;
  int e = write_all(fd, data, len) ? 0 : errno ? errno : EIO;
  if (close(fd) != 0 && !e)
    e = errno;
  if (!e && renameat(dirfd, tmp, dirfd, name) != 0)
    e = errno;
  if (e)
    unlinkat(dirfd, tmp, 0);
  errno = e;
  return e ? -1 : 0;
}

int file_write_atomic(const char *path, const char *data, size_t len,
                       int mode)
{
  const char *slash = strrchr(path, '/');
  char *dir = slash ? xasprintf("%.*s", slash == path ? 1 : (int)(slash - path),
                                path)
                    : xstrdup(".");
  /* the directory is opened only to write in it: made when missing */
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 && errno == ENOENT && mkdir_p(dir) == 0)
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (dirfd < 0)
    return -1;
  int rc = write_in(dirfd, slash ? slash + 1 : path, data, len, mode);
  int e = errno;
  close(dirfd);
  errno = e;
  return rc;
}

int file_write_beneath(int dirfd, const char *path, const char *data,
                       size_t len, int mode, char *why, size_t n)
{
  char *copy = xstrdup(path), *name = copy, *slash;
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
  if (fd < 0) {
    snprintf(why, n, "%s", strerror(errno));
    free(copy);
    return -1;
  }
  /* each directory on the way: opened without following a link, made
   * when missing ("" and "." are no step) */
  while ((slash = strchr(name, '/'))) {
    *slash = 0;
    if (name[0] && strcmp(name, ".")) {
      int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
      int next = openat(fd, name, flags);
      if (next < 0 && errno == ENOENT &&
          (mkdirat(fd, name, 0777) == 0 || errno == EEXIST))
        next = openat(fd, name, flags);
      if (next < 0) {
        struct stat st;
        int e = errno;
        bool link = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode);
        snprintf(why, n, "%.*s %s", (int)(slash - copy), path,
                 link ? "is a symbolic link"
                 : e == ENOTDIR ? "is not a directory" : strerror(e));
        goto out;
      }
      close(fd);
      fd = next;
    }
    name = slash + 1;
  }
  if (write_in(fd, name, data, len, mode) != 0)
    snprintf(why, n, "%s", strerror(errno));
  else
    rc = 0;
out:
  close(fd);
  free(copy);
  return rc;
}

/* ---- globs ---- */

/* Whether a file or directory name is one `**` never enters: the
 * runner's state and git's. */
static bool skipped_name(const char *n, size_t len)
{
  return (len == 7 && !memcmp(n, ".runner", 7)) ||
         (len == 4 && !memcmp(n, ".git", 4));
}

/* Calls f on each "/"-separated component of path (n bytes, and the rest
 * of the path after it); stops and returns true when f does. */
static bool any_component(const char *path,
                          bool (*f)(const char *c, size_t n,
                                    const char *rest))
{
  for (const char *c = path;; c++) {
    size_t len = strcspn(c, "/");
    if (f(c, len, c[len] ? c + len + 1 : NULL))
      return true;
    c += len;
    if (!*c)
      return false;
  }
}

static bool skipped(const char *c, size_t n, const char *rest)
{
  (void)rest;
  return skipped_name(c, n);
}

/* .git, or .runner not followed by DIR/FILE with DIR a plugin's (not the
 * runner's cache or locks). */
static bool forbidden(const char *c, size_t n, const char *rest)
{
  if (n == 4 && !memcmp(c, ".git", 4))
    return true;
  if (n != 7 || memcmp(c, ".runner", 7))
    return false;
  size_t dn = rest ? strcspn(rest, "/") : 0;
  return !dn || !rest[dn] || !rest[dn + 1] ||
         (dn == 5 && !memcmp(rest, "cache", 5)) ||
         (dn == 10 && !memcmp(rest, "repo-cache", 10)) ||
         (dn == 5 && !memcmp(rest, "locks", 5));
}

bool artifact_forbidden(const char *path)
{
  return any_component(path, forbidden);
}

/* Whether path matches pattern (n bytes, writable), a `**` one, where
 * each component `**` (a `**` and its slash, from offset `from` on) may
 * also match no directory at all: src/ ** /x.c matches src/x.c as ** /x.c
 * matches x at the top.  Each subset of them left out is tried once, cut
 * out of pattern in place and put back: a walk asks for every file, and
 * most do not match. */
static bool deep_match(char *pattern, size_t n, size_t from, const char *path)
{
  if (fnmatch(pattern, path, 0) == 0)
    return true;
  for (char *s = strstr(pattern + from, "**/"); s; s = strstr(s + 1, "**/")) {
    if (s != pattern && s[-1] != '/')
      continue;
    size_t at = (size_t)(s - pattern), tail = n - at - 3;
    memmove(s, s + 3, tail + 1);
    bool m = deep_match(pattern, n - 3, at, path);
    memmove(s + 3, s, tail + 1);
    memcpy(s, "**/", 3);
    if (m)
      return true;
  }
  return false;
}

bool glob_match(const char *pattern, const char *path)
{
  if (!strstr(pattern, "**"))
    return fnmatch(pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0;
  if (any_component(path, skipped))
    return false;
  /* cut in a copy: on the stack unless the pattern is long */
  char room[256];
  size_t n = strlen(pattern);
  char *w = n < sizeof room ? room : xmalloc(n + 1);
  memcpy(w, pattern, n + 1);
  bool m = deep_match(w, n, 0, path);
  if (w != room)
    free(w);
  return m;
}

/* Walks dir (relative; "" is the root) in name order, following links,
 * each directory once, matching every file's path with glob_match.
 * The runner's state (.runner) and .git are skipped. */
static void walk(const char *dir, const char *pattern, visited *seen,
                 strlist *out)
{
  DIR *d = opendir(dir[0] ? dir : ".");
  if (!d)
    return;
  strlist names = {0};
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    if (!(n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) &&
        !skipped_name(n, strlen(n)))
      strlist_add(&names, n);
  }
  closedir(d);
  strlist_sort(&names);
  for (size_t i = 0; i < names.n; i++) {
    char *path = dir[0] ? xasprintf("%s/%s", dir, names.v[i])
                        : xstrdup(names.v[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (visit(seen, st.st_dev, st.st_ino))
        walk(path, pattern, seen, out);
    } else if (glob_match(pattern, path)) {
      strlist_take(out, path);
      continue;
    }
    free(path);
  }
  strlist_free(&names);
}

void glob_files(const char *pattern, strlist *out)
{
  strlist found = {0};
  if (strstr(pattern, "**")) {
    /* from the pattern's leading directories without wildcards ("src"
     * for src/ ** /x.h): files reached through a link there keep that
     * name */
    size_t lit = 0;
    for (size_t i = 0; pattern[i] && !strchr("*?[\\", pattern[i]); i++)
      if (pattern[i] == '/')
        lit = i;
    char *top = xasprintf("%.*s", (int)lit, pattern);
    visited seen = {0};
    struct stat st;
    if (stat(top[0] ? top : ".", &st) == 0 && S_ISDIR(st.st_mode) &&
        visit(&seen, st.st_dev, st.st_ino) && !any_component(top, skipped))
      walk(top, pattern, &seen, &found);
    free(seen.v);
    free(top);
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
