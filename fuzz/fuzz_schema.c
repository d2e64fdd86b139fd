/* fuzz_schema.c -- libFuzzer target: any TOML as a field schema (its
 * "schema" table, else the root) and as a config decoded by it (its
 * "config" table, else the root); every string also goes through
 * pk_format.  Checks the invariants of configs and diagnostics.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include <plugkit.h>

#include "fuzz.h"

static void format_strings(const pk_ctx *ctx, const pk_value *v, int depth)
{
  pk_kind k = pk_value_kind(v);
  if (depth > 8)
    return;
  if (k == PK_KIND_STRING) {
    const char *s;
    size_t len;
    char *out = NULL;
    pk_error err;
    pk_value_get_string(v, &s, &len, NULL);
    pk_status st =
        pk_format(ctx, s, len, pk_value_get_pos(v), &out, NULL, &err);
    CHECK((st == PK_OK) == (out != NULL));
    CHECK(st == PK_OK || err.code == st);
    pk_string_free(out);
  } else if (k == PK_KIND_TABLE) {
    for (size_t i = 0; i < pk_table_count(v); i++)
      format_strings(ctx, pk_table_value_at(v, i), depth + 1);
  } else if (k == PK_KIND_ARRAY) {
    for (size_t i = 0; i < pk_array_count(v); i++)
      format_strings(ctx, pk_array_at(v, i), depth + 1);
  }
}

/* Reads every field back through the typed getters. */
static void read_config(const pk_config *c, int depth)
{
  const pk_schema *s = pk_config_get_schema(c);
  char *json = NULL;
  CHECK(pk_config_to_json(c, &json, NULL, NULL) == PK_OK);
  CHECK(json && json[0] == '{');
  pk_string_free(json);
  for (size_t i = 0; i < pk_schema_field_count(s); i++) {
    const pk_field *f = pk_schema_field_at(s, i);
    const char *name = pk_field_get_name(f);
    pk_origin o = pk_config_get_origin(c, name);
    pk_status st = PK_OK;
    const char *str;
    int64_t n;
    double x;
    bool b;
    pk_datetime dt;
    size_t idx;
    const pk_value *arr;
    const pk_config *sub;
    CHECK(pk_schema_find_field(s, name) == f);
    switch (pk_field_get_type(f)) {
    case PK_FIELD_STRING:
      st = pk_config_get_string(c, name, &str, NULL, NULL);
      break;
    case PK_FIELD_INTEGER:
      st = pk_config_get_integer(c, name, &n, NULL);
      break;
    case PK_FIELD_FLOAT:
      st = pk_config_get_float(c, name, &x, NULL);
      break;
    case PK_FIELD_BOOL:
      st = pk_config_get_bool(c, name, &b, NULL);
      break;
    case PK_FIELD_DATETIME:
      st = pk_config_get_datetime(c, name, &dt, NULL);
      break;
    case PK_FIELD_ENUM:
      st = pk_config_get_enum(c, name, &idx, NULL);
      CHECK(st != PK_OK || idx < pk_field_choice_count(f));
      break;
    case PK_FIELD_ARRAY:
      st = pk_config_get_array(c, name, &arr, NULL);
      break;
    case PK_FIELD_TABLE:
      st = pk_config_get_table(c, name, &sub, NULL);
      if (st == PK_OK && depth < 8)
        read_config(sub, depth + 1);
      break;
    }
    CHECK(st == (o == PK_ORIGIN_UNSET ? PK_EMISSING : PK_OK));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pk_doc *doc;
  pk_schema *s = NULL;
  pk_diag *diag = NULL;
  pk_ctx *ctx = NULL;
  pk_config *c = NULL;
  pk_error err;
  if (pk_doc_parse((const char *)data, size, "fuzz.toml", NULL, &doc, NULL) !=
      PK_OK)
    return 0;
  const pk_value *root = pk_doc_root(doc);
  const pk_value *st = pk_table_get(root, "schema");
  const pk_value *ct = pk_table_get(root, "config");
  pk_ctx_options co = {.size = sizeof co, .ignore_env = true};
  CHECK(pk_ctx_new(&co, &ctx, NULL) == PK_OK);
  CHECK(pk_ctx_set(ctx, "a", "A", NULL) == PK_OK);
  CHECK(pk_ctx_set(ctx, "qik.workers", "4", NULL) == PK_OK);
  format_strings(ctx, root, 0);
  if (pk_schema_new(st ? st : root, NULL, &s, &err) == PK_OK) {
    pk_decode_options o = {.size = sizeof o, .ctx = ctx};
    CHECK(pk_diag_new(NULL, &diag, NULL) == PK_OK);
    pk_status r = pk_schema_decode(s, ct ? ct : root, &o, &c, diag, &err);
    if (r == PK_OK) {
      CHECK(c && pk_diag_count(diag) == 0);
      read_config(c, 0);
    } else {
      CHECK(!c && pk_diag_count(diag) > 0);
      CHECK(pk_diag_at(diag, 0)->code == r && err.code == r);
    }
    pk_config_free(c);
    pk_diag_free(diag);
  } else {
    CHECK(!s && (err.code == PK_ECONFIG || err.code == PK_ENOMEM));
  }
  pk_schema_free(s);
  pk_ctx_free(ctx);
  pk_doc_free(doc);
  return 0;
}
