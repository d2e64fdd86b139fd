/* test_files.c -- what sits where the library reads a file (issue 12, item
 * 6): a FIFO, a device, a directory or a file over the size limit, as a
 * manifest, a document, a fragment, a host description or a config, gives a
 * precise error naming the file and never blocks or reads without end.
 * Each test has a timeout: before the fix, a FIFO blocked the reader.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plugkit.h>

#include "test_util.h"

static char root[64];

static void make_root(void) { make_temp_root(root, sizeof root, "pk-files"); }

static void remove_root(void) { remove_temp_root(root); }

TestSuite(files, .init = make_root, .fini = remove_root, .timeout = 20);

/* ROOT/REL (directories made as needed). */
static const char *at(const char *rel)
{
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", root, rel);
  for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
    *s = '\0';
    mkdir(p, 0755);
    *s = '/';
  }
  return p;
}

static void make_fifo(const char *path)
{
  cr_assert_eq(mkfifo(path, 0644), 0, "%s: %s", path, strerror(errno));
}

static void make_link(const char *target, const char *path)
{
  cr_assert_eq(symlink(target, path), 0, "%s: %s", path, strerror(errno));
}

/* A sparse file of size bytes: over the limit without the disk space. */
static void make_sparse(const char *path, off_t size)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert(fd >= 0);
  cr_assert_eq(ftruncate(fd, size), 0);
  close(fd);
}

static const char *formatted(const pk_error *e)
{
  static char buf[2048];
  pk_error_format(e, buf, sizeof buf);
  return buf;
}

#define assert_has(hay, needle)                                                \
  cr_assert(strstr((hay), (needle)) != NULL, "expected \"%s\" in:\n%s",        \
            (needle), (hay))

/* ---- pk_doc_load_file ---- */

static void expect_refused(const char *path, pk_status code, const char *why)
{
  pk_doc *d = (pk_doc *)1;
  pk_error e;
  cr_assert_eq(pk_doc_load_file(path, NULL, &d, &e), code, "%s",
               formatted(&e));
  cr_assert_null(d);
  char want[700];
  snprintf(want, sizeof want, "%s: %s", path, why);
  assert_has(formatted(&e), want);
}

Test(files, a_fifo_is_not_read)
{
  const char *p = at("doc.toml");
  make_fifo(p);
  expect_refused(p, PK_EIO, "not a regular file but a FIFO; replace it with "
                            "a regular file");
}

Test(files, a_device_is_not_read)
{
  const char *p = at("zero.toml");
  make_link("/dev/zero", p);
  expect_refused(p, PK_EIO, "not a regular file but a character device");
  expect_refused("/dev/zero", PK_EIO, "not a regular file but a character");
}

Test(files, a_directory_is_not_read)
{
  const char *p = at("dir.toml/x");
  p = at("dir.toml");
  expect_refused(p, PK_EIO, "not a regular file but a directory");
}

Test(files, a_missing_file_names_it)
{
  expect_refused(at("absent.toml"), PK_EIO,
                 "cannot read: No such file or directory");
}

Test(files, a_file_over_the_size_limit_is_refused_before_it_is_read)
{
  const char *p = at("big.toml");
  make_sparse(p, (off_t)PK_DOC_MAX_SIZE_DEFAULT + 1);
  char why[200];
  snprintf(why, sizeof why, "document too large: %zu bytes (the limit is %zu "
           "bytes; pk_doc_options.max_size raises it)",
           PK_DOC_MAX_SIZE_DEFAULT + 1, PK_DOC_MAX_SIZE_DEFAULT);
  expect_refused(p, PK_ERANGE, why);
  make_sparse(p, (off_t)PK_DOC_MAX_SIZE_DEFAULT * 3);
  snprintf(why, sizeof why, "document too large: %zu bytes (the limit is %zu "
           "bytes", PK_DOC_MAX_SIZE_DEFAULT * 3, PK_DOC_MAX_SIZE_DEFAULT);
  expect_refused(p, PK_ERANGE, why);
}

/* ---- discovery ---- */

static pk_host *discover(const char *path, const char *cache, bool strict,
                         pk_status want, pk_error *e)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache, .strict = strict};
  pk_host *h;
  cr_assert_eq(pk_host_new(&o, &h, e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, path, e), PK_OK);
  cr_assert_eq(pk_host_discover(h, e), want, "%s", formatted(e));
  return h;
}

/* The plugin of directory dir is broken with an error that names its
 * manifest and says why. */
/* The record named id (a broken plugin: after its directory). */
static pk_plugin *record(pk_host *h, const char *id)
{
  for (size_t i = 0; i < pk_host_plugin_count(h); i++)
    if (!strcmp(pk_plugin_get_id(pk_host_plugin_at(h, i)), id))
      return pk_host_plugin_at(h, i);
  cr_assert_fail("no plugin record for %s", id);
  return NULL;
}

static void expect_broken(pk_host *h, const char *dir, pk_status code,
                          const char *why)
{
  pk_plugin *p = record(h, dir);
  cr_assert_eq(pk_plugin_get_state(p), PK_STATE_BROKEN);
  const pk_error *e = pk_plugin_get_error(p);
  cr_assert_not_null(e);
  cr_assert_eq(e->code, code, "%s", formatted(e));
  char want[700];
  snprintf(want, sizeof want, "%s/plugins/%s/plugin.toml: %s", root, dir, why);
  assert_has(formatted(e), want);
}

static void good_plugin(const char *name)
{
  char rel[64], text[128];
  snprintf(rel, sizeof rel, "plugins/%s/plugin.toml", name);
  snprintf(text, sizeof text, "name = \"%s\"\nnamespace = \"t\"\n"
           "version = \"1.0.0\"\n", name);
  write_file(at(rel), text);
}

static void hostile_tree(void)
{
  good_plugin("a");
  make_fifo(at("plugins/fifo/plugin.toml"));
  make_link("/dev/zero", at("plugins/zero/plugin.toml"));
  make_sparse(at("plugins/huge/plugin.toml"),
              (off_t)PK_DOC_MAX_SIZE_DEFAULT + 4096);
  good_plugin("z");
}

static void expect_hostile_tree(pk_host *h)
{
  cr_assert_eq(pk_host_plugin_count(h), 5);
  expect_broken(h, "fifo", PK_EIO, "not a regular file but a FIFO");
  expect_broken(h, "zero", PK_EIO, "not a regular file but a character "
                                   "device");
  expect_broken(h, "huge", PK_ERANGE, "document too large: ");
  cr_assert_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:a")),
               PK_STATE_DISCOVERED);
  cr_assert_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:z")),
               PK_STATE_DISCOVERED);
}

Test(files, discovery_makes_unreadable_manifests_broken_plugins)
{
  hostile_tree();
  pk_error e;
  pk_host *h = discover(at("plugins"), NULL, false, PK_OK, &e);
  expect_hostile_tree(h);
  pk_host_free(h);
}

Test(files, discovery_with_the_metadata_cache_reads_them_every_time)
{
  hostile_tree();
  const char *cache = at("cache");
  pk_error e;
  for (int round = 0; round < 2; round++) { /* cold, then warm */
    pk_host *h = discover(at("plugins"), cache, false, PK_OK, &e);
    expect_hostile_tree(h);
    pk_host_free(h);
  }
}

Test(files, strict_discovery_fails_on_the_first)
{
  hostile_tree();
  pk_error e;
  pk_host *h = discover(at("plugins"), NULL, true, PK_EIO, &e);
  char want[300]; /* in byte order: a, fifo, huge, z, zero */
  snprintf(want, sizeof want, "%s/plugins/fifo/plugin.toml: not a regular "
           "file but a FIFO", root);
  assert_has(formatted(&e), want);
  pk_host_free(h);
}

/* ---- what a host reads: its description, its config, fragments ---- */

Test(files, host_description_and_config)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  const char *desc = at("host.toml"), *conf = at("config.toml");
  make_fifo(desc);
  make_link("/dev/zero", conf);
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_load_description(h, desc, &e), PK_EIO);
  char want[600];
  snprintf(want, sizeof want, "%s: not a regular file but a FIFO", desc);
  assert_has(formatted(&e), want);
  cr_assert_eq(pk_host_load_config(h, conf, NULL, &e), PK_EIO);
  snprintf(want, sizeof want, "%s: not a regular file but a character device",
           conf);
  assert_has(formatted(&e), want);
  pk_host_free(h);
}

Test(files, a_fragment_names_its_plugin)
{
  write_file(at("plugins/frag/plugin.toml"),
             "name = \"frag\"\nnamespace = \"t\"\nversion = \"1.0.0\"\n"
             "fragment = \"commands.toml\"\n");
  make_fifo(at("plugins/frag/commands.toml"));
  write_file(at("config.toml"), "[plugins]\nfrag = \"t:frag\"\n");
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, at("plugins"), &e), PK_OK);
  pk_status st = pk_host_load_config(h, at("config.toml"), NULL, &e);
  if (st == PK_OK)
    st = pk_host_register(h, NULL, 0, NULL, 0, &e);
  cr_assert_eq(st, PK_EIO, "%s", formatted(&e));
  cr_assert_str_eq(e.plugin, "t:frag");
  char want[600];
  snprintf(want, sizeof want, "%s/plugins/frag/commands.toml: not a regular "
           "file but a FIFO", root);
  assert_has(formatted(&e), want);
  pk_host_free(h);
}

/* ---- a manifest read in one read() (pk__file_read_small) ---- */

/* plugins/DIR/plugin.toml of exactly size bytes: its description fills
 * it up to the last byte, so a manifest cut short would not parse. */
static void sized_plugin(const char *dir, size_t size)
{
  char rel[64], *text = malloc(size + 1);
  cr_assert_not_null(text);
  int head = snprintf(text, size + 1,
                      "name = \"%s\"\nnamespace = \"t\"\n"
                      "version = \"1.0.0\"\ndescription = \"",
                      dir);
  cr_assert(head > 0 && (size_t)head + 2 < size);
  memset(text + head, 'd', size - (size_t)head - 2);
  memcpy(text + size - 2, "\"\n", 3);
  snprintf(rel, sizeof rel, "plugins/%s/plugin.toml", dir);
  write_file(at(rel), text);
  free(text);
}

/* Without a metadata cache a manifest is read with one read() of a page
 * when it is shorter (no fstat); at a page or more, empty, or not a file,
 * it is read again with pk__file_read.  Both ways give the same plugins
 * and the same errors as the read with fstat (the cache's, cold). */
Test(files, a_manifest_read_in_one_read_or_again_gives_the_same)
{
  static const size_t sizes[] = {100, 4095, 4096, 4097, 20000};
  char dir[16];
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    snprintf(dir, sizeof dir, "s%zu", sizes[i]);
    sized_plugin(dir, sizes[i]);
  }
  write_file(at("plugins/empty/plugin.toml"), "");
  at("plugins/isdir/plugin.toml/x");
  hostile_tree();
  for (int cached = 0; cached < 2; cached++) {
    pk_error e;
    pk_host *h =
        discover(at("plugins"), cached ? at("cache") : NULL, false, PK_OK, &e);
    cr_assert_eq(pk_host_plugin_count(h), 12);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
      snprintf(dir, sizeof dir, "t:s%zu", sizes[i]);
      pk_plugin *p = pk_host_find_plugin(h, dir);
      cr_assert_not_null(p, "%s", dir);
      cr_assert_eq(pk_plugin_get_state(p), PK_STATE_DISCOVERED, "%s", dir);
      cr_assert_eq(strlen(pk_plugin_get_description(p)),
                   sizes[i] - 2 -
                       strlen("name = \"\"\nnamespace = \"t\"\n"
                              "version = \"1.0.0\"\n"
                              "description = \"") -
                       strlen(dir + 2),
                   "%s", dir);
    }
    pk_plugin *empty = record(h, "empty");
    cr_assert_eq(pk_plugin_get_state(empty), PK_STATE_BROKEN);
    assert_has(formatted(pk_plugin_get_error(empty)),
               "empty/plugin.toml:1:1: missing required key \"name\"");
    expect_broken(h, "isdir", PK_EIO, "not a regular file but a directory");
    expect_broken(h, "fifo", PK_EIO, "not a regular file but a FIFO");
    expect_broken(h, "zero", PK_EIO,
                  "not a regular file but a character "
                  "device");
    expect_broken(h, "huge", PK_ERANGE, "document too large: ");
    pk_host_free(h);
  }
}

/* ---- a search path's directories in byte order ---- */

static int cmp_text(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directories are taken in strcmp order whatever readdir gives (discover.c
 * sorts them on their first 8 bytes, then the rest): every directory
 * holds the same plugin, so the records, in search order, follow the
 * directory names; the first is the one found, the others are shadowed. */
Test(files, directories_are_searched_in_byte_order)
{
  static const char *const fixed[] = {"a",          "ab",
                                      "abcdefg",    "abcdefgh",
                                      "abcdefgg",   "abcdefgi",
                                      "abcdefghi",  "abcdefgh0",
                                      "abcdefghij", "abcdefghia",
                                      "b",          "Z",
                                      "_x",         "0",
                                      "9zzzzzzzzz", "\xc3\xa9t\xc3\xa9",
                                      "\xc3\xa9",   "zz\xc3\xa9zzzzzzz",
                                      "~"};
  enum { NFIXED = sizeof fixed / sizeof *fixed, N = NFIXED + 300 };
  char *names[N];
  unsigned seed = 12345;
  for (size_t i = 0; i < N; i++) {
    if (i < NFIXED) {
      names[i] = strdup(fixed[i]);
    } else { /* random names over "ab" sharing long prefixes */
      char s[16];
      size_t len = 1 + (seed = seed * 1103515245 + 12345) / 65536 % 13;
      for (size_t j = 0; j < len; j++)
        s[j] = "ab"[(seed = seed * 1103515245 + 12345) / 65536 % 2];
      s[len] = '\0';
      names[i] = strdup(s);
    }
    char rel[64], text[256];
    snprintf(rel, sizeof rel, "plugins/%s/plugin.toml", names[i]);
    snprintf(text, sizeof text,
             "name = \"same\"\nnamespace = \"t\"\n"
             "version = \"1.0.0\"\ndescription = \"%s\"\n",
             names[i]);
    write_file(at(rel), text); /* a name made twice: written again */
  }
  qsort(names, N, sizeof *names, cmp_text);
  size_t n = 1;
  for (size_t i = 1; i < N; i++)
    if (strcmp(names[i], names[n - 1]))
      names[n++] = names[i];
    else
      free(names[i]);
  pk_error e;
  pk_host *h = discover(at("plugins"), NULL, false, PK_OK, &e);
  cr_assert_eq(pk_host_plugin_count(h), n);
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    cr_assert_str_eq(pk_plugin_get_description(p), names[i], "at %zu", i);
    cr_assert_eq(pk_plugin_get_state(p),
                 i ? PK_STATE_SHADOWED : PK_STATE_DISCOVERED, "at %zu", i);
    free(names[i]);
  }
  pk_host_free(h);
}

/* A plugin's paths are its search path (trailing slashes dropped), its
 * directory and plugin.toml, for a good and a broken manifest alike. */
Test(files, manifest_paths_join_the_search_path_and_the_directory)
{
  write_file(at("plugins/good/plugin.toml"),
             "name = \"good\"\nnamespace = \"t\"\nversion = \"1.0.0\"\n"
             "library = \"libgood.so\"\nabi = 1\n");
  write_file(at("plugins/bad/plugin.toml"), "name = \n");
  char path[600], want[700];
  snprintf(path, sizeof path, "%s//", at("plugins"));
  pk_error e;
  pk_host *h = discover(path, NULL, false, PK_OK, &e);
  pk_plugin *good = pk_host_find_plugin(h, "t:good"), *bad = record(h, "bad");
  cr_assert_not_null(good);
  snprintf(want, sizeof want, "%s/plugins/good/plugin.toml", root);
  cr_assert_str_eq(pk_plugin_get_manifest_path(good), want);
  snprintf(want, sizeof want, "%s/plugins/good/libgood.so", root);
  cr_assert_str_eq(pk_plugin_get_library_path(good), want);
  snprintf(want, sizeof want, "%s/plugins/bad/plugin.toml", root);
  cr_assert_str_eq(pk_plugin_get_manifest_path(bad), want);
  assert_has(formatted(pk_plugin_get_error(bad)), want);
  pk_host_free(h);
}

/* A FIFO whose writer has already written a whole manifest into it (and
 * holds it open) is refused like any FIFO, with or without the metadata
 * cache: the one-read path must not take it for a short regular file. */
Test(files, a_fifo_holding_a_whole_manifest_is_refused)
{
  good_plugin("a");
  const char *fifo = at("plugins/full/plugin.toml");
  make_fifo(fifo);
  int w = open(fifo, O_RDWR | O_NONBLOCK); /* a writer that stays */
  cr_assert(w >= 0, "%s", strerror(errno));
  static const char text[] = "name = \"full\"\nnamespace = \"t\"\n"
                             "version = \"1.0.0\"\n";
  for (int cached = 0; cached < 2; cached++) {
    cr_assert_eq(write(w, text, sizeof text - 1), (ssize_t)sizeof text - 1);
    pk_error e;
    pk_host *h =
        discover(at("plugins"), cached ? at("cache") : NULL, false, PK_OK, &e);
    cr_assert_eq(pk_host_plugin_count(h), 2);
    expect_broken(h, "full", PK_EIO, "not a regular file but a FIFO");
    cr_assert_null(pk_host_find_plugin(h, "t:full"));
    pk_host_free(h);
    char drain[256];
    while (read(w, drain, sizeof drain) > 0)
      ;
  }
  close(w);
}
