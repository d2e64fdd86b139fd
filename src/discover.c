/* discover.c -- search paths -> plugin records, independent of readdir
 * order.  Builtins come first, then PLUGKIT_PATH, then the host's paths;
 * inside a path, directories in byte order.  The first plugin of a given
 * ns:name wins; later ones are recorded as shadowed.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* sched_getaffinity */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcache.h"

/* ---- names in byte order ---- */

/* A name and its first 8 bytes as a big-endian number (zeros after the
 * NUL): numbers in the order of the strings, so most comparisons are one
 * of integers; equal numbers are equal names unless both go on. */
typedef struct sort_key {
  uint64_t head;
  char *name;
} sort_key;

static bool key_less(const sort_key *x, const sort_key *y)
{
  if (x->head != y->head)
    return x->head < y->head;
  return (x->head & 0xff) && strcmp(x->name + 8, y->name + 8) < 0;
}

/* Sorts names[0..n) as strcmp orders them (a merge sort over keys; qsort
 * spends 450 instructions a name on calls to the comparison).  false: out
 * of memory for the keys. */
static bool sort_names(const pk__allocator *a, char **names, size_t n)
{
  sort_key *k = pk__alloc(a, 2 * n * sizeof *k);
  if (!k)
    return false;
  sort_key *tmp = k + n;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *s = (const unsigned char *)names[i];
    uint64_t h = 0;
    size_t j = 0;
    for (; j < 8 && s[j]; j++)
      h = h << 8 | s[j];
    k[i] = (sort_key){j ? h << (8 * (8 - j)) : 0, names[i]};
  }
  for (size_t w = 1; w < n; w *= 2) { /* bottom-up: runs of w into 2w */
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n,
             hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        tmp[o++] = key_less(&k[j], &k[i]) ? k[j++] : k[i++];
      while (i < mid)
        tmp[o++] = k[i++];
      while (j < hi)
        tmp[o++] = k[j++];
    }
    sort_key *t = k;
    k = tmp;
    tmp = t;
  }
  for (size_t i = 0; i < n; i++)
    names[i] = k[i].name;
  pk__free(a, k < tmp ? k : tmp, 2 * n * sizeof *k);
  return true;
}

/* "ns:name" and "ns\x01name" (the key) of m into id, which has room for
 * both: 2 * (strlen(ns) + strlen(name) + 2) bytes; returns the key. */
static char *write_id(char *id, const pk__manifest *m, size_t ln, size_t lm)
{
  char *key = id + ln + lm + 2;
  memcpy(id, m->ns, ln);
  id[ln] = ':';
  memcpy(id + ln + 1, m->name, lm + 1);
  memcpy(key, id, ln + lm + 2);
  key[ln] = '\x01';
  return key;
}

/* A built-in plugin's id and key (it has no library's path to take them
 * from), in one block with its requirements: their array and their texts
 * copied from the document, so that the import's pass reads the name,
 * the array and the texts on one or two lines, the blocks of a batch
 * side by side (add_builtins), not on three lines amid the document's
 * nodes (with 50 000 plugins each is a cache miss).  The array the
 * document's parse made stays unused in the arena. */
static pk_status pack_builtin(const pk__allocator *a, pk_plugin *p, size_t ln,
                              size_t lm)
{
  size_t nreq = p->m.nreq, arr = nreq * sizeof *p->m.reqs,
         names = 2 * (ln + lm + 2), texts = 0;
  for (size_t i = 0; i < nreq; i++)
    texts += strlen(p->m.reqs[i].text) + 1;
  char *b = pk__alloc(a, arr + names + texts);
  if (!b)
    return PK_ENOMEM;
  pk__mreq *reqs = (pk__mreq *)(void *)b; /* the arena's blocks are aligned */
  p->id = b + arr;
  p->key = write_id(p->id, &p->m, ln, lm);
  char *t = p->id + names;
  for (size_t i = 0; i < nreq; i++) {
    size_t k = strlen(p->m.reqs[i].text) + 1;
    reqs[i] = p->m.reqs[i];
    reqs[i].text = memcpy(t, p->m.reqs[i].text, k);
    t += k;
  }
  if (nreq) {
    p->m.reqs = reqs;
    p->m.reqcap = (uint32_t)nreq;
  }
  return PK_OK;
}

/* Fills in the record of a plugin whose manifest parsed: its id and key
 * when they did not come with it (a built-in plugin's: a loader gives a
 * manifest read or served its names, name_read and name_served). */
static pk_status adopt_manifest(pk_host *h, pk_plugin *p)
{
  const pk__allocator *a = &h->records_alloc;
  size_t ln, lm;
  if (p->m.cached) { /* served: the record has the lengths */
    ln = pk__record_strlen(p->m.ns);
    lm = pk__record_strlen(p->m.name);
  } else {
    ln = strlen(p->m.ns);
    lm = strlen(p->m.name);
  }
  if (!p->id && pack_builtin(a, p, ln, lm) != PK_OK) /* a built-in plugin */
    return PK_ENOMEM;
  if (!p->m.cached) {
    /* The registration stages read the names (a descriptor's check, a
     * requirement's namespace): the name's copy in the id ("ns:name",
     * beside the manifest's requirements) and the host's own copy of a
     * namespace it registered serve them, so that the document's strings
     * (a line of their own) are not read there: with 50 000 plugins each
     * such line is a cache miss, and one more line for the caches to
     * hold.  A cached manifest's names stay in the cache's record, whose
     * lengths precede them. */
    const pk__ns *ns = pk__find_ns(h, p->m.ns);
    p->m.name = p->id + ln + 1;
    if (ns)
      p->m.ns = ns->name;
  }
  void *prev;
  if (pk__map_get_or_put(&h->alloc, &h->by_id, p->id, ln + lm + 1, p,
                         &prev) != PK_OK)
    return PK_ENOMEM;
  if (prev) {
    pk_plugin *first = prev;
    p->state = PK_STATE_SHADOWED;
    p->shadowed_by = first;
    pk__plugin_set_reason(p, "shadowed by %s (found first in the search path)",
                          first->manifest_path);
  }
  return PK_OK;
}

/* What loading one manifest gave; filled by load_range(), possibly on a
 * worker thread, and turned into a plugin record by add_loaded() on the
 * host's thread, in search order.  The manifest itself is loaded into the
 * m of the entry's record slot (pk__plugin_slots), and its paths and
 * names (dir, manifest_path, and for one that parsed id, key and
 * library_path) into the slot's fields, not copied there: items stay
 * small (a warm start of 10 000 fills them in fresh pages). */
typedef struct loaded {
  const char *name;  /* directory entry (scan) */
  pk__mc_ent *old;   /* its metadata cache entry, or NULL */
  const pk__mc_key *key; /* what the cache records for it now when not
                            hit: the identity seen (in the loader's keys)
                            and its pk__mc_kind */
  uint32_t kind;
  bool hit;          /* served by old: nothing to write for it */
  pk_status read_st; /* PK_OK, PK_ENOTFOUND (not a plugin: the slot's m
                        may be unset), PK_ENOMEM; any but PK_ENOTFOUND:
                        the slot's m is filled in or zeroed */
  pk_status st;      /* of reading the manifest and pk__manifest_read */
  pk_error *perr; /* when st is not PK_OK (in the loader's arena) */
} loaded;

/* Makes slot p, whose m, dir and manifest_path (and id, key and
 * library_path, or NULL) hold what l loaded, the record of that plugin.
 * The strings belong to an arena that lives as long as the host. */
static pk_status add_loaded(pk_host *h, loaded *l, pk_plugin *p,
                            const pk_plugin_desc *builtin, pk_error *err)
{
  const pk__allocator *a = &h->records_alloc;
  if (l->st != PK_OK) /* broken: no manifest (its allocations are the
                         loader's arena's) */
    memset(&p->m, 0, sizeof p->m);
  pk__plugin_init(h, p);
  if (!p->dir || !p->manifest_path)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  p->search_index = (uint32_t)h->nplugins;
  p->builtin = p->dir[0] == '\0';
  p->desc = builtin;
  if (PK__VEC_PUSH(&h->alloc, h->plugins, h->nplugins, h->plugcap, p) !=
      PK_OK) {
    pk__plugin_free(h, p);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  if (l->st == PK_ENOMEM)
    return pk__error_copy(err, l->perr);
  if (l->st != PK_OK) {
    /* Broken: named after its directory so that it can still be listed. */
    const char *base = strrchr(p->dir, '/');
    base = base ? base + 1 : p->dir;
    p->id = pk__strdup(a, base[0] ? base : p->manifest_path);
    p->key = pk__strdup(a, p->id ? p->id : "");
    if (!p->id || !p->key)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    pk__plugin_fail(p, PK_STATE_BROKEN, l->perr);
    char msg[1100];
    pk_error_format(l->perr, msg, sizeof msg);
    pk__log(h, PK_LOG_WARN, p, "broken manifest: %s", msg);
    if (h->strict)
      return pk__error_copy(err, l->perr);
    return PK_OK;
  }
  /* a host's own allocator need not be thread-safe: its plugins get their
   * documents now, on its thread, not on first use */
  if (adopt_manifest(h, p) != PK_OK ||
      (p->m.cached && h->alloc.fn && pk__mc_load_doc(p) != PK_OK))
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

/* ---- loading manifests, in parallel for large search paths ---- */

typedef struct loader {
  const pk__mc *mc;    /* or NULL */
  const char *root;
  size_t root_len;     /* root's length without trailing '/'s */
  int dfd;
  loaded *items;
  pk_plugin *slots; /* items[i]'s manifest goes to slots[i].m */
  size_t from, to;
  pk__arena arena;     /* this loader's records; absorbed by the host's */
  pk__allocator alloc; /* pk__arena_fn over arena */
  pk__arena served;    /* one of several loaders': the same for the
                          manifests the cache serves, first from a room
                          sized for them (load_all) */
  pk__allocator served_alloc; /* pk__arena_fn over served, or (one
                                 loader) the host's records_alloc */
  pk__arena keys;      /* the identities stated (loaded.key), until the
                          scan recorded them */
  pk_error err;        /* the last failure, kept by keep_error */
} loader;

/* l failed with status st (L->err): the error goes with it, in the arena
 * (an item holds only a pointer: a thousand items stay small). */
static void keep_error(loader *L, loaded *l, pk_status st)
{
  l->st = st;
  if ((l->perr = pk__alloc(&L->alloc, sizeof *l->perr)))
    *l->perr = L->err;
  else
    l->read_st = PK_ENOMEM;
}

/* The identity of an entry when nothing was stated (no file has it). */
static const pk__mc_key no_key;

/* l's identity is sb's; false: out of memory. */
static bool stated(loader *L, loaded *l, const struct stat *sb)
{
  pk__mc_key *k = pk__arena_fn(&L->keys, NULL, 0, sizeof *k);
  if (k) {
    pk__mc_key_of(sb, k);
    l->key = k;
  }
  return k != NULL;
}

/* The identity of rel (under dfd) matches what the cache holds. */
static bool unchanged(int dfd, const char *rel, const pk__mc_key *key)
{
  struct stat sb;
  return fstatat(dfd, rel, &sb, 0) == 0 && pk__mc_key_is(&sb, key);
}

/* The bytes of a plugin's directory, id, key and library's path
 * (put_names) for a manifest whose directory's path has ld bytes, whose
 * namespace and name have names bytes together and whose library's name
 * lib (0: none). */
static size_t names_block(size_t ld, size_t names, size_t lib)
{
  return ld + 1 + 2 * (names + 2) + (lib ? ld + lib + 2 : 0);
}

/* Puts at s (names_block bytes) p's directory, the first ld bytes of its
 * manifest's path mpath, its id and key (of a namespace of ln bytes and
 * a name of lm) and its library's path (of a library of lib bytes; 0:
 * none). */
static void put_names(pk_plugin *p, char *s, const char *mpath, size_t ld,
                      size_t ln, size_t lm, size_t lib)
{
  p->dir = memcpy(s, mpath, ld);
  p->dir[ld] = '\0';
  p->id = s + ld + 1;
  p->key = write_id(p->id, &p->m, ln, lm);
  p->library_path = lib ? p->id + 2 * (ln + lm + 2) : NULL;
  if (lib) {
    memcpy(p->library_path, mpath, ld);
    p->library_path[ld] = '/';
    memcpy(p->library_path + ld + 1, p->m.library, lib + 1);
  }
}

/* The bytes of name_served's block (its arguments: names_block's). */
static size_t served_block(size_t ld, size_t names, size_t lib)
{
  return sizeof(pk__mlazy) + ld + sizeof "/plugin.toml" +
         names_block(ld, names, lib);
}

/* Gives p, served from entry o, in one allocation what its record does
 * not hold: its lazy document's state, manifest path (mpath, whose
 * directory has ld bytes), directory, id, key and library's path (the
 * names and the rest point into the cache's record). */
static pk_status name_served(loader *L, pk_plugin *p, pk__mc_ent *o,
                             const char *mpath, size_t ld)
{
  pk__manifest *m = &p->m;
  size_t lp = ld + sizeof "/plugin.toml", ln = pk__record_strlen(m->ns),
         lm = pk__record_strlen(m->name),
         lib = m->library ? pk__record_strlen(m->library) : 0;
  pk__mlazy *z = pk__alloc(&L->served_alloc, served_block(ld, ln + lm, lib));
  if (!z) {
    memset(m, 0, sizeof *m); /* (its requirements are the arena's) */
    return PK_ENOMEM;
  }
  char *s = (char *)(z + 1);
  p->manifest_path = memcpy(s, mpath, lp);
  put_names(p, s + lp, mpath, ld, ln, lm, lib);
  *z = (pk__mlazy){.ent = o, .source = p->manifest_path};
  m->cached = z;
  return PK_OK;
}

/* Serves l from its cache entry's record into slot p when the file is
 * unchanged: one stat, no parse; the document comes later, if asked for
 * (pk__mc_load_doc).  mpath: the manifest's path, ld bytes of it its
 * directory. */
static bool load_cached(loader *L, loaded *l, pk_plugin *p, const char *rel,
                        const char *mpath, size_t ld)
{
  pk__mc_ent *o = l->old;
  if (!o || o->kind == PK__MC_READ ||
      !unchanged(L->dfd, o->kind == PK__MC_NONE ? l->name : rel, &o->key))
    return false;
  l->kind = o->kind;
  l->hit = true;
  if (o->kind == PK__MC_NONE)
    return true; /* still not a plugin directory */
  pk_status st = pk__mc_lend(&L->served_alloc, o, &p->m);
  if (st == PK_OK)
    st = name_served(L, p, o, mpath, ld);
  if (st != PK_OK && st != PK_ENOMEM) {
    /* a record this library rejects (a damaged cache whose checksum
     * matches), or one already served: read the file */
    l->kind = PK__MC_NONE;
    l->hit = false;
    return false;
  }
  l->read_st = st;
  return true;
}

/* Gives p, whose manifest was read and parsed, its directory (the first
 * ld bytes of its manifest's path mpath), id, key and library's path in
 * one block of the loader's arena; returns the directory, or NULL (out of
 * memory: p's names stay unset). */
static char *name_read(loader *L, pk_plugin *p, const char *mpath, size_t ld)
{
  const pk__manifest *m = &p->m;
  size_t ln = strlen(m->ns), lm = strlen(m->name),
         lib = m->library ? strlen(m->library) : 0;
  char *s = pk__alloc(&L->alloc, names_block(ld, ln + lm, lib));
  if (s)
    put_names(p, s, mpath, ld, ln, lm, lib);
  return s;
}

/* The limits of a manifest's path: a rel (NAME/plugin.toml) of REL_MAX
 * bytes and an mpath (ROOT/NAME/plugin.toml) of PATH_LIMIT; an entry over
 * them is skipped. */
enum { REL_MAX = 4096, PATH_LIMIT = 8192 };

static void load_range(loader *L)
{
  /* mpath is built in place for each entry: rel (under the directory fd)
   * is its tail and the plugin's directory its head.  It is a small
   * buffer on the stack, or once a path does not fit there, one of
   * PATH_LIMIT bytes in the keys arena: a buffer of the limit on the
   * stack made this the deepest frame of a start, two fresh stack pages
   * (faults) in a new process for a path of a hundred bytes. */
  static const char leaf[] = "/plugin.toml";
  char small[512], *mpath = small;
  size_t cap = sizeof small;
  size_t lr = L->root_len;
  bool rooted = false; /* mpath starts with the root and a '/' */
  for (size_t i = L->from; i < L->to; i++) {
    loaded *l = &L->items[i];
    pk_plugin *p = &L->slots[i];
    pk__manifest *m = &p->m;
    l->read_st = PK_ENOTFOUND;
    l->kind = PK__MC_NONE;
    l->key = &no_key;
    size_t ln = strlen(l->name), ld = lr + 1 + ln;
    if (ln + sizeof leaf > REL_MAX || ld + sizeof leaf > PATH_LIMIT)
      continue;
    if (mpath && ld + sizeof leaf > cap) { /* the limit's buffer, once */
      mpath = pk__arena_fn(&L->keys, NULL, 0, PATH_LIMIT);
      cap = PATH_LIMIT;
      rooted = false;
    }
    if (!mpath) { /* out of memory for the buffer */
      l->read_st = PK_ENOMEM;
      continue;
    }
    if (!rooted) {
      memcpy(mpath, L->root, lr);
      mpath[lr] = '/';
      rooted = true;
    }
    char *rel = mpath + lr + 1;
    memcpy(rel, l->name, ln);
    memcpy(rel + ln, leaf, sizeof leaf);
    if (load_cached(L, l, p, rel, mpath, ld))
      continue;
    struct stat sb;
    pk__file_why why;
    /* no cache, no fstat: pk__file_read_small */
    pk_status rst,
        st = pk__manifest_read(&L->alloc, L->dfd, rel, mpath,
                               L->mc ? &sb : NULL, &why, &rst, m, &L->err);
    if (rst == PK_ENOTFOUND) { /* not a plugin directory */
      /* stated after the look: a plugin.toml made in between leaves the
       * directory's mtime recent, so it is looked at again next time */
      if (L->mc && fstatat(L->dfd, l->name, &sb, 0) == 0 &&
          !stated(L, l, &sb)) {
        l->read_st = PK_ENOMEM;
        continue;
      }
      if (L->mc && !pk__mc_settled(L->mc, l->key))
        l->kind = PK__MC_READ;
      continue;
    }
    l->kind = PK__MC_READ;
    bool keyed = !L->mc || !(rst == PK_OK || why.mode || why.size) ||
                 stated(L, l, &sb); /* what fstat gave */
    /* the path: the document's copy when it parsed; its directory, id,
     * key and library's path in one block (broken: its directory) */
    p->id = p->key = p->library_path = NULL;
    if (st == PK_OK) {
      p->manifest_path = (char *)pk_doc_source(m->doc);
      p->dir = name_read(L, p, mpath, ld);
    } else {
      p->manifest_path = pk__strndup(&L->alloc, mpath, ld + sizeof leaf - 1);
      p->dir = pk__strndup(&L->alloc, mpath, ld);
    }
    l->read_st = !keyed || !p->dir || !p->manifest_path || rst == PK_ENOMEM
                     ? PK_ENOMEM
                     : PK_OK;
    if (l->read_st != PK_OK)
      continue;
    if (rst != PK_OK) /* a broken plugin: it cannot be read */
      st = pk__file_fail(&L->err, rst, p->manifest_path, &why, NULL);
    if (st != PK_OK)
      keep_error(L, l, st);
    else if (L->mc && pk__mc_settled(L->mc, l->key))
      l->kind = PK__MC_IMAGE;
  }
}

static void *load_thread(void *arg)
{
  load_range(arg);
  return NULL;
}

/* The fewest manifests worth a thread of their own: starting one and
 * waiting for it costs 0.1 to 0.2 ms on a loaded machine (100 manifests
 * on two threads measured 2.05x the time to read them, on one 1.42x),
 * about 60 manifests' parse.  A manifest the cache serves costs one
 * fstatat (2 to 3 us here) and its record: STAT_SHARE of them count as
 * one read (1000 served on two threads in a fresh process took as long
 * as on one; 10 000, 0.7x). */
#define PER_THREAD 256
#define STAT_SHARE 2

size_t pk__discover_threads(const pk_host *h, size_t nread, size_t nserved)
{
  size_t n = nread + nserved / STAT_SHARE;
  if (h->alloc.fn || n < 2 * PER_THREAD)
    return 1;
  cpu_set_t set;
  long cpus = sched_getaffinity(0, sizeof set, &set) == 0
                  ? CPU_COUNT(&set)
                  : sysconf(_SC_NPROCESSORS_ONLN);
  size_t k = cpus > 1 ? (size_t)cpus : 1;
  if (k > 8)
    k = 8;
  while (k > 1 && n / k < PER_THREAD)
    k--;
  return k;
}

/* What a loader allocates to serve entry o, a manifest of a directory
 * whose path has ld bytes: its requirements (pk__mc_lend) and
 * name_served's block, each rounded as an arena rounds them. */
static size_t served_bytes(const pk__mc_ent *o, size_t ld)
{
  size_t names, lib, nreq = pk__mc_ent_sizes(o, &names, &lib);
  return pk__arena_round(nreq * sizeof(pk__mreq)) +
         pk__arena_round(served_block(ld, names, lib));
}

/* What a loader allocates to read a manifest of a directory whose path
 * has ld bytes, guessed for one of about 300 bytes (GUESS_TEXT), which
 * most are: its document, text, lines and nodes, of GUESS_DOC bytes
 * beside its path, and name_read's block, with GUESS_NAMES bytes of
 * namespace and name and a library's name of GUESS_LIB.  (Measured: 1100
 * to 1200 bytes in all for the benchmark's manifests of 250 to 290 bytes
 * under a path of 40.)  A larger manifest takes more: its loader's blocks
 * then come from chunks of their own once the room is full. */
enum {
  GUESS_TEXT = 300,
  GUESS_DOC = 4 * GUESS_TEXT,
  GUESS_NAMES = 32,
  GUESS_LIB = 24
};

static size_t read_bytes(size_t ld)
{
  return GUESS_DOC + pk__arena_round(ld + sizeof "/plugin.toml") +
         pk__arena_round(names_block(ld, GUESS_NAMES, GUESS_LIB));
}

/* The bytes the loader of items[from..to) allocates (lr: the root's
 * length without trailing '/'s) for the manifests it will read (none for
 * a directory the cache knows is no plugin's), read_bytes's guess, and
 * into *served (unless NULL) for those the cache will likely serve
 * (served_bytes). */
static size_t loader_bytes(const loaded *items, size_t from, size_t to,
                           size_t lr, size_t *served)
{
  size_t read = 0;
  if (served)
    *served = 0;
  for (size_t i = from; i < to; i++) {
    const pk__mc_ent *o = items[i].old;
    if (!o || o->kind == PK__MC_READ)
      read += read_bytes(lr + 1 + strlen(items[i].name));
    else if (served && o->kind == PK__MC_IMAGE)
      *served += served_bytes(o, lr + 1 + o->name_len);
  }
  return read;
}

/* The records' slots of items[0..n) (nread of them to read), in a room
 * of the host's records arena made for them and for what the loaders
 * will allocate (loader_bytes) when those to read and the slots take
 * PK__ARENA_HUGE bytes or more: huge pages, one fault for a few hundred
 * plugins where a cold start of 1000 took 400, a fault each 4 KiB (and
 * not over a host's own allocator: a room not filled costs address
 * space, not memory, only over libc).  A start the cache serves has its
 * room already (pk__mc_open).  *room: whether it was made, for load_all
 * to put the loaders' blocks there.  NULL: out of memory. */
static pk_plugin *make_slots(pk_host *h, const loaded *items, size_t n,
                             size_t nread, size_t lr, bool *room)
{
  /* pk__plugin_slots's block, aligned in it */
  size_t served,
      bytes = pk__arena_round(n * sizeof(pk_plugin) + _Alignof(pk_plugin));
  *room = false;
  if (!h->alloc.fn && nread) {
    bytes += loader_bytes(items, 0, n, lr, &served);
    *room = bytes >= PK__ARENA_HUGE &&
            pk__arena_reserve(&h->records, bytes + served);
  }
  return pk__plugin_slots(h, n);
}

/* Loads items[0..n) with k loaders (the first on this thread).  The
 * blocks of the manifests the cache serves come from the host's records
 * arena (in the room the cache reserved: pk__mc_open), not from chunks of
 * their own: fewer fresh pages, and huge ones in a large start.  One
 * loader, on the host's thread, allocates them there as it goes; each of
 * several takes one block of it, sized here for the manifests of its
 * range the cache will likely serve (served_bytes reads each record's
 * lengths: 8% of a warm start's instructions, spent only where the
 * threads need it).  With room (in the room make_slots made)
 * a loader's blocks for the manifests it reads come from there too,
 * sized by read_bytes's guess. */
static void load_all(pk_host *h, const pk__mc *mc, const char *root, size_t lr,
                     int dfd, loaded *items, pk_plugin *slots, size_t n,
                     loader *L, size_t k, bool room)
{
  pthread_t tid[8];
  bool started[8] = {false};
  for (size_t j = 0; j < k; j++) {
    L[j] = (loader){.mc = mc,
                    .root = root,
                    .root_len = lr,
                    .dfd = dfd,
                    .items = items,
                    .slots = slots,
                    .from = n * j / k,
                    .to = n * (j + 1) / k};
    pk__arena_init(&L[j].arena, &h->alloc);
    pk__arena_init(&L[j].served, &h->alloc);
    pk__arena_init(&L[j].keys, &h->alloc);
    L[j].alloc = (pk__allocator){pk__arena_fn, &L[j].arena};
    L[j].served_alloc = k > 1 ? (pk__allocator){pk__arena_fn, &L[j].served}
                              : h->records_alloc;
    size_t served = 0, read = loader_bytes(items, L[j].from, L[j].to, lr,
                                           k > 1 ? &served : NULL);
    if (served)
      pk__arena_seed(&L[j].served, pk__alloc(&h->records_alloc, served),
                     served);
    if (room && read)
      pk__arena_seed(&L[j].arena, pk__alloc(&h->records_alloc, read), read);
  }
  for (size_t j = 1; j < k; j++)
    started[j] = pthread_create(&tid[j], NULL, load_thread, &L[j]) == 0;
  for (size_t j = 0; j < k; j++)
    if (!started[j])
      load_range(&L[j]); /* this thread: the first range, or a fallback */
  for (size_t j = 1; j < k; j++)
    if (started[j])
      pthread_join(tid[j], NULL);
  for (size_t j = 0; j < k; j++) {
    pk__arena_absorb(&h->records, &L[j].arena);
    pk__arena_absorb(&h->records, &L[j].served);
  }
}

/* The entries of root in byte order: from readdir into names (the
 * strings in the arena text: one block for all, not one allocation
 * each), or borrowed from the metadata cache when the directory is
 * unchanged.  PK_EIO (logged): it cannot be listed. */
static pk_status list_dir(pk_host *h, const char *root, int dfd,
                          pk__mc_ent *cached, size_t ncached,
                          const pk__allocator *text, char ***names, size_t *n,
                          size_t *cap, pk_error *err)
{
  const pk__allocator *a = &h->alloc;
  if (cached) {
    *n = *cap = ncached;
    if (ncached && !(*names = pk__alloc(a, ncached * sizeof **names)))
      return pk__fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < ncached; i++, cached = pk__mc_ent_next(cached))
      (*names)[i] = (char *)pk__mc_ent_name(cached);
    return PK_OK;
  }
  int fd = dup(dfd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    pk__log(h, PK_LOG_WARN, NULL, "cannot list search path %s: %s", root,
            strerror(errno));
    if (fd >= 0)
      close(fd);
    return PK_EIO;
  }
  pk_status st = PK_OK;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    char *s = pk__strdup(text, e->d_name);
    if (!s || PK__VEC_PUSH(a, *names, *n, *cap, s) != PK_OK) {
      st = pk__fail(err, PK_ENOMEM, "out of memory");
      break;
    }
  }
  closedir(d);
  if (st == PK_OK && *n)
    if (!sort_names(a, *names, *n))
      st = pk__fail(err, PK_ENOMEM, "out of memory");
  return st;
}

/* Records root's entries in the metadata cache: the entries the cache
 * served keep their records and images, the manifests read now are
 * recorded and imaged (pk__mc_record, straight into the cache's buffer). */
static pk_status record_dir(pk_host *h, pk__mc *mc, const char *root,
                            const pk__mc_key *dir, const loaded *items,
                            pk_plugin *slots, size_t n, bool same)
{
  if (same)
    return pk__mc_same(mc, root);
  const pk__allocator *a = &h->alloc;
  pk__mc_put *ents = n ? pk__alloc(a, n * sizeof *ents) : NULL;
  if (n && !ents)
    return PK_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    const loaded *l = &items[i];
    ents[i] = l->hit ? (pk__mc_put){.name = pk__mc_ent_name(l->old),
                                    .kind = l->old->kind,
                                    .key = &l->old->key,
                                    .old = l->old}
                     : (pk__mc_put){.name = l->name, .kind = l->kind,
                                    .key = l->key};
    if (l->kind == PK__MC_IMAGE && !l->hit)
      ents[i].m = &slots[i].m;
  }
  pk_status st = pk__mc_record(mc, root, dir, ents, n);
  pk__free(a, ents, n * sizeof *ents);
  return st;
}

/* Scans search path root; from says where it came from, for the
 * warning when it cannot be opened. */
static pk_status scan_dir(pk_host *h, pk__mc *mc, const char *root,
                          const char *from, pk_error *err)
{
  const pk__allocator *a = &h->alloc;
  int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat sb;
  if (dfd < 0 || fstat(dfd, &sb) != 0) {
    /* not an error (a host may name a directory nobody made yet), but
     * worth a warning: a typo in a path finds nothing */
    pk__log(h, PK_LOG_WARN, NULL, "search path %s (from %s): %s; no plugins "
            "found there", root, from, strerror(errno));
    if (dfd >= 0)
      close(dfd);
    return PK_OK;
  }
  pk__mc_key dir;
  pk__mc_key_of(&sb, &dir);
  size_t ncached = 0;
  bool listed = false;
  pk__mc_ent *cached = pk__mc_find(mc, root, &dir, &ncached, &listed);
  char **names = NULL;
  size_t n = 0, cap = 0;
  pk__arena text;
  pk__arena_init(&text, a);
  pk__allocator text_alloc = {pk__arena_fn, &text};
  pk_status st = list_dir(h, root, dfd, listed ? cached : NULL, ncached,
                          &text_alloc, &names, &n, &cap, err);
  if (st == PK_EIO) { /* nothing found there, nothing recorded */
    close(dfd);
    pk__arena_release(&text);
    return PK_OK;
  }
  size_t lr = strlen(root); /* the loaders' root, without trailing '/'s */
  while (lr > 1 && root[lr - 1] == '/')
    lr--;
  /* the list in the records arena's free room when it has room for it (a
   * warm start's: huge pages, where 10 000 items on the heap took 117
   * faults), kept with the records (48 bytes a manifest) */
  const pk__allocator *ia =
      pk__arena_holds(&h->records, n * sizeof(loaded)) ? &h->records_alloc : a;
  loaded *items = st == PK_OK && n ? pk__alloc(ia, n * sizeof *items) : NULL;
  pk_plugin *slots = NULL;
  size_t nread = 0; /* of the items: manifests to read */
  bool room = false;
  if (items) {
    size_t j = 0; /* both lists are sorted: match them by name */
    pk__mc_ent *o = cached; /* the cache's j-th entry */
    for (size_t i = 0; i < n; i++) {
      loaded *l = &items[i];
      l->name = names[i];
      int c = 1; /* o against the name: one strcmp a step (none when the
                    names are the cache's) */
      for (; j < ncached; j++, o = pk__mc_ent_next(o)) {
        const char *on = pk__mc_ent_name(o);
        if ((c = on == l->name ? 0 : strcmp(on, l->name)) >= 0)
          break;
      }
      l->old = j < ncached && c == 0 ? o : NULL;
      l->hit = false;
      l->read_st = PK_ENOTFOUND;
      l->st = PK_OK;
      l->perr = NULL;
    }
    for (size_t i = 0; i < n; i++) /* the rest may be served */
      nread += !items[i].old || items[i].old->kind == PK__MC_READ;
    slots = make_slots(h, items, n, nread, lr, &room);
  }
  if (n && !slots && st == PK_OK)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  if (slots) {
    /* one loader on the stack (each holds a pk_error: eight would be
     * stack pages a start touches for nothing) */
    size_t k = pk__discover_threads(h, nread, n - nread);
    loader one, *L = k > 1 ? pk__alloc(a, k * sizeof *L) : &one;
    if (!L) {
      L = &one;
      k = 1;
    }
    load_all(h, mc, root, lr, dfd, items, slots, n, L, k, room);
    /* the cache keeps this directory's section when every entry was
     * served by it or is read every time and unchanged */
    bool same = listed;
    for (size_t i = 0; i < n && same; i++)
      same = items[i].hit || (items[i].kind == PK__MC_READ && items[i].old &&
                              items[i].old->kind == PK__MC_READ &&
                              pk__mc_key_eq(items[i].key, &items[i].old->key));
    if (mc) {
      size_t served = 0, read = 0;
      for (size_t i = 0; i < n; i++) {
        served += items[i].read_st == PK_OK && items[i].hit;
        read += items[i].read_st == PK_OK && !items[i].hit;
      }
      pk__mc_tally(mc, served, read);
      if (record_dir(h, mc, root, &dir, items, slots, n, same) != PK_OK)
        st = pk__fail(err, PK_ENOMEM, "out of memory");
    }
    /* records in search order, whatever thread loaded them; the list of
     * plugins and the map of ids sized once for them (no copy or rehash
     * on the way) */
    size_t nrec = 0, nfound = 0;
    for (size_t i = 0; i < n; i++) {
      nrec += items[i].read_st == PK_OK;
      nfound += items[i].read_st == PK_OK && items[i].st == PK_OK;
    }
    if (st == PK_OK &&
        (pk__vec_reserve(&h->alloc, (void **)&h->plugins, &h->plugcap,
                         h->nplugins + nrec, sizeof *h->plugins) != PK_OK ||
         pk__map_reserve(&h->alloc, &h->by_id, h->by_id.count + nfound) !=
             PK_OK))
      st = pk__fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
      loaded *l = &items[i];
      /* the map's slot of an id some places ahead (its loader wrote it),
       * so that the misses of a large map overlap */
      size_t j = i + PK__MAP_AHEAD;
      if (st == PK_OK && j < n && items[j].read_st == PK_OK &&
          items[j].st == PK_OK && pk__map_is_large(&h->by_id))
        pk__map_prefetch(&h->by_id, slots[j].id, strlen(slots[j].id));
      if (st != PK_OK) { /* a failure stopped the scan: free the rest */
        if (l->read_st != PK_ENOTFOUND)
          pk__manifest_free(&h->records_alloc, &slots[i].m);
        continue;
      }
      if (l->read_st == PK_OK)
        st = add_loaded(h, l, &slots[i], NULL, err);
      else if (l->read_st == PK_ENOMEM)
        st = pk__fail(err, PK_ENOMEM, "out of memory");
    }
    for (size_t t = 0; t < k; t++)
      pk__arena_release(&L[t].keys);
    if (L != &one)
      pk__free(a, L, k * sizeof *L);
  } else if (mc && st == PK_OK &&
             record_dir(h, mc, root, &dir, NULL, NULL, 0, listed) != PK_OK) {
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  }
  pk__free(ia, items, n * sizeof *items);
  close(dfd);
  pk__arena_release(&text);
  pk__free(a, names, cap * sizeof *names);
  return st;
}

static int cmp_plugin(const void *x, const void *y)
{
  const pk_plugin *a = *(pk_plugin *const *)x, *b = *(pk_plugin *const *)y;
  /* a record whose key could not be allocated (out of memory) sorts
   * first; discovery then fails with PK_ENOMEM */
  int c = strcmp(a->key ? a->key : "", b->key ? b->key : "");
  if (c)
    return c;
  return (a->search_index > b->search_index) -
         (a->search_index < b->search_index);
}

/* So many built-in plugins' records add_builtins makes in one block: 10
 * KiB, in the records arena's current chunk.  A block of more than a
 * quarter of a chunk would be a chunk of its own, and blocks of another
 * size in the heap change what glibc keeps of it between hosts: with a
 * batch of 192 (60 KiB) the stages of a second host of 5000 seed-shaped
 * plugins in one process took about 80 page faults (their arrays' growth
 * in fresh pages), with 32 one or none, as before. */
enum { BUILTIN_BATCH = 32 };

/* The records of the host's built-in plugins, first in search order.
 * The records of a batch are made in one block, their manifests parsed
 * into them, then their names and requirements packed after the batch's
 * documents (pack_builtin): the records the stages walk lie side by side,
 * as a search path's do (make_slots), not each amid its document's
 * nodes.  A manifest that does not parse has its record made at once
 * (its error is the one pk_error here), with those before it: the errors
 * and log lines come in the same order as one by one.  (Not inlined: its
 * error, name and status buffers stay off the stack of a start without
 * built-in plugins, whose deepest frames are fresh pages.) */
static __attribute__((noinline)) pk_status add_builtins(pk_host *h,
                                                        pk_error *err)
{
  const pk__allocator *a = &h->records_alloc;
  char name[PK__NAME_MAX * 2 + 16];
  pk_error perr;
  pk_status parsed[BUILTIN_BATCH];
  for (size_t i = 0; i < h->nbuiltins;) {
    size_t k =
        h->nbuiltins - i < BUILTIN_BATCH ? h->nbuiltins - i : BUILTIN_BATCH;
    pk_plugin *slots = pk__plugin_slots(h, k);
    if (!slots)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    for (size_t j = 0, done = 0; j < k; j++) {
      const pk__builtin *b = &h->builtins[i + j];
      const pk_plugin_desc *d = b->desc;
      pk_plugin *p = &slots[j];
      if (d && d->namespace_name && d->name)
        snprintf(name, sizeof name, "builtin:%s:%s", d->namespace_name,
                 d->name);
      else
        snprintf(name, sizeof name, "builtin:%zu", i + j + 1);
      memset(p, 0, sizeof *p);
      p->dir = pk__strdup(a, "");
      p->manifest_path = pk__strdup(a, name);
      parsed[j] = p->manifest_path
                      ? pk__manifest_load(a, p->manifest_path, b->text,
                                          strlen(b->text), &p->m, &perr)
                      : PK_OK; /* add_loaded reports it */
      if (parsed[j] == PK_OK && p->dir && p->manifest_path && j + 1 < k)
        continue;
      for (; done <= j; done++) {
        loaded l = {.perr = &perr, .st = parsed[done]};
        pk_status st =
            add_loaded(h, &l, &slots[done], h->builtins[i + done].desc, err);
        if (st != PK_OK)
          return st;
      }
    }
    i += k;
  }
  return PK_OK;
}

static pk_status discover(pk_host *h, pk_error *err)
{
  if (h->discovered)
    return PK_OK;
  h->discovered = true;
  pk_status st = h->nbuiltins ? add_builtins(h, err) : PK_OK;
  if (st == PK_OK)
    st = pk__lock_load(h, err);
  pk__mc *mc = NULL;
  if (st == PK_OK && pk__mc_open(h, h->cache_path, &mc) != PK_OK)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  for (size_t i = 0; i < h->npaths && st == PK_OK; i++)
    st = scan_dir(h, mc, h->paths[i],
                  i < h->env_paths ? "PLUGKIT_PATH" : "pk_host_add_path", err);
  if (st == PK_OK && pk__mc_commit(mc) != PK_OK)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  pk__mc_close(mc);
  size_t i = 1; /* one search path of plugins named after their
                 * directories comes in order already */
  while (i < h->nplugins && cmp_plugin(&h->plugins[i - 1], &h->plugins[i]) < 0)
    i++;
  if (i < h->nplugins)
    qsort(h->plugins, h->nplugins, sizeof *h->plugins, cmp_plugin);
  if (st == PK_OK)
    pk__journal_open(h); /* the quarantine, before any plugin is used */
  return st;
}

pk_status pk_host_discover(pk_host *h, pk_error *err)
{
  if (!h)
    return pk__fail(err, PK_EMISUSE, "pk_host_discover: host is NULL");
  if (h->discovered)
    return h->fatal ? pk__error_copy(err, &h->fatal_err) : PK_OK;
  /* the error goes straight to the host's (read only once h->fatal is
   * set): no pk_error of 1 KiB more on the stack of a start */
  pk_error *e = &h->fatal_err;
  pk_error_clear(e);
  pk_status st = discover(h, e);
  if (st != PK_OK) {
    h->fatal = st;
    return pk__error_copy(err, e);
  }
  return PK_OK;
}
