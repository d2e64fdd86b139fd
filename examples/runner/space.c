/* space.c -- spaces and modules (qik's):
 *
 *   [spaces.default]              the space of every command without
 *   root = "."                    `space`; where module paths start
 *   modules = ["libs/net", { name = "ui", path = "apps/web" }]
 *   env = "dev"                   an [envs] name, or an inline env table
 *   dotenv = [".env"]             KEY=VALUE files over the environment
 *
 * The space "default" always exists (empty unless configured).  A module
 * is a directory of the project (space root + path), named by its path's
 * last component unless given a name; module names are unique in the
 * project.  A module directory's own runner.toml may hold [commands]: they
 * are the module's, addressed MODULE/NAME.  A space's env and dotenv files
 * are read once, when a runnable of the space is planned.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"

/* the keys of a module's table (also read by tests/test_docs.c, which
 * checks docs/runner.md documents each); a space's are runner-host.toml's
 * [tables.spaces], checked by plugkit with the config */
static const char *const module_keys[] = {"name", "path"};

static space *space_new(project *p, const char *name, const pk_value *t)
{
  space *s = xcalloc(1, sizeof *s);
  s->name = xstrdup(name);
  s->root = xstrdup(".");
  s->table = t;
  p->spaces = xrealloc(p->spaces, (p->nspaces + 1) * sizeof *p->spaces);
  p->spaces[p->nspaces++] = s;
  return s;
}

/* path (relative to the project root, "." allowed) normalized: no "." or
 * empty component, no trailing '/'; NULL when it is absolute or leaves the
 * project (".."). */
static char *normalized(const char *path)
{
  if (path[0] == '/')
    return NULL;
  buf t = {0};
  for (const char *c = path; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 2 && !strncmp(c, "..", 2)) {
      buf_free(&t);
      return NULL;
    }
    if (n && !(n == 1 && *c == '.')) {
      if (t.n)
        buf_add(&t, "/", 1);
      buf_add(&t, c, n);
    }
    c += n + (c[n] == '/');
  }
  if (!t.n)
    buf_add(&t, ".", 1);
  return buf_str(&t);
}

/* Whether s is a name: [A-Za-z0-9_-]+. */
bool name_ok(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return false;
  return true;
}

static void add_module(project *p, space *s, const pk_value *item,
                       pk_diag *diag)
{
  const char *path = NULL, *name = NULL;
  const pk_value *pv = item, *nv = NULL;
  if (pk_value_kind(item) == PK_KIND_TABLE) {
    pv = pk_table_get(item, "path");
    nv = pk_table_get(item, "name");
    for (size_t i = 0; i < pk_table_count(item); i++) {
      const char *k = pk_table_key_at(item, i, NULL);
      if (strcmp(k, module_keys[0]) && strcmp(k, module_keys[1]))
        runner_problem(diag, PK_ECONFIG, pk_table_key_pos_at(item, i),
                       "spaces.%s: unknown key \"%s\" in a module: a module "
                       "is \"PATH\" or { name = \"NAME\", path = \"PATH\" }",
                       s->name, k);
    }
    if (nv && pk_value_get_string(nv, &name, NULL, NULL) != PK_OK) {
      runner_problem(diag, PK_ETYPE, pk_value_get_pos(nv), "spaces.%s: a "
                     "module's name must be a string", s->name);
      return;
    }
  }
  if (!pv || pk_value_get_string(pv, &path, NULL, NULL) != PK_OK) {
    runner_problem(diag, PK_ETYPE, pk_value_get_pos(pv ? pv : item), "spaces.%s: "
                   "a module is \"PATH\" or { name = \"NAME\", path = "
                   "\"PATH\" }", s->name);
    return;
  }
  char *joined = xconcat(s->root, "/", path, NULL), *dir = normalized(joined);
  free(joined);
  if (!dir || !strcmp(dir, ".")) {
    runner_problem(diag, PK_ECONFIG, pk_value_get_pos(pv), "spaces.%s: module "
                   "path \"%s\" must be a directory inside the project, "
                   "relative to the space's root", s->name, path);
    free(dir);
    return;
  }
  const char *slash = strrchr(dir, '/');
  if (!name)
    name = slash ? slash + 1 : dir;
  if (!name_ok(name)) {
    runner_problem(diag, PK_ECONFIG, pk_value_get_pos(nv ? nv : pv), "spaces.%s: "
                   "module name \"%s\": use letters, digits, '_' and '-'%s",
                   s->name, name, nv ? "" : " (or give it a name: { name = "
                   "\"NAME\", path = \"PATH\" })");
    free(dir);
    return;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    runner_problem(diag, PK_ENOTFOUND, pk_value_get_pos(pv), "spaces.%s: module "
                   "%s: %s is not a directory", s->name, name, dir);
    free(dir);
    return;
  }
  module *m = xcalloc(1, sizeof *m);
  m->name = xstrdup(name);
  m->path = xstrdup(path);
  m->dir = dir;
  m->space = s;
  m->pos = pk_value_get_pos(pv);
  module *twice = strmap_put(&p->by_module, m->name, m);
  if (twice) {
    runner_problem(diag, PK_EDUPLICATE, m->pos, "module name \"%s\" twice "
                   "(%s and %s): give one a name, { name = \"NAME\", path = "
                   "\"%s\" }", m->name, twice->dir, m->dir, path);
    free(m->name);
    free(m->path);
    free(m->dir);
    free(m);
    return;
  }
  if (pk_host_find_alias(p->host, m->name))
    runner_problem(diag, PK_EDUPLICATE, m->pos, "module \"%s\" has the name "
                   "of a plugin's alias: %s/CMD would name both; rename one",
                   m->name, m->name);
  s->modules = xrealloc(s->modules, (s->nmodules + 1) * sizeof *s->modules);
  s->modules[s->nmodules++] = m;
  p->modules = xrealloc(p->modules, (p->nmodules + 1) * sizeof *p->modules);
  p->modules[p->nmodules++] = m;
}

static void read_space(project *p, space *s, const pk_value *t,
                       pk_diag *diag)
{
  const pk_value *root = pk_table_get(t, "root");
  const char *r;
  if (pk_value_get_string(root, &r, NULL, NULL) == PK_OK) {
    char *n = normalized(r);
    if (!n)
      runner_problem(diag, PK_ECONFIG, pk_value_get_pos(root), "spaces.%s: root "
                     "must be a directory inside the project, relative to "
                     "its root", s->name);
    else {
      free(s->root);
      s->root = n;
    }
  }
  const pk_value *mods = pk_table_get(t, "modules");
  if (mods && pk_value_kind(mods) != PK_KIND_ARRAY)
    runner_problem(diag, PK_ETYPE, pk_value_get_pos(mods), "spaces.%s: modules "
                   "must be an array of paths and { name, path } tables",
                   s->name);
  for (size_t i = 0; i < pk_array_count(mods); i++)
    add_module(p, s, pk_array_at(mods, i), diag);
  /* an inline env table, and dotenv, are checked with [spaces] */
  s->env = pk_table_get(t, "env");
  const char *env;
  if (pk_value_get_string(s->env, &env, NULL, NULL) == PK_OK) {
    const pk_value *envs = pk_table_get(pk_doc_root(p->doc), "envs");
    if (pk_value_kind(pk_table_get(envs, env)) != PK_KIND_TABLE)
      runner_problem(diag, PK_ENOTFOUND, pk_value_get_pos(s->env), "spaces.%s: "
                     "env \"%s\" is not configured: add [envs.%s], or give "
                     "the env inline: env = { type = \"TAG\", ... }", s->name,
                     env, env);
  } else if (pk_value_kind(s->env) != PK_KIND_TABLE) {
    s->env = NULL;
  }
  s->dotenv = pk_table_get(t, "dotenv");
  bool strings = pk_value_kind(s->dotenv) == PK_KIND_ARRAY;
  for (size_t i = 0; strings && i < pk_array_count(s->dotenv); i++)
    strings = pk_value_kind(pk_array_at(s->dotenv, i)) == PK_KIND_STRING;
  if (!strings)
    s->dotenv = NULL;
}

void spaces_load(project *p, pk_diag *diag)
{
  /* the shape of [spaces] is checked with the config */
  const pk_value *all = pk_table_get(pk_doc_root(p->doc), "spaces");
  if (pk_value_kind(all) != PK_KIND_TABLE)
    all = NULL;
  space_new(p, "default", pk_table_get(all, "default"));
  for (size_t i = 0; i < pk_table_count(all); i++) {
    const char *name = pk_table_key_at(all, i, NULL);
    const pk_value *t = pk_table_value_at(all, i);
    if (pk_value_kind(t) != PK_KIND_TABLE)
      continue;
    if (!name_ok(name)) {
      runner_problem(diag, PK_ECONFIG, pk_table_key_pos_at(all, i), "space "
                     "name \"%s\": use letters, digits, '_' and '-'", name);
      continue;
    }
    space *s = strcmp(name, "default") ? space_new(p, name, t) : p->spaces[0];
    read_space(p, s, t, diag);
  }
}

space *space_find(const project *p, const char *name)
{
  for (size_t i = 0; i < p->nspaces; i++)
    if (!strcmp(p->spaces[i]->name, name))
      return p->spaces[i];
  return NULL;
}

/* ---- a module's own runner.toml ---- */

void modules_load_commands(project *p, pk_diag *diag)
{
  for (size_t i = 0; i < p->nmodules; i++) {
    module *m = p->modules[i];
    char *path = xconcat(m->dir, "/runner.toml", NULL);
    struct stat st;
    pk_doc *doc;
    pk_error e;
    if (stat(path, &st) != 0) {
      free(path);
      continue;
    }
    if (pk_doc_load_file(path, NULL, &doc, &e) != PK_OK) {
      pk_diag_add(diag, &e, NULL);
      free(path);
      continue;
    }
    free(path);
    p->mdocs = xrealloc(p->mdocs, (p->nmdocs + 1) * sizeof *p->mdocs);
    p->mdocs[p->nmdocs++] = doc;
    const pk_value *root = pk_doc_root(doc);
    for (size_t k = 0; k < pk_table_count(root); k++)
      if (strcmp(pk_table_key_at(root, k, NULL), "commands"))
        runner_problem(diag, PK_ECONFIG, pk_table_key_pos_at(root, k),
                       "unknown key \"%s\" in module %s's runner.toml: it "
                       "holds only [commands]",
                       pk_table_key_at(root, k, NULL), m->name);
    commands_add(p, NULL, NULL, m, pk_table_get(root, "commands"), diag);
  }
}

/* ---- what a space gives its runnables, made on first use ---- */

int space_env(project *p, space *s, runner_env **out, char *why, size_t n)
{
  if (!s->env_done) {
    s->env_done = true;
    const char *name;
    pk_error e;
    void *inst = NULL;
    pk_status st;
    if (pk_value_get_string(s->env, &name, NULL, NULL) == PK_OK) {
      st = pk_host_get_instance(p->host, "env", name, &inst, &e);
    } else {
      char label[300];
      snprintf(label, sizeof label, "spaces.%s", s->name);
      st = pk_host_make_instance(p->host, "env", label, s->env,
                                 &s->env_inst, &e);
      inst = pk_instance_get(s->env_inst);
    }
    if (st != PK_OK) {
      char text[1200];
      pk_error_format(&e, text, sizeof text);
      s->env_error = xstrdup(text);
    }
    s->env_made = inst;
  }
  *out = s->env_made;
  if (s->env_error)
    snprintf(why, n, "%s", s->env_error);
  return s->env_error ? -1 : 0;
}

/* One line of a dotenv file: "KEY=VALUE" into out; 0 (also for a blank or
 * comment line, out untouched), or -1. */
static int dotenv_line(char *line, strlist *out)
{
  while (*line == ' ' || *line == '\t')
    line++;
  if (!*line || *line == '#')
    return 0;
  if (!strncmp(line, "export ", 7))
    line += 7;
  char *eq = strchr(line, '=');
  if (!eq || eq == line)
    return -1;
  char *key_end = eq;
  while (key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t'))
    key_end--;
  *key_end = 0;
  for (char *k = line; *k; k++)
    if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
          (*k >= '0' && *k <= '9' && k > line) || *k == '_'))
      return -1;
  char *v = eq + 1;
  while (*v == ' ' || *v == '\t')
    v++;
  buf t = {0};
  if (*v == '\'' || *v == '"') {
    char q = *v++;
    for (; *v && *v != q; v++) {
      if (q == '"' && *v == '\\' && v[1]) {
        v++;
        buf_add(&t, *v == 'n' ? "\n" : v, 1);
      } else {
        buf_add(&t, v, 1);
      }
    }
    if (*v != q) {
      buf_free(&t);
      return -1;
    }
  } else {
    char *hash = strstr(v, " #"), *end = hash ? hash : v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
      end--;
    buf_add(&t, v, (size_t)(end - v));
  }
  buf_add(&t, "", 1);
  strlist_take(out, xasprintf("%s=%s", line, t.p));
  buf_free(&t);
  return 0;
}

int space_dotenv(space *s, const strlist **vars, char *why, size_t n)
{
  if (!s->dotenv_done) {
    s->dotenv_done = true;
    for (size_t i = 0; i < pk_array_count(s->dotenv) && !s->dotenv_error;
         i++) {
      const pk_value *v = pk_array_at(s->dotenv, i);
      const char *file;
      pk_value_get_string(v, &file, NULL, NULL);
      pk_pos pos = pk_value_get_pos(v);
      char *data;
      size_t len;
      if (file_read(file, &data, &len) != 0) {
        s->dotenv_error = xasprintf("%s:%d:%d: spaces.%s: dotenv file %s: %s",
                                    pos.source, pos.line, pos.col, s->name,
                                    file, strerror(errno));
        break;
      }
      strlist_add(&s->dotenv_files, file);
      size_t line = 0;
      for (char *c = data, *nl; c && *c; c = nl ? nl + 1 : NULL) {
        nl = strchr(c, '\n');
        if (nl)
          *nl = 0;
        line++;
        if (dotenv_line(c, &s->dotenv_vars) != 0) {
          s->dotenv_error = xasprintf("%s:%zu: expected NAME=VALUE (a "
                                      "dotenv file of space %s)", file, line,
                                      s->name);
          break;
        }
      }
      free(data);
    }
  }
  *vars = &s->dotenv_vars;
  if (s->dotenv_error)
    snprintf(why, n, "%s", s->dotenv_error);
  return s->dotenv_error ? -1 : 0;
}

void spaces_free(project *p)
{
  for (size_t i = 0; i < p->nspaces; i++) {
    space *s = p->spaces[i];
    pk_instance_free(s->env_inst);
    free(s->env_error);
    free(s->dotenv_error);
    strlist_free(&s->dotenv_vars);
    strlist_free(&s->dotenv_files);
    free(s->modules);
    free(s->name);
    free(s->root);
    free(s);
  }
  free(p->spaces);
  for (size_t i = 0; i < p->nmodules; i++) {
    free(p->modules[i]->name);
    free(p->modules[i]->path);
    free(p->modules[i]->dir);
    free(p->modules[i]);
  }
  free(p->modules);
  strmap_free(&p->by_module);
}
