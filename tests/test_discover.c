/* test_discover.c -- large search paths are loaded by several threads:
 * the result must be the one a single thread gives, in the same order,
 * broken and shadowed plugins included, with and without the metadata
 * cache.  Also built as a plain program
 * (PK_STRESS_MAIN, target pk_discover_stress) for the TSan step.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* sched_setaffinity */
#include "test_util.h"
#include <plugkit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PK_STRESS_MAIN
#include <sched.h>

#include "stages.h"
#endif

/* enough for two loader threads on a machine of two CPUs or more, reading
 * (512 manifests) and served from the cache (1024) */
#define N 1100

static char root[256];

static void make_tree(void)
{
  snprintf(root, sizeof root, "/tmp/pk-discover-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  char dir[512], path[600], text[512];
  for (int i = 0; i < N; i++) {
    snprintf(dir, sizeof dir, "%s/d%04d", root, i);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/plugin.toml", dir);
    if (i % 97 == 5) /* broken */
      snprintf(text, sizeof text, "name = \"p%04d\"\nversion = 1\n", i);
    else if (i % 131 == 7) /* the same plugin again: shadowed */
      snprintf(text, sizeof text,
               "name = \"p%04d\"\nnamespace = \"big\"\nversion = \"2.0.0\"\n",
               i - 1);
    else if (i == 0)
      snprintf(text, sizeof text,
               "name = \"p0000\"\nnamespace = \"big\"\nversion = \"1.0.0\"\n");
    else
      snprintf(text, sizeof text,
               "name = \"p%04d\"\nnamespace = \"big\"\nversion = \"1.%d.0\"\n"
               "requires = [\"p%04d\"]\n",
               i, i, i - 1);
    write_file(path, text);
  }
  snprintf(dir, sizeof dir, "%s/not-a-plugin", root); /* no plugin.toml */
  mkdir(dir, 0755);
}

static void *plain_realloc(void *ud, void *p, size_t old, size_t n)
{
  (void)ud;
  (void)old;
  if (n == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

static pk_host *discover_with(bool own_allocator, const char *cache)
{
  /* A host's own allocator keeps discovery on one thread. */
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .alloc = own_allocator ? plain_realloc : NULL,
                       .cache_path = cache};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, root, &e), PK_OK);
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  return h;
}

static pk_host *discover(bool own_allocator)
{
  return discover_with(own_allocator, NULL);
}

/* par found what seq found, in the same order; par is freed. */
static void expect_same(pk_host *par, pk_host *seq)
{
  size_t n = pk_host_plugin_count(par);
  cr_assert_eq(n, N);
  cr_assert_eq(pk_host_plugin_count(seq), n);
  size_t broken = 0, shadowed = 0;
  for (size_t i = 0; i < n; i++) {
    pk_plugin *a = pk_host_plugin_at(par, i), *b = pk_host_plugin_at(seq, i);
    cr_expect_str_eq(pk_plugin_get_id(a), pk_plugin_get_id(b));
    cr_expect_str_eq(pk_plugin_get_manifest_path(a),
                     pk_plugin_get_manifest_path(b));
    cr_expect_str_eq(pk_plugin_get_version(a), pk_plugin_get_version(b));
    cr_expect_eq(pk_plugin_get_state(a), pk_plugin_get_state(b));
    cr_expect_str_eq(pk_plugin_get_reason(a), pk_plugin_get_reason(b));
    broken += pk_plugin_get_state(a) == PK_STATE_BROKEN;
    shadowed += pk_plugin_get_state(a) == PK_STATE_SHADOWED;
  }
  size_t want_broken = 0;
  for (int i = 0; i < N; i++)
    want_broken += i % 97 == 5;
  cr_expect_eq(broken, want_broken);
  cr_expect_gt(shadowed, 0);
  /* the first copy wins: p0006 is 1.6.0, its shadow (d0007) 2.0.0 */
  cr_expect_str_eq(pk_plugin_get_version(pk_host_find_plugin(par, "big:p0006")),
                   "1.6.0");
  /* and the records work: a long chain resolves */
  pk_error e;
  const char *req[] = {"big:p0004"};
  cr_expect_eq(pk_host_register(par, req, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pk_host_free(par);
}

static void remove_tree(void)
{
  char cmd[1000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.cache' '%s.cache.journal'", root,
           root, root);
  cr_expect_eq(system(cmd), 0);
}

Test(discover, threads_give_the_single_thread_result)
{
  make_tree();
  pk_host *seq = discover(true);
  expect_same(discover(false), seq);
  pk_host_free(seq);
  remove_tree();
}

/* The tree, old enough to be cached (the racy window), and its cache's
 * path into cache. */
static void make_settled_tree(char *cache, size_t n)
{
  make_tree();
  struct timespec settle = {2, 200 * 1000 * 1000};
  nanosleep(&settle, NULL);
  snprintf(cache, n, "%s.cache", root);
}

/* The same with the metadata cache: written by the loader threads (cold),
 * served by them (warm), and partly served while they read the manifests
 * that changed. */
Test(discover, threads_and_the_metadata_cache)
{
  char cache[300];
  make_settled_tree(cache, sizeof cache);
  pk_host *seq = discover(true);
  expect_same(discover_with(false, cache), seq); /* cold */
  expect_same(discover_with(false, cache), seq); /* warm */
  char path[600], text[512];
  for (int i = 1; i < N; i += 4) { /* rewritten as they were */
    if (i % 97 == 5 || i % 131 == 7)
      continue;
    snprintf(path, sizeof path, "%s/d%04d/plugin.toml", root, i);
    snprintf(text, sizeof text,
             "name = \"p%04d\"\nnamespace = \"big\"\nversion = \"1.%d.0\"\n"
             "requires = [\"p%04d\"]\n",
             i, i, i - 1);
    write_file(path, text);
  }
  expect_same(discover_with(false, cache), seq); /* mixed */
  pk_host_free(seq);
  remove_tree();
}

/* Manifests served from the cache get their documents on first use: many
 * threads asking at once (the host frozen) each get the one document,
 * the same every time. */
#define ASKERS 8

static void *ask_all(void *arg)
{
  pk_host *h = arg;
  size_t keys = 0;
  for (size_t i = 0; i < pk_host_plugin_count(h); i++) {
    const pk_value *m = pk_plugin_get_manifest(pk_host_plugin_at(h, i));
    const char *v = "";
    pk_table_get_string(m, "version", &v, NULL);
    keys += pk_table_count(m) + (strcmp(v, pk_plugin_get_version(
                                                pk_host_plugin_at(h, i))) != 0
                                     ? 1000000
                                     : 0);
  }
  return (void *)keys;
}

Test(discover, documents_made_on_first_use_from_many_threads)
{
  char cache[300];
  make_settled_tree(cache, sizeof cache);
  pk_host_free(discover_with(false, cache)); /* writes it */
  pk_host *h = discover_with(false, cache);
  pk_error e;
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pthread_t t[ASKERS];
  void *got[ASKERS];
  for (int i = 0; i < ASKERS; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, ask_all, h), 0);
  for (int i = 0; i < ASKERS; i++) {
    pthread_join(t[i], &got[i]);
    cr_expect_eq(got[i], got[0]);
  }
  /* as many keys as reading every manifest gives, each version the one
   * its record has */
  pk_host *seq = discover(true);
  cr_expect_eq(got[0], ask_all(seq));
  cr_expect_gt((size_t)got[0], (size_t)(3 * N));
  cr_expect((size_t)got[0] < 1000000);
  pk_host_free(seq);
  pk_host_free(h);
  remove_tree();
}

#ifndef PK_STRESS_MAIN
/* ---- long paths ---- */

static char served_log[512];

static void log_debug(void *ud, pk_log_level level, const char *plugin,
                      const char *message)
{
  (void)ud;
  (void)level;
  (void)plugin;
  if (strstr(message, "manifests from the cache"))
    snprintf(served_log, sizeof served_log, "%s", strstr(message, ": ") + 2);
}

/* Discovers under dir (the cache at cache, or none): "a" and the plugin
 * in the directory named long_name, their manifest paths whole; what the
 * cache's debug line said into served_log. */
static void expect_both(const char *dir, const char *long_name,
                        const char *cache)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache, .log = log_debug};
  pk_host *h;
  pk_error e;
  served_log[0] = '\0';
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, dir, &e), PK_OK);
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  cr_assert_eq(pk_host_plugin_count(h), 2);
  char want[2048];
  snprintf(want, sizeof want, "%s/a/plugin.toml", dir);
  pk_plugin *a = pk_host_find_plugin(h, "long:a");
  cr_assert_not_null(a);
  cr_expect_str_eq(pk_plugin_get_manifest_path(a), want);
  snprintf(want, sizeof want, "%s/%s/plugin.toml", dir, long_name);
  pk_plugin *b = pk_host_find_plugin(h, "long:b");
  cr_assert_not_null(b);
  cr_expect_str_eq(pk_plugin_get_manifest_path(b), want);
  pk_host_free(h);
}

/* A manifest's path is built in a small buffer on the loader's stack
 * until one does not fit it: a search path of 300 bytes whose first entry
 * fits and second (a name of 240 bytes) does not, and one of 600 bytes,
 * none of whose entries fits; found alike when read, when cached and when
 * served from the cache. */
Test(discover, long_paths_are_read_and_served_from_the_cache)
{
  char base[64], dir[2][1024], name[241], path[2048];
  make_temp_root(base, sizeof base, "pk-long");
  memset(name, 'y', sizeof name - 1);
  name[0] = 'b';
  name[sizeof name - 1] = '\0';
  for (int k = 0; k < 2; k++) {
    size_t want = k ? 600 : 300;
    snprintf(dir[k], sizeof dir[k], "%s/%d", base, k);
    cr_assert_eq(mkdir(dir[k], 0755), 0);
    while (strlen(dir[k]) + 1 < want) { /* components of 100 bytes, the
                                           last to the length wanted */
      size_t l = strlen(dir[k]), c = want - l - 1 < 100 ? want - l - 1 : 100;
      dir[k][l] = '/';
      memset(dir[k] + l + 1, 'x', c);
      dir[k][l + 1 + c] = '\0';
      cr_assert_eq(mkdir(dir[k], 0755), 0, "%s", dir[k]);
    }
    const char *names[] = {"a", name};
    for (int i = 0; i < 2; i++) {
      snprintf(path, sizeof path, "%s/%s", dir[k], names[i]);
      cr_assert_eq(mkdir(path, 0755), 0);
      snprintf(path, sizeof path, "%s/%s/plugin.toml", dir[k], names[i]);
      write_file(path, i ? "name = \"b\"\nnamespace = \"long\"\n"
                           "version = \"1.0.0\"\n"
                         : "name = \"a\"\nnamespace = \"long\"\n"
                           "version = \"1.0.0\"\n");
    }
  }
  cr_assert_gt(strlen(dir[0]) + 2 + sizeof "/plugin.toml", 200);
  cr_assert_lt(strlen(dir[0]) + 2 + sizeof "/plugin.toml", 512);
  cr_assert_gt(strlen(dir[0]) + strlen(name) + 1 + sizeof "/plugin.toml",
               512);
  cr_assert_gt(strlen(dir[1]) + 2 + sizeof "/plugin.toml", 512);
  struct timespec settle = {2, 200 * 1000 * 1000}; /* the racy window */
  nanosleep(&settle, NULL);
  for (int k = 0; k < 2; k++) {
    char cache[1100];
    snprintf(cache, sizeof cache, "%s/%d.cache", base, k);
    expect_both(dir[k], name, NULL);
    expect_both(dir[k], name, cache); /* read, and cached */
    cr_expect_str_eq(served_log, "0 manifests from the cache, 2 read");
    expect_both(dir[k], name, cache); /* served */
    cr_expect_str_eq(served_log, "2 manifests from the cache, 0 read");
  }
  remove_temp_root(base);
}
#endif

#ifdef PK_STRESS_MAIN
STRESS_MAIN(STRESS_TEST(discover, threads_give_the_single_thread_result),
            STRESS_TEST(discover, threads_and_the_metadata_cache),
            STRESS_TEST(discover, documents_made_on_first_use_from_many_threads))
#else
/* A tree of n plugins r000, r001... of namespace "cold" under a new root,
 * each with a library; the odd ones require r000, every third has a
 * description of big(i) bytes (none: 0). */
static void make_sized_tree(int n, size_t (*big)(int))
{
  snprintf(root, sizeof root, "/tmp/pk-discover-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  size_t cap = 32768;
  char dir[512], path[600], *text = malloc(cap), *desc = malloc(cap);
  cr_assert(text && desc);
  for (int i = 0; i < n; i++) {
    snprintf(dir, sizeof dir, "%s/r%03d", root, i);
    mkdir(dir, 0755);
    size_t nd = i % 3 ? 0 : big(i);
    cr_assert_lt(nd, cap - 1024);
    memset(desc, 'a' + i % 26, nd);
    desc[nd] = '\0';
    snprintf(text, cap,
             "name = \"r%03d\"\nnamespace = \"cold\"\nversion = \"1.%d.0\"\n"
             "library = \"libr%03d.so\"\nabi = 1\ndescription = \"%s\"\n%s",
             i, i, i, desc, i % 2 ? "requires = [\"r000\"]\n" : "");
    snprintf(path, sizeof path, "%s/plugin.toml", dir);
    write_file(path, text);
  }
  free(text);
  free(desc);
}

static size_t no_description(int i)
{
  (void)i;
  return 0;
}

/* A cold start (no metadata cache) of a few hundred plugins puts their
 * records, and the names, paths, documents and requirements its loaders
 * make of their manifests (on two threads where there are two CPUs), in
 * one room of the host's records arena sized for them once the search
 * path is listed (make_slots): all in one 2 MiB window (huge pages where
 * the kernel gives them), not in blocks spread over the heap, each a
 * fresh page (a fault) in a new process. */
Test(discover, a_cold_start_fills_one_room, .fini = remove_tree)
{
  enum { M = 600 };
  make_sized_tree(M, no_description);
  pk_host *h = discover(false);
  cr_assert_eq(pk_host_plugin_count(h), M);
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t w = (uintptr_t)pk_host_find_plugin(h, "cold:r000") & ~(huge - 1);
  for (int i = 0; i < M; i++) {
    char id[32];
    snprintf(id, sizeof id, "cold:r%03d", i);
    const pk_plugin *p = pk_host_find_plugin(h, id);
    cr_assert_not_null(p, "%s", id);
    cr_assert_null(p->m.cached, "%s: served", id);
    const void *at[] = {p, p->id, p->key, p->dir, p->manifest_path,
                        p->library_path, p->m.name, p->m.doc,
                        i % 2 ? (const void *)p->m.reqs : p};
    for (size_t k = 0; k < sizeof at / sizeof *at; k++)
      cr_expect_eq((uintptr_t)at[k] & ~(huge - 1), w,
                   "%s: its block %zu at %p, outside the 2 MiB at %p", id, k,
                   at[k], (void *)w);
  }
  pk_host_free(h);
}

static size_t larger_than_guessed(int i)
{
  return i % 7 ? 3000 : 20000; /* 20000: a document of a block of its own */
}

/* Manifests larger than the room's guess (read_bytes): a loader's blocks
 * past its part of the room come from chunks of its own, and the plugins
 * are the ones read on one thread without a room (a host's own
 * allocator). */
Test(discover, manifests_larger_than_the_room_guessed, .fini = remove_tree)
{
  enum { M = 700 };
  make_sized_tree(M, larger_than_guessed);
  pk_host *par = discover(false), *seq = discover(true);
  cr_assert_eq(pk_host_plugin_count(par), M);
  cr_assert_eq(pk_host_plugin_count(seq), M);
  for (size_t i = 0; i < M; i++) {
    pk_plugin *a = pk_host_plugin_at(par, i), *b = pk_host_plugin_at(seq, i);
    cr_expect_eq(pk_plugin_get_state(a), PK_STATE_DISCOVERED);
    cr_expect_str_eq(pk_plugin_get_id(a), pk_plugin_get_id(b));
    cr_expect_str_eq(pk_plugin_get_manifest_path(a),
                     pk_plugin_get_manifest_path(b));
    cr_expect_str_eq(pk_plugin_get_library_path(a),
                     pk_plugin_get_library_path(b));
    cr_expect_str_eq(pk_plugin_get_description(a),
                     pk_plugin_get_description(b));
    cr_expect_str_eq(pk_plugin_get_version(a), pk_plugin_get_version(b));
    cr_expect_eq(strlen(pk_plugin_get_description(a)),
                 i % 3 ? 0 : larger_than_guessed((int)i));
  }
  pk_host_free(par);
  pk_host_free(seq);
}

/* A process that may run on one CPU only (taskset -c 0) reads a large
 * search path on one thread: two would only take turns on it (issue 18).
 * Criterion runs the test in a process of its own. */
Test(discover, one_cpu_reads_on_one_thread)
{
  pk_host *h;
  pk_error e;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cpu_set_t all, one;
  cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
  if (CPU_COUNT(&all) > 1) {
    cr_assert_gt(pk__discover_threads(h, 10000, 0), 1);
    cr_assert_gt(pk__discover_threads(h, 0, 10000), 1); /* served: stats */
    cr_assert_gt(pk__discover_threads(h, 0, N), 1); /* the tests above */
  }
  cr_assert_eq(pk__discover_threads(h, 0, 1000), 1); /* not worth a thread */
  cr_assert_eq(pk__discover_threads(h, 100, 0), 1);
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  cr_assert_eq(sched_setaffinity(0, sizeof one, &one), 0);
  cr_assert_eq(pk__discover_threads(h, 10000, 0), 1);
  cr_assert_eq(pk__discover_threads(h, 0, 10000), 1);
  cr_assert_eq(sched_setaffinity(0, sizeof all, &all), 0);
  pk_host_free(h);
}
#endif
