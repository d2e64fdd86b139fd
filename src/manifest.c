/* manifest.c -- plugin.toml -> plugin record, every problem positioned.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const manifest_keys[] = {
    "name",     "namespace", "version", "description", "library", "abi",
    "requires", "optional",  "lazy",    "hooks",       "config",  "provides",
    "fragment"};
#define NKEYS (sizeof manifest_keys / sizeof manifest_keys[0])

static const char *const provides_keys[] = {"kind", "tag", "extends",
                                            "config", "default"};

/* Fails with "unknown key" and a suggestion when key is not in keys. */
static pk_status check_keys(const pk_value *table, const char *what,
                            const char *const *keys, size_t nkeys,
                            pk_error *err)
{
  for (size_t i = 0; i < pk_table_count(table); i++) {
    const char *k = pk_table_key_at(table, i, NULL);
    size_t j;
    for (j = 0; j < nkeys; j++)
      if (!strcmp(k, keys[j]))
        break;
    if (j < nkeys)
      continue;
    const char *near = pk__closest(k, keys, nkeys);
    char list[512];
    pk__join(list, sizeof list, keys, nkeys);
    if (near)
      return pk__fail_at(err, PK_EMANIFEST, pk_table_key_pos_at(table, i),
                         "unknown key \"%s\" in %s (did you mean \"%s\"?)", k,
                         what, near);
    return pk__fail_at(err, PK_EMANIFEST, pk_table_key_pos_at(table, i),
                       "unknown key \"%s\" in %s (known keys: %s)", k, what,
                       list);
  }
  return PK_OK;
}

/* A typed-getter failure is a manifest error: keep its position and text,
 * change the code. */
static pk_status as_manifest(pk_status st, pk_error *err)
{
  if (st != PK_OK && st != PK_ENOMEM && err)
    err->code = PK_EMANIFEST;
  return st == PK_OK || st == PK_ENOMEM ? st : PK_EMANIFEST;
}

static pk_status get_name(const pk_value *root, const char *key,
                          const char **out, pk_error *err)
{
  pk_status st = pk_table_get_string(root, key, out, err);
  if (st != PK_OK)
    return as_manifest(st, err);
  if (!pk__name_valid(*out, strlen(*out)))
    return pk__fail_at(err, PK_EMANIFEST,
                       pk_value_pos(pk_table_get(root, key)),
                       "invalid %s \"%s\": use 1 to 127 letters, digits, '_', "
                       "'.' or '-'",
                       key, *out);
  return PK_OK;
}

static pk_status load_reqs(const pk__allocator *a, pk__manifest *m,
                           const char *key, bool optional, pk_error *err)
{
  const pk_value *arr = pk_table_get(m->root, key);
  if (!arr)
    return PK_OK;
  if (pk_value_kind(arr) != PK_KIND_ARRAY)
    return pk__fail_at(err, PK_EMANIFEST, pk_value_pos(arr),
                       "\"%s\" must be an array of strings, found: %s", key,
                       pk_kind_name(pk_value_kind(arr)));
  for (size_t i = 0; i < pk_array_count(arr); i++) {
    const pk_value *item = pk_array_at(arr, i);
    pk__mreq r;
    memset(&r, 0, sizeof r);
    if (pk_value_get_string(item, &r.text, NULL, err) != PK_OK)
      return as_manifest(PK_ETYPE, err);
    r.pos = pk_value_pos(item);
    r.optional = optional;
    char why[512];
    pk__req req;
    if (pk__req_parse_in(r.text, m->ns, &req, why, sizeof why) != PK_OK)
      return pk__fail_at(err, PK_EMANIFEST, r.pos, "%s", why);
    if (!strcmp(req.ns, m->ns) && !strcmp(req.name, m->name))
      return pk__fail_at(err, PK_EMANIFEST, r.pos,
                         "plugin %s:%s requires itself", m->ns, m->name);
    if (PK__VEC_PUSH(a, m->reqs, m->nreq, m->reqcap, r) != PK_OK)
      return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  return PK_OK;
}

/* A schema table ([config], [provides.config]) must itself be valid. */
static pk_status check_schema(const pk__allocator *a, const pk_value *schema,
                              const char *what, pk_error *err)
{
  if (pk_value_kind(schema) != PK_KIND_TABLE)
    return pk__fail_at(err, PK_EMANIFEST, pk_value_pos(schema),
                       "\"config\" must be a table (%s)", what);
  return as_manifest(pk__schema_check(a, schema, err), err);
}

static pk_status check_provides(const pk__allocator *a, const pk_value *root,
                                pk_error *err)
{
  const pk_value *prov = pk_table_get(root, "provides");
  if (!prov)
    return PK_OK;
  if (pk_value_kind(prov) != PK_KIND_ARRAY)
    return pk__fail_at(err, PK_EMANIFEST, pk_value_pos(prov),
                       "\"provides\" must be an array of tables ([[provides]])");
  for (size_t i = 0; i < pk_array_count(prov); i++) {
    const pk_value *t = pk_array_at(prov, i);
    const char *s;
    if (pk_value_kind(t) != PK_KIND_TABLE)
      return pk__fail_at(err, PK_EMANIFEST, pk_value_pos(t),
                         "each [[provides]] entry must be a table");
    pk_status st = check_keys(t, "[[provides]]", provides_keys,
                              sizeof provides_keys / sizeof provides_keys[0],
                              err);
    if (st == PK_OK)
      st = as_manifest(pk_table_get_string(t, "kind", &s, err), err);
    if (st == PK_OK)
      st = as_manifest(pk_table_get_string(t, "tag", &s, err), err);
    if (st == PK_OK)
      st = as_manifest(pk_table_get_string_or(t, "extends", "", &s, err), err);
    if (st == PK_OK && pk_table_get(t, "config"))
      st = check_schema(a, pk_table_get(t, "config"), "[provides.config]",
                        err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

static pk_status parse_manifest(const pk__allocator *a, pk__manifest *m,
                                pk_error *err)
{
  const pk_value *root = m->root;
  pk_status st = check_keys(root, "plugin manifest", manifest_keys, NKEYS, err);
  if (st != PK_OK)
    return st;
  if ((st = get_name(root, "name", &m->name, err)) != PK_OK ||
      (st = get_name(root, "namespace", &m->ns, err)) != PK_OK)
    return st;
  st = pk_table_get_string(root, "version", &m->version_text, err);
  if (st != PK_OK)
    return as_manifest(st, err);
  char why[256];
  if (pk__version_parse(m->version_text, false, &m->version, why,
                        sizeof why) != PK_OK)
    return pk__fail_at(err, PK_EMANIFEST,
                       pk_value_pos(pk_table_get(root, "version")), "%s", why);
  st = pk_table_get_string_or(root, "description", "", &m->description, err);
  if (st == PK_OK)
    st = pk_table_get_string_or(root, "library", NULL, &m->library, err);
  if (st == PK_OK)
    st = pk_table_get_bool_or(root, "lazy", false, &m->lazy, err);
  if (st != PK_OK)
    return as_manifest(st, err);
  if (m->library && (!m->library[0] || strchr(m->library, '/')))
    return pk__fail_at(err, PK_EMANIFEST,
                       pk_value_pos(pk_table_get(root, "library")),
                       "\"library\" must name a shared object file in the "
                       "plugin's directory, such as \"libpk_%s.so\"",
                       m->name);
  const pk_value *abi = pk_table_get(root, "abi");
  if (abi) {
    int64_t v;
    if ((st = pk_value_get_integer(abi, &v, err)) != PK_OK)
      return as_manifest(st, err);
    if (v < 0 || v > UINT32_MAX)
      return pk__fail_at(err, PK_EMANIFEST, pk_value_pos(abi),
                         "\"abi\" must be between 0 and %u", UINT32_MAX);
    m->abi = (uint32_t)v;
    m->has_abi = true;
  } else if (m->library) {
    return pk__fail_at(err, PK_EMANIFEST,
                       pk_value_pos(pk_table_get(root, "library")),
                       "plugin %s:%s has a library but no \"abi\": add "
                       "abi = N, the ABI of namespace \"%s\" it was built for",
                       m->ns, m->name, m->ns);
  }
  if ((st = load_reqs(a, m, "requires", false, err)) != PK_OK ||
      (st = load_reqs(a, m, "optional", true, err)) != PK_OK)
    return st;
  const pk_value *hooks = pk_table_get(root, "hooks");
  for (size_t i = 0; hooks && i < pk_array_count(hooks); i++) {
    const char *h;
    if ((st = pk_value_get_string(pk_array_at(hooks, i), &h, NULL, err)))
      return as_manifest(st, err);
  }
  if (hooks && pk_value_kind(hooks) != PK_KIND_ARRAY)
    return pk__fail_at(err, PK_EMANIFEST, pk_value_pos(hooks),
                       "\"hooks\" must be an array of hook names");
  const pk_value *config = pk_table_get(root, "config");
  if (config && (st = check_schema(a, config, "[config]", err)) != PK_OK)
    return st;
  return check_provides(a, root, err);
}

pk_status pk__manifest_load(const pk__allocator *a, const char *source,
                            const char *text, size_t len, pk__manifest *m,
                            pk_error *err)
{
  memset(m, 0, sizeof *m);
  pk_doc_options opts = {sizeof opts, PK_TOML_DEFAULT, a ? a->fn : NULL,
                         a ? a->ud : NULL};
  pk_status st = text ? pk_doc_parse(text, len, source, &opts, &m->doc, err)
                      : pk_doc_load_file(source, &opts, &m->doc, err);
  if (st != PK_OK) {
    if (st == PK_ESYNTAX && err)
      err->code = PK_EMANIFEST;
    return st == PK_ESYNTAX ? PK_EMANIFEST : st;
  }
  m->root = pk_doc_root(m->doc);
  st = parse_manifest(a, m, err);
  if (st != PK_OK)
    pk__manifest_free(a, m);
  return st;
}

void pk__manifest_free(const pk__allocator *a, pk__manifest *m)
{
  if (!m)
    return;
  pk__free(a, m->reqs, m->reqcap * sizeof *m->reqs);
  pk_doc_free(m->doc);
  memset(m, 0, sizeof *m);
}
