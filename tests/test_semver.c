/* test_semver.c -- versions, precedence and requirement strings.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <string.h>

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
  return pk__req_matches(&r, &ver);
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
    pk__version a = v(order[i]), b = v(order[i + 1]);
    cr_expect_lt(pk__version_cmp(&a, &b), 0, "%s < %s", order[i], order[i + 1]);
    cr_expect_gt(pk__version_cmp(&b, &a), 0);
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
