/* test_types.c -- kinds, types, host config, instances, fragments and lazy
 * plugins (issue 4 points 1, 2, 4, 5, 8, 9; qik-spec 8 items 1, 5, 7, 9,
 * 11-14, 24, 30-36, 42, 47-50).  Real fixture plugins (fixtures/types),
 * real config files; every config error asserts file, line and column.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plugkit.h>
#include <plugkit/plugin.h>

#include "counting_alloc.h"
#include "registries.h"
#include "test_util.h"
#include "types_fixture.h"

static char cfg_path[256];

static const char *write_config(const char *text)
{
  snprintf(cfg_path, sizeof cfg_path, "/tmp/pk_types_%d_XXXXXX", getpid());
  int fd = mkstemp(cfg_path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return cfg_path;
}

/* Loads TEXT, written to a config file, into h: it must load. */
static void load_config_ok(pk_host *h, const char *text)
{
  pk_error err;
  cr_assert_eq(pk_host_load_config(h, write_config(text), NULL, &err), PK_OK,
               "%s", err.message);
  unlink(cfg_path);
}

typedef struct local_cache {
  char text[128];
} local_cache;

static int destroyed_order[8];
static int ndestroyed;

static pk_status local_factory(const pk_instance_args *a, void **out,
                               pk_error *err)
{
  (void)err;
  local_cache *c = calloc(1, sizeof *c);
  const char *dir = NULL;
  pk_config_get_string(a->config, "dir", &dir, NULL, NULL);
  snprintf(c->text, sizeof c->text, "local:%s", dir ? dir : "?");
  *out = c;
  return PK_OK;
}

static void local_destroy(void *data, void *inst)
{
  (void)data;
  if (ndestroyed < 8)
    destroyed_order[ndestroyed++] = 1;
  free(inst);
}

/* A host of the types fixture with options o (size and ignore_env set
 * here), the built-in cache type "local" added. */
static pk_host *new_host_with(pk_host_options o)
{
  pk_host *h;
  pk_error err;
  o.size = sizeof o;
  o.ignore_env = true;
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_load_description(h, HOST_TOML, &err), PK_OK, "%s",
               err.message);
  cr_assert_eq(pk_host_add_path(h, TY, &err), PK_OK);
  pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                       .schema_toml = LOCAL_SCHEMA,
                       .factory = local_factory, .destroy = local_destroy};
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
  return h;
}

static pk_host *new_host(void) { return new_host_with((pk_host_options){0}); }

static const char *good =
    "[plugins]\n"
    "files = \"runner:cmds\"\n"
    "[plugins.remote]\n"
    "plugin = \"runner:s3\"\n"
    "region = \"eu-west-1\"\n"
    "retries = 5\n"
    "[defaults]\n"
    "prefix = \"from-defaults\"\n"
    "[caches.main]\n"
    "dir = \"/tmp/main\"\n"
    "[caches.shared]\n"
    "type = \"s3\"\n"
    "bucket = \"b1\"\n"
    "dir = \"/tmp/shared\"\n"
    "endpoint-url = \"http://{ctx.host}\"\n";

/* A type keeps what its code gives in a union, a built-in's or a
 * plugin's: the types a config declares from plugins' manifests (100 in a
 * P8 start, most never used) take 136 bytes each before their names, not
 * 192 (fewer fresh pages in a new process). */
Test(types, a_type_keeps_a_builtins_or_a_plugins_code_in_one_place)
{
  cr_expect_leq(sizeof(pk__type), 136);
  cr_expect_eq(offsetof(pk__type, doc), offsetof(pk__type, pfactory));
}

Test(types, config_instances_layering_lazy)
{
  pk_host *h = new_host();
  pk_error err;
  pk_ctx *ctx;
  cr_assert_eq(pk_ctx_new(NULL, &ctx, NULL), PK_OK);
  pk_ctx_set(ctx, "host", "minio:9000", NULL);
  pk_host_set_ctx(h, ctx);
  cr_assert_eq(pk_host_load_config(h, write_config(good), NULL, &err), PK_OK,
               "%s:%d:%d: %s", err.source, err.line, err.col, err.message);
  unlink(cfg_path);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  /* lazy: known, not dlopened (item 82/83) */
  cr_assert_not(s3_loaded());
  pk_plugin *s3 = pk_host_find_alias(h, "remote");
  cr_assert_not_null(s3);
  cr_assert_str_eq(pk_plugin_get_id(s3), "runner:s3");
  cr_assert_str_eq(pk_plugin_get_alias(s3), "remote");
  const char *region;
  cr_assert_eq(pk_config_get_string(pk_plugin_get_config(s3), "region",
                                    &region, NULL, NULL), PK_OK);
  cr_assert_str_eq(region, "eu-west-1");
  /* short form: a default-constructed config (item 47) */
  cr_assert_not_null(pk_plugin_get_config(pk_host_find_alias(h, "files")));
  void *a, *b;
  cr_assert_eq(pk_host_get_instance(h, "cache", "main", &a, &err), PK_OK,
               "%s", err.message);
  cr_assert_str_eq(((local_cache *)a)->text, "local:/tmp/main");
  cr_assert_not(s3_loaded()); /* a built-in type wakes nothing */
  cr_assert_eq(pk_host_get_instance(h, "cache", "shared", &b, &err), PK_OK,
               "%s:%d:%d: %s", err.source, err.line, err.col, err.message);
  cr_assert(s3_loaded());
  cr_assert_eq(pk_plugin_get_state(s3), PK_STATE_READY);
  /* per-object, then [plugins.remote] (region), then [defaults] (prefix),
   * base instance built from the same table, format applied */
  cr_assert_str_eq((const char *)b,
                   "s3 shared bucket=b1 prefix=from-defaults region=eu-west-1 "
                   "endpoint=http://minio:9000 base=[local:/tmp/shared]");
  void *again;
  cr_assert_eq(pk_host_get_instance(h, "cache", "shared", &again, &err),
               PK_OK);
  cr_assert_eq(again, b);
  /* not configured */
  cr_assert_eq(pk_host_get_instance(h, "cache", "mian", &again, &err),
               PK_ENOTFOUND);
  cr_assert(strstr(err.message, "did you mean \"main\"?"), "%s",
            err.message);
  ndestroyed = 0;
  pk_host_free(h);
  cr_assert_eq(ndestroyed, 2); /* main and shared's base */
  pk_ctx_free(ctx);
}

/* What the trace and watch callbacks saw, one line each:
 * "trace STEP ID STATUS", "enter STEP ID", "leave STEP ID". */
static char steps_seen[4096];

static void seen_step(const char *what, pk_trace_event step,
                      const pk_plugin *p, const char *tail)
{
  size_t n = strlen(steps_seen);
  snprintf(steps_seen + n, sizeof steps_seen - n, "%s %s %s%s\n", what,
           pk_trace_event_name(step), p ? pk_plugin_get_id(p) : "-", tail);
}

static void trace_steps(void *ud, const pk_trace *t)
{
  (void)ud;
  seen_step("trace", t->event, t->plugin,
            t->status == PK_OK ? " ok" : " failed");
}

static void watch_steps(void *ud, bool entering, pk_trace_event step,
                        const pk_plugin *p)
{
  (void)ud;
  seen_step(entering ? "enter" : "leave", step, p, "");
}

/* A type's factory is a step like the others: watched around the call,
 * traced with its status (PK_TRACE_FACTORY), as the journal records it. */
Test(types, a_factory_call_is_traced_and_watched)
{
  pk_host *h = new_host_with((pk_host_options){
      .trace = trace_steps, .watch = watch_steps});
  pk_error err;
  load_config_ok(h, good);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  void *b;
  steps_seen[0] = '\0';
  cr_assert_eq(pk_host_get_instance(h, "cache", "shared", &b, &err), PK_OK,
               "%s", err.message);
  cr_expect(strstr(steps_seen, "enter load runner:s3\nleave load runner:s3\n"
                               "trace load runner:s3 ok\n"),
            "%s", steps_seen);
  cr_expect(strstr(steps_seen, "enter factory runner:s3\n"
                               "leave factory runner:s3\n"
                               "trace factory runner:s3 ok\n"),
            "%s", steps_seen);
  cr_expect_str_eq(pk_trace_event_describe(PK_TRACE_FACTORY), "factory");
  pk_host_free(h);
}

Test(types, lazy_plugin_woken_by_hook)
{
  pk_host *h = new_host();
  pk_error err;
  load_config_ok(h, good);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  cr_assert_not(s3_loaded());
  pk_hook *k = pk_host_get_hook(h, "on_build");
  const char *res[4];
  pk_hook_results r = {res, sizeof res[0], 4, 0};
  cr_assert_eq(pk_hook_call(k, NULL, &r, &err), PK_OK, "%s", err.message);
  cr_assert(s3_loaded());
  cr_assert_eq(r.count, 1);
  cr_assert_str_eq(res[0], "s3 built");
  cr_assert_eq(pk_hook_call(k, NULL, &r, &err), PK_OK);
  cr_assert_eq(r.count, 1);
  pk_host_free(h);
}

static void assert_diag(const pk_diag *d, const char *needle, int line,
                        int col)
{
  for (size_t i = 0; i < pk_diag_count(d); i++) {
    const pk_error *e = pk_diag_at(d, i);
    if (strstr(e->message, needle)) {
      cr_assert_str_eq(e->source, cfg_path);
      cr_assert_eq(e->line, line, "%s: line %d", e->message, e->line);
      cr_assert_eq(e->col, col, "%s: col %d", e->message, e->col);
      return;
    }
  }
  for (size_t i = 0; i < pk_diag_count(d); i++)
    fprintf(stderr, "  %d:%d %s\n", pk_diag_at(d, i)->line,
            pk_diag_at(d, i)->col, pk_diag_at(d, i)->message);
  cr_assert_fail("no problem mentions \"%s\"", needle);
}

Test(types, config_errors_all_positioned_no_dlopen)
{
  pk_host *h = new_host();
  pk_diag *d;
  pk_error err;
  cr_assert_eq(pk_diag_new(NULL, &d, NULL), PK_OK);
  const char *text =
      "[plugins]\n"                          /* 1 */
      "a = \"runner:s4\"\n"                  /* 2 */
      "b = \"runner:cmds\"\n"                /* 3 */
      "c = \"runner:cmds\"\n"                /* 4 */
      "[plugins.remote]\n"                   /* 5 */
      "plugin = \"runner:s3\"\n"             /* 6 */
      "regoin = \"x\"\n"                     /* 7 */
      "retries = 12\n"                       /* 8 */
      "[plugins.nop]\n"                      /* 9 */
      "region = \"x\"\n"                     /* 10 */
      "[caches.x]\n"                         /* 11 */
      "type = \"redis\"\n"                   /* 12 */
      "[caches.y]\n"                         /* 13 */
      "type = \"s3\"\n"                      /* 14 */
      "prefix = 3\n";                        /* 15 */
  pk_status st = pk_host_load_config(h, write_config(text), d, &err);
  cr_assert_neq(st, PK_OK);
  cr_assert_str_eq(err.source, cfg_path);
  cr_assert_gt(err.line, 0);
  assert_diag(d, "\"runner:s4\" (plugins.a) is not installed (did you mean "
                 "\"runner:s3\"?)", 2, 5);
  assert_diag(d, "declared twice: as plugins.b", 4, 5);
  assert_diag(d, ":3:5) and as plugins.c;", 4, 5); /* the first's place */
  assert_diag(d, "unknown field \"regoin\"", 7, 1);
  assert_diag(d, "above the maximum", 8, 11);
  assert_diag(d, "[plugins.nop] needs plugin", 9, 1);
  assert_diag(d, "add plugins.redis = \"runner:redis\"", 12, 8);
  assert_diag(d, "\"bucket\"", 13, 1);
  assert_diag(d, "\"prefix\"", 15, 10);
  cr_assert_not(s3_loaded()); /* a config error never dlopens */
  unlink(cfg_path);
  pk_diag_free(d);
  pk_host_free(h);
}

Test(types, manifest_code_mismatch)
{
  pk_host *h = new_host();
  pk_error err;
  load_config_ok(h, "[plugins]\nm = \"runner:mismatch\"\n");
  pk_status st = pk_host_register(h, NULL, 0, NULL, 0, &err);
  cr_assert_neq(st, PK_OK);
  cr_assert(strstr(err.message, "registers cache type \"other\""), "%s",
            err.message);
  cr_assert(strstr(err.message, "mismatch/plugin.toml"), "%s", err.message);
  cr_assert(strstr(err.message, "libpk_types_mismatch.so"), "%s",
            err.message);
  pk_host_free(h);
}

Test(types, duplicate_builtin_tag)
{
  pk_host *h = new_host();
  pk_error err;
  pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                       .factory = local_factory};
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_EDUPLICATE);
  cr_assert(strstr(err.message, "provided twice"), "%s", err.message);
  pk_host_free(h);
}

Test(types, fragments_hidden)
{
  pk_host *h = new_host();
  load_config_ok(h, "[plugins]\nci = \"runner:cmds\"\n");
  char addr[64];
  cr_assert_not_null(pk_host_fragment_entry_at(h, "commands", 0, addr, 64));
  cr_assert_str_eq(addr, "ci/lint");
  cr_assert_not_null(pk_host_fragment_entry_at(h, "commands", 1, addr, 64));
  cr_assert_str_eq(addr, "ci/test");
  cr_assert_null(pk_host_fragment_entry_at(h, "commands", 2, addr, 64));
  cr_assert_not_null(pk_host_find_fragment_entry(h, "commands",
                                                 "ci.internal"));
  cr_assert_not_null(pk_host_find_fragment_entry(h, "commands", "ci/lint"));
  cr_assert_null(pk_host_find_fragment_entry(h, "commands", "cx/lint"));
  pk_host_free(h);
}

Test(types, undeclared_plugin_has_no_effect)
{
  pk_host *h = new_host();
  pk_error err;
  load_config_ok(h, "[caches.a]\n");
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK);
  cr_assert_eq(pk_plugin_get_state(pk_host_find_plugin(h, "runner:s3")),
               PK_STATE_DISCOVERED);
  pk_host_free(h);
}

typedef struct th {
  pk_host *h;
  void *out;
} th;

static void *worker(void *arg)
{
  th *t = arg;
  pk_error err;
  if (pk_host_get_instance(t->h, "cache", "shared", &t->out, &err) != PK_OK)
    t->out = NULL;
  return NULL;
}

Test(types, sixteen_threads_one_instance)
{
  pk_host *h = new_host();
  pk_error err;
  load_config_ok(h, good);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK);
  pthread_t tid[16];
  th t[16];
  for (int i = 0; i < 16; i++) {
    t[i].h = h;
    pthread_create(&tid[i], NULL, worker, &t[i]);
  }
  for (int i = 0; i < 16; i++)
    pthread_join(tid[i], NULL);
  for (int i = 0; i < 16; i++) {
    cr_assert_not_null(t[i].out);
    cr_assert_eq(t[i].out, t[0].out);
  }
  pk_host_free(h);
}

/* ---- 100 declared lazy plugins, one used: only it is dlopened ---- */

static int nloads;
static char loaded_id[64];

static void count_loads(void *ud, const pk_trace *t)
{
  (void)ud;
  if (t->event == PK_TRACE_LOAD) {
    nloads++;
    snprintf(loaded_id, sizeof loaded_id, "%s", pk_plugin_get_id(t->plugin));
  }
}

static void copy_file(const char *from, const char *to)
{
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  cr_assert(in && out, "%s -> %s", from, to);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    cr_assert_eq(fwrite(buf, 1, n, out), n);
  fclose(in);
  fclose(out);
}

Test(types, hundred_lazy_plugins_only_the_used_one_is_dlopened)
{
  enum { NLAZY = 99 };
  char dir[64], path[256], lib[NLAZY][256];
  snprintf(dir, sizeof dir, "/tmp/pk_lazy100_XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  /* 99 lazy plugins besides runner:s3; each has its own shared object file
   * (a copy: never opened, so its descriptor does not matter) */
  char *cfg = malloc(16384);
  int n = snprintf(cfg, 16384, "[plugins]\n");
  for (int i = 0; i < NLAZY; i++) {
    snprintf(path, sizeof path, "%s/lz%02d", dir, i);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(lib[i], sizeof lib[i], "%s/lz%02d/liblz%02d.so", dir, i, i);
    copy_file(S3_LIB, lib[i]);
    snprintf(path, sizeof path, "%s/lz%02d/plugin.toml", dir, i);
    char m[512];
    snprintf(m, sizeof m,
             "name = \"lz%02d\"\nnamespace = \"runner\"\nversion = "
             "\"1.0.0\"\nabi = 1\nlibrary = \"liblz%02d.so\"\nlazy = true\n"
             "hooks = [\"on_build\"]\n"
             "[[provides]]\nkind = \"cache\"\ntag = \"lz%02d\"\n"
             "[provides.config]\nsize = { type = \"integer\", default = 1 "
             "}\n",
             i, i, i);
    FILE *f = fopen(path, "w");
    fputs(m, f);
    fclose(f);
    n += snprintf(cfg + n, 16384 - (size_t)n, "lz%02d = \"runner:lz%02d\"\n",
                  i, i);
  }
  n += snprintf(cfg + n, 16384 - (size_t)n,
                "[plugins.remote]\nplugin = \"runner:s3\"\nretries = 5\n"
                "[caches.shared]\ntype = \"s3\"\nbucket = \"b\"\n"
                "[caches.other]\ntype = \"lz07\"\n");
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .trace = count_loads};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_load_description(h, HOST_TOML, &err), PK_OK);
  cr_assert_eq(pk_host_add_path(h, TY, &err), PK_OK);
  cr_assert_eq(pk_host_add_path(h, dir, &err), PK_OK);
  pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                       .factory = local_factory, .destroy = local_destroy};
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK);
  nloads = 0;
  cr_assert_eq(pk_host_load_config_text(h, cfg, (size_t)n, "lazy100.toml",
                                        NULL, &err), PK_OK,
               "%s:%d:%d: %s", err.source, err.line, err.col, err.message);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  cr_assert_eq(pk_host_plugin_count(h) >= 101, true);
  cr_assert_eq(nloads, 0); /* 100 lazy plugins declared, none loaded */
  cr_assert_not(s3_loaded());
  void *obj;
  cr_assert_eq(pk_host_get_instance(h, "cache", "shared", &obj, &err), PK_OK,
               "%s", err.message);
  cr_assert(s3_loaded());
  cr_assert_eq(nloads, 1);
  cr_assert_str_eq(loaded_id, "runner:s3");
  for (int i = 0; i < NLAZY; i++) {
    void *hd = dlopen(lib[i], RTLD_NOW | RTLD_NOLOAD);
    cr_assert_null(hd, "%s was dlopened", lib[i]);
    char alias[8];
    snprintf(alias, sizeof alias, "lz%02d", i);
    pk_plugin *p = pk_host_find_alias(h, alias);
    cr_assert_not_null(p);
    cr_assert_neq(pk_plugin_get_state(p), PK_STATE_READY, "%s", alias);
  }
  pk_host_free(h);
  for (int i = 0; i < NLAZY; i++) {
    unlink(lib[i]);
    snprintf(path, sizeof path, "%s/lz%02d/plugin.toml", dir, i);
    unlink(path);
    snprintf(path, sizeof path, "%s/lz%02d", dir, i);
    rmdir(path);
  }
  rmdir(dir);
  free(cfg);
}

/* ---- tags, bindings, description hooks, failing register, OOM ---- */

static char tmp_root[64];

static const char *tmp_plugin(const char *name, const char *text)
{
  char path[256];
  if (!tmp_root[0]) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/pk_types_dir_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root));
  }
  snprintf(path, sizeof path, "%s/%s", tmp_root, name);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/plugin.toml", tmp_root, name);
  write_file(path, text);
  return tmp_root;
}

static void tmp_clean(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
  cr_assert_eq(system(cmd), 0);
  tmp_root[0] = '\0';
}

Test(types, duplicate_tag_between_two_plugins_names_both)
{
  static const char m[] = "name = \"%s\"\nnamespace = \"runner\"\nversion = "
                          "\"1.0.0\"\n[[provides]]\nkind = \"cache\"\ntag = "
                          "\"same\"\n";
  char text[256];
  snprintf(text, sizeof text, m, "dup1");
  tmp_plugin("dup1", text);
  snprintf(text, sizeof text, m, "dup2");
  const char *dir = tmp_plugin("dup2", text);
  pk_host *h = new_host();
  pk_error err;
  pk_diag *d;
  cr_assert_eq(pk_diag_new(NULL, &d, NULL), PK_OK);
  cr_assert_eq(pk_host_add_path(h, dir, &err), PK_OK);
  static const char cfg[] = "[plugins]\na = \"runner:dup1\"\n"
                            "b = \"runner:dup2\"\n";
  cr_assert_eq(pk_host_load_config_text(h, cfg, sizeof cfg - 1, "dup.toml", d,
                                        &err),
               PK_EDUPLICATE, "%s", err.message);
  cr_assert(strstr(err.message, "cache type \"same\" is provided twice"),
            "%s", err.message);
  cr_assert(strstr(err.message, "plugin runner:dup1 ("), "%s", err.message);
  cr_assert(strstr(err.message, "plugin runner:dup2 ("), "%s", err.message);
  cr_assert(strstr(err.message, "dup1/plugin.toml:6:7"), "%s", err.message);
  cr_assert(strstr(err.source, "dup2/plugin.toml"), "%s", err.source);
  cr_assert_eq(err.line, 6);
  cr_assert_eq(err.col, 7);
  cr_assert_str_eq(err.plugin, "runner:dup2");
  cr_assert_eq(pk_diag_count(d), 1);
  pk_diag_free(d);
  pk_host_free(h);
  tmp_clean();
}

/* The types of what a declared plugin requires are declared with its
 * own, whichever form its requirements take: "name", "ns:name" (read
 * without a parse) and the forms with a version constraint or blanks
 * (parsed); one naming no installed plugin is passed over. */
Test(types, types_of_every_form_of_requirement_are_declared)
{
  static const char m[] = "name = \"%s\"\nnamespace = \"runner\"\n"
                          "version = \"1.2.0\"\n[[provides]]\nkind = "
                          "\"cache\"\ntag = \"t%s\"\n";
  static const char *const names[] = {"ra", "rb", "rc", "rd", "re"};
  char text[256];
  for (size_t i = 0; i < 5; i++) {
    snprintf(text, sizeof text, m, names[i], names[i]);
    tmp_plugin(names[i], text);
  }
  const char *dir = tmp_plugin(
      "top", "name = \"top\"\nnamespace = \"runner\"\nversion = "
             "\"1.0.0\"\nrequires = [\"ra\", \"runner:rb\", "
             "\"rc >= 1.0\", \"runner:rd>=1\"]\n"
             "optional = [\" re \", \"nowhere\", \"runner:nowhere\"]\n");
  pk_host *h = new_host();
  pk_error err;
  cr_assert_eq(pk_host_add_path(h, dir, &err), PK_OK);
  static const char cfg[] = "[plugins]\ntop = \"runner:top\"\n";
  cr_assert_eq(pk_host_load_config_text(h, cfg, sizeof cfg - 1, "req.toml",
                                        NULL, &err),
               PK_OK, "%s", err.message);
  for (size_t i = 0; i < 5; i++) {
    char tag[8], id[16];
    snprintf(tag, sizeof tag, "t%s", names[i]);
    snprintf(id, sizeof id, "runner:%s", names[i]);
    const pk__type *ty = pk__find_type(h->types, "cache", tag);
    cr_assert_not_null(ty, "%s", tag);
    cr_assert_str_eq(ty->plugin->id, id);
  }
  pk_host_free(h);
  tmp_clean();
}

static void bad_binding(const char *name, const char *needle1,
                        const char *needle2)
{
  pk_host *h = new_host();
  pk_error err;
  char cfg[128];
  int n = snprintf(cfg, sizeof cfg, "[plugins]\nb = \"runner:%s\"\n", name);
  cr_assert_eq(pk_host_load_config_text(h, cfg, (size_t)n, "bind.toml", NULL,
                                        &err), PK_OK, "%s", err.message);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_ELOAD, "%s",
               err.message);
  char lib[64];
  snprintf(lib, sizeof lib, "libpk_types_%s.so", name);
  cr_assert(strstr(err.message, lib), "%s", err.message);
  cr_assert(strstr(err.message, needle1), "%s", err.message);
  cr_assert(strstr(err.message, needle2), "%s", err.message);
  cr_assert(!strstr(err.message, "PK_C_"), "host-side advice: %s", err.message);
  /* the position: [provides.config] in the manifest */
  cr_assert(strstr(err.message, "/plugin.toml:1"), "%s", err.message);
  cr_assert(strstr(err.source, "plugin.toml"), "%s", err.source);
  cr_assert_gt(err.line, 0);
  pk_plugin *p = pk_host_find_alias(h, "b");
  cr_assert_eq(pk_plugin_get_state(p), PK_STATE_FAILED);
  pk_host_free(h);
}

Test(types, binding_unknown_field_is_a_load_error)
{
  bad_binding("badbind_field", "\"sise\"", "did you mean \"size\"");
}

Test(types, binding_wrong_c_type_is_a_load_error)
{
  bad_binding("badbind_type", "\"size\"", "integer");
}

/* Plugin code is told the plugin-side constants, never the host's
 * (PK_C_*), which it cannot use. */
Test(types, binding_advice_for_plugins_names_plugin_constants)
{
  bad_binding("badbind_type",
              "(integer) to a const char * member "
              "(PK_PLUGIN_C_STRING)",
              "use PK_PLUGIN_C_INT64 or "
              "PK_PLUGIN_C_INT");
  bad_binding("badbind_array",
              "\"hosts\" (array) to a const char * "
              "member (PK_PLUGIN_C_STRING)",
              ": use PK_PLUGIN_C_STRINGS");
}

Test(types, binding_a_non_string_array_as_a_list_is_a_load_error)
{
  bad_binding("badbind_strings", "\"sizes\" (array of integer)",
              "its items must be strings");
}

static int desc_hook_fn(pk_hook_ctx *call, void *data, void *args,
                        void *result)
{
  (void)call;
  (void)args;
  if (result)
    *(long *)result = (long)(intptr_t)data;
  return PK_HOOK_RESULT;
}

static int desc_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  pk_hook_impl a = {sizeof a, 0, "pick", desc_hook_fn, NULL, (void *)7,
                    NULL, NULL};
  pk_hook_impl b = {sizeof b, 0, "all", desc_hook_fn, NULL, (void *)8, NULL,
                    NULL};
  return api->hook_add(ctx, &a) | api->hook_add(ctx, &b);
}

PK_PLUGIN_DEFINE_BUILTIN(desc_plugin, "runner", "described", 1,
                         desc_register, NULL, NULL);

Test(types, description_hooks_are_declared_and_usable)
{
  const char *path = write_config("[namespaces.runner]\nabi = 1\n"
                                  "[hooks.pick]\nmode = \"first-result\"\n"
                                  "[hooks.all]\n");
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true, .strict = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_load_description(h, path, &err), PK_OK, "%s",
               err.message);
  cr_assert_eq(pk_host_add_builtin(h, &desc_plugin,
                                   "name = \"described\"\nnamespace = "
                                   "\"runner\"\nversion = \"1.0.0\"\n",
                                   &err),
               PK_OK, "%s", err.message);
  cr_assert_eq(pk_host_load_config_text(h, "[plugins]\nd = "
                                        "\"runner:described\"\n", 32, "c.toml",
                                        NULL, &err), PK_OK, "%s", err.message);
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  long v[2] = {0, 0};
  pk_hook_results r = {v, sizeof v[0], 2, 0};
  cr_assert_eq(pk_hook_call(pk_host_get_hook(h, "pick"), NULL, &r, &err),
               PK_OK);
  cr_assert_eq(r.count, 1);
  cr_assert_eq(v[0], 7);
  cr_assert_eq(pk_hook_get_mode(pk_host_get_hook(h, "pick")),
               PK_HOOK_FIRST_RESULT);
  cr_assert_eq(pk_hook_get_mode(pk_host_get_hook(h, "all")), PK_HOOK_COLLECT);
  cr_assert_null(pk_host_get_hook(h, "undeclared"));
  pk_host_free(h);
  /* a bad mode names its position */
  path = write_config("[hooks.pick]\nmode = \"firstresult\"\n");
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_load_description(h, path, &err), PK_ERANGE);
  cr_assert_str_eq(err.source, path);
  cr_assert_eq(err.line, 2);
  cr_assert_eq(err.col, 8);
  cr_assert(strstr(err.message, "collect, first-result"), "%s", err.message);
  pk_host_free(h);
  unlink(path);
}

Test(types, declared_plugin_whose_register_fails_is_named)
{
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_add_path(h, PK_TEST_BINARY_DIR "/fixtures/faults",
                                &err), PK_OK);
  cr_assert_eq(pk_host_load_config_text(h, "[plugins]\ndb = "
                                        "\"faults:register_fails\"\n", 38,
                                        "c.toml", NULL, &err),
               PK_OK, "%s", err.message);
  pk_status st = pk_host_register(h, NULL, 0, NULL, 0, &err);
  cr_assert_neq(st, PK_OK);
  cr_assert_str_eq(err.plugin, "faults:register_fails");
  cr_assert(strstr(err.message, "faults:register_fails"), "%s", err.message);
  cr_assert(strstr(err.message, "cannot reach the database at db.local:5432"),
            "%s", err.message);
  cr_assert_eq(pk_plugin_get_state(pk_host_find_alias(h, "db")),
               PK_STATE_FAILED);
  pk_host_free(h);
}

static pk_status oom_run(counting *cnt, void *ud)
{
  (void)ud;
  static const char cfg[] = "[plugins]\nfiles = \"runner:cmds\"\n"
                            "[defaults]\nprefix = \"p\"\n"
                            "[caches.main]\ndir = \"/tmp/main\"\n"
                            "[caches.other]\n";
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .alloc = counting_alloc, .alloc_ud = cnt};
  pk_host *h = NULL;
  pk_error err;
  pk_status st;
  void *a, *b;
  pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                       .schema_toml = LOCAL_SCHEMA,
                       .factory = local_factory, .destroy = local_destroy};
  if ((st = pk_host_new(&o, &h, &err)) != PK_OK)
    return st;
  if ((st = pk_host_load_description(h, HOST_TOML, &err)) ||
      (st = pk_host_add_path(h, TY, &err)) ||
      (st = pk_host_add_type(h, &t, &err)) ||
      (st = pk_host_load_config_text(h, cfg, sizeof cfg - 1, "oom.toml",
                                     NULL, &err)) ||
      (st = pk_host_register(h, NULL, 0, NULL, 0, &err)) ||
      (st = pk_host_get_instance(h, "cache", "main", &a, &err)) ||
      (st = pk_host_get_instance(h, "cache", "other", &b, &err)))
    goto done;
  cr_assert_str_eq(((local_cache *)a)->text, "local:/tmp/main");
  cr_assert_str_eq(((local_cache *)b)->text, "local:._cache");
done:
  if (st != PK_OK && st != PK_ENOMEM)
    fprintf(stderr, "allocation %ld failing: %s\n", cnt->fail_at,
            err.message);
  pk_host_free(h);
  return st;
}

Test(types, out_of_memory_sweep_load_config_and_instances)
{
  long k = oom_sweep(oom_run, NULL);
  cr_assert_gt(k, 50, "only %ld allocations", k);
}

/* Inline instance tables (a dep written inside a command): checked before
 * plugin code runs, built per call, owned by the caller, a lazy plugin
 * woken by the first one. */
static const char *inline_cfg =
    "[plugins.remote]\n"
    "plugin = \"runner:s3\"\n"
    "retries = 5\n"
    "[commands.build]\n"
    "deps = [{ type = \"s3\", bucket = \"b2\", dir = \"/tmp/in\" },\n"
    "        { type = \"s3\", buckt = \"x\" },\n"
    "        { type = \"nope\" }]\n";

Test(types, inline_instances_checked_built_and_freed)
{
  pk_host *h = new_host();
  pk_error err;
  const char *path = write_config(inline_cfg);
  pk_doc *doc;
  cr_assert_eq(pk_doc_load_file(path, NULL, &doc, &err), PK_OK);
  cr_assert_eq(pk_host_load_config(h, path, NULL, &err), PK_OK, "%s",
               err.message);
  const pk_value *deps = pk_table_get(
      pk_table_get(pk_table_get(pk_doc_root(doc), "commands"), "build"),
      "deps");
  pk_diag *diag;
  cr_assert_eq(pk_diag_new(NULL, &diag, NULL), PK_OK);
  cr_assert_eq(pk_host_check_instance(h, "cache", "build.deps[0]",
                                      pk_array_at(deps, 0), diag, &err),
               PK_OK, "%s", err.message);
  cr_assert_eq(pk_diag_count(diag), 0);
  /* a misspelt field and a missing required one, both positioned */
  cr_assert_neq(pk_host_check_instance(h, "cache", "build.deps[1]",
                                       pk_array_at(deps, 1), diag, &err),
                PK_OK);
  cr_assert_eq(pk_diag_count(diag), 2);
  const pk_error *e0 = pk_diag_at(diag, 0);
  cr_assert(strstr(e0->message, "buckt"), "%s", e0->message);
  cr_assert_eq(e0->line, 6);
  cr_assert_str_eq(e0->source, path);
  /* an unknown tag names the label and the known tags */
  cr_assert_eq(pk_host_check_instance(h, "cache", "build.deps[2]",
                                      pk_array_at(deps, 2), NULL, &err),
               PK_ENOTFOUND);
  cr_assert(strstr(err.message, "build.deps[2]"), "%s", err.message);
  cr_assert(strstr(err.message, "local, s3") ||
                strstr(err.message, "s3, local"),
            "%s", err.message);
  cr_assert_eq(err.line, 7);
  cr_assert_not(s3_loaded()); /* checking runs no plugin code */
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  pk_instance *a, *b;
  cr_assert_eq(pk_host_make_instance(h, "cache", "build.deps[0]",
                                     pk_array_at(deps, 0), &a, &err),
               PK_OK, "%s", err.message);
  cr_assert(s3_loaded());
  cr_assert(strstr((const char *)pk_instance_get(a), "bucket=b2"), "%s",
            (const char *)pk_instance_get(a));
  cr_assert(strstr((const char *)pk_instance_get(a), "base=[local:/tmp/in]"));
  cr_assert_eq(pk_host_make_instance(h, "cache", "build.deps[0]",
                                     pk_array_at(deps, 0), &b, &err),
               PK_OK);
  cr_assert_neq(pk_instance_get(a), pk_instance_get(b)); /* one per call */
  pk_instance_free(b);
  cr_assert_eq(pk_host_make_instance(h, "cache", "build.deps[1]",
                                     pk_array_at(deps, 1), &b, &err),
               PK_ECONFIG);
  cr_assert_eq(err.line, 6);
  cr_assert_null(b);
  cr_assert_eq(pk_host_make_instance(h, "nokind", "x", pk_array_at(deps, 0),
                                     &b, &err),
               PK_ENOTFOUND);
  ndestroyed = 0;
  pk_instance_free(a);
  cr_assert_eq(ndestroyed, 1); /* its local base */
  pk_instance_free(NULL);
  pk_diag_free(diag);
  pk_doc_free(doc);
  unlink(path);
  pk_host_free(h);
}

/* Built-in types declared by the host description ([types.KIND.TAG]):
 * the CLI checks configs with them (a plugin type extending one), the host
 * adds only the code. */
Test(types, description_declares_builtin_types_code_attaches)
{
  char desc[256];
  snprintf(desc, sizeof desc, "/tmp/pk_types_desc_%d.toml", getpid());
  write_file(desc, "[namespaces.runner]\nabi = 1\n"
                   "[kinds.cache]\ntable = \"caches\"\ndefault = \"local\"\n"
                   "[types.cache.local.config]\n"
                   "dir = { type = \"string\", default = \"._cache\" }\n"
                   "[types.cache.bare]\n");
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_load_description(h, desc, &err), PK_OK, "%s",
               err.message);
  cr_assert_eq(pk_host_add_path(h, TY, &err), PK_OK);
  /* a schema from code as well is refused, so is another base */
  pk_type_options t = {.size = sizeof t, .kind = "cache", .tag = "local",
                       .schema_toml = "x = { type = \"string\" }\n",
                       .factory = local_factory, .destroy = local_destroy};
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_EDUPLICATE);
  cr_assert(strstr(err.message, "the host description declares its config"),
            "%s", err.message);
  cr_assert_eq(err.line, 6, "%d:%d", err.line, err.col);
  t.schema_toml = NULL;
  t.extends = "bare";
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_ECONFIG);
  t.extends = NULL;
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
  /* the s3 plugin type extends local: checked and built from the
   * description's schema and the host's code */
  load_config_ok(h, "[plugins.remote]\nplugin = \"runner:s3\"\nretries = 5\n"
                    "[caches.shared]\ntype = \"s3\"\nbucket = \"b\"\n"
                    "[caches.plain]\ndir = \"/tmp/p\"\n"
                    "[caches.nocode]\ntype = \"bare\"\n");
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK);
  void *a;
  cr_assert_eq(pk_host_get_instance(h, "cache", "plain", &a, &err), PK_OK,
               "%s", err.message);
  cr_assert_str_eq(((local_cache *)a)->text, "local:/tmp/p");
  cr_assert_eq(pk_host_get_instance(h, "cache", "shared", &a, &err), PK_OK,
               "%s", err.message);
  cr_assert(strstr((const char *)a, "base=[local:._cache]"), "%s",
            (const char *)a);
  /* declared without code: a clear error at the instance's table */
  cr_assert_eq(pk_host_get_instance(h, "cache", "nocode", &a, &err),
               PK_ENOTSUP);
  cr_assert(strstr(err.message, "registered no code"), "%s", err.message);
  cr_assert_eq(err.line, 9, "%d", err.line);
  pk_host_free(h);
  unlink(desc);
}

/* Loads text (written to path) as the description of a new host that
 * declared hook "preset" in code; returns the status, err filled, and
 * checks that an error names path and a line. */
static pk_status load_description_text(const char *path, const char *text,
                                       pk_error *err)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  pk_host *h;
  cr_assert_eq(pk_host_new(NULL, &h, err), PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "preset", PK_HOOK_COLLECT, NULL, err),
               PK_OK);
  pk_status st = pk_host_load_description(h, path, err);
  pk_host_free(h);
  if (st != PK_OK)
    cr_assert_str_eq(err->source, path, "%s", err->message);
  return st;
}

Test(types, description_type_errors_are_positioned)
{
  char desc[256];
  snprintf(desc, sizeof desc, "/tmp/pk_types_desc2_%d.toml", getpid());
  static const char *const bad[] = {
      "[types.cache.x]\n",                              /* no such kind */
      "[kinds.cache]\n[types.cache.x]\nextend = \"y\"\n", /* unknown key */
      "[kinds.cache]\n[types.cache.x.config]\na = { type = \"strng\" }\n",
      "[kinds.cache]\n\"table\\u0000x\" = \"caches\"\n", /* a NUL byte */
      "[namespaces.\"ns\\u0000x\"]\nabi = 1\n",          /* in a name */
  };
  static const int line[] = {1, 3, 3, 2, 1};
  for (size_t i = 0; i < 5; i++) {
    pk_error err;
    cr_assert_neq(load_description_text(desc, bad[i], &err), PK_OK);
    cr_assert_eq(err.line, line[i], "case %zu: %d: %s", i, err.line,
                 err.message);
  }
  unlink(desc);
}

/* An invalid or repeated name of a namespace, kind or hook is the file's
 * error, PK_ECONFIG at its key; a hook name over 127 bytes was PK_EMISUSE
 * with no position (found by fuzz_description). */
Test(types, description_name_errors_are_the_files)
{
  char desc[256];
  snprintf(desc, sizeof desc, "/tmp/pk_types_desc3_%d.toml", getpid());
  static const char *const bad[] = {
      "[hooks.on_build]\n[hooks.\"on build\"]\n",
      ("[hooks.on_GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG"
       "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG"
       "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG]\n"),
      "\n[namespaces.\"a:b\"]\nabi = 1\n",
      "[kinds.ok]\n[kinds.\"no/slash\"]\n",
      "[hooks.preset]\n", /* declared in code first: twice */
  };
  static const char *const what[] = {
      "invalid hook name \"on build\"", "invalid hook name \"on_GGG",
      "invalid namespace \"a:b\"", "invalid kind name",
      "hook \"preset\" declared twice"};
  static const pk_status code[] = {PK_ECONFIG, PK_ECONFIG, PK_ECONFIG,
                                   PK_ECONFIG, PK_EDUPLICATE};
  static const int line[] = {2, 1, 2, 2, 1};
  for (size_t i = 0; i < 5; i++) {
    pk_error err;
    cr_assert_eq(load_description_text(desc, bad[i], &err), code[i],
                 "case %zu: %s", i, err.message);
    cr_assert(strstr(err.message, what[i]), "case %zu: %s", i, err.message);
    cr_assert_eq(err.line, line[i], "case %zu: %d: %s", i, err.line,
                 err.message);
  }
  unlink(desc);
}

/* Arrays of strings reach plugin code as NULL-terminated lists, from the
 * plugin's section and through the layering into its type's struct. */
Test(types, string_arrays_bind_as_lists)
{
  pk_host *h = new_host();
  pk_error err;
  load_config_ok(h, "[plugins.l]\nplugin = \"runner:lists\"\n"
                    "names = [\"x\", \"y\", \"z\"]\n"
                    "[caches.one]\ntype = \"lists\"\ntags = [\"t1\", \"t2\"]\n"
                    "[caches.two]\ntype = \"lists\"\nnames = []\n");
  cr_assert_eq(pk_host_register(h, NULL, 0, NULL, 0, &err), PK_OK, "%s",
               err.message);
  void *a;
  cr_assert_eq(pk_host_get_instance(h, "cache", "one", &a, &err), PK_OK,
               "%s", err.message);
  cr_assert_str_eq((const char *)a, "tags=t1,t2 names=x,y,z");
  cr_assert_eq(pk_host_get_instance(h, "cache", "two", &a, &err), PK_OK,
               "%s", err.message);
  cr_assert_str_eq((const char *)a, "tags=(unset) names=");
  pk_host_free(h);
}

/* Discovers the one plugin whose manifest is text: it must be broken, its
 * reason holding needle. */
static void discover_broken(const char *text, const char *needle)
{
  char dir[64], path[128];
  snprintf(dir, sizeof dir, "/tmp/pk_broken_%d", getpid());
  mkdir(dir, 0755);
  snprintf(path, sizeof path, "%s/p", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/p/plugin.toml", dir);
  write_file(path, text);
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_add_path(h, dir, &err), PK_OK);
  cr_assert_eq(pk_host_discover(h, &err), PK_OK, "%s", err.message);
  cr_assert_eq(pk_host_plugin_count(h), 1);
  pk_plugin *p = pk_host_plugin_at(h, 0);
  cr_assert_eq(pk_plugin_get_state(p), PK_STATE_BROKEN, "%s", text);
  cr_assert(strstr(pk_plugin_get_reason(p), needle), "%s",
            pk_plugin_get_reason(p));
  pk_host_free(h);
  unlink(path);
  snprintf(path, sizeof path, "%s/p", dir);
  rmdir(path);
  rmdir(dir);
}

/* A manifest key holding a NUL byte ("name\u0000...") is an unknown key,
 * never read past the known key's end (ASan would see it). */
Test(types, manifest_key_with_a_nul_byte_is_unknown)
{
  discover_broken("name = \"p\"\nnamespace = \"runner\"\n"
                  "\"name\\u0000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" = "
                  "\"x\"\n",
                  "unknown key");
}

/* A name or namespace is checked whole: one holding a NUL byte is not the
 * name before it ("p\u0000x" is no valid name: the plugin is broken). */
Test(types, manifest_name_with_a_nul_byte_is_invalid)
{
  discover_broken("name = \"p\\u0000x\"\nnamespace = \"runner\"\n"
                  "version = \"1.0.0\"\n",
                  "invalid name");
  discover_broken("name = \"p\"\nnamespace = \"runner\\u0000\"\n"
                  "version = \"1.0.0\"\n",
                  "invalid namespace");
}

/* A [plugins] alias holding a NUL byte is invalid, not the alias before
 * the NUL; the error says so at the key's position. */
Test(types, plugin_alias_with_a_nul_byte_is_invalid)
{
  pk_host *h = new_host();
  pk_error err;
  const char *path = write_config("[plugins]\n\"s3\\u0000x\" = \"runner:s3\"\n");
  cr_assert_eq(pk_host_load_config(h, path, NULL, &err), PK_ECONFIG);
  cr_assert_eq(err.line, 2);
  cr_assert_eq(err.col, 1);
  cr_assert_str_eq(err.message, "invalid plugin alias \"s3\\u0000...\": use 1 "
                                "to 127 letters, digits, '_', '.' or '-'");
  cr_assert_null(pk_host_find_alias(h, "s3"));
  unlink(cfg_path);
  pk_host_free(h);
}

/* [plugins] is read a batch of 16 entries at a time: the entries after
 * the first batch are checked with the positions of their own keys and
 * values (a wrong plugin id at its value, a bad alias at its key). */
Test(types, plugin_entries_past_the_first_batch_have_their_positions)
{
  pk_host *h = new_host();
  pk_diag *d;
  pk_error err;
  cr_assert_eq(pk_diag_new(NULL, &d, NULL), PK_OK);
  char text[1024] = "[plugins]\n";
  for (int i = 0; i < 17; i++) /* lines 2..18 */
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "a%d = \"runner:nope%d\"\n", i, i);
  strcat(text, "\"b c\" = \"runner:s3\"\n" /* 19 */
               "zz = \"runner:gone\"\n");  /* 20 */
  cr_assert_neq(pk_host_load_config(h, write_config(text), d, &err), PK_OK);
  assert_diag(d, "\"runner:nope0\" (plugins.a0) is not installed", 2, 6);
  assert_diag(d, "\"runner:nope16\" (plugins.a16) is not installed", 18,
              7);
  assert_diag(d, "invalid plugin alias \"b c\"", 19, 1);
  assert_diag(d, "\"runner:gone\" (plugins.zz) is not installed", 20, 6);
  unlink(cfg_path);
  pk_diag_free(d);
  pk_host_free(h);
}

/* ---- first use: one build, waiting, asking for itself ---- */

/* A built-in "node" type whose factory can wait (slow_ms), ask for
 * another instance (wants) and counts its calls. */
typedef struct node_env {
  pk_host *h;
  atomic_int builds;
  pk_status wants_st;       /* what its last request for `wants` returned */
  char wants_msg[768];
  void *wants_obj;
} node_env;

static pk_status node_factory(const pk_instance_args *a, void **out,
                              pk_error *err)
{
  node_env *env = a->data;
  int64_t slow_ms = 0;
  const char *wants = NULL;
  atomic_fetch_add(&env->builds, 1);
  pk_config_get_integer(a->config, "slow_ms", &slow_ms, NULL);
  pk_config_get_string_or(a->config, "wants", NULL, &wants, NULL);
  if (slow_ms)
    usleep((useconds_t)slow_ms * 1000);
  if (wants) {
    pk_error e;
    env->wants_st = pk_host_get_instance(env->h, "node", wants,
                                         &env->wants_obj, &e);
    snprintf(env->wants_msg, sizeof env->wants_msg, "%s", e.message);
  }
  bool fail = false;
  pk_config_get_bool(a->config, "fail", &fail, NULL);
  if (fail) {
    err->code = PK_ECONFIG;
    snprintf(err->message, sizeof err->message, "told to fail");
    return PK_ECONFIG;
  }
  *out = strdup(a->name);
  return PK_OK;
}

static void node_destroy(void *data, void *inst)
{
  (void)data;
  free(inst);
}

static pk_host *node_host(node_env *env, const char *config)
{
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &env->h, &err), PK_OK);
  cr_assert_eq(pk_host_declare_kind(env->h, "node", 1, "nodes", "n", &err),
               PK_OK, "%s", err.message);
  pk_type_options t = {
      .size = sizeof t, .kind = "node", .tag = "n",
      .schema_toml = "slow_ms = { type = \"integer\", default = 0 }\n"
                     "wants = { type = \"string\", optional = true }\n"
                     "fail = { type = \"boolean\", default = false }\n",
      .factory = node_factory, .destroy = node_destroy, .data = env};
  cr_assert_eq(pk_host_add_type(env->h, &t, &err), PK_OK, "%s", err.message);
  cr_assert_eq(pk_host_load_config_text(env->h, config, strlen(config),
                                        "nodes.toml", NULL, &err),
               PK_OK, "%s", err.message);
  return env->h;
}

typedef struct node_call {
  node_env *env;
  const char *name;
  pk_status st;
  void *obj;
  char msg[768];
} node_call;

static void *node_thread(void *arg)
{
  node_call *c = arg;
  pk_error e;
  c->st = pk_host_get_instance(c->env->h, "node", c->name, &c->obj, &e);
  if (c->st != PK_OK)
    snprintf(c->msg, sizeof c->msg, "%s", e.message);
  return NULL;
}

/* Eight threads ask at once while the factory sleeps: one build, the
 * others wait for it and get the same object (or the same error). */
Test(types, first_use_from_many_threads_builds_once)
{
  static node_env env;
  memset(&env, 0, sizeof env);
  pk_host *h = node_host(&env, "[nodes.slow]\nslow_ms = 50\n"
                               "[nodes.bad]\nslow_ms = 50\nfail = true\n");
  for (int round = 0; round < 2; round++) {
    const char *name = round ? "bad" : "slow";
    node_call calls[8];
    pthread_t tid[8];
    atomic_store(&env.builds, 0);
    for (int i = 0; i < 8; i++) {
      calls[i] = (node_call){.env = &env, .name = name};
      cr_assert_eq(pthread_create(&tid[i], NULL, node_thread, &calls[i]), 0);
    }
    for (int i = 0; i < 8; i++)
      pthread_join(tid[i], NULL);
    cr_assert_eq(atomic_load(&env.builds), 1);
    for (int i = 0; i < 8; i++) {
      if (round == 0) {
        cr_assert_eq(calls[i].st, PK_OK, "%s", calls[i].msg);
        cr_assert_eq(calls[i].obj, calls[0].obj);
      } else {
        cr_assert_eq(calls[i].st, PK_ECONFIG);
        cr_assert(strstr(calls[i].msg, "told to fail"), "%s", calls[i].msg);
      }
    }
  }
  pk_host_free(h);
}

/* A factory asking for the instance it is building gets PK_ESTATE (it
 * would wait for itself); asking for another one builds that one. */
Test(types, factory_asking_for_its_own_instance_fails)
{
  static node_env env;
  memset(&env, 0, sizeof env);
  pk_host *h = node_host(&env, "[nodes.self]\nwants = \"self\"\n"
                               "[nodes.a]\nwants = \"b\"\n"
                               "[nodes.b]\nwants = \"a\"\n"
                               "[nodes.c]\nwants = \"d\"\n"
                               "[nodes.d]\n");
  pk_error err;
  void *obj;
  cr_assert_eq(pk_host_get_instance(h, "node", "self", &obj, &err), PK_OK,
               "%s", err.message);
  cr_assert_eq(env.wants_st, PK_ESTATE);
  cr_assert_str_eq(env.wants_msg, "node [nodes.self] is being built: its "
                                  "factory (or one it calls) asked for it");
  /* a -> b -> a: b's factory gets the error, a is built */
  cr_assert_eq(pk_host_get_instance(h, "node", "a", &obj, &err), PK_OK,
               "%s", err.message);
  cr_assert_eq(env.wants_st, PK_OK); /* a got b */
  void *b;
  cr_assert_eq(pk_host_get_instance(h, "node", "b", &b, &err), PK_OK);
  cr_assert_eq(env.wants_obj, b);
  /* c -> d: d is built inside c's factory, once */
  atomic_store(&env.builds, 0);
  cr_assert_eq(pk_host_get_instance(h, "node", "c", &obj, &err), PK_OK);
  cr_assert_eq(env.wants_st, PK_OK);
  void *d;
  cr_assert_eq(pk_host_get_instance(h, "node", "d", &d, &err), PK_OK);
  cr_assert_eq(env.wants_obj, d);
  cr_assert_eq(atomic_load(&env.builds), 2);
  pk_host_free(h);
}

/* A name the table does not hold, or a name of another kind's table,
 * is not found with the configured names; so is a kind with no table
 * entries. */
Test(types, instance_name_not_in_the_table)
{
  static node_env env;
  memset(&env, 0, sizeof env);
  pk_host *h = node_host(&env, "[nodes.alpha]\n[nodes.beta]\n");
  pk_error err;
  void *obj;
  cr_assert_eq(pk_host_get_instance(h, "node", "alpah", &obj, &err),
               PK_ENOTFOUND);
  cr_assert_str_eq(err.message, "no node named \"alpah\": the config "
                                "nodes.toml has no [nodes.alpah] table (did "
                                "you mean \"alpha\"?) (configured: alpha, "
                                "beta)");
  cr_assert_null(obj);
  cr_assert_eq(pk_host_get_instance(h, "nodes", "alpha", &obj, &err),
               PK_ENOTFOUND);
  cr_assert_str_eq(err.message, "unknown kind \"nodes\" (declare it with "
                                "pk_host_declare_kind)");
  pk_host_free(h);
  memset(&env, 0, sizeof env);
  h = node_host(&env, "[other]\n");
  cr_assert_eq(pk_host_get_instance(h, "node", "alpha", &obj, &err),
               PK_ENOTFOUND);
  cr_assert_str_eq(err.message, "no node named \"alpha\": the config "
                                "nodes.toml has no [nodes.alpha] table "
                                "(configured: none)");
  pk_host_free(h);
}

/* ---- the "type" key of large and small tables ---- */

static pk_status tag_factory(const pk_instance_args *a, void **out,
                             pk_error *err)
{
  (void)err;
  int64_t f39 = -1;
  pk_config_get_integer_or(a->config, "f39", -1, &f39, NULL);
  char *s = malloc(64);
  snprintf(s, 64, "%s:%lld", a->tag, (long long)f39);
  *out = s;
  return PK_OK;
}

static void tag_destroy(void *data, void *inst)
{
  (void)data;
  free(inst);
}

/* A table of 32 keys is read in one batch, one of 33 is looked up: both
 * take their "type" (written last) and every field. */
Test(types, type_key_at_the_batch_boundary)
{
  char schema[4096] = "", cfg[8192] = "";
  for (int i = 0; i < 40; i++)
    snprintf(schema + strlen(schema), sizeof schema - strlen(schema),
             "f%02d = { type = \"integer\", optional = true }\n", i);
  for (int keys = 31; keys <= 33; keys++) {
    snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), "[nodes.k%d]\n",
             keys);
    for (int i = 40 - keys + 1; i < 40; i++) /* keys - 1 fields, f39 last */
      snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), "f%02d = %d\n", i,
               i == 39 ? keys : i);
    snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), "type = \"m\"\n");
  }
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_declare_kind(h, "node", 1, "nodes", "n", &err), PK_OK);
  pk_type_options t = {.size = sizeof t,
                       .kind = "node",
                       .tag = "n",
                       .schema_toml = schema,
                       .factory = tag_factory,
                       .destroy = tag_destroy};
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
  t.tag = "m";
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
  cr_assert_eq(
      pk_host_load_config_text(h, cfg, strlen(cfg), "nodes.toml", NULL, &err),
      PK_OK, "%s", err.message);
  for (int keys = 31; keys <= 33; keys++) {
    char name[8], want[16];
    void *obj;
    snprintf(name, sizeof name, "k%d", keys);
    snprintf(want, sizeof want, "m:%d", keys);
    cr_assert_eq(pk_host_get_instance(h, "node", name, &obj, &err), PK_OK, "%s",
                 err.message);
    cr_assert_str_eq(obj, want);
  }
  pk_host_free(h);
}

/* Tables of one type in a row take the type the first selected; any change
 * of kind or of "type" (an empty one, one of another kind's tag, one as
 * the default) selects its own, with the errors a lookup gives. */
Test(types, runs_of_one_type_and_changes_of_type)
{
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  static const char *const schemas[] = {
      "a = { type = \"integer\", optional = true }\n"
      "f39 = { type = \"integer\", optional = true }\n",
      "b = { type = \"integer\", optional = true }\n"
      "f39 = { type = \"integer\", optional = true }\n",
      "c = { type = \"integer\", optional = true }\n"
      "f39 = { type = \"integer\", optional = true }\n"};
  static const char *const kinds[] = {"node", "node", "edge"};
  static const char *const tags[] = {"n", "m", "n"};
  for (int bad = 0; bad < 2; bad++) {
    cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
    cr_assert_eq(pk_host_declare_kind(h, "node", 1, "nodes", "n", &err), PK_OK);
    cr_assert_eq(pk_host_declare_kind(h, "edge", 1, "edges", "n", &err), PK_OK);
    for (int i = 0; i < 3; i++) {
      pk_type_options t = {.size = sizeof t,
                           .kind = kinds[i],
                           .tag = tags[i],
                           .schema_toml = schemas[i],
                           .factory = tag_factory,
                           .destroy = tag_destroy};
      cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
    }
    if (bad) {
      pk_diag *d;
      cr_assert_eq(pk_diag_new(NULL, &d, NULL), PK_OK);
      const char *text = "[nodes.a]\nf39 = 1\n"             /* 1 */
                         "[nodes.b]\nf39 = 2\n"             /* 3 */
                         "[nodes.c]\ntype = \"\"\n"         /* 5 */
                         "[nodes.d]\ntype = \"m\"\nb = 3\n" /* 7 */
                         "[nodes.e]\ntype = \"m\"\na = 4\n" /* 10 */
                         "[nodes.f]\ntype = \"n\"\na = 5\n" /* 13 */
                         "[nodes.g]\ntype = 7\n"            /* 16 */
                         "[nodes.h]\na = 8\n"               /* 18 */
                         "[edges.a]\nc = 9\n"               /* 20 */
                         "[edges.b]\na = 1\n";              /* 22 */
      cr_assert_neq(pk_host_load_config(h, write_config(text), d, &err), PK_OK);
      cr_assert_eq(pk_diag_count(d), 4);
      assert_diag(d, "type \"\"", 6, 8);
      assert_diag(d, "unknown field \"a\" (did you mean \"b\"?)", 12, 1);
      assert_diag(d, "expected a string, found an integer", 17, 8);
      assert_diag(d, "unknown field \"a\" (did you mean \"c\"?)", 23, 1);
      unlink(cfg_path);
      pk_diag_free(d);
      pk_host_free(h);
      continue;
    }
    load_config_ok(h, "[nodes.a]\nf39 = 1\n[nodes.b]\nf39 = 2\n"
                      "[nodes.d]\ntype = \"m\"\nf39 = 3\n"
                      "[nodes.e]\ntype = \"m\"\n"
                      "[nodes.f]\ntype = \"n\"\nf39 = 5\n"
                      "[nodes.h]\nf39 = 6\n"
                      "[edges.a]\nf39 = 7\n[edges.b]\ntype = \"n\"\n");
    static const char *const names[] = {"a", "b", "d", "e", "f", "h"};
    static const char *const want[] = {"n:1",  "n:2", "m:3",
                                       "m:-1", "n:5", "n:6"};
    void *obj;
    for (int i = 0; i < 6; i++) {
      cr_assert_eq(pk_host_get_instance(h, "node", names[i], &obj, &err), PK_OK,
                   "%s", err.message);
      cr_assert_str_eq(obj, want[i]);
    }
    cr_assert_eq(pk_host_get_instance(h, "edge", "a", &obj, &err), PK_OK);
    cr_assert_str_eq(obj, "n:7");
    cr_assert_eq(pk_host_get_instance(h, "edge", "b", &obj, &err), PK_OK);
    cr_assert_str_eq(obj, "n:-1");
    pk_host_free(h);
  }
}

/* Loading reads a small instance table's items once, for its "type" and
 * its fields; a table of more than 32 keys is looked up instead.  Both
 * select the same type and report a bad "type" at the same place. */
Test(types, type_key_of_small_and_large_tables)
{
  char schema[4096] = "", big[4096] = "", cfg[16384];
  for (int i = 0; i < 40; i++) {
    size_t n = strlen(schema), m = strlen(big);
    snprintf(schema + n, sizeof schema - n,
             "f%02d = { type = \"integer\", optional = true }\n", i);
    snprintf(big + m, sizeof big - m, "f%02d = %d\n", i, i);
  }
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_declare_kind(h, "node", 1, "nodes", "n", &err), PK_OK);
  pk_type_options t = {.size = sizeof t, .kind = "node", .tag = "n",
                       .schema_toml = schema, .factory = tag_factory,
                       .destroy = tag_destroy};
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
  t.tag = "m";
  cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
  snprintf(cfg, sizeof cfg,
           "[nodes.a]\nf01 = 1\n"              /* default type */
           "[nodes.b]\nf39 = 2\ntype = \"m\"\n" /* type last */
           "[nodes.c]\n%s"                      /* 40 keys, default type */
           "[nodes.d]\n%stype = \"m\"\n",       /* 41 keys, type last */
           big, big);
  cr_assert_eq(pk_host_load_config_text(h, cfg, strlen(cfg), "nodes.toml",
                                        NULL, &err),
               PK_OK, "%s", err.message);
  const char *names[] = {"a", "b", "c", "d"};
  const char *want[] = {"n:-1", "m:2", "n:39", "m:39"};
  for (int i = 0; i < 4; i++) {
    void *obj;
    cr_assert_eq(pk_host_get_instance(h, "node", names[i], &obj, &err),
                 PK_OK, "%s", err.message);
    cr_assert_str_eq(obj, want[i]);
  }
  pk_host_free(h);

  /* a "type" that is not a string, in a small and in a large table */
  for (int large = 0; large < 2; large++) {
    cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
    cr_assert_eq(pk_host_declare_kind(h, "node", 1, "nodes", "n", &err),
                 PK_OK);
    t.tag = "n";
    cr_assert_eq(pk_host_add_type(h, &t, &err), PK_OK, "%s", err.message);
    snprintf(cfg, sizeof cfg, "[nodes.x]\n%stype = 5\n", large ? big : "");
    cr_assert_eq(pk_host_load_config_text(h, cfg, strlen(cfg), "nodes.toml",
                                          NULL, &err),
                 PK_ETYPE);
    cr_assert_str_eq(err.source, "nodes.toml");
    cr_assert_eq(err.line, large ? 42 : 2);
    cr_assert_eq(err.col, 8);
    cr_assert_str_eq(err.message, "expected a string, found an integer");
    pk_host_free(h);
  }
}
