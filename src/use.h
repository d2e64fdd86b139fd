/* use.h -- the use layer, above the host and calling down into it: the
 * host description (description.c), the host config with its [plugins],
 * [defaults] and fragments (host_config.c), and the instances of the
 * config's tables (instances.c).  Never installed.
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
  pthread_cond_t inst_cv;
} pk__hostconf;

/* host_config.c: the host config state, made on first use; NULL when out
 * of memory. */
pk__hostconf *pk__hostconf_get(pk_host *h);

/* type_hint.c: the "ns:name" a [plugins] value names: a bare name is in
 * the host's namespace when it has one only. */
void pk__plugins_full_id(const pk_host *h, const char *id, char *full,
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

#endif
