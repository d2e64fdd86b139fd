/* plan.c -- from command names to runnables in the order they run.
 *
 * A runnable is a command run once: for a command per module (one whose
 * exec, deps or artifacts mention {module.*}) once per module of its
 * space (of every space when it names none), and for each set of
 * arguments.  Its name is ADDRESS[@SPACE][#MODULE][?ARGS] (runnable_base).
 * Its fields are formatted (ctx.c); one that does not format makes that
 * runnable fail with the reason, at the placeholder, and nothing else.
 * Each command's deps are built (a glob string, or a typed dep through
 * plugkit: glob, command, or a plugin's type such as cinclude); the
 * commands they name become upstream runnables -- for a runnable of a
 * module, only the same module's runnable of a command per module -- an
 * environment's setup step is injected as a strict upstream, upstream
 * artifacts join the dependent's hash.  A cycle is reported with its path.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

typedef struct planner {
  plan *pl;
  project *p;
  runnable *stack[256];  /* commands being expanded, for cycle messages */
  size_t depth;
  strmap made;           /* factory command address -> its made */
} planner;

/* The runnables a factory command's factory made (once per plan). */
typedef struct made {
  runnable **v;
  size_t n;
  int rc;                /* 0, or -1: its factory failed */
  bool building;
} made;

static int factory_runnables(planner *pn, command *c, runnable ***out,
                             size_t *n);

static runnable *runnable_new(plan *pl, char *name)
{
  runnable *r = xcalloc(1, sizeof *r);
  r->name = name;
  r->slug = slugify(name);
  if (pl->nall == pl->acap) {
    pl->acap = pl->acap ? 2 * pl->acap : 16;
    pl->all = xrealloc(pl->all, pl->acap * sizeof *pl->all);
  }
  pl->all[pl->nall++] = r;
  strmap_put(&pl->by_name, r->name, r);
  return r;
}

/* Adds up as an upstream of r (flags: RUNNER_STRICT, RUNNER_ISOLATED);
 * once, strict when any edge is, isolated when every edge is. */
static void add_up(runnable *r, runnable *up, int flags)
{
  bool strict = flags & RUNNER_STRICT, isolated = flags & RUNNER_ISOLATED;
  for (size_t i = 0; i < r->nups; i++)
    if (r->ups[i] == up) {
      r->strict[i] = r->strict[i] || strict;
      r->isolated[i] = r->isolated[i] && isolated;
      return;
    }
  r->ups = xrealloc(r->ups, (r->nups + 1) * sizeof *r->ups);
  r->strict = xrealloc(r->strict, (r->nups + 1) * sizeof *r->strict);
  r->isolated = xrealloc(r->isolated, (r->nups + 1) * sizeof *r->isolated);
  r->ups[r->nups] = up;
  r->isolated[r->nups] = isolated;
  r->strict[r->nups++] = strict;
}

/* The plan owns inst (freed by plan_free). */
static void keep_instance(plan *pl, pk_instance *inst)
{
  if (pl->ninsts == pl->icap) {
    pl->icap = pl->icap ? 2 * pl->icap : 8;
    pl->insts = xrealloc(pl->insts, pl->icap * sizeof *pl->insts);
  }
  pl->insts[pl->ninsts++] = inst;
}

static void push_order(plan *pl, runnable *r)
{
  if (pl->n == pl->cap) {
    pl->cap = pl->cap ? 2 * pl->cap : 16;
    pl->order = xrealloc(pl->order, pl->cap * sizeof *pl->order);
  }
  pl->order[pl->n++] = r;
  r->mark = 2;
}

/* "k=v&k2=v2" into sorted "k=v" items; 0, or -1 for an item without '='. */
static int parse_args(const char *args, strlist *out)
{
  if (!args || !*args)
    return 0;
  char *copy = xstrdup(args), *save = NULL;
  int rc = 0;
  for (char *it = strtok_r(copy, "&", &save); it;
       it = strtok_r(NULL, "&", &save)) {
    if (!strchr(it, '=') || it[0] == '=')
      rc = -1;
    else
      strlist_add(out, it);
  }
  free(copy);
  strlist_sort(out);
  return rc;
}

static int expand_deps(planner *pn, runnable *r);

/* ---- formatting a runnable's fields ---- */

/* Formats v (a string) for r: the text, or NULL with r->error set. */
static char *field(const planner *pn, runnable *r, const pk_value *v)
{
  const char *s = "";
  pk_value_get_string(v, &s, NULL, NULL);
  expand_in in = {pn->p, r->module, &r->args};
  char why[1200];
  char *out = expand(&in, v, s, why, sizeof why);
  if (!out && !r->error)
    r->error = xstrdup(why);
  return out;
}

/* Each string of array, formatted for r, into l; -1 with r->error. */
static int add_fields(const planner *pn, runnable *r, const pk_value *array,
                      strlist *l)
{
  for (size_t i = 0; i < pk_array_count(array); i++) {
    char *x = field(pn, r, pk_array_at(array, i));
    if (!x)
      return -1;
    strlist_take(l, x);
  }
  return 0;
}

/* r's cache and cache-when: the command's, else [defaults]', else local
 * and success; "none" for a command without deps.  -1 with r->error. */
static int cache_policy(const planner *pn, runnable *r)
{
  const command *c = r->cmd;
  const pk_value *d = pn->p->defaults;
  const pk_value *cv = c->cache ? c->cache : pk_table_get(d, "cache");
  const pk_value *wv = c->cache_when ? c->cache_when
                                     : pk_table_get(d, "cache-when");
  char *cache = cv ? field(pn, r, cv) : xstrdup("local");
  char *when = wv ? field(pn, r, wv) : xstrdup("success");
  int rc = -1;
  if (!cache || !when) {
  } else if (!cache_known(pn->p, cache)) {
    pk_pos pos = pk_value_get_pos(cv);
    r->error = xasprintf("%s:%d:%d: cache \"%s\" is not configured: use "
                         "local, repo, none or add [caches.%s]", pos.source,
                         pos.line, pos.col, cache, cache);
  } else if ((r->cache_when = cache_when_of(when)) < 0) {
    pk_pos pos = pk_value_get_pos(wv);
    r->error = xasprintf("%s:%d:%d: cache-when \"%s\": use success, failed "
                         "or finished", pos.source, pos.line, pos.col, when);
  } else {
    bool inputs = (c->deps && pk_array_count(c->deps)) ||
                  (r->def && (r->def->globs || r->def->ncommands ||
                              r->def->constant));
    r->cache = xstrdup(inputs ? cache : "none");
    rc = 0;
  }
  free(cache);
  free(when);
  return rc;
}

/* ---- runnables of commands ---- */

/* The runnable of command c (for module m) with args, planned with its
 * upstreams; NULL after a message (bad arguments, a cycle, a dep that
 * fails). */
static runnable *command_runnable(planner *pn, command *c, const char *args,
                                  module *m, const char *from)
{
  strlist parsed = {0};
  if (parse_args(args, &parsed) != 0) {
    fprintf(stderr, "runner: %s: bad arguments \"%s\" for %s: use "
            "key=value&key2=value2\n", from, args, c->address);
    strlist_free(&parsed);
    return NULL;
  }
  m = c->module ? c->module : m;
  char *base = runnable_base(pn->p, c, command_space(pn->p, c, m),
                             c->module ? NULL : m);
  buf t = {.p = base, .n = strlen(base), .cap = strlen(base) + 1};
  for (size_t i = 0; i < parsed.n; i++) {
    buf_add(&t, i ? "&" : "?", 1);
    buf_add(&t, parsed.v[i], strlen(parsed.v[i]));
  }
  char *name = buf_str(&t);
  runnable *r = strmap_get(&pn->pl->by_name, name);
  if (r) {
    free(name);
    strlist_free(&parsed);
    if (r->mark == 1) {
      fprintf(stderr, "runner: command cycle: ");
      size_t i = 0;
      while (i < pn->depth && pn->stack[i] != r)
        i++;
      for (; i < pn->depth; i++)
        fprintf(stderr, "%s -> ", pn->stack[i]->name);
      fprintf(stderr, "%s; remove one of these deps\n", r->name);
      return NULL;
    }
    return r;
  }
  r = runnable_new(pn->pl, name);
  r->cmd = c;
  r->module = m;
  r->space = command_space(pn->p, c, m);
  r->args = parsed;
  if (!(r->exec = field(pn, r, c->exec)) ||
      add_fields(pn, r, c->artifacts, &r->artifacts) != 0 ||
      cache_policy(pn, r) != 0) {
    push_order(pn->pl, r); /* it fails with r->error */
    return r;
  }
  return expand_deps(pn, r) == 0 ? r : NULL;
}

/* The runnables a dep of r on c, a command per module, brings: when r
 * runs for a module, the runnable of c for the same module (none when c
 * does not run for it), else every one of c.  1 when c is run per module
 * (done), 0 when not, -1 after a message. */
static int command_dep(planner *pn, runnable *r, command *c,
                       const runner_cmd_ref *ref, const char *label)
{
  if (c->factory) { /* every runnable it made: of no module or r's */
    runnable **v;
    size_t n;
    if (factory_runnables(pn, c, &v, &n) != 0)
      return -1;
    for (size_t i = 0; i < n; i++)
      if (!r->module || !v[i]->module || v[i]->module == r->module)
        add_up(r, v[i], ref->strict);
    return 1;
  }
  if (!c->per_module)
    return 0;
  module **ms;
  size_t n;
  command_modules(pn->p, c, &ms, &n);
  for (size_t i = 0; i < n; i++) {
    if (r->module && ms[i] != r->module)
      continue;
    runnable *up = command_runnable(pn, c, ref->args, ms[i], label);
    if (!up)
      return -1;
    add_up(r, up, ref->strict);
  }
  return 1;
}

/* Adds each pattern of the NULL-terminated list to l. */
static void add_all(strlist *l, const char *const *list)
{
  for (size_t i = 0; list && list[i]; i++)
    strlist_add(l, list[i]);
}

/* The file that declares r's command (its constants come from there):
 * runner.toml, a module's, or NULL (a plugin's fragment). */
static const char *declared_in(runnable *r)
{
  if (!r->cmd || r->cmd->alias)
    return NULL;
  return r->cmd->module ? pk_value_get_pos(r->cmd->table).source
                        : "runner.toml";
}

/* Adds what dep d gives to r; at is the dep's table in the project's
 * files (NULL for a factory's deps), where a command it names that is
 * not configured is reported. */
static int add_dep_output(planner *pn, runnable *r, const runner_dep *d,
                          const pk_value *at, const char *label)
{
  add_all(&r->globs, d->globs);
  /* watch defaults to the globs, since to watch (qik-spec 5.3) */
  bool has = d->size >= offsetof(runner_dep, watch) + sizeof d->watch;
  const char *const *watch = has && d->watch ? d->watch : d->globs;
  const char *const *since = has && d->since ? d->since : watch;
  add_all(&r->watch, watch);
  add_all(&r->since, since);
  if (d->constant) {
    strlist_add(&r->constants, d->constant);
    const char *decl = declared_in(r);
    if (decl && !(has && d->since) && !strlist_has(&r->since, decl))
      strlist_add(&r->since, decl);
  }
  for (size_t k = 0; k < d->ncommands; k++) {
    const runner_cmd_ref *ref = &d->commands[k];
    pk_error err;
    command *c = dep_command(pn->p, label, ref->command, at, &err);
    if (!c) {
      runner_error("", &err);
      return -1;
    }
    int per = command_dep(pn, r, c, ref, label);
    if (per < 0)
      return -1;
    if (per)
      continue;
    runnable *up = command_runnable(pn, c, ref->args, NULL, label);
    if (!up)
      return -1;
    add_up(r, up, ref->strict);
  }
  return 0;
}

static int add_env(planner *pn, runnable *r)
{
  runner_env *e = NULL;
  char why[1200];
  if (r->cmd->env) {
    pk_error err;
    void *inst;
    if (pk_host_get_instance(pn->p->host, "env", r->cmd->env, &inst, &err) !=
        PK_OK) {
      runner_error(r->name, &err);
      return -1;
    }
    e = inst;
  } else if (r->space->env && space_env(pn->p, r->space, &e, why,
                                        sizeof why) != 0) {
    fprintf(stderr, "runner: %s: %s\n", r->name, why);
    return -1;
  }
  const strlist *vars;
  if (r->space->dotenv && space_dotenv(r->space, &vars, why, sizeof why)) {
    r->error = xstrdup(why);
    return 0;
  }
  if (r->space->dotenv) {
    r->dotenv = vars;
    for (size_t i = 0; i < r->space->dotenv_files.n; i++) {
      strlist_add(&r->globs, r->space->dotenv_files.v[i]);
      strlist_add(&r->since, r->space->dotenv_files.v[i]);
      strlist_add(&r->watch, r->space->dotenv_files.v[i]);
    }
  }
  r->env = e;
  if (!e)
    return 0;
  /* a changed lock selects every runnable using the env (--since); its
   * setup writes it on every run: --watch does not wait on it */
  add_all(&r->globs, e->globs);
  add_all(&r->since, e->globs);
  if (e->constant) {
    strlist_add(&r->constants, e->constant);
    if (!strlist_has(&r->since, "runner.toml"))
      strlist_add(&r->since, "runner.toml");
  }
  if (!e->setup_name || !e->setup_exec)
    return 0;
  runnable *s = strmap_get(&pn->pl->by_name, e->setup_name);
  if (!s) {
    s = runnable_new(pn->pl, xstrdup(e->setup_name));
    s->exec = xstrdup(e->setup_exec);
    s->cache = xstrdup("none");
    push_order(pn->pl, s);
  }
  add_up(r, s, RUNNER_STRICT);
  return 0;
}

/* ---- a typed dep of a command per module: its strings formatted ---- */

/* v as TOML text into t, its strings formatted for r; -1 with r->error. */
static int toml_of(const planner *pn, runnable *r, const pk_value *v,
                   buf *t)
{
  const char *s;
  int64_t i;
  double f;
  bool b;
  if (pk_value_get_string(v, &s, NULL, NULL) == PK_OK) {
    char *x = field(pn, r, v);
    if (!x)
      return -1;
    buf_add(t, "\"", 1);
    for (const char *c = x; *c; c++)
      if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
        buf_printf(t, "\\u%04x", (unsigned char)*c);
      else
        buf_add(t, c, 1);
    buf_add(t, "\"", 1);
    free(x);
  } else if (pk_value_get_integer(v, &i, NULL) == PK_OK) {
    buf_printf(t, "%lld", (long long)i);
  } else if (pk_value_get_float(v, &f, NULL) == PK_OK) {
    buf_printf(t, "%.17g%s", f, f == (double)(long long)f
                                                  ? ".0" : "");
  } else if (pk_value_get_bool(v, &b, NULL) == PK_OK) {
    buf_printf(t, "%s", b ? "true" : "false");
  } else if (pk_value_kind(v) == PK_KIND_ARRAY ||
             pk_value_kind(v) == PK_KIND_TABLE) {
    bool tbl = pk_value_kind(v) == PK_KIND_TABLE;
    size_t n = tbl ? pk_table_count(v) : pk_array_count(v);
    buf_add(t, tbl ? "{" : "[", 1);
    for (size_t k = 0; k < n; k++) {
      if (k)
        buf_add(t, ", ", 2);
      if (tbl)
        buf_printf(t, "\"%s\" = ",
                          pk_table_key_at(v, k, NULL));
      if (toml_of(pn, r, tbl ? pk_table_value_at(v, k) : pk_array_at(v, k),
                  t) != 0)
        return -1;
    }
    buf_add(t, tbl ? "}" : "]", 1);
  } else {
    pk_pos pos = pk_value_get_pos(v);
    r->error = xasprintf("%s:%d:%d: a dep table with {module.*} may hold "
                         "strings, numbers, booleans, arrays and tables, "
                         "not a date or time", pos.source, pos.line,
                         pos.col);
    return -1;
  }
  return 0;
}

/* The dep table d with its strings formatted for r, parsed again on the
 * line it was written (for messages); NULL with r->error set. */
static const pk_value *dep_for_module(planner *pn, runnable *r,
                                      const pk_value *d)
{
  buf t = {0};
  pk_pos pos = pk_value_get_pos(d);
  for (int i = 1; i < pos.line; i++)
    buf_add(&t, "\n", 1);
  buf_add(&t, "d = ", 4);
  if (toml_of(pn, r, d, &t) != 0) {
    buf_free(&t);
    return NULL;
  }
  pk_doc *doc;
  pk_error err;
  pk_status st = pk_doc_parse(t.p, t.n, pos.source, NULL, &doc, &err);
  buf_free(&t);
  if (st != PK_OK) {
    char text[1200];
    pk_error_format(&err, text, sizeof text);
    r->error = xstrdup(text);
    return NULL;
  }
  plan *pl = pn->pl;
  pl->docs = xrealloc(pl->docs, (pl->ndocs + 1) * sizeof *pl->docs);
  pl->docs[pl->ndocs++] = doc;
  return pk_table_get(pk_doc_root(doc), "d");
}

/* Builds r's upstreams (deps, env), then puts r in the order.  0, or -1
 * after a message; a field that does not format leaves r->error and 0. */
static int expand_deps(planner *pn, runnable *r)
{
  command *c = r->cmd;
  if (pn->depth == sizeof pn->stack / sizeof *pn->stack) {
    fprintf(stderr, "runner: %s: commands nested too deep\n", r->name);
    return -1;
  }
  pn->stack[pn->depth++] = r;
  r->mark = 1;
  int rc = 0;
  if (r->def) { /* a factory's: the deps it gave */
    const runner_runnable *d = r->def;
    runner_dep dep = {.size = sizeof dep, .globs = d->globs,
                      .commands = d->commands, .ncommands = d->ncommands};
    if (d->constant)
      strlist_add(&r->constants, d->constant);
    rc = add_dep_output(pn, r, &dep, NULL, r->name);
  }
  for (size_t i = 0; rc == 0 && !r->error && i < pk_array_count(c->deps);
       i++) {
    const pk_value *d = pk_array_at(c->deps, i);
    if (pk_value_kind(d) == PK_KIND_STRING) {
      char *x = field(pn, r, d);
      if (x) {
        strlist_add(&r->since, x);
        strlist_add(&r->watch, x);
        strlist_take(&r->globs, x);
      }
      continue;
    }
    if (value_mentions_module(d) && !(d = dep_for_module(pn, r, d)))
      break;
    char label[300];
    snprintf(label, sizeof label, "%s.deps[%zu]", c->address, i);
    pk_instance *inst;
    pk_error err;
    if (pk_host_make_instance(pn->p->host, "dep", label, d, &inst, &err) !=
        PK_OK) {
      runner_error("", &err);
      rc = -1;
      break;
    }
    keep_instance(pn->pl, inst);
    rc = add_dep_output(pn, r, pk_instance_get(inst), d, label);
  }
  if (rc == 0 && !r->error)
    rc = add_env(pn, r);
  /* an upstream's artifacts are inputs of this one (qik-spec 8 item 80) */
  for (size_t i = 0; rc == 0 && i < r->nups; i++)
    for (size_t a = 0; a < r->ups[i]->artifacts.n; a++)
      strlist_add(&r->globs, r->ups[i]->artifacts.v[a]);
  pn->depth--;
  if (rc == 0)
    push_order(pn->pl, r);
  return rc;
}

/* ---- commands from a factory ---- */

/* A runnable of factory command c from its definition d, planned with its
 * upstreams; NULL after a message. */
static runnable *factory_runnable(planner *pn, command *c,
                                  const runner_runnable *d)
{
  project *p = pn->p;
  module *m = d->module ? strmap_get(&p->by_module, d->module) : NULL;
  const char *suffix = d->suffix ? d->suffix : "";
  const char *why = d->module && !m ? "is for a module that is not "
                                      "configured"
                    : !d->exec && !d->run ? "has neither exec nor run"
                    : strchr(suffix, '/') ? "has a '/' in its suffix"
                                          : NULL;
  char *base = runnable_base(p, c, command_space(p, c, m), NULL);
  char *name = xconcat(base, suffix, NULL);
  free(base);
  if (!why && strmap_get(&pn->pl->by_name, name))
    why = "is made twice (the same suffix)";
  if (why) {
    fprintf(stderr, "runner: %s: the runnable %s its factory made %s (%s)"
            ": fix the plugin\n", c->address, name, why,
            d->module ? d->module : "no module");
    free(name);
    return NULL;
  }
  runnable *r = runnable_new(pn->pl, name);
  r->cmd = c;
  r->module = m;
  r->space = command_space(p, c, m);
  r->def = d;
  for (size_t i = 0; d->args && d->args[i]; i++)
    strlist_add(&r->args, d->args[i]);
  strlist_sort(&r->args);
  r->exec = xstrdup(d->exec ? d->exec : "in-process");
  add_all(&r->artifacts, d->artifacts);
  if (cache_policy(pn, r) != 0) {
    push_order(pn->pl, r); /* it fails with r->error */
    return r;
  }
  return expand_deps(pn, r) == 0 ? r : NULL;
}

/* The runnables factory command c makes (its type's factory called once
 * per plan, lazily loading its plugin): 0 with *out and *n, or -1 after a
 * message. */
static int factory_runnables(planner *pn, command *c, runnable ***out,
                             size_t *n)
{
  made *m = strmap_get(&pn->made, c->address);
  if (m && m->building) {
    fprintf(stderr, "runner: %s: a runnable its factory made depends on "
            "the command itself: remove that dep\n", c->address);
    return -1;
  }
  if (!m) {
    m = xcalloc(1, sizeof *m);
    strmap_put(&pn->made, c->address, m);
    m->building = true;
    char *label = xconcat(c->address, ".factory", NULL);
    pk_instance *inst;
    pk_error err;
    if (pk_host_make_instance(pn->p->host, "factory", label, c->factory,
                              &inst, &err) != PK_OK) {
      runner_error("", &err);
      m->rc = -1;
    } else {
      keep_instance(pn->pl, inst);
      const runner_factory *f = pk_instance_get(inst);
      m->v = xcalloc(f->nrunnables, sizeof *m->v);
      for (size_t i = 0; m->rc == 0 && i < f->nrunnables; i++)
        if (!(m->v[m->n++] = factory_runnable(pn, c, &f->runnables[i])))
          m->rc = -1;
    }
    free(label);
    m->building = false;
  }
  *out = m->v;
  *n = m->n;
  return m->rc;
}

/* ---- what was asked ---- */

/* Does c take arguments ({args.KEY} in its exec, artifacts or globs)? */
static bool needs_args(const command *c)
{
  const char *s;
  if (pk_value_get_string(c->exec, &s, NULL, NULL) == PK_OK &&
      strstr(s, "{args."))
    return true;
  const pk_value *lists[] = {c->artifacts, c->deps};
  for (size_t l = 0; l < 2; l++)
    for (size_t i = 0; i < pk_array_count(lists[l]); i++)
      if (pk_value_get_string(pk_array_at(lists[l], i), &s, NULL, NULL) ==
              PK_OK &&
          strstr(s, "{args."))
        return true;
  return false;
}

/* Whether comma-separated list (NULL: anything) holds name. */
static bool listed(const char *list, const char *name)
{
  if (!list)
    return true;
  size_t n = strlen(name);
  for (const char *c = list; c; c = strchr(c, ',') ? strchr(c, ',') + 1
                                                   : NULL)
    if (!strncmp(c, name, n) && (c[n] == ',' || !c[n]))
      return true;
  return false;
}

/* Plans the runnables of c (its modules: only m when not NULL) that -m
 * and -s select, each marked as asked when ask; how many, or -1. */
static long plan_command(planner *pn, command *c, const char *args,
                         module *m, const run_options *o, bool ask)
{
  if (c->factory) {
    runnable **v;
    size_t n;
    if (factory_runnables(pn, c, &v, &n) != 0)
      return -1;
    long got = 0;
    for (size_t i = 0; i < n; i++)
      if (listed(o->modules, v[i]->module ? v[i]->module->name : "") &&
          listed(o->spaces, v[i]->space->name)) {
        if (ask)
          v[i]->mark = 3;
        got++;
      }
    return got;
  }
  module **ms = &m, *own = c->module;
  size_t n = 1;
  if (c->per_module && !m)
    command_modules(pn->p, c, &ms, &n);
  else if (!c->per_module)
    ms = &own;
  long got = 0;
  for (size_t i = 0; i < n; i++) {
    module *mi = ms[i];
    if (!listed(o->modules, mi ? mi->name : "") ||
        !listed(o->spaces, command_space(pn->p, c, mi)->name))
      continue;
    runnable *r = command_runnable(pn, c, args, mi, "runner");
    if (!r)
      return -1;
    if (ask)
      r->mark = 3;
    got++;
  }
  return got;
}

/* A command that takes arguments, named bare (qik-spec 8 item 22): every
 * runnable of it in the graph of all commands not hidden. */
static int plan_bare(planner *pn, const command *c, const run_options *o)
{
  plan *pl = pn->pl;
  for (size_t i = 0; i < pn->p->ncmds; i++)
    if (!pn->p->cmds[i]->hidden &&
        plan_command(pn, pn->p->cmds[i], NULL, NULL, o, false) < 0)
      return 1;
  size_t found = 0;
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    if (r->cmd == c && r->name[strcspn(r->name, "?")] == '?') {
      r->mark = 3; /* asked */
      found++;
    }
  }
  if (!found)
    fprintf(stderr, "runner: %s takes arguments and no command runs it: "
            "name them, %s?KEY=VALUE&...\n", c->address, c->address);
  return found ? 0 : 1;
}

/* A factory command asked as name: every runnable it makes (-m and -s
 * apply), or the one named (ADDRESS and a suffix: #MODULE, ...).  0, or 1
 * after a message. */
static int plan_made(planner *pn, command *c, const char *name,
                     const run_options *o)
{
  const char *rest = name + strcspn(name, "@#?");
  if (!*rest)
    return plan_command(pn, c, NULL, NULL, o, true) > 0 ? 0 : 1;
  runnable **v;
  size_t n;
  if (factory_runnables(pn, c, &v, &n) != 0)
    return 1;
  char *want = xconcat(c->address, rest, NULL);
  size_t got = 0;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(v[i]->name, want) || (pn->p->nspaces > 1 &&
                                      !strncmp(v[i]->name, want,
                                               strlen(c->address)) &&
                                      !strcmp(v[i]->name +
                                                  strcspn(v[i]->name, "#?"),
                                              rest))) {
      v[i]->mark = 3;
      got++;
    }
  if (!got) {
    fprintf(stderr, "runner: %s: its factory made no such runnable; it "
            "made:", want);
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, " %s", v[i]->name);
    fprintf(stderr, "\n");
  }
  free(want);
  return got ? 0 : 1;
}

/* NAME[@SPACE][#MODULE][?ARGS] asked on the command line: planned. */
static int plan_name(planner *pn, const char *name, const run_options *o)
{
  project *p = pn->p;
  const char *q = strchr(name, '?');
  size_t len = q ? (size_t)(q - name) : strlen(name);
  char *addr = xasprintf("%.*s", (int)len, name);
  char *hash = strchr(addr, '#'), *at;
  if (hash)
    *hash++ = 0;
  if ((at = strchr(addr, '@')))
    *at++ = 0;
  command *c = project_find(p, addr);
  module *m = hash ? strmap_get(&p->by_module, hash) : NULL;
  int rc = 1;
  long got = 0;
  if (c && c->factory) {
    rc = plan_made(pn, c, name, o);
  } else if (!c) {
    const char *near = project_closest(p, addr);
    fprintf(stderr, "runner: command \"%s\" is not configured%s%s%s; see "
            "runner --ls\n", addr, DID_YOU_MEAN(near));
  } else if (hash && c->per_module && !m) {
    const char **names = xcalloc(p->nmodules + 1, sizeof *names);
    for (size_t i = 0; i < p->nmodules; i++)
      names[i] = p->modules[i]->name;
    const char *near = pk_closest(hash, names, p->nmodules);
    fprintf(stderr, "runner: %s: no such module%s%s%s: see runner --ls\n", name,
            DID_YOU_MEAN(near));
    free(names);
  } else if (hash && (!c->per_module || (c->space && m->space != c->space))) {
    fprintf(stderr, "runner: %s: %s\n", name,
            !c->per_module
                ? "the command does not run per module (it names no "
                  "{module.*}): name it without #MODULE"
                : "the module is not in the command's space: see runner --ls");
  } else if (at && !space_find(p, at)) {
    fprintf(stderr, "runner: %s: no space \"%s\": see runner --ls\n", name,
            at);
  } else if (!q && needs_args(c)) {
    rc = plan_bare(pn, c, o);
  } else if ((got = plan_command(pn, c, q ? q + 1 : NULL, m, o, true)) >= 0) {
    if (at)
      for (size_t i = 0; i < pn->pl->n; i++)
        if (pn->pl->order[i]->mark == 3 && pn->pl->order[i]->cmd == c &&
            strcmp(pn->pl->order[i]->space->name, at))
          pn->pl->order[i]->mark = 2; /* another space's */
    if (!got)
      fprintf(stderr, "runner: %s: %s\n", name,
              o->modules || o->spaces
                  ? "-m/-s leave none of its runnables"
                  : "it runs per module ({module.*}) and its space has no "
                    "module: add modules = [...] to [spaces.NAME]");
    rc = got ? 0 : 1;
  }
  free(addr);
  return rc;
}

/* --since: among the graph, the runnables whose since patterns match a
 * file changed since o->since, then their strict downstreams: 0, or 1
 * after a message. */
static int plan_since(plan *pl, const run_options *o)
{
  strlist files = {0};
  if (select_git_changes(o->since, &files) != 0)
    return 1;
  size_t sel = select_changed(pl, &files, false);
  size_t n = select_order(pl, o->isolated);
  fprintf(stderr, "runner: --since %s: %zu file%s changed; %zu runnable%s "
          "selected, %zu to run with %s upstreams\n", o->since, files.n,
          files.n == 1 ? "" : "s", sel, sel == 1 ? "" : "s", n,
          sel == 1 ? "its" : "their");
  strlist_free(&files);
  return 0;
}

static int plan_all(planner *pn, char **names, size_t n,
                    const run_options *o);

int plan_build(plan *pl, project *p, char **names, size_t n,
               const run_options *o)
{
  planner pn = {.pl = pl, .p = p};
  memset(pl, 0, sizeof *pl);
  int rc = plan_all(&pn, names, n, o);
  for (size_t i = 0; i < pn.made.cap; i++)
    if (pn.made.keys[i]) {
      made *m = pn.made.vals[i];
      free(m->v);
      free(m);
    }
  strmap_free(&pn.made);
  return rc;
}

/* plan_build's work. */
static int plan_all(planner *pn, char **names, size_t n,
                    const run_options *o)
{
  plan *pl = pn->pl;
  project *p = pn->p;
  /* -m and -s each: either may be unset */
  for (int spaces = 0; spaces < 2; spaces++)
    for (const char *c = spaces ? o->spaces : o->modules; c;
         c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL) {
      size_t len = strcspn(c, ",");
      char *one = xasprintf("%.*s", (int)len, c);
      bool ok = spaces ? space_find(p, one) != NULL
                       : strmap_get(&p->by_module, one) != NULL;
      if (!ok)
        fprintf(stderr,
                "runner: %s \"%s\" is not configured: see runner "
                "--ls\n",
                spaces ? "space" : "module", one);
      free(one);
      if (!ok)
        return 1;
    }
  if (n == 0) {
    size_t got = 0;
    for (size_t i = 0; i < p->ncmds; i++) {
      long k = p->cmds[i]->hidden
                   ? 0
                   : plan_command(pn, p->cmds[i], NULL, NULL, o, true);
      if (k < 0)
        return 1;
      got += (size_t)k;
    }
    if (!got && (o->modules || o->spaces)) {
      fprintf(stderr, "runner: -m/-s select no runnable: see runner --ls\n");
      return 1;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (plan_name(pn, names[i], o) != 0)
      return 1;
  /* the graph; what was asked is selected (or, with --since, what
   * changed) */
  pl->graph = pl->order;
  pl->ngraph = pl->n;
  pl->order = NULL;
  pl->n = pl->cap = 0;
  for (size_t i = 0; i < pl->ngraph; i++)
    pl->graph[i]->selected = pl->graph[i]->mark == 3;
  if (o->since)
    return plan_since(pl, o);
  select_order(pl, o->isolated);
  return 0;
}

void plan_free(plan *pl)
{
  for (size_t i = 0; i < pl->ninsts; i++)
    pk_instance_free(pl->insts[i]);
  free(pl->insts);
  for (size_t i = 0; i < pl->ndocs; i++)
    pk_doc_free(pl->docs[i]);
  free(pl->docs);
  for (size_t i = 0; i < pl->nall; i++) {
    runnable *r = pl->all[i];
    free(r->name);
    free(r->slug);
    free(r->exec);
    free(r->cache);
    free(r->error);
    strlist_free(&r->args);
    strlist_free(&r->globs);
    strlist_free(&r->artifacts);
    strlist_free(&r->constants);
    strlist_free(&r->since);
    strlist_free(&r->watch);
    free(r->ups);
    free(r->strict);
    free(r->isolated);
    free(r->downs);
    transcript_free(&r->log);
    free(r);
  }
  free(pl->all);
  free(pl->order);
  free(pl->graph);
  strmap_free(&pl->by_name);
  memset(pl, 0, sizeof *pl);
}
