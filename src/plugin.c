/* plugin.c -- plugin records: creation, states and reasons, the log, and
 * the accessors of a plugin's record and manifest.
 * SPDX-License-Identifier: MIT */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "records.h"

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
  void *hc = pk__host_code_enter(h); /* an exit() there is the host's */
  h->log(h->log_ud, level, p ? p->id : NULL, msg);
  pk__host_code_leave(h, hc);
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

int pk__plugin_hook_fail(pk_plugin *p, const pk_error *e)
{
  pk_host *h = p->host;
  h->hook_err = *e;
  pk__error_set_plugin(&h->hook_err, p->id);
  h->hook_failed = true;
  return e->code ? (int)e->code : PK_EPLUGIN;
}

/* The host's records arena aligns to 16 bytes: n records and up to 63
 * bytes more, the first record on a line (the type's alignment). */
pk_plugin *pk__plugin_slots(pk_host *h, size_t n)
{
  enum { LINE = _Alignof(pk_plugin) };
  if (n > (SIZE_MAX - LINE) / sizeof(pk_plugin))
    return NULL;
  char *raw = pk__alloc(&h->records_alloc, n * sizeof(pk_plugin) + LINE - 1);
  return raw ? (pk_plugin *)(raw + (-(uintptr_t)raw & (LINE - 1))) : NULL;
}

void pk__plugin_init(pk_host *h, pk_plugin *p)
{
  enum { M = offsetof(pk_plugin, m), REST = M + sizeof p->m };
  char *id = p->id, *key = p->key, *dir = p->dir, *mp = p->manifest_path,
       *lib = p->library_path;
  memset(p, 0, M);
  memset((char *)p + REST, 0, sizeof *p - REST);
  p->id = id;
  p->key = key;
  p->dir = dir;
  p->manifest_path = mp;
  p->library_path = lib;
  p->host = h;
  p->node = PK__NO_NODE;
  p->state = PK_STATE_DISCOVERED;
}

/* The record, its names, paths and manifest live in h->records (released
 * as a whole); only what changes after discovery is freed here. */
void pk__plugin_free(pk_host *h, pk_plugin *p)
{
  const pk__allocator *a = &h->alloc;
  if (p->m.cached) /* a document made on first use (mcache.c) */
    pk_doc_free(p->m.doc);
  pk__strfree(a, p->reason);
  pk__free(a, p->error, sizeof *p->error);
  for (size_t i = 0; i < p->ndyn; i++)
    pk__strfree(a, p->dyn_reqs[i]);
  pk__free(a, p->dyn_reqs, p->dyncap * sizeof *p->dyn_reqs);
}

/* ---- accessors ---- */

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
const pk_value *pk_plugin_get_manifest(const pk_plugin *p)
{
  return pk__manifest_root(p);
}

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

