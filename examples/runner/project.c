/* project.c -- the runner as a plugkit host: finds runner.toml, declares
 * what the runner is (runner-host.toml beside the executable, built-in
 * types), loads the config, gathers the commands (runner.toml's, then each
 * enabled plugin's fragment under its alias) and checks all of it before
 * any plugin code runs, printing every problem at FILE:LINE:COL.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

#define CONFIG_NAME "runner.toml"

/* The schema of a command table; deps are checked one by one (a string is
 * a glob, a table a typed dep). */
static const char command_schema[] =
    "exec = { type = \"string\", required = true, doc = \"the shell line, "
    "run in the project root\" }\n"
    "cache = { type = \"string\", optional = true, doc = \"local, none or "
    "a [caches] name\" }\n"
    "env = { type = \"string\", optional = true, doc = \"an [envs] name\" }\n"
    "artifacts = { type = \"array\", items = \"string\", default = [], "
    "doc = \"files it writes, restored on a hit\" }\n"
    "hidden = { type = \"boolean\", default = false, doc = \"left out of "
    "--ls and of a bare run\" }\n";

static const char *const top_keys[] = {"commands", "caches", "envs",
                                       "plugins",  "defaults", "ctx"};

void runner_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("runner: warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void log_line(void *ud, pk_log_level level, const char *plugin,
                     const char *message)
{
  bool verbose = *(bool *)ud;
  if (level < PK_LOG_WARN && !verbose)
    return;
  static const char *const names[] = {"debug", "info", "warning", "error"};
  fprintf(stderr, "runner: %s: %s%s%s\n", names[level], plugin ? plugin : "",
          plugin ? ": " : "", message);
}

/* A problem at pos into diag. */
static void problem(pk_diag *diag, pk_status code, pk_pos pos,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(pk_diag *diag, pk_status code, pk_pos pos,
                    const char *fmt, ...)
{
  pk_error e;
  pk_error_clear(&e);
  e.code = code;
  e.line = pos.line;
  e.col = pos.col;
  snprintf(e.source, sizeof e.source, "%s", pos.source ? pos.source : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  pk_diag_add(diag, &e, NULL);
}

static int by_position(const void *a, const void *b)
{
  const pk_error *x = *(const pk_error *const *)a;
  const pk_error *y = *(const pk_error *const *)b;
  int c = strcmp(x->source, y->source);
  if (c)
    return c;
  if (x->line != y->line)
    return x->line - y->line;
  return x->col - y->col;
}

/* Prints every problem, sorted by position; returns how many. */
static size_t print_diag(const pk_diag *diag)
{
  size_t n = pk_diag_count(diag);
  const pk_error **v = xcalloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = pk_diag_at(diag, i);
  qsort(v, n, sizeof *v, by_position);
  for (size_t i = 0; i < n; i++) {
    char text[1200];
    pk_error_format(v[i], text, sizeof text);
    if (v[i]->plugin[0])
      fprintf(stderr, "%s (plugin %s)\n", text, v[i]->plugin);
    else
      fprintf(stderr, "%s\n", text);
  }
  free(v);
  return n;
}

void runner_error(const char *what, const pk_error *err)
{
  char text[1200];
  pk_error_format(err, text, sizeof text);
  fprintf(stderr, "runner: %s%s%s\n", what, what[0] ? ": " : "", text);
}

/* ---- finding the project ---- */

static char *find_root(const char *dir)
{
  char path[PATH_MAX];
  if (!realpath(dir ? dir : ".", path))
    return NULL;
  for (;;) {
    char *cfg = xasprintf("%s/" CONFIG_NAME, path);
    struct stat st;
    int found = stat(cfg, &st) == 0;
    free(cfg);
    if (found || dir)
      return found ? xstrdup(path) : NULL;
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
      return NULL;
    *slash = 0;
  }
}

/* ---- [ctx]: a variable's value is its environment variable (NAME
 * upper-cased), else the value written here ---- */

static void load_ctx(project *p, const pk_value *ctx, pk_diag *diag)
{
  for (size_t i = 0; i < pk_table_count(ctx); i++) {
    const char *name = pk_table_key_at(ctx, i, NULL);
    const pk_value *v = pk_table_value_at(ctx, i);
    char text[64];
    const char *s = NULL;
    int64_t n;
    bool b;
    if (pk_value_get_string(v, &s, NULL, NULL) == PK_OK) {
    } else if (pk_value_get_integer(v, &n, NULL) == PK_OK) {
      snprintf(text, sizeof text, "%lld", (long long)n);
      s = text;
    } else if (pk_value_get_bool(v, &b, NULL) == PK_OK) {
      s = b ? "true" : "false";
    } else {
      problem(diag, PK_ETYPE, pk_value_get_pos(v), "ctx.%s must be a string, "
              "an integer or a boolean, found %s", name,
              pk_kind_name(pk_value_kind(v)));
      continue;
    }
    pk_error e;
    if (!pk_ctx_get(NULL, name) && pk_ctx_set(p->ctx, name, s, &e) != PK_OK)
      problem(diag, e.code, pk_table_key_pos_at(ctx, i), "ctx.%s: %s", name,
              e.message);
  }
}

/* ---- commands ---- */

static bool name_ok(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return false;
  return true;
}

static bool in_table(const pk_value *root, const char *table,
                     const char *name)
{
  const pk_value *t = pk_table_get(root, table);
  return pk_value_kind(pk_table_get(t, name)) == PK_KIND_TABLE;
}

static void check_deps(project *p, command *c, pk_diag *diag)
{
  const pk_value *deps = pk_table_get(c->table, "deps");
  if (!deps)
    return;
  if (pk_value_kind(deps) != PK_KIND_ARRAY) {
    problem(diag, PK_ETYPE, pk_value_get_pos(deps), "%s: deps must be an array "
            "of globs and dep tables, found %s", c->address,
            pk_kind_name(pk_value_kind(deps)));
    return;
  }
  c->deps = deps;
  for (size_t i = 0; i < pk_array_count(deps); i++) {
    const pk_value *d = pk_array_at(deps, i);
    char label[300];
    snprintf(label, sizeof label, "%s.deps[%zu]", c->address, i);
    if (pk_value_kind(d) == PK_KIND_STRING)
      continue;
    if (pk_value_kind(d) != PK_KIND_TABLE) {
      problem(diag, PK_ETYPE, pk_value_get_pos(d), "%s must be a glob string "
              "or a table with type = \"TAG\", found %s", label,
              pk_kind_name(pk_value_kind(d)));
      continue;
    }
    pk_error e;
    if (p->types_known)
      pk_host_check_instance(p->host, "dep", label, d, diag, &e);
  }
}

static void add_command(project *p, const char *alias, const char *dir,
                        const char *name, const pk_value *table,
                        pk_pos pos, pk_diag *diag)
{
  if (!name_ok(name)) {
    problem(diag, PK_ECONFIG, pos, "command name \"%s\": use letters, "
            "digits, '_' and '-' (a plugin's commands are ALIAS/NAME)",
            name);
    return;
  }
  if (pk_value_kind(table) == PK_KIND_STRING) {
    problem(diag, PK_ETYPE, pk_value_get_pos(table), "command %s must be a "
            "table: [commands.%s] exec = \"...\"", name, name);
    return;
  }
  p->cmds = xrealloc(p->cmds, (p->ncmds + 1) * sizeof *p->cmds);
  command *c = &p->cmds[p->ncmds++];
  memset(c, 0, sizeof *c);
  c->address = alias ? xasprintf("%s/%s", alias, name) : xstrdup(name);
  c->alias = alias;
  c->plugin_dir = dir;
  c->table = table;
  static const char *const skip[] = {"deps"};
  pk_decode_options o = {.size = sizeof o, .skip = skip, .skip_count = 1};
  pk_error e;
  if (pk_schema_decode(p->command_schema, table, &o, &c->config, diag, &e) ==
      PK_OK) {
    pk_config_get_string(c->config, "exec", &c->exec, NULL, NULL);
    pk_config_get_string_or(c->config, "cache", NULL, &c->cache, NULL);
    pk_config_get_string_or(c->config, "env", NULL, &c->env, NULL);
    pk_config_get_array(c->config, "artifacts", &c->artifacts, NULL);
    pk_config_get_bool(c->config, "hidden", &c->hidden, NULL);
  }
  /* the names it refers to, also when a field above is wrong */
  const pk_value *root = pk_doc_root(p->doc);
  const pk_value *cv = pk_table_get(table, "cache");
  const pk_value *ev = pk_table_get(table, "env");
  const char *cache = NULL, *env = NULL;
  pk_value_get_string(cv, &cache, NULL, NULL);
  pk_value_get_string(ev, &env, NULL, NULL);
  if (cache && strcmp(cache, "local") && strcmp(cache, "none") &&
      !in_table(root, "caches", cache))
    problem(diag, PK_ENOTFOUND, pk_value_get_pos(cv), "%s: cache \"%s\" is not "
            "configured: use local, none or add [caches.%s]", c->address,
            cache, cache);
  if (env && !in_table(root, "envs", env))
    problem(diag, PK_ENOTFOUND, pk_value_get_pos(ev), "%s: env \"%s\" is not "
            "configured: add [envs.%s]", c->address, env, env);
  check_deps(p, c, diag);
}

static void add_commands(project *p, const char *alias, const char *dir,
                         const pk_value *sect, pk_diag *diag)
{
  for (size_t i = 0; i < pk_table_count(sect); i++)
    add_command(p, alias, dir, pk_table_key_at(sect, i, NULL),
                pk_table_value_at(sect, i), pk_table_key_pos_at(sect, i),
                diag);
}

/* Each enabled plugin's fragment: only [commands] (qik-spec 8 item 17). */
static void add_fragments(project *p, pk_diag *diag)
{
  const pk_value *plugins = pk_table_get(pk_doc_root(p->doc), "plugins");
  for (size_t i = 0; i < pk_table_count(plugins); i++) {
    const char *alias = pk_table_key_at(plugins, i, NULL);
    const pk_value *frag = pk_host_get_fragment(p->host, alias);
    pk_plugin *pl = pk_host_find_alias(p->host, alias);
    if (!frag || !pl)
      continue;
    for (size_t k = 0; k < pk_table_count(frag); k++)
      if (strcmp(pk_table_key_at(frag, k, NULL), "commands"))
        problem(diag, PK_ECONFIG, pk_table_key_pos_at(frag, k),
                "unknown key \"%s\" in the fragment of plugin %s: a "
                "fragment holds only [commands]",
                pk_table_key_at(frag, k, NULL), pk_plugin_get_id(pl));
    const char *manifest = pk_plugin_get_manifest_path(pl);
    const char *slash = strrchr(manifest, '/');
    char *dir = slash ? xasprintf("%.*s", (int)(slash - manifest), manifest)
                      : xstrdup(".");
    strlist_take(&p->dirs, dir);
    add_commands(p, pk_plugin_get_alias(pl), dir,
                 pk_table_get(frag, "commands"), diag);
  }
}

static void check_top(project *p, pk_diag *diag)
{
  const pk_value *root = pk_doc_root(p->doc);
  size_t nk = sizeof top_keys / sizeof *top_keys;
  for (size_t i = 0; i < pk_table_count(root); i++) {
    const char *k = pk_table_key_at(root, i, NULL);
    bool known = false;
    for (size_t j = 0; j < nk && !known; j++)
      known = !strcmp(k, top_keys[j]);
    const char *near = known ? NULL : pk_closest(k, top_keys, nk);
    if (!known)
      problem(diag, PK_ECONFIG, pk_table_key_pos_at(root, i),
              "unknown table [%s]%s%s%s: runner.toml has [commands], "
              "[caches], [envs], [plugins], [defaults] and [ctx]", k,
              near ? " (did you mean [" : "", near ? near : "",
              near ? "]?)" : "");
  }
  const pk_value *cmds = pk_table_get(root, "commands");
  if (cmds && pk_value_kind(cmds) != PK_KIND_TABLE)
    problem(diag, PK_ETYPE, pk_value_get_pos(cmds), "commands must be a table "
            "of [commands.NAME] tables");
  const pk_value *ctx = pk_table_get(root, "ctx");
  if (ctx && pk_value_kind(ctx) != PK_KIND_TABLE)
    problem(diag, PK_ETYPE, pk_value_get_pos(ctx), "ctx must be a table of "
            "NAME = value");
}

int project_open(project *p, const char *dir, const char *exe_dir,
                 bool verbose)
{
  memset(p, 0, sizeof *p);
  p->verbose = verbose;
  p->root = find_root(dir);
  if (!p->root) {
    fprintf(stderr, "runner: no " CONFIG_NAME " in %s%s\n",
            dir ? dir : "this directory",
            dir ? "" : " or its parents: create one, or pass -C DIR");
    return 2;
  }
  if (chdir(p->root) != 0) {
    fprintf(stderr, "runner: cannot enter %s: %s\n", p->root,
            strerror(errno));
    return 2;
  }
  p->state_dir = xasprintf("%s/.runner", p->root);
  p->services = (runner_host){.size = sizeof p->services,
                              .root = p->root,
                              .state_dir = p->state_dir,
                              .warn = runner_warn,
                              .check_entry = entry_check};
  pk_error err;
  /* plugkit's metadata cache: later starts stat the plugins' manifests
   * instead of parsing them (-v says how many came from it) */
  char *mcache = xasprintf("%s/plugins.cache", p->state_dir);
  pk_host_options ho = {.size = sizeof ho, .log = log_line,
                        .log_ud = &p->verbose, .userdata = &p->services,
                        .cache_path = mkdir_p(p->state_dir) == 0 ? mcache
                                                                 : NULL};
  char *desc = xasprintf("%s/runner-host.toml", exe_dir);
  char *plugins = xasprintf("%s/plugins", exe_dir);
  pk_status st = pk_host_new(&ho, &p->host, &err);
  free(mcache);
  if (st == PK_OK)
    st = pk_host_load_description(p->host, desc, &err);
  if (st == PK_OK)
    st = builtins_add(p->host, &err) == 0 ? PK_OK : err.code;
  if (st == PK_OK)
    st = pk_host_add_path(p->host, plugins, &err);
  if (st == PK_OK)
    st = pk_doc_parse(command_schema, strlen(command_schema),
                      "<command schema>", NULL, &p->schema_doc, &err);
  if (st == PK_OK)
    st = pk_schema_new(pk_doc_root(p->schema_doc), NULL, &p->command_schema,
                       &err);
  if (st == PK_OK)
    st = pk_ctx_new(NULL, &p->ctx, &err);
  free(desc);
  free(plugins);
  if (st != PK_OK) {
    runner_error("setting up", &err);
    return 2;
  }
  pk_diag *diag;
  if (pk_diag_new(NULL, &diag, &err) != PK_OK) {
    runner_error("", &err);
    return 2;
  }
  st = pk_doc_load_file(CONFIG_NAME, NULL, &p->doc, &err);
  if (st != PK_OK) {
    runner_error("", &err);
    pk_diag_free(diag);
    return 2;
  }
  check_top(p, diag);
  load_ctx(p, pk_table_get(pk_doc_root(p->doc), "ctx"), diag);
  pk_host_set_ctx(p->host, p->ctx);
  /* typed deps are checked only when the types are known */
  p->types_known = pk_host_load_config_doc(p->host, p->doc, diag, &err) ==
                   PK_OK; /* the host keeps the document: one parse */
  add_commands(p, NULL, NULL, pk_table_get(pk_doc_root(p->doc), "commands"),
               diag);
  add_fragments(p, diag);
  size_t nprob = print_diag(diag);
  pk_diag_free(diag);
  if (nprob)
    return 2;
  if (pk_host_register(p->host, NULL, 0, NULL, 0, &err) != PK_OK) {
    runner_error("starting the plugins", &err);
    return 2;
  }
  p->local = local_cache_new(".runner/cache");
  p->none = none_cache_new();
  return 0;
}

void project_close(project *p)
{
  for (size_t i = 0; i < p->ncmds; i++) {
    free(p->cmds[i].address);
    pk_config_free(p->cmds[i].config);
  }
  free(p->cmds);
  strlist_free(&p->dirs);
  cache_free(p->local);
  cache_free(p->none);
  pk_host_free(p->host);
  pk_schema_free(p->command_schema);
  pk_doc_free(p->schema_doc);
  pk_ctx_free(p->ctx);
  free(p->state_dir);
  free(p->root);
}

command *project_find(project *p, const char *address)
{
  for (size_t i = 0; i < p->ncmds; i++)
    if (!p->cmds[i].alias && !strcmp(p->cmds[i].address, address))
      return &p->cmds[i];
  /* ALIAS/NAME, or ALIAS.NAME: split at the last '/', else the last '.' */
  const char *sep = strrchr(address, '/');
  if (!sep)
    sep = strrchr(address, '.');
  if (!sep)
    return NULL;
  size_t la = (size_t)(sep - address);
  for (size_t i = 0; i < p->ncmds; i++) {
    command *c = &p->cmds[i];
    if (c->alias && strlen(c->alias) == la &&
        !strncmp(c->alias, address, la) &&
        !strcmp(c->address + la + 1, sep + 1))
      return c;
  }
  return NULL;
}

const char *project_closest(project *p, const char *address)
{
  const char **names = xcalloc(p->ncmds, sizeof *names);
  for (size_t i = 0; i < p->ncmds; i++)
    names[i] = p->cmds[i].address;
  const char *near = pk_closest(address, names, p->ncmds);
  free(names);
  return near;
}

void project_list(project *p)
{
  for (size_t i = 0; i < p->ncmds; i++)
    if (!p->cmds[i].hidden)
      printf("%s\n", p->cmds[i].address);
}

runner_cache *project_cache(project *p, const command *c, pk_error *err)
{
  const char *name = c ? c->cache : NULL;
  if (!c || !c->deps || !pk_array_count(c->deps) ||
      (name && !strcmp(name, "none")))
    return p->none;
  if (!name || !strcmp(name, "local"))
    return p->local;
  void *inst;
  if (pk_host_get_instance(p->host, "cache", name, &inst, err) != PK_OK)
    return NULL;
  return inst;
}
