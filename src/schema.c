/* schema.c -- field schemas: parse and check them, decode config tables by
 * them into immutable configs; getters, struct binding, coalesce, JSON.
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- types ---- */

/* A decoded value: one per schema field in a config, and the decoded
 * default of a field.  24 to 40 bytes; a config is one block of these. */
typedef struct cval {
  const pk_value *v; /* as written (or the default's value); NULL: none */
  union {
    const char *s; /* string, enum: NUL-terminated */
    int64_t i;
    double f;
    bool b;
    pk_config *t;  /* table: the nested config (owned) */
  } u;
  uint32_t len;    /* string, enum: length in bytes */
  uint32_t cap;    /* string: bytes owned by the config (formatted), or 0 */
  uint32_t idx;    /* enum: index into the choices */
  uint8_t origin;  /* pk_origin */
} cval;

struct pk_field {
  const char *name; /* borrowed from the schema's document */
  size_t name_len;
  pk_field_type type;
  pk_field_type items; /* array: item type */
  pk_pos pos;          /* of the name */
  const char *doc;     /* "" when none */
  const pk_value *dflt_v, *min_v, *max_v; /* as written, or NULL */
  cval dflt;                              /* decoded default when dflt_v */
  bool required, optional, format;
  union {
    int64_t i;
    double f;
  } min, max; /* valid when min_v / max_v */
  const char **choices; /* enum: borrowed strings */
  uint32_t *choice_len;
  size_t nchoices;
  pk_schema *fields; /* table: the nested schema (owned) */
};

struct pk_schema {
  pk__allocator a;
  pk_pos pos;          /* of the schema's table */
  size_t nfields;
  size_t cap;          /* entries allocated in fields, names, sorted */
  pk_field *fields;    /* in the order written */
  const char **names;  /* the fields' names, for suggestions */
  uint32_t *sorted;    /* field indexes in byte order of names */
  uint32_t *slots;     /* name index: field index + 1, 0 when empty */
  uint32_t mask;       /* slots - 1 (a power of two, at least 2x fields) */
};

struct pk_config {
  const pk_schema *schema;
  const pk__allocator *a; /* its memory (and its strings' and nested
                             configs'); NULL: an arena's, freed with it */
  const pk_value *table; /* NULL when decoded from NULL */
  cval vals[];           /* schema->nfields, in the schema's order */
};

/* Problems of one decode: every problem goes to diag (when there is one),
 * the first to err.  path is the dotted prefix of nested fields. */
typedef struct dctx {
  const pk__allocator *a; /* the configs' memory */
  bool arena;             /* a is an arena: configs are never freed alone */
  const pk_ctx *ctx;
  const char *const *skip;
  size_t nskip;
  pk_diag *diag;
  pk_error *err;
  size_t problems;
  pk_status first;
  bool nomem;
  const pk_value *at; /* the innermost table written (missing fields) */
  char path[256];     /* "limits.", "limits.io." ... */
} dctx;

struct pk_diag {
  pk__allocator a;
  pk_error *items;
  size_t n, cap, max, dropped;
};

static const char *const type_names[] = {"string",  "integer", "float",
                                         "boolean", "datetime", "enum",
                                         "array",   "table"};
#define NTYPES (sizeof type_names / sizeof type_names[0])

static const char *const type_articles[] = {
    "a string", "an integer", "a float", "a boolean",
    "a date or time", "an enum", "an array", "a table"};

enum prop { P_TYPE, P_REQUIRED, P_DEFAULT, P_OPTIONAL, P_DOC, P_MIN, P_MAX,
            P_CHOICES, P_ITEMS, P_FIELDS, P_FORMAT, NPROPS };
static const char *const prop_names[NPROPS] = {
    "type", "required", "default", "optional", "doc",   "min",
    "max",  "choices",  "items",   "fields",   "format"};

#define FIELD_NAME_MAX 127
#define CHECK_CHOICES 64 /* choices a schema check holds without allocating */

static void schema_free(pk_schema *s);
static pk_status decode_value(dctx *d, const pk_field *f, const pk__item *it,
                              cval *cv);
static pk_status decode_table(dctx *d, const pk_schema *s,
                              const pk_value *table, const pk__item *items,
                              pk_config **out);

/* ---- small helpers ---- */

const char *pk_field_type_name(pk_field_type type)
{
  if (type < PK_FIELD_STRING || type > PK_FIELD_TABLE)
    return "unknown";
  return type_names[type - 1];
}

static const char *type_article(pk_field_type type)
{
  if (type < PK_FIELD_STRING || type > PK_FIELD_TABLE)
    return "an unknown type";
  return type_articles[type - 1];
}

static bool is_date_kind(pk_kind k)
{
  return k >= PK_KIND_DATETIME && k <= PK_KIND_TIME_LOCAL;
}

/* Does a value of kind k have the shape of field type t?  The kinds each
 * field type takes, as bits 1 << pk_kind (16 entries: any t & 15 is in). */
#define KIND_BIT(k) (1u << (k))
static const uint16_t kinds_of_type[16] = {
    [PK_FIELD_STRING] = KIND_BIT(PK_KIND_STRING),
    [PK_FIELD_ENUM] = KIND_BIT(PK_KIND_STRING),
    [PK_FIELD_INTEGER] = KIND_BIT(PK_KIND_INTEGER),
    [PK_FIELD_FLOAT] = KIND_BIT(PK_KIND_FLOAT),
    [PK_FIELD_BOOL] = KIND_BIT(PK_KIND_BOOL),
    [PK_FIELD_DATETIME] =
        KIND_BIT(PK_KIND_DATETIME) | KIND_BIT(PK_KIND_DATETIME_LOCAL) |
        KIND_BIT(PK_KIND_DATE_LOCAL) | KIND_BIT(PK_KIND_TIME_LOCAL),
    [PK_FIELD_ARRAY] = KIND_BIT(PK_KIND_ARRAY),
    [PK_FIELD_TABLE] = KIND_BIT(PK_KIND_TABLE)};

static inline bool kind_fits(pk_field_type t, pk_kind k)
{
  return (kinds_of_type[(unsigned)t & 15u] >> ((unsigned)k & 15u)) & 1u;
}

/* The shortest text that reads back as x ("%.17g" at worst), with a ".0"
 * when it would otherwise read as an integer (1.0, not 1). */
static void fmt_double(char *buf, size_t n, double x)
{
  const char *radix = localeconv()->decimal_point;
  char *dot;
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, n, "%.*g", p, x);
    if (strtod(buf, NULL) == x || !isfinite(x))
      break;
  }
  /* printf and strtod follow the locale; the text we write does not. */
  if (radix[0] && radix[0] != '.' && (dot = strchr(buf, radix[0])) != NULL)
    *dot = '.';
  if (isfinite(x) && !strpbrk(buf, ".e") && strlen(buf) + 3 <= n)
    strcat(buf, ".0");
}

/* The hash of the name index, in the manner of wyhash: short names are
 * read as two (overlapping) words, with no byte loop; every key of every
 * decoded table goes through it. */
static uint64_t read64(const char *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static uint64_t read32(const char *p)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint32_t name_hash(const char *s, size_t len)
{
  const uint64_t k = 0xff51afd7ed558ccdull;
  uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ull, a, b;
  if (len >= 8) {
    const char *p = s;
    size_t n = len;
    for (; n > 16; p += 8, n -= 8) {
      h = (h ^ read64(p)) * k;
      h ^= h >> 32;
    }
    a = read64(p);
    b = read64(s + len - 8);
  } else if (len >= 4) {
    a = read32(s);
    b = read32(s + len - 4);
  } else if (len) {
    a = (uint64_t)(unsigned char)s[0] << 16 |
        (uint64_t)(unsigned char)s[len >> 1] << 8 | (unsigned char)s[len - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  h = (h ^ a) * k;
  h ^= h >> 32;
  h = (h ^ b) * 0xc4ceb9fe1a85ec53ull;
  return (uint32_t)(h ^ (h >> 29));
}

/* Equal names of len bytes; field names are short, a call to memcmp
 * costs more than the comparison. */
static inline bool name_eq(const char *a, const char *b, size_t len)
{
  if (len >= 8) {
    if (read64(a) != read64(b) || read64(a + len - 8) != read64(b + len - 8))
      return false;
    return len <= 16 || !memcmp(a + 8, b + 8, len - 16);
  }
  if (len >= 4)
    return read32(a) == read32(b) && read32(a + len - 4) == read32(b + len - 4);
  for (size_t i = 0; i < len; i++)
    if (a[i] != b[i])
      return false;
  return true;
}

/* The index of field name (len bytes) in s, or s->nfields when absent. */
static inline size_t find_index(const pk_schema *s, const char *name,
                                size_t len)
{
  if (!s->slots)
    return s->nfields;
  for (uint32_t i = name_hash(name, len) & s->mask;; i = (i + 1) & s->mask) {
    uint32_t slot = s->slots[i];
    const pk_field *f;
    if (!slot)
      return s->nfields;
    f = &s->fields[slot - 1];
    if (f->name_len == len && name_eq(f->name, name, len))
      return slot - 1;
  }
}

static inline const pk_field *find_field(const pk_schema *s,
                                         const char *name, size_t len)
{
  size_t i = find_index(s, name, len);
  return i < s->nfields ? &s->fields[i] : NULL;
}

/* ---- diagnostics ---- */

pk_status pk_diag_new(const pk_diag_options *opts, pk_diag **out,
                      pk_error *err)
{
  pk_diag_options o = {sizeof o, NULL, NULL, 0};
  pk__allocator a;
  if (out)
    *out = NULL;
  if (!out)
    return pk__fail(err, PK_EMISUSE, "pk_diag_new: NULL out");
  if (opts) {
    if (opts->size < sizeof o)
      return pk__fail(err, PK_EMISUSE, "pk_diag_options.size must be set to "
                                       "sizeof(pk_diag_options)");
    memcpy(&o, opts, sizeof o);
  }
  a.fn = o.alloc;
  a.ud = o.alloc_ud;
  *out = pk__alloc_zero(&a, sizeof **out);
  if (!*out)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  (*out)->a = a;
  (*out)->max = o.max;
  return PK_OK;
}

void pk_diag_free(pk_diag *diag)
{
  if (!diag)
    return;
  pk__allocator a = diag->a;
  pk__free(&a, diag->items, diag->cap * sizeof *diag->items);
  pk__free(&a, diag, sizeof *diag);
}

size_t pk_diag_count(const pk_diag *diag) { return diag ? diag->n : 0; }

const pk_error *pk_diag_at(const pk_diag *diag, size_t i)
{
  return diag && i < diag->n ? &diag->items[i] : NULL;
}

size_t pk_diag_dropped(const pk_diag *diag) { return diag ? diag->dropped : 0; }

void pk_diag_clear(pk_diag *diag)
{
  if (diag)
    diag->n = diag->dropped = 0;
}

pk_status pk_diag_add(pk_diag *diag, const pk_error *problem, pk_error *err)
{
  if (!diag || !problem)
    return pk__fail(err, PK_EMISUSE, "pk_diag_add: NULL %s",
                    diag ? "problem" : "diag");
  if (diag->max && diag->n >= diag->max) {
    diag->dropped++;
    return PK_OK;
  }
  if (PK__VEC_PUSH(&diag->a, diag->items, diag->n, diag->cap, *problem) !=
      PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

/* Records one problem of a decode.  Returns its code. */
static pk_status report(dctx *d, pk_status code, pk_pos pos, const char *fmt,
                        ...) PK__PRINTF(4, 5);
static pk_status report(dctx *d, pk_status code, pk_pos pos, const char *fmt,
                        ...)
{
  pk_error e;
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(&e, code, pos, fmt, ap);
  va_end(ap);
  if (d->problems++ == 0) {
    d->first = code;
    pk__error_copy(d->err, &e);
  }
  if (d->diag && pk_diag_add(d->diag, &e, NULL) != PK_OK)
    d->nomem = true;
  return code;
}

/* True when decoding should stop: out of memory, or a problem without a
 * diag to collect the others. */
static bool must_stop(const dctx *d)
{
  return d->nomem || (d->problems && !d->diag);
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
  for (size_t i = 0; i < NTYPES; i++)
    if (!strcmp(s, type_names[i]))
      return (pk_field_type)(i + 1);
  return (pk_field_type)0;
}

/* The type of field decl (its "type" property), or 0 with err set. */
static pk_field_type parse_type(const pk_value *decl, const char *path,
                                pk_pos field_pos, pk_error *err)
{
  const pk_value *tv = pk_table_get(decl, "type");
  const char *t, *near;
  char list[160];
  if (tv && pk_value_kind(tv) == PK_KIND_STRING) {
    pk_value_get_string(tv, &t, NULL, NULL);
    pk_field_type ty = type_from_name(t);
    if (ty)
      return ty;
  }
  pk__join(list, sizeof list, type_names, NTYPES); /* for the messages */
  if (!tv) {
    schema_error(err, field_pos,
                 "field \"%s\" has no type: add type = \"...\" (one of %s)",
                 path, list);
    return (pk_field_type)0;
  }
  if (pk_value_kind(tv) != PK_KIND_STRING) {
    schema_error(err, pk_value_pos(tv),
                 "field \"%s\": type must be a string (one of %s), found %s",
                 path, list, pk__kind_article(pk_value_kind(tv)));
    return (pk_field_type)0;
  }
  near = pk__closest(t, type_names, NTYPES);
  if (near)
    schema_error(err, pk_value_pos(tv),
                 "unknown type \"%s\" for field \"%s\" (did you mean \"%s\"? "
                 "valid types: %s)",
                 t, path, near, list);
  else
    schema_error(err, pk_value_pos(tv),
                 "unknown type \"%s\" for field \"%s\" (valid types: %s)", t,
                 path, list);
  return (pk_field_type)0;
}

static pk_status parse_bool_prop(const pk_value *v, const char *path,
                                 const char *prop, bool *out, pk_error *err)
{
  if (pk_value_kind(v) != PK_KIND_BOOL)
    return schema_error(err, pk_value_pos(v),
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
    return schema_error(err, pk_value_pos(v),
                        "field \"%s\": %s of an integer field must be an "
                        "integer, found %s",
                        path, prop, pk__kind_article(k));
  if (f->type == PK_FIELD_FLOAT && k != PK_KIND_INTEGER && k != PK_KIND_FLOAT)
    return schema_error(err, pk_value_pos(v),
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
      return schema_error(err, pk_value_pos(v),
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
    return schema_error(err, pk_value_pos(v),
                        "field \"%s\": choices must be an array of strings, "
                        "found %s",
                        path, pk__kind_article(pk_value_kind(v)));
  if (n == 0)
    return schema_error(err, pk_value_pos(v),
                        "field \"%s\": choices is empty: list the allowed "
                        "values",
                        path);
  if (n > UINT32_MAX)
    return schema_error(err, pk_value_pos(v), "field \"%s\": too many choices",
                        path);
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
      return schema_error(err, pk_value_pos(item),
                          "field \"%s\": choices must be strings, found %s",
                          path, pk__kind_article(pk_value_kind(item)));
    pk_value_get_string(item, &f->choices[i], &len, NULL);
    if (len > UINT32_MAX)
      return schema_error(err, pk_value_pos(item),
                          "field \"%s\": choice too long", path);
    f->choice_len[i] = (uint32_t)len;
    for (size_t j = 0; j < i; j++)
      if (f->choice_len[j] == len && !memcmp(f->choices[j], f->choices[i], len))
        return schema_error(err, pk_value_pos(item),
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
    return schema_error(err, pk_value_pos(v),
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
  return schema_error(err, pk_value_pos(v),
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
  size_t pidx[NPROPS] = {0}; /* the key index of each property written */
  bool seen[NPROPS] = {false};
  bool required = false, optional = false;
  pk_status st;

  if (pk_value_kind(decl) != PK_KIND_TABLE)
    return schema_error(err, pk_value_pos(decl),
                        "field \"%s\" must be a table such as { type = "
                        "\"string\" }, found %s",
                        path, pk__kind_article(pk_value_kind(decl)));
  f->type = parse_type(decl, path, f->pos, err);
  if (!f->type)
    return PK_ECONFIG;
  f->doc = "";
  for (size_t k = 0; k < pk_table_count(decl); k++) {
    size_t len; /* a key may hold a NUL byte: "doc\u0000x" is not doc */
    const char *key = pk_table_key_at(decl, k, &len);
    const pk_value *v = pk_table_value_at(decl, k);
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
    seen[p] = true;
    pidx[p] = k;
    st = PK_OK;
    if (!prop_applies(p, f->type))
      return schema_error(err, KPOS, "field \"%s\" is %s: \"%s\" %s", path,
                          type_article(f->type), key, prop_rule(p));
    switch (p) {
    case P_TYPE:
      break; /* read first, above */
    case P_REQUIRED:
      st = parse_bool_prop(v, path, key, &required, err);
      break;
    case P_OPTIONAL:
      st = parse_bool_prop(v, path, key, &optional, err);
      break;
    case P_FORMAT:
      st = parse_bool_prop(v, path, key, &f->format, err);
      break;
    case P_DOC:
      if (pk_value_kind(v) != PK_KIND_STRING)
        return schema_error(err, pk_value_pos(v),
                            "field \"%s\": doc must be a string, found %s",
                            path, pk__kind_article(pk_value_kind(v)));
      pk_value_get_string(v, &f->doc, NULL, NULL);
      st = PK_OK;
      break;
    case P_DEFAULT:
      f->dflt_v = v; /* decoded below, once every property is known */
      st = PK_OK;
      break;
    case P_MIN:
    case P_MAX:
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
        return schema_error(err, pk_value_pos(v),
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
    return schema_error(err, f->pos,
                        "enum field \"%s\" needs choices = [\"...\", ...]",
                        path);
  if (f->type == PK_FIELD_ARRAY && !f->items)
    return schema_error(err, f->pos,
                        "array field \"%s\" needs items = \"TYPE\" (string, "
                        "integer, float, boolean or datetime)",
                        path);
  if (f->type == PK_FIELD_TABLE && !seen[P_FIELDS])
    return schema_error(err, f->pos,
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
      fmt_double(lo, sizeof lo, f->min.f);
      fmt_double(hi, sizeof hi, f->max.f);
    }
    return schema_error(err, pk_table_key_pos_at(decl, pidx[P_MAX]),
                        "field \"%s\": min %s is above max %s", path, lo, hi);
  }
  if (seen[P_REQUIRED] && seen[P_OPTIONAL] && required && optional)
    return schema_error(err, pk_table_key_pos_at(decl, pidx[P_OPTIONAL]),
                        "field \"%s\" cannot be both required and optional",
                        path);
  if (f->dflt_v && required)
    return schema_error(err, pk_table_key_pos_at(decl, pidx[P_REQUIRED]),
                        "field \"%s\" has a default, so it is never missing: "
                        "drop required = true",
                        path);
  if (f->dflt_v && optional)
    return schema_error(err, pk_table_key_pos_at(decl, pidx[P_OPTIONAL]),
                        "field \"%s\" has a default, so it is never unset: "
                        "drop optional = true",
                        path);
  /* required = false means optional; with neither, a field without a
   * default is required (a table field is then decoded from {}). */
  f->optional = optional || (seen[P_REQUIRED] && !required && !f->dflt_v);
  f->required = !f->optional && !f->dflt_v &&
                (f->type != PK_FIELD_TABLE || required);

  if (f->dflt_v) {
    dctx d;
    pk_error e;
    memset(&d, 0, offsetof(dctx, path)); /* path: only its first byte */
    d.path[0] = '\0';
    d.a = a;
    d.err = &e;
    pk__item it;
    pk__value_item(f->dflt_v, &it);
    st = decode_value(&d, f, &it, &f->dflt);
    if (st == PK_ENOMEM || d.nomem)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    if (d.problems) {
      pk_pos at = {e.source, e.line, e.col};
      return schema_error(err, at, "invalid default: %s", e.message);
    }
    f->dflt.origin = PK_ORIGIN_DEFAULT;
  }
  return PK_OK;
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
  if (check && f->choices != cbuf) {
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

/* Names f (zeroed) after entry i of a schema table and parses the field
 * declared there: parse_field() on the entry, for the builder and the
 * check alike. */
static pk_status table_field(const pk__allocator *a, const pk_value *table,
                             size_t i, const char *prefix, pk_field *f,
                             bool check, pk_error *err)
{
  char path[300];
  f->name = pk_table_key_at(table, i, &f->name_len);
  f->pos = pk_table_key_pos_at(table, i);
  if (!field_name_valid(f->name, f->name_len))
    return schema_error(err, f->pos,
                        "invalid field name \"%s\": use 1 to %d letters, "
                        "digits, '-' or '_'",
                        f->name, FIELD_NAME_MAX);
  field_path(path, sizeof path, prefix, f->name, f->name_len);
  return parse_field(a, f, pk_table_value_at(table, i), path, check, err);
}

/* Checks the fields of a schema table without keeping them: no schema is
 * built and nothing is allocated (unless an enum lists more than
 * CHECK_CHOICES choices). */
static pk_status check_fields(const pk__allocator *a, const pk_value *table,
                              const char *prefix, pk_error *err)
{
  for (size_t i = 0; i < pk_table_count(table); i++) {
    pk_field f;
    memset(&f, 0, sizeof f);
    pk_status st = table_field(a, table, i, prefix, &f, true, err);
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
    return schema_error(err, pk_value_pos(table),
                        "a schema must be a table of fields, found %s",
                        pk__kind_article(pk_value_kind(table)));
  if (!out)
    return check_fields(a, table, prefix, err);
  s = pk__alloc_zero(a, sizeof *s);
  if (!s)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  s->a = *a;
  s->pos = pk_value_pos(table);
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
  for (size_t i = 0; i < n; i++) {
    pk_field *f = &s->fields[s->nfields];
    s->nfields++; /* counted at once so that a failure frees it */
    if ((st = table_field(a, table, i, prefix, f, false, err)) != PK_OK)
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

/* ---- decoding ---- */

/* The position to give pk__format() for string value v: its first byte
 * when the string is on one line (one opening quote assumed), else the
 * string's own position. */
static pk_pos string_text_pos(const pk_value *v, const char *s, size_t len)
{
  pk_pos p = pk_value_pos(v);
  if (p.line > 0 && !memchr(s, '\n', len))
    p.col++;
  return p;
}

/* Formats the string in cv (a format = true field) when it holds a brace. */
static pk_status format_string(dctx *d, const pk_field *f, cval *cv)
{
  pk__sbuf b;
  pk_error e;
  pk_status st;
  if (!memchr(cv->u.s, '{', cv->len) && !memchr(cv->u.s, '}', cv->len))
    return PK_OK;
  pk__sbuf_init(&b, d->a, false);
  st = pk__format(d->ctx, cv->u.s, cv->len,
                  string_text_pos(cv->v, cv->u.s, cv->len), &b, &e);
  if (st == PK_OK && (b.len > UINT32_MAX || b.cap > UINT32_MAX)) {
    pk__sbuf_free(&b);
    st = pk__fail(&e, PK_ENOMEM, "formatted string too long");
  }
  if (st == PK_ENOMEM) {
    pk__sbuf_free(&b);
    d->nomem = true;
    return PK_ENOMEM;
  }
  if (st != PK_OK) {
    pk_pos at = {e.source, e.line, e.col};
    pk__sbuf_free(&b);
    return report(d, st, at, "field \"%s%s\": %s", d->path, f->name,
                  e.message);
  }
  cv->u.s = b.p;
  cv->len = (uint32_t)b.len;
  cv->cap = (uint32_t)b.cap;
  return PK_OK;
}

static pk_status type_problem(dctx *d, const pk_field *f, const pk_value *v,
                              pk_field_type want, const char *suffix)
{
  pk_kind k = pk_value_kind(v);
  const char *hint = "";
  if (want == PK_FIELD_FLOAT && k == PK_KIND_INTEGER)
    hint = " (write it with a decimal point, e.g. 1.0)";
  return report(d, PK_ETYPE, pk_value_pos(v),
                "field \"%s%s%s\": expected %s, found %s%s", d->path, f->name,
                suffix, type_article(want), pk__kind_article(k), hint);
}

static pk_status check_array(dctx *d, const pk_field *f, const pk_value *v)
{
  pk__items r;
  pk__items_init(&r, v);
  size_t n = pk_array_count(v);
  pk_status st = PK_OK;
  for (size_t i = 0; i < n && !must_stop(d); i++) {
    const pk__item *it = pk__items_at(&r, i);
    if (!kind_fits(f->items, (pk_kind)it->kind)) {
      char suffix[32];
      snprintf(suffix, sizeof suffix, "[%zu]", i);
      st = type_problem(d, f, it->v, f->items, suffix);
    }
  }
  return st;
}

/* decode_table() for table field f, with "f." added to d->path. */
static pk_status decode_nested(dctx *d, const pk_field *f,
                               const pk_value *table, pk_config **out)
{
  size_t plen = strlen(d->path);
  pk_status st;
  snprintf(d->path + plen, sizeof d->path - plen, "%s.", f->name);
  st = decode_table(d, f->fields, table, NULL, out);
  d->path[plen] = '\0';
  return st;
}

/* The problems decode_value() reports, out of its way: a decode runs it for
 * every value, and rarely finds one. */
static __attribute__((noinline, cold)) pk_status
enum_problem(dctx *d, const pk_field *f, const cval *cv)
{
  char list[400];
  size_t used = 0;
  const char *near = pk__closest(cv->u.s, f->choices, f->nchoices);
  list[0] = '\0';
  for (size_t i = 0; i < f->nchoices && used < sizeof list; i++) {
    int w = snprintf(list + used, sizeof list - used, "%s\"%s\"",
                     i ? ", " : "", f->choices[i]);
    used += w > 0 ? (size_t)w : 0;
  }
  return report(d, PK_ERANGE, pk_value_pos(cv->v),
                "field \"%s%s\": \"%s\" is not one of %s%s%s%s", d->path,
                f->name, cv->u.s, list, near ? " (did you mean \"" : "",
                near ? near : "", near ? "\"?)" : "");
}

static __attribute__((noinline, cold)) pk_status
range_problem(dctx *d, const pk_field *f, const cval *cv)
{
  char a[40], b[40];
  if (f->type == PK_FIELD_INTEGER) {
    if (f->min_v && cv->u.i < f->min.i)
      return report(d, PK_ERANGE, pk_value_pos(cv->v),
                    "%s%s = %" PRId64 " is below the minimum %" PRId64,
                    d->path, f->name, cv->u.i, f->min.i);
    return report(d, PK_ERANGE, pk_value_pos(cv->v),
                  "%s%s = %" PRId64 " is above the maximum %" PRId64,
                  d->path, f->name, cv->u.i, f->max.i);
  }
  fmt_double(a, sizeof a, cv->u.f);
  if (f->min_v && !(cv->u.f >= f->min.f)) {
    fmt_double(b, sizeof b, f->min.f);
    return report(d, PK_ERANGE, pk_value_pos(cv->v),
                  "%s%s = %s is below the minimum %s", d->path, f->name, a,
                  b);
  }
  fmt_double(b, sizeof b, f->max.f);
  return report(d, PK_ERANGE, pk_value_pos(cv->v),
                "%s%s = %s is above the maximum %s", d->path, f->name, a, b);
}

/* Decodes value it->v (kind and scalar contents read with it) by f. */
static inline pk_status decode_value(dctx *d, const pk_field *f,
                                     const pk__item *it, cval *cv)
{
  cv->v = it->v;
  cv->origin = PK_ORIGIN_TABLE;
  if (!kind_fits(f->type, (pk_kind)it->kind))
    return type_problem(d, f, it->v, f->type, "");
  switch (f->type) {
  case PK_FIELD_STRING:
    cv->u.s = it->u.s;
    cv->len = it->len;
    if (f->format && d->ctx)
      return format_string(d, f, cv);
    return PK_OK;
  case PK_FIELD_ENUM:
    cv->u.s = it->u.s;
    cv->len = it->len;
    for (size_t i = 0; i < f->nchoices; i++)
      if (f->choice_len[i] == it->len &&
          name_eq(f->choices[i], it->u.s, it->len)) {
        cv->idx = (uint32_t)i;
        return PK_OK;
      }
    return enum_problem(d, f, cv);
  case PK_FIELD_INTEGER:
    cv->u.i = it->u.i;
    if ((f->min_v && cv->u.i < f->min.i) || (f->max_v && cv->u.i > f->max.i))
      return range_problem(d, f, cv);
    return PK_OK;
  case PK_FIELD_FLOAT:
    cv->u.f = it->u.f;
    /* Written so that nan is out of any range. */
    if ((f->min_v && !(cv->u.f >= f->min.f)) ||
        (f->max_v && !(cv->u.f <= f->max.f)))
      return range_problem(d, f, cv);
    return PK_OK;
  case PK_FIELD_BOOL:
    cv->u.b = it->u.b;
    return PK_OK;
  case PK_FIELD_DATETIME:
    return PK_OK; /* read from the value by the getter */
  case PK_FIELD_ARRAY:
    return check_array(d, f, it->v);
  case PK_FIELD_TABLE:
    return decode_nested(d, f, it->v, &cv->u.t);
  }
  return PK_OK;
}

static void config_free(pk_config *c)
{
  const pk_schema *s;
  if (!c || !c->a)
    return;
  s = c->schema;
  for (size_t i = 0; i < s->nfields; i++) {
    cval *cv = &c->vals[i];
    if (s->fields[i].type == PK_FIELD_TABLE)
      config_free(cv->u.t);
    else if (cv->cap)
      pk__free(c->a, (char *)cv->u.s, cv->cap);
  }
  pk__free(c->a, c, sizeof *c + s->nfields * sizeof c->vals[0]);
}

/* The closest field name of s, or the list of them, for a message. */
static void suggest_field(const pk_schema *s, const char *key, char *buf,
                          size_t n)
{
  const char *near = pk__closest(key, s->names, s->nfields);
  if (near) {
    snprintf(buf, n, " (did you mean \"%s\"?)", near);
  } else if (s->nfields) {
    char list[400];
    pk__join(list, sizeof list, s->names, s->nfields);
    snprintf(buf, n, " (known fields: %s)", list);
  } else {
    snprintf(buf, n, " (this table takes no fields)");
  }
}

/* Reports key, the i-th of table, which s does not know. */
static __attribute__((noinline, cold)) void
unknown_field(dctx *d, const pk_schema *s, const pk_value *table, size_t i,
              const char *key)
{
  char hint[480];
  suggest_field(s, key, hint, sizeof hint);
  if (d->path[0] != '\0') {
    size_t plen = strlen(d->path);
    report(d, PK_ECONFIG, pk_table_key_pos_at(table, i),
           "unknown field \"%s\" in table \"%.*s\"%s", key,
           (int)(plen - 1), d->path, hint);
  } else {
    report(d, PK_ECONFIG, pk_table_key_pos_at(table, i),
           "unknown field \"%s\"%s", key, hint);
  }
}

static bool skipped(const dctx *d, const char *key, size_t len)
{
  for (size_t i = 0; i < d->nskip; i++)
    if (d->skip[i] && pk__key_is(key, len, d->skip[i]))
      return true;
  return false;
}

/* Decodes table (NULL: an empty table) by s.  items (or NULL): every item
 * of table, read by the caller already.  Returns PK_OK or PK_ENOMEM;
 * problems are counted in d (the config is then incomplete, and freed by
 * the caller). */
static pk_status decode_table(dctx *d, const pk_schema *s,
                              const pk_value *table, const pk__item *items,
                              pk_config **out)
{
  pk__items r;
  size_t nf = s->nfields, nk;
  pk_config *c;
  bool nested = d->path[0] != '\0';
  const pk_value *outer = d->at;

  *out = NULL;
  c = pk__alloc(d->a, sizeof *c + nf * sizeof c->vals[0]);
  if (!c) {
    d->nomem = true;
    return PK_ENOMEM;
  }
  c->schema = s;
  c->a = d->arena ? NULL : d->a;
  c->table = table;
  memset(c->vals, 0, nf * sizeof c->vals[0]);
  *out = c;
  if (table && pk_value_kind(table) != PK_KIND_TABLE) {
    c->table = NULL;
    return report(d, PK_ETYPE, pk_value_pos(table),
                  "expected a table, found %s",
                  pk__kind_article(pk_value_kind(table)));
  }

  if (table)
    d->at = table;
  nk = table ? pk_table_count(table) : 0;
  pk__items_init(&r, table);
  /* keys are usually written in the schema's order: the field after the
   * previous key's is tried before the name index */
  size_t next = 0;
  for (size_t i = 0; i < nk && !must_stop(d); i++) {
    const pk__item *it = items ? &items[i] : pk__items_at(&r, i);
    size_t fi = next;
    if (fi >= nf || s->fields[fi].name_len != it->key_len ||
        !name_eq(s->fields[fi].name, it->key, it->key_len))
      fi = find_index(s, it->key, it->key_len);
    if (fi == nf) {
      if (nested || !skipped(d, it->key, it->key_len))
        unknown_field(d, s, table, i, it->key);
      continue;
    }
    next = fi + 1;
    decode_value(d, &s->fields[fi], it, &c->vals[fi]);
  }
  if (d->nomem) {
    d->at = outer;
    return PK_ENOMEM;
  }

  for (size_t i = 0; i < nf && !must_stop(d); i++) {
    const pk_field *f = &s->fields[i];
    cval *cv = &c->vals[i];
    if (cv->origin != PK_ORIGIN_UNSET)
      continue;
    if (f->dflt_v) {
      *cv = f->dflt;
      if (f->format && d->ctx)
        format_string(d, f, cv);
    } else if (f->type == PK_FIELD_TABLE && !f->optional && !f->required) {
      decode_nested(d, f, NULL, &cv->u.t);
      cv->origin = PK_ORIGIN_DEFAULT;
    } else if (f->required) {
      pk_pos at = d->at ? pk_value_pos(d->at) : (pk_pos){NULL, 0, 0};
      report(d, PK_EMISSING, at, "missing required field \"%s%s\"", d->path,
             f->name);
    }
  }
  d->at = outer;
  return d->nomem ? PK_ENOMEM : PK_OK;
}

pk_status pk_schema_decode(const pk_schema *schema, const pk_value *table,
                           const pk_decode_options *opts, pk_config **out,
                           pk_diag *diag, pk_error *err)
{
  return pk__schema_decode_in(NULL, schema, table, NULL, opts, out, diag,
                              err);
}

pk_status pk__schema_decode_in(const pk__allocator *arena,
                               const pk_schema *schema, const pk_value *table,
                               const pk__item *items,
                               const pk_decode_options *opts, pk_config **out,
                               pk_diag *diag, pk_error *err)
{
  pk_decode_options o = {sizeof o, NULL, NULL, 0};
  dctx d;
  pk_config *c = NULL;
  pk_status st;

  if (out)
    *out = NULL;
  if (!out || !schema)
    return pk__fail(err, PK_EMISUSE, "pk_schema_decode: NULL %s",
                    out ? "schema" : "out");
  if (opts) {
    if (opts->size < sizeof o)
      return pk__fail(err, PK_EMISUSE, "pk_decode_options.size must be set "
                                       "to sizeof(pk_decode_options)");
    memcpy(&o, opts, sizeof o);
  }
  d.a = arena ? arena : &schema->a;
  d.arena = arena != NULL;
  d.ctx = o.ctx;
  d.skip = o.skip;
  d.nskip = o.skip ? o.skip_count : 0;
  d.diag = diag;
  d.err = err;
  d.problems = 0;
  d.first = PK_OK;
  d.nomem = false;
  d.at = NULL;
  d.path[0] = '\0';

  st = decode_table(&d, schema, table, items, &c);
  if (st == PK_ENOMEM || d.nomem) {
    config_free(c);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  if (d.problems) {
    config_free(c);
    return d.first;
  }
  *out = c;
  return PK_OK;
}

void pk_config_free(pk_config *config) { config_free(config); }

const pk_schema *pk_config_get_schema(const pk_config *config)
{
  return config ? config->schema : NULL;
}

pk_pos pk_config_get_pos(const pk_config *config)
{
  pk_pos none = {NULL, 0, 0};
  return config && config->table ? pk_value_pos(config->table) : none;
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

pk_pos pk_config_value_pos(const pk_config *config, const char *name)
{
  const cval *cv = config_val(config, name, NULL);
  pk_pos none = {NULL, 0, 0};
  return cv && cv->v ? pk_value_pos(cv->v) : none;
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
  suggest_field(s, name, hint, sizeof hint);
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
                       type_article(f->type), type_article(want));
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

/* ---- binding to C structs ---- */

typedef struct ctype_info {
  const char *name;    /* "PK_C_DOUBLE" */
  const char *member;  /* "a double" */
  size_t size;
} ctype_info;

static const ctype_info ctypes[] = {
    {"PK_C_STRING", "a const char *", sizeof(const char *)},
    {"PK_C_INT64", "an int64_t", sizeof(int64_t)},
    {"PK_C_INT", "an int", sizeof(int)},
    {"PK_C_DOUBLE", "a double", sizeof(double)},
    {"PK_C_BOOL", "a bool", sizeof(bool)},
    {"PK_C_DATETIME", "a pk_datetime", sizeof(pk_datetime)},
    {"PK_C_ENUM", "an int (enum index)", sizeof(int)},
    {"PK_C_ARRAY", "a const pk_value *", sizeof(const pk_value *)},
    {"PK_C_CONFIG", "a const pk_config *", sizeof(const pk_config *)}};
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

static const char *ctype_advice(pk_field_type t)
{
  switch (t) {
  case PK_FIELD_STRING:
    return "PK_C_STRING";
  case PK_FIELD_INTEGER:
    return "PK_C_INT64 or PK_C_INT";
  case PK_FIELD_FLOAT:
    return "PK_C_DOUBLE";
  case PK_FIELD_BOOL:
    return "PK_C_BOOL";
  case PK_FIELD_DATETIME:
    return "PK_C_DATETIME";
  case PK_FIELD_ENUM:
    return "PK_C_ENUM or PK_C_STRING";
  case PK_FIELD_ARRAY:
    return "PK_C_ARRAY";
  case PK_FIELD_TABLE:
    return "PK_C_CONFIG";
  }
  return "?";
}

/* Checks one binding; *fo gets the field. */
static pk_status check_binding(const pk_schema *s, const pk_binding *b,
                               const pk_field **fo, pk_error *err)
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
    suggest_field(s, b->field, hint, sizeof hint);
    return pk__fail_at(err, PK_ENOTFOUND, s->pos,
                       "cannot bind field \"%s\": the schema has no such "
                       "field%s",
                       b->field, hint);
  }
  if (!ctype_fits(f->type, b->type))
    return pk__fail_at(err, PK_ETYPE, f->pos,
                       "cannot bind field \"%s\" (%s) to %s member (%s): use "
                       "%s",
                       b->field, pk_field_type_name(f->type), ci->member,
                       ci->name, ctype_advice(f->type));
  if (b->size && b->size != ci->size)
    return pk__fail_at(err, PK_ETYPE, f->pos,
                       "cannot bind field \"%s\" as %s (%zu bytes) to a "
                       "member of %zu bytes",
                       b->field, ci->name, ci->size, b->size);
  *fo = f;
  return PK_OK;
}

pk_status pk_schema_check_bindings(const pk_schema *schema,
                                   const pk_binding *bindings, size_t n,
                                   pk_error *err)
{
  const pk_field *f = NULL;
  if (!schema || (!bindings && n))
    return pk__fail(err, PK_EMISUSE, "pk_schema_check_bindings: NULL %s",
                    schema ? "bindings" : "schema");
  for (size_t i = 0; i < n; i++) {
    pk_status st = check_binding(schema, &bindings[i], &f, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

pk_status pk_config_bind(const pk_config *config, const pk_binding *bindings,
                         size_t n, void *dst, pk_error *err)
{
  if (!config || !dst || (!bindings && n))
    return pk__fail(err, PK_EMISUSE, "pk_config_bind: NULL %s",
                    !config ? "config" : !dst ? "dst" : "bindings");
  for (size_t i = 0; i < n; i++) {
    const pk_binding *b = &bindings[i];
    const pk_field *f = NULL;
    pk_status st = check_binding(config->schema, b, &f, err);
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
        return pk__fail_at(err, PK_ERANGE, pk_value_pos(cv->v),
                           "%s = %" PRId64 " does not fit the int member it "
                           "is bound to (PK_C_INT): bind it as PK_C_INT64 or "
                           "give the field min and max",
                           b->field, cv->u.i);
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

/* ---- canonical JSON ---- */

static void json_string(pk__sbuf *b, const char *s, size_t len)
{
  size_t run = 0;
  pk__sbuf_putc(b, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    pk__sbuf_put(b, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"':
      pk__sbuf_put(b, "\\\"", 2);
      break;
    case '\\':
      pk__sbuf_put(b, "\\\\", 2);
      break;
    case '\n':
      pk__sbuf_put(b, "\\n", 2);
      break;
    case '\t':
      pk__sbuf_put(b, "\\t", 2);
      break;
    case '\r':
      pk__sbuf_put(b, "\\r", 2);
      break;
    default:
      pk__sbuf_printf(b, "\\u%04x", c);
      break;
    }
  }
  pk__sbuf_put(b, s + run, len - run);
  pk__sbuf_putc(b, '"');
}

static void json_float(pk__sbuf *b, double x)
{
  char buf[40];
  if (isnan(x)) {
    pk__sbuf_put(b, "\"nan\"", 5);
    return;
  }
  if (isinf(x)) {
    pk__sbuf_printf(b, "\"%sinf\"", x < 0 ? "-" : "");
    return;
  }
  fmt_double(buf, sizeof buf, x);
  pk__sbuf_put(b, buf, strlen(buf));
}

static void json_datetime(pk__sbuf *b, const pk_value *v)
{
  pk_datetime t;
  pk_value_get_datetime(v, &t, NULL);
  pk__sbuf_putc(b, '"');
  if (t.kind != PK_KIND_TIME_LOCAL)
    pk__sbuf_printf(b, "%04d-%02d-%02d", t.year, t.month, t.day);
  if (t.kind == PK_KIND_DATETIME || t.kind == PK_KIND_DATETIME_LOCAL)
    pk__sbuf_putc(b, 'T');
  if (t.kind != PK_KIND_DATE_LOCAL) {
    pk__sbuf_printf(b, "%02d:%02d:%02d", t.hour, t.minute, t.second);
    if (t.precision > 0) {
      int frac = t.nanosecond;
      for (int i = t.precision; i < 9; i++)
        frac /= 10;
      pk__sbuf_printf(b, ".%0*d", t.precision, frac);
    }
  }
  if (t.kind == PK_KIND_DATETIME) {
    int off = t.offset_minutes;
    if (off == 0)
      pk__sbuf_putc(b, 'Z');
    else
      pk__sbuf_printf(b, "%c%02d:%02d", off < 0 ? '-' : '+',
                      (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
  }
  pk__sbuf_putc(b, '"');
}

static void json_value(pk__sbuf *b, const pk_value *v)
{
  pk_kind k = pk_value_kind(v);
  const char *s;
  size_t len;
  int64_t i;
  double x;
  bool t;
  switch (k) {
  case PK_KIND_STRING:
    pk_value_get_string(v, &s, &len, NULL);
    json_string(b, s, len);
    break;
  case PK_KIND_INTEGER:
    pk_value_get_integer(v, &i, NULL);
    pk__sbuf_printf(b, "%" PRId64, i);
    break;
  case PK_KIND_FLOAT:
    pk_value_get_float(v, &x, NULL);
    json_float(b, x);
    break;
  case PK_KIND_BOOL:
    pk_value_get_bool(v, &t, NULL);
    pk__sbuf_put(b, t ? "true" : "false", t ? 4 : 5);
    break;
  case PK_KIND_ARRAY:
    pk__sbuf_putc(b, '[');
    for (size_t j = 0; j < pk_array_count(v); j++) {
      if (j)
        pk__sbuf_putc(b, ',');
      json_value(b, pk_array_at(v, j));
    }
    pk__sbuf_putc(b, ']');
    break;
  default: /* dates and times; tables never reach here (items are scalar) */
    if (is_date_kind(k))
      json_datetime(b, v);
    else
      pk__sbuf_put(b, "null", 4);
    break;
  }
}

static bool datetime_equal(const pk_value *x, const pk_value *y)
{
  pk_datetime a, b;
  pk_value_get_datetime(x, &a, NULL);
  pk_value_get_datetime(y, &b, NULL);
  return a.kind == b.kind && a.year == b.year && a.month == b.month &&
         a.day == b.day && a.hour == b.hour && a.minute == b.minute &&
         a.second == b.second && a.nanosecond == b.nanosecond &&
         a.offset_minutes == b.offset_minutes;
}

/* Equality of two checked scalar-or-array values. */
static bool value_equal(const pk_value *x, const pk_value *y)
{
  pk_kind k = pk_value_kind(x);
  if (k != pk_value_kind(y))
    return false;
  switch (k) {
  case PK_KIND_STRING: {
    const char *a, *b;
    size_t la, lb;
    pk_value_get_string(x, &a, &la, NULL);
    pk_value_get_string(y, &b, &lb, NULL);
    return la == lb && !memcmp(a, b, la);
  }
  case PK_KIND_INTEGER: {
    int64_t a, b;
    pk_value_get_integer(x, &a, NULL);
    pk_value_get_integer(y, &b, NULL);
    return a == b;
  }
  case PK_KIND_FLOAT: {
    double a, b;
    pk_value_get_float(x, &a, NULL);
    pk_value_get_float(y, &b, NULL);
    return a == b || (isnan(a) && isnan(b));
  }
  case PK_KIND_BOOL: {
    bool a, b;
    pk_value_get_bool(x, &a, NULL);
    pk_value_get_bool(y, &b, NULL);
    return a == b;
  }
  case PK_KIND_ARRAY:
    if (pk_array_count(x) != pk_array_count(y))
      return false;
    for (size_t i = 0; i < pk_array_count(x); i++)
      if (!value_equal(pk_array_at(x, i), pk_array_at(y, i)))
        return false;
    return true;
  default:
    return is_date_kind(k) && datetime_equal(x, y);
  }
}

/* Is the written value cv equal to f's default? */
static bool equals_default(const pk_field *f, const cval *cv)
{
  const cval *d = &f->dflt;
  if (!f->dflt_v)
    return false;
  switch (f->type) {
  case PK_FIELD_STRING:
  case PK_FIELD_ENUM:
    return cv->len == d->len && !memcmp(cv->u.s, d->u.s, cv->len);
  case PK_FIELD_INTEGER:
    return cv->u.i == d->u.i;
  case PK_FIELD_FLOAT:
    return cv->u.f == d->u.f || (isnan(cv->u.f) && isnan(d->u.f));
  case PK_FIELD_BOOL:
    return cv->u.b == d->u.b;
  default:
    return value_equal(cv->v, d->v);
  }
}

static void json_config(pk__sbuf *b, const pk_config *c)
{
  const pk_schema *s = c->schema;
  bool first = true;
  pk__sbuf_putc(b, '{');
  for (size_t k = 0; k < s->nfields; k++) {
    const pk_field *f = &s->fields[s->sorted[k]];
    const cval *cv = &c->vals[s->sorted[k]];
    size_t mark = b->len;
    if (f->type == PK_FIELD_TABLE ? !cv->u.t
                                  : cv->origin != PK_ORIGIN_TABLE ||
                                        equals_default(f, cv))
      continue;
    if (!first)
      pk__sbuf_putc(b, ',');
    json_string(b, f->name, f->name_len);
    pk__sbuf_putc(b, ':');
    switch (f->type) {
    case PK_FIELD_STRING:
    case PK_FIELD_ENUM:
      json_string(b, cv->u.s, cv->len);
      break;
    case PK_FIELD_INTEGER:
      pk__sbuf_printf(b, "%" PRId64, cv->u.i);
      break;
    case PK_FIELD_FLOAT:
      json_float(b, cv->u.f);
      break;
    case PK_FIELD_BOOL:
      pk__sbuf_put(b, cv->u.b ? "true" : "false", cv->u.b ? 4 : 5);
      break;
    case PK_FIELD_DATETIME:
    case PK_FIELD_ARRAY:
      json_value(b, cv->v);
      break;
    case PK_FIELD_TABLE: {
      size_t start = b->len;
      json_config(b, cv->u.t);
      if (!b->nomem && b->len == start + 2) { /* "{}": leave it out */
        b->len = mark;
        continue;
      }
      break;
    }
    }
    first = false;
  }
  pk__sbuf_putc(b, '}');
}

pk_status pk_config_to_json(const pk_config *config, char **out, size_t *len,
                            pk_error *err)
{
  pk__sbuf b;
  if (out)
    *out = NULL;
  if (!config || !out)
    return pk__fail(err, PK_EMISUSE, "pk_config_to_json: NULL %s",
                    config ? "out" : "config");
  pk__sbuf_init(&b, &config->schema->a, true);
  json_config(&b, config);
  if (b.nomem || pk__sbuf_take_tagged(&b, out, len) != PK_OK) {
    pk__sbuf_free(&b);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  return PK_OK;
}
