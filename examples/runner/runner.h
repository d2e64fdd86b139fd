/* runner.h -- the runner's internals, shared by its files:
 *   project.c   the host: plugkit set-up, runner.toml, commands, --ls
 *   plan.c      runnables and their order (deps, envs, cycles)
 *   execute.c   hashing, cache get/set, running a command
 *   entry.c     the cache entry format (self-checking)
 *   builtins.c  built-in types: cache local, dep glob and command, env env
 *   files.c     files: read, atomic write, mkdir -p, glob expansion
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_H
#define RUNNER_H

#include <plugkit.h>
#include <stdbool.h>
#include <stddef.h>

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
int mkdir_p(const char *dir);
/* Adds the files matching pattern (relative to the current directory,
 * which is the project root; `**` matches any depth) to out, sorted. */
void glob_files(const char *pattern, strlist *out);
/* A name made file-safe: every byte not [A-Za-z0-9_.-] becomes "__". */
char *slugify(const char *name);

/* ---- entry.c ---- */
typedef struct entry_artifact {
  char *path;        /* relative to the root */
  int mode;
  char *data;
  size_t len;
} entry_artifact;

typedef struct entry {
  char *name, *hash;
  int code;
  char *log;
  size_t loglen;
  entry_artifact *arts;
  size_t narts;
} entry;

/* Serializes e: malloc()ed bytes in *out. */
void entry_pack(const entry *e, char **out, size_t *len);
/* Parses and checks data (digest, name, hash); 0 or -1 with why. */
int entry_parse(const char *data, size_t len, const runner_key *key,
                entry *e, char *why, size_t n);
void entry_free(entry *e);
int entry_check(const char *data, size_t len, const runner_key *key,
                char *why, size_t n);

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

/* ---- execute.c ---- */
typedef struct run_options {
  bool force;              /* -f: do not read caches */
} run_options;
/* Runs the plan: 0 when every runnable succeeded, else 1. */
int execute(plan *pl, project *p, const run_options *o);

#endif
