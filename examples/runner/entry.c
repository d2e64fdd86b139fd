/* entry.c -- the cache entry format: one blob per runnable, the same bytes
 * in the local store and in a remote one.
 * SPDX-License-Identifier: MIT
 *
 *   runner-entry 1
 *   name NAME
 *   hash HEX
 *   code N
 *   log LEN            then LEN bytes and "\n"
 *   artifact MODE LEN PATH   then LEN bytes and "\n"   (any number)
 *   tree MODE HEX PATH       an artifact kept in the project's tree, not
 *                      copied (the repo cache): its XXH3-128 (32 hex
 *                      digits); any number, after the artifact lines
 *   digest HEX         SHA-256 of every byte before this line
 *   hmac HEX           with a cache key only: HMAC-SHA256 with the key of
 *                      every byte before this line
 *
 * Every byte of an entry may come from whoever can write to the store, so
 * a reader trusts nothing: it checks the digest (and, with a key, the tag)
 * first, then every line strictly.  Numbers are unsigned decimals (MODE
 * octal) with no sign, space or leading zero, each bounded (a length by
 * the bytes left, so no `len + 1` can wrap); a line holds no NUL byte; a
 * path is relative with no ".." component nor control byte, and appears
 * once.  A
 * truncated, damaged, forged or foreign entry is a miss, never replayed. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "runner.h"

/* ---- the cache key (RUNNER_CACHE_KEY...): set once at start ---- */

static char *g_secret;
static size_t g_secret_len;

void entry_set_secret(const char *key, size_t len)
{
  free(g_secret);
  g_secret = NULL;
  g_secret_len = 0;
  if (key) {
    g_secret = xmalloc(len);
    memcpy(g_secret, key, len);
    g_secret_len = len;
  }
}

/* ---- writing ---- */

void entry_pack(const entry *e, char **out, size_t *len)
{
  /* its size, near enough, saves the regrowing of a big entry */
  size_t size = strlen(e->name) + e->loglen + 256;
  for (size_t i = 0; i < e->narts; i++)
    size += e->arts[i].len + strlen(e->arts[i].path) + 64;
  buf b = {.p = xmalloc(size), .cap = size};
  buf_printf(&b, "runner-entry 1\nname %s\nhash %s\ncode %d\nlog %zu\n", e->name,
       e->hash, e->code, e->loglen);
  buf_add(&b, e->log, e->loglen);
  buf_add(&b, "\n", 1);
  for (size_t i = 0; i < e->narts; i++) {
    const entry_artifact *a = &e->arts[i];
    if (a->hex) {
      buf_printf(&b, "tree %o %s %s\n", (unsigned)a->mode, a->hex, a->path);
      continue;
    }
    buf_printf(&b, "artifact %o %zu %s\n", (unsigned)a->mode, a->len, a->path);
    buf_add(&b, a->data, a->len);
    buf_add(&b, "\n", 1);
  }
  char hex[65];
  hash_hex_of(b.p, b.n, hex);
  buf_printf(&b, "digest %s\n", hex);
  if (g_secret) {
    hmac_hex_of(g_secret, g_secret_len, b.p, b.n, hex);
    buf_printf(&b, "hmac %s\n", hex);
  }
  *out = b.p;
  *len = b.n;
}

void entry_free(entry *e)
{
  free(e->name);
  free(e->hash);
  for (size_t i = 0; i < e->narts; i++) {
    free(e->arts[i].path);
    free(e->arts[i].hex);
  }
  free(e->arts);
  free(e->blob);
  memset(e, 0, sizeof *e);
}

/* ---- reading ---- */

/* A reader over the bytes before the digest line. */
typedef struct rd {
  const char *p, *end;
  size_t line;       /* of the line read last, from 1 */
} rd;

/* The next line (without "\n") as s and n; false at the end or when it
 * holds a NUL byte (*nul set). */
static bool line_of(rd *r, const char **s, size_t *n, bool *nul)
{
  const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  *nul = false;
  if (!nl)
    return false;
  r->line++;
  *s = r->p;
  *n = (size_t)(nl - r->p);
  r->p = nl + 1;
  *nul = memchr(*s, 0, *n) != NULL;
  return !*nul;
}

/* Whether the line s (n bytes) starts with word and a space; *rest, *rn:
 * what follows. */
static bool field(const char *s, size_t n, const char *word,
                  const char **rest, size_t *rn)
{
  size_t w = strlen(word);
  if (n <= w || memcmp(s, word, w) != 0 || s[w] != ' ')
    return false;
  *rest = s + w + 1;
  *rn = n - w - 1;
  return true;
}

/* The whole of s (n bytes) as an unsigned number in base (8 or 10): digits
 * only (no sign, space or leading zero but "0" itself), at most max. */
static bool number(const char *s, size_t n, unsigned base, size_t max,
                   size_t *out)
{
  if (n == 0 || (s[0] == '0' && n > 1))
    return false;
  size_t v = 0;
  for (size_t i = 0; i < n; i++) {
    size_t d = (size_t)(unsigned char)s[i] - '0';
    if (s[i] < '0' || d >= base || d > max || v > (max - d) / base)
      return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

/* The next space-separated word of *s (*n bytes): w, wn; moves past it and
 * the one space after it. */
static bool word(const char **s, size_t *n, const char **w, size_t *wn)
{
  const char *sp = memchr(*s, ' ', *n);
  if (!sp)
    return false;
  *w = *s;
  *wn = (size_t)(sp - *s);
  *n -= *wn + 1;
  *s = sp + 1;
  return true;
}

/* len bytes then "\n", seen in place (no copy): the length is checked
 * against what is left before anything is added to it. */
static bool bytes_of(rd *r, size_t len, const char **out)
{
  size_t left = (size_t)(r->end - r->p);
  if (left == 0 || len > left - 1 || r->p[len] != '\n')
    return false;
  *out = r->p;
  r->p += len + 1;
  return true;
}

/* A relative path with no ".." component: it stays in the project. */
static bool inside(const char *path)
{
  if (!*path || path[0] == '/')
    return false;
  for (const char *c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
    if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
      return false;
  return true;
}

/* Whether s is want lowercase hex digits. */
static bool hex_digits(const char *s, size_t n, size_t want)
{
  if (n != want)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

static bool lower_hex(const char *s, size_t n) { return hex_digits(s, n, 64); }

static bool content_hex(const char *s, size_t n)
{
  return hex_digits(s, n, CONTENT_HEX - 1);
}

/* Whether data starts like an entry of want->runnable for another hash:
 * a stale entry, told without reading it all (a miss whatever the rest
 * holds, so nothing unchecked is trusted). */
static bool stale(const char *data, size_t len, const runner_key *want)
{
  static const char top[] = "runner-entry 1\nname ";
  const size_t t = sizeof top - 1, rn = strlen(want->runnable);
  if (len < t + rn + 6 + 65 || memcmp(data, top, t) != 0 ||
      memcmp(data + t, want->runnable, rn) != 0 ||
      memcmp(data + t + rn, "\nhash ", 6) != 0)
    return false;
  const char *h = data + t + rn + 6;
  return lower_hex(h, 64) && h[64] == '\n' && memcmp(h, want->hash, 64);
}

/* Whether s (n bytes) holds no control byte: safe in a message. */
static bool plain(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

/* A copy of n bytes from an entry, safe to print: control bytes become
 * '?', and a long text is cut with "...". */
static const char *shown(const char *s, size_t n, char *out, size_t size)
{
  size_t k = 0;
  for (size_t i = 0; i < n && k + 4 < size; i++)
    out[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
  if (k < n)
    memcpy(out + k, "...", 3), k += 3;
  out[k] = 0;
  return out;
}

static int by_path(const void *a, const void *b)
{
  return strcmp((*(const entry_artifact *const *)a)->path,
                (*(const entry_artifact *const *)b)->path);
}

#define BAD(...)                                                               \
  do {                                                                         \
    if (why)                                                                   \
      snprintf(why, n, __VA_ARGS__);                                           \
    entry_free(e);                                                             \
    return ENTRY_BAD;                                                          \
  } while (0)

/* A line that could not be read: why it is refused. */
#define BAD_LINE(r, nul, what)                                                 \
  BAD("line %zu: %s", (r).line, (nul) ? "a NUL byte in the line" : (what))

/* The trailer: the digest line, then the hmac line when the entry has
 * one; the end of the bytes the digest covers into *body. */
static int check_trailer(const char *data, size_t len, size_t *body,
                         char *why, size_t n)
{
  static const size_t dl = 7 + 64 + 1, hl = 5 + 64 + 1;
  size_t tagged = len; /* where the hmac line starts, if any */
  if (len >= dl + hl && memcmp(data + len - hl, "hmac ", 5) == 0)
    tagged = len - hl;
  if (tagged < dl || data[len - 1] != '\n' || data[tagged - 1] != '\n' ||
      memcmp(data + tagged - dl, "digest ", 7) != 0) {
    snprintf(why, n, "truncated (no digest line)");
    return ENTRY_BAD;
  }
  char got[65];
  *body = tagged - dl;
  hash_hex_of(data, *body, got);
  if (!hash_equal(data + tagged - dl + 7, got)) {
    snprintf(why, n, "digest mismatch (damaged)");
    return ENTRY_BAD;
  }
  if (!g_secret)
    return ENTRY_OK;
  if (tagged == len) {
    snprintf(why, n, "not authenticated: no hmac line, and a cache key is "
             "set (written without the key, or forged)");
    return ENTRY_BAD;
  }
  hmac_hex_of(g_secret, g_secret_len, data, tagged, got);
  if (!hash_equal(data + tagged + 5, got)) {
    snprintf(why, n, "not authenticated: wrong hmac (written with another "
             "key, or forged)");
    return ENTRY_BAD;
  }
  return ENTRY_OK;
}

int entry_parse(const char *data, size_t len, const runner_key *want,
                entry *e, char *why, size_t n)
{
  char own[256], tmp2[80];
  if (!why) {
    why = own;
    n = sizeof own;
  }
  memset(e, 0, sizeof *e);
  if (want && stale(data, len, want)) {
    snprintf(why, n, "stale (another hash)");
    return ENTRY_STALE;
  }
  size_t body;
  if (check_trailer(data, len, &body, why, n) != ENTRY_OK)
    return ENTRY_BAD;
  rd r = {data, data + body, 0};
  const char *s, *v;
  size_t sn, vn, num;
  bool nul;
  if (!line_of(&r, &s, &sn, &nul) || sn != 14 ||
      memcmp(s, "runner-entry 1", 14) != 0)
    BAD("not a runner entry (version line)");
  if (!line_of(&r, &s, &sn, &nul) || !field(s, sn, "name", &v, &vn))
    BAD_LINE(r, nul, "no name line");
  e->name = xmalloc(vn + 1);
  memcpy(e->name, v, vn);
  e->name[vn] = 0;
  if (want && strcmp(e->name, want->runnable) != 0)
    BAD("the entry is named %s, not %s", shown(v, vn, tmp2, sizeof tmp2),
        want->runnable);
  if (!line_of(&r, &s, &sn, &nul) || !field(s, sn, "hash", &v, &vn) ||
      !lower_hex(v, vn))
    BAD_LINE(r, nul, "no hash line (hash and 64 hex digits)");
  e->hash = xmalloc(65);
  memcpy(e->hash, v, 64);
  e->hash[64] = 0;
  if (!line_of(&r, &s, &sn, &nul) || !field(s, sn, "code", &v, &vn) ||
      !number(v, vn, 10, 255, &num))
    BAD_LINE(r, nul, "no code line (code and 0 to 255)");
  e->code = (int)num;
  if (!line_of(&r, &s, &sn, &nul) || !field(s, sn, "log", &v, &vn) ||
      !number(v, vn, 10, SIZE_MAX, &e->loglen) ||
      !bytes_of(&r, e->loglen, &e->log))
    BAD_LINE(r, nul, "bad log (log and the length of the bytes that follow)");
  size_t cap = 0;
  bool trees = false;
  while (r.p < r.end) {
    const char *m, *l;
    size_t mn, ln, mode;
    bool tree = false;
    if (!line_of(&r, &s, &sn, &nul) ||
        !((!trees && field(s, sn, "artifact", &v, &vn)) ||
          (tree = field(s, sn, "tree", &v, &vn))))
      BAD_LINE(r, nul, trees ? "not a tree line" : "not an artifact line");
    trees = tree;
    if (!word(&v, &vn, &m, &mn) || !number(m, mn, 8, 0777, &mode) ||
        !word(&v, &vn, &l, &ln) ||
        !(tree ? content_hex(l, ln) : number(l, ln, 10, SIZE_MAX, &num)) ||
        vn == 0)
      BAD("line %zu: bad %s line (%s, its octal mode, its %s and its path)",
          r.line, tree ? "tree" : "artifact", tree ? "tree" : "artifact",
          tree ? "XXH3-128 in 32 hex digits" : "length");
    if (e->narts == cap)
      e->arts = xrealloc(e->arts, (cap = cap ? 2 * cap : 8) * sizeof *e->arts);
    entry_artifact *a = &e->arts[e->narts++];
    memset(a, 0, sizeof *a);
    a->path = xmalloc(vn + 1);
    memcpy(a->path, v, vn);
    a->path[vn] = 0;
    a->mode = (int)mode;
    if (tree) {
      a->hex = xmalloc(ln + 1);
      memcpy(a->hex, l, ln);
      a->hex[ln] = 0;
    } else if (a->len = num, !bytes_of(&r, num, &a->data)) {
      BAD("line %zu: artifact %s: its %zu bytes run past the end", r.line,
          shown(v, vn, tmp2, sizeof tmp2), num);
    }
    if (!inside(a->path) || !plain(v, vn))
      BAD("artifact path %s %s", shown(v, vn, tmp2, sizeof tmp2),
          plain(v, vn) ? "leaves the project" : "holds a control character");
  }
  if (e->narts > 1) {
    const entry_artifact **v2 = xcalloc(e->narts, sizeof *v2);
    for (size_t i = 0; i < e->narts; i++)
      v2[i] = &e->arts[i];
    qsort(v2, e->narts, sizeof *v2, by_path);
    const char *twice = NULL;
    for (size_t i = 1; i < e->narts && !twice; i++)
      if (strcmp(v2[i - 1]->path, v2[i]->path) == 0)
        twice = v2[i]->path;
    free(v2);
    if (twice)
      BAD("artifact %s twice", shown(twice, strlen(twice), tmp2, sizeof tmp2));
  }
  if (want && strcmp(e->hash, want->hash) != 0) {
    snprintf(why, n, "stale (another hash)");
    entry_free(e);
    return ENTRY_STALE;
  }
  return ENTRY_OK;
}

int entry_check(const char *data, size_t len, const runner_key *key,
                char *why, size_t n)
{
  entry e;
  int rc = entry_parse(data, len, key, &e, why, n);
  if (rc == ENTRY_OK)
    entry_free(&e);
  return rc == ENTRY_OK ? 0 : -1;
}
