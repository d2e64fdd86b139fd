/* test_types_threads.c -- 16 threads calling hooks and asking for instances
 * at once, racing the first use of every (kind, name) and the wake of a lazy
 * plugin (fixtures/types/s3).  Also built as a plain program (PK_STRESS_MAIN,
 * target pk_types_stress) that scripts/test.sh runs under ThreadSanitizer.
 * SPDX-License-Identifier: MIT */
#include "stress.h"
#include <plugkit.h>
#include <plugkit/plugin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "types_fixture.h"

#define NTHREADS 16
#define NLOCAL 6   /* [caches.l0] .. [caches.l5]: the built-in type */
#define NS3 2      /* [caches.s0], [caches.s1]: the lazy plugin's type */
#define NVENV 4    /* [venvs.v0] .. [venvs.v3]: a second kind */
#define NINST (NLOCAL + NS3 + NVENV)
#define ROUNDS 6
#define NCALLS 2000

static atomic_int local_built, venv_built, counted;

static pk_status local_factory(const pk_instance_args *a, void **out,
                               pk_error *err)
{
  (void)err;
  char *s = malloc(160);
  if (!s)
    return PK_ENOMEM;
  const char *dir = "?";
  pk_config_get_string(a->config, "dir", &dir, NULL, NULL);
  snprintf(s, 160, "local:%s", dir);
  atomic_fetch_add(&local_built, 1);
  *out = s;
  return PK_OK;
}

static pk_status venv_factory(const pk_instance_args *a, void **out,
                              pk_error *err)
{
  (void)err;
  int64_t *v = malloc(sizeof *v);
  if (!v)
    return PK_ENOMEM;
  pk_config_get_integer(a->config, "n", v, NULL);
  atomic_fetch_add(&venv_built, 1);
  *out = v;
  return PK_OK;
}

static void free_destroy(void *data, void *inst)
{
  (void)data;
  free(inst);
}

/* A built-in plugin (not lazy) implementing "count" beside the lazy s3. */
static int count_fn(pk_hook_ctx *call, void *data, void *args, void *result)
{
  (void)call;
  (void)data;
  (void)result;
  atomic_fetch_add_explicit(&counted, *(int *)args, memory_order_relaxed);
  return 0;
}

static int counter_register(const pk_host_api *api, pk_plugin_ctx *ctx,
                            void *ud)
{
  (void)ud;
  pk_hook_impl impl = {sizeof impl, 0, "count", count_fn, NULL, NULL, NULL,
                       NULL};
  return api->hook_add(ctx, &impl);
}

PK_PLUGIN_DEFINE_BUILTIN(counter_desc, "runner", "counter", 1,
                         counter_register, NULL, NULL);

static const char *const names_kind[NINST] = {
    "cache", "cache", "cache", "cache", "cache", "cache", "cache", "cache",
    "venv",  "venv",  "venv",  "venv"};
static const char *const names_inst[NINST] = {"l0", "l1", "l2", "l3",
                                              "l4", "l5", "s0", "s1",
                                              "v0", "v1", "v2", "v3"};

/* With a metadata cache, so that the crash journal records the lazy
 * plugin's wake and its factories, built on several threads at once. */
static char cache[64];

static pk_host *stress_host(void)
{
  pk_host *h;
  pk_error e;
  snprintf(cache, sizeof cache, "/tmp/pk-types-stress.%ld.cache",
           (long)getpid());
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache};
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_load_description(h, HOST_TOML, &e), PK_OK, "%s",
               e.message);
  cr_assert_eq(pk_host_declare_kind(h, "venv", 1, "venvs", "plain", &e),
               PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "count", PK_HOOK_COLLECT, NULL, &e),
               PK_OK);
  cr_assert_eq(pk_host_add_path(h, TY, &e), PK_OK);
  cr_assert_eq(pk_host_add_builtin(h, &counter_desc,
                                   "name = \"counter\"\nnamespace = "
                                   "\"runner\"\nversion = \"1.0.0\"\n",
                                   &e),
               PK_OK, "%s", e.message);
  pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                       .schema_toml = LOCAL_SCHEMA,
                       .factory = local_factory, .destroy = free_destroy};
  cr_assert_eq(pk_host_add_type(h, &t, &e), PK_OK, "%s", e.message);
  pk_type_options v = {.size = sizeof v, .kind = "venv", .tag = "plain",
                       .schema_toml = "n = { type = \"integer\" }\n",
                       .factory = venv_factory, .destroy = free_destroy};
  cr_assert_eq(pk_host_add_type(h, &v, &e), PK_OK, "%s", e.message);
  char text[2048];
  int n = snprintf(text, sizeof text,
                   "[plugins]\ncounter = \"runner:counter\"\n"
                   "[plugins.remote]\nplugin = \"runner:s3\"\nretries = 5\n");
  for (int i = 0; i < NLOCAL; i++)
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "[caches.l%d]\ndir = \"/tmp/l%d\"\n", i, i);
  for (int i = 0; i < NS3; i++)
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "[caches.s%d]\ntype = \"s3\"\nbucket = \"b%d\"\n", i, i);
  for (int i = 0; i < NVENV; i++)
    n += snprintf(text + n, sizeof text - (size_t)n, "[venvs.v%d]\nn = %d\n",
                  i, i);
  cr_assert_eq(pk_host_load_config_text(h, text, (size_t)n, "stress.toml",
                                        NULL, &e),
               PK_OK, "%s", e.message);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &e), PK_OK, "%s",
               e.message);
  return h;
}

typedef struct shared {
  pk_host *h;
  atomic_int go;
  _Atomic(void *) seen[NINST]; /* the first object each pair returned */
} shared;

typedef struct worker {
  shared *s;
  pthread_t tid;
  int id;
  int bad;
} worker;

static void check_instance(worker *w, int k)
{
  void *obj = NULL;
  pk_error e;
  if (pk_host_get_instance(w->s->h, names_kind[k], names_inst[k], &obj,
                           &e) != PK_OK ||
      !obj) {
    w->bad++;
    fprintf(stderr, "%s/%s: %s\n", names_kind[k], names_inst[k], e.message);
    return;
  }
  void *expect = NULL;
  if (!atomic_compare_exchange_strong(&w->s->seen[k], &expect, obj) &&
      expect != obj)
    w->bad++; /* two objects for one (kind, name) */
}

static void *work(void *arg)
{
  worker *w = arg;
  while (!atomic_load_explicit(&w->s->go, memory_order_acquire))
    ;
  pk_hook *build = pk_host_get_hook(w->s->h, "on_build");
  pk_hook *count = pk_host_get_hook(w->s->h, "count");
  for (int i = 0; i < NCALLS; i++) {
    pk_error e;
    /* half the threads start with the lazy plugin's hook, the others with
     * its instances, so both wake paths race */
    int k = (w->id * 5 + i) % NINST;
    if ((i + w->id) % 2 == 0) {
      const char *res[2] = {0};
      pk_hook_results r = {res, sizeof res[0], 2, 0};
      if (pk_hook_call(build, NULL, &r, &e) != PK_OK || r.count != 1 ||
          !res[0] || strcmp(res[0], "s3 built"))
        w->bad++;
    }
    check_instance(w, k);
    int one = 1;
    if (pk_hook_call(count, &one, NULL, &e) != PK_OK)
      w->bad++;
  }
  return NULL;
}

static void stress_round(void)
{
  atomic_store(&local_built, 0);
  atomic_store(&venv_built, 0);
  atomic_store(&counted, 0);
  static shared s;
  s.h = stress_host();
  atomic_store(&s.go, 0);
  for (int k = 0; k < NINST; k++)
    atomic_store(&s.seen[k], NULL);
  cr_expect(!s3_loaded()); /* lazy: nothing opened yet */
  worker ws[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    ws[i] = (worker){&s, 0, i, 0};
    cr_assert_eq(pthread_create(&ws[i].tid, NULL, work, &ws[i]), 0);
  }
  atomic_store_explicit(&s.go, 1, memory_order_release);
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(ws[i].tid, NULL);
    cr_expect_eq(ws[i].bad, 0, "thread %d saw %d wrong answers", i,
                 ws[i].bad);
  }
  cr_expect(s3_loaded());
  /* one object per pair: each factory ran once per instance (the s3
   * instances each build one "local" base) */
  cr_expect_eq(atomic_load(&local_built), NLOCAL + NS3);
  cr_expect_eq(atomic_load(&venv_built), NVENV);
  cr_expect_eq(atomic_load(&counted), NTHREADS * NCALLS);
  for (int k = 0; k < NINST; k++)
    cr_expect(atomic_load(&s.seen[k]) != NULL);
  void *s0 = atomic_load(&s.seen[NLOCAL]);
  cr_expect(s0 && !strncmp((const char *)s0, "s3 s0 bucket=b0", 15));
  pk_host_free(s.h);
  cr_expect(!s3_loaded()); /* closed again by pk_host_free */
  char journal[80];
  snprintf(journal, sizeof journal, "%s.journal", cache);
  cr_expect_eq(access(journal, F_OK), 0, "the journal was used");
  unlink(cache);
  unlink(journal);
}

Test(types_threads, sixteen_threads_instances_hooks_lazy, .timeout = 300)
{
  for (int r = 0; r < ROUNDS; r++)
    stress_round();
}

#ifdef PK_STRESS_MAIN
STRESS_MAIN(STRESS_TEST(types_threads, sixteen_threads_instances_hooks_lazy))
#endif
