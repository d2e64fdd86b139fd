/* watch.c -- --watch: run, then wait on the files of what ran and run
 * again what changed.
 *
 * The directories holding the watch patterns of the runnables of the
 * first run (their globs, or a dep type's own watch set; a pattern with a
 * wildcard in a directory or `**` watches the whole tree under its
 * leading plain directories) are watched from before that run, through
 * fswatch.c, so an edit made while a run goes on is queued and seen after
 * it.  After a change, the runner waits until no change came for the
 * debounce time (--debounce, default 100 ms: an editor's or a checkout's
 * burst is one rerun), then selects the runnables whose watch patterns
 * match a changed file and their strict downstreams (select.c), and runs
 * them with the upstreams they need (hits, normally).  A directory made
 * later is watched as it appears and the files already in it count as
 * changed (a new file matching a glob is seen); a missing directory is
 * watched through its nearest existing parent.  When the system lost
 * events (a queue overflow), everything is run again (what did not change
 * hits).  Files matching an artifact pattern of what runs are not looked
 * at: restoring or writing them does not start a run.  The project's
 * runner.toml files are read once: a change to one is said (restart the
 * runner), not run.  With nothing to watch (what ran has no file
 * patterns) the runner says so and ends after the first run.  Ctrl-C
 * stops what runs, as in a plain run, and ends the runner.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"

typedef struct watching {
  fswatch *w;
  strlist patterns;        /* the watch patterns of what is watched */
  strlist artifacts;       /* the artifact patterns of what runs */
  strlist project;         /* runner.toml, and each module's */
  strlist dirs;            /* watched */
  strmap dirset;           /* dirs, as a set */
} watching;

static bool is_dir(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Watches dir (new ones are added to w->dirs; their files into
 * new_files when not NULL); then, with deep, its subdirectories (not
 * .git, .runner, nor through links). */
static void add_dir(watching *w, const char *dir, bool deep,
                    strlist *new_files)
{
  bool known = strmap_get(&w->dirset, dir) != NULL;
  if (!known) {
    if (fswatch_add(w->w, dir) != 0) {
      runner_warn("--watch: cannot watch %s: %s", dir, strerror(errno));
      return;
    }
    strlist_add(&w->dirs, dir);
    strmap_put(&w->dirset, w->dirs.v[w->dirs.n - 1], w);
  }
  if (!deep && (known || !new_files))
    return;
  DIR *d = opendir(dir);
  if (!d)
    return;
  strlist subs = {0};
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, ".git") ||
        !strcmp(n, ".runner"))
      continue;
    char *path = strcmp(dir, ".") ? xconcat(dir, "/", n, NULL) : xstrdup(n);
    if (is_dir(path))
      strlist_take(&subs, path);
    else if (!known && new_files)
      strlist_take(new_files, path);
    else
      free(path);
  }
  closedir(d);
  for (size_t i = 0; deep && i < subs.n; i++)
    add_dir(w, subs.v[i], true, new_files);
  strlist_free(&subs);
}

/* Watches the directories pattern needs (the file comment). */
static void add_pattern(watching *w, const char *pattern, strlist *new_files)
{
  /* the leading directories without a wildcard */
  size_t lit = 0;
  bool deep = false;
  for (size_t i = 0; pattern[i]; i++) {
    if (strchr("*?[\\", pattern[i])) {
      deep = strchr(pattern + i, '/') != NULL || strstr(pattern, "**");
      break;
    }
    if (pattern[i] == '/')
      lit = i;
  }
  char *top = lit ? xasprintf("%.*s", (int)lit, pattern) : xstrdup(".");
  while (!is_dir(top) && strcmp(top, ".")) { /* made later: seen there */
    char *slash = strrchr(top, '/');
    if (slash)
      *slash = 0;
    else
      strcpy(top, ".");
    deep = false;
  }
  add_dir(w, top, deep, new_files);
  free(top);
}

static void add_patterns(watching *w, strlist *new_files)
{
  for (size_t i = 0; i < w->patterns.n; i++)
    add_pattern(w, w->patterns.v[i], new_files);
}

/* Keeps in changed, once each, the files a watch pattern matches and no
 * artifact pattern does, from the one at from on. */
static void keep_watched(const watching *w, strlist *changed, size_t from)
{
  size_t k = from;
  for (size_t i = from; i < changed->n; i++) {
    strlist one = {.v = &changed->v[i], .n = 1};
    bool keep = select_matches(&w->patterns, &one) &&
                !select_matches(&w->artifacts, &one);
    for (size_t j = 0; keep && j < k; j++)
      keep = strcmp(changed->v[j], changed->v[i]) != 0;
    if (keep)
      changed->v[k++] = changed->v[i];
    else
      free(changed->v[i]);
  }
  changed->n = k;
}

/* Waits for changes to watched files: after the first, until none came
 * for debounce_ms.  The files that changed (new ones included) into
 * changed; *all when events were lost.  false when a stop signal came. */
static bool wait_changes(watching *w, int debounce_ms, strlist *changed,
                         bool *all)
{
  struct pollfd fds[2] = {{.fd = fswatch_fd(w->w), .events = POLLIN},
                          {.fd = stop_fd(), .events = POLLIN}};
  int timeout = -1;
  for (;;) {
    int n = poll(fds, 2, timeout);
    if (stop_signal())
      return false;
    if (n < 0 && errno != EINTR)
      return false;
    if (n == 0 && timeout >= 0)
      return true; /* quiet for debounce_ms */
    if (n <= 0)
      continue;
    strlist new_dirs = {0};
    size_t from = changed->n;
    if (fswatch_read(w->w, changed, &new_dirs, all) != 0) {
      runner_warn("--watch: reading the changes failed: %s",
                  strerror(errno));
      strlist_free(&new_dirs);
      return false;
    }
    /* new directories: watch them if a pattern needs them, and count
     * the files already in them */
    bool fresh = false;
    for (size_t i = 0; i < new_dirs.n && !fresh; i++)
      fresh = !strmap_get(&w->dirset, new_dirs.v[i]);
    if (fresh)
      add_patterns(w, changed);
    strlist_free(&new_dirs);
    keep_watched(w, changed, from);
    if (changed->n || *all)
      timeout = debounce_ms;
  }
}

int watch_run(plan *pl, project *p, const run_options *o)
{
  watching w = {.w = fswatch_new()};
  if (!w.w) {
    fprintf(stderr, "runner: --watch: %s\n",
            errno == ENOSYS ? "this system has no file change notification "
                              "the runner knows (inotify, Linux)"
                            : strerror(errno));
    return 2;
  }
  /* what is watched: the runnables of the first run */
  bool *base = xcalloc(pl->ngraph, sizeof *base);
  for (size_t i = 0; i < pl->ngraph; i++) {
    runnable *r = pl->graph[i];
    base[i] = r->in_run;
    for (size_t k = 0; base[i] && k < r->watch.n; k++)
      if (strncmp(r->watch.v[k], ".runner/", 8) &&
          !strlist_has(&w.patterns, r->watch.v[k]))
        strlist_add(&w.patterns, r->watch.v[k]);
    for (size_t k = 0; base[i] && k < r->artifacts.n; k++)
      strlist_add(&w.artifacts, r->artifacts.v[k]);
  }
  bool nothing = w.patterns.n == 0;
  strlist_add(&w.project, "runner.toml");
  for (size_t i = 0; i < p->nmodules; i++)
    strlist_take(&w.project, xconcat(p->modules[i]->dir, "/runner.toml", NULL));
  for (size_t i = 0; i < w.project.n; i++)
    if (!strlist_has(&w.patterns, w.project.v[i]))
      strlist_add(&w.patterns, w.project.v[i]);
  add_patterns(&w, NULL);
  stop_signals_install();
  int rc = schedule(pl, p, o);
  bool ran = true;
  for (;;) {
    if (stop_signal())
      break;
    if (nothing) { /* else it would wait for ever on runner.toml alone */
      fprintf(stderr, "runner: --watch: nothing to watch: what ran has no "
                      "file deps (globs in deps, or a dep type that watches "
                      "files)\n");
      break;
    }
    if (ran)
      fprintf(stderr, "runner: watching %zu director%s for changes "
              "(Ctrl-C ends)\n", w.dirs.n, w.dirs.n == 1 ? "y" : "ies");
    strlist changed = {0};
    bool all = false;
    if (!wait_changes(&w, o->debounce_ms, &changed, &all)) {
      strlist_free(&changed);
      break;
    }
    for (size_t i = 0; i < changed.n; i++)
      if (strlist_has(&w.project, changed.v[i]))
        fprintf(stderr,
                "runner: watch: %s changed: the runner read it "
                "when it started and runs that; restart it to use the "
                "change\n",
                changed.v[i]);
    select_changed(pl, &changed, true);
    size_t n = 0;
    for (size_t i = 0; i < pl->ngraph; i++) {
      runnable *r = pl->graph[i];
      r->selected = base[i] && (all || r->selected);
      n += r->selected;
    }
    ran = n > 0;
    if (n) {
      if (all)
        fprintf(stderr, "runner: watch: changes were lost (too many at "
                "once): running everything again\n");
      else
        fprintf(stderr, "runner: watch: %s changed%s: %zu runnable%s "
                "selected\n", changed.v[0], changed.n > 1 ? " (and more)"
                                                         : "",
                n, n == 1 ? "" : "s");
      select_order(pl, o->isolated);
      rc = schedule(pl, p, o);
    }
    strlist_free(&changed);
  }
  free(base);
  strlist_free(&w.patterns);
  strlist_free(&w.artifacts);
  strlist_free(&w.project);
  strlist_free(&w.dirs);
  strmap_free(&w.dirset);
  fswatch_free(w.w);
  return rc;
}
