/* lazy.c -- lazy plugins: imported with their manifest only, loaded,
 * registered and post-registered on the first call of a hook they list
 * (the hook dispatcher reaches this through the host's wake_hook, which
 * host.c installs) or the first instance of a type they provide
 * (instances.c).  One host-wide mutex serializes the wakes: they run
 * registration code, off the hot path.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "stages.h"

/* Loads, registers and post-registers a lazy plugin (and the lazy plugins
 * it requires first), under wake_mu.  A failure fails the plugin, not the
 * host. */
static pk_status wake(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (!p->lazy_pending)
    return p->state == PK_STATE_FAILED && p->error
               ? pk__error_copy(err, p->error)
               : PK_OK;
  p->lazy_pending = false;
  size_t ndeps = pk__graph_dep_count(h->graph, p->node);
  for (size_t i = 0; i < ndeps; i++) {
    pk_plugin *q = h->by_node[pk__graph_dep_at(h->graph, p->node, i)];
    pk_status st = wake(h, q, err);
    if (st != PK_OK) {
      pk__plugin_fail(p, PK_STATE_FAILED, err);
      return st;
    }
  }
  pk_status fatal = h->fatal;
  pk_error fatal_err = h->fatal_err;
  pk_status st = pk__load_plugin(h, p, err);
  if (st == PK_OK)
    st = pk__run_register(h, p, err);
  if (st == PK_OK && (st = pk__hooks_refreeze(h, err)) != PK_OK)
    pk__plugin_fail(p, PK_STATE_FAILED, err);
  pk_error e;
  if (st == PK_OK &&
      pk__run_post_register(h, p, h->post_args, h->npost_args, &e) != PK_OK)
    st = pk__error_copy(err, &e);
  if (st == PK_OK)
    p->state = PK_STATE_READY;
  h->fatal = fatal; /* a lazy plugin's failure is its own */
  h->fatal_err = fatal_err;
  return st;
}

pk_status pk__lazy_wake_hook(pk_host *h, const char *name, pk_error *err)
{
  pthread_mutex_lock(&h->wake_mu);
  pk_status st = PK_OK;
  for (size_t i = 0; i < h->nknown && st == PK_OK; i++)
    if (h->by_node[i]->lazy_pending &&
        pk__manifest_lists_hook(h->by_node[i], name))
      st = wake(h, h->by_node[i], err);
  pthread_mutex_unlock(&h->wake_mu);
  return st;
}

pk_status pk__lazy_wake(pk_host *h, pk_plugin *p, pk_error *err)
{
  /* Always under the mutex: lazy_pending and the plugin's state are
   * written by a wake on another thread (a hook call), and this runs once
   * per instance, off the hot path. */
  pthread_mutex_lock(&h->wake_mu);
  pk_status st = p->lazy_pending ? wake(h, p, err) : PK_OK;
  if (st == PK_OK && p->state == PK_STATE_FAILED && p->error)
    st = pk__error_copy(err, p->error);
  pthread_mutex_unlock(&h->wake_mu);
  return st;
}
