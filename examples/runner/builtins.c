/* builtins.c -- the runner's built-in types: cache `local` (a directory
 * store, one entry per runnable) and the `none` cache, deps `glob` and
 * `command`, env `env` (the process environment).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* ---- caches ---- */

static char *entry_path(runner_cache *c, const runner_key *key)
{
  return xasprintf("%s/%s.entry", (const char *)c->self, key->slug);
}

static int local_read(runner_cache *c, const runner_key *key, char **data,
                      size_t *len)
{
  char *path = entry_path(c, key);
  int rc = file_read(path, data, len);
  free(path);
  return rc;
}

static int local_write(runner_cache *c, const runner_key *key,
                       const char *data, size_t len)
{
  char *path = entry_path(c, key);
  int rc = file_write_atomic(path, data, len, 0644);
  if (rc != 0)
    runner_warn("cannot write cache entry %s: %s", path, strerror(errno));
  free(path);
  return rc;
}

runner_cache *local_cache_new(const char *dir)
{
  runner_cache *c = xcalloc(1, sizeof *c);
  c->size = sizeof *c;
  c->type = "local";
  c->self = xstrdup(dir);
  c->read_entry = local_read;
  c->write_entry = local_write;
  return c;
}

runner_cache *none_cache_new(void)
{
  runner_cache *c = xcalloc(1, sizeof *c);
  c->size = sizeof *c;
  c->type = "none";
  return c;
}

void cache_free(runner_cache *c)
{
  if (c)
    free(c->self);
  free(c);
}

static pk_status local_factory(const pk_instance_args *a, void **out,
                               pk_error *err)
{
  const char *dir;
  pk_status st = pk_config_get_string(a->config, "dir", &dir, NULL, err);
  if (st != PK_OK)
    return st;
  *out = local_cache_new(dir);
  return PK_OK;
}

static void local_destroy(void *data, void *inst)
{
  (void)data;
  cache_free(inst);
}

/* ---- deps ---- */

typedef struct dep_box {
  runner_dep dep;
  const char *globs[2];
  runner_cmd_ref cmd;
} dep_box;

static pk_status glob_factory(const pk_instance_args *a, void **out,
                              pk_error *err)
{
  dep_box *b = xcalloc(1, sizeof *b);
  b->dep.size = sizeof b->dep;
  pk_status st = pk_config_get_string(a->config, "pattern", &b->globs[0],
                                      NULL, err);
  b->dep.globs = b->globs;
  *out = b;
  return st;
}

static pk_status command_factory(const pk_instance_args *a, void **out,
                                 pk_error *err)
{
  dep_box *b = xcalloc(1, sizeof *b);
  bool strict = false;
  b->dep.size = sizeof b->dep;
  b->dep.commands = &b->cmd;
  b->dep.ncommands = 1;
  *out = b;
  pk_status st = pk_config_get_string(a->config, "name", &b->cmd.command,
                                      NULL, err);
  if (st == PK_OK)
    st = pk_config_get_string_or(a->config, "args", NULL, &b->cmd.args, err);
  if (st == PK_OK)
    st = pk_config_get_bool(a->config, "strict", &strict, err);
  b->cmd.strict = strict;
  return st;
}

/* ---- envs ---- */

static pk_status env_factory(const pk_instance_args *a, void **out,
                             pk_error *err)
{
  (void)a;
  (void)err;
  runner_env *e = xcalloc(1, sizeof *e);
  e->size = sizeof *e;
  *out = e;
  return PK_OK;
}

static void plain_destroy(void *data, void *inst)
{
  (void)data;
  free(inst);
}

int builtins_add(pk_host *host, pk_error *err)
{
  /* kinds, tags and schemas are declared by runner-host.toml */
  static const pk_type_options types[] = {
      {.kind = "cache", .tag = "local", .factory = local_factory,
       .destroy = local_destroy},
      {.kind = "dep", .tag = "glob", .factory = glob_factory,
       .destroy = plain_destroy},
      {.kind = "dep", .tag = "command", .factory = command_factory,
       .destroy = plain_destroy},
      {.kind = "env", .tag = "env", .factory = env_factory,
       .destroy = plain_destroy},
  };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    pk_type_options t = types[i];
    t.size = sizeof t;
    if (pk_host_add_type(host, &t, err) != PK_OK)
      return -1;
  }
  return 0;
}
