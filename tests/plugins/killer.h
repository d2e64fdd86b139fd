/* killer.h -- the body of the killers fixtures (tests/fixtures/killers):
 * each defines KILL() (crash, abort, exit, _exit or hang) and includes
 * this.  The plugin kills its process in the step $PK_TEST_KILL_AT names:
 * "load" (a constructor run by dlopen), "register", "post_register",
 * "unload" (the unload hook) or "dlclose" (a destructor); in any other
 * step, or when it is unset, it does nothing.
 * SPDX-License-Identifier: MIT */
#ifndef PK_KILLER_H
#define PK_KILLER_H

#include <plugkit/plugin.h>
#include <stdlib.h>
#include <string.h>

static void kill_at(const char *step)
{
  const char *at = getenv("PK_TEST_KILL_AT");
  if (at && !strcmp(at, step))
    KILL();
}

__attribute__((constructor)) static void on_load(void) { kill_at("load"); }
__attribute__((destructor)) static void on_dlclose(void) { kill_at("dlclose"); }

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)api; (void)ctx; (void)ud;
  kill_at("register");
  return 0;
}

static int on_post(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud,
                   void *args)
{
  (void)api; (void)ctx; (void)ud; (void)args;
  kill_at("post_register");
  return 0;
}

static void on_unload(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)api; (void)ctx; (void)ud;
  kill_at("unload");
}

PK_PLUGIN_DEFINE(PLUGIN_NS, PLUGIN_NAME, 1, on_register, on_post, on_unload);

#endif
