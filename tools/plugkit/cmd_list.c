/* cmd_list.c -- `plugkit list`: every installed plugin, one per line.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "cli.h"

static bool shown(const cli_args *a, const pk_plugin *p)
{
  return cli_opt(a, "--all") || pk_plugin_get_state(p) != PK_STATE_SHADOWED;
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

/* The error of a broken plugin or the reason of a shadowed one is shown on
 * the line below it. */
static bool has_detail(const pk_plugin *p)
{
  pk_plugin_state st = pk_plugin_get_state(p);
  return st == PK_STATE_BROKEN || st == PK_STATE_FAILED ||
         st == PK_STATE_SHADOWED;
}

static void list_text(pk_host *host, const cli_args *a)
{
  size_t wid = 0, wver = 0, wstate = 0;
  size_t n = pk_host_plugin_count(host);
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = pk_host_plugin_at(host, i);
    if (!shown(a, p))
      continue;
    size_t l = strlen(pk_plugin_get_id(p));
    wid = l > wid ? l : wid;
    l = strlen(or_dash(pk_plugin_get_version(p)));
    wver = l > wver ? l : wver;
    l = strlen(pk_plugin_state_name(pk_plugin_get_state(p)));
    wstate = l > wstate ? l : wstate;
  }
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = pk_host_plugin_at(host, i);
    if (!shown(a, p))
      continue;
    printf("%-*s  %-*s  %-*s  %s\n", (int)wid, pk_plugin_get_id(p), (int)wver,
           or_dash(pk_plugin_get_version(p)), (int)wstate,
           pk_plugin_state_name(pk_plugin_get_state(p)),
           pk_plugin_get_manifest_path(p));
    char buf[2048];
    if (has_detail(p))
      printf("    %s\n", cli_plugin_reason(p, buf, sizeof buf));
  }
}

static const char *or_null(const char *s) { return s && *s ? s : NULL; }

static void list_json(pk_host *host, const cli_args *a)
{
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_array(&w);
  for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
    pk_plugin *p = pk_host_plugin_at(host, i);
    if (!shown(a, p))
      continue;
    bool broken = pk_plugin_get_state(p) == PK_STATE_BROKEN;
    char buf[2048];
    cli_json_begin_object(&w);
    cli_json_key(&w, "id");
    cli_json_string(&w, pk_plugin_get_id(p));
    cli_json_key(&w, "namespace");
    cli_json_string(&w, or_null(pk_plugin_get_namespace(p)));
    cli_json_key(&w, "name");
    cli_json_string(&w, broken ? NULL : pk_plugin_get_name(p));
    cli_json_key(&w, "version");
    cli_json_string(&w, or_null(pk_plugin_get_version(p)));
    cli_json_key(&w, "state");
    cli_json_string(&w, pk_plugin_state_name(pk_plugin_get_state(p)));
    cli_json_key(&w, "manifest");
    cli_json_string(&w, pk_plugin_get_manifest_path(p));
    cli_json_key(&w, "library");
    cli_json_string(&w, or_null(pk_plugin_get_library_path(p)));
    cli_json_key(&w, "reason");
    cli_json_string(&w, cli_plugin_reason(p, buf, sizeof buf));
    cli_json_end_object(&w);
  }
  cli_json_end_array(&w);
  cli_json_finish(&w);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  pk_host *host = cli_host_new(&a, true);
  if (!host) {
    cli_args_free(&a);
    return 1;
  }
  if (a.json)
    list_json(host, &a);
  else
    list_text(host, &a);
  pk_error none; /* an empty list is an answer: a note, not a failure */
  if (pk_host_plugin_count(host) == 0)
    cli_no_plugins_found(&a, &none);
  pk_host_free(host);
  cli_args_free(&a);
  return 0;
}

const cli_command cli_list = {
    "list",
    run,
    "",
    "the installed plugins, one per line",
    "Lists every plugin found in the search path (PLUGKIT_PATH, then each "
    "--path DIR): its NS:NAME, version, state and manifest; a broken "
    "plugin's error and a shadowed plugin's reason on the line below.  No "
    "plugin code runs.",
    {{"--all", "-a", NULL,
      "list the shadowed copies too (a plugin found "
      "again later in the search path)",
      false, NULL},
     {"--json", NULL, NULL,
      "print a JSON array of {id, namespace, name, "
      "version, state, manifest, library, reason} (docs/cli.md); when "
      "discovery fails (a PLUGKIT_LOCK that cannot be read) {ok: false, "
      "error}",
      false, NULL},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    NULL};
