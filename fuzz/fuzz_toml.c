/* fuzz_toml.c -- libFuzzer target: parse any bytes as TOML 1.0 and 1.1 and
 * walk the whole tree, checking the reader's invariants.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include <plugkit.h>

#include "fuzz.h"

static void check_pos(pk_pos p)
{
  CHECK(p.source && p.line >= 1 && p.col >= 1);
}

/* Recursion is bounded by the reader's nesting limit. */
static void walk(const pk_value *v, int depth)
{
  pk_kind k = pk_value_kind(v);
  pk_error err;
  size_t i, n;
  CHECK(depth <= 200);
  check_pos(pk_value_get_pos(v));
  CHECK(strcmp(pk_kind_name(k), "unknown") != 0);
  switch (k) {
  case PK_KIND_TABLE:
    n = pk_table_count(v);
    for (i = 0; i < n; i++) {
      size_t len;
      const char *key = pk_table_key_at(v, i, &len);
      const pk_value *child = pk_table_value_at(v, i);
      CHECK(key && child && key[len] == '\0');
      check_pos(pk_table_key_pos_at(v, i));
      CHECK(pk_table_getn(v, key, len) == child); /* keys are unique */
      walk(child, depth + 1);
    }
    CHECK(pk_table_key_at(v, n, NULL) == NULL);
    CHECK(pk_table_getn(v, "\xff\xfe", 2) == NULL); /* never valid UTF-8 */
    break;
  case PK_KIND_ARRAY:
    n = pk_array_count(v);
    for (i = 0; i < n; i++)
      walk(pk_array_at(v, i), depth + 1);
    CHECK(pk_array_at(v, n) == NULL);
    break;
  case PK_KIND_STRING: {
    const char *s;
    size_t len;
    CHECK(pk_value_get_string(v, &s, &len, &err) == PK_OK && s[len] == '\0');
    break;
  }
  case PK_KIND_INTEGER: {
    int64_t x;
    CHECK(pk_value_get_integer(v, &x, &err) == PK_OK);
    CHECK(pk_value_get_float(v, NULL, &err) == PK_ETYPE);
    break;
  }
  case PK_KIND_FLOAT: {
    double x;
    CHECK(pk_value_get_float(v, &x, &err) == PK_OK);
    break;
  }
  case PK_KIND_BOOL: {
    bool b;
    CHECK(pk_value_get_bool(v, &b, &err) == PK_OK);
    break;
  }
  default: {
    pk_datetime dt;
    CHECK(pk_value_get_datetime(v, &dt, &err) == PK_OK && dt.kind == k);
    CHECK(dt.nanosecond >= 0 && dt.nanosecond <= 999999999);
    CHECK(dt.precision >= 0 && dt.precision <= 9);
    break;
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const pk_toml_version versions[] = {PK_TOML_1_0, PK_TOML_1_1};
  size_t i;
  for (i = 0; i < 2; i++) {
    pk_doc_options opts = {.size = sizeof opts, .version = versions[i]};
    pk_doc *doc = (pk_doc *)1;
    pk_error err;
    pk_status st = pk_doc_parse((const char *)data, size, "fuzz.toml", &opts,
                                &doc, &err);
    if (st != PK_OK) {
      CHECK(doc == NULL && err.code == st);
      CHECK(st == PK_ESYNTAX || st == PK_ERANGE || st == PK_ENOMEM);
      if (st != PK_ENOMEM)
        CHECK(err.line >= 1 && err.col >= 1 && err.message[0]);
      continue;
    }
    walk(pk_doc_root(doc), 0);
    pk_doc_free(doc);
  }
  return 0;
}
