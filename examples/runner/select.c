/* select.c -- which runnables of a plan run.
 *
 * Planning (plan.c) builds the graph of what was asked and every upstream
 * it needs, and marks the asked runnables selected.  --since REF selects
 * instead the runnables whose inputs changed since a git ref: a runnable's
 * since patterns (its glob deps; a dep type's own since set, e.g. the
 * source a scan's output is made from; its env's lock files and dotenv
 * files) matching a file `git diff --name-only REF` lists or an untracked
 * file; --watch does the same with the watch patterns and the files it saw
 * change.  A selected runnable selects its strict downstreams (qik-spec
 * 5.3: a strict edge is also a downstream edge).  What runs is then the
 * selected runnables and their upstreams, except that an upstream on an
 * isolated edge (`isolated = true` on the dep, or --isolated for every
 * command dep) runs only when it was selected anyway.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

extern char **environ;

/* Marks r and its upstreams as running (r->in_run); an isolated edge is
 * followed only to a selected upstream. */
static void keep(runnable *r, bool isolated_all)
{
  if (r->in_run)
    return;
  r->in_run = true;
  for (size_t i = 0; i < r->nups; i++)
    if (!(r->isolated[i] || (isolated_all && r->ups[i]->cmd)) ||
        r->ups[i]->selected)
      keep(r->ups[i], isolated_all);
}

size_t select_order(plan *pl, bool isolated_all)
{
  for (size_t i = 0; i < pl->ngraph; i++)
    pl->graph[i]->in_run = false;
  for (size_t i = 0; i < pl->ngraph; i++)
    if (pl->graph[i]->selected)
      keep(pl->graph[i], isolated_all);
  pl->n = 0;
  for (size_t i = 0; i < pl->ngraph; i++)
    if (pl->graph[i]->in_run) {
      if (pl->n == pl->cap) {
        pl->cap = pl->cap ? 2 * pl->cap : 16;
        pl->order = xrealloc(pl->order, pl->cap * sizeof *pl->order);
      }
      pl->order[pl->n++] = pl->graph[i];
    }
  return pl->n;
}

bool select_matches(const strlist *patterns, const strlist *files)
{
  for (size_t i = 0; i < patterns->n; i++) {
    const char *pat = patterns->v[i];
    bool plain = !strpbrk(pat, "*?[\\");
    for (size_t k = 0; k < files->n; k++)
      if (plain ? !strcmp(pat, files->v[k]) : glob_match(pat, files->v[k]))
        return true;
  }
  return false;
}

size_t select_changed(plan *pl, const strlist *files, bool watch)
{
  size_t n = 0;
  /* the graph is in upstreams-first order: one pass carries a selection
   * down every strict edge */
  for (size_t i = 0; i < pl->ngraph; i++) {
    runnable *r = pl->graph[i];
    bool sel = select_matches(watch ? &r->watch : &r->since, files);
    for (size_t k = 0; !sel && k < r->nups; k++)
      sel = r->strict[k] && r->ups[k]->selected;
    r->selected = sel;
    n += sel;
  }
  return n;
}

/* Runs argv (git) in the current directory, its stdout appended to out:
 * its exit code, or -1 when it could not start; its stderr's first line
 * into why. */
static int capture(const char *const argv[], buf *out, char *why, size_t n)
{
  int po[2], pe[2];
  why[0] = 0;
  if (pipe(po) != 0)
    return -1;
  if (pipe(pe) != 0) {
    close(po[0]);
    close(po[1]);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  pid_t pid;
  int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
                       environ);
  posix_spawn_file_actions_destroy(&fa);
  close(po[1]);
  close(pe[1]);
  buf err = {0};
  struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN},
                          {.fd = pe[0], .events = POLLIN}};
  while (e == 0 && (fds[0].fd >= 0 || fds[1].fd >= 0)) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents)
        continue;
      char chunk[8192];
      ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        fds[i].fd = -1;
      else
        buf_add(i ? &err : out, chunk, (size_t)got);
    }
  }
  close(po[0]);
  close(pe[0]);
  int st = 0;
  if (e == 0)
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
      ;
  if (err.n)
    snprintf(why, n, "%.*s", (int)strcspn(err.p, "\n"), err.p);
  buf_free(&err);
  if (e != 0) {
    errno = e;
    return -1;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int select_git_changes(const char *ref, strlist *files)
{
  /* paths relative to the current directory (the root), only under it;
   * -z: names as they are, whatever bytes they hold */
  const char *diff[] = {"git", "diff", "--name-only", "--relative", "-z",
                        ref, "--", NULL};
  const char *untracked[] = {"git", "ls-files", "--others",
                             "--exclude-standard", "-z", NULL};
  const char *const *argvs[] = {diff, untracked};
  for (size_t a = 0; a < 2; a++) {
    buf out = {0};
    char why[300];
    int rc = capture(argvs[a], &out, why, sizeof why);
    if (rc != 0) {
      fprintf(stderr, "runner: --since %s: %s %s %s: %s\n", ref, "git",
              argvs[a][1], rc < 0 ? "cannot start" : "failed",
              rc < 0   ? strerror(errno)
              : why[0] ? why
                       : "(no message)");
      if (rc > 0 && a == 0)
        fprintf(stderr, "runner: --since needs the project in a git "
                "repository and REF a commit git knows (a branch, a tag, "
                "HEAD~1, ...)\n");
      buf_free(&out);
      return -1;
    }
    for (size_t off = 0; off < out.n;) {
      const char *name = out.p + off;
      size_t len = strnlen(name, out.n - off);
      if (len)
        strlist_take(files, xasprintf("%.*s", (int)len, name));
      off += len + 1;
    }
    buf_free(&out);
  }
  strlist_sort(files);
  return 0;
}
