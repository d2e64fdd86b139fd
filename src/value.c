/* value.c -- documents and values of the public API, over src/toml/.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "toml/toml.h"

/* A pk_doc lives inside its toml_doc (toml_doc_user) and names it; a
 * pk_value is a toml_node (NODE), with no wrapper object: the values of a
 * document are read far more often than documents are made. */
struct pk_doc {
  toml_doc *toml;
};
_Static_assert(sizeof(struct pk_doc) <= TOML_DOC_USER,
               "a pk_doc fits the room a toml_doc keeps for it");
#define NODE(v) ((const toml_node *)(v))

/* The pk_doc of a new document. */
static pk_doc *doc_of(toml_doc *t)
{
  pk_doc *d = toml_doc_user(t);
  d->toml = t;
  return d;
}

_Static_assert(PK_KIND_TABLE == (int)TOML_TABLE &&
                   PK_KIND_ARRAY == (int)TOML_ARRAY &&
                   PK_KIND_STRING == (int)TOML_STRING &&
                   PK_KIND_INTEGER == (int)TOML_INTEGER &&
                   PK_KIND_FLOAT == (int)TOML_FLOAT &&
                   PK_KIND_BOOL == (int)TOML_BOOL &&
                   PK_KIND_DATETIME == (int)TOML_DATETIME &&
                   PK_KIND_DATETIME_LOCAL == (int)TOML_DATETIME_LOCAL &&
                   PK_KIND_DATE_LOCAL == (int)TOML_DATE_LOCAL &&
                   PK_KIND_TIME_LOCAL == (int)TOML_TIME_LOCAL,
               "pk_kind and toml_kind must agree");

/* ---- documents ---- */

/* The memory reading a document may take besides its text: 4 times its
 * size limit plus 1 MiB (so that a small limit still reads small
 * documents).  Real documents take 1.5 (the W4 benchmark's) to 8 (short
 * key/value lines) times their text. */
#define DOC_MEMORY(max)                                                        \
  ((max) > (SIZE_MAX - (1u << 20)) / 4 ? SIZE_MAX : (max) * 4 + (1u << 20))

static const char max_size_hint[] = "pk_doc_options.max_size raises it";

/* The options of a document; opts->size may be that of the first version
 * of the struct, without max_size. */
static pk_status doc_options(const pk_doc_options *opts, toml_version *v,
                             pk__allocator *a, size_t *max, pk_error *err)
{
  pk_toml_version want = PK_TOML_DEFAULT;
  a->fn = NULL;
  a->ud = NULL;
  *max = PK_DOC_MAX_SIZE_DEFAULT;
  if (opts) {
    if (opts->size < offsetof(pk_doc_options, max_size))
      return pk__fail(err, PK_EMISUSE, "pk_doc_options.size must be set to "
                                       "sizeof(pk_doc_options)");
    want = opts->version;
    a->fn = opts->alloc;
    a->ud = opts->alloc_ud;
    if (opts->size >= offsetof(pk_doc_options, max_size) +
                          sizeof opts->max_size &&
        opts->max_size)
      *max = opts->max_size < TOML_MAX_TEXT ? opts->max_size : TOML_MAX_TEXT;
  }
  switch (want) {
  case PK_TOML_DEFAULT:
  case PK_TOML_1_1:
    *v = TOML_1_1;
    return PK_OK;
  case PK_TOML_1_0:
    *v = TOML_1_0;
    return PK_OK;
  }
  return pk__fail(err, PK_EMISUSE, "unknown TOML version %d", (int)want);
}

static pk_status doc_error(const toml_error *te, const char *source,
                           size_t max, pk_error *err)
{
  pk_pos pos;
  if (te->status == TOML_ENOMEM)
    return pk__fail(err, PK_ENOMEM, "%s: out of memory", source);
  pos.source = source;
  pos.line = te->line;
  pos.col = te->col;
  if (te->status == TOML_ELIMIT)
    return pk__fail_at(err, PK_ERANGE, pos, "%s (4 times the size limit of "
                       "%zu bytes, plus 1 MiB; %s)", te->message, max,
                       max_size_hint);
  return pk__fail_at(err, PK_ESYNTAX, pos, "%s", te->message);
}

/* Parses the len bytes already in doc's buffer within the memory a size
 * limit of max allows; frees doc on failure.  trim: a small document gives
 * back what its nodes did not use (toml_doc_trim), which the libc
 * allocator and the library's arenas do in place; a host's own allocator
 * is left the calls it was given. */
static pk_status doc_finish(toml_doc *doc, size_t len, toml_version v,
                            size_t max, bool trim, pk_doc **out, pk_error *err)
{
  toml_error te;
  toml_doc_limit(doc, DOC_MEMORY(max));
  if (toml_doc_parse(doc, len, v, &te) != TOML_OK) {
    pk_status st = doc_error(&te, toml_doc_source(doc), max, err);
    toml_doc_free(doc);
    return st;
  }
  if (trim)
    toml_doc_trim(doc);
  *out = doc_of(doc);
  if (err)
    pk_error_clear(err);
  return PK_OK;
}

pk_status pk_doc_parse(const char *text, size_t len, const char *source_name,
                       const pk_doc_options *opts, pk_doc **out, pk_error *err)
{
  toml_version v = TOML_1_1;
  pk__allocator a;
  size_t max;
  toml_doc *doc;
  char *buf;
  pk_status st;
  if (out)
    *out = NULL;
  if (!out || (!text && len))
    return pk__fail(err, PK_EMISUSE, "pk_doc_parse: NULL %s",
                    out ? "text" : "out");
  if ((st = doc_options(opts, &v, &a, &max, err)) != PK_OK)
    return st;
  if (!source_name)
    source_name = "<buffer>";
  if (len > max) {
    pk__file_why why = {0, 0, len, max};
    return pk__file_fail(err, PK_ERANGE, source_name, &why, max_size_hint);
  }
  doc = toml_doc_new(a.fn, a.ud, source_name);
  if (!doc)
    return pk__fail(err, PK_ENOMEM, "%s: out of memory", source_name);
  buf = toml_doc_buffer(doc, len);
  if (!buf) {
    toml_doc_free(doc);
    return pk__fail(err, PK_ENOMEM, "%s: out of memory for %zu bytes",
                    source_name, len);
  }
  if (len)
    memcpy(buf, text, len);
  return doc_finish(doc, len, v, max, !a.fn, out, err);
}

static char *doc_buffer(void *doc, size_t cap)
{
  return toml_doc_buffer(doc, cap);
}

/* The file at path under dfd (NULL: dfd itself, standard input), named
 * name, read into a new document's buffer (pk__file_read, or when small
 * pk__file_read_small) and parsed.
 * *read_st: the read's status; when it failed, *why says why, err is
 * untouched and the return is that status. */
static pk_status doc_read(const pk__allocator *a, toml_version v, size_t max,
                          bool trim, int dfd, const char *path,
                          const char *name, bool small, struct stat *st,
                          pk__file_why *why, pk_status *read_st, pk_doc **out,
                          pk_error *err)
{
  size_t len = 0;
  toml_doc *doc = toml_doc_new(a->fn, a->ud, name);
  *read_st =
      !doc    ? PK_ENOMEM
      : small ? pk__file_read_small(dfd, path, max, doc_buffer, doc, &len, why)
              : pk__file_read(dfd, path, max, doc_buffer, doc, &len, st, why);
  if (*read_st != PK_OK) {
    if (!doc)
      *why = (pk__file_why){0, 0, 0, max};
    toml_doc_free(doc);
    return *read_st;
  }
  return doc_finish(doc, len, v, max, trim, out, err);
}

pk_status pk_doc_load_file(const char *path, const pk_doc_options *opts,
                           pk_doc **out, pk_error *err)
{
  toml_version v = TOML_1_1;
  pk__allocator a;
  size_t max;
  pk_status st, rst;
  if (out)
    *out = NULL;
  if (!out || !path)
    return pk__fail(err, PK_EMISUSE, "pk_doc_load_file: NULL %s",
                    out ? "path" : "out");
  if ((st = doc_options(opts, &v, &a, &max, err)) != PK_OK)
    return st;
  bool is_stdin = strcmp(path, "-") == 0;
  const char *name = is_stdin ? "<stdin>" : path;
  pk__file_why why;
  st =
      doc_read(&a, v, max, !a.fn, is_stdin ? STDIN_FILENO : AT_FDCWD,
               is_stdin ? NULL : path, name, false, NULL, &why, &rst, out, err);
  if (rst != PK_OK)
    return pk__file_fail(err, rst == PK_ENOTFOUND ? PK_EIO : rst, name, &why,
                         max_size_hint);
  return st;
}

pk_status pk__doc_read_at(const pk__allocator *a, int dfd, const char *path,
                          const char *source, struct stat *st,
                          pk__file_why *why, pk_status *read_st, pk_doc **out,
                          pk_error *err)
{
  *out = NULL;
  return doc_read(a, TOML_1_1, PK_DOC_MAX_SIZE_DEFAULT, true, dfd, path, source,
                  !st, st, why, read_st, out, err);
}

void pk__doc_trim(pk_doc *doc) { toml_doc_trim(doc->toml); }

void pk_doc_free(pk_doc *doc)
{
  if (doc)
    toml_doc_free(doc->toml);
}

const pk_value *pk_doc_root(const pk_doc *doc)
{
  return doc ? (const pk_value *)toml_doc_root(doc->toml) : NULL;
}

const char *pk_doc_source(const pk_doc *doc)
{
  return doc ? toml_doc_source(doc->toml) : "";
}

/* ---- images (the metadata cache) ---- */

pk_status pk__doc_load_image(const pk__allocator *a, const char *source,
                             void *img, size_t len, pk_doc **out)
{
  toml_doc *t = toml_doc_new(a->fn, a->ud, source);
  toml_status st = t ? toml_doc_from_image(t, img, len) : TOML_ENOMEM;
  *out = NULL;
  if (st != TOML_OK) {
    toml_doc_free(t);
    return st == TOML_ENOMEM ? PK_ENOMEM : PK_EIO;
  }
  *out = doc_of(t);
  return PK_OK;
}

size_t pk__doc_write_image(const pk_doc *doc, const void *from, void *out,
                           size_t cap)
{
  if (doc)
    return toml_doc_image(doc->toml, out, cap);
  if (out != from)
    memmove(out, from, cap);
  toml_image_clear(out, cap);
  return cap;
}

/* ---- values ---- */

pk_kind pk_value_kind(const pk_value *v)
{
  return v ? (pk_kind)toml_node_kind(NODE(v)) : (pk_kind)0;
}

const char *pk_kind_name(pk_kind kind)
{
  static const char *const names[] = {
      "table",           "array",      "string",     "integer",
      "float",           "boolean",    "offset date-time",
      "local date-time", "local date", "local time"};
  if (kind < PK_KIND_TABLE || kind > PK_KIND_TIME_LOCAL)
    return "unknown";
  return names[kind - PK_KIND_TABLE];
}

const char *pk__kind_article(pk_kind kind)
{
  static const char *const names[] = {
      "a table",   "an array",           "a string",
      "an integer", "a float",           "a boolean",
      "an offset date-time", "a local date-time", "a local date",
      "a local time"};
  if (kind < PK_KIND_TABLE || kind > PK_KIND_TIME_LOCAL)
    return "an unknown value";
  return names[kind - PK_KIND_TABLE];
}

void pk__scalar_text(const pk_value *v, bool version, char *buf, size_t n)
{
  const char *s;
  int64_t i;
  double f;
  bool b;
  buf[0] = '\0';
  if (pk_value_get_integer(v, &i, NULL) == PK_OK)
    snprintf(buf, n, "%" PRId64 "%s", i, version ? ".0.0" : "");
  else if (pk_value_get_float(v, &f, NULL) == PK_OK) {
    pk__fmt_double(buf, n - 2, f);
    if (version && strspn(buf, "-0123456789.") == strlen(buf))
      strcat(buf, ".0");
  } else if (pk_value_get_bool(v, &b, NULL) == PK_OK)
    snprintf(buf, n, "%s", b ? "true" : "false");
  else if (pk_value_get_string(v, &s, NULL, NULL) == PK_OK &&
           strlen(s) < n && !strpbrk(s, "\"\\\b\f\n\r\t"))
    snprintf(buf, n, "%s", s);
}

/* Does t read as a TOML value of a kind from lo to hi ("1979-05-27" as a
 * date, "0.5" as a float)?  Parsed as the value of a one-line document:
 * only a message asks. */
static bool reads_as(const char *t, pk_kind lo, pk_kind hi)
{
  char line[80];
  pk_doc *doc;
  pk_error e;
  if (!t[0] || strspn(t, "0123456789-+:._eETtZz ") != strlen(t) ||
      snprintf(line, sizeof line, "x = %s", t) >= (int)sizeof line ||
      pk_doc_parse(line, strlen(line), NULL, NULL, &doc, &e) != PK_OK)
    return false;
  pk_kind k = pk_value_kind(pk_table_get(pk_doc_root(doc), "x"));
  pk_doc_free(doc);
  return k >= lo && k <= hi;
}

void pk__example(char *buf, size_t n, pk_kind want, const char *t)
{
  switch (want) {
  case PK_KIND_STRING:
    snprintf(buf, n, "\"%s\"", t[0] ? t : "...");
    break;
  case PK_KIND_INTEGER:
    snprintf(buf, n, "%s", reads_as(t, want, want) ? t : "1");
    break;
  case PK_KIND_FLOAT:
    if (reads_as(t, PK_KIND_INTEGER, PK_KIND_INTEGER))
      snprintf(buf, n, "%s.0", t);
    else
      snprintf(buf, n, "%s", reads_as(t, want, want) ? t : "1.0");
    break;
  case PK_KIND_BOOL:
    snprintf(buf, n, "%s", !strcmp(t, "false") ? "false" : "true");
    break;
  case PK_KIND_DATETIME:
  case PK_KIND_DATETIME_LOCAL:
  case PK_KIND_DATE_LOCAL:
  case PK_KIND_TIME_LOCAL:
    snprintf(buf, n, "%s",
             reads_as(t, PK_KIND_DATETIME, PK_KIND_TIME_LOCAL)
                 ? t
                 : "1979-05-27T07:32:00Z");
    break;
  case PK_KIND_ARRAY:
    snprintf(buf, n, "[ ... ]");
    break;
  default:
    snprintf(buf, n, "{ ... }");
  }
}

void pk__write_as(char *buf, size_t n, pk_kind want, const char *lhs,
                  const char *t)
{
  char ex[80];
  pk__example(ex, sizeof ex, want, t);
  switch (want) {
  case PK_KIND_STRING:
    snprintf(buf, n, "write it as a string: %s%s", lhs, ex);
    break;
  case PK_KIND_INTEGER:
    snprintf(buf, n, "write it as a whole number: %s%s", lhs, ex);
    break;
  case PK_KIND_FLOAT:
    snprintf(buf, n, "write it with a decimal point: %s%s", lhs, ex);
    break;
  case PK_KIND_BOOL:
    snprintf(buf, n, "write %strue or %sfalse, without quotes", lhs, lhs);
    break;
  case PK_KIND_DATETIME:
  case PK_KIND_DATETIME_LOCAL:
  case PK_KIND_DATE_LOCAL:
  case PK_KIND_TIME_LOCAL:
    snprintf(buf, n, "write it as an RFC 3339 date-time, without quotes: "
             "%s%s", lhs, ex);
    break;
  case PK_KIND_TABLE:
    snprintf(buf, n, "write it as a table: %s%s", lhs, ex);
    break;
  default:
    buf[0] = '\0';
  }
}

static pk_pos pos_of(toml_pos t)
{
  pk_pos p = {t.source, t.line, t.col};
  return p;
}

pk_pos pk_value_get_pos(const pk_value *v)
{
  pk_pos none = {"", 0, 0};
  return v ? pos_of(toml_node_pos(NODE(v))) : none;
}

size_t pk_table_count(const pk_value *table)
{
  return table && toml_node_kind(NODE(table)) == TOML_TABLE
             ? toml_node_count(NODE(table))
             : 0;
}

const char *pk_table_key_at(const pk_value *table, size_t i, size_t *len)
{
  return table ? toml_table_key_at(NODE(table), i, len) : NULL;
}

const pk_value *pk_table_value_at(const pk_value *table, size_t i)
{
  if (!table || toml_node_kind(NODE(table)) != TOML_TABLE)
    return NULL;
  return (const pk_value *)toml_node_at(NODE(table), i);
}

const pk_value *pk__table_entry_at(const pk_value *table, size_t i,
                                   const char **key, size_t *len)
{
  return table ? (const pk_value *)toml_table_entry_at(NODE(table), i, key,
                                                       len)
               : NULL;
}

/* pk__item is toml_item with public types: read in place, no copy. */
_Static_assert(sizeof(pk__item) == sizeof(toml_item) &&
                   offsetof(pk__item, v) == offsetof(toml_item, v) &&
                   offsetof(pk__item, key) == offsetof(toml_item, key) &&
                   offsetof(pk__item, key_len) ==
                       offsetof(toml_item, key_len) &&
                   offsetof(pk__item, kind) == offsetof(toml_item, kind) &&
                   offsetof(pk__item, u) == offsetof(toml_item, u) &&
                   sizeof(((pk__item *)0)->u) ==
                       sizeof(((toml_item *)0)->u) &&
                   offsetof(pk__item, len) == offsetof(toml_item, len),
               "pk__item and toml_item must agree");

size_t pk__value_items(const pk_value *c, size_t from, pk__item *out,
                       size_t max)
{
  return c ? toml_node_items(NODE(c), from, (toml_item *)out, max) : 0;
}

void pk__value_item(const pk_value *v, pk__item *out)
{
  toml_node_item(NODE(v), (toml_item *)out);
}

pk_pos pk_table_key_pos_at(const pk_value *table, size_t i)
{
  pk_pos none = {"", 0, 0};
  return table ? pos_of(toml_table_key_pos_at(NODE(table), i)) : none;
}

const pk_value *pk_table_getn(const pk_value *table, const char *key,
                              size_t len)
{
  if (!table || (!key && len))
    return NULL;
  return (const pk_value *)toml_table_get(NODE(table), key ? key : "", len);
}

const pk_value *pk_table_get(const pk_value *table, const char *key)
{
  return key ? pk_table_getn(table, key, strlen(key)) : NULL;
}

size_t pk_array_count(const pk_value *array)
{
  return array && toml_node_kind(NODE(array)) == TOML_ARRAY
             ? toml_node_count(NODE(array))
             : 0;
}

const pk_value *pk_array_at(const pk_value *array, size_t i)
{
  if (!array || toml_node_kind(NODE(array)) != TOML_ARRAY)
    return NULL;
  return (const pk_value *)toml_node_at(NODE(array), i);
}

/* ---- typed getters ---- */

static pk_status type_error(const pk_value *v, const char *expected,
                            pk_error *err)
{
  return pk__fail_at(err, PK_ETYPE, pk_value_get_pos(v),
                     "expected %s, found %s", expected,
                     pk__kind_article(pk_value_kind(v)));
}

pk_status pk__value_expect(const pk_value *v, pk_kind kind, pk_error *err)
{
  if (!v)
    return pk__fail(err, PK_EMISUSE, "no value (NULL) where %s was expected",
                    pk__kind_article(kind));
  if (pk_value_kind(v) != kind)
    return type_error(v, pk__kind_article(kind), err);
  return PK_OK;
}

/* The typed getters check the kind themselves (a decode calls them for
 * every value); pk__value_expect words the problem. */
pk_status pk_value_get_string(const pk_value *v, const char **out,
                              size_t *len, pk_error *err)
{
  if (!v || toml_node_kind(NODE(v)) != TOML_STRING)
    return pk__value_expect(v, PK_KIND_STRING, err);
  *out = toml_node_string(NODE(v), len);
  return PK_OK;
}

pk_status pk_value_get_integer(const pk_value *v, int64_t *out, pk_error *err)
{
  if (!v || toml_node_kind(NODE(v)) != TOML_INTEGER)
    return pk__value_expect(v, PK_KIND_INTEGER, err);
  *out = toml_node_integer(NODE(v));
  return PK_OK;
}

pk_status pk_value_get_float(const pk_value *v, double *out, pk_error *err)
{
  if (!v || toml_node_kind(NODE(v)) != TOML_FLOAT)
    return pk__value_expect(v, PK_KIND_FLOAT, err);
  *out = toml_node_float(NODE(v));
  return PK_OK;
}

pk_status pk_value_get_bool(const pk_value *v, bool *out, pk_error *err)
{
  if (!v || toml_node_kind(NODE(v)) != TOML_BOOL)
    return pk__value_expect(v, PK_KIND_BOOL, err);
  *out = toml_node_bool(NODE(v));
  return PK_OK;
}

pk_status pk_value_get_datetime(const pk_value *v, pk_datetime *out,
                                pk_error *err)
{
  toml_datetime t;
  pk_kind k = pk_value_kind(v);
  if (!v)
    return pk__value_expect(v, PK_KIND_DATETIME, err);
  if (k < PK_KIND_DATETIME || k > PK_KIND_TIME_LOCAL)
    return type_error(v, "a date or time", err);
  toml_node_datetime(NODE(v), &t);
  out->kind = (pk_kind)t.kind;
  out->year = t.year;
  out->month = t.month;
  out->day = t.day;
  out->hour = t.hour;
  out->minute = t.minute;
  out->second = t.second;
  out->nanosecond = t.nanosecond;
  out->offset_minutes = t.offset_minutes;
  out->precision = t.precision;
  return PK_OK;
}

/* The value under key, NULL when absent (the _or forms: the default). */
static pk_status table_lookup_or(const pk_value *table, const char *key,
                                 const pk_value **v, pk_error *err)
{
  pk_status st = pk__value_expect(table, PK_KIND_TABLE, err);
  if (st != PK_OK)
    return st;
  if (!key)
    return pk__fail(err, PK_EMISUSE, "NULL key");
  *v = pk_table_get(table, key);
  return PK_OK;
}

/* The value under key, or PK_EMISSING at the table's position. */
static pk_status table_lookup(const pk_value *table, const char *key,
                              const pk_value **v, pk_error *err)
{
  pk_status st = table_lookup_or(table, key, v, err);
  if (st != PK_OK)
    return st;
  if (!*v)
    return pk__fail_at(err, PK_EMISSING, pk_value_get_pos(table),
                       "missing required key \"%s\" in table started here",
                       key);
  return PK_OK;
}

pk_status pk_table_get_string(const pk_value *table, const char *key,
                              const char **out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup(table, key, &v, err);
  return st != PK_OK ? st : pk_value_get_string(v, out, NULL, err);
}

pk_status pk_table_get_integer(const pk_value *table, const char *key,
                               int64_t *out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup(table, key, &v, err);
  return st != PK_OK ? st : pk_value_get_integer(v, out, err);
}

pk_status pk_table_get_float(const pk_value *table, const char *key,
                             double *out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup(table, key, &v, err);
  return st != PK_OK ? st : pk_value_get_float(v, out, err);
}

pk_status pk_table_get_bool(const pk_value *table, const char *key, bool *out,
                            pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup(table, key, &v, err);
  return st != PK_OK ? st : pk_value_get_bool(v, out, err);
}

pk_status pk_table_get_datetime(const pk_value *table, const char *key,
                                pk_datetime *out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup(table, key, &v, err);
  return st != PK_OK ? st : pk_value_get_datetime(v, out, err);
}

static pk_status table_get_kind(const pk_value *table, const char *key,
                                pk_kind kind, const pk_value **out,
                                pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup(table, key, &v, err);
  if (st == PK_OK)
    st = pk__value_expect(v, kind, err);
  if (st == PK_OK)
    *out = v;
  return st;
}

pk_status pk_table_get_table(const pk_value *table, const char *key,
                             const pk_value **out, pk_error *err)
{
  return table_get_kind(table, key, PK_KIND_TABLE, out, err);
}

pk_status pk_table_get_array(const pk_value *table, const char *key,
                             const pk_value **out, pk_error *err)
{
  return table_get_kind(table, key, PK_KIND_ARRAY, out, err);
}

pk_status pk_table_get_string_or(const pk_value *table, const char *key,
                                 const char *dflt, const char **out,
                                 pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup_or(table, key, &v, err);
  if (st != PK_OK)
    return st;
  if (!v) {
    *out = dflt;
    return PK_OK;
  }
  return pk_value_get_string(v, out, NULL, err);
}

pk_status pk_table_get_integer_or(const pk_value *table, const char *key,
                                  int64_t dflt, int64_t *out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup_or(table, key, &v, err);
  if (st != PK_OK)
    return st;
  if (!v) {
    *out = dflt;
    return PK_OK;
  }
  return pk_value_get_integer(v, out, err);
}

pk_status pk_table_get_float_or(const pk_value *table, const char *key,
                                double dflt, double *out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup_or(table, key, &v, err);
  if (st != PK_OK)
    return st;
  if (!v) {
    *out = dflt;
    return PK_OK;
  }
  return pk_value_get_float(v, out, err);
}

pk_status pk_table_get_bool_or(const pk_value *table, const char *key,
                               bool dflt, bool *out, pk_error *err)
{
  const pk_value *v = NULL;
  pk_status st = table_lookup_or(table, key, &v, err);
  if (st != PK_OK)
    return st;
  if (!v) {
    *out = dflt;
    return PK_OK;
  }
  return pk_value_get_bool(v, out, err);
}
