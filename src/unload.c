/* unload.c -- unloading one plugin and its dependants while the host runs.
 * SPDX-License-Identifier: MIT
 *
 * The caller guarantees that no hook call is in flight and none starts
 * until the call returns (the documented rule); the in-flight counters of
 * the hooks catch the cheap cases of misuse (an unload from inside a hook
 * implementation, or while another thread is inside a call). */
#include <string.h>

#include "stages.h"

/* Marks (p->unloading) every live plugin that reaches target through its
 * requirements: target itself and its dependants, direct or not. */
static pk_status mark_dependants(pk_host *h, pk_plugin *target, size_t *count)
{
  size_t n = pk__graph_node_count(h->graph);
  /* 0 unknown, 1 reaches target, 2 does not, 3 on the stack */
  uint8_t *st = pk__alloc_zero(&h->alloc, n ? n : 1);
  uint32_t *stack = NULL;
  size_t cap = 0;
  if (!st)
    return PK_ENOMEM;
  st[target->node] = 1;
  *count = 0;
  for (size_t i = 0; i < h->nknown; i++) {
    pk_plugin *root = h->by_node[i];
    if (st[root->node] == 1 || st[root->node] == 2)
      continue;
    /* Iterative post-order DFS: a node's answer is known once all of its
     * requirements are answered (the graph is acyclic). */
    size_t top = 0;
    if (pk__vec_reserve(&h->alloc, (void **)&stack, &cap, 1, sizeof *stack))
      goto nomem;
    stack[top++] = root->node;
    while (top) {
      uint32_t v = stack[top - 1];
      if (st[v] == 1 || st[v] == 2) {
        top--;
        continue;
      }
      size_t nd = pk__graph_dep_count(h->graph, v);
      if (pk__vec_reserve(&h->alloc, (void **)&stack, &cap, top + nd,
                          sizeof *stack))
        goto nomem;
      uint32_t *deps = stack + top;
      pk__graph_deps(h->graph, v, deps);
      if (st[v] == 0) { /* first visit: push the unanswered requirements */
        st[v] = 3;
        size_t keep = 0;
        for (size_t d = 0; d < nd; d++)
          if (st[deps[d]] == 0)
            deps[keep++] = deps[d];
        top += keep;
        continue;
      }
      uint8_t ans = 2; /* second visit: all requirements are answered */
      for (size_t d = 0; d < nd; d++)
        if (st[deps[d]] == 1)
          ans = 1;
      st[v] = ans;
      top--;
    }
  }
  for (size_t i = 0; i < h->nknown; i++) {
    pk_plugin *p = h->by_node[i];
    p->unloading = st[p->node] == 1 && (p->state == PK_STATE_LOADED ||
                                        p->state == PK_STATE_REGISTERED ||
                                        p->state == PK_STATE_READY);
    *count += p->unloading;
  }
  pk__free(&h->alloc, st, n ? n : 1);
  pk__free(&h->alloc, stack, cap * sizeof *stack);
  return PK_OK;
nomem:
  pk__free(&h->alloc, st, n ? n : 1);
  pk__free(&h->alloc, stack, cap * sizeof *stack);
  return PK_ENOMEM;
}

static bool is_unloading(const pk_plugin *p) { return p->unloading; }

void pk__run_unload(pk_host *h, pk_plugin *p)
{
  pk__call c; /* traced also without an unload hook: the step's end */
  pk__call_enter(h, &c, PK_TRACE_UNLOAD, p, true, NULL, NULL);
  if (p->desc && p->desc->on_unload)
    p->desc->on_unload(&pk__host_api, (pk_plugin_ctx *)p, h->userdata);
  pk__call_leave(h, &c, p, PK_OK);
}

pk_status pk_host_unload_plugin(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (!h || !p || p->host != h)
    return pk__fail(err, PK_EMISUSE,
                    "pk_host_unload_plugin: NULL argument or a plugin of "
                    "another host");
  if (p->state == PK_STATE_UNLOADED)
    return PK_OK;
  if (h->in_hook)
    return pk__fail(err, PK_ESTATE, "cannot unload %s from inside a "
                    "lifecycle hook (of %s)", p->id, h->in_hook->id);
  if (!pk__hooks_frozen(h))
    return pk__fail(err, PK_ESTATE, "cannot unload %s before registration "
                    "finished (pk_host_post_register)", p->id);
  if (p->node == PK__NO_NODE ||
      (p->state != PK_STATE_LOADED && p->state != PK_STATE_REGISTERED &&
       p->state != PK_STATE_READY))
    return pk__fail(err, PK_ESTATE, "cannot unload %s: it is %s, not loaded",
                    p->id, pk_plugin_state_name(p->state));
  size_t inflight = pk__hooks_inflight(h);
  if (inflight)
    return pk__fail(err, PK_ESTATE,
                    "cannot unload %s while %zu hook call%s in flight; "
                    "unload only when no thread is calling hooks",
                    p->id, inflight, inflight == 1 ? " is" : "s are");
  size_t n;
  if (mark_dependants(h, p, &n) != PK_OK ||
      pk__hooks_drop(h, is_unloading) != PK_OK) {
    for (size_t i = 0; i < h->nknown; i++)
      h->by_node[i]->unloading = false;
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  /* Their implementations are gone from dispatch; now the unload hooks,
   * dependants first (exact reverse registration order), then dlclose in
   * reverse load order. */
  for (size_t i = h->nregistered; i-- > 0;) {
    pk_plugin *q = h->registered[i];
    if (!q->unloading)
      continue;
    pk__run_unload(h, q);
  }
  for (size_t i = h->nopened; i-- > 0;) {
    pk_plugin *q = h->opened[i];
    if (!q->unloading)
      continue;
    if (pk__close_plugin(h, q))
      q->desc = NULL; /* it pointed into the closed object */
  }
  for (size_t i = 0; i < h->nknown; i++) {
    pk_plugin *q = h->by_node[i];
    if (!q->unloading)
      continue;
    q->unloading = false;
    q->state = PK_STATE_UNLOADED;
    if (q == p)
      pk__plugin_set_reason(q, "unloaded by the host");
    else
      pk__plugin_set_reason(q, "unloaded by the host with %s, which it "
                            "requires", p->id);
  }
  return PK_OK;
}
