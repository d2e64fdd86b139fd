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
#include "includes.h"

typedef struct file {
  const char *path;
  char hex[CONTENT_HEX]; /* "" when missing */
} file;

static void oom(void)
{
  fprintf(stderr, "cinclude-scan: out of memory\n");
  exit(1);
}

static void *xrealloc(void *p, size_t n)
{
  if (!(p = realloc(p, n)))
    oom();
  return p;
}

/* Reads path whole; 0 or -1 (errno set); out of memory ends it. */
static int slurp(const char *path, char **data, size_t *len)
{
  int rc = incs_read(path, data, len);
  if (rc != 0 && errno == ENOMEM)
    oom();
  return rc;
}

static int by_path(const void *a, const void *b)
{
  return strcmp(((const file *)a)->path, ((const file *)b)->path);
}

/* mkdir -p of the directory part of path. */
static void make_parents(const char *path)
{
  char *d = incs_join("", 0, path, strlen(path));
  for (char *s = d ? d + 1 : NULL; s && (s = strchr(s, '/')) != NULL; s++) {
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
  /* each file once: hashed, and what it includes queued */
  incs set = {0};
  file *files = NULL;
  if (incs_add(&set, incs_join("", 0, argv[1], strlen(argv[1]))) < 0)
    oom();
  for (size_t i = 0; i < set.n; i++) {
    files = xrealloc(files, set.cap * sizeof *files);
    files[i].path = set.paths[i];
    files[i].hex[0] = 0;
    if (slurp(set.paths[i], &data, &len) != 0)
      continue; /* missing */
    content_hex_of(data, len, files[i].hex);
    if (incs_scan(&set, set.paths[i], data, len) != 0)
      oom();
    free(data);
  }
  qsort(files, set.n, sizeof *files, by_path);

  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", argv[2], (long)getpid());
  make_parents(argv[2]);
  FILE *f = fopen(tmp, "w");
  int ok = f != NULL;
  for (size_t i = 0; ok && i < set.n; i++)
    ok = fprintf(f, "%s %s\n", files[i].path,
                 files[i].hex[0] ? files[i].hex : "missing") > 0;
  if (f && fclose(f) != 0)
    ok = 0;
  if (!ok || rename(tmp, argv[2]) != 0) {
    fprintf(stderr, "cinclude-scan: cannot write %s: %s\n", argv[2],
            strerror(errno));
    unlink(tmp);
    ok = 0;
  }
  free(files);
  incs_free(&set);
  return ok ? 0 : 1;
}
