/* test_runner_spaces.c -- spaces and modules (issue 16 point 2): commands
 * run per module and their names, a module's own runner.toml, selection by
 * name, -m and -s, links between commands per module, a space's env (made
 * once, only when used) and dotenv files, and the config errors.  The real
 * runner binary and its plugins in temporary projects.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

/* Modules net (libs/net) and web (libs/ui) in the default space, gen
 * (tools/gen) in space tools; build runs per module of the default space,
 * test per module of every space and needs the same module's build; net
 * has its own runner.toml with lint. */
static void modules_project(proj *p, const char *extra)
{
  proj_with(p, "");
  put(p->dir, "runner.toml",
      "[spaces.default]\n"
      "modules = [\"libs/net\", { name = \"web\", path = \"libs/ui\" }]\n"
      "\n"
      "[spaces.tools]\n"
      "modules = [\"tools/gen\"]\n"
      "\n"
      "[commands.build]\n"
      "exec = \"echo build {module.name} {module.dir} {module.path} "
      "$RUNNER_MODULE $RUNNER_SPACE\"\n"
      "deps = [\"{module.dir}/*.c\"]\n"
      "space = \"default\"\n"
      "\n"
      "[commands.test]\n"
      "exec = \"echo test {module.name}\"\n"
      "deps = [\"{module.dir}/*.c\", { type = \"command\", name = \"build\", "
      "strict = true }]\n"
      "\n"
      "[commands.plain]\n"
      "exec = \"echo plain\"\n"
      "%s",
      extra);
  put(p->dir, "libs/net/a.c", "int a;\n");
  put(p->dir, "libs/ui/b.c", "int b;\n");
  put(p->dir, "tools/gen/c.c", "int c;\n");
  put(p->dir, "libs/net/runner.toml",
      "[commands.lint]\nexec = \"echo lint {module.name}\"\n"
      "deps = [\"{module.dir}/*.c\"]\n");
}

Test(runner, commands_per_module_are_named_cmd_at_space_hash_module)
{
  proj p;
  modules_project(&p, "");
  cr_assert_eq(run(&p, NULL, "--ls"), 0, "%s", p.err);
  cr_assert_str_eq(p.out,
                   "build@default#net\nbuild@default#web\n"
                   "test@default#net\ntest@default#web\ntest@tools#gen\n"
                   "plain@default\nnet/lint@default\n"
                   "\nspaces:\n"
                   "  default (root .): modules net (libs/net), web "
                   "(libs/ui)\n"
                   "  tools (root .): modules gen (tools/gen)\n");
  cr_assert_eq(run(&p, NULL, "-n 1"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "build net libs/net libs/net net default\n"
                          "build web libs/ui libs/ui web default\n"
                          "test net\ntest web\ntest gen\nplain\nlint net\n");
  cr_assert(strstr(p.err, "runner: test@tools#gen: miss, running"), "%s",
            p.err);
  /* one space: no @SPACE; a space's root prefixes its module dirs */
  put(p.dir, "runner.toml",
      "[spaces.default]\nroot = \"libs\"\nmodules = [\"net\"]\n"
      "[commands.build]\nexec = \"echo {module.dir} {module.path}\"\n"
      "deps = [\"{module.dir}/*.c\"]\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "build#net\nnet/lint\n\nspaces:\n  default (root "
                          "libs): modules net (libs/net)\n");
  cr_assert_eq(run(&p, NULL, "'build#net'"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "libs/net net\n");
  /* no module at all */
  put(p.dir, "runner.toml", "[commands.build]\nexec = \"echo {module.dir}\"\n");
  cr_assert_eq(run(&p, NULL, "build"), 2);
  cr_assert(strstr(p.err, "build: it runs per module ({module.*}) and its "
                          "space has no module"), "%s", p.err);
  proj_free(&p);
}

Test(runner, runnables_are_selected_by_name_module_and_space)
{
  proj p;
  modules_project(&p, "");
  /* one module of a command: and only what it needs */
  cr_assert_eq(run(&p, NULL, "'test#gen'"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "test gen\n");
  cr_assert_eq(run(&p, NULL, "'test@default#web'"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "build web libs/ui libs/ui web default\ntest web\n");
  /* a module's command, both spellings */
  cr_assert_eq(run(&p, NULL, "net/lint"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "lint net\n");
  cr_assert_eq(run(&p, NULL, "net.lint"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "lint net\n");
  /* -m and -s */
  cr_assert_eq(run(&p, NULL, "-m net -n 1"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "build net libs/net libs/net net default\n"
                          "test net\nlint net\n");
  cr_assert_eq(run(&p, NULL, "test -m web,gen -n 1"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "build web libs/ui libs/ui web default\n"
                          "test web\ntest gen\n");
  cr_assert_eq(run(&p, NULL, "-s tools"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "test gen\n");
  cr_assert_eq(run(&p, NULL, "--space=tools --module gen test"), 0, "%s",
               p.err);
  cr_assert_str_eq(p.out, "test gen\n");
  /* what does not exist */
  cr_assert_eq(run(&p, NULL, "-m nope"), 2);
  cr_assert(strstr(p.err, "runner: module \"nope\" is not configured"), "%s",
            p.err);
  cr_assert_eq(run(&p, NULL, "-s nope"), 2);
  cr_assert(strstr(p.err, "runner: space \"nope\" is not configured"), "%s",
            p.err);
  cr_assert_eq(run(&p, NULL, "'test#nope'"), 2);
  cr_assert(strstr(p.err, "test#nope: no such module"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "'build#gen'"), 2); /* build: default's */
  cr_assert(strstr(p.err, "build#gen: the module is not in the command's "
                          "space"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "'plain#net'"), 2);
  cr_assert(strstr(p.err, "plain#net: the command does not run per module"),
            "%s", p.err);
  cr_assert_eq(run(&p, NULL, "plain -s tools"), 2);
  cr_assert(strstr(p.err, "plain: -m/-s leave none of its runnables"), "%s",
            p.err);
  proj_free(&p);
}

/* A dep of a runnable of a module on a command per module is on that
 * module's runnable only: changing web's source reruns build#web and
 * test#web, not net's. */
Test(runner, a_dep_on_a_command_per_module_links_the_same_module)
{
  proj p;
  modules_project(&p, "");
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  put(p.dir, "libs/ui/b.c", "int b2;\n");
  cr_assert_eq(run(&p, NULL, "test -n 1"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "build@default#net: hit"), "%s", p.err);
  cr_assert(strstr(p.err, "test@default#net: hit"), "%s", p.err);
  cr_assert(strstr(p.err, "build@default#web: miss"), "%s", p.err);
  cr_assert(strstr(p.err, "test@default#web: miss"), "%s", p.err);
  cr_assert(strstr(p.err, "test@tools#gen: hit"), "%s", p.err);
  proj_free(&p);
}

/* A typed dep may name {module.*} too: cinclude's path per module. */
Test(runner, typed_dep_fields_are_formatted_per_module)
{
  proj p;
  proj_with(&p,
      "[plugins]\ncinclude = \"runner:cinclude\"\n"
      "[spaces.default]\nmodules = [\"a\", \"b\"]\n"
      "[commands.cc]\nexec = \"echo cc {module.name}\"\n"
      "deps = [{ type = \"cinclude\", path = \"{module.dir}/main.c\" }]\n");
  put(p.dir, "a/main.c", "#include \"a.h\"\n");
  put(p.dir, "a/a.h", "/* a */\n");
  put(p.dir, "b/main.c", "int b;\n");
  cr_assert_eq(run(&p, NULL, "-n 1"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "cc a\ncc b\n");
  cr_assert(strstr(p.err, "cinclude/scan?out=.runner/cinclude/a_main.c.deps"
                          "&path=a/main.c: miss"), "%s", p.err);
  put(p.dir, "a/a.h", "/* a, changed */\n");
  cr_assert_eq(run(&p, NULL, "-n 1"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cc#a: miss"), "%s", p.err);
  cr_assert(strstr(p.err, "cc#b: hit"), "%s", p.err);
  proj_free(&p);
}

/* A space's inline env is made once for all its runnables, and only when
 * one of them is planned (not for --ls, not for another space's); its
 * dotenv files overlay the environment and are in the hash. */
Test(runner, space_env_is_made_once_when_used_and_dotenv_overlays)
{
  proj p;
  proj_with(&p,
      "[plugins]\ntools = \"runner:toolenv\"\n"
      "[spaces.default]\nmodules = [\"a\", \"b\"]\n"
      "env = { type = \"toolenv\", setup = \"echo set up >> "
      "\\\"$RAN_FILE\\\"; printf '#!/bin/sh\\\\necho hi \\\"$*\\\"\\\\n' > "
      "$TOOLENV_DIR/bin/hi && chmod +x $TOOLENV_DIR/bin/hi\" }\n"
      "dotenv = [\".env\"]\n"
      "[spaces.other]\n"
      "[commands.greet]\nexec = \"hi {module.name} $WHO\"\n"
      "deps = [\"{module.dir}/*\"]\n"
      "[commands.away]\nexec = \"echo away $WHO\"\nspace = \"other\"\n");
  put(p.dir, "a/x", "x\n");
  put(p.dir, "b/y", "y\n");
  put(p.dir, ".env", "# who\nexport WHO='the dotenv'\n");
  cr_assert_eq(run(&p, "LD_DEBUG=files", "--ls"), 0, "%s", p.err);
  cr_assert_null(strstr(p.err, "plugins/toolenv/lib"), "%s", p.err);
  cr_assert_eq(run(&p, "LD_DEBUG=files", "away"), 0, "%s", p.err);
  cr_assert_null(strstr(p.err, "plugins/toolenv/lib"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "-n 1"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "hi a the dotenv\nhi b the dotenv\naway\n");
  cr_assert_eq(count_of(p.err, "tools.setup@spaces.default: running"), 1,
               "%s", p.err);
  char ran[256], path[300];
  snprintf(path, sizeof path, "%s.ran", p.dir);
  slurp(path, ran, sizeof ran);
  cr_assert_str_eq(ran, "set up\n"); /* once, and not for --ls or away */
  run_says(&p, "'greet@default#a'", "greet@default#a: hit");
  put(p.dir, ".env", "WHO=\"someone else\" # changed\n");
  cr_assert_eq(run(&p, NULL, "'greet@default#a'"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "greet@default#a: miss"), "%s", p.err);
  cr_assert_str_eq(p.out, "hi a someone else\n");
  proj_free(&p);
}

Test(runner, space_and_module_errors_are_positioned)
{
  proj p;
  proj_with(&p,
      "[plugins]\nlint = \"runner:lint\"\n"
      "[spaces.default]\n"
      "modules = [\"../out\", \"a\", \"x/a\", \"gone\", \"lint\", { nam = "
      "\"z\", path = \"a\" }]\n"
      "modles = []\n"
      "env = \"nope\"\n"
      "[spaces.s]\ndotenv = \"x\"\n"
      "[commands.c]\nexec = \"true\"\nspace = \"nowhere\"\n");
  put(p.dir, "a/f", "\n");
  put(p.dir, "x/a/f", "\n");
  put(p.dir, "lint/f", "\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 2);
  cr_assert(strstr(p.err, "runner.toml:4:12: spaces.default: module path "
                          "\"../out\" must be a directory inside the "
                          "project"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:4:27: module name \"a\" twice (a and "
                          "x/a)"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:4:34: spaces.default: module gone: "
                          "gone is not a directory"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:4:42: module \"lint\" has the name of "
                          "a plugin's alias"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:4:52: spaces.default: unknown key "
                          "\"nam\" in a module"), "%s", p.err);
  /* the shape of a space is runner-host.toml's [tables.spaces] */
  cr_assert(strstr(p.err, "runner.toml:5:1: unknown field \"modles\" (did "
                          "you mean \"modules\"?)"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:6:7: spaces.default: env \"nope\" is "
                          "not configured"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:8:10: field \"dotenv\": expected an "
                          "array of strings, found a string (write it as an "
                          "array of strings: dotenv = [\"x\"])"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:11:9: c: space \"nowhere\" is not "
                          "configured"), "%s", p.err);
  /* a module's runner.toml holds only [commands] */
  put(p.dir, "runner.toml", "[spaces.default]\nmodules = [\"a\"]\n");
  put(p.dir, "a/runner.toml", "[commands.t]\nexec = \"true\"\n"
                              "space = \"default\"\n[plugins]\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 2);
  cr_assert(strstr(p.err, "a/runner.toml:4:2: unknown key \"plugins\" in "
                          "module a's runner.toml"), "%s", p.err);
  cr_assert(strstr(p.err, "a/runner.toml:3:9: a/t: a module's command runs "
                          "in its module's space (default)"), "%s", p.err);
  proj_free(&p);
}
