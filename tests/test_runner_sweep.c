/* test_runner_sweep.c -- the temporary files a killed runner left
 * (.runner-tmp.PID.N beside a file it was writing): the first write of a
 * run in a directory removes those of a dead PID last written 10 minutes
 * ago or more, and nothing else of that name or of a name like it.  The
 * real runner binary, real files, real dead and live processes.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>

#include "runner_util.h"

/* A PID that was a process and is none now: a child's, after it ended
 * (reused only if the system wraps around its PIDs meanwhile). */
static pid_t dead_pid(void)
{
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0)
    _exit(0);
  cr_assert_eq(finish(pid), 0);
  cr_assert_eq(kill(pid, 0), -1);
  cr_assert_eq(errno, ESRCH);
  return pid;
}

/* Sets the mtime of the project's rel (not following a link) 20 minutes
 * back: past the runner's margin of 10. */
static void backdate(const proj *p, const char *rel)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", p->dir, rel);
  struct timespec t[2];
  clock_gettime(CLOCK_REALTIME, &t[0]);
  t[0].tv_sec -= 20 * 60;
  t[1] = t[0];
  cr_assert_eq(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0, "%s: %s",
               path, strerror(errno));
}

/* Whether the project's rel is there (a dangling link is). */
static bool there(const proj *p, const char *rel)
{
  char path[1024];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", p->dir, rel);
  return lstat(path, &st) == 0;
}

/* A leftover of the project's dir: ".runner-tmp.PID.N", old unless
 * recent; its name in name (n bytes). */
static void leftover(const proj *p, const char *dir, long pid, int seq,
                     bool recent, char *name, size_t n)
{
  snprintf(name, n, "%s/.runner-tmp.%ld.%d", dir, pid, seq);
  put(p->dir, name, "half a file");
  if (!recent)
    backdate(p, name);
}

static void gen_project(proj *p)
{
  proj_with(p, "[commands.gen]\n"
               "exec = \"mkdir -p out && cat in.txt > out/o\"\n"
               "deps = [\"in.txt\"]\n"
               "artifacts = [\"out/o\"]\n");
  put(p->dir, "in.txt", "v1\n");
}

Test(runner, sweep_removes_a_dead_runners_old_temporary_file_only)
{
  proj p;
  gen_project(&p);
  pid_t dead = dead_pid();
  char gone[100], recent[100], live[100], link[100], dir[100], path[600];
  leftover(&p, ".runner/cache", dead, 0, false, gone, sizeof gone);
  leftover(&p, ".runner/cache", dead, 1, true, recent, sizeof recent);
  leftover(&p, ".runner/cache", getpid(), 2, false, live, sizeof live);
  /* a link of that name to a file of the project: neither is removed */
  put(p.dir, "target", "kept\n");
  snprintf(link, sizeof link, ".runner/cache/.runner-tmp.%ld.3", (long)dead);
  snprintf(path, sizeof path, "%s/%s", p.dir, link);
  cr_assert_eq(symlink("../../target", path), 0);
  backdate(&p, link);
  snprintf(dir, sizeof dir, ".runner/cache/.runner-tmp.%ld.4", (long)dead);
  snprintf(path, sizeof path, "%s/%s", p.dir, dir);
  cr_assert_eq(mkdir(path, 0755), 0);
  backdate(&p, dir);
  /* names that only look like one */
  char like[6][100];
  snprintf(like[0], sizeof like[0], ".runner/cache/.runner-tmp.12x.3");
  snprintf(like[1], sizeof like[1], ".runner/cache/.runner-tmp.%ld.5x",
           (long)dead);
  snprintf(like[2], sizeof like[2], ".runner/cache/.runner-tmp.0%ld.6",
           (long)dead);
  snprintf(like[3], sizeof like[3], ".runner/cache/.runner-tmp.%ld.",
           (long)dead);
  snprintf(like[4], sizeof like[4], ".runner/cache/.runner-tmp.%ld",
           (long)dead);
  snprintf(like[5], sizeof like[5], ".runner/cache/x.runner-tmp.%ld.7",
           (long)dead);
  for (size_t i = 0; i < 6; i++) {
    put(p.dir, like[i], "not the runner's\n");
    backdate(&p, like[i]);
  }

  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: miss, running"), "%s", p.err);
  cr_expect(!there(&p, gone), "a dead runner's old file is left");
  cr_expect(there(&p, recent), "a file of the last 10 minutes is removed");
  cr_expect(there(&p, live), "a live process's file is removed");
  cr_expect(there(&p, link) && exists(&p, "target"), "the link is removed");
  cr_expect(there(&p, dir), "a directory of that name is removed");
  for (size_t i = 0; i < 6; i++)
    cr_expect(there(&p, like[i]), "%s is removed", like[i]);

  /* where a hit restores an artifact: out/ is swept by the restore */
  leftover(&p, "out", dead, 8, false, gone, sizeof gone);
  snprintf(path, sizeof path, "%s/out/o", p.dir);
  cr_assert_eq(unlink(path), 0);
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: hit, replaying"), "%s", p.err);
  cr_expect(!there(&p, gone), "the restore left %s", gone);
  proj_free(&p);
}
