/* test_value.c -- documents and typed getters of the public API: files,
 * errors with positions, out-of-memory injection, and `plugkit toml`.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <plugkit.h>

/* ---- helpers ---- */

static char tmpdir[256];

static void make_tmpdir(void)
{
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pk_test_value.XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

/* Writes text to tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text, size_t len)
{
  static char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(text, 1, len, f), len);
  fclose(f);
  return path;
}

/* Reads a whole file into a NUL-terminated malloc'd buffer. */
static char *read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static const char config[] = "title = \"demo\"\n"      /* 1 */
                             "[server]\n"              /* 2 */
                             "  host = \"localhost\"\n" /* 3 */
                             "  port = 8080\n"         /* 4 */
                             "  ratio = 0.5\n"         /* 5 */
                             "  debug = true\n"        /* 6 */
                             "  started = 2024-01-02\n" /* 7 */
                             "  tags = [\"a\", \"b\"]\n" /* 8 */
                             "  [server.limits]\n"     /* 9 */
                             "  cpu = 2\n";            /* 10 */

static pk_doc *config_doc(void)
{
  pk_doc *doc;
  pk_error err;
  cr_assert_eq(pk_doc_parse(config, sizeof config - 1, "runner.toml", NULL,
                            &doc, &err),
               PK_OK, "%s", err.message);
  return doc;
}

static void assert_err(const pk_error *err, pk_status code, int line, int col,
                       const char *message)
{
  cr_assert_eq(err->code, code, "code %s", pk_status_name(err->code));
  cr_assert_str_eq(err->source, "runner.toml");
  cr_assert_eq(err->line, line, "line %d, expected %d", err->line, line);
  cr_assert_eq(err->col, col, "col %d, expected %d", err->col, col);
  cr_assert_str_eq(err->message, message);
}

/* ---- typed getters ---- */

Test(value, typed_getters)
{
  pk_doc *doc = config_doc();
  const pk_value *root = pk_doc_root(doc), *server, *tags;
  const char *s;
  int64_t i;
  double f;
  bool b;
  pk_datetime dt;
  pk_error err;

  cr_assert_str_eq(pk_doc_source(doc), "runner.toml");
  cr_assert_eq(pk_table_get_string(root, "title", &s, &err), PK_OK);
  cr_assert_str_eq(s, "demo");
  cr_assert_eq(pk_table_get_table(root, "server", &server, &err), PK_OK);
  cr_assert_eq(pk_table_get_string(server, "host", &s, &err), PK_OK);
  cr_assert_str_eq(s, "localhost");
  cr_assert_eq(pk_table_get_integer(server, "port", &i, &err), PK_OK);
  cr_assert_eq(i, 8080);
  cr_assert_eq(pk_table_get_float(server, "ratio", &f, &err), PK_OK);
  cr_assert_eq(f, 0.5);
  cr_assert_eq(pk_table_get_bool(server, "debug", &b, &err), PK_OK);
  cr_assert(b);
  cr_assert_eq(pk_table_get_datetime(server, "started", &dt, &err), PK_OK);
  cr_assert(dt.kind == PK_KIND_DATE_LOCAL && dt.year == 2024 &&
            dt.month == 1 && dt.day == 2);
  cr_assert_eq(pk_table_get_array(server, "tags", &tags, &err), PK_OK);
  cr_assert_eq(pk_array_count(tags), 2);
  pk_doc_free(doc);
}

Test(value, type_mismatch_names_both_types_at_the_value)
{
  pk_doc *doc = config_doc();
  const pk_value *server = pk_table_get(pk_doc_root(doc), "server");
  const pk_value *tags = pk_table_get(server, "tags");
  const char *s = "unchanged";
  int64_t i = 7;
  double f;
  bool b;
  pk_datetime dt;
  const pk_value *t;
  pk_error err;
  char buf[256];

  cr_assert_eq(pk_table_get_string(server, "port", &s, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 4, 10, "expected a string, found an integer");
  cr_assert_str_eq(s, "unchanged");
  pk_error_format(&err, buf, sizeof buf);
  cr_assert_str_eq(buf,
                   "runner.toml:4:10: expected a string, found an integer");
  cr_assert_eq(pk_table_get_integer(server, "host", &i, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 3, 10, "expected an integer, found a string");
  cr_assert_eq(i, 7);
  cr_assert_eq(pk_table_get_float(server, "port", &f, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 4, 10, "expected a float, found an integer");
  cr_assert_eq(pk_table_get_bool(server, "ratio", &b, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 5, 11, "expected a boolean, found a float");
  cr_assert_eq(pk_table_get_datetime(server, "debug", &dt, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 6, 11, "expected a date or time, found a "
                                    "boolean");
  cr_assert_eq(pk_table_get_table(server, "tags", &t, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 8, 10, "expected a table, found an array");
  cr_assert_eq(pk_table_get_array(server, "limits", &t, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 9, 3, "expected an array, found a table");
  cr_assert_eq(pk_value_get_integer(pk_array_at(tags, 1), &i, &err),
               PK_ETYPE);
  assert_err(&err, PK_ETYPE, 8, 16, "expected an integer, found a string");
  /* a getter on a value that is not a table */
  cr_assert_eq(pk_table_get_string(tags, "x", &s, &err), PK_ETYPE);
  assert_err(&err, PK_ETYPE, 8, 10, "expected a table, found an array");
  pk_doc_free(doc);
}

Test(value, missing_key_names_key_at_the_table)
{
  pk_doc *doc = config_doc();
  const pk_value *root = pk_doc_root(doc);
  const pk_value *server = pk_table_get(root, "server");
  const pk_value *limits = pk_table_get(server, "limits");
  int64_t i = 5;
  const char *s;
  pk_error err;
  cr_assert_eq(pk_table_get_integer(server, "workers", &i, &err),
               PK_EMISSING);
  assert_err(&err, PK_EMISSING, 2, 1,
             "missing required key \"workers\" in table started here");
  cr_assert_eq(i, 5);
  cr_assert_eq(pk_table_get_string(limits, "mem", &s, &err), PK_EMISSING);
  assert_err(&err, PK_EMISSING, 9, 3,
             "missing required key \"mem\" in table started here");
  cr_assert_eq(pk_table_get_string(root, "nope", &s, &err), PK_EMISSING);
  assert_err(&err, PK_EMISSING, 1, 1,
             "missing required key \"nope\" in table started here");
  pk_doc_free(doc);
}

Test(value, or_forms)
{
  pk_doc *doc = config_doc();
  const pk_value *server = pk_table_get(pk_doc_root(doc), "server");
  const char *s;
  int64_t i;
  double f;
  bool b;
  pk_error err;
  cr_assert_eq(pk_table_get_string_or(server, "user", "nobody", &s, &err),
               PK_OK);
  cr_assert_str_eq(s, "nobody");
  cr_assert_eq(pk_table_get_string_or(server, "host", "x", &s, &err), PK_OK);
  cr_assert_str_eq(s, "localhost");
  cr_assert_eq(pk_table_get_integer_or(server, "workers", 4, &i, &err),
               PK_OK);
  cr_assert_eq(i, 4);
  cr_assert_eq(pk_table_get_integer_or(server, "port", 4, &i, &err), PK_OK);
  cr_assert_eq(i, 8080);
  cr_assert_eq(pk_table_get_float_or(server, "scale", 1.5, &f, &err), PK_OK);
  cr_assert_eq(f, 1.5);
  cr_assert_eq(pk_table_get_bool_or(server, "quiet", true, &b, &err), PK_OK);
  cr_assert(b);
  /* present with the wrong kind: still an error */
  cr_assert_eq(pk_table_get_integer_or(server, "host", 4, &i, &err),
               PK_ETYPE);
  assert_err(&err, PK_ETYPE, 3, 10, "expected an integer, found a string");
  cr_assert_eq(pk_table_get_bool_or(server, "port", false, &b, &err),
               PK_ETYPE);
  cr_assert_eq(pk_table_get_float_or(server, "debug", 0, &f, &err), PK_ETYPE);
  cr_assert_eq(pk_table_get_string_or(server, "port", "", &s, &err),
               PK_ETYPE);
  pk_doc_free(doc);
}

Test(value, kinds_names_and_null_handling)
{
  pk_error err;
  cr_assert_str_eq(pk_kind_name(PK_KIND_TABLE), "table");
  cr_assert_str_eq(pk_kind_name(PK_KIND_BOOL), "boolean");
  cr_assert_str_eq(pk_kind_name(PK_KIND_DATETIME), "offset date-time");
  cr_assert_str_eq(pk_kind_name(PK_KIND_TIME_LOCAL), "local time");
  cr_assert_str_eq(pk_kind_name((pk_kind)99), "unknown");
  cr_assert_null(pk_table_get(NULL, "a"));
  cr_assert_eq(pk_table_count(NULL), 0);
  cr_assert_eq(pk_array_count(NULL), 0);
  cr_assert_null(pk_doc_root(NULL));
  pk_doc_free(NULL);
  cr_assert_eq(pk_doc_parse("a=1", 3, NULL, NULL, NULL, &err), PK_EMISUSE);
  {
    pk_doc_options bad = {.size = 0, .version = PK_TOML_1_0};
    pk_doc *doc = (pk_doc *)&bad;
    cr_assert_eq(pk_doc_parse("a=1", 3, NULL, &bad, &doc, &err), PK_EMISUSE);
    cr_assert_null(doc);
  }
  {
    pk_doc *doc;
    cr_assert_eq(pk_doc_parse("a = [", 5, NULL, NULL, &doc, &err),
                 PK_ESYNTAX);
    cr_assert_str_eq(err.source, "<buffer>");
  }
}

/* ---- files ---- */

Test(value, load_file_positions_and_io_errors)
{
  pk_doc *doc;
  pk_error err;
  const char *path;
  char buf[1024];
  make_tmpdir();
  path = write_file("conf.toml", config, sizeof config - 1);
  cr_assert_eq(pk_doc_load_file(path, NULL, &doc, &err), PK_OK, "%s",
               err.message);
  cr_assert_str_eq(pk_doc_source(doc), path);
  cr_assert_str_eq(pk_value_get_pos(pk_doc_root(doc)).source, path);
  cr_assert_eq(pk_value_get_pos(pk_table_get(pk_table_get(pk_doc_root(doc),
                                                      "server"),
                                         "port")).line,
               4);
  pk_doc_free(doc);

  path = write_file("bad.toml", "a = 1\nb = [1,\n", 14);
  doc = (pk_doc *)&err;
  cr_assert_eq(pk_doc_load_file(path, NULL, &doc, &err), PK_ESYNTAX);
  cr_assert_null(doc);
  cr_assert_eq(err.line, 3);
  cr_assert_eq(err.col, 1);
  pk_error_format(&err, buf, sizeof buf);
  cr_assert(strstr(buf, "bad.toml:3:1: unterminated array (opened at 2:5)"),
            "%s", buf);

  snprintf(buf, sizeof buf, "%s/missing.toml", tmpdir);
  cr_assert_eq(pk_doc_load_file(buf, NULL, &doc, &err), PK_EIO);
  cr_assert_null(doc);
  cr_assert(strstr(err.message, "missing.toml"), "%s", err.message);
  cr_assert_eq(pk_doc_load_file(tmpdir, NULL, &doc, &err), PK_EIO);

  path = write_file("empty.toml", "", 0);
  cr_assert_eq(pk_doc_load_file(path, NULL, &doc, &err), PK_OK);
  cr_assert_eq(pk_table_count(pk_doc_root(doc)), 0);
  pk_doc_free(doc);
  remove_tmpdir();
}

/* ---- out of memory ---- */

typedef struct counting_alloc {
  long calls;       /* allocations so far */
  long fail_at;     /* the allocation (1-based) that fails; 0: none */
  size_t live;      /* bytes outstanding */
  long live_blocks; /* blocks outstanding */
  size_t peak;      /* the most bytes outstanding at once */
} counting_alloc;

static void *count_alloc(void *ud, void *p, size_t old, size_t n)
{
  counting_alloc *a = ud;
  void *q;
  if (n == 0) {
    if (p) {
      a->live -= old;
      a->live_blocks--;
    }
    free(p);
    return NULL;
  }
  a->calls++;
  if (a->fail_at && a->calls == a->fail_at)
    return NULL;
  q = realloc(p, n);
  if (!q)
    return NULL;
  if (p)
    a->live -= old;
  else
    a->live_blocks++;
  a->live += n;
  if (a->live > a->peak)
    a->peak = a->live;
  return q;
}

static void oom_sweep(const char *text, size_t len, bool from_file)
{
  long n, total;
  counting_alloc a = {0};
  pk_doc_options o = {.size = sizeof o, .alloc = count_alloc, .alloc_ud = &a};
  pk_doc *doc;
  pk_error err;
  const char *path = NULL;
  if (from_file)
    path = write_file("oom.toml", text, len);
  /* count the allocations of a successful parse */
  cr_assert_eq(from_file ? pk_doc_load_file(path, &o, &doc, &err)
                         : pk_doc_parse(text, len, "oom", &o, &doc, &err),
               PK_OK, "%s", err.message);
  pk_doc_free(doc);
  cr_assert_eq(a.live, 0, "leak after a successful parse: %zu bytes",
               a.live);
  total = a.calls;
  /* a small text is the document and one allocation (toml_doc_buffer) */
  cr_assert(total >= (len < 512 ? 2 : 4), "only %ld allocations", total);
  for (n = 1; n <= total; n++) {
    pk_status st;
    a.calls = 0;
    a.fail_at = n;
    doc = (pk_doc *)&a;
    st = from_file ? pk_doc_load_file(path, &o, &doc, &err)
                   : pk_doc_parse(text, len, "oom", &o, &doc, &err);
    cr_assert_eq(st, PK_ENOMEM, "failing allocation %ld of %ld: %s", n,
                 total, pk_status_name(st));
    cr_assert_eq(err.code, PK_ENOMEM);
    cr_assert_null(doc);
    cr_assert_eq(a.live, 0, "failing allocation %ld: %zu bytes leaked", n,
                 a.live);
    cr_assert_eq(a.live_blocks, 0);
  }
}

Test(value, out_of_memory_injection)
{
  /* big enough to grow every structure: arena blocks, the key index, the
   * line table, the parser's stacks and the child vectors */
  size_t cap = 400000, i;
  char *text = malloc(cap), *p = text;
  p += sprintf(p, "[big]\n");
  for (i = 0; i < 3000; i++)
    p += sprintf(p, "k%zu = [%zu, \"s\\t%zu\", {x = %zu}, 1.5e300]\n", i, i,
                 i, i);
  p += sprintf(p, "a.b.c = 1\n[[t]]\n[[t]]\nx = 1979-05-27T00:00:00Z\n");
  make_tmpdir();
  oom_sweep(text, (size_t)(p - text), false);
  oom_sweep(text, (size_t)(p - text), true);
  oom_sweep("", 0, false);
  remove_tmpdir();
  free(text);
}

Test(value, allocations_go_through_the_allocator)
{
  counting_alloc a = {0};
  pk_doc_options o = {.size = sizeof o, .version = PK_TOML_1_0,
                      .alloc = count_alloc, .alloc_ud = &a};
  pk_doc *doc;
  pk_error err;
  cr_assert_eq(pk_doc_parse("a = 1\n", 6, NULL, &o, &doc, &err), PK_OK);
  cr_assert_gt(a.live, 6);
  pk_doc_free(doc);
  cr_assert_eq(a.live, 0);
  cr_assert_eq(a.live_blocks, 0);
}

/* A plugin manifest (issue 18): thousands are parsed at start-up and
 * every page their documents touch costs, so a document of one is a few
 * blocks sized by its text and the parse allocates nothing it frees again
 * (with the host's own allocator, as here, the nodes' block keeps its
 * room: toml_image's a_trimmed_document... checks the trimmed size). */
Test(value, a_manifest_sized_document_stays_small)
{
  static const char text[] =
      "# plugin manifest (W1 benchmark workload)\n"
      "name = \"p000500\"\n"
      "version = \"0.6.34\"\n"
      "description = \"Benchmark plugin 500: provides a filter tagged t37\"\n"
      "namespace = \"bench\"\n"
      "library = \"libp000500.so\"\n"
      "abi = 1\n"
      "requires = [\"p000428\"]\n"
      "\n"
      "[[provides]]\n"
      "kind = \"filter\"\n"
      "tag = \"t37\"\n";
  size_t len = sizeof text - 1;
  counting_alloc a = {0};
  pk_doc_options o = {.size = sizeof o, .alloc = count_alloc, .alloc_ud = &a};
  pk_doc *doc;
  pk_error err;
  cr_assert_eq(pk_doc_parse(text, len, "plugin.toml", &o, &doc, &err), PK_OK);
  cr_assert_leq(a.live, 7 * len, "%zu bytes for a %zu-byte manifest", a.live,
                len);
  cr_assert_leq(a.calls, 6, "%ld allocations", a.calls);
  cr_assert_eq(a.peak, a.live, "the parse freed %zu bytes it allocated",
               a.peak - a.live);
  pk_doc_free(doc);
  cr_assert_eq(a.live, 0);
}

/* ---- size limits (issue 12, item 8) ---- */

/* "a = [1,1,...,1]" of about len bytes: each item takes 13 times its two
 * bytes of text (a 16-byte node and its ref). */
static char *small_ints(size_t len, size_t *n)
{
  char *t = malloc(len + 16), *p = t;
  cr_assert_not_null(t);
  p += sprintf(p, "a = [");
  while ((size_t)(p - t) + 3 < len)
    *p++ = '1', *p++ = ',';
  *p++ = '1';
  *p++ = ']';
  *p = '\n';
  *n = (size_t)(p + 1 - t);
  return t;
}

Test(value, a_text_over_max_size_is_refused_before_it_is_copied)
{
  counting_alloc a = {0};
  pk_doc_options o = {.size = sizeof o, .alloc = count_alloc, .alloc_ud = &a,
                      .max_size = 100};
  pk_doc *doc = (pk_doc *)&a;
  pk_error err;
  char text[101];
  memset(text, '#', sizeof text);
  cr_assert_eq(pk_doc_parse(text, 101, "c.toml", &o, &doc, &err), PK_ERANGE);
  cr_assert_null(doc);
  cr_assert_str_eq(err.message, "c.toml: document too large: 101 bytes (the "
                   "limit is 100 bytes; pk_doc_options.max_size raises it)");
  cr_assert_eq(a.calls, 0); /* nothing allocated, nothing copied */
  cr_assert_eq(pk_doc_parse(text, 100, "c.toml", &o, &doc, &err), PK_OK);
  pk_doc_free(doc);
  /* standard input (a pipe: no size to know first) is read up to the limit */
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  cr_assert_eq(write(fds[1], text, sizeof text), (ssize_t)sizeof text);
  close(fds[1]);
  cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
  close(fds[0]);
  cr_assert_eq(pk_doc_load_file("-", &o, &doc, &err), PK_ERANGE);
  cr_assert_str_eq(err.message, "<stdin>: document too large: more than 100 "
                   "bytes (the limit is 100 bytes; pk_doc_options.max_size "
                   "raises it)");
  cr_assert_eq(a.live, 0);
  /* the default: PK_DOC_MAX_SIZE_DEFAULT */
  size_t n = PK_DOC_MAX_SIZE_DEFAULT + 1;
  char *big = calloc(1, n); /* untouched pages: no memory used */
  cr_assert_not_null(big);
  cr_assert_eq(pk_doc_parse(big, n, NULL, NULL, &doc, &err), PK_ERANGE);
  cr_assert(strstr(err.message, "<buffer>: document too large: "), "%s",
            err.message);
  free(big);
}

Test(value, a_hostile_document_cannot_use_more_than_its_memory_budget)
{
  size_t len, max = 1 << 20, budget = 4 * max + (1 << 20);
  char *text = small_ints(max, &len);
  cr_assert_leq(len, max);
  counting_alloc a = {0};
  pk_doc_options o = {.size = sizeof o, .alloc = count_alloc, .alloc_ud = &a,
                      .max_size = max};
  pk_doc *doc = (pk_doc *)&a;
  pk_error err;
  cr_assert_eq(pk_doc_parse(text, len, "ints.toml", &o, &doc, &err),
               PK_ERANGE);
  cr_assert_null(doc);
  cr_assert_eq(a.live, 0);
  /* text, its padding and the document itself besides the budget */
  cr_assert_leq(a.peak, len + budget + 4096, "peak %zu", a.peak);
  char buf[1024], want[512];
  pk_error_format(&err, buf, sizeof buf);
  cr_assert_eq(err.line, 1);
  cr_assert_gt(err.col, 5);
  snprintf(want, sizeof want, "ints.toml:1:%d: document too large: reading "
           "it needs more than %zu bytes of memory besides its text (4 times "
           "the size limit of %zu bytes, plus 1 MiB; pk_doc_options.max_size "
           "raises it)", err.col, budget, max);
  cr_assert_str_eq(buf, want);
  /* a caller that means it raises the limit */
  o.max_size = 4 * max;
  a.peak = 0;
  cr_assert_eq(pk_doc_parse(text, len, "ints.toml", &o, &doc, &err), PK_OK,
               "%s", err.message);
  cr_assert_eq(pk_array_count(pk_table_get(pk_doc_root(doc), "a")),
               (len - 6) / 2);
  cr_assert_gt(a.peak, len + budget); /* it did need more */
  pk_doc_free(doc);
  free(text);
}

Test(value, options_of_the_first_size_get_the_default_limit)
{
  /* a caller built before max_size existed passes the older size */
  pk_doc_options o = {.size = offsetof(pk_doc_options, max_size),
                      .max_size = 1};
  pk_doc *doc;
  pk_error err;
  cr_assert_eq(pk_doc_parse("a = 1\n", 6, NULL, &o, &doc, &err), PK_OK,
               "%s", err.message);
  pk_doc_free(doc);
  o.size = offsetof(pk_doc_options, max_size) - 1;
  cr_assert_eq(pk_doc_parse("a = 1\n", 6, NULL, &o, &doc, &err),
               PK_EMISUSE);
}

/* ---- the CLI ---- */

/* Runs `plugkit ARGS < in > out 2> err` in tmpdir; returns the exit code. */
static int run_cli(const char *args, const char *in)
{
  char cmd[2048];
  int rc;
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s < %s > out.txt 2> err.txt",
           tmpdir, PK_CLI_PATH, args, in ? in : "/dev/null");
  rc = system(cmd);
  cr_assert(WIFEXITED(rc), "%s", cmd);
  return WEXITSTATUS(rc);
}

static char *tmp_read(const char *name)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  return read_file(path);
}

Test(cli, toml_valid_prints_tagged_json)
{
  static const char doc[] =
      "s = \"a\\\"b\\u0001\\t\"\ni = -7\nf = 0.1\ninf = -inf\n"
      "d = 1979-05-27T07:32:00.250-07:00\nl = 07:32:00\n"
      "[t]\narr = [true, 1e100]\n";
  char *out, *err;
  make_tmpdir();
  write_file("ok.toml", doc, sizeof doc - 1);
  cr_assert_eq(run_cli("toml ok.toml", NULL), 0);
  out = tmp_read("out.txt");
  err = tmp_read("err.txt");
  cr_assert_str_eq(
      out,
      "{\"s\":{\"type\":\"string\",\"value\":\"a\\\"b\\u0001\\t\"},"
      "\"i\":{\"type\":\"integer\",\"value\":\"-7\"},"
      "\"f\":{\"type\":\"float\",\"value\":\"0.1\"},"
      "\"inf\":{\"type\":\"float\",\"value\":\"-inf\"},"
      "\"d\":{\"type\":\"datetime\",\"value\":\"1979-05-27T07:32:00.250-07:00\"},"
      "\"l\":{\"type\":\"time-local\",\"value\":\"07:32:00\"},"
      "\"t\":{\"arr\":[{\"type\":\"bool\",\"value\":\"true\"},"
      "{\"type\":\"float\",\"value\":\"1e+100\"}]}}\n");
  cr_assert_str_eq(err, "");
  free(out);
  free(err);
  /* standard input, explicitly and by default */
  cr_assert_eq(run_cli("toml - --toml-version 1.0.0", "ok.toml"), 0);
  out = tmp_read("out.txt");
  cr_assert(strncmp(out, "{\"s\":", 5) == 0, "%s", out);
  free(out);
  cr_assert_eq(run_cli("toml", "ok.toml"), 0);
  remove_tmpdir();
}

Test(cli, toml_invalid_exits_1_with_positioned_error)
{
  char *out, *err;
  make_tmpdir();
  write_file("bad.toml", "a = 1\nb = \"x\\q\"\n", 16);
  cr_assert_eq(run_cli("toml bad.toml", NULL), 1);
  out = tmp_read("out.txt");
  err = tmp_read("err.txt");
  cr_assert_str_eq(out, "", "nothing on stdout");
  cr_assert_str_eq(err, "plugkit: bad.toml:2:7: invalid escape '\\q' in "
                        "string\n");
  free(out);
  free(err);
  cr_assert_eq(run_cli("toml --toml-version 1.0.0", "bad.toml"), 1);
  err = tmp_read("err.txt");
  cr_assert(strstr(err, "<stdin>:2:7: "), "%s", err);
  free(err);
  /* 1.1-only syntax is invalid in 1.0 mode only */
  write_file("v11.toml", "a = \"\\e\"\n", 9);
  cr_assert_eq(run_cli("toml --toml-version 1.0.0 v11.toml", NULL), 1);
  out = tmp_read("out.txt");
  cr_assert_str_eq(out, "");
  free(out);
  cr_assert_eq(run_cli("toml --toml-version 1.1.0 v11.toml", NULL), 0);
  cr_assert_eq(run_cli("toml missing.toml", NULL), 1);
  err = tmp_read("err.txt");
  cr_assert(strstr(err, "missing.toml"), "%s", err);
  free(err);
  remove_tmpdir();
}

Test(cli, toml_usage_errors_exit_2)
{
  make_tmpdir();
  cr_assert_eq(run_cli("toml --toml-version 2.0 x.toml", NULL), 2);
  cr_assert_eq(run_cli("toml --bogus", NULL), 2);
  cr_assert_eq(run_cli("toml a.toml b.toml", NULL), 2);
  cr_assert_eq(run_cli("toml --toml-version", NULL), 2);
  cr_assert_eq(run_cli("toml --help", NULL), 0);
  remove_tmpdir();
}
