/* toml_impl.h -- internals shared by the files of src/toml/ (never outside).
 * SPDX-License-Identifier: MIT */
#ifndef PK_TOML_IMPL_H
#define PK_TOML_IMPL_H

#include <setjmp.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "toml.h"

#define TOML_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TOML_NORETURN __attribute__((noreturn))
#define TOML_LIKELY(x) __builtin_expect(!!(x), 1)
#define TOML_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- nodes ----
 *
 * Memory is counted in units of 8 bytes and addressed by 32-bit refs (unit
 * numbers) through a directory of 4 KiB granules, so containers can hold
 * 4-byte child refs instead of pointers.  A node finds its block header (and
 * so its document) from the slot stored in its meta word.
 *
 * An array item is a toml_node (16 bytes); a table child is a toml_entry (24
 * bytes) that adds the key, or a narrow entry (16 bytes, TOML_F_NARROW): a
 * node whose pos word packs its key instead, the offset of its bytes and
 * its length (up to TOML_NARROW_LEN_MAX, in a text below
 * TOML_NARROW_TEXT_MAX).  A key/value pair or a dotted key's table whose
 * key has no escapes (its decoded bytes are its raw bytes, NUL-terminated
 * where its terminator or closing quote was) is narrow when it fits: its
 * value's position is re-read from the text (toml_node_off): the key's, for
 * a dotted key's table; else after the key, its spaces, '=' and the spaces
 * after it, bytes the parse leaves as they were (only a bare key's '=' right
 * after it turns NUL).  Keys and strings point into the document buffer,
 * decoded and NUL-terminated in place; date-times are re-read from the
 * text, which stays intact. */
struct toml_node {
  union {
    int64_t i;
    double f;
    struct {
      uint32_t off; /* string: offset of the decoded bytes in the buffer */
      uint32_t len; /* string: decoded length */
    } s;
    struct {
      uint32_t vec;   /* container: ref of the child-ref vector, 0 if none */
      uint32_t count; /* container: number of children */
    } c;
  } u;
  uint32_t pos;  /* byte offset of the value's first character */
  uint32_t meta; /* kind | flags | slot (see TOML_M_*) */
};

typedef struct toml_entry {
  toml_node v;
  uint32_t key;     /* byte offset of the key's first character (its quote) */
  uint32_t key_len; /* decoded length of the key */
} toml_entry;

#define TOML_M_KIND 0xFu
#define TOML_F_KEYQ (1u << 4)    /* entry: the key was quoted */
#define TOML_F_DEFINED (1u << 5) /* table/AoT: defined, no [header] again */
#define TOML_F_FROZEN (1u << 6)  /* inline table or array: closed for good */
#define TOML_F_AOT (1u << 7)     /* array made by [[header]] */
#define TOML_F_PENDING (1u << 8) /* table extended by dotted keys lately */
#define TOML_F_DOTTED (1u << 9)  /* table created by a dotted key */
#define TOML_F_NARROW (1u << 10) /* entry of 16 bytes: pos packs its key */
/* slot: units from its block's data start (nodes lie in regular blocks, of
 * at most TOML_BLOCK_GROW_UNITS = 2^20 units: 21 bits are room enough) */
#define TOML_SLOT_SHIFT 11

#define TOML_ITEM_UNITS 2  /* sizeof(toml_node) / 8 */
#define TOML_ENTRY_UNITS 3 /* sizeof(toml_entry) / 8 (a narrow one: 2) */
#define TOML_GRAN_SHIFT 9  /* 512 units = 4 KiB per directory granule */
#define TOML_GRAN_UNITS (1u << TOML_GRAN_SHIFT)
/* 1 MiB: a request of a quarter of it or more gets a block of its own */
#define TOML_BLOCK_MAX_UNITS (1u << 17)
/* Regular blocks double up to 8 MiB: a document of megabytes gets blocks
 * of 2 MiB and more, which the default allocator maps as huge pages. */
#define TOML_BLOCK_GROW_UNITS (1u << 20)
/* Bytes of NUL padding after the text, so the lexer can look a few bytes
 * ahead without bounds checks. */
#define TOML_PAD 16
#define TOML_SCAN_MAX 8 /* tables up to this many keys are scanned, not hashed */
/* Documents of less text than this can be imaged (toml_image.c): their
 * arena blocks are zeroed when made, so that an image holds no stray bytes
 * (unused vector slots, the unit of ref 0), and their line starts fit in
 * 16 bits. */
#define TOML_IMAGE_MAX_TEXT (64u * 1024)
/* Texts of less than this are small (a plugin manifest): blocks and the
 * line table sized by the text, and one allocation for the text, the
 * first line table, directory and block (toml_doc_buffer). */
#define TOML_SMALL_TEXT (TOML_GRAN_UNITS * 2)

/* A block of arena memory: this header, then the data units. */
typedef struct toml_block {
  struct toml_block *next; /* all blocks, for toml_doc_free() */
  toml_doc *doc;           /* owner, found from any node in the block */
  uint32_t base;           /* ref of the first data unit */
  uint32_t units;          /* number of data units */
  size_t bytes;            /* size of the whole allocation */
} toml_block;

/* What only building a document needs (free vectors, the last missed
 * lookup): it lives in the parser, not in every document. */
typedef struct toml_build {
  uint32_t free_vec[32]; /* free plain vectors by log2(capacity) */
  uint32_t free_tab[32]; /* free indexed table vectors by log2(capacity) */
  /* the last lookup that missed, so the insert after it hashes once */
  const char *miss_key;
  uint32_t miss_len;
  uint32_t miss_hash;
} toml_build;

struct toml_doc {
  toml_alloc_fn alloc; /* never NULL (libc wrapper by default) */
  void *alloc_ud;
  char *source; /* copied source name */
  size_t source_size;
  char *buf; /* the text (+ padding), decoded in place by the parser */
  size_t len, cap;
  /* A small text's buffer is one allocation of one_size bytes that also
   * holds the first room of the line table and of the directory and the
   * first block (toml_doc.c, toml_doc_buffer); 0: the buffer is an
   * allocation of cap + TOML_PAD. */
  size_t one_size;
  /* arena */
  toml_block *blocks;   /* newest first */
  toml_block *cur;      /* the block nodes are bumped from */
  char *bump;           /* next free byte of the current block */
  uint32_t bump_ref;    /* ref of bump */
  uint32_t bump_left;   /* units left in the current block */
  uint32_t next_base;   /* ref where the next block starts */
  uint32_t next_units;  /* size of the next regular block */
  char **dir;           /* granule -> address */
  uint32_t dir_len, dir_cap;
  toml_build *build; /* while it is parsed (the parser's), else NULL */
  /* line starts, lines[0] is line 1: the low 16 bits of each byte
   * offset, and per 64 KiB window w of the text wins[w], the first line
   * starting in window w or later (toml_offset_pos) */
  uint16_t *lines;
  uint32_t nlines, lines_cap;
  uint32_t *wins; /* win0 until a second window */
  uint32_t nwins, wins_cap, win0;
  uint32_t root; /* ref of the root table, 0 before a successful parse */
  size_t budget; /* toml_doc_limit(), or 0 */
  size_t used;   /* bytes taken from it (toml_budget_take) */
  bool over;     /* a request went past it: TOML_ELIMIT, not out of memory */
  bool parsed;
  bool borrowed; /* blocks, lines and text lie in an image (toml_image.c) */
  uint8_t keys;  /* toml_doc_keys: TOML_KEYS_DEFAULT, _WIDE or _NARROW */
  /* A text of a megabyte or so (toml_doc.c, room_for): room for the first
   * regular block lies behind pad8(cap + TOML_PAD) in the buffer's
   * allocation, room_taken once a block lies there. */
  bool room, room_taken;
  void *user[TOML_DOC_USER / sizeof(void *)]; /* the caller's (toml_doc_user) */
};

/* ---- arena (toml_doc.c) ---- */

static inline void *toml_ptr(const toml_doc *d, uint32_t ref)
{
  return d->dir[ref >> TOML_GRAN_SHIFT] +
         ((size_t)(ref & (TOML_GRAN_UNITS - 1)) << 3);
}

static inline toml_block *toml_node_block(const toml_node *n)
{
  return (toml_block *)((char *)n - ((size_t)(n->meta >> TOML_SLOT_SHIFT) << 3)) -
         1;
}

static inline toml_doc *toml_node_doc(const toml_node *n)
{
  return toml_node_block(n)->doc;
}

static inline uint32_t toml_node_ref(const toml_node *n)
{
  return toml_node_block(n)->base + (n->meta >> TOML_SLOT_SHIFT);
}

static inline unsigned toml_kind_of(const toml_node *n)
{
  return n->meta & TOML_M_KIND;
}

/* Takes bytes more of parsing memory from the document's budget (every
 * growth of the arena, the line table or the parser's stacks goes through
 * it, on its slow path); false, with d->over set, past the budget. */
bool toml_budget_take(toml_doc *d, size_t bytes);

/* Slow path of toml_alloc_units: a new block.  NULL when out of memory or
 * past the budget. */
void *toml_arena_grow(toml_doc *d, uint32_t units, uint32_t *ref);

/* units of contiguous, 8-aligned arena memory; *ref gets its ref.  NULL when
 * out of memory.  The memory lives until toml_doc_free(). */
static inline void *toml_alloc_units(toml_doc *d, uint32_t units,
                                     uint32_t *ref)
{
  if (TOML_LIKELY(d->bump_left >= units)) {
    void *p = d->bump;
    *ref = d->bump_ref;
    d->bump += (size_t)units << 3;
    d->bump_ref += units;
    d->bump_left -= units;
    return p;
  }
  return toml_arena_grow(d, units, ref);
}

/* A new node of units units (TOML_ITEM_UNITS or TOML_ENTRY_UNITS), zeroed
 * except meta (kind and slot set).  NULL when out of memory. */
static inline toml_node *toml_node_new(toml_doc *d, uint32_t units,
                                       unsigned kind, uint32_t *ref)
{
  toml_node *n = toml_alloc_units(d, units, ref);
  if (TOML_UNLIKELY(!n))
    return NULL;
  if (units == TOML_ENTRY_UNITS) /* sizes the compiler knows: three stores */
    memset(n, 0, TOML_ENTRY_UNITS * 8);
  else
    memset(n, 0, TOML_ITEM_UNITS * 8);
  /* the slot is the distance to the block's data start */
  n->meta = ((*ref - d->cur->base) << TOML_SLOT_SHIFT) | kind;
  return n;
}

/* Appends child to container c's ref vector (growing it by doubling; freed
 * vectors are recycled).  false when out of memory or too many children. */
bool toml_vec_grow_push(toml_doc *d, toml_node *c, uint32_t child);
static inline bool toml_vec_push(toml_doc *d, toml_node *c, uint32_t child)
{
  uint32_t n = c->u.c.count;
  if (TOML_LIKELY(n == 1 || (n > 2 && (n & (n - 1)) != 0))) {
    ((uint32_t *)toml_ptr(d, c->u.c.vec))[n] = child;
    c->u.c.count = n + 1;
    return true;
  }
  return toml_vec_grow_push(d, c, child);
}
/* Replaces c's vector by an exact-size copy of refs[0..n) (for containers
 * that are complete).  false when out of memory. */
bool toml_vec_set(toml_doc *d, toml_node *c, const uint32_t *refs, uint32_t n);

static inline uint32_t *toml_vec(const toml_doc *d, const toml_node *c)
{
  return toml_ptr(d, c->u.c.vec);
}

/* Records the start of a new line at byte offset off (never below the
 * last one).  false when out of memory. */
bool toml_lines_grow(toml_doc *d, uint32_t off);
static inline bool toml_line_push(toml_doc *d, uint32_t off)
{
  if (TOML_UNLIKELY(d->nlines == d->lines_cap || (off >> 16) >= d->nwins) &&
      !toml_lines_grow(d, off))
    return false;
  d->lines[d->nlines++] = (uint16_t)off;
  return true;
}
/* 1-based line and column of byte offset off. */
void toml_offset_pos(const toml_doc *d, uint32_t off, int *line, int *col);

/* The capacity of a vector holding n refs (n > 0): 2, then powers of 2. */
static inline uint32_t toml_vec_cap(uint32_t n)
{
  return n <= 2 ? 2 : (uint32_t)1 << (32 - __builtin_clz(n - 1));
}

/* ---- tables (toml_tree.c) ----
 *
 * A table with up to TOML_SCAN_MAX keys is scanned.  One of capacity up to
 * TOML_TAG_MAX keeps a tag byte per key after its child refs (8 bits of
 * the key's hash, toml_key_tag): a lookup compares sixteen tags at a time
 * and reads only the entries whose tag matches, an insert writes one byte,
 * and a vector that doubles copies its tags with its refs (no rehash).  A
 * larger table keeps an open-addressing index right after its child refs,
 * in the same arena run: 2C slots (C = capacity) holding positions + 1,
 * 16-bit up to C = 16384.  It is rebuilt when the vector doubles, so it
 * stays at most half full, and it lives next to the keys it indexes, which
 * keeps lookups in cache. */

#define TOML_TAG_MAX 128
#define TOML_SMALL_INDEX_MAX 16384
/* Arena units of a table's vector of capacity cap: cap refs; then, past
 * TOML_SCAN_MAX, cap tag bytes (up to TOML_TAG_MAX), or 2 * cap index
 * slots of 16 bits (up to TOML_SMALL_INDEX_MAX) or 32. */
static inline uint32_t toml_table_units(uint32_t cap)
{
  return cap <= TOML_SCAN_MAX  ? cap / 2
         : cap <= TOML_TAG_MAX ? cap / 2 + cap / 8
         : cap <= TOML_SMALL_INDEX_MAX ? cap
                                       : cap + cap / 2;
}

/* The tag bytes after refs[cap] of a tagged table (TOML_SCAN_MAX < cap <=
 * TOML_TAG_MAX), and the tag of a key of hash h. */
static inline uint8_t *toml_tags(const uint32_t *refs, uint32_t cap)
{
  return (uint8_t *)(uintptr_t)(refs + cap);
}
static inline uint8_t toml_key_tag(uint32_t h) { return (uint8_t)(h >> 24); }

/* Slot i (of 2 * cap) of the index after refs[cap]: position + 1, or 0. */
static inline uint32_t toml_index_slot(const uint32_t *refs, uint32_t cap,
                                       uint32_t i)
{
  return cap <= TOML_SMALL_INDEX_MAX ? ((const uint16_t *)(refs + cap))[i]
                                     : refs[cap + i];
}

/* Equal keys of len bytes, comparing words from both ends first (keys of a
 * table often share a prefix and a length, like s000001 ... s004717); of 1
 * to 3 bytes: the first, middle and last byte cover them all. */
static inline bool toml_key_eq(const char *a, const char *b, uint32_t len)
{
  if (len >= 8) {
    uint64_t x, y, u, v;
    memcpy(&x, a + len - 8, 8);
    memcpy(&y, b + len - 8, 8);
    memcpy(&u, a, 8);
    memcpy(&v, b, 8);
    return x == y && u == v &&
           (len <= 16 || memcmp(a + 8, b + 8, len - 16) == 0);
  }
  if (len >= 4) {
    uint32_t x, y, u, v;
    memcpy(&x, a + len - 4, 4);
    memcpy(&y, b + len - 4, 4);
    memcpy(&u, a, 4);
    memcpy(&v, b, 4);
    return x == y && u == v;
  }
  return len == 0 || ((a[0] == b[0]) & (a[len / 2] == b[len / 2]) &
                      (a[len - 1] == b[len - 1]));
}

/* A narrow entry's pos packs its key: the offset of its bytes (past its
 * quote, if quoted) above TOML_NARROW_LEN_BITS bits of its length. */
#define TOML_NARROW_LEN_BITS 6
#define TOML_NARROW_LEN_MAX ((1u << TOML_NARROW_LEN_BITS) - 1)
/* Texts of less than this (64 MiB) can have narrow entries, and by
 * default texts of this much or more (64 KiB: a manifest's few entries
 * keep the form that costs its parse least, and its image its layout). */
#define TOML_NARROW_TEXT_MAX ((size_t)1 << (32 - TOML_NARROW_LEN_BITS))
#define TOML_NARROW_TEXT_MIN TOML_IMAGE_MAX_TEXT

/* The offset of entry e's key bytes (past its quote, if quoted). */
static inline uint32_t toml_entry_key_bytes(const toml_entry *e)
{
  if (e->v.meta & TOML_F_NARROW)
    return e->v.pos >> TOML_NARROW_LEN_BITS;
  return e->key + ((e->v.meta & TOML_F_KEYQ) ? 1 : 0);
}

/* The byte offset of entry e's key (its quote, if quoted). */
static inline uint32_t toml_entry_key_off(const toml_entry *e)
{
  if (e->v.meta & TOML_F_NARROW)
    return (e->v.pos >> TOML_NARROW_LEN_BITS) -
           ((e->v.meta & TOML_F_KEYQ) ? 1 : 0);
  return e->key;
}

/* The decoded length of entry e's key. */
static inline uint32_t toml_entry_key_len(const toml_entry *e)
{
  return (e->v.meta & TOML_F_NARROW) ? e->v.pos & TOML_NARROW_LEN_MAX
                                     : e->key_len;
}

static inline const char *toml_entry_key(const toml_doc *d,
                                         const toml_entry *e)
{
  return d->buf + toml_entry_key_bytes(e);
}

/* Whether entry e's key is key (len bytes). */
static inline bool toml_entry_is(const toml_doc *d, const toml_entry *e,
                                 const char *key, uint32_t len)
{
  return toml_entry_key_len(e) == len &&
         toml_key_eq(toml_entry_key(d, e), key, len);
}

/* The byte offset of node n's first character (a narrow entry's is re-read
 * from the text, see toml_node). */
static inline uint32_t toml_node_off(const toml_doc *d, const toml_node *n)
{
  if (TOML_LIKELY(!(n->meta & TOML_F_NARROW)))
    return n->pos;
  const toml_entry *e = (const toml_entry *)n;
  if (n->meta & TOML_F_DOTTED)
    return toml_entry_key_off(e);
  /* past the key's end (its terminator or closing quote, now NUL) */
  const char *p = toml_entry_key(d, e) + toml_entry_key_len(e) + 1;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '=')
    for (p++; *p == ' ' || *p == '\t';)
      p++;
  return (uint32_t)(p - d->buf);
}

/* The entry of key among the n (<= TOML_SCAN_MAX) of a scanned table. */
static inline toml_entry *toml_table_scan(toml_doc *d, const uint32_t *refs,
                                          uint32_t n, const char *key,
                                          uint32_t len)
{
  for (uint32_t i = 0; i < n; i++) {
    toml_entry *e = toml_ptr(d, refs[i]);
    if (toml_entry_is(d, e, key, len))
      return e;
  }
  return NULL;
}

/* The hash of a key of len bytes (a tagged table's tags, an indexed
 * table's slots). */
static inline __attribute__((always_inline)) uint32_t
toml_key_hash(const char *k, uint32_t len)
{
  uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
  uint64_t w;
  while (len >= 8) {
    memcpy(&w, k, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    k += 8;
    len -= 8;
  }
  if (len) { /* the last 1 to 7 bytes, little-endian, without a memcpy
                call and without reading past them (overlapping loads) */
    if (len >= 4) {
      uint32_t lo, hi;
      memcpy(&lo, k, 4);
      memcpy(&hi, k + len - 4, 4);
      w = lo | (uint64_t)hi << (8 * (len - 4));
    } else {
      const unsigned char *u = (const unsigned char *)k;
      w = u[0] | (uint64_t)u[len / 2] << (8 * (len / 2)) |
          (uint64_t)u[len - 1] << (8 * (len - 1));
    }
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
  }
  /* the caller masks the low bits: fold the high half (where a product
   * puts the key's last bytes) into them before the last multiply */
  h ^= h >> 32;
  h *= 0x94D049BB133111EBull;
  return (uint32_t)(h >> 32);
}

/* The entry of key (len bytes, hash h) in tagged table t, from its tags
 * at on (a multiple of 16, where one matches tag h's). */
toml_entry *toml_table_find_tagged(toml_doc *d, const toml_node *t,
                                   const char *key, uint32_t len, uint32_t h,
                                   uint32_t at);

/* The entry of key (len bytes) in table t, or NULL (the parser's lookups,
 * inlined): a small table is scanned; a tagged one's key hashed (the hash
 * left for the insert that follows a miss) and its tags compared, sixteen
 * at a time, here: a miss (every new key) ends here, a match is checked by
 * toml_table_find_tagged; a larger one is looked up by
 * toml_table_find_in, which leaves the key's hash too. */
toml_entry *toml_table_find_in(toml_doc *d, const toml_node *t, const char *key,
                               uint32_t len);
/* toml_table_find with less code, where lookups are fewer (headers,
 * dotted keys): a table of more than TOML_SCAN_MAX keys is looked up by
 * toml_table_find_in. */
static inline toml_entry *toml_table_find_short(toml_doc *d,
                                                const toml_node *t,
                                                const char *key, uint32_t len)
{
  uint32_t n = t->u.c.count;
  if (n <= TOML_SCAN_MAX)
    return n ? toml_table_scan(d, toml_vec(d, t), n, key, len) : NULL;
  return toml_table_find_in(d, t, key, len);
}
static inline toml_entry *toml_table_find(toml_doc *d, const toml_node *t,
                                          const char *key, uint32_t len)
{
  uint32_t n = t->u.c.count;
  if (n <= TOML_SCAN_MAX)
    return n ? toml_table_scan(d, toml_vec(d, t), n, key, len) : NULL;
#if defined(__SSE2__)
  if (n <= TOML_TAG_MAX) {
    uint32_t cap = toml_vec_cap(n), h = toml_key_hash(key, len);
    const uint8_t *tags = toml_tags(toml_vec(d, t), cap);
    const __m128i want = _mm_set1_epi8((char)toml_key_tag(h));
    toml_build *b = d->build;
    b->miss_key = key;
    b->miss_len = len;
    b->miss_hash = h;
    for (uint32_t at = 0; at < n; at += 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(tags + at));
      unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want));
      if (n - at < 16)
        m &= (1u << (n - at)) - 1;
      if (m)
        return toml_table_find_tagged(d, t, key, len, h, at);
    }
    return NULL;
  }
#endif
  return toml_table_find_in(d, t, key, len);
}
/* Appends entry eref (key already set, not present) to table t.  false when
 * out of memory.  The common cases are inlined: a table's first key, one
 * more key where the vector has room (a tagged table's tag from the hash
 * its lookup left), and a scanned table's vector doubling from 2 or 4
 * refs; toml_table_append_in does the rest (larger vectors, the tags when
 * they start, the index). */
bool toml_table_append_in(toml_doc *d, toml_node *t, uint32_t eref);
static inline bool toml_table_append(toml_doc *d, toml_node *t, uint32_t eref)
{
  uint32_t n = t->u.c.count, *refs;
  if (n == 0) { /* a vector of 2: a free one, else 1 unit */
    uint32_t *free2 = &d->build->free_vec[1], ref = *free2;
    if (ref) {
      refs = toml_ptr(d, ref);
      *free2 = refs[0];
    } else if (!(refs = toml_alloc_units(d, 1, &ref))) {
      return false;
    }
    refs[0] = eref;
    t->u.c.vec = ref;
    t->u.c.count = 1;
    return true;
  }
  if (n == 2 || n == 4) { /* a scanned table's vector doubles, as
                            toml_table_append_in would do it: a free one
                            of 2n refs or n new units, the old one freed */
    uint32_t *list = d->build->free_vec, k = n == 2 ? 2 : 3, ref = list[k],
             *old = toml_vec(d, t);
    if (ref) {
      refs = toml_ptr(d, ref);
      list[k] = refs[0];
    } else if (!(refs = toml_alloc_units(d, n, &ref))) {
      return false;
    }
    for (uint32_t i = 0; i < n; i++)
      refs[i] = old[i];
    old[0] = list[k - 1];
    list[k - 1] = t->u.c.vec;
    refs[n] = eref;
    t->u.c.vec = ref;
    t->u.c.count = n + 1;
    return true;
  }
  if (n == 1 || (n > 2 && n < TOML_TAG_MAX && (n & (n - 1)) != 0)) {
    refs = toml_vec(d, t);
    if (n > TOML_SCAN_MAX) {
      const toml_entry *e = toml_ptr(d, eref);
      const toml_build *b = d->build;
      if (toml_entry_key(d, e) != b->miss_key ||
          toml_entry_key_len(e) != b->miss_len)
        return toml_table_append_in(d, t, eref);
      toml_tags(refs, toml_vec_cap(n))[n] = toml_key_tag(b->miss_hash);
    }
    refs[n] = eref;
    t->u.c.count = n + 1;
    return true;
  }
  return toml_table_append_in(d, t, eref);
}

/* ---- the parser (toml_parse.c, toml_lex.c, toml_number.c, toml_datetime.c) */

typedef struct toml_parser {
  toml_doc *d;
  char *buf;       /* d->buf */
  char *end;       /* buf + len; *end == '\0' */
  bool v11;        /* TOML 1.1 syntax allowed */
  bool narrow;     /* narrow entries made (toml_doc_keys, the text's size) */
  toml_error *err; /* may be NULL */
  jmp_buf jb;      /* errors longjmp here; the document is then discarded */
  uint32_t *pending; /* tables extended by dotted keys in this section */
  uint32_t npending, pending_cap;
  uint32_t *stack; /* child refs of the open inline arrays */
  uint32_t nstack, stack_cap;
  /* the stacks' first room, so a small document allocates none */
  uint32_t pending0[16], stack0[32];
  toml_build build;  /* d->build while parsing */
  const char *radix; /* the locale's decimal point, for strtod */
} toml_parser;

/* Report a syntax error at byte p of the buffer, or a failed allocation
 * while reading the value at p (out of memory, or TOML_ELIMIT at p when it
 * went past the budget); both unwind to toml_doc_parse(). */
TOML_NORETURN void toml_fail(toml_parser *P, const char *p, const char *fmt,
                             ...) TOML_PRINTF(3, 4);
TOML_NORETURN void toml_oom(toml_parser *P, const char *p);
/* Names the character at p for messages: "'x'", "end of file", "a
 * newline", "control character U+0001", "byte 0xC3". */
const char *toml_char_name(const toml_parser *P, const char *p, char buf[32]);

/* Character classes. */
enum {
  TOML_CC_BARE = 1,    /* A-Z a-z 0-9 _ - */
  TOML_CC_BASIC = 2,   /* needs no care inside a basic string */
  TOML_CC_LITERAL = 4, /* needs no care inside a literal string */
  TOML_CC_COMMENT = 8, /* needs no care inside a comment */
  TOML_CC_DIGIT = 16,
  TOML_CC_HEX = 32,
  TOML_CC_END = 64, /* may follow a scalar: ws, newline, # , ] } NUL */
  TOML_CC_WCN = 128 /* starts what toml_skip_wcn skips: ws, LF, CR, # */
};
extern const uint8_t toml_cc[256];

static inline bool toml_is(unsigned char c, unsigned cls)
{
  return (toml_cc[c] & cls) != 0;
}

/* Word-at-a-time scanning: a mask with the top bit set in each byte of w
 * that is (exactly) c, or below c (c <= 0x80).  Reading 8 bytes at a time is
 * safe anywhere up to the end of the text thanks to the padding. */
#define TOML_ONES 0x0101010101010101ull
#define TOML_HIGHS 0x8080808080808080ull
static inline uint64_t toml_has_byte(uint64_t w, unsigned char c)
{
  uint64_t x = w ^ (TOML_ONES * c);
  return (x - TOML_ONES) & ~x & TOML_HIGHS;
}
static inline uint64_t toml_has_below(uint64_t w, unsigned char c)
{
  return (w - TOML_ONES * c) & ~w & TOML_HIGHS;
}

/* Skips bytes of class cls (TOML_CC_BASIC, _LITERAL or _COMMENT), sixteen
 * (SSE2) or eight at a time while none of them is a quote of that class, a
 * backslash (basic), a control character, DEL or non-ASCII.  Reading 16
 * bytes at a time is safe anywhere up to the end of the text thanks to the
 * padding (TOML_PAD), whose NUL bytes stop the scan. */
static inline char *toml_scan(char *q, unsigned cls)
{
#if defined(__SSE2__)
  /* sixteen at a time: a signed compare below 0x20 also catches the bytes
   * of 0x80 and up; the first byte flagged is where the byte loop goes on */
  const __m128i below = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F);
  const __m128i quote = _mm_set1_epi8(cls == TOML_CC_LITERAL ? '\'' : '"');
  const __m128i bslash = _mm_set1_epi8('\\');
  for (;;) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i stop =
        _mm_or_si128(_mm_cmplt_epi8(v, below), _mm_cmpeq_epi8(v, del));
    if (cls == TOML_CC_BASIC)
      stop = _mm_or_si128(stop, _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                             _mm_cmpeq_epi8(v, bslash)));
    else if (cls == TOML_CC_LITERAL)
      stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, quote));
    unsigned m = (unsigned)_mm_movemask_epi8(stop);
    if (m) {
      q += __builtin_ctz(m);
      break;
    }
    q += 16;
  }
#else
  for (;;) {
    uint64_t w, stop;
    memcpy(&w, q, 8);
    stop = (w & TOML_HIGHS) | toml_has_below(w, 0x20) | toml_has_byte(w, 0x7F);
    if (cls == TOML_CC_BASIC)
      stop |= toml_has_byte(w, '"') | toml_has_byte(w, '\\');
    else if (cls == TOML_CC_LITERAL)
      stop |= toml_has_byte(w, '\'');
    if (stop)
      break;
    q += 8;
  }
#endif
  while (toml_is((unsigned char)*q, cls))
    q++;
  return q;
}

static inline char *toml_skip_ws(char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* Records a newline ending at p ('\n' or "\r\n" start) and returns the
 * position after it; a lone CR is an error.  A line feed with room in the
 * line table is recorded here (inlined); toml_newline_in does the rest. */
char *toml_newline_in(toml_parser *P, char *p);
static inline char *toml_newline(toml_parser *P, char *p)
{
  toml_doc *d = P->d;
  uint32_t off = (uint32_t)(p + 1 - P->buf);
  if (TOML_LIKELY(*p == '\n' && d->nlines < d->lines_cap &&
                  (off >> 16) < d->nwins)) {
    d->lines[d->nlines++] = (uint16_t)off;
    return p + 1;
  }
  return toml_newline_in(P, p);
}
/* Skips a comment starting at '#'; returns the position of the line end. */
char *toml_comment(toml_parser *P, char *p);
/* Skips whitespace, comments and newlines (inside arrays and 1.1 inline
 * tables).  Nothing to skip, or one space before a value, is settled here
 * (inlined: most calls, between the items of an array); toml_skip_wcn_in
 * does the rest. */
char *toml_skip_wcn_in(toml_parser *P, char *p);
static inline char *toml_skip_wcn(toml_parser *P, char *p)
{
  if (TOML_LIKELY(!toml_is((unsigned char)*p, TOML_CC_WCN)))
    return p;
  if (*p == ' ' && !toml_is((unsigned char)p[1], TOML_CC_WCN))
    return p + 1;
  return toml_skip_wcn_in(P, p);
}

/* Strings at p (a quote).  Decodes in place; *off and *len receive the decoded
 * bytes (NUL-terminated).  key: single-line only, for keys. */
char *toml_lex_string(toml_parser *P, char *p, uint32_t *off, uint32_t *len,
                      bool key);
/* Validates a UTF-8 sequence at p (first byte >= 0x80); returns its end. */
char *toml_utf8(toml_parser *P, char *p);

/* Numbers and booleans at p; fill n (kind and payload). */
char *toml_lex_number(toml_parser *P, char *p, toml_node *n);
/* Date/time at p; sets n's kind.  Returns NULL if p does not start one. */
char *toml_lex_datetime(toml_parser *P, char *p, toml_node *n);
/* Re-reads a validated date-time (no errors possible). */
void toml_read_datetime(const char *p, toml_datetime *out);

#endif
