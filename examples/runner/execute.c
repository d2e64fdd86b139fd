/* execute.c -- runs a plan: for each runnable, upstreams first, the hash of
 * its inputs (exec line, args, environment, the contents of every file its
 * deps name), then the cache (a hit replays the output and restores the
 * artifacts; a miss runs the command and stores the entry).
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "hash.h"

enum { PENDING = 0, OK, FAILED, SKIPPED };

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

/* ---- running a shell line ---- */

static void set_env(const runnable *r, const project *p)
{
  if (r->env && r->env->path) {
    const char *old = getenv("PATH");
    char *path = xasprintf("%s%s%s", r->env->path, old ? ":" : "",
                           old ? old : "");
    setenv("PATH", path, 1);
    free(path);
  }
  for (size_t i = 0; r->env && r->env->vars && r->env->vars[i]; i++) {
    char *kv = xstrdup(r->env->vars[i]);
    char *eq = strchr(kv, '=');
    if (eq) {
      *eq = 0;
      setenv(kv, eq + 1, 1);
    }
    free(kv);
  }
  setenv("RUNNER_ROOT", p->root, 1);
  setenv("RUNNER_RUNNABLE", r->name, 1);
  setenv("RUNNER_CMD", r->cmd ? r->cmd->address : r->name, 1);
  if (r->cmd && r->cmd->plugin_dir)
    setenv("RUNNER_PLUGIN_DIR", r->cmd->plugin_dir, 1);
  for (size_t i = 0; i < r->args.n; i++) {
    const char *eq = strchr(r->args.v[i], '=');
    char *key = xasprintf("RUNNER_ARG_%.*s", (int)(eq - r->args.v[i]),
                          r->args.v[i]);
    for (char *k = key; *k; k++)
      *k = isalnum((unsigned char)*k) ? (char)toupper((unsigned char)*k)
                                      : '_';
    setenv(key, eq + 1, 1);
    free(key);
  }
}

/* Runs r's exec line with /bin/sh in the root, its output (stdout and
 * stderr) both shown and kept in *log.  Returns the exit code (128 + the
 * signal for a signalled command, 127 when it cannot start). */
static int run_shell(const runnable *r, const project *p, char **log,
                     size_t *loglen)
{
  int fds[2];
  *log = NULL;
  *loglen = 0;
  fflush(stdout);
  if (pipe(fds) != 0)
    return 127;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return 127;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    set_env(r, p);
    execl("/bin/sh", "sh", "-c", r->exec, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t cap = 0;
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
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
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
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
    char *data, why[200];
    size_t len;
    if (store->read_entry(store, k, &data, &len) == 0) {
      int rc = entry_parse(data, len, k, e, why, sizeof why);
      free(data);
      if (rc == 0)
        return 1;
      if (strncmp(why, "stale", 5))
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
  for (size_t i = 0; i < files.n; i++) {
    entry_artifact *a = &e.arts[e.narts];
    struct stat st;
    if (stat(files.v[i], &st) != 0 ||
        file_read(files.v[i], &a->data, &a->len) != 0) {
      runner_warn("%s: cannot read artifact %s: %s", r->name, files.v[i],
                  strerror(errno));
      continue;
    }
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
    free(e.arts[i].data);
  free(e.arts);
  strlist_free(&files);
}

static int restore(const runnable *r, const entry *e)
{
  for (size_t i = 0; i < e->narts; i++) {
    const entry_artifact *a = &e->arts[i];
    if (file_write_atomic(a->path, a->data, a->len, a->mode) != 0) {
      runner_warn("%s: cannot restore %s: %s", r->name, a->path,
                  strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* ---- one runnable ---- */

static int run_one(runnable *r, project *p, const run_options *o)
{
  for (size_t i = 0; i < r->nups; i++)
    if (r->strict[i] && r->ups[i]->state != OK) {
      fprintf(stderr, "runner: %s: skipped (%s did not succeed)\n", r->name,
              r->ups[i]->name);
      return SKIPPED;
    }
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
    fprintf(stderr, "runner: %s: hit%s, replaying\n", r->name,
            fetched ? " (fetched from the remote cache)" : "");
    fwrite(e.log, 1, e.loglen, stdout);
    fflush(stdout);
    int rc = restore(r, &e) == 0 && e.code == 0 ? OK : FAILED;
    entry_free(&e);
    return rc;
  }
  bool cached = store_of(c)->read_entry != NULL;
  fprintf(stderr, "runner: %s: %s\n", r->name,
          cached ? (o->force ? "forced, running" : "miss, running")
                 : "running (not cached)");
  char *log;
  size_t loglen;
  int code = run_shell(r, p, &log, &loglen);
  if (code == 0 && cached)
    cache_set(c, &k, r, code, log, loglen);
  free(log);
  if (code != 0) {
    fprintf(stderr, "runner: %s: failed (exit %d)\n", r->name, code);
    return FAILED;
  }
  return OK;
}

int execute(plan *pl, project *p, const run_options *o)
{
  int failed = 0;
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    r->state = run_one(r, p, o);
    failed |= r->state != OK;
  }
  return failed ? 1 : 0;
}
