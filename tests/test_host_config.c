/* test_host_config.c -- a host config loaded from the host's own document
 * (pk_host_load_config_doc: one parse, the host takes the document, also
 * on failure), the plugins a config declares (requested, with their
 * configs) and the public did-you-mean rule (pk_closest).
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <plugkit.h>

#include "test_util.h"

static pk_doc *parse(const char *text)
{
  pk_doc *doc;
  pk_error err;
  cr_assert_eq(pk_doc_parse(text, strlen(text), "host.toml", NULL, &doc,
                            &err), PK_OK, "%s", err.message);
  return doc;
}

static pk_host *new_host(void)
{
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_declare_kind(h, "cache", 1, "caches", NULL, &err),
               PK_OK);
  return h;
}

Test(host_config, doc_is_taken_and_readable_until_the_host_is_freed)
{
  pk_host *h = new_host();
  pk_error err;
  pk_doc *doc = parse("[ctx]\nregion = \"eu\"\n[caches.a]\ntype = \"x\"\n");
  /* the caller reads its own table first, then hands the document over */
  const char *region;
  cr_assert_eq(pk_table_get_string(pk_table_get(pk_doc_root(doc), "ctx"),
                                   "region", &region, &err), PK_OK);
  cr_assert_str_eq(region, "eu");
  pk_diag *diag;
  cr_assert_eq(pk_diag_new(NULL, &diag, NULL), PK_OK);
  cr_assert_eq(pk_host_load_config_doc(h, doc, diag, &err), PK_ENOTFOUND);
  cr_assert_str_eq(err.source, "host.toml"); /* positions from the doc */
  cr_assert_eq(err.line, 4);
  cr_assert_eq(pk_diag_count(diag), 1);
  cr_assert_str_eq(region, "eu"); /* still the host's, still alive */
  pk_diag_free(diag);
  pk_host_free(h); /* frees doc: a leak or double free fails under ASan */
}

Test(host_config, doc_is_freed_when_the_call_is_refused)
{
  pk_host *h = new_host();
  pk_error err;
  cr_assert_eq(pk_host_load_config_doc(h, parse(""), NULL, &err), PK_OK);
  /* a second config is refused; that document is freed all the same */
  cr_assert_eq(pk_host_load_config_doc(h, parse("a = 1\n"), NULL, &err),
               PK_ESTATE);
  cr_assert_eq(pk_host_load_config_doc(h, NULL, NULL, &err), PK_EMISUSE);
  pk_host_free(h);
}

Test(host_config, closest_is_the_library_rule)
{
  static const char *const names[] = {"commands", "caches", "envs"};
  cr_assert_str_eq(pk_closest("comands", names, 3), "commands");
  cr_assert_str_eq(pk_closest("cahces", names, 3), "caches"); /* swap: 1 */
  cr_assert_null(pk_closest("plugins", names, 3));
  cr_assert_null(pk_closest("env", names, 0));
  cr_assert_null(pk_closest(NULL, names, 3));
}

/* ---- the plugins a config declares ---- */

static char root[64];

static void make_root(void) { make_temp_root(root, sizeof root, "pk-hconf"); }

static void remove_root(void) { remove_temp_root(root); }

TestSuite(declared, .init = make_root, .fini = remove_root, .timeout = 20);

/* ROOT/plugins/NAME/plugin.toml: plugin NAME of namespace ns, with extra
 * lines after its head. */
static void plugin(const char *ns, const char *name, const char *extra)
{
  char path[512], text[1024];
  snprintf(path, sizeof path, "%s/plugins", root);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/plugins/%s", root, name);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/plugins/%s/plugin.toml", root, name);
  snprintf(text, sizeof text,
           "name = \"%s\"\nnamespace = \"%s\"\nversion = \"1.0.0\"\n%s", name,
           ns, extra);
  write_file(path, text);
}

/* A host of ROOT/plugins (with the description text desc, unless NULL)
 * after loading the config text conf: its status into *st. */
static pk_host *host_with(const char *desc, const char *conf, pk_status *st,
                          pk_error *e)
{
  char path[512];
  pk_host *h;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, e), PK_OK);
  if (desc) {
    snprintf(path, sizeof path, "%s/host.toml", root);
    write_file(path, desc);
    cr_assert_eq(pk_host_load_description(h, path, e), PK_OK, "%s",
                 e->message);
  }
  snprintf(path, sizeof path, "%s/plugins", root);
  cr_assert_eq(pk_host_add_path(h, path, e), PK_OK);
  snprintf(path, sizeof path, "%s/config.toml", root);
  write_file(path, conf);
  *st = pk_host_load_config(h, path, NULL, e);
  return h;
}

/* Each declared plugin is requested (the one no entry names is not) and
 * has its config, its schema's defaults or the entry's settings, until
 * the host is freed (a config freed early fails under ASan). */
Test(declared, are_requested_with_their_configs)
{
  plugin("t", "one", "[config]\nsize = { type = \"integer\", default = 7 }\n");
  plugin("t", "two", "[config]\nsize = { type = \"integer\", default = 7 }\n");
  plugin("t", "three", "");
  pk_error e;
  pk_status st;
  pk_host *h = host_with(NULL,
                         "[plugins]\none = \"t:one\"\nthree = \"t:three\"\n"
                         "[plugins.second]\nplugin = \"t:two\"\nsize = 9\n",
                         &st, &e);
  cr_assert_eq(st, PK_OK, "%s", e.message);
  cr_assert_eq(state_of(h, "t:one"), PK_STATE_REQUESTED);
  cr_assert_eq(state_of(h, "t:two"), PK_STATE_REQUESTED);
  cr_assert_eq(state_of(h, "t:three"), PK_STATE_REQUESTED);
  int64_t one, two;
  cr_assert_eq(pk_config_get_integer(
                   pk_plugin_get_config(pk_host_find_plugin(h, "t:one")),
                   "size", &one, &e), PK_OK);
  cr_assert_eq(pk_config_get_integer(
                   pk_plugin_get_config(pk_host_find_plugin(h, "t:two")),
                   "size", &two, &e), PK_OK);
  cr_assert_eq(one, 7);
  cr_assert_eq(two, 9);
  cr_assert_not_null(pk_plugin_get_config(pk_host_find_plugin(h, "t:three")));
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pk_host_free(h);

  plugin("t", "four", "");
  h = host_with(NULL, "[plugins]\none = \"t:one\"\n", &st, &e);
  cr_assert_eq(st, PK_OK, "%s", e.message);
  cr_assert_eq(state_of(h, "t:one"), PK_STATE_REQUESTED);
  cr_assert_eq(state_of(h, "t:four"), PK_STATE_DISCOVERED);
  pk_host_free(h);
}

/* A plugin of no [config] declared without settings has the config of no
 * field, one decode for them all; a plugin with a [config] declared
 * without settings between them still has its own: its defaults
 * applied, its required fields reported missing. */
Test(declared, without_settings_keep_their_defaults_and_required_fields)
{
  plugin("t", "a", "");
  plugin("t", "b", "[config]\nsize = { type = \"integer\", default = 7 }\n");
  plugin("t", "c", "");
  plugin("t", "d", "[config]\nneed = { type = \"integer\", required = true }\n");
  pk_error e;
  pk_status st;
  pk_host *h = host_with(
      NULL, "[plugins]\na = \"t:a\"\nb = \"t:b\"\nc = \"t:c\"\n", &st, &e);
  cr_assert_eq(st, PK_OK, "%s", e.message);
  const pk_config *a = pk_plugin_get_config(pk_host_find_plugin(h, "t:a")),
                  *b = pk_plugin_get_config(pk_host_find_plugin(h, "t:b")),
                  *c = pk_plugin_get_config(pk_host_find_plugin(h, "t:c"));
  cr_assert(a && b && c);
  cr_expect_eq(a, c); /* the one config of no field */
  int64_t size = 0;
  cr_assert_eq(pk_config_get_integer(b, "size", &size, &e), PK_OK, "%s",
               e.message);
  cr_expect_eq(size, 7);
  cr_expect_neq(pk_config_get_integer(a, "size", &size, &e), PK_OK);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pk_host_free(h);

  h = host_with(NULL, "[plugins]\na = \"t:a\"\nd = \"t:d\"\nc = \"t:c\"\n",
                &st, &e);
  cr_assert_eq(st, PK_EMISSING, "%s", e.message);
  cr_expect(strstr(e.message, "missing required field \"need\""), "%s",
            e.message);
  pk_host_free(h);
}

/* A declared plugin of a namespace the host does not accept is refused as
 * pk_host_request refuses it, and the host's later stages say so again. */
Test(declared, of_an_unknown_namespace_are_refused)
{
  plugin("t", "one", "");
  plugin("u", "other", "");
  pk_error e;
  pk_status st;
  pk_host *h = host_with("[namespaces.t]\nabi = 1\n",
                         "[plugins]\none = \"t:one\"\nother = \"u:other\"\n",
                         &st, &e);
  cr_assert_eq(st, PK_EDEP_MISSING, "%s", e.message);
  cr_assert(strstr(e.message, "u:other") &&
                strstr(e.message, "but namespace \"u\" is unknown to this "
                                  "host (it accepts: t)"),
            "%s", e.message);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &e), PK_EDEP_MISSING);
  cr_assert(strstr(e.message, "namespace \"u\" is unknown"), "%s", e.message);
  pk_host_free(h);
}

/* A plugin named __all__ declared by the config requests, as its id
 * "ns:__all__" says, every plugin of its namespace. */
Test(declared, named_all_requests_its_namespace)
{
  static const char *const ids[][2] = {
      {"t", "__all__"}, {"t", "one"}, {"u", "other"}};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
    plugin(ids[i][0], ids[i][1], "");
  pk_error e;
  pk_status st;
  pk_host *h = host_with(NULL, "[plugins]\nall = \"t:__all__\"\n", &st, &e);
  cr_assert_eq(st, PK_OK, "%s", e.message);
  cr_assert_eq(state_of(h, "t:one"), PK_STATE_REQUESTED);
  cr_assert_eq(state_of(h, "u:other"), PK_STATE_DISCOVERED);
  pk_host_free(h);
}
