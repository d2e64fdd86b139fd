/* project.c -- the runner as a plugkit host: finds runner.toml, declares
 * what the runner is (runner-host.toml beside the executable, built-in
 * types), loads the config, gathers the commands (runner.toml's, each
 * module's runner.toml, then each enabled plugin's fragment under its
 * alias) and checks all of it before any plugin code runs, printing every
 * problem at FILE:LINE:COL.  The shape of every table (its fields, their
 * types, typed deps and envs) is checked by plugkit through
 * runner-host.toml's [tables], the check plugkit config check --host
 * makes; the runner checks what needs the project: the names a field
 * refers to, module directories, placeholders.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

#define CONFIG_NAME "runner.toml"

/* runner_host.warn, the service plugins call: the plugin's format and
 * arguments are read first (a bad pointer crashes in the plugin's call,
 * its own), then runner_warn runs as the runner's code
 * (pk_host_code_enter): an end meanwhile, say a kill while it blocks on
 * a full stderr pipe or an exit() for want of memory, is no strike
 * against the plugin. */
static void service_warn(const char *fmt, ...)
{
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (text)
    vsnprintf(text, (size_t)n + 1, fmt, again);
  va_end(again);
  va_end(ap);
  void *hc = pk_host_code_enter();
  runner_warn("%s", text ? text : "a plugin's warning (out of memory)");
  pk_host_code_leave(hc);
  free(text);
}

static const char *const cache_whens[] = {"success", "failed", "finished"};

/* plugkit's log.  While the plugins start (p->holding: from the loading
 * of the configuration to pk_host_register, or to the first plugin code
 * that runs) its lines wait in p->held, so that a warning the error
 * stopping the start repeats is printed once, in that error
 * (log_release): a plugin the project declares found in quarantine is
 * warned of at discovery, then its request fails with the same text.
 * They are printed before any plugin code runs (plugin_code_enters),
 * which may crash or hang the runner. */
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_line(void *ud, pk_log_level level, const char *plugin,
                     const char *message)
{
  project *p = ud;
  if (level < PK_LOG_WARN && !p->verbose)
    return;
  static const char *const names[] = {"debug", "info", "warning", "error"};
  char *line = xasprintf("runner: %s: %s%s%s\n", names[level],
                         plugin ? plugin : "", plugin ? ": " : "", message);
  pthread_mutex_lock(&held_mu);
  bool hold = p->holding;
  if (hold) {
    strlist_take(&p->held, line);
    strlist_add(&p->held_msgs, message);
  }
  pthread_mutex_unlock(&held_mu);
  if (!hold) {
    report_err("%s", line);
    free(line);
  }
}

/* Ends the holding: prints each held line in order, unless err (the error
 * that stopped the start, else NULL) holds its whole message (an error
 * cut to fit pk_error.message keeps the warning: it has the whole text). */
static void log_release(project *p, const pk_error *err)
{
  pthread_mutex_lock(&held_mu);
  p->holding = false;
  strlist held = p->held, msgs = p->held_msgs;
  p->held = p->held_msgs = (strlist){0};
  pthread_mutex_unlock(&held_mu);
  for (size_t i = 0; i < held.n; i++)
    if (!err || !strstr(err->message, msgs.v[i]))
      report_err("%s", held.v[i]);
  strlist_free(&held);
  strlist_free(&msgs);
}

/* plugkit's watch: a plugin's code is about to run (and may end the
 * runner): what the log holds is printed first. */
static void plugin_code_enters(void *ud, bool entering, pk_trace_event step,
                               const pk_plugin *plugin)
{
  (void)step;
  (void)plugin;
  if (entering)
    log_release(ud, NULL);
}

/* plugkit's steps of a plugin (load, register, ..., factory), for
 * --trace. */
static void trace_step(void *ud, const pk_trace *t)
{
  (void)ud;
  if (t->event == PK_TRACE_HOOK_CALL || !t->plugin)
    return;
  uint64_t dur = t->duration_ns / 1000, now = trace_now();
  char name[200];
  snprintf(name, sizeof name, "%s %s", pk_trace_event_name(t->event),
           pk_plugin_get_id(t->plugin));
  trace_span(name, "plugin", now > dur ? now - dur : 0,
             t->status == PK_OK ? "ok" : pk_status_name(t->status));
}

static void problem_v(pk_error *e, pk_status code, pk_pos pos,
                      const char *fmt, va_list ap)
{
  pk_error_clear(e);
  e->code = code;
  e->line = pos.line;
  e->col = pos.col;
  snprintf(e->source, sizeof e->source, "%s", pos.source ? pos.source : "");
  vsnprintf(e->message, sizeof e->message, fmt, ap);
}

static void problem(pk_error *e, pk_status code, pk_pos pos, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

static void problem(pk_error *e, pk_status code, pk_pos pos, const char *fmt,
                    ...)
{
  va_list ap;
  va_start(ap, fmt);
  problem_v(e, code, pos, fmt, ap);
  va_end(ap);
}

void runner_problem(pk_diag *diag, pk_status code, pk_pos pos,
                    const char *fmt, ...)
{
  pk_error e;
  va_list ap;
  va_start(ap, fmt);
  problem_v(&e, code, pos, fmt, ap);
  va_end(ap);
  pk_diag_add(diag, &e, NULL);
}

static int by_position(const void *a, const void *b)
{
  const pk_error *x = *(const pk_error *const *)a;
  const pk_error *y = *(const pk_error *const *)b;
  int c = strcmp(x->source, y->source);
  if (c)
    return c;
  if (x->line != y->line)
    return x->line - y->line;
  return x->col - y->col;
}

/* Prints every problem, sorted by position; returns how many. */
static size_t print_diag(const pk_diag *diag)
{
  size_t n = pk_diag_count(diag);
  const pk_error **v = xcalloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = pk_diag_at(diag, i);
  qsort(v, n, sizeof *v, by_position);
  for (size_t i = 0; i < n; i++) {
    char text[1200];
    pk_error_format(v[i], text, sizeof text);
    if (v[i]->plugin[0])
      fprintf(stderr, "%s (plugin %s)\n", text, v[i]->plugin);
    else
      fprintf(stderr, "%s\n", text);
  }
  free(v);
  return n;
}

void runner_error(const char *what, const pk_error *err)
{
  char text[1200];
  pk_error_format(err, text, sizeof text);
  report_err("runner: %s%s%s\n", what, what[0] ? ": " : "", text);
}

/* ---- finding the project ---- */

static char *find_root(const char *dir)
{
  char path[PATH_MAX];
  if (!realpath(dir ? dir : ".", path))
    return NULL;
  for (;;) {
    char *cfg = xconcat(path, "/" CONFIG_NAME, NULL);
    struct stat st;
    int found = stat(cfg, &st) == 0;
    free(cfg);
    if (found || dir)
      return found ? xstrdup(path) : NULL;
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
      return NULL;
    *slash = 0;
  }
}

/* Says why find_root(dir) found no project: a -C DIR that cannot be
 * searched is said with its errno text, not as a missing runner.toml. */
static void no_root(const char *dir)
{
  struct stat st;
  if (dir && stat(dir, &st) != 0)
    fprintf(stderr, "runner: -C %s: %s\n", dir, strerror(errno));
  else if (dir && !S_ISDIR(st.st_mode))
    fprintf(stderr, "runner: -C %s: %s\n", dir, strerror(ENOTDIR));
  else if (dir && access(dir, R_OK | X_OK) != 0)
    fprintf(stderr, "runner: -C %s: %s\n", dir, strerror(errno));
  else
    fprintf(stderr, "runner: no " CONFIG_NAME " in %s%s\n",
            dir ? dir : "this directory",
            dir ? "" : " or its parents: create one, or pass -C DIR");
}

/* ---- commands ---- */

static bool in_table(const pk_value *root, const char *table,
                     const char *name)
{
  const pk_value *t = pk_table_get(root, table);
  return pk_value_kind(pk_table_get(t, name)) == PK_KIND_TABLE;
}

/* The closest to word of the names given and the keys of root's [table],
 * or NULL (pk_closest's rule): the "did you mean" of a name that refers
 * to a cache, an env or a space. */
static const char *closest_in(const pk_value *root, const char *table,
                              const char *word, const char *const *names,
                              size_t nnames)
{
  const pk_value *t = pk_table_get(root, table);
  size_t n = pk_table_count(t);
  const char **all = xcalloc(nnames + n + 1, sizeof *all);
  for (size_t i = 0; i < nnames; i++)
    all[i] = names[i];
  for (size_t i = 0; i < n; i++)
    all[nnames + i] = pk_table_key_at(t, i, NULL);
  const char *near = pk_closest(word, all, nnames + n);
  free(all);
  return near;
}

/* Whether text (len bytes) holds word, which starts with a '{' (a byte
 * the text rarely holds: cheaper than strstr). */
static bool mentions(const char *text, size_t len, const char *word)
{
  size_t n = strlen(word);
  for (const char *c = text; (c = memchr(c, '{', len - (size_t)(c - text)));
       c++)
    if ((size_t)(text + len - c) >= n && !memcmp(c, word, n))
      return true;
  return false;
}

bool value_mentions_module(const pk_value *v)
{
  size_t len;
  const char *s;
  if (pk_value_kind(v) == PK_KIND_STRING &&
      pk_value_get_string(v, &s, &len, NULL) == PK_OK)
    return mentions(s, len, "{module.");
  bool tbl = pk_value_kind(v) == PK_KIND_TABLE;
  size_t n = tbl ? pk_table_count(v) : pk_array_count(v);
  for (size_t i = 0; i < n; i++)
    if (value_mentions_module(tbl ? pk_table_value_at(v, i)
                                  : pk_array_at(v, i)))
      return true;
  return false;
}

/* Whether c's fields may mention {module.*}: a fragment's may, and a root
 * command's when runner.toml does somewhere. */
static bool may_mention(const project *p, const command *c)
{
  return c->alias || c->module || p->root_per_module;
}

/* A command's factory: "TAG" (made { type = "TAG" }, on its line, for
 * pk_host_make_instance) or a table.  Checked with [commands]
 * (runner-host.toml: exactly one of exec and factory, an instance of kind
 * factory). */
static void take_factory(project *p, command *c)
{
  const pk_value *f = pk_table_get(c->table, "factory");
  const char *tag;
  if (c->exec || !f)
    return;
  if (pk_value_get_string(f, &tag, NULL, NULL) == PK_OK) {
    pk_pos at = pk_value_get_pos(f);
    buf t = {0};
    for (int i = 1; i < at.line; i++)
      buf_add(&t, "\n", 1);
    buf_add(&t, "f = { type = ", 13);
    buf_json(&t, tag);
    buf_add(&t, " }\n", 3);
    pk_doc *doc;
    pk_status st = pk_doc_parse(t.p, t.n, at.source, NULL, &doc, NULL);
    buf_free(&t);
    if (st != PK_OK)
      return;
    p->mdocs = xrealloc(p->mdocs, (p->nmdocs + 1) * sizeof *p->mdocs);
    p->mdocs[p->nmdocs++] = doc;
    f = pk_table_get(pk_doc_root(doc), "f");
  } else if (pk_value_kind(f) != PK_KIND_TABLE) {
    return;
  }
  c->factory = f;
}

/* Checks a literal cache name or cache-when (one with a placeholder is
 * checked when it is formatted, runnable by runnable). */
static void check_cache(project *p, const char *who, const pk_value *cv,
                        const pk_value *wv, pk_diag *diag)
{
  const char *cache = NULL, *when = NULL;
  pk_value_get_string(cv, &cache, NULL, NULL);
  pk_value_get_string(wv, &when, NULL, NULL);
  static const char *const builtin[] = {"local", "repo", "none"};
  if (cache && !strchr(cache, '{') && !cache_known(p, cache)) {
    const char *near =
        closest_in(pk_doc_root(p->doc), "caches", cache, builtin, 3);
    runner_problem(diag, PK_ENOTFOUND, pk_value_get_pos(cv),
                   "%s: cache \"%s\" is not configured%s%s%s: use local, "
                   "repo, none or add [caches.%s]",
                   who, cache, DID_YOU_MEAN(near), cache);
  }
  if (when && !strchr(when, '{') && cache_when_of(when) < 0) {
    const char *near = pk_closest(when, cache_whens, 3);
    runner_problem(diag, PK_ERANGE, pk_value_get_pos(wv), "%s: cache-when \"%s\"%s"
                   "%s%s: use success, failed or finished", who, when,
                   DID_YOU_MEAN(near));
  }
}

static void add_command(project *p, const char *alias, const char *dir,
                        module *m, const char *name, const pk_value *table,
                        pk_pos pos, pk_diag *diag)
{
  if (!name_ok(name)) {
    runner_problem(diag, PK_ECONFIG, pos, "command name \"%s\": use letters, "
                   "digits, '_' and '-' (a plugin's commands are ALIAS/NAME,"
                   " a module's MODULE/NAME)", name);
    return;
  }
  if (pk_value_kind(table) != PK_KIND_TABLE)
    return; /* reported by the check of [commands] */
  command *c = xcalloc(1, sizeof *c);
  c->address = alias ? xconcat(alias, "/", name, NULL)
               : m   ? xconcat(m->name, "/", name, NULL)
                     : xstrdup(name);
  if (strmap_put(&p->by_address, c->address, c)) {
    runner_problem(diag, PK_EDUPLICATE, pos, "command %s is defined twice",
                   c->address);
    free(c->address);
    free(c);
    return;
  }
  p->cmds = xrealloc(p->cmds, (p->ncmds + 1) * sizeof *p->cmds);
  p->cmds[p->ncmds++] = c;
  c->alias = alias;
  c->plugin_dir = dir;
  c->module = m;
  c->table = table;
  /* checked already (commands_add): decoded for the values */
  static const char *const skip[] = {"deps", "factory"};
  pk_decode_options o = {.size = sizeof o, .skip = skip, .skip_count = 2};
  if (pk_schema_decode(pk_host_get_table_schema(p->host, "commands"), table,
                       &o, &c->config, NULL, NULL) == PK_OK) {
    pk_config_get_string_or(c->config, "env", NULL, &c->env, NULL);
    pk_config_get_bool(c->config, "hidden", &c->hidden, NULL);
  }
  c->exec = pk_table_get(table, "exec");
  c->artifacts = pk_table_get(table, "artifacts");
  c->cache = pk_table_get(table, "cache");
  c->cache_when = pk_table_get(table, "cache-when");
  /* the names it refers to, also when a field above is wrong */
  const pk_value *root = pk_doc_root(p->doc);
  const pk_value *ev = pk_table_get(table, "env");
  const pk_value *sv = pk_table_get(table, "space");
  const char *env = NULL, *sp = NULL;
  pk_value_get_string(ev, &env, NULL, NULL);
  pk_value_get_string(sv, &sp, NULL, NULL);
  check_cache(p, c->address, c->cache, c->cache_when, diag);
  const char *near = NULL;
  if (env && !in_table(root, "envs", env)) {
    near = closest_in(root, "envs", env, NULL, 0);
    runner_problem(diag, PK_ENOTFOUND, pk_value_get_pos(ev),
                   "%s: env \"%s\" is not configured%s%s%s: add [envs.%s]",
                   c->address, env, DID_YOU_MEAN(near), env);
  }
  if (sp && m)
    runner_problem(diag, PK_ECONFIG, pk_value_get_pos(sv), "%s: a module's "
                   "command runs in its module's space (%s): remove space",
                   c->address, m->space->name);
  else if (sp && !(c->space = space_find(p, sp))) {
    static const char *const dflt[] = {"default"};
    near = closest_in(root, "spaces", sp, dflt, 1);
    runner_problem(diag, PK_ENOTFOUND, pk_value_get_pos(sv),
                   "%s: space \"%s\" is not configured%s%s%s: add "
                   "[spaces.%s]",
                   c->address, sp, DID_YOU_MEAN(near), sp);
  }
  const pk_value *deps = pk_table_get(table, "deps");
  if (pk_value_kind(deps) == PK_KIND_ARRAY)
    c->deps = deps; /* its typed deps are checked with [commands] */
  take_factory(p, c);
  c->per_module = !m && may_mention(p, c) &&
                  (value_mentions_module(c->exec) ||
                   value_mentions_module(c->artifacts) ||
                   value_mentions_module(c->deps));
}

void commands_add(project *p, const char *alias, const char *dir, module *m,
                  const pk_value *sect, pk_diag *diag)
{
  /* runner.toml's [commands] is checked as the config is loaded; a
   * module's and a fragment's by the same description, here */
  pk_error e;
  if ((alias || m) && sect &&
      pk_host_check_table(p->host, "commands", sect, diag, &e) != PK_OK &&
      e.code == PK_ENOMEM)
    return;
  if (pk_value_kind(sect) != PK_KIND_TABLE)
    return;
  for (size_t i = 0; i < pk_table_count(sect); i++)
    add_command(p, alias, dir, m, pk_table_key_at(sect, i, NULL),
                pk_table_value_at(sect, i), pk_table_key_pos_at(sect, i),
                diag);
}

/* Each enabled plugin's fragment: only [commands] (qik-spec 8 item 17). */
static void add_fragments(project *p, pk_diag *diag)
{
  const pk_value *plugins = pk_table_get(pk_doc_root(p->doc), "plugins");
  for (size_t i = 0; i < pk_table_count(plugins); i++) {
    const char *alias = pk_table_key_at(plugins, i, NULL);
    const pk_value *frag = pk_host_get_fragment(p->host, alias);
    pk_plugin *pl = pk_host_find_alias(p->host, alias);
    if (!frag || !pl)
      continue;
    for (size_t k = 0; k < pk_table_count(frag); k++)
      if (strcmp(pk_table_key_at(frag, k, NULL), "commands"))
        runner_problem(diag, PK_ECONFIG, pk_table_key_pos_at(frag, k),
                "unknown key \"%s\" in the fragment of plugin %s: a "
                "fragment holds only [commands]",
                pk_table_key_at(frag, k, NULL), pk_plugin_get_id(pl));
    const char *manifest = pk_plugin_get_manifest_path(pl);
    const char *slash = strrchr(manifest, '/');
    char *dir = slash ? xasprintf("%.*s", (int)(slash - manifest), manifest)
                      : xstrdup(".");
    strlist_take(&p->dirs, dir);
    commands_add(p, pk_plugin_get_alias(pl), dir, NULL,
                 pk_table_get(frag, "commands"), diag);
  }
}

/* The command deps whose name is written (one with {module.*} is
 * formatted per module, and a factory's deps are made, when planned): a
 * command that is not configured is a problem of the project's files,
 * reported before anything runs (runner --ls too). */
static void check_command_deps(project *p, pk_diag *diag)
{
  for (size_t i = 0; i < p->ncmds; i++) {
    const command *c = p->cmds[i];
    for (size_t k = 0; k < pk_array_count(c->deps); k++) {
      const pk_value *d = pk_array_at(c->deps, k);
      const char *type = NULL, *name = NULL;
      if (pk_value_kind(d) != PK_KIND_TABLE ||
          pk_table_get_string(d, "type", &type, NULL) != PK_OK ||
          strcmp(type, "command") ||
          pk_table_get_string(d, "name", &name, NULL) != PK_OK ||
          value_mentions_module(d))
        continue;
      char who[300];
      pk_error e;
      snprintf(who, sizeof who, "%s.deps[%zu]", c->address, k);
      if (!dep_command(p, who, name, d, &e))
        pk_diag_add(diag, &e, NULL);
    }
  }
}

/* The names [defaults] refers to (its fields are checked by its schema,
 * runner-host.toml's [defaults]). */
static void check_defaults(project *p, pk_diag *diag)
{
  p->defaults = pk_table_get(pk_doc_root(p->doc), "defaults");
  check_cache(p, "defaults", pk_table_get(p->defaults, "cache"),
              pk_table_get(p->defaults, "cache-when"), diag);
}

int project_open(project *p, const char *dir, const char *exe_dir,
                 const run_options *o)
{
  memset(p, 0, sizeof *p);
  p->verbose = o->verbose;
  p->root = find_root(dir);
  if (!p->root) {
    no_root(dir);
    return 2;
  }
  if (chdir(p->root) != 0) {
    fprintf(stderr, "runner: cannot enter %s: %s\n", p->root,
            strerror(errno));
    return 2;
  }
  p->state_dir = xconcat(p->root, "/.runner", NULL);
  p->services = (runner_host){.size = sizeof p->services,
                              .root = p->root,
                              .state_dir = p->state_dir,
                              .warn = service_warn,
                              .check_entry = entry_check};
  pk_error err;
  /* plugkit's metadata cache: later starts stat the plugins' manifests
   * instead of parsing them (-v says how many came from it) */
  char *mcache = xconcat(p->state_dir, "/plugins.cache", NULL);
  pk_host_options ho = {.size = sizeof ho, .log = log_line,
                        .log_ud = p, .userdata = &p->services,
                        .watch = plugin_code_enters, .watch_ud = p,
                        .trace = trace_on() ? trace_step : NULL,
                        .cache_path = mkdir_p(p->state_dir) == 0 ? mcache
                                                                 : NULL,
                        /* a plugin that crashes the runner: the next run's
                         * quarantine warning names the signal */
                        .crash_signals = true};
  char *desc = xconcat(exe_dir, "/runner-host.toml", NULL);
  char *plugins = xconcat(exe_dir, "/plugins", NULL);
  /* every {ctx.NAME} is the runner's (ctx.c): plugkit reads no variable
   * from the environment itself */
  pk_ctx_options co = {.size = sizeof co, .ignore_env = true};
  pk_status st = pk_host_new(&ho, &p->host, &err);
  free(mcache);
  if (st == PK_OK)
    st = pk_host_load_description(p->host, desc, &err);
  if (st == PK_OK)
    st = builtins_add(p->host, &err) == 0 ? PK_OK : err.code;
  if (st == PK_OK)
    st = pk_host_add_path(p->host, plugins, &err);
  if (st == PK_OK && !pk_host_get_table_schema(p->host, "commands")) {
    pk_error_clear(&err);
    st = err.code = PK_ECONFIG;
    snprintf(err.message, sizeof err.message, "%s has no [tables.commands]: "
             "it is not the runner's runner-host.toml", desc);
  }
  if (st == PK_OK)
    st = pk_ctx_new(&co, &p->ctx, &err);
  free(desc);
  free(plugins);
  if (st != PK_OK) {
    runner_error("setting up", &err);
    return 2;
  }
  ctx_runtime(p, o);
  pk_diag *diag;
  if (pk_diag_new(NULL, &diag, &err) != PK_OK) {
    runner_error("", &err);
    return 2;
  }
  char *text;
  size_t len;
  if (file_read(CONFIG_NAME, &text, &len) != 0) {
    fprintf(stderr, "runner: cannot read %s/" CONFIG_NAME ": %s\n", p->root,
            strerror(errno));
    pk_diag_free(diag);
    return 2;
  }
  st = pk_doc_parse(text, len, CONFIG_NAME, NULL, &p->doc, &err);
  /* plugkit formats the plugins' fields with runner.* only when asked */
  if (st == PK_OK && mentions(text, len, "{ctx.runner."))
    ctx_runtime_to_plugkit(p);
  p->root_per_module = mentions(text, len, "{module.");
  free(text);
  if (st != PK_OK) {
    runner_error("", &err);
    pk_diag_free(diag);
    return 2;
  }
  check_defaults(p, diag);
  ctx_load(p, pk_table_get(pk_doc_root(p->doc), "ctx"), diag);
  pk_host_set_ctx(p->host, p->ctx);
  /* checks every table (runner-host.toml's [tables] too); the host keeps
   * the document: one parse */
  p->holding = true; /* until the plugins started (log_line) */
  pk_host_load_config_doc(p->host, p->doc, diag, &err);
  spaces_load(p, diag);
  commands_add(p, NULL, NULL, NULL,
               pk_table_get(pk_doc_root(p->doc), "commands"), diag);
  modules_load_commands(p, diag);
  add_fragments(p, diag);
  check_command_deps(p, diag);
  if (pk_diag_count(diag))
    log_release(p, NULL); /* before the problems, in the order they came */
  size_t nprob = print_diag(diag);
  pk_diag_free(diag);
  if (nprob)
    return 2;
  /* the modules, for a factory making a runnable per module */
  p->rmods = xcalloc(p->nmodules, sizeof *p->rmods);
  for (size_t i = 0; i < p->nmodules; i++)
    p->rmods[i] = (runner_module){p->modules[i]->name, p->modules[i]->dir,
                                  p->modules[i]->space->name};
  p->services.modules = p->rmods;
  p->services.nmodules = p->nmodules;
  pk_status rst = pk_host_register(p->host, NULL, 0, NULL, 0, &err);
  log_release(p, rst == PK_OK ? NULL : &err);
  if (rst != PK_OK) {
    runner_error("starting the plugins", &err);
    return 2;
  }
  p->local = local_cache_new(".runner/cache");
  p->repo = repo_cache_new(".runner/repo-cache");
  p->none = none_cache_new();
  return 0;
}

void project_close(project *p)
{
  for (size_t i = 0; i < p->ncmds; i++) {
    free(p->cmds[i]->address);
    pk_config_free(p->cmds[i]->config);
    free(p->cmds[i]);
  }
  free(p->cmds);
  strmap_free(&p->by_address);
  strlist_free(&p->dirs);
  cache_free(p->local);
  cache_free(p->repo);
  cache_free(p->none);
  spaces_free(p);
  pk_host_free(p->host);
  for (size_t i = 0; i < p->nmdocs; i++)
    pk_doc_free(p->mdocs[i]);
  free(p->mdocs);
  free(p->rmods);
  pk_ctx_free(p->ctx);
  ctx_free(p);
  free(p->state_dir);
  free(p->root);
}

command *project_find(project *p, const char *address)
{
  command *c = strmap_get(&p->by_address, address);
  if (c)
    return c;
  /* ALIAS.NAME (or MODULE.NAME) is ALIAS/NAME: split at the last '.' */
  const char *dot = strrchr(address, '.');
  if (!dot || strchr(address, '/'))
    return NULL;
  char *slashed = xstrdup(address);
  slashed[dot - address] = '/';
  c = strmap_get(&p->by_address, slashed);
  free(slashed);
  return c;
}

const char *project_closest(project *p, const char *address)
{
  const char **names = xcalloc(p->ncmds, sizeof *names);
  for (size_t i = 0; i < p->ncmds; i++)
    names[i] = p->cmds[i]->address;
  const char *near = pk_closest(address, names, p->ncmds);
  free(names);
  return near;
}

command *dep_command(project *p, const char *who, const char *address,
                     const pk_value *at, pk_error *e)
{
  command *c = project_find(p, address);
  if (c)
    return c;
  pk_pos pos = {0};
  if (at) {
    const pk_value *name = pk_table_get(at, "name");
    pos = pk_value_get_pos(name ? name : at);
  }
  const char *near = project_closest(p, address);
  problem(e, PK_ENOTFOUND, pos, "%s: command \"%s\" is not configured%s%s%s",
          who, address, DID_YOU_MEAN(near));
  return NULL;
}

char *runnable_base(const project *p, const command *c, const space *s,
                    const module *m)
{
  bool spaces = p->nspaces > 1;
  return xconcat(c->address, spaces ? "@" : "", spaces ? s->name : "",
                 m && !c->module ? "#" : "", m && !c->module ? m->name : "",
                 NULL);
}

/* The space a runnable of c runs in (m: its module, for a command per
 * module). */
space *command_space(const project *p, const command *c, const module *m)
{
  return m ? m->space : c->space ? c->space : p->spaces[0];
}

/* The modules command c runs for: every module of its space, or of every
 * space when it names none. */
void command_modules(const project *p, const command *c, module ***out,
                     size_t *n)
{
  *out = p->modules;
  *n = p->nmodules;
  if (c->space) {
    *out = c->space->modules;
    *n = c->space->nmodules;
  }
}

void project_list(project *p)
{
  buf t = {0};
  for (size_t i = 0; i < p->ncmds; i++) {
    const command *c = p->cmds[i];
    if (c->hidden)
      continue;
    if (!c->per_module && p->nspaces == 1) {
      buf_add(&t, c->address, strlen(c->address));
      buf_add(&t, "\n", 1);
      continue;
    }
    if (!c->per_module) {
      char *name = runnable_base(p, c, command_space(p, c, c->module),
                                 c->module);
      buf_printf(&t, "%s\n", name);
      free(name);
      continue;
    }
    module **ms;
    size_t n;
    command_modules(p, c, &ms, &n);
    for (size_t k = 0; k < n; k++) {
      char *name = runnable_base(p, c, ms[k]->space, ms[k]);
      buf_printf(&t, "%s\n", name);
      free(name);
    }
  }
  /* the spaces, when there is more than the bare default one */
  const space *d = p->spaces[0];
  if (p->nspaces > 1 || d->nmodules || d->env || d->dotenv) {
    buf_printf(&t, "\nspaces:\n");
    for (size_t i = 0; i < p->nspaces; i++) {
      const space *s = p->spaces[i];
      const char *env = NULL;
      pk_value_get_string(s->env, &env, NULL, NULL);
      buf_printf(&t, "  %s (root %s)", s->name, s->root);
      for (size_t k = 0; k < s->nmodules; k++)
        buf_printf(&t, "%s %s (%s)", k ? "," : ": modules",
                          s->modules[k]->name, s->modules[k]->dir);
      if (s->env)
        buf_printf(&t, "; env %s", env ? env : "inline");
      for (size_t k = 0; k < pk_array_count(s->dotenv); k++) {
        const char *f = "";
        pk_value_get_string(pk_array_at(s->dotenv, k), &f, NULL, NULL);
        buf_printf(&t, "%s %s", k ? "," : "; dotenv", f);
      }
      buf_add(&t, "\n", 1);
    }
  }
  fwrite(t.p ? t.p : "", 1, t.n, stdout);
  buf_free(&t);
}

bool cache_known(const project *p, const char *name)
{
  return !strcmp(name, "local") || !strcmp(name, "none") ||
         !strcmp(name, "repo") ||
         in_table(pk_doc_root(p->doc), "caches", name);
}

int cache_when_of(const char *text)
{
  for (int i = 0; i < 3; i++)
    if (!strcmp(text, cache_whens[i]))
      return i;
  return -1;
}

runner_cache *project_cache(project *p, const char *name, pk_error *err)
{
  if (!strcmp(name, "none"))
    return p->none;
  if (!strcmp(name, "local"))
    return p->local;
  if (!strcmp(name, "repo"))
    return p->repo;
  void *inst;
  if (pk_host_get_instance(p->host, "cache", name, &inst, err) != PK_OK)
    return NULL;
  return inst;
}
