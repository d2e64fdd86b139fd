/* cmd_config.c -- `plugkit config check [--host HOST.toml] [--path DIR]...
 * CONFIG.toml`: every problem of a host config, each with its position.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "cli.h"

/* The problems on stderr as FILE:LINE:COL: message, and the count. */
static void print_problems(const pk_diag *diag, const pk_error *err,
                           const char *config)
{
  size_t n = pk_diag_count(diag);
  if (n == 0)
    cli_print_error(err);
  for (size_t i = 0; i < n; i++) {
    char buf[2048];
    pk_error_format(pk_diag_at(diag, i), buf, sizeof buf);
    fprintf(stderr, "%s\n", buf);
  }
  fprintf(stderr, "plugkit: %zu problem%s in %s\n", n ? n : 1,
          n == 1 ? "" : "s", config);
}

static void print_json(const pk_diag *diag, const pk_error *err,
                       const char *config, bool ok)
{
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "file");
  cli_json_string(&w, config);
  cli_json_key(&w, "ok");
  cli_json_bool(&w, ok);
  cli_json_key(&w, "problems");
  cli_json_begin_array(&w);
  size_t n = ok || !diag ? 0 : pk_diag_count(diag);
  for (size_t i = 0; i < n; i++)
    cli_json_error(&w, pk_diag_at(diag, i));
  if (!ok && n == 0)
    cli_json_error(&w, err);
  cli_json_end_array(&w);
  cli_json_end_object(&w);
  cli_json_finish(&w);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  if (a.npos == 0 || strcmp(a.pos[0], "check")) {
    static const char *const subs[] = {"check"};
    if (a.npos)
      cli_unknown("config command", a.pos[0], subs, 1);
    cli_args_free(&a);
    return cli_usage_error(cmd, "expected the subcommand \"check\"");
  }
  if (a.npos != 2) {
    cli_args_free(&a);
    return cli_usage_error(cmd, a.npos < 2 ? "missing CONFIG.toml"
                                           : "one CONFIG.toml only");
  }
  const char *config = a.pos[1], *host_file = cli_opt(&a, "--host");
  pk_host *host = NULL;
  pk_diag *diag = NULL;
  pk_error err;
  pk_error_clear(&err);
  pk_host_options o = {.size = sizeof o};
  rc = 0;
  if (pk_host_new(&o, &host, &err) != PK_OK ||
      pk_diag_new(NULL, &diag, &err) != PK_OK ||
      (host_file && pk_host_load_description(host, host_file, &err) != PK_OK))
    rc = 1;
  for (size_t i = 0; rc == 0 && i < a.npaths; i++)
    if (pk_host_add_path(host, a.paths[i], &err) != PK_OK)
      rc = 1;
  bool ok = false;
  if (rc) {
    cli_print_error(&err);
    pk_diag_free(diag);
    diag = NULL;
  } else if (pk_host_load_config(host, config, diag, &err) != PK_OK) {
    print_problems(diag, &err, config);
    rc = 1;
  } else {
    ok = true;
    if (!a.json)
      printf("%s: ok\n", config);
  }
  if (a.json) /* no diag: a host that could not be made, err */
    print_json(diag, &err, config, ok);
  pk_diag_free(diag);
  pk_host_free(host);
  cli_args_free(&a);
  return rc;
}

const cli_command cli_config = {
    "config",
    run,
    "check CONFIG.toml",
    "every problem of a host config, with its position",
    "config check reads a host's config file (the operator's file: "
    "[plugins], [defaults], the instance tables of each kind and the host's "
    "own tables its description describes) as the host would, and prints every problem as FILE:LINE:COL: message, without "
    "running any plugin code: a plugin that is not installed (with the "
    "closest name), a setting its [config] schema does not accept, an "
    "unknown type tag (with the plugin that provides it), a wrong type or a "
    "missing value.  Exits 1 when there is a problem.",
    {{"--host", NULL, "HOST.toml",
      "the host's description file "
      "(namespaces, kinds, hooks, built-in types, the [defaults] schema and "
      "the host's own tables: docs/host-description.md), e.g. the runner's "
      "runner-host.toml",
      false, "file"},
     {"--json", NULL, NULL,
      "print {file, ok, problems: [ERROR, ...]} "
      "(docs/cli.md)",
      false, NULL},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    NULL};
