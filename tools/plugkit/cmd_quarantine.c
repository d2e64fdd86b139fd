/* cmd_quarantine.c -- `plugkit quarantine list|clear [NS:NAME] --cache
 * FILE`: the plugins a host skips because it died inside their code, from
 * the crash journal beside its metadata cache.  No plugin code runs.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct listing {
  cli_json_writer *w; /* NULL: text */
  size_t n;
} listing;

static void show(void *ud, const pk_quarantined *q)
{
  listing *l = ud;
  char when[64] = "";
  time_t t = (time_t)q->since;
  struct tm tm;
  if (gmtime_r(&t, &tm))
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  l->n++;
  if (!l->w) {
    printf("%s  %s  %s  %s\n", q->plugin, q->cause, when, q->manifest);
    return;
  }
  cli_json_begin_object(l->w);
  cli_json_key(l->w, "plugin");
  cli_json_string(l->w, q->plugin);
  cli_json_key(l->w, "call");
  cli_json_string(l->w, q->call);
  cli_json_key(l->w, "manifest");
  cli_json_string(l->w, q->manifest);
  cli_json_key(l->w, "since");
  cli_json_string(l->w, when);
  cli_json_key(l->w, "signal");
  cli_json_int(l->w, q->signal);
  cli_json_key(l->w, "cause");
  cli_json_string(l->w, q->cause);
  cli_json_end_object(l->w);
}

/* A failure of list or clear, with the library's error (which names the
 * file and what to pass); about the cache itself, where the runner keeps
 * its own. */
static void say_failure(const char *cache, const pk_error *err)
{
  cli_print_error(err);
  if (!strcmp(err->source, cache) &&
      (err->code == PK_ENOTFOUND || err->code == PK_EIO))
    fprintf(stderr, "plugkit: (the runner's metadata cache is "
                    ".runner/plugins.cache in its project)\n");
}

static int list(const cli_args *a, const char *cache)
{
  pk_error err;
  pk_error_clear(&err);
  /* the JSON array is kept until the list is whole: a failure prints
   * its error object instead */
  char *doc = NULL;
  size_t len = 0;
  FILE *mem = NULL;
  cli_json_writer w;
  listing l = {NULL, 0};
  pk_status st = PK_OK;
  if (a->json && !(mem = open_memstream(&doc, &len))) {
    st = err.code = PK_ENOMEM;
    snprintf(err.message, sizeof err.message, "out of memory");
  }
  if (st == PK_OK) {
    if (mem) {
      l.w = &w;
      cli_json_init(&w, mem);
      cli_json_begin_array(&w);
    }
    st = pk_quarantine_list(cache, show, &l, &err);
    if (mem) {
      cli_json_end_array(&w);
      cli_json_finish(&w);
      fclose(mem);
    }
  }
  if (st != PK_OK) {
    say_failure(cache, &err);
    cli_json_failure(a, &err);
  } else if (a->json) {
    fwrite(doc, 1, len, stdout);
  } else if (l.n == 0) {
    printf("no plugin in quarantine (%s.journal)\n", cache);
  }
  free(doc);
  return st == PK_OK ? 0 : 1;
}

static int clear(const char *cache, const char *plugin)
{
  size_t n = 0;
  pk_error err;
  pk_error_clear(&err);
  if (pk_quarantine_clear(cache, plugin, &n, &err) != PK_OK) {
    say_failure(cache, &err);
    return 1;
  }
  if (plugin && n == 0) {
    fprintf(stderr,
            "plugkit: %s has no quarantine or strike in %s.journal; see "
            "`plugkit quarantine list --cache %s`\n",
            plugin, cache, cache);
    return 1;
  }
  printf("%zu plugin%s out of quarantine (or freed of a strike)\n", n,
         n == 1 ? "" : "s");
  return 0;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  static const char *const subs[] = {"list", "clear"};
  const char *cache = cli_opt(&a, "--cache");
  bool is_list = a.npos && !strcmp(a.pos[0], "list");
  bool is_clear = a.npos && !strcmp(a.pos[0], "clear");
  if (!is_list && !is_clear) {
    if (a.npos)
      cli_unknown("quarantine command", a.pos[0], subs, 2);
    rc = cli_usage_error(cmd, "expected the subcommand \"list\" or \"clear\"");
  } else if (a.npos > (is_list ? 1u : 2u)) {
    rc = cli_usage_error(cmd, "unexpected argument '%s'",
                         a.pos[is_list ? 1 : 2]);
  } else if (!cache || !*cache) {
    rc = cli_usage_error(cmd, "--cache FILE is required: the host's metadata "
                              "cache, beside which its journal lies");
  } else if (a.npos == 2 && (rc = cli_check_pairs(&a, 1)) != -1) {
    return rc; /* cli_check_pairs freed a */
  } else {
    rc =
        is_list ? list(&a, cache) : clear(cache, a.npos == 2 ? a.pos[1] : NULL);
  }
  cli_args_free(&a);
  return rc;
}

const cli_command cli_quarantine = {
    "quarantine",
    run,
    "list|clear [PLUGIN]",
    "the plugins a host skips because it died inside them",
    "A host with a metadata cache (pk_host_options.cache_path; the runner's "
    "is .runner/plugins.cache) journals each call into a plugin's code "
    "(loading it, its register, post_register and unload hooks, its "
    "factories, the dlclose that runs its destructors) in CACHE.journal; "
    "when the host dies inside one (a crash, a kill, an exit), its next "
    "starts skip that plugin with a warning, "
    "until its manifest or shared object changes.  The host's own code "
    "running inside such a call (its log, watch and trace callbacks, its "
    "built-in plugins and types, a service between pk_host_code_enter and "
    "pk_host_code_leave) is not the plugin's: an end there is blamed on no "
    "plugin.  A host with "
    "crash_signals (the runner) records a crash signal or an exit() there; "
    "when it ends inside a call with neither (killed from outside) that is "
    "a strike, warned of, and only a second one with the same files "
    "quarantines the plugin.  quarantine list prints "
    "each plugin in quarantine (not strikes): its NS:NAME, how the host "
    "ended in which call (with the signal, when the host recorded it), "
    "when that was found and its manifest.  quarantine clear lifts the "
    "quarantine of PLUGIN (NS:NAME), or of every plugin, and their "
    "strikes.  --cache FILE must be a host's metadata cache (or one "
    "removed whose journal is still there): a path that names nothing, or "
    "a file that is not a metadata cache, is an error (exit 1), not an "
    "empty quarantine; so is a FILE.journal that is not a crash journal "
    "of this plugkit, left as it is.  No plugin code runs.",
    {{"--cache", NULL, "FILE",
      "the host's metadata cache file (required; an error when it is not "
      "one); the journal is FILE.journal",
      false, "file"},
     {"--json", NULL, NULL,
      "list: print a JSON array of {plugin, call, manifest, since, signal, "
      "cause} (docs/cli.md); on a failure {ok: false, error}",
      false, NULL}},
    NULL};
