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

Test(cli_pins, quarantine_lists_and_clears)
{
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "mkdir -p %s/sp && cp -r %s/register_crashes %s/sp/", root,
           FIX("faults"), root);
  shell(cmd);
  const char *sp = in_root("sp"), *cache = in_root("plugins.cache");
  run r = cli("quarantine", "list", "--cache", cache);
  cr_expect_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "no plugin in quarantine");
  crash_child(cache, sp, "faults:register_crashes");
  r = cli("quarantine", "list", "--cache", cache);
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
