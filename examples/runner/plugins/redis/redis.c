/* redis.c -- the runner's `redis` cache type: a remote store layered over
 * the local cache (its base).  On a local miss it GETs PREFIX:SLUG:HASH and,
 * when the entry is intact, writes it into the local store (on_miss); after
 * a local write it SETs the same bytes (post_set).  It connects on first
 * use; when Redis cannot be reached, or a command fails on the way (the
 * connection drops mid-transfer, a time-out, an answer that is not the
 * protocol, an array, a string over 512 MB) it warns once and stays down
 * for the rest of the process; an error reply (WRONGTYPE, OOM, ...) or a
 * reply of a type the command does not answer (an integer to a GET) is a
 * warning with the command, the key and what the server said, and a miss:
 * a remote never fails a run.
 *
 * The runner's workers call the hooks at once (runner_api.h): each call
 * takes a connection from the instance's pool (or opens one), uses it
 * without a lock and puts it back, so there are at most as many
 * connections as workers, and one slow reply holds up one worker.  The
 * lock guards the pool and `down` only.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <plugkit/plugin.h>

#include "runner_api.h"

/* The bound config: [caches.NAME], then [plugins.ALIAS], then defaults. */
typedef struct redis_conf {
  const char *url;
  const char *prefix;
  int64_t ttl;
  int64_t timeout_ms;
} redis_conf;

typedef struct redis_cache {
  runner_cache c;          /* what the runner sees; c.self is this */
  const runner_host *host;
  char *name;              /* the instance: [caches.NAME] */
  char *url, *server, *prefix;
  int port, db;            /* db < 0: no SELECT */
  long long ttl;
  struct timeval timeout;
  pthread_mutex_t mu;      /* guards idle, nidle, cap and down */
  redisContext **idle;     /* connections not in use */
  size_t nidle, cap;
  int down;                /* 1 after a failure: no more attempts */
} redis_cache;

static char *dup_str(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  return d ? memcpy(d, s, n) : NULL;
}

/* Parses redis://HOST[:PORT][/DB]; 0 or -1. */
static int parse_url(const char *url, char **server, int *port, int *db)
{
  const char *p = url, *h;
  if (strncmp(p, "redis://", 8) != 0)
    return -1;
  h = p += 8;
  while (*p && *p != ':' && *p != '/')
    p++;
  if (p == h)
    return -1;
  *port = 6379;
  *db = -1;
  if (*p == ':') {
    long v = 0;
    const char *d = ++p;
    while (*p >= '0' && *p <= '9' && v <= 65535)
      v = v * 10 + (*p++ - '0');
    if (p == d || v < 1 || v > 65535 || (*p && *p != '/'))
      return -1;
    *port = (int)v;
  }
  if (*p == '/') {
    long v = 0;
    const char *d = ++p;
    while (*p >= '0' && *p <= '9' && v <= 1000000)
      v = v * 10 + (*p++ - '0');
    if (p == d || *p || v > 1000000)
      return -1;
    *db = (int)v;
  }
  size_t n = strcspn(h, ":/");
  if (!(*server = malloc(n + 1)))
    return -1;
  memcpy(*server, h, n);
  (*server)[n] = 0;
  return 0;
}

/* Gives up on Redis for the rest of the process (warns the first time:
 * "cannot reach URL" when connecting, else "WHAT at URL", e.g. "GET KEY at
 * redis://..."); frees c, the connection that failed, when not NULL. */
static void go_down(redis_cache *r, redisContext *c, const char *what,
                    const char *why)
{
  pthread_mutex_lock(&r->mu);
  int was = r->down;
  r->down = 1;
  pthread_mutex_unlock(&r->mu);
  if (!was)
    r->host->warn("cache %s (redis): %s%s%s: %s; using the local cache only",
                  r->name, what ? what : "cannot reach ", what ? " at " : "",
                  r->url, why);
  if (c)
    redisFree(c);
}

/* Why the context c failed, into buf. */
static const char *reason(const redis_cache *r, const redisContext *c,
                          char *buf, size_t n)
{
  if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
    snprintf(buf, n, "no answer within %ld ms",
             (long)(r->timeout.tv_sec * 1000 + r->timeout.tv_usec / 1000));
  else
    snprintf(buf, n, "%s", c->errstr[0] ? c->errstr : "connection lost");
  return buf;
}

/* The longest string reply read: a Redis string is at most 512 MB (its
 * proto-max-bulk-len), and an entry is one string. */
#define MAX_STRING ((long long)512 << 20)

/* Why the reply starting in c's read buffer is refused before hiredis
 * reads it, or NULL: an array (a GET or SET answers none, and hiredis
 * allocates all of an array's elements as soon as it reads its length) or
 * a string over MAX_STRING (hiredis buffers a string whole). */
static const char *refused(const redisContext *c, char *buf, size_t n)
{
  const char *b = c->reader->buf + c->reader->pos;
  size_t len = c->reader->len - c->reader->pos;
  if (len && b[0] == '*')
    return "the server answered an array (a GET or SET answers none)";
  long long size = len && b[0] == '$' && memchr(b, '\n', len)
                      ? strtoll(b + 1, NULL, 10)
                      : 0;
  if (size > MAX_STRING) {
    snprintf(buf, n, "the server answered a string of %lld bytes (Redis "
             "sends at most 512 MB)", size);
    return buf;
  }
  return NULL;
}

/* redisvCommand, reading the reply step by step (as hiredis does) so that
 * refused() sees its start first; NULL with c->err and c->errstr set. */
static redisReply *send_and_read(redisContext *c, const char *fmt, va_list ap)
{
  int done = 0;
  if (redisvAppendCommand(c, fmt, ap) != REDIS_OK)
    return NULL;
  while (!done)
    if (redisBufferWrite(c, &done) != REDIS_OK)
      return NULL;
  for (;;) {
    void *rep = NULL;
    char text[100];
    const char *why = refused(c, text, sizeof text);
    if (why) {
      c->err = REDIS_ERR_PROTOCOL;
      snprintf(c->errstr, sizeof c->errstr, "%s", why);
      return NULL;
    }
    if (redisReaderGetReply(c->reader, &rep) != REDIS_OK) {
      c->err = c->reader->err;
      snprintf(c->errstr, sizeof c->errstr, "%s", c->reader->errstr);
      return NULL;
    }
    if (rep)
      return rep;
    if (redisBufferRead(c) != REDIS_OK)
      return NULL;
  }
}

/* send_and_read with the arguments given here. */
static redisReply *ask(redisContext *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  redisReply *rep = send_and_read(c, fmt, ap);
  va_end(ap);
  return rep;
}

/* A new connection, or NULL after go_down. */
static redisContext *connect_new(redis_cache *r)
{
  char why[200];
  redisContext *c = redisConnectWithTimeout(r->server, r->port, r->timeout);
  if (!c || c->err) {
    go_down(r, c, NULL, c ? reason(r, c, why, sizeof why) : "out of memory");
    return NULL;
  }
  if (redisSetTimeout(c, r->timeout) != REDIS_OK) {
    go_down(r, c, NULL, "cannot set the command timeout");
    return NULL;
  }
  if (r->db >= 0) {
    redisReply *rep = ask(c, "SELECT %d", r->db);
    int ok = rep && rep->type != REDIS_REPLY_ERROR;
    snprintf(why, sizeof why, "SELECT %d: %s", r->db,
             !rep ? c->errstr : ok ? "" : rep->str);
    if (rep)
      freeReplyObject(rep);
    if (!ok) {
      go_down(r, c, NULL, why);
      return NULL;
    }
  }
  return c;
}

/* A connection for this call: an idle one, else a new one; NULL when
 * Redis is down. */
static redisContext *take(redis_cache *r)
{
  pthread_mutex_lock(&r->mu);
  redisContext *c = r->down ? NULL : r->nidle ? r->idle[--r->nidle] : NULL;
  int down = r->down;
  pthread_mutex_unlock(&r->mu);
  return c || down ? c : connect_new(r);
}

/* Puts c back in the pool (closes it when Redis went down meanwhile). */
static void give_back(redis_cache *r, redisContext *c)
{
  pthread_mutex_lock(&r->mu);
  if (!r->down && r->nidle == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 4;
    redisContext **v = realloc(r->idle, cap * sizeof *v);
    if (v) {
      r->idle = v;
      r->cap = cap;
    }
  }
  int kept = !r->down && r->nidle < r->cap;
  if (kept)
    r->idle[r->nidle++] = c;
  pthread_mutex_unlock(&r->mu);
  if (!kept)
    redisFree(c);
}

/* A copy of the server's text safe to print (control bytes as '?'). */
static const char *printable(const char *s, char *out, size_t n)
{
  size_t k = 0;
  for (; s[k] && k + 1 < n; k++)
    out[k] = (unsigned char)s[k] < 0x20 || s[k] == 0x7f ? '?' : s[k];
  out[k] = 0;
  return out;
}

/* What a reply is, for a warning: "an integer (42)", "a status (QUEUED)". */
static const char *reply_kind(const redisReply *rep, char *buf, size_t n)
{
  char text[100];
  switch (rep->type) {
  case REDIS_REPLY_STRING: return "a string";
  case REDIS_REPLY_NIL: return "nil";
  case REDIS_REPLY_INTEGER:
    snprintf(buf, n, "an integer (%lld)", rep->integer);
    return buf;
  case REDIS_REPLY_STATUS:
    snprintf(buf, n, "a status (%s)", printable(rep->str, text, sizeof text));
    return buf;
  default: /* RESP3's types, with a newer hiredis */
    snprintf(buf, n, "a reply of type %d", rep->type);
    return buf;
  }
}

/* Runs one command (printf-like, hiredis's %b for binary); the reply, or
 * NULL when Redis is down, cannot be reached or fails on the way (then
 * down for good), answers an error, or answers a type not in want (a
 * mask of 1 << REDIS_REPLY_*): for the last two a warning says what (e.g.
 * "GET KEY"), the server's text or reply, and then (e.g. "treated as a
 * miss"), and Redis stays up. */
static redisReply *command(redis_cache *r, const char *what,
                           const char *then, unsigned want, const char *fmt,
                           ...)
{
  redisReply *rep = NULL;
  char text[200];
  redisContext *c = take(r);
  if (!c)
    return NULL;
  va_list ap;
  va_start(ap, fmt);
  rep = send_and_read(c, fmt, ap);
  va_end(ap);
  if (!rep) {
    char why[200];
    go_down(r, c, what, reason(r, c, why, sizeof why));
    return NULL;
  }
  if (rep->type == REDIS_REPLY_ERROR) {
    r->host->warn("cache %s (redis): %s: the server answered %s; %s",
                  r->name, what, printable(rep->str, text, sizeof text),
                  then);
    freeReplyObject(rep);
    rep = NULL;
  } else if (!(want & 1u << rep->type)) {
    r->host->warn("cache %s (redis): %s: the server answered %s; %s",
                  r->name, what, reply_kind(rep, text, sizeof text), then);
    freeReplyObject(rep);
    rep = NULL;
  }
  give_back(r, c);
  return rep;
}

/* The Redis key of an entry; malloc()ed, or NULL. */
static char *key_of(const redis_cache *r, const runner_key *k, size_t *len)
{
  size_t n = strlen(r->prefix) + strlen(k->slug) + strlen(k->hash) + 3;
  char *s = malloc(n);
  if (s)
    *len = (size_t)snprintf(s, n, "%s:%s:%s", r->prefix, k->slug, k->hash);
  return s;
}

static int redis_on_miss(runner_cache *c, const runner_key *k)
{
  redis_cache *r = c->self;
  size_t klen;
  char *key = key_of(r, k, &klen);
  if (!key)
    return 0;
  char what[400];
  snprintf(what, sizeof what, "GET %s", key);
  redisReply *rep =
      command(r, what, "treated as a miss",
              1u << REDIS_REPLY_STRING | 1u << REDIS_REPLY_NIL, "GET %b", key,
              klen);
  free(key);
  int stored = 0;
  if (rep && rep->type == REDIS_REPLY_STRING) {
    char why[200] = "";
    if (r->host->check_entry(rep->str, rep->len, k, why, sizeof why) != 0)
      r->host->warn("cache %s (redis): remote entry of %s is unusable (%s); "
                    "ignored", r->name, k->runnable, why);
    else
      stored = c->base->write_entry(c->base, k, rep->str, rep->len) == 0;
  }
  if (rep)
    freeReplyObject(rep);
  return stored;
}

static void redis_post_set(runner_cache *c, const runner_key *k)
{
  redis_cache *r = c->self;
  char *data, *key;
  size_t len, klen;
  pthread_mutex_lock(&r->mu);
  int down = r->down;
  pthread_mutex_unlock(&r->mu);
  if (down || c->base->read_entry(c->base, k, &data, &len) != 0)
    return;
  if ((key = key_of(r, k, &klen)) != NULL) {
    char what[400];
    const char *then = "the entry is kept locally only";
    snprintf(what, sizeof what, "SET %s", key);
    const unsigned ok = 1u << REDIS_REPLY_STATUS;
    redisReply *rep = r->ttl > 0
        ? command(r, what, then, ok, "SET %b %b EX %lld", key, klen, data,
                  len, r->ttl)
        : command(r, what, then, ok, "SET %b %b", key, klen, data, len);
    if (rep)
      freeReplyObject(rep);
    free(key);
  }
  free(data);
}

static void redis_destroy(void *data, void *inst)
{
  redis_cache *r = inst ? ((runner_cache *)inst)->self : NULL;
  (void)data;
  if (!r)
    return;
  for (size_t i = 0; i < r->nidle; i++)
    redisFree(r->idle[i]);
  free(r->idle);
  pthread_mutex_destroy(&r->mu);
  free(r->name);
  free(r->url);
  free(r->server);
  free(r->prefix);
  free(r);
}

static int redis_factory(const pk_type_call *call, void **out)
{
  const redis_conf *cf = call->config;
  const char *url = cf->url ? cf->url : "redis://127.0.0.1:6379";
  int64_t tmo = cf->timeout_ms > 0 ? cf->timeout_ms : 500;
  runner_cache *base = call->base;
  if (!base || !base->read_entry || !base->write_entry) {
    snprintf(call->error, call->error_size,
             "the redis cache needs a local cache to extend");
    return -1;
  }
  redis_cache *r = calloc(1, sizeof *r);
  if (!r || pthread_mutex_init(&r->mu, NULL) != 0) {
    free(r);
    snprintf(call->error, call->error_size, "out of memory");
    return -1;
  }
  r->host = call->host_userdata;
  r->c.size = sizeof r->c;
  r->c.type = "redis";
  r->c.base = base;
  r->c.self = r;
  r->c.on_miss = redis_on_miss;
  r->c.post_set = redis_post_set;
  r->name = dup_str(call->name ? call->name : "?");
  r->url = dup_str(url);
  r->prefix = dup_str(cf->prefix ? cf->prefix : "runner");
  r->ttl = cf->ttl > 0 ? (long long)cf->ttl : 0;
  r->timeout.tv_sec = (time_t)(tmo / 1000);
  r->timeout.tv_usec = (suseconds_t)(tmo % 1000 * 1000);
  if (!r->name || !r->url || !r->prefix ||
      parse_url(url, &r->server, &r->port, &r->db) != 0) {
    if (!r->name || !r->url || !r->prefix)
      snprintf(call->error, call->error_size, "out of memory");
    else
      snprintf(call->error, call->error_size,
               "url \"%s\": expected redis://HOST[:PORT][/DB]", url);
    redis_destroy(NULL, &r->c);
    return -1;
  }
  *out = &r->c;
  return 0;
}

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  static const pk_plugin_binding binds[] = {
      PK_PLUGIN_BIND(redis_conf, url, "url", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(redis_conf, prefix, "prefix", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(redis_conf, ttl, "ttl", PK_PLUGIN_C_INT64),
      PK_PLUGIN_BIND(redis_conf, timeout_ms, "timeout-ms", PK_PLUGIN_C_INT64)};
  const pk_type_impl impl = {sizeof impl, "cache", "redis", redis_factory,
                             redis_destroy, NULL, binds,
                             sizeof binds / sizeof *binds, sizeof(redis_conf)};
  (void)ud;
  return api->type_add(ctx, &impl);
}

PK_PLUGIN_DEFINE("runner", "redis", RUNNER_ABI, on_register, NULL, NULL);
