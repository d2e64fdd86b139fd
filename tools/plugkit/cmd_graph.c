/* cmd_graph.c -- `plugkit graph`: the dependency graph of the requested
 * plugins (or of every installed one) as Graphviz dot, JSON, or (through
 * Graphviz's dot program) SVG or PNG.  The register hooks run, so the
 * requirements they add are edges too, marked as such.  A dependency
 * cycle is drawn, its edges highlighted, instead of failing.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* ---- the graph shown ---- */

typedef struct gedge {
  size_t from, to; /* node indexes: from requires to */
  bool hook;       /* added by a register hook (api->require) only */
  bool cycle;      /* on a dependency cycle */
} gedge;

typedef struct graph {
  pk_plugin **nodes;
  int *layer;     /* per node; -1 when not ordered (a cycle) */
  bool *in_cycle; /* per node */
  size_t n;
  gedge *edges;
  size_t ne, cap;
  bool nomem;
} graph;

static size_t node_of(const graph *g, const char *id)
{
  for (size_t i = 0; i < g->n; i++)
    if (!strcmp(pk_plugin_get_id(g->nodes[i]), id))
      return i;
  return g->n;
}

/* Adds from -> to once; an edge both written and added by a hook is a
 * written one. */
static void add_edge(graph *g, size_t from, size_t to, bool hook)
{
  if (to >= g->n)
    return;
  for (size_t i = 0; i < g->ne; i++)
    if (g->edges[i].from == from && g->edges[i].to == to) {
      g->edges[i].hook &= hook;
      return;
    }
  if (g->ne == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 32;
    gedge *e = realloc(g->edges, cap * sizeof *e);
    if (!e) {
      g->nomem = true;
      return;
    }
    g->edges = e;
    g->cap = cap;
  }
  g->edges[g->ne++] = (gedge){from, to, hook, false};
}

/* How many of p's requirements its manifest writes (requires, then
 * optional); the ones after were added by its register hook. */
static size_t written_requirements(const pk_plugin *p)
{
  const pk_value *m = pk_plugin_get_manifest(p);
  return pk_array_count(pk_table_get(m, "requires")) +
         pk_array_count(pk_table_get(m, "optional"));
}

/* The edges of node i: each requirement's target (every plugin of the
 * namespace for NS:__all__) among the nodes, and each resolved dependency
 * (one no requirement names was not written: it counts as a hook's). */
static void add_edges_of(graph *g, size_t i)
{
  const pk_plugin *p = g->nodes[i];
  size_t written = written_requirements(p);
  for (size_t r = 0; r < pk_plugin_requirement_count(p); r++) {
    char target[300];
    cli_requirement_target(pk_plugin_get_namespace(p),
                           pk_plugin_requirement_at(p, r), target,
                           sizeof target);
    const char *colon = strchr(target, ':');
    if (colon && !strcmp(colon + 1, "__all__")) {
      size_t nslen = (size_t)(colon - target);
      for (size_t k = 0; k < g->n; k++) {
        const char *ns = pk_plugin_get_namespace(g->nodes[k]);
        if (k != i && strlen(ns) == nslen && !strncmp(ns, target, nslen))
          add_edge(g, i, k, r >= written);
      }
    } else {
      add_edge(g, i, node_of(g, target), r >= written);
    }
  }
  for (size_t k = 0; k < pk_plugin_dependency_count(p); k++)
    add_edge(g, i, node_of(g, pk_plugin_get_id(pk_plugin_dependency_at(p, k))),
             true);
}

/* ---- cycles: strongly connected components (Tarjan, iterative) ---- */

static void mark_cycles(graph *g)
{
  size_t n = g->n, *index = malloc((n + 1) * sizeof *index);
  size_t *low = malloc((n + 1) * sizeof *low);
  size_t *comp = malloc((n + 1) * sizeof *comp);
  size_t *stack = malloc((n + 1) * sizeof *stack);
  size_t *call = malloc((n + 1) * sizeof *call); /* node */
  size_t *next = malloc((n + 1) * sizeof *next); /* its next edge */
  bool *on = calloc(n + 1, sizeof *on);
  if (!index || !low || !comp || !stack || !call || !next || !on) {
    g->nomem = true;
    goto out;
  }
  const size_t none = (size_t)-1;
  for (size_t i = 0; i < n; i++)
    index[i] = comp[i] = none;
  size_t counter = 0, sp = 0, ncomp = 0;
  for (size_t root = 0; root < n; root++) {
    if (index[root] != none)
      continue;
    size_t depth = 0;
    call[depth] = root;
    next[depth] = 0;
    index[root] = low[root] = counter++;
    stack[sp++] = root;
    on[root] = true;
    while (depth != none) {
      size_t v = call[depth], e = next[depth];
      while (e < g->ne && g->edges[e].from != v)
        e++;
      if (e < g->ne) {
        next[depth] = e + 1;
        size_t w = g->edges[e].to;
        if (index[w] == none) {
          index[w] = low[w] = counter++;
          stack[sp++] = w;
          on[w] = true;
          depth++;
          call[depth] = w;
          next[depth] = 0;
        } else if (on[w] && index[w] < low[v]) {
          low[v] = index[w];
        }
        continue;
      }
      if (low[v] == index[v]) { /* v roots a component */
        size_t w;
        do {
          w = stack[--sp];
          on[w] = false;
          comp[w] = ncomp;
        } while (w != v);
        ncomp++;
      }
      depth = depth ? depth - 1 : none;
      if (depth != none && low[v] < low[call[depth]])
        low[call[depth]] = low[v];
    }
  }
  for (size_t e = 0; e < g->ne; e++) {
    gedge *x = &g->edges[e];
    /* a plugin requiring itself, or two in one component */
    bool in = x->from == x->to || comp[x->from] == comp[x->to];
    x->cycle = in;
    if (in)
      g->in_cycle[x->from] = g->in_cycle[x->to] = true;
  }
out:
  free(index);
  free(low);
  free(comp);
  free(stack);
  free(call);
  free(next);
  free(on);
}

/* The plugins shown: in layer order when the registration succeeded, else
 * (a cycle) every plugin it came to know, in (namespace, name) order. */
static bool graph_build(graph *g, pk_host *host, bool ordered)
{
  memset(g, 0, sizeof *g);
  size_t total = pk_host_plugin_count(host);
  g->nodes = calloc(total + 1, sizeof *g->nodes);
  g->layer = calloc(total + 1, sizeof *g->layer);
  g->in_cycle = calloc(total + 1, sizeof *g->in_cycle);
  if (!g->nodes || !g->layer || !g->in_cycle)
    return false;
  if (ordered) {
    for (size_t l = 0; l < pk_host_layer_count(host); l++)
      for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
        g->layer[g->n] = (int)l;
        g->nodes[g->n++] = pk_host_layer_plugin_at(host, l, i);
      }
  } else {
    for (size_t i = 0; i < total; i++) {
      pk_plugin *p = pk_host_plugin_at(host, i);
      pk_plugin_state st = pk_plugin_get_state(p);
      if (st == PK_STATE_DISCOVERED || st == PK_STATE_SHADOWED ||
          st == PK_STATE_BROKEN)
        continue;
      g->layer[g->n] = -1;
      g->nodes[g->n++] = p;
    }
  }
  for (size_t i = 0; i < g->n; i++)
    add_edges_of(g, i);
  mark_cycles(g);
  return !g->nomem;
}

static void graph_free(graph *g)
{
  free(g->nodes);
  free(g->layer);
  free(g->in_cycle);
  free(g->edges);
}

/* ---- output ---- */

static void dot_id(FILE *out, const char *s)
{
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void print_dot(FILE *out, const graph *g, const pk_error *cycle)
{
  fprintf(out, "digraph plugkit {\n  node [shape=box];\n");
  if (cycle) {
    char msg[2048];
    pk_error_format(cycle, msg, sizeof msg);
    fprintf(out, "  label=");
    dot_id(out, msg);
    fprintf(out, ";\n  labelloc=t;\n");
  }
  for (size_t i = 0, l = 0; i < g->n; l++) {
    if (g->layer[i] < 0) { /* not ordered */
      fprintf(out, "  ");
      dot_id(out, pk_plugin_get_id(g->nodes[i]));
      fprintf(out, "%s;\n",
              g->in_cycle[i] ? " [color=red, fontcolor=red]" : "");
      i++;
      continue;
    }
    fprintf(out, "  { rank=same; /* layer %zu */", l);
    for (; i < g->n && g->layer[i] == (int)l; i++) {
      fputc(' ', out);
      dot_id(out, pk_plugin_get_id(g->nodes[i]));
      fputc(';', out);
    }
    fprintf(out, " }\n");
  }
  for (size_t e = 0; e < g->ne; e++) {
    const gedge *x = &g->edges[e];
    fprintf(out, "  ");
    dot_id(out, pk_plugin_get_id(g->nodes[x->from]));
    fprintf(out, " -> ");
    dot_id(out, pk_plugin_get_id(g->nodes[x->to]));
    if (x->hook || x->cycle)
      fprintf(out, " [%s%s%s]", x->hook ? "style=dashed, label=\"hook\"" : "",
              x->hook && x->cycle ? ", " : "",
              x->cycle ? "color=red, penwidth=2" : "");
    fprintf(out, ";\n");
  }
  fprintf(out, "}\n");
}

/* The graph as JSON (docs/cli.md); err: the failure that left nothing to
 * draw (g empty, ok false), else NULL. */
static void print_json(const graph *g, const pk_error *cycle,
                       const pk_error *err)
{
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "ok");
  cli_json_bool(&w, err == NULL);
  cli_json_key(&w, "nodes");
  cli_json_begin_array(&w);
  for (size_t i = 0; i < g->n; i++) {
    cli_json_begin_object(&w);
    cli_json_key(&w, "id");
    cli_json_string(&w, pk_plugin_get_id(g->nodes[i]));
    cli_json_key(&w, "layer");
    if (g->layer[i] >= 0)
      cli_json_int(&w, g->layer[i]);
    else
      cli_json_null(&w);
    cli_json_key(&w, "cycle");
    cli_json_bool(&w, g->in_cycle[i]);
    cli_json_end_object(&w);
  }
  cli_json_end_array(&w);
  cli_json_key(&w, "edges");
  cli_json_begin_array(&w);
  for (size_t e = 0; e < g->ne; e++) {
    const gedge *x = &g->edges[e];
    cli_json_begin_object(&w);
    cli_json_key(&w, "from");
    cli_json_string(&w, pk_plugin_get_id(g->nodes[x->from]));
    cli_json_key(&w, "to");
    cli_json_string(&w, pk_plugin_get_id(g->nodes[x->to]));
    cli_json_key(&w, "via");
    cli_json_string(&w, x->hook ? "hook" : "manifest");
    cli_json_key(&w, "cycle");
    cli_json_bool(&w, x->cycle);
    cli_json_end_object(&w);
  }
  cli_json_end_array(&w);
  cli_json_key(&w, "cycle");
  cli_json_error(&w, cycle);
  cli_json_key(&w, "error");
  cli_json_error(&w, err);
  cli_json_end_object(&w);
  cli_json_finish(&w);
}

/* The dot text to standard output or to file. */
static int write_dot(const graph *g, const pk_error *cycle, const char *file)
{
  FILE *out = file ? fopen(file, "w") : stdout;
  if (!out) {
    fprintf(stderr, "plugkit: cannot write %s: %s\n", file, strerror(errno));
    return 1;
  }
  print_dot(out, g, cycle);
  if (file && fclose(out) != 0) {
    fprintf(stderr, "plugkit: writing %s: %s\n", file, strerror(errno));
    return 1;
  }
  return 0;
}

/* ---- pictures through Graphviz ---- */

/* Is prog an executable in PATH? */
static bool in_path(const char *prog)
{
  const char *path = getenv("PATH");
  char buf[4096];
  while (path && *path) {
    size_t len = strcspn(path, ":");
    snprintf(buf, sizeof buf, "%.*s/%s", (int)len, len ? path : ".", prog);
    if (access(buf, X_OK) == 0)
      return true;
    path += len + (path[len] == ':');
  }
  return false;
}

/* Pipes the dot text to `dot -TFORMAT` writing to standard output or to
 * file.  Returns the exit status of the command. */
static int render(const graph *g, const pk_error *cycle, const char *format,
                  const char *file)
{
  if (!in_path("dot")) {
    fprintf(stderr,
            "plugkit: --format %s needs Graphviz's dot program, "
            "which is not in PATH: apt-get install graphviz (or use "
            "--format dot and render it elsewhere)\n",
            format);
    return 1;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    fprintf(stderr, "plugkit: pipe: %s\n", strerror(errno));
    return 1;
  }
  char prog[] = "dot", type[16], out[4200];
  snprintf(type, sizeof type, "-T%s", format);
  snprintf(out, sizeof out, "-o%s", file ? file : "/dev/stdout");
  char *argv[] = {prog, type, out, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  pid_t pid;
  fflush(stdout);
  int e = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  if (e != 0) {
    close(fds[1]);
    fprintf(stderr, "plugkit: cannot run dot: %s\n", strerror(e));
    return 1;
  }
  FILE *to = fdopen(fds[1], "w");
  if (to) {
    print_dot(to, g, cycle);
    fclose(to);
  } else {
    close(fds[1]);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "plugkit: dot -T%s failed (status %d)\n", format,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 1;
  }
  return 0;
}

/* ---- every installed plugin ---- */

/* Marks (in excluded[], indexed like pk_host_plugin_at) every plugin whose
 * manifest requires an excluded one, transitively, with a warning each. */
static void exclude_dependents(pk_host *host, bool *excluded)
{
  size_t n = pk_host_plugin_count(host);
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t i = 0; i < n; i++) {
      pk_plugin *p = pk_host_plugin_at(host, i);
      if (excluded[i] || pk_plugin_get_state(p) != PK_STATE_DISCOVERED)
        continue;
      for (size_t r = 0; r < pk_plugin_requirement_count(p); r++) {
        char target[300];
        cli_requirement_target(pk_plugin_get_namespace(p),
                               pk_plugin_requirement_at(p, r), target,
                               sizeof target);
        for (size_t j = 0; j < n; j++)
          if (excluded[j] &&
              !strcmp(pk_plugin_get_id(pk_host_plugin_at(host, j)), target)) {
            fprintf(stderr,
                    "plugkit: warning: leaving out %s: it requires "
                    "%s\n",
                    pk_plugin_get_id(p), target);
            excluded[i] = changed = true;
            break;
          }
        if (excluded[i])
          break;
      }
    }
  }
}

/* The plugins left out because they killed an earlier child (their ids),
 * kept by the parent across the children of cli_isolate(). */
#define MAX_KILLERS 32

typedef struct job {
  const cli_args *a;
  char killers[MAX_KILLERS][128];
  size_t nkillers;
  int err_fd; /* the child's standard error, or -1: the parent's */
} job;

/* The command gives up: says why on standard error and keeps it in *err
 * and *st (status code) for the JSON shape. */
static void give_up(pk_status *st, pk_error *err, pk_status code,
                    const char *why)
{
  fprintf(stderr, "plugkit: %s\n", why);
  pk_error_clear(err);
  err->code = code;
  *st = code;
  snprintf(err->message, sizeof err->message, "%s", why);
}

/* Registers every installed plugin that can be registered (register hooks
 * run, so their requirements count).  A plugin that fails (and every
 * plugin that requires it) is left out with a warning, and the
 * registration starts again on a fresh host; so are the killers of j and
 * what requires them.  A cycle is not left out but returned in *err (st
 * PK_EDEP_CYCLE), to be drawn.  Returns the host, or NULL after printing
 * the error when nothing can be done (in *err then, its status in *st_out,
 * but for a discovery that failed: PK_OK). */
static pk_host *register_all(const job *j, pk_status *st_out, pk_error *cycle)
{
  const cli_args *a = j->a;
  *st_out = PK_OK;
  pk_host *host = cli_host_new(a, true);
  if (!host)
    return NULL;
  size_t n = pk_host_plugin_count(host);
  bool *excluded = calloc(n ? n : 1, sizeof *excluded);
  const char **reqs = calloc(n ? n : 1, sizeof *reqs);
  if (!excluded || !reqs)
    give_up(st_out, cycle, PK_ENOMEM, "out of memory");
  for (size_t i = 0; excluded && i < n; i++)
    for (size_t k = 0; k < j->nkillers; k++)
      if (!strcmp(pk_plugin_get_id(pk_host_plugin_at(host, i)), j->killers[k]))
        excluded[i] = true;
  if (excluded && j->nkillers)
    exclude_dependents(host, excluded);
  for (size_t round = 0; excluded && reqs && round <= n; round++) {
    size_t nreq = 0;
    for (size_t i = 0; i < n; i++) {
      pk_plugin *p = pk_host_plugin_at(host, i);
      if (!excluded[i] && pk_plugin_get_state(p) == PK_STATE_DISCOVERED)
        reqs[nreq++] = pk_plugin_get_id(p);
    }
    pk_error err;
    pk_error_clear(&err);
    pk_status st = cli_run(host, reqs, nreq, CLI_RESOLVE, NULL, &err);
    if (st == PK_OK || st == PK_EDEP_CYCLE) {
      *st_out = st;
      *cycle = err;
      goto done;
    }
    /* Which plugin to leave out: the one the error is about. */
    size_t bad = n;
    for (size_t i = 0; i < n && err.plugin[0]; i++)
      if (!excluded[i] &&
          pk_plugin_get_state(pk_host_plugin_at(host, i)) !=
              PK_STATE_SHADOWED &&
          !strcmp(pk_plugin_get_id(pk_host_plugin_at(host, i)), err.plugin))
        bad = i;
    if (bad == n) {
      cli_print_error(&err);
      *st_out = st;
      *cycle = err;
      break;
    }
    char msg[2048];
    pk_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "plugkit: warning: leaving out %s: %s\n", err.plugin, msg);
    excluded[bad] = true;
    pk_host_free(host);
    /* the same discovery again, on a fresh host (the old one is poisoned) */
    host = cli_host_new(a, false);
    if (!host)
      break;
    if (pk_host_plugin_count(host) != n) {
      give_up(st_out, cycle, PK_EIO,
              "the plugin directories changed while plugkit was reading "
              "them; run it again");
      break;
    }
    exclude_dependents(host, excluded);
  }
  pk_host_free(host);
  host = NULL;
done:
  free(excluded);
  free(reqs);
  return host;
}

/* --format, --json or the default. */
static const char *format_of(const cli_args *a)
{
  const char *format = cli_opt(a, "--format");
  return a->json ? "json" : format ? format : "dot";
}

/* With JSON asked for, the shape of a failure: nothing drawn, err (also
 * the command's json_failure: no host, a child killed). */
static void json_failure(const cli_args *a, const pk_error *err)
{
  static const graph none;
  if (!strcmp(format_of(a), "json"))
    print_json(&none, NULL, err);
}

/* The command after its arguments, in the child of cli_isolate(). */
static int graph_body(void *ud)
{
  const job *j = ud;
  const cli_args *a = j->a;
  if (j->err_fd >= 0)
    dup2(j->err_fd, STDERR_FILENO);
  const char *format = format_of(a);
  const char *file = cli_opt(a, "--output");
  pk_host *host;
  pk_error err;
  pk_error_clear(&err);
  pk_status st = PK_OK;
  if (a->npos) {
    host = cli_host_new(a, true);
    if (host)
      st = cli_run(host, a->pos, a->npos, CLI_RESOLVE, NULL, &err);
    if (st != PK_OK && st != PK_EDEP_CYCLE) {
      cli_print_error(&err);
      pk_host_free(host);
      host = NULL;
    }
  } else {
    host = register_all(j, &st, &err);
  }
  if (!host && st != PK_OK)
    json_failure(a, &err);
  graph g;
  memset(&g, 0, sizeof g);
  int rc = 1;
  if (host && !graph_build(&g, host, st == PK_OK)) {
    give_up(&st, &err, PK_ENOMEM, "out of memory");
    json_failure(a, &err);
  } else if (host) {
    const pk_error *cycle = st == PK_OK ? NULL : &err;
    if (cycle) {
      char msg[2048];
      pk_error_format(cycle, msg, sizeof msg);
      fprintf(stderr,
              "plugkit: warning: %s (drawn: the edges of the cycle "
              "are highlighted)\n",
              msg);
    }
    rc = 0;
    if (!strcmp(format, "json"))
      print_json(&g, cycle, NULL);
    else if (!strcmp(format, "dot"))
      rc = write_dot(&g, cycle, file);
    else
      rc = render(&g, cycle, format, file);
  }
  graph_free(&g);
  fflush(stdout); /* before the unload hooks */
  pk_host_free(host);
  return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  if ((rc = cli_check_pairs(&a, 0)) >= 0)
    return rc;
  job *j = calloc(1, sizeof *j);
  if (!j) {
    fputs("plugkit: out of memory\n", stderr);
    cli_args_free(&a);
    return 1;
  }
  j->a = &a;
  cli_outcome o;
  /* Drawing every plugin, one that kills the child is left out (with what
   * requires it) and the graph drawn again without it; the warnings of the
   * last child only (the others' would come again). */
  for (;;) {
    FILE *err = a.npos ? NULL : tmpfile();
    j->err_fd = err ? fileno(err) : -1;
    rc = cli_isolate(graph_body, j, a.timeout, &o);
    if (err && rc >= 0)
      cli_copy_file(err, stderr);
    if (err)
      fclose(err);
    if (rc >= 0 || a.npos || !o.plugin[0] || o.left[0] ||
        j->nkillers == MAX_KILLERS)
      break;
    char text[2400];
    fprintf(stderr, "plugkit: warning: leaving out %s\n",
            cli_outcome_text(&o, NULL, text, sizeof text));
    snprintf(j->killers[j->nkillers++], sizeof j->killers[0], "%s", o.plugin);
  }
  if (o.status < 0) { /* the child printed nothing */
    pk_error killed;
    cli_outcome_error(&o, &killed);
    cli_json_failure(&a, &killed);
  }
  rc = cli_report(cmd, &o);
  free(j);
  cli_args_free(&a);
  return rc;
}

const cli_command cli_graph = {
    "graph",
    run,
    "[PAIR...]",
    "the dependency graph, as dot, JSON or a picture",
    "Prints the dependency graph of the plugins named (and what they "
    "require), or of every installed plugin that registers (one that fails "
    "is left out with a warning, and so is every plugin that requires it). "
    " The register hooks run, so the requirements they add (api->require) "
    "are edges too, drawn dashed and labelled \"hook\".  Plugins of one "
    "layer share a rank.  A dependency cycle does not fail the command: "
    "the plugins are drawn with the edges of the cycle in red, and the "
    "cycle is named on standard error.  Plugin code runs in a child "
    "process: a plugin that crashes, exits or hangs is named with the step "
    "it was in (exit 1), or, drawing every plugin, left out with a "
    "warning.",
    {{"--format", NULL, "FORMAT",
      "dot (Graphviz text, the default), json "
      "({ok, nodes, edges, cycle, error}, docs/cli.md, on a failure too, "
      "with the error), or svg or png, rendered by "
      "Graphviz's dot program (apt-get install graphviz)",
      false, "dot json svg png"},
     {"--json", NULL, NULL, "the same as --format json", false, NULL},
     CLI_TIMEOUT_OPTION,
     {"--output", "-o", "FILE",
      "write the picture (or the dot text) to FILE "
      "instead of standard output",
      false, "file"},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    json_failure};
