/* plugkit/config.h -- configuration schemas, decoded configs, binding to
 * C structs, layering, and {ctx.NAME} formatting: part of the contract of
 * plugkit.h, which includes it (include plugkit.h).
 * SPDX-License-Identifier: MIT */
#ifndef PLUGKIT_CONFIG_H
#define PLUGKIT_CONFIG_H

#ifndef PLUGKIT_H
#error "include <plugkit.h>, which includes plugkit/config.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Configuration schemas
 *
 *   1. pk_schema_new()         a field schema from a TOML table, such as a
 *                              manifest's [config] or [provides.config];
 *                              every property is checked, with positions
 *   2. pk_schema_decode()      a config table -> an immutable pk_config; every
 *                              problem goes to a pk_diag, the first to err
 *   3. pk_config_get_*()       typed getters by field name: an UNSET optional
 *                              field is PK_EMISSING, distinct from false, 0
 *                              and ""; or pk_config_bind(): every field into
 *                              a C struct in one call
 *   4. pk_config_coalesce*()   the first set value of several layers
 *                              (per-object, plugin, [defaults], schema
 *                              default)
 *   5. pk_format()             {ctx.NAME}, {env.NAME}, {{ and }} with a pk_ctx
 *                              of host variables; fields with format = true
 *                              are formatted by pk_schema_decode()
 *
 * The field syntax is in docs/manifest.md ("Config schemas"):
 *
 *   retries = { type = "integer", min = 0, max = 10, default = 3 }
 *   mode = { type = "enum", choices = ["fast", "safe"], default = "safe" }
 *   limits = { type = "table", fields = { read = { type = "integer" } } }
 *
 * A field is required unless it has a default or optional = true (which may
 * stay UNSET).  Keys are matched as written (kebab-case; no snake_case
 * aliasing).
 *
 * Lifetimes: a schema borrows from the document that holds its table; a
 * config borrows from its schema and from the document of the decoded
 * table.  Free configs before their schema, schemas before their document.
 * Schemas and configs are immutable: any number of threads may read them.
 * ------------------------------------------------------------------------ */

typedef struct pk_schema pk_schema; /* a validated field schema (opaque) */
typedef struct pk_field pk_field;   /* one field of a schema (opaque) */
typedef struct pk_config pk_config; /* a decoded config table (opaque) */
typedef struct pk_diag pk_diag;     /* a list of problems (opaque) */
typedef struct pk_ctx pk_ctx;       /* formatting variables (opaque) */

typedef enum pk_field_type {
  PK_FIELD_STRING = 1, /* "string" */
  PK_FIELD_INTEGER,    /* "integer": int64 */
  PK_FIELD_FLOAT,      /* "float": double; integers are not floats */
  PK_FIELD_BOOL,       /* "boolean" */
  PK_FIELD_DATETIME,   /* "datetime": any of the four TOML date/time kinds */
  PK_FIELD_ENUM,       /* "enum": a string among `choices` */
  PK_FIELD_ARRAY,      /* "array": items of the scalar type `items` */
  PK_FIELD_TABLE       /* "table": a nested schema, `fields` */
} pk_field_type;

/* Where a decoded field's value comes from. */
typedef enum pk_origin {
  PK_ORIGIN_UNSET = 0, /* an optional field that is absent: no value */
  PK_ORIGIN_DEFAULT,   /* absent: the schema's default (or, for a table
                          field, a table decoded from {}) */
  PK_ORIGIN_TABLE      /* written in the decoded table */
} pk_origin;

/* Options for pk_schema_new(); NULL means all defaults.  Set size to
 * sizeof(pk_schema_options).  The allocator serves the schema and every
 * config decoded by it. */
typedef struct pk_schema_options {
  uint32_t size;     /* sizeof(pk_schema_options) */
  pk_alloc_fn alloc; /* NULL: libc */
  void *alloc_ud;    /* passed to alloc */
} pk_schema_options;

/* Builds a schema from table, whose keys are field names (1 to 127 of
 * [A-Za-z0-9_-]) and whose values are field tables.  Every property is
 * checked: an unknown property (with the closest one suggested), an unknown
 * type (the valid ones listed), a property that does not apply to the type,
 * min above max, empty or repeated choices, a default that does not decode
 * by the field itself, contradicting required/optional/default.  The first
 * problem fails the call with PK_ECONFIG at the offending key or value.
 * The schema borrows from table's document (names, docs, defaults), which
 * must outlive it.  The caller owns *out and frees it with
 * pk_schema_free().
 * [thread: any] [fails: mem | config | misuse] [since: 0.1] */
PK_API pk_status pk_schema_new(const pk_value *table,
                               const pk_schema_options *opts, pk_schema **out,
                               pk_error *err);

/* Frees a schema; every config decoded by it must be freed first.  NULL is
 * a no-op.  [thread: any, not concurrently with users of schema]
 * [fails: never] [since: 0.1] */
PK_API void pk_schema_free(pk_schema *schema);

/* Introspection (plugkit info).  Fields come in the order written;
 * pk_schema_find_field() is O(1) and returns NULL for an unknown name.
 * pk_schema_get_pos() is the position of the schema's table.  Returned
 * pointers are borrowed until pk_schema_free().
 * [thread: any] [fails: never] [since: 0.1] */
PK_API size_t pk_schema_field_count(const pk_schema *schema);
PK_API const pk_field *pk_schema_field_at(const pk_schema *schema, size_t i);
PK_API const pk_field *pk_schema_find_field(const pk_schema *schema,
                                            const char *name);
PK_API pk_pos pk_schema_get_pos(const pk_schema *schema);

/* A field's properties.  get_pos: where its name is written.  get_items:
 * the item type of an array field (0 otherwise).  get_doc: "" when none.
 * get_default: the default as written, NULL when none.  is_required: absent
 * is an error; is_optional: absent leaves it UNSET.  get_min/get_max: the
 * bounds as written (integer or float values), NULL when none.
 * choice_count/choice_at: the choices of an enum, in order.  get_fields: the
 * nested schema of a table field, NULL otherwise.  Strings, values and
 * schemas are borrowed until pk_schema_free().
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_field_get_name(const pk_field *field);
PK_API pk_field_type pk_field_get_type(const pk_field *field);
PK_API pk_field_type pk_field_get_items(const pk_field *field);
PK_API const char *pk_field_get_doc(const pk_field *field);
PK_API const pk_value *pk_field_get_default(const pk_field *field);
PK_API bool pk_field_is_required(const pk_field *field);
PK_API bool pk_field_is_optional(const pk_field *field);
PK_API bool pk_field_is_format(const pk_field *field);
PK_API const pk_value *pk_field_get_min(const pk_field *field);
PK_API const pk_value *pk_field_get_max(const pk_field *field);
PK_API size_t pk_field_choice_count(const pk_field *field);
PK_API const char *pk_field_choice_at(const pk_field *field, size_t i);
PK_API const pk_schema *pk_field_get_fields(const pk_field *field);
PK_API pk_pos pk_field_get_pos(const pk_field *field);

/* The name of a field type as written in schemas ("string", ... "table"),
 * a static string; "unknown" outside the enum.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const char *pk_field_type_name(pk_field_type type);

/* ---- diagnostics ---- */

/* Options for pk_diag_new(); NULL means all defaults. */
typedef struct pk_diag_options {
  uint32_t size;     /* sizeof(pk_diag_options) */
  pk_alloc_fn alloc; /* NULL: libc */
  void *alloc_ud;
  size_t max;        /* keep at most this many problems (0: no limit); the
                        rest are counted by pk_diag_dropped() */
} pk_diag_options;

/* A list of problems, each a full pk_error with its position, in the order
 * found.  Decoding appends to it, so one list can collect the problems of
 * many tables (plugkit config check).  The caller owns *out and frees it
 * with pk_diag_free().
 * [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_diag_new(const pk_diag_options *opts, pk_diag **out,
                             pk_error *err);
/* NULL is a no-op.  [thread: any, not concurrently with users of diag]
 * [fails: never] [since: 0.1] */
PK_API void pk_diag_free(pk_diag *diag);
/* The number of problems kept, and the i-th (borrowed until the next call
 * that changes diag; NULL out of range).  A NULL diag has none.
 * [thread: any, not concurrently with writers of diag] [fails: never]
 * [since: 0.1] */
PK_API size_t pk_diag_count(const pk_diag *diag);
PK_API const pk_error *pk_diag_at(const pk_diag *diag, size_t i);
/* Problems not kept because of pk_diag_options.max.
 * [thread: any, not concurrently with writers of diag] [fails: never]
 * [since: 0.1] */
PK_API size_t pk_diag_dropped(const pk_diag *diag);
/* Appends a copy of problem (a host adds its own, e.g. an unknown tag).
 * [thread: any, not concurrently with users of diag] [fails: mem | misuse]
 * [since: 0.1] */
PK_API pk_status pk_diag_add(pk_diag *diag, const pk_error *problem,
                             pk_error *err);
/* Forgets every problem (keeps the memory).
 * [thread: any, not concurrently with users of diag] [fails: never]
 * [since: 0.1] */
PK_API void pk_diag_clear(pk_diag *diag);

/* ---- decoding ---- */

/* Options for pk_schema_decode(); NULL means all defaults. */
typedef struct pk_decode_options {
  uint32_t size;            /* sizeof(pk_decode_options) */
  const pk_ctx *ctx;        /* formats the format = true fields (and their
                               defaults); NULL leaves them as written */
  const char *const *skip;  /* keys of the (top-level) table that belong to
                               the caller, not to the schema: ignored
                               (e.g. "type", "plugin") */
  size_t skip_count;
} pk_decode_options;

/* Decodes table by schema into a new immutable config.  table may be NULL:
 * it decodes as an empty table (every field at its default; the object of
 * a plugin declared without a table).  Every problem is reported, with its
 * position: an unknown field ("unknown field \"regoin\" (did you mean
 * \"region\"?)"), a wrong type naming both ("field \"retries\": expected an
 * integer, found a string"; an array given to a scalar field is a type
 * error), a missing required field (at the table's position), a value out
 * of range ("retries = 12 is above the maximum 10"), an enum value not
 * among the choices (listed), an array item of the wrong type (at the
 * item), a format error.  Nested table fields say their path ("limits.read").
 * Each problem is appended to diag (may be NULL: decoding then stops at the
 * first); the first also goes to err, and its code is returned: PK_ECONFIG
 * (unknown field, format syntax), PK_ETYPE, PK_EMISSING (missing field or
 * ctx variable), PK_ERANGE (range, enum).  On success *out is a new
 * config: the caller owns it and frees it with pk_config_free(); on
 * failure *out is NULL.
 * Cost: one allocation per table (plus one per formatted string that holds
 * a placeholder); strings are not copied.
 * [thread: any] [fails: mem | config | type | missing | range | misuse]
 * [since: 0.1] */
PK_API pk_status pk_schema_decode(const pk_schema *schema,
                                  const pk_value *table,
                                  const pk_decode_options *opts,
                                  pk_config **out, pk_diag *diag,
                                  pk_error *err);

/* Frees a config and its nested configs.  NULL is a no-op.
 * [thread: any, not concurrently with readers of config] [fails: never]
 * [since: 0.1] */
PK_API void pk_config_free(pk_config *config);

/* The schema a config was decoded by, and the position of the decoded
 * table (line 0 when decoded from NULL).  Borrowed.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_schema *pk_config_get_schema(const pk_config *config);
PK_API pk_pos pk_config_get_pos(const pk_config *config);

/* Where a field's value comes from; PK_ORIGIN_UNSET also for a name the
 * schema does not have.  is_set: the field has a value (written or
 * default); false, 0 and "" are values.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API pk_origin pk_config_get_origin(const pk_config *config,
                                      const char *name);
PK_API bool pk_config_is_set(const pk_config *config, const char *name);

/* Where a field's value is written: in the decoded table, or, for a
 * default, in the schema (pk_config_get_origin() tells which).  An UNSET or
 * unknown field, and a table field decoded from {}, have no position:
 * {NULL, 0, 0}.  [thread: any] [fails: never] [since: 0.1] */
PK_API pk_pos pk_config_get_value_pos(const pk_config *config,
                                      const char *name);

/* The value of a field as written (or its default's value); NULL when
 * UNSET, unknown, or a table decoded from {}.  For format = true strings
 * this is the text before formatting.  Borrowed.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API const pk_value *pk_config_get_value(const pk_config *config,
                                           const char *name);

/* Typed getters by field name.  PK_ENOTFOUND: the schema has no such field
 * (closest name suggested); PK_ETYPE: the field's type differs (both
 * named); PK_EMISSING: the field is UNSET.  Strings (and enum values, which
 * get_string also returns) are NUL-terminated, *len (may be NULL) gets the
 * length; they are borrowed until pk_config_free() (formatted ones belong
 * to the config, the others to the document).  get_enum: the index into
 * the field's choices.  get_array: the array value as written (or the
 * default), items already checked.  get_table: the nested config, borrowed
 * until pk_config_free() of config.
 * [thread: any] [fails: notfound | type | missing | misuse] [since: 0.1] */
PK_API pk_status pk_config_get_string(const pk_config *config,
                                      const char *name, const char **out,
                                      size_t *len, pk_error *err);
PK_API pk_status pk_config_get_integer(const pk_config *config,
                                       const char *name, int64_t *out,
                                       pk_error *err);
PK_API pk_status pk_config_get_float(const pk_config *config,
                                     const char *name, double *out,
                                     pk_error *err);
PK_API pk_status pk_config_get_bool(const pk_config *config, const char *name,
                                    bool *out, pk_error *err);
PK_API pk_status pk_config_get_datetime(const pk_config *config,
                                        const char *name, pk_datetime *out,
                                        pk_error *err);
PK_API pk_status pk_config_get_enum(const pk_config *config, const char *name,
                                    size_t *out, pk_error *err);
PK_API pk_status pk_config_get_array(const pk_config *config,
                                     const char *name, const pk_value **out,
                                     pk_error *err);
PK_API pk_status pk_config_get_table(const pk_config *config,
                                     const char *name, const pk_config **out,
                                     pk_error *err);

/* The same with a default: an UNSET field stores dflt and returns PK_OK;
 * an unknown name or a wrong type still fails.  Strings are borrowed as
 * above (or are dflt).
 * [thread: any] [fails: notfound | type | misuse] [since: 0.1] */
PK_API pk_status pk_config_get_string_or(const pk_config *config,
                                         const char *name, const char *dflt,
                                         const char **out, pk_error *err);
PK_API pk_status pk_config_get_integer_or(const pk_config *config,
                                          const char *name, int64_t dflt,
                                          int64_t *out, pk_error *err);
PK_API pk_status pk_config_get_float_or(const pk_config *config,
                                        const char *name, double dflt,
                                        double *out, pk_error *err);
PK_API pk_status pk_config_get_bool_or(const pk_config *config,
                                       const char *name, bool dflt, bool *out,
                                       pk_error *err);

/* Writes the config as canonical JSON: fields in byte order of their names,
 * no spaces, leaving out UNSET fields, defaults, values equal to the
 * default and nested tables that come out empty; dates and times as their
 * RFC 3339 text ("Z" for offset 0), inf/nan as strings.  Equal configs give
 * identical bytes (for cache keys).  *out is NUL-terminated, *len (may be
 * NULL) its length; the caller owns it and frees it with
 * pk_string_free().  [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_config_to_json(const pk_config *config, char **out,
                                   size_t *len, pk_error *err);

/* ---- binding to C structs ---- */

/* The C type of a struct member a field is bound to. */
typedef enum pk_ctype {
  PK_C_STRING = 1, /* const char *: string or enum fields (borrowed until
                      pk_config_free) */
  PK_C_INT64,      /* int64_t: integer fields */
  PK_C_INT,        /* int: integer fields; a value outside int is ERANGE */
  PK_C_DOUBLE,     /* double: float fields */
  PK_C_BOOL,       /* bool: boolean fields */
  PK_C_DATETIME,   /* pk_datetime: datetime fields */
  PK_C_ENUM,       /* int: enum fields, the index into the choices */
  PK_C_ARRAY,      /* const pk_value *: array fields */
  PK_C_CONFIG      /* const pk_config *: table fields */
} pk_ctype;

/* One field -> member binding.  size is the member's size for a check (0:
 * unchecked); PK_BIND fills every part. */
typedef struct pk_binding {
  const char *field; /* the schema's field name */
  pk_ctype type;     /* the member's C type */
  size_t offset;     /* offsetof(struct, member) */
  size_t size;       /* sizeof the member, or 0 */
} pk_binding;

#define PK_BIND(struct_type, member, field_name, ctype)                        \
  {(field_name), (ctype), offsetof(struct_type, member),                       \
   sizeof(((struct_type *)0)->member)}

/* Checks bindings against schema (at load time, before any config is
 * decoded): every field must exist (else PK_ENOTFOUND, closest name
 * suggested, at the schema's position) and its type must match the C type
 * (else PK_ETYPE at the field's position, naming the field, its type and
 * the C type, e.g. "cannot bind field \"retries\" (integer) to a double
 * member (PK_C_DOUBLE): use PK_C_INT64 or PK_C_INT"), as must the member
 * size when given.  [thread: any] [fails: notfound | type | misuse]
 * [since: 0.1] */
PK_API pk_status pk_schema_check_bindings(const pk_schema *schema,
                                          const pk_binding *bindings,
                                          size_t n, pk_error *err);

/* Copies every bound field of config into the struct at dst, after the
 * checks of pk_schema_check_bindings().  An UNSET field leaves its member
 * as it was (initialise the struct with what "unset" means to you).
 * Pointers written are borrowed until pk_config_free(config).  On failure
 * dst may be partly written.
 * [thread: any] [fails: notfound | type | range | misuse] [since: 0.1] */
PK_API pk_status pk_config_bind(const pk_config *config,
                                const pk_binding *bindings, size_t n,
                                void *dst, pk_error *err);

/* ---- layering (coalesce) ---- */

/* The first set value of field name across layers, most specific first
 * (an instance table, then [plugins.ALIAS], then [defaults]): the first
 * layer where the value is written (PK_ORIGIN_TABLE) wins; when none, the
 * first layer with a schema default.  Layers may be NULL (absent) and may
 * have different schemas; a layer whose schema lacks the field is skipped.
 * *from gets the layer holding the value (borrowed: one of the layers).
 * PK_EMISSING when no layer has
 * one; PK_ENOTFOUND when no layer's schema has the field.
 * [thread: any] [fails: missing | notfound | misuse] [since: 0.1] */
PK_API pk_status pk_config_coalesce(const pk_config *const *layers, size_t n,
                                    const char *name, const pk_config **from,
                                    pk_error *err);

/* Typed coalesce: as above, then the typed getter on the chosen layer; when
 * no layer has a value, dflt (PK_OK).  PK_ETYPE when the chosen layer's
 * field has another type.  Strings are borrowed from the chosen layer.
 * [thread: any] [fails: notfound | type | misuse] [since: 0.1] */
PK_API pk_status pk_config_coalesce_string(const pk_config *const *layers,
                                           size_t n, const char *name,
                                           const char *dflt, const char **out,
                                           pk_error *err);
PK_API pk_status pk_config_coalesce_integer(const pk_config *const *layers,
                                            size_t n, const char *name,
                                            int64_t dflt, int64_t *out,
                                            pk_error *err);
PK_API pk_status pk_config_coalesce_float(const pk_config *const *layers,
                                          size_t n, const char *name,
                                          double dflt, double *out,
                                          pk_error *err);
PK_API pk_status pk_config_coalesce_bool(const pk_config *const *layers,
                                         size_t n, const char *name,
                                         bool dflt, bool *out, pk_error *err);

/* ---- context formatting ---- */

/* Options for pk_ctx_new(); NULL means all defaults. */
typedef struct pk_ctx_options {
  uint32_t size;     /* sizeof(pk_ctx_options) */
  pk_alloc_fn alloc; /* NULL: libc; also serves pk_format() results */
  void *alloc_ud;
  bool ignore_env;   /* {ctx.NAME} reads host variables only; {env.NAME}
                        still reads the environment */
} pk_ctx_options;

/* A set of context variables.  The caller owns *out and frees it with
 * pk_ctx_free().  [thread: any] [fails: mem | misuse] [since: 0.1] */
PK_API pk_status pk_ctx_new(const pk_ctx_options *opts, pk_ctx **out,
                            pk_error *err);
/* NULL is a no-op.  [thread: any, not concurrently with users of ctx]
 * [fails: never] [since: 0.1] */
PK_API void pk_ctx_free(pk_ctx *ctx);

/* Sets variable name (1 to 127 of [A-Za-z0-9_.-]) to value; both copied.
 * A NULL value unsets it (the environment applies again).
 * [thread: any, not concurrently with users of ctx] [fails: mem | misuse]
 * [since: 0.1] */
PK_API pk_status pk_ctx_set(pk_ctx *ctx, const char *name, const char *value,
                            pk_error *err);

/* The value {ctx.name} expands to: the host's variable, else (unless
 * ignore_env) the environment variable named by upper-casing name, '.'
 * becoming "__" and '-' becoming '_' (region -> REGION, qik.workers ->
 * QIK__WORKERS); NULL when neither is set.  ctx may be NULL (environment
 * only).  Borrowed until the variable or the environment changes.
 * [thread: any, not concurrently with writers of ctx or the environment]
 * [fails: never] [since: 0.1] */
PK_API const char *pk_ctx_get(const pk_ctx *ctx, const char *name);

/* Expands len bytes of text: {ctx.NAME} as pk_ctx_get(), {env.NAME} the
 * environment variable NAME as written, {{ and }} a literal brace.  Errors
 * are positioned at pos (the position of text's first byte; when text holds
 * no newline, the column is advanced to the offending brace): an unknown
 * name such as {foo.x} or {module.dir} (PK_ECONFIG), a variable that is
 * not set (PK_EMISSING: "ctx variable \"region\" is not set: the host did
 * not set it and REGION is not in the environment"), an unbalanced { or }
 * or a malformed placeholder (PK_ECONFIG).  ctx may be NULL (environment
 * only).  On success *out is a new NUL-terminated string, *out_len (may be
 * NULL) its length; the caller owns it and frees it with
 * pk_string_free().  It is allocated with ctx's allocator (libc when ctx is
 * NULL).
 * [thread: any, not concurrently with writers of ctx or the environment]
 * [fails: mem | config | missing | misuse] [since: 0.1] */
PK_API pk_status pk_format(const pk_ctx *ctx, const char *text, size_t len,
                           pk_pos pos, char **out, size_t *out_len,
                           pk_error *err);

/* Frees a string returned by pk_format() or pk_config_to_json(), with the
 * allocator it was made with.  NULL is a no-op.
 * [thread: any] [fails: never] [since: 0.1] */
PK_API void pk_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* PLUGKIT_CONFIG_H */
