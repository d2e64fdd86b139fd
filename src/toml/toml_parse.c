/* toml_parse.c -- the grammar: documents, headers, key/value pairs, arrays
 * and inline tables, and the table rules (implicit, dotted, defined, frozen).
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "toml_impl.h"

/* Errors unwind with longjmp to toml_doc_parse(): a parser that checks no
 * status on its fast path, as Lua's does.  Every allocation lives in the
 * document (or in the parser's two stacks), so unwinding leaks nothing. */

typedef struct key_part {
  char *at;     /* first character (the quote of a quoted key) */
  uint32_t off; /* decoded bytes */
  uint32_t len;
  bool quoted;
  bool narrow;  /* quoted: no escapes, its decoded bytes are its raw ones */
  char sep;     /* the character after the key and its spaces */
  char *sep_at; /* where that is (the separator's byte is kept in sep) */
} key_part;

/* ---- errors ---- */

void toml_fail(toml_parser *P, const char *p, const char *fmt, ...)
{
  if (P->err) {
    va_list ap;
    P->err->status = TOML_ESYNTAX;
    toml_offset_pos(P->d, (uint32_t)(p - P->buf), &P->err->line,
                    &P->err->col);
    va_start(ap, fmt);
    vsnprintf(P->err->message, sizeof P->err->message, fmt, ap);
    va_end(ap);
  }
  longjmp(P->jb, TOML_ESYNTAX);
}

void toml_oom(toml_parser *P, const char *p)
{
  toml_status st = P->d->over ? TOML_ELIMIT : TOML_ENOMEM;
  if (P->err) {
    P->err->status = st;
    P->err->line = P->err->col = 0;
    if (st == TOML_ELIMIT) {
      toml_offset_pos(P->d, (uint32_t)(p - P->buf), &P->err->line,
                      &P->err->col);
      snprintf(P->err->message, sizeof P->err->message,
               "document too large: reading it needs more than %zu bytes of "
               "memory besides its text", P->d->budget);
    } else {
      snprintf(P->err->message, sizeof P->err->message,
               "out of memory while parsing");
    }
  }
  longjmp(P->jb, st);
}

/* A key for messages: quoted, control bytes shown as '?', long keys cut. */
static const char *key_text(const toml_parser *P, uint32_t off, uint32_t len,
                            char *buf, size_t n)
{
  size_t i, j = 0, max = n - 8;
  const char *k = P->buf + off;
  buf[j++] = '"';
  for (i = 0; i < len && j < max; i++) {
    unsigned char c = (unsigned char)k[i];
    buf[j++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
  }
  if (i < len) {
    memcpy(buf + j, "...", 3);
    j += 3;
  }
  buf[j++] = '"';
  buf[j] = '\0';
  return buf;
}

static const char *kind_text(unsigned kind, uint32_t meta)
{
  static const char *const names[] = {
      "?",       "a table",   "an array",          "a string",
      "an integer", "a float", "a boolean",        "an offset date-time",
      "a local date-time", "a local date", "a local time"};
  if (kind == TOML_TABLE && (meta & TOML_F_FROZEN))
    return "an inline table";
  if (kind == TOML_ARRAY && (meta & TOML_F_AOT))
    return "an array of tables";
  return kind <= TOML_TIME_LOCAL ? names[kind] : "?";
}

/* ---- small helpers ---- */

/* A new node for the value at p (see toml_node_new). */
static inline __attribute__((always_inline)) toml_node *
new_node(toml_parser *P, const char *p, uint32_t units, unsigned kind,
         uint32_t *ref)
{
  toml_node *n = toml_node_new(P->d, units, kind, ref);
  if (!n)
    toml_oom(P, p);
  return n;
}

/* Doubles one of the parser's stacks, reading the value at p (kept out of
 * stack_push, whose fast path stays inlined). */
__attribute__((noinline)) static void stack_grow(toml_parser *P,
                                                 const char *p, uint32_t **v,
                                                 uint32_t *cap)
{
  uint32_t c = *cap * 2;
  bool first = *v == P->stack0 || *v == P->pending0; /* in the parser */
  uint32_t *nv =
      c < *cap || !toml_budget_take(P->d, (size_t)(c - *cap) * sizeof *nv)
          ? NULL
          : P->d->alloc(P->d->alloc_ud, first ? NULL : *v,
                        first ? 0 : (size_t)*cap * sizeof *nv,
                        (size_t)c * sizeof *nv);
  if (!nv)
    toml_oom(P, p);
  if (first)
    memcpy(nv, *v, (size_t)*cap * sizeof *nv);
  *v = nv;
  *cap = c;
}

/* Pushes x on one of the parser's stacks, reading the value at p. */
static void stack_push(toml_parser *P, const char *p, uint32_t **v,
                       uint32_t *n, uint32_t *cap, uint32_t x)
{
  if (TOML_UNLIKELY(*n == *cap))
    stack_grow(P, p, v, cap);
  (*v)[(*n)++] = x;
}

static void pos_text(const toml_parser *P, uint32_t off, char *buf, size_t n)
{
  int line, col;
  toml_offset_pos(P->d, off, &line, &col);
  snprintf(buf, n, "%d:%d", line, col);
}

/* The end of the text at p, inside the array or inline table at open. */
TOML_NORETURN static void unterminated(toml_parser *P, const char *p,
                                       const char *open, const char *what)
{
  char pb[32];
  pos_text(P, (uint32_t)(open - P->buf), pb, sizeof pb);
  toml_fail(P, p, "unterminated %s (opened at %s)", what, pb);
}

static void check_depth(toml_parser *P, const char *at, int depth)
{
  if (depth > TOML_MAX_DEPTH)
    toml_fail(P, at, "nesting too deep: more than %d levels of tables and "
                     "arrays", TOML_MAX_DEPTH);
}

/* Seals the tables that dotted keys extended in the section just ended:
 * no later section may extend them with dotted keys or a [header]. */
static void seal_pending(toml_parser *P)
{
  uint32_t i;
  for (i = 0; i < P->npending; i++) {
    toml_node *t = toml_ptr(P->d, P->pending[i]);
    t->meta = (t->meta & ~TOML_F_PENDING) | TOML_F_DEFINED;
  }
  P->npending = 0;
}

/* ---- keys ---- */

/* No key at p. */
TOML_NORETURN __attribute__((noinline, cold)) static void
bad_key(toml_parser *P, const char *p)
{
  char name[32];
  if (*p == '=')
    toml_fail(P, p, "expected a key before '='");
  toml_fail(P, p, "expected a key, found %s", toml_char_name(P, p, name));
}

/* Reads one key part at p and the separator after it (skipping spaces):
 * k->sep is the separator, k->sep_at where it is, and the return value the
 * position after it.  A bare key is NUL-terminated in place, over its
 * terminator, once that has been read.  Inlined into its two callers (a
 * call per key part cost 3% of a large document's parse). */
static inline __attribute__((always_inline)) char *
key_part_read(toml_parser *P, char *p, key_part *k)
{
  k->at = p;
  if (toml_is((unsigned char)*p, TOML_CC_BARE)) {
    char *q = p + 1;
    while (toml_is((unsigned char)*q, TOML_CC_BARE))
      q++;
    k->off = (uint32_t)(p - P->buf);
    k->len = (uint32_t)(q - p);
    k->quoted = k->narrow = false;
    k->sep = *q;
    if (k->sep == ' ' && q[1] == '=') { /* the common "key = ", and the
                                          space after it, which the caller
                                          would skip */
      *q = '\0';
      k->sep = '=';
      k->sep_at = q + 1;
      return q[2] == ' ' ? q + 3 : q + 2;
    }
    if (k->sep == ' ' || k->sep == '\t') {
      *q = '\0';
      p = toml_skip_ws(q + 1);
    } else {
      if (k->sep == '.' || k->sep == '=' || k->sep == ']')
        *q = '\0';
      p = q;
      k->sep_at = p;
      return p < P->end ? p + 1 : p;
    }
  } else if (*p == '"' || *p == '\'') {
    p = toml_lex_string(P, p, &k->off, &k->len, true);
    k->quoted = true;
    k->narrow = (size_t)(p - k->at) == (size_t)k->len + 2;
    p = toml_skip_ws(p);
  } else {
    bad_key(P, p);
  }
  k->sep = *p;
  k->sep_at = p;
  return p < P->end ? p + 1 : p;
}

/* A new entry for key k in table t.  narrow: a key/value pair's or a
 * dotted key's table, which is narrow when k has no escapes and fits
 * (toml_node); its pos then packs its key (keyval leaves it). */
static inline __attribute__((always_inline)) toml_entry *
add_entry(toml_parser *P, toml_node *t, const key_part *k, unsigned kind,
          uint32_t flags, bool narrow, uint32_t *eref)
{
  toml_entry *e;
  if (TOML_UNLIKELY(P->narrow) && narrow && (!k->quoted || k->narrow) &&
      k->len <= TOML_NARROW_LEN_MAX) {
    e = (toml_entry *)new_node(P, k->at, TOML_ITEM_UNITS, kind, eref);
    e->v.meta |= flags | (k->quoted ? TOML_F_KEYQ : 0) | TOML_F_NARROW;
    e->v.pos = k->off << TOML_NARROW_LEN_BITS | k->len;
  } else {
    e = (toml_entry *)new_node(P, k->at, TOML_ENTRY_UNITS, kind, eref);
    e->v.meta |= flags | (k->quoted ? TOML_F_KEYQ : 0);
    e->v.pos = e->key = (uint32_t)(k->at - P->buf);
    e->key_len = k->len;
  }
  if (!toml_table_append(P->d, t, *eref))
    toml_oom(P, k->at);
  return e;
}

TOML_NORETURN static void already(toml_parser *P, const key_part *k,
                                  const toml_entry *e, const char *what)
{
  char kb[96], pb[32];
  pos_text(P, toml_entry_key_off(e), pb, sizeof pb);
  toml_fail(P, k->at, "%s %s: the key is already %s (first defined at %s)",
            what, key_text(P, k->off, k->len, kb, sizeof kb),
            kind_text(toml_kind_of(&e->v), e->v.meta), pb);
}

/* Moves from table t into the table named by dotted key part k, creating
 * it when missing. */
static toml_node *dotted_step(toml_parser *P, toml_node *t, uint32_t *tref,
                              const key_part *k, int depth)
{
  toml_entry *e = toml_table_find_short(P->d, t, P->buf + k->off, k->len);
  char kb[96], pb[32];
  check_depth(P, k->at, depth);
  if (!e) {
    e = add_entry(P, t, k, TOML_TABLE, TOML_F_DOTTED | TOML_F_PENDING, true,
                  tref);
    stack_push(P, k->at, &P->pending, &P->npending, &P->pending_cap, *tref);
    return &e->v;
  }
  if (toml_kind_of(&e->v) != TOML_TABLE)
    already(P, k, e, "cannot use dotted key");
  if (e->v.meta & (TOML_F_FROZEN | TOML_F_DEFINED)) {
    pos_text(P, toml_node_off(P->d, &e->v), pb, sizeof pb);
    if (e->v.meta & TOML_F_FROZEN)
      toml_fail(P, k->at, "cannot add to inline table %s (defined at %s): "
                          "inline tables are complete when closed",
                key_text(P, k->off, k->len, kb, sizeof kb), pb);
    if (e->v.meta & TOML_F_DOTTED)
      toml_fail(P, k->at, "cannot add to table %s with a dotted key outside "
                          "the section that defined it (at %s)",
                key_text(P, k->off, k->len, kb, sizeof kb), pb);
    toml_fail(P, k->at, "cannot add to table %s with a dotted key: it is "
                        "defined by the header at %s",
              key_text(P, k->off, k->len, kb, sizeof kb), pb);
  }
  if (!(e->v.meta & TOML_F_PENDING)) {
    e->v.meta |= TOML_F_PENDING;
    stack_push(P, k->at, &P->pending, &P->npending, &P->pending_cap,
               toml_node_ref(&e->v));
  }
  *tref = toml_node_ref(&e->v);
  return &e->v;
}

/* ---- values ---- */

static char *parse_value(toml_parser *P, char *p, toml_node *n, int depth);

/* Errors of a key/value pair, out of its inlined path. */
TOML_NORETURN __attribute__((noinline, cold)) static void
no_equals(toml_parser *P, const key_part *k)
{
  char name[32], kb[96];
  *k->sep_at = k->sep; /* for toml_char_name */
  toml_fail(P, k->sep_at, "expected '=' after key %s, found %s",
            key_text(P, k->off, k->len, kb, sizeof kb),
            toml_char_name(P, k->sep_at, name));
}

TOML_NORETURN __attribute__((noinline, cold)) static void
duplicate_key(toml_parser *P, const key_part *k, const toml_entry *e)
{
  char kb[96], pb[32];
  pos_text(P, toml_entry_key_off(e), pb, sizeof pb);
  toml_fail(P, k->at, "duplicate key %s (first defined at %s)",
            key_text(P, k->off, k->len, kb, sizeof kb), pb);
}

/* key = value, with the key relative to table t (ref tref, at depth).
 * Inlined into the document's loop and parse_inline's (no call and frame
 * per pair). */
static inline __attribute__((always_inline)) char *
keyval(toml_parser *P, char *p, toml_node *t, uint32_t tref, int depth)
{
  /* k's address goes only to functions inlined here (what is not gets a
   * copy), so that it can live in registers */
  key_part k;
  toml_entry *e;
  uint32_t eref;
  for (;;) {
    p = key_part_read(P, p, &k);
    if (k.sep == '.') {
      key_part kd = k;
      uint32_t r = tref;
      p = toml_skip_ws(p);
      t = dotted_step(P, t, &r, &kd, ++depth);
      tref = r;
      continue;
    }
    if (k.sep == '=')
      break;
    key_part kn = k;
    no_equals(P, &kn);
  }
  e = toml_table_find(P->d, t, P->buf + k.off, k.len);
  if (e) {
    key_part kn = k;
    duplicate_key(P, &kn, e);
  }
  e = add_entry(P, t, &k, 0, 0, true, &eref);
  p = toml_skip_ws(p);
  if (!(e->v.meta & TOML_F_NARROW))
    e->v.pos = (uint32_t)(p - P->buf);
  return parse_value(P, p, &e->v, depth + 1);
}

/* parse_array and parse_inline stay out of parse_value, which then needs
 * no frame of its own: a scalar costs a dispatch and a tail call. */
__attribute__((noinline)) static char *parse_array(toml_parser *P, char *p,
                                                   toml_node *n, int depth)
{
  const char *open = p;
  uint32_t base = P->nstack;
  char name[32];
  check_depth(P, p, depth);
  n->meta |= TOML_ARRAY | TOML_F_FROZEN;
  p++;
  for (;;) {
    toml_node *item;
    uint32_t ref;
    p = toml_skip_wcn(P, p);
    if (*p == ']') {
      p++;
      break;
    }
    if (*p == '\0' && p >= P->end)
      unterminated(P, p, open, "array");
    item = new_node(P, p, TOML_ITEM_UNITS, 0, &ref);
    item->pos = (uint32_t)(p - P->buf);
    stack_push(P, p, &P->stack, &P->nstack, &P->stack_cap, ref);
    p = parse_value(P, p, item, depth + 1);
    p = toml_skip_wcn(P, p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == ']') {
      p++;
      break;
    }
    if (*p == '\0' && p >= P->end)
      unterminated(P, p, open, "array");
    toml_fail(P, p, "expected ',' or ']' after an array item, found %s",
              toml_char_name(P, p, name));
  }
  if (P->nstack > base &&
      !toml_vec_set(P->d, n, P->stack + base, P->nstack - base))
    toml_oom(P, open);
  P->nstack = base;
  return p;
}

static inline __attribute__((always_inline)) char *inline_skip(toml_parser *P,
                                                               char *p)
{
  if (P->v11)
    return toml_skip_wcn(P, p);
  p = toml_skip_ws(p);
  if (*p == '\n' || *p == '\r' || *p == '#')
    toml_fail(P, p, "newlines and comments inside an inline table need "
                    "TOML 1.1 (this is TOML 1.0)");
  return p;
}

__attribute__((noinline)) static char *parse_inline(toml_parser *P, char *p,
                                                    toml_node *n, int depth)
{
  const char *open = p;
  uint32_t ref = toml_node_ref(n);
  char name[32];
  check_depth(P, p, depth);
  n->meta |= TOML_TABLE | TOML_F_FROZEN | TOML_F_DEFINED;
  p = inline_skip(P, p + 1);
  if (*p == '}')
    return p + 1;
  for (;;) {
    p = keyval(P, p, n, ref, depth);
    p = inline_skip(P, p);
    if (*p == ',') {
      p = inline_skip(P, p + 1);
      if (*p == '}') {
        if (!P->v11)
          toml_fail(P, p, "a trailing comma in an inline table needs TOML "
                          "1.1 (this is TOML 1.0)");
        return p + 1;
      }
      continue;
    }
    if (*p == '}')
      return p + 1;
    if (*p == '\0' && p >= P->end)
      unterminated(P, p, open, "inline table");
    toml_fail(P, p, "expected ',' or '}' after a key/value pair in an inline "
                    "table, found %s", toml_char_name(P, p, name));
  }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* No value at p. */
TOML_NORETURN __attribute__((noinline, cold)) static void
bad_value(toml_parser *P, const char *p)
{
  char name[32];
  if (*p == '\n' || *p == '\r' || (*p == '\0' && p >= P->end) || *p == '#')
    toml_fail(P, p, "expected a value, found %s", toml_char_name(P, p, name));
  if (*p == 't' || *p == 'f')
    toml_fail(P, p,
              "invalid value: expected 'true' or 'false' (booleans "
              "are lower case; strings need quotes)");
  toml_fail(P, p, "expected a value, found %s%s", toml_char_name(P, p, name),
            toml_is((unsigned char)*p, TOML_CC_BARE) ? " (strings need quotes)"
                                                     : "");
}

/* The value at p into n (whose pos the caller set: a narrow entry's packs
 * its key). */
static char *parse_value(toml_parser *P, char *p, toml_node *n, int depth)
{
  switch (*p) {
  case '"':
  case '\'':
    n->meta |= TOML_STRING;
    return toml_lex_string(P, p, &n->u.s.off, &n->u.s.len, false);
  case '[':
    return parse_array(P, p, n, depth);
  case '{':
    return parse_inline(P, p, n, depth);
  case 't':
    if (memcmp(p, "true", 4) == 0 && toml_is((unsigned char)p[4], TOML_CC_END)) {
      n->meta |= TOML_BOOL;
      n->u.i = 1;
      return p + 4;
    }
    break;
  case 'f':
    if (memcmp(p, "false", 5) == 0 &&
        toml_is((unsigned char)p[5], TOML_CC_END)) {
      n->meta |= TOML_BOOL;
      n->u.i = 0;
      return p + 5;
    }
    break;
  case '+': case '-': case 'i': case 'n':
    return toml_lex_number(P, p, n);
  case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    if (is_digit(p[1]) &&
        (p[2] == ':' || (is_digit(p[2]) && is_digit(p[3]) && p[4] == '-')))
      return toml_lex_datetime(P, p, n);
    return toml_lex_number(P, p, n);
  default:
    break;
  }
  bad_value(P, p);
}

/* ---- headers ---- */

typedef struct section {
  toml_node *t; /* the table key/value pairs go into */
  uint32_t ref;
  int depth;
} section;

/* [a.b.c] or [[a.b.c]] at p. */
static char *parse_header(toml_parser *P, char *p, section *cur)
{
  const char *open = p;
  bool aot = p[1] == '[';
  toml_node *t = toml_ptr(P->d, P->d->root);
  uint32_t tref = P->d->root;
  int depth = 0;
  key_part k;
  toml_entry *e;
  uint32_t eref;
  char name[32], kb[96], pb[32];

  seal_pending(P);
  p = toml_skip_ws(p + (aot ? 2 : 1));
  for (;;) {
    p = key_part_read(P, p, &k);
    if (k.sep == ']')
      break;
    if (k.sep != '.') {
      *k.sep_at = k.sep;
      toml_fail(P, k.sep_at,
                "expected '.' or ']' after key %s in a table header, found %s",
                key_text(P, k.off, k.len, kb, sizeof kb),
                toml_char_name(P, k.sep_at, name));
    }
    p = toml_skip_ws(p);
    check_depth(P, k.at, ++depth);
    e = toml_table_find_short(P->d, t, P->buf + k.off, k.len);
    if (!e) {
      e = add_entry(P, t, &k, TOML_TABLE, 0, false, &tref);
      t = &e->v;
      continue;
    }
    if (toml_kind_of(&e->v) == TOML_TABLE && !(e->v.meta & TOML_F_FROZEN)) {
      t = &e->v;
      tref = toml_node_ref(t);
      continue;
    }
    if (toml_kind_of(&e->v) == TOML_ARRAY && (e->v.meta & TOML_F_AOT)) {
      check_depth(P, k.at, ++depth);
      tref = toml_vec(P->d, &e->v)[e->v.u.c.count - 1];
      t = toml_ptr(P->d, tref);
      continue;
    }
    already(P, &k, e, "cannot make a table of");
  }
  if (aot) {
    if (*p != ']')
      toml_fail(P, p, "expected ']]' to close the array-of-tables header, "
                      "found %s", toml_char_name(P, p, name));
    p++;
  }
  check_depth(P, k.at, depth + (aot ? 2 : 1));
  e = toml_table_find_short(P->d, t, P->buf + k.off, k.len);
  if (!aot) {
    if (!e) {
      e = add_entry(P, t, &k, TOML_TABLE, TOML_F_DEFINED, false, &eref);
    } else if (toml_kind_of(&e->v) == TOML_TABLE &&
               !(e->v.meta & (TOML_F_DEFINED | TOML_F_FROZEN))) {
      /* an implicit table, now defined (made by a header: wide, so its
       * pos may move to this header) */
      e->v.meta |= TOML_F_DEFINED;
      eref = toml_node_ref(&e->v);
    } else if (toml_kind_of(&e->v) == TOML_TABLE) {
      pos_text(P, toml_node_off(P->d, &e->v), pb, sizeof pb);
      toml_fail(P, k.at, "table %s is already defined (first defined at %s)",
                key_text(P, k.off, k.len, kb, sizeof kb), pb);
    } else {
      already(P, &k, e, "cannot define table");
    }
    e->v.pos = (uint32_t)(open - P->buf);
    cur->t = &e->v;
    cur->ref = eref;
    cur->depth = depth + 1;
  } else {
    toml_node *item;
    uint32_t iref;
    if (!e) {
      e = add_entry(P, t, &k, TOML_ARRAY, TOML_F_AOT | TOML_F_DEFINED, false,
                    &eref);
      e->v.pos = (uint32_t)(open - P->buf);
    } else if (toml_kind_of(&e->v) != TOML_ARRAY || !(e->v.meta & TOML_F_AOT))
      already(P, &k, e, "cannot define array of tables");
    item = new_node(P, open, TOML_ITEM_UNITS, TOML_TABLE, &iref);
    item->meta |= TOML_F_DEFINED;
    item->pos = (uint32_t)(open - P->buf);
    if (!toml_vec_push(P->d, &e->v, iref))
      toml_oom(P, open);
    cur->t = item;
    cur->ref = iref;
    cur->depth = depth + 2;
  }
  return p;
}

/* ---- the document ---- */

static void parse_document(toml_parser *P)
{
  char *p = P->buf;
  char name[32];
  section cur;
  uint32_t ref;
  toml_node *root;
  const char *what;

  if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
      (unsigned char)p[2] == 0xBF)
    p += 3; /* a byte order mark; columns count from after it */
  if (!toml_line_push(P->d, (uint32_t)(p - P->buf)))
    toml_oom(P, p);
  root = new_node(P, p, TOML_ITEM_UNITS, TOML_TABLE, &ref);
  root->meta |= TOML_F_DEFINED;
  root->pos = (uint32_t)(p - P->buf);
  P->d->root = ref;
  cur.t = root;
  cur.ref = ref;
  cur.depth = 0;
  for (;;) {
    /* the common line, a key/value pair that starts with a bare key,
     * goes straight to keyval; the rest is told apart here */
    if (!toml_is((unsigned char)*p, TOML_CC_BARE)) {
      p = toml_skip_ws(p);
      switch (*p) {
      case '\n':
      case '\r':
        p = toml_newline(P, p);
        continue;
      case '#':
        p = toml_comment(P, p);
        continue;
      case '[':
        p = parse_header(P, p, &cur);
        what = "the table header";
        goto line_end;
      case '\0':
        if (p >= P->end)
          return;
        break;
      default:
        break;
      }
    }
    p = keyval(P, p, cur.t, cur.ref, cur.depth);
    what = "the value";
    if (TOML_LIKELY(*p == '\n')) { /* right after the value */
      p = toml_newline(P, p);
      continue;
    }
  line_end:
    p = toml_skip_ws(p);
    if (*p == '#')
      p = toml_comment(P, p);
    if (*p == '\n' || *p == '\r')
      p = toml_newline(P, p);
    else if (*p == '\0' && p >= P->end)
      return;
    else
      toml_fail(P, p, "expected a newline after %s, found %s", what,
                toml_char_name(P, p, name));
  }
}

static toml_status parse_guarded(toml_parser *P)
{
  int rc = setjmp(P->jb);
  if (rc)
    return (toml_status)rc;
  parse_document(P);
  return TOML_OK;
}

toml_status toml_doc_parse(toml_doc *d, size_t len, toml_version version,
                           toml_error *err)
{
  toml_parser P;
  toml_status st;
  if (err) {
    err->status = TOML_OK;
    err->line = err->col = 0;
    err->message[0] = '\0';
  }
  if (d->parsed || (!d->buf && !toml_doc_buffer(d, 0)) || len > d->cap) {
    if (err) {
      err->status = TOML_ENOMEM;
      snprintf(err->message, sizeof err->message,
               d->parsed ? "document already parsed" : "out of memory");
    }
    return TOML_ENOMEM;
  }
  d->parsed = true;
  d->len = len;
  memset(d->buf + len, 0, TOML_PAD);
  /* all but the stacks' first room, which needs no zeroing */
  memset(&P, 0, offsetof(toml_parser, pending0));
  memset(&P.build, 0, sizeof P.build);
  P.radix = NULL;
  P.d = d;
  P.stack = P.stack0;
  P.stack_cap = sizeof P.stack0 / sizeof *P.stack0;
  P.pending = P.pending0;
  P.pending_cap = sizeof P.pending0 / sizeof *P.pending0;
  d->build = &P.build;
  P.buf = d->buf;
  P.end = d->buf + len;
  P.v11 = version != TOML_1_0;
  P.narrow = d->keys == TOML_KEYS_NARROW ||
             (d->keys == TOML_KEYS_DEFAULT && len >= TOML_NARROW_TEXT_MIN &&
              len < TOML_NARROW_TEXT_MAX);
  P.err = err;
  st = parse_guarded(&P);
  d->build = NULL;
  if (P.pending != P.pending0)
    d->alloc(d->alloc_ud, P.pending, (size_t)P.pending_cap * sizeof(uint32_t),
             0);
  if (P.stack != P.stack0)
    d->alloc(d->alloc_ud, P.stack, (size_t)P.stack_cap * sizeof(uint32_t), 0);
  if (st != TOML_OK)
    d->root = 0;
  return st;
}
