/* test_cli_native.c -- what makes the plugkit CLI feel native: --help and
 * --version on every command, "did you mean" for commands and options,
 * --json on the read commands (parsed with jansson), graph's hook-added
 * edges, cycles and pictures, the shell completion and `plugkit new`.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "cli_util.h"

#include <plugkit/version.h>

TestSuite(cli_native, .init = setup, .fini = teardown, .timeout = 60);

#define SEED PK_TEST_BINARY_DIR "/fixtures/seed"
#define FAULTS PK_TEST_BINARY_DIR "/fixtures/faults"

static const char *const commands[] = {"list", "info",      "order",  "graph",
                                       "why",  "check",     "config", "toml",
                                       "new",  "completion"};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* ---- help, version, suggestions ---- */

Test(cli_native, every_command_has_help_describing_every_option)
{
  for (size_t i = 0; i < NCOMMANDS; i++) {
    run r = cli(commands[i], "--help");
    cr_assert_eq(r.code, 0, "%s --help exits %d", commands[i], r.code);
    char want[64];
    snprintf(want, sizeof want, "usage: plugkit %s ", commands[i]);
    cr_assert(!strncmp(r.out, want, strlen(want)), "%s", r.out);
    assert_has(r.out, "\nOptions:\n");
    assert_has(r.out, "  -h, --help ");
    assert_has(r.out, "  --version ");
    /* every option line has a description after its name */
    for (char *l = strstr(r.out, "\nOptions:\n") + 10; *l;
         l = strchr(l, '\n') + 1) {
      if (!strncmp(l, "  -", 3)) {
        size_t len = strcspn(l, "\n");
        char *gap = strstr(l, "   ");
        cr_assert(gap && gap < l + len, "no description: %.*s", (int)len, l);
      }
      if (!strchr(l, '\n'))
        break;
    }
    cr_assert_str_empty(r.err);
    r = cli("help", commands[i]);
    cr_assert_eq(r.code, 0);
    cr_assert(!strncmp(r.out, want, strlen(want)));
  }
}

Test(cli_native, version_everywhere)
{
  run r = cli("--version");
  cr_assert_eq(r.code, 0);
  cr_assert_str_eq(r.out, "plugkit " PK_VERSION_STRING "\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    r = cli(commands[i], "--version");
    cr_assert_eq(r.code, 0, "%s --version", commands[i]);
    cr_assert_str_eq(r.out, "plugkit " PK_VERSION_STRING "\n");
  }
}

Test(cli_native, a_misspelled_command_gets_the_closest)
{
  run r = cli("lsit");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "plugkit: unknown command 'lsit'; did you mean list?");
  r = cli("ordr", "a:b");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "did you mean order?");
  r = cli("help", "grph");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "did you mean graph?");
  r = cli("--verison");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "did you mean --version?");
}

Test(cli_native, a_misspelled_option_gets_the_closest)
{
  run r = cli("list", "--jsno");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "plugkit: unknown option '--jsno'; did you mean --json?");
  assert_has(r.err, "usage: plugkit list [OPTIONS]");
  r = cli("graph", "--formt=svg");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "'--formt'; did you mean --format?");
  r = cli("check", "--timout", "3");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "did you mean --timeout?");
  r = cli("config", "chek", "x.toml");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "unknown config command 'chek'; did you mean check?");
  r = cli("order", "--json=yes", "a:b");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "--json takes no value");
  r = cli("toml", "--toml-version", "2.0");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "--toml-version 2.0: use one of 1.0.0 1.1.0 1.0 1.1");
}

/* list, check and lock take no arguments: one message, from cli_parse. */
Test(cli_native, commands_without_arguments_refuse_one)
{
  const char *names[] = {"list", "check", "lock"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    run r = cli(names[i], "extra");
    cr_assert_eq(r.code, 2, "%s: %s", names[i], r.err);
    char want[64];
    snprintf(want, sizeof want, "plugkit: %s takes no arguments ('extra')",
             names[i]);
    assert_has(r.err, want);
    assert_has(r.err, "usage: plugkit");
  }
}

/* ---- --json of the read commands ---- */

Test(cli_native, order_json)
{
  const char *dir = chain_dir();
  run r = cli("order", "--json", "--path", dir, "a:top", "a:solo");
  cr_assert_eq(r.code, 0, "%s", r.err);
  json_t *o = json_of(r.out);
  cr_assert(json_is_true(json_at(o, "ok")));
  cr_assert(json_is_null(json_at(o, "error")));
  json_t *layers = json_at(o, "layers");
  cr_assert_eq(json_array_size(layers), 3);
  json_t *l0 = json_array_get(layers, 0);
  cr_assert_eq(json_array_size(l0), 3); /* a:base, a:solo, b:other */
  cr_assert_str_eq(
      json_string_value(json_array_get(json_array_get(layers, 2), 0)), "a:top");

  r = cli("order", "--json", "--path", dir, "a:top", "a:ghost");
  cr_assert_eq(r.code, 1);
  o = json_of(r.out);
  cr_assert(json_is_false(json_at(o, "ok")));
  cr_assert_eq(json_array_size(json_at(o, "layers")), 0);
  json_t *e = json_at(o, "error");
  cr_assert_str_eq(json_str(e, "code"), "PK_EDEP_MISSING");
  assert_has(json_str(e, "message"), "a:ghost");
  assert_has(r.err, "a:ghost"); /* and on stderr, as without --json */
}

Test(cli_native, why_json)
{
  const char *dir = chain_dir();
  run r = cli("why", "--json", "a:base", "--path", dir, "a:top");
  cr_assert_eq(r.code, 0, "%s", r.err);
  json_t *o = json_of(r.out);
  cr_assert_str_eq(json_str(o, "id"), "a:base");
  cr_assert_str_eq(json_str(o, "state"), "ready");
  cr_assert_str_eq(json_str(o, "version"), "1.0.0");
  json_t *chain = json_at(o, "chain");
  cr_assert_eq(json_array_size(chain), 3);
  cr_assert_str_eq(json_string_value(json_array_get(chain, 0)), "a:top");
  cr_assert_str_eq(json_string_value(json_array_get(chain, 1)), "a:mid");
  cr_assert_str_eq(json_string_value(json_array_get(chain, 2)), "a:base");
  cr_assert_eq(json_array_size(json_at(o, "requested")), 1);
  cr_assert(json_is_null(json_at(o, "error")));
  assert_has(json_str(o, "explanation"), "a:mid requires a:base");

  /* not loaded: no chain, the installed plugins that would pull it in */
  r = cli("why", "--json", "a:base", "--path", dir, "a:solo");
  o = json_of(r.out);
  cr_assert_str_eq(json_str(o, "state"), "discovered");
  cr_assert(json_is_null(json_at(o, "chain")));
  json_t *deps = json_at(o, "installed_dependents");
  cr_assert_eq(json_array_size(deps), 1);
  cr_assert_str_eq(json_string_value(json_array_get(deps, 0)), "a:mid");

  /* a broken manifest: its error as an object */
  plugin("p", "bad", "name = 1\n");
  r = cli("why", "--json", "bad", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  o = json_of(r.out);
  cr_assert_str_eq(json_str(o, "state"), "broken");
  json_t *pe = json_at(o, "plugin_error");
  cr_assert_str_eq(json_str(pe, "code"), "PK_EMANIFEST");
  cr_assert_eq(json_integer_value(json_at(pe, "line")), 1);
}

Test(cli_native, config_check_json)
{
  char cfg[300];
  snprintf(cfg, sizeof cfg, "%s/host.toml", root);
  write_file(cfg, "[plugins]\n"
                  "a = \"runner:nope\"\n"
                  "b = 3\n");
  run r = cli("config", "check", "--json", cfg);
  cr_assert_eq(r.code, 1);
  json_t *o = json_of(r.out);
  cr_assert_str_eq(json_str(o, "file"), cfg);
  cr_assert(json_is_false(json_at(o, "ok")));
  json_t *problems = json_at(o, "problems");
  cr_assert_eq(json_array_size(problems), 2, "%s", r.out);
  json_t *p0 = json_array_get(problems, 0);
  cr_assert_eq(json_integer_value(json_at(p0, "line")), 2);
  cr_assert_eq(json_integer_value(json_at(p0, "col")), 5);
  cr_assert_str_eq(json_str(p0, "source"), cfg);
  assert_has(json_str(p0, "message"), "runner:nope");

  write_file(cfg, "[plugins]\n");
  r = cli("config", "check", "--json", cfg);
  cr_assert_eq(r.code, 0, "%s", r.err);
  o = json_of(r.out);
  cr_assert(json_is_true(json_at(o, "ok")));
  cr_assert_eq(json_array_size(json_at(o, "problems")), 0);
}

/* ---- graph ---- */

/* The edge from -> to of a graph's JSON, or NULL. */
static json_t *edge(json_t *g, const char *from, const char *to)
{
  size_t i;
  json_t *e;
  json_array_foreach(json_at(g, "edges"), i, e)
  {
    if (!strcmp(json_str(e, "from"), from) && !strcmp(json_str(e, "to"), to))
      return e;
  }
  return NULL;
}

Test(cli_native, graph_marks_the_edges_register_hooks_add)
{
  /* black:ten's register hook requires black:five (its hook_requires) */
  run r = cli("graph", "--json", "--path", SEED, "black:ten");
  cr_assert_eq(r.code, 0, "%s", r.err);
  json_t *g = json_of(r.out);
  json_t *e = edge(g, "black:ten", "black:five");
  cr_assert_not_null(e, "%s", r.out);
  cr_assert_str_eq(json_str(e, "via"), "hook");
  cr_assert(json_is_false(json_at(e, "cycle")));

  r = cli("graph", "--path", SEED, "black:ten");
  cr_assert_eq(r.code, 0);
  assert_has(r.out, "  \"black:ten\" -> \"black:five\" [style=dashed, "
                    "label=\"hook\"];\n");
}

/* --json on a failure too: ok false, nothing drawn, the error (it printed
 * nothing on standard output). */
Test(cli_native, graph_json_of_a_failure_says_the_error)
{
  const char *dir = data_plugin("p", "a", "app", "1.0.0", "\"a:gone\"");
  run r = cli("graph", "--json", "--path", dir, "a:app");
  cr_assert_eq(r.code, 1, "%s", r.err);
  json_t *g = json_of(r.out);
  cr_assert(json_is_false(json_at(g, "ok")), "%s", r.out);
  cr_assert_eq(json_array_size(json_at(g, "nodes")), 0, "%s", r.out);
  cr_assert_eq(json_array_size(json_at(g, "edges")), 0, "%s", r.out);
  cr_assert(json_is_null(json_at(g, "cycle")), "%s", r.out);
  json_t *e = json_at(g, "error");
  cr_assert_str_eq(json_str(e, "code"), "PK_EDEP_MISSING", "%s", r.out);
  cr_assert_str_eq(json_str(e, "plugin"), "a:app", "%s", r.out);
  assert_has(r.err, "a:gone");
}

Test(cli_native, graph_draws_a_cycle_instead_of_failing)
{
  data_plugin("p", "c", "x", "1.0.0", "\"c:y\"");
  data_plugin("p", "c", "y", "1.0.0", "\"c:z\"");
  data_plugin("p", "c", "z", "1.0.0", "\"c:x\"");
  const char *dir = data_plugin("p", "c", "w", "1.0.0", "\"c:x\"");
  run r = cli("graph", "--json", "--path", dir, "c:w");
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.err, "plugkit: warning: dependency cycle: c:x -> c:y -> c:z "
                    "-> c:x");
  json_t *g = json_of(r.out);
  cr_assert_str_eq(json_str(json_at(g, "cycle"), "code"), "PK_EDEP_CYCLE");
  cr_assert(json_is_true(json_at(g, "ok"))); /* a cycle is drawn */
  cr_assert(json_is_null(json_at(g, "error")));
  cr_assert(json_is_true(json_at(edge(g, "c:x", "c:y"), "cycle")));
  cr_assert(json_is_true(json_at(edge(g, "c:y", "c:z"), "cycle")));
  cr_assert(json_is_true(json_at(edge(g, "c:z", "c:x"), "cycle")));
  cr_assert(json_is_false(json_at(edge(g, "c:w", "c:x"), "cycle")));
  size_t i;
  json_t *n;
  json_array_foreach(json_at(g, "nodes"), i, n)
  {
    cr_assert(json_is_null(json_at(n, "layer")));
    cr_assert_eq(json_is_true(json_at(n, "cycle")),
                 strcmp(json_str(n, "id"), "c:w") != 0);
  }

  /* every installed plugin: the cycle is drawn, not left out */
  r = cli("graph", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "  \"c:z\" -> \"c:x\" [color=red, penwidth=2];\n");
  assert_has(r.out, "  \"c:w\" -> \"c:x\";\n");
  assert_has(r.out, "  \"c:x\" [color=red, fontcolor=red];\n");
}

Test(cli_native, graph_draws_a_cycle_a_register_hook_closes)
{
  /* hcyc_a requires hcyc_b; hcyc_b's register hook requires hcyc_a */
  run r = cli("graph", "--path", FAULTS, "faults:hcyc_a");
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.err, "dependency cycle");
  assert_has(r.out, "  \"faults:hcyc_b\" -> \"faults:hcyc_a\" [style=dashed, "
                    "label=\"hook\", color=red, penwidth=2];\n");
  assert_has(r.out, "  \"faults:hcyc_a\" -> \"faults:hcyc_b\" [color=red, "
                    "penwidth=2];\n");
}

Test(cli_native, graph_renders_svg_and_png_through_graphviz)
{
  const char *dir = chain_dir();
  run r = cli("graph", "--format", "svg", "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  assert_has(r.out, "<svg");
  assert_has(r.out, "a:top");
  char png[300];
  snprintf(png, sizeof png, "%s/g.png", root);
  r = cli("graph", "--format=png", "-o", png, "--path", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  cr_assert_str_empty(r.out);
  FILE *f = fopen(png, "rb");
  cr_assert_not_null(f);
  unsigned char magic[8] = {0};
  cr_assert_eq(fread(magic, 1, 8, f), 8);
  fclose(f);
  cr_assert(!memcmp(magic, "\x89PNG\r\n\x1a\n", 8));
}

Test(cli_native, graph_picture_without_graphviz_says_what_to_install)
{
  const char *dir = chain_dir();
  cli_extra_env[0] = "PATH=/nonexistent";
  run r = cli("graph", "--format", "svg", "--path", dir);
  cli_extra_env[0] = NULL;
  cr_assert_eq(r.code, 1);
  cr_assert_str_empty(r.out);
  assert_has(r.err, "plugkit: --format svg needs Graphviz's dot program, "
                    "which is not in PATH: apt-get install graphviz");
}

/* ---- shell completion ---- */

/* Writes the CLI's completion script of shell to script and opens
 * ROOT/driver (its path into test) for the script driving the shell. */
static FILE *completion_files(const char *shell, const char *script,
                              const char *driver, char test[300])
{
  run r = cli("completion", shell);
  cr_assert_eq(r.code, 0);
  write_file(script, r.out);
  snprintf(test, 300, "%s/%s", root, driver);
  FILE *f = fopen(test, "w");
  cr_assert_not_null(f);
  return f;
}

/* What bash completes for the command line `line` (the cursor at its
 * end), with the completion script of the CLI loaded. */
static const char *complete_bash(const char *line, const char *path)
{
  char script[300], test[300], cmd[700];
  snprintf(script, sizeof script, "%s/plugkit.bash", root);
  FILE *f = completion_files("bash", script, "complete.sh", test);
  fprintf(f,
          "PLUGKIT_PATH='%s'; export PLUGKIT_PATH\n"
          "plugkit() { '%s' \"$@\"; }\n"
          ". '%s'\n"
          "COMP_LINE='%s'; COMP_POINT=${#COMP_LINE}\n"
          "read -ra COMP_WORDS <<<\"$COMP_LINE\"\n"
          "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
          "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
          "_plugkit\n"
          "printf '%%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '\n",
          path ? path : "", PK_CLI_PATH, script, line);
  fclose(f);
  snprintf(cmd, sizeof cmd, "bash '%s'", test);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  static char out[4][4096];
  static int next;
  char *o = out[next++ % 4];
  size_t n = fread(o, 1, sizeof out[0] - 1, p);
  o[n] = '\0';
  cr_assert_eq(pclose(p), 0, "bash failed on: %s", line);
  return o;
}

Test(cli_native, bash_completion_knows_commands_options_values_and_plugins)
{
  cr_assert_str_eq(complete_bash("plugkit or", NULL), "order ");
  cr_assert_str_eq(complete_bash("plugkit c", NULL),
                   "check completion config ");
  cr_assert_str_eq(complete_bash("plugkit graph --fo", NULL), "--format ");
  cr_assert_str_eq(complete_bash("plugkit graph --format ", NULL),
                   "dot json png svg ");
  cr_assert_str_eq(complete_bash("plugkit new ", NULL), "host plugin ");
  cr_assert_str_eq(complete_bash("plugkit completion ", NULL), "bash zsh ");
  const char *dir = chain_dir();
  cr_assert_str_eq(complete_bash("plugkit info a:", dir), "base mid solo top ");
  cr_assert_str_eq(complete_bash("plugkit order a:top b", dir), "b:other ");
}

Test(cli_native, zsh_completion_is_valid_zsh_with_every_command)
{
  run r = cli("completion", "zsh");
  cr_assert_eq(r.code, 0);
  cr_assert(!strncmp(r.out, "#compdef plugkit\n", 17));
  for (size_t i = 0; i < NCOMMANDS; i++) {
    char want[64];
    snprintf(want, sizeof want, "  %s)\n", commands[i]);
    assert_has(r.out, want);
  }
  assert_has(r.out, "'--format[dot, json, or svg or png, rendered by "
                    "Graphviz'\\''s dot program]:FORMAT:(dot json svg png)'");
  char script[300], cmd[400];
  snprintf(script, sizeof script, "%s/_plugkit", root);
  write_file(script, r.out);
  snprintf(cmd, sizeof cmd, "zsh -n '%s'", script);
  cr_assert_eq(system(cmd), 0, "zsh -n rejects the script");
  r = cli("completion", "fish");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "unknown shell 'fish'");
}

/* What a real interactive zsh (driven through zsh/zpty, compinit on,
 * the CLI's zsh script in its fpath, the CLI as `plugkit` in PATH) makes
 * of each line in lines (typed, then TAB, then Enter): the command lines
 * as they stood when Enter came, one per line.  path: PLUGKIT_PATH. */
static const char *complete_zsh(const char *const *lines, size_t n,
                                const char *path)
{
  char fn[100], bin[100], out[100], test[300], cmd[1200];
  snprintf(fn, sizeof fn, "%s/zfn", root);
  snprintf(bin, sizeof bin, "%s/zbin", root);
  snprintf(out, sizeof out, "%s/zsh.out", root);
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s' '%s' && ln -sf '%s' '%s/plugkit' && rm -f '%s'", fn,
           bin, PK_CLI_PATH, bin, out);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  char script[120];
  snprintf(script, sizeof script, "%s/_plugkit", fn);
  FILE *f = completion_files("zsh", script, "complete.zsh", test);
  /* Enter (accept-line) writes the line to out instead of running it */
  fprintf(f,
          "zmodload zsh/zpty\n"
          "zpty z 'PATH=%s:$PATH PLUGKIT_PATH=%s zsh -f -i'\n"
          "zpty -w z 'PS1=\"> \"; fpath=(%s $fpath); autoload -Uz compinit; "
          "compinit -u -D'\n"
          "zpty -w z 'got() { [[ $BUFFER == exit ]] || "
          "{ print -r -- \"$BUFFER\" >> %s; BUFFER= }; zle .accept-line }; "
          "zle -N accept-line got'\n",
          bin, path ? path : "", fn, out);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "zpty -w -n z $'%s\\t\\r'\n", lines[i]);
  fputs("zpty -w z exit\n"
        "while zpty -r z line; do :; done\n"
        "zpty -d z\n",
        f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "timeout 60 zsh -f '%s' >/dev/null 2>&1", test);
  cr_assert_eq(system(cmd), 0, "zsh failed on %s", test);
  static char got[2048];
  f = fopen(out, "r");
  cr_assert_not_null(f, "zsh accepted no line");
  size_t k = fread(got, 1, sizeof got - 1, f);
  got[k] = '\0';
  fclose(f);
  return got;
}

Test(cli_native, zsh_completion_completes_in_a_real_zsh)
{
  static const char *const lines[] = {
      "plugkit or", "plugkit graph --fo", "plugkit graph --format s",
      "plugkit completion z", "plugkit info a:so"};
  cr_assert_str_eq(complete_zsh(lines, 5, chain_dir()),
                   "plugkit order \n"
                   "plugkit graph --format \n"
                   "plugkit graph --format svg \n"
                   "plugkit completion zsh \n"
                   "plugkit info a:solo \n");
}

/* ---- plugkit new ---- */

/* Compiles the C file with the plugkit headers (and runner/plugin.h), as
 * a shared object, warnings as errors. */
static int compile(const char *c_file)
{
  char inc[300], cmd[2048];
  snprintf(inc, sizeof inc, "%s/include", root);
  mkdir(inc, 0755);
  strcat(inc, "/runner");
  mkdir(inc, 0755);
  snprintf(cmd, sizeof cmd,
           "ln -sf '%s/../examples/runner/runner_api.h' '%s/plugin.h' && "
           "cc -std=c11 -Wall -Wextra -Werror -fPIC -shared -I'%s/../include' "
           "-I'%s/include' -o '%s.so' '%s'",
           PK_TEST_SOURCE_DIR, inc, PK_TEST_SOURCE_DIR, root, c_file, c_file);
  return system(cmd);
}

Test(cli_native, new_writes_projects_whose_sources_compile)
{
  static const struct {
    const char *what, *name, *ns, *kind, *tag;
  } variants[] = {
      {"plugin", "greeter", NULL, NULL, NULL},
      {"plugin", "s3-store", "app", "store", "s3"}, /* a type of any kind */
      {"plugin", "shared", "runner", "cache", "shared"}, /* the runner's */
      {"plugin", "pins", "runner", "dep", "pins"},
      {"plugin", "venv", "runner", "env", "venv"},
      {"host", "myapp", NULL, NULL, NULL},
  };
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
    char dir[300], file[400];
    snprintf(dir, sizeof dir, "%s/%s", root, variants[v].name);
    /* (the NULL of a variant without namespace ends the arguments) */
    run r = cli("new", variants[v].what, variants[v].name, "--dir", dir,
                variants[v].ns ? "--namespace" : NULL, variants[v].ns, "--kind",
                variants[v].kind, "--tag", variants[v].tag);
    cr_assert_eq(r.code, 0, "%s: %s", variants[v].name, r.err);
    snprintf(file, sizeof file, "wrote %s/Makefile\n", dir);
    assert_has(r.out, file);
    snprintf(file, sizeof file, "%s/CMakeLists.txt", dir);
    cr_assert_eq(access(file, R_OK), 0);
    snprintf(file, sizeof file, "%s/%s.c", dir, variants[v].name);
    cr_assert_eq(compile(file), 0, "%s does not compile", file);
    if (strcmp(variants[v].what, "plugin"))
      continue;
    /* the manifest is one plugkit reads, with the type in it */
    char id[64];
    snprintf(id, sizeof id, "%s:%s",
             variants[v].ns ? variants[v].ns : variants[v].name,
             variants[v].name);
    r = cli("info", "--json", id, "--path", root);
    cr_assert_eq(r.code, 0, "%s", r.err);
    json_t *o = json_of(r.out);
    cr_assert_str_eq(json_str(o, "state"), "discovered", "%s", r.out);
    json_t *prov = json_at(o, "provides");
    cr_assert_eq(json_array_size(prov), variants[v].kind ? 1u : 0u);
    if (variants[v].kind)
      cr_assert_str_eq(json_str(json_array_get(prov, 0), "tag"),
                       variants[v].tag);
  }
}

/* The host plugkit new writes, built against the shared library (as its
 * Makefile does) and run: a plugin of its namespace is ready; nothing of
 * its namespace (a plugin of another, or the plugin's own directory
 * given) fails with what it looks for, not a silent exit 0. */
Test(cli_native, new_host_runs_a_new_plugin_and_says_when_it_finds_none)
{
  char host[300], dir[300], cmd[2048];
  snprintf(host, sizeof host, "%s/app", root);
  cr_assert_eq(cli("new", "host", "app", "--dir", host).code, 0);
  snprintf(cmd, sizeof cmd,
           "'%s' %s -std=c11 -Wall -Wextra -Werror -I'%s/../include' -o "
           "'%s/app' '%s/app.c' -L'%s' -lplugkit -Wl,-rpath,'%s'",
           PK_TEST_CC, PK_TEST_CC_FLAGS, PK_TEST_SOURCE_DIR, host, host,
           PK_LIB_DIR, PK_LIB_DIR);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  static const struct {
    const char *ns, *arg; /* the plugin's namespace, the host's DIR */
    int code;
  } cases[] = {{"app", "plugins", 0},
               {"other", "plugins", 1},
               {"app", "plugins/hello", 1}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    snprintf(dir, sizeof dir, "%s/%zu/plugins/hello", root, c);
    run r =
        cli("new", "plugin", "hello", "--namespace", cases[c].ns, "--dir", dir);
    cr_assert_eq(r.code, 0, "%s", r.err);
    char want[200];
    snprintf(want, sizeof want,
             "the directory is the plugin of namespace %s: a host of that "
             "namespace loads it from its parent",
             cases[c].ns);
    assert_has(r.out, want);
    strcat(dir, "/hello.c");
    cr_assert_eq(compile(dir), 0);
    /* compile() wrote hello.c.so: the manifest names libhello.so */
    snprintf(cmd, sizeof cmd,
             "cd '%s/%zu' && mv plugins/hello/hello.c.so "
             "plugins/hello/libhello.so && env -u PLUGKIT_PATH '%s/app' %s "
             ">out 2>err",
             root, c, host, cases[c].arg);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == cases[c].code,
              "case %zu: status %d", c, st);
    char out[100], err[100];
    snprintf(out, sizeof out, "%s/%zu/out", root, c);
    snprintf(err, sizeof err, "%s/%zu/err", root, c);
    char *o = slurp(open(out, O_RDONLY)), *e = slurp(open(err, O_RDONLY));
    if (cases[c].code == 0) {
      cr_assert_str_eq(o, "app:hello 0.1.0: ready\n");
      cr_assert_str_eq(e, "");
    } else {
      cr_assert_str_eq(o, "");
      assert_has(e, "app: no plugin of namespace \"app\" found in "
                    "PLUGKIT_PATH or the directories given: a plugin is a "
                    "directory holding its plugin.toml (namespace = "
                    "\"app\") and library; give the directory that holds "
                    "it");
    }
  }
}

Test(cli_native, new_refuses_what_it_cannot_write)
{
  run r = cli("new", "plugin", "Bad.Name");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "'Bad.Name': a name, namespace, kind or tag is 1 to 64 "
                    "lowercase letters");
  r = cli("new", "plugin", "x", "--kind", "cache");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "--kind and --tag go together");
  r = cli("new", "host", "x", "--namespace", "y");
  cr_assert_eq(r.code, 2);
  r = cli("new", "plugn", "x");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "did you mean plugin?");
  r = cli("new", "plugin");
  cr_assert_eq(r.code, 2);
  assert_has(r.err, "name the plugin: plugkit new plugin NAME");
  r = cli("new", "host", "x", "--dir", root); /* exists */
  cr_assert_eq(r.code, 1);
  assert_has(r.err, "cannot make the directory");
  assert_has(r.err, "choose another NAME or --dir");
}

/* --dir a/b/c makes the missing parents a/ and a/b/ (as mkdir -p); a
 * parent that cannot be made is named, with why. */
Test(cli_native, new_makes_the_parents_of_its_directory)
{
  char dir[100], manifest[120];
  snprintf(dir, sizeof dir, "%s/a/b/c/", root);
  run r = cli("new", "plugin", "x", "--dir", dir);
  cr_assert_eq(r.code, 0, "%s", r.err);
  snprintf(manifest, sizeof manifest, "%s/plugin.toml", dir);
  cr_assert_eq(access(manifest, R_OK), 0, "%s", r.out);
  /* a file where a parent should be */
  char file[80], under[100], want[400];
  snprintf(file, sizeof file, "%s/f", root);
  fclose(fopen(file, "w"));
  snprintf(under, sizeof under, "%s/g/h", file);
  r = cli("new", "host", "y", "--dir", under);
  cr_assert_eq(r.code, 1);
  snprintf(want, sizeof want,
           "plugkit: cannot make the directory %s/g (for %s): Not a "
           "directory\n",
           file, under);
  cr_assert_str_eq(r.err, want);
}
