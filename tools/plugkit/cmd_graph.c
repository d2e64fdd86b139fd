/* cmd_graph.c -- `plugkit graph`: the dependency graph of the requested
 * plugins (or of every installed one) as Graphviz dot or JSON.  Plugins are
 * imported (loaded and checked) but no hook runs.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "graph [--format dot|json] [--path DIR]... [PAIR...]";

/* ---- output ---- */

static void dot_id(const char *s)
{
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      putchar('\\');
    putchar(*s);
  }
  putchar('"');
}

/* Dependencies may repeat (one edge per requirement); print each once. */
static bool seen_before(const pk_plugin *p, size_t i)
{
  const pk_plugin *d = pk_plugin_dependency_at(p, i);
  for (size_t k = 0; k < i; k++)
    if (pk_plugin_dependency_at(p, k) == d)
      return true;
  return false;
}

static void print_dot(pk_host *host)
{
  size_t layers = pk_host_layer_count(host);
  printf("digraph plugkit {\n  node [shape=box];\n");
  for (size_t l = 0; l < layers; l++) {
    printf("  { rank=same; /* layer %zu */", l);
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
      putchar(' ');
      dot_id(pk_plugin_get_id(pk_host_layer_plugin_at(host, l, i)));
      putchar(';');
    }
    printf(" }\n");
  }
  for (size_t l = 0; l < layers; l++)
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
      const pk_plugin *p = pk_host_layer_plugin_at(host, l, i);
      for (size_t k = 0; k < pk_plugin_dependency_count(p); k++) {
        if (seen_before(p, k))
          continue;
        printf("  ");
        dot_id(pk_plugin_get_id(p));
        printf(" -> ");
        dot_id(pk_plugin_get_id(pk_plugin_dependency_at(p, k)));
        printf(";\n");
      }
    }
  printf("}\n");
}

static void print_json(pk_host *host)
{
  size_t layers = pk_host_layer_count(host);
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "nodes");
  cli_json_begin_array(&w);
  for (size_t l = 0; l < layers; l++)
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
      cli_json_begin_object(&w);
      cli_json_key(&w, "id");
      cli_json_string(&w,
                      pk_plugin_get_id(pk_host_layer_plugin_at(host, l, i)));
      cli_json_key(&w, "layer");
      cli_json_int(&w, (long long)l);
      cli_json_end_object(&w);
    }
  cli_json_end_array(&w);
  cli_json_key(&w, "edges");
  cli_json_begin_array(&w);
  for (size_t l = 0; l < layers; l++)
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
      const pk_plugin *p = pk_host_layer_plugin_at(host, l, i);
      for (size_t k = 0; k < pk_plugin_dependency_count(p); k++) {
        if (seen_before(p, k))
          continue;
        cli_json_begin_object(&w);
        cli_json_key(&w, "from");
        cli_json_string(&w, pk_plugin_get_id(p));
        cli_json_key(&w, "to");
        cli_json_string(&w, pk_plugin_get_id(pk_plugin_dependency_at(p, k)));
        cli_json_end_object(&w);
      }
    }
  cli_json_end_array(&w);
  cli_json_end_object(&w);
  cli_json_finish(&w);
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
            fprintf(stderr, "plugkit: warning: leaving out %s: it requires "
                            "%s\n", pk_plugin_get_id(p), target);
            excluded[i] = changed = true;
            break;
          }
        if (excluded[i])
          break;
      }
    }
  }
}

/* Imports every installed plugin that can be imported.  A plugin that
 * fails (and every plugin that requires it) is left out with a warning,
 * and the import starts again on a fresh host.  Returns the host, or NULL
 * after printing the error when nothing can be done. */
static pk_host *import_all(const cli_args *a)
{
  pk_host *host = cli_host_new(a, true);
  if (!host)
    return NULL;
  size_t n = pk_host_plugin_count(host);
  bool *excluded = calloc(n ? n : 1, sizeof *excluded);
  const char **reqs = calloc(n ? n : 1, sizeof *reqs);
  if (!excluded || !reqs)
    fprintf(stderr, "plugkit: out of memory\n");
  for (size_t round = 0; excluded && reqs && round <= n; round++) {
    size_t nreq = 0;
    for (size_t i = 0; i < n; i++) {
      pk_plugin *p = pk_host_plugin_at(host, i);
      if (!excluded[i] && pk_plugin_get_state(p) == PK_STATE_DISCOVERED)
        reqs[nreq++] = pk_plugin_get_id(p);
    }
    pk_error err;
    pk_error_clear(&err);
    pk_status st = pk_host_request(host, reqs, nreq, &err);
    if (st == PK_OK)
      st = pk_host_import(host, &err);
    if (st == PK_OK)
      goto done;
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
      fprintf(stderr, "plugkit: the plugin directories changed while "
                      "plugkit was reading them; run it again\n");
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

int cmd_graph(int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(argc, argv, CLI_OPT_FORMAT, usage, &a);
  if (rc >= 0)
    return rc;
  if ((rc = cli_check_pairs(&a, 0, usage)) >= 0)
    return rc;
  pk_host *host;
  if (a.npos) {
    host = cli_host_new(&a, true);
    pk_error err;
    pk_error_clear(&err);
    pk_status st = host ? pk_host_request(host, a.pos, a.npos, &err) : PK_OK;
    if (host && st == PK_OK)
      st = pk_host_import(host, &err);
    if (st != PK_OK) {
      cli_print_error(&err);
      pk_host_free(host);
      host = NULL;
    }
  } else {
    host = import_all(&a);
  }
  if (host) {
    if (a.format && !strcmp(a.format, "json"))
      print_json(host);
    else
      print_dot(host);
  }
  rc = host ? 0 : 1;
  pk_host_free(host);
  cli_args_free(&a);
  return rc;
}
