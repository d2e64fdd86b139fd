/* toml_doc.c -- document lifecycle and memory: buffer, arena, vectors, lines.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* mremap */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "toml_impl.h"

/* The default allocator.  A request of TOML_HUGE_MIN bytes or more (the
 * text and the larger arena blocks of a document of megabytes) is a
 * mapping of its own, aligned to 2 MiB and advised as transparent huge
 * pages (MADV_HUGEPAGE, where the kernel allows them): filling it takes a
 * page fault per 2 MiB instead of one per 4 KiB, which is a third of the
 * time of parsing such a document otherwise.  Only whole 2 MiB ranges
 * inside a mapping become huge pages, so an exact-size text costs no
 * resident memory past its end.  The size the caller passes back (every
 * caller passes the size it asked for) tells which kind a pointer is. */
#define TOML_HUGE_MIN ((size_t)2 << 20)
#define TOML_HUGE_ALIGN ((size_t)2 << 20)

static size_t page_round(size_t n) { return (n + 4095) & ~(size_t)4095; }

static void *huge_map(size_t n)
{
  size_t len = page_round(n), span = len + TOML_HUGE_ALIGN;
  char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  char *p = (char *)(((uintptr_t)m + TOML_HUGE_ALIGN - 1) &
                     ~(uintptr_t)(TOML_HUGE_ALIGN - 1));
  if (p > m)
    munmap(m, (size_t)(p - m));
  munmap(p + len, (size_t)(m + span - (p + len)));
#ifdef MADV_HUGEPAGE
  (void)madvise(p, len, MADV_HUGEPAGE); /* advice: fine if refused */
#endif
  return p;
}

static void *toml_libc(void *ud, void *p, size_t old_size, size_t new_size)
{
  bool was_huge = p && old_size >= TOML_HUGE_MIN;
  bool huge = new_size >= TOML_HUGE_MIN;
  void *q;
  (void)ud;
  if (!was_huge && !huge) {
    if (new_size == 0) {
      free(p);
      return NULL;
    }
    return realloc(p, new_size);
  }
#ifdef MREMAP_MAYMOVE
  if (was_huge && huge) {
    q = mremap(p, page_round(old_size), page_round(new_size), MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
  }
#endif
  q = new_size == 0 ? NULL : huge ? huge_map(new_size) : malloc(new_size);
  if (new_size && !q)
    return NULL;
  if (p && q)
    memcpy(q, p, old_size < new_size ? old_size : new_size);
  if (was_huge)
    munmap(p, page_round(old_size));
  else
    free(p);
  return q;
}

static void *mem_alloc(toml_doc *d, size_t n)
{
  return d->alloc(d->alloc_ud, NULL, 0, n);
}

static void mem_free(toml_doc *d, void *p, size_t n)
{
  if (p)
    d->alloc(d->alloc_ud, p, n, 0);
}

/* ---- lifecycle ---- */

/* The document and its source name are one allocation. */
toml_doc *toml_doc_new(toml_alloc_fn alloc, void *alloc_ud, const char *source)
{
  toml_doc *d;
  size_t n;
  if (!alloc)
    alloc = toml_libc;
  if (!source)
    source = "<buffer>";
  n = strlen(source) + 1;
  d = alloc(alloc_ud, NULL, 0, sizeof *d + n);
  if (!d)
    return NULL;
  memset(d, 0, sizeof *d);
  d->alloc = alloc;
  d->alloc_ud = alloc_ud;
  d->source = (char *)(d + 1);
  memcpy(d->source, source, n);
  d->source_size = n;
  d->next_units = TOML_GRAN_UNITS;
  return d;
}

/* ---- a small text's one allocation ----
 *
 * For a text of less than TOML_SMALL_TEXT bytes, toml_doc_buffer makes one
 * allocation that the parse then uses whole, instead of four: the text
 * (and its padding), the line table's first room (a line per 16 bytes,
 * plus 4, as toml_lines_grow sizes it), the directory's first two
 * granules, and the first block (a unit per 2 bytes of text, plus 16, as
 * toml_arena_grow sizes it), each 8-aligned, in this order.  Each part is
 * taken from the budget when first used, as its own allocation would be;
 * a line table or directory that outgrows its part moves out (the part
 * stays unused), and toml_doc_trim gives back the block's unused tail by
 * shrinking the whole allocation. */

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static uint32_t small_lines(size_t cap) { return (uint32_t)(cap / 16 + 4); }

static uint32_t small_units(size_t cap)
{
  return (uint32_t)((cap / 2 + 16 + 7) & ~(size_t)7);
}

static uint16_t *one_lines(const toml_doc *d)
{
  return (uint16_t *)(d->buf + pad8(d->cap + TOML_PAD));
}

static char **one_dir(const toml_doc *d)
{
  return (char **)((char *)one_lines(d) + pad8(small_lines(d->cap) * 2u));
}

static toml_block *one_block(const toml_doc *d)
{
  return (toml_block *)(one_dir(d) + 2);
}

/* Whether a text of cap bytes gets one allocation: its first block is
 * smaller than a granule (TOML_GRAN_UNITS), as toml_arena_grow makes a
 * small document's. */
static bool one_fits(size_t cap)
{
  return cap < TOML_SMALL_TEXT && small_units(cap) < TOML_GRAN_UNITS;
}

/* Whether p lies in the document's one allocation. */
static bool in_one(const toml_doc *d, const void *p)
{
  return d->one_size && (const char *)p >= d->buf &&
         (const char *)p < d->buf + d->one_size;
}

static bool in_room(const toml_doc *d, const void *p);

/* The line table or directory p (old bytes) resized to n bytes: moved
 * out of the one allocation, or out of a larger text's buffer, when it
 * lies there (its part stays unused). */
static void *part_resize(toml_doc *d, void *p, size_t old, size_t n)
{
  if (!in_one(d, p) && !in_room(d, p))
    return d->alloc(d->alloc_ud, p, old, n);
  void *q = mem_alloc(d, n);
  if (q)
    memcpy(q, p, old);
  return q;
}

/* ---- a text of a megabyte or more: its nodes beside it ----
 *
 * A text of TOML_ROOM_MIN bytes up to nearly a huge page would otherwise
 * be an allocation of small pages, and so would its blocks, doubling from
 * 4 KiB: at a megabyte that is some 500 page faults in a fresh process,
 * most of the time of the parse when a fault costs microseconds.  With
 * the default allocator, its buffer is instead one huge page (toml_libc:
 * TOML_HUGE_MIN, one fault) of the text and, in the rest of the page,
 * room for the first regular block of nodes; later blocks are the usual
 * ones.  A longer text's buffer is likewise whole huge pages: a text of
 * 10 MB would otherwise end in 1.5 MiB of small pages, some 400 faults
 * at every parse, and its nodes fill the rest of the last page.  The
 * mapping is never more than whole pages: a room that reached past them
 * would be small pages mapped afresh at every parse, where the heap glibc
 * keeps serves the usual blocks of a document parsed again without a
 * fault.  Past one page, the line table's first room (a line per 16
 * bytes, plus 4, as a small text's: room_lines) lies between the text and
 * the room, in the same pages, so that it too costs no fault of its own
 * (10 MB: some 150 at every parse); a table that outgrows it moves out
 * (the part stays unused).  The text alone is at
 * least 7/16 of the page (and nearly half of the pages of a longer text),
 * so they are never more than 2.3 times the text even when the nodes need
 * none of them; a room under TOML_ROOM_LEAST gets no block (a block of a
 * few granules is not worth one). */
#define TOML_ROOM_MIN ((size_t)896 << 10)
#define TOML_ROOM_LEAST ((size_t)64 << 10)

static bool room_for(const toml_doc *d, size_t cap)
{
  return d->alloc == toml_libc && cap >= TOML_ROOM_MIN;
}

/* The bytes of the line table's part behind a text of cap bytes: none
 * for a text of one page, whose rest the nodes fill anyway. */
static size_t lines_part(size_t cap)
{
  return cap < TOML_HUGE_MIN ? 0 : pad8(small_lines(cap) * 2u);
}

/* The bytes of room behind a text of cap bytes and its line table's
 * part: the rest of their last page. */
static size_t room_size(size_t cap)
{
  size_t used = pad8(cap + TOML_PAD) + lines_part(cap);
  return ((used + TOML_HUGE_MIN - 1) & ~(TOML_HUGE_MIN - 1)) - used;
}

static uint16_t *room_lines(const toml_doc *d)
{
  return (uint16_t *)(d->buf + pad8(d->cap + TOML_PAD));
}

static toml_block *room_block(const toml_doc *d)
{
  return (toml_block *)((char *)room_lines(d) + lines_part(d->cap));
}

/* The bytes of the buffer's allocation. */
static size_t buf_size(const toml_doc *d)
{
  return d->one_size ? d->one_size
         : d->room
             ? pad8(d->cap + TOML_PAD) + lines_part(d->cap) + room_size(d->cap)
             : d->cap + TOML_PAD;
}

/* Whether p lies in the buffer's allocation past the text (a block in the
 * room). */
static bool in_room(const toml_doc *d, const void *p)
{
  return d->room && (const char *)p >= d->buf &&
         (const char *)p < d->buf + buf_size(d);
}

char *toml_doc_buffer(toml_doc *d, size_t cap)
{
  char *b;
  if (cap > TOML_MAX_TEXT)
    return NULL;
  if (d->buf && cap <= d->cap)
    return d->buf;
  if (!d->buf && one_fits(cap)) {
    size_t size = pad8(cap + TOML_PAD) + pad8(small_lines(cap) * 2u) +
                  2 * sizeof(char *) + sizeof(toml_block) +
                  ((size_t)small_units(cap) << 3);
    if (!(b = d->alloc(d->alloc_ud, NULL, 0, size)))
      return NULL;
    d->buf = b;
    d->cap = cap;
    d->one_size = size;
    return b;
  }
  if (!d->buf && room_for(d, cap)) {
    b = d->alloc(d->alloc_ud, NULL, 0,
                 pad8(cap + TOML_PAD) + lines_part(cap) + room_size(cap));
    if (!b)
      return NULL;
    d->room = true;
  } else if (d->room) { /* a text that grows before its parse: no room */
    if (d->room_taken ||
        !(b = d->alloc(d->alloc_ud, d->buf, buf_size(d), cap + TOML_PAD)))
      return NULL;
    d->room = false;
  } else if (d->one_size) { /* a small text that grows: on its own */
    if (d->parsed || !(b = d->alloc(d->alloc_ud, NULL, 0, cap + TOML_PAD)))
      return NULL;
    memcpy(b, d->buf, d->cap);
    mem_free(d, d->buf, d->one_size);
    d->one_size = 0;
  } else {
    b = d->alloc(d->alloc_ud, d->buf, d->buf ? d->cap + TOML_PAD : 0,
                 cap + TOML_PAD);
    if (!b)
      return NULL;
  }
  d->buf = b;
  d->cap = cap;
  return b;
}

void toml_doc_limit(toml_doc *d, size_t bytes) { d->budget = bytes; }

void toml_doc_keys(toml_doc *d, int form) { d->keys = (uint8_t)form; }

bool toml_budget_take(toml_doc *d, size_t bytes)
{
  if (d->budget && bytes > d->budget - d->used) {
    d->over = true;
    return false;
  }
  d->used += bytes;
  return true;
}

void toml_doc_free(toml_doc *d)
{
  toml_block *b, *next;
  if (!d)
    return;
  for (b = d->borrowed ? NULL : d->blocks; b; b = next) {
    next = b->next;
    if (!in_one(d, b) && !in_room(d, b))
      mem_free(d, b, b->bytes);
  }
  if (!in_one(d, d->dir))
    mem_free(d, d->dir, (size_t)d->dir_cap * sizeof *d->dir);
  if (!d->borrowed) {
    if (!in_one(d, d->lines) && !in_room(d, d->lines))
      mem_free(d, d->lines, (size_t)d->lines_cap * sizeof *d->lines);
    if (d->wins != &d->win0)
      mem_free(d, d->wins, (size_t)d->wins_cap * sizeof *d->wins);
    mem_free(d, d->buf, buf_size(d));
  }
  d->alloc(d->alloc_ud, d, sizeof *d + d->source_size, 0);
}

const toml_node *toml_doc_root(const toml_doc *d)
{
  return d && d->root ? toml_ptr(d, d->root) : NULL;
}

const char *toml_doc_source(const toml_doc *d) { return d->source; }

void *toml_doc_user(toml_doc *d) { return d->user; }

/* ---- arena ---- */

static uint32_t line_start(const toml_doc *d, uint32_t i);

/* The size of a block past 1 MiB (n units, units of them wanted now): what
 * the rest of the text should need at the rate of the text read so far
 * (where the last line starts), plus a sixteenth, when that is less than
 * n.  The block then ends near the last node.  With the default
 * allocator it ends at a huge page instead (the last page's unused part
 * costs less than the fault per 4 KiB its small pages would: 1.5 MiB of
 * them are some 400 faults at every parse), unless it would then take more
 * than a quarter of the budget left: near its limit a document keeps
 * the block the nodes need. */
static uint32_t rest_units(const toml_doc *d, uint32_t units, uint32_t n)
{
  size_t done = d->nlines ? line_start(d, d->nlines - 1) : 0;
  if (done < 4096 || done >= d->len)
    return n;
  uint64_t used = d->next_base - d->bump_left;
  uint64_t est = used * (d->len - done) / done;
  est += est / 16 + units + 1;
  if (est < TOML_BLOCK_MAX_UNITS)
    est = TOML_BLOCK_MAX_UNITS;
  est = (est + TOML_GRAN_UNITS - 1) & ~(uint64_t)(TOML_GRAN_UNITS - 1);
  if (est >= n)
    return n;
  if (d->alloc == toml_libc) {
    /* whole huge pages, less the granule that holds the header */
    const uint64_t page = TOML_HUGE_MIN >> 3;
    uint64_t whole =
        (est + TOML_GRAN_UNITS + page - 1) / page * page - TOML_GRAN_UNITS;
    if (whole < n && (!d->budget || sizeof(toml_block) + (whole << 3) <=
                                        (d->budget - d->used) / 4))
      est = whole;
  }
  return (uint32_t)est;
}

/* The first regular block of a text of len bytes (TOML_SMALL_TEXT or
 * more): a granule, or 2 MiB (a huge page) for a text of 8 MiB or more. */
static uint32_t first_units(size_t len)
{
  return len < ((size_t)8 << 20) ? TOML_GRAN_UNITS : 1u << 18;
}

/* Regular blocks double from 4 KiB to 8 MiB; a request larger than a
 * quarter of 1 MiB (a long child vector) gets a block of its own, so the
 * current block keeps serving nodes. */
void *toml_arena_grow(toml_doc *d, uint32_t units, uint32_t *ref)
{
  bool own = units > TOML_BLOCK_MAX_UNITS / 4;
  uint32_t n, grans, j;
  toml_block *b;
  char *data;
  size_t bytes;

  /* A small document (a plugin manifest) gets blocks sized by its text,
   * not whole granules: thousands of them stay small.  Its first block
   * has a unit per 2 bytes of text, plus 16 (manifests use one per 3 to
   * 6; toml_doc_trim gives back the rest), a later one twice the last;
   * each still owns a whole granule of refs.  Regular blocks double from
   * a granule (from 2 MiB for a text of 8 MiB or more, a huge page) to 8
   * MiB (TOML_BLOCK_GROW_UNITS); one past 1 MiB is halved
   * (down to 1 MiB) while it would take more than a quarter of the budget
   * left: near its limit, a document takes blocks of 1 MiB, so that the
   * limit is reached by what the nodes need, not by a block's room. */
  bool small = false, in_room_ = false;
  if (own) {
    n = (units + TOML_GRAN_UNITS - 1) & ~(TOML_GRAN_UNITS - 1);
  } else if (d->room && !d->room_taken &&
             room_size(d->cap) >= TOML_ROOM_LEAST &&
             (n = (uint32_t)((room_size(d->cap) - sizeof *b) >> 3) &
                  ~(TOML_GRAN_UNITS - 1)) >= units + 1 &&
             (!d->budget ||
              sizeof *b + ((size_t)n << 3) <= (d->budget - d->used) / 4)) {
    /* the first regular block of a text of a megabyte or more: its room
     * (a block there takes no more than a quarter of the budget left,
     * as a large block would); the blocks after it double as usual */
    in_room_ = true;
    if (!d->blocks)
      d->next_units = first_units(d->len);
  } else {
    if (!d->blocks)
      d->next_units = d->len < TOML_SMALL_TEXT ? small_units(d->len)
                                               : first_units(d->len);
    n = d->next_units;
    while (n < units + 1)
      n <<= 1;
    small = n < TOML_GRAN_UNITS;
    if (!small) /* whole granules */
      n = (n + TOML_GRAN_UNITS - 1) & ~(TOML_GRAN_UNITS - 1);
    while (d->budget && n > TOML_BLOCK_MAX_UNITS && n / 2 >= units + 1 &&
           !((n >> TOML_GRAN_SHIFT) & 1) &&
           ((size_t)n << 3) > (d->budget - d->used) / 4)
      n /= 2;
    if (n > TOML_BLOCK_MAX_UNITS)
      n = rest_units(d, units, n);
  }
  if (n < units || (uint64_t)d->next_base + n > UINT32_MAX)
    return NULL;
  bytes = sizeof *b + ((size_t)n << 3);
  grans = small ? 1 : n >> TOML_GRAN_SHIFT;
  /* the first block of a small text lies in its one allocation */
  bool one = small && !d->blocks && d->one_size && n <= small_units(d->cap);
  if (d->dir_len + grans > d->dir_cap) {
    uint32_t cap = d->dir_cap ? d->dir_cap : small ? 2 : 16;
    char **dir;
    while (cap < d->dir_len + grans)
      cap *= 2;
    if (!toml_budget_take(d, (size_t)(cap - d->dir_cap) * sizeof *dir))
      return NULL;
    dir = one && cap == 2
              ? one_dir(d)
              : part_resize(d, d->dir, (size_t)d->dir_cap * sizeof *dir,
                            (size_t)cap * sizeof *dir);
    if (!dir)
      return NULL;
    d->dir = dir;
    d->dir_cap = cap;
  }
  if (!toml_budget_take(d, bytes))
    return NULL;
  b = one ? one_block(d) : in_room_ ? room_block(d) : mem_alloc(d, bytes);
  if (!b)
    return NULL;
  if (in_room_)
    d->room_taken = true;
  b->doc = d;
  b->base = d->next_base;
  b->units = n;
  b->bytes = bytes;
  b->next = d->blocks;
  d->blocks = b;
  data = (char *)(b + 1);
  if (d->len < TOML_IMAGE_MAX_TEXT)
    memset(data, 0, (size_t)n << 3);
  for (j = 0; j < grans; j++)
    d->dir[d->dir_len++] = data + ((size_t)j << (TOML_GRAN_SHIFT + 3));
  d->next_base += small ? TOML_GRAN_UNITS : n;
  *ref = b->base;
  if (own)
    return data;
  if (b->base == 0) { /* ref 0 means "none": never hand it out */
    data += 8;
    *ref = 1;
    n--;
  }
  d->cur = b;
  d->bump = data + ((size_t)units << 3);
  d->bump_ref = *ref + units;
  d->bump_left = n - units;
  if (d->next_units < TOML_BLOCK_GROW_UNITS)
    d->next_units <<= 1;
  if (d->next_units > TOML_GRAN_UNITS) /* past small blocks: granules */
    d->next_units =
        (d->next_units + TOML_GRAN_UNITS - 1) & ~(TOML_GRAN_UNITS - 1);
  return data;
}

void toml_doc_trim(toml_doc *d)
{
  toml_block *b = d->cur;
  if (!d->parsed || !d->root || d->borrowed || !b || b != d->blocks ||
      b->next || b->units >= TOML_GRAN_UNITS)
    return; /* only a small document's one block */
  uint32_t used = d->bump_ref - b->base;
  size_t bytes = sizeof *b + ((size_t)used << 3);
  if (used == b->units)
    return;
  /* nodes address each other by refs and find their block by the
   * distance to its data, so a block that moved needs only its directory
   * entry and the pointers to it (and, in a small text's one allocation,
   * which shrinks whole, those to the text and the line table) */
  if (in_one(d, b)) {
    size_t size = (size_t)((char *)b - d->buf) + bytes;
    char *nbuf = d->alloc(d->alloc_ud, d->buf, d->one_size, size);
    if (!nbuf) /* it keeps its room */
      return;
    if (nbuf != d->buf) {
      bool lines_in = in_one(d, d->lines), dir_in = in_one(d, d->dir);
      if (lines_in)
        d->lines = (uint16_t *)(nbuf + ((char *)d->lines - d->buf));
      if (dir_in)
        d->dir = (char **)(nbuf + ((char *)d->dir - d->buf));
      b = (toml_block *)(nbuf + ((char *)b - d->buf));
      d->buf = nbuf;
    }
    d->one_size = size;
  } else {
    b = d->alloc(d->alloc_ud, b, b->bytes, bytes);
    if (!b) /* it keeps its room */
      return;
  }
  b->units = used;
  b->bytes = bytes;
  d->blocks = d->cur = b;
  d->dir[0] = (char *)(b + 1);
  d->bump = (char *)(b + 1) + ((size_t)used << 3);
  d->bump_left = 0;
}

/* Vectors hold child refs; a vector of count c has capacity 2 (c <= 2) or
 * the next power of two, so the capacity needs no storage.  A vector that
 * is outgrown goes to a free list of its size for another container. */
bool toml_vec_grow_push(toml_doc *d, toml_node *c, uint32_t child)
{
  uint32_t n = c->u.c.count;
  uint32_t *v;
  if (n < 2 ? n == 0 : (n & (n - 1)) == 0) {
    unsigned k = n == 0 ? 1 : (unsigned)__builtin_ctz(n) + 1;
    uint32_t ref;
    if (k >= 31)
      return false;
    uint32_t *free_vec = d->build->free_vec;
    if (free_vec[k]) {
      ref = free_vec[k];
      v = toml_ptr(d, ref);
      free_vec[k] = v[0];
    } else {
      v = toml_alloc_units(d, 1u << (k - 1), &ref);
      if (!v)
        return false;
    }
    if (n) {
      uint32_t *old = toml_ptr(d, c->u.c.vec);
      memcpy(v, old, (size_t)n * sizeof *v);
      old[0] = free_vec[k - 1];
      free_vec[k - 1] = c->u.c.vec;
    }
    c->u.c.vec = ref;
  } else {
    v = toml_ptr(d, c->u.c.vec);
  }
  v[n] = child;
  c->u.c.count = n + 1;
  return true;
}

bool toml_vec_set(toml_doc *d, toml_node *c, const uint32_t *refs, uint32_t n)
{
  uint32_t ref = 0;
  if (n) {
    uint32_t *v = toml_alloc_units(d, (n + 1) / 2, &ref);
    if (!v)
      return false;
    memcpy(v, refs, (size_t)n * sizeof *v);
  }
  c->u.c.vec = ref;
  c->u.c.count = n;
  return true;
}

/* ---- line table ---- */

/* Room for one more window start. */
static bool wins_grow(toml_doc *d)
{
  uint32_t cap = d->wins_cap * 2, *w;
  if (!d->wins_cap) { /* the first window needs no allocation */
    d->wins = &d->win0;
    d->wins_cap = 1;
    return true;
  }
  if (cap < d->wins_cap ||
      !toml_budget_take(d, (size_t)(cap - d->wins_cap) * sizeof *w))
    return false;
  bool inline_ = d->wins == &d->win0;
  w = d->alloc(d->alloc_ud, inline_ ? NULL : d->wins,
               inline_ ? 0 : (size_t)d->wins_cap * sizeof *w,
               (size_t)cap * sizeof *w);
  if (!w)
    return false;
  if (inline_)
    w[0] = d->win0;
  d->wins = w;
  d->wins_cap = cap;
  return true;
}

bool toml_lines_grow(toml_doc *d, uint32_t off)
{
  while ((off >> 16) >= d->nwins) { /* windows without a line start too */
    if (d->nwins == d->wins_cap && !wins_grow(d))
      return false;
    d->wins[d->nwins++] = d->nlines;
  }
  if (d->nlines < d->lines_cap)
    return true;
  uint32_t cap = d->lines_cap ? d->lines_cap * 2 : 16;
  if (!d->lines_cap && d->len < TOML_SMALL_TEXT)
    /* room for a line per 16 bytes, plus 4 (a manifest's lines are 20 to
     * 30 bytes): a small document's table should not grow, so that its
     * block of nodes, made next, stays the newest allocation (which
     * toml_doc_trim shrinks in place) */
    cap = small_lines(d->one_size ? d->cap : d->len);
  else if (!d->lines_cap && d->room && lines_part(d->cap))
    cap = small_lines(d->cap); /* its part in the buffer */
  uint16_t *l;
  if (cap < d->lines_cap ||
      !toml_budget_take(d, (size_t)(cap - d->lines_cap) * sizeof *l))
    return false;
  l = !d->lines_cap && d->one_size ? one_lines(d)
      : !d->lines_cap && d->room && lines_part(d->cap)
          ? room_lines(d)
          : part_resize(d, d->lines, (size_t)d->lines_cap * sizeof *l,
                        (size_t)cap * sizeof *l);
  if (!l)
    return false;
  d->lines = l;
  d->lines_cap = cap;
  return true;
}

/* The byte offset where line i (0-based) starts: its low 16 bits, in the
 * last window whose first line is not after it. */
static uint32_t line_start(const toml_doc *d, uint32_t i)
{
  uint32_t lo = 0, hi = d->nwins;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->wins[mid] <= i)
      lo = mid;
    else
      hi = mid;
  }
  return lo << 16 | d->lines[i];
}

void toml_offset_pos(const toml_doc *d, uint32_t off, int *line, int *col)
{
  if (!d->nlines) {
    *line = 1;
    *col = (int)off + 1;
    return;
  }
  /* the lines starting in off's window are [lo, end): the last of them at
   * or before off, else the last line before the window */
  uint32_t w = off >> 16, low = off & 0xFFFF;
  uint32_t lo = w < d->nwins ? d->wins[w] : d->nlines;
  uint32_t end = w + 1 < d->nwins ? d->wins[w + 1] : d->nlines, i;
  if (lo < end && d->lines[lo] <= low) {
    uint32_t hi = end;
    while (hi - lo > 1) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (d->lines[mid] <= low)
        lo = mid;
      else
        hi = mid;
    }
    i = lo;
  } else {
    i = lo ? lo - 1 : 0;
  }
  uint32_t start = line_start(d, i);
  *line = (int)i + 1;
  *col = off >= start ? (int)(off - start) + 1 : 1;
}
