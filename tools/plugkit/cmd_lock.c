/* cmd_lock.c -- `plugkit lock [-o FILE] [--check]`: the lock file of the
 * plugins in the search path (their manifests' and shared objects'
 * SHA-256), written or checked.  No plugin code runs.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "cli.h"

#define CLI_LOCK_DEFAULT "plugkit.lock"

static int check(pk_host *host, const char *file)
{
  pk_diag *diag = NULL;
  pk_error err;
  pk_error_clear(&err);
  if (pk_diag_new(NULL, &diag, &err) != PK_OK) {
    cli_print_error(&err);
    return 1;
  }
  pk_status st = pk_host_check_lock(host, file, diag, &err);
  size_t n = pk_diag_count(diag);
  if (st == PK_OK)
    printf("%s: ok, every plugin as locked\n", file);
  else if (st != PK_ETRUST || n == 0)
    cli_print_error(&err);
  for (size_t i = 0; st == PK_ETRUST && i < n; i++) {
    char buf[2048];
    pk_error_format(pk_diag_at(diag, i), buf, sizeof buf);
    fprintf(stderr, "%s\n", buf);
  }
  if (st == PK_ETRUST && n)
    fprintf(stderr, "plugkit: %zu difference%s from %s\n", n, n == 1 ? "" : "s",
            file);
  pk_diag_free(diag);
  return st == PK_OK ? 0 : 1;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  const char *file = cli_opt(&a, "--output");
  if (!file || !*file)
    file = CLI_LOCK_DEFAULT;
  pk_host *host = cli_host_new(&a, true);
  if (!host) {
    cli_args_free(&a);
    return 1;
  }
  if (cli_opt(&a, "--check")) {
    rc = check(host, file);
  } else {
    pk_error err;
    pk_error_clear(&err);
    rc = 0;
    if (pk_host_write_lock(host, file, &err) != PK_OK) {
      cli_print_error(&err);
      rc = 1;
    } else {
      size_t n = 0;
      for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
        pk_plugin_state s = pk_plugin_get_state(pk_host_plugin_at(host, i));
        n += s != PK_STATE_SHADOWED && s != PK_STATE_BROKEN;
      }
      printf("%s: %zu plugin%s locked\n", file, n, n == 1 ? "" : "s");
    }
  }
  pk_host_free(host);
  cli_args_free(&a);
  return rc;
}

const cli_command cli_lock = {
    "lock",
    run,
    "",
    "pin the plugins' files by their SHA-256 in a lock file",
    "Writes a lock file (TOML; " CLI_LOCK_DEFAULT " unless -o FILE) listing "
    "every plugin found in the search path (PLUGKIT_PATH, then each --path "
    "DIR; shadowed and broken ones left out): its NS:NAME, its manifest "
    "and its shared object, each with its SHA-256.  A host given the lock "
    "file (pk_host_options.lock_file, or PLUGKIT_LOCK=FILE) loads only "
    "plugins whose files match it.  With --check, compares the plugins "
    "with the lock file instead and prints every difference (a plugin "
    "added, removed, moved or changed) as FILE:LINE:COL: message; exits 1 "
    "when there is one.  No plugin code runs.",
    {{"--check", NULL, NULL,
      "compare the plugins with the lock file instead of writing it", false,
      NULL},
     {"--output", "-o", "FILE",
      "the lock file to write or check (default: " CLI_LOCK_DEFAULT ")", false,
      "file"},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}},
    NULL};
