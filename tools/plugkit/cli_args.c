/* cli_args.c -- a command's options from its description (cli.h): the
 * parser, usage errors with "did you mean", and --help.
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Every command takes these besides its own. */
static const cli_option common[] = {
    {"--help", "-h", NULL, "print this help and exit", false, NULL},
    {"--version", NULL, NULL, "print plugkit's version and exit", false, NULL},
};
#define NCOMMON (sizeof common / sizeof common[0])

static size_t option_count(const cli_command *cmd)
{
  size_t n = 0;
  while (n < CLI_MAX_OPTIONS && cmd->options[n].name)
    n++;
  return n;
}

/* ---- text ---- */

void cli_print_wrapped(FILE *out, const char *text, int col0, int indent)
{
  int col = col0;
  bool empty = true; /* no word on this line yet */
  const char *s = text;
  while (*s) {
    if (s[0] == '\n' && s[1] == '\n') { /* a new paragraph */
      fprintf(out, "\n\n%*s", indent, "");
      col = indent;
      empty = true;
      s += 2;
      continue;
    }
    if (*s == ' ' || *s == '\n') {
      s++;
      continue;
    }
    int w = (int)strcspn(s, " \n");
    if (!empty && col + 1 + w > 78) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
      empty = true;
    }
    if (!empty) {
      fputc(' ', out);
      col++;
    }
    fwrite(s, 1, (size_t)w, out);
    col += w;
    s += w;
    empty = false;
  }
  fputc('\n', out);
}

void cli_print_usage(const cli_command *cmd, FILE *out)
{
  fprintf(out, "plugkit %s [OPTIONS]%s%s", cmd->name, *cmd->args ? " " : "",
          cmd->args);
}

/* "  -h, --help" or "  --path DIR" into buf. */
static void option_label(const cli_option *o, char *buf, size_t n)
{
  snprintf(buf, n, "  %s%s%s%s%s", o->short_name ? o->short_name : "",
           o->short_name ? ", " : "", o->name, o->arg ? " " : "",
           o->arg ? o->arg : "");
}

static void print_option(const cli_option *o, FILE *out)
{
  char label[64];
  option_label(o, label, sizeof label);
  if (strlen(label) > 22) /* the text starts on the next line */
    fprintf(out, "%s\n%24s", label, "");
  else
    fprintf(out, "%-24s", label);
  cli_print_wrapped(out, o->help, 24, 24);
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
  fputs("usage: ", out);
  cli_print_usage(cmd, out);
  fputs("\n\n", out);
  cli_print_wrapped(out, cmd->description, 0, 0);
  fputs("\nOptions:\n", out);
  for (size_t i = 0; i < option_count(cmd); i++)
    print_option(&cmd->options[i], out);
  for (size_t i = 0; i < NCOMMON; i++)
    print_option(&common[i], out);
}

/* The usage line and where the options are described, on stderr;
 * returns 2. */
static int usage_hint(const cli_command *cmd)
{
  fputs("usage: ", stderr);
  cli_print_usage(cmd, stderr);
  fprintf(stderr, "\n(plugkit %s --help describes every option)\n", cmd->name);
  return 2;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
  va_list ap;
  fputs("plugkit: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return usage_hint(cmd);
}

void cli_unknown(const char *what, const char *word,
                 const char *const *candidates, size_t n)
{
  const char *best = pk_closest(word, candidates, n);
  if (best)
    fprintf(stderr, "plugkit: unknown %s '%s'; did you mean %s?\n", what, word,
            best);
  else
    fprintf(stderr, "plugkit: unknown %s '%s'\n", what, word);
}

/* ---- parsing ---- */

/* The option named by arg ("--name", "--name=VALUE" or "-s"); *inline_value
 * points after '=' when there is one. */
static const cli_option *find_option(const cli_command *cmd, const char *arg,
                                     const char **inline_value, size_t *index)
{
  size_t len = strcspn(arg, "=");
  *inline_value = arg[len] == '=' ? arg + len + 1 : NULL;
  for (size_t i = 0; i < option_count(cmd) + NCOMMON; i++) {
    const cli_option *o = i < option_count(cmd)
                              ? &cmd->options[i]
                              : &common[i - option_count(cmd)];
    if ((strlen(o->name) == len && !strncmp(o->name, arg, len)) ||
        (o->short_name && !strcmp(o->short_name, arg))) {
      *index = i;
      return o;
    }
  }
  return NULL;
}

static int unknown_option(const cli_command *cmd, const char *arg)
{
  const char *names[CLI_MAX_OPTIONS + NCOMMON];
  size_t n = 0, len = strcspn(arg, "=");
  char word[64];
  snprintf(word, sizeof word, "%.*s", (int)len, arg);
  for (size_t i = 0; i < option_count(cmd); i++)
    names[n++] = cmd->options[i].name;
  for (size_t i = 0; i < NCOMMON; i++)
    names[n++] = common[i].name;
  cli_unknown("option", word, names, n);
  return usage_hint(cmd);
}

/* Checks the values of the options with a fixed meaning. */
static int check_value(const cli_command *cmd, const cli_option *o,
                       const char *v, cli_args *out)
{
  if (!strcmp(o->name, "--timeout")) {
    char *end = NULL;
    double t = strtod(v, &end);
    if (end == v || *end || !(t > 0) || t > 86400)
      return cli_usage_error(cmd, "--timeout needs a number of seconds (> 0), "
                                  "e.g. --timeout 5 or --timeout 0.5");
    out->timeout = t;
  }
  if (o->complete && strcmp(o->complete, "file") &&
      strcmp(o->complete, "dir")) { /* a list of choices */
    const char *c = o->complete;
    size_t len = strlen(v);
    while (*c) {
      size_t w = strcspn(c, " ");
      if (w == len && !strncmp(c, v, len))
        return -1;
      c += w + (c[w] == ' ');
    }
    return cli_usage_error(cmd, "%s %s: use one of %s", o->name, v,
                           o->complete);
  }
  if (o->arg && !*v)
    return cli_usage_error(cmd, "%s needs a %s, not an empty string", o->name,
                           o->arg);
  return -1;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
  memset(out, 0, sizeof *out);
  out->cmd = cmd;
  size_t cap = argc > 0 ? (size_t)argc : 1;
  out->paths = calloc(cap, sizeof *out->paths);
  out->pos = calloc(cap, sizeof *out->pos);
  if (!out->paths || !out->pos) {
    cli_args_free(out);
    fputs("plugkit: out of memory\n", stderr);
    return 1;
  }
  bool options = true;
  int rc = -1;
  for (int i = 1; i < argc && rc < 0; i++) {
    const char *a = argv[i], *v = NULL;
    size_t k;
    const cli_option *o;
    if (!options || a[0] != '-' || a[1] == '\0') {
      out->pos[out->npos++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      options = false;
      continue;
    }
    if (!(o = find_option(cmd, a, &v, &k))) {
      rc = unknown_option(cmd, a);
      break;
    }
    if (!strcmp(o->name, "--help")) {
      cli_print_help(cmd, stdout);
      rc = 0;
    } else if (!strcmp(o->name, "--version")) {
      printf("plugkit %s\n", pk_version());
      rc = 0;
    } else if (!o->arg && v) {
      rc = cli_usage_error(cmd, "%s takes no value", o->name);
    } else if (o->arg && !v && i + 1 >= argc) {
      rc = cli_usage_error(cmd, "%s needs a value: %s %s", o->name, o->name,
                           o->arg);
    } else {
      if (o->arg && !v)
        v = argv[++i];
      if (!o->arg)
        v = "";
      if (o->arg && (rc = check_value(cmd, o, v, out)) >= 0)
        break;
      if (o->repeat && !strcmp(o->name, "--path"))
        out->paths[out->npaths++] = v;
      out->value[k] = v;
      if (!strcmp(o->name, "--json"))
        out->json = true;
    }
  }
  if (rc < 0 && out->npos && !cmd->args[0])
    rc = cli_usage_error(cmd, "%s takes no arguments ('%s')", cmd->name,
                         out->pos[0]);
  if (rc >= 0)
    cli_args_free(out);
  return rc;
}

const char *cli_opt(const cli_args *a, const char *name)
{
  for (size_t i = 0; i < option_count(a->cmd); i++)
    if (!strcmp(a->cmd->options[i].name, name))
      return a->value[i];
  return NULL;
}

void cli_args_free(cli_args *a)
{
  free(a->paths);
  free(a->pos);
  a->paths = a->pos = NULL;
  a->npaths = a->npos = 0;
}
