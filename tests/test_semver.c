/* test_semver.c -- versions, precedence and requirement strings.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <plugkit.h>

#include "base.h"

static pk__version v(const char *s)
{
  pk__version out;
  char why[256];
  cr_assert_eq(pk__version_parse(s, true, &out, why, sizeof why), PK_OK, "%s",
               why);
  return out;
}

static bool matches(const char *req, const char *version)
{
  pk__req r;
  char why[512];
  cr_assert_eq(pk__req_parse(req, &r, why, sizeof why), PK_OK, "%s", why);
  pk__version ver = v(version);
  pk__mversion mv = pk__mversion_of(&ver);
  return pk__req_matches(&r, &mv);
}

Test(semver, full_versions_are_required_in_manifests)
{
  pk__version out;
  char why[256];
  cr_expect_eq(pk__version_parse("1.2.3", false, &out, why, sizeof why), PK_OK);
  cr_expect_eq(pk__version_parse("1.2.3-rc.1+build.5", false, &out, why,
                                 sizeof why),
               PK_OK);
  cr_expect_str_eq(out.pre, "rc.1");
  cr_expect_eq(pk__version_parse("1.2", false, &out, why, sizeof why),
               PK_EMANIFEST);
  cr_expect(strstr(why, "MAJOR.MINOR.PATCH") != NULL, "%s", why);
  cr_expect_eq(pk__version_parse("01.2.3", false, &out, why, sizeof why),
               PK_EMANIFEST);
  cr_expect_eq(pk__version_parse("1.2.3-", false, &out, why, sizeof why),
               PK_EMANIFEST);
  cr_expect_eq(pk__version_parse("1.2.x", true, &out, why, sizeof why),
               PK_EMANIFEST);
}

Test(semver, precedence)
{
  const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                         "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                         "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"};
  for (size_t i = 0; i + 1 < sizeof order / sizeof order[0]; i++) {
    pk__version va = v(order[i]), vb = v(order[i + 1]);
    pk__mversion a = pk__mversion_of(&va), b = pk__mversion_of(&vb);
    cr_expect_lt(pk__mversion_cmp(&a, &b), 0, "%s < %s", order[i],
                 order[i + 1]);
    cr_expect_gt(pk__mversion_cmp(&b, &a), 0);
  }
}

Test(semver, constraints)
{
  cr_expect(matches("ns:x >= 1.2, < 2", "1.9.9"));
  cr_expect(!matches("ns:x >= 1.2, < 2", "2.0.0"));
  cr_expect(!matches("ns:x >= 1.2, < 2", "1.1.0"));
  cr_expect(matches("x ^1.4", "1.9.0"));
  cr_expect(!matches("x ^1.4", "2.0.0"));
  cr_expect(matches("x ^0.2.3", "0.2.9"));
  cr_expect(!matches("x ^0.2.3", "0.3.0"));
  cr_expect(matches("x ~2.1.0", "2.1.7"));
  cr_expect(!matches("x ~2.1.0", "2.2.0"));
  cr_expect(matches("x != 1.3.0", "1.3.1"));
  cr_expect(!matches("x = 1.3.0", "1.3.1"));
  cr_expect(matches("x", "0.0.1"));
}

Test(semver, requirement_parsing)
{
  pk__req r;
  char why[512];
  cr_assert_eq(pk__req_parse("other-ns:metrics >= 1.2", &r, why, sizeof why),
               PK_OK);
  cr_expect_str_eq(r.ns, "other-ns");
  cr_expect_str_eq(r.name, "metrics");
  cr_expect_eq(r.ncmp, 1);
  cr_assert_eq(pk__req_parse("local-cache", &r, why, sizeof why), PK_OK);
  cr_expect_str_eq(r.ns, "");
  cr_expect_eq(pk__req_parse("a:b:c", &r, why, sizeof why), PK_EMANIFEST);
  cr_expect_eq(pk__req_parse("x >> 2", &r, why, sizeof why), PK_EMANIFEST);
  cr_expect(strstr(why, "\"x >> 2\"") != NULL, "%s", why);
  cr_expect_eq(pk__req_parse("ns:__all__ >= 1", &r, why, sizeof why),
               PK_EMANIFEST);
  cr_expect_eq(pk__req_parse("bad name", &r, why, sizeof why), PK_EMANIFEST);
  char text[128];
  pk__req_parse("x >= 1.2, < 2", &r, why, sizeof why);
  pk__req_constraint_text(&r, text, sizeof text);
  cr_expect_str_eq(text, ">= 1.2.0, < 2.0.0");
}

/* A manifest's requirements are checked at discovery: the common forms
 * ("name", "ns:name") without pk__req_parse_in, the others with it.  Both
 * ways give what pk__req_parse_in says, and "requires itself" exactly
 * when it names the plugin. */
Test(semver, manifest_requirements_are_checked_as_pk__req_parse_in_says)
{
  static const char *const texts[] = {
      "me",         "ns:me",       "other:me", "ns:other", "other",  "__all__",
      "ns:__all__", "m",           "mee",      "n:me",     "nss:me", ":me",
      "ns:",        ":",           "ns:me:x",  "a:b:c",    " me",    "me ",
      "me >= 1.0",  "ns:me ^1",    "ns:x <2",  "bad name", "",       "ns::me",
      "me,",        "ns:m\xc3\xa9"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    char text[512], why[512];
    snprintf(text, sizeof text,
             "name = \"me\"\nnamespace = \"ns\"\n"
             "version = \"1.0.0\"\nrequires = [\"%s\"]\n",
             texts[i]);
    pk_host_options o = {.size = sizeof o, .ignore_env = true, .strict = true};
    pk_host *h;
    pk_error e;
    cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
    cr_assert_eq(pk_host_add_builtin(h, NULL, text, &e), PK_OK);
    pk_status st = pk_host_discover(h, &e);
    pk__req r;
    if (pk__req_parse_in(texts[i], "ns", &r, why, sizeof why) != PK_OK) {
      cr_expect_eq(st, PK_EMANIFEST, "\"%s\"", texts[i]);
      cr_expect_str_eq(e.message, why, "\"%s\"", texts[i]);
    } else if (!strcmp(r.ns, "ns") && !strcmp(r.name, "me")) {
      cr_expect_eq(st, PK_EMANIFEST, "\"%s\"", texts[i]);
      cr_expect_str_eq(e.message, "plugin ns:me requires itself", "\"%s\"",
                       texts[i]);
    } else {
      cr_expect_eq(st, PK_OK, "\"%s\": %s", texts[i], e.message);
    }
    if (st != PK_OK) /* at the requirement */
      cr_expect(e.line == 4 && e.col == 13, "\"%s\": %d:%d", texts[i], e.line,
                e.col);
    pk_host_free(h);
  }
}

/* The errors of a manifest's keys, each at its position (the keys are read
 * with their kinds and contents in one pass: manifest.c collect_keys); a
 * value of the wrong kind names its key's dotted path and what to write. */
Test(semver, manifest_key_errors_are_positioned)
{
  static const struct {
    const char *text, *message;
    int line, col;
  } cases[] = {
      {"name = 1\nnamespace = \"ns\"\nversion = \"1.0.0\"\n",
       "key \"name\": expected a string, found an integer (write it as a "
       "string: name = \"1\")",
       1, 8},
      {"namespace = \"ns\"\nversion = \"1.0.0\"\n",
       "missing required key \"name\" in table started here", 1, 1},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nrequires = "
       "[\"a\", 2]\n",
       "key \"requires[1]\": expected a string, found an integer (write it "
       "as a string: \"2\")",
       4, 18},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nrequire = []\n",
       "unknown key \"require\" in plugin manifest (did you mean "
       "\"requires\"?)",
       4, 1},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nlazy = \"y\"\n",
       "key \"lazy\": expected a boolean, found a string (write lazy = true "
       "or lazy = false, without quotes)",
       4, 8},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\n[[provides]]\n"
       "kind = \"k\"\ntag = 3\n",
       "key \"provides[0].tag\": expected a string, found an integer (write "
       "it as a string: tag = \"3\")",
       6, 7},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\n[[provides]]\n"
       "kind = \"k\"\n",
       "missing required key \"tag\" in table started here", 4, 1},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = 12\n",
       "key \"version\": expected a string, found an integer (write it as a "
       "string: version = \"12.0.0\")",
       3, 11},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = 1.5\n",
       "key \"version\": expected a string, found a float (write it as a "
       "string: version = \"1.5.0\")",
       3, 11},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nabi = \"2\"\n",
       "key \"abi\": expected an integer, found a string (write it as a "
       "whole number: abi = 2)",
       4, 7},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nrequires = "
       "\"a:b\"\n",
       "key \"requires\": expected an array of strings, found a string "
       "(write it as an array of strings: requires = [\"a:b\"])",
       4, 12},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nhooks = "
       "[\"a\", true]\n",
       "key \"hooks[1]\": expected a string, found a boolean (write it as a "
       "string: \"true\")",
       4, 15},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\nprovides = "
       "[{kind = \"k\", tag = \"t\"}, 3]\n",
       "key \"provides[1]\": expected a table, found an integer (write each "
       "entry as a table under its own [[provides]] line)",
       4, 38},
      {"name = \"me\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\n[[provides]]\n"
       "kind = \"k\"\ntag = \"t\"\nconfig = \"x\"\n",
       "key \"provides[0].config\": expected a table, found a string (write "
       "it as a table: [provides.config])",
       7, 10},
      {"name = \"m e\"\nnamespace = \"ns\"\nversion = \"1.0.0\"\n",
       "invalid name \"m e\": use 1 to 127 letters, digits, '_', '.' or '-'", 1,
       8},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    pk_host_options o = {.size = sizeof o, .ignore_env = true, .strict = true};
    pk_host *h;
    pk_error e;
    cr_assert_eq(pk_host_new(&o, &h, &e), PK_OK);
    cr_assert_eq(pk_host_add_builtin(h, NULL, cases[i].text, &e), PK_OK);
    cr_expect_eq(pk_host_discover(h, &e), PK_EMANIFEST, "case %zu", i);
    cr_expect_str_eq(e.message, cases[i].message, "case %zu", i);
    cr_expect(e.line == cases[i].line && e.col == cases[i].col,
              "case %zu: %d:%d", i, e.line, e.col);
    pk_host_free(h);
  }
}

/* Names are [A-Za-z0-9_.-]{1,127} on both sides of a requirement's one
 * colon (semver.c scans a requirement once: its first colon, a second,
 * the lengths). */
Test(semver, requirement_name_lengths_and_colons)
{
  char n127[128], n128[129], text[300], why[512];
  memset(n127, 'a', 127);
  n127[127] = '\0';
  memset(n128, 'b', 128);
  n128[128] = '\0';
  pk__req r;
  cr_expect(pk__name_valid(n127, 127));
  cr_expect(!pk__name_valid(n128, 128));
  cr_expect(!pk__name_valid("caf\xc3\xa9", 5));
  cr_expect(pk__name_valid("A-Z_a.z09", 9));
  snprintf(text, sizeof text, "%s:%s >= 1", n127, n127);
  cr_assert_eq(pk__req_parse(text, &r, why, sizeof why), PK_OK, "%s", why);
  cr_expect_str_eq(r.ns, n127);
  cr_expect_str_eq(r.name, n127);
  static const char *const bad[] = {"%s:x",   "x:%s", "%s",   "::%s",
                                    "x::y%s", ":x%s", "x:%s:"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(text, sizeof text, bad[i], i < 3 ? n128 : "");
    cr_expect_eq(pk__req_parse(text, &r, why, sizeof why), PK_EMANIFEST, "%s",
                 text);
    cr_expect(strstr(why, "invalid requirement") != NULL, "%s: %s", text, why);
  }
  cr_assert_eq(pk__req_parse("x.y-z_0", &r, why, sizeof why), PK_OK);
  cr_expect_str_eq(r.ns, "");
  cr_expect_str_eq(r.name, "x.y-z_0");
  cr_expect_eq(pk__req_parse("ns:__all__", &r, why, sizeof why), PK_OK);
  cr_expect_eq(pk__req_parse("__all__ ^1", &r, why, sizeof why), PK_EMANIFEST);
  cr_expect_eq(pk__req_parse("__all_ ^1", &r, why, sizeof why), PK_OK);
}

/* A name is [A-Za-z0-9_.-]{1,127}: every byte value checked alone and
 * inside a name, under the C.UTF-8 locale too (the check is not
 * isalnum's, which follows the locale). */
Test(semver, name_characters_are_ascii_in_any_locale)
{
  static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789_.-";
  const char *locales[] = {"C", "C.UTF-8"};
  for (size_t l = 0; l < 2; l++) {
    if (!setlocale(LC_CTYPE, locales[l]))
      continue;
    for (int c = 1; c < 256; c++) {
      char one = (char)c, in[4] = {'a', (char)c, 'b', '\0'};
      bool want = strchr(allowed, c) != NULL;
      cr_assert_eq(pk__name_valid(&one, 1), want, "byte %d (%s)", c,
                   locales[l]);
      cr_assert_eq(pk__name_valid(in, 3), want, "byte %d (%s)", c,
                   locales[l]);
    }
  }
  setlocale(LC_CTYPE, "C");
  char longest[PK__NAME_MAX];
  memset(longest, 'x', sizeof longest);
  cr_assert(pk__name_valid(longest, PK__NAME_MAX - 1));
  cr_assert(!pk__name_valid(longest, PK__NAME_MAX));
  cr_assert(!pk__name_valid(longest, 0));
}
