/* cmd_check.c -- `plugkit check`: every installed plugin's manifest, ABI,
 * entry symbol and register hook.  The search path is discovered once, in
 * the parent; each plugin is then registered in a child process forked
 * from that discovered host (cli_isolate: it loads only that plugin and
 * what it requires), so that one that crashes, hangs, ends the process or
 * leaves a process running is reported, not fatal.
 * SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ---- the child: register one plugin of the discovered host ---- */

typedef struct one {
  pk_host *host;
  const char *id;
} one;

static int check_body(void *ud)
{
  one *c = ud;
  /* what plugins print must not mix with the report */
  int null = open("/dev/null", O_WRONLY);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    close(null);
  }
  pk_error err;
  pk_error_clear(&err);
  const char *req[1] = {c->id};
  pk_status st = cli_run(c->host, req, 1, CLI_POST_REGISTER, NULL, &err);
  if (st != PK_OK) {
    char msg[2048];
    pk_error_format(&err, msg, sizeof msg);
    if (err.plugin[0] && strcmp(err.plugin, c->id) && !strstr(msg, err.plugin))
      cli_child_message("%s: %s", err.plugin, msg);
    else
      cli_child_message("%s", msg);
  }
  pk_host_free(c->host); /* runs the unload hooks: part of the check */
  return st == PK_OK ? 0 : 1;
}

/* Runs the check of one plugin of host; writes the failure into reason
 * (empty when the plugin is fine).  Leaves no process behind. */
static void check_one(pk_host *host, const char *id, double timeout,
                      char *reason, size_t n)
{
  one c = {host, id};
  cli_outcome o;
  int rc = cli_isolate(check_body, &c, timeout, &o);
  size_t len = 0;
  reason[0] = '\0';
  if (rc == 1 && o.message[0])
    len = (size_t)snprintf(reason, n, "%s", o.message);
  else if (rc > 0)
    len = (size_t)snprintf(reason, n, "exited with status %d%s%s", rc,
                           o.message[0] ? ": " : "", o.message);
  char text[2048]; /* holds any outcome (cli.h) */
  cli_outcome_text(&o, id, text, sizeof text);
  if (text[0] && len < n)
    snprintf(reason + len, n - len, "%s%s", len ? "; and " : "", text);
}

/* ---- the command ---- */

/* The end of the JSON report, after its plugins: the counts and err, the
 * failure of the check as a whole (NULL: none). */
static void json_end(cli_json_writer *w, size_t total, size_t failed,
                     const pk_error *err)
{
  cli_json_end_array(w);
  cli_json_key(w, "total");
  cli_json_int(w, (long long)total);
  cli_json_key(w, "ok");
  cli_json_int(w, (long long)(total - failed));
  cli_json_key(w, "failed");
  cli_json_int(w, (long long)failed);
  cli_json_key(w, "error");
  cli_json_error(w, err);
  cli_json_end_object(w);
  cli_json_finish(w);
}

/* The start of the JSON report, up to its plugins. */
static void json_begin(cli_json_writer *w)
{
  cli_json_init(w, stdout);
  cli_json_begin_object(w);
  cli_json_key(w, "plugins");
  cli_json_begin_array(w);
}

/* With --json, a host that could not be made: no plugin checked, err. */
static void json_failure(const cli_args *a, const pk_error *err)
{
  cli_json_writer w;
  if (!a->json)
    return;
  json_begin(&w);
  json_end(&w, 0, 0, err);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  double timeout = a.timeout;
  pk_host *host = cli_host_new(&a, false);
  if (!host) {
    cli_args_free(&a);
    return 1;
  }
  cli_json_writer w;
  if (a.json)
    json_begin(&w);
  size_t total = 0, failed = 0;
  for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
    pk_plugin *p = pk_host_plugin_at(host, i);
    pk_plugin_state st = pk_plugin_get_state(p);
    if (st == PK_STATE_SHADOWED)
      continue; /* never loaded: the copy that shadows it is checked */
    char reason[2400];
    if (st == PK_STATE_BROKEN)
      cli_plugin_reason(p, reason, sizeof reason);
    else
      check_one(host, pk_plugin_get_id(p), timeout, reason, sizeof reason);
    total++;
    failed += reason[0] != '\0';
    if (a.json) {
      cli_json_begin_object(&w);
      cli_json_key(&w, "id");
      cli_json_string(&w, pk_plugin_get_id(p));
      cli_json_key(&w, "manifest");
      cli_json_string(&w, pk_plugin_get_manifest_path(p));
      cli_json_key(&w, "ok");
      cli_json_bool(&w, reason[0] == '\0');
      cli_json_key(&w, "reason");
      cli_json_string(&w, reason[0] ? reason : NULL);
      cli_json_end_object(&w);
    } else if (reason[0]) {
      printf("FAIL %s: %s\n", pk_plugin_get_id(p), reason);
    } else {
      printf("ok   %s\n", pk_plugin_get_id(p));
    }
    fflush(stdout);
  }
  /* A check of nothing is a failure: the search path is most likely
   * wrong, and a script must not read it as every plugin passing. */
  pk_error none;
  if (total == 0)
    cli_no_plugins_found(&a, &none);
  if (a.json)
    json_end(&w, total, failed, total ? NULL : &none);
  else if (total)
    printf("%zu plugin%s: %zu ok, %zu failed\n", total, total == 1 ? "" : "s",
           total - failed, failed);
  pk_host_free(host);
  cli_args_free(&a);
  return failed || total == 0 ? 1 : 0;
}

const cli_command cli_check = {
    "check",
    run,
    "",
    "load each plugin in a child process and report it",
    "Checks every installed plugin: its manifest, ABI, entry symbol and "
    "lifecycle hooks (register, post_register, unload), each plugin with "
    "what it requires in a child process of its own, so that one that "
    "crashes, hangs or leaves a process running is reported and the others "
    "are still checked.  Exits 1 when a plugin fails, and when no plugin "
    "is found: the error then names the search path that was scanned "
    "(PLUGKIT_PATH, then each --path DIR).",
    {{"--timeout", NULL, "SEC",
      "give each plugin SEC seconds (default 5; a "
      "decimal number such as 0.5)",
      false, NULL},
     {"--json", NULL, NULL,
      "print {plugins: [{id, manifest, ok, reason}], "
      "total, ok, failed, error} (docs/cli.md); on a failure too, with "
      "the error (no plugin found, a discovery that failed: a PLUGKIT_LOCK "
      "that cannot be read)",
      false, NULL},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    json_failure};
