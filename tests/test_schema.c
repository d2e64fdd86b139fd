/* test_schema.c -- config schemas (issue 4, points 3 and 6): schema checks,
 * decoding with every problem reported, getters, UNSET, struct binding,
 * coalesce, canonical JSON, out-of-memory injection.  Real TOML text goes
 * through pk_doc_parse; positions are asserted exactly.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugkit.h>

#include "counting_alloc.h"
#include "base.h"

/* ---- helpers ---- */

static pk_doc *parse(const char *name, const char *text)
{
  pk_doc *doc = NULL;
  pk_error err;
  pk_status st = pk_doc_parse(text, strlen(text), name, NULL, &doc, &err);
  cr_assert_eq(st, PK_OK, "%s:%d:%d: %s", name, err.line, err.col,
               err.message);
  return doc;
}

/* The table at dotted path key of doc's root ("" or NULL: the root). */
static const pk_value *table_at(const pk_doc *doc, const char *path)
{
  const pk_value *t = pk_doc_root(doc);
  char buf[256], *save = NULL;
  if (!path || !*path)
    return t;
  snprintf(buf, sizeof buf, "%s", path);
  for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
    t = pk_table_get(t, k);
  cr_assert_not_null(t, "no table %s", path);
  return t;
}

static pk_schema *schema_from(const pk_doc *doc, const char *path)
{
  pk_schema *s = NULL;
  pk_error err;
  pk_status st = pk_schema_new(table_at(doc, path), NULL, &s, &err);
  cr_assert_eq(st, PK_OK, "%s:%d:%d: %s", err.source, err.line, err.col,
               err.message);
  return s;
}

static void assert_error(const pk_error *e, pk_status code, const char *source,
                         int line, int col, const char *message)
{
  cr_assert_not_null(e);
  cr_assert_eq(e->code, code, "code %s, expected %s (%s)",
               pk_status_name(e->code), pk_status_name(code), e->message);
  cr_assert_str_eq(e->source, source, "source of: %s", e->message);
  cr_assert_eq(e->line, line, "line %d, expected %d: %s", e->line, line,
               e->message);
  cr_assert_eq(e->col, col, "col %d, expected %d: %s", e->col, col,
               e->message);
  cr_assert_str_eq(e->message, message);
}

/* A schema failure: the text is a whole schema document (its root). */
static void assert_schema_error(const char *text, int line, int col,
                                const char *message)
{
  pk_doc *doc = parse("plugin.toml", text);
  pk_schema *s = (pk_schema *)1;
  pk_error err;
  pk_status st = pk_schema_new(pk_doc_root(doc), NULL, &s, &err);
  cr_assert_eq(st, PK_ECONFIG, "%s: %s", text, pk_status_name(st));
  cr_assert_null(s);
  assert_error(&err, PK_ECONFIG, "plugin.toml", line, col, message);
  pk_doc_free(doc);
}

/* The manifest example of ARCHITECTURE.md and the issue, extended. */
static const char manifest[] =
    "name = \"s3\"\n"                                                   /* 1 */
    "[config]\n"                                                        /* 2 */
    "region = { type = \"string\", default = \"us-east-1\", doc = "
    "\"Default region\" }\n"                                            /* 3 */
    "retries = { type = \"integer\", min = 0, max = 10, default = 3 }\n" /* 4 */
    "ratio = { type = \"float\", min = 0.0, max = 1.0, optional = true }\n"
    "verbose = { type = \"boolean\", default = false }\n"               /* 6 */
    "when = { type = \"datetime\", optional = true }\n"                 /* 7 */
    "mode = { type = \"enum\", choices = [\"fast\", \"safe\"], default = "
    "\"safe\" }\n"                                                      /* 8 */
    "tags = { type = \"array\", items = \"string\", default = [] }\n"   /* 9 */
    "endpoint-url = { type = \"string\", optional = true, format = true "
    "}\n"                                                              /* 10 */
    "bucket = { type = \"string\" }\n"                                 /* 11 */
    "[config.limits]\n"                                                /* 12 */
    "type = \"table\"\n"                                               /* 13 */
    "fields = { read = { type = \"integer\", default = 0 }, write = { "
    "type = \"integer\", optional = true } }\n";                        /* 14 */

static pk_doc *manifest_doc(void) { return parse("plugin.toml", manifest); }

/* Decodes text (named host.toml) at path by s; asserts success. */
static pk_config *decode_ok(const pk_schema *s, pk_doc **doc, const char *text,
                            const char *path, const pk_decode_options *o)
{
  pk_config *c = NULL;
  pk_error err;
  *doc = parse("host.toml", text);
  pk_status st = pk_schema_decode(s, table_at(*doc, path), o, &c, NULL, &err);
  cr_assert_eq(st, PK_OK, "%s:%d:%d: %s", err.source, err.line, err.col,
               err.message);
  cr_assert_not_null(c);
  return c;
}

/* ---- schemas ---- */

TestSuite(schema);

Test(schema, the_manifest_example_parses_with_every_property)
{
  pk_doc *doc = manifest_doc();
  pk_schema *s = schema_from(doc, "config");
  static const char *const names[] = {"region", "retries",      "ratio",
                                      "verbose", "when",        "mode",
                                      "tags",   "endpoint-url", "bucket",
                                      "limits"};
  static const pk_field_type types[] = {
      PK_FIELD_STRING, PK_FIELD_INTEGER, PK_FIELD_FLOAT, PK_FIELD_BOOL,
      PK_FIELD_DATETIME, PK_FIELD_ENUM, PK_FIELD_ARRAY, PK_FIELD_STRING,
      PK_FIELD_STRING, PK_FIELD_TABLE};
  static const int lines[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  cr_assert_eq(pk_schema_field_count(s), 10);
  for (size_t i = 0; i < 10; i++) {
    const pk_field *f = pk_schema_field_at(s, i);
    cr_assert_str_eq(pk_field_get_name(f), names[i]);
    cr_assert_eq(pk_field_get_type(f), types[i], "%s", names[i]);
    cr_assert_eq(pk_schema_find_field(s, names[i]), f);
    pk_pos p = pk_field_get_pos(f);
    cr_assert_str_eq(p.source, "plugin.toml");
    cr_assert_eq(p.line, lines[i], "%s", names[i]);
    cr_assert_eq(p.col, i == 9 ? 9 : 1, "%s: %d", names[i], p.col);
  }
  cr_assert_null(pk_schema_field_at(s, 10));
  cr_assert_null(pk_schema_find_field(s, "cache_when"));
  cr_assert_eq(pk_schema_get_pos(s).line, 2);

  const pk_field *region = pk_schema_find_field(s, "region");
  cr_assert_str_eq(pk_field_get_doc(region), "Default region");
  cr_assert_eq(pk_value_kind(pk_field_get_default(region)), PK_KIND_STRING);
  cr_assert_eq(pk_value_get_pos(pk_field_get_default(region)).col, 39);
  cr_assert_not(pk_field_is_required(region));
  cr_assert_not(pk_field_is_optional(region));

  const pk_field *retries = pk_schema_find_field(s, "retries");
  int64_t lo, hi;
  cr_assert_eq(pk_value_get_integer(pk_field_get_min(retries), &lo, NULL), 0);
  cr_assert_eq(pk_value_get_integer(pk_field_get_max(retries), &hi, NULL), 0);
  cr_assert_eq(lo, 0);
  cr_assert_eq(hi, 10);
  cr_assert_str_eq(pk_field_get_doc(retries), "");
  cr_assert_null(pk_field_get_min(region));

  cr_assert(pk_field_is_optional(pk_schema_find_field(s, "ratio")));
  cr_assert(pk_field_is_format(pk_schema_find_field(s, "endpoint-url")));
  cr_assert(pk_field_is_required(pk_schema_find_field(s, "bucket")));

  const pk_field *mode = pk_schema_find_field(s, "mode");
  cr_assert_eq(pk_field_choice_count(mode), 2);
  cr_assert_str_eq(pk_field_choice_at(mode, 0), "fast");
  cr_assert_str_eq(pk_field_choice_at(mode, 1), "safe");
  cr_assert_null(pk_field_choice_at(mode, 2));

  cr_assert_eq(pk_field_get_items(pk_schema_find_field(s, "tags")),
               PK_FIELD_STRING);

  const pk_field *limits = pk_schema_find_field(s, "limits");
  const pk_schema *sub = pk_field_get_fields(limits);
  cr_assert_not_null(sub);
  cr_assert_eq(pk_schema_field_count(sub), 2);
  cr_assert_str_eq(pk_field_get_name(pk_schema_field_at(sub, 1)), "write");
  cr_assert_eq(pk_field_get_pos(pk_schema_field_at(sub, 1)).line, 14);
  cr_assert_eq(pk_field_get_pos(pk_schema_field_at(sub, 1)).col, 54);
  /* A table field without required = true is decoded from {} when absent. */
  cr_assert_not(pk_field_is_required(limits));
  cr_assert_null(pk_field_get_fields(region));

  cr_assert_str_eq(pk_field_type_name(PK_FIELD_BOOL), "boolean");
  cr_assert_str_eq(pk_field_type_name((pk_field_type)99), "unknown");
  pk_schema_free(s);
  pk_doc_free(doc);
}

Test(schema, an_empty_schema_is_valid)
{
  pk_doc *doc = parse("plugin.toml", "[config]\n");
  pk_schema *s = schema_from(doc, "config");
  cr_assert_eq(pk_schema_field_count(s), 0);
  pk_schema_free(s);
  pk_doc_free(doc);
}

Test(schema, unknown_property_suggests_the_closest)
{
  assert_schema_error("a = { type = \"string\", defualt = \"x\" }\n", 1, 24,
                      "unknown property \"defualt\" of field \"a\" (did you "
                      "mean \"default\"?)");
  /* a property name holding a NUL byte is not the property before it */
  assert_schema_error("a = { type = \"string\", \"doc\\u0000x\" = \"d\" }\n",
                      1, 24,
                      "unknown property \"doc\\u0000...\" of field \"a\": "
                      "property names hold no NUL byte");
  assert_schema_error("a = { type = \"string\", colour = 1 }\n", 1, 24,
                      "unknown property \"colour\" of field \"a\" (known "
                      "properties: type, required, default, optional, doc, "
                      "min, max, choices, items, fields, format)");
}

Test(schema, unknown_type_lists_the_valid_ones)
{
  assert_schema_error("a = { type = \"strng\" }\n", 1, 14,
                      "unknown type \"strng\" for field \"a\" (did you mean "
                      "\"string\"? valid types: string, integer, float, "
                      "boolean, datetime, enum, array, table)");
  assert_schema_error("\n[b]\ntype = \"int\"\n", 3, 8,
                      "unknown type \"int\" for field \"b\" (valid types: "
                      "string, integer, float, boolean, datetime, enum, "
                      "array, table)");
  assert_schema_error("a = { doc = \"x\" }\n", 1, 1,
                      "field \"a\" has no type: add type = \"...\" (one of "
                      "string, integer, float, boolean, datetime, enum, "
                      "array, table)");
  assert_schema_error("a = { type = 1 }\n", 1, 14,
                      "field \"a\": type must be a string (one of string, "
                      "integer, float, boolean, datetime, enum, array, "
                      "table), found an integer");
}

Test(schema, a_default_must_decode_by_its_own_field)
{
  assert_schema_error("a = { type = \"integer\", default = \"3\" }\n", 1, 35,
                      "invalid default: field \"a\": expected an integer, "
                      "found a string (write it as a whole number: a = 3)");
  assert_schema_error(
      "a = { type = \"integer\", min = 0, max = 5, default = 7 }\n", 1, 53,
      "invalid default: a = 7 is above the maximum 5");
  assert_schema_error("r = { type = \"float\", default = 1 }\n", 1, 33,
                      "invalid default: field \"r\": expected a float, found "
                      "an integer (write it with a decimal point, e.g. 1.0)");
  assert_schema_error(
      "m = { type = \"enum\", choices = [\"a\", \"b\"], default = \"c\" }\n",
      1, 54,
      "invalid default: field \"m\": \"c\" is not one of \"a\", \"b\" (did "
      "you mean \"a\"?)");
  assert_schema_error(
      "tags = { type = \"array\", items = \"string\", default = [\"x\", 1] "
      "}\n",
      1, 60,
      "invalid default: field \"tags[1]\": expected a string, found an "
      "integer (write it as a string: \"1\")");
  assert_schema_error("s = { type = \"string\", default = [\"x\"] }\n", 1, 34,
                      "invalid default: field \"s\": expected a string, found "
                      "an array (write it as a string: s = \"...\")");
}

Test(schema, bounds_choices_items_and_fields_are_checked)
{
  assert_schema_error("a = { type = \"integer\", min = 5, max = 3 }\n", 1, 34,
                      "field \"a\": min 5 is above max 3");
  assert_schema_error("a = { type = \"float\", min = 0.5, max = 0.25 }\n", 1,
                      34, "field \"a\": min 0.5 is above max 0.25");
  assert_schema_error("a = { type = \"integer\", min = 0.5 }\n", 1, 31,
                      "field \"a\": min of an integer field must be an "
                      "integer, found a float");
  assert_schema_error("a = { type = \"string\", min = 1 }\n", 1, 24,
                      "field \"a\" is a string: \"min\" applies only to "
                      "integer and float fields");
  assert_schema_error("a = { type = \"integer\", format = true }\n", 1, 25,
                      "field \"a\" is an integer: \"format\" applies only to "
                      "string fields");
  assert_schema_error("m = { type = \"enum\", choices = [] }\n", 1, 32,
                      "field \"m\": choices is empty: list the allowed values");
  assert_schema_error("m = { type = \"enum\", choices = [\"a\", \"a\"] }\n", 1,
                      38, "field \"m\": choice \"a\" is listed twice");
  assert_schema_error("m = { type = \"enum\", choices = [\"a\", 2] }\n", 1, 38,
                      "field \"m\": choices must be strings, found an integer");
  assert_schema_error("m = { type = \"enum\" }\n", 1, 1,
                      "enum field \"m\" needs choices = [\"...\", ...]");
  assert_schema_error("t = { type = \"array\" }\n", 1, 1,
                      "array field \"t\" needs items = \"TYPE\" (string, "
                      "integer, float, boolean or datetime)");
  assert_schema_error("t = { type = \"array\", items = \"strin\" }\n", 1, 31,
                      "field \"t\": unknown item type \"strin\" (did you mean "
                      "\"string\"?) (items are one of string, integer, float, "
                      "boolean, datetime)");
  assert_schema_error("t = { type = \"table\" }\n", 1, 1,
                      "table field \"t\" needs fields = { NAME = { type = ... "
                      "}, ... }");
  assert_schema_error("t = { type = \"table\", fields = {}, default = {} }\n",
                      1, 36,
                      "field \"t\" is a table: \"default\" does not apply to "
                      "table fields: give the table's fields defaults "
                      "instead");
  assert_schema_error(
      "t = { type = \"table\", fields = { x = { type = \"int\" } } }\n", 1,
      47,
      "unknown type \"int\" for field \"t.x\" (valid types: string, integer, "
      "float, boolean, datetime, enum, array, table)");
  assert_schema_error("a = { type = \"string\", doc = 5 }\n", 1, 30,
                      "field \"a\": doc must be a string, found an integer");
  /* type is read first, here from the second batch of the properties */
  assert_schema_error("a = { p1 = 1, p2 = 1, p3 = 1, p4 = 1, p5 = 1, p6 = 1, "
                      "p7 = 1, p8 = 1, p9 = 1, p10 = 1, p11 = 1, p12 = 1, "
                      "p13 = 1, p14 = 1, p15 = 1, p16 = 1, "
                      "type = \"strng\" }\n", 1, 149,
                      "unknown type \"strng\" for field \"a\" (did you mean "
                      "\"string\"? valid types: string, integer, float, "
                      "boolean, datetime, enum, array, table)");
  assert_schema_error("a = { p1 = 1, p2 = 1, p3 = 1, p4 = 1, p5 = 1, p6 = 1, "
                      "p7 = 1, p8 = 1, p9 = 1, p10 = 1, p11 = 1, p12 = 1, "
                      "p13 = 1, p14 = 1, p15 = 1, p16 = 1, "
                      "type = \"string\" }\n", 1, 7,
                      "unknown property \"p1\" of field \"a\" (known "
                      "properties: type, required, default, optional, doc, "
                      "min, max, choices, items, fields, format)");
  assert_schema_error("a = { type = \"string\", optional = \"yes\" }\n", 1, 35,
                      "field \"a\": optional must be true or false, found a "
                      "string");
}

Test(schema, required_optional_and_default_must_agree)
{
  assert_schema_error(
      "a = { type = \"string\", required = true, default = \"x\" }\n", 1, 24,
      "field \"a\" has a default, so it is never missing: drop required = "
      "true");
  assert_schema_error(
      "a = { type = \"string\", default = \"x\", optional = true }\n", 1, 39,
      "field \"a\" has a default, so it is never unset: drop optional = "
      "true");
  assert_schema_error(
      "a = { type = \"string\", required = true, optional = true }\n", 1, 41,
      "field \"a\" cannot be both required and optional");
}

Test(schema, fields_are_tables_with_valid_names)
{
  assert_schema_error("a = \"string\"\n", 1, 5,
                      "field \"a\" must be a table such as { type = "
                      "\"string\" }, found a string");
  assert_schema_error("\"a b\" = { type = \"string\" }\n", 1, 1,
                      "invalid field name \"a b\": use 1 to 127 letters, "
                      "digits, '-' or '_'");
}

Test(schema, required_false_means_optional_and_float_bounds_take_integers)
{
  pk_doc *doc = parse("plugin.toml",
                      "a = { type = \"string\", required = false }\n"
                      "r = { type = \"float\", min = 0, max = 1 }\n");
  pk_schema *s = schema_from(doc, NULL);
  cr_assert(pk_field_is_optional(pk_schema_find_field(s, "a")));
  cr_assert_not(pk_field_is_required(pk_schema_find_field(s, "a")));
  cr_assert(pk_field_is_required(pk_schema_find_field(s, "r")));
  pk_schema_free(s);
  pk_doc_free(doc);
}

Test(schema, misuse)
{
  pk_schema *s = (pk_schema *)1;
  pk_error err;
  pk_schema_options bad = {0};
  pk_doc *doc = parse("plugin.toml", "a = 1\n");
  cr_assert_eq(pk_schema_new(NULL, NULL, &s, &err), PK_EMISUSE);
  cr_assert_null(s);
  cr_assert_eq(pk_schema_new(pk_doc_root(doc), NULL, NULL, &err), PK_EMISUSE);
  cr_assert_eq(pk_schema_new(pk_doc_root(doc), &bad, &s, &err), PK_EMISUSE);
  /* A schema must be a table of fields. */
  cr_assert_eq(pk_schema_new(pk_table_get(pk_doc_root(doc), "a"), NULL, &s,
                             &err),
               PK_ECONFIG);
  assert_error(&err, PK_ECONFIG, "plugin.toml", 1, 5,
               "a schema must be a table of fields, found an integer");
  pk_schema_free(NULL);
  pk_doc_free(doc);
}

/* A manifest with a bad schema is broken at discovery, with the position. */
static void assert_broken_manifest(const char *text, int line, int col,
                                   const char *message)
{
  pk_host *host;
  pk_error err;
  cr_assert_eq(pk_host_new(NULL, &host, &err), PK_OK);
  cr_assert_eq(pk_host_add_builtin(host, NULL, text, &err), PK_OK);
  cr_assert_eq(pk_host_discover(host, &err), PK_OK, "%s", err.message);
  cr_assert_eq(pk_host_plugin_count(host), 1);
  pk_plugin *p = pk_host_plugin_at(host, 0);
  cr_assert_eq(pk_plugin_get_state(p), PK_STATE_BROKEN);
  assert_error(pk_plugin_get_error(p), PK_EMANIFEST, "builtin:1", line, col,
               message);
  pk_host_free(host);
}

Test(schema, manifests_are_checked_at_discovery)
{
  assert_broken_manifest("name = \"s3\"\nnamespace = \"runner\"\n"
                         "version = \"1.0.0\"\n"
                         "[config]\n"
                         "region = { type = \"string\", defualt = \"x\" }\n",
                         5, 29,
                         "unknown property \"defualt\" of field \"region\" "
                         "(did you mean \"default\"?)");
  assert_broken_manifest("name = \"s3\"\nnamespace = \"runner\"\n"
                         "version = \"1.0.0\"\n"
                         "[[provides]]\nkind = \"cache\"\ntag = \"s3\"\n"
                         "[provides.config]\n"
                         "bucket = { type = \"string\", required = 1 }\n",
                         8, 40,
                         "field \"bucket\": required must be true or false, "
                         "found an integer");
  assert_broken_manifest("name = \"s3\"\nnamespace = \"runner\"\n"
                         "version = \"1.0.0\"\n"
                         "config = 3\n",
                         4, 10,
                         "key \"config\": expected a table, found an "
                         "integer (write it as a table: [config])");
}

/* The check at discovery keeps no field, so it computes a field name's
 * position only for a message: the errors placed at a field's name (also
 * one nested in a table field, and one of ten properties) report the same file:line:col as pk_schema_new. */
Test(schema, errors_at_a_field_name_have_its_position_at_discovery)
{
  static const char head[] = "name = \"s3\"\nnamespace = \"runner\"\n"
                             "version = \"1.0.0\"\n[[provides]]\n"
                             "kind = \"cache\"\ntag = \"s3\"\n"
                             "[provides.config]\n";
  static const struct {
    const char *schema;
    int line, col;
    const char *message;
  } cases[] = {
      {"ok = { type = \"string\" }\n  nt = { doc = \"x\" }\n", 9, 3,
       "field \"nt\" has no type: add type = \"...\" (one of string, "
       "integer, float, boolean, datetime, enum, array, table)"},
      {"\"a b\" = { type = \"string\" }\n", 8, 1,
       "invalid field name \"a b\": use 1 to 127 letters, digits, '-' or "
       "'_'"},
      {"m = { doc = \"d\", type = \"enum\" }\n", 8, 1,
       "enum field \"m\" needs choices = [\"...\", ...]"},
      {"t = { type = \"table\", fields = {\n a = { type = \"integer\" },\n"
       "   l = { type = \"array\" } } }\n",
       10, 4,
       "array field \"t.l\" needs items = \"TYPE\" (string, integer, float, "
       "boolean or datetime)"},
      {"x = { doc = \"d\", required = true, min = 1, max = 2, format = 1, "
       "optional = false, items = 1, choices = [], type = \"integer\", "
       "default = 1 }\n",
       8, 53,
       "field \"x\" is an integer: \"format\" applies only to string "
       "fields"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[1024];
    snprintf(text, sizeof text, "%s%s", head, cases[i].schema);
    assert_broken_manifest(text, cases[i].line, cases[i].col, cases[i].message);
    /* the same error from the schema built on its own */
    pk_doc *doc = parse("builtin:1", text);
    const pk_value *cfg = pk_table_get(
        pk_array_at(pk_table_get(pk_doc_root(doc), "provides"), 0), "config");
    pk_schema *s = NULL;
    pk_error err;
    cr_assert_eq(pk_schema_new(cfg, NULL, &s, &err), PK_ECONFIG, "%zu", i);
    assert_error(&err, PK_ECONFIG, "builtin:1", cases[i].line, cases[i].col,
                 cases[i].message);
    pk_doc_free(doc);
  }
}

/* ---- decoding ---- */

TestSuite(decode);

static const char bad_config[] =
    "[plugins.s3]\n"                /* 1 */
    "regoin = \"x\"\n"              /* 2: unknown, suggestion */
    "retries = \"3\"\n"             /* 3: wrong type */
    "ratio = 1.5\n"                 /* 4: above the maximum */
    "mode = \"fats\"\n"             /* 5: not a choice */
    "tags = [\"a\", 2]\n"           /* 6: item of the wrong type */
    "endpoint-url = [\"x\"]\n"      /* 7: array given to a scalar (FIX 44) */
    "when = 1979-05-27\n"           /* 8: fine: a local date */
    "plugin = \"a:b\"\n"            /* 9: skipped: the caller's key */
    "limits = { raed = 1 }\n"       /* 10: nested unknown */
    "cache_when = \"x\"\n";         /* 11: unknown, not aliased */

Test(decode, every_problem_is_reported_with_its_position)
{
  pk_doc *mdoc = manifest_doc(), *doc = parse("host.toml", bad_config);
  pk_schema *s = schema_from(mdoc, "config");
  pk_diag *diag;
  pk_config *c = (pk_config *)1;
  pk_error err;
  const char *skip[] = {"plugin"};
  pk_decode_options o = {.size = sizeof o, .skip = skip, .skip_count = 1};
  cr_assert_eq(pk_diag_new(NULL, &diag, &err), PK_OK);
  pk_status st = pk_schema_decode(s, table_at(doc, "plugins.s3"), &o, &c,
                                  diag, &err);
  cr_assert_eq(st, PK_ECONFIG);
  cr_assert_null(c);
  struct {
    pk_status code;
    int line, col;
    const char *message;
  } want[] = {
      {PK_ECONFIG, 2, 1, "unknown field \"regoin\" (did you mean \"region\"?)"},
      {PK_ETYPE, 3, 11,
       "field \"retries\": expected an integer, found a string (write it "
       "as a whole number: retries = 3)"},
      {PK_ERANGE, 4, 9, "ratio = 1.5 is above the maximum 1.0"},
      {PK_ERANGE, 5, 8,
       "field \"mode\": \"fats\" is not one of \"fast\", \"safe\" (did you "
       "mean \"fast\"?)"},
      {PK_ETYPE, 6, 14, "field \"tags[1]\": expected a string, found an "
                        "integer (write it as a string: \"2\")"},
      {PK_ETYPE, 7, 16,
       "field \"endpoint-url\": expected a string, found an array (write "
       "it as a string: endpoint-url = \"...\")"},
      {PK_ECONFIG, 10, 12,
       "unknown field \"raed\" in table \"limits\" (did you mean \"read\"?)"},
      {PK_ECONFIG, 11, 1,
       "unknown field \"cache_when\" (known fields: region, retries, ratio, "
       "verbose, when, mode, tags, endpoint-url, bucket, limits)"},
      {PK_EMISSING, 1, 1, "missing required field \"bucket\""},
  };
  size_t n = sizeof want / sizeof want[0];
  cr_assert_eq(pk_diag_count(diag), n, "%zu problems",
               pk_diag_count(diag));
  for (size_t i = 0; i < n; i++)
    assert_error(pk_diag_at(diag, i), want[i].code, "host.toml", want[i].line,
                 want[i].col, want[i].message);
  cr_assert_null(pk_diag_at(diag, n));
  /* The first problem is also the call's error. */
  assert_error(&err, PK_ECONFIG, "host.toml", 2, 1,
               "unknown field \"regoin\" (did you mean \"region\"?)");
  /* A diag collects the problems of several decodes. */
  st = pk_schema_decode(s, NULL, NULL, &c, diag, &err);
  cr_assert_eq(st, PK_EMISSING);
  cr_assert_eq(pk_diag_count(diag), n + 1);
  assert_error(pk_diag_at(diag, n), PK_EMISSING, "", 0, 0,
               "missing required field \"bucket\"");
  pk_diag_free(diag);
  pk_schema_free(s);
  pk_doc_free(doc);
  pk_doc_free(mdoc);
}

Test(decode, without_a_diag_the_first_problem_stops_it)
{
  pk_doc *mdoc = manifest_doc(), *doc = parse("host.toml", bad_config);
  pk_schema *s = schema_from(mdoc, "config");
  pk_config *c;
  pk_error err;
  pk_status st =
      pk_schema_decode(s, table_at(doc, "plugins.s3"), NULL, &c, NULL, &err);
  cr_assert_eq(st, PK_ECONFIG);
  assert_error(&err, PK_ECONFIG, "host.toml", 2, 1,
               "unknown field \"regoin\" (did you mean \"region\"?)");
  pk_schema_free(s);
  pk_doc_free(doc);
  pk_doc_free(mdoc);
}

Test(decode, snake_case_is_not_an_alias_of_kebab_case)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "cache-when = { type = \"enum\", choices = [\"success\", "
                       "\"failed\", \"finished\"], default = \"success\" }\n");
  pk_doc *doc = parse("host.toml", "cache_when = \"failed\"\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_config *c;
  pk_error err;
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, NULL, &err),
               PK_ECONFIG);
  assert_error(&err, PK_ECONFIG, "host.toml", 1, 1,
               "unknown field \"cache_when\" (did you mean \"cache-when\"?)");
  pk_schema_free(s);
  pk_doc_free(doc);
  pk_doc_free(sdoc);
}

Test(decode, an_array_given_to_a_scalar_field_is_a_type_error)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "cache = { type = \"string\", optional = true }\n");
  pk_doc *doc = parse("host.toml", "cache = [\"x\"]\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_config *c;
  pk_error err;
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, NULL, &err),
               PK_ETYPE);
  assert_error(&err, PK_ETYPE, "host.toml", 1, 9,
               "field \"cache\": expected a string, found an array (write it "
               "as a string: cache = \"...\")");
  pk_schema_free(s);
  pk_doc_free(doc);
  pk_doc_free(sdoc);
}

/* A value of the wrong kind names what to write from the field's own data,
 * one hint per kind: an enum's choices (the closest first), an array of
 * the item type with the value as its element when it is one, a table in
 * place, a date-time (the string's text without quotes when it is one),
 * a float. */
Test(decode, a_wrong_kind_hints_what_to_write_for_every_field_type)
{
  pk_doc *sdoc = parse(
      "plugin.toml",
      "mode = { type = \"enum\", choices = [\"fast\", \"safe\"], "
      "optional = true }\n"
      "level = { type = \"enum\", choices = [\"low\", \"high\"], "
      "optional = true }\n"
      "tags = { type = \"array\", items = \"string\", optional = true }\n"
      "ports = { type = \"array\", items = \"integer\", optional = true }\n"
      "days = { type = \"array\", items = \"datetime\", optional = true }\n"
      "flags = { type = \"array\", items = \"boolean\", optional = true }\n"
      "at = { type = \"datetime\", optional = true }\n"
      "since = { type = \"datetime\", optional = true }\n"
      "ratio = { type = \"float\", optional = true }\n"
      "limits = { type = \"table\", optional = true, fields = { read = { "
      "type = \"integer\", optional = true } } }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_doc *doc = parse("host.toml",
                      "mode = 1\n"                  /* 1 */
                      "level = [\"hihg\"]\n"         /* 2 */
                      "tags = \"x\"\n"               /* 3 */
                      "ports = 8080\n"               /* 4 */
                      "days = [\"2024-01-02\"]\n"    /* 5 */
                      "flags = true\n"               /* 6 */
                      "at = \"2024-01-02T10:00:00Z\"\n" /* 7 */
                      "since = 3\n"                  /* 8 */
                      "ratio = \"0.5\"\n"            /* 9 */
                      "limits = 4\n");               /* 10 */
  pk_diag *diag;
  pk_config *c;
  pk_diag_new(NULL, &diag, NULL);
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, diag, NULL),
               PK_ETYPE);
  struct {
    int line, col;
    const char *message;
  } want[] = {
      {1, 8, "field \"mode\": expected one of \"fast\", \"safe\", found an "
             "integer (write it as a string: mode = \"fast\")"},
      {2, 9, "field \"level\": expected one of \"low\", \"high\", found an "
             "array (write it as a string: level = \"low\")"},
      {3, 8, "field \"tags\": expected an array of strings, found a string "
             "(write it as an array of strings: tags = [\"x\"])"},
      {4, 9, "field \"ports\": expected an array of integers, found an "
             "integer (write it as an array of integers: ports = [8080])"},
      {5, 9, "field \"days[0]\": expected a date or time, found a string "
             "(write it as an RFC 3339 date-time, without quotes: "
             "2024-01-02)"},
      {6, 9, "field \"flags\": expected an array of booleans, found a "
             "boolean (write it as an array of booleans: flags = [true])"},
      {7, 6, "field \"at\": expected a date or time, found a string (write "
             "it as an RFC 3339 date-time, without quotes: at = "
             "2024-01-02T10:00:00Z)"},
      {8, 9, "field \"since\": expected a date or time, found an integer "
             "(write it as an RFC 3339 date-time, without quotes: since = "
             "1979-05-27T07:32:00Z)"},
      {9, 9, "field \"ratio\": expected a float, found a string (write it "
             "with a decimal point: ratio = 0.5)"},
      {10, 10, "field \"limits\": expected a table, found an integer (write "
               "it as a table: limits = { ... })"},
  };
  size_t n = sizeof want / sizeof want[0];
  cr_assert_eq(pk_diag_count(diag), n, "%zu problems", pk_diag_count(diag));
  for (size_t i = 0; i < n; i++)
    assert_error(pk_diag_at(diag, i), PK_ETYPE, "host.toml", want[i].line,
                 want[i].col, want[i].message);
  pk_diag_free(diag);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

/* Array items are checked a batch at a time: a wrong item past the first
 * batch, and in the last, short one, is named by its index. */
Test(decode, array_items_past_a_batch_are_checked_by_index)
{
  pk_doc *sdoc =
      parse("plugin.toml", "tags = { type = \"array\", items = \"string\", "
                           "optional = true }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  char text[512] = "tags = [";
  for (int i = 0; i < 20; i++) /* 1 and 17 are integers */
    snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s",
             i ? ", " : "", i == 1 || i == 17 ? "7" : "\"s\"");
  strcat(text, "]\n");
  pk_doc *doc = parse("host.toml", text);
  pk_diag *diag;
  pk_config *c;
  pk_diag_new(NULL, &diag, NULL);
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, diag, NULL),
               PK_ETYPE);
  cr_assert_eq(pk_diag_count(diag), 2);
  assert_error(pk_diag_at(diag, 0), PK_ETYPE, "host.toml", 1, 14,
               "field \"tags[1]\": expected a string, found an integer "
               "(write it as a string: \"7\")");
  assert_error(pk_diag_at(diag, 1), PK_ETYPE, "host.toml", 1, 92,
               "field \"tags[17]\": expected a string, found an integer "
               "(write it as a string: \"7\")");
  /* without a diag the first stops it */
  pk_error err;
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, NULL, &err),
               PK_ETYPE);
  assert_error(&err, PK_ETYPE, "host.toml", 1, 14,
               "field \"tags[1]\": expected a string, found an integer "
               "(write it as a string: \"7\")");
  pk_diag_free(diag);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

Test(decode, integers_are_not_floats_and_below_the_minimum_is_named)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "r = { type = \"float\", min = -1, optional = true }\n"
                       "n = { type = \"integer\", min = 1, optional = true }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_diag *diag;
  pk_config *c;
  pk_doc *doc = parse("host.toml", "r = 2\nn = 0\n");
  pk_diag_new(NULL, &diag, NULL);
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, diag, NULL),
               PK_ETYPE);
  cr_assert_eq(pk_diag_count(diag), 2);
  assert_error(pk_diag_at(diag, 0), PK_ETYPE, "host.toml", 1, 5,
               "field \"r\": expected a float, found an integer (write it "
               "with a decimal point, e.g. 1.0)");
  assert_error(pk_diag_at(diag, 1), PK_ERANGE, "host.toml", 2, 5,
               "n = 0 is below the minimum 1");
  pk_doc_free(doc);
  pk_diag_clear(diag);
  doc = parse("host.toml", "r = nan\n");
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, diag, NULL),
               PK_ERANGE);
  assert_error(pk_diag_at(diag, 0), PK_ERANGE, "host.toml", 1, 5,
               "r = nan is below the minimum -1.0");
  pk_diag_free(diag);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

Test(decode, a_non_table_is_a_type_error)
{
  pk_doc *sdoc = parse("plugin.toml", "a = { type = \"string\" }\n");
  pk_doc *doc = parse("host.toml", "x = 1\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_config *c;
  pk_error err;
  cr_assert_eq(pk_schema_decode(s, pk_table_get(pk_doc_root(doc), "x"), NULL,
                                &c, NULL, &err),
               PK_ETYPE);
  assert_error(&err, PK_ETYPE, "host.toml", 1, 5,
               "expected a table, found an integer");
  pk_schema_free(s);
  pk_doc_free(doc);
  pk_doc_free(sdoc);
}

Test(decode, typed_getters)
{
  pk_doc *mdoc = manifest_doc(), *doc;
  pk_schema *s = schema_from(mdoc, "config");
  pk_config *c = decode_ok(s, &doc,
                           "bucket = \"b\"\n"
                           "retries = 7\n"
                           "ratio = 0.25\n"
                           "verbose = true\n"
                           "when = 1979-05-27T07:32:00.5-07:00\n"
                           "mode = \"fast\"\n"
                           "tags = [\"x\", \"y\"]\n"
                           "endpoint-url = \"https://{ctx.host}/\"\n"
                           "[limits]\n"
                           "write = 5\n",
                           NULL, NULL);
  const char *str;
  size_t len, idx;
  int64_t i;
  double x;
  bool b;
  pk_datetime dt;
  const pk_value *arr;
  const pk_config *sub;
  pk_error err;

  cr_assert_eq(pk_config_get_string(c, "bucket", &str, &len, &err), PK_OK);
  cr_assert_str_eq(str, "b");
  cr_assert_eq(len, 1);
  cr_assert_eq(pk_config_get_string(c, "region", &str, NULL, &err), PK_OK);
  cr_assert_str_eq(str, "us-east-1");
  cr_assert_eq(pk_config_get_integer(c, "retries", &i, &err), PK_OK);
  cr_assert_eq(i, 7);
  cr_assert_eq(pk_config_get_float(c, "ratio", &x, &err), PK_OK);
  cr_assert_eq(x, 0.25);
  cr_assert_eq(pk_config_get_bool(c, "verbose", &b, &err), PK_OK);
  cr_assert(b);
  cr_assert_eq(pk_config_get_datetime(c, "when", &dt, &err), PK_OK);
  cr_assert_eq(dt.kind, PK_KIND_DATETIME);
  cr_assert_eq(dt.year, 1979);
  cr_assert_eq(dt.nanosecond, 500000000);
  cr_assert_eq(dt.offset_minutes, -420);
  cr_assert_eq(pk_config_get_enum(c, "mode", &idx, &err), PK_OK);
  cr_assert_eq(idx, 0);
  cr_assert_eq(pk_config_get_string(c, "mode", &str, NULL, &err), PK_OK);
  cr_assert_str_eq(str, "fast");
  cr_assert_eq(pk_config_get_array(c, "tags", &arr, &err), PK_OK);
  cr_assert_eq(pk_array_count(arr), 2);
  /* Without a ctx, format = true fields stay as written. */
  cr_assert_eq(pk_config_get_string(c, "endpoint-url", &str, NULL, &err),
               PK_OK);
  cr_assert_str_eq(str, "https://{ctx.host}/");
  cr_assert_eq(pk_config_get_table(c, "limits", &sub, &err), PK_OK);
  cr_assert_eq(pk_config_get_integer(sub, "write", &i, &err), PK_OK);
  cr_assert_eq(i, 5);
  cr_assert_eq(pk_config_get_integer(sub, "read", &i, &err), PK_OK);
  cr_assert_eq(i, 0);
  cr_assert_eq(pk_config_get_schema(sub),
               pk_field_get_fields(pk_schema_find_field(s, "limits")));

  /* Strings are borrowed from the document, not copied. */
  const char *raw;
  pk_table_get_string(pk_doc_root(doc), "bucket", &raw, NULL);
  pk_config_get_string(c, "bucket", &str, NULL, NULL);
  cr_assert_eq(str, raw);

  /* Errors: unknown name, wrong type, unset. */
  cr_assert_eq(pk_config_get_integer(c, "retris", &i, &err), PK_ENOTFOUND);
  assert_error(&err, PK_ENOTFOUND, "plugin.toml", 2, 1,
               "no field \"retris\" in the schema (did you mean \"retries\"?)");
  cr_assert_eq(pk_config_get_integer(c, "x", &i, &err), PK_ENOTFOUND);
  assert_error(&err, PK_ENOTFOUND, "plugin.toml", 2, 1,
               "no field \"x\" in the schema (known fields: region, retries, "
               "ratio, verbose, when, mode, tags, endpoint-url, bucket, "
               "limits)");
  cr_assert_eq(pk_config_get_string(c, "retries", &str, NULL, &err),
               PK_ETYPE);
  assert_error(&err, PK_ETYPE, "plugin.toml", 4, 1,
               "field \"retries\" is an integer field, not a string field");
  cr_assert_eq(pk_config_get_enum(c, "region", &idx, &err), PK_ETYPE);
  cr_assert_eq(pk_config_get_float(c, "retries", &x, &err), PK_ETYPE);
  cr_assert_eq(pk_config_get_table(c, "tags", &sub, &err), PK_ETYPE);
  cr_assert_eq(pk_config_get_array(NULL, "tags", &arr, &err), PK_EMISUSE);
  cr_assert_eq(pk_config_get_array(c, NULL, &arr, &err), PK_EMISUSE);
  pk_config_free(c);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(mdoc);
}

Test(decode, unset_is_distinct_from_false_zero_and_empty)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "s = { type = \"string\", optional = true }\n"
                       "i = { type = \"integer\", optional = true }\n"
                       "f = { type = \"float\", optional = true }\n"
                       "b = { type = \"boolean\", optional = true }\n"
                       "d = { type = \"datetime\", optional = true }\n"
                       "a = { type = \"array\", items = \"integer\", optional = "
                       "true }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_doc *set_doc, *unset_doc;
  pk_config *set = decode_ok(s, &set_doc,
                             "s = \"\"\ni = 0\nf = 0.0\nb = false\n"
                             "d = 00:00:00\na = []\n",
                             NULL, NULL);
  pk_config *unset = decode_ok(s, &unset_doc, "", NULL, NULL);
  const char *names[] = {"s", "i", "f", "b", "d", "a"};
  const char *str;
  int64_t i;
  double x;
  bool b;
  pk_datetime dt;
  const pk_value *arr;
  pk_error err;
  for (size_t k = 0; k < 6; k++) {
    cr_assert(pk_config_is_set(set, names[k]), "%s", names[k]);
    cr_assert_eq(pk_config_get_origin(set, names[k]), PK_ORIGIN_TABLE);
    cr_assert_not(pk_config_is_set(unset, names[k]), "%s", names[k]);
    cr_assert_eq(pk_config_get_origin(unset, names[k]), PK_ORIGIN_UNSET);
    cr_assert_null(pk_config_get_value(unset, names[k]));
    cr_assert_eq(pk_config_get_value_pos(unset, names[k]).line, 0);
  }
  cr_assert_eq(pk_config_get_string(set, "s", &str, NULL, &err), PK_OK);
  cr_assert_str_eq(str, "");
  cr_assert_eq(pk_config_get_integer(set, "i", &i, &err), PK_OK);
  cr_assert_eq(i, 0);
  cr_assert_eq(pk_config_get_bool(set, "b", &b, &err), PK_OK);
  cr_assert_not(b);
  cr_assert_eq(pk_config_get_datetime(set, "d", &dt, &err), PK_OK);
  cr_assert_eq(dt.kind, PK_KIND_TIME_LOCAL);

  cr_assert_eq(pk_config_get_string(unset, "s", &str, NULL, &err),
               PK_EMISSING);
  assert_error(&err, PK_EMISSING, "host.toml", 1, 1,
               "field \"s\" is not set");
  cr_assert_eq(pk_config_get_integer(unset, "i", &i, &err), PK_EMISSING);
  cr_assert_eq(pk_config_get_float(unset, "f", &x, &err), PK_EMISSING);
  cr_assert_eq(pk_config_get_bool(unset, "b", &b, &err), PK_EMISSING);
  cr_assert_eq(pk_config_get_datetime(unset, "d", &dt, &err), PK_EMISSING);
  cr_assert_eq(pk_config_get_array(unset, "a", &arr, &err), PK_EMISSING);

  /* The _or forms: UNSET gives the default; a set value wins. */
  cr_assert_eq(pk_config_get_string_or(unset, "s", "dflt", &str, &err), PK_OK);
  cr_assert_str_eq(str, "dflt");
  cr_assert_eq(pk_config_get_string_or(set, "s", "dflt", &str, &err), PK_OK);
  cr_assert_str_eq(str, "");
  cr_assert_eq(pk_config_get_integer_or(unset, "i", 42, &i, &err), PK_OK);
  cr_assert_eq(i, 42);
  cr_assert_eq(pk_config_get_integer_or(set, "i", 42, &i, &err), PK_OK);
  cr_assert_eq(i, 0);
  cr_assert_eq(pk_config_get_float_or(unset, "f", 1.5, &x, &err), PK_OK);
  cr_assert_eq(x, 1.5);
  cr_assert_eq(pk_config_get_float_or(set, "f", 1.5, &x, &err), PK_OK);
  cr_assert_eq(x, 0.0);
  cr_assert_eq(pk_config_get_bool_or(unset, "b", true, &b, &err), PK_OK);
  cr_assert(b);
  cr_assert_eq(pk_config_get_bool_or(set, "b", true, &b, &err), PK_OK);
  cr_assert_not(b);
  cr_assert_eq(pk_config_get_bool_or(set, "i", true, &b, &err), PK_ETYPE);
  cr_assert_eq(pk_config_get_bool_or(set, "zz", true, &b, &err),
               PK_ENOTFOUND);
  pk_config_free(set);
  pk_config_free(unset);
  pk_doc_free(set_doc);
  pk_doc_free(unset_doc);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

Test(decode, origins_and_positions)
{
  pk_doc *mdoc = manifest_doc(), *doc;
  pk_schema *s = schema_from(mdoc, "config");
  pk_config *c = decode_ok(s, &doc,
                           "[caches.remote]\n"
                           "bucket = \"b\"\n"
                           "retries   = 3\n",
                           "caches.remote", NULL);
  pk_pos p = pk_config_get_pos(c);
  cr_assert_str_eq(p.source, "host.toml");
  cr_assert_eq(p.line, 1);
  /* Written: where it is written, even when equal to the default. */
  cr_assert_eq(pk_config_get_origin(c, "retries"), PK_ORIGIN_TABLE);
  p = pk_config_get_value_pos(c, "retries");
  cr_assert_str_eq(p.source, "host.toml");
  cr_assert_eq(p.line, 3);
  cr_assert_eq(p.col, 13);
  /* A default: where the schema writes it. */
  cr_assert_eq(pk_config_get_origin(c, "region"), PK_ORIGIN_DEFAULT);
  cr_assert(pk_config_is_set(c, "region"));
  p = pk_config_get_value_pos(c, "region");
  cr_assert_str_eq(p.source, "plugin.toml");
  cr_assert_eq(p.line, 3);
  cr_assert_eq(p.col, 39);
  cr_assert_eq(pk_config_get_value(c, "region"),
               pk_field_get_default(pk_schema_find_field(s, "region")));
  /* A table decoded from {}: a default without a position. */
  cr_assert_eq(pk_config_get_origin(c, "limits"), PK_ORIGIN_DEFAULT);
  cr_assert_eq(pk_config_get_value_pos(c, "limits").line, 0);
  /* Unset and unknown fields have no position. */
  cr_assert_eq(pk_config_get_origin(c, "ratio"), PK_ORIGIN_UNSET);
  cr_assert_eq(pk_config_get_value_pos(c, "ratio").line, 0);
  cr_assert_eq(pk_config_get_origin(c, "nope"), PK_ORIGIN_UNSET);
  cr_assert_not(pk_config_is_set(c, "nope"));
  cr_assert_eq(pk_config_get_value_pos(c, "nope").line, 0);
  cr_assert_null(pk_config_get_value(c, "nope"));
  pk_config_free(c);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(mdoc);
}

Test(decode, a_null_table_is_the_default_object)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "python = { type = \"string\", optional = true }\n"
                       "ignore-pydists = { type = \"boolean\", default = "
                       "false }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_config *c;
  pk_error err;
  bool b;
  cr_assert_eq(pk_schema_decode(s, NULL, NULL, &c, NULL, &err), PK_OK);
  cr_assert_eq(pk_config_get_pos(c).line, 0);
  cr_assert_eq(pk_config_get_bool(c, "ignore-pydists", &b, &err), PK_OK);
  cr_assert_not(b);
  cr_assert_not(pk_config_is_set(c, "python"));
  pk_config_free(c);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

Test(decode, nested_tables)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "[io]\n"
                       "type = \"table\"\n"
                       "fields.read = { type = \"integer\", default = 1 }\n"
                       "[opt]\n"
                       "type = \"table\"\n"
                       "optional = true\n"
                       "fields = {}\n"
                       "[req]\n"
                       "type = \"table\"\n"
                       "required = true\n"
                       "fields = { x = { type = \"integer\" } }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_doc *doc;
  pk_config *c = decode_ok(s, &doc, "req.x = 1\n", NULL, NULL);
  const pk_config *io;
  int64_t i;
  pk_error err;
  cr_assert_eq(pk_config_get_table(c, "io", &io, &err), PK_OK);
  cr_assert_eq(pk_config_get_origin(c, "io"), PK_ORIGIN_DEFAULT);
  cr_assert_eq(pk_config_get_integer(io, "read", &i, &err), PK_OK);
  cr_assert_eq(i, 1);
  cr_assert_eq(pk_config_get_table(c, "opt", &io, &err), PK_EMISSING);
  cr_assert_eq(pk_config_get_origin(c, "req"), PK_ORIGIN_TABLE);
  pk_config_free(c);
  pk_doc_free(doc);

  /* A required table that is absent; a nested one of the wrong type; a
   * missing field of a nested table (at the nested table). */
  pk_diag *diag;
  pk_diag_new(NULL, &diag, NULL);
  doc = parse("host.toml", "[x]\nio = 3\n[y]\nreq = {}\n");
  cr_assert_eq(pk_schema_decode(s, table_at(doc, "x"), NULL, &c, diag, &err),
               PK_ETYPE);
  cr_assert_eq(pk_diag_count(diag), 2);
  assert_error(pk_diag_at(diag, 0), PK_ETYPE, "host.toml", 2, 6,
               "field \"io\": expected a table, found an integer (write it "
               "as a table: io = { ... })");
  assert_error(pk_diag_at(diag, 1), PK_EMISSING, "host.toml", 1, 1,
               "missing required field \"req\"");
  cr_assert_eq(pk_schema_decode(s, table_at(doc, "y"), NULL, &c, diag, &err),
               PK_EMISSING);
  assert_error(&err, PK_EMISSING, "host.toml", 4, 7,
               "missing required field \"req.x\"");
  pk_diag_free(diag);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

Test(decode, skip_keys_belong_to_the_caller)
{
  pk_doc *sdoc = parse("plugin.toml", "bucket = { type = \"string\" }\n");
  pk_doc *doc = parse("host.toml", "[caches.r]\ntype = \"s3\"\nbucket = \"b\"\n"
                                   "[caches.r.type2]\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_config *c;
  pk_error err;
  const char *skip[] = {"type", "type2"};
  pk_decode_options o = {.size = sizeof o, .skip = skip, .skip_count = 2};
  cr_assert_eq(
      pk_schema_decode(s, table_at(doc, "caches.r"), &o, &c, NULL, &err),
      PK_OK);
  pk_config_free(c);
  o.skip_count = 1;
  cr_assert_eq(
      pk_schema_decode(s, table_at(doc, "caches.r"), &o, &c, NULL, &err),
      PK_ECONFIG);
  /* the caller's keys are suggested too */
  assert_error(&err, PK_ECONFIG, "host.toml", 4, 11,
               "unknown field \"type2\" (did you mean \"type\"?)");
  o.skip_count = 0;
  cr_assert_eq(
      pk_schema_decode(s, table_at(doc, "caches.r"), &o, &c, NULL, &err),
      PK_ECONFIG);
  assert_error(&err, PK_ECONFIG, "host.toml", 2, 1,
               "unknown field \"type\" (known fields: bucket)");
  pk_schema_free(s);
  pk_doc_free(doc);
  pk_doc_free(sdoc);
}

Test(decode, format_fields_with_a_ctx)
{
  pk_doc *sdoc = parse(
      "plugin.toml",
      "url = { type = \"string\", format = true }\n"
      "cache = { type = \"string\", format = true, default = \"{ctx.c}\" }\n"
      "plain = { type = \"string\", default = \"{ctx.c}\" }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_ctx *ctx;
  pk_doc *doc;
  pk_error err;
  const char *str;
  cr_assert_eq(pk_ctx_new(&(pk_ctx_options){.size = sizeof(pk_ctx_options),
                                            .ignore_env = true},
                          &ctx, &err),
               PK_OK);
  cr_assert_eq(pk_ctx_set(ctx, "host", "example.com", &err), PK_OK);
  cr_assert_eq(pk_ctx_set(ctx, "c", "repo", &err), PK_OK);
  pk_decode_options o = {.size = sizeof o, .ctx = ctx};
  pk_config *c = decode_ok(s, &doc, "url = \"https://{ctx.host}/{{x}}\"\n",
                           NULL, &o);
  cr_assert_eq(pk_config_get_string(c, "url", &str, NULL, &err), PK_OK);
  cr_assert_str_eq(str, "https://example.com/{x}");
  cr_assert_eq(pk_config_get_string(c, "cache", &str, NULL, &err), PK_OK);
  cr_assert_str_eq(str, "repo");
  cr_assert_eq(pk_config_get_string(c, "plain", &str, NULL, &err), PK_OK);
  cr_assert_str_eq(str, "{ctx.c}");
  /* The value as written stays available. */
  pk_value_get_string(pk_config_get_value(c, "url"), &str, NULL, NULL);
  cr_assert_str_eq(str, "https://{ctx.host}/{{x}}");
  pk_config_free(c);
  pk_doc_free(doc);

  /* Errors point at the brace inside the string. */
  pk_diag *diag;
  pk_diag_new(NULL, &diag, NULL);
  doc = parse("host.toml", "[a]\nurl = \"https://{ctx.nohost}/\"\n");
  cr_assert_eq(pk_schema_decode(s, table_at(doc, "a"), &o, &c, diag, &err),
               PK_EMISSING);
  cr_assert_eq(pk_diag_count(diag), 1);
  assert_error(&err, PK_EMISSING, "host.toml", 2, 16,
               "field \"url\": ctx variable \"nohost\" is not set: the host "
               "did not set it");
  pk_doc_free(doc);
  pk_diag_clear(diag);
  doc = parse("host.toml", "url = \"a}\"\ncache = \"x\"\n");
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), &o, &c, diag, &err),
               PK_ECONFIG);
  assert_error(&err, PK_ECONFIG, "host.toml", 1, 9,
               "field \"url\": unbalanced \"}\": write \"}}\" for a literal "
               "brace");
  pk_doc_free(doc);
  /* A default that fails to format: the schema's position. */
  pk_ctx_set(ctx, "c", NULL, &err);
  pk_diag_clear(diag);
  doc = parse("host.toml", "url = \"a\"\n");
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), &o, &c, diag, &err),
               PK_EMISSING);
  assert_error(&err, PK_EMISSING, "plugin.toml", 2, 54,
               "field \"cache\": ctx variable \"c\" is not set: the host did "
               "not set it");
  pk_doc_free(doc);
  pk_diag_free(diag);
  pk_ctx_free(ctx);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

Test(decode, misuse)
{
  pk_doc *sdoc = parse("plugin.toml", "a = { type = \"string\" }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_config *c = (pk_config *)1;
  pk_error err;
  pk_decode_options bad = {0};
  cr_assert_eq(pk_schema_decode(NULL, NULL, NULL, &c, NULL, &err),
               PK_EMISUSE);
  cr_assert_null(c);
  cr_assert_eq(pk_schema_decode(s, NULL, NULL, NULL, NULL, &err), PK_EMISUSE);
  cr_assert_eq(pk_schema_decode(s, NULL, &bad, &c, NULL, &err), PK_EMISUSE);
  pk_config_free(NULL);
  cr_assert_null(pk_config_get_schema(NULL));
  cr_assert_eq(pk_config_get_pos(NULL).line, 0);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

/* ---- diagnostics ---- */

Test(decode, diag_limits_and_additions)
{
  pk_diag *diag;
  pk_error e, err;
  pk_diag_options o = {.size = sizeof o, .max = 2};
  cr_assert_eq(pk_diag_new(&o, &diag, &err), PK_OK);
  pk_error_clear(&e);
  e.code = PK_ENOTFOUND;
  snprintf(e.message, sizeof e.message, "unknown tag");
  for (int i = 0; i < 5; i++)
    cr_assert_eq(pk_diag_add(diag, &e, &err), PK_OK);
  cr_assert_eq(pk_diag_count(diag), 2);
  cr_assert_eq(pk_diag_dropped(diag), 3);
  cr_assert_str_eq(pk_diag_at(diag, 1)->message, "unknown tag");
  pk_diag_clear(diag);
  cr_assert_eq(pk_diag_count(diag), 0);
  cr_assert_eq(pk_diag_dropped(diag), 0);
  cr_assert_eq(pk_diag_add(diag, NULL, &err), PK_EMISUSE);
  cr_assert_eq(pk_diag_add(NULL, &e, &err), PK_EMISUSE);
  cr_assert_eq(pk_diag_count(NULL), 0);
  cr_assert_null(pk_diag_at(NULL, 0));
  pk_diag_free(diag);
  pk_diag_free(NULL);
  o.size = 0;
  cr_assert_eq(pk_diag_new(&o, &diag, &err), PK_EMISUSE);
}

/* ---- binding ---- */

TestSuite(bind);

typedef struct s3_conf {
  const char *region;
  int64_t retries;
  double ratio;
  bool verbose;
  pk_datetime when;
  int mode;
  const char *mode_name;
  const pk_value *tags;
  const char *endpoint;
  const char *bucket;
  const pk_config *limits;
  int retries_int;
} s3_conf;

static const pk_binding s3_bindings[] = {
    PK_BIND(s3_conf, region, "region", PK_C_STRING),
    PK_BIND(s3_conf, retries, "retries", PK_C_INT64),
    PK_BIND(s3_conf, ratio, "ratio", PK_C_DOUBLE),
    PK_BIND(s3_conf, verbose, "verbose", PK_C_BOOL),
    PK_BIND(s3_conf, when, "when", PK_C_DATETIME),
    PK_BIND(s3_conf, mode, "mode", PK_C_ENUM),
    PK_BIND(s3_conf, mode_name, "mode", PK_C_STRING),
    PK_BIND(s3_conf, tags, "tags", PK_C_ARRAY),
    PK_BIND(s3_conf, endpoint, "endpoint-url", PK_C_STRING),
    PK_BIND(s3_conf, bucket, "bucket", PK_C_STRING),
    PK_BIND(s3_conf, limits, "limits", PK_C_CONFIG),
    PK_BIND(s3_conf, retries_int, "retries", PK_C_INT),
};
#define NB (sizeof s3_bindings / sizeof s3_bindings[0])

Test(bind, every_field_in_one_call)
{
  pk_doc *mdoc = manifest_doc(), *doc;
  pk_schema *s = schema_from(mdoc, "config");
  pk_error err;
  cr_assert_eq(pk_schema_check_bindings(s, s3_bindings, NB, &err), PK_OK,
               "%s", err.message);
  pk_config *c = decode_ok(s, &doc,
                           "bucket = \"b\"\nretries = 9\nverbose = true\n"
                           "when = 2024-01-02\nmode = \"fast\"\n"
                           "tags = [\"t\"]\nlimits.write = 4\n",
                           NULL, NULL);
  s3_conf conf = {.ratio = -1.0, .endpoint = "unset"};
  cr_assert_eq(pk_config_bind(c, s3_bindings, NB, &conf, &err), PK_OK, "%s",
               err.message);
  cr_assert_str_eq(conf.region, "us-east-1");
  cr_assert_eq(conf.retries, 9);
  cr_assert_eq(conf.retries_int, 9);
  cr_assert_eq(conf.ratio, -1.0); /* UNSET: left as it was */
  cr_assert_str_eq(conf.endpoint, "unset");
  cr_assert(conf.verbose);
  cr_assert_eq(conf.when.kind, PK_KIND_DATE_LOCAL);
  cr_assert_eq(conf.when.day, 2);
  cr_assert_eq(conf.mode, 0);
  cr_assert_str_eq(conf.mode_name, "fast");
  cr_assert_eq(pk_array_count(conf.tags), 1);
  cr_assert_str_eq(conf.bucket, "b");
  int64_t w;
  cr_assert_eq(pk_config_get_integer(conf.limits, "write", &w, &err), PK_OK);
  cr_assert_eq(w, 4);
  pk_config_free(c);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(mdoc);
}

Test(bind, bad_bindings_name_the_field_its_position_and_both_types)
{
  pk_doc *mdoc = manifest_doc();
  pk_schema *s = schema_from(mdoc, "config");
  pk_error err;
  pk_binding b1[] = {PK_BIND(s3_conf, ratio, "retries", PK_C_DOUBLE)};
  cr_assert_eq(pk_schema_check_bindings(s, b1, 1, &err), PK_ETYPE);
  assert_error(&err, PK_ETYPE, "plugin.toml", 4, 1,
               "cannot bind field \"retries\" (integer) to a double member "
               "(PK_C_DOUBLE): use PK_C_INT64 or PK_C_INT");
  pk_binding b2[] = {PK_BIND(s3_conf, mode, "retries", PK_C_INT64)};
  cr_assert_eq(pk_schema_check_bindings(s, b2, 1, &err), PK_ETYPE);
  assert_error(&err, PK_ETYPE, "plugin.toml", 4, 1,
               "cannot bind field \"retries\" as PK_C_INT64 (8 bytes) to a "
               "member of 4 bytes");
  pk_binding b3[] = {PK_BIND(s3_conf, region, "regoin", PK_C_STRING)};
  cr_assert_eq(pk_schema_check_bindings(s, b3, 1, &err), PK_ENOTFOUND);
  assert_error(&err, PK_ENOTFOUND, "plugin.toml", 2, 1,
               "cannot bind field \"regoin\": the schema has no such field "
               "(did you mean \"region\"?)");
  pk_binding b4[] = {PK_BIND(s3_conf, mode, "mode", PK_C_INT)};
  cr_assert_eq(pk_schema_check_bindings(s, b4, 1, &err), PK_ETYPE);
  assert_error(&err, PK_ETYPE, "plugin.toml", 8, 1,
               "cannot bind field \"mode\" (enum) to an int member "
               "(PK_C_INT): use PK_C_ENUM or PK_C_STRING");
  /* Hand-written bindings may leave the size out. */
  pk_binding b5[] = {{"limits", PK_C_CONFIG, 0, 0}};
  cr_assert_eq(pk_schema_check_bindings(s, b5, 1, &err), PK_OK);
  pk_binding b6[] = {{"limits", (pk_ctype)42, 0, 0}};
  cr_assert_eq(pk_schema_check_bindings(s, b6, 1, &err), PK_EMISUSE);
  pk_binding b7[] = {{NULL, PK_C_INT, 0, 0}};
  cr_assert_eq(pk_schema_check_bindings(s, b7, 1, &err), PK_EMISUSE);
  cr_assert_eq(pk_schema_check_bindings(NULL, b7, 1, &err), PK_EMISUSE);
  /* pk_config_bind checks the same way. */
  pk_config *c;
  pk_doc *doc;
  c = decode_ok(s, &doc, "bucket = \"b\"\n", NULL, NULL);
  s3_conf conf;
  cr_assert_eq(pk_config_bind(c, b1, 1, &conf, &err), PK_ETYPE);
  cr_assert_eq(pk_config_bind(c, b1, 1, NULL, &err), PK_EMISUSE);
  pk_config_free(c);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(mdoc);
}

Test(bind, an_int_member_takes_only_values_that_fit)
{
  pk_doc *sdoc = parse("plugin.toml", "n = { type = \"integer\" }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  pk_doc *doc;
  pk_config *c = decode_ok(s, &doc, "n = 3000000000\n", NULL, NULL);
  struct {
    int n;
  } x;
  pk_binding b[] = {PK_BIND(__typeof__(x), n, "n", PK_C_INT)};
  pk_error err;
  cr_assert_eq(pk_config_bind(c, b, 1, &x, &err), PK_ERANGE);
  assert_error(&err, PK_ERANGE, "host.toml", 1, 5,
               "n = 3000000000 does not fit the int member it is bound to "
               "(PK_C_INT): bind it as PK_C_INT64 or give the field min and "
               "max");
  pk_config_free(c);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

/* ---- coalesce (qik-spec 3.2, 3.3; checklist 49, 50) ---- */

TestSuite(coalesce);

/* A command's cache: command `cache`, then [plugins.ALIAS] `cache`, then
 * [defaults] `cache`, then the schema default "local". */
static const char layer_schemas[] =
    "[command]\n"
    "cache = { type = \"string\", default = \"local\" }\n"
    "workers = { type = \"integer\", optional = true }\n"
    "strict = { type = \"boolean\", optional = true }\n"
    "[plugin]\n"
    "cache = { type = \"string\", optional = true }\n"
    "workers = { type = \"integer\", optional = true }\n"
    "strict = { type = \"boolean\", optional = true }\n"
    "ratio = { type = \"float\", optional = true }\n"
    "[defaults]\n"
    "cache = { type = \"string\", optional = true }\n"
    "workers = { type = \"integer\", default = 4 }\n"
    "strict = { type = \"string\", optional = true }\n";

typedef struct layers {
  pk_doc *sdoc, *doc;
  pk_schema *s[3];
  pk_config *c[3];
} layers;

static void layers_make(layers *l, const char *cmd, const char *plugin,
                        const char *defaults)
{
  char text[1024];
  const char *names[] = {"command", "plugin", "defaults"};
  l->sdoc = parse("plugin.toml", layer_schemas);
  snprintf(text, sizeof text, "[command]\n%s\n[plugin]\n%s\n[defaults]\n%s\n",
           cmd, plugin, defaults);
  l->doc = parse("host.toml", text);
  for (int i = 0; i < 3; i++) {
    pk_error err;
    l->s[i] = schema_from(l->sdoc, names[i]);
    cr_assert_eq(pk_schema_decode(l->s[i], table_at(l->doc, names[i]), NULL,
                                  &l->c[i], NULL, &err),
                 PK_OK, "%s", err.message);
  }
}

static void layers_free(layers *l)
{
  for (int i = 0; i < 3; i++) {
    pk_config_free(l->c[i]);
    pk_schema_free(l->s[i]);
  }
  pk_doc_free(l->doc);
  pk_doc_free(l->sdoc);
}

static const char *cache_of(const layers *l)
{
  const char *out = NULL;
  pk_error err;
  cr_assert_eq(pk_config_coalesce_string((const pk_config *const *)l->c, 3,
                                         "cache", "none", &out, &err),
               PK_OK, "%s", err.message);
  return out;
}

Test(coalesce, per_object_then_plugin_then_defaults_then_schema_default)
{
  layers l;
  layers_make(&l, "cache = \"c\"", "cache = \"p\"", "cache = \"d\"");
  cr_assert_str_eq(cache_of(&l), "c");
  layers_free(&l);
  layers_make(&l, "", "cache = \"p\"", "cache = \"d\"");
  cr_assert_str_eq(cache_of(&l), "p");
  layers_free(&l);
  layers_make(&l, "", "", "cache = \"d\"");
  cr_assert_str_eq(cache_of(&l), "d");
  layers_free(&l);
  layers_make(&l, "", "", "");
  cr_assert_str_eq(cache_of(&l), "local"); /* the command schema's default */
  const pk_config *from;
  pk_error err;
  cr_assert_eq(pk_config_coalesce((const pk_config *const *)l.c, 3, "cache",
                                  &from, &err),
               PK_OK);
  cr_assert_eq(from, l.c[0]);
  layers_free(&l);
}

Test(coalesce, first_set_value_false_and_zero_count_as_set)
{
  layers l;
  int64_t i;
  bool b;
  double x;
  pk_error err;
  layers_make(&l, "strict = false", "workers = 0\nstrict = true", "");
  const pk_config *const *c = (const pk_config *const *)l.c;
  cr_assert_eq(pk_config_coalesce_integer(c, 3, "workers", 9, &i, &err),
               PK_OK);
  cr_assert_eq(i, 0);
  cr_assert_eq(pk_config_coalesce_bool(c, 3, "strict", true, &b, &err), PK_OK);
  cr_assert_not(b);
  /* All unset: the caller's default. */
  cr_assert_eq(pk_config_coalesce_float(c, 3, "ratio", 0.5, &x, &err), PK_OK);
  cr_assert_eq(x, 0.5);
  /* NULL layers are absent layers. */
  const pk_config *sparse[] = {NULL, l.c[1], NULL};
  cr_assert_eq(pk_config_coalesce_bool(sparse, 3, "strict", false, &b, &err),
               PK_OK);
  cr_assert(b);
  layers_free(&l);

  /* [defaults] has workers = 4 as a schema default: it applies only when no
   * layer writes one. */
  layers_make(&l, "", "", "");
  c = (const pk_config *const *)l.c;
  cr_assert_eq(pk_config_coalesce_integer(c, 3, "workers", 9, &i, &err),
               PK_OK);
  cr_assert_eq(i, 4);
  const pk_config *from = (const pk_config *)1;
  cr_assert_eq(pk_config_coalesce(c, 3, "ratio", &from, &err), PK_EMISSING);
  cr_assert_null(from);
  cr_assert_str_eq(err.message, "no layer sets field \"ratio\"");
  cr_assert_eq(pk_config_coalesce(c, 3, "nope", &from, &err), PK_ENOTFOUND);
  cr_assert_str_eq(err.message, "no layer's schema has a field \"nope\"");
  cr_assert_eq(pk_config_coalesce_integer(c, 3, "nope", 1, &i, &err),
               PK_ENOTFOUND);
  /* No layer at all: nothing is known, nothing is set. */
  cr_assert_eq(pk_config_coalesce_integer(NULL, 0, "x", 7, &i, &err), PK_OK);
  cr_assert_eq(i, 7);
  cr_assert_eq(pk_config_coalesce(c, 3, NULL, &from, &err), PK_EMISUSE);
  layers_free(&l);
}

Test(coalesce, a_layer_of_another_type_is_a_type_error)
{
  layers l;
  bool b;
  pk_error err;
  layers_make(&l, "", "", "strict = \"yes\"");
  cr_assert_eq(pk_config_coalesce_bool((const pk_config *const *)l.c, 3,
                                       "strict", false, &b, &err),
               PK_ETYPE);
  assert_error(&err, PK_ETYPE, "plugin.toml", 13, 1,
               "field \"strict\" is a string field, not a boolean field");
  layers_free(&l);
}

/* ---- canonical JSON (checklist 46) ---- */

TestSuite(json);

static char *json_of(const pk_schema *s, const char *text)
{
  pk_doc *doc;
  pk_config *c = decode_ok(s, &doc, text, NULL, NULL);
  char *out;
  size_t len;
  pk_error err;
  cr_assert_eq(pk_config_to_json(c, &out, &len, &err), PK_OK);
  cr_assert_eq(len, strlen(out));
  pk_config_free(c);
  pk_doc_free(doc);
  return out;
}

Test(json, defaults_are_left_out_and_equal_configs_give_equal_bytes)
{
  pk_doc *mdoc = manifest_doc();
  pk_schema *s = schema_from(mdoc, "config");
  char *a = json_of(s, "bucket = \"b\"\nretries = 3\nmode = \"safe\"\n"
                       "tags = []\nlimits.read = 0\n");
  cr_assert_str_eq(a, "{\"bucket\":\"b\"}");
  char *b = json_of(s, "tags = [\"x\", \"y\"]\nbucket = \"q\\\"\\n\\u0001\"\n"
                       "ratio = 0.1\nwhen = 1979-05-27T07:32:00+00:00\n"
                       "limits.write = 2\nverbose = true\nmode = \"fast\"\n");
  char *c = json_of(s, "mode = \"fast\"\nverbose = true\nlimits = { write = 2 "
                       "}\nwhen = 1979-05-27T07:32:00Z\nratio = 0.1\n"
                       "bucket = \"q\\\"\\n\\u0001\"\ntags = [\"x\", \"y\"]\n");
  cr_assert_str_eq(b, "{\"bucket\":\"q\\\"\\n\\u0001\",\"limits\":{\"write\":"
                      "2},\"mode\":\"fast\",\"ratio\":0.1,\"tags\":[\"x\","
                      "\"y\"],\"verbose\":true,\"when\":"
                      "\"1979-05-27T07:32:00Z\"}");
  cr_assert_str_eq(b, c);
  pk_string_free(a);
  pk_string_free(b);
  pk_string_free(c);
  pk_schema_free(s);
  pk_doc_free(mdoc);
}

Test(json, floats_dates_and_times)
{
  pk_doc *sdoc = parse("plugin.toml",
                       "f = { type = \"array\", items = \"float\" }\n"
                       "d = { type = \"array\", items = \"datetime\" }\n"
                       "x = { type = \"float\", default = 0.0 }\n");
  pk_schema *s = schema_from(sdoc, NULL);
  char *j = json_of(s, "f = [1.0, -0.5, 1e300, inf, -inf, nan]\n"
                       "d = [2024-01-02, 07:08:09.123, 2024-01-02T03:04:05,"
                       " 2024-01-02T03:04:05.5-01:30]\nx = 2.0\n");
  cr_assert_str_eq(j, "{\"d\":[\"2024-01-02\",\"07:08:09.123\","
                      "\"2024-01-02T03:04:05\",\"2024-01-02T03:04:05.5-01:30\""
                      "],\"f\":[1.0,-0.5,1e+300,\"inf\",\"-inf\",\"nan\"],"
                      "\"x\":2.0}");
  pk_string_free(j);
  pk_string_free(NULL);
  pk_schema_free(s);
  pk_doc_free(sdoc);
}

/* ---- out of memory ---- */

TestSuite(oom);

/* Everything the module allocates, once, with allocation k failing; DOCS:
 * the manifest, a good config and a bad one. */
static pk_status run_all(counting *cnt, void *docs)
{
  pk_doc *mdoc = ((pk_doc **)docs)[0], *doc = ((pk_doc **)docs)[1],
         *bad = ((pk_doc **)docs)[2];
  pk_schema_options so = {sizeof so, counting_alloc, cnt};
  pk_diag_options dopt = {sizeof dopt, counting_alloc, cnt, 0};
  pk_ctx_options copt = {sizeof copt, counting_alloc, cnt, true};
  pk_schema *s = NULL;
  pk_diag *diag = NULL;
  pk_ctx *ctx = NULL;
  pk_config *c = NULL;
  char *json = NULL, *f = NULL;
  pk_error err;
  pk_status st;
  if ((st = pk_schema_new(table_at(mdoc, "config"), &so, &s, &err)) != PK_OK)
    goto done;
  if ((st = pk_diag_new(&dopt, &diag, &err)) != PK_OK)
    goto done;
  if ((st = pk_ctx_new(&copt, &ctx, &err)) != PK_OK)
    goto done;
  if ((st = pk_ctx_set(ctx, "host", "example.com", &err)) != PK_OK ||
      (st = pk_ctx_set(ctx, "host", "example.org", &err)) != PK_OK)
    goto done;
  pk_decode_options o = {.size = sizeof o, .ctx = ctx};
  /* The bad table: every problem goes to diag. */
  st = pk_schema_decode(s, table_at(bad, "plugins.s3"), &o, &c, diag, &err);
  if (st == PK_ENOMEM)
    goto done;
  cr_assert_neq(st, PK_OK);
  if ((st = pk_schema_decode(s, pk_doc_root(doc), &o, &c, diag, &err)) !=
      PK_OK)
    goto done;
  if ((st = pk_config_to_json(c, &json, NULL, &err)) != PK_OK)
    goto done;
  st = pk_format(ctx, "{ctx.host}/{{x}}/{ctx.host}", 27,
                 (pk_pos){"t", 1, 1}, &f, NULL, &err);
done:
  if (st == PK_ENOMEM)
    cr_assert_eq(err.code, PK_ENOMEM, "%s", err.message);
  pk_string_free(f);
  pk_string_free(json);
  pk_config_free(c);
  pk_ctx_free(ctx);
  pk_diag_free(diag);
  pk_schema_free(s);
  return st;
}

Test(oom, every_allocation_failure_is_clean)
{
  pk_doc *mdoc = manifest_doc();
  pk_doc *doc = parse("host.toml",
                      "bucket = \"b\"\nendpoint-url = \"https://{ctx.host}/\"\n"
                      "tags = [\"x\"]\nlimits.write = 1\nmode = \"fast\"\n");
  pk_doc *bad = parse("host.toml", bad_config);
  pk_doc *docs[3] = {mdoc, doc, bad};
  long k = oom_sweep(run_all, docs);
  cr_assert_gt(k, 20, "only %ld allocations", k);
  pk_doc_free(bad);
  pk_doc_free(doc);
  pk_doc_free(mdoc);
}

/* ---- tables larger than a decode's batch of items ---- */

/* A decode reads a table's items in batches (16 at a time): every field of
 * a larger table is decoded, and problems past the first batch keep their
 * positions. */
Test(schema, tables_larger_than_a_batch)
{
  char schema[4096] = "", text[4096] = "";
  for (int i = 0; i < 20; i++) {
    size_t n = strlen(schema), m = strlen(text);
    snprintf(schema + n, sizeof schema - n,
             "f%02d = { type = \"integer\", max = 100 }\n", i);
    snprintf(text + m, sizeof text - m, "f%02d = %d\n", 19 - i, i);
  }
  pk_doc *sd = parse("plugin.toml", schema);
  pk_schema *s = schema_from(sd, NULL);
  pk_doc *doc = parse("c.toml", text);
  pk_config *c = NULL;
  pk_error err;
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, NULL, &err),
               PK_OK, "%s", err.message);
  for (int i = 0; i < 20; i++) {
    char name[8];
    int64_t v = -1;
    snprintf(name, sizeof name, "f%02d", i);
    cr_assert_eq(pk_config_get_integer(c, name, &v, NULL), PK_OK);
    cr_assert_eq(v, 19 - i);
  }
  pk_config_free(c);
  pk_doc_free(doc);

  /* an unknown key and a value out of range, both past the first batch */
  doc = parse("c.toml", "f00 = 1\nf01 = 1\nf02 = 1\nf03 = 1\nf04 = 1\n"
                        "f05 = 1\nf06 = 1\nf07 = 1\nf08 = 1\nf09 = 1\n"
                        "f10 = 1\nf11 = 1\nf12 = 1\nf13 = 1\nf14 = 1\n"
                        "f15 = 1\nf16 = 1\nfx7 = 1\nf18 = 101\n");
  pk_diag *diag = NULL;
  cr_assert_eq(pk_diag_new(NULL, &diag, NULL), PK_OK);
  cr_assert_eq(pk_schema_decode(s, pk_doc_root(doc), NULL, &c, diag, &err),
               PK_ECONFIG);
  cr_assert_null(c);
  cr_assert_eq(pk_diag_count(diag), 4); /* and f17, f19 missing */
  assert_error(pk_diag_at(diag, 0), PK_ECONFIG, "c.toml", 18, 1,
               "unknown field \"fx7\" (did you mean \"f07\"?)");
  assert_error(pk_diag_at(diag, 1), PK_ERANGE, "c.toml", 19, 7,
               "f18 = 101 is above the maximum 100");
  pk_diag_free(diag);
  pk_doc_free(doc);
  pk_schema_free(s);
  pk_doc_free(sd);
}

/* pk__value_items(): a batch of a table's or an array's children with
 * kinds and scalars, as the decode reads them. */
Test(schema, value_items_of_tables_and_arrays)
{
  pk_doc *doc = parse("i.toml", "s = \"x\\u0000y\"\ni = -7\nf = 2.5\n"
                                "b = true\nd = 2024-01-02\na = [1, \"z\"]\n"
                                "\"k\\u0000\" = false\n[t]\n");
  const pk_value *root = pk_doc_root(doc);
  pk__item it[8];
  cr_assert_eq(pk__value_items(root, 0, it, 8), 8);
  cr_assert_str_eq(it[0].key, "s");
  cr_assert_eq(it[0].key_len, 1);
  cr_assert_eq(it[0].kind, PK_KIND_STRING);
  cr_assert_eq(it[0].len, 3);
  cr_assert_eq(memcmp(it[0].u.s, "x\0y", 4), 0);
  cr_assert_eq(it[0].v, pk_table_get(root, "s"));
  cr_assert_eq(it[1].kind, PK_KIND_INTEGER);
  cr_assert_eq(it[1].u.i, -7);
  cr_assert_eq(it[2].kind, PK_KIND_FLOAT);
  cr_assert_float_eq(it[2].u.f, 2.5, 0);
  cr_assert_eq(it[3].kind, PK_KIND_BOOL);
  cr_assert(it[3].u.b);
  cr_assert_eq(it[4].kind, PK_KIND_DATE_LOCAL);
  cr_assert_eq(it[5].kind, PK_KIND_ARRAY);
  cr_assert_eq(it[6].key_len, 2);
  cr_assert_eq(memcmp(it[6].key, "k\0", 3), 0);
  cr_assert_eq(it[6].kind, PK_KIND_BOOL);
  cr_assert(!it[6].u.b);
  cr_assert_eq(it[7].kind, PK_KIND_TABLE);
  /* a batch from the middle, shorter than asked, and past the end */
  cr_assert_eq(pk__value_items(root, 5, it, 8), 3);
  cr_assert_str_eq(it[0].key, "a");
  cr_assert_eq(pk__value_items(root, 6, it, 1), 1);
  cr_assert_eq(it[0].kind, PK_KIND_BOOL);
  cr_assert_eq(pk__value_items(root, 8, it, 8), 0);
  /* an array's items have no key */
  cr_assert_eq(pk__value_items(pk_table_get(root, "a"), 0, it, 8), 2);
  cr_assert_null(it[0].key);
  cr_assert_eq(it[0].key_len, 0);
  cr_assert_eq(it[0].u.i, 1);
  cr_assert_str_eq(it[1].u.s, "z");
  cr_assert_eq(it[1].len, 1);
  /* not a container, NULL, an empty table */
  cr_assert_eq(pk__value_items(pk_table_get(root, "i"), 0, it, 8), 0);
  cr_assert_eq(pk__value_items(NULL, 0, it, 8), 0);
  cr_assert_eq(pk__value_items(pk_table_get(root, "t"), 0, it, 8), 0);
  pk_doc_free(doc);
}
