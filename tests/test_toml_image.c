/* test_toml_image.c -- document images (src/toml/toml_image.c), the form in
 * which the metadata cache keeps parsed manifests: a document loaded from
 * its image reads exactly like the parsed one, and a damaged image is
 * refused or, when every node still checks out, read without a single
 * access out of bounds (the sanitizers watch every byte of the sweep).
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml/toml.h"

/* Every kind, quoted and dotted keys, an array of tables, inline tables,
 * and a table large enough to be indexed (more than 8 keys). */
static const char text[] =
    "# a manifest-like document\n"
    "name = \"img\"\nversion = \"1.2.3\"\nlazy = true\nabi = 7\n"
    "ratio = 0.25\nwhen = 1979-05-27T07:32:00Z\nday = 1979-05-27\n"
    "at = 07:32:00\nlocal = 1979-05-27T07:32:00.5\n"
    "\"quoted key\" = 'literal'\nrequires = [\"a\", \"b >= 1.0\", [1, 2]]\n"
    "inline = { x = 1, y.z = \"deep\" }\n"
    "[big]\nk0 = 0\nk1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\nk6 = 6\n"
    "k7 = 7\nk8 = 8\nk9 = 9\nk10 = \"ten\"\n"
    "[[provides]]\nkind = \"cache\"\ntag = \"one\"\n"
    "[provides.config]\nsize = { type = \"integer\", min = 0 }\n"
    "[[provides]]\nkind = \"cache\"\ntag = \"two\"\n";

static toml_doc *parse_with(toml_alloc_fn alloc, void *ud)
{
  toml_doc *d = toml_doc_new(alloc, ud, "img.toml");
  cr_assert_not_null(d);
  char *buf = toml_doc_buffer(d, sizeof text - 1);
  cr_assert_not_null(buf);
  memcpy(buf, text, sizeof text - 1);
  toml_error e;
  cr_assert_eq(toml_doc_parse(d, sizeof text - 1, TOML_1_0, &e), TOML_OK,
               "%s", e.message);
  return d;
}

static toml_doc *parse(void) { return parse_with(NULL, NULL); }

typedef struct out {
  char *s;
  size_t n, cap;
} out;

static void put(out *o, const char *fmt, ...)
{
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int k = vsnprintf(o->s + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    cr_assert_geq(k, 0);
    if ((size_t)k < o->cap - o->n) {
      o->n += (size_t)k;
      return;
    }
    o->cap = o->cap * 2 + (size_t)k + 64;
    o->s = realloc(o->s, o->cap);
    cr_assert_not_null(o->s);
  }
}

/* Everything a reader can get from n: kinds, positions, scalars, keys, and
 * each key looked up again by name. */
static void dump(out *o, const toml_node *n, int depth)
{
  cr_assert_leq(depth, 2 * TOML_MAX_DEPTH + 4);
  toml_kind k = toml_node_kind(n);
  toml_pos p = toml_node_pos(n);
  put(o, "<%d %d:%d>", (int)k, p.line, p.col);
  size_t len, count = toml_node_count(n);
  toml_datetime dt;
  switch (k) {
  case TOML_STRING: {
    const char *s = toml_node_string(n, &len);
    put(o, "\"%.*s\"%zu", (int)len, s, len);
    break;
  }
  case TOML_INTEGER: put(o, "%lld", (long long)toml_node_integer(n)); break;
  case TOML_FLOAT: put(o, "%g", toml_node_float(n)); break;
  case TOML_BOOL: put(o, "%d", toml_node_bool(n)); break;
  case TOML_TABLE:
    for (size_t i = 0; i < count; i++) {
      const char *key;
      const toml_node *v = toml_table_entry_at(n, i, &key, &len);
      toml_pos kp = toml_table_key_pos_at(n, i);
      put(o, "{%.*s@%d:%d=", (int)len, key, kp.line, kp.col);
      dump(o, v, depth + 1);
      put(o, "%s}", toml_table_get(n, key, len) ? "" : "!lookup");
    }
    break;
  case TOML_ARRAY:
    for (size_t i = 0; i < count; i++)
      dump(o, toml_node_at(n, i), depth + 1);
    break;
  default:
    toml_node_datetime(n, &dt);
    put(o, "%d-%d-%dT%d:%d:%d.%d%+d", dt.year, dt.month, dt.day, dt.hour,
        dt.minute, dt.second, dt.nanosecond, dt.offset_minutes);
  }
}

static char *dump_doc(const toml_doc *d)
{
  out o = {malloc(256), 0, 256};
  cr_assert_not_null(o.s);
  put(&o, "%s:", toml_doc_source(d));
  dump(&o, toml_doc_root(d), 0);
  return o.s;
}

/* An image of d in 8-aligned memory of its own. */
static void *image_of(const toml_doc *d, size_t *len)
{
  *len = toml_doc_image(d, NULL, 0);
  cr_assert_gt(*len, 0);
  cr_assert_eq(*len % 8, 0);
  void *img = aligned_alloc(8, *len);
  cr_assert_not_null(img);
  cr_assert_eq(toml_doc_image(d, img, *len), *len);
  return img;
}

Test(toml_image, loads_as_parsed)
{
  toml_doc *d = parse();
  char *want = dump_doc(d);
  size_t len;
  void *img = image_of(d, &len);
  toml_doc *c = toml_doc_new(NULL, NULL, "img.toml");
  cr_assert_eq(toml_doc_from_image(c, img, len), TOML_OK);
  char *got = dump_doc(c);
  cr_assert_str_eq(got, want);
  cr_assert_null(strstr(got, "!lookup"));
  /* an image of the loaded document is the same image, once cleared */
  size_t len2;
  void *img2 = image_of(c, &len2);
  toml_image_clear(img, len);
  cr_assert_eq(len2, len);
  cr_assert(memcmp(img, img2, len) == 0);
  toml_doc_free(c);
  toml_doc_free(d);
  free(img);
  free(img2);
  free(got);
  free(want);
}

/* An allocator that moves every block it resizes (a new block, the bytes
 * copied, the old one freed); *ud counts the bytes alive. */
static void *moving(void *ud, void *p, size_t old, size_t n)
{
  size_t *live = ud;
  void *q = n ? malloc(n) : NULL;
  if (n && !q)
    return NULL;
  if (p && q)
    memcpy(q, p, old < n ? old : n);
  if (p) {
    free(p);
    *live -= old;
  }
  *live += n;
  return q;
}

/* toml_doc_trim (issue 18): a small document's block gives back the room
 * its nodes did not use, and the document reads and images the same, even
 * when the allocator moves the block. */
Test(toml_image, a_trimmed_document_reads_and_images_the_same)
{
  toml_doc *d = parse();
  char *want = dump_doc(d);
  size_t len, len2, live = 0;
  void *img = image_of(d, &len);
  toml_doc *t = parse_with(moving, &live);
  size_t untrimmed = live;
  toml_doc_trim(t);
  cr_assert_lt(live, untrimmed);
  /* nodes, text, lines and the rest: under 5 bytes a byte of text (a
   * document of many small values; a manifest takes about 3.5) */
  cr_assert_leq(live, 5 * (sizeof text - 1), "%zu bytes for %zu of text", live,
                sizeof text - 1);
  char *got = dump_doc(t);
  cr_assert_str_eq(got, want);
  void *img2 = image_of(t, &len2);
  cr_assert_eq(len2, len);
  cr_assert(memcmp(img, img2, len) == 0);
  toml_doc_trim(t); /* nothing left to give back */
  free(got);
  got = dump_doc(t);
  cr_assert_str_eq(got, want);
  toml_doc_free(t);
  cr_assert_eq(live, 0);
  toml_doc_free(d);
  free(img);
  free(img2);
  free(got);
  free(want);
}

Test(toml_image, refuses_bad_layouts)
{
  toml_doc *d = parse();
  size_t len;
  char *img = image_of(d, &len);
  char *copy = aligned_alloc(8, len + 8);
  toml_doc *c;
  /* misaligned, short, long */
  memcpy(copy + 4, img, len);
  c = toml_doc_new(NULL, NULL, NULL);
  cr_assert_eq(toml_doc_from_image(c, copy + 4, len), TOML_ESYNTAX);
  toml_doc_free(c);
  size_t sizes[] = {0, 8, len - 8, len + 8};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    memcpy(copy, img, len);
    c = toml_doc_new(NULL, NULL, NULL);
    cr_assert_eq(toml_doc_from_image(c, copy, sizes[i]), TOML_ESYNTAX,
                 "size %zu", sizes[i]);
    toml_doc_free(c);
  }
  /* the root ref pointing at 0, outside, or at the first key's value */
  uint32_t root;
  memcpy(&root, img, 4);
  uint32_t roots[] = {0, 0x7fffffff, root + 2};
  for (size_t i = 0; i < 3; i++) {
    memcpy(copy, img, len);
    memcpy(copy, &roots[i], 4);
    c = toml_doc_new(NULL, NULL, NULL);
    cr_assert_eq(toml_doc_from_image(c, copy, len), TOML_ESYNTAX,
                 "root %u", roots[i]);
    toml_doc_free(c);
  }
  toml_doc_free(d);
  free(img);
  free(copy);
}

/* Every byte of the image damaged in turn, three ways: each load is
 * refused or gives a document that reads in bounds. */
static toml_doc *parse_text(const char *src, toml_version v, bool wide,
                            char *msg, size_t cap);

/* The sweep over an image of the document's default entries (wide: its
 * text is small), then over one of narrow entries. */
Test(toml_image, damage_sweep_reads_in_bounds, .timeout = 240)
{
  for (int narrow = 0; narrow < 2; narrow++) {
    char msg[600];
    toml_doc *d =
        narrow ? parse_text(text, TOML_1_0, false, msg, sizeof msg) : parse();
    cr_assert_not_null(d);
    size_t len;
    unsigned char *img = image_of(d, &len);
    unsigned char *copy = aligned_alloc(8, len);
    const unsigned char flips[] = {0x01, 0x80, 0xff};
    size_t refused = 0, loaded = 0;
    for (size_t at = 0; at < len; at++)
      for (size_t f = 0; f < sizeof flips; f++) {
        memcpy(copy, img, len);
        copy[at] ^= flips[f];
        toml_doc *c = toml_doc_new(NULL, NULL, "img.toml");
        cr_assert_not_null(c);
        if (toml_doc_from_image(c, copy, len) == TOML_OK) {
          free(dump_doc(c));
          loaded++;
        } else {
          refused++;
        }
        toml_doc_free(c);
      }
    /* both happen: text bytes change values, refs and lengths get refused */
    cr_assert_gt(refused, len / 2, "refused %zu of %zu", refused, 3 * len);
    cr_assert_gt(loaded, 0);
    toml_doc_free(d);
    free(img);
    free(copy);
  }
}

/* text parsed as version v, with every entry wide (the general path) or
 * with narrow entries where a key has no escapes; NULL with the error's
 * message in msg when the text is invalid. */
static toml_doc *parse_text(const char *src, toml_version v, bool wide,
                            char *msg, size_t cap)
{
  size_t n = strlen(src);
  toml_doc *d = toml_doc_new(NULL, NULL, "keys.toml");
  cr_assert_not_null(d);
  toml_doc_keys(d, wide ? TOML_KEYS_WIDE : TOML_KEYS_NARROW);
  char *buf = toml_doc_buffer(d, n);
  cr_assert_not_null(buf);
  memcpy(buf, src, n);
  toml_error e;
  if (toml_doc_parse(d, n, v, &e) != TOML_OK) {
    snprintf(msg, cap, "%d:%d: %s", e.line, e.col, e.message);
    toml_doc_free(d);
    return NULL;
  }
  return d;
}

/* Narrow entries (16 bytes: the key's length and the value's position
 * re-read from the text) read exactly like wide ones on the same texts:
 * every kind, position, key, key position and lookup, from the parse and
 * from an image; and every error message is the same. */
Test(toml_image, narrow_entries_read_like_wide_ones)
{
  static const char *const valid[] = {
      text,
      "a=1\nb =2\nc= 3\n\"q\"=4\n'l' = 5\n\"e\\u0041\" = 6\nd.e.f = 7\n"
      "d . g = 1979-05-27\nt\t=\t1979-05-27T07:32:00Z\n\"\" = 8\n'y'.x = 9\n"
      "[h.i]\nj = [1, {k = 2, l.m = 1979-05-27, \"n\\to\" = 07:32:00}]\n"
      "[[n]]\no = 1\n\"a\\u0000b\" = 1\na.b = 2\n\"s p\" . 'c e' = 3\n"
      "[h]\nz = 1\n[h.i.p]\nq = 1979-05-27T07:32:00.5\n",
      "a = 1\r\nb.c = 2\r\n[t]\r\nx = 1979-05-27\r\n[[u]]\r\nk = 'v'\r\n",
      "x = {\n  a = 1, # one\n  b.c = 1979-05-27,\n}\nlast = 1",
      "big = { k0 = 0, k1 = 1, k2 = 2, k3 = 3, k4 = 4, k5 = 5, k6 = 6, "
      "k7 = 7, k8 = 8, \"k\\u0039\" = 9, k10 = 10, d.x = 1979-05-27 }",
      /* keys of 63 bytes (narrow) and 64 (wide: the packed length's max) */
      "k23456789012345678901234567890123456789012345678901234567890123 = 1\n"
      "k234567890123456789012345678901234567890123456789012345678901234 = 2\n"
      "\"q2345678901234567890123456789012345678901234567890123456789012\""
      ".d = 3\n",
  };
  for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
    char msg[600];
    toml_version v = i == 3 ? TOML_1_1 : TOML_1_0;
    toml_doc *w = parse_text(valid[i], v, true, msg, sizeof msg);
    cr_assert_not_null(w, "text %zu: %s", i, msg);
    toml_doc *d = parse_text(valid[i], v, false, msg, sizeof msg);
    cr_assert_not_null(d, "text %zu: %s", i, msg);
    char *want = dump_doc(w), *got = dump_doc(d);
    cr_assert_str_eq(got, want, "text %zu", i);
    cr_assert_null(strstr(got, "!lookup"), "text %zu", i);
    size_t len;
    void *img = image_of(d, &len);
    toml_doc *c = toml_doc_new(NULL, NULL, "keys.toml");
    cr_assert_eq(toml_doc_from_image(c, img, len), TOML_OK, "text %zu", i);
    char *from_img = dump_doc(c);
    cr_assert_str_eq(from_img, want, "text %zu", i);
    /* a key with a NUL finds its own entry, never a narrow key's prefix */
    const toml_node *n = toml_table_get(toml_doc_root(d), "n", 1);
    if (n) {
      const toml_node *t = toml_node_at(n, 0);
      const toml_node *ab = toml_table_get(t, "a\0b", 3);
      cr_assert_not_null(ab);
      cr_assert_eq(toml_node_integer(ab), 1);
      cr_assert_null(toml_table_get(t, "a\0", 2));
      cr_assert_eq(toml_node_kind(toml_table_get(t, "a", 1)), TOML_TABLE);
    }
    toml_doc_free(c);
    toml_doc_free(d);
    toml_doc_free(w);
    free(img);
    free(from_img);
    free(got);
    free(want);
  }
  static const char *const invalid[] = {
      "a = 1\na = 2\n",
      "\"k\" = 1\nk = 2\n",
      "'k' = 1\n\"\\u006b\" = 2\n",
      "k=1\n\"\\u006b\"=2\n",
      "\"a\\u0000b\" = 1\n\"a\\u0000b\" = 2\n",
      "x.y = 1\n[x]\n",
      "[t]\nx.y = 1\n[t.x]\n",
      "a = {b = 1}\na.c = 2\n",
      "d = 1979-05-27\nd.x = 1\n",
      "d  =  1979-05-27\n[d]\n",
      "a.b = 1\n[a.b]\n",
      "a = [1]\n[[a]]\n",
      "[[a]]\n[a]\n",
      "[a]\nb = 1\n[a]\n",
      "p.q = 1\np = 2\n",
  };
  for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
    char want[600] = "", got[600] = "";
    cr_assert_null(parse_text(invalid[i], TOML_1_1, true, want, sizeof want));
    cr_assert_null(parse_text(invalid[i], TOML_1_1, false, got, sizeof got));
    cr_assert_str_eq(got, want, "invalid text %zu", i);
  }
}

/* An image's narrow entry is checked before use: the narrow flag on an
 * array item or the root, or a narrow key starting past the text, is
 * refused. */
Test(toml_image, refuses_bad_narrow_entries)
{
  char msg[600];
  toml_doc *d = parse_text("k = [1]\n", TOML_1_0, false, msg, sizeof msg);
  cr_assert_not_null(d, "%s", msg);
  const toml_node *root = toml_doc_root(d);
  const toml_node *k = toml_table_get(root, "k", 1);
  const toml_node *item = toml_node_at(k, 0);
  size_t len;
  char *img = image_of(d, &len);
  /* find each node's 16 bytes in the image by their contents */
  const toml_node *nodes[] = {root, k, item};
  size_t at[3];
  for (size_t i = 0; i < 3; i++) {
    at[i] = SIZE_MAX;
    for (size_t j = 0; j + 16 <= len; j += 8)
      if (memcmp(img + j, nodes[i], 16) == 0)
        at[i] = j;
    cr_assert_neq(at[i], SIZE_MAX, "node %zu", i);
  }
  char *copy = aligned_alloc(8, len);
  cr_assert_not_null(copy);
  /* the narrow flag is bit 10 of the meta word (bytes 12..15) */
  for (size_t i = 0; i < 4; i++) {
    uint32_t meta, pos;
    memcpy(copy, img, len);
    size_t node = at[i == 3 ? 1 : i];
    memcpy(&meta, copy + node + 12, 4);
    memcpy(&pos, copy + node + 8, 4);
    if (i == 1) {
      cr_assert(meta & (1u << 10), "k is narrow");
      meta &= ~(1u << 10); /* wide: its key words lie past the node */
    } else if (i == 3) {
      pos = 0x7ffffff0; /* k's key far past the text */
    } else {
      meta |= 1u << 10;
    }
    memcpy(copy + node + 12, &meta, 4);
    memcpy(copy + node + 8, &pos, 4);
    toml_doc *c = toml_doc_new(NULL, NULL, NULL);
    toml_status st = toml_doc_from_image(c, copy, len);
    if (i == 1 && st == TOML_OK) { /* read as wide: it still reads in bounds */
      char *s = dump_doc(c);
      free(s);
    } else {
      cr_assert_eq(st, TOML_ESYNTAX, "case %zu", i);
    }
    toml_doc_free(c);
  }
  toml_doc_free(d);
  free(img);
  free(copy);
}
