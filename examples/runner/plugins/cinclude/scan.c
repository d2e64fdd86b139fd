/* scan.c -- cinclude-scan SOURCE OUT: the files a C source depends on.
 * Follows every #include "file" (not <file>) relative to the including
 * file's directory, transitively (each file once), and writes OUT
 * atomically, one line per file sorted by path:
 *   src/main.c 3f2a...(XXH3-128 of its contents)
 *   src/gone.h missing
 * Paths are relative to the current directory (the project root) when the
 * source is.  Exit 0, or 1 when SOURCE or OUT cannot be read or written.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"

typedef struct file {
  char *path;
  char hex[CONTENT_HEX]; /* "" when missing */
} file;

static file *g_files;
static size_t g_n, g_cap;

static void *xrealloc(void *p, size_t n)
{
  if (!(p = realloc(p, n))) {
    fprintf(stderr, "cinclude-scan: out of memory\n");
    exit(1);
  }
  return p;
}

/* Reads path whole; 0 or -1 (errno set). */
static int slurp(const char *path, char **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  size_t cap = 4096, n = 0, got;
  char *buf;
  if (!f)
    return -1;
  buf = xrealloc(NULL, cap + 1);
  while ((got = fread(buf + n, 1, cap - n, f)) > 0)
    if ((n += got) == cap)
      buf = xrealloc(buf, (cap *= 2) + 1);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    errno = EIO;
    return -1;
  }
  buf[n] = 0;
  *data = buf;
  *len = n;
  return 0;
}

/* dir/name (name alone when absolute or dir is empty), lexically
 * normalized: "a/./b/../c" -> "a/c", "../x" kept; malloc()ed. */
static char *join(const char *dir, size_t dirlen, const char *name,
                  size_t namelen)
{
  if (name[0] == '/')
    dirlen = 0;
  char *in = xrealloc(NULL, dirlen + namelen + 2);
  char *out = xrealloc(NULL, dirlen + namelen + 2);
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

/* Adds path to the list unless it is there; 1 when added. */
static int add(char *path)
{
  for (size_t i = 0; i < g_n; i++)
    if (strcmp(g_files[i].path, path) == 0) {
      free(path);
      return 0;
    }
  if (g_n == g_cap)
    g_files = xrealloc(g_files, (g_cap = g_cap ? 2 * g_cap : 16) *
                                    sizeof *g_files);
  g_files[g_n].path = path;
  g_files[g_n].hex[0] = 0;
  g_n++;
  return 1;
}

/* Hashes file i and queues the files it includes. */
static void scan(size_t i)
{
  char *data;
  size_t len;
  if (slurp(g_files[i].path, &data, &len) != 0)
    return; /* missing */
  content_hex_of(data, len, g_files[i].hex);
  const char *path = g_files[i].path, *slash = strrchr(path, '/');
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
        if (close && close > q + 1)
          add(join(path, dirlen, q + 1, (size_t)(close - q - 1)));
      }
    }
    p = end + 1;
  }
  free(data);
}

static int by_path(const void *a, const void *b)
{
  return strcmp(((const file *)a)->path, ((const file *)b)->path);
}

/* mkdir -p of the directory part of path. */
static void make_parents(const char *path)
{
  char *d = join("", 0, path, strlen(path));
  for (char *s = d + 1; (s = strchr(s, '/')) != NULL; s++) {
    *s = 0;
    mkdir(d, 0777);
    *s = '/';
  }
  free(d);
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: cinclude-scan SOURCE OUT\n");
    return 2;
  }
  char *data;
  size_t len;
  if (slurp(argv[1], &data, &len) != 0) {
    fprintf(stderr, "cinclude-scan: cannot read %s: %s\n", argv[1],
            strerror(errno));
    return 1;
  }
  free(data);
  add(join("", 0, argv[1], strlen(argv[1])));
  for (size_t i = 0; i < g_n; i++)
    scan(i);
  qsort(g_files, g_n, sizeof *g_files, by_path);

  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", argv[2], (long)getpid());
  make_parents(argv[2]);
  FILE *f = fopen(tmp, "w");
  int ok = f != NULL;
  for (size_t i = 0; ok && i < g_n; i++)
    ok = fprintf(f, "%s %s\n", g_files[i].path,
                 g_files[i].hex[0] ? g_files[i].hex : "missing") > 0;
  if (f && fclose(f) != 0)
    ok = 0;
  if (!ok || rename(tmp, argv[2]) != 0) {
    fprintf(stderr, "cinclude-scan: cannot write %s: %s\n", argv[2],
            strerror(errno));
    unlink(tmp);
    ok = 0;
  }
  for (size_t i = 0; i < g_n; i++)
    free(g_files[i].path);
  free(g_files);
  return ok ? 0 : 1;
}
