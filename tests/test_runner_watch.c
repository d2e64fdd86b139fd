/* test_runner_watch.c -- issue 17 point 2: --watch, the real runner in
 * the background on a temporary project while the test edits its files
 * and reads what it prints: a changed file reruns its runnable and its
 * strict downstreams, a new file matching a glob is seen, so is an
 * editor's rename over a file and a directory made later, an edit during
 * a run is run after it, a burst is one run, Ctrl-C ends it and what it
 * ran; every edit run once; a changed runner.toml is said (read once);
 * with nothing to watch the runner ends.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

/* What runner NAME wrote on stdout. */
static void out_of(const proj *p, const char *name, char *buf, size_t n)
{
  char path[200];
  snprintf(path, sizeof path, "%s.%s.out", p->dir, name);
  slurp(path, buf, n);
}

/* Waits (up to 20 s) until runner NAME's stdout holds text n times. */
static void wait_for_out(const proj *p, const char *name, const char *text,
                         int n)
{
  static char out[1 << 16];
  for (int i = 0; i < 4000; i++) {
    out_of(p, name, out, sizeof out);
    if (count_of(out, text) >= n)
      return;
    nap_ms(5);
  }
  char err[4096];
  err_of(p, name, err, sizeof err);
  cr_assert_fail("runner %s never printed \"%s\" %d times:\n%s\n%s", name,
                 text, n, out, err);
}

/* How many times runner NAME's stderr says says. */
static int err_count(const proj *p, const char *name, const char *says)
{
  static char err[1 << 16];
  err_of(p, name, err, sizeof err);
  return count_of(err, says);
}

Test(runner, watch_reruns_what_changes_new_files_renames_and_new_dirs,
     .timeout = 120)
{
  proj p;
  proj_with(&p, "[commands.cat]\nexec = \"cat src/*.txt\"\n"
                "deps = [\"src/*.txt\"]\n"
                "[commands.up]\nexec = \"echo up-$(cat u.txt)\"\n"
                "deps = [\"u.txt\"]\n"
                "[commands.down]\nexec = \"echo down\"\n"
                "deps = [\"d.txt\", { type = \"command\", name = \"up\", "
                "strict = true }]\n"
                "[commands.gen]\nexec = \"find gen -name '*.c' | sort\"\n"
                "deps = [\"gen/**/*.c\"]\n");
  put(p.dir, "src/a.txt", "a1\n");
  put(p.dir, "u.txt", "1\n");
  put(p.dir, "d.txt", "d\n");
  pid_t pid = start(&p, "w", "--watch", "--debounce", "300", NULL);
  wait_for_err(&p, "w", "runner: watching ");
  wait_for_out(&p, "w", "down\n", 1);
  /* an edit: cat runs again */
  put(p.dir, "src/a.txt", "a2\n");
  wait_for_out(&p, "w", "a2\n", 1);
  cr_assert(err_count(&p, "w", "watch: src/a.txt changed: 1 runnable "
                               "selected"), "edit not seen");
  /* a new file matching the glob */
  put(p.dir, "src/b.txt", "b1\n");
  wait_for_out(&p, "w", "b1\n", 1);
  /* an editor writing a new file and renaming it over the old one */
  put(p.dir, "src/.a.txt.swp", "a3\n");
  char from[300], to[300];
  snprintf(from, sizeof from, "%s/src/.a.txt.swp", p.dir);
  snprintf(to, sizeof to, "%s/src/a.txt", p.dir);
  cr_assert_eq(rename(from, to), 0);
  wait_for_out(&p, "w", "a3\n", 1);
  /* up changed: up and its strict downstream down */
  put(p.dir, "u.txt", "2\n");
  wait_for_out(&p, "w", "up-2\n", 1);
  wait_for_out(&p, "w", "down\n", 2);
  cr_assert_eq(err_count(&p, "w", "watch: u.txt changed: 2 runnables"), 1);
  /* a directory made after the watch started, a file deep in it */
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/gen/x/y'", p.dir);
  cr_assert_eq(system(cmd), 0);
  put(p.dir, "gen/x/y/new.c", "int x;\n");
  wait_for_out(&p, "w", "gen/x/y/new.c\n", 1);
  /* A burst of edits 10 ms apart is one run.  A loaded machine may stall
   * the test between two edits for longer than the debounce (300 ms):
   * each such gap may end a batch, so it may add one run, never more. */
  int runs = err_count(&p, "w", "cat: miss, running"), stalls = 0;
  double last = now_s();
  for (int i = 0; i < 5; i++) {
    put(p.dir, "src/b.txt", "burst %d\n", i);
    double t = now_s();
    stalls += i && t - last > 0.24;
    last = t;
    nap_ms(10);
  }
  wait_for_out(&p, "w", "burst 4\n", 1);
  nap_ms(400);
  int burst_runs = err_count(&p, "w", "cat: miss, running") - runs;
  cr_assert(burst_runs >= 1 && burst_runs <= 1 + stalls,
            "a burst of 5 edits (%d stalls) ran cat %d times", stalls,
            burst_runs);
  kill(pid, SIGINT);
  cr_assert_eq(finish(pid), 128 + SIGINT);
  races_free(&p);
}

/* An edit made while a run goes on is run after it; Ctrl-C during a run
 * stops its command and ends the runner. */
Test(runner, watch_queues_edits_during_a_run_and_ctrl_c_ends_it,
     .timeout = 120)
{
  proj p;
  proj_with(&p, "[commands.slow]\nexec = \"echo $$ > slow.pid; sleep 0.6; "
                "cat slow.txt\"\ndeps = [\"slow.txt\"]\n");
  put(p.dir, "slow.txt", "s0\n");
  pid_t pid = start(&p, "w", "--watch", "--debounce", "50", NULL);
  wait_for_out(&p, "w", "s0\n", 1);
  wait_for_err(&p, "w", "runner: watching ");
  put(p.dir, "slow.txt", "s1\n");
  nap_ms(300); /* the run started, sleeping */
  put(p.dir, "slow.txt", "s2\n");
  /* that run read s2 too late to be stored; the one after it runs s2 */
  wait_for_out(&p, "w", "s2\n", 2);
  cr_assert_geq(err_count(&p, "w", "slow: miss, running"), 3);
  /* Ctrl-C while it runs */
  char pidfile[300];
  snprintf(pidfile, sizeof pidfile, "%s/slow.pid", p.dir);
  unlink(pidfile);
  put(p.dir, "slow.txt", "s3\n");
  pid_t cmd = pid_in(&p, "slow.pid");
  kill(pid, SIGINT);
  cr_assert_eq(finish(pid), 128 + SIGINT);
  wait_gone(cmd, "the command");
  races_free(&p);
}

/* Every edit is run once, after the one before it was: 10 edits of one
 * file, each waited for.  (How soon: bench/runner-graph times the median
 * reaction of 20 edits against its goal, 200 ms; a test under ASan on a
 * loaded machine cannot.) */
Test(runner, watch_runs_each_edit_once, .timeout = 120)
{
  proj p;
  proj_with(&p, "[commands.lat]\nexec = \"cat lat.txt\"\n"
                "deps = [\"lat.txt\"]\n");
  put(p.dir, "lat.txt", "edit -1\n");
  pid_t pid = start(&p, "w", "--watch", NULL);
  wait_for_out(&p, "w", "edit -1\n", 1);
  wait_for_err(&p, "w", "runner: watching ");
  enum { EDITS = 10 };
  for (int i = 0; i < EDITS; i++) {
    char text[32];
    snprintf(text, sizeof text, "edit %d\n", i);
    put(p.dir, "lat.txt", "%s", text);
    wait_for_out(&p, "w", text, 1);
    cr_assert_eq(err_count(&p, "w", "watch: lat.txt changed: 1 runnable"),
                 i + 1, "edit %d", i);
  }
  kill(pid, SIGINT);
  cr_assert_eq(finish(pid), 128 + SIGINT);
  cr_assert_eq(err_count(&p, "w", "lat: miss, running"), EDITS + 1);
  races_free(&p);
}

/* The runner's own writes never start a run: an env's setup rewriting its
 * lock, a plugin's output under .runner, an artifact another runnable's
 * glob matches. */
Test(runner, watch_is_not_woken_by_what_the_runnables_write,
     .timeout = 120)
{
  proj p;
  proj_with(&p, "[plugins]\ntools = \"runner:toolenv\"\n"
                "cinclude = \"runner:cinclude\"\n"
                "[envs.dev]\ntype = \"toolenv\"\nsetup = \"date +%N > "
                "$TOOLENV_DIR/lock\"\n"
                "[commands.gen]\nexec = \"cp in.txt src/gen.c\"\n"
                "deps = [\"in.txt\"]\nartifacts = [\"src/gen.c\"]\n"
                "env = \"dev\"\n"
                "[commands.use]\nexec = \"cat src/*.c\"\n"
                "deps = [\"src/*.c\", { type = \"cinclude\", path = "
                "\"src/main.c\" }, { type = \"command\", name = \"gen\", "
                "strict = true }]\n");
  put(p.dir, "in.txt", "/* v1 */\n");
  put(p.dir, "src/main.c", "int main;\n");
  pid_t pid = start(&p, "w", "--watch", NULL);
  wait_for_err(&p, "w", "runner: watching ");
  nap_ms(700);
  cr_assert_eq(err_count(&p, "w", "runner: watch: "), 0);
  put(p.dir, "in.txt", "/* v2 */\n");
  wait_for_out(&p, "w", "/* v2 */\n", 1);
  nap_ms(700);
  cr_assert_eq(err_count(&p, "w", "runner: watch: "), 1);
  cr_assert_eq(err_count(&p, "w", "watch: in.txt changed: 2 runnables"), 1);
  kill(pid, SIGINT);
  cr_assert_eq(finish(pid), 128 + SIGINT);
  races_free(&p);
}

/* runner.toml and a module's are read once: a change to one is said, with
 * what to do (restart), and the watch goes on. */
Test(runner, watch_says_a_changed_runner_toml_is_read_once, .timeout = 120)
{
  proj p;
  proj_with(&p, "[spaces.default]\nmodules = [\"m\"]\n"
                "[commands.show]\nexec = \"cat {module.dir}/a.txt\"\n"
                "deps = [\"{module.dir}/*.txt\"]\n");
  put(p.dir, "m/a.txt", "a1\n");
  put(p.dir, "m/runner.toml", "[commands.x]\nexec = \"echo x\"\n");
  pid_t pid = start(&p, "w", "--watch", "--debounce", "50", "show", NULL);
  wait_for_err(&p, "w", "runner: watching ");
  wait_for_out(&p, "w", "a1\n", 1);
  put(p.dir, "runner.toml",
      "[spaces.default]\nmodules = [\"m\"]\n"
      "[commands.show]\nexec = \"cat {module.dir}/a.txt; echo new\"\n"
      "deps = [\"{module.dir}/*.txt\"]\n");
  wait_for_err(&p, "w",
               "runner: watch: runner.toml changed: the runner "
               "read it when it started and runs that; restart "
               "it to use the change\n");
  put(p.dir, "m/runner.toml", "[commands.y]\nexec = \"echo y\"\n");
  wait_for_err(&p, "w",
               "runner: watch: m/runner.toml changed: the runner "
               "read it when it started");
  /* the watch goes on, with the commands it started with */
  put(p.dir, "m/a.txt", "a2\n");
  wait_for_out(&p, "w", "a2\n", 1);
  char out[256];
  out_of(&p, "w", out, sizeof out);
  cr_assert_eq(count_of(out, "new\n"), 0, "%s", out);
  kill(pid, SIGINT);
  cr_assert_eq(finish(pid), 128 + SIGINT);
  races_free(&p);
}

/* What ran has no files to watch: said, and the runner ends with the
 * run's status instead of waiting for ever. */
Test(runner, watch_with_nothing_to_watch_says_so_and_ends, .timeout = 60)
{
  proj p;
  proj_with(&p, "[commands.hello]\nexec = \"echo hi\"\n");
  pid_t pid = start(&p, "w", "--watch", NULL);
  cr_assert_eq(finish(pid), 0);
  char err[1024];
  err_of(&p, "w", err, sizeof err);
  cr_assert_str_eq(err, "runner: hello: running (not cached)\n"
                        "runner: --watch: nothing to watch: what ran has no "
                        "file deps (globs in deps, or a dep type that "
                        "watches files)\n");
  races_free(&p);
}
