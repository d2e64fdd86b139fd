/* schema.c -- field schemas: parsed from a TOML table and checked, with
 * the accessors of schemas and fields.  Decoding by a schema is decode.c.
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

static const char *const type_names[] = {"string",  "integer", "float",
                                         "boolean", "datetime", "enum",
                                         "array",   "table"};
#define NTYPES (sizeof type_names / sizeof type_names[0])

enum prop { P_TYPE, P_REQUIRED, P_DEFAULT, P_OPTIONAL, P_DOC, P_MIN, P_MAX,
            P_CHOICES, P_ITEMS, P_FIELDS, P_FORMAT, NPROPS };
static const char *const prop_names[NPROPS] = {
    "type", "required", "default", "optional", "doc",   "min",
    "max",  "choices",  "items",   "fields",   "format"};

#define FIELD_NAME_MAX 127
#define CHECK_CHOICES 64 /* choices a schema check holds without allocating */

static void schema_free(pk_schema *s);

const char *pk_field_type_name(pk_field_type type)
{
  if (type < PK_FIELD_STRING || type > PK_FIELD_TABLE)
    return "unknown";
  return type_names[type - 1];
}

/* ---- schemas: parsing ---- */

static pk_status schema_error(pk_error *err, pk_pos pos, const char *fmt, ...)
    PK__PRINTF(3, 4);
static pk_status schema_error(pk_error *err, pk_pos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(err, PK_ECONFIG, pos, fmt, ap);
  va_end(ap);
  return PK_ECONFIG;
}

static bool field_name_valid(const char *s, size_t len)
{
  if (len == 0 || len > FIELD_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

static pk_field_type type_from_name(const char *s)
{
  for (size_t i = 0; i < NTYPES; i++) /* (no two share a first letter) */
    if (s[0] == type_names[i][0])
      return strcmp(s, type_names[i]) ? (pk_field_type)0
                                      : (pk_field_type)(i + 1);
  return (pk_field_type)0;
}

/* The position of f's name: computed only for a message (a check keeps
 * no field, so table_field() leaves f->pos unset there). */
static pk_pos field_pos(const pk_field *f)
{
  return pk_table_key_pos_at(f->in, f->in_idx);
}

/* The type of field f declared by decl (its "type" property as
 * pk__items_at() read it, ti: NULL when there is none), or 0 with err
 * set. */
static pk_field_type parse_type(const pk__item *ti, const pk_field *f,
                                const char *path, pk_error *err)
{
  const pk_value *tv = ti ? ti->v : NULL;
  const char *t = ti ? ti->u.s : NULL, *near;
  char list[160];
  if (ti && ti->kind == PK_KIND_STRING) {
    pk_field_type ty = type_from_name(t);
    if (ty)
      return ty;
  }
  pk__join(list, sizeof list, type_names, NTYPES); /* for the messages */
  if (!tv) {
    schema_error(err, field_pos(f),
                 "field \"%s\" has no type: add type = \"...\" (one of %s)",
                 path, list);
    return (pk_field_type)0;
  }
  if (pk_value_kind(tv) != PK_KIND_STRING) {
    schema_error(err, pk_value_get_pos(tv),
                 "field \"%s\": type must be a string (one of %s), found %s",
                 path, list, pk__kind_article(pk_value_kind(tv)));
    return (pk_field_type)0;
  }
  near = pk__closest(t, type_names, NTYPES);
  if (near)
    schema_error(err, pk_value_get_pos(tv),
                 "unknown type \"%s\" for field \"%s\" (did you mean \"%s\"? "
                 "valid types: %s)",
                 t, path, near, list);
  else
    schema_error(err, pk_value_get_pos(tv),
                 "unknown type \"%s\" for field \"%s\" (valid types: %s)", t,
                 path, list);
  return (pk_field_type)0;
}

static pk_status parse_bool_prop(const pk_value *v, const char *path,
                                 const char *prop, bool *out, pk_error *err)
{
  if (pk_value_kind(v) != PK_KIND_BOOL)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": %s must be true or false, found %s",
                        path, prop, pk__kind_article(pk_value_kind(v)));
  pk_value_get_bool(v, out, NULL);
  return PK_OK;
}

/* Which properties apply to which types (0: all). */
static bool prop_applies(enum prop p, pk_field_type t)
{
  switch (p) {
  case P_MIN:
  case P_MAX:
    return t == PK_FIELD_INTEGER || t == PK_FIELD_FLOAT;
  case P_CHOICES:
    return t == PK_FIELD_ENUM;
  case P_ITEMS:
    return t == PK_FIELD_ARRAY;
  case P_FIELDS:
    return t == PK_FIELD_TABLE;
  case P_FORMAT:
    return t == PK_FIELD_STRING;
  case P_DEFAULT:
    return t != PK_FIELD_TABLE;
  default:
    return true;
  }
}

static const char *prop_rule(enum prop p)
{
  switch (p) {
  case P_MIN:
  case P_MAX:
    return "applies only to integer and float fields";
  case P_CHOICES:
    return "applies only to enum fields";
  case P_ITEMS:
    return "applies only to array fields";
  case P_FIELDS:
    return "applies only to table fields";
  case P_FORMAT:
    return "applies only to string fields";
  case P_DEFAULT:
    return "does not apply to table fields: give the table's fields "
           "defaults instead";
  default:
    return "";
  }
}

static pk_status parse_bound(pk_field *f, const pk_value *v, const char *path,
                             const char *prop, bool is_min, pk_error *err)
{
  pk_kind k = pk_value_kind(v);
  if (f->type == PK_FIELD_INTEGER && k != PK_KIND_INTEGER)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": %s of an integer field must be an "
                        "integer, found %s",
                        path, prop, pk__kind_article(k));
  if (f->type == PK_FIELD_FLOAT && k != PK_KIND_INTEGER && k != PK_KIND_FLOAT)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": %s of a float field must be a number, "
                        "found %s",
                        path, prop, pk__kind_article(k));
  int64_t i = 0;
  double x = 0;
  if (k == PK_KIND_INTEGER) {
    pk_value_get_integer(v, &i, NULL);
    x = (double)i;
  } else {
    pk_value_get_float(v, &x, NULL);
    if (isnan(x))
      return schema_error(err, pk_value_get_pos(v),
                          "field \"%s\": %s cannot be nan", path, prop);
  }
  if (is_min) {
    f->min_v = v;
    if (f->type == PK_FIELD_INTEGER)
      f->min.i = i;
    else
      f->min.f = x;
  } else {
    f->max_v = v;
    if (f->type == PK_FIELD_INTEGER)
      f->max.i = i;
    else
      f->max.f = x;
  }
  return PK_OK;
}

/* Fills f->choices; with cbuf (a check: the field is not kept), up to
 * CHECK_CHOICES of them go to cbuf and lbuf instead of the allocator. */
static pk_status parse_choices(const pk__allocator *a, pk_field *f,
                               const pk_value *v, const char *path,
                               const char **cbuf, uint32_t *lbuf,
                               pk_error *err)
{
  size_t n = pk_array_count(v);
  if (pk_value_kind(v) != PK_KIND_ARRAY)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": choices must be an array of strings, "
                        "found %s",
                        path, pk__kind_article(pk_value_kind(v)));
  if (n == 0)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": choices is empty: list the allowed "
                        "values",
                        path);
  if (n > UINT32_MAX)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": too many choices", path);
  f->nchoices = n; /* before allocating: the size schema_free() frees */
  if (cbuf && n <= CHECK_CHOICES) {
    f->choices = cbuf;
    f->choice_len = lbuf;
  } else {
    f->choices = pk__alloc(a, n * sizeof *f->choices);
    f->choice_len = pk__alloc(a, n * sizeof *f->choice_len);
    if (!f->choices || !f->choice_len)
      return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    const pk_value *item = pk_array_at(v, i);
    size_t len;
    if (pk_value_kind(item) != PK_KIND_STRING)
      return schema_error(err, pk_value_get_pos(item),
                          "field \"%s\": choices must be strings, found %s",
                          path, pk__kind_article(pk_value_kind(item)));
    pk_value_get_string(item, &f->choices[i], &len, NULL);
    if (len > UINT32_MAX)
      return schema_error(err, pk_value_get_pos(item),
                          "field \"%s\": choice too long", path);
    f->choice_len[i] = (uint32_t)len;
    for (size_t j = 0; j < i; j++)
      if (f->choice_len[j] == len && !memcmp(f->choices[j], f->choices[i], len))
        return schema_error(err, pk_value_get_pos(item),
                            "field \"%s\": choice \"%s\" is listed twice",
                            path, f->choices[i]);
  }
  return PK_OK;
}

/* Array items are scalars: the type_names up to "datetime". */
static pk_status parse_items(pk_field *f, const pk_value *v, const char *path,
                             pk_error *err)
{
  const char *t;
  if (pk_value_kind(v) != PK_KIND_STRING)
    return schema_error(err, pk_value_get_pos(v),
                        "field \"%s\": items must name the item type (one of "
                        "string, integer, float, boolean, datetime), found %s",
                        path, pk__kind_article(pk_value_kind(v)));
  pk_value_get_string(v, &t, NULL, NULL);
  pk_field_type ty = type_from_name(t);
  if (ty && ty <= PK_FIELD_DATETIME) {
    f->items = ty;
    return PK_OK;
  }
  const char *near = pk__closest(t, type_names, PK_FIELD_DATETIME);
  return schema_error(err, pk_value_get_pos(v),
                      "field \"%s\": unknown item type \"%s\"%s%s%s (items "
                      "are one of string, integer, float, boolean, datetime)",
                      path, t, near ? " (did you mean \"" : "",
                      near ? near : "", near ? "\"?)" : "");
}

static pk_status parse_schema(const pk__allocator *a, const pk_value *table,
                              const char *prefix, pk_schema **out,
                              pk_error *err);

/* Parses the field declared by decl into f.  With cbuf, a check: nested
 * schemas are checked, not kept, and choices may live in cbuf/lbuf. */
static pk_status field_props(const pk__allocator *a, pk_field *f,
                             const pk_value *decl, const char *path,
                             const char **cbuf, uint32_t *lbuf, pk_error *err)
{
  /* the properties written (1 << prop), and the key indexes the
   * messages below point at */
  unsigned seen = 0;
  size_t at_required = 0, at_optional = 0, at_max = 0;
  bool required = false, optional = false;
  pk_status st;

  if (pk_value_kind(decl) != PK_KIND_TABLE)
    return schema_error(err, pk_value_get_pos(decl),
                        "field \"%s\" must be a table such as { type = "
                        "\"string\" }, found %s",
                        path, pk__kind_article(pk_value_kind(decl)));
  /* The properties read a batch at a time (pk__items); type first, as
   * the others depend on it. */
  size_t nprops = pk_table_count(decl);
  pk__items props;
  const pk__item *ti = NULL; /* (in the batch read last: used at once) */
  pk__items_init(&props, decl);
  for (size_t k = 0; k < nprops && !ti; k++) {
    const pk__item *it = pk__items_at(&props, k);
    if (pk__key_is(it->key, it->key_len, "type"))
      ti = it;
  }
  f->type = parse_type(ti, f, path, err);
  if (!f->type)
    return PK_ECONFIG;
  f->doc = "";
  for (size_t k = 0; k < nprops; k++) {
    const pk__item *it = pk__items_at(&props, k);
    size_t len = it->key_len; /* a key may hold a NUL byte: "doc\u0000x"
                                 is not doc */
    const char *key = it->key;
    const pk_value *v = it->v;
    enum prop p;
    for (p = 0; p < NPROPS; p++)
      if (prop_names[p][0] == key[0] && pk__key_is(key, len, prop_names[p]))
        break;
    /* positions are computed only for a message */
#define KPOS pk_table_key_pos_at(decl, k)
    if (p == NPROPS && strlen(key) != len)
      return schema_error(err, KPOS,
                          "unknown property \"%s\\u0000...\" of field "
                          "\"%s\": property names hold no NUL byte",
                          key, path);
    if (p == NPROPS) {
      const char *near = pk__closest(key, prop_names, NPROPS);
      char list[200];
      pk__join(list, sizeof list, prop_names, NPROPS);
      if (near)
        return schema_error(err, KPOS,
                            "unknown property \"%s\" of field \"%s\" (did you "
                            "mean \"%s\"?)",
                            key, path, near);
      return schema_error(err, KPOS,
                          "unknown property \"%s\" of field \"%s\" (known "
                          "properties: %s)",
                          key, path, list);
    }
    seen |= 1u << p;
    st = PK_OK;
    if (!prop_applies(p, f->type))
      return schema_error(err, KPOS, "field \"%s\" is %s: \"%s\" %s", path,
                          pk__type_article(f->type), key, prop_rule(p));
    switch (p) {
    case P_TYPE:
      break; /* read first, above */
    case P_REQUIRED:
      at_required = k;
      st = parse_bool_prop(v, path, key, &required, err);
      break;
    case P_OPTIONAL:
      at_optional = k;
      st = parse_bool_prop(v, path, key, &optional, err);
      break;
    case P_FORMAT:
      st = parse_bool_prop(v, path, key, &f->format, err);
      break;
    case P_DOC:
      if (it->kind != PK_KIND_STRING)
        return schema_error(err, pk_value_get_pos(v),
                            "field \"%s\": doc must be a string, found %s",
                            path, pk__kind_article(pk_value_kind(v)));
      f->doc = it->u.s;
      st = PK_OK;
      break;
    case P_DEFAULT:
      f->dflt_v = v; /* decoded below, once every property is known */
      st = PK_OK;
      break;
    case P_MIN:
    case P_MAX:
      at_max = p == P_MAX ? k : at_max;
      st = parse_bound(f, v, path, key, p == P_MIN, err);
      break;
    case P_CHOICES:
      st = parse_choices(a, f, v, path, cbuf, lbuf, err);
      break;
    case P_ITEMS:
      st = parse_items(f, v, path, err);
      break;
    case P_FIELDS:
      if (pk_value_kind(v) != PK_KIND_TABLE)
        return schema_error(err, pk_value_get_pos(v),
                            "field \"%s\": fields must be a table of field "
                            "declarations, found %s",
                            path, pk__kind_article(pk_value_kind(v)));
      st = parse_schema(a, v, path, cbuf ? NULL : &f->fields, err);
      break;
    default:
      st = PK_OK;
      break;
    }
    if (st != PK_OK)
      return st;
#undef KPOS
  }

  if (f->type == PK_FIELD_ENUM && !f->nchoices)
    return schema_error(err, field_pos(f),
                        "enum field \"%s\" needs choices = [\"...\", ...]",
                        path);
  if (f->type == PK_FIELD_ARRAY && !f->items)
    return schema_error(err, field_pos(f),
                        "array field \"%s\" needs items = \"TYPE\" (string, "
                        "integer, float, boolean or datetime)",
                        path);
  if (f->type == PK_FIELD_TABLE && !(seen & (1u << P_FIELDS)))
    return schema_error(err, field_pos(f),
                        "table field \"%s\" needs fields = { NAME = { type = "
                        "... }, ... }",
                        path);
  if (f->min_v && f->max_v &&
      (f->type == PK_FIELD_INTEGER ? f->min.i > f->max.i
                                   : f->min.f > f->max.f)) {
    char lo[40], hi[40];
    if (f->type == PK_FIELD_INTEGER) {
      snprintf(lo, sizeof lo, "%" PRId64, f->min.i);
      snprintf(hi, sizeof hi, "%" PRId64, f->max.i);
    } else {
      pk__fmt_double(lo, sizeof lo, f->min.f);
      pk__fmt_double(hi, sizeof hi, f->max.f);
    }
    return schema_error(err, pk_table_key_pos_at(decl, at_max),
                        "field \"%s\": min %s is above max %s", path, lo, hi);
  }
  if (required && optional)
    return schema_error(err, pk_table_key_pos_at(decl, at_optional),
                        "field \"%s\" cannot be both required and optional",
                        path);
  if (f->dflt_v && required)
    return schema_error(err, pk_table_key_pos_at(decl, at_required),
                        "field \"%s\" has a default, so it is never missing: "
                        "drop required = true",
                        path);
  if (f->dflt_v && optional)
    return schema_error(err, pk_table_key_pos_at(decl, at_optional),
                        "field \"%s\" has a default, so it is never unset: "
                        "drop optional = true",
                        path);
  /* required = false means optional; with neither, a field without a
   * default is required (a table field is then decoded from {}). */
  f->optional =
      optional || ((seen & (1u << P_REQUIRED)) && !required && !f->dflt_v);
  f->required = !f->optional && !f->dflt_v &&
                (f->type != PK_FIELD_TABLE || required);

  return f->dflt_v ? pk__decode_default(a, f, err) : PK_OK;
}

/* field_props(); a check (check true) keeps nothing: its choices are
 * released here. */
static pk_status parse_field(const pk__allocator *a, pk_field *f,
                             const pk_value *decl, const char *path,
                             bool check, pk_error *err)
{
  const char *cbuf[CHECK_CHOICES];
  uint32_t lbuf[CHECK_CHOICES];
  pk_status st = field_props(a, f, decl, path, check ? cbuf : NULL, lbuf,
                             err);
  if (check && f->nchoices && f->choices != cbuf) {
    pk__free(a, f->choices, f->nchoices * sizeof *f->choices);
    pk__free(a, f->choice_len, f->nchoices * sizeof *f->choice_len);
  }
  return st;
}

static int cmp_names(const pk_schema *s, uint32_t x, uint32_t y)
{
  const pk_field *a = &s->fields[x], *b = &s->fields[y];
  size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
  int c = memcmp(a->name, b->name, n);
  return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

/* "prefix.name" (or "name") into buf, cut to fit like snprintf. */
static void field_path(char *buf, size_t n, const char *prefix,
                       const char *name, size_t name_len)
{
  size_t lp = prefix ? strlen(prefix) : 0, used = 0;
  if (lp >= n)
    lp = n - 1;
  memcpy(buf, prefix ? prefix : "", lp);
  used = lp;
  if (prefix && used + 1 < n)
    buf[used++] = '.';
  if (name_len > n - 1 - used)
    name_len = n - 1 - used;
  memcpy(buf + used, name, name_len);
  buf[used + name_len] = '\0';
}

/* Names f (zeroed) after entry i of a schema table (it, as
 * pk__items_at() reads it) and parses the field declared there:
 * parse_field() on the entry, for the builder and the check alike. */
static pk_status table_field(const pk__allocator *a, const pk_value *table,
                             size_t i, const pk__item *it, const char *prefix,
                             pk_field *f, bool check, pk_error *err)
{
  char path[300];
  f->name = it->key;
  f->name_len = it->key_len;
  f->in = table;
  f->in_idx = i;
  if (!check) /* a check keeps no field: its position is for a message */
    f->pos = field_pos(f);
  if (!field_name_valid(f->name, f->name_len))
    return schema_error(err, field_pos(f),
                        "invalid field name \"%s\": use 1 to %d letters, "
                        "digits, '-' or '_'",
                        f->name, FIELD_NAME_MAX);
  field_path(path, sizeof path, prefix, f->name, f->name_len);
  return parse_field(a, f, it->v, path, check, err);
}

/* Checks the n fields of a schema table without keeping them: no schema
 * is built and nothing is allocated (unless an enum lists more than
 * CHECK_CHOICES choices). */
static pk_status check_fields(const pk__allocator *a, const pk_value *table,
                              size_t n, const char *prefix, pk_error *err)
{
  pk__items items;
  pk__items_init(&items, table);
  for (size_t i = 0; i < n; i++) {
    pk_field f;
    memset(&f, 0, sizeof f);
    pk_status st = table_field(a, table, i, pk__items_at(&items, i), prefix, &f,
                               true, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

/* Parses a schema table into *out; out NULL: checks it only. */
static pk_status parse_schema(const pk__allocator *a, const pk_value *table,
                              const char *prefix, pk_schema **out,
                              pk_error *err)
{
  size_t n = pk_table_count(table);
  pk_schema *s;
  pk_status st = PK_OK;

  if (out)
    *out = NULL;
  if (pk_value_kind(table) != PK_KIND_TABLE)
    return schema_error(err, pk_value_get_pos(table),
                        "a schema must be a table of fields, found %s",
                        pk__kind_article(pk_value_kind(table)));
  if (!out)
    return check_fields(a, table, n, prefix, err);
  s = pk__alloc_zero(a, sizeof *s);
  if (!s)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  s->a = *a;
  s->pos = pk_value_get_pos(table);
  if (n) {
    s->cap = n;
    s->fields = pk__alloc_zero(a, n * sizeof *s->fields);
    s->names = pk__alloc(a, n * sizeof *s->names);
    s->sorted = pk__alloc(a, n * sizeof *s->sorted);
    if (!s->fields || !s->names || !s->sorted) {
      st = pk__fail(err, PK_ENOMEM, "out of memory");
      goto fail;
    }
  }
  pk__items items;
  pk__items_init(&items, table);
  for (size_t i = 0; i < n; i++) {
    pk_field *f = &s->fields[s->nfields];
    s->nfields++; /* counted at once so that a failure frees it */
    if ((st = table_field(a, table, i, pk__items_at(&items, i), prefix, f,
                          false, err)) != PK_OK)
      goto fail;
    s->names[i] = f->name;
    s->sorted[i] = (uint32_t)i;
  }
  /* The name index; names are unique (TOML keys). */
  if (n) {
    uint32_t cap = 4;
    while (cap < 2 * n)
      cap *= 2;
    s->slots = pk__alloc_zero(a, cap * sizeof *s->slots);
    if (!s->slots) {
      st = pk__fail(err, PK_ENOMEM, "out of memory");
      goto fail;
    }
    s->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
      uint32_t h = name_hash(s->fields[i].name, s->fields[i].name_len);
      while (s->slots[h & s->mask])
        h++;
      s->slots[h & s->mask] = (uint32_t)i + 1;
    }
  }
  /* Insertion sort: schemas are small and this runs once per schema. */
  for (size_t i = 1; i < n; i++) {
    uint32_t x = s->sorted[i];
    size_t j = i;
    while (j > 0 && cmp_names(s, s->sorted[j - 1], x) > 0) {
      s->sorted[j] = s->sorted[j - 1];
      j--;
    }
    s->sorted[j] = x;
  }
  *out = s;
  return PK_OK;
fail:
  schema_free(s);
  return st;
}

static void schema_free(pk_schema *s)
{
  if (!s)
    return;
  pk__allocator a = s->a;
  for (size_t i = 0; i < s->nfields; i++) {
    pk_field *f = &s->fields[i];
    pk__free(&a, f->choices, f->nchoices * sizeof *f->choices);
    pk__free(&a, f->choice_len, f->nchoices * sizeof *f->choice_len);
    schema_free(f->fields);
  }
  pk__free(&a, s->fields, s->cap * sizeof *s->fields);
  pk__free(&a, s->names, s->cap * sizeof *s->names);
  pk__free(&a, s->sorted, s->cap * sizeof *s->sorted);
  pk__free(&a, s->slots, s->slots ? (s->mask + 1) * sizeof *s->slots : 0);
  pk__free(&a, s, sizeof *s);
}

/* ---- schemas: public API ---- */

pk_status pk_schema_new(const pk_value *table, const pk_schema_options *opts,
                        pk_schema **out, pk_error *err)
{
  pk_schema_options o = {sizeof o, NULL, NULL};
  pk__allocator a;
  if (out)
    *out = NULL;
  if (!out || !table)
    return pk__fail(err, PK_EMISUSE, "pk_schema_new: NULL %s",
                    out ? "table" : "out");
  if (opts) {
    /* Later versions append fields: accept any size from this one up. */
    if (opts->size < sizeof o)
      return pk__fail(err, PK_EMISUSE, "pk_schema_options.size must be set "
                                       "to sizeof(pk_schema_options)");
    memcpy(&o, opts, sizeof o);
  }
  a.fn = o.alloc;
  a.ud = o.alloc_ud;
  return parse_schema(&a, table, NULL, out, err);
}

void pk_schema_free(pk_schema *schema) { schema_free(schema); }

pk_status pk__schema_check(const pk__allocator *a, const pk_value *table,
                           pk_error *err)
{
  pk__allocator libc = {NULL, NULL};
  /* The check keeps nothing: a rare allocation (a long enum) takes the
   * memory from an arena's parent, since freeing into a bump arena (the
   * manifests') gives nothing back. */
  if (a && a->fn == pk__arena_fn)
    a = &((const pk__arena *)a->ud)->parent;
  return parse_schema(a ? a : &libc, table, NULL, NULL, err);
}

size_t pk_schema_field_count(const pk_schema *schema)
{
  return schema ? schema->nfields : 0;
}

const pk_field *pk_schema_field_at(const pk_schema *schema, size_t i)
{
  return schema && i < schema->nfields ? &schema->fields[i] : NULL;
}

const pk_field *pk_schema_find_field(const pk_schema *schema, const char *name)
{
  return schema && name ? find_field(schema, name, strlen(name)) : NULL;
}

pk_pos pk_schema_get_pos(const pk_schema *schema)
{
  pk_pos none = {NULL, 0, 0};
  return schema ? schema->pos : none;
}

const char *pk_field_get_name(const pk_field *f) { return f ? f->name : ""; }
pk_field_type pk_field_get_type(const pk_field *f)
{
  return f ? f->type : (pk_field_type)0;
}
pk_field_type pk_field_get_items(const pk_field *f)
{
  return f ? f->items : (pk_field_type)0;
}
const char *pk_field_get_doc(const pk_field *f) { return f ? f->doc : ""; }
const pk_value *pk_field_get_default(const pk_field *f)
{
  return f ? f->dflt_v : NULL;
}
bool pk_field_is_required(const pk_field *f) { return f && f->required; }
bool pk_field_is_optional(const pk_field *f) { return f && f->optional; }
bool pk_field_is_format(const pk_field *f) { return f && f->format; }
const pk_value *pk_field_get_min(const pk_field *f)
{
  return f ? f->min_v : NULL;
}
const pk_value *pk_field_get_max(const pk_field *f)
{
  return f ? f->max_v : NULL;
}
size_t pk_field_choice_count(const pk_field *f) { return f ? f->nchoices : 0; }
const char *pk_field_choice_at(const pk_field *f, size_t i)
{
  return f && i < f->nchoices ? f->choices[i] : NULL;
}
const pk_schema *pk_field_get_fields(const pk_field *f)
{
  return f ? f->fields : NULL;
}
pk_pos pk_field_get_pos(const pk_field *f)
{
  pk_pos none = {NULL, 0, 0};
  return f ? f->pos : none;
}
