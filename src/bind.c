/* bind.c -- binding a decoded config to the members of a C struct, for
 * hosts (pk_binding) and plugins (pk_plugin_binding).
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "schema.h"

typedef struct ctype_info {
  const char *name;    /* "PK_C_DOUBLE" */
  const char *pname;   /* its plugin-side name, "PK_PLUGIN_C_DOUBLE" */
  const char *member;  /* "a double" */
  size_t size;
} ctype_info;

/* Plugin bindings reach the checks in their host-side form
 * (pk__plugin_bindings): a PK_PLUGIN_C_STRINGS list as PK_C_ARRAY, which
 * plugins can bind no other way; no plugin constant binds a table. */
static const ctype_info ctypes[] = {
    {"PK_C_STRING", "PK_PLUGIN_C_STRING", "a const char *",
     sizeof(const char *)},
    {"PK_C_INT64", "PK_PLUGIN_C_INT64", "an int64_t", sizeof(int64_t)},
    {"PK_C_INT", "PK_PLUGIN_C_INT", "an int", sizeof(int)},
    {"PK_C_DOUBLE", "PK_PLUGIN_C_DOUBLE", "a double", sizeof(double)},
    {"PK_C_BOOL", "PK_PLUGIN_C_BOOL", "a bool", sizeof(bool)},
    {"PK_C_DATETIME", "PK_PLUGIN_C_DATETIME", "a pk_datetime",
     sizeof(pk_datetime)},
    {"PK_C_ENUM", "PK_PLUGIN_C_ENUM", "an int (enum index)", sizeof(int)},
    {"PK_C_ARRAY", "PK_PLUGIN_C_STRINGS", "a const pk_value *",
     sizeof(const pk_value *)},
    {"PK_C_CONFIG", "PK_C_CONFIG (host only)", "a const pk_config *",
     sizeof(const pk_config *)}};
#define NCTYPES (sizeof ctypes / sizeof ctypes[0])

static bool ctype_fits(pk_field_type t, pk_ctype c)
{
  switch (c) {
  case PK_C_STRING:
    return t == PK_FIELD_STRING || t == PK_FIELD_ENUM;
  case PK_C_INT64:
  case PK_C_INT:
    return t == PK_FIELD_INTEGER;
  case PK_C_DOUBLE:
    return t == PK_FIELD_FLOAT;
  case PK_C_BOOL:
    return t == PK_FIELD_BOOL;
  case PK_C_DATETIME:
    return t == PK_FIELD_DATETIME;
  case PK_C_ENUM:
    return t == PK_FIELD_ENUM;
  case PK_C_ARRAY:
    return t == PK_FIELD_ARRAY;
  case PK_C_CONFIG:
    return t == PK_FIELD_TABLE;
  }
  return false;
}

/* What to bind field f with: the host's constants, or the plugin's. */
static const char *ctype_advice(const pk_field *f, bool plugin)
{
  switch (f->type) {
  case PK_FIELD_STRING:
    return plugin ? "PK_PLUGIN_C_STRING" : "PK_C_STRING";
  case PK_FIELD_INTEGER:
    return plugin ? "PK_PLUGIN_C_INT64 or PK_PLUGIN_C_INT"
                  : "PK_C_INT64 or PK_C_INT";
  case PK_FIELD_FLOAT:
    return plugin ? "PK_PLUGIN_C_DOUBLE" : "PK_C_DOUBLE";
  case PK_FIELD_BOOL:
    return plugin ? "PK_PLUGIN_C_BOOL" : "PK_C_BOOL";
  case PK_FIELD_DATETIME:
    return plugin ? "PK_PLUGIN_C_DATETIME" : "PK_C_DATETIME";
  case PK_FIELD_ENUM:
    return plugin ? "PK_PLUGIN_C_ENUM or PK_PLUGIN_C_STRING"
                  : "PK_C_ENUM or PK_C_STRING";
  case PK_FIELD_ARRAY:
    if (!plugin)
      return "PK_C_ARRAY";
    return pk_field_get_items(f) == PK_FIELD_STRING
               ? "PK_PLUGIN_C_STRINGS"
               : "PK_PLUGIN_C_STRINGS with an array of strings (plugins "
                 "bind no other arrays)";
  case PK_FIELD_TABLE:
    return plugin ? "fields of their own: plugins cannot bind a table"
                  : "PK_C_CONFIG";
  }
  return "?";
}

/* Checks one binding (of a plugin: named with the plugin's constants);
 * *fo gets the field. */
static pk_status check_binding(const pk_schema *s, const pk_binding *b,
                               bool plugin, const pk_field **fo, pk_error *err)
{
  const pk_field *f;
  const ctype_info *ci;
  if (!b->field)
    return pk__fail(err, PK_EMISUSE, "binding with a NULL field name");
  if (b->type < PK_C_STRING || b->type > PK_C_CONFIG)
    return pk__fail(err, PK_EMISUSE,
                    "binding of field \"%s\": unknown C type %d", b->field,
                    (int)b->type);
  ci = &ctypes[b->type - 1];
  f = find_field(s, b->field, strlen(b->field));
  if (!f) {
    char hint[480];
    pk__suggest_field(s, b->field, hint, sizeof hint);
    return pk__fail_at(err, PK_ENOTFOUND, s->pos,
                       "cannot bind field \"%s\": the schema has no such "
                       "field%s",
                       b->field, hint);
  }
  const char *name = plugin ? ci->pname : ci->name;
  if (!ctype_fits(f->type, b->type))
    return pk__fail_at(err, PK_ETYPE, f->pos,
                       "cannot bind field \"%s\" (%s) to %s member (%s): use "
                       "%s",
                       b->field, pk_field_type_name(f->type),
                       plugin && b->type == PK_C_ARRAY ? "a const char *const *"
                                                       : ci->member,
                       name, ctype_advice(f, plugin));
  if (b->size && b->size != ci->size)
    return pk__fail_at(err, PK_ETYPE, f->pos,
                       "cannot bind field \"%s\" as %s (%zu bytes) to a "
                       "member of %zu bytes",
                       b->field, name, ci->size, b->size);
  *fo = f;
  return PK_OK;
}

pk_status pk__check_bindings(const pk_schema *schema,
                             const pk_binding *bindings, size_t n, bool plugin,
                             pk_error *err)
{
  const pk_field *f = NULL;
  if (!schema || (!bindings && n))
    return pk__fail(err, PK_EMISUSE, "pk_schema_check_bindings: NULL %s",
                    schema ? "bindings" : "schema");
  for (size_t i = 0; i < n; i++) {
    pk_status st = check_binding(schema, &bindings[i], plugin, &f, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

pk_status pk_schema_check_bindings(const pk_schema *schema,
                                   const pk_binding *bindings, size_t n,
                                   pk_error *err)
{
  return pk__check_bindings(schema, bindings, n, false, err);
}

pk_status pk_config_bind(const pk_config *config, const pk_binding *bindings,
                         size_t n, void *dst, pk_error *err)
{
  return pk__config_bind(config, bindings, n, dst, false, err);
}

pk_status pk__config_bind(const pk_config *config, const pk_binding *bindings,
                          size_t n, void *dst, bool plugin, pk_error *err)
{
  if (!config || !dst || (!bindings && n))
    return pk__fail(err, PK_EMISUSE, "pk_config_bind: NULL %s",
                    !config ? "config" : !dst ? "dst" : "bindings");
  for (size_t i = 0; i < n; i++) {
    const pk_binding *b = &bindings[i];
    const pk_field *f = NULL;
    pk_status st = check_binding(config->schema, b, plugin, &f, err);
    if (st != PK_OK)
      return st;
    const cval *cv = &config->vals[f - config->schema->fields];
    char *m = (char *)dst + b->offset;
    if (cv->origin == PK_ORIGIN_UNSET)
      continue;
    switch (b->type) {
    case PK_C_STRING:
      memcpy(m, &cv->u.s, sizeof cv->u.s);
      break;
    case PK_C_INT64:
      memcpy(m, &cv->u.i, sizeof cv->u.i);
      break;
    case PK_C_INT: {
      if (cv->u.i < INT_MIN || cv->u.i > INT_MAX)
        return pk__fail_at(err, PK_ERANGE, pk_value_get_pos(cv->v),
                           "%s = %" PRId64 " does not fit the int member it "
                           "is bound to (%s): bind it as %s or give the "
                           "field min and max",
                           b->field, cv->u.i,
                           plugin ? "PK_PLUGIN_C_INT" : "PK_C_INT",
                           plugin ? "PK_PLUGIN_C_INT64" : "PK_C_INT64");
      int x = (int)cv->u.i;
      memcpy(m, &x, sizeof x);
      break;
    }
    case PK_C_DOUBLE:
      memcpy(m, &cv->u.f, sizeof cv->u.f);
      break;
    case PK_C_BOOL:
      memcpy(m, &cv->u.b, sizeof cv->u.b);
      break;
    case PK_C_DATETIME: {
      pk_datetime dt;
      if ((st = pk_value_get_datetime(cv->v, &dt, err)) != PK_OK)
        return st;
      memcpy(m, &dt, sizeof dt);
      break;
    }
    case PK_C_ENUM: {
      int x = (int)cv->idx;
      memcpy(m, &x, sizeof x);
      break;
    }
    case PK_C_ARRAY:
      memcpy(m, &cv->v, sizeof cv->v);
      break;
    case PK_C_CONFIG: {
      const pk_config *t = cv->u.t;
      memcpy(m, &t, sizeof t);
      break;
    }
    }
  }
  return PK_OK;
}

/* ---- plugin bindings (pk_plugin_binding) ---- */

void pk__plugin_bindings(const pk_plugin_binding *in, size_t n,
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

void pk__strv_free(const pk__allocator *a, pk__strv *l)
{
  while (l) {
    pk__strv *next = l->next;
    pk__free(a, l, sizeof *l + (l->n + 1) * sizeof l->v[0]);
    l = next;
  }
}

/* The binding check has made sure f is an array. */
pk_status pk__strings_ok(const pk_field *f, pk_error *err)
{
  if (pk_field_get_items(f) == PK_FIELD_STRING)
    return PK_OK;
  return pk__fail_at(err, PK_ETYPE, pk_field_get_pos(f), "cannot bind field "
                     "\"%s\" (array of %s) as PK_PLUGIN_C_STRINGS: its items "
                     "must be strings", pk_field_get_name(f),
                     pk_field_type_name(pk_field_get_items(f)));
}

pk_status pk__bind_strings(const pk__allocator *a, const pk_config *config,
                           const pk_plugin_binding *b, void *dst,
                           pk__strv **own, pk_error *err)
{
  const pk_schema *s = pk_config_get_schema(config);
  pk_status st = pk__strings_ok(pk_schema_find_field(s, b->field), err);
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
    return pk__fail(err, PK_ENOMEM, "out of memory");
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
