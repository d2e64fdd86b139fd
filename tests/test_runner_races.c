/* test_runner_races.c -- the runner against concurrent input (issue 12):
 * inputs edited while a command runs, two runners on one runnable, a
 * runner killed (SIGKILL) or stopped (SIGINT) while its command runs or
 * while a process its command started still writes.  The real runner
 * binary, started directly (fork and exec) so a test can signal it; a
 * wait is a wait on a condition (a file appears, a process ends), not a
 * fixed sleep.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>

#include "runner_util.h"

/* ---- the project ---- */

/* slow: marks started, waits for the test's go file, copies src/in.txt to
 * out/o.  group: writes its shell's pid and a background sleep's, then
 * waits.  big: writes out/big.bin, 40 x 1 MB appended, each MB the line
 * "SEED I" repeated (SEED from src/seed), by a process in a session of its
 * own that outlives a killed runner. */
static void races_project(proj *p)
{
  proj_with(p,
      "[commands.slow]\n"
      "exec = \"mkdir -p out && touch started && while [ ! -e go ]; do "
      "sleep 0.01; done && cat src/in.txt > out/o && echo copied\"\n"
      "deps = [\"src/*.txt\"]\n"
      "artifacts = [\"out/o\"]\n"
      "\n"
      "[commands.group]\n"
      "exec = \"echo $$ > sh.pid; sleep 100 & echo $! > bg.pid; wait\"\n"
      "deps = [\"src/*.txt\"]\n"
      "\n"
      "[commands.big]\n"
      "exec = '''mkdir -p out && : > out/big.bin && setsid sh -c 'seed=$(cat "
      "src/seed); for i in $(seq 40); do yes \"$seed $i\" | head -c 1048576 "
      ">> out/big.bin; done' '''\n"
      "deps = [\"src/seed\"]\n"
      "artifacts = [\"out/big.bin\"]\n");
  put(p->dir, "src/in.txt", "v1\n");
  put(p->dir, "src/seed", "0\n");
}

/* ---- item 4: inputs that change while the command runs ---- */

/* Issue 12 point 4: in.txt v1 -> v2 during the run, back to v1: the next
 * run does not replay what v2 made. */
Test(runner, inputs_changed_while_running_are_not_stored)
{
  proj p;
  races_project(&p);
  pid_t a = start(&p, "a", "slow", NULL);
  wait_for_file(&p, "started");
  put(p.dir, "src/in.txt", "v2\n");
  put(p.dir, "go", "");
  cr_assert_eq(finish(a), 0);
  char err[4096];
  err_of(&p, "a", err, sizeof err);
  cr_assert(strstr(err, "warning: slow: its inputs changed while it ran: the "
                        "result is not stored"), "%s", err);
  put(p.dir, "src/in.txt", "v1\n");
  run_says(&p, "slow", "slow: miss, running");
  char o[64], path[300];
  snprintf(path, sizeof path, "%s/out/o", p.dir);
  slurp(path, o, sizeof o);
  cr_assert_str_eq(o, "v1\n");
  run_says(&p, "slow", "slow: hit, replaying");
  races_free(&p);
}

/* ---- item 3: one runnable, one runner at a time ---- */

/* The second runner waits for the first one's lock, then hits. */
Test(runner, second_runner_waits_for_the_lock_then_hits)
{
  proj p;
  races_project(&p);
  pid_t a = start(&p, "a", "slow", NULL);
  wait_for_file(&p, "started");
  pid_t b = start(&p, "b", "slow", NULL);
  wait_for_err(&p, "b", "slow: waiting for its lock");
  put(p.dir, "go", "");
  cr_assert_eq(finish(a), 0);
  cr_assert_eq(finish(b), 0);
  char err[4096];
  err_of(&p, "a", err, sizeof err);
  cr_assert(strstr(err, "slow: miss, running"), "%s", err);
  err_of(&p, "b", err, sizeof err);
  cr_assert(strstr(err, "slow: hit, replaying"), "%s", err);
  races_free(&p);
}

/* kill -9 of the runner: the supervisor takes the command's whole group
 * down (the shell and its background job). */
Test(runner, killed_runner_takes_its_command_group_down)
{
  proj p;
  races_project(&p);
  pid_t a = start(&p, "a", "group", NULL);
  pid_t sh = pid_in(&p, "sh.pid"), bg = pid_in(&p, "bg.pid");
  cr_assert(alive(sh) && alive(bg));
  kill(a, SIGKILL);
  cr_assert_eq(finish(a), 128 + SIGKILL);
  wait_gone(sh, "the command's shell");
  wait_gone(bg, "its background job");
  races_free(&p);
}

/* Ctrl-C (SIGINT) and SIGTERM: the command's group is stopped, nothing is
 * stored (no entry, no temporary file), the runner ends by the signal. */
Test(runner, stopped_runner_stops_its_command_and_stores_nothing)
{
  static const int sigs[] = {SIGINT, SIGTERM};
  for (size_t i = 0; i < 2; i++) {
    proj p;
    races_project(&p);
    pid_t a = start(&p, "a", "group", NULL);
    pid_t sh = pid_in(&p, "sh.pid"), bg = pid_in(&p, "bg.pid");
    kill(a, sigs[i]);
    cr_assert_eq(finish(a), 128 + sigs[i]);
    wait_gone(sh, "the command's shell");
    wait_gone(bg, "its background job");
    char err[4096], want[100];
    err_of(&p, "a", err, sizeof err);
    snprintf(want, sizeof want, "group: stopped by signal %d, nothing "
             "stored", sigs[i]);
    cr_assert(strstr(err, want), "%s", err);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/.runner/cache' "
             "2>/dev/null)\"", p.dir);
    cr_assert_eq(system(cmd), 0, "something was stored");
    races_free(&p);
  }
}

/* ---- item 8: many runners, many kills ---- */

enum { CHUNKS = 40 };

/* Issue 12 point 3: two `runner big` at once cached a 76-80 MB artifact
 * 20 times in 20.  Now one runs while the other waits, then hits; every
 * replay after is checked by content. */
Test(runner, two_runners_at_once_never_cache_a_wrong_artifact)
{
  proj p;
  races_project(&p);
  int wrong = 0, replays = 0, both_ran = 0, no_hit = 0;
  for (int round = 1; round <= 20; round++) {
    set_seed(&p, round);
    pid_t a = start(&p, "a", "big", NULL), b = start(&p, "b", "big", NULL);
    cr_assert_eq(finish(a), 0);
    cr_assert_eq(finish(b), 0);
    char ea[4096], eb[4096];
    err_of(&p, "a", ea, sizeof ea);
    err_of(&p, "b", eb, sizeof eb);
    int ran = (strstr(ea, "big: miss, running") != NULL) +
              (strstr(eb, "big: miss, running") != NULL);
    both_ran += ran != 1; /* one runs, the other waits, then hits */
    wrong += !big_right(&p, "out/big.bin", round, CHUNKS);
    cr_assert_eq(run(&p, NULL, "big"), 0, "%s", p.err);
    no_hit += !strstr(p.err, "big: hit, replaying");
    replays += 2;
    wrong += !big_right(&p, "out/big.bin", round, CHUNKS);
  }
  cr_assert_eq(wrong, 0, "%d wrong replays of %d", wrong, replays);
  cr_assert_eq(both_ran, 0, "both runners ran in %d rounds of 20", both_ran);
  cr_assert_eq(no_hit, 0, "no hit after %d rounds of 20", no_hit);
  races_free(&p);
}

/* Issue 12 point 3: kill -9 of the runner left its command writing, and 7
 * of 50 kills cached a wrong artifact.  Here big's writer leaves the
 * command's group on purpose (setsid), so it outlives the kill: it keeps
 * the runnable's lock (an inherited descriptor), the next runner waits for
 * it, then runs or hits; the run after that replays.  Every result is
 * checked by content. */
Test(runner, kill_9_at_random_points_never_caches_a_wrong_artifact)
{
  proj p;
  races_project(&p);
  set_seed(&p, 1000);
  double t0 = now_s();
  cr_assert_eq(run(&p, NULL, "big"), 0, "%s", p.err);
  long full_ms = (long)((now_s() - t0) * 1000);
  unsigned rng = 12;
  int wrong = 0, checked = 0, orphans = 0, no_hit = 0;
  for (int k = 1; k <= 50; k++) {
    set_seed(&p, k);
    pid_t a = start(&p, "a", "big", NULL);
    nap_ms((long)(rand_r(&rng) % (unsigned)(full_ms + 1)));
    kill(a, SIGKILL);
    int code = finish(a); /* 0: it was done before the kill */
    cr_assert(code == 128 + SIGKILL || code == 0, "exit %d", code);
    cr_assert_eq(run(&p, NULL, "big"), 0, "%s", p.err);
    orphans += strstr(p.err, "waiting for its lock") != NULL;
    wrong += !big_right(&p, "out/big.bin", k, CHUNKS);
    cr_assert_eq(run(&p, NULL, "big"), 0, "%s", p.err);
    no_hit += !strstr(p.err, "big: hit, replaying");
    wrong += !big_right(&p, "out/big.bin", k, CHUNKS);
    checked += 2;
  }
  cr_assert_eq(wrong, 0, "%d wrong results of %d", wrong, checked);
  cr_assert_eq(no_hit, 0, "no hit after %d kills of 50", no_hit);
  cr_assert_gt(orphans, 0, "no kill left a writer behind");
  races_free(&p);
}

/* ---- what a killed runner leaves: its temporary file ---- */

/* Whether the project's dir holds a temporary file of runner pid
 * (.runner-tmp.PID.N); its path (relative) in name. */
static bool tmp_of(const proj *p, const char *dir, pid_t pid, char *name,
                   size_t n)
{
  char path[300], prefix[64];
  snprintf(path, sizeof path, "%s/%s", p->dir, dir);
  int k = snprintf(prefix, sizeof prefix, ".runner-tmp.%ld.", (long)pid);
  DIR *d = opendir(path);
  struct dirent *de;
  bool found = false;
  while (d && !found && (de = readdir(d)))
    if ((found = !strncmp(de->d_name, prefix, (size_t)k)))
      snprintf(name, n, "%s/%s", dir, de->d_name);
  if (d)
    closedir(d);
  return found;
}

/* A runner killed (SIGKILL) while it writes big's 40 MB cache entry
 * leaves .runner-tmp.PID.N in .runner/cache; the next run leaves it while
 * it is recent (a runner in another PID namespace may be writing it), a
 * run once it is 10 minutes old removes it.  The kill lands when the file
 * appears (polled), in the first of up to 20 runs where it is seen. */
Test(runner, a_runner_killed_while_storing_leaves_a_file_a_later_run_sweeps)
{
  proj p;
  races_project(&p);
  char tmp[300] = "", path[500];
  int k;
  for (k = 1; k <= 20 && !tmp[0]; k++) {
    set_seed(&p, k);
    pid_t a = start(&p, "a", "big", NULL);
    while (alive(a) && !tmp_of(&p, ".runner/cache", a, tmp, sizeof tmp))
      nap_ms(1);
    kill(a, SIGKILL);
    int code = finish(a);
    cr_assert(code == 128 + SIGKILL || code == 0, "exit %d", code);
    /* the kill may land after the rename, or the file appear too late */
    if (tmp[0] && !exists(&p, tmp))
      tmp[0] = 0;
  }
  cr_assert(tmp[0], "no kill of 20 landed while the entry was written");
  cr_log_info("the kill of run %d left %s", k - 1, tmp);
  cr_assert_eq(run(&p, NULL, "big"), 0, "%s", p.err);
  cr_assert(big_right(&p, "out/big.bin", k - 1, CHUNKS));
  cr_expect(exists(&p, tmp), "a recent leftover is removed");
  struct timespec t[2];
  clock_gettime(CLOCK_REALTIME, &t[0]);
  t[0].tv_sec -= 11 * 60;
  t[1] = t[0];
  snprintf(path, sizeof path, "%s/%s", p.dir, tmp);
  cr_assert_eq(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
  set_seed(&p, 100);
  cr_assert_eq(run(&p, NULL, "big"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "big: miss, running"), "%s", p.err);
  cr_expect(!exists(&p, tmp), "the run left %s", tmp);
  cr_assert(big_right(&p, "out/big.bin", 100, CHUNKS));
  races_free(&p);
}
