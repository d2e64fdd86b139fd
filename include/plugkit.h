/* plugkit.h -- a plugin framework for C: discover, order, load and
 * configure plugins, call their hooks, build instances of their types.
 * SPDX-License-Identifier: MIT
 *
 * The contract is this header with the two it includes, plugkit/toml.h
 * (documents and values) and plugkit/config.h (schemas, configs and
 * formatting), and plugkit/plugin.h for plugin authors: if it is not
 * declared there, it is not API.
 *
 * USAGE: a host's life
 *   1. pk_host_new()                options: allocator, log, userdata, the
 *                                   metadata cache
 *   2. pk_host_add_path()           where plugins live (PLUGKIT_PATH first)
 *      pk_host_add_builtin()        plugins compiled into the host
 *   3. pk_host_load_description()   namespaces, kinds, hooks, built-in types
 *                                   and the [defaults] schema, from a file
 *      or pk_host_add_namespace(), pk_host_declare_kind(),
 *      pk_host_declare_hook(), pk_host_declare_defaults() in code
 *      pk_host_add_type()           the code of the built-in types
 *   4. pk_host_load_config()        the operator's file: the [plugins] to
 *                                   run and their settings, [defaults], the
 *                                   instance tables; all checked before any
 *                                   plugin code runs
 *   5. pk_host_register()           request, import, resolve (register hooks
 *                                   to a fixed point), post_register; lazy
 *                                   plugins wait for their first use
 *   6. pk_host_get_instance()       an instance of a kind by name, built on
 *                                   first use (any thread)
 *   7. pk_host_get_hook(), pk_hook_call()  call what the plugins implement
 *   8. pk_host_free()               instances newest first, unload hooks in
 *                                   reverse order, dlclose
 *
 * Conventions
 *   - Every fallible function returns pk_status (PK_OK == 0) and takes a
 *     pk_error *err last; err may be NULL.  The library never prints, exits
 *     or aborts because of bad input.
 *   - Names are pk_OBJECT_VERB: pk_X_get_Y reads a property, pk_X_count()
 *     and pk_X_at(i) walk a list (pk_X_Y_at(i): property Y of item i),
 *     pk_X_find_Y() looks a name up, _or takes a default; _new and _free
 *     pair up.
 *
 * TAGS.  The comment of every declaration (or the one heading a group of
 * declarations) ends with a [thread:], a [fails:] and a [since:] tag, and
 * says who owns the pointers it hands over:
 *   [thread: any]     any thread, any time; a qualifier after a comma narrows
 *                     it ("any, not concurrently with writers of ctx")
 *   [thread: host]    calls concerning one host are serialized by the
 *                     caller; different hosts may be used from different
 *                     threads ("host, before discovery": and only then)
 *   [thread: frozen]  like host during set-up; any thread, without a lock,
 *                     once pk_host_post_register() has returned (the
 *                     registries froze at its start)
 *   [fails: never] or [fails: W | W ...], W one of the statuses it can
 *                     return besides PK_OK, named without "PK_E":
 *       mem io misuse syntax type missing range notfound manifest dep
 *       version cycle abi load plugin config duplicate state notsup trust
 *                     (dep: PK_EDEP_MISSING, version: PK_EDEP_VERSION,
 *                     cycle: PK_EDEP_CYCLE)
 *   [since: X.Y]      the version that added it
 *   ownership         a pointer handed out is "borrowed" (the library keeps
 *                     it; the comment says until when), "static", or the
 *                     caller's ("caller owns": freed with the function the
 *                     comment names)
 * tests/test_headers.c checks every declaration of the headers against it.
 */
#ifndef PLUGKIT_H
#define PLUGKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugkit/version.h"

#if defined(PK_BUILDING_SHARED) && defined(PK_USING_SHARED)
#error "define at most one of PK_BUILDING_SHARED and PK_USING_SHARED"
#endif
#if defined(_WIN32) && defined(PK_BUILDING_SHARED)
#define PK_API __declspec(dllexport)
#elif defined(_WIN32) && defined(PK_USING_SHARED)
#define PK_API __declspec(dllimport)
#elif defined(__GNUC__)
#define PK_API __attribute__((visibility("default")))
#else
#define PK_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------ */

/* One table produces the enum, pk_status_name() and pk_status_string().
 * Codes are never renumbered; new ones go at the end. */
#define PK_STATUS_MAP(X)                                                       \
  X(OK, "success")                                                             \
  X(ENOMEM, "out of memory")                                                   \
  X(EIO, "I/O error")                                                          \
  X(EMISUSE, "API used incorrectly")                                           \
  X(ESYNTAX, "invalid TOML")                                                   \
  X(ETYPE, "value has the wrong type")                                         \
  X(EMISSING, "required value is absent")                                      \
  X(ERANGE, "value out of range")                                              \
  X(ENOTFOUND, "not found")                                                    \
  X(EMANIFEST, "invalid plugin manifest")                                      \
  X(EDEP_MISSING, "dependency not found")                                      \
  X(EDEP_VERSION, "dependency version not satisfied")                          \
  X(EDEP_CYCLE, "dependency cycle")                                            \
  X(EABI, "plugin built for an incompatible ABI")                              \
  X(ELOAD, "shared object could not be loaded")                                \
  X(EPLUGIN, "plugin hook reported failure")                                   \
  X(ECONFIG, "invalid configuration")                                          \
  X(EDUPLICATE, "defined twice")                                               \
  X(ESTATE, "operation not valid in the current state")                        \
  X(ENOTSUP, "not supported")                                                  \
  X(ETRUST, "plugin files not trusted")

typedef enum pk_status {
#define PK__STATUS_ENUM(name, text) PK_##name,
  PK_STATUS_MAP(PK__STATUS_ENUM)
#undef PK__STATUS_ENUM
  PK_STATUS_COUNT
} pk_status;

/* A caller-owned error detail, usually on the stack.  Filling it never
 * allocates.  line/col are 1-based and 0 when the error has no position;
 * source is the file (or buffer name) the position refers to, or "".
 * plugin is "namespace:name" when a plugin is concerned, or "". */
typedef struct pk_error {
  pk_status code;     /* PK_OK when nothing failed */
  int line;           /* 1-based line of the offending input, or 0 */
  int col;            /* 1-based column (in bytes), or 0 */
  char source[256];   /* file or buffer name the position refers to */
  char plugin[128];   /* "ns:name" of the plugin concerned, or "" */
  char message[768];  /* the reason, without the position prefix */
} pk_error;

/* The symbolic name of a status, e.g. "PK_EDEP_CYCLE"; "PK_UNKNOWN" for a
 * value outside the enum.  Returns a static string.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_status_name(pk_status status);

/* A short description of a status, e.g. "dependency cycle": a static
 * string.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_status_string(pk_status status);

/* Writes "source:line:col: message" (or "message" when there is no source,
 * "source: message" when there is no line) into buf, NUL-terminated and
 * truncated to n bytes.  Returns the length the full text needs, like
 * snprintf.  [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_error_format(const pk_error *err, char *buf, size_t n);

/* Resets err to PK_OK with empty fields.  NULL is a no-op.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API void pk_error_clear(pk_error *err);

/* "Did you mean": the candidate closest to word by edit distance (adjacent
 * transpositions count one), or NULL when none is close enough to be a
 * plausible typo (at most 1 edit for words up to 3 bytes, 2 up to 6, 3
 * beyond) -- the rule behind every suggestion plugkit makes, for a host's
 * own names.  The result is one of the candidates (borrowed from the
 * caller).  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_closest(const char *word,
                              const char *const *candidates, size_t n);

/* The library version at run time ("0.1.0", a static string); compare
 * with PK_VERSION_STRING to check header and library match.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_version(void);

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/* A realloc-shaped allocator: (ud, NULL, 0, n) allocates, (ud, p, old, n)
 * resizes, (ud, p, old, 0) frees and returns NULL.  old_size is the size the
 * block was allocated with.  NULL selects libc. */
typedef void *(*pk_alloc_fn)(void *ud, void *ptr, size_t old_size,
                             size_t new_size);
#ifdef __cplusplus
}
#endif

#include "plugkit/toml.h"   /* documents and values */
#include "plugkit/config.h" /* schemas, configs and formatting */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Hosts and plugins
 *
 * pk_host_register() runs the four stages of the seed's addon manager, which
 * can also be called one by one: pk_host_request() (1: requirement texts
 * become known plugins), pk_host_import() (2: load them and what they
 * require, round after round), pk_host_resolve() (3: register hooks in layer
 * order, to a fixed point), pk_host_post_register() (4: post_register hooks
 * in the final order).  pk_host_layer_*() then give the dependency order,
 * layer by layer.  A host is used from one thread at a time during set-up.
 * ------------------------------------------------------------------------ */

typedef struct pk_host pk_host;     /* opaque */
typedef struct pk_plugin pk_plugin; /* one discovered plugin (opaque) */
struct pk_plugin_desc;              /* plugkit/plugin.h */

typedef enum pk_log_level {
  PK_LOG_DEBUG = 0,
  PK_LOG_INFO,
  PK_LOG_WARN,
  PK_LOG_ERROR
} pk_log_level;

/* Receives every log line of the library and of plugins.  plugin is
 * "ns:name" or NULL; message has no trailing newline.  Called on the thread
 * that caused the message. */
typedef void (*pk_log_fn)(void *ud, pk_log_level level, const char *plugin,
                          const char *message);

/* Tracing: what the trace callback of pk_host_options receives.  Plugin
 * events carry the plugin and hook is NULL; a hook call carries the hook's
 * name and, when it failed, the plugin that failed it.  duration_ns is
 * wall time on a monotonic clock. */
typedef enum pk_trace_event {
  PK_TRACE_LOAD = 0,      /* dlopen + descriptor checks (or a built-in's) */
  PK_TRACE_REGISTER,      /* the register hook */
  PK_TRACE_POST_REGISTER, /* the post_register hook */
  PK_TRACE_UNLOAD,        /* the unload hook */
  PK_TRACE_HOOK_CALL,     /* one pk_hook_call() */
  PK_TRACE_FACTORY        /* a type's factory building an instance */
} pk_trace_event;

typedef struct pk_trace {
  pk_trace_event event;
  const pk_plugin *plugin; /* borrowed for the callback's duration */
  const char *hook;        /* hook name (PK_TRACE_HOOK_CALL), else NULL */
  uint64_t duration_ns;
  pk_status status;        /* outcome of the step or call */
} pk_trace;

/* Called on the thread that did the work (hook calls: any thread, so the
 * callback must be thread-safe once hooks are called from several). */
typedef void (*pk_trace_fn)(void *ud, const pk_trace *event);

/* Watching plugin code: called with entering true just before the library
 * calls into a plugin's code, and with entering false just after that code
 * returned.  step says which code: PK_TRACE_LOAD (dlopen, which runs the
 * object's constructors, and the descriptor checks), PK_TRACE_REGISTER,
 * PK_TRACE_POST_REGISTER, PK_TRACE_UNLOAD (the unload hook, and the
 * dlclose that runs the object's destructors), PK_TRACE_FACTORY (a type's
 * factory building an instance).  pk_trace_event_describe() names the
 * step for a user.  Calls nest: a register hook may wake a lazy plugin, so
 * a watcher keeps a stack.  Hook calls are not watched (hosts call those
 * themselves).  A host
 * that runs plugins in a child process uses it to name the plugin and the
 * step that crashed, hung or ended that process (the CLI does).  Called
 * on the thread doing the work. */
typedef void (*pk_watch_fn)(void *ud, bool entering, pk_trace_event step,
                            const pk_plugin *plugin);

typedef struct pk_host_options {
  uint32_t size;         /* sizeof(pk_host_options) */
  pk_alloc_fn alloc;     /* NULL: libc */
  void *alloc_ud;
  pk_log_fn log;         /* NULL: messages are dropped */
  void *log_ud;
  void *userdata;        /* handed to every plugin hook (the collector) */
  bool strict;           /* a broken manifest fails discovery; warnings of
                            plugins become errors */
  bool ignore_env;       /* do not read PLUGKIT_PATH */
  pk_trace_fn trace;     /* NULL: no tracing (see "Tracing" below) */
  void *trace_ud;
  const char *cache_path; /* metadata cache file (copied), or NULL: none.
                             Discovery keeps each search path's parsed
                             manifests there and, on later starts, stats a
                             manifest instead of reading and parsing it
                             while it is unchanged.  Its directory must
                             exist; a cache that cannot be read or written
                             only costs time (see docs/cache.md).
                             Beside it, CACHE_PATH.journal records each
                             call into plugin code while it runs: a plugin
                             inside which the host died is skipped by the
                             next starts (the crash quarantine, below).
                             [since: 0.1] */
  const char *lock_file;  /* a lock file (copied; `plugkit lock` writes
                             one), or NULL: PLUGKIT_LOCK when set (unless
                             ignore_env), else none.  With a lock, a plugin
                             is loaded only when its manifest and shared
                             object have the SHA-256 the lock file lists
                             for it, checked when it is loaded; any other
                             plugin fails with PK_ETRUST naming the lock
                             file, the file and both hashes (docs/security.md
                             "Pins").  [since: 0.1] */
  bool insecure_paths;    /* load plugins from directories and files that
                             others can write or that another user owns
                             (refused by default, PK_ETRUST); also set by
                             PLUGKIT_INSECURE_PATHS=1 (unless ignore_env).
                             [since: 0.1] */
  pk_watch_fn watch;      /* NULL: none (see "Watching plugin code" above)
                             [since: 0.1] */
  void *watch_ud;
  bool crash_signals;     /* with a cache_path: while the crash journal is
                             open, the library installs sigaction
                             handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                             SIGABRT and SIGSYS that store the signal in
                             the journal record of the call the thread is
                             in, put the previous action back and let it
                             run (a handler the host had installed is
                             called; without one the process dies of the
                             signal, core dump included).  The next
                             start's quarantine warning then names the
                             signal: "crashed in its register hook: signal
                             11 (Segmentation fault)".  The handlers are
                             process-wide: installed when the first such
                             journal opens, removed when the last closes
                             (unless the host replaced them meanwhile);
                             after one fatal signal they are gone for the
                             process.  A signal inside a plugin's call
                             whose previous action is the default (the
                             host dies of it) also writes one line to
                             stderr first (write(2) only): "plugkit:
                             plugin ns:name crashed in its register hook:
                             signal 6 (Aborted); the host dies of it,
                             ... or run `plugkit quarantine clear ns:name
                             --cache CACHE_PATH`" with this cache_path.
                             Also set by PLUGKIT_CRASH_SIGNALS=1 (unless
                             ignore_env).  [since: 0.1] */
} pk_host_options;

/* ---- pins (docs/security.md "Pins") ----
 * A lock file is TOML: `version = 1` and one [[plugin]] table per plugin
 * with its `id` ("ns:name"), `manifest` and `manifest_sha256`, and, when it
 * has a shared object, `library` and `library_sha256`; a compiled-in
 * plugin has `builtin = true` and no files (it is part of the host and is
 * not checked). */

/* Writes the lock file of every plugin the host discovered (shadowed and
 * broken ones left out) to path: its files are hashed now.  The file is
 * written beside path and renamed over it.
 * [thread: host, after pk_host_discover] [fails: mem | io | state |
 * misuse] [since: 0.1] */
PK_API pk_status pk_host_write_lock(pk_host *host, const char *path,
                                    pk_error *err);

/* Compares the discovered plugins with the lock file at path, hashing
 * their files: each difference (a plugin not in the lock, one in the lock
 * but not found, a file at another path, a hash that differs) goes to diag
 * (may be NULL) with the lock file as its source, the first to err.
 * PK_ETRUST when there is one.
 * [thread: host, after pk_host_discover] [fails: mem | io | syntax |
 * config | type | missing | manifest | trust | state | misuse]
 * [since: 0.1] */
PK_API pk_status pk_host_check_lock(pk_host *host, const char *path,
                                    pk_diag *diag, pk_error *err);

/* ---- the crash quarantine (docs/security.md "Crash quarantine") ----
 * A host with a metadata cache keeps a journal beside it (CACHE.journal):
 * before each call into a plugin's code (its loading, register,
 * post_register and unload hooks, and a factory of its types) the plugin
 * and the call are written there, and cleared after.  A journal left
 * holding a call by a host that died (a signal, an exit inside the plugin)
 * puts the plugin in quarantine: the next starts skip it with a
 * PK_LOG_WARN naming it and the call, and a request for it fails with
 * PK_ETRUST, until its manifest or shared object changes (mtime or size)
 * or the quarantine is cleared.  A host with crash_signals records a
 * crash signal or an exit() in the record; when such a host ended with
 * neither (killed from outside: SIGKILL, the OOM killer), the call is a
 * strike: the next start warns, and only a second strike with the same
 * files quarantines the plugin.  The host's own code running inside a
 * plugin's call is not the plugin's (pk_host_code_enter below). */
typedef struct pk_quarantined {
  const char *plugin;   /* "ns:name" */
  const char *call;     /* the step (pk_trace_event_describe): "register
                           hook", "loading (dlopen)", ..., a factory's with
                           its type: "factory of cache type \"s3\"" */
  const char *manifest; /* its manifest then */
  int64_t since;        /* when the crash was found (seconds since 1970) */
  int signal;           /* the signal the host died of, when the host had
                           crash_signals on; else 0 (unknown) */
  const char *cause;    /* how, in words: "crashed in its register hook:
                           signal 11 (Segmentation fault)", "called exit()
                           in its ...", "ended twice inside its ...
                           without a crash signal (killed from outside?)",
                           "died in its ..." (the end is unknown) */
} pk_quarantined;
typedef void (*pk_quarantine_fn)(void *ud, const pk_quarantined *q);

/* Calls fn for each plugin in the quarantine (not those with a strike) of
 * the journal beside cache_path (a host's pk_host_options.cache_path),
 * after taking in what hosts that died left there.  cache_path must be a
 * metadata cache: a cache with no journal yet (or an empty one) has
 * nothing in quarantine (PK_OK), and a removed cache whose journal stays
 * still lists it.  Fails, changing no file, with PK_ENOTFOUND when
 * neither the cache nor its journal exists, and with PK_EIO when
 * cache_path is not a metadata cache (a directory, another file, the
 * journal itself) or its journal (CACHE.journal) is not a crash journal
 * of this version (another program's file, an older plugkit's journal:
 * left as it is; a host's start would make it anew); err->source names
 * the file and the message what to pass or do.
 * The strings are borrowed for the callback's duration.
 * [thread: any] [fails: notfound | io | misuse] [since: 0.1] */
PK_API pk_status pk_quarantine_list(const char *cache_path, pk_quarantine_fn fn,
                                    void *ud, pk_error *err);
/* Lifts the quarantine or strike of plugin ("ns:name"), or of every
 * plugin when plugin is NULL; *cleared (may be NULL) gets how many plugins
 * had one lifted (0: plugin had neither).  cache_path and its journal are
 * checked, and fail, as by pk_quarantine_list (no journal: nothing to
 * lift, PK_OK).
 * [thread: any] [fails: notfound | io | misuse] [since: 0.1] */
PK_API pk_status pk_quarantine_clear(const char *cache_path, const char *plugin,
                                     size_t *cleared, pk_error *err);

/* Whose code ends the host.  A journaled call blames its plugin for an
 * end while the thread is inside it, host code included: a function of
 * the host's that the plugin calls through a pointer the host gave it (a
 * service in pk_host_options.userdata) runs inside the plugin's call, and
 * an exit() there (the host's own choice: out of memory, a fatal error)
 * would quarantine the plugin.  pk_host_code_enter() says that the host's
 * code runs on the calling thread from now until pk_host_code_leave()
 * with the token it returned: the plugin's call in flight, if any, steps
 * aside, and an end meanwhile (exit(), a crash signal, a kill) is blamed
 * on no plugin; a call into plugin code made meanwhile is journaled as
 * usual.  The library does this itself around the host's code it calls
 * while a plugin's call may be in flight: the log, watch and trace
 * callbacks (a plugin's api->log reaches the host's log callback), the
 * code of built-in plugins (pk_host_add_builtin) and the factories of
 * the host's types (pk_host_add_type).  Enter after the plugin's
 * arguments are used (a crash on a bad pointer from the plugin is then
 * still its own), leave before returning to it; pairs nest.  No plugin
 * call in flight on the thread (or no journal): the token is NULL and
 * both do nothing.  The token is borrowed: the library's, opaque, only
 * for the matching leave.  A thread-local read and a store: cheap.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API void *pk_host_code_enter(void);
PK_API void pk_host_code_leave(void *token);

/* Plugin states.  A plugin that is not ready has a reason
 * (pk_plugin_get_reason()). */
typedef enum pk_plugin_state {
  PK_STATE_DISCOVERED = 0, /* manifest read, not requested */
  PK_STATE_SHADOWED,       /* same ns:name found earlier in the search path */
  PK_STATE_BROKEN,         /* manifest invalid */
  PK_STATE_REQUESTED,      /* known: requested or required, not loaded */
  PK_STATE_LOADED,         /* shared object open, descriptor checked */
  PK_STATE_REGISTERED,     /* register hook ran */
  PK_STATE_READY,          /* post_register hook ran */
  PK_STATE_FAILED,         /* could not load, or a hook failed */
  PK_STATE_UNLOADED        /* unload hook ran, shared object closed */
} pk_plugin_state;

/* Creates a host.  opts may be NULL (all defaults).  The caller owns *out
 * and frees it with pk_host_free().
 * [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_host_new(const pk_host_options *opts, pk_host **out,
                             pk_error *err);

/* Runs the unload hooks of every registered plugin in exact reverse
 * registration order, closes the shared objects in the same order (except
 * resident ones) and frees everything.  NULL is a no-op.
 * [thread: host] [fails: never] [since: 0.1] */
PK_API void pk_host_free(pk_host *host);

/* Accepts plugins of namespace ns whose manifest `abi` equals abi.  A host
 * that registers no namespace accepts every namespace and ABI (the CLI does
 * that).  ns is copied.  [thread: host, before discovery] [fails: mem |
 * misuse] [since: 0.1] */
PK_API pk_status pk_host_add_namespace(pk_host *host, const char *ns,
                                       uint32_t abi, pk_error *err);

/* Adds a search path, searched after PLUGKIT_PATH and earlier paths.  Each
 * immediate subdirectory holding a plugin.toml is one plugin.  dir is
 * copied.  A search path that cannot be opened at discovery (it does not
 * exist) finds nothing; it is not an error, but a PK_LOG_WARN naming it and
 * where it came from ("search path DIR (from PLUGKIT_PATH): No such file or
 * directory; no plugins found there", or "from pk_host_add_path").
 * [thread: host, before discovery] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_host_add_path(pk_host *host, const char *dir,
                                  pk_error *err);

/* Registers a plugin compiled into the host: desc (borrowed, must outlive
 * the host; NULL for a data-only plugin) and the text of its manifest
 * (copied; named "builtin:NS:NAME", or "builtin:N" without desc, in
 * positions); its `library` key, if any, is ignored.  It behaves like a
 * plugin found on disk, found before every search path.
 * [thread: host, before discovery] [fails: mem | misuse | state]
 * [since: 0.1] */
PK_API pk_status pk_host_add_builtin(pk_host *host,
                                     const struct pk_plugin_desc *desc,
                                     const char *manifest_toml,
                                     pk_error *err);

/* Scans the search paths (once; later calls do nothing).  Broken manifests
 * make their plugin PK_STATE_BROKEN; in strict mode the first one fails the
 * call.  Called implicitly by every function that needs the plugin list.
 * (PK_EMANIFEST: strict hosts only).
 * [thread: host] [fails: mem | io | manifest] [since: 0.1] */
PK_API pk_status pk_host_discover(pk_host *host, pk_error *err);

/* Stage 1: requests plugins by requirement text ("ns:name", optionally with
 * a version constraint, or "ns:__all__").  Unknown names fail at once.
 * [thread: host] [fails: mem | notfound | dep] [since: 0.1] */
PK_API pk_status pk_host_request(pk_host *host, const char *const *reqs,
                                 size_t n, pk_error *err);

/* Stage 2: loads what is requested and what it requires, breadth first,
 * until nothing new appears; checks ABI, version constraints and cycles.
 * [thread: host] [fails: mem | dep | abi | load | cycle] [since: 0.1] */
PK_API pk_status pk_host_import(pk_host *host, pk_error *err);

/* Stage 3: runs register hooks in layer order, pass after pass, importing
 * what the hooks require, until a fixed point.
 * [thread: host] [fails: mem | dep | abi | load | cycle | plugin]
 * [since: 0.1] */
PK_API pk_status pk_host_resolve(pk_host *host, pk_error *err);

/* Per-namespace argument for post_register hooks. */
typedef struct pk_ns_args {
  const char *ns;
  void *args;
} pk_ns_args;

/* Stage 4: runs post_register hooks in the final layer order; a plugin of
 * namespace X receives the args of the entry whose ns is X (or NULL).
 * Plugins become PK_STATE_READY.  [thread: host] [fails: plugin | state]
 * [since: 0.1] */
PK_API pk_status pk_host_post_register(pk_host *host, const pk_ns_args *args,
                                       size_t nargs, pk_error *err);

/* The four stages in one call: what any of them fails with.
 * [thread: host] [fails: mem | misuse | notfound | dep | version | abi |
 * load | cycle | plugin | state] [since: 0.1] */
PK_API pk_status pk_host_register(pk_host *host, const char *const *reqs,
                                  size_t n, const pk_ns_args *args,
                                  size_t nargs, pk_error *err);

/* The current dependency order: layer 0 holds plugins without requirements,
 * layer k+1 those whose highest requirement is in layer k; inside a layer,
 * the seed's depth-first post-order.  Valid after pk_host_import() and
 * until the next stage call; the plugins are borrowed until
 * pk_host_free().  [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_host_layer_count(pk_host *host);
PK_API size_t pk_host_layer_size(pk_host *host, size_t layer);
PK_API pk_plugin *pk_host_layer_plugin_at(pk_host *host, size_t layer,
                                          size_t i);

/* Every discovered plugin (including shadowed and broken ones), sorted by
 * namespace then name then search order.  Borrowed, valid until
 * pk_host_free().  [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_host_plugin_count(pk_host *host);
PK_API pk_plugin *pk_host_plugin_at(pk_host *host, size_t i);

/* Finds the active plugin "ns:name" (not a shadowed copy), borrowed until
 * pk_host_free(); NULL if none.  [thread: frozen] [fails: never]
 * [since: 0.1] */
PK_API pk_plugin *pk_host_find_plugin(pk_host *host, const char *ns_name);

/* Plugin accessors: strings borrowed until pk_host_free()
 * (pk_plugin_state_name: static).
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const char *pk_plugin_get_name(const pk_plugin *p);      /* "redis" */
PK_API const char *pk_plugin_get_namespace(const pk_plugin *p); /* "runner" */
PK_API const char *pk_plugin_get_id(const pk_plugin *p); /* "runner:redis" */
PK_API const char *pk_plugin_get_version(const pk_plugin *p); /* or "" */
PK_API const char *pk_plugin_get_description(const pk_plugin *p);
PK_API const char *pk_plugin_get_manifest_path(const pk_plugin *p);
PK_API const char *pk_plugin_get_library_path(const pk_plugin *p); /* or "" */
PK_API pk_plugin_state pk_plugin_get_state(const pk_plugin *p);
PK_API const char *pk_plugin_state_name(pk_plugin_state state);
/* Why the plugin is in its state: for failed/broken plugins the error
 * ("file:line:col: ..."), for shadowed ones the plugin that shadows it, for
 * loaded ones who required it.  Never NULL; borrowed until the plugin's
 * state changes or pk_host_free().  [thread: host] [fails: never]
 * [since: 0.1] */
PK_API const char *pk_plugin_get_reason(const pk_plugin *p);
/* The error that made it broken or failed, NULL otherwise; borrowed
 * until its state changes or pk_host_free().
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_error *pk_plugin_get_error(const pk_plugin *p);
/* The manifest's root table (NULL for a broken manifest), borrowed until
 * pk_host_free().  A manifest the metadata cache served gets its document
 * here on first use (docs/cache.md): NULL also when that cannot be made
 * (out of memory; the cache's copy damaged and the file changed since
 * discovery, said once at PK_LOG_WARN).
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_plugin_get_manifest(const pk_plugin *p);
/* The plugin's requirements as written in the manifest, then those added by
 * its register hook: i < count; borrowed until pk_host_free().
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_plugin_requirement_count(const pk_plugin *p);
PK_API const char *pk_plugin_requirement_at(const pk_plugin *p, size_t i);
/* The plugins this plugin depends on in the resolved graph, borrowed until
 * pk_host_free().  [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_plugin_dependency_count(const pk_plugin *p);
PK_API pk_plugin *pk_plugin_dependency_at(const pk_plugin *p, size_t i);
/* The layer of a plugin in the current order, or -1 when not ordered.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API int pk_plugin_get_layer(const pk_plugin *p);

/* ------------------------------------------------------------------------
 * Hooks
 *
 *   1. pk_host_declare_hook()  before pk_host_resolve(): name and call mode
 *   2. plugins add implementations from their register hook (api->hook_add
 *      in plugkit/plugin.h), with first/last/before/after hints
 *   3. pk_host_post_register() orders every hook once and freezes the
 *      registry: a contradiction in the hints fails it (PK_EDEP_CYCLE)
 *   4. pk_host_get_hook() once, then pk_hook_call() as often as needed,
 *      from any number of threads
 *
 * Order: the plugins' dependency order (a plugin's implementation after
 * those of the plugins it requires, directly or not); within that, the
 * hints.  Wrappers run around all plain implementations, outermost first,
 * ordered among themselves by the same rules.
 *
 * Threading: hooks can be called from the freeze on (post_register hooks
 * may call them); once pk_host_post_register() has returned,
 * pk_host_get_hook(), pk_hook_call() and the pk_hook_* accessors are safe
 * from any thread without a lock, as are pk_host_find_plugin() and the
 * plugin accessors ([thread: frozen]).  pk_hook_call() takes no lock and
 * allocates nothing.  pk_host_unload_plugin() and pk_host_free() need every
 * call to have returned (see there).
 * ------------------------------------------------------------------------ */

typedef struct pk_hook pk_hook; /* a declared hook (opaque) */

typedef enum pk_hook_mode {
  PK_HOOK_COLLECT = 0,     /* call every implementation, keep each result */
  PK_HOOK_FIRST_RESULT = 1 /* stop at the first implementation with one */
} pk_hook_mode;

/* Where a call puts results; caller-owned, usually on the stack.  items is
 * an array of cap slots of item_size bytes (the hook's contract says what a
 * slot holds); slot k goes to the k-th implementation that returns
 * PK_HOOK_RESULT.  When the array is full, later implementations still run
 * but get no slot.  count is set by the call. */
typedef struct pk_hook_results {
  void *items;
  size_t item_size;
  size_t cap;
  size_t count; /* out: results kept */
} pk_hook_results;

/* Declares a hook.  name is copied ([A-Za-z0-9_.-]{1,127}).  *out (may be
 * NULL) receives the handle, borrowed until pk_host_free().  Declare hooks
 * before pk_host_resolve(): an implementation of a hook that is not
 * declared when its plugin registers is a warning for that plugin (in
 * strict mode an error failing its registration).
 * [thread: host, before pk_host_post_register] [fails: mem | misuse |
 * duplicate | state] [since: 0.1] */
PK_API pk_status pk_host_declare_hook(pk_host *host, const char *name,
                                      pk_hook_mode mode, pk_hook **out,
                                      pk_error *err);

/* The declared hook called name, or NULL.  Borrowed until pk_host_free().
 * Look it up once and keep it: calls through the handle do no lookup.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API pk_hook *pk_host_get_hook(pk_host *host, const char *name);

/* Calls every implementation of hook in order (see pk_hook_mode), passing
 * args through untouched.  results may be NULL (results are then dropped).
 * Returns PK_OK, or the status of the first implementation (or wrapper)
 * that failed: the call stops there and err gets that plugin's "ns:name"
 * (err->plugin) and its message (PK_EPLUGIN, or the status it returned).
 * err is written only on failure.  Calling before pk_host_post_register()
 * has started fails with PK_ESTATE.  The first call of a hook that a lazy
 * plugin lists loads and registers that plugin, and fails with its error.
 * [thread: frozen, never concurrently with pk_host_unload_plugin or
 * pk_host_free] [fails: plugin | state | misuse | mem | load | abi]
 * [since: 0.1] */
PK_API pk_status pk_hook_call(pk_hook *hook, void *args,
                              pk_hook_results *results, pk_error *err);

/* The hook's name (borrowed until pk_host_free()) and mode.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_hook_get_name(const pk_hook *hook);
PK_API pk_hook_mode pk_hook_get_mode(const pk_hook *hook);

/* The frozen call order: wrappers first (outermost first), then the plain
 * implementations; 0 before the freeze.  pk_hook_impl_plugin_at returns the
 * plugin of entry i (borrowed until pk_host_free), NULL out of range.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_hook_impl_count(const pk_hook *hook);
PK_API pk_plugin *pk_hook_impl_plugin_at(const pk_hook *hook, size_t i);
PK_API bool pk_hook_impl_is_wrapper_at(const pk_hook *hook, size_t i);

/* The declared hooks in declaration order.  Borrowed until pk_host_free().
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_host_hook_count(pk_host *host);
PK_API pk_hook *pk_host_hook_at(pk_host *host, size_t i);

/* Unloads plugin and every loaded plugin that requires it (directly or
 * not): their implementations leave every hook's dispatch table, their
 * unload hooks run in exact reverse registration order (dependants first),
 * then their shared objects are closed in reverse load order (resident
 * ones stay mapped).  They end PK_STATE_UNLOADED; pk_host_free() does not
 * unload them again.  Unloading an unloaded plugin does nothing.
 * Rule: call it only after pk_host_post_register(), from the set-up
 * thread, while no hook call is in flight and none can start until it
 * returns; a call found in flight (e.g. an unload from inside a hook
 * implementation) fails with PK_ESTATE and changes nothing.
 * [thread: host, no hook call in flight] [fails: mem | state | misuse]
 * [since: 0.1] */
PK_API pk_status pk_host_unload_plugin(pk_host *host, pk_plugin *plugin,
                                       pk_error *err);

/* "load", "register", "post_register", "unload", "hook_call", "factory"
 * ("unknown" for any other value): static.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_trace_event_name(pk_trace_event event);
/* The step of a plugin an event is, as the library tells a user (the
 * quarantine's messages, pk_quarantined.call) and a host may (the CLI
 * names the step a plugin crashed in): "loading (dlopen)", "register
 * hook", "post_register hook", "unloading (unload hook, dlclose)", "hook
 * call", "factory"; "code" for any other value: static.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_trace_event_describe(pk_trace_event event);

/* ------------------------------------------------------------------------
 * Kinds, types, host configuration and instances
 *
 *   1. pk_host_load_description()  namespaces, kinds, hooks and the
 *      (or pk_host_add_namespace(), [defaults] schema from a TOML file
 *      pk_host_declare_kind(), pk_host_declare_hook(),
 *      pk_host_declare_defaults() in code)
 *   2. pk_host_add_type()          built-in types (kind, tag, schema, factory)
 *   3. pk_host_load_config()       the operator's file: [plugins] declares
 *                                  the plugins the host runs; every
 *                                  [plugins.ALIAS] and instance table is
 *                                  validated before any plugin code runs
 *   4. pk_host_register(host, NULL, 0, args, nargs, err)  runs them (lazy
 *                                  plugins wait for their first use)
 *   5. pk_host_get_instance()      builds [<kind table>.NAME] on first use
 *                                  (any thread), returns it afterwards
 *
 * Layering (qik-spec 3.3): a field of an instance comes from the instance
 * table, else the providing plugin's [plugins.ALIAS] section (same field
 * name in its [config]), else [defaults] (the host's defaults schema),
 * else the schema default.  Plugin types get the result bound into their
 * struct; host factories get the three configs and use
 * pk_config_coalesce*().
 * ------------------------------------------------------------------------ */

/* Declares a kind (an extension point): name ("cache"), its interface
 * version, the config table its instances live in ("caches": instance
 * NAME is [caches.NAME]; NULL: none) and the type used when a table has no
 * `type` key (NULL: `type` is required).  All copied.  Declare kinds before
 * pk_host_load_config().
 * [thread: host, before pk_host_load_config] [fails: mem | misuse |
 * duplicate] [since: 0.1] */
PK_API pk_status pk_host_declare_kind(pk_host *host, const char *name,
                                      uint32_t version, const char *table,
                                      const char *default_type,
                                      pk_error *err);

/* Declares the schema of the host config's [defaults] table (TOML text of
 * a schema table, copied), the third layer of every instance field.
 * [thread: host, before pk_host_load_config] [fails: mem | syntax | config
 * | misuse] [since: 0.1] */
PK_API pk_status pk_host_declare_defaults(pk_host *host,
                                          const char *schema_toml,
                                          pk_error *err);

/* Reads a host description file:
 *   [namespaces.runner]   abi = 1
 *   [kinds.cache]         table = "caches", version = 1, default = "local"
 *   [hooks.on_build]      mode = "collect" | "first-result"
 *   [types.cache.local]   extends = "TAG" (optional), [types.cache.local.
 *                         config] its schema: a built-in type whose code
 *                         the host adds with pk_host_add_type() (no schema
 *                         there); until then it only checks configs (the
 *                         plugkit CLI), and an instance of it is PK_ENOTSUP
 *   [defaults]            a schema table (see pk_host_declare_defaults)
 *   [tables.commands]     a table of the host's own in its config:
 *                         each = true ([commands.NAME] tables), fields =
 *                         a schema, instances = { deps = { kind = "dep",
 *                         array = true } }, host = ["KEY", ...], scalars,
 *                         one-of (docs/host-description.md)
 * and declares each as the functions above do; errors name file:line:col.
 * Once a [tables.NAME] is declared, the description describes the whole
 * config: pk_host_load_config() checks every host table and refuses a
 * top-level key that is none of [plugins], [defaults] (with a schema), a
 * kind's table or a host table.
 * [thread: host, before discovery] [fails: mem | io | syntax | config |
 * duplicate | notfound] [since: 0.1] */
PK_API pk_status pk_host_load_description(pk_host *host, const char *path,
                                          pk_error *err);

/* Checks value as the host table name of the description ([tables.NAME]):
 * the check pk_host_load_config() makes of the config's [NAME], for the
 * same table found elsewhere (a fragment, another file of the host).
 * Every problem goes to diag (may be NULL), the first to err, with
 * file:line:col; instance fields are checked as written (no formatting).
 * Runs no plugin code.  PK_ENOTFOUND when the description has no
 * [tables.NAME].
 * [thread: host] [fails: mem | misuse | notfound | config | type |
 * missing | range] [since: 0.1] */
PK_API pk_status pk_host_check_table(pk_host *host, const char *name,
                                     const pk_value *value, pk_diag *diag,
                                     pk_error *err);

/* The field schema of host table name ([tables.NAME]'s fields: of each
 * [NAME.KEY] table when each = true), for the host to decode its tables
 * with; NULL when there is none.  Borrowed until pk_host_free().
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_schema *pk_host_get_table_schema(pk_host *host,
                                                 const char *name);

/* What a host factory receives.  Borrowed for the call, except config,
 * plugin_config and defaults, which live as long as the instance. */
typedef struct pk_instance_args {
  uint32_t size;                 /* sizeof(pk_instance_args) */
  const char *kind;              /* "cache" */
  const char *tag;               /* the type's tag */
  const char *name;              /* the instance's name */
  const pk_config *config;       /* the instance table, decoded */
  const pk_config *plugin_config;/* [plugins.ALIAS] of the providing
                                    plugin, or NULL (a built-in type) */
  const pk_config *defaults;     /* [defaults], or NULL */
  void *base;                    /* the base instance (extends), or NULL */
  void *host_userdata;           /* pk_host_options.userdata */
  void *data;                    /* pk_type_options.data */
} pk_instance_args;

/* Returns PK_OK with *out set, or a status with err filled (the library
 * adds the instance's table position when the factory gives none). */
typedef pk_status (*pk_factory_fn)(const pk_instance_args *args, void **out,
                                   pk_error *err);
typedef void (*pk_instance_destroy_fn)(void *data, void *instance);

/* A built-in type.  Use designated initializers. */
typedef struct pk_type_options {
  uint32_t size;           /* sizeof(pk_type_options) */
  const char *kind;        /* a declared kind */
  const char *tag;         /* [A-Za-z0-9_.-]{1,127} */
  const char *extends;     /* base type's tag in the same kind, or NULL */
  const char *schema_toml; /* the schema as TOML text (copied), or NULL */
  const pk_schema *schema; /* or a schema (borrowed; must outlive host) */
  pk_factory_fn factory;   /* required */
  pk_instance_destroy_fn destroy; /* may be NULL */
  void *data;
} pk_type_options;

/* Registers a built-in type.  A tag already registered in the kind (by
 * the host or a plugin's manifest) is PK_EDUPLICATE naming both providers,
 * except a type the host description declares: the call adds its code
 * (factory, destroy, data; no schema, the same extends).
 * [thread: host, before pk_host_load_config] [fails: mem | misuse |
 * notfound | duplicate | config] [since: 0.1] */
PK_API pk_status pk_host_add_type(pk_host *host, const pk_type_options *type,
                                  pk_error *err);

/* Sets the formatting variables for format = true fields of instances and
 * of [plugins.ALIAS] sections (borrowed; must outlive the host; without
 * one, format fields stay as written).
 * [thread: host, before pk_host_load_config] [fails: never] [since: 0.1] */
PK_API void pk_host_set_ctx(pk_host *host, const pk_ctx *ctx);

/* Loads the host config (a TOML file; pk_host_load_config_text takes
 * text named source).  [plugins]: ALIAS = "ns:name" or [plugins.ALIAS]
 * with plugin = "ns:name" and the plugin's own settings.  Checks, before
 * any plugin code runs: each declared plugin is installed (else the
 * installed plugins, closest first), no plugin under two aliases, each
 * [plugins.ALIAS] table against the plugin's [config] (a plugin without
 * [config] accepts no settings), [defaults], and every instance table of
 * every kind (type known, table decoded by its schema).  Every problem
 * goes to diag (may be NULL), the first to err, all with file:line:col.
 * Then requests the declared plugins (pk_host_request); run them with
 * pk_host_register(host, NULL, 0, ...).  Once per host; the document stays
 * with the host.  Reads each declared plugin's `fragment` file.
 * [thread: host, before pk_host_import] [fails: mem | io | syntax |
 * config | type | missing | range | notfound | duplicate | state]
 * [since: 0.1] */
PK_API pk_status pk_host_load_config(pk_host *host, const char *path,
                                     pk_diag *diag, pk_error *err);
PK_API pk_status pk_host_load_config_text(pk_host *host, const char *text,
                                          size_t len, const char *source,
                                          pk_diag *diag, pk_error *err);
/* The same for a document the host has parsed itself (to read its own
 * tables first, such as the variables it gives pk_host_set_ctx()): the
 * host takes doc, also when the call fails, and frees it in
 * pk_host_free(); the caller may read it until then.
 * [thread: host, before pk_host_import] [fails: mem | config | type |
 * missing | range | notfound | duplicate | state | misuse] [since: 0.1] */
PK_API pk_status pk_host_load_config_doc(pk_host *host, pk_doc *doc,
                                         pk_diag *diag, pk_error *err);

/* The plugin declared under alias, NULL if none; a plugin's alias (NULL
 * when not declared); the decoded [plugins.ALIAS] section (every field at
 * its default for ALIAS = "ns:name"), NULL when not declared.  Borrowed
 * until pk_host_free().  [thread: frozen] [fails: never] [since: 0.1] */
PK_API pk_plugin *pk_host_find_alias(pk_host *host, const char *alias);
PK_API const char *pk_plugin_get_alias(const pk_plugin *p);
PK_API const pk_config *pk_plugin_get_config(const pk_plugin *p);

/* The instance of kind named name, built on first use: its table is
 * [<kind table>.name]; `type` selects the type (the kind's default when
 * absent); the table is decoded by the type's schema (format fields with
 * the host's ctx); the factory gets it with the base instance (extends)
 * and the host userdata.  A lazy plugin providing the type is loaded,
 * registered and post-registered first.  Once per (kind, name), also
 * when many threads ask at once; a failure is remembered and returned
 * again.  An unknown tag names the table's position, the known tags and,
 * when an installed but undeclared plugin provides it, the [plugins] line
 * enabling it.  *out is borrowed until pk_host_free(), which destroys
 * instances newest first before the unload hooks.
 * [thread: frozen] [fails: notfound | config | type | missing | range |
 * load | plugin | state | mem | misuse] [since: 0.1] */
PK_API pk_status pk_host_get_instance(pk_host *host, const char *kind,
                                      const char *name, void **out,
                                      pk_error *err);

/* ---- instances of inline tables ----
 * An instance whose table sits anywhere in a document rather than under
 * its kind's table: a dependency written inline in a command,
 *   deps = [{ type = "cinclude", path = "src/main.c" }]
 * label names it in messages ("commands.build.deps[1]"). */
typedef struct pk_instance pk_instance; /* caller-owned (opaque) */

/* Checks table as an instance of kind without building it: the type is
 * known (the kind's default when `type` is absent) and the table decodes
 * by its schema (format fields with the host's ctx).  Every problem goes
 * to diag (may be NULL), the first to err, with file:line:col.  Runs no
 * plugin code: call it after pk_host_load_config, before registering.
 * [thread: host] [fails: mem | misuse | notfound | config | type | missing
 * | range] [since: 0.1] */
PK_API pk_status pk_host_check_instance(pk_host *host, const char *kind,
                                        const char *label,
                                        const pk_value *table, pk_diag *diag,
                                        pk_error *err);

/* Builds a new instance of kind from table, as pk_host_get_instance does
 * for a named one (type, decoding, layering, base instance, a lazy plugin
 * woken) but on every call: the caller owns it.  Free it with
 * pk_instance_free() before pk_host_free().
 * [thread: frozen] [fails: notfound | config | type | missing | range |
 * load | plugin | mem | misuse] [since: 0.1] */
PK_API pk_status pk_host_make_instance(pk_host *host, const char *kind,
                                       const char *label,
                                       const pk_value *table,
                                       pk_instance **out, pk_error *err);
/* The object the factory built (borrowed until pk_instance_free()); NULL
 * for NULL.  [thread: any] [fails: never] [since: 0.1] */
PK_API void *pk_instance_get(const pk_instance *inst);
/* Destroys it (the type's destroy, then its bases); NULL is a no-op.
 * [thread: any, once] [fails: never] [since: 0.1] */
PK_API void pk_instance_free(pk_instance *inst);

/* ---- contributed config (fragments) ----
 * A plugin's manifest may name `fragment = "commands.toml"`, a TOML file
 * in its directory.  Entries are the tables under a section of it
 * ([commands.NAME]); `hidden = true` entries are skipped by the iteration
 * but found by name.  Borrowed until pk_host_free(). */

/* The fragment's root table of the plugin declared under alias, or NULL;
 * borrowed until pk_host_free().
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_host_get_fragment(pk_host *host,
                                            const char *alias);
/* The i-th entry not hidden of section across every declared plugin, in
 * declaration order, then the entry order of each fragment: its address
 * "ALIAS/NAME" (in *address, a buffer of n bytes) and its table, borrowed
 * until pk_host_free(); NULL past the end.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_host_fragment_entry_at(pk_host *host,
                                                 const char *section,
                                                 size_t i, char *address,
                                                 size_t n);
/* The entry at address "ALIAS.NAME" or "ALIAS/NAME" (split at the last
 * '/', else the last '.'), hidden or not, borrowed until pk_host_free();
 * NULL when unknown.  [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_host_find_fragment_entry(pk_host *host,
                                                   const char *section,
                                                   const char *address);

#ifdef __cplusplus
}
#endif

#endif /* PLUGKIT_H */
