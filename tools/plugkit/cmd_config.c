/* cmd_config.c -- `plugkit config check [--host HOST.toml] [--path DIR]...
 * CONFIG.toml`: every problem of a host config, each with its position.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "cli.h"

static const char usage[] =
    "config check [--host HOST.toml] [--path DIR]... CONFIG.toml";

int cmd_config(int argc, char **argv)
{
  const char *host_file = NULL, *config = NULL;
  const char *paths[64];
  size_t npaths = 0;
  if (argc < 2 || strcmp(argv[1], "check"))
    return cli_usage_error(usage, "expected the subcommand \"check\"");
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: plugkit %s\n", usage);
      return 0;
    }
    if (!strcmp(argv[i], "--host") || !strcmp(argv[i], "--path")) {
      if (i + 1 == argc)
        return cli_usage_error(usage, "%s needs a value", argv[i]);
      if (argv[i][2] == 'h')
        host_file = argv[++i];
      else if (npaths < 64)
        paths[npaths++] = argv[++i];
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1])
      return cli_usage_error(usage, "unknown option %s", argv[i]);
    if (config)
      return cli_usage_error(usage, "one CONFIG.toml only");
    config = argv[i];
  }
  if (!config)
    return cli_usage_error(usage, "missing CONFIG.toml");
  pk_host *host;
  pk_diag *diag = NULL;
  pk_error err;
  pk_host_options o = {.size = sizeof o};
  if (pk_host_new(&o, &host, &err) != PK_OK ||
      pk_diag_new(NULL, &diag, &err) != PK_OK) {
    cli_print_error(&err);
    pk_host_free(host);
    return 1;
  }
  int rc = 0;
  if (host_file && pk_host_load_description(host, host_file, &err) != PK_OK) {
    cli_print_error(&err);
    rc = 1;
  }
  for (size_t i = 0; rc == 0 && i < npaths; i++)
    if (pk_host_add_path(host, paths[i], &err) != PK_OK) {
      cli_print_error(&err);
      rc = 1;
    }
  if (rc == 0 && pk_host_load_config(host, config, diag, &err) != PK_OK) {
    size_t n = pk_diag_count(diag);
    if (n == 0)
      cli_print_error(&err);
    for (size_t i = 0; i < n; i++) {
      char buf[2048];
      pk_error_format(pk_diag_at(diag, i), buf, sizeof buf);
      fprintf(stderr, "%s\n", buf);
    }
    fprintf(stderr, "plugkit: %zu problem%s in %s\n", n ? n : 1,
            n == 1 ? "" : "s", config);
    rc = 1;
  } else if (rc == 0) {
    printf("%s: ok\n", config);
  }
  pk_diag_free(diag);
  pk_host_free(host);
  return rc;
}
