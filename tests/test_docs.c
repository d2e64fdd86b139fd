/* test_docs.c -- the documentation is true to the code: docs/runner.md
 * against the runner's sources (runner-host.toml, space.c,
 * ctx.c, the manifests of its plugins), the runner's --help against its options (main.c) and its usage
 * errors, the README's C snippets compiled with -Wall -Wextra -Werror,
 * the man pages against their sources (scripts/man.py --check), runner
 * --version.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <plugkit.h>

#include "test_util.h"

#define SRC PK_TEST_SOURCE_DIR "/.."
#define BUILD PK_TEST_BINARY_DIR "/.."

TestSuite(docs, .timeout = 120);

/* ---- docs/runner.md against the runner ---- */

/* The rows of the markdown table under the heading line `heading` (up to
 * the next heading): each row's cells, trimmed, "|"-separated in *cells
 * (owned by the caller), rows separated by '\n'.  NULL when the heading is
 * missing. */
static char *section_rows(const char *md, const char *heading)
{
  char want[256];
  snprintf(want, sizeof want, "\n%s\n", heading);
  const char *h = strstr(md, want);
  if (!h)
    return NULL;
  const char *s = h + strlen(want), *end = strstr(s, "\n#");
  if (!end)
    end = s + strlen(s);
  char *rows = calloc(1, (size_t)(end - s) + 2);
  cr_assert_not_null(rows);
  size_t n = 0;
  bool header_done = false;
  for (const char *l = s; l < end; l = strchr(l, '\n') + 1) {
    size_t len = strcspn(l, "\n");
    if (l[0] == '|' && strncmp(l, "|---", 4)) {
      if (header_done) { /* the first row is the header */
        memcpy(rows + n, l, len);
        n += len;
        rows[n++] = '\n';
      }
      header_done = true;
    }
    if (!l[len])
      break;
  }
  return rows;
}

/* Finds in rows the one whose first cell is `name` (in backquotes) and
 * checks its type and default cells; removes it from rows. */
static void check_row(char *rows, const char *where, const char *name,
                      const char *type, const char *dflt)
{
  char first[200];
  snprintf(first, sizeof first, "| `%s` |", name);
  char *row = strstr(rows, first);
  cr_assert_not_null(row,
                     "docs/runner.md, %s: no row for field `%s` (%s, "
                     "default %s); add | `%s` | %s | %s | meaning |",
                     where, name, type, dflt, name, type, dflt);
  char want[400];
  snprintf(want, sizeof want, "| `%s` | %s | %s |", name, type, dflt);
  cr_assert(!strncmp(row, want, strlen(want)),
            "docs/runner.md, %s: the row of `%s` should start %s but is "
            "%.*s",
            where, name, want, (int)strcspn(row, "\n"), row);
  size_t len = strcspn(row, "\n") + 1;
  memmove(row, row + len, strlen(row + len) + 1);
}

static void assert_no_rows_left(const char *rows, const char *where)
{
  cr_assert(rows[0] == '\0',
            "docs/runner.md, %s: documents what the runner does not have: "
            "%s",
            where, rows);
}

/* "string", "boolean", "array of string", ... */
static void type_text(const pk_field *f, char *buf, size_t n)
{
  pk_field_type t = pk_field_get_type(f);
  if (t == PK_FIELD_ARRAY)
    snprintf(buf, n, "array of %s", pk_field_type_name(pk_field_get_items(f)));
  else
    snprintf(buf, n, "%s", pk_field_type_name(t));
}

/* required, unset, or the default in TOML between backquotes */
static void default_text(const pk_field *f, char *buf, size_t n)
{
  const pk_value *d = pk_field_get_default(f);
  const char *s;
  int64_t i;
  bool b;
  if (pk_field_is_required(f))
    snprintf(buf, n, "required");
  else if (!d)
    snprintf(buf, n, "unset");
  else if (pk_value_get_string(d, &s, NULL, NULL) == PK_OK)
    snprintf(buf, n, "`\"%s\"`", s);
  else if (pk_value_get_integer(d, &i, NULL) == PK_OK)
    snprintf(buf, n, "`%lld`", (long long)i);
  else if (pk_value_get_bool(d, &b, NULL) == PK_OK)
    snprintf(buf, n, "`%s`", b ? "true" : "false");
  else if (pk_value_kind(d) == PK_KIND_ARRAY && pk_array_count(d) == 0)
    snprintf(buf, n, "`[]`");
  else
    cr_assert_fail("field %s: a default this test cannot write; extend "
                   "default_text()",
                   pk_field_get_name(f));
}

/* Every field of the schema table has its row under heading, and no other
 * row is there (but those named in extra, written by hand). */
static void check_schema(const char *md, const char *heading,
                         const pk_value *schema_table, const char *const *extra)
{
  char *rows = section_rows(md, heading);
  cr_assert_not_null(rows,
                     "docs/runner.md has no heading \"%s\"; add it "
                     "with a table | field | type | default | meaning |",
                     heading);
  pk_schema *s = NULL;
  pk_error err;
  if (schema_table)
    cr_assert_eq(pk_schema_new(schema_table, NULL, &s, &err), PK_OK, "%s",
                 err.message);
  for (size_t i = 0; s && i < pk_schema_field_count(s); i++) {
    const pk_field *f = pk_schema_field_at(s, i);
    char type[64], dflt[200];
    type_text(f, type, sizeof type);
    default_text(f, dflt, sizeof dflt);
    check_row(rows, heading, pk_field_get_name(f), type, dflt);
  }
  for (size_t i = 0; extra && extra[i]; i++) {
    char first[100];
    snprintf(first, sizeof first, "| `%s` |", extra[i]);
    char *row = strstr(rows, first);
    cr_assert_not_null(row, "%s: no row for `%s`", heading, extra[i]);
    size_t len = strcspn(row, "\n") + 1;
    memmove(row, row + len, strlen(row + len) + 1);
  }
  assert_no_rows_left(rows, heading);
  pk_schema_free(s);
  free(rows);
}

/* The C string literals after `marker` in text (the file `file`), up to
 * the first ';' or '}' outside them, concatenated (escapes \" \\ \n
 * decoded) into buf; with sep, each literal is followed by it. */
static void c_strings(const char *text, const char *file, const char *marker,
                      char *buf, size_t n, const char *sep)
{
  const char *s = strstr(text, marker);
  cr_assert_not_null(s,
                     "%s has no \"%s\": this test reads the runner's "
                     "fields from there; update it",
                     file, marker);
  s += strlen(marker);
  size_t k = 0;
  for (; *s && *s != ';' && *s != '}'; s++) {
    if (*s == '/' && s[1] == '*') { /* a comment */
      s = strstr(s, "*/") + 1;
      continue;
    }
    if (*s != '"')
      continue;
    for (s++; *s && *s != '"'; s++) {
      char c = *s;
      if (c == '\\') {
        c = *++s;
        c = c == 'n' ? '\n' : c;
      }
      cr_assert_lt(k + 1, n);
      buf[k++] = c;
    }
    for (const char *p = sep; p && *p; p++)
      buf[k++] = *p;
  }
  buf[k] = '\0';
}

/* Each name of names ('\n'-separated) has its row under heading, the
 * first cell `name` written by fmt (a "%s" format); with only, no other
 * row is there. */
static void check_names(const char *md, const char *heading, const char *names,
                        const char *fmt, bool only)
{
  char *rows = section_rows(md, heading);
  cr_assert_not_null(rows, "docs/runner.md has no heading \"%s\"", heading);
  for (const char *k = names; *k; k = strchr(k, '\n') + 1) {
    char name[100], first[200];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(k, "\n"), k);
    snprintf(first, sizeof first, fmt, name);
    char *row = strstr(rows, first);
    cr_assert_not_null(row, "docs/runner.md, %s: no row %s", heading, first);
    size_t len = strcspn(row, "\n") + 1;
    memmove(row, row + len, strlen(row + len) + 1);
  }
  if (only)
    assert_no_rows_left(rows, heading);
  free(rows);
}

Test(docs, runner_md_documents_every_runner_toml_field)
{
  char *md = read_text(SRC "/docs/runner.md");
  char *space = read_text(SRC "/examples/runner/space.c");
  char *ctx = read_text(SRC "/examples/runner/ctx.c");
  pk_doc *host;
  pk_error err;
  cr_assert_eq(pk_doc_load_file(SRC "/examples/runner/runner-host.toml", NULL,
                                &host, &err),
               PK_OK, "%s", err.message);
  const pk_value *root = pk_doc_root(host);

  /* the top-level tables the runner accepts: plugkit's [plugins] and
   * [defaults], the kinds' tables and runner-host.toml's [tables] */
  const pk_value *kinds = pk_table_get(root, "kinds");
  const pk_value *tables = pk_table_get(root, "tables");
  char *rows = section_rows(md, "## The tables");
  cr_assert_not_null(rows);
  size_t ntop = 2 + pk_table_count(kinds) + pk_table_count(tables);
  for (size_t i = 0; i < ntop; i++) {
    const char *name = i == 0 ? "plugins" : i == 1 ? "defaults" : NULL;
    size_t k = i - 2;
    if (!name && k < pk_table_count(kinds))
      pk_table_get_string_or(pk_table_value_at(kinds, k), "table", NULL, &name,
                             NULL);
    else if (!name)
      name = pk_table_key_at(tables, k - pk_table_count(kinds), NULL);
    if (!name)
      continue; /* an inline kind (dep) */
    char first[100];
    snprintf(first, sizeof first, "| `[%s]` |", name);
    char *row = strstr(rows, first);
    cr_assert_not_null(row, "docs/runner.md, ## The tables: no row %s", first);
    memmove(row, row + strcspn(row, "\n") + 1,
            strlen(row + strcspn(row, "\n") + 1) + 1);
  }
  assert_no_rows_left(rows, "## The tables");
  free(rows);

  /* the fields of [defaults], of a command, a space and a [ctx]
   * declaration: runner-host.toml's schemas, with the keys the runner or
   * a kind checks (instances, host) documented by hand */
  check_schema(md, "### `[defaults]`", pk_table_get(root, "defaults"), NULL);
  static const struct {
    const char *table, *heading;
  } own[] = {{"commands", "### `[commands.NAME]`"},
             {"spaces", "### `[spaces.NAME]`"},
             {"ctx", "### A declaration"}};
  for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
    const pk_value *t = pk_table_get(tables, own[i].table);
    cr_assert_not_null(t, "runner-host.toml has no [tables.%s]", own[i].table);
    const pk_value *insts = pk_table_get(t, "instances");
    const pk_value *hkeys = pk_table_get(t, "host");
    const char *by_hand[16] = {0};
    size_t n = 0;
    for (size_t k = 0; k < pk_table_count(insts) && n < 15; k++)
      by_hand[n++] = pk_table_key_at(insts, k, NULL);
    for (size_t k = 0; k < pk_array_count(hkeys) && n < 15; k++)
      pk_value_get_string(pk_array_at(hkeys, k), &by_hand[n++], NULL, NULL);
    check_schema(md, own[i].heading, pk_table_get(t, "fields"), by_hand);
  }

  /* a module's keys (space.c) and the {module.*} fields (ctx.c) */
  char keys[1024];
  c_strings(space, "space.c", "module_keys[] =", keys, sizeof keys, "\n");
  check_names(md, "### A module", keys, "| `%s` |", true);
  c_strings(ctx, "ctx.c", "fields[] =", keys, sizeof keys, "\n");
  check_names(md, "### Placeholders", keys, "| `{module.%s}` |", false);

  /* {ctx.runner.NAME}: ctx.c's {"runner.NAME", CTX_TYPE, ...} with type */
  char *vrows = section_rows(md, "### `{ctx.runner.NAME}`");
  cr_assert_not_null(vrows, "docs/runner.md has no ### `{ctx.runner.NAME}`");
  const char *v = strstr(ctx, "} vals[] = {");
  cr_assert_not_null(v, "ctx.c has no \"} vals[] = {\": this test reads "
                        "the runner's own ctx values from there; update it");
  const char *vend = strstr(v, "};");
  size_t nvals = 0;
  for (v = strstr(v, "{\"runner."); v && v < vend;
       v = strstr(v + 1, "{\"runner.")) {
    int len = (int)strcspn(v + 2, "\"");
    const char *t = strstr(v, "CTX_");
    cr_assert_not_null(t);
    char want[200], type[20];
    snprintf(type, sizeof type, "%.*s", (int)strcspn(t + 4, ","), t + 4);
    for (char *c = type; *c; c++)
      *c = (char)(*c - 'A' + 'a');
    snprintf(want, sizeof want, "| `%.*s` | %s |", len, v + 2, type);
    char *row = strstr(vrows, want);
    cr_assert_not_null(row,
                       "docs/runner.md, {ctx.runner.NAME}: no row "
                       "starting %s",
                       want);
    size_t rl = strcspn(row, "\n") + 1;
    memmove(row, row + rl, strlen(row + rl) + 1);
    nvals++;
  }
  cr_assert_gt(nvals, 0, "no runner.NAME values found in ctx.c");
  assert_no_rows_left(vrows, "### `{ctx.runner.NAME}`");
  free(vrows);

  /* each kind: its table and default type; each built-in type's fields */
  char *krows = section_rows(md, "## Kinds and their built-in types");
  cr_assert_not_null(krows);
  for (size_t i = 0; i < pk_table_count(kinds); i++) {
    const char *kind = pk_table_key_at(kinds, i, NULL);
    const pk_value *k = pk_table_value_at(kinds, i);
    const char *table = NULL, *dflt = NULL;
    pk_table_get_string_or(k, "table", NULL, &table, NULL);
    pk_table_get_string_or(k, "default", NULL, &dflt, NULL);
    /* the row: | `KIND` | `[TABLE.NAME]` or inline, in a command's `FIELD`
     * | `DEFAULT` or none | ... */
    char want[300], cells[300];
    if (table)
      snprintf(want, sizeof want, "| `%s` | `[%s.NAME]` |", kind, table);
    else
      snprintf(want, sizeof want, "| `%s` | inline, in a command's `", kind);
    const char *row = strstr(krows, want);
    cr_assert_not_null(row,
                       "docs/runner.md: the kinds table should have a row "
                       "starting %s",
                       want);
    const char *third = strstr(row + strlen(want) - 2, " | ");
    cr_assert_not_null(third);
    snprintf(cells, sizeof cells, dflt ? " | `%s` |" : " | none |", dflt);
    cr_assert(!strncmp(third, cells, strlen(cells)),
              "docs/runner.md: the default type of kind %s should be%s", kind,
              cells);
  }
  free(krows);
  const pk_value *types = pk_table_get(root, "types");
  for (size_t i = 0; i < pk_table_count(types); i++) {
    const char *kind = pk_table_key_at(types, i, NULL);
    const pk_value *tags = pk_table_value_at(types, i);
    for (size_t t = 0; t < pk_table_count(tags); t++) {
      char heading[200];
      snprintf(heading, sizeof heading, "### kind `%s`, type `%s`", kind,
               pk_table_key_at(tags, t, NULL));
      check_schema(md, heading,
                   pk_table_get(pk_table_value_at(tags, t), "config"), NULL);
    }
  }
  /* each plugin's settings ([plugins.ALIAS]) and each type it provides */
  static const char *const plugins[] = {"redis", "s3", "cinclude", "toolenv"};
  for (size_t i = 0; i < sizeof plugins / sizeof *plugins; i++) {
    char path[300], heading[200];
    snprintf(path, sizeof path, SRC "/examples/runner/plugins/%s/plugin.toml",
             plugins[i]);
    pk_doc *m;
    cr_assert_eq(pk_doc_load_file(path, NULL, &m, &err), PK_OK, "%s",
                 err.message);
    const pk_value *config = pk_table_get(pk_doc_root(m), "config");
    if (config) {
      snprintf(heading, sizeof heading, "### plugin `%s`, `[plugins.ALIAS]`",
               plugins[i]);
      check_schema(md, heading, config, NULL);
    }
    const pk_value *provides = pk_table_get(pk_doc_root(m), "provides");
    for (size_t k = 0; provides && k < pk_array_count(provides); k++) {
      const pk_value *pv = pk_array_at(provides, k);
      const char *kind = NULL, *tag = NULL;
      pk_table_get_string_or(pv, "kind", NULL, &kind, NULL);
      pk_table_get_string_or(pv, "tag", NULL, &tag, NULL);
      snprintf(heading, sizeof heading, "### plugin `%s`, kind `%s`, type `%s`",
               plugins[i], kind, tag);
      check_schema(md, heading, pk_table_get(pv, "config"), NULL);
    }
    pk_doc_free(m);
  }
  pk_doc_free(host);
  free(md);
  free(space);
  free(ctx);
}

Test(docs, runner_md_says_what_a_plugin_author_needs)
{
  char *md = read_text(SRC "/docs/runner.md");
  static const char *const topics[] = {"### The cache-type contract",
                                       "### The lifetime of instances",
                                       "`PLUGKIT_PATH` is a list of",
                                       "`RUNNER_PLUGIN_DIR`",
                                       "[[provides]]\nkind = ",
                                       "[provides.config]\n",
                                       "<runner/plugin.h>"};
  for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
    cr_assert_not_null(strstr(md, topics[i]), "docs/runner.md lacks %s",
                       topics[i]);
  /* its manifest example is a manifest plugkit accepts */
  const char *ex = strstr(md, "```toml\n# plugins/memo/plugin.toml\n");
  cr_assert_not_null(ex);
  ex = strchr(ex, '\n') + 1;
  char dir[] = "/tmp/pkdoc.XXXXXX", path[200], cmd[600];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/memo", dir);
  cr_assert_eq(mkdir(path, 0755), 0);
  strcat(path, "/plugin.toml");
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fwrite(ex, 1, (size_t)(strstr(ex, "```") - ex), f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "'%s' info runner:memo --path '%s' >/dev/null",
           PK_CLI_PATH, dir);
  int rc = system(cmd);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(rc, 0, "plugkit info refuses the example manifest");
  free(md);
}

/* ---- the README's C ---- */

/* Writes the n-th ```c block of README.md (0-based) to path. */
static void readme_block(int nth, const char *path)
{
  char *md = read_text(SRC "/README.md");
  const char *s = md;
  for (int i = 0; i <= nth; i++) {
    s = strstr(s, "\n```c\n");
    cr_assert_not_null(s, "README.md has fewer than %d C blocks", nth + 1);
    s += 6;
  }
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fwrite(s, 1, (size_t)(strstr(s, "\n```") - s) + 1, f);
  fclose(f);
  free(md);
}

Test(docs, readme_c_snippets_compile_with_wall_wextra_werror)
{
  char host[] = "/tmp/pkreadme-host.XXXXXX.c",
       plug[] = "/tmp/pkreadme-plug.XXXXXX.c";
  close(mkstemps(host, 2));
  close(mkstemps(plug, 2));
  readme_block(0, host);
  readme_block(1, plug);
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "cc -std=c11 -Wall -Wextra -Werror -I'%s/include' -c -o /dev/null "
           "'%s' && cc -std=c11 -Wall -Wextra -Werror -I'%s/include' -fPIC "
           "-c -o /dev/null '%s'",
           SRC, host, SRC, plug);
  int rc = system(cmd);
  unlink(host);
  unlink(plug);
  cr_assert_eq(rc, 0, "a C block of README.md does not compile: %s", cmd);
}

/* ---- man pages ---- */

Test(docs, man_pages_match_the_help_texts_and_the_docs)
{
  int rc = system("python3 '" SRC "/scripts/man.py' --check '" BUILD "'");
  cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
            "man/ is stale: run make man (scripts/man.py --write BUILD)");
}

Test(docs, runner_version_and_help)
{
  FILE *p = popen(PK_RUNNER_DIR "/runner --version", "r");
  cr_assert_not_null(p);
  char line[200] = "";
  cr_assert_not_null(fgets(line, sizeof line, p));
  cr_assert_eq(pclose(p), 0);
  cr_assert_str_eq(line, "runner " PK_VERSION_STRING
                         " (plugkit " PK_VERSION_STRING ")\n");
  cr_assert_eq(system(PK_RUNNER_DIR "/runner --help >/dev/null"), 0);
}

/* The output (both streams) of the shell line cmd, and its exit status. */
static char *output_of(const char *cmd, int *status)
{
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  cr_assert_not_null(out);
  for (size_t got; (got = fread(out + n, 1, cap - 1 - n, p)) > 0;)
    n += got;
  out[n] = '\0';
  int rc = pclose(p);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

/* Issue 14 point 5: --help describes every option the runner takes (the
 * list main.c's usage errors suggest from), each as a term of its own. */
Test(docs, runner_help_describes_every_option)
{
  char *main_c = read_text(SRC "/examples/runner/main.c");
  char opts[1024];
  c_strings(main_c, "main.c", "options[] =", opts, sizeof opts, "\n");
  int rc;
  char *help = output_of(PK_RUNNER_DIR "/runner --help 2>&1", &rc);
  cr_assert_eq(rc, 0, "%s", help);
  const char *section = strstr(help, "\nOptions:\n");
  cr_assert_not_null(section, "%s", help);
  for (char *o = opts; *o; o = strchr(o, '\n') + 1) {
    char name[64], as_term[100], as_alias[100];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(o, "\n"), o);
    snprintf(as_term, sizeof as_term, "\n  %s ", name);    /* "  -C DIR" */
    snprintf(as_alias, sizeof as_alias, "\n  %s, ", name); /* "  -n, ..." */
    char after_alias[100];
    snprintf(after_alias, sizeof after_alias, ", %s ", name);
    cr_assert(strstr(section, as_term) || strstr(section, as_alias) ||
                  strstr(section, after_alias),
              "runner --help does not describe %s under Options:\n%s", name,
              help);
  }
  free(help);
  free(main_c);
}

Test(docs, runner_usage_errors_say_what_is_wrong_in_one_line)
{
  static const struct {
    const char *args, *says;
  } cases[] = {
      {"--wokers 2", "runner: unknown option --wokers (did you mean "
                     "--workers?): runner --help lists the options\n"},
      {"-x", "runner: unknown option -x: runner --help lists the options\n"},
      {"build -n", "runner: -n needs a value (runner --help)\n"},
      {"--module=", "runner: --module needs a value (runner --help)\n"},
      {"--json=yes", "runner: --json takes no value (runner --help)\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "%s/runner %s 2>&1", PK_RUNNER_DIR,
             cases[i].args);
    int rc;
    char *out = output_of(cmd, &rc);
    cr_assert_eq(rc, 64, "runner %s: exit %d", cases[i].args, rc);
    cr_assert_str_eq(out, cases[i].says, "runner %s", cases[i].args);
    free(out);
  }
}
