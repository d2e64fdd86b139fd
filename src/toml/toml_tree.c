/* toml_tree.c -- tables (key lookup, the hash index) and reading nodes.
 * SPDX-License-Identifier: MIT */
#include "toml_impl.h"

/* ---- lookup and insertion ---- */

/* The hash of entry e's key: the last missed lookup's when it was for
 * that key (the insert after a lookup hashes once). */
static inline __attribute__((always_inline)) uint32_t
entry_hash(const toml_doc *d, const toml_entry *e)
{
  const char *key = toml_entry_key(d, e);
  const toml_build *b = d->build;
  uint32_t len = toml_entry_key_len(e);
  return key == b->miss_key && len == b->miss_len ? b->miss_hash
                                                  : toml_key_hash(key, len);
}

/* Puts position pos (of entry e) into the index after refs[cap]. */
static inline __attribute__((always_inline)) void
index_put(const toml_doc *d, uint32_t *refs, uint32_t cap, uint32_t pos,
          const toml_entry *e)
{
  uint32_t mask = 2 * cap - 1, i = entry_hash(d, e) & mask;
  if (cap <= TOML_SMALL_INDEX_MAX) {
    uint16_t *ix = (uint16_t *)(refs + cap);
    while (ix[i])
      i = (i + 1) & mask;
    ix[i] = (uint16_t)(pos + 1);
  } else {
    uint32_t *ix = refs + cap;
    while (ix[i])
      i = (i + 1) & mask;
    ix[i] = pos + 1;
  }
}

/* The entry of key among the n of a tagged table (refs, tags), from tag
 * at on (a multiple of 16): sixteen
 * tags at a time (SSE2), then only the entries whose tag is tag.  Reading
 * 16 tags past n stays inside the vector: cap is a multiple of 16. */
static inline __attribute__((always_inline)) toml_entry *
find_tagged(toml_doc *d, const uint32_t *refs, uint32_t n, const uint8_t *tags,
            uint8_t tag, const char *key, uint32_t len, uint32_t at)
{
#if defined(__SSE2__)
  const __m128i want = _mm_set1_epi8((char)tag);
  for (; at < n; at += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(tags + at));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want));
    if (n - at < 16)
      m &= (1u << (n - at)) - 1;
    while (m) {
      uint32_t i = at + (uint32_t)__builtin_ctz(m);
      toml_entry *e = toml_ptr(d, refs[i]);
      if (toml_entry_is(d, e, key, len))
        return e;
      m &= m - 1;
    }
  }
#else
  for (uint32_t i = at; i < n; i++)
    if (tags[i] == tag) {
      toml_entry *e = toml_ptr(d, refs[i]);
      if (toml_entry_is(d, e, key, len))
        return e;
    }
#endif
  return NULL;
}

toml_entry *toml_table_find_tagged(toml_doc *d, const toml_node *t,
                                   const char *key, uint32_t len, uint32_t h,
                                   uint32_t at)
{
  uint32_t n = t->u.c.count;
  const uint32_t *refs = toml_vec(d, t);
  return find_tagged(d, refs, n, toml_tags(refs, toml_vec_cap(n)),
                     toml_key_tag(h), key, len, at);
}

/* Lookup; in a tagged or indexed table it leaves the key's hash in the
 * document for the insert that follows a miss, when remember is set (the
 * parser only: readers must not write, several threads may read a
 * document). */
static inline __attribute__((always_inline)) toml_entry *
find(toml_doc *d, const toml_node *t, const char *key, uint32_t len,
     bool remember)
{
  uint32_t n = t->u.c.count, i, cap, mask, h;
  const uint32_t *refs;
  if (!n)
    return NULL;
  refs = toml_vec(d, t);
  if (n <= TOML_SCAN_MAX)
    return toml_table_scan(d, refs, n, key, len);
  cap = toml_vec_cap(n);
  h = toml_key_hash(key, len);
  if (remember) {
    d->build->miss_key = key;
    d->build->miss_len = len;
    d->build->miss_hash = h;
  }
  if (cap <= TOML_TAG_MAX)
    return find_tagged(d, refs, n, toml_tags(refs, cap), toml_key_tag(h), key,
                       len, 0);
  mask = 2 * cap - 1;
  for (i = h & mask;; i = (i + 1) & mask) {
    uint32_t s = toml_index_slot(refs, cap, i);
    toml_entry *e;
    if (!s)
      return NULL;
    e = toml_ptr(d, refs[s - 1]);
    if (toml_entry_is(d, e, key, len))
      return e;
  }
}

toml_entry *toml_table_find_in(toml_doc *d, const toml_node *t, const char *key,
                               uint32_t len)
{
  return find(d, t, key, len, true);
}

bool toml_table_append_in(toml_doc *d, toml_node *t, uint32_t eref)
{
  uint32_t n = t->u.c.count, cap, ref, i, k;
  uint32_t *refs, *old = NULL;
  if (n && !(n >= 2 && (n & (n - 1)) == 0)) { /* room left */
    cap = toml_vec_cap(n);
    refs = toml_ptr(d, t->u.c.vec);
    refs[n] = eref;
    t->u.c.count = n + 1;
    if (cap > TOML_TAG_MAX)
      index_put(d, refs, cap, n, toml_ptr(d, eref));
    else if (cap > TOML_SCAN_MAX)
      toml_tags(refs, cap)[n] = toml_key_tag(entry_hash(d, toml_ptr(d, eref)));
    return true;
  }
  /* full: move to a vector twice as large (recycled when possible) */
  cap = n ? 2 * n : 2;
  k = (uint32_t)__builtin_ctz(cap);
  if (k >= 30)
    return false;
  {
    uint32_t *list =
        cap > TOML_SCAN_MAX ? &d->build->free_tab[k] : &d->build->free_vec[k];
    if (*list) {
      ref = *list;
      refs = toml_ptr(d, ref);
      *list = refs[0];
    } else {
      refs = toml_alloc_units(d, toml_table_units(cap), &ref);
      if (!refs)
        return false;
    }
  }
  if (n) {
    old = toml_ptr(d, t->u.c.vec);
    if (n <= TOML_SCAN_MAX) /* a few refs: no call */
      for (i = 0; i < n; i++)
        refs[i] = old[i];
    else
      memcpy(refs, old, (size_t)n * sizeof *refs);
    uint32_t *list =
        n > TOML_SCAN_MAX ? d->build->free_tab : d->build->free_vec;
    old[0] = list[k - 1];
    list[k - 1] = t->u.c.vec;
  }
  refs[n] = eref;
  t->u.c.vec = ref;
  t->u.c.count = n + 1;
  if (cap > TOML_TAG_MAX) {
    memset(refs + cap, 0,
           (size_t)cap * (cap <= TOML_SMALL_INDEX_MAX
                              ? 2 * sizeof(uint16_t)
                              : 2 * sizeof(uint32_t)));
    for (i = 0; i <= n; i++)
      index_put(d, refs, cap, i, toml_ptr(d, refs[i]));
  } else if (cap > TOML_SCAN_MAX) {
    uint8_t *tags = toml_tags(refs, cap);
    if (n > TOML_SCAN_MAX) /* the old vector's tags come along */
      memcpy(tags, toml_tags(old, n), n);
    else
      for (i = 0; i < n; i++)
        tags[i] = toml_key_tag(entry_hash(d, toml_ptr(d, refs[i])));
    /* the rest: the new key's, then zero (no stray bytes in an image) */
    memset(tags + n, 0, cap - n);
    tags[n] = toml_key_tag(entry_hash(d, toml_ptr(d, eref)));
  }
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
  const toml_doc *d = toml_node_doc(n);
  return pos_of(d, toml_node_off(d, n));
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
    *len = toml_entry_key_len(e);
  return toml_entry_key(d, e);
}

const toml_node *toml_table_entry_at(const toml_node *t, size_t i,
                                     const char **key, size_t *len)
{
  const toml_doc *d;
  const toml_entry *e = entry_at(t, i, &d);
  if (!e)
    return NULL;
  *key = toml_entry_key(d, e);
  *len = toml_entry_key_len(e);
  return &e->v;
}

/* v's kind and scalar contents into it (v, key and key_len: the caller). */
static inline void fill_item(const toml_doc *d, const toml_node *v,
                             toml_item *it)
{
  it->kind = toml_kind_of(v);
  switch (it->kind) {
  case TOML_STRING:
    it->u.s = d->buf + v->u.s.off;
    it->len = v->u.s.len;
    break;
  case TOML_INTEGER:
    it->u.i = v->u.i;
    break;
  case TOML_FLOAT:
    it->u.f = v->u.f;
    break;
  case TOML_BOOL:
    it->u.b = v->u.i != 0;
    break;
  default:
    break;
  }
}

size_t toml_node_items(const toml_node *c, size_t from, toml_item *out,
                       size_t max)
{
  const toml_doc *d;
  const uint32_t *refs;
  size_t n, k;
  bool table;
  if (!is_container(c) || from >= c->u.c.count)
    return 0;
  n = c->u.c.count - from;
  if (n > max)
    n = max;
  d = toml_node_doc(c);
  refs = toml_vec(d, c) + from;
  table = toml_kind_of(c) == TOML_TABLE;
  for (k = 0; k < n; k++) {
    const toml_node *v = toml_ptr(d, refs[k]);
    toml_item *it = &out[k];
    it->v = v;
    if (table) { /* a table's children are entries: the value, then the key */
      const toml_entry *e = (const toml_entry *)v;
      it->key = toml_entry_key(d, e);
      it->key_len = toml_entry_key_len(e);
    } else {
      it->key = NULL;
      it->key_len = 0;
    }
    fill_item(d, v, it);
  }
  return n;
}

void toml_node_item(const toml_node *v, toml_item *it)
{
  it->v = v;
  it->key = NULL;
  it->key_len = 0;
  fill_item(toml_node_doc(v), v, it);
}

toml_pos toml_table_key_pos_at(const toml_node *t, size_t i)
{
  const toml_doc *d;
  const toml_entry *e = entry_at(t, i, &d);
  if (!e) {
    toml_pos none = {"", 0, 0};
    return none;
  }
  return pos_of(d, toml_entry_key_off(e));
}

const toml_node *toml_table_get(const toml_node *t, const char *key,
                                size_t len)
{
  toml_doc *d;
  const toml_entry *e;
  if (toml_kind_of(t) != TOML_TABLE || len > UINT32_MAX)
    return NULL;
  d = toml_node_doc(t);
  e = find(d, t, key, (uint32_t)len, false);
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
  const toml_doc *d = toml_node_doc(n);
  toml_read_datetime(d->buf + toml_node_off(d, n), out);
}
