/* main.c -- plugkit CLI entry: dispatch to a subcommand.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"list", cmd_list,
     "list [--all] [--json]           the installed plugins"},
    {"info", cmd_info,
     "info NS:NAME [--json]           one plugin's manifest"},
    {"order", cmd_order,
     "order PAIR...                   the layered load order"},
    {"graph", cmd_graph,
     "graph [--format dot|json] [PAIR...]  the dependency graph"},
    {"why", cmd_why,
     "why NS:NAME [PAIR...]           why a plugin (did not) load"},
    {"check", cmd_check,
     "check [--timeout SEC] [--json]  each plugin loaded in a child process"},
    {"config", cmd_config,
     "config check [--host H.toml] [--path DIR]... FILE  every problem of a "
     "host config"},
    {"toml", cmd_toml, "toml [FILE|-] [--toml-version V]  TOML to tagged JSON"},
};

static int usage(FILE *out)
{
  fprintf(out, "usage: plugkit COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %s\n", commands[i].summary);
  fprintf(out, "\nThe plugin commands search PLUGKIT_PATH (colon-separated), "
               "then each --path DIR.\nPAIR is NS:NAME, optionally with a "
               "version constraint, or NS:__all__.\n");
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

int main(int argc, char **argv)
{
  if (argc < 2)
    return usage(stderr);
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
      !strcmp(argv[1], "help"))
    return usage(stdout);
  if (!strcmp(argv[1], "--version")) {
    printf("plugkit %s\n", pk_version());
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "plugkit: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}
