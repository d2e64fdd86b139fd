/* test_cli_killers.c -- no plugkit command is killed by a plugin (issue 15,
 * point 1): the matrix of failure modes (tests/fixtures/killers: a crash,
 * abort(), exit(0), _exit(0), a hang) by step (a constructor at dlopen,
 * register, post_register, unload, a destructor at dlclose) by subcommand,
 * with the real binary.  Each cell checks the exit status (never the
 * signal's) and the exact report naming the plugin, the step and the
 * failure mode.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "cli_util.h"

TestSuite(cli_killers, .init = setup, .fini = teardown, .timeout = 240);

#define KILLERS FIX("killers")
#define HANG_TIMEOUT "1"

/* Each mode, and how it ends the process as the CLI says it. */
static const char *const modes[][2] = {
    {"segv", "crashed: signal 11 (Segmentation fault)"},
    {"abort", "crashed: signal 6 (Aborted)"},
    {"exit0", "called exit(0), ending the process"},
    {"uexit", "ended the process (_exit(0))"},
    {"hang", "did not return within " HANG_TIMEOUT " s (killed)"}};
#define NMODES (sizeof modes / sizeof modes[0])

/* Each step ($PK_TEST_KILL_AT), and its name as the CLI says it. */
static const char *const steps[][2] = {
    {"load", "loading (dlopen)"},
    {"register", "register hook"},
    {"post_register", "post_register hook"},
    {"unload", "unloading (unload hook, dlclose)"},
    {"dlclose", "unloading (unload hook, dlclose)"}};
#define NSTEPS (sizeof steps / sizeof steps[0])

static const char *lookup(const char *const (*table)[2], size_t n,
                          const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (!strcmp(table[i][0], key))
      return table[i][1];
  cr_assert_fail("no \"%s\"", key);
  return NULL;
}

/* "killers:MODE: STEP WHAT; fix or remove the plugin (manifest ...)" and
 * the end of the line, or, for exit() in a destructor during dlclose,
 * whose outcome is glibc's (it may abort), the text up to "exit(". */
static void report(char *buf, size_t n, const char *mode, const char *step)
{
  if (!strcmp(mode, "exit0") && !strcmp(step, "dlclose"))
    snprintf(buf, n, "killers:exit0: %s called exit(",
             lookup(steps, NSTEPS, step));
  else
    snprintf(buf, n,
             "killers:%s: %s %s; fix or remove the plugin (manifest %s/%s/"
             "plugin.toml)\n",
             mode, lookup(steps, NSTEPS, step), lookup(modes, NMODES, mode),
             KILLERS, mode);
}

/* Runs `plugkit CMD [--timeout] ARGS` with the killers on PLUGKIT_PATH and
 * the plugins killing in step.  arg2 may be NULL. */
static run run_cmd(const char *step, const char *cmd, const char *arg1,
                   const char *arg2, bool hang)
{
  setenv("PK_TEST_KILL_AT", step, 1);
  run r =
      hang ? cli_env(KILLERS, cmd, "--timeout", HANG_TIMEOUT, arg1, arg2, NULL)
           : cli_env(KILLERS, cmd, arg1, arg2, NULL);
  unsetenv("PK_TEST_KILL_AT");
  return r;
}

/* Does `plugkit CMD` run step (with its pair argument)?  graph stops after
 * the register hooks: post_register hooks do not run. */
static bool runs_step(const char *cmd, const char *step)
{
  return strcmp(cmd, "graph") || strcmp(step, "post_register");
}

/* The commands taking pairs: `plugkit CMD killers:MODE` (why: the plugin
 * and the pair) in each step: exit 1, never a signal, and the report. */
static void pair_matrix(const char *cmd)
{
  for (size_t m = 0; m < NMODES; m++)
    for (size_t s = 0; s < NSTEPS; s++) {
      char id[64], line[1024];
      snprintf(id, sizeof id, "killers:%s", modes[m][0]);
      bool why = !strcmp(cmd, "why");
      run r = run_cmd(steps[s][0], cmd, id, why ? id : NULL,
                      !strcmp(modes[m][0], "hang"));
      if (!runs_step(cmd, steps[s][0])) {
        cr_expect_eq(r.code, 0, "%s %s in %s: exit %d:\n%s", cmd, modes[m][0],
                     steps[s][0], r.code, r.err);
        continue;
      }
      report(line, sizeof line, modes[m][0], steps[s][0]);
      char want[1200];
      snprintf(want, sizeof want, "plugkit %s: %s", cmd, line);
      cr_expect_eq(r.code, 1, "%s %s in %s: exit %d (want 1):\n%s", cmd,
                   modes[m][0], steps[s][0], r.code, r.err);
      cr_expect(strstr(r.err, want) != NULL,
                "%s %s in %s: expected \"%s\" in:\n%s", cmd, modes[m][0],
                steps[s][0], want, r.err);
    }
}

Test(cli_killers, order) { pair_matrix("order"); }

Test(cli_killers, why) { pair_matrix("why"); }

Test(cli_killers, graph_of_pairs) { pair_matrix("graph"); }

/* graph of every plugin: a plugin that kills the child is left out with a
 * warning (and what requires it), and the rest is drawn: exit 0. */
Test(cli_killers, graph_of_all_leaves_killers_out)
{
  for (size_t s = 0; s < NSTEPS; s++) {
    run r = run_cmd(steps[s][0], "graph", "--format", "json", true);
    if (!runs_step("graph", steps[s][0])) {
      cr_expect_eq(r.code, 0, "graph in %s: %s", steps[s][0], r.err);
      continue;
    }
    cr_expect_eq(r.code, 0, "graph in %s: exit %d:\n%s", steps[s][0], r.code,
                 r.err);
    for (size_t m = 0; m < NMODES; m++) {
      char line[1024], want[1200];
      report(line, sizeof line, modes[m][0], steps[s][0]);
      snprintf(want, sizeof want, "plugkit: warning: leaving out %s", line);
      cr_expect(strstr(r.err, want) != NULL,
                "graph %s in %s: expected \"%s\" in:\n%s", modes[m][0],
                steps[s][0], want, r.err);
    }
    /* once: the warnings of the children that were killed are dropped */
    const char *dep = "plugkit: warning: leaving out killers:needs_segv: it "
                      "requires killers:segv\n";
    const char *at = strstr(r.err, dep);
    cr_expect(at && !strstr(at + 1, dep), "graph in %s: \"%s\" once in:\n%s",
              steps[s][0], dep, r.err);
    json_t *j = json_of(r.out);
    cr_expect_eq(json_array_size(json_at(j, "nodes")), 0, "%s", r.out);
  }
}

/* check: every plugin a line of its own, each killer named with its step
 * and failure mode; a plugin that requires a killer names it. */
Test(cli_killers, check)
{
  for (size_t s = 0; s < NSTEPS; s++) {
    run r = run_cmd(steps[s][0], "check", NULL, NULL, true);
    cr_expect_eq(r.code, 1, "check in %s: exit %d:\n%s%s", steps[s][0], r.code,
                 r.out, r.err);
    for (size_t m = 0; m < NMODES; m++) {
      char line[1024], want[1200];
      report(line, sizeof line, modes[m][0], steps[s][0]);
      snprintf(want, sizeof want, "FAIL %s", line);
      cr_expect(strstr(r.out, want) != NULL,
                "check %s in %s: expected \"%s\" in:\n%s", modes[m][0],
                steps[s][0], want, r.out);
    }
    assert_has(r.out, "FAIL killers:needs_segv: killers:segv: ");
    assert_has(r.out, "6 plugins: 0 ok, 6 failed\n");
  }
}

/* exit(0) from a register hook used to pass the check (issue 15). */
Test(cli_killers, check_fails_a_register_hook_calling_exit_0)
{
  char dir[256], link[512];
  snprintf(dir, sizeof dir, "%s/one", root);
  mkdir(dir, 0755);
  snprintf(link, sizeof link, "%s/exit0", dir);
  cr_assert_eq(symlink(KILLERS "/exit0", link), 0);
  setenv("PK_TEST_KILL_AT", "register", 1);
  run r = cli("check", "--path", dir);
  unsetenv("PK_TEST_KILL_AT");
  cr_assert_eq(r.code, 1, "%s", r.out);
  char want[1024];
  snprintf(want, sizeof want,
           "FAIL killers:exit0: register hook called exit(0), ending the "
           "process; fix or remove the plugin (manifest %s/plugin.toml)\n",
           link);
  assert_has(r.out, want);
  assert_has(r.out, "1 plugin: 0 ok, 1 failed\n");
}

/* A killer required by the plugin named: the report names the killer. */
Test(cli_killers, order_names_the_dependency_that_crashed)
{
  run r = run_cmd("register", "order", "killers:needs_segv", NULL, false);
  cr_assert_eq(r.code, 1, "%s", r.err);
  char line[1024];
  report(line, sizeof line, "segv", "register");
  assert_has(r.err, line);
  assert_lacks(r.out, "killers:needs_segv");
}

/* order --json: a killed child printed no JSON; the parent prints the
 * shape docs/cli.md gives a failure, the killer as its error. */
Test(cli_killers, order_json_says_the_killer_as_its_error)
{
  run r = run_cmd("register", "order", "--json", "killers:segv", false);
  cr_assert_eq(r.code, 1, "%s", r.err);
  json_t *j = json_of(r.out);
  cr_assert(json_is_false(json_at(j, "ok")), "%s", r.out);
  cr_assert_eq(json_array_size(json_at(j, "layers")), 0, "%s", r.out);
  json_t *e = json_at(j, "error");
  cr_assert_str_eq(json_str(e, "code"), "PK_EPLUGIN");
  cr_assert_str_eq(json_str(e, "plugin"), "killers:segv");
  char want[1024];
  snprintf(want, sizeof want,
           "register hook crashed: signal 11 (Segmentation fault); fix or "
           "remove the plugin (manifest %s/segv/plugin.toml)",
           KILLERS);
  cr_assert_str_eq(json_str(e, "message"), want);
}

/* why --json and graph --json PAIR: a killed child printed no JSON
 * either; the parent prints each one's shape with ok false, what it could
 * not tell null or [], and the killer as its error. */
Test(cli_killers, why_and_graph_json_say_the_killer_as_their_error)
{
  char want[1024];
  snprintf(want, sizeof want,
           "register hook crashed: signal 11 (Segmentation fault); fix or "
           "remove the plugin (manifest %s/segv/plugin.toml)",
           KILLERS);
  setenv("PK_TEST_KILL_AT", "register", 1);
  run why = cli_env(KILLERS, "why", "--json", "killers:segv", "killers:segv",
                    NULL);
  run graph = cli_env(KILLERS, "graph", "--json", "killers:segv", NULL);
  unsetenv("PK_TEST_KILL_AT");
  const run *rs[] = {&why, &graph};
  for (size_t i = 0; i < 2; i++) {
    cr_assert_eq(rs[i]->code, 1, "%s", rs[i]->err);
    json_t *j = json_of(rs[i]->out);
    cr_assert(json_is_false(json_at(j, "ok")), "%s", rs[i]->out);
    json_t *e = json_at(j, "error");
    cr_assert_str_eq(json_str(e, "code"), "PK_EPLUGIN");
    cr_assert_str_eq(json_str(e, "plugin"), "killers:segv");
    cr_assert_str_eq(json_str(e, "message"), want);
  }
  json_t *w = json_of(why.out);
  cr_assert_str_eq(json_str(w, "id"), "killers:segv");
  cr_assert_str_eq(json_string_value(json_array_get(json_at(w, "requested"),
                                                    0)),
                   "killers:segv");
  cr_assert_eq(json_array_size(json_at(w, "shadows")), 0, "%s", why.out);
  const char *const nulls[] = {"state",        "version",
                               "manifest",     "library",
                               "chain",        "also_required_by",
                               "installed_dependents", "plugin_error",
                               "explanation"};
  for (size_t k = 0; k < sizeof nulls / sizeof nulls[0]; k++)
    cr_assert(json_is_null(json_at(w, nulls[k])), "%s: %s", nulls[k],
              why.out);
  json_t *g = json_of(graph.out);
  cr_assert_eq(json_array_size(json_at(g, "nodes")), 0, "%s", graph.out);
  cr_assert_eq(json_array_size(json_at(g, "edges")), 0, "%s", graph.out);
  cr_assert(json_is_null(json_at(g, "cycle")), "%s", graph.out);
}

/* The commands that run no plugin code (list, info, config check) are
 * unaffected, whatever the plugins would do. */
Test(cli_killers, commands_without_plugin_code_run_none)
{
  char cfg[256];
  snprintf(cfg, sizeof cfg, "%s/host.toml", root);
  write_file(cfg, "[plugins]\nsegv = \"killers:segv\"\n"
                  "abort = \"killers:abort\"\nexit0 = \"killers:exit0\"\n"
                  "uexit = \"killers:uexit\"\nhang = \"killers:hang\"\n");
  for (size_t s = 0; s < NSTEPS; s++) {
    run r = run_cmd(steps[s][0], "list", NULL, NULL, false);
    cr_expect_eq(r.code, 0, "list in %s: %s", steps[s][0], r.err);
    assert_has(r.out, "killers:segv ");
    r = run_cmd(steps[s][0], "config", "check", cfg, false);
    cr_expect_eq(r.code, 0, "config check in %s: %s", steps[s][0], r.err);
    for (size_t m = 0; m < NMODES; m++) {
      char id[64];
      snprintf(id, sizeof id, "killers:%s", modes[m][0]);
      r = run_cmd(steps[s][0], "info", id, NULL, false);
      cr_expect_eq(r.code, 0, "info %s in %s: %s", id, steps[s][0], r.err);
    }
  }
}

/* Without PK_TEST_KILL_AT the killers are healthy: the matrix's failures
 * come from the step chosen. */
Test(cli_killers, the_killers_are_healthy_otherwise)
{
  run r = cli_env(KILLERS, "order", "killers:__all__", NULL);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "killers:segv");
  assert_has(r.out, "killers:needs_segv\n");
  r = cli_env(KILLERS, "check", NULL);
  cr_assert_eq(r.code, 0, "%s", r.out);
  assert_has(r.out, "6 plugins: 6 ok, 0 failed\n");
}
