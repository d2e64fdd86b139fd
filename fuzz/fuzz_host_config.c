/* fuzz_host_config.c -- libFuzzer target: any bytes as the host config of
 * a runner-like host (pk_host_load_config_text).  The host is fixed: a
 * description with kinds (one with a default type, one without a table),
 * built-in types with schemas, one extending another, hooks and a
 * [defaults] schema, the code of those types (pk_host_add_type), and a
 * search path of data-only plugins, one with a [config] schema and one
 * lazy.  The config loads or fails with a status and a positioned message;
 * a config that loads is registered, and every instance its tables name is
 * built (pk_host_get_instance, pk_host_check_instance and
 * pk_host_make_instance for inline deps), which must not crash either.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include <plugkit.h>

#include "fuzz.h"

static const char description[] =
    "[namespaces.runner]\n"
    "abi = 1\n"
    "[kinds.cache]\n"
    "table = \"caches\"\n"
    "version = 1\n"
    "default = \"local\"\n"
    "[kinds.dep]\n"
    "version = 1\n"
    "default = \"glob\"\n"
    "[kinds.env]\n"
    "table = \"envs\"\n"
    "version = 1\n"
    "[hooks.on_build]\n"
    "mode = \"collect\"\n"
    "[hooks.pick]\n"
    "mode = \"first-result\"\n"
    "[types.cache.local.config]\n"
    "dir = { type = \"string\", default = \".runner/cache\" }\n"
    "max = { type = \"integer\", min = 0, default = 100 }\n"
    "[types.cache.remote]\n"
    "extends = \"local\"\n"
    "[types.cache.remote.config]\n"
    "url = { type = \"string\", required = true, doc = \"{ctx.host}\" }\n"
    "ttl = { type = \"float\", min = 0.0, optional = true }\n"
    "mode = { type = \"enum\", choices = [\"rw\", \"ro\"], default = \"rw\" }\n"
    "tags = { type = \"array\", items = \"string\", default = [] }\n"
    "limits = { type = \"table\", fields = { read = { type = \"integer\", "
    "default = 0 } } }\n"
    "[types.dep.glob.config]\n"
    "pattern = { type = \"string\", required = true }\n"
    "[types.dep.command.config]\n"
    "name = { type = \"string\", required = true }\n"
    "strict = { type = \"boolean\", default = false }\n"
    "[types.env.env]\n"
    "[defaults]\n"
    "prefix = { type = \"string\", optional = true }\n"
    "max = { type = \"integer\", default = 10 }\n";

static const char *const plugins[][2] = {
    {"plugins/settings/plugin.toml",
     "name = \"settings\"\nnamespace = \"runner\"\nversion = \"1.0.0\"\n"
     "[config]\nlevel = { type = \"integer\", min = 0, max = 9, default = 1 }\n"
     "name = { type = \"string\", optional = true }\n"},
    {"plugins/lazy/plugin.toml",
     "name = \"lazy\"\nnamespace = \"runner\"\nversion = \"2.1.0\"\n"
     "lazy = true\nrequires = [\"settings\"]\n"},
    {"plugins/other/plugin.toml",
     "name = \"other\"\nnamespace = \"other\"\nversion = \"0.1.0\"\n"},
};

/* kind, tag, extends */
static const char *const types[][3] = {
    {"cache", "local", NULL}, {"cache", "remote", "local"},
    {"dep", "glob", NULL},    {"dep", "command", NULL},
    {"env", "env", NULL}};

static int built; /* instances alive */

static pk_status factory(const pk_instance_args *args, void **out,
                         pk_error *err)
{
  (void)err;
  char *json = NULL;
  CHECK(args->config && args->kind && args->tag && args->name);
  CHECK(pk_config_to_json(args->config, &json, NULL, NULL) == PK_OK);
  pk_string_free(json);
  *out = &built;
  built++;
  return PK_OK;
}

static void destroy(void *data, void *inst)
{
  (void)data;
  CHECK(inst == &built);
  built--;
}

static void check_failure(pk_status st, const pk_error *err)
{
  CHECK(st != PK_OK && err->code == st && err->message[0]);
  CHECK(st != PK_EMISUSE);
  if (err->line)
    CHECK(err->col >= 1 && err->source[0]);
}

static void setup(void)
{
  static bool done;
  if (done)
    return;
  done = true;
  fuzz_write(fuzz_path("host.toml"), description, sizeof description - 1);
  mkdir(fuzz_path("plugins"), 0755);
  mkdir(fuzz_path("plugins/settings"), 0755);
  mkdir(fuzz_path("plugins/lazy"), 0755);
  mkdir(fuzz_path("plugins/other"), 0755);
  for (size_t i = 0; i < sizeof plugins / sizeof plugins[0]; i++)
    fuzz_write(fuzz_path(plugins[i][0]), plugins[i][1],
               strlen(plugins[i][1]));
}

/* Builds every instance the tables of kind (under table) name. */
static void instances(pk_host *h, const pk_value *root, const char *kind,
                      const char *table)
{
  const pk_value *t = pk_table_get(root, table);
  for (size_t i = 0; i < pk_table_count(t); i++) {
    const char *name = pk_table_key_at(t, i, NULL);
    void *obj = NULL;
    pk_error err;
    pk_status st = pk_host_get_instance(h, kind, name, &obj, &err);
    if (st == PK_OK)
      CHECK(obj == &built);
    else
      check_failure(st, &err);
  }
}

/* deps = [...] at the root: checked and built as inline instances. */
static void inline_deps(pk_host *h, const pk_value *root)
{
  const pk_value *deps = pk_table_get(root, "deps");
  for (size_t i = 0; i < pk_array_count(deps) && i < 16; i++) {
    const pk_value *d = pk_array_at(deps, i);
    pk_error err;
    pk_status st = pk_host_check_instance(h, "dep", "deps[]", d, NULL, &err);
    if (st != PK_OK) {
      check_failure(st, &err);
      continue;
    }
    pk_instance *in = NULL;
    st = pk_host_make_instance(h, "dep", "deps[]", d, &in, &err);
    if (st == PK_OK)
      CHECK(pk_instance_get(in) == &built);
    else
      check_failure(st, &err);
    pk_instance_free(in);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  setup();
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h = NULL;
  pk_error err;
  CHECK(pk_host_new(&o, &h, &err) == PK_OK);
  CHECK(pk_host_load_description(h, fuzz_path("host.toml"), &err) == PK_OK);
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    pk_type_options t = {.size = sizeof t, .kind = types[i][0],
                         .tag = types[i][1], .extends = types[i][2],
                         .factory = factory, .destroy = destroy};
    CHECK(pk_host_add_type(h, &t, &err) == PK_OK);
  }
  CHECK(pk_host_add_path(h, fuzz_path("plugins"), &err) == PK_OK);
  pk_doc *doc = NULL;
  pk_status st = pk_doc_parse((const char *)data, size, "config.toml", NULL,
                              &doc, &err);
  const pk_value *root = doc ? pk_doc_root(doc) : NULL;
  if (st == PK_OK)
    st = pk_host_load_config_doc(h, doc, NULL, &err);
  if (st == PK_OK)
    st = pk_host_register(h, NULL, 0, NULL, 0, &err);
  if (st != PK_OK) {
    check_failure(st, &err);
  } else {
    instances(h, root, "cache", "caches");
    instances(h, root, "env", "envs");
    inline_deps(h, root);
  }
  pk_host_free(h);
  CHECK(built == 0); /* every instance destroyed */
  return 0;
}
