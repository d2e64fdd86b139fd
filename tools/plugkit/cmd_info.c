/* cmd_info.c -- `plugkit info NS:NAME`: everything the manifest says about
 * one plugin, read without running any of its code.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "cli.h"

#define LABEL "%-12s "
#define INDENT "             "

/* True when the requirement text is listed in the manifest's `optional`. */
static bool is_optional(const pk_plugin *p, const char *req)
{
  const pk_value *opt = pk_table_get(pk_plugin_get_manifest(p), "optional");
  for (size_t i = 0; i < pk_array_count(opt); i++) {
    const char *s;
    if (pk_value_get_string(pk_array_at(opt, i), &s, NULL, NULL) == PK_OK &&
        !strcmp(s, req))
      return true;
  }
  return false;
}

static const char *string_at(const pk_value *table, const char *key)
{
  const char *s = NULL;
  const pk_value *v = pk_table_get(table, key);
  if (v && pk_value_kind(v) == PK_KIND_STRING)
    pk_value_get_string(v, &s, NULL, NULL);
  return s;
}

/* ---- text ---- */

static void print_requirements(const pk_plugin *p, bool optional)
{
  bool first = true;
  for (size_t i = 0; i < pk_plugin_requirement_count(p); i++) {
    const char *r = pk_plugin_requirement_at(p, i);
    if (!r || is_optional(p, r) != optional)
      continue;
    printf(LABEL "%s\n", first ? (optional ? "optional" : "requires") : "",
           r);
    first = false;
  }
}

/* A field's type as shown: "string", "array of integer", "enum (a, b)". */
static void print_field_type(const pk_field *f)
{
  pk_field_type t = pk_field_get_type(f);
  printf("%s", pk_field_type_name(t));
  if (t == PK_FIELD_ARRAY)
    printf(" of %s", pk_field_type_name(pk_field_get_items(f)));
  if (t == PK_FIELD_ENUM) {
    printf(" (");
    for (size_t i = 0; i < pk_field_choice_count(f); i++)
      printf("%s\"%s\"", i ? ", " : "", pk_field_choice_at(f, i));
    putchar(')');
  }
}

/* One schema field per line, nested tables indented below their field:
 * "name  type, required|optional, default = TOML, min = 0: doc". */
static void print_schema(const pk_schema *s, const char *indent)
{
  size_t width = 0, n = pk_schema_field_count(s);
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(pk_field_get_name(pk_schema_field_at(s, i)));
    width = l > width ? l : width;
  }
  for (size_t i = 0; i < n; i++) {
    const pk_field *f = pk_schema_field_at(s, i);
    printf("%s%-*s  ", indent, (int)width, pk_field_get_name(f));
    print_field_type(f);
    const pk_value *dflt = pk_field_get_default(f);
    if (pk_field_is_required(f))
      printf(", required");
    else if (dflt) {
      printf(", optional, default = ");
      cli_write_toml_value(stdout, dflt);
    } else if (pk_field_is_optional(f))
      printf(", optional (unset when absent)");
    else
      printf(", optional"); /* a table field: decoded from {} */
    if (pk_field_get_min(f)) {
      printf(", min = ");
      cli_write_toml_value(stdout, pk_field_get_min(f));
    }
    if (pk_field_get_max(f)) {
      printf(", max = ");
      cli_write_toml_value(stdout, pk_field_get_max(f));
    }
    if (pk_field_is_format(f))
      printf(", format");
    const char *doc = pk_field_get_doc(f);
    if (doc && *doc)
      printf(": %s", doc);
    putchar('\n');
    if (pk_field_get_fields(f)) {
      char deeper[256];
      snprintf(deeper, sizeof deeper, "%s  ", indent);
      print_schema(pk_field_get_fields(f), deeper);
    }
  }
}

/* The schema of a manifest table ([config] or [provides.config]), checked;
 * NULL (with a note printed) when absent or invalid. */
static pk_schema *schema_of(const pk_value *table, const char *indent,
                            bool text)
{
  if (!table)
    return NULL;
  pk_schema *s = NULL;
  pk_error err;
  if (pk_schema_new(table, NULL, &s, &err) != PK_OK) {
    char buf[1024];
    pk_error_format(&err, buf, sizeof buf);
    if (text)
      printf("%s(invalid schema: %s)\n", indent, buf);
    return NULL;
  }
  return s;
}

static void print_provides(const pk_value *prov)
{
  for (size_t i = 0; i < pk_array_count(prov); i++) {
    const pk_value *t = pk_array_at(prov, i);
    const char *kind = string_at(t, "kind"), *tag = string_at(t, "tag");
    const char *ext = string_at(t, "extends");
    printf(LABEL "%s \"%s\"", i ? "" : "provides", kind ? kind : "?",
           tag ? tag : "?");
    if (ext && *ext)
      printf(" (extends \"%s\")", ext);
    putchar('\n');
    pk_schema *s = schema_of(pk_table_get(t, "config"), INDENT "  ", true);
    if (s)
      print_schema(s, INDENT "  ");
    pk_schema_free(s);
  }
}

static void info_text(pk_host *host, const pk_plugin *p)
{
  const pk_value *m = pk_plugin_get_manifest(p);
  pk_plugin_state st = pk_plugin_get_state(p);
  printf(LABEL "%s\n", "plugin", pk_plugin_get_id(p));
  if (m) {
    printf(LABEL "%s\n", "namespace", pk_plugin_get_namespace(p));
    printf(LABEL "%s\n", "name", pk_plugin_get_name(p));
    printf(LABEL "%s\n", "version", pk_plugin_get_version(p));
    if (*pk_plugin_get_description(p))
      printf(LABEL "%s\n", "description", pk_plugin_get_description(p));
  }
  printf(LABEL "%s\n", "manifest", pk_plugin_get_manifest_path(p));
  if (m) {
    int64_t abi;
    bool lazy = false;
    if (*pk_plugin_get_library_path(p)) {
      printf(LABEL "%s", "library", pk_plugin_get_library_path(p));
      if (pk_table_get_integer(m, "abi", &abi, NULL) == PK_OK)
        printf(" (abi %lld)", (long long)abi);
      putchar('\n');
    } else {
      printf(LABEL "%s\n", "library", "none (a data-only plugin)");
    }
    if (pk_table_get_bool_or(m, "lazy", false, &lazy, NULL) == PK_OK && lazy)
      printf(LABEL "%s\n", "lazy", "yes (loaded on first use)");
  }
  const char *state = pk_plugin_state_name(st);
  char buf[2048];
  const char *reason = cli_plugin_reason(p, buf, sizeof buf);
  if (strcmp(reason, state))
    printf(LABEL "%s: %s\n", "state", state, reason);
  else
    printf(LABEL "%s\n", "state", state);
  if (!m)
    return;
  print_requirements(p, false);
  print_requirements(p, true);
  const pk_value *hooks = pk_table_get(m, "hooks");
  for (size_t i = 0; i < pk_array_count(hooks); i++) {
    printf(LABEL, i ? "" : "hooks");
    cli_write_toml_value(stdout, pk_array_at(hooks, i));
    putchar('\n');
  }
  print_provides(pk_table_get(m, "provides"));
  const pk_value *config = pk_table_get(m, "config");
  if (config && pk_value_kind(config) == PK_KIND_TABLE &&
      pk_table_count(config)) {
    printf(LABEL "[plugins.%s]\n", "config", pk_plugin_get_name(p));
    pk_schema *s = schema_of(config, INDENT, true);
    if (s)
      print_schema(s, INDENT);
    pk_schema_free(s);
  }
  /* other copies of the same plugin, further down the search path */
  bool first = true;
  for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
    pk_plugin *o = pk_host_plugin_at(host, i);
    if (o == p || pk_plugin_get_state(o) != PK_STATE_SHADOWED ||
        strcmp(pk_plugin_get_id(o), pk_plugin_get_id(p)))
      continue;
    printf(LABEL "%s (shadowed by this one)\n", first ? "also found" : "",
           pk_plugin_get_manifest_path(o));
    first = false;
  }
}

/* ---- json ---- */

static const char *or_null(const char *s) { return s && *s ? s : NULL; }

/* The requirements or the optional ones of p ([] without p). */
static void json_requirements(cli_json_writer *w, const pk_plugin *p,
                              bool optional)
{
  cli_json_key(w, optional ? "optional" : "requires");
  cli_json_begin_array(w);
  for (size_t i = 0; p && i < pk_plugin_requirement_count(p); i++) {
    const char *r = pk_plugin_requirement_at(p, i);
    if (r && is_optional(p, r) == optional)
      cli_json_string(w, r);
  }
  cli_json_end_array(w);
}

static void json_fields(cli_json_writer *w, const pk_schema *s)
{
  cli_json_begin_array(w);
  for (size_t i = 0; i < pk_schema_field_count(s); i++) {
    const pk_field *f = pk_schema_field_at(s, i);
    pk_field_type t = pk_field_get_type(f);
    cli_json_begin_object(w);
    cli_json_key(w, "name");
    cli_json_string(w, pk_field_get_name(f));
    cli_json_key(w, "type");
    cli_json_string(w, pk_field_type_name(t));
    if (t == PK_FIELD_ARRAY) {
      cli_json_key(w, "items");
      cli_json_string(w, pk_field_type_name(pk_field_get_items(f)));
    }
    if (t == PK_FIELD_ENUM) {
      cli_json_key(w, "choices");
      cli_json_begin_array(w);
      for (size_t c = 0; c < pk_field_choice_count(f); c++)
        cli_json_string(w, pk_field_choice_at(f, c));
      cli_json_end_array(w);
    }
    cli_json_key(w, "required");
    cli_json_bool(w, pk_field_is_required(f));
    cli_json_key(w, "optional");
    cli_json_bool(w, pk_field_is_optional(f));
    cli_json_key(w, "default");
    cli_json_value(w, pk_field_get_default(f));
    if (pk_field_get_min(f)) {
      cli_json_key(w, "min");
      cli_json_value(w, pk_field_get_min(f));
    }
    if (pk_field_get_max(f)) {
      cli_json_key(w, "max");
      cli_json_value(w, pk_field_get_max(f));
    }
    cli_json_key(w, "format");
    cli_json_bool(w, pk_field_is_format(f));
    cli_json_key(w, "doc");
    cli_json_string(w, pk_field_get_doc(f));
    if (pk_field_get_fields(f)) {
      cli_json_key(w, "fields");
      json_fields(w, pk_field_get_fields(f));
    }
    cli_json_end_object(w);
  }
  cli_json_end_array(w);
}

/* A schema as an array of field objects; null when absent or invalid. */
static void json_schema(cli_json_writer *w, const pk_value *table)
{
  pk_schema *s = schema_of(table, "", false);
  if (s)
    json_fields(w, s);
  else
    cli_json_null(w);
  pk_schema_free(s);
}

/* The object of docs/cli.md.  Without p, a plugin that is not installed:
 * ok false, id the one asked for, err why, and null or [] for the rest. */
static void info_json(pk_host *host, const pk_plugin *p, const char *id,
                      const pk_error *err)
{
  const pk_value *m = p ? pk_plugin_get_manifest(p) : NULL;
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "ok");
  cli_json_bool(&w, p != NULL);
  cli_json_key(&w, "id");
  cli_json_string(&w, p ? pk_plugin_get_id(p) : id);
  cli_json_key(&w, "namespace");
  cli_json_string(&w, p ? or_null(pk_plugin_get_namespace(p)) : NULL);
  cli_json_key(&w, "name");
  cli_json_string(&w, m ? pk_plugin_get_name(p) : NULL);
  cli_json_key(&w, "version");
  cli_json_string(&w, p ? or_null(pk_plugin_get_version(p)) : NULL);
  cli_json_key(&w, "description");
  cli_json_string(&w, p ? or_null(pk_plugin_get_description(p)) : NULL);
  cli_json_key(&w, "manifest");
  cli_json_string(&w, p ? pk_plugin_get_manifest_path(p) : NULL);
  cli_json_key(&w, "library");
  cli_json_string(&w, p ? or_null(pk_plugin_get_library_path(p)) : NULL);
  int64_t abi;
  cli_json_key(&w, "abi");
  if (m && pk_table_get_integer(m, "abi", &abi, NULL) == PK_OK)
    cli_json_int(&w, (long long)abi);
  else
    cli_json_null(&w);
  cli_json_key(&w, "state");
  cli_json_string(&w, p ? pk_plugin_state_name(pk_plugin_get_state(p)) : NULL);
  char buf[2048];
  cli_json_key(&w, "reason");
  cli_json_string(&w, p ? cli_plugin_reason(p, buf, sizeof buf) : NULL);
  json_requirements(&w, p, false);
  json_requirements(&w, p, true);
  cli_json_key(&w, "hooks");
  const pk_value *hooks = m ? pk_table_get(m, "hooks") : NULL;
  cli_json_begin_array(&w);
  for (size_t i = 0; i < pk_array_count(hooks); i++)
    cli_json_value(&w, pk_array_at(hooks, i));
  cli_json_end_array(&w);
  cli_json_key(&w, "provides");
  const pk_value *prov = m ? pk_table_get(m, "provides") : NULL;
  cli_json_begin_array(&w);
  for (size_t i = 0; i < pk_array_count(prov); i++) {
    const pk_value *t = pk_array_at(prov, i);
    const char *ext = string_at(t, "extends");
    cli_json_begin_object(&w);
    cli_json_key(&w, "kind");
    cli_json_string(&w, string_at(t, "kind"));
    cli_json_key(&w, "tag");
    cli_json_string(&w, string_at(t, "tag"));
    cli_json_key(&w, "extends");
    cli_json_string(&w, ext && *ext ? ext : NULL);
    cli_json_key(&w, "config");
    json_schema(&w, pk_table_get(t, "config"));
    cli_json_end_object(&w);
  }
  cli_json_end_array(&w);
  cli_json_key(&w, "config");
  json_schema(&w, m ? pk_table_get(m, "config") : NULL);
  cli_json_key(&w, "shadowed");
  cli_json_shadowed(&w, host, p);
  cli_json_key(&w, "error");
  cli_json_error(&w, err);
  cli_json_end_object(&w);
  cli_json_finish(&w);
}

/* With --json, a failure before any plugin was found (no host): the shape
 * with ok false and err as its error. */
static void json_failure(const cli_args *a, const pk_error *err)
{
  if (a->json)
    info_json(NULL, NULL, a->pos[0], err);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  if (a.npos != 1) {
    rc = a.npos ? cli_usage_error(cmd, "info takes one plugin, not %zu", a.npos)
                : cli_usage_error(cmd, "which plugin? name it as NS:NAME");
    cli_args_free(&a);
    return rc;
  }
  pk_host *host = cli_host_new(&a, true);
  if (!host) {
    cli_args_free(&a);
    return 1;
  }
  pk_plugin *p = cli_find_plugin(host, a.pos[0]);
  pk_error err;
  rc = p ? 0 : cli_no_plugin(host, a.pos[0], &err);
  if (a.json)
    info_json(host, p, a.pos[0], p ? NULL : &err);
  else if (p)
    info_text(host, p);
  pk_host_free(host);
  cli_args_free(&a);
  return rc;
}

const cli_command cli_info = {
    "info",
    run,
    "NS:NAME",
    "one plugin's manifest, read without running it",
    "Prints what the manifest of plugin NS:NAME says: version, description, "
    "library and ABI, state, requirements (required and optional), hooks, "
    "the types it provides with their config schemas, its own [config] "
    "schema, and the shadowed copies found later in the search path.  No "
    "plugin code runs.",
    {{"--json", NULL, NULL,
      "print one JSON object (docs/cli.md); for a plugin that is not "
      "installed too, with ok false and the error",
      false, NULL},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    json_failure};
