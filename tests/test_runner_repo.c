/* test_runner_repo.c -- issue 17 point 3: the repo cache, entries under
 * .runner/repo-cache/ committed with the project (artifacts named, not
 * copied), in a real git repository: a hit in a clone, a miss when a
 * committed artifact is not as made, and two branches that both ran a
 * command merging without a conflict into a miss.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

static const char repo_toml[] =
    "[commands.gen]\n"
    "exec = \"mkdir -p out && cat a.txt > out/gen.txt && echo generated\"\n"
    "deps = [\"a.txt\"]\n"
    "cache = \"repo\"\n"
    "artifacts = [\"out/gen.txt\"]\n"
    "[commands.count]\n"
    "exec = \"echo counted && cat a.txt b.txt | wc -l\"\n"
    "deps = [\"a.txt\", \"b.txt\"]\n"
    "cache = \"repo\"\n"
    "[commands.other]\n"
    "exec = \"echo other && cat c.txt\"\n"
    "deps = [\"c.txt\"]\n"
    "cache = \"repo\"\n";

static void repo_project(proj *p)
{
  proj_with(p, repo_toml);
  put(p->dir, "a.txt", "a\n");
  put(p->dir, "b.txt", "b\n");
  put(p->dir, "c.txt", "c\n");
  /* the runner's state stays out of git, but for the repo cache */
  put(p->dir, ".gitignore", ".runner/*\n!.runner/repo-cache/\n");
  git(p, "init -q -b main");
}

/* Committed entries replay in a clone; they hold no artifact bytes, and a
 * committed artifact that is not as it was made is a miss. */
Test(runner, repo_cache_entries_are_committed_and_hit_in_a_clone)
{
  proj p;
  repo_project(&p);
  run_says(&p, "gen count other", "gen: miss");
  git(&p, "add -A && git commit -qm 'with the repo cache'");
  char entry[4096], path[300];
  snprintf(path, sizeof path, "%s/.runner/repo-cache/gen.entry", p.dir);
  slurp(path, entry, sizeof entry);
  cr_assert(strstr(entry, "\ntree 644 "), "%s", entry);
  cr_assert(strstr(entry, " out/gen.txt\n"), "%s", entry);
  cr_assert_null(strstr(entry, "\nartifact "), "%s", entry);
  cr_assert(exists(&p, ".runner/repo-cache/.gitattributes"));
  proj c;
  proj_new(&c);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "git clone -q '%s' '%s/co' 2>/dev/null", p.dir,
           c.dir);
  cr_assert_eq(system(cmd), 0);
  strcat(c.dir, "/co");
  cr_assert_eq(run(&c, NULL, "gen count other"), 0, "%s", c.err);
  cr_assert_eq(count_of(c.err, ": hit, replaying"), 3, "%s", c.err);
  cr_assert_str_eq(c.out, "generated\ncounted\n2\nother\nc\n");
  /* the artifact differs from what was made: a miss, and it is made */
  put(c.dir, "out/gen.txt", "edited\n");
  cr_assert_eq(run(&c, NULL, "gen"), 0, "%s", c.err);
  cr_assert(strstr(c.err, "its artifact out/gen.txt is not in the checkout "
                          "as it was made: commit it with the entry"),
            "%s", c.err);
  cr_assert(strstr(c.err, "gen: miss, running"), "%s", c.err);
  snprintf(cmd, sizeof cmd, "rm '%s/out/gen.txt'", c.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&c, NULL, "gen"), 0, "%s", c.err);
  cr_assert(strstr(c.err, "missing from the checkout"), "%s", c.err);
  c.dir[strlen(c.dir) - 3] = 0;
  proj_free(&c);
  proj_free(&p);
}

/* Two branches both run count (a.txt changed on one, b.txt on the
 * other): git merges them without a conflict (merge=union in the cache's
 * .gitattributes), the merged entry is a miss with a note, the run writes
 * it anew and the next one hits.  other, run on one branch only, comes
 * through the merge whole and hits. */
Test(runner, repo_cache_merge_of_two_branches_is_a_miss_not_a_conflict)
{
  proj p;
  repo_project(&p);
  run_says(&p, "count other", "count: miss");
  git(&p, "add -A && git commit -qm base && git checkout -q -b x");
  put(p.dir, "a.txt", "a\nfrom x\n");
  put(p.dir, "c.txt", "c from x\n");
  run_says(&p, "count other", "count: miss");
  git(&p, "commit -qam x && git checkout -q main && git checkout -q -b y");
  put(p.dir, "b.txt", "b\nfrom y\n");
  run_says(&p, "count other", "count: miss");
  cr_assert(strstr(p.err, "other: hit"), "%s", p.err);
  git(&p, "commit -qam y && git checkout -q x");
  /* no conflict: git merge succeeds on its own */
  git(&p, "merge -q --no-edit y");
  git(&p, "diff --quiet HEAD && test -z \"$(git ls-files -u)\"");
  char entry[8192], path[300];
  snprintf(path, sizeof path, "%s/.runner/repo-cache/count.entry", p.dir);
  slurp(path, entry, sizeof entry);
  cr_assert_eq(count_of(entry, "\ndigest "), 2, "%s", entry);
  cr_assert_eq(run(&p, NULL, "count other"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cache entry of count in .runner/repo-cache/"
                          "count.entry was merged by git from two branches "
                          "that both ran it: a miss; this run writes it "
                          "anew"), "%s", p.err);
  cr_assert(strstr(p.err, "count: miss, running"), "%s", p.err);
  cr_assert(strstr(p.err, "other: hit"), "%s", p.err);
  cr_assert_str_eq(p.out, "counted\n4\nother\nc from x\n");
  run_says(&p, "count", "count: hit, replaying");
  proj_free(&p);
}
