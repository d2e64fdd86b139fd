/* base.h -- the base layer: allocation, errors, reading files, vectors,
 * maps, names and versions, suggestions, formatting, documents and values
 * (over the sealed src/toml/), schemas and configs.  It knows nothing of
 * hosts or plugins; the layers above (records.h, registries.h, stages.h,
 * use.h) build on it.  Never installed.  SPDX-License-Identifier: MIT */
#ifndef PK_BASE_H
#define PK_BASE_H

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "plugkit.h"
#include "plugkit/plugin.h"

#define PK__PRINTF(fmt_index, first_arg)                                       \
  __attribute__((format(printf, fmt_index, first_arg)))

/* ---- allocator plumbing (alloc.c) ---- */

/* The allocator of a host or document: fn NULL means libc. */
typedef struct pk__allocator {
  pk_alloc_fn fn;
  void *ud;
} pk__allocator;

/* Allocate / resize / free through a. Sizes must be the sizes the block was
 * allocated with. pk__alloc_zero returns zeroed memory. All return NULL on
 * failure (pk__free always returns NULL). */
void *pk__alloc(const pk__allocator *a, size_t n);
void *pk__alloc_zero(const pk__allocator *a, size_t n);
void *pk__resize(const pk__allocator *a, void *p, size_t old_n, size_t new_n);
void *pk__free(const pk__allocator *a, void *p, size_t n);
/* Copies a NUL-terminated string (n = strlen + 1 bytes allocated). */
char *pk__strdup(const pk__allocator *a, const char *s);
/* The n bytes at s as a string (n + 1 bytes allocated; s holds no NUL in
 * them when pk__strfree is to free it). */
char *pk__strndup(const pk__allocator *a, const char *s, size_t n);
/* Frees a string made by pk__strdup. NULL is a no-op. */
void pk__strfree(const pk__allocator *a, char *s);

/* A bump arena over an allocator, for many small blocks that all live
 * until the arena is released (the manifests of a host).  pk__arena_fn is
 * realloc-shaped so it can serve as a document's allocator: freeing is a
 * no-op except for the most recent block, growing the most recent block
 * happens in place when it fits. */
typedef struct pk__arena {
  pk__allocator parent;
  struct pk__chunk *chunks; /* newest first */
  char *cur;                /* free space of the newest chunk */
  size_t left;              /* bytes free at cur */
  char *last;               /* the most recent block, or NULL */
  size_t last_size;
} pk__arena;

void pk__arena_init(pk__arena *ar, const pk__allocator *parent);
void *pk__arena_fn(void *ud, void *ptr, size_t old_size, size_t new_size);
/* The bytes a block of n bytes takes in an arena (n rounded up to its
 * alignment). */
size_t pk__arena_round(size_t n);
void pk__arena_release(pk__arena *ar);
/* Moves every chunk of src into dst (they are released with dst); src is
 * left empty.  Both must have the same parent allocator. */
void pk__arena_absorb(pk__arena *dst, pk__arena *src);
/* Makes room for n bytes in ar's newest chunk, so that the blocks asked
 * for next, up to n bytes in all, come from one place: a new chunk of n
 * bytes when it has less.  One of PK__ARENA_HUGE bytes or more is made of
 * transparent huge pages (over the default allocator; alloc.c).  false:
 * out of memory (nothing changed). */
#define PK__ARENA_HUGE ((size_t)256 << 10)
bool pk__arena_reserve(pk__arena *ar, size_t n);
/* Whether a block of n bytes comes from ar's free room, without a chunk
 * of its own (a reservation's room holds it). */
bool pk__arena_holds(const pk__arena *ar, size_t n);
/* Makes ar serve its next blocks from the n bytes at p (memory another
 * arena owns, which outlives ar's blocks), then from chunks of its own. */
void pk__arena_seed(pk__arena *ar, void *p, size_t n);

/* ---- errors (error.c) ---- */

/* Fill err (if not NULL) and return code. They never allocate; the message
 * is truncated to fit. */
pk_status pk__fail(pk_error *err, pk_status code, const char *fmt, ...)
    PK__PRINTF(3, 4);
pk_status pk__fail_at(pk_error *err, pk_status code, pk_pos pos,
                      const char *fmt, ...) PK__PRINTF(4, 5);
pk_status pk__vfail_at(pk_error *err, pk_status code, pk_pos pos,
                       const char *fmt, va_list ap) PK__PRINTF(4, 0);
/* Sets err->plugin (truncated); returns err->code. */
pk_status pk__error_set_plugin(pk_error *err, const char *plugin);
/* Copies src into dst (both may be NULL); returns src->code. */
pk_status pk__error_copy(pk_error *dst, const pk_error *src);
/* One problem among several: the first is copied to *first (*failed
 * set), every one goes to diag (when not NULL).  PK_ENOMEM when diag
 * cannot take it. */
pk_status pk__diag_report(pk_diag *diag, pk_error *first, bool *failed,
                          const pk_error *e);
/* Bounded copy that always NUL-terminates (n > 0). */
void pk__copy_str(char *dst, size_t n, const char *src);

/* ---- values (value.c) ---- */

/* A kind with its article, for messages: "a string", "an integer", "an
 * offset date-time", ...  Static string. */
const char *pk__kind_article(pk_kind kind);
/* The text of scalar v for a message, unquoted, into buf (n bytes): ""
 * for another value or a string a message could not show as it is; with
 * version, a number is given three parts ("12" -> "12.0.0"). */
void pk__scalar_text(const pk_value *v, bool version, char *buf, size_t n);
/* A literal of kind want for a message, into buf (n bytes): t (a wrong
 * value's pk__scalar_text) when it reads as one, else an example ("\"...\"",
 * "1", "1.0", "true", "1979-05-27T07:32:00Z", "[ ... ]", "{ ... }"). */
void pk__example(char *buf, size_t n, pk_kind want, const char *t);
/* What to write instead of a value of the wrong kind, for a value of kind
 * want (a scalar or a table; "" for an array) at lhs ("key = ", or "" for
 * an item of an array), t the value's pk__scalar_text: "write it as a
 * string: version = \"12.0.0\"". */
void pk__write_as(char *buf, size_t n, pk_kind want, const char *lhs,
                  const char *t);
/* PK_OK when v is of kind; otherwise PK_ETYPE at v's position with "expected
 * a string, found an integer" (PK_EMISUSE when v is NULL). */
pk_status pk__value_expect(const pk_value *v, pk_kind kind, pk_error *err);
/* pk_table_value_at() and pk_table_key_at() in one call (a decode walks
 * every entry); NULL when out of range or table is not a table. */
const pk_value *pk__table_entry_at(const pk_value *table, size_t i,
                                   const char **key, size_t *len);
/* One child of a table or array with its kind and scalar contents: the
 * layout of the reader's item, which value.c fills in place (may_alias
 * makes reading one through this type defined). */
typedef struct __attribute__((__may_alias__)) pk__item {
  const pk_value *v; /* the child */
  const char *key;   /* table: its key, NUL-terminated; array: NULL */
  uint32_t key_len;  /* table: the key's length (keys may hold NUL bytes) */
  uint32_t kind;     /* pk_kind of v */
  union {
    const char *s; /* PK_KIND_STRING: NUL-terminated */
    int64_t i;     /* PK_KIND_INTEGER */
    double f;      /* PK_KIND_FLOAT */
    bool b;        /* PK_KIND_BOOL */
  } u;               /* not set for other kinds */
  uint32_t len;      /* PK_KIND_STRING: length in bytes */
} pk__item;
/* Fills out[0..k) with the children from, from + 1, ... of c (k <= max) and
 * returns k; 0 when c is NULL, not a table or an array, or from is past its
 * end.  One call reads a batch: a decode visits every child. */
size_t pk__value_items(const pk_value *c, size_t from, pk__item *out,
                       size_t max);
/* A lone value v as pk__value_items() gives a child (key NULL). */
void pk__value_item(const pk_value *v, pk__item *out);

/* Document images, for the metadata cache: a parsed document as one flat
 * block that a later process uses in place.  pk__doc_load_image() makes a
 * document (named source) of image img (len bytes, 8-aligned, writable: a
 * load writes block headers into it; it must outlive the document and
 * serve one document at a time); PK_EIO when it is not an image this
 * library reads (every reachable part is checked: a damaged image is
 * refused, never read out of bounds), PK_ENOMEM.  pk__doc_write_image()
 * writes the image of doc to out when cap is enough and returns its size
 * (a multiple of 8; 0 when doc cannot be imaged: 64 KiB or more of
 * text); with doc NULL it copies the image at from (cap bytes; from may be
 * out) without the headers a load wrote, so that it can be saved again. */
pk_status pk__doc_load_image(const pk__allocator *a, const char *source,
                             void *img, size_t len, pk_doc **out);
size_t pk__doc_write_image(const pk_doc *doc, const void *from, void *out,
                           size_t cap);

/* The children of c read a batch at a time: pk__items_at(&r, i) for i =
 * 0, 1, ... below c's count, after pk__items_init(&r, c). */
#define PK__ITEM_BATCH 16
typedef struct pk__items {
  const pk_value *c;
  size_t from, n;
  pk__item buf[PK__ITEM_BATCH];
} pk__items;
static inline void pk__items_init(pk__items *r, const pk_value *c)
{
  r->c = c; /* not the buffer: it is filled by the first read */
  r->from = r->n = 0;
}
static inline const pk__item *pk__items_at(pk__items *r, size_t i)
{
  if (i - r->from >= r->n) {
    r->from = i;
    r->n = pk__value_items(r->c, i, r->buf, PK__ITEM_BATCH);
  }
  return &r->buf[i - r->from];
}

/* Key k of len bytes is name (a TOML key may hold NUL bytes: "abi\u0000x"
 * is not "abi"). */
static inline bool pk__key_is(const char *k, size_t len, const char *name)
{
  return strlen(name) == len && memcmp(k, name, len) == 0;
}

/* ---- reading files (file.c) ---- */

/* Gives a buffer of at least cap bytes that keeps the bytes read so far
 * (the caller's storage: a reused buffer, a document's text buffer); NULL
 * when out of memory. */
typedef char *(*pk__file_buf_fn)(void *ud, size_t cap);

/* Why pk__file_read failed, for pk__file_fail. */
typedef struct pk__file_why {
  int errnum;    /* errno of the open, fstat or read that failed, or 0 */
  mode_t mode;   /* the file's type when it is not a regular file, or 0 */
  uint64_t size; /* its size when over max (0: not known, read past max) */
  size_t max;
} pk__file_why;

/* Reads the regular file path (relative to the directory dfd, or AT_FDCWD)
 * whole into the buffer buf gives, *len bytes.  It is opened with
 * O_NONBLOCK and checked with fstat before anything is read, so that a
 * FIFO, a device or a directory in its place is refused instead of
 * blocking or read without end, and a file over max bytes is refused
 * before it is read.  st (may be NULL) gets its fstat.  With path NULL,
 * dfd is an open descriptor read as it is (standard input: any kind of
 * file, max bytes at most), and left open.  PK_OK; PK_ENOTFOUND: nothing
 * there (ENOENT, ENOTDIR); PK_EIO: not a regular file, or it cannot be
 * opened or read; PK_ERANGE: over max bytes; PK_ENOMEM: buf failed.  *why
 * says what failed, for pk__file_fail. */
pk_status pk__file_read(int dfd, const char *path, size_t max,
                        pk__file_buf_fn buf, void *ud, size_t *len,
                        struct stat *st, pk__file_why *why);
/* The same for a small file expected to be regular (a manifest), when its
 * fstat is not wanted: one pread() at offset 0 into a probe buffer of a
 * page, and a read shorter than the probe is the whole file (a regular
 * file gives all it holds to one read).  What gives nothing, fails or
 * fills the probe (an empty file, a FIFO: pread fails on it even when its
 * writer wrote a whole manifest, a device, a directory, a big file) is
 * read again by pk__file_read, with its checks and its errors: the same
 * verdicts as pk__file_read. */
pk_status pk__file_read_small(int dfd, const char *path, size_t max,
                              pk__file_buf_fn buf, void *ud, size_t *len,
                              pk__file_why *why);
/* The error of a failed pk__file_read (st is its status) of the file
 * named name: "NAME: not a regular file but a FIFO; replace it with a
 * regular file", "NAME: document too large: N bytes (the limit is M
 * bytes; LIMIT_HINT)", "NAME: cannot read: No such file or directory".
 * limit_hint (may be NULL) says how to raise the limit.  Returns st. */
pk_status pk__file_fail(pk_error *err, pk_status st, const char *name,
                        const pk__file_why *why, const char *limit_hint);

/* A manifest's document: the file path under the directory dfd read by
 * pk__file_read (regular files of PK_DOC_MAX_SIZE_DEFAULT bytes at most)
 * straight into the text buffer of a new document named source
 * (allocator a, TOML 1.1), then parsed; st gets its fstat, or is NULL:
 * then the file is read by pk__file_read_small, with no fstat.
 * *read_st is the read's status: when it is not PK_OK, *why says why, err
 * is untouched and it is returned (PK_ENOTFOUND: nothing there).  Else
 * the parse's status, as pk_doc_parse's; a document that parsed is
 * trimmed (pk__doc_trim). */
pk_status pk__doc_read_at(const pk__allocator *a, int dfd, const char *path,
                          const char *source, struct stat *st,
                          pk__file_why *why, pk_status *read_st, pk_doc **out,
                          pk_error *err);
/* Gives back the room a small parsed document's nodes did not use
 * (toml_doc_trim: a bump arena shrinks its newest block in place). */
void pk__doc_trim(pk_doc *doc);

/* ---- SHA-256 (sha256.c, FIPS 180-4) ---- */

typedef struct pk__sha256 {
  uint32_t h[8];         /* the hash value so far */
  uint64_t len;          /* bytes hashed */
  unsigned char buf[64]; /* a block not complete yet */
  size_t used;           /* its bytes */
} pk__sha256;

void pk__sha256_init(pk__sha256 *s);
void pk__sha256_update(pk__sha256 *s, const void *data, size_t n);
/* Pads, writes the 32-byte digest to out; s must be initialised again
 * before another use. */
void pk__sha256_final(pk__sha256 *s, unsigned char out[32]);
/* The digest as 64 lower-case hex digits and a NUL. */
void pk__sha256_hex(const unsigned char digest[32], char hex[65]);
/* Hashes what is left to read of fd (to its end) into hex.  0, or the
 * errno of the read that failed. */
int pk__sha256_fd(int fd, char hex[65]);

/* ---- growable arrays (vec.c) ---- */

/* Grows *items (each elem bytes) so that it holds at least need items;
 * *cap is updated.  Doubling; returns PK_ENOMEM on failure (unchanged). */
pk_status pk__vec_reserve(const pk__allocator *a, void **items, size_t *cap,
                          size_t need, size_t elem);
#define PK__VEC_PUSH(a, arr, n, cap, val)                                      \
  (((n) < (cap) || pk__vec_reserve((a), (void **)&(arr), &(cap), (n) + 1,      \
                                   sizeof *(arr)) == PK_OK)                    \
       ? ((arr)[(n)++] = (val), PK_OK)                                         \
       : PK_ENOMEM)

/* ---- versions and requirements (semver.c) ---- */

#define PK__NAME_MAX 128 /* names and namespaces: [A-Za-z0-9_.-]{1,127} */

typedef struct pk__version {
  uint64_t major, minor, patch;
  char pre[64]; /* pre-release identifiers without the '-', or "" */
} pk__version;

/* A version as a manifest keeps it: pre points to the pre-release part
 * (NUL-ended, fewer than 64 bytes, "" when none; NULL, compared as "",
 * in a zeroed manifest) in memory the manifest owns, not an inline array:
 * 56 bytes less a record, a record of five cache lines, not six.
 * Versions are compared in this form. */
typedef struct pk__mversion {
  uint64_t major, minor, patch;
  const char *pre;
} pk__mversion;

/* A view of v (pre borrowed from it). */
static inline pk__mversion pk__mversion_of(const pk__version *v)
{
  return (pk__mversion){v->major, v->minor, v->patch, v->pre};
}

typedef enum pk__op { PK__OP_EQ, PK__OP_NE, PK__OP_LT, PK__OP_LE, PK__OP_GT,
                      PK__OP_GE, PK__OP_CARET, PK__OP_TILDE } pk__op;

#define PK__MAX_COMPARATORS 8

/* A parsed requirement "ns:name >= 1.2, < 2" ("ns" empty when omitted). */
typedef struct pk__req {
  char ns[PK__NAME_MAX];
  char name[PK__NAME_MAX];
  size_t ncmp;
  struct {
    pk__op op;
    pk__version v;
  } cmp[PK__MAX_COMPARATORS];
} pk__req;

/* True when s[0..len) is a valid name: [A-Za-z0-9_.-]{1,127}. */
bool pk__name_valid(const char *s, size_t len);
/* Parses a full semantic version "1.2.3[-pre][+build]"; with partial, "1"
 * and "1.2" are accepted too (missing parts are 0).  On failure returns
 * PK_EMANIFEST and writes the reason (no position) into why[n]. */
pk_status pk__version_parse(const char *s, bool partial, pk__version *out,
                            char *why, size_t n);
int pk__mversion_cmp(const pk__mversion *a, const pk__mversion *b);
/* Parses a requirement; reason in why on failure (PK_EMANIFEST).  An
 * omitted namespace is left empty, or set to default_ns when not NULL. */
pk_status pk__req_parse(const char *text, pk__req *out, char *why, size_t n);
pk_status pk__req_parse_in(const char *text, const char *default_ns,
                           pk__req *out, char *why, size_t n);
/* The first step of a requirement's parse, for its common forms "name"
 * and "ns:name" (no blank, no version constraint): writes the id it
 * names, "ns:name" (default_ns when omitted), into id[n] and returns its
 * length; 0 for any other form, or when it does not fit.  The id is not
 * checked: a text the parse would refuse gives no valid id, so names no
 * plugin; a caller that finds none parses it (pk__req_parse_in) for the
 * parse's verdict and errors. */
size_t pk__req_plain_id(const char *text, const char *default_ns, char *id,
                        size_t n);
/* Does version v satisfy every comparator of r? */
bool pk__req_matches(const pk__req *r, const pk__mversion *v);
/* Writes the constraint part (">= 1.2, < 2") into buf; "" when none. */
void pk__req_constraint_text(const pk__req *r, char *buf, size_t n);

/* ---- suggestions (suggest.c) ---- */

/* The candidate closest to word by edit distance, or NULL when none is
 * close enough to be a plausible typo. */
const char *pk__closest(const char *word, const char *const *candidates,
                        size_t n);
/* Writes up to n bytes of "a, b, c" from the candidates into buf. */
void pk__join(char *buf, size_t n, const char *const *items, size_t count);

/* ---- string-keyed hash map (map.c) ---- */

/* Open addressing, O(1) average.  A key of up to 16 bytes is copied into
 * the table; a longer one is borrowed (it must outlive the map).
 * Zero-initialise, then use; pk__map_free releases the table. */
typedef struct pk__map {
  void *mem;                  /* the table's block */
  struct pk__map_slot *slots; /* the table, aligned inside mem */
  size_t cap, count; /* cap is 0 or a power of two */
} pk__map;

uint64_t pk__hash(const char *s, size_t len);
void *pk__map_get(const pk__map *m, const char *key, size_t len);
/* Inserts or replaces. */
pk_status pk__map_put(const pk__allocator *a, pk__map *m, const char *key,
                      size_t len, void *value);
/* The value of key in *old, the map untouched, when key is present; else
 * inserts key with value and sets *old to NULL.  One hash and one probe
 * where a get then a put take two (values are not NULL, as for
 * pk__map_get).  PK_ENOMEM: the map is unchanged. */
pk_status pk__map_get_or_put(const pk__allocator *a, pk__map *m,
                             const char *key, size_t len, void *value,
                             void **old);
/* Starts loading the slot where a get or put of key begins (a hint, no
 * effect on the map): called for a key some places ahead of the one a
 * loop over many keys looks up or inserts, so that their cache misses
 * overlap (PK__MAP_AHEAD places suits a table larger than the cache). */
void pk__map_prefetch(const pk__map *m, const char *key, size_t len);
#define PK__MAP_AHEAD 16
/* Whether m's table is large enough for pk__map_prefetch to pay (512 KiB,
 * some 6000 keys): a smaller one stays in the core's cache, where a probe
 * finds its slot as fast as the hint would, which only costs a hash. */
static inline bool pk__map_is_large(const pk__map *m)
{
  return m->cap >= 16384;
}
/* Forgets every key, keeping the memory. */
void pk__map_clear(pk__map *m);
/* Makes room for n keys without growing again. */
pk_status pk__map_reserve(const pk__allocator *a, pk__map *m, size_t n);
void pk__map_free(const pk__allocator *a, pk__map *m);

/* ---- string building and formatting (format.c) ---- */

/* A growable string through an allocator.  With tagged, room is kept in
 * front for the header pk_string_free() reads, and pk__sbuf_take_tagged()
 * hands the text out.  After a failed put, nomem stays set and every
 * later put fails. */
typedef struct pk__sbuf {
  pk__allocator a;
  char *p;     /* the block (NULL until the first put) */
  size_t len;  /* bytes used, header included */
  size_t cap;  /* bytes allocated */
  size_t base; /* header bytes in front of the text (0 untagged) */
  bool nomem;
} pk__sbuf;

void pk__sbuf_init(pk__sbuf *b, const pk__allocator *a, bool tagged);
bool pk__sbuf_put(pk__sbuf *b, const char *s, size_t n);
bool pk__sbuf_putc(pk__sbuf *b, char c);
bool pk__sbuf_printf(pk__sbuf *b, const char *fmt, ...) PK__PRINTF(2, 3);
void pk__sbuf_free(pk__sbuf *b);
/* Hands the NUL-terminated text out as a string for pk_string_free(). */
pk_status pk__sbuf_take_tagged(pk__sbuf *b, char **out, size_t *len);
/* Appends text[0..len) with {ctx.NAME}, {env.NAME}, {{ and }} expanded;
 * errors are positioned at pos. */
pk_status pk__format(const pk_ctx *ctx, const char *text, size_t len,
                     pk_pos pos, pk__sbuf *b, pk_error *err);
/* The shortest text that reads back as x ("%.17g" at worst) into buf,
 * with a ".0" when it would read as an integer, whatever the locale. */
void pk__fmt_double(char *buf, size_t n, double x);

/* ---- schemas (schema.c) ---- */

/* Validates a schema table (a manifest's [config] or [provides.config]),
 * keeping nothing: PK_OK, PK_ENOMEM, or PK_ECONFIG with the first problem
 * and its position.  An arena allocator is bypassed for its parent. */
pk_status pk__schema_check(const pk__allocator *a, const pk_value *table,
                           pk_error *err);

/* pk_schema_decode() into arena (an allocator over a pk__arena; NULL: the
 * schema's allocator).  Configs in an arena are never freed alone:
 * pk_config_free() leaves them, pk__arena_release() frees them together.
 * items (or NULL): the nitems items of table (pk__value_items(), every
 * one), when the caller has read them already (table is then a table). */
pk_status pk__schema_decode_in(const pk__allocator *arena,
                               const pk_schema *schema, const pk_value *table,
                               const pk__item *items, size_t nitems,
                               const pk_decode_options *opts, pk_config **out,
                               pk_diag *diag, pk_error *err);

/* ---- binding configs for plugins (bind.c) ---- */

/* A NULL-terminated string list bound to a PK_PLUGIN_C_STRINGS member,
 * owned by the instance level or the plugin's section that bound it. */
typedef struct pk__strv {
  struct pk__strv *next;
  size_t n;             /* strings, then the NULL */
  const char *v[];
} pk__strv;

/* Frees a list of string lists. */
void pk__strv_free(const pk__allocator *a, pk__strv *l);
/* The host-side form of plugin bindings: a string list is checked as an
 * array (PK_C_ARRAY, pointer-sized). */
void pk__plugin_bindings(const pk_plugin_binding *in, size_t n,
                         pk_binding *out);
/* pk_schema_check_bindings() and pk_config_bind(); with plugin, the
 * bindings are a plugin's (pk__plugin_bindings): errors and advice name
 * the plugin-side constants (PK_PLUGIN_C_*). */
pk_status pk__check_bindings(const pk_schema *schema,
                             const pk_binding *bindings, size_t n, bool plugin,
                             pk_error *err);
pk_status pk__config_bind(const pk_config *config, const pk_binding *bindings,
                          size_t n, void *dst, bool plugin, pk_error *err);
/* A PK_PLUGIN_C_STRINGS binding needs an array of strings: PK_OK or
 * PK_ETYPE at the field. */
pk_status pk__strings_ok(const pk_field *f, pk_error *err);
/* Binds b (PK_PLUGIN_C_STRINGS) from config: a new list linked into *own,
 * its address into dst's member.  An UNSET field leaves the member. */
pk_status pk__bind_strings(const pk__allocator *a, const pk_config *config,
                           const pk_plugin_binding *b, void *dst,
                           pk__strv **own, pk_error *err);

#endif
