/* format.c -- {ctx.NAME} / {env.NAME} formatting, the pk_ctx of host
 * variables, and the allocator-tagged strings freed by pk_string_free().
 * SPDX-License-Identifier: MIT */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* ---- types ---- */

/* One host variable.  The name never changes once in the map (the map
 * borrows it); the value is replaced or cleared (NULL: unset). */
typedef struct ctx_var {
  char *name;
  size_t name_len;
  char *value;       /* NULL when unset */
  size_t value_size; /* bytes allocated for value */
} ctx_var;

struct pk_ctx {
  pk__allocator a;
  bool ignore_env;
  pk__map vars;   /* name -> ctx_var */
  ctx_var **list; /* every variable ever set, to free them */
  size_t n, cap;
};

/* The header in front of a string returned to the caller, so that
 * pk_string_free() needs neither the allocator nor the size. */
typedef struct str_head {
  pk_alloc_fn fn;
  void *ud;
  size_t size; /* bytes of the whole block, header included */
} str_head;

#define NAME_MAX_LEN 127

/* ---- string builder ---- */

void pk__sbuf_init(pk__sbuf *b, const pk__allocator *a, bool tagged)
{
  b->a = a ? *a : (pk__allocator){NULL, NULL};
  b->p = NULL;
  b->len = b->cap = 0;
  b->base = tagged ? sizeof(str_head) : 0;
  b->nomem = false;
}

static bool sbuf_grow(pk__sbuf *b, size_t need)
{
  size_t ncap = b->cap ? b->cap : 64;
  char *p;
  if (b->nomem)
    return false;
  if (need > SIZE_MAX / 2) {
    b->nomem = true;
    return false;
  }
  while (ncap < need)
    ncap *= 2;
  p = pk__resize(&b->a, b->p, b->cap, ncap);
  if (!p) {
    b->nomem = true;
    return false;
  }
  if (!b->p)
    b->len = b->base;
  b->p = p;
  b->cap = ncap;
  return true;
}

bool pk__sbuf_put(pk__sbuf *b, const char *s, size_t n)
{
  /* +1: room for the NUL written by the finishing functions. */
  if ((!b->p || b->len + n + 1 > b->cap) &&
      !sbuf_grow(b, (b->p ? b->len : b->base) + n + 1))
    return false;
  if (n)
    memcpy(b->p + b->len, s, n);
  b->len += n;
  return true;
}

bool pk__sbuf_putc(pk__sbuf *b, char c) { return pk__sbuf_put(b, &c, 1); }

bool pk__sbuf_printf(pk__sbuf *b, const char *fmt, ...)
{
  char small[128];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    return false;
  if ((size_t)n < sizeof small)
    return pk__sbuf_put(b, small, (size_t)n);
  /* Long output: format straight into the buffer. */
  if (!pk__sbuf_put(b, "", 0) ||
      (b->len + (size_t)n + 1 > b->cap && !sbuf_grow(b, b->len + (size_t)n + 1)))
    return false;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return true;
}

void pk__sbuf_free(pk__sbuf *b)
{
  pk__free(&b->a, b->p, b->cap);
  b->p = NULL;
  b->len = b->cap = 0;
}

pk_status pk__sbuf_take_tagged(pk__sbuf *b, char **out, size_t *len)
{
  str_head h;
  if (!pk__sbuf_put(b, "", 0)) {
    pk__sbuf_free(b);
    return PK_ENOMEM;
  }
  b->p[b->len] = '\0';
  h.fn = b->a.fn;
  h.ud = b->a.ud;
  h.size = b->cap;
  memcpy(b->p, &h, sizeof h);
  *out = b->p + sizeof h;
  if (len)
    *len = b->len - sizeof h;
  b->p = NULL;
  b->len = b->cap = 0;
  return PK_OK;
}

void pk_string_free(char *s)
{
  str_head h;
  char *block;
  if (!s)
    return;
  block = s - sizeof h;
  memcpy(&h, block, sizeof h);
  pk__allocator a = {h.fn, h.ud};
  pk__free(&a, block, h.size);
}

/* ---- context variables ---- */

static bool name_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool name_valid(const char *s, size_t len)
{
  if (len == 0 || len > NAME_MAX_LEN)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!name_char(s[i]))
      return false;
  return true;
}

pk_status pk_ctx_new(const pk_ctx_options *opts, pk_ctx **out, pk_error *err)
{
  pk_ctx_options o = {sizeof o, NULL, NULL, false};
  pk__allocator a;
  pk_ctx *ctx;
  if (out)
    *out = NULL;
  if (!out)
    return pk__fail(err, PK_EMISUSE, "pk_ctx_new: NULL out");
  if (opts) {
    /* Accept the sizes of older, shorter versions of the struct. */
    if (opts->size < sizeof o)
      return pk__fail(err, PK_EMISUSE, "pk_ctx_options.size must be set to "
                                       "sizeof(pk_ctx_options)");
    memcpy(&o, opts, sizeof o);
  }
  a.fn = o.alloc;
  a.ud = o.alloc_ud;
  ctx = pk__alloc_zero(&a, sizeof *ctx);
  if (!ctx)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  ctx->a = a;
  ctx->ignore_env = o.ignore_env;
  *out = ctx;
  return PK_OK;
}

static void var_free(const pk__allocator *a, ctx_var *v)
{
  pk__free(a, v->value, v->value_size);
  pk__free(a, v->name, v->name_len + 1);
  pk__free(a, v, sizeof *v);
}

void pk_ctx_free(pk_ctx *ctx)
{
  if (!ctx)
    return;
  pk__allocator a = ctx->a;
  for (size_t i = 0; i < ctx->n; i++)
    var_free(&a, ctx->list[i]);
  pk__free(&a, ctx->list, ctx->cap * sizeof *ctx->list);
  pk__map_free(&a, &ctx->vars);
  pk__free(&a, ctx, sizeof *ctx);
}

pk_status pk_ctx_set(pk_ctx *ctx, const char *name, const char *value,
                     pk_error *err)
{
  ctx_var *v;
  char *copy = NULL;
  size_t len, vsize = 0;
  if (!ctx || !name)
    return pk__fail(err, PK_EMISUSE, "pk_ctx_set: NULL %s",
                    ctx ? "name" : "ctx");
  len = strlen(name);
  if (!name_valid(name, len))
    return pk__fail(err, PK_EMISUSE,
                    "invalid ctx variable name \"%s\": use 1 to %d letters, "
                    "digits, '_', '.' or '-'",
                    name, NAME_MAX_LEN);
  if (value) {
    vsize = strlen(value) + 1;
    copy = pk__alloc(&ctx->a, vsize);
    if (!copy)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    memcpy(copy, value, vsize);
  }
  v = pk__map_get(&ctx->vars, name, len);
  if (!v) {
    if (!copy)
      return PK_OK; /* unsetting what was never set */
    v = pk__alloc_zero(&ctx->a, sizeof *v);
    if (v)
      v->name = pk__strdup(&ctx->a, name);
    if (!v || !v->name ||
        PK__VEC_PUSH(&ctx->a, ctx->list, ctx->n, ctx->cap, v) != PK_OK) {
      if (v)
        pk__free(&ctx->a, v->name, v->name ? len + 1 : 0);
      pk__free(&ctx->a, v, sizeof *v);
      pk__free(&ctx->a, copy, vsize);
      return pk__fail(err, PK_ENOMEM, "out of memory");
    }
    v->name_len = len;
    if (pk__map_put(&ctx->a, &ctx->vars, v->name, len, v) != PK_OK) {
      /* Stays in the list (freed with the ctx), unreachable by name. */
      pk__free(&ctx->a, copy, vsize);
      return pk__fail(err, PK_ENOMEM, "out of memory");
    }
  }
  pk__free(&ctx->a, v->value, v->value_size);
  v->value = copy;
  v->value_size = vsize;
  return PK_OK;
}

/* The environment name of ctx variable name: upper case, '.' -> "__",
 * '-' -> '_'.  buf holds at least 2 * NAME_MAX_LEN + 1 bytes. */
static void env_name_of(const char *name, size_t len, char *buf)
{
  size_t j = 0;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (c == '.') {
      buf[j++] = '_';
      buf[j++] = '_';
    } else if (c == '-') {
      buf[j++] = '_';
    } else {
      buf[j++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
  }
  buf[j] = '\0';
}

/* The value of ctx variable name[0..len) (valid), or NULL.  envbuf gets
 * the environment name that was (or would have been) read. */
static const char *ctx_lookup(const pk_ctx *ctx, const char *name, size_t len,
                              char *envbuf)
{
  env_name_of(name, len, envbuf);
  if (ctx) {
    const ctx_var *v = pk__map_get(&ctx->vars, name, len);
    if (v && v->value)
      return v->value;
    if (ctx->ignore_env)
      return NULL;
  }
  return getenv(envbuf);
}

const char *pk_ctx_get(const pk_ctx *ctx, const char *name)
{
  char envbuf[2 * NAME_MAX_LEN + 1];
  size_t len = name ? strlen(name) : 0;
  if (!name_valid(name, len))
    return NULL;
  return ctx_lookup(ctx, name, len, envbuf);
}

/* ---- formatting ---- */

/* The position of byte off of the text: the column moves only when the
 * text is on one line (a multi-line string keeps the string's position). */
static pk_pos pos_at(pk_pos pos, const char *text, size_t len, size_t off)
{
  if (pos.line > 0 && !memchr(text, '\n', len) && off < (size_t)INT32_MAX)
    pos.col += (int)off;
  return pos;
}

/* Expands one placeholder text[open..close] (the braces included). */
static pk_status expand(const pk_ctx *ctx, const char *text, size_t len,
                        pk_pos pos, size_t open, size_t close, pk__sbuf *b,
                        pk_error *err)
{
  const char *in = text + open + 1;
  size_t n = close - open - 1;
  const char *dot = memchr(in, '.', n);
  size_t nslen = dot ? (size_t)(dot - in) : n;
  pk_pos at = pos_at(pos, text, len, open);
  int show = (int)(close - open + 1 > 80 ? 80 : close - open + 1);
  bool is_ctx = nslen == 3 && !memcmp(in, "ctx", 3);
  bool is_env = nslen == 3 && !memcmp(in, "env", 3);
  const char *name, *value;
  size_t nlen;
  char envbuf[2 * NAME_MAX_LEN + 1];

  if (n == 0)
    return pk__fail_at(err, PK_ECONFIG, at,
                       "empty placeholder \"{}\": write \"{{}}\" for literal "
                       "braces");
  if (!is_ctx && !is_env)
    return pk__fail_at(err, PK_ECONFIG, at,
                       "unknown name \"%.*s\" in \"%.*s\": use {ctx.NAME} or "
                       "{env.NAME}, or \"{{\" and \"}}\" for literal braces",
                       (int)(nslen > 64 ? 64 : nslen), in, show, text + open);
  name = dot ? dot + 1 : in + n;
  nlen = (size_t)(in + n - name);
  if (!dot || nlen == 0)
    return pk__fail_at(err, PK_ECONFIG, at,
                       "missing variable name in \"%.*s\": write {%s.NAME}",
                       show, text + open, is_ctx ? "ctx" : "env");
  for (size_t i = 0; i < nlen; i++)
    if (!name_char(name[i]))
      return pk__fail_at(
          err, PK_ECONFIG, pos_at(pos, text, len, (size_t)(name + i - text)),
          "invalid character '%c' in \"%.*s\": variable names use letters, "
          "digits, '_', '.' and '-' (no format specs)",
          name[i], show, text + open);
  if (nlen > NAME_MAX_LEN)
    return pk__fail_at(err, PK_ECONFIG, at,
                       "variable name in \"%.*s\" is longer than %d bytes",
                       show, text + open, NAME_MAX_LEN);
  if (is_ctx) {
    value = ctx_lookup(ctx, name, nlen, envbuf);
    if (!value && ctx && ctx->ignore_env)
      return pk__fail_at(err, PK_EMISSING, at,
                         "ctx variable \"%.*s\" is not set: the host did not "
                         "set it",
                         (int)nlen, name);
    if (!value)
      return pk__fail_at(err, PK_EMISSING, at,
                         "ctx variable \"%.*s\" is not set: the host did not "
                         "set it and %s is not in the environment",
                         (int)nlen, name, envbuf);
  } else {
    memcpy(envbuf, name, nlen);
    envbuf[nlen] = '\0';
    value = getenv(envbuf);
    if (!value)
      return pk__fail_at(err, PK_EMISSING, at,
                         "environment variable \"%s\" is not set", envbuf);
  }
  if (!pk__sbuf_put(b, value, strlen(value)))
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

pk_status pk__format(const pk_ctx *ctx, const char *text, size_t len,
                     pk_pos pos, pk__sbuf *b, pk_error *err)
{
  size_t i = 0;
  while (i < len) {
    size_t run = i;
    while (run < len && text[run] != '{' && text[run] != '}')
      run++;
    if (!pk__sbuf_put(b, text + i, run - i))
      return pk__fail(err, PK_ENOMEM, "out of memory");
    i = run;
    if (i == len)
      break;
    if (i + 1 < len && text[i + 1] == text[i]) { /* {{ or }} */
      if (!pk__sbuf_putc(b, text[i]))
        return pk__fail(err, PK_ENOMEM, "out of memory");
      i += 2;
      continue;
    }
    if (text[i] == '}')
      return pk__fail_at(err, PK_ECONFIG, pos_at(pos, text, len, i),
                         "unbalanced \"}\": write \"}}\" for a literal brace");
    size_t close = i + 1;
    while (close < len && text[close] != '}' && text[close] != '{')
      close++;
    if (close == len || text[close] == '{')
      return pk__fail_at(err, PK_ECONFIG, pos_at(pos, text, len, i),
                         "unbalanced \"{\": close the placeholder with \"}\", "
                         "or write \"{{\" for a literal brace");
    pk_status st = expand(ctx, text, len, pos, i, close, b, err);
    if (st != PK_OK)
      return st;
    i = close + 1;
  }
  /* Always leave a buffer, even for empty output. */
  if (!pk__sbuf_put(b, "", 0))
    return pk__fail(err, PK_ENOMEM, "out of memory");
  b->p[b->len] = '\0';
  return PK_OK;
}

pk_status pk_format(const pk_ctx *ctx, const char *text, size_t len,
                    pk_pos pos, char **out, size_t *out_len, pk_error *err)
{
  pk__sbuf b;
  pk_status st;
  if (out)
    *out = NULL;
  if (!out || (!text && len))
    return pk__fail(err, PK_EMISUSE, "pk_format: NULL %s",
                    out ? "text" : "out");
  pk__sbuf_init(&b, ctx ? &ctx->a : NULL, true);
  st = pk__format(ctx, text ? text : "", len, pos, &b, err);
  if (st == PK_OK && pk__sbuf_take_tagged(&b, out, out_len) != PK_OK)
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  if (st != PK_OK)
    pk__sbuf_free(&b);
  return st;
}

/* ---- numbers ---- */

/* The shortest text that reads back as x ("%.17g" at worst), with a ".0"
 * when it would otherwise read as an integer (1.0, not 1). */
void pk__fmt_double(char *buf, size_t n, double x)
{
  const char *radix = localeconv()->decimal_point;
  char *dot;
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, n, "%.*g", p, x);
    if (strtod(buf, NULL) == x || !isfinite(x))
      break;
  }
  /* printf and strtod follow the locale; the text we write does not. */
  if (radix[0] && radix[0] != '.' && (dot = strchr(buf, radix[0])) != NULL)
    *dot = '.';
  if (isfinite(x) && !strpbrk(buf, ".e") && strlen(buf) + 3 <= n)
    strcat(buf, ".0");
}

