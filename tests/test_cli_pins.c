/* test_cli_pins.c -- `plugkit lock` and `plugkit quarantine` (issue 15,
 * points 4 and 5), run as the real binary on copies of real fixture
 * plugins.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "cli_util.h"

#include <plugkit.h>

#include "crash_util.h"

static void pins_setup(void)
{
  umask(022);
  setup();
}

TestSuite(cli_pins, .init = pins_setup, .fini = teardown, .timeout = 60);

static const char *in_root(const char *rel)
{
  static char paths[4][512];
  static int next;
  char *p = paths[next++ % 4];
  snprintf(p, 512, "%s/%s", root, rel);
  return p;
}

static void shell(const char *cmd) { cr_assert_eq(system(cmd), 0, "%s", cmd); }

Test(cli_pins, lock_writes_checks_and_lists_every_difference)
{
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "mkdir -p %s/sp && cp -r %s/black-three %s/black-four %s/sp/", root,
           FIX("seed"), FIX("seed"), root);
  shell(cmd);
  const char *sp = in_root("sp"), *lock = in_root("pins.lock");
  run r = cli("lock", "--path", sp, "-o", lock);
  cr_assert_eq(r.code, 0, "%s", r.err);
  char want[700];
  snprintf(want, sizeof want, "%s: 2 plugins locked\n", lock);
  cr_expect_str_eq(r.out, want);
  char *text = read_text(lock);
  assert_has(text, "id = \"black:three\"");
  assert_has(text, "library_sha256 = \"");
  free(text);
  r = cli("lock", "--check", "--path", sp, "-o", lock);
  cr_expect_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "ok, every plugin as locked");
  snprintf(cmd, sizeof cmd,
           "echo >> %s/sp/black-three/libblack_three.so && "
           "rm -r %s/sp/black-four",
           root, root);
  shell(cmd);
  r = cli("lock", "--check", "--path", sp, "-o", lock);
  cr_expect_eq(r.code, 1);
  assert_has(r.err, "libblack_three.so has SHA-256 ");
  assert_has(r.err, "black:four is in the lock file but was not found");
  snprintf(want, sizeof want, "plugkit: 2 differences from %s\n", lock);
  assert_has(r.err, want);
  snprintf(want, sizeof want, "%s:", lock);
  assert_has(r.err, want); /* positioned in the lock file */
  /* the other commands load under PLUGKIT_LOCK */
  snprintf(want, sizeof want, "PLUGKIT_LOCK=%s", lock);
  cli_extra_env[0] = want;
  r = cli("check", "--path", sp);
  cli_extra_env[0] = NULL;
  cr_expect_eq(r.code, 1, "%s", r.out);
  assert_has(r.out, "has SHA-256");
  r = cli("lock", "--path", sp, "extra");
  cr_expect_eq(r.code, 2);
}

/* ROOT/sp holding a copy of faults:register_crashes; returns it. */
static const char *crashes_dir(void)
{
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "mkdir -p %s/sp && cp -r %s/register_crashes %s/sp/", root,
           FIX("faults"), root);
  shell(cmd);
  return in_root("sp");
}

Test(cli_pins, quarantine_lists_and_clears)
{
  const char *sp = crashes_dir(), *cache = in_root("plugins.cache");
  crash_child(cache, sp, "faults:register_crashes");
  run r = cli("quarantine", "list", "--cache", cache);
  cr_expect_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "faults:register_crashes  died in its register hook  ");
  r = cli("quarantine", "list", "--json", "--cache", cache);
  json_t *j = json_of(r.out);
  cr_assert_eq(json_array_size(j), 1);
  cr_expect_str_eq(json_str(json_array_get(j, 0), "plugin"),
                   "faults:register_crashes");
  cr_expect_str_eq(json_str(json_array_get(j, 0), "call"), "register hook");
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(j, 0),
                                                  "signal")),
               0, "unknown without crash_signals");
  cr_expect_str_eq(json_str(json_array_get(j, 0), "cause"),
                   "died in its register hook");
  r = cli("quarantine", "clear", "faults:other", "--cache", cache);
  cr_expect_eq(r.code, 1);
  assert_has(r.err, "faults:other has no quarantine or strike in ");
  r = cli("quarantine", "clear", "faults:register_crashes", "--cache", cache);
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect_str_eq(r.out,
                   "1 plugin out of quarantine (or freed of a strike)\n");
  r = cli("quarantine", "list", "--cache", cache);
  assert_has(r.out, "no plugin in quarantine");
  setenv("PLUGKIT_CRASH_SIGNALS", "1", 1); /* the child host's */
  crash_child(cache, sp, "faults:register_crashes");
  unsetenv("PLUGKIT_CRASH_SIGNALS");
  r = cli("quarantine", "list", "--cache", cache);
  char want[200];
  snprintf(want, sizeof want,
           "faults:register_crashes  crashed in its register hook: signal "
           "%d (%s)  ",
           SIGSEGV, strsignal(SIGSEGV));
  assert_has(r.out, want);
  cr_assert_eq(pk_quarantine_clear(cache, NULL, NULL, NULL), PK_OK);
  r = cli("quarantine", "list");
  cr_expect_eq(r.code, 2);
  assert_has(r.err, "--cache FILE is required");
  r = cli("quarantine", "lst", "--cache", cache);
  cr_expect_eq(r.code, 2);
  assert_has(r.err, "did you mean");
}

/* A host that discovered sp with the metadata cache cache (made, no
 * journal: no plugin code ran). */
static void discover_with_cache(const char *cache, const char *sp)
{
  pk_host_options o = {.size = sizeof o, .cache_path = cache};
  pk_host *h = NULL;
  cr_assert_eq(pk_host_new(&o, &h, NULL), PK_OK);
  cr_assert_eq(pk_host_add_path(h, sp, NULL), PK_OK);
  cr_assert_eq(pk_host_discover(h, NULL), PK_OK);
  pk_host_free(h);
}

/* `quarantine list --json --cache F` printed [] and exited 0 for an F that
 * names nothing or a file that is no cache: a wrong path read as "nothing
 * in quarantine".  Now an error (exit 1), its JSON object with --json; a
 * cache with no journal yet is still an empty quarantine, and a journal
 * whose cache was removed still lists. */
Test(cli_pins, quarantine_of_a_path_that_is_no_cache_fails)
{
  const char *sp = crashes_dir(), *cache = in_root("plugins.cache");
  /* nothing there */
  run r = cli("quarantine", "list", "--cache", cache);
  cr_expect_eq(r.code, 1);
  cr_expect_str_empty(r.out);
  char want[1400];
  snprintf(want, sizeof want,
           "plugkit: %s: no such metadata cache, nor its crash journal: no "
           "host has run with this cache yet, or the path is wrong; pass the "
           "metadata cache of the host",
           cache);
  assert_has(r.err, want);
  r = cli("quarantine", "list", "--json", "--cache", cache);
  cr_expect_eq(r.code, 1);
  json_t *j = json_of(r.out);
  cr_assert(json_is_object(j), "%s", r.out);
  cr_expect(json_is_false(json_at(j, "ok")));
  json_t *e = json_at(j, "error");
  cr_expect_str_eq(json_str(e, "code"), "PK_ENOTFOUND");
  cr_expect_str_eq(json_str(e, "source"), cache);
  assert_has(json_str(e, "message"), "no such metadata cache");
  r = cli("quarantine", "clear", "--cache", cache);
  cr_expect_eq(r.code, 1, "clearing nothing is no success");
  assert_has(r.err, "no such metadata cache");
  /* a file that is not a cache (a manifest), a directory */
  const char *foreign = in_root("sp/register_crashes/plugin.toml");
  r = cli("quarantine", "list", "--json", "--cache", foreign);
  cr_expect_eq(r.code, 1);
  e = json_at(json_of(r.out), "error");
  cr_expect_str_eq(json_str(e, "code"), "PK_EIO");
  assert_has(json_str(e, "message"), "not a plugkit metadata cache");
  r = cli("quarantine", "clear", "--cache", foreign);
  cr_expect_eq(r.code, 1);
  snprintf(want, sizeof want, "plugkit: %s: not a plugkit metadata cache; ",
           foreign);
  assert_has(r.err, want);
  r = cli("quarantine", "list", "--cache", sp);
  cr_expect_eq(r.code, 1);
  assert_has(r.err, "not a metadata cache (a directory)");
  assert_has(r.err, "plugkit: (the runner's metadata cache is "
                    ".runner/plugins.cache in its project)\n");
  /* a cache, no journal yet: nothing in quarantine */
  discover_with_cache(cache, sp);
  r = cli("quarantine", "list", "--json", "--cache", cache);
  cr_expect_eq(r.code, 0, "%s", r.err);
  j = json_of(r.out);
  cr_expect(json_is_array(j) && json_array_size(j) == 0, "%s", r.out);
  /* the journal given for the cache */
  crash_child(cache, sp, "faults:register_crashes");
  char journal[600];
  snprintf(journal, sizeof journal, "%s.journal", cache);
  r = cli("quarantine", "list", "--cache", journal);
  cr_expect_eq(r.code, 1);
  snprintf(want, sizeof want,
           "plugkit: %s: a crash journal, not the metadata cache it is "
           "beside: pass the cache, %s\n",
           journal, cache);
  assert_has(r.err, want);
  /* the cache removed: its journal keeps the quarantine */
  cr_assert_eq(unlink(cache), 0);
  r = cli("quarantine", "list", "--json", "--cache", cache);
  cr_expect_eq(r.code, 0, "%s", r.err);
  j = json_of(r.out);
  cr_assert_eq(json_array_size(j), 1, "%s", r.out);
  cr_expect_str_eq(json_str(json_array_get(j, 0), "plugin"),
                   "faults:register_crashes");
  /* a journal that is not plugkit's: an error, the file left as it is */
  write_file(journal, "what I did on Monday\n");
  r = cli("quarantine", "clear", "--cache", cache);
  cr_expect_eq(r.code, 1);
  snprintf(want, sizeof want,
           "plugkit: %s: not a plugkit crash journal of this version "
           "(another format, or another file), left as it is",
           journal);
  assert_has(r.err, want);
  char *left = read_text(journal);
  cr_expect_str_eq(left, "what I did on Monday\n");
  free(left);
}
