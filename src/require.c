/* require.c -- requirements: finding their targets (by name, version and
 * namespace, or every plugin of a namespace for ns:__all__), linking them
 * in the graph, and the errors when they cannot be met or close a cycle.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "stages.h"

/* ---- finding requirement targets ---- */

static bool ns_accepted(const pk_host *h, const char *ns)
{
  return h->nns == 0 || pk__find_ns(h, ns) != NULL;
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

/* The first of h->plugins whose key is not below key (strcmp order). */
static size_t key_bound(const pk_host *h, const char *key)
{
  size_t lo = 0, hi = h->nplugins;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *k = h->plugins[mid]->key;
    if (strcmp(k ? k : "", key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The plugins of namespace ns are h->plugins[lo, hi).  How it works:
 * after discovery h->plugins is sorted by key (strcmp), and the key of a
 * plugin with a manifest is "ns\x01name" (names never hold \x01), so the
 * plugins of ns are the run of keys from "ns\x01" up to "ns\x02": two
 * binary searches, no namespace string read per plugin (with 50 000
 * plugins each was a cache miss).  A broken plugin, keyed by its
 * directory, can fall in the run; it is not PK_STATE_DISCOVERED. */
static void ns_run(const pk_host *h, const char *ns, size_t *lo, size_t *hi)
{
  char key[PK__NAME_MAX + 2];
  size_t n = strlen(ns);
  memcpy(key, ns, n);
  key[n] = '\x01';
  key[n + 1] = '\0';
  *lo = key_bound(h, key);
  key[n] = '\x02';
  *hi = key_bound(h, key);
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
                      h->nknown + 1, sizeof *h->by_node) != PK_OK)
    return PK_ENOMEM;
  if (pk__graph_add_node(h->graph, p->key, &node) != PK_OK)
    return PK_ENOMEM;
  p->node = node;
  h->by_node[node] = p; /* node == nknown: the known order */
  h->nknown++;
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
  char by_name[600], by_all[600]; /* where each requirement is */
  pk__requirement_where(namer, requester_all, by_name, sizeof by_name);
  pk__requirement_where(requester_all, namer, by_all, sizeof by_all);
  return fail_req(
      err, PK_EDEP_CYCLE, namer, (pk_pos){NULL, 0, 0},
      "plugin %s requires %s by name%s, but %s requires %s:__all__%s (it "
      "must come after every other plugin of its namespace, %s included); "
      "remove one of the two requirements",
      namer->id, requester_all->id, by_name, requester_all->id,
      requester_all->m.ns, by_all, namer->id);
}

/* Where text is written when it is one of from's manifest requirements
 * (for errors: a position costs a search). */
static pk_pos req_pos(const pk_plugin *from, const char *text)
{
  for (size_t i = 0; from && i < from->m.nreq; i++)
    if (from->m.reqs[i].text == text)
      return pk__mreq_pos(from, &from->m.reqs[i]);
  return (pk_pos){NULL, 0, 0};
}

/* The error of requirement text of `from` (NULL: the host) in namespace
 * ns, which the host does not accept. */
static pk_status ns_unknown(const pk_host *h, pk_plugin *from, const char *ns,
                            const char *text, pk_error *err)
{
  char whom[512];
  const char *names[64];
  size_t n = h->nns < 64 ? h->nns : 64;
  char list[512];
  for (size_t i = 0; i < n; i++)
    names[i] = h->ns[i].name;
  pk__join(list, sizeof list, names, n);
  who(whom, sizeof whom, from, text);
  return fail_req(err, PK_EDEP_MISSING, from, req_pos(from, text),
                  "%s, but namespace \"%s\" is unknown to this host (it "
                  "accepts: %s); fix the namespace of the requirement",
                  whom, ns, list);
}

/* Inlined into both callers: as a call of its own it cost the requirement
 * path of a large registration 3% more instructions (callgrind-keylines'
 * register_5000). */
static inline __attribute__((always_inline)) pk_status
require_found(pk_host *h, pk_plugin *from, pk_plugin *p, const pk__req *r,
              const char *text, bool optional, pk_error *err);

pk_status pk__host_require(pk_host *h, pk_plugin *from, const pk__req *r,
                           const char *text, bool optional, pk_error *err)
{
  if (!ns_accepted(h, r->ns))
    return ns_unknown(h, from, r->ns, text, err);
  if (!strcmp(r->name, "__all__")) {
    if (from && !from->requires_all) {
      from->requires_all = true;
      if (from->named_by)
        return all_conflict(from, from->named_by, err);
    }
    /* every plugin of the namespace not known yet, in (ns, name) order */
    size_t lo, hi;
    ns_run(h, r->ns, &lo, &hi);
    /* Room for the whole run at once (at most hi - lo more nodes): the
     * node arrays then grow once instead of doubling ~log2(n) times, each
     * doubling copying arrays that no longer fit the cache. */
    size_t more = hi - lo, nodes = pk__graph_node_count(h->graph) + more;
    if (pk__vec_reserve(&h->alloc, (void **)&h->by_node, &h->nodecap,
                        h->nknown + more, sizeof *h->by_node) != PK_OK ||
        pk__graph_reserve(h->graph, nodes, 0) != PK_OK)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = lo; i < hi; i++) {
      pk_plugin *p = h->plugins[i];
      if (i + 8 < hi)
        pk__plugin_prefetch(h->plugins[i + 8]);
      if (p->node != PK__NO_NODE || p->state != PK_STATE_DISCOVERED)
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
    return missing(h, from, r, text, req_pos(from, text), err);
  }
  return require_found(h, from, p, r, text, optional, err);
}

pk_status pk__host_require_text(pk_host *h, pk_plugin *from, const char *text,
                                bool optional, pk_error *err)
{
  char id[2 * PK__NAME_MAX + 2];
  size_t len = pk__req_plain_id(text, from->m.ns, id, sizeof id);
  pk_plugin *p = len ? pk__map_get(&h->by_id, id, len) : NULL;
  /* found: what the parse would find, any version (a plugin named
   * __all__ aside: the requirement means its whole namespace) */
  if (p && ns_accepted(h, p->m.ns) &&
      !(len > 8 && !memcmp(id + len - 8, ":__all__", 8)))
    return require_found(h, from, p, NULL, text, optional, err);
  pk__req r;
  char why[8];
  if (pk__req_parse_in(text, from->m.ns, &r, why, sizeof why) != PK_OK)
    return pk__fail_at(err, PK_EMANIFEST, req_pos(from, text),
                       "invalid requirement");
  return pk__host_require(h, from, &r, text, optional, err);
}

pk_status pk__host_require_plugin(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (!ns_accepted(h, p->m.ns))
    return ns_unknown(h, NULL, p->m.ns, p->id, err);
  return require_found(h, NULL, p, NULL, p->id, false, err);
}

/* The checks and links of requirement r (NULL: any version) of `from`,
 * which names installed plugin p. */
static inline __attribute__((always_inline)) pk_status
require_found(pk_host *h, pk_plugin *from, pk_plugin *p, const pk__req *r,
              const char *text, bool optional, pk_error *err)
{
  char whom[512];
  if (p->quarantined) { /* the host died inside it (journal.c) */
    who(whom, sizeof whom, from, text);
    if (optional) {
      pk__log(h, PK_LOG_WARN, from, "%s: skipped, %s", whom, p->error->message);
      return PK_OK;
    }
    char msg[sizeof err->message];
    pk__copy_str(msg, sizeof msg, p->error->message);
    return fail_req(err, PK_ETRUST, from, req_pos(from, text), "%s, but %.700s",
                    whom, msg);
  }
  if (r && !pk__req_matches(r, &p->m.version)) {
    char want[256];
    pk__req_constraint_text(r, want, sizeof want);
    who(whom, sizeof whom, from, text);
    if (optional) {
      pk__log(h, PK_LOG_WARN, from,
              "%s, but %s %s is installed: optional requirement ignored",
              whom, p->id, p->m.version_text);
      return PK_OK;
    }
    return fail_req(err, PK_EDEP_VERSION, from, req_pos(from, text),
                    "%s, but %s %s is installed (%s); install a version of %s "
                    "matching %s or relax the constraint",
                    whom, p->id, p->m.version_text, p->manifest_path, p->id,
                    want);
  }
  if (from == p)
    return fail_req(err, PK_EDEP_CYCLE, from, req_pos(from, text),
                    "plugin %s requires itself", p->id);
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

pk_status pk__host_poison(pk_host *h, const pk_error *e, pk_error *err)
{
  h->fatal = e->code;
  h->fatal_err = *e;
  return pk__error_copy(err, e);
}

/* A step of a plugin cycle: the plugin that requires the next. */
static size_t plugin_step(void *ud, const pk__graph_step *s,
                          const pk__graph_step *next, char *buf, size_t n)
{
  pk_plugin *const *by_node = ud;
  int w = next ? snprintf(buf, n, "%s", by_node[s->from]->id)
               : snprintf(buf, n, "%s -> %s", by_node[s->from]->id,
                          by_node[s->to]->id);
  return w > 0 ? (size_t)w : 0;
}

/* Does requirement text of `from` name `to` (by name, or its namespace's
 * __all__)? */
static bool names(const pk_plugin *from, const char *text, const pk_plugin *to)
{
  pk__req r;
  char why[8];
  return pk__req_parse_in(text, from->m.ns, &r, why, sizeof why) == PK_OK &&
         !strcmp(r.ns, to->m.ns) &&
         (!strcmp(r.name, to->m.name) || !strcmp(r.name, "__all__"));
}

void pk__requirement_where(const pk_plugin *from, const pk_plugin *to,
                           char *buf, size_t n)
{
  buf[0] = '\0';
  for (size_t i = 0; i < from->m.nreq; i++)
    if (names(from, from->m.reqs[i].text, to)) {
      pk_pos pos = pk__mreq_pos(from, &from->m.reqs[i]);
      snprintf(buf, n, " at %s:%d:%d", pos.source, pos.line, pos.col);
      return;
    }
  for (size_t i = 0; i < from->ndyn; i++)
    if (names(from, from->dyn_reqs[i], to)) {
      snprintf(buf, n, " (api->require(\"%s\") in its register hook)",
               from->dyn_reqs[i]);
      return;
    }
}

/* A step of a plugin cycle with where it comes from: "A requires B at
 * FILE:LINE:COL", or "A requires B (api->require(...) in its register
 * hook)". */
static size_t plugin_edge(void *ud, const pk__graph_step *s,
                          const pk__graph_step *next, char *buf, size_t n)
{
  (void)next;
  pk_plugin *const *by_node = ud;
  const pk_plugin *from = by_node[s->from], *to = by_node[s->to];
  char where[600];
  pk__requirement_where(from, to, where, sizeof where);
  int w = snprintf(buf, n, "%s requires %s%s", from->id, to->id, where);
  return w > 0 ? (size_t)w : 0;
}

static pk_status cycle_error(pk_host *h, pk_error *err)
{
  const uint32_t *nodes;
  size_t n = pk__graph_cycle(h->graph, &nodes);
  char chain[700], edges[1400];
  pk__graph_cycle_text(h->graph, false, " -> ", plugin_step, h->by_node,
                       chain, sizeof chain);
  pk__graph_cycle_text(h->graph, false, "; ", plugin_edge, h->by_node, edges,
                       sizeof edges);
  pk_error e;
  pk__fail(&e, PK_EDEP_CYCLE,
           "dependency cycle: %s (%s); remove one of these requirements", chain,
           edges);
  if (n)
    pk__error_set_plugin(&e, h->by_node[nodes[0]]->id);
  return pk__host_poison(h, &e, err);
}

pk_status pk__host_commit_failed(pk_host *h, pk_status st, pk_error *err)
{
  if (st == PK_EDEP_CYCLE)
    return cycle_error(h, err);
  return pk__fail(err, st, "out of memory");
}

