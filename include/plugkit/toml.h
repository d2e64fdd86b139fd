/* plugkit/toml.h -- TOML documents and values with their positions: part
 * of the contract of plugkit.h, which includes it (include plugkit.h).
 * SPDX-License-Identifier: MIT
 *
 * USAGE
 *   1. pk_doc_load_file()     read a TOML file into a document (any config)
 *   2. pk_doc_root()          walk it: pk_table_get(), pk_array_at(), ...
 *   3. pk_table_get_string()  typed getters fail with file:line:col and both
 *      ... _or() forms           type names; the _or forms take a default
 *   4. pk_doc_free()          release the document and every value in it
 */
#ifndef PLUGKIT_TOML_H
#define PLUGKIT_TOML_H

#ifndef PLUGKIT_H
#error "include <plugkit.h>, which includes plugkit/toml.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * TOML documents and values
 * ------------------------------------------------------------------------ */

typedef struct pk_doc pk_doc;     /* a parsed TOML document (opaque) */
typedef struct pk_value pk_value; /* one value inside a document (opaque) */

typedef enum pk_kind {
  PK_KIND_TABLE = 1,
  PK_KIND_ARRAY,
  PK_KIND_STRING,
  PK_KIND_INTEGER,
  PK_KIND_FLOAT,
  PK_KIND_BOOL,
  PK_KIND_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  PK_KIND_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
  PK_KIND_DATE_LOCAL,     /* 1979-05-27 */
  PK_KIND_TIME_LOCAL      /* 07:32:00 */
} pk_kind;

typedef enum pk_toml_version {
  PK_TOML_DEFAULT = 0, /* TOML 1.1.0 */
  PK_TOML_1_0 = 100,   /* TOML 1.0.0: 1.1-only syntax is rejected */
  PK_TOML_1_1 = 110
} pk_toml_version;

/* A date, a time or both.  Which fields are meaningful follows the kind:
 * dates have year/month/day, times hour/minute/second/nanosecond, and only
 * PK_KIND_DATETIME has offset_minutes (0 for "Z"). */
typedef struct pk_datetime {
  pk_kind kind;
  int year, month, day;
  int hour, minute, second;
  int nanosecond;     /* 0..999999999 */
  int offset_minutes; /* east of UTC, e.g. -420 for -07:00 */
  int precision;      /* digits of the fraction as written (0..9) */
} pk_datetime;

/* A source position.  source is borrowed from the document that holds the
 * value; line and col are 1-based. */
typedef struct pk_pos {
  const char *source;
  int line;
  int col;
} pk_pos;

/* The size limit of a document's text when pk_doc_options.max_size is 0
 * (or absent): 64 MiB.  Every file the library reads itself (manifests,
 * fragments, host descriptions, configs) is held to it. */
#define PK_DOC_MAX_SIZE_DEFAULT ((size_t)64 << 20)

/* Options for parsing; a NULL options pointer means all defaults.  Set size
 * to sizeof(pk_doc_options) so the struct can grow (a caller built with the
 * first four fields, size 24 on LP64, gets the default max_size).
 *
 * max_size bounds what a document can cost: a text over max_size bytes is
 * refused before it is read (PK_ERANGE, "SOURCE: document too large: N
 * bytes (the limit is M bytes; ...)"), and reading one may take at most 4
 * times max_size plus 1 MiB of memory besides its text (its values, their
 * indexes, the line table), so that a hostile text (an array of small
 * integers takes 13 times its size) fails with PK_ERANGE at
 * "SOURCE:LINE:COL: document too large: ..." instead of using more.
 * Documents are limited to 4 GiB in any case. */
typedef struct pk_doc_options {
  uint32_t size;           /* sizeof(pk_doc_options) */
  pk_toml_version version; /* PK_TOML_DEFAULT: 1.1.0 */
  pk_alloc_fn alloc;       /* NULL: libc */
  void *alloc_ud;          /* passed to alloc */
  size_t max_size;         /* bytes of text; 0: PK_DOC_MAX_SIZE_DEFAULT */
} pk_doc_options;

/* Parses len bytes of TOML.  source_name names the text in positions and
 * errors (NULL: "<buffer>").  The text is copied; the caller may free it at
 * once.  On success *out is a new document: the caller owns it and frees
 * it with pk_doc_free(); on failure *out is NULL and err holds the first
 * problem with its exact line and column (PK_ERANGE: over the limits of
 * max_size).
 * [thread: any] [fails: mem | syntax | range] [since: 0.1] */
PK_API pk_status pk_doc_parse(const char *text, size_t len,
                              const char *source_name,
                              const pk_doc_options *opts, pk_doc **out,
                              pk_error *err);

/* Reads and parses a TOML file ("-" reads standard input).  Like
 * pk_doc_parse() (the caller owns *out); the file's path names positions.
 * The file must be a regular file: a FIFO, a device or a directory at path
 * is refused with PK_EIO ("PATH: not a regular file but a FIFO; ...")
 * without blocking or reading from it; a file over max_size bytes is
 * refused with PK_ERANGE before it is read.  Standard input is read up to
 * max_size bytes.
 * [thread: any] [fails: mem | io | syntax | range] [since: 0.1] */
PK_API pk_status pk_doc_load_file(const char *path, const pk_doc_options *opts,
                                  pk_doc **out, pk_error *err);

/* Releases a document and every value, key and string in it.  NULL is a
 * no-op.  [thread: any, not concurrently with readers of doc] [fails: never]
 * [since: 0.1] */
PK_API void pk_doc_free(pk_doc *doc);

/* The root table.  Borrowed, valid until pk_doc_free(doc).
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_doc_root(const pk_doc *doc);

/* The name positions in doc refer to (the path or source_name).  Borrowed,
 * valid until pk_doc_free(doc).  [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_doc_source(const pk_doc *doc);

/* Everything below reads a document.  Documents are immutable: any number of
 * threads may read one at once.  All returned pointers are borrowed and valid
 * until pk_doc_free() of the document that holds the value. */

/* The kind of a value.  [thread: any] [fails: never] [since: 0.1] */
PK_API pk_kind pk_value_kind(const pk_value *v);

/* The TOML name of a kind: "table", "array", "string", "integer", "float",
 * "boolean", "offset date-time", "local date-time", "local date",
 * "local time": a static string.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_kind_name(pk_kind kind);

/* Where a value starts in its source (for a table: its header, or the first
 * key that created it).  [thread: any] [fails: never] [since: 0.1] */
PK_API pk_pos pk_value_get_pos(const pk_value *v);

/* Number of keys of a table, in insertion order; 0 if v is not a table.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_table_count(const pk_value *table);

/* The i-th key of a table (insertion order), NUL-terminated; *len (if not
 * NULL) gets its length in bytes (keys may contain NUL written as \u0000).
 * Borrowed; NULL when i is out of range.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_table_key_at(const pk_value *table, size_t i,
                                   size_t *len);

/* The i-th value of a table (borrowed), NULL when out of range.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_table_value_at(const pk_value *table, size_t i);

/* The position of the i-th key of a table.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API pk_pos pk_table_key_pos_at(const pk_value *table, size_t i);

/* Looks a key up in O(1) on average: the value (borrowed), NULL when
 * absent or when table is not a table.  pk_table_getn takes a key of len
 * bytes.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_table_get(const pk_value *table, const char *key);
PK_API const pk_value *pk_table_getn(const pk_value *table, const char *key,
                                     size_t len);

/* Number of items of an array; 0 if v is not an array.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_array_count(const pk_value *array);

/* The i-th item of an array (borrowed), NULL when out of range.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_array_at(const pk_value *array, size_t i);

/* Typed getters on a value.  On a kind mismatch they fail with PK_ETYPE and
 * a message such as "runner.toml:3:9: expected a string, found an integer"
 * (err carries source, line and col).  *len (if not NULL) receives a
 * string's length; strings are NUL-terminated, may contain NUL bytes and
 * are borrowed from the document.  pk_value_get_float accepts only floats;
 * pk_value_get_datetime accepts all four date/time kinds.  v NULL:
 * PK_EMISUSE.  [thread: any] [fails: type | misuse] [since: 0.1] */
PK_API pk_status pk_value_get_string(const pk_value *v, const char **out,
                                     size_t *len, pk_error *err);
PK_API pk_status pk_value_get_integer(const pk_value *v, int64_t *out,
                                      pk_error *err);
PK_API pk_status pk_value_get_float(const pk_value *v, double *out,
                                    pk_error *err);
PK_API pk_status pk_value_get_bool(const pk_value *v, bool *out,
                                   pk_error *err);
PK_API pk_status pk_value_get_datetime(const pk_value *v, pk_datetime *out,
                                       pk_error *err);

/* Typed getters on a table key.  A missing key fails with PK_EMISSING and
 * the table's position ("missing required key \"port\" in table started
 * here"); a wrong kind fails with PK_ETYPE and the value's position.
 * Strings, tables and arrays are borrowed from the document.
 * pk_table_get_table and pk_table_get_array return the table or array
 * under key; PK_ETYPE when it is something else.
 * [thread: any] [fails: missing | type | misuse] [since: 0.1] */
PK_API pk_status pk_table_get_string(const pk_value *table, const char *key,
                                     const char **out, pk_error *err);
PK_API pk_status pk_table_get_integer(const pk_value *table, const char *key,
                                      int64_t *out, pk_error *err);
PK_API pk_status pk_table_get_float(const pk_value *table, const char *key,
                                    double *out, pk_error *err);
PK_API pk_status pk_table_get_bool(const pk_value *table, const char *key,
                                   bool *out, pk_error *err);
PK_API pk_status pk_table_get_datetime(const pk_value *table, const char *key,
                                       pk_datetime *out, pk_error *err);
PK_API pk_status pk_table_get_table(const pk_value *table, const char *key,
                                    const pk_value **out, pk_error *err);
PK_API pk_status pk_table_get_array(const pk_value *table, const char *key,
                                    const pk_value **out, pk_error *err);

/* The same with a default: a missing key stores dflt and returns PK_OK; a
 * present key of the wrong kind still fails with PK_ETYPE.  A string is
 * borrowed from the document (or is dflt).
 * [thread: any] [fails: type | misuse] [since: 0.1] */
PK_API pk_status pk_table_get_string_or(const pk_value *table, const char *key,
                                        const char *dflt, const char **out,
                                        pk_error *err);
PK_API pk_status pk_table_get_integer_or(const pk_value *table,
                                         const char *key, int64_t dflt,
                                         int64_t *out, pk_error *err);
PK_API pk_status pk_table_get_float_or(const pk_value *table, const char *key,
                                       double dflt, double *out,
                                       pk_error *err);
PK_API pk_status pk_table_get_bool_or(const pk_value *table, const char *key,
                                      bool dflt, bool *out, pk_error *err);

#ifdef __cplusplus
}
#endif

#endif /* PLUGKIT_TOML_H */
