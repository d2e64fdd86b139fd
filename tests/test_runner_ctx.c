/* test_runner_ctx.c -- ctx everywhere, typed (issue 16 point 3): [ctx]
 * declarations with a type, required and a default, cast from the
 * environment with errors naming the variable and the value,
 * {ctx.runner.*}, formatting of exec lines, artifacts, globs, cache names
 * and cache-when, and a variable that is not set failing only the
 * runnables that use it, at the reference.  The real runner binary.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

static const char typed_ctx[] =
    "[ctx]\n"
    "name = \"world\"\n"
    "port = 6379\n"
    "debug = false\n"
    "jobs = { type = \"integer\", default = 4, doc = \"how many\" }\n"
    "tag = { type = \"string\", required = false }\n"
    "region = { type = \"string\" }\n"
    "\n"
    "[commands.show]\n"
    "exec = \"echo {ctx.name} {ctx.port} {ctx.debug} {ctx.jobs} "
    "[{ctx.tag}] ${{HOME:+home}} {{ctx.name}}\"\n";

Test(runner, ctx_variables_are_typed_and_cast_from_the_environment)
{
  proj p;
  proj_with(&p, typed_ctx);
  cr_assert_eq(run(&p, NULL, "show"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "world 6379 false 4 [] home {ctx.name}\n");
  cr_assert_eq(run(&p, "NAME=you PORT=+80 DEBUG=YES JOBS=-2 TAG=t1", "show"),
               0, "%s", p.err);
  cr_assert_str_eq(p.out, "you 80 true -2 [t1] home {ctx.name}\n");
  cr_assert_eq(run(&p, "DEBUG=0", "show"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "world 6379 false 4 [] home {ctx.name}\n");
  proj_free(&p);
}

Test(runner, ctx_cast_failures_name_the_variable_and_the_value)
{
  proj p;
  proj_with(&p, typed_ctx);
  cr_assert_eq(run(&p, "PORT=63x9 DEBUG=maybe", "--ls"), 2);
  cr_assert(strstr(p.err, "runner.toml:3:1: ctx.port: PORT=\"63x9\" in the "
                          "environment is not an integer (a whole number "
                          "such as 42): change it or unset it"), "%s",
            p.err);
  cr_assert(strstr(p.err, "runner.toml:4:1: ctx.debug: DEBUG=\"maybe\" in "
                          "the environment is not a boolean (true/false, "
                          "yes/no or 1/0)"), "%s", p.err);
  cr_assert_eq(run(&p, "JOBS=99999999999999999999", "show"), 2);
  cr_assert(strstr(p.err, "ctx.jobs: JOBS=\"99999999999999999999\""), "%s",
            p.err);
  proj_free(&p);
}

Test(runner, ctx_declarations_are_checked)
{
  proj p;
  proj_with(&p,
      "[ctx]\n"
      "a = { type = \"int\" }\n"
      "b = { type = \"integer\", default = \"x\" }\n"
      "c = { typ = \"string\" }\n"
      "d = 1.5\n"
      "runner = \"x\"\n"
      "[commands.x]\nexec = \"true\"\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 2);
  /* the shape of a declaration is runner-host.toml's [tables.ctx] */
  cr_assert(strstr(p.err, "runner.toml:2:14: field \"type\": \"int\" is not "
                          "one of \"string\", \"integer\", \"boolean\""),
            "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:3:35: ctx.b: the default must be an "
                          "integer"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:4:7: unknown field \"typ\" (did "
                          "you mean \"type\"?)"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:5:5: ctx.d must be a string, an "
                          "integer, a boolean or a table, found a float"),
            "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:6:1: ctx.runner is the runner's own"),
            "%s", p.err);
  proj_free(&p);
}

/* region is required and has no default: the runnables whose fields use
 * it fail, each with the reference's position; the others run (-k), and
 * --ls, which formats nothing, does not mind. */
Test(runner, a_ctx_variable_not_set_fails_only_the_runnables_using_it)
{
  proj p;
  proj_with(&p,
      "[ctx]\nregion = { type = \"string\" }\n\n"
      "[commands.deploy]\nexec = \"echo to {ctx.region}\"\n\n"
      "[commands.pack]\nexec = \"echo pack\"\n"
      "artifacts = [\"out/{ctx.region}.tar\"]\n\n"
      "[commands.other]\nexec = \"echo other\"\n\n"
      "[commands.after]\nexec = \"echo after\"\n"
      "deps = [{ type = \"command\", name = \"deploy\", strict = true }]\n"
      "\n[commands.typo]\nexec = \"echo {ctx.regoin}\"\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 0, "%s", p.err);
  cr_assert_eq(run(&p, NULL, "-k -n 1"), 1);
  cr_assert_str_eq(p.out, "other\n");
  cr_assert(strstr(p.err, "runner: deploy: runner.toml:5:17: ctx.region is "
                          "not set: set REGION in the environment, or give "
                          "it a default in [ctx] (runner.toml:2:1)"), "%s",
            p.err);
  cr_assert(strstr(p.err, "runner: pack: runner.toml:9:19: ctx.region is "
                          "not set"), "%s", p.err);
  cr_assert(strstr(p.err, "runner: after: skipped (deploy did not succeed)"),
            "%s", p.err);
  cr_assert(strstr(p.err, "runner: typo: runner.toml:19:14: ctx.regoin is "
                          "not declared: add it to [ctx]"), "%s", p.err);
  cr_assert_eq(run(&p, "REGION=eu", "deploy pack"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "to eu\npack\n");
  proj_free(&p);
}

/* {ctx.runner.*}: the options, else RUNNER__NAME, else the default. */
Test(runner, ctx_runner_values_come_from_the_options_and_the_environment)
{
  proj p;
  proj_with(&p, "[commands.show]\nexec = \"echo w={ctx.runner.workers} "
                "f={ctx.runner.force} k={ctx.runner.keep_going} "
                "c={ctx.runner.commands} m={ctx.runner.modules}\"\n");
  cr_assert_eq(run(&p, NULL, "show -n 3 -f"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "w=3 f=true k=false c=show m=\n");
  cr_assert_eq(run(&p, "RUNNER__WORKERS=5 RUNNER__KEEP_GOING=yes", "show"),
               0, "%s", p.err);
  cr_assert_str_eq(p.out, "w=5 f=false k=true c=show m=\n");
  cr_assert_eq(run(&p, "RUNNER__FORCE=sometimes", "show"), 64);
  cr_assert(strstr(p.err, "RUNNER__FORCE=\"sometimes\" in the environment "
                          "is not a boolean"), "%s", p.err);
  put(p.dir, "runner.toml", "[commands.x]\nexec = \"echo "
                            "{ctx.runner.nope}\"\n");
  cr_assert_eq(run(&p, NULL, "x"), 1);
  cr_assert(strstr(p.err, "runner.toml:2:14: ctx.runner.nope is not "
                          "declared: add it to [ctx] (the runner's own are "
                          "workers,"), "%s", p.err);
  proj_free(&p);
}

/* {ctx.*} in a glob dep, an artifact, a cache name and cache-when, and in
 * a plugin's format = true field (plugkit formats it with the same
 * values). */
Test(runner, ctx_formats_globs_artifacts_cache_and_cache_when)
{
  proj p;
  proj_with(&p,
      "[ctx]\nsrc = \"src\"\nstore = \"mine\"\nwhen = \"finished\"\n\n"
      "[caches.mine]\n\n"
      "[commands.gen]\n"
      "exec = \"mkdir -p out && cat {ctx.src}/in.txt > out/{ctx.src}.txt && "
      "echo ran >> \\\"$RAN_FILE\\\"; exit 3\"\n"
      "deps = [\"{ctx.src}/*.txt\"]\n"
      "artifacts = [\"out/{ctx.src}.txt\"]\n"
      "cache = \"{ctx.store}\"\ncache-when = \"{ctx.when}\"\n");
  put(p.dir, "src/in.txt", "one\n");
  put(p.dir, "other/in.txt", "two\n");
  cr_assert_eq(run(&p, NULL, "gen"), 1);
  cr_assert_eq(run(&p, NULL, "gen"), 1); /* the failure is replayed */
  cr_assert(strstr(p.err, "gen: hit, replaying"), "%s", p.err);
  cr_assert_eq(ran_count(&p), 1);
  cr_assert(exists(&p, ".runner/cache/gen.entry"));
  cr_assert_eq(run(&p, "SRC=other", "gen"), 1); /* another glob: a miss */
  cr_assert(strstr(p.err, "gen: miss"), "%s", p.err);
  cr_assert(exists(&p, "out/other.txt"));
  cr_assert_eq(run(&p, "STORE=elsewhere", "gen"), 1);
  cr_assert(strstr(p.err, "runner: gen: runner.toml:12:9: cache "
                          "\"elsewhere\" is not configured"), "%s", p.err);
  cr_assert_eq(run(&p, "WHEN=always", "gen"), 1);
  cr_assert(strstr(p.err, "runner: gen: runner.toml:13:14: cache-when "
                          "\"always\": use success, failed or finished"),
            "%s", p.err);
  proj_free(&p);
}

/* A brace that looks like a placeholder whose prefix is misspelt
 * ({modul.name}: WORD.WORD..., the first word close to ctx, module or
 * args) fails the runnables using it at the reference, with the
 * placeholder meant and how to write a literal brace, as an undeclared
 * {ctx.X} does; a known prefix with an unknown field names the closest.
 * The shell's braces stay as written: ${...}, awk's program, brace
 * expansions, dotted words far from ours, {{ }}. */
Test(runner, a_misspelt_placeholder_fails_only_the_runnables_using_it)
{
  proj p;
  proj_with(&p,
      "[spaces.default]\nmodules = [\"libs/a\"]\n\n"
      "[ctx]\nregion = \"eu\"\n\n"
      "[commands.shell]\n"
      "exec = \"printf '%s|' '{a,b}' '{1..2}' '{a..z}' '{x.y.z}' "
      "'{cat.name}' '{Module.name}' '{module}' \\\"${HOME:+h}\\\" "
      "'${modul.name}' {{modul.name}} && echo a b | awk '{print $2}'\"\n\n"
      "[commands.module]\nexec = \"echo {modul.name}\"\n\n"
      "[commands.ctx]\nexec = \"echo {cxt.regoin}\"\n\n"
      "[commands.args]\nexec = \"echo {arg.who}\"\n\n"
      "[commands.field]\nexec = \"echo {module.nmae}\"\n\n"
      "[commands.var]\nexec = \"echo {ctx.regoin}\"\n\n"
      "[commands.glob]\nexec = \"true\"\ndeps = [\"src/{mdoule.dir}/*.c\"]\n");
  put(p.dir, "libs/a/a.c", "int a;\n");
  cr_assert_eq(run(&p, NULL, "-k -n 1"), 1);
  cr_assert_str_eq(p.out, "{a,b}|{1..2}|{a..z}|{x.y.z}|{cat.name}|"
                          "{Module.name}|{module}|h|${modul.name}|"
                          "{modul.name}|b\n");
  const char *tail = " (the placeholders are {ctx.*}, {module.*} and "
                     "{args.*}; write {{ for a literal brace)";
  char want[512];
  snprintf(want, sizeof want, "runner: module: runner.toml:11:14: "
           "{modul.name}: did you mean {module.name}?%s", tail);
  cr_assert(strstr(p.err, want), "%s", p.err);
  snprintf(want, sizeof want, "runner: ctx: runner.toml:14:14: "
           "{cxt.regoin}: did you mean {ctx.region}?%s", tail);
  cr_assert(strstr(p.err, want), "%s", p.err);
  snprintf(want, sizeof want, "runner: args: runner.toml:17:14: "
           "{arg.who}: did you mean {args.who}?%s", tail);
  cr_assert(strstr(p.err, want), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:20:14: {module.nmae}: "
                          "a module has name, dir and path: did you mean "
                          "{module.name}? (write {{ for a literal brace)"),
            "%s", p.err);
  cr_assert(strstr(p.err, "runner: var: runner.toml:23:14: ctx.regoin is "
                          "not declared: add it to [ctx] (did you mean "
                          "{ctx.region}?)"), "%s", p.err);
  cr_assert(strstr(p.err, "runner: glob: runner.toml:27:14: {mdoule.dir}: "
                          "did you mean {module.dir}?"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "shell"), 0, "%s", p.err);
  proj_free(&p);
}
