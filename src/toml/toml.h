/* toml.h -- a TOML 1.0.0 / 1.1.0 reader: the only interface of src/toml/.
 * SPDX-License-Identifier: MIT
 *
 * A sealed sub-library: it knows documents, tables, arrays and scalars, and
 * nothing of plugins or hosts.  All names use the toml_ prefix.
 *
 * USAGE
 *   1. toml_doc_new()      a document with an allocator and a source name
 *   2. toml_doc_buffer()   get a document-owned buffer and fill it with text
 *   3. toml_doc_parse()    parse the buffer in place (strings are decoded and
 *                          NUL-terminated inside it; nothing is copied)
 *   4. toml_doc_root() ... walk the tree; every node knows its position
 *   5. toml_doc_free()     release the document, its buffer and every node
 *
 * Memory: one buffer for the text, an arena of large blocks for the nodes,
 * one hash index for the keys of large tables and one table of line starts.
 * Everything goes through the allocator given to toml_doc_new().
 */
#ifndef PK_TOML_H
#define PK_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A realloc-shaped allocator: (ud, NULL, 0, n) allocates, (ud, p, old, n)
 * resizes, (ud, p, old, 0) frees and returns NULL.  NULL selects libc. */
typedef void *(*toml_alloc_fn)(void *ud, void *ptr, size_t old_size,
                               size_t new_size);

typedef enum toml_version {
  TOML_1_0 = 100, /* TOML 1.0.0: 1.1-only syntax is an error */
  TOML_1_1 = 110  /* TOML 1.1.0 */
} toml_version;

/* Node kinds. */
typedef enum toml_kind {
  TOML_TABLE = 1,
  TOML_ARRAY,
  TOML_STRING,
  TOML_INTEGER,
  TOML_FLOAT,
  TOML_BOOL,
  TOML_DATETIME,       /* offset date-time */
  TOML_DATETIME_LOCAL, /* local date-time */
  TOML_DATE_LOCAL,     /* local date */
  TOML_TIME_LOCAL      /* local time */
} toml_kind;

typedef enum toml_status {
  TOML_OK = 0,
  TOML_ENOMEM, /* the allocator failed */
  TOML_ESYNTAX, /* the text is not valid TOML (or exceeds a limit) */
  TOML_ELIMIT   /* parsing needs more memory than toml_doc_limit() allows */
} toml_status;

/* The first problem found, with the 1-based line and byte column of the
 * offending character (0 when there is no position, e.g. out of memory). */
typedef struct toml_error {
  toml_status status;
  int line;
  int col;
  char message[512];
} toml_error;

/* A position: borrowed source name, 1-based line and byte column. */
typedef struct toml_pos {
  const char *source;
  int line;
  int col;
} toml_pos;

/* A date, a time or both, as written.  Which fields matter follows kind. */
typedef struct toml_datetime {
  toml_kind kind;
  int year, month, day;
  int hour, minute, second;
  int nanosecond;     /* 0..999999999, digits past the 9th are truncated */
  int offset_minutes; /* TOML_DATETIME only; east of UTC */
  int precision;      /* fraction digits as written, at most 9 */
} toml_datetime;

typedef struct toml_doc toml_doc;   /* a document: text, nodes, indexes */
typedef struct toml_node toml_node; /* one value of a document */

/* The deepest nesting of tables and arrays a document may have; deeper
 * documents fail cleanly (the parser and tree walkers may recurse that far). */
#define TOML_MAX_DEPTH 100

/* A new empty document.  source names the text in positions (copied; NULL
 * means "<buffer>").  Returns NULL when out of memory. */
toml_doc *toml_doc_new(toml_alloc_fn alloc, void *alloc_ud,
                       const char *source);

/* Offsets and refs are 32-bit: a document's text stays below this. */
#define TOML_MAX_TEXT ((size_t)UINT32_MAX - 4096)

/* The document-owned text buffer, grown to hold at least cap bytes (earlier
 * contents are kept).  Fill it, then call toml_doc_parse() with the length.
 * Returns NULL when out of memory or when cap exceeds TOML_MAX_TEXT. */
char *toml_doc_buffer(toml_doc *doc, size_t cap);

/* Caps the memory parsing may take besides the text (nodes, table
 * indexes, the line table, the parser's stacks) at bytes; 0, the default,
 * sets no cap.  A document that needs more fails with TOML_ELIMIT at the
 * value being read: a hostile text (an array of small integers takes 13
 * times its size) cannot make the reader use more. */
void toml_doc_limit(toml_doc *doc, size_t bytes);

/* The form of the table entries the next parse makes (for tests: both read
 * the same).  By default a text of 64 KiB to 64 MiB gets narrow 16-byte
 * entries where a key has no escapes and is up to 63 bytes (the value's
 * position re-read from the text), other texts and keys 24-byte ones that
 * keep them in full; TOML_KEYS_WIDE makes every entry wide (the general
 * path), TOML_KEYS_NARROW every one that can be narrow, at any size. */
enum { TOML_KEYS_DEFAULT, TOML_KEYS_WIDE, TOML_KEYS_NARROW };
void toml_doc_keys(toml_doc *doc, int form);

/* Parses the first len bytes of the buffer.  On failure the document holds
 * no tree (free it) and err (if not NULL) the first problem.  Must be called
 * once per document. */
toml_status toml_doc_parse(toml_doc *doc, size_t len, toml_version version,
                           toml_error *err);

/* After a successful parse of a small document (one block of nodes, as a
 * plugin manifest): hands what the block did not use back to the
 * allocator by shrinking it (a realloc to fewer bytes; one that gives a
 * new block, copied, is fine too, and one that fails leaves it as it
 * was).  For an allocator that shrinks in place (a bump arena's newest
 * block) it saves a third of a manifest's memory. */
void toml_doc_trim(toml_doc *doc);

/* Releases everything.  NULL is a no-op. */
void toml_doc_free(toml_doc *doc);

/* TOML_DOC_USER bytes inside the document for the caller (pointer-aligned,
 * zeroed by toml_doc_new(), released with the document): a wrapper object
 * can live there, so that its address stands for the document. */
#define TOML_DOC_USER sizeof(void *)
void *toml_doc_user(toml_doc *doc);

/* The root table (NULL before a successful parse) and the source name. */
const toml_node *toml_doc_root(const toml_doc *doc);
const char *toml_doc_source(const toml_doc *doc);

/* A parsed document as a flat image (toml_image.c), for the metadata cache.
 * toml_doc_image() writes it to out when cap is enough and returns its size
 * (a multiple of 8), or 0 when the document cannot be imaged (not parsed,
 * 64 KiB of text or more, or too many arena blocks).
 * toml_doc_from_image() makes a new document (from toml_doc_new) use an
 * image in place: img must be 8-aligned and writable (each block's header
 * is written into it) and must outlive the document and be used by one
 * document at a time.  Its layout and every node reachable from the root
 * are checked (refs, vectors, strings and keys inside the image), so a
 * damaged image is refused rather than read out of bounds.  TOML_ESYNTAX:
 * not a valid image; TOML_ENOMEM: out of memory (free the document either
 * way).  toml_image_clear() zeroes the block headers a load wrote, so that
 * a used image can be saved again as made. */
size_t toml_doc_image(const toml_doc *doc, void *out, size_t cap);
toml_status toml_doc_from_image(toml_doc *doc, void *img, size_t size);
void toml_image_clear(void *img, size_t size);

/* ---- reading nodes (any thread, the document is immutable) ---- */

toml_kind toml_node_kind(const toml_node *n);
/* Where the value starts; for a table, its header or the key creating it. */
toml_pos toml_node_pos(const toml_node *n);

/* Keys of a table / items of an array; 0 for other kinds. */
size_t toml_node_count(const toml_node *n);
/* The i-th item of an array or value of a table; NULL when out of range. */
const toml_node *toml_node_at(const toml_node *n, size_t i);
/* The i-th key of a table (NUL-terminated, *len its length since keys may
 * hold NUL bytes) and its position; NULL / {0} when out of range. */
const char *toml_table_key_at(const toml_node *t, size_t i, size_t *len);
toml_pos toml_table_key_pos_at(const toml_node *t, size_t i);
/* Both at once: the i-th value of table t, its key in *key and *len; NULL
 * when out of range or when t is not a table. */
const toml_node *toml_table_entry_at(const toml_node *t, size_t i,
                                     const char **key, size_t *len);
/* One child of a table or array with its kind and scalar contents, as
 * toml_node_items() gives them: a reader that visits every child (a schema
 * decode) makes one call per batch instead of several per child. */
typedef struct toml_item {
  const toml_node *v; /* the child */
  const char *key;    /* table: its key, NUL-terminated; array: NULL */
  uint32_t key_len;   /* table: the key's length (keys may hold NUL bytes) */
  uint32_t kind;      /* toml_kind of v */
  union {
    const char *s; /* TOML_STRING: the decoded bytes, NUL-terminated */
    int64_t i;     /* TOML_INTEGER */
    double f;      /* TOML_FLOAT */
    bool b;        /* TOML_BOOL */
  } u;                /* not set for other kinds */
  uint32_t len;       /* TOML_STRING: length in bytes; else not set */
} toml_item;
/* Fills out[0..k) with the children from, from + 1, ... of container c
 * (k <= max) and returns k; 0 when c is not a table or an array, or from is
 * past its end. */
size_t toml_node_items(const toml_node *c, size_t from, toml_item *out,
                       size_t max);
/* A lone value v as toml_node_items() gives a child (key NULL). */
void toml_node_item(const toml_node *v, toml_item *it);
/* The value under key (len bytes) in table t, O(1) on average; NULL when
 * absent or when t is not a table. */
const toml_node *toml_table_get(const toml_node *t, const char *key,
                                size_t len);

/* Scalar contents; the caller checks the kind first. */
const char *toml_node_string(const toml_node *n, size_t *len);
int64_t toml_node_integer(const toml_node *n);
double toml_node_float(const toml_node *n);
bool toml_node_bool(const toml_node *n);
void toml_node_datetime(const toml_node *n, toml_datetime *out);

#endif
