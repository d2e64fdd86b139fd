/* runner_api.h -- what the runner's plugins implement: the interfaces of
 * its four kinds (namespace "runner", ABI 1).
 * SPDX-License-Identifier: MIT
 *
 *   kind     config table        default type   a factory returns
 *   cache    [caches.NAME]       local          runner_cache *
 *   dep      inline in deps      glob           runner_dep *
 *   env      [envs.NAME]         env            runner_env *
 *   factory  a command's factory (none)         runner_factory *
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
 *   factory  the factory runs while the run is planned, on the main
 *          thread, once per command naming it; the runnables it lists are
 *          only read afterwards.  An in-process runnable's run function is
 *          called on a worker thread, concurrently with other runnables'
 *          (of the same instance too): the contract is at runner_runnable.
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
  /* A warning line on stderr ("runner: warning: ..."); once the
   * arguments are formatted it runs as the runner's code: a kill or an
   * exit() while it writes is no strike against the calling plugin. */
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
  /* The project's modules, every space's, in runner.toml's order (a
   * factory makes a runnable per module from them). */
  const struct runner_module *modules;
  size_t nmodules;
} runner_host;

typedef struct runner_module {
  const char *name;          /* "net" */
  const char *dir;           /* relative to the root: "libs/net" */
  const char *space;         /* its space: "default", ... */
} runner_module;

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
  /* 1 (a store): its entries name each artifact (mode, XXH3-128, path)
   * instead of holding its bytes -- the artifacts are committed with the
   * project (the `repo` cache); a hit needs them in the tree as recorded.
   * 0: the entries hold the bytes. */
  int artifacts_in_tree;
};

/* ---- deps ----
 * A dependency of a command: deps = ["include/x.h", {type = "TAG", ...}].  A
 * bare string is a `glob` dep.  What a dep adds to its command: */
typedef struct runner_cmd_ref {
  const char *command;       /* "build", "lint/check", "cinclude.scan" */
  const char *args;          /* "path=src/a.c&out=x" or NULL: given to the
                                command as RUNNER_ARG_PATH, RUNNER_ARG_OUT */
  int strict;                /* flags: RUNNER_STRICT, RUNNER_ISOLATED */
} runner_cmd_ref;

/* RUNNER_STRICT: if the command fails, the dependent does not run; and
 * --since/--watch selecting the command select the dependent too.
 * RUNNER_ISOLATED: the command runs first only when it was selected
 * anyway (named, or by --since/--watch); otherwise the dependent runs
 * without it. */
#define RUNNER_STRICT 1
#define RUNNER_ISOLATED 2

typedef struct runner_dep {
  uint32_t size;                    /* sizeof(runner_dep) */
  const char *const *globs;         /* NULL-terminated patterns relative to
                                       the root (glob(7), plus ** for any
                                       depth): the files' contents go in
                                       the hash; or NULL */
  const runner_cmd_ref *commands;   /* run first, in this order */
  size_t ncommands;
  const char *constant;             /* text added to the hash, or NULL */
  /* The files --watch waits on and --since compares (patterns as globs),
   * when they are not the globs: a dep on a command's output file names
   * the sources that output is made from (a change there selects the
   * command, and so the dependent).  NULL: watch is globs, since is
   * watch; an empty list: none. */
  const char *const *since;
  const char *const *watch;
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

/* ---- factories: commands built in code ----
 * A command may list its runnables from plugin code instead of an exec
 * line: [commands.NAME] factory = "TAG" (or { type = "TAG", ... } with the
 * type's config) names a type of the kind `factory`, resolved lazily like
 * any type (the plugin is loaded when a run plans the command, never for
 * --ls).  Its factory returns a runner_factory: the command's runnables,
 * each named by the command's address and its suffix.  A runnable runs a
 * shell line (exec) or a function of the plugin (run, "in-process"); it
 * is hashed, locked and cached like any other (its artifacts restored on
 * a hit).  A dep on the command ({ type = "command", name = ... }) links
 * every runnable of it -- for a runnable of a module, those of no module
 * or of the same module. */
struct runner_call;

typedef struct runner_runnable {
  const char *suffix;              /* "#net", "?key=value", or "": the
                                      runnable is ADDRESS + suffix */
  const char *module;              /* the module it is for (a name in
                                      runner_host.modules), or NULL */
  const char *exec;                /* the shell line, or NULL: run */
  /* In-process: called on a worker thread with the runnable's lock held,
   * in the project root (the process's current directory: never change
   * it), at the same time as other runnables' run functions, this one's
   * included (for other runnables): it must be thread-safe and keep to
   * its own state and files; it must not exit, change the environment,
   * signals or descriptors it did not open.  Its output goes through
   * call->write only; once call->stopped() returns nonzero (Ctrl-C) it
   * should return soon (nothing is stored).  Returns the exit code, 0 to
   * 255. */
  int (*run)(void *self, const struct runner_call *call);
  void *self;                      /* run's first argument */
  const char *constant;            /* text in the hash, or NULL; give one
                                      for run: what its result depends on
                                      besides its files (a version) */
  const char *const *globs;        /* files in its hash, NULL-terminated */
  const char *const *artifacts;    /* files it writes (restored on a hit) */
  const char *const *args;         /* "KEY=VALUE": RUNNER_ARG_KEY and
                                      call->args, NULL-terminated */
  const runner_cmd_ref *commands;  /* run first */
  size_t ncommands;
} runner_runnable;

typedef struct runner_factory {
  uint32_t size;                   /* sizeof(runner_factory) */
  const runner_runnable *runnables;
  size_t nrunnables;
} runner_factory;

/* What an in-process run function gets. */
typedef struct runner_call {
  uint32_t size;                   /* sizeof(runner_call) */
  const char *runnable;            /* its full name */
  const char *root;                /* absolute project root (the cwd) */
  const char *module;              /* its module's directory ("libs/net",
                                      relative to the root), or NULL */
  const char *const *args;         /* "KEY=VALUE", NULL-terminated */
  int worker;                      /* the worker's number, from 1 */
  void (*write)(const struct runner_call *call, const char *data,
                size_t n);         /* into its output (stdout) */
  int (*stopped)(const struct runner_call *call);
  void *runner;                    /* the runner's own */
} runner_call;

#ifdef __cplusplus
}
#endif

#endif /* RUNNER_API_H */
