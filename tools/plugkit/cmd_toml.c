/* cmd_toml.c -- `plugkit toml [FILE|-] [--toml-version V]`: TOML to the
 * tagged JSON of toml-test.  SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int toml_usage(FILE *out, int status)
{
  fprintf(out, "usage: plugkit toml [FILE|-] [--toml-version 1.0.0|1.1.0]\n"
               "Prints the TOML document as toml-test tagged JSON (standard "
               "input when FILE is - or absent).\n");
  return status;
}

/* The shortest text that reads back as the same double. */
static void format_float(double v, char *buf, size_t n)
{
  int prec;
  if (isnan(v)) {
    snprintf(buf, n, "nan");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, n, v > 0 ? "inf" : "-inf");
    return;
  }
  for (prec = 1; prec < 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  if (prec == 17)
    snprintf(buf, n, "%.17g", v);
  if (!strpbrk(buf, ".eE"))
    strncat(buf, ".0", n - strlen(buf) - 1);
}

static const char *json_type(pk_kind k)
{
  switch (k) {
  case PK_KIND_STRING: return "string";
  case PK_KIND_INTEGER: return "integer";
  case PK_KIND_FLOAT: return "float";
  case PK_KIND_BOOL: return "bool";
  case PK_KIND_DATETIME: return "datetime";
  case PK_KIND_DATETIME_LOCAL: return "datetime-local";
  case PK_KIND_DATE_LOCAL: return "date-local";
  case PK_KIND_TIME_LOCAL: return "time-local";
  default: return "?";
  }
}

/* Depth is bounded by the parser's nesting limit, so recursion is safe. */
static void put_value(FILE *f, const pk_value *v)
{
  pk_kind k = pk_value_kind(v);
  char buf[128];
  size_t i, n;
  if (k == PK_KIND_TABLE) {
    n = pk_table_count(v);
    putc('{', f);
    for (i = 0; i < n; i++) {
      size_t len;
      const char *key = pk_table_key_at(v, i, &len);
      if (i)
        putc(',', f);
      cli_json_write_stringn(f, key, len);
      putc(':', f);
      put_value(f, pk_table_value_at(v, i));
    }
    putc('}', f);
    return;
  }
  if (k == PK_KIND_ARRAY) {
    n = pk_array_count(v);
    putc('[', f);
    for (i = 0; i < n; i++) {
      if (i)
        putc(',', f);
      put_value(f, pk_array_at(v, i));
    }
    putc(']', f);
    return;
  }
  fprintf(f, "{\"type\":\"%s\",\"value\":", json_type(k));
  switch (k) {
  case PK_KIND_STRING: {
    const char *s;
    size_t len;
    pk_value_get_string(v, &s, &len, NULL);
    cli_json_write_stringn(f, s, len);
    break;
  }
  case PK_KIND_INTEGER: {
    int64_t x;
    pk_value_get_integer(v, &x, NULL);
    fprintf(f, "\"%lld\"", (long long)x);
    break;
  }
  case PK_KIND_FLOAT: {
    double x;
    pk_value_get_float(v, &x, NULL);
    format_float(x, buf, sizeof buf);
    fprintf(f, "\"%s\"", buf);
    break;
  }
  case PK_KIND_BOOL: {
    bool b;
    pk_value_get_bool(v, &b, NULL);
    fputs(b ? "\"true\"" : "\"false\"", f);
    break;
  }
  default: {
    pk_datetime dt;
    pk_value_get_datetime(v, &dt, NULL);
    cli_datetime_text(&dt, buf, sizeof buf);
    fprintf(f, "\"%s\"", buf);
    break;
  }
  }
  putc('}', f);
}

int cmd_toml(int argc, char **argv)
{
  const char *file = NULL;
  pk_doc_options opts = {.size = sizeof opts};
  pk_doc *doc;
  pk_error err;
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *ver = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help"))
      return toml_usage(stdout, 0);
    if (!strcmp(a, "--toml-version")) {
      if (++i == argc) {
        fprintf(stderr, "plugkit toml: --toml-version needs a value\n");
        return toml_usage(stderr, 2);
      }
      ver = argv[i];
    } else if (!strncmp(a, "--toml-version=", 15)) {
      ver = a + 15;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "plugkit toml: unknown option '%s'\n", a);
      return toml_usage(stderr, 2);
    } else if (file) {
      fprintf(stderr, "plugkit toml: more than one file given\n");
      return toml_usage(stderr, 2);
    } else {
      file = a;
    }
    if (ver) {
      if (!strcmp(ver, "1.0.0") || !strcmp(ver, "1.0"))
        opts.version = PK_TOML_1_0;
      else if (!strcmp(ver, "1.1.0") || !strcmp(ver, "1.1"))
        opts.version = PK_TOML_1_1;
      else {
        fprintf(stderr, "plugkit toml: unknown TOML version '%s' (use 1.0.0 "
                        "or 1.1.0)\n", ver);
        return toml_usage(stderr, 2);
      }
    }
  }
  if (pk_doc_load_file(file ? file : "-", &opts, &doc, &err) != PK_OK) {
    cli_print_error(&err);
    return 1;
  }
  put_value(stdout, pk_doc_root(doc));
  putchar('\n');
  pk_doc_free(doc);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    perror("plugkit toml: writing the output");
    return 1;
  }
  return 0;
}
