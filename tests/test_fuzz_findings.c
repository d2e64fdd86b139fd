/* test_fuzz_findings.c -- the inputs with which a fuzz campaign found a
 * bug (tests/fuzz_findings/<target>/, docs/fuzzing.md), run again through
 * the real program they reached, so that undoing a fix fails here and not
 * only in a fuzzer.
 *
 * fuzz_runner_toml's inputs are runner.toml files: the runner of this
 * build (with the tests' sanitizers) checks each and plans every command
 * (--cache-status: nothing runs); it exits 0 or 2, and no sanitizer
 * speaks.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>

#include "runner_util.h"

#define FINDINGS PK_TEST_SOURCE_DIR "/fuzz_findings"

/* A project whose runner.toml is the finding name of fuzz_runner_toml;
 * the runner's exit code on it (p's out and err hold what it said). */
static int runner_on(proj *p, const char *name)
{
  char cmd[1024];
  proj_new(p);
  snprintf(cmd, sizeof cmd,
           "cp '" FINDINGS "/fuzz_runner_toml/%s' "
           "'%s/runner.toml'",
           name, p->dir);
  cr_assert_eq(system(cmd), 0);
  return run(p, NULL, "--cache-status");
}

Test(fuzz_findings, every_runner_toml_finding_is_checked_cleanly)
{
  DIR *d = opendir(FINDINGS "/fuzz_runner_toml");
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    proj p;
    int code = runner_on(&p, e->d_name);
    cr_assert(code == 0 || code == 2, "%s: exit %d: %s", e->d_name, code,
              p.err);
    cr_assert_null(strstr(p.err, "Sanitizer"), "%s: %s", e->d_name, p.err);
    cr_assert_null(strstr(p.err, "runtime error"), "%s: %s", e->d_name, p.err);
    proj_free(&p);
    n++;
  }
  closedir(d);
  cr_assert_gt(n, 0);
}

/* The first finding: a [ctx] declaration refused for an unknown key after
 * its default was read leaked the default (an ASan build exited 1 instead
 * of 2).  The unknown key is now the config check's (runner-host.toml's
 * [tables.ctx]); the declaration refused after its default is one whose
 * required is not a boolean. */
Test(fuzz_findings, ctx_declaration_refused_after_its_default_frees_it)
{
  proj p;
  cr_assert_eq(runner_on(&p, "ctx-declaration-default-leak.toml"), 2, "%s",
               p.err);
  cr_assert_eq(count_of(p.err, "runner.toml:3:10: unknown field \"tyke\" "
                               "(did you mean \"type\"?)"),
               1, "%s", p.err);
  cr_assert_null(strstr(p.err, "LeakSanitizer"), "%s", p.err);
  proj_free(&p);
  cr_assert_eq(runner_on(&p, "ctx-required-after-default-leak.toml"), 2,
               "%s", p.err);
  cr_assert_null(strstr(p.err, "LeakSanitizer"), "%s", p.err);
  proj_free(&p);
}
