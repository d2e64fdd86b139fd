/* test_toml_memory.c -- how the TOML reader (src/toml/) takes its memory:
 * large requests of the default allocator are mappings advised as huge
 * pages, a text of a megabyte or more holds its line table and first
 * block of nodes in its last huge page,
 * blocks of more than 1 MiB never make a budget run out sooner, and a
 * small text is one allocation besides the document, and the documents
 * and errors are the same whichever memory they lie in.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml/toml.h"

/* An allocator over malloc that counts its calls; with move, every
 * reallocation moves (and the old bytes are lost). */
typedef struct counted {
  long calls; /* allocations and reallocations */
  bool move;
} counted;

static void *count_alloc(void *ud, void *p, size_t old_size, size_t new_size)
{
  counted *c = ud;
  if (!new_size) {
    free(p);
    return NULL;
  }
  c->calls++;
  if (!c->move || !p)
    return realloc(p, new_size);
  void *q = malloc(new_size);
  if (q) {
    memcpy(q, p, old_size < new_size ? old_size : new_size);
    memset(p, 0xA5, old_size);
    free(p);
  }
  return q;
}

/* "[t]" and n lines "kNNNNNNN = D": one table of n keys. */
static char *keys_text(size_t n, size_t *len)
{
  char *text = malloc(n * 16 + 8), *p = text;
  cr_assert_not_null(text);
  p += sprintf(p, "[t]\n");
  for (size_t i = 0; i < n; i++)
    p += sprintf(p, "k%07zu = %zu\n", i, i % 10);
  *len = (size_t)(p - text);
  return text;
}

static toml_status parse_into(toml_doc *d, const char *text, size_t len,
                              size_t budget, toml_error *e)
{
  char *buf = toml_doc_buffer(d, len);
  cr_assert_not_null(buf);
  memcpy(buf, text, len);
  toml_doc_limit(d, budget);
  return toml_doc_parse(d, len, TOML_1_1, e);
}

/* Asserts that trees a and b hold the same kinds, keys, scalars and
 * positions. */
static void same_tree(const toml_node *a, const toml_node *b)
{
  toml_kind k = toml_node_kind(a);
  toml_pos pa = toml_node_pos(a), pb = toml_node_pos(b);
  cr_assert_eq(k, toml_node_kind(b));
  cr_assert(pa.line == pb.line && pa.col == pb.col, "%d:%d vs %d:%d", pa.line,
            pa.col, pb.line, pb.col);
  size_t n = toml_node_count(a), la, lb;
  cr_assert_eq(n, toml_node_count(b));
  switch (k) {
  case TOML_STRING: {
    const char *sa = toml_node_string(a, &la), *sb = toml_node_string(b, &lb);
    cr_assert(la == lb && memcmp(sa, sb, la) == 0);
    break;
  }
  case TOML_INTEGER:
    cr_assert_eq(toml_node_integer(a), toml_node_integer(b));
    break;
  case TOML_TABLE:
    for (size_t i = 0; i < n; i++) {
      const char *ka, *kb;
      const toml_node *va = toml_table_entry_at(a, i, &ka, &la);
      const toml_node *vb = toml_table_entry_at(b, i, &kb, &lb);
      cr_assert(la == lb && memcmp(ka, kb, la) == 0);
      same_tree(va, vb);
    }
    break;
  case TOML_ARRAY:
    for (size_t i = 0; i < n; i++)
      same_tree(toml_node_at(a, i), toml_node_at(b, i));
    break;
  default:
    break;
  }
}

/* 650 000 keys: 8.5 MB of text (whole huge pages, its line table and
 * first block in the last one), then blocks of 4 MiB and more (huge
 * mappings too, the last one ending at a huge page): read the same as
 * from malloc'ed memory, and a duplicate at the end gives the same
 * error. */
Test(toml_memory, huge_mappings_read_like_malloced_memory)
{
  size_t n = 650000, len;
  char *text = keys_text(n, &len);
  cr_assert_gt(len, (size_t)8 << 20);
  toml_doc *a = toml_doc_new(NULL, NULL, "big.toml");
  counted plain = {0};
  toml_doc *b = toml_doc_new(count_alloc, &plain, "big.toml");
  toml_error e;
  cr_assert_eq(parse_into(a, text, len, 0, &e), TOML_OK, "%s", e.message);
  cr_assert_eq(parse_into(b, text, len, 0, &e), TOML_OK, "%s", e.message);
  const toml_node *t = toml_table_get(toml_doc_root(a), "t", 1);
  cr_assert_not_null(t);
  cr_assert_eq(toml_node_count(t), n);
  cr_assert_eq(toml_node_integer(toml_table_get(t, "k0649999", 8)), 9);
  same_tree(toml_doc_root(a), toml_doc_root(b));
  toml_doc_free(a);
  toml_doc_free(b);

  char *dup = malloc(len + 32);
  memcpy(dup, text, len);
  size_t dlen = len + (size_t)sprintf(dup + len, "k0000005 = 1\n");
  toml_error ea, eb;
  a = toml_doc_new(NULL, NULL, "big.toml");
  b = toml_doc_new(count_alloc, &plain, "big.toml");
  cr_assert_eq(parse_into(a, dup, dlen, 0, &ea), TOML_ESYNTAX);
  cr_assert_eq(parse_into(b, dup, dlen, 0, &eb), TOML_ESYNTAX);
  cr_assert_eq(ea.line, (int)n + 2);
  cr_assert_eq(ea.col, 1);
  cr_assert(ea.line == eb.line && ea.col == eb.col);
  cr_assert_str_eq(ea.message, eb.message);
  cr_assert_str_eq(ea.message,
                   "duplicate key \"k0000005\" (first defined at 7:1)");
  toml_doc_free(a);
  toml_doc_free(b);
  free(dup);
  free(text);
}

/* A buffer that grows across the huge threshold (malloc -> mapping ->
 * larger mapping, as reading standard input does) keeps its bytes. */
Test(toml_memory, a_buffer_grows_into_huge_mappings_with_its_bytes)
{
  toml_doc *d = toml_doc_new(NULL, NULL, "grow.toml");
  size_t sizes[] = {1 << 20, 3 << 20, 9 << 20}, filled = 0;
  for (size_t s = 0; s < 3; s++) {
    unsigned char *buf = (unsigned char *)toml_doc_buffer(d, sizes[s]);
    cr_assert_not_null(buf);
    for (size_t i = 0; i < filled; i++)
      cr_assert_eq(buf[i], (unsigned char)(i * 7 + i / 4096), "byte %zu", i);
    for (size_t i = filled; i < sizes[s]; i++)
      buf[i] = (unsigned char)(i * 7 + i / 4096);
    filled = sizes[s];
  }
  /* then a document written into it parses */
  char *buf = toml_doc_buffer(d, sizes[2]);
  size_t len = (size_t)sprintf(buf, "a = 1\n[b]\nc = \"x\"\n");
  toml_error e;
  cr_assert_eq(toml_doc_parse(d, len, TOML_1_1, &e), TOML_OK, "%s", e.message);
  cr_assert_eq(toml_node_integer(toml_table_get(toml_doc_root(d), "a", 1)), 1);
  toml_doc_free(d);
}

/* Blocks of more than 1 MiB are halved near the limit: the smallest
 * budget a document parses in is what 1 MiB blocks needed (about 11.4 MiB
 * here, where 8 MiB blocks taken whole would need 18.4 MiB). */
Test(toml_memory, large_blocks_never_exhaust_a_budget_sooner)
{
  size_t n = 200000, len;
  char *text = keys_text(n, &len);
  toml_error e;
  toml_doc *d = toml_doc_new(NULL, NULL, "budget.toml");
  cr_assert_eq(parse_into(d, text, len, (size_t)23 << 19, &e), TOML_OK, "%s",
               e.message);
  cr_assert_eq(toml_node_count(toml_table_get(toml_doc_root(d), "t", 1)), n);
  toml_doc_free(d);
  /* and a budget too small is still refused, at a position */
  d = toml_doc_new(NULL, NULL, "budget.toml");
  cr_assert_eq(parse_into(d, text, len, (size_t)10 << 20, &e), TOML_ELIMIT);
  cr_assert_gt(e.line, 1);
  toml_doc_free(d);
  free(text);
}

/* ---- a text of a megabyte or so: its first block beside it ---- */

/* n lines "a = [0, 0, ...]" of 16 items: nodes of 12 bytes per byte of
 * text, far past the room (blocks of their own follow). */
static char *items_text(size_t n, size_t *len)
{
  char *text = malloc(n * 64 + 8), *p = text;
  cr_assert_not_null(text);
  for (size_t i = 0; i < n; i++)
    p += sprintf(
        p, "a%07zu = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n", i);
  *len = (size_t)(p - text);
  return text;
}

/* status of text parsed with the default allocator (or c's) and budget */
static toml_status parse_with(const char *text, size_t len, counted *c,
                              size_t budget, toml_doc **out, toml_error *e)
{
  toml_doc *d = toml_doc_new(c ? count_alloc : NULL, c, "mb.toml");
  cr_assert_not_null(d);
  toml_status st = parse_into(d, text, len, budget, e);
  if (out && st == TOML_OK)
    *out = d;
  else
    toml_doc_free(d);
  return st;
}

/* With the default allocator, a text of 896 KiB to 2 MiB and its first
 * block of nodes are one mapping (the root table lies past the text, in
 * its room): the documents and errors read the same as from malloc'ed
 * blocks, whether the nodes fit the room or far outgrow it. */
Test(toml_memory, a_megabyte_text_holds_its_first_block_and_reads_the_same)
{
  size_t lens[2];
  char *texts[2] = {keys_text(75000, &lens[0]), items_text(17000, &lens[1])};
  const char *dups[2] = {"k0000005 = 1\n", "a0000005 = 1\n"};
  for (int i = 0; i < 2; i++) {
    size_t len = lens[i];
    cr_assert(len >= (size_t)896 << 10 && len < (size_t)2 << 20, "%zu", len);
    toml_doc *a = toml_doc_new(NULL, NULL, "mb.toml");
    toml_error e;
    cr_assert_eq(parse_into(a, texts[i], len, 0, &e), TOML_OK, "%s", e.message);
    const char *buf = toml_doc_buffer(a, len);
    const char *root = (const char *)toml_doc_root(a);
    cr_assert(root > buf + len && root < buf + len + len / 2 + 4096,
              "text %zu, root at %td", len, root - buf);
    counted c = {0};
    toml_doc *b = NULL;
    cr_assert_eq(parse_with(texts[i], len, &c, 0, &b, &e), TOML_OK);
    same_tree(toml_doc_root(a), toml_doc_root(b));
    toml_doc_free(a);
    toml_doc_free(b);

    /* a duplicate key at the end: the same error */
    char *dup = malloc(len + 64);
    memcpy(dup, texts[i], len);
    size_t dlen = len + (size_t)sprintf(dup + len, "%s", dups[i]);
    toml_error ea, eb;
    cr_assert_eq(parse_with(dup, dlen, NULL, 0, NULL, &ea), TOML_ESYNTAX);
    cr_assert_eq(parse_with(dup, dlen, &c, 0, NULL, &eb), TOML_ESYNTAX);
    cr_assert(ea.line == eb.line && ea.col == eb.col, "%d:%d vs %d:%d", ea.line,
              ea.col, eb.line, eb.col);
    cr_assert_str_eq(ea.message, eb.message);
    free(dup);
  }

  /* the room never makes a budget run out sooner: at every budget (to
   * 16 KiB) around the smallest that malloc'ed blocks parse the text in,
   * the room parses it too (its one block may even need less) */
  size_t lo = 0, hi = (size_t)64 << 20;
  while (hi - lo > (16u << 10)) {
    size_t mid = lo + (hi - lo) / 2;
    counted c = {0};
    toml_error e;
    toml_status sa = parse_with(texts[0], lens[0], NULL, mid, NULL, &e);
    toml_status sb = parse_with(texts[0], lens[0], &c, mid, NULL, &e);
    cr_assert(sa == TOML_OK || sa == TOML_ELIMIT);
    cr_assert(sb == TOML_OK || sb == TOML_ELIMIT);
    cr_assert(sa == TOML_OK || sb != TOML_OK, "budget %zu: room %d, blocks %d",
              mid, sa, sb);
    if (sb == TOML_OK)
      hi = mid;
    else
      lo = mid;
  }
  free(texts[0]);
  free(texts[1]);
}

/* A megabyte buffer that grows before its parse (as reading standard
 * input does) leaves its room with its bytes, and parses. */
Test(toml_memory, a_megabyte_buffer_grows_out_of_its_room)
{
  size_t len;
  char *text = keys_text(85000, &len);
  cr_assert_gt(len, (size_t)1 << 20);
  toml_doc *d = toml_doc_new(NULL, NULL, "grow.toml");
  char *buf = toml_doc_buffer(d, (size_t)1 << 20);
  cr_assert_not_null(buf);
  memcpy(buf, text, (size_t)1 << 20);
  buf = toml_doc_buffer(d, len + 100);
  cr_assert_not_null(buf);
  cr_assert(memcmp(buf, text, (size_t)1 << 20) == 0);
  memcpy(buf + (1u << 20), text + (1u << 20), len - (1u << 20));
  toml_error e;
  cr_assert_eq(toml_doc_parse(d, len, TOML_1_1, &e), TOML_OK, "%s", e.message);
  cr_assert_eq(toml_node_count(toml_table_get(toml_doc_root(d), "t", 1)),
               85000);
  toml_doc_free(d);
  free(text);
}

/* ---- a text of more than a huge page: its last page holds its line
 * table and first block ---- */

/* The room behind a text of len bytes with the default allocator, as
 * docs/DESIGN.md lays the buffer out: the text and 16 bytes of padding,
 * the line table's first part (a line per 16 bytes, plus 4, 2 bytes
 * each), each 8-aligned, then the rest of the last 2 MiB page. */
static size_t used_by(size_t len)
{
  return ((len + 16 + 7) & ~(size_t)7) +
         (((len / 16 + 4) * 2 + 7) & ~(size_t)7);
}

static size_t room_behind(size_t len)
{
  size_t mib2 = (size_t)2 << 20;
  return (used_by(len) + mib2 - 1) / mib2 * mib2 - used_by(len);
}

/* keys_text(n) padded with a comment to exactly len bytes */
static char *text_of(size_t n, size_t len)
{
  size_t have;
  char *keys = keys_text(n, &have), *text = malloc(len + 1);
  cr_assert(have + 3 <= len, "%zu keys are %zu bytes", n, have);
  memcpy(text, keys, have);
  text[have] = '#';
  memset(text + have + 1, 'x', len - have - 2);
  text[len - 1] = '\n';
  free(keys);
  return text;
}

/* the length in [from, from + 2 MiB) whose room is exactly room bytes */
static size_t len_with_room(size_t from, size_t room)
{
  for (size_t len = from; len < from + ((size_t)2 << 20); len++)
    if (room_behind(len) == room)
      return len;
  cr_assert_fail("no length with a room of %zu", room);
  return 0;
}

/* text (len bytes) parsed with the default allocator and with malloc'ed
 * blocks: the same tree; returns where the default's root lies from its
 * buffer, in bytes */
static ptrdiff_t parse_both(const char *text, size_t len)
{
  toml_doc *a = toml_doc_new(NULL, NULL, "page.toml");
  counted c = {0};
  toml_doc *b = NULL;
  toml_error e;
  cr_assert_eq(parse_into(a, text, len, 0, &e), TOML_OK, "%s", e.message);
  cr_assert_eq(parse_with(text, len, &c, 0, &b, &e), TOML_OK, "%s", e.message);
  same_tree(toml_doc_root(a), toml_doc_root(b));
  ptrdiff_t at =
      (const char *)toml_doc_root(a) - (const char *)toml_doc_buffer(a, len);
  toml_doc_free(a);
  toml_doc_free(b);
  return at;
}

/* A text of more than 2 MiB with the default allocator is whole huge
 * pages: its line table's first part and, in the rest of the last page
 * (from TOML_ROOM_LEAST, 64 KiB, up), its first block of nodes lie
 * behind it.  At both sides of that edge, and with lines too many for the
 * part (they move out), the documents and a duplicate's error at the end
 * read the same as from malloc'ed memory. */
Test(toml_memory, a_text_past_a_huge_page_holds_its_lines_and_first_block)
{
  const size_t least = (size_t)64 << 10;
  struct {
    size_t len;
    bool in_room;
  } cases[3];
  /* 3 MiB of "kNNNNNNN = D" lines (13 bytes: fewer than a line per 16),
   * then a room of exactly 64 KiB (a block) and 8 bytes less (none) */
  size_t at_least = len_with_room((size_t)3 << 20, least);
  size_t under = len_with_room((size_t)3 << 20, least - 8);
  cases[0].len = at_least;
  cases[0].in_room = true;
  cases[1].len = under;
  cases[1].in_room = false;
  /* a room of about a page: the usual case (10 MB: 1.3 MiB) */
  cases[2].len = len_with_room((size_t)5 << 20, (size_t)1 << 20);
  cases[2].in_room = true;
  for (int i = 0; i < 3; i++) {
    size_t len = cases[i].len;
    char *text = text_of((len - 64) / 13, len);
    ptrdiff_t at = parse_both(text, len);
    bool in = at >= (ptrdiff_t)used_by(len) &&
              at < (ptrdiff_t)(used_by(len) + room_behind(len));
    cr_assert_eq(in, cases[i].in_room, "text %zu, room %zu: root at %td", len,
                 room_behind(len), at);

    /* a duplicate key at the end: the same error, at its line */
    char *dup = malloc(len + 32);
    memcpy(dup, text, len);
    size_t dlen = len + (size_t)sprintf(dup + len, "k0000005 = 1\n");
    toml_error ea, eb;
    counted c = {0};
    cr_assert_eq(parse_with(dup, dlen, NULL, 0, NULL, &ea), TOML_ESYNTAX);
    cr_assert_eq(parse_with(dup, dlen, &c, 0, NULL, &eb), TOML_ESYNTAX);
    cr_assert(ea.line == eb.line && ea.col == eb.col && ea.col == 1,
              "%d:%d vs %d:%d", ea.line, ea.col, eb.line, eb.col);
    cr_assert_eq(ea.line, (int)((len - 64) / 13) + 3);
    cr_assert_str_eq(ea.message, eb.message);
    free(dup);
    free(text);
  }

  /* lines of 11 bytes, more than the part holds: the table moves out
   * (its part stays unused), the nodes still fill the room */
  size_t n = 300000, len;
  char *text = malloc(n * 16 + 8), *p = text;
  p += sprintf(p, "[t]\n");
  for (size_t i = 0; i < n; i++)
    p += sprintf(p, "k%07zu=%zu\n", i, i % 10);
  len = (size_t)(p - text);
  cr_assert_gt(len, (size_t)3 << 20);
  cr_assert_gt(n, len / 16 + 4);
  ptrdiff_t at = parse_both(text, len);
  cr_assert(at > (ptrdiff_t)len && at < (ptrdiff_t)(len + room_behind(len) +
                                                    (len / 16 + 4) * 2 + 8),
            "root at %td", at);
  free(text);
}

/* ---- a small text's one allocation ---- */

/* text parsed from a buffer of cap bytes (cap >= TOML_SMALL_TEXT: not
 * one allocation), or of its own length when cap is 0; trimmed. */
static toml_doc *parse_small(const char *text, size_t cap, counted *c,
                             toml_status want, toml_error *e)
{
  size_t len = strlen(text);
  toml_doc *d = toml_doc_new(count_alloc, c, "small.toml");
  cr_assert_not_null(d);
  char *buf = toml_doc_buffer(d, cap ? cap : len);
  cr_assert_not_null(buf);
  memcpy(buf, text, len);
  cr_assert_eq(toml_doc_parse(d, len, TOML_1_1, e), want, "%s", e->message);
  if (want != TOML_OK) {
    toml_doc_free(d);
    return NULL;
  }
  toml_doc_trim(d);
  return d;
}

static const char manifest[] =
    "# plugin manifest\nname = \"p000151\"\nversion = \"2.5.28\"\n"
    "description = \"Benchmark plugin 151: provides a codec tagged t23\"\n"
    "namespace = \"bench\"\nlibrary = \"libp000151.so\"\nabi = 1\n"
    "requires = [\"a >= 1\", 'b']\n\n[[provides]]\nkind = \"codec\"\n"
    "tag = \"t23\"\nconfig = { size = 1, \"q k\" = 2.5, at = 07:32:00 }\n";

/* A manifest is the document and one more allocation (its text, line
 * table, directory and block), and reads exactly as from a buffer of its
 * own, whether or not the trim moves that allocation. */
Test(toml_memory, a_small_text_is_one_allocation_and_reads_the_same)
{
  counted c1 = {0}, c2 = {0}, c3 = {.move = true};
  toml_error e;
  toml_doc *one = parse_small(manifest, 0, &c1, TOML_OK, &e);
  cr_assert_eq(c1.calls, 3, "%ld calls", c1.calls); /* + the trim's */
  toml_doc *general = parse_small(manifest, 4096, &c2, TOML_OK, &e);
  cr_assert_gt(c2.calls, 4, "%ld calls", c2.calls);
  toml_doc *moved = parse_small(manifest, 0, &c3, TOML_OK, &e);
  same_tree(toml_doc_root(one), toml_doc_root(general));
  same_tree(toml_doc_root(moved), toml_doc_root(general));
  const toml_node *p = toml_table_get(toml_doc_root(moved), "provides", 8);
  const toml_node *cfg = toml_table_get(toml_node_at(p, 0), "config", 6);
  toml_pos pos = toml_node_pos(toml_table_get(cfg, "q k", 3));
  cr_assert(pos.line == 13 && pos.col == 30, "%d:%d", pos.line, pos.col);
  toml_doc_free(one);
  toml_doc_free(general);
  toml_doc_free(moved);
}

/* Line tables and directories that outgrow their room in the one
 * allocation move out of it; the documents and errors stay the same. */
Test(toml_memory, small_texts_that_outgrow_their_room_read_the_same)
{
  char many_lines[600], many_nodes[600], bad[700];
  size_t i, n = 0;
  for (i = 0; i < 120; i++) /* 240 lines in 480 bytes: 34 lines of room */
    n += (size_t)sprintf(many_lines + n, "\n#\n");
  sprintf(many_lines + n, "a = 1\n");
  n = (size_t)sprintf(many_nodes, "a = [");
  for (i = 0; i < 200; i++) /* 200 items need a second, third block */
    n += (size_t)sprintf(many_nodes + n, "1,");
  sprintf(many_nodes + n, "]\nb = 2\n");
  sprintf(bad, "%s\na = 3\n", many_nodes);
  const char *texts[] = {many_lines, many_nodes, "", "\n\n\n", manifest};
  for (i = 0; i < sizeof texts / sizeof *texts; i++) {
    counted c1 = {.move = true}, c2 = {0};
    toml_error e;
    toml_doc *one = parse_small(texts[i], 0, &c1, TOML_OK, &e);
    toml_doc *general = parse_small(texts[i], 4096, &c2, TOML_OK, &e);
    same_tree(toml_doc_root(one), toml_doc_root(general));
    toml_doc_free(one);
    toml_doc_free(general);
  }
  const char *errors[] = {bad, "a = 1\na = 2\n", "x = [1,\n\n2,\n", "\"\n",
                          "[t]\n[t]\n"};
  for (i = 0; i < sizeof errors / sizeof *errors; i++) {
    counted c1 = {.move = true}, c2 = {0};
    toml_error e1, e2;
    parse_small(errors[i], 0, &c1, TOML_ESYNTAX, &e1);
    parse_small(errors[i], 4096, &c2, TOML_ESYNTAX, &e2);
    cr_assert(e1.line == e2.line && e1.col == e2.col, "%d:%d vs %d:%d", e1.line,
              e1.col, e2.line, e2.col);
    cr_assert_str_eq(e1.message, e2.message);
  }
}

/* A small text's buffer that grows before the parse (as reading standard
 * input does) leaves the one allocation with its bytes. */
Test(toml_memory, a_small_buffer_grows_out_of_its_one_allocation)
{
  counted c = {.move = true};
  toml_doc *d = toml_doc_new(count_alloc, &c, "grow.toml");
  char *buf = toml_doc_buffer(d, 10);
  memcpy(buf, "a = 1\nb = ", 10);
  buf = toml_doc_buffer(d, 5000);
  cr_assert_not_null(buf);
  memcpy(buf + 10, "\"two\"\n", 6);
  toml_error e;
  cr_assert_eq(toml_doc_parse(d, 16, TOML_1_1, &e), TOML_OK, "%s", e.message);
  size_t len;
  cr_assert_str_eq(
      toml_node_string(toml_table_get(toml_doc_root(d), "b", 1), &len), "two");
  toml_doc_free(d);
}
