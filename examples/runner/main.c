/* main.c -- runner: a qik-like command runner built on plugkit.  usage()
 * below is the whole interface.
 * Exit: 0 success, 1 a command failed, 2 a config error, 64 usage; killed
 * by the signal that stopped it (SIGINT, SIGTERM, SIGHUP).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

enum { MAX_WORKERS = 1024 };

static int usage(void)
{
  fputs(
      "usage: runner [OPTIONS] [RUNNABLE...]\n"
      "       runner [-C DIR] -l|--ls\n"
      "       runner [OPTIONS] --cache-status [--json] [RUNNABLE...]\n"
      "       runner --version | --help\n"
      "\n"
      "Runs the runnables named, or every command not hidden when none is\n"
      "named, each after its upstreams, on a pool of workers; a runnable\n"
      "whose cache holds a result for its inputs is replayed instead. Each\n"
      "runnable's output is printed whole when it ends.\n"
      "\n"
      "A RUNNABLE is NAME (a command of runner.toml), MODULE/NAME (a\n"
      "module's), ALIAS/NAME or ALIAS.NAME (a plugin's), NAME#MODULE (one\n"
      "module of a command run per module), with @SPACE and\n"
      "?key=value&key2=value2 arguments; options may come before or after.\n"
      "\n"
      "Options:\n"
      "  -C DIR              the project (default: the nearest runner.toml\n"
      "                      upwards)\n"
      "  -n, --workers N     run N runnables at once, 1 to 1024 (default:\n"
      "                      RUNNER__WORKERS, else the CPUs)\n"
      "  --fail-fast         after a failure start nothing more, wait for\n"
      "                      the running ones (the default)\n"
      "  -k, --keep-going    after a failure run everything that does not\n"
      "                      depend on it (or RUNNER__KEEP_GOING)\n"
      "  -m, --module M      only the runnables of module M (repeat, or\n"
      "                      M1,M2)\n"
      "  -s, --space S       only the runnables of space S (repeat, or\n"
      "                      S1,S2)\n"
      "  -f                  run even when the cache has the result (or\n"
      "                      RUNNER__FORCE)\n"
      "  --since REF         only the runnables whose inputs changed since\n"
      "                      the git commit REF (git diff --name-only REF\n"
      "                      and the untracked files), their strict\n"
      "                      downstreams and the upstreams they need\n"
      "  --isolated          run a command dep first only when it was\n"
      "                      selected itself (as isolated = true on each)\n"
      "  --watch             after the run, wait for changes to the files\n"
      "                      of what ran and run again what changed and its\n"
      "                      strict downstreams, until Ctrl-C (ends at once\n"
      "                      when what ran has no files; a changed\n"
      "                      runner.toml is said: restart to use it)\n"
      "  --debounce MS       with --watch: run once no change came for MS\n"
      "                      milliseconds, 0 to 60000 (default 100)\n"
      "  --trace FILE        write the run as Chrome trace-event JSON (one\n"
      "                      track per worker; Perfetto, chrome://tracing)\n"
      "  -v                  say what plugkit does: plugins loaded, ... (or\n"
      "                      RUNNER__VERBOSE)\n"
      "  -l, --ls            list the runnables (hidden commands left\n"
      "                      out), the spaces and their modules\n"
      "  --cache-status      say hit, remote hit, miss or uncached for each\n"
      "                      runnable, running and restoring nothing\n"
      "  --json              with --cache-status: a JSON array of\n"
      "                      {runnable, status, cache, hash}\n"
      "  --version           print the runner's version (and plugkit's) and\n"
      "                      exit\n"
      "  -h, --help          print this help and exit\n"
      "  --                  the arguments after it are runnables\n"
      "\n"
      "Environment:\n"
      "  RUNNER__WORKERS     the default of -n\n"
      "  RUNNER__FORCE       -f when true (true/false, yes/no, 1/0)\n"
      "  RUNNER__KEEP_GOING  -k when true, --fail-fast when false\n"
      "  RUNNER__VERBOSE     -v when true\n"
      "  PLUGKIT_PATH        directories searched for plugins before the\n"
      "                      plugins/ beside the runner, separated by colons\n"
      "\n"
      "Exit status:\n"
      "  0   success\n"
      "  1   a runnable failed (or was skipped or not run)\n"
      "  2   a problem in runner.toml or with a plugin, printed as\n"
      "      FILE:LINE:COL: message (a cache setting its plugin refuses\n"
      "      too, found when a runnable that uses the cache is to run),\n"
      "      or a -C DIR that is not a directory\n"
      "  64  a usage error\n"
      "A runner stopped by SIGINT, SIGTERM or SIGHUP ends by that signal.\n",
      stdout);
  return 0;
}

/* The directory of this executable: runner-host.toml and plugins/ live
 * beside it. */
static char *exe_dir(const char *argv0)
{
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) {
    if (!realpath(argv0, path))
      return xstrdup(".");
  } else {
    path[n] = 0;
  }
  char *slash = strrchr(path, '/');
  if (slash)
    *slash = 0;
  return xstrdup(path);
}

/* A worker count from text (what says where it came from): 1 to
 * MAX_WORKERS, else -1 after a message. */
static int workers_of(const char *text, const char *what)
{
  char *end;
  errno = 0;
  long n = strtol(text, &end, 10);
  if (errno || end == text || *end || n < 1 || n > MAX_WORKERS) {
    fprintf(stderr, "runner: %s \"%s\": expected a number of workers from "
            "1 to %d\n", what, text, MAX_WORKERS);
    return -1;
  }
  return (int)n;
}

static int cpus(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* An option's value: "--opt=VALUE", or the next argument. */
static const char *value_of(int argc, char **argv, int *i, const char *name)
{
  size_t n = strlen(name);
  if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
    return argv[*i] + n + 1;
  return *i + 1 < argc ? argv[++*i] : NULL;
}

static bool is_opt(const char *arg, const char *name)
{
  size_t n = strlen(name);
  return !strncmp(arg, name, n) && (!arg[n] || (name[1] == '-' &&
                                                arg[n] == '='));
}

/* Appends a -m or -s value to the comma-separated list *l (owned). */
static void append(char **l, const char *v)
{
  char *n = *l ? xasprintf("%s,%s", *l, v) : xstrdup(v);
  free(*l);
  *l = n;
}

/* The command line. */
typedef struct cli {
  run_options o;
  const char *dir;
  char **names;            /* the runnables named */
  int nnames;
  char *modules, *spaces, *commands;
} cli;

extern char **environ;

/* Whether the environment holds a RUNNER__NAME variable (one pass instead
 * of a getenv() per option). */
static bool runner_env_set(void)
{
  static int set = -1;
  for (char **e = environ; set < 0 && *e; e++)
    if ((*e)[0] == 'R' && !strncmp(*e, "RUNNER__", 8))
      set = 1;
  if (set < 0)
    set = 0;
  return set;
}

/* A boolean option: given (1) or not (0) on the command line, else (-1)
 * RUNNER__NAME in the environment, else false; -1 after a message. */
static int option_or_env(int given, const char *env)
{
  const char *from = given < 0 && runner_env_set() ? getenv(env) : NULL;
  int b = given >= 0 ? given : from ? ctx_cast_bool(from) : 0;
  if (b < 0)
    fprintf(stderr, "runner: %s=\"%s\" in the environment is not a boolean "
            "(true/false, yes/no or 1/0)\n", env, from);
  return b;
}

/* The options (usage() describes each); those taking a value first. */
static const char *const options[] = {
    "-C",          "-n",        "--workers",    "-m",
    "--module",    "-s",        "--space",      "--trace",
    "--since",     "--debounce", "-f",          "-v",
    "-k",          "--keep-going", "--fail-fast", "-l",
    "--ls",        "--cache-status", "--json",  "--isolated",
    "--watch",     "--version", "-h",           "--help"};
enum { WITH_VALUE = 10, NOPTIONS = sizeof options / sizeof *options };

/* The usage error of arg, an option parse() did not take: says what is
 * wrong in one line; 64. */
static int usage_error(const char *arg)
{
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
  size_t i = 0;
  while (i < NOPTIONS && strcmp(name, options[i]))
    i++;
  if (i < WITH_VALUE)
    fprintf(stderr, "runner: %s needs a value (runner --help)\n", name);
  else if (i < NOPTIONS)
    fprintf(stderr, "runner: %s takes no value (runner --help)\n", name);
  else {
    /* a near long option; any letter is one edit from another letter */
    const char *near =
        name[1] == '-' ? pk_closest(name, options, NOPTIONS) : NULL;
    fprintf(stderr,
            "runner: unknown option %s%s%s%s: runner --help lists "
            "the options\n",
            name, near ? " (did you mean " : "", near ? near : "",
            near ? "?)" : "");
  }
  return 64;
}

/* Reads the command line into c: -1, or the exit status (usage). */
static int parse(int argc, char **argv, cli *c)
{
  run_options *o = &c->o;
  const char *workers = NULL, *debounce = NULL, *v;
  int force = -1, keep_going = -1, verbose = -1;
  c->names = xcalloc((size_t)argc, sizeof *c->names);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') /* a runnable; options may come after */
      c->names[c->nnames++] = argv[i];
    else if (!strcmp(a, "-C") && i + 1 < argc)
      c->dir = argv[++i];
    else if (!strcmp(a, "--ls") || !strcmp(a, "-l"))
      o->ls = true;
    else if (!strcmp(a, "-f"))
      force = 1;
    else if (!strcmp(a, "-v"))
      verbose = 1;
    else if (!strcmp(a, "-k") || !strcmp(a, "--keep-going"))
      keep_going = 1;
    else if (!strcmp(a, "--fail-fast"))
      keep_going = 0;
    else if (!strcmp(a, "--cache-status"))
      o->cache_status = true;
    else if (!strcmp(a, "--json"))
      o->json = true;
    else if ((!strcmp(a, "-n") || is_opt(a, "--workers")) &&
             (workers = value_of(argc, argv, &i, "--workers")))
      ;
    else if ((!strcmp(a, "-m") || is_opt(a, "--module")) &&
             (v = value_of(argc, argv, &i, "--module")) && *v)
      append(&c->modules, v);
    else if ((!strcmp(a, "-s") || is_opt(a, "--space")) &&
             (v = value_of(argc, argv, &i, "--space")) && *v)
      append(&c->spaces, v);
    else if (is_opt(a, "--since") &&
             (o->since = value_of(argc, argv, &i, "--since")) && *o->since)
      ;
    else if (!strcmp(a, "--isolated"))
      o->isolated = true;
    else if (!strcmp(a, "--watch"))
      o->watch = true;
    else if (is_opt(a, "--debounce") &&
             (v = value_of(argc, argv, &i, "--debounce")))
      debounce = v;
    else if (is_opt(a, "--trace") &&
             (o->trace = value_of(argc, argv, &i, "--trace")) && *o->trace)
      ;
    else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
      return usage();
    else if (!strcmp(a, "--version")) {
      printf("runner %s (plugkit %s)\n", PK_VERSION_STRING, pk_version());
      return 0;
    } else if (!strcmp(a, "--"))
      while (++i < argc)
        c->names[c->nnames++] = argv[i];
    else
      return usage_error(a);
  }
  if (o->json && !o->cache_status) {
    fprintf(stderr, "runner: --json goes with --cache-status\n");
    return 64;
  }
  if (o->ls && c->nnames) { /* it would list every one anyway */
    fprintf(stderr,
            "runner: --ls lists every runnable: it takes no "
            "RUNNABLE ('%s')\n",
            c->names[0]);
    return 64;
  }
  if (o->watch && (o->cache_status || o->ls)) {
    fprintf(stderr, "runner: --watch runs: it does not go with %s\n",
            o->ls ? "--ls" : "--cache-status");
    return 64;
  }
  o->debounce_ms = 100;
  if (debounce) {
    char *end;
    errno = 0;
    long ms = strtol(debounce, &end, 10);
    if (errno || end == debounce || *end || ms < 0 || ms > 60000) {
      fprintf(stderr, "runner: --debounce \"%s\": expected milliseconds "
              "from 0 to 60000\n", debounce);
      return 64;
    }
    o->debounce_ms = (int)ms;
  }
  o->workers = workers ? workers_of(workers, "-n")
               : runner_env_set() && getenv("RUNNER__WORKERS")
                   ? workers_of(getenv("RUNNER__WORKERS"), "RUNNER__WORKERS")
                   : cpus();
  if (o->workers < 0 || (force = option_or_env(force, "RUNNER__FORCE")) < 0 ||
      (keep_going = option_or_env(keep_going, "RUNNER__KEEP_GOING")) < 0 ||
      (verbose = option_or_env(verbose, "RUNNER__VERBOSE")) < 0)
    return 64;
  o->force = force;
  o->keep_going = keep_going;
  o->verbose = verbose;
  for (int k = 0; k < c->nnames; k++)
    append(&c->commands, c->names[k]);
  o->modules = c->modules;
  o->spaces = c->spaces;
  o->commands = c->commands;
  return -1;
}

/* Opens the project and does what c asks: the exit status. */
static int run(const cli *c, const char *argv0)
{
  const run_options *o = &c->o;
  /* the trace file is named from here, before -C moves to the project */
  char *trace_path = NULL;
  if (o->trace) {
    char cwd[PATH_MAX];
    trace_path = o->trace[0] == '/' || !getcwd(cwd, sizeof cwd)
                     ? xstrdup(o->trace)
                     : xasprintf("%s/%s", cwd, o->trace);
  }
  trace_open(trace_path);
  free(trace_path);
  trace_track(0, "main");
  uint64_t t0 = trace_now();
  char *here = exe_dir(argv0);
  child_init(here);
  project p;
  int rc = project_open(&p, c->dir, here, o);
  free(here);
  trace_span("open the project", "setup", t0, NULL);
  if (rc == 0 && o->ls) {
    project_list(&p);
  } else if (rc == 0 && (rc = cache_key_load()) == 0) {
    plan pl;
    t0 = trace_now();
    rc = plan_build(&pl, &p, c->names, (size_t)c->nnames, o);
    trace_span("plan", "setup", t0, NULL);
    if (rc != 0)
      rc = 2;
    else if (o->cache_status)
      rc = execute_status(&pl, &p, o->json);
    else if (o->watch)
      rc = watch_run(&pl, &p, o);
    else
      rc = schedule(&pl, &p, o);
    plan_free(&pl);
  }
  project_close(&p);
  if (trace_close() != 0 && rc == 0)
    rc = 1;
  return rc;
}

int main(int argc, char **argv)
{
  cli c = {0};
  int rc = parse(argc, argv, &c);
  if (rc < 0)
    rc = run(&c, argv[0]);
  free(c.names);
  free(c.modules);
  free(c.spaces);
  free(c.commands);
  int sig = stop_signal();
  if (sig) { /* stopped: end the way the signal would have */
    signal(sig, SIG_DFL);
    raise(sig);
  }
  return rc;
}
