/* cli_run.c -- the one place the CLI runs plugin code: the registration
 * stages of a host, up to the one a command needs.
 * SPDX-License-Identifier: MIT */
#include <time.h>

#include "cli.h"

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

pk_status cli_run(pk_host *host, const char *const *reqs, size_t n,
                  cli_stage upto, double ms[4], pk_error *err)
{
  double t[5] = {now_ms(), 0, 0, 0, 0};
  pk_status st = pk_host_request(host, reqs, n, err);
  t[1] = now_ms();
  if (st == PK_OK)
    st = pk_host_import(host, err);
  t[2] = now_ms();
  if (st == PK_OK && upto >= CLI_RESOLVE)
    st = pk_host_resolve(host, err);
  t[3] = now_ms();
  if (st == PK_OK && upto >= CLI_POST_REGISTER)
    st = pk_host_post_register(host, NULL, 0, err);
  t[4] = now_ms();
  for (int i = 0; ms && i < 4; i++)
    ms[i] = t[i + 1] - t[i];
  return st;
}
