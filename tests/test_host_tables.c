/* test_host_tables.c -- the host description's [tables] (issue 15 point
 * 2): the host's own tables of its config described (fields, maps of
 * tables, scalars, instance fields, host keys), checked with the config,
 * and by pk_host_check_table for the same table found elsewhere; every
 * error asserts file, line and column.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <plugkit.h>

static char desc_path[256];

/* A description file holding text. */
static const char *write_desc(const char *text)
{
  snprintf(desc_path, sizeof desc_path, "/tmp/pk_tables_%d_XXXXXX", getpid());
  int fd = mkstemp(desc_path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return desc_path;
}

/* A description of a small qik-like host: a dep kind with a glob type,
 * [commands.NAME] with typed deps, [ctx] of scalars or declarations, a
 * [settings] table whose `extra` key is the host's. */
static const char host_desc[] =
    "[kinds.dep]\n"
    "default = \"glob\"\n"
    "[kinds.maker]\n"
    "[types.maker.make.config]\n"
    "jobs = { type = \"integer\", default = 1 }\n"
    "[types.dep.glob.config]\n"
    "pattern = { type = \"string\", required = true }\n"
    "[defaults]\n"
    "cache = { type = \"string\", optional = true }\n"
    "[tables.commands]\n"
    "each = true\n"
    "one-of = [\"exec\", \"maker\"]\n"
    "fields = { exec = { type = \"string\", optional = true }, "
    "hidden = { type = \"boolean\", default = false } }\n"
    "instances = { deps = { kind = \"dep\", array = true }, "
    "dep = { kind = \"dep\" }, maker = { kind = \"maker\", tag = true } "
    "}\n"
    "[tables.ctx]\n"
    "each = true\n"
    "scalars = [\"string\", \"integer\"]\n"
    "fields = { type = { type = \"enum\", choices = [\"string\", "
    "\"integer\"] } }\n"
    "[tables.settings]\n"
    "doc = \"the host's settings\"\n"
    "fields = { jobs = { type = \"integer\", min = 1, default = 2 } }\n"
    "host = [\"extra\"]\n";

static pk_host *described(const char *desc)
{
  pk_host *h;
  pk_error err;
  cr_assert_eq(pk_host_new(NULL, &h, &err), PK_OK);
  cr_assert_eq(pk_host_load_description(h, write_desc(desc), &err), PK_OK,
               "%s", err.message);
  unlink(desc_path);
  return h;
}

/* Loads config text into a host described by host_desc; the problems in
 * *diag (the caller frees both). */
static pk_status load(const char *text, pk_host **h, pk_diag **diag)
{
  pk_error err;
  *h = described(host_desc);
  cr_assert_eq(pk_diag_new(NULL, diag, &err), PK_OK);
  return pk_host_load_config_text(*h, text, strlen(text), "c.toml", *diag,
                                  &err);
}

static void has(const pk_diag *diag, int line, int col, const char *message)
{
  for (size_t i = 0; i < pk_diag_count(diag); i++) {
    const pk_error *e = pk_diag_at(diag, i);
    if (e->line == line && e->col == col && !strcmp(e->message, message)) {
      cr_assert_str_eq(e->source, "c.toml");
      return;
    }
  }
  char all[4096] = "";
  for (size_t i = 0; i < pk_diag_count(diag); i++) {
    const pk_error *e = pk_diag_at(diag, i);
    size_t len = strlen(all);
    snprintf(all + len, sizeof all - len, "%d:%d: %s\n", e->line, e->col,
             e->message);
  }
  cr_assert_fail("no problem %d:%d: %s among:\n%s", line, col, message, all);
}

Test(host_tables, a_valid_config_loads)
{
  pk_host *h;
  pk_diag *diag;
  cr_assert_eq(load("[defaults]\ncache = \"x\"\n"
                    "[commands.build]\nexec = \"make\"\n"
                    "deps = [\"*.c\", { pattern = \"*.h\" }]\n"
                    "dep = { type = \"glob\", pattern = \"x\" }\n"
                    "[commands.t]\nexec = \"true\"\ndep = \"by name\"\n"
                    "[commands.m]\nmaker = \"make\"\n"
                    "[commands.n]\nmaker = { type = \"make\", jobs = 2 }\n"
                    "[ctx]\nregion = \"eu\"\nport = 1\n"
                    "jobs = { type = \"integer\" }\n"
                    "[settings]\njobs = 3\nextra = [1, \"anything\"]\n",
                    &h, &diag),
               PK_OK);
  cr_assert_eq(pk_diag_count(diag), 0);
  /* the host decodes its tables with their schemas */
  const pk_schema *s = pk_host_get_table_schema(h, "commands");
  cr_assert_not_null(s);
  cr_assert_not_null(pk_schema_find_field(s, "exec"));
  cr_assert_null(pk_schema_find_field(s, "deps"), "an instance field is "
                 "not the schema's");
  cr_assert_null(pk_host_get_table_schema(h, "nope"));
  cr_assert_null(pk_host_get_table_schema(NULL, "commands"));
  pk_diag_free(diag);
  pk_host_free(h);
}

Test(host_tables, every_problem_of_the_host_tables_is_positioned)
{
  pk_host *h;
  pk_diag *diag;
  cr_assert_eq(load("[commands.build]\n"                      /* 1 */
                    "exce = \"make\"\n"                       /* 2 */
                    "deps = [{ type = \"glob\", patern = \"x\" }, 3]\n"
                    "[commands.t]\nexec = \"true\"\ndeps = \"*.c\"\n"
                    "dep = 1.5\nhidden = \"no\"\n"            /* 7, 8 */
                    "[commands]\nlone = 1\n"                  /* 10 */
                    "[ctx]\nf = 1.5\nd = { type = \"strng\" }\n" /* 12, 13 */
                    "[settings]\njobs = 0\nextra = 1\n"       /* 15 */
                    "[defaults]\ncach = 1\n"                  /* 18 */
                    "[comands]\n",                            /* 19 */
                    &h, &diag),
               PK_ECONFIG);
  has(diag, 1, 1, "commands.build: set exec or maker");
  has(diag, 2, 1, "unknown field \"exce\" (did you mean \"exec\"?)");
  has(diag, 3, 26, "unknown field \"patern\" (did you mean \"pattern\"?)");
  has(diag, 3, 9, "missing required field \"pattern\"");
  has(diag, 3, 42, "commands.build.deps[1] must be a string or a table { "
                   "type = \"TAG\", ... } (an instance of kind dep), found an "
                   "integer");
  has(diag, 6, 8, "commands.t.deps must be an array of strings and tables { "
                  "type = \"TAG\", ... } (instances of kind dep), found a "
                  "string");
  has(diag, 7, 7, "commands.t.dep must be a string or a table { type = "
                  "\"TAG\", ... } (an instance of kind dep), found a float");
  has(diag, 8, 10, "field \"hidden\": expected a boolean, found a string "
                   "(write hidden = true or hidden = false, without quotes)");
  has(diag, 10, 8, "commands.lone must be a table, found an integer");
  has(diag, 12, 5, "ctx.f must be a string, an integer or a table, found a "
                   "float");
  has(diag, 13, 14, "field \"type\": \"strng\" is not one of \"string\", "
                    "\"integer\" (did you mean \"string\"?)");
  has(diag, 15, 8, "jobs = 0 is below the minimum 1");
  has(diag, 18, 1, "unknown field \"cach\" (did you mean \"cache\"?)");
  has(diag, 19, 2, "unknown table [comands] (did you mean [commands]?): "
                   "c.toml has [plugins], [defaults], [commands], [ctx] and "
                   "[settings]");
  cr_assert_eq(pk_diag_count(diag), 14);
  pk_diag_free(diag);
  pk_host_free(h);
}

/* one-of: exactly one key; an instance field with tag = true: a string is
 * the type's tag, which must exist. */
Test(host_tables, one_of_and_tags)
{
  pk_host *h;
  pk_diag *diag;
  cr_assert_eq(load("[commands.a]\nexec = \"x\"\nmaker = \"make\"\n"
                    "[commands.b]\nmaker = \"mak\"\n"
                    "[commands.c]\nmaker = { type = \"make\", job = 2 }\n",
                    &h, &diag),
               PK_ECONFIG);
  has(diag, 3, 9, "commands.a: exec and maker both set: set one of them");
  has(diag, 5, 9, "unknown maker type \"mak\" in commands.b.maker (did you "
                  "mean \"make\"?); known types: make");
  has(diag, 7, 26, "unknown field \"job\" (did you mean \"jobs\"?)");
  cr_assert_eq(pk_diag_count(diag), 3);
  pk_diag_free(diag);
  pk_host_free(h);
}

Test(host_tables, a_table_of_the_wrong_kind_is_one_problem)
{
  pk_host *h;
  pk_diag *diag;
  cr_assert_eq(load("commands = 1\nctx = \"x\"\nsettings = []\nstray = 2\n",
                    &h, &diag),
               PK_ETYPE);
  has(diag, 1, 12, "[commands] must be a table of [commands.NAME] tables, "
                   "found an integer");
  has(diag, 2, 7, "[ctx] must be a table of NAME = value entries, found a "
                  "string");
  has(diag, 3, 12, "[settings] must be a table, found an array");
  has(diag, 4, 1, "unknown key \"stray\": c.toml has [plugins], [defaults], "
                  "[commands], [ctx] and [settings]");
  cr_assert_eq(pk_diag_count(diag), 4);
  pk_diag_free(diag);
  pk_host_free(h);
}

/* A description without [tables] says nothing of the host's own keys:
 * they stay the host's (as before [tables] existed). */
Test(host_tables, without_tables_the_other_keys_are_the_hosts)
{
  pk_host *h = described("[kinds.dep]\ndefault = \"glob\"\n");
  pk_error err;
  const char text[] = "[commands.a]\nanything = 1\n";
  cr_assert_eq(pk_host_load_config_text(h, text, strlen(text), "c.toml", NULL,
                                        &err),
               PK_OK, "%s", err.message);
  pk_host_free(h);
}

/* The same check for the same table found elsewhere (a fragment, a
 * module's file). */
Test(host_tables, check_table_checks_a_table_of_another_file)
{
  pk_host *h;
  pk_diag *diag;
  pk_error err;
  cr_assert_eq(load("", &h, &diag), PK_OK);
  pk_doc *doc;
  const char frag[] = "[build]\nexec = 1\ndeps = [{ pattern = 2 }]\n";
  cr_assert_eq(pk_doc_parse(frag, strlen(frag), "c.toml", NULL, &doc, &err),
               PK_OK);
  cr_assert_eq(pk_host_check_table(h, "commands", pk_doc_root(doc), diag,
                                   &err),
               PK_ETYPE);
  cr_assert_eq(err.line, 2, "the first problem: %s", err.message);
  has(diag, 2, 8, "field \"exec\": expected a string, found an integer "
                  "(write it as a string: exec = \"1\")");
  has(diag, 3, 21, "field \"pattern\": expected a string, found an "
                   "integer (write it as a string: pattern = \"2\")");
  cr_assert_eq(pk_diag_count(diag), 2);
  cr_assert_eq(pk_host_check_table(h, "settings", pk_doc_root(doc), NULL,
                                   &err),
               PK_ECONFIG);
  cr_assert_str_eq(err.message, "unknown field \"build\" (known fields: "
                                "jobs)");
  cr_assert_eq(pk_host_check_table(h, "nope", pk_doc_root(doc), NULL, &err),
               PK_ENOTFOUND);
  cr_assert(strstr(err.message, "no [tables.nope]"), "%s", err.message);
  cr_assert_eq(pk_host_check_table(h, NULL, pk_doc_root(doc), NULL, &err),
               PK_EMISUSE);
  pk_doc_free(doc);
  pk_diag_free(diag);
  pk_host_free(h);
}

Test(host_tables, description_errors_are_positioned)
{
  static const struct {
    const char *text;
    pk_status code;
    int line, col;
    const char *says;
  } bad[] = {
      {"[tables.a]\neach = 1\n", PK_ETYPE, 2, 8, "expected a boolean"},
      {"[tables.a]\nfeilds = {}\n", PK_ECONFIG, 2, 1, "did you mean "
       "\"fields\"?"},
      {"[tables.a]\nscalars = [\"string\"]\n", PK_ECONFIG, 2, 11,
       "scalars apply to the entries of a table with each = true"},
      {"[tables.a]\neach = true\nscalars = [\"str\"]\n", PK_ECONFIG, 3, 12,
       "scalars: \"str\" is not one of: string, integer, float, boolean, "
       "datetime"},
      {"[tables.a]\nfields = { x = { type = \"strng\" } }\n", PK_ECONFIG, 2,
       25, "strng"},
      {"[tables.a]\ninstances = { d = { kind = \"dep\" } }\n", PK_ENOTFOUND,
       2, 15, "[tables.a.instances.d]: kind \"dep\" is not declared (add "
       "[kinds.dep])"},
      {"[kinds.dep]\n[tables.a]\ninstances = { d = { knd = \"dep\" } }\n",
       PK_ECONFIG, 3, 21, "did you mean \"kind\"?"},
      {"[tables.a]\nfields = { x = { type = \"string\" } }\nhost = "
       "[\"x\"]\n", PK_EDUPLICATE, 3, 9, "[tables.a]: \"x\" is in fields and "
       "in host: keep one"},
      {"[tables.a]\nhost = [\"x\", \"x\"]\n", PK_EDUPLICATE, 2, 14,
       "\"x\" is named twice"},
      {"[kinds.cache]\ntable = \"caches\"\n[tables.caches]\n", PK_EDUPLICATE,
       3, 9, "[tables.caches]: [caches] holds the instances of kind cache"},
      {"[tables.plugins]\n", PK_EDUPLICATE, 1, 9, "[plugins] is plugkit's"},
      {"[tables.\"a b\"]\n", PK_ECONFIG, 1, 9, "invalid table name \"a b\""},
      {"tables = 1\n", PK_ECONFIG, 1, 10, "[tables] must be a table"},
      {"[tables.a]\nhost = [\"x\"]\none-of = [\"x\", \"y\"]\n",
       PK_ENOTFOUND, 3, 16, "[tables.a] one-of: \"y\" is not a key of the "
       "table"},
      {"[tables.a]\nhost = [\"x\"]\none-of = [\"x\"]\n", PK_ECONFIG, 3,
       10, "one-of names at least two keys"},
      {"[kinds.k]\n[tables.a]\ninstances = { f = { kind = \"k\", tag = 1 "
       "} }\n", PK_ETYPE, 3, 39, "expected a boolean"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    pk_host *h;
    pk_error err;
    cr_assert_eq(pk_host_new(NULL, &h, &err), PK_OK);
    const char *path = write_desc(bad[i].text);
    pk_status st = pk_host_load_description(h, path, &err);
    cr_assert_eq(st, bad[i].code, "case %zu: %s: %s", i,
                 pk_status_name(st), err.message);
    cr_assert_str_eq(err.source, path, "case %zu", i);
    cr_assert_eq(err.line, bad[i].line, "case %zu: %d:%d: %s", i, err.line,
                 err.col, err.message);
    cr_assert_eq(err.col, bad[i].col, "case %zu: %d:%d: %s", i, err.line,
                 err.col, err.message);
    cr_assert(strstr(err.message, bad[i].says), "case %zu: %s", i,
              err.message);
    pk_host_free(h);
    unlink(path);
  }
}

/* Two descriptions may not declare one table twice. */
Test(host_tables, a_table_declared_twice_is_refused)
{
  pk_host *h = described("[tables.a]\n");
  pk_error err;
  const char *path = write_desc("\n[tables.a]\nfields = { x = { type = "
                                "\"string\" } }\nhost = [\"y\"]\n");
  cr_assert_eq(pk_host_load_description(h, path, &err), PK_EDUPLICATE);
  cr_assert_eq(err.line, 2);
  cr_assert(strstr(err.message, "[tables.a] is declared twice"), "%s",
            err.message);
  unlink(path);
  pk_host_free(h);
}
