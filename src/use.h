/* use.h -- the use layer, above the host and calling down into it: the
 * host description (description.c), the host config with its [plugins],
 * [defaults] and fragments (host_config.c), the instances of the
 * config's tables (instances.c) and the host's own tables
 * (host_tables.c).  Never installed.
 * SPDX-License-Identifier: MIT */
#ifndef PK_USE_H
#define PK_USE_H

#include <stdatomic.h>

#include "stages.h"

/* The host config and its instances: made by pk__hostconf_get(), which
 * installs h->release to free it (instances first, newest first) when
 * the host is freed. */
typedef struct pk__hostconf {
  /* host_config.c */
  pk_schema *defaults_schema; /* [defaults] (description or
                                 pk_host_declare_defaults), or NULL */
  pk_config *defaults;
  pk_doc *config;             /* the loaded config, or NULL */
  pk__pconf **decl;           /* [plugins] in the config's order */
  pk_config *no_settings;     /* the config of a declared plugin of no
                                 [config] and no settings, or NULL */
  size_t ndecl, dcap;
  pk__map by_alias;
  const pk_ctx *ctx;          /* pk_host_set_ctx, or NULL */
  /* instances.c: the set of instances is known when the config is loaded
   * (one entry per [<kind table>.NAME]) and never changes afterwards */
  pk__arena arena;            /* configs decoded when the config is loaded */
  pk__allocator arena_alloc;  /* pk__arena_fn over arena */
  struct pk__inst *insts;     /* one allocation of icap entries, ninst
                                 used; the entries of a kind follow each
                                 other */
  size_t ninst, icap;
  uint32_t *by_name;          /* index of the entries by name (open
                                 addressing, mask + 1 slots): entry + 1, 0
                                 when empty */
  uint32_t mask;
  struct pk__inst **created;  /* icap slots, filled in order of creation */
  _Atomic size_t ncreated;
  pthread_mutex_t inst_mu;    /* with inst_cv: waiting for a build */
  /* host_tables.c: the description's [tables.NAME], in its order */
  struct pk__htable *tables;
  size_t ntables, tcap;
  pthread_cond_t inst_cv;
} pk__hostconf;

/* host_config.c: the host config state, made on first use; NULL when out
 * of memory. */
pk__hostconf *pk__hostconf_get(pk_host *h);

/* type_hint.c: the "ns:name" a [plugins] value names: a bare name is in
 * the host's namespace when it has one only (written into buf, n bytes);
 * else id itself. */
const char *pk__plugins_full_id(const pk_host *h, const char *id, char *buf,
                                size_t n);
/* type_hint.c: for an unknown type kind/tag, "; plugin ID provides it
 * but is not enabled: add plugins.NAME = \"ID\" to the config" when an
 * installed plugin not declared provides it, or, when a [plugins] entry
 * names a plugin that is not installed whose closest installed name is
 * that plugin, "; plugin ID provides it: fix the typo in plugins.ALIAS at
 * FILE:LINE:COL (\"VALUE\")"; else "". */
void pk__type_hint(pk_host *h, const char *kind, const char *tag, char *hint,
                   size_t n);

/* instances.c: enters and checks (type and fields) every table of every
 * kind's table in root; problems go to diag and the first to *first
 * (*failed set).  PK_ENOMEM only. */
pk_status pk__instances_add(pk_host *h, pk__hostconf *c, const pk_value *root,
                            pk_diag *diag, pk_error *first, bool *failed);
/* Destroys every instance built, newest first, and frees the entries. */
void pk__instances_free(pk_host *h, pk__hostconf *c);
/* pk_host_check_instance() with the ctx formatting the type's format =
 * true fields (NULL: checked as written); with tag, a string v is the
 * type's tag, { type = "TAG" } written short: only its type is checked
 * (problems at v's position). */
pk_status pk__instance_check(pk_host *h, const char *kind, const char *label,
                             const pk_value *v, bool tag, const pk_ctx *ctx,
                             pk_diag *diag, pk_error *err);

/* unknown_type.c: PK_ENOTFOUND at pos for a tag no type of kind has, in
 * where ("caches.x"): the known tags, the closest, and an installed plugin
 * not enabled that provides it. */
pk_status pk__unknown_type(pk_host *h, const pk__types *t, const char *kind,
                           const char *tag, pk_pos pos, const char *where,
                           pk_error *err);

/* host_tables.c: the host's own tables of its config ([tables.NAME] of
 * the description, read by description.c).  A key of a table the host
 * checks itself or by a kind: */
typedef struct pk__hkey {
  const char *name; /* borrowed from the description */
  const char *kind; /* an instance field: its kind; NULL: the host's */
  bool array;       /* an array of instances */
  bool tag;         /* a string is the type's tag ({ type = "TAG" }) */
} pk__hkey;

typedef struct pk__htable {
  const char *name; /* [NAME]; borrowed from the description */
  pk_pos pos;       /* of [tables.NAME] */
  bool each;        /* [NAME.KEY] tables, each checked; else [NAME] */
  unsigned scalars; /* each: 1u << pk_kind of the values taken for a table */
  pk_schema *schema;   /* `fields`, owned; NULL: any key */
  pk__hkey *keys;      /* instance fields, then the host's keys (owned) */
  const char **skip;   /* their names, skipped by the schema (owned) */
  size_t nkeys;
  const pk_value *one_of; /* exactly one of these keys: an array of
                             strings of the description, or NULL */
} pk__htable;

/* Declares t (taken: its schema, keys and skip are freed on failure
 * too); PK_EDUPLICATE for a name declared twice or that is plugkit's or
 * a kind's table. */
pk_status pk__host_table_declare(pk_host *h, pk__hostconf *c, pk__htable *t,
                                 pk_error *err);
/* Checks root's host tables, and, when the description declares any, that
 * root holds no other key than [plugins], [defaults], the kinds' tables and
 * the host tables; problems go to diag and the first to *first (*failed
 * set).  PK_ENOMEM only. */
pk_status pk__host_tables_check(pk_host *h, pk__hostconf *c,
                                const pk_value *root, pk_diag *diag,
                                pk_error *first, bool *failed);
/* Frees the declared host tables. */
void pk__host_tables_free(pk_host *h, pk__hostconf *c);

#endif
