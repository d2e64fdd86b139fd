/* host.h -- the host and plugin records, shared by host.c, discover.c and
 * plugin_api.c (never installed).
 * SPDX-License-Identifier: MIT */
#ifndef PK_HOST_H
#define PK_HOST_H

#include "internal.h"
#include "plugkit/plugin.h"

#define PK__NO_NODE UINT32_MAX

struct pk_plugin {
  pk_host *host;
  pk__manifest m;            /* empty for a broken plugin */
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
  pk_plugin *shadowed_by;    /* for PK_STATE_SHADOWED */
  pk_plugin *required_by;    /* first plugin that required it; NULL: host */
  pk_plugin *named_by;       /* first plugin that required it by name */
  uint32_t node;             /* graph node, or PK__NO_NODE when not known */
  bool builtin;
  bool requires_all;         /* one of its requirements is ns:__all__ */
  void *data;                /* the plugin's own slot (api->set_data) */
  char **dyn_reqs;           /* requirements added by its register hook */
  size_t ndyn, dyncap;
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
  char **paths;             /* search paths, PLUGKIT_PATH entries first */
  size_t npaths, pathcap;
  size_t env_paths;         /* how many of them came from PLUGKIT_PATH */
  pk__builtin *builtins;
  size_t nbuiltins, bcap;

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
pk_status pk__plugin_new(pk_host *h, pk_plugin **out);
void pk__plugin_free(pk_host *h, pk_plugin *p);

/* discover.c */
pk_status pk__discover(pk_host *h, pk_error *err);

/* plugin_api.c */
extern const pk_host_api pk__host_api;

#endif
