/* fuzz_plugkit_toml.c -- libFuzzer target: any bytes as the input of
 * `plugkit toml FILE`, through the CLI's own code (tools/plugkit built in,
 * its main() renamed plugkit_cli_main), once per TOML version.
 *
 * Checks: nothing crashes or reads out of bounds; the exit status is 0
 * exactly when the library reads the document, else 1; the output of a 0
 * is one JSON document (jansson reads it) that says what the document
 * says: the same tables with the same keys in the same order, the same
 * arrays, every scalar tagged with its kind, strings byte for byte,
 * integers in decimal, floats that read back (strtod) to the same double,
 * and date-times whose text TOML reads back to the same date-time.
 * SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <math.h>

#include <plugkit.h>

#include "fuzz.h"

int plugkit_cli_main(int argc, char **argv);

static const char *const tags[] = {
    [PK_KIND_STRING] = "string",
    [PK_KIND_INTEGER] = "integer",
    [PK_KIND_FLOAT] = "float",
    [PK_KIND_BOOL] = "bool",
    [PK_KIND_DATETIME] = "datetime",
    [PK_KIND_DATETIME_LOCAL] = "datetime-local",
    [PK_KIND_DATE_LOCAL] = "date-local",
    [PK_KIND_TIME_LOCAL] = "time-local",
};

/* Whether a key anywhere under v holds a NUL byte (jansson refuses them in
 * object keys, so such a document is not compared). */
static int nul_key(const pk_value *v)
{
  size_t n = pk_value_kind(v) == PK_KIND_TABLE   ? pk_table_count(v)
             : pk_value_kind(v) == PK_KIND_ARRAY ? pk_array_count(v)
                                                 : 0;
  for (size_t i = 0; i < n; i++) {
    if (pk_value_kind(v) == PK_KIND_ARRAY) {
      if (nul_key(pk_array_at(v, i)))
        return 1;
      continue;
    }
    size_t len;
    const char *key = pk_table_key_at(v, i, &len);
    if (strlen(key) != len || nul_key(pk_table_value_at(v, i)))
      return 1;
  }
  return 0;
}

static void same_datetime(const pk_datetime *a, const char *text)
{
  char doc[128];
  int n = snprintf(doc, sizeof doc, "x = %s\n", text);
  CHECK(n > 0 && (size_t)n < sizeof doc);
  pk_doc *d;
  pk_error err;
  CHECK(pk_doc_parse(doc, (size_t)n, "dt", NULL, &d, &err) == PK_OK);
  pk_datetime b;
  CHECK(pk_value_get_datetime(pk_table_get(pk_doc_root(d), "x"), &b, &err) ==
        PK_OK);
  CHECK(a->kind == b.kind && a->year == b.year && a->month == b.month &&
        a->day == b.day && a->hour == b.hour && a->minute == b.minute &&
        a->second == b.second && a->nanosecond == b.nanosecond &&
        a->offset_minutes == b.offset_minutes);
  pk_doc_free(d);
}

static void same(const pk_value *v, const json_t *j)
{
  pk_kind k = pk_value_kind(v);
  if (k == PK_KIND_TABLE) {
    CHECK(json_is_object(j) && json_object_size(j) == pk_table_count(v));
    const char *jkey;
    json_t *jv;
    size_t i = 0;
    json_object_foreach((json_t *)j, jkey, jv)
    { /* jansson keeps the order */
      size_t len;
      const char *key = pk_table_key_at(v, i, &len);
      CHECK(!strcmp(key, jkey));
      same(pk_table_value_at(v, i++), jv);
    }
    return;
  }
  if (k == PK_KIND_ARRAY) {
    CHECK(json_is_array(j) && json_array_size(j) == pk_array_count(v));
    for (size_t i = 0; i < pk_array_count(v); i++)
      same(pk_array_at(v, i), json_array_get(j, i));
    return;
  }
  CHECK(json_is_object(j) && json_object_size(j) == 2);
  const json_t *type = json_object_get(j, "type");
  const json_t *value = json_object_get(j, "value");
  CHECK(json_is_string(type) && json_is_string(value));
  CHECK(k < sizeof tags / sizeof *tags && tags[k]);
  CHECK(!strcmp(json_string_value(type), tags[k]));
  const char *text = json_string_value(value);
  size_t tlen = json_string_length(value);
  switch (k) {
  case PK_KIND_STRING: {
    const char *s;
    size_t len;
    CHECK(pk_value_get_string(v, &s, &len, NULL) == PK_OK);
    CHECK(tlen == len && !memcmp(s, text, len));
    break;
  }
  case PK_KIND_INTEGER: {
    int64_t x;
    char buf[32];
    CHECK(pk_value_get_integer(v, &x, NULL) == PK_OK);
    snprintf(buf, sizeof buf, "%lld", (long long)x);
    CHECK(!strcmp(buf, text));
    break;
  }
  case PK_KIND_FLOAT: {
    double x;
    CHECK(pk_value_get_float(v, &x, NULL) == PK_OK);
    double y = strtod(text, NULL);
    CHECK(isnan(x) ? isnan(y) : x == y && signbit(x) == signbit(y));
    break;
  }
  case PK_KIND_BOOL: {
    bool b;
    CHECK(pk_value_get_bool(v, &b, NULL) == PK_OK);
    CHECK(!strcmp(text, b ? "true" : "false"));
    break;
  }
  default: {
    pk_datetime dt;
    CHECK(pk_value_get_datetime(v, &dt, NULL) == PK_OK);
    same_datetime(&dt, text);
    break;
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static FILE *quiet;
  if (!quiet)
    CHECK((quiet = fopen("/dev/null", "w")) != NULL);
  char *path = (char *)fuzz_path("in.toml");
  fuzz_write(path, data, size);
  static const struct {
    const char *arg;
    pk_toml_version v;
  } versions[] = {{"1.0.0", PK_TOML_1_0}, {"1.1.0", PK_TOML_1_1}};
  for (size_t i = 0; i < 2; i++) {
    char *out = NULL;
    size_t olen = 0;
    FILE *saved_out = stdout, *saved_err = stderr;
    stdout = open_memstream(&out, &olen);
    CHECK(stdout);
    stderr = quiet;
    char a0[] = "plugkit", a1[] = "toml", a3[] = "--toml-version", a4[8];
    snprintf(a4, sizeof a4, "%s", versions[i].arg);
    char *argv[] = {a0, a1, path, a3, a4, NULL};
    int rc = plugkit_cli_main(5, argv);
    fclose(stdout);
    stdout = saved_out;
    stderr = saved_err;

    pk_doc_options opts = {.size = sizeof opts, .version = versions[i].v};
    pk_doc *doc;
    pk_error err;
    pk_status st =
        pk_doc_parse((const char *)data, size, path, &opts, &doc, &err);
    CHECK(rc == (st == PK_OK ? 0 : 1));
    if (st == PK_OK) {
      CHECK(olen > 0 && out[olen - 1] == '\n');
      if (!nul_key(pk_doc_root(doc))) {
        json_error_t jerr;
        json_t *j = json_loadb(out, olen, JSON_ALLOW_NUL, &jerr);
        if (!j)
          fprintf(stderr, "not JSON: %s at %d:%d\n", jerr.text, jerr.line,
                  jerr.column);
        CHECK(j);
        same(pk_doc_root(doc), j);
        json_decref(j);
      }
      pk_doc_free(doc);
    } else {
      CHECK(olen == 0);
    }
    free(out);
  }
  return 0;
}
