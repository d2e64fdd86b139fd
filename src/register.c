/* register.c -- the registration stages, after the seed's addon manager:
 * requested plugins become "known"; importing loads every known plugin in
 * rounds (what a round discovers waits for the next one); resolving runs
 * register hooks in layer order, pass after pass, importing what the hooks
 * require in between; post_register runs in the final layer order.
 * Unlike the seed, every requirement is checked the moment it appears: a
 * missing plugin, a version or ABI mismatch or a cycle fails the stage
 * before any further hook runs.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "stages.h"

/* ---- the stages ---- */

/* A pass over at least this many plugins (an import round, a register or
 * post_register pass) fetches ahead what it reads (prefetch_ahead,
 * import_prefetch): with 50 000 the records, their descriptors and
 * requirements no longer fit the caches.  A smaller one does not: at
 * 5000 the steps would cost 2% more instructions (callgrind-keylines'
 * register_5000, which must not rise) for 4 to 9% less time. */
enum { AHEAD_MIN = 8192 };

/* The helpers below hold nothing but loads and prefetches: gcc (12) takes
 * such a function for one without effect and drops its calls, so that
 * no prefetch was left in the binary.  Inlined always, their prefetches
 * stay in the loops that call them. */
#define AHEAD_INLINE static inline __attribute__((always_inline))

/* In a pass over the plugins of nodes[0, n) at i: fetches the record of
 * the plugin 8 ahead and the descriptor of the one 4 ahead (its record
 * came by now), so that the misses of a large host overlap. */
AHEAD_INLINE void prefetch_ahead(const pk_host *h, const uint32_t *nodes,
                                 size_t n, size_t i)
{
  if (i + 8 < n)
    pk__plugin_prefetch(h->by_node[nodes[i + 8]]);
  if (i + 4 < n)
    __builtin_prefetch(h->by_node[nodes[i + 4]]->desc);
}

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
        return pk__host_poison(h, &e, err);
    }
  return PK_OK;
}

pk_status pk__host_request_plugin(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (!strcmp(p->m.name, "__all__")) /* as text: every plugin of its ns */
    return pk_host_request(h, (const char *const *)&p->id, 1, err);
  pk_status st = stage_guard(h, "pk_host_request", err);
  if (st != PK_OK)
    return st;
  pk_error e;
  st = pk__host_require_plugin(h, p, &e);
  return st == PK_OK ? PK_OK : pk__host_poison(h, &e, err);
}

/* Imports the plugin: loads it (a lazy one waits for its first use) and
 * adds its manifest requirements. */
static pk_status import_one(pk_host *h, pk_plugin *p, pk_error *err)
{
  pk_status st = pk__types_add_manifest(h, p, err);
  if (st != PK_OK) {
    pk__plugin_fail(p, PK_STATE_FAILED, err);
    return st;
  }
  if (p->m.lazy && !p->builtin) {
    p->lazy_pending = true; /* loaded on first use (lazy.c) */
    pk__strfree(&h->alloc, p->reason); /* the reason, until a recorded one */
    p->reason = NULL;
    p->lazy_reason = true;
  } else {
    st = pk__load_plugin(h, p, err);
  }
  for (size_t i = 0; st == PK_OK && i < p->m.nreq; i++)
    st = pk__host_require_text(h, p, p->m.reqs[i].text, p->m.reqs[i].optional,
                               err);
  return st;
}

/* In an import round over nodes [.., end) at c (a round of AHEAD_MIN or
 * more): fetches what importing a plugin a few ahead reads, so that the
 * misses of a large host overlap.  Three steps, each reading what the
 * last fetched: the record's first two lines 8 ahead, the descriptor and
 * the requirements' array 4 ahead (a built-in plugin's id, which serves
 * its name, and its requirements' texts beside it: pack_builtin), then
 * the name the descriptor names and the first requirement's text 2
 * ahead. */
AHEAD_INLINE void import_prefetch(const pk_host *h, size_t c, size_t end)
{
  if (c + 8 < end) {
    pk__plugin_prefetch(h->by_node[c + 8]);
    __builtin_prefetch(&h->by_node[c + 8]->m.reqs);
  }
  if (c + 4 < end) {
    __builtin_prefetch(h->by_node[c + 4]->desc);
    __builtin_prefetch(h->by_node[c + 4]->m.reqs);
  }
  if (c + 2 < end) {
    const pk_plugin *q = h->by_node[c + 2];
    if (q->desc)
      __builtin_prefetch(q->desc->name);
    if (q->m.nreq)
      __builtin_prefetch(q->m.reqs[0].text);
  }
}

/* Imports every known plugin not imported yet, round after round.  (One
 * loop that tests deep: as two, see register_pass, import_one would no
 * longer be inlined, which costs more than the test.) */
static pk_status import_known(pk_host *h, bool *any, pk_error *err)
{
  *any = false;
  while (h->import_cursor < h->nknown) {
    size_t end = h->nknown; /* this round; what it adds waits */
    bool deep = end - h->import_cursor >= AHEAD_MIN;
    for (; h->import_cursor < end; h->import_cursor++) {
      if (deep)
        import_prefetch(h, h->import_cursor, end);
      pk_error e;
      if (import_one(h, h->by_node[h->import_cursor], &e) != PK_OK)
        return pk__host_poison(h, &e, err);
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

pk_status pk__layering(pk_host *h, pk_error *err)
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

pk_status pk__run_register(pk_host *h, pk_plugin *p, pk_error *err)
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
    pk__call c;
    pk__call_enter(h, &c, PK_TRACE_REGISTER, p, true, NULL, NULL);
    rc = p->desc->on_register(&pk__host_api, (pk_plugin_ctx *)p, h->userdata);
    pk__call_leave(h, &c, p, rc || h->hook_failed ? PK_EPLUGIN : PK_OK);
    h->in_hook = NULL;
  }
  if (h->hook_failed && h->hook_err.code != PK_EPLUGIN) {
    /* A requirement it added failed: that is the error, whatever rc says. */
    pk_error e;
    pk__host_poison(h, &h->hook_err, &e);
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
    return pk__host_poison(h, &e, err);
  }
  pk_error te;
  if (pk__types_check_registered(h, p, &te) != PK_OK) {
    /* registered as far as unloading goes: its unload hook must run */
    h->registered[h->nregistered++] = p;
    pk__plugin_fail(p, PK_STATE_FAILED, &te);
    return pk__host_poison(h, &te, err);
  }
  p->state = PK_STATE_REGISTERED;
  h->registered[h->nregistered++] = p;
  /* a requirement added by the hook may close a cycle: report it now,
   * before any further hook runs */
  return pk__host_commit(h, err);
}

/* In a register pass at i: prefetch_ahead, and 8 ahead the record's two
 * other lines that a register hook's api->require reads (plugin_api.c:
 * the manifest's namespace, a requirement's default, and the array of
 * the requirements the hook added): without them, the first require of
 * each hook waited for two misses. */
AHEAD_INLINE void register_prefetch(const pk_host *h, const uint32_t *nodes,
                                    size_t n, size_t i)
{
  if (i + 8 < n) {
    const pk_plugin *q = h->by_node[nodes[i + 8]];
    __builtin_prefetch(&q->m.ns);
    __builtin_prefetch(&q->dyn_reqs);
  }
  prefetch_ahead(h, nodes, n, i);
}

/* A register pass over the plugins of nodes[0, n), fetching ahead when
 * ahead.  Inlined where ahead is a constant, so that a small pass's loop
 * has no test of it (post_pass the same). */
AHEAD_INLINE pk_status register_pass(pk_host *h, const uint32_t *nodes,
                                     size_t n, bool ahead, pk_error *err)
{
  pk_status st = PK_OK;
  for (size_t i = 0; i < n && st == PK_OK; i++) {
    pk_plugin *p = h->by_node[nodes[i]];
    if (ahead)
      register_prefetch(h, nodes, n, i);
    if (p->state == PK_STATE_LOADED)
      st = pk__run_register(h, p, err);
  }
  return st;
}

pk_status pk_host_resolve(pk_host *h, pk_error *err)
{
  pk_status st = stage_guard(h, "pk_host_resolve", err);
  bool any;
  if (st == PK_OK)
    st = import_known(h, &any, err);
  while (st == PK_OK) {
    if ((st = pk__layering(h, err)) != PK_OK)
      break;
    size_t n;
    const uint32_t *order = pk__graph_order(h->graph, &n);
    /* The pass works on the order computed at its start, as the seed's. */
    uint32_t *snap = pk__alloc(&h->alloc, (n ? n : 1) * sizeof *snap);
    if (!snap)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    if (n)
      memcpy(snap, order, n * sizeof *snap);
    st = n >= AHEAD_MIN ? register_pass(h, snap, n, true, err)
                        : register_pass(h, snap, n, false, err);
    pk__free(&h->alloc, snap, (n ? n : 1) * sizeof *snap);
    if (st == PK_OK)
      st = import_known(h, &any, err);
    if (!any)
      break;
  }
  return st;
}

pk_status pk__run_post_register(pk_host *h, pk_plugin *p,
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
  pk__call c;
  pk__call_enter(h, &c, PK_TRACE_POST_REGISTER, p, true, NULL, NULL);
  int rc = p->desc->on_post_register(&pk__host_api, (pk_plugin_ctx *)p,
                                     h->userdata, arg);
  pk__call_leave(h, &c, p, rc ? PK_EPLUGIN : PK_OK);
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

/* A post_register pass over the plugins of nodes[0, n) (see
 * register_pass). */
AHEAD_INLINE pk_status post_pass(pk_host *h, const uint32_t *nodes, size_t n,
                                 const pk_ns_args *args, size_t nargs,
                                 bool ahead, pk_error *err)
{
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = h->by_node[nodes[i]];
    if (ahead)
      prefetch_ahead(h, nodes, n, i);
    if (p->state != PK_STATE_REGISTERED)
      continue;
    pk_error e;
    if (pk__run_post_register(h, p, args, nargs, &e) != PK_OK)
      return pk__host_poison(h, &e, err);
    p->state = PK_STATE_READY;
  }
  return PK_OK;
}

/* pk_host_post_register; resolved: pk_host_resolve has just succeeded,
 * which leaves no known plugin loaded or requested but not registered
 * (its last pass imported nothing new), so the check pass over every
 * record is skipped (with 50 000 plugins, a cache miss each). */
static pk_status post_register(pk_host *h, const pk_ns_args *args, size_t nargs,
                               bool resolved, pk_error *err)
{
  pk_status st = stage_guard(h, "pk_host_post_register", err);
  if (st == PK_OK)
    st = pk__layering(h, err);
  if (st != PK_OK)
    return st;
  pk_error he; /* order and freeze the hooks before any post_register */
  if (pk__hooks_freeze(h, &he) != PK_OK)
    return pk__host_poison(h, &he, err);
  size_t n;
  const uint32_t *order = pk__graph_order(h->graph, &n);
  bool ahead = n >= AHEAD_MIN;
  for (size_t i = 0; i < n && !resolved; i++) {
    const pk_plugin *p = h->by_node[order[i]];
    if (ahead)
      prefetch_ahead(h, order, n, i);
    if ((p->state == PK_STATE_LOADED || p->state == PK_STATE_REQUESTED) &&
        !p->lazy_pending)
      return pk__fail(err, PK_ESTATE,
                      "pk_host_post_register: %s is not registered yet; call "
                      "pk_host_import() and pk_host_resolve() first",
                      p->id);
  }
  if (nargs && !h->post_args) { /* lazy plugins get them when woken */
    h->post_args = pk__alloc(&h->alloc, nargs * sizeof *args);
    if (!h->post_args)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    memcpy(h->post_args, args, nargs * sizeof *args);
    h->npost_args = nargs;
  }
  return ahead ? post_pass(h, order, n, args, nargs, true, err)
               : post_pass(h, order, n, args, nargs, false, err);
}

pk_status pk_host_post_register(pk_host *h, const pk_ns_args *args,
                                size_t nargs, pk_error *err)
{
  return post_register(h, args, nargs, false, err);
}

/* Loads, registers and post-registers a lazy plugin (and the lazy plugins
 * it requires first).  A failure fails the plugin, not the host. */
pk_status pk_host_register(pk_host *h, const char *const *reqs, size_t n,
                           const pk_ns_args *args, size_t nargs, pk_error *err)
{
  pk_status st = pk_host_request(h, reqs, n, err);
  if (st == PK_OK)
    st = pk_host_import(h, err);
  if (st == PK_OK)
    st = pk_host_resolve(h, err);
  if (st == PK_OK)
    st = post_register(h, args, nargs, true, err);
  return st;
}

