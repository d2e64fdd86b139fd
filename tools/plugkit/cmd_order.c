/* cmd_order.c -- `plugkit order PAIR...`: register the requested plugins
 * and print the dependency order, one layer per line.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <time.h>

#include "cli.h"

static const char usage[] = "order [--timings] [--path DIR]... PAIR...";

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

int cmd_order(int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(argc, argv, CLI_OPT_TIMINGS, usage, &a);
  if (rc >= 0)
    return rc;
  if (a.npos == 0) {
    cli_args_free(&a);
    return cli_usage_error(usage, "name the plugins to order, as NS:NAME "
                                  "(or NS:__all__)");
  }
  if ((rc = cli_check_pairs(&a, 0, usage)) >= 0)
    return rc;

  static const char *const stage[] = {"discover", "request", "import",
                                      "resolve", "post_register"};
  double t[6];
  t[0] = now_ms();
  costs c = {NULL, 0, 0, false};
  pk_host *host = a.timings ? cli_host_new_traced(&a, true, on_trace, &c)
                            : cli_host_new(&a, true);
  if (!host) {
    free(c.slots);
    cli_args_free(&a);
    return 1;
  }
  t[1] = now_ms();
  pk_error err;
  pk_error_clear(&err);
  pk_status st = pk_host_request(host, a.pos, a.npos, &err);
  t[2] = now_ms();
  if (st == PK_OK)
    st = pk_host_import(host, &err);
  t[3] = now_ms();
  if (st == PK_OK)
    st = pk_host_resolve(host, &err);
  t[4] = now_ms();
  if (st == PK_OK)
    st = pk_host_post_register(host, NULL, 0, &err);
  t[5] = now_ms();

  if (st != PK_OK) {
    cli_print_error(&err);
    rc = 1;
  } else {
    size_t layers = pk_host_layer_count(host);
    for (size_t l = 0; l < layers; l++) {
      size_t n = pk_host_layer_size(host, l);
      for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? " " : "",
               pk_plugin_get_id(pk_host_layer_plugin_at(host, l, i)));
      putchar('\n');
    }
    rc = 0;
  }
  if (a.timings) {
    for (int i = 0; i < 5; i++)
      fprintf(stderr, "plugkit: %-13s %10.3f ms\n", stage[i], t[i + 1] - t[i]);
    if (st == PK_OK && !c.nomem)
      print_costs(host, &c);
  }
  pk_host_free(host);
  free(c.slots);
  cli_args_free(&a);
  return rc;
}
