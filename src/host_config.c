/* host_config.c -- the host config: [plugins] (the plugins it enables,
 * each with its alias, [plugins.ALIAS] settings and contributed fragment),
 * [defaults], the instance tables of the declared kinds (checked here,
 * built by instances.c) and the host's own tables (host_tables.c); loading
 * it requests the declared plugins.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "use.h"

/* Frees the host config with the host (h->release): its instances first,
 * newest first. */
static void hostconf_free(pk_host *h)
{
  pk__hostconf *c = h->hostconf;
  const pk__allocator *a = &h->alloc;
  pk__instances_free(h, c);
  pk__host_tables_free(h, c);
  for (size_t i = 0; i < c->ndecl; i++) {
    pk__pconf *pc = c->decl[i];
    pc->plugin->conf = NULL;
    pk_schema_free(pc->schema);
    pk_doc_free(pc->fragment);
    pk__strv_free(a, pc->strv);
  }
  pk__free(a, c->decl, c->dcap * sizeof *c->decl);
  pk__map_free(a, &c->by_alias);
  pk_config_free(c->defaults);
  pk_schema_free(c->defaults_schema);
  pk_doc_free(c->config);
  pthread_mutex_destroy(&c->inst_mu);
  pthread_cond_destroy(&c->inst_cv);
  pk__arena_release(&c->arena); /* after every config in it is released */
  pk__free(a, c, sizeof *c);
  h->hostconf = NULL;
}

pk__hostconf *pk__hostconf_get(pk_host *h)
{
  if (h->hostconf)
    return h->hostconf;
  pk__hostconf *c = pk__alloc_zero(&h->alloc, sizeof *c);
  if (!c)
    return NULL;
  pk__arena_init(&c->arena, &h->alloc);
  c->arena_alloc = (pk__allocator){pk__arena_fn, &c->arena};
  pthread_mutex_init(&c->inst_mu, NULL);
  pthread_cond_init(&c->inst_cv, NULL);
  h->hostconf = c;
  h->release = hostconf_free;
  return c;
}

/* ---- the host config ---- */

static void installed_list(pk_host *h, const char *want, char *near_out,
                           size_t nn, char *list, size_t nl)
{
  size_t n = pk_host_plugin_count(h), k = 0;
  const char **ids = pk__alloc(&h->alloc, (n ? n : 1) * sizeof *ids);
  near_out[0] = list[0] = 0;
  if (!ids)
    return;
  for (size_t i = 0; i < n; i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    if (p->state != PK_STATE_SHADOWED && p->state != PK_STATE_BROKEN)
      ids[k++] = p->id;
  }
  const char *near = pk__closest(want, ids, k);
  if (near)
    pk__copy_str(near_out, nn, near);
  pk__join(list, nl, ids, k);
  if (!k)
    pk__copy_str(list, nl, "none");
  pk__free(&h->alloc, ids, (n ? n : 1) * sizeof *ids);
}

static pk_status pconf_add(pk_host *h, pk__hostconf *hc, const char *alias,
                           size_t len, pk_plugin *p, const pk_value *table,
                           const pk_value *id_v, pk__pconf **out)
{
  /* in the config's arena, alias after it: released with the config */
  pk__pconf *c = pk__alloc(&hc->arena_alloc, sizeof *c + len + 1);
  if (!c)
    return PK_ENOMEM;
  *c = (pk__pconf){.alias = memcpy(c + 1, alias, len + 1),
                   .plugin = p,
                   .table = table,
                   .id_v = id_v};
  if (PK__VEC_PUSH(&h->alloc, hc->decl, hc->ndecl, hc->dcap, c) != PK_OK)
    return PK_ENOMEM;
  if (pk__map_put(&h->alloc, &hc->by_alias, c->alias, len, c))
    return PK_ENOMEM;
  *out = c;
  return PK_OK;
}

static pk_status read_fragment(pk_host *h, pk__pconf *c, pk_error *err)
{
  const char *f = NULL;
  pk_plugin *p = c->plugin;
  if ((p->m.has & PK__M_FRAGMENT) &&
      pk_table_get_string_or(pk__manifest_root(p), "fragment", NULL, &f,
                             err) != PK_OK)
    return PK_ETYPE;
  if (!f)
    return PK_OK;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", p->dir, f);
  pk_doc_options o = pk__host_doc_options(h);
  pk_status st = pk_doc_load_file(path, &o, &c->fragment, err);
  if (st != PK_OK)
    pk__error_set_plugin(err, p->id);
  return st;
}

/* The id ("ns:name") of the plugin that requirement text of p names,
 * into id (n bytes); its length, 0 when it does not parse or does not
 * fit.  The common forms give it without a parse into a pk__req
 * (pk__req_plain_id). */
static size_t req_id(const pk_plugin *p, const char *text, char *id,
                     size_t n)
{
  size_t nn = pk__req_plain_id(text, p->m.ns, id, n);
  if (nn)
    return nn;
  pk__req req;
  char why[8];
  if (pk__req_parse_in(text, p->m.ns, &req, why, sizeof why) != PK_OK)
    return 0;
  size_t nm = strlen(req.name);
  nn = strlen(req.ns);
  if (nn + nm + 2 > n)
    return 0;
  memcpy(id, req.ns, nn); /* "ns:name" */
  id[nn] = ':';
  memcpy(id + nn + 1, req.name, nm + 1);
  return nn + 1 + nm;
}

static pk_status load_config_doc(pk_host *h, pk__types *t, pk__hostconf *hc,
                                 pk_diag *diag, pk_error *err)
{
  const pk_value *root = pk_doc_root(hc->config);
  pk_error first, e;
  bool failed = false;
  pk_error_clear(&first);
#define REPORT(E)                                                              \
  do {                                                                         \
    if (pk__diag_report(diag, &first, &failed, (E)) != PK_OK)                  \
      return pk__fail(err, PK_ENOMEM, "out of memory");                        \
  } while (0)
  const pk_value *plugins = pk_table_get(root, "plugins");
  if (plugins && pk_value_kind(plugins) != PK_KIND_TABLE) {
    pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(plugins), "[plugins] must be a "
                "table of ALIAS = \"ns:name\" entries, found %s",
                pk__kind_article(pk_value_kind(plugins)));
    REPORT(&e);
    plugins = NULL;
  }
  /* The entries read a batch at a time; a position is computed only for
   * a message (the plugin id's is kept as its value, id_v). */
  size_t nplugins = pk_table_count(plugins);
  /* the declarations' list and map sized once for them all: no table
   * grown and copied through every size on the way (fresh pages) */
  if (nplugins &&
      (pk__vec_reserve(&h->alloc, (void **)&hc->decl, &hc->dcap,
                       hc->ndecl + nplugins, sizeof *hc->decl) != PK_OK ||
       pk__map_reserve(&h->alloc, &hc->by_alias,
                       hc->by_alias.count + nplugins) != PK_OK))
    return pk__fail(err, PK_ENOMEM, "out of memory");
  pk__items items;
  pk__items_init(&items, plugins);
  for (size_t i = 0; plugins && i < nplugins; i++) {
    const pk__item *it = pk__items_at(&items, i);
    size_t alias_len = it->key_len;
    const char *alias = it->key;
    const pk_value *v = it->v;
    const pk_value *id_v;
    const pk_value *table = NULL;
    const char *id = NULL;
    if (!pk__name_valid(alias, alias_len)) { /* a NUL byte is not valid */
      pk__fail_at(&e, PK_ECONFIG, pk_table_key_pos_at(plugins, i),
                  "invalid plugin alias \"%s%s\": use "
                  "1 to 127 letters, digits, '_', '.' or '-'",
                  alias, strlen(alias) != alias_len ? "\\u0000..." : "");
      REPORT(&e);
      continue;
    }
    if (it->kind == PK_KIND_STRING) { /* (read with the entry) */
      id = it->u.s;
      id_v = v;
    } else if (it->kind == PK_KIND_TABLE) {
      table = v;
      const pk_value *pv = pk_table_get(v, "plugin");
      if (!pv) {
        pk__fail_at(&e, PK_EMISSING, pk_value_get_pos(v),
                    "[plugins.%s] needs plugin = \"ns:name\" (the plugin "
                    "this alias enables)", alias);
        REPORT(&e);
        continue;
      }
      if (pk_value_get_string(pv, &id, NULL, &e) != PK_OK) {
        REPORT(&e);
        continue;
      }
      id_v = pv;
    } else {
      pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(v), "plugins.%s must be a "
                  "string \"ns:name\" or a table with plugin = \"ns:name\", "
                  "found %s", alias, pk__kind_article(pk_value_kind(v)));
      REPORT(&e);
      continue;
    }
    char buf[2 * PK__NAME_MAX + 2];
    const char *full = pk__plugins_full_id(h, id, buf, sizeof buf);
    pk_plugin *p = pk_host_find_plugin(h, full);
    if (!p || p->state == PK_STATE_BROKEN) {
      char near[300], list[2048];
      installed_list(h, full, near, sizeof near, list, sizeof list);
      if (p)
        pk__fail_at(&e, PK_EMANIFEST, pk_value_get_pos(id_v),
                    "plugin \"%s\" (plugins.%s) is installed but its "
                    "manifest is broken: %s", full, alias,
                    pk_plugin_get_reason(p));
      else
        pk__fail_at(&e, PK_ENOTFOUND, pk_value_get_pos(id_v),
                    "plugin \"%s\" (plugins.%s) is not installed%s%s%s; "
                    "installed: %s", full, alias,
                    near[0] ? " (did you mean \"" : "", near,
                    near[0] ? "\"?)" : "", list);
      REPORT(&e);
      continue;
    }
    if (p->conf) {
      pk_pos first_pos = pk_value_get_pos(p->conf->id_v);
      pk__fail_at(&e, PK_EDUPLICATE, pk_value_get_pos(id_v),
                  "plugin %s is declared twice: as plugins.%s (%s:%d:%d) and "
                  "as plugins.%s; a plugin takes one alias, remove one",
                  p->id, p->conf->alias, first_pos.source, first_pos.line,
                  first_pos.col, alias);
      REPORT(&e);
      continue;
    }
    pk__pconf *c;
    if (pconf_add(h, hc, alias, alias_len, p, table, id_v, &c) != PK_OK)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    p->conf = c;
    const pk_value *sc = p->m.has & PK__M_CONFIG
                             ? pk_table_get(pk__manifest_root(p), "config")
                             : NULL;
    if (sc && pk__host_schema(h, sc, &c->schema, &e) != PK_OK) {
      REPORT(&e);
      continue;
    }
    /* A plugin of no [config] declared without settings (by its id) has
     * the config of no field, which no context nor position changes: one
     * decode serves them all (a config in the arena is immutable and
     * never freed alone).  One with a schema is decoded: its defaults
     * and required fields are its own. */
    bool plain = !c->schema && !table;
    static const char *const skip[] = {"plugin"};
    pk_decode_options o = {.size = sizeof o, .ctx = hc->ctx, .skip = skip,
                           .skip_count = 1};
    /* decoded into the config's arena, as the instances' configs are: no
     * allocation of its own (a plugin declared without settings still
     * has a config, of no field or of its schema's defaults) */
    if (plain && hc->no_settings) {
      c->config = hc->no_settings;
    } else if (pk__schema_decode_in(&hc->arena_alloc,
                             c->schema ? c->schema : t->empty_schema, table,
                             NULL, 0, &o, &c->config, diag, &e) != PK_OK) {
      if (e.code == PK_ENOMEM)
        return pk__fail(err, PK_ENOMEM, "out of memory");
      if (!c->schema && pk_table_count(table) > 1)
        snprintf(e.message + strlen(e.message),
                 sizeof e.message - strlen(e.message),
                 " (plugin %s declares no [config]: it takes no settings)",
                 p->id);
      if (!failed)
        first = e;
      failed = true;
    } else if (plain) {
      hc->no_settings = c->config;
    }
    if (read_fragment(h, c, &e) != PK_OK)
      REPORT(&e);
  }
  /* [defaults] */
  const pk_value *dv = pk_table_get(root, "defaults");
  if (hc->defaults_schema) {
    if (pk_schema_decode(hc->defaults_schema, dv, NULL, &hc->defaults, diag,
                         &e) != PK_OK) {
      if (e.code == PK_ENOMEM)
        return pk__fail(err, PK_ENOMEM, "out of memory");
      if (!failed)
        first = e;
      failed = true;
    }
  }
  /* the types of the declared plugins and of what they require; their
   * list and map sized once for a type a declared plugin (a config
   * declares the plugins whose types it uses) */
  size_t nreq = 0, qcap = hc->ndecl + 1;
  pk_plugin **queue = pk__alloc(&h->alloc, qcap * sizeof *queue);
  if (!queue ||
      (hc->ndecl &&
       (pk__vec_reserve(&h->alloc, (void **)&t->types, &t->tcap,
                        t->ntypes + hc->ndecl, sizeof *t->types) != PK_OK ||
        pk__map_reserve(&h->alloc, &t->by_tag,
                        t->by_tag.count + hc->ndecl) != PK_OK))) {
    pk__free(&h->alloc, queue, qcap * sizeof *queue);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < hc->ndecl; i++)
    queue[nreq++] = hc->decl[i]->plugin;
  for (size_t qi = 0; qi < nreq; qi++) {
    pk_plugin *p = queue[qi];
    if (p->types_added)
      continue;
    if (pk__types_add_manifest(h, p, &e) != PK_OK) {
      if (e.code == PK_ENOMEM) {
        pk__free(&h->alloc, queue, qcap * sizeof *queue);
        return pk__fail(err, PK_ENOMEM, "out of memory");
      }
      REPORT(&e);
    }
    for (size_t r = 0; r < p->m.nreq; r++) {
      char id[2 * PK__NAME_MAX + 2];
      size_t len = req_id(p, p->m.reqs[r].text, id, sizeof id);
      /* (discovered: the declared plugins were found) */
      pk_plugin *q = len ? pk__map_get(&h->by_id, id, len) : NULL;
      if (q && !q->types_added &&
          PK__VEC_PUSH(&h->alloc, queue, nreq, qcap, q) != PK_OK) {
        pk__free(&h->alloc, queue, qcap * sizeof *queue);
        return pk__fail(err, PK_ENOMEM, "out of memory");
      }
    }
  }
  pk__free(&h->alloc, queue, qcap * sizeof *queue);
  if (pk__instances_add(h, hc, root, diag, &first, &failed) != PK_OK ||
      pk__host_tables_check(h, hc, root, diag, &first, &failed) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
#undef REPORT
  if (failed)
    return pk__error_copy(err, &first);
  /* run the declared plugins */
  for (size_t i = 0; i < hc->ndecl; i++) {
    pk_status st = pk__host_request_plugin(h, hc->decl[i]->plugin, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

/* Loads the config from path, text or doc (taken: freed on failure). */
static pk_status load_config(pk_host *h, const char *path, const char *text,
                             size_t len, pk_doc *doc, pk_diag *diag,
                             pk_error *err)
{
  pk_status st = PK_OK;
  pk__types *t = NULL;
  pk__hostconf *c = NULL;
  if (!h || (!path && !text && !doc))
    st = pk__fail(err, PK_EMISUSE, "pk_host_load_config: NULL argument");
  if (st == PK_OK)
    st = pk_host_discover(h, err);
  if (st == PK_OK && (!(t = pk__types_get(h)) || !(c = pk__hostconf_get(h))))
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  if (st == PK_OK && (c->config || h->nknown))
    st = pk__fail(err, PK_ESTATE, "pk_host_load_config: %s",
                  c->config ? "a config is already loaded"
                            : "call it before requesting plugins");
  if (st != PK_OK) {
    pk_doc_free(doc);
    return st;
  }
  pk_doc_options o = pk__host_doc_options(h);
  if (doc)
    c->config = doc;
  else
    st = text ? pk_doc_parse(text, len, path ? path : "<config>", &o,
                             &c->config, err)
              : pk_doc_load_file(path, &o, &c->config, err);
  if (st != PK_OK) {
    if (diag && err)
      pk_diag_add(diag, err, NULL);
    return st;
  }
  t->config_loaded = true; /* no more kinds */
  return load_config_doc(h, t, c, diag, err);
}

pk_status pk_host_load_config(pk_host *h, const char *path, pk_diag *diag,
                              pk_error *err)
{
  return load_config(h, path, NULL, 0, NULL, diag, err);
}

pk_status pk_host_load_config_text(pk_host *h, const char *text, size_t len,
                                   const char *source, pk_diag *diag,
                                   pk_error *err)
{
  if (!text)
    return pk__fail(err, PK_EMISUSE, "pk_host_load_config_text: NULL text");
  return load_config(h, source, text, len, NULL, diag, err);
}

pk_status pk_host_load_config_doc(pk_host *h, pk_doc *doc, pk_diag *diag,
                                  pk_error *err)
{
  if (!doc)
    return pk__fail(err, PK_EMISUSE, "pk_host_load_config_doc: NULL doc");
  return load_config(h, NULL, NULL, 0, doc, diag, err);
}

pk_plugin *pk_host_find_alias(pk_host *h, const char *alias)
{
  if (!h || !h->hostconf || !alias)
    return NULL;
  pk__pconf *c = pk__map_get(&h->hostconf->by_alias, alias,
                                    strlen(alias));
  return c ? c->plugin : NULL;
}

const char *pk_plugin_get_alias(const pk_plugin *p)
{
  return p && p->conf ? p->conf->alias : NULL;
}

const pk_config *pk_plugin_get_config(const pk_plugin *p)
{
  return p && p->conf ? p->conf->config : NULL;
}

void pk_host_set_ctx(pk_host *h, const pk_ctx *ctx)
{
  pk__hostconf *c = h ? pk__hostconf_get(h) : NULL;
  if (c)
    c->ctx = ctx;
}

/* ---- fragments ---- */

static const pk_value *frag_section(const pk__pconf *c,
                                    const char *section)
{
  if (!c->fragment)
    return NULL;
  const pk_value *s = pk_table_get(pk_doc_root(c->fragment), section);
  return pk_value_kind(s) == PK_KIND_TABLE ? s : NULL;
}

static bool hidden(const pk_value *entry)
{
  bool b = false;
  return pk_value_kind(entry) == PK_KIND_TABLE &&
         pk_table_get_bool_or(entry, "hidden", false, &b, NULL) == PK_OK && b;
}

const pk_value *pk_host_get_fragment(pk_host *h, const char *alias)
{
  if (!h || !h->hostconf || !alias)
    return NULL;
  pk__pconf *c = pk__map_get(&h->hostconf->by_alias, alias,
                                    strlen(alias));
  return c && c->fragment ? pk_doc_root(c->fragment) : NULL;
}

const pk_value *pk_host_fragment_entry_at(pk_host *h, const char *section,
                                          size_t i, char *address, size_t n)
{
  if (!h || !h->hostconf || !section)
    return NULL;
  for (size_t d = 0; d < h->hostconf->ndecl; d++) {
    const pk__pconf *c = h->hostconf->decl[d];
    const pk_value *s = frag_section(c, section);
    for (size_t k = 0; k < pk_table_count(s); k++) {
      const pk_value *e = pk_table_value_at(s, k);
      if (hidden(e))
        continue;
      if (i-- == 0) {
        if (address && n)
          snprintf(address, n, "%s/%s", c->alias,
                   pk_table_key_at(s, k, NULL));
        return e;
      }
    }
  }
  return NULL;
}

const pk_value *pk_host_find_fragment_entry(pk_host *h, const char *section,
                                            const char *address)
{
  if (!h || !h->hostconf || !section || !address)
    return NULL;
  const char *cut = strrchr(address, '/');
  if (!cut)
    cut = strrchr(address, '.');
  if (!cut || cut == address)
    return NULL;
  pk__pconf *c = pk__map_get(&h->hostconf->by_alias, address,
                                    (size_t)(cut - address));
  return c ? pk_table_get(frag_section(c, section), cut + 1) : NULL;
}
