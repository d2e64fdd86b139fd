/* graph.c -- the cinclude plugin's `cinclude-graph` factory (the analog of
 * qik pygraph's lock): a command
 *   [commands.graph]  factory = "cinclude-graph"     (the plugin's own)
 * gets one runnable per module of the project, ALIAS/graph#MODULE, run in
 * process (a function of this plugin on a worker thread, no shell): it
 * follows the #include "..." lines of every .c file under the module's
 * directory, transitively, and writes DIR/MODULE.lock, one line per file
 * sorted by path with the XXH3-128 of its bytes (or "missing").  Its
 * inputs are the module's .c files and every header of the project; the
 * lock is its artifact.  A command per module depending on it
 *   deps = [{ type = "command", name = "cinclude/graph", strict = true }]
 * gets its own module's runnable as a strict upstream and, through its
 * artifact, the lock in its hash: a header one of the module's sources
 * includes changes it, another does not.
 * Thread contract (runner_api.h): graph_run keeps to its arguments and its
 * own allocations; two modules' runnables run at once.
 * SPDX-License-Identifier: MIT */
#define XXH_INLINE_ALL
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <plugkit/plugin.h>

#include "graph.h"
#include "includes.h"
#include "plugin_util.h"
#include "runner_api.h"

/* One module's runnable, and what its strings point to. */
typedef struct graph_one {
  char *suffix, *module, *dir, *lock;
  char *globs[2];
  const char *globv[3];
  const char *artv[2];
} graph_one;

typedef struct graph {
  runner_factory f;        /* what the runner sees */
  runner_runnable *defs;
  graph_one *ones;
  size_t n;
} graph;

/* Adds the .c files under dir (not .git or .runner, not through links)
 * to s: 0, or -1 out of memory. */
static int sources(incs *s, const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d))) {
    const char *n = de->d_name;
    if (n[0] == '.' && (!n[1] || !strcmp(n, "..") || !strcmp(n, ".git") ||
                        !strcmp(n, ".runner")))
      continue;
    char *path = plugin_printf("%s/%s", dir, n);
    struct stat st;
    size_t len = strlen(n);
    if (!path)
      rc = -1;
    else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
      rc = sources(s, path);
    else if (S_ISREG(st.st_mode) && len > 2 && !strcmp(n + len - 2, ".c"))
      rc = incs_add(s, incs_join("", 0, path, strlen(path))) < 0 ? -1 : 0;
    free(path);
  }
  closedir(d);
  return rc;
}

/* mkdir -p of path's directory. */
static void make_parents(char *path)
{
  for (char *s = path + 1; (s = strchr(s, '/')) != NULL; s++) {
    *s = 0;
    mkdir(path, 0777);
    *s = '/';
  }
}

static void say(const runner_call *call, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void say(const runner_call *call, const char *fmt, ...)
{
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (n > 0)
    call->write(call, text, (size_t)n < sizeof text ? (size_t)n
                                                    : sizeof text - 1);
}

/* The in-process runnable: the module's lock. */
static int graph_run(void *self, const runner_call *call)
{
  const graph_one *g = self;
  incs set = {0};
  char *tmp = NULL;
  size_t len, nsrc;
  int rc = 1;
  FILE *out = NULL;
  if (sources(&set, g->dir) != 0)
    goto oom;
  incs_sort(&set);
  nsrc = set.n;
  /* every file once: what it includes is queued after it */
  for (size_t i = 0; i < set.n && !call->stopped(call); i++) {
    char *data;
    if (incs_read(set.paths[i], &data, &len) != 0)
      continue;
    int e = incs_scan(&set, set.paths[i], data, len);
    free(data);
    if (e != 0)
      goto oom;
  }
  if (call->stopped(call))
    goto done;
  incs_sort(&set);
  tmp = plugin_printf("%s.tmp.%ld.%d", g->lock, (long)getpid(), call->worker);
  if (!tmp)
    goto oom;
  make_parents(tmp);
  out = fopen(tmp, "w");
  for (size_t i = 0; out && i < set.n; i++) {
    char *data;
    if (incs_read(set.paths[i], &data, &len) != 0) {
      fprintf(out, "%s missing\n", set.paths[i]);
      continue;
    }
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
    free(data);
    fprintf(out, "%s ", set.paths[i]);
    for (size_t b = 0; b < sizeof c.digest; b++)
      fprintf(out, "%02x", c.digest[b]);
    fputc('\n', out);
  }
  if (!out || fclose(out) != 0 || rename(tmp, g->lock) != 0) {
    say(call, "%s: cannot write %s: %s\n", call->runnable, g->lock,
        strerror(errno));
    unlink(tmp);
    goto done;
  }
  say(call, "%s: %zu files (%zu sources) in %s\n", g->module, set.n, nsrc,
      g->lock);
  rc = 0;
  goto done;
oom:
  say(call, "%s: out of memory\n", call->runnable);
done:
  free(tmp);
  incs_free(&set);
  return rc;
}

static void graph_destroy(void *data, void *inst)
{
  graph *g = inst;
  (void)data;
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++) {
    graph_one *o = &g->ones[i];
    free(o->suffix);
    free(o->module);
    free(o->dir);
    free(o->lock);
    free(o->globs[0]);
    free(o->globs[1]);
  }
  free(g->ones);
  free(g->defs);
  free(g);
}

int graph_factory(const pk_type_call *call, void **out)
{
  const graph_conf *cf = call->config;
  const runner_host *host = call->host_userdata;
  const char *dir = cf->dir && cf->dir[0] ? cf->dir : ".runner/cinclude/graph";
  graph *g = calloc(1, sizeof *g);
  size_t n = host->size >= sizeof *host ? host->nmodules : 0;
  if (g) {
    g->ones = calloc(n ? n : 1, sizeof *g->ones);
    g->defs = calloc(n ? n : 1, sizeof *g->defs);
  }
  if (!g || !g->ones || !g->defs) {
    graph_destroy(NULL, g);
    snprintf(call->error, call->error_size, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    const runner_module *m = &host->modules[i];
    graph_one *o = &g->ones[g->n++];
    o->suffix = plugin_printf("#%s", m->name);
    o->module = plugin_printf("%s", m->name);
    o->dir = plugin_printf("%s", m->dir);
    o->lock = plugin_printf("%s/%s.lock", dir, m->name);
    o->globs[0] = plugin_printf("%s/**/*.c", m->dir);
    o->globs[1] = plugin_printf("**/*.h");
    if (!o->suffix || !o->module || !o->dir || !o->lock || !o->globs[0] ||
        !o->globs[1]) {
      graph_destroy(NULL, g);
      snprintf(call->error, call->error_size, "out of memory");
      return -1;
    }
    o->globv[0] = o->globs[0];
    o->globv[1] = o->globs[1];
    o->artv[0] = o->lock;
    g->defs[i] = (runner_runnable){.suffix = o->suffix, .module = o->module,
                                   .run = graph_run, .self = o,
                                   .constant = "cinclude-graph 1",
                                   .globs = o->globv, .artifacts = o->artv};
  }
  g->f.size = sizeof g->f;
  g->f.runnables = g->defs;
  g->f.nrunnables = g->n;
  *out = g;
  return 0;
}

void graph_free(void *data, void *inst) { graph_destroy(data, inst); }
