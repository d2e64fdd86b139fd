/* builtins.c -- the runner's built-in types: caches `local` (a directory
 * store, one entry per runnable), `repo` (the same, committed) and the
 * `none` cache, deps `glob`, `command`, `const` and `load`, env `env`
 * (the process environment).
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* memmem */
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

/* ---- repo: entries committed with the project ----
 * One file per runnable (DIR/SLUG.entry), its artifacts named, not
 * copied (they are committed too).  DIR/.gitattributes says merge=union:
 * when two branches both rewrote an entry, git merges them without a
 * conflict into a file holding both -- which no reader accepts, so it is
 * a miss and the next run writes it anew; when one branch did, git takes
 * its entry whole. */

static const char gitattributes[] =
    "# runner's repo cache: two branches' entries merge into a miss, not a "
    "conflict\n*.entry merge=union -diff linguist-generated=true\n";

/* Whether an entry holds two digest lines: git's union merge of two. */
static bool merged(const char *data, size_t len)
{
  size_t digests = 0;
  for (const char *c = data; (c = memmem(c, len - (size_t)(c - data),
                                         "\ndigest ", 8));
       c += 8)
    digests++;
  return digests > 1;
}

static int repo_read(runner_cache *c, const runner_key *key, char **data,
                     size_t *len)
{
  if (local_read(c, key, data, len) != 0)
    return -1;
  if (!merged(*data, *len))
    return 0;
  runner_warn("cache entry of %s in %s/%s.entry was merged by git from two "
              "branches that both ran it: a miss; this run writes it anew",
              key->runnable, (const char *)c->self, key->slug);
  free(*data);
  return -1;
}

static int repo_write(runner_cache *c, const runner_key *key,
                      const char *data, size_t len)
{
  char *attrs = xconcat(c->self, "/.gitattributes", NULL);
  char *text;
  size_t n;
  if (file_read(attrs, &text, &n) == 0)
    free(text);
  else if (file_write_atomic(attrs, gitattributes, sizeof gitattributes - 1,
                             0644) != 0)
    runner_warn("cannot write %s: %s (merging branches may conflict on its "
                "entries)", attrs, strerror(errno));
  free(attrs);
  return local_write(c, key, data, len);
}

runner_cache *repo_cache_new(const char *dir)
{
  runner_cache *c = local_cache_new(dir);
  c->type = "repo";
  c->read_entry = repo_read;
  c->write_entry = repo_write;
  c->artifacts_in_tree = 1;
  return c;
}

static pk_status repo_factory(const pk_instance_args *a, void **out,
                              pk_error *err)
{
  const char *dir;
  pk_status st = pk_config_get_string(a->config, "dir", &dir, NULL, err);
  if (st == PK_OK)
    *out = repo_cache_new(dir);
  return st;
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
  bool strict = false, isolated = false;
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
  if (st == PK_OK)
    st = pk_config_get_bool(a->config, "isolated", &isolated, err);
  b->cmd.strict = (strict ? RUNNER_STRICT : 0) |
                  (isolated ? RUNNER_ISOLATED : 0);
  return st;
}

/* const: a value in the hash. */
static pk_status const_factory(const pk_instance_args *a, void **out,
                               pk_error *err)
{
  dep_box *b = xcalloc(1, sizeof *b);
  b->dep.size = sizeof b->dep;
  *out = b;
  return pk_config_get_string(a->config, "value", &b->dep.constant, NULL,
                              err);
}

/* load: the globs a file lists (its default when it is absent), and the
 * file itself. */
typedef struct load_box {
  runner_dep dep;
  strlist globs;           /* NULL-terminated */
} load_box;

static void load_destroy(void *data, void *inst)
{
  (void)data;
  load_box *b = inst;
  if (b)
    strlist_free(&b->globs);
  free(b);
}

static pk_status load_factory(const pk_instance_args *a, void **out,
                              pk_error *err)
{
  load_box *b = xcalloc(1, sizeof *b);
  b->dep.size = sizeof b->dep;
  const char *path;
  const pk_value *dflt;
  pk_status st = pk_config_get_string(a->config, "path", &path, NULL, err);
  if (st == PK_OK)
    st = pk_config_get_array(a->config, "default", &dflt, err);
  if (st != PK_OK) {
    free(b);
    return st;
  }
  strlist_add(&b->globs, path);
  char *text;
  size_t len;
  if (file_read(path, &text, &len) == 0) {
    for (char *line = text, *next; line && *line; line = next) {
      next = strchr(line, '\n');
      if (next)
        *next++ = 0;
      line += strspn(line, " \t");
      size_t n = strlen(line);
      while (n && strchr(" \t\r", line[n - 1]))
        line[--n] = 0;
      if (n && line[0] != '#')
        strlist_add(&b->globs, line);
    }
    free(text);
  } else if (errno == ENOENT) {
    for (size_t i = 0; i < pk_array_count(dflt); i++) {
      const char *g;
      if (pk_value_get_string(pk_array_at(dflt, i), &g, NULL, NULL) == PK_OK)
        strlist_add(&b->globs, g);
    }
  } else {
    pk_pos pos = pk_config_get_value_pos(a->config, "path");
    pk_error_clear(err);
    err->code = PK_EIO;
    err->line = pos.line;
    err->col = pos.col;
    snprintf(err->source, sizeof err->source, "%s",
             pos.source ? pos.source : "");
    snprintf(err->message, sizeof err->message, "load: cannot read %s: %s",
             path, strerror(errno));
    load_destroy(NULL, b);
    return PK_EIO;
  }
  strlist_take(&b->globs, NULL);
  b->globs.n--;
  b->dep.globs = (const char *const *)b->globs.v;
  *out = b;
  return PK_OK;
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
      {.kind = "cache", .tag = "repo", .factory = repo_factory,
       .destroy = local_destroy},
      {.kind = "dep", .tag = "glob", .factory = glob_factory,
       .destroy = plain_destroy},
      {.kind = "dep", .tag = "command", .factory = command_factory,
       .destroy = plain_destroy},
      {.kind = "dep", .tag = "const", .factory = const_factory,
       .destroy = plain_destroy},
      {.kind = "dep", .tag = "load", .factory = load_factory,
       .destroy = load_destroy},
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
