/* json.c -- a tiny pretty-printing JSON writer for `--json` output, and
 * TOML values written back as text.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* ---- strings ---- */

void cli_json_write_stringn(FILE *out, const char *s, size_t len)
{
  fputc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default:
      if (c < 0x20 || c == 0x7f)
        fprintf(out, "\\u%04x", c);
      else
        fputc(c, out); /* UTF-8 passes through unchanged */
    }
  }
  fputc('"', out);
}

void cli_json_write_string(FILE *out, const char *s)
{
  if (!s)
    fputs("null", out);
  else
    cli_json_write_stringn(out, s, strlen(s));
}

/* ---- the writer ---- */

void cli_json_init(cli_json_writer *w, FILE *out)
{
  memset(w, 0, sizeof *w);
  w->out = out;
  w->first[0] = true;
}

static void indent(cli_json_writer *w)
{
  fputc('\n', w->out);
  for (unsigned i = 0; i < w->depth; i++)
    fputs("  ", w->out);
}

/* Separator and indentation before a value or a key. */
static void before_item(cli_json_writer *w)
{
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth == 0)
    return;
  if (!w->first[w->depth])
    fputc(',', w->out);
  w->first[w->depth] = false;
  indent(w);
}

static void json_open(cli_json_writer *w, char c)
{
  before_item(w);
  fputc(c, w->out);
  if (w->depth + 1 < CLI_JSON_MAX_DEPTH)
    w->depth++;
  w->first[w->depth] = true;
}

static void json_close(cli_json_writer *w, char c)
{
  bool empty = w->first[w->depth];
  if (w->depth > 0)
    w->depth--;
  if (!empty)
    indent(w);
  fputc(c, w->out);
}

void cli_json_begin_object(cli_json_writer *w) { json_open(w, '{'); }
void cli_json_end_object(cli_json_writer *w) { json_close(w, '}'); }
void cli_json_begin_array(cli_json_writer *w) { json_open(w, '['); }
void cli_json_end_array(cli_json_writer *w) { json_close(w, ']'); }

void cli_json_key(cli_json_writer *w, const char *key)
{
  before_item(w);
  cli_json_write_string(w->out, key);
  fputs(": ", w->out);
  w->after_key = true;
}

void cli_json_string(cli_json_writer *w, const char *s)
{
  before_item(w);
  cli_json_write_string(w->out, s);
}

void cli_json_int(cli_json_writer *w, long long v)
{
  before_item(w);
  fprintf(w->out, "%lld", v);
}

void cli_json_double(cli_json_writer *w, double v)
{
  before_item(w);
  if (isnan(v))
    fputs("\"nan\"", w->out);
  else if (isinf(v))
    fputs(v > 0 ? "\"inf\"" : "\"-inf\"", w->out);
  else
    fprintf(w->out, "%.17g", v);
}

void cli_json_bool(cli_json_writer *w, bool v)
{
  before_item(w);
  fputs(v ? "true" : "false", w->out);
}

void cli_json_null(cli_json_writer *w)
{
  before_item(w);
  fputs("null", w->out);
}

void cli_json_finish(cli_json_writer *w) { fputc('\n', w->out); }

void cli_json_error(cli_json_writer *w, const pk_error *err)
{
  if (!err) {
    cli_json_null(w);
    return;
  }
  cli_json_begin_object(w);
  cli_json_key(w, "code");
  cli_json_string(w, pk_status_name(err->code));
  cli_json_key(w, "message");
  cli_json_string(w, err->message);
  cli_json_key(w, "plugin");
  cli_json_string(w, err->plugin[0] ? err->plugin : NULL);
  cli_json_key(w, "source");
  cli_json_string(w, err->source[0] ? err->source : NULL);
  cli_json_key(w, "line");
  cli_json_int(w, err->line);
  cli_json_key(w, "col");
  cli_json_int(w, err->col);
  cli_json_end_object(w);
}

void cli_json_failure(const cli_args *a, const pk_error *err)
{
  if (a->cmd->json_failure) {
    a->cmd->json_failure(a, err);
    return;
  }
  if (!a->json)
    return;
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "ok");
  cli_json_bool(&w, false);
  cli_json_key(&w, "error");
  cli_json_error(&w, err);
  cli_json_end_object(&w);
  cli_json_finish(&w);
}

/* ---- TOML values ---- */

void cli_datetime_text(const pk_datetime *d, char *buf, size_t n)
{
  char date[32] = "", time[48] = "", frac[16] = "", off[16] = "";
  bool has_date = d->kind != PK_KIND_TIME_LOCAL;
  bool has_time = d->kind != PK_KIND_DATE_LOCAL;
  if (has_date)
    snprintf(date, sizeof date, "%04d-%02d-%02d", d->year, d->month, d->day);
  if (has_time) {
    if (d->precision > 0) {
      char digits[16];
      snprintf(digits, sizeof digits, "%09d", d->nanosecond);
      snprintf(frac, sizeof frac, ".%.*s", d->precision > 9 ? 9 : d->precision,
               digits);
    }
    snprintf(time, sizeof time, "%02d:%02d:%02d%s", d->hour, d->minute,
             d->second, frac);
  }
  if (d->kind == PK_KIND_DATETIME) {
    if (d->offset_minutes == 0)
      snprintf(off, sizeof off, "Z");
    else {
      int m = d->offset_minutes < 0 ? -d->offset_minutes : d->offset_minutes;
      snprintf(off, sizeof off, "%c%02d:%02d",
               d->offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
    }
  }
  snprintf(buf, n, "%s%s%s%s", date, has_date && has_time ? "T" : "", time,
           off);
}

static void float_text(double v, char *buf, size_t n)
{
  if (isnan(v))
    snprintf(buf, n, "nan");
  else if (isinf(v))
    snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
  else {
    snprintf(buf, n, "%.17g", v);
    if (!strpbrk(buf, ".eE"))
      strncat(buf, ".0", n - strlen(buf) - 1);
  }
}

void cli_json_value(cli_json_writer *w, const pk_value *v)
{
  const char *s;
  size_t len;
  int64_t i;
  double f;
  bool b;
  pk_datetime d;
  char buf[96];
  switch (v ? pk_value_kind(v) : 0) {
  case PK_KIND_TABLE:
    cli_json_begin_object(w);
    for (size_t k = 0; k < pk_table_count(v); k++) {
      cli_json_key(w, pk_table_key_at(v, k, NULL));
      cli_json_value(w, pk_table_value_at(v, k));
    }
    cli_json_end_object(w);
    break;
  case PK_KIND_ARRAY:
    cli_json_begin_array(w);
    for (size_t k = 0; k < pk_array_count(v); k++)
      cli_json_value(w, pk_array_at(v, k));
    cli_json_end_array(w);
    break;
  case PK_KIND_STRING:
    if (pk_value_get_string(v, &s, &len, NULL) == PK_OK) {
      before_item(w);
      cli_json_write_stringn(w->out, s, len);
    } else
      cli_json_null(w);
    break;
  case PK_KIND_INTEGER:
    if (pk_value_get_integer(v, &i, NULL) == PK_OK)
      cli_json_int(w, (long long)i);
    else
      cli_json_null(w);
    break;
  case PK_KIND_FLOAT:
    if (pk_value_get_float(v, &f, NULL) == PK_OK)
      cli_json_double(w, f);
    else
      cli_json_null(w);
    break;
  case PK_KIND_BOOL:
    if (pk_value_get_bool(v, &b, NULL) == PK_OK)
      cli_json_bool(w, b);
    else
      cli_json_null(w);
    break;
  case PK_KIND_DATETIME:
  case PK_KIND_DATETIME_LOCAL:
  case PK_KIND_DATE_LOCAL:
  case PK_KIND_TIME_LOCAL:
    if (pk_value_get_datetime(v, &d, NULL) == PK_OK) {
      cli_datetime_text(&d, buf, sizeof buf);
      cli_json_string(w, buf);
    } else
      cli_json_null(w);
    break;
  default:
    cli_json_null(w);
  }
}

void cli_write_toml_value(FILE *out, const pk_value *v)
{
  const char *s;
  size_t len;
  int64_t i;
  double f;
  bool b;
  pk_datetime d;
  char buf[96];
  switch (v ? pk_value_kind(v) : 0) {
  case PK_KIND_TABLE:
    fputc('{', out);
    for (size_t k = 0; k < pk_table_count(v); k++) {
      fputs(k ? ", " : " ", out);
      const char *key = pk_table_key_at(v, k, NULL);
      if (key[0] && strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
                                "rstuvwxyz0123456789_-") == strlen(key))
        fputs(key, out);
      else
        cli_json_write_string(out, key);
      fputs(" = ", out);
      cli_write_toml_value(out, pk_table_value_at(v, k));
    }
    fputs(pk_table_count(v) ? " }" : "}", out);
    break;
  case PK_KIND_ARRAY:
    fputc('[', out);
    for (size_t k = 0; k < pk_array_count(v); k++) {
      if (k)
        fputs(", ", out);
      cli_write_toml_value(out, pk_array_at(v, k));
    }
    fputc(']', out);
    break;
  case PK_KIND_STRING: /* JSON escapes are valid TOML escapes */
    if (pk_value_get_string(v, &s, &len, NULL) == PK_OK)
      cli_json_write_stringn(out, s, len);
    break;
  case PK_KIND_INTEGER:
    if (pk_value_get_integer(v, &i, NULL) == PK_OK)
      fprintf(out, "%lld", (long long)i);
    break;
  case PK_KIND_FLOAT:
    if (pk_value_get_float(v, &f, NULL) == PK_OK) {
      float_text(f, buf, sizeof buf);
      fputs(buf, out);
    }
    break;
  case PK_KIND_BOOL:
    if (pk_value_get_bool(v, &b, NULL) == PK_OK)
      fputs(b ? "true" : "false", out);
    break;
  case PK_KIND_DATETIME:
  case PK_KIND_DATETIME_LOCAL:
  case PK_KIND_DATE_LOCAL:
  case PK_KIND_TIME_LOCAL:
    if (pk_value_get_datetime(v, &d, NULL) == PK_OK) {
      cli_datetime_text(&d, buf, sizeof buf);
      fputs(buf, out);
    }
    break;
  default:
    break;
  }
}
