/* test_hooks_threads.c -- 16 threads calling hooks and looking things up
 * at once after the freeze.  Also built as a plain program (PK_STRESS_MAIN,
 * target pk_hooks_stress) that scripts/test.sh runs under ThreadSanitizer:
 * Criterion's runner does not start under TSan.
 * SPDX-License-Identifier: MIT */
#include "test_util.h"
#include <plugkit.h>
#include <plugkit/plugin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define NPLUG 10
#define NTHREADS 16
#define NCALLS 20000

static atomic_long counters[NPLUG];
static atomic_long traced;
static const pk_host_api *th_api;

static int count_fn(pk_hook_ctx *call, void *data, void *args, void *result)
{
  (void)call;
  (void)result;
  atomic_fetch_add_explicit((atomic_long *)data, *(int *)args,
                            memory_order_relaxed);
  return 0;
}

static int pick_fn(pk_hook_ctx *call, void *data, void *args, void *result)
{
  (void)call;
  (void)args;
  if (result)
    *(long *)result = (long)(intptr_t)data;
  return PK_HOOK_RESULT;
}

static int pick_wrap(pk_hook_ctx *call, void *data, void *args)
{
  (void)data;
  (void)args;
  int rc = th_api->hook_next(call);
  long *r = th_api->hook_result_at(call, 0);
  if (r && th_api->hook_result_count(call) == 1)
    *r *= 10;
  return rc;
}

static int fail_fn(pk_hook_ctx *call, void *data, void *args, void *result)
{
  (void)data;
  (void)result;
  return th_api->hook_fail(call, PK_ECONFIG, "refused %d", *(int *)args);
}

static int th_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  th_api = api;
  int i = api->plugin_name(ctx)[4] - '0'; /* "th:pN" */
  pk_hook_impl impl = {sizeof impl, 0, "count", count_fn, NULL, &counters[i],
                       NULL, NULL};
  int rc = api->hook_add(ctx, &impl);
  if (i == 0) {
    pk_hook_impl w = {sizeof w, 0, "pick", NULL, pick_wrap, NULL, NULL, NULL};
    rc |= api->hook_add(ctx, &w);
  }
  if (i == 3 || i == 5) {
    pk_hook_impl p = {sizeof p, 0, "pick", pick_fn, NULL, (void *)(intptr_t)i,
                      NULL, NULL};
    rc |= api->hook_add(ctx, &p);
  }
  if (i == 7) {
    pk_hook_impl f = {sizeof f, 0, "fails", fail_fn, NULL, NULL, NULL, NULL};
    rc |= api->hook_add(ctx, &f);
  }
  return rc;
}

#define TH(var, name)                                                          \
  PK_PLUGIN_DEFINE_BUILTIN(var, "th", name, 1, th_register, NULL, NULL)
TH(th0, "p0");
TH(th1, "p1");
TH(th2, "p2");
TH(th3, "p3");
TH(th4, "p4");
TH(th5, "p5");
TH(th6, "p6");
TH(th7, "p7");
TH(th8, "p8");
TH(th9, "p9");
static const pk_plugin_desc *const th_all[NPLUG] = {
    &th0, &th1, &th2, &th3, &th4, &th5, &th6, &th7, &th8, &th9};

static void trace_fn(void *ud, const pk_trace *t)
{
  (void)ud;
  if (t->event == PK_TRACE_HOOK_CALL)
    atomic_fetch_add_explicit(&traced, 1, memory_order_relaxed);
}

static pk_host *th_host(bool trace)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .trace = trace ? trace_fn : NULL};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_namespace(h, "th", 1, &e), PK_OK);
  const char *reqs[NPLUG];
  static char ids[NPLUG][8];
  for (int i = 0; i < NPLUG; i++) {
    char name[8], req[8];
    snprintf(name, sizeof name, "p%d", i);
    snprintf(req, sizeof req, "p%d", i - 1);
    /* odd p(i) requires p(i-1): a layered graph */
    add_builtin_requiring(h, th_all[i], "th", name, i % 2 ? req : NULL);
    snprintf(ids[i], sizeof ids[i], "th:p%d", i);
    reqs[i] = ids[i];
  }
  cr_assert_eq(pk_host_declare_hook(h, "count", PK_HOOK_COLLECT, NULL, &e),
               PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "pick", PK_HOOK_FIRST_RESULT, NULL, &e),
               PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "fails", PK_HOOK_COLLECT, NULL, &e),
               PK_OK);
  cr_assert_eq(pk_host_register(h, reqs, NPLUG, NULL, 0, &e), PK_OK, "%s",
               e.message);
  for (int i = 0; i < NPLUG; i++)
    atomic_store(&counters[i], 0);
  atomic_store(&traced, 0);
  return h;
}

typedef struct worker {
  pk_host *h;
  pthread_t tid;
  int id;
  int bad; /* number of wrong answers seen */
} worker;

static void *work(void *arg)
{
  worker *w = arg;
  pk_hook *count = pk_host_get_hook(w->h, "count");
  for (int i = 0; i < NCALLS; i++) {
    int x = 1;
    pk_error e;
    if (pk_hook_call(count, &x, NULL, &e) != PK_OK)
      w->bad++;
    if (i % 4 == 0) { /* lookups and the other modes */
      pk_hook *pick = pk_host_get_hook(w->h, "pick");
      pk_hook *fails = pk_host_get_hook(w->h, "fails");
      pk_plugin *p = pk_host_find_plugin(w->h, "th:p7");
      if (!pick || !fails || !p || pk_plugin_get_state(p) != PK_STATE_READY ||
          pk_hook_impl_count(count) != NPLUG)
        w->bad++;
      long v = 0;
      pk_hook_results r = {&v, sizeof v, 1, 0};
      if (pk_hook_call(pick, &x, &r, &e) != PK_OK || r.count != 1 || v != 30)
        w->bad++;
      x = w->id;
      if (pk_hook_call(fails, &x, NULL, &e) != PK_ECONFIG ||
          strcmp(e.plugin, "th:p7")) {
        w->bad++;
      } else {
        char want[32];
        snprintf(want, sizeof want, "refused %d", w->id);
        if (strcmp(e.message, want))
          w->bad++;
      }
    }
    if (i % 1000 == 0)
      count = pk_host_get_hook(w->h, "count");
  }
  return NULL;
}

static void stress(bool trace)
{
  pk_host *h = th_host(trace);
  worker ws[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    ws[i] = (worker){h, 0, i, 0};
    cr_assert_eq(pthread_create(&ws[i].tid, NULL, work, &ws[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(ws[i].tid, NULL);
    cr_expect_eq(ws[i].bad, 0, "thread %d saw %d wrong answers", i,
                 ws[i].bad);
  }
  for (int i = 0; i < NPLUG; i++)
    cr_expect_eq(atomic_load(&counters[i]), (long)NTHREADS * NCALLS,
                 "counter %d = %ld", i, atomic_load(&counters[i]));
  if (trace)
    cr_expect_eq(atomic_load(&traced),
                 (long)NTHREADS * (NCALLS + 2 * (NCALLS / 4)));
  pk_error e;
  /* every call returned: unloading is allowed again */
  cr_expect_eq(pk_host_unload_plugin(h, pk_host_find_plugin(h, "th:p4"), &e),
               PK_OK, "%s", e.message);
  cr_expect_eq(pk_hook_impl_count(pk_host_get_hook(h, "count")), NPLUG - 2);
  pk_host_free(h);
}

Test(hooks_threads, sixteen_threads, .timeout = 300) { stress(false); }

Test(hooks_threads, sixteen_threads_traced, .timeout = 300) { stress(true); }

/* A thread inside a call blocks an unload from another thread. */
static atomic_int gate_in, gate_out;

static int slow_fn(pk_hook_ctx *call, void *data, void *args, void *result)
{
  (void)call;
  (void)data;
  (void)args;
  (void)result;
  atomic_store(&gate_in, 1);
  while (!atomic_load(&gate_out))
    ;
  return 0;
}

static int slow_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  pk_hook_impl impl = {sizeof impl, 0, "slow", slow_fn, NULL, NULL, NULL,
                       NULL};
  return api->hook_add(ctx, &impl);
}

PK_PLUGIN_DEFINE_BUILTIN(slow_desc, "th", "slow", 1, slow_register, NULL,
                         NULL);

static void *call_slow(void *arg)
{
  pk_hook_call(pk_host_get_hook(arg, "slow"), NULL, NULL, NULL);
  return NULL;
}

Test(hooks_threads, unload_refused_while_a_call_is_in_flight, .timeout = 60)
{
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(NULL, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_builtin(
                   h, &slow_desc,
                   "name = \"slow\"\nnamespace = \"th\"\nversion = \"1.0.0\"\n",
                   &e),
               PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "slow", PK_HOOK_COLLECT, NULL, &e),
               PK_OK);
  const char *req[] = {"th:slow"};
  cr_assert_eq(pk_host_register(h, req, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pthread_t t;
  atomic_store(&gate_in, 0);
  atomic_store(&gate_out, 0);
  cr_assert_eq(pthread_create(&t, NULL, call_slow, h), 0);
  while (!atomic_load(&gate_in))
    ;
  pk_plugin *p = pk_host_find_plugin(h, "th:slow");
  cr_expect_eq(pk_host_unload_plugin(h, p, &e), PK_ESTATE);
  cr_expect(strstr(e.message, "1 hook call is in flight"), "%s", e.message);
  atomic_store(&gate_out, 1);
  pthread_join(t, NULL);
  cr_expect_eq(pk_host_unload_plugin(h, p, &e), PK_OK);
  pk_host_free(h);
}

#ifdef PK_STRESS_MAIN
STRESS_MAIN(
    STRESS_TEST(hooks_threads, sixteen_threads),
    STRESS_TEST(hooks_threads, sixteen_threads_traced),
    STRESS_TEST(hooks_threads, unload_refused_while_a_call_is_in_flight))
#endif
