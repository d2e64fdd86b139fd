/* fuzz.h -- what every libFuzzer target here shares: its entry point,
 * CHECK, which aborts (a finding) with the condition and its place, and a
 * scratch directory for the targets that read files.
 * SPDX-License-Identifier: MIT */
#ifndef PK_FUZZ_H
#define PK_FUZZ_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                              \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);   \
      abort();                                                                 \
    }                                                                          \
  } while (0)

static char fuzz_dir[256];

static inline void fuzz_remove_dir(void)
{
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", fuzz_dir);
}

/* A directory of this process's own under $TMPDIR (default /tmp), removed
 * at exit; made on the first call. */
static inline const char *fuzz_tmpdir(void)
{
  if (!fuzz_dir[0]) {
    const char *t = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/pk-fuzz.XXXXXX",
             t && *t ? t : "/tmp");
    CHECK(mkdtemp(fuzz_dir) != NULL);
    atexit(fuzz_remove_dir);
  }
  return fuzz_dir;
}

/* DIR/REL in a static buffer of its own (one of 8, reused in turn). */
static inline const char *fuzz_path(const char *rel)
{
  static char paths[8][512];
  static unsigned next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", fuzz_tmpdir(), rel);
  return p;
}

/* Writes size bytes to path (created or emptied; made directories must
 * exist). */
static inline void fuzz_write(const char *path, const void *data, size_t size)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  const char *p = data;
  while (size) {
    ssize_t w = write(fd, p, size);
    CHECK(w > 0);
    p += w;
    size -= (size_t)w;
  }
  close(fd);
}

#endif
