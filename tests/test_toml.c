/* test_toml.c -- the TOML reader through the public API: values and their
 * positions, errors and their positions, table rules, limits, encodings.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <plugkit.h>

/* ---- helpers ---- */

static pk_doc *parse_v(const char *text, size_t len, pk_toml_version v)
{
  pk_doc_options o = {.size = sizeof o, .version = v};
  pk_doc *doc = NULL;
  pk_error err;
  pk_status st = pk_doc_parse(text, len, "t.toml", &o, &doc, &err);
  cr_assert_eq(st, PK_OK, "parse failed: %d:%d: %s", err.line, err.col,
               err.message);
  cr_assert_not_null(doc);
  return doc;
}

static pk_doc *parse(const char *text)
{
  return parse_v(text, strlen(text), PK_TOML_DEFAULT);
}

/* Parses text that must fail; returns the error. */
static pk_error fail_v(const char *text, size_t len, pk_toml_version v)
{
  pk_doc_options o = {.size = sizeof o, .version = v};
  pk_doc *doc = (pk_doc *)&o;
  pk_error err;
  pk_status st = pk_doc_parse(text, len, "t.toml", &o, &doc, &err);
  cr_assert_eq(st, PK_ESYNTAX, "expected a syntax error for <%.*s>, got %s",
               (int)(len > 60 ? 60 : len), text, pk_status_name(st));
  cr_assert_null(doc, "*out must be NULL on failure");
  cr_assert_eq(err.code, PK_ESYNTAX);
  cr_assert_str_eq(err.source, "t.toml");
  return err;
}

static pk_error fail(const char *text)
{
  return fail_v(text, strlen(text), PK_TOML_DEFAULT);
}

static void assert_error(const char *text, int line, int col,
                         const char *needle)
{
  pk_error err = fail(text);
  cr_expect_eq(err.line, line, "<%s>: line %d, expected %d (%s)", text,
               err.line, line, err.message);
  cr_expect_eq(err.col, col, "<%s>: col %d, expected %d (%s)", text, err.col,
               col, err.message);
  cr_expect(strstr(err.message, needle) != NULL,
            "<%s>: message \"%s\" lacks \"%s\"", text, err.message, needle);
}

static void assert_pos(pk_pos p, int line, int col)
{
  cr_assert_str_eq(p.source, "t.toml");
  cr_assert_eq(p.line, line, "line %d, expected %d", p.line, line);
  cr_assert_eq(p.col, col, "col %d, expected %d", p.col, col);
}

static const pk_value *get(const pk_value *t, const char *key, pk_kind kind)
{
  const pk_value *v = pk_table_get(t, key);
  cr_assert_not_null(v, "key %s missing", key);
  cr_assert_eq(pk_value_kind(v), kind, "key %s: kind %s", key,
               pk_kind_name(pk_value_kind(v)));
  return v;
}

/* ---- values and positions ---- */

Test(toml, every_kind_with_positions)
{
  const char *text = "s = \"str\"\n"                  /* 1 */
                     "i = -42\n"                      /* 2 */
                     "f = 6.5e-1\n"                   /* 3 */
                     "b = false\n"                    /* 4 */
                     "odt = 1979-05-27T07:32:00.5-07:30\n" /* 5 */
                     "ldt = 1979-05-27 07:32:00\n"    /* 6 */
                     "ld = 1979-05-27\n"              /* 7 */
                     "lt = 07:32:01.123456789123\n"   /* 8 */
                     "  arr = [ 1, [2], {x = 3} ]\n"  /* 9 */
                     "[tab]\n"                        /* 10 */
                     "  k = 'lit'\n";                 /* 11 */
  pk_doc *doc = parse(text);
  const pk_value *root = pk_doc_root(doc), *v, *a, *t;
  const char *s;
  size_t len;
  int64_t i;
  double f;
  bool b;
  pk_datetime dt;

  cr_assert_eq(pk_value_kind(root), PK_KIND_TABLE);
  cr_assert_eq(pk_table_count(root), 10);
  assert_pos(pk_value_get_pos(root), 1, 1);

  v = get(root, "s", PK_KIND_STRING);
  cr_assert_eq(pk_value_get_string(v, &s, &len, NULL), PK_OK);
  cr_assert_str_eq(s, "str");
  cr_assert_eq(len, 3);
  assert_pos(pk_value_get_pos(v), 1, 5);
  assert_pos(pk_table_key_pos_at(root, 0), 1, 1);
  cr_assert_str_eq(pk_table_key_at(root, 0, &len), "s");

  v = get(root, "i", PK_KIND_INTEGER);
  cr_assert_eq(pk_value_get_integer(v, &i, NULL), PK_OK);
  cr_assert_eq(i, -42);
  assert_pos(pk_value_get_pos(v), 2, 5);

  v = get(root, "f", PK_KIND_FLOAT);
  cr_assert_eq(pk_value_get_float(v, &f, NULL), PK_OK);
  cr_assert_float_eq(f, 0.65, 1e-15);

  v = get(root, "b", PK_KIND_BOOL);
  cr_assert_eq(pk_value_get_bool(v, &b, NULL), PK_OK);
  cr_assert_eq(b, false);
  assert_pos(pk_value_get_pos(v), 4, 5);

  v = get(root, "odt", PK_KIND_DATETIME);
  cr_assert_eq(pk_value_get_datetime(v, &dt, NULL), PK_OK);
  cr_assert_eq(dt.kind, PK_KIND_DATETIME);
  cr_assert(dt.year == 1979 && dt.month == 5 && dt.day == 27);
  cr_assert(dt.hour == 7 && dt.minute == 32 && dt.second == 0);
  cr_assert_eq(dt.nanosecond, 500000000);
  cr_assert_eq(dt.precision, 1);
  cr_assert_eq(dt.offset_minutes, -450);
  assert_pos(pk_value_get_pos(v), 5, 7);

  v = get(root, "ldt", PK_KIND_DATETIME_LOCAL);
  cr_assert_eq(pk_value_get_datetime(v, &dt, NULL), PK_OK);
  cr_assert(dt.hour == 7 && dt.minute == 32 && dt.day == 27);
  v = get(root, "ld", PK_KIND_DATE_LOCAL);
  cr_assert_eq(pk_value_get_datetime(v, &dt, NULL), PK_OK);
  cr_assert(dt.year == 1979 && dt.month == 5 && dt.day == 27);
  v = get(root, "lt", PK_KIND_TIME_LOCAL);
  cr_assert_eq(pk_value_get_datetime(v, &dt, NULL), PK_OK);
  cr_assert(dt.hour == 7 && dt.minute == 32 && dt.second == 1);
  cr_assert_eq(dt.nanosecond, 123456789, "extra digits are truncated");
  cr_assert_eq(dt.precision, 9);

  a = get(root, "arr", PK_KIND_ARRAY);
  assert_pos(pk_table_key_pos_at(root, 8), 9, 3);
  assert_pos(pk_value_get_pos(a), 9, 9);
  cr_assert_eq(pk_array_count(a), 3);
  assert_pos(pk_value_get_pos(pk_array_at(a, 0)), 9, 11);
  cr_assert_eq(pk_value_kind(pk_array_at(a, 1)), PK_KIND_ARRAY);
  assert_pos(pk_value_get_pos(pk_array_at(a, 1)), 9, 14);
  t = pk_array_at(a, 2);
  cr_assert_eq(pk_value_kind(t), PK_KIND_TABLE);
  assert_pos(pk_value_get_pos(t), 9, 19);
  assert_pos(pk_table_key_pos_at(t, 0), 9, 20);
  cr_assert_null(pk_array_at(a, 3));

  t = get(root, "tab", PK_KIND_TABLE);
  assert_pos(pk_value_get_pos(t), 10, 1);
  v = get(t, "k", PK_KIND_STRING);
  assert_pos(pk_value_get_pos(v), 11, 7);
  assert_pos(pk_table_key_pos_at(t, 0), 11, 3);
  pk_doc_free(doc);
}

/* Strings and comments are scanned 16 (or 8) bytes at a time: a byte that
 * needs care (an escape, a tab, UTF-8, the closing quote, a control
 * character) is found at every offset of every block, with the same
 * values and errors. */
Test(toml, strings_and_comments_scanned_at_every_offset)
{
  static const char *const special[] = {"\\n", "\t", "\xc3\xa9", "\\u00e9"};
  static const char *const decoded[] = {"\n", "\t", "\xc3\xa9", "\xc3\xa9"};
  char text[320], want[128], raw[128];
  for (int len = 0; len <= 40; len++) {
    for (int at = 0; at <= len; at++) {
      for (size_t k = 0; k < 4; k++) {
        int basic_only = k == 0 || k == 3; /* escapes */
        snprintf(raw, sizeof raw, "%.*s%s%.*s", at,
                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP", special[k],
                 len - at, "0123456789012345678901234567890123456789xx");
        snprintf(want, sizeof want, "%.*s%s%.*s", at,
                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP", decoded[k],
                 len - at, "0123456789012345678901234567890123456789xx");
        for (int lit = 0; lit <= !basic_only; lit++) {
          snprintf(text, sizeof text, "s = %c%s%c # %s\nt = 1\n",
                   lit ? '\'' : '"', raw, lit ? '\'' : '"',
                   basic_only ? "c" : raw);
          pk_doc *doc = parse(text);
          const char *got;
          size_t n;
          cr_assert_eq(pk_value_get_string(pk_table_get(pk_doc_root(doc), "s"),
                                           &got, &n, NULL),
                       PK_OK);
          cr_assert(n == strlen(want) && memcmp(got, want, n) == 0,
                    "<%s>: \"%.*s\"", text, (int)n, got);
          cr_assert_not_null(pk_table_get(pk_doc_root(doc), "t"));
          pk_doc_free(doc);
        }
      }
      /* a control character at that offset: the same error, at its byte */
      snprintf(text, sizeof text, "s = \"%.*s\x01%.*s\"\n", at,
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP", len - at,
               "0123456789012345678901234567890123456789xx");
      pk_error e = fail(text);
      cr_assert_eq(e.line, 1);
      cr_assert_eq(e.col, 6 + at, "<%s>: col %d", text, e.col);
      cr_assert(strstr(e.message, "control character U+0001"), "%s", e.message);
    }
  }
}

/* A float outside the exact fast path is read by strtod from the text
 * itself when it has no underscore, from a copy without them otherwise:
 * both give the same double, whatever character ends the number. */
Test(toml, floats_from_the_text_equal_floats_from_a_copy)
{
  static const char *const plain[] = {"8.480e+234",
                                      "13E-29",
                                      "4.209e264",
                                      "1.407e-250",
                                      "2.5e100",
                                      "-9.5e-300",
                                      "123456789012345678901.5"};
  static const char *const forms[] = {"x = %s\n",      "x = %s",
                                      "x = %s # c\n",  "x = [%s,1]\n",
                                      "x = [1, %s]\n", "x = { y = %s }\n"};
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
    char under[64], text[128];
    /* the same number with an underscore between its first two adjacent
     * digits */
    const char *d = plain[i];
    while (!(isdigit((unsigned char)d[0]) && isdigit((unsigned char)d[1])))
      d++;
    snprintf(under, sizeof under, "%.*s_%s", (int)(d + 1 - plain[i]), plain[i],
             d + 1);
    double want = strtod(plain[i], NULL);
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
      for (int u = 0; u < 2; u++) {
        snprintf(text, sizeof text, forms[f], u ? under : plain[i]);
        pk_doc *doc = parse(text);
        const pk_value *x = pk_table_get(pk_doc_root(doc), "x");
        if (pk_value_kind(x) == PK_KIND_ARRAY)
          x = pk_array_at(x, f == 3 ? 0 : 1);
        else if (pk_value_kind(x) == PK_KIND_TABLE)
          x = pk_table_get(x, "y");
        double got = NAN;
        cr_assert_eq(pk_value_get_float(x, &got, NULL), PK_OK, "<%s>", text);
        cr_assert(memcmp(&got, &want, sizeof got) == 0,
                  "<%s>: %.17g, not %.17g", text, got, want);
        pk_doc_free(doc);
      }
    }
  }
}

/* A float's digits and exponent: random, or a double (or the midpoint
 * to the next one) written with 15 to 19 significant digits. */
static uint64_t xorshift(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void random_float(uint64_t *s, char *buf, size_t n)
{
  uint64_t r = xorshift(s);
  if (r % 3 == 0) { /* a double or a midpoint, near a rounding boundary */
    uint64_t bits = xorshift(s) & 0x7FEFFFFFFFFFFFFFull, up = bits + 1;
    double d, next; /* a positive finite double and the next one up */
    memcpy(&d, &bits, sizeof d);
    memcpy(&next, &up, sizeof next);
    snprintf(buf, n, "%.*e", 14 + (int)(xorshift(s) % 5),
             r & 8 ? d : d + (next - d) / 2);
    return;
  }
  int digits = 1 + (int)(xorshift(s) % 19);
  uint64_t lim = 1, m;
  for (int k = 0; k < digits; k++)
    lim *= 10;
  m = xorshift(s) % lim;
  snprintf(buf, n, "%llue%d", (unsigned long long)m,
           (int)(xorshift(s) % 720) - 370);
}

/* Parses the n numbers of nums as the array x of a document and checks
 * that each float has the bits strtod gives its text; frees nums. */
static void floats_equal_strtod(char (*nums)[40], size_t n)
{
  size_t cap = n * 40 + 64, len = 0;
  char *text = malloc(cap);
  cr_assert_not_null(text);
  len += (size_t)snprintf(text, cap, "x = [\n");
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(text + len, cap - len, "%s,\n", nums[i]);
  len += (size_t)snprintf(text + len, cap - len, "]\n");
  pk_doc *doc = parse(text);
  const pk_value *x = pk_table_get(pk_doc_root(doc), "x");
  cr_assert_eq(pk_array_count(x), n);
  for (size_t i = 0; i < n; i++) {
    double want = strtod(nums[i], NULL), got = NAN;
    cr_assert_eq(pk_value_get_float(pk_array_at(x, i), &got, NULL), PK_OK);
    cr_assert(memcmp(&got, &want, sizeof got) == 0, "%s: %.17g, not %.17g",
              nums[i], got, want);
  }
  pk_doc_free(doc);
  free(nums);
  free(text);
}

/* The conversion without strtod (el_float in toml_number.c, m of up to 19
 * digits and any exponent) gives the bits strtod gives, and falls back to
 * strtod where it cannot tell (halfway points, subnormals, overflow): a
 * document of 30000 floats, each compared with strtod on its text. */
Test(toml, floats_without_strtod_equal_strtod)
{
  static const char *const edges[] = {
      "1.7976931348623157e308",
      "1.7976931348623158e308",
      "1.8e308",
      "2.2250738585072014e-308",
      "2.2250738585072011e-308",
      "4.9e-324",
      "2.4703282292062327e-324",
      "2.4703282292062328e-324",
      "1e23",
      "9007199254740993",
      "9007199254740993.0",
      "9007199254740992.5e1",
      "8.480e+234",
      "6.721e-236",
      "1e-342",
      "1e-343",
      "1e308",
      "1e309",
      "9999999999999999999e290",
      "1.0000000000000001",
      "0.1e-22",
      "5e-324",
      "7.2057594037927933e16",
      "3.0517578125e-5",
      "1.448997445238699e-318",
      "4.940656458412465441765687928682213723651e-324"};
  enum { N = 30000 };
  char(*nums)[40] = malloc((size_t)N * 40);
  uint64_t s = 0x9E3779B97F4A7C15ull;
  size_t ne = sizeof edges / sizeof *edges;
  cr_assert_not_null(nums);
  for (size_t i = 0; i < N; i++) {
    if (i < ne)
      snprintf(nums[i], sizeof nums[i], "%s", edges[i]);
    else
      random_float(&s, nums[i], sizeof nums[i]);
    if (!strpbrk(nums[i], ".eE")) /* an integer: make it a float */
      strcat(nums[i], "e0");
  }
  floats_equal_strtod(nums, N);
}

/* m * 10^e for 0 <= e <= 27, the products of up to 128 bits rounded
 * without strtod (int_float in toml_number.c): powers of two times 10^e
 * (1e23, 8E23: the products el_float finds ambiguous, halfway or next to
 * it), odd neighbours of them, and random m of 1 to 19 digits, each
 * compared with strtod on its text. */
Test(toml, floats_of_exponents_0_to_27_equal_strtod)
{
  enum { N = 12000 };
  size_t n = 0;
  char(*nums)[40] = malloc((size_t)N * 40);
  uint64_t s = 0xD1B54A32D192ED03ull;
  cr_assert_not_null(nums);
  for (int e = 0; e <= 27; e++)
    for (int k = 0; k < 64; k++) {
      uint64_t m = 1ull << k;
      if (m >= 10000000000000000000ull)
        break;
      for (int d = -1; d <= 1; d++)
        if (m + (uint64_t)d != 0)
          snprintf(nums[n++], sizeof *nums, "%lluE%d",
                   (unsigned long long)(m + (uint64_t)d), e);
    }
  while (n < N) {
    uint64_t lim = 1, m;
    int digits = 1 + (int)(xorshift(&s) % 19), e = (int)(xorshift(&s) % 28);
    for (int k = 0; k < digits; k++)
      lim *= 10;
    m = xorshift(&s) % lim;
    if (n % 2) /* with a fraction: the same product, another spelling */
      snprintf(nums[n++], sizeof *nums, "%llu.5e%d", (unsigned long long)m,
               e + 1);
    else
      snprintf(nums[n++], sizeof *nums, "%llue%d", (unsigned long long)m, e);
  }
  floats_equal_strtod(nums, N);
}

Test(toml, integers_and_floats)
{
  pk_doc *doc = parse("a = 0xDEAD_beef\nb = 0o755\nc = 0b1101\n"
                      "d = 9223372036854775807\ne = -9223372036854775808\n"
                      "f = 1_000_000\ng = +0\nh = inf\ni = -inf\nj = nan\n"
                      "k = -0.0\nl = 1e308\nm = 5e-324\nn = 0.1\n"
                      "o = 12345678901234567890.5\np = 1_2.3_4e1_0\n");
  const pk_value *r = pk_doc_root(doc);
  int64_t i;
  double f;
  pk_table_get_integer(r, "a", &i, NULL);
  cr_assert_eq(i, 0xDEADBEEF);
  pk_table_get_integer(r, "b", &i, NULL);
  cr_assert_eq(i, 0755);
  pk_table_get_integer(r, "c", &i, NULL);
  cr_assert_eq(i, 13);
  pk_table_get_integer(r, "d", &i, NULL);
  cr_assert_eq(i, INT64_MAX);
  pk_table_get_integer(r, "e", &i, NULL);
  cr_assert_eq(i, INT64_MIN);
  pk_table_get_integer(r, "f", &i, NULL);
  cr_assert_eq(i, 1000000);
  pk_table_get_integer(r, "g", &i, NULL);
  cr_assert_eq(i, 0);
  pk_table_get_float(r, "h", &f, NULL);
  cr_assert(isinf(f) && f > 0);
  pk_table_get_float(r, "i", &f, NULL);
  cr_assert(isinf(f) && f < 0);
  pk_table_get_float(r, "j", &f, NULL);
  cr_assert(isnan(f));
  pk_table_get_float(r, "k", &f, NULL);
  cr_assert(f == 0.0 && signbit(f));
  pk_table_get_float(r, "l", &f, NULL);
  cr_assert_eq(f, 1e308);
  pk_table_get_float(r, "m", &f, NULL);
  cr_assert_eq(f, 5e-324);
  pk_table_get_float(r, "n", &f, NULL);
  cr_assert_eq(f, 0.1);
  pk_table_get_float(r, "o", &f, NULL);
  cr_assert_eq(f, 12345678901234567890.5);
  pk_table_get_float(r, "p", &f, NULL);
  cr_assert_eq(f, 12.34e10);
  pk_doc_free(doc);
}

/* Numbers are read eight digits a word: every length of decimal, hex,
 * octal and binary digits (so every place a word ends), with underscores
 * at every place, reads what strtoull / strtod read of the digits; the
 * out-of-range and invalid-digit errors come where they always did. */
Test(toml, numbers_of_every_length_read_digit_by_digit_values)
{
  static const struct {
    const char *prefix, *digits;
    int base, max;
  } radix[] = {{"", "9876543210", 10, 19},
               {"0x", "fEdCbA9876543210", 16, 16},
               {"0o", "76543210", 8, 21},
               {"0b", "10", 2, 63}};
  char text[512], digits[128], plain[128];
  for (size_t r = 0; r < sizeof radix / sizeof *radix; r++)
    for (int len = 1; len <= radix[r].max; len++)
      for (int us = -1; us < len - 1; us++) { /* underscore after digit us */
        size_t nd = strlen(radix[r].digits), j = 0, k = 0;
        for (int i = 0; i < len; i++) {
          char c = radix[r].digits[(size_t)(i + len) % nd];
          if (i == 0 && radix[r].base == 10 && c == '0')
            c = '7'; /* no leading zero */
          if (i == 0 && radix[r].base == 2)
            c = '1';
          if (radix[r].base == 16 && len == 16 && i == 0)
            c = '7'; /* fits in 63 bits */
          if (radix[r].base == 8 && len == 21 && i == 0)
            c = '7';
          if (radix[r].base == 10 && len == 19 && i == 0)
            c = '8';
          digits[j++] = c;
          plain[k++] = c;
          if (i == us)
            digits[j++] = '_';
        }
        digits[j] = plain[k] = '\0';
        snprintf(text, sizeof text, "a = %s%s\nb = [%s%s, 1]\n",
                 radix[r].prefix, digits, radix[r].prefix, digits);
        pk_doc *doc = parse(text);
        int64_t a, b;
        cr_assert(pk_table_get_integer(pk_doc_root(doc), "a", &a, NULL) ==
                  PK_OK);
        cr_assert(pk_value_get_integer(
                      pk_array_at(pk_table_get(pk_doc_root(doc), "b"), 0), &b,
                      NULL) == PK_OK);
        cr_assert_eq((unsigned long long)a,
                     strtoull(plain, NULL, radix[r].base), "<%s>", text);
        cr_assert_eq(a, b, "<%s>", text);
        pk_doc_free(doc);
      }
  /* floats: every length of integer and fraction digits up to 19 in all,
   * exponents, underscores at a word's end */
  for (int il = 1; il <= 19; il++)
    for (int fl = 0; fl + il <= 20; fl++)
      for (int form = 0; form < 3; form++) {
        size_t j = 0, k = 0;
        for (int i = 0; i < il; i++) {
          char c = (char)('1' + (i * 7 + il) % 9);
          digits[j++] = c;
          plain[k++] = c;
          if (form == 2 && i == 7 && i < il - 1)
            digits[j++] = '_';
        }
        if (fl) {
          digits[j++] = plain[k++] = '.';
          for (int i = 0; i < fl; i++) {
            char c = (char)('0' + (i * 3 + fl) % 10);
            digits[j++] = c;
            plain[k++] = c;
            if (form == 2 && i == 7 && i < fl - 1)
              digits[j++] = '_';
          }
        }
        if (form >= 1 || !fl) {
          memcpy(digits + j, "e-1_7", 6);
          memcpy(plain + k, "e-17", 5);
        } else {
          digits[j] = plain[k] = '\0';
        }
        snprintf(text, sizeof text, "a = -%s\n", digits);
        pk_doc *doc = parse(text);
        double f;
        cr_assert(pk_table_get_float(pk_doc_root(doc), "a", &f, NULL) == PK_OK,
                  "<%s>", text);
        cr_assert_eq(f, -strtod(plain, NULL), "<%s>: %.17g", text, f);
        pk_doc_free(doc);
      }
  assert_error("a = 0x8000000000000000\n", 1, 5, "out of range");
  assert_error("a = 0x7FFF_FFFF_FFFF_FFFF_0\n", 1, 5, "out of range");
  assert_error("a = 0o1000000000000000000000\n", 1, 5, "out of range");
  assert_error("a = 0b1" "0000000000000000000000000000000"
               "00000000000000000000000000000000\n", 1, 5, "out of range");
  /* past 2^63 before the invalid digit: the range is what is wrong */
  assert_error("a = 0o7777777777777777777777778\n", 1, 5, "out of range");
  assert_error("a = 0o77777777777777777778\n", 1, 26, "invalid digit '8'");
  assert_error("a = 0b1111111121\n", 1, 15, "invalid digit '2'");
  assert_error("a = 0x1234567_\n", 1, 14, "unexpected '_'");
  assert_error("a = 12345678_\n", 1, 13, "underscore");
  assert_error("a = 12345678.1234567_\n", 1, 21, "underscore");
  assert_error("a = 1e1_\n", 1, 8, "underscore");
  assert_error("a = 12345678901234567890\n", 1, 5, "out of range");
  assert_error("a = -9223372036854775809\n", 1, 5, "out of range");
  assert_error("a = 1234567812345678x\n", 1, 21, "unexpected 'x'");
  assert_error("a = 1.5e\n", 1, 9, "exponent");
}

Test(toml, strings_decode_in_place)
{
  const char text[] =
      "a = \"tab\\there \\u00e9 \\U0001F600 \\\" \\\\\"\n"
      "b = \"\"\"\nline1\n  line2 \\\n    joined\"\"\"\n"
      "c = '''\nraw \\n ''quoted'''''\n"
      "d = \"nul\\u0000inside\"\n"
      "\"key\\u0000nul\" = 1\n"
      "e = \"\"\n";
  pk_doc *doc = parse_v(text, sizeof text - 1, PK_TOML_DEFAULT);
  const pk_value *r = pk_doc_root(doc), *v;
  const char *s;
  size_t len;
  pk_table_get_string(r, "a", &s, NULL);
  cr_assert_str_eq(s, "tab\there \xc3\xa9 \xf0\x9f\x98\x80 \" \\");
  pk_table_get_string(r, "b", &s, NULL);
  cr_assert_str_eq(s, "line1\n  line2 joined");
  pk_table_get_string(r, "c", &s, NULL);
  cr_assert_str_eq(s, "raw \\n ''quoted''");
  v = pk_table_get(r, "d");
  pk_value_get_string(v, &s, &len, NULL);
  cr_assert_eq(len, 10);
  cr_assert(memcmp(s, "nul\0inside", 11) == 0);
  v = pk_table_getn(r, "key\0nul", 7);
  cr_assert_not_null(v, "a key holding NUL is found by length");
  cr_assert_null(pk_table_get(r, "key"));
  cr_assert_str_eq(pk_table_key_at(r, 4, &len), "key");
  cr_assert_eq(len, 7);
  pk_table_get_string(r, "e", &s, NULL);
  cr_assert_str_eq(s, "");
  pk_doc_free(doc);
}

/* ---- tables ---- */

Test(toml, tables_dotted_implicit_and_arrays_of_tables)
{
  pk_doc *doc = parse("fruit.apple.color = 'red'\n"
                      "fruit.apple.taste.sweet = true\n"
                      "[fruit.apple.texture]\nsmooth = true\n"
                      "[x.y.z]\n[x]\nq = 1\n"
                      "[[p]]\nn = 1\n[p.sub]\nm = 2\n[[p]]\nn = 2\n"
                      "[[p.list]]\nv = 1\n");
  const pk_value *r = pk_doc_root(doc), *fruit, *apple, *p, *x;
  int64_t n;
  cr_assert_eq(pk_table_count(r), 3);
  fruit = get(r, "fruit", PK_KIND_TABLE);
  apple = get(fruit, "apple", PK_KIND_TABLE);
  cr_assert_eq(pk_table_count(apple), 3);
  cr_assert_str_eq(pk_table_key_at(apple, 0, NULL), "color");
  cr_assert_str_eq(pk_table_key_at(apple, 1, NULL), "taste");
  cr_assert_str_eq(pk_table_key_at(apple, 2, NULL), "texture");
  x = get(r, "x", PK_KIND_TABLE);
  assert_pos(pk_value_get_pos(x), 6, 1); /* the header that defined it */
  assert_pos(pk_table_key_pos_at(r, 1), 5, 2); /* where the key appeared */
  cr_assert_eq(pk_table_count(x), 2);
  p = get(r, "p", PK_KIND_ARRAY);
  cr_assert_eq(pk_array_count(p), 2);
  cr_assert_eq(pk_table_get_integer(pk_array_at(p, 0), "n", &n, NULL), PK_OK);
  cr_assert_eq(n, 1);
  cr_assert_not_null(pk_table_get(pk_array_at(p, 0), "sub"));
  cr_assert_eq(pk_table_get_integer(pk_array_at(p, 1), "n", &n, NULL), PK_OK);
  cr_assert_eq(n, 2);
  cr_assert_eq(pk_array_count(get(pk_array_at(p, 1), "list", PK_KIND_ARRAY)),
               1);
  assert_pos(pk_value_get_pos(pk_array_at(p, 1)), 12, 1);
  pk_doc_free(doc);
}

Test(toml, duplicates_and_redefinitions)
{
  pk_error e;
  assert_error("a = 1\nb = 2\na = 3\n", 3, 1,
               "duplicate key \"a\" (first defined at 1:1)");
  assert_error("x.y = 1\n\"x\".'y' = 2\n", 2, 5,
               "duplicate key \"y\" (first defined at 1:3)");
  assert_error("[t]\n[t]\n", 2, 2, "table \"t\" is already defined "
                                   "(first defined at 1:1)");
  assert_error("[a.b]\n[a]\n[a]\n", 3, 2, "already defined");
  assert_error("[a]\nb = 1\n[a.b]\n", 3, 4, "already an integer");
  assert_error("a = {}\n[a]\n", 2, 2, "");
  assert_error("a = {x = 1}\na.y = 2\n", 2, 1, "inline table");
  assert_error("a = [1]\n[[a]]\n", 2, 3, "array");
  assert_error("[[a]]\n[a]\n", 2, 2, "array of tables");
  assert_error("[a.b.c]\nz = 1\n[a]\nb.c.t = 1\n", 4, 3,
               "defined by the header at 1:1");
  assert_error("[a]\nb.c = 1\n[a.b]\n", 3, 4, "already defined");
  assert_error("a.b = 1\na.b.c = 2\n", 2, 3, "already an integer");
  assert_error("t = {a = 1, a = 2}\n", 1, 13, "duplicate key \"a\"");
  assert_error("[[t]]\n[t.x]\n[t.x]\n", 3, 4, "already defined");
  e = fail("[a]\nx = 1\n[b]\n[a]\n");
  cr_assert_str_eq(e.message, "table \"a\" is already defined (first defined "
                              "at 1:1)");
}

/* ---- errors and their positions ---- */

/* Line starts are kept as 16 bits per line and the first line of each 64
 * KiB window of the text (issue 18): positions across windows, a window
 * without a line start (a comment longer than 64 KiB), a line starting at
 * a window's first byte, and an error past them all. */
Test(toml, positions_past_64_kib_windows)
{
  size_t cap = 400000, n = 0;
  char *t = malloc(cap);
  cr_assert_not_null(t);
  n += (size_t)sprintf(t + n, "a = 1\n#");
  while (n < 150000) /* windows 0 to 2; window 1 starts no line */
    t[n++] = '#';
  n += (size_t)sprintf(t + n, "\nb = 2\n");
  for (; n < 196608; n++) /* c's line starts at 196608 = 3 * 65536 */
    t[n] = n % 64 && n != 196607 ? ' ' : '\n';
  cr_assert_eq(n, 196608);
  n += (size_t)sprintf(t + n, "c = 3\n  d = 'x'\n");
  pk_doc *doc = parse_v(t, n, PK_TOML_DEFAULT);
  const pk_value *root = pk_doc_root(doc);
  int lines_to_c = 1; /* c's line: one after each newline before it */
  for (size_t i = 0; i < 196608; i++)
    lines_to_c += t[i] == '\n';
  assert_pos(pk_value_get_pos(get(root, "a", PK_KIND_INTEGER)), 1, 5);
  assert_pos(pk_value_get_pos(get(root, "b", PK_KIND_INTEGER)), 3, 5);
  assert_pos(pk_value_get_pos(get(root, "c", PK_KIND_INTEGER)), lines_to_c, 5);
  assert_pos(pk_value_get_pos(get(root, "d", PK_KIND_STRING)), lines_to_c + 1,
             7);
  pk_doc_free(doc);
  n += (size_t)sprintf(t + n, "e = \n");
  pk_error err = fail_v(t, n, PK_TOML_DEFAULT);
  cr_assert_eq(err.line, lines_to_c + 2, "line %d", err.line);
  cr_assert_eq(err.col, 5, "col %d", err.col);
  free(t);
}

Test(toml, error_positions)
{
  assert_error("a = \"abc\\q\"\n", 1, 9, "invalid escape '\\q' in string");
  assert_error("port 8080\n", 1, 6, "expected '=' after key \"port\"");
  assert_error("a = \"abc\n", 1, 5, "unterminated string");
  assert_error("a = 9223372036854775808\n", 1, 5, "integer out of range");
  assert_error("x = 1\ny = \n", 2, 5, "expected a value");
  assert_error("x = [1, 2\n", 2, 1, "unterminated array (opened at 1:5)");
  assert_error("x = 1 2\n", 1, 7, "expected a newline");
  assert_error("x = 1979-13-01\n", 1, 10, "month");
  assert_error("x = 1979-02-30\n", 1, 13, "day");
  assert_error("x = 25:00:00\n", 1, 5, "hour");
  assert_error("x = 01\n", 1, 5, "leading zeros");
  assert_error("x = 1__0\n", 1, 6, "underscore");
  assert_error("x = 1.\n", 1, 7, "digit");
  assert_error("x = 0x\n", 1, 7, "expected a digit");
  assert_error("x = 0o8\n", 1, 7, "invalid digit '8'");
  assert_error("x = tru\n", 1, 5, "true");
  assert_error("x = hello\n", 1, 5, "strings need quotes");
  assert_error("[a\nb = 1\n", 1, 3, "expected '.' or ']'");
  assert_error("a = {b = 1\n", 2, 1, "unterminated inline table (opened at 1:5)");
  assert_error("\n\n  = 1\n", 3, 3, "expected a key");
  assert_error("a = 'x' # bad \x01 control\n", 1, 15, "control character");
  assert_error("a = \"\"\"\nabc\n", 1, 5, "unterminated multi-line string");
  assert_error("a = \"\\uD800\"\n", 1, 6, "not a Unicode scalar value");
  assert_error("a = \"\\u12\"\n", 1, 6, "hexadecimal digits");
  assert_error("a = +0x10\n", 1, 5, "sign");
  assert_error("a.b = 1\n\n[a.b.c]\n", 3, 4, "already an integer");
  assert_error("a = 1\r\n\r\nb = \"\\x\"\r\n", 3, 6, "");
}

Test(toml, depth_limit)
{
  char *text = malloc(2 * 1024 * 1024 + 16);
  size_t i, n = 1024 * 1024;
  pk_error e;
  pk_doc *doc;
  /* 100 levels are fine, 101 are not */
  strcpy(text, "a = ");
  for (i = 0; i < 100; i++)
    strcat(text, "[");
  for (i = 0; i < 100; i++)
    strcat(text, "]");
  doc = parse(text);
  pk_doc_free(doc);
  strcpy(text, "a = ");
  for (i = 0; i < 101; i++)
    strcat(text, "[");
  e = fail(text);
  cr_assert(strstr(e.message, "nesting too deep"), "%s", e.message);
  cr_assert_eq(e.col, 4 + 101);
  /* a megabyte of brackets and of braces: a clean error, no stack overflow */
  memcpy(text, "a = ", 4);
  memset(text + 4, '[', n);
  e = fail_v(text, n + 4, PK_TOML_DEFAULT);
  cr_assert(strstr(e.message, "nesting too deep"));
  for (i = 0; i + 3 <= n; i += 3)
    memcpy(text + 4 + i, "{b=", 3);
  e = fail_v(text, i + 4, PK_TOML_DEFAULT);
  cr_assert(strstr(e.message, "nesting too deep"));
  /* deep tables by dotted keys and by headers are bounded too */
  text[0] = '\0';
  for (i = 0; i < 200; i++)
    strcat(text, "k.");
  strcat(text, "k = 1\n");
  e = fail(text);
  cr_assert(strstr(e.message, "nesting too deep"));
  strcpy(text, "[");
  for (i = 0; i < 200; i++)
    strcat(text, "k.");
  strcat(text, "k]\n");
  e = fail(text);
  cr_assert(strstr(e.message, "nesting too deep"));
  free(text);
}

/* ---- encodings ---- */

Test(toml, invalid_utf8_rejected)
{
  static const struct {
    const char *text;
    int col;
  } cases[] = {
      {"a = \"\xc0\x80\"\n", 6},             /* overlong NUL */
      {"a = \"\xe0\x80\xaf\"\n", 6},         /* overlong '/' */
      {"a = \"\xed\xa0\x80\"\n", 6},         /* surrogate U+D800 */
      {"a = \"\xf4\x90\x80\x80\"\n", 6},     /* U+110000 */
      {"a = \"\xf8\x88\x80\x80\x80\"\n", 6}, /* 5-byte form */
      {"a = \"\xc3\"\n", 6},                 /* truncated */
      {"a = '\x80'\n", 6},                   /* lone continuation */
      {"# \xff comment\n", 3},
      {"a = \"\"\"\n\xe2\x82\"\"\"\n", 1},
      {"a = 1 # ok \xe2\x82\xac then bad \xc1\xbf\n", 25},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pk_error e = fail(cases[i].text);
    cr_expect(strstr(e.message, "UTF-8") != NULL, "case %zu: %s", i,
              e.message);
    cr_expect_eq(e.col, cases[i].col, "case %zu: col %d", i, e.col);
  }
  /* valid multi-byte text in strings, comments and quoted keys */
  pk_doc_free(parse("\"\xc3\xa9t\xc3\xa9\" = \"\xf0\x9f\x98\x80\" # \xe2\x82\xac\n"));
}

Test(toml, bom_and_crlf)
{
  pk_doc *doc = parse("\xef\xbb\xbf" "a = 1\r\nb = \"\"\"x\r\ny\"\"\"\r\n"
                      "c = '''\r\np\r\nq'''\r\n[t]\r\nd = 2\r\n");
  const pk_value *r = pk_doc_root(doc), *t;
  const char *s;
  assert_pos(pk_table_key_pos_at(r, 0), 1, 1); /* columns start after BOM */
  pk_table_get_string(r, "b", &s, NULL);
  cr_assert_str_eq(s, "x\ny", "CRLF in a multi-line string becomes LF");
  pk_table_get_string(r, "c", &s, NULL);
  cr_assert_str_eq(s, "p\nq");
  t = get(r, "t", PK_KIND_TABLE);
  assert_pos(pk_value_get_pos(t), 7, 1);
  assert_pos(pk_value_get_pos(pk_table_get(t, "d")), 8, 5);
  pk_doc_free(doc);
  assert_error("a = 1\rb = 2\n", 1, 6, "carriage return");
  assert_error("a = \"\"\"x\ry\"\"\"\n", 1, 9, "carriage return");
  assert_error("a = 1\n\xef\xbb\xbf" "b = 2\n", 2, 1, "");
  assert_error("\xff\xfe" "a = 1\n", 1, 1, "");
}

/* ---- versions ---- */

Test(toml, v10_rejects_v11_syntax)
{
  static const char *const only11[] = {
      "a = \"\\e\"\n",
      "a = \"\\x41\"\n",
      "a = 07:32\n",
      "a = 1979-05-27T07:32\n",
      "a = 1979-05-27 07:32Z\n",
      "a = {\n  b = 1\n}\n",
      "a = {b = 1,}\n",
      "a = {b = 1, # c\n c = 2}\n",
  };
  size_t i;
  for (i = 0; i < sizeof only11 / sizeof only11[0]; i++) {
    pk_error e = fail_v(only11[i], strlen(only11[i]), PK_TOML_1_0);
    cr_expect(strstr(e.message, "1.1") != NULL, "<%s>: %s", only11[i],
              e.message);
    pk_doc_free(parse_v(only11[i], strlen(only11[i]), PK_TOML_1_1));
    pk_doc_free(parse_v(only11[i], strlen(only11[i]), PK_TOML_DEFAULT));
  }
  {
    pk_doc *doc = parse("a = \"\\x41\\e\"\nt = 07:32\n");
    const char *s;
    pk_datetime dt;
    pk_table_get_string(pk_doc_root(doc), "a", &s, NULL);
    cr_assert_str_eq(s, "A\x1b");
    pk_table_get_datetime(pk_doc_root(doc), "t", &dt, NULL);
    cr_assert(dt.hour == 7 && dt.minute == 32 && dt.second == 0);
    pk_doc_free(doc);
  }
  /* still invalid in 1.1 */
  fail("a = {,}\n");
  fail("a = {b = 1,,}\n");
  fail("a = {b\n= 1}\n");
}

/* ---- scale ---- */

Test(toml, hundred_thousand_keys)
{
  size_t n = 100000, i, cap = n * 32;
  char *text = malloc(cap), *p = text;
  clock_t t0;
  pk_doc *doc;
  const pk_value *r, *t;
  double secs;
  p += sprintf(p, "[big]\n");
  for (i = 0; i < n; i++)
    p += sprintf(p, "key%zu = %zu\n", i, i);
  t0 = clock();
  doc = parse_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
  r = pk_doc_root(doc);
  t = get(r, "big", PK_KIND_TABLE);
  cr_assert_eq(pk_table_count(t), n);
  for (i = 0; i < n; i++) {
    char key[32];
    int64_t v = -1;
    snprintf(key, sizeof key, "key%zu", (n * 7 + i * 7919) % n);
    cr_assert_eq(pk_table_get_integer(t, key, &v, NULL), PK_OK, "%s", key);
    cr_assert_eq((size_t)v, (n * 7 + i * 7919) % n);
  }
  cr_assert_null(pk_table_get(t, "key100000"));
  cr_assert_str_eq(pk_table_key_at(t, n - 1, NULL), "key99999");
  secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  cr_assert(secs < 5.0, "100k keys took %.2f s", secs);
  pk_doc_free(doc);
  /* a duplicate far into a large table is still found */
  p += sprintf(p, "key5 = 1\n");
  {
    pk_error e = fail_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
    cr_assert_eq(e.line, (int)n + 2);
    cr_assert(strstr(e.message, "first defined at 7:1"), "%s", e.message);
  }
  free(text);
}

/* Key i of a table of keys of every shape (in TOML into *src, decoded into
 * key / *len): bare, quoted with spaces, 1 to 3 bytes (differing in their
 * middle byte), long with a shared prefix and suffix, holding a NUL,
 * literal with a dot, 7 to 9 bytes; and the empty key. */
static void shaped_key(size_t i, size_t n, char *src, char *key, size_t *len)
{
  char b26[4] = {0};
  size_t k = i / 7, m = 0;
  if (n > 1 && i == n / 2) {
    strcpy(src, "\"\"");
    *len = 0;
    key[0] = '\0';
    return;
  }
  switch (i % 7) {
  case 0: sprintf(src, "k%zu", i); break;
  case 1: sprintf(src, "\"q%zu x\"", i); break;
  case 2:
    do
      b26[m++] = (char)('a' + k % 26);
    while ((k /= 26) && m < 3);
    sprintf(src, "%c%s", b26[0], b26 + 1); /* 1 to 3 letters */
    break;
  case 3: sprintf(src, "common_prefix_%zu_common_suffix", i); break;
  case 4: sprintf(src, "\"n\\u0000%zu\"", i); break;
  case 5: sprintf(src, "'lit.%zu'", i); break;
  default: sprintf(src, "x%06zu", i); break;
  }
  if (src[0] == '"' || src[0] == '\'') { /* decode the two escapes used */
    const char *q = src + 1;
    for (*len = 0; *q != src[0]; q++)
      if (q[0] == '\\') {
        key[(*len)++] = '\0';
        q += 5;
      } else {
        key[(*len)++] = *q;
      }
    key[*len] = '\0';
  } else {
    strcpy(key, src);
    *len = strlen(src);
  }
}

/* The value of key in t found by reading every key in order (the general
 * path the table's tags and index must agree with), or NULL. */
static const pk_value *scan_get(const pk_value *t, const char *key, size_t len)
{
  for (size_t j = 0; j < pk_table_count(t); j++) {
    size_t l;
    const char *k = pk_table_key_at(t, j, &l);
    if (l == len && memcmp(k, key, len) == 0)
      return pk_table_value_at(t, j);
  }
  return NULL;
}

Test(toml, tables_of_every_size_find_what_a_scan_finds)
{
  /* sizes around the scanned (8), tagged (9 to 128) and indexed tables,
   * each written as a [header] section and as an inline table */
  static const size_t sizes[] = {1,  2,  3,  7,   8,   9,   15,  16,  17, 31,
                                 33, 64, 65, 127, 128, 129, 200, 256, 257, 600};
  char *text = malloc(64 * 1024), src[64], key[64], probe[64];
  for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
    size_t n = sizes[z];
    for (int form = 0; form < 2; form++) {
      char *p = text;
      p += sprintf(p, form ? "t = {" : "[t]\n");
      for (size_t i = 0; i < n; i++) {
        size_t len;
        shaped_key(i, n, src, key, &len);
        p += sprintf(p, form ? "%s%s = %zu" : "%s%s = %zu\n",
                     form && i ? ", " : "", src, i);
      }
      p += sprintf(p, form ? "}\n" : "");
      pk_doc *doc = parse_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
      const pk_value *t = pk_table_get(pk_doc_root(doc), "t");
      cr_assert_eq(pk_table_count(t), n);
      for (size_t i = 0; i < n; i++) {
        size_t len;
        shaped_key(i, n, src, key, &len);
        const pk_value *v = pk_table_getn(t, key, len);
        cr_assert_not_null(v, "size %zu: key %zu (%s) not found", n, i, src);
        cr_assert_eq(v, scan_get(t, key, len));
        /* absent keys next to it: each byte changed, one byte more/less */
        for (size_t b = 0; b <= len; b++) {
          memcpy(probe, key, len + 1);
          probe[b] = (char)(probe[b] ^ 1);
          cr_assert_eq(pk_table_getn(t, probe, len), scan_get(t, probe, len),
                       "size %zu: key %zu (%s) byte %zu", n, i, src, b);
          cr_assert_eq(pk_table_getn(t, key, b), scan_get(t, key, b));
        }
      }
      pk_doc_free(doc);
      if (form)
        continue;
      /* the parser's own lookups: a repeated key is a duplicate, named
       * with the line of its first definition */
      for (size_t i = 0; i < n; i += n > 20 ? n / 7 : 1) {
        size_t len;
        shaped_key(i, n, src, key, &len);
        char *e = p + sprintf(p, "%s = 0\n", src);
        pk_error err = fail_v(text, (size_t)(e - text), PK_TOML_DEFAULT);
        char want[32];
        snprintf(want, sizeof want, "first defined at %zu:1", i + 2);
        cr_assert_eq(err.line, (int)n + 2);
        cr_assert(strstr(err.message, "duplicate key") &&
                      strstr(err.message, want),
                  "size %zu key %zu: %s", n, i, err.message);
      }
    }
  }
  free(text);
}

Test(toml, many_arrays_of_tables_and_reopened_tables)
{
  size_t n = 20000, i;
  char *text = malloc(n * 64), *p = text;
  pk_doc *doc;
  const pk_value *arr;
  for (i = 0; i < n; i++)
    p += sprintf(p, "[[a.b]]\nx = %zu\n[t%zu.sub]\n", i, i % 100);
  *p = '\0';
  /* the [tN.sub] headers repeat after 100 rounds: a redefinition */
  {
    pk_error e = fail_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
    cr_assert(strstr(e.message, "already defined"), "%s", e.message);
  }
  p = text;
  for (i = 0; i < n; i++)
    p += sprintf(p, "[[a.b]]\nx = %zu\n[t%zu.s%zu]\nk = 1\n", i, i % 100, i);
  doc = parse_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
  arr = pk_table_get(pk_table_get(pk_doc_root(doc), "a"), "b");
  cr_assert_eq(pk_array_count(arr), n);
  cr_assert_eq(pk_table_count(pk_table_get(pk_doc_root(doc), "t7")), n / 100);
  pk_doc_free(doc);
  free(text);
}

Test(toml, empty_documents)
{
  static const char *const texts[] = {"", "\n", "# c", "\xef\xbb\xbf",
                                      " \t\r\n# x\r\n"};
  size_t i;
  for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    pk_doc *doc = parse(texts[i]);
    cr_assert_eq(pk_table_count(pk_doc_root(doc)), 0);
    pk_doc_free(doc);
  }
  fail_v("a = 1\n\0b = 2\n", 13, PK_TOML_DEFAULT);
}

/* ---- the reader's fast paths, at the edges where they hand over ---- */

/* A 64 KiB comment before text: a document large enough for narrow
 * entries (see the TOML reader in docs/DESIGN.md), its lines shifted by 1. */
#define BIG_PAD (64 * 1024 + 16)
static char *padded(const char *text, int big, size_t *len)
{
  size_t n = strlen(text), pad = big ? BIG_PAD : 0;
  char *s = malloc(pad + n + 1);
  if (big) {
    s[0] = '#';
    memset(s + 1, 'x', pad - 2);
    s[pad - 1] = '\n';
  }
  memcpy(s + pad, text, n + 1);
  *len = pad + n;
  return s;
}

/* A key and its value (the document's "a") as the common "key = value"
 * line reads them, and the spellings next to it that take the general
 * path: no space, more spaces or tabs, a dotted key, a line that does not
 * start with a key; each line end after a value. */
Test(toml, key_value_lines_next_to_the_common_one)
{
  static const char *const ok[] = {"a = 1\n",
                                   "a =1\n",
                                   "a= 1\n",
                                   "a=1\n",
                                   "a =  1\n",
                                   "a = \t1\n",
                                   "a\t=\t1\n",
                                   "a =\t 1\n",
                                   "  a = 1\n",
                                   "\ta = 1\n",
                                   "a = 1 \n",
                                   "a = 1\t# c\n",
                                   "a = 1#c\n",
                                   "a = 1\r\n",
                                   "a = 1",
                                   "x.y = 2\na = 1\n",
                                   "x . y = 2\na = 1\n",
                                   "\"a\" = 1\n",
                                   "'a' = 1\n",
                                   "b = 2\na = 1\nc = 3\n",
                                   "a = 1\n\n\n# c\n",
                                   "[t]\n[u]\nx = 0\n"};
  static const struct {
    const char *text;
    int line, col;
    const char *msg;
  } bad[] = {
      {"a = \n", 1, 5, "expected a value"},
      {"a =\n", 1, 4, "expected a value"},
      {"a = ", 1, 5, "expected a value"},
      {"a =# c\n", 1, 4, "expected a value"},
      {"a = = 1\n", 1, 5, "expected a value"},
      {"a  1\n", 1, 4, "expected '=' after key \"a\", found '1'"},
      {"a 1\n", 1, 3, "expected '=' after key \"a\", found '1'"},
      {"a\n", 1, 2, "expected '=' after key \"a\", found a newline"},
      {"a = 1 x\n", 1, 7, "expected a newline after the value, found 'x'"},
      {"a = 1\r", 1, 6, "carriage return not followed by a line feed"},
      {"a = 1\rb = 2\n", 1, 6, "carriage return not followed by a line feed"},
      {"a = 1\na = 2\n", 2, 1, "duplicate key \"a\" (first defined at 1:1)"},
  };
  for (int big = 0; big < 2; big++) {
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
      size_t len;
      char *s = padded(ok[i], big, &len);
      pk_doc *doc = parse_v(s, len, PK_TOML_DEFAULT);
      const pk_value *a = pk_table_get(pk_doc_root(doc), "a");
      if (!a) /* the [t] [u] case */
        a = pk_table_get(pk_table_get(pk_doc_root(doc), "u"), "x");
      cr_assert_not_null(a, "<%s>", ok[i]);
      cr_assert_eq(pk_value_kind(a), PK_KIND_INTEGER, "<%s>", ok[i]);
      pk_doc_free(doc);
      free(s);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
      size_t len;
      char *s = padded(bad[i].text, big, &len);
      pk_error e = fail_v(s, len, PK_TOML_DEFAULT);
      cr_expect_eq(e.line, bad[i].line + big, "<%s> big %d: line %d (%s)",
                   bad[i].text, big, e.line, e.message);
      cr_expect_eq(e.col, bad[i].col, "<%s> big %d: col %d (%s)", bad[i].text,
                   big, e.col, e.message);
      if (big && strstr(bad[i].msg, "first defined at 1:1"))
        cr_expect(strstr(e.message, "first defined at 2:1"), "%s", e.message);
      else
        cr_expect(strstr(e.message, bad[i].msg), "<%s>: %s", bad[i].text,
                  e.message);
      free(s);
    }
  }
}

/* Integers of up to 7 digits are read without a frame; 8 digits and
 * more, underscores, fractions and exponents go on in the general path;
 * what ends a number (or does not) is judged alike on both sides. */
Test(toml, integers_next_to_the_short_ones)
{
  static const struct {
    const char *text;
    int64_t i;
    double f;
    int kind; /* 0 integer, 1 float, 2 error at col 5 + the length of text */
  } cases[] = {
      {"1234567", 1234567, 0, 0},
      {"-1234567", -1234567, 0, 0},
      {"+1234567", 1234567, 0, 0},
      {"12345678", 12345678, 0, 0},
      {"99999999", 99999999, 0, 0},
      {"123456789", 123456789, 0, 0},
      {"1234567_8", 12345678, 0, 0},
      {"1_2", 12, 0, 0},
      {"0", 0, 0, 0},
      {"-0", 0, 0, 0},
      {"1234567.5", 0, 1234567.5, 1},
      {"12345678.25", 0, 12345678.25, 1},
      {"1234567e2", 0, 123456700.0, 1},
      {"1e2", 0, 100.0, 1},
      {"1234567a", 0, 0, 2},
      {"12345678a", 0, 0, 2},
      {"1234567:", 0, 0, 2},
      {"7.5x", 0, 0, 2},
  };
  char text[96];
  for (int big = 0; big < 2; big++)
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
      size_t len;
      snprintf(text, sizeof text, "v = %s\n", cases[i].text);
      char *s = padded(text, big, &len);
      if (cases[i].kind == 2) {
        pk_error e = fail_v(s, len, PK_TOML_DEFAULT);
        cr_expect_eq(e.line, 1 + big, "<%s>", text);
        cr_expect_eq(e.col, 4 + (int)strlen(cases[i].text), "<%s>: col %d (%s)",
                     text, e.col, e.message);
        cr_expect(strstr(e.message, "unexpected"), "<%s>: %s", text, e.message);
        free(s);
        continue;
      }
      pk_doc *doc = parse_v(s, len, PK_TOML_DEFAULT);
      const pk_value *v = pk_table_get(pk_doc_root(doc), "v");
      if (cases[i].kind == 0) {
        int64_t got = -1;
        cr_assert_eq(pk_value_kind(v), PK_KIND_INTEGER, "<%s>", text);
        cr_assert_eq(pk_value_get_integer(v, &got, NULL), PK_OK);
        cr_assert_eq(got, cases[i].i, "<%s>: %lld", text, (long long)got);
      } else {
        double got = 0;
        cr_assert_eq(pk_value_kind(v), PK_KIND_FLOAT, "<%s>", text);
        cr_assert_eq(pk_value_get_float(v, &got, NULL), PK_OK);
        cr_assert_eq(got, cases[i].f, "<%s>: %g", text, got);
      }
      pk_doc_free(doc);
      free(s);
    }
}

/* The parser's lookups in tables of 9 to 128 keys compare the keys' tags
 * sixteen at a time and hand a match over to a check of the key: a new
 * key whose tag matches another's is no duplicate, a repeated key at any
 * place (either side of each group of sixteen) is one, in a section, in
 * an inline table and through a dotted key, in small and large
 * documents; and tables that grow from 2 to 4 to 8 keys, reusing the
 * vectors others left, keep every key. */
Test(toml, lookups_of_tagged_tables_and_growing_small_ones)
{
  static const size_t sizes[] = {9, 15, 16, 17, 31, 32, 33, 128};
  size_t cap = 256 * 1024;
  char *text = malloc(cap);
  for (int big = 0; big < 2; big++)
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
      size_t n = sizes[z];
      for (size_t dup = 0; dup <= n; dup++) { /* dup == n: none */
        for (int form = 0; form < 3; form++) {
          char *p = text;
          if (big) {
            p += sprintf(p, "#");
            memset(p, 'x', BIG_PAD - 2);
            p += BIG_PAD - 2;
            *p++ = '\n';
          }
          if (form == 0)
            p += sprintf(p, "[t]\n");
          else if (form == 1)
            p += sprintf(p, "t = {");
          for (size_t i = 0; i < n; i++) { /* keys that share tags: many */
            if (form == 1)
              p += sprintf(p, "%sk%zu = %zu", i ? ", " : "", i, i);
            else
              p += sprintf(p, form == 0 ? "k%zu = %zu\n" : "t.k%zu = %zu\n", i,
                           i);
          }
          if (form == 1 && dup < n)
            p += sprintf(p, ", k%zu = 0", dup);
          if (form == 1)
            p += sprintf(p, "}\n");
          else if (dup < n)
            p += sprintf(p, form == 0 ? "k%zu = 0\n" : "t.k%zu = 0\n", dup);
          if (dup < n) {
            pk_error e = fail_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
            char want[48];
            snprintf(want, sizeof want, "duplicate key \"k%zu\"", dup);
            cr_assert(strstr(e.message, want), "n %zu dup %zu form %d: %s", n,
                      dup, form, e.message);
            continue;
          }
          pk_doc *doc = parse_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
          const pk_value *t = pk_table_get(pk_doc_root(doc), "t");
          cr_assert_eq(pk_table_count(t), n);
          for (size_t i = 0; i < n; i++) {
            char key[32];
            int64_t v = -1;
            snprintf(key, sizeof key, "k%zu", i);
            cr_assert_eq(pk_table_get_integer(t, key, &v, NULL), PK_OK, "%s",
                         key);
            cr_assert_eq((size_t)v, i);
          }
          pk_doc_free(doc);
        }
      }
    }
  /* 302 sections of 1 to 9 keys, each growing its vector 2, 4, 8 (16),
   * interleaved so that each reuses vectors the others left */
  for (int big = 0; big < 2; big++) {
    char *p = text;
    if (big) {
      p += sprintf(p, "#");
      memset(p, 'x', BIG_PAD - 2);
      p += BIG_PAD - 2;
      *p++ = '\n';
    }
    for (size_t s = 0; s < 302; s++) {
      p += sprintf(p, "[s%zu]\n", s);
      for (size_t i = 0; i <= s % 9; i++)
        p += sprintf(p, "k%zu = %zu\n", i, s * 10 + i);
    }
    pk_doc *doc = parse_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
    for (size_t s = 0; s < 302; s++) {
      char name[32], key[32];
      snprintf(name, sizeof name, "s%zu", s);
      const pk_value *t = get(pk_doc_root(doc), name, PK_KIND_TABLE);
      cr_assert_eq(pk_table_count(t), s % 9 + 1);
      for (size_t i = 0; i <= s % 9; i++) {
        int64_t v = -1;
        snprintf(key, sizeof key, "k%zu", i);
        cr_assert_eq(pk_table_get_integer(t, key, &v, NULL), PK_OK);
        cr_assert_eq((size_t)v, s * 10 + i);
        cr_assert_str_eq(pk_table_key_at(t, i, NULL), key);
      }
    }
    pk_doc_free(doc);
    /* a duplicate in the last section (5 keys), after its vector grew */
    p += sprintf(p, "k3 = 0\n");
    pk_error e = fail_v(text, (size_t)(p - text), PK_TOML_DEFAULT);
    cr_assert(strstr(e.message, "duplicate key \"k3\""), "%s", e.message);
  }
  free(text);
}
