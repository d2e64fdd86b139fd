/* hook_dispatch.c -- W3: one collect-mode hook, K = 10 implementations
 * registered by 10 built-in plugins (pk_host_add_builtin, no dlopen), each
 * adding its int argument to its own counter; M calls.
 * SPDX-License-Identifier: MIT
 *
 *   hook_dispatch [M]      (M defaults to 1,000,000; BENCH_REPS, default 5)
 *
 * Prints "name M ns-per-dispatch ns" (median of BENCH_REPS after a warm-up):
 *   p3.pk.hook_call          the handle looked up once, then pk_hook_call
 *   p3.pk.hook_call_by_name  pk_host_get_hook + pk_hook_call on every call
 *   p3.pk.hook_call_wrapped  the same hook with one wrapper around the 10 */
#include <plugkit.h>

#include "bench.h"
#include <plugkit/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define K 10

static long counters[K];
static const pk_host_api *api;

static int impl(pk_hook_ctx *call, void *data, void *args, void *result)
{
  (void)call;
  (void)result;
  *(long *)data += *(const int *)args;
  return 0;
}

static int wrapper(pk_hook_ctx *call, void *data, void *args)
{
  (void)data;
  (void)args;
  return api->hook_next(call);
}

static int on_register(const pk_host_api *a, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  api = a;
  int k = a->plugin_name(ctx)[7] - '0'; /* "bench:hK" */
  pk_hook_impl i = {sizeof i, 0, "on_event", impl, NULL, &counters[k], NULL,
                    NULL};
  int rc = a->hook_add(ctx, &i);
  if (rc == 0 && k == 0) {
    pk_hook_impl w = {sizeof w, 0, "on_event_wrapped", NULL, wrapper, NULL,
                      NULL, NULL};
    rc = a->hook_add(ctx, &w);
  }
  i.hook = "on_event_wrapped";
  return rc ? rc : a->hook_add(ctx, &i);
}

#define D(var, name)                                                           \
  PK_PLUGIN_DEFINE_BUILTIN(var, "bench", name, 1, on_register, NULL, NULL)
D(d0, "h0");
D(d1, "h1");
D(d2, "h2");
D(d3, "h3");
D(d4, "h4");
D(d5, "h5");
D(d6, "h6");
D(d7, "h7");
D(d8, "h8");
D(d9, "h9");
static const pk_plugin_desc *const descs[K] = {&d0, &d1, &d2, &d3, &d4,
                                               &d5, &d6, &d7, &d8, &d9};

static __attribute__((noinline)) void run(pk_hook *hook, long m)
{
  int x = 1;
  for (long i = 0; i < m; i++)
    pk_hook_call(hook, &x, NULL, NULL);
}

static __attribute__((noinline)) void run_by_name(pk_host *h,
                                                  const char *volatile *name,
                                                  long m)
{
  int x = 1;
  for (long i = 0; i < m; i++)
    pk_hook_call(pk_host_get_hook(h, *name), &x, NULL, NULL);
}

static double measure(pk_host *h, const char *hook_name, int by_name, long m,
                      int reps)
{
  double t[64];
  pk_hook *hook = pk_host_get_hook(h, hook_name);
  const char *volatile name = hook_name;
  if (reps > 64)
    reps = 64;
  for (int r = -1; r < reps; r++) {
    memset(counters, 0, sizeof counters);
    double t0 = bench_now_s();
    if (by_name)
      run_by_name(h, &name, m);
    else
      run(hook, m);
    double dt = bench_now_s() - t0;
    for (int k = 0; k < K; k++)
      if (counters[k] != m) {
        fprintf(stderr, "counter %d = %ld, want %ld\n", k, counters[k], m);
        exit(1);
      }
    if (r >= 0)
      t[r] = dt;
  }
  return bench_median(t, reps) * 1e9 / (double)m;
}

int main(int argc, char **argv)
{
  long m = argc > 1 ? atol(argv[1]) : 1000000;
  int reps = bench_reps(5);
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  if (pk_host_new(&o, &h, &e) != PK_OK)
    goto fail;
  const char *reqs[K];
  char ids[K][16];
  for (int k = 0; k < K; k++) {
    char text[128];
    snprintf(text, sizeof text,
             "name = \"h%d\"\nnamespace = \"bench\"\nversion = \"1.0.0\"\n",
             k);
    snprintf(ids[k], sizeof ids[k], "bench:h%d", k);
    reqs[k] = ids[k];
    if (pk_host_add_builtin(h, descs[k], text, &e) != PK_OK)
      goto fail;
  }
  if (pk_host_declare_hook(h, "on_event", PK_HOOK_COLLECT, NULL, &e) ||
      pk_host_declare_hook(h, "on_event_wrapped", PK_HOOK_COLLECT, NULL, &e) ||
      pk_host_register(h, reqs, K, NULL, 0, &e))
    goto fail;
  if (pk_hook_impl_count(pk_host_get_hook(h, "on_event")) != K) {
    fprintf(stderr, "expected %d implementations\n", K);
    return 1;
  }
  char ml[32];
  snprintf(ml, sizeof ml, "%ld", m);
  printf("p3.pk.hook_call %s %.6g ns\n", ml, measure(h, "on_event", 0, m, reps));
  printf("p3.pk.hook_call_by_name %s %.6g ns\n", ml,
         measure(h, "on_event", 1, m, reps));
  printf("p3.pk.hook_call_wrapped %s %.6g ns\n", ml,
         measure(h, "on_event_wrapped", 0, m, reps));
  fflush(stdout);
  pk_host_free(h);
  return 0;
fail:
  fprintf(stderr, "hook_dispatch: %s (%s)\n", e.message, e.plugin);
  return 1;
}
