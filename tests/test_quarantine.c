/* test_quarantine.c -- issue 15, point 5: the crash journal beside the
 * metadata cache.  A child process runs a real host that loads a real
 * fixture plugin crashing it (SIGSEGV in its register or post_register
 * hook); the next host skips that plugin with a warning naming it and the
 * hook, until the quarantine is cleared or the plugin's files change.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <plugkit.h>
#include <plugkit/plugin.h>

#include "crash_util.h"
#include "test_util.h"

#define FIX(set) PK_TEST_BINARY_DIR "/fixtures/" set

static char root[64], cache[128], sp[128];

static void make_root(void)
{
  make_temp_root(root, sizeof root, "pk-quar");
  snprintf(cache, sizeof cache, "%s/plugins.cache", root);
  snprintf(sp, sizeof sp, "%s/sp", root);
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s' && cp -r '%s/register_crashes' '%s/black-three' "
           "'%s/post_crashes' '%s/factory_crashes' '%s/ctor_crashes' "
           "'%s/register_aborts' '%s/'",
           sp, FIX("faults"), FIX("seed"), FIX("crash"), FIX("crash"),
           FIX("crash"), FIX("crash"), sp);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void remove_root(void) { remove_temp_root(root); }

TestSuite(quarantine, .init = make_root, .fini = remove_root, .timeout = 60);

static char logged[8192];
static bool signals_on; /* new hosts get crash_signals */

static void collect(void *ud, pk_log_level level, const char *plugin,
                    const char *message)
{
  (void)ud;
  size_t n = strlen(logged);
  snprintf(logged + n, sizeof logged - n, "%s|%s|%s\n",
           level == PK_LOG_WARN   ? "warn"
           : level == PK_LOG_INFO ? "info"
                                  : "other",
           plugin ? plugin : "", message);
}

static pk_host *new_host(void)
{
  pk_host_options o = {.size = sizeof o,
                       .cache_path = cache,
                       .log = collect,
                       .crash_signals = signals_on};
  pk_host *h = NULL;
  pk_error err;
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_add_path(h, sp, &err), PK_OK);
  logged[0] = '\0';
  return h;
}

typedef struct seen {
  char plugin[128], call[128], manifest[512];
  size_t n;
  int signal;
} seen;

static void collect_q(void *ud, const pk_quarantined *q)
{
  seen *s = ud;
  s->n++;
  snprintf(s->plugin, sizeof s->plugin, "%s", q->plugin);
  snprintf(s->call, sizeof s->call, "%s", q->call);
  snprintf(s->manifest, sizeof s->manifest, "%s", q->manifest);
  s->signal = q->signal;
}

static seen list(void)
{
  seen s = {.n = 0};
  pk_error err;
  cr_assert_eq(pk_quarantine_list(cache, collect_q, &s, &err), PK_OK, "%s",
               err.message);
  return s;
}

Test(quarantine, a_crash_in_a_register_hook_quarantines_the_plugin)
{
  crash_child(cache, sp, "faults:register_crashes");
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, "faults:register_crashes"), PK_STATE_FAILED);
  cr_expect(strstr(logged, "warn|faults:register_crashes|plugin "
                           "faults:register_crashes is in quarantine: the "
                           "host died inside its register hook"),
            "%s", logged);
  cr_expect(strstr(logged, "plugkit quarantine clear faults:register_crashes "
                           "--cache "),
            "%s", logged);
  /* the healthy plugin is not concerned */
  cr_expect_eq(state_of(h, "black:three"), PK_STATE_DISCOVERED);
  const char *reqs[] = {"faults:register_crashes"};
  pk_error err;
  cr_expect_eq(pk_host_request(h, reqs, 1, &err), PK_ETRUST);
  cr_expect(strstr(err.message, "the host requested \"faults:register_"
                                "crashes\", but plugin faults:register_"
                                "crashes is in quarantine"),
            "%s", err.message);
  pk_host_free(h);
  h = new_host();
  const char *ok[] = {"black:three"};
  cr_expect_eq(pk_host_register(h, ok, 1, NULL, 0, &err), PK_OK, "%s",
               err.message);
  pk_host_free(h);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "faults:register_crashes");
  cr_expect_str_eq(s.call, "register hook");
  cr_expect(strstr(s.manifest, "register_crashes/plugin.toml"), "%s",
            s.manifest);
  cr_expect_eq(s.signal, 0, "without crash_signals the signal is unknown");
}

Test(quarantine, a_crash_in_post_register_names_that_hook)
{
  crash_child(cache, sp, "crash:post_crashes");
  seen s = list(); /* taken in by the listing itself */
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "crash:post_crashes");
  cr_expect_str_eq(s.call, "post_register hook");
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, "crash:post_crashes"), PK_STATE_FAILED);
  cr_expect(strstr(logged, "died inside its post_register hook"), "%s", logged);
  pk_host_free(h);
}

/* A child host builds an instance of the cache type "boom", whose
 * factory (plugin crash:factory_crashes) crashes it. */
/* Writes under root a host description (namespace crash, kind cache)
 * and a configuration of text; their paths into desc and conf. */
static void cache_host_files(char desc[200], char conf[200], const char *text)
{
  snprintf(desc, 200, "%s/host.toml", root);
  snprintf(conf, 200, "%s/config.toml", root);
  FILE *f = fopen(desc, "w");
  fputs("[namespaces.crash]\nabi = 1\n[kinds.cache]\ntable = \"caches\"\n"
        "version = 1\n",
        f);
  fclose(f);
  f = fopen(conf, "w");
  fputs(text, f);
  fclose(f);
}

static void build_boom(const void *ud)
{
  (void)ud;
  char desc[200], conf[200];
  cache_host_files(desc, conf,
                   "[plugins]\nb = \"crash:factory_crashes\"\n"
                   "[caches.main]\ntype = \"boom\"\n");
  pk_host *h = new_host();
  void *obj;
  if (pk_host_load_description(h, desc, NULL) == PK_OK &&
      pk_host_load_config(h, conf, NULL, NULL) == PK_OK &&
      pk_host_register(h, NULL, 0, NULL, 0, NULL) == PK_OK)
    pk_host_get_instance(h, "cache", "main", &obj, NULL);
}

Test(quarantine, a_crash_in_a_factory_names_its_type)
{
  crashing_child(build_boom, NULL, "the factory of boom");
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "crash:factory_crashes");
  cr_expect_str_eq(s.call, "factory of cache type \"boom\"");
}

Test(quarantine, a_crash_in_a_constructor_names_the_loading)
{
  crash_child(cache, sp, "crash:ctor_crashes");
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "crash:ctor_crashes");
  cr_expect_str_eq(s.call, "loading (dlopen)"); /* the CLI's words too */
}

static void register_then_free(const void *ud)
{
  setenv("PK_TEST_KILL_AT", "dlclose", 1); /* a destructor crashes */
  pk_host *h = new_host();
  const char *reqs[] = {ud};
  if (pk_host_register(h, reqs, 1, NULL, 0, NULL) == PK_OK)
    pk_host_free(h);
}

/* The dlclose that runs a plugin's destructors is a call into its code
 * like its hooks: the host dying there quarantines it. */
Test(quarantine, a_crash_in_a_destructor_names_the_unloading)
{
  char cmd[400];
  snprintf(cmd, sizeof cmd, "cp -r '%s/segv' '%s/'", FIX("killers"), sp);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  crashing_child(register_then_free, "killers:segv", "its destructor");
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "killers:segv");
  cr_expect_str_eq(s.call, "unloading (unload hook, dlclose)");
}

Test(quarantine, all_requests_skip_a_quarantined_plugin)
{
  crash_child(cache, sp, "faults:register_crashes");
  pk_host *h = new_host();
  const char *reqs[] = {"faults:__all__"};
  pk_error err;
  cr_expect_eq(pk_host_register(h, reqs, 1, NULL, 0, &err), PK_OK, "%s",
               err.message);
  cr_expect_eq(state_of(h, "faults:register_crashes"), PK_STATE_FAILED);
  pk_host_free(h);
}

/* Registers 9000 built-in plugins big:bNNNNN, b05000 with manifest line
 * `line` (an import round large enough to fetch ahead: register.c,
 * AHEAD_MIN); its status. */
static pk_status large_round_with(const char *line, pk_error *err)
{
  pk_host *h = new_host();
  for (int i = 0; i < 9000; i++) {
    char text[256];
    snprintf(text, sizeof text,
             "name = \"b%05d\"\nnamespace = \"big\"\n"
             "version = \"1.0.0\"\n%s",
             i, i == 5000 ? line : "");
    cr_assert_eq(pk_host_add_builtin(h, NULL, text, err), PK_OK, "%s",
                 err->message);
  }
  const char *reqs[] = {"big:__all__"};
  pk_status st = pk_host_register(h, reqs, 1, NULL, 0, err);
  pk_host_free(h);
  return st;
}

/* A large round meets a quarantined plugin as a small one does: a
 * requirement of it fails the stage there, an optional one is skipped
 * with a warning. */
Test(quarantine, a_large_round_meets_a_quarantined_plugin_as_a_small_one)
{
  crash_child(cache, sp, "faults:register_crashes");
  pk_error err;
  cr_expect_eq(large_round_with("requires = [\"faults:register_crashes\"]\n",
                                &err),
               PK_ETRUST);
  cr_expect(strstr(err.message, "plugin big:b05000 requires \"faults:"
                                "register_crashes\", but plugin faults:"
                                "register_crashes is in quarantine"),
            "%s", err.message);
  cr_expect_eq(large_round_with("optional = [\"faults:register_crashes\"]\n",
                                &err),
               PK_OK, "%s", err.message);
  cr_expect(strstr(logged, "warn|big:b05000|plugin big:b05000 requires "
                           "\"faults:register_crashes\": skipped, plugin "
                           "faults:register_crashes is in quarantine"),
            "%s", logged);
}

Test(quarantine, clearing_lifts_it)
{
  crash_child(cache, sp, "faults:register_crashes");
  crash_child(cache, sp, "crash:post_crashes");
  cr_assert_eq(list().n, 2);
  size_t n = 0;
  pk_error err;
  cr_assert_eq(pk_quarantine_clear(cache, "crash:post_crashes", &n, &err),
               PK_OK);
  cr_expect_eq(n, 1);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "faults:register_crashes");
  cr_assert_eq(pk_quarantine_clear(cache, "crash:other", &n, &err), PK_OK);
  cr_expect_eq(n, 0);
  cr_assert_eq(pk_quarantine_clear(cache, NULL, &n, &err), PK_OK);
  cr_expect_eq(n, 1);
  cr_expect_eq(list().n, 0);
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, "faults:register_crashes"), PK_STATE_DISCOVERED);
  cr_expect_eq(state_of(h, "crash:post_crashes"), PK_STATE_DISCOVERED);
  pk_host_free(h);
}

Test(quarantine, a_changed_file_lifts_it)
{
  crash_child(cache, sp, "faults:register_crashes");
  char lib[256];
  snprintf(lib, sizeof lib, "%s/register_crashes/libfaults_register_crashes.so",
           sp);
  struct timespec t[2] = {{.tv_nsec = UTIME_OMIT}, {0}};
  clock_gettime(CLOCK_REALTIME, &t[1]);
  t[1].tv_sec += 10; /* a new build */
  cr_assert_eq(utimensat(AT_FDCWD, lib, t, 0), 0);
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, "faults:register_crashes"), PK_STATE_DISCOVERED);
  cr_expect(strstr(logged, "info|faults:register_crashes|plugin "
                           "faults:register_crashes leaves the quarantine: "
                           "its files changed"),
            "%s", logged);
  pk_host_free(h);
  cr_expect_eq(list().n, 0);
}

/* The header's word of claimed slots (a bit each, after magic and
 * counts): what the next start looks at. */
static uint32_t claimed_slots(void)
{
  char journal[200];
  uint32_t live = 0xffffffff;
  snprintf(journal, sizeof journal, "%s.journal", cache);
  int fd = open(journal, O_RDONLY);
  cr_assert_geq(fd, 0, "the journal lies beside the cache");
  cr_assert_eq(pread(fd, &live, sizeof live, 24), (ssize_t)sizeof live);
  close(fd);
  return live;
}

Test(quarantine, hosts_that_end_normally_leave_nothing)
{
  pk_host *a = new_host();
  const char *ok[] = {"black:three"};
  pk_error err;
  cr_assert_eq(pk_host_register(a, ok, 1, NULL, 0, &err), PK_OK, "%s",
               err.message);
  pk_host *b = new_host(); /* a live host's slot is not taken in */
  cr_assert_eq(pk_host_register(b, ok, 1, NULL, 0, &err), PK_OK);
  cr_expect_eq(claimed_slots(), 3u, "two live hosts, two slots");
  pk_host_free(b);
  cr_expect_eq(claimed_slots(), 1u);
  pk_host_free(a);
  cr_expect_eq(list().n, 0);
  /* nothing for the next start to look at */
  cr_expect_eq(claimed_slots(), 0u);
}

/* A start that finds every host before it ended cleanly only reads the
 * journal's header: its slot is claimed at its first call into plugin
 * code, which takes in a host that died meanwhile (here, one that died
 * inside faults:register_crashes after this host's discovery). */
Test(quarantine, a_quiet_start_claims_its_slot_at_its_first_call)
{
  const char *ok[] = {"black:three"};
  pk_error err;
  pk_host *a = new_host(); /* makes the journal */
  cr_assert_eq(pk_host_register(a, ok, 1, NULL, 0, &err), PK_OK, "%s",
               err.message);
  pk_host_free(a);
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(claimed_slots(), 0u, "no call into a plugin yet");
  crash_child(cache, sp, "faults:register_crashes");
  cr_expect_eq(claimed_slots(), 1u, "the dead host's slot");
  cr_assert_eq(pk_host_register(h, ok, 1, NULL, 0, &err), PK_OK, "%s",
               err.message);
  cr_expect_eq(claimed_slots(), 1u, "the dead host's slot taken in, this "
                                    "host's claimed");
  pk_host_free(h);
  cr_expect_eq(claimed_slots(), 0u);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "faults:register_crashes");
}

/* A host whose forked child frees its copy of the host (as `plugkit
 * check`'s children do), then dies inside a plugin: the child's clean end
 * must not release the parent's slot, or the next start would not look. */
static void fork_free_then_crash(const void *ud)
{
  (void)ud;
  pk_host_options o = {.size = sizeof o, .cache_path = cache};
  pk_host *h = NULL;
  pk_host_new(&o, &h, NULL);
  pk_host_add_path(h, sp, NULL);
  pk_host_discover(h, NULL); /* opens the journal, claims a slot */
  pid_t kid = fork();
  if (kid == 0) {
    pk_host_free(h);
    _exit(0);
  }
  int status = 0;
  if (kid < 0 || waitpid(kid, &status, 0) != kid || status != 0)
    _exit(8);
  const char *reqs[] = {"faults:register_crashes"};
  pk_host_register(h, reqs, 1, NULL, 0, NULL);
}

/* A new host's discovery leaves plugin id in state want; then the
 * journal lists that many plugins in quarantine. */
static void expect_discovered(const char *id, pk_plugin_state want,
                              size_t listed)
{
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, id), want, "%s", logged);
  pk_host_free(h);
  cr_expect_eq(list().n, listed);
}

Test(quarantine, a_forked_child_ending_cleanly_keeps_the_parents_slot)
{
  crashing_child(fork_free_then_crash, NULL, "faults:register_crashes");
  expect_discovered("faults:register_crashes", PK_STATE_FAILED, 1);
}

/* ---- list and clear: the path they are given, and files not ours ---- */

static char cache_journal[200]; /* cache's */

/* A host's discovery: the cache and its journal written. */
static void discover_once(void)
{
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  pk_host_free(h);
  snprintf(cache_journal, sizeof cache_journal, "%s.journal", cache);
}

/* pk_quarantine_list and pk_quarantine_clear of path both fail with code,
 * their error about source saying what. */
static void expect_both_fail(const char *path, pk_status code,
                             const char *source, const char *what)
{
  seen s = {.n = 0};
  size_t n = 7;
  pk_error err;
  cr_expect_eq(pk_quarantine_list(path, collect_q, &s, &err), code, "%s",
               err.message);
  cr_expect_eq(s.n, 0);
  cr_expect_str_eq(err.source, source);
  cr_expect(strstr(err.message, what), "%s", err.message);
  cr_expect_eq(pk_quarantine_clear(path, NULL, &n, &err), code);
  cr_expect_eq(n, 0);
  cr_expect_str_eq(err.source, source);
  cr_expect(strstr(err.message, what), "%s", err.message);
}

/* Writes the n bytes at b to path (created or emptied). */
static void write_bytes(const char *path, const void *b, size_t n)
{
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "%s", path);
  cr_assert_eq(fwrite(b, 1, n, f), n);
  fclose(f);
}

/* The file at path holds the n bytes at b, and nothing more. */
static void expect_bytes(const char *path, const void *b, size_t n)
{
  struct stat sb;
  cr_assert_eq(stat(path, &sb), 0, "%s", path);
  cr_assert_eq((size_t)sb.st_size, n, "%s", path);
  char *got = read_text(path);
  cr_expect(!memcmp(got, b, n), "%s was changed", path);
  free(got);
}

Test(quarantine, no_cache_nor_journal_is_not_found)
{
  char other[200], other_journal[220];
  snprintf(other, sizeof other, "%s/none.cache", root);
  snprintf(other_journal, sizeof other_journal, "%s.journal", other);
  expect_both_fail(other, PK_ENOTFOUND, other,
                   "no such metadata cache, nor its crash journal: no host "
                   "has run with this cache yet, or the path is wrong; pass "
                   "the metadata cache of the host");
  cr_expect_neq(access(other_journal, F_OK), 0, "no journal is made");
  seen s = {.n = 0};
  pk_error err;
  cr_expect_eq(pk_quarantine_list(NULL, collect_q, &s, &err), PK_EMISUSE);
}

/* A host's start makes the journal: without it (removed), or empty (a
 * host about to make it), nothing is in quarantine, and list and clear
 * make none. */
Test(quarantine, a_cache_without_a_journal_is_an_empty_quarantine)
{
  discover_once();
  cr_assert_eq(unlink(cache_journal), 0);
  cr_expect_eq(list().n, 0);
  size_t n = 7;
  pk_error err;
  cr_expect_eq(pk_quarantine_clear(cache, NULL, &n, &err), PK_OK, "%s",
               err.message);
  cr_expect_eq(n, 0);
  cr_expect_neq(access(cache_journal, F_OK), 0, "no journal is made");
  write_bytes(cache_journal, "", 0);
  cr_expect_eq(list().n, 0);
  cr_expect_eq(pk_quarantine_clear(cache, NULL, &n, &err), PK_OK);
  expect_bytes(cache_journal, "", 0);
}

Test(quarantine, a_journal_whose_cache_was_removed_still_lists)
{
  discover_once();
  crash_child(cache, sp, "faults:register_crashes");
  cr_assert_eq(unlink(cache), 0);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "faults:register_crashes");
  size_t n = 0;
  pk_error err;
  cr_expect_eq(pk_quarantine_clear(cache, NULL, &n, &err), PK_OK, "%s",
               err.message);
  cr_expect_eq(n, 1);
  cr_expect_eq(list().n, 0);
}

/* A directory, a file of another program (its F.journal too: neither is
 * opened for writing), the journal itself: each fails, naming the path
 * and what to pass. */
Test(quarantine, a_path_that_is_no_cache_fails)
{
  expect_both_fail(sp, PK_EIO, sp,
                   "not a metadata cache (a directory); pass the metadata "
                   "cache of the host (its pk_host_options.cache_path)");
  char notes[200], notes_journal[220];
  snprintf(notes, sizeof notes, "%s/notes", root);
  snprintf(notes_journal, sizeof notes_journal, "%s.journal", notes);
  write_file(notes, "my notes\n");
  write_file(notes_journal, "what I did on Monday\n");
  expect_both_fail(notes, PK_EIO, notes,
                   "not a plugkit metadata cache; pass the metadata cache "
                   "of the host");
  expect_bytes(notes, "my notes\n", 9);
  expect_bytes(notes_journal, "what I did on Monday\n", 21);
  discover_once();
  crash_child(cache, sp, "faults:register_crashes");
  char want[600];
  snprintf(want, sizeof want,
           "a crash journal, not the metadata cache it is beside: pass the "
           "cache, %s",
           cache);
  expect_both_fail(cache_journal, PK_EIO, cache_journal, want);
  cr_expect_eq(list().n, 1, "the journal is as it was");
}

/* The bug: list and clear remade a cache's F.journal of another size or
 * format (ftruncate and a new header, or a memset of its map), another
 * program's file or an older plugkit's journal.  They now fail and leave
 * it byte for byte (a host's start still makes it anew:
 * an_old_format_journal_is_started_over). */
Test(quarantine, list_and_clear_leave_a_foreign_journal_as_it_is)
{
  static const char why[] =
      "not a plugkit crash journal of this version (another format, or "
      "another file), left as it is: remove it if it is an old plugkit's "
      "journal (a host's start makes it anew), or pass the metadata cache "
      "of the host";
  discover_once();
  crash_child(cache, sp, "faults:register_crashes");
  struct stat sb;
  cr_assert_eq(stat(cache_journal, &sb), 0);
  size_t size = (size_t)sb.st_size; /* a journal's: fixed */
  char *real = read_text(cache_journal);
  /* another program's file, of another size */
  write_file(cache_journal, "what I did on Monday\n");
  expect_both_fail(cache, PK_EIO, cache_journal, why);
  expect_bytes(cache_journal, "what I did on Monday\n", 21);
  /* of a journal's size, another format */
  char *other = malloc(size);
  cr_assert_not_null(other);
  for (size_t i = 0; i < size; i++)
    other[i] = (char)(i * 7 + 1);
  write_bytes(cache_journal, other, size);
  expect_both_fail(cache, PK_EIO, cache_journal, why);
  expect_bytes(cache_journal, other, size);
  /* an older plugkit's journal: its records are not read as today's */
  memcpy(real, "PKJRNL03", 8);
  write_bytes(cache_journal, real, size);
  expect_both_fail(cache, PK_EIO, cache_journal, why);
  expect_bytes(cache_journal, real, size);
  /* and with the cache removed */
  cr_assert_eq(unlink(cache), 0);
  expect_both_fail(cache, PK_EIO, cache_journal, why);
  expect_bytes(cache_journal, real, size);
  /* a directory */
  cr_assert_eq(unlink(cache_journal), 0);
  cr_assert_eq(mkdir(cache_journal, 0755), 0);
  expect_both_fail(cache, PK_EIO, cache_journal, why);
  free(other);
  free(real);
}

Test(quarantine, a_damaged_journal_is_started_over)
{
  char journal[200];
  snprintf(journal, sizeof journal, "%s.journal", cache);
  FILE *f = fopen(journal, "w");
  cr_assert_not_null(f);
  for (int i = 0; i < 300000; i++)
    fputc(i * 7, f);
  fclose(f);
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, "black:three"), PK_STATE_DISCOVERED);
  pk_host_free(h);
  cr_expect_eq(list().n, 0);
  crash_child(cache, sp, "faults:register_crashes");
  cr_expect_eq(list().n, 1);
}

/* A journal of the format before (PKJRNL03: its records named their
 * calls with numbers of their own) is started over like a damaged one: its
 * quarantine is not read with today's step names. */
Test(quarantine, an_old_format_journal_is_started_over)
{
  crash_child(cache, sp, "faults:register_crashes");
  cr_assert_eq(list().n, 1);
  char journal[200], magic[9] = "";
  snprintf(journal, sizeof journal, "%s.journal", cache);
  int fd = open(journal, O_RDWR);
  cr_assert_geq(fd, 0);
  cr_assert_eq(pwrite(fd, "PKJRNL03", 8, 0), 8);
  expect_discovered("faults:register_crashes", PK_STATE_DISCOVERED, 0);
  cr_assert_eq(pread(fd, magic, 8, 0), 8);
  cr_expect_str_eq(magic, "PKJRNL04");
  close(fd);
}

/* ---- crash_signals: the quarantine names the signal ---- */

static char marker[200]; /* written by the host's own SIGSEGV handler */

static void hosts_handler(int sig)
{
  int fd = open(marker, O_WRONLY | O_CREAT, 0600);
  if (fd >= 0)
    close(fd);
  signal(sig, SIG_DFL);
  raise(sig);
}

typedef struct sig_child {
  void (*body)(const void *);
  const void *ud;
  bool env, handler;
  const char *err_to; /* a file for the child's stderr, or NULL */
} sig_child;

static void sig_child_body(const void *ud)
{
  const sig_child *c = ud;
  int fd = c->err_to ? open(c->err_to, O_WRONLY | O_CREAT | O_TRUNC, 0600)
                     : -1;
  if (fd >= 0)
    dup2(fd, 2);
  signal(SIGSEGV, c->handler ? hosts_handler : SIG_DFL); /* not ASan's */
  signal(SIGABRT, SIG_DFL);
  if (c->env)
    setenv("PLUGKIT_CRASH_SIGNALS", "1", 1);
  else
    signals_on = true;
  c->body(c->ud);
}

/* Runs body in a child host with crash_signals (by the option, or by
 * PLUGKIT_CRASH_SIGNALS=1 with env), the fatal signals' previous action
 * being the default, or for SIGSEGV the host's handler; returns the
 * signal the child died of. */
static int signal_child(void (*body)(const void *), const void *ud, bool env,
                        bool handler)
{
  sig_child c = {body, ud, env, handler, NULL};
  int status = child_status(sig_child_body, &c);
  cr_assert(WIFSIGNALED(status), "status %d: the child did not die of a "
                                 "signal", status);
  return WTERMSIG(status);
}

/* signal_child() (no handler of the host's), its stderr into err (of n
 * bytes). */
static int signal_child_said(void (*body)(const void *), const void *ud,
                             bool env, char *err, size_t n)
{
  char path[600];
  snprintf(path, sizeof path, "%s/child-stderr", root);
  sig_child c = {body, ud, env, false, path};
  int status = child_status(sig_child_body, &c);
  cr_assert(WIFSIGNALED(status), "status %d: the child did not die of a "
                                 "signal", status);
  FILE *f = fopen(path, "r");
  cr_assert(f);
  size_t got = fread(err, 1, n - 1, f);
  err[got] = '\0';
  fclose(f);
  return WTERMSIG(status);
}

static void register_one(const void *ud)
{
  pk_host *h = new_host();
  const char *reqs[] = {ud};
  pk_host_register(h, reqs, 1, NULL, 0, NULL);
}

Test(quarantine, crash_signals_name_a_segfault_in_a_register_hook)
{
  cr_expect_eq(signal_child(register_one, "faults:register_crashes", false,
                            false),
               SIGSEGV);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_eq(s.signal, SIGSEGV);
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  cr_expect_eq(state_of(h, "faults:register_crashes"), PK_STATE_FAILED);
  char want[200];
  snprintf(want, sizeof want,
           "is in quarantine: the host crashed in its register hook: signal "
           "%d (%s); found ",
           SIGSEGV, strsignal(SIGSEGV));
  cr_expect(strstr(logged, want), "%s", logged);
  pk_host_free(h);
}

Test(quarantine, crash_signals_by_env_name_an_abort)
{
  cr_expect_eq(signal_child(register_one, "crash:register_aborts", true,
                            false),
               SIGABRT);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.call, "register hook");
  cr_expect_eq(s.signal, SIGABRT);
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  char want[200];
  snprintf(want, sizeof want, "crashed in its register hook: signal %d (%s)",
           SIGABRT, strsignal(SIGABRT));
  cr_expect(strstr(logged, want), "%s", logged);
  pk_host_free(h);
}

Test(quarantine, crash_signals_say_the_plugin_on_stderr_as_the_host_dies)
{
  char err[4096];
  cr_expect_eq(signal_child_said(register_one, "crash:register_aborts", true,
                                 err, sizeof err),
               SIGABRT, "the host still dies of the signal");
  char want[600];
  snprintf(want, sizeof want,
           "plugkit: plugin crash:register_aborts crashed in its register "
           "hook: signal %d (%s); the host dies of it, and its next starts "
           "skip the plugin (quarantine) until its files change, or run "
           "`plugkit quarantine clear crash:register_aborts --cache %s`\n",
           SIGABRT, strsignal(SIGABRT), cache);
  cr_expect(strstr(err, want), "%s", err);
  cr_expect_eq(signal_child_said(register_one, "faults:register_crashes",
                                 false, err, sizeof err),
               SIGSEGV);
  snprintf(want, sizeof want,
           "plugkit: plugin faults:register_crashes crashed in its register "
           "hook: signal %d (%s); ",
           SIGSEGV, strsignal(SIGSEGV));
  cr_expect(strstr(err, want), "%s", err);
}

/* Registers plugin ud in a host with crash signals and the metadata
 * cache at path (it dies there, in the tests below). */
static void register_with_cache(const char *path, const void *ud)
{
  pk_host_options o = {.size = sizeof o,
                       .cache_path = path,
                       .crash_signals = true};
  pk_host *h = NULL;
  cr_assert_eq(pk_host_new(&o, &h, NULL), PK_OK);
  cr_assert_eq(pk_host_add_path(h, sp, NULL), PK_OK);
  const char *reqs[] = {ud};
  pk_host_register(h, reqs, 1, NULL, 0, NULL);
}

/* Two hosts of their own caches in one process, the second's plugin
 * aborting: the line names the second host's cache. */
static void register_in_a_second_host(const void *ud)
{
  pk_host *first = new_host();
  char other[200];
  snprintf(other, sizeof other, "%s/other.cache", root);
  register_with_cache(other, ud);
  pk_host_free(first);
}

Test(quarantine, crash_signals_say_the_cache_of_the_host_whose_plugin_died)
{
  char err[4096], want[600];
  cr_expect_eq(signal_child_said(register_in_a_second_host,
                                 "crash:register_aborts", false, err,
                                 sizeof err),
               SIGABRT);
  snprintf(want, sizeof want,
           "`plugkit quarantine clear crash:register_aborts --cache "
           "%s/other.cache`\n",
           root);
  cr_expect(strstr(err, want), "%s", err);
  cr_expect_null(strstr(err, "CACHE"), "%s", err);
}

/* A host whose cache path is longer than the crash line: five levels of
 * 200-byte names under root. */
static char deep[1200];

static void register_in_a_deep_cache(const void *ud)
{
  register_with_cache(deep, ud);
}

Test(quarantine, crash_signals_cut_a_long_cache_path_with_the_line)
{
  char name[201];
  memset(name, 'd', 200);
  name[200] = '\0';
  snprintf(deep, sizeof deep, "%s", root);
  for (int i = 0; i < 5; i++) {
    size_t n = strlen(deep);
    snprintf(deep + n, sizeof deep - n, "/%s", name);
    cr_assert_eq(mkdir(deep, 0700), 0, "%s", deep);
  }
  strcat(deep, "/plugins.cache");
  char err[4096];
  cr_expect_eq(signal_child_said(register_in_a_deep_cache,
                                 "crash:register_aborts", false, err,
                                 sizeof err),
               SIGABRT);
  const char *line = strstr(err, "plugkit: plugin crash:register_aborts ");
  cr_assert_not_null(line, "%s", err);
  size_t len = strcspn(line, "\n");
  cr_expect_eq(len, 1023, "the line is cut at 1024 bytes: %s", line);
  cr_expect_eq(line[len], '\n', "and still ends its line");
  cr_expect(strstr(line, "--cache ") && strstr(line, name), "%s", line);
}

/* A host with crash_signals, between calls into plugins, aborting. */
static void abort_outside(const void *ud)
{
  (void)ud;
  pk_host *h = new_host();
  const char *reqs[] = {"black:three"};
  cr_expect_eq(pk_host_register(h, reqs, 1, NULL, 0, NULL), PK_OK);
  abort();
}

Test(quarantine, crash_signals_say_nothing_of_a_signal_outside_plugin_code)
{
  char err[4096];
  cr_expect_eq(signal_child_said(abort_outside, NULL, false, err, sizeof err),
               SIGABRT);
  cr_expect(!strstr(err, "plugkit:"), "%s", err);
  cr_expect_eq(list().n, 0);
}

Test(quarantine, crash_signals_call_the_hosts_own_handler)
{
  snprintf(marker, sizeof marker, "%s/handled", root);
  cr_expect_eq(signal_child(build_boom, NULL, false, true), SIGSEGV);
  struct stat sb;
  cr_expect_eq(stat(marker, &sb), 0, "the host's handler was not called");
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.call, "factory of cache type \"boom\"");
  cr_expect_eq(s.signal, SIGSEGV);
}

Test(quarantine, crash_signals_leave_the_hosts_handlers_as_they_were)
{
  struct sigaction before, after;
  sigaction(SIGABRT, NULL, &before);
  signals_on = true;
  pk_host *h = new_host();
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  sigaction(SIGABRT, NULL, &after);
  cr_expect_neq((void *)after.sa_handler, (void *)before.sa_handler,
                "installed while the journal is open");
  pk_host_free(h);
  signals_on = false;
  sigaction(SIGABRT, NULL, &after);
  cr_expect_eq((void *)after.sa_handler, (void *)before.sa_handler,
               "put back when it closes");
}

/* ---- an end without a crash signal: a strike, two quarantine ---- */

/* Copies the fixture plugin SET/NAME into the search path. */
static void add_fixture(const char *set, const char *name)
{
  char cmd[400];
  snprintf(cmd, sizeof cmd, "cp -r '%s/%s/%s' '%s/'", PK_TEST_BINARY_DIR,
           set, name, sp);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void add_killer(const char *name) { add_fixture("fixtures/killers", name); }

/* Whether a host's slot in the journal holds a call into plugin's
 * register hook (a record: its state word, its step, the plugin's id at
 * byte 48). */
static bool in_register(const char *plugin)
{
  char journal[200], rec[512];
  snprintf(journal, sizeof journal, "%s.journal", cache);
  int fd = open(journal, O_RDONLY);
  bool found = false;
  for (int i = 0; fd >= 0 && !found && i < 32 * 8; i++) {
    uint32_t state, step;
    if (pread(fd, rec, sizeof rec, 64 + (off_t)i * 512) != (ssize_t)sizeof rec)
      break;
    memcpy(&state, rec, sizeof state);
    memcpy(&step, rec + 4, sizeof step);
    found = state == 1 && step == PK_TRACE_REGISTER && !strcmp(rec + 48, plugin);
  }
  if (fd >= 0)
    close(fd);
  return found;
}

/* A child host (with crash_signals when armed) registers killers:hang,
 * whose register hook never returns; once the journal holds that call,
 * the child is killed from outside with SIGKILL.  The hosts that died
 * before are taken in first (pk_quarantine_list does), so that their
 * records are not mistaken for the child's. */
static void hang_in_register(const void *armed)
{
  setenv("PK_TEST_KILL_AT", "register", 1);
  signals_on = *(const bool *)armed;
  register_one("killers:hang");
}

static void kill_in_register(bool armed)
{
  /* the host killed before is taken in (its record in the register hook
   * would be found below); the first time there is no cache yet */
  seen s = {.n = 0};
  pk_error err;
  pk_status st = pk_quarantine_list(cache, collect_q, &s, &err);
  cr_assert(st == PK_OK || st == PK_ENOTFOUND, "%s", err.message);
  pid_t pid = child_start(hang_in_register, &armed);
  bool inside = false;
  for (int i = 0; i < 20000 && !(inside = in_register("killers:hang"));
       i++)
    usleep(500);
  kill(pid, SIGKILL);
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(inside, "the child host never entered the register hook");
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d",
            status);
}

static void discover_with_signals(pk_host **h)
{
  signals_on = true;
  *h = new_host();
  signals_on = false;
  cr_assert_eq(pk_host_discover(*h, NULL), PK_OK);
}

Test(quarantine, a_kill_from_outside_is_a_strike_and_two_quarantine)
{
  add_killer("hang");
  kill_in_register(true);
  cr_expect_eq(list().n, 0, "one kill from outside is not a quarantine");
  pk_host *h;
  discover_with_signals(&h);
  cr_expect_eq(state_of(h, "killers:hang"), PK_STATE_DISCOVERED);
  cr_expect(strstr(logged, "warn|killers:hang|plugin killers:hang: the host "
                           "ended inside its register hook without a crash "
                           "signal (killed from outside?); not quarantined: "
                           "a second such end with the same files "
                           "quarantines it"),
            "%s", logged);
  pk_host_free(h);
  discover_with_signals(&h);
  cr_expect_null(strstr(logged, "killers:hang"), "warned once: %s", logged);
  pk_host_free(h);

  kill_in_register(true);
  seen s = list();
  cr_expect_eq(s.n, 1, "the second kill quarantines");
  cr_expect_str_eq(s.plugin, "killers:hang");
  cr_expect_eq(s.signal, 0);
  discover_with_signals(&h);
  cr_expect_eq(state_of(h, "killers:hang"), PK_STATE_FAILED);
  cr_expect(strstr(logged, "warn|killers:hang|plugin killers:hang is in "
                           "quarantine: the host ended twice inside its "
                           "register hook without a crash signal (killed "
                           "from outside?); found "),
            "%s", logged);
  pk_host_free(h);
}

static char cause_seen[400];

static void keep_cause(void *ud, const pk_quarantined *q)
{
  (void)ud;
  snprintf(cause_seen, sizeof cause_seen, "%s", q->cause);
}

Test(quarantine, the_cause_says_how_the_host_ended)
{
  add_killer("hang");
  kill_in_register(true);
  kill_in_register(true);
  pk_error err;
  cr_assert_eq(pk_quarantine_list(cache, keep_cause, NULL, &err), PK_OK);
  cr_expect_str_eq(cause_seen, "ended twice inside its register hook "
                               "without a crash signal (killed from "
                               "outside?)");
}

Test(quarantine, changed_files_or_a_clear_lift_a_strike)
{
  add_killer("hang");
  kill_in_register(true);
  char lib[256];
  snprintf(lib, sizeof lib, "%s/hang/libkillers_hang.so", sp);
  struct timespec t[2] = {{.tv_nsec = UTIME_OMIT}, {0}};
  clock_gettime(CLOCK_REALTIME, &t[1]);
  t[1].tv_sec += 10; /* a new build */
  cr_assert_eq(utimensat(AT_FDCWD, lib, t, 0), 0);
  kill_in_register(true);
  cr_expect_eq(list().n, 0, "the first strike was of other files");
  size_t n = 9;
  pk_error err;
  cr_assert_eq(pk_quarantine_clear(cache, "killers:hang", &n, &err), PK_OK);
  cr_expect_eq(n, 1, "the strike is counted as lifted (the CLI says so)");
  cr_assert_eq(pk_quarantine_clear(cache, "killers:hang", &n, &err), PK_OK);
  cr_expect_eq(n, 0, "nothing left to lift");
  kill_in_register(true);
  cr_expect_eq(list().n, 0, "the clear lifted the strike");
  pk_host *h;
  discover_with_signals(&h);
  cr_expect_eq(state_of(h, "killers:hang"), PK_STATE_DISCOVERED);
  pk_host_free(h);
}

Test(quarantine, without_crash_signals_a_kill_quarantines_at_once)
{
  add_killer("hang");
  kill_in_register(false);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "killers:hang");
  pk_error err;
  cr_assert_eq(pk_quarantine_list(cache, keep_cause, NULL, &err), PK_OK);
  cr_expect_str_eq(cause_seen, "died in its register hook");
}

static void exit_in_register(const void *ud)
{
  (void)ud;
  setenv("PK_TEST_KILL_AT", "register", 1);
  signals_on = true;
  register_one("killers:exit0");
}

Test(quarantine, crash_signals_quarantine_an_exit_at_once_named)
{
  add_killer("exit0");
  int status = child_status(exit_in_register, NULL);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 7, "status %d",
            status);
  seen s = list();
  cr_expect_eq(s.n, 1, "one exit() quarantines");
  cr_expect_str_eq(s.plugin, "killers:exit0");
  pk_error err;
  cr_assert_eq(pk_quarantine_list(cache, keep_cause, NULL, &err), PK_OK);
  cr_expect_str_eq(cause_seen, "called exit() in its register hook");
  pk_host *h;
  discover_with_signals(&h);
  cr_expect_eq(state_of(h, "killers:exit0"), PK_STATE_FAILED);
  cr_expect(strstr(logged, "plugin killers:exit0 is in quarantine: its code "
                           "called exit() in its register hook; found "),
            "%s", logged);
  pk_host_free(h);
}

/* ---- whose code ends the host: crash:calls_host calls the host's ---- */

/* A child host's log callback: the host's own code choosing to exit when
 * crash:calls_host's register hook logs through api->log. */
static void exit_on_log(void *ud, pk_log_level level, const char *plugin,
                        const char *message)
{
  (void)ud;
  (void)level;
  if (plugin && !strcmp(plugin, "crash:calls_host") &&
      !strcmp(message, "calling the host's log"))
    exit(0);
}

static void register_exiting_on_log(const void *ud)
{
  pk_host_options o = {.size = sizeof o,
                       .cache_path = cache,
                       .log = exit_on_log,
                       .crash_signals = *(const bool *)ud};
  pk_host *h = NULL;
  pk_host_new(&o, &h, NULL);
  pk_host_add_path(h, sp, NULL);
  const char *reqs[] = {"crash:calls_host"};
  pk_host_register(h, reqs, 1, NULL, 0, NULL);
}

/* The next host: crash:calls_host is neither in quarantine nor struck. */
static void expect_calls_host_blameless(void)
{
  cr_expect_eq(list().n, 0, "the host's exit quarantined the plugin");
  pk_host *h;
  discover_with_signals(&h);
  cr_expect_eq(state_of(h, "crash:calls_host"), PK_STATE_DISCOVERED);
  cr_expect_null(strstr(logged, "crash:calls_host"), "%s", logged);
  pk_host_free(h);
}

Test(quarantine, an_exit_in_the_hosts_log_callback_is_not_the_plugins)
{
  add_fixture("fixtures/crash", "calls_host");
  for (int armed = 0; armed < 2; armed++) {
    bool on = armed;
    int status = child_status(register_exiting_on_log, &on);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "crash_signals %d: status %d", armed, status);
    expect_calls_host_blameless();
  }
}

/* A service of the host's (host_userdata) that exits, inside or outside
 * pk_host_code_enter(). */
struct host_services {
  void (*call)(void);
};

static void service_exits(void) { exit(0); }

static void service_exits_as_host_code(void)
{
  void *t = pk_host_code_enter();
  (void)t; /* never left: the host ends here */
  exit(0);
}

/* The host's code nested in the factory by a service not marked: it
 * builds [caches.side], whose factory (the host's: a built-in type, or a
 * type of a built-in plugin) exits. */
static pk_host *child_host;

static void service_builds_side(void)
{
  void *obj;
  pk_host_get_instance(child_host, "cache", "side", &obj, NULL);
}

static const struct host_services exits = {service_exits},
                                  exits_as_host_code = {
                                      service_exits_as_host_code},
                                  builds_side = {service_builds_side};

static pk_status host_factory_exits(const pk_instance_args *a, void **out,
                                    pk_error *err)
{
  (void)a;
  (void)out;
  (void)err;
  exit(0);
}

static int builtin_factory_exits(const pk_type_call *call, void **out)
{
  (void)call;
  (void)out;
  exit(0);
}

static int inhost_register(const pk_host_api *api, pk_plugin_ctx *ctx,
                           void *ud)
{
  (void)ud;
  pk_type_impl t = {sizeof t, "cache", "inbuiltin", builtin_factory_exits,
                    NULL,     NULL,    NULL,        0,
                    0};
  return api->type_add(ctx, &t) ? 1 : 0;
}

PK_PLUGIN_DEFINE_BUILTIN(inhost_desc, "crash", "inhost", 1, inhost_register,
                         NULL, NULL);

static const char *side_type = "hosttype"; /* [caches.side]'s */
static bool watch_exits; /* the watch callback exits, not the factory */

/* The host's watch callback: exits entering crash:inhost's factory. */
static void exit_on_watch(void *ud, bool entering, pk_trace_event step,
                          const pk_plugin *plugin)
{
  (void)ud;
  if (entering && step == PK_TRACE_FACTORY &&
      !strcmp(pk_plugin_get_id(plugin), "crash:inhost"))
    exit(0);
}

/* A child host (crash_signals) builds an instance of crash:calls_host's
 * cache type "hostcall", whose factory calls the service of ud (a struct
 * host_services, its userdata). */
static void build_hostcall(const void *ud)
{
  char desc[200], conf[200], text[300];
  snprintf(text, sizeof text,
           "[plugins]\nc = \"crash:calls_host\"\nb = \"crash:inhost\"\n"
           "[caches.main]\ntype = \"hostcall\"\n"
           "[caches.side]\ntype = \"%s\"\n",
           side_type);
  cache_host_files(desc, conf, text);
  pk_host_options o = {.size = sizeof o,
                       .cache_path = cache,
                       .userdata = (void *)ud,
                       .watch = watch_exits ? exit_on_watch : NULL,
                       .crash_signals = true};
  pk_host *h = NULL;
  void *obj;
  pk_type_options hosttype = {.size = sizeof hosttype,
                              .kind = "cache",
                              .tag = "hosttype",
                              .factory = host_factory_exits};
  if (pk_host_new(&o, &h, NULL) == PK_OK &&
      pk_host_add_path(h, sp, NULL) == PK_OK &&
      pk_host_add_builtin(h, &inhost_desc,
                          "name = \"inhost\"\nnamespace = \"crash\"\n"
                          "version = \"1.0.0\"\nabi = 1\n"
                          "[[provides]]\nkind = \"cache\"\n"
                          "tag = \"inbuiltin\"\n",
                          NULL) == PK_OK &&
      pk_host_load_description(h, desc, NULL) == PK_OK &&
      pk_host_add_type(h, &hosttype, NULL) == PK_OK &&
      pk_host_load_config(h, conf, NULL, NULL) == PK_OK &&
      pk_host_register(h, NULL, 0, NULL, 0, NULL) == PK_OK) {
    child_host = h;
    pk_host_get_instance(h, "cache", "main", &obj, NULL);
  }
}

Test(quarantine, an_exit_in_a_host_service_marked_host_code_is_not_the_plugins)
{
  add_fixture("fixtures/crash", "calls_host");
  int status = child_status(build_hostcall, &exits_as_host_code);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
            status);
  expect_calls_host_blameless();
}

/* What the journal cannot tell: a service the plugin calls directly, not
 * marked, runs inside its factory's call, and the exit is blamed on it. */
Test(quarantine, an_exit_in_an_unmarked_host_service_is_blamed_on_the_plugin)
{
  add_fixture("fixtures/crash", "calls_host");
  int status = child_status(build_hostcall, &exits);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
            status);
  seen s = list();
  cr_expect_eq(s.n, 1);
  cr_expect_str_eq(s.plugin, "crash:calls_host");
  pk_error err;
  cr_assert_eq(pk_quarantine_list(cache, keep_cause, NULL, &err), PK_OK);
  cr_expect_str_eq(cause_seen,
                   "called exit() in its factory of cache type \"hostcall\"");
}

/* The host's code the library calls inside the plugin's call (here: the
 * plugin's factory calls a service, not marked, that builds another
 * instance): a built-in type's factory, a built-in plugin's factory, the
 * watch callback told of that factory. */
Test(quarantine, an_exit_in_the_hosts_factories_is_not_the_plugins)
{
  add_fixture("fixtures/crash", "calls_host");
  const char *types[] = {"hosttype", "inbuiltin", "inbuiltin"};
  for (size_t i = 0; i < 3; i++) {
    side_type = types[i];
    watch_exits = i == 2;
    int status = child_status(build_hostcall, &builds_side);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s: status %d", types[i], status);
    expect_calls_host_blameless();
  }
}
