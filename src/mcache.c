/* mcache.c -- the metadata cache file (see mcache.h).
 *
 * File layout (native byte order; every part a multiple of 8 bytes):
 *
 *   header   "PKMCACHE", format, byte-order word, library version (16
 *            bytes), payload size, checksum of the payload
 *   section  per search path: bytes, nents, root length, 0, directory
 *            key, root (NUL, padding), then nents entries
 *   entry    bytes, kind, name length, image length, key, name (NUL,
 *            padding), image (padding)
 *
 * A file of another format or library version, another byte order, or
 * whose checksum does not match is ignored (and replaced).
 * SPDX-License-Identifier: MIT */
#include "mcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "PKMCACHE"
#define FORMAT                                                                 \
  4u /* 3: images used in place (room for block headers);                      \
        4: line starts of 2 bytes */
#define ORDER 0x01020304u

typedef struct header {
  char magic[8];
  uint32_t format, order;
  char version[16];
  uint64_t payload, sum;
} header;

typedef struct sect_head {
  uint32_t bytes, nents, root_len, zero;
  pk__mc_key dir;
} sect_head;

typedef struct ent_head {
  uint32_t bytes, kind, name_len, img_len;
  pk__mc_key key;
} ent_head;

/* A search path's section: read from the file, or recorded now. */
typedef struct sect {
  const struct sect *from; /* kept as the file has it (pk__mc_same) */
  const char *root;
  pk__mc_key dir;
  pk__mc_ent *ents; /* read: parsed entries */
  size_t n;
  const char *raw;  /* its bytes (in the file, or own) */
  size_t raw_len;
  char *own;        /* recorded: allocation holding raw */
} sect;

struct pk__mc {
  pk_host *h;
  char *path;
  char *data; /* the file */
  size_t size, cap; /* its bytes; data's allocation */
  sect *old;
  size_t nold, oldcap;
  sect *out; /* this discovery's, in search order */
  size_t nout, outcap;
  bool changed; /* something recorded differs from the file */
  size_t served, read; /* manifests, for the debug line of commit */
  int64_t now_ns;
};

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Four independent lanes, so the multiplies overlap. */
static uint64_t checksum(const char *p, size_t n)
{
  uint64_t h[4] = {0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full,
                   0x165667B19E3779F9ull, 0x27D4EB2F165667C5ull};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 4; j++) {
      uint64_t w;
      memcpy(&w, p + i + 8 * j, 8);
      h[j] = (h[j] ^ w) * 0xBF58476D1CE4E5B9ull;
      h[j] ^= h[j] >> 31;
    }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h[0] = (h[0] ^ w) * 0x94D049BB133111EBull;
    h[0] ^= h[0] >> 29;
  }
  return h[0] ^ (h[1] * 3) ^ (h[2] * 5) ^ (h[3] * 7) ^ n;
}

void pk__mc_key_of(const struct stat *st, pk__mc_key *k)
{
  memset(k, 0, sizeof *k);
  k->dev = (uint64_t)st->st_dev;
  k->ino = (uint64_t)st->st_ino;
  k->size = (uint64_t)st->st_size;
  k->mtime_s = (int64_t)st->st_mtim.tv_sec;
  k->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
  k->ctime_s = (int64_t)st->st_ctim.tv_sec;
  k->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

bool pk__mc_key_eq(const pk__mc_key *a, const pk__mc_key *b)
{
  return memcmp(a, b, sizeof *a) == 0;
}

bool pk__mc_settled(const pk__mc *mc, const pk__mc_key *k)
{
  int64_t m = k->mtime_s * 1000000000 + k->mtime_ns;
  int64_t c = k->ctime_s * 1000000000 + k->ctime_ns;
  return (m > c ? m : c) + (int64_t)PK__MC_RACY_S * 1000000000 < mc->now_ns;
}

/* ---- reading ---- */

static void sects_free(pk__mc *mc, sect *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    pk__free(&mc->h->alloc, s[i].ents, s[i].n * sizeof *s[i].ents);
    pk__free(&mc->h->alloc, s[i].own, s[i].raw_len);
  }
}

/* Parses the sections of the payload (writable: documents use its images
 * in place); false when they do not fit it (or *nomem set: out of
 * memory). */
static bool parse_sections(pk__mc *mc, char *p, size_t n, bool *nomem)
{
  while (n) {
    sect_head sh;
    if (n < sizeof sh)
      return false;
    memcpy(&sh, p, sizeof sh);
    size_t used = sizeof sh + pad8((size_t)sh.root_len + 1);
    if (sh.bytes > n || sh.bytes < used || sh.bytes % 8 ||
        p[sizeof sh + sh.root_len] != '\0')
      return false;
    sect s = {.root = p + sizeof sh, .dir = sh.dir, .raw = p,
              .raw_len = sh.bytes};
    if (sh.nents > (sh.bytes - used) / sizeof(ent_head))
      return false;
    if (sh.nents && !(s.ents = pk__alloc(&mc->h->alloc,
                                         sh.nents * sizeof *s.ents)))
      return !(*nomem = true);
    s.n = sh.nents;
    if (PK__VEC_PUSH(&mc->h->alloc, mc->old, mc->nold, mc->oldcap, s) !=
        PK_OK) {
      sects_free(mc, &s, 1);
      return !(*nomem = true);
    }
    for (size_t i = 0; i < s.n; i++) {
      ent_head eh;
      if (sh.bytes - used < sizeof eh)
        return false;
      memcpy(&eh, p + used, sizeof eh);
      size_t name_end = sizeof eh + pad8((size_t)eh.name_len + 1);
      if (eh.bytes > sh.bytes - used || eh.bytes % 8 || eh.kind > 2 ||
          name_end > eh.bytes ||
          pad8(eh.img_len) != eh.bytes - name_end ||
          p[used + sizeof eh + eh.name_len] != '\0' ||
          (eh.kind == PK__MC_IMAGE) != (eh.img_len > 0))
        return false;
      s.ents[i] = (pk__mc_ent){.name = p + used + sizeof eh,
                               .kind = eh.kind,
                               .key = eh.key,
                               .img = p + used + name_end,
                               .img_len = eh.img_len};
      used += eh.bytes;
    }
    if (used != sh.bytes)
      return false;
    p += sh.bytes;
    n -= sh.bytes;
  }
  return true;
}

static char *data_buf(void *ud, size_t cap)
{
  pk__mc *mc = ud;
  char *p = pk__resize(&mc->h->alloc, mc->data, mc->cap, cap);
  if (p) {
    mc->data = p;
    mc->cap = cap;
  }
  return p;
}

/* Reads the file; false (said at debug level) when it cannot be used;
 * *nomem set when that is for want of memory. */
static bool read_file(pk__mc *mc, bool *nomem)
{
  const char *why = NULL;
  pk__file_why fw;
  pk_status st = pk__file_read(AT_FDCWD, mc->path, UINT32_MAX, data_buf, mc,
                               &mc->size, NULL, &fw);
  if (st == PK_ENOTFOUND || (st == PK_EIO && !fw.mode)) {
    pk__log(mc->h, PK_LOG_DEBUG, NULL, "plugin cache %s: %s", mc->path,
            strerror(fw.errnum));
    return false;
  }
  if (st == PK_ENOMEM) {
    why = "out of memory";
    *nomem = true;
  } else if (st != PK_OK || mc->size < sizeof(header)) {
    why = "not a plugin cache";
  }
  header hd;
  if (!why) {
    memcpy(&hd, mc->data, sizeof hd);
    char version[16] = {0};
    strncpy(version, pk_version(), sizeof version - 1);
    if (memcmp(hd.magic, MAGIC, 8) || hd.format != FORMAT ||
        hd.order != ORDER || memcmp(hd.version, version, sizeof version))
      why = "written by another version of plugkit";
    else if (hd.payload != mc->size - sizeof hd ||
             hd.sum != checksum(mc->data + sizeof hd, (size_t)hd.payload) ||
             !parse_sections(mc, mc->data + sizeof hd, (size_t)hd.payload,
                             nomem))
      why = *nomem ? "out of memory" : "damaged";
  }
  if (why)
    pk__log(mc->h, PK_LOG_DEBUG, NULL, "plugin cache %s: %s; rebuilding it",
            mc->path, why);
  return !why;
}

void pk__mc_seal(char *file, size_t size)
{
  header hd;
  if (size < sizeof hd)
    return;
  memcpy(&hd, file, sizeof hd);
  hd.payload = size - sizeof hd;
  hd.sum = checksum(file + sizeof hd, size - sizeof hd);
  memcpy(file, &hd, sizeof hd);
}

pk_status pk__mc_open(pk_host *h, const char *path, pk__mc **out)
{
  *out = NULL;
  if (!path)
    return PK_OK;
  pk__mc *mc = pk__alloc_zero(&h->alloc, sizeof *mc);
  if (!mc)
    return PK_ENOMEM;
  mc->h = h;
  if (!(mc->path = pk__strdup(&h->alloc, path))) {
    pk__free(&h->alloc, mc, sizeof *mc);
    return PK_ENOMEM;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  mc->now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  bool nomem = false;
  if (!read_file(mc, &nomem)) {
    sects_free(mc, mc->old, mc->nold);
    mc->nold = 0;
    if (nomem) {
      pk__mc_close(mc);
      return PK_ENOMEM;
    }
  }
  *out = mc;
  return PK_OK;
}

void pk__mc_close(pk__mc *mc)
{
  if (!mc)
    return;
  const pk__allocator *a = &mc->h->alloc;
  bool lent = false;
  for (size_t i = 0; i < mc->nold && !lent; i++)
    for (size_t j = 0; j < mc->old[i].n && !lent; j++)
      lent = mc->old[i].ents[j].lent;
  if (lent) { /* documents use it: the host frees it, last */
    mc->h->cache_data = mc->data;
    mc->h->cache_size = mc->cap;
    mc->data = NULL;
  }
  sects_free(mc, mc->old, mc->nold);
  sects_free(mc, mc->out, mc->nout);
  pk__free(a, mc->old, mc->oldcap * sizeof *mc->old);
  pk__free(a, mc->out, mc->outcap * sizeof *mc->out);
  pk__free(a, mc->data, mc->cap);
  pk__strfree(a, mc->path);
  pk__free(a, mc, sizeof *mc);
}

static sect *find_old(pk__mc *mc, const char *root)
{
  for (size_t i = 0; i < mc->nold; i++)
    if (!strcmp(mc->old[i].root, root))
      return &mc->old[i];
  return NULL;
}

pk__mc_ent *pk__mc_find(pk__mc *mc, const char *root, const pk__mc_key *dir,
                        size_t *n, bool *listed)
{
  sect *s = mc ? find_old(mc, root) : NULL;
  *n = s ? s->n : 0;
  *listed = s && pk__mc_key_eq(&s->dir, dir);
  return s ? s->ents : NULL;
}

/* ---- recording and writing ---- */

pk_status pk__mc_same(pk__mc *mc, const char *root)
{
  sect *s = find_old(mc, root);
  sect copy = {.from = s, .root = s->root, .raw = s->raw,
               .raw_len = s->raw_len};
  return PK__VEC_PUSH(&mc->h->alloc, mc->out, mc->nout, mc->outcap, copy);
}

pk_status pk__mc_record(pk__mc *mc, const char *root, const pk__mc_key *dir,
                        const pk__mc_ent *ents, size_t n)
{
  size_t root_len = strlen(root);
  size_t bytes = sizeof(sect_head) + pad8(root_len + 1);
  for (size_t i = 0; i < n; i++)
    bytes += sizeof(ent_head) + pad8(strlen(ents[i].name) + 1) +
             pad8(ents[i].img_len);
  if (bytes > UINT32_MAX)
    return PK_ENOMEM;
  sect s = {.raw_len = bytes};
  char *p = s.own = pk__alloc_zero(&mc->h->alloc, bytes);
  if (!p)
    return PK_ENOMEM;
  s.raw = p;
  sect_head sh = {.bytes = (uint32_t)bytes, .nents = (uint32_t)n,
                  .root_len = (uint32_t)root_len, .dir = *dir};
  memcpy(p, &sh, sizeof sh);
  memcpy(p + sizeof sh, root, root_len);
  s.root = p + sizeof sh;
  p += sizeof sh + pad8(root_len + 1);
  for (size_t i = 0; i < n; i++) {
    size_t name_len = strlen(ents[i].name);
    ent_head eh = {.kind = ents[i].kind, .name_len = (uint32_t)name_len,
                   .img_len = (uint32_t)ents[i].img_len, .key = ents[i].key};
    eh.bytes = (uint32_t)(sizeof eh + pad8(name_len + 1) +
                          pad8(ents[i].img_len));
    memcpy(p, &eh, sizeof eh);
    memcpy(p + sizeof eh, ents[i].name, name_len);
    if (ents[i].img_len) { /* without the headers a load wrote into it */
      pk__doc_write_image(NULL, ents[i].img, p + sizeof eh +
                          pad8(name_len + 1), ents[i].img_len);
    }
    p += eh.bytes;
  }
  if (PK__VEC_PUSH(&mc->h->alloc, mc->out, mc->nout, mc->outcap, s) !=
      PK_OK) {
    pk__free(&mc->h->alloc, s.own, bytes);
    return PK_ENOMEM;
  }
  mc->changed = true;
  return PK_OK;
}

static bool write_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

void pk__mc_tally(pk__mc *mc, size_t served, size_t read)
{
  mc->served += served;
  mc->read += read;
}

pk_status pk__mc_commit(pk__mc *mc)
{
  if (!mc)
    return PK_OK;
  pk__log(mc->h, PK_LOG_DEBUG, NULL,
          "plugin cache %s: %zu manifests from the cache, %zu read", mc->path,
          mc->served, mc->read);
  if (!mc->changed && mc->nout == mc->nold)
    return PK_OK;
  const pk__allocator *a = &mc->h->alloc;
  size_t payload = 0;
  for (size_t i = 0; i < mc->nout; i++)
    payload += mc->out[i].raw_len;
  char *buf = pk__alloc(a, sizeof(header) + payload);
  char tmp[4200];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", mc->path, (long)getpid());
  if (!buf)
    return PK_ENOMEM;
  if (n < 0 || (size_t)n >= sizeof tmp) {
    pk__free(a, buf, sizeof(header) + payload);
    pk__log(mc->h, PK_LOG_WARN, NULL, "plugin cache %s: path too long",
            mc->path);
    return PK_OK;
  }
  header hd = {.magic = MAGIC, .format = FORMAT, .order = ORDER,
               .payload = payload};
  strncpy(hd.version, pk_version(), sizeof hd.version - 1);
  char *p = buf + sizeof hd;
  for (size_t i = 0; i < mc->nout; i++) {
    const sect *s = &mc->out[i];
    memcpy(p, s->raw, s->raw_len);
    for (size_t j = 0; s->from && j < s->from->n; j++) {
      const pk__mc_ent *e = &s->from->ents[j]; /* as in pk__mc_record */
      if (e->kind == PK__MC_IMAGE)
        pk__doc_write_image(NULL, p + ((const char *)e->img - s->raw),
                            p + ((const char *)e->img - s->raw), e->img_len);
    }
    p += s->raw_len;
  }
  hd.sum = checksum(buf + sizeof hd, payload);
  memcpy(buf, &hd, sizeof hd);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write_all(fd, buf, sizeof hd + payload);
  int e = errno;
  if (fd >= 0 && close(fd) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (ok && rename(tmp, mc->path) != 0) {
    ok = false;
    e = errno;
  }
  if (!ok) {
    if (fd >= 0)
      unlink(tmp);
    pk__log(mc->h, PK_LOG_WARN, NULL,
            "plugin cache %s: cannot write it (%s); start-up reads every "
            "manifest until it can",
            mc->path, strerror(e));
  }
  pk__free(a, buf, sizeof hd + payload);
  return PK_OK;
}

/* ---- document images ---- */

pk_status pk__mc_doc(const pk__allocator *a, const char *source,
                     pk__mc_ent *e, pk_doc **out)
{
  *out = NULL;
  if (e->lent) /* a search path listed twice: the first has it */
    return PK_EIO;
  pk_status st = pk__doc_load_image(a, source, e->img, e->img_len, out);
  if (st == PK_OK)
    e->lent = true;
  return st;
}

pk_status pk__mc_image(const pk__allocator *a, const pk_doc *doc,
                       void **img, size_t *len)
{
  size_t n = pk__doc_write_image(doc, NULL, NULL, 0);
  *img = n ? pk__alloc(a, n) : NULL;
  *len = *img ? n : 0;
  if (!*img)
    return n ? PK_ENOMEM : PK_OK;
  pk__doc_write_image(doc, NULL, *img, n);
  return PK_OK;
}
