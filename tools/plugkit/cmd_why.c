/* cmd_why.c -- `plugkit why NS:NAME [PAIR...]`: one paragraph on why a
 * plugin is in its state: where it is installed, what shadows it, why it is
 * broken, and (given the pairs a host requests) who made it load, or why it
 * did not.
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- a growing text ---- */

typedef struct text {
  char *s;
  size_t len, cap;
  bool failed;
} text;

static void add(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(text *t, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || t->failed)
    return;
  if (t->len + (size_t)n + 1 > t->cap) {
    size_t cap = (t->len + (size_t)n + 1) * 2;
    char *s = realloc(t->s, cap);
    if (!s) {
      t->failed = true;
      return;
    }
    t->s = s;
    t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}

/* ---- the facts, for --json ---- */

/* A list of plugin ids (borrowed from the host). */
typedef struct ids {
  const char **v;
  size_t n, cap;
  bool set; /* computed (else null in JSON) */
} ids;

typedef struct facts {
  ids chain;      /* from a plugin the host requested down to this one */
  ids also;       /* the other plugins that required it directly */
  ids dependents; /* installed plugins whose manifest requires it */
  bool nomem;
} facts;

static void push(facts *f, ids *l, const char *id)
{
  l->set = true;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    const char **v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      f->nomem = true;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = id;
}

static void json_ids(cli_json_writer *w, const char *key, const ids *l)
{
  cli_json_key(w, key);
  if (!l->set) {
    cli_json_null(w);
    return;
  }
  cli_json_begin_array(w);
  for (size_t i = 0; i < l->n; i++)
    cli_json_string(w, l->v[i]);
  cli_json_end_array(w);
}

/* ---- the requirement chain ---- */

static bool known(const pk_plugin *p)
{
  switch (pk_plugin_get_state(p)) {
  case PK_STATE_REQUESTED:
  case PK_STATE_LOADED:
  case PK_STATE_REGISTERED:
  case PK_STATE_READY:
  case PK_STATE_FAILED:
  case PK_STATE_UNLOADED:
    return true;
  default:
    return false;
  }
}

/* The pair of the host's that requests p itself (naming it), else the
 * "NS:__all__" pair that pulls it in with its namespace (*all set), else
 * NULL. */
static const char *host_request(const pk_plugin *p, const cli_args *a,
                                bool *all)
{
  const char *by_all = NULL;
  for (size_t i = 1; i < a->npos; i++) {
    char id[300];
    cli_requirement_target(NULL, a->pos[i], id, sizeof id);
    const char *colon = strchr(id, ':');
    if (!strcmp(id, pk_plugin_get_id(p))) {
      *all = false;
      return a->pos[i];
    }
    if (!by_all && colon && !strcmp(colon + 1, "__all__") &&
        strlen(pk_plugin_get_namespace(p)) == (size_t)(colon - id) &&
        !strncmp(id, pk_plugin_get_namespace(p), (size_t)(colon - id)))
      by_all = a->pos[i];
  }
  *all = by_all != NULL;
  return by_all;
}

/* How `from` requires dep, after "FROM ": "requires DEP", or "requires
 * NS:__all__ (so DEP)" when none of its requirements names dep but one
 * is its namespace's __all__. */
static void say_requires(text *t, const pk_plugin *from, const pk_plugin *dep)
{
  const char *all = NULL;
  char id[300];
  for (size_t r = 0; r < pk_plugin_requirement_count(from); r++) {
    cli_requirement_target(pk_plugin_get_namespace(from),
                           pk_plugin_requirement_at(from, r), id, sizeof id);
    if (!strcmp(id, pk_plugin_get_id(dep))) {
      add(t, "requires %s", pk_plugin_get_id(dep));
      return;
    }
    const char *colon = strchr(id, ':');
    if (!all && colon && !strcmp(colon + 1, "__all__") &&
        strlen(pk_plugin_get_namespace(dep)) == (size_t)(colon - id) &&
        !strncmp(id, pk_plugin_get_namespace(dep), (size_t)(colon - id)))
      all = pk_plugin_requirement_at(from, r);
  }
  if (all)
    add(t, "requires %s, which pulls in %s", all, pk_plugin_get_id(dep));
  else
    add(t, "requires %s", pk_plugin_get_id(dep));
}

typedef struct edge {
  size_t dep, from; /* plugin indexes: `from` requires `dep` */
} edge;

static int cmp_ptr(const void *x, const void *y)
{
  const pk_plugin *a = *(pk_plugin *const *)x, *b = *(pk_plugin *const *)y;
  return (a > b) - (a < b);
}

static int cmp_edge(const void *x, const void *y)
{
  const edge *a = x, *b = y;
  if (a->dep != b->dep)
    return (a->dep > b->dep) - (a->dep < b->dep);
  return (a->from > b->from) - (a->from < b->from);
}

/* Index of p in the sorted pointer array. */
static size_t index_of(pk_plugin **sorted, size_t n, const pk_plugin *p)
{
  pk_plugin **f = bsearch(&p, sorted, n, sizeof *sorted, cmp_ptr);
  return f ? (size_t)(f - sorted) : n;
}

/* The plugin of the chain from root that requires start (root != start). */
static size_t last_of(size_t root, size_t start, const size_t *prev)
{
  size_t x = root;
  while (prev[x] != start)
    x = prev[x];
  return x;
}

/* Explains who required target: the shortest chain from a plugin the host
 * requested down to it (breadth first over "is required by"), and its
 * other direct dependents.  Returns false when no chain exists. */
static bool explain_chain(pk_host *host, const pk_plugin *target,
                          const cli_args *a, text *t, facts *f)
{
  size_t n = 0, total = pk_host_plugin_count(host), ne = 0, ecap = 0;
  pk_plugin **nodes = calloc(total ? total : 1, sizeof *nodes);
  size_t *prev = NULL, *queue = NULL, *first = NULL;
  edge *edges = NULL;
  bool ok = false;
  if (!nodes)
    goto out;
  for (size_t i = 0; i < total; i++)
    if (known(pk_host_plugin_at(host, i)))
      nodes[n++] = pk_host_plugin_at(host, i);
  qsort(nodes, n, sizeof *nodes, cmp_ptr);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < pk_plugin_dependency_count(nodes[i]); k++) {
      if (ne == ecap) {
        ecap = ecap ? ecap * 2 : 64;
        edge *e = realloc(edges, ecap * sizeof *e);
        if (!e)
          goto out;
        edges = e;
      }
      edges[ne].dep = index_of(nodes, n, pk_plugin_dependency_at(nodes[i], k));
      edges[ne++].from = i;
    }
  if (ne)
    qsort(edges, ne, sizeof *edges, cmp_edge);
  prev = malloc((n + 1) * sizeof *prev);
  queue = malloc((n + 1) * sizeof *queue);
  first = malloc((n + 2) * sizeof *first); /* first edge of each dep */
  if (!prev || !queue || !first)
    goto out;
  for (size_t i = 0, e = 0; i <= n; i++) {
    while (e < ne && edges[e].dep < i)
      e++;
    first[i] = e;
  }
  first[n + 1] = ne;
  for (size_t i = 0; i <= n; i++)
    prev[i] = (size_t)-1;
  size_t start = index_of(nodes, n, target), head = 0, tail = 0;
  if (start == n)
    goto out;
  prev[start] = start;
  queue[tail++] = start;
  size_t root = n;
  bool all = false;
  const char *pair = NULL;
  while (head < tail && root == n) {
    size_t x = queue[head++];
    if ((pair = host_request(nodes[x], a, &all))) {
      root = x;
      break;
    }
    for (size_t e = first[x]; e < ne && edges[e].dep == x; e++)
      if (prev[edges[e].from] == (size_t)-1) {
        prev[edges[e].from] = x;
        queue[tail++] = edges[e].from;
      }
  }
  if (root == n)
    goto out;
  ok = true;
  push(f, &f->chain, pk_plugin_get_id(nodes[root]));
  for (size_t x = root; x != start; x = prev[x])
    push(f, &f->chain, pk_plugin_get_id(nodes[prev[x]]));
  f->also.set = true;
  if (root == start && all)
    add(t,
        "the host requested %s, which pulls in every plugin of namespace "
        "%s",
        pair, pk_plugin_get_namespace(nodes[root]));
  else if (root == start && strcmp(pair, pk_plugin_get_id(nodes[root])))
    add(t, "the host requested it directly, as %s", pair);
  else if (root == start)
    add(t, "the host requested it directly");
  else {
    add(t, "it is a dependency of %s: the host requested ",
        pk_plugin_get_id(nodes[last_of(root, start, prev)]));
    if (all)
      add(t, "%s, which pulls in %s", pair, pk_plugin_get_id(nodes[root]));
    else
      add(t, "%s", pk_plugin_get_id(nodes[root]));
    for (size_t x = root; x != start; x = prev[x]) {
      add(t, "%s %s ", prev[x] == start ? ", and" : ",",
          pk_plugin_get_id(nodes[x]));
      say_requires(t, nodes[x], nodes[prev[x]]);
    }
  }
  /* the other plugins that require it directly */
  size_t last = root == start ? n : last_of(root, start, prev), others = 0;
  for (size_t e = first[start]; e < ne && edges[e].dep == start; e++) {
    size_t from = edges[e].from;
    if (from == last || (e > first[start] && edges[e - 1].from == from))
      continue;
    add(t, "%s%s", others++ ? ", " : "; it is also required by ",
        pk_plugin_get_id(nodes[from]));
    push(f, &f->also, pk_plugin_get_id(nodes[from]));
  }
out:
  free(nodes);
  free(edges);
  free(prev);
  free(queue);
  free(first);
  return ok;
}

/* Installed plugins whose manifest names target (they would pull it in). */
static void manifest_dependents(pk_host *host, const pk_plugin *target, text *t,
                                facts *f)
{
  size_t count = 0;
  f->dependents.set = true;
  for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
    pk_plugin *p = pk_host_plugin_at(host, i);
    pk_plugin_state st = pk_plugin_get_state(p);
    if (p == target || st == PK_STATE_SHADOWED || st == PK_STATE_BROKEN)
      continue;
    for (size_t r = 0; r < pk_plugin_requirement_count(p); r++) {
      char id[300];
      cli_requirement_target(pk_plugin_get_namespace(p),
                             pk_plugin_requirement_at(p, r), id, sizeof id);
      const char *colon = strchr(id, ':');
      bool all =
          colon && !strcmp(colon + 1, "__all__") &&
          !strncmp(id, pk_plugin_get_namespace(target), (size_t)(colon - id)) &&
          pk_plugin_get_namespace(target)[colon - id] == '\0';
      if (all || !strcmp(id, pk_plugin_get_id(target))) {
        push(f, &f->dependents, pk_plugin_get_id(p));
        add(t, "%s%s%s%s",
            count++ ? ", " : " Installed plugins that require it: ",
            pk_plugin_get_id(p), all ? " (through " : "", all ? id : "");
        if (all)
          add(t, ")");
        break;
      }
    }
  }
  add(t, count ? "." : " No installed plugin requires it.");
}

/* ---- the paragraph ---- */

static void explain_install(pk_host *host, const pk_plugin *p, text *t)
{
  const char *lib = pk_plugin_get_library_path(p);
  add(t, "%s %s is installed at %s", pk_plugin_get_id(p),
      pk_plugin_get_version(p), pk_plugin_get_manifest_path(p));
  if (*lib)
    add(t, " (library %s).", lib);
  else
    add(t, " (a data-only plugin, no library).");
  for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
    pk_plugin *o = pk_host_plugin_at(host, i);
    if (o != p && pk_plugin_get_state(o) == PK_STATE_SHADOWED &&
        !strcmp(pk_plugin_get_id(o), pk_plugin_get_id(p)))
      add(t,
          " It shadows another copy at %s, found later in the search "
          "path, which is ignored.",
          pk_plugin_get_manifest_path(o));
  }
}

/* After "It was required": " because CHAIN", or " (REASON)" when no
 * chain from a requested plugin is found. */
static void required_because(pk_host *host, const pk_plugin *p,
                             const cli_args *a, text *t, facts *f)
{
  text chain = {NULL, 0, 0, false};
  if (explain_chain(host, p, a, &chain, f) && chain.s)
    add(t, " because %s", chain.s);
  else
    add(t, " (%s)", pk_plugin_get_reason(p));
  t->failed |= chain.failed;
  free(chain.s);
}

/* After "It was required because ...": a requested plugin that
 * registration left unloaded although it went well is lazy. */
static void explain_lazy(const pk_plugin *p, text *t)
{
  const pk_value *m = pk_plugin_get_manifest(p);
  const pk_value *lazy = m ? pk_table_get(m, "lazy") : NULL;
  pk_pos at = pk_value_get_pos(lazy);
  add(t, ", and it is lazy (lazy = true");
  if (lazy && at.source)
    add(t, " at %s:%d:%d", at.source, at.line, at.col);
  add(t, "): it is loaded on the first use of one of its types or hooks, "
         "which registration alone does not make, so its code has not run.");
}

static void explain(pk_host *host, const pk_plugin *p, const cli_args *a,
                    pk_status st, const pk_error *err, text *t, facts *f)
{
  char buf[2048], pairs[1024] = "";
  for (size_t i = 1, used = 0; i < a->npos && used < sizeof pairs; i++)
    used += (size_t)snprintf(pairs + used, sizeof pairs - used, "%s%s",
                             i > 1 ? " " : "", a->pos[i]);
  if (pk_plugin_get_state(p) == PK_STATE_BROKEN) {
    pk_error_format(pk_plugin_get_error(p), buf, sizeof buf);
    add(t,
        "%s: the manifest %s is broken: %s. Fix it: until then this "
        "plugin cannot be required or loaded, and it is listed under its "
        "directory name, %s.",
        pk_plugin_get_id(p), pk_plugin_get_manifest_path(p), buf,
        pk_plugin_get_id(p));
    return;
  }
  explain_install(host, p, t);
  if (a->npos < 2) {
    add(t, " Nothing was requested, so nothing loaded it.");
    manifest_dependents(host, p, t, f);
    add(t,
        " Pass the pairs your host requests (plugkit why %s PAIR...) to "
        "see whether they load it.",
        pk_plugin_get_id(p));
    return;
  }
  char failure[2048] = "";
  if (st != PK_OK)
    pk_error_format(err, failure, sizeof failure);
  switch (pk_plugin_get_state(p)) {
  case PK_STATE_DISCOVERED:
    if (st != PK_OK && strstr(failure, pk_plugin_get_id(p))) {
      add(t, " It was not loaded: registration of %s failed on it: %s.", pairs,
          failure);
      return;
    }
    if (st == PK_OK)
      add(t,
          " It was not loaded: none of the requested plugins (%s) "
          "requires it, directly or indirectly.",
          pairs);
    else
      add(t,
          " It was not loaded: registration of %s failed before anything "
          "required it: %s.",
          pairs, failure);
    manifest_dependents(host, p, t, f);
    return;
  case PK_STATE_FAILED:
    add(t, " It was required");
    required_because(host, p, a, t, f);
    pk_error_format(pk_plugin_get_error(p), buf, sizeof buf);
    add(t, ", but it failed: %s.", buf);
    return;
  case PK_STATE_REQUESTED:
    add(t, " It was required");
    required_because(host, p, a, t, f);
    if (st == PK_OK)
      explain_lazy(p, t);
    else
      add(t, ", but registration stopped before it was loaded: %s.", failure);
    return;
  default:
    break;
  }
  add(t, " It was loaded for %s because ", pairs);
  if (!explain_chain(host, p, a, t, f))
    add(t, "it was %s", pk_plugin_get_reason(p));
  switch (pk_plugin_get_state(p)) {
  case PK_STATE_READY:
    add(t, ". Its register and post_register hooks ran: it is ready.");
    break;
  case PK_STATE_REGISTERED:
    add(t,
        ". Its register hook ran, but registration stopped before its "
        "post_register hook: %s.",
        failure);
    break;
  default:
    add(t, ", but registration stopped before its hooks ran: %s.", failure);
    break;
  }
}

/* The facts and the paragraph as one JSON object (docs/cli.md), err the
 * registration's failure or NULL.  Without p (nor host, t and f), a plugin
 * that is not installed or a child that a plugin killed: ok false, the id
 * asked for, err the failure and null or [] for what it could not tell. */
static void print_json(pk_host *host, const pk_plugin *p, const cli_args *a,
                       const pk_error *err, const text *t, const facts *f)
{
  static const facts unknown;
  if (!p)
    f = &unknown;
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "ok");
  cli_json_bool(&w, p != NULL);
  cli_json_key(&w, "id");
  cli_json_string(&w, p ? pk_plugin_get_id(p) : a->pos[0]);
  cli_json_key(&w, "state");
  cli_json_string(&w, p ? pk_plugin_state_name(pk_plugin_get_state(p)) : NULL);
  cli_json_key(&w, "version");
  cli_json_string(&w, p && *pk_plugin_get_version(p) ? pk_plugin_get_version(p)
                                                     : NULL);
  cli_json_key(&w, "manifest");
  cli_json_string(&w, p ? pk_plugin_get_manifest_path(p) : NULL);
  cli_json_key(&w, "library");
  const char *lib = p ? pk_plugin_get_library_path(p) : NULL;
  cli_json_string(&w, lib && *lib ? lib : NULL);
  cli_json_key(&w, "shadows");
  cli_json_shadowed(&w, host, p);
  cli_json_key(&w, "requested");
  cli_json_begin_array(&w);
  for (size_t i = 1; i < a->npos; i++)
    cli_json_string(&w, a->pos[i]);
  cli_json_end_array(&w);
  json_ids(&w, "chain", &f->chain);
  json_ids(&w, "also_required_by", &f->also);
  json_ids(&w, "installed_dependents", &f->dependents);
  cli_json_key(&w, "plugin_error");
  cli_json_error(&w, p ? pk_plugin_get_error(p) : NULL);
  cli_json_key(&w, "error");
  cli_json_error(&w, err);
  cli_json_key(&w, "explanation");
  cli_json_string(&w, t ? t->s : NULL);
  cli_json_end_object(&w);
  cli_json_finish(&w);
}

/* The command after its arguments, in the child of cli_isolate(). */
static int why_body(void *ud)
{
  const cli_args *a = ud;
  pk_host *host = cli_host_new(a, true);
  if (!host)
    return 1;
  int rc;
  pk_plugin *p = cli_find_plugin(host, a->pos[0]);
  if (!p) {
    pk_error err;
    rc = cli_no_plugin(host, a->pos[0], &err);
    if (a->json)
      print_json(NULL, NULL, a, &err, NULL, NULL);
  } else {
    pk_error err;
    pk_error_clear(&err);
    pk_status st = PK_OK;
    if (a->npos > 1)
      st =
          cli_run(host, a->pos + 1, a->npos - 1, CLI_POST_REGISTER, NULL, &err);
    text t = {NULL, 0, 0, false};
    facts f;
    memset(&f, 0, sizeof f);
    explain(host, p, a, st, &err, &t, &f);
    if (t.failed || f.nomem || !t.s) {
      fputs("plugkit: out of memory\n", stderr);
      rc = 1;
    } else {
      if (a->json)
        print_json(host, p, a, st == PK_OK ? NULL : &err, &t, &f);
      else
        cli_print_wrapped(stdout, t.s, 0, 0);
      rc = 0;
    }
    free(t.s);
    free(f.chain.v);
    free(f.also.v);
    free(f.dependents.v);
  }
  fflush(stdout); /* before the unload hooks */
  pk_host_free(host);
  return rc;
}

/* With --json, a failure that left nothing to explain (no host, a child
 * killed by a plugin): the shape with ok false and err as its error. */
static void json_failure(const cli_args *a, const pk_error *err)
{
  if (a->json)
    print_json(NULL, NULL, a, err, NULL, NULL);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  return cli_run_command(cmd, argc, argv, 1, "which plugin? name it as NS:NAME",
                         why_body);
}

const cli_command cli_why = {
    "why",
    run,
    "NS:NAME [PAIR...]",
    "why a plugin loads, or does not",
    "Explains in one paragraph why plugin NS:NAME is in its state: where "
    "it is installed and what it shadows; why its manifest is broken; and, "
    "given the PAIRs a host requests, the chain of requirements that made "
    "it load (from a requested plugin down to it) and who else requires "
    "it, or why it did not load (nothing requires it, or registration "
    "failed, with the error).  With PAIRs, the plugins are registered: "
    "their hooks run, in a child process: a plugin that crashes, exits or "
    "hangs is named with the step it was in (exit 1).",
    {{"--json", NULL, NULL,
      "print one JSON object: {ok, id, state, version, "
      "manifest, library, shadows, requested, chain, also_required_by, "
      "installed_dependents, plugin_error, error, explanation} "
      "(docs/cli.md); for a plugin that is not installed or one that kills "
      "the child too, with ok false and the failure as error",
      false, NULL},
     CLI_TIMEOUT_OPTION,
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    json_failure};
