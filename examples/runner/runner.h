/* runner.h -- the runner's internals, shared by its files:
 *   main.c      options
 *   project.c   the host: plugkit set-up, runner.toml, commands, --ls
 *   space.c     spaces and modules; a space's env and dotenv files
 *   ctx.c       [ctx] and runner.* variables; formatting the fields
 *   map.c       a map from strings
 *   plan.c      runnables and their order (deps, envs, cycles)
 *   schedule.c  the worker threads: what runs when, what is printed when
 *   select.c    what runs: asked, --since, --watch; isolated deps
 *   watch.c     --watch (fswatch.c: file change notification)
 *   execute.c   one runnable: its lock, cache get/set, its command
 *   inputs.c    the hash of a runnable's inputs; the stat cache
 *   report.c    transcripts, live lines, the progress line
 *   trace.c     --trace: Chrome trace-event JSON
 *   entry.c     the cache entry format (self-checking)
 *   builtins.c  built-in types: cache local, dep glob and command, env env
 *   files.c     files: read, atomic write, mkdir -p, glob expansion
 *   supervise.c a command in its own process group, taken down with the
 *               runner (supervisor.c: runner-supervise); the signals that
 *               stop the runner
 *   hash.c      XXH3-128, SHA-256 and HMAC-SHA256 (hash.h)
 *   cachekey.c  the cache key that authenticates entries
 * SPDX-License-Identifier: MIT */
#ifndef RUNNER_H
#define RUNNER_H

#include <plugkit.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runner_api.h"

/* ---- growable byte buffers ({0} is empty) ---- */
typedef struct buf {
  char *p;
  size_t n, cap;
} buf;
void buf_add(buf *b, const void *data, size_t len);
void buf_printf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* s as a JSON string, quotes included. */
void buf_json(buf *b, const char *s);
/* The bytes NUL-terminated, handed over (malloc()ed); b is empty again. */
char *buf_str(buf *b);
void buf_free(buf *b);

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
/* The strings up to NULL, one after the other (cheaper than xasprintf). */
char *xconcat(const char *first, ...) __attribute__((sentinel));

/* The arguments of "%s%s%s" that say ` (did you mean "NEAR"?)`, or
 * nothing when near (pk_closest's answer) is NULL. */
#define DID_YOU_MEAN(near)                                                     \
  (near) ? " (did you mean \"" : "", (near) ? (near) : "", (near) ? "\"?)" : ""

/* "runner: WHAT: FILE:LINE:COL: message" (no "WHAT: " when what is ""),
 * as report_err. */
void runner_error(const char *what, const pk_error *err);
/* "runner: warning: ...": into the transcript of the runnable the calling
 * thread works on, else on stderr at once.  Any thread. */
void runner_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- report.c ---- */
typedef struct runnable runnable;

/* What a runnable showed: bytes for stdout and stderr, in order. */
typedef struct transcript {
  buf b;
  struct segment {
    size_t end;            /* b.p[previous end .. end) */
    bool err;              /* for stderr, else stdout */
  } *segs;
  size_t nsegs, scap;
} transcript;
void transcript_add(transcript *t, bool err, const char *data, size_t n);
void transcript_printf(transcript *t, bool err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void transcript_free(transcript *t);
/* "runner: NAME: ...\n" into r's transcript. */
void say(runnable *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Binds the calling thread to r (NULL: to none): runner_warn and
 * report_err write into r's transcript. */
void report_bind(runnable *r);
/* Text for stderr: into the bound runnable's transcript, else at once. */
void report_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes n bytes on stderr at once (under the progress line). */
void report_live(const char *text, size_t n);
/* Writes a transcript on stdout and stderr, whole. */
void report_print(const transcript *t);
/* Shows line (no newline) as the progress line on stderr, replacing the
 * one shown; NULL takes it away. */
void report_progress(const char *line);

/* ---- trace.c ---- */
/* Starts tracing into path (absolute; NULL: no tracing).  Call first. */
void trace_open(const char *path);
bool trace_on(void);
/* Microseconds since trace_open (0 when not tracing). */
uint64_t trace_now(void);
/* Names the calling thread's track (0: main, N: worker N). */
void trace_track(int track, const char *name);
/* A span on the calling thread's track from start to now; result (or
 * NULL) goes in its args. */
void trace_span(const char *name, const char *cat, uint64_t start,
                const char *result);
/* Writes the file: 0, or -1 after a message. */
int trace_close(void);

/* ---- files.c ---- */
/* Writes n bytes to fd (again after EINTR or a short write): whether all
 * went. */
bool write_all(int fd, const void *data, size_t n);
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
  char *hex;         /* kept in the tree (a `tree` line): the XXH3-128 of
                        its bytes, no data; else NULL */
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

/* ---- map.c ---- */
/* A map from strings (borrowed) to pointers; {0} is an empty map. */
typedef struct strmap {
  const char **keys;
  void **vals;
  size_t n, cap;
} strmap;
void *strmap_get(const strmap *m, const char *key);
void *strmap_getn(const strmap *m, const char *key, size_t n);
/* Adds key -> val unless key is there: NULL, or the value it has. */
void *strmap_put(strmap *m, const char *key, void *val);
/* Makes room for n keys at once (no growing step by step). */
void strmap_reserve(strmap *m, size_t n);
void strmap_free(strmap *m);

/* ---- project.c, space.c, ctx.c ---- */
typedef struct space space;

typedef struct module {
  char *name;              /* "net" */
  char *path;              /* as written, relative to the space's root */
  char *dir;               /* relative to the project root: "libs/net" */
  space *space;
  pk_pos pos;              /* its entry in modules */
} module;

struct space {
  char *name;              /* "default", ... */
  char *root;              /* relative to the project root, normalized */
  module **modules;
  size_t nmodules;
  const pk_value *table;   /* [spaces.NAME], or NULL */
  const pk_value *env;     /* an [envs] name or an inline table, or NULL */
  const pk_value *dotenv;  /* array of file names, or NULL */
  /* made when first needed (planning, the main thread) */
  bool env_done, dotenv_done;
  runner_env *env_made;
  pk_instance *env_inst;   /* an inline env (owned) */
  char *env_error, *dotenv_error;
  strlist dotenv_vars;     /* "NAME=VALUE" in file order */
  strlist dotenv_files;
};

typedef struct command {
  char *address;           /* "build", "MODULE/NAME" or "ALIAS/NAME" */
  const char *alias;       /* the plugin's alias, NULL otherwise */
  const char *plugin_dir;  /* its directory (fragment commands) */
  module *module;          /* a module's own command: the module */
  space *space;            /* `space = NAME`, or NULL */
  const pk_value *table;   /* [commands.NAME] (pk_value positions) */
  const pk_value *exec;    /* the values, as written: they are formatted */
  const pk_value *deps;    /*   per runnable (ctx.c) */
  const pk_value *artifacts;
  const pk_value *cache;
  const pk_value *cache_when;
  const pk_value *factory; /* the factory's table (a TAG alone is made
                              { type = TAG }), or NULL: exec */
  const char *env;         /* or NULL */
  bool hidden;
  bool per_module;         /* {module.*} in exec, deps or artifacts */
  pk_config *config;       /* decoded (owns env) */
} command;

enum { CTX_STRING, CTX_INTEGER, CTX_BOOLEAN };

typedef struct ctx_var {
  char *name;              /* "region", "runner.workers" */
  int type;                /* CTX_* */
  char *value;             /* canonical text, NULL when unset */
  bool required;
  pk_pos pos;              /* its declaration */
} ctx_var;

typedef struct project {
  char *root;              /* absolute */
  char *state_dir;         /* ROOT/.runner */
  pk_host *host;
  pk_doc *doc;             /* runner.toml (the host's once loaded) */
  pk_doc **mdocs;          /* the modules' runner.toml files (owned), */
  size_t nmdocs;           /* and factory = "TAG" made a table */
  runner_module *rmods;    /* the modules for plugins (services) */
  pk_ctx *ctx;             /* plugkit's view of the variables below */
  ctx_var *vars;           /* runner.* (borrowed strings), then [ctx] */
  size_t nvars, nruntime;
  char workers[16];        /* runner.workers' value */
  const pk_value *defaults;/* [defaults], or NULL */
  strlist dirs;            /* plugin directories (fragment commands) */
  command **cmds;          /* root commands, modules', then fragments' */
  size_t ncmds;
  strmap by_address;       /* address -> command */
  space **spaces;          /* [0] is "default" */
  size_t nspaces;
  module **modules;        /* every module, space by space */
  size_t nmodules;
  strmap by_module;        /* name -> module */
  runner_host services;
  runner_cache *local;     /* the built-in local, repo and none caches */
  runner_cache *repo;
  runner_cache *none;
  bool verbose;
  bool root_per_module;    /* runner.toml's text holds "{module." */
  bool holding;            /* plugkit's log waits in held (project.c) */
  strlist held, held_msgs; /* its lines, and their messages */
} project;

typedef struct run_options {
  bool force;              /* -f: do not read caches */
  bool keep_going;         /* run what does not depend on a failure */
  bool verbose;            /* -v */
  bool ls;                 /* -l/--ls */
  bool cache_status;       /* --cache-status */
  bool json;               /* --json (with --cache-status) */
  int workers;             /* threads running runnables, >= 1 */
  const char *trace;       /* --trace FILE, or NULL */
  const char *commands;    /* what was asked, comma-separated, or NULL */
  const char *modules;     /* -m, comma-separated, or NULL */
  const char *spaces;      /* -s, comma-separated, or NULL */
  const char *since;       /* --since REF, or NULL */
  bool isolated;           /* --isolated: every command dep is isolated */
  bool watch;              /* --watch */
  int debounce_ms;         /* --debounce MS (default 100) */
} run_options;

/* Finds runner.toml (dir, else the current directory and its parents),
 * sets up the host, loads and checks the config: 0, or 2 after printing
 * every problem as FILE:LINE:COL: message. */
int project_open(project *p, const char *dir, const char *exe_dir,
                 const run_options *o);
void project_close(project *p);
/* The command at address ("build", "MODULE/NAME", "ALIAS/NAME", or with
 * '.' for the last '/'), hidden or not, or NULL. */
command *project_find(project *p, const char *address);
/* The closest configured address to a wrong one, or NULL. */
const char *project_closest(project *p, const char *address);
/* The command a dep (who, e.g. "test.deps[1]") names at address, else
 * NULL with *e: it is not configured, at the dep's name in the project's
 * files (or at the dep, at, when its type has no name field; without a
 * position when at is NULL: a factory's deps). */
command *dep_command(project *p, const char *who, const char *address,
                     const pk_value *at, pk_error *e);
/* Prints the runnables of every command not hidden (root ones, modules',
 * plugins' as ALIAS/NAME), then the spaces when there are more than a bare
 * default one. */
void project_list(project *p);
/* "ADDRESS[@SPACE][#MODULE]": a runnable's name without its arguments
 * (@SPACE when the project has more than one space, #MODULE for a command
 * run per module); malloc()ed. */
char *runnable_base(const project *p, const command *c, const space *s,
                    const module *m);
space *command_space(const project *p, const command *c, const module *m);
/* The modules a command per module runs for (borrowed). */
void command_modules(const project *p, const command *c, module ***out,
                     size_t *n);
/* Whether a cache name is local, repo, none or a [caches] name. */
bool cache_known(const project *p, const char *name);
/* success, failed, finished: CACHE_WHEN_*, else -1. */
enum { CACHE_WHEN_SUCCESS, CACHE_WHEN_FAILED, CACHE_WHEN_FINISHED };
int cache_when_of(const char *text);
/* The cache instance named name (built on first use), or NULL with err. */
runner_cache *project_cache(project *p, const char *name, pk_error *err);
/* A problem at pos into diag. */
void runner_problem(pk_diag *diag, pk_status code, pk_pos pos,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void commands_add(project *p, const char *alias, const char *dir, module *m,
                  const pk_value *sect, pk_diag *diag);
/* Whether v (a string, or a table or array of them) mentions {module.*}. */
bool value_mentions_module(const pk_value *v);
bool name_ok(const char *s);

/* space.c: [spaces] and their modules; a module's runner.toml commands */
void spaces_load(project *p, pk_diag *diag);
void modules_load_commands(project *p, pk_diag *diag);
space *space_find(const project *p, const char *name);
/* The env of space s, made once: 0 with *out (NULL: none), or -1 with why
 * (n bytes). */
int space_env(project *p, space *s, runner_env **out, char *why, size_t n);
/* The dotenv variables of space s, read once: 0 with *vars, or -1 with
 * why. */
int space_dotenv(space *s, const strlist **vars, char *why, size_t n);
void spaces_free(project *p);

/* ctx.c: [ctx] into p->vars and p->ctx (problems into diag) */
void ctx_load(project *p, const pk_value *ctx, pk_diag *diag);
/* The runner.* values of this run (o's): 0.  ctx_runtime_to_plugkit gives
 * them to plugkit's ctx too. */
int ctx_runtime(project *p, const run_options *o);
/* text as a boolean (true/yes/1, false/no/0, any case): 1, 0, or -1. */
int ctx_cast_bool(const char *text);
void ctx_runtime_to_plugkit(project *p);
const ctx_var *ctx_find(const project *p, const char *name, size_t n);
void ctx_free(project *p);
/* What expand() formats with. */
typedef struct expand_in {
  const project *p;
  const module *module;    /* bound to a module, or NULL */
  const strlist *args;     /* the runnable's "KEY=VALUE", or NULL */
} expand_in;
/* s formatted (ctx.c's top): a malloc()ed string, or NULL with why (n
 * bytes) "FILE:LINE:COL: ..." at the placeholder (at: the value s was
 * read from, for its position; may be NULL). */
char *expand(const expand_in *in, const pk_value *at, const char *s,
             char *why, size_t n);

/* ---- builtins.c ---- */
int builtins_add(pk_host *host, pk_error *err);
runner_cache *local_cache_new(const char *dir);
runner_cache *repo_cache_new(const char *dir);
runner_cache *none_cache_new(void);
void cache_free(runner_cache *c);

/* ---- plan.c ---- */
/* The states of a runnable (execute: PENDING until it ends). */
enum { PENDING = 0, OK, FAILED, SKIPPED, STOPPED, NOT_RUN };

struct runnable {
  char *name;              /* "build", "cinclude/scan?out=x&path=a.c" */
  char *slug;
  command *cmd;            /* NULL: an environment's setup */
  space *space;            /* its space (NULL: a setup) */
  module *module;          /* the module it runs for, or NULL */
  char *error;             /* a field that did not format: it fails so */
  bool misconfigured;      /* its cache could not be built (a setting
                            * the plugin refused): exit 2 */
  char *exec;              /* the shell line */
  char *cache;             /* the cache's name ("none", "local", ...) */
  int cache_when;          /* CACHE_WHEN_* */
  strlist args;            /* "KEY=VALUE" */
  runner_env *env;         /* or NULL */
  const strlist *dotenv;   /* its space's dotenv "NAME=VALUE", or NULL */
  strlist globs;           /* patterns whose files go in the hash */
  strlist artifacts;       /* patterns of the files it writes */
  strlist constants;       /* texts in the hash */
  strlist since;           /* patterns --since compares */
  strlist watch;           /* patterns --watch waits on */
  const runner_runnable *def; /* a factory made it: its definition (with
                              run: in-process), or NULL */
  runnable **ups;          /* upstream runnables, run first */
  bool *strict;
  bool *isolated;          /* run it first only when selected anyway */
  size_t nups;
  bool selected;           /* asked, or chosen by --since/--watch */
  bool in_run;             /* in plan.order: upstreams not in it are not
                              waited for */
  int mark;                /* plan: 0 new, 1 on the stack, 2 done, 3 asked */
  /* the schedule's */
  size_t pos;              /* in plan.order */
  runnable **downs;        /* the runnables it is an upstream of */
  size_t ndowns;
  size_t waiting;          /* upstreams not ended */
  int state;               /* PENDING, ... */
  transcript log;          /* what it shows, printed once it ended */
};

typedef struct plan {
  runnable **order;        /* what runs, upstreams first (select.c) */
  size_t n, cap;
  runnable **graph;        /* every runnable planned, upstreams first */
  size_t ngraph;
  runnable **all;          /* every runnable (owned) */
  size_t nall, acap;
  strmap by_name;          /* name -> runnable */
  pk_instance **insts;     /* dep instances (owned) */
  size_t ninsts, icap;
  pk_doc **docs;           /* dep tables formatted per module (owned) */
  size_t ndocs;
} plan;

/* Plans the named runnables (NAME[@SPACE][#MODULE][?ARGS]; every command
 * not hidden when n == 0), those of the modules and spaces o->modules and
 * o->spaces list: 0, or 1 after printing why (an unknown command, a
 * cycle, a dep that fails). */
int plan_build(plan *pl, project *p, char **names, size_t n,
               const run_options *o);
void plan_free(plan *pl);

/* ---- select.c ---- */
/* The runnables that run: the selected ones (r->selected) and their
 * upstreams, each upstream on an isolated edge (or every command dep with
 * isolated_all) only when it is selected itself or kept through another
 * edge; into pl->order in plan order, r->in_run set.  How many. */
size_t select_order(plan *pl, bool isolated_all);
/* Whether one of files (paths relative to the root) matches one of
 * patterns (globs, as glob_match; a plain path by equality). */
bool select_matches(const strlist *patterns, const strlist *files);
/* Marks selected every runnable of pl->graph whose patterns (r->since, or
 * r->watch with watch) match one of files, then their strict downstreams;
 * how many were marked.  Nothing else changes. */
size_t select_changed(plan *pl, const strlist *files, bool watch);
/* --since REF: the files git says changed since REF (git diff --name-only
 * REF, and the untracked ones), relative to the root: 0 with *files, or
 * -1 after a message. */
int select_git_changes(const char *ref, strlist *files);

/* ---- fswatch.c: file change notification (inotify) ---- */
typedef struct fswatch fswatch;
/* A new watcher, or NULL (errno; ENOSYS: none on this system). */
fswatch *fswatch_new(void);
/* Watches the directory dir (relative to the root): its files made,
 * written, renamed, removed; not its subdirectories.  0, or -1 (errno). */
int fswatch_add(fswatch *w, const char *dir);
/* Readable when changes are pending. */
int fswatch_fd(const fswatch *w);
/* Reads the pending changes: files that changed (DIR/NAME) into changed,
 * directories made or moved in into new_dirs, *overflow set when changes
 * were lost.  0, or -1 (errno). */
int fswatch_read(fswatch *w, strlist *changed, strlist *new_dirs,
                 bool *overflow);
void fswatch_free(fswatch *w);

/* ---- watch.c ---- */
/* --watch: runs the plan, then again what changes, until a stop signal;
 * the last run's status (2 when nothing can be watched). */
int watch_run(plan *pl, project *p, const run_options *o);

/* ---- supervise.c ---- */
typedef struct child {
  int out;                 /* the command's stdout and stderr */
  int sock;                /* its supervisor's socket */
  bool stopped;            /* a stop was sent */
} child;

/* Where the supervisor program is: EXE_DIR/runner-supervise.  Call once,
 * before child_start. */
void child_init(const char *exe_dir);
/* Starts /bin/sh -c line with envp in a process group of its own, under
 * the calling thread's supervisor (started on its first command;
 * supervisor.c); keep_fd (or -1) stays open in the command and whatever
 * it starts.  0, or -1 (errno).  One command at a time per thread. */
int child_start(child *ch, const char *line, char *const envp[], int keep_fd);
/* Makes the supervisor stop the command's group (SIGTERM, then SIGKILL). */
void child_stop(child *ch);
/* Closes the output, stops the command if it still runs, waits until it
 * ended: its exit code (128 + the signal that ended it, 127 when it could
 * not start or the supervisor died). */
int child_wait(child *ch);
/* Ends the calling thread's supervisor, if it has one. */
void child_thread_end(void);
/* From now on SIGINT, SIGTERM and SIGHUP do not end the runner: they are
 * recorded (stop_signal() returns the last one) and make stop_fd()
 * readable, so the runner stops its command and stores nothing. */
void stop_signals_install(void);
int stop_signal(void);
int stop_fd(void);

/* ---- inputs.c ---- */
/* Loads the stat cache of the project (ROOT/.runner/stat.cache) for the
 * hash_inputs calls until inputs_close, which writes it back when it
 * changed and releases it. */
void inputs_open(const char *state_dir);
void inputs_close(void);
/* The SHA-256 of r's inputs, in hex: its cache key.  Any thread. */
void hash_inputs(const runnable *r, char hex[65]);

/* ---- execute.c ---- */
/* What one run shares between its workers. */
typedef struct run_env {
  project *p;
  const run_options *o;
  char *lock_dir;          /* ROOT/.runner/locks, made */
  int worker;              /* the worker's number, from 1 */
} run_env;

/* Runs r (its upstreams ended): its lock, hash, cache, command; the
 * state it ends in (OK, FAILED or STOPPED), with what it showed in its
 * transcript.  Any thread. */
int execute_one(runnable *r, const run_env *x);

/* --cache-status: one line per runnable of the plan ("hit", "remote hit",
 * "miss", "uncached", "error" and its name), or with json a JSON array of
 * {runnable, status, cache, hash[, error]}; nothing runs, nothing is
 * restored.  0. */
int execute_status(plan *pl, project *p, bool json);

/* ---- schedule.c ---- */
/* Runs the plan on o->workers threads: 0 when every runnable succeeded,
 * 2 when one's cache could not be built (a problem of runner.toml or of
 * a plugin), else 1. */
int schedule(plan *pl, project *p, const run_options *o);

#endif
