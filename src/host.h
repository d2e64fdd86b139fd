/* host.h -- the host and plugin records, shared by host.c, discover.c and
 * plugin_api.c (never installed).
 * SPDX-License-Identifier: MIT */
#ifndef PK_HOST_H
#define PK_HOST_H

#include "base.h"
#include "plugkit/plugin.h"

#define PK__NO_NODE UINT32_MAX

struct pk_plugin {
  pk_host *host;
  pk__manifest m;            /* empty for a broken plugin */
  /* the record and these strings live in the host's records arena */
  char *id;                  /* "ns:name" (or the directory, when broken) */
  char *key;                 /* "ns\x01name": sorts as the (ns, name) pair */
  char *dir;                 /* directory holding plugin.toml ("" builtin) */
  char *manifest_path;       /* file, or "builtin:ns:name" */
  char *library_path;        /* dir/library, or NULL */
  size_t search_index;       /* position in search order (builtins first) */
  const pk_plugin_desc *desc;/* after loading (or given, for a builtin) */
  void *handle;              /* dlopen handle, or NULL */
  pk_plugin_state state;
  pk_error *error;           /* why broken/failed (owned), or NULL */
  char *reason;              /* pk_plugin_get_reason text (owned), or NULL */
  bool lazy_reason;          /* imported lazy: its reason says so (not
                                stored), until a recorded one replaces it */
  int reason_state;          /* -1: a recorded reason; else the state the
                                text was formatted for */
  pk_plugin *shadowed_by;    /* for PK_STATE_SHADOWED */
  pk_plugin *required_by;    /* first plugin that required it; NULL: host */
  pk_plugin *named_by;       /* first plugin that required it by name */
  uint32_t node;             /* graph node, or PK__NO_NODE when not known */
  bool builtin;
  bool requires_all;         /* one of its requirements is ns:__all__ */
  void *data;                /* the plugin's own slot (api->set_data) */
  char **dyn_reqs;           /* requirements added by its register hook */
  size_t ndyn, dyncap;
  bool unloading;            /* scratch of pk_host_unload_plugin */
  /* types.c: host config and lazy loading */
  struct pk__pconf *conf;    /* [plugins.ALIAS] of a declared plugin */
  bool lazy_pending;         /* lazy: imported, not loaded yet */
  bool types_added;          /* its [[provides]] are in the registry */
};

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

  pk__ns *ns;               /* registered namespaces */
  size_t nns, nscap;
  char *cache_path;         /* metadata cache file (owned), or NULL */
  char *cache_data;         /* its memory, when manifests use it in place */
  size_t cache_size;
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

  pk__graph *graph;         /* known plugins and their requirements */
  pk_plugin **by_node;      /* graph node -> plugin */
  size_t nodecap;
  pk_plugin **known;        /* known order (== node order) */
  size_t nknown, knowncap;
  size_t import_cursor;     /* known[0, cursor) are imported */
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
  struct pk__hooks *hooks;  /* declared hooks and their tables (hooks.c) */
  pk_trace_fn trace;        /* options.trace, or NULL */
  void *trace_ud;
  struct pk__types *types;  /* kinds, types, host config, instances
                               (types.c) */
  pk_ns_args *post_args;    /* copy of pk_host_post_register's args, for
                               lazy plugins woken later */
  size_t npost_args;
};

/* host.c */
void pk__log(pk_host *h, pk_log_level level, const pk_plugin *p,
             const char *fmt, ...) PK__PRINTF(4, 5);
/* Replaces p->reason with the formatted text (best effort). */
void pk__plugin_set_reason(pk_plugin *p, const char *fmt, ...)
    PK__PRINTF(2, 3);
/* Marks p failed/broken with a copy of err. */
void pk__plugin_fail(pk_plugin *p, pk_plugin_state state, const pk_error *err);
/* Adds a requirement of `from` (NULL: the host) at run time or from a
 * manifest: finds, checks and links the target(s). */
pk_status pk__host_require(pk_host *h, pk_plugin *from, const pk__req *req,
                           const char *text, bool optional, pk_error *err);
/* Checks the graph's pending edges; a cycle is formatted with its chain
 * and poisons the host's later stages. */
pk_status pk__host_commit(pk_host *h, pk_error *err);
pk_status pk__plugin_new(pk_host *h, pk_plugin **out);
void pk__plugin_free(pk_host *h, pk_plugin *p);

/* discover.c */
pk_status pk__discover(pk_host *h, pk_error *err);

/* plugin_api.c */
extern const pk_host_api pk__host_api;

/* hooks.c */
typedef struct pk__hooks pk__hooks;
/* Orders every hook's implementations and publishes the dispatch tables;
 * after it, declarations and registrations fail with PK_ESTATE.  A
 * contradiction in the hints is PK_EDEP_CYCLE naming plugins and hints. */
pk_status pk__hooks_freeze(pk_host *h, pk_error *err);
bool pk__hooks_frozen(const pk_host *h);
/* Rebuilds every table after a lazy plugin registered (old tables are
 * retired, freed with the host: calls in flight keep reading them). */
pk_status pk__hooks_refreeze(pk_host *h, pk_error *err);
void pk__hooks_free(pk_host *h);
/* Sum of the calls in flight over every hook (a snapshot). */
size_t pk__hooks_inflight(pk_host *h);
/* Rebuilds the tables without the implementations of plugins for which
 * gone() is true; only while no call is in flight. */
pk_status pk__hooks_drop(pk_host *h, bool (*gone)(const pk_plugin *));
/* The api table entries. */
int pk__api_hook_add(pk_plugin_ctx *ctx, const pk_hook_impl *impl);
int pk__api_hook_vfail(pk_hook_ctx *call, int status, const char *fmt,
                       va_list ap) PK__PRINTF(3, 0);
int pk__api_hook_next(pk_hook_ctx *call);
const char *pk__api_hook_error(pk_hook_ctx *call, const char **plugin);
size_t pk__api_hook_result_count(pk_hook_ctx *call);
void *pk__api_hook_result_at(pk_hook_ctx *call, size_t i);
size_t pk__api_hook_set_result_count(pk_hook_ctx *call, size_t n);

/* types.c */
/* Adds the [[provides]] of p's manifest to the type registry (once). */
pk_status pk__types_add_manifest(pk_host *h, pk_plugin *p, pk_error *err);
/* After p's register hook: every [[provides]] of its manifest must have
 * its code registered (api->type_add). */
pk_status pk__types_check_registered(pk_host *h, pk_plugin *p,
                                     pk_error *err);
/* Destroys every instance, newest first (pk_host_free, before unload). */
void pk__types_free(pk_host *h);
/* True when a lazy plugin not loaded yet lists hook name in `hooks`. */
bool pk__types_lazy_for_hook(pk_host *h, const char *name);
/* Loads, registers and post-registers every lazy plugin listing hook name
 * (serialized; hooks.c calls it on the hook's first call). */
pk_status pk__types_wake_hook(pk_host *h, const char *name, pk_error *err);
/* host.c: load + register + post_register one lazy plugin (caller holds
 * the wake lock). */
pk_status pk__host_wake(pk_host *h, pk_plugin *p, pk_error *err);
/* The api table entries. */
int pk__api_type_add(pk_plugin_ctx *ctx, const pk_type_impl *impl);
const char *pk__api_plugin_alias(pk_plugin_ctx *ctx);
int pk__api_config_bind(pk_plugin_ctx *ctx, const pk_plugin_binding *b,
                        size_t n, void *dst);

/* trace.c */
uint64_t pk__now_ns(void);
/* 0 when the host has no trace callback, else the time now. */
uint64_t pk__trace_begin(const pk_host *h);
/* Reports event for p (duration since t0) when the host traces. */
void pk__trace_plugin(pk_host *h, pk_trace_event event, const pk_plugin *p,
                      uint64_t t0, pk_status status);

#endif
