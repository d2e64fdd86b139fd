/* badbind.h -- the body of the types/badbind_* fixtures, plugins whose
 * register hook adds a cache type with one wrong binding: each defines
 * BB_MEMBER (the struct member's declaration), BB_NAME (its name),
 * BB_FIELD (the schema field bound), BB_CTYPE (the PK_PLUGIN_C_* used) and
 * BB_TAG, then includes this.
 * SPDX-License-Identifier: MIT */
#ifndef PK_BADBIND_H
#define PK_BADBIND_H

#include <stdint.h>

#include "plugkit/plugin.h"

typedef struct conf {
  BB_MEMBER;
} conf;

static int factory(const pk_type_call *call, void **out)
{
  (void)call;
  *out = 0;
  return 0;
}

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  (void)ud;
  static const pk_plugin_binding b[] = {
      PK_PLUGIN_BIND(conf, BB_NAME, BB_FIELD, BB_CTYPE)};
  pk_type_impl t = {sizeof t, "cache", BB_TAG, factory, 0, 0, b, 1,
                    sizeof(conf)};
  return api->type_add(ctx, &t);
}

PK_PLUGIN_DEFINE(PLUGIN_NS, PLUGIN_NAME, 1, on_register, NULL, NULL);

#endif
