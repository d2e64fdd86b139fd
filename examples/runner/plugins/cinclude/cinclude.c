/* cinclude.c -- the runner's `cinclude` dep type:
 *   deps = [{ type = "cinclude", path = "src/main.c" }]
 * makes the command depend on ALIAS.scan (strict), which runs cinclude-scan
 * on the source, and on that command's output file: the list of the source
 * and the headers it includes, each with its digest.  So a change to any of
 * them changes the dependent's hash; an unrelated header does not.  Its
 * since and watch sets are the source (the pygraph pattern): --since and
 * --watch never look at the output file, which the scan writes.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugkit/plugin.h>

#include "graph.h"
#include "runner_api.h"

static const pk_host_api *g_api; /* from on_register; valid while loaded */

typedef struct cinclude_conf {
  const char *path;
} cinclude_conf;

typedef struct cinclude_dep {
  runner_dep dep;        /* what the runner sees */
  runner_cmd_ref cmd;
  const char *globs[2];
  const char *source[2]; /* since and watch: the source, not the output */
  char *command, *args, *out, *path;
} cinclude_dep;

/* printf into a malloc()ed string, or NULL. */
static char *str_printf(const char *fmt, const char *a, const char *b)
{
  int n = snprintf(NULL, 0, fmt, a, b);
  char *s = n < 0 ? NULL : malloc((size_t)n + 1);
  if (s)
    snprintf(s, (size_t)n + 1, fmt, a, b);
  return s;
}

static void cinclude_destroy(void *data, void *inst)
{
  cinclude_dep *d = inst;
  (void)data;
  if (!d)
    return;
  free(d->command);
  free(d->args);
  free(d->out);
  free(d->path);
  free(d);
}

static int cinclude_factory(const pk_type_call *call, void **out)
{
  const cinclude_conf *cf = call->config;
  const char *alias = g_api->plugin_alias(call->ctx);
  if (!cf->path || !cf->path[0] || strpbrk(cf->path, "&\n")) {
    snprintf(call->error, call->error_size, "path \"%s\": expected a C "
             "source relative to the project root (without '&')",
             cf->path ? cf->path : "");
    return -1;
  }
  /* the output's name: the path with [^A-Za-z0-9_.-] as '_' */
  char *slug = str_printf("%s%s", cf->path, "");
  cinclude_dep *d = calloc(1, sizeof *d);
  if (!slug || !d) {
    free(slug);
    free(d);
    snprintf(call->error, call->error_size, "out of memory");
    return -1;
  }
  for (char *c = slug; *c; c++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789_.-", *c))
      *c = '_';
  d->out = str_printf(".runner/cinclude/%s%s.deps", slug, "");
  d->command = str_printf("%s%s", alias ? alias : "cinclude", ".scan");
  d->args = d->out ? str_printf("path=%s&out=%s", cf->path, d->out) : NULL;
  d->path = str_printf("%s%s", cf->path, "");
  free(slug);
  if (!d->out || !d->command || !d->args || !d->path) {
    cinclude_destroy(NULL, d);
    snprintf(call->error, call->error_size, "out of memory");
    return -1;
  }
  d->cmd.command = d->command;
  d->cmd.args = d->args;
  d->cmd.strict = RUNNER_STRICT;
  d->globs[0] = d->out;
  /* --since and --watch look at the source: a change there (or in a
   * header, through the scan's own globs) selects the scan, and so this
   * dep's command; the output file is the scan's doing */
  d->source[0] = d->path;
  d->dep.since = d->source;
  d->dep.watch = d->source;
  d->dep.size = sizeof d->dep;
  d->dep.globs = d->globs;
  d->dep.commands = &d->cmd;
  d->dep.ncommands = 1;
  *out = d;
  return 0;
}

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  static const pk_plugin_binding binds[] = {
      PK_PLUGIN_BIND(cinclude_conf, path, "path", PK_PLUGIN_C_STRING)};
  static const pk_plugin_binding gbinds[] = {
      PK_PLUGIN_BIND(graph_conf, dir, "dir", PK_PLUGIN_C_STRING)};
  const pk_type_impl impl = {sizeof impl, "dep", "cinclude", cinclude_factory,
                             cinclude_destroy, NULL, binds, 1,
                             sizeof(cinclude_conf)};
  const pk_type_impl graph = {sizeof graph, "factory", "cinclude-graph",
                              graph_factory, graph_free, NULL, gbinds, 1,
                              sizeof(graph_conf)};
  (void)ud;
  g_api = api;
  int rc = api->type_add(ctx, &impl);
  return rc != 0 ? rc : api->type_add(ctx, &graph);
}

PK_PLUGIN_DEFINE("runner", "cinclude", RUNNER_ABI, on_register, NULL, NULL);
