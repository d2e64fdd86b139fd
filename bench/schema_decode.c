/* schema_decode.c -- P7: decoding 10 000 typed instance tables (issue 4)
 * beside parsing the same TOML.
 * SPDX-License-Identifier: MIT
 *
 *   schema_decode [N]          (default N = 10000)
 *
 * Generates, in memory, a document of N tables [caches.cK] of 9 keys each
 * (type = "s3" plus 8 fields of every scalar type, an enum, an array and a
 * format = true string) and the schema of the "s3" type.  Prints, in the
 * peers' format (median of BENCH_REPS, default 5, after one untimed
 * warm-up):
 *   p7.pk.parse N <ms> ms         pk_doc_parse + pk_doc_free of the text
 *   p7.pk.decode N <ms> ms        for each table: pk_schema_decode (with a
 *                                 ctx, "type" skipped) + pk_config_bind
 *                                 into a struct + pk_config_free
 *   p7.pk.decode_format N <ms> ms the same when the format field holds a
 *                                 {ctx.host} placeholder (one allocation
 *                                 more per table)
 * and a comment line with the decode/parse ratio (the bar: <= 1). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <plugkit.h>

#include "bench.h"

static const char schema_text[] =
    "[config]\n"
    "bucket = { type = \"string\", doc = \"Bucket name\" }\n"
    "prefix = { type = \"string\", default = \"\" }\n"
    "region = { type = \"enum\", choices = [\"us-east-1\", \"eu-west-1\", "
    "\"ap-south-1\"], default = \"us-east-1\" }\n"
    "retries = { type = \"integer\", min = 0, max = 10, default = 3 }\n"
    "timeout = { type = \"float\", min = 0.0, max = 60.0, default = 5.0 }\n"
    "verbose = { type = \"boolean\", default = false }\n"
    "tags = { type = \"array\", items = \"string\", default = [] }\n"
    "endpoint-url = { type = \"string\", optional = true, format = true }\n"
    "storage-class = { type = \"string\", optional = true }\n";

typedef struct s3_conf {
  const char *bucket, *prefix, *region, *endpoint, *storage_class;
  int64_t retries;
  double timeout;
  bool verbose;
  const pk_value *tags;
} s3_conf;

static const pk_binding bindings[] = {
    PK_BIND(s3_conf, bucket, "bucket", PK_C_STRING),
    PK_BIND(s3_conf, prefix, "prefix", PK_C_STRING),
    PK_BIND(s3_conf, region, "region", PK_C_STRING),
    PK_BIND(s3_conf, retries, "retries", PK_C_INT64),
    PK_BIND(s3_conf, timeout, "timeout", PK_C_DOUBLE),
    PK_BIND(s3_conf, verbose, "verbose", PK_C_BOOL),
    PK_BIND(s3_conf, tags, "tags", PK_C_ARRAY),
    PK_BIND(s3_conf, endpoint, "endpoint-url", PK_C_STRING),
    PK_BIND(s3_conf, storage_class, "storage-class", PK_C_STRING),
};
#define NBIND (sizeof bindings / sizeof bindings[0])

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void die(const char *what, const pk_error *err)
{
  char buf[1024];
  pk_error_format(err, buf, sizeof buf);
  fprintf(stderr, "schema_decode: %s: %s\n", what, buf);
  exit(1);
}

/* The N tables; placeholder: the endpoint holds {ctx.host}. */
static char *generate(int n, bool placeholder, size_t *len)
{
  static const char *const regions[] = {"us-east-1", "eu-west-1",
                                        "ap-south-1"};
  size_t cap = (size_t)n * 320 + 64, used = 0;
  char *buf = malloc(cap);
  if (!buf)
    exit(2);
  for (int i = 0; i < n; i++)
    used += (size_t)snprintf(
        buf + used, cap - used,
        "[caches.c%d]\n"
        "type = \"s3\"\n"
        "bucket = \"bucket-%d\"\n"
        "prefix = \"builds/%d\"\n"
        "region = \"%s\"\n"
        "retries = %d\n"
        "timeout = %d.5\n"
        "verbose = %s\n"
        "tags = [\"team-%d\", \"ci\"]\n"
        "endpoint-url = \"https://%s/%d\"\n",
        i, i, i, regions[i % 3], i % 10, i % 50, i % 2 ? "true" : "false",
        i % 7, placeholder ? "{ctx.host}" : "s3.example.com", i);
  *len = used;
  return buf;
}

/* Decodes every [caches.*] table of doc and binds it; returns a checksum
 * so that nothing is optimised away. */
static long decode_all(const pk_schema *s, const pk_doc *doc, const pk_ctx *ctx)
{
  const pk_value *caches = pk_table_get(pk_doc_root(doc), "caches");
  static const char *const skip[] = {"type"};
  pk_decode_options o = {.size = sizeof o, .ctx = ctx, .skip = skip,
                         .skip_count = 1};
  size_t n = pk_table_count(caches);
  long sum = 0;
  pk_error err;
  for (size_t i = 0; i < n; i++) {
    pk_config *c;
    s3_conf conf = {0};
    if (pk_schema_decode(s, pk_table_value_at(caches, i), &o, &c, NULL,
                         &err) != PK_OK)
      die("decode", &err);
    if (pk_config_bind(c, bindings, NBIND, &conf, &err) != PK_OK)
      die("bind", &err);
    sum += (long)conf.retries + (long)strlen(conf.endpoint) +
           (long)pk_array_count(conf.tags);
    pk_config_free(c);
  }
  return sum;
}

int main(int argc, char **argv)
{
  int reps = bench_reps(5);
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  pk_doc *sdoc, *doc, *fdoc;
  pk_schema *s;
  pk_ctx *ctx;
  pk_error err;
  size_t len, flen;
  char *text, *ftext;
  double *tp, *td, *tf;
  volatile long sink = 0;

  if (reps < 1 || n < 1) {
    fprintf(stderr, "usage: %s [N]  (BENCH_REPS >= 1)\n", argv[0]);
    return 2;
  }
  tp = calloc((size_t)reps, sizeof *tp);
  td = calloc((size_t)reps, sizeof *td);
  tf = calloc((size_t)reps, sizeof *tf);
  if (!tp || !td || !tf)
    return 2;
  if (pk_doc_parse(schema_text, sizeof schema_text - 1, "plugin.toml", NULL,
                   &sdoc, &err) != PK_OK)
    die("schema document", &err);
  if (pk_schema_new(pk_table_get(pk_doc_root(sdoc), "config"), NULL, &s,
                    &err) != PK_OK)
    die("schema", &err);
  if (pk_schema_check_bindings(s, bindings, NBIND, &err) != PK_OK)
    die("bindings", &err);
  if (pk_ctx_new(NULL, &ctx, &err) != PK_OK ||
      pk_ctx_set(ctx, "host", "s3.example.com", &err) != PK_OK)
    die("ctx", &err);
  text = generate(n, false, &len);
  ftext = generate(n, true, &flen);
  if (pk_doc_parse(text, len, "bench.toml", NULL, &doc, &err) != PK_OK ||
      pk_doc_parse(ftext, flen, "bench.toml", NULL, &fdoc, &err) != PK_OK)
    die("parse", &err);
  if (pk_table_count(pk_table_get(pk_doc_root(doc), "caches")) != (size_t)n)
    die("generated document", &err);

  for (int r = -1; r < reps; r++) { /* r == -1: the warm-up */
    pk_doc *d;
    double t0 = now_ms();
    if (pk_doc_parse(text, len, "bench.toml", NULL, &d, &err) != PK_OK)
      die("parse", &err);
    pk_doc_free(d);
    double t1 = now_ms();
    sink += decode_all(s, doc, ctx);
    double t2 = now_ms();
    sink += decode_all(s, fdoc, ctx);
    double t3 = now_ms();
    if (r >= 0) {
      tp[r] = t1 - t0;
      td[r] = t2 - t1;
      tf[r] = t3 - t2;
    }
  }
  double parse = bench_median(tp, reps), decode = bench_median(td, reps);
  printf("p7.pk.decode %d %.2f ms\n", n, decode);
  printf("p7.pk.parse %d %.2f ms\n", n, parse);
  printf("p7.pk.decode_format %d %.2f ms\n", n, bench_median(tf, reps));
  printf("# p7 decode/parse ratio %.2f (%zu bytes of TOML, %d tables of 9 "
         "keys; checksum %ld)\n",
         decode / parse, len, n, (long)sink);

  pk_doc_free(fdoc);
  pk_doc_free(doc);
  free(ftext);
  free(text);
  pk_ctx_free(ctx);
  pk_schema_free(s);
  pk_doc_free(sdoc);
  free(tp);
  free(td);
  free(tf);
  return 0;
}
