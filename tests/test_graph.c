/* test_graph.c -- the pure ordering module: cycles found as edges appear,
 * the seed's layering, large graphs without recursion, out of memory.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

static char keys[2000][32];

static pk__graph *graph_of(size_t n)
{
  pk__graph *g = pk__graph_new(NULL);
  cr_assert_not_null(g);
  for (size_t i = 0; i < n; i++) {
    uint32_t id;
    snprintf(keys[i], sizeof keys[i], "n\x01%04zu", i);
    cr_assert_eq(pk__graph_add_node(g, keys[i], &id), PK_OK);
    cr_assert_eq(id, i);
  }
  return g;
}

static void check_chain_is_a_cycle(pk__graph *g, const uint32_t *c, size_t n,
                                   const int (*edge)[2], size_t m)
{
  cr_assert_geq(n, 2);
  cr_expect_eq(c[0], c[n - 1], "the chain must close");
  for (size_t i = 0; i + 1 < n; i++) {
    bool found = false;
    for (size_t e = 0; e < m; e++)
      found |= edge[e][0] == (int)c[i] && edge[e][1] == (int)c[i + 1];
    cr_expect(found, "%u -> %u is not an edge", c[i], c[i + 1]);
  }
  for (size_t i = 1; i + 1 < n; i++) /* rotated to the smallest key */
    cr_expect_gt(strcmp(keys[c[i]], keys[c[0]]), 0);
  (void)g;
}

Test(graph, seed_layering_sorted_roots_and_dependencies)
{
  /* 0 requires 3 and 1; 1 requires 2; 4 requires 2. */
  pk__graph *g = graph_of(5);
  int edges[][2] = {{0, 3}, {0, 1}, {1, 2}, {4, 2}};
  for (size_t e = 0; e < 4; e++)
    cr_assert_eq(pk__graph_add_edge(g, (uint32_t)edges[e][0],
                                    (uint32_t)edges[e][1]),
                 PK_OK);
  cr_assert_eq(pk__graph_commit(g), PK_OK);
  cr_assert_eq(pk__graph_layering(g), PK_OK);
  size_t n, layers;
  const uint32_t *order = pk__graph_order(g, &n);
  const uint32_t *starts = pk__graph_layer_starts(g, &layers);
  cr_assert_eq(layers, 3);
  /* DFS from 0: deps sorted (1, 3): 2 placed, 1, 3, then 0; then 4.
   * Layer 0 in post-order: 2 3; layer 1: 1 4; layer 2: 0. */
  uint32_t want[] = {2, 3, 1, 4, 0};
  for (size_t i = 0; i < n; i++)
    cr_expect_eq(order[i], want[i], "order[%zu] = %u", i, order[i]);
  cr_expect_eq(starts[1], 2);
  cr_expect_eq(starts[2], 4);
  pk__graph_free(g);
}

Test(graph, self_requirement_is_a_cycle)
{
  pk__graph *g = graph_of(2);
  cr_assert_eq(pk__graph_add_edge(g, 1, 1), PK_OK);
  cr_assert_eq(pk__graph_commit(g), PK_EDEP_CYCLE);
  const uint32_t *c;
  size_t n = pk__graph_cycle(g, &c);
  cr_assert_eq(n, 2);
  cr_expect_eq(c[0], 1);
  cr_expect_eq(c[1], 1);
  pk__graph_free(g);
}

Test(graph, incremental_cycle_found_by_the_closing_edge)
{
  pk__graph *g = graph_of(6);
  int edges[][2] = {{5, 4}, {4, 3}, {3, 2}, {2, 1}, {0, 1}, {1, 5}};
  for (size_t e = 0; e < 6; e++) {
    cr_assert_eq(pk__graph_add_edge(g, (uint32_t)edges[e][0],
                                    (uint32_t)edges[e][1]),
                 PK_OK);
    pk_status st = pk__graph_commit(g);
    if (e < 5) {
      cr_assert_eq(st, PK_OK, "edge %zu", e);
      continue;
    }
    cr_assert_eq(st, PK_EDEP_CYCLE);
    const uint32_t *c;
    size_t n = pk__graph_cycle(g, &c);
    cr_expect_eq(n, 6); /* 1 -> 5 -> 4 -> 3 -> 2 -> 1 */
    check_chain_is_a_cycle(g, c, n, edges, 6);
    cr_expect_eq(c[0], 1);
    cr_expect_eq(c[1], 5);
  }
  pk__graph_free(g);
}

Test(graph, bulk_commit_finds_a_cycle_with_its_chain)
{
  pk__graph *g = graph_of(300);
  int edges[400][2];
  size_t m = 0;
  for (int i = 1; i < 300; i++)
    edges[m][0] = i, edges[m][1] = i - 1, m++; /* a chain */
  edges[m][0] = 17, edges[m][1] = 250, m++;    /* closes 17..250 */
  for (size_t e = 0; e < m; e++)
    pk__graph_add_edge(g, (uint32_t)edges[e][0], (uint32_t)edges[e][1]);
  cr_assert_eq(pk__graph_commit(g), PK_EDEP_CYCLE);
  const uint32_t *c;
  size_t n = pk__graph_cycle(g, &c);
  cr_expect_eq(n, 250 - 17 + 2);
  check_chain_is_a_cycle(g, c, n, (const int(*)[2])edges, m);
  pk__graph_free(g);
}

/* Random DAGs inserted in random order, committed edge by edge and all at
 * once: no false cycle, and layers are longest paths. */
Test(graph, random_dags_agree_with_a_reference)
{
  srand(7);
  for (int round = 0; round < 20; round++) {
    size_t n = 50 + (size_t)(rand() % 300);
    pk__graph *inc = graph_of(n), *bulk = graph_of(n);
    static int dep[2000][4], ndep[2000];
    for (size_t v = 0; v < n; v++) {
      ndep[v] = v ? rand() % 4 : 0;
      for (int k = 0; k < ndep[v]; k++)
        dep[v][k] = rand() % (int)v;
    }
    /* shuffled insertion order */
    static int order[8000][2];
    size_t m = 0;
    for (size_t v = 0; v < n; v++)
      for (int k = 0; k < ndep[v]; k++)
        order[m][0] = (int)v, order[m][1] = dep[v][k], m++;
    for (size_t i = m; i > 1; i--) {
      size_t j = (size_t)rand() % i;
      int a = order[i - 1][0], b = order[i - 1][1];
      order[i - 1][0] = order[j][0], order[i - 1][1] = order[j][1];
      order[j][0] = a, order[j][1] = b;
    }
    for (size_t e = 0; e < m; e++) {
      pk__graph_add_edge(inc, (uint32_t)order[e][0], (uint32_t)order[e][1]);
      cr_assert_eq(pk__graph_commit(inc), PK_OK);
      pk__graph_add_edge(bulk, (uint32_t)order[e][0], (uint32_t)order[e][1]);
    }
    cr_assert_eq(pk__graph_commit(bulk), PK_OK);
    cr_assert_eq(pk__graph_layering(inc), PK_OK);
    cr_assert_eq(pk__graph_layering(bulk), PK_OK);
    static uint32_t ref[2000];
    for (size_t v = 0; v < n; v++) { /* deps are lower-numbered */
      ref[v] = 0;
      for (int k = 0; k < ndep[v]; k++)
        if (ref[dep[v][k]] + 1 > ref[v])
          ref[v] = ref[dep[v][k]] + 1;
    }
    size_t ni, nb;
    const uint32_t *oi = pk__graph_order(inc, &ni), *ob = pk__graph_order(bulk, &nb);
    for (size_t v = 0; v < n; v++) {
      cr_assert_eq(pk__graph_layer_of(inc, (uint32_t)v), ref[v]);
      cr_assert_eq(oi[v], ob[v], "the layering does not depend on how edges "
                                 "were committed");
    }
    pk__graph_free(inc);
    pk__graph_free(bulk);
  }
}

/* Does `from` require `to`, directly or not, in the reference lists? */
static bool ref_reaches(int (*dep)[64], const int *ndep, int from, int to,
                        bool *seen)
{
  if (from == to)
    return true;
  seen[from] = true;
  for (int k = 0; k < ndep[from]; k++)
    if (!seen[dep[from][k]] && ref_reaches(dep, ndep, dep[from][k], to, seen))
      return true;
  return false;
}

/* Edges one at a time after a layering (the incremental check then starts
 * from the marks and positions the layering left), a layering now and
 * then in between: each closing edge, and only that, is a cycle. */
Test(graph, incremental_checks_after_layerings_agree_with_reachability)
{
  srand(5);
  for (int round = 0; round < 30; round++) {
    int n = 40 + rand() % 200;
    pk__graph *g = graph_of((size_t)n);
    static int dep[2000][64], ndep[2000];
    for (int v = 0; v < n; v++) {
      ndep[v] = v ? rand() % 3 : 0;
      for (int k = 0; k < ndep[v]; k++) {
        dep[v][k] = rand() % v;
        cr_assert_eq(pk__graph_add_edge(g, (uint32_t)v, (uint32_t)dep[v][k]),
                     PK_OK);
      }
    }
    cr_assert_eq(pk__graph_layering(g), PK_OK);
    for (int e = 0; e < 400; e++) {
      int x = rand() % n, y = rand() % n;
      if (ndep[x] == 64)
        continue;
      static bool seen[2000];
      memset(seen, 0, sizeof seen);
      bool cycle = ref_reaches(dep, ndep, y, x, seen);
      dep[x][ndep[x]++] = y;
      cr_assert_eq(pk__graph_add_edge(g, (uint32_t)x, (uint32_t)y), PK_OK);
      pk_status st = pk__graph_commit(g);
      cr_assert_eq(st, cycle ? PK_EDEP_CYCLE : PK_OK,
                   "round %d, edge %d: %d -> %d %s a cycle", round, e, x, y,
                   cycle ? "closes" : "does not close");
      if (cycle)
        break;
      if (e % 16 == 15)
        cr_assert_eq(pk__graph_layering(g), PK_OK);
    }
    pk__graph_free(g);
  }
}

/* The seed's layering as written in addons-spec (recursive): roots in key
 * order, each node's dependencies in key order, a node placed after its
 * dependencies; layer = longest path to a leaf; then stable by layer.
 * Equal keys keep node order. */
static const char *ref_key[4000];
static int ref_dep[4000][8], ref_ndep[4000], ref_layer[4000], ref_post[4000];
static int ref_npost;
static bool ref_seen[4000];

static int by_ref_key(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  int c = strcmp(ref_key[x], ref_key[y]);
  return c ? c : (x > y) - (x < y);
}

static void ref_visit(int v)
{
  ref_seen[v] = true;
  int d[8], nd = ref_ndep[v];
  memcpy(d, ref_dep[v], sizeof d);
  qsort(d, (size_t)nd, sizeof *d, by_ref_key);
  ref_layer[v] = 0;
  for (int k = 0; k < nd; k++) {
    if (!ref_seen[d[k]])
      ref_visit(d[k]);
    if (ref_layer[d[k]] + 1 > ref_layer[v])
      ref_layer[v] = ref_layer[d[k]] + 1;
  }
  ref_post[ref_npost++] = v;
}

/* g's layering of its n nodes is the recursive seed algorithm's. */
static void expect_seed_order(pk__graph *g, size_t n, int round)
{
  cr_assert_eq(pk__graph_layering(g), PK_OK);
  static int roots[4000];
  for (size_t v = 0; v < n; v++)
    roots[v] = (int)v, ref_seen[v] = false;
  qsort(roots, n, sizeof *roots, by_ref_key);
  ref_npost = 0;
  for (size_t i = 0; i < n; i++)
    if (!ref_seen[roots[i]])
      ref_visit(roots[i]);
  size_t got_n, layers;
  const uint32_t *order = pk__graph_order(g, &got_n);
  const uint32_t *starts = pk__graph_layer_starts(g, &layers);
  cr_assert_eq(got_n, n);
  size_t at = 0;
  for (size_t l = 0; l < layers; l++) {
    cr_assert_eq(starts[l], at);
    for (int i = 0; i < ref_npost; i++)
      if (ref_layer[ref_post[i]] == (int)l) {
        cr_assert_eq(order[at], (uint32_t)ref_post[i],
                     "round %d: order[%zu] = %u, the seed has %d", round, at,
                     order[at], ref_post[i]);
        cr_assert_eq(pk__graph_layer_of(g, order[at]), l);
        at++;
      }
  }
  cr_assert_eq(at, n);
}

/* Adds nodes [from, to) to g, keys of one shape (uniform: 0 digits after
 * a shared prefix, 1 keys of 6 bytes or fewer) or (2) from a mix of
 * shapes: short (0 to 17 bytes), sharing 16 bytes or more (the radix
 * sort's words tie), one a prefix of another, some equal. */
static void add_mixed_nodes(pk__graph *g, size_t from, size_t to, int shape)
{
  static char kbuf[4000][64];
  for (size_t v = from; v < to; v++) {
    int x = rand() % 100000;
    switch (shape < 2 ? 5 + shape : rand() % 5) {
    case 5: snprintf(kbuf[v], sizeof kbuf[v], "ns\x01p%07d", x % 30000); break;
    case 6: snprintf(kbuf[v], sizeof kbuf[v], "n\x01%d", x % 5000); break;
    case 0: snprintf(kbuf[v], sizeof kbuf[v], "ns\x01p%d-%zu", x, v); break;
    case 1: snprintf(kbuf[v], sizeof kbuf[v], "ns\x01plugin-long-%d-%zu", x, v); break;
    case 2: snprintf(kbuf[v], sizeof kbuf[v], "ns\x01%d", x % 50); break;
    case 3: snprintf(kbuf[v], sizeof kbuf[v], "ns\x01plugin-long-shared%d", x % 40); break;
    default: /* or 0 to 17 bytes (every case of the sort's key words) */
      if (x & 1)
        snprintf(kbuf[v], sizeof kbuf[v], "%.*s", (x >> 1) % 18,
                 &"kjihgfedcbakjihgfedcba"[(x >> 6) % 4]);
      else
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01%zu", v);
      break;
    }
    ref_key[v] = kbuf[v];
    uint32_t id;
    cr_assert_eq(pk__graph_add_node(g, kbuf[v], &id), PK_OK);
    cr_assert_eq(id, v);
  }
}

/* Edges of a DAG by the hidden order perm[0, n): node perm[i] requires
 * up to k nodes before it. */
static void add_dag_edges(pk__graph *g, const int *perm, size_t n, int k)
{
  for (size_t i = 1; i < n; i++) {
    int v = perm[i];
    for (int j = rand() % (k + 1); j > 0 && ref_ndep[v] < 8; j--) {
      int d = perm[rand() % (int)i];
      ref_dep[v][ref_ndep[v]++] = d;
      cr_assert_eq(pk__graph_add_edge(g, (uint32_t)v, (uint32_t)d), PK_OK);
    }
  }
}

/* Node numbers unrelated to key order (the layering runs in key order),
 * keys of all shapes: the exact order of the recursive seed algorithm,
 * for small graphs (merge sort) and large ones (radix); again after edges
 * come (the key order of the last layering is reused) and after nodes
 * come (it is not). */
Test(graph, seed_order_when_keys_are_not_in_node_order)
{
  srand(11);
  for (int round = 0; round < 15; round++) {
    size_t n = round < 3 ? 10 + (size_t)(rand() % 50)
                         : 500 + (size_t)(rand() % 2000);
    size_t more = n / 3;
    pk__graph *g = pk__graph_new(NULL);
    cr_assert_not_null(g);
    add_mixed_nodes(g, 0, n, round % 3);
    static int perm[4000];
    for (size_t v = 0; v < n; v++)
      perm[v] = (int)v, ref_ndep[v] = 0;
    for (size_t i = n; i > 1; i--) {
      size_t j = (size_t)rand() % i;
      int t = perm[i - 1];
      perm[i - 1] = perm[j];
      perm[j] = t;
    }
    add_dag_edges(g, perm, n, 4);
    expect_seed_order(g, n, round);
    add_dag_edges(g, perm, n, 2); /* more edges, the same nodes */
    expect_seed_order(g, n, round);
    add_mixed_nodes(g, n, n + more, round % 3); /* required by old ones */
    for (size_t w = n; w < n + more; w++) {
      ref_ndep[w] = 0;
      int v = rand() % (int)n;
      if (ref_ndep[v] < 8) {
        ref_dep[v][ref_ndep[v]++] = (int)w;
        cr_assert_eq(pk__graph_add_edge(g, (uint32_t)v, (uint32_t)w), PK_OK);
      }
    }
    expect_seed_order(g, n + more, round);
    /* ord now comes from the layering: the incremental check (a few
     * pending edges) accepts an edge along it and finds the cycle that an
     * edge against a requirement closes */
    size_t v = n - 1;
    while (!ref_ndep[v])
      v--;
    int d = ref_dep[v][0];
    cr_assert_eq(pk__graph_add_edge(g, (uint32_t)v, (uint32_t)(n + more - 1)),
                 PK_OK); /* a new node requires nothing */
    cr_assert_eq(pk__graph_commit(g), PK_OK);
    cr_assert_eq(pk__graph_add_edge(g, (uint32_t)d, (uint32_t)v), PK_OK);
    cr_assert_eq(pk__graph_commit(g), PK_EDEP_CYCLE);
    pk__graph_free(g);
  }
}

/* An allocator that fails after a budget of allocations. */
typedef struct budget {
  long left;
  long live;
} budget;

static void *limited(void *ud, void *p, size_t old, size_t n)
{
  budget *b = ud;
  (void)old;
  if (n == 0) {
    if (p)
      b->live--;
    free(p);
    return NULL;
  }
  if (b->left-- <= 0)
    return NULL;
  void *q = realloc(p, n);
  if (q && !p)
    b->live++;
  return q;
}

Test(graph, out_of_memory_is_reported_and_leaks_nothing)
{
  for (long limit = 0; limit < 60; limit++) {
    budget b = {limit, 0};
    pk__allocator a = {limited, &b};
    pk__graph *g = pk__graph_new(&a);
    pk_status st = g ? PK_OK : PK_ENOMEM;
    for (size_t i = 0; i < 200 && st == PK_OK; i++) {
      uint32_t id;
      snprintf(keys[i], sizeof keys[i], "n\x01%04zu", i);
      st = pk__graph_add_node(g, keys[i], &id);
      if (st == PK_OK && i)
        st = pk__graph_add_edge(g, (uint32_t)i, (uint32_t)(i / 2));
      if (st == PK_OK && i % 50 == 0)
        st = pk__graph_commit(g);
    }
    if (st == PK_OK)
      st = pk__graph_commit(g);
    if (st == PK_OK)
      st = pk__graph_layering(g);
    cr_expect(st == PK_OK || st == PK_ENOMEM, "limit %ld: %d", limit, st);
    pk__graph_free(g);
    cr_expect_eq(b.live, 0, "limit %ld leaked %ld blocks", limit, b.live);
  }
}

/* 40 000 nodes without edges (one layer, each node a root): the order is
 * the nodes by key, equal keys in node order, through the radix sort with
 * its large digits; keys whose differing bits fit one word (digits after
 * a shared prefix, some equal), span both words and more than 64 bits
 * (letters and digits, lengths 0 to 24), or tie on 16 bytes. */
static const char *const *big_keys;

static int by_big_key(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  int c = strcmp(big_keys[x], big_keys[y]);
  return c ? c : (x > y) - (x < y);
}

/* Lays out g, whose n roots have the keys bk, checks its order is the
 * nodes by key (equal keys in node order) and frees it; want: n slots. */
static void expect_key_order(pk__graph *g, const char **bk, uint32_t *want,
                             size_t n, int shape)
{
  for (uint32_t v = 0; v < n; v++)
    want[v] = v;
  big_keys = bk;
  qsort(want, n, sizeof *want, by_big_key);
  cr_assert_eq(pk__graph_layering(g), PK_OK);
  size_t got;
  const uint32_t *order = pk__graph_order(g, &got);
  cr_assert_eq(got, n);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(order[i], want[i],
                 "shape %d, position %zu: \"%s\", not \"%s\"", shape, i,
                 bk[order[i]], bk[want[i]]);
  pk__graph_free(g);
}

Test(graph, forty_thousand_roots_come_in_key_order_by_every_key_shape)
{
  enum { N = 40000 };
  static char kbuf[N][32];
  static const char *bk[N];
  static uint32_t want[N];
  srand(18);
  for (int shape = 0; shape < 3; shape++) {
    pk__graph *g = pk__graph_new(NULL);
    cr_assert_not_null(g);
    for (uint32_t v = 0; v < N; v++) {
      int x = rand();
      if (shape == 0)
        snprintf(kbuf[v], sizeof kbuf[v], "bench\x01p%06d", x % 30000);
      else if (shape == 1)
        for (int i = 0, len = x % 25; i <= len; i++)
          kbuf[v][i] = i == len ? '\0' : "az09AZ-_\x01~"[(x >> (i % 16)) % 10 ^ (i & 1)];
      else
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01plugin-long-%06d", x % 20000);
      bk[v] = kbuf[v];
      uint32_t id;
      cr_assert_eq(pk__graph_add_node(g, kbuf[v], &id), PK_OK);
    }
    expect_key_order(g, bk, want, N, shape);
  }
}

/* Nodes added in key order (as a host adds a namespace's plugins) skip the
 * radix sort: the order stays the nodes by key all the same when the keys
 * tie on 16 bytes and differ after them (added in reverse: "tail-9"
 * before "tail-0"), are equal (node order kept) or short, and when a key
 * breaks the order, first, last or by its bytes 8 to 15 (the full sort
 * then runs). */
Test(graph, nodes_added_in_key_order_come_in_key_order)
{
  enum { N = 3000 };
  static char kbuf[N][40];
  static const char *bk[N];
  static uint32_t want[N];
  for (int shape = 0; shape < 5; shape++) {
    pk__graph *g = pk__graph_new(NULL);
    cr_assert_not_null(g);
    for (uint32_t v = 0; v < N; v++) {
      if (v % 100 < 10) /* a run tying on 16 bytes, its tails descending */
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01p%06u-0shared-tail-%u",
                 v / 100, 9 - v % 100);
      else if (v % 100 < 20) /* equal keys */
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01p%06u-1same", v / 100);
      else
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01p%06u-2%03u", v / 100,
                 v % 100);
      if (shape == 1) /* short keys */
        snprintf(kbuf[v], sizeof kbuf[v], "%c%c%c", 'a' + v / 676,
                 'a' + v / 26 % 26, 'a' + v % 26);
      if (shape == 2 && v == N - 1) /* the last key below every other */
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01" "a");
      if (shape == 3 && v == 0) /* the first key above every other */
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01" "z");
      if (shape == 4 && (v == 1550 || v == 1551)) /* two swapped, keys */
        snprintf(kbuf[v], sizeof kbuf[v], "ns\x01p%06u-2%03u", v / 100,
                 101 - v % 100); /* that differ in bytes 8 to 15 only */
      bk[v] = kbuf[v];
      uint32_t id;
      cr_assert_eq(pk__graph_add_node(g, kbuf[v], &id), PK_OK);
    }
    expect_key_order(g, bk, want, N, shape);
  }
}
