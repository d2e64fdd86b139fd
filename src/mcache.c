/* mcache.c -- the metadata cache file (see mcache.h).
 *
 * File layout (native byte order; every part a multiple of 8 bytes):
 *
 *   header   "PKMCACHE", format, byte-order word, library version (16
 *            bytes), size and checksum of the sections, size of the
 *            images region, 0
 *   section  per search path: bytes, nents, root length, 0, directory
 *            key, where its images are in the images region and how many
 *            bytes, root (NUL, padding), then nents entries
 *   entry    bytes, kind, name length, image length, key, record length,
 *            0, checksum of the image, where it is in the section's
 *            images, name (NUL, padding), record (mrecord.c); its head
 *            is pk__mc_ent, used where it was read (see parse_sections)
 *   images   the sections' images, each 8-aligned, in entry order
 *
 * A file of another format or library version, another byte order, or
 * whose checksum does not match is ignored (and replaced).  How a warm
 * start goes: one read gives the header and the sections of a file of up
 * to 16 KiB; a larger one's header is read, then its header and sections
 * in one read into a room of the host's records arena reserved for them
 * and for the records, paths and requirements the start makes of them
 * (read_file); their checksum is checked, not the images'; a
 * manifest whose stat matches is served from its record (pk__mc_lend: no
 * parse, no image); an image is read when its document is first asked
 * for (by itself: image_of), and used (in place) only once its own
 * checksum and every node check out (pk__mc_load_doc); one found damaged
 * marks the file so (mark_damaged), for the next start to rewrite.  The
 * file stays open while the host uses its records, so the images read are
 * the ones its records were written with (the file is only ever replaced
 * by a rename).
 * SPDX-License-Identifier: MIT */
#include "mcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "PKMCACHE"
#define FORMAT                                                                 \
  9u /* 3: images used in place (room for block headers);                      \
        4: line starts of 2 bytes; 5: records, images apart, read and          \
        checked when used; 6: tables of 9 to 128 keys keep tag bytes in        \
        their images, not a hash index; 7: narrow (16-byte) table entries,     \
        the node slot one bit higher; 8: a record's strings after their        \
        lengths (mrecord.c), the checksum a multiply a 16 bytes; 9: a          \
        record holds each [[provides]] entry's kind, tag, extends */
#define ORDER 0x01020304u

typedef struct header {
  char magic[8];
  uint32_t format, order;
  char version[16];
  uint64_t payload, sum; /* the sections: bytes, checksum */
  uint64_t images, zero; /* the images region: bytes */
} header;

typedef struct sect_head {
  uint32_t bytes, nents, root_len, zero;
  pk__mc_key dir;
  uint64_t img_base, img_bytes; /* its images in the images region */
} sect_head;

typedef pk__mc_ent ent_head; /* (the file's layout: mcache.h) */

/* A search path's section: read from the file, or recorded now. */
typedef struct sect {
  const struct sect *from; /* kept as the file has it (pk__mc_same) */
  const char *root;
  pk__mc_key dir;
  pk__mc_ent *ents; /* read: its first entry, in raw */
  size_t n;
  const char *raw;  /* its bytes (in the file, or own) */
  size_t raw_len;
  char *own;        /* recorded: allocation holding raw */
  uint64_t img_base; /* read: its images in the region */
  size_t img_bytes;
  struct pending *imgs; /* recorded: its images, made when written */
  size_t nimgs;
} sect;

/* An image of a recorded section, made only when the file is written
 * (write_images): of doc, or (doc NULL) a copy of the old file's image at
 * from; len bytes; head: its entry's head in the section, whose img_sum
 * is set then. */
typedef struct pending {
  const pk_doc *doc;
  const char *from;
  size_t len;
  char *head;
} pending;

/* The file as read, kept by the host (pk_host.cache_file) while plugins
 * use its records and images. */
struct pk__mcfile {
  pk__allocator a;
  char *data;        /* header and sections: the records' strings */
  size_t data_len;   /* 0: data is in the host's records arena */
  int fd;            /* the file, open for its images */
  uint64_t img_at, img_len; /* the images region in it */
  char *img;         /* read on first use (images()) */
  bool img_bad;      /* it could not be read */
  struct one_img *ones; /* images read one at a time (image_of()) */
  size_t nones;
  bool marked;       /* an image was damaged: the file is marked so */
};

/* An image read by itself (its bytes follow), kept until the file is. */
typedef struct one_img {
  struct one_img *next;
  uint64_t len;
} one_img;

/* Documents whose images are read one at a time (one pread of the image's
 * bytes) before the whole images region is read instead: a host asks for
 * few (the types and plugins its config uses), and one read of a few
 * hundred bytes touches no fresh page, where the region (~1.3 KB a
 * manifest) is one page fault every three manifests. */
#define ONE_AT_A_TIME 8

struct pk__mc {
  pk_host *h;
  char *path;
  pk__mcfile *f; /* the file read (h->cache_file), or NULL */
  sect *old;
  size_t nold, oldcap;
  sect *out; /* this discovery's, in search order */
  size_t nout, outcap;
  bool changed; /* something recorded differs from the file */
  size_t served, read; /* manifests, for the debug line of commit */
  int64_t now_ns;
};

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* The record of entry e (after its name; 8-aligned). */
static const char *ent_rec(const pk__mc_ent *e)
{
  return pk__mc_ent_name(e) + pad8((size_t)e->name_len + 1);
}

/* x * y (128 bits), its halves xored. */
static inline uint64_t fold(uint64_t x, uint64_t y)
{
#ifdef __SIZEOF_INT128__
  unsigned __int128 r = (unsigned __int128)x * y;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
  uint64_t xl = x & 0xffffffffu, xh = x >> 32, yl = y & 0xffffffffu,
           yh = y >> 32, ll = xl * yl, lh = xl * yh, hl = xh * yl;
  uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  return ((mid << 32) | (ll & 0xffffffffu)) ^
         (xh * yh + (lh >> 32) + (hl >> 32) + (mid >> 32));
#endif
}

/* Two lanes, each taking 16 bytes a step as one 64 x 64-bit multiply of
 * the words (each xored with a constant or the lane's state): about half
 * the instructions of a multiply a word, which a warm start spends on
 * every byte of the sections.  The last n % 8 bytes count too. */
uint64_t pk__mc_sum(const void *v, size_t n)
{
  const uint64_t K0 = 0x9E3779B97F4A7C15ull, K1 = 0xC2B2AE3D27D4EB4Full,
                 K2 = 0x165667B19E3779F9ull, K3 = 0x27D4EB2F165667C5ull;
  const char *p = v;
  uint64_t h0 = K2, h1 = K3;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t a, b, c, d; /* (four words, not an array: no copy of it) */
    memcpy(&a, p + i, 8);
    memcpy(&b, p + i + 8, 8);
    memcpy(&c, p + i + 16, 8);
    memcpy(&d, p + i + 24, 8);
    h0 = fold(a ^ K0, b ^ h0);
    h1 = fold(c ^ K1, d ^ h1);
  }
  for (; i < n; i += 8) {
    uint64_t w = 0;
    memcpy(&w, p + i, n - i < 8 ? n - i : 8);
    h0 = fold(w ^ K0, h0 ^ K1);
  }
  return fold(h0 ^ K2, h1 ^ K3 ^ n);
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

bool pk__mc_key_is(const struct stat *st, const pk__mc_key *k)
{
  return k->ino == (uint64_t)st->st_ino &&
         k->mtime_ns == (int64_t)st->st_mtim.tv_nsec &&
         k->ctime_ns == (int64_t)st->st_ctim.tv_nsec &&
         k->size == (uint64_t)st->st_size &&
         k->mtime_s == (int64_t)st->st_mtim.tv_sec &&
         k->ctime_s == (int64_t)st->st_ctim.tv_sec &&
         k->dev == (uint64_t)st->st_dev;
}

bool pk__mc_settled(const pk__mc *mc, const pk__mc_key *k)
{
  int64_t m = k->mtime_s * 1000000000 + k->mtime_ns;
  int64_t c = k->ctime_s * 1000000000 + k->ctime_ns;
  return (m > c ? m : c) + (int64_t)PK__MC_RACY_S * 1000000000 < mc->now_ns;
}

/* ---- reading ---- */

/* (the entries of sections read are in the file's buffer) */
static void sects_free(pk__mc *mc, sect *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    pk__free(&mc->h->alloc, s[i].own, s[i].raw_len);
    pk__free(&mc->h->alloc, s[i].imgs, s[i].nimgs * sizeof *s[i].imgs);
  }
}

/* Checks the section at p (n bytes left of the sections, *sh its head;
 * region: the images region, region_len bytes): place (the file read),
 * each entry's img_off is made where its image is in the region, once
 * the entry checked out; reseal (region in memory): each image's
 * checksum is set (see pk__mc_seal).  False when it does not fit. */
static bool walk_section(char *p, size_t n, sect_head *sh, bool place,
                         const char *region, uint64_t region_len,
                         bool reseal)
{
  if (n < sizeof *sh)
    return false;
  memcpy(sh, p, sizeof *sh);
  size_t used = sizeof *sh + pad8((size_t)sh->root_len + 1);
  if (sh->bytes > n || sh->bytes < used || sh->bytes % 8 ||
      p[sizeof *sh + sh->root_len] != '\0' ||
      sh->nents > (sh->bytes - used) / sizeof(ent_head) ||
      sh->img_base % 8 || sh->img_base > region_len ||
      sh->img_bytes > region_len - sh->img_base)
    return false;
  for (size_t i = 0; i < sh->nents; i++) {
    ent_head eh;
    if (sh->bytes - used < sizeof eh)
      return false;
    memcpy(&eh, p + used, sizeof eh);
    size_t name_end = sizeof eh + pad8((size_t)eh.name_len + 1);
    bool image = eh.kind == PK__MC_IMAGE;
    if (eh.bytes > sh->bytes - used || eh.bytes % 8 || eh.kind > 2 ||
        eh.rec_len % 8 || name_end + (size_t)eh.rec_len != eh.bytes ||
        p[used + sizeof eh + eh.name_len] != '\0' ||
        image != (eh.img_len > 0) || image != (eh.rec_len > 0) ||
        eh.lent || eh.img_off % 8 || eh.img_off > sh->img_bytes ||
        pad8(eh.img_len) > sh->img_bytes - eh.img_off)
      return false;
    if (reseal && image) {
      eh.img_sum =
          pk__mc_sum(region + sh->img_base + eh.img_off, eh.img_len);
      memcpy(p + used, &eh, sizeof eh);
    }
    if (place) { /* (p, so each entry, is 8-aligned) */
      eh.img_off += sh->img_base;
      memcpy(p + used + offsetof(ent_head, img_off), &eh.img_off,
             sizeof eh.img_off);
    }
    used += eh.bytes;
  }
  return used == sh->bytes;
}

/* Sets the checksum of every image of the sections p (n bytes; up to the
 * first that does not fit), region their images. */
static void reseal(char *p, size_t n, const char *region, uint64_t len)
{
  sect_head sh;
  while (n && walk_section(p, n, &sh, false, region, len, true)) {
    p += sh.bytes;
    n -= sh.bytes;
  }
}

/* Parses the sections (n bytes at p, 8-aligned) of the file read, whose
 * images region has region_len bytes; false when their checksum is not
 * sum or they do not fit (or *nomem set: out of memory).  Each section's
 * entries are used where they are (pk__mc_ent), each checked first; in
 * the buffer their img_off is where the image is in the region and lent
 * is theirs (build_head puts back what the file has). */
static bool parse_sections(pk__mc *mc, char *p, size_t n, uint64_t sum,
                           uint64_t region_len, bool *nomem)
{
  if (pk__mc_sum(p, n) != sum)
    return false;
  while (n) {
    sect_head sh;
    if (!walk_section(p, n, &sh, true, NULL, region_len, false))
      return false;
    size_t head = sizeof sh + pad8((size_t)sh.root_len + 1);
    sect s = {.root = p + sizeof sh, .dir = sh.dir, .raw = p,
              .ents = sh.nents ? (pk__mc_ent *)(p + head) : NULL,
              .n = sh.nents, .raw_len = sh.bytes, .img_base = sh.img_base,
              .img_bytes = (size_t)sh.img_bytes};
    if (PK__VEC_PUSH(&mc->h->alloc, mc->old, mc->nold, mc->oldcap, s) != PK_OK)
      return !(*nomem = true);
    p += sh.bytes;
    n -= sh.bytes;
  }
  return true;
}

/* Reads (out: writes) n bytes at off; false when it cannot. */
static bool io_at(int fd, char *p, size_t n, uint64_t off, bool out)
{
  while (n) {
    ssize_t r = out ? pwrite(fd, p, n, (off_t)off)
                    : pread(fd, p, n, (off_t)off);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= (size_t)r;
    off += (uint64_t)r;
  }
  return true;
}

static void file_free(pk__mcfile *f)
{
  if (!f)
    return;
  if (f->fd >= 0)
    close(f->fd);
  if (f->data_len) /* else in the host's records arena */
    pk__free(&f->a, f->data, f->data_len);
  pk__free(&f->a, f->img, (size_t)f->img_len);
  while (f->ones) {
    one_img *o = f->ones;
    f->ones = o->next;
    pk__free(&f->a, o, sizeof *o + (size_t)o->len);
  }
  pk__free(&f->a, f, sizeof *f);
}

void pk__mc_release(pk_host *h)
{
  file_free(h->cache_file);
  h->cache_file = NULL;
}

/* Reads the header and the sections (the images are read when a document
 * is first asked for: images()); false (said at debug level) when the
 * file cannot be used; *nomem set when that is for want of memory. */
static bool read_file(pk__mc *mc, bool *nomem)
{
  const char *why = NULL;
  int fd = open(mc->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { /* (the first start: no file yet) */
    if (mc->h->log) /* strerror's locale data: 4 fresh pages, not for none */
      pk__log(mc->h, PK_LOG_DEBUG, NULL, "plugin cache %s: %s", mc->path,
              strerror(errno));
    return false;
  }
  struct stat sb;
  header hd;
  char version[16] = {0};
  strncpy(version, pk_version(), sizeof version - 1);
  /* a file of up to SMALL bytes in one read; a larger one's header, then
   * its header and sections in one read into the host's records arena,
   * in a room reserved for what a warm start makes of them */
  enum { SMALL = 16384 };
  size_t first = 0;
  char *buf = NULL;
  bool got = false;
  if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
      (uint64_t)sb.st_size <= UINT32_MAX &&
      (size_t)sb.st_size >= sizeof hd) {
    if ((size_t)sb.st_size > SMALL) {
      got = io_at(fd, (char *)&hd, sizeof hd, 0, false);
    } else {
      first = (size_t)sb.st_size;
      if (!(buf = pk__alloc(&mc->h->alloc, first))) {
        *nomem = true;
        close(fd);
        return false;
      }
      if ((got = io_at(fd, buf, first, 0, false)))
        memcpy(&hd, buf, sizeof hd);
    }
  }
  if (!got) {
    why = "not a plugin cache";
  } else if (memcmp(hd.magic, MAGIC, 8) || hd.format != FORMAT ||
             hd.order != ORDER || memcmp(hd.version, version, sizeof version)) {
    why = "written by another version of plugkit";
  } else if (hd.payload > (uint64_t)sb.st_size - sizeof hd || hd.zero ||
             hd.images != (uint64_t)sb.st_size - sizeof hd - hd.payload) {
    why = "damaged";
  }
  pk__mcfile *f = NULL;
  if (!why) {
    size_t len = sizeof hd + (size_t)hd.payload;
    char *data = buf;
    if (!buf) {
      /* the room: the sections, and three times their bytes for the
       * records, paths and requirements of the plugins they serve
       * (pk__plugin_slots, discover.c's loaders: about 2.3 times with
       * 260-byte entries), in one place: fresh pages in a new process,
       * huge ones from PK__ARENA_HUGE on (a room not filled costs address
       * space, not memory: over libc, not over a host's own allocator) */
      if (!mc->h->alloc.fn)
        (void)pk__arena_reserve(&mc->h->records,
                                len + 3 * (size_t)hd.payload);
      data = pk__alloc(&mc->h->records_alloc, len);
    }
    buf = NULL; /* data has it (or the arena: data_len 0) */
    if (data && !(f = pk__alloc(&mc->h->alloc, sizeof *f)) && first)
      pk__free(&mc->h->alloc, data, first);
    if (!f) {
      *nomem = true;
      why = "out of memory";
    } else {
      *f = (pk__mcfile){.a = mc->h->alloc, .fd = fd, .data = data,
                        .data_len = first, .img_at = len,
                        .img_len = hd.images};
      fd = -1;
      if ((!first && !io_at(f->fd, f->data, len, 0, false)) ||
          !parse_sections(mc, f->data + sizeof hd, (size_t)hd.payload,
                          hd.sum, hd.images, nomem))
        why = *nomem ? "out of memory" : "damaged";
    }
  }
  pk__free(&mc->h->alloc, buf, first);
  if (fd >= 0)
    close(fd);
  if (why) {
    file_free(f);
    pk__log(mc->h, PK_LOG_DEBUG, NULL, "plugin cache %s: %s; rebuilding it",
            mc->path, why);
    return false;
  }
  mc->f = mc->h->cache_file = f;
  return true;
}

/* The images region of f, read on first use: NULL when it cannot be read
 * (*nomem: for want of memory).  Under load_mu, or on the host's thread
 * during discovery. */
static const char *images(pk__mcfile *f, bool *nomem)
{
  if (f->img || f->img_bad || !f->img_len)
    return f->img;
  if (!(f->img = pk__alloc(&f->a, (size_t)f->img_len))) {
    *nomem = true;
    return NULL;
  }
  if (!io_at(f->fd, f->img, (size_t)f->img_len, f->img_at, false)) {
    f->img = pk__free(&f->a, f->img, (size_t)f->img_len);
    f->img_bad = true;
  }
  return f->img;
}

/* Image e of f: in the images region when it was read, else read by
 * itself while fewer than ONE_AT_A_TIME were, else the region read.  NULL
 * when it cannot be read (*nomem: for want of memory).  Under load_mu. */
static char *image_of(pk__mcfile *f, const pk__mc_ent *e, bool *nomem)
{
  if (f->img || f->img_bad || f->nones >= ONE_AT_A_TIME) {
    char *region = (char *)images(f, nomem);
    return region ? region + e->img_off : NULL;
  }
  /* (entry checked: the image lies inside the region) */
  one_img *o = pk__alloc(&f->a, sizeof *o + e->img_len);
  if (!o) {
    *nomem = true;
    return NULL;
  }
  char *img = (char *)(o + 1);
  if (!io_at(f->fd, img, e->img_len, f->img_at + e->img_off, false)) {
    pk__free(&f->a, o, sizeof *o + e->img_len);
    return NULL;
  }
  *o = (one_img){.next = f->ones, .len = e->img_len};
  f->ones = o;
  f->nones++;
  return img;
}

void pk__mc_seal(char *file, size_t size)
{
  header hd;
  if (size < sizeof hd)
    return;
  memcpy(&hd, file, sizeof hd);
  if (hd.payload > size - sizeof hd)
    hd.payload = size - sizeof hd;
  hd.images = size - sizeof hd - hd.payload;
  hd.zero = 0;
  reseal(file + sizeof hd, (size_t)hd.payload, file + sizeof hd + hd.payload,
         hd.images);
  hd.sum = pk__mc_sum(file + sizeof hd, (size_t)hd.payload);
  memcpy(file, &hd, sizeof hd);
}

bool pk__mc_is_cache(int fd)
{
  char magic[sizeof MAGIC - 1];
  return pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
         !memcmp(magic, MAGIC, sizeof magic);
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
  for (size_t i = 0; i < mc->nold && !lent; i++) {
    pk__mc_ent *e = mc->old[i].ents;
    for (size_t j = 0; j < mc->old[i].n && !lent; j++, e = pk__mc_ent_next(e))
      lent = e->lent;
  }
  if (!lent) /* else plugins use it: the host frees it, last */
    pk__mc_release(mc->h);
  sects_free(mc, mc->old, mc->nold);
  sects_free(mc, mc->out, mc->nout);
  pk__free(a, mc->old, mc->oldcap * sizeof *mc->old);
  pk__free(a, mc->out, mc->outcap * sizeof *mc->out);
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
               .raw_len = s->raw_len, .img_bytes = s->img_bytes};
  return PK__VEC_PUSH(&mc->h->alloc, mc->out, mc->nout, mc->outcap, copy);
}

/* images() on the host's thread, during discovery. */
static const char *old_images(pk__mc *mc, bool *nomem)
{
  return mc->f ? images(mc->f, nomem) : NULL;
}

/* A record's room in the buffer pk__mc_record makes them in: a manifest's
 * is usually 100 to 200 bytes (names, version, description, library,
 * requirements, [[provides]] kinds and tags); a larger one grows it. */
#define REC_ROOM 256

pk_status pk__mc_record(pk__mc *mc, const char *root, const pk__mc_key *dir,
                        const pk__mc_put *ents, size_t n)
{
  const pk__allocator *a = &mc->h->alloc;
  bool nomem = false;
  const char *region = NULL;
  size_t root_len = strlen(root), img_bytes = 0, nimgs = 0;
  size_t bytes = sizeof(sect_head) + pad8(root_len + 1);
  uint32_t *len = n ? pk__alloc(a, 2 * n * sizeof *len) : NULL; /* rec, img */
  if (n && !len)
    return PK_ENOMEM;
  /* the records made, one after another (each made once: its strings
   * are found by walking the document, [[provides]] included), in a
   * buffer of REC_ROOM bytes a record at first: usual records fit, so
   * that they are made and copied once, not again at each doubling */
  size_t nrec = 0;
  for (size_t i = 0; i < n; i++)
    nrec += ents[i].m != NULL;
  size_t recs_len = 0, recs_cap = nrec * REC_ROOM;
  char *recs = recs_cap ? pk__alloc(a, recs_cap) : NULL;
  pk_status st = PK_OK;
  if (recs_cap && !recs) {
    recs_cap = 0;
    st = PK_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    const pk__mc_ent *o = ents[i].old;
    size_t r = o ? o->rec_len : 0, g = o ? o->img_len : 0;
    if (ents[i].m) {
      g = pk__doc_write_image(ents[i].m->doc, NULL, NULL, 0);
      r = g ? pk__manifest_record(ents[i].m, recs ? recs + recs_len : NULL,
                                  recs_cap - recs_len)
            : 0;
      if (r > recs_cap - recs_len && g) { /* made again where it fits */
        size_t cap = 2 * recs_cap > recs_len + r ? 2 * recs_cap
                                                 : recs_len + r + 4096;
        char *grown = pk__resize(a, recs, recs_cap, cap);
        if (!grown) {
          st = PK_ENOMEM;
          goto done;
        }
        recs = grown;
        recs_cap = cap;
        pk__manifest_record(ents[i].m, recs + recs_len, r);
      }
      if (!r || g > UINT32_MAX)
        g = r = 0; /* cannot be imaged: read every time */
      recs_len += r;
    } else if (g && !region && !(region = old_images(mc, &nomem))) {
      st = nomem ? PK_ENOMEM : PK_OK; /* unreadable: not rewritten */
      goto done;
    }
    len[2 * i] = (uint32_t)r;
    len[2 * i + 1] = (uint32_t)g;
    bytes += sizeof(ent_head) + pad8(strlen(ents[i].name) + 1) + r;
    img_bytes += pad8(g);
    nimgs += g > 0;
  }
  sect s = {.raw_len = bytes, .img_bytes = img_bytes, .nimgs = nimgs};
  char *p = s.own = bytes <= UINT32_MAX ? pk__alloc_zero(a, bytes) : NULL;
  if (nimgs && p && !(s.imgs = pk__alloc(a, nimgs * sizeof *s.imgs)))
    p = s.own = pk__free(a, s.own, bytes);
  if (!p) {
    st = PK_ENOMEM;
    goto done;
  }
  s.raw = p;
  const char *next_rec = recs;
  sect_head sh = {.bytes = (uint32_t)bytes, .nents = (uint32_t)n,
                  .root_len = (uint32_t)root_len, .dir = *dir,
                  .img_bytes = img_bytes};
  memcpy(p, &sh, sizeof sh);
  memcpy(p + sizeof sh, root, root_len);
  s.root = p + sizeof sh;
  p += sizeof sh + pad8(root_len + 1);
  size_t img_at = 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    const pk__mc_put *e = &ents[i];
    size_t name_len = strlen(e->name), r = len[2 * i], g = len[2 * i + 1];
    ent_head eh = {.kind = g                         ? PK__MC_IMAGE
                           : e->kind == PK__MC_IMAGE ? PK__MC_READ
                                                     : e->kind,
                   .name_len = (uint32_t)name_len,
                   .img_len = (uint32_t)g,
                   .key = *e->key,
                   .rec_len = (uint32_t)r,
                   .img_off = img_at};
    size_t rec_at = sizeof eh + pad8(name_len + 1);
    eh.bytes = (uint32_t)(rec_at + r);
    memcpy(p + sizeof eh, e->name, name_len);
    if (g) { /* the image itself is made when written: pending */
      if (e->m) {
        memcpy(p + rec_at, next_rec, r);
        next_rec += r;
      } else /* without the headers a load wrote into it */
        memcpy(p + rec_at, ent_rec(e->old), r);
      s.imgs[k++] = (pending){.doc = e->m ? e->m->doc : NULL,
                              .from = e->m ? NULL : region + e->old->img_off,
                              .len = g,
                              .head = p};
      img_at += pad8(g);
    }
    memcpy(p, &eh, sizeof eh);
    p += eh.bytes;
  }
  if (PK__VEC_PUSH(a, mc->out, mc->nout, mc->outcap, s) != PK_OK) {
    sects_free(mc, &s, 1);
    st = PK_ENOMEM;
  } else
    mc->changed = true;
done:
  pk__free(a, recs, recs_cap);
  pk__free(a, len, 2 * n * sizeof *len);
  return st;
}

void pk__mc_tally(pk__mc *mc, size_t served, size_t read)
{
  mc->served += served;
  mc->read += read;
}

/* The header and this discovery's sections (payload bytes) into buf, each
 * section's img_base set: where its images will lie in the images region,
 * in section order; in a section kept as the file has it, each entry's
 * img_off and lent put back as they are in the file. */
static void build_head(pk__mc *mc, char *buf, size_t payload, size_t images)
{
  header hd = {.magic = MAGIC, .format = FORMAT, .order = ORDER,
               .payload = payload, .images = images};
  strncpy(hd.version, pk_version(), sizeof hd.version - 1);
  char *p = buf + sizeof hd;
  uint64_t base = 0;
  for (size_t i = 0; i < mc->nout; i++) {
    const sect *s = &mc->out[i];
    memcpy(p, s->raw, s->raw_len);
    memcpy(p + offsetof(sect_head, img_base), &base, sizeof base);
    if (s->from) {
      char *e = p + ((char *)s->from->ents - s->raw);
      for (size_t j = 0; j < s->from->n; j++) {
        ent_head eh;
        memcpy(&eh, e, sizeof eh);
        eh.img_off -= s->from->img_base;
        eh.lent = 0;
        memcpy(e, &eh, sizeof eh);
        e += eh.bytes;
      }
    }
    p += s->raw_len;
    base += s->img_bytes;
  }
  hd.sum = pk__mc_sum(buf + sizeof hd, payload);
  memcpy(buf, &hd, sizeof hd);
}

/* Whether the images of the sections kept as the file has them can be
 * read (*nomem: not, for want of memory). */
static bool old_images_ready(pk__mc *mc, bool *nomem)
{
  for (size_t i = 0; i < mc->nout; i++)
    if (mc->out[i].from && mc->out[i].img_bytes)
      return old_images(mc, nomem) != NULL;
  return true;
}

/* The least buffer a commit writes the images a buffer of at a time with
 * (pk__mc_commit): a first start touches that much memory for them, not
 * their total size. */
#define WRITE_BUF 16384

/* Writes buf's *used bytes at *at (advanced past them); false when fd
 * cannot be written (errno). */
static bool flush(int fd, char *buf, size_t *used, uint64_t *at)
{
  bool ok = io_at(fd, buf, *used, *at, true);
  *at += *used;
  *used = 0;
  return ok;
}

/* The sections' images to fd from offset off, in section order: a section
 * recorded now makes each of its images (pk__doc_write_image, of the
 * document parsed or the old file's image without the headers a load
 * wrote) into the buffer *bufp of *capp bytes (grown to one image's size,
 * when larger), written when full, and sets its entry's checksum; one
 * kept as the file has it (old_images_ready() said they can be read), a
 * copy without those headers.  False when a buffer cannot be allocated
 * (*nomem) or fd cannot be written (errno). */
static bool write_images(pk__mc *mc, int fd, uint64_t off, char **bufp,
                         size_t *capp, bool *nomem)
{
  const pk__allocator *a = &mc->h->alloc;
  char *buf = *bufp;
  size_t cap = *capp, used = 0;
  bool ok = true;
  for (size_t i = 0; i < mc->nout && ok; i++) {
    const sect *s = &mc->out[i];
    for (size_t j = 0; j < s->nimgs && ok; j++) {
      const pending *q = &s->imgs[j];
      size_t g = q->len, pg = pad8(g);
      if (used + pg > cap && used && !(ok = flush(fd, buf, &used, &off)))
        break;
      if (pg > cap) { /* (an image larger than the buffer) */
        char *b = pk__resize(a, buf, cap, pg);
        if (!b) {
          *nomem = true;
          ok = false;
          break;
        }
        buf = b;
        cap = pg;
      }
      char *img = buf + used;
      pk__doc_write_image(q->doc, q->from, img, g);
      memset(img + g, 0, pg - g); /* an image writes its g bytes */
      uint64_t sum = pk__mc_sum(img, g);
      memcpy(q->head + offsetof(ent_head, img_sum), &sum, sizeof sum);
      used += pg;
    }
    if (!ok || !s->from || !s->img_bytes)
      continue;
    if (used && !(ok = flush(fd, buf, &used, &off)))
      break;
    const char *region = old_images(mc, nomem);
    char *copy = region ? pk__alloc(a, s->img_bytes) : NULL;
    if (!copy) {
      *nomem = true;
      ok = false;
      break;
    }
    memcpy(copy, region + s->from->img_base, s->img_bytes);
    pk__mc_ent *e = s->from->ents;
    for (size_t j = 0; j < s->from->n; j++, e = pk__mc_ent_next(e)) {
      char *at = copy + (e->img_off - s->from->img_base);
      if (e->kind == PK__MC_IMAGE)
        pk__doc_write_image(NULL, at, at, e->img_len);
    }
    ok = io_at(fd, copy, s->img_bytes, off, true);
    pk__free(a, copy, s->img_bytes);
    off += s->img_bytes;
  }
  if (ok && used)
    ok = flush(fd, buf, &used, &off);
  *bufp = buf;
  *capp = cap;
  return ok;
}

/* Creates tmp afresh (O_EXCL, O_NOFOLLOW): whatever lies there (a crash's
 * leftover, a planted symlink) is removed, never written through.  The
 * name is tried first: it is almost always free. */
static int create_tmp(const char *tmp)
{
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = open(tmp, flags, 0644);
  if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
    fd = open(tmp, flags, 0644);
  return fd;
}

/* How a commit writes: each section's images first, made a buffer at a
 * time (write_images), which sets their checksums in the records; then
 * the header and the sections (small: the records), built in the same
 * buffer.  It has the size of the header and sections (at least
 * WRITE_BUF): pages the header needs anyway, which also take the images
 * in fewer writes (100 manifests: 5 instead of 9 of 16 KiB).  A first
 * start touches no buffer the size of the file and copies no image twice.
 * Nothing is written when a section kept from the file cannot have its
 * images read again: the file stays as it was. */
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
  size_t payload = 0, images = 0;
  for (size_t i = 0; i < mc->nout; i++) {
    payload += mc->out[i].raw_len;
    images += mc->out[i].img_bytes;
  }
  size_t head = sizeof(header) + payload;
  size_t cap = head > WRITE_BUF ? head : WRITE_BUF;
  char *buf = NULL;
  /* PATH.tmp.PID.N: a name of this process alone (N for hosts writing
   * from several threads) */
  static unsigned seq;
  char tmp[4200];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", mc->path, (long)getpid(),
                   __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
  bool nomem = false, ok = false;
  int fd = -1, e = 0;
  const char *why = "path too long";
  if (n >= 0 && (size_t)n < sizeof tmp) {
    why = "cannot read its images again; not rewritten";
    if (old_images_ready(mc, &nomem)) {
      if (!(buf = pk__alloc(a, cap)))
        nomem = true;
      else
        fd = create_tmp(tmp);
      ok = fd >= 0 && write_images(mc, fd, head, &buf, &cap, &nomem);
      if (ok) {
        build_head(mc, buf, payload, images);
        ok = io_at(fd, buf, head, 0, true);
      }
      e = errno;
      if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        e = errno;
      }
      if (ok && rename(tmp, mc->path) != 0) {
        ok = false;
        e = errno;
      }
      if (!ok && fd >= 0)
        unlink(tmp);
      why = NULL;
    }
  }
  pk__free(a, buf, cap);
  if (nomem)
    return PK_ENOMEM;
  if (why)
    pk__log(mc->h, PK_LOG_WARN, NULL, "plugin cache %s: %s", mc->path, why);
  else if (!ok)
    pk__log(mc->h, PK_LOG_WARN, NULL,
            "plugin cache %s: cannot write it (%s); start-up reads every "
            "manifest until it can",
            mc->path, strerror(e));
  return PK_OK;
}

/* ---- records and documents ---- */

size_t pk__mc_ent_sizes(const pk__mc_ent *e, size_t *names, size_t *lib)
{
  return pk__record_sizes(ent_rec(e), e->rec_len, names, lib);
}

pk_status pk__mc_lend(const pk__allocator *a, pk__mc_ent *e, pk__manifest *m)
{
  if (e->lent) /* a search path listed twice: the first has it */
    return PK_EIO;
  pk_status st = pk__manifest_from_record(a, ent_rec(e), e->rec_len, m);
  e->lent = st == PK_OK;
  return st;
}

/* The manifest at z->source read again, when it is still the one served:
 * its document into *out.  PK_EIO when it is not (or not readable). */
static pk_status read_again(pk_host *h, const pk__mlazy *z, pk_doc **out)
{
  struct stat sb;
  pk__file_why why;
  pk__manifest m;
  pk_error err;
  pk__mc_key k;
  pk_status rst, st = pk__manifest_read(&h->alloc, AT_FDCWD, z->source,
                                        z->source, &sb, &why, &rst, &m, &err);
  if (st == PK_OK)
    pk__mc_key_of(&sb, &k);
  if (st == PK_OK && pk__mc_key_eq(&k, &z->ent->key)) {
    *out = m.doc; /* the same file: the record is what it gives */
    m.doc = NULL;
  }
  pk__manifest_free(&h->alloc, &m);
  return st == PK_ENOMEM || rst == PK_ENOMEM ? PK_ENOMEM
         : *out                              ? PK_OK
                                             : PK_EIO;
}

/* Marks the file h read as damaged, once, when an image of it is: its
 * header's reserved word set (in the file at h's cache path, when that is
 * still the one read), so that the next start finds it damaged and writes
 * it again, instead of refusing the image on every start.  (Only a word
 * every start checks is written: a start reading the file meanwhile
 * either sees it damaged or reads images the record checksums still
 * vouch for.) */
static void mark_damaged(pk_host *h, const pk__mlazy *z)
{
  pk__mcfile *f = h->cache_file;
  if (f->marked)
    return;
  f->marked = true;
  struct stat a, b;
  int fd = open(h->cache_path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  uint64_t one = 1;
  bool ok = fd >= 0 && fstat(fd, &a) == 0 && fstat(f->fd, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
            io_at(fd, (char *)&one, sizeof one, offsetof(header, zero), true);
  if (fd >= 0)
    close(fd);
  pk__log(h, PK_LOG_DEBUG, NULL,
          "plugin cache %s: the image of %s is damaged; %s", h->cache_path,
          z->source,
          ok ? "the file is marked so: the next start writes it again"
             : "the file cannot be marked (not written, or replaced)");
}

/* Documents are made one at a time: a plugin's is asked for by any thread
 * once the host froze. */
static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

pk_status pk__mc_load_doc(pk_plugin *p)
{
  pthread_mutex_lock(&load_mu);
  pk__mlazy *z = p->m.cached;
  pk_status st = PK_OK;
  if (!__atomic_load_n(&p->m.root, __ATOMIC_ACQUIRE) && !z->failed) {
    pk_doc *doc = NULL;
    bool nomem = false;
    const pk__mc_ent *e = z->ent;
    char *img = image_of(p->host->cache_file, e, &nomem);
    st = nomem ? PK_ENOMEM
         : !img || pk__mc_sum(img, e->img_len) != e->img_sum
             ? PK_EIO
             : pk__doc_load_image(&p->host->alloc, z->source, img, e->img_len,
                                  &doc);
    if (st == PK_EIO) { /* damaged or crafted: the file, if unchanged */
      mark_damaged(p->host, z);
      st = read_again(p->host, z, &doc);
    }
    if (st == PK_OK) {
      p->m.doc = doc;
      __atomic_store_n(&p->m.root, pk_doc_root(doc), __ATOMIC_RELEASE);
    } else if (st == PK_EIO) {
      z->failed = true;
      pk__log(p->host, PK_LOG_WARN, p,
              "the metadata cache's copy of %s is damaged and the file "
              "changed since discovery: its [config], [[provides]] and "
              "hooks are not read until the host starts again",
              z->source);
      st = PK_OK;
    }
  }
  pthread_mutex_unlock(&load_mu);
  return st;
}

const pk_value *pk__mc_root(pk_plugin *p)
{
  pk__mc_load_doc(p);
  return __atomic_load_n(&p->m.root, __ATOMIC_ACQUIRE);
}

