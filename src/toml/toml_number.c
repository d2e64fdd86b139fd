/* toml_number.c -- integers (decimal, hex, octal, binary) and floats.
 * SPDX-License-Identifier: MIT */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "toml_impl.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* After a number: whatever follows must end the value. */
static char *number_end(toml_parser *P, char *p, const char *what)
{
  char name[32];
  if (!toml_is((unsigned char)*p, TOML_CC_END))
    toml_fail(P, p, "invalid %s: unexpected %s", what,
              toml_char_name(P, p, name));
  return p;
}

/* One more than the value of hexadecimal digit c; 0 when c is none (so
 * that hex_value1[c] - 1, unsigned, is at least 16 for a non-digit). */
static const uint8_t hex_value1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

/* Whether the 8 bytes at p are all digits of base 2^bits; if so their
 * value (8 * bits of it) in *val.  x gets each byte's digit value (0 to 15
 * where it is one), which pairs, fours and eights combine (the first byte
 * the most significant: bytes in memory order in a word, little-endian).
 * A hexadecimal digit is tested without carries between the bytes: all
 * below 0x80 first, then each range with its own bias. */
static inline bool radix8(const char *p, unsigned bits, uint64_t *val)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t w, x;
  memcpy(&w, p, 8);
  if (bits == 1) {
    if ((w & 0xFEFEFEFEFEFEFEFEull) != 0x3030303030303030ull)
      return false;
    /* each byte's bit to bit 63 - byte: one multiply */
    *val = ((w & TOML_ONES) * 0x8040201008040201ull) >> 56;
    return true;
  }
  if (bits == 3) {
    if ((w & 0xF8F8F8F8F8F8F8F8ull) != 0x3030303030303030ull)
      return false;
    x = w & 0x0707070707070707ull;
  } else {
    uint64_t l = w | 0x2020202020202020ull, dig, let;
    if (w & TOML_HIGHS)
      return false;
    dig = (w + TOML_ONES * (0x80 - '0')) & ~(w + TOML_ONES * (0x80 - '9' - 1));
    let = (l + TOML_ONES * (0x80 - 'a')) & ~(l + TOML_ONES * (0x80 - 'f' - 1));
    if (((dig | let) & TOML_HIGHS) != TOML_HIGHS)
      return false;
    x = (w & 0x0F0F0F0F0F0F0F0Full) + ((w >> 6) & TOML_ONES) * 9;
  }
  x = ((x << bits) + (x >> 8)) & 0x00FF00FF00FF00FFull;
  x = ((x << 2 * bits) + (x >> 16)) & 0x0000FFFF0000FFFFull;
  *val = ((x << 4 * bits) + (x >> 32)) & 0xFFFFFFFFull;
  return true;
#else
  (void)p, (void)bits, (void)val;
  return false;
#endif
}

/* The digits of a 0x / 0o / 0b integer from p (past its prefix at s), bits
 * a digit (a constant in each caller), eight at a time where it can.  A
 * digit that would push a set bit past bit 62 is out of range (for eight
 * digits: a set bit in v past bit 62 - 8 * bits); that test runs for every
 * digit but fails the number only where the loop stops (*over), which is
 * where it would have been reported first: no later error can come before
 * it (an invalid digit stops the loop). */
static inline __attribute__((always_inline)) char *
radix_digits(toml_parser *P, char *s, char *p, unsigned bits, uint64_t *vp,
             const char *name)
{
  uint64_t v = 0, over = 0, val;
  for (;;) {
    unsigned char c;
    unsigned d;
    while (radix8(p, bits, &val)) {
      over |= v >> (63 - 8 * bits);
      v = v << (8 * bits) | val;
      p += 8;
    }
    for (;;) {
      c = (unsigned char)*p;
      d = (unsigned)hex_value1[c] - 1;
      if (d >= (1u << bits))
        break;
      over |= v >> (63 - bits);
      v = v << bits | d;
      p++;
    }
    if (c == '_' && p > s + 2 && toml_is((unsigned char)p[1], TOML_CC_HEX)) {
      p++;
      continue;
    }
    if (c >= '0' && c <= '9' && !over) /* out of range first, if it was */
      toml_fail(P, p, "invalid digit '%c' in %s integer", c, name);
    break;
  }
  if (over)
    toml_fail(P, s, "integer out of range (larger than 2^63-1)");
  *vp = v;
  return p;
}

/* 0x / 0o / 0b integers; p at the prefix. */
__attribute__((noinline)) static char *lex_radix(toml_parser *P, char *p,
                                                 toml_node *n)
{
  char kind = p[1], *q;
  uint64_t v;
  if (kind == 'x')
    q = radix_digits(P, p, p + 2, 4, &v, "hexadecimal");
  else if (kind == 'o')
    q = radix_digits(P, p, p + 2, 3, &v, "octal");
  else
    q = radix_digits(P, p, p + 2, 1, &v, "binary");
  if (q == p + 2)
    toml_fail(P, q, "expected a digit after '0%c' in %s integer", kind,
              kind == 'x' ? "hexadecimal" : kind == 'o' ? "octal" : "binary");
  n->meta |= TOML_INTEGER;
  n->u.i = (int64_t)v;
  return number_end(P, q, "integer");
}

/* Reads digits with single underscores between them from p, keeping the
 * first 19 significant ones in *m (*ndig counts them) and counting the rest
 * in *dropped; *count gets the number of digits read.  Returns the end. */
static char *digits(toml_parser *P, char *p, uint64_t *m, int *ndig,
                    int *dropped, int *count, const char *what)
{
  char *s = p;
  int underscores = 0;
  if (!is_digit(*p))
    toml_fail(P, p, "expected a digit in %s", what);
  for (;;) {
    if (is_digit(*p)) {
      if (*ndig < 19) {
        *m = *m * 10 + (uint64_t)(*p - '0');
        if (*m)
          (*ndig)++;
      } else {
        (*dropped)++;
      }
      p++;
    } else if (*p == '_') {
      if (!is_digit(p[1]))
        toml_fail(P, p, "an underscore in %s must be between two digits",
                  what);
      underscores++;
      p++;
    } else {
      *count = (int)(p - s) - underscores;
      return p;
    }
  }
}

/* Correct rounding for everything outside the fast path: strtod on the
 * number without underscores, with the locale's decimal point. */
static double slow_float(toml_parser *P, const char *s, const char *e)
{
  double v;
  const char *dp = P->radix ? P->radix
                            : (P->radix = localeconv()->decimal_point);
  if (dp && dp[0] == '.' && !dp[1] && !memchr(s, '_', (size_t)(e - s))) {
    /* the text as it is: valid, and ended by a character that ends a
     * number for strtod too */
    char *end;
    v = strtod(s, &end);
    if (end == e)
      return v;
  }
  size_t dpl = dp && *dp ? strlen(dp) : 1;
  size_t cap = (size_t)(e - s) * (dpl + 1) + 1, i = 0;
  char small[256], *buf = small, *end;
  if (cap > sizeof small) {
    buf = P->d->alloc(P->d->alloc_ud, NULL, 0, cap);
    if (!buf)
      toml_oom(P, s);
  }
  for (; s < e; s++) {
    if (*s == '_')
      continue;
    if (*s == '.' && dp && *dp) {
      memcpy(buf + i, dp, dpl);
      i += dpl;
    } else {
      buf[i++] = *s;
    }
  }
  buf[i] = '\0';
  v = strtod(buf, &end);
  if (buf != small)
    P->d->alloc(P->d->alloc_ud, buf, cap, 0);
  return v;
}

#include "toml_pow10.h"

/* m * 10^e correctly rounded, without strtod, for the common shapes
 * outside the exact fast path (m of up to 19 digits, large exponents: the
 * Eisel-Lemire method).  How it works: m, shifted so its top bit is set,
 * times the 128-bit mantissa of 10^e (toml_pow10.h, rounded down) gives
 * the value's leading bits; the table's error (below one unit of its last
 * bit) moves the product's low 64 bits by less than m, so when adding m to
 * them cannot carry into the high word, the high word is exact.  Else the
 * table's second half narrows it; the few products still ambiguous (a
 * carry may or may not reach the 54 leading bits, or an exact halfway
 * point) and results outside the normal doubles (overflow, subnormals)
 * return false, for strtod.  m is not 0; the result is positive. */
static bool el_float(uint64_t m, long e, double *out)
{
#if !defined(__SIZEOF_INT128__) /* no 128-bit products: strtod */
  (void)m, (void)e, (void)out;
  return false;
#else
  if (e < TOML_POW10_MIN || e > TOML_POW10_MAX)
    return false;
  const uint64_t *t = toml_pow10[e - TOML_POW10_MIN];
  int lz = __builtin_clzll(m);
  m <<= lz;
  unsigned __int128 x = (unsigned __int128)m * t[0];
  uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
  if ((hi & 0x1FF) == 0x1FF && lo + m < lo) {
    unsigned __int128 y = (unsigned __int128)m * t[1];
    uint64_t yhi = (uint64_t)(y >> 64), ylo = (uint64_t)y;
    uint64_t mlo = lo + yhi, mhi = hi + (mlo < lo);
    if ((mhi & 0x1FF) == 0x1FF && mlo + 1 == 0 && ylo + m < ylo)
      return false;
    hi = mhi;
    lo = mlo;
  }
  /* floor(e * log2(10)) is (217706 * e) >> 16 over the table's range
   * (tools/gen-pow10.py checks it) */
  unsigned msb = (unsigned)(hi >> 63);
  uint64_t mant = hi >> (msb + 9); /* 54 bits: 53 and the rounding bit */
  int64_t exp2 = (((int64_t)217706 * e) >> 16) + 64 + 1023 - lz - (1 ^ msb);
  if (lo == 0 && (hi & 0x1FF) == 0 && (mant & 3) == 1)
    return false; /* exactly halfway, maybe: ties go to even */
  mant = (mant + (mant & 1)) >> 1;
  if (mant >> 53) { /* rounding carried into a 54th bit */
    mant >>= 1;
    exp2++;
  }
  if (exp2 < 1 || exp2 > 0x7FE)
    return false; /* subnormal, zero or infinite: strtod */
  uint64_t bits = (uint64_t)exp2 << 52 | (mant & ((1ull << 52) - 1));
  memcpy(out, &bits, sizeof *out);
  return true;
#endif
}

/* m * 10^e, correctly rounded, for 0 <= e <= 27 (5^e fits in 64 bits):
 * the product m * 5^e is exact in 128 bits; its leading 53 bits are
 * rounded here (to nearest, ties to even, from the bits below), then
 * scaled by 2^e and the bits dropped, which is exact.  This settles the
 * products that el_float may find ambiguous, like 1e23, without strtod. */
static bool int_float(uint64_t m, long e, double *out)
{
#if !defined(__SIZEOF_INT128__) /* no 128-bit products: el_float, strtod */
  (void)m, (void)e, (void)out;
  return false;
#else
  static const uint64_t pow5[28] = {
      1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull,
      390625ull, 1953125ull, 9765625ull, 48828125ull, 244140625ull,
      1220703125ull, 6103515625ull, 30517578125ull, 152587890625ull,
      762939453125ull, 3814697265625ull, 19073486328125ull,
      95367431640625ull, 476837158203125ull, 2384185791015625ull,
      11920928955078125ull, 59604644775390625ull, 298023223876953125ull,
      1490116119384765625ull, 7450580596923828125ull};
  if (e < 0 || e > 27 || m == 0)
    return false;
  unsigned __int128 x = (unsigned __int128)m * pow5[e];
  uint64_t hi = (uint64_t)(x >> 64);
  int bits = hi ? 128 - __builtin_clzll(hi)
                : 64 - __builtin_clzll((uint64_t)x);
  int shift = bits > 53 ? bits - 53 : 0;
  uint64_t mant = (uint64_t)(x >> shift);
  if (shift) {
    unsigned __int128 rem = x & (((unsigned __int128)1 << shift) - 1);
    unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
    if (rem > half || (rem == half && (mant & 1)))
      mant++;
    if (mant >> 53) { /* rounding carried into a 54th bit */
      mant >>= 1;
      shift++;
    }
  }
  /* 2^(shift + e), at most 2^102: a normal double, so the product is
   * exact */
  uint64_t p2 = (uint64_t)(1023 + shift + e) << 52;
  double scale;
  memcpy(&scale, &p2, sizeof scale);
  *out = (double)mant * scale;
  return true;
#endif
}

static const double exact_pow10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* n becomes the float m * 10^e (exactly that unless digits were dropped:
 * then strtod on the number's text s to end, its sign included),
 * negative when neg. */
static inline void put_float(toml_parser *P, toml_node *n, uint64_t m,
                             long e, bool dropped, bool neg, const char *s,
                             const char *end)
{
  double f;
  if (m == 0)
    f = neg ? -0.0 : 0.0;
  else if (!dropped && m <= (1ull << 53) && e >= -22 && e <= 22)
    f = e < 0 ? (double)m / exact_pow10[-e] : (double)m * exact_pow10[e];
  else if (dropped || (!int_float(m, e, &f) && !el_float(m, e, &f)))
    f = slow_float(P, s, end);
  if (neg && f > 0)
    f = -f;
  n->meta |= TOML_FLOAT;
  n->u.f = f;
}

/* Everything but the fast path of toml_lex_number (out of line, so that
 * the fast path needs no frame). */
__attribute__((noinline)) static char *lex_number(toml_parser *P, char *p,
                                                  toml_node *n)
{
  char *s = p;
  bool neg = false, is_float = false;
  uint64_t m = 0;
  int ndig = 0, dropped = 0, frac = 0, count = 0;
  long exp10 = 0;
  double f;

  if (*p == '+' || *p == '-') {
    neg = *p == '-';
    p++;
  }
  if (*p == 'i' || *p == 'n') {
    if (memcmp(p, "inf", 3) == 0)
      f = neg ? -HUGE_VAL : HUGE_VAL;
    else if (memcmp(p, "nan", 3) == 0)
      f = neg ? -NAN : NAN;
    else
      toml_fail(P, s, "expected a value (a number, 'inf' or 'nan')");
    n->meta |= TOML_FLOAT;
    n->u.f = f;
    return number_end(P, p + 3, "float");
  }
  if (*p == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
    if (p != s)
      toml_fail(P, s, "hexadecimal, octal and binary integers cannot have a "
                      "sign");
    return lex_radix(P, p, n);
  }
  if (!is_digit(*p)) {
    char name[32];
    toml_fail(P, p, "expected a digit, found %s", toml_char_name(P, p, name));
  }
  if (*p == '0') {
    p++;
    if (is_digit(*p) || *p == '_')
      toml_fail(P, s, "leading zeros are not allowed in numbers");
  } else {
    p = digits(P, p, &m, &ndig, &dropped, &count, "a number");
  }
  if (*p == '.') {
    is_float = true;
    p = digits(P, p + 1, &m, &ndig, &dropped, &frac,
               "the fraction of a float");
  }
  if (*p == 'e' || *p == 'E') {
    bool eneg = false;
    is_float = true;
    p++;
    if (*p == '+' || *p == '-') {
      eneg = *p == '-';
      p++;
    }
    if (!is_digit(*p))
      toml_fail(P, p, "expected a digit in the exponent of a float");
    for (;;) {
      if (is_digit(*p)) {
        if (exp10 < 100000)
          exp10 = exp10 * 10 + (*p - '0');
        p++;
      } else if (*p == '_') {
        if (!is_digit(p[1]))
          toml_fail(P, p, "an underscore in the exponent of a float must be "
                          "between two digits");
        p++;
      } else
        break;
    }
    if (eneg)
      exp10 = -exp10;
  }
  if (!is_float) {
    /* m holds every digit unless more than 19 were significant */
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    number_end(P, p, "integer");
    if (dropped || m > lim)
      toml_fail(P, s, "integer out of range (it must fit in 64 bits)");
    n->meta |= TOML_INTEGER;
    n->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
    return p;
  }
  number_end(P, p, "float");
  put_float(P, n, m, exp10 - frac + dropped, dropped, neg, s, p);
  return p;
}

/* The run of up to 8 decimal digits at p: its value, and its length (0 to
 * 8) in *len.  Reading 8 bytes is safe anywhere up to the end of the text
 * thanks to the padding (TOML_PAD).  With bytes in memory order in a word
 * (little-endian): x holds each byte minus '0', and a byte that is no
 * digit sets its top bit in stop (below the first one no byte borrows or
 * carries, so the first is found exactly); the digits, moved to the top
 * of the word (the bytes below them zero), are combined in pairs, fours
 * and eights by three multiplies. */
static inline uint64_t digits8(const char *p, int *len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t w, x, stop;
  int n;
  memcpy(&w, p, 8);
  x = w - 0x3030303030303030ull;
  stop = (x | (x + 0x7676767676767676ull)) & TOML_HIGHS;
  n = stop ? __builtin_ctzll(stop) >> 3 : 8;
  *len = n;
  if (!n)
    return 0;
  x <<= 8 * (8 - n);
  x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFull;
  x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFull;
  return (x * 10000 + (x >> 32)) & 0xFFFFFFFFull;
#else
  uint64_t v = 0;
  int n = 0;
  while (n < 8 && is_digit(p[n]))
    v = v * 10 + (uint64_t)(p[n++] - '0');
  *len = n;
  return v;
#endif
}

/* Digits with single underscores between them from p (a digit) into *m,
 * counting them in *nd; stops early once more than 19 were read (the
 * caller then leaves the number to lex_number).  Returns the end. */
static inline __attribute__((always_inline)) char *
digit_run(char *p, uint64_t *m, int *nd)
{
  static const uint64_t scale[9] = {1,       10,       100,
                                    1000,    10000,    100000,
                                    1000000, 10000000, 100000000};
  for (;;) {
    int k;
    uint64_t v = digits8(p, &k);
    *m = *m * scale[k] + v;
    *nd += k;
    p += k;
    if (*nd > 19)
      return p;
    if (k == 8)
      continue;
    if (*p == '_' && is_digit(p[1])) {
      p++;
      continue;
    }
    return p;
  }
}

/* The rest of toml_lex_number's pass: the number at p, whose first run of
 * up to 8 digits ends at q with value m (nd digits), is read on: more
 * digits, an integer, or a float; lex_number from the start for whatever
 * it does not settle.  Out of line, so that short integers need no frame. */
__attribute__((noinline)) static char *
lex_decimal(toml_parser *P, char *p, toml_node *n, char *q, uint64_t m, int nd)
{
  int fd;
  long e10 = 0;
  bool neg = *p == '-';
  if (nd == 8) /* digit_run's loop, where the fast path left it */
    q = digit_run(q, &m, &nd);
  else if (*q == '_' && is_digit(q[1]))
    q = digit_run(q + 1, &m, &nd);
  if (TOML_LIKELY(nd <= 19 && toml_is((unsigned char)*q, TOML_CC_END))) {
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (nd == 19 && m > lim)
      return lex_number(P, p, n);
    n->meta |= TOML_INTEGER;
    n->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
    return q;
  }
  if (nd > 19)
    return lex_number(P, p, n);
  fd = nd;
  if (*q == '.') {
    if (!is_digit(q[1]))
      return lex_number(P, p, n);
    q = digit_run(q + 1, &m, &nd);
    if (nd > 19)
      return lex_number(P, p, n);
  } else if ((*q | 0x20) != 'e') {
    return lex_number(P, p, n);
  }
  fd = nd - fd;
  if ((*q | 0x20) == 'e') {
    bool eneg;
    q++;
    eneg = *q == '-';
    if (*q == '+' || *q == '-')
      q++;
    if (!is_digit(*q))
      return lex_number(P, p, n);
    for (;;) {
      if (is_digit(*q)) {
        if (e10 < 100000)
          e10 = e10 * 10 + (*q - '0');
        q++;
      } else if (*q == '_' && is_digit(q[1])) {
        q++;
      } else
        break;
    }
    if (eneg)
      e10 = -e10;
  }
  if (!toml_is((unsigned char)*q, TOML_CC_END))
    return lex_number(P, p, n);
  put_float(P, n, m, e10 - fd, false, neg, p, q);
  return q;
}

/* One pass over the common numbers: decimal integers and floats of up to
 * 19 digits, with underscores and exponents; 0x / 0o / 0b integers go
 * straight to lex_radix.  An integer of up to 7 digits is settled here
 * (without a frame), the rest by lex_decimal from where its first 8 digits
 * stop.  Whatever these do not settle (a sign on a radix integer, inf and
 * nan, leading zeros, more digits, every error) goes to lex_number from the
 * start, which reads it as it always did: the same values (m, the
 * fraction's digits and the exponent are what lex_number reads when
 * nothing is dropped) and the same errors. */
char *toml_lex_number(toml_parser *P, char *p, toml_node *n)
{
  char *q = p;
  uint64_t m;
  int nd;
  if (*q == '+' || *q == '-')
    q++;
  if (!is_digit(*q))
    return lex_number(P, p, n);
  if (*q == '0') {
    char c = q[1];
    if ((c == 'x' || c == 'o' || c == 'b') && q == p)
      return lex_radix(P, q, n);
    if (is_digit(c) || c == '_')
      return lex_number(P, p, n);
  }
  m = digits8(q, &nd);
  q += nd;
  if (TOML_LIKELY(nd < 8 && toml_is((unsigned char)*q, TOML_CC_END))) {
    n->meta |= TOML_INTEGER;
    n->u.i = *p == '-' ? (int64_t)(0 - m) : (int64_t)m;
    return q;
  }
  return lex_decimal(P, p, n, q, m, nd);
}
