/* test_util.h -- small helpers shared by the test files.  Includes
 * stress.h, so that a file also built as a plain program (PK_STRESS_MAIN)
 * can use them.
 * SPDX-License-Identifier: MIT */
#ifndef PK_TEST_UTIL_H
#define PK_TEST_UTIL_H

#include "stress.h"
#include <plugkit.h>
#include <plugkit/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Writes TEXT to the file PATH (created or emptied). */
static inline void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

/* The whole file PATH, NUL-terminated; the caller frees it. */
static inline char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  cr_assert_not_null(s);
  cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

/* A new directory /tmp/PREFIX.XXXXXX into root (n bytes), made under
 * umask 022: plugin files others can write are refused (docs/security.md). */
static inline void make_temp_root(char *root, size_t n, const char *prefix)
{
  umask(022);
  snprintf(root, n, "/tmp/%s.XXXXXX", prefix);
  cr_assert_not_null(mkdtemp(root), "%s", root);
}

/* The state of plugin id (ns:name) of h, which must have it. */
static inline pk_plugin_state state_of(pk_host *h, const char *id)
{
  pk_plugin *p = pk_host_find_plugin(h, id);
  cr_assert_not_null(p, "%s", id);
  return pk_plugin_get_state(p);
}

/* Removes the directory root and everything under it. */
static inline void remove_temp_root(const char *root)
{
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", root);
}

/* Adds built-in plugin ns:name (version 1.0.0) with descriptor d, or none,
 * whose manifest requires req when req is not NULL. */
static inline void add_builtin_requiring(pk_host *h, const pk_plugin_desc *d,
                                         const char *ns, const char *name,
                                         const char *req)
{
  char text[256];
  int n = snprintf(text, sizeof text,
                   "name = \"%s\"\nnamespace = \"%s\"\nversion = \"1.0.0\"\n",
                   name, ns);
  if (req)
    snprintf(text + n, sizeof text - (size_t)n, "requires = [\"%s\"]\n", req);
  pk_error e;
  cr_assert_eq(pk_host_add_builtin(h, d, text, &e), PK_OK, "%s", e.message);
}

#endif
