/* plugin_api.c -- the host-API table plugins call (plugkit/plugin.h): the
 * entries of the registries (hooks, types) and those of the stages.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "stages.h"

#define PLUGIN(ctx) ((pk_plugin *)(ctx))

static void api_log(pk_plugin_ctx *ctx, int level, const char *fmt, ...)
{
  pk_plugin *p = PLUGIN(ctx);
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (level < PK_LOG_DEBUG || level > PK_LOG_ERROR)
    level = PK_LOG_INFO;
  pk__log(p->host, (pk_log_level)level, p, "%s", msg);
}

static int api_fail(pk_plugin_ctx *ctx, const char *fmt, ...)
{
  pk_error e;
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(&e, PK_EPLUGIN, (pk_pos){NULL, 0, 0}, fmt, ap);
  va_end(ap);
  return pk__plugin_hook_fail(PLUGIN(ctx), &e);
}

static int api_require(pk_plugin_ctx *ctx, const char *text)
{
  pk_plugin *p = PLUGIN(ctx);
  pk_host *h = p->host;
  pk_error e;
  if (h->in_hook != p || p->state != PK_STATE_LOADED) {
    pk__fail(&e, PK_EMISUSE, "%s called require(\"%s\") outside its register "
             "hook", p->id, text ? text : "(null)");
    goto fail;
  }
  pk__req r;
  char why[512];
  if (!text || pk__req_parse(text, &r, why, sizeof why) != PK_OK) {
    pk__fail(&e, PK_EMANIFEST, "%s", text ? why : "requirement is NULL");
    goto fail;
  }
  if (!r.ns[0])
    pk__copy_str(r.ns, sizeof r.ns, p->m.ns);
  char *copy = pk__strdup(&h->alloc, text);
  if (!copy ||
      PK__VEC_PUSH(&h->alloc, p->dyn_reqs, p->ndyn, p->dyncap, copy) != PK_OK) {
    pk__strfree(&h->alloc, copy);
    pk__fail(&e, PK_ENOMEM, "out of memory");
    goto fail;
  }
  if (pk__host_require(h, p, &r, text, false, &e) != PK_OK)
    goto fail;
  /* a cycle closed by this edge is an error now, not at the next pass
   * (the error names the whole chain) */
  if (pk__host_commit(h, &e) != PK_OK) {
    h->hook_err = e;
    h->hook_failed = true;
    return e.code;
  }
  return PK_OK;
fail:
  return pk__plugin_hook_fail(p, &e);
}

static const char *api_plugin_name(pk_plugin_ctx *ctx)
{
  return PLUGIN(ctx)->id;
}

static void api_set_data(pk_plugin_ctx *ctx, void *data)
{
  PLUGIN(ctx)->data = data;
}

static void *api_get_data(pk_plugin_ctx *ctx) { return PLUGIN(ctx)->data; }

static const char *api_plugin_dir(pk_plugin_ctx *ctx)
{
  return PLUGIN(ctx)->dir;
}

static const char *api_plugin_alias(pk_plugin_ctx *ctx)
{
  pk_plugin *p = (pk_plugin *)ctx;
  return p->conf ? p->conf->alias : NULL;
}

static int api_config_bind(pk_plugin_ctx *ctx, const pk_plugin_binding *b,
                           size_t n, void *dst)
{
  pk_plugin *p = (pk_plugin *)ctx;
  pk_error e;
  if (!p->conf || !p->conf->config) {
    pk__fail(&e, PK_ENOTFOUND, "%s has no [plugins.ALIAS] section: the host "
             "loaded no config declaring it", p->id);
    return pk__plugin_hook_fail(p, &e);
  }
  pk_binding bs[64];
  if (n > 64 || (n && (!b || !dst))) {
    pk__fail(&e, PK_EMISUSE, "%s: config_bind takes 1 to 64 bindings and a "
             "struct", p->id);
    return pk__plugin_hook_fail(p, &e);
  }
  pk__plugin_bindings(b, n, bs);
  pk_status st = pk__check_bindings(pk_config_get_schema(p->conf->config), bs,
                                    n, true, &e);
  for (size_t i = 0; st == PK_OK && i < n; i++)
    st = b[i].ctype == PK_PLUGIN_C_STRINGS
             ? pk__bind_strings(&p->host->alloc, p->conf->config, &b[i], dst,
                                &p->conf->strv, &e)
             : pk__config_bind(p->conf->config, &bs[i], 1, dst, true, &e);
  if (st != PK_OK)
    return pk__plugin_hook_fail(p, &e);
  return 0;
}
static int api_hook_fail(pk_hook_ctx *call, int status, const char *fmt,
                         ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = pk__api_hook_vfail(call, status, fmt, ap);
  va_end(ap);
  return rc;
}

const pk_host_api pk__host_api = {
    sizeof(pk_host_api), PK_PLUGIN_ABI, api_log,      api_fail,
    api_require,         api_plugin_name, api_set_data, api_get_data,
    api_plugin_dir,
    /* hooks (hooks.c) */
    pk__api_hook_add, api_hook_fail, pk__api_hook_next, pk__api_hook_error,
    pk__api_hook_result_count, pk__api_hook_result_at,
    pk__api_hook_set_result_count,
    /* types (types.c) and the plugin's configuration (here) */
    pk__api_type_add, api_plugin_alias, api_config_bind,
};
