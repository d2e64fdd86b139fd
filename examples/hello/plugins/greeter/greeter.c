/* greeter.c -- a hello-world plugin: logs from each lifecycle hook.  It
 * requires hello:names (a data-only plugin) in its manifest.
 * SPDX-License-Identifier: MIT */
#include <plugkit/plugin.h>

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  api->log(ctx, PK_PLUGIN_LOG_INFO, "registered from %s", api->plugin_dir(ctx));
  return 0;
}

static int on_post_register(const pk_host_api *api, pk_plugin_ctx *ctx,
                            void *ud, void *args)
{
  (void)ud;
  api->log(ctx, PK_PLUGIN_LOG_INFO, "hello, %s!",
           args ? (const char *)args : "nobody");
  return 0;
}

static void on_unload(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  api->log(ctx, PK_PLUGIN_LOG_INFO, "goodbye");
}

PK_PLUGIN_DEFINE("hello", "greeter", 1, on_register, on_post_register,
                 on_unload);
