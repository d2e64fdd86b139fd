/* test_host_config.c -- a host config loaded from the host's own document
 * (pk_host_load_config_doc: one parse, the host takes the document, also
 * on failure) and the public did-you-mean rule (pk_closest).
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <string.h>

#include <plugkit.h>

static pk_doc *parse(const char *text)
{
  pk_doc *doc;
  pk_error err;
  cr_assert_eq(pk_doc_parse(text, strlen(text), "host.toml", NULL, &doc,
                            &err), PK_OK, "%s", err.message);
  return doc;
}

static pk_host *new_host(void)
{
  pk_host *h;
  pk_error err;
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  cr_assert_eq(pk_host_new(&o, &h, &err), PK_OK);
  cr_assert_eq(pk_host_declare_kind(h, "cache", 1, "caches", NULL, &err),
               PK_OK);
  return h;
}

Test(host_config, doc_is_taken_and_readable_until_the_host_is_freed)
{
  pk_host *h = new_host();
  pk_error err;
  pk_doc *doc = parse("[ctx]\nregion = \"eu\"\n[caches.a]\ntype = \"x\"\n");
  /* the caller reads its own table first, then hands the document over */
  const char *region;
  cr_assert_eq(pk_table_get_string(pk_table_get(pk_doc_root(doc), "ctx"),
                                   "region", &region, &err), PK_OK);
  cr_assert_str_eq(region, "eu");
  pk_diag *diag;
  cr_assert_eq(pk_diag_new(NULL, &diag, NULL), PK_OK);
  cr_assert_eq(pk_host_load_config_doc(h, doc, diag, &err), PK_ENOTFOUND);
  cr_assert_str_eq(err.source, "host.toml"); /* positions from the doc */
  cr_assert_eq(err.line, 4);
  cr_assert_eq(pk_diag_count(diag), 1);
  cr_assert_str_eq(region, "eu"); /* still the host's, still alive */
  pk_diag_free(diag);
  pk_host_free(h); /* frees doc: a leak or double free fails under ASan */
}

Test(host_config, doc_is_freed_when_the_call_is_refused)
{
  pk_host *h = new_host();
  pk_error err;
  cr_assert_eq(pk_host_load_config_doc(h, parse(""), NULL, &err), PK_OK);
  /* a second config is refused; that document is freed all the same */
  cr_assert_eq(pk_host_load_config_doc(h, parse("a = 1\n"), NULL, &err),
               PK_ESTATE);
  cr_assert_eq(pk_host_load_config_doc(h, NULL, NULL, &err), PK_EMISUSE);
  pk_host_free(h);
}

Test(host_config, closest_is_the_library_rule)
{
  static const char *const names[] = {"commands", "caches", "envs"};
  cr_assert_str_eq(pk_closest("comands", names, 3), "commands");
  cr_assert_str_eq(pk_closest("cahces", names, 3), "caches"); /* swap: 1 */
  cr_assert_null(pk_closest("plugins", names, 3));
  cr_assert_null(pk_closest("env", names, 0));
  cr_assert_null(pk_closest(NULL, names, 3));
}
