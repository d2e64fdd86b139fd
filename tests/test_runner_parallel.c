/* test_runner_parallel.c -- the runner's workers (issue 16 point 1):
 * runnables at once, each output whole and in plan order, --fail-fast and
 * --keep-going, Ctrl-C and kill -9 with several commands running, the
 * progress line only on a terminal (a pseudo-terminal from script(1)),
 * --trace.  The real runner binary in temporary projects; waits are on
 * conditions.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

/* Command NAME: marks itself started in started/, waits (up to 10 s) until
 * WANT commands have started, then sleeps NAP and says "NAME one" and
 * "NAME two" a little apart. */
static void barrier_command(char *toml, size_t n, const char *name, int want,
                            const char *nap)
{
  size_t len = strlen(toml);
  snprintf(toml + len, n - len,
           "[commands.%s]\n"
           "exec = '''mkdir -p started && touch started/%s && i=0; "
           "while [ $(ls started | wc -l) -lt %d ] && [ $i -lt 1000 ]; do "
           "sleep 0.01; i=$((i+1)); done; [ $i -lt 1000 ] || echo alone; "
           "sleep %s; echo %s one; sleep 0.05; echo %s two'''\n\n",
           name, name, want, nap, name, name);
}

/* Four commands that each wait for all four to have started: -n 4 runs
 * them at once; they end in the reverse order (d first), and the outputs
 * still come whole, in the order of the file. */
Test(runner, workers_run_at_once_and_outputs_come_whole_in_plan_order)
{
  char toml[4096] = "";
  barrier_command(toml, sizeof toml, "a", 4, "0.6");
  barrier_command(toml, sizeof toml, "b", 4, "0.4");
  barrier_command(toml, sizeof toml, "c", 4, "0.2");
  barrier_command(toml, sizeof toml, "d", 4, "0");
  proj p;
  proj_with(&p, toml);
  cr_assert_eq(run(&p, NULL, "-n 4"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "a one\na two\nb one\nb two\nc one\nc two\n"
                          "d one\nd two\n");
  const char *a = strstr(p.err, "runner: a:"), *d = strstr(p.err, "runner: d:");
  cr_assert(a && d && a < d, "%s", p.err);
  /* --workers=N and RUNNER__WORKERS say the same */
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/started'", p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, "RUNNER__WORKERS=4", ""), 0, "%s", p.err);
  cr_assert_null(strstr(p.out, "alone"), "%s", p.out);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "--workers=4"), 0, "%s", p.err);
  cr_assert_null(strstr(p.out, "alone"), "%s", p.out);
  proj_free(&p);
}

Test(runner, worker_counts_are_checked)
{
  proj p;
  proj_with(&p, "[commands.a]\nexec = \"true\"\n");
  cr_assert_eq(run(&p, NULL, "-n 0"), 64);
  cr_assert(strstr(p.err, "runner: -n \"0\": expected a number of workers "
                          "from 1 to 1024"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "--workers=x"), 64);
  cr_assert_eq(run(&p, "RUNNER__WORKERS=-2", ""), 64);
  cr_assert(strstr(p.err, "RUNNER__WORKERS \"-2\""), "%s", p.err);
  cr_assert_eq(run(&p, "RUNNER__WORKERS=-2", "-n 1"), 0, "%s", p.err);
  proj_free(&p);
}

/* bad fails at once; after it (plan order, one worker) come strict (a
 * strict dependent), loose (a dependent that is not strict) and lone
 * (independent). */
static void failing_project(proj *p)
{
  proj_with(p,
      "[commands.bad]\nexec = \"echo bad; exit 3\"\n\n"
      "[commands.strict]\nexec = \"echo strict\"\n"
      "deps = [{ type = \"command\", name = \"bad\", strict = true }]\n\n"
      "[commands.loose]\nexec = \"echo loose\"\n"
      "deps = [{ type = \"command\", name = \"bad\" }]\n\n"
      "[commands.lone]\nexec = \"echo lone\"\n");
}

Test(runner, fail_fast_starts_nothing_after_a_failure)
{
  proj p;
  failing_project(&p);
  cr_assert_eq(run(&p, NULL, "-n 1"), 1);
  cr_assert_str_eq(p.out, "bad\n");
  cr_assert(strstr(p.err, "runner: bad: failed (exit 3)"), "%s", p.err);
  cr_assert(strstr(p.err, "runner: strict: skipped (bad did not succeed)"),
            "%s", p.err);
  cr_assert(strstr(p.err, "runner: 2 not run: bad failed (--keep-going "
                          "runs what does not depend on it)"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "-n 1 --fail-fast"), 1);
  cr_assert_str_eq(p.out, "bad\n");
  proj_free(&p);
}

Test(runner, keep_going_runs_what_does_not_depend_on_the_failure)
{
  proj p;
  failing_project(&p);
  cr_assert_eq(run(&p, NULL, "-n 1 -k"), 1);
  cr_assert_str_eq(p.out, "bad\nloose\nlone\n");
  cr_assert(strstr(p.err, "runner: strict: skipped (bad did not succeed)"),
            "%s", p.err);
  cr_assert_null(strstr(p.err, "not run"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "--keep-going -n 3"), 1);
  cr_assert_str_eq(p.out, "bad\nloose\nlone\n");
  /* a strict chain is skipped link by link */
  put(p.dir, "runner.toml",
      "[commands.bad]\nexec = \"exit 1\"\n\n"
      "[commands.b]\nexec = \"echo b\"\n"
      "deps = [{ type = \"command\", name = \"bad\", strict = true }]\n\n"
      "[commands.c]\nexec = \"echo c\"\n"
      "deps = [{ type = \"command\", name = \"b\", strict = true }]\n");
  cr_assert_eq(run(&p, NULL, "-k"), 1);
  cr_assert(strstr(p.err, "runner: c: skipped (b did not succeed)"), "%s",
            p.err);
  proj_free(&p);
}

/* Appends command gI (I from 0 to k - 1) to toml (n bytes used): it
 * writes its shell's pid to gI.sh and a background job's to gI.bg, then
 * waits; deps is its deps line ("" for none, %d: I % 2). */
static size_t group_commands(char *toml, size_t n, size_t cap, int k,
                             const char *deps)
{
  for (int i = 0; i < k; i++) {
    n += (size_t)snprintf(toml + n, cap - n, "[commands.g%d]\nexec = \"echo "
                          "$$ > g%d.sh; sleep 100 & echo $! > g%d.bg; "
                          "wait\"\n", i, i, i);
    n += (size_t)snprintf(toml + n, cap - n, deps, i % 2);
    n += (size_t)snprintf(toml + n, cap - n, "\n");
  }
  return n;
}

/* Starts runner -n WORKERS in p, waits until the k group commands run,
 * signals it with sig: every shell and background job goes. */
static void groups_gone_on(proj *p, const char *workers, int k, int sig)
{
  pid_t a = start(p, "a", "-n", workers, NULL);
  pid_t sh[8], bg[8];
  for (int i = 0; i < k; i++) {
    char rel[16];
    snprintf(rel, sizeof rel, "g%d.sh", i);
    sh[i] = pid_in(p, rel);
    snprintf(rel, sizeof rel, "g%d.bg", i);
    bg[i] = pid_in(p, rel);
  }
  kill(a, sig);
  cr_assert_eq(finish(a), 128 + sig);
  for (int i = 0; i < k; i++) {
    wait_gone(sh[i], "a command's shell");
    wait_gone(bg[i], "its background job");
  }
}

/* Ctrl-C with four commands running (each with a job in the background)
 * and the two they depend on done: every command group goes, the runner
 * ends by SIGINT, the two done are stored whole (they hit afterwards),
 * nothing else is, and no temporary file is left in the cache. */
Test(runner, ctrl_c_stops_every_workers_command_and_stores_nothing_half)
{
  proj p;
  char toml[4096] = "";
  size_t n = 0;
  for (size_t i = 0; i < 2; i++)
    n += (size_t)snprintf(toml + n, sizeof toml - n,
                          "[commands.q%zu]\nexec = \"echo quick %zu\"\n"
                          "deps = [\"src/*\"]\n\n", i, i);
  group_commands(toml, n, sizeof toml, 4, "deps = [{ type = \"command\", "
                 "name = \"q%d\" }, \"src/*\"]\n");
  proj_with(&p, toml);
  put(p.dir, "src/in", "x\n");
  groups_gone_on(&p, "6", 4, SIGINT);
  char err[8192];
  err_of(&p, "a", err, sizeof err);
  cr_assert_eq(count_of(err, "stopped by signal 2, nothing stored"), 4, "%s",
               err);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cd '%s/.runner/cache' && test \"$(ls -A | "
           "tr '\\n' ' ')\" = 'q0.entry q1.entry '", p.dir);
  cr_assert_eq(system(cmd), 0, "the cache holds more than q0 and q1");
  cr_assert_eq(run(&p, NULL, "q0 q1"), 0, "%s", p.err);
  cr_assert_eq(count_of(p.err, ": hit, replaying"), 2, "%s", p.err);
  cr_assert_str_eq(p.out, "quick 0\nquick 1\n");
  races_free(&p);
}

/* kill -9 of a runner whose four workers each run a command (with a job
 * in the background): every worker's supervisor takes its group down. */
Test(runner, kill_9_takes_every_workers_command_group_down)
{
  proj p;
  char toml[2048] = "";
  group_commands(toml, 0, sizeof toml, 4, "");
  proj_with(&p, toml);
  groups_gone_on(&p, "4", 4, SIGKILL);
  races_free(&p);
}

/* On a terminal (script(1) gives the runner a pseudo-terminal) a progress
 * line "runner: [DONE/TOTAL, N running] NAMES" is drawn and erased; in a pipe or a
 * file there is no escape sequence at all. */
Test(runner, progress_line_only_on_a_terminal)
{
  proj p;
  proj_with(&p, "[commands.a]\nexec = \"sleep 0.2; echo a\"\n\n"
                "[commands.b]\nexec = \"sleep 0.2; echo b\"\n");
  char cmd[1024], path[300], tty[8192];
  snprintf(cmd, sizeof cmd, "cd '%s' && TERM=xterm script -qfec '%s -n 2' "
           "/dev/null > '%s.tty' 2>&1", p.dir, RUNNER, p.dir);
  cr_assert_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s.tty", p.dir);
  slurp(path, tty, sizeof tty);
  cr_assert(strstr(tty, "runner: [0/2, 2 running] a, b") ||
            strstr(tty, "runner: [0/2, 2 running] b, a"), "%s", tty);
  cr_assert(strstr(tty, "\r\033[K"), "%s", tty);
  cr_assert(strstr(tty, "a\r\n") && strstr(tty, "b\r\n"), "%s", tty);
  cr_assert_eq(run(&p, NULL, "-n 2"), 0, "%s", p.err);
  cr_assert_null(strchr(p.err, '\033'), "%s", p.err);
  cr_assert_null(strchr(p.out, '\033'), "%s", p.out);
  cr_assert_null(strchr(p.err, '\r'), "%s", p.err);
  remove(path);
  proj_free(&p);
}

/* --trace FILE: Chrome trace-event JSON (checked by Python's json): one
 * "runnable" span per runnable, each on the track of one of the 3
 * workers, more than one used, no two spans of a track overlapping, each
 * track named, and the command's span inside its runnable's. */
Test(runner, trace_has_a_span_per_runnable_on_its_workers_track)
{
  proj p;
  char toml[2048] = "";
  size_t n = 0;
  for (int i = 0; i < 6; i++)
    n += (size_t)snprintf(toml + n, sizeof toml - n,
                          "[commands.t%d]\nexec = \"sleep 0.1\"\n"
                          "deps = [\"in\"]\n\n", i);
  proj_with(&p, toml);
  put(p.dir, "in", "x\n");
  cr_assert_eq(run(&p, NULL, "-n 3 --trace out/t.json"), 0, "%s", p.err);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "python3 - '%s/out/t.json' <<'EOF'\n"
      "import json, sys\n"
      "ev = json.load(open(sys.argv[1]))['traceEvents']\n"
      "runs = [e for e in ev if e.get('cat') == 'runnable']\n"
      "assert sorted(e['name'] for e in runs) == "
      "['t%%d' %% i for i in range(6)], runs\n"
      "assert all(e['ph'] == 'X' and e['args']['result'] == 'miss' "
      "for e in runs)\n"
      "tids = {e['tid'] for e in runs}\n"
      "assert tids <= {1, 2, 3} and len(tids) > 1, tids\n"
      "named = {e['tid'] for e in ev if e.get('name') == 'thread_name'}\n"
      "assert tids | {0} <= named, named\n"
      "for t in tids:\n"
      "  s = sorted((e['ts'], e['ts'] + e['dur']) for e in runs "
      "if e['tid'] == t)\n"
      "  assert all(a[1] <= b[0] for a, b in zip(s, s[1:])), s\n"
      "for c in [e for e in ev if e.get('name') == 'command']:\n"
      "  assert any(r['tid'] == c['tid'] and r['ts'] <= c['ts'] and "
      "c['ts'] + c['dur'] <= r['ts'] + r['dur'] for r in runs), c\n"
      "EOF\n", p.dir);
  cr_assert_eq(system(cmd), 0, "the trace does not hold");
  /* a second run: every runnable a hit */
  cr_assert_eq(run(&p, NULL, "--trace out/t.json"), 0, "%s", p.err);
  snprintf(cmd, sizeof cmd, "grep -c '\"cat\":\"runnable\".*\"result\":"
           "\"hit\"' '%s/out/t.json' | grep -qx 6", p.dir);
  cr_assert_eq(system(cmd), 0);
  proj_free(&p);
  /* a lazy plugin's load, its type's factory and a remote cache's fetch
   * and store: spans */
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "build --trace t.json"), 0, "%s", p.err);
  static const char *const spans[] = {
      "\"name\":\"load runner:cinclude\"", "\"name\":\"load runner:redis\"",
      "\"name\":\"factory runner:redis\"",
      "\"name\":\"remote fetch\"", "\"name\":\"remote store\"",
      "\"name\":\"cache set\""};
  char trace[1 << 15], path[300];
  snprintf(path, sizeof path, "%s/t.json", p.dir);
  slurp(path, trace, sizeof trace);
  for (size_t i = 0; i < sizeof spans / sizeof *spans; i++)
    cr_assert(strstr(trace, spans[i]), "no %s in %s", spans[i], trace);
  proj_free(&p);
}
