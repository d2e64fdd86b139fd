/* test_mcache.c -- the metadata cache (pk_host_options.cache_path): a warm
 * start gives exactly what reading every manifest gives, serves unchanged
 * manifests from their records without their documents until asked for,
 * sees every change to the search path, and treats a damaged, foreign or
 * unwritable cache (or record, or image) as no cache.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* memmem */
#include "counting_alloc.h"
#include "test_util.h"
#include "types_fixture.h"
#include "mcache.h"
#include <errno.h>
#include <fcntl.h>
#include <plugkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[256], cache[300];

/* A manifest must be older than the cache's racy window (2 s, by mtime and
 * ctime) to be imaged: the tests wait once after writing their tree. */
static void settle(void)
{
  struct timespec t = {2, 200 * 1000 * 1000};
  nanosleep(&t, NULL);
}

static void put_plugin(const char *dir, const char *text)
{
  char path[600];
  snprintf(path, sizeof path, "%s/%s", root, dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/plugin.toml", root, dir);
  write_file(path, text);
}

/* A valid manifest; TOP: more top-level keys. */
#define GOOD(NAME, VERSION, TOP)                                               \
  "name = \"" NAME "\"\nnamespace = \"mc\"\nversion = \"" VERSION "\"\n"       \
  "description = \"plugin " NAME "\"\nlazy = true\n" TOP                       \
  "[config]\nlevel = { type = \"integer\", min = 0, default = 3 }\n"

/* Removes the tree and the cache (.fini: also after a failed assertion). */
static void remove_tree(void)
{
  if (!root[0])
    return;
  char cmd[1000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.cache' '%s.cache.journal'", root,
           root, root);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", root);
}

static void make_tree(void)
{
  snprintf(root, sizeof root, "/tmp/pk-mcache-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  snprintf(cache, sizeof cache, "%s.cache", root);
  unlink(cache);
  put_plugin("a", GOOD("a", "1.0.0", ""));
  put_plugin("b", GOOD("b", "2.0.0", "requires = [\"a\"]\n"));
  put_plugin("broken", "name = \"broken\"\nnamespace = \"mc\"\n"
                       "version = \"1.0.0\"\nlazzy = true\n");
  put_plugin("c", GOOD("a", "9.0.0", "")); /* a again: shadowed */
  char dir[600];
  snprintf(dir, sizeof dir, "%s/not-a-plugin", root);
  mkdir(dir, 0755);
}

/* What the log said: the cache's debug line and warnings. */
typedef struct logbuf {
  char text[8192];
} logbuf;

static void on_log(void *ud, pk_log_level level, const char *plugin,
                   const char *message)
{
  (void)plugin;
  logbuf *b = ud;
  size_t n = strlen(b->text);
  snprintf(b->text + n, sizeof b->text - n, "%d %s\n", (int)level, message);
}

/* The allocator of the hosts discover_in() makes (NULL: the library's). */
static void *(*host_alloc)(void *ud, void *p, size_t old, size_t n);
static void *host_alloc_ud;

/* A host that discovered the search paths (root when paths is NULL). */
static pk_host *discover_in(const char *cache_path, logbuf *log,
                            const char *const *paths, size_t npaths)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache_path, .log = on_log,
                       .log_ud = log, .alloc = host_alloc,
                       .alloc_ud = host_alloc_ud};
  pk_host *h;
  pk_error e;
  const char *only[] = {root};
  if (!paths) {
    paths = only;
    npaths = 1;
  }
  if (log)
    log->text[0] = '\0';
  else
    o.log = NULL;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  for (size_t i = 0; i < npaths; i++)
    cr_assert_eq(pk_host_add_path(h, paths[i], &e), PK_OK);
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  return h;
}

static pk_host *discover(const char *cache_path, logbuf *log)
{
  return discover_in(cache_path, log, NULL, 0);
}

/* Everything a plugin record shows, one line per plugin: its record's
 * fields, its requirements with where they are written, then its
 * document's top-level keys with their positions. */
static void describe(pk_host *h, char *out, size_t cap)
{
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < pk_host_plugin_count(h); i++) {
    const pk_plugin *p = pk_host_plugin_at(h, i);
    const pk_error *e = pk_plugin_get_error(p);
    char err[1100] = "";
    if (e)
      pk_error_format(e, err, sizeof err);
    n += (size_t)snprintf(
        out + n, cap - n, "%s %s %s %s [%s] [%s] %s %s %d %d %u", 
        pk_plugin_get_id(p), pk_plugin_get_version(p),
        pk_plugin_get_manifest_path(p),
        pk_plugin_state_name(pk_plugin_get_state(p)),
        pk_plugin_get_reason(p) ? pk_plugin_get_reason(p) : "", err,
        pk_plugin_get_description(p), p->m.library ? p->m.library : "-",
        (int)p->m.lazy, (int)p->m.has_abi, p->m.has);
    for (size_t r = 0; r < p->m.nreq; r++) {
      pk_pos pos = pk__mreq_pos(p, &p->m.reqs[r]);
      n += (size_t)snprintf(out + n, cap - n, " req %s%s@%d:%d",
                            p->m.reqs[r].optional ? "?" : "",
                            p->m.reqs[r].text, pos.line, pos.col);
    }
    const pk_value *m = pk_plugin_get_manifest(p);
    const char *d = "";
    pk_table_get_string(m, "description", &d, NULL);
    n += (size_t)snprintf(out + n, cap - n, " (%s)", d);
    for (size_t k = 0; k < pk_table_count(m); k++) {
      pk_pos pos = pk_table_key_pos_at(m, k);
      n += (size_t)snprintf(out + n, cap - n, " %s@%d:%d",
                            pk_table_key_at(m, k, NULL), pos.line, pos.col);
    }
    n += (size_t)snprintf(out + n, cap - n, "\n");
    cr_assert_lt(n, cap);
  }
}

static void expect_same(const char *cache_path, const char *want,
                        const char *line)
{
  logbuf log;
  char got[65536];
  pk_host *h = discover(cache_path, &log);
  describe(h, got, sizeof got);
  pk_host_free(h);
  cr_assert_str_eq(got, want);
  cr_assert_not_null(strstr(log.text, line), "wanted \"%s\" in:\n%s", line,
                     log.text);
}

static void discover_free(const char *cache_path)
{
  pk_host_free(discover(cache_path, NULL));
}

static char reference[65536];

static void take_reference(void)
{
  pk_host *h = discover(NULL, NULL);
  describe(h, reference, sizeof reference);
  pk_host_free(h);
  /* the broken manifest is reported with its position */
  cr_assert_not_null(strstr(reference, "broken/plugin.toml:4:1: "),
                     "%s", reference);
}

static struct timespec cache_mtime(void)
{
  struct stat st;
  cr_assert_eq(stat(cache, &st), 0, "%s: %s", cache, strerror(errno));
  return st.st_mtim;
}

/* A cold start writes the cache; warm ones serve every valid manifest from
 * it (the broken one is read every time, so its error is reported every
 * time) and leave the file alone. */
Test(mcache, warm_start_gives_what_reading_gives, .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  expect_same(cache, reference, "0 manifests from the cache, 4 read");
  struct timespec t0 = cache_mtime();
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
  struct timespec t1 = cache_mtime();
  cr_assert(t0.tv_sec == t1.tv_sec && t0.tv_nsec == t1.tv_nsec,
            "a warm start rewrote the cache");
}

/* A cache over 16 KiB is read in two (its header, then its header and
 * sections into the room of the records arena), and serves every
 * manifest. */
Test(mcache, a_large_cache_is_read_whole, .fini = remove_tree)
{
  make_tree();
  for (int i = 0; i < 80; i++) {
    char dir[32], name[32];
    snprintf(dir, sizeof dir, "many%02d", i);
    snprintf(name, sizeof name, "m%02d", i);
    char text[512];
    snprintf(text, sizeof text, GOOD("%s", "1.0.%d", ""), name, i, name);
    put_plugin(dir, text);
  }
  settle();
  take_reference();
  expect_same(cache, reference, "0 manifests from the cache, 84 read");
  struct stat st;
  cr_assert_eq(stat(cache, &st), 0);
  cr_assert_gt(st.st_size, 2 * 16384);
  expect_same(cache, reference, "83 manifests from the cache, 1 read");
}

/* The records of a search path's plugins, made from the cache or read,
 * lie in one block, one after another, each starting a cache line (the
 * fields every pass reads, its first 64 bytes, on one line), without
 * padding between them: a warm start writes them all into fresh pages.
 * And what a start fills for each plugin stays small: the record, the
 * cache's entry, a served manifest's lazy state. */
Test(mcache, records_are_one_block_of_lines, .fini = remove_tree)
{
  cr_assert_eq(sizeof(pk_plugin) % 64, 0);
  cr_assert_leq(sizeof(pk_plugin), 384);
  cr_assert_leq(sizeof(pk__mc_put), 64);
  cr_assert_leq(sizeof(pk__mlazy), 32);
  make_tree();
  for (int i = 0; i < 20; i++) {
    char dir[32], text[512];
    snprintf(dir, sizeof dir, "d%02d", i);
    snprintf(text, sizeof text, GOOD("%s", "1.0.0", ""), dir, dir);
    put_plugin(dir, text);
  }
  settle();
  for (int warm = 0; warm < 2; warm++) {
    pk_host *h = discover(cache, NULL);
    const char *prev = NULL;
    for (int i = 0; i < 20; i++) {
      char id[32];
      snprintf(id, sizeof id, "mc:d%02d", i);
      const char *p = (const char *)pk_host_find_plugin(h, id);
      cr_assert_not_null(p, "%s", id);
      cr_expect_eq((uintptr_t)p % 64, 0, "%s: not on a line", id);
      if (prev)
        cr_expect_eq(p - prev, (ptrdiff_t)sizeof(pk_plugin),
                     "%s: %td bytes after the record before it (%s)", id,
                     p - prev, warm ? "warm" : "cold");
      prev = p;
    }
    cr_assert_eq(((const pk_plugin *)prev)->m.cached != NULL, warm == 1);
    pk_host_free(h);
  }
}

/* A warm start of hundreds of plugins makes what it serves from the cache
 * in one room of the host's records arena, reserved when the cache is
 * read (pk__arena_reserve): the sections, whose records the manifests'
 * strings point into, the plugins' records, and the paths, ids and
 * requirements its loaders allocate -- all in one 2 MiB window (huge pages
 * where the kernel gives them), not in blocks spread over the heap, each
 * a fresh page (a page fault) in a new process.  It serves them all.
 * With n plugins: 600 are served by one loader, which allocates straight
 * from the room; 1100 by two on two CPUs (pk__discover_threads), each
 * from a block of it sized for its range (load_all). */
static void expect_one_room(int n)
{
  host_alloc = NULL;
  make_tree();
  for (int i = 0; i < n; i++) {
    char dir[32], text[512];
    snprintf(dir, sizeof dir, "r%04d", i);
    snprintf(text, sizeof text, GOOD("%s", "1.0.0", "%s"), dir, dir,
             i % 2 ? "requires = [\"a\"]\n" : "");
    put_plugin(dir, text);
  }
  settle();
  logbuf log;
  pk_host_free(discover(cache, &log));
  pk_host *h = discover(cache, &log);
  char line[96];
  snprintf(line, sizeof line, "%d manifests from the cache, 1 read", n + 3);
  cr_assert_not_null(strstr(log.text, line), "%s", log.text);
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t w = (uintptr_t)pk_host_find_plugin(h, "mc:r0000") & ~(huge - 1);
  for (int i = 0; i < n; i++) {
    char id[32];
    snprintf(id, sizeof id, "mc:r%04d", i);
    const pk_plugin *p = pk_host_find_plugin(h, id);
    cr_assert_not_null(p, "%s", id);
    cr_assert_not_null(p->m.cached, "%s: not served", id);
    const void *at[] = {p, p->id, p->key, p->dir, p->manifest_path,
                        p->m.name, p->m.description, p->m.cached,
                        i % 2 ? (const void *)p->m.reqs : p};
    for (size_t k = 0; k < sizeof at / sizeof *at; k++)
      cr_expect_eq((uintptr_t)at[k] & ~(huge - 1), w,
                   "%s: its block %zu at %p, outside the 2 MiB at %p", id, k,
                   at[k], (void *)w);
  }
  pk_host_free(h);
}

Test(mcache, a_warm_start_fills_one_room, .fini = remove_tree)
{
  expect_one_room(600);
}

Test(mcache, a_warm_start_on_threads_fills_one_room, .fini = remove_tree)
{
  expect_one_room(1100);
}

/* Every change to the search path is seen: a manifest edited in place
 * (same size), a plugin added, one removed. */
Test(mcache, changes_are_seen, .fini = remove_tree)
{
  make_tree();
  settle();
  discover_free(cache);
  put_plugin("b", GOOD("b", "2.0.1", "requires = [\"a\"]\n"));
  take_reference();
  cr_assert_not_null(strstr(reference, "mc:b 2.0.1"), "%s", reference);
  /* b is read again, and again while it is newer than the racy window */
  expect_same(cache, reference, "2 manifests from the cache, 2 read");
  expect_same(cache, reference, "2 manifests from the cache, 2 read");
  put_plugin("d", GOOD("d", "1.0.0", ""));
  take_reference();
  cr_assert_not_null(strstr(reference, "mc:d 1.0.0"), "%s", reference);
  expect_same(cache, reference, "2 manifests from the cache, 3 read");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -r %s/c", root);
  cr_assert_eq(system(cmd), 0);
  take_reference();
  cr_assert_null(strstr(reference, "9.0.0"), "%s", reference);
  expect_same(cache, reference, "1 manifests from the cache, 3 read");
  /* once settled, the new manifests are imaged too */
  settle();
  expect_same(cache, reference, "1 manifests from the cache, 3 read");
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
}

/* The whole cache file, in a malloc'd buffer of *len bytes. */
static char *cache_bytes(size_t *len)
{
  FILE *f = fopen(cache, "rb");
  cr_assert_not_null(f, "%s: %s", cache, strerror(errno));
  char *buf = malloc(1 << 20);
  cr_assert_not_null(buf);
  *len = fread(buf, 1, 1 << 20, f);
  cr_assert(feof(f) && *len > 0);
  fclose(f);
  return buf;
}

/* Where the record of plugin NAME (of namespace mc) starts its name in the
 * cache file: the record comes before the image in its entry. */
static off_t record_of(const char *name)
{
  size_t len;
  char *data = cache_bytes(&len), want[64];
  /* the name, then the namespace "mc", each after its length */
  size_t ln = strlen(name);
  uint16_t k = (uint16_t)ln, two = 2;
  cr_assert_lt(ln + 9, sizeof want);
  memcpy(want, &k, 2);
  memcpy(want + 2, name, ln + 1);
  memcpy(want + 2 + ln + 1, &two, 2);
  memcpy(want + 2 + ln + 3, "mc", 3);
  char *at = memmem(data, len, want, ln + 8);
  cr_assert_not_null(at, "no record of %s in the cache", name);
  off_t off = at + 2 - data;
  free(data);
  return off;
}

static char root2[256];

static void remove_trees(void)
{
  remove_tree();
  if (root2[0]) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root2);
    if (system(cmd) != 0)
      fprintf(stderr, "cannot remove %s\n", root2);
  }
}

/* Warm starts use the cache's images in place, writing into them; a cache
 * rewritten after a change (one search path kept as the file had it, the
 * other recorded again, partly from images in use) is byte for byte the
 * file a cold start writes for the same tree. */
/* The check of the tests below: a search path's section rewritten (one
 * manifest changed, one served from the old file's image) gives the bytes
 * a cold start writes.  changed_first: that search path comes first, so
 * the section kept is not the first (its entries' image offsets, which a
 * read cache holds as offsets in the whole images region, are written
 * back as the file has them: in the section's images). */
static bool changed_first;

static void rewritten_is_cold(void)
{
  make_tree();
  snprintf(root2, sizeof root2, "/tmp/pk-mcache2-XXXXXX");
  cr_assert_not_null(mkdtemp(root2));
  char path[600];
  const char *both[] = {changed_first ? root2 : root,
                        changed_first ? root : root2};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%c", root2, "xy"[i]);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%c/plugin.toml", root2, "xy"[i]);
    write_file(path, i ? GOOD("y", "1.0.0", "") : GOOD("x", "1.0.0", ""));
  }
  settle();
  logbuf log;
  pk_host_free(discover_in(cache, NULL, both, 2)); /* cold: writes it */
  pk_host_free(discover_in(cache, &log, both, 2));
  cr_assert_not_null(strstr(log.text, "5 manifests from the cache, 1 read"),
                     "%s", log.text);
  snprintf(path, sizeof path, "%s/y/plugin.toml", root2);
  write_file(path, GOOD("y", "1.0.1", "")); /* same size */
  settle();
  pk_host_free(discover_in(cache, &log, both, 2)); /* rewrites it */
  cr_assert_not_null(strstr(log.text, "4 manifests from the cache, 2 read"),
                     "%s", log.text);
  size_t warm_len, cold_len;
  char *warm = cache_bytes(&warm_len);
  cr_assert_eq(unlink(cache), 0);
  pk_host_free(discover_in(cache, NULL, both, 2));
  char *cold = cache_bytes(&cold_len);
  cr_assert_eq(warm_len, cold_len);
  cr_assert(memcmp(warm, cold, cold_len) == 0,
            "the rewritten cache differs from a cold start's");
  free(warm);
  free(cold);
}

Test(mcache, a_rewritten_cache_is_what_a_cold_start_writes,
     .fini = remove_trees)
{
  rewritten_is_cold();
}

/* The same with a host's own allocator: its plugins get their documents
 * during discovery, made from the old file's images in place (block
 * headers written into them) before the images are written again. */
static void *plain_alloc(void *ud, void *p, size_t old, size_t n)
{
  (void)ud;
  (void)old;
  if (!n) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

Test(mcache, a_rewritten_cache_is_what_a_cold_start_writes_own_allocator,
     .fini = remove_trees)
{
  host_alloc = plain_alloc;
  rewritten_is_cold();
  host_alloc = NULL;
}

Test(mcache, a_rewritten_cache_is_what_a_cold_start_writes_kept_second,
     .fini = remove_trees)
{
  changed_first = true;
  rewritten_is_cold();
  changed_first = false;
}

/* A search path given twice: the second listing's manifests are read (an
 * image serves one document), and the result is what reading gives. */
Test(mcache, a_search_path_given_twice, .fini = remove_tree)
{
  make_tree();
  settle();
  const char *twice[] = {root, root};
  char want[65536], got[65536];
  pk_host *h = discover_in(NULL, NULL, twice, 2);
  describe(h, want, sizeof want);
  pk_host_free(h);
  cr_assert_not_null(strstr(want, "shadowed"), "%s", want);
  pk_host_free(discover_in(cache, NULL, twice, 2));
  logbuf log;
  h = discover_in(cache, &log, twice, 2);
  describe(h, got, sizeof got);
  pk_host_free(h);
  cr_assert_str_eq(got, want);
  cr_assert_not_null(strstr(log.text, "3 manifests from the cache, 5 read"),
                     "%s", log.text);
}

/* A manifest of 64 KiB or more is not imaged: it is read every time,
 * and gives what reading gives. */
Test(mcache, a_large_manifest_is_read_every_time, .fini = remove_tree)
{
  make_tree();
  size_t pad = 70 * 1024;
  char *text = malloc(pad + 512);
  cr_assert_not_null(text);
  int n = snprintf(text, 512, "%s", GOOD("big", "1.0.0", ""));
  memset(text + n, '#', pad); /* one long comment line */
  text[n + (int)pad - 1] = '\n';
  text[n + (int)pad] = '\0';
  put_plugin("big", text);
  free(text);
  settle();
  take_reference();
  cr_assert_not_null(strstr(reference, "mc:big 1.0.0"), "%s", reference);
  expect_same(cache, reference, "0 manifests from the cache, 5 read");
  expect_same(cache, reference, "3 manifests from the cache, 2 read");
}

static void corrupt(const char *how, const char *text, size_t len, off_t at)
{
  int fd = open(cache, O_WRONLY | (at < 0 ? O_TRUNC : 0));
  cr_assert_geq(fd, 0, "%s", how);
  if (at >= 0)
    cr_assert_eq(pwrite(fd, text, len, at), (ssize_t)len, "%s", how);
  else
    cr_assert_eq(write(fd, text, len), (ssize_t)len, "%s", how);
  close(fd);
}

/* A damaged or foreign cache is no cache: everything is read (nothing
 * wrong is served) and the file is rebuilt. */
Test(mcache, damaged_cache_is_rebuilt, .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  discover_free(cache);
  struct stat st;
  cr_assert_eq(stat(cache, &st), 0);
  const off_t mid = st.st_size / 2;
  for (int variant = 0; variant < 7; variant++) {
    char byte;
    int fd = open(cache, O_RDONLY);
    cr_assert_eq(pread(fd, &byte, 1, mid), 1);
    close(fd);
    byte ^= 0x20;
    switch (variant) {
    case 0: corrupt("a flipped byte", &byte, 1, mid); break;
    case 6: corrupt("a flipped byte of a record", "c", 1, record_of("b"));
      break;
    case 1: cr_assert_eq(truncate(cache, mid), 0); break;
    case 2: cr_assert_eq(truncate(cache, 0), 0); break;
    case 3: corrupt("text", "name = \"x\"\n", 11, -1); break;
    case 4: corrupt("another version", "0.0.0-other", 12, 16); break;
    case 5: corrupt("another format", "\x06", 1, 8); break; /* format 6 */
    }
    if (variant == 0) { /* the middle: in an image, which only its own
                           * checksum covers: caught when it is used */
      expect_same(cache, reference, "3 manifests from the cache, 1 read");
      cr_assert_eq(unlink(cache), 0);
      discover_free(cache);
      continue;
    }
    expect_same(cache, reference, "0 manifests from the cache, 4 read");
    expect_same(cache, reference, "3 manifests from the cache, 1 read");
  }
}

/* A warm start serves each unchanged manifest from its record: its
 * document is made only when something asks for it -- from the image, or,
 * when the image is damaged, from the manifest read again if it is still
 * the file served (else a warning, and no document). */
/* Damages b's image in the cache file (the last copy of its description,
 * NUL-ended). */
static void damage_b_image(void)
{
  size_t len;
  char *data = cache_bytes(&len), *img = NULL;
  for (char *at = data; (at = memmem(at, len - (size_t)(at - data),
                                     "plugin b", 9)); at++)
    img = at;
  cr_assert_not_null(img);
  char flipped = (char)(img[7] ^ 0x01);
  corrupt("b's image", &flipped, 1, img + 7 - data);
  free(data);
}

Test(mcache, documents_are_made_when_asked_for, .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  discover_free(cache);
  logbuf log;
  pk_host *h = discover(cache, &log);
  pk_plugin *b = pk_host_find_plugin(h, "mc:b");
  cr_assert_not_null(b);
  cr_assert(b->m.cached && !b->m.doc && !b->m.root);
  cr_assert_eq(b->m.nreq, 1);
  cr_assert_null(b->m.reqs[0].value); /* its position: from the document */
  const pk_value *m = pk_plugin_get_manifest(b);
  cr_assert(m && b->m.doc && m == b->m.root);
  cr_assert_eq(pk_plugin_get_manifest(b), m); /* made once */
  char got[65536];
  describe(h, got, sizeof got);
  cr_assert_str_eq(got, reference);
  pk_host_free(h);

  /* b's image damaged: b read again, the file marked damaged, and the
   * next start writes it again as it was (not refused on every start) */
  size_t len, again_len;
  char *good = cache_bytes(&len);
  damage_b_image();
  h = discover(cache, &log);
  describe(h, got, sizeof got);
  pk_host_free(h);
  cr_assert_str_eq(got, reference);
  cr_assert_not_null(strstr(log.text, "b/plugin.toml is damaged; the file is "
                                      "marked so"), "%s", log.text);
  expect_same(cache, reference, "0 manifests from the cache, 4 read");
  char *again = cache_bytes(&again_len);
  cr_assert(again_len == len && !memcmp(again, good, len));
  free(again);
  free(good);
  expect_same(cache, reference, "3 manifests from the cache, 1 read");

  /* and b's manifest changed after discovery, before its damaged image is
   * asked for: no document, said once */
  damage_b_image();
  h = discover(cache, &log);
  b = pk_host_find_plugin(h, "mc:b");
  put_plugin("b", GOOD("b", "2.0.0", "requires = [\"a\"]\n"));
  cr_assert_null(pk_plugin_get_manifest(b));
  cr_assert_null(pk_plugin_get_manifest(b));
  const char *said = strstr(log.text, "changed since discovery");
  cr_assert_not_null(said, "%s", log.text);
  cr_assert_null(strstr(said + 1, "changed since discovery"), "%s", log.text);
  pk_host_free(h);
}

/* A string of a record lies inside it (rec, len bytes). */
static bool inside(const char *s, const char *rec, size_t len)
{
  return s >= rec && s + strlen(s) < rec + len;
}

/* A manifest keeps its version's pre-release part as a pointer (records
 * of 320 bytes, not 384): into version_text when that ends with it, a
 * copy of its own when build metadata follows (freed with the manifest:
 * ASan finds a leak), into the record when served from the cache; every
 * way it compares as parsed. */
Test(mcache, version_pre_release_kept_by_pointer)
{
  cr_assert_eq(sizeof(pk_plugin), 320);
  static const char tail[] = GOOD("b", "2.0.0-rc.2", ""),
                    build[] = GOOD("b", "2.0.0-rc.2+b7", "");
  const char *texts[] = {tail, build};
  size_t lens[] = {sizeof tail - 1, sizeof build - 1};
  pk__allocator libc = {NULL, NULL};
  pk__version full;
  char why[256];
  cr_assert_eq(pk__version_parse("2.0.0-rc.2", false, &full, why, sizeof why),
               PK_OK);
  pk__mversion want = pk__mversion_of(&full);
  pk__req newer, final;
  cr_assert_eq(pk__req_parse("b >= 2.0.0-rc.1", &newer, why, sizeof why),
               PK_OK);
  cr_assert_eq(pk__req_parse("b >= 2.0.0", &final, why, sizeof why), PK_OK);
  for (size_t t = 0; t < 2; t++) {
    pk__manifest m, r;
    pk_error err;
    cr_assert_eq(pk__manifest_load(&libc, "b/plugin.toml", texts[t], lens[t],
                                   &m, &err),
                 PK_OK, "%s", err.message);
    cr_assert_str_eq(m.version.pre, "rc.2");
    size_t lt = strlen(m.version_text);
    bool in_text = m.version.pre >= m.version_text &&
                   m.version.pre <= m.version_text + lt;
    cr_assert_eq(m.pre_own, t == 1);
    cr_assert_eq(in_text, t == 0);
    size_t len = pk__manifest_record(&m, NULL, 0);
    char *rec = malloc(len);
    cr_assert_eq(pk__manifest_record(&m, rec, len), len);
    cr_assert_eq(pk__manifest_from_record(&libc, rec, len, &r), PK_OK);
    cr_assert(!r.pre_own && inside(r.version.pre, rec, len));
    const pk__manifest *both[] = {&m, &r};
    for (size_t k = 0; k < 2; k++) {
      const pk__mversion *v = &both[k]->version;
      cr_assert_eq(pk__mversion_cmp(v, &want), 0, "text %zu, %zu", t, k);
      cr_assert(pk__req_matches(&newer, v) && !pk__req_matches(&final, v));
    }
    pk__manifest_free(&libc, &r);
    pk__manifest_free(&libc, &m);
    free(rec);
  }
}

/* Loads manifest text (n bytes) as b/plugin.toml into *m (libc's
 * allocator). */
static void load_b(const char *text, size_t n, pk__manifest *m)
{
  pk__allocator libc = {NULL, NULL};
  pk_error err;
  cr_assert_eq(pk__manifest_load(&libc, "b/plugin.toml", text, n, m, &err),
               PK_OK, "%s", err.message);
}

/* A manifest's record gives back exactly what parsing gave; every byte
 * of it damaged in turn (three ways), or cut short, it is refused or gives
 * a manifest whose strings lie inside it and whose names are names -- never
 * read out of bounds (ASan: it sits in an allocation of its exact size). */
Test(mcache, every_damaged_byte_of_a_record)
{
  static const char text[] = GOOD(
      "b", "2.0.0-rc.1",
      "requires = [\"a >= 1\"]\noptional = [\"x:y\", \"z\"]\n"
      "library = \"libb.so\"\nabi = 2\nhooks = [\"h\"]\n"
      "[[provides]]\nkind = \"cache\"\ntag = \"t1\"\n"
      "[provides.config]\nx = { type = \"integer\" }\n"
      "[[provides]]\nkind = \"cache\"\ntag = \"t2\"\nextends = \"t1\"\n");
  pk__allocator libc = {NULL, NULL};
  pk__manifest m, r;
  load_b(text, sizeof text - 1, &m);
  size_t len = pk__manifest_record(&m, NULL, 0);
  cr_assert(len > 0 && len % 8 == 0);
  char *good = malloc(len);
  cr_assert_eq(pk__manifest_record(&m, good, len), len);
  cr_assert_eq(pk__manifest_from_record(&libc, good, len, &r), PK_OK);
  cr_assert_str_eq(r.name, m.name);
  cr_assert_str_eq(r.ns, m.ns);
  cr_assert_str_eq(r.version_text, m.version_text);
  cr_assert(r.version.major == m.version.major &&
            r.version.minor == m.version.minor &&
            r.version.patch == m.version.patch);
  cr_assert_str_eq(m.version.pre, "rc.1");
  cr_assert_str_eq(r.version.pre, "rc.1");
  cr_assert_str_eq(r.description, m.description);
  cr_assert_str_eq(r.library, "libb.so");
  cr_assert(r.has_abi && r.abi == 2 && r.lazy && r.has == m.has);
  cr_assert_eq(r.has, PK__M_CONFIG | PK__M_HOOKS | PK__M_PROVIDES);
  cr_assert_eq(r.nreq, 3);
  for (size_t i = 0; i < r.nreq; i++) {
    cr_assert_str_eq(r.reqs[i].text, m.reqs[i].text);
    cr_assert_eq(r.reqs[i].optional, m.reqs[i].optional);
    cr_assert_eq(r.reqs[i].idx, m.reqs[i].idx);
    cr_assert_null(r.reqs[i].value);
  }
  size_t nprov; /* the [[provides]] entries, as written, with their config */
  const char *flags = pk__record_provides_at(&r, &nprov), *end = flags + nprov;
  pk__mprov e1, e2;
  end = pk__record_provides(pk__record_provides(end, &e1), &e2);
  cr_assert(nprov == 2 && flags[0] == 1 && flags[1] == 0);
  cr_assert(!strcmp(e1.kind, "cache") && !strcmp(e1.tag, "t1") &&
            !strcmp(e1.extends, "") && !strcmp(e2.kind, "cache") &&
            !strcmp(e2.tag, "t2") && !strcmp(e2.extends, "t1"));
  cr_assert_leq(end, good + len);
  pk__manifest_free(&libc, &r);
  static const unsigned char masks[] = {0x01, 0x80, 0xff};
  size_t refused = 0;
  for (size_t at = 0; at < len; at++)
    for (size_t k = 0; k < sizeof masks; k++) {
      char *rec = malloc(len);
      memcpy(rec, good, len);
      rec[at] = (char)(rec[at] ^ masks[k]);
      pk_status st = pk__manifest_from_record(&libc, rec, len, &r);
      if (st == PK_OK) {
        cr_assert(inside(r.name, rec, len) && inside(r.ns, rec, len) &&
                      inside(r.version_text, rec, len) &&
                      inside(r.version.pre, rec, len) &&
                      inside(r.description, rec, len) &&
                      (!r.library || inside(r.library, rec, len)),
                  "byte %zu", at);
        cr_assert(pk__name_valid(r.name, strlen(r.name)) &&
                  pk__name_valid(r.ns, strlen(r.ns)));
        for (size_t i = 0; i < r.nreq; i++)
          cr_assert(inside(r.reqs[i].text, rec, len), "byte %zu", at);
        size_t np;
        const char *pf = pk__record_provides_at(&r, &np), *ps = pf + np;
        cr_assert_leq(ps, rec + len, "byte %zu", at);
        for (size_t i = 0; i < np; i++) {
          pk__mprov e;
          cr_assert_leq(pf[i], 1, "byte %zu", at);
          ps = pk__record_provides(ps, &e);
          cr_assert(inside(e.kind, rec, len) && inside(e.tag, rec, len) &&
                        inside(e.extends, rec, len),
                    "byte %zu", at);
        }
        pk__manifest_free(&libc, &r);
      } else {
        cr_assert_eq(st, PK_EIO, "byte %zu", at);
        refused++;
      }
      free(rec);
    }
  /* the head, the flags and the padding at least: what the file's
   * checksum does not catch (a sealed file) is caught here or harmless */
  cr_assert_gt(refused, 3 * 8, "%zu of %zu refused", refused, 3 * len);
  for (size_t cut = 0; cut < len; cut++) {
    char *rec = malloc(cut ? cut : 1);
    memcpy(rec, good, cut);
    cr_assert_eq(pk__manifest_from_record(&libc, rec, cut, &r), PK_EIO,
                 "cut to %zu bytes", cut);
    free(rec);
  }
  free(good);
  pk__manifest_free(&libc, &m);
}

/* Every byte of the cache file damaged in turn (unsealed: each checksum
 * as written): a warm start gives exactly what reading gives, documents
 * included -- a damaged record or section is refused with the file, a
 * damaged image when its document is first asked for. */
Test(mcache, every_damaged_byte_is_refused, .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  discover_free(cache);
  size_t len;
  char *good = cache_bytes(&len);
  for (size_t at = 0; at < len; at++) {
    char byte = (char)(good[at] ^ (at % 2 ? 0x01 : 0x80));
    corrupt("one byte", good, len, -1);
    corrupt("one byte", &byte, 1, (off_t)at);
    logbuf log;
    char got[65536];
    pk_host *h = discover(cache, &log);
    describe(h, got, sizeof got);
    pk_host_free(h);
    cr_assert_str_eq(got, reference, "byte %zu", at);
  }
  free(good);
}

/* A cache whose checksums match but whose record of a manifest is not one
 * a manifest gives (its name not a name) is not trusted with it: that
 * manifest is read.  (With images checked at discovery, a damaged one made
 * it fail with "out of memory", found by fuzz_mcache.) */
Test(mcache, a_record_that_is_not_a_manifest_is_read_instead,
     .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  discover_free(cache);
  FILE *f = fopen(cache, "rb");
  cr_assert_not_null(f);
  char data[65536];
  size_t len = fread(data, 1, sizeof data, f);
  fclose(f);
  cr_assert(len > 0 && len < sizeof data);
  data[record_of("b")] = '/';
  pk__mc_seal(data, len);
  corrupt("sealed", data, len, -1);
  expect_same(cache, reference, "2 manifests from the cache, 2 read");
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
}

/* The word of an entry's head the file holds 0 in (a read cache marks
 * there the entries whose records plugins use) is checked as the rest is:
 * a file (its checksums matching) with it set is refused, rebuilt. */
Test(mcache, an_entry_with_its_zero_word_set_is_refused, .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  discover_free(cache);
  size_t len;
  char *data = cache_bytes(&len);
  /* the first entry: after the header (64 bytes), the section's head (88)
   * and its root (NUL, padding to 8) */
  size_t at = 64 + 88 + ((strlen(root) + 1 + 7) & ~(size_t)7);
  pk__mc_ent e;
  cr_assert_leq(at + sizeof e, len);
  memcpy(&e, data + at, sizeof e);
  cr_assert_eq(e.lent, 0);
  cr_assert_eq(e.name_len, 1);
  cr_assert_eq(data[at + sizeof e], 'a', "not the entry of a");
  e.lent = 1;
  memcpy(data + at, &e, sizeof e);
  pk__mc_seal(data, len);
  corrupt("sealed", data, len, -1);
  free(data);
  expect_same(cache, reference, "0 manifests from the cache, 4 read");
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
}

/* Something else in the cache's place (a FIFO would block a reader) is
 * not read, and is replaced. */
Test(mcache, a_fifo_in_its_place_is_replaced, .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  cr_assert_eq(mkfifo(cache, 0644), 0, "%s", strerror(errno));
  expect_same(cache, reference, "not a plugin cache; rebuilding it");
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
}

/* The cache's temporary file is never written through a symlink planted
 * at its name (PATH.tmp.PID.N) in the cache's directory. */
Test(mcache, a_symlink_at_the_temporary_name_is_not_followed,
     .fini = remove_tree)
{
  make_tree();
  settle();
  take_reference();
  char victim[400], link[400];
  snprintf(victim, sizeof victim, "%s/victim", root);
  write_file(victim, "keep me\n");
  for (int i = -1; i < 16; i++) { /* -1: PATH.tmp.PID, the name before */
    snprintf(link, sizeof link, "%s.tmp.%ld.%d", cache, (long)getpid(), i);
    if (i < 0)
      *strrchr(link, '.') = '\0';
    cr_assert_eq(symlink(victim, link), 0, "%s", strerror(errno));
  }
  expect_same(cache, reference, "0 manifests from the cache, 4 read");
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
  char *text = read_text(victim);
  cr_expect_str_eq(text, "keep me\n");
  free(text);
  struct stat sb;
  cr_assert_eq(lstat(cache, &sb), 0);
  cr_expect(S_ISREG(sb.st_mode));
  for (int i = -1; i < 16; i++) {
    snprintf(link, sizeof link, "%s.tmp.%ld.%d", cache, (long)getpid(), i);
    if (i < 0)
      *strrchr(link, '.') = '\0';
    unlink(link);
  }
}

/* A cache that cannot be written costs time, nothing else. */
Test(mcache, unwritable_cache_warns, .fini = remove_tree)
{
  make_tree();
  take_reference();
  char path[400];
  snprintf(path, sizeof path, "%s/no-such-dir/cache", root);
  expect_same(path, reference, "cannot write it (No such file or directory)");
  expect_same(path, reference, "0 manifests from the cache, 4 read");
}

/* A fresh root with a host description (namespace runner, kind cache)
 * and an empty plugins directory; the cache's path beside it. */
static void make_typed_root(void)
{
  snprintf(root, sizeof root, "/tmp/pk-mcache-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  snprintf(cache, sizeof cache, "%s.cache", root);
  char path[600];
  snprintf(path, sizeof path, "%s/host.toml", root);
  write_file(path, "[namespaces.runner]\nabi = 1\n"
                   "[kinds.cache]\ntable = \"caches\"\nversion = 1\n");
  snprintf(path, sizeof path, "%s/plugins", root);
  mkdir(path, 0755);
}

/* A host made with o, described by make_typed_root's host.toml and
 * searching its plugins directory. */
static pk_host *typed_host(const pk_host_options *o)
{
  char path[600];
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(o, &h, &e), PK_OK);
  snprintf(path, sizeof path, "%s/host.toml", root);
  cr_assert_eq(pk_host_load_description(h, path, &e), PK_OK, "%s",
               e.message);
  snprintf(path, sizeof path, "%s/plugins", root);
  cr_assert_eq(pk_host_add_path(h, path, &e), PK_OK);
  return h;
}

static pk_status local_factory(const pk_instance_args *a, void **out,
                               pk_error *err)
{
  (void)a;
  (void)err;
  *out = strdup("local");
  return *out ? PK_OK : PK_ENOMEM;
}

static void local_destroy(void *data, void *inst)
{
  (void)data;
  free(inst);
}

/* A data plugin of the types tree: [[provides]] entries PROV. */
#define PROVIDER(NAME, PROV)                                                   \
  "name = \"" NAME "\"\nnamespace = \"runner\"\nversion = \"1.0.0\"\n"         \
  "description = \"types of " NAME "\"\n" PROV

/* A host of the description in root/host.toml and the search path
 * root/plugins that loads config text (cache_path: its cache, or NULL);
 * what it said in *msg ("" when it loaded).  *out: the host, or freed when
 * out is NULL. */
static void typed_start(const char *cache_path, const char *config,
                        char *msg, size_t cap, pk_host **out)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache_path};
  pk_host *h = typed_host(&o);
  pk_error e;
  msg[0] = '\0';
  if (pk_host_load_config_text(h, config, strlen(config), "config.toml",
                               NULL, &e) != PK_OK)
    pk_error_format(&e, msg, cap);
  if (out)
    *out = h;
  else
    pk_host_free(h);
}

/* A warm start declares a config's plugin types from their records (no
 * document made for a type the config does not use) and gives exactly
 * what reading the manifests gives: the config decoded by the used type's
 * schema, and the same errors with the same manifest positions (a kind
 * the host does not declare, a tag two plugins provide), read from the
 * document only then. */
Test(mcache, types_are_declared_from_the_record, .fini = remove_tree)
{
  make_typed_root();
  put_plugin("plugins/one", PROVIDER("one",
             "[[provides]]\nkind = \"cache\"\ntag = \"t1\"\n"
             "[provides.config]\n"
             "level = { type = \"integer\", min = 0, default = 3 }\n"
             "[[provides]]\nkind = \"cache\"\ntag = \"t1x\"\n"
             "extends = \"t1\"\n"));
  put_plugin("plugins/two", PROVIDER("two",
             "\n[[provides]]\nkind = \"cache\"\ntag = \"t2\"\n"));
  put_plugin("plugins/dup", PROVIDER("dup",
             "[[provides]]\n  kind = \"cache\"\n  tag = \"t2\"\n"));
  put_plugin("plugins/odd", PROVIDER("odd",
             "[[provides]]\n\nkind = \"nosuch\"\ntag = \"t3\"\n"));
  settle();
  static const char *const configs[] = {
      "[plugins]\none = \"runner:one\"\ntwo = \"runner:two\"\n"
      "[caches.a]\ntype = \"t1x\"\nlevel = 7\n",
      "[plugins]\none = \"runner:one\"\n[caches.a]\ntype = \"t1\"\n"
      "level = -1\n",
      "[plugins]\ntwo = \"runner:two\"\ndup = \"runner:dup\"\n",
      "[plugins]\none = \"runner:one\"\nodd = \"runner:odd\"\n"};
  for (size_t i = 0; i < sizeof configs / sizeof *configs; i++) {
    char want[1200], got[1200];
    unlink(cache);
    typed_start(NULL, configs[i], want, sizeof want, NULL);
    typed_start(cache, configs[i], got, sizeof got, NULL); /* writes it */
    cr_assert_str_eq(got, want, "config %zu", i);
    pk_host *h;
    typed_start(cache, configs[i], got, sizeof got, &h);
    cr_assert_str_eq(got, want, "config %zu", i);
    pk_plugin *one = pk_host_find_plugin(h, "runner:one"),
              *two = pk_host_find_plugin(h, "runner:two");
    cr_assert(one && one->m.cached && two && two->m.cached);
    if (i == 0) { /* one's types used, two's only declared */
      cr_assert_str_eq(want, "");
      cr_assert_not_null(one->m.root);
      cr_assert_null(two->m.root);
    } else if (i == 1) {
      cr_assert_not_null(strstr(want, "config.toml:5:9: level = -1 is below"), "%s", want);
    } else {
      cr_assert_not_null(strstr(want, "/plugin.toml:7:"), "%s", want);
    }
    pk_host_free(h);
  }
}

/* A lazy code plugin known from the cache loads on first use like one
 * whose manifest was read. */
Test(mcache, lazy_plugin_from_the_cache_loads)
{
  snprintf(cache, sizeof cache, "/tmp/pk-mcache-lazy-%ld.cache",
           (long)getpid());
  unlink(cache);
  settle(); /* the fixtures may have been copied just now */
  for (int run = 0; run < 2; run++) {
    logbuf log = {""};
    pk_host_options o = {.size = sizeof o, .ignore_env = true,
                         .cache_path = cache, .log = on_log, .log_ud = &log};
    pk_host *h;
    pk_error err;
    cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
    cr_assert_eq(pk_host_load_description(h, HOST_TOML, &err), PK_OK);
    cr_assert_eq(pk_host_add_path(h, TY, &err), PK_OK);
    pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                         .schema_toml = LOCAL_SCHEMA, .factory = local_factory,
                         .destroy = local_destroy};
    cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
    static const char config[] = "[plugins.remote]\nplugin = \"runner:s3\"\n"
                                 "retries = 5\n"
                                 "[caches.shared]\ntype = \"s3\"\n"
                                 "bucket = \"b1\"\n";
    cr_assert_eq(pk_host_load_config_text(h, config, sizeof config - 1,
                                          "config.toml", NULL, &err),
                 PK_OK, "%s", err.message);
    cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
                 err.message);
    cr_assert_not(s3_loaded());
    void *obj;
    cr_assert_eq(pk_host_get_instance(h, "cache", "shared", &obj, &err),
                 PK_OK, "%s", err.message);
    cr_assert(s3_loaded());
    cr_assert_eq(strncmp(obj, "s3 shared bucket=b1", 19), 0, "%s",
                 (char *)obj);
    cr_assert_not_null(strstr(log.text, run ? " 0 read" : "0 manifests from"),
                       "%s", log.text);
    pk_host_free(h);
  }
  unlink(cache);
  char journal[sizeof cache + 8];
  snprintf(journal, sizeof journal, "%s.journal", cache);
  unlink(journal);
}

/* Out of memory anywhere in a cold start (which writes the cache) or a
 * warm one (which serves from it): PK_ENOMEM, nothing leaked. */
static pk_status start(counting *cnt, void *ud)
{
  if (*(bool *)ud)
    unlink(cache);
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache, .alloc = counting_alloc,
                       .alloc_ud = cnt};
  pk_host *h;
  pk_status st = pk_host_new(&o, &h, NULL);
  if (st != PK_OK)
    return st;
  if ((st = pk_host_add_path(h, root, NULL)) == PK_OK)
    st = pk_host_discover(h, NULL);
  pk_host_free(h);
  return st;
}

Test(mcache, out_of_memory, .fini = remove_tree)
{
  make_tree();
  settle();
  bool cold = true;
  oom_sweep(start, &cold);
  cold = false;
  oom_sweep(start, &cold);
  take_reference();
  expect_same(cache, reference, "3 manifests from the cache, 1 read");
}

/* The allocator of the test below: counts on the size of every block. */
typedef struct sizes {
  size_t n, size[4096];
} sizes;

static void *sizes_alloc(void *ud, void *p, size_t old, size_t n)
{
  sizes *s = ud;
  (void)old;
  if (!n) {
    free(p);
    return NULL;
  }
  if (s->n < sizeof s->size / sizeof s->size[0])
    s->size[s->n++] = n;
  return realloc(p, n);
}

/* A start (which writes the cache) with sizes_alloc counting into s. */
static void discover_sizes(sizes *s)
{
  s->n = 0;
  pk_host_options o = {.size = sizeof o,
                       .ignore_env = true,
                       .cache_path = cache,
                       .alloc = sizes_alloc,
                       .alloc_ud = s};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, root, &e), PK_OK);
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  pk_host_free(h);
}

/* A start that writes the cache writes the images a buffer at a time,
 * then the records: no block the size of the file is allocated (one was:
 * every image was copied into it a second time). */
Test(mcache, writing_the_cache_takes_no_buffer_of_its_size, .fini = remove_tree)
{
  make_tree();
  settle(); /* old enough to be imaged */
  static sizes s;
  discover_sizes(&s);
  struct stat sb;
  cr_assert_eq(stat(cache, &sb), 0, "%s: %s", cache, strerror(errno));
  cr_assert_lt(s.n, sizeof s.size / sizeof s.size[0]);
  for (size_t i = 0; i < s.n; i++)
    cr_expect_neq(s.size[i], (size_t)sb.st_size,
                  "block %zu has the size of the file (%zu bytes)", i,
                  s.size[i]);
  /* and the file is the one a start with the library's allocator writes */
  size_t len, len2;
  char *bytes = cache_bytes(&len);
  cr_assert_eq(unlink(cache), 0);
  pk_host_free(discover(cache, NULL));
  char *bytes2 = cache_bytes(&len2);
  cr_assert_eq(len, len2);
  cr_expect(memcmp(bytes, bytes2, len) == 0);
  free(bytes);
  free(bytes2);
}

/* Plugin big: a manifest of 1 000 hooks, its image over 16 KiB. */
static void put_big_plugin(void)
{
  static char hooks[16384], big[17000];
  size_t n = (size_t)snprintf(hooks, sizeof hooks, "hooks = [");
  for (int i = 0; i < 1000; i++)
    n += (size_t)snprintf(hooks + n, sizeof hooks - n, "\"h%04d\",", i);
  cr_assert_lt(n + 2, sizeof hooks);
  snprintf(hooks + n, sizeof hooks - n, "]\n");
  snprintf(big, sizeof big, GOOD("big", "1.0.0", "%s"), hooks);
  put_plugin("big", big);
}

/* The header's sizes of the cache file: its sections (*payload) and
 * images. */
static void cache_sizes(uint64_t *payload, uint64_t *images)
{
  size_t len;
  char *bytes = cache_bytes(&len);
  memcpy(payload, bytes + 32, sizeof *payload);
  memcpy(images, bytes + 48, sizeof *images);
  free(bytes);
  cr_assert_eq(64 + *payload + *images, (uint64_t)len);
}

/* A cold start writes the images a buffer at a time, made as they are
 * written: no block the size of the images region is allocated (one was:
 * every image was made into it before the file was opened), and an image
 * larger than the buffer (a manifest of 1 000 hooks) is written whole;
 * a warm start serves every manifest from what was written. */
Test(mcache, images_are_written_a_buffer_at_a_time, .fini = remove_tree)
{
  make_tree();
  for (int i = 0; i < 250; i++) { /* images of ~140 KiB */
    char dir[32], name[32], text[512];
    snprintf(dir, sizeof dir, "many%03d", i);
    snprintf(name, sizeof name, "m%03d", i);
    snprintf(text, sizeof text, GOOD("%s", "1.0.%d", ""), name, i, name);
    put_plugin(dir, text);
  }
  put_big_plugin();
  settle();
  take_reference();
  static sizes s;
  discover_sizes(&s);
  uint64_t payload, images;
  cache_sizes(&payload, &images);
  cr_assert_gt(images, 8 * 16384, "%llu", (unsigned long long)images);
  cr_assert_lt(s.n, sizeof s.size / sizeof s.size[0]);
  for (size_t i = 0; i < s.n; i++)
    cr_expect_lt(s.size[i], images,
                 "block %zu of %zu bytes, the images region has %llu", i,
                 s.size[i], (unsigned long long)images);
  expect_same(cache, reference, "254 manifests from the cache, 1 read");
}

/* The buffer the images are written with has the size of the header and
 * sections (at least 16 KiB): with a few plugins, an image larger than
 * that (big's) grows it and is written whole, and the header and
 * sections after it are written from the grown buffer. */
Test(mcache, an_image_larger_than_the_buffer_is_written_whole,
     .fini = remove_tree)
{
  make_tree();
  put_big_plugin();
  settle();
  take_reference();
  discover_free(cache);
  uint64_t payload, images;
  cache_sizes(&payload, &images);
  cr_assert_lt(payload, 16384, "%llu", (unsigned long long)payload);
  /* (the three other images take under 8 KiB: big's is over 16 KiB) */
  cr_assert_gt(images, 16384 + 8192, "%llu", (unsigned long long)images);
  expect_same(cache, reference, "4 manifests from the cache, 1 read");
}

/* Records are made in a buffer of about 256 bytes a manifest: one of a
 * description of 4 000 bytes outgrows it, and is made again in the grown
 * buffer, whole (the warm start describes it as the cold one did). */
Test(mcache, a_record_larger_than_its_room_is_made_again, .fini = remove_tree)
{
  make_tree();
  static char desc[4001], text[4200];
  memset(desc, 'd', sizeof desc - 1);
  snprintf(text, sizeof text,
           "name = \"long\"\nnamespace = \"mc\"\nversion = \"1.0.0\"\n"
           "description = \"%s\"\n", desc);
  put_plugin("long", text);
  settle();
  take_reference();
  cr_assert_not_null(strstr(reference, desc));
  discover_free(cache);
  expect_same(cache, reference, "4 manifests from the cache, 1 read");
}

/* A record keeps each string after its length (two bytes): a string of
 * 65 535 bytes is recorded and given back whole, one longer makes the
 * manifest one that is not recorded (read every time; a manifest under
 * the 64 KiB an image allows cannot hold one). */
Test(mcache, a_record_holds_strings_up_to_64_kib)
{
  static const char text[] = GOOD("b", "1.0.0", "");
  pk__allocator libc = {NULL, NULL};
  pk__manifest m, r;
  load_b(text, sizeof text - 1, &m);
  const char *description = m.description;
  char *big = malloc(65537);
  cr_assert_not_null(big);
  memset(big, 'x', 65536);
  big[65536] = '\0';
  m.description = big;
  cr_assert_eq(pk__manifest_record(&m, NULL, 0), 0);
  big[65535] = '\0';
  size_t len = pk__manifest_record(&m, NULL, 0);
  cr_assert_gt(len, 65535);
  char *rec = malloc(len);
  cr_assert_eq(pk__manifest_record(&m, rec, len), len);
  cr_assert_eq(pk__manifest_from_record(&libc, rec, len, &r), PK_OK);
  cr_assert_eq(strlen(r.description), 65535);
  cr_assert_eq(pk__record_strlen(r.description), 65535);
  cr_assert_eq(pk__record_strlen(r.name), 1);
  cr_assert_str_eq(r.name, "b");
  cr_assert_eq(pk__record_strlen(r.ns), strlen(m.ns));
  pk__manifest_free(&libc, &r);
  free(rec);
  m.description = description;
  free(big);
  pk__manifest_free(&libc, &m);
}

/* The checksum of the file's sections and of each image sees every bit
 * of its range, the last n % 8 bytes included (an image's length is not
 * a multiple of 8), and the length itself. */
Test(mcache, every_bit_of_a_checksummed_range_counts)
{
  unsigned char buf[77];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (unsigned char)(i * 37 + 11);
  for (size_t n = 0; n <= sizeof buf; n += 1) {
    uint64_t sum = pk__mc_sum(buf, n);
    if (n)
      cr_assert_neq(pk__mc_sum(buf, n - 1), sum, "length %zu", n);
    for (size_t at = 0; at < n; at++)
      for (int bit = 0; bit < 8; bit++) {
        buf[at] ^= (unsigned char)(1u << bit);
        cr_assert_neq(pk__mc_sum(buf, n), sum, "length %zu, byte %zu, bit %d",
                      n, at, bit);
        buf[at] ^= (unsigned char)(1u << bit);
      }
  }
}

/* pk__mc_key_is (a warm start's test of each manifest) agrees with
 * pk__mc_key_of + pk__mc_key_eq: the same file is its key, and a key
 * differing in any one field (device, inode, size, either time to the
 * nanosecond) is not. */
Test(mcache, a_key_is_the_stat_it_was_made_of)
{
  struct stat sb;
  cr_assert_eq(stat("/", &sb), 0);
  pk__mc_key k;
  pk__mc_key_of(&sb, &k);
  cr_assert(pk__mc_key_is(&sb, &k));
  static const size_t field[] = {
      offsetof(pk__mc_key, dev),      offsetof(pk__mc_key, ino),
      offsetof(pk__mc_key, size),     offsetof(pk__mc_key, mtime_s),
      offsetof(pk__mc_key, mtime_ns), offsetof(pk__mc_key, ctime_s),
      offsetof(pk__mc_key, ctime_ns)};
  for (size_t i = 0; i < sizeof field / sizeof *field; i++) {
    pk__mc_key d = k;
    uint64_t v;
    memcpy(&v, (char *)&d + field[i], 8);
    v ^= 1;
    memcpy((char *)&d + field[i], &v, 8);
    cr_assert(!pk__mc_key_is(&sb, &d) && !pk__mc_key_eq(&d, &k), "%zu", i);
  }
}

/* Allocations of a config that declares n plugins, each providing one
 * type, over the counting allocator (the discovery's before the count;
 * the cache gives the records, a host's own allocator the documents). */
static long config_allocs(int n)
{
  counting cnt = {0};
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache, .alloc = counting_alloc,
                       .alloc_ud = &cnt};
  pk_host *h = typed_host(&o);
  pk_error e;
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  char *config = malloc((size_t)n * 40 + 16), *at = config;
  at += sprintf(at, "[plugins]\n");
  for (int i = 0; i < n; i++)
    at += sprintf(at, "a%03d = \"runner:p%03d\"\n", i, i);
  long before = cnt.calls;
  cr_assert_eq(pk_host_load_config_text(h, config, strlen(config),
                                        "config.toml", NULL, &e), PK_OK,
               "%s", e.message);
  long calls = cnt.calls - before;
  free(config);
  pk_host_free(h);
  cr_assert_eq(cnt.live, 0);
  return calls;
}

/* A config's declarations take one heap block each, not two (each a
 * fresh page now and then in a new process): a declaration holds its
 * alias, and the lists and maps holding the declarations and their types
 * are sized once for the declared plugins, not grown through every size.
 * So declaring 96 more plugins takes under four allocations each (the
 * declaration, its decoded config, its type; it took 4.3: its alias
 * besides, and the growths). */
Test(mcache, declared_plugins_take_few_allocations, .fini = remove_tree)
{
  enum { N = 128 };
  make_typed_root();
  for (int i = 0; i < N; i++) {
    char dir[40], name[16], text[400];
    snprintf(name, sizeof name, "p%03d", i);
    snprintf(dir, sizeof dir, "plugins/%s", name);
    snprintf(text, sizeof text,
             "name = \"%s\"\nnamespace = \"runner\"\nversion = \"1.0.0\"\n"
             "description = \"types of %s\"\n"
             "[[provides]]\nkind = \"cache\"\ntag = \"t%s\"\n",
             name, name, name);
    put_plugin(dir, text);
  }
  settle();
  config_allocs(1); /* writes the cache */
  long few = config_allocs(32), many = config_allocs(N);
  cr_assert_lt(many - few, 4 * (N - 32),
               "%ld allocations for 32 declared plugins, %ld for %d", few,
               many, N);
}
