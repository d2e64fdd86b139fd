/* cmd_new.c -- `plugkit new plugin|host NAME`: a buildable project in
 * ./NAME (or --dir DIR): the manifest and C source of a plugin, or the C
 * source of a host, each with a Makefile using pkg-config and a
 * CMakeLists.txt using find_package(plugkit).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd_new_templates.h"

typedef struct vars {
  const char *name, *ns, *id, *kind, *tag, *runner_struct, *runner_init;
} vars;

static const char *var(const vars *v, const char *key, size_t len)
{
  static const char *const keys[] = {
      "NAME", "NS", "ID", "KIND", "TAG", "RUNNER_STRUCT", "RUNNER_INIT"};
  const char *const vals[] = {
      v->name, v->ns, v->id, v->kind, v->tag, v->runner_struct, v->runner_init};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strlen(keys[i]) == len && !strncmp(keys[i], key, len))
      return vals[i] ? vals[i] : "";
  return NULL;
}

/* Writes text to f with every @KEY@ replaced. */
static void expand(FILE *f, const char *text, const vars *v)
{
  for (const char *s = text; *s; s++) {
    const char *end = *s == '@' ? strchr(s + 1, '@') : NULL;
    const char *val = end ? var(v, s + 1, (size_t)(end - s - 1)) : NULL;
    if (val) {
      expand(f, val, v); /* RUNNER_INIT holds @TAG@ */
      s = end;
    } else {
      fputc(*s, f);
    }
  }
}

/* Makes the new directory dir and its missing parents (as mkdir -p; dir
 * itself must not exist).  0, or 1 after saying which directory could
 * not be made and why. */
static int make_dir(const char *dir)
{
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
    fprintf(stderr, "plugkit: cannot make the directory %s: %s\n", dir,
            strerror(ENAMETOOLONG));
    return 1;
  }
  for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
    path[n - 1] = 0; /* else "a/b/" would be made as the parent of itself */
  for (char *s = path + 1; *s; s++) {
    if (*s != '/' || s[-1] == '/')
      continue;
    *s = 0;
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "plugkit: cannot make the directory %s (for %s): %s\n",
              path, dir, strerror(errno));
      return 1;
    }
    *s = '/';
  }
  if (mkdir(path, 0777) == 0)
    return 0;
  fprintf(stderr, "plugkit: cannot make the directory %s: %s%s\n", dir,
          strerror(errno),
          errno == EEXIST ? " (plugkit new writes a new directory; choose "
                            "another NAME or --dir)"
                          : "");
  return 1;
}

/* Writes DIR/FILE from the templates (NULL-ended); 0 or 1 after a
 * message. */
static int write_file(const char *dir, const char *file, const vars *v,
                      const char *const *parts)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "wx");
  if (!f) {
    fprintf(stderr, "plugkit: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  for (size_t i = 0; parts[i]; i++)
    expand(f, parts[i], v);
  if (fclose(f) != 0) {
    fprintf(stderr, "plugkit: writing %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("wrote %s\n", path);
  return 0;
}

/* The manifest of a plugin. */
static int write_manifest(const char *dir, const vars *v, bool runner)
{
  char text[2048];
  int n =
      snprintf(text, sizeof text,
               "# @NAME@ -- plugin @NS@:@NAME@ (written by `plugkit new "
               "plugin`).\n"
               "# Every key: plugkit-manifest(5).\n"
               "name = \"@NAME@\"\n"
               "namespace = \"@NS@\"\n"
               "version = \"0.1.0\"\n"
               "description = \"%s\"\n"
               "library = \"lib@NAME@.so\"\n"
               "abi = 1\n"
               "# requires = [\"@NS@:other >= 1.0\"]\n",
               v->kind ? "Provides the @KIND@ type @TAG@" : "A plugin of @NS@");
  if (v->kind && n > 0 && (size_t)n < sizeof text) {
    bool cache = runner && !strcmp(v->kind, "cache");
    snprintf(text + n, sizeof text - (size_t)n,
             "\n# an instance for each table with type = \"@TAG@\"\n"
             "[[provides]]\n"
             "kind = \"@KIND@\"\n"
             "tag = \"@TAG@\"\n%s"
             "[provides.config]\n%s",
             cache ? "extends = \"local\"  # the runner's local cache is its "
                     "base\n"
                   : "",
             runner ? "text = { type = \"string\", default = \"\", doc = "
                      "\"text in the hash of each command using it\" }\n"
                    : "greeting = { type = \"string\", default = \"hello\", "
                      "doc = \"what the instance says\" }\n");
  }
  const char *parts[] = {text, NULL};
  return write_file(dir, "plugin.toml", v, parts);
}

/* A name usable as a namespace, a file name and (with '-' as '_') a C
 * identifier. */
static bool name_ok(const char *s)
{
  if (!(*s >= 'a' && *s <= 'z') || strlen(s) > 64)
    return false;
  return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  static const char *const what[] = {"plugin", "host"};
  const char *ns = cli_opt(&a, "--namespace"), *kind = cli_opt(&a, "--kind");
  const char *tag = cli_opt(&a, "--tag"), *dir = cli_opt(&a, "--dir");
  bool plugin = a.npos && !strcmp(a.pos[0], "plugin");
  if (a.npos == 0 || (!plugin && strcmp(a.pos[0], "host"))) {
    if (a.npos)
      cli_unknown("kind of project", a.pos[0], what, 2);
    rc = cli_usage_error(cmd, "say what to write: plugkit new plugin NAME, "
                              "or plugkit new host NAME");
  } else if (a.npos < 2) {
    rc = cli_usage_error(cmd, "name the %s: plugkit new %s NAME", a.pos[0],
                         a.pos[0]);
  } else if (a.npos > 2) {
    rc = cli_usage_error(cmd, "one NAME only ('%s' is one too many)", a.pos[2]);
  } else if (!name_ok(a.pos[1]) || (ns && !name_ok(ns)) ||
             (tag && !name_ok(tag)) || (kind && !name_ok(kind))) {
    rc = cli_usage_error(cmd,
                         "'%s': a name, namespace, kind or tag is 1 to "
                         "64 lowercase letters, digits, '_' or '-', "
                         "starting with a letter",
                         !name_ok(a.pos[1])     ? a.pos[1]
                         : ns && !name_ok(ns)   ? ns
                         : tag && !name_ok(tag) ? tag
                                                : kind);
  } else if (!plugin && (ns || kind || tag)) {
    rc = cli_usage_error(cmd, "--namespace, --kind and --tag are for a "
                              "plugin; a host's namespace is its NAME");
  } else if (!kind != !tag) {
    rc = cli_usage_error(cmd, "--kind and --tag go together: the type the "
                              "plugin provides");
  }
  if (rc >= 0) {
    cli_args_free(&a);
    return rc;
  }
  const char *name = a.pos[1];
  char id[80];
  snprintf(id, sizeof id, "%s", name);
  for (char *c = id; *c; c++)
    if (*c == '-')
      *c = '_';
  vars v = {name, ns ? ns : name, id, kind, tag, NULL, NULL};
  bool runner =
      plugin && kind && !strcmp(v.ns, "runner") &&
      (!strcmp(kind, "cache") || !strcmp(kind, "dep") || !strcmp(kind, "env"));
  if (runner) {
    v.runner_struct = !strcmp(kind, "cache") ? "runner_cache"
                      : !strcmp(kind, "dep") ? "runner_dep"
                                             : "runner_env";
    v.runner_init = !strcmp(kind, "cache")
                        ? "  inst->it.type = \"@TAG@\";\n"
                          "  inst->it.base = call->base; /* local: the "
                          "runner reads and writes through it */\n"
                          "  inst->it.self = inst;"
                        : "  inst->it.constant = inst->text;";
  }
  if (!dir)
    dir = name;
  if (make_dir(dir) != 0) {
    cli_args_free(&a);
    return 1;
  }
  char file[128];
  if (plugin) {
    const char *src[] = {tpl_plugin_c_head,
                         !kind    ? tpl_plugin_c_plain
                         : runner ? tpl_plugin_c_runner
                                  : tpl_plugin_c_type,
                         NULL};
    const char *mk[] = {tpl_plugin_makefile, NULL};
    const char *cm[] = {tpl_plugin_cmake, NULL};
    snprintf(file, sizeof file, "%s.c", name);
    rc = write_manifest(dir, &v, runner) || write_file(dir, file, &v, src) ||
         write_file(dir, "Makefile", &v, mk) ||
         write_file(dir, "CMakeLists.txt", &v, cm);
  } else {
    const char *src[] = {tpl_host_c, NULL};
    const char *mk[] = {tpl_host_makefile, NULL};
    const char *cm[] = {tpl_host_cmake, NULL};
    snprintf(file, sizeof file, "%s.c", name);
    rc = write_file(dir, file, &v, src) ||
         write_file(dir, "Makefile", &v, mk) ||
         write_file(dir, "CMakeLists.txt", &v, cm);
  }
  if (rc == 0 && plugin)
    printf("build it with make (or cmake); the directory is the plugin of "
           "namespace %s: a host of that namespace loads it from its parent "
           "(in PLUGKIT_PATH, or given to the host)\n",
           v.ns);
  else if (rc == 0)
    printf("build it with make (or cmake), then run ./%s DIR, DIR holding "
           "plugin directories (plugkit new plugin P --namespace %s --dir "
           "DIR/P writes one)\n",
           name, name);
  cli_args_free(&a);
  return rc;
}

const cli_command cli_new = {
    "new",
    run,
    "plugin|host NAME",
    "write a new plugin or host project",
    "Writes a buildable project into a new directory NAME (or --dir DIR): "
    "for a plugin, its manifest (plugin.toml) and C source; for a host, a C "
    "program that accepts the plugins of namespace NAME, registers all of "
    "them from PLUGKIT_PATH and the directories it is given, and prints "
    "each one that is ready (exit 1 when none is found, saying what it "
    "looks for).  Each comes with a Makefile using pkg-config "
    "and a CMakeLists.txt using find_package(plugkit), and builds against "
    "the installed library with no edit.  With --kind and --tag the plugin "
    "provides a type of that kind; for the runner's kinds (--namespace "
    "runner, kind cache, dep or env) the source includes <runner/plugin.h> "
    "and returns what the runner expects.",
    {{"--namespace", NULL, "NS",
      "the plugin's namespace (default: NAME); a "
      "host accepts the plugins of namespace NS",
      false, NULL},
     {"--kind", NULL, "KIND",
      "the plugin provides a type of kind KIND "
      "(with --tag)",
      false, NULL},
     {"--tag", NULL, "TAG",
      "the tag of that type: tables with type = "
      "\"TAG\" become its instances",
      false, NULL},
     {"--dir", NULL, "DIR",
      "write into DIR instead of ./NAME (it must not "
      "exist; its missing parents are made)",
      false, "dir"}},
    NULL};
