/* execute.c -- runs one runnable, on any worker thread: under its lock
 * (a byte of .runner/locks/runnables.lock, held from hashing to storing
 * and by the command's processes), the hash of its inputs (exec line, args,
 * environment, the contents of every file its deps name), then the cache
 * (a hit restores the artifacts and replays the output; a miss runs the
 * command and stores the entry when the inputs did not change meanwhile).
 * What it shows goes into its transcript.  A stop signal stops the
 * command's group and stores nothing.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "runner.h"

extern char **environ;

enum { LOCK_POLL_MS = 20 };

/* ---- the lock of a runnable ---- */

/* r's byte in the lock file: a 62-bit FNV-1a of its slug (two runnables
 * sharing one would only wait for each other). */
static off_t lock_offset(const runnable *r)
{
  uint64_t h = 0xcbf29ce484222325u;
  for (const char *c = r->slug; *c; c++)
    h = (h ^ (unsigned char)*c) * 0x100000001b3u;
  return (off_t)(h >> 2);
}

/* Takes (F_OFD_SETLK: non-blocking) or tests r's lock on fd. */
static int lock_byte(int fd, const runnable *r)
{
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                    .l_start = lock_offset(r), .l_len = 1};
  return fcntl(fd, F_OFD_SETLK, &l);
}

/* Locks r: a write lock on its byte of LOCK_DIR/runnables.lock, on a
 * description of the file of its own (an open file description lock,
 * F_OFD_SETLK), so the lock lasts while any process holds that description
 * -- the runner until r ends, the command's processes, which inherit it,
 * until they end -- and one lock file serves every runnable.  Waits, with
 * a note, when another runner, or a command one started, holds it: the
 * open descriptor, or -1 after a warning (no lock can be taken: the run
 * goes on unlocked) or when a stop signal came while waiting (*stopped).
 * The wait polls, so a stop signal (delivered to the main thread) ends
 * it. */
static int lock_runnable(runnable *r, const run_env *x, bool *stopped)
{
  *stopped = false;
  char *path = xconcat(x->lock_dir, "/runnables.lock", NULL);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0)
    runner_warn("%s: cannot open its lock %s: %s; running unlocked", r->name,
                path, strerror(errno));
  if (fd >= 0 && lock_byte(fd, r) != 0) {
    char *note = xasprintf("runner: %s: waiting for its lock (another "
                           "runner, or a command one started, holds it in "
                           "%s)\n", r->name, path);
    report_live(note, strlen(note));
    free(note);
    struct pollfd stop = {.fd = stop_fd(), .events = POLLIN};
    while (lock_byte(fd, r) != 0) {
      if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
        runner_warn("%s: cannot lock %s: %s", r->name, path,
                    strerror(errno));
      } else if (!stop_signal()) {
        poll(&stop, 1, LOCK_POLL_MS);
        continue;
      }
      *stopped = stop_signal() != 0;
      close(fd);
      fd = -1;
      break;
    }
  }
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
 * the env's PATH and variables, its space's dotenv variables, RUNNER_*
 * and RUNNER_ARG_*; NULL-ended. */
static void command_env(const runnable *r, const project *p, int worker,
                        strlist *env)
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
  for (size_t i = 0; r->dotenv && i < r->dotenv->n; i++) {
    const char *item = r->dotenv->v[i], *eq = strchr(item, '=');
    char *name = xasprintf("%.*s", (int)(eq - item), item);
    env_set(env, name, eq + 1);
    free(name);
  }
  char id[16];
  snprintf(id, sizeof id, "%d", worker);
  env_set(env, "RUNNER_ROOT", p->root);
  env_set(env, "RUNNER_WORKER", id);
  if (r->space)
    env_set(env, "RUNNER_SPACE", r->space->name);
  if (r->module)
    env_set(env, "RUNNER_MODULE", r->module->name);
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
 * (stdout and stderr) kept in *out.  Returns the exit code (128 + the
 * signal for a signalled command, 127 when it cannot start), or -1 when a
 * stop signal ended it. */
static int run_shell(const runnable *r, const run_env *x, int lock_fd,
                     buf *out)
{
  strlist env = {0};
  command_env(r, x->p, x->worker, &env);
  child ch;
  int rc = child_start(&ch, r->exec, env.v, lock_fd);
  strlist_free(&env);
  if (rc != 0)
    return 127;
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
    buf_add(out, chunk, (size_t)n);
  }
  int code = child_wait(&ch);
  return stop_signal() ? -1 : code;
}

/* ---- running a function of a plugin (a factory's in-process runnable) ---- */

static void call_write(const runner_call *call, const char *data, size_t n)
{
  buf_add(call->runner, data, n);
}

static int call_stopped(const runner_call *call)
{
  (void)call;
  return stop_signal() != 0;
}

/* Calls r's run function on this worker, its output kept in *out: its
 * exit code (0 to 255), or -1 when a stop signal came meanwhile. */
static int run_inproc(const runnable *r, const run_env *x, buf *out)
{
  strlist args = {0};
  for (size_t i = 0; i < r->args.n; i++)
    strlist_add(&args, r->args.v[i]);
  strlist_take(&args, NULL);
  runner_call call = {.size = sizeof call, .runnable = r->name,
                      .root = x->p->root,
                      .module = r->module ? r->module->dir : NULL,
                      .args = (const char *const *)args.v,
                      .worker = x->worker, .write = call_write,
                      .stopped = call_stopped, .runner = out};
  int code = r->def->run(r->def->self, &call);
  strlist_free(&args);
  if (code < 0 || code > 255) {
    runner_warn("%s: its run function returned %d, not an exit code (0 to "
                "255): taken as 1", r->name, code);
    code = 1;
  }
  return stop_signal() ? -1 : code;
}

/* ---- cache ---- */

/* The XXH3-128 of the file at path, malloc()ed hex; NULL (errno). */
static char *tree_hex(const char *path)
{
  char hex[CONTENT_HEX];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  int rc = content_hex_of_fd(fd, -1, hex);
  int e = errno;
  close(fd);
  errno = e;
  return rc == 0 ? xstrdup(hex) : NULL;
}

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
  uint64_t t0 = trace_now();
  if (c->pre_get)
    c->pre_get(c, k);
  int hit = 0;
  for (int attempt = 0; attempt < 2 && !hit; attempt++) {
    char *data, why[300];
    size_t len;
    if (store->read_entry(store, k, &data, &len) == 0) {
      int rc = entry_parse(data, len, k, e, why, sizeof why);
      if (rc == ENTRY_OK) {
        e->blob = data;
        hit = 1;
        break;
      }
      free(data);
      if (rc == ENTRY_BAD)
        runner_warn("cache entry of %s is unusable (%s): treated as a miss",
                    k->runnable, why);
    }
    if (attempt == 1 || !c->on_miss)
      break;
    uint64_t t1 = trace_now();
    int got = c->on_miss(c, k);
    trace_span("remote fetch", "cache", t1, got == 1 ? "found" : "none");
    if (got != 1)
      break;
    *fetched = true;
  }
  trace_span("cache get", "cache", t0, hit ? "hit" : "miss");
  return hit;
}

static void cache_set(runner_cache *c, const runner_key *k, const runnable *r,
                      int code, const char *log, size_t loglen)
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
        (store->artifacts_in_tree
             ? !(a->hex = tree_hex(files.v[i]))
             : file_read(files.v[i], &data[e.narts], &a->len) != 0)) {
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
  for (size_t i = 0; i < e.narts; i++)
    free(e.arts[i].hex);
  if (store->write_entry(store, k, blob, len) == 0 && c->post_set) {
    uint64_t t0 = trace_now();
    c->post_set(c, k);
    trace_span("remote store", "cache", t0, NULL);
  }
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
    /* one kept in the tree must be there as it was made */
    char *hex = e->arts[i].hex ? tree_hex(path) : NULL;
    bool same = hex && !strcmp(hex, e->arts[i].hex);
    free(hex);
    if (e->arts[i].hex && !same) {
      snprintf(why, n, "its artifact %s is %s the checkout as it was made: "
               "commit it with the entry", path,
               access(path, F_OK) == 0 ? "not in" : "missing from");
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
    if (a->hex) /* in the tree already (restorable checked it) */
      continue;
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

/* Whether a result with exit code code is one cache-when keeps. */
static bool keeps(int cache_when, int code)
{
  return cache_when == CACHE_WHEN_FINISHED ||
         (cache_when == CACHE_WHEN_FAILED) == (code != 0);
}

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
    say(r, "hit%s, replaying",
        fetched ? " (fetched from the remote cache)" : "");
    transcript_add(&r->log, false, e->log, e->loglen);
    rc = e->code == 0 ? OK : FAILED;
  }
  entry_free(e);
  return rc;
}

/* Hashes, gets, runs and stores r; its lock is held throughout.  *result
 * says how it went, for the trace. */
static int run_locked(runnable *r, const run_env *x, int lock_fd,
                      const char **result)
{
  project *p = x->p;
  char hex[65];
  uint64_t t0 = trace_now();
  hash_inputs(r, hex);
  trace_span("hash inputs", "hash", t0, NULL);
  runner_key k = {.runnable = r->name, .slug = r->slug, .hash = hex};
  pk_error err;
  runner_cache *c = project_cache(p, r->cache, &err);
  if (!c) {
    runner_error(r->name, &err);
    r->misconfigured = true;
    *result = "failed";
    return FAILED;
  }
  entry e = {0};
  bool fetched = false;
  int hit = !x->o->force && cache_get(c, &k, &e, &fetched);
  if (hit && !keeps(r->cache_when, e.code)) {
    entry_free(&e); /* a result cache-when does not keep: a miss */
    hit = 0;
  }
  if (hit) {
    int rc = replay(r, &e, fetched);
    *result = fetched ? "remote hit" : "hit";
    if (rc != PENDING)
      return rc;
  }
  bool cached = store_of(c)->read_entry != NULL;
  say(r, "%s", cached ? (x->o->force ? "forced, running" : "miss, running")
                      : "running (not cached)");
  *result = cached ? "miss" : "uncached";
  buf out = {0};
  t0 = trace_now();
  int code = r->def && r->def->run ? run_inproc(r, x, &out)
                                   : run_shell(r, x, lock_fd, &out);
  trace_span("command", "run", t0, NULL);
  /* the output in the transcript, in one piece */
  transcript_add(&r->log, false, out.p ? out.p : "", out.n);
  if (code >= 0 && keeps(r->cache_when, code) && cached && !stop_signal()) {
    /* what it read may have changed while it ran: then its result is
     * nobody's */
    char after[65];
    t0 = trace_now();
    hash_inputs(r, after);
    trace_span("hash inputs again", "hash", t0, NULL);
    if (strcmp(after, hex) != 0) {
      runner_warn("%s: its inputs changed while it ran: the result is not "
                  "stored", r->name);
    } else {
      t0 = trace_now();
      cache_set(c, &k, r, code, out.p, out.n);
      trace_span("cache set", "cache", t0, NULL);
    }
  }
  buf_free(&out);
  if (code < 0 || stop_signal()) {
    say(r, "stopped by signal %d, nothing stored", stop_signal());
    *result = "stopped";
    return STOPPED;
  }
  if (code != 0) {
    say(r, "failed (exit %d)", code);
    *result = "failed";
    return FAILED;
  }
  return OK;
}

int execute_one(runnable *r, const run_env *x)
{
  if (r->error) {
    say(r, "%s", r->error);
    return FAILED;
  }
  uint64_t t0 = trace_now();
  bool stopped;
  int lock_fd = lock_runnable(r, x, &stopped);
  trace_span("lock", "lock", t0, NULL);
  const char *result = "stopped";
  int state = STOPPED;
  if (!stopped)
    state = run_locked(r, x, lock_fd, &result);
  if (lock_fd >= 0)
    close(lock_fd);
  trace_span(r->name, "runnable", t0, result);
  return state;
}

/* ---- --cache-status ---- */

/* What a run would do with r, without running it nor restoring anything:
 * "hit", "remote hit" (fetched into the local cache), "miss", "uncached"
 * or "error" (a field that does not format). */
static const char *status_of(runnable *r, project *p, char hex[65])
{
  hex[0] = 0;
  if (r->error)
    return "error";
  pk_error err;
  runner_cache *c = project_cache(p, r->cache, &err);
  if (!c) {
    runner_error(r->name, &err);
    return "error";
  }
  if (!store_of(c)->read_entry)
    return "uncached";
  hash_inputs(r, hex);
  runner_key k = {.runnable = r->name, .slug = r->slug, .hash = hex};
  entry e = {0};
  bool fetched = false;
  char why[400];
  if (!cache_get(c, &k, &e, &fetched))
    return "miss";
  bool usable = keeps(r->cache_when, e.code) &&
                restorable(r, &e, why, sizeof why);
  entry_free(&e);
  return !usable ? "miss" : fetched ? "remote hit" : "hit";
}

int execute_status(plan *pl, project *p, bool json)
{
  inputs_open(p->state_dir);
  buf t = {0};
  if (json)
    buf_add(&t, "[", 1);
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    char hex[65];
    const char *st = status_of(r, p, hex);
    if (!json) {
      buf_printf(&t, "%-11s%s\n", st, r->name);
      continue;
    }
    buf_add(&t, i ? ",\n {" : "\n {", i ? 4 : 3);
    buf_add(&t, "\"runnable\": ", 12);
    buf_json(&t, r->name);
    buf_printf(&t, ", \"status\": \"%s\", \"cache\": ", st);
    if (r->cache)
      buf_json(&t, r->cache);
    else
      buf_add(&t, "null", 4);
    buf_add(&t, ", \"hash\": ", 10);
    if (hex[0])
      buf_json(&t, hex);
    else
      buf_add(&t, "null", 4);
    if (r->error) {
      buf_add(&t, ", \"error\": ", 11);
      buf_json(&t, r->error);
    }
    buf_add(&t, "}", 1);
  }
  if (json)
    buf_add(&t, "\n]\n", 3);
  fwrite(t.p ? t.p : "", 1, t.n, stdout);
  buf_free(&t);
  inputs_close();
  return 0;
}
