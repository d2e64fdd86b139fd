/* runner_api.h -- what the runner's plugins implement: the interfaces of
 * its three kinds (namespace "runner", ABI 1).
 * SPDX-License-Identifier: MIT
 *
 *   kind   config table   default type   a factory returns
 *   cache  [caches.NAME]  local          runner_cache *
 *   dep    inline in deps glob           runner_dep *
 *   env    [envs.NAME]    env            runner_env *
 *
 * A plugin includes this header and <plugkit/plugin.h> only.  Its manifest
 * declares each type in [[provides]]; its register hook adds the code with
 * api->type_add(); the factory gets the runner's services as
 * call->host_userdata (a runner_host *) and the base instance (a type that
 * `extends` another) as call->base.  What a factory returns belongs to the
 * plugin (freed by its destroy function); strings it points to must live
 * as long as the instance.
 *
 * Threads.  The runner runs runnables on a pool of worker threads (-n), so
 * a plugin's code is called from several threads; what each kind may
 * expect:
 *   cache  the factory runs once per [caches.NAME], on the first worker
 *          that needs it (plugkit builds each instance once, also when
 *          workers ask at once).  Every function of a runner_cache
 *          (read_entry, write_entry and the hooks) is called from any
 *          worker, concurrently, for different runnables: it must be
 *          thread-safe.  Calls for one runnable never overlap, in this
 *          process or another (its lock is held from get to set).
 *   dep    the factory runs while the run is planned, on the main thread,
 *          before any worker starts; the runner_dep it returns is only
 *          read afterwards, from any thread, and must not change.
 *   env    the factory runs while the run is planned, on the main thread,
 *          once per [envs.NAME] and once per space with an inline env;
 *          the runner_env is only read afterwards, from any thread, and
 *          must not change.
 * The runner_host services (warn, check_entry) may be called from any
 * thread; warn from a worker goes into the output of the runnable that
 * worker runs. */
#ifndef RUNNER_API_H
#define RUNNER_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUNNER_ABI 1 /* the manifest's abi for namespace "runner" */

struct runner_key;

/* The runner's services (host_userdata of every hook and factory). */
typedef struct runner_host {
  uint32_t size;             /* sizeof(runner_host) */
  const char *root;          /* absolute project root */
  const char *state_dir;     /* absolute ROOT/.runner (caches, outputs) */
  /* A warning line on stderr ("runner: warning: ..."). */
  void (*warn)(const char *fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 1, 2)))
#endif
      ;
  /* 0 when data is a complete, intact cache entry for key->runnable and
   * key->hash (the runner's own format, checked by its digest, and when a
   * cache key is set by its HMAC tag); -1 otherwise, with the reason in
   * why (n bytes) if not NULL. */
  int (*check_entry)(const char *data, size_t len,
                     const struct runner_key *key, char *why, size_t n);
} runner_host;

/* ---- caches ----
 * One cache entry holds a runnable's exit code, output and artifacts in
 * one self-checking blob.  The built-in `local` type keeps one entry per
 * runnable under .runner/cache; a remote type `extends = "local"` and gets
 * the local cache as call->base: local is the hot store, the remote is
 * consulted on a local miss (on_miss) and fed after a local write
 * (post_set).  A get: pre_get, read the local entry (a wrong hash or a
 * damaged entry is a miss), on a miss on_miss then one more read.  A set:
 * write the local entry atomically, then post_set. */
typedef struct runner_key {
  const char *runnable;      /* "build", "cinclude.scan?path=src/a.c" */
  const char *slug;          /* the runnable as a file name: [A-Za-z0-9_.-] */
  const char *hash;          /* 64 hex digits: SHA-256 of its inputs */
} runner_key;

typedef struct runner_cache runner_cache;
struct runner_cache {
  uint32_t size;             /* sizeof(runner_cache) */
  const char *type;          /* "local", "redis", ... */
  runner_cache *base;        /* the cache this one extends, or NULL */
  void *self;                /* the implementation's own state */
  /* The local store (set by `local`; a remote reaches it through base).
   * read_entry: 0 with a malloc()ed copy of the stored bytes (free() it),
   * -1 when there is none.  write_entry: stores data as the entry of
   * key->slug atomically (a reader sees the old or the new bytes); 0 or
   * -1 with a warning given. */
  int (*read_entry)(runner_cache *c, const runner_key *key, char **data,
                    size_t *len);
  int (*write_entry)(runner_cache *c, const runner_key *key,
                     const char *data, size_t len);
  /* Hooks; NULL does nothing.  on_miss returns 1 after it stored an entry
   * into the local store (the runner reads once more), 0 otherwise.  A
   * hook that cannot reach its backend warns and returns: a remote
   * failure never fails a run. */
  void (*pre_get)(runner_cache *c, const runner_key *key);
  int (*on_miss)(runner_cache *c, const runner_key *key);
  void (*post_set)(runner_cache *c, const runner_key *key);
};

/* ---- deps ----
 * A dependency of a command: deps = ["include/x.h", {type = "TAG", ...}].  A
 * bare string is a `glob` dep.  What a dep adds to its command: */
typedef struct runner_cmd_ref {
  const char *command;       /* "build", "lint/check", "cinclude.scan" */
  const char *args;          /* "path=src/a.c&out=x" or NULL: given to the
                                command as RUNNER_ARG_PATH, RUNNER_ARG_OUT */
  int strict;                /* 1: if it fails, the dependent does not run */
} runner_cmd_ref;

typedef struct runner_dep {
  uint32_t size;                    /* sizeof(runner_dep) */
  const char *const *globs;         /* NULL-terminated patterns relative to
                                       the root (glob(7), plus ** for any
                                       depth): the files' contents go in
                                       the hash; or NULL */
  const runner_cmd_ref *commands;   /* run first, in this order */
  size_t ncommands;
  const char *constant;             /* text added to the hash, or NULL */
} runner_dep;

/* ---- environments ----
 * A command with env = "NAME" runs in [envs.NAME]'s environment.  The
 * built-in `env` type is the process environment as it is.  A type may
 * add a setup step: a runnable injected before every command using the
 * environment, as a strict dependency; its output files (globs) go in
 * each such command's hash. */
typedef struct runner_env {
  uint32_t size;                 /* sizeof(runner_env) */
  const char *path;              /* absolute dir prepended to PATH, or NULL */
  const char *const *vars;       /* "NAME=VALUE", NULL-terminated, or NULL */
  const char *setup_name;        /* the setup runnable's name
                                    ("tools.setup@dev"), or NULL: none */
  const char *setup_exec;        /* its shell line, run in the root with
                                    the process environment */
  const char *const *globs;      /* files in each user's hash (a lock), or
                                    NULL */
  const char *constant;          /* text in each user's hash, or NULL */
} runner_env;

#ifdef __cplusplus
}
#endif

#endif /* RUNNER_API_H */
