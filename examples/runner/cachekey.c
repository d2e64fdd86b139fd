/* cachekey.c -- the cache key: the secret that authenticates cache entries
 * (HMAC-SHA256, entry.c) for a cache shared with machines that should not
 * be able to forge results, e.g. a Redis several CI runners write to.
 * SPDX-License-Identifier: MIT
 *
 *   RUNNER_CACHE_KEY_FILE=PATH   the key is the contents of PATH (a
 *                                regular file; one trailing newline is
 *                                not part of it)
 *   RUNNER_CACHE_KEY=SECRET      the key itself (removed from the
 *                                environment of the commands and plugins)
 *
 * Never in runner.toml: the file is shared, the key is not.  At least
 * MIN_KEY bytes, at most MAX_KEY. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

enum { MIN_KEY = 16, MAX_KEY = 4096 };

#define HOW "make one: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE"

/* The key file's bytes (a regular file, at most MAX_KEY + 2 bytes) into
 * key; its length, or -1 after a message. */
static long read_key_file(const char *path, char *key, size_t n)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "runner: RUNNER_CACHE_KEY_FILE %s: %s (%s)\n", path,
            strerror(errno), HOW);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode) || (size_t)st.st_size > n) {
    fprintf(stderr, "runner: RUNNER_CACHE_KEY_FILE %s: %s\n", path,
            S_ISREG(st.st_mode) ? "too big for a key (at most 4096 bytes)"
                                : "not a regular file");
    close(fd);
    return -1;
  }
  if (st.st_mode & 077)
    runner_warn("RUNNER_CACHE_KEY_FILE %s can be read by other users: "
                "chmod 600 %s", path, path);
  ssize_t len = read(fd, key, n);
  int e = errno;
  close(fd);
  if (len < 0) {
    fprintf(stderr, "runner: RUNNER_CACHE_KEY_FILE %s: %s\n", path,
            strerror(e));
    return -1;
  }
  if (len > 0 && key[len - 1] == '\n')
    len--;
  if (len > 0 && key[len - 1] == '\r')
    len--;
  return (long)len;
}

int cache_key_load(void)
{
  const char *file = getenv("RUNNER_CACHE_KEY_FILE");
  const char *value = getenv("RUNNER_CACHE_KEY");
  if (!file && !value)
    return 0;
  if (file && value) {
    fprintf(stderr, "runner: both RUNNER_CACHE_KEY and RUNNER_CACHE_KEY_FILE "
            "are set: keep one\n");
    return 2;
  }
  char key[MAX_KEY + 2];
  long len;
  const char *from = file ? "RUNNER_CACHE_KEY_FILE" : "RUNNER_CACHE_KEY";
  if (file) {
    len = read_key_file(file, key, sizeof key);
  } else {
    len = (long)strlen(value);
    if (len > MAX_KEY + 1)
      len = MAX_KEY + 1;
    memcpy(key, value, (size_t)len);
    unsetenv("RUNNER_CACHE_KEY"); /* the commands do not need it */
  }
  if (len >= 0 && (len < MIN_KEY || len > MAX_KEY))
    fprintf(stderr, "runner: %s: the cache key is %ld bytes; use %d to %d "
            "(%s)\n", from, len, MIN_KEY, MAX_KEY, HOW);
  int rc = len >= MIN_KEY && len <= MAX_KEY ? 0 : 2;
  if (rc == 0)
    entry_set_secret(key, (size_t)len);
  explicit_bzero(key, sizeof key);
  return rc;
}
