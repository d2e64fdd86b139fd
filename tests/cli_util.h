/* cli_util.h -- running the plugkit CLI from the tests: the real binary,
 * its exit status and both outputs, with fixture directories made at test
 * time under a temporary root (removed by teardown()).  Included by the
 * CLI test files, each defining its own suite with setup and teardown.
 * SPDX-License-Identifier: MIT */
#ifndef PK_TEST_CLI_UTIL_H
#define PK_TEST_CLI_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "test_util.h"

#define FIX(set) PK_TEST_BINARY_DIR "/fixtures/" set

/* ---- running the CLI ---- */

typedef struct run {
  int code;  /* exit status, or 128 + signal */
  char *out; /* stdout (owned) */
  char *err; /* stderr (owned) */
} run;

/* Outputs of the runs of the current test, freed by teardown() so that a
 * failed assertion leaks nothing. */
static char *owned[256];
static size_t nowned;

static inline char *slurp(int fd)
{
  size_t len = 0, cap = 4096;
  char *s = malloc(cap);
  cr_assert_not_null(s);
  lseek(fd, 0, SEEK_SET);
  ssize_t r;
  while ((r = read(fd, s + len, cap - len - 1)) > 0) {
    len += (size_t)r;
    if (cap - len < 2) {
      cap *= 2;
      s = realloc(s, cap);
      cr_assert_not_null(s);
    }
  }
  s[len] = '\0';
  close(fd);
  cr_assert_lt(nowned, sizeof owned / sizeof owned[0]);
  owned[nowned++] = s;
  return s;
}

/* "NAME=VALUE" settings (NULL-ended) the next runs put in the CLI's
 * environment besides PLUGKIT_PATH; a test sets it and clears it. */
static const char *cli_extra_env[8];

/* Runs `plugkit ARGS...` (NULL-terminated) with PLUGKIT_PATH set to env
 * (NULL: unset). */
static inline run cli_env(const char *env, const char *arg, ...)
{
  const char *argv[64];
  int argc = 0;
  argv[argc++] = PK_CLI_PATH;
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a && argc < 63; a = va_arg(ap, const char *))
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;

  char outp[] = "/tmp/pkcli-out.XXXXXX", errp[] = "/tmp/pkcli-err.XXXXXX";
  int ofd = mkstemp(outp), efd = mkstemp(errp);
  cr_assert(ofd >= 0 && efd >= 0);
  unlink(outp);
  unlink(errp);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    dup2(ofd, 1);
    dup2(efd, 2);
    if (env)
      setenv("PLUGKIT_PATH", env, 1);
    else
      unsetenv("PLUGKIT_PATH");
    for (size_t i = 0; cli_extra_env[i]; i++)
      putenv((char *)cli_extra_env[i]);
    execv(PK_CLI_PATH, (char *const *)argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    ;
  run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(ofd);
  r.err = slurp(efd);
  return r;
}

#define cli(...) cli_env(NULL, __VA_ARGS__, NULL)

/* The outputs stay valid until the end of the test. */
static inline void run_free(run *r) { r->out = r->err = NULL; }

#define assert_has(hay, needle)                                                \
  cr_assert(strstr((hay), (needle)) != NULL, "expected \"%s\" in:\n%s",        \
            (needle), (hay))
#define assert_lacks(hay, needle)                                              \
  cr_assert(strstr((hay), (needle)) == NULL, "unexpected \"%s\" in:\n%s",      \
            (needle), (hay))

/* ---- fixture directories made at test time ---- */

static char root[64];

/* Makes ROOT/SUB/DIR/plugin.toml with the given text; returns ROOT/SUB. */
static inline const char *plugin(const char *sub, const char *dir,
                                 const char *text)
{
  static char subdir[4][256];
  static int next;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, sub);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/%s", root, sub, dir);
  mkdir(path, 0755);
  strcat(path, "/plugin.toml");
  write_file(path, text);
  char *s = subdir[next++ % 4];
  snprintf(s, 256, "%s/%s", root, sub);
  return s;
}

/* A data-only plugin "ns:name" with a version and requirements. */
static inline const char *data_plugin(const char *sub, const char *ns,
                                      const char *name, const char *version,
                                      const char *requires_)
{
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "name = \"%s\"\nnamespace = \"%s\"\nversion = \"%s\"\n",
                   name, ns, version);
  if (requires_)
    snprintf(text + n, sizeof text - (size_t)n, "requires = [%s]\n", requires_);
  return plugin(sub, name, text);
}

static inline void setup(void)
{
  snprintf(root, sizeof root, "/tmp/pkcli.XXXXXX");
  cr_assert_not_null(mkdtemp(root));
}

static inline int rm_one(const char *p, const struct stat *st, int flag,
                         struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(p);
}

/* Parsed JSON outputs of the current test, released by teardown(). */
static json_t *owned_json[64];
static size_t nowned_json;

/* Parses text as one JSON document (the test fails when it is not),
 * borrowed until the end of the test. */
static inline json_t *json_of(const char *text)
{
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  cr_assert_not_null(j, "not JSON (line %d: %s):\n%s", e.line, e.text, text);
  cr_assert_lt(nowned_json, sizeof owned_json / sizeof owned_json[0]);
  owned_json[nowned_json++] = j;
  return j;
}

/* Member key of object o (the test fails when it is absent). */
static inline json_t *json_at(const json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  cr_assert_not_null(v, "no \"%s\" in the JSON object", key);
  return v;
}

/* The string member key of o ("" for null). */
static inline const char *json_str(const json_t *o, const char *key)
{
  json_t *v = json_at(o, key);
  cr_assert(json_is_string(v) || json_is_null(v), "\"%s\" is not a string",
            key);
  return json_is_string(v) ? json_string_value(v) : "";
}

static inline void teardown(void)
{
  for (size_t i = 0; i < nowned_json; i++)
    json_decref(owned_json[i]);
  nowned_json = 0;
  nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  for (size_t i = 0; i < nowned; i++)
    free(owned[i]);
  nowned = 0;
}

/* A small tree: a:base <- a:mid <- a:top, a:solo, b:other <- a:top. */
static inline const char *chain_dir(void)
{
  data_plugin("p", "a", "base", "1.0.0", NULL);
  data_plugin("p", "a", "mid", "1.2.0", "\"base\"");
  data_plugin("p", "a", "top", "2.0.0", "\"a:mid >= 1.0\", \"b:other\"");
  data_plugin("p", "a", "solo", "0.1.0", NULL);
  return data_plugin("p", "b", "other", "3.0.0", NULL);
}

#endif
