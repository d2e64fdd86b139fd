/* main.c -- plugkit CLI entry: the top-level help and the dispatch to a
 * command (each described in its own file, cli.h).
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_command *const cli_commands[] = {
    &cli_list,  &cli_info,       &cli_order, &cli_graph,      &cli_why,
    &cli_check, &cli_config,     &cli_lock,  &cli_quarantine, &cli_toml,
    &cli_new,   &cli_completion, NULL};

static const char about[] =
    "plugkit inspects the plugins of a plugkit host: what is installed, "
    "what each manifest says, the order they load in and why, whether each "
    "one loads, and whether a host config is right.  It also converts TOML "
    "to JSON, writes new plugin and host projects, and prints its shell "
    "completion.";

static const char environment[] =
    "directories searched for plugins before the --path "
    "ones, separated by colons (a:b:c); in each, every subdirectory holding "
    "a plugin.toml is one plugin, and the first one found of a NS:NAME wins "
    "(the later ones are shadowed)";

static int top_help(FILE *out)
{
  fputs("usage: plugkit COMMAND [OPTIONS] [ARGS]\n\n", out);
  cli_print_wrapped(out, about, 0, 0);
  fputs("\nCommands:\n", out);
  for (size_t i = 0; cli_commands[i]; i++) {
    fprintf(out, "  %-12s", cli_commands[i]->name);
    cli_print_wrapped(out, cli_commands[i]->summary, 14, 14);
  }
  fputs("\nOptions:\n"
        "  -h, --help    print this help and exit\n"
        "  --version     print plugkit's version and exit\n"
        "\nEnvironment:\n",
        out);
  fputs("  PLUGKIT_PATH  ", out);
  cli_print_wrapped(out, environment, 16, 16);
  fputs("  PLUGKIT_LOCK  ", out);
  cli_print_wrapped(out,
                    "a lock file (plugkit lock): plugins are loaded only "
                    "when their files match it",
                    16, 16);
  fputs("  PLUGKIT_INSECURE_PATHS=1\n                ", out);
  cli_print_wrapped(out,
                    "load plugins from directories and files that others "
                    "can write (refused otherwise)",
                    16, 16);
  fputs("\nExit status:\n"
        "  0  success\n"
        "  1  a failure, reported on standard error\n"
        "  2  a usage error\n",
        out);
  fputs("\nArguments:\n  PAIR  ", out);
  cli_print_wrapped(out,
                    "a plugin as NS:NAME, optionally with a version "
                    "constraint (\"ns:name >= 1.2, < 2\"), or NS:__all__ for "
                    "every plugin of a namespace",
                    8, 8);
  fputs("\nRun 'plugkit COMMAND --help' for a command's options.\n", out);
  return out == stdout ? 0 : 2;
}

void cli_print_error(const pk_error *err)
{
  char buf[2048];
  pk_error_format(err, buf, sizeof buf);
  if (err->plugin[0] && !strstr(buf, err->plugin))
    fprintf(stderr, "plugkit: %s: %s\n", err->plugin, buf);
  else
    fprintf(stderr, "plugkit: %s\n", buf);
}

static const cli_command *find_command(const char *name)
{
  for (size_t i = 0; cli_commands[i]; i++)
    if (!strcmp(name, cli_commands[i]->name))
      return cli_commands[i];
  return NULL;
}

static int unknown_command(const char *name)
{
  const char *names[32];
  size_t n = 0;
  for (; cli_commands[n] && n < 32; n++)
    names[n] = cli_commands[n]->name;
  bool option = name[0] == '-';
  if (option) {
    static const char *const top[] = {"--help", "--version"};
    cli_unknown("option", name, top, 2);
  } else {
    cli_unknown("command", name, names, n);
  }
  fputs("usage: plugkit COMMAND [OPTIONS] [ARGS]  (plugkit --help lists the "
        "commands)\n",
        stderr);
  return 2;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return top_help(stderr);
  const char *a = argv[1];
  if (!strcmp(a, "-h") || !strcmp(a, "--help"))
    return top_help(stdout);
  if (!strcmp(a, "--version")) {
    printf("plugkit %s\n", pk_version());
    return 0;
  }
  if (!strcmp(a, "help")) { /* plugkit help [COMMAND] */
    const cli_command *c = argc > 2 ? find_command(argv[2]) : NULL;
    if (argc > 2 && !c)
      return unknown_command(argv[2]);
    if (c)
      cli_print_help(c, stdout);
    return c ? 0 : top_help(stdout);
  }
  const cli_command *c = find_command(a);
  if (!c)
    return unknown_command(a);
  return c->run(c, argc - 1, argv + 1);
}
