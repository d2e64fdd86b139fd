/* graph.c -- the ordering engine: plugins by their requirements (cycle
 * checks as edges appear, the seed's layering) and hook implementations by
 * their dependencies and hints (an order by rank); one reporter for every
 * cycle.  SPDX-License-Identifier: MIT
 *
 * Two orders are kept.  `ord` is any topological order (dependencies
 * first), maintained incrementally with the Pearce-Kelly algorithm so that a
 * cycle is found the moment its closing edge is committed, in time
 * proportional to the affected region only; new nodes enter at the front,
 * where they can never violate it.  Many pending edges at once (a big
 * import round) are checked by one pass of the layering instead: the seed's
 * algorithm (iterative depth-first search), which also finds any cycle and
 * yields a fresh topological order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

#define NONE UINT32_MAX
#define MAX_NODES ((size_t)INT32_MAX - 1) /* ord is 32 bits */

typedef struct edge {
  uint32_t from, to;          /* from requires to */
  uint32_t next_out, next_in; /* next edge with the same from / to */
} edge;

struct pk__graph {
  pk__allocator alloc;
  size_t n, cap;       /* nodes */
  const char **key;    /* sort key per node (borrowed) */
  int32_t *ord;        /* topological position; deps have smaller values
                        * (32 bits: at most MAX_NODES nodes, and every
                        * position lies in [-n, n)) */
  uint32_t *head_out;  /* first edge whose from is the node */
  uint32_t *head_in;   /* first edge whose to is the node, of the edges
                        * [0, linked_in): the in-lists are linked when a
                        * search or a sort first walks them (link_in) */
  uint32_t *stamp;     /* visit marks (== gen) for searches */
  uint32_t *parent;    /* search tree */
  uint32_t *layer;     /* after layering */
  uint32_t *ndeps;     /* out-degree */
  size_t m, ecap;      /* edges */
  edge *edges;
  size_t committed;    /* edges [0, committed) are checked */
  size_t linked_in;    /* edges [0, linked_in) are in the in-lists */
  int32_t front;       /* smallest ord handed out */
  uint32_t gen;
  bool ord_valid;      /* false until the first commit */
  size_t layered_n, layered_m; /* graph size at the last layering */
  bool broken;         /* a cycle was found */
  /* scratch, reused */
  uint32_t *stack, *set_f, *set_b;
  size_t stack_cap, f_cap, b_cap;
  int32_t *pool;
  size_t pool_cap;
  uint32_t *cycle;      /* ncycle nodes, the first repeated at the end */
  size_t ncycle, cycle_cap;
  uint32_t *cycle_edge; /* edge i from cycle[i] to cycle[i + 1], or NONE */
  size_t cycle_edge_cap;
  /* layering results */
  uint32_t *order, *starts, *rank, *csr_start, *csr, *span;
  size_t order_cap, starts_cap, nlayers, rank_cap, csr_start_cap, csr_cap;
  size_t span_cap;
  /* the nodes by key, kept from one layering to the next: keys never
   * change and nodes are only appended, so while n is sorted_n it holds */
  uint32_t *sorted;
  size_t sorted_cap, sorted_n;
  uint64_t *skey; /* sort_by_key's words */
  size_t skey_cap;
};

/* ---- life cycle ---- */

pk__graph *pk__graph_new(const pk__allocator *a)
{
  pk__graph *g = pk__alloc_zero(a, sizeof *g);
  if (g && a)
    g->alloc = *a;
  return g;
}

#define FREE_ARR(g, p, cap) pk__free(&(g)->alloc, (p), (cap) * sizeof *(p))

void pk__graph_free(pk__graph *g)
{
  if (!g)
    return;
  FREE_ARR(g, g->key, g->cap);
  FREE_ARR(g, g->ord, g->cap);
  FREE_ARR(g, g->head_out, g->cap);
  FREE_ARR(g, g->head_in, g->cap);
  FREE_ARR(g, g->stamp, g->cap);
  FREE_ARR(g, g->parent, g->cap);
  FREE_ARR(g, g->layer, g->cap);
  FREE_ARR(g, g->ndeps, g->cap);
  FREE_ARR(g, g->edges, g->ecap);
  FREE_ARR(g, g->stack, g->stack_cap);
  FREE_ARR(g, g->set_f, g->f_cap);
  FREE_ARR(g, g->set_b, g->b_cap);
  FREE_ARR(g, g->pool, g->pool_cap);
  FREE_ARR(g, g->cycle, g->cycle_cap);
  FREE_ARR(g, g->cycle_edge, g->cycle_edge_cap);
  FREE_ARR(g, g->order, g->order_cap);
  FREE_ARR(g, g->starts, g->starts_cap);
  FREE_ARR(g, g->rank, g->rank_cap);
  FREE_ARR(g, g->csr_start, g->csr_start_cap);
  FREE_ARR(g, g->csr, g->csr_cap);
  FREE_ARR(g, g->span, g->span_cap);
  FREE_ARR(g, g->sorted, g->sorted_cap);
  FREE_ARR(g, g->skey, g->skey_cap);
  pk__free(&g->alloc, g, sizeof *g);
}

static pk_status grow_nodes(pk__graph *g, size_t need)
{
  if (need <= g->cap)
    return PK_OK;
  size_t ncap = g->cap ? g->cap * 2 : 64;
  while (ncap < need)
    ncap *= 2;
  /* All or nothing: the new arrays are allocated first, so a failure
   * leaves every array exactly g->cap long (the allocator is told the true
   * size of every block it frees). */
  void **field[] = {(void **)&g->key,     (void **)&g->ord,
                    (void **)&g->head_out, (void **)&g->head_in,
                    (void **)&g->stamp,   (void **)&g->parent,
                    (void **)&g->layer,   (void **)&g->ndeps};
  const size_t size[] = {sizeof *g->key,     sizeof *g->ord,
                         sizeof *g->head_out, sizeof *g->head_in,
                         sizeof *g->stamp,   sizeof *g->parent,
                         sizeof *g->layer,   sizeof *g->ndeps};
  enum { NFIELD = sizeof size / sizeof size[0] };
  void *fresh[NFIELD];
  for (size_t i = 0; i < NFIELD; i++) {
    fresh[i] = pk__alloc(&g->alloc, ncap * size[i]);
    if (!fresh[i]) {
      while (i-- > 0)
        pk__free(&g->alloc, fresh[i], ncap * size[i]);
      return PK_ENOMEM;
    }
  }
  for (size_t i = 0; i < NFIELD; i++) {
    if (g->cap)
      memcpy(fresh[i], *field[i], g->cap * size[i]);
    pk__free(&g->alloc, *field[i], g->cap * size[i]);
    *field[i] = fresh[i];
  }
  g->cap = ncap;
  return PK_OK;
}

void pk__graph_clear(pk__graph *g)
{
  g->n = g->m = g->committed = g->linked_in = 0;
  g->front = 0;
  g->ord_valid = g->broken = false;
  g->ncycle = g->nlayers = 0;
  g->layered_n = g->layered_m = SIZE_MAX;
  g->sorted_n = 0;
}

pk_status pk__graph_reserve(pk__graph *g, size_t nodes, size_t edges)
{
  if (grow_nodes(g, nodes) != PK_OK ||
      pk__vec_reserve(&g->alloc, (void **)&g->edges, &g->ecap, edges,
                      sizeof *g->edges) != PK_OK)
    return PK_ENOMEM;
  return PK_OK;
}

/* The slow path of pk__graph_add_node, as add_edge_grow's: room for one
 * more node, at most MAX_NODES of them, then the node. */
static __attribute__((noinline, cold)) pk_status
add_node_grow(pk__graph *g, const char *key, uint32_t *id)
{
  if (g->n >= MAX_NODES || grow_nodes(g, g->n + 1) != PK_OK)
    return PK_ENOMEM;
  return pk__graph_add_node(g, key, id); /* now n < cap */
}

pk_status pk__graph_add_node(pk__graph *g, const char *key, uint32_t *id)
{
  if (g->n == g->cap || g->n >= MAX_NODES)
    return add_node_grow(g, key, id);
  size_t i = g->n++;
  g->key[i] = key;
  g->ord[i] = --g->front;
  g->head_out[i] = g->head_in[i] = NONE;
  g->stamp[i] = 0;
  g->parent[i] = NONE;
  g->layer[i] = 0;
  g->ndeps[i] = 0;
  *id = (uint32_t)i;
  return PK_OK;
}

/* The slow path of pk__graph_add_edge, out of line (a tail call) so that
 * the fast one saves no registers: room for one more edge, an edge number
 * below NONE - 1, then the edge. */
static __attribute__((noinline, cold)) pk_status
add_edge_grow(pk__graph *g, uint32_t from, uint32_t to)
{
  if (g->m >= NONE - 1 ||
      pk__vec_reserve(&g->alloc, (void **)&g->edges, &g->ecap, g->m + 1,
                      sizeof *g->edges) != PK_OK)
    return PK_ENOMEM;
  return pk__graph_add_edge(g, from, to); /* now m < ecap */
}

pk_status pk__graph_add_edge(pk__graph *g, uint32_t from, uint32_t to)
{
  size_t m = g->m;
  if (m == g->ecap || m >= NONE - 1)
    return add_edge_grow(g, from, to);
  /* through locals: the stores below cannot then make the compiler load
   * g's fields again */
  uint32_t *out = g->head_out, e = (uint32_t)m;
  edge *ed = &g->edges[m];
  ed->from = from;
  ed->to = to;
  ed->next_out = out[from];
  out[from] = e;
  g->ndeps[from]++;
  g->m = m + 1;
  return PK_OK;
}

size_t pk__graph_node_count(const pk__graph *g) { return g->n; }

size_t pk__graph_cycle(const pk__graph *g, const uint32_t **nodes)
{
  *nodes = g->cycle;
  return g->ncycle;
}

size_t pk__graph_dep_count(const pk__graph *g, uint32_t node)
{
  return g->ndeps[node];
}

uint32_t pk__graph_dep_at(const pk__graph *g, uint32_t node, size_t i)
{
  /* the list is newest first: insertion index i is ndeps - 1 - i from it */
  size_t k = g->ndeps[node] - 1 - i;
  uint32_t e = g->head_out[node];
  while (k--)
    e = g->edges[e].next_out;
  return g->edges[e].to;
}

void pk__graph_deps(const pk__graph *g, uint32_t node, uint32_t *out)
{
  /* The list is newest first; hand it out in insertion order. */
  size_t k = g->ndeps[node];
  for (uint32_t e = g->head_out[node]; e != NONE; e = g->edges[e].next_out)
    out[--k] = g->edges[e].to;
}

/* Links the edges added since into the in-lists (each list newest first,
 * as if every edge had been linked when added).  Only the incremental
 * check and pk__graph_sort walk them: a bulk commit, whose layering reads
 * the edge array, never pays for their random writes. */
static void link_in(pk__graph *g)
{
  uint32_t *in = g->head_in;
  for (size_t e = g->linked_in; e < g->m; e++) {
    g->edges[e].next_in = in[g->edges[e].to];
    in[g->edges[e].to] = (uint32_t)e;
  }
  g->linked_in = g->m;
}

/* ---- scratch helpers ---- */

static pk_status push(pk__graph *g, uint32_t **arr, size_t *n, size_t *cap,
                      uint32_t v)
{
  return PK__VEC_PUSH(&g->alloc, *arr, *n, *cap, v);
}

static uint32_t next_gen(pk__graph *g)
{
  if (++g->gen == 0) { /* wrapped: clear the marks once */
    memset(g->stamp, 0, g->n * sizeof *g->stamp);
    g->gen = 1;
  }
  return g->gen;
}

/* g->cycle holds k nodes, each requiring the next and the last requiring
 * the first (edges: g->cycle_edge, or none recorded): rotate it to start
 * at the smallest key (a node without one never starts it) and close the
 * loop. */
static pk_status finish_cycle(pk__graph *g, bool edges)
{
  size_t k = g->ncycle, best = 0;
  if (pk__vec_reserve(&g->alloc, (void **)&g->cycle_edge,
                      &g->cycle_edge_cap, k, sizeof *g->cycle_edge) != PK_OK)
    return PK_ENOMEM;
  for (size_t i = 0; !edges && i < k; i++)
    g->cycle_edge[i] = NONE;
  while (best < k && !g->key[g->cycle[best]])
    best++;
  for (size_t i = best + 1; i < k; i++)
    if (g->key[g->cycle[i]] &&
        strcmp(g->key[g->cycle[i]], g->key[g->cycle[best]]) < 0)
      best = i;
  for (size_t r = 0; best < k && r < best; r++) {
    uint32_t first = g->cycle[0], e = g->cycle_edge[0];
    memmove(g->cycle, g->cycle + 1, (k - 1) * sizeof *g->cycle);
    memmove(g->cycle_edge, g->cycle_edge + 1, (k - 1) * sizeof *g->cycle_edge);
    g->cycle[k - 1] = first;
    g->cycle_edge[k - 1] = e;
  }
  if (push(g, &g->cycle, &g->ncycle, &g->cycle_cap, g->cycle[0]) != PK_OK)
    return PK_ENOMEM;
  g->broken = true;
  return PK_EDEP_CYCLE;
}

/* The new edge from -> to closed a cycle; parent[] leads from `to` back to
 * `from`, each node requiring its parent. */
static pk_status record_cycle(pk__graph *g, uint32_t from, uint32_t to)
{
  g->ncycle = 0;
  if (push(g, &g->cycle, &g->ncycle, &g->cycle_cap, from) != PK_OK)
    return PK_ENOMEM;
  for (uint32_t v = to; v != from; v = g->parent[v])
    if (push(g, &g->cycle, &g->ncycle, &g->cycle_cap, v) != PK_OK)
      return PK_ENOMEM;
  return finish_cycle(g, false);
}

/* ---- incremental check: Pearce-Kelly ---- */

/* Edge x requires y: y must come before x.  ord[y] >= ord[x] here. */
static pk_status pk_insert(pk__graph *g, uint32_t x, uint32_t y)
{
  int32_t lb = g->ord[x], ub = g->ord[y];
  size_t nf = 0, nb = 0, top = 0;
  uint32_t gen = next_gen(g);

  /* Forward: dependents of x (they must stay after x) with ord <= ub. */
  g->stamp[x] = gen;
  g->parent[x] = NONE;
  if (push(g, &g->stack, &top, &g->stack_cap, x) != PK_OK)
    return PK_ENOMEM;
  while (top) {
    uint32_t u = g->stack[--top];
    if (push(g, &g->set_f, &nf, &g->f_cap, u) != PK_OK)
      return PK_ENOMEM;
    for (uint32_t e = g->head_in[u]; e != NONE; e = g->edges[e].next_in) {
      uint32_t d = g->edges[e].from; /* d requires u */
      if (d == y) {
        g->parent[y] = u;
        return record_cycle(g, x, y);
      }
      if (g->stamp[d] != gen && g->ord[d] <= ub) {
        g->stamp[d] = gen;
        g->parent[d] = u;
        if (push(g, &g->stack, &top, &g->stack_cap, d) != PK_OK)
          return PK_ENOMEM;
      }
    }
  }
  /* Backward: dependencies of y with ord >= lb. */
  uint32_t bgen = next_gen(g);
  g->stamp[y] = bgen;
  top = 0;
  if (push(g, &g->stack, &top, &g->stack_cap, y) != PK_OK)
    return PK_ENOMEM;
  while (top) {
    uint32_t u = g->stack[--top];
    if (push(g, &g->set_b, &nb, &g->b_cap, u) != PK_OK)
      return PK_ENOMEM;
    for (uint32_t e = g->head_out[u]; e != NONE; e = g->edges[e].next_out) {
      uint32_t d = g->edges[e].to;
      if (g->stamp[d] != bgen && g->ord[d] >= lb) {
        g->stamp[d] = bgen;
        if (push(g, &g->stack, &top, &g->stack_cap, d) != PK_OK)
          return PK_ENOMEM;
      }
    }
  }
  /* Reassign the pooled positions: the backward set (y and what it
   * requires) first, then the forward set (x and its dependents), each in
   * its current relative order. */
  size_t np = nf + nb;
  if (pk__vec_reserve(&g->alloc, (void **)&g->pool, &g->pool_cap, np,
                      sizeof *g->pool) != PK_OK)
    return PK_ENOMEM;
  /* sort each set by ord (insertion sort; the sets are small) */
  uint32_t *sets[2] = {g->set_b, g->set_f};
  size_t counts[2] = {nb, nf};
  for (int s = 0; s < 2; s++)
    for (size_t i = 1; i < counts[s]; i++) {
      uint32_t v = sets[s][i];
      size_t j = i;
      while (j && g->ord[sets[s][j - 1]] > g->ord[v]) {
        sets[s][j] = sets[s][j - 1];
        j--;
      }
      sets[s][j] = v;
    }
  size_t k = 0, i = 0, j = 0;
  while (i < nb || j < nf) { /* merge the two sorted ord lists */
    if (j >= nf || (i < nb && g->ord[g->set_b[i]] < g->ord[g->set_f[j]]))
      g->pool[k++] = g->ord[g->set_b[i++]];
    else
      g->pool[k++] = g->ord[g->set_f[j++]];
  }
  k = 0;
  for (i = 0; i < nb; i++)
    g->ord[g->set_b[i]] = g->pool[k++];
  for (j = 0; j < nf; j++)
    g->ord[g->set_f[j]] = g->pool[k++];
  return PK_OK;
}

static pk_status layer_all(pk__graph *g);

pk_status pk__graph_commit(pk__graph *g)
{
  if (g->broken)
    return PK_EDEP_CYCLE;
  size_t pending = g->m - g->committed;
  if (!pending)
    return PK_OK;
  pk_status st;
  if (!g->ord_valid || pending > g->n / 4 + 64) {
    size_t was = g->committed;
    g->committed = g->m; /* layer_all checks every edge */
    st = layer_all(g);
    if (st == PK_OK)
      g->ord_valid = true;
    else if (st == PK_ENOMEM)
      g->committed = was;
    return st;
  } else {
    st = PK_OK;
    link_in(g);
    for (size_t e = g->committed; e < g->m && st == PK_OK; e++) {
      uint32_t x = g->edges[e].from, y = g->edges[e].to;
      if (x == y) {
        g->parent[x] = x;
        st = record_cycle(g, x, x);
      } else if (g->ord[y] >= g->ord[x]) {
        st = pk_insert(g, x, y);
      }
    }
  }
  if (st == PK_OK)
    g->committed = g->m;
  return st;
}

/* ---- layering (the seed's algorithm, iteratively) ---- */

/* Sorts ids[0..n) by key (bottom-up merge sort; tmp holds n ids); keys are
 * compared from byte `skip` on (they share their first skip bytes). */
static void merge_sort(const char *const *key, size_t skip, uint32_t *ids,
                       uint32_t *tmp, size_t n)
{
  uint32_t *src = ids, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        dst[k++] = strcmp(key[src[j]] + skip, key[src[i]] + skip) < 0
                       ? src[j++]
                       : src[i++];
      while (i < mid)
        dst[k++] = src[i++];
      while (j < hi)
        dst[k++] = src[j++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != ids)
    memcpy(ids, src, n * sizeof *ids);
}

/* The n (4 or 8) bytes at s as the top bytes of a big-endian word. */
static inline uint64_t be_word(const char *s, size_t n)
{
  uint64_t w = 0;
  memcpy(&w, s, n);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

/* The first 16 bytes of a key (zeros after its end) as two big-endian
 * words: they compare as the bytes do.  Loads that overlap and never read
 * past the end (the first 8 and the last 8 bytes, shifted into place; 4
 * and 4 for 4 to 7 bytes), no copy through a buffer. */
static inline void key_words(const char *key, uint64_t *hi, uint64_t *lo)
{
  size_t len = strnlen(key, 16);
  if (len >= 8) {
    *hi = be_word(key, 8);
    *lo = len > 8 ? be_word(key + len - 8, 8) << (8 * (16 - len)) : 0;
  } else if (len >= 4) {
    *hi = be_word(key, 4) | be_word(key + len - 4, 4) >> (8 * (len - 4));
    *lo = 0;
  } else {
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++)
      w |= (uint64_t)(unsigned char)key[i] << (56 - 8 * i);
    *hi = w;
    *lo = 0;
  }
}

/* One stable counting pass of an LSD radix sort on the digit of `bits`
 * bits at `shift` of dw (one of the words) carrying the other word ow
 * (or none) and the ids; the results go to the second half of each
 * buffer pair, which the caller swaps. */
static void radix_pass(uint32_t *count, int bits, int shift, uint64_t *dw[2],
                       uint64_t *ow[2], uint32_t *is[2], size_t n)
{
  uint64_t mask = ((uint64_t)1 << bits) - 1;
  memset(count, 0, (mask + 1) * sizeof *count);
  for (size_t i = 0; i < n; i++)
    count[(dw[0][i] >> shift) & mask]++;
  uint32_t sum = 0;
  for (size_t d = 0; d <= mask; d++) {
    uint32_t c = count[d];
    count[d] = sum;
    sum += c;
  }
  for (size_t i = 0; i < n; i++) {
    uint32_t at = count[(dw[0][i] >> shift) & mask]++;
    dw[1][at] = dw[0][i];
    if (ow)
      ow[1][at] = ow[0][i];
    is[1][at] = is[0][i];
  }
}

static void swap_pair(void **pair)
{
  void *t = pair[0];
  pair[0] = pair[1];
  pair[1] = t;
}

/* ids[0, n) in order by the first 16 bytes of their keys, whose words
 * (key_words, one or both) are w0[i] and w1[i]: the runs that tie on all
 * 16 bytes, of keys of 16 bytes or more (else they are equal, and in node
 * order already), sorted by the rest. */
static void sort_ties(const char *const *key, uint32_t *ids, uint32_t *tmp,
                      size_t n, const uint64_t *w0, const uint64_t *w1)
{
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && w0[j] == w0[i] && w1[j] == w1[i])
      j++;
    if (j - i > 1) {
      const char *k = key[ids[i]];
      size_t len = 0;
      while (len < 16 && k[len])
        len++;
      if (len == 16)
        merge_sort(key, 16, ids + i, tmp, j - i);
    }
    i = j;
  }
}

/* Sorts ids by key.  Each key is read once, for its first 16 bytes (two
 * words, g->skey); an LSD radix sort runs on the bits where some keys
 * differ (names share long prefixes such as "ns\x01p0000": those bits cost
 * no pass), 8-bit digits (12-bit ones for many keys), each starting at the
 * next differing bit.  When every differing bit lies in one 64-bit window
 * of the 128 (names of digits after a shared namespace), that window is
 * the only word sorted.  Nodes that came in key order already (a host
 * adds a namespace's plugins so) are found by one walk of those words and
 * cost no pass.  The rare runs that tie on all 16 bytes are merge-sorted by the
 * rest of their keys.  Linear for the usual case. */
static pk_status sort_by_key(pk__graph *g, uint32_t *ids, uint32_t *tmp,
                             size_t n)
{
  const char *const *key = g->key;
  if (n < 64) {
    merge_sort(key, 0, ids, tmp, n);
    return PK_OK;
  }
  if (pk__vec_reserve(&g->alloc, (void **)&g->skey, &g->skey_cap, 4 * n,
                      sizeof *g->skey) != PK_OK)
    return PK_ENOMEM;
  uint64_t *hi[2] = {g->skey, g->skey + n}, *lo[2] = {g->skey + 2 * n,
                                                       g->skey + 3 * n};
  uint64_t dhi = 0, dlo = 0; /* bits where some key differs from the first */
  for (size_t i = 0; i < n; i++) {
    key_words(key[ids[i]], &hi[0][i], &lo[0][i]);
    dhi |= hi[0][i] ^ hi[0][0];
    dlo |= lo[0][i] ^ lo[0][0];
  }
  size_t up = 1; /* keys [0, up) come in order (by their words) */
  while (up < n && (hi[0][up] > hi[0][up - 1] ||
                    (hi[0][up] == hi[0][up - 1] && lo[0][up] >= lo[0][up - 1])))
    up++;
  if (up == n) { /* all of them (a host adds a namespace's plugins so) */
    sort_ties(key, ids, tmp, n, hi[0], lo[0]);
    return PK_OK;
  }
  /* words[k]: the buffer pair of the k-th word sorted (low first) */
  uint64_t **words[2] = {lo, hi}, differ[2] = {dlo, dhi};
  int nwords = 2;
  if (!dhi || !dlo) { /* one word holds every difference */
    nwords = 1;
    if (!dlo)
      words[0] = hi, differ[0] = dhi;
  } else {
    int low = __builtin_ctzll(dlo), high = 127 - __builtin_clzll(dhi);
    if (high - low < 64) { /* one window [low, low + 64) of hi:lo */
      for (size_t i = 0; i < n; i++)
        lo[0][i] = hi[0][i] << (64 - low) | lo[0][i] >> low;
      differ[0] = dhi << (64 - low) | dlo >> low;
      nwords = 1;
    }
  }
  uint32_t *is[2] = {ids, tmp};
  int bits = n >= 32768 ? 12 : 8;
  uint32_t count[4096];
  for (int w = 0; w < nwords; w++) {
    uint64_t **dw = words[w], **ow = nwords == 2 ? words[1 - w] : NULL;
    for (int shift = 0; shift < 64 && (differ[w] >> shift); shift += bits) {
      while (!((differ[w] >> shift) & 1))
        shift++;
      radix_pass(count, bits, shift, dw, ow, is, n);
      swap_pair((void **)dw);
      if (ow)
        swap_pair((void **)ow);
      swap_pair((void **)is);
    }
  }
  if (is[0] != ids) /* an odd number of passes ran */
    memcpy(ids, is[0], n * sizeof *ids);
  sort_ties(key, ids, tmp, n, words[0][0],
            nwords == 2 ? words[1][0] : words[0][0]);
  return PK_OK;
}

pk_status pk__graph_layering(pk__graph *g)
{
  pk_status st = pk__graph_commit(g);
  if (st != PK_OK)
    return st;
  if (g->layered_n == g->n && g->layered_m == g->m)
    return PK_OK; /* nothing changed since the last layering */
  return layer_all(g);
}

/* The seed's layering of every node; on the way, a cycle check of every
 * edge (a dependency found on the current DFS path closes a cycle) and a
 * fresh topological order (ord = post-order position).
 *
 * How it works: the nodes are sorted by key, then the whole pass runs in
 * that rank space -- the dependency lists (CSR) hold ranks, so each list
 * sorts as plain integers, the roots are visited in rank order (a
 * sequential walk), and one word per rank (st) is both the visit mark and
 * the layer.  Only the results go back to node numbers. */
static pk_status layer_all(pk__graph *g)
{
  size_t n = g->n;
  if (g->broken)
    return PK_EDEP_CYCLE;
  if (pk__vec_reserve(&g->alloc, (void **)&g->rank, &g->rank_cap, n + 1,
                      sizeof *g->rank) ||
      pk__vec_reserve(&g->alloc, (void **)&g->order, &g->order_cap, n + 1,
                      sizeof *g->order) ||
      pk__vec_reserve(&g->alloc, (void **)&g->csr_start, &g->csr_start_cap,
                      n + 1, sizeof *g->csr_start) ||
      pk__vec_reserve(&g->alloc, (void **)&g->csr, &g->csr_cap, g->m + 1,
                      sizeof *g->csr) ||
      pk__vec_reserve(&g->alloc, (void **)&g->span, &g->span_cap, 2 * n + 2,
                      sizeof *g->span) ||
      pk__vec_reserve(&g->alloc, (void **)&g->starts, &g->starts_cap, n + 2,
                      sizeof *g->starts) ||
      pk__vec_reserve(&g->alloc, (void **)&g->stack, &g->stack_cap, n + 1,
                      sizeof *g->stack) ||
      pk__vec_reserve(&g->alloc, (void **)&g->set_f, &g->f_cap, n + 1,
                      sizeof *g->set_f) ||
      pk__vec_reserve(&g->alloc, (void **)&g->set_b, &g->b_cap, n + 1,
                      sizeof *g->set_b) ||
      pk__vec_reserve(&g->alloc, (void **)&g->sorted, &g->sorted_cap, n + 1,
                      sizeof *g->sorted))
    return PK_ENOMEM;

  /* Roots in key order: sorted[r] is the node of rank r (the last
   * layering's when no node came since). */
  uint32_t *sorted = g->sorted, *rank = g->rank;
  if (g->sorted_n != n) {
    g->sorted_n = 0;
    for (size_t v = 0; v < n; v++)
      sorted[v] = (uint32_t)v;
    if (sort_by_key(g, sorted, g->stack, n) != PK_OK)
      return PK_ENOMEM;
    g->sorted_n = n;
  }
  /* CSR of dependencies, the lists in node order (edges come grouped by
   * the requiring node, so the scatter of the edge array writes
   * sequentially), each entry a rank, each list sorted as it fills (an
   * insertion into the entries just written: in cache, no second pass
   * over the lists; duplicates kept, as the seed); span[2r, 2r + 1] is
   * the list of the node of rank r. */
  uint32_t *nstart = g->csr_start, *csr = g->csr, *span = g->span;
  size_t pos = 0;
  for (size_t v = 0; v < n; v++) {
    nstart[v] = (uint32_t)pos;
    pos += g->ndeps[v];
  }
  nstart[n] = (uint32_t)pos;
  for (size_t r = 0; r < n; r++) {
    uint32_t v = sorted[r];
    rank[v] = (uint32_t)r;
    span[2 * r] = nstart[v];
    span[2 * r + 1] = nstart[v + 1];
  }
  uint32_t *fill = g->stack; /* next free slot per node, scratch */
  memcpy(fill, nstart, n * sizeof *fill);
  for (size_t e = 0; e < g->m; e++) {
    uint32_t v = g->edges[e].from, d = rank[g->edges[e].to], j = fill[v]++;
    for (; j > nstart[v] && csr[j - 1] > d; j--)
      csr[j] = csr[j - 1];
    csr[j] = d;
  }

  /* Depth-first from each root in rank order; a node is placed when all
   * its dependencies are, in post-order.  st[r]: 0 not visited, NONE on
   * the current path, else its layer + 1.  The node being visited is u
   * (its next dependency k, the largest st[] of those passed m: a node's
   * layer is known when its last dependency is, with no second walk of
   * its list); stack holds the ranks waiting on it, set_f and set_b their
   * k and m (a node whose dependencies are all placed, as most are when
   * their names sort after those of their dependencies, never enters the
   * stack); post (in parent) the post-order by rank; cnt (starts) the
   * count of each layer + 1, zeroed as the deepest layer grows. */
  uint32_t *st = g->stamp, *stack = g->stack, *next = g->set_f;
  uint32_t *deepest = g->set_b, *post = g->parent, *cnt = g->starts;
  memset(st, 0, n * sizeof *st);
  uint32_t maxl = 0;
  cnt[0] = cnt[1] = 0;
  size_t npost = 0;
  pk_status res = PK_OK;
  for (uint32_t root = 0; root < n && res == PK_OK; root++) {
    if (st[root])
      continue;
    size_t top = 0;
    uint32_t u = root, k = span[2 * root], end = span[2 * root + 1];
    uint32_t m = 0, d = 0, sd = 0;
    st[root] = NONE;
    for (;;) {
      for (; k < end; k++) { /* the dependencies placed already */
        d = csr[k];
        sd = st[d];
        if (!sd || sd == NONE)
          break;
        if (sd > m)
          m = sd;
      }
      if (k < end && !sd) { /* descend into d: u waits on the stack */
        st[d] = NONE;
        stack[top] = u;
        deepest[top] = m;
        next[top++] = k + 1;
        u = d, k = span[2 * d], end = span[2 * d + 1], m = 0;
        continue;
      }
      if (k < end) { /* d is on the path (or is u): a cycle */
        stack[top++] = u;
        size_t at = 0;
        while (stack[at] != d)
          at++;
        g->ncycle = 0;
        for (; at < top && res == PK_OK; at++)
          res = push(g, &g->cycle, &g->ncycle, &g->cycle_cap,
                     sorted[stack[at]]);
        if (res == PK_OK)
          res = finish_cycle(g, false);
        break;
      }
      uint32_t l = m + 1; /* u is placed: its layer + 1 */
      st[u] = l;
      for (; maxl < l - 1; maxl++)
        cnt[maxl + 2] = 0;
      cnt[l]++;
      post[npost++] = u;
      if (!top)
        break;
      top--; /* back to the node that waited on u */
      u = stack[top], k = next[top], end = span[2 * u + 1];
      m = deepest[top] > l ? deepest[top] : l;
    }
  }
  if (res != PK_OK) {
    memset(st, 0, n * sizeof *st); /* stamps again, for the next search */
    memset(g->parent, 0xff, n * sizeof *g->parent); /* all NONE */
    return res;
  }
  /* Back to node numbers, in one pass over the post-order: layer, ord (=
   * post-order position), and order, a stable bucket by layer (layer 0 in
   * post-order, then layer 1...) through a cursor per layer (stack). */
  g->nlayers = n ? (size_t)maxl + 1 : 0;
  cnt[maxl + 2] = 0;
  for (size_t l = 0; l < g->nlayers; l++) {
    cnt[l + 1] += cnt[l];
    stack[l] = cnt[l];
  }
  for (size_t i = 0; i < n; i++) {
    uint32_t r = post[i], v = sorted[r], l = st[r] - 1;
    g->layer[v] = l;
    g->ord[v] = (int32_t)i;
    g->order[stack[l]++] = v;
  }
  /* The marks stay: each is a layer + 1, at most maxl + 1, so the next
   * search's generation (from maxl + 2 on) sees every node unvisited; a
   * search sets the parent of every node it reaches, so parent needs no
   * reset either. */
  g->gen = maxl + 1;
  g->front = 0;
  g->layered_n = n;
  g->layered_m = g->m;
  return PK_OK;
}

const uint32_t *pk__graph_order(const pk__graph *g, size_t *n)
{
  *n = g->n;
  return g->order;
}

const uint32_t *pk__graph_layer_starts(const pk__graph *g, size_t *layers)
{
  *layers = g->nlayers;
  return g->starts;
}

uint32_t pk__graph_layer_of(const pk__graph *g, uint32_t node)
{
  return g->layer[node];
}

/* ---- order by rank (hook implementations) ---- */

static void heap_push(uint32_t *heap, size_t *nh, const uint64_t *rank,
                      uint32_t x)
{
  size_t c = (*nh)++;
  heap[c] = x;
  while (c && rank[heap[(c - 1) / 2]] > rank[heap[c]]) {
    uint32_t t = heap[c];
    heap[c] = heap[(c - 1) / 2];
    heap[(c - 1) / 2] = t;
    c = (c - 1) / 2;
  }
}

static uint32_t heap_pop(uint32_t *heap, size_t *nh, const uint64_t *rank)
{
  uint32_t x = heap[0];
  size_t n = --*nh;
  heap[0] = heap[n];
  for (size_t c = 0;;) {
    size_t l = 2 * c + 1, r = l + 1, m = c;
    if (l < n && rank[heap[l]] < rank[heap[m]])
      m = l;
    if (r < n && rank[heap[r]] < rank[heap[m]])
      m = r;
    if (m == c)
      break;
    uint32_t t = heap[c];
    heap[c] = heap[m];
    heap[m] = t;
    c = m;
  }
  return x;
}

/* A cycle among the nodes the sort could not place (each still requires
 * another unplaced node): from the first such node, follow for each node
 * its first edge (by number) to an unplaced node until a node repeats. */
static pk_status sort_cycle(pk__graph *g, const uint32_t *left)
{
  uint32_t *pick = g->stack, *seen = g->set_b, v = NONE; /* scratch */
  for (size_t i = 0; i < g->n; i++)
    pick[i] = seen[i] = NONE;
  for (size_t e = 0; e < g->m; e++) {
    uint32_t x = g->edges[e].from, y = g->edges[e].to;
    if (left[x] && left[y] && pick[x] == NONE) {
      pick[x] = (uint32_t)e;
      if (v == NONE)
        v = x;
    }
  }
  while (seen[v] == NONE) { /* walk until a node repeats: it is on a cycle */
    seen[v] = 0;
    v = g->edges[pick[v]].to;
  }
  g->ncycle = 0;
  size_t k = 0;
  uint32_t u = v;
  do {
    if (push(g, &g->cycle, &g->ncycle, &g->cycle_cap, u) != PK_OK ||
        pk__vec_reserve(&g->alloc, (void **)&g->cycle_edge,
                        &g->cycle_edge_cap, k + 1,
                        sizeof *g->cycle_edge) != PK_OK)
      return PK_ENOMEM;
    g->cycle_edge[k++] = pick[u];
    u = g->edges[pick[u]].to;
  } while (u != v);
  return finish_cycle(g, true);
}

pk_status pk__graph_sort(pk__graph *g, const uint64_t *rank, uint32_t *out)
{
  size_t n = g->n, placed = 0, nh = 0;
  if (pk__vec_reserve(&g->alloc, (void **)&g->set_f, &g->f_cap, n + 1,
                      sizeof *g->set_f) ||
      pk__vec_reserve(&g->alloc, (void **)&g->stack, &g->stack_cap, n + 1,
                      sizeof *g->stack) ||
      pk__vec_reserve(&g->alloc, (void **)&g->set_b, &g->b_cap, n + 1,
                      sizeof *g->set_b))
    return PK_ENOMEM;
  uint32_t *left = g->set_f, *heap = g->stack; /* requirements unplaced */
  link_in(g);
  for (size_t v = 0; v < n; v++)
    if (!(left[v] = g->ndeps[v]))
      heap_push(heap, &nh, rank, (uint32_t)v);
  while (nh) {
    uint32_t x = heap_pop(heap, &nh, rank);
    out[placed++] = x;
    for (uint32_t e = g->head_in[x]; e != NONE; e = g->edges[e].next_in)
      if (--left[g->edges[e].from] == 0)
        heap_push(heap, &nh, rank, g->edges[e].from);
  }
  return placed < n ? sort_cycle(g, left) : PK_OK;
}

/* ---- the cycle reporter ---- */

void pk__graph_cycle_text(const pk__graph *g, bool backward, const char *sep,
                          pk__graph_step_fn step, void *ud, char *buf,
                          size_t n)
{
  size_t k = g->ncycle ? g->ncycle - 1 : 0, used = 0;
  buf[0] = '\0';
  for (size_t s = 0; s < k && used + 1 < n; s++) {
    size_t i = backward ? k - 1 - s : s, j = backward ? i - 1 : i + 1;
    pk__graph_step at = {g->cycle[i], g->cycle[i + 1], g->cycle_edge[i]};
    pk__graph_step next = {0, 0, NONE};
    if (s + 1 < k)
      next = (pk__graph_step){g->cycle[j], g->cycle[j + 1],
                              g->cycle_edge[j]};
    char part[400];
    if (!step(ud, &at, s + 1 < k ? &next : NULL, part, sizeof part))
      continue;
    int w = snprintf(buf + used, n - used, "%s%s", used ? sep : "", part);
    if (w < 0)
      break;
    used += (size_t)w;
  }
}
