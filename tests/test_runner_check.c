/* test_runner_check.c -- one check, two callers (issue 15 point 2): for
 * every broken runner.toml of tests/fixtures/runner-check/, the real
 * runner and the real plugkit config check --host runner-host.toml report
 * exactly the same problems at the same positions, among them the ones
 * its "# expect: LINE:COL: message" lines name.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>

#include "runner_util.h"

#define CORPUS PK_TEST_SOURCE_DIR "/fixtures/runner-check"

static int by_text(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text that are problems of runner.toml (FILE:LINE:COL:),
 * sorted, each after a '\n', into out. */
static void problems(const char *text, char *out, size_t n)
{
  char *copy = strdup(text), *lines[256];
  size_t k = 0;
  cr_assert_not_null(copy);
  for (char *l = strtok(copy, "\n"); l && k < 256; l = strtok(NULL, "\n"))
    if (!strncmp(l, "runner.toml:", 12))
      lines[k++] = l;
  qsort(lines, k, sizeof *lines, by_text);
  size_t len = 0;
  out[0] = 0;
  for (size_t i = 0; i < k && len < n; i++)
    len += (size_t)snprintf(out + len, n - len, "\n%s", lines[i]);
  free(copy);
}

/* The output of cmd (run by the shell) and its exit status. */
static int shell(const char *cmd, char *out, size_t n)
{
  FILE *f = popen(cmd, "r");
  cr_assert_not_null(f);
  size_t len = fread(out, 1, n - 1, f);
  out[len] = 0;
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void check_file(const char *name)
{
  char src[512], text[8192];
  snprintf(src, sizeof src, CORPUS "/%s", name);
  slurp(src, text, sizeof text);
  proj p;
  proj_with(&p, text);
  static char runner_out[1 << 16], cli_out[1 << 16], a[1 << 16], b[1 << 16];
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd '%s' && env -u PLUGKIT_PATH '%s' --ls 2>&1",
           p.dir, RUNNER);
  int rc = shell(cmd, runner_out, sizeof runner_out);
  cr_assert_eq(rc, 2, "%s: runner --ls exits %d:\n%s", name, rc, runner_out);
  snprintf(cmd, sizeof cmd,
           "cd '%s' && env -u PLUGKIT_PATH '%s' config check --host "
           "'%s/runner-host.toml' --path '%s/plugins' runner.toml 2>&1",
           p.dir, PK_CLI_PATH, PK_RUNNER_DIR, PK_RUNNER_DIR);
  rc = shell(cmd, cli_out, sizeof cli_out);
  cr_assert_eq(rc, 1, "%s: plugkit config check exits %d:\n%s", name, rc,
               cli_out);
  problems(runner_out, a, sizeof a);
  problems(cli_out, b, sizeof b);
  cr_assert_str_eq(a, b, "%s: the runner and plugkit config check --host "
                   "differ:\n-- runner:\n%s-- plugkit:\n%s", name, a, b);
  size_t nexpect = 0;
  for (char *e = strstr(text, "# expect: "); e; e = strstr(e + 1, "# expect: ")) {
    char want[600];
    snprintf(want, sizeof want, "\nrunner.toml:%.*s",
             (int)strcspn(e + 10, "\n"), e + 10);
    cr_assert_not_null(strstr(a, want), "%s: no problem %s in:\n%s", name,
                       want, a);
    nexpect++;
  }
  cr_assert_gt(nexpect, 0, "%s: no # expect: line", name);
  proj_free(&p);
}

Test(runner, check_corpus_same_problems_as_plugkit_config_check)
{
  static char names[64][256];
  size_t n = 0;
  DIR *d = opendir(CORPUS);
  cr_assert_not_null(d);
  for (struct dirent *e; (e = readdir(d)) && n < 64;) {
    size_t len = strlen(e->d_name);
    if (len > 5 && len < 256 && !strcmp(e->d_name + len - 5, ".toml"))
      snprintf(names[n++], sizeof names[0], "%s", e->d_name);
  }
  closedir(d);
  cr_assert_geq(n, 16, "the corpus has %zu files", n);
  for (size_t i = 0; i < n; i++)
    check_file(names[i]);
}
