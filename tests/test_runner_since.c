/* test_runner_since.c -- issue 17 points 1 and 6: --since REF in a real
 * git repository (changed and untracked files, strict downstreams, an
 * env's lock, a dep type's own since set, -n), --isolated and isolated
 * command deps, the const and load dep types.  The real runner binary in
 * temporary projects.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

/* A project of four commands: b depends strictly on a, c loosely on b, d
 * stands alone on the files under d/; all committed in a git repository. */
static void chain(proj *p)
{
  proj_with(p, "[commands.a]\nexec = \"echo A\"\ndeps = [\"a.txt\"]\n"
               "[commands.b]\nexec = \"echo B\"\ndeps = [\"b.txt\", "
               "{ type = \"command\", name = \"a\", strict = true }]\n"
               "[commands.c]\nexec = \"echo C\"\ndeps = [\"c.txt\", "
               "{ type = \"command\", name = \"b\" }]\n"
               "[commands.d]\nexec = \"echo D\"\ndeps = [\"d/*.txt\"]\n");
  put(p->dir, "a.txt", "a\n");
  put(p->dir, "b.txt", "b\n");
  put(p->dir, "c.txt", "c\n");
  put(p->dir, "d/one.txt", "d\n");
  put(p->dir, ".gitignore", ".runner/\n");
  git(p, "init -q && git add -A && git commit -qm base");
}

/* A changed tracked file selects its runnable and its strict downstreams
 * (a -> b, not c: loose); the upstreams they need run too (hits). */
Test(runner, since_selects_changed_files_and_strict_downstreams)
{
  proj p;
  chain(&p);
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "--since HEAD: 0 files changed; 0 runnables "
                          "selected, 0 to run"), "%s", p.err);
  cr_assert_str_eq(p.out, "");
  put(p.dir, "a.txt", "a2\n");
  cr_assert_eq(run(&p, NULL, "-n 4 --since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "1 file changed; 2 runnables selected, 2 to run"),
            "%s", p.err);
  cr_assert_str_eq(p.out, "A\nB\n");
  /* committed: HEAD~1 sees it; b.txt changed selects b alone, which needs
   * a (run first, a hit now) */
  git(&p, "commit -qam 'a2'");
  cr_assert_eq(run(&p, NULL, "--since HEAD~1"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "A\nB\n");
  cr_assert(strstr(p.err, "a: hit"), "%s", p.err);
  put(p.dir, "b.txt", "b2\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "1 runnable selected, 2 to run with its "
                          "upstreams"), "%s", p.err);
  cr_assert(strstr(p.err, "a: hit"), "%s", p.err);
  cr_assert(strstr(p.err, "b: miss"), "%s", p.err);
  cr_assert_null(strstr(p.err, "c:"), "%s", p.err);
  /* the names asked bound the graph: c alone is not selected */
  cr_assert_eq(run(&p, NULL, "--since HEAD d"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "");
  proj_free(&p);
}

/* A `**` in the middle of a glob also matches no directory, as
 * docs/runner.md's `{module.dir}` deps mean: the dep src/ ** then *.c
 * hashes src/a.c and --since sees it, and the artifact out/ ** then *.o
 * finds out/a.o. */
Test(runner, double_star_in_the_middle_matches_no_directory_too)
{
  proj p;
  proj_with(&p, "[commands.gen]\nexec = \"mkdir -p out && touch out/a.o "
                "&& echo GEN\"\ndeps = [\"src/**/*.c\"]\n"
                "artifacts = [\"out/**/*.o\"]\n");
  put(p.dir, "src/a.c", "a\n");
  put(p.dir, "src/sub/b.c", "b\n");
  put(p.dir, ".gitignore", ".runner/\nout/\n");
  git(&p, "init -q && git add -A && git commit -qm base");
  run_says(&p, "gen", "gen: miss, running");
  cr_assert_null(strstr(p.err, "warning"), "%s", p.err);
  run_says(&p, "gen", "gen: hit, replaying");
  put(p.dir, "src/a.c", "a2\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "1 file changed; 1 runnable selected"), "%s", p.err);
  cr_assert(strstr(p.err, "gen: miss, running"), "%s", p.err);
  put(p.dir, "src/sub/b.c", "b2\n");
  run_says(&p, "gen", "gen: miss, running");
  proj_free(&p);
}

/* Every subset of a glob's ** components may match no directory (each cut
 * out of the pattern and put back in place, also for a pattern too long
 * for the stack): src/sub/a.c matches src/ ** /sub/ ** /x.c with both cut;
 * a file that no subset matches is no dep. */
Test(runner, each_double_star_of_a_glob_matches_no_directory_in_any_subset)
{
  proj p;
  char longdir[260], toml[1024], path[300];
  memset(longdir, 'd', 250);
  longdir[250] = '\0';
  snprintf(toml, sizeof toml, "[commands.gen]\nexec = \"echo GEN\"\n"
           "deps = [\"src/**/sub/**/*.c\", \"%s/**/*.c\"]\n", longdir);
  proj_with(&p, toml);
  const char *deps[] = {"src/sub/a.c", "src/x/sub/b.c", "src/sub/y/c.c",
                        "src/x/sub/y/d.c", path};
  snprintf(path, sizeof path, "%s/e.c", longdir);
  for (size_t i = 0; i < 5; i++)
    put(p.dir, deps[i], "1\n");
  put(p.dir, "src/other/f.c", "1\n");
  run_says(&p, "gen", "gen: miss, running");
  run_says(&p, "gen", "gen: hit, replaying");
  for (size_t i = 0; i < 5; i++) {
    put(p.dir, deps[i], "2\n");
    run_says(&p, "gen", "gen: miss, running");
  }
  put(p.dir, "src/other/f.c", "2\n");
  run_says(&p, "gen", "gen: hit, replaying");
  proj_free(&p);
}

/* An untracked file (not ignored) counts: a new file matching a glob. */
Test(runner, since_sees_untracked_files_and_needs_git)
{
  proj p;
  chain(&p);
  put(p.dir, "d/new.txt", "new\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "D\n");
  cr_assert_eq(run(&p, NULL, "--since no-such-ref"), 2);
  cr_assert(strstr(p.err, "runner: --since no-such-ref: git diff failed: "),
            "%s", p.err);
  cr_assert(strstr(p.err, "REF a commit git knows"), "%s", p.err);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/.git'", p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, "GIT_CEILING_DIRECTORIES=/tmp", "--since HEAD"), 2);
  cr_assert(strstr(p.err, "git diff failed: warning: Not a git repository"),
            "%s", p.err);
  proj_free(&p);
}

/* An env's lock file selects every runnable of its space (here the
 * space's inline toolenv pins tools.lock); a dotenv file too. */
Test(runner, since_a_changed_env_lock_selects_its_space)
{
  proj p;
  proj_with(&p, "[plugins]\ntools = \"runner:toolenv\"\n"
                "[spaces.default]\nenv = { type = \"toolenv\", setup = "
                "\"true\", lock = \"tools.lock\" }\ndotenv = [\".env\"]\n"
                "[commands.x]\nexec = \"echo X\"\ndeps = [\"x.txt\"]\n"
                "[commands.y]\nexec = \"echo Y\"\ndeps = [\"y.txt\"]\n");
  put(p.dir, "x.txt", "x\n");
  put(p.dir, "y.txt", "y\n");
  put(p.dir, "tools.lock", "v1\n");
  put(p.dir, ".env", "A=1\n");
  put(p.dir, ".gitignore", ".runner/\n");
  git(&p, "init -q && git add -A && git commit -qm base");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "");
  put(p.dir, "tools.lock", "v2\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "X\nY\n");
  git(&p, "checkout -q tools.lock");
  put(p.dir, ".env", "A=2\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "X\nY\n");
  proj_free(&p);
}

/* A dep type's since set differs from its globs (the pygraph pattern):
 * cinclude hashes the scan's output file, but --since looks at the
 * source (and a header selects the scan, whose strict downstream the
 * command is).  The output file changing alone selects nothing. */
Test(runner, since_uses_a_dep_types_since_set)
{
  proj p;
  proj_with(&p, "[plugins]\ncinclude = \"runner:cinclude\"\n"
                "[commands.build]\nexec = \"echo built\"\n"
                "deps = [{ type = \"cinclude\", path = \"src/main.c\" }]\n");
  put(p.dir, "src/main.c", "#include \"util.h\"\n");
  put(p.dir, "src/util.h", "/* util */\n");
  cr_assert_eq(run(&p, NULL, "build"), 0, "%s", p.err);
  /* the scan's output is committed too, to show it is not looked at */
  put(p.dir, ".gitignore", ".runner/*\n!.runner/cinclude/\n");
  git(&p, "init -q && git add -A && git commit -qm base");
  cr_assert(exists(&p, ".runner/cinclude/src_main.c.deps"));
  put(p.dir, ".runner/cinclude/src_main.c.deps", "changed by hand\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "1 file changed; 0 runnables selected"), "%s",
            p.err);
  git(&p, "checkout -q .runner");
  put(p.dir, "src/main.c", "#include \"util.h\"\nint x;\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "2 runnables selected"), "%s", p.err);
  cr_assert_str_eq(p.out, "built\n");
  git(&p, "checkout -q src");
  put(p.dir, "src/util.h", "/* util 2 */\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "2 runnables selected"), "%s", p.err);
  cr_assert_str_eq(p.out, "built\n");
  proj_free(&p);
}

/* isolated = true on a command dep (or --isolated for all): the upstream
 * runs first only when it is selected itself. */
Test(runner, isolated_deps_run_the_upstream_only_when_selected)
{
  proj p;
  proj_with(&p, "[commands.build]\nexec = \"echo built\"\n"
                "[commands.test]\nexec = \"echo tested\"\ndeps = [{ type = "
                "\"command\", name = \"build\", strict = true, isolated = "
                "true }]\n"
                "[commands.lint]\nexec = \"echo linted\"\ndeps = [{ type = "
                "\"command\", name = \"build\" }]\n");
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "tested\n");
  cr_assert_eq(run(&p, NULL, "test build"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "built\ntested\n");
  cr_assert_eq(run(&p, NULL, "lint"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "built\nlinted\n");
  cr_assert_eq(run(&p, NULL, "--isolated lint"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "linted\n");
  /* kept through another edge: then waited for */
  cr_assert_eq(run(&p, NULL, "-n 4 test lint"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "built\ntested\nlinted\n");
  proj_free(&p);
}

/* const: a value in the hash ({ctx.*} formatted); load: the globs a file
 * lists, its default when the file is absent. */
Test(runner, const_and_load_deps_go_in_the_hash)
{
  proj p;
  proj_with(&p, "[ctx]\nflavour = \"plain\"\n"
                "[commands.k]\nexec = \"echo k\"\ndeps = [{ type = "
                "\"const\", value = \"v1-{ctx.flavour}\" }]\n"
                "[commands.l]\nexec = \"echo l\"\ndeps = [{ type = "
                "\"load\", path = \"deps.list\", default = [\"a.txt\"] }]\n");
  put(p.dir, "a.txt", "a\n");
  put(p.dir, "b.txt", "b\n");
  run_says(&p, "k l", "k: miss");
  run_says(&p, "k l", "k: hit");
  cr_assert(strstr(p.err, "l: hit"), "%s", p.err);
  run_says(&p, "k", "k: hit");
  cr_assert_eq(run(&p, "FLAVOUR=spicy", "k"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "k: miss"), "%s", p.err);
  /* the default: a.txt */
  put(p.dir, "a.txt", "a2\n");
  run_says(&p, "l", "l: miss");
  /* the file: its globs, and the file itself */
  put(p.dir, "deps.list", "# what l reads\nb.txt\n\n");
  run_says(&p, "l", "l: miss");
  put(p.dir, "a.txt", "a3\n");
  run_says(&p, "l", "l: hit");
  put(p.dir, "b.txt", "b2\n");
  run_says(&p, "l", "l: miss");
  put(p.dir, "deps.list", "# what l reads\nb.txt\n# more\n");
  run_says(&p, "l", "l: miss");
  /* a directory where the file should be: a positioned error */
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm '%s/deps.list' && mkdir '%s/deps.list'",
           p.dir, p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "l"), 2);
  cr_assert(strstr(p.err, "runner: runner.toml:8:33: load: cannot read "
                          "deps.list: Is a directory"), "%s", p.err);
  proj_free(&p);
}

/* --since with a const dep: runner.toml changed selects its users. */
Test(runner, since_a_changed_runner_toml_selects_const_users)
{
  proj p;
  proj_with(&p, "[commands.k]\nexec = \"echo k\"\ndeps = [{ type = "
                "\"const\", value = \"1\" }]\n"
                "[commands.g]\nexec = \"echo g\"\ndeps = [\"g.txt\"]\n");
  put(p.dir, "g.txt", "g\n");
  put(p.dir, ".gitignore", ".runner/\n");
  git(&p, "init -q && git add -A && git commit -qm base");
  put(p.dir, "runner.toml", "[commands.k]\nexec = \"echo k\"\ndeps = "
                            "[{ type = \"const\", value = \"2\" }]\n"
                            "[commands.g]\nexec = \"echo g\"\ndeps = "
                            "[\"g.txt\"]\n");
  cr_assert_eq(run(&p, NULL, "--since HEAD"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "k\n");
  proj_free(&p);
}
