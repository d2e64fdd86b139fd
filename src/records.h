/* records.h -- the records layer: the host and plugin records every layer
 * above reads and writes, plugin states and reasons, the log and the trace
 * (plugin.c, trace.c).  It calls only the base layer.
 *
 * The layers, each calling only itself and those below, are declared in
 * src/LAYERS (use, stages, registries, records, base), each with its
 * header; scripts/check-layers.sh checks the calls from the object files.
 * Where a lower layer must reach up, it calls a function pointer of the
 * host record that the upper layer installed: the hook dispatcher wakes
 * lazy plugins through wake_hook (host.c installs lazy.c's), and
 * pk_host_free() releases the host config and its instances through
 * release (host_config.c installs its own when it first keeps state),
 * and a manifest served from the metadata cache is given its document on
 * first use through manifest_root (host.c installs mcache.c's); the
 * host's callbacks step a plugin's call in flight aside through
 * code_enter and code_leave (host.c installs journal.c's
 * pk_host_code_enter and pk_host_code_leave).
 * SPDX-License-Identifier: MIT */
#ifndef PK_RECORDS_H
#define PK_RECORDS_H

#include <pthread.h>

#include "base.h"

#define PK__NO_NODE UINT32_MAX

/* ---- a plugin's manifest (parsed by manifest.c) ---- */

/* A requirement of a manifest: validated at load, parsed again (into a
 * stack pk__req) where it is used, so that records stay small. */
typedef struct pk__mreq {
  const char *text;      /* as written (borrowed from the manifest document,
                            or from the metadata cache's record) */
  const pk_value *value; /* its string: pk_value_get_pos says where, for
                            errors only (a position costs a search); NULL
                            when served from the cache (pk__mreq_pos) */
  uint32_t idx;          /* its index in `requires` or `optional` */
  bool optional;         /* from `optional`, not `requires` */
} pk__mreq;

/* Which optional top-level tables and arrays a manifest has (pk__manifest
 * .has), so that one served from the cache loads its document only when
 * something there is asked for. */
enum { PK__M_CONFIG = 1, PK__M_PROVIDES = 2, PK__M_FRAGMENT = 4,
       PK__M_HOOKS = 8 };

typedef struct pk__manifest {
  /* The fields registration reads (abi to reqs) come first: in pk_plugin
   * they then fill the record's second cache line, after its first (state,
   * node, descriptor, key), so that the import pass over 5000 records
   * touches two lines a plugin, not three (a miss each at that size). */
  uint32_t abi;             /* valid when has_abi */
  uint8_t has;              /* PK__M_* (a byte beside abi: no padding) */
  bool has_abi;
  bool lazy;
  bool pre_own;             /* version.pre is allocated (freed with reqs) */
  const char *name, *ns;    /* validated names */
  uint32_t nreq, reqcap;    /* (records keep at most 65535) */
  pk__mreq *reqs;
  pk_doc *doc;              /* owns every string below (or the cache) */
  const pk_value *root;     /* read through pk__manifest_root */
  struct pk__mlazy *cached; /* served from the metadata cache: doc and root
                               are made from its image on first use, under
                               a lock (mcache.c); NULL otherwise */
  const char *version_text; /* as written */
  pk__mversion version;     /* its pre: in version_text when that ends
                               with it, else own (pre_own) */
  const char *description;  /* "" when absent */
  const char *library;      /* NULL: a data-only plugin */
} pk__manifest;

/* A [[provides]] entry of a manifest served from the cache's record:
 * its strings, in the record; extends "" when it has none. */
typedef struct pk__mprov {
  const char *kind, *tag, *extends;
} pk__mprov;

/* The [[provides]] entries of manifest m, served from the cache's record
 * (m->cached): their number into *n; returns their flag bytes (one each,
 * 1: it has a config), which their strings follow (pk__record_provides).
 * In the record (mrecord.c, which checked it) they come after its last
 * string: its last requirement's text, else its library, else its
 * description, each string after its length (u16, unaligned): found
 * without a field in the manifest (a plugin's record stays 320 bytes). */
static inline const char *pk__record_provides_at(const pk__manifest *m,
                                                 size_t *n)
{
  const char *s = m->nreq    ? m->reqs[m->nreq - 1].text
                  : m->library ? m->library
                               : m->description;
  uint16_t k, c;
  memcpy(&k, s - 2, 2);
  memcpy(&c, s + k + 1, 2);
  *n = c;
  return s + k + 3;
}

/* The entry whose strings start at at (after the flags for the first:
 * each string its length, u16 unaligned, then its bytes and a NUL) into
 * *out; returns where the next one's start. */
static inline const char *pk__record_provides(const char *at, pk__mprov *out)
{
  const char *s[3];
  for (int i = 0; i < 3; i++) {
    uint16_t k;
    memcpy(&k, at, 2);
    s[i] = at + 2;
    at = s[i] + k + 1;
  }
  *out = (pk__mprov){.kind = s[0], .tag = s[1], .extends = s[2]};
  return at;
}

/* ---- a plugin's section of the host config (host_config.c) ---- */

/* [plugins.ALIAS] of a declared plugin: made and freed by host_config.c,
 * read by the plugin's api->plugin_alias and api->config_bind and by the
 * instances of its types (the plugin-level config layer). */
typedef struct pk__pconf {
  char *alias; /* in the same block, after the struct */
  struct pk_plugin *plugin;
  const pk_value *table; /* or NULL (short form) */
  const pk_value *id_v;  /* the declaration: the plugin id's value */
  pk_schema *schema;
  pk_config *config;
  pk_doc *fragment;      /* or NULL */
  pk__strv *strv;        /* lists bound by api->config_bind */
} pk__pconf;

/* ---- the records ---- */

/* The fields every stage reads for every plugin (the __all__ expansion,
 * the import, register and post_register passes) come first, in the
 * record's first 64 bytes: with 50 000 plugins the records no longer fit
 * the caches, and each line a pass touches is a miss (pk__plugin_prefetch
 * fetches that line a few plugins ahead).  The record is aligned to a
 * line, so its size is a multiple of 64: 320 bytes (5 lines), every one
 * of them filled -- a warm start of 10 000 plugins writes 3.2 MB of
 * records into fresh pages (the manifest's version keeps its pre-release
 * part by pointer, pk__mversion, for that); a field more costs a line. */
struct pk_plugin {
  _Alignas(64) pk_host *host;
  const pk_plugin_desc *desc;/* after loading (or given, for a builtin) */
  pk_plugin_state state;
  uint32_t node;             /* graph node, or PK__NO_NODE when not known */
  bool builtin;
  bool requires_all;         /* one of its requirements is ns:__all__ */
  bool lazy_pending;         /* lazy: imported, not loaded yet (lazy.c) */
  bool quarantined;          /* the journal says the host died inside it
                                (journal.c): FAILED, not loaded */
  bool types_added;          /* its [[provides]] are in the registry */
  bool unloading;            /* scratch of pk_host_unload_plugin */
  bool lazy_reason;          /* imported lazy: its reason says so (not
                                stored), until a recorded one replaces it */
  bool fkey_set;             /* fkey holds its files' identity */
  pk_plugin *required_by;    /* first plugin that required it; NULL: host */
  pk_plugin *named_by;       /* first plugin that required it by name */
  char *id;                  /* "ns:name" (or the directory, when broken) */
  /* the record and these strings live in the host's records arena */
  char *key;                 /* "ns\x01name": sorts as the (ns, name) pair
                                (on the first line: making a plugin known
                                reads it) */
  /* the rest */
  pk__manifest m;            /* empty for a broken plugin */
  char *dir;                 /* directory holding plugin.toml ("" builtin) */
  char *manifest_path;       /* file, or "builtin:ns:name" */
  char *library_path;        /* dir/library, or NULL */
  void *handle;              /* dlopen handle, or NULL */
  pk_error *error;           /* why broken/failed (owned), or NULL */
  char *reason;              /* pk_plugin_get_reason text (owned), or NULL */
  int reason_state;          /* -1: a recorded reason; else the state the
                                text was formatted for */
  uint32_t search_index;     /* position in search order (builtins first;
                                2^32 records would be 1.6 TB) */
  pk_plugin *shadowed_by;    /* for PK_STATE_SHADOWED */
  void *data;                /* the plugin's own slot (api->set_data) */
  char **dyn_reqs;           /* requirements added by its register hook */
  size_t ndyn, dyncap;
  pk__pconf *conf;           /* [plugins.ALIAS] of a declared plugin */
  uint64_t fkey[4];          /* manifest mtime (ns) and size, library
                                mtime and size (0 0: none), for the
                                journal (journal.c) */
};

/* Fetches the first line of p's record (see above) ahead of its use. */
static inline void pk__plugin_prefetch(const pk_plugin *p)
{
  __builtin_prefetch(p);
}

typedef struct pk__ns {
  char *name;
  uint32_t abi;
} pk__ns;

typedef struct pk__builtin {
  const pk_plugin_desc *desc;
  char *text; /* manifest text (owned) */
} pk__builtin;

struct pk_host {
  pk__allocator alloc;
  pk_log_fn log;
  void *log_ud;
  void *userdata;
  bool strict;
  pk_trace_fn trace;        /* options.trace, or NULL */
  void *trace_ud;
  pk_watch_fn watch; /* options.watch, or NULL */
  void *watch_ud;

  pk__ns *ns;               /* registered namespaces */
  size_t nns, nscap;
  char *cache_path;         /* metadata cache file (owned), or NULL */
  struct pk__mcfile *cache_file; /* the cache file as read, while manifests
                                    use its records and images (mcache.c) */
  char *lock_path;             /* the lock file in force (owned), or NULL */
  struct pk__lock *lock;       /* its plugins, read at discovery (lock.c) */
  bool insecure_paths;         /* path hygiene off (hygiene.c) */
  bool crash_signals;          /* record the fatal signal (journal.c) */
  struct pk__journal *journal; /* the crash journal, or NULL (journal.c) */
  char **paths;             /* search paths, PLUGKIT_PATH entries first */
  size_t npaths, pathcap;
  size_t env_paths;         /* how many of them came from PLUGKIT_PATH */
  pk__builtin *builtins;
  size_t nbuiltins, bcap;

  pk__arena records;        /* plugin records, their names, paths and
                               manifest documents: freed as a whole */
  pk__allocator records_alloc; /* pk__arena_fn over records */
  bool discovered;
  pk_plugin **plugins;      /* every discovered plugin, sorted */
  size_t nplugins, plugcap;
  pk__map by_id;            /* "ns:name" -> active plugin */

  struct pk__graph *graph;  /* known plugins and their requirements */
  pk_plugin **by_node;      /* graph node -> plugin; only known plugins
                               are nodes, numbered as they became known,
                               so by_node[0, nknown) is the known order */
  size_t nknown, nodecap;
  size_t import_cursor;     /* by_node[0, cursor) are imported */
  bool layers_dirty;        /* recompute the layering before reading it */
  pk_plugin **registered;   /* register-hook order, for reverse unload */
  size_t nregistered, regcap;
  pk_plugin **opened;       /* dlopen order, for reverse dlclose */
  size_t nopened, opencap;

  pk_status fatal;          /* a failed stage poisons later ones */
  pk_error fatal_err;
  pk_plugin *in_hook;       /* plugin whose register hook is running */
  pk_error hook_err;        /* set by api->require/fail inside a hook */
  bool hook_failed;
  pk_ns_args *post_args;    /* copy of pk_host_post_register's args, for
                               lazy plugins woken later */
  size_t npost_args;
  pthread_mutex_t wake_mu;  /* serializes waking lazy plugins (lazy.c) */

  struct pk__hooks *hooks;  /* declared hooks and their tables (hooks.c) */
  struct pk__types *types;  /* kinds and types (types.c) */
  struct pk__hostconf *hostconf; /* the host config and its instances
                                    (host_config.c, instances.c) */

  /* Installed by the layers above (see the top of this file). */
  pk_status (*wake_hook)(pk_host *h, const char *hook, pk_error *err);
  void (*release)(pk_host *h);
  const pk_value *(*manifest_root)(pk_plugin *p);
  void *(*code_enter)(void);
  void (*code_leave)(void *token);
};

/* The root table of p's manifest (NULL for a broken one).  A manifest
 * served from the metadata cache gets its document here, on first use
 * (from any thread: the pointer is published with release semantics).
 * [thread: any] */
static inline const pk_value *pk__manifest_root(const pk_plugin *p)
{
  const pk_value *r = __atomic_load_n(&p->m.root, __ATOMIC_ACQUIRE);
  return r || !p->m.cached ? r : p->host->manifest_root((pk_plugin *)p);
}

/* Where requirement r of p's manifest is written (its document loaded
 * when served from the cache); for errors. */
static inline pk_pos pk__mreq_pos(const pk_plugin *p, const pk__mreq *r)
{
  if (r->value)
    return pk_value_get_pos(r->value);
  const pk_value *root = pk__manifest_root(p);
  return pk_value_get_pos(pk_array_at(
      root ? pk_table_get(root, r->optional ? "optional" : "requires") : NULL,
      r->idx));
}

/* The options of the documents a host parses: its allocator. */
static inline pk_doc_options pk__host_doc_options(const pk_host *h)
{
  return (pk_doc_options){.size = sizeof(pk_doc_options),
                          .alloc = h->alloc.fn, .alloc_ud = h->alloc.ud};
}

/* ---- plugin.c ---- */

/* Sends a message to the host's log callback (none: nothing happens). */
void pk__log(pk_host *h, pk_log_level level, const pk_plugin *p,
             const char *fmt, ...) PK__PRINTF(4, 5);
/* Replaces p->reason with the formatted text (best effort). */
void pk__plugin_set_reason(pk_plugin *p, const char *fmt, ...)
    PK__PRINTF(2, 3);
/* Marks p failed/broken with a copy of err. */
void pk__plugin_fail(pk_plugin *p, pk_plugin_state state, const pk_error *err);
/* Records e as the failure of the hook p is running (a registration
 * through its API table that went wrong): its register hook then fails
 * whatever it returns.  Returns e's code (PK_EPLUGIN for none). */
int pk__plugin_hook_fail(pk_plugin *p, const pk_error *e);
/* Room for n records in the host's records arena, line-aligned, in one
 * block and not zeroed (NULL: out of memory): discovery loads each
 * manifest straight into its slot's m, and pk__plugin_init makes a slot a
 * record only for the entries that are plugins, so a slot never used
 * costs no write. */
pk_plugin *pk__plugin_slots(pk_host *h, size_t n);
/* Makes slot p a new record, state DISCOVERED: every field zero but p->m,
 * p->id, p->key, p->dir, p->manifest_path and p->library_path, which the
 * caller filled in (or zeroed). */
void pk__plugin_init(pk_host *h, pk_plugin *p);
/* Frees what a record owns outside the arena (reason, error, dynamic
 * requirements). */
void pk__plugin_free(pk_host *h, pk_plugin *p);

/* ---- trace.c ---- */

uint64_t pk__now_ns(void);
/* Around a call of the host's code (its callbacks, a built-in plugin's
 * code) made while a plugin's call may be in flight on this thread: that
 * call steps aside (pk_host_code_enter, through h->code_enter); no
 * journal, nothing to do. */
static inline void *pk__host_code_enter(const pk_host *h)
{
  return h->journal ? h->code_enter() : NULL;
}
static inline void pk__host_code_leave(const pk_host *h, void *token)
{
  if (token)
    h->code_leave(token);
}
/* Tells the host's watch callback, if any (pk_watch_fn). */
static inline void pk__watch(pk_host *h, bool entering, pk_trace_event event,
                             const pk_plugin *p)
{
  if (h->watch) {
    void *hc = pk__host_code_enter(h);
    h->watch(h->watch_ud, entering, event, p);
    pk__host_code_leave(h, hc);
  }
}
/* Reports event for p (duration since t0) to the trace callback (the
 * host has one).  See pk__call_enter (stages.h): the one bracket. */
void pk__trace_emit(pk_host *h, pk_trace_event event, const pk_plugin *p,
                    uint64_t t0, pk_status status);

#endif
