/* main.c -- runner: a qik-like command runner built on plugkit.
 *   runner [-C DIR] [-f] [-v] [COMMAND...]   run commands (all not hidden
 *                                           when none is named)
 *   runner [-C DIR] --ls                     list the commands
 * Exit: 0 success, 1 a command failed, 2 a config error, 64 usage; killed
 * by the signal that stopped it (SIGINT, SIGTERM, SIGHUP).
 * SPDX-License-Identifier: MIT */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static int usage(FILE *f)
{
  fputs("usage: runner [-C DIR] [-f] [-v] [COMMAND...]\n"
        "       runner [-C DIR] --ls\n"
        "  -C DIR   the project (default: the nearest runner.toml upwards)\n"
        "  -f       run even when the cache has the result\n"
        "  -v       say what plugkit does (plugins loaded, ...)\n"
        "  --ls     list the commands (hidden ones are left out)\n"
        "  --version  print the runner's version (and plugkit's) and exit\n"
        "A COMMAND is NAME, ALIAS/NAME or ALIAS.NAME (a plugin's), with\n"
        "optional ?key=value&key2=value2 arguments.\n",
        f);
  return f == stdout ? 0 : 64;
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

int main(int argc, char **argv)
{
  const char *dir = NULL;
  bool ls = false, verbose = false;
  run_options o = {0};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "-C") && i + 1 < argc)
      dir = argv[++i];
    else if (!strcmp(argv[i], "--ls"))
      ls = true;
    else if (!strcmp(argv[i], "-f"))
      o.force = true;
    else if (!strcmp(argv[i], "-v"))
      verbose = true;
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
      return usage(stdout);
    else if (!strcmp(argv[i], "--version")) {
      printf("runner %s (plugkit %s)\n", PK_VERSION_STRING, pk_version());
      return 0;
    } else if (!strcmp(argv[i], "--")) {
      i++;
      break;
    } else
      return usage(stderr);
  }
  char *here = exe_dir(argv[0]);
  project p;
  int rc = project_open(&p, dir, here, verbose);
  free(here);
  if (rc == 0 && ls) {
    project_list(&p);
  } else if (rc == 0 && (rc = cache_key_load()) == 0) {
    plan pl;
    rc = plan_build(&pl, &p, argv + i, (size_t)(argc - i));
    if (rc == 0)
      rc = execute(&pl, &p, &o);
    else
      rc = 2;
    plan_free(&pl);
  }
  project_close(&p);
  int sig = stop_signal();
  if (sig) { /* stopped: end the way the signal would have */
    signal(sig, SIG_DFL);
    raise(sig);
  }
  return rc;
}
