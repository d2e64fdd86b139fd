/* test_runner_cache.c -- the runner's hashing and caching policy (issue
 * 16): contents hashed by XXH3-128, entries of the SHA-256 runner a clean
 * miss, the stat cache, cache-when, --cache-status.  The real runner
 * binary in temporary projects.
 * SPDX-License-Identifier: MIT */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "runner_util.h"

/* ---- hashing (point 6) ---- */

/* An entry the issue-12 runner wrote (SHA-256 of contents) for this
 * project: runner-entry 1, the same format, another hash. */
static const char old_entry[] =
    "runner-entry 1\n"
    "name gen\n"
    "hash 21f11500a798bf21fd10635b80fc7dd8c6cbcf7972ecec03ea62b9291d4bbab6\n"
    "code 0\n"
    "log 4\n"
    "old\n"
    "\n"
    "digest 6b9e0b2409d04a3399ea14df97b21460c5ccf5fe5f3fd1d1b120f96b823db243\n";

Test(runner, entry_of_an_older_runner_is_a_clean_miss)
{
  proj p;
  proj_with(&p, "[commands.gen]\nexec = \"echo new\"\ndeps = [\"in.txt\"]\n");
  put(p.dir, "in.txt", "v1\n");
  put(p.dir, ".runner/cache/gen.entry", "%s", old_entry);
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: miss, running"), "%s", p.err);
  cr_assert_null(strstr(p.err, "warning"), "%s", p.err);
  cr_assert_str_eq(p.out, "new\n");
  run_says(&p, "gen", "gen: hit, replaying");
  proj_free(&p);
}

/* cinclude-scan lists each file with the XXH3-128 of its bytes (computed
 * here by xxhash.h itself, canonical big-endian hex). */
Test(runner, contents_are_hashed_with_xxh3_128)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "cinclude/scan"), 0, "%s", p.err);
  static const char *const files[] = {"src/main.c", "src/util.h",
                                      "src/inner.h"};
  char list[4096], path[300];
  snprintf(path, sizeof path, "%s/.runner/cinclude/src_main.c.deps", p.dir);
  slurp(path, list, sizeof list);
  for (size_t i = 0; i < 3; i++) {
    char data[512], want[400];
    snprintf(path, sizeof path, "%s/%s", p.dir, files[i]);
    slurp(path, data, sizeof data);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(data, strlen(data)));
    int n = snprintf(want, sizeof want, "%s ", files[i]);
    for (size_t b = 0; b < sizeof c.digest; b++)
      n += snprintf(want + n, sizeof want - (size_t)n, "%02x", c.digest[b]);
    snprintf(want + n, sizeof want - (size_t)n, "\n");
    cr_assert(strstr(list, want), "want %s in:\n%s", want, list);
  }
  proj_free(&p);
}
