/* error.c -- the status table, pk_error helpers and pk_diag (a list of
 * problems).
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "base.h"

static const char *const status_names[] = {
#define X(name, text) "PK_" #name,
    PK_STATUS_MAP(X)
#undef X
};

static const char *const status_strings[] = {
#define X(name, text) text,
    PK_STATUS_MAP(X)
#undef X
};

const char *pk_status_name(pk_status status)
{
  if ((unsigned)status >= PK_STATUS_COUNT)
    return "PK_UNKNOWN";
  return status_names[status];
}

const char *pk_status_string(pk_status status)
{
  if ((unsigned)status >= PK_STATUS_COUNT)
    return "unknown status";
  return status_strings[status];
}

const char *pk_version(void) { return PK_VERSION_STRING; }

void pk__copy_str(char *dst, size_t n, const char *src)
{
  size_t len = src ? strlen(src) : 0;
  if (len >= n)
    len = n - 1;
  if (len)
    memcpy(dst, src, len);
  dst[len] = '\0';
}

void pk_error_clear(pk_error *err)
{
  if (!err)
    return;
  err->code = PK_OK;
  err->line = err->col = 0;
  err->source[0] = err->plugin[0] = err->message[0] = '\0';
}

pk_status pk__vfail_at(pk_error *err, pk_status code, pk_pos pos,
                       const char *fmt, va_list ap)
{
  if (!err)
    return code;
  err->code = code;
  err->line = pos.line;
  err->col = pos.col;
  pk__copy_str(err->source, sizeof err->source, pos.source);
  err->plugin[0] = '\0';
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  return code;
}

pk_status pk__fail_at(pk_error *err, pk_status code, pk_pos pos,
                      const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(err, code, pos, fmt, ap);
  va_end(ap);
  return code;
}

pk_status pk__fail(pk_error *err, pk_status code, const char *fmt, ...)
{
  pk_pos none = {NULL, 0, 0};
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(err, code, none, fmt, ap);
  va_end(ap);
  return code;
}

pk_status pk__error_set_plugin(pk_error *err, const char *plugin)
{
  if (!err)
    return PK_OK;
  pk__copy_str(err->plugin, sizeof err->plugin, plugin);
  return err->code;
}

pk_status pk__error_copy(pk_error *dst, const pk_error *src)
{
  if (dst && src && dst != src)
    *dst = *src;
  return src ? src->code : PK_OK;
}

size_t pk_error_format(const pk_error *err, char *buf, size_t n)
{
  int len;
  if (!err)
    len = snprintf(buf, n, "no error");
  else if (err->source[0] && err->line > 0)
    len = snprintf(buf, n, "%s:%d:%d: %s", err->source, err->line, err->col,
                   err->message);
  else if (err->source[0])
    len = snprintf(buf, n, "%s: %s", err->source, err->message);
  else
    len = snprintf(buf, n, "%s", err->message);
  return len < 0 ? 0 : (size_t)len;
}

/* ---- diagnostics ---- */

struct pk_diag {
  pk__allocator a;
  pk_error *items;
  size_t n, cap, max, dropped;
};

pk_status pk_diag_new(const pk_diag_options *opts, pk_diag **out,
                      pk_error *err)
{
  pk_diag_options o = {sizeof o, NULL, NULL, 0};
  pk__allocator a;
  if (out)
    *out = NULL;
  if (!out)
    return pk__fail(err, PK_EMISUSE, "pk_diag_new: NULL out");
  if (opts) {
    if (opts->size < sizeof o)
      return pk__fail(err, PK_EMISUSE, "pk_diag_options.size must be set to "
                                       "sizeof(pk_diag_options)");
    memcpy(&o, opts, sizeof o);
  }
  a.fn = o.alloc;
  a.ud = o.alloc_ud;
  *out = pk__alloc_zero(&a, sizeof **out);
  if (!*out)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  (*out)->a = a;
  (*out)->max = o.max;
  return PK_OK;
}

void pk_diag_free(pk_diag *diag)
{
  if (!diag)
    return;
  pk__allocator a = diag->a;
  pk__free(&a, diag->items, diag->cap * sizeof *diag->items);
  pk__free(&a, diag, sizeof *diag);
}

size_t pk_diag_count(const pk_diag *diag) { return diag ? diag->n : 0; }

const pk_error *pk_diag_at(const pk_diag *diag, size_t i)
{
  return diag && i < diag->n ? &diag->items[i] : NULL;
}

size_t pk_diag_dropped(const pk_diag *diag) { return diag ? diag->dropped : 0; }

void pk_diag_clear(pk_diag *diag)
{
  if (diag)
    diag->n = diag->dropped = 0;
}

pk_status pk_diag_add(pk_diag *diag, const pk_error *problem, pk_error *err)
{
  if (!diag || !problem)
    return pk__fail(err, PK_EMISUSE, "pk_diag_add: NULL %s",
                    diag ? "problem" : "diag");
  if (diag->max && diag->n >= diag->max) {
    diag->dropped++;
    return PK_OK;
  }
  if (PK__VEC_PUSH(&diag->a, diag->items, diag->n, diag->cap, *problem) !=
      PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

pk_status pk__diag_report(pk_diag *diag, pk_error *first, bool *failed,
                          const pk_error *e)
{
  if (!*failed)
    *first = *e;
  *failed = true;
  if (diag && pk_diag_add(diag, e, NULL) != PK_OK)
    return PK_ENOMEM;
  return PK_OK;
}
