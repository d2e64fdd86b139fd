/* file.c -- the one reader of the files the library is given or finds on
 * disk: manifests, fragments, host descriptions, configs, the metadata
 * cache.  Whatever sits at the path (a FIFO, a device, a file growing
 * without end) can neither block the host nor make it read without bound.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

/* What a path holds instead of a regular file, for messages. */
static const char *file_kind(mode_t mode)
{
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

pk_status pk__file_read(int dfd, const char *path, size_t max,
                        pk__file_buf_fn buf, void *ud, size_t *len,
                        struct stat *st, pk__file_why *why)
{
  struct stat sb;
  if (!st)
    st = &sb;
  *len = 0;
  *why = (pk__file_why){0, 0, 0, max};
  /* O_NONBLOCK: opening a FIFO must not wait for a writer (and a regular
   * file ignores it); O_NOCTTY: a terminal does not become ours */
  int fd = path ? openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
                                        O_NOCTTY)
                : dfd;
  if (fd < 0) {
    why->errnum = errno;
    return errno == ENOENT || errno == ENOTDIR ? PK_ENOTFOUND : PK_EIO;
  }
  pk_status rc = PK_OK;
  size_t cap, n = 0;
  if (fstat(fd, st) != 0) {
    why->errnum = errno;
    rc = PK_EIO;
  } else if (path && !S_ISREG(st->st_mode)) {
    why->mode = st->st_mode;
    rc = PK_EIO;
  } else if (S_ISREG(st->st_mode) && (uint64_t)st->st_size > max) {
    why->size = (uint64_t)st->st_size;
    rc = PK_ERANGE;
  }
  /* A regular file is read up to the size fstat gave (what it grows by
   * meanwhile is not read): one read() for a small file.  Anything else
   * (standard input, or a file of /proc that says it is empty) grows the
   * buffer up to max + 1 bytes. */
  bool sized = S_ISREG(st->st_mode) && st->st_size > 0;
  cap = sized ? (size_t)st->st_size : max < 4096 ? max + 1 : 4096;
  char *p = rc == PK_OK ? buf(ud, cap) : NULL;
  if (rc == PK_OK && !p)
    rc = PK_ENOMEM;
  while (rc == PK_OK) {
    if (n == cap) {
      if (sized)
        break;
      if (n > max) { /* why->size 0: its size is not known */
        rc = PK_ERANGE;
        break;
      }
      cap = cap > max / 2 ? max + 1 : cap * 2;
      if (!(p = buf(ud, cap))) {
        rc = PK_ENOMEM;
        break;
      }
    }
    ssize_t r = read(fd, p + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      why->errnum = errno;
      rc = PK_EIO;
    } else if (r == 0) {
      break;
    } else {
      n += (size_t)r;
    }
  }
  if (path)
    close(fd);
  *len = rc == PK_OK ? n : 0;
  return rc;
}

/* The probe of pk__file_read_small: a manifest is well under a page. */
#define PROBE 4096

pk_status pk__file_read_small(int dfd, const char *path, size_t max,
                              pk__file_buf_fn buf, void *ud, size_t *len,
                              pk__file_why *why)
{
  /* How it works: open, one pread() at offset 0 into a buffer on the
   * stack, close.  A regular file gives all its bytes to one read of more
   * than its size, so a short read is its end: neither fstat nor a read
   * that returns 0 is needed, one system call in four.  pread refuses
   * what cannot seek (ESPIPE: a FIFO, even one whose writer wrote a whole
   * manifest; a terminal), so only files and devices get this far.
   * Whatever else happened (nothing read, an error, a full probe: perhaps
   * a device, a directory, a big file) is read again by pk__file_read,
   * which tells what it is: the same plugins and errors as with fstat. */
  char probe[PROBE];
  *len = 0;
  *why = (pk__file_why){0, 0, 0, max};
  int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    why->errnum = errno;
    return errno == ENOENT || errno == ENOTDIR ? PK_ENOTFOUND : PK_EIO;
  }
  ssize_t r;
  do
    r = pread(fd, probe, sizeof probe, 0);
  while (r < 0 && errno == EINTR);
  close(fd);
  if (r <= 0 || (size_t)r == sizeof probe || (size_t)r > max)
    return pk__file_read(dfd, path, max, buf, ud, len, NULL, why);
  char *p = buf(ud, (size_t)r);
  if (!p)
    return PK_ENOMEM;
  memcpy(p, probe, (size_t)r);
  *len = (size_t)r;
  return PK_OK;
}

pk_status pk__file_fail(pk_error *err, pk_status st, const char *name,
                        const pk__file_why *why, const char *limit_hint)
{
  if (st == PK_ENOMEM)
    return pk__fail(err, st, "%s: out of memory", name);
  if (st == PK_ERANGE)
    return pk__fail(err, st, "%s: document too large: %s%llu bytes (the "
                    "limit is %zu bytes%s%s)", name,
                    why->size ? "" : "more than ",
                    (unsigned long long)(why->size ? why->size : why->max),
                    why->max, limit_hint ? "; " : "",
                    limit_hint ? limit_hint : "");
  if (why->mode)
    return pk__fail(err, st, "%s: not a regular file but %s; replace it with "
                    "a regular file", name, file_kind(why->mode));
  return pk__fail(err, st, "%s: cannot read: %s", name,
                  why->errnum ? strerror(why->errnum) : "unknown error");
}
