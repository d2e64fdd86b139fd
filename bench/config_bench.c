/* config_bench.c -- P8/P9 (issue 4 point 12): host start-up with 100
 * declared lazy plugins, and instantiating 10 000 typed instance tables.
 * SPDX-License-Identifier: MIT
 *
 *   config_bench startup DIR N [CACHE [first]]
 *       DIR holds host.toml (the host description), config.toml (declares
 *       N plugins under [plugins] and [backends.main] of one plugin's type)
 *       and plugins/ (N lazy plugins; bench/config-bench makes them).
 *       Timed, per run: pk_host_new, pk_host_load_description,
 *       pk_host_add_path, pk_host_load_config, pk_host_register,
 *       pk_host_get_instance("backend", "main"); pk_host_free is not.
 *       Prints p8.pk.startup_100_lazy N <ms> ms (no cache: every manifest
 *       read and parsed), with CACHE p8.pk.startup_100_lazy_warm N <ms> ms
 *       (the host's metadata cache file CACHE, written by the untimed
 *       warm-up run, serves the manifests), with CACHE first
 *       p8.pk.startup_100_lazy_first (CACHE removed before each run: the
 *       first start after an install, which reads and parses every
 *       manifest and writes the cache); the suffix _1cpu when pinned to one
 *       CPU; with BENCH_FRESH=1 the suffix _fresh: each start in a process
 *       of its own (a fork of this one, which runs no host), as a host
 *       starts, not on the heap an earlier start left.  Every dlopen is counted
 * from the host's trace (the loader's PK_TRACE_LOAD of a plugin with a library,
 * whether it stays open or not): one per run, else it fails. config_bench
 * instantiate FILE N FILE holds N tables [items.iK] of 8 fields.  Prints
 *         p9.pk.parse N <ms> ms        pk_doc_parse + pk_doc_free of FILE
 *         p9.pk.instantiate N <ms> ms  N first pk_host_get_instance calls
 *                                      (decode by a built-in type's
 *                                      schema + factory reading 8 fields)
 *         p9.pk.load_config N <ms> ms  pk_host_load_config_text (parse +
 *                                      checking every table)
 * Each a median of BENCH_REPS (default 5) after one untimed warm-up. */
#define _GNU_SOURCE /* bench.h: sched_getaffinity */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plugkit.h>

#include "bench.h"

static void die(const char *what, const pk_error *e)
{
  char buf[2048];
  pk_error_format(e, buf, sizeof buf);
  fprintf(stderr, "config_bench: %s: %s\n", what, buf);
  exit(1);
}

/* ---- P8: start-up with N lazy plugins, one used ---- */

/* The trace callback: counts the dlopens (a load of a plugin with a
 * shared object). */
static void count_dlopens(void *ud, const pk_trace *ev)
{
  if (ev->event == PK_TRACE_LOAD && ev->plugin &&
      pk_plugin_get_library_path(ev->plugin)[0])
    ++*(int *)ud;
}

typedef struct startup_run {
  const char *dir, *cache;
  bool say; /* print the dlopen count */
} startup_run;

/* One start, timed; exits when it does not give the instance or does not
 * dlopen exactly one plugin. */
static double startup_once(void *ud)
{
  const startup_run *s = ud;
  char path[4096];
  pk_host *h;
  pk_error e;
  void *obj;
  int dlopens = 0;
  pk_host_options o = {.size = sizeof o,
                       .ignore_env = true,
                       .cache_path = s->cache,
                       .trace = count_dlopens,
                       .trace_ud = &dlopens};
  double t0 = bench_now_s();
  if (pk_host_new(&o, &h, &e) != PK_OK)
    die("pk_host_new", &e);
  snprintf(path, sizeof path, "%s/host.toml", s->dir);
  if (pk_host_load_description(h, path, &e) != PK_OK)
    die("description", &e);
  snprintf(path, sizeof path, "%s/plugins", s->dir);
  if (pk_host_add_path(h, path, &e) != PK_OK)
    die("add_path", &e);
  snprintf(path, sizeof path, "%s/config.toml", s->dir);
  if (pk_host_load_config(h, path, NULL, &e) != PK_OK)
    die("load_config", &e);
  if (pk_host_register(h, NULL, 0, NULL, 0, &e) != PK_OK)
    die("register", &e);
  if (pk_host_get_instance(h, "backend", "main", &obj, &e) != PK_OK)
    die("get_instance", &e);
  double t = bench_now_s() - t0;
  if (!obj || *(int64_t *)obj != 42) {
    fprintf(stderr, "config_bench: wrong instance\n");
    exit(1);
  }
  if (s->say)
    fprintf(stderr, "# p8: %d plugin shared objects dlopened\n", dlopens);
  if (dlopens != 1)
    exit(1);
  pk_host_free(h);
  return t;
}

static int startup(const char *dir, const char *n, const char *cache,
                   bool first)
{
  int reps = bench_reps(5);
  double *t = calloc((size_t)reps, sizeof *t);
  startup_run s = {.dir = dir, .cache = cache, .say = true};
  if (cache)
    unlink(cache);
  for (int r = -1; r < reps; r++) { /* r = -1: the warm-up (writes the cache) */
    if (first && r >= 0)
      unlink(cache);
    double dt = bench_start(startup_once, &s);
    if (r >= 0)
      t[r] = dt;
    s.say = false;
  }
  printf("p8.pk.startup_100_lazy%s%s%s %s %.4f ms\n",
         !cache  ? ""
         : first ? "_first"
                 : "_warm",
         bench_fresh_suffix(), bench_cpu_suffix(), n,
         bench_median(t, reps) * 1e3);
  free(t);
  return 0;
}

/* ---- P9: instantiating N typed tables ---- */

static const char item_schema[] =
    "name = { type = \"string\", doc = \"Display name\" }\n"
    "size = { type = \"integer\", min = 0, default = 0 }\n"
    "ratio = { type = \"float\", min = 0.0, max = 1.0, default = 0.5 }\n"
    "enabled = { type = \"boolean\", default = true }\n"
    "mode = { type = \"enum\", choices = [\"fast\", \"safe\", \"off\"], "
    "default = \"safe\" }\n"
    "tags = { type = \"array\", items = \"string\", default = [] }\n"
    "path = { type = \"string\", optional = true }\n"
    "retries = { type = \"integer\", min = 0, max = 10, default = 3 }\n";

typedef struct item {
  const char *name, *mode, *path;
  int64_t size, retries;
  double ratio;
  bool enabled;
  const pk_value *tags;
} item;

static pk_status item_factory(const pk_instance_args *a, void **out,
                              pk_error *err)
{
  item *it = malloc(sizeof *it);
  if (!it)
    return PK_ENOMEM;
  const pk_config *c = a->config;
  pk_status st;
  if ((st = pk_config_get_string(c, "name", &it->name, NULL, err)) ||
      (st = pk_config_get_integer(c, "size", &it->size, err)) ||
      (st = pk_config_get_float(c, "ratio", &it->ratio, err)) ||
      (st = pk_config_get_bool(c, "enabled", &it->enabled, err)) ||
      (st = pk_config_get_string(c, "mode", &it->mode, NULL, err)) ||
      (st = pk_config_get_array(c, "tags", &it->tags, err)) ||
      (st = pk_config_get_string_or(c, "path", NULL, &it->path,
                                    err)) ||
      (st = pk_config_get_integer(c, "retries", &it->retries, err))) {
    free(it);
    return st;
  }
  *out = it;
  return PK_OK;
}

static void item_destroy(void *data, void *inst)
{
  (void)data;
  free(inst);
}

static pk_host *items_host(void)
{
  pk_host *h;
  pk_error e;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  if (pk_host_new(&o, &h, &e) != PK_OK ||
      pk_host_declare_kind(h, "item", 1, "items", "item", &e) != PK_OK)
    die("host", &e);
  pk_type_options t = {.size = sizeof t, .kind = "item", .tag = "item",
                       .schema_toml = item_schema, .factory = item_factory,
                       .destroy = item_destroy};
  if (pk_host_add_type(h, &t, &e) != PK_OK)
    die("add_type", &e);
  return h;
}

static int instantiate(const char *file, const char *nlabel)
{
  int n = atoi(nlabel), reps = bench_reps(5);
  size_t len;
  char *text = bench_slurp(file, &len);
  double *tp = calloc((size_t)reps, sizeof *tp);
  double *ti = calloc((size_t)reps, sizeof *ti);
  double *tl = calloc((size_t)reps, sizeof *tl);
  /* the names, made before the clock runs: it times the lookups */
  char(*names)[16] = calloc((size_t)n, sizeof *names);
  for (int i = 0; i < n; i++)
    snprintf(names[i], sizeof names[i], "i%05d", i);
  for (int r = -1; r < reps; r++) {
    pk_doc *doc;
    pk_error e;
    double t0 = bench_now_s();
    if (pk_doc_parse(text, len, file, NULL, &doc, &e) != PK_OK)
      die("parse", &e);
    pk_doc_free(doc);
    double t1 = bench_now_s();
    pk_host *h = items_host();
    double t2 = bench_now_s();
    if (pk_host_load_config_text(h, text, len, file, NULL, &e) != PK_OK)
      die("load_config", &e);
    double t3 = bench_now_s();
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
      void *obj;
      if (pk_host_get_instance(h, "item", names[i], &obj, &e) != PK_OK)
        die("get_instance", &e);
      sum += ((item *)obj)->size;
    }
    double t4 = bench_now_s();
    if (sum != (int64_t)n * (n - 1) / 2) {
      fprintf(stderr, "config_bench: wrong sum %lld\n", (long long)sum);
      return 1;
    }
    pk_host_free(h);
    if (r >= 0) {
      tp[r] = t1 - t0;
      tl[r] = t3 - t2;
      ti[r] = t4 - t3;
    }
  }
  double parse = bench_median(tp, reps) * 1e3;
  double inst = bench_median(ti, reps) * 1e3;
  double load = bench_median(tl, reps) * 1e3;
  printf("p9.pk.parse %s %.4f ms\n", nlabel, parse);
  printf("p9.pk.instantiate %s %.4f ms\n", nlabel, inst);
  printf("p9.pk.load_config %s %.4f ms\n", nlabel, load);
  printf("# p9 instantiate/parse %.2f; (load_config - parse + instantiate)"
         "/parse %.2f (%zu bytes)\n",
         inst / parse, (load - parse + inst) / parse, len);
  free(tp);
  free(ti);
  free(tl);
  free(names);
  free(text);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "startup"))
    return startup(argv[2], argv[3], argc >= 5 ? argv[4] : NULL,
                   argc == 6 && !strcmp(argv[5], "first"));
  if (argc == 4 && !strcmp(argv[1], "instantiate"))
    return instantiate(argv[2], argv[3]);
  fprintf(stderr,
          "usage: %s startup DIR N [CACHE [first]] | instantiate FILE N\n",
          argv[0]);
  return 2;
}
