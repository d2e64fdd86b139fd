/* host.c -- the pk_host life cycle: options, namespaces, search paths and
 * built-in plugins before discovery; teardown (the host config and its
 * instances, then unload hooks in reverse registration order, then the
 * shared objects in reverse load order); the plugin list and the layered
 * order.  The stages themselves are register.c.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "mcache.h"

/* ---- host life cycle ---- */

static pk_status add_path(pk_host *h, const char *dir, size_t len)
{
  char *s = pk__strndup(&h->alloc, dir, len);
  if (!s)
    return PK_ENOMEM;
  if (PK__VEC_PUSH(&h->alloc, h->paths, h->npaths, h->pathcap, s) != PK_OK) {
    pk__free(&h->alloc, s, len + 1);
    return PK_ENOMEM;
  }
  return PK_OK;
}

pk_status pk_host_new(const pk_host_options *opts, pk_host **out,
                      pk_error *err)
{
  pk_host_options o = {.size = sizeof o};
  if (!out)
    return pk__fail(err, PK_EMISUSE, "pk_host_new: out is NULL");
  *out = NULL;
  if (opts) {
    if (opts->size < offsetof(pk_host_options, ignore_env))
      return pk__fail(err, PK_EMISUSE,
                      "pk_host_new: options.size %u is too small (set it to "
                      "sizeof(pk_host_options))",
                      opts->size);
    memcpy(&o, opts, opts->size < sizeof o ? opts->size : sizeof o);
  }
  pk__allocator a = {o.alloc, o.alloc_ud};
  pk_host *h = pk__alloc_zero(&a, sizeof *h);
  if (!h)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  h->alloc = a;
  pthread_mutex_init(&h->wake_mu, NULL);
  h->wake_hook = pk__lazy_wake_hook; /* for the hook dispatcher */
  h->manifest_root = pk__mc_root;    /* for pk__manifest_root */
  h->code_enter = pk_host_code_enter; /* for the host's callbacks */
  h->code_leave = pk_host_code_leave;
  pk__arena_init(&h->records, &h->alloc);
  h->records_alloc = (pk__allocator){pk__arena_fn, &h->records};
  h->log = o.log;
  h->log_ud = o.log_ud;
  h->userdata = o.userdata;
  h->strict = o.strict;
  h->trace = o.trace;
  h->trace_ud = o.trace_ud;
  h->watch = o.watch;
  h->watch_ud = o.watch_ud;
  if (o.cache_path && !(h->cache_path = pk__strdup(&h->alloc, o.cache_path)))
    goto nomem;
  const char *lock = o.lock_file;
  if (!lock && !o.ignore_env && (lock = getenv("PLUGKIT_LOCK")) && !*lock)
    lock = NULL;
  if (lock && !(h->lock_path = pk__strdup(&h->alloc, lock)))
    goto nomem;
  const char *insecure = o.ignore_env ? NULL : getenv("PLUGKIT_INSECURE_PATHS");
  h->insecure_paths = o.insecure_paths || (insecure && !strcmp(insecure, "1"));
  const char *sigs = o.ignore_env ? NULL : getenv("PLUGKIT_CRASH_SIGNALS");
  h->crash_signals = o.crash_signals || (sigs && !strcmp(sigs, "1"));
  h->graph = pk__graph_new(&h->alloc);
  if (!h->graph)
    goto nomem;
  const char *env = o.ignore_env ? NULL : getenv("PLUGKIT_PATH");
  while (env && *env) {
    size_t len = strcspn(env, ":");
    if (len && add_path(h, env, len) != PK_OK)
      goto nomem;
    env += len + (env[len] == ':');
  }
  h->env_paths = h->npaths;
  *out = h;
  return PK_OK;
nomem:
  pk_host_free(h);
  return pk__fail(err, PK_ENOMEM, "out of memory");
}

static void unload_all(pk_host *h)
{
  for (size_t i = h->nregistered; i-- > 0;) {
    pk_plugin *p = h->registered[i];
    if (p->state == PK_STATE_UNLOADED)
      continue; /* pk_host_unload_plugin() did it */
    pk__run_unload(h, p);
    p->state = PK_STATE_UNLOADED;
  }
  pk__close_all(h);
}

void pk_host_free(pk_host *h)
{
  if (!h)
    return;
  pk__allocator a = h->alloc;
  if (h->release)
    h->release(h); /* the host config: instances first, newest first */
  pk__types_free(h);
  unload_all(h);
  pk__journal_close(h);
  pk__lock_free(h);
  pk__strfree(&a, h->lock_path);
  pk__hooks_free(h);
  for (size_t i = 0; i < h->nplugins; i++)
    pk__plugin_free(h, h->plugins[i]);
  pk__arena_release(&h->records);
  pk__free(&a, h->plugins, h->plugcap * sizeof *h->plugins);
  pk__map_free(&a, &h->by_id);
  pk__graph_free(h->graph);
  pk__free(&a, h->by_node, h->nodecap * sizeof *h->by_node);
  pk__free(&a, h->registered, h->regcap * sizeof *h->registered);
  pk__free(&a, h->opened, h->opencap * sizeof *h->opened);
  pk__free(&a, h->post_args, h->npost_args * sizeof *h->post_args);
  for (size_t i = 0; i < h->nns; i++)
    pk__strfree(&a, h->ns[i].name);
  pk__free(&a, h->ns, h->nscap * sizeof *h->ns);
  pk__strfree(&a, h->cache_path);
  for (size_t i = 0; i < h->npaths; i++)
    pk__strfree(&a, h->paths[i]);
  pk__free(&a, h->paths, h->pathcap * sizeof *h->paths);
  for (size_t i = 0; i < h->nbuiltins; i++)
    pk__strfree(&a, h->builtins[i].text);
  pk__free(&a, h->builtins, h->bcap * sizeof *h->builtins);
  pk__mc_release(h); /* after every manifest */
  pthread_mutex_destroy(&h->wake_mu);
  pk__free(&a, h, sizeof *h);
}

static pk_status before_discovery(pk_host *h, const char *fn, pk_error *err)
{
  if (!h)
    return pk__fail(err, PK_EMISUSE, "%s: host is NULL", fn);
  if (h->discovered)
    return pk__fail(err, PK_ESTATE,
                    "%s: plugins were already discovered; configure the "
                    "host before the first discovery or registration",
                    fn);
  return PK_OK;
}

pk_status pk_host_add_namespace(pk_host *h, const char *ns, uint32_t abi,
                                pk_error *err)
{
  pk_status st = before_discovery(h, "pk_host_add_namespace", err);
  if (st != PK_OK)
    return st;
  if (!ns || !pk__name_valid(ns, strlen(ns)))
    return pk__fail(err, PK_EMISUSE,
                    "invalid namespace \"%s\": use 1 to 127 letters, digits, "
                    "'_', '.' or '-'",
                    ns ? ns : "(null)");
  for (size_t i = 0; i < h->nns; i++)
    if (!strcmp(h->ns[i].name, ns))
      return pk__fail(err, PK_EDUPLICATE, "namespace \"%s\" added twice", ns);
  pk__ns n = {pk__strdup(&h->alloc, ns), abi};
  if (!n.name || PK__VEC_PUSH(&h->alloc, h->ns, h->nns, h->nscap, n) != PK_OK) {
    pk__strfree(&h->alloc, n.name);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  return PK_OK;
}

pk_status pk_host_add_path(pk_host *h, const char *dir, pk_error *err)
{
  pk_status st = before_discovery(h, "pk_host_add_path", err);
  if (st != PK_OK)
    return st;
  if (!dir || !*dir)
    return pk__fail(err, PK_EMISUSE, "pk_host_add_path: empty directory");
  if (add_path(h, dir, strlen(dir)) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

pk_status pk_host_add_builtin(pk_host *h, const pk_plugin_desc *desc,
                              const char *manifest_toml, pk_error *err)
{
  pk_status st = before_discovery(h, "pk_host_add_builtin", err);
  if (st != PK_OK)
    return st;
  if (!manifest_toml)
    return pk__fail(err, PK_EMISUSE, "pk_host_add_builtin: no manifest");
  pk__builtin b = {desc, pk__strdup(&h->alloc, manifest_toml)};
  if (!b.text ||
      PK__VEC_PUSH(&h->alloc, h->builtins, h->nbuiltins, h->bcap, b) != PK_OK) {
    pk__strfree(&h->alloc, b.text);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  return PK_OK;
}

/* ---- layers and accessors ---- */

static bool layers_ready(pk_host *h)
{
  if (!h || h->fatal)
    return false;
  pk_error e;
  return pk__layering(h, &e) == PK_OK;
}

size_t pk_host_layer_count(pk_host *h)
{
  size_t n = 0;
  if (layers_ready(h))
    pk__graph_layer_starts(h->graph, &n);
  return n;
}

size_t pk_host_layer_size(pk_host *h, size_t layer)
{
  size_t n = 0;
  if (!layers_ready(h))
    return 0;
  const uint32_t *s = pk__graph_layer_starts(h->graph, &n);
  return layer < n ? s[layer + 1] - s[layer] : 0;
}

pk_plugin *pk_host_layer_plugin_at(pk_host *h, size_t layer, size_t i)
{
  size_t n = 0, total;
  if (!layers_ready(h))
    return NULL;
  const uint32_t *s = pk__graph_layer_starts(h->graph, &n);
  if (layer >= n || i >= s[layer + 1] - s[layer])
    return NULL;
  return h->by_node[pk__graph_order(h->graph, &total)[s[layer] + i]];
}

size_t pk_host_plugin_count(pk_host *h)
{
  if (!h || pk_host_discover(h, NULL) != PK_OK)
    return h ? h->nplugins : 0;
  return h->nplugins;
}

pk_plugin *pk_host_plugin_at(pk_host *h, size_t i)
{
  return h && i < pk_host_plugin_count(h) ? h->plugins[i] : NULL;
}

pk_plugin *pk_host_find_plugin(pk_host *h, const char *ns_name)
{
  if (!h || !ns_name)
    return NULL;
  pk_host_discover(h, NULL);
  return pk__map_get(&h->by_id, ns_name, strlen(ns_name));
}

size_t pk_plugin_dependency_count(const pk_plugin *p)
{
  return p->node == PK__NO_NODE ? 0
                                 : pk__graph_dep_count(p->host->graph, p->node);
}

pk_plugin *pk_plugin_dependency_at(const pk_plugin *p, size_t i)
{
  if (i >= pk_plugin_dependency_count(p))
    return NULL;
  return p->host->by_node[pk__graph_dep_at(p->host->graph, p->node, i)];
}

int pk_plugin_get_layer(const pk_plugin *p)
{
  if (p->node == PK__NO_NODE || !layers_ready(p->host))
    return -1;
  return (int)pk__graph_layer_of(p->host->graph, p->node);
}

