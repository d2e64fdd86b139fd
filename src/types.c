/* types.c -- the type registry: kinds declared by the host, types of a
 * kind (a tag, a config schema, a factory) from the host (pk_host_add_type,
 * the description's [types]) or from plugins ([[provides]] in the
 * manifest, the code by api->type_add); the documents their schemas
 * borrow.  SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "registries.h"

pk__types *pk__types_get(pk_host *h)
{
  if (h->types)
    return h->types;
  pk__types *t = pk__alloc_zero(&h->alloc, sizeof *t);
  if (!t)
    return NULL;
  pk__arena_init(&t->plugin_types, &h->alloc);
  pk_doc_options o = pk__host_doc_options(h);
  pk_schema_options so = {sizeof so, h->alloc.fn, h->alloc.ud};
  if (pk_doc_parse("", 0, "<empty>", &o, &t->empty_doc, NULL) != PK_OK ||
      pk_schema_new(pk_doc_root(t->empty_doc), &so, &t->empty_schema,
                    NULL) != PK_OK) {
    pk_doc_free(t->empty_doc);
    pk__free(&h->alloc, t, sizeof *t);
    return NULL;
  }
  h->types = t;
  return t;
}

/* "x\x01y" (x nx bytes, y ny) into buf, which holds it; its length. */
static size_t join(char *buf, const char *x, size_t nx, const char *y,
                   size_t ny)
{
  memcpy(buf, x, nx);
  buf[nx] = '\x01';
  memcpy(buf + nx + 1, y, ny + 1);
  return nx + 1 + ny;
}

/* join() into buf (cap bytes); 0 when it does not fit. */
static size_t join_buf(char *buf, size_t cap, const char *x, const char *y)
{
  size_t nx = strlen(x), ny = strlen(y);
  return nx + ny + 2 > cap ? 0 : join(buf, x, nx, y, ny);
}

pk__type *pk__find_type(const pk__types *t, const char *kind,
                        const char *tag)
{
  char key[2 * PK__NAME_MAX + 2];
  size_t n = join_buf(key, sizeof key, kind, tag);
  if (!t || !n)
    return NULL;
  return pk__map_get(&t->by_tag, key, n);
}

/* A type with its key and names in the same allocation; NULL when out of
 * memory.  ext NULL: extends nothing. */
pk__type *pk__type_new(const pk__allocator *a, const char *kind,
                          const char *tag, const char *ext)
{
  size_t nk = strlen(kind), nt = strlen(tag), ne = ext ? strlen(ext) + 1 : 0;
  size_t names = 2 * (nk + nt + 2) + ne;
  pk__type *ty = pk__alloc(a, sizeof *ty + names);
  if (!ty)
    return NULL;
  memset(ty, 0, sizeof *ty);
  ty->names = (uint32_t)names; /* kind, tag, extends: 127 bytes each */
  ty->key = (char *)(ty + 1);
  ty->key_len = (uint32_t)join(ty->key, kind, nk, tag, nt);
  ty->kind = ty->key + nk + nt + 2;
  memcpy(ty->kind, kind, nk + 1);
  ty->tag = ty->kind + nk + 1;
  memcpy(ty->tag, tag, nt + 1);
  if (ext) {
    ty->extends = ty->tag + nt + 1;
    memcpy(ty->extends, ext, ne);
  }
  return ty;
}

static const pk_value *provides_entry(const pk_plugin *p, size_t i);

/* Where the type is declared: the tag in the manifest (read from its
 * document when the type was declared from the cache's record), computed
 * only for a message. */
pk_pos pk__type_pos(const pk__type *ty)
{
  const pk_value *tag_v =
      ty->tag_v || !ty->plugin
          ? ty->tag_v
          : pk_table_get(provides_entry(ty->plugin, ty->prov_i), "tag");
  return tag_v        ? pk_value_get_pos(tag_v)
         : ty->plugin ? (pk_pos){NULL, 0, 0}
                      : ty->pos;
}

const char *pk__provider_text(const pk__type *ty, char *buf, size_t n)
{
  if (!ty->plugin)
    snprintf(buf, n, "the host (built-in)");
  else {
    pk_pos pos = pk__type_pos(ty);
    snprintf(buf, n, "plugin %s (%s:%d:%d)", ty->plugin->id,
             pos.source ? pos.source : "", pos.line, pos.col);
  }
  return buf;
}

/* ---- declarations ---- */

pk_status pk_host_declare_kind(pk_host *h, const char *name, uint32_t version,
                               const char *table, const char *default_type,
                               pk_error *err)
{
  if (!h || !name || !pk__name_valid(name, strlen(name)))
    return pk__fail(err, PK_EMISUSE, "pk_host_declare_kind: invalid kind "
                    "name \"%s\"", name ? name : "(null)");
  pk__types *t = pk__types_get(h);
  if (!t)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  if (t->config_loaded)
    return pk__fail(err, PK_ESTATE, "pk_host_declare_kind(\"%s\"): declare "
                    "kinds before pk_host_load_config()", name);
  if (pk__find_kind(t, name))
    return pk__fail(err, PK_EDUPLICATE, "kind \"%s\" is declared twice",
                    name);
  for (size_t i = 0; table && i < t->nkinds; i++)
    if (t->kinds[i].table && !strcmp(t->kinds[i].table, table))
      return pk__fail(err, PK_EDUPLICATE, "kinds \"%s\" and \"%s\" both live "
                      "in table [%s]", t->kinds[i].name, name, table);
  pk__kind k = {pk__strdup(&h->alloc, name), version,
                table ? pk__strdup(&h->alloc, table) : NULL,
                default_type ? pk__strdup(&h->alloc, default_type) : NULL};
  if (!k.name || (table && !k.table) || (default_type && !k.dflt) ||
      PK__VEC_PUSH(&h->alloc, t->kinds, t->nkinds, t->kcap, k) != PK_OK) {
    pk__strfree(&h->alloc, k.name);
    pk__strfree(&h->alloc, k.table);
    pk__strfree(&h->alloc, k.dflt);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  return PK_OK;
}

/* A schema from a table of a document the host keeps, with its allocator. */
pk_status pk__host_schema(pk_host *h, const pk_value *tbl, pk_schema **out,
                          pk_error *err)
{
  pk_schema_options so = {sizeof so, h->alloc.fn, h->alloc.ud};
  return pk_schema_new(tbl, &so, out, err);
}

pk_status pk__types_keep_doc(pk_host *h, pk_doc *doc, pk_error *err)
{
  pk__types *t = pk__types_get(h);
  if (!t) {
    pk_doc_free(doc);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  if (PK__VEC_PUSH(&h->alloc, t->docs, t->ndocs, t->doccap, doc) != PK_OK) {
    pk_doc_free(doc);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  return PK_OK;
}

/* ---- the type registry ---- */

void pk__type_free(const pk__allocator *a, pk__type *ty)
{
  if (!ty)
    return;
  pk_schema_free(ty->own_schema);
  if (ty->plugin) { /* the union's side plugin names */
    for (size_t i = 0; i < ty->nbind; i++)
      pk__strfree(a, (char *)ty->bind[i].field);
    pk__free(a, ty->bind, ty->nbind * sizeof *ty->bind);
  } else {
    pk_doc_free(ty->doc);
    pk__free(a, ty, sizeof *ty + ty->names); /* (a plugin's: its arena) */
  }
}

pk_status pk__type_insert(pk_host *h, pk__types *t, pk__type *ty,
                          pk_error *err)
{
  /* room in the list first: the map then takes the type in the one
   * lookup that finds a duplicate, and nothing can fail after it */
  void *found = NULL;
  if (pk__vec_reserve(&h->alloc, (void **)&t->types, &t->tcap, t->ntypes + 1,
                      sizeof *t->types) != PK_OK ||
      pk__map_get_or_put(&h->alloc, &t->by_tag, ty->key, ty->key_len, ty,
                         &found) != PK_OK) {
    pk__type_free(&h->alloc, ty);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  pk__type *old = found;
  if (old) {
    char a[512], b[512];
    pk_status st = pk__fail_at(
        err, PK_EDUPLICATE,
        ty->plugin ? pk__type_pos(ty) : (pk_pos){NULL, 0, 0},
        "%s type \"%s\" is provided twice: by %s and by %s; a tag names one "
        "type per kind (disable one of the plugins or rename the tag)",
        ty->kind, ty->tag, pk__provider_text(old, a, sizeof a),
        pk__provider_text(ty, b, sizeof b));
    if (ty->plugin)
      pk__error_set_plugin(err, ty->plugin->id);
    pk__type_free(&h->alloc, ty);
    return st;
  }
  t->types[t->ntypes++] = ty;
  return PK_OK;
}

/* The code of a type the host description declares: the schema and the
 * base come from the description only. */
static pk_status attach_code(pk__type *d, const pk_type_options *o,
                             pk_error *err)
{
  if (o->schema_toml || o->schema)
    return pk__fail_at(err, PK_EDUPLICATE, pk__type_pos(d), "%s type \"%s\": "
                       "the host description declares its config; pass no "
                       "schema to pk_host_add_type", o->kind, o->tag);
  if ((o->extends || d->extends) &&
      (!o->extends || !d->extends || strcmp(o->extends, d->extends)))
    return pk__fail_at(err, PK_ECONFIG, pk__type_pos(d), "%s type \"%s\": "
                       "extends \"%s\" in the host description but \"%s\" in "
                       "pk_host_add_type", o->kind, o->tag,
                       d->extends ? d->extends : "",
                       o->extends ? o->extends : "");
  d->factory = o->factory;
  d->destroy = o->destroy;
  d->data = o->data;
  d->has_code = true;
  return PK_OK;
}

pk_status pk_host_add_type(pk_host *h, const pk_type_options *o,
                           pk_error *err)
{
  if (!h || !o || o->size < offsetof(pk_type_options, data) ||
      !o->kind || !o->tag || !o->factory || (!o->schema_toml && !o->schema &&
                                             0))
    return pk__fail(err, PK_EMISUSE, "pk_host_add_type: needs size, kind, "
                    "tag and factory");
  if (!pk__name_valid(o->tag, strlen(o->tag)))
    return pk__fail(err, PK_EMISUSE, "pk_host_add_type: invalid tag \"%s\"",
                    o->tag);
  pk__types *t = pk__types_get(h);
  if (!t)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  if (!pk__find_kind(t, o->kind))
    return pk__fail(err, PK_ENOTFOUND, "pk_host_add_type: kind \"%s\" is "
                    "not declared (pk_host_declare_kind)", o->kind);
  pk__type *d = pk__find_type(t, o->kind, o->tag);
  if (d && !d->plugin && !d->has_code) /* declared by the description */
    return attach_code(d, o, err);
  pk__type *ty = pk__type_new(&h->alloc, o->kind, o->tag, o->extends);
  if (!ty)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  ty->factory = o->factory;
  ty->destroy = o->destroy;
  ty->data = o->data;
  ty->has_code = true;
  ty->schema = o->schema ? o->schema : t->empty_schema;
  if (o->schema_toml && !o->schema) {
    pk_doc_options dopt = pk__host_doc_options(h);
    char name[300];
    snprintf(name, sizeof name, "<%s type %s>", o->kind, o->tag);
    pk_status st = pk_doc_parse(o->schema_toml, strlen(o->schema_toml), name,
                                &dopt, &ty->doc, err);
    if (st == PK_OK)
      st = pk__host_schema(h, pk_doc_root(ty->doc), &ty->own_schema, err);
    if (st != PK_OK) {
      pk__type_free(&h->alloc, ty);
      return st;
    }
    ty->schema = ty->own_schema;
  }
  return pk__type_insert(h, t, ty, err);
}

/* [[provides]] entry i of p's manifest (its document made if need be), or
 * NULL when it has no document (the cache's copy damaged and the file
 * changed since discovery). */
static const pk_value *provides_entry(const pk_plugin *p, size_t i)
{
  return pk_array_at(pk_table_get(pk__manifest_root(p), "provides"), i);
}

void pk__provides_read(const pk_value *e, pk__mprov *out,
                       const pk_value **tag_v, const pk_value **cfg)
{
  pk__items r;
  size_t n = pk_table_count(e);
  pk__items_init(&r, e);
  for (size_t k = 0; k < n; k++) {
    const pk__item *it = pk__items_at(&r, k);
    const char *s = it->kind == PK_KIND_STRING ? it->u.s : NULL;
    if (pk__key_is(it->key, it->key_len, "kind")) {
      out->kind = s ? s : out->kind;
    } else if (pk__key_is(it->key, it->key_len, "tag")) {
      out->tag = s ? s : out->tag;
      *tag_v = it->v;
    } else if (pk__key_is(it->key, it->key_len, "extends")) {
      out->extends = s;
    } else if (pk__key_is(it->key, it->key_len, "config")) {
      *cfg = it->v;
    }
  }
}

/* Declares the type of p's [[provides]] entry i, e (extends NULL or ""
 * when none); its tag's value tag_v and its config cfg when the
 * document was read, else (served from the cache's record) NULL, both
 * read from the document on first need; has_cfg: whether it has a
 * config. */
static pk_status add_provided(pk_host *h, pk__types *t, pk_plugin *p,
                              size_t i, const pk__mprov *e,
                              const pk_value *tag_v, const pk_value *cfg,
                              bool has_cfg, pk_error *err)
{
  const char *kind = e->kind, *ext = e->extends;
  if (t->nkinds && !pk__find_kind(t, kind)) {
    const char *names[64];
    size_t n = 0;
    for (; n < t->nkinds && n < 64; n++)
      names[n] = t->kinds[n].name;
    char list[512];
    pk__join(list, sizeof list, names, n);
    pk__fail_at(err, PK_ENOTFOUND,
                pk_value_get_pos(pk_table_get(provides_entry(p, i), "kind")),
                "plugin %s provides a type of kind \"%s\", which this host "
                "does not declare (kinds: %s)", p->id, kind, list);
    return pk__error_set_plugin(err, p->id);
  }
  pk__allocator in = {pk__arena_fn, &t->plugin_types};
  pk__type *ty = pk__type_new(&in, kind, e->tag, ext && *ext ? ext : NULL);
  if (!ty)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  ty->plugin = p;
  ty->prov_i = (uint32_t)i;
  ty->tag_v = tag_v;
  /* the schema is parsed on first need (type_schema): the manifest
   * check validated it, and most declared types are never used */
  ty->schema_src = cfg;
  ty->schema = has_cfg ? NULL : t->empty_schema;
  return pk__type_insert(h, t, ty, err);
}

pk_status pk__types_add_manifest(pk_host *h, pk_plugin *p, pk_error *err)
{
  if (p->types_added || !p->m.name) /* done, or a broken manifest */
    return PK_OK;
  /* served from the cache: the record has the entries, and the document
   * is left unmade (a config declaring many plugins uses few types) */
  bool rec = p->m.cached != NULL;
  const pk_value *prov = NULL;
  const char *flags = NULL;
  size_t n = 0;
  if (!(p->m.has & PK__M_PROVIDES))
    ;
  else if (rec)
    flags = pk__record_provides_at(&p->m, &n);
  else
    n = pk_array_count(prov = pk_table_get(pk__manifest_root(p), "provides"));
  if (!n) {
    p->types_added = true;
    return PK_OK;
  }
  pk__types *t = pk__types_get(h);
  if (!t)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  p->types_added = true;
  const char *at = rec ? flags + n : NULL;
  for (size_t i = 0; i < n; i++) {
    pk__mprov e = {"", "", NULL};
    const pk_value *tag_v = NULL, *cfg = NULL;
    if (rec)
      at = pk__record_provides(at, &e);
    else
      pk__provides_read(pk_array_at(prov, i), &e, &tag_v, &cfg);
    pk_status st = add_provided(h, t, p, i, &e, tag_v, cfg,
                                rec ? flags[i] : cfg != NULL, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

/* The schema is parsed on first need: when an instance table selects the
 * type (pk_host_load_config, one thread) or when its code registers it
 * (register, or a wake under the host's wake mutex).  Later readers
 * (pk_host_get_instance) only see types resolved when the config was
 * loaded. */
pk_status pk__type_schema_parse(pk_host *h, pk__type *ty, pk_error *err)
{
  if (!ty->schema_src && ty->plugin) { /* declared from the cache's record */
    ty->schema_src =
        pk_table_get(provides_entry(ty->plugin, ty->prov_i), "config");
    if (!ty->schema_src) {
      pk__fail(err, PK_EIO, "%s type \"%s\" of plugin %s: its config "
               "cannot be read: the metadata cache's copy of %s is damaged "
               "and the file changed since discovery; start the host again",
               ty->kind, ty->tag, ty->plugin->id, ty->plugin->manifest_path);
      return pk__error_set_plugin(err, ty->plugin->id);
    }
  }
  pk_status st = pk__host_schema(h, ty->schema_src, &ty->own_schema, err);
  if (st == PK_OK)
    ty->schema = ty->own_schema;
  return st;
}

pk_status pk__types_check_registered(pk_host *h, pk_plugin *p, pk_error *err)
{
  pk__types *t = h->types;
  for (size_t i = 0; t && i < t->ntypes; i++) {
    pk__type *ty = t->types[i];
    if (ty->plugin == p && !ty->has_code) {
      pk__fail_at(err, PK_ELOAD, pk__type_pos(ty),
                  "plugin %s declares %s type \"%s\" in its manifest (%s) but "
                  "its code (%s) did not register it: call api->type_add() "
                  "for kind \"%s\", tag \"%s\" from its register hook",
                  p->id, ty->kind, ty->tag, p->manifest_path,
                  p->library_path ? p->library_path : "no library", ty->kind,
                  ty->tag);
      return pk__error_set_plugin(err, p->id);
    }
  }
  return PK_OK;
}

int pk__api_type_add(pk_plugin_ctx *ctx, const pk_type_impl *impl)
{
  pk_plugin *p = (pk_plugin *)ctx;
  pk_host *h = p->host;
  pk_error e;
  size_t need = offsetof(pk_type_impl, config_size) + sizeof(size_t);
  if (h->in_hook != p || p->state != PK_STATE_LOADED) {
    pk__fail(&e, PK_EMISUSE, "%s called type_add outside its register hook",
             p->id);
    return pk__plugin_hook_fail(p, &e);
  }
  if (!impl || impl->size < need || !impl->kind || !impl->tag ||
      !impl->factory || (impl->nbindings && !impl->bindings)) {
    pk__fail(&e, PK_EMISUSE, "%s: type_add needs a pk_type_impl with size, "
             "kind, tag and factory", p->id);
    return pk__plugin_hook_fail(p, &e);
  }
  pk__types *t = pk__types_get(h);
  if (!t)
    return pk__plugin_hook_fail(p, &(pk_error){.code = PK_ENOMEM,
                                        .message = "out of memory"});
  pk__type *ty = pk__find_type(t, impl->kind, impl->tag);
  if (!ty || ty->plugin != p) {
    char prov[512] = "";
    if (ty)
      pk__provider_text(ty, prov, sizeof prov);
    pk__fail(&e, PK_ELOAD,
             "the code of plugin %s (%s) registers %s type \"%s\", but its "
             "manifest %s declares no such [[provides]]%s%s; add it to the "
             "manifest (kind = \"%s\", tag = \"%s\")",
             p->id, p->library_path ? p->library_path : "built-in",
             impl->kind, impl->tag, p->manifest_path,
             ty ? "; the tag belongs to " : "", prov, impl->kind, impl->tag);
    return pk__plugin_hook_fail(p, &e);
  }
  if (ty->has_code) {
    pk__fail(&e, PK_EDUPLICATE, "plugin %s registers %s type \"%s\" twice",
             p->id, impl->kind, impl->tag);
    return pk__plugin_hook_fail(p, &e);
  }
  pk_binding *bs = NULL;
  if (impl->nbindings) {
    bs = pk__alloc(&h->alloc, impl->nbindings * sizeof *bs);
    if (!bs)
      return pk__plugin_hook_fail(p, &(pk_error){.code = PK_ENOMEM,
                                          .message = "out of memory"});
    pk__plugin_bindings(impl->bindings, impl->nbindings, bs);
  }
  pk_error be;
  pk_status st = pk__type_schema(h, ty, &be);
  if (st == PK_ENOMEM) {
    pk__free(&h->alloc, bs, impl->nbindings * sizeof *bs);
    return pk__plugin_hook_fail(p, &be);
  }
  if (st == PK_OK)
    st = pk__check_bindings(ty->schema, bs, impl->nbindings, true, &be);
  for (size_t i = 0; st == PK_OK && i < impl->nbindings; i++) {
    if (bs[i].offset + (bs[i].size ? bs[i].size : 1) > impl->config_size)
      st = pk__fail(&be, PK_ERANGE, "binding of field \"%s\" lies outside "
                    "config_size (%zu bytes)", bs[i].field,
                    impl->config_size);
    else if (impl->bindings[i].ctype == PK_PLUGIN_C_STRINGS)
      st = pk__strings_ok(pk_schema_find_field(ty->schema, bs[i].field), &be);
  }
  pk__free(&h->alloc, bs, impl->nbindings * sizeof *bs);
  if (st != PK_OK) {
    char pos[300];
    snprintf(pos, sizeof pos, "%s:%d:%d", be.source, be.line, be.col);
    pk__fail_at(&e, PK_ELOAD, pk__type_pos(ty),
                "the code of plugin %s (%s) binds %s type \"%s\" against "
                "its manifest's [provides.config] (%s): %s",
                p->id, p->library_path ? p->library_path : "built-in",
                impl->kind, impl->tag, be.line ? pos : p->manifest_path,
                be.message);
    return pk__plugin_hook_fail(p, &e);
  }
  if (impl->nbindings) {
    ty->bind = pk__alloc_zero(&h->alloc, impl->nbindings * sizeof *ty->bind);
    if (!ty->bind)
      return pk__plugin_hook_fail(p, &(pk_error){.code = PK_ENOMEM,
                                          .message = "out of memory"});
    ty->nbind = impl->nbindings;
    for (size_t i = 0; i < impl->nbindings; i++) {
      ty->bind[i] = impl->bindings[i];
      ty->bind[i].field = pk__strdup(&h->alloc, impl->bindings[i].field);
      if (!ty->bind[i].field)
        return pk__plugin_hook_fail(p, &(pk_error){.code = PK_ENOMEM,
                                            .message = "out of memory"});
    }
  }
  ty->pfactory = impl->factory;
  ty->pdestroy = impl->destroy;
  ty->data = impl->data;
  ty->config_size = impl->config_size;
  ty->has_code = true;
  return 0;
}

/* ---- teardown ---- */

void pk__types_free(pk_host *h)
{
  pk__types *t = h->types;
  if (!t)
    return;
  const pk__allocator *a = &h->alloc;
  for (size_t i = 0; i < t->ndocs; i++)
    pk_doc_free(t->docs[i]);
  pk__free(a, t->docs, t->doccap * sizeof *t->docs);
  for (size_t i = 0; i < t->ntypes; i++)
    pk__type_free(a, t->types[i]);
  pk__free(a, t->types, t->tcap * sizeof *t->types);
  pk__arena_release(&t->plugin_types);
  pk__map_free(a, &t->by_tag);
  for (size_t i = 0; i < t->nkinds; i++) {
    pk__strfree(a, t->kinds[i].name);
    pk__strfree(a, t->kinds[i].table);
    pk__strfree(a, t->kinds[i].dflt);
  }
  pk__free(a, t->kinds, t->kcap * sizeof *t->kinds);
  pk_schema_free(t->empty_schema);
  pk_doc_free(t->empty_doc);
  pk__free(a, t, sizeof *t);
  h->types = NULL;
}
