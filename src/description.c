/* description.c -- the host description file: [namespaces], [kinds],
 * [hooks], [types] (built-in types with their config schemas), the
 * [defaults] schema and [tables] (the host's own tables, host_tables.c),
 * each turned into the host's own declarations.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "use.h"

/* The [defaults] schema, from the description or
 * pk_host_declare_defaults(): declared once. */
static pk_status set_defaults(pk_host *h, const pk_value *tbl, pk_error *err)
{
  pk__hostconf *c = pk__hostconf_get(h);
  if (!c)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  if (c->defaults_schema)
    return pk__fail_at(err, PK_EDUPLICATE, pk_value_get_pos(tbl),
                       "the [defaults] schema is declared twice");
  return pk__host_schema(h, tbl, &c->defaults_schema, err);
}

pk_status pk_host_declare_defaults(pk_host *h, const char *schema_toml,
                                   pk_error *err)
{
  if (!h || !schema_toml)
    return pk__fail(err, PK_EMISUSE, "pk_host_declare_defaults: NULL "
                    "argument");
  pk_doc_options o = pk__host_doc_options(h);
  pk_doc *doc;
  pk_status st = pk_doc_parse(schema_toml, strlen(schema_toml),
                              "<defaults schema>", &o, &doc, err);
  if (st == PK_OK)
    st = pk__types_keep_doc(h, doc, err);
  if (st == PK_OK)
    st = set_defaults(h, pk_doc_root(doc), err);
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
    return pk__fail_at(err, PK_ECONFIG, pk_value_get_pos(*out),
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
    return pk__fail_at(err, PK_ECONFIG, pk_value_get_pos(*out),
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

/* [types.KIND.TAG]: a built-in type declared by the description (extends,
 * config schema); the host adds its code with pk_host_add_type(). */
static pk_status desc_type(pk_host *h, const char *kind, const pk_value *tags,
                           size_t j, pk_error *err)
{
  static const char *const keys[] = {"extends", "config"};
  const char *tag = pk_table_key_at(tags, j, NULL), *ext;
  const pk_value *e, *cfg = NULL;
  pk__types *t = pk__types_get(h);
  pk_status st;
  if (!t)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  if ((st = desc_entry(tags, j, "types.*", &e, err)) ||
      (st = desc_keys(e, keys, 2, "[types.*.*]", err)) ||
      (st = pk_table_get_string_or(e, "extends", NULL, &ext, err)) ||
      (st = pk_table_get_table(e, "config", &cfg, err)) == PK_ETYPE)
    return st;
  pk_pos pos = pk_table_key_pos_at(tags, j);
  if (!pk__find_kind(t, kind))
    return pk__fail_at(err, PK_ENOTFOUND, pos, "[types.%s.%s]: kind \"%s\" "
                       "is not declared (add [kinds.%s])", kind, tag, kind,
                       kind);
  if (!pk__name_valid(tag, strlen(tag)))
    return pk__fail_at(err, PK_ECONFIG, pos, "invalid type tag \"%s\": use "
                       "1 to 127 letters, digits, '_', '.' or '-'", tag);
  pk__type *ty = pk__type_new(&h->alloc, kind, tag, ext);
  if (!ty)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  ty->pos = pos;
  ty->schema = t->empty_schema;
  if (cfg) {
    st = pk__host_schema(h, cfg, &ty->own_schema, err);
    if (st != PK_OK) {
      pk__type_free(&h->alloc, ty);
      return st;
    }
    ty->schema = ty->own_schema;
  }
  return pk__type_insert(h, t, ty, err);
}

/* The kinds of value "scalars" names (1u << pk_kind each). */
static pk_status desc_scalars(const pk_value *v, unsigned *out, pk_error *err)
{
  static const char *const names[] = {"string", "integer", "float",
                                      "boolean", "datetime"};
  static const pk_kind kinds[] = {PK_KIND_STRING, PK_KIND_INTEGER,
                                  PK_KIND_FLOAT, PK_KIND_BOOL,
                                  PK_KIND_DATETIME};
  pk_status st = pk__value_expect(v, PK_KIND_ARRAY, err);
  for (size_t i = 0; st == PK_OK && i < pk_array_count(v); i++) {
    const pk_value *item = pk_array_at(v, i);
    const char *name;
    size_t k = 0;
    if ((st = pk_value_get_string(item, &name, NULL, err)))
      break;
    while (k < 5 && strcmp(name, names[k]))
      k++;
    if (k == 5)
      return pk__fail_at(err, PK_ECONFIG, pk_value_get_pos(item), "scalars: "
                         "\"%s\" is not one of: string, integer, float, "
                         "boolean, datetime", name);
    *out |= 1u << kinds[k];
  }
  return st;
}

/* [tables.NAME.instances]: FIELD = { kind = "KIND", array = true }, and
 * the `host` array: the keys the host checks itself, into keys. */
static pk_status desc_host_keys(pk_host *h, const pk_value *e,
                                pk__htable *t, pk_error *err)
{
  static const char *const ikeys[] = {"kind", "array", "tag"};
  const pk_value *insts = pk_table_get(e, "instances");
  const pk_value *host = pk_table_get(e, "host");
  pk_status st = PK_OK;
  if ((insts && (st = pk__value_expect(insts, PK_KIND_TABLE, err))) ||
      (host && (st = pk__value_expect(host, PK_KIND_ARRAY, err))))
    return st;
  size_t ni = pk_table_count(insts), n = ni + pk_array_count(host);
  t->keys = pk__alloc_zero(&h->alloc, (n ? n : 1) * sizeof *t->keys);
  t->skip = pk__alloc_zero(&h->alloc, (n ? n : 1) * sizeof *t->skip);
  if (!t->keys || !t->skip)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  t->nkeys = n; /* pk__free(0) frees the block of 1 */
  for (size_t i = 0; i < n; i++) {
    pk__hkey *k = &t->keys[i];
    const pk_value *v = i < ni ? pk_table_value_at(insts, i)
                               : pk_array_at(host, i - ni);
    pk_pos pos = i < ni ? pk_table_key_pos_at(insts, i) : pk_value_get_pos(v);
    if (i < ni) {
      k->name = pk_table_key_at(insts, i, NULL);
      if ((st = desc_entry(insts, i, "tables.*.instances", &v, err)) ||
          (st = desc_keys(v, ikeys, 3, "[tables.*.instances.*]", err)) ||
          (st = pk_table_get_string(v, "kind", &k->kind, err)) ||
          (st = pk_table_get_bool_or(v, "array", false, &k->array, err)) ||
          (st = pk_table_get_bool_or(v, "tag", false, &k->tag, err)))
        return st;
      if (!pk__find_kind(h->types, k->kind))
        return pk__fail_at(err, PK_ENOTFOUND, pos, "[tables.%s.instances.%s]"
                           ": kind \"%s\" is not declared (add [kinds.%s])",
                           t->name, k->name, k->kind, k->kind);
    } else if ((st = pk_value_get_string(v, &k->name, NULL, err))) {
      return st;
    }
    if (t->schema && pk_schema_find_field(t->schema, k->name))
      return pk__fail_at(err, PK_EDUPLICATE, pos, "[tables.%s]: \"%s\" is "
                         "in fields and in %s: keep one", t->name, k->name,
                         i < ni ? "instances" : "host");
    for (size_t j = 0; j < i; j++)
      if (!strcmp(t->skip[j], k->name))
        return pk__fail_at(err, PK_EDUPLICATE, pos, "[tables.%s]: \"%s\" "
                           "is named twice in instances and host", t->name,
                           k->name);
    t->skip[i] = k->name;
  }
  return PK_OK;
}

/* one-of = ["exec", "factory"]: exactly one of these keys of the table
 * (each a field or a key of instances or host). */
static pk_status desc_one_of(const pk_value *e, pk__htable *t, pk_error *err)
{
  const pk_value *v = pk_table_get(e, "one-of");
  pk_status st = v ? pk__value_expect(v, PK_KIND_ARRAY, err) : PK_OK;
  for (size_t i = 0; st == PK_OK && i < pk_array_count(v); i++) {
    const pk_value *item = pk_array_at(v, i);
    const char *name;
    if ((st = pk_value_get_string(item, &name, NULL, err)))
      break;
    bool known = t->schema && pk_schema_find_field(t->schema, name);
    for (size_t k = 0; k < t->nkeys && !known; k++)
      known = !strcmp(t->keys[k].name, name);
    if (!known)
      return pk__fail_at(err, PK_ENOTFOUND, pk_value_get_pos(item), "[tables."
                         "%s] one-of: \"%s\" is not a key of the table (in "
                         "fields, instances or host)", t->name, name);
  }
  if (st == PK_OK && pk_array_count(v) < 2 && v)
    st = pk__fail_at(err, PK_ECONFIG, pk_value_get_pos(v), "[tables.%s] "
                     "one-of names at least two keys", t->name);
  t->one_of = v;
  return st;
}

/* [tables.NAME]: a table of the host's own in its config. */
static pk_status desc_host_table(pk_host *h, const pk_value *sect, size_t i,
                                 pk_error *err)
{
  static const char *const keys[] = {"doc",       "each", "scalars",
                                     "fields",    "instances", "host",
                                     "one-of"};
  const char *doc;
  const pk_value *e, *v;
  pk__htable t = {.name = pk_table_key_at(sect, i, NULL),
                  .pos = pk_table_key_pos_at(sect, i)};
  pk_status st;
  if ((st = desc_entry(sect, i, "tables", &e, err)) ||
      (st = desc_keys(e, keys, 7, "[tables.*]", err)) ||
      (st = pk_table_get_string_or(e, "doc", "", &doc, err)) || /* typed */
      (st = pk_table_get_bool_or(e, "each", false, &t.each, err)))
    return st;
  if (!pk__name_valid(t.name, strlen(t.name)))
    return pk__fail_at(err, PK_ECONFIG, t.pos, "invalid table name \"%s\": "
                       "use 1 to 127 letters, digits, '_', '.' or '-'",
                       t.name);
  if ((v = pk_table_get(e, "scalars")) && !t.each)
    return pk__fail_at(err, PK_ECONFIG, pk_value_get_pos(v), "[tables.%s]: "
                       "scalars apply to the entries of a table with each = "
                       "true", t.name);
  if (v && (st = desc_scalars(v, &t.scalars, err)))
    return st;
  if ((v = pk_table_get(e, "fields")) &&
      ((st = pk__value_expect(v, PK_KIND_TABLE, err)) ||
       (st = pk__host_schema(h, v, &t.schema, err))))
    return st;
  pk__hostconf *c = pk__hostconf_get(h);
  if (!c)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  else if ((st = desc_host_keys(h, e, &t, err)) == PK_OK &&
           (st = desc_one_of(e, &t, err)) == PK_OK)
    return pk__host_table_declare(h, c, &t, err);
  pk_schema_free(t.schema);
  pk__free(&h->alloc, t.keys, t.nkeys * sizeof *t.keys);
  pk__free(&h->alloc, t.skip, t.nkeys * sizeof *t.skip);
  return st;
}

static pk_status load_description(pk_host *h, pk_doc *doc, pk_error *err)
{
  static const char *const top[] = {"namespaces", "kinds", "hooks",
                                    "types", "defaults", "tables"};
  static const char *const kkeys[] = {"table", "version", "default"};
  static const char *const hkeys[] = {"mode"};
  static const char *const nkeys[] = {"abi"};
  const pk_value *root = pk_doc_root(doc), *sect, *e;
  pk_status st = desc_keys(root, top, 6, "the host description", err);
  if (st == PK_OK)
    st = desc_table(root, "namespaces", &sect, err);
  for (size_t i = 0; st == PK_OK && sect && i < pk_table_count(sect); i++) {
    int64_t abi;
    if ((st = desc_entry(sect, i, "namespaces", &e, err)) ||
        (st = desc_keys(e, nkeys, 1, "[namespaces.*]", err)) ||
        (st = pk_table_get_integer(e, "abi", &abi, err)))
      break;
    if (abi < 0 || abi > UINT32_MAX)
      st = pk__fail_at(err, PK_ERANGE, pk_value_get_pos(pk_table_get(e, "abi")),
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
      st = pk__fail_at(err, PK_ERANGE,
                       pk_value_get_pos(pk_table_get(e, "mode")),
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
  if (st == PK_OK)
    st = desc_table(root, "tables", &sect, err);
  for (size_t i = 0; st == PK_OK && sect && i < pk_table_count(sect); i++)
    st = desc_host_table(h, sect, i, err);
  const pk_value *d = pk_table_get(root, "defaults");
  if (st == PK_OK && d)
    st = set_defaults(h, d, err);
  return st;
}

pk_status pk_host_load_description(pk_host *h, const char *path,
                                   pk_error *err)
{
  if (!h || !path)
    return pk__fail(err, PK_EMISUSE, "pk_host_load_description: NULL "
                    "argument");
  pk_doc_options o = pk__host_doc_options(h);
  pk_doc *doc;
  pk_status st = pk_doc_load_file(path, &o, &doc, err);
  if (st == PK_OK)
    st = pk__types_keep_doc(h, doc, err);
  if (st == PK_OK)
    st = load_description(h, doc, err);
  return st;
}
