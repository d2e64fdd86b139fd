/* schema.h -- schemas and configs inside: the structures and the name
 * index shared by schema.c (parse), decode.c (decode), config.c (getters,
 * coalesce), bind.c (struct binding) and config_json.c (base layer; never
 * installed, included by those five only).
 * SPDX-License-Identifier: MIT */
#ifndef PK_SCHEMA_H
#define PK_SCHEMA_H

#include "base.h"

/* A decoded value: one per schema field in a config, and the decoded
 * default of a field.  24 to 40 bytes; a config is one block of these. */
typedef struct cval {
  const pk_value *v; /* as written (or the default's value); NULL: none */
  union {
    const char *s; /* string, enum: NUL-terminated */
    int64_t i;
    double f;
    bool b;
    pk_config *t;  /* table: the nested config (owned) */
  } u;
  uint32_t len;    /* string, enum: length in bytes */
  uint32_t cap;    /* string: bytes owned by the config (formatted), or 0 */
  uint32_t idx;    /* enum: index into the choices */
  uint8_t origin;  /* pk_origin */
} cval;

struct pk_field {
  const char *name; /* borrowed from the schema's document */
  size_t name_len;
  pk_field_type type;
  pk_field_type items; /* array: item type */
  pk_pos pos;          /* of the name (set when the field is kept) */
  const pk_value *in;  /* the schema table declaring it, and the index */
  size_t in_idx;       /* of its name there: field_pos() */
  const char *doc;     /* "" when none */
  const pk_value *dflt_v, *min_v, *max_v; /* as written, or NULL */
  cval dflt;                              /* decoded default when dflt_v */
  bool required, optional, format;
  union {
    int64_t i;
    double f;
  } min, max; /* valid when min_v / max_v */
  const char **choices; /* enum: borrowed strings */
  uint32_t *choice_len;
  size_t nchoices;
  pk_schema *fields; /* table: the nested schema (owned) */
};

struct pk_schema {
  pk__allocator a;
  pk_pos pos;          /* of the schema's table */
  size_t nfields;
  size_t cap;          /* entries allocated in fields, names, sorted */
  pk_field *fields;    /* in the order written */
  const char **names;  /* the fields' names, for suggestions */
  uint32_t *sorted;    /* field indexes in byte order of names */
  uint32_t *slots;     /* name index: field index + 1, 0 when empty */
  uint32_t mask;       /* slots - 1 (a power of two, at least 2x fields) */
};

struct pk_config {
  const pk_schema *schema;
  const pk__allocator *a; /* its memory (and its strings' and nested
                             configs'); NULL: an arena's, freed with it */
  const pk_value *table; /* NULL when decoded from NULL */
  cval vals[];           /* schema->nfields, in the schema's order */
};

/* "a string", "an integer", ... for a field type, in messages. */
static inline const char *pk__type_article(pk_field_type type)
{
  static const char *const articles[] = {
      "a string", "an integer", "a float", "a boolean",
      "a date or time", "an enum", "an array", "a table"};
  if (type < PK_FIELD_STRING || type > PK_FIELD_TABLE)
    return "an unknown type";
  return articles[type - 1];
}

/* The hash of the name index, in the manner of wyhash: short names are
 * read as two (overlapping) words, with no byte loop; every key of every
 * decoded table goes through it. */
static inline uint64_t read64(const char *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline uint64_t read32(const char *p)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint32_t name_hash(const char *s, size_t len)
{
  const uint64_t k = 0xff51afd7ed558ccdull;
  uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ull, a, b;
  if (len >= 8) {
    const char *p = s;
    size_t n = len;
    for (; n > 16; p += 8, n -= 8) {
      h = (h ^ read64(p)) * k;
      h ^= h >> 32;
    }
    a = read64(p);
    b = read64(s + len - 8);
  } else if (len >= 4) {
    a = read32(s);
    b = read32(s + len - 4);
  } else if (len) {
    a = (uint64_t)(unsigned char)s[0] << 16 |
        (uint64_t)(unsigned char)s[len >> 1] << 8 | (unsigned char)s[len - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  h = (h ^ a) * k;
  h ^= h >> 32;
  h = (h ^ b) * 0xc4ceb9fe1a85ec53ull;
  return (uint32_t)(h ^ (h >> 29));
}

/* Equal names of len bytes; field names are short, a call to memcmp
 * costs more than the comparison. */
static inline bool name_eq(const char *a, const char *b, size_t len)
{
  if (len >= 8) {
    if (read64(a) != read64(b) || read64(a + len - 8) != read64(b + len - 8))
      return false;
    return len <= 16 || !memcmp(a + 8, b + 8, len - 16);
  }
  if (len >= 4)
    return read32(a) == read32(b) && read32(a + len - 4) == read32(b + len - 4);
  for (size_t i = 0; i < len; i++)
    if (a[i] != b[i])
      return false;
  return true;
}

/* The index of field name (len bytes) in s, or s->nfields when absent. */
static inline size_t find_index(const pk_schema *s, const char *name,
                                size_t len)
{
  if (!s->slots)
    return s->nfields;
  for (uint32_t i = name_hash(name, len) & s->mask;; i = (i + 1) & s->mask) {
    uint32_t slot = s->slots[i];
    const pk_field *f;
    if (!slot)
      return s->nfields;
    f = &s->fields[slot - 1];
    if (f->name_len == len && name_eq(f->name, name, len))
      return slot - 1;
  }
}

static inline const pk_field *find_field(const pk_schema *s,
                                         const char *name, size_t len)
{
  size_t i = find_index(s, name, len);
  return i < s->nfields ? &s->fields[i] : NULL;
}

/* ---- decode.c ---- */

/* Decodes the default value of field f (its dflt_v) into f->dflt, as a
 * schema is parsed: PK_OK, PK_ENOMEM, or PK_ECONFIG at the value's
 * position ("invalid default: ..."). */
pk_status pk__decode_default(const pk__allocator *a, pk_field *f,
                             pk_error *err);
/* Frees a config made by a decode (NULL, or in an arena: nothing). */
void pk__config_free(pk_config *c);
/* " (did you mean \"x\"?)", " (known fields: ...)" or " (this table
 * takes no fields)": the hint of a message naming key, unknown to s. */
void pk__suggest_field(const pk_schema *s, const char *key, char *buf,
                       size_t n);

#endif
