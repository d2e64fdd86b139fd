/* cmd_toml.c -- `plugkit toml [FILE|-] [--toml-version V]`: TOML to the
 * tagged JSON of toml-test.  SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  pk_doc_options opts = {.size = sizeof opts};
  const char *ver = cli_opt(&a, "--toml-version");
  const char *file = a.npos ? a.pos[0] : "-";
  if (ver)
    opts.version = ver[2] == '0' ? PK_TOML_1_0 : PK_TOML_1_1;
  size_t npos = a.npos;
  cli_args_free(&a);
  if (npos > 1)
    return cli_usage_error(cmd, "one FILE only (%zu given)", npos);
  pk_doc *doc;
  pk_error err;
  if (pk_doc_load_file(file, &opts, &doc, &err) != PK_OK) {
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

const cli_command cli_toml = {
    "toml",
    run,
    "[FILE|-]",
    "a TOML document as toml-test's tagged JSON",
    "Reads a TOML document (standard input when FILE is - or absent) and "
    "prints it as the tagged JSON of the toml-test suite: every scalar as "
    "{\"type\": T, \"value\": TEXT}, tables as objects, arrays as arrays.  A "
    "syntax error is printed as FILE:LINE:COL: message (exit 1).",
    {{"--toml-version", NULL, "V",
      "the TOML version to read: 1.0.0 or "
      "1.1.0 (the default; 1.0 and 1.1 too)",
      false, "1.0.0 1.1.0 1.0 1.1"},
     {"--json", NULL, NULL,
      "accepted for symmetry with the other commands: "
      "the output is always JSON",
      false, NULL}},
    NULL};
