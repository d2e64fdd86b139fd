/* includes.h -- following the #include "..." lines of C files: shared by
 * cinclude-scan (scan.c) and the cinclude plugin's graph factory.
 * SPDX-License-Identifier: MIT */
#ifndef CINCLUDE_INCLUDES_H
#define CINCLUDE_INCLUDES_H

#include <stddef.h>

/* A set of paths in the order added (a list: small sets). */
typedef struct incs {
  char **paths;
  size_t n, cap;
} incs;

/* Adds path (taken: freed when already there or on failure): 1 added, 0
 * there already, -1 out of memory. */
int incs_add(incs *s, char *path);
/* dir (dirlen bytes) / name (namelen bytes), name alone when absolute or
 * dir empty, lexically normalized ("a/./b/../c" is "a/c", a leading ".."
 * stays); malloc()ed, NULL when out of memory. */
char *incs_join(const char *dir, size_t dirlen, const char *name,
                size_t namelen);
/* Adds the files data (len bytes: the file at path) includes with
 * #include "FILE", relative to path's directory: 0, or -1 out of
 * memory. */
int incs_scan(incs *s, const char *path, const char *data, size_t len);
/* Reads the file at path whole (NUL-terminated, malloc()ed): 0, or -1
 * (errno; ENOMEM when out of memory). */
int incs_read(const char *path, char **data, size_t *len);
/* Sorts the paths (strcmp). */
void incs_sort(incs *s);
void incs_free(incs *s);

#endif
