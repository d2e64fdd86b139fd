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

/* Command flaky exits with the code in the file code (its dep), says
 * "out" and counts its runs; cache-when is dflt in [defaults] and when on
 * the command (NULL: none). */
static void flaky(proj *p, const char *dflt, const char *when)
{
  char toml[512];
  int n = 0;
  if (dflt)
    n += snprintf(toml, sizeof toml, "[defaults]\ncache-when = \"%s\"\n",
                  dflt);
  n += snprintf(toml + n, sizeof toml - (size_t)n,
                "[commands.flaky]\nexec = \"echo ran >> \\\"$RAN_FILE\\\"; "
                "echo out; exit $(cat code)\"\ndeps = [\"code\"]\n");
  if (when)
    snprintf(toml + n, sizeof toml - (size_t)n, "cache-when = \"%s\"\n",
             when);
  put(p->dir, "runner.toml", "%s", toml);
}

/* cache-when: which results are stored and replayed -- the command's,
 * else [defaults]', else success. */
Test(runner, cache_when_success_failed_finished)
{
  proj p;
  proj_new(&p);
  flaky(&p, NULL, NULL);
  put(p.dir, "code", "1\n");
  /* success (the default): a failure is not stored */
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(ran_count(&p), 2);
  /* failed: the failure is stored and replayed, its output and code */
  flaky(&p, "failed", NULL);
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
  flaky(&p, "failed", "finished");
  cr_assert_eq(run(&p, NULL, "flaky"), 0, "%s", p.err);
  run_says(&p, "flaky", "flaky: hit, replaying");
  put(p.dir, "code", "2\n");
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert_eq(run(&p, NULL, "flaky"), 1);
  cr_assert(strstr(p.err, "flaky: hit, replaying"), "%s", p.err);
  cr_assert_eq(ran_count(&p), 7);
  /* a misspelt value is a config error */
  flaky(&p, NULL, "succes");
  cr_assert_eq(run(&p, NULL, "flaky"), 2);
  cr_assert(strstr(p.err, "runner.toml:4:14: flaky: cache-when \"succes\" "
                          "(did you mean \"success\"?): use success, failed "
                          "or finished"), "%s", p.err);
  /* an entry cache-when does not keep is a miss: back to success */
  flaky(&p, NULL, NULL);
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

/* ---- the stat cache (.runner/stat.cache) ---- */

/* Rewrites the stat cache record of path to what stat says of it now,
 * with read_at (ns) as the moment its bytes were read; its hash stays.
 * The format: "runner-stat 1\n", a uint64 count, then per record int64
 * size, mtime, ctime, read_at, uint64 ino, dev (ns, native order), 32
 * hex digits, a uint16 path length, the path and a NUL. */
static void stat_record(const proj *p, const char *path, int64_t read_at)
{
  char cache[512], file[512];
  snprintf(cache, sizeof cache, "%s/.runner/stat.cache", p->dir);
  snprintf(file, sizeof file, "%s/%s", p->dir, path);
  static char buf[1 << 16];
  FILE *f = fopen(cache, "r+b");
  cr_assert_not_null(f);
  size_t len = fread(buf, 1, sizeof buf, f);
  struct stat st;
  cr_assert_eq(stat(file, &st), 0);
  size_t off = 14 + 8, plen = strlen(path);
  bool found = false;
  while (off + 48 + 32 + 2 <= len && !found) {
    uint16_t n;
    memcpy(&n, buf + off + 80, 2);
    if (n == plen && !memcmp(buf + off + 82, path, plen)) {
      int64_t v[6] = {(int64_t)st.st_size,
                      (int64_t)st.st_mtim.tv_sec * 1000000000 +
                          st.st_mtim.tv_nsec,
                      (int64_t)st.st_ctim.tv_sec * 1000000000 +
                          st.st_ctim.tv_nsec,
                      read_at, (int64_t)st.st_ino, (int64_t)st.st_dev};
      memcpy(buf + off, v, sizeof v);
      found = true;
    }
    off += 82 + n + 1;
  }
  cr_assert(found, "no record of %s", path);
  fseek(f, 0, SEEK_SET);
  fwrite(buf, 1, len, f);
  fclose(f);
}

/* A file whose stat is what the cache recorded is not read again (a
 * record made to match the new bytes' stat, with the old hash, is
 * believed: the old result is replayed) -- unless its mtime is within 2 s
 * of the moment its bytes were read (git's racily clean rule): then it is
 * read, and the new bytes count. */
Test(runner, stat_cache_spares_reads_and_rereads_racily_clean_files)
{
  proj p;
  proj_with(&p, "[commands.gen]\nexec = \"cat in.txt\"\ndeps = "
                "[\"in.txt\"]\n");
  put(p.dir, "in.txt", "aaaa\n");
  char file[300];
  snprintf(file, sizeof file, "%s/in.txt", p.dir);
  struct timespec old[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
  cr_assert_eq(utimensat(AT_FDCWD, file, old, 0), 0);
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  run_says(&p, "gen", "gen: hit");
  cr_assert(exists(&p, ".runner/stat.cache"));
  put(p.dir, "in.txt", "bbbb\n"); /* the same size */
  struct stat st;
  cr_assert_eq(stat(file, &st), 0);
  int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                  st.st_mtim.tv_nsec;
  stat_record(&p, "in.txt", mtime + 10 * 1000000000LL);
  run_says(&p, "gen", "gen: hit, replaying"); /* believed: not read */
  cr_assert_str_eq(p.out, "aaaa\n");
  stat_record(&p, "in.txt", mtime + 1000000000LL); /* read 1 s after */
  run_says(&p, "gen", "gen: miss, running");
  cr_assert_str_eq(p.out, "bbbb\n");
  /* a damaged cache is dropped, not trusted */
  put(p.dir, ".runner/stat.cache", "runner-stat 1\ngarbage");
  run_says(&p, "gen", "gen: hit, replaying");
  cr_assert_str_eq(p.out, "bbbb\n");
  proj_free(&p);
}
