/* types.c -- kinds, types, the host config ([plugins], [defaults], instance
 * tables), instances built on first use, fragments and lazy plugins.
 * SPDX-License-Identifier: MIT
 *
 * The set of instances is known when the config is loaded (one entry per
 * [<kind table>.NAME]); the entries and their name index never change
 * afterwards, so a lookup takes no lock.  An entry is built once: an
 * atomic state read (acquire) returns a built instance; the first caller
 * marks it building (compare-and-swap) and builds it without a lock; a
 * caller arriving meanwhile marks that it waits and sleeps on one
 * host-wide condition variable, which the builder signals only then.
 * Waking a lazy plugin takes one host-wide mutex (it runs registration
 * code), off the hot path. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

typedef struct pk__kind {
  char *name;
  uint32_t version;
  char *table;   /* or NULL */
  char *dflt;    /* default type tag, or NULL */
} pk__kind;

/* A NULL-terminated string list bound to a PK_PLUGIN_C_STRINGS member,
 * owned by the instance level or the plugin's section that bound it. */
typedef struct pk__strv {
  struct pk__strv *next;
  size_t n;             /* strings, then the NULL */
  const char *v[];
} pk__strv;

typedef struct pk__type {
  char *key;               /* "kind\x01tag", then kind, tag and extends */
  size_t key_len;
  size_t names;            /* bytes after the struct (key and the names) */
  char *kind, *tag, *extends; /* extends NULL when none */
  pk_plugin *plugin;       /* NULL: built-in */
  const pk_schema *schema; /* NULL until type_schema() parses schema_src */
  const pk_value *schema_src; /* [provides.config] of a plugin type */
  pk_schema *own_schema;
  pk_doc *doc;             /* schema text of a built-in */
  pk_pos pos;              /* [types.K.TAG] in the description */
  const pk_value *tag_v;   /* or the tag in [[provides]] (see type_pos) */
  pk_factory_fn factory;   /* built-in */
  pk_instance_destroy_fn destroy;
  void *data;
  bool has_code;           /* plugin: api->type_add ran */
  pk_type_factory_fn pfactory;
  pk_type_destroy_fn pdestroy;
  pk_plugin_binding *bind;
  size_t nbind;
  size_t config_size;
} pk__type;

struct pk__pconf {
  char *alias;
  pk_plugin *plugin;
  const pk_value *table; /* or NULL (short form) */
  pk_pos pos;            /* the declaration */
  pk_schema *schema;
  pk_config *config;
  pk_doc *fragment;      /* or NULL */
  pk__strv *strv;        /* lists bound by api->config_bind */
};

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
  /* configs decoded when the config was loaded (in t->arena, like the
   * array), kept for the first use (npre levels, top first) when nothing
   * in them waits for formatting; one level (the usual case) is kept
   * without an array */
  union {
    pk_config *one;   /* npre == 1 */
    pk_config **many; /* npre > 1 */
  } pre;
} pk__inst;

static const pk_error inst_nomem = {.code = PK_ENOMEM,
                                    .message = "out of memory"};

/* INST_WAITED: building, and a caller waits on inst_cv for the end */
enum { INST_NEW = 0, INST_BUILDING, INST_WAITED, INST_READY, INST_FAILED };

typedef struct pk__types pk__types;
struct pk__types {
  pk__kind *kinds;
  size_t nkinds, kcap;
  pk__type **types;
  size_t ntypes, tcap;
  pk__map by_tag;
  pk_doc *empty_doc;
  pk_schema *empty_schema;
  pk_doc **docs;         /* description documents the schemas borrow */
  size_t ndocs, doccap;
  pk_schema *defaults_schema;
  pk_config *defaults;
  pk_doc *config;
  struct pk__pconf **decl;
  size_t ndecl, dcap;
  pk__map by_alias;
  pk__arena arena;       /* configs decoded when the config is loaded */
  pk__allocator arena_alloc; /* pk__arena_fn over arena */
  pk__inst *insts;       /* one allocation of icap entries, ninst used;
                            the entries of a kind follow each other */
  size_t ninst, icap;
  uint32_t *by_name;     /* index of the entries by name (open addressing,
                            mask + 1 slots): entry + 1, 0 when empty */
  uint32_t mask;
  pk__inst **created;    /* icap slots, filled in order of creation */
  _Atomic size_t ncreated;
  pthread_mutex_t inst_mu; /* with inst_cv: waiting for a build */
  pthread_cond_t inst_cv;
  pthread_mutex_t wake_mu;
  const pk_ctx *ctx;
};

#define NOMEM(err) pk__fail((err), PK_ENOMEM, "out of memory")

/* Documents the host parses use its allocator. */
static pk_doc_options doc_opts(const pk_host *h)
{
  return (pk_doc_options){.size = sizeof(pk_doc_options),
                          .alloc = h->alloc.fn, .alloc_ud = h->alloc.ud};
}

static pk__types *types_get(pk_host *h)
{
  if (h->types)
    return h->types;
  pk__types *t = pk__alloc_zero(&h->alloc, sizeof *t);
  if (!t)
    return NULL;
  pk_doc_options o = doc_opts(h);
  pk_schema_options so = {sizeof so, h->alloc.fn, h->alloc.ud};
  if (pk_doc_parse("", 0, "<empty>", &o, &t->empty_doc, NULL) != PK_OK ||
      pk_schema_new(pk_doc_root(t->empty_doc), &so, &t->empty_schema,
                    NULL) != PK_OK) {
    pk_doc_free(t->empty_doc);
    pk__free(&h->alloc, t, sizeof *t);
    return NULL;
  }
  pk__arena_init(&t->arena, &h->alloc);
  t->arena_alloc = (pk__allocator){pk__arena_fn, &t->arena};
  pthread_mutex_init(&t->inst_mu, NULL);
  pthread_cond_init(&t->inst_cv, NULL);
  pthread_mutex_init(&t->wake_mu, NULL);
  h->types = t;
  return t;
}

static pk__kind *find_kind(pk__types *t, const char *name)
{
  for (size_t i = 0; t && i < t->nkinds; i++)
    if (!strcmp(t->kinds[i].name, name))
      return &t->kinds[i];
  return NULL;
}

/* "x\x01y" into buf; its length, or 0 when it does not fit. */
static size_t join_buf(char *buf, size_t cap, const char *x, const char *y)
{
  size_t nx = strlen(x), ny = strlen(y);
  if (nx + ny + 2 > cap)
    return 0;
  memcpy(buf, x, nx);
  buf[nx] = '\x01';
  memcpy(buf + nx + 1, y, ny + 1);
  return nx + 1 + ny;
}

static pk__type *find_type(pk__types *t, const char *kind, const char *tag)
{
  char key[2 * PK__NAME_MAX + 2];
  size_t n = join_buf(key, sizeof key, kind, tag);
  if (!t || !n)
    return NULL;
  return pk__map_get(&t->by_tag, key, n);
}

/* A type with its key and names in the same allocation; NULL when out of
 * memory.  ext NULL: extends nothing. */
static pk__type *type_new(const pk__allocator *a, const char *kind,
                          const char *tag, const char *ext)
{
  size_t nk = strlen(kind), nt = strlen(tag), ne = ext ? strlen(ext) + 1 : 0;
  size_t names = 2 * (nk + nt + 2) + ne;
  pk__type *ty = pk__alloc(a, sizeof *ty + names);
  if (!ty)
    return NULL;
  memset(ty, 0, sizeof *ty);
  ty->names = names;
  ty->key = (char *)(ty + 1);
  ty->key_len = join_buf(ty->key, nk + nt + 2, kind, tag);
  ty->kind = ty->key + nk + nt + 2;
  memcpy(ty->kind, kind, nk + 1);
  ty->tag = ty->kind + nk + 1;
  memcpy(ty->tag, tag, nt + 1);
  if (ext) {
    ty->extends = ty->tag + nt + 1;
    memcpy(ty->extends, ext, ne);
  }
  return ty;
}

/* Where the type is declared: the tag in the manifest, computed only for
 * a message. */
static pk_pos type_pos(const pk__type *ty)
{
  return ty->tag_v ? pk_value_pos(ty->tag_v) : ty->pos;
}

static const char *provider_text(const pk__type *ty, char *buf, size_t n)
{
  if (!ty->plugin)
    snprintf(buf, n, "the host (built-in)");
  else {
    pk_pos pos = type_pos(ty);
    snprintf(buf, n, "plugin %s (%s:%d:%d)", ty->plugin->id,
             pos.source ? pos.source : "", pos.line, pos.col);
  }
  return buf;
}

/* ---- declarations ---- */

pk_status pk_host_declare_kind(pk_host *h, const char *name, uint32_t version,
                               const char *table, const char *default_type,
                               pk_error *err)
{
  if (!h || !name || !pk__name_valid(name, strlen(name)))
    return pk__fail(err, PK_EMISUSE, "pk_host_declare_kind: invalid kind "
                    "name \"%s\"", name ? name : "(null)");
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  if (t->config)
    return pk__fail(err, PK_ESTATE, "pk_host_declare_kind(\"%s\"): declare "
                    "kinds before pk_host_load_config()", name);
  if (find_kind(t, name))
    return pk__fail(err, PK_EDUPLICATE, "kind \"%s\" is declared twice",
                    name);
  for (size_t i = 0; table && i < t->nkinds; i++)
    if (t->kinds[i].table && !strcmp(t->kinds[i].table, table))
      return pk__fail(err, PK_EDUPLICATE, "kinds \"%s\" and \"%s\" both live "
                      "in table [%s]", t->kinds[i].name, name, table);
  pk__kind k = {pk__strdup(&h->alloc, name), version,
                table ? pk__strdup(&h->alloc, table) : NULL,
                default_type ? pk__strdup(&h->alloc, default_type) : NULL};
  if (!k.name || (table && !k.table) || (default_type && !k.dflt) ||
      PK__VEC_PUSH(&h->alloc, t->kinds, t->nkinds, t->kcap, k) != PK_OK) {
    pk__strfree(&h->alloc, k.name);
    pk__strfree(&h->alloc, k.table);
    pk__strfree(&h->alloc, k.dflt);
    return NOMEM(err);
  }
  return PK_OK;
}

/* A schema from a table of a document the host keeps, with its allocator. */
static pk_status host_schema(pk_host *h, const pk_value *tbl, pk_schema **out,
                             pk_error *err)
{
  pk_schema_options so = {sizeof so, h->alloc.fn, h->alloc.ud};
  return pk_schema_new(tbl, &so, out, err);
}

/* Keeps doc (owned from now on) for as long as the host: the schemas
 * declared from it borrow its strings. */
static pk_status keep_doc(pk_host *h, pk__types *t, pk_doc *doc,
                          pk_error *err)
{
  if (PK__VEC_PUSH(&h->alloc, t->docs, t->ndocs, t->doccap, doc) != PK_OK) {
    pk_doc_free(doc);
    return NOMEM(err);
  }
  return PK_OK;
}

static pk_status set_defaults(pk_host *h, pk__types *t, const pk_value *tbl,
                              pk_error *err)
{
  if (t->defaults_schema)
    return pk__fail_at(err, PK_EDUPLICATE, pk_value_pos(tbl),
                       "the [defaults] schema is declared twice");
  return host_schema(h, tbl, &t->defaults_schema, err);
}

pk_status pk_host_declare_defaults(pk_host *h, const char *schema_toml,
                                   pk_error *err)
{
  if (!h || !schema_toml)
    return pk__fail(err, PK_EMISUSE, "pk_host_declare_defaults: NULL "
                    "argument");
  pk_doc_options o = doc_opts(h);
  pk_doc *doc;
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  pk_status st = pk_doc_parse(schema_toml, strlen(schema_toml),
                              "<defaults schema>", &o, &doc, err);
  if (st == PK_OK)
    st = keep_doc(h, t, doc, err);
  if (st == PK_OK)
    st = set_defaults(h, t, pk_doc_root(doc), err);
  return st;
}

static pk_status desc_unknown(const pk_value *tbl, size_t i,
                              const char *const *keys, size_t n,
                              const char *what, pk_error *err)
{
  const char *k = pk_table_key_at(tbl, i, NULL);
  const char *near = pk__closest(k, keys, n);
  char list[256];
  pk__join(list, sizeof list, keys, n);
  return pk__fail_at(err, PK_ECONFIG, pk_table_key_pos_at(tbl, i),
                     "unknown key \"%s\" in %s%s%s%s (known: %s)", k, what,
                     near ? " (did you mean \"" : "", near ? near : "",
                     near ? "\"?)" : "", list);
}

static pk_status desc_table(const pk_value *root, const char *key,
                            const pk_value **out, pk_error *err)
{
  *out = pk_table_get(root, key);
  if (*out && pk_value_kind(*out) != PK_KIND_TABLE)
    return pk__fail_at(err, PK_ECONFIG, pk_value_pos(*out),
                       "[%s] must be a table", key);
  return PK_OK;
}

static pk_status desc_keys(const pk_value *tbl, const char *const *keys,
                           size_t n, const char *what, pk_error *err)
{
  for (size_t i = 0; i < pk_table_count(tbl); i++) {
    size_t len;
    const char *k = pk_table_key_at(tbl, i, &len);
    size_t j = 0;
    while (j < n && !pk__key_is(k, len, keys[j]))
      j++;
    if (j == n)
      return desc_unknown(tbl, i, keys, n, what, err);
  }
  return PK_OK;
}

static pk_status desc_entry(const pk_value *sect, size_t i, const char *what,
                            const pk_value **out, pk_error *err)
{
  size_t len;
  const char *name = pk_table_key_at(sect, i, &len);
  if (strlen(name) != len) /* the names below are C strings */
    return pk__fail_at(err, PK_ECONFIG, pk_table_key_pos_at(sect, i),
                       "[%s.\"%s\\u0000...\"]: a name cannot hold a NUL "
                       "byte", what, name);
  *out = pk_table_value_at(sect, i);
  if (pk_value_kind(*out) != PK_KIND_TABLE)
    return pk__fail_at(err, PK_ECONFIG, pk_value_pos(*out),
                       "[%s.%s] must be a table", what,
                       pk_table_key_at(sect, i, NULL));
  return PK_OK;
}

/* The failure st of declaring entry i of sect (pk_host_add_namespace,
 * pk_host_declare_kind, pk_host_declare_hook) as the description's: placed
 * at the entry's key, and PK_ECONFIG rather than PK_EMISUSE (an invalid
 * name is the file's fault, not the call's). */
static pk_status desc_declared(const pk_value *sect, size_t i, pk_status st,
                               pk_error *err)
{
  if (st == PK_EMISUSE)
    st = PK_ECONFIG;
  if (st == PK_OK || st == PK_ENOMEM || !err)
    return st;
  err->code = st;
  if (!err->line) {
    pk_pos p = pk_table_key_pos_at(sect, i);
    pk__copy_str(err->source, sizeof err->source, p.source);
    err->line = p.line;
    err->col = p.col;
  }
  return st;
}

static pk_status type_insert(pk_host *h, pk__types *t, pk__type *ty,
                             pk_error *err);
static void type_free(const pk__allocator *a, pk__type *ty);

/* [types.KIND.TAG]: a built-in type declared by the description (extends,
 * config schema); the host adds its code with pk_host_add_type(). */
static pk_status desc_type(pk_host *h, const char *kind, const pk_value *tags,
                           size_t j, pk_error *err)
{
  static const char *const keys[] = {"extends", "config"};
  const char *tag = pk_table_key_at(tags, j, NULL), *ext;
  const pk_value *e, *cfg = NULL;
  pk__types *t = types_get(h);
  pk_status st;
  if (!t)
    return NOMEM(err);
  if ((st = desc_entry(tags, j, "types.*", &e, err)) ||
      (st = desc_keys(e, keys, 2, "[types.*.*]", err)) ||
      (st = pk_table_get_string_or(e, "extends", NULL, &ext, err)) ||
      (st = pk_table_get_table(e, "config", &cfg, err)) == PK_ETYPE)
    return st;
  pk_pos pos = pk_table_key_pos_at(tags, j);
  if (!find_kind(t, kind))
    return pk__fail_at(err, PK_ENOTFOUND, pos, "[types.%s.%s]: kind \"%s\" "
                       "is not declared (add [kinds.%s])", kind, tag, kind,
                       kind);
  if (!pk__name_valid(tag, strlen(tag)))
    return pk__fail_at(err, PK_ECONFIG, pos, "invalid type tag \"%s\": use "
                       "1 to 127 letters, digits, '_', '.' or '-'", tag);
  pk__type *ty = type_new(&h->alloc, kind, tag, ext);
  if (!ty)
    return NOMEM(err);
  ty->pos = pos;
  ty->schema = t->empty_schema;
  if (cfg) {
    st = host_schema(h, cfg, &ty->own_schema, err);
    if (st != PK_OK) {
      type_free(&h->alloc, ty);
      return st;
    }
    ty->schema = ty->own_schema;
  }
  return type_insert(h, t, ty, err);
}

static pk_status load_description(pk_host *h, pk_doc *doc, pk_error *err)
{
  static const char *const top[] = {"namespaces", "kinds", "hooks",
                                    "types", "defaults"};
  static const char *const kkeys[] = {"table", "version", "default"};
  static const char *const hkeys[] = {"mode"};
  static const char *const nkeys[] = {"abi"};
  const pk_value *root = pk_doc_root(doc), *sect, *e;
  pk_status st = desc_keys(root, top, 5, "the host description", err);
  if (st == PK_OK)
    st = desc_table(root, "namespaces", &sect, err);
  for (size_t i = 0; st == PK_OK && sect && i < pk_table_count(sect); i++) {
    int64_t abi;
    if ((st = desc_entry(sect, i, "namespaces", &e, err)) ||
        (st = desc_keys(e, nkeys, 1, "[namespaces.*]", err)) ||
        (st = pk_table_get_integer(e, "abi", &abi, err)))
      break;
    if (abi < 0 || abi > UINT32_MAX)
      st = pk__fail_at(err, PK_ERANGE, pk_value_pos(pk_table_get(e, "abi")),
                       "abi must be between 0 and %u", UINT32_MAX);
    else
      st = desc_declared(sect, i,
                         pk_host_add_namespace(
                             h, pk_table_key_at(sect, i, NULL), (uint32_t)abi,
                             err),
                         err);
  }
  if (st == PK_OK)
    st = desc_table(root, "kinds", &sect, err);
  for (size_t i = 0; st == PK_OK && sect && i < pk_table_count(sect); i++) {
    int64_t version;
    const char *table, *dflt;
    if ((st = desc_entry(sect, i, "kinds", &e, err)) ||
        (st = desc_keys(e, kkeys, 3, "[kinds.*]", err)) ||
        (st = pk_table_get_integer_or(e, "version", 1, &version, err)) ||
        (st = pk_table_get_string_or(e, "table", NULL, &table, err)) ||
        (st = pk_table_get_string_or(e, "default", NULL, &dflt, err)))
      break;
    st = desc_declared(sect, i,
                       pk_host_declare_kind(h, pk_table_key_at(sect, i, NULL),
                                            (uint32_t)version, table, dflt,
                                            err),
                       err);
  }
  if (st == PK_OK)
    st = desc_table(root, "hooks", &sect, err);
  for (size_t i = 0; st == PK_OK && sect && i < pk_table_count(sect); i++) {
    const char *mode;
    if ((st = desc_entry(sect, i, "hooks", &e, err)) ||
        (st = desc_keys(e, hkeys, 1, "[hooks.*]", err)) ||
        (st = pk_table_get_string_or(e, "mode", "collect", &mode, err)))
      break;
    pk_hook_mode m;
    if (!strcmp(mode, "collect"))
      m = PK_HOOK_COLLECT;
    else if (!strcmp(mode, "first-result"))
      m = PK_HOOK_FIRST_RESULT;
    else {
      st = pk__fail_at(err, PK_ERANGE, pk_value_pos(pk_table_get(e, "mode")),
                       "hook mode \"%s\" is not one of: collect, "
                       "first-result", mode);
      break;
    }
    st = desc_declared(sect, i,
                       pk_host_declare_hook(h, pk_table_key_at(sect, i, NULL),
                                            m, NULL, err),
                       err);
  }
  if (st == PK_OK)
    st = desc_table(root, "types", &sect, err);
  for (size_t i = 0; st == PK_OK && sect && i < pk_table_count(sect); i++) {
    const pk_value *tags;
    if ((st = desc_entry(sect, i, "types", &tags, err)))
      break;
    for (size_t j = 0; st == PK_OK && j < pk_table_count(tags); j++)
      st = desc_type(h, pk_table_key_at(sect, i, NULL), tags, j, err);
  }
  const pk_value *d = pk_table_get(root, "defaults");
  if (st == PK_OK && d)
    st = set_defaults(h, types_get(h), d, err);
  return st;
}

pk_status pk_host_load_description(pk_host *h, const char *path,
                                   pk_error *err)
{
  if (!h || !path)
    return pk__fail(err, PK_EMISUSE, "pk_host_load_description: NULL "
                    "argument");
  pk_doc_options o = doc_opts(h);
  pk_doc *doc;
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  pk_status st = pk_doc_load_file(path, &o, &doc, err);
  if (st == PK_OK)
    st = keep_doc(h, t, doc, err);
  if (st == PK_OK)
    st = load_description(h, doc, err);
  return st;
}

/* ---- the type registry ---- */

static void type_free(const pk__allocator *a, pk__type *ty)
{
  if (!ty)
    return;
  pk_schema_free(ty->own_schema);
  pk_doc_free(ty->doc);
  for (size_t i = 0; i < ty->nbind; i++)
    pk__strfree(a, (char *)ty->bind[i].field);
  pk__free(a, ty->bind, ty->nbind * sizeof *ty->bind);
  pk__free(a, ty, sizeof *ty + ty->names);
}

/* Adds ty (owned) to the registry; a tag taken is PK_EDUPLICATE naming
 * both providers. */
static pk_status type_insert(pk_host *h, pk__types *t, pk__type *ty,
                             pk_error *err)
{
  pk__type *old = pk__map_get(&t->by_tag, ty->key, ty->key_len);
  if (old) {
    char a[512], b[512];
    pk_status st = pk__fail_at(
        err, PK_EDUPLICATE, ty->plugin ? type_pos(ty) : (pk_pos){NULL, 0, 0},
        "%s type \"%s\" is provided twice: by %s and by %s; a tag names one "
        "type per kind (disable one of the plugins or rename the tag)",
        ty->kind, ty->tag, provider_text(old, a, sizeof a),
        provider_text(ty, b, sizeof b));
    if (ty->plugin)
      pk__error_set_plugin(err, ty->plugin->id);
    type_free(&h->alloc, ty);
    return st;
  }
  if (PK__VEC_PUSH(&h->alloc, t->types, t->ntypes, t->tcap, ty) != PK_OK ||
      pk__map_put(&h->alloc, &t->by_tag, ty->key, ty->key_len, ty)) {
    if (t->ntypes && t->types[t->ntypes - 1] == ty)
      t->ntypes--;
    type_free(&h->alloc, ty);
    return NOMEM(err);
  }
  return PK_OK;
}

/* The code of a type the host description declares: the schema and the
 * base come from the description only. */
static pk_status attach_code(pk__type *d, const pk_type_options *o,
                             pk_error *err)
{
  if (o->schema_toml || o->schema)
    return pk__fail_at(err, PK_EDUPLICATE, type_pos(d), "%s type \"%s\": the host "
                       "description declares its config; pass no schema to "
                       "pk_host_add_type", o->kind, o->tag);
  if ((o->extends || d->extends) &&
      (!o->extends || !d->extends || strcmp(o->extends, d->extends)))
    return pk__fail_at(err, PK_ECONFIG, type_pos(d), "%s type \"%s\": extends "
                       "\"%s\" in the host description but \"%s\" in "
                       "pk_host_add_type", o->kind, o->tag,
                       d->extends ? d->extends : "",
                       o->extends ? o->extends : "");
  d->factory = o->factory;
  d->destroy = o->destroy;
  d->data = o->data;
  d->has_code = true;
  return PK_OK;
}

pk_status pk_host_add_type(pk_host *h, const pk_type_options *o,
                           pk_error *err)
{
  if (!h || !o || o->size < offsetof(pk_type_options, data) ||
      !o->kind || !o->tag || !o->factory || (!o->schema_toml && !o->schema &&
                                             0))
    return pk__fail(err, PK_EMISUSE, "pk_host_add_type: needs size, kind, "
                    "tag and factory");
  if (!pk__name_valid(o->tag, strlen(o->tag)))
    return pk__fail(err, PK_EMISUSE, "pk_host_add_type: invalid tag \"%s\"",
                    o->tag);
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  if (!find_kind(t, o->kind))
    return pk__fail(err, PK_ENOTFOUND, "pk_host_add_type: kind \"%s\" is "
                    "not declared (pk_host_declare_kind)", o->kind);
  pk__type *d = find_type(t, o->kind, o->tag);
  if (d && !d->plugin && !d->has_code) /* declared by the description */
    return attach_code(d, o, err);
  pk__type *ty = type_new(&h->alloc, o->kind, o->tag, o->extends);
  if (!ty)
    return NOMEM(err);
  ty->factory = o->factory;
  ty->destroy = o->destroy;
  ty->data = o->data;
  ty->has_code = true;
  ty->schema = o->schema ? o->schema : t->empty_schema;
  if (o->schema_toml && !o->schema) {
    pk_doc_options dopt = doc_opts(h);
    char name[300];
    snprintf(name, sizeof name, "<%s type %s>", o->kind, o->tag);
    pk_status st = pk_doc_parse(o->schema_toml, strlen(o->schema_toml), name,
                                &dopt, &ty->doc, err);
    if (st == PK_OK)
      st = host_schema(h, pk_doc_root(ty->doc), &ty->own_schema, err);
    if (st != PK_OK) {
      type_free(&h->alloc, ty);
      return st;
    }
    ty->schema = ty->own_schema;
  }
  return type_insert(h, t, ty, err);
}

pk_status pk__types_add_manifest(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (p->types_added || !p->m.root)
    return PK_OK;
  const pk_value *prov = pk_table_get(p->m.root, "provides");
  if (!prov) {
    p->types_added = true;
    return PK_OK;
  }
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  p->types_added = true;
  for (size_t i = 0; i < pk_array_count(prov); i++) {
    const pk_value *e = pk_array_at(prov, i), *tag_v = NULL, *cfg = NULL;
    const char *kind = "", *tag = "", *ext = NULL;
    /* one pass over the entry: the manifest check validated its keys and
     * their types */
    pk__items r;
    pk__items_init(&r, e);
    for (size_t k = 0; k < pk_table_count(e); k++) {
      const pk__item *it = pk__items_at(&r, k);
      bool str = it->kind == PK_KIND_STRING;
      if (pk__key_is(it->key, it->key_len, "kind")) {
        if (str)
          kind = it->u.s;
      } else if (pk__key_is(it->key, it->key_len, "tag")) {
        if (str)
          tag = it->u.s;
        tag_v = it->v;
      } else if (pk__key_is(it->key, it->key_len, "extends")) {
        if (str)
          ext = it->u.s;
      } else if (pk__key_is(it->key, it->key_len, "config")) {
        cfg = it->v;
      }
    }
    if (t->nkinds && !find_kind(t, kind)) {
      const char *names[64];
      size_t n = 0;
      for (; n < t->nkinds && n < 64; n++)
        names[n] = t->kinds[n].name;
      char list[512];
      pk__join(list, sizeof list, names, n);
      pk__fail_at(err, PK_ENOTFOUND, pk_value_pos(pk_table_get(e, "kind")),
                  "plugin %s provides a type of kind \"%s\", which this host "
                  "does not declare (kinds: %s)", p->id, kind, list);
      return pk__error_set_plugin(err, p->id);
    }
    pk__type *ty = type_new(&h->alloc, kind, tag, ext && *ext ? ext : NULL);
    if (!ty)
      return NOMEM(err);
    ty->plugin = p;
    ty->tag_v = tag_v;
    /* the schema is parsed on first need (type_schema): the manifest
     * check validated it, and most declared types are never used */
    ty->schema_src = cfg;
    ty->schema = ty->schema_src ? NULL : t->empty_schema;
    pk_status st = type_insert(h, t, ty, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

/* Parses the schema of a plugin type the first time it is needed: when an
 * instance table selects it (pk_host_load_config, one thread) or when its
 * code registers it (register, or a wake under wake_mu).  Later readers
 * (pk_host_get_instance) only see types resolved when the config was
 * loaded. */
static pk_status type_schema(pk_host *h, pk__type *ty, pk_error *err)
{
  if (ty->schema)
    return PK_OK;
  pk_status st = host_schema(h, ty->schema_src, &ty->own_schema,
                                 err);
  if (st == PK_OK)
    ty->schema = ty->own_schema;
  return st;
}

pk_status pk__types_check_registered(pk_host *h, pk_plugin *p, pk_error *err)
{
  pk__types *t = h->types;
  for (size_t i = 0; t && i < t->ntypes; i++) {
    pk__type *ty = t->types[i];
    if (ty->plugin == p && !ty->has_code) {
      pk__fail_at(err, PK_ELOAD, type_pos(ty),
                  "plugin %s declares %s type \"%s\" in its manifest (%s) but "
                  "its code (%s) did not register it: call api->type_add() "
                  "for kind \"%s\", tag \"%s\" from its register hook",
                  p->id, ty->kind, ty->tag, p->manifest_path,
                  p->library_path ? p->library_path : "no library", ty->kind,
                  ty->tag);
      return pk__error_set_plugin(err, p->id);
    }
  }
  return PK_OK;
}

static int api_fail_with(pk_plugin *p, const pk_error *e)
{
  pk_host *h = p->host;
  h->hook_err = *e;
  pk__error_set_plugin(&h->hook_err, p->id);
  h->hook_failed = true;
  return e->code ? (int)e->code : PK_EPLUGIN;
}

/* A string list is checked as an array (PK_C_ARRAY, pointer-sized). */
static void to_bindings(const pk_plugin_binding *in, size_t n,
                        pk_binding *out)
{
  for (size_t i = 0; i < n; i++) {
    out[i].field = in[i].field;
    out[i].type = in[i].ctype == PK_PLUGIN_C_STRINGS ? PK_C_ARRAY
                                                    : (pk_ctype)in[i].ctype;
    out[i].offset = in[i].offset;
    out[i].size = in[i].size;
  }
}

static void strv_free(const pk__allocator *a, pk__strv *l)
{
  while (l) {
    pk__strv *next = l->next;
    pk__free(a, l, sizeof *l + (l->n + 1) * sizeof l->v[0]);
    l = next;
  }
}

/* A PK_PLUGIN_C_STRINGS binding needs an array of strings (the binding
 * check has made sure f is an array). */
static pk_status strings_ok(const pk_field *f, pk_error *err)
{
  if (pk_field_get_items(f) == PK_FIELD_STRING)
    return PK_OK;
  return pk__fail_at(err, PK_ETYPE, pk_field_get_pos(f), "cannot bind field "
                     "\"%s\" (array of %s) as PK_PLUGIN_C_STRINGS: its items "
                     "must be strings", pk_field_get_name(f),
                     pk_field_type_name(pk_field_get_items(f)));
}

/* Binds b (PK_PLUGIN_C_STRINGS) from config: a new list linked into *own,
 * its address into dst's member.  An UNSET field leaves the member. */
static pk_status bind_strings(const pk__allocator *a, const pk_config *config,
                              const pk_plugin_binding *b, void *dst,
                              pk__strv **own, pk_error *err)
{
  const pk_schema *s = pk_config_get_schema(config);
  pk_status st = strings_ok(pk_schema_find_field(s, b->field), err);
  if (st != PK_OK)
    return st;
  if (!pk_config_is_set(config, b->field))
    return PK_OK;
  const pk_value *arr;
  st = pk_config_get_array(config, b->field, &arr, err);
  if (st != PK_OK)
    return st;
  size_t n = pk_array_count(arr);
  pk__strv *l = pk__alloc(a, sizeof *l + (n + 1) * sizeof l->v[0]);
  if (!l)
    return NOMEM(err);
  l->n = n;
  for (size_t i = 0; i < n; i++)
    pk_value_get_string(pk_array_at(arr, i), &l->v[i], NULL, NULL);
  l->v[n] = NULL;
  l->next = *own;
  *own = l;
  const char *const *list = l->v;
  memcpy((char *)dst + b->offset, &list, sizeof list);
  return PK_OK;
}

int pk__api_type_add(pk_plugin_ctx *ctx, const pk_type_impl *impl)
{
  pk_plugin *p = (pk_plugin *)ctx;
  pk_host *h = p->host;
  pk_error e;
  size_t need = offsetof(pk_type_impl, config_size) + sizeof(size_t);
  if (h->in_hook != p || p->state != PK_STATE_LOADED) {
    pk__fail(&e, PK_EMISUSE, "%s called type_add outside its register hook",
             p->id);
    return api_fail_with(p, &e);
  }
  if (!impl || impl->size < need || !impl->kind || !impl->tag ||
      !impl->factory || (impl->nbindings && !impl->bindings)) {
    pk__fail(&e, PK_EMISUSE, "%s: type_add needs a pk_type_impl with size, "
             "kind, tag and factory", p->id);
    return api_fail_with(p, &e);
  }
  pk__types *t = types_get(h);
  if (!t)
    return api_fail_with(p, &(pk_error){.code = PK_ENOMEM,
                                        .message = "out of memory"});
  pk__type *ty = find_type(t, impl->kind, impl->tag);
  if (!ty || ty->plugin != p) {
    char prov[512] = "";
    if (ty)
      provider_text(ty, prov, sizeof prov);
    pk__fail(&e, PK_ELOAD,
             "the code of plugin %s (%s) registers %s type \"%s\", but its "
             "manifest %s declares no such [[provides]]%s%s; add it to the "
             "manifest (kind = \"%s\", tag = \"%s\")",
             p->id, p->library_path ? p->library_path : "built-in",
             impl->kind, impl->tag, p->manifest_path,
             ty ? "; the tag belongs to " : "", prov, impl->kind, impl->tag);
    return api_fail_with(p, &e);
  }
  if (ty->has_code) {
    pk__fail(&e, PK_EDUPLICATE, "plugin %s registers %s type \"%s\" twice",
             p->id, impl->kind, impl->tag);
    return api_fail_with(p, &e);
  }
  pk_binding *bs = NULL;
  if (impl->nbindings) {
    bs = pk__alloc(&h->alloc, impl->nbindings * sizeof *bs);
    if (!bs)
      return api_fail_with(p, &(pk_error){.code = PK_ENOMEM,
                                          .message = "out of memory"});
    to_bindings(impl->bindings, impl->nbindings, bs);
  }
  pk_error be;
  pk_status st = type_schema(h, ty, &be);
  if (st == PK_ENOMEM) {
    pk__free(&h->alloc, bs, impl->nbindings * sizeof *bs);
    return api_fail_with(p, &be);
  }
  if (st == PK_OK)
    st = pk_schema_check_bindings(ty->schema, bs, impl->nbindings, &be);
  for (size_t i = 0; st == PK_OK && i < impl->nbindings; i++) {
    if (bs[i].offset + (bs[i].size ? bs[i].size : 1) > impl->config_size)
      st = pk__fail(&be, PK_ERANGE, "binding of field \"%s\" lies outside "
                    "config_size (%zu bytes)", bs[i].field,
                    impl->config_size);
    else if (impl->bindings[i].ctype == PK_PLUGIN_C_STRINGS)
      st = strings_ok(pk_schema_find_field(ty->schema, bs[i].field), &be);
  }
  pk__free(&h->alloc, bs, impl->nbindings * sizeof *bs);
  if (st != PK_OK) {
    char pos[300];
    snprintf(pos, sizeof pos, "%s:%d:%d", be.source, be.line, be.col);
    pk__fail_at(&e, PK_ELOAD, type_pos(ty),
                "the code of plugin %s (%s) binds %s type \"%s\" against "
                "its manifest's [provides.config] (%s): %s",
                p->id, p->library_path ? p->library_path : "built-in",
                impl->kind, impl->tag, be.line ? pos : p->manifest_path,
                be.message);
    return api_fail_with(p, &e);
  }
  if (impl->nbindings) {
    ty->bind = pk__alloc_zero(&h->alloc, impl->nbindings * sizeof *ty->bind);
    if (!ty->bind)
      return api_fail_with(p, &(pk_error){.code = PK_ENOMEM,
                                          .message = "out of memory"});
    ty->nbind = impl->nbindings;
    for (size_t i = 0; i < impl->nbindings; i++) {
      ty->bind[i] = impl->bindings[i];
      ty->bind[i].field = pk__strdup(&h->alloc, impl->bindings[i].field);
      if (!ty->bind[i].field)
        return api_fail_with(p, &(pk_error){.code = PK_ENOMEM,
                                            .message = "out of memory"});
    }
  }
  ty->pfactory = impl->factory;
  ty->pdestroy = impl->destroy;
  ty->data = impl->data;
  ty->config_size = impl->config_size;
  ty->has_code = true;
  return 0;
}

const char *pk__api_plugin_alias(pk_plugin_ctx *ctx)
{
  pk_plugin *p = (pk_plugin *)ctx;
  return p->conf ? p->conf->alias : NULL;
}

int pk__api_config_bind(pk_plugin_ctx *ctx, const pk_plugin_binding *b,
                        size_t n, void *dst)
{
  pk_plugin *p = (pk_plugin *)ctx;
  pk_error e;
  if (!p->conf || !p->conf->config) {
    pk__fail(&e, PK_ENOTFOUND, "%s has no [plugins.ALIAS] section: the host "
             "loaded no config declaring it", p->id);
    return api_fail_with(p, &e);
  }
  pk_binding bs[64];
  if (n > 64 || (n && (!b || !dst))) {
    pk__fail(&e, PK_EMISUSE, "%s: config_bind takes 1 to 64 bindings and a "
             "struct", p->id);
    return api_fail_with(p, &e);
  }
  to_bindings(b, n, bs);
  pk_status st = pk_schema_check_bindings(pk_config_get_schema(
                                              p->conf->config), bs, n, &e);
  for (size_t i = 0; st == PK_OK && i < n; i++)
    st = b[i].ctype == PK_PLUGIN_C_STRINGS
             ? bind_strings(&p->host->alloc, p->conf->config, &b[i], dst,
                            &p->conf->strv, &e)
             : pk_config_bind(p->conf->config, &bs[i], 1, dst, &e);
  if (st != PK_OK)
    return api_fail_with(p, &e);
  return 0;
}

/* ---- the host config ---- */

static pk_status report(pk_diag *diag, pk_error *first, bool *failed,
                        const pk_error *e)
{
  if (!*failed)
    *first = *e;
  *failed = true;
  if (diag && pk_diag_add(diag, e, NULL) != PK_OK)
    return PK_ENOMEM;
  return PK_OK;
}

static void installed_list(pk_host *h, const char *want, char *near_out,
                           size_t nn, char *list, size_t nl)
{
  size_t n = pk_host_plugin_count(h), k = 0;
  const char **ids = pk__alloc(&h->alloc, (n ? n : 1) * sizeof *ids);
  near_out[0] = list[0] = 0;
  if (!ids)
    return;
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    if (p->state != PK_STATE_SHADOWED && p->state != PK_STATE_BROKEN)
      ids[k++] = p->id;
  }
  const char *near = pk__closest(want, ids, k);
  if (near)
    pk__copy_str(near_out, nn, near);
  pk__join(list, nl, ids, k);
  if (!k)
    pk__copy_str(list, nl, "none");
  pk__free(&h->alloc, ids, (n ? n : 1) * sizeof *ids);
}

/* Decodes table by the type chain of ty (extends): level i skips "type"
 * and the fields only other levels have.  items (or NULL): every item of
 * table, read already.  cfgs[i] (may be NULL: check only) receive the
 * configs, in arena when not NULL (one thread only). */
static pk_status decode_chain(pk_host *h, const pk__allocator *arena,
                              pk__type **chain, size_t depth,
                              const pk_value *table, const pk__item *items,
                              const pk_ctx *ctx, pk_config **cfgs,
                              pk_diag *diag, pk_error *err)
{
  size_t total = 1; /* "type", and with a base the other levels' names */
  for (size_t i = 0; depth > 1 && i < depth; i++)
    total += pk_schema_field_count(chain[i]->schema) +
             (i ? 0 : pk_table_count(table));
  const char *small[64];
  const char **skip = total <= 64 ? small
                                  : pk__alloc(&h->alloc, total * sizeof *skip);
  if (!skip)
    return NOMEM(err);
  pk_status first = PK_OK;
  for (size_t i = 0; i < depth; i++) {
    size_t ns = 0;
    skip[ns++] = "type";
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
    pk_status st = pk__schema_decode_in(arena, chain[i]->schema, table,
                                        items, &o, &c, diag, &e);
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
 * config was loaded); fills chain (base last).  prev (or NULL): the type
 * the previous table selected, taken again without a lookup when it
 * fits.  type_v (or NULL: looked up here): the table's "type" value, or
 * NULL when it has none. */
static pk_status select_type(pk_host *h, pk__types *t, pk__inst *in,
                             const pk__type *prev,
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
    return pk__fail_at(err, PK_EMISSING, pk_value_pos(in->table),
                       "%s has no \"type\" and kind \"%s\" has no "
                       "default type; add type = \"TAG\"",
                       inst_where(in, where, sizeof where), in->kind->name);
  pk__type *ty = prev && !strcmp(prev->tag, tag) &&
                         !strcmp(prev->kind, in->kind->name)
                     ? (pk__type *)prev
                     : find_type(t, in->kind->name, tag);
  if (!ty) {
    const char *names[128];
    size_t n = 0;
    for (size_t i = 0; i < t->ntypes && n < 128; i++)
      if (!strcmp(t->types[i]->kind, in->kind->name))
        names[n++] = t->types[i]->tag;
    char list[1024];
    pk__join(list, sizeof list, names, n);
    /* an installed plugin not declared that would provide it */
    char hint[512] = "";
    for (size_t i = 0; i < pk_host_plugin_count(h) && !hint[0]; i++) {
      pk_plugin *p = pk_host_plugin_at(h, i);
      const pk_value *prov = p->m.root ? pk_table_get(p->m.root, "provides")
                                       : NULL;
      for (size_t j = 0; j < pk_array_count(prov); j++) {
        const char *k = "", *g = "";
        pk_table_get_string(pk_array_at(prov, j), "kind", &k, NULL);
        pk_table_get_string(pk_array_at(prov, j), "tag", &g, NULL);
        if (!strcmp(k, in->kind->name) && !strcmp(g, tag) &&
            p->state != PK_STATE_SHADOWED) {
          snprintf(hint, sizeof hint,
                   "; plugin %s provides it but is not enabled: add "
                   "plugins.%s = \"%s\" to the config",
                   p->id, p->m.name, p->id);
          break;
        }
      }
    }
    const char *near = pk__closest(tag, names, n);
    pk_pos pos = pk_value_pos(tv ? tv : in->table);
    char dym[200] = "";
    if (near)
      snprintf(dym, sizeof dym, " (did you mean \"%s\"?)", near);
    return pk__fail_at(err, PK_ENOTFOUND, pos,
                       "unknown %s type \"%s\" in %s%s; known types: "
                       "%s%s",
                       in->kind->name, tag, inst_where(in, where, sizeof where),
                       dym,
                       n ? list : "none", hint);
  }
  return chain_of(h, t, ty, chain, depth, err);
}

/* The extends chain of ty (base last). */
static pk_status chain_of(pk_host *h, pk__types *t, pk__type *ty,
                          pk__type **chain, size_t *depth, pk_error *err)
{
  *depth = 0;
  while (ty) {
    if (*depth == MAX_CHAIN)
      return pk__fail_at(err, PK_EDEP_CYCLE, type_pos(ty), "%s type \"%s\": "
                         "extends chain too long (a cycle?)", ty->kind,
                         ty->tag);
    pk_status st = type_schema(h, ty, err);
    if (st != PK_OK)
      return st;
    chain[(*depth)++] = ty;
    if (!ty->extends)
      break;
    pk__type *b = find_type(t, ty->kind, ty->extends);
    if (!b) {
      char prov[512];
      return pk__fail_at(err, PK_ENOTFOUND, type_pos(ty),
                         "%s type \"%s\" of %s extends \"%s\", which no "
                         "enabled plugin or the host provides",
                         ty->kind, ty->tag, provider_text(ty, prov, sizeof prov),
                         ty->extends);
    }
    ty = b;
  }
  return PK_OK;
}

static pk_status pconf_add(pk_host *h, pk__types *t, const char *alias,
                           pk_plugin *p, const pk_value *table, pk_pos pos,
                           struct pk__pconf **out)
{
  struct pk__pconf *c = pk__alloc_zero(&h->alloc, sizeof *c);
  if (!c)
    return PK_ENOMEM;
  c->alias = pk__strdup(&h->alloc, alias);
  c->plugin = p;
  c->table = table;
  c->pos = pos;
  if (!c->alias ||
      PK__VEC_PUSH(&h->alloc, t->decl, t->ndecl, t->dcap, c) != PK_OK) {
    pk__strfree(&h->alloc, c->alias);
    pk__free(&h->alloc, c, sizeof *c);
    return PK_ENOMEM;
  }
  if (pk__map_put(&h->alloc, &t->by_alias, c->alias, strlen(c->alias), c))
    return PK_ENOMEM;
  *out = c;
  return PK_OK;
}

static pk_status read_fragment(pk_host *h, struct pk__pconf *c, pk_error *err)
{
  const char *f = NULL;
  pk_plugin *p = c->plugin;
  if (pk_table_get_string_or(p->m.root, "fragment", NULL, &f, err) != PK_OK)
    return PK_ETYPE;
  if (!f)
    return PK_OK;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", p->dir, f);
  pk_doc_options o = doc_opts(h);
  pk_status st = pk_doc_load_file(path, &o, &c->fragment, err);
  if (st != PK_OK)
    pk__error_set_plugin(err, p->id);
  return st;
}

/* The entry of (kd, name), or NULL. */
static pk__inst *inst_find(const pk__types *t, const pk__kind *kd,
                           const char *name)
{
  if (!t->by_name)
    return NULL;
  for (uint32_t i = (uint32_t)pk__hash(name, strlen(name)) & t->mask;;
       i = (i + 1) & t->mask) {
    uint32_t e = t->by_name[i];
    if (!e)
      return NULL;
    pk__inst *in = &t->insts[e - 1];
    if (in->kind == kd && !strcmp(in->name, name))
      return in;
  }
}

/* Enters entry e - 1 under name: a table's keys differ and two kinds'
 * entries differ by kind, so the new name matches no slot taken. */
static void inst_index(pk__types *t, const char *name, size_t len,
                       uint32_t e)
{
  uint32_t i = (uint32_t)pk__hash(name, len) & t->mask;
  while (t->by_name[i])
    i = (i + 1) & t->mask;
  t->by_name[i] = e;
}

static pk_status add_instances(pk_host *h, pk__types *t, const pk_value *root,
                               pk_diag *diag, pk_error *first, bool *failed)
{
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
    t->insts = pk__alloc(&h->alloc, n * sizeof *t->insts);
    if (!t->insts)
      return PK_ENOMEM;
    t->icap = n;
    t->created = pk__alloc(&h->alloc, n * sizeof *t->created);
    if (!t->created)
      return PK_ENOMEM;
    t->by_name = pk__alloc_zero(&h->alloc, nslots * sizeof *t->by_name);
    if (!t->by_name)
      return PK_ENOMEM;
    t->mask = (uint32_t)(nslots - 1);
  }
  pk__type *hint = NULL; /* tables of one type often follow each other */
  bool hint_keeps = false;
  for (size_t k = 0; k < t->nkinds; k++) {
    pk__kind *kd = &t->kinds[k];
    const pk_value *sect = kd->table ? pk_table_get(root, kd->table) : NULL;
    pk_error e;
    if (!sect)
      continue;
    if (pk_value_kind(sect) != PK_KIND_TABLE) {
      pk__fail_at(&e, PK_ETYPE, pk_value_pos(sect), "[%s] must be a table "
                  "of %s instances, found %s", kd->table, kd->name,
                  pk__kind_article(pk_value_kind(sect)));
      if (report(diag, first, failed, &e))
        return PK_ENOMEM;
      continue;
    }
    for (size_t i = 0; i < pk_table_count(sect); i++) {
      const char *name;
      size_t len;
      const pk_value *tbl = pk__table_entry_at(sect, i, &name, &len);
      if (pk_value_kind(tbl) != PK_KIND_TABLE) {
        pk__fail_at(&e, PK_ETYPE, pk_value_pos(tbl), "%s.%s must be a table "
                    "(a %s instance), found %s", kd->table, name, kd->name,
                    pk__kind_article(pk_value_kind(tbl)));
        if (report(diag, first, failed, &e))
          return PK_ENOMEM;
        continue;
      }
      /* filled as it is reached, not zeroed in a pass of its own */
      pk__inst *in = &t->insts[t->ninst++];
      *in = (pk__inst){.kind = kd, .name = name, .table = tbl};
      inst_index(t, name, len, (uint32_t)t->ninst);
      /* check it now: type and fields.  The table's items are read once,
       * for its "type" and for the decode (a larger table is read by
       * each). */
      pk__item items[ITEMS_MAX];
      size_t nitems = pk_table_count(tbl);
      const pk_value *type_v = NULL;
      if (nitems <= ITEMS_MAX) {
        pk__value_items(tbl, 0, items, nitems);
        for (size_t j = 0; j < nitems; j++)
          if (pk__key_is(items[j].key, items[j].key_len, "type")) {
            type_v = items[j].v;
            break;
          }
      }
      pk__type *chain[MAX_CHAIN];
      size_t depth;
      if (select_type(h, t, in, hint, nitems <= ITEMS_MAX ? &type_v : NULL,
                      chain, &depth, &e) != PK_OK) {
        if (report(diag, first, failed, &e))
          return PK_ENOMEM;
        continue;
      }
      /* Decoded once: kept for the first use unless formatting must wait
       * for the host's ctx. */
      if (chain[0] != hint)
        hint_keeps = !chain_formats(chain, depth);
      in->type = hint = chain[0];
      pk_config *cfgs[MAX_CHAIN] = {0};
      bool keep = hint_keeps;
      if (decode_chain(h, keep ? &t->arena_alloc : NULL, chain, depth, tbl,
                       nitems <= ITEMS_MAX ? items : NULL, NULL,
                       keep ? cfgs : NULL, diag, &e) != PK_OK) {
        if (e.code == PK_ENOMEM)
          return PK_ENOMEM;
        if (!*failed)
          *first = e;
        *failed = true;
      } else if (keep && depth == 1) {
        in->pre.one = cfgs[0];
        in->npre = 1;
      } else if (keep) {
        in->pre.many = pk__alloc(&t->arena_alloc, depth * sizeof *cfgs);
        if (!in->pre.many)
          return PK_ENOMEM;
        memcpy(in->pre.many, cfgs, depth * sizeof *cfgs);
        in->npre = (uint8_t)depth;
      }
    }
  }
  return PK_OK;
}

static pk_status load_config_doc(pk_host *h, pk__types *t, pk_diag *diag,
                                 pk_error *err)
{
  const pk_value *root = pk_doc_root(t->config);
  pk_error first, e;
  bool failed = false;
  pk_error_clear(&first);
#define REPORT(E)                                                              \
  do {                                                                         \
    if (report(diag, &first, &failed, (E)) != PK_OK)                           \
      return NOMEM(err);                                                       \
  } while (0)
  const pk_value *plugins = pk_table_get(root, "plugins");
  if (plugins && pk_value_kind(plugins) != PK_KIND_TABLE) {
    pk__fail_at(&e, PK_ETYPE, pk_value_pos(plugins), "[plugins] must be a "
                "table of ALIAS = \"ns:name\" entries, found %s",
                pk__kind_article(pk_value_kind(plugins)));
    REPORT(&e);
    plugins = NULL;
  }
  for (size_t i = 0; plugins && i < pk_table_count(plugins); i++) {
    size_t alias_len;
    const char *alias = pk_table_key_at(plugins, i, &alias_len);
    const pk_value *v = pk_table_value_at(plugins, i);
    pk_pos pos = pk_table_key_pos_at(plugins, i);
    const pk_value *table = NULL;
    const char *id = NULL;
    if (!pk__name_valid(alias, alias_len)) { /* a NUL byte is not valid */
      pk__fail_at(&e, PK_ECONFIG, pos, "invalid plugin alias \"%s%s\": use "
                  "1 to 127 letters, digits, '_', '.' or '-'", alias,
                  strlen(alias) != alias_len ? "\\u0000..." : "");
      REPORT(&e);
      continue;
    }
    if (pk_value_kind(v) == PK_KIND_STRING) {
      pk_value_get_string(v, &id, NULL, NULL);
      pos = pk_value_pos(v);
    } else if (pk_value_kind(v) == PK_KIND_TABLE) {
      table = v;
      const pk_value *pv = pk_table_get(v, "plugin");
      if (!pv) {
        pk__fail_at(&e, PK_EMISSING, pk_value_pos(v),
                    "[plugins.%s] needs plugin = \"ns:name\" (the plugin "
                    "this alias enables)", alias);
        REPORT(&e);
        continue;
      }
      if (pk_value_get_string(pv, &id, NULL, &e) != PK_OK) {
        REPORT(&e);
        continue;
      }
      pos = pk_value_pos(pv);
    } else {
      pk__fail_at(&e, PK_ETYPE, pk_value_pos(v), "plugins.%s must be a "
                  "string \"ns:name\" or a table with plugin = \"ns:name\", "
                  "found %s", alias, pk__kind_article(pk_value_kind(v)));
      REPORT(&e);
      continue;
    }
    char full[2 * PK__NAME_MAX + 2];
    if (!strchr(id, ':') && h->nns == 1)
      snprintf(full, sizeof full, "%s:%s", h->ns[0].name, id);
    else
      pk__copy_str(full, sizeof full, id);
    pk_plugin *p = pk_host_find_plugin(h, full);
    if (!p || p->state == PK_STATE_BROKEN) {
      char near[300], list[2048];
      installed_list(h, full, near, sizeof near, list, sizeof list);
      if (p)
        pk__fail_at(&e, PK_EMANIFEST, pos, "plugin \"%s\" (plugins.%s) is "
                    "installed but its manifest is broken: %s", full, alias,
                    pk_plugin_get_reason(p));
      else
        pk__fail_at(&e, PK_ENOTFOUND, pos, "plugin \"%s\" (plugins.%s) is "
                    "not installed%s%s%s; installed: %s", full, alias,
                    near[0] ? " (did you mean \"" : "", near,
                    near[0] ? "\"?)" : "", list);
      REPORT(&e);
      continue;
    }
    if (p->conf) {
      pk__fail_at(&e, PK_EDUPLICATE, pos,
                  "plugin %s is declared twice: as plugins.%s (%s:%d:%d) and "
                  "as plugins.%s; a plugin takes one alias, remove one",
                  p->id, p->conf->alias, p->conf->pos.source,
                  p->conf->pos.line, p->conf->pos.col, alias);
      REPORT(&e);
      continue;
    }
    struct pk__pconf *c;
    if (pconf_add(h, t, alias, p, table, pos, &c) != PK_OK)
      return NOMEM(err);
    p->conf = c;
    const pk_value *sc = pk_table_get(p->m.root, "config");
    if (sc && host_schema(h, sc, &c->schema, &e) != PK_OK) {
      REPORT(&e);
      continue;
    }
    static const char *const skip[] = {"plugin"};
    pk_decode_options o = {.size = sizeof o, .ctx = t->ctx, .skip = skip,
                           .skip_count = 1};
    if (pk_schema_decode(c->schema ? c->schema : t->empty_schema, table, &o,
                         &c->config, diag, &e) != PK_OK) {
      if (e.code == PK_ENOMEM)
        return NOMEM(err);
      if (!c->schema && pk_table_count(table) > 1)
        snprintf(e.message + strlen(e.message),
                 sizeof e.message - strlen(e.message),
                 " (plugin %s declares no [config]: it takes no settings)",
                 p->id);
      if (!failed)
        first = e;
      failed = true;
    }
    if (read_fragment(h, c, &e) != PK_OK)
      REPORT(&e);
  }
  /* [defaults] */
  const pk_value *dv = pk_table_get(root, "defaults");
  if (t->defaults_schema) {
    if (pk_schema_decode(t->defaults_schema, dv, NULL, &t->defaults, diag,
                         &e) != PK_OK) {
      if (e.code == PK_ENOMEM)
        return NOMEM(err);
      if (!failed)
        first = e;
      failed = true;
    }
  }
  /* the types of the declared plugins and of what they require */
  size_t nreq = 0, qcap = t->ndecl + 1;
  pk_plugin **queue = pk__alloc(&h->alloc, qcap * sizeof *queue);
  if (!queue)
    return NOMEM(err);
  for (size_t i = 0; i < t->ndecl; i++)
    queue[nreq++] = t->decl[i]->plugin;
  for (size_t qi = 0; qi < nreq; qi++) {
    pk_plugin *p = queue[qi];
    if (p->types_added)
      continue;
    if (pk__types_add_manifest(h, p, &e) != PK_OK) {
      if (e.code == PK_ENOMEM) {
        pk__free(&h->alloc, queue, qcap * sizeof *queue);
        return NOMEM(err);
      }
      REPORT(&e);
    }
    for (size_t r = 0; r < p->m.nreq; r++) {
      pk__req req;
      char why[8], id[2 * PK__NAME_MAX + 2];
      if (pk__req_parse_in(p->m.reqs[r].text, p->m.ns, &req, why,
                           sizeof why) != PK_OK)
        continue;
      size_t nn = strlen(req.ns), nm = strlen(req.name);
      if (nn + nm + 2 > sizeof id)
        continue;
      memcpy(id, req.ns, nn); /* "ns:name" */
      id[nn] = ':';
      memcpy(id + nn + 1, req.name, nm + 1);
      pk_plugin *q = pk_host_find_plugin(h, id);
      if (q && !q->types_added &&
          PK__VEC_PUSH(&h->alloc, queue, nreq, qcap, q) != PK_OK) {
        pk__free(&h->alloc, queue, qcap * sizeof *queue);
        return NOMEM(err);
      }
    }
  }
  pk__free(&h->alloc, queue, qcap * sizeof *queue);
  if (add_instances(h, t, root, diag, &first, &failed) != PK_OK)
    return NOMEM(err);
#undef REPORT
  if (failed)
    return pk__error_copy(err, &first);
  /* run the declared plugins */
  for (size_t i = 0; i < t->ndecl; i++) {
    const char *id = t->decl[i]->plugin->id;
    pk_status st = pk_host_request(h, &id, 1, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

/* Loads the config from path, text or doc (taken: freed on failure). */
static pk_status load_config(pk_host *h, const char *path, const char *text,
                             size_t len, pk_doc *doc, pk_diag *diag,
                             pk_error *err)
{
  pk_status st = PK_OK;
  pk__types *t = NULL;
  if (!h || (!path && !text && !doc))
    st = pk__fail(err, PK_EMISUSE, "pk_host_load_config: NULL argument");
  if (st == PK_OK)
    st = pk_host_discover(h, err);
  if (st == PK_OK && !(t = types_get(h)))
    st = NOMEM(err);
  if (st == PK_OK && (t->config || h->nknown))
    st = pk__fail(err, PK_ESTATE, "pk_host_load_config: %s",
                  t->config ? "a config is already loaded"
                            : "call it before requesting plugins");
  if (st != PK_OK) {
    pk_doc_free(doc);
    return st;
  }
  pk_doc_options o = doc_opts(h);
  if (doc)
    t->config = doc;
  else
    st = text ? pk_doc_parse(text, len, path ? path : "<config>", &o,
                             &t->config, err)
              : pk_doc_load_file(path, &o, &t->config, err);
  if (st != PK_OK) {
    if (diag && err)
      pk_diag_add(diag, err, NULL);
    return st;
  }
  return load_config_doc(h, t, diag, err);
}

pk_status pk_host_load_config(pk_host *h, const char *path, pk_diag *diag,
                              pk_error *err)
{
  return load_config(h, path, NULL, 0, NULL, diag, err);
}

pk_status pk_host_load_config_text(pk_host *h, const char *text, size_t len,
                                   const char *source, pk_diag *diag,
                                   pk_error *err)
{
  if (!text)
    return pk__fail(err, PK_EMISUSE, "pk_host_load_config_text: NULL text");
  return load_config(h, source, text, len, NULL, diag, err);
}

pk_status pk_host_load_config_doc(pk_host *h, pk_doc *doc, pk_diag *diag,
                                  pk_error *err)
{
  if (!doc)
    return pk__fail(err, PK_EMISUSE, "pk_host_load_config_doc: NULL doc");
  return load_config(h, NULL, NULL, 0, doc, diag, err);
}

pk_plugin *pk_host_find_alias(pk_host *h, const char *alias)
{
  if (!h || !h->types || !alias)
    return NULL;
  struct pk__pconf *c = pk__map_get(&h->types->by_alias, alias,
                                    strlen(alias));
  return c ? c->plugin : NULL;
}

const char *pk_plugin_get_alias(const pk_plugin *p)
{
  return p && p->conf ? p->conf->alias : NULL;
}

const pk_config *pk_plugin_get_config(const pk_plugin *p)
{
  return p && p->conf ? p->conf->config : NULL;
}

void pk_host_set_ctx(pk_host *h, const pk_ctx *ctx)
{
  pk__types *t = h ? types_get(h) : NULL;
  if (t)
    t->ctx = ctx;
}

/* ---- fragments ---- */

static const pk_value *frag_section(const struct pk__pconf *c,
                                    const char *section)
{
  if (!c->fragment)
    return NULL;
  const pk_value *s = pk_table_get(pk_doc_root(c->fragment), section);
  return pk_value_kind(s) == PK_KIND_TABLE ? s : NULL;
}

static bool hidden(const pk_value *entry)
{
  bool b = false;
  return pk_value_kind(entry) == PK_KIND_TABLE &&
         pk_table_get_bool_or(entry, "hidden", false, &b, NULL) == PK_OK && b;
}

const pk_value *pk_host_get_fragment(pk_host *h, const char *alias)
{
  if (!h || !h->types || !alias)
    return NULL;
  struct pk__pconf *c = pk__map_get(&h->types->by_alias, alias,
                                    strlen(alias));
  return c && c->fragment ? pk_doc_root(c->fragment) : NULL;
}

const pk_value *pk_host_fragment_entry_at(pk_host *h, const char *section,
                                          size_t i, char *address, size_t n)
{
  if (!h || !h->types || !section)
    return NULL;
  for (size_t d = 0; d < h->types->ndecl; d++) {
    const struct pk__pconf *c = h->types->decl[d];
    const pk_value *s = frag_section(c, section);
    for (size_t k = 0; k < pk_table_count(s); k++) {
      const pk_value *e = pk_table_value_at(s, k);
      if (hidden(e))
        continue;
      if (i-- == 0) {
        if (address && n)
          snprintf(address, n, "%s/%s", c->alias,
                   pk_table_key_at(s, k, NULL));
        return e;
      }
    }
  }
  return NULL;
}

const pk_value *pk_host_find_fragment_entry(pk_host *h, const char *section,
                                            const char *address)
{
  if (!h || !h->types || !section || !address)
    return NULL;
  const char *cut = strrchr(address, '/');
  if (!cut)
    cut = strrchr(address, '.');
  if (!cut || cut == address)
    return NULL;
  struct pk__pconf *c = pk__map_get(&h->types->by_alias, address,
                                    (size_t)(cut - address));
  return c ? pk_table_get(frag_section(c, section), cut + 1) : NULL;
}

/* ---- lazy plugins ---- */

static bool lists_hook(const pk_plugin *p, const char *name)
{
  const pk_value *hooks = p->m.root ? pk_table_get(p->m.root, "hooks") : NULL;
  for (size_t i = 0; i < pk_array_count(hooks); i++) {
    const char *s;
    if (pk_value_get_string(pk_array_at(hooks, i), &s, NULL, NULL) ==
            PK_OK &&
        !strcmp(s, name))
      return true;
  }
  return false;
}

bool pk__types_lazy_for_hook(pk_host *h, const char *name)
{
  for (size_t i = 0; i < h->nknown; i++)
    if (h->known[i]->lazy_pending && lists_hook(h->known[i], name))
      return true;
  return false;
}

pk_status pk__types_wake_hook(pk_host *h, const char *name, pk_error *err)
{
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  pthread_mutex_lock(&t->wake_mu);
  pk_status st = PK_OK;
  for (size_t i = 0; i < h->nknown && st == PK_OK; i++)
    if (h->known[i]->lazy_pending && lists_hook(h->known[i], name))
      st = pk__host_wake(h, h->known[i], err);
  pthread_mutex_unlock(&t->wake_mu);
  return st;
}

static pk_status wake_plugin(pk_host *h, pk__types *t, pk_plugin *p,
                             pk_error *err)
{
  /* Always under the mutex: lazy_pending and the plugin's state are
   * written by a wake on another thread (a hook call), and this runs once
   * per instance, off the hot path. */
  pthread_mutex_lock(&t->wake_mu);
  pk_status st = p->lazy_pending ? pk__host_wake(h, p, err) : PK_OK;
  if (st == PK_OK && p->state == PK_STATE_FAILED && p->error)
    st = pk__error_copy(err, p->error);
  pthread_mutex_unlock(&t->wake_mu);
  return st;
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
    strv_free(&h->alloc, in->strv);
    in->strv = NULL;
    in->base = NULL;
    if (!in->name) /* a private base level */
      pk__free(&h->alloc, in, sizeof *in);
    in = base;
  }
}

/* Builds one level (ty) with its decoded config and base object. */
static pk_status build_level(pk_host *h, pk__types *t, pk__inst *top,
                             pk__inst *lv, void *base, pk_error *err)
{
  pk__type *ty = lv->type;
  const struct pk__pconf *pc = ty->plugin ? ty->plugin->conf : NULL;
  if (ty->plugin) {
    pk_status st = wake_plugin(h, t, ty->plugin, err);
    if (st != PK_OK)
      return st;
    if (!ty->has_code)
      return pk__fail_at(err, PK_ELOAD, type_pos(ty),
                         "plugin %s (%s) did not register %s type \"%s\"",
                         ty->plugin->id, pk_plugin_state_name(
                             ty->plugin->state), ty->kind, ty->tag);
    lv->csize = ty->config_size ? ty->config_size : 1;
    lv->cstruct = pk__alloc_zero(&h->alloc, lv->csize);
    if (!lv->cstruct)
      return NOMEM(err);
    const pk_config *layers[3] = {lv->cfg, pc ? pc->config : NULL,
                                  t->defaults};
    for (size_t i = 0; i < ty->nbind; i++) {
      const pk_config *from;
      pk_error e;
      if (pk_config_coalesce(layers, 3, ty->bind[i].field, &from, &e) !=
          PK_OK)
        continue;
      pk_binding b;
      to_bindings(&ty->bind[i], 1, &b);
      pk_status bst =
          ty->bind[i].ctype == PK_PLUGIN_C_STRINGS
              ? bind_strings(&h->alloc, from, &ty->bind[i], lv->cstruct,
                             &lv->strv, err)
              : pk_config_bind(from, &b, 1, lv->cstruct, err);
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
    int rc = ty->pfactory(&call, &lv->obj);
    if (rc != 0) {
      char where[300];
      lv->obj = NULL;
      pk__fail_at(err, PK_EPLUGIN, pk_value_pos(top->table),
                  "%s type \"%s\" of plugin %s failed to build %s: %s",
                  ty->kind, ty->tag, ty->plugin->id,
                  inst_where(top, where, sizeof where),
                  ebuf[0] ? ebuf : "the factory returned an error");
      return pk__error_set_plugin(err, ty->plugin->id);
    }
    return PK_OK;
  }
  if (!ty->factory)
    return pk__fail_at(err, PK_ENOTSUP, pk_value_pos(top->table),
                       "%s type \"%s\" is declared by the host description "
                       "but the host registered no code for it "
                       "(pk_host_add_type)", ty->kind, ty->tag);
  pk_instance_args a = {sizeof a, ty->kind,  ty->tag,     top->name,
                        lv->cfg,  NULL,      t->defaults, base,
                        h->userdata, ty->data};
  pk_error e;
  pk_error_clear(&e);
  pk_status st = ty->factory(&a, &lv->obj, &e);
  if (st != PK_OK) {
    lv->obj = NULL;
    if (!e.line) {
      char msg[sizeof e.message], where[300];
      pk__copy_str(msg, sizeof msg, e.message[0] ? e.message
                                                 : "the factory failed");
      pk__fail_at(&e, st, pk_value_pos(top->table),
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
  pk_config *cfgs[MAX_CHAIN] = {0};
  size_t depth = 0;
  pk_status st = select_type(h, t, in, NULL, NULL, chain, &depth, err);
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
    st = decode_chain(h, NULL, chain, depth, in->table, NULL, t->ctx, cfgs,
                      NULL, err);
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
      return NOMEM(err);
    }
  }
  for (size_t i = 0; i < depth; i++) {
    lv[i]->type = chain[i];
    lv[i]->cfg = cfgs[i];
    lv[i]->base = i + 1 < depth ? lv[i + 1] : NULL;
  }
  void *base = NULL;
  for (size_t i = depth; i-- > 0;) {
    st = build_level(h, t, in, lv[i], base, err);
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

static pk_status not_configured(pk__types *t, const char *kind,
                                const char *name, pk_error *err)
{
  pk__kind *kd = find_kind(t, kind);
  if (!kd)
    return pk__fail(err, PK_ENOTFOUND, "unknown kind \"%s\" (declare it "
                    "with pk_host_declare_kind)", kind);
  const char *names[128];
  size_t k = 0;
  for (size_t i = 0; t && i < t->ninst && k < 128; i++)
    if (t->insts[i].kind == kd)
      names[k++] = t->insts[i].name;
  char list[1024];
  pk__join(list, sizeof list, names, k);
  const char *near = pk__closest(name, names, k);
  return pk__fail(err, PK_ENOTFOUND, "no %s named \"%s\": the config%s%s "
                  "has no [%s.%s] table%s%s%s (configured: %s)", kind, name,
                  t && t->config ? " " : "",
                  t && t->config ? pk_doc_source(t->config) : "",
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
  pk__types *t = h->types;
  pk__kind *kd = find_kind(t, kind);
  pk__inst *in = kd ? inst_find(t, kd, name) : NULL;
  if (!in)
    return not_configured(t, kind, name, err);
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
    pk_status st = inst_build(h, t, in, &be);
    building_now = me.up;
    if (st == PK_OK) {
      /* t->created has a slot for every entry; each takes one, once */
      size_t slot = atomic_fetch_add_explicit(&t->ncreated, 1,
                                              memory_order_relaxed);
      t->created[slot] = in;
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
      pthread_mutex_lock(&t->inst_mu);
      pthread_cond_broadcast(&t->inst_cv);
      pthread_mutex_unlock(&t->inst_mu);
    }
  } else if (s == INST_BUILDING || s == INST_WAITED) {
    for (building *b = building_now; b; b = b->up)
      if (b->in == in) {
        char where[300];
        return pk__fail_at(err, PK_ESTATE, pk_value_pos(in->table),
                           "%s %s is being built: its factory (or one it "
                           "calls) asked for it", kind,
                           inst_where(in, where, sizeof where));
      }
    pthread_mutex_lock(&t->inst_mu);
    s = atomic_load_explicit(&in->state, memory_order_acquire);
    while (s == INST_BUILDING || s == INST_WAITED) {
      /* marked before sleeping, so that the builder signals */
      if (s == INST_WAITED ||
          atomic_compare_exchange_strong_explicit(&in->state, &s, INST_WAITED,
                                                  memory_order_acquire,
                                                  memory_order_acquire))
        pthread_cond_wait(&t->inst_cv, &t->inst_mu);
      s = atomic_load_explicit(&in->state, memory_order_acquire);
    }
    pthread_mutex_unlock(&t->inst_mu);
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
  pk__kind *kd = find_kind(t, kind);
  if (!kd)
    return pk__fail(err, PK_ENOTFOUND, "unknown kind \"%s\" (declare it "
                    "with pk_host_declare_kind)", kind);
  if (pk_value_kind(table) != PK_KIND_TABLE)
    return pk__fail_at(err, PK_ETYPE, pk_value_pos(table), "%s must be a "
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
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  pk__inst in = {0};
  pk__type *chain[MAX_CHAIN];
  size_t depth;
  pk_error e;
  pk_status st = inline_init(h, kind, label, table, &in, &e);
  if (st == PK_OK) {
    pthread_mutex_lock(&t->wake_mu);
    st = select_type(h, t, &in, NULL, NULL, chain, &depth, &e);
    pthread_mutex_unlock(&t->wake_mu);
  }
  if (st != PK_OK) {
    if (diag && st != PK_ENOMEM && pk_diag_add(diag, &e, NULL) != PK_OK)
      return NOMEM(err);
    return pk__error_copy(err, &e);
  }
  return decode_chain(h, NULL, chain, depth, table, NULL, t->ctx, NULL, diag,
                      err);
}

pk_status pk_host_make_instance(pk_host *h, const char *kind,
                                const char *label, const pk_value *table,
                                pk_instance **out, pk_error *err)
{
  if (!h || !kind || !label || !table || !out)
    return pk__fail(err, PK_EMISUSE, "pk_host_make_instance: NULL argument");
  *out = NULL;
  pk__types *t = types_get(h);
  if (!t)
    return NOMEM(err);
  size_t len = strlen(label) + 1;
  pk_instance *x = pk__alloc_zero(&h->alloc, sizeof *x + len);
  if (!x)
    return NOMEM(err);
  x->host = h;
  memcpy(x->label, label, len);
  pk_status st = inline_init(h, kind, x->label, table, &x->in, err);
  if (st == PK_OK) {
    /* resolves the type's schema (once) under the lock */
    pk__type *chain[MAX_CHAIN];
    size_t depth;
    pthread_mutex_lock(&t->wake_mu);
    st = select_type(h, t, &x->in, NULL, NULL, chain, &depth, err);
    pthread_mutex_unlock(&t->wake_mu);
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

void pk__types_free(pk_host *h)
{
  pk__types *t = h->types;
  if (!t)
    return;
  const pk__allocator *a = &h->alloc;
  size_t ninst = t->insts ? t->ninst : 0;
  for (size_t i = atomic_load(&t->ncreated); i-- > 0;)
    inst_release(h, t->created[i]);
  for (size_t i = 0; i < ninst; i++) {
    pk__inst *in = &t->insts[i];
    if (in->err != &inst_nomem)
      pk__free(a, in->err, sizeof *in->err);
  }
  if (t->insts) {
    /* the capacity: every table entry counted by add_instances */
    pk__free(a, t->created, t->icap * sizeof *t->created);
    pk__free(a, t->insts, t->icap * sizeof *t->insts);
  }
  pk__free(a, t->by_name, ((size_t)t->mask + 1) * sizeof *t->by_name);
  for (size_t i = 0; i < t->ndecl; i++) {
    struct pk__pconf *c = t->decl[i];
    c->plugin->conf = NULL;
    pk_config_free(c->config);
    pk_schema_free(c->schema);
    pk_doc_free(c->fragment);
    strv_free(a, c->strv);
    pk__strfree(a, c->alias);
    pk__free(a, c, sizeof *c);
  }
  pk__free(a, t->decl, t->dcap * sizeof *t->decl);
  pk__map_free(a, &t->by_alias);
  pk_config_free(t->defaults);
  pk_schema_free(t->defaults_schema);
  for (size_t i = 0; i < t->ndocs; i++)
    pk_doc_free(t->docs[i]);
  pk__free(a, t->docs, t->doccap * sizeof *t->docs);
  for (size_t i = 0; i < t->ntypes; i++)
    type_free(a, t->types[i]);
  pk__free(a, t->types, t->tcap * sizeof *t->types);
  pk__map_free(a, &t->by_tag);
  for (size_t i = 0; i < t->nkinds; i++) {
    pk__strfree(a, t->kinds[i].name);
    pk__strfree(a, t->kinds[i].table);
    pk__strfree(a, t->kinds[i].dflt);
  }
  pk__free(a, t->kinds, t->kcap * sizeof *t->kinds);
  pk_schema_free(t->empty_schema);
  pk_doc_free(t->empty_doc);
  pk_doc_free(t->config);
  pthread_mutex_destroy(&t->inst_mu);
  pthread_cond_destroy(&t->inst_cv);
  pthread_mutex_destroy(&t->wake_mu);
  pk__arena_release(&t->arena); /* after every config in it is released */
  pk__free(a, t, sizeof *t);
  h->types = NULL;
}
