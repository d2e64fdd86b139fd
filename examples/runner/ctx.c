/* ctx.c -- the context: [ctx] variables (typed, from the environment),
 * the runner's own values ({ctx.runner.NAME}), and the formatting of the
 * runner's fields with them.
 * SPDX-License-Identifier: MIT
 *
 *   [ctx]
 *   region = "eu"                                 a string, default "eu"
 *   port = 6379                                   an integer (the default's
 *   debug = false                                 TOML type is the type)
 *   jobs = { type = "integer", default = 4 }
 *   token = { type = "string", required = true }  no default: must be set
 *   tag = { type = "string", required = false }   unset: ""
 *
 * A variable's value is its environment variable -- NAME upper-cased, '-'
 * as '_' (port: PORT) -- else its default.  An integer is cast from an
 * optional sign and decimal digits (within 64 bits), a boolean from
 * true/yes/1 or false/no/0 in any case (shown as true or false); a value
 * that does not cast is a config error naming the variable, the
 * environment variable and its value.  A required variable without a
 * value fails only the runnables whose fields use it, at the reference.
 *
 * {ctx.runner.NAME} are the runner's own values for this run: workers,
 * force, keep_going, verbose (the options, else RUNNER__NAME: main.c),
 * and ls, cache_status, trace, commands, modules, spaces (what
 * was asked).  All of them are also plugkit's ctx, for the format = true
 * fields of plugin types ([plugins.ALIAS] and instance tables of
 * runner.toml): the runner's values when runner.toml names one of them.
 *
 * The runner's fields (exec lines, artifacts, glob deps, cache names and
 * cache-when) are formatted by expand(): {ctx.NAME}, {ctx.runner.NAME},
 * {module.name}, {module.dir}, {module.path} in a command run per module,
 * {args.KEY} for a runnable's arguments, {{ and }} for a brace.  Any other
 * brace is the shell's ("${HOME}", awk '{print $1}') and stays, except one
 * that looks like ours misspelt ({modul.name}: misspelt()), an error. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static const char *const type_names[] = {"string", "integer", "boolean"};

/* The environment variable of a ctx variable (pk_ctx_get's rule) into e
 * (2 * strlen(name) + 1 bytes). */
static char *env_name(const char *name, char *e)
{
  char *o = e;
  for (const char *c = name; *c; c++)
    if (*c == '.') {
      *o++ = '_';
      *o++ = '_';
    } else {
      *o++ = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
    }
  *o = 0;
  return e;
}

/* text cast to type, canonical, into a new string; NULL when it does not
 * cast. */
static char *cast(int type, const char *text)
{
  if (type == CTX_STRING)
    return xstrdup(text);
  if (type == CTX_INTEGER) {
    const char *d = text + (*text == '-' || *text == '+');
    if (!*d || strspn(d, "0123456789") != strlen(d))
      return NULL;
    errno = 0;
    intmax_t v = strtoimax(text, NULL, 10);
    return errno ? NULL : xasprintf("%jd", v);
  }
  static const char *const yes[] = {"true", "yes", "1"};
  static const char *const no[] = {"false", "no", "0"};
  for (size_t i = 0; i < 3; i++) {
    if (!strcasecmp(text, yes[i]))
      return xstrdup("true");
    if (!strcasecmp(text, no[i]))
      return xstrdup("false");
  }
  return NULL;
}

static const char *const how_to_cast[] = {
    "", "a whole number such as 42", "true/false, yes/no or 1/0"};

/* A TOML value's type and canonical text: 0, or -1 when it is none of
 * string, integer, boolean. */
static int value_of(const pk_value *v, int *type, char **text)
{
  const char *s;
  int64_t n;
  bool b;
  if (pk_value_get_string(v, &s, NULL, NULL) == PK_OK) {
    *type = CTX_STRING;
    *text = xstrdup(s);
  } else if (pk_value_get_integer(v, &n, NULL) == PK_OK) {
    *type = CTX_INTEGER;
    *text = xasprintf("%" PRId64, n);
  } else if (pk_value_get_bool(v, &b, NULL) == PK_OK) {
    *type = CTX_BOOLEAN;
    *text = xstrdup(b ? "true" : "false");
  } else {
    return -1;
  }
  return 0;
}

static void add_var(project *p, const char *name, int type, char *value,
                    bool required, pk_pos pos)
{
  p->vars = xrealloc(p->vars, (p->nvars + 1) * sizeof *p->vars);
  p->vars[p->nvars++] = (ctx_var){.name = xstrdup(name), .type = type,
                                  .value = value, .required = required,
                                  .pos = pos};
}

/* NAME = { type = "...", default = ..., required = ..., doc = "..." }:
 * the declaration into *type, *dflt (NULL: none) and *required; false
 * after a problem.  Its keys, type and required are checked with the
 * config (runner-host.toml's [tables.ctx]); default, here: of the type. */
static bool declaration(const char *name, const pk_value *t, int *type,
                        char **dflt, bool *required, pk_diag *diag)
{
  const pk_value *tv = pk_table_get(t, "type"), *dv = pk_table_get(t, "default");
  const pk_value *rv = pk_table_get(t, "required");
  const char *tn = NULL;
  *type = -1;
  *dflt = NULL;
  if (tv && pk_value_get_string(tv, &tn, NULL, NULL) == PK_OK)
    for (int i = 0; i < 3; i++)
      if (!strcmp(tn, type_names[i]))
        *type = i;
  if (tv && *type < 0)
    return false;
  if (dv) {
    int dtype;
    if (value_of(dv, &dtype, dflt) != 0 || (*type >= 0 && dtype != *type)) {
      runner_problem(diag, PK_ETYPE, pk_value_get_pos(dv), "ctx.%s: the default "
                     "must be %s %s", name, *type == CTX_INTEGER ? "an" : "a",
                     *type >= 0 ? type_names[*type]
                                : "string, an integer or a boolean");
      free(*dflt);
      *dflt = NULL;
      return false;
    }
    if (*type < 0)
      *type = dtype;
  }
  if (*type < 0)
    *type = CTX_STRING;
  *required = !dv;
  if (rv && pk_value_get_bool(rv, required, NULL) != PK_OK) {
    free(*dflt); /* found by fuzz_runner_toml: the default leaked */
    *dflt = NULL;
    return false;
  }
  return true;
}

void ctx_load(project *p, const pk_value *ctx, pk_diag *diag)
{
  for (size_t i = 0; i < pk_table_count(ctx); i++) {
    const char *name = pk_table_key_at(ctx, i, NULL);
    const pk_value *v = pk_table_value_at(ctx, i);
    pk_pos pos = pk_table_key_pos_at(ctx, i);
    int type;
    char *dflt = NULL;
    bool required = false;
    if (!strcmp(name, "runner")) {
      runner_problem(diag, PK_ECONFIG, pos, "ctx.runner is the runner's own "
                     "({ctx.runner.workers}, ...): name the variable "
                     "otherwise");
      continue;
    }
    if (pk_value_kind(v) == PK_KIND_TABLE) {
      if (!declaration(name, v, &type, &dflt, &required, diag))
        continue;
    } else if (value_of(v, &type, &dflt) != 0) {
      continue; /* reported with the config: [tables.ctx] */
    }
    char env[2 * 128 + 1], *value = dflt; /* names: 127 bytes at most */
    if (strlen(name) > 127) {
      runner_problem(diag, PK_ECONFIG, pos, "ctx.%.40s...: a name has at "
                     "most 127 bytes", name);
      free(dflt);
      continue;
    }
    env_name(name, env);
    const char *from = getenv(env);
    if (from) {
      value = cast(type, from);
      free(dflt);
      if (!value)
        runner_problem(diag, PK_ETYPE, pos, "ctx.%s: %s=\"%s\" in the "
                       "environment is not %s %s (%s): change it or unset "
                       "it", name, env, from, type == CTX_INTEGER ? "an" : "a",
                       type_names[type], how_to_cast[type]);
    }
    if (from && !value)
      continue;
    pk_error e;
    if (value && pk_ctx_set(p->ctx, name, value, &e) != PK_OK)
      runner_problem(diag, e.code, pos, "ctx.%s: %s", name, e.message);
    add_var(p, name, type, value, required, pos);
  }
}

int ctx_cast_bool(const char *text)
{
  char *v = cast(CTX_BOOLEAN, text);
  int b = v ? !strcmp(v, "true") : -1;
  free(v);
  return b;
}

int ctx_runtime(project *p, const run_options *o)
{
  snprintf(p->workers, sizeof p->workers, "%d", o->workers);
  const struct {
    const char *name;
    int type;
    const char *value;
  } vals[] = {
      {"runner.workers", CTX_INTEGER, p->workers},
      {"runner.force", CTX_BOOLEAN, o->force ? "true" : "false"},
      {"runner.keep_going", CTX_BOOLEAN, o->keep_going ? "true" : "false"},
      {"runner.verbose", CTX_BOOLEAN, o->verbose ? "true" : "false"},
      {"runner.ls", CTX_BOOLEAN, o->ls ? "true" : "false"},
      {"runner.cache_status", CTX_BOOLEAN, o->cache_status ? "true" : "false"},
      {"runner.trace", CTX_STRING, o->trace ? o->trace : ""},
      {"runner.commands", CTX_STRING, o->commands ? o->commands : ""},
      {"runner.modules", CTX_STRING, o->modules ? o->modules : ""},
      {"runner.spaces", CTX_STRING, o->spaces ? o->spaces : ""},
  };
  size_t n = sizeof vals / sizeof *vals;
  p->vars = xcalloc(n, sizeof *p->vars);
  for (size_t i = 0; i < n; i++) {
    /* borrowed: the first nruntime variables are not freed */
    p->vars[p->nvars++] = (ctx_var){.name = (char *)vals[i].name,
                                    .type = vals[i].type,
                                    .value = (char *)vals[i].value,
                                    .required = true};
  }
  p->nruntime = n;
  return 0;
}

void ctx_runtime_to_plugkit(project *p)
{
  for (size_t i = 0; i < p->nruntime; i++) {
    pk_error e;
    pk_ctx_set(p->ctx, p->vars[i].name, p->vars[i].value, &e);
  }
}

const ctx_var *ctx_find(const project *p, const char *name, size_t n)
{
  for (size_t i = 0; i < p->nvars; i++)
    if (!strncmp(p->vars[i].name, name, n) && !p->vars[i].name[n])
      return &p->vars[i];
  return NULL;
}

void ctx_free(project *p)
{
  for (size_t i = p->nruntime; i < p->nvars; i++) {
    free(p->vars[i].name);
    free(p->vars[i].value);
  }
  free(p->vars);
  p->vars = NULL;
  p->nvars = 0;
}

/* ---- formatting ---- */

static const char *const module_fields[] = {"name", "dir", "path"};

/* The declared ctx variable closest to name[0..n), or NULL. */
static const char *closest_var(const project *p, const char *name, size_t n)
{
  const char **names = xcalloc(p->nvars + 1, sizeof *names);
  char *word = xasprintf("%.*s", (int)n, name);
  for (size_t i = 0; i < p->nvars; i++)
    names[i] = p->vars[i].name;
  const char *near = pk_closest(word, names, p->nvars);
  free(word);
  free(names);
  return near;
}

/* The placeholder meant by PREFIX.FIELD (field[0..n)) into to (tn
 * bytes): "{module.name}" for module.nmae, FIELD the known one closest
 * to it.  False when none is known or close: FIELD stays as written (args
 * are the runnable's, never known here). */
static bool meant(const expand_in *in, const char *prefix, const char *field,
                  size_t n, char *to, size_t tn)
{
  const char *near = NULL;
  char *word = xasprintf("%.*s", (int)n, field);
  if (!strcmp(prefix, "module")) {
    for (size_t i = 0; i < 3; i++)
      if (!strcmp(word, module_fields[i]))
        near = module_fields[i];
    if (!near)
      near = pk_closest(word, module_fields, 3);
  } else if (!strcmp(prefix, "ctx")) {
    const ctx_var *v = ctx_find(in->p, field, n);
    near = v ? v->name : closest_var(in->p, field, n);
  }
  snprintf(to, tn, "{%s.%s}", prefix, near ? near : word);
  free(word);
  return near != NULL;
}

/* Is s[0..n), the content of a brace that is not ours, a placeholder with
 * a misspelt prefix: WORD.WORD... (the first WORD of [a-z_-], the others
 * of digits too) whose first WORD is pk_closest() to ctx, module or args
 * ({modul.name})?  Then the reason into why: left as written, the shell
 * would run the brace as text. */
static bool misspelt(const expand_in *in, const char *s, size_t n, char *why,
                     size_t wn)
{
  static const char *const prefixes[] = {"ctx", "module", "args"};
  size_t w = strspn(s, "abcdefghijklmnopqrstuvwxyz_-"), i = w, k;
  if (!w || w > 63 || i >= n) /* the set stops at the closing brace */
    return false;
  for (; i < n; i += 1 + k)
    if (s[i] != '.' || !(k = strspn(s + i + 1, "abcdefghijklmnopqrstuvwxyz"
                                                 "_-0123456789")))
      return false;
  char word[64], to[160];
  memcpy(word, s, w);
  word[w] = '\0';
  const char *near = pk_closest(word, prefixes, 3);
  if (!near)
    return false;
  meant(in, near, s + w + 1, n - w - 1, to, sizeof to);
  snprintf(why, wn, "{%.*s}: did you mean %s? (the placeholders are "
           "{ctx.*}, {module.*} and {args.*}; write {{ for a literal brace)",
           (int)n, s, to);
  return true;
}

/* The value of the placeholder in s[0..n) (without braces) into *out
 * (borrowed; NULL: the brace is the shell's), or a reason into why.
 * shell: the brace follows a '$' (${NAME}: the shell's own). */
static bool lookup(const expand_in *in, const char *s, size_t n,
                   bool shell, const char **out, char *why, size_t wn)
{
  if (n > 4 && !strncmp(s, "ctx.", 4)) {
    const ctx_var *v = ctx_find(in->p, s + 4, n - 4);
    if (!v) {
      snprintf(why, wn, "ctx.%.*s is not declared: add it to [ctx]%s",
               (int)n - 4, s + 4, !strncmp(s + 4, "runner.", 7)
                   ? " (the runner's own are workers, force, keep_going, "
                     "verbose, ls, cache_status, trace, commands, modules, "
                     "spaces)"
                   : "");
      char to[160];
      size_t used = strlen(why);
      if (meant(in, "ctx", s + 4, n - 4, to, sizeof to))
        snprintf(why + used, wn - used, " (did you mean %s?)", to);
      return false;
    }
    if (!v->value && v->required) {
      char *env = env_name(v->name, xmalloc(2 * strlen(v->name) + 1));
      snprintf(why, wn, "ctx.%s is not set: set %s in the environment, or "
               "give it a default in [ctx] (%s:%d:%d)", v->name, env,
               v->pos.source ? v->pos.source : "runner.toml", v->pos.line,
               v->pos.col);
      free(env);
      return false;
    }
    *out = v->value ? v->value : "";
    return true;
  }
  if (n > 7 && !strncmp(s, "module.", 7)) {
    const module *m = in->module;
    for (size_t i = 0; i < 3; i++)
      if (n - 7 == strlen(module_fields[i]) &&
          !strncmp(s + 7, module_fields[i], n - 7)) {
        if (!m) {
          snprintf(why, wn, "{module.%s} in a field that is not run per "
                   "module: only exec, deps and artifacts expand a command "
                   "per module", module_fields[i]);
          return false;
        }
        *out = i == 0 ? m->name : i == 1 ? m->dir : m->path;
        return true;
      }
    char to[160];
    bool near = meant(in, "module", s + 7, n - 7, to, sizeof to);
    snprintf(why, wn, "{module.%.*s}: a module has name, dir and path%s%s%s "
             "(write {{ for a literal brace)", (int)n - 7, s + 7,
             near ? ": did you mean " : "", near ? to : "", near ? "?" : "");
    return false;
  }
  if (n > 5 && !strncmp(s, "args.", 5)) {
    const strlist *a = in->args;
    for (size_t i = 0; a && i < a->n; i++)
      if (!strncmp(a->v[i], s + 5, n - 5) && a->v[i][n - 5] == '=') {
        *out = a->v[i] + n - 4;
        return true;
      }
    snprintf(why, wn, "the runnable has no argument %.*s (give it as "
             "?%.*s=VALUE)", (int)n - 5, s + 5, (int)n - 5, s + 5);
    return false;
  }
  *out = NULL; /* not ours: the shell's, unless a misspelt one of ours */
  return shell || !misspelt(in, s, n, why, wn);
}

char *expand(const expand_in *in, const pk_value *at, const char *s,
             char *why, size_t wn)
{
  buf t = {0};
  for (const char *c = s; *c;) {
    const char *end;
    size_t plain = strcspn(c, "{}"); /* the text up to a brace, at once */
    if (plain) {
      buf_add(&t, c, plain);
      c += plain;
      continue;
    }
    if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
      buf_add(&t, c, 1);
      c += 2;
      continue;
    }
    if (*c != '{' || !(end = strchr(c + 1, '}')) ||
        memchr(c + 1, '{', (size_t)(end - c - 1))) {
      buf_add(&t, c++, 1);
      continue;
    }
    const char *val, *name = c + 1;
    char reason[400];
    if (!lookup(in, name, (size_t)(end - name), c > s && c[-1] == '$',
                &val, reason, sizeof reason)) {
      pk_pos pos = at ? pk_value_get_pos(at) : (pk_pos){0};
      if (at && !strchr(s, '\n'))
        pos.col += 1 + (int)(c - s); /* past the opening quote */
      snprintf(why, wn, "%s:%d:%d: %s", pos.source ? pos.source : "runner",
               pos.line, pos.col, reason);
      buf_free(&t);
      return NULL;
    }
    if (val) {
      buf_add(&t, val, strlen(val));
      c = end + 1;
    } else {
      buf_add(&t, c++, 1);
    }
  }
  return buf_str(&t);
}
