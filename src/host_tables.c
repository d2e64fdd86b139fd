/* host_tables.c -- the host's own tables of its config, described by the
 * host description's [tables.NAME] (description.c reads them): each
 * checked by its field schema, its instance fields by their kind's types,
 * and, once any is described, no top-level key left undescribed.  The
 * host's config check and plugkit config check --host run this same code.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "use.h"

static void htable_free(pk_host *h, pk__htable *t)
{
  pk_schema_free(t->schema);
  pk__free(&h->alloc, t->keys, t->nkeys * sizeof *t->keys);
  pk__free(&h->alloc, t->skip, t->nkeys * sizeof *t->skip);
}

void pk__host_tables_free(pk_host *h, pk__hostconf *c)
{
  for (size_t i = 0; i < c->ntables; i++)
    htable_free(h, &c->tables[i]);
  pk__free(&h->alloc, c->tables, c->tcap * sizeof *c->tables);
}

static pk__htable *find_table(const pk__hostconf *c, const char *name)
{
  for (size_t i = 0; c && i < c->ntables; i++)
    if (!strcmp(c->tables[i].name, name))
      return &c->tables[i];
  return NULL;
}

pk_status pk__host_table_declare(pk_host *h, pk__hostconf *c, pk__htable *t,
                                 pk_error *err)
{
  pk_status st = PK_OK;
  const pk__htable *twice = find_table(c, t->name);
  const pk__types *ty = h->types;
  if (twice)
    st = pk__fail_at(err, PK_EDUPLICATE, t->pos, "[tables.%s] is declared "
                     "twice (first at %s:%d:%d)", t->name, twice->pos.source,
                     twice->pos.line, twice->pos.col);
  else if (!strcmp(t->name, "plugins") || !strcmp(t->name, "defaults"))
    st = pk__fail_at(err, PK_EDUPLICATE, t->pos, "[tables.%s]: [%s] is "
                     "plugkit's (describe [defaults] with the description's "
                     "[defaults] schema)", t->name, t->name);
  for (size_t i = 0; st == PK_OK && ty && i < ty->nkinds; i++)
    if (ty->kinds[i].table && !strcmp(ty->kinds[i].table, t->name))
      st = pk__fail_at(err, PK_EDUPLICATE, t->pos, "[tables.%s]: [%s] holds "
                       "the instances of kind %s, described by [kinds.%s] "
                       "and its types", t->name, t->name, ty->kinds[i].name,
                       ty->kinds[i].name);
  if (st == PK_OK &&
      PK__VEC_PUSH(&h->alloc, c->tables, c->ntables, c->tcap, *t) != PK_OK)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  if (st != PK_OK)
    htable_free(h, t);
  return st;
}

/* "a, b or c" into buf: the items, each between open and close, the last
 * after last (" or ", " and "). */
static void join_list(char *buf, size_t n, const char *const *items,
                      size_t count, const char *open, const char *close,
                      const char *last)
{
  size_t len = 0;
  buf[0] = 0;
  for (size_t i = 0; i < count && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s",
                            i == 0 ? "" : i + 1 == count ? last : ", ", open,
                            items[i], close);
}

/* "a string, an integer or a table": what an entry of t may be. */
static void entry_kinds(const pk__htable *t, char *buf, size_t n)
{
  static const pk_kind kinds[] = {PK_KIND_STRING, PK_KIND_INTEGER,
                                  PK_KIND_FLOAT, PK_KIND_BOOL,
                                  PK_KIND_DATETIME};
  const char *names[6];
  size_t k = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (t->scalars & 1u << kinds[i])
      names[k++] = kinds[i] == PK_KIND_DATETIME ? "a date or time"
                                                : pk__kind_article(kinds[i]);
  names[k++] = "a table";
  join_list(buf, n, names, k, "", "", " or ");
}

/* v, the value of instance field k of the entry label: a string (the
 * host's: a name, a shorthand) or an inline instance of k->kind, or with
 * k->array an array of them. */
static pk_status check_instances(pk_host *h, const pk__hkey *k,
                                 const char *label, const pk_value *v,
                                 pk_diag *diag, pk_error *first, bool *failed)
{
  char where[512];
  pk_error e;
  snprintf(where, sizeof where, "%s.%s", label, k->name);
  bool arr = pk_value_kind(v) == PK_KIND_ARRAY;
  if (k->array && !arr) {
    pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(v), "%s must be an array of "
                "strings and tables { type = \"TAG\", ... } (instances of kind "
                "%s), found %s", where, k->kind,
                pk__kind_article(pk_value_kind(v)));
    return pk__diag_report(diag, first, failed, &e);
  }
  size_t n = k->array ? pk_array_count(v) : 1;
  for (size_t i = 0; i < n; i++) {
    const pk_value *item = k->array ? pk_array_at(v, i) : v;
    char at[560];
    if (k->array)
      snprintf(at, sizeof at, "%s[%zu]", where, i);
    else
      pk__copy_str(at, sizeof at, where);
    pk_kind ik = pk_value_kind(item);
    if (ik == PK_KIND_STRING && !k->tag)
      continue; /* the host's: a name, a shorthand */
    if (ik != PK_KIND_TABLE && ik != PK_KIND_STRING) {
      pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(item), "%s must be a string "
                  "or a table { type = \"TAG\", ... } (an instance of kind "
                  "%s), found %s", at, k->kind, pk__kind_article(ik));
      if (pk__diag_report(diag, first, failed, &e) != PK_OK)
        return PK_ENOMEM;
      continue;
    }
    /* checked as written: formatting waits for the instance's use */
    if (pk__instance_check(h, k->kind, at, item, k->tag, NULL, diag, &e) !=
        PK_OK) {
      if (e.code == PK_ENOMEM)
        return PK_ENOMEM;
      if (!*failed)
        *first = e;
      *failed = true;
    }
  }
  return PK_OK;
}

/* Exactly one of t's one-of keys in tbl (label: where it is). */
static pk_status check_one_of(const pk__htable *t, const char *label,
                              const pk_value *tbl, pk_diag *diag,
                              pk_error *first, bool *failed)
{
  const char *names[16], *set = NULL;
  size_t n = 0;
  pk_error e;
  for (size_t i = 0; i < pk_array_count(t->one_of) && n < 16; i++) {
    pk_value_get_string(pk_array_at(t->one_of, i), &names[n], NULL, NULL);
    const pk_value *v = pk_table_get(tbl, names[n]);
    if (v && set) {
      pk__fail_at(&e, PK_ECONFIG, pk_value_get_pos(v), "%s: %s and %s both "
                  "set: set one of them", label, set, names[n]);
      return pk__diag_report(diag, first, failed, &e);
    }
    if (v)
      set = names[n];
    n++;
  }
  if (set)
    return PK_OK;
  char list[400];
  join_list(list, sizeof list, names, n, "", "", " or ");
  pk__fail_at(&e, PK_EMISSING, pk_value_get_pos(tbl), "%s: set %s", label,
              list);
  return pk__diag_report(diag, first, failed, &e);
}

/* One table of t (label: where it is, "commands.build"). */
static pk_status check_entry(pk_host *h, const pk__htable *t,
                             const char *label, const pk_value *tbl,
                             pk_diag *diag, pk_error *first, bool *failed)
{
  pk_error e;
  if (t->one_of && check_one_of(t, label, tbl, diag, first, failed) != PK_OK)
    return PK_ENOMEM;
  if (t->schema) {
    pk_decode_options o = {.size = sizeof o, .skip = t->skip,
                           .skip_count = t->nkeys};
    pk_config *cfg = NULL;
    if (pk_schema_decode(t->schema, tbl, &o, &cfg, diag, &e) != PK_OK) {
      if (e.code == PK_ENOMEM)
        return PK_ENOMEM;
      if (!*failed)
        *first = e;
      *failed = true;
    }
    pk_config_free(cfg);
  }
  for (size_t i = 0; i < t->nkeys; i++) {
    const pk_value *v = t->keys[i].kind ? pk_table_get(tbl, t->keys[i].name)
                                        : NULL;
    if (v && check_instances(h, &t->keys[i], label, v, diag, first,
                             failed) != PK_OK)
      return PK_ENOMEM;
  }
  return PK_OK;
}

static pk_status check_table(pk_host *h, const pk__htable *t,
                             const pk_value *v, pk_diag *diag,
                             pk_error *first, bool *failed)
{
  pk_error e;
  if (pk_value_kind(v) != PK_KIND_TABLE) {
    char of[200] = "";
    if (t->each && t->scalars)
      snprintf(of, sizeof of, " of NAME = value entries");
    else if (t->each)
      snprintf(of, sizeof of, " of [%s.NAME] tables", t->name);
    pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(v), "[%s] must be a table%s, "
                "found %s", t->name, of, pk__kind_article(pk_value_kind(v)));
    return pk__diag_report(diag, first, failed, &e);
  }
  if (!t->each)
    return check_entry(h, t, t->name, v, diag, first, failed);
  for (size_t i = 0; i < pk_table_count(v); i++) {
    const char *key;
    size_t len;
    const pk_value *ev = pk__table_entry_at(v, i, &key, &len);
    pk_kind k = pk_value_kind(ev);
    char label[400];
    snprintf(label, sizeof label, "%s.%s", t->name, key);
    if (k == PK_KIND_TABLE) {
      if (check_entry(h, t, label, ev, diag, first, failed) != PK_OK)
        return PK_ENOMEM;
      continue;
    }
    if (k >= PK_KIND_DATETIME)
      k = PK_KIND_DATETIME; /* the four kinds of date and time */
    if (t->scalars & 1u << k)
      continue;
    char kinds[160];
    entry_kinds(t, kinds, sizeof kinds);
    pk__fail_at(&e, PK_ETYPE, pk_value_get_pos(ev), "%s must be %s, found %s",
                label, kinds, pk__kind_article(pk_value_kind(ev)));
    if (pk__diag_report(diag, first, failed, &e) != PK_OK)
      return PK_ENOMEM;
  }
  return PK_OK;
}

/* Top-level key i of root, unknown to the description. */
static pk_status unknown_top(const pk_host *h, const pk__hostconf *c,
                             const pk_value *root, size_t i, pk_diag *diag,
                             pk_error *first, bool *failed)
{
  const char *known[64];
  size_t n = 0;
  known[n++] = "plugins";
  if (c->defaults_schema)
    known[n++] = "defaults";
  for (size_t k = 0; h->types && k < h->types->nkinds && n < 64; k++)
    if (h->types->kinds[k].table)
      known[n++] = h->types->kinds[k].table;
  for (size_t k = 0; k < c->ntables && n < 64; k++)
    known[n++] = c->tables[k].name;
  const char *key = pk_table_key_at(root, i, NULL);
  const char *near = pk__closest(key, known, n);
  bool tbl = pk_value_kind(pk_table_value_at(root, i)) == PK_KIND_TABLE;
  char list[1024];
  join_list(list, sizeof list, known, n, "[", "]", " and ");
  pk_error e;
  pk_pos pos = pk_table_key_pos_at(root, i);
  pk__fail_at(&e, PK_ECONFIG, pos, "unknown %s%s%s%s%s%s: %s has %s",
              tbl ? "table [" : "key \"", key, tbl ? "]" : "\"",
              near ? (tbl ? " (did you mean [" : " (did you mean \"") : "",
              near ? near : "", near ? (tbl ? "]?)" : "\"?)") : "",
              pos.source ? pos.source : "the config", list);
  return pk__diag_report(diag, first, failed, &e);
}

static bool kind_table(const pk_host *h, const char *key)
{
  for (size_t k = 0; h->types && k < h->types->nkinds; k++)
    if (h->types->kinds[k].table && !strcmp(h->types->kinds[k].table, key))
      return true;
  return false;
}

pk_status pk__host_tables_check(pk_host *h, pk__hostconf *c,
                                const pk_value *root, pk_diag *diag,
                                pk_error *first, bool *failed)
{
  for (size_t i = 0; c->ntables && i < pk_table_count(root); i++) {
    const char *key = pk_table_key_at(root, i, NULL);
    const pk__htable *t = find_table(c, key);
    pk_status st = PK_OK;
    if (t)
      st = check_table(h, t, pk_table_value_at(root, i), diag, first,
                       failed);
    else if (strcmp(key, "plugins") &&
             (strcmp(key, "defaults") || !c->defaults_schema) &&
             !kind_table(h, key))
      st = unknown_top(h, c, root, i, diag, first, failed);
    if (st != PK_OK)
      return PK_ENOMEM;
  }
  return PK_OK;
}

pk_status pk_host_check_table(pk_host *h, const char *name,
                              const pk_value *value, pk_diag *diag,
                              pk_error *err)
{
  if (!h || !name || !value)
    return pk__fail(err, PK_EMISUSE, "pk_host_check_table: NULL argument");
  const pk__htable *t = find_table(h->hostconf, name);
  if (!t)
    return pk__fail(err, PK_ENOTFOUND, "pk_host_check_table: the host "
                    "description has no [tables.%s]", name);
  pk_error first;
  bool failed = false;
  pk_error_clear(&first);
  if (check_table(h, t, value, diag, &first, &failed) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return failed ? pk__error_copy(err, &first) : PK_OK;
}

const pk_schema *pk_host_get_table_schema(pk_host *h, const char *name)
{
  const pk__htable *t = h && name ? find_table(h->hostconf, name) : NULL;
  return t ? t->schema : NULL;
}
