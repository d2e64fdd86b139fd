/* host.c -- pk_host life cycle, staged registration and plugin states.
 * SPDX-License-Identifier: MIT
 *
 * The stages follow the seed's addon manager: requested plugins become
 * "known"; importing loads every known plugin in rounds (what a round
 * discovers waits for the next one); resolving runs register hooks in layer
 * order, pass after pass, importing what the hooks require in between;
 * post_register runs in the final layer order.  Unlike the seed, every
 * requirement is checked the moment it appears: a missing plugin, a version
 * or ABI mismatch or a cycle fails the stage before any further hook runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* ---- logging, reasons, records ---- */

void pk__log(pk_host *h, pk_log_level level, const pk_plugin *p,
             const char *fmt, ...)
{
  if (!h->log)
    return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  h->log(h->log_ud, level, p ? p->id : NULL, msg);
}

void pk__plugin_set_reason(pk_plugin *p, const char *fmt, ...)
{
  char buf[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *s = pk__strdup(&p->host->alloc, buf);
  if (!s)
    return; /* keep the old reason: out of memory */
  pk__strfree(&p->host->alloc, p->reason);
  p->reason = s;
  p->reason_state = -1;
}

void pk__plugin_fail(pk_plugin *p, pk_plugin_state state, const pk_error *err)
{
  p->state = state;
  if (!p->error)
    p->error = pk__alloc(&p->host->alloc, sizeof *p->error);
  if (p->error) {
    *p->error = *err;
    if (!p->error->plugin[0] && state == PK_STATE_FAILED)
      pk__copy_str(p->error->plugin, sizeof p->error->plugin, p->id);
  }
  char text[1100];
  pk_error_format(err, text, sizeof text);
  pk__plugin_set_reason(p, "%s", text);
}

pk_status pk__plugin_new(pk_host *h, pk_plugin **out)
{
  pk_plugin *p = pk__alloc_zero(&h->records_alloc, sizeof *p);
  if (!p)
    return PK_ENOMEM;
  p->host = h;
  p->node = PK__NO_NODE;
  p->state = PK_STATE_DISCOVERED;
  *out = p;
  return PK_OK;
}

/* The record, its names, paths and manifest live in h->records (released
 * as a whole); only what changes after discovery is freed here. */
void pk__plugin_free(pk_host *h, pk_plugin *p)
{
  const pk__allocator *a = &h->alloc;
  pk__strfree(a, p->reason);
  pk__free(a, p->error, sizeof *p->error);
  for (size_t i = 0; i < p->ndyn; i++)
    pk__strfree(a, p->dyn_reqs[i]);
  pk__free(a, p->dyn_reqs, p->dyncap * sizeof *p->dyn_reqs);
}

/* ---- host life cycle ---- */

static pk_status add_path(pk_host *h, const char *dir, size_t len)
{
  char *s = pk__alloc(&h->alloc, len + 1);
  if (!s)
    return PK_ENOMEM;
  memcpy(s, dir, len);
  s[len] = '\0';
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
  pk__arena_init(&h->records, &h->alloc);
  h->records_alloc = (pk__allocator){pk__arena_fn, &h->records};
  h->log = o.log;
  h->log_ud = o.log_ud;
  h->userdata = o.userdata;
  h->strict = o.strict;
  h->trace = o.trace;
  h->trace_ud = o.trace_ud;
  if (o.cache_path && !(h->cache_path = pk__strdup(&h->alloc, o.cache_path)))
    goto nomem;
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
    uint64_t t0 = pk__trace_begin(h);
    if (p->desc && p->desc->on_unload)
      p->desc->on_unload(&pk__host_api, (pk_plugin_ctx *)p, h->userdata);
    pk__trace_plugin(h, PK_TRACE_UNLOAD, p, t0, PK_OK);
    p->state = PK_STATE_UNLOADED;
  }
  for (size_t i = h->nopened; i-- > 0;) {
    pk_plugin *p = h->opened[i];
    if (!(p->desc && (p->desc->flags & PK_PLUGIN_RESIDENT)))
      pk__dl_close(p->handle);
    p->handle = NULL;
    p->state = PK_STATE_UNLOADED;
  }
}

void pk_host_free(pk_host *h)
{
  if (!h)
    return;
  pk__allocator a = h->alloc;
  pk__types_free(h); /* instances first, newest first */
  unload_all(h);
  pk__hooks_free(h);
  for (size_t i = 0; i < h->nplugins; i++)
    pk__plugin_free(h, h->plugins[i]);
  pk__arena_release(&h->records);
  pk__free(&a, h->plugins, h->plugcap * sizeof *h->plugins);
  pk__map_free(&a, &h->by_id);
  pk__graph_free(h->graph);
  pk__free(&a, h->by_node, h->nodecap * sizeof *h->by_node);
  pk__free(&a, h->known, h->knowncap * sizeof *h->known);
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
  pk__free(&a, h->cache_data, h->cache_size); /* after every manifest */
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

pk_status pk_host_discover(pk_host *h, pk_error *err)
{
  if (!h)
    return pk__fail(err, PK_EMISUSE, "pk_host_discover: host is NULL");
  if (h->discovered)
    return h->fatal ? pk__error_copy(err, &h->fatal_err) : PK_OK;
  pk_error e;
  pk_error_clear(&e);
  pk_status st = pk__discover(h, &e);
  if (st != PK_OK) {
    h->fatal = st;
    h->fatal_err = e;
    return pk__error_copy(err, &e);
  }
  return PK_OK;
}

/* ---- finding requirement targets ---- */

static const pk__ns *find_ns(const pk_host *h, const char *ns)
{
  for (size_t i = 0; i < h->nns; i++)
    if (!strcmp(h->ns[i].name, ns))
      return &h->ns[i];
  return NULL;
}

static bool ns_accepted(const pk_host *h, const char *ns)
{
  return h->nns == 0 || find_ns(h, ns) != NULL;
}

static pk_plugin *find_active(const pk_host *h, const char *ns,
                              const char *name)
{
  char id[PK__NAME_MAX * 2 + 2];
  size_t ln = strlen(ns), lm = strlen(name);
  memcpy(id, ns, ln);
  id[ln] = ':';
  memcpy(id + ln + 1, name, lm);
  return pk__map_get(&h->by_id, id, ln + lm + 1);
}

/* "plugin ns:a requires \"...\"" or "the host requested \"...\"". */
static void who(char *buf, size_t n, const pk_plugin *from, const char *text)
{
  if (from)
    snprintf(buf, n, "plugin %s requires \"%s\"", from->id, text);
  else
    snprintf(buf, n, "the host requested \"%s\"", text);
}

static pk_status fail_req(pk_error *err, pk_status code, const pk_plugin *from,
                          pk_pos pos, const char *fmt, ...) PK__PRINTF(5, 6);

static pk_status fail_req(pk_error *err, pk_status code, const pk_plugin *from,
                          pk_pos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(err, code, pos, fmt, ap);
  va_end(ap);
  if (from)
    pk__error_set_plugin(err, from->id);
  return code;
}

static pk_status missing(pk_host *h, const pk_plugin *from, const pk__req *r,
                         const char *text, pk_pos pos, pk_error *err)
{
  char whom[512], list[512] = "", hint[700] = "";
  who(whom, sizeof whom, from, text);
  /* a broken manifest in a directory of that name is the likely cause */
  for (size_t i = 0; i < h->nplugins; i++) {
    pk_plugin *p = h->plugins[i];
    if (p->state == PK_STATE_BROKEN && !strcmp(p->id, r->name) && p->error) {
      char e[600];
      pk_error_format(p->error, e, sizeof e);
      snprintf(hint, sizeof hint, " (the plugin directory %s has a broken "
               "manifest: %s)", p->dir, e);
      break;
    }
  }
  /* the closest installed name of the namespace */
  const char *names[64];
  size_t nn = 0;
  for (size_t i = 0; i < h->nplugins && nn < 64; i++) {
    pk_plugin *p = h->plugins[i];
    if (p->m.ns && !strcmp(p->m.ns, r->ns) && p->state != PK_STATE_SHADOWED)
      names[nn++] = p->m.name;
  }
  const char *near = pk__closest(r->name, names, nn);
  const char *paths[32];
  size_t np = h->npaths < 32 ? h->npaths : 32;
  for (size_t i = 0; i < np; i++)
    paths[i] = h->paths[i];
  pk__join(list, sizeof list, paths, np);
  return fail_req(err, PK_EDEP_MISSING, from, pos,
                  "%s, but no plugin %s:%s is installed%s%s%s%s%s%s; "
                  "install it in a search path (%s) or remove the "
                  "requirement",
                  whom, r->ns, r->name, hint, near ? " (did you mean " : "",
                  near ? r->ns : "", near ? ":" : "", near ? near : "",
                  near ? "?)" : "",
                  list[0] ? list : "none configured");
}

/* Makes p known (appends it to the known order and the graph). */
static pk_status add_known(pk_host *h, pk_plugin *p, pk_plugin *from)
{
  if (p->node != PK__NO_NODE)
    return PK_OK;
  uint32_t node;
  if (pk__vec_reserve(&h->alloc, (void **)&h->by_node, &h->nodecap,
                      h->nknown + 1, sizeof *h->by_node) != PK_OK ||
      pk__vec_reserve(&h->alloc, (void **)&h->known, &h->knowncap,
                      h->nknown + 1, sizeof *h->known) != PK_OK)
    return PK_ENOMEM;
  if (pk__graph_add_node(h->graph, p->key, &node) != PK_OK)
    return PK_ENOMEM;
  p->node = node;
  h->by_node[node] = p;
  h->known[h->nknown++] = p;
  p->state = PK_STATE_REQUESTED;
  p->required_by = from;
  h->layers_dirty = true;
  return PK_OK;
}

static pk_status link(pk_host *h, pk_plugin *from, pk_plugin *to)
{
  h->layers_dirty = true;
  return from ? pk__graph_add_edge(h->graph, from->node, to->node) : PK_OK;
}

static pk_status all_conflict(pk_plugin *requester_all, pk_plugin *namer,
                              pk_error *err)
{
  return fail_req(
      err, PK_EDEP_CYCLE, namer, (pk_pos){NULL, 0, 0},
      "plugin %s requires %s by name, but %s requires %s:__all__ (it must "
      "come after every other plugin of its namespace, %s included); remove "
      "one of the two requirements",
      namer->id, requester_all->id, requester_all->id, requester_all->m.ns,
      namer->id);
}

pk_status pk__host_require(pk_host *h, pk_plugin *from, const pk__req *r,
                           const char *text, bool optional, pk_error *err)
{
  pk_pos pos = {NULL, 0, 0};
  char whom[512];
  if (from) /* position of a manifest requirement, when it is one */
    for (size_t i = 0; i < from->m.nreq; i++)
      if (from->m.reqs[i].text == text)
        pos = from->m.reqs[i].pos;
  if (!ns_accepted(h, r->ns)) {
    const char *names[64];
    size_t n = h->nns < 64 ? h->nns : 64;
    char list[512];
    for (size_t i = 0; i < n; i++)
      names[i] = h->ns[i].name;
    pk__join(list, sizeof list, names, n);
    who(whom, sizeof whom, from, text);
    return fail_req(err, PK_EDEP_MISSING, from, pos,
                    "%s, but namespace \"%s\" is unknown to this host (it "
                    "accepts: %s); fix the namespace of the requirement",
                    whom, r->ns, list);
  }
  if (!strcmp(r->name, "__all__")) {
    if (from && !from->requires_all) {
      from->requires_all = true;
      if (from->named_by)
        return all_conflict(from, from->named_by, err);
    }
    /* every plugin of the namespace not known yet, in (ns, name) order */
    for (size_t i = 0; i < h->nplugins; i++) {
      pk_plugin *p = h->plugins[i];
      if (p->node != PK__NO_NODE || !p->m.ns || strcmp(p->m.ns, r->ns) ||
          p->state != PK_STATE_DISCOVERED)
        continue;
      if (add_known(h, p, from) != PK_OK || link(h, from, p) != PK_OK)
        return pk__fail(err, PK_ENOMEM, "out of memory");
    }
    return PK_OK;
  }
  pk_plugin *p = find_active(h, r->ns, r->name);
  if (!p) {
    if (optional) {
      pk__log(h, PK_LOG_DEBUG, from, "optional %s:%s is not installed",
              r->ns, r->name);
      return PK_OK;
    }
    return missing(h, from, r, text, pos, err);
  }
  if (!pk__req_matches(r, &p->m.version)) {
    char want[256];
    pk__req_constraint_text(r, want, sizeof want);
    who(whom, sizeof whom, from, text);
    if (optional) {
      pk__log(h, PK_LOG_WARN, from,
              "%s, but %s %s is installed: optional requirement ignored",
              whom, p->id, p->m.version_text);
      return PK_OK;
    }
    return fail_req(err, PK_EDEP_VERSION, from, pos,
                    "%s, but %s %s is installed (%s); install a version of %s "
                    "matching %s or relax the constraint",
                    whom, p->id, p->m.version_text, p->manifest_path, p->id,
                    want);
  }
  if (from == p)
    return fail_req(err, PK_EDEP_CYCLE, from, pos, "plugin %s requires itself",
                    p->id);
  if (from) {
    if (p->requires_all)
      return all_conflict(p, from, err);
    if (!p->named_by)
      p->named_by = from;
  }
  if (add_known(h, p, from) != PK_OK || link(h, from, p) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

/* ---- the stages ---- */

static pk_status stage_guard(pk_host *h, const char *fn, pk_error *err)
{
  if (!h)
    return pk__fail(err, PK_EMISUSE, "%s: host is NULL", fn);
  if (h->in_hook)
    return pk__fail(err, PK_EMISUSE, "%s: called from inside a plugin hook",
                    fn);
  pk_status st = pk_host_discover(h, err);
  if (st != PK_OK)
    return st;
  if (h->fatal)
    return pk__error_copy(err, &h->fatal_err);
  return PK_OK;
}

/* Remembers a stage failure: later stages return it again. */
static pk_status poison(pk_host *h, const pk_error *e, pk_error *err)
{
  h->fatal = e->code;
  h->fatal_err = *e;
  return pk__error_copy(err, e);
}

static pk_status cycle_error(pk_host *h, pk_error *err)
{
  const uint32_t *nodes;
  size_t n = pk__graph_cycle(h->graph, &nodes);
  char chain[700] = "";
  size_t used = 0;
  for (size_t i = 0; i < n && used < sizeof chain; i++) {
    int k = snprintf(chain + used, sizeof chain - used, "%s%s",
                     i ? " -> " : "", h->by_node[nodes[i]]->id);
    if (k < 0)
      break;
    used += (size_t)k;
  }
  pk_error e;
  pk__fail(&e, PK_EDEP_CYCLE,
           "dependency cycle: %s; remove one of these requirements", chain);
  if (n)
    pk__error_set_plugin(&e, h->by_node[nodes[0]]->id);
  return poison(h, &e, err);
}

pk_status pk__host_commit(pk_host *h, pk_error *err)
{
  pk_status st = pk__graph_commit(h->graph);
  if (st == PK_EDEP_CYCLE)
    return cycle_error(h, err);
  if (st != PK_OK)
    return pk__fail(err, st, "out of memory");
  return PK_OK;
}

pk_status pk_host_request(pk_host *h, const char *const *reqs, size_t n,
                          pk_error *err)
{
  pk_status st = stage_guard(h, "pk_host_request", err);
  if (st != PK_OK)
    return st;
  /* Explicit names first, then the __all__ expansions, as the seed does. */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < n; i++) {
      pk__req r;
      char why[512];
      if (pass == 1 && !strstr(reqs[i], "__all__"))
        continue; /* checked by the first pass, and not an expansion */
      if (pk__req_parse(reqs[i], &r, why, sizeof why) != PK_OK)
        return pk__fail(err, PK_EMISUSE, "%s", why);
      if ((strcmp(r.name, "__all__") == 0) != (pass == 1))
        continue;
      if (!r.ns[0]) {
        if (h->nns != 1)
          return pk__fail(err, PK_EMISUSE,
                          "request \"%s\" needs a namespace (\"ns:%s\")",
                          reqs[i], r.name);
        pk__copy_str(r.ns, sizeof r.ns, h->ns[0].name);
      }
      pk_error e;
      st = pk__host_require(h, NULL, &r, reqs[i], false, &e);
      if (st != PK_OK)
        return poison(h, &e, err);
    }
  return PK_OK;
}

/* Checks the descriptor of a loaded (or built-in) plugin against its
 * manifest before anything in it is called. */
static pk_status check_desc(pk_plugin *p, const pk_plugin_desc *d,
                            pk_error *err)
{
  const char *file = p->library_path ? p->library_path : p->manifest_path;
  if (d->abi != PK_PLUGIN_ABI)
    return pk__fail(err, PK_EABI,
                    "%s was built for plugkit plugin ABI %u, this host "
                    "uses ABI %u; rebuild the plugin against this plugkit",
                    file, d->abi, PK_PLUGIN_ABI);
  size_t need = offsetof(pk_plugin_desc, on_unload) + sizeof d->on_unload;
  if (d->size < need)
    return pk__fail(err, PK_EABI,
                    "%s has a descriptor of %u bytes, plugin ABI %u needs at "
                    "least %zu; rebuild the plugin with PK_PLUGIN_DEFINE",
                    file, d->size, PK_PLUGIN_ABI, need);
  if (!d->namespace_name || !d->name || strcmp(d->namespace_name, p->m.ns) ||
      strcmp(d->name, p->m.name))
    return pk__fail(err, PK_ELOAD,
                    "%s defines plugin \"%s:%s\" but its manifest %s names "
                    "\"%s\"; make PK_PLUGIN_DEFINE and plugin.toml agree",
                    file, d->namespace_name ? d->namespace_name : "(null)",
                    d->name ? d->name : "(null)", p->manifest_path, p->id);
  if (p->m.has_abi && d->host_abi != p->m.abi)
    return pk__fail(err, PK_EABI,
                    "%s was compiled for ABI %u of namespace \"%s\" but its "
                    "manifest says abi = %u; rebuild it or fix the manifest",
                    file, d->host_abi, p->m.ns, p->m.abi);
  return PK_OK;
}

/* Opens p's shared object and checks it.  Data-only plugins have nothing
 * to open. */
static pk_status load_plugin(pk_host *h, pk_plugin *p, pk_error *err)
{
  const pk__ns *ns = find_ns(h, p->m.ns);
  pk_status st = PK_OK;
  if (ns && p->m.has_abi && p->m.abi != ns->abi)
    st = pk__fail_at(err, PK_EABI, pk_value_pos(pk_table_get(p->m.root, "abi")),
                     "plugin %s is built for ABI %u of namespace \"%s\", but "
                     "this host accepts ABI %u; install a build of %s for ABI "
                     "%u",
                     p->id, p->m.abi, p->m.ns, ns->abi, p->id, ns->abi);
  else if (p->builtin && p->desc)
    st = check_desc(p, p->desc, err);
  else if (p->library_path) {
    p->handle = pk__dl_open(p->library_path, err);
    if (!p->handle)
      st = PK_ELOAD;
    else if (PK__VEC_PUSH(&h->alloc, h->opened, h->nopened, h->opencap, p)) {
      pk__dl_close(p->handle);
      p->handle = NULL;
      st = pk__fail(err, PK_ENOMEM, "out of memory");
    } else {
      pk_error se;
      p->desc = pk__dl_sym(p->handle, PK_PLUGIN_SYMBOL, &se);
      if (!p->desc)
        st = pk__fail(err, PK_ELOAD,
                      "%s does not export %s (%s); define it with "
                      "PK_PLUGIN_DEFINE from plugkit/plugin.h",
                      p->library_path, PK_PLUGIN_SYMBOL, se.message);
      else
        st = check_desc(p, p->desc, err);
    }
  }
  if (st != PK_OK) {
    pk__error_set_plugin(err, p->id);
    pk__plugin_fail(p, PK_STATE_FAILED, err);
    return st;
  }
  p->state = PK_STATE_LOADED;
  return PK_OK;
}

/* Imports the plugin: loads it and adds its manifest requirements. */
static pk_status import_one(pk_host *h, pk_plugin *p, pk_error *err)
{
  pk_status st = pk__types_add_manifest(h, p, err);
  if (st != PK_OK) {
    pk__plugin_fail(p, PK_STATE_FAILED, err);
    return st;
  }
  if (p->m.lazy && !p->builtin) {
    p->lazy_pending = true; /* loaded on first use (types.c) */
    pk__strfree(&h->alloc, p->reason); /* the reason, until a recorded one */
    p->reason = NULL;
    p->lazy_reason = true;
  } else {
    uint64_t t0 = pk__trace_begin(h);
    st = load_plugin(h, p, err);
    pk__trace_plugin(h, PK_TRACE_LOAD, p, t0, st);
  }
  for (size_t i = 0; st == PK_OK && i < p->m.nreq; i++) {
    const pk__mreq *mr = &p->m.reqs[i];
    pk__req req;
    char why[8];
    if (pk__req_parse_in(mr->text, p->m.ns, &req, why, sizeof why) != PK_OK)
      return pk__fail_at(err, PK_EMANIFEST, mr->pos, "invalid requirement");
    st = pk__host_require(h, p, &req, mr->text, mr->optional, err);
  }
  return st;
}

/* Imports every known plugin not imported yet, round after round. */
static pk_status import_known(pk_host *h, bool *any, pk_error *err)
{
  *any = false;
  while (h->import_cursor < h->nknown) {
    size_t end = h->nknown; /* this round; what it adds waits */
    for (; h->import_cursor < end; h->import_cursor++) {
      pk_error e;
      if (import_one(h, h->known[h->import_cursor], &e) != PK_OK)
        return poison(h, &e, err);
      *any = true;
    }
    pk_status st = pk__host_commit(h, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

pk_status pk_host_import(pk_host *h, pk_error *err)
{
  bool any;
  pk_status st = stage_guard(h, "pk_host_import", err);
  return st != PK_OK ? st : import_known(h, &any, err);
}

static pk_status layering(pk_host *h, pk_error *err)
{
  if (!h->layers_dirty)
    return PK_OK;
  pk_status st = pk__host_commit(h, err);
  if (st != PK_OK)
    return st;
  if (pk__graph_layering(h->graph) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  h->layers_dirty = false;
  return PK_OK;
}

static pk_status run_register(pk_host *h, pk_plugin *p, pk_error *err)
{
  /* reserve the slot first: a registered plugin must get its unload hook */
  if (pk__vec_reserve(&h->alloc, (void **)&h->registered, &h->regcap,
                      h->nregistered + 1, sizeof *h->registered) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  int rc = 0;
  if (p->desc && p->desc->on_register) {
    h->in_hook = p;
    h->hook_failed = false;
    pk_error_clear(&h->hook_err);
    uint64_t t0 = pk__trace_begin(h);
    rc = p->desc->on_register(&pk__host_api, (pk_plugin_ctx *)p, h->userdata);
    pk__trace_plugin(h, PK_TRACE_REGISTER, p, t0,
                     rc || h->hook_failed ? PK_EPLUGIN : PK_OK);
    h->in_hook = NULL;
  }
  if (h->hook_failed && h->hook_err.code != PK_EPLUGIN) {
    /* A requirement it added failed: that is the error, whatever rc says. */
    pk_error e;
    poison(h, &h->hook_err, &e);
    pk__plugin_fail(p, PK_STATE_FAILED, &e);
    return pk__error_copy(err, &e);
  }
  if (rc != 0) {
    pk_error e = h->hook_err;
    if (!h->hook_failed) {
      pk__fail(&e, PK_EPLUGIN, "register hook of %s failed (returned %d)",
               p->id, rc);
    } else if (!strstr(e.message, p->id)) {
      /* the plugin's own message; the reader must see whose (qik 8.6) */
      char msg[sizeof e.message];
      pk__copy_str(msg, sizeof msg, e.message);
      snprintf(e.message, sizeof e.message, "register hook of %s failed: %.600s",
               p->id, msg);
    }
    e.code = PK_EPLUGIN;
    pk__error_set_plugin(&e, p->id);
    pk__plugin_fail(p, PK_STATE_FAILED, &e);
    return poison(h, &e, err);
  }
  pk_error te;
  if (pk__types_check_registered(h, p, &te) != PK_OK) {
    /* registered as far as unloading goes: its unload hook must run */
    h->registered[h->nregistered++] = p;
    pk__plugin_fail(p, PK_STATE_FAILED, &te);
    return poison(h, &te, err);
  }
  p->state = PK_STATE_REGISTERED;
  h->registered[h->nregistered++] = p;
  /* a requirement added by the hook may close a cycle: report it now,
   * before any further hook runs */
  return pk__host_commit(h, err);
}

pk_status pk_host_resolve(pk_host *h, pk_error *err)
{
  pk_status st = stage_guard(h, "pk_host_resolve", err);
  bool any;
  if (st == PK_OK)
    st = import_known(h, &any, err);
  while (st == PK_OK) {
    if ((st = layering(h, err)) != PK_OK)
      break;
    size_t n;
    const uint32_t *order = pk__graph_order(h->graph, &n);
    /* The pass works on the order computed at its start, as the seed's. */
    uint32_t *snap = pk__alloc(&h->alloc, (n ? n : 1) * sizeof *snap);
    if (!snap)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    if (n)
      memcpy(snap, order, n * sizeof *snap);
    for (size_t i = 0; i < n && st == PK_OK; i++) {
      pk_plugin *p = h->by_node[snap[i]];
      if (p->state == PK_STATE_LOADED)
        st = run_register(h, p, err);
    }
    pk__free(&h->alloc, snap, (n ? n : 1) * sizeof *snap);
    if (st == PK_OK)
      st = import_known(h, &any, err);
    if (!any)
      break;
  }
  return st;
}

/* Runs p's post_register hook with the argument of its namespace; on
 * failure p is failed and *e says why (plugin named). */
static pk_status run_post_register(pk_host *h, pk_plugin *p,
                                   const pk_ns_args *args, size_t nargs,
                                   pk_error *e)
{
  if (!p->desc || !p->desc->on_post_register)
    return PK_OK;
  void *arg = NULL;
  for (size_t k = 0; k < nargs; k++)
    if (args[k].ns && !strcmp(args[k].ns, p->m.ns))
      arg = args[k].args;
  h->in_hook = p;
  h->hook_failed = false;
  pk_error_clear(&h->hook_err);
  uint64_t t0 = pk__trace_begin(h);
  int rc = p->desc->on_post_register(&pk__host_api, (pk_plugin_ctx *)p,
                                     h->userdata, arg);
  pk__trace_plugin(h, PK_TRACE_POST_REGISTER, p, t0, rc ? PK_EPLUGIN : PK_OK);
  h->in_hook = NULL;
  if (rc == 0)
    return PK_OK;
  *e = h->hook_err;
  if (!h->hook_failed)
    pk__fail(e, PK_EPLUGIN, "post_register hook of %s failed (returned %d)",
             p->id, rc);
  e->code = PK_EPLUGIN;
  pk__error_set_plugin(e, p->id);
  pk__plugin_fail(p, PK_STATE_FAILED, e);
  return PK_EPLUGIN;
}

pk_status pk_host_post_register(pk_host *h, const pk_ns_args *args,
                                size_t nargs, pk_error *err)
{
  pk_status st = stage_guard(h, "pk_host_post_register", err);
  if (st == PK_OK)
    st = layering(h, err);
  if (st != PK_OK)
    return st;
  pk_error he; /* order and freeze the hooks before any post_register */
  if (pk__hooks_freeze(h, &he) != PK_OK)
    return poison(h, &he, err);
  size_t n;
  const uint32_t *order = pk__graph_order(h->graph, &n);
  for (size_t i = 0; i < n; i++)
    if ((h->by_node[order[i]]->state == PK_STATE_LOADED ||
         h->by_node[order[i]]->state == PK_STATE_REQUESTED) &&
        !h->by_node[order[i]]->lazy_pending)
      return pk__fail(err, PK_ESTATE,
                      "pk_host_post_register: %s is not registered yet; call "
                      "pk_host_import() and pk_host_resolve() first",
                      h->by_node[order[i]]->id);
  if (nargs && !h->post_args) { /* lazy plugins get them when woken */
    h->post_args = pk__alloc(&h->alloc, nargs * sizeof *args);
    if (!h->post_args)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    memcpy(h->post_args, args, nargs * sizeof *args);
    h->npost_args = nargs;
  }
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = h->by_node[order[i]];
    if (p->state != PK_STATE_REGISTERED)
      continue;
    pk_error e;
    if (run_post_register(h, p, args, nargs, &e) != PK_OK)
      return poison(h, &e, err);
    p->state = PK_STATE_READY;
  }
  return PK_OK;
}

/* Loads, registers and post-registers a lazy plugin (and the lazy plugins
 * it requires first).  A failure fails the plugin, not the host. */
pk_status pk__host_wake(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (!p->lazy_pending)
    return p->state == PK_STATE_FAILED && p->error
               ? pk__error_copy(err, p->error)
               : PK_OK;
  p->lazy_pending = false;
  for (size_t i = 0; i < pk_plugin_dependency_count(p); i++) {
    pk_status st = pk__host_wake(h, pk_plugin_dependency_at(p, i), err);
    if (st != PK_OK) {
      pk__plugin_fail(p, PK_STATE_FAILED, err);
      return st;
    }
  }
  pk_status fatal = h->fatal;
  pk_error fatal_err = h->fatal_err;
  uint64_t t0 = pk__trace_begin(h);
  pk_status st = load_plugin(h, p, err);
  pk__trace_plugin(h, PK_TRACE_LOAD, p, t0, st);
  if (st == PK_OK)
    st = run_register(h, p, err);
  if (st == PK_OK && (st = pk__hooks_refreeze(h, err)) != PK_OK)
    pk__plugin_fail(p, PK_STATE_FAILED, err);
  pk_error e;
  if (st == PK_OK &&
      run_post_register(h, p, h->post_args, h->npost_args, &e) != PK_OK)
    st = pk__error_copy(err, &e);
  if (st == PK_OK)
    p->state = PK_STATE_READY;
  h->fatal = fatal; /* a lazy plugin's failure is its own */
  h->fatal_err = fatal_err;
  return st;
}

pk_status pk_host_register(pk_host *h, const char *const *reqs, size_t n,
                           const pk_ns_args *args, size_t nargs, pk_error *err)
{
  pk_status st = pk_host_request(h, reqs, n, err);
  if (st == PK_OK)
    st = pk_host_import(h, err);
  if (st == PK_OK)
    st = pk_host_resolve(h, err);
  if (st == PK_OK)
    st = pk_host_post_register(h, args, nargs, err);
  return st;
}

/* ---- layers and accessors ---- */

static bool layers_ready(pk_host *h)
{
  if (!h || h->fatal)
    return false;
  pk_error e;
  return layering(h, &e) == PK_OK;
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

pk_plugin *pk_host_layer_plugin(pk_host *h, size_t layer, size_t i)
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

const char *pk_plugin_get_name(const pk_plugin *p)
{
  return p->m.name ? p->m.name : p->id;
}
const char *pk_plugin_get_namespace(const pk_plugin *p)
{
  return p->m.ns ? p->m.ns : "";
}
const char *pk_plugin_get_id(const pk_plugin *p) { return p->id; }
const char *pk_plugin_get_version(const pk_plugin *p)
{
  return p->m.version_text ? p->m.version_text : "";
}
const char *pk_plugin_get_description(const pk_plugin *p)
{
  return p->m.description ? p->m.description : "";
}
const char *pk_plugin_get_manifest_path(const pk_plugin *p)
{
  return p->manifest_path;
}
const char *pk_plugin_get_library_path(const pk_plugin *p)
{
  return p->library_path ? p->library_path : "";
}
pk_plugin_state pk_plugin_get_state(const pk_plugin *p) { return p->state; }
const pk_error *pk_plugin_get_error(const pk_plugin *p) { return p->error; }
const pk_value *pk_plugin_get_manifest(const pk_plugin *p) { return p->m.root; }

const char *pk_plugin_state_name(pk_plugin_state s)
{
  static const char *const names[] = {
      "discovered", "shadowed",   "broken", "requested", "loaded",
      "registered", "ready",      "failed", "unloaded"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *pk_plugin_get_reason(const pk_plugin *p)
{
  if (p->reason && (p->reason_state == -1 || p->reason_state == (int)p->state))
    return p->reason; /* recorded (failure, shadowing, unloading) or fresh */
  if (p->lazy_reason)
    return "lazy: loaded on the first use of one of its types or hooks";
  /* the rest follows from the state: formatted on demand, kept until the
   * state changes the text */
  pk_plugin *q = (pk_plugin *)p;
  const char *who = p->required_by ? p->required_by->id : NULL;
  switch (p->state) {
  case PK_STATE_DISCOVERED:
    return "installed, but nothing requested or required it";
  case PK_STATE_REQUESTED:
  case PK_STATE_LOADED:
  case PK_STATE_REGISTERED:
  case PK_STATE_READY:
    if (who)
      pk__plugin_set_reason(q, "%s (required by %s)",
                            pk_plugin_state_name(p->state), who);
    else
      pk__plugin_set_reason(q, "%s (requested by the host)",
                            pk_plugin_state_name(p->state));
    q->reason_state = (int)p->state;
    return q->reason ? q->reason : pk_plugin_state_name(p->state);
  default:
    return pk_plugin_state_name(p->state);
  }
}

size_t pk_plugin_requirement_count(const pk_plugin *p)
{
  return p->m.nreq + p->ndyn;
}

const char *pk_plugin_requirement_at(const pk_plugin *p, size_t i)
{
  if (i < p->m.nreq)
    return p->m.reqs[i].text;
  i -= p->m.nreq;
  return i < p->ndyn ? p->dyn_reqs[i] : NULL;
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
