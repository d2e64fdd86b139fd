/* toml_image.c -- a parsed document as a flat image, and back, for the
 * metadata cache.
 *
 * Nodes address each other by refs and find their block from a slot
 * relative to the block's data, so a document can be copied block by block
 * and used again once its directory and block headers are rebuilt: no node
 * is rewritten.  Image layout (native byte order, 4-byte words):
 *
 *   root, nlines, len, nblocks
 *   nblocks x (base, units)    units: those in use (the current block's
 *                              unused tail is left out)
 *   the blocks' data, in that order (8-byte units)
 *   nlines line starts
 *   len bytes of decoded text, padded to 4 bytes
 *
 * SPDX-License-Identifier: MIT */
#include "toml_impl.h"

enum { HEAD_WORDS = 4 };

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

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Units of b holding nodes: all but the current block's unused tail. */
static uint32_t used_units(const toml_doc *d, const toml_block *b)
{
  return b == d->cur ? d->bump_ref - b->base : b->units;
}

#define MAX_BLOCKS 64 /* a manifest has one or two; larger documents skip */

size_t toml_doc_image(const toml_doc *d, void *out, size_t cap)
{
  const toml_block *bl[MAX_BLOCKS];
  if (!d->parsed || !d->root)
    return 0;
  uint32_t n = blocks_by_base(d, bl, MAX_BLOCKS);
  if (n > MAX_BLOCKS)
    return 0;
  size_t need = (HEAD_WORDS + 2 * (size_t)n) * 4 +
                (size_t)d->nlines * 4 + pad4(d->len);
  for (uint32_t i = 0; i < n; i++)
    need += (size_t)used_units(d, bl[i]) << 3;
  if (!out || cap < need)
    return need;
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
    memcpy(p, bl[i] + 1, bytes);
    p += bytes;
  }
  memcpy(p, d->lines, (size_t)d->nlines * 4);
  p += (size_t)d->nlines * 4;
  memcpy(p, d->buf, d->len);
  memset(p + d->len, 0, pad4(d->len) - d->len);
  return need;
}

/* Granules of refs that units units span. */
static uint32_t grans_of(uint32_t units)
{
  return (units + TOML_GRAN_UNITS - 1) >> TOML_GRAN_SHIFT;
}

toml_status toml_doc_from_image(toml_doc *d, const void *img, size_t size)
{
  const uint32_t *w = img;
  if (d->parsed || d->blocks || ((uintptr_t)img & 3) ||
      size < HEAD_WORDS * 4)
    return TOML_ESYNTAX;
  uint32_t root = w[0], nlines = w[1], len = w[2], n = w[3];
  if (n == 0 || n > MAX_BLOCKS || size < (HEAD_WORDS + 2 * (size_t)n) * 4)
    return TOML_ESYNTAX;
  const uint32_t *bw = w + HEAD_WORDS;
  /* blocks in ref order, on granule boundaries, not overlapping, the root
   * inside one, and the sizes adding up to the image */
  size_t need = (HEAD_WORDS + 2 * (size_t)n) * 4 + (size_t)nlines * 4 +
                pad4(len);
  uint64_t end = 0;
  bool root_in = false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t base = bw[2 * i], units = bw[2 * i + 1];
    if (units == 0 || base < end || (base & (TOML_GRAN_UNITS - 1)))
      return TOML_ESYNTAX;
    root_in |= root >= base && root < base + (uint64_t)units;
    end = (uint64_t)base + units;
    need += (size_t)units << 3;
  }
  if (!root_in || root == 0 || need != size || end > UINT32_MAX)
    return TOML_ESYNTAX;

  uint32_t grans = grans_of((uint32_t)end);
  d->dir = d->alloc(d->alloc_ud, NULL, 0, (size_t)grans * sizeof *d->dir);
  if (!d->dir || !toml_doc_buffer(d, len))
    return TOML_ENOMEM;
  memset(d->dir, 0, (size_t)grans * sizeof *d->dir);
  d->dir_cap = d->dir_len = grans;
  const char *p = (const char *)(bw + 2 * n);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t base = bw[2 * i], units = bw[2 * i + 1];
    size_t bytes = sizeof(toml_block) + ((size_t)units << 3);
    toml_block *b = d->alloc(d->alloc_ud, NULL, 0, bytes);
    if (!b)
      return TOML_ENOMEM;
    *b = (toml_block){d->blocks, d, base, units, bytes};
    d->blocks = b;
    memcpy(b + 1, p, (size_t)units << 3);
    p += (size_t)units << 3;
    for (uint32_t j = 0; j < grans_of(units); j++)
      d->dir[(base >> TOML_GRAN_SHIFT) + j] =
          (char *)(b + 1) + ((size_t)j << (TOML_GRAN_SHIFT + 3));
  }
  if (nlines) {
    d->lines = d->alloc(d->alloc_ud, NULL, 0, (size_t)nlines * 4);
    if (!d->lines)
      return TOML_ENOMEM;
    d->lines_cap = d->nlines = nlines;
    memcpy(d->lines, p, (size_t)nlines * 4);
    p += (size_t)nlines * 4;
  }
  memcpy(d->buf, p, len);
  memset(d->buf + len, 0, TOML_PAD);
  d->len = len;
  d->next_base = grans << TOML_GRAN_SHIFT;
  d->root = root;
  d->parsed = true;
  return TOML_OK;
}
