/* test_format.c -- {ctx.NAME} / {env.NAME} formatting and pk_ctx (issue 4,
 * point 7; qik-spec 4 and checklist 51-60): host variables, environment
 * fallback, escapes, every error with its exact position, ownership.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugkit.h>

#include "counting_alloc.h"

/* ---- helpers ---- */

static const pk_pos at_1_1 = {"runner.toml", 1, 1};

/* Formats text; asserts success and returns the result (free it). */
static char *fmt(const pk_ctx *ctx, const char *text)
{
  char *out = NULL;
  size_t len = 0;
  pk_error err;
  pk_status st = pk_format(ctx, text, strlen(text), at_1_1, &out, &len, &err);
  cr_assert_eq(st, PK_OK, "%s: %s", text, err.message);
  cr_assert_not_null(out);
  cr_assert_eq(len, strlen(out));
  return out;
}

static void assert_fmt(const pk_ctx *ctx, const char *text, const char *want)
{
  char *out = fmt(ctx, text);
  cr_assert_str_eq(out, want, "%s", text);
  pk_string_free(out);
}

static void assert_fmt_error(const pk_ctx *ctx, const char *text, pk_pos pos,
                             pk_status code, int line, int col,
                             const char *message)
{
  char *out = (char *)1;
  pk_error err;
  pk_status st = pk_format(ctx, text, strlen(text), pos, &out, NULL, &err);
  cr_assert_eq(st, code, "%s: %s (%s)", text, pk_status_name(st),
               err.message);
  cr_assert_null(out);
  cr_assert_eq(err.code, code);
  cr_assert_str_eq(err.source, pos.source ? pos.source : "");
  cr_assert_eq(err.line, line, "%s: line %d", text, err.line);
  cr_assert_eq(err.col, col, "%s: col %d", text, err.col);
  cr_assert_str_eq(err.message, message);
}

static pk_ctx *new_ctx(bool ignore_env)
{
  pk_ctx *ctx;
  pk_error err;
  pk_ctx_options o = {.size = sizeof o, .ignore_env = ignore_env};
  cr_assert_eq(pk_ctx_new(&o, &ctx, &err), PK_OK);
  return ctx;
}

TestSuite(format);

/* ---- expansion ---- */

Test(format, host_variables_then_the_upper_cased_environment)
{
  pk_ctx *ctx = new_ctx(false);
  pk_error err;
  setenv("REGION", "eu-west-1", 1);
  setenv("BUCKET", "from-env", 1);
  cr_assert_eq(pk_ctx_set(ctx, "bucket", "from-host", &err), PK_OK);
  assert_fmt(ctx, "s3://{ctx.bucket}/{ctx.region}",
             "s3://from-host/eu-west-1");
  /* Dots become "__" and dashes '_' in the environment name. */
  setenv("QIK__WORKERS", "4", 1);
  setenv("INDEX_HOST", "pypi.org", 1);
  assert_fmt(ctx, "{ctx.qik.workers}:{ctx.index-host}", "4:pypi.org");
  cr_assert_str_eq(pk_ctx_get(ctx, "qik.workers"), "4");
  cr_assert_str_eq(pk_ctx_get(ctx, "bucket"), "from-host");
  cr_assert_null(pk_ctx_get(ctx, "never_set_anywhere"));
  cr_assert_null(pk_ctx_get(ctx, "bad name"));
  cr_assert_null(pk_ctx_get(ctx, NULL));
  /* Unsetting a host variable lets the environment apply again. */
  cr_assert_eq(pk_ctx_set(ctx, "bucket", NULL, &err), PK_OK);
  assert_fmt(ctx, "{ctx.bucket}", "from-env");
  /* Replacing keeps one variable. */
  cr_assert_eq(pk_ctx_set(ctx, "bucket", "a", &err), PK_OK);
  cr_assert_eq(pk_ctx_set(ctx, "bucket", "b", &err), PK_OK);
  assert_fmt(ctx, "{ctx.bucket}", "b");
  /* The empty string is a value. */
  cr_assert_eq(pk_ctx_set(ctx, "bucket", "", &err), PK_OK);
  assert_fmt(ctx, "[{ctx.bucket}]", "[]");
  cr_assert_eq(pk_ctx_set(ctx, "never", NULL, &err), PK_OK);
  pk_ctx_free(ctx);
}

Test(format, env_names_are_used_as_written)
{
  setenv("MyVar", "mixed", 1);
  setenv("MYVAR", "upper", 1);
  assert_fmt(NULL, "{env.MyVar}/{env.MYVAR}/{ctx.myvar}",
             "mixed/upper/upper");
}

Test(format, doubled_braces_are_literal)
{
  pk_ctx *ctx = new_ctx(true);
  pk_ctx_set(ctx, "x", "1", NULL);
  assert_fmt(ctx, "{{ctx.x}} {{{ctx.x}}} }}{{", "{ctx.x} {1} }{");
  assert_fmt(ctx, "", "");
  assert_fmt(ctx, "no placeholders", "no placeholders");
  pk_ctx_free(ctx);
}

Test(format, text_with_a_nul_byte_and_a_length)
{
  pk_ctx *ctx = new_ctx(true);
  char *out;
  size_t len;
  pk_ctx_set(ctx, "x", "v", NULL);
  cr_assert_eq(pk_format(ctx, "a\0{ctx.x}b", 10, at_1_1, &out, &len, NULL),
               PK_OK);
  cr_assert_eq(len, 4);
  cr_assert_eq(memcmp(out, "a\0vb", 5), 0);
  pk_string_free(out);
  /* Only len bytes are read. */
  cr_assert_eq(pk_format(ctx, "{ctx.x}{", 7, at_1_1, &out, &len, NULL),
               PK_OK);
  cr_assert_str_eq(out, "v");
  pk_string_free(out);
  pk_ctx_free(ctx);
}

/* ---- errors ---- */

/* The messages, or their ends, that several cases expect. */
#define USE_CTX_OR_ENV                                                         \
  "use {ctx.NAME} or {env.NAME}, or \"{{\" and \"}}\" for literal braces"
#define UNBALANCED_OPEN                                                        \
  "unbalanced \"{\": close the placeholder with \"}\", or write \"{{\" for a " \
  "literal brace"
#define UNBALANCED_CLOSE "unbalanced \"}\": write \"}}\" for a literal brace"

Test(format, unknown_names_are_errors_at_the_brace)
{
  pk_pos pos = {"runner.toml", 3, 10};
  assert_fmt_error(NULL, "x-{foo.x}", pos, PK_ECONFIG, 3, 12,
                   "unknown name \"foo\" in \"{foo.x}\": " USE_CTX_OR_ENV);
  assert_fmt_error(NULL, "{module.dir}", pos, PK_ECONFIG, 3, 10,
                   "unknown name \"module\" in \"{module.dir}\": "
                   USE_CTX_OR_ENV);
  assert_fmt_error(NULL, "{region}", pos, PK_ECONFIG, 3, 10,
                   "unknown name \"region\" in \"{region}\": " USE_CTX_OR_ENV);
  assert_fmt_error(NULL, "ab{ctx}", pos, PK_ECONFIG, 3, 12,
                   "missing variable name in \"{ctx}\": write {ctx.NAME}");
  assert_fmt_error(NULL, "{env.}", pos, PK_ECONFIG, 3, 10,
                   "missing variable name in \"{env.}\": write {env.NAME}");
  assert_fmt_error(NULL, "a{}", pos, PK_ECONFIG, 3, 11,
                   "empty placeholder \"{}\": write \"{{}}\" for literal "
                   "braces");
  assert_fmt_error(NULL, "{ctx.n:>4}", pos, PK_ECONFIG, 3, 16,
                   "invalid character ':' in \"{ctx.n:>4}\": variable names "
                   "use letters, digits, '_', '.' and '-' (no format specs)");
}

Test(format, unset_variables_say_where_they_were_looked_for)
{
  pk_ctx *ctx = new_ctx(false);
  pk_ctx *host_only = new_ctx(true);
  pk_pos pos = {"runner.toml", 7, 14};
  unsetenv("REGION");
  unsetenv("NO_SUCH_VAR_X");
  assert_fmt_error(ctx, "s3://{ctx.region}", pos, PK_EMISSING, 7, 19,
                   "ctx variable \"region\" is not set: the host did not set "
                   "it and REGION is not in the environment");
  assert_fmt_error(NULL, "{ctx.qik.workers-x}", pos, PK_EMISSING, 7, 14,
                   "ctx variable \"qik.workers-x\" is not set: the host did "
                   "not set it and QIK__WORKERS_X is not in the environment");
  setenv("REGION", "eu", 1);
  assert_fmt_error(host_only, "{ctx.region}", pos, PK_EMISSING, 7, 14,
                   "ctx variable \"region\" is not set: the host did not set "
                   "it");
  assert_fmt_error(ctx, "{env.NO_SUCH_VAR_X}", pos, PK_EMISSING, 7, 14,
                   "environment variable \"NO_SUCH_VAR_X\" is not set");
  /* Only the missing reference fails; the others format. */
  assert_fmt(ctx, "{ctx.region}", "eu");
  pk_ctx_free(ctx);
  pk_ctx_free(host_only);
}

Test(format, unbalanced_braces)
{
  pk_pos pos = {"runner.toml", 2, 5};
  assert_fmt_error(NULL, "a{ctx.x", pos, PK_ECONFIG, 2, 6, UNBALANCED_OPEN);
  assert_fmt_error(NULL, "ab{ctx.{x}}", pos, PK_ECONFIG, 2, 7,
                   UNBALANCED_OPEN);
  assert_fmt_error(NULL, "abc}", pos, PK_ECONFIG, 2, 8, UNBALANCED_CLOSE);
  assert_fmt_error(NULL, "{", pos, PK_ECONFIG, 2, 5, UNBALANCED_OPEN);
}

Test(format, multi_line_text_keeps_the_position_of_the_string)
{
  pk_pos pos = {"runner.toml", 4, 9};
  assert_fmt_error(NULL, "line one\n{foo.x}", pos, PK_ECONFIG, 4, 9,
                   "unknown name \"foo\" in \"{foo.x}\": " USE_CTX_OR_ENV);
  /* No position at all: none is invented. */
  pk_pos none = {NULL, 0, 0};
  assert_fmt_error(NULL, "xx}", none, PK_ECONFIG, 0, 0, UNBALANCED_CLOSE);
}

/* From TOML text to the error: the column of the brace in the file. */
Test(format, positions_inside_a_toml_string)
{
  const char text[] = "[caches.s3]\nurl = \"https://{ctx.nohost}/x\"\n";
  pk_doc *doc;
  pk_error err;
  const char *s;
  size_t len;
  char *out;
  cr_assert_eq(pk_doc_parse(text, sizeof text - 1, "runner.toml", NULL, &doc,
                            &err),
               PK_OK);
  const pk_value *v = pk_table_get(pk_table_get(pk_table_get(pk_doc_root(doc),
                                                             "caches"),
                                                "s3"),
                                   "url");
  pk_value_get_string(v, &s, &len, NULL);
  pk_pos pos = pk_value_get_pos(v);
  pos.col++; /* the string's first byte, after the quote */
  pk_ctx *ctx = new_ctx(true);
  cr_assert_eq(pk_format(ctx, s, len, pos, &out, NULL, &err), PK_EMISSING);
  cr_assert_eq(err.line, 2);
  cr_assert_eq(err.col, 16);
  char line[1024];
  pk_error_format(&err, line, sizeof line);
  cr_assert_str_eq(line, "runner.toml:2:16: ctx variable \"nohost\" is not "
                         "set: the host did not set it");
  pk_ctx_free(ctx);
  pk_doc_free(doc);
}

/* ---- ownership, allocation, misuse ---- */

Test(format, results_use_the_ctx_allocator_and_outlive_the_ctx)
{
  counting cnt = {0, 0, 0, 0};
  pk_ctx_options o = {sizeof o, counting_alloc, &cnt, true};
  pk_ctx *ctx;
  char *out;
  cr_assert_eq(pk_ctx_new(&o, &ctx, NULL), PK_OK);
  cr_assert_eq(pk_ctx_set(ctx, "v", "value", NULL), PK_OK);
  long before = cnt.live;
  cr_assert_eq(pk_format(ctx, "{ctx.v}", 7, at_1_1, &out, NULL, NULL), PK_OK);
  cr_assert_eq(cnt.live, before + 1);
  pk_ctx_free(ctx);
  cr_assert_eq(cnt.live, 1);
  cr_assert_str_eq(out, "value");
  pk_string_free(out); /* needs neither the ctx nor the size */
  cr_assert_eq(cnt.live, 0);
}

Test(format, every_allocation_failure_is_clean)
{
  long k;
  for (k = 1;; k++) {
    counting cnt = {0, k, 0, 0};
    pk_ctx_options o = {sizeof o, counting_alloc, &cnt, true};
    pk_ctx *ctx = NULL;
    char *out = NULL;
    pk_error err;
    pk_status st = pk_ctx_new(&o, &ctx, &err);
    for (int i = 0; st == PK_OK && i < 40; i++) {
      char name[16];
      snprintf(name, sizeof name, "v%d", i);
      st = pk_ctx_set(ctx, name, "a long enough value for growth", &err);
    }
    if (st == PK_OK)
      st = pk_ctx_set(ctx, "v1", "replaced", &err);
    static const char text[] =
        "{ctx.v1}{ctx.v2}{ctx.v3}{ctx.v4}{ctx.v5}{ctx.v6}"
        "{ctx.v7}{ctx.v8}{ctx.v9}{ctx.v10}{ctx.v11}{ctx.v12}";
    if (st == PK_OK)
      st = pk_format(ctx, text, sizeof text - 1, at_1_1, &out, NULL, &err);
    if (st == PK_OK)
      cr_assert_eq(strncmp(out, "replaceda long", 14), 0);
    pk_string_free(out);
    pk_ctx_free(ctx);
    cr_assert_eq(cnt.live, 0, "allocation %ld failing leaks %ld blocks", k,
                 cnt.live);
    if (st == PK_OK)
      break;
    cr_assert_eq(st, PK_ENOMEM, "allocation %ld: %s", k, pk_status_name(st));
    cr_assert_eq(err.code, PK_ENOMEM);
  }
  cr_assert_gt(k, 40);
}

Test(format, misuse)
{
  pk_ctx *ctx;
  char *out = (char *)1;
  pk_error err;
  pk_ctx_options bad = {0};
  cr_assert_eq(pk_ctx_new(&bad, &ctx, &err), PK_EMISUSE);
  cr_assert_eq(pk_ctx_new(NULL, NULL, &err), PK_EMISUSE);
  cr_assert_eq(pk_ctx_new(NULL, &ctx, &err), PK_OK);
  cr_assert_eq(pk_ctx_set(ctx, "a b", "x", &err), PK_EMISUSE);
  cr_assert_str_eq(err.message, "invalid ctx variable name \"a b\": use 1 to "
                                "127 letters, digits, '_', '.' or '-'");
  cr_assert_eq(pk_ctx_set(ctx, "", "x", &err), PK_EMISUSE);
  cr_assert_eq(pk_ctx_set(NULL, "a", "x", &err), PK_EMISUSE);
  cr_assert_eq(pk_ctx_set(ctx, NULL, "x", &err), PK_EMISUSE);
  cr_assert_eq(pk_format(ctx, NULL, 3, at_1_1, &out, NULL, &err), PK_EMISUSE);
  cr_assert_null(out);
  cr_assert_eq(pk_format(ctx, "x", 1, at_1_1, NULL, NULL, &err), PK_EMISUSE);
  cr_assert_eq(pk_format(ctx, NULL, 0, at_1_1, &out, NULL, &err), PK_OK);
  cr_assert_str_eq(out, "");
  pk_string_free(out);
  pk_ctx_free(ctx);
  pk_ctx_free(NULL);
}
