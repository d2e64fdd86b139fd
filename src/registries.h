/* registries.h -- the registries layer: the kinds and types a host and its
 * plugins declare (types.c) and the hooks, their implementations and
 * frozen dispatch tables (hooks.c).  Registries call only the records and
 * the base; the stages above fill and freeze them.
 * Never installed.  SPDX-License-Identifier: MIT */
#ifndef PK_REGISTRIES_H
#define PK_REGISTRIES_H

#include "records.h"

/* ---- kinds and types (types.c) ---- */

typedef struct pk__kind {
  char *name;
  uint32_t version;
  char *table;   /* or NULL */
  char *dflt;    /* default type tag, or NULL */
} pk__kind;

typedef struct pk__type {
  char *key;               /* "kind\x01tag", then kind, tag and extends */
  uint32_t key_len;
  uint32_t names;          /* bytes after the struct (key and the names) */
  char *kind, *tag, *extends; /* extends NULL when none */
  pk_plugin *plugin;       /* NULL: built-in */
  const pk_schema *schema; /* NULL until pk__type_schema() parses
                              schema_src */
  const pk_value *schema_src; /* [provides.config] of a plugin type */
  pk_schema *own_schema;
  const pk_value *tag_v;   /* or the tag in [[provides]] (pk__type_pos);
                              NULL, as schema_src, when declared from the
                              cache's record: read from the document, entry
                              prov_i, on first need */
  uint32_t prov_i;         /* plugin: its [[provides]] entry */
  bool has_code;           /* built-in: pk_host_add_type gave its factory;
                              plugin: api->type_add ran */
  void *data;
  /* what its code gives: a built-in's or a plugin's, never both (plugin
   * says which), so that the many types a config declares from plugins'
   * manifests (most never used) stay small: 136 bytes, not 192 (with
   * the names a 176-byte block, not 240: a page fault fewer per 64 of
   * them in a fresh process) */
  union {
    struct {                 /* built-in (plugin NULL) */
      pk_doc *doc;           /* schema text */
      pk_pos pos;            /* [types.K.TAG] in the description */
      pk_factory_fn factory;
      pk_instance_destroy_fn destroy;
    };
    struct {                 /* a plugin's */
      pk_type_factory_fn pfactory;
      pk_type_destroy_fn pdestroy;
      pk_plugin_binding *bind;
      size_t nbind;
      size_t config_size;
    };
  };
} pk__type;

typedef struct pk__types {
  pk__kind *kinds;
  size_t nkinds, kcap;
  pk__type **types;
  size_t ntypes, tcap;
  pk__map by_tag;
  pk_doc *empty_doc;
  pk_schema *empty_schema; /* of a type or plugin without a config */
  pk_doc **docs;           /* host description documents: the schemas
                              declared from them borrow their strings */
  size_t ndocs, doccap;
  /* the types of plugins' [[provides]] (add_provided): a config declares
   * many, from a manifest or the cache's record each, and keeps them for
   * as long as the host, so they are bumped here, not allocated one by
   * one (pk__type_free leaves them); released with the registry */
  pk__arena plugin_types;
  bool config_loaded;      /* a host config was loaded: no more kinds */
} pk__types;

/* The registry, made on first use; NULL when out of memory. */
pk__types *pk__types_get(pk_host *h);
/* Frees every type and kind (pk_host_free, after the instances). */
void pk__types_free(pk_host *h);
/* Keeps doc (taken, also on failure) for as long as the host. */
pk_status pk__types_keep_doc(pk_host *h, pk_doc *doc, pk_error *err);
/* A schema from a table of a document the host keeps, with its
 * allocator. */
pk_status pk__host_schema(pk_host *h, const pk_value *tbl, pk_schema **out,
                          pk_error *err);

static inline pk__kind *pk__find_kind(const pk__types *t, const char *name)
{
  for (size_t i = 0; t && i < t->nkinds; i++)
    if (!strcmp(t->kinds[i].name, name))
      return &t->kinds[i];
  return NULL;
}
pk__type *pk__find_type(const pk__types *t, const char *kind,
                        const char *tag);
/* A type with its key and names in one allocation (ext NULL: it extends
 * nothing); NULL when out of memory.  pk__type_insert() takes it (a tag
 * taken is PK_EDUPLICATE naming both providers); pk__type_free() frees one
 * not inserted.  A plugin's type (its plugin set at once) is allocated
 * from the registry's plugin_types arena, which pk__type_free leaves. */
pk__type *pk__type_new(const pk__allocator *a, const char *kind,
                       const char *tag, const char *ext);
pk_status pk__type_insert(pk_host *h, pk__types *t, pk__type *ty,
                          pk_error *err);
void pk__type_free(const pk__allocator *a, pk__type *ty);
/* Where the type is declared (the tag in the manifest, or the
 * description's [types.K.TAG]), and "plugin ns:x (file:line:col)" or "the
 * host (built-in)", for messages. */
pk_pos pk__type_pos(const pk__type *ty);
const char *pk__provider_text(const pk__type *ty, char *buf, size_t n);
/* The type's schema, parsed the first time it is needed (a plugin type's
 * [provides.config]). */
pk_status pk__type_schema_parse(pk_host *h, pk__type *ty, pk_error *err);
/* The strings of [[provides]] entry e of a checked manifest (one pass
 * over it; *out as set by the caller where a key is absent), its tag's
 * value and its config (*tag_v, *cfg: NULL when absent, as set by the
 * caller). */
void pk__provides_read(const pk_value *e, pk__mprov *out,
                       const pk_value **tag_v, const pk_value **cfg);
static inline pk_status pk__type_schema(pk_host *h, pk__type *ty,
                                        pk_error *err)
{
  return ty->schema ? PK_OK : pk__type_schema_parse(h, ty, err);
}

/* Adds the [[provides]] of p's manifest to the registry (once). */
pk_status pk__types_add_manifest(pk_host *h, pk_plugin *p, pk_error *err);
/* After p's register hook: every [[provides]] of its manifest must have
 * its code registered (api->type_add). */
pk_status pk__types_check_registered(pk_host *h, pk_plugin *p,
                                     pk_error *err);
/* The api table entry (api->type_add). */
int pk__api_type_add(pk_plugin_ctx *ctx, const pk_type_impl *impl);

/* ---- hooks (hooks.c) ---- */

typedef struct pk__hooks pk__hooks;

/* An implementation as registered (set-up time; cold). */
typedef struct pk__impl_rec {
  pk_plugin *plugin;
  pk_hook_fn fn;               /* a plain implementation, or NULL */
  pk_hook_wrapper_fn wrapper;  /* a wrapper, or NULL */
  void *data;
  uint32_t flags;              /* PK_HOOK_IMPL_FIRST / _LAST */
  char **before, **after;      /* "ns:name" (owned) */
  size_t nbefore, nafter;
  size_t seq;                  /* registration sequence, for ties */
} pk__impl_rec;

/* The frozen dispatch table of one hook (opaque). */
typedef struct pk__hook_table pk__hook_table;

/* The implementations of k in registration order. */
pk__impl_rec *pk__hook_recs(pk_hook *k, size_t *n);
/* A dispatch table of k calling wraps[0..nwrap) (outermost first) around
 * plain[0..n); with wake, the first call wakes the lazy plugins listing
 * the hook (h->wake_hook) and goes on with the table published then.  NULL
 * when out of memory. */
pk__hook_table *pk__hook_table_new(pk_host *h, pk_hook *k,
                                   pk__impl_rec *const *wraps, size_t nwrap,
                                   pk__impl_rec *const *plain, size_t n,
                                   bool wake);
void pk__hook_table_free(pk_host *h, pk__hook_table *t);
/* Publishes t as k's table.  The old table is freed, or with retire kept
 * until the host is freed (calls in flight keep reading it); PK_ENOMEM
 * when it cannot be retired (t is freed, the old table stays). */
pk_status pk__hook_publish(pk_host *h, pk_hook *k, pk__hook_table *t,
                           bool retire);
/* After the freeze, declarations and registrations fail with PK_ESTATE
 * (a lazy plugin being woken may still register).  PK_ENOMEM. */
pk_status pk__hooks_set_frozen(pk_host *h);
bool pk__hooks_frozen(const pk_host *h);
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

#endif
