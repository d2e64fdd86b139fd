/* cmd_order.c -- `plugkit order PAIR...`: register the requested plugins
 * and print the dependency order, one layer per line (or as JSON).
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <time.h>

#include "cli.h"

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Per-plugin start-up costs from the trace callback: a small open-addressing
 * table keyed by plugin pointer. */
typedef struct cost {
  const pk_plugin *p;
  double ms[3]; /* load, register, post_register */
} cost;

typedef struct costs {
  cost *slots;
  size_t cap, n;
  bool nomem;
} costs;

static cost *cost_slot(costs *c, const pk_plugin *p)
{
  if (c->n * 2 >= c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    cost *ns = calloc(ncap, sizeof *ns);
    if (!ns) {
      c->nomem = true;
      return NULL;
    }
    for (size_t i = 0; i < c->cap; i++)
      if (c->slots[i].p)
        for (size_t j = ((uintptr_t)c->slots[i].p >> 4) & (ncap - 1);;
             j = (j + 1) & (ncap - 1))
          if (!ns[j].p) {
            ns[j] = c->slots[i];
            break;
          }
    free(c->slots);
    c->slots = ns;
    c->cap = ncap;
  }
  size_t mask = c->cap - 1;
  for (size_t j = ((uintptr_t)p >> 4) & mask;; j = (j + 1) & mask) {
    if (c->slots[j].p == p)
      return &c->slots[j];
    if (!c->slots[j].p) {
      c->slots[j].p = p;
      c->n++;
      return &c->slots[j];
    }
  }
}

static void on_trace(void *ud, const pk_trace *t)
{
  if (!t->plugin || t->event > PK_TRACE_POST_REGISTER)
    return;
  cost *c = cost_slot(ud, t->plugin);
  if (c)
    c->ms[t->event] += (double)t->duration_ns / 1e6;
}

/* stderr: one line per plugin in layer order, then the sums. */
static void print_costs(pk_host *host, costs *c)
{
  double sum[3] = {0, 0, 0};
  fprintf(stderr, "plugkit: %-32s %10s %10s %10s %10s (ms)\n", "plugin",
          "load", "register", "post_reg", "total");
  for (size_t l = 0; l < pk_host_layer_count(host); l++)
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
      pk_plugin *p = pk_host_layer_plugin_at(host, l, i);
      cost *k = c->cap ? cost_slot(c, p) : NULL;
      double ms[3] = {0, 0, 0};
      for (int e = 0; k && e < 3; e++)
        ms[e] = k->ms[e];
      for (int e = 0; e < 3; e++)
        sum[e] += ms[e];
      fprintf(stderr, "plugkit: %-32s %10.3f %10.3f %10.3f %10.3f\n",
              pk_plugin_get_id(p), ms[0], ms[1], ms[2], ms[0] + ms[1] + ms[2]);
    }
  fprintf(stderr, "plugkit: %-32s %10.3f %10.3f %10.3f %10.3f\n", "(all)",
          sum[0], sum[1], sum[2], sum[0] + sum[1] + sum[2]);
}

static void print_layers(pk_host *host, const cli_args *a, pk_status st,
                         const pk_error *err)
{
  size_t layers = st == PK_OK ? pk_host_layer_count(host) : 0;
  if (!a->json) {
    for (size_t l = 0; l < layers; l++) {
      for (size_t i = 0; i < pk_host_layer_size(host, l); i++)
        printf("%s%s", i ? " " : "",
               pk_plugin_get_id(pk_host_layer_plugin_at(host, l, i)));
      putchar('\n');
    }
    return;
  }
  cli_json_writer w;
  cli_json_init(&w, stdout);
  cli_json_begin_object(&w);
  cli_json_key(&w, "ok");
  cli_json_bool(&w, st == PK_OK);
  cli_json_key(&w, "layers");
  cli_json_begin_array(&w);
  for (size_t l = 0; l < layers; l++) {
    cli_json_begin_array(&w);
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++)
      cli_json_string(&w,
                      pk_plugin_get_id(pk_host_layer_plugin_at(host, l, i)));
    cli_json_end_array(&w);
  }
  cli_json_end_array(&w);
  cli_json_key(&w, "error");
  cli_json_error(&w, st == PK_OK ? NULL : err);
  cli_json_end_object(&w);
  cli_json_finish(&w);
}

/* The command after its arguments, in the child of cli_isolate(). */
static int order_body(void *ud)
{
  const cli_args *a = ud;
  static const char *const stage[] = {"discover", "request", "import",
                                      "resolve", "post_register"};
  bool timings = cli_opt(a, "--timings") != NULL;
  double ms[5];
  ms[0] = now_ms();
  costs c = {NULL, 0, 0, false};
  pk_host *host = timings ? cli_host_new_traced(a, true, on_trace, &c)
                          : cli_host_new(a, true);
  if (!host) {
    free(c.slots);
    return 1;
  }
  ms[0] = now_ms() - ms[0];
  pk_error err;
  pk_error_clear(&err);
  pk_status st =
      cli_run(host, a->pos, a->npos, CLI_POST_REGISTER, ms + 1, &err);
  if (st != PK_OK)
    cli_print_error(&err);
  print_layers(host, a, st, &err);
  int rc = st == PK_OK ? 0 : 1;
  if (timings) {
    for (int i = 0; i < 5; i++)
      fprintf(stderr, "plugkit: %-13s %10.3f ms\n", stage[i], ms[i]);
    if (st == PK_OK && !c.nomem)
      print_costs(host, &c);
  }
  fflush(stdout); /* before the unload hooks */
  pk_host_free(host);
  free(c.slots);
  return rc;
}

/* With --json, a failure that left nothing to order (no host, a child
 * killed by a plugin): the shape with ok false and err as its error. */
static void json_failure(const cli_args *a, const pk_error *err)
{
  if (a->json)
    print_layers(NULL, a, err->code, err);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  return cli_run_command(cmd, argc, argv, 0,
                         "name the plugins to order, as NS:NAME (or "
                         "NS:__all__)",
                         order_body);
}

const cli_command cli_order = {
    "order",
    run,
    "PAIR...",
    "the layered load order of the plugins named",
    "Requests the plugins named (and what they require), registers them "
    "(their register and post_register hooks run, so dependencies added at "
    "run time count) and prints the dependency order, one layer per line: "
    "layer 0 holds the plugins that require nothing, layer k+1 those whose "
    "highest requirement is in layer k.  A missing plugin, a version not "
    "met, a cycle or a failing hook is an error on standard error (exit "
    "1).  Plugin code runs in a child process: a plugin that crashes, "
    "exits or hangs is named with the step it was in (exit 1).",
    {{"--json", NULL, NULL,
      "print {ok, layers: [[ID, ...], ...], error} "
      "(docs/cli.md); on a failure too, with the error",
      false, NULL},
     CLI_TIMEOUT_OPTION,
     {"--timings", NULL, NULL,
      "print the time of each stage and of each "
      "plugin's load, register and post_register on standard error",
      false, NULL},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    json_failure};
