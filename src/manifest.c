/* manifest.c -- plugin.toml -> plugin record, every problem positioned.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "stages.h"

/* The keys of a manifest and of a [[provides]] entry, with their lengths
 * (X-macros: one list gives the names, the lengths and the indexes). */
#define MANIFEST_KEYS(X)                                                       \
  X(NAME, "name")                                                              \
  X(NAMESPACE, "namespace")                                                    \
  X(VERSION, "version")                                                        \
  X(DESCRIPTION, "description")                                                \
  X(LIBRARY, "library")                                                        \
  X(ABI, "abi")                                                                \
  X(REQUIRES, "requires")                                                      \
  X(OPTIONAL, "optional")                                                      \
  X(LAZY, "lazy")                                                              \
  X(HOOKS, "hooks")                                                            \
  X(CONFIG, "config")                                                          \
  X(PROVIDES, "provides")                                                      \
  X(FRAGMENT, "fragment")
#define PROVIDES_KEYS(X)                                                       \
  X(KIND, "kind")                                                              \
  X(TAG, "tag")                                                                \
  X(EXTENDS, "extends")                                                        \
  X(CONFIG, "config")                                                          \
  X(DEFAULT, "default")
#define KEY_TEXT(id, s) s,
#define KEY_LEN(id, s) sizeof s - 1,
#define KEY_M(id, s) K_##id,
#define KEY_P(id, s) P_##id,
static const char *const manifest_keys[] = {MANIFEST_KEYS(KEY_TEXT)};
static const uint8_t manifest_key_lens[] = {MANIFEST_KEYS(KEY_LEN)};
enum { MANIFEST_KEYS(KEY_M) NKEYS };
static const char *const provides_keys[] = {PROVIDES_KEYS(KEY_TEXT)};
static const uint8_t provides_key_lens[] = {PROVIDES_KEYS(KEY_LEN)};
enum { PROVIDES_KEYS(KEY_P) NPROV };

/* One pass over a table: vals[j] gets the entry of keys[j] (lens[j]
 * bytes; its kind and contents read with it, a batch of entries at a time;
 * only .v is set, to NULL, when absent); a key not in keys fails with
 * "unknown key" and a suggestion. */
static pk_status collect_keys(const pk_value *table, const char *what,
                              const char *const *keys, const uint8_t *lens,
                              size_t nkeys, pk__item *vals, pk_error *err)
{
  for (size_t j = 0; j < nkeys; j++)
    vals[j].v = NULL;
  size_t n = pk_table_count(table);
  pk__items r;
  pk__items_init(&r, table);
  for (size_t i = 0; i < n; i++) {
    const pk__item *it = pk__items_at(&r, i);
    const char *k = it->key;
    size_t len = it->key_len, j;
    for (j = 0; j < nkeys; j++) /* a key may hold a NUL: compare len bytes */
      if (lens[j] == len && keys[j][0] == k[0] && !memcmp(k, keys[j], len))
        break;
    if (j < nkeys) {
      vals[j] = *it;
      continue;
    }
    const char *near = pk__closest(k, keys, nkeys);
    char list[512];
    pk__join(list, sizeof list, keys, nkeys);
    if (near)
      return pk__fail_at(err, PK_EMANIFEST, pk_table_key_pos_at(table, i),
                         "unknown key \"%s\" in %s (did you mean \"%s\"?)", k,
                         what, near);
    return pk__fail_at(err, PK_EMANIFEST, pk_table_key_pos_at(table, i),
                       "unknown key \"%s\" in %s (known keys: %s)", k, what,
                       list);
  }
  return PK_OK;
}

/* A typed-getter failure is a manifest error: keep its position and text,
 * change the code. */
static pk_status as_manifest(pk_status st, pk_error *err)
{
  if (st != PK_OK && st != PK_ENOMEM && err)
    err->code = PK_EMANIFEST;
  return st == PK_OK || st == PK_ENOMEM ? st : PK_EMANIFEST;
}

/* Where a value of a manifest is, for its messages: key of the root
 * table, or of [[provides]] entry prov (NO_AT: the root), item idx of the
 * key's array (NO_AT: the key's value itself). */
#define NO_AT ((size_t)-1)
typedef struct mplace {
  size_t prov;
  const char *key;
  size_t idx;
} mplace;

/* What a key of a manifest takes (wrong_kind's words). */
typedef enum mwant {
  W_STRING,
  W_INTEGER,
  W_BOOL,
  W_STRINGS, /* an array of strings (requires, optional, hooks) */
  W_TABLE,   /* a table ([config], [provides.config]) */
  W_TABLES   /* an array of tables ([[provides]]), or an entry of it */
} mwant;

/* The kind of value each mwant takes. */
static const uint8_t kind_of_want[] = {
    [W_STRING] = PK_KIND_STRING, [W_INTEGER] = PK_KIND_INTEGER,
    [W_BOOL] = PK_KIND_BOOL,     [W_STRINGS] = PK_KIND_ARRAY,
    [W_TABLE] = PK_KIND_TABLE,   [W_TABLES] = PK_KIND_ARRAY};

/* The value v at pl is not what its key takes: the problem, with its
 * dotted path ("version", "provides[2].kind", "requires[1]") and what to
 * write instead.  Out of the way of a manifest that is fine. */
static __attribute__((noinline, cold)) pk_status
wrong_kind(const pk_value *v, mplace pl, mwant want, pk_error *err)
{
  char path[96], prov[32] = "", idx[32] = "", t[64], fix[200];
  if (pl.prov != NO_AT)
    snprintf(prov, sizeof prov, "provides[%zu].", pl.prov);
  if (pl.idx != NO_AT)
    snprintf(idx, sizeof idx, "[%zu]", pl.idx);
  snprintf(path, sizeof path, "%s%s%s", prov, pl.key, idx);
  /* "version = " for a key's value, "" for an item of an array */
  char lhs[40] = "";
  if (pl.idx == NO_AT)
    snprintf(lhs, sizeof lhs, "%s = ", pl.key);
  pk__scalar_text(v, want == W_STRING && !strcmp(path, "version"), t, sizeof t);
  static const char *const expected[] = {
      "a string", "an integer", "a boolean", "an array of strings",
      "a table", "an array of tables"};
  switch (want) {
  case W_STRING:
  case W_INTEGER:
  case W_BOOL:
    pk__write_as(fix, sizeof fix, kind_of_want[want], lhs, t);
    break;
  case W_STRINGS:
    snprintf(fix, sizeof fix, "write it as an array of strings: %s[\"%s\"]",
             lhs,
             t[0] && pk_value_kind(v) == PK_KIND_STRING ? t
             : !strcmp(pl.key, "hooks")                 ? "NAME"
                                                        : "NS:NAME");
    break;
  case W_TABLE:
    snprintf(fix, sizeof fix, "write it as a table: [%s%s]",
             pl.prov != NO_AT ? "provides." : "", pl.key);
    break;
  case W_TABLES:
    snprintf(fix, sizeof fix,
             "write each entry as a table under its own [[provides]] line");
    break;
  }
  return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(v),
                     "key \"%s\": expected %s, found %s (%s)", path,
                     pl.idx != NO_AT && want == W_TABLES ? "a table"
                                                         : expected[want],
                     pk__kind_article(pk_value_kind(v)), fix);
}

/* The value of a key (its entry it, in the root table or in [[provides]]
 * entry prov), of one kind; a missing required key is an error at the
 * table's position.  *out is NULL for an absent optional key. */
static pk_status get_value(const pk_value *table, size_t prov,
                           const pk__item *it, const char *key, mwant want,
                           bool required, const pk_value **out, pk_error *err)
{
  const pk_value *v = *out = it->v;
  if (!v) {
    if (!required)
      return PK_OK;
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(table),
                       "missing required key \"%s\" in table started here",
                       key);
  }
  if (it->kind == kind_of_want[want])
    return PK_OK;
  return wrong_kind(v, (mplace){prov, key, NO_AT}, want, err);
}

static pk_status get_string(const pk_value *table, size_t prov,
                            const pk__item *it, const char *key,
                            bool required, const char **out, pk_error *err)
{
  const pk_value *v;
  pk_status st = get_value(table, prov, it, key, W_STRING, required, &v, err);
  *out = st == PK_OK && v ? it->u.s : NULL;
  return st;
}

static pk_status get_name(const pk_value *root, const pk__item *it,
                          const char *key, const char **out, pk_error *err)
{
  pk_status st = get_string(root, NO_AT, it, key, true, out, err);
  if (st != PK_OK)
    return st;
  if (!pk__name_valid(*out, it->len))
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(it->v),
                       "invalid %s \"%s\": use 1 to 127 letters, digits, '_', "
                       "'.' or '-'",
                       key, *out);
  return PK_OK;
}

/* A requirement must parse and must not name the plugin itself. */
static pk_status check_req(const pk__manifest *m, const pk__mreq *r,
                           pk_error *err)
{
  /* The common forms, "name" and "ns:name" with no version constraint,
   * are checked here; pk__req_parse_in would accept exactly the same
   * (fills a kilobyte pk__req for it). */
  const char *t = r->text, *colon = strchr(t, ':');
  size_t len = strlen(t), nslen = colon ? (size_t)(colon - t) : 0;
  const char *name = colon ? colon + 1 : t;
  if ((!colon || pk__name_valid(t, nslen)) &&
      pk__name_valid(name, len - (size_t)(name - t))) {
    if (strcmp(name, m->name) ||
        (colon && (strlen(m->ns) != nslen || memcmp(t, m->ns, nslen))))
      return PK_OK;
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(r->value),
                       "plugin %s:%s requires itself", m->ns, m->name);
  }
  char why[512];
  pk__req req;
  if (pk__req_parse_in(r->text, m->ns, &req, why, sizeof why) != PK_OK)
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(r->value), "%s",
                       why);
  if (!strcmp(req.ns, m->ns) && !strcmp(req.name, m->name))
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(r->value),
                       "plugin %s:%s requires itself", m->ns, m->name);
  return PK_OK;
}

static pk_status load_reqs(const pk__allocator *a, pk__manifest *m,
                           const pk_value *arr, const char *key, bool optional,
                           pk_error *err)
{
  if (!arr)
    return PK_OK;
  if (pk_value_kind(arr) != PK_KIND_ARRAY)
    return wrong_kind(arr, (mplace){NO_AT, key, NO_AT}, W_STRINGS, err);
  size_t n = pk_array_count(arr);
  if (n > UINT32_MAX - m->nreq) /* (a manifest is far smaller) */
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(arr),
                       "\"%s\" has too many entries", key);
  if (n && m->nreq + n > m->reqcap) { /* exactly: thousands of manifests */
    pk__mreq *v = pk__resize(a, m->reqs, m->reqcap * sizeof *v,
                             (m->nreq + n) * sizeof *v);
    if (!v)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    m->reqs = v;
    m->reqcap = (uint32_t)(m->nreq + n);
  }
  pk__items items;
  pk__items_init(&items, arr);
  for (size_t i = 0; i < n; i++) {
    const pk__item *it = pk__items_at(&items, i);
    pk__mreq r;
    memset(&r, 0, sizeof r);
    if (it->kind != PK_KIND_STRING)
      return wrong_kind(it->v, (mplace){NO_AT, key, i}, W_STRING, err);
    r.text = it->u.s;
    r.value = it->v;
    r.idx = (uint32_t)i;
    r.optional = optional;
    pk_status st = check_req(m, &r, err);
    if (st != PK_OK)
      return st;
    m->reqs[m->nreq++] = r;
  }
  return PK_OK;
}

/* A schema table ([config], [provides.config]) must itself be valid. */
static pk_status check_schema(const pk__allocator *a, const pk_value *schema,
                              size_t prov, pk_error *err)
{
  if (pk_value_kind(schema) != PK_KIND_TABLE)
    return wrong_kind(schema, (mplace){prov, "config", NO_AT}, W_TABLE, err);
  return as_manifest(pk__schema_check(a, schema, err), err);
}

static pk_status check_provides(const pk__allocator *a, const pk_value *prov,
                                pk_error *err)
{
  if (!prov)
    return PK_OK;
  if (pk_value_kind(prov) != PK_KIND_ARRAY)
    return wrong_kind(prov, (mplace){NO_AT, "provides", NO_AT}, W_TABLES, err);
  for (size_t i = 0; i < pk_array_count(prov); i++) {
    const pk_value *t = pk_array_at(prov, i);
    pk__item v[NPROV];
    const char *s;
    if (pk_value_kind(t) != PK_KIND_TABLE)
      return wrong_kind(t, (mplace){NO_AT, "provides", i}, W_TABLES, err);
    pk_status st = collect_keys(t, "[[provides]]", provides_keys,
                                provides_key_lens, NPROV, v, err);
    if (st == PK_OK)
      st = get_string(t, i, &v[P_KIND], "kind", true, &s, err);
    if (st == PK_OK)
      st = get_string(t, i, &v[P_TAG], "tag", true, &s, err);
    if (st == PK_OK)
      st = get_string(t, i, &v[P_EXTENDS], "extends", false, &s, err);
    if (st == PK_OK && v[P_CONFIG].v)
      st = check_schema(a, v[P_CONFIG].v, i, err);
    if (st != PK_OK)
      return st;
  }
  return PK_OK;
}

static pk_status parse_manifest(const pk__allocator *a, pk__manifest *m,
                                pk_error *err)
{
  const pk_value *root = m->root, *x;
  pk__item v[NKEYS];
  pk_status st = collect_keys(root, "plugin manifest", manifest_keys,
                              manifest_key_lens, NKEYS, v, err);
  if (st != PK_OK)
    return st;
  m->has = (v[K_CONFIG].v ? PK__M_CONFIG : 0) |
           (v[K_PROVIDES].v ? PK__M_PROVIDES : 0) |
           (v[K_FRAGMENT].v ? PK__M_FRAGMENT : 0) |
           (v[K_HOOKS].v ? PK__M_HOOKS : 0);
  if ((st = get_name(root, &v[K_NAME], "name", &m->name, err)) ||
      (st = get_name(root, &v[K_NAMESPACE], "namespace", &m->ns, err)) ||
      (st = get_string(root, NO_AT, &v[K_VERSION], "version", true,
                       &m->version_text, err)))
    return st;
  char why[256];
  pk__version ver;
  if (pk__version_parse(m->version_text, false, &ver, why, sizeof why) !=
      PK_OK)
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(v[K_VERSION].v),
                       "%s", why);
  m->version = (pk__mversion){ver.major, ver.minor, ver.patch, NULL};
  /* the pre-release part is version_text's tail unless build metadata
   * follows it ("1.0.0-rc.1+b7"): only then a copy */
  size_t lt = strlen(m->version_text), lp = strlen(ver.pre);
  if (lp <= lt && !memcmp(m->version_text + lt - lp, ver.pre, lp))
    m->version.pre = m->version_text + lt - lp;
  else if (!(m->version.pre = pk__strdup(a, ver.pre)))
    return pk__fail(err, PK_ENOMEM, "out of memory");
  else
    m->pre_own = true;
  if ((st = get_string(root, NO_AT, &v[K_DESCRIPTION], "description", false,
                       &m->description, err)) ||
      (st = get_string(root, NO_AT, &v[K_LIBRARY], "library", false,
                       &m->library, err)) ||
      (st = get_value(root, NO_AT, &v[K_LAZY], "lazy", W_BOOL, false, &x,
                      err)))
    return st;
  if (!m->description)
    m->description = "";
  if (x)
    pk_value_get_bool(x, &m->lazy, NULL);
  if (m->library && (!m->library[0] || strchr(m->library, '/')))
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(v[K_LIBRARY].v),
                       "\"library\" must name a shared object file in the "
                       "plugin's directory, such as \"libpk_%s.so\"",
                       m->name);
  if (v[K_ABI].v) {
    int64_t n;
    if (pk_value_get_integer(v[K_ABI].v, &n, NULL) != PK_OK)
      return wrong_kind(v[K_ABI].v, (mplace){NO_AT, "abi", NO_AT}, W_INTEGER,
                        err);
    if (n < 0 || n > UINT32_MAX)
      return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(v[K_ABI].v),
                         "\"abi\" must be between 0 and %u", UINT32_MAX);
    m->abi = (uint32_t)n;
    m->has_abi = true;
  } else if (m->library) {
    return pk__fail_at(err, PK_EMANIFEST, pk_value_get_pos(v[K_LIBRARY].v),
                       "plugin %s:%s has a library but no \"abi\": add "
                       "abi = N, the ABI of namespace \"%s\" it was built for",
                       m->ns, m->name, m->ns);
  }
  if ((st = load_reqs(a, m, v[K_REQUIRES].v, "requires", false, err)) ||
      (st = load_reqs(a, m, v[K_OPTIONAL].v, "optional", true, err)))
    return st;
  const pk_value *hooks = v[K_HOOKS].v;
  if (hooks && pk_value_kind(hooks) != PK_KIND_ARRAY)
    return wrong_kind(hooks, (mplace){NO_AT, "hooks", NO_AT}, W_STRINGS, err);
  for (size_t i = 0; hooks && i < pk_array_count(hooks); i++) {
    const pk_value *h = pk_array_at(hooks, i);
    if (pk_value_kind(h) != PK_KIND_STRING)
      return wrong_kind(h, (mplace){NO_AT, "hooks", i}, W_STRING, err);
  }
  if (v[K_FRAGMENT].v &&
      (st = get_value(root, NO_AT, &v[K_FRAGMENT], "fragment", W_STRING, false,
                      &x, err)))
    return st;
  if (v[K_CONFIG].v && (st = check_schema(a, v[K_CONFIG].v, NO_AT, err)))
    return st;
  return check_provides(a, v[K_PROVIDES].v, err);
}

/* The manifest of a document that parsed (st PK_OK), or the error of one
 * that did not: a syntax error is a manifest error. */
static pk_status from_parse(const pk__allocator *a, pk_status st,
                            pk__manifest *m, pk_error *err)
{
  if (st != PK_OK) {
    if (st == PK_ESYNTAX && err)
      err->code = PK_EMANIFEST;
    return st == PK_ESYNTAX ? PK_EMANIFEST : st;
  }
  return pk__manifest_from_doc(a, m->doc, m, err);
}

pk_status pk__manifest_load(const pk__allocator *a, const char *source,
                            const char *text, size_t len, pk__manifest *m,
                            pk_error *err)
{
  memset(m, 0, sizeof *m);
  pk_doc_options opts = {.size = sizeof opts, .alloc = a ? a->fn : NULL,
                         .alloc_ud = a ? a->ud : NULL};
  pk_status st = text ? pk_doc_parse(text, len, source, &opts, &m->doc, err)
                      : pk_doc_load_file(source, &opts, &m->doc, err);
  if (st == PK_OK)
    pk__doc_trim(m->doc);
  return from_parse(a, st, m, err);
}

pk_status pk__manifest_read(const pk__allocator *a, int dfd, const char *path,
                            const char *source, struct stat *st,
                            pk__file_why *why, pk_status *read_st,
                            pk__manifest *m, pk_error *err)
{
  memset(m, 0, sizeof *m);
  pk_status s =
      pk__doc_read_at(a, dfd, path, source, st, why, read_st, &m->doc, err);
  return *read_st != PK_OK ? s : from_parse(a, s, m, err);
}

pk_status pk__manifest_from_doc(const pk__allocator *a, pk_doc *doc,
                                pk__manifest *m, pk_error *err)
{
  memset(m, 0, sizeof *m);
  m->doc = doc;
  m->root = pk_doc_root(doc);
  pk_status st = parse_manifest(a, m, err);
  if (st != PK_OK)
    pk__manifest_free(a, m);
  return st;
}

void pk__manifest_free(const pk__allocator *a, pk__manifest *m)
{
  if (!m)
    return;
  pk__free(a, m->reqs, m->reqcap * sizeof *m->reqs);
  if (m->pre_own)
    pk__strfree(a, (char *)m->version.pre);
  pk_doc_free(m->doc);
  memset(m, 0, sizeof *m);
}

bool pk__manifest_lists_hook(const pk_plugin *p, const char *name)
{
  const pk_value *hooks = p->m.has & PK__M_HOOKS
                              ? pk_table_get(pk__manifest_root(p), "hooks")
                              : NULL;
  for (size_t i = 0; i < pk_array_count(hooks); i++) {
    const char *s;
    if (pk_value_get_string(pk_array_at(hooks, i), &s, NULL, NULL) ==
            PK_OK &&
        !strcmp(s, name))
      return true;
  }
  return false;
}
