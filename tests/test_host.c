/* test_host.c -- discovery, staged registration, ordering and every failure
 * mode, with real fixture plugins (tests/fixtures/README.md).
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <plugkit.h>
#include <plugkit/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counting_alloc.h"
#include "test_util.h"
#include "../tests/plugins/fixture.h"

#define FIX(set) PK_TEST_BINARY_DIR "/fixtures/" set

static fixture_log events;

static pk_host *host_with(const char *const *paths, size_t npaths,
                          const char *const *nss, size_t nns, bool strict)
{
  pk_host_options o = {.size = sizeof o, .userdata = &events,
                       .strict = strict, .ignore_env = true};
  pk_host *h = NULL;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK, "%s", e.message);
  for (size_t i = 0; i < nns; i++)
    cr_assert_eq(pk_host_add_namespace(h, nss[i], 1, &e), PK_OK);
  for (size_t i = 0; i < npaths; i++)
    cr_assert_eq(pk_host_add_path(h, paths[i], &e), PK_OK);
  return h;
}

static pk_host *seed_host(void)
{
  static const char *const paths[] = {FIX("seed")};
  static const char *const nss[] = {"black", "green", "blue"};
  return host_with(paths, 1, nss, 3, false);
}

static pk_host *faults_host(void)
{
  static const char *const paths[] = {FIX("faults")};
  static const char *const nss[] = {"faults"};
  return host_with(paths, 1, nss, 1, false);
}

/* "what: a b c" from the recorded events of one kind. */
static void events_of(const char *what, char *out, size_t n)
{
  size_t wl = strlen(what), used = 0;
  out[0] = '\0';
  for (int i = 0; i < events.n; i++) {
    const char *ev = events.ev[i];
    if (strncmp(ev, what, wl) || ev[wl] != ':')
      continue;
    /* ns:name is the two fields after what: */
    const char *id = ev + wl + 1;
    const char *end = strchr(strchr(id, ':') + 1, ':');
    size_t len = end ? (size_t)(end - id) : strlen(id);
    used += (size_t)snprintf(out + used, n - used, "%s%.*s", used ? " " : "",
                             (int)len, id);
  }
}

static void layers_of(pk_host *h, char *out, size_t n)
{
  size_t used = 0;
  out[0] = '\0';
  for (size_t l = 0; l < pk_host_layer_count(h); l++)
    for (size_t i = 0; i < pk_host_layer_size(h, l); i++)
      used += (size_t)snprintf(out + used, n - used, "%s%s",
                               used ? (i ? " " : " | ") : "",
                               pk_plugin_get_id(
                                   pk_host_layer_plugin_at(h, l, i)));
}

static void check_scenario(const char *const *reqs, size_t n,
                           const char *want_register, const char *want_post,
                           const char *want_layers)
{
  pk_host *h = seed_host();
  pk_error e;
  char got[2048];
  events.n = 0;
  cr_assert_eq(pk_host_register(h, reqs, n, NULL, 0, &e), PK_OK, "%s",
               e.message);
  events_of("register", got, sizeof got);
  cr_expect_str_eq(got, want_register);
  events_of("post", got, sizeof got);
  cr_expect_str_eq(got, want_post);
  layers_of(h, got, sizeof got);
  cr_expect_str_eq(got, want_layers);
  pk_host_free(h);
}

/* ---- the seed's scenarios (expected orders: tests/model/addons_model.py) */

Test(seed, black_one)
{
  const char *reqs[] = {"black:one"};
  check_scenario(reqs, 1,
                 "black:eight green:five black:three green:seven green:nine "
                 "green:three black:one green:four green:ten black:seven "
                 "black:ten black:five",
                 "black:eight black:five green:five black:three green:ten "
                 "black:seven black:ten green:seven green:four green:nine "
                 "green:three black:one",
                 "black:eight black:five green:five black:three green:ten | "
                 "black:seven black:ten green:seven | green:four | green:nine "
                 "| green:three | black:one");
}

Test(seed, green_three)
{
  const char *reqs[] = {"green:three"};
  check_scenario(reqs, 1,
                 "black:eight black:three green:seven green:nine green:three "
                 "green:four green:ten black:ten black:five",
                 "black:eight black:five black:three green:ten black:ten "
                 "green:seven green:four green:nine green:three",
                 "black:eight black:five black:three green:ten | black:ten "
                 "green:seven | green:four | green:nine | green:three");
}

Test(seed, blue_all_from_a_plugin)
{
  const char *reqs[] = {"blue:one"};
  check_scenario(reqs, 1,
                 "blue:five blue:six blue:four blue:three blue:two blue:one",
                 "blue:five blue:six blue:four blue:three blue:two blue:one",
                 "blue:five blue:six | blue:four blue:three | blue:two | "
                 "blue:one");
}

Test(seed, blue_all_added_by_a_hook)
{
  const char *reqs[] = {"blue:six"};
  check_scenario(reqs, 1,
                 "blue:six blue:five blue:one blue:four blue:three blue:two",
                 "blue:five blue:one blue:four blue:three blue:two blue:six",
                 "blue:five blue:one | blue:four blue:three | blue:two | "
                 "blue:six");
}

Test(seed, blue_all_requested_by_the_host)
{
  const char *reqs[] = {"blue:__all__"};
  check_scenario(reqs, 1,
                 "blue:five blue:one blue:six blue:four blue:three blue:two",
                 "blue:five blue:one blue:six blue:four blue:three blue:two",
                 "blue:five blue:one blue:six | blue:four blue:three | "
                 "blue:two");
}

Test(seed, hook_dependency_registers_after_but_posts_before)
{
  const char *reqs[] = {"black:two"};
  check_scenario(reqs, 1, "black:six black:two black:four",
                 "black:four black:six black:two",
                 "black:four | black:six | black:two");
}

Test(seed, post_register_args_per_namespace)
{
  pk_host *h = seed_host();
  pk_error e;
  const char *reqs[] = {"black:two"};
  pk_ns_args args[] = {{"black", (void *)"A"}, {"green", (void *)"B"}};
  events.n = 0;
  cr_assert_eq(pk_host_register(h, reqs, 1, args, 2, &e), PK_OK);
  int posts = 0;
  for (int i = 0; i < events.n; i++)
    if (!strncmp(events.ev[i], "post:", 5)) {
      cr_expect(strstr(events.ev[i], ":A") != NULL, "%s", events.ev[i]);
      posts++;
    }
  cr_expect_eq(posts, 3);
  pk_host_free(h);
}

Test(seed, unload_in_exact_reverse_registration_order)
{
  pk_host *h = seed_host();
  pk_error e;
  const char *reqs[] = {"black:one"};
  events.n = 0;
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK);
  char reg[2048], unl[2048];
  events_of("register", reg, sizeof reg);
  pk_host_free(h);
  events_of("unload", unl, sizeof unl);
  /* reverse the register list word by word */
  char rev[2048] = "";
  char *words[64];
  int nw = 0;
  for (char *t = strtok(reg, " "); t; t = strtok(NULL, " "))
    words[nw++] = t;
  for (int i = nw - 1; i >= 0; i--) {
    strcat(rev, words[i]);
    if (i)
      strcat(rev, " ");
  }
  cr_expect_str_eq(unl, rev);
}

Test(seed, staged_calls_equal_the_one_shot_call)
{
  pk_host *h = seed_host();
  pk_error e;
  const char *reqs[] = {"green:three"};
  events.n = 0;
  cr_assert_eq(pk_host_request(h, reqs, 1, &e), PK_OK);
  cr_assert_eq(pk_host_import(h, &e), PK_OK);
  /* layers exist after import, before any hook ran */
  cr_expect_eq(events.n, 0);
  cr_expect_gt(pk_host_layer_count(h), 0);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "green:three")),
               PK_STATE_LOADED);
  cr_assert_eq(pk_host_resolve(h, &e), PK_OK);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "green:three")),
               PK_STATE_REGISTERED);
  cr_assert_eq(pk_host_post_register(h, NULL, 0, &e), PK_OK);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "green:three")),
               PK_STATE_READY);
  char got[2048];
  events_of("post", got, sizeof got);
  cr_expect_str_eq(got, "black:eight black:five black:three green:ten "
                        "black:ten green:seven green:four green:nine "
                        "green:three");
  pk_host_free(h);
}

/* ---- the seed's failure package ---- */

static pk_host *failure_host(void)
{
  static const char *const paths[] = {FIX("failure")};
  static const char *const nss[] = {"failure"};
  return host_with(paths, 1, nss, 1, false);
}

Test(failure, static_cycle_is_reported_before_any_hook)
{
  pk_host *h = failure_host();
  pk_error e;
  const char *reqs[] = {"failure:recursive1"};
  events.n = 0;
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_EDEP_CYCLE);
  cr_expect(strstr(e.message, "failure:recursive1 -> failure:recursive2 -> "
                              "failure:recursive1") != NULL,
            "%s", e.message);
  cr_expect_eq(events.n, 0, "a hook ran before the cycle was reported");
  pk_host_free(h);
}

Test(failure, hook_added_cycle_is_reported_before_the_next_hook)
{
  pk_host *h = failure_host();
  pk_error e;
  const char *reqs[] = {"failure:recursive1_extra"};
  events.n = 0;
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_EDEP_CYCLE);
  cr_expect(strstr(e.message, "failure:recursive1_extra -> "
                              "failure:recursive2_extra -> "
                              "failure:recursive1_extra") != NULL,
            "%s", e.message);
  char got[512];
  events_of("register", got, sizeof got);
  cr_expect_str_eq(got, "failure:recursive1_extra failure:recursive2_extra");
  events_of("post", got, sizeof got);
  cr_expect_str_eq(got, "");
  pk_host_free(h);
}

Test(failure, data_only_and_hook_without_requirements_are_fine)
{
  pk_host *h = failure_host();
  pk_error e;
  const char *reqs[] = {"failure:nohook", "failure:noresult"};
  cr_assert_eq(pk_host_register(h, reqs, 2, NULL, 0, &e), PK_OK, "%s",
               e.message);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "failure:nohook")),
               PK_STATE_READY);
  pk_host_free(h);
}

Test(failure, unknown_namespace_names_the_namespaces)
{
  pk_host *h = failure_host();
  pk_error e;
  const char *reqs[] = {"nonexistent:blah"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_EDEP_MISSING);
  cr_expect(strstr(e.message, "namespace \"nonexistent\"") != NULL, "%s",
            e.message);
  cr_expect(strstr(e.message, "failure") != NULL, "%s", e.message);
  pk_host_free(h);
}

Test(failure, missing_plugin_in_a_known_namespace)
{
  pk_host *h = failure_host();
  pk_error e;
  const char *reqs[] = {"failure:nonexistent"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_EDEP_MISSING);
  cr_expect(strstr(e.message, "no plugin failure:nonexistent is installed"),
            "%s", e.message);
  pk_host_free(h);
}

/* ---- one fixture plugin per failure mode ---- */

static pk_status register_fault(const char *id, pk_error *e, pk_host **out)
{
  pk_host *h = faults_host();
  const char *reqs[] = {id};
  events.n = 0;
  pk_status st = pk_host_register(h, reqs, 1, NULL, 0, e);
  if (out)
    *out = h;
  else
    pk_host_free(h);
  return st;
}

#define EXPECT_IN(text, needle)                                                \
  cr_expect(strstr((text), (needle)) != NULL, "\"%s\" not in: %s", (needle),  \
            (text))

Test(faults, healthy_plugin_is_ready)
{
  pk_error e;
  pk_host *h;
  cr_assert_eq(register_fault("faults:ok", &e, &h), PK_OK, "%s", e.message);
  pk_plugin *p = pk_host_find_plugin(h, "faults:ok");
  cr_expect_eq(pk_plugin_get_state(p), PK_STATE_READY);
  EXPECT_IN(pk_plugin_get_reason(p), "requested by the host");
  pk_host_free(h);
}

Test(faults, missing_descriptor_symbol)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:missing_symbol", &e, NULL), PK_ELOAD);
  EXPECT_IN(e.message, "does not export pk_plugin_descriptor");
  EXPECT_IN(e.message, "undefined symbol"); /* dlerror() text kept */
  cr_expect_str_eq(e.plugin, "faults:missing_symbol");
}

Test(faults, wrong_plugin_abi)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:wrong_abi", &e, NULL), PK_EABI);
  EXPECT_IN(e.message, "plugin ABI 2");
  EXPECT_IN(e.message, "uses ABI 1");
}

Test(faults, descriptor_too_small)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:wrong_size", &e, NULL), PK_EABI);
  EXPECT_IN(e.message, "descriptor of 8 bytes");
}

Test(faults, descriptor_names_another_plugin)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:name_mismatch", &e, NULL), PK_ELOAD);
  EXPECT_IN(e.message, "faults:not_the_manifest_name");
  EXPECT_IN(e.message, "faults:name_mismatch");
  /* it names the library first, then the manifest */
  EXPECT_IN(e.message, "libfaults_name_mismatch.so defines plugin");
  EXPECT_IN(e.message, "name_mismatch/plugin.toml names");
}

Test(faults, descriptor_and_manifest_disagree_on_abi)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:host_abi_mismatch", &e, NULL), PK_EABI);
  EXPECT_IN(e.message, "plugin faults:host_abi_mismatch: its library ");
  EXPECT_IN(e.message, "libfaults_host_abi_mismatch.so was compiled for "
                       "ABI 7 of namespace \"faults\" but its manifest "
                       "says abi = 1; rebuild the plugin against this "
                       "plugkit, or fix the manifest's abi");
  /* at the manifest's abi key (line 6), the plugin named */
  EXPECT_IN(e.source, "host_abi_mismatch/plugin.toml");
  cr_expect_eq(e.line, 6);
  cr_expect_eq(e.col, 7);
  cr_expect_str_eq(e.plugin, "faults:host_abi_mismatch");
}

Test(faults, manifest_abi_not_accepted_by_host)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:manifest_abi_2", &e, NULL), PK_EABI);
  EXPECT_IN(e.message, "ABI 2 of namespace \"faults\"");
  EXPECT_IN(e.message, "accepts ABI 1");
  cr_expect_gt(e.line, 0); /* points at the manifest's abi line */
}

Test(faults, register_hook_failure_names_plugin_and_message)
{
  pk_error e;
  pk_host *h;
  cr_assert_eq(register_fault("faults:register_fails", &e, &h), PK_EPLUGIN);
  cr_expect_str_eq(e.plugin, "faults:register_fails");
  EXPECT_IN(e.message, "cannot reach the database at db.local:5432");
  pk_plugin *p = pk_host_find_plugin(h, "faults:register_fails");
  cr_expect_eq(pk_plugin_get_state(p), PK_STATE_FAILED);
  EXPECT_IN(pk_plugin_get_reason(p), "cannot reach the database");
  pk_host_free(h);
}

Test(faults, register_hook_returning_nonzero_without_message)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:register_returns", &e, NULL),
               PK_EPLUGIN);
  EXPECT_IN(e.message, "returned 42");
}

Test(faults, post_register_failure)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:post_fails", &e, NULL), PK_EPLUGIN);
  EXPECT_IN(e.message, "post_register refused");
}

/* A library dlopen refuses: dlerror()'s text, at the manifest's library
 * key, with the plugin and what to do. */
Test(faults, dlopen_error_text_is_kept)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:undefined_symbol", &e, NULL), PK_ELOAD);
  EXPECT_IN(e.message, "plugin faults:undefined_symbol: cannot load its "
                       "library: ");
  EXPECT_IN(e.message, "pk_fixture_function_nobody_defines");
  EXPECT_IN(e.message, "; rebuild it for this system and host");
  EXPECT_IN(e.source, "undefined_symbol/plugin.toml");
  cr_expect_eq(e.line, 5);
  cr_expect_eq(e.col, 11);
}

/* A plugin not built: said so (a newcomer's first error), at the
 * library key of its manifest. */
Test(faults, library_file_missing)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:no_library_file", &e, NULL), PK_ELOAD);
  EXPECT_IN(e.message, "plugin faults:no_library_file: cannot load its "
                       "library: ");
  EXPECT_IN(e.message, "libnot_built.so");
  EXPECT_IN(e.message, "; build the plugin (its library goes beside "
                       "plugin.toml), or fix the manifest's library");
  EXPECT_IN(e.source, "no_library_file/plugin.toml");
  cr_expect_eq(e.line, 4);
  cr_expect_eq(e.col, 11);
  cr_expect_str_eq(e.plugin, "faults:no_library_file");
}

Test(faults, missing_requirement_names_requirer_and_position)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:requires_missing", &e, NULL),
               PK_EDEP_MISSING);
  EXPECT_IN(e.message, "plugin faults:requires_missing requires "
                       "\"faults:nonexistent\"");
  EXPECT_IN(e.message, "install it in a search path");
  cr_expect_str_eq(e.plugin, "faults:requires_missing");
  EXPECT_IN(e.source, "requires_missing/plugin.toml");
  cr_expect_eq(e.line, 5);
  cr_expect_eq(e.col, 13);
}

Test(faults, missing_requirement_suggests_the_closest_name)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:requires_typo", &e, NULL),
               PK_EDEP_MISSING);
  EXPECT_IN(e.message, "did you mean faults:ok?");
}

Test(faults, unmet_version_constraint)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:requires_newer", &e, NULL),
               PK_EDEP_VERSION);
  EXPECT_IN(e.message, "requires \"faults:ok >= 2.0\"");
  EXPECT_IN(e.message, "faults:ok 1.0.0 is installed");
  EXPECT_IN(e.message, ">= 2.0.0");
}

Test(faults, met_version_constraint_in_same_namespace)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:requires_ok_v1", &e, NULL), PK_OK, "%s",
               e.message);
}

Test(faults, requirement_in_unknown_namespace)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:requires_unknown_ns", &e, NULL),
               PK_EDEP_MISSING);
  EXPECT_IN(e.message, "namespace \"nowhere\" is unknown");
  cr_expect_str_eq(e.plugin, "faults:requires_unknown_ns");
}

Test(faults, optional_requirement_used_when_present_ignored_when_absent)
{
  pk_error e;
  pk_host *h;
  cr_assert_eq(register_fault("faults:optional_missing", &e, &h), PK_OK, "%s",
               e.message);
  cr_expect_eq(pk_plugin_get_state(pk_host_find_plugin(h, "faults:ok")),
               PK_STATE_READY);
  cr_expect_eq(pk_host_layer_count(h), 2);
  pk_host_free(h);
}

Test(faults, static_three_cycle_prints_the_chain)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:cyc_b", &e, NULL), PK_EDEP_CYCLE);
  /* every edge with the manifest line it comes from */
  cr_expect_str_eq(
      e.message,
      "dependency cycle: faults:cyc_a -> faults:cyc_b -> faults:cyc_c -> "
      "faults:cyc_a (faults:cyc_a requires faults:cyc_b at " FIX(
          "faults") "/cyc_a/plugin.toml:5:13; faults:cyc_b requires "
                    "faults:cyc_c at " FIX("faults") "/cyc_b/plugin.toml:5:13; "
                                                     "faults:cyc_c requires "
                                                     "faults:cyc_a at " FIX(
                                                         "faults") "/cyc_c/"
                                                                   "plugin."
                                                                   "toml:5:13);"
                                                                   " remove "
                                                                   "one "
                                                                   "of these "
                                                                   "requirement"
                                                                   "s");
}

Test(faults, cycle_closed_by_a_hook)
{
  pk_error e;
  cr_assert_eq(register_fault("faults:hcyc_a", &e, NULL), PK_EDEP_CYCLE);
  /* the edge a register hook added names that hook's require call */
  cr_expect_str_eq(
      e.message,
      "dependency cycle: faults:hcyc_a -> faults:hcyc_b -> faults:hcyc_a "
      "(faults:hcyc_a requires faults:hcyc_b at " FIX(
          "faults") "/hcyc_a/plugin.toml:7:13; faults:hcyc_b requires "
                    "faults:hcyc_a "
                    "(api->require(\"faults:hcyc_a\") in its register hook)); "
                    "remove one "
                    "of these requirements");
  char got[256];
  events_of("register", got, sizeof got);
  cr_expect_str_eq(got, "faults:hcyc_b"); /* hcyc_a's hook never ran */
}

Test(faults, a_failed_stage_poisons_later_stages)
{
  pk_error e;
  pk_host *h;
  cr_assert_eq(register_fault("faults:cyc_a", &e, &h), PK_EDEP_CYCLE);
  cr_expect_eq(pk_host_resolve(h, &e), PK_EDEP_CYCLE);
  cr_expect_eq(pk_host_post_register(h, NULL, 0, &e), PK_EDEP_CYCLE);
  pk_host_free(h);
}

/* ---- __all__ restrictions ---- */

Test(all, requiring_an_all_requester_by_name_is_an_error_naming_both)
{
  static const char *const paths[] = {FIX("allns")};
  static const char *const nss[] = {"allns"};
  pk_host *h = host_with(paths, 1, nss, 1, false);
  pk_error e;
  const char *reqs[] = {"allns:namer"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_EDEP_CYCLE);
  /* both requirements with the manifest lines they come from */
  cr_expect_str_eq(
      e.message,
      "plugin allns:namer requires allns:sweeper by name at " FIX(
          "allns") "/namer/plugin.toml:4:13, but allns:sweeper "
                   "requires allns:__all__ at " FIX(
                       "allns") "/sweeper/plugin.toml:4:13 (it must come after "
                                "every "
                                "other plugin of its namespace, allns:namer "
                                "included); "
                                "remove one of the two requirements");
  pk_host_free(h);
}

/* ---- discovery ---- */

Test(discovery, broken_manifests_are_positioned_and_isolated)
{
  static const char *const paths[] = {FIX("broken")};
  pk_host *h = host_with(paths, 1, NULL, 0, false);
  pk_error e;
  cr_assert_eq(pk_host_discover(h, &e), PK_OK);
  struct {
    const char *dir, *needle;
    int line, col;
  } want[] = {
      {"syntax_error", "", 3, 0},
      {"unknown_key", "did you mean \"requires\"", 4, 1},
      {"wrong_type", "string", 3, 11},
      {"bad_name", "invalid name \"bad name\"", 1, 8},
      {"bad_version", "invalid version \"1.0\"", 3, 11},
      {"library_without_abi", "no \"abi\"", 4, 11},
      {"bad_requirement", "bad >> 2", 4, 21},
  };
  size_t broken = 0;
  for (size_t i = 0; i < pk_host_plugin_count(h); i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    if (pk_plugin_get_state(p) != PK_STATE_BROKEN)
      continue;
    broken++;
    const pk_error *pe = pk_plugin_get_error(p);
    cr_assert_not_null(pe);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
      if (strstr(pe->source, want[k].dir)) {
        EXPECT_IN(pe->message, want[k].needle);
        cr_expect_eq(pe->line, want[k].line, "%s: line %d", want[k].dir,
                     pe->line);
        if (want[k].col)
          cr_expect_eq(pe->col, want[k].col, "%s: col %d", want[k].dir,
                       pe->col);
      }
  }
  cr_expect_eq(broken, 7);
  const char *reqs[] = {"broken:good"};
  cr_expect_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pk_host_free(h);
}

Test(discovery, strict_mode_fails_on_a_broken_manifest)
{
  static const char *const paths[] = {FIX("broken")};
  pk_host *h = host_with(paths, 1, NULL, 0, true);
  pk_error e;
  cr_expect_eq(pk_host_discover(h, &e), PK_EMANIFEST);
  cr_expect_gt(e.line, 0);
  pk_host_free(h);
}

Test(discovery, first_in_search_order_wins_and_the_other_is_shadowed)
{
  static const char *const paths[] = {FIX("shadow1"), FIX("shadow2")};
  pk_host *h = host_with(paths, 2, NULL, 0, false);
  pk_plugin *p = pk_host_find_plugin(h, "shadow:dup");
  cr_assert_not_null(p);
  cr_expect_str_eq(pk_plugin_get_version(p), "1.0.0");
  cr_assert_eq(pk_host_plugin_count(h), 2);
  pk_plugin *other = pk_host_plugin_at(h, 1);
  cr_expect_eq(pk_plugin_get_state(other), PK_STATE_SHADOWED);
  EXPECT_IN(pk_plugin_get_reason(other), "shadow1/dup/plugin.toml");
  EXPECT_IN(pk_plugin_get_manifest_path(other), "shadow2/dup/plugin.toml");
  pk_host_free(h);
}

Test(discovery, plugkit_path_is_searched_first)
{
  setenv("PLUGKIT_PATH", FIX("shadow2") ":/nonexistent", 1);
  pk_host_options o = {.size = sizeof o};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, FIX("shadow1"), &e), PK_OK);
  cr_expect_str_eq(pk_plugin_get_version(pk_host_find_plugin(h, "shadow:dup")),
                   "2.0.0");
  pk_host_free(h);
}

static char path_log[2048];

static void log_warnings(void *ud, pk_log_level level, const char *plugin,
                         const char *message)
{
  (void)ud;
  (void)plugin;
  if (level >= PK_LOG_WARN)
    snprintf(path_log + strlen(path_log), sizeof path_log - strlen(path_log),
             "%s\n", message);
}

/* A search path that does not exist was said at debug level only: a typo
 * in a path found nothing, silently (issue 12, item 8). */
Test(discovery, a_missing_search_path_is_a_warning_naming_its_origin)
{
  setenv("PLUGKIT_PATH", "/nonexistent/env", 1);
  pk_host_options o = {.size = sizeof o, .log = log_warnings};
  pk_host *h;
  pk_error e;
  path_log[0] = '\0';
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, "/nonexistent/added", &e), PK_OK);
  cr_assert_eq(pk_host_add_path(h, FIX("shadow1"), &e), PK_OK);
  cr_assert_eq(pk_host_discover(h, &e), PK_OK);
  cr_assert_str_eq(path_log,
                   "search path /nonexistent/env (from PLUGKIT_PATH): No "
                   "such file or directory; no plugins found there\n"
                   "search path /nonexistent/added (from pk_host_add_path): "
                   "No such file or directory; no plugins found there\n");
  cr_assert_not_null(pk_host_find_plugin(h, "shadow:dup"));
  pk_host_free(h);
  unsetenv("PLUGKIT_PATH");
}

Test(discovery, listing_is_sorted_whatever_the_directory_order)
{
  static const char *const paths[] = {FIX("seed")};
  pk_host *h = host_with(paths, 1, NULL, 0, false);
  cr_assert_eq(pk_host_plugin_count(h), 26);
  for (size_t i = 1; i < pk_host_plugin_count(h); i++) {
    pk_plugin *a = pk_host_plugin_at(h, i - 1), *b = pk_host_plugin_at(h, i);
    int c = strcmp(pk_plugin_get_namespace(a), pk_plugin_get_namespace(b));
    cr_expect(c < 0 || (c == 0 && strcmp(pk_plugin_get_name(a),
                                         pk_plugin_get_name(b)) < 0));
  }
  pk_host_free(h);
}

Test(discovery, configuration_after_discovery_is_misuse)
{
  pk_host *h = seed_host();
  pk_error e;
  cr_assert_eq(pk_host_discover(h, &e), PK_OK);
  cr_expect_eq(pk_host_add_path(h, "/tmp", &e), PK_ESTATE);
  pk_host_free(h);
}

/* ---- built-in plugins ---- */

static int builtin_register(const pk_host_api *api, pk_plugin_ctx *ctx,
                            void *ud)
{
  fixture_record(ud, "register", api->plugin_name(ctx), NULL);
  return api->require(ctx, "black:eight");
}

PK_PLUGIN_DEFINE_BUILTIN(builtin_desc, "black", "builtin", 1,
                         builtin_register, NULL, NULL);

/* A seed host with built-in plugin black:NAME of descriptor d (its
 * manifest requires black:seven), registered. */
static pk_host *register_builtin(const pk_plugin_desc *d, const char *name)
{
  pk_host *h = seed_host();
  pk_error e;
  char manifest[256], req[64];
  snprintf(manifest, sizeof manifest,
           "name = \"%s\"\nnamespace = \"black\"\nversion = \"0.1.0\"\n"
           "requires = [\"black:seven\"]\n",
           name);
  snprintf(req, sizeof req, "black:%s", name);
  cr_assert_eq(pk_host_add_builtin(h, d, manifest, &e), PK_OK);
  const char *reqs[] = {req};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  return h;
}

Test(builtin, behaves_like_a_plugin_on_disk)
{
  events.n = 0;
  pk_host *h = register_builtin(&builtin_desc, "builtin");
  char got[512];
  events_of("register", got, sizeof got);
  cr_expect_str_eq(got, "black:eight black:seven black:builtin");
  layers_of(h, got, sizeof got);
  cr_expect_str_eq(got, "black:eight | black:seven | black:builtin");
  pk_host_free(h);
}

/* A register hook's requirements: listed after the manifest's, in the
 * order it added them, however many and however long (beyond what one
 * block of them holds), and the plugins they name required by it. */
static const char *const hook_reqs[] = {
    "black:eight",
    "black:eight >= 0.0.1-alpha.1, < 1000.0.0, != 999.999.999",
    "green:eight",
    "black:six >= 1.0.0, < 2.0.0",
    "green:seven >= 0.9.9-rc.1234567890, <= 1.0.0, != 1.0.1-pre.123456",
    "eight",
};

static int many_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  for (size_t i = 0; i < sizeof hook_reqs / sizeof hook_reqs[0]; i++) {
    char text[128]; /* the hook's own buffer: the host keeps a copy */
    snprintf(text, sizeof text, "%s", hook_reqs[i]);
    int rc = api->require(ctx, text);
    memset(text, 'x', sizeof text - 1);
    if (rc)
      return rc;
  }
  return 0;
}

PK_PLUGIN_DEFINE_BUILTIN(many_desc, "black", "many", 1, many_register, NULL,
                         NULL);

Test(builtin, hook_requirements_are_listed_in_order)
{
  pk_host *h = register_builtin(&many_desc, "many");
  pk_plugin *p = pk_host_find_plugin(h, "black:many");
  cr_assert(p);
  size_t n = sizeof hook_reqs / sizeof hook_reqs[0];
  cr_assert_eq(pk_plugin_requirement_count(p), 1 + n);
  cr_expect_str_eq(pk_plugin_requirement_at(p, 0), "black:seven");
  for (size_t i = 0; i < n; i++)
    cr_expect_str_eq(pk_plugin_requirement_at(p, 1 + i), hook_reqs[i]);
  cr_expect_null(pk_plugin_requirement_at(p, 1 + n));
  cr_expect_str_eq(pk_plugin_get_name(p), "many");
  cr_expect_str_eq(pk_plugin_get_namespace(p), "black");
  cr_expect_str_eq(pk_plugin_get_reason(p), "ready (requested by the host)");
  cr_expect_str_eq(pk_plugin_get_reason(pk_host_find_plugin(h, "green:seven")),
                   "ready (required by black:many)");
  pk_host_free(h);
}

/* The error of registering req from a seed host given a builtin (desc,
 * manifest), which fails with st. */
static pk_error builtin_fails(const pk_plugin_desc *desc, const char *manifest,
                              const char *req, pk_status st)
{
  pk_host *h = seed_host();
  pk_error e;
  cr_assert_eq(pk_host_add_builtin(h, desc, manifest, &e), PK_OK);
  const char *reqs[] = {req};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), st, "%s",
               e.message);
  pk_host_free(h);
  return e;
}

/* A builtin's descriptor that names another plugin: the error names the
 * built-in plugin by its id (its manifest's, not the descriptor's), says
 * its manifest is the text given to pk_host_add_builtin and what to make
 * agree. */
Test(builtin, descriptor_naming_another_plugin_names_the_builtin)
{
  pk_error e = builtin_fails(&builtin_desc,
                             "name = \"other\"\nnamespace = \"black\"\n"
                             "version = \"0.1.0\"\n",
                             "black:other", PK_ELOAD);
  cr_expect_str_eq(e.message,
                   "built-in plugin black:other (pk_host_add_builtin) has a "
                   "descriptor that defines plugin \"black:builtin\" but "
                   "its manifest (the text given with it) names "
                   "\"black:other\"; make PK_PLUGIN_DEFINE_BUILTIN and that "
                   "manifest agree");
  cr_expect_str_eq(e.plugin, "black:other");
}

/* A builtin whose descriptor targets another ABI of its namespace than its
 * manifest's abi (the namespace's): named the same way. */
PK_PLUGIN_DEFINE_BUILTIN(abi2_desc, "black", "builtin", 2, builtin_register,
                         NULL, NULL);

Test(builtin, descriptor_of_another_abi_names_the_builtin)
{
  pk_error e = builtin_fails(&abi2_desc,
                             "name = \"builtin\"\nnamespace = \"black\"\n"
                             "version = \"0.1.0\"\nabi = 1\n",
                             "black:builtin", PK_EABI);
  cr_expect_str_eq(e.message,
                   "built-in plugin black:builtin (pk_host_add_builtin) was "
                   "compiled for ABI 2 of namespace \"black\" but its "
                   "manifest says abi = 1; rebuild the plugin against "
                   "this plugkit, or fix the manifest's abi");
  cr_expect_str_eq(e.plugin, "black:builtin");
}

Test(builtin, a_hundred_thousand_deep_chain_needs_no_recursion)
{
  enum { N = 100000 };
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  for (int i = 0; i < N; i++) {
    char name[16], req[16];
    snprintf(name, sizeof name, "p%06d", i);
    snprintf(req, sizeof req, "p%06d", i + 1);
    add_builtin_requiring(h, NULL, "deep", name, i + 1 < N ? req : NULL);
  }
  const char *reqs[] = {"deep:p000000"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  cr_expect_eq(pk_host_layer_count(h), N);
  cr_expect_str_eq(pk_plugin_get_id(pk_host_layer_plugin_at(h, 0, 0)),
                   "deep:p099999");
  pk_host_free(h);
}

/* A host of data-only built-in plugins, n of them: ids[i] = {ns, name}. */
static pk_host *data_builtins(const char *const (*ids)[2], size_t n)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  for (size_t i = 0; i < n; i++) {
    char text[256];
    snprintf(text, sizeof text,
             "name = \"%s\"\nnamespace = \"%s\"\nversion = \"1.0.0\"\n",
             ids[i][1], ids[i][0]);
    cr_assert_eq(pk_host_add_builtin(h, NULL, text, &e), PK_OK);
  }
  return h;
}

/* Registers request req of host h, which must succeed with layers want
 * (layers_of). */
static void register_expecting(pk_host *h, const char *req, const char *want)
{
  pk_error e;
  const char *reqs[] = {req};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  char got[512];
  layers_of(h, got, sizeof got);
  cr_expect_str_eq(got, want);
}

/* ns:__all__ pulls in its own namespace only, not the namespaces that
 * share its first letters ("a" beside "A", "a-z", "a.b", "ab", whose keys
 * sort on both sides of a's), in (ns, name) order. */
Test(builtin, all_of_a_namespace_leaves_namespaces_sharing_its_prefix)
{
  const char *const ids[][2] = {{"ab", "x"},  {"a", "y"}, {"a.b", "x"},
                                {"a-z", "x"}, {"a", "x"}, {"A", "x"},
                                {"a", "z"}};
  pk_host *h = data_builtins(ids, sizeof ids / sizeof ids[0]);
  pk_error e;
  register_expecting(h, "a:__all__", "a:x a:y a:z");
  char got[512];
  const char *more[] = {"a.b:__all__", "A:__all__"};
  cr_assert_eq(pk_host_register(h, more, 2, NULL, 0, &e), PK_OK, "%s",
               e.message);
  layers_of(h, got, sizeof got);
  cr_expect_str_eq(got, "A:x a:x a:y a:z a.b:x"); /* by key: ns\x01name */
  pk_host_free(h);
}

/* A manifest's requirement "name" or "ns:name" of an installed plugin is
 * linked without a parse (pk__host_require_text): "__all__" still means
 * the whole namespace when a plugin is named __all__, and a namespace the
 * host does not accept is still refused, not linked. */
Test(builtin, plain_requirements_mean_what_the_parse_gives)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  static const char *const texts[] = {
      "name = \"__all__\"\nnamespace = \"a\"\nversion = \"1.0.0\"\n",
      "name = \"x\"\nnamespace = \"a\"\nversion = \"1.0.0\"\n",
      "name = \"y\"\nnamespace = \"a\"\nversion = \"1.0.0\"\n",
      "name = \"r\"\nnamespace = \"b\"\nversion = \"1.0.0\"\n"
      "requires = [\"a:__all__\"]\n",
      "name = \"s\"\nnamespace = \"a\"\nversion = \"1.0.0\"\n"
      "requires = [\"__all__\"]\n"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    cr_assert_eq(pk_host_add_builtin(h, NULL, texts[i], &e), PK_OK, "%s",
                 e.message);
  register_expecting(h, "b:r", "a:__all__ a:s a:x a:y | b:r");
  pk_host_free(h);

  /* b:z is installed, but this host accepts namespace a only */
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_namespace(h, "a", 1, &e), PK_OK);
  cr_assert_eq(pk_host_add_builtin(h, NULL,
                                   "name = \"z\"\nnamespace = \"b\"\n"
                                   "version = \"1.0.0\"\n", &e),
               PK_OK, "%s", e.message);
  cr_assert_eq(pk_host_add_builtin(h, NULL,
                                   "name = \"x\"\nnamespace = \"a\"\n"
                                   "version = \"1.0.0\"\n"
                                   "requires = [\"b:z\"]\n", &e),
               PK_OK, "%s", e.message);
  const char *ax[] = {"a:x"};
  cr_assert_eq(pk_host_register(h, ax, 1, NULL, 0, &e), PK_EDEP_MISSING);
  cr_expect(strstr(e.message, "namespace \"b\" is unknown to this host"),
            "%s", e.message);
  pk_host_free(h);
}

/* ---- ns:__all__ out of memory ---- */

/* oom_sweep's run: a host of 200 data-only built-ins of namespace "m" set
 * up with no allocation failing, then pk_host_request("m:__all__") with
 * allocation number fail_at of the request failing, then (when it
 * succeeded) the registration, checked. */
static pk_status all_of_ns_run(counting *cnt, void *ud)
{
  enum { N = 200 };
  (void)ud;
  long k = cnt->fail_at;
  cnt->fail_at = 0;
  pk_host_options o = {.size = sizeof o, .alloc = counting_alloc,
                       .alloc_ud = cnt, .ignore_env = true};
  pk_host *h;
  pk_error e;
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_namespace(h, "m", 1, &e), PK_OK);
  for (int i = 0; i < N; i++) {
    char text[128];
    snprintf(text, sizeof text,
             "name = \"p%03d\"\nnamespace = \"m\"\nversion = \"1.0.0\"\n",
             N - 1 - i);
    cr_assert_eq(pk_host_add_builtin(h, NULL, text, &e), PK_OK);
  }
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  const char *reqs[] = {"m:__all__"};
  cnt->fail_at = cnt->calls + k;
  pk_status st = pk_host_request(h, reqs, 1, &e);
  cnt->fail_at = 0;
  if (st != PK_OK) {
    cr_expect_str_eq(e.message, "out of memory");
  } else {
    cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
                 e.message);
    cr_expect_eq(pk_host_layer_count(h), 1);
    cr_expect_eq(pk_host_layer_size(h, 0), N);
    cr_expect_str_eq(pk_plugin_get_id(pk_host_layer_plugin_at(h, 0, 0)),
                     "m:p000");
    cr_expect_str_eq(pk_plugin_get_id(pk_host_layer_plugin_at(h, 0, N - 1)),
                     "m:p199");
  }
  pk_host_free(h);
  return st;
}

/* ns:__all__ reserves room for its whole namespace (more than the graph's
 * first 64 nodes here) before adding any plugin of it: whichever
 * allocation of the request fails, the request fails with "out of memory"
 * and nothing leaks; with none failing, all register in (ns, name) order. */
Test(builtin, all_of_a_namespace_out_of_memory_fails_cleanly)
{
  cr_expect_gt(oom_sweep(all_of_ns_run, NULL), 1, "the request allocates");
}

/* pk_host_post_register before pk_host_resolve: a plugin imported (loaded)
 * but not registered is a misuse, named; pk_host_register, which resolves
 * first, skips that check and posts every plugin. */
Test(builtin, post_register_before_resolve_names_the_unregistered_plugin)
{
  const char *const ids[][2] = {{"a", "x"}};
  pk_host *h = data_builtins(ids, 1);
  pk_error e;
  const char *reqs[] = {"a:x"};
  cr_assert_eq(pk_host_request(h, reqs, 1, &e), PK_OK, "%s", e.message);
  cr_assert_eq(pk_host_import(h, &e), PK_OK, "%s", e.message);
  cr_expect_eq(pk_host_post_register(h, NULL, 0, &e), PK_ESTATE);
  cr_expect(strstr(e.message, "a:x is not registered yet") != NULL, "%s",
            e.message);
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  pk_plugin *p = pk_host_find_plugin(h, "a:x");
  cr_assert_not_null(p);
  cr_expect_eq(pk_plugin_get_state(p), PK_STATE_READY);
  pk_host_free(h);
}

/* ---- many built-in plugins ---- */

/* The warnings a host logged, one a line. */
#define BROKEN(i) ((i) == 191 || (i) == 300 || (i) == 301)
static char many_log[4096];

static void log_many(void *ud, pk_log_level level, const char *plugin,
                     const char *message)
{
  (void)ud;
  (void)plugin;
  size_t used = strlen(many_log);
  if (level >= PK_LOG_WARN)
    snprintf(many_log + used, sizeof many_log - used, "%s\n", message);
}

/* A host of 500 built-in plugins m:p000 to m:p499 (more than one block
 * of records, see add_builtins), each but the first requiring the one
 * before it, every seventh also m:p000 with a constraint; the manifests
 * of p191 (the last of a block), p300 and p301 (two of one block) do not
 * parse. */
static pk_host *many_builtins(bool strict)
{
  pk_host_options o = {
      .size = sizeof o, .ignore_env = true, .strict = strict, .log = log_many};
  pk_host *h;
  pk_error e;
  many_log[0] = '\0';
  cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
  cr_assert_eq(pk_host_add_namespace(h, "m", 1, &e), PK_OK);
  for (int i = 0; i < 500; i++) {
    char text[256];
    int n = snprintf(text, sizeof text,
                     "name = \"p%03d\"\nnamespace = \"m\"\n"
                     "version = \"1.0.%d\"\n",
                     i, i);
    if (BROKEN(i))
      snprintf(text + n, sizeof text - (size_t)n, "requires = [\n");
    else if (i % 7 == 0 && i)
      snprintf(text + n, sizeof text - (size_t)n,
               "requires = [\"p%03d\", \"m:p000 >= 1.0.0, < 2\"]\n", i - 1);
    else if (i)
      snprintf(text + n, sizeof text - (size_t)n, "requires = [\"p%03d\"]\n",
               i - 1);
    cr_assert_eq(pk_host_add_builtin(h, NULL, text, &e), PK_OK);
  }
  return h;
}

/* Their records, ids and requirements as written, in the order added; a
 * broken manifest is broken in its place, with its own error, and warned
 * about in order. */
Test(builtin, many_keep_their_requirements_and_the_broken_their_place)
{
  pk_host *h = many_builtins(false);
  pk_error e;
  cr_assert_eq(pk_host_discover(h, &e), PK_OK, "%s", e.message);
  cr_assert_eq(pk_host_plugin_count(h), 500);
  const char *w1 = strstr(many_log, "builtin:192:"),
             *w2 = strstr(many_log, "builtin:301:"),
             *w3 = strstr(many_log, "builtin:302:");
  cr_expect(w1 && w2 && w3 && w1 < w2 && w2 < w3, "%s", many_log);
  const char *reqs[] = {"m:p190"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  cr_expect_eq(pk_host_layer_count(h), 191);
  for (int i = 0; i < 500; i++) {
    char id[16], want[16];
    snprintf(id, sizeof id, "m:p%03d", i);
    pk_plugin *p = pk_host_find_plugin(h, id);
    if (BROKEN(i)) {
      cr_expect_null(p, "%s", id); /* a broken one is no active plugin */
      continue;
    }
    cr_assert_not_null(p, "%s", id);
    cr_expect_str_eq(pk_plugin_get_id(p), id);
    cr_expect_eq(pk_plugin_get_state(p),
                 i <= 190 ? PK_STATE_READY : PK_STATE_DISCOVERED, "%s", id);
    cr_expect_eq(pk_plugin_requirement_count(p), !i ? 0 : i % 7 ? 1 : 2);
    snprintf(want, sizeof want, "p%03d", i - 1);
    if (i)
      cr_expect_str_eq(pk_plugin_requirement_at(p, 0), want);
    if (i && i % 7 == 0)
      cr_expect_str_eq(pk_plugin_requirement_at(p, 1), "m:p000 >= 1.0.0, < 2");
  }
  size_t broken = 0;
  for (size_t i = 0; i < pk_host_plugin_count(h); i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    if (pk_plugin_get_state(p) != PK_STATE_BROKEN)
      continue;
    broken++; /* named after its manifest, "builtin:N", as its error */
    cr_expect_str_eq(pk_plugin_get_error(p)->source, pk_plugin_get_id(p));
  }
  cr_expect_eq(broken, 3);
  pk_host_free(h);
}

/* A strict host stops at the first manifest that does not parse. */
Test(builtin, many_in_a_strict_host_fail_at_the_first_broken)
{
  pk_host *h = many_builtins(true);
  pk_error e;
  cr_assert_eq(pk_host_discover(h, &e), PK_EMANIFEST);
  cr_expect(strstr(e.message, "builtin:192") || strstr(e.source, "builtin:192"),
            "%s (%s)", e.message, e.source);
  cr_expect_eq(pk_host_plugin_count(h), 192);
  pk_host_free(h);
}

/* 10 000 built-in plugins, each but the first requiring the one before:
 * the import round, the register and post_register passes are large
 * enough to fetch ahead (register.c, AHEAD_MIN), and every plugin comes
 * out ready in its layer. */
Test(builtin, a_large_round_fetching_ahead_registers_every_plugin)
{
  enum { N = 10000 };
  static const char *const nss[] = {"big"};
  pk_host *h = host_with(NULL, 0, nss, 1, false);
  pk_error e;
  for (int i = 0; i < N; i++) {
    char name[16], req[16];
    snprintf(name, sizeof name, "p%05d", i);
    snprintf(req, sizeof req, "p%05d", i - 1);
    add_builtin_requiring(h, NULL, "big", name, i % 100 ? req : NULL);
  }
  const char *reqs[] = {"big:__all__"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  cr_expect_eq(pk_host_layer_count(h), 100);
  for (size_t l = 0; l < pk_host_layer_count(h); l++)
    cr_expect_eq(pk_host_layer_size(h, l), 100);
  for (size_t i = 0; i < pk_host_plugin_count(h); i++)
    cr_expect_eq(pk_plugin_get_state(pk_host_plugin_at(h, i)),
                 PK_STATE_READY);
  pk_host_free(h);
}

/* A built-in plugin "big:NAME" of a large round whose manifest has
 * requires = [REQ] (none when NULL) and optional = [OPT] (none when
 * NULL). */
static void add_big(pk_host *h, const pk_plugin_desc *d, const char *name,
                    const char *req, const char *opt)
{
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "name = \"%.127s\"\nnamespace = \"big\"\n"
                   "version = \"1.2.0\"\n",
                   name);
  if (req)
    n += snprintf(text + n, sizeof text - (size_t)n, "requires = [%.400s]\n",
                  req);
  if (opt)
    snprintf(text + n, sizeof text - (size_t)n, "optional = [%.400s]\n", opt);
  pk_error e;
  cr_assert_eq(pk_host_add_builtin(h, d, text, &e), PK_OK, "%s", e.message);
}

/* An import round of 9000 plugins fetches ahead (register.c,
 * import_prefetch: each plugin's record, descriptor and first requirement
 * text): every form a requirement's text takes resolves as in a small
 * round -- a bare name, "ns:name", a constraint after the name with and
 * without a space, a name of 127 characters, an optional requirement of a
 * plugin not installed, one of another namespace. */
Test(builtin, a_large_round_resolves_every_form_of_requirement)
{
  enum { N = 9000 };
  static const char *const nss[] = {"big", "other"};
  pk_host *h = host_with(NULL, 0, nss, 2, false);
  char longname[128];
  memset(longname, 'l', 127);
  longname[127] = '\0';
  add_big(h, NULL, longname, NULL, NULL);
  add_builtin_requiring(h, NULL, "other", "q", NULL);
  for (int i = 0; i < N; i++) {
    char name[16], req[300], prev[16];
    snprintf(name, sizeof name, "p%05d", i);
    snprintf(prev, sizeof prev, "p%05d", i - 1);
    switch (i % 100 ? i % 6 : 6) {
    case 0: snprintf(req, sizeof req, "\"%s\"", prev); break;
    case 1: snprintf(req, sizeof req, "\"big:%s\"", prev); break;
    case 2: snprintf(req, sizeof req, "\"%s >= 1.0, < 2\"", prev); break;
    case 3: snprintf(req, sizeof req, "\"big:%s^1.1\"", prev); break;
    case 4:
      snprintf(req, sizeof req, "\"%s\", \"%s\", \"other:q\"", prev,
               longname);
      break;
    case 5: snprintf(req, sizeof req, "\" %s\"", prev); break;
    default: snprintf(req, sizeof req, "\"%s\"", longname); break;
    }
    add_big(h, NULL, name, req, i % 7 ? NULL : "\"big:absent\"");
  }
  const char *reqs[] = {"big:__all__"};
  pk_error e;
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  /* 90 chains of 100, each after the long-named plugin (and other:q) */
  cr_expect_eq(pk_host_layer_count(h), 101);
  cr_expect_eq(pk_host_layer_size(h, 0), 2);
  for (size_t l = 1; l < pk_host_layer_count(h); l++)
    cr_expect_eq(pk_host_layer_size(h, l), 90, "layer %zu", l);
  for (size_t i = 0; i < pk_host_plugin_count(h); i++)
    cr_expect_eq(pk_plugin_get_state(pk_host_plugin_at(h, i)),
                 PK_STATE_READY);
  pk_host_free(h);
}

/* In a large round (fetching ahead), a requirement that cannot be met
 * fails the import as in a small one: at the plugin that names it, with
 * the same error. */
static pk_status large_round_failing_at(int bad, const char *req,
                                        pk_error *e)
{
  static const char *const nss[] = {"big"};
  pk_host *h = host_with(NULL, 0, nss, 1, false);
  for (int i = 0; i < 9000; i++) {
    char name[16], prev[24];
    snprintf(name, sizeof name, "p%05d", i);
    snprintf(prev, sizeof prev, "\"p%05d\"", i - 1);
    add_big(h, NULL, name, i == bad ? req : i ? prev : NULL, NULL);
  }
  const char *reqs[] = {"big:__all__"};
  pk_status st = pk_host_register(h, reqs, 1, NULL, 0, e);
  pk_host_free(h);
  return st;
}

Test(builtin, a_large_round_fails_at_a_missing_or_mismatched_requirement)
{
  pk_error e;
  cr_expect_eq(large_round_failing_at(4321, "\"big:absent\"", &e),
               PK_EDEP_MISSING);
  cr_expect(strstr(e.message, "plugin big:p04321 requires \"big:absent\", "
                              "but no plugin big:absent is installed"),
            "%s", e.message);
  cr_expect_str_eq(e.plugin, "big:p04321");
  cr_expect_eq(large_round_failing_at(8990, "\"p00003 >= 2\"", &e),
               PK_EDEP_VERSION);
  cr_expect(strstr(e.message, "plugin big:p08990 requires \"p00003 >= 2\", "
                              "but big:p00003 1.2.0 is installed"),
            "%s", e.message);
  cr_expect_eq(large_round_failing_at(8999, "\"nons:p00001\"", &e),
               PK_EDEP_MISSING);
  cr_expect(strstr(e.message, "plugin big:p08999 requires \"nons:p00001\", "
                              "but namespace \"nons\" is unknown to this "
                              "host"),
            "%s", e.message);
}

/* Each plugin's register hook requires the plugin before it. */
static int require_previous(const pk_host_api *api, pk_plugin_ctx *ctx,
                            void *ud)
{
  (void)ud;
  const char *id = api->plugin_name(ctx); /* "big:pNNNNN" */
  int i = atoi(id + 5);
  char req[16];
  snprintf(req, sizeof req, "p%05d", i - 1);
  return i % 100 ? api->require(ctx, req) : 0;
}

/* A register pass of 9000 plugins fetches ahead the record lines a
 * register hook's requirement reads (register.c, register_prefetch):
 * each hook's requirement is added and kept as in a small pass. */
Test(builtin, a_large_register_pass_adds_the_hooks_requirements)
{
  enum { N = 9000 };
  static char names[N][8];
  static pk_plugin_desc descs[N];
  static const char *const nss[] = {"big"};
  pk_host *h = host_with(NULL, 0, nss, 1, false);
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "p%05d", i);
    descs[i] = (pk_plugin_desc){PK_PLUGIN_ABI, sizeof descs[i], "big",
                                names[i], 1, 0, require_previous, NULL, NULL};
    add_big(h, &descs[i], names[i], NULL, NULL);
  }
  const char *reqs[] = {"big:__all__"};
  pk_error e;
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &e), PK_OK, "%s",
               e.message);
  cr_expect_eq(pk_host_layer_count(h), 100);
  for (int i = 0; i < N; i += 37) {
    char id[16], want[16];
    snprintf(id, sizeof id, "big:p%05d", i);
    snprintf(want, sizeof want, "p%05d", i - 1);
    pk_plugin *p = pk_host_find_plugin(h, id);
    cr_assert_not_null(p, "%s", id);
    cr_expect_eq(pk_plugin_get_state(p), PK_STATE_READY, "%s", id);
    cr_expect_eq(pk_plugin_requirement_count(p), i % 100 ? 1u : 0u, "%s", id);
    if (i % 100)
      cr_expect_str_eq(pk_plugin_requirement_at(p, 0), want);
  }
  pk_host_free(h);
}
