/* test_runner_hostile.c -- the runner against hostile input (issue 12):
 * cache entries forged by whoever can write to .runner/cache or the shared
 * Redis (their digest recomputed, so the parser itself is reached),
 * artifacts aimed outside the project or at files the command does not
 * write, symbolic-link loops under a `**` glob, a Redis key of the wrong
 * type.  Each is a clean miss with a warning, never a crash or a write
 * outside the project.  The real runner binary in temporary projects.
 * SPDX-License-Identifier: MIT */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "runner_util.h"

/* A project whose command gen copies src/in.txt to out/gen.txt (its
 * artifacts: the .txt files in out), cached locally; tool writes nothing
 * and declares the .sh files in linkdir; all declares every file; state
 * declares files under .git and .runner. */
static void hostile_project(proj *p)
{
  proj_with(p,
      "[commands.gen]\n"
      "exec = \"mkdir -p out && cat src/in.txt > out/gen.txt && echo "
      "generated && echo ran >> \\\"$RAN_FILE\\\"\"\n"
      "deps = [\"src/*.txt\"]\n"
      "artifacts = [\"out/*.txt\"]\n"
      "\n"
      "[commands.tool]\n"
      "exec = \"echo tool\"\n"
      "deps = [\"src/*.txt\"]\n"
      "artifacts = [\"linkdir/*.sh\"]\n"
      "\n"
      "[commands.all]\n"
      "exec = \"echo all\"\n"
      "deps = [\"src/*.txt\"]\n"
      "artifacts = [\"**\"]\n"
      "\n"
      "[commands.state]\n"
      "exec = \"echo state\"\n"
      "deps = [\"src/*.txt\"]\n"
      "artifacts = [\".git/hooks/*\", \".runner/*\", \".runner/*/*\"]\n");
  put(p->dir, "src/in.txt", "v1\n");
}

/* A hostile_project where gen ran once: its entry is stored. */
static void hostile_after_gen(proj *p)
{
  hostile_project(p);
  cr_assert_eq(run(p, NULL, "gen"), 0, "%s", p->err);
}

/* The hash line of the stored entry of SLUG into hex (a run wrote it). */
static void entry_hash(const proj *p, const char *slug, char hex[65])
{
  char path[512], entry[1 << 14];
  snprintf(path, sizeof path, "%s/.runner/cache/%s.entry", p->dir, slug);
  slurp(path, entry, sizeof entry);
  const char *h = strstr(entry, "\nhash ");
  cr_assert_not_null(h, "no entry at %s", path);
  memcpy(hex, h + 6, 64);
  hex[64] = 0;
}

/* Writes the entry of SLUG: body (len bytes) and the digest line the
 * format wants (SHA-256 of the body, computed here with libcrypto), so a
 * reader reaches every line of the body. */
static void forge(const proj *p, const char *slug, const char *body,
                  size_t len)
{
  unsigned char md[32];
  unsigned int mdlen;
  cr_assert(EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL));
  char path[512];
  snprintf(path, sizeof path, "%s/.runner/cache/%s.entry", p->dir, slug);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "%s", path);
  fwrite(body, 1, len, f);
  fputs("digest ", f);
  for (unsigned i = 0; i < mdlen; i++)
    fprintf(f, "%02x", md[i]);
  fputs("\n", f);
  fclose(f);
}

/* Forges the entry of slug restoring one artifact, path (mode 755) holding
 * data. */
static void forge_one(const proj *p, const char *slug, const char *path,
                      const char *data)
{
  char hex[65], body[1024];
  entry_hash(p, slug, hex);
  int n = snprintf(body, sizeof body, "runner-entry 1\nname %s\nhash %s\n"
                   "code 0\nlog 0\n\nartifact 755 %zu %s\n%s\n", slug, hex,
                   strlen(data), path, data);
  forge(p, slug, body, (size_t)n);
}

/* Forges gen's entry from fmt (HASH in it stands for the stored entry's
 * hash) and runs gen: a miss with a warning saying SAYS, the command runs,
 * its real output is restored. */
static void gen_refuses(proj *p, const char *says, const char *fmt, ...)
{
  char hex[65], body[1 << 12];
  entry_hash(p, "gen", hex);
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(body, sizeof body, fmt, ap);
  va_end(ap);
  cr_assert(len > 0 && (size_t)len < sizeof body);
  char full[1 << 12];
  const char *at = strstr(body, "HASH");
  cr_assert_not_null(at);
  int n = snprintf(full, sizeof full, "%.*s%s%s", (int)(at - body), body,
                   hex, at + 4);
  forge(p, "gen", full, (size_t)n);
  int before = ran_count(p);
  cr_assert_eq(run(p, NULL, "gen"), 0, "%s", p->err);
  cr_assert(strstr(p->err, "warning: cache entry of gen is unusable ("),
            "entry:\n%s\nstderr:\n%s", full, p->err);
  cr_assert(strstr(p->err, says), "want \"%s\" for entry:\n%s\nstderr:\n%s",
            says, full, p->err);
  cr_assert(strstr(p->err, "gen: miss, running"), "%s", p->err);
  cr_assert_eq(ran_count(p), before + 1, "%s", p->err);
  char got[64], path[512];
  snprintf(path, sizeof path, "%s/out/gen.txt", p->dir);
  slurp(path, got, sizeof got);
  cr_assert_str_eq(got, "v1\n");
}

/* gen_refuses for each of n values as fmt's one %s. */
static void gen_refuses_each(proj *p, const char *says, const char *fmt,
                             const char *const *values, size_t n)
{
  for (size_t i = 0; i < n; i++)
    gen_refuses(p, says, fmt, values[i]);
}

#define EACH(list) list, sizeof list / sizeof *list

/* ---- item 1: every number an entry holds ---- */

/* The reproduction of issue 12 point 1 and its relatives: a length that
 * would wrap len + 1, a sign, a space, a leading zero, digits past
 * SIZE_MAX; each refused by the strict number reader. */
Test(runner, entry_log_lengths_are_bounded_unsigned_decimals)
{
  proj p;
  hostile_after_gen(&p);
  static const char *const lens[] = {
      "18446744073709551615", "18446744073709551616", "-1", "+3", " 3",
      "3 ", "03", "0x3", "99999999999999999999999999", "", "4"};
  gen_refuses_each(&p, "log", "runner-entry 1\nname gen\nhash HASH\n"
                   "code 0\nlog %s\nhi\n\n", EACH(lens));
  proj_free(&p);
}

Test(runner, entry_artifact_lengths_and_modes_are_strict)
{
  proj p;
  hostile_after_gen(&p);
  static const char *const heads[] = {
      "644 18446744073709551615", "644 -1", "644 +3", "644  3", "644 03",
      "-644 3", "+644 3", "1644 3", "9 3", " 644 3", "644 3 ", "644"};
  gen_refuses_each(&p, "artifact", "runner-entry 1\nname gen\nhash HASH\n"
                   "code 0\nlog 0\n\nartifact %s out/gen.txt\nv9\n\n",
                   EACH(heads));
  /* a length that runs past the end of the entry */
  gen_refuses(&p, "artifact", "runner-entry 1\nname gen\nhash HASH\n"
              "code 0\nlog 0\n\nartifact 644 100 out/gen.txt\nv9\n");
  proj_free(&p);
}

Test(runner, entry_code_name_and_hash_lines_are_strict)
{
  proj p;
  hostile_after_gen(&p);
  static const char *const codes[] = {"-1", "+0", "256", "00", " 0", "0 ",
                                      "1e0", ""};
  gen_refuses_each(&p, "code", "runner-entry 1\nname gen\nhash HASH\n"
                   "code %s\nlog 0\n\n", EACH(codes));
  gen_refuses(&p, "name", "runner-entry 1\nname  gen\nhash HASH\ncode 0\n"
              "log 0\n\n");
  gen_refuses(&p, "hash", "runner-entry 1\nname gen\nhash HASH \ncode 0\n"
              "log 0\n\n");
  gen_refuses(&p, "version", "runner-entry 01\nname gen\nhash HASH\n"
              "code 0\nlog 0\n\n");
  gen_refuses(&p, "not an artifact line", "runner-entry 1\nname gen\n"
              "hash HASH\ncode 0\nlog 0\n\nextra line\n");
  proj_free(&p);
}

/* A NUL byte inside a line would cut the C string short: "out/gen.txt\0
 * ../x" is not out/gen.txt.  A path with a control byte (a terminal
 * escape) would be printed in warnings. */
Test(runner, entry_line_with_a_nul_or_control_byte_is_refused)
{
  proj p;
  hostile_after_gen(&p);
  gen_refuses(&p, "holds a control character", "runner-entry 1\nname gen\n"
              "hash HASH\ncode 0\nlog 0\n\nartifact 644 3 out/\033[2Jx.txt\n"
              "v9\n\n");
  char hex[65];
  entry_hash(&p, "gen", hex);
  static const char *const lines[] = {"name gen\0x\n", "artifact 644 3 "
                                      "out/gen.txt\0../../x\n"};
  static const size_t lens[] = {11, 34};
  for (size_t i = 0; i < 2; i++) {
    char body[512];
    size_t n = 0;
    n += (size_t)snprintf(body, sizeof body, "runner-entry 1\n");
    if (i == 0) {
      memcpy(body + n, lines[0], lens[0]);
      n += lens[0];
    } else {
      n += (size_t)snprintf(body + n, sizeof body - n, "name gen\n");
    }
    n += (size_t)snprintf(body + n, sizeof body - n,
                          "hash %s\ncode 0\nlog 0\n\n", hex);
    if (i == 1) {
      memcpy(body + n, lines[1], lens[1]);
      n += lens[1];
      n += (size_t)snprintf(body + n, sizeof body - n, "v9\n\n");
    }
    forge(&p, "gen", body, n);
    cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
    cr_assert(strstr(p.err, "NUL byte"), "%s", p.err);
    cr_assert(strstr(p.err, "gen: miss, running"), "%s", p.err);
  }
  proj_free(&p);
}

/* The same path twice, and many artifacts: refused in n log n, fast. */
Test(runner, entry_with_duplicate_artifacts_is_refused_quickly)
{
  proj p;
  hostile_after_gen(&p);
  gen_refuses(&p, "twice", "runner-entry 1\nname gen\nhash HASH\ncode 0\n"
              "log 0\n\nartifact 644 3 out/gen.txt\nv8\n\nartifact 644 3 "
              "out/gen.txt\nv9\n\n");
  char hex[65];
  entry_hash(&p, "gen", hex);
  size_t cap = 200000 * 40, n = 0;
  char *body = malloc(cap);
  cr_assert_not_null(body);
  n += (size_t)snprintf(body, cap, "runner-entry 1\nname gen\nhash %s\n"
                        "code 0\nlog 0\n\n", hex);
  for (int i = 0; i < 200000; i++)
    n += (size_t)snprintf(body + n, cap - n, "artifact 644 0 out/%d.txt"
                          "\n\n", i % 199999);
  forge(&p, "gen", body, n);
  free(body);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  cr_assert(strstr(p.err, "out/0.txt twice"), "%s", p.err);
  cr_assert(!exists(&p, "out/1.txt")); /* refused before any write */
  cr_assert_lt(t1.tv_sec - t0.tv_sec, 10);
  proj_free(&p);
}

/* ---- item 2: what an entry may write ---- */

/* An intact entry restores only files its command declares, never under
 * .git (an executable hook) nor over an input. */
Test(runner, entry_restoring_an_undeclared_file_is_a_miss)
{
  proj p;
  hostile_project(&p);
  put(p.dir, ".git/hooks/README", "hooks\n");
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  static const char *const paths[] = {".git/hooks/pre-commit", "src/in.txt",
                                      "out/sub/gen.txt", "out/gen.sh",
                                      "./out/gen.txt", "out//gen.txt"};
  gen_refuses_each(&p, "not one of its declared artifacts",
                   "runner-entry 1\nname gen\nhash HASH\ncode 0\nlog 0\n\n"
                   "artifact 755 3 %s\nv9\n\n", EACH(paths));
  cr_assert(!exists(&p, ".git/hooks/pre-commit"));
  char in[64], path[512];
  snprintf(path, sizeof path, "%s/src/in.txt", p.dir);
  slurp(path, in, sizeof in);
  cr_assert_str_eq(in, "v1\n");
  /* a declared file the command did not write this time is fine */
  char hex[65], body[512];
  entry_hash(&p, "gen", hex);
  int n = snprintf(body, sizeof body, "runner-entry 1\nname gen\nhash %s\n"
                   "code 0\nlog 0\n\nartifact 644 3 out/gen.txt\nv1\n\n"
                   "artifact 600 6 out/other.txt\nother\n\n", hex);
  forge(&p, "gen", body, (size_t)n);
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: hit, replaying"), "%s", p.err);
  snprintf(path, sizeof path, "%s/out/other.txt", p.dir);
  slurp(path, in, sizeof in);
  cr_assert_str_eq(in, "other\n");
  proj_free(&p);
}

/* Forges an entry of slug restoring path (mode 755, "v9\n") and runs it:
 * a miss, path not written. */
static void restore_refused(proj *p, const char *slug, const char *path,
                            const char *says)
{
  forge_one(p, slug, path, "v9\n");
  cr_assert_eq(run(p, NULL, slug), 0, "%s", p->err);
  cr_assert(strstr(p->err, says), "%s: %s", path, p->err);
  cr_assert(strstr(p->err, ": miss, running"), "%s", p->err);
  char file[512], got[64];
  snprintf(file, sizeof file, "%s/%s", p->dir, path);
  slurp(file, got, sizeof got);
  cr_assert_neq(strcmp(got, "v9\n"), 0, "%s was written", path);
}

/* `**` declares everything but what is under .git and .runner; a declared
 * .git file or the runner's own state is not written either; a plugin's
 * outputs under .runner/NAME/ are. */
Test(runner, entry_never_writes_under_git_or_the_state_directory)
{
  proj p;
  hostile_project(&p);
  put(p.dir, ".git/hooks/README", "hooks\n");
  cr_assert_eq(run(&p, NULL, "all"), 0, "%s", p.err);
  cr_assert_eq(run(&p, NULL, "state"), 0, "%s", p.err);
  static const char *const paths[] = {".git/hooks/pre-commit",
                                      "sub/.git/config", ".runner/x"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
    restore_refused(&p, "all", paths[i], "not one of its declared artifacts");
  static const char *const state[] = {".git/hooks/pre-commit",
                                      ".runner/plugins.cache",
                                      ".runner/cache/gen.entry",
                                      ".runner/locks/gen.lock"};
  for (size_t i = 0; i < sizeof state / sizeof *state; i++)
    restore_refused(&p, "state", state[i], "under .git or the runner's own "
                    "state");
  forge_one(&p, "state", ".runner/plugin/out.txt", "v9\n");
  run_says(&p, "state", "state: hit, replaying");
  cr_assert(exists(&p, ".runner/plugin/out.txt"));
  proj_free(&p);
}

/* Issue 12 point 2: linkdir -> a directory outside; an entry restoring
 * linkdir/pwned.sh writes nothing there. */
Test(runner, artifact_through_a_symlinked_directory_is_not_written)
{
  proj p;
  hostile_project(&p);
  char outside[200], cmd[800];
  snprintf(outside, sizeof outside, "%s.outside", p.dir);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && ln -s '%s' '%s/linkdir'",
           outside, outside, p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "tool"), 0, "%s", p.err);
  forge_one(&p, "tool", "linkdir/pwned.sh", "echo pwned\n");
  cr_assert_eq(run(&p, NULL, "tool"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cannot restore linkdir/pwned.sh: linkdir is a "
                          "symbolic link"), "%s", p.err);
  cr_assert(strstr(p.err, "tool: miss, running"), "%s", p.err);
  char pwned[300];
  snprintf(pwned, sizeof pwned, "%s/pwned.sh", outside);
  cr_assert_neq(access(pwned, F_OK), 0, "%s was written", pwned);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", outside);
  cr_assert_eq(system(cmd), 0);
  proj_free(&p);
}

/* An artifact that is now a symbolic link is replaced, not written
 * through. */
Test(runner, restored_artifact_replaces_a_symlink_instead_of_following_it)
{
  proj p;
  hostile_after_gen(&p);
  char target[200], cmd[1000];
  snprintf(target, sizeof target, "%s.target", p.dir);
  snprintf(cmd, sizeof cmd, "echo original > '%s' && rm '%s/out/gen.txt' && "
           "ln -s '%s' '%s/out/gen.txt'", target, p.dir, target, p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: hit, replaying"), "%s", p.err);
  char got[64], path[300];
  slurp(target, got, sizeof got);
  cr_assert_str_eq(got, "original\n");
  snprintf(path, sizeof path, "%s/out/gen.txt", p.dir);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert(S_ISREG(st.st_mode));
  slurp(path, got, sizeof got);
  cr_assert_str_eq(got, "v1\n");
  unlink(target);
  proj_free(&p);
}

/* ---- item 2c: the cache key ---- */

#define KEY "0123456789abcdef-the-key"
#define KEY_ENV "RUNNER_CACHE_KEY_FILE=k/key"

/* The project's key file k/key holding KEY (mode 600). */
static void key_file(const proj *p)
{
  put(p->dir, "k/key", KEY "\n");
  char path[300];
  snprintf(path, sizeof path, "%s/k/key", p->dir);
  cr_assert_eq(chmod(path, 0600), 0);
}

/* HMAC-SHA256 with key of n bytes, by libcrypto's HMAC(), in hex. */
static void hmac_hex(const char *key, const char *data, size_t n,
                     char hex[65])
{
  unsigned char md[32];
  unsigned int mdlen;
  cr_assert_not_null(HMAC(EVP_sha256(), key, (int)strlen(key),
                          (const unsigned char *)data, n, md, &mdlen));
  for (unsigned i = 0; i < mdlen; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* gen's entry restoring out/gen.txt as "v9", digest line included, then
 * an hmac line with key (none when key is NULL). */
static void forge_tagged(const proj *p, const char *key)
{
  forge_one(p, "gen", "out/gen.txt", "v9\n");
  if (!key)
    return;
  char path[512], entry[1024], tag[65];
  snprintf(path, sizeof path, "%s/.runner/cache/gen.entry", p->dir);
  slurp(path, entry, sizeof entry);
  hmac_hex(key, entry, strlen(entry), tag);
  FILE *f = fopen(path, "a");
  cr_assert_not_null(f);
  fprintf(f, "hmac %s\n", tag);
  fclose(f);
}

static void gen_holds(const proj *p, const char *want)
{
  char got[64], path[300];
  snprintf(path, sizeof path, "%s/out/gen.txt", p->dir);
  slurp(path, got, sizeof got);
  cr_assert_str_eq(got, want);
}

/* With a key every entry carries its HMAC-SHA256 (the one libcrypto's
 * HMAC() computes); an entry without it, or with another key's, is a miss
 * with a warning; one tagged with the key is replayed. */
Test(runner, cache_key_tags_entries_and_refuses_untagged_ones)
{
  proj p;
  hostile_project(&p);
  key_file(&p);
  cr_assert_eq(run(&p, KEY_ENV, "gen"), 0, "%s", p.err);
  char path[512], entry[1 << 12], tag[65];
  snprintf(path, sizeof path, "%s/.runner/cache/gen.entry", p.dir);
  slurp(path, entry, sizeof entry);
  char *h = strstr(entry, "\nhmac ");
  cr_assert_not_null(h, "%s", entry);
  hmac_hex(KEY, entry, (size_t)(h + 1 - entry), tag);
  cr_assert_eq(strncmp(h + 6, tag, 64), 0, "%s\nwant %s", entry, tag);
  run_says(&p, "gen", "gen: hit");           /* no key: the digest */
  cr_assert_eq(run(&p, KEY_ENV, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: hit"), "%s", p.err);
  /* untagged (as every entry written before the key): a clean miss */
  forge_tagged(&p, NULL);
  cr_assert_eq(run(&p, KEY_ENV, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "warning: cache entry of gen is unusable (not "
                          "authenticated: no hmac line"), "%s", p.err);
  cr_assert(strstr(p.err, "gen: miss, running"), "%s", p.err);
  gen_holds(&p, "v1\n");
  /* another key's tag */
  forge_tagged(&p, "another key, 16 bytes or more");
  cr_assert_eq(run(&p, KEY_ENV, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "not authenticated: wrong hmac"), "%s", p.err);
  gen_holds(&p, "v1\n");
  /* the key's own tag: replayed, so the tag is what is checked */
  forge_tagged(&p, KEY);
  cr_assert_eq(run(&p, KEY_ENV, "gen"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "gen: hit, replaying"), "%s", p.err);
  gen_holds(&p, "v9\n");
  proj_free(&p);
}

/* The key from the environment: not passed on to the commands; wrong
 * settings stop the run with what to do. */
Test(runner, cache_key_settings_are_checked)
{
  proj p;
  hostile_project(&p);
  put(p.dir, "runner.toml", "[commands.show]\nexec = \"echo key=[$"
      "RUNNER_CACHE_KEY]\"\ndeps = [\"src/*.txt\"]\n");
  cr_assert_eq(run(&p, "RUNNER_CACHE_KEY=" KEY, "show"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "key=[]\n");
  char path[512], entry[1024];
  snprintf(path, sizeof path, "%s/.runner/cache/show.entry", p.dir);
  slurp(path, entry, sizeof entry);
  cr_assert(strstr(entry, "\nhmac "), "%s", entry);
  key_file(&p);
  cr_assert_eq(run(&p, KEY_ENV " RUNNER_CACHE_KEY=" KEY, "show"), 2);
  cr_assert(strstr(p.err, "both RUNNER_CACHE_KEY and RUNNER_CACHE_KEY_FILE "
                          "are set"), "%s", p.err);
  cr_assert_eq(run(&p, "RUNNER_CACHE_KEY_FILE=k/none", "show"), 2);
  cr_assert(strstr(p.err, "RUNNER_CACHE_KEY_FILE k/none: No such file or "
                          "directory (make one: head -c 32 /dev/urandom"),
            "%s", p.err);
  cr_assert_eq(run(&p, "RUNNER_CACHE_KEY=short", "show"), 2);
  cr_assert(strstr(p.err, "the cache key is 5 bytes; use 16 to 4096"), "%s",
            p.err);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "mkfifo '%s/k/fifo'", p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, "timeout 10 env RUNNER_CACHE_KEY_FILE=k/fifo", "show"),
               2);
  cr_assert(strstr(p.err, "k/fifo: not a regular file"), "%s", p.err);
  snprintf(path, sizeof path, "%s/k/key", p.dir);
  cr_assert_eq(chmod(path, 0644), 0);
  cr_assert_eq(run(&p, KEY_ENV, "show"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "warning: RUNNER_CACHE_KEY_FILE k/key can be read "
                          "by other users: chmod 600 k/key"), "%s", p.err);
  proj_free(&p);
}

/* The threat of issue 12 point 2: whoever can write to the shared Redis
 * replays anything.  With a key, an entry put there without the key's tag
 * (here: a real one with its hmac line cut off, its digest still right)
 * is refused by every checkout holding the key; a checkout with another
 * key refuses the genuine one. */
Test(runner, forged_remote_entry_is_refused_with_a_key, .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj a, b, c, d;
  proj_scenarios(&a, r.port);
  proj_scenarios(&b, r.port);
  proj_scenarios(&c, r.port);
  proj_scenarios(&d, r.port);
  static const char env[] = "RUNNER_CACHE_KEY=" KEY;
  cr_assert_eq(run(&a, env, "build"), 0, "%s", a.err);
  cr_assert_eq(run(&d, "RUNNER_CACHE_KEY=another-key-of-16-bytes", "build"),
               0, "%s", d.err);
  cr_assert(strstr(d.err, "remote entry of build is unusable (not "
                          "authenticated: wrong hmac"), "%s", d.err);
  cr_assert(strstr(d.err, "build: miss, running"), "%s", d.err);
  char key[512], cmd[1200], out[64];
  redis_key_of(&r, "t:build:*", key, sizeof key);
  /* d wrote its own entry under the same key: a's comes back */
  cr_assert_eq(run(&a, env, "-f build"), 0, "%s", a.err);
  cr_assert_eq(run(&b, env, "build"), 0, "%s", b.err);
  cr_assert(strstr(b.err, "build: hit (fetched from the remote cache)"),
            "%s", b.err);
  snprintf(cmd, sizeof cmd, "redis-cli -p %d --raw GET '%s' | head -n -2 | "
           "redis-cli -p %d -x SET '%s' >/dev/null", r.port, key, r.port,
           key);
  cr_assert_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "GET '%s'", key);
  redis_cli(&r, cmd, out, sizeof out);
  cr_assert(strstr(out, "runner-entry 1"), "%s", out);
  cr_assert_eq(run(&c, env, "build"), 0, "%s", c.err);
  cr_assert(strstr(c.err, "remote entry of build is unusable (not "
                          "authenticated: no hmac line"), "%s", c.err);
  cr_assert(strstr(c.err, "build: miss, running"), "%s", c.err);
  redis_stop(&r);
  proj_free(&a);
  proj_free(&b);
  proj_free(&c);
  proj_free(&d);
}

/* ---- item 5: `**` through symbolic-link loops ---- */

/* Two links to the root made the walk exponential (issue 12 point 5);
 * now each directory is walked once: fast, and every file listed once. */
Test(runner, glob_walk_through_symlink_loops_is_linear)
{
  proj p;
  hostile_project(&p);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cd '%s' && mkdir -p d && echo a > d/a.txt && "
           "ln -s . x && ln -s . y && ln -s .. d/up && ln -s ../d d/self",
           p.dir);
  cr_assert_eq(system(cmd), 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cr_assert_eq(run(&p, "timeout 20", "all"), 0, "%s", p.err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  cr_assert_lt(t1.tv_sec - t0.tv_sec, 10);
  char entry[1 << 14], path[512];
  snprintf(path, sizeof path, "%s/.runner/cache/all.entry", p.dir);
  slurp(path, entry, sizeof entry);
  cr_assert_eq(count_of(entry, " d/a.txt\n"), 1, "%s", entry);
  cr_assert_eq(count_of(entry, "a.txt\n"), 1, "%s", entry);
  cr_assert_eq(count_of(entry, " src/in.txt\n"), 1, "%s", entry);
  cr_assert_eq(count_of(entry, "in.txt\n"), 1, "%s", entry);
  proj_free(&p);
}

/* ---- item 6: a Redis error reply is not "cannot reach" ---- */

Test(runner, redis_wrongtype_is_reported_as_the_servers_error,
     .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj a;
  proj_scenarios(&a, r.port);
  cr_assert_eq(run(&a, NULL, "build"), 0, "%s", a.err);
  char key[512], out[256], cmd[700];
  redis_key_of(&r, "t:build:*", key, sizeof key);
  snprintf(cmd, sizeof cmd, "DEL '%s'", key);
  redis_cli(&r, cmd, out, sizeof out);
  snprintf(cmd, sizeof cmd, "LPUSH '%s' x", key);
  redis_cli(&r, cmd, out, sizeof out);
  proj b;
  proj_scenarios(&b, r.port);
  cr_assert_eq(run(&b, NULL, "build"), 0, "%s", b.err);
  cr_assert_null(strstr(b.err, "cannot reach"), "%s", b.err);
  char want[700];
  snprintf(want, sizeof want, "warning: cache shared (redis): GET %s: the "
           "server answered WRONGTYPE", key);
  cr_assert(strstr(b.err, want), "%s", b.err);
  cr_assert(strstr(b.err, "build: miss, running"), "%s", b.err);
  /* the SET after the run replaced the list: a third checkout hits */
  new_checkout_fetches(r.port, "build");
  redis_stop(&r);
  proj_free(&a);
  proj_free(&b);
}
