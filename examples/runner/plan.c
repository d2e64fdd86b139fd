/* plan.c -- from command names to runnables in the order they run: each
 * command's deps are built (a glob string, or a typed dep through plugkit:
 * glob, command, or a plugin's type such as cinclude), the commands they
 * name become upstream runnables, an environment's setup step is injected
 * as a strict upstream, upstream artifacts join the dependent's hash.  A
 * cycle is reported with its path.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

typedef struct planner {
  plan *pl;
  project *p;
  runnable *stack[256];  /* commands being expanded, for cycle messages */
  size_t depth;
} planner;

static runnable *find(plan *pl, const char *name)
{
  for (size_t i = 0; i < pl->nall; i++)
    if (!strcmp(pl->all[i]->name, name))
      return pl->all[i];
  return NULL;
}

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
  return r;
}

static void add_up(runnable *r, runnable *up, bool strict)
{
  for (size_t i = 0; i < r->nups; i++)
    if (r->ups[i] == up) {
      r->strict[i] = r->strict[i] || strict;
      return;
    }
  r->ups = xrealloc(r->ups, (r->nups + 1) * sizeof *r->ups);
  r->strict = xrealloc(r->strict, (r->nups + 1) * sizeof *r->strict);
  r->ups[r->nups] = up;
  r->strict[r->nups++] = strict;
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

static int expand(planner *pn, runnable *r);

/* s with each {args.KEY} replaced by the runnable's argument KEY (other
 * braces are left alone); NULL after a message when KEY is not given. */
static char *with_args(const runnable *r, const char *s)
{
  size_t cap = strlen(s) + 1, n = 0;
  char *out = xmalloc(cap);
  while (*s) {
    const char *end;
    if (strncmp(s, "{args.", 6) || !(end = strchr(s + 6, '}'))) {
      out[n++] = *s++;
      continue;
    }
    size_t klen = (size_t)(end - s - 6);
    const char *val = NULL;
    for (size_t i = 0; i < r->args.n && !val; i++)
      if (!strncmp(r->args.v[i], s + 6, klen) && r->args.v[i][klen] == '=')
        val = r->args.v[i] + klen + 1;
    if (!val) {
      fprintf(stderr, "runner: %s: {args.%.*s}: the runnable has no "
              "argument %.*s\n", r->name, (int)klen, s + 6, (int)klen,
              s + 6);
      free(out);
      return NULL;
    }
    cap += strlen(val);
    out = xrealloc(out, cap);
    memcpy(out + n, val, strlen(val));
    n += strlen(val);
    s = end + 1;
  }
  out[n] = 0;
  return out;
}

/* Adds each string of array (globs or artifacts of a command) to l, with
 * its arguments in place; -1 after a message. */
static int add_patterns(const runnable *r, const pk_value *array, strlist *l)
{
  for (size_t i = 0; i < pk_array_count(array); i++) {
    const char *s;
    if (pk_value_get_string(pk_array_at(array, i), &s, NULL, NULL) != PK_OK)
      continue;
    char *x = with_args(r, s);
    if (!x)
      return -1;
    strlist_take(l, x);
  }
  return 0;
}

/* The runnable of command c with args, planned (and its upstreams). */
static runnable *command_runnable(planner *pn, command *c, const char *args,
                                  const char *from)
{
  strlist parsed = {0};
  if (parse_args(args, &parsed) != 0) {
    fprintf(stderr, "runner: %s: bad arguments \"%s\" for %s: use "
            "key=value&key2=value2\n", from, args, c->address);
    strlist_free(&parsed);
    return NULL;
  }
  size_t len = strlen(c->address) + 2;
  for (size_t i = 0; i < parsed.n; i++)
    len += strlen(parsed.v[i]) + 1;
  char *name = xmalloc(len);
  strcpy(name, c->address);
  for (size_t i = 0; i < parsed.n; i++) {
    strcat(name, i ? "&" : "?");
    strcat(name, parsed.v[i]);
  }
  runnable *r = find(pn->pl, name);
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
  r->exec = xstrdup(c->exec);
  r->args = parsed;
  if (add_patterns(r, c->artifacts, &r->artifacts) != 0)
    return NULL;
  return expand(pn, r) == 0 ? r : NULL;
}

static int add_dep_output(planner *pn, runnable *r, const runner_dep *d,
                          const char *label)
{
  for (size_t g = 0; d->globs && d->globs[g]; g++)
    strlist_add(&r->globs, d->globs[g]);
  if (d->constant)
    strlist_add(&r->constants, d->constant);
  for (size_t k = 0; k < d->ncommands; k++) {
    const runner_cmd_ref *ref = &d->commands[k];
    command *c = project_find(pn->p, ref->command);
    if (!c) {
      const char *near = project_closest(pn->p, ref->command);
      fprintf(stderr, "runner: %s: command \"%s\" is not configured%s%s%s\n",
              label, ref->command, near ? " (did you mean \"" : "",
              near ? near : "", near ? "\"?)" : "");
      return -1;
    }
    runnable *up = command_runnable(pn, c, ref->args, label);
    if (!up)
      return -1;
    add_up(r, up, ref->strict != 0);
  }
  return 0;
}

static int add_env(planner *pn, runnable *r)
{
  pk_error err;
  void *inst;
  if (pk_host_get_instance(pn->p->host, "env", r->cmd->env, &inst, &err) !=
      PK_OK) {
    runner_error(r->name, &err);
    return -1;
  }
  runner_env *e = inst;
  r->env = e;
  for (size_t g = 0; e->globs && e->globs[g]; g++)
    strlist_add(&r->globs, e->globs[g]);
  if (e->constant)
    strlist_add(&r->constants, e->constant);
  if (!e->setup_name || !e->setup_exec)
    return 0;
  runnable *s = find(pn->pl, e->setup_name);
  if (!s) {
    s = runnable_new(pn->pl, xstrdup(e->setup_name));
    s->exec = xstrdup(e->setup_exec);
    push_order(pn->pl, s);
  }
  add_up(r, s, true);
  return 0;
}

/* Builds r's upstreams (deps, env), then puts r in the order. */
static int expand(planner *pn, runnable *r)
{
  command *c = r->cmd;
  if (pn->depth == sizeof pn->stack / sizeof *pn->stack) {
    fprintf(stderr, "runner: %s: commands nested too deep\n", r->name);
    return -1;
  }
  pn->stack[pn->depth++] = r;
  r->mark = 1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < pk_array_count(c->deps); i++) {
    const pk_value *d = pk_array_at(c->deps, i);
    const char *glob;
    if (pk_value_get_string(d, &glob, NULL, NULL) == PK_OK) {
      char *x = with_args(r, glob);
      if (!x) {
        rc = -1;
        break;
      }
      strlist_take(&r->globs, x);
      continue;
    }
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
    plan *pl = pn->pl;
    if (pl->ninsts == pl->icap) {
      pl->icap = pl->icap ? 2 * pl->icap : 8;
      pl->insts = xrealloc(pl->insts, pl->icap * sizeof *pl->insts);
    }
    pl->insts[pl->ninsts++] = inst;
    rc = add_dep_output(pn, r, pk_instance_get(inst), label);
  }
  if (rc == 0 && c->env)
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

/* Does c take arguments ({args.KEY} in its artifacts or globs)? */
static bool needs_args(const command *c)
{
  const pk_value *lists[] = {c->artifacts, c->deps};
  for (size_t l = 0; l < 2; l++)
    for (size_t i = 0; i < pk_array_count(lists[l]); i++) {
      const char *s;
      if (pk_value_get_string(pk_array_at(lists[l], i), &s, NULL, NULL) ==
              PK_OK &&
          strstr(s, "{args."))
        return true;
    }
  return false;
}

/* Marks r and its upstreams to be kept. */
static void keep(runnable *r)
{
  if (r->state)
    return;
  r->state = 1;
  for (size_t i = 0; i < r->nups; i++)
    keep(r->ups[i]);
}

/* A command that takes arguments, named bare (qik-spec 8 item 22): every
 * runnable of it in the graph of all commands not hidden. */
static int plan_bare(planner *pn, const command *c)
{
  plan *pl = pn->pl;
  for (size_t i = 0; i < pn->p->ncmds; i++)
    if (!pn->p->cmds[i].hidden &&
        !command_runnable(pn, &pn->p->cmds[i], NULL, "runner"))
      return 1;
  size_t len = strlen(c->address), found = 0;
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    if (!strncmp(r->name, c->address, len) && r->name[len] == '?') {
      r->mark = 3; /* selected */
      found++;
    }
  }
  if (!found)
    fprintf(stderr, "runner: %s takes arguments and no command runs it: "
            "name them, %s?KEY=VALUE&...\n", c->address, c->address);
  return found ? 0 : 1;
}

int plan_build(plan *pl, project *p, char **names, size_t n)
{
  planner pn = {.pl = pl, .p = p};
  memset(pl, 0, sizeof *pl);
  if (n == 0) {
    for (size_t i = 0; i < p->ncmds; i++)
      if (!p->cmds[i].hidden &&
          !command_runnable(&pn, &p->cmds[i], NULL, "runner"))
        return 1;
    return 0;
  }
  bool bare = false;
  for (size_t i = 0; i < n; i++) {
    char *q = strchr(names[i], '?');
    char *addr = q ? xasprintf("%.*s", (int)(q - names[i]), names[i])
                   : xstrdup(names[i]);
    command *c = project_find(p, addr);
    if (!c) {
      const char *near = project_closest(p, addr);
      fprintf(stderr, "runner: command \"%s\" is not configured%s%s%s; "
              "see runner --ls\n", addr, near ? " (did you mean \"" : "",
              near ? near : "", near ? "\"?)" : "");
      free(addr);
      return 1;
    }
    free(addr);
    runnable *r = NULL;
    if (!q && needs_args(c)) {
      if (plan_bare(&pn, c) != 0)
        return 1;
      bare = true;
    } else if (!(r = command_runnable(&pn, c, q ? q + 1 : NULL, "runner"))) {
      return 1;
    } else {
      r->mark = 3;
    }
  }
  /* keep what was named and its upstreams, in order */
  for (size_t i = 0; i < pl->n; i++)
    if (pl->order[i]->mark == 3)
      keep(pl->order[i]);
  size_t k = 0;
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    if (r->state || !bare)
      pl->order[k++] = r;
    r->state = 0;
  }
  pl->n = k;
  return 0;
}

void plan_free(plan *pl)
{
  for (size_t i = 0; i < pl->ninsts; i++)
    pk_instance_free(pl->insts[i]);
  free(pl->insts);
  for (size_t i = 0; i < pl->nall; i++) {
    runnable *r = pl->all[i];
    free(r->name);
    free(r->slug);
    free(r->exec);
    strlist_free(&r->args);
    strlist_free(&r->globs);
    strlist_free(&r->artifacts);
    strlist_free(&r->constants);
    free(r->ups);
    free(r->strict);
    free(r->downs);
    transcript_free(&r->log);
    free(r);
  }
  free(pl->all);
  free(pl->order);
  memset(pl, 0, sizeof *pl);
}
