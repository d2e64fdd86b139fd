/* stages.h -- the stages layer: discovery (+ the metadata cache, mcache.h),
 * manifests, loading, ordering (graph.c, the one ordering engine), the
 * registration stages, lazy plugins, unloading, the plugins' API table and
 * the host life cycle.  Stages call the registries, the records and the
 * base; the use layer above calls them.
 * Never installed.  SPDX-License-Identifier: MIT */
#ifndef PK_STAGES_H
#define PK_STAGES_H

#include "registries.h"

/* ---- ordering (graph.c): pure, no I/O ---- */

/* Nodes have a sort key (plugins: "ns\x01name", so that plain byte order
 * is the order of (namespace, name) pairs); an edge from -> to means "from
 * requires to", i.e. to comes first.  Plugins: the graph stays acyclic,
 * pk__graph_commit() checking the edges added since the last commit, and
 * is layered (pk__graph_layering).  Hook implementations: a graph of
 * their constraints ordered once by rank (pk__graph_sort).  A cycle found
 * either way is reported by pk__graph_cycle_text(). */
typedef struct pk__graph pk__graph;

pk__graph *pk__graph_new(const pk__allocator *a);
void pk__graph_free(pk__graph *g);
/* Forgets every node and edge, keeping the memory for reuse. */
void pk__graph_clear(pk__graph *g);
/* Makes room for that many nodes and edges in all (an optimisation). */
pk_status pk__graph_reserve(pk__graph *g, size_t nodes, size_t edges);
/* key is borrowed and must outlive the graph; NULL: a node without a key
 * (a reported cycle never starts there; not for layering). */
pk_status pk__graph_add_node(pk__graph *g, const char *key, uint32_t *id);
/* Edges are numbered 0, 1, ... in the order they are added. */
pk_status pk__graph_add_edge(pk__graph *g, uint32_t from, uint32_t to);
size_t pk__graph_node_count(const pk__graph *g);
/* Checks the pending edges.  PK_EDEP_CYCLE: the cycle is recorded (see
 * pk__graph_cycle) and the graph is then unusable.  PK_ENOMEM possible. */
pk_status pk__graph_commit(pk__graph *g);
/* Computes the layering of every node (the seed's algorithm: sorted roots,
 * sorted dependency lists, depth-first post-order; layer = 1 + the highest
 * layer among the dependencies).  Requires a committed graph. */
pk_status pk__graph_layering(pk__graph *g);
/* After pk__graph_layering(): the flattened order, the start of each layer
 * in it (layer_count + 1 entries) and each node's layer. Borrowed until the
 * next mutation. */
const uint32_t *pk__graph_order(const pk__graph *g, size_t *n);
const uint32_t *pk__graph_layer_starts(const pk__graph *g, size_t *layers);
uint32_t pk__graph_layer_of(const pk__graph *g, uint32_t node);
/* Kahn's algorithm over every edge: all the nodes into out, dependencies
 * first, taking among the ready nodes the one of smallest rank[node].
 * PK_EDEP_CYCLE: the cycle is recorded; PK_ENOMEM. */
pk_status pk__graph_sort(pk__graph *g, const uint64_t *rank, uint32_t *out);
/* Dependencies of a node in insertion order (duplicates possible):
 * pk__graph_deps() writes the pk__graph_dep_count() of them to out. */
size_t pk__graph_dep_count(const pk__graph *g, uint32_t node);
void pk__graph_deps(const pk__graph *g, uint32_t node, uint32_t *out);
/* The i-th dependency in insertion order (i < pk__graph_dep_count). */
uint32_t pk__graph_dep_at(const pk__graph *g, uint32_t node, size_t i);

/* The last cycle found: its nodes a, b, ..., a (first == last), each
 * requiring the next, rotated to start at the smallest key. */
size_t pk__graph_cycle(const pk__graph *g, const uint32_t **nodes);
/* One step of a cycle: the edge (UINT32_MAX when not recorded: found by
 * pk__graph_commit) from `from` to `to`, from requiring to. */
typedef struct pk__graph_step {
  uint32_t from, to, edge;
} pk__graph_step;
/* Writes step s's part of a cycle's text to buf (at most n bytes) and
 * returns its length; 0 leaves the step out (one that next's part folds
 * in).  next: the step after s, NULL for the last. */
typedef size_t (*pk__graph_step_fn)(void *ud, const pk__graph_step *s,
                                    const pk__graph_step *next, char *buf,
                                    size_t n);
/* The one cycle reporter: the last cycle found as text, its steps' parts
 * joined by sep, from its first node along the edges (backward false: a
 * requires b requires ...) or against them (backward true: a comes before
 * ... before a, the order the constraints ask for). */
void pk__graph_cycle_text(const pk__graph *g, bool backward, const char *sep,
                          pk__graph_step_fn step, void *ud, char *buf,
                          size_t n);

/* ---- discovery (discover.c) ---- */

/* How many loader threads discover a search path whose nread manifests
 * are read and nserved are served by the metadata cache: several only
 * with the libc allocator (a host's own allocator need not be
 * thread-safe), enough work to pay for the threads (256 manifests read
 * each, two served counting as one read: a served entry costs a stat)
 * and several CPUs this process may run on (sched_getaffinity: a process
 * pinned to one CPU would only switch between them); at most 8. */
size_t pk__discover_threads(const pk_host *h, size_t nread, size_t nserved);

/* ---- manifests (manifest.c) ---- */

/* Parses a manifest: from text (len bytes, named source) or, when text is
 * NULL, from the file at source.  Every problem is PK_EMANIFEST with
 * file:line:col.  On failure *m is left empty (nothing to free). */
pk_status pk__manifest_load(const pk__allocator *a, const char *source,
                            const char *text, size_t len, pk__manifest *m,
                            pk_error *err);
/* The same from the file path under the directory dfd, read straight into
 * the document (pk__doc_read_at, source its name): *read_st is the read's
 * status; when it is not PK_OK, *why says why, err is untouched and *m
 * empty (PK_ENOTFOUND: no such file).  st NULL: no fstat (see
 * pk__doc_read_at). */
pk_status pk__manifest_read(const pk__allocator *a, int dfd, const char *path,
                            const char *source, struct stat *st,
                            pk__file_why *why, pk_status *read_st,
                            pk__manifest *m, pk_error *err);
/* The same from a parsed document (taken, also on failure). */
pk_status pk__manifest_from_doc(const pk__allocator *a, pk_doc *doc,
                                pk__manifest *m, pk_error *err);
void pk__manifest_free(const pk__allocator *a, pk__manifest *m);
/* Does p's manifest's `hooks` list name the hook? */
bool pk__manifest_lists_hook(const pk_plugin *p, const char *name);

/* ---- a manifest's record in the metadata cache (mrecord.c) ---- */

/* The record of manifest m (one that loaded): everything of it but its
 * document -- names, version, description, library, abi, lazy, the
 * requirements' texts, which optional tables it has, each [[provides]]
 * entry's kind, tag and extends and whether it has a config -- written
 * to out when cap is enough.  Returns its size, a multiple of 8; 0 when it cannot be
 * recorded (a string of 64 KiB or more). */
size_t pk__manifest_record(const pk__manifest *m, void *out, size_t cap);
/* The manifest of record rec (len bytes, 8-aligned), as parsing the
 * manifest it was made of gave it, without its document (m->doc, m->root
 * NULL): its strings are borrowed from rec; m->reqs is allocated from a.
 * PK_EIO when rec is not such a record (every string must lie inside it,
 * ended by its NUL; names valid, version parsed, library and abi as a
 * manifest check has them), PK_ENOMEM. */
pk_status pk__manifest_from_record(const pk__allocator *a, const void *rec,
                                   size_t len, pk__manifest *m);
/* The length of s, a string of a manifest served by
 * pk__manifest_from_record (the record holds it before s: no scan). */
size_t pk__record_strlen(const char *s);
/* What serving record rec (len bytes, not checked yet) allocates beside
 * it, for a room sized before: the lengths of its namespace and name
 * together into *names, of its library into *lib (0: none), and its
 * number of requirements (the return).  0 and zeros when it does not
 * read as a record (pk__manifest_from_record will refuse it). */
size_t pk__record_sizes(const void *rec, size_t len, size_t *names,
                        size_t *lib);

/* ---- loading (loader.c over loader_posix.c) ---- */

/* Opens a shared object with RTLD_NOW | RTLD_LOCAL.  NULL on failure, with
 * PK_ELOAD and the dlerror() text verbatim in err. */
void *pk__dl_open(const char *path, pk_error *err);
/* Looks a symbol up; NULL when absent, with PK_ELOAD and dlerror() text. */
void *pk__dl_sym(void *handle, const char *name, pk_error *err);
/* Closes a handle from pk__dl_open; NULL is a no-op. */
void pk__dl_close(void *handle);

/* The namespace ns as the host registered it, or NULL. */
static inline const pk__ns *pk__find_ns(const pk_host *h, const char *ns)
{
  for (size_t i = 0; i < h->nns; i++)
    if (!strcmp(h->ns[i].name, ns))
      return &h->ns[i];
  return NULL;
}
/* Opens p's shared object (a data-only plugin has none; a built-in plugin
 * has its descriptor) and checks its descriptor and ABI against the
 * manifest and the namespace; p is then LOADED, else FAILED with err. */
pk_status pk__load_plugin(pk_host *h, pk_plugin *p, pk_error *err);
/* Closes p's shared object (its destructors run inside the watch
 * callback's brackets) unless it is resident; p->handle becomes NULL.
 * True when it was closed. */
bool pk__close_plugin(pk_host *h, pk_plugin *p);
/* Closes every shared object opened, in reverse load order (resident ones
 * stay mapped); the plugins become UNLOADED. */
void pk__close_all(pk_host *h);
/* unload.c: runs p's unload hook, if any, traced and journaled. */
void pk__run_unload(pk_host *h, pk_plugin *p);

/* ---- trust: pins, path hygiene, the crash journal ---- */

/* lock.c: reads the lock file of h->lock_path into h->lock (once, at
 * discovery); a lock file that cannot be read or is malformed is the
 * error (PK_EIO, PK_ESYNTAX, PK_ECONFIG with file:line:col). */
pk_status pk__lock_load(pk_host *h, pk_error *err);
void pk__lock_free(pk_host *h);
/* Checks p's manifest and shared object against the lock in force (none:
 * PK_OK): not listed, at another path or with another SHA-256 is PK_ETRUST
 * naming the lock file, the file and both hashes. */
pk_status pk__lock_check_plugin(pk_host *h, const pk_plugin *p, pk_error *err);

/* hygiene.c: refuses (PK_ETRUST) p's directory, manifest and shared
 * object when group or others can write one or it is owned by
 * another user than the host's or root (unless h->insecure_paths), and a
 * shared object that resolves (through symbolic links) outside the plugin
 * directory.  Called before the shared object is opened. */
pk_status pk__hygiene_check(pk_host *h, const pk_plugin *p, pk_error *err);

/* journal.c: the crash journal beside the metadata cache (none without a
 * cache).  pk__journal_open takes in what hosts that died left (their
 * calls in flight become quarantines), claims a slot for this host and
 * fails the discovered plugins in quarantine whose files are unchanged
 * (lifting the others); when the journal is quiet (no slot claimed,
 * nothing in quarantine) it only reads its header, and the slot is
 * claimed at the first pk__journal_record.  pk__journal_close clears the
 * slot. */
void pk__journal_open(pk_host *h);
void pk__journal_close(pk_host *h);
/* Records that this thread calls into p's code for step (kind and tag:
 * the type of a factory, else NULL); the token goes to pk__journal_clear
 * after the call.  NULL (nothing to clear) without a journal or for a
 * plugin without code of its own (built-in or data-only). */
void *pk__journal_record(pk_host *h, pk_plugin *p, pk_trace_event step,
                         const char *kind, const char *tag);
void pk__journal_clear(pk_host *h, void *token);

/* ---- the one bracket around a call into plugin code ---- */

/* Every call of the library into a plugin's code (its shared object's
 * loading, its register, post_register and unload hooks, its factories,
 * the dlclose that runs its destructors) is bracketed once, by
 * pk__call_enter and pk__call_leave around it, with one pk_trace_event
 * naming the step (pk_trace_event_describe says it to the user): the
 * host's watch callback is told (entering, leaving), the crash journal
 * records the call while it runs (a built-in plugin's code is the host's:
 * a call in flight steps aside, pk_host_code_enter), and the trace
 * callback, when traced and the host has one, gets the step with its
 * duration and status.  Hook calls are not bracketed (see hooks.c: the
 * hot path). */
typedef struct pk__call {
  pk_trace_event step;
  bool traced;   /* the trace callback gets the step */
  uint64_t t0;   /* when traced: the time of entering */
  void *jt;      /* the journal's token, or NULL */
  void *hc;      /* a built-in plugin's (host code): pk__host_code_enter's */
} pk__call;
static inline void pk__call_enter(pk_host *h, pk__call *c, pk_trace_event step,
                                  pk_plugin *p, bool traced, const char *kind,
                                  const char *tag)
{
  pk__watch(h, true, step, p);
  c->step = step;
  c->traced = traced && h->trace;
  c->t0 = c->traced ? pk__now_ns() : 0;
  c->jt = h->journal ? pk__journal_record(h, p, step, kind, tag) : NULL;
  c->hc = p->builtin ? pk__host_code_enter(h) : NULL;
}
static inline void pk__call_leave(pk_host *h, const pk__call *c,
                                  const pk_plugin *p, pk_status status)
{
  if (c->jt)
    pk__journal_clear(h, c->jt);
  pk__host_code_leave(h, c->hc);
  pk__watch(h, false, c->step, p);
  if (c->traced)
    pk__trace_emit(h, c->step, p, c->t0, status);
}

/* ---- requirements (require.c) ---- */

/* Adds a requirement of `from` (NULL: the host) at run time or from a
 * manifest: finds, checks and links the target(s). */
pk_status pk__host_require(pk_host *h, pk_plugin *from, const pk__req *req,
                           const char *text, bool optional, pk_error *err);
/* pk__host_require() of requirement text of from's manifest (default
 * namespace from's): the common forms "name" and "ns:name" that name an
 * installed plugin are linked without a parse into a pk__req
 * (pk__req_plain_id); any other text is parsed, and one that does not
 * parse fails with PK_EMANIFEST at its place in the manifest. */
pk_status pk__host_require_text(pk_host *h, pk_plugin *from, const char *text,
                                bool optional, pk_error *err);
/* The host's requirement of plugin p, which it found by its id: what
 * pk__host_require() does for "NS:NAME" of p (any version), without
 * parsing or looking it up again. */
pk_status pk__host_require_plugin(pk_host *h, pk_plugin *p, pk_error *err);
/* Checks the graph's pending edges; a cycle is formatted with its chain
 * and poisons the host's later stages (pk__host_commit_failed: the error
 * of a commit that failed with st). */
pk_status pk__host_commit_failed(pk_host *h, pk_status st, pk_error *err);
static inline pk_status pk__host_commit(pk_host *h, pk_error *err)
{
  pk_status st = pk__graph_commit(h->graph);
  return st == PK_OK ? PK_OK : pk__host_commit_failed(h, st, err);
}
/* Where `from` requires `to` directly, into buf: " at FILE:LINE:COL" (a
 * manifest line, by name or NS:__all__) or " (api->require(\"TEXT\") in
 * its register hook)"; "" when neither names it. */
void pk__requirement_where(const pk_plugin *from, const pk_plugin *to,
                           char *buf, size_t n);
/* Remembers a stage failure (later stages return it again); returns its
 * code, copied to err. */
pk_status pk__host_poison(pk_host *h, const pk_error *e, pk_error *err);

/* ---- the plugins' API table (plugin_api.c) ---- */

extern const pk_host_api pk__host_api;

/* ---- hook order (hook_order.c) ---- */

/* Orders every hook's implementations (graph.c: the dependency order, then
 * the hints) and publishes the dispatch tables; after it, declarations
 * and registrations fail with PK_ESTATE.  A contradiction in the hints is
 * PK_EDEP_CYCLE naming plugins and hints. */
pk_status pk__hooks_freeze(pk_host *h, pk_error *err);
/* Rebuilds every table after a lazy plugin registered (old tables are
 * retired, freed with the host: calls in flight keep reading them). */
pk_status pk__hooks_refreeze(pk_host *h, pk_error *err);

/* ---- the registration stages (register.c) ---- */

/* Recomputes the layering when the graph changed. */
pk_status pk__layering(pk_host *h, pk_error *err);
/* pk_host_request() of the one plugin p, which the caller found by its id
 * (a config's declared plugin): its text is not parsed and p is not looked
 * up again. */
pk_status pk__host_request_plugin(pk_host *h, pk_plugin *p, pk_error *err);
/* Runs p's register hook (and checks its types were registered). */
pk_status pk__run_register(pk_host *h, pk_plugin *p, pk_error *err);
/* Runs p's post_register hook with the argument of its namespace; on
 * failure p is failed and *e says why (plugin named). */
pk_status pk__run_post_register(pk_host *h, pk_plugin *p,
                                const pk_ns_args *args, size_t nargs,
                                pk_error *e);

/* ---- lazy plugins (lazy.c) ---- */

/* Loads, registers and post-registers every lazy plugin listing hook name
 * (host.c installs it as h->wake_hook, for the hook dispatcher). */
pk_status pk__lazy_wake_hook(pk_host *h, const char *name, pk_error *err);
/* The same for p (the plugin of a type whose instance is being built);
 * PK_OK at once when it is awake, its error when it failed. */
pk_status pk__lazy_wake(pk_host *h, pk_plugin *p, pk_error *err);

#endif
