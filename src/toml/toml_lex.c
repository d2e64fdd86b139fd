/* toml_lex.c -- characters: classes, newlines, comments, UTF-8, strings.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "toml_impl.h"

/* Bits: see TOML_CC_* in toml_impl.h. */
const uint8_t toml_cc[256] = {
    64, 0, 0, 0, 0, 0, 0, 0, 0, 206, 192, 0, 0, 192, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    206, 14, 12, 206, 14, 14, 14, 10, 14, 14, 14, 14, 78, 15, 14, 14,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 14, 14, 14, 14, 14, 14,
    14, 47, 47, 47, 47, 47, 47, 15, 15, 15, 15, 15, 15, 15, 15, 15,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 14, 12, 78, 14, 15,
    14, 47, 47, 47, 47, 47, 47, 15, 15, 15, 15, 15, 15, 15, 15, 15,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 14, 14, 78, 14, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

const char *toml_char_name(const toml_parser *P, const char *p, char buf[32])
{
  unsigned char c = (unsigned char)*p;
  if (c == 0 && p >= P->end)
    return "end of file";
  if (c == '\n' || (c == '\r' && p[1] == '\n'))
    return "a newline";
  if (c == '\'')
    return "\"'\"";
  if (c >= 0x20 && c < 0x7F)
    snprintf(buf, 32, "'%c'", c);
  else if (c < 0x20 || c == 0x7F)
    snprintf(buf, 32, "control character U+%04X", c);
  else
    snprintf(buf, 32, "byte 0x%02X", c);
  return buf;
}

/* ---- newlines, comments, UTF-8 ---- */

char *toml_newline_in(toml_parser *P, char *p)
{
  if (*p == '\r') {
    if (p[1] != '\n')
      toml_fail(P, p, "carriage return not followed by a line feed");
    p++;
  }
  p++;
  if (!toml_line_push(P->d, (uint32_t)(p - P->buf)))
    toml_oom(P, p);
  return p;
}

char *toml_utf8(toml_parser *P, char *p)
{
  const unsigned char *s = (const unsigned char *)p;
  unsigned c = s[0], lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    if ((s[1] & 0xC0) == 0x80)
      return p + 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
    if (s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80)
      return p + 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
    if (s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80)
      return p + 4;
  }
  toml_fail(P, p, "invalid UTF-8 byte sequence (byte 0x%02X)", c);
}

char *toml_comment(toml_parser *P, char *p)
{
  p++; /* '#' */
  for (;;) {
    unsigned char c;
    p = toml_scan(p, TOML_CC_COMMENT);
    c = (unsigned char)*p;
    if (c == '\n' || (c == '\r' && p[1] == '\n'))
      return p;
    if (c >= 0x80) {
      p = toml_utf8(P, p);
      continue;
    }
    if (c == 0 && p == P->end)
      return p;
    toml_fail(P, p, "control character U+%04X is not allowed in a comment",
              c);
  }
}

char *toml_skip_wcn_in(toml_parser *P, char *p)
{
  for (;;) {
    p = toml_skip_ws(p);
    if (*p == '\n' || *p == '\r')
      p = toml_newline(P, p);
    else if (*p == '#')
      p = toml_comment(P, p);
    else
      return p;
  }
}

/* ---- strings ---- */

static int hex_value(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static char *put_utf8(char *w, uint32_t cp)
{
  if (cp < 0x80) {
    *w++ = (char)cp;
  } else if (cp < 0x800) {
    *w++ = (char)(0xC0 | (cp >> 6));
    *w++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *w++ = (char)(0xE0 | (cp >> 12));
    *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *w++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *w++ = (char)(0xF0 | (cp >> 18));
    *w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *w++ = (char)(0x80 | (cp & 0x3F));
  }
  return w;
}

/* Decodes the escape at q (a backslash) into *wp.  The decoded form is never
 * longer than the escape, so decoding in place is safe. */
static char *lex_escape(toml_parser *P, char *q, char **wp)
{
  char *w = *wp;
  char name[32];
  int n, i;
  uint32_t cp = 0;
  switch (q[1]) {
  case 'b': *w++ = '\b'; break;
  case 't': *w++ = '\t'; break;
  case 'n': *w++ = '\n'; break;
  case 'f': *w++ = '\f'; break;
  case 'r': *w++ = '\r'; break;
  case '"': *w++ = '"'; break;
  case '\\': *w++ = '\\'; break;
  case 'e':
    if (!P->v11)
      toml_fail(P, q, "the escape '\\e' needs TOML 1.1 (this is TOML 1.0)");
    *w++ = 0x1B;
    break;
  case 'x':
    if (!P->v11)
      toml_fail(P, q, "the escape '\\xHH' needs TOML 1.1 (this is TOML 1.0)");
    n = 2;
    goto hex;
  case 'u':
    n = 4;
    goto hex;
  case 'U':
    n = 8;
    goto hex;
  default:
    if (q[1] > 0x20 && q[1] < 0x7F)
      toml_fail(P, q, "invalid escape '\\%c' in string", q[1]);
    toml_fail(P, q, "invalid escape in string: '\\' followed by %s",
              toml_char_name(P, q + 1, name));
  }
  *wp = w;
  return q + 2;
hex:
  for (i = 0; i < n; i++) {
    int v = hex_value((unsigned char)q[2 + i]);
    if (v < 0)
      toml_fail(P, q, "the escape '\\%c' needs %d hexadecimal digits", q[1],
                n);
    cp = cp << 4 | (uint32_t)v;
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    toml_fail(P, q, "escape '\\%c%.*s' is not a Unicode scalar value", q[1], n,
              q + 2);
  *wp = put_utf8(w, cp);
  return q + 2 + n;
}

TOML_NORETURN static void bad_char(toml_parser *P, const char *open,
                                   const char *q, const char *what)
{
  char name[32];
  if (*q == 0 && q >= P->end)
    toml_fail(P, open, "unterminated %s", what);
  if (*q == '\n' || *q == '\r')
    toml_fail(P, open, "unterminated %s (a newline comes before the closing "
                       "quote)", what);
  toml_fail(P, q, "%s is not allowed in a %s; escape it",
            toml_char_name(P, q, name), what);
}

/* "..." at p, read up to q (no escape, nothing to move before q). */
__attribute__((noinline)) static char *
lex_basic(toml_parser *P, char *p, char *q, uint32_t *off, uint32_t *len)
{
  char *start = p + 1, *w;
  for (;;) { /* no escape yet: nothing moves */
    q = toml_scan(q, TOML_CC_BASIC);
    if (*q == '"') {
      *q = '\0';
      *off = (uint32_t)(start - P->buf);
      *len = (uint32_t)(q - start);
      return q + 1;
    }
    if ((unsigned char)*q >= 0x80) {
      q = toml_utf8(P, q);
      continue;
    }
    if (*q == '\\')
      break;
    bad_char(P, p, q, "string");
  }
  w = q;
  for (;;) {
    char *run;
    if (*q == '\\') {
      q = lex_escape(P, q, &w);
      continue;
    }
    run = q;
    for (;;) {
      q = toml_scan(q, TOML_CC_BASIC);
      if ((unsigned char)*q < 0x80)
        break;
      q = toml_utf8(P, q);
    }
    memmove(w, run, (size_t)(q - run));
    w += q - run;
    if (*q == '"') {
      *w = '\0';
      *off = (uint32_t)(start - P->buf);
      *len = (uint32_t)(w - start);
      return q + 1;
    }
    if (*q != '\\')
      bad_char(P, p, q, "string");
  }
}

/* '...' at p, read up to q. */
__attribute__((noinline)) static char *
lex_literal(toml_parser *P, char *p, char *q, uint32_t *off, uint32_t *len)
{
  for (;;) {
    q = toml_scan(q, TOML_CC_LITERAL);
    if (*q == '\'') {
      *q = '\0';
      *off = (uint32_t)(p + 1 - P->buf);
      *len = (uint32_t)(q - (p + 1));
      return q + 1;
    }
    if ((unsigned char)*q >= 0x80) {
      q = toml_utf8(P, q);
      continue;
    }
    bad_char(P, p, q, "literal string");
  }
}

/* """...""" and '''...''': quote is the delimiter.  Newlines are kept as LF
 * (CRLF is normalised); in basic ones escapes and line-ending backslashes
 * are decoded.  Up to two quotes may touch the closing delimiter. */
__attribute__((noinline)) static char *
lex_multiline(toml_parser *P, char *p, char quote, uint32_t *off, uint32_t *len)
{
  const unsigned cls = quote == '"' ? TOML_CC_BASIC : TOML_CC_LITERAL;
  const char *what =
      quote == '"' ? "multi-line string" : "multi-line literal string";
  char *q = p + 3, *start, *w;
  if (*q == '\n' || (*q == '\r' && q[1] == '\n'))
    q = toml_newline(P, q); /* a newline right after the opening is trimmed */
  start = w = q;
  for (;;) {
    char *run = q;
    unsigned char c;
    q = toml_scan(q, cls);
    if (w != run)
      memmove(w, run, (size_t)(q - run));
    w += q - run;
    c = (unsigned char)*q;
    if (c == (unsigned char)quote) {
      int n = 1;
      while (q[n] == quote)
        n++;
      if (n >= 3) {
        if (n > 5)
          toml_fail(P, q + 5, "too many quotes at the end of a %s", what);
        n -= 3;
        memmove(w, q, (size_t)n);
        w += n;
        *w = '\0';
        *off = (uint32_t)(start - P->buf);
        *len = (uint32_t)(w - start);
        return q + n + 3;
      }
      memmove(w, q, (size_t)n);
      w += n;
      q += n;
    } else if (c == '\n' || c == '\r') {
      q = toml_newline(P, q);
      *w++ = '\n';
    } else if (c >= 0x80) {
      char *e = toml_utf8(P, q);
      memmove(w, q, (size_t)(e - q));
      w += e - q;
      q = e;
    } else if (c == '\\' && quote == '"') {
      char *r = toml_skip_ws(q + 1);
      if (*r == '\n' || *r == '\r') { /* line-ending backslash */
        q = r;
        for (;;) {
          q = toml_skip_ws(q);
          if (*q != '\n' && *q != '\r')
            break;
          q = toml_newline(P, q);
        }
      } else if (r != q + 1) {
        toml_fail(P, q, "a backslash followed by spaces must end the line "
                        "in a multi-line string");
      } else {
        q = lex_escape(P, q, &w);
      }
    } else {
      bad_char(P, p, q, what);
    }
  }
}

/* The common string (single-line, printable ASCII and tabs up to its
 * closing quote) is settled here, without a frame; at the first byte that
 * needs care (an escape, UTF-8, a control character, the end) lex_basic or
 * lex_literal goes on from where the scan stopped. */
char *toml_lex_string(toml_parser *P, char *p, uint32_t *off, uint32_t *len,
                      bool key)
{
  char quote = *p, *q;
  if (TOML_UNLIKELY(p[1] == quote) && p[2] == quote) {
    if (key)
      toml_fail(P, p, "a key cannot be a multi-line string");
    return lex_multiline(P, p, quote, off, len);
  }
  if (quote == '"') {
    q = toml_scan(p + 1, TOML_CC_BASIC);
    if (TOML_LIKELY(*q == '"'))
      goto done;
    return lex_basic(P, p, q, off, len);
  }
  q = toml_scan(p + 1, TOML_CC_LITERAL);
  if (TOML_UNLIKELY(*q != '\''))
    return lex_literal(P, p, q, off, len);
done:
  *q = '\0';
  *off = (uint32_t)(p + 1 - P->buf);
  *len = (uint32_t)(q - (p + 1));
  return q + 1;
}
