/* instances.c -- instances of the config's tables, built on first use by
 * the type their "type" selects (its extends chain, base first), and of
 * inline tables (pk_host_make_instance, caller-owned).
 * SPDX-License-Identifier: MIT
 *
 * The set of instances is known when the config is loaded (one entry per
 * [<kind table>.NAME]); the entries and their name index never change
 * afterwards, so a lookup takes no lock.  An entry is built once: an
 * atomic state read (acquire) returns a built instance; the first caller
 * marks it building (compare-and-swap) and builds it without a lock; a
 * caller arriving meanwhile marks that it waits and sleeps on one
 * host-wide condition variable, which the builder signals only then.
 * Waking a lazy plugin takes the host's wake mutex (lazy.c), off the hot
 * path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "use.h"

/* The host's ctx and [defaults], when it has a config state. */
static const pk_ctx *ctx_of(const pk_host *h)
{
  return h->hostconf ? h->hostconf->ctx : NULL;
}

static const pk_config *defaults_of(const pk_host *h)
{
  return h->hostconf ? h->hostconf->defaults : NULL;
}

typedef struct pk__inst {
  /* what a lookup reads first */
  _Atomic int state;     /* INST_NEW ... INST_FAILED */
  bool inline_top;       /* pk_host_make_instance: name is a label */
  uint8_t npre;          /* levels in pre */
  pk__kind *kind;
  const char *name;      /* the table's key in the config, or the label;
                            NULL: a private base level */
  void *obj;
  /* the rest */
  const pk_value *table; /* its position is computed only for errors */
  pk__type *type;        /* the level's type; for a table, the top type
                            selected when the config was loaded */
  pk_config *cfg;
  void *cstruct;
  size_t csize;
  struct pk__inst *base; /* private chain (extends) */
  pk__strv *strv;        /* lists bound into cstruct */
  pk_error *err;         /* failed: allocated, or &inst_nomem */
  /* configs decoded when the config was loaded (in the host config's
   * arena, like the array), kept for the first use (npre levels, top
   * first) when nothing in them waits for formatting; one level (the usual
   * case) is kept without an array */
  union {
    pk_config *one;   /* npre == 1 */
    pk_config **many; /* npre > 1 */
  } pre;
} pk__inst;

static const pk_error inst_nomem = {.code = PK_ENOMEM,
                                    .message = "out of memory"};

/* INST_WAITED: building, and a caller waits on inst_cv for the end */
enum { INST_NEW = 0, INST_BUILDING, INST_WAITED, INST_READY, INST_FAILED };

/* Decodes table by the type chain of ty (extends): level i skips "type"
 * and the fields only other levels have.  items (or NULL): the nitems
 * items of table (every one), read already.  cfgs[i] (may be NULL: check
 * only) receive the configs, in arena when not NULL (one thread only). */
static pk_status decode_chain(pk_host *h, const pk__allocator *arena,
                              pk__type **chain, size_t depth,
                              const pk_value *table, const pk__item *items,
                              size_t nitems, const pk_ctx *ctx,
                              pk_config **cfgs, pk_diag *diag, pk_error *err)
{
  static const char *const type_key[] = {"type"};
  if (depth == 1) { /* no base: the top level skips only "type" */
    pk_decode_options o = {
        .size = sizeof o, .ctx = ctx, .skip = type_key, .skip_count = 1};
    pk_config *c = NULL;
    pk_status st = pk__schema_decode_in(arena, chain[0]->schema, table, items,
                                        nitems, &o, &c, diag, err);
    if (cfgs)
      cfgs[0] = c;
    else
      pk_config_free(c);
    return st;
  }
  size_t total = 1; /* "type", and with a base the other levels' names */
  for (size_t i = 0; i < depth; i++)
    total += pk_schema_field_count(chain[i]->schema) +
             (i ? 0 : pk_table_count(table));
  const char *small[64];
  const char **skip = total <= 64 ? small
                                  : pk__alloc(&h->alloc, total * sizeof *skip);
  if (!skip)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  pk_status first = PK_OK;
  for (size_t i = 0; i < depth; i++) {
    size_t ns = 0;
    skip[ns++] = type_key[0];
    /* the top level reports unknown keys; a base level decodes only its
     * own fields (else each level would report them again) */
    for (size_t k = 0; i > 0 && k < pk_table_count(table); k++) {
      const char *key = pk_table_key_at(table, k, NULL);
      if (!pk_schema_find_field(chain[i]->schema, key))
        skip[ns++] = key;
    }
    for (size_t j = 0; i == 0 && j < depth; j++) {
      if (j == i)
        continue;
      const pk_schema *s = chain[j]->schema;
      for (size_t f = 0; f < pk_schema_field_count(s); f++) {
        const char *name = pk_field_get_name(pk_schema_field_at(s, f));
        if (!pk_schema_find_field(chain[i]->schema, name))
          skip[ns++] = name;
      }
    }
    pk_decode_options o = {.size = sizeof o, .ctx = ctx, .skip = skip,
                           .skip_count = ns};
    pk_config *c = NULL;
    pk_error e;
    pk_status st = pk__schema_decode_in(arena, chain[i]->schema, table, items,
                                        nitems, &o, &c, diag, &e);
    if (st != PK_OK && first == PK_OK) {
      first = st;
      pk__error_copy(err, &e);
    }
    if (cfgs)
      cfgs[i] = c;
    else
      pk_config_free(c);
    if (st != PK_OK && !diag)
      break;
  }
  if (skip != small)
    pk__free(&h->alloc, skip, total * sizeof *skip);
  return first;
}

/* Does any level of the chain have a format = true field (at the top level
 * of its schema)?  Those must be decoded with the host's ctx. */
static bool chain_formats(pk__type **chain, size_t depth)
{
  for (size_t i = 0; i < depth; i++)
    for (size_t f = 0; f < pk_schema_field_count(chain[i]->schema); f++) {
      const pk_field *fd = pk_schema_field_at(chain[i]->schema, f);
      if (pk_field_is_format(fd) || pk_field_get_fields(fd))
        return true;
    }
  return false;
}

#define MAX_CHAIN 16
#define ITEMS_MAX 32 /* items of an instance table read once (see below) */

/* "[caches.remote]" for an entry of a kind's table; the caller's label
 * for an inline table (pk_host_make_instance). */
static const char *inst_where(const pk__inst *in, char *buf, size_t n)
{
  if (!in->inline_top && in->kind->table)
    snprintf(buf, n, "[%s.%s]", in->kind->table, in->name);
  else
    snprintf(buf, n, "%s", in->name);
  return buf;
}

static pk_status chain_of(pk_host *h, pk__types *t, pk__type *ty,
                          pk__type **chain, size_t *depth, pk_error *err);

/* Selects the type of an instance table (in->type once selected when the
 * config was loaded); fills chain (base last).  type_v (or NULL: looked up
 * here): the table's "type" value, or NULL when it has none. */
static pk_status select_type(pk_host *h, pk__types *t, pk__inst *in,
                             const pk_value *const *type_v, pk__type **chain,
                             size_t *depth, pk_error *err)
{
  if (in->type)
    return chain_of(h, t, in->type, chain, depth, err);
  const pk_value *tv = type_v ? *type_v : pk_table_getn(in->table, "type", 4);
  const char *tag = in->kind->dflt;
  if (tv) {
    pk_status st = pk_value_get_string(tv, &tag, NULL, err);
    if (st != PK_OK)
      return st;
  }
  char where[300];
  if (!tag)
    return pk__fail_at(err, PK_EMISSING, pk_value_get_pos(in->table),
                       "%s has no \"type\" and kind \"%s\" has no "
                       "default type; add type = \"TAG\"",
                       inst_where(in, where, sizeof where), in->kind->name);
  pk__type *ty = pk__find_type(t, in->kind->name, tag);
  if (!ty)
    return pk__unknown_type(h, t, in->kind->name, tag,
                            pk_value_get_pos(tv ? tv : in->table),
                            inst_where(in, where, sizeof where), err);
  return chain_of(h, t, ty, chain, depth, err);
}

/* The extends chain of ty (base last). */
static pk_status chain_of(pk_host *h, pk__types *t, pk__type *ty,
                          pk__type **chain, size_t *depth, pk_error *err)
{
  *depth = 0;
  while (ty) {
    if (*depth == MAX_CHAIN)
      return pk__fail_at(err, PK_EDEP_CYCLE, pk__type_pos(ty),
                         "%s type \"%s\": extends chain too long (a "
                         "cycle?)", ty->kind, ty->tag);
    pk_status st = pk__type_schema(h, ty, err);
    if (st != PK_OK)
      return st;
    chain[(*depth)++] = ty;
    if (!ty->extends)
      break;
    pk__type *b = pk__find_type(t, ty->kind, ty->extends);
    if (!b) {
      char prov[512];
      return pk__fail_at(err, PK_ENOTFOUND, pk__type_pos(ty),
                         "%s type \"%s\" of %s extends \"%s\", which no "
                         "enabled plugin or the host provides",
                         ty->kind, ty->tag,
                         pk__provider_text(ty, prov, sizeof prov),
                         ty->extends);
    }
    ty = b;
  }
  return PK_OK;
}

/* The entry of (kd, name), or NULL. */
static pk__inst *inst_find(const pk__hostconf *c, const pk__kind *kd,
                           const char *name)
{
  if (!c || !c->by_name)
    return NULL;
  for (uint32_t i = (uint32_t)pk__hash(name, strlen(name)) & c->mask;;
       i = (i + 1) & c->mask) {
    uint32_t e = c->by_name[i];
    if (!e)
      return NULL;
    pk__inst *in = &c->insts[e - 1];
    if (in->kind == kd && !strcmp(in->name, name))
      return in;
  }
}

/* Enters entry e - 1 under name: a table's keys differ and two kinds'
 * entries differ by kind, so the new name matches no slot taken. */
static void inst_index(pk__hostconf *c, const char *name, size_t len,
                       uint32_t e)
{
  uint32_t i = (uint32_t)pk__hash(name, len) & c->mask;
  while (c->by_name[i])
    i = (i + 1) & c->mask;
  c->by_name[i] = e;
}

pk_status pk__instances_add(pk_host *h, pk__hostconf *c, const pk_value *root,
                            pk_diag *diag, pk_error *first, bool *failed)
{
  pk__types *t = h->types; /* made by pk_host_load_config */
  /* room for every entry of every kind's table: one allocation each for
   * the entries, the creation list and the name index (at most half
   * full); an entry's name is its key in the config document */
  size_t n = 0;
  for (size_t k = 0; k < t->nkinds; k++) {
    pk__kind *kd = &t->kinds[k];
    n += pk_table_count(kd->table ? pk_table_get(root, kd->table) : NULL);
  }
  if (n > UINT32_MAX / 4)
    return PK_ENOMEM;
  if (n) {
    size_t nslots = 16;
    while (nslots < 2 * n)
      nslots *= 2;
    c->insts = pk__alloc(&h->alloc, n * sizeof *c->insts);
    if (!c->insts)
      return PK_ENOMEM;
    c->icap = n;
    c->created = pk__alloc(&h->alloc, n * sizeof *c->created);
    if (!c->created)
      return PK_ENOMEM;
    c->by_name = pk__alloc_zero(&h->alloc, nslots * sizeof *c->by_name);
    if (!c->by_name)
      return PK_ENOMEM;
    c->mask = (uint32_t)(nslots - 1);
  }
  /* Tables of one type often follow each other: the type a table
   * selected (its kind, its tag as written, its chain) is taken again for
   * the next table of the same kind and tag without a lookup (the types
   * do not change while the config loads, so it is the type a lookup would
   * select). */
  struct {
    const pk__kind *kd; /* NULL: none yet */
    const char *tag;    /* kd->dflt (no "type"), or the "type" string */
    size_t tag_len;     /* SIZE_MAX for kd->dflt */
    pk__type *chain[MAX_CHAIN];
    size_t depth;
    bool keeps; /* decoded once, kept for the first use */
  } hint = {0};
  for (size_t k = 0; k < t->nkinds; k++) {
    pk__kind *kd = &t->kinds[k];
    const pk_value *sect = kd->table ? pk_table_get(root, kd->table) : NULL;
    pk_error e;
    if (!sect)
      continue;
    if (pk_value_kind(sect) != PK_KIND_TABLE) {
      pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(sect), "[%s] must be a table "
                  "of %s instances, found %s", kd->table, kd->name,
                  pk__kind_article(pk_value_kind(sect)));
      if (pk__diag_report(diag, first, failed, &e))
        return PK_ENOMEM;
      continue;
    }
    size_t ntables = pk_table_count(sect);
    pk__items entries; /* the kind's tables, read a batch at a time */
    pk__items_init(&entries, sect);
    for (size_t i = 0; i < ntables; i++) {
      const pk__item *en = pk__items_at(&entries, i);
      const char *name = en->key;
      size_t len = en->key_len;
      const pk_value *tbl = en->v;
      if (en->kind != PK_KIND_TABLE) {
        pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(tbl), "%s.%s must be a "
                    "table (a %s instance), found %s", kd->table, name,
                    kd->name,
                    pk__kind_article(pk_value_kind(tbl)));
        if (pk__diag_report(diag, first, failed, &e))
          return PK_ENOMEM;
        continue;
      }
      /* filled as it is reached, not zeroed in a pass of its own */
      pk__inst *in = &c->insts[c->ninst++];
      *in = (pk__inst){.kind = kd, .name = name, .table = tbl};
      inst_index(c, name, len, (uint32_t)c->ninst);
      /* check it now: type and fields.  The table's items are read once,
       * for its "type" and for the decode (a larger table is read by
       * each). */
      pk__item items[ITEMS_MAX];
      size_t nitems = pk__value_items(tbl, 0, items, ITEMS_MAX);
      const pk__item *type_it = NULL;
      bool read = nitems < ITEMS_MAX || pk_table_count(tbl) == ITEMS_MAX;
      if (read) {
        for (size_t j = 0; j < nitems; j++)
          if (pk__key_is(items[j].key, items[j].key_len, "type")) {
            type_it = &items[j];
            break;
          }
      }
      const char *tag = !read                             ? NULL
                        : !type_it                        ? kd->dflt
                        : type_it->kind == PK_KIND_STRING ? type_it->u.s
                                                          : NULL;
      size_t tag_len = type_it ? type_it->len : SIZE_MAX; /* the default */
      if (!tag || hint.kd != kd || hint.tag_len != tag_len ||
          (tag != hint.tag && (!type_it || memcmp(tag, hint.tag, tag_len)))) {
        const pk_value *type_v = type_it ? type_it->v : NULL;
        if (select_type(h, t, in, read ? &type_v : NULL, hint.chain,
                        &hint.depth, &e) != PK_OK) {
          hint.kd = NULL; /* hint.chain is not a chain */
          if (pk__diag_report(diag, first, failed, &e))
            return PK_ENOMEM;
          continue;
        }
        hint.kd = tag ? kd : NULL;
        hint.tag = tag;
        hint.tag_len = tag_len;
        hint.keeps = !chain_formats(hint.chain, hint.depth);
      }
      in->type = hint.chain[0];
      /* Decoded once: kept for the first use unless formatting must wait
       * for the host's ctx. */
      size_t depth = hint.depth;
      pk_config *cfgs[MAX_CHAIN];
      bool keep = hint.keeps;
      if (decode_chain(h, keep ? &c->arena_alloc : NULL, hint.chain, depth, tbl,
                       read ? items : NULL, nitems, NULL, keep ? cfgs : NULL,
                       diag, &e) != PK_OK) {
        if (e.code == PK_ENOMEM)
          return PK_ENOMEM;
        if (!*failed)
          *first = e;
        *failed = true;
      } else if (keep && depth == 1) {
        in->pre.one = cfgs[0];
        in->npre = 1;
      } else if (keep) {
        in->pre.many = pk__alloc(&c->arena_alloc, depth * sizeof *cfgs);
        if (!in->pre.many)
          return PK_ENOMEM;
        memcpy(in->pre.many, cfgs, depth * sizeof *cfgs);
        in->npre = (uint8_t)depth;
      }
    }
  }
  return PK_OK;
}

/* ---- instances ---- */

static void inst_release(pk_host *h, pk__inst *in)
{
  while (in) {
    pk__inst *base = in->base;
    pk__type *ty = in->type;
    if (in->obj && ty) {
      if (ty->plugin && ty->pdestroy)
        ty->pdestroy(ty->data, in->obj);
      else if (!ty->plugin && ty->destroy)
        ty->destroy(ty->data, in->obj);
    }
    in->obj = NULL;
    pk_config_free(in->cfg);
    in->cfg = NULL;
    pk__free(&h->alloc, in->cstruct, in->csize);
    in->cstruct = NULL;
    pk__strv_free(&h->alloc, in->strv);
    in->strv = NULL;
    in->base = NULL;
    if (!in->name) /* a private base level */
      pk__free(&h->alloc, in, sizeof *in);
    in = base;
  }
}

/* Where a plugin factory's reason points: at the value of the field it
 * starts with (`url "x": expected ...`), in the layer that value came
 * from ([caches.NAME] or [plugins.ALIAS]), for that is what to fix; else
 * at the instance's table. */
static pk_pos reason_pos(const pk__type *ty, const pk_config *const *layers,
                         const char *reason, const pk__inst *top)
{
  for (size_t i = 0; i < ty->nbind; i++) {
    const char *f = ty->bind[i].field;
    size_t n = strlen(f);
    const pk_config *from;
    pk_error e;
    if (!strncmp(reason, f, n) && reason[n] == ' ' &&
        pk_config_coalesce(layers, 3, f, &from, &e) == PK_OK) {
      pk_pos pos = pk_config_get_value_pos(from, f);
      if (pos.line)
        return pos;
    }
  }
  return pk_value_get_pos(top->table);
}

/* Builds one level (ty) with its decoded config and base object. */
static pk_status build_level(pk_host *h, pk__inst *top,
                             pk__inst *lv, void *base, pk_error *err)
{
  pk__type *ty = lv->type;
  const pk__pconf *pc = ty->plugin ? ty->plugin->conf : NULL;
  if (ty->plugin) {
    pk_status st = pk__lazy_wake(h, ty->plugin, err);
    if (st != PK_OK)
      return st;
    if (!ty->has_code)
      return pk__fail_at(err, PK_ELOAD, pk__type_pos(ty),
                         "plugin %s (%s) did not register %s type \"%s\"",
                         ty->plugin->id, pk_plugin_state_name(
                             ty->plugin->state), ty->kind, ty->tag);
    lv->csize = ty->config_size ? ty->config_size : 1;
    lv->cstruct = pk__alloc_zero(&h->alloc, lv->csize);
    if (!lv->cstruct)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    const pk_config *layers[3] = {lv->cfg, pc ? pc->config : NULL,
                                  defaults_of(h)};
    for (size_t i = 0; i < ty->nbind; i++) {
      const pk_config *from;
      pk_error e;
      if (pk_config_coalesce(layers, 3, ty->bind[i].field, &from, &e) !=
          PK_OK)
        continue;
      pk_binding b;
      pk__plugin_bindings(&ty->bind[i], 1, &b);
      pk_status bst =
          ty->bind[i].ctype == PK_PLUGIN_C_STRINGS
              ? pk__bind_strings(&h->alloc, from, &ty->bind[i], lv->cstruct,
                                 &lv->strv, err)
              : pk__config_bind(from, &b, 1, lv->cstruct, true, err);
      if (bst != PK_OK)
        return bst;
    }
    char ebuf[512] = "";
    pk_type_call call = {sizeof call,   (pk_plugin_ctx *)ty->plugin,
                         ty->kind,      ty->tag,
                         top->name,     lv->cstruct,
                         base,          h->userdata,
                         ty->data,      ebuf,
                         sizeof ebuf};
    pk__call c;
    pk__call_enter(h, &c, PK_TRACE_FACTORY, ty->plugin, true, ty->kind,
                   ty->tag);
    int rc = ty->pfactory(&call, &lv->obj);
    pk__call_leave(h, &c, ty->plugin, rc ? PK_EPLUGIN : PK_OK);
    if (rc != 0) {
      char where[300];
      lv->obj = NULL;
      pk__fail_at(err, PK_EPLUGIN, reason_pos(ty, layers, ebuf, top),
                  "%s type \"%s\" of plugin %s failed to build %s: %s",
                  ty->kind, ty->tag, ty->plugin->id,
                  inst_where(top, where, sizeof where),
                  ebuf[0] ? ebuf : "the factory returned an error");
      return pk__error_set_plugin(err, ty->plugin->id);
    }
    return PK_OK;
  }
  if (!ty->factory)
    return pk__fail_at(err, PK_ENOTSUP, pk_value_get_pos(top->table),
                       "%s type \"%s\" is declared by the host description "
                       "but the host registered no code for it "
                       "(pk_host_add_type)", ty->kind, ty->tag);
  pk_instance_args a = {sizeof a, ty->kind,  ty->tag,     top->name,
                        lv->cfg,  NULL,      defaults_of(h), base,
                        h->userdata, ty->data};
  pk_error e;
  pk_error_clear(&e);
  void *hc = pk__host_code_enter(h); /* the host's code */
  pk_status st = ty->factory(&a, &lv->obj, &e);
  pk__host_code_leave(h, hc);
  if (st != PK_OK) {
    lv->obj = NULL;
    if (!e.line) {
      char msg[sizeof e.message], where[300];
      pk__copy_str(msg, sizeof msg, e.message[0] ? e.message
                                                 : "the factory failed");
      pk__fail_at(&e, st, pk_value_get_pos(top->table),
                  "%s type \"%s\" failed to build %s: %s", ty->kind, ty->tag,
                  inst_where(top, where, sizeof where), msg);
    }
    return pk__error_copy(err, &e);
  }
  return PK_OK;
}

static pk_status inst_build(pk_host *h, pk__types *t, pk__inst *in,
                            pk_error *err)
{
  pk__type *chain[MAX_CHAIN];
  pk_config *cfgs[MAX_CHAIN];
  size_t depth = 0;
  pk_status st = PK_OK;
  if (in->npre == 1) { /* one level, decoded when the config was loaded */
    chain[0] = in->type;
    depth = 1;
  } else {
    st = select_type(h, t, in, NULL, chain, &depth, err);
  }
  if (st != PK_OK)
    return st;
  if (in->npre == depth) { /* decoded when the config was loaded */
    if (depth == 1)
      cfgs[0] = in->pre.one;
    else
      memcpy(cfgs, in->pre.many, depth * sizeof *cfgs);
    in->pre.many = NULL;
    in->npre = 0;
  } else {
    memset(cfgs, 0, depth * sizeof *cfgs); /* a failed decode stops early */
    st = decode_chain(h, NULL, chain, depth, in->table, NULL, 0, ctx_of(h),
                      cfgs, NULL, err);
  }
  if (st != PK_OK) {
    for (size_t i = 0; i < depth; i++)
      pk_config_free(cfgs[i]);
    return st;
  }
  /* levels: in (top) and private bases */
  pk__inst *lv[MAX_CHAIN];
  lv[0] = in;
  for (size_t i = 1; i < depth; i++) {
    lv[i] = pk__alloc_zero(&h->alloc, sizeof *lv[i]);
    if (!lv[i]) {
      for (size_t j = i; j < depth; j++)
        pk_config_free(cfgs[j]);
      for (size_t j = 0; j < i; j++) {
        lv[j]->cfg = cfgs[j];
        lv[j]->type = chain[j];
      }
      in->base = depth > 1 && i > 1 ? lv[1] : NULL;
      for (size_t j = 1; j + 1 < i; j++)
        lv[j]->base = lv[j + 1];
      inst_release(h, in);
      return pk__fail(err, PK_ENOMEM, "out of memory");
    }
  }
  for (size_t i = 0; i < depth; i++) {
    lv[i]->type = chain[i];
    lv[i]->cfg = cfgs[i];
    lv[i]->base = i + 1 < depth ? lv[i + 1] : NULL;
  }
  void *base = NULL;
  for (size_t i = depth; i-- > 0;) {
    st = build_level(h, in, lv[i], base, err);
    if (st != PK_OK) {
      inst_release(h, in);
      return st;
    }
    base = lv[i]->obj;
  }
  return PK_OK;
}

/* The entries this thread is building, innermost first: a factory asking
 * for the instance it is building would otherwise wait for itself. */
typedef struct building {
  const pk__inst *in;
  struct building *up;
} building;
static _Thread_local building *building_now;

static pk_status not_configured(const pk_host *h, const char *kind,
                                const char *name, pk_error *err)
{
  const pk__hostconf *c = h->hostconf;
  pk__kind *kd = pk__find_kind(h->types, kind);
  if (!kd)
    return pk__fail(err, PK_ENOTFOUND, "unknown kind \"%s\" (declare it "
                    "with pk_host_declare_kind)", kind);
  const char *names[128];
  size_t k = 0;
  for (size_t i = 0; c && i < c->ninst && k < 128; i++)
    if (c->insts[i].kind == kd)
      names[k++] = c->insts[i].name;
  char list[1024];
  pk__join(list, sizeof list, names, k);
  const char *near = pk__closest(name, names, k);
  return pk__fail(err, PK_ENOTFOUND, "no %s named \"%s\": the config%s%s "
                  "has no [%s.%s] table%s%s%s (configured: %s)", kind, name,
                  c && c->config ? " " : "",
                  c && c->config ? pk_doc_source(c->config) : "",
                  kd->table ? kd->table : kd->name, name,
                  near ? " (did you mean \"" : "", near ? near : "",
                  near ? "\"?)" : "", k ? list : "none");
}

pk_status pk_host_get_instance(pk_host *h, const char *kind, const char *name,
                               void **out, pk_error *err)
{
  if (!h || !kind || !name || !out)
    return pk__fail(err, PK_EMISUSE, "pk_host_get_instance: NULL argument");
  *out = NULL;
  pk__hostconf *c = h->hostconf;
  pk__kind *kd = pk__find_kind(h->types, kind);
  pk__inst *in = kd ? inst_find(c, kd, name) : NULL;
  if (!in)
    return not_configured(h, kind, name, err);
  int s = atomic_load_explicit(&in->state, memory_order_acquire);
  if (__builtin_expect(s == INST_READY, 1)) {
    *out = in->obj;
    return PK_OK;
  }
  if (s == INST_NEW &&
      atomic_compare_exchange_strong_explicit(&in->state, &s, INST_BUILDING,
                                              memory_order_acquire,
                                              memory_order_acquire)) {
    /* built without a lock: a factory may ask for other instances */
    building me = {in, building_now};
    building_now = &me;
    pk_error be;
    pk_status st = inst_build(h, h->types, in, &be);
    building_now = me.up;
    if (st == PK_OK) {
      /* c->created has a slot for every entry; each takes one, once */
      size_t slot = atomic_fetch_add_explicit(&c->ncreated, 1,
                                              memory_order_relaxed);
      c->created[slot] = in;
    } else {
      in->err = pk__alloc(&h->alloc, sizeof *in->err);
      if (in->err)
        *in->err = be;
      else
        in->err = (pk_error *)&inst_nomem;
    }
    s = st == PK_OK ? INST_READY : INST_FAILED;
    if (atomic_exchange_explicit(&in->state, s, memory_order_acq_rel) ==
        INST_WAITED) {
      /* the waiter marked it under the mutex before sleeping: taking the
       * mutex here means it sleeps already */
      pthread_mutex_lock(&c->inst_mu);
      pthread_cond_broadcast(&c->inst_cv);
      pthread_mutex_unlock(&c->inst_mu);
    }
  } else if (s == INST_BUILDING || s == INST_WAITED) {
    for (building *b = building_now; b; b = b->up)
      if (b->in == in) {
        char where[300];
        return pk__fail_at(err, PK_ESTATE, pk_value_get_pos(in->table),
                           "%s %s is being built: its factory (or one it "
                           "calls) asked for it", kind,
                           inst_where(in, where, sizeof where));
      }
    pthread_mutex_lock(&c->inst_mu);
    s = atomic_load_explicit(&in->state, memory_order_acquire);
    while (s == INST_BUILDING || s == INST_WAITED) {
      /* marked before sleeping, so that the builder signals */
      if (s == INST_WAITED ||
          atomic_compare_exchange_strong_explicit(&in->state, &s, INST_WAITED,
                                                  memory_order_acquire,
                                                  memory_order_acquire))
        pthread_cond_wait(&c->inst_cv, &c->inst_mu);
      s = atomic_load_explicit(&in->state, memory_order_acquire);
    }
    pthread_mutex_unlock(&c->inst_mu);
  }
  if (s == INST_READY) {
    *out = in->obj;
    return PK_OK;
  }
  return pk__error_copy(err, in->err);
}

/* ---- instances of inline tables ---- */

struct pk_instance {
  pk_host *host;
  pk__inst in;
  char label[]; /* in.name */
};

static pk_status inline_init(pk_host *h, const char *kind, const char *label,
                             const pk_value *table, pk__inst *in,
                             pk_error *err)
{
  pk__types *t = h->types;
  pk__kind *kd = pk__find_kind(t, kind);
  if (!kd)
    return pk__fail(err, PK_ENOTFOUND, "unknown kind \"%s\" (declare it "
                    "with pk_host_declare_kind)", kind);
  if (pk_value_kind(table) != PK_KIND_TABLE)
    return pk__fail_at(err, PK_ETYPE, pk_value_get_pos(table), "%s must be a "
                       "table (a %s instance), found %s", label, kind,
                       pk__kind_article(pk_value_kind(table)));
  in->kind = kd;
  in->table = table;
  in->name = label;
  in->inline_top = true;
  return PK_OK;
}

pk_status pk_host_check_instance(pk_host *h, const char *kind,
                                 const char *label, const pk_value *table,
                                 pk_diag *diag, pk_error *err)
{
  if (!h || !kind || !label || !table)
    return pk__fail(err, PK_EMISUSE, "pk_host_check_instance: NULL argument");
  return pk__instance_check(h, kind, label, table, false, ctx_of(h), diag,
                            err);
}

pk_status pk__instance_check(pk_host *h, const char *kind, const char *label,
                             const pk_value *v, bool tag, const pk_ctx *ctx,
                             pk_diag *diag, pk_error *err)
{
  pk__types *t = pk__types_get(h);
  if (!t)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  pk__inst in = {0};
  pk__type *chain[MAX_CHAIN];
  size_t depth;
  pk_error e;
  pk_status st;
  /* a tag stands for { type = "TAG" }: positions are the tag's */
  tag = tag && pk_value_kind(v) == PK_KIND_STRING;
  if (tag) {
    in = (pk__inst){.kind = pk__find_kind(t, kind), .table = v, .name = label,
                    .inline_top = true};
    st = in.kind ? PK_OK : pk__fail(&e, PK_ENOTFOUND, "unknown kind \"%s\"",
                                    kind);
  } else {
    st = inline_init(h, kind, label, v, &in, &e);
  }
  if (st == PK_OK) {
    pthread_mutex_lock(&h->wake_mu);
    st = select_type(h, t, &in, tag ? &v : NULL, chain, &depth, &e);
    pthread_mutex_unlock(&h->wake_mu);
  }
  if (st != PK_OK) {
    if (diag && st != PK_ENOMEM && pk_diag_add(diag, &e, NULL) != PK_OK)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    return pk__error_copy(err, &e);
  }
  return tag ? PK_OK
             : decode_chain(h, NULL, chain, depth, v, NULL, 0, ctx, NULL, diag,
                            err);
}

pk_status pk_host_make_instance(pk_host *h, const char *kind,
                                const char *label, const pk_value *table,
                                pk_instance **out, pk_error *err)
{
  if (!h || !kind || !label || !table || !out)
    return pk__fail(err, PK_EMISUSE, "pk_host_make_instance: NULL argument");
  *out = NULL;
  pk__types *t = pk__types_get(h);
  if (!t)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  size_t len = strlen(label) + 1;
  pk_instance *x = pk__alloc_zero(&h->alloc, sizeof *x + len);
  if (!x)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  x->host = h;
  memcpy(x->label, label, len);
  pk_status st = inline_init(h, kind, x->label, table, &x->in, err);
  if (st == PK_OK) {
    /* resolves the type's schema (once) under the lock */
    pk__type *chain[MAX_CHAIN];
    size_t depth;
    pthread_mutex_lock(&h->wake_mu);
    st = select_type(h, t, &x->in, NULL, chain, &depth, err);
    pthread_mutex_unlock(&h->wake_mu);
  }
  if (st == PK_OK)
    st = inst_build(h, t, &x->in, err); /* releases its levels on failure */
  if (st != PK_OK) {
    pk__free(&h->alloc, x, sizeof *x + len);
    return st;
  }
  *out = x;
  return PK_OK;
}

void *pk_instance_get(const pk_instance *inst)
{
  return inst ? inst->in.obj : NULL;
}

void pk_instance_free(pk_instance *inst)
{
  if (!inst)
    return;
  pk_host *h = inst->host;
  inst_release(h, &inst->in); /* the top level stays: its key is set */
  pk__free(&h->alloc, inst, sizeof *inst + strlen(inst->label) + 1);
}

/* ---- teardown ---- */

void pk__instances_free(pk_host *h, pk__hostconf *c)
{
  const pk__allocator *a = &h->alloc;
  size_t ninst = c->insts ? c->ninst : 0;
  for (size_t i = atomic_load(&c->ncreated); i-- > 0;)
    inst_release(h, c->created[i]);
  for (size_t i = 0; i < ninst; i++) {
    pk__inst *in = &c->insts[i];
    if (in->err != &inst_nomem)
      pk__free(a, in->err, sizeof *in->err);
  }
  if (c->insts) {
    /* the capacity: every table entry counted by pk__instances_add */
    pk__free(a, c->created, c->icap * sizeof *c->created);
    pk__free(a, c->insts, c->icap * sizeof *c->insts);
  }
  pk__free(a, c->by_name, ((size_t)c->mask + 1) * sizeof *c->by_name);
}
