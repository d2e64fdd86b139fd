/* test_cli_plugins.c -- the plugin commands of the plugkit CLI (list, info,
 * order, graph, why, check), run as the real binary against fixture
 * directories made at test time and the fixture plugins of the build.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "cli_util.h"

TestSuite(cli_plugins, .init = setup, .fini = teardown, .timeout = 60);

/* ---- list ---- */

Test(cli_plugins, list_prints_aligned_columns)
{
  const char *dir = chain_dir();
  run r = cli("list", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  char line[1024];
  snprintf(line, sizeof line,
           "a:base   1.0.0  discovered  %s/base/plugin.toml\n", dir);
  assert_has(r.out, line);
  snprintf(line, sizeof line,
           "b:other  3.0.0  discovered  %s/other/plugin.toml\n", dir);
  assert_has(r.out, line);
  /* sorted by namespace, then name */
  cr_assert(strstr(r.out, "a:top") < strstr(r.out, "b:other"));
  cr_assert(strstr(r.out, "a:base") < strstr(r.out, "a:mid"));
  cr_assert_str_empty(r.err);
  run_free(&r);
}

Test(cli_plugins, list_hides_shadowed_unless_all)
{
  const char *first = data_plugin("one", "s", "dup", "1.0.0", NULL);
  const char *second = data_plugin("two", "s", "dup", "2.0.0", NULL);
  run r = cli("list", "--path", first, "--path", second);
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "s:dup  1.0.0  discovered");
  assert_lacks(r.out, "2.0.0");
  run_free(&r);

  r = cli("list", "--all", "--path", first, "--path", second);
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "s:dup  1.0.0  discovered");
  assert_has(r.out, "s:dup  2.0.0  shadowed");
  assert_has(r.out, "    shadowed by ");
  run_free(&r);
}

Test(cli_plugins, plugkit_path_is_searched_before_path_options)
{
  const char *first = data_plugin("env", "s", "dup", "1.0.0", NULL);
  const char *second = data_plugin("opt", "s", "dup", "2.0.0", NULL);
  run r = cli_env(first, "list", "--path", second, NULL);
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "s:dup  1.0.0  discovered");
  assert_lacks(r.out, "2.0.0");
  run_free(&r);
}

Test(cli_plugins, list_shows_broken_plugins_with_their_error)
{
  const char *dir = data_plugin("p", "a", "good", "1.0.0", NULL);
  plugin("p", "bad", "name = \"bad\"\nnamespace = \"a\"\nversion = 7\n");
  run r = cli("list", "--path", dir);
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "bad     -      broken");
  char pos[512];
  snprintf(pos, sizeof pos, "\n    %s/bad/plugin.toml:3:", dir);
  assert_has(r.out, pos);
  assert_has(r.err, "plugkit: warning: ");
  run_free(&r);
}

/* A FIFO manifest blocked the listing; a symlink to /dev/zero made it grow
 * until the kernel killed it (issue 12, item 6).  Both are broken plugins
 * now, named after their directories. */
Test(cli_plugins, list_survives_a_fifo_and_a_device_as_manifests)
{
  const char *dir = data_plugin("p", "a", "good", "1.0.0", NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/fifo", dir);
  mkdir(path, 0755);
  strcat(path, "/plugin.toml");
  cr_assert_eq(mkfifo(path, 0644), 0);
  snprintf(path, sizeof path, "%s/zero", dir);
  mkdir(path, 0755);
  strcat(path, "/plugin.toml");
  cr_assert_eq(symlink("/dev/zero", path), 0);
  run r = cli("list", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "a:good  1.0.0  discovered");
  char line[1024];
  snprintf(line, sizeof line, "fifo    -      broken      %s/fifo/plugin.toml\n"
           "    %s/fifo/plugin.toml: not a regular file but a FIFO; replace "
           "it with a regular file\n", dir, dir);
  assert_has(r.out, line);
  snprintf(line, sizeof line, "zero    -      broken      %s/zero/plugin.toml\n"
           "    %s/zero/plugin.toml: not a regular file but a character "
           "device; replace it with a regular file\n", dir, dir);
  assert_has(r.out, line);
  snprintf(line, sizeof line, "plugkit: warning: fifo: broken manifest: "
           "%s/fifo/plugin.toml: not a regular file but a FIFO", dir);
  assert_has(r.err, line);
  run_free(&r);
}

Test(cli_plugins, list_json)
{
  const char *dir = data_plugin("p", "a", "x", "1.0.0", NULL);
  plugin("p", "bad", "oops");
  run r = cli("list", "--json", "--path", dir);
  cr_assert_eq(r.code, 0);
  cr_assert_eq(r.out[0], '[');
  assert_has(r.out, "\"id\": \"a:x\"");
  assert_has(r.out, "\"namespace\": \"a\"");
  assert_has(r.out, "\"name\": \"x\"");
  assert_has(r.out, "\"version\": \"1.0.0\"");
  assert_has(r.out, "\"state\": \"discovered\"");
  assert_has(r.out, "\"library\": null");
  assert_has(r.out, "\"state\": \"broken\"");
  assert_has(r.out, "\"reason\": ");
  run_free(&r);
}

Test(cli_plugins, list_usage_errors_exit_2)
{
  run r = cli("list", "--bogus");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "unknown option '--bogus'");
  assert_has(r.err, "usage: plugkit list");
  run_free(&r);
  r = cli("list", "--path");
  cr_assert_eq(r.code, 2);
  run_free(&r);
  r = cli("list", "--help");
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "usage: plugkit list");
  run_free(&r);
}

Test(cli_plugins, list_with_nothing_installed)
{
  run r = cli("list", "--path", root);
  cr_assert_eq(r.code, 0);
  cr_assert_str_empty(r.out);
  assert_has(r.err, "no plugins found");
  run_free(&r);
}

Test(cli_plugins, list_warns_about_a_missing_search_path)
{
  const char *dir = data_plugin("p", "a", "x", "1.0.0", NULL);
  char missing[300];
  snprintf(missing, sizeof missing, "%s/typo", root);
  run r = cli_env(missing, "list", "--path", dir, "--path", "/nonexistent",
                  NULL);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "a:x  1.0.0  discovered");
  char line[600];
  snprintf(line, sizeof line, "plugkit: warning: search path %s (from "
           "PLUGKIT_PATH): No such file or directory; no plugins found "
           "there\n", missing);
  assert_has(r.err, line);
  assert_has(r.err, "plugkit: warning: search path /nonexistent (from "
                    "pk_host_add_path): No such file or directory; no "
                    "plugins found there\n");
  run_free(&r);
}

/* ---- info ---- */

static const char rich_manifest[] =
    "name = \"s3\"\n"
    "namespace = \"runner\"\n"
    "version = \"1.2.0\"\n"
    "description = \"Remote cache on S3-compatible storage\"\n"
    "requires = [\"local >= 1.0\", \"other:metrics\"]\n"
    "optional = [\"tracing\"]\n"
    "hooks = [\"on_build\"]\n"
    "[config]\n"
    "region = { type = \"string\", default = \"us-east-1\", doc = \"Default "
    "region\" }\n"
    "[[provides]]\n"
    "kind = \"cache\"\n"
    "tag = \"s3\"\n"
    "extends = \"local\"\n"
    "[provides.config]\n"
    "bucket = { type = \"string\", required = true }\n";

Test(cli_plugins, info_prints_the_manifest)
{
  const char *dir = plugin("p", "s3dir", rich_manifest);
  run r = cli("info", "runner:s3", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "plugin       runner:s3\n");
  assert_has(r.out, "version      1.2.0\n");
  assert_has(r.out, "description  Remote cache on S3-compatible storage\n");
  assert_has(r.out, "library      none (a data-only plugin)\n");
  assert_has(r.out, "state        discovered: installed, but nothing");
  assert_has(r.out, "requires     local >= 1.0\n             other:metrics\n");
  assert_has(r.out, "optional     tracing\n");
  assert_has(r.out, "hooks        \"on_build\"\n");
  assert_has(r.out, "provides     cache \"s3\" (extends \"local\")\n");
  assert_has(r.out, "bucket  string, required\n");
  assert_has(r.out, "config       [plugins.s3]\n");
  assert_has(r.out, "region  string, optional, default = \"us-east-1\": "
                    "Default region");
  char m[512];
  snprintf(m, sizeof m, "manifest     %s/s3dir/plugin.toml\n", dir);
  assert_has(r.out, m);
  run_free(&r);
}

Test(cli_plugins, info_json)
{
  const char *dir = plugin("p", "s3dir", rich_manifest);
  run r = cli("info", "--json", "runner:s3", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "\"id\": \"runner:s3\"");
  assert_has(r.out, "\"requires\": [\n    \"local >= 1.0\",\n    "
                    "\"other:metrics\"\n  ]");
  assert_has(r.out, "\"optional\": [\n    \"tracing\"\n  ]");
  assert_has(r.out, "\"tag\": \"s3\"");
  assert_has(r.out, "\"default\": \"us-east-1\"");
  assert_has(r.out, "\"library\": null");
  run_free(&r);
}

Test(cli_plugins, info_unknown_plugin_suggests_the_closest)
{
  const char *dir = chain_dir();
  run r = cli("info", "a:mdi", "--path", dir);
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  cr_assert_str_eq(r.err, "plugkit: no plugin a:mdi; did you mean a:mid?\n");
  run_free(&r);
  /* a bare name: matched against the name part (pk_closest's rule) */
  r = cli("info", "mdi", "--path", dir);
  cr_assert_eq(r.code, 1);
  cr_assert_str_eq(r.err, "plugkit: no plugin mdi; did you mean a:mid?\n");
  run_free(&r);
  r = cli("info", "zzzzzzzz:qqqqqqqq", "--path", dir);
  cr_assert_eq(r.code, 1);
  assert_has(r.err, "plugkit list");
  run_free(&r);
  r = cli("info", "--path", dir);
  cr_assert_eq(r.code, 2);
  run_free(&r);
}

/* info and why of a plugin whose directory holds a broken manifest name
 * the manifest's error, as order does, instead of "not installed". */
Test(cli_plugins, info_and_why_of_a_broken_plugin_say_its_error)
{
  const char *dir = data_plugin("p", "a", "good", "1.0.0", NULL);
  plugin("p", "bad", "name = \"bad\"\nnamespace = \"a\"\nversion = 7\n");
  char want[1024];
  snprintf(want, sizeof want,
           "plugkit: no plugin a:bad is installed: the plugin directory "
           "%s/bad has a broken manifest: %s/bad/plugin.toml:3:11: key "
           "\"version\": expected a string, found an integer (write it as a "
           "string: version = \"7.0.0\")\n",
           dir, dir);
  const char *const cmds[] = {"info", "why"};
  for (size_t i = 0; i < 2; i++) {
    run r = cli(cmds[i], "a:bad", "--path", dir);
    cr_assert_eq(r.code, 1, "%s", cmds[i]);
    cr_assert_str_empty(r.out);
    assert_has(r.err, want);
    run_free(&r);
  }
}

/* info --json and why --json of a plugin that is not installed print their
 * shape with ok false and the error (the closest id in its message), and
 * still the stderr line and exit 1; a broken manifest is PK_EMANIFEST. */
Test(cli_plugins, info_and_why_json_of_a_missing_plugin_say_the_error)
{
  const char *dir = chain_dir();
  plugin("p", "bad", "name = \"bad\"\nnamespace = \"a\"\nversion = 7\n");
  const char *const cmds[] = {"info", "why"};
  for (size_t i = 0; i < 2; i++) {
    run r = cli(cmds[i], "--json", "a:mdi", "--path", dir);
    cr_assert_eq(r.code, 1, "%s", cmds[i]);
    assert_has(r.err, "\nplugkit: no plugin a:mdi; did you mean a:mid?\n");
    assert_has(r.out, "\"ok\": false");
    assert_has(r.out, "\"id\": \"a:mdi\"");
    assert_has(r.out, "\"state\": null");
    assert_has(r.out, "\"code\": \"PK_EDEP_MISSING\"");
    assert_has(r.out, "\"message\": \"no plugin a:mdi; did you mean a:mid?\"");
    assert_has(r.out, "\"plugin\": \"a:mdi\"");
    run_free(&r);
    r = cli(cmds[i], "--json", "a:bad", "--path", dir);
    cr_assert_eq(r.code, 1, "%s", cmds[i]);
    assert_has(r.err, "has a broken manifest");
    assert_has(r.out, "\"ok\": false");
    assert_has(r.out, "\"code\": \"PK_EMANIFEST\"");
    assert_has(r.out, "expected a string, found an integer");
    run_free(&r);
    /* an installed plugin: ok true, error null */
    r = cli(cmds[i], "--json", "a:mid", "--path", dir);
    cr_assert_eq(r.code, 0, "%s: %s", cmds[i], r.err);
    assert_has(r.out, "\"ok\": true");
    assert_has(r.out, "\"error\": null");
    run_free(&r);
  }
}

/* list and check show a manifest value of the wrong kind as the library
 * words it: the key's dotted path and what to write, at file:line:col. */
Test(cli_plugins, list_and_check_name_the_key_of_a_value_of_the_wrong_kind)
{
  const char *dir = data_plugin("p", "a", "good", "1.0.0", NULL);
  plugin("p", "bad",
         "name = \"bad\"\nnamespace = \"a\"\nversion = \"1.0.0\"\n"
         "[[provides]]\nkind = \"k\"\ntag = 3\n");
  char want[1024];
  snprintf(want, sizeof want,
           "%s/bad/plugin.toml:6:7: key \"provides[0].tag\": expected a "
           "string, found an integer (write it as a string: tag = \"3\")",
           dir);
  run r = cli("list", "--path", dir);
  assert_has(r.out, want);
  run_free(&r);
  r = cli("check", "--path", dir);
  cr_assert_eq(r.code, 1);
  assert_has(r.out, want);
  run_free(&r);
}

Test(cli_plugins, info_shows_shadowed_copies)
{
  const char *first = data_plugin("one", "s", "dup", "1.0.0", NULL);
  const char *second = data_plugin("two", "s", "dup", "2.0.0", NULL);
  run r = cli("info", "s:dup", "--path", first, "--path", second);
  cr_assert_eq(r.code, 0);
  char line[512];
  snprintf(line, sizeof line, "also found   %s/dup/plugin.toml (shadowed",
           second);
  assert_has(r.out, line);
  run_free(&r);
}

/* Every kind of field, through the checked schema (pk_schema accessors). */
static const char fields_manifest[] =
    "name = \"fx\"\n"
    "namespace = \"t\"\n"
    "version = \"1.0.0\"\n"
    "[config]\n"
    "mode = { type = \"enum\", choices = [\"fast\", \"safe\"], default = "
    "\"safe\", doc = \"How hard to try\" }\n"
    "ratio = { type = \"float\", min = 0.0, max = 1.0, optional = true }\n"
    "tags = { type = \"array\", items = \"string\", default = [\"a\", \"b\"] "
    "}\n"
    "when = { type = \"datetime\", default = 1979-05-27T07:32:00Z }\n"
    "url = { type = \"string\", format = true, required = true, doc = "
    "\"Endpoint\" }\n"
    "[config.limits]\n"
    "type = \"table\"\n"
    "doc = \"Limits\"\n"
    "fields = { read = { type = \"integer\", default = 0, doc = \"Reads\" } }\n"
    "[[provides]]\n"
    "kind = \"venv\"\n"
    "tag = \"plain\"\n"
    "[[provides]]\n"
    "kind = \"venv\"\n"
    "tag = \"uv\"\n"
    "extends = \"plain\"\n"
    "[provides.config]\n"
    "python = { type = \"string\", default = \"3.12\", doc = \"Interpreter\" "
    "}\n"
    "verbose = { type = \"boolean\", default = false }\n";

Test(cli_plugins, info_every_field_type_default_and_doc)
{
  const char *dir = plugin("p", "fx", fields_manifest);
  run r = cli("info", "t:fx", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "provides     venv \"plain\"\n");
  assert_has(r.out, "             venv \"uv\" (extends \"plain\")\n");
  assert_has(r.out, "python   string, optional, default = \"3.12\": "
                    "Interpreter\n");
  assert_has(r.out, "verbose  boolean, optional, default = false\n");
  assert_has(r.out, "config       [plugins.fx]\n");
  assert_has(r.out, "mode    enum (\"fast\", \"safe\"), optional, default = "
                    "\"safe\": How hard to try\n");
  assert_has(r.out, "ratio   float, optional (unset when absent), min = 0.0, "
                    "max = 1.0\n");
  assert_has(r.out, "tags    array of string, optional, default = [\"a\", "
                    "\"b\"]\n");
  assert_has(r.out, "when    datetime, optional, default = "
                    "1979-05-27T07:32:00Z\n");
  assert_has(r.out, "url     string, required, format: Endpoint\n");
  assert_has(r.out, "limits  table, optional: Limits\n");
  assert_has(r.out, "               read  integer, optional, default = 0: "
                    "Reads\n");
  run_free(&r);
}

/* JSON on one line: every run of white space becomes one space. */
static void squeeze(char *s)
{
  char *o = s;
  int prev = 0;
  for (; *s; s++) {
    int ws = *s == ' ' || *s == '\n';
    if (ws && prev)
      continue;
    *o++ = ws ? ' ' : *s;
    prev = ws;
  }
  *o = '\0';
}

Test(cli_plugins, info_json_fields)
{
  const char *dir = plugin("p", "fx", fields_manifest);
  run r = cli("info", "--json", "t:fx", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  squeeze(r.out);
  assert_has(r.out, "\"kind\": \"venv\", \"tag\": \"uv\", \"extends\": "
                    "\"plain\", \"config\": [ { \"name\": \"python\", "
                    "\"type\": \"string\", \"required\": false, \"optional\": "
                    "false, \"default\": \"3.12\", \"format\": false, "
                    "\"doc\": \"Interpreter\" }");
  assert_has(r.out, "\"tag\": \"plain\", \"extends\": null, \"config\": "
                    "null");
  assert_has(r.out, "\"name\": \"mode\", \"type\": \"enum\", \"choices\": [ "
                    "\"fast\", \"safe\" ], \"required\": false");
  assert_has(r.out, "\"name\": \"tags\", \"type\": \"array\", \"items\": "
                    "\"string\"");
  assert_has(r.out, "\"name\": \"url\", \"type\": \"string\", \"required\": "
                    "true, \"optional\": false, \"default\": null, "
                    "\"format\": true, \"doc\": \"Endpoint\"");
  assert_has(r.out, "\"min\": 0, \"max\": 1");
  assert_has(r.out, "\"fields\": [ { \"name\": \"read\", \"type\": "
                    "\"integer\"");
  run_free(&r);
}

/* What a manifest does not say is null for a scalar and [] for a list
 * (docs/cli.md), a broken manifest's fields and a data plugin's alike:
 * the description was "" and the hooks null beside "provides": []. */
Test(cli_plugins, info_json_unknown_fields_are_null_or_empty_lists)
{
  const char *dir = data_plugin("p", "a", "x", "1.0.0", NULL);
  plugin("p", "bad", "name = 3\n");
  const char *const ids[] = {"bad", "a:x"};
  for (size_t i = 0; i < 2; i++) {
    run r = cli("info", "--json", ids[i], "--path", dir);
    cr_assert_eq(r.code, 0, "%s", r.err);
    json_t *j = json_of(r.out);
    cr_assert(json_is_null(json_at(j, "description")), "%s", r.out);
    cr_assert(json_is_null(json_at(j, "library")), "%s", r.out);
    cr_assert(json_is_null(json_at(j, "config")), "%s", r.out);
    const char *const lists[] = {"requires", "optional", "hooks", "provides"};
    for (size_t k = 0; k < 4; k++)
      cr_assert(json_is_array(json_at(j, lists[k])) &&
                    !json_array_size(json_at(j, lists[k])),
                "%s: %s", lists[k], r.out);
    run_free(&r);
  }
}

/* ---- config check ---- */

#define TYPES_HOST PK_TEST_SOURCE_DIR "/fixtures/types_host.toml"

/* `plugkit config check CFG` with the host description and the plugins of
 * fixtures/types. */
#define config_check(cfg)                                                      \
  cli("config", "check", "--host", TYPES_HOST, "--path", FIX("types"), cfg)

static const char *config_file(const char *text)
{
  static char path[300];
  snprintf(path, sizeof path, "%s/host.toml", root);
  write_file(path, text);
  return path;
}

Test(cli_plugins, config_check_lists_every_problem)
{
  /* (fixtures/types/s3 extends the host's built-in "local", which a host
   * description cannot declare, so its instances are left out here) */
  const char *cfg = config_file(
      "[plugins]\n"                 /* 1 */
      "a = \"runner:s4\"\n"         /* 2 */
      "[plugins.remote]\n"          /* 3 */
      "plugin = \"runner:s3\"\n"    /* 4 */
      "regoin = \"x\"\n"            /* 5 */
      "retries = \"many\"\n"        /* 6 */
      "[caches.x]\n"                /* 7 */
      "type = \"redis\"\n"          /* 8 */
      "[defaults]\n"                /* 9 */
      "prefix = 3\n");              /* 10 */
  run r = config_check(cfg);
  cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
  cr_assert_str_empty(r.out);
  char want[512];
#define HAS_AT(LINE, COL, TEXT)                                                \
  do {                                                                         \
    snprintf(want, sizeof want, "%s:%d:%d: %s", cfg, LINE, COL, TEXT);         \
    assert_has(r.err, want);                                                   \
  } while (0)
  HAS_AT(2, 5, "plugin \"runner:s4\" (plugins.a) is not installed (did you "
               "mean \"runner:s3\"?)");
  HAS_AT(5, 1, "unknown field \"regoin\" (did you mean \"region\"?)");
  HAS_AT(6, 11, "field \"retries\": expected an integer, found a string "
                "(write it as a whole number: retries = 1)");
  HAS_AT(8, 8, "unknown cache type \"redis\"");
  assert_has(r.err, "add plugins.redis = \"runner:redis\"");
  HAS_AT(10, 10, "field \"prefix\": expected a string, found an integer "
                 "(write it as a string: prefix = \"3\")");
  assert_has(r.err, "plugkit: 5 problems in ");
  run_free(&r);
  /* a missing required field is reported at the table lacking it */
  cfg = config_file("[plugins]\n"
                    "r = \"runner:redis\"\n"
                    "[caches.y]\n"
                    "type = \"redis\"\n");
  r = config_check(cfg);
  cr_assert_eq(r.code, 1);
  HAS_AT(3, 1, "missing required field \"url\"");
  assert_has(r.err, "plugkit: 1 problem in ");
#undef HAS_AT
  run_free(&r);
}

/* A typo in a [plugins] value: the close name at the value, and the type
 * it would provide points at that typo, not at adding another entry. */
Test(cli_plugins, config_check_plugins_typo_points_at_the_typo)
{
  const char *cfg = config_file("[plugins]\n"             /* 1 */
                                "r = \"runner:rediss\"\n" /* 2 */
                                "[caches.x]\n"            /* 3 */
                                "type = \"redis\"\n"      /* 4 */
                                "url = \"redis://h\"\n"); /* 5 */
  run r = config_check(cfg);
  cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
  char want[1024];
  snprintf(want, sizeof want,
           "%s:2:5: plugin \"runner:rediss\" (plugins.r) is not installed "
           "(did you mean \"runner:redis\"?)",
           cfg);
  assert_has(r.err, want);
  snprintf(want, sizeof want,
           "%s:4:8: unknown cache type \"redis\" in [caches.x]; known types: "
           "none; plugin runner:redis provides it: fix the typo in plugins.r "
           "at %s:2:5 (\"runner:rediss\")\n",
           cfg, cfg);
  assert_has(r.err, want);
  assert_lacks(r.err, "add plugins.");
  assert_has(r.err, "plugkit: 2 problems in ");
  run_free(&r);
}

Test(cli_plugins, config_check_clean_config_exits_0)
{
  const char *cfg = config_file("[plugins]\n"
                                "r = \"runner:redis\"\n"
                                "[plugins.remote]\n"
                                "plugin = \"runner:s3\"\n"
                                "retries = 5\n"
                                "[defaults]\n"
                                "prefix = \"p\"\n"
                                "[caches.y]\n"
                                "type = \"redis\"\n"
                                "url = \"redis://x\"\n");
  run r = config_check(cfg);
  cr_assert_eq(r.code, 0, "%s", r.err);
  char want[320];
  snprintf(want, sizeof want, "%s: ok\n", cfg);
  cr_assert_str_eq(r.out, want);
  cr_assert_str_empty(r.err);
  run_free(&r);
}

Test(cli_plugins, config_check_syntax_error_positioned)
{
  const char *cfg = config_file("[plugins]\na = \n");
  run r = cli("config", "check", cfg);
  cr_assert_eq(r.code, 1);
  char want[320];
  snprintf(want, sizeof want, "%s:2:", cfg);
  assert_has(r.err, want);
  run_free(&r);
}

/* ---- order ---- */

Test(cli_plugins, order_prints_one_layer_per_line)
{
  const char *dir = chain_dir();
  run r = cli("order", "--path", dir, "a:top", "a:solo");
  cr_assert_eq(r.code, 0, "%s", r.err);
  cr_assert_str_eq(r.out, "a:base a:solo b:other\na:mid\na:top\n");
  cr_assert_str_empty(r.err);
  run_free(&r);
}

Test(cli_plugins, order_all_of_a_namespace)
{
  const char *dir = chain_dir();
  run r = cli("order", "--path", dir, "b:__all__");
  cr_assert_eq(r.code, 0, "%s", r.err);
  cr_assert_str_eq(r.out, "b:other\n");
  run_free(&r);
}

Test(cli_plugins, order_missing_dependency_is_an_error_on_stderr_only)
{
  const char *dir = data_plugin("p", "a", "needy", "1.0.0", "\"a:ghost\"");
  run r = cli("order", "--path", dir, "a:needy");
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  char pos[512];
  snprintf(pos, sizeof pos, "plugkit: %s/needy/plugin.toml:4:", dir);
  assert_has(r.err, pos);
  assert_has(r.err, "a:ghost");
  run_free(&r);
}

Test(cli_plugins, order_cycle_shows_the_chain)
{
  data_plugin("p", "c", "x", "1.0.0", "\"y\"");
  const char *dir = data_plugin("p", "c", "y", "1.0.0", "\"x\"");
  run r = cli("order", "--path", dir, "c:x");
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  assert_has(r.err, "c:x -> c:y -> c:x");
  run_free(&r);
}

Test(cli_plugins, order_usage_errors)
{
  run r = cli("order");
  cr_assert_eq(r.code, 2);
  cr_assert_str_empty(r.out);
  assert_has(r.err, "usage: plugkit order");
  run_free(&r);
  r = cli("order", "nocolon");
  cr_assert_eq(r.code, 2);
  run_free(&r);
}

Test(cli_plugins, order_unknown_plugin)
{
  const char *dir = chain_dir();
  run r = cli("order", "--path", dir, "a:nope");
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  assert_has(r.err, "plugkit: ");
  assert_has(r.err, "a:nope");
  run_free(&r);
}

Test(cli_plugins, order_timings_go_to_stderr)
{
  const char *dir = chain_dir();
  run r = cli("order", "--timings", "--path", dir, "a:mid");
  cr_assert_eq(r.code, 0);
  cr_assert_str_eq(r.out, "a:base\na:mid\n");
  assert_has(r.err, "import");
  run_free(&r);
}

Test(cli_plugins, order_of_real_shared_objects)
{
  run r = cli("order", "--path", FIX("seed"), "green:one");
  cr_assert_eq(r.code, 0, "%s", r.err);
  cr_assert_str_eq(r.out, "green:one\n");
  run_free(&r);
  r = cli("order", "--path", FIX("faults"), "faults:register_fails");
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  assert_has(r.err, "register_fails");
  run_free(&r);
}

/* ---- graph ---- */

Test(cli_plugins, graph_dot_of_requested_pairs)
{
  const char *dir = chain_dir();
  run r = cli("graph", "--path", dir, "a:top");
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "digraph plugkit {\n");
  assert_has(r.out, "  \"a:top\" -> \"a:mid\";\n");
  assert_has(r.out, "  \"a:top\" -> \"b:other\";\n");
  assert_has(r.out, "  \"a:mid\" -> \"a:base\";\n");
  assert_has(r.out, "{ rank=same; /* layer 0 */ \"a:base\"; \"b:other\"; }");
  assert_lacks(r.out, "a:solo");
  cr_assert_eq(r.out[strlen(r.out) - 2], '}');
  run_free(&r);
}

Test(cli_plugins, graph_json_of_everything)
{
  const char *dir = chain_dir();
  run r = cli("graph", "--format", "json", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  json_t *g = json_of(r.out);
  json_t *nodes = json_at(g, "nodes"), *edges = json_at(g, "edges");
  cr_assert_eq(json_array_size(nodes), 5);
  size_t i;
  json_t *n;
  json_array_foreach(nodes, i, n)
  {
    const char *id = json_str(n, "id");
    long long layer = json_integer_value(json_at(n, "layer"));
    cr_assert_eq(layer, !strcmp(id, "a:top") ? 2 : !strcmp(id, "a:mid"),
                 "%s in layer %lld", id, layer);
    cr_assert(json_is_false(json_at(n, "cycle")));
  }
  cr_assert_eq(json_array_size(edges), 3);
  json_t *e = json_array_get(edges, 0);
  cr_assert_str_eq(json_str(e, "from"), "a:mid");
  cr_assert_str_eq(json_str(e, "to"), "a:base");
  cr_assert_str_eq(json_str(e, "via"), "manifest");
  cr_assert(json_is_null(json_at(g, "cycle")));
  run_free(&r);
}

Test(cli_plugins, graph_of_everything_leaves_out_what_fails)
{
  chain_dir();
  data_plugin("p", "a", "needy", "1.0.0", "\"a:ghost\"");
  const char *dir = data_plugin("p", "a", "fan", "1.0.0", "\"needy\"");
  run r = cli("graph", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.err, "plugkit: warning: leaving out a:needy: ");
  assert_has(r.err, "plugkit: warning: leaving out a:fan: it requires a:needy");
  assert_lacks(r.out, "needy");
  assert_has(r.out, "\"a:top\" -> \"a:mid\";");
  run_free(&r);
}

/* graph --json of everything that gives up (here: a plugin's register
 * hook installs one more plugin, so the discovery after leaving it out
 * differs) prints its failure shape with the error, and the reason on
 * stderr (tests/fixtures/changing). */
Test(cli_plugins, graph_json_that_gives_up_says_why)
{
  const char *dir = chain_dir();
  char added[512], env[600];
  snprintf(added, sizeof added, "%s/added", dir);
  cr_assert_eq(mkdir(added, 0755), 0);
  snprintf(env, sizeof env, "PK_TEST_NEW_PLUGIN=%s/plugin.toml", added);
  cli_extra_env[0] = env;
  run r = cli("graph", "--json", "--path", FIX("changing"), "--path", dir);
  cli_extra_env[0] = NULL;
  cr_assert_eq(r.code, 1, "%s", r.err);
  assert_has(r.err, "plugkit: the plugin directories changed while plugkit "
                    "was reading them; run it again\n");
  assert_has(r.out, "\"ok\": false");
  assert_has(r.out, "\"nodes\": []");
  assert_has(r.out, "\"code\": \"PK_EIO\"");
  assert_has(r.out, "\"message\": \"the plugin directories changed");
  run_free(&r);
}

Test(cli_plugins, graph_errors)
{
  const char *dir = chain_dir();
  run r = cli("graph", "--format", "gif", "--path", dir);
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "use one of dot json svg png");
  run_free(&r);
  r = cli("graph", "--path", dir, "a:nope");
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  run_free(&r);
}

/* ---- why ---- */

/* A paragraph on one line, to match across its line breaks. */
static void unwrap(char *s)
{
  for (; *s; s++)
    if (*s == '\n')
      *s = ' ';
}

Test(cli_plugins, why_without_pairs)
{
  const char *dir = chain_dir();
  run r = cli("why", "a:mid", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "a:mid 1.2.0 is installed at ");
  assert_has(r.out, "Nothing was requested");
  assert_has(r.out, "a:top");
  run_free(&r);
}

Test(cli_plugins, why_loaded_names_the_chain)
{
  const char *dir = chain_dir();
  run r = cli("why", "a:base", "--path", dir, "a:top");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "It was loaded for a:top because it is a dependency of "
                    "a:mid: the host requested a:top, a:top requires a:mid, "
                    "and a:mid requires a:base.");
  assert_has(r.out, "it is ready");
  run_free(&r);

  r = cli("why", "a:top", "--path", dir, "a:top");
  cr_assert_eq(r.code, 0);
  unwrap(r.out);
  assert_has(r.out, "the host requested it directly");
  run_free(&r);
}

/* A lazy plugin that registration did not load: the reason is lazy =
 * true, with its position (it was "registration stopped before it was
 * loaded: ."). */
Test(cli_plugins, why_lazy_names_lazy_true)
{
  const char *dir = plugin("p", "slow",
                           "name = \"slow\"\nnamespace = \"a\"\n"
                           "version = \"1.0.0\"\nlazy = true\n");
  run r = cli("why", "a:slow", "--path", dir, "a:slow");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  char want[512];
  snprintf(want, sizeof want,
           "It was required because the host requested it directly, and it "
           "is lazy (lazy = true at %s/slow/plugin.toml:4:8): it is loaded on "
           "the first use of one of its types or hooks, which registration "
           "alone does not make, so its code has not run.",
           dir);
  assert_has(r.out, want);
  assert_lacks(r.out, ": .");
  run_free(&r);
}

/* Pulled in by NS:__all__ is not "requested directly"; nor is a plugin
 * pulled in by another's NS:__all__ requirement. */
Test(cli_plugins, why_tells_all_from_direct_requests)
{
  data_plugin("p", "a", "x", "1.0.0", NULL);
  const char *dir = data_plugin("p", "a", "sweep", "1.0.0", "\"a:__all__\"");
  run r = cli("why", "a:x", "--path", dir, "a:__all__");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "It was loaded for a:__all__ because the host requested "
                    "a:__all__, which pulls in every plugin of namespace a. ");
  assert_lacks(r.out, "directly");
  run_free(&r);

  r = cli("why", "a:x", "--path", dir, "a:sweep");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "It was loaded for a:sweep because it is a dependency of "
                    "a:sweep: the host requested a:sweep, and a:sweep "
                    "requires a:__all__, which pulls in a:x.");
  run_free(&r);

  r = cli("why", "a:x", "--path", dir, "a:x >= 1");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "because the host requested it directly, as a:x >= 1.");
  run_free(&r);
}

Test(cli_plugins, why_not_loaded)
{
  const char *dir = chain_dir();
  run r = cli("why", "a:solo", "--path", dir, "a:top");
  cr_assert_eq(r.code, 0);
  unwrap(r.out);
  assert_has(r.out, "It was not loaded: none of the requested plugins (a:top) "
                    "requires it");
  run_free(&r);
}

Test(cli_plugins, why_broken_and_shadowed_and_unknown)
{
  const char *dir = data_plugin("one", "s", "dup", "1.0.0", NULL);
  const char *two = data_plugin("two", "s", "dup", "2.0.0", NULL);
  plugin("one", "bad", "name = 3\n");
  run r = cli("why", "bad", "--path", dir);
  cr_assert_eq(r.code, 0);
  unwrap(r.out);
  assert_has(r.out, "broken");
  assert_has(r.out, "plugin.toml:1:");
  run_free(&r);

  r = cli("why", "s:dup", "--path", dir, "--path", two);
  cr_assert_eq(r.code, 0);
  unwrap(r.out);
  assert_has(r.out, "It shadows another copy at ");
  run_free(&r);

  r = cli("why", "s:dpu", "--path", dir);
  cr_assert_eq(r.code, 1);
  assert_has(r.err, "did you mean s:dup?");
  run_free(&r);
}

Test(cli_plugins, why_unmet_version_names_the_failure)
{
  data_plugin("p", "a", "lib", "1.0.0", NULL);
  const char *dir = data_plugin("p", "a", "app", "1.0.0", "\"lib >= 2\"");
  run r = cli("why", "a:lib", "--path", dir, "a:app");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "It was not loaded: registration of a:app failed on it: ");
  assert_has(r.out, "a:lib 1.0.0 is installed");
  run_free(&r);
}

Test(cli_plugins, why_counts_all_requirements)
{
  data_plugin("p", "a", "x", "1.0.0", NULL);
  const char *dir = data_plugin("p", "a", "sweep", "1.0.0", "\"a:__all__\"");
  run r = cli("why", "a:x", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "Installed plugins that require it: a:sweep (through "
                    "a:__all__).");
  run_free(&r);
}

Test(cli_plugins, why_failed_plugin)
{
  run r = cli("why", "faults:register_fails", "--path", FIX("faults"),
              "faults:register_fails");
  cr_assert_eq(r.code, 0, "%s", r.err);
  unwrap(r.out);
  assert_has(r.out, "but it failed: ");
  run_free(&r);
}

/* ---- check ---- */

Test(cli_plugins, check_data_only_and_broken)
{
  const char *dir = chain_dir();
  plugin("p", "bad", "name = \"bad\"\nnamespace = \"a\"\nversion = 1\n");
  run r = cli("check", "--path", dir);
  cr_assert_eq(r.code, 1);
  assert_has(r.out, "ok   a:base\n");
  assert_has(r.out, "ok   a:top\n");
  char line[512];
  snprintf(line, sizeof line, "FAIL bad: %s/bad/plugin.toml:3:", dir);
  assert_has(r.out, line);
  assert_has(r.out, "6 plugins: 5 ok, 1 failed\n");
  run_free(&r);
}

Test(cli_plugins, check_all_ok_exits_0)
{
  const char *dir = chain_dir();
  run r = cli("check", "--path", dir);
  cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
  assert_has(r.out, "5 plugins: 5 ok, 0 failed\n");
  run_free(&r);
}

Test(cli_plugins, check_reports_crashes_and_timeouts_and_goes_on)
{
  run r = cli("check", "--timeout", "1", "--path", FIX("faults"));
  cr_assert_eq(r.code, 1, "%s", r.err);
  assert_has(r.out, "ok   faults:ok\n");
  assert_has(r.out, "FAIL faults:register_crashes: register hook crashed: "
                    "signal 11 (Segmentation fault); fix or remove the "
                    "plugin (manifest ");
  assert_has(r.out, "FAIL faults:register_hangs: register hook did not "
                    "return within 1 s (killed); fix or remove the plugin "
                    "(manifest ");
  assert_has(r.out, "FAIL faults:wrong_abi: ");
  assert_has(r.out, "FAIL faults:missing_symbol: ");
  assert_has(r.out, "FAIL faults:register_fails: ");
  assert_has(r.out, "FAIL faults:cyc_a: ");
  assert_has(r.out, "ok   faults:optional_missing\n");
  /* every plugin gets a line and the summary comes last */
  const char *sum = strstr(r.out, " plugins: ");
  cr_assert_not_null(sum);
  cr_assert_eq(strchr(sum, '\n')[1], '\0');
  run_free(&r);
}

/* Checks fixture faults:NAME alone (a search path holding a link to its
 * directory): a process its register hook leaves running is reported with
 * its pid (which the fixture writes to $PK_TEST_PIDFILE) and does not
 * outlive `plugkit check`. */
static void expect_left_running(const char *name)
{
  char dir[256], link[512], pidfile[256], line[512];
  snprintf(dir, sizeof dir, "%s/one", root);
  mkdir(dir, 0755);
  snprintf(link, sizeof link, "%s/%s", dir, name);
  snprintf(line, sizeof line, "%s/%s", FIX("faults"), name);
  cr_assert_eq(symlink(line, link), 0);
  snprintf(pidfile, sizeof pidfile, "%s/pid", root);
  setenv("PK_TEST_PIDFILE", pidfile, 1);
  run r = cli("check", "--path", dir);
  unsetenv("PK_TEST_PIDFILE");
  FILE *f = fopen(pidfile, "r");
  long pid = 0;
  cr_assert(f && fscanf(f, "%ld", &pid) == 1 && pid > 1, "no pid in %s",
            pidfile);
  fclose(f);
  bool alive = kill((pid_t)pid, 0) == 0;
  if (alive)
    kill((pid_t)pid, SIGKILL); /* what the test must not leave either */
  cr_assert(!alive, "pid %ld outlived plugkit check:\n%s", pid, r.out);
  cr_assert_eq(r.code, 1, "%s", r.out);
  snprintf(line, sizeof line,
           "FAIL faults:%s: left a process running: pid %ld\n", name, pid);
  assert_has(r.out, line);
  assert_has(r.out, "1 plugin: 0 ok, 1 failed\n");
  run_free(&r);
}

/* Its child, still in the group the check kills: killed, and now also
 * reported. */
Test(cli_plugins, check_reports_a_child_left_running)
{
  expect_left_running("leaves_child");
}

/* A daemon (setsid, double fork) left the group: it passed and outlived
 * the check (issue 12, item 7). */
Test(cli_plugins, check_finds_and_kills_a_daemon_left_running)
{
  expect_left_running("leaves_daemon");
}

Test(cli_plugins, check_json)
{
  const char *dir = chain_dir();
  plugin("p", "bad", "broken = ");
  run r = cli("check", "--json", "--path", dir);
  cr_assert_eq(r.code, 1);
  assert_has(r.out, "\"id\": \"a:base\",");
  assert_has(r.out, "\"ok\": true");
  assert_has(r.out, "\"ok\": false");
  assert_has(r.out, "\"total\": 6");
  assert_has(r.out, "\"failed\": 1");
  assert_has(r.out, "\"error\": null");
  run_free(&r);
}

/* A check of nothing (most likely a wrong search path) exited 0 with
 * total 0: now it fails, naming what was searched and how to set it, with
 * --json and without. */
Test(cli_plugins, check_of_nothing_fails_naming_the_search_path)
{
  char want[600];
  snprintf(want, sizeof want,
           "plugkit: no plugins found; searched %s; set PLUGKIT_PATH "
           "(directories separated by ':') or pass --path DIR to where the "
           "plugin directories are\n",
           root);
  run r = cli("check", "--path", root);
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out, "no summary of nothing checked");
  cr_assert_str_eq(r.err, want);
  r = cli("check", "--json", "--path", root);
  cr_assert_eq(r.code, 1);
  cr_assert_str_eq(r.err, want);
  json_t *j = json_of(r.out);
  cr_expect_eq(json_array_size(json_at(j, "plugins")), 0);
  cr_expect_eq(json_integer_value(json_at(j, "total")), 0);
  cr_expect_eq(json_integer_value(json_at(j, "ok")), 0);
  cr_expect_eq(json_integer_value(json_at(j, "failed")), 0);
  json_t *e = json_at(j, "error");
  cr_expect_str_eq(json_str(e, "code"), "PK_ENOTFOUND");
  snprintf(want, sizeof want, "no plugins found; searched %s; set ", root);
  assert_has(json_str(e, "message"), want);
  /* from PLUGKIT_PATH */
  r = cli_env(root, "check", "--json", NULL);
  cr_assert_eq(r.code, 1);
  snprintf(want, sizeof want, "no plugins found; searched PLUGKIT_PATH (%s);",
           root);
  assert_has(json_str(json_at(json_of(r.out), "error"), "message"), want);
  /* nothing to search */
  r = cli("check");
  cr_assert_eq(r.code, 1);
  assert_has(r.err, "no plugins found; searched nothing: set PLUGKIT_PATH or "
                    "pass --path DIR\n");
}

/* A host that cannot be made or cannot discover its search path (here: a
 * lock file, PLUGKIT_LOCK, that is not there) printed no JSON: every
 * --json command now prints its shape with ok false and the error (list,
 * an array, {ok, error}), and exits 1. */
Test(cli_plugins, json_commands_print_their_failure_when_the_host_fails)
{
  const char *dir = chain_dir();
  char lock[300], env[320];
  snprintf(lock, sizeof lock, "%s/none.lock", root);
  snprintf(env, sizeof env, "PLUGKIT_LOCK=%s", lock);
  cli_extra_env[0] = env;
  const char *const cmds[][3] = {{"list", NULL},     {"info", "a:top"},
                                 {"order", "a:top"}, {"graph", NULL},
                                 {"graph", "a:top"}, {"why", "a:top", "a:top"},
                                 {"check", NULL}};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    run r = cli(cmds[i][0], "--json", "--path", dir, cmds[i][1], cmds[i][2]);
    cr_expect_eq(r.code, 1, "%s", cmds[i][0]);
    assert_has(r.err, "none.lock: cannot read");
    json_t *j = json_of(r.out);
    json_t *e = json_at(j, "error");
    cr_expect_str_eq(json_str(e, "code"), "PK_EIO", "%s", cmds[i][0]);
    assert_has(json_str(e, "message"), lock);
    if (strcmp(cmds[i][0], "check")) /* its ok counts the plugins that pass */
      cr_expect(json_is_false(json_at(j, "ok")), "%s", cmds[i][0]);
    else
      cr_expect_eq(json_integer_value(json_at(j, "total")), 0);
  }
  json_t *j = json_of(cli("info", "--json", "--path", dir, "a:top").out);
  cr_expect_str_eq(json_str(j, "id"), "a:top");
  cr_expect_eq(json_array_size(json_at(j, "requires")), 0);
  j = json_of(cli("order", "--json", "--path", dir, "a:top").out);
  cr_expect_eq(json_array_size(json_at(j, "layers")), 0);
  j = json_of(cli("graph", "--format", "json", "--path", dir).out);
  cr_expect_eq(json_array_size(json_at(j, "nodes")), 0);
  j = json_of(cli("why", "--json", "--path", dir, "a:top").out);
  cr_expect_str_eq(json_str(j, "id"), "a:top");
  /* without --json: the error only */
  run r = cli("order", "--path", dir, "a:top");
  cr_expect_eq(r.code, 1);
  cr_expect_str_empty(r.out);
  cli_extra_env[0] = NULL;
  /* config check: a host description that cannot be read */
  char cfg[300], host[300];
  snprintf(cfg, sizeof cfg, "%s/host.toml", root);
  snprintf(host, sizeof host, "%s/missing.toml", root);
  write_file(cfg, "[plugins]\n");
  r = cli("config", "check", "--json", "--host", host, cfg);
  cr_expect_eq(r.code, 1);
  j = json_of(r.out);
  cr_expect(json_is_false(json_at(j, "ok")));
  cr_expect_str_eq(json_str(j, "file"), cfg);
  cr_assert_eq(json_array_size(json_at(j, "problems")), 1, "%s", r.out);
  assert_has(json_str(json_array_get(json_at(j, "problems"), 0), "message"),
             "missing.toml");
}

Test(cli_plugins, check_usage_errors)
{
  run r = cli("check", "--timeout", "soon");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "--timeout");
  run_free(&r);
  r = cli("check", "extra");
  cr_assert_eq(r.code, 2);
  run_free(&r);
}

Test(cli_plugins, top_level_help_lists_the_commands)
{
  run r = cli("--help");
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "  list ");
  assert_has(r.out, "  check ");
  assert_has(r.out, "  toml ");
  run_free(&r);
}
