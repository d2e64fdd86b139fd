/* scenario.c -- the generic fixture plugin: records its hooks in the
 * collector and, from its register hook, adds the requirements listed in
 * the `hook_requires` file of its directory (one per line), like the
 * seed's results_maker extras.  Built once per fixture directory with
 * PLUGIN_NS and PLUGIN_NAME from its manifest.
 * SPDX-License-Identifier: MIT */
#include <plugkit/plugin.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  fixture_record(ud, "register", api->plugin_name(ctx), NULL);
  char path[4096], line[256];
  snprintf(path, sizeof path, "%s/hook_requires", api->plugin_dir(ctx));
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  int rc = 0;
  while (!rc && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0])
      rc = api->require(ctx, line);
  }
  fclose(f);
  return rc;
}

static int on_post(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud,
                   void *args)
{
  fixture_record(ud, "post", api->plugin_name(ctx), (const char *)args);
  return 0;
}

static void on_unload(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  fixture_record(ud, "unload", api->plugin_name(ctx), NULL);
}

PK_PLUGIN_DEFINE(PLUGIN_NS, PLUGIN_NAME, 1, on_register, on_post, on_unload);
