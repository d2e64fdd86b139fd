/* cli.h -- the plugkit command-line tool: one file per command.
 * SPDX-License-Identifier: MIT */
#ifndef PK_CLI_H
#define PK_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <plugkit.h>

/* ---- the commands (main.c lists them) ----
 *
 * Each command is described once, by a cli_command in its file: its name,
 * arguments, summary, description and options.  That description is the
 * source of `plugkit CMD --help`, of the option parser (cli_args.c), of
 * "did you mean" for a misspelled option, of the shell completion
 * (cmd_completion.c) and, through --help, of the man page plugkit(1)
 * (scripts/man.py). */

#define CLI_MAX_OPTIONS 12

/* One option.  name is "--long"; short_name "-s" or NULL; arg the value's
 * name ("DIR") or NULL for a flag; help says what it does (wrapped when
 * printed).  repeat: the option may be given several times (--path).
 * complete: what the shell completes for its value ("file", "dir" or a
 * space-separated list of words), or NULL. */
typedef struct cli_option {
  const char *name;
  const char *short_name;
  const char *arg;
  const char *help;
  bool repeat;
  const char *complete;
} cli_option;

struct cli_args; /* the parsed command line, below */

typedef struct cli_command {
  const char *name; /* "order" */
  /* Runs the command: argv[0] is the command's name.  Returns the exit
   * status: 0 success, 1 a reported failure (the message is on stderr), 2
   * a usage error. */
  int (*run)(const struct cli_command *cmd, int argc, char **argv);
  const char *args;        /* the positional arguments: "PAIR...", or "" */
  const char *summary;     /* one line, for `plugkit --help` */
  const char *description; /* paragraphs separated by "\n\n" */
  cli_option options[CLI_MAX_OPTIONS]; /* ended by a zero entry */
  /* With JSON output asked for, prints the command's shape for a failure
   * that left it nothing to show (no host, a child killed): ok false and
   * err as its error (docs/cli.md); does nothing without JSON.  NULL: the
   * command prints {"ok": false, "error": ERROR} with --json (its own
   * shape, an array, has no room for an error).  See cli_json_failure(). */
  void (*json_failure)(const struct cli_args *a, const pk_error *err);
} cli_command;

extern const cli_command cli_list, cli_info, cli_order, cli_graph, cli_why,
    cli_check, cli_config, cli_toml, cli_new, cli_completion, cli_lock,
    cli_quarantine;

/* Every command, in the order `plugkit --help` lists them; NULL-ended. */
extern const cli_command *const cli_commands[];

/* Prints "plugkit: " + the formatted error to stderr. */
void cli_print_error(const pk_error *err);

/* ---- cli_args.c: options, usage, help ---- */

/* Parsed command line.  Strings point into argv; the arrays are owned and
 * released by cli_args_free(). */
typedef struct cli_args {
  const cli_command *cmd;
  const char *value[CLI_MAX_OPTIONS]; /* per option: its (last) value, ""
                                         for a flag given, NULL if absent */
  const char **paths;                 /* --path DIR, in order */
  size_t npaths;
  const char **pos; /* positional arguments, in order */
  size_t npos;
  bool json;      /* --json */
  double timeout; /* --timeout in seconds, or 0 when absent */
} cli_args;

/* Parses argv (argv[0] is the command) by cmd's options, plus -h/--help
 * and --version, which every command takes.  Returns -1 to go on (free
 * *out with cli_args_free()), otherwise the exit status to return at once
 * (0 after --help or --version, 2 after a usage error, which is printed,
 * naming the closest option for a misspelled one, or saying that a
 * command whose args is "" takes no arguments); then nothing needs to be
 * freed. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);
void cli_args_free(cli_args *a);

/* The value of option name ("--format"): "" for a flag given, NULL when
 * absent. */
const char *cli_opt(const cli_args *a, const char *name);

/* Prints "plugkit: " + the message, then "usage: plugkit CMD ..." and a
 * hint to run --help, to stderr; returns 2. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The usage line of a command, without "usage: ". */
void cli_print_usage(const cli_command *cmd, FILE *out);

/* The help of a command (`plugkit CMD --help`) on out. */
void cli_print_help(const cli_command *cmd, FILE *out);

/* Prints text wrapped at 78 columns, the cursor being at column col0
 * (nothing is printed before the first word), each further line indented
 * by indent spaces; "\n\n" starts a new paragraph (after a blank line).
 * Ends with a newline. */
void cli_print_wrapped(FILE *out, const char *text, int first, int indent);

/* "did you mean X?" for word among the candidates: prints
 * "plugkit: unknown WHAT 'word'" with the closest candidate to stderr. */
void cli_unknown(const char *what, const char *word,
                 const char *const *candidates, size_t n);

/* ---- cli_run.c: the one place plugin code runs ----
 *
 * Every command that runs plugin code (order, graph, why, check) runs it
 * through cli_run(), in a child process started by cli_isolate(), so that
 * a plugin that crashes, hangs or ends the process is reported with its
 * name and the step it was in, and the command is never killed by it. */
typedef enum cli_stage {
  CLI_IMPORT,       /* request + import: load and check, no hook runs */
  CLI_RESOLVE,      /* + resolve: the register hooks */
  CLI_POST_REGISTER /* + post_register: every lifecycle hook */
} cli_stage;

/* Requests reqs (n requirement texts) and runs the stages up to `upto`.
 * ms (may be NULL) receives the milliseconds of request, import, resolve
 * and post_register (0 for a stage not run). */
pk_status cli_run(pk_host *host, const char *const *reqs, size_t n,
                  cli_stage upto, double ms[4], pk_error *err);

/* Seconds a command's plugin code gets when --timeout is not given. */
#define CLI_DEFAULT_TIMEOUT 5.0

/* The --timeout option of order, graph and why. */
#define CLI_TIMEOUT_OPTION                                                     \
  {                                                                            \
    "--timeout", NULL, "SEC",                                                  \
        "give the plugins' code SEC seconds in all (default 5; a decimal "     \
        "number "                                                              \
        "such as 0.5); a plugin that hangs is then killed and named",          \
        false, NULL                                                            \
  }

/* What runs in the child: returns the command's exit status. */
typedef int (*cli_body_fn)(void *ud);

/* How a child ended.  status is the body's return, or -1 when the child
 * did not end by returning from it: then what says how it ended ("crashed:
 * signal 11 (Segmentation fault)", "did not return within 5 s (killed)",
 * "called exit(0), ending the process", "ended the process (_exit(0))"),
 * and plugin, step and manifest name the plugin code that was running
 * (empty when none was).  left: the processes it left running, killed
 * ("left a process running: pid N"), or empty.  message: what the body
 * gave cli_child_message(). */
typedef struct cli_outcome {
  int status;
  char plugin[128];
  char step[64];
  char manifest[1024];
  char what[256];
  char left[256];
  char message[2048];
} cli_outcome;

/* Runs body(ud) in a child process in a process group of its own, with
 * timeout seconds (<= 0: CLI_DEFAULT_TIMEOUT), the hosts of the child
 * watched by cli_watch().  Whatever the child leaves running is killed.
 * Fills *o and returns o->status.  The child's standard error is the
 * parent's; its standard output is copied to the parent's once the child
 * ended by returning from body (nothing is printed when it did not). */
int cli_isolate(cli_body_fn body, void *ud, double timeout, cli_outcome *o);

/* The failure of o, if any, on stderr as "plugkit CMD: ID: STEP WHAT; fix
 * or remove the plugin (manifest PATH)".  Returns the body's status, or 1
 * after a failure. */
int cli_report(const cli_command *cmd, const cli_outcome *o);

/* A command of positional arguments run in a child: parses argv by cmd
 * (no argument: the usage error `missing`), checks that the arguments from
 * index pairs_from on are NS:NAME pairs, then cli_isolate(body) with the
 * parsed cli_args as ud and its --timeout; when the child did not end by
 * returning from the body (its standard output is dropped), the failure
 * through cli_json_failure(); then cli_report().  Returns the exit
 * status. */
int cli_run_command(const cli_command *cmd, int argc, char **argv,
                    size_t pairs_from, const char *missing, cli_body_fn body);

/* The failure of o (which did not return) as a pk_error: PK_EPLUGIN, the
 * plugin that was running (or none) and cli_outcome_text() without it. */
void cli_outcome_error(const cli_outcome *o, pk_error *err);

/* The failure of o as one line into buf ("" when the body returned and
 * left nothing running): "ID: STEP WHAT; fix or remove the plugin
 * (manifest PATH)", without "ID: " when ID is self (may be NULL); then
 * "; and left ...".  Returns buf. */
const char *cli_outcome_text(const cli_outcome *o, const char *self, char *buf,
                             size_t n);

/* Copies what file `from` holds, from its start, to `to`. */
void cli_copy_file(FILE *from, FILE *to);

/* In the child: the message the parent finds in cli_outcome.message
 * (printf format). */
void cli_child_message(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The hosts' watch callback (pk_watch_fn): in a child of cli_isolate(),
 * keeps which plugin code runs; elsewhere does nothing. */
void cli_watch(void *ud, bool entering, pk_trace_event step,
               const pk_plugin *p);

/* ---- cli_host.c: the host of the plugin commands ---- */

/* A host for the CLI: no namespace registered (every namespace and ABI is
 * accepted), PLUGKIT_PATH read by the library, then the --path directories.
 * With log_warnings, library warnings go to stderr as
 * "plugkit: warning: ...".  Discovers the plugins.  On failure prints the
 * error, and with JSON output the command's failure shape
 * (cli_json_failure), and returns NULL.  Free with pk_host_free(). */
pk_host *cli_host_new(const cli_args *a, bool log_warnings);
/* The same with a trace callback (pk_host_options.trace). */
pk_host *cli_host_new_traced(const cli_args *a, bool log_warnings,
                             pk_trace_fn trace, void *trace_ud);

/* Finds a plugin by "ns:name": the active one, else any record with that id
 * (a broken plugin is named after its directory).  NULL when none. */
pk_plugin *cli_find_plugin(pk_host *host, const char *id);

/* Why p is in its state, written into buf: the error of a broken or failed
 * plugin (formatted), else pk_plugin_get_reason().  Returns buf. */
const char *cli_plugin_reason(const pk_plugin *p, char *buf, size_t n);

/* Prints "plugkit: no plugin ID; did you mean X?" (or a hint to run
 * `plugkit list`, or the broken manifest of ID's directory) to stderr,
 * fills *err with the same (PK_EDEP_MISSING, or PK_EMANIFEST for the
 * broken manifest; plugin ID) for --json, and returns 1. */
int cli_no_plugin(pk_host *host, const char *id, pk_error *err);

/* Prints "plugkit: no plugins found; searched " + the search path
 * ("PLUGKIT_PATH (a:b), c") + how to set it to stderr, and fills *err with
 * the same (PK_ENOTFOUND) for --json. */
void cli_no_plugins_found(const cli_args *a, pk_error *err);

/* The "ns:name" a requirement text names, without its version constraint
 * ("name" alone is in namespace ns). */
void cli_requirement_target(const char *ns, const char *req, char *buf,
                            size_t n);

/* Checks that the positional arguments from index `from` on all look like
 * "ns:name" (both parts non-empty).  Returns -1 when they are; otherwise
 * prints the usage error, frees *a and returns 2. */
int cli_check_pairs(cli_args *a, size_t from);

/* ---- json.c: a tiny JSON writer (pretty-printed, 2-space indent) ---- */

#define CLI_JSON_MAX_DEPTH 32

typedef struct cli_json_writer {
  FILE *out;
  unsigned depth;
  bool first[CLI_JSON_MAX_DEPTH]; /* no item written yet at this depth */
  bool after_key;                 /* a key was written; its value comes next */
} cli_json_writer;

void cli_json_init(cli_json_writer *w, FILE *out);
void cli_json_begin_object(cli_json_writer *w);
void cli_json_end_object(cli_json_writer *w);
void cli_json_begin_array(cli_json_writer *w);
void cli_json_end_array(cli_json_writer *w);
void cli_json_key(cli_json_writer *w, const char *key);
void cli_json_string(cli_json_writer *w, const char *s); /* NULL writes null */
void cli_json_int(cli_json_writer *w, long long v);
void cli_json_double(cli_json_writer *w, double v);
void cli_json_bool(cli_json_writer *w, bool v);
void cli_json_null(cli_json_writer *w);
/* A TOML value as plain JSON (tables as objects, arrays as arrays, dates as
 * their TOML text in a string). */
void cli_json_value(cli_json_writer *w, const pk_value *v);
/* The manifests of the shadowed copies of p (found later in the search
 * path) as a JSON array of paths (cli_host.c); [] without p (nor host). */
void cli_json_shadowed(cli_json_writer *w, pk_host *host, const pk_plugin *p);

/* An error as {"code", "message", "plugin", "source", "line", "col"}
 * (docs/cli.md); NULL writes null. */
void cli_json_error(cli_json_writer *w, const pk_error *err);
/* A failure that left the command a->cmd nothing to show, on standard
 * output: its json_failure, or without one {"ok": false, "error": ERROR}
 * with --json; nothing without JSON output. */
void cli_json_failure(const cli_args *a, const pk_error *err);
/* Ends the document with a newline. */
void cli_json_finish(cli_json_writer *w);
/* Writes s as a quoted, escaped JSON string (NULL: null). */
void cli_json_write_string(FILE *out, const char *s);
/* The same for len bytes (NUL bytes included). */
void cli_json_write_stringn(FILE *out, const char *s, size_t len);

/* The TOML text of a date, a time or both ("1979-05-27T07:32:00.5Z"). */
void cli_datetime_text(const pk_datetime *d, char *buf, size_t n);

/* Writes a TOML value in TOML syntax (strings quoted), for text output. */
void cli_write_toml_value(FILE *out, const pk_value *v);

#endif
