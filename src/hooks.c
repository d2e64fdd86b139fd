/* hooks.c -- the hook registry: declarations, implementations (from the
 * plugins' register hooks), the frozen dispatch tables and the calls.
 * SPDX-License-Identifier: MIT
 *
 * Set-up (one thread): the host declares hooks; plugins add implementations
 * from their register hook.  At the start of pk_host_post_register() the
 * order of every hook is computed once (hook_order.c) and published as an
 * immutable table; after that the registry never changes except through a
 * lazy plugin's wake (a new table; the old one is retired) and
 * pk_host_unload_plugin(), which the caller may use only while no call is
 * in flight.  A call therefore loads one pointer (acquire), walks a
 * contiguous array of (fn, data) and takes no lock and allocates nothing. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registries.h"

/* ---- types ---- */

typedef struct pk__slot {
  pk_hook_fn fn;
  void *data;
} pk__slot;

typedef struct pk__wslot {
  pk_hook_wrapper_fn fn;
  void *data;
} pk__wslot;

/* The frozen dispatch table of one hook: one allocation, never changed
 * once published.  plugins[] names the owner of wrappers[0..nwrap) then of
 * impls[0..n). */
struct pk__hook_table {
  size_t n;               /* plain implementations */
  size_t nwrap;           /* wrappers, outermost first */
  pk_hook_mode mode;
  bool slow;              /* wrappers, tracing or wake: the general path */
  bool wake;              /* a lazy plugin lists the hook: wake it on the
                             first call (h->wake_hook), then use the new
                             table */
  pk_trace_fn trace;      /* the host's trace callback, or NULL */
  void *trace_ud;
  pk_hook *hook;
  pk_plugin **plugins;
  pk__wslot *wrappers;
  size_t bytes;           /* size of this allocation */
  pk__slot impls[];
};

struct pk_hook {
  _Atomic(pk__hook_table *) table; /* NULL until the freeze */
  atomic_size_t inflight;          /* calls running now (misuse checks) */
  pk_host *host;
  char *name;
  pk_hook_mode mode;
  pk__impl_rec *recs;              /* registration order */
  size_t nrecs, reccap;
};

struct pk__hooks {
  pk_hook **items;   /* declaration order */
  size_t n, cap;
  pk__map by_name;   /* name -> pk_hook (keys borrowed from the hooks) */
  bool frozen;
  size_t seq;
  pk__hook_table **retired; /* replaced by a refreeze; freed with the host */
  size_t nretired, retcap;
};

/* The per-call context, on the caller's stack.  Plugins see it as the
 * opaque pk_hook_ctx. */
struct pk_hook_ctx {
  const pk__hook_table *t;
  void *args;
  pk_hook_results *res;
  pk_error *err;     /* the caller's error, or a local one */
  size_t wnext;      /* next wrapper to enter */
  bool inner_ran;    /* the plain implementations ran (wrappers) */
  bool msg_set;      /* hook_fail wrote a message not yet attributed */
  bool failed;       /* err holds the current failure */
  pk_plugin *culprit; /* the plugin err names (for tracing) */
};

/* ---- registry ---- */

static pk__hooks *registry(pk_host *h)
{
  if (!h->hooks)
    h->hooks = pk__alloc_zero(&h->alloc, sizeof *h->hooks);
  return h->hooks;
}

static void rec_free(const pk__allocator *a, pk__impl_rec *r)
{
  for (size_t i = 0; i < r->nbefore; i++)
    pk__strfree(a, r->before[i]);
  for (size_t i = 0; i < r->nafter; i++)
    pk__strfree(a, r->after[i]);
  pk__free(a, r->before, r->nbefore * sizeof *r->before);
  pk__free(a, r->after, r->nafter * sizeof *r->after);
}

static void table_free(const pk__allocator *a, pk__hook_table *t)
{
  if (t)
    pk__free(a, t, t->bytes);
}

void pk__hooks_free(pk_host *h)
{
  pk__hooks *hs = h->hooks;
  if (!hs)
    return;
  const pk__allocator *a = &h->alloc;
  for (size_t i = 0; i < hs->n; i++) {
    pk_hook *k = hs->items[i];
    table_free(a, atomic_load_explicit(&k->table, memory_order_relaxed));
    for (size_t j = 0; j < k->nrecs; j++)
      rec_free(a, &k->recs[j]);
    pk__free(a, k->recs, k->reccap * sizeof *k->recs);
    pk__strfree(a, k->name);
    pk__free(a, k, sizeof *k);
  }
  pk__free(a, hs->items, hs->cap * sizeof *hs->items);
  for (size_t i = 0; i < hs->nretired; i++)
    table_free(a, hs->retired[i]);
  pk__free(a, hs->retired, hs->retcap * sizeof *hs->retired);
  pk__map_free(a, &hs->by_name);
  pk__free(a, hs, sizeof *hs);
  h->hooks = NULL;
}

pk_status pk_host_declare_hook(pk_host *h, const char *name, pk_hook_mode mode,
                               pk_hook **out, pk_error *err)
{
  if (out)
    *out = NULL;
  if (!h || !name)
    return pk__fail(err, PK_EMISUSE, "pk_host_declare_hook: NULL argument");
  if (!pk__name_valid(name, strlen(name)))
    return pk__fail(err, PK_EMISUSE,
                    "invalid hook name \"%s\": use 1 to 127 letters, digits, "
                    "'_', '.' or '-'",
                    name);
  if (mode != PK_HOOK_COLLECT && mode != PK_HOOK_FIRST_RESULT)
    return pk__fail(err, PK_EMISUSE, "hook \"%s\": unknown call mode %d", name,
                    (int)mode);
  if (h->in_hook)
    return pk__fail(err, PK_EMISUSE, "pk_host_declare_hook(\"%s\"): called "
                    "from inside a plugin hook", name);
  pk__hooks *hs = registry(h);
  if (!hs)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  if (hs->frozen)
    return pk__fail(err, PK_ESTATE,
                    "hook \"%s\" declared after registration finished; "
                    "declare hooks before pk_host_resolve()",
                    name);
  if (pk__map_get(&hs->by_name, name, strlen(name)))
    return pk__fail(err, PK_EDUPLICATE, "hook \"%s\" declared twice", name);
  pk_hook *k = pk__alloc_zero(&h->alloc, sizeof *k);
  if (!k)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  k->host = h;
  k->mode = mode;
  atomic_init(&k->table, NULL);
  atomic_init(&k->inflight, 0);
  k->name = pk__strdup(&h->alloc, name);
  if (!k->name || pk__vec_reserve(&h->alloc, (void **)&hs->items, &hs->cap,
                                  hs->n + 1, sizeof *hs->items) != PK_OK ||
      pk__map_put(&h->alloc, &hs->by_name, k->name, strlen(k->name), k) !=
          PK_OK) {
    pk__strfree(&h->alloc, k->name);
    pk__free(&h->alloc, k, sizeof *k);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  hs->items[hs->n++] = k;
  if (out)
    *out = k;
  return PK_OK;
}

pk_hook *pk_host_get_hook(pk_host *h, const char *name)
{
  if (!h || !name || !h->hooks)
    return NULL;
  return pk__map_get(&h->hooks->by_name, name, strlen(name));
}

size_t pk_host_hook_count(pk_host *h)
{
  return h && h->hooks ? h->hooks->n : 0;
}

pk_hook *pk_host_hook_at(pk_host *h, size_t i)
{
  return h && h->hooks && i < h->hooks->n ? h->hooks->items[i] : NULL;
}

const char *pk_hook_get_name(const pk_hook *k) { return k ? k->name : ""; }

pk_hook_mode pk_hook_get_mode(const pk_hook *k)
{
  return k ? k->mode : PK_HOOK_COLLECT;
}

static const pk__hook_table *current(const pk_hook *k)
{
  return atomic_load_explicit(&((pk_hook *)k)->table, memory_order_acquire);
}

size_t pk_hook_impl_count(const pk_hook *k)
{
  const pk__hook_table *t = k ? current(k) : NULL;
  return t ? t->nwrap + t->n : 0;
}

pk_plugin *pk_hook_impl_plugin_at(const pk_hook *k, size_t i)
{
  const pk__hook_table *t = k ? current(k) : NULL;
  return t && i < t->nwrap + t->n ? t->plugins[i] : NULL;
}

bool pk_hook_impl_is_wrapper_at(const pk_hook *k, size_t i)
{
  const pk__hook_table *t = k ? current(k) : NULL;
  return t && i < t->nwrap;
}

/* ---- registration (api->hook_add) ---- */

/* Records a registration error the way api->require does: the register
 * hook then fails whatever it returns. */
static int add_fail(pk_plugin *p, pk_status code, const char *fmt, ...)
    PK__PRINTF(3, 4);

static int add_fail(pk_plugin *p, pk_status code, const char *fmt, ...)
{
  pk_error e;
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(&e, code, (pk_pos){NULL, 0, 0}, fmt, ap);
  va_end(ap);
  return pk__plugin_hook_fail(p, &e);
}

/* Copies a NULL-terminated list of plugin names as "ns:name". */
static pk_status copy_names(pk_plugin *p, const char *what,
                            const char *const *names, char ***out, size_t *n)
{
  const pk__allocator *a = &p->host->alloc;
  size_t count = 0;
  while (names && names[count])
    count++;
  *out = NULL;
  *n = 0;
  if (!count)
    return PK_OK;
  char **v = pk__alloc_zero(a, count * sizeof *v);
  if (!v)
    return add_fail(p, PK_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    const char *s = names[i], *colon = strchr(s, ':');
    const char *ns = colon ? s : p->m.ns, *nm = colon ? colon + 1 : s;
    size_t nslen = colon ? (size_t)(colon - s) : strlen(p->m.ns);
    if (!pk__name_valid(ns, nslen) || !pk__name_valid(nm, strlen(nm))) {
      for (size_t j = 0; j < i; j++)
        pk__strfree(a, v[j]);
      pk__free(a, v, count * sizeof *v);
      return add_fail(p, PK_EMISUSE,
                      "%s: invalid plugin name \"%s\" in %s = [...]; use "
                      "\"name\" or \"ns:name\"",
                      p->id, s, what);
    }
    size_t len = nslen + 1 + strlen(nm) + 1;
    v[i] = pk__alloc(a, len);
    if (!v[i]) {
      for (size_t j = 0; j < i; j++)
        pk__strfree(a, v[j]);
      pk__free(a, v, count * sizeof *v);
      return add_fail(p, PK_ENOMEM, "out of memory");
    }
    snprintf(v[i], len, "%.*s:%s", (int)nslen, ns, nm);
  }
  *out = v;
  *n = count;
  return PK_OK;
}

int pk__api_hook_add(pk_plugin_ctx *ctx, const pk_hook_impl *impl)
{
  pk_plugin *p = (pk_plugin *)ctx;
  pk_host *h = p->host;
  size_t need = offsetof(pk_hook_impl, after) + sizeof impl->after;
  if (h->in_hook != p || p->state != PK_STATE_LOADED)
    return add_fail(p, PK_EMISUSE, "%s called hook_add(\"%s\") outside its "
                    "register hook", p->id,
                    impl && impl->size >= need && impl->hook ? impl->hook
                                                             : "?");
  if (!impl || impl->size < need || !impl->hook)
    return add_fail(p, PK_EMISUSE, "%s: hook_add needs a pk_hook_impl with "
                    "size = sizeof(pk_hook_impl) and a hook name", p->id);
  if (!impl->fn == !impl->wrapper)
    return add_fail(p, PK_EMISUSE, "%s: implementation of hook \"%s\" must "
                    "set exactly one of fn and wrapper", p->id, impl->hook);
  if ((impl->flags & PK_HOOK_IMPL_FIRST) && (impl->flags & PK_HOOK_IMPL_LAST))
    return add_fail(p, PK_EMISUSE, "%s: its implementation of hook \"%s\" "
                    "is marked both first and last; keep one of the two",
                    p->id, impl->hook);
  if (impl->flags & ~(uint32_t)(PK_HOOK_IMPL_FIRST | PK_HOOK_IMPL_LAST))
    return add_fail(p, PK_EMISUSE, "%s: unknown flags 0x%x for hook \"%s\"",
                    p->id, (unsigned)impl->flags, impl->hook);
  pk_hook *k = pk_host_get_hook(h, impl->hook);
  if (!k) {
    const char *names[64];
    char list[512];
    size_t n = 0;
    for (size_t i = 0; h->hooks && i < h->hooks->n && n < 64; i++)
      names[n++] = h->hooks->items[i]->name;
    const char *near = pk__closest(impl->hook, names, n);
    pk__join(list, sizeof list, names, n);
    if (n == 0 && h->nns == 0) { /* a generic tool: nothing to check */
      pk__log(h, PK_LOG_DEBUG, p, "implements hook \"%s\" (not declared by "
              "this host)", impl->hook);
      return PK_ENOTFOUND;
    }
    if (h->strict)
      return add_fail(p, PK_ENOTFOUND, "%s implements hook \"%s\", which this "
                      "host does not declare%s%s%s (declared: %s)", p->id,
                      impl->hook, near ? " (did you mean " : "",
                      near ? near : "", near ? "?)" : "",
                      n ? list : "none");
    pk__log(h, PK_LOG_WARN, p, "implements hook \"%s\", which this host does "
            "not declare%s%s%s (declared: %s); the implementation is ignored",
            impl->hook, near ? " (did you mean " : "", near ? near : "",
            near ? "?)" : "", n ? list : "none");
    return PK_ENOTFOUND;
  }
  if (h->hooks->frozen && !p->m.lazy) /* a lazy plugin being woken may */
    return add_fail(p, PK_ESTATE, "%s: hook \"%s\" is frozen", p->id,
                    impl->hook);
  /* the same implementation twice would run twice: this register hook's
   * implementations are the last records (one hook runs at a time) */
  for (size_t i = k->nrecs; i-- > 0 && k->recs[i].plugin == p;)
    if (k->recs[i].fn == impl->fn && k->recs[i].wrapper == impl->wrapper &&
        k->recs[i].data == impl->data)
      return add_fail(p, PK_EDUPLICATE, "%s added the same %s of hook \"%s\" "
                      "twice (same function and data); add it once",
                      p->id, impl->fn ? "implementation" : "wrapper",
                      impl->hook);
  pk__impl_rec r = {p, impl->fn, impl->wrapper, impl->data, impl->flags,
                    NULL, NULL, 0, 0, h->hooks->seq++};
  pk_status st = copy_names(p, "before", impl->before, &r.before, &r.nbefore);
  if (st == PK_OK)
    st = copy_names(p, "after", impl->after, &r.after, &r.nafter);
  if (st == PK_OK &&
      PK__VEC_PUSH(&h->alloc, k->recs, k->nrecs, k->reccap, r) != PK_OK)
    st = add_fail(p, PK_ENOMEM, "out of memory");
  if (st != PK_OK)
    rec_free(&h->alloc, &r);
  return (int)st;
}

/* ---- tables ---- */

pk__hook_table *pk__hook_table_new(pk_host *h, pk_hook *k,
                                   pk__impl_rec *const *wraps, size_t nwrap,
                                   pk__impl_rec *const *plain, size_t n,
                                   bool wake)
{
  size_t head = sizeof(pk__hook_table) + n * sizeof(pk__slot);
  size_t wofs = (head + _Alignof(pk__wslot) - 1) & ~(_Alignof(pk__wslot) - 1);
  size_t pofs = wofs + nwrap * sizeof(pk__wslot);
  pofs = (pofs + _Alignof(pk_plugin *) - 1) & ~(_Alignof(pk_plugin *) - 1);
  size_t bytes = pofs + (n + nwrap) * sizeof(pk_plugin *);
  pk__hook_table *t = pk__alloc_zero(&h->alloc, bytes);
  if (!t)
    return NULL;
  t->bytes = bytes;
  t->n = n;
  t->nwrap = nwrap;
  t->mode = k->mode;
  t->hook = k;
  t->trace = h->trace;
  t->trace_ud = h->trace_ud;
  t->wake = wake;
  t->slow = nwrap > 0 || h->trace != NULL || t->wake;
  t->wrappers = (pk__wslot *)(void *)((char *)t + wofs);
  t->plugins = (pk_plugin **)(void *)((char *)t + pofs);
  for (size_t i = 0; i < nwrap; i++) {
    t->wrappers[i].fn = wraps[i]->wrapper;
    t->wrappers[i].data = wraps[i]->data;
    t->plugins[i] = wraps[i]->plugin;
  }
  for (size_t i = 0; i < n; i++) {
    t->impls[i].fn = plain[i]->fn;
    t->impls[i].data = plain[i]->data;
    t->plugins[nwrap + i] = plain[i]->plugin;
  }
  return t;
}

void pk__hook_table_free(pk_host *h, pk__hook_table *t)
{
  table_free(&h->alloc, t);
}

pk_status pk__hook_publish(pk_host *h, pk_hook *k, pk__hook_table *t,
                           bool retire)
{
  pk__hooks *hs = h->hooks;
  pk__hook_table *old =
      atomic_exchange_explicit(&k->table, t, memory_order_acq_rel);
  if (old && retire &&
      PK__VEC_PUSH(&h->alloc, hs->retired, hs->nretired, hs->retcap, old)) {
    /* cannot retire it: keep the old table published */
    atomic_store_explicit(&k->table, old, memory_order_release);
    table_free(&h->alloc, t);
    return PK_ENOMEM;
  }
  if (!retire)
    table_free(&h->alloc, old);
  return PK_OK;
}

pk__impl_rec *pk__hook_recs(pk_hook *k, size_t *n)
{
  *n = k->nrecs;
  return k->recs;
}

pk_status pk__hooks_set_frozen(pk_host *h)
{
  pk__hooks *hs = registry(h);
  if (!hs)
    return PK_ENOMEM;
  hs->frozen = true;
  return PK_OK;
}

/* ---- unloading support ---- */

size_t pk__hooks_inflight(pk_host *h)
{
  size_t n = 0;
  for (size_t i = 0; h->hooks && i < h->hooks->n; i++)
    n += atomic_load_explicit(&h->hooks->items[i]->inflight,
                              memory_order_acquire);
  return n;
}

bool pk__hooks_frozen(const pk_host *h)
{
  return h->hooks && h->hooks->frozen;
}

pk_status pk__hooks_drop(pk_host *h, bool (*gone)(const pk_plugin *))
{
  pk__hooks *hs = h->hooks;
  for (size_t i = 0; hs && i < hs->n; i++) {
    pk_hook *k = hs->items[i];
    pk__hook_table *t = atomic_load_explicit(&k->table, memory_order_acquire);
    if (!t)
      continue;
    size_t keep = 0, kw = 0;
    for (size_t j = 0; j < t->nwrap + t->n; j++)
      if (!gone(t->plugins[j])) {
        keep++;
        kw += j < t->nwrap;
      }
    if (keep == t->nwrap + t->n)
      continue;
    /* Removing entries from a valid order keeps it valid: no reordering. */
    size_t cap = keep ? keep : 1;
    pk__impl_rec *recs = pk__alloc(&h->alloc, cap * sizeof *recs);
    pk__impl_rec **ptrs = pk__alloc(&h->alloc, cap * sizeof *ptrs);
    if (!recs || !ptrs) {
      pk__free(&h->alloc, recs, cap * sizeof *recs);
      pk__free(&h->alloc, ptrs, cap * sizeof *ptrs);
      return PK_ENOMEM;
    }
    size_t m = 0;
    for (size_t j = 0; j < t->nwrap + t->n; j++) {
      if (gone(t->plugins[j]))
        continue;
      memset(&recs[m], 0, sizeof recs[m]);
      recs[m].plugin = t->plugins[j];
      if (j < t->nwrap) {
        recs[m].wrapper = t->wrappers[j].fn;
        recs[m].data = t->wrappers[j].data;
      } else {
        recs[m].fn = t->impls[j - t->nwrap].fn;
        recs[m].data = t->impls[j - t->nwrap].data;
      }
      ptrs[m] = &recs[m];
      m++;
    }
    pk__hook_table *nt =
        pk__hook_table_new(h, k, ptrs, kw, ptrs + kw, keep - kw, t->wake);
    pk__free(&h->alloc, recs, cap * sizeof *recs);
    pk__free(&h->alloc, ptrs, cap * sizeof *ptrs);
    if (!nt)
      return PK_ENOMEM;
    /* No call is in flight (the caller checked): the old table can go. */
    table_free(&h->alloc,
               atomic_exchange_explicit(&k->table, nt, memory_order_acq_rel));
  }
  return PK_OK;
}

/* ---- dispatch ---- */

static pk_status to_status(int rc)
{
  return rc > 0 && rc < PK_STATUS_COUNT ? (pk_status)rc : PK_EPLUGIN;
}

/* An implementation or wrapper (index i in plugins[]) returned rc != 0. */
static pk_status failed_at(pk_hook_ctx *c, size_t i, int rc)
{
  const pk__hook_table *t = c->t;
  pk_plugin *p = t->plugins[i];
  pk_status st = to_status(rc);
  if (c->msg_set) {
    c->msg_set = false;
    c->err->code = st;
    pk__error_set_plugin(c->err, p->id);
  } else if (!c->failed) {
    pk__fail(c->err, st, "%s of hook \"%s\" in %s failed (returned %d)",
             i < t->nwrap ? "wrapper" : "implementation", t->hook->name,
             p->id, rc);
    pk__error_set_plugin(c->err, p->id);
  } else {
    p = c->culprit;
    c->err->code = st; /* a wrapper passing an inner failure on */
  }
  c->failed = true;
  c->culprit = p;
  return st;
}

static pk_status run_plain(pk_hook_ctx *c)
{
  const pk__hook_table *t = c->t;
  pk_hook_results *res = c->res;
  char *slot = NULL;
  if (res) {
    res->count = 0;
    slot = res->cap ? (char *)res->items : NULL;
  }
  const pk__slot *it = t->impls;
  for (size_t i = 0, n = t->n; i < n; i++) {
    int rc = it[i].fn(c, it[i].data, c->args, slot);
    if (__builtin_expect(rc == 0, 1))
      continue;
    if (rc == PK_HOOK_RESULT) {
      if (slot) {
        res->count++;
        slot = res->count < res->cap ? slot + res->item_size : NULL;
      }
      if (t->mode == PK_HOOK_FIRST_RESULT)
        return PK_OK;
      continue;
    }
    return failed_at(c, t->nwrap + i, rc);
  }
  return PK_OK;
}

/* Runs the chain from wrapper c->wnext inward. */
static pk_status run_chain(pk_hook_ctx *c)
{
  const pk__hook_table *t = c->t;
  if (c->wnext >= t->nwrap) {
    c->inner_ran = true;
    return run_plain(c);
  }
  size_t i = c->wnext++;
  int rc = t->wrappers[i].fn(c, t->wrappers[i].data, c->args);
  if (rc == 0 || rc == PK_HOOK_RESULT) {
    c->msg_set = false;
    if (c->failed) { /* the wrapper replaced a failure with success */
      c->failed = false;
      pk_error_clear(c->err);
    }
    return PK_OK;
  }
  return failed_at(c, i, rc);
}

static pk_status call_slow(pk_hook_ctx *c)
{
  if (c->t->wake) { /* first call: load the lazy plugins implementing it */
    pk_hook *k = c->t->hook;
    pk_status ws = k->host->wake_hook(k->host, k->name, c->err);
    if (ws != PK_OK)
      return ws;
    c->t = atomic_load_explicit(&k->table, memory_order_acquire);
    if (!c->t->slow)
      return run_plain(c);
  }
  const pk__hook_table *t = c->t;
  uint64_t t0 = t->trace ? pk__now_ns() : 0;
  pk_status st;
  if (t->nwrap) {
    if (c->res)
      c->res->count = 0;
    st = run_chain(c);
  } else {
    st = run_plain(c);
  }
  if (t->trace) {
    /* plugin: the one that failed the call, NULL on success */
    pk_trace ev = {PK_TRACE_HOOK_CALL, NULL, t->hook->name, pk__now_ns() - t0,
                   st};
    if (st != PK_OK)
      ev.plugin = c->culprit;
    t->trace(t->trace_ud, &ev);
  }
  return st;
}

pk_status pk_hook_call(pk_hook *k, void *args, pk_hook_results *results,
                       pk_error *err)
{
  pk_error local;
  if (__builtin_expect(!k, 0))
    return pk__fail(err, PK_EMISUSE, "pk_hook_call: hook is NULL");
  atomic_fetch_add_explicit(&k->inflight, 1, memory_order_acquire);
  const pk__hook_table *t =
      atomic_load_explicit(&k->table, memory_order_acquire);
  pk_status st;
  if (__builtin_expect(!t, 0)) {
    st = pk__fail(err, PK_ESTATE,
                  "hook \"%s\" called before registration finished (hooks "
                  "can be called once pk_host_post_register() has started)",
                  k->name);
  } else {
    pk_hook_ctx c = {t,     args,  results, err ? err : &local, 0,
                     false, false, false,   NULL};
    st = t->slow ? call_slow(&c) : run_plain(&c);
  }
  atomic_fetch_sub_explicit(&k->inflight, 1, memory_order_release);
  return st;
}

/* ---- the plugin side of a call (api table entries) ---- */

int pk__api_hook_vfail(pk_hook_ctx *c, int status, const char *fmt,
                       va_list ap)
{
  pk_status st = to_status(status);
  if (!c)
    return (int)st;
  pk__vfail_at(c->err, st, (pk_pos){NULL, 0, 0}, fmt, ap);
  c->msg_set = true;
  return (int)st;
}

int pk__api_hook_next(pk_hook_ctx *c)
{
  if (!c || c->inner_ran || c->wnext == 0)
    return (int)PK_EMISUSE; /* not from a wrapper, or called twice */
  return (int)run_chain(c);
}

const char *pk__api_hook_error(pk_hook_ctx *c, const char **plugin)
{
  bool f = c && c->failed;
  if (plugin)
    *plugin = f ? c->err->plugin : NULL;
  return f ? c->err->message : NULL;
}

size_t pk__api_hook_result_count(pk_hook_ctx *c)
{
  return c && c->res ? c->res->count : 0;
}

void *pk__api_hook_result_at(pk_hook_ctx *c, size_t i)
{
  if (!c || !c->res || i >= c->res->cap || !c->res->items)
    return NULL;
  return (char *)c->res->items + i * c->res->item_size;
}

size_t pk__api_hook_set_result_count(pk_hook_ctx *c, size_t n)
{
  if (!c || !c->res)
    return 0;
  c->res->count = n < c->res->cap ? n : c->res->cap;
  return c->res->count;
}
