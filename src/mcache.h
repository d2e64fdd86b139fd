/* mcache.h -- the metadata cache: parsed manifests kept in one file so that
 * a warm start stats each manifest instead of reading and parsing it
 * (mcache.c; used by discover.c, and by pk__manifest_root for a document
 * asked for later).
 *
 * The file holds, per search path, the directory's identity (device, inode,
 * mtime, ctime) and, per entry of the directory in byte order, the identity
 * of its plugin.toml (plus size), the manifest's record (mrecord.c: what
 * discovery needs of it) and its parsed document as an image, loaded only
 * when something asks for the document.  An entry is used only when its
 * stat matches; a directory whose identity changed (an entry added,
 * removed or renamed) is listed again.
 * A manifest modified less than PK__MC_RACY_S seconds before the cache is
 * written is not imaged (a later change within the same timestamp tick
 * would go unseen), nor is a manifest that did not parse or validate: those
 * are read every time, so their errors are reported every time.
 * SPDX-License-Identifier: MIT */
#ifndef PK_MCACHE_H
#define PK_MCACHE_H

#include <sys/stat.h>

#include "stages.h"

#define PK__MC_RACY_S 2

/* What identifies a file's contents without reading it. */
typedef struct pk__mc_key {
  uint64_t dev, ino, size;
  int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
} pk__mc_key;

typedef enum pk__mc_kind {
  PK__MC_NONE = 0,  /* not a plugin: no plugin.toml (key: the entry) */
  PK__MC_IMAGE = 1, /* key: plugin.toml; rec: its record; img_*: the image
                       of its parsed document */
  PK__MC_READ = 2   /* key: plugin.toml; read every time (broken, racy) */
} pk__mc_kind;

/* One directory entry as the cache file has it (its head; the name, NUL
 * and padding, then the record follow, eh.bytes in all): a warm start
 * uses the entries in the buffer the sections were read into, checked in
 * place, not copies of them.  In that buffer (only) img_off is where the
 * image is in the images region (the file: in its section's images) and
 * lent is set when a plugin uses the record in place (pk__mc_lend; the
 * file: 0); the file is written with both as the file has them. */
typedef struct pk__mc_ent {
  uint32_t bytes, kind, name_len, img_len; /* kind: pk__mc_kind */
  pk__mc_key key;
  uint32_t rec_len, lent;
  uint64_t img_sum, img_off; /* the image's checksum, checked before use */
} pk__mc_ent;

/* The entry's name (NUL-terminated). */
static inline const char *pk__mc_ent_name(const pk__mc_ent *e)
{
  return (const char *)(e + 1);
}

/* The entry after e in its section. */
static inline pk__mc_ent *pk__mc_ent_next(pk__mc_ent *e)
{
  return (pk__mc_ent *)((char *)e + e->bytes);
}

/* An entry to record (pk__mc_record). */
typedef struct pk__mc_put {
  const char *name; /* NUL-terminated */
  const pk__mc_key *key;
  const pk__mc_ent *old; /* served by this entry of the file read: its
                            record and image are copied (else none) */
  const pk__manifest *m; /* to record: record and image made of it */
  uint32_t kind;         /* pk__mc_kind */
} pk__mc_put;

/* A manifest served from the cache, whose document is made from the image
 * on first use (pk__manifest.cached; in the host's records arena). */
typedef struct pk__mlazy {
  const pk__mc_ent *ent; /* its entry in the file: where its image is, its
                            checksum, the manifest's identity when it was
                            served */
  const char *source;    /* the manifest's path */
  bool failed;           /* no document: said once, not tried again */
} pk__mlazy;

typedef struct pk__mc pk__mc;
typedef struct pk__mcfile pk__mcfile;

/* Frees the cache file the host kept (pk_host.cache_file) for the
 * records and images its plugins use: after the plugins. */
void pk__mc_release(pk_host *h);

/* The cache of one discovery, read from path into *out (NULL when path is
 * NULL).  An absent, unreadable, foreign or damaged file gives an empty
 * cache, said at debug level.  Fails only with PK_ENOMEM. */
pk_status pk__mc_open(pk_host *h, const char *path, pk__mc **out);
/* Frees the cache; its memory goes to the host (h->cache_data) when a
 * document uses an image in place. */
void pk__mc_close(pk__mc *mc);

/* Sets the payload size and checksum in the header of the size bytes of a
 * cache file, and each image's checksum in its entry (nothing when shorter
 * than a header): the fuzz target and the tests make a damaged file whose
 * checksums match, to reach the sections', records' and images' checks. */
void pk__mc_seal(char *file, size_t size);

/* Whether the file open at fd begins as a metadata cache does (of any
 * format or version: its magic).  The quarantine's list and clear check
 * the path they are given with it (journal.c): a wrong path must neither
 * read as an empty quarantine nor lead them to a file beside it. */
bool pk__mc_is_cache(int fd);

void pk__mc_key_of(const struct stat *st, pk__mc_key *k);
bool pk__mc_key_eq(const pk__mc_key *a, const pk__mc_key *b);
/* Whether st is the identity k records (pk__mc_key_of(st) equals k),
 * field by field: the one test a warm start makes per manifest. */
bool pk__mc_key_is(const struct stat *st, const pk__mc_key *k);
/* Whether a manifest with this key may be imaged now (not racy). */
bool pk__mc_settled(const pk__mc *mc, const pk__mc_key *k);

/* The first cached entry of search path root (sorted by name, *n of them,
 * stepped by pk__mc_ent_next), or NULL when the cache has none.  *listed:
 * the directory (key dir) is unchanged, so the entries are still its list. */
pk__mc_ent *pk__mc_find(pk__mc *mc, const char *root, const pk__mc_key *dir,
                        size_t *n, bool *listed);

/* Records the entries of root as this discovery found them, for the file
 * written by pk__mc_commit: the records and images of the entries read are
 * copied, those of entries with m are made of it (an entry whose manifest
 * cannot be imaged is recorded as read every time). */
pk_status pk__mc_record(pk__mc *mc, const char *root, const pk__mc_key *dir,
                        const pk__mc_put *ents, size_t n);
/* Records root's section as the file has it (pk__mc_find matched). */
pk_status pk__mc_same(pk__mc *mc, const char *root);

/* Counts manifests served from the cache and read, for the debug line
 * pk__mc_commit logs. */
void pk__mc_tally(pk__mc *mc, size_t served, size_t read);

/* Writes the file (to a temporary file renamed over it) when anything
 * recorded differs from what was read.  A file that cannot be written is a
 * warning (the cache only saves time); fails only with PK_ENOMEM. */
pk_status pk__mc_commit(pk__mc *mc);

/* Serves manifest *m (its requirements allocated from a) from entry e's
 * record, without its document; the caller then gives it its lazy state
 * (m->cached: a pk__mlazy naming e and the manifest's path), from which
 * pk__mc_load_doc makes the document out of the image in the cache's
 * memory (which the host keeps from pk__mc_close on).  PK_EIO: not a
 * record this library reads, or one a plugin already uses (a search path
 * given twice); the caller reads the file instead.  PK_ENOMEM. */
pk_status pk__mc_lend(const pk__allocator *a, pk__mc_ent *e, pk__manifest *m);
/* What serving entry e allocates beside its record, before it is
 * checked (pk__record_sizes): its names' and library's lengths, its
 * number of requirements (0 and zeros when the record does not read). */
size_t pk__mc_ent_sizes(const pk__mc_ent *e, size_t *names, size_t *lib);
/* Gives p (served by pk__mc_lend) its document, under a lock (any thread):
 * the image's, when its checksum and every node check out; else the
 * manifest read again when its identity is still the one served (a
 * warning when it is not: the plugin then has no document until the host
 * starts again).  PK_ENOMEM (nothing changed; it may be tried again),
 * else PK_OK. */
pk_status pk__mc_load_doc(pk_plugin *p);
/* pk__manifest_root for a plugin served from the cache (host.c installs
 * it as pk_host.manifest_root). */
const pk_value *pk__mc_root(pk_plugin *p);
/* The checksum of the n bytes at p (the file's and each image's). */
uint64_t pk__mc_sum(const void *p, size_t n);

#endif
