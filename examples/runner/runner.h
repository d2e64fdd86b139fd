/* runner.h -- the runner's internals, shared by its files:
 *   project.c   the host: plugkit set-up, runner.toml, commands, --ls
 *   plan.c      runnables and their order (deps, envs, cycles)
 *   execute.c   hashing, cache get/set, running a command
 *   entry.c     the cache entry format (self-checking)
 *   builtins.c  built-in types: cache local, dep glob and command, env env
 *   files.c     files: read, atomic write, mkdir -p, glob expansion
 *   supervise.c a command in its own process group, taken down with the
 *               runner; the signals that stop the runner
 *   hash.c      SHA-256 and HMAC-SHA256 (hash.h)
 *   cachekey.c  the cache key that authenticates entries
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_H
#define RUNNER_H

#include <plugkit.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runner_api.h"

/* ---- small growable lists ---- */
typedef struct strlist {
  char **v;
  size_t n, cap;
} strlist;
void strlist_add(strlist *l, const char *s);       /* copies s */
void strlist_take(strlist *l, char *s);            /* takes s */
bool strlist_has(const strlist *l, const char *s);
void strlist_sort(strlist *l);
void strlist_free(strlist *l);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "runner: WHAT: FILE:LINE:COL: message" on stderr (no "WHAT: " when
 * what is ""). */
void runner_error(const char *what, const pk_error *err);
/* "runner: warning: ..." on stderr. */
void runner_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- files.c ---- */
/* 0 with a malloc()ed, NUL-terminated copy of the file; -1 (errno). */
int file_read(const char *path, char **data, size_t *len);
/* Writes path atomically (a temporary file renamed over it), creating its
 * directory; 0 or -1 (errno). */
int file_write_atomic(const char *path, const char *data, size_t len,
                      int mode);
/* Writes path (relative to the directory dirfd, or AT_FDCWD) atomically
 * without following any symbolic link: each directory on the way is
 * opened with O_NOFOLLOW (and made when missing), the file is written
 * under a new temporary name in its directory and renamed over path (a
 * link there is replaced).  0, or -1 with why (n bytes): "DIR is a
 * symbolic link", ... */
int file_write_beneath(int dirfd, const char *path, const char *data,
                       size_t len, int mode, char *why, size_t n);
int mkdir_p(const char *dir);
/* Adds the files matching pattern (relative to the current directory,
 * which is the project root) to out, sorted.  `**` matches any depth: the
 * walk starts at the pattern's leading directories without wildcards,
 * follows links, enters each directory (device, inode) once and never
 * .git or .runner.  Other patterns are glob(3)'s. */
void glob_files(const char *pattern, strlist *out);
/* Whether glob_files(pattern) would list path, if it existed. */
bool glob_match(const char *pattern, const char *path);
/* Whether path is one no artifact may have: under .git, or the runner's
 * own state (files directly in .runner, .runner/cache, .runner/locks);
 * a plugin's outputs in .runner/NAME/ are fine. */
bool artifact_forbidden(const char *path);
/* A name made file-safe: every byte not [A-Za-z0-9_.-] becomes "__". */
char *slugify(const char *name);

/* ---- entry.c ---- */
typedef struct entry_artifact {
  char *path;        /* relative to the root */
  int mode;
  const char *data;  /* len bytes */
  size_t len;
} entry_artifact;

typedef struct entry {
  char *name, *hash;
  int code;
  const char *log;   /* loglen bytes */
  size_t loglen;
  entry_artifact *arts;
  size_t narts;
  char *blob;        /* freed by entry_free: the bytes log and data point
                        into, when the reader hands them over */
} entry;

enum { ENTRY_OK = 0, ENTRY_BAD = -1, ENTRY_STALE = -2 };

/* Serializes e: malloc()ed bytes in *out, with the hmac line when a cache
 * key is set. */
void entry_pack(const entry *e, char **out, size_t *len);
/* Parses and checks data (the format at the top of entry.c; with want,
 * that the entry is want->runnable's): ENTRY_OK with e filled -- its log
 * and artifact data point into data, which must outlive e --, else
 * ENTRY_STALE (an intact entry for another hash: a plain miss) or
 * ENTRY_BAD (damaged, truncated, forged, not authenticated), with why (n
 * bytes, or NULL) saying which, e left empty. */
int entry_parse(const char *data, size_t len, const runner_key *want,
                entry *e, char *why, size_t n);
void entry_free(entry *e);
/* runner_host.check_entry: entry_parse's verdict as 0 or -1. */
int entry_check(const char *data, size_t len, const runner_key *key,
                char *why, size_t n);
/* The cache key (len bytes, copied; NULL: none): from then on every entry
 * written carries its HMAC-SHA256 tag and every entry read must carry a
 * valid one.  Called before any entry is read or written. */
void entry_set_secret(const char *key, size_t len);

/* ---- cachekey.c ---- */
/* Loads the cache key from RUNNER_CACHE_KEY_FILE or RUNNER_CACHE_KEY (the
 * top of cachekey.c) into entry_set_secret: 0 (also with none set), or 2
 * after a message saying what is wrong and what to do. */
int cache_key_load(void);

/* ---- project.c ---- */
typedef struct command {
  char *address;           /* "build" or "ALIAS/NAME" */
  const char *alias;       /* the plugin's alias, NULL for a root command */
  const char *plugin_dir;  /* its directory (fragment commands) */
  const pk_value *table;   /* [commands.NAME] (pk_value positions) */
  const char *exec;
  const pk_value *deps;    /* array or NULL */
  const char *cache;       /* or NULL */
  const char *env;         /* or NULL */
  const pk_value *artifacts;
  bool hidden;
  pk_config *config;       /* decoded (owns the strings above) */
} command;

typedef struct project {
  char *root;              /* absolute */
  char *state_dir;         /* ROOT/.runner */
  pk_host *host;
  pk_doc *doc;             /* runner.toml (the host's once loaded) */
  pk_ctx *ctx;
  pk_doc *schema_doc;
  pk_schema *command_schema;
  strlist dirs;            /* plugin directories (fragment commands) */
  command *cmds;           /* root commands, then fragment commands */
  size_t ncmds;
  runner_host services;
  runner_cache *local;     /* the built-in local and none caches */
  runner_cache *none;
  bool verbose;
  bool types_known;        /* the config loaded: dep types can be checked */
} project;

/* Finds runner.toml (dir, else the current directory and its parents),
 * sets up the host, loads and checks the config: 0, or 2 after printing
 * every problem as FILE:LINE:COL: message. */
int project_open(project *p, const char *dir, const char *exe_dir,
                 bool verbose);
void project_close(project *p);
/* The command at address ("build", "ALIAS.NAME", "ALIAS/NAME"), hidden or
 * not, or NULL. */
command *project_find(project *p, const char *address);
/* The closest configured address to a wrong one, or NULL. */
const char *project_closest(project *p, const char *address);
/* Prints every command not hidden: root ones first, then the plugins'
 * as ALIAS/NAME. */
void project_list(project *p);
/* The cache instance a command uses ("none" when it has no deps). */
runner_cache *project_cache(project *p, const command *c, pk_error *err);

/* ---- builtins.c ---- */
int builtins_add(pk_host *host, pk_error *err);
runner_cache *local_cache_new(const char *dir);
runner_cache *none_cache_new(void);
void cache_free(runner_cache *c);

/* ---- plan.c ---- */
typedef struct runnable runnable;
struct runnable {
  char *name;              /* "build", "cinclude/scan?out=x&path=a.c" */
  char *slug;
  command *cmd;            /* NULL: an environment's setup */
  char *exec;              /* the shell line */
  strlist args;            /* "KEY=VALUE" */
  runner_env *env;         /* or NULL */
  strlist globs;           /* patterns whose files go in the hash */
  strlist artifacts;       /* patterns of the files it writes */
  strlist constants;       /* texts in the hash */
  runnable **ups;          /* upstream runnables, run first */
  bool *strict;
  size_t nups;
  int mark;                /* plan: 0 new, 1 on the stack, 2 done */
  int state;               /* execute: 0 pending, 1 ok, 2 failed, 3 skipped */
};

typedef struct plan {
  runnable **order;        /* upstreams first */
  size_t n, cap;
  runnable **all;          /* every runnable (owned) */
  size_t nall, acap;
  pk_instance **insts;     /* dep instances (owned) */
  size_t ninsts, icap;
} plan;

/* Plans the named commands (every command not hidden when n == 0): 0, or
 * 1 after printing why (an unknown command, a cycle, a dep that fails). */
int plan_build(plan *pl, project *p, char **names, size_t n);
void plan_free(plan *pl);

/* ---- supervise.c ---- */
typedef struct child {
  pid_t sup;               /* the supervisor */
  int out;                 /* the command's stdout and stderr */
  int life;                /* the life pipe's write end */
} child;

/* Starts /bin/sh -c line with envp in a process group of its own, under a
 * supervisor (the top of supervise.c); keep_fd (or -1) stays open in the
 * command and whatever it starts.  0, or -1 (errno). */
int child_start(child *ch, const char *line, char *const envp[], int keep_fd);
/* Makes the supervisor stop the command's group (SIGTERM, then SIGKILL). */
void child_stop(child *ch);
/* Closes the output, stops the command if it still runs, waits for the
 * supervisor: the command's exit code (128 + the signal that ended it, 127
 * when it could not start). */
int child_wait(child *ch);
/* From now on SIGINT, SIGTERM and SIGHUP do not end the runner: they are
 * recorded (stop_signal() returns the last one) and make stop_fd()
 * readable, so the runner stops its command and stores nothing. */
void stop_signals_install(void);
int stop_signal(void);
int stop_fd(void);

/* ---- execute.c ---- */
typedef struct run_options {
  bool force;              /* -f: do not read caches */
} run_options;
/* Runs the plan: 0 when every runnable succeeded, else 1. */
int execute(plan *pl, project *p, const run_options *o);

#endif
