/* plugins.c -- benchmarks of issue 3, printed in the peers' format
 * "name N value unit" (median of BENCH_REPS after one warm-up).
 *
 *   plugins discover W1DIR N [CACHE]
 *                                p1.pk.discover: pk_host_new + scan + parse +
 *                                validate W1DIR/plugins (pk_host_free is
 *                                p1.pk.host_free); with CACHE,
 *                                p1.pk.discover_cached: the same with the
 *                                metadata cache file CACHE, written by the
 *                                untimed warm-up, serving every manifest;
 *                                with BENCH_FRESH=1 (names _fresh), each
 *                                start in a process of its own (a fork of
 *                                this one, which runs no host), as a host
 *                                starts: no heap left by the last start
 *   plugins stat W1DIR N         p1.c.stat_floor: one stat() of each path
 *                                of W1DIR/manifests.list, as the peer's
 *                                p1.c.limit_stat; with BENCH_FRESH=1
 *                                (p1.c.stat_floor_fresh) each pass in a
 *                                process of its own, as the cached
 *                                discovery's fresh starts: what such a
 *                                process costs by itself (its first
 *                                calls' bindings, its stack, the pages
 *                                fork left shared)
 *   plugins readdir W1DIR N      p1.c.readdir_floor: readdir W1DIR/plugins,
 *                                openat+read+close each <entry>/plugin.toml,
 *                                as the peer's p1.c.limit_readdir_read;
 *                                with BENCH_FRESH=1 (_fresh) each pass in
 *                                a process of its own
 *   plugins order GRAPH N        p5.pk.order: W5 names -> graph nodes and
 *                                edges, cycle check, the seed's layering
 *   plugins register N [HOOKS%]  p6.pk.register: N built-in plugins in a
 *                                random DAG (each plugin requires 0 to 3
 *                                lower-numbered ones), HOOKS% (default 50)
 *                                of the requirements added by register
 *                                hooks; import+resolve+post
 *   plugins register N seed      p6.pk.register_seed: the seed's shape
 *                                instead (addons-spec section 2.0): the
 *                                black and green packages' graph, N / 20
 *                                copies of its 20 plugins in two
 *                                namespaces, decorator extras as manifest
 *                                requirements and returned extras added
 *                                by the register hook
 *                                (register: with BENCH_FRESH=1, names
 *                                _fresh, each start in a process of its
 *                                own; the stage's page faults on stderr)
 *   plugins load DIR N           p2.pk.load_init: register N real shared
 *                                objects (dlopen, descriptor checks, register
 *                                hook = init); one measurement per process
 * A multi-threaded measurement (discover) run on one CPU only (taskset -c
 * 0) prints its names with the suffix _1cpu.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* bench.h: sched_getaffinity */
#include <plugkit.h>

#include "bench.h"
#include <plugkit/plugin.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stages.h"

static void die(const char *what, const pk_error *e)
{
  char buf[2048];
  pk_error_format(e, buf, sizeof buf);
  fprintf(stderr, "%s: %s\n", what, buf);
  exit(1);
}

/* ---- discover ---- */

typedef struct discover_run {
  const char *path, *cache;
  size_t want;   /* the plugins it must find */
  double t_free; /* out: the pk_host_free */
} discover_run;

/* One start, timed: pk_host_new + add_path + discover; the free is timed
 * apart (d->t_free). */
static double discover_once(void *ud)
{
  discover_run *d = ud;
  pk_host_options o = {
      .size = sizeof o, .ignore_env = true, .cache_path = d->cache};
  pk_host *h;
  pk_error e;
  double t0 = bench_now_s();
  if (pk_host_new(&o, &h, &e) || pk_host_add_path(h, d->path, &e) ||
      pk_host_discover(h, &e))
    die("discover", &e);
  double t1 = bench_now_s();
  size_t found = pk_host_plugin_count(h);
  pk_host_free(h);
  d->t_free = bench_now_s() - t1;
  if (found != d->want) {
    fprintf(stderr, "found %zu plugins, expected %zu\n", found, d->want);
    exit(1);
  }
  return t1 - t0;
}

static int bench_discover(const char *w1, const char *nlabel, const char *cache)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/plugins", w1);
  int r = bench_reps(5);
  double *t = malloc((size_t)r * sizeof *t), *tf = malloc((size_t)r * sizeof *tf);
  discover_run d = {.path = path, .cache = cache, .want = (size_t)atol(nlabel)};
  if (cache)
    unlink(cache); /* the warm-up writes it */
  for (int i = -1; i < r; i++) {
    double tn = bench_start(discover_once, &d);
    if (i >= 0) {
      t[i] = tn;
      tf[i] = d.t_free;
    }
  }
  const char *sfx = bench_cpu_suffix();
  printf("p1.pk.discover%s%s%s %s %.6g ms\n", cache ? "_cached" : "",
         bench_fresh_suffix(), sfx, nlabel, bench_median(t, r) * 1e3);
  if (!cache && !bench_fresh()) /* a child's t_free stays there */
    printf("p1.pk.host_free%s %s %.6g ms\n", sfx, nlabel,
           bench_median(tf, r) * 1e3);
  free(t);
  free(tf);
  return 0;
}

/* ---- the stat floor, also in a process of its own ---- */

typedef struct stat_run {
  char **paths;
  size_t n;
} stat_run;

static double stat_once(void *ud)
{
  const stat_run *s = ud;
  struct stat sb;
  double t0 = bench_now_s();
  for (size_t i = 0; i < s->n; i++)
    if (stat(s->paths[i], &sb) != 0) {
      perror(s->paths[i]);
      exit(2);
    }
  return bench_now_s() - t0;
}

static double readdir_once(void *ud)
{
  const char *dir = ud;
  char buf[4096]; /* a page: manifests are a few hundred bytes */
  double t0 = bench_now_s();
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    exit(2);
  }
  char rel[512];
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(rel, sizeof rel, "%s/plugin.toml", e->d_name);
    int fd = openat(dirfd(d), rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    while (read(fd, buf, sizeof buf) > 0)
      ;
    close(fd);
  }
  closedir(d);
  return bench_now_s() - t0;
}

/* readdir_once or stat_once, BENCH_REPS times after a warm-up, each in a
 * process of its own with BENCH_FRESH=1. */
static int bench_floor(const char *name, double (*fn)(void *), void *ud,
                       const char *nlabel)
{
  int r = bench_reps(5);
  double *t = malloc((size_t)r * sizeof *t);
  for (int i = -1; i < r; i++) {
    double tn = bench_start(fn, ud);
    if (i >= 0)
      t[i] = tn;
  }
  printf("p1.c.%s%s%s %s %.6g ms\n", name, bench_fresh_suffix(),
         bench_cpu_suffix(), nlabel, bench_median(t, r) * 1e3);
  free(t);
  return 0;
}

static int bench_readdir(const char *w1, const char *nlabel)
{
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/plugins", w1);
  return bench_floor("readdir_floor", readdir_once, dir, nlabel);
}

static int bench_stat(const char *w1, const char *nlabel)
{
  char list[4096];
  snprintf(list, sizeof list, "%s/manifests.list", w1);
  size_t len, cap = 1024;
  char *text = bench_slurp(list, &len);
  stat_run s = {malloc(cap * sizeof *s.paths), 0};
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (s.n == cap)
      s.paths = realloc(s.paths, (cap *= 2) * sizeof *s.paths);
    size_t need = strlen(w1) + strlen(line) + 2;
    s.paths[s.n] = malloc(need);
    snprintf(s.paths[s.n++], need, "%s/%s", w1, line);
  }
  bench_floor("stat_floor", stat_once, &s, nlabel);
  for (size_t i = 0; i < s.n; i++)
    free(s.paths[i]);
  free(s.paths);
  free(text);
  return 0;
}

/* ---- order ---- */

typedef struct graph_file {
  size_t n, m;
  char **names;       /* node names ("bench\x01" + name) */
  size_t *dep_start;  /* per node, into deps */
  char **deps;        /* dependency names, keys like names */
} graph_file;

static void read_graph(const char *path, graph_file *g)
{
  size_t len;
  char *text = bench_slurp(path, &len);
  size_t lines = 0, toks = 0;
  for (char *p = text; *p; p++)
    lines += *p == '\n';
  toks = len; /* upper bound */
  char *pool = malloc(len * 5 + 64); /* every key plus its 6-byte prefix */
  size_t used = 0;
  g->names = malloc((lines + 1) * sizeof *g->names);
  g->dep_start = malloc((lines + 2) * sizeof *g->dep_start);
  g->deps = malloc((toks / 2 + 1) * sizeof *g->deps);
  g->n = g->m = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#' || !line[0])
      continue;
    g->dep_start[g->n] = g->m;
    int first = 1;
    for (char *tok = line, *end; *tok; tok = end) {
      while (*tok == ' ')
        tok++;
      if (!*tok)
        break;
      end = tok + strcspn(tok, " ");
      size_t l = (size_t)(end - tok);
      /* keys packed in one buffer, like the tokens p5_kahn reads */
      char *key = pool + used;
      used += l + 7;
      memcpy(key, "bench\x01", 6);
      memcpy(key + 6, tok, l);
      key[l + 6] = '\0';
      if (first)
        g->names[g->n] = key;
      else
        g->deps[g->m++] = key;
      first = 0;
    }
    g->n++;
  }
  g->dep_start[g->n] = g->m;
}

static int bench_order(const char *path, const char *nlabel)
{
  graph_file gf;
  read_graph(path, &gf);
  int r = bench_reps(5);
  double *t = malloc((size_t)r * sizeof *t);
  size_t layers = 0;
  /* Memory is set up once, outside the timed region, as p5_kahn does. */
  pk__map map = {0};
  pk__graph *g = pk__graph_new(NULL);
  if (!g || pk__map_reserve(NULL, &map, gf.n) ||
      pk__graph_reserve(g, gf.n, gf.m))
    return 1;
  for (int i = -1; i < r; i++) {
    pk__graph_clear(g);
    pk__map_clear(&map);
    double t0 = bench_now_s();
    uint32_t id;
    for (size_t v = 0; v < gf.n; v++) {
      /* as discovery fills its map of ids from its list of plugins */
      if (v + PK__MAP_AHEAD < gf.n && pk__map_is_large(&map))
        pk__map_prefetch(&map, gf.names[v + PK__MAP_AHEAD],
                         strlen(gf.names[v + PK__MAP_AHEAD]));
      if (pk__graph_add_node(g, gf.names[v], &id) ||
          pk__map_put(NULL, &map, gf.names[v], strlen(gf.names[v]),
                      (void *)(uintptr_t)(id + 1)))
        return 1;
    }
    for (size_t v = 0; v < gf.n; v++)
      for (size_t e = gf.dep_start[v]; e < gf.dep_start[v + 1]; e++) {
        uintptr_t d = (uintptr_t)pk__map_get(&map, gf.deps[e],
                                             strlen(gf.deps[e]));
        if (!d || pk__graph_add_edge(g, (uint32_t)v, (uint32_t)(d - 1)))
          return 1;
      }
    if (pk__graph_commit(g) || pk__graph_layering(g))
      return 1;
    pk__graph_layer_starts(g, &layers);
    if (i >= 0)
      t[i] = bench_now_s() - t0;
  }
  printf("p5.pk.order %s %.6g ms\n", nlabel, bench_median(t, r) * 1e3);
  /* The same from dependencies already resolved to node numbers (as the
   * host has them: requirements are looked up when they are imported),
   * beside p5.c.kahn_int. */
  uint32_t *dep_idx = malloc((gf.m + 1) * sizeof *dep_idx);
  for (size_t e = 0; e < gf.m; e++) /* map holds the names from above */
    dep_idx[e] = (uint32_t)(uintptr_t)pk__map_get(&map, gf.deps[e],
                                                  strlen(gf.deps[e])) - 1;
  for (int i = -1; i < r; i++) {
    pk__graph_clear(g);
    double t0 = bench_now_s();
    uint32_t id;
    for (size_t v = 0; v < gf.n; v++)
      if (pk__graph_add_node(g, gf.names[v], &id))
        return 1;
    for (size_t v = 0; v < gf.n; v++)
      for (size_t e = gf.dep_start[v]; e < gf.dep_start[v + 1]; e++)
        if (pk__graph_add_edge(g, (uint32_t)v, dep_idx[e]))
          return 1;
    if (pk__graph_commit(g) || pk__graph_layering(g))
      return 1;
    if (i >= 0)
      t[i] = bench_now_s() - t0;
  }
  printf("p5.pk.order_ids %s %.6g ms\n", nlabel, bench_median(t, r) * 1e3);
  free(dep_idx);
  pk__graph_free(g);
  pk__map_free(NULL, &map);
  fprintf(stderr, "# order %s: %zu layers\n", nlabel, layers);
  free(t);
  return 0;
}

/* ---- register (built-in plugins) ---- */

typedef struct reg_bench {
  size_t n;
  bool seed; /* the seed's shape: names "black:s000001" */
  char (*names)[24];
  char (*hook_reqs)[3][24]; /* requirements added by the register hook */
  int *nhook;
  pk_plugin_desc *descs;
  char **manifests;
  long registered;
} reg_bench;

static int reg_hook(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  reg_bench *b = ud;
  const char *id = api->plugin_name(ctx); /* "ns:pNNNNNN" or "ns:sNNNNNN" */
  size_t i = (size_t)atol(strchr(id, ':') + 2) - 1;
  for (int k = 0; k < b->nhook[i]; k++)
    if (api->require(ctx, b->hook_reqs[i][k]))
      return 1;
  b->registered++;
  return 0;
}

/* The arrays of n plugins, named PREFIX000001, ... */
static void alloc_reg_bench(reg_bench *b, size_t n, char prefix)
{
  b->n = n;
  b->names = calloc(n, sizeof *b->names);
  b->hook_reqs = calloc(n, sizeof *b->hook_reqs);
  b->nhook = calloc(n, sizeof *b->nhook);
  b->descs = calloc(n, sizeof *b->descs);
  b->manifests = calloc(n, sizeof *b->manifests);
  for (size_t i = 0; i < n; i++)
    snprintf(b->names[i], sizeof b->names[i], "%c%06zu", prefix, i + 1);
}

static void make_reg_bench(reg_bench *b, size_t n, int hook_pct)
{
  alloc_reg_bench(b, n, 'p');
  unsigned long long seed = 20261122;
  for (size_t i = 0; i < n; i++) {
    b->descs[i] = (pk_plugin_desc){PK_PLUGIN_ABI, sizeof(pk_plugin_desc),
                                   "bench", b->names[i], 1, 0, reg_hook,
                                   NULL, NULL};
  }
  for (size_t i = 0; i < n; i++) {
    char req[200] = "";
    size_t used = 0;
    int ndeps = i ? (int)((seed = seed * 6364136223846793005ULL + 1) >> 33) % 4
                  : 0;
    for (int k = 0; k < ndeps; k++) {
      seed = seed * 6364136223846793005ULL + 1;
      size_t d = (size_t)(seed >> 33) % i; /* a lower-numbered plugin */
      seed = seed * 6364136223846793005ULL + 1;
      if ((int)((seed >> 33) % 100) < hook_pct)
        snprintf(b->hook_reqs[i][b->nhook[i]++], 24, "%s", b->names[d]);
      else
        used += (size_t)snprintf(req + used, sizeof req - used, "%s\"%s\"",
                                 used ? ", " : "", b->names[d]);
    }
    char text[512];
    snprintf(text, sizeof text,
             "name = \"%s\"\nnamespace = \"bench\"\nversion = \"1.0.0\"\n"
             "requires = [%s]\n",
             b->names[i], req);
    b->manifests[i] = strdup(text);
  }
}

/* The seed's fixture graph (addons-spec 2.0: black.addons and
 * green.addons) by plugin number within a copy of 20, counted from 1: 1..10
 * black one..ten, 11..20 green one..ten; 0 ends a list.  dec: decorator
 * extras (manifest requirements), ret: returned extras (added by the
 * register hook). */
static const struct {
  int dec[2], ret[2];
} seed_graph[20] = {
    [0] = {{13, 15}, {7, 0}},   /* black one: green three, five; black seven */
    [1] = {{6, 0}, {0, 0}},     /* black two: black six */
    [5] = {{0, 0}, {4, 0}},     /* black six: returns black four */
    [6] = {{8, 0}, {0, 0}},     /* black seven: black eight */
    [9] = {{0, 0}, {5, 0}},     /* black ten: returns black five */
    [12] = {{3, 19}, {14, 20}}, /* green three: black three, green nine;
                                   returns green four, ten */
    [13] = {{0, 0}, {10, 0}},   /* green four: returns black ten */
    [16] = {{8, 0}, {0, 0}},    /* green seven: black eight */
    [18] = {{17, 0}, {14, 0}}   /* green nine: green seven; returns four */
};

static void make_seed_bench(reg_bench *b, size_t n)
{
  n -= n % 20;
  alloc_reg_bench(b, n, 's');
  b->seed = true;
  for (size_t i = 0; i < n; i++) {
    size_t base = i - i % 20;
    int j = (int)(i % 20);
    const char *ns = j < 10 ? "black" : "green";
    b->descs[i] = (pk_plugin_desc){PK_PLUGIN_ABI,
                                   sizeof(pk_plugin_desc),
                                   ns,
                                   b->names[i],
                                   1,
                                   0,
                                   reg_hook,
                                   NULL,
                                   NULL};
    char req[200] = "";
    size_t used = 0;
    for (int k = 0; k < 2; k++) {
      int d = seed_graph[j].dec[k] - 1, rd = seed_graph[j].ret[k] - 1;
      if (d >= 0)
        used += (size_t)snprintf(req + used, sizeof req - used, "%s\"%s:%s\"",
                                 used ? ", " : "", d < 10 ? "black" : "green",
                                 b->names[base + (size_t)d]);
      if (rd >= 0)
        snprintf(b->hook_reqs[i][b->nhook[i]++], 24, "%s:%s",
                 rd < 10 ? "black" : "green", b->names[base + (size_t)rd]);
    }
    char text[512];
    snprintf(text, sizeof text,
             "name = \"%s\"\nnamespace = \"%s\"\nversion = \"1.0.0\"\n"
             "requires = [%s]\n",
             b->names[i], ns, req);
    b->manifests[i] = strdup(text);
  }
}

/* One start, its stage timed: pk_host_new, the N built-in plugins and
 * discovery (t0..t1), then pk_host_register (t1..t2, the returned
 * seconds); r->total is t0..t2, r->faults the page faults (ru_minflt)
 * of t1..t2.  In a shared mapping under BENCH_FRESH=1, so that a child
 * hands them back. */
typedef struct reg_run {
  reg_bench *b;
  double total;
  long faults;
} reg_run;

static long minor_faults(void)
{
  struct rusage u;
  return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_minflt : 0;
}

static double register_once(void *ud)
{
  reg_run *r = ud;
  reg_bench *b = r->b;
  size_t n = b->n;
  pk_host_options o = {.size = sizeof o, .userdata = b, .ignore_env = true};
  pk_host *h;
  pk_error e;
  b->registered = 0;
  double t0 = bench_now_s();
  if (pk_host_new(&o, &h, &e) ||
      pk_host_add_namespace(h, b->seed ? "black" : "bench", 1, &e) ||
      (b->seed && pk_host_add_namespace(h, "green", 1, &e)))
    die("host", &e);
  for (size_t k = 0; k < n; k++)
    if (pk_host_add_builtin(h, &b->descs[k], b->manifests[k], &e))
      die("builtin", &e);
  if (pk_host_discover(h, &e))
    die("discover", &e);
  const char *all[] = {"bench:__all__"};
  const char *all_seed[] = {"black:__all__", "green:__all__"};
  long f1 = minor_faults();
  double t1 = bench_now_s();
  if (pk_host_register(h, b->seed ? all_seed : all, b->seed ? 2 : 1, NULL, 0,
                       &e))
    die("register", &e);
  double t2 = bench_now_s();
  r->faults = minor_faults() - f1;
  pk_host_free(h);
  if (b->registered != (long)n) {
    fprintf(stderr, "registered %ld of %zu\n", b->registered, n);
    exit(1);
  }
  r->total = t2 - t0;
  return t2 - t1;
}

static int cmp_long(const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static int bench_register(size_t n, int hook_pct, bool seed)
{
  reg_bench b = {0};
  if (seed)
    make_seed_bench(&b, n);
  else
    make_reg_bench(&b, n, hook_pct);
  n = b.n;
  int r = bench_reps(5), fresh = bench_fresh();
  double *total = malloc((size_t)r * sizeof *total);
  double *stages = malloc((size_t)r * sizeof *stages);
  long *faults = malloc((size_t)r * sizeof *faults);
  reg_run *run = fresh ? mmap(NULL, sizeof *run, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0)
                       : calloc(1, sizeof *run);
  if (!total || !stages || !faults || !run || run == MAP_FAILED)
    return 1;
  run->b = &b;
  for (int i = -1; i < r; i++) {
    double t = bench_start(register_once, run);
    if (i >= 0) {
      total[i] = run->total;
      stages[i] = t;
      faults[i] = run->faults;
    }
  }
  const char *shape = seed ? "_seed" : "", *sfx = bench_fresh_suffix();
  printf("p6.pk.register%s%s %zu %.6g ms\n", shape, sfx, n,
         bench_median(stages, r) * 1e3);
  printf("p6.pk.register%s_with_manifests%s %zu %.6g ms\n", shape, sfx, n,
         bench_median(total, r) * 1e3);
  qsort(faults, (size_t)r, sizeof *faults, cmp_long);
  fprintf(stderr,
          "# register%s%s %zu: %ld page faults in the stage "
          "(median; %ld to %ld)\n",
          shape, sfx, n, faults[r / 2], faults[0], faults[r - 1]);
  free(total);
  free(stages);
  free(faults);
  if (fresh)
    munmap(run, sizeof *run);
  else
    free(run);
  return 0;
}

/* ---- load (real shared objects, one measurement per process) ---- */

static int bench_load(const char *dir, const char *nlabel)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  char path[4096];
  snprintf(path, sizeof path, "%s/plugins", dir);
  if (pk_host_new(&o, &h, &e) || pk_host_add_namespace(h, "bench", 1, &e) ||
      pk_host_add_path(h, path, &e) || pk_host_discover(h, &e))
    die("host", &e);
  const char *all[] = {"bench:__all__"};
  double t0 = bench_now_s();
  if (pk_host_register(h, all, 1, NULL, 0, &e))
    die("register", &e);
  double t1 = bench_now_s();
  size_t n = pk_host_plugin_count(h);
  pk_host_free(h);
  double t2 = bench_now_s();
  printf("p2.pk.load_init %s %.6g us\n", nlabel, (t1 - t0) * 1e6 / (double)n);
  printf("p2.pk.unload %s %.6g us\n", nlabel, (t2 - t1) * 1e6 / (double)n);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc >= 4 && !strcmp(argv[1], "discover"))
    return bench_discover(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
  if (argc >= 4 && !strcmp(argv[1], "stat"))
    return bench_stat(argv[2], argv[3]);
  if (argc >= 4 && !strcmp(argv[1], "readdir"))
    return bench_readdir(argv[2], argv[3]);
  if (argc >= 4 && !strcmp(argv[1], "order"))
    return bench_order(argv[2], argv[3]);
  if (argc >= 3 && !strcmp(argv[1], "register"))
    return bench_register((size_t)atol(argv[2]), argc > 3 ? atoi(argv[3]) : 50,
                          argc > 3 && !strcmp(argv[3], "seed"));
  if (argc >= 4 && !strcmp(argv[1], "load"))
    return bench_load(argv[2], argv[3]);
  fprintf(stderr, "usage: plugins discover W1DIR N [CACHE] | stat W1DIR N "
                  "| readdir W1DIR N | order GRAPH N "
                  "| register N [HOOK%% | seed] | load DIR N\n");
  return 2;
}
