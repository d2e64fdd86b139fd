/* cmd_completion.c -- `plugkit completion bash|zsh`: the shell completion
 * script, written from the commands' descriptions (cli.h), so it always
 * knows every command and option.  Plugin ids are completed from
 * `plugkit list --json` at completion time.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "cli.h"

/* What the positional arguments of cmd complete to: "plugins" (ids),
 * "files", or a space-separated list of words (the choices of the first
 * argument: "plugin|host NAME" gives "plugin host"). */
static void positional(const cli_command *cmd, char *buf, size_t n)
{
  const char *args = cmd->args;
  if (strstr(args, "PAIR") || strstr(args, "NS:NAME")) {
    snprintf(buf, n, "plugins");
  } else if (strstr(args, "FILE")) {
    snprintf(buf, n, "files");
  } else if (args[0] >= 'a' && args[0] <= 'z') {
    size_t len = strcspn(args, " ");
    snprintf(buf, n, "%.*s", (int)len, args);
    for (char *c = buf; *c; c++)
      if (*c == '|')
        *c = ' ';
  } else {
    buf[0] = '\0';
  }
}

static size_t noptions(const cli_command *cmd)
{
  size_t k = 0;
  while (k < CLI_MAX_OPTIONS && cmd->options[k].name)
    k++;
  return k;
}

/* ---- bash ---- */

static const char bash_head[] =
    "# bash completion for plugkit (written by `plugkit completion bash`;\n"
    "# installed as share/bash-completion/completions/plugkit)\n"
    "_plugkit_ids() { # the installed plugins, with the --path of the line\n"
    "  local args=() i\n"
    "  for ((i = 2; i < ${#COMP_WORDS[@]} - 1; i++)); do\n"
    "    [[ ${COMP_WORDS[i]} == --path ]] && args+=(--path \"${COMP_WORDS[i + "
    "1]}\")\n"
    "  done\n"
    "  \"${COMP_WORDS[0]}\" list --json \"${args[@]}\" 2>/dev/null |\n"
    "    sed -n 's/^    \"id\": \"\\(.*\\)\",$/\\1/p'\n"
    "}\n"
    "_plugkit() {\n"
    "  local line=${COMP_LINE:0:COMP_POINT} cur prev cmd=${COMP_WORDS[1]}\n"
    "  cur=${line##*[[:space:]]}  # the word, colons included (ns:name)\n"
    "  prev=${line%\"$cur\"}; prev=${prev%%+([[:space:]])}; "
    "prev=${prev##*[[:space:]]}\n"
    "  local words=() opts= args=\n"
    "  if ((COMP_CWORD == 1)); then\n"
    "    words=($(compgen -W \"";

/* the command names go here */
static const char bash_head2[] = " --help --version\" -- \"$cur\"))\n"
                                 "    COMPREPLY=(\"${words[@]}\"); return\n"
                                 "  fi\n"
                                 "  case $cmd in\n";

static const char bash_tail[] =
    "  *) return ;;\n"
    "  esac\n"
    "  if [[ $cur == -* ]]; then\n"
    "    words=($(compgen -W \"$opts\" -- \"$cur\"))\n"
    "  else\n"
    "    case $args in\n"
    "    plugins) words=($(compgen -W \"$(_plugkit_ids)\" -- \"$cur\")) ;;\n"
    "    files) words=($(compgen -f -- \"$cur\")) ;;\n"
    "    dir) words=($(compgen -d -- \"$cur\")) ;;\n"
    "    *) words=($(compgen -W \"$args\" -- \"$cur\")) ;;\n"
    "    esac\n"
    "  fi\n"
    "  # bash splits ns:name at the colon: reply with what follows it\n"
    "  local i pre=${cur%\"${cur##*:}\"}\n"
    "  for i in \"${!words[@]}\"; do words[i]=${words[i]#\"$pre\"}; done\n"
    "  COMPREPLY=(\"${words[@]}\")\n"
    "}\n"
    "shopt -s extglob\n"
    "complete -F _plugkit plugkit\n";

static void bash(void)
{
  fputs(bash_head, stdout);
  for (size_t i = 0; cli_commands[i]; i++)
    printf("%s%s", i ? " " : "", cli_commands[i]->name);
  fputs(bash_head2, stdout);
  for (size_t i = 0; cli_commands[i]; i++) {
    const cli_command *c = cli_commands[i];
    char pos[128];
    positional(c, pos, sizeof pos);
    printf("  %s)\n", c->name);
    for (size_t k = 0; k < noptions(c); k++) {
      const cli_option *o = &c->options[k];
      if (!o->arg)
        continue;
      const char *how = !o->complete                   ? NULL
                        : !strcmp(o->complete, "file") ? "files"
                        : !strcmp(o->complete, "dir")  ? "dir"
                                                       : o->complete;
      printf("    if [[ $prev == %s%s%s ]]; then args='%s'; cur=${cur#*=}\n"
             "    elif [[ $cur == %s=* ]]; then args='%s'; cur=${cur#*=}; fi\n",
             o->name, o->short_name ? " || $prev == " : "",
             o->short_name ? o->short_name : "", how ? how : "none", o->name,
             how ? how : "none");
    }
    printf("    opts='");
    for (size_t k = 0; k < noptions(c); k++)
      printf("%s %s%s", c->options[k].name,
             c->options[k].short_name ? c->options[k].short_name : "",
             c->options[k].short_name ? " " : "");
    printf("--help -h --version'\n    [[ -n $args ]] || args='%s'\n    ;;\n",
           pos);
  }
  fputs(bash_tail, stdout);
}

/* ---- zsh ---- */

/* The help of an option for _arguments: up to the first ';', without
 * what is in parentheses, brackets or colons, quotes doubled for '...'. */
static void zsh_help(const char *help)
{
  size_t len = strcspn(help, ";");
  int depth = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = help[i];
    if (ch == ' ' && help[i + 1] == '(')
      continue;
    depth += ch == '(';
    if (depth || ch == '[' || ch == ']' || ch == ':') {
      depth -= ch == ')';
      continue;
    }
    if (ch == '\'')
      fputs("'\\''", stdout);
    else
      putchar(ch);
  }
}

static void zsh_value(const cli_option *o)
{
  if (!o->arg)
    return;
  printf(":%s:", o->arg);
  if (!o->complete)
    printf(" ");
  else if (!strcmp(o->complete, "file"))
    printf("_files");
  else if (!strcmp(o->complete, "dir"))
    printf("_files -/");
  else
    printf("(%s)", o->complete);
}

static void zsh(void)
{
  fputs("#compdef plugkit\n"
        "# zsh completion for plugkit (written by `plugkit completion zsh`;\n"
        "# installed as share/zsh/site-functions/_plugkit)\n"
        "_plugkit_ids() {\n"
        "  local -a ids\n"
        "  ids=(${(f)\"$($_plugkit_cmd list --json 2>/dev/null |\n"
        "    sed -n 's/^    \"id\": \"\\(.*\\)\",$/\\1/p')\"})\n"
        "  compadd -a ids\n"
        "}\n"
        "_plugkit() {\n"
        "  local -a commands\n"
        "  commands=(\n",
        stdout);
  for (size_t i = 0; cli_commands[i]; i++) {
    printf("    '%s:", cli_commands[i]->name);
    zsh_help(cli_commands[i]->summary);
    printf("'\n");
  }
  fputs("  )\n"
        "  if ((CURRENT == 2)); then\n"
        "    _describe -t commands 'plugkit command' commands\n"
        "    _arguments '(- *)--help[print the help]' "
        "'(- *)--version[print the version]'\n"
        "    return\n"
        "  fi\n"
        "  local cmd=$words[2]\n"
        "  # the CLI as typed, for _plugkit_ids (words loses it next)\n"
        "  local _plugkit_cmd=$words[1]\n"
        "  shift words; ((CURRENT--))\n"
        "  case $cmd in\n",
        stdout);
  for (size_t i = 0; cli_commands[i]; i++) {
    const cli_command *c = cli_commands[i];
    char pos[128];
    positional(c, pos, sizeof pos);
    printf("  %s)\n    _arguments -s \\\n", c->name);
    for (size_t k = 0; k < noptions(c); k++) {
      const cli_option *o = &c->options[k];
      if (o->short_name) {
        printf("      '(%s %s)'{%s,%s}'[", o->short_name, o->name,
               o->short_name, o->name);
      } else {
        printf("      '%s%s[", o->repeat ? "*" : "", o->name);
      }
      zsh_help(o->help);
      printf("]");
      zsh_value(o);
      printf("' \\\n");
    }
    printf("      '(- *)'{-h,--help}'[print the help]' \\\n"
           "      '(- *)--version[print the version]'");
    if (!strcmp(pos, "plugins"))
      printf(" \\\n      '*:plugin:_plugkit_ids'");
    else if (!strcmp(pos, "files"))
      printf(" \\\n      '*:file:_files'");
    else if (pos[0])
      printf(" \\\n      '1:argument:(%s)' '*:name: '", pos);
    printf("\n    ;;\n");
  }
  fputs("  esac\n"
        "}\n"
        "_plugkit \"$@\"\n",
        stdout);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  static const char *const shells[] = {"bash", "zsh"};
  if (a.npos != 1 || (strcmp(a.pos[0], "bash") && strcmp(a.pos[0], "zsh"))) {
    if (a.npos == 1)
      cli_unknown("shell", a.pos[0], shells, 2);
    cli_args_free(&a);
    return cli_usage_error(cmd, "name the shell: bash or zsh");
  }
  if (!strcmp(a.pos[0], "bash"))
    bash();
  else
    zsh();
  cli_args_free(&a);
  return 0;
}

const cli_command cli_completion = {
    "completion",
    run,
    "bash|zsh",
    "the shell completion script",
    "Prints the completion script of bash or zsh for plugkit: its commands, "
    "their options and values, and the ids of the installed plugins (from "
    "`plugkit list --json`).  make install puts them where the shells find "
    "them; to try one: eval \"$(plugkit completion bash)\".",
    {{NULL, NULL, NULL, NULL, false, NULL}},
    NULL};
