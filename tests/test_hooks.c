/* test_hooks.c -- host hooks: declaration, order and hints, contradictions,
 * call modes, wrappers, failures, undeclared hooks, no allocation on the
 * call path, tracing, and unloading (every order, real shared objects).
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <plugkit.h>
#include <plugkit/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/plugins/fixture.h"

/* ---- built-in plugins driven by a table of specs ----
 *
 * Every built-in plugin "t:NAME" runs the same register hook: it adds the
 * implementations its spec lists.  A plain implementation appends its
 * plugin's name to the call's args (struct targs), then fails, returns a
 * result or nothing, as its spec says. */

enum { B_PLAIN, B_RESULT, B_FAIL, B_FAIL_BARE, B_WRAP, B_WRAP_SWALLOW,
       B_WRAP_REPLACE, B_WRAP_SKIP, B_WRAP_EDIT, B_UNLOAD_INSIDE,
       B_TWICE /* B_PLAIN, added twice with the same data */ };

typedef struct impl_spec {
  const char *hook;
  int behaviour;
  uint32_t flags;
  const char *before[4];
  const char *after[4];
} impl_spec;

typedef struct plugin_spec {
  const char *name;
  const char *requires; /* TOML array body, e.g. "\"a\", \"b\"" */
  impl_spec impls[4];
} plugin_spec;

typedef struct targs {
  char log[512];
  int value;
} targs;

static const pk_host_api *g_api;
static const plugin_spec *g_specs;
static size_t g_nspecs;
static pk_host *g_host; /* for B_UNLOAD_INSIDE */
static pk_status g_inside_status;

static void say(targs *a, const char *what, const char *name)
{
  size_t n = strlen(a->log);
  snprintf(a->log + n, sizeof a->log - n, "%s%s%s", n ? " " : "", what, name);
}

static int impl_fn(pk_hook_ctx *call, void *data, void *args, void *result)
{
  const plugin_spec *ps = *(const plugin_spec *const *)data;
  const impl_spec *is = (const impl_spec *)((const plugin_spec *const *)data)[1];
  targs *a = args;
  say(a, "", ps->name);
  switch (is->behaviour) {
  case B_RESULT:
    if (result)
      *(int *)result = (int)(ps - g_specs) + 100;
    return PK_HOOK_RESULT;
  case B_FAIL:
    return g_api->hook_fail(call, PK_ECONFIG, "%s says no", ps->name);
  case B_FAIL_BARE:
    return 42;
  case B_UNLOAD_INSIDE:
    g_inside_status = pk_host_unload_plugin(
        g_host, pk_host_find_plugin(g_host, "t:a"), NULL);
    return 0;
  default:
    return 0;
  }
}

static int wrap_fn(pk_hook_ctx *call, void *data, void *args)
{
  const plugin_spec *ps = *(const plugin_spec *const *)data;
  const impl_spec *is = (const impl_spec *)((const plugin_spec *const *)data)[1];
  targs *a = args;
  say(a, "<", ps->name);
  if (is->behaviour == B_WRAP_SKIP) {
    say(a, ">", ps->name);
    return 0;
  }
  int rc = g_api->hook_next(call);
  say(a, ">", ps->name);
  const char *who = NULL, *msg = g_api->hook_error(call, &who);
  if (msg) {
    char buf[160];
    snprintf(buf, sizeof buf, "(saw %s: %s)", who, msg);
    say(a, "", buf);
  }
  switch (is->behaviour) {
  case B_WRAP_SWALLOW:
    return 0;
  case B_WRAP_REPLACE:
    return rc ? g_api->hook_fail(call, PK_EIO, "%s replaced it", ps->name)
              : 0;
  case B_WRAP_EDIT: {
    size_t n = g_api->hook_result_count(call);
    for (size_t i = 0; i < n; i++)
      *(int *)g_api->hook_result_at(call, i) += 1000;
    if (g_api->hook_result_at(call, n)) {
      *(int *)g_api->hook_result_at(call, n) = 7;
      g_api->hook_set_result_count(call, n + 1);
    }
    return rc;
  }
  default:
    return rc;
  }
}

/* data for each implementation: {plugin spec, impl spec} */
static const void *g_data[16][4][2];

static int bi_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  g_api = api;
  const char *id = api->plugin_name(ctx) + 2; /* after "t:" */
  for (size_t i = 0; i < g_nspecs; i++) {
    const plugin_spec *ps = &g_specs[i];
    if (strcmp(ps->name, id))
      continue;
    for (size_t k = 0; k < 4 && ps->impls[k].hook; k++) {
      const impl_spec *is = &ps->impls[k];
      bool wrap = is->behaviour >= B_WRAP && is->behaviour <= B_WRAP_EDIT;
      g_data[i][k][0] = ps;
      g_data[i][k][1] = is;
      pk_hook_impl impl = {sizeof impl, is->flags, is->hook,
                           wrap ? NULL : impl_fn, wrap ? wrap_fn : NULL,
                           (void *)g_data[i][k], is->before[0] ? is->before
                                                                : NULL,
                           is->after[0] ? is->after : NULL};
      int rc = api->hook_add(ctx, &impl);
      if (!rc && is->behaviour == B_TWICE)
        rc = api->hook_add(ctx, &impl);
      if (rc && rc != PK_ENOTFOUND)
        return rc;
    }
  }
  return 0;
}

static int bi_post(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud,
                   void *args)
{
  (void)ud;
  (void)args;
  /* registering after registration is misuse */
  if (!strcmp(api->plugin_name(ctx), "t:late")) {
    pk_hook_impl impl = {sizeof impl, 0, "h", impl_fn, NULL, NULL, NULL, NULL};
    return api->hook_add(ctx, &impl);
  }
  return 0;
}

#define BI(var, name)                                                          \
  PK_PLUGIN_DEFINE_BUILTIN(var, "t", name, 1, bi_register, bi_post, NULL)
BI(bi_a, "a");
BI(bi_b, "b");
BI(bi_c, "c");
BI(bi_d, "d");
BI(bi_e, "e");
BI(bi_f, "f");
BI(bi_late, "late");
static const pk_plugin_desc *const bi_all[] = {&bi_a, &bi_b, &bi_c, &bi_d,
                                               &bi_e, &bi_f, &bi_late};

static char g_logbuf[4096];

static void log_fn(void *ud, pk_log_level level, const char *plugin,
                   const char *message)
{
  (void)ud;
  size_t n = strlen(g_logbuf);
  snprintf(g_logbuf + n, sizeof g_logbuf - n, "[%d %s] %s\n", (int)level,
           plugin ? plugin : "-", message);
}

/* A host with the given specs as built-ins and the hooks "h" (collect),
 * "f" (first result); returns the status of pk_host_register of every
 * spec's plugin. */
static pk_status setup(const plugin_spec *specs, size_t n, bool strict,
                       pk_host_options *opts, pk_host **out, pk_error *e)
{
  pk_host_options o = {.size = sizeof o};
  if (opts)
    o = *opts;
  o.log = log_fn;
  o.strict = strict;
  o.ignore_env = true;
  g_specs = specs;
  g_nspecs = n;
  g_logbuf[0] = '\0';
  memset(g_data, 0, sizeof g_data);
  pk_host *h = NULL;
  cr_assert_eq(pk_host_new(&o, &h, e), PK_OK, "%s", e->message);
  cr_assert_eq(pk_host_add_namespace(h, "t", 1, e), PK_OK);
  const char *reqs[16];
  for (size_t i = 0; i < n; i++) {
    char text[512];
    snprintf(text, sizeof text,
             "name = \"%s\"\nnamespace = \"t\"\nversion = \"1.0.0\"\n"
             "requires = [%s]\n",
             specs[i].name, specs[i].requires ? specs[i].requires : "");
    const pk_plugin_desc *d = NULL;
    for (size_t k = 0; k < sizeof bi_all / sizeof bi_all[0]; k++)
      if (!strcmp(bi_all[k]->name, specs[i].name))
        d = bi_all[k];
    cr_assert(d, "no built-in descriptor for %s", specs[i].name);
    cr_assert_eq(pk_host_add_builtin(h, d, text, e), PK_OK, "%s", e->message);
    static char ids[16][32];
    snprintf(ids[i], sizeof ids[i], "t:%s", specs[i].name);
    reqs[i] = ids[i];
  }
  cr_assert_eq(pk_host_declare_hook(h, "h", PK_HOOK_COLLECT, NULL, e), PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "f", PK_HOOK_FIRST_RESULT, NULL, e),
               PK_OK);
  *out = h;
  g_host = h;
  return pk_host_register(h, reqs, n, NULL, 0, e);
}

/* "a b c": the plugins of hook name in call order ("<x" for wrappers). */
static const char *order_of(pk_host *h, const char *name)
{
  static char buf[256];
  pk_hook *k = pk_host_get_hook(h, name);
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; k && i < pk_hook_impl_count(k); i++)
    used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s%s",
                             used ? " " : "",
                             pk_hook_impl_is_wrapper_at(k, i) ? "<" : "",
                             pk_plugin_get_name(pk_hook_impl_plugin_at(k, i)));
  return buf;
}

static pk_host *ok_host(const plugin_spec *specs, size_t n)
{
  pk_host *h;
  pk_error e;
  pk_status st = setup(specs, n, false, NULL, &h, &e);
  cr_assert_eq(st, PK_OK, "%s: %s", pk_status_name(st), e.message);
  return h;
}

#define H(b) {"h", b, 0, {0}, {0}}

/* ---- declaration ---- */

Test(hooks, declare_rules)
{
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(NULL, &h, &e), PK_OK);
  pk_hook *k = NULL;
  cr_expect_eq(pk_host_declare_hook(h, "on.build", PK_HOOK_COLLECT, &k, &e),
               PK_OK);
  cr_expect_eq(pk_host_get_hook(h, "on.build"), k);
  cr_expect_str_eq(pk_hook_get_name(k), "on.build");
  cr_expect_eq(pk_hook_get_mode(k), PK_HOOK_COLLECT);
  cr_expect_null(pk_host_get_hook(h, "nope"));
  cr_expect_eq(pk_host_declare_hook(h, "on.build", PK_HOOK_FIRST_RESULT, NULL,
                                    &e),
               PK_EDUPLICATE);
  cr_expect(strstr(e.message, "declared twice"));
  cr_expect_eq(pk_host_declare_hook(h, "bad name", PK_HOOK_COLLECT, NULL, &e),
               PK_EMISUSE);
  cr_expect_eq(pk_host_declare_hook(h, "x", (pk_hook_mode)9, NULL, &e),
               PK_EMISUSE);
  cr_expect_eq(pk_host_hook_count(h), 1);
  cr_expect_eq(pk_host_hook_at(h, 0), k);
  /* before the freeze a call is a state error, not a silent no-op */
  targs a = {0};
  cr_expect_eq(pk_hook_call(k, &a, NULL, &e), PK_ESTATE);
  cr_expect(strstr(e.message, "before registration finished"), "%s",
            e.message);
  cr_expect_eq(pk_hook_call(NULL, &a, NULL, &e), PK_EMISUSE);
  pk_host_free(h);
}

Test(hooks, declare_after_freeze_fails)
{
  static const plugin_spec s[] = {{"a", NULL, {H(B_PLAIN)}}};
  pk_host *h = ok_host(s, 1);
  pk_error e;
  cr_expect_eq(pk_host_declare_hook(h, "late", PK_HOOK_COLLECT, NULL, &e),
               PK_ESTATE);
  pk_host_free(h);
}

/* ---- order ---- */

Test(hooks, dependency_order_without_hints)
{
  /* d requires b and c, b requires a; e alone.  The seed's layering. */
  static const plugin_spec s[] = {
      {"d", "\"b\", \"c\"", {H(B_PLAIN)}},
      {"c", NULL, {H(B_PLAIN)}},
      {"b", "\"a\"", {H(B_PLAIN)}},
      {"a", NULL, {H(B_PLAIN)}},
      {"e", NULL, {H(B_PLAIN)}},
  };
  pk_host *h = ok_host(s, 5);
  char layers[256] = "";
  size_t used = 0;
  for (size_t l = 0; l < pk_host_layer_count(h); l++)
    for (size_t i = 0; i < pk_host_layer_size(h, l); i++)
      used += (size_t)snprintf(
          layers + used, sizeof layers - used, "%s%s", used ? " " : "",
          pk_plugin_get_name(pk_host_layer_plugin_at(h, l, i)));
  cr_expect_str_eq(order_of(h, "h"), layers);
  targs a = {0};
  pk_error e;
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, &e), PK_OK);
  cr_expect_str_eq(a.log, layers);
  /* every plugin after what it requires */
  const char *o = order_of(h, "h");
  cr_expect(strstr(o, "a") < strstr(o, "b"));
  cr_expect(strstr(o, "b") < strstr(o, "d"));
  cr_expect(strstr(o, "c") < strstr(o, "d"));
  pk_host_free(h);
}

Test(hooks, dependency_order_through_non_implementers)
{
  /* c requires b requires a; b does not implement h: c still after a, even
   * when a asks to be last */
  static const plugin_spec s[] = {
      {"c", "\"b\"", {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
      {"b", "\"a\"", {{0}}},
      {"a", NULL, {H(B_PLAIN)}},
      {"d", NULL, {H(B_PLAIN)}},
  };
  pk_host *h;
  pk_error e;
  cr_expect_eq(setup(s, 4, false, NULL, &h, &e), PK_EDEP_CYCLE);
  cr_expect(strstr(e.message, "t:a before t:c (t:c requires t:a)"), "%s",
            e.message);
  cr_expect(strstr(e.message, "t:c is marked first"), "%s", e.message);
  pk_host_free(h);
}

Test(hooks, hints_reorder)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN)}},
      {"b", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_LAST, {0}, {0}}}},
      {"c", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
      {"d", NULL, {{"h", B_PLAIN, 0, {"a"}, {0}}}},
      {"e", NULL, {{"h", B_PLAIN, 0, {0}, {"t:c"}}}},
      {"f", NULL, {{"h", B_PLAIN, 0, {"missing", "other:ns"}, {"zzz"}}}},
  };
  pk_host *h = ok_host(s, 6);
  /* c first; d before a; e after c; hints naming plugins that are not
   * loaded are satisfied; b last */
  cr_expect_str_eq(order_of(h, "h"), "c d a e f b");
  targs a = {0};
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL), PK_OK);
  cr_expect_str_eq(a.log, "c d a e f b");
  pk_host_free(h);
}

Test(hooks, two_first_keep_dependency_order)
{
  static const plugin_spec s[] = {
      {"b", "\"a\"", {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
      {"a", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
      {"c", NULL, {H(B_PLAIN)}},
      {"d", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_LAST, {0}, {0}}}},
      {"e", "\"d\"", {{"h", B_PLAIN, PK_HOOK_IMPL_LAST, {0}, {0}}}},
  };
  pk_host *h = ok_host(s, 5);
  cr_expect_str_eq(order_of(h, "h"), "a b c d e");
  pk_host_free(h);
}

Test(hooks, several_impls_of_one_plugin_keep_registration_order)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN), H(B_PLAIN)}},
      {"b", NULL, {H(B_PLAIN), {"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
  };
  pk_host *h = ok_host(s, 2);
  cr_expect_str_eq(order_of(h, "h"), "b a a b");
  pk_host_free(h);
}

/* ---- contradictions: errors naming plugins and hints ---- */

static void expect_contradiction(const plugin_spec *s, size_t n,
                                 const char *const *parts)
{
  pk_host *h;
  pk_error e;
  pk_status st = setup(s, n, false, NULL, &h, &e);
  cr_expect_eq(st, PK_EDEP_CYCLE, "%s: %s", pk_status_name(st), e.message);
  cr_expect(strstr(e.message, "contradictory order for hook \"h\""), "%s",
            e.message);
  for (size_t i = 0; parts[i]; i++)
    cr_expect(strstr(e.message, parts[i]), "missing \"%s\" in: %s", parts[i],
              e.message);
  cr_expect(e.plugin[0], "the error names a plugin");
  /* nothing is callable: the registration failed */
  cr_expect_eq(pk_hook_impl_count(pk_host_get_hook(h, "h")), 0);
  pk_host_free(h);
}

Test(hooks, contradiction_before_after_cycle)
{
  static const plugin_spec s[] = {
      {"a", NULL, {{"h", B_PLAIN, 0, {"b"}, {0}}}},
      {"b", NULL, {{"h", B_PLAIN, 0, {"c"}, {0}}}},
      {"c", NULL, {{"h", B_PLAIN, 0, {0}, {"t:b"}}}},
      {"d", NULL, {{"h", B_PLAIN, 0, {0}, {"c"}}}},
  };
  /* a -> b -> c is fine; d after c fine; add c before a via a's after */
  static const plugin_spec s2[] = {
      {"a", NULL, {{"h", B_PLAIN, 0, {"b"}, {"c"}}}},
      {"b", NULL, {{"h", B_PLAIN, 0, {"c"}, {0}}}},
      {"c", NULL, {H(B_PLAIN)}},
  };
  pk_host *h = ok_host(s, 4);
  cr_expect_str_eq(order_of(h, "h"), "a b c d");
  pk_host_free(h);
  const char *parts[] = {"t:a before t:b (t:a: before = [\"t:b\"])",
                         "t:b before t:c (t:b: before = [\"t:c\"])",
                         "t:c before t:a (t:a: after = [\"t:c\"])", NULL};
  expect_contradiction(s2, 3, parts);
}

Test(hooks, contradiction_hint_against_dependency)
{
  static const plugin_spec s[] = {
      {"b", "\"a\"", {{"h", B_PLAIN, 0, {"a"}, {0}}}},
      {"a", NULL, {H(B_PLAIN)}},
  };
  /* the dependency with the manifest line it comes from */
  const char *parts[] = {
      "t:b before t:a (t:b: before = [\"t:a\"])",
      "t:a before t:b (t:b requires t:a at builtin:t:b:4:13)", NULL};
  expect_contradiction(s, 2, parts);
}

Test(hooks, contradiction_first_last)
{
  /* b requires a, a wants last, b wants first: both cannot hold */
  static const plugin_spec s[] = {
      {"b", "\"a\"", {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
      {"a", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_LAST, {0}, {0}}}},
  };
  const char *parts[] = {"t:a before t:b (t:b requires t:a at "
                         "builtin:t:b:4:13)",
                         "is marked first", NULL};
  expect_contradiction(s, 2, parts);
  /* after = a last one, while being neither last */
  static const plugin_spec s2[] = {
      {"a", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_LAST, {0}, {0}}}},
      {"b", NULL, {{"h", B_PLAIN, 0, {0}, {"a"}}}},
  };
  const char *parts2[] = {"t:b before t:a (t:a is marked last, t:b is not)",
                          "t:a before t:b (t:b: after = [\"t:a\"])", NULL};
  expect_contradiction(s2, 2, parts2);
}

Test(hooks, contradiction_first_and_last_on_one_impl)
{
  static const plugin_spec s[] = {
      {"a", NULL,
       {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST | PK_HOOK_IMPL_LAST, {0}, {0}}}},
  };
  pk_host *h;
  pk_error e;
  cr_expect_eq(setup(s, 1, false, NULL, &h, &e), PK_EMISUSE);
  cr_expect(strstr(e.message, "both first and last"), "%s", e.message);
  cr_expect_str_eq(e.plugin, "t:a");
  pk_host_free(h);
}

Test(hooks, contradiction_in_wrappers)
{
  static const plugin_spec s[] = {
      {"a", NULL, {{"h", B_WRAP, 0, {"b"}, {0}}}},
      {"b", NULL, {{"h", B_WRAP, 0, {"a"}, {0}}}},
  };
  const char *parts[] = {"t:a before t:b", "t:b before t:a", NULL};
  expect_contradiction(s, 2, parts);
}

/* ---- call modes ---- */

Test(hooks, collect_results)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_RESULT)}},
      {"b", NULL, {H(B_PLAIN)}},
      {"c", NULL, {H(B_RESULT)}},
      {"d", NULL, {H(B_RESULT)}},
  };
  pk_host *h = ok_host(s, 4);
  pk_hook *k = pk_host_get_hook(h, "h");
  int items[8];
  pk_hook_results r = {items, sizeof items[0], 8, 99};
  targs a = {0};
  cr_expect_eq(pk_hook_call(k, &a, &r, NULL), PK_OK);
  cr_expect_eq(r.count, 3);
  cr_expect_eq(items[0], 100);
  cr_expect_eq(items[1], 102);
  cr_expect_eq(items[2], 103);
  cr_expect_str_eq(a.log, "a b c d");
  /* a short array: later implementations still run, without a slot */
  int two[2] = {0, 0};
  pk_hook_results r2 = {two, sizeof two[0], 2, 0};
  a.log[0] = '\0';
  cr_expect_eq(pk_hook_call(k, &a, &r2, NULL), PK_OK);
  cr_expect_eq(r2.count, 2);
  cr_expect_eq(two[1], 102);
  cr_expect_str_eq(a.log, "a b c d");
  /* no results array at all */
  a.log[0] = '\0';
  cr_expect_eq(pk_hook_call(k, &a, NULL, NULL), PK_OK);
  cr_expect_str_eq(a.log, "a b c d");
  pk_host_free(h);
}

Test(hooks, first_result_stops)
{
  static const plugin_spec s[] = {
      {"a", NULL, {{"f", B_PLAIN, 0, {0}, {0}}}},
      {"b", NULL, {{"f", B_RESULT, 0, {0}, {0}}}},
      {"c", NULL, {{"f", B_RESULT, 0, {0}, {0}}}},
  };
  pk_host *h = ok_host(s, 3);
  int v = 0;
  pk_hook_results r = {&v, sizeof v, 1, 0};
  targs a = {0};
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "f"), &a, &r, NULL), PK_OK);
  cr_expect_eq(r.count, 1);
  cr_expect_eq(v, 101);
  cr_expect_str_eq(a.log, "a b");
  /* without a slot it still stops at b */
  a.log[0] = '\0';
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "f"), &a, NULL, NULL), PK_OK);
  cr_expect_str_eq(a.log, "a b");
  pk_host_free(h);
}

Test(hooks, empty_hook_calls_nothing)
{
  static const plugin_spec s[] = {{"a", NULL, {{0}}}};
  pk_host *h = ok_host(s, 1);
  int v = 5;
  pk_hook_results r = {&v, sizeof v, 1, 3};
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), NULL, &r, NULL), PK_OK);
  cr_expect_eq(r.count, 0);
  cr_expect_eq(pk_hook_impl_count(pk_host_get_hook(h, "h")), 0);
  pk_host_free(h);
}

/* ---- failures ---- */

Test(hooks, failure_stops_and_names_the_plugin)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN)}},
      {"b", NULL, {H(B_FAIL)}},
      {"c", NULL, {H(B_PLAIN)}},
  };
  pk_host *h = ok_host(s, 3);
  pk_hook *k = pk_host_get_hook(h, "h");
  targs a = {0};
  pk_error e;
  pk_error_clear(&e);
  cr_expect_eq(pk_hook_call(k, &a, NULL, &e), PK_ECONFIG);
  cr_expect_str_eq(a.log, "a b");
  cr_expect_str_eq(e.plugin, "t:b");
  cr_expect_str_eq(e.message, "b says no");
  cr_expect_eq(e.code, PK_ECONFIG);
  /* NULL err is fine */
  cr_expect_eq(pk_hook_call(k, &a, NULL, NULL), PK_ECONFIG);
  pk_host_free(h);
}

Test(hooks, bare_failure_gets_a_message)
{
  static const plugin_spec s[] = {{"a", NULL, {H(B_FAIL_BARE)}}};
  pk_host *h = ok_host(s, 1);
  targs a = {0};
  pk_error e;
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, &e),
               PK_EPLUGIN);
  cr_expect_str_eq(e.plugin, "t:a");
  cr_expect(strstr(e.message, "implementation of hook \"h\" in t:a failed "
                              "(returned 42)"),
            "%s", e.message);
  pk_host_free(h);
}

Test(hooks, success_leaves_err_alone)
{
  static const plugin_spec s[] = {{"a", NULL, {H(B_PLAIN)}}};
  pk_host *h = ok_host(s, 1);
  targs a = {0};
  pk_error e;
  memset(&e, 0x5a, sizeof e);
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, &e), PK_OK);
  cr_expect_eq(((unsigned char *)&e)[0], 0x5a);
  pk_host_free(h);
}

/* ---- wrappers ---- */

Test(hooks, wrappers_run_around_in_order)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN), H(B_WRAP)}},
      {"b", NULL, {H(B_PLAIN)}},
      {"c", NULL, {{"h", B_WRAP, PK_HOOK_IMPL_FIRST, {0}, {0}}}},
  };
  pk_host *h = ok_host(s, 3);
  cr_expect_str_eq(order_of(h, "h"), "<c <a a b");
  targs a = {0};
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL), PK_OK);
  cr_expect_str_eq(a.log, "<c <a a b >a >c");
  pk_host_free(h);
}

Test(hooks, wrapper_sees_failure_and_passes_it_on)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_WRAP)}},
      {"b", NULL, {H(B_FAIL)}},
      {"c", NULL, {H(B_PLAIN)}},
  };
  pk_host *h = ok_host(s, 3);
  targs a = {0};
  pk_error e;
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, &e),
               PK_ECONFIG);
  cr_expect_str_eq(a.log, "<a b >a (saw t:b: b says no)");
  cr_expect_str_eq(e.plugin, "t:b");
  cr_expect_str_eq(e.message, "b says no");
  pk_host_free(h);
}

Test(hooks, wrapper_swallows_failure)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_WRAP_SWALLOW)}},
      {"b", NULL, {H(B_FAIL)}},
  };
  pk_host *h = ok_host(s, 2);
  targs a = {0};
  pk_error e;
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, &e), PK_OK);
  cr_expect_eq(e.code, PK_OK);
  pk_host_free(h);
}

Test(hooks, wrapper_replaces_failure)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_WRAP)}},
      {"b", NULL, {H(B_WRAP_REPLACE)}},
      {"c", NULL, {H(B_FAIL_BARE)}},
  };
  pk_host *h = ok_host(s, 3);
  targs a = {0};
  pk_error e;
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, &e), PK_EIO);
  cr_expect_str_eq(e.plugin, "t:b");
  cr_expect_str_eq(e.message, "b replaced it");
  cr_expect(strstr(a.log, "(saw t:b: b replaced it)"), "%s", a.log);
  pk_host_free(h);
}

Test(hooks, wrapper_skips_and_edits_results)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_WRAP_EDIT)}},
      {"b", NULL, {H(B_RESULT)}},
      {"c", NULL, {H(B_RESULT)}},
  };
  pk_host *h = ok_host(s, 3);
  int items[4];
  pk_hook_results r = {items, sizeof items[0], 4, 0};
  targs a = {0};
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, &r, NULL), PK_OK);
  cr_expect_eq(r.count, 3);
  cr_expect_eq(items[0], 1101);
  cr_expect_eq(items[1], 1102);
  cr_expect_eq(items[2], 7);
  pk_host_free(h);
  static const plugin_spec s2[] = {
      {"a", NULL, {H(B_WRAP_SKIP)}},
      {"b", NULL, {H(B_FAIL)}},
  };
  h = ok_host(s2, 2);
  a.log[0] = '\0';
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL), PK_OK);
  cr_expect_str_eq(a.log, "<a >a");
  pk_host_free(h);
}

/* ---- registration misuse and undeclared hooks ---- */

/* It ran twice per call (issue 12, item 8). */
Test(hooks, the_same_implementation_added_twice_fails_that_plugin)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN)}},
      {"b", NULL, {H(B_TWICE)}},
  };
  pk_host *h;
  pk_error e;
  cr_expect_eq(setup(s, 2, false, NULL, &h, &e), PK_EDUPLICATE, "%s",
               e.message);
  cr_expect_str_eq(e.plugin, "t:b");
  cr_expect_str_eq(e.message, "t:b added the same implementation of hook "
                              "\"h\" twice (same function and data); add it "
                              "once");
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:b")),
               PK_STATE_FAILED);
  pk_host_free(h);
}

Test(hooks, undeclared_hook_is_a_warning_for_that_plugin)
{
  static const plugin_spec s[] = {
      {"a", NULL, {{"on_bild", B_PLAIN, 0, {0}, {0}}, H(B_PLAIN)}},
      {"b", NULL, {H(B_PLAIN)}},
  };
  pk_host *h = ok_host(s, 2);
  cr_expect(strstr(g_logbuf, "[2 t:a] implements hook \"on_bild\", which "
                             "this host does not declare"),
            "%s", g_logbuf);
  cr_expect_str_eq(order_of(h, "h"), "a b");
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:a")),
               PK_STATE_READY);
  pk_host_free(h);
}

Test(hooks, undeclared_hook_in_strict_mode_fails_that_plugin)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN)}},
      {"b", NULL, {{"hh", B_PLAIN, 0, {0}, {0}}}},
  };
  pk_host *h;
  pk_error e;
  cr_expect_eq(setup(s, 2, true, NULL, &h, &e), PK_ENOTFOUND);
  cr_expect_str_eq(e.plugin, "t:b");
  cr_expect(strstr(e.message, "implements hook \"hh\", which this host does "
                              "not declare"),
            "%s", e.message);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:b")),
               PK_STATE_FAILED);
  pk_host_free(h);
}

Test(hooks, hook_add_after_register_is_misuse)
{
  static const plugin_spec s[] = {{"late", NULL, {{0}}}};
  pk_host *h;
  pk_error e;
  cr_expect_eq(setup(s, 1, false, NULL, &h, &e), PK_EPLUGIN);
  cr_expect_str_eq(e.plugin, "t:late");
  pk_host_free(h);
}

/* ---- no allocation on the call path ---- */

static size_t g_allocs;

static void *counting_alloc(void *ud, void *p, size_t old, size_t n)
{
  (void)ud;
  (void)old;
  if (!n) {
    free(p);
    return NULL;
  }
  g_allocs++;
  return realloc(p, n);
}

Test(hooks, no_allocation_on_the_call_path)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN), {"f", B_FAIL, 0, {0}, {0}}}},
      {"b", NULL, {H(B_RESULT), {"f", B_WRAP, 0, {0}, {0}}}},
      {"c", NULL, {H(B_WRAP)}},
  };
  pk_host_options o = {.size = sizeof o, .alloc = counting_alloc};
  pk_host *h;
  pk_error e;
  cr_assert_eq(setup(s, 3, false, &o, &h, &e), PK_OK, "%s", e.message);
  pk_hook *k = pk_host_get_hook(h, "h"), *f = pk_host_get_hook(h, "f");
  int items[4];
  pk_hook_results r = {items, sizeof items[0], 4, 0};
  targs a;
  size_t before = g_allocs;
  cr_assert(before > 0, "the counting allocator is in use");
  for (int i = 0; i < 1000000; i++) {
    a.log[0] = '\0';
    pk_hook_call(k, &a, &r, &e);
    if (i % 1000 == 0) { /* the failure path too */
      a.log[0] = '\0';
      pk_hook_call(f, &a, NULL, &e);
    }
  }
  cr_expect_eq(g_allocs, before, "%zu allocations during 1e6 calls",
               g_allocs - before);
  cr_expect_eq(r.count, 1);
  pk_host_free(h);
}

/* ---- tracing ---- */

typedef struct trace_rec {
  int n;
  char ev[64][64];
  uint64_t total_ns;
} trace_rec;

static void trace_fn(void *ud, const pk_trace *t)
{
  trace_rec *r = ud;
  if (r->n < 64)
    snprintf(r->ev[r->n++], sizeof r->ev[0], "%s %s%s%s",
             pk_trace_event_name(t->event),
             t->plugin ? pk_plugin_get_id(t->plugin) : "-",
             t->hook ? " " : "", t->hook ? t->hook : "");
  r->total_ns += t->duration_ns;
}

Test(hooks, trace_start_up_and_calls)
{
  static const plugin_spec s[] = {
      {"b", "\"a\"", {H(B_PLAIN)}},
      {"a", NULL, {H(B_FAIL)}},
  };
  trace_rec rec = {0};
  pk_host_options o = {.size = sizeof o, .trace = trace_fn,
                       .trace_ud = &rec};
  pk_host *h;
  pk_error e;
  cr_assert_eq(setup(s, 2, false, &o, &h, &e), PK_OK, "%s", e.message);
  targs a = {0};
  pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL);
  pk_hook_call(pk_host_get_hook(h, "f"), &a, NULL, NULL);
  pk_host_free(h);
  const char *want[] = {"load t:b",          "load t:a",
                        "register t:a",      "register t:b",
                        "post_register t:a", "post_register t:b",
                        "hook_call t:a h",   "hook_call - f",
                        "unload t:b",        "unload t:a"};
  cr_assert_eq(rec.n, 10, "%d events", rec.n);
  for (int i = 0; i < 10; i++)
    cr_expect_str_eq(rec.ev[i], want[i]);
  cr_expect(rec.total_ns > 0);
}

/* The events' names (for programs) and descriptions (for users: the
 * CLI's reports and the quarantine's messages say these). */
Test(hooks, trace_events_are_named_and_described)
{
  static const char *const want[][2] = {
      {"load", "loading (dlopen)"},
      {"register", "register hook"},
      {"post_register", "post_register hook"},
      {"unload", "unloading (unload hook, dlclose)"},
      {"hook_call", "hook call"},
      {"factory", "factory"}};
  for (int i = 0; i <= PK_TRACE_FACTORY; i++) {
    cr_expect_str_eq(pk_trace_event_name((pk_trace_event)i), want[i][0]);
    cr_expect_str_eq(pk_trace_event_describe((pk_trace_event)i), want[i][1]);
  }
  cr_expect_str_eq(pk_trace_event_name((pk_trace_event)99), "unknown");
  cr_expect_str_eq(pk_trace_event_describe((pk_trace_event)99), "code");
}

static void watch_fn(void *ud, bool entering, pk_trace_event step,
                     const pk_plugin *p)
{
  trace_rec *r = ud;
  if (r->n < 64)
    snprintf(r->ev[r->n++], sizeof r->ev[0], "%c%s %s", entering ? '+' : '-',
             pk_trace_event_name(step), pk_plugin_get_id(p));
}

/* The watch callback brackets each call into plugin code outside hook
 * calls (the CLI names the plugin that killed its child with it). */
Test(hooks, watch_brackets_each_call_into_plugin_code)
{
  static const plugin_spec s[] = {
      {"b", "\"a\"", {H(B_PLAIN)}},
      {"a", NULL, {H(B_FAIL)}},
  };
  trace_rec rec = {0};
  pk_host_options o = {.size = sizeof o, .watch = watch_fn, .watch_ud = &rec};
  pk_host *h;
  pk_error e;
  cr_assert_eq(setup(s, 2, false, &o, &h, &e), PK_OK, "%s", e.message);
  targs a = {0};
  pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL); /* not watched */
  pk_host_free(h);
  const char *want[] = {
      "+load t:b",          "-load t:b",          "+load t:a",
      "-load t:a",          "+register t:a",      "-register t:a",
      "+register t:b",      "-register t:b",      "+post_register t:a",
      "-post_register t:a", "+post_register t:b", "-post_register t:b",
      "+unload t:b",        "-unload t:b",        "+unload t:a",
      "-unload t:a"};
  cr_assert_eq(rec.n, 16, "%d events", rec.n);
  for (int i = 0; i < 16; i++)
    cr_expect_str_eq(rec.ev[i], want[i]);
}

/* ---- unloading: real shared objects, every order ---- */

#define HK PK_TEST_BINARY_DIR "/fixtures/hooks"

static fixture_log hk_log;

static const char *const hk_names[] = {"base", "mid", "top",
                                       "side", "solo", "res"};
enum { HK_N = 6 };

static pk_host *hk_host(void)
{
  pk_host_options o = {.size = sizeof o, .userdata = &hk_log,
                       .ignore_env = true};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_namespace(h, "hk", 1, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, HK, &e), PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "hk.event", PK_HOOK_COLLECT, NULL, &e),
               PK_OK);
  const char *reqs[HK_N];
  static char ids[HK_N][16];
  for (int i = 0; i < HK_N; i++) {
    snprintf(ids[i], sizeof ids[i], "hk:%s", hk_names[i]);
    reqs[i] = ids[i];
  }
  hk_log.n = 0;
  cr_assert_eq(pk_host_register(h, reqs, HK_N, NULL, 0, &e), PK_OK, "%s",
               e.message);
  return h;
}

/* index of name in hk_names */
static int hk_index(const char *id)
{
  for (int i = 0; i < HK_N; i++)
    if (!strcmp(id + 3, hk_names[i]))
      return i;
  return -1;
}

/* requires[i][j]: plugin i requires plugin j (directly or not) */
static bool hk_requires(int i, int j)
{
  static const int direct[HK_N] = {-1, 0, 1, 0, -1, 0}; /* parent */
  for (int k = direct[i]; k >= 0; k = direct[k])
    if (k == j)
      return true;
  return false;
}

static bool hk_mapped(const char *path)
{
  void *p = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (p)
    dlclose(p);
  return p != NULL;
}

/* Unloads in the order perm; checks after each step. */
static void hk_unload_order(const int *perm)
{
  pk_host *h = hk_host();
  int reg_pos[HK_N]; /* registration position */
  for (int i = 0, r = 0; i < hk_log.n; i++)
    if (!strncmp(hk_log.ev[i], "register:", 9))
      reg_pos[hk_index(hk_log.ev[i] + 9)] = r++;
  char paths[HK_N][1024];
  pk_plugin *ps[HK_N];
  for (int i = 0; i < HK_N; i++) {
    char id[16];
    snprintf(id, sizeof id, "hk:%s", hk_names[i]);
    ps[i] = pk_host_find_plugin(h, id);
    snprintf(paths[i], sizeof paths[i], "%s", pk_plugin_get_library_path(ps[i]));
    cr_assert(hk_mapped(paths[i]));
  }
  bool gone[HK_N] = {false};
  int unloads[HK_N] = {0};
  for (int step = 0; step < HK_N; step++) {
    int t = perm[step];
    hk_log.n = 0;
    pk_error e;
    cr_assert_eq(pk_host_unload_plugin(h, ps[t], &e), PK_OK, "%s", e.message);
    /* expected newly gone: t and its dependants not gone yet */
    bool now[HK_N];
    for (int i = 0; i < HK_N; i++)
      now[i] = !gone[i] && (i == t || hk_requires(i, t));
    /* unload events: exactly those, reverse registration order */
    int last_pos = 1 << 30;
    int count = 0;
    for (int i = 0; i < hk_log.n; i++) {
      cr_assert(!strncmp(hk_log.ev[i], "unload:", 7), "%s", hk_log.ev[i]);
      int k = hk_index(hk_log.ev[i] + 7);
      cr_assert(now[k], "unexpected %s (step %d)", hk_log.ev[i], step);
      cr_assert(reg_pos[k] < last_pos, "unload order");
      last_pos = reg_pos[k];
      unloads[k]++;
      count++;
    }
    int want = 0;
    for (int i = 0; i < HK_N; i++) {
      want += now[i];
      gone[i] = gone[i] || now[i];
    }
    cr_assert_eq(count, want);
    /* states, mappings, dispatch */
    for (int i = 0; i < HK_N; i++) {
      cr_assert_eq(pk_plugin_get_state(ps[i]) == PK_STATE_UNLOADED, gone[i]);
      bool resident = !strcmp(hk_names[i], "res");
      cr_assert_eq(hk_mapped(paths[i]), !gone[i] || resident, "%s mapped",
                   hk_names[i]);
    }
    fixture_log calls = {0};
    cr_assert_eq(pk_hook_call(pk_host_get_hook(h, "hk.event"), &calls, NULL,
                              &e),
                 PK_OK);
    int live = 0;
    for (int i = 0; i < HK_N; i++)
      live += !gone[i];
    cr_assert_eq(calls.n, live);
    cr_assert_eq(pk_hook_impl_count(pk_host_get_hook(h, "hk.event")),
                 (size_t)live);
    for (int i = 0; i < calls.n; i++)
      cr_assert(!gone[hk_index(calls.ev[i] + 5)], "%s", calls.ev[i]);
  }
  hk_log.n = 0;
  pk_host_free(h);
  cr_assert_eq(hk_log.n, 0, "pk_host_free unloaded again: %s", hk_log.ev[0]);
  for (int i = 0; i < HK_N; i++)
    cr_assert_eq(unloads[i], 1, "%s unloaded %d times", hk_names[i],
                 unloads[i]);
}

static bool next_perm(int *a, int n)
{
  int i = n - 2;
  while (i >= 0 && a[i] >= a[i + 1])
    i--;
  if (i < 0)
    return false;
  int j = n - 1;
  while (a[j] <= a[i])
    j--;
  int t = a[i];
  a[i] = a[j];
  a[j] = t;
  for (int l = i + 1, r = n - 1; l < r; l++, r--) {
    t = a[l];
    a[l] = a[r];
    a[r] = t;
  }
  return true;
}

Test(hooks_unload, every_order, .timeout = 300)
{
  int perm[HK_N] = {0, 1, 2, 3, 4, 5};
  int n = 0;
  do {
    hk_unload_order(perm);
    n++;
  } while (next_perm(perm, HK_N));
  cr_expect_eq(n, 720);
}

Test(hooks_unload, free_unloads_the_rest_in_reverse_order)
{
  pk_host *h = hk_host();
  char reg[HK_N][32];
  int nreg = 0;
  for (int i = 0; i < hk_log.n; i++)
    if (!strncmp(hk_log.ev[i], "register:", 9))
      snprintf(reg[nreg++], sizeof reg[0], "%s", hk_log.ev[i] + 9);
  pk_error e;
  cr_assert_eq(pk_host_unload_plugin(h, pk_host_find_plugin(h, "hk:top"), &e),
               PK_OK);
  hk_log.n = 0;
  pk_host_free(h);
  int k = 0;
  for (int i = nreg - 1; i >= 0; i--) {
    if (!strcmp(reg[i], "hk:top"))
      continue;
    cr_assert(k < hk_log.n);
    cr_expect_str_eq(hk_log.ev[k] + 7, reg[i]);
    k++;
  }
  cr_expect_eq(k, hk_log.n);
}

Test(hooks_unload, misuse)
{
  /* inside a hook call: PK_ESTATE, nothing changes */
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN)}},
      {"b", "\"a\"", {H(B_UNLOAD_INSIDE)}},
  };
  pk_host *h = ok_host(s, 2);
  targs a = {0};
  g_inside_status = PK_OK;
  cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL), PK_OK);
  cr_expect_eq(g_inside_status, PK_ESTATE);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:a")),
               PK_STATE_READY);
  cr_expect_str_eq(order_of(h, "h"), "a b");
  /* a plugin that is not loaded */
  pk_error e;
  pk_plugin *c = pk_host_find_plugin(h, "t:a");
  cr_expect_eq(pk_host_unload_plugin(h, NULL, &e), PK_EMISUSE);
  /* built-ins unload too (no dlclose): a takes b with it */
  cr_expect_eq(pk_host_unload_plugin(h, c, &e), PK_OK);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "t:b")),
               PK_STATE_UNLOADED);
  cr_expect_eq(pk_hook_impl_count(pk_host_get_hook(h, "h")), 0);
  cr_expect_eq(pk_host_unload_plugin(h, c, &e), PK_OK); /* again: no-op */
  pk_host_free(h);
  /* before registration finished */
  cr_assert_eq(pk_host_new(NULL, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, HK, &e), PK_OK);
  const char *req[] = {"hk:base"};
  cr_assert_eq(pk_host_request(h, req, 1, &e), PK_OK);
  cr_assert_eq(pk_host_import(h, &e), PK_OK, "%s", e.message);
  cr_expect_eq(pk_host_unload_plugin(h, pk_host_find_plugin(h, "hk:base"), &e),
               PK_ESTATE);
  pk_host_free(h);
}

Test(hooks_unload, stray_plugin_keeps_the_host)
{
  pk_host_options o = {.size = sizeof o, .log = log_fn,
                       .userdata = &hk_log, .ignore_env = true};
  pk_host *h;
  pk_error e;
  g_logbuf[0] = '\0';
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, HK, &e), PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "hk.event", PK_HOOK_COLLECT, NULL, &e),
               PK_OK);
  const char *req[] = {"hk:stray", "hk:solo"};
  cr_expect_eq(pk_host_register(h, req, 2, NULL, 0, &e), PK_OK, "%s",
               e.message);
  cr_expect(strstr(g_logbuf, "hk:stray] implements hook \"hk.nothere\""),
            "%s", g_logbuf);
  cr_expect_eq(pk_hook_impl_count(pk_host_get_hook(h, "hk.event")), 2);
  pk_host_free(h);
}

/* ---- plugkit order --timings ---- */

Test(hooks_cli, order_timings_prints_plugin_costs_on_stderr)
{
  char cmd[2048], errfile[] = "/tmp/pk-order-XXXXXX";
  int fd = mkstemp(errfile);
  cr_assert(fd >= 0);
  close(fd);
  snprintf(cmd, sizeof cmd,
           "PLUGKIT_PATH= %s order --timings --path %s hk:top hk:solo 2>%s",
           PK_CLI_PATH, HK, errfile);
  FILE *f = popen(cmd, "r");
  cr_assert(f);
  char out[512] = "";
  size_t n = fread(out, 1, sizeof out - 1, f);
  out[n] = '\0';
  cr_expect_eq(pclose(f), 0);
  cr_expect_str_eq(out, "hk:base hk:solo\nhk:mid\nhk:top\n");
  FILE *ef = fopen(errfile, "r");
  cr_assert(ef);
  char err[4096] = "";
  n = fread(err, 1, sizeof err - 1, ef);
  err[n] = '\0';
  fclose(ef);
  unlink(errfile);
  cr_expect(strstr(err, "load   register   post_reg      total (ms)"), "%s",
            err);
  for (const char *const *id = (const char *const[]){"hk:base", "hk:solo",
                                                     "hk:mid", "hk:top", NULL};
       *id; id++) {
    char want[64];
    snprintf(want, sizeof want, "plugkit: %-32s ", *id);
    cr_expect(strstr(err, want), "no line for %s in:\n%s", *id, err);
  }
  cr_expect(strstr(err, "(all)"), "%s", err);
  cr_expect(!strstr(err, "warning"), "a generic tool does not warn: %s", err);
}

/* ---- out of memory: the Nth allocation fails, nothing leaks ---- */

static long g_fail_in = -1; /* allocations left before one fails; -1 never */

static void *failing_alloc(void *ud, void *p, size_t old, size_t n)
{
  (void)ud;
  (void)old;
  if (!n) {
    free(p);
    return NULL;
  }
  if (g_fail_in >= 0 && g_fail_in-- == 0)
    return NULL;
  return realloc(p, n);
}

/* Runs the stages with allocation number n (counted from `armed_stage`)
 * failing; returns the status of the first failing stage. */
static pk_status oom_run(const plugin_spec *s, size_t ns, int armed_stage,
                         long n, bool *hit)
{
  pk_host_options o = {.size = sizeof o, .alloc = failing_alloc,
                       .ignore_env = true};
  g_fail_in = -1;
  g_specs = s;
  g_nspecs = ns;
  memset(g_data, 0, sizeof g_data);
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_namespace(h, "t", 1, &e), PK_OK);
  const char *reqs[8];
  static char ids[8][16];
  for (size_t i = 0; i < ns; i++) {
    char text[256];
    snprintf(text, sizeof text,
             "name = \"%s\"\nnamespace = \"t\"\nversion = \"1.0.0\"\n"
             "requires = [%s]\n",
             s[i].name, s[i].requires ? s[i].requires : "");
    for (size_t k = 0; k < sizeof bi_all / sizeof bi_all[0]; k++)
      if (!strcmp(bi_all[k]->name, s[i].name))
        cr_assert_eq(pk_host_add_builtin(h, bi_all[k], text, &e), PK_OK);
    snprintf(ids[i], sizeof ids[i], "t:%s", s[i].name);
    reqs[i] = ids[i];
  }
  cr_assert_eq(pk_host_declare_hook(h, "h", PK_HOOK_COLLECT, NULL, &e), PK_OK);
  cr_assert_eq(pk_host_declare_hook(h, "f", PK_HOOK_FIRST_RESULT, NULL, &e),
               PK_OK);
  pk_status st = pk_host_request(h, reqs, ns, &e);
  if (st == PK_OK)
    st = pk_host_import(h, &e);
  if (armed_stage == 0)
    g_fail_in = n;
  if (st == PK_OK)
    st = pk_host_resolve(h, &e);
  if (armed_stage == 1)
    g_fail_in = n;
  if (st == PK_OK)
    st = pk_host_post_register(h, NULL, 0, &e);
  *hit = g_fail_in < 0;
  g_fail_in = -1;
  if (st == PK_OK) { /* whatever survived must work */
    targs a = {0};
    cr_expect_eq(pk_hook_call(pk_host_get_hook(h, "h"), &a, NULL, NULL), PK_OK);
    cr_expect_str_eq(a.log, "c a b", "%ld", n);
  } else {
    cr_expect_eq(st, PK_ENOMEM, "allocation %ld: %s %s", n,
                 pk_status_name(st), e.message);
    cr_expect_null(pk_hook_impl_count(pk_host_get_hook(h, "h")) ? h : NULL);
  }
  pk_host_free(h);
  return st;
}

Test(hooks_oom, registration_and_freeze, .timeout = 120)
{
  static const plugin_spec s[] = {
      {"a", NULL, {H(B_PLAIN), {"f", B_WRAP, 0, {"b"}, {0}}}},
      {"b", "\"a\"", {H(B_PLAIN), {"f", B_RESULT, 0, {0}, {"a", "c"}}}},
      {"c", NULL, {{"h", B_PLAIN, PK_HOOK_IMPL_FIRST, {"a"}, {0}}}},
  };
  for (int stage = 0; stage < 2; stage++) {
    long n = 0;
    bool hit = true;
    for (; hit && n < 10000; n++)
      oom_run(s, 3, stage, n, &hit);
    cr_expect(!hit, "stage %d: still failing after %ld allocations", stage,
              n);
    cr_expect(n > 3, "stage %d allocates (%ld)", stage, n);
  }
}
