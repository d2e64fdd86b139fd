/* decode.c -- config tables decoded by a schema into immutable configs:
 * types, ranges, choices, formatting, defaults and unknown fields.
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

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

static pk_status decode_table(dctx *d, const pk_schema *s,
                              const pk_value *table, const pk__item *items,
                              size_t nitems, pk_config **out);

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

/* The position to give pk__format() for string value v: its first byte
 * when the string is on one line (one opening quote assumed), else the
 * string's own position. */
static pk_pos string_text_pos(const pk_value *v, const char *s, size_t len)
{
  pk_pos p = pk_value_get_pos(v);
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

/* The kind of value an example of field type t shows: the first kind it
 * takes (a date or time: the offset date-time); 0 for no type. */
static pk_kind example_kind(pk_field_type t)
{
  unsigned k = kinds_of_type[(unsigned)t & 15u];
  return k ? (pk_kind)__builtin_ctz(k) : (pk_kind)0;
}

/* "\"fast\", \"safe\"": the choices of enum field f, for a message. */
static void choice_list(const pk_field *f, char *list, size_t n)
{
  size_t used = 0;
  list[0] = '\0';
  for (size_t i = 0; i < f->nchoices && used < n; i++) {
    int w = snprintf(list + used, n - used, "%s\"%s\"", i ? ", " : "",
                     f->choices[i]);
    used += w > 0 ? (size_t)w : 0;
  }
}

/* A value of the wrong kind: the problem, with what to write instead in
 * the words of a manifest's (pk__write_as), from the field's own data: an
 * enum's choices, an array's item type.  Out of the way of a decode that
 * is fine. */
static __attribute__((noinline, cold)) pk_status
type_problem(dctx *d, const pk_field *f, const pk_value *v,
             pk_field_type want, const char *suffix)
{
  static const char *const items_of[] = {
      [PK_FIELD_STRING] = "strings", [PK_FIELD_INTEGER] = "integers",
      [PK_FIELD_FLOAT] = "floats",   [PK_FIELD_BOOL] = "booleans",
      [PK_FIELD_DATETIME] = "dates or times"};
  pk_kind k = pk_value_kind(v);
  char expected[420], fix[480], t[64], item[80], lhs[80] = "";
  snprintf(expected, sizeof expected, "%s", pk__type_article(want));
  if (!suffix[0]) /* "retries = " for a field, "" for an item */
    snprintf(lhs, sizeof lhs, "%s = ", f->name);
  pk__scalar_text(v, false, t, sizeof t);
  if (want == PK_FIELD_FLOAT && k == PK_KIND_INTEGER) {
    snprintf(fix, sizeof fix, "write it with a decimal point, e.g. 1.0");
  } else if (want == PK_FIELD_ENUM) {
    const char *near = pk__closest(t, f->choices, f->nchoices);
    memcpy(expected, "one of ", 7);
    choice_list(f, expected + 7, sizeof expected - 7);
    pk__write_as(fix, sizeof fix, PK_KIND_STRING, lhs,
                 near ? near : f->choices[0]);
  } else if (want == PK_FIELD_ARRAY) {
    snprintf(expected, sizeof expected, "an array of %s", items_of[f->items]);
    pk__example(item, sizeof item, example_kind(f->items), t);
    snprintf(fix, sizeof fix, "write it as an array of %s: %s[%s]",
             items_of[f->items], lhs, item);
  } else {
    pk__write_as(fix, sizeof fix, example_kind(want), lhs, t);
  }
  return report(d, PK_ETYPE, pk_value_get_pos(v),
                "field \"%s%s%s\": expected %s, found %s (%s)", d->path,
                f->name, suffix, expected, pk__kind_article(k), fix);
}

/* Checks the kind of every item of array v, a batch of items at a time
 * (a batch shorter than asked for is the last). */
static pk_status check_array(dctx *d, const pk_field *f, const pk_value *v)
{
  pk__item buf[PK__ITEM_BATCH];
  pk_status st = PK_OK;
  size_t from = 0, n;
  do {
    n = pk__value_items(v, from, buf, PK__ITEM_BATCH);
    for (size_t k = 0; k < n && !must_stop(d); k++)
      if (!kind_fits(f->items, (pk_kind)buf[k].kind)) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, "[%zu]", from + k);
        st = type_problem(d, f, buf[k].v, f->items, suffix);
      }
    from += n;
  } while (n == PK__ITEM_BATCH && !must_stop(d));
  return st;
}

/* decode_table() for table field f, with "f." added to d->path. */
static pk_status decode_nested(dctx *d, const pk_field *f,
                               const pk_value *table, pk_config **out)
{
  size_t plen = strlen(d->path);
  pk_status st;
  snprintf(d->path + plen, sizeof d->path - plen, "%s.", f->name);
  st = decode_table(d, f->fields, table, NULL, 0, out);
  d->path[plen] = '\0';
  return st;
}

/* The problems decode_value() reports, out of its way: a decode runs it for
 * every value, and rarely finds one. */
static __attribute__((noinline, cold)) pk_status
enum_problem(dctx *d, const pk_field *f, const cval *cv)
{
  char list[400];
  const char *near = pk__closest(cv->u.s, f->choices, f->nchoices);
  choice_list(f, list, sizeof list);
  return report(d, PK_ERANGE, pk_value_get_pos(cv->v),
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
      return report(d, PK_ERANGE, pk_value_get_pos(cv->v),
                    "%s%s = %" PRId64 " is below the minimum %" PRId64,
                    d->path, f->name, cv->u.i, f->min.i);
    return report(d, PK_ERANGE, pk_value_get_pos(cv->v),
                  "%s%s = %" PRId64 " is above the maximum %" PRId64,
                  d->path, f->name, cv->u.i, f->max.i);
  }
  pk__fmt_double(a, sizeof a, cv->u.f);
  if (f->min_v && !(cv->u.f >= f->min.f)) {
    pk__fmt_double(b, sizeof b, f->min.f);
    return report(d, PK_ERANGE, pk_value_get_pos(cv->v),
                  "%s%s = %s is below the minimum %s", d->path, f->name, a,
                  b);
  }
  pk__fmt_double(b, sizeof b, f->max.f);
  return report(d, PK_ERANGE, pk_value_get_pos(cv->v),
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

/* The default is decoded as a value of a table would be, without a ctx
 * (formatting happens when a table takes the default). */
pk_status pk__decode_default(const pk__allocator *a, pk_field *f,
                             pk_error *err)
{
  dctx d;
  pk_error e;
  memset(&d, 0, offsetof(dctx, path)); /* path: only its first byte */
  d.path[0] = '\0';
  d.a = a;
  d.err = &e;
  pk__item it;
  pk__value_item(f->dflt_v, &it);
  pk_status st = decode_value(&d, f, &it, &f->dflt);
  if (st == PK_ENOMEM || d.nomem)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  if (d.problems)
    return pk__fail_at(err, PK_ECONFIG, (pk_pos){e.source, e.line, e.col},
                       "invalid default: %s", e.message);
  f->dflt.origin = PK_ORIGIN_DEFAULT;
  return PK_OK;
}

void pk__config_free(pk_config *c)
{
  const pk_schema *s;
  if (!c || !c->a)
    return;
  s = c->schema;
  for (size_t i = 0; i < s->nfields; i++) {
    cval *cv = &c->vals[i];
    if (s->fields[i].type == PK_FIELD_TABLE)
      pk__config_free(cv->u.t);
    else if (cv->cap)
      pk__free(c->a, (char *)cv->u.s, cv->cap);
  }
  pk__free(c->a, c, sizeof *c + s->nfields * sizeof c->vals[0]);
}

/* The closest field name of s, or the list of them, for a message. */
void pk__suggest_field(const pk_schema *s, const char *key, char *buf,
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

/* The field of s meant by key when key is the value of one of the
 * caller's keys of table (a type's name written as a key: { type =
 * "command", command = "gen" } for name = "gen"): the first required
 * field table lacks, or NULL. */
static const char *meant_by_tag(const dctx *d, const pk_schema *s,
                                const pk_value *table, const char *key)
{
  bool tag = false;
  for (size_t k = 0; !tag && k < d->nskip; k++) {
    const char *v;
    size_t len;
    tag = d->skip[k] &&
          pk_value_get_string(pk_table_get(table, d->skip[k]), &v, &len,
                              NULL) == PK_OK &&
          pk__key_is(v, len, key);
  }
  for (size_t k = 0; tag && k < s->nfields; k++)
    if (s->fields[k].required && !pk_table_get(table, s->names[k]))
      return s->names[k];
  return NULL;
}

/* Reports key, the i-th of table, which s does not know. */
static __attribute__((noinline, cold)) void
unknown_field(dctx *d, const pk_schema *s, const pk_value *table, size_t i,
              const char *key)
{
  char hint[480];
  pk__suggest_field(s, key, hint, sizeof hint);
  /* the caller's keys of the top-level table are known keys too */
  const char *known[64];
  size_t n = 0;
  for (size_t k = 0; !d->path[0] && k < d->nskip && n < 64; k++)
    if (d->skip[k])
      known[n++] = d->skip[k];
  for (size_t k = 0; n && k < s->nfields && n < 64; k++)
    known[n++] = s->names[k];
  const char *near = n ? pk__closest(key, known, n) : NULL;
  if (!near && !d->path[0])
    near = meant_by_tag(d, s, table, key);
  if (near)
    snprintf(hint, sizeof hint, " (did you mean \"%s\"?)", near);
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

/* Decodes table (NULL: an empty table) by s.  items (or NULL): the nitems
 * items of table (every one; table is a table), read by the caller
 * already.  Returns PK_OK or PK_ENOMEM; problems are counted in d (the
 * config is then incomplete, and freed by the caller). */
static pk_status decode_table(dctx *d, const pk_schema *s,
                              const pk_value *table, const pk__item *items,
                              size_t nitems, pk_config **out)
{
  pk__items r;
  size_t nf = s->nfields, nk, nset = 0;
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
  if (!items && table && pk_value_kind(table) != PK_KIND_TABLE) {
    c->table = NULL;
    return report(d, PK_ETYPE, pk_value_get_pos(table),
                  "expected a table, found %s",
                  pk__kind_article(pk_value_kind(table)));
  }

  if (table)
    d->at = table;
  nk = items ? nitems : table ? pk_table_count(table) : 0;
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
    nset++; /* a table's keys differ: each sets another field */
    decode_value(d, &s->fields[fi], it, &c->vals[fi]);
  }
  if (d->nomem) {
    d->at = outer;
    return PK_ENOMEM;
  }

  /* the fields the table left unset (none when it set every one) */
  for (size_t i = 0; nset < nf && i < nf && !must_stop(d); i++) {
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
      pk_pos at = d->at ? pk_value_get_pos(d->at) : (pk_pos){NULL, 0, 0};
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
  return pk__schema_decode_in(NULL, schema, table, NULL, 0, opts, out, diag,
                              err);
}

pk_status pk__schema_decode_in(const pk__allocator *arena,
                               const pk_schema *schema, const pk_value *table,
                               const pk__item *items, size_t nitems,
                               const pk_decode_options *opts, pk_config **out,
                               pk_diag *diag, pk_error *err)
{
  dctx d;
  pk_config *c = NULL;
  pk_status st;

  if (out)
    *out = NULL;
  if (!out || !schema)
    return pk__fail(err, PK_EMISUSE, "pk_schema_decode: NULL %s",
                    out ? "schema" : "out");
  if (opts && opts->size < sizeof *opts)
    return pk__fail(err, PK_EMISUSE,
                    "pk_decode_options.size must be set "
                    "to sizeof(pk_decode_options)");
  d.a = arena ? arena : &schema->a;
  d.arena = arena != NULL;
  d.ctx = opts ? opts->ctx : NULL;
  d.skip = opts ? opts->skip : NULL;
  d.nskip = opts && opts->skip ? opts->skip_count : 0;
  d.diag = diag;
  d.err = err;
  d.problems = 0;
  d.first = PK_OK;
  d.nomem = false;
  d.at = NULL;
  d.path[0] = '\0';

  st = decode_table(&d, schema, table, items, nitems, &c);
  if (st == PK_ENOMEM || d.nomem) {
    pk__config_free(c);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  if (d.problems) {
    pk__config_free(c);
    return d.first;
  }
  *out = c;
  return PK_OK;
}

void pk_config_free(pk_config *config) { pk__config_free(config); }
