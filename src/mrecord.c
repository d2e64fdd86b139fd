/* mrecord.c -- a manifest's record in the metadata cache: what discovery
 * keeps of a parsed manifest, so that a warm start neither parses nor
 * checks its document (see stages.h; the document comes from the cache's
 * image only when something asks for it, mcache.c).
 *
 * Layout (native byte order, a multiple of 8 bytes):
 *
 *   abi (u32), number of requirements (u16), flags (u8: 1 has_abi,
 *   2 lazy, 4 library), has (u8: PK__M_*); the version's major, minor
 *   and patch (u64 each)
 *   per requirement one byte: 1 when it is from `optional` (all of
 *   `requires` first, as parsed)
 *   name, namespace, version as written, its pre-release part,
 *   description, library (when flag 4), then each requirement's text,
 *   every one its length (u16, unaligned) then its bytes and a NUL: a
 *   warm start finds each string's end from its length, not by a scan
 *   for the NUL (a call of memchr a string cost more than the rest of
 *   reading a record), and has the names' lengths for the id
 *   the [[provides]] entries: their number (u16, unaligned), one byte
 *   each (1 when it has a [provides.config]), then each one's kind, tag
 *   and extends ("" when none), strings as above: a warm start declares
 *   a plugin's types from them without its document (types.c), which
 *   is made only when a type's config or position is needed
 *   zeros up to a multiple of 8
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "stages.h"

enum { F_ABI = 1, F_LAZY = 2, F_LIBRARY = 4 };
#define HEAD 32

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Appends s (its length, then s with its NUL) at *at when it fits cap;
 * *ok cleared when s is too long for a record. */
static void put(char *out, size_t cap, size_t *at, const char *s, bool *ok)
{
  size_t n = strlen(s);
  uint16_t k = (uint16_t)n;
  *ok = *ok && n <= UINT16_MAX;
  if (out && *at + 2 + n + 1 <= cap) {
    memcpy(out + *at, &k, 2);
    memcpy(out + *at + 2, s, n + 1);
  }
  *at += 2 + n + 1;
}

size_t pk__manifest_record(const pk__manifest *m, void *out, size_t cap)
{
  char *o = out;
  if (m->nreq > UINT16_MAX)
    return 0; /* cannot be recorded: read every time */
  size_t at = HEAD + m->nreq;
  bool ok = true;
  put(o, cap, &at, m->name, &ok);
  put(o, cap, &at, m->ns, &ok);
  put(o, cap, &at, m->version_text, &ok);
  put(o, cap, &at, m->version.pre, &ok);
  put(o, cap, &at, m->description, &ok);
  if (m->library)
    put(o, cap, &at, m->library, &ok);
  for (size_t i = 0; i < m->nreq; i++)
    put(o, cap, &at, m->reqs[i].text, &ok);
  const pk_value *prov = m->has & PK__M_PROVIDES
                             ? pk_table_get(pk_doc_root(m->doc), "provides")
                             : NULL;
  size_t nprov = pk_array_count(prov), flags_at = at;
  ok = ok && nprov <= UINT16_MAX;
  at += 2 + nprov;
  for (size_t i = 0; i < nprov; i++) {
    pk__mprov e = {"", "", ""};
    const pk_value *tag_v = NULL, *cfg = NULL;
    pk__provides_read(pk_array_at(prov, i), &e, &tag_v, &cfg);
    put(o, cap, &at, e.kind, &ok);
    put(o, cap, &at, e.tag, &ok);
    put(o, cap, &at, e.extends ? e.extends : "", &ok);
    if (o && flags_at + 2 + i < cap)
      o[flags_at + 2 + i] = cfg != NULL;
  }
  size_t size = pad8(at);
  if (!ok)
    return 0; /* (a string of 64 KiB: not in a manifest that is imaged) */
  if (!o || size > cap)
    return size;
  uint16_t nreq = (uint16_t)m->nreq;
  uint8_t flags = (uint8_t)((m->has_abi ? F_ABI : 0) | (m->lazy ? F_LAZY : 0) |
                            (m->library ? F_LIBRARY : 0)),
          has = (uint8_t)m->has;
  memcpy(o, &m->abi, 4);
  memcpy(o + 4, &nreq, 2);
  o[6] = (char)flags;
  o[7] = (char)has;
  memcpy(o + 8, &m->version.major, 8);
  memcpy(o + 16, &m->version.minor, 8);
  memcpy(o + 24, &m->version.patch, 8);
  for (size_t i = 0; i < m->nreq; i++)
    o[HEAD + i] = m->reqs[i].optional;
  uint16_t np = (uint16_t)nprov;
  memcpy(o + flags_at, &np, 2);
  memset(o + at, 0, size - at);
  return size;
}

/* The string at *at (its length, then its bytes ended by a NUL inside
 * len; *at <= len), or NULL; *n (if not NULL) its length. */
static const char *take(const char *r, size_t len, size_t *at, size_t *n)
{
  uint16_t k;
  if (len - *at < 3)
    return NULL;
  memcpy(&k, r + *at, 2);
  size_t s = *at + 2;
  if (k >= len - s || r[s + k])
    return NULL;
  *at = s + k + 1;
  if (n)
    *n = k;
  return r + s;
}

pk_status pk__manifest_from_record(const pk__allocator *a, const void *rec,
                                   size_t len, pk__manifest *m)
{
  const char *r = rec;
  memset(m, 0, sizeof *m);
  uint16_t nreq;
  if (len < HEAD || len % 8)
    return PK_EIO;
  memcpy(&m->abi, r, 4);
  memcpy(&nreq, r + 4, 2);
  unsigned flags = (unsigned char)r[6];
  m->has = (unsigned char)r[7];
  m->has_abi = flags & F_ABI;
  m->lazy = flags & F_LAZY;
  memcpy(&m->version.major, r + 8, 8);
  memcpy(&m->version.minor, r + 16, 8);
  memcpy(&m->version.patch, r + 24, 8);
  size_t at = HEAD + (size_t)nreq;
  if (flags > 7 || m->has > 15 || at > len || (!m->has_abi && m->abi))
    return PK_EIO;
  const char *pre;
  size_t ln, lns, lpre;
  if (!(m->name = take(r, len, &at, &ln)) ||
      !(m->ns = take(r, len, &at, &lns)) ||
      !(m->version_text = take(r, len, &at, NULL)) ||
      !(pre = take(r, len, &at, &lpre)) ||
      !(m->description = take(r, len, &at, NULL)) ||
      ((flags & F_LIBRARY) && !(m->library = take(r, len, &at, NULL))) ||
      !pk__name_valid(m->name, ln) || !pk__name_valid(m->ns, lns) ||
      lpre >= sizeof ((pk__version *)0)->pre ||
      (m->library &&
       (!m->library[0] || strchr(m->library, '/') || !m->has_abi)))
    return PK_EIO;
  m->version.pre = pre; /* in the record, as the other strings */
  if (nreq && !(m->reqs = pk__alloc(a, nreq * sizeof *m->reqs)))
    return PK_ENOMEM;
  m->reqcap = nreq;
  uint32_t idx[2] = {0, 0};
  for (size_t i = 0; i < nreq; i++) {
    unsigned opt = (unsigned char)r[HEAD + i];
    const char *t = take(r, len, &at, NULL);
    if (opt > 1 || (i && opt < m->reqs[i - 1].optional) || !t) {
      pk__manifest_free(a, m);
      return PK_EIO;
    }
    m->reqs[m->nreq++] = (pk__mreq){.text = t, .idx = idx[opt]++,
                                    .optional = opt};
  }
  uint16_t nprov = 0;
  bool ok = len - at >= 2;
  if (ok)
    memcpy(&nprov, r + at, 2);
  ok = ok && nprov <= len - at - 2 && (!nprov || (m->has & PK__M_PROVIDES));
  const char *pflags = ok ? r + at + 2 : r; /* (pk__record_provides_at
                                                finds them) */
  at += ok ? 2 + (size_t)nprov : 0;
  for (size_t i = 0; ok && i < nprov; i++)
    ok = pflags[i] <= 1 && take(r, len, &at, NULL) &&
         take(r, len, &at, NULL) && take(r, len, &at, NULL);
  if (!ok) {
    pk__manifest_free(a, m);
    return PK_EIO;
  }
  bool pad = len - at < 8; /* the padding, and nothing else */
  for (; pad && at < len; at++)
    pad = !r[at];
  if (!pad)
    pk__manifest_free(a, m);
  return pad ? PK_OK : PK_EIO;
}

size_t pk__record_sizes(const void *rec, size_t len, size_t *names,
                        size_t *lib)
{
  const char *r = rec;
  uint16_t nreq;
  size_t at = HEAD, ln = 0, lns = 0, ll = 0;
  *names = *lib = 0;
  if (len < HEAD)
    return 0;
  memcpy(&nreq, r + 4, 2);
  if (nreq > (len - HEAD) / 4) /* each takes 4 bytes at least */
    return 0;
  at += nreq; /* name, ns, version, pre, description (, library) */
  if (!take(r, len, &at, &ln) || !take(r, len, &at, &lns) ||
      !take(r, len, &at, NULL) || !take(r, len, &at, NULL) ||
      !take(r, len, &at, NULL) ||
      ((r[6] & F_LIBRARY) && !take(r, len, &at, &ll)))
    return 0;
  *names = ln + lns;
  *lib = ll;
  return nreq;
}

size_t pk__record_strlen(const char *s)
{
  uint16_t k;
  memcpy(&k, s - 2, 2);
  return k;
}
