/* hook_order.c -- the order of every hook's implementations, computed at
 * the freeze (and again when a lazy plugin registers), then published as
 * the hooks' dispatch tables (hooks.c).  The constraints become a graph
 * (graph.c orders it and reports a contradiction as a cycle).
 * SPDX-License-Identifier: MIT
 *
 * Each group (wrappers, plain implementations) of each hook is ordered on
 * its own.  Nodes are the group's implementations plus two barrier nodes:
 * every implementation marked first runs before FIRST_BARRIER, which runs
 * before every other one; LAST_BARRIER likewise for last.  Constraints:
 *   dep     Q's implementation before P's when P requires Q (directly or
 *           through plugins that do not implement the hook)
 *   before  P's implementation before Q's (P's hint before = [Q])
 *   after   Q's before P's (P's hint after = [Q])
 * The order takes, among the ready nodes, the one earliest in the
 * dependency order (plugin position in the final layering, then
 * registration order), so without hints it is the dependency order.  A
 * cycle is a contradiction: reported with every step and its reason. */
#include <stdio.h>
#include <string.h>

#include "stages.h"

enum { EDGE_DEP, EDGE_BEFORE, EDGE_AFTER, EDGE_FIRST, EDGE_LAST };

/* Why a constraint "from before to" holds; edge i of the graph is
 * constraint i. */
typedef struct ord_edge {
  uint32_t from, to;
  uint32_t kind;
  uint32_t owner; /* the implementation whose hint or requirement it is */
} ord_edge;

typedef struct ord {
  const pk__allocator *a;
  pk_host *h;
  pk__graph *g;          /* the constraints of one group */
  size_t n;              /* implementations; n and n+1 are the barriers */
  pk__impl_rec **items;
  uint64_t *rank;        /* dependency-order rank of each node */
  uint32_t *next;        /* next implementation of the same plugin */
  uint32_t *head;        /* per plugin graph node: its first implementation */
  uint32_t *mark;        /* per plugin graph node: visit stamps */
  uint32_t stamp;
  uint32_t *stack;
  size_t stackcap;
  ord_edge *edges;
  size_t nedges, ecap;
} ord;

/* The constraint "from before to". */
static pk_status ord_push(ord *o, uint32_t from, uint32_t to, uint32_t kind,
                          uint32_t owner)
{
  ord_edge e = {from, to, kind, owner};
  if (PK__VEC_PUSH(o->a, o->edges, o->nedges, o->ecap, e) != PK_OK)
    return PK_ENOMEM;
  return pk__graph_add_edge(o->g, to, from); /* to requires from */
}

/* Constraints between implementation self and every implementation of
 * plugin q: self first (before-hints) or q's first (after-hints,
 * dependencies). */
static pk_status ord_link(ord *o, const pk_plugin *q, uint32_t self,
                          bool q_first, uint32_t kind, uint32_t owner)
{
  for (uint32_t j = o->head[q->node]; j != UINT32_MAX; j = o->next[j]) {
    pk_status st = q_first ? ord_push(o, j, self, kind, owner)
                           : ord_push(o, self, j, kind, owner);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

static const char *node_name(const ord *o, uint32_t v)
{
  return v < o->n ? o->items[v]->plugin->id : "";
}

static void hint_text(char *buf, size_t n, char *const *names, size_t count)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && used + 1 < n; i++) {
    int k = snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "",
                     names[i]);
    if (k < 0)
      break;
    used += (size_t)k;
  }
}

/* A step of a contradiction, walked in the order the constraints ask for
 * (s->to before s->from); a hop through a barrier is one step, written with
 * the constraint out of the barrier (next). */
static size_t ord_step(void *ud, const pk__graph_step *s,
                       const pk__graph_step *next, char *buf, size_t n)
{
  const ord *o = ud;
  if (s->to >= o->n)
    return 0; /* out of a barrier: written with the hop into it */
  const ord_edge *e = &o->edges[s->edge];
  const pk__impl_rec *own = o->items[e->owner];
  const char *from = node_name(o, e->from), *to = node_name(o, e->to);
  char hint[256];
  int w;
  switch (e->kind) {
  case EDGE_DEP: /* where, when to requires from directly */
    pk__requirement_where(o->items[e->to]->plugin, o->items[e->from]->plugin,
                          hint, sizeof hint);
    w = snprintf(buf, n, "%s before %s (%s requires %s%s)", from, to, to, from,
                 hint);
    break;
  case EDGE_BEFORE:
    hint_text(hint, sizeof hint, own->before, own->nbefore);
    w = snprintf(buf, n, "%s before %s (%s: before = [%s])", from, to,
                 own->plugin->id, hint);
    break;
  case EDGE_AFTER:
    hint_text(hint, sizeof hint, own->after, own->nafter);
    w = snprintf(buf, n, "%s before %s (%s: after = [%s])", from, to,
                 own->plugin->id, hint);
    break;
  case EDGE_FIRST: /* from -> barrier -> next->from */
    to = next ? node_name(o, next->from) : "the others";
    w = snprintf(buf, n, "%s before %s (%s is marked first, %s is not)",
                 from, to, from, to);
    break;
  default: /* EDGE_LAST: from -> barrier -> next->from */
    to = next ? node_name(o, next->from) : "the others";
    w = snprintf(buf, n, "%s before %s (%s is marked last, %s is not)",
                 from, to, to, from);
    break;
  }
  return w > 0 ? (size_t)w : 0;
}

/* The constraints of one group. */
static pk_status ord_edges(ord *o)
{
  pk_host *h = o->h;
  uint32_t fb = (uint32_t)o->n, lb = (uint32_t)o->n + 1;
  pk_status st = PK_OK;
  for (uint32_t i = 0; i < o->n && st == PK_OK; i++) {
    pk__impl_rec *r = o->items[i];
    st = (r->flags & PK_HOOK_IMPL_FIRST) ? ord_push(o, i, fb, EDGE_FIRST, i)
                                         : ord_push(o, fb, i, EDGE_FIRST, i);
    if (st == PK_OK)
      st = (r->flags & PK_HOOK_IMPL_LAST) ? ord_push(o, lb, i, EDGE_LAST, i)
                                          : ord_push(o, i, lb, EDGE_LAST, i);
    /* A hint naming a plugin that is not loaded (or not implementing the
     * hook) is satisfied. */
    for (size_t b = 0; b < r->nbefore && st == PK_OK; b++) {
      pk_plugin *q = pk__map_get(&h->by_id, r->before[b], strlen(r->before[b]));
      if (q && q != r->plugin && q->node != PK__NO_NODE)
        st = ord_link(o, q, i, false, EDGE_BEFORE, i);
    }
    for (size_t b = 0; b < r->nafter && st == PK_OK; b++) {
      pk_plugin *q = pk__map_get(&h->by_id, r->after[b], strlen(r->after[b]));
      if (q && q != r->plugin && q->node != PK__NO_NODE)
        st = ord_link(o, q, i, true, EDGE_AFTER, i);
    }
  }
  /* Dependencies: from each implementing plugin, walk its requirements and
   * stop at the nearest implementing plugins (those below them are ordered
   * through them). */
  for (uint32_t i = 0; i < o->n && st == PK_OK; i++) {
    pk_plugin *p = o->items[i]->plugin;
    if (o->head[p->node] != i)
      continue; /* once per plugin */
    uint32_t s = ++o->stamp;
    size_t top = 0;
    o->mark[p->node] = s;
    if (pk__vec_reserve(o->a, (void **)&o->stack, &o->stackcap, 1,
                        sizeof *o->stack))
      return PK_ENOMEM;
    o->stack[top++] = p->node;
    while (top && st == PK_OK) {
      uint32_t v = o->stack[--top];
      size_t nd = pk__graph_dep_count(h->graph, v);
      if (pk__vec_reserve(o->a, (void **)&o->stack, &o->stackcap,
                          top + nd + 1, sizeof *o->stack))
        return PK_ENOMEM;
      uint32_t *deps = o->stack + top;
      pk__graph_deps(h->graph, v, deps);
      size_t keep = 0;
      for (size_t d = 0; d < nd && st == PK_OK; d++) {
        uint32_t w = deps[d];
        if (o->mark[w] == s)
          continue;
        o->mark[w] = s;
        if (o->head[w] == UINT32_MAX) {
          deps[keep++] = w;
          continue;
        }
        for (uint32_t b = i; b != UINT32_MAX && st == PK_OK; b = o->next[b])
          st = ord_link(o, h->by_node[w], b, true, EDGE_DEP, b);
      }
      top += keep;
    }
  }
  return st;
}

/* The contradiction of a cycle in o's constraints, naming the hook. */
static pk_status contradiction(ord *o, const pk_hook *k, pk_error *err)
{
  const uint32_t *nodes;
  char text[640];
  pk__graph_cycle(o->g, &nodes);
  pk__graph_cycle_text(o->g, true, ", ", ord_step, o, text, sizeof text);
  pk__fail(err, PK_EDEP_CYCLE,
           "contradictory order for hook \"%s\": %s; change or remove one of "
           "these hints",
           pk_hook_get_name(k), text);
  return pk__error_set_plugin(err, node_name(o, nodes[0]));
}

/* Orders one group; writes the implementations in call order to out.
 * head/mark are per plugin graph node and come back as they were given
 * (head all UINT32_MAX). */
static pk_status order_group(ord *o, const pk_hook *k, pk__impl_rec **items,
                             size_t n, const uint32_t *pos,
                             pk__impl_rec **out, pk_error *err)
{
  if (!n)
    return PK_OK;
  const pk__allocator *a = o->a;
  o->n = n;
  o->items = items;
  o->nedges = 0;
  pk__graph_clear(o->g);
  uint32_t *order = pk__alloc(a, (n + 2) * sizeof *order);
  o->rank = pk__alloc(a, (n + 2) * sizeof *o->rank);
  o->next = pk__alloc(a, n * sizeof *o->next);
  pk_status st = PK_OK;
  if (!order || !o->rank || !o->next) {
    st = pk__fail(err, PK_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = n; i-- > 0;) { /* chains in registration order */
    uint32_t node = items[i]->plugin->node;
    o->rank[i] = ((uint64_t)pos[node] << 32) |
                 (uint64_t)(items[i]->seq & 0xffffffffu);
    o->next[i] = o->head[node];
    o->head[node] = (uint32_t)i;
  }
  o->rank[n] = o->rank[n + 1] = 0; /* barriers leave as soon as they can */
  uint32_t id;
  for (size_t i = 0; i < n + 2 && st == PK_OK; i++)
    st = pk__graph_add_node(o->g, i < n ? items[i]->plugin->key : NULL, &id);
  if (st == PK_OK)
    st = ord_edges(o);
  if (st == PK_OK)
    st = pk__graph_sort(o->g, o->rank, order);
  if (st == PK_EDEP_CYCLE)
    st = contradiction(o, k, err);
  else if (st == PK_ENOMEM)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  for (size_t i = 0, m = 0; st == PK_OK && i < n + 2; i++)
    if (order[i] < n) /* the barriers are no implementations */
      out[m++] = items[order[i]];
done:
  for (size_t i = 0; i < n; i++)
    o->head[items[i]->plugin->node] = UINT32_MAX;
  pk__free(a, order, (n + 2) * sizeof *order);
  pk__free(a, o->rank, (n + 2) * sizeof *o->rank);
  pk__free(a, o->next, n * sizeof *o->next);
  o->rank = NULL;
  o->next = NULL;
  return st;
}

/* True when the implementation's plugin takes part in dispatch. */
static bool rec_live(const pk__impl_rec *r)
{
  return r->plugin->state == PK_STATE_REGISTERED ||
         r->plugin->state == PK_STATE_READY;
}

/* True when a lazy plugin not loaded yet lists hook name in `hooks`: its
 * table wakes it on the first call. */
static bool lazy_for_hook(const pk_host *h, const char *name)
{
  for (size_t i = 0; i < h->nknown; i++)
    if (h->by_node[i]->lazy_pending &&
        pk__manifest_lists_hook(h->by_node[i], name))
      return true;
  return false;
}

/* The table of hook k in the order of its constraints. */
static pk_status hook_table(ord *o, pk_hook *k, const uint32_t *pos,
                            pk__hook_table **out, pk_error *err)
{
  pk_host *h = o->h;
  size_t nrecs, nr;
  pk__impl_rec *recs = pk__hook_recs(k, &nrecs);
  nr = nrecs ? nrecs : 1;
  pk__impl_rec **v = pk__alloc(o->a, 4 * nr * sizeof *v);
  if (!v)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  pk__impl_rec **w = v, **p = v + nr, **wo = v + 2 * nr, **po = v + 3 * nr;
  size_t nw = 0, np = 0;
  for (size_t j = 0; j < nrecs; j++) {
    pk__impl_rec *r = &recs[j];
    if (!rec_live(r))
      continue;
    if (r->wrapper)
      w[nw++] = r;
    else
      p[np++] = r;
  }
  pk_status st = order_group(o, k, w, nw, pos, wo, err);
  if (st == PK_OK)
    st = order_group(o, k, p, np, pos, po, err);
  if (st == PK_OK &&
      !(*out = pk__hook_table_new(h, k, wo, nw, po, np,
                                  lazy_for_hook(h, pk_hook_get_name(k)))))
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  pk__free(o->a, v, 4 * nr * sizeof *v);
  return st;
}

/* Orders every hook.  A first freeze builds every table and publishes
 * them only when all succeeded; a refreeze publishes each as it is built,
 * retiring the old one (tables published before a failure stay: each is
 * complete). */
static pk_status freeze(pk_host *h, bool refreeze, pk_error *err)
{
  const pk__allocator *a = &h->alloc;
  size_t nnodes = pk__graph_node_count(h->graph), norder;
  const uint32_t *order = pk__graph_order(h->graph, &norder);
  size_t cap = nnodes ? nnodes : 1, nhooks = pk_host_hook_count(h);
  ord o = {0};
  o.a = a;
  o.h = h;
  o.g = pk__graph_new(a);
  uint32_t *pos = pk__alloc_zero(a, cap * sizeof *pos);
  o.head = pk__alloc(a, cap * sizeof *o.head);
  o.mark = pk__alloc_zero(a, cap * sizeof *o.mark);
  size_t nbuilt = refreeze || !nhooks ? 1 : nhooks;
  pk__hook_table **built = refreeze ? NULL
                                    : pk__alloc_zero(a, nbuilt * sizeof *built);
  pk_status st = PK_OK;
  if (!o.g || !pos || !o.head || !o.mark || (!refreeze && !built)) {
    st = pk__fail(err, PK_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < cap; i++)
    o.head[i] = UINT32_MAX;
  for (size_t i = 0; i < norder; i++)
    pos[order[i]] = (uint32_t)i;
  for (size_t i = 0; i < nhooks && st == PK_OK; i++) {
    pk_hook *k = pk_host_hook_at(h, i);
    pk__hook_table *t = NULL;
    st = hook_table(&o, k, pos, &t, err);
    if (st == PK_OK && refreeze && pk__hook_publish(h, k, t, true) != PK_OK)
      st = pk__fail(err, PK_ENOMEM, "out of memory");
    else if (st == PK_OK && !refreeze)
      built[i] = t;
  }
  for (size_t i = 0; !refreeze && i < nhooks; i++) {
    if (st == PK_OK) /* nothing in flight before the first freeze */
      pk__hook_publish(h, pk_host_hook_at(h, i), built[i], false);
    else /* leave nothing half published */
      pk__hook_table_free(h, built[i]);
  }
  if (st == PK_OK && !refreeze && pk__hooks_set_frozen(h) != PK_OK)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
done:
  pk__graph_free(o.g);
  pk__free(a, built, nbuilt * sizeof *built);
  pk__free(a, pos, cap * sizeof *pos);
  pk__free(a, o.head, cap * sizeof *o.head);
  pk__free(a, o.mark, cap * sizeof *o.mark);
  pk__free(a, o.stack, o.stackcap * sizeof *o.stack);
  pk__free(a, o.edges, o.ecap * sizeof *o.edges);
  return st;
}

pk_status pk__hooks_freeze(pk_host *h, pk_error *err)
{
  return pk__hooks_frozen(h) ? PK_OK : freeze(h, false, err);
}

pk_status pk__hooks_refreeze(pk_host *h, pk_error *err)
{
  return pk__hooks_frozen(h) ? freeze(h, true, err) : PK_OK;
}
