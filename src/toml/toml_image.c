/* toml_image.c -- a parsed document as a flat image, and back, for the
 * metadata cache.
 *
 * Nodes address each other by refs and find their block from a slot
 * relative to the block's data, so a document's blocks, line table and
 * text can be laid out in one image and used where they lie: loading an
 * image writes each block's header into the room left for it before the
 * block's data, points the document at the image, and rewrites no node.
 * Image layout (native byte order; 8-byte aligned, 8-byte parts):
 *
 *   root, nlines, len, nblocks          4-byte words
 *   nblocks x (base, units)             units: those in use (the current
 *                                       block's unused tail is left out)
 *   per block: room for its header (HDR bytes, zero in the file), then
 *              its data (8-byte units)
 *   nlines line starts (2-byte words: the text is under 64 KiB)
 *   len bytes of decoded text, TOML_PAD zero bytes, padding to 8 bytes
 *
 * SPDX-License-Identifier: MIT */
#include "toml_impl.h"

enum { HEAD_WORDS = 4 };
/* A node finds its block header right before the block's data. */
#define HDR sizeof(toml_block)
_Static_assert(sizeof(toml_block) % 8 == 0, "block data must stay 8-aligned");

/* Blocks oldest first (by base), as the directory lists their granules. */
static uint32_t blocks_by_base(const toml_doc *d, const toml_block **out,
                               uint32_t cap)
{
  uint32_t n = 0;
  for (const toml_block *b = d->blocks; b; b = b->next)
    n++;
  if (n > cap)
    return n;
  uint32_t i = n;
  for (const toml_block *b = d->blocks; b; b = b->next)
    out[--i] = b;
  return n;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Bytes of an image: its head, the blocks, lines and text. */
static size_t image_size(uint32_t nblocks, uint64_t units, uint32_t nlines,
                         size_t len)
{
  return (HEAD_WORDS + 2 * (size_t)nblocks) * 4 + nblocks * HDR +
         (size_t)(units << 3) + pad8((size_t)nlines * 2 + len + TOML_PAD);
}

/* Units of b holding nodes: all but the current block's unused tail. */
static uint32_t used_units(const toml_doc *d, const toml_block *b)
{
  return b == d->cur ? d->bump_ref - b->base : b->units;
}

#define MAX_BLOCKS 64 /* a manifest has one or two; larger documents skip */

size_t toml_doc_image(const toml_doc *d, void *out, size_t cap)
{
  const toml_block *bl[MAX_BLOCKS];
  if (!d->parsed || !d->root || d->len >= TOML_IMAGE_MAX_TEXT)
    return 0;
  uint32_t n = blocks_by_base(d, bl, MAX_BLOCKS);
  if (n > MAX_BLOCKS)
    return 0;
  uint64_t units = 0;
  for (uint32_t i = 0; i < n; i++)
    units += used_units(d, bl[i]);
  size_t need = image_size(n, units, d->nlines, d->len);
  if (!out || cap < need)
    return need;
  memset(out, 0, need);
  uint32_t *w = out;
  w[0] = d->root;
  w[1] = d->nlines;
  w[2] = (uint32_t)d->len;
  w[3] = n;
  for (uint32_t i = 0; i < n; i++) {
    w[HEAD_WORDS + 2 * i] = bl[i]->base;
    w[HEAD_WORDS + 2 * i + 1] = used_units(d, bl[i]);
  }
  char *p = (char *)(w + HEAD_WORDS + 2 * n);
  for (uint32_t i = 0; i < n; i++) {
    size_t bytes = (size_t)used_units(d, bl[i]) << 3;
    memcpy(p + HDR, bl[i] + 1, bytes);
    p += HDR + bytes;
  }
  memcpy(p, d->lines, (size_t)d->nlines * 2);
  p += (size_t)d->nlines * 2;
  memcpy(p, d->buf, d->len);
  return need;
}

/* Granules of refs that units units span. */
static uint32_t grans_of(uint32_t units)
{
  return (units + TOML_GRAN_UNITS - 1) >> TOML_GRAN_SHIFT;
}

/* The image's blocks, checked: in ref order, on granule boundaries, not
 * overlapping, the root inside one, and the sizes adding up to the image.
 * Returns the number of blocks (0: not a valid image); *end gets the ref
 * after the last block. */
static uint32_t check_image(const void *img, size_t size, uint32_t *end)
{
  const uint32_t *w = img;
  if (((uintptr_t)img & 7) || size < HEAD_WORDS * 4)
    return 0;
  uint32_t root = w[0], n = w[3];
  if (n == 0 || n > MAX_BLOCKS || size < (HEAD_WORDS + 2 * (size_t)n) * 4)
    return 0;
  const uint32_t *bw = w + HEAD_WORDS;
  uint64_t last = 0, units = 0;
  bool root_in = false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t base = bw[2 * i], u = bw[2 * i + 1];
    if (u == 0 || base < last || (base & (TOML_GRAN_UNITS - 1)))
      return 0;
    root_in |= root >= base && root < base + (uint64_t)u;
    last = (uint64_t)base + u;
    units += u;
  }
  if (!root_in || root == 0 || last > UINT32_MAX ||
      w[2] >= TOML_IMAGE_MAX_TEXT || image_size(n, units, w[1], w[2]) != size)
    return 0;
  *end = (uint32_t)last;
  return n;
}

/* ---- checking a loaded image's nodes ----
 *
 * Before anything reads a document made from an image, every node
 * reachable from the root is checked, so that a damaged or crafted image
 * is refused instead of read out of bounds: each ref lies inside a block,
 * at the slot its meta word names (how a node finds its block header);
 * container vectors lie inside a block; strings and keys lie inside the
 * text and end with its NUL; table indexes point at entries and keep a free
 * slot (a table's tags need no check: see vector_ok).  A node shared or
 * reached twice spends the walk's budget (one visit per two units), so a
 * cycle ends too. */

/* The block holding units [ref, ref + units): *last when it does (nodes
 * mostly follow their neighbours), else found and kept in *last; NULL when
 * none does. */
static const toml_block *span_find(const toml_doc *d,
                                   const toml_block **last, uint32_t ref,
                                   uint64_t units)
{
  for (const toml_block *b = d->blocks; b; b = b->next)
    if (ref >= b->base && ref + units <= (uint64_t)b->base + b->units)
      return *last = b;
  return NULL;
}

static inline const toml_block *span(const toml_doc *d,
                                     const toml_block **last, uint32_t ref,
                                     uint64_t units)
{
  const toml_block *b = *last;
  if (b && ref >= b->base && ref + units <= (uint64_t)b->base + b->units)
    return b;
  return span_find(d, last, ref, units);
}

/* len bytes at off lie in the text and a NUL follows them. */
static bool text_ok(const toml_doc *d, uint64_t off, uint32_t len)
{
  return off + len <= d->len && d->buf[off + len] == '\0';
}

/* Container c's vector (and its tags or index) lie in a block; the index
 * holds positions + 1 of its entries only, one per entry, so a free slot
 * stays.  (A tag only filters the entries a lookup compares: a wrong one
 * makes a lookup miss, never read out of bounds.) */
static bool vector_ok(const toml_doc *d, const toml_block **last,
                      const toml_node *c)
{
  uint32_t n = c->u.c.count, cap = toml_vec_cap(n);
  if (toml_kind_of(c) != TOML_TABLE || n <= TOML_SCAN_MAX)
    return span(d, last, c->u.c.vec, (n + 1) / 2) != NULL;
  if (!span(d, last, c->u.c.vec, toml_table_units(cap)))
    return false;
  if (cap <= TOML_TAG_MAX)
    return true;
  const uint32_t *refs = toml_vec(d, c);
  uint32_t used = 0, bad = 0;
  for (uint32_t i = 0; i < 2 * cap; i++) {
    uint32_t s = toml_index_slot(refs, cap, i);
    bad |= s > n;
    used += s != 0;
  }
  return !bad && used == n;
}

/* A container being walked: its child refs, how many, the next one. */
typedef struct frame {
  const uint32_t *refs;
  uint32_t n, next;
  bool table; /* children are entries (narrow or wide) */
} frame;

/* Every node reachable from the root table checks out.  At most budget
 * nodes are visited: a node reached twice (shared, or in a cycle) spends
 * it, so the walk ends on any image. */
static bool nodes_ok(const toml_doc *d, uint32_t root, uint64_t budget)
{
  frame stack[2 * TOML_MAX_DEPTH + 4];
  size_t depth = 0;
  frame f = {&root, 1, 0, false}; /* the root, as one child */
  const toml_block *last = NULL;
  for (;;) {
    while (f.next == f.n) { /* done with this container: back up */
      if (!depth)
        return true;
      f = stack[--depth];
    }
    uint32_t ref = f.refs[f.next++];
    const toml_block *b = span(d, &last, ref, TOML_ITEM_UNITS);
    if (!b || !budget--)
      return false;
    const toml_node *n = toml_ptr(d, ref);
    if ((n->meta >> TOML_SLOT_SHIFT) != ref - b->base)
      return false;
    if (!f.table) {
      if (n->meta & TOML_F_NARROW) /* only entries are narrow */
        return false;
    } else if (n->meta & TOML_F_NARROW) {
      /* its key lies in the text and a NUL follows it; the re-read of its
       * value's position stops at that NUL or the text's NULs at the end */
      const toml_entry *e = (const toml_entry *)n;
      uint32_t k = toml_entry_key_bytes(e);
      if (((n->meta & TOML_F_KEYQ) && k == 0) ||
          !text_ok(d, k, toml_entry_key_len(e)))
        return false;
    } else {
      const toml_entry *e = (const toml_entry *)n;
      if (!span(d, &last, ref, TOML_ENTRY_UNITS) ||
          !text_ok(d, (uint64_t)e->key + ((n->meta & TOML_F_KEYQ) ? 1 : 0),
                   e->key_len))
        return false;
    }
    unsigned kind = toml_kind_of(n);
    if (kind == TOML_STRING) {
      if (!text_ok(d, n->u.s.off, n->u.s.len))
        return false;
    } else if (kind == TOML_TABLE || kind == TOML_ARRAY) {
      uint32_t count = n->u.c.count;
      if (count > budget) /* more children than the image has room for */
        return false;
      if (count) {
        if (depth == sizeof stack / sizeof *stack || !vector_ok(d, &last, n))
          return false;
        stack[depth++] = f;
        f = (frame){toml_vec(d, n), count, 0, kind == TOML_TABLE};
      }
    } else if (kind >= TOML_DATETIME && kind <= TOML_TIME_LOCAL) {
      if (toml_node_off(d, n) >= d->len) /* re-read from the text, which
                                            ends in NULs */
        return false;
    } else if (kind < TOML_INTEGER || kind > TOML_BOOL) {
      return false;
    }
    if (ref == root && kind != TOML_TABLE)
      return false;
  }
}

toml_status toml_doc_from_image(toml_doc *d, void *img, size_t size)
{
  uint32_t end = 0, n;
  if (d->parsed || d->blocks || !(n = check_image(img, size, &end)))
    return TOML_ESYNTAX;
  const uint32_t *w = img, *bw = w + HEAD_WORDS;
  uint32_t grans = grans_of(end);
  d->dir = d->alloc(d->alloc_ud, NULL, 0, (size_t)grans * sizeof *d->dir);
  if (!d->dir)
    return TOML_ENOMEM;
  memset(d->dir, 0, (size_t)grans * sizeof *d->dir);
  d->dir_cap = d->dir_len = grans;
  d->borrowed = true; /* from here on, toml_doc_free leaves the image be */
  char *p = (char *)(bw + 2 * n);
  uint64_t units = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t base = bw[2 * i], u = bw[2 * i + 1];
    toml_block *b = (toml_block *)p;
    *b = (toml_block){d->blocks, d, base, u, 0};
    d->blocks = b;
    p += HDR;
    for (uint32_t j = 0; j < grans_of(u); j++)
      d->dir[(base >> TOML_GRAN_SHIFT) + j] =
          p + ((size_t)j << (TOML_GRAN_SHIFT + 3));
    p += (size_t)u << 3;
    units += u;
  }
  d->lines = (uint16_t *)p;
  d->nlines = w[1];
  d->win0 = 0; /* one window: the text is under 64 KiB */
  d->wins = &d->win0;
  d->nwins = d->wins_cap = 1;
  d->buf = p + (size_t)d->nlines * 2;
  d->len = d->cap = w[2];
  d->next_base = grans << TOML_GRAN_SHIFT;
  for (size_t i = 0; i < TOML_PAD; i++) /* the lexer's and re-reads' end */
    if (d->buf[d->len + i])
      return TOML_ESYNTAX;
  if (!nodes_ok(d, w[0], units / 2 + 1))
    return TOML_ESYNTAX;
  d->root = w[0];
  d->parsed = true;
  return TOML_OK;
}

void toml_image_clear(void *img, size_t size)
{
  uint32_t end, n = check_image(img, size, &end);
  const uint32_t *bw = (const uint32_t *)img + HEAD_WORDS;
  char *p = (char *)(bw + 2 * n);
  for (uint32_t i = 0; i < n; i++) {
    memset(p, 0, HDR);
    p += HDR + ((size_t)bw[2 * i + 1] << 3);
  }
}
