/* plugkit.h -- discover, order, load and configure plugins from C.
 * SPDX-License-Identifier: MIT
 *
 * If it is not declared here or in plugkit/plugin.h, it is not API.
 *
 * USAGE
 *   1. pk_doc_load_file()     read a TOML file into a document (any config)
 *   2. pk_doc_root()          walk it: pk_table_get(), pk_array_at(), ...
 *   3. pk_table_get_string()  typed getters fail with file:line:col and both
 *      ... _or() forms           type names; the _or forms take a default
 *   4. pk_doc_free()          release the document and every value in it
 *
 * Conventions
 *   - Every fallible function returns pk_status (PK_OK == 0) and takes a
 *     pk_error *err last; err may be NULL.  The library never prints, exits
 *     or aborts because of bad input.
 *   - Pointers returned by _get_ functions are borrowed; the comment says
 *     until when they stay valid.  Functions named _new/_dup return memory
 *     the caller owns.
 *   - Each declaration ends with tags: [thread: ...] [fails: ...] [since: ...]
 *     defined in docs/DESIGN.md ("Threading").
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
  X(ENOTSUP, "not supported")

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

/* A short description of a status, e.g. "dependency cycle".  Static string.
 * [thread: any] [fails: never] [since: 0.1] */
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
 * own names.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_closest(const char *word,
                              const char *const *candidates, size_t n);

/* The library version at run time ("0.1.0"); compare with PK_VERSION_STRING
 * to check header and library match.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_version(void);

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/* A realloc-shaped allocator: (ud, NULL, 0, n) allocates, (ud, p, old, n)
 * resizes, (ud, p, old, 0) frees and returns NULL.  old_size is the size the
 * block was allocated with.  NULL selects libc. */
typedef void *(*pk_alloc_fn)(void *ud, void *ptr, size_t old_size,
                             size_t new_size);

/* ------------------------------------------------------------------------
 * TOML documents and values
 * ------------------------------------------------------------------------ */

typedef struct pk_doc pk_doc;     /* a parsed TOML document (opaque) */
typedef struct pk_value pk_value; /* one value inside a document (opaque) */

typedef enum pk_kind {
  PK_KIND_TABLE = 1,
  PK_KIND_ARRAY,
  PK_KIND_STRING,
  PK_KIND_INTEGER,
  PK_KIND_FLOAT,
  PK_KIND_BOOL,
  PK_KIND_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  PK_KIND_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
  PK_KIND_DATE_LOCAL,     /* 1979-05-27 */
  PK_KIND_TIME_LOCAL      /* 07:32:00 */
} pk_kind;

typedef enum pk_toml_version {
  PK_TOML_DEFAULT = 0, /* TOML 1.1.0 */
  PK_TOML_1_0 = 100,   /* TOML 1.0.0: 1.1-only syntax is rejected */
  PK_TOML_1_1 = 110
} pk_toml_version;

/* A date, a time or both.  Which fields are meaningful follows the kind:
 * dates have year/month/day, times hour/minute/second/nanosecond, and only
 * PK_KIND_DATETIME has offset_minutes (0 for "Z"). */
typedef struct pk_datetime {
  pk_kind kind;
  int year, month, day;
  int hour, minute, second;
  int nanosecond;     /* 0..999999999 */
  int offset_minutes; /* east of UTC, e.g. -420 for -07:00 */
  int precision;      /* digits of the fraction as written (0..9) */
} pk_datetime;

/* A source position.  source is borrowed from the document that holds the
 * value; line and col are 1-based. */
typedef struct pk_pos {
  const char *source;
  int line;
  int col;
} pk_pos;

/* The size limit of a document's text when pk_doc_options.max_size is 0
 * (or absent): 64 MiB.  Every file the library reads itself (manifests,
 * fragments, host descriptions, configs) is held to it. */
#define PK_DOC_MAX_SIZE_DEFAULT ((size_t)64 << 20)

/* Options for parsing; a NULL options pointer means all defaults.  Set size
 * to sizeof(pk_doc_options) so the struct can grow (a caller built with the
 * first four fields, size 24 on LP64, gets the default max_size).
 *
 * max_size bounds what a document can cost: a text over max_size bytes is
 * refused before it is read (PK_ERANGE, "SOURCE: document too large: N
 * bytes (the limit is M bytes; ...)"), and reading one may take at most 4
 * times max_size plus 1 MiB of memory besides its text (its values, their
 * indexes, the line table), so that a hostile text (an array of small
 * integers takes 13 times its size) fails with PK_ERANGE at
 * "SOURCE:LINE:COL: document too large: ..." instead of using more.
 * Documents are limited to 4 GiB in any case. */
typedef struct pk_doc_options {
  uint32_t size;           /* sizeof(pk_doc_options) */
  pk_toml_version version; /* PK_TOML_DEFAULT: 1.1.0 */
  pk_alloc_fn alloc;       /* NULL: libc */
  void *alloc_ud;          /* passed to alloc */
  size_t max_size;         /* bytes of text; 0: PK_DOC_MAX_SIZE_DEFAULT */
} pk_doc_options;

/* Parses len bytes of TOML.  source_name names the text in positions and
 * errors (NULL: "<buffer>").  The text is copied; the caller may free it at
 * once.  On success *out is a new document the caller frees with
 * pk_doc_free(); on failure *out is NULL and err holds the first problem with
 * its exact line and column (PK_ERANGE: over the limits of max_size).
 * [thread: any] [fails: mem | syntax | range] [since: 0.1] */
PK_API pk_status pk_doc_parse(const char *text, size_t len,
                              const char *source_name,
                              const pk_doc_options *opts, pk_doc **out,
                              pk_error *err);

/* Reads and parses a TOML file ("-" reads standard input).  Like
 * pk_doc_parse(); the file's path names positions.  The file must be a
 * regular file: a FIFO, a device or a directory at path is refused with
 * PK_EIO ("PATH: not a regular file but a FIFO; ...") without blocking or
 * reading from it; a file over max_size bytes is refused with PK_ERANGE
 * before it is read.  Standard input is read up to max_size bytes.
 * [thread: any] [fails: mem | io | syntax | range] [since: 0.1] */
PK_API pk_status pk_doc_load_file(const char *path, const pk_doc_options *opts,
                                  pk_doc **out, pk_error *err);

/* Releases a document and every value, key and string in it.  NULL is a
 * no-op.  [thread: any, not concurrently with readers of doc] [fails: never]
 * [since: 0.1] */
PK_API void pk_doc_free(pk_doc *doc);

/* The root table.  Borrowed, valid until pk_doc_free(doc).
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_doc_root(const pk_doc *doc);

/* The name positions in doc refer to (the path or source_name).  Borrowed,
 * valid until pk_doc_free(doc).  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_doc_source(const pk_doc *doc);

/* Everything below reads a document.  Documents are immutable: any number of
 * threads may read one at once.  All returned pointers are borrowed and valid
 * until pk_doc_free() of the document that holds the value. */

/* The kind of a value.  [thread: any] [fails: never] [since: 0.1] */
PK_API pk_kind pk_value_kind(const pk_value *v);

/* The TOML name of a kind: "table", "array", "string", "integer", "float",
 * "boolean", "offset date-time", "local date-time", "local date",
 * "local time".  Static string.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_kind_name(pk_kind kind);

/* Where a value starts in its source (for a table: its header, or the first
 * key that created it).  [thread: any] [fails: never] [since: 0.1] */
PK_API pk_pos pk_value_pos(const pk_value *v);

/* Number of keys of a table, in insertion order; 0 if v is not a table.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_table_count(const pk_value *table);

/* The i-th key of a table (insertion order), NUL-terminated; *len (if not
 * NULL) gets its length in bytes (keys may contain NUL written as \u0000).
 * NULL when i is out of range.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_table_key_at(const pk_value *table, size_t i,
                                   size_t *len);

/* The i-th value of a table, NULL when out of range.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_table_value_at(const pk_value *table, size_t i);

/* The position of the i-th key of a table.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API pk_pos pk_table_key_pos_at(const pk_value *table, size_t i);

/* Looks a key up in O(1) on average.  NULL when absent or when table is not
 * a table.  pk_table_getn takes a key of len bytes.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_table_get(const pk_value *table, const char *key);
PK_API const pk_value *pk_table_getn(const pk_value *table, const char *key,
                                     size_t len);

/* Number of items of an array; 0 if v is not an array.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_array_count(const pk_value *array);

/* The i-th item of an array, NULL when out of range.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_array_at(const pk_value *array, size_t i);

/* Typed getters on a value.  On a kind mismatch they fail with PK_ETYPE and
 * a message such as "runner.toml:3:9: expected a string, found an integer"
 * (err carries source, line and col).  *len (if not NULL) receives a
 * string's length; strings are NUL-terminated and may contain NUL bytes.
 * pk_value_get_float accepts only floats; pk_value_get_datetime accepts all
 * four date/time kinds.
 * [thread: any] [fails: type] [since: 0.1] */
PK_API pk_status pk_value_get_string(const pk_value *v, const char **out,
                                     size_t *len, pk_error *err);
PK_API pk_status pk_value_get_integer(const pk_value *v, int64_t *out,
                                      pk_error *err);
PK_API pk_status pk_value_get_float(const pk_value *v, double *out,
                                    pk_error *err);
PK_API pk_status pk_value_get_bool(const pk_value *v, bool *out,
                                   pk_error *err);
PK_API pk_status pk_value_get_datetime(const pk_value *v, pk_datetime *out,
                                       pk_error *err);

/* Typed getters on a table key.  A missing key fails with PK_EMISSING and
 * the table's position ("missing required key \"port\" in table started
 * here"); a wrong kind fails with PK_ETYPE and the value's position.
 * [thread: any] [fails: missing | type] [since: 0.1] */
PK_API pk_status pk_table_get_string(const pk_value *table, const char *key,
                                     const char **out, pk_error *err);
PK_API pk_status pk_table_get_integer(const pk_value *table, const char *key,
                                      int64_t *out, pk_error *err);
PK_API pk_status pk_table_get_float(const pk_value *table, const char *key,
                                    double *out, pk_error *err);
PK_API pk_status pk_table_get_bool(const pk_value *table, const char *key,
                                   bool *out, pk_error *err);
PK_API pk_status pk_table_get_datetime(const pk_value *table, const char *key,
                                       pk_datetime *out, pk_error *err);
/* Returns the table or array under key; PK_ETYPE when it is something else. */
PK_API pk_status pk_table_get_table(const pk_value *table, const char *key,
                                    const pk_value **out, pk_error *err);
PK_API pk_status pk_table_get_array(const pk_value *table, const char *key,
                                    const pk_value **out, pk_error *err);

/* The same with a default: a missing key stores dflt and returns PK_OK; a
 * present key of the wrong kind still fails with PK_ETYPE.
 * [thread: any] [fails: type] [since: 0.1] */
PK_API pk_status pk_table_get_string_or(const pk_value *table, const char *key,
                                        const char *dflt, const char **out,
                                        pk_error *err);
PK_API pk_status pk_table_get_integer_or(const pk_value *table,
                                         const char *key, int64_t dflt,
                                         int64_t *out, pk_error *err);
PK_API pk_status pk_table_get_float_or(const pk_value *table, const char *key,
                                       double dflt, double *out,
                                       pk_error *err);
PK_API pk_status pk_table_get_bool_or(const pk_value *table, const char *key,
                                      bool dflt, bool *out, pk_error *err);


/* ------------------------------------------------------------------------
 * Hosts and plugins
 *
 *   1. pk_host_new()            options: allocator, log, userdata, strict
 *   2. pk_host_add_namespace()  the plugin families this host accepts
 *      pk_host_add_path()       where to look (PLUGKIT_PATH is searched first)
 *      pk_host_add_builtin()    plugins compiled into the host
 *   3. pk_host_register()       request plugins; import, resolve (register
 *                               hooks, to a fixed point), post_register
 *      or the stages one by one: pk_host_request(), pk_host_import(),
 *      pk_host_resolve(), pk_host_post_register()
 *   4. pk_host_layer_*()        the dependency order, layer by layer
 *   5. pk_host_free()           unload hooks in reverse order, dlclose
 *
 * A host is used from one thread at a time during set-up (steps 1 to 3).
 * ------------------------------------------------------------------------ */

typedef struct pk_host pk_host;     /* opaque */
typedef struct pk_plugin pk_plugin; /* one discovered plugin (opaque) */

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
  PK_TRACE_HOOK_CALL      /* one pk_hook_call() */
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
                             [since: 0.1] */
} pk_host_options;

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

/* Creates a host.  opts may be NULL (all defaults).  *out is freed with
 * pk_host_free().  [thread: any] [fails: mem | misuse] [since: 0.1] */
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
 * directory; no plugins found there", or "from pk_host_add_path").  [thread: host, before discovery] [fails: mem | misuse]
 * [since: 0.1] */
PK_API pk_status pk_host_add_path(pk_host *host, const char *dir,
                                  pk_error *err);

/* Registers a plugin compiled into the host: desc (borrowed, must outlive
 * the host; NULL for a data-only plugin) and the text of its manifest
 * (copied; named "builtin:NS:NAME", or "builtin:N" without desc, in
 * positions); its `library` key, if any, is ignored.  It behaves like a plugin found on disk, found before every
 * search path.  [thread: host, before discovery] [fails: mem | manifest |
 * abi] [since: 0.1] */
struct pk_plugin_desc;
PK_API pk_status pk_host_add_builtin(pk_host *host,
                                     const struct pk_plugin_desc *desc,
                                     const char *manifest_toml,
                                     pk_error *err);

/* Scans the search paths (once; later calls do nothing).  Broken manifests
 * make their plugin PK_STATE_BROKEN; in strict mode the first one fails the
 * call.  Called implicitly by every function that needs the plugin list.
 * [thread: host] [fails: mem | io | manifest (strict)] [since: 0.1] */
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

/* The four stages in one call.  [thread: host] [fails: see the stages]
 * [since: 0.1] */
PK_API pk_status pk_host_register(pk_host *host, const char *const *reqs,
                                  size_t n, const pk_ns_args *args,
                                  size_t nargs, pk_error *err);

/* The current dependency order: layer 0 holds plugins without requirements,
 * layer k+1 those whose highest requirement is in layer k; inside a layer,
 * the seed's depth-first post-order.  Valid after pk_host_import() and
 * until the next stage call.  [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_host_layer_count(pk_host *host);
PK_API size_t pk_host_layer_size(pk_host *host, size_t layer);
PK_API pk_plugin *pk_host_layer_plugin(pk_host *host, size_t layer,
                                       size_t i);

/* Every discovered plugin (including shadowed and broken ones), sorted by
 * namespace then name then search order.  Borrowed, valid until
 * pk_host_free().  [thread: frozen] [fails: never] [since: 0.1] */
PK_API size_t pk_host_plugin_count(pk_host *host);
PK_API pk_plugin *pk_host_plugin_at(pk_host *host, size_t i);

/* Finds the active plugin "ns:name" (not a shadowed copy); NULL if none.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API pk_plugin *pk_host_find_plugin(pk_host *host, const char *ns_name);

/* Plugin accessors: strings borrowed until pk_host_free().
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
/* The error that made it broken or failed; NULL otherwise. */
PK_API const pk_error *pk_plugin_get_error(const pk_plugin *p);
/* The manifest's root table (NULL for a broken manifest). */
PK_API const pk_value *pk_plugin_get_manifest(const pk_plugin *p);
/* The plugin's requirements as written in the manifest, then those added by
 * its register hook: i < count. */
PK_API size_t pk_plugin_requirement_count(const pk_plugin *p);
PK_API const char *pk_plugin_requirement_at(const pk_plugin *p, size_t i);
/* The plugins this plugin depends on in the resolved graph. */
PK_API size_t pk_plugin_dependency_count(const pk_plugin *p);
PK_API pk_plugin *pk_plugin_dependency_at(const pk_plugin *p, size_t i);
/* The layer of a plugin in the current order, or -1 when not ordered. */
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
 * Threading: after the freeze, pk_host_get_hook(), pk_hook_call() and the
 * pk_hook_* accessors are safe from any thread without a lock, as are
 * pk_host_find_plugin() and the plugin accessors.  pk_hook_call() takes no
 * lock and allocates nothing.  pk_host_unload_plugin() and pk_host_free()
 * need every call to have returned (see there).
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
 * NULL) receives the handle, valid until pk_host_free().  Declare hooks
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
 * [thread: any after the freeze, host before] [fails: never] [since: 0.1] */
PK_API pk_hook *pk_host_get_hook(pk_host *host, const char *name);

/* Calls every implementation of hook in order (see pk_hook_mode), passing
 * args through untouched.  results may be NULL (results are then dropped).
 * Returns PK_OK, or the status of the first implementation (or wrapper)
 * that failed: the call stops there and err gets that plugin's "ns:name"
 * (err->plugin) and its message.  err is written only on failure.  Calling
 * before pk_host_post_register() has started fails with PK_ESTATE.
 * [thread: any after the freeze; never concurrently with
 * pk_host_unload_plugin or pk_host_free] [fails: plugin | state]
 * [since: 0.1] */
PK_API pk_status pk_hook_call(pk_hook *hook, void *args,
                              pk_hook_results *results, pk_error *err);

/* The hook's name and mode.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_hook_get_name(const pk_hook *hook);
PK_API pk_hook_mode pk_hook_get_mode(const pk_hook *hook);

/* The frozen call order: wrappers first (outermost first), then the plain
 * implementations; 0 before the freeze.  pk_hook_impl_plugin returns the
 * plugin of entry i (borrowed until pk_host_free), NULL out of range.
 * [thread: any after the freeze] [fails: never] [since: 0.1] */
PK_API size_t pk_hook_impl_count(const pk_hook *hook);
PK_API pk_plugin *pk_hook_impl_plugin(const pk_hook *hook, size_t i);
PK_API bool pk_hook_impl_is_wrapper(const pk_hook *hook, size_t i);

/* The declared hooks in declaration order.  Borrowed until pk_host_free().
 * [thread: any after the freeze, host before] [fails: never] [since: 0.1] */
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

/* "load", "register", "post_register", "unload", "hook_call".
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_trace_event_name(pk_trace_event event);

/* ------------------------------------------------------------------------
 * Configuration schemas
 *
 *   1. pk_schema_new()         a field schema from a TOML table, such as a
 *                              manifest's [config] or [provides.config];
 *                              every property is checked, with positions
 *   2. pk_schema_decode()      a config table -> an immutable pk_config; every
 *                              problem goes to a pk_diag, the first to err
 *   3. pk_config_get_*()       typed getters by field name: an UNSET optional
 *                              field is PK_EMISSING, distinct from false, 0
 *                              and ""; or pk_config_bind(): every field into
 *                              a C struct in one call
 *   4. pk_config_coalesce*()   the first set value of several layers
 *                              (per-object, plugin, [defaults], schema
 *                              default)
 *   5. pk_format()             {ctx.NAME}, {env.NAME}, {{ and }} with a pk_ctx
 *                              of host variables; fields with format = true
 *                              are formatted by pk_schema_decode()
 *
 * The field syntax is in docs/manifest.md ("Config schemas"):
 *
 *   retries = { type = "integer", min = 0, max = 10, default = 3 }
 *   mode = { type = "enum", choices = ["fast", "safe"], default = "safe" }
 *   limits = { type = "table", fields = { read = { type = "integer" } } }
 *
 * A field is required unless it has a default or optional = true (which may
 * stay UNSET).  Keys are matched as written (kebab-case; no snake_case
 * aliasing).
 *
 * Lifetimes: a schema borrows from the document that holds its table; a
 * config borrows from its schema and from the document of the decoded
 * table.  Free configs before their schema, schemas before their document.
 * Schemas and configs are immutable: any number of threads may read them.
 * ------------------------------------------------------------------------ */

typedef struct pk_schema pk_schema; /* a validated field schema (opaque) */
typedef struct pk_field pk_field;   /* one field of a schema (opaque) */
typedef struct pk_config pk_config; /* a decoded config table (opaque) */
typedef struct pk_diag pk_diag;     /* a list of problems (opaque) */
typedef struct pk_ctx pk_ctx;       /* formatting variables (opaque) */

typedef enum pk_field_type {
  PK_FIELD_STRING = 1, /* "string" */
  PK_FIELD_INTEGER,    /* "integer": int64 */
  PK_FIELD_FLOAT,      /* "float": double; integers are not floats */
  PK_FIELD_BOOL,       /* "boolean" */
  PK_FIELD_DATETIME,   /* "datetime": any of the four TOML date/time kinds */
  PK_FIELD_ENUM,       /* "enum": a string among `choices` */
  PK_FIELD_ARRAY,      /* "array": items of the scalar type `items` */
  PK_FIELD_TABLE       /* "table": a nested schema, `fields` */
} pk_field_type;

/* Where a decoded field's value comes from. */
typedef enum pk_origin {
  PK_ORIGIN_UNSET = 0, /* an optional field that is absent: no value */
  PK_ORIGIN_DEFAULT,   /* absent: the schema's default (or, for a table
                          field, a table decoded from {}) */
  PK_ORIGIN_TABLE      /* written in the decoded table */
} pk_origin;

/* Options for pk_schema_new(); NULL means all defaults.  Set size to
 * sizeof(pk_schema_options).  The allocator serves the schema and every
 * config decoded by it. */
typedef struct pk_schema_options {
  uint32_t size;     /* sizeof(pk_schema_options) */
  pk_alloc_fn alloc; /* NULL: libc */
  void *alloc_ud;    /* passed to alloc */
} pk_schema_options;

/* Builds a schema from table, whose keys are field names (1 to 127 of
 * [A-Za-z0-9_-]) and whose values are field tables.  Every property is
 * checked: an unknown property (with the closest one suggested), an unknown
 * type (the valid ones listed), a property that does not apply to the type,
 * min above max, empty or repeated choices, a default that does not decode
 * by the field itself, contradicting required/optional/default.  The first
 * problem fails the call with PK_ECONFIG at the offending key or value.
 * The schema borrows from table's document (names, docs, defaults), which
 * must outlive it.  *out is freed with pk_schema_free().
 * [thread: any] [fails: mem | config | misuse] [since: 0.1] */
PK_API pk_status pk_schema_new(const pk_value *table,
                               const pk_schema_options *opts, pk_schema **out,
                               pk_error *err);

/* Frees a schema; every config decoded by it must be freed first.  NULL is
 * a no-op.  [thread: any, not concurrently with users of schema]
 * [fails: never] [since: 0.1] */
PK_API void pk_schema_free(pk_schema *schema);

/* Introspection (plugkit info).  Fields come in the order written;
 * pk_schema_find_field() is O(1) and returns NULL for an unknown name.
 * pk_schema_get_pos() is the position of the schema's table.  Returned
 * pointers are borrowed until pk_schema_free().
 * [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_schema_field_count(const pk_schema *schema);
PK_API const pk_field *pk_schema_field_at(const pk_schema *schema, size_t i);
PK_API const pk_field *pk_schema_find_field(const pk_schema *schema,
                                            const char *name);
PK_API pk_pos pk_schema_get_pos(const pk_schema *schema);

/* A field's properties.  get_pos: where its name is written.  get_items:
 * the item type of an array field (0 otherwise).  get_doc: "" when none.
 * get_default: the default as written, NULL when none.  is_required: absent
 * is an error; is_optional: absent leaves it UNSET.  get_min/get_max: the
 * bounds as written (integer or float values), NULL when none.
 * choice_count/choice_at: the choices of an enum, in order.  get_fields: the
 * nested schema of a table field, NULL otherwise.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_field_get_name(const pk_field *field);
PK_API pk_field_type pk_field_get_type(const pk_field *field);
PK_API pk_field_type pk_field_get_items(const pk_field *field);
PK_API const char *pk_field_get_doc(const pk_field *field);
PK_API const pk_value *pk_field_get_default(const pk_field *field);
PK_API bool pk_field_is_required(const pk_field *field);
PK_API bool pk_field_is_optional(const pk_field *field);
PK_API bool pk_field_is_format(const pk_field *field);
PK_API const pk_value *pk_field_get_min(const pk_field *field);
PK_API const pk_value *pk_field_get_max(const pk_field *field);
PK_API size_t pk_field_choice_count(const pk_field *field);
PK_API const char *pk_field_choice_at(const pk_field *field, size_t i);
PK_API const pk_schema *pk_field_get_fields(const pk_field *field);
PK_API pk_pos pk_field_get_pos(const pk_field *field);

/* The name of a field type as written in schemas ("string", ... "table");
 * "unknown" outside the enum.  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_field_type_name(pk_field_type type);

/* ---- diagnostics ---- */

/* Options for pk_diag_new(); NULL means all defaults. */
typedef struct pk_diag_options {
  uint32_t size;     /* sizeof(pk_diag_options) */
  pk_alloc_fn alloc; /* NULL: libc */
  void *alloc_ud;
  size_t max;        /* keep at most this many problems (0: no limit); the
                        rest are counted by pk_diag_dropped() */
} pk_diag_options;

/* A list of problems, each a full pk_error with its position, in the order
 * found.  Decoding appends to it, so one list can collect the problems of
 * many tables (plugkit config check).  *out is freed with pk_diag_free().
 * [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_diag_new(const pk_diag_options *opts, pk_diag **out,
                             pk_error *err);
/* NULL is a no-op.  [thread: any, not concurrently with users of diag]
 * [fails: never] [since: 0.1] */
PK_API void pk_diag_free(pk_diag *diag);
/* The number of problems kept, and the i-th (borrowed until the next call
 * that changes diag; NULL out of range).  A NULL diag has none.
 * [thread: any, not concurrently with writers of diag] [fails: never]
 * [since: 0.1] */
PK_API size_t pk_diag_count(const pk_diag *diag);
PK_API const pk_error *pk_diag_at(const pk_diag *diag, size_t i);
/* Problems not kept because of pk_diag_options.max.
 * [thread: any, not concurrently with writers of diag] [fails: never]
 * [since: 0.1] */
PK_API size_t pk_diag_dropped(const pk_diag *diag);
/* Appends a copy of problem (a host adds its own, e.g. an unknown tag).
 * [thread: any, not concurrently with users of diag] [fails: mem | misuse]
 * [since: 0.1] */
PK_API pk_status pk_diag_add(pk_diag *diag, const pk_error *problem,
                             pk_error *err);
/* Forgets every problem (keeps the memory).
 * [thread: any, not concurrently with users of diag] [fails: never]
 * [since: 0.1] */
PK_API void pk_diag_clear(pk_diag *diag);

/* ---- decoding ---- */

/* Options for pk_schema_decode(); NULL means all defaults. */
typedef struct pk_decode_options {
  uint32_t size;            /* sizeof(pk_decode_options) */
  const pk_ctx *ctx;        /* formats the format = true fields (and their
                               defaults); NULL leaves them as written */
  const char *const *skip;  /* keys of the (top-level) table that belong to
                               the caller, not to the schema: ignored
                               (e.g. "type", "plugin") */
  size_t skip_count;
} pk_decode_options;

/* Decodes table by schema into a new immutable config.  table may be NULL:
 * it decodes as an empty table (every field at its default; the object of
 * a plugin declared without a table).  Every problem is reported, with its
 * position: an unknown field ("unknown field \"regoin\" (did you mean
 * \"region\"?)"), a wrong type naming both ("field \"retries\": expected an
 * integer, found a string"; an array given to a scalar field is a type
 * error), a missing required field (at the table's position), a value out
 * of range ("retries = 12 is above the maximum 10"), an enum value not
 * among the choices (listed), an array item of the wrong type (at the
 * item), a format error.  Nested table fields say their path ("limits.read").
 * Each problem is appended to diag (may be NULL: decoding then stops at the
 * first); the first also goes to err, and its code is returned: PK_ECONFIG
 * (unknown field, format syntax), PK_ETYPE, PK_EMISSING (missing field or
 * ctx variable), PK_ERANGE (range, enum).  On success *out is a new config
 * the caller frees with pk_config_free(); on failure *out is NULL.
 * Cost: one allocation per table (plus one per formatted string that holds
 * a placeholder); strings are not copied.
 * [thread: any] [fails: mem | config | type | missing | range | misuse]
 * [since: 0.1] */
PK_API pk_status pk_schema_decode(const pk_schema *schema,
                                  const pk_value *table,
                                  const pk_decode_options *opts,
                                  pk_config **out, pk_diag *diag,
                                  pk_error *err);

/* Frees a config and its nested configs.  NULL is a no-op.
 * [thread: any, not concurrently with readers of config] [fails: never]
 * [since: 0.1] */
PK_API void pk_config_free(pk_config *config);

/* The schema a config was decoded by, and the position of the decoded
 * table (line 0 when decoded from NULL).  Borrowed.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_schema *pk_config_get_schema(const pk_config *config);
PK_API pk_pos pk_config_get_pos(const pk_config *config);

/* Where a field's value comes from; PK_ORIGIN_UNSET also for a name the
 * schema does not have.  is_set: the field has a value (written or
 * default); false, 0 and "" are values.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API pk_origin pk_config_get_origin(const pk_config *config,
                                      const char *name);
PK_API bool pk_config_is_set(const pk_config *config, const char *name);

/* Where a field's value is written: in the decoded table, or, for a
 * default, in the schema (pk_config_get_origin() tells which).  An UNSET or
 * unknown field, and a table field decoded from {}, have no position:
 * {NULL, 0, 0}.  [thread: any] [fails: never] [since: 0.1] */
PK_API pk_pos pk_config_value_pos(const pk_config *config, const char *name);

/* The value of a field as written (or its default's value); NULL when
 * UNSET, unknown, or a table decoded from {}.  For format = true strings
 * this is the text before formatting.  Borrowed.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_config_get_value(const pk_config *config,
                                           const char *name);

/* Typed getters by field name.  PK_ENOTFOUND: the schema has no such field
 * (closest name suggested); PK_ETYPE: the field's type differs (both
 * named); PK_EMISSING: the field is UNSET.  Strings (and enum values, which
 * get_string also returns) are NUL-terminated, *len (may be NULL) gets the
 * length; they are borrowed until pk_config_free() (formatted ones belong
 * to the config, the others to the document).  get_enum: the index into
 * the field's choices.  get_array: the array value as written (or the
 * default), items already checked.  get_table: the nested config, borrowed
 * until pk_config_free() of config.
 * [thread: any] [fails: notfound | type | missing | misuse] [since: 0.1] */
PK_API pk_status pk_config_get_string(const pk_config *config,
                                      const char *name, const char **out,
                                      size_t *len, pk_error *err);
PK_API pk_status pk_config_get_integer(const pk_config *config,
                                       const char *name, int64_t *out,
                                       pk_error *err);
PK_API pk_status pk_config_get_float(const pk_config *config,
                                     const char *name, double *out,
                                     pk_error *err);
PK_API pk_status pk_config_get_bool(const pk_config *config, const char *name,
                                    bool *out, pk_error *err);
PK_API pk_status pk_config_get_datetime(const pk_config *config,
                                        const char *name, pk_datetime *out,
                                        pk_error *err);
PK_API pk_status pk_config_get_enum(const pk_config *config, const char *name,
                                    size_t *out, pk_error *err);
PK_API pk_status pk_config_get_array(const pk_config *config,
                                     const char *name, const pk_value **out,
                                     pk_error *err);
PK_API pk_status pk_config_get_table(const pk_config *config,
                                     const char *name, const pk_config **out,
                                     pk_error *err);

/* The same with a default: an UNSET field stores dflt and returns PK_OK;
 * an unknown name or a wrong type still fails.
 * [thread: any] [fails: notfound | type | misuse] [since: 0.1] */
PK_API pk_status pk_config_get_string_or(const pk_config *config,
                                         const char *name, const char *dflt,
                                         const char **out, pk_error *err);
PK_API pk_status pk_config_get_integer_or(const pk_config *config,
                                          const char *name, int64_t dflt,
                                          int64_t *out, pk_error *err);
PK_API pk_status pk_config_get_float_or(const pk_config *config,
                                        const char *name, double dflt,
                                        double *out, pk_error *err);
PK_API pk_status pk_config_get_bool_or(const pk_config *config,
                                       const char *name, bool dflt, bool *out,
                                       pk_error *err);

/* Writes the config as canonical JSON: fields in byte order of their names,
 * no spaces, leaving out UNSET fields, defaults, values equal to the
 * default and nested tables that come out empty; dates and times as their
 * RFC 3339 text ("Z" for offset 0), inf/nan as strings.  Equal configs give
 * identical bytes (for cache keys).  *out is NUL-terminated, *len (may be
 * NULL) its length; the caller frees it with pk_string_free().
 * [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_config_to_json(const pk_config *config, char **out,
                                   size_t *len, pk_error *err);

/* ---- binding to C structs ---- */

/* The C type of a struct member a field is bound to. */
typedef enum pk_ctype {
  PK_C_STRING = 1, /* const char *: string or enum fields (borrowed until
                      pk_config_free) */
  PK_C_INT64,      /* int64_t: integer fields */
  PK_C_INT,        /* int: integer fields; a value outside int is ERANGE */
  PK_C_DOUBLE,     /* double: float fields */
  PK_C_BOOL,       /* bool: boolean fields */
  PK_C_DATETIME,   /* pk_datetime: datetime fields */
  PK_C_ENUM,       /* int: enum fields, the index into the choices */
  PK_C_ARRAY,      /* const pk_value *: array fields */
  PK_C_CONFIG      /* const pk_config *: table fields */
} pk_ctype;

/* One field -> member binding.  size is the member's size for a check (0:
 * unchecked); PK_BIND fills every part. */
typedef struct pk_binding {
  const char *field; /* the schema's field name */
  pk_ctype type;     /* the member's C type */
  size_t offset;     /* offsetof(struct, member) */
  size_t size;       /* sizeof the member, or 0 */
} pk_binding;

#define PK_BIND(struct_type, member, field_name, ctype)                        \
  {(field_name), (ctype), offsetof(struct_type, member),                       \
   sizeof(((struct_type *)0)->member)}

/* Checks bindings against schema (at load time, before any config is
 * decoded): every field must exist (else PK_ENOTFOUND, closest name
 * suggested, at the schema's position) and its type must match the C type
 * (else PK_ETYPE at the field's position, naming the field, its type and
 * the C type, e.g. "cannot bind field \"retries\" (integer) to a double
 * member (PK_C_DOUBLE): use PK_C_INT64 or PK_C_INT"), as must the member
 * size when given.  [thread: any] [fails: notfound | type | misuse]
 * [since: 0.1] */
PK_API pk_status pk_schema_check_bindings(const pk_schema *schema,
                                          const pk_binding *bindings,
                                          size_t n, pk_error *err);

/* Copies every bound field of config into the struct at dst, after the
 * checks of pk_schema_check_bindings().  An UNSET field leaves its member
 * as it was (initialise the struct with what "unset" means to you).
 * Pointers written are borrowed until pk_config_free(config).  On failure
 * dst may be partly written.
 * [thread: any] [fails: notfound | type | range | misuse] [since: 0.1] */
PK_API pk_status pk_config_bind(const pk_config *config,
                                const pk_binding *bindings, size_t n,
                                void *dst, pk_error *err);

/* ---- layering (coalesce) ---- */

/* The first set value of field name across layers, most specific first
 * (an instance table, then [plugins.ALIAS], then [defaults]): the first
 * layer where the value is written (PK_ORIGIN_TABLE) wins; when none, the
 * first layer with a schema default.  Layers may be NULL (absent) and may
 * have different schemas; a layer whose schema lacks the field is skipped.
 * *from gets the layer holding the value.  PK_EMISSING when no layer has
 * one; PK_ENOTFOUND when no layer's schema has the field.
 * [thread: any] [fails: missing | notfound | misuse] [since: 0.1] */
PK_API pk_status pk_config_coalesce(const pk_config *const *layers, size_t n,
                                    const char *name, const pk_config **from,
                                    pk_error *err);

/* Typed coalesce: as above, then the typed getter on the chosen layer; when
 * no layer has a value, dflt (PK_OK).  PK_ETYPE when the chosen layer's
 * field has another type.  Strings are borrowed from the chosen layer.
 * [thread: any] [fails: notfound | type | misuse] [since: 0.1] */
PK_API pk_status pk_config_coalesce_string(const pk_config *const *layers,
                                           size_t n, const char *name,
                                           const char *dflt, const char **out,
                                           pk_error *err);
PK_API pk_status pk_config_coalesce_integer(const pk_config *const *layers,
                                            size_t n, const char *name,
                                            int64_t dflt, int64_t *out,
                                            pk_error *err);
PK_API pk_status pk_config_coalesce_float(const pk_config *const *layers,
                                          size_t n, const char *name,
                                          double dflt, double *out,
                                          pk_error *err);
PK_API pk_status pk_config_coalesce_bool(const pk_config *const *layers,
                                         size_t n, const char *name,
                                         bool dflt, bool *out, pk_error *err);

/* ---- context formatting ---- */

/* Options for pk_ctx_new(); NULL means all defaults. */
typedef struct pk_ctx_options {
  uint32_t size;     /* sizeof(pk_ctx_options) */
  pk_alloc_fn alloc; /* NULL: libc; also serves pk_format() results */
  void *alloc_ud;
  bool ignore_env;   /* {ctx.NAME} reads host variables only; {env.NAME}
                        still reads the environment */
} pk_ctx_options;

/* A set of context variables, owned by the host.  *out is freed with
 * pk_ctx_free().  [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_ctx_new(const pk_ctx_options *opts, pk_ctx **out,
                            pk_error *err);
/* NULL is a no-op.  [thread: any, not concurrently with users of ctx]
 * [fails: never] [since: 0.1] */
PK_API void pk_ctx_free(pk_ctx *ctx);

/* Sets variable name (1 to 127 of [A-Za-z0-9_.-]) to value; both copied.
 * A NULL value unsets it (the environment applies again).
 * [thread: any, not concurrently with users of ctx] [fails: mem | misuse]
 * [since: 0.1] */
PK_API pk_status pk_ctx_set(pk_ctx *ctx, const char *name, const char *value,
                            pk_error *err);

/* The value {ctx.name} expands to: the host's variable, else (unless
 * ignore_env) the environment variable named by upper-casing name, '.'
 * becoming "__" and '-' becoming '_' (region -> REGION, qik.workers ->
 * QIK__WORKERS); NULL when neither is set.  ctx may be NULL (environment
 * only).  Borrowed until the variable or the environment changes.
 * [thread: any, not concurrently with writers of ctx or the environment]
 * [fails: never] [since: 0.1] */
PK_API const char *pk_ctx_get(const pk_ctx *ctx, const char *name);

/* Expands len bytes of text: {ctx.NAME} as pk_ctx_get(), {env.NAME} the
 * environment variable NAME as written, {{ and }} a literal brace.  Errors
 * are positioned at pos (the position of text's first byte; when text holds
 * no newline, the column is advanced to the offending brace): an unknown
 * name such as {foo.x} or {module.dir} (PK_ECONFIG), a variable that is
 * not set (PK_EMISSING: "ctx variable \"region\" is not set: the host did
 * not set it and REGION is not in the environment"), an unbalanced { or }
 * or a malformed placeholder (PK_ECONFIG).  ctx may be NULL (environment
 * only).  On success *out is a new NUL-terminated string, *out_len (may be
 * NULL) its length; the caller frees it with pk_string_free().  It is
 * allocated with ctx's allocator (libc when ctx is NULL).
 * [thread: any, not concurrently with writers of ctx or the environment]
 * [fails: mem | config | missing | misuse] [since: 0.1] */
PK_API pk_status pk_format(const pk_ctx *ctx, const char *text, size_t len,
                           pk_pos pos, char **out, size_t *out_len,
                           pk_error *err);

/* Frees a string returned by pk_format() or pk_config_to_json(), with the
 * allocator it was made with.  NULL is a no-op.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API void pk_string_free(char *s);

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
 * and declares each as the functions above do; errors name file:line:col.
 * [thread: host, before discovery] [fails: mem | io | syntax | config |
 * duplicate] [since: 0.1] */
PK_API pk_status pk_host_load_description(pk_host *host, const char *path,
                                          pk_error *err);

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
 * pk_host_free(); the caller may read it until then.  */
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
 * [thread: any after pk_host_post_register] [fails: notfound | config |
 * type | missing | range | load | plugin | state | mem] [since: 0.1] */
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
 * [thread: any after pk_host_post_register] [fails: as
 * pk_host_get_instance] [since: 0.1] */
PK_API pk_status pk_host_make_instance(pk_host *host, const char *kind,
                                       const char *label,
                                       const pk_value *table,
                                       pk_instance **out, pk_error *err);
/* The object the factory built; NULL for NULL.  [thread: any] */
PK_API void *pk_instance_get(const pk_instance *inst);
/* Destroys it (the type's destroy, then its bases); NULL is a no-op.
 * [thread: any, once] [fails: never] [since: 0.1] */
PK_API void pk_instance_free(pk_instance *inst);

/* ---- contributed config (fragments) ----
 * A plugin's manifest may name `fragment = "commands.toml"`, a TOML file
 * in its directory.  Entries are the tables under a section of it
 * ([commands.NAME]); `hidden = true` entries are skipped by the iteration
 * but found by name.  Borrowed until pk_host_free(). */

/* The fragment's root table of the plugin declared under alias, or NULL.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_host_get_fragment(pk_host *host,
                                            const char *alias);
/* The i-th entry not hidden of section across every declared plugin, in
 * declaration order, then the entry order of each fragment: its address
 * "ALIAS/NAME" (in *address, a buffer of n bytes) and its table; NULL past
 * the end.  [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_host_fragment_entry_at(pk_host *host,
                                                 const char *section,
                                                 size_t i, char *address,
                                                 size_t n);
/* The entry at address "ALIAS.NAME" or "ALIAS/NAME" (split at the last
 * '/', else the last '.'), hidden or not; NULL when unknown.
 * [thread: frozen] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_host_find_fragment_entry(pk_host *host,
                                                   const char *section,
                                                   const char *address);

#ifdef __cplusplus
}
#endif

#endif /* PLUGKIT_H */
