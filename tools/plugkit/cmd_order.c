/* cmd_order.c -- `plugkit order PAIR...`: register the requested plugins
 * and print the dependency order, one layer per line.
 * SPDX-License-Identifier: MIT */
#include <time.h>

#include "cli.h"

static const char usage[] = "order [--timings] [--path DIR]... PAIR...";

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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
  for (size_t i = 0; i < a.npos; i++)
    if (!cli_is_pair(a.pos[i])) {
      rc = cli_usage_error(usage, "'%s' is not NS:NAME (e.g. runner:redis)",
                           a.pos[i]);
      cli_args_free(&a);
      return rc;
    }

  static const char *const stage[] = {"discover", "request", "import",
                                      "resolve", "post_register"};
  double t[6];
  t[0] = now_ms();
  pk_host *host = cli_host_new(&a, true);
  if (!host) {
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
               pk_plugin_get_id(pk_host_layer_plugin(host, l, i)));
      putchar('\n');
    }
    rc = 0;
  }
  if (a.timings)
    for (int i = 0; i < 5; i++)
      fprintf(stderr, "plugkit: %-13s %10.3f ms\n", stage[i], t[i + 1] - t[i]);
  pk_host_free(host);
  cli_args_free(&a);
  return rc;
}
