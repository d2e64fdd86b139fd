/* toml_tree.c -- tables (key lookup, the hash index) and reading nodes.
 * SPDX-License-Identifier: MIT */
#include "toml_impl.h"

/* ---- the key index ----
 *
 * One open-addressing table (linear probing) for the whole document, keyed
 * by (table ref, key bytes), holding the keys of every table with more than
 * TOML_SCAN_MAX keys.  Smaller tables are scanned: a few compares beat a
 * hash, and most tables are small. */

static uint64_t key_hash(const char *k, uint32_t len, uint32_t parent)
{
  uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)parent << 32) ^ len;
  uint64_t w;
  while (len >= 8) {
    memcpy(&w, k, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    k += 8;
    len -= 8;
  }
  if (len) {
    w = 0;
    memcpy(&w, k, len);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  h *= 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

static bool entry_is(const toml_doc *d, const toml_entry *e, const char *key,
                     uint32_t len)
{
  const char *k;
  if (e->key_len != len)
    return false;
  k = toml_entry_key(d, e);
  return len == 0 || (k[0] == key[0] && memcmp(k + 1, key + 1, len - 1) == 0);
}

static void slot_put(toml_slot *slots, uint32_t mask, uint64_t h,
                     uint32_t parent, uint32_t child)
{
  uint32_t i = (uint32_t)h & mask;
  while (slots[i].child)
    i = (i + 1) & mask;
  slots[i].parent = parent;
  slots[i].child = child;
}

static bool index_grow(toml_doc *d)
{
  uint32_t old_cap = d->slots ? d->slot_mask + 1 : 0;
  uint32_t cap = old_cap ? old_cap * 2 : d->slot_hint;
  size_t bytes = (size_t)cap * sizeof(toml_slot);
  toml_slot *s;
  uint32_t i;
  if (cap > (1u << 31))
    return false;
  s = d->alloc(d->alloc_ud, NULL, 0, bytes);
  if (!s)
    return false;
  memset(s, 0, bytes);
  for (i = 0; i < old_cap; i++) {
    const toml_slot *o = &d->slots[i];
    if (o->child) {
      const toml_entry *e = toml_ptr(d, o->child);
      slot_put(s, cap - 1, key_hash(toml_entry_key(d, e), e->key_len, o->parent),
               o->parent, o->child);
    }
  }
  if (d->slots)
    d->alloc(d->alloc_ud, d->slots, (size_t)old_cap * sizeof(toml_slot), 0);
  d->slots = s;
  d->slot_mask = cap - 1;
  return true;
}

static bool index_add(toml_doc *d, uint32_t parent, uint32_t child)
{
  const toml_entry *e = toml_ptr(d, child);
  const char *key = toml_entry_key(d, e);
  uint64_t h;
  if ((!d->slots || (uint64_t)(d->slot_used + 1) * 10 >
                        (uint64_t)(d->slot_mask + 1) * 7) &&
      !index_grow(d))
    return false;
  if (key == d->miss_key && e->key_len == d->miss_len &&
      parent == d->miss_parent)
    h = d->miss_hash; /* toml_table_find just hashed it */
  else
    h = key_hash(key, e->key_len, parent);
  slot_put(d->slots, d->slot_mask, h, parent, child);
  d->slot_used++;
  return true;
}

toml_entry *toml_table_find(toml_doc *d, toml_node *t, uint32_t tref,
                            const char *key, uint32_t len)
{
  uint32_t n = t->u.c.count, i;
  if (n <= TOML_SCAN_MAX) {
    const uint32_t *v;
    if (!n)
      return NULL;
    v = toml_vec(d, t);
    for (i = 0; i < n; i++) {
      toml_entry *e = toml_ptr(d, v[i]);
      if (entry_is(d, e, key, len))
        return e;
    }
    return NULL;
  }
  d->miss_hash = key_hash(key, len, tref);
  i = (uint32_t)d->miss_hash & d->slot_mask;
  for (;;) {
    const toml_slot *s = &d->slots[i];
    if (!s->child) {
      d->miss_key = key;
      d->miss_len = len;
      d->miss_parent = tref;
      return NULL;
    }
    if (s->parent == tref) {
      toml_entry *e = toml_ptr(d, s->child);
      if (entry_is(d, e, key, len))
        return e;
    }
    i = (i + 1) & d->slot_mask;
  }
}

bool toml_table_append(toml_doc *d, toml_node *t, uint32_t tref,
                       uint32_t eref)
{
  uint32_t n, i;
  if (!toml_vec_push(d, t, eref))
    return false;
  n = t->u.c.count;
  if (n <= TOML_SCAN_MAX)
    return true;
  if (n > TOML_SCAN_MAX + 1)
    return index_add(d, tref, eref);
  /* the table just outgrew scanning: index all its keys */
  for (i = 0; i < n; i++)
    if (!index_add(d, tref, toml_vec(d, t)[i]))
      return false;
  return true;
}

/* ---- reading ---- */

toml_kind toml_node_kind(const toml_node *n)
{
  return (toml_kind)toml_kind_of(n);
}

static toml_pos pos_of(const toml_doc *d, uint32_t off)
{
  toml_pos p;
  p.source = d->source;
  toml_offset_pos(d, off, &p.line, &p.col);
  return p;
}

toml_pos toml_node_pos(const toml_node *n)
{
  return pos_of(toml_node_doc(n), n->pos);
}

static bool is_container(const toml_node *n)
{
  unsigned k = toml_kind_of(n);
  return k == TOML_TABLE || k == TOML_ARRAY;
}

size_t toml_node_count(const toml_node *n)
{
  return is_container(n) ? n->u.c.count : 0;
}

const toml_node *toml_node_at(const toml_node *n, size_t i)
{
  const toml_doc *d;
  if (!is_container(n) || i >= n->u.c.count)
    return NULL;
  d = toml_node_doc(n);
  return toml_ptr(d, toml_vec(d, n)[i]);
}

static const toml_entry *entry_at(const toml_node *t, size_t i,
                                  const toml_doc **d)
{
  if (toml_kind_of(t) != TOML_TABLE || i >= t->u.c.count)
    return NULL;
  *d = toml_node_doc(t);
  return toml_ptr(*d, toml_vec(*d, t)[i]);
}

const char *toml_table_key_at(const toml_node *t, size_t i, size_t *len)
{
  const toml_doc *d;
  const toml_entry *e = entry_at(t, i, &d);
  if (!e)
    return NULL;
  if (len)
    *len = e->key_len;
  return toml_entry_key(d, e);
}

toml_pos toml_table_key_pos_at(const toml_node *t, size_t i)
{
  const toml_doc *d;
  const toml_entry *e = entry_at(t, i, &d);
  if (!e) {
    toml_pos none = {"", 0, 0};
    return none;
  }
  return pos_of(d, e->key);
}

const toml_node *toml_table_get(const toml_node *t, const char *key,
                                size_t len)
{
  toml_doc *d;
  const toml_entry *e;
  if (toml_kind_of(t) != TOML_TABLE || len > UINT32_MAX)
    return NULL;
  d = toml_node_doc(t);
  e = toml_table_find(d, (toml_node *)t, toml_node_ref(t), key,
                      (uint32_t)len);
  return e ? &e->v : NULL;
}

const char *toml_node_string(const toml_node *n, size_t *len)
{
  if (len)
    *len = n->u.s.len;
  return toml_node_doc(n)->buf + n->u.s.off;
}

int64_t toml_node_integer(const toml_node *n) { return n->u.i; }

double toml_node_float(const toml_node *n) { return n->u.f; }

bool toml_node_bool(const toml_node *n) { return n->u.i != 0; }

void toml_node_datetime(const toml_node *n, toml_datetime *out)
{
  toml_read_datetime(toml_node_doc(n)->buf + n->pos, out);
}
