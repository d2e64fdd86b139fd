/* test_runner.c -- the example host end to end (issue 6): the real runner
 * binary and its four real plugins, in temporary projects, against a real
 * redis-server each test starts on a free loopback port.  qik-spec 8 items
 * 11-19, 62-69, 71, 73, 74, 76, 79, 80; the faults of issue 6 point 4.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

/* ---- listing and commands (items 11-19) ---- */

Test(runner, ls_lists_root_then_plugin_commands_without_hidden)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "--ls"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "build\ntest\nhello\nlint/check\n");
  /* nothing was dlopened to list (lazy plugins) */
  cr_assert_eq(run(&p, "LD_DEBUG=files", "--ls"), 0);
  cr_assert_null(strstr(p.err, "plugins/redis/lib"), "%s", p.err);
  cr_assert_null(strstr(p.err, "plugins/cinclude/lib"));
  cr_assert_null(strstr(p.err, "plugins/toolenv/lib"));
  proj_free(&p);
}

/* --ls with a runnable named was the whole list, as if the name were
 * a filter: a usage error instead. */
Test(runner, ls_with_a_runnable_named_is_a_usage_error)
{
  proj p;
  proj_with(&p, "[commands.a]\nexec = \"true\"\n");
  cr_assert_eq(run(&p, NULL, "--ls a"), 64);
  cr_assert_str_eq(p.out, "");
  cr_assert_str_eq(p.err, "runner: --ls lists every runnable: it takes no "
                          "RUNNABLE ('a')\n");
  cr_assert_eq(run(&p, NULL, "-l"), 0, "%s", p.err);
  proj_free(&p);
}

Test(runner, hidden_commands_run_by_name_and_as_deps)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "secret"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "secret\n");
  put(p.dir, "src/todo.c", "/* TODO one */\n");
  cr_assert_eq(run(&p, NULL, "lint.todo-count"), 0, "%s", p.err);
  cr_assert_eq(run(&p, NULL, "lint/todo-count"), 0, "%s", p.err);
  /* the hidden cinclude/scan runs as build's dependency, first */
  cr_assert_eq(run(&p, NULL, "build"), 0, "%s", p.err);
  const char *scan = strstr(p.err, "cinclude/scan?");
  const char *build = strstr(p.err, "runner: build:");
  cr_assert(scan && build && scan < build, "%s", p.err);
  proj_free(&p);
}

Test(runner, unknown_command_suggests_and_fails)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "biuld"), 2);
  cr_assert(strstr(p.err, "command \"biuld\" is not configured (did you "
                          "mean \"build\"?)"), "%s", p.err);
  cr_assert_eq(run(&p, NULL, "nope/x"), 2);
  proj_free(&p);
}

/* A command taking arguments named bare runs its runnables of the whole
 * graph, and only those (qik-spec 8 item 22). */
Test(runner, bare_command_with_args_runs_its_runnables_in_the_graph)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "cinclude/scan"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cinclude/scan?out=.runner/cinclude/src_main.c."
                          "deps&path=src/main.c: miss, running"), "%s",
            p.err);
  cr_assert_null(strstr(p.err, "build:"), "%s", p.err);
  cr_assert(exists(&p, ".runner/cinclude/src_main.c.deps"));
  /* with its arguments: that one runnable */
  cr_assert_eq(run(&p, NULL, "'cinclude.scan?path=src/util.h&out=u.deps'"),
               0, "%s", p.err);
  cr_assert(exists(&p, "u.deps"));
  /* a project where nothing uses it */
  put(p.dir, "runner.toml", "[plugins]\ncinclude = \"runner:cinclude\"\n");
  cr_assert_eq(run(&p, NULL, "cinclude/scan"), 2);
  cr_assert(strstr(p.err, "takes arguments and no command runs it"), "%s",
            p.err);
  proj_free(&p);
}

/* ---- cache behaviour (items 62-69, 71, 73) ---- */

Test(runner, miss_then_hit_then_remote_hit_in_a_second_checkout, .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj a, b; /* two checkouts sharing the remote cache */
  proj_scenarios(&a, r.port);
  proj_scenarios(&b, r.port);
  run_says(&a, "build", "build: miss, running");
  cr_assert_str_eq(strstr(a.out, "compiled") ? "ok" : a.out, "ok");
  cr_assert_eq(ran_count(&a), 1);
  run_says(&a, "build", "build: hit, replaying");
  cr_assert(strstr(a.out, "compiled")); /* the output is replayed */
  cr_assert_eq(ran_count(&a), 1);      /* not run again */
  /* the remote holds the same bytes as the local entry (item 69) */
  char keys[4096];
  redis_cli(&r, "--scan --pattern 't:build:*'", keys, sizeof keys);
  cr_assert(strstr(keys, "t:build:"), "%s", keys);
  /* a second checkout: remote hit, artifact restored, not run */
  cr_assert_eq(run(&b, NULL, "build"), 0, "%s", b.err);
  cr_assert(strstr(b.err, "build: hit (fetched from the remote cache)"),
            "%s", b.err);
  cr_assert_eq(ran_count(&b), 0);
  cr_assert(exists(&b, "out/main.o"));
  cr_assert(exists(&b, ".runner/cache/build.entry"));
  /* artifacts are stored relative to the root (item 73) */
  char entry[8192], path[300];
  snprintf(path, sizeof path, "%s/.runner/cache/build.entry", b.dir);
  slurp(path, entry, sizeof entry);
  cr_assert(strstr(entry, " out/main.o\n"), "%s", entry);
  cr_assert_null(strstr(entry, "/tmp/"));
  redis_stop(&r);
  proj_free(&a);
  proj_free(&b);
}

Test(runner, included_header_change_is_a_miss_unrelated_header_is_not)
{
  proj p;
  proj_scenarios(&p, 1); /* no redis on port 1: local only, with a warning */
  cr_assert_eq(run(&p, NULL, "build"), 0, "%s", p.err);
  run_says(&p, "build", "build: hit");
  put(p.dir, "src/unused.h", "/* changed, but nobody includes it */\n");
  run_says(&p, "build", "build: hit");
  put(p.dir, "src/inner.h", "/* inner, changed */\n"); /* via util.h */
  run_says(&p, "build", "build: miss");
  cr_assert_eq(ran_count(&p), 2);
  proj_free(&p);
}

Test(runner, command_dep_runs_first_and_strict_failure_skips)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  const char *b = strstr(p.err, "runner: build:");
  const char *t = strstr(p.err, "runner: test:");
  cr_assert(b && t && b < t, "%s", p.err);
  cr_assert(strstr(p.out, "2\n"), "%s", p.out); /* main.c has two lines */
  /* make build fail: its exec reads a file that is gone */
  char cmd[300];
  snprintf(cmd, sizeof cmd, "sed -i 's|cat src/main.c|cat src/gone.c|' "
                            "'%s/runner.toml'", p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "test"), 1);
  cr_assert(strstr(p.err, "build: failed (exit 1)"), "%s", p.err);
  cr_assert(strstr(p.err, "test: skipped (build did not succeed)"), "%s",
            p.err);
  proj_free(&p);
}

/* ---- environments (items 74-76) ---- */

Test(runner, toolenv_setup_injected_path_vars_and_lock_in_hash)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "hello"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "greet: hello\n");
  const char *s = strstr(p.err, "tools.setup@dev");
  const char *h = strstr(p.err, "runner: hello:");
  cr_assert(s && h && s < h, "%s", p.err);
  run_says(&p, "hello", "hello: hit");
  /* a different lock written by setup changes hello's hash */
  char cmd[400];
  snprintf(cmd, sizeof cmd, "sed -i 's|greet-1.0|greet-2.0|' '%s/runner.toml'",
           p.dir);
  cr_assert_eq(system(cmd), 0);
  run_says(&p, "hello", "hello: miss");
  proj_free(&p);
}

/* ---- faults (issue 6 point 4) ---- */

Test(runner, redis_down_warns_and_the_local_cache_still_works, .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj p;
  proj_scenarios(&p, r.port);
  redis_stop(&r); /* the port is now closed */
  cr_assert_eq(run(&p, NULL, "build"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "warning: cache shared (redis): cannot reach"),
            "%s", p.err);
  cr_assert(strstr(p.err, "using the local cache only"), "%s", p.err);
  cr_assert_eq(count_of(p.err, "cannot reach"), 1, "%s", p.err);
  cr_assert(exists(&p, "out/main.o"));
  run_says(&p, "build", "build: hit");
  cr_assert_eq(ran_count(&p), 1);
  proj_free(&p);
}

Test(runner, damaged_local_entry_is_a_miss_never_replayed)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  char path[300];
  snprintf(path, sizeof path, "%s/.runner/cache/test.entry", p.dir);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(truncate(path, st.st_size - 10), 0); /* truncated */
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  cr_assert(strstr(p.err, "cache entry of test is unusable (truncated"),
            "%s", p.err);
  cr_assert(strstr(p.err, "test: miss, running"), "%s", p.err);
  /* one flipped byte in the replayed output */
  char cmd[400];
  snprintf(cmd, sizeof cmd, "sed -i 's|^2$|9|' '%s'", path);
  cr_assert_eq(system(cmd), 0);
  run_says(&p, "test", "digest mismatch");
  cr_assert_null(strstr(p.out, "9"), "%s", p.out);
  run_says(&p, "test", "test: hit"); /* rewritten */
  proj_free(&p);
}

Test(runner, damaged_remote_entry_is_ignored_and_the_command_runs, .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj a, b; /* two checkouts sharing the remote cache */
  proj_scenarios(&a, r.port);
  proj_scenarios(&b, r.port);
  cr_assert_eq(run(&a, NULL, "build"), 0, "%s", a.err);
  char key[512], out[256], cmd[600];
  redis_key_of(&r, "t:build:*", key, sizeof key);
  snprintf(cmd, sizeof cmd, "SETRANGE '%s' 20 XXXX", key);
  redis_cli(&r, cmd, out, sizeof out);
  run_says(&b, "build", "damaged");
  cr_assert(strstr(b.err, "build: miss, running"), "%s", b.err);
  cr_assert_eq(ran_count(&b), 1);
  /* the good entry it wrote replaced the damaged one */
  new_checkout_fetches(r.port, "build");
  redis_stop(&r);
  proj_free(&a);
  proj_free(&b);
}

Test(runner, config_errors_point_at_runner_toml_line_col)
{
  proj p;
  proj_new(&p);
  put(p.dir, "runner.toml",
      "[plugins.remote]\n"
      "plugin = \"runner:redis\"\n"
      "ttl = -5\n"
      "[caches.shared]\n"
      "type = \"reddis\"\n"
      "[commands.build]\n"
      "exec = \"true\"\n"
      "deps = [{ type = \"cinclude\" }]\n"
      "cach = \"local\"\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 2);
  cr_assert(strstr(p.err, "runner.toml:3:7:"), "%s", p.err);      /* ttl */
  cr_assert(strstr(p.err, "runner.toml:5:8:"), "%s", p.err);      /* tag */
  cr_assert(strstr(p.err, "did you mean \"redis\"?"), "%s", p.err);
  cr_assert(strstr(p.err, "runner.toml:9:1: unknown field \"cach\""), "%s",
            p.err);
  proj_free(&p);
}

/* A -C DIR that does not exist or is not a directory is said so, with
 * the system's reason, not as a missing runner.toml (exit 2); a directory
 * without one still says that. */
Test(runner, dash_C_to_a_missing_or_not_a_directory_says_so)
{
  proj p;
  proj_with(&p, "[commands.build]\nexec = \"true\"\n");
  put(p.dir, "sub/file", "x\n");
  char args[300], want[400];
  snprintf(args, sizeof args, "-C '%s/nonexist' --ls", p.dir);
  cr_assert_eq(run(&p, NULL, args), 2, "%s", p.err);
  snprintf(want, sizeof want,
           "runner: -C %s/nonexist: No such file or directory\n", p.dir);
  cr_assert_str_eq(p.err, want);
  snprintf(args, sizeof args, "-C '%s/sub/file' --ls", p.dir);
  cr_assert_eq(run(&p, NULL, args), 2, "%s", p.err);
  snprintf(want, sizeof want, "runner: -C %s/sub/file: Not a directory\n",
           p.dir);
  cr_assert_str_eq(p.err, want);
  snprintf(args, sizeof args, "-C '%s/sub' --ls", p.dir);
  cr_assert_eq(run(&p, NULL, args), 2, "%s", p.err);
  snprintf(want, sizeof want, "runner: no runner.toml in %s/sub\n", p.dir);
  cr_assert_str_eq(p.err, want);
  proj_free(&p);
}

/* A command dep naming a command that is not configured is reported at
 * its name in runner.toml, as every other problem of the file is: before
 * anything runs, so --ls and a run of another command fail with it too
 * (it was reported only when the command was planned). */
Test(runner, command_dep_on_an_unknown_command_points_at_its_name)
{
  proj p;
  proj_with(
      &p, "[commands.build]\nexec = \"true\"\n"
          "[commands.test]\nexec = \"true\"\n"
          "deps = [\"t.txt\",\n  { type = \"command\", name = \"biuld\" }]\n"
          "[commands.readme]\nexec = \"true\"\n");
  const char *const args[] = {"test", "--ls", "readme"};
  for (size_t i = 0; i < 3; i++) {
    cr_assert_eq(run(&p, NULL, args[i]), 2, "%s: %s", args[i], p.err);
    cr_assert_str_eq(p.err, "runner.toml:6:30: test.deps[1]: command "
                            "\"biuld\" is not configured (did you mean "
                            "\"build\"?)\n",
                     "%s", args[i]);
  }
  proj_free(&p);
}

/* A dep that writes its type's name as a key ({ type = "command",
 * command = "gen" }) is told the field it means, the required one it
 * lacks (it got the list of known fields); a key close to a known field
 * is still told that one. */
Test(runner, dep_field_named_as_its_type_suggests_the_field_meant)
{
  proj p;
  proj_with(&p, "[commands.gen]\nexec = \"true\"\n"
                "[commands.b]\nexec = \"true\"\n"
                "deps = [{ type = \"command\", command = \"gen\" },\n"
                "  { type = \"command\", name = \"gen\", strikt = true }]\n");
  cr_assert_eq(run(&p, NULL, "b"), 2, "%s", p.err);
  cr_assert_str_eq(p.err,
                   "runner.toml:5:9: missing required field \"name\"\n"
                   "runner.toml:5:29: unknown field \"command\" (did you "
                   "mean \"name\"?)\n"
                   "runner.toml:6:37: unknown field \"strikt\" (did you "
                   "mean \"strict\"?)\n");
  proj_free(&p);
}

/* A misspelt cache, env, space or module a command or the command line
 * names gets its "did you mean", as a misspelt command does. */
Test(runner, misspelt_cache_env_space_and_module_are_suggested)
{
  proj p;
  proj_with(&p, "[defaults]\ncache = \"locall\"\n"
                "[envs.dev]\ntype = \"env\"\n"
                "[spaces.tools]\nmodules = [\"net\"]\n"
                "[commands.a]\nexec = \"true\"\nenv = \"dve\"\n"
                "space = \"tool\"\n");
  put(p.dir, "net/x", "x\n");
  cr_assert_eq(run(&p, NULL, "--ls"), 2, "%s", p.err);
  cr_assert_str_eq(p.err,
                   "runner.toml:2:9: defaults: cache \"locall\" is not "
                   "configured (did you mean \"local\"?): use local, repo, "
                   "none or add [caches.locall]\n"
                   "runner.toml:9:7: a: env \"dve\" is not configured (did "
                   "you mean \"dev\"?): add [envs.dve]\n"
                   "runner.toml:10:9: a: space \"tool\" is not configured "
                   "(did you mean \"tools\"?): add [spaces.tool]\n");
  proj_free(&p);
  proj_with(&p, "[spaces.default]\nmodules = [\"net\"]\n"
                "[commands.t]\nexec = \"echo {module.name}\"\n");
  put(p.dir, "net/x", "x\n");
  cr_assert_eq(run(&p, NULL, "t#nett"), 2, "%s", p.err);
  cr_assert_str_eq(p.err, "runner: t#nett: no such module (did you mean "
                          "\"net\"?): see runner --ls\n");
  proj_free(&p);
}

Test(runner, redis_that_never_answers_times_out_once_and_the_run_goes_on)
{
  /* a listener that accepts connections (the kernel's backlog) and never
   * answers: the plugin's timeout-ms applies, then it stays down */
  int port, fd = loopback_listener(&port);
  proj p;
  proj_scenarios(&p, port);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "sed -i 's|^prefix = \"t\"|prefix = \"t\"\\n"
                            "timeout-ms = 200|' '%s/runner.toml'", p.dir);
  cr_assert_eq(system(cmd), 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cr_assert_eq(run(&p, NULL, "build"), 0, "%s", p.err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  cr_assert(strstr(p.err, "cache shared (redis):"), "%s", p.err);
  cr_assert_eq(count_of(p.err, "cache shared (redis):"), 1, "%s", p.err);
  cr_assert(strstr(p.err, "build: miss, running"), "%s", p.err);
  cr_assert(exists(&p, "out/main.o"));
  /* one time-out, not one per hook (a sanitizer build is slow: 5 s) */
  double secs = (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  cr_assert_lt(secs, 5.0);
  close(fd);
  proj_free(&p);
}

Test(runner, force_skips_cache_reads)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  run_says(&p, "-f test", "test: forced, running");
  cr_assert_eq(ran_count(&p), 2);
  proj_free(&p);
}

/* A plugin's fragment holds only [commands] (qik-spec 8 item 17); an
 * extra plugin found through PLUGKIT_PATH. */
Test(runner, fragment_with_an_unknown_table_is_a_positioned_error)
{
  proj p;
  proj_new(&p);
  put(p.dir, "plugins/extra/plugin.toml",
      "name = \"extra\"\nnamespace = \"runner\"\nversion = \"1.0.0\"\n"
      "fragment = \"commands.toml\"\n");
  put(p.dir, "plugins/extra/commands.toml",
      "[commands.go]\nexec = \"echo go\"\n[comands.x]\nexec = \"x\"\n");
  put(p.dir, "runner.toml", "[plugins]\nx = \"runner:extra\"\n");
  char env[300];
  snprintf(env, sizeof env, "PLUGKIT_PATH='%s/plugins'", p.dir);
  cr_assert_eq(run(&p, env, "--ls"), 2);
  cr_assert(strstr(p.err, "plugins/extra/commands.toml:3:2: unknown key "
                          "\"comands\" in the fragment of plugin "
                          "runner:extra"), "%s", p.err);
  put(p.dir, "plugins/extra/commands.toml", "[commands.go]\nexec = \"echo "
                                            "go\"\n");
  cr_assert_eq(run(&p, env, "--ls"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "x/go\n");
  cr_assert_eq(run(&p, env, "x.go"), 0, "%s", p.err);
  cr_assert_str_eq(p.out, "go\n");
  proj_free(&p);
}

/* An intact entry (its digest right) whose artifact path leaves the
 * project is refused: nothing is written outside, the command runs. */
Test(runner, entry_with_an_artifact_outside_the_project_is_refused)
{
  proj p;
  proj_scenarios(&p, 1);
  cr_assert_eq(run(&p, NULL, "test"), 0, "%s", p.err);
  char cmd[1500];
  snprintf(cmd, sizeof cmd,
           "cd '%s/.runner/cache' && h=$(sed -n 's/^hash //p' test.entry) "
           "&& printf 'runner-entry 1\\nname test\\nhash %%s\\ncode 0\\n"
           "log 0\\n\\nartifact 644 4 ../evil-%d\\nevil\\n' \"$h\" "
           "> body && printf 'digest %%s\\n' $(sha256sum body | cut -c1-64) "
           ">> body && mv body test.entry",
           p.dir, getpid());
  cr_assert_eq(system(cmd), 0);
  run_says(&p, "test", "leaves the project");
  cr_assert(strstr(p.err, "test: miss, running"), "%s", p.err);
  char evil[64];
  snprintf(evil, sizeof evil, "/tmp/evil-%d", getpid());
  cr_assert_neq(access(evil, F_OK), 0);
  proj_free(&p);
}

/* The plugkit CLI checks runner.toml with the runner's own description
 * (built-in types included: redis extends the described local). */
Test(runner, plugkit_config_check_uses_the_runner_description)
{
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' config check --host '%s/runner-host.toml' "
           "--path '%s/plugins' '%s/../examples/runner/demo/runner.toml' "
           ">/dev/null 2>&1", PK_CLI_PATH, PK_RUNNER_DIR, PK_RUNNER_DIR,
           PK_TEST_SOURCE_DIR);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  proj p;
  proj_new(&p);
  put(p.dir, "runner.toml", "[plugins.remote]\nplugin = \"runner:redis\"\n"
                            "[caches.c]\ntype = \"redis\"\ndir = 3\n");
  snprintf(cmd, sizeof cmd, "'%s' config check --host '%s/runner-host.toml' "
           "--path '%s/plugins' '%s/runner.toml' >'%s.out' 2>&1",
           PK_CLI_PATH, PK_RUNNER_DIR, PK_RUNNER_DIR, p.dir, p.dir);
  cr_assert_neq(system(cmd), 0);
  char out[4096], path[200];
  snprintf(path, sizeof path, "%s.out", p.dir);
  slurp(path, out, sizeof out);
  cr_assert(strstr(out, "runner.toml:5:7: field \"dir\": expected a string"),
            "%s", out);
  proj_free(&p);
}
