/* loader.c -- loading a plugin's code: the shared object opened (through
 * loader_posix.c), its descriptor checked against the manifest and the
 * namespace's ABI before anything in it is called; closing them all.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stages.h"

/* What a descriptor error names: a plugin on disk by its library (and its
 * manifest by its path); a built-in one by its id, from the manifest text
 * given to pk_host_add_builtin (the name that text has in positions,
 * "builtin:NS:NAME", comes from the descriptor: the wrong plugin's when
 * they disagree).  Built only on an error: the paths sit on a line of the
 * record that a builtin's registration never touches otherwise (one cache
 * miss a plugin at 5000). */
typedef struct desc_names {
  const char *subject; /* LIB, or "built-in plugin NS:NAME
                        * (pk_host_add_builtin)" in buf */
  const char *define;  /* the macro that makes the descriptor */
  char buf[PK__NAME_MAX * 2 + 48];
} desc_names;

static void desc_names_of(const pk_plugin *p, desc_names *n)
{
  n->subject = p->library_path;
  n->define = "PK_PLUGIN_DEFINE";
  if (p->builtin) {
    snprintf(n->buf, sizeof n->buf, "built-in plugin %s (pk_host_add_builtin)",
             p->id);
    n->subject = n->buf;
    n->define = "PK_PLUGIN_DEFINE_BUILTIN";
  }
}

/* Checks the descriptor of a loaded (or built-in) plugin against its
 * manifest before anything in it is called. */
static pk_status check_desc(pk_plugin *p, const pk_plugin_desc *d,
                            pk_error *err)
{
  desc_names n;
  if (d->abi != PK_PLUGIN_ABI) {
    desc_names_of(p, &n);
    return pk__fail(err, PK_EABI,
                    "%s was built for plugkit plugin ABI %u, this host "
                    "uses ABI %u; rebuild the plugin against this plugkit",
                    n.subject, d->abi, PK_PLUGIN_ABI);
  }
  size_t need = offsetof(pk_plugin_desc, on_unload) + sizeof d->on_unload;
  if (d->size < need) {
    desc_names_of(p, &n);
    return pk__fail(err, PK_EABI,
                    "%s has a descriptor of %u bytes, plugin ABI %u needs at "
                    "least %zu; rebuild the plugin with %s",
                    n.subject, d->size, PK_PLUGIN_ABI, need, n.define);
  }
  if (!d->namespace_name || !d->name || strcmp(d->namespace_name, p->m.ns) ||
      strcmp(d->name, p->m.name)) {
    desc_names_of(p, &n);
    const char *dns = d->namespace_name ? d->namespace_name : "(null)",
               *dname = d->name ? d->name : "(null)";
    if (p->builtin)
      return pk__fail(err, PK_ELOAD,
                      "%s has a descriptor that defines plugin \"%s:%s\" "
                      "but its manifest (the text given with it) names "
                      "\"%s\"; make %s and that manifest agree",
                      n.subject, dns, dname, p->id, n.define);
    return pk__fail(err, PK_ELOAD,
                    "%s defines plugin \"%s:%s\" but its manifest %s names "
                    "\"%s\"; make %s and plugin.toml agree",
                    n.subject, dns, dname, p->manifest_path, p->id, n.define);
  }
  if (p->m.has_abi && d->host_abi != p->m.abi) {
    /* at the manifest's abi, naming the plugin: its library's path alone
     * does not say which manifest to fix */
    desc_names_of(p, &n);
    bool lib = !p->builtin; /* "plugin ID: its library LIB" */
    return pk__fail_at(
        err, PK_EABI,
        pk_value_get_pos(pk_table_get(pk__manifest_root(p), "abi")),
        "%s%s%s%s was compiled for ABI %u of namespace \"%s\" but its "
        "manifest says abi = %u; rebuild the plugin against this plugkit, "
        "or fix the manifest's abi",
        lib ? "plugin " : "", lib ? p->id : "", lib ? ": its library " : "",
        n.subject, d->host_abi, p->m.ns, p->m.abi);
  }
  return PK_OK;
}

/* Words the failed dlopen of p's library (its text in err) for the one
 * who reads it: at the manifest's library key, with the plugin and what
 * to do; a file that is not there is most often a plugin not built. */
static pk_status open_failed(pk_plugin *p, pk_error *err)
{
  char why[sizeof err->message];
  pk__copy_str(why, sizeof why, err->message);
  bool absent = access(p->library_path, F_OK) != 0;
  return pk__fail_at(
      err, PK_ELOAD,
      pk_value_get_pos(pk_table_get(pk__manifest_root(p), "library")),
      "plugin %s: cannot load its library: %s; %s", p->id, why,
      absent ? "build the plugin (its library goes beside plugin.toml), or "
               "fix the manifest's library"
             : "rebuild it for this system and host (dlopen refused it), "
               "or fix the manifest's library");
}

/* Opens p's shared object and checks it, after its files passed the path
 * hygiene and the lock in force.  Data-only plugins have nothing to open
 * (their files are checked too). */
pk_status pk__load_plugin(pk_host *h, pk_plugin *p, pk_error *err)
{
  const pk__ns *ns = pk__find_ns(h, p->m.ns);
  pk_status st = PK_OK;
  if (ns && p->m.has_abi && p->m.abi != ns->abi)
    st = pk__fail_at(err, PK_EABI,
                     pk_value_get_pos(pk_table_get(pk__manifest_root(p), "abi")),
                     "plugin %s is built for ABI %u of namespace \"%s\", but "
                     "this host accepts ABI %u; install a build of %s for ABI "
                     "%u",
                     p->id, p->m.abi, p->m.ns, ns->abi, p->id, ns->abi);
  else if (!p->builtin && (st = pk__hygiene_check(h, p, err)) == PK_OK)
    st = pk__lock_check_plugin(h, p, err);
  /* the step PK_TRACE_LOAD: its constructors run in dlopen, then its
   * descriptor is read (the checks of its files above are the library's) */
  pk__call c;
  pk__call_enter(h, &c, PK_TRACE_LOAD, p, true, NULL, NULL);
  if (st == PK_OK && p->builtin && p->desc)
    st = check_desc(p, p->desc, err);
  else if (st == PK_OK && !p->builtin && p->library_path) {
    p->handle = pk__dl_open(p->library_path, err);
    if (!p->handle)
      st = open_failed(p, err);
    else if (PK__VEC_PUSH(&h->alloc, h->opened, h->nopened, h->opencap, p)) {
      pk__dl_close(p->handle);
      p->handle = NULL;
      st = pk__fail(err, PK_ENOMEM, "out of memory");
    } else {
      pk_error se;
      p->desc = pk__dl_sym(p->handle, PK_PLUGIN_SYMBOL, &se);
      if (!p->desc)
        st = pk__fail(err, PK_ELOAD,
                      "%s does not export %s (%s); define it with "
                      "PK_PLUGIN_DEFINE from plugkit/plugin.h",
                      p->library_path, PK_PLUGIN_SYMBOL, se.message);
      else
        st = check_desc(p, p->desc, err);
    }
  }
  pk__call_leave(h, &c, p, st);
  if (st != PK_OK) {
    pk__error_set_plugin(err, p->id);
    pk__plugin_fail(p, PK_STATE_FAILED, err);
    return st;
  }
  p->state = PK_STATE_LOADED;
  return PK_OK;
}

/* Imports the plugin: loads it and adds its manifest requirements. */

bool pk__close_plugin(pk_host *h, pk_plugin *p)
{
  bool closing =
      p->handle && !(p->desc && (p->desc->flags & PK_PLUGIN_RESIDENT));
  if (closing) {
    pk__call c; /* its destructors run: the unload step, watched and
                 * journaled (the trace reports the unload hook) */
    pk__call_enter(h, &c, PK_TRACE_UNLOAD, p, false, NULL, NULL);
    pk__dl_close(p->handle);
    pk__call_leave(h, &c, p, PK_OK);
  }
  p->handle = NULL;
  return closing;
}

void pk__close_all(pk_host *h)
{
  for (size_t i = h->nopened; i-- > 0;) {
    pk_plugin *p = h->opened[i];
    pk__close_plugin(h, p);
    p->state = PK_STATE_UNLOADED;
  }
}
