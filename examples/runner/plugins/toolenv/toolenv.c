/* toolenv.c -- the runner's `toolenv` env type (the analog of qik's uv
 * venv):
 *   [envs.dev]
 *   type = "toolenv"
 *   setup = "... install into $TOOLENV_DIR/bin, pin in $TOOLENV_DIR/lock"
 *   vars = ["GREETING=hello"]
 * A command with env = "dev" gets ALIAS.setup@dev (the setup line, run with
 * TOOLENV_DIR set and DIR/bin created) as a strict upstream, runs with
 * DIR/bin first in PATH and the vars set, and hashes the lock file and the
 * environment's config (so changing either re-runs its users).
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugkit/plugin.h>

#include "plugin_util.h"
#include "runner_api.h"

static const pk_host_api *g_api; /* from on_register; valid while loaded */

typedef struct toolenv_conf {
  const char *setup;
  const char *dir;  /* NULL: .runner/toolenv/NAME */
  const char *lock; /* NULL: DIR/lock */
  const char *const *vars; /* NULL-terminated "NAME=VALUE" */
} toolenv_conf;

typedef struct toolenv {
  runner_env env;        /* what the runner sees */
  const char *globs[2];
  char *path, *setup_name, *setup_exec, *lock, *constant;
  char **vars;           /* NULL-terminated copies */
} toolenv;

/* s single-quoted for sh: 'it'\''s'; malloc()ed. */
static char *sh_quote(const char *s)
{
  size_t n = 3;
  for (const char *c = s; *c; c++)
    n += *c == '\'' ? 4 : 1;
  char *q = malloc(n), *o = q;
  if (!q)
    return NULL;
  *o++ = '\'';
  for (const char *c = s; *c; c++)
    if (*c == '\'') {
      memcpy(o, "'\\''", 4);
      o += 4;
    } else {
      *o++ = *c;
    }
  *o++ = '\'';
  *o = 0;
  return q;
}

static void toolenv_destroy(void *data, void *inst)
{
  toolenv *t = inst;
  (void)data;
  if (!t)
    return;
  for (size_t i = 0; t->vars && t->vars[i]; i++)
    free(t->vars[i]);
  free(t->vars);
  free(t->path);
  free(t->setup_name);
  free(t->setup_exec);
  free(t->lock);
  free(t->constant);
  free(t);
}

/* The config as canonical text (each value length-prefixed): the same
 * config gives the same bytes; the root is left out on purpose, so two
 * checkouts of a project hash alike. */
static char *canonical(const char *setup, const char *dir, char **vars,
                       const char *lock)
{
  char *s = plugin_printf("toolenv 1\nsetup %zu:%s\ndir %zu:%s\nlock %zu:%s\n",
                       strlen(setup), setup, strlen(dir), dir, strlen(lock),
                       lock);
  for (size_t i = 0; s && vars && vars[i]; i++) {
    char *t = plugin_printf("%svar %zu:%s\n", s, strlen(vars[i]), vars[i]);
    free(s);
    s = t;
  }
  return s;
}

static int fail(const pk_type_call *call, toolenv *t, const char *why)
{
  snprintf(call->error, call->error_size, "%s", why);
  toolenv_destroy(NULL, t);
  return -1;
}

static int toolenv_factory(const pk_type_call *call, void **out)
{
  const toolenv_conf *cf = call->config;
  const runner_host *host = call->host_userdata;
  const char *alias = g_api->plugin_alias(call->ctx);
  const char *name = call->name ? call->name : "env";
  char *dir = NULL, *absdir = NULL, *qdir = NULL, why[600];
  toolenv *t = calloc(1, sizeof *t);
  if (!t)
    return fail(call, t, "out of memory");
  if (!cf->setup)
    return fail(call, t, "setup is required");
  if (cf->dir && !cf->dir[0])
    return fail(call, t, "dir \"\": expected a directory relative to the "
                "project root");
  size_t nvars = 0;
  for (; cf->vars && cf->vars[nvars]; nvars++) {
    const char *eq = strchr(cf->vars[nvars], '=');
    if (!eq || eq == cf->vars[nvars]) {
      snprintf(why, sizeof why, "vars[%zu] \"%s\": expected NAME=VALUE",
               nvars, cf->vars[nvars]);
      return fail(call, t, why);
    }
  }
  if (nvars && !(t->vars = calloc(nvars + 1, sizeof *t->vars)))
    return fail(call, t, "out of memory");
  for (size_t i = 0; i < nvars; i++)
    if (!(t->vars[i] = plugin_printf("%s", cf->vars[i])))
      return fail(call, t, "out of memory");

  dir = cf->dir ? plugin_printf("%s", cf->dir)
                : plugin_printf(".runner/toolenv/%s", name);
  absdir = !dir ? NULL : dir[0] == '/' ? plugin_printf("%s", dir)
                                       : plugin_printf("%s/%s", host->root, dir);
  qdir = absdir ? sh_quote(absdir) : NULL;
  if (qdir) {
    t->lock = cf->lock ? plugin_printf("%s", cf->lock)
                       : plugin_printf("%s/lock", dir);
    t->path = plugin_printf("%s/bin", absdir);
    t->setup_name = plugin_printf("%s.setup@%s", alias ? alias : "toolenv",
                               name);
    t->setup_exec = plugin_printf("mkdir -p %s/bin && TOOLENV_DIR=%s && export "
                               "TOOLENV_DIR && ( %s )", qdir, qdir,
                               cf->setup);
  }
  if (t->lock)
    t->constant = canonical(cf->setup, dir, t->vars, t->lock);
  free(dir);
  free(absdir);
  free(qdir);
  if (!t->lock || !t->path || !t->setup_name || !t->setup_exec ||
      !t->constant)
    return fail(call, t, "out of memory");
  t->globs[0] = t->lock;
  t->env.size = sizeof t->env;
  t->env.path = t->path;
  t->env.vars = (const char *const *)t->vars;
  t->env.setup_name = t->setup_name;
  t->env.setup_exec = t->setup_exec;
  t->env.globs = t->globs;
  t->env.constant = t->constant;
  *out = t;
  return 0;
}

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  static const pk_plugin_binding binds[] = {
      PK_PLUGIN_BIND(toolenv_conf, setup, "setup", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(toolenv_conf, dir, "dir", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(toolenv_conf, lock, "lock", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(toolenv_conf, vars, "vars", PK_PLUGIN_C_STRINGS)};
  const pk_type_impl impl = {sizeof impl, "env", "toolenv", toolenv_factory,
                             toolenv_destroy, NULL, binds,
                             sizeof binds / sizeof *binds,
                             sizeof(toolenv_conf)};
  (void)ud;
  g_api = api;
  return api->type_add(ctx, &impl);
}

PK_PLUGIN_DEFINE("runner", "toolenv", RUNNER_ABI, on_register, NULL, NULL);
