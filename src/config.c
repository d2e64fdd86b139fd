/* config.c -- decoded configs: typed getters, origins and positions, and
 * coalescing a value from layers (per object, plugin, defaults).
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "schema.h"

const pk_schema *pk_config_get_schema(const pk_config *config)
{
  return config ? config->schema : NULL;
}

pk_pos pk_config_get_pos(const pk_config *config)
{
  pk_pos none = {NULL, 0, 0};
  return config && config->table ? pk_value_get_pos(config->table) : none;
}

/* ---- getters ---- */

/* The value of field name, NULL when the schema has no such field. */
static const cval *config_val(const pk_config *c, const char *name,
                              const pk_field **fo)
{
  const pk_field *f;
  if (!c || !name)
    return NULL;
  f = find_field(c->schema, name, strlen(name));
  if (fo)
    *fo = f;
  return f ? &c->vals[f - c->schema->fields] : NULL;
}

pk_origin pk_config_get_origin(const pk_config *config, const char *name)
{
  const cval *cv = config_val(config, name, NULL);
  return cv ? (pk_origin)cv->origin : PK_ORIGIN_UNSET;
}

bool pk_config_is_set(const pk_config *config, const char *name)
{
  return pk_config_get_origin(config, name) != PK_ORIGIN_UNSET;
}

pk_pos pk_config_get_value_pos(const pk_config *config, const char *name)
{
  const cval *cv = config_val(config, name, NULL);
  pk_pos none = {NULL, 0, 0};
  return cv && cv->v ? pk_value_get_pos(cv->v) : none;
}

const pk_value *pk_config_get_value(const pk_config *config, const char *name)
{
  const cval *cv = config_val(config, name, NULL);
  return cv ? cv->v : NULL;
}

static pk_status not_found(const pk_schema *s, const char *name,
                           pk_error *err)
{
  char hint[480];
  pk__suggest_field(s, name, hint, sizeof hint);
  return pk__fail_at(err, PK_ENOTFOUND, s->pos, "no field \"%s\" in the "
                     "schema%s", name, hint);
}

/* Why get_typed() refused: checked again, in its order, out of the way of
 * the getters (a factory calls them for every field). */
static __attribute__((noinline, cold)) pk_status
get_problem(const pk_config *c, const char *name, pk_field_type want,
            pk_field_type want2, pk_error *err)
{
  const pk_field *f = NULL;
  if (!c || !name)
    return pk__fail(err, PK_EMISUSE, "pk_config_get: NULL %s",
                    c ? "name" : "config");
  if (!config_val(c, name, &f))
    return not_found(c->schema, name, err);
  if (f->type != want && f->type != want2)
    return pk__fail_at(err, PK_ETYPE, f->pos,
                       "field \"%s\" is %s field, not %s field", name,
                       pk__type_article(f->type), pk__type_article(want));
  return pk__fail_at(err, PK_EMISSING, pk_config_get_pos(c),
                     "field \"%s\" is not set", name);
}

/* The set value of field name if its type is want (or want2); with
 * unset_ok, also an unset one. */
static inline pk_status get_typed(const pk_config *c, const char *name,
                                  pk_field_type want, pk_field_type want2,
                                  bool unset_ok, const cval **out,
                                  pk_error *err)
{
  if (c && name) {
    const pk_schema *s = c->schema;
    size_t i = find_index(s, name, strlen(name));
    if (i < s->nfields &&
        (s->fields[i].type == want || s->fields[i].type == want2) &&
        (unset_ok || c->vals[i].origin != PK_ORIGIN_UNSET)) {
      *out = &c->vals[i];
      return PK_OK;
    }
  }
  return get_problem(c, name, want, want2, err);
}

pk_status pk_config_get_string(const pk_config *config, const char *name,
                               const char **out, size_t *len, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_STRING, PK_FIELD_ENUM,
                           false, &cv, err);
  if (st != PK_OK)
    return st;
  *out = cv->u.s;
  if (len)
    *len = cv->len;
  return PK_OK;
}

pk_status pk_config_get_integer(const pk_config *config, const char *name,
                                int64_t *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_INTEGER, PK_FIELD_INTEGER,
                           false, &cv, err);
  if (st == PK_OK)
    *out = cv->u.i;
  return st;
}

pk_status pk_config_get_float(const pk_config *config, const char *name,
                              double *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_FLOAT, PK_FIELD_FLOAT,
                           false, &cv, err);
  if (st == PK_OK)
    *out = cv->u.f;
  return st;
}

pk_status pk_config_get_bool(const pk_config *config, const char *name,
                             bool *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_BOOL, PK_FIELD_BOOL, false,
                           &cv, err);
  if (st == PK_OK)
    *out = cv->u.b;
  return st;
}

pk_status pk_config_get_datetime(const pk_config *config, const char *name,
                                 pk_datetime *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_DATETIME,
                           PK_FIELD_DATETIME, false, &cv, err);
  return st == PK_OK ? pk_value_get_datetime(cv->v, out, err) : st;
}

pk_status pk_config_get_enum(const pk_config *config, const char *name,
                             size_t *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_ENUM, PK_FIELD_ENUM, false,
                           &cv, err);
  if (st == PK_OK)
    *out = cv->idx;
  return st;
}

pk_status pk_config_get_array(const pk_config *config, const char *name,
                              const pk_value **out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_ARRAY, PK_FIELD_ARRAY,
                           false, &cv, err);
  if (st == PK_OK)
    *out = cv->v;
  return st;
}

pk_status pk_config_get_table(const pk_config *config, const char *name,
                              const pk_config **out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_TABLE, PK_FIELD_TABLE,
                           false, &cv, err);
  if (st == PK_OK)
    *out = cv->u.t;
  return st;
}

pk_status pk_config_get_string_or(const pk_config *config, const char *name,
                                  const char *dflt, const char **out,
                                  pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_STRING, PK_FIELD_ENUM, true,
                           &cv, err);
  if (st == PK_OK)
    *out = cv->origin == PK_ORIGIN_UNSET ? dflt : cv->u.s;
  return st;
}

pk_status pk_config_get_integer_or(const pk_config *config, const char *name,
                                   int64_t dflt, int64_t *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_INTEGER, PK_FIELD_INTEGER,
                           true, &cv, err);
  if (st == PK_OK)
    *out = cv->origin == PK_ORIGIN_UNSET ? dflt : cv->u.i;
  return st;
}

pk_status pk_config_get_float_or(const pk_config *config, const char *name,
                                 double dflt, double *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_FLOAT, PK_FIELD_FLOAT, true,
                           &cv, err);
  if (st == PK_OK)
    *out = cv->origin == PK_ORIGIN_UNSET ? dflt : cv->u.f;
  return st;
}

pk_status pk_config_get_bool_or(const pk_config *config, const char *name,
                                bool dflt, bool *out, pk_error *err)
{
  const cval *cv = NULL;
  pk_status st = get_typed(config, name, PK_FIELD_BOOL, PK_FIELD_BOOL, true,
                           &cv, err);
  if (st == PK_OK)
    *out = cv->origin == PK_ORIGIN_UNSET ? dflt : cv->u.b;
  return st;
}

/* ---- layering ---- */

pk_status pk_config_coalesce(const pk_config *const *layers, size_t n,
                             const char *name, const pk_config **from,
                             pk_error *err)
{
  const pk_config *dflt = NULL;
  bool known = false, any = false;
  if (from)
    *from = NULL;
  if (!name || !from || (!layers && n))
    return pk__fail(err, PK_EMISUSE, "pk_config_coalesce: NULL %s",
                    !name ? "name" : !from ? "from" : "layers");
  for (size_t i = 0; i < n; i++) {
    const cval *cv;
    if (!layers[i])
      continue;
    any = true;
    cv = config_val(layers[i], name, NULL);
    if (!cv)
      continue;
    known = true;
    if (cv->origin == PK_ORIGIN_TABLE) {
      *from = layers[i];
      return PK_OK;
    }
    if (cv->origin == PK_ORIGIN_DEFAULT && !dflt)
      dflt = layers[i];
  }
  if (dflt) {
    *from = dflt;
    return PK_OK;
  }
  if (any && !known)
    return pk__fail(err, PK_ENOTFOUND,
                    "no layer's schema has a field \"%s\"", name);
  return pk__fail(err, PK_EMISSING, "no layer sets field \"%s\"", name);
}

/* The layer to read name from, or NULL when none has a value (not an
 * error for the typed forms). */
static pk_status coalesce_typed(const pk_config *const *layers, size_t n,
                                const char *name, const pk_config **from,
                                pk_error *err)
{
  pk_error e;
  pk_status st = pk_config_coalesce(layers, n, name, from, &e);
  if (st == PK_EMISSING)
    return PK_OK; /* *from is NULL: the caller's default */
  return st == PK_OK ? st : pk__error_copy(err, &e);
}

pk_status pk_config_coalesce_string(const pk_config *const *layers, size_t n,
                                    const char *name, const char *dflt,
                                    const char **out, pk_error *err)
{
  const pk_config *from;
  pk_status st = coalesce_typed(layers, n, name, &from, err);
  if (st != PK_OK)
    return st;
  if (!from) {
    *out = dflt;
    return PK_OK;
  }
  return pk_config_get_string(from, name, out, NULL, err);
}

pk_status pk_config_coalesce_integer(const pk_config *const *layers, size_t n,
                                     const char *name, int64_t dflt,
                                     int64_t *out, pk_error *err)
{
  const pk_config *from;
  pk_status st = coalesce_typed(layers, n, name, &from, err);
  if (st != PK_OK)
    return st;
  if (!from) {
    *out = dflt;
    return PK_OK;
  }
  return pk_config_get_integer(from, name, out, err);
}

pk_status pk_config_coalesce_float(const pk_config *const *layers, size_t n,
                                   const char *name, double dflt, double *out,
                                   pk_error *err)
{
  const pk_config *from;
  pk_status st = coalesce_typed(layers, n, name, &from, err);
  if (st != PK_OK)
    return st;
  if (!from) {
    *out = dflt;
    return PK_OK;
  }
  return pk_config_get_float(from, name, out, err);
}

pk_status pk_config_coalesce_bool(const pk_config *const *layers, size_t n,
                                  const char *name, bool dflt, bool *out,
                                  pk_error *err)
{
  const pk_config *from;
  pk_status st = coalesce_typed(layers, n, name, &from, err);
  if (st != PK_OK)
    return st;
  if (!from) {
    *out = dflt;
    return PK_OK;
  }
  return pk_config_get_bool(from, name, out, err);
}
