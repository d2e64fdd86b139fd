/* cli_host.c -- what the plugin commands share: the host (PLUGKIT_PATH,
 * then --path), plugin lookup with "did you mean".
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- the host ---- */

static void log_to_stderr(void *ud, pk_log_level level, const char *plugin,
                          const char *message)
{
  (void)ud;
  if (level < PK_LOG_WARN)
    return;
  fprintf(stderr, "plugkit: %s: %s%s%s\n",
          level == PK_LOG_WARN ? "warning" : "error", plugin ? plugin : "",
          plugin ? ": " : "", message);
}

pk_host *cli_host_new(const cli_args *a, bool log_warnings)
{
  return cli_host_new_traced(a, log_warnings, NULL, NULL);
}

pk_host *cli_host_new_traced(const cli_args *a, bool log_warnings,
                             pk_trace_fn trace, void *trace_ud)
{
  pk_host_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.log = log_warnings ? log_to_stderr : NULL;
  o.trace = trace;
  o.trace_ud = trace_ud;
  o.watch = cli_watch;
  pk_host *host = NULL;
  pk_error err;
  pk_error_clear(&err);
  pk_status st = pk_host_new(&o, &host, &err);
  for (size_t i = 0; st == PK_OK && i < a->npaths; i++)
    st = pk_host_add_path(host, a->paths[i], &err);
  if (st == PK_OK)
    st = pk_host_discover(host, &err);
  if (st != PK_OK) {
    cli_print_error(&err);
    cli_json_failure(a, &err);
    pk_host_free(host);
    return NULL;
  }
  return host;
}

void cli_no_plugins_found(const cli_args *a, pk_error *err)
{
  char buf[sizeof err->message];
  size_t n = sizeof buf;
  const char *env = getenv("PLUGKIT_PATH");
  size_t used = (size_t)snprintf(buf, n, "no plugins found; searched ");
  size_t start = used;
  if (env && *env)
    used += (size_t)snprintf(buf + used, n - used, "PLUGKIT_PATH (%s)", env);
  for (size_t i = 0; i < a->npaths && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s",
                             used > start ? ", " : "", a->paths[i]);
  if (used == start)
    snprintf(buf + used, n - used,
             "nothing: set PLUGKIT_PATH or pass --path DIR");
  else if (used < n)
    snprintf(buf + used, n - used,
             "; set PLUGKIT_PATH (directories separated by ':') or pass "
             "--path DIR to where the plugin directories are");
  pk_error_clear(err);
  err->code = PK_ENOTFOUND;
  memcpy(err->message, buf, sizeof buf); /* the same room */
  fprintf(stderr, "plugkit: %s\n", err->message);
}

int cli_check_pairs(cli_args *a, size_t from)
{
  for (size_t i = from; i < a->npos; i++) {
    const char *c = strchr(a->pos[i], ':');
    if (!c || c == a->pos[i] || c[1] == '\0') {
      int rc = cli_usage_error(
          a->cmd, "'%s' is not NS:NAME (e.g. runner:redis)", a->pos[i]);
      cli_args_free(a);
      return rc;
    }
  }
  return -1;
}

void cli_requirement_target(const char *ns, const char *req, char *buf,
                            size_t n)
{
  size_t len = strspn(req, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
                           "xyz0123456789_.-:");
  if (memchr(req, ':', len) || !ns || !*ns)
    snprintf(buf, n, "%.*s", (int)len, req);
  else
    snprintf(buf, n, "%s:%.*s", ns, (int)len, req);
}

/* ---- lookup ---- */

pk_plugin *cli_find_plugin(pk_host *host, const char *id)
{
  pk_plugin *p = pk_host_find_plugin(host, id);
  for (size_t i = 0; !p && i < pk_host_plugin_count(host); i++)
    if (!strcmp(pk_plugin_get_id(pk_host_plugin_at(host, i)), id))
      p = pk_host_plugin_at(host, i);
  return p;
}

const char *cli_plugin_reason(const pk_plugin *p, char *buf, size_t n)
{
  const pk_error *e = pk_plugin_get_error(p);
  if (e)
    pk_error_format(e, buf, n);
  else
    snprintf(buf, n, "%s", pk_plugin_get_reason(p));
  return buf;
}

/* The broken plugin of the directory named as id's name part, the likely
 * cause when no plugin is id (as the library says for a requirement), or
 * NULL. */
static const pk_plugin *broken_of(pk_host *host, const char *id)
{
  const char *name = strchr(id, ':');
  for (size_t i = 0; name && i < pk_host_plugin_count(host); i++) {
    const pk_plugin *p = pk_host_plugin_at(host, i);
    if (pk_plugin_get_state(p) == PK_STATE_BROKEN &&
        !strcmp(pk_plugin_get_id(p), name + 1))
      return p;
  }
  return NULL;
}

int cli_no_plugin(pk_host *host, const char *id, pk_error *err)
{
  char msg[2048];
  pk_error_clear(err);
  snprintf(err->plugin, sizeof err->plugin, "%s", id);
  const pk_plugin *broken = broken_of(host, id);
  if (broken) {
    const char *m = pk_plugin_get_manifest_path(broken);
    const char *slash = strrchr(m, '/');
    err->code = PK_EMANIFEST;
    snprintf(msg, sizeof msg,
             "no plugin %s is installed: the plugin directory %.*s has a "
             "broken manifest: %s",
             id, slash ? (int)(slash - m) : 1, slash ? m : ".",
             pk_plugin_get_reason(broken));
  } else {
    /* The closest installed id by the library's own rule (pk_closest); a
     * bare name is matched against the name part first. */
    size_t n = pk_host_plugin_count(host), k = 0;
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    const char *best = NULL;
    bool bare = strchr(id, ':') == NULL;
    for (size_t i = 0; ids && names && i < n; i++) { /* else: no suggestion */
      pk_plugin *p = pk_host_plugin_at(host, i);
      if (pk_plugin_get_state(p) == PK_STATE_SHADOWED)
        continue;
      ids[k] = pk_plugin_get_id(p);
      names[k++] = pk_plugin_get_name(p);
    }
    const char *name = bare && names ? pk_closest(id, names, k) : NULL;
    for (size_t i = 0; name && i < k; i++)
      if (names[i] == name)
        best = ids[i];
    if (!best && ids)
      best = pk_closest(id, ids, k);
    err->code = PK_EDEP_MISSING;
    if (best)
      snprintf(msg, sizeof msg, "no plugin %s; did you mean %s?", id, best);
    else if (bare)
      snprintf(msg, sizeof msg,
               "no plugin %s; name plugins as NS:NAME (run 'plugkit list' "
               "to see the installed ones)",
               id);
    else
      snprintf(msg, sizeof msg,
               "no plugin %s is installed; run 'plugkit list' to see the "
               "installed plugins, or add its directory with --path DIR",
               id);
    free(ids);
    free(names);
  }
  fprintf(stderr, "plugkit: %s\n", msg);
  size_t len = strlen(msg); /* cut to the error's room, as the library does */
  if (len >= sizeof err->message)
    len = sizeof err->message - 1;
  memcpy(err->message, msg, len);
  err->message[len] = '\0';
  return 1;
}

void cli_json_shadowed(cli_json_writer *w, pk_host *host, const pk_plugin *p)
{
  cli_json_begin_array(w);
  for (size_t i = 0; p && i < pk_host_plugin_count(host); i++) {
    pk_plugin *o = pk_host_plugin_at(host, i);
    if (o != p && pk_plugin_get_state(o) == PK_STATE_SHADOWED &&
        !strcmp(pk_plugin_get_id(o), pk_plugin_get_id(p)))
      cli_json_string(w, pk_plugin_get_manifest_path(o));
  }
  cli_json_end_array(w);
}
