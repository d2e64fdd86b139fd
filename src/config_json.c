/* config_json.c -- a config as canonical JSON (sorted keys, only what
 * the table sets and differs from the default).
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "schema.h"

static bool is_date_kind(pk_kind k)
{
  return k >= PK_KIND_DATETIME && k <= PK_KIND_TIME_LOCAL;
}

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
  pk__fmt_double(buf, sizeof buf, x);
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
