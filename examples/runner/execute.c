/* execute.c -- runs a plan: for each runnable, upstreams first, under its
 * lock (.runner/locks/SLUG.lock, held from hashing to storing and by the
 * command's processes), the hash of its inputs (exec line, args,
 * environment, the contents of every file its deps name), then the cache
 * (a hit restores the artifacts and replays the output; a miss runs the
 * command and stores the entry when the inputs did not change meanwhile).
 * SIGINT, SIGTERM or SIGHUP stops the command's group, stores nothing and
 * ends the run.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "runner.h"

extern char **environ;

enum { PENDING = 0, OK, FAILED, SKIPPED, STOPPED };

/* ---- the hash of a runnable's inputs ---- */

static void hash_str(hasher *s, const char *tag, const char *v)
{
  hasher_update(s, tag, strlen(tag) + 1);
  hasher_update(s, v, strlen(v) + 1);
}

static void hash_inputs(const runnable *r, char hex[65])
{
  hasher s;
  hasher_init(&s);
  hash_str(&s, "runner-hash", "1");
  hash_str(&s, "name", r->name);
  hash_str(&s, "exec", r->exec);
  for (size_t i = 0; i < r->args.n; i++)
    hash_str(&s, "arg", r->args.v[i]);
  for (size_t i = 0; i < r->constants.n; i++)
    hash_str(&s, "const", r->constants.v[i]);
  for (size_t i = 0; i < r->artifacts.n; i++)
    hash_str(&s, "artifact", r->artifacts.v[i]);
  strlist files = {0};
  for (size_t i = 0; i < r->globs.n; i++) {
    size_t before = files.n;
    glob_files(r->globs.v[i], &files);
    if (files.n == before)
      hash_str(&s, "no-match", r->globs.v[i]);
  }
  strlist_sort(&files);
  for (size_t i = 0; i < files.n; i++) {
    char *data, fh[65];
    size_t len;
    if (file_read(files.v[i], &data, &len) == 0) {
      hash_hex_of(data, len, fh);
      free(data);
    } else {
      snprintf(fh, sizeof fh, "unreadable:%d", errno);
    }
    hash_str(&s, files.v[i], fh);
  }
  strlist_free(&files);
  hasher_hex(&s, hex);
}

/* ---- the lock of a runnable ---- */

/* Locks r (flock on .runner/locks/SLUG.lock), waiting with a note when
 * another runner, or a command one started, holds it: the open lock, or
 * -1 after a warning (no lock can be taken: the run goes on unlocked) or
 * when a stop signal came while waiting (*stopped). */
static int lock_runnable(const runnable *r, const project *p, bool *stopped)
{
  *stopped = false;
  char *dir = xasprintf("%s/locks", p->state_dir);
  char *path = xasprintf("%s/%s.lock", dir, r->slug);
  int fd = mkdir_p(dir) == 0
               ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666)
               : -1;
  if (fd < 0)
    runner_warn("%s: cannot open its lock %s: %s; running unlocked", r->name,
                path, strerror(errno));
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    fprintf(stderr, "runner: %s: waiting for its lock (another runner, or "
            "a command one started, holds %s)\n", r->name, path);
    while (flock(fd, LOCK_EX) != 0)
      if (errno != EINTR || stop_signal()) {
        if (!stop_signal())
          runner_warn("%s: cannot lock %s: %s", r->name, path,
                      strerror(errno));
        *stopped = stop_signal() != 0;
        close(fd);
        fd = -1;
        break;
      }
  }
  free(dir);
  free(path);
  return fd;
}

/* ---- running a shell line ---- */

/* Sets NAME=value in env (a copy of the environment, "NAME=VALUE" items). */
static void env_set(strlist *env, const char *name, const char *value)
{
  size_t n = strlen(name);
  char *item = xasprintf("%s=%s", name, value);
  for (size_t i = 0; i < env->n; i++)
    if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=') {
      free(env->v[i]);
      env->v[i] = item;
      return;
    }
  strlist_take(env, item);
}

/* The environment of r's command, built before any fork: the runner's,
 * the env's PATH and variables, RUNNER_* and RUNNER_ARG_*; NULL-ended. */
static void command_env(const runnable *r, const project *p, strlist *env)
{
  for (char **e = environ; *e; e++)
    strlist_add(env, *e);
  if (r->env && r->env->path) {
    const char *old = getenv("PATH");
    char *path = xasprintf("%s%s%s", r->env->path, old ? ":" : "",
                           old ? old : "");
    env_set(env, "PATH", path);
    free(path);
  }
  for (size_t i = 0; r->env && r->env->vars && r->env->vars[i]; i++) {
    const char *eq = strchr(r->env->vars[i], '=');
    if (eq) {
      char *name = xasprintf("%.*s", (int)(eq - r->env->vars[i]),
                             r->env->vars[i]);
      env_set(env, name, eq + 1);
      free(name);
    }
  }
  env_set(env, "RUNNER_ROOT", p->root);
  env_set(env, "RUNNER_RUNNABLE", r->name);
  env_set(env, "RUNNER_CMD", r->cmd ? r->cmd->address : r->name);
  if (r->cmd && r->cmd->plugin_dir)
    env_set(env, "RUNNER_PLUGIN_DIR", r->cmd->plugin_dir);
  for (size_t i = 0; i < r->args.n; i++) {
    const char *eq = strchr(r->args.v[i], '=');
    char *key = xasprintf("RUNNER_ARG_%.*s", (int)(eq - r->args.v[i]),
                          r->args.v[i]);
    for (char *k = key; *k; k++)
      *k = isalnum((unsigned char)*k) ? (char)toupper((unsigned char)*k)
                                      : '_';
    env_set(env, key, eq + 1);
    free(key);
  }
  strlist_take(env, NULL);
}

/* Runs r's exec line with /bin/sh in the root (supervise.c: its own
 * process group, lock_fd held by it and what it starts), its output
 * (stdout and stderr) both shown and kept in *log.  Returns the exit code
 * (128 + the signal for a signalled command, 127 when it cannot start),
 * or -1 when a stop signal ended it. */
static int run_shell(const runnable *r, const project *p, int lock_fd,
                     char **log, size_t *loglen)
{
  *log = NULL;
  *loglen = 0;
  fflush(stdout);
  strlist env = {0};
  command_env(r, p, &env);
  child ch;
  int rc = child_start(&ch, r->exec, env.v, lock_fd);
  strlist_free(&env);
  if (rc != 0)
    return 127;
  size_t cap = 0;
  char chunk[8192];
  struct pollfd fds[2] = {{.fd = ch.out, .events = POLLIN},
                          {.fd = stop_fd(), .events = POLLIN}};
  while (!stop_signal()) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (!fds[0].revents)
      continue;
    ssize_t n = read(ch.out, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    fwrite(chunk, 1, (size_t)n, stdout);
    if (*loglen + (size_t)n > cap) {
      cap = (*loglen + (size_t)n) * 2;
      *log = xrealloc(*log, cap);
    }
    memcpy(*log + *loglen, chunk, (size_t)n);
    *loglen += (size_t)n;
  }
  fflush(stdout);
  int code = child_wait(&ch);
  return stop_signal() ? -1 : code;
}

/* ---- cache ---- */

static runner_cache *store_of(runner_cache *c)
{
  while (c->base)
    c = c->base;
  return c;
}

/* 1 on a hit (e filled), 0 on a miss.  *fetched: the hit came through
 * on_miss (a remote). */
static int cache_get(runner_cache *c, const runner_key *k, entry *e,
                     bool *fetched)
{
  runner_cache *store = store_of(c);
  *fetched = false;
  if (!store->read_entry)
    return 0;
  if (c->pre_get)
    c->pre_get(c, k);
  for (int attempt = 0; attempt < 2; attempt++) {
    char *data, why[300];
    size_t len;
    if (store->read_entry(store, k, &data, &len) == 0) {
      int rc = entry_parse(data, len, k, e, why, sizeof why);
      if (rc == ENTRY_OK) {
        e->blob = data;
        return 1;
      }
      free(data);
      if (rc == ENTRY_BAD)
        runner_warn("cache entry of %s is unusable (%s): treated as a miss",
                    k->runnable, why);
    }
    if (attempt == 1 || !c->on_miss || c->on_miss(c, k) != 1)
      break;
    *fetched = true;
  }
  return 0;
}

static void cache_set(runner_cache *c, const runner_key *k, const runnable *r,
                      int code, char *log, size_t loglen)
{
  runner_cache *store = store_of(c);
  if (!store->write_entry)
    return;
  char empty[1] = "";
  entry e = {.name = r->name, .hash = (char *)k->hash, .code = code,
             .log = log ? log : empty, .loglen = loglen};
  strlist files = {0};
  for (size_t i = 0; i < r->artifacts.n; i++) {
    const char *pat = r->artifacts.v[i];
    size_t before = files.n;
    glob_files(pat, &files);
    if (files.n == before)
      runner_warn("%s: artifact %s was not written", r->name, pat);
  }
  e.arts = xcalloc(files.n, sizeof *e.arts);
  char **data = xcalloc(files.n, sizeof *data);
  for (size_t i = 0; i < files.n; i++) {
    entry_artifact *a = &e.arts[e.narts];
    struct stat st;
    if (artifact_forbidden(files.v[i])) {
      runner_warn("%s: artifact %s is under .git or the runner's own state: "
                  "not stored", r->name, files.v[i]);
      continue;
    }
    if (stat(files.v[i], &st) != 0 ||
        file_read(files.v[i], &data[e.narts], &a->len) != 0) {
      runner_warn("%s: cannot read artifact %s: %s", r->name, files.v[i],
                  strerror(errno));
      continue;
    }
    a->data = data[e.narts];
    a->path = files.v[i];
    a->mode = (int)(st.st_mode & 0777);
    e.narts++;
  }
  char *blob;
  size_t len;
  entry_pack(&e, &blob, &len);
  if (store->write_entry(store, k, blob, len) == 0 && c->post_set)
    c->post_set(c, k);
  free(blob);
  for (size_t i = 0; i < e.narts; i++)
    free(data[i]);
  free(data);
  free(e.arts);
  strlist_free(&files);
}

/* Whether every artifact of e is a file r declares (one of its artifacts
 * patterns matches it the way glob_files does) that no artifact may be
 * (artifact_forbidden); else why not. */
static bool restorable(const runnable *r, const entry *e, char *why,
                       size_t n)
{
  for (size_t i = 0; i < e->narts; i++) {
    const char *path = e->arts[i].path;
    bool declared = false;
    for (size_t j = 0; j < r->artifacts.n && !declared; j++)
      declared = glob_match(r->artifacts.v[j], path);
    if (!declared || artifact_forbidden(path)) {
      snprintf(why, n, "it restores %s, %s", path,
               declared ? "under .git or the runner's own state"
                        : "not one of its declared artifacts");
      return false;
    }
  }
  return true;
}

/* Writes e's artifacts, following no symbolic link; 0, or -1 after a
 * warning. */
static int restore(const runnable *r, const entry *e)
{
  for (size_t i = 0; i < e->narts; i++) {
    const entry_artifact *a = &e->arts[i];
    char why[300];
    if (file_write_beneath(AT_FDCWD, a->path, a->data, a->len, a->mode, why,
                           sizeof why) != 0) {
      runner_warn("%s: cannot restore %s: %s; running the command instead",
                  r->name, a->path, why);
      return -1;
    }
  }
  return 0;
}

/* ---- one runnable ---- */

/* A hit: the artifacts restored, the output replayed; OK or FAILED (the
 * entry's exit code), or PENDING when the entry cannot be used. */
static int replay(runnable *r, entry *e, bool fetched)
{
  char why[400];
  int rc = PENDING;
  if (!restorable(r, e, why, sizeof why)) {
    runner_warn("cache entry of %s is unusable (%s): treated as a miss",
                r->name, why);
  } else if (restore(r, e) == 0) {
    fprintf(stderr, "runner: %s: hit%s, replaying\n", r->name,
            fetched ? " (fetched from the remote cache)" : "");
    fwrite(e->log, 1, e->loglen, stdout);
    fflush(stdout);
    rc = e->code == 0 ? OK : FAILED;
  }
  entry_free(e);
  return rc;
}

/* Hashes, gets, runs and stores r; its lock is held throughout. */
static int run_locked(runnable *r, project *p, const run_options *o,
                      int lock_fd)
{
  char hex[65];
  hash_inputs(r, hex);
  runner_key k = {.runnable = r->name, .slug = r->slug, .hash = hex};
  pk_error err;
  runner_cache *c = r->cmd ? project_cache(p, r->cmd, &err) : p->none;
  if (!c) {
    runner_error(r->name, &err);
    return FAILED;
  }
  entry e;
  bool fetched;
  if (!o->force && cache_get(c, &k, &e, &fetched)) {
    int rc = replay(r, &e, fetched);
    if (rc != PENDING)
      return rc;
  }
  bool cached = store_of(c)->read_entry != NULL;
  fprintf(stderr, "runner: %s: %s\n", r->name,
          cached ? (o->force ? "forced, running" : "miss, running")
                 : "running (not cached)");
  char *log;
  size_t loglen;
  int code = run_shell(r, p, lock_fd, &log, &loglen);
  if (code == 0 && cached && !stop_signal()) {
    /* what it read may have changed while it ran: then its result is
     * nobody's */
    char after[65];
    hash_inputs(r, after);
    if (strcmp(after, hex) != 0)
      runner_warn("%s: its inputs changed while it ran: the result is not "
                  "stored", r->name);
    else
      cache_set(c, &k, r, code, log, loglen);
  }
  free(log);
  if (code < 0 || stop_signal()) {
    fprintf(stderr, "runner: %s: stopped by signal %d, nothing stored\n",
            r->name, stop_signal());
    return STOPPED;
  }
  if (code != 0) {
    fprintf(stderr, "runner: %s: failed (exit %d)\n", r->name, code);
    return FAILED;
  }
  return OK;
}

static int run_one(runnable *r, project *p, const run_options *o)
{
  for (size_t i = 0; i < r->nups; i++)
    if (r->strict[i] && r->ups[i]->state != OK) {
      fprintf(stderr, "runner: %s: skipped (%s did not succeed)\n", r->name,
              r->ups[i]->name);
      return SKIPPED;
    }
  bool stopped;
  int lock_fd = lock_runnable(r, p, &stopped);
  if (stopped)
    return STOPPED;
  int rc = run_locked(r, p, o, lock_fd);
  if (lock_fd >= 0)
    close(lock_fd);
  return rc;
}

int execute(plan *pl, project *p, const run_options *o)
{
  int failed = 0;
  stop_signals_install();
  for (size_t i = 0; i < pl->n && !stop_signal(); i++) {
    runnable *r = pl->order[i];
    r->state = run_one(r, p, o);
    failed |= r->state != OK;
  }
  return failed ? 1 : 0;
}
