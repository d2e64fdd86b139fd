/* semver.c -- semantic versions and requirement strings.
 * SPDX-License-Identifier: MIT
 *
 * A requirement is "ns:name", "name" or "ns:__all__", optionally followed
 * by comparators separated by commas: ">= 1.2, < 2", "^1.4", "~2.1.0",
 * "= 1.0.0", "!= 1.3.0".  Precedence follows semver 2.0.0 (pre-releases
 * sort before their release; build metadata is ignored). */
#include <stdio.h>
#include <string.h>

#include "base.h"

/* Byte classes, by table rather than <ctype.h>: names and versions are
 * ASCII whatever the locale (isalnum() would take letters of a legacy
 * 8-bit locale), and a start-up checks a few hundred names, where a
 * table load per byte beats a call per byte. */
enum { C_DIGIT = 1, C_ALPHA = 2, C_NAME_PUNCT = 4, C_DASH = 8 };
/* runs of designators in standard C (a range [a ... b] is a GNU extension) */
#define RUN2(b, v) [(b)] = (v), [(b) + 1] = (v)
#define RUN5(b, v) RUN2(b, v), RUN2((b) + 2, v), [(b) + 4] = (v)
#define RUN10(b, v) RUN5(b, v), RUN5((b) + 5, v)
#define RUN26(b, v) RUN10(b, v), RUN10((b) + 10, v), RUN5((b) + 20, v), [(b) + 25] = (v)
static const uint8_t cls[256] = {
    RUN10('0', C_DIGIT),  RUN26('A', C_ALPHA),  RUN26('a', C_ALPHA),
    ['_'] = C_NAME_PUNCT, ['.'] = C_NAME_PUNCT, ['-'] = C_DASH};
#undef RUN2
#undef RUN5
#undef RUN10
#undef RUN26

/* [A-Za-z0-9_.-] */
static bool name_char(unsigned char c) { return cls[c] != 0; }
static bool is_digit(unsigned char c) { return cls[c] & C_DIGIT; }
/* [0-9A-Za-z-]: a pre-release or build identifier's */
static bool ident_char(unsigned char c)
{
  return cls[c] & (C_DIGIT | C_ALPHA | C_DASH);
}

bool pk__name_valid(const char *s, size_t len)
{
  if (len == 0 || len >= PK__NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!name_char((unsigned char)s[i]))
      return false;
  return true;
}

static bool parse_num(const char **p, uint64_t *out)
{
  const char *s = *p;
  if (!is_digit((unsigned char)*s))
    return false;
  if (s[0] == '0' && is_digit((unsigned char)s[1]))
    return false; /* no leading zeros */
  uint64_t v = 0;
  for (; is_digit((unsigned char)*s); s++) {
    if (v > (UINT64_MAX - 9) / 10)
      return false;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  *p = s;
  return true;
}

/* dot-separated non-empty identifiers of [0-9A-Za-z-]; stops at end or
 * at a char that is not part of them. */
static bool parse_idents(const char **p)
{
  const char *s = *p;
  for (;;) {
    if (!ident_char((unsigned char)*s))
      return false;
    while (ident_char((unsigned char)*s))
      s++;
    if (*s != '.')
      break;
    s++;
  }
  *p = s;
  return true;
}

pk_status pk__version_parse(const char *s, bool partial, pk__version *out,
                            char *why, size_t n)
{
  const char *p = s;
  memset(out, 0, sizeof *out);
  if (!parse_num(&p, &out->major))
    goto bad;
  if (*p == '.') {
    p++;
    if (!parse_num(&p, &out->minor))
      goto bad;
    if (*p == '.') {
      p++;
      if (!parse_num(&p, &out->patch))
        goto bad;
    } else if (!partial)
      goto bad;
  } else if (!partial)
    goto bad;
  if (*p == '-') {
    const char *pre = ++p;
    if (!parse_idents(&p) || (size_t)(p - pre) >= sizeof out->pre)
      goto bad;
    memcpy(out->pre, pre, (size_t)(p - pre));
    out->pre[p - pre] = '\0';
  }
  if (*p == '+') {
    p++;
    if (!parse_idents(&p))
      goto bad;
  }
  if (*p == '\0')
    return PK_OK;
bad:
  snprintf(why, n, "invalid version \"%s\" (expected MAJOR.MINOR.PATCH%s)", s,
           partial ? ", MAJOR.MINOR or MAJOR" : " as in semver, e.g. 1.4.0");
  return PK_EMANIFEST;
}

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* Pre-release precedence: identifiers compared left to right, numeric ones
 * numerically and below alphanumeric ones; a shorter prefix sorts first. */
static int cmp_pre(const char *a, const char *b)
{
  if (!*a || !*b)
    return !*a && !*b ? 0 : (!*a ? 1 : -1); /* release > pre-release */
  while (*a && *b) {
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    bool na = strspn(a, "0123456789") >= la, nb = strspn(b, "0123456789") >= lb;
    int c;
    if (na && nb)
      c = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
    else if (na != nb)
      c = na ? -1 : 1;
    else {
      c = memcmp(a, b, la < lb ? la : lb);
      if (!c)
        c = (la > lb) - (la < lb);
    }
    if (c)
      return c < 0 ? -1 : 1;
    a += la + (a[la] == '.');
    b += lb + (b[lb] == '.');
  }
  return (*a != 0) - (*b != 0);
}

int pk__mversion_cmp(const pk__mversion *a, const pk__mversion *b)
{
  int c = cmp_u64(a->major, b->major);
  if (!c)
    c = cmp_u64(a->minor, b->minor);
  if (!c)
    c = cmp_u64(a->patch, b->patch);
  if (!c) /* (a zeroed manifest's, a broken plugin's, has no pre) */
    c = cmp_pre(a->pre ? a->pre : "", b->pre ? b->pre : "");
  return c;
}

static const struct {
  const char *text;
  pk__op op;
} ops[] = {{">=", PK__OP_GE}, {"<=", PK__OP_LE}, {"==", PK__OP_EQ},
           {"!=", PK__OP_NE}, {">", PK__OP_GT},  {"<", PK__OP_LT},
           {"=", PK__OP_EQ},  {"^", PK__OP_CARET}, {"~", PK__OP_TILDE}};

static const char *op_text(pk__op op)
{
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (ops[i].op == op)
      return ops[i].text;
  return "?";
}

static const char *skip_ws(const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

pk_status pk__req_parse(const char *text, pk__req *out, char *why, size_t n)
{
  /* not memset: a pk__req is a kilobyte, and parsed often at start-up */
  out->ns[0] = out->name[0] = '\0';
  out->ncmp = 0;
  /* one scan: name characters and colons, the first colon and whether
   * there is a second */
  const char *p = skip_ws(text), *start = p, *colon = NULL;
  bool colons = false;
  for (;; p++) {
    if (name_char((unsigned char)*p))
      continue;
    if (*p != ':')
      break;
    if (colon)
      colons = true;
    else
      colon = p;
  }
  const char *name = colon ? colon + 1 : start;
  size_t nslen = colon ? (size_t)(colon - start) : 0;
  size_t namelen = (size_t)(p - name);
  if (colons || (colon && (nslen == 0 || nslen >= PK__NAME_MAX)) ||
      namelen == 0 || namelen >= PK__NAME_MAX) {
    snprintf(why, n,
             "invalid requirement \"%s\": expected \"namespace:name\" or "
             "\"name\" (letters, digits, '_', '.', '-'), optionally followed "
             "by a version constraint such as \">= 1.2, < 2\"",
             text);
    return PK_EMANIFEST;
  }
  memcpy(out->ns, start, nslen);
  out->ns[nslen] = '\0';
  memcpy(out->name, name, namelen);
  out->name[namelen] = '\0';
  p = skip_ws(p);
  while (*p) {
    size_t k;
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
      if (!strncmp(p, ops[k].text, strlen(ops[k].text)))
        break;
    if (k == sizeof ops / sizeof ops[0] || out->ncmp == PK__MAX_COMPARATORS) {
      snprintf(why, n,
               "invalid version constraint in \"%s\" at \"%s\": expected one "
               "of >=, >, <=, <, =, !=, ^, ~ followed by a version",
               text, p);
      return PK_EMANIFEST;
    }
    p = skip_ws(p + strlen(ops[k].text));
    char ver[96];
    size_t vl = strcspn(p, ", \t");
    if (vl == 0 || vl >= sizeof ver) {
      snprintf(why, n, "missing version after '%s' in \"%s\"", ops[k].text,
               text);
      return PK_EMANIFEST;
    }
    memcpy(ver, p, vl);
    ver[vl] = '\0';
    char inner[200];
    if (pk__version_parse(ver, true, &out->cmp[out->ncmp].v, inner,
                          sizeof inner) != PK_OK) {
      snprintf(why, n, "in requirement \"%s\": %s", text, inner);
      return PK_EMANIFEST;
    }
    out->cmp[out->ncmp++].op = ops[k].op;
    p = skip_ws(p + vl);
    if (*p == ',')
      p = skip_ws(p + 1);
  }
  if (out->ncmp && namelen == 7 && !memcmp(out->name, "__all__", 7)) {
    snprintf(why, n, "\"%s\": __all__ cannot take a version constraint", text);
    return PK_EMANIFEST;
  }
  return PK_OK;
}

size_t pk__req_plain_id(const char *text, const char *default_ns, char *id,
                        size_t n)
{
  /* where a blank or a constraint starts (" \t!,<=>" below 64, "^~"); a
   * loop of its own, not strcspn: a libc function no start calls
   * otherwise costs a fresh process a page fault */
  const uint64_t stop = (1ull << ' ') | (1ull << '\t') | (1ull << '!') |
                        (1ull << ',') | (1ull << '<') | (1ull << '=') |
                        (1ull << '>');
  bool colon = false;
  size_t len = 0;
  for (unsigned char c; (c = (unsigned char)text[len]); len++) {
    if (c < 64 ? (stop >> c) & 1 : c == '^' || c == '~')
      return 0;
    colon |= c == ':';
  }
  size_t nn = colon ? 0 : strlen(default_ns) + 1;
  if (nn + len + 1 > n)
    return 0;
  if (nn) {
    memcpy(id, default_ns, nn - 1);
    id[nn - 1] = ':';
  }
  memcpy(id + nn, text, len + 1);
  return nn + len;
}

pk_status pk__req_parse_in(const char *text, const char *default_ns,
                           pk__req *out, char *why, size_t n)
{
  pk_status st = pk__req_parse(text, out, why, n);
  if (st == PK_OK && !out->ns[0] && default_ns)
    pk__copy_str(out->ns, sizeof out->ns, default_ns);
  return st;
}

static bool cmp_matches(pk__op op, const pk__version *want_full,
                        const pk__mversion *v)
{
  pk__mversion want = pk__mversion_of(want_full);
  int c = pk__mversion_cmp(v, &want);
  pk__mversion hi = {0, 0, 0, ""};
  switch (op) {
  case PK__OP_EQ: return c == 0;
  case PK__OP_NE: return c != 0;
  case PK__OP_LT: return c < 0;
  case PK__OP_LE: return c <= 0;
  case PK__OP_GT: return c > 0;
  case PK__OP_GE: return c >= 0;
  case PK__OP_CARET: /* ^1.2.3 := >=1.2.3 <2.0.0 (^0.2.3 := <0.3.0) */
    if (want.major)
      hi.major = want.major + 1;
    else if (want.minor)
      hi.minor = want.minor + 1;
    else
      hi.patch = want.patch + 1;
    return c >= 0 && pk__mversion_cmp(v, &hi) < 0;
  case PK__OP_TILDE: /* ~1.2.3 := >=1.2.3 <1.3.0 */
    hi.major = want.major;
    hi.minor = want.minor + 1;
    return c >= 0 && pk__mversion_cmp(v, &hi) < 0;
  }
  return false;
}

bool pk__req_matches(const pk__req *r, const pk__mversion *v)
{
  for (size_t i = 0; i < r->ncmp; i++)
    if (!cmp_matches(r->cmp[i].op, &r->cmp[i].v, v))
      return false;
  return true;
}

void pk__req_constraint_text(const pk__req *r, char *buf, size_t n)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < r->ncmp && used < n; i++) {
    const pk__version *v = &r->cmp[i].v;
    int k = snprintf(buf + used, n - used, "%s%s %llu.%llu.%llu%s%s",
                     i ? ", " : "", op_text(r->cmp[i].op),
                     (unsigned long long)v->major, (unsigned long long)v->minor,
                     (unsigned long long)v->patch, v->pre[0] ? "-" : "", v->pre);
    if (k < 0)
      break;
    used += (size_t)k;
  }
}
