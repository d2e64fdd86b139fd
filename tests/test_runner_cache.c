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

/* ---- caching policy (point 4) ---- */

/* cache-when: which results are stored and replayed -- the command's,
 * else [defaults]', else success. */
Test(runner, cache_when_success_failed_finished)
{
  proj p;
  proj_with(&p,
      "[commands.flaky]\n"
      "exec = \"echo ran >> \\\"$RAN_FILE\\\"; echo out; exit $(cat code)\"\n"
      "deps = [\"code\"]\n");
  put(p.dir, "code", "1\n");
  /* success (the default): a failure is not stored */
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(ran_count(&p), 2);
  /* failed: the failure is stored and replayed, its output and code */
  put(p.dir, "runner.toml",
      "[defaults]\ncache-when = \"failed\"\n"
      "[commands.flaky]\n"
      "exec = \"echo ran >> \\\"$RAN_FILE\\\"; echo out; exit $(cat code)\"\n"
      "deps = [\"code\"]\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert(strstr(p.err, "flaky: hit, replaying"), "%s", p.err);
  cr_assert_str_eq(p.out, "out\n");
  cr_assert_eq(ran_count(&p), 3);
  /* ... and a success is not */
  put(p.dir, "code", "0\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 0, "%s", p.err);
  cr_assert_eq(run(&p, NULL, "flaky"), 0, "%s", p.err);
  cr_assert_eq(ran_count(&p), 5);
  /* finished, on the command (over [defaults]): both */
  put(p.dir, "runner.toml",
      "[defaults]\ncache-when = \"failed\"\n"
      "[commands.flaky]\n"
      "exec = \"echo ran >> \\\"$RAN_FILE\\\"; echo out; exit $(cat code)\"\n"
      "deps = [\"code\"]\ncache-when = \"finished\"\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 0, "%s", p.err);
  run_says(&p, "flaky", "flaky: hit, replaying");
  put(p.dir, "code", "2\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert(strstr(p.err, "flaky: hit, replaying"), "%s", p.err);
  cr_assert_eq(ran_count(&p), 7);
  /* an entry cache-when does not keep is a miss: back to success */
  put(p.dir, "runner.toml",
      "[commands.flaky]\n"
      "exec = \"echo ran >> \\\"$RAN_FILE\\\"; echo out; exit $(cat code)\"\n"
      "deps = [\"code\"]\ncache-when = \"succes\"\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 2);
  cr_assert(strstr(p.err, "runner.toml:4:14: flaky: cache-when \"succes\" "
                          "(did you mean \"success\"?): use success, failed "
                          "or finished"), "%s", p.err);
  put(p.dir, "runner.toml",
      "[commands.flaky]\n"
      "exec = \"echo ran >> \\\"$RAN_FILE\\\"; echo out; exit $(cat code)\"\n"
      "deps = [\"code\"]\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert(strstr(p.err, "flaky: miss, running"), "%s", p.err);
  cr_assert_eq(ran_count(&p), 8);
  proj_free(&p);
}

/* --cache-status: hit, miss or uncached for each runnable, in text and in
 * JSON (checked by Python's json), running nothing and restoring nothing:
 * build's artifact removed stays removed (and test, whose inputs include
 * it, is a miss as the files are now). */
Test(runner, cache_status_says_hit_miss_uncached_without_running)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "--cache-status test hello"), 0, "%s", p.err);
  cr_assert_str_eq(p.out,
                   "miss       cinclude/scan?out=.runner/cinclude/"
                   "src_main.c.deps&path=src/main.c\n"
                   "miss       build\n"
                   "miss       test\n"
                   "uncached   tools.setup@dev\n"
                   "miss       hello\n");
  cr_assert_eq(ran_count(&p), 0);
  cr_assert(!exists(&p, "out/main.o"));
  cr_assert_eq(run(&p, NULL, "test hello"), 0, "%s", p.err);
  cr_assert_eq(ran_count(&p), 1);
  char cmd[1500];
  snprintf(cmd, sizeof cmd, "rm '%s/out/main.o'", p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "--cache-status --json test hello"), 0, "%s",
               p.err);
  cr_assert(!exists(&p, "out/main.o")); /* nothing restored */
  snprintf(cmd, sizeof cmd, "python3 - '%s.out' <<'EOF'\n"
      "import json, sys\n"
      "st = json.load(open(sys.argv[1]))\n"
      "got = {e['runnable']: (e['status'], e['cache']) for e in st}\n"
      "assert got['build'] == ('hit', 'shared'), got\n"
      "assert got['hello'] == ('hit', 'local'), got\n"
      "assert got['test'] == ('miss', 'local'), got\n"
      "assert got['tools.setup@dev'] == ('uncached', 'none'), got\n"
      "assert all(len(e['hash']) == 64 for e in st if e['status'] == 'hit')\n"
      "assert len(st) == 5, st\n"
      "EOF\n", p.dir);
  cr_assert_eq(system(cmd), 0, "%s", p.out);
  cr_assert_eq(run(&p, NULL, "--json"), 64);
  cr_assert(strstr(p.err, "--json goes with --cache-status"), "%s", p.err);
  proj_free(&p);
}
