/* s3.c -- the runner's `s3` cache type (qik's S3 plugin): a remote store
 * in an S3 bucket, layered over the local cache (its base).  On a local
 * miss it GETs ENDPOINT/BUCKET/PREFIX/SLUG-HASH.entry and, when the entry
 * is intact (the runner's check: its digest, and with a cache key its
 * HMAC), writes it into the local store (on_miss); after a local write it
 * PUTs the same bytes (post_set).  Requests are signed with AWS
 * Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4), path-style, so any
 * S3-compatible server works (s3rver, MinIO, Garage, ...); the body's
 * SHA-256 is sent as x-amz-content-sha256, so a server checking it stores
 * no upload cut short, and an object cut short anyway fails the entry's
 * digest and is never replayed.
 *
 * Faults never fail a run: a server that cannot be reached, times out or
 * does not answer HTTP is one warning, and the cache is local only for
 * the rest of the process; an error status (403, 500, ...) is a warning
 * with the request, the status and the server's <Code>, and a miss; a 404
 * is a plain miss.
 *
 * The runner's workers call the hooks at once (runner_api.h): each call
 * uses its own curl handle; the lock guards `down` only.
 * SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugkit/plugin.h>

#include "plugin_util.h"
#include "runner_api.h"

/* An object bigger than this is refused (a cache entry holds artifacts:
 * large, but not without bound). */
#define MAX_OBJECT ((size_t)4 << 30)

/* The bound config: [caches.NAME], then [plugins.ALIAS], then defaults. */
typedef struct s3_conf {
  const char *bucket;
  const char *prefix;
  const char *endpoint;
  const char *region;
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token;
  int64_t timeout_ms;
} s3_conf;

typedef struct s3_cache {
  runner_cache c;          /* what the runner sees; c.self is this */
  const runner_host *host;
  char *name;              /* the instance: [caches.NAME] */
  char *base_url;          /* ENDPOINT/BUCKET[/PREFIX] */
  char *sigv4;             /* "aws:amz:REGION:s3" */
  char *userpwd;           /* "KEY:SECRET", or NULL: unsigned requests */
  char *token_header;      /* "x-amz-security-token: ...", or NULL */
  long timeout_ms;
  pthread_mutex_t mu;      /* guards down */
  int down;                /* 1 after a transport failure */
} s3_cache;

static char *dup_str(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  return d ? memcpy(d, s, n) : NULL;
}

/* s with every byte but [A-Za-z0-9-._~/] percent-encoded (S3's key
 * encoding; "/" separates the key's parts); malloc()ed. */
static char *key_escape(const char *s)
{
  char *out = malloc(3 * strlen(s) + 1), *o = out;
  if (!out)
    return NULL;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
        (*c >= '0' && *c <= '9') || strchr("-._~/", *c))
      *o++ = (char)*c;
    else
      o += sprintf(o, "%%%02X", *c);
  *o = 0;
  return out;
}

static int is_down(s3_cache *s)
{
  pthread_mutex_lock(&s->mu);
  int d = s->down;
  pthread_mutex_unlock(&s->mu);
  return d;
}

/* Gives up on the server for the rest of the process (warns once). */
static void go_down(s3_cache *s, const char *what, const char *why)
{
  pthread_mutex_lock(&s->mu);
  int was = s->down;
  s->down = 1;
  pthread_mutex_unlock(&s->mu);
  if (!was)
    s->host->warn("cache %s (s3): %s: %s; using the local cache only",
                  s->name, what, why);
}

/* A response body, bounded. */
typedef struct body {
  char *p;
  size_t n, cap;
  int too_big;
} body;

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
  body *b = ud;
  size_t n = size * nmemb;
  if (n > MAX_OBJECT - b->n) {
    b->too_big = 1;
    return 0; /* curl ends the transfer */
  }
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return 0;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
  b->p[b->n] = 0;
  return n;
}

/* The <Code> of an S3 error body, printable, into out. */
static const char *error_code(const body *b, char *out, size_t n)
{
  const char *c = b->p ? strstr(b->p, "<Code>") : NULL;
  const char *e = c ? strstr(c + 6, "</Code>") : NULL;
  size_t k = 0;
  if (c && e)
    for (c += 6; c < e && k + 1 < n; c++)
      out[k++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
  out[k] = 0;
  return k ? out : "no error code";
}

/* The SHA-256 of data in hex (x-amz-content-sha256). */
static void sha256_hex(const char *data, size_t len, char hex[65])
{
  struct sha256_ctx ctx;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_init(&ctx);
  sha256_update(&ctx, len, (const uint8_t *)data);
  sha256_digest(&ctx, sizeof d, d);
  for (size_t i = 0; i < sizeof d; i++)
    sprintf(hex + 2 * i, "%02x", d[i]);
}

/* One signed request for the object of k: GET (put == NULL) or PUT of
 * put (len bytes).  The HTTP status, or 0 after go_down (the server
 * cannot be reached or does not answer HTTP); the body into b. */
static long request(s3_cache *s, const runner_key *k, const char *put,
                    size_t len, body *b, char *what, size_t wn)
{
  char *key = plugin_printf("%s-%s.entry", k->slug, k->hash);
  char *url = key ? plugin_printf("%s/%s", s->base_url, key) : NULL;
  snprintf(what, wn, "%s %s", put ? "PUT" : "GET", url ? url : "?");
  free(key);
  CURL *h = url ? curl_easy_init() : NULL;
  if (!h) {
    free(url);
    s->host->warn("cache %s (s3): %s: out of memory", s->name, what);
    return -1;
  }
  char sha[65], err[CURL_ERROR_SIZE] = "";
  sha256_hex(put ? put : "", put ? len : 0, sha);
  char *sha_header = plugin_printf("x-amz-content-sha256: %s", sha);
  struct curl_slist *hs = NULL;
  hs = curl_slist_append(hs, sha_header);
  if (s->token_header)
    hs = curl_slist_append(hs, s->token_header);
  if (put)
    hs = curl_slist_append(hs, "Content-Type: application/octet-stream");
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
  if (s->userpwd) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(h, CURLOPT_USERPWD, s->userpwd);
  }
  if (put) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, put);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  }
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  if (rc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  curl_slist_free_all(hs);
  free(sha_header);
  free(url);
  if (rc == CURLE_WRITE_ERROR && b->too_big) {
    s->host->warn("cache %s (s3): %s: the object is over %zu bytes; "
                  "treated as a miss", s->name, what, MAX_OBJECT);
    return -1;
  }
  if (rc != CURLE_OK) {
    go_down(s, what, err[0] ? err : curl_easy_strerror(rc));
    return 0;
  }
  return status;
}

static int s3_on_miss(runner_cache *c, const runner_key *k)
{
  s3_cache *s = c->self;
  if (is_down(s))
    return 0;
  body b = {0};
  char what[1024], code[100];
  long st = request(s, k, NULL, 0, &b, what, sizeof what);
  int stored = 0;
  if (st == 200) {
    char why[200] = "";
    if (s->host->check_entry(b.p ? b.p : "", b.n, k, why, sizeof why) != 0)
      s->host->warn("cache %s (s3): remote entry of %s is unusable (%s); "
                    "ignored", s->name, k->runnable, why);
    else
      stored = c->base->write_entry(c->base, k, b.p, b.n) == 0;
  } else if (st > 0 && st != 404) {
    s->host->warn("cache %s (s3): %s: the server answered %ld (%s); "
                  "treated as a miss", s->name, what, st,
                  error_code(&b, code, sizeof code));
  }
  free(b.p);
  return stored;
}

static void s3_post_set(runner_cache *c, const runner_key *k)
{
  s3_cache *s = c->self;
  char *data;
  size_t len;
  if (is_down(s) || c->base->read_entry(c->base, k, &data, &len) != 0)
    return;
  body b = {0};
  char what[1024], code[100];
  long st = request(s, k, data, len, &b, what, sizeof what);
  if (st > 0 && (st < 200 || st > 299))
    s->host->warn("cache %s (s3): %s: the server answered %ld (%s); the "
                  "entry is kept locally only", s->name, what, st,
                  error_code(&b, code, sizeof code));
  free(b.p);
  free(data);
}

static void s3_destroy(void *data, void *inst)
{
  s3_cache *s = inst ? ((runner_cache *)inst)->self : NULL;
  (void)data;
  if (!s)
    return;
  pthread_mutex_destroy(&s->mu);
  free(s->name);
  free(s->base_url);
  free(s->sigv4);
  free(s->userpwd);
  free(s->token_header);
  free(s);
}

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init;

static void curl_start(void) { g_curl_init = curl_global_init(CURL_GLOBAL_ALL); }

/* Whether s is set and not empty. */
static int given(const char *s) { return s && s[0]; }

static int s3_factory(const pk_type_call *call, void **out)
{
  const s3_conf *cf = call->config;
  runner_cache *base = call->base;
  const char *region = given(cf->region) ? cf->region : "us-east-1";
  if (!base || !base->read_entry || !base->write_entry) {
    snprintf(call->error, call->error_size,
             "the s3 cache needs a local cache to extend");
    return -1;
  }
  if (!given(cf->bucket) || strpbrk(cf->bucket, "/?#% ")) {
    snprintf(call->error, call->error_size, "bucket \"%s\": set the "
             "bucket's name (in [caches.NAME] or [plugins.ALIAS])",
             cf->bucket ? cf->bucket : "");
    return -1;
  }
  if (given(cf->endpoint) && strncmp(cf->endpoint, "http://", 7) &&
      strncmp(cf->endpoint, "https://", 8)) {
    snprintf(call->error, call->error_size, "endpoint \"%s\": expected "
             "http://HOST[:PORT] or https://HOST[:PORT]", cf->endpoint);
    return -1;
  }
  if (given(cf->access_key_id) != given(cf->secret_access_key)) {
    snprintf(call->error, call->error_size, "set both access-key-id and "
             "secret-access-key (e.g. \"{env.AWS_ACCESS_KEY_ID}\"), or "
             "neither for unsigned requests");
    return -1;
  }
  pthread_once(&g_curl_once, curl_start);
  if (g_curl_init != CURLE_OK) {
    snprintf(call->error, call->error_size, "libcurl did not start: %s",
             curl_easy_strerror(g_curl_init));
    return -1;
  }
  s3_cache *s = calloc(1, sizeof *s);
  if (!s || pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s);
    snprintf(call->error, call->error_size, "out of memory");
    return -1;
  }
  s->host = call->host_userdata;
  s->c.size = sizeof s->c;
  s->c.type = "s3";
  s->c.base = base;
  s->c.self = s;
  s->c.on_miss = s3_on_miss;
  s->c.post_set = s3_post_set;
  s->timeout_ms = cf->timeout_ms > 0 ? (long)cf->timeout_ms : 10000;
  s->name = dup_str(call->name ? call->name : "?");
  char *endpoint = given(cf->endpoint)
                       ? dup_str(cf->endpoint)
                       : plugin_printf("https://s3.%s.amazonaws.com", region);
  size_t el = endpoint ? strlen(endpoint) : 0;
  while (el && endpoint[el - 1] == '/')
    endpoint[--el] = 0;
  char *prefix = key_escape(given(cf->prefix) ? cf->prefix : "");
  size_t pl = prefix ? strlen(prefix) : 0;
  while (pl && prefix[pl - 1] == '/')
    prefix[--pl] = 0;
  s->base_url = endpoint && prefix
                    ? plugin_printf("%s/%s%s%s", endpoint, cf->bucket,
                                 pl ? "/" : "", prefix)
                    : NULL;
  s->sigv4 = plugin_printf("aws:amz:%s:s3", region);
  if (given(cf->access_key_id))
    s->userpwd = plugin_printf("%s:%s", cf->access_key_id,
                            cf->secret_access_key);
  if (given(cf->session_token))
    s->token_header = plugin_printf("x-amz-security-token: %s",
                                 cf->session_token);
  free(endpoint);
  free(prefix);
  if (!s->name || !s->base_url || !s->sigv4 ||
      (given(cf->access_key_id) && !s->userpwd) ||
      (given(cf->session_token) && !s->token_header)) {
    snprintf(call->error, call->error_size, "out of memory");
    s3_destroy(NULL, &s->c);
    return -1;
  }
  *out = &s->c;
  return 0;
}

static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx, void *ud)
{
  static const pk_plugin_binding binds[] = {
      PK_PLUGIN_BIND(s3_conf, bucket, "bucket", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, prefix, "prefix", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, endpoint, "endpoint", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, region, "region", PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, access_key_id, "access-key-id",
                     PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, secret_access_key, "secret-access-key",
                     PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, session_token, "session-token",
                     PK_PLUGIN_C_STRING),
      PK_PLUGIN_BIND(s3_conf, timeout_ms, "timeout-ms", PK_PLUGIN_C_INT64)};
  const pk_type_impl impl = {sizeof impl, "cache", "s3", s3_factory,
                             s3_destroy, NULL, binds,
                             sizeof binds / sizeof *binds, sizeof(s3_conf)};
  (void)ud;
  return api->type_add(ctx, &impl);
}

PK_PLUGIN_DEFINE("runner", "s3", RUNNER_ABI, on_register, NULL, NULL);
