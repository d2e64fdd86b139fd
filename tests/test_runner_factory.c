/* test_runner_factory.c -- issue 17 point 5: commands from plugin code.
 * The cinclude plugin's hidden command graph names the factory type
 * cinclude-graph, which makes one in-process runnable per module (the
 * analog of pygraph's lock): loaded lazily, run on a worker thread,
 * cached and restored like any other, linked per module by a command dep.
 * The real runner binary and plugin in temporary projects.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

static void graph_project(proj *p)
{
  proj_with(p, "[plugins]\ncinclude = \"runner:cinclude\"\n"
               "[spaces.default]\nmodules = [\"libs/a\", \"libs/b\"]\n"
               "[commands.check]\n"
               "exec = \"echo checking {module.name} && wc -l < "
               ".runner/cinclude/graph/{module.name}.lock\"\n"
               "deps = [{ type = \"command\", name = \"cinclude/graph\", "
               "strict = true }]\n");
  put(p->dir, "libs/a/a.c", "#include \"a.h\"\n#include "
                            "\"../../include/common.h\"\n");
  put(p->dir, "libs/a/a.h", "/* a */\n");
  put(p->dir, "libs/b/sub/b.c", "#include \"../b.h\"\n");
  put(p->dir, "libs/b/b.h", "/* b */\n");
  put(p->dir, "include/common.h", "/* common */\n");
  put(p->dir, "include/unused.h", "/* unused */\n");
}

Test(runner, factory_makes_an_in_process_runnable_per_module)
{
  proj p;
  graph_project(&p);
  /* listing loads no plugin; the factory's command is hidden */
  cr_assert_eq(run(&p, "LD_DEBUG=files", "--ls"), 0, "%s", p.err);
  cr_assert_null(strstr(p.err, "plugins/cinclude/lib"), "%s", p.err);
  cr_assert(strstr(p.out, "check#a\ncheck#b\n"), "%s", p.out);
  cr_assert_eq(run(&p, NULL, "-n 4 check"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cinclude/graph#a: miss, running"), "%s", p.err);
  cr_assert(strstr(p.out, "a: 3 files (1 sources) in .runner/cinclude/"
                          "graph/a.lock\n"), "%s", p.out);
  cr_assert(strstr(p.out, "b: 2 files (1 sources) in .runner/cinclude/"
                          "graph/b.lock\n"), "%s", p.out);
  cr_assert(strstr(p.out, "checking a\n3\n"), "%s", p.out);
  char lock[1024], path[300];
  snprintf(path, sizeof path, "%s/.runner/cinclude/graph/b.lock", p.dir);
  slurp(path, lock, sizeof lock);
  cr_assert_eq(strlen(lock), 2 * (strlen("libs/b/b.h ") + 33) + 4, "%s",
               lock);
  cr_assert(!strncmp(lock, "libs/b/b.h ", 11) &&
                strstr(lock, "\nlibs/b/sub/b.c "), "%s", lock);
  /* cached like any other: hits, and the lock restored when removed */
  unlink(path);
  cr_assert_eq(run(&p, NULL, "check"), 0, "%s", p.err);
  cr_assert_eq(count_of(p.err, ": hit, replaying"), 4, "%s", p.err);
  cr_assert(exists(&p, ".runner/cinclude/graph/b.lock"));
  /* a header a's source includes: a's lock changes, check#a runs; b's
   * graph runs (every header is its input) but its lock is the same */
  put(p.dir, "include/common.h", "/* common 2 */\n");
  cr_assert_eq(run(&p, NULL, "check"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "check#a: miss, running"), "%s", p.err);
  cr_assert(strstr(p.err, "check#b: hit"), "%s", p.err);
  put(p.dir, "include/unused.h", "/* unused 2 */\n");
  cr_assert_eq(run(&p, NULL, "check"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "check#a: hit"), "%s", p.err);
  cr_assert(strstr(p.err, "check#b: hit"), "%s", p.err);
  /* one runnable by name, either spelling; a wrong one lists them */
  cr_assert_eq(run(&p, NULL, "'cinclude.graph#b'"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cinclude/graph#b: hit"), "%s", p.err);
  cr_assert_null(strstr(p.err, "graph#a"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "'cinclude/graph#zz'"), 2);
  cr_assert(strstr(p.err, "runner: cinclude/graph#zz: its factory made no "
                          "such runnable; it made: cinclude/graph#a "
                          "cinclude/graph#b"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "-m b cinclude/graph"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cinclude/graph#b: hit"), "%s", p.err);
  cr_assert_null(strstr(p.err, "graph#a"), "%s", p.err);
  proj_free(&p);
}

Test(runner, factory_errors_are_positioned)
{
  proj p;
  proj_with(&p, "[plugins]\ncinclude = \"runner:cinclude\"\n"
                "[commands.both]\nexec = \"true\"\nfactory = "
                "\"cinclude-graph\"\n"
                "[commands.neither]\nhidden = true\n"
                "[commands.typo]\nfactory = \"cinclude-grahp\"\n"
                "[commands.wrong]\nfactory = 3\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 2);
  /* checked through runner-host.toml's [tables.commands] (one-of, an
   * instance of kind factory whose string is its tag) */
  cr_assert(strstr(p.err, "runner.toml:5:11: commands.both: exec and factory "
                          "both set: set one of them"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:6:1: commands.neither: set exec or "
                          "factory"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:9:11: unknown factory type "
                          "\"cinclude-grahp\" in commands.typo.factory (did "
                          "you mean \"cinclude-graph\"?)"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:11:11: commands.wrong.factory must be "
                          "a string or a table { type = \"TAG\", ... } (an "
                          "instance of kind factory), found an integer"),
            "%s", p.err);
  proj_free(&p);
}
