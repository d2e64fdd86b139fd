/* cli.h -- the plugkit command-line tool: one file per subcommand.
 * SPDX-License-Identifier: MIT */
#ifndef PK_CLI_H
#define PK_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <plugkit.h>

/* Each subcommand gets argv without the program name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 a reported
 * failure (the message is on stderr), 2 a usage error. */
int cmd_toml(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_config(int argc, char **argv);

/* Prints "plugkit: " + the formatted error to stderr. */
void cli_print_error(const pk_error *err);

/* ---- cli_host.c: options shared by the plugin commands ---- */

/* Which options a command accepts besides --path and --help. */
enum {
  CLI_OPT_JSON = 1u << 0,    /* --json */
  CLI_OPT_ALL = 1u << 1,     /* --all */
  CLI_OPT_FORMAT = 1u << 2,  /* --format dot|json */
  CLI_OPT_TIMEOUT = 1u << 3, /* --timeout SEC */
  CLI_OPT_TIMINGS = 1u << 4  /* --timings */
};

/* Parsed command line.  Strings point into argv; the arrays are owned and
 * released by cli_args_free(). */
typedef struct cli_args {
  const char **paths; /* --path DIR, in order */
  size_t npaths;
  const char **pos;   /* positional arguments, in order */
  size_t npos;
  bool json, all, timings;
  const char *format; /* --format value, or NULL */
  double timeout;     /* --timeout in seconds, or 0 when absent */
} cli_args;

/* Parses argv (argv[0] is the subcommand).  usage is the command's synopsis
 * without "plugkit " (printed for --help and after a usage error).  Returns
 * -1 to go on (free *out with cli_args_free()), otherwise the exit status to
 * return at once (0 after --help, 2 after a usage error, which is printed);
 * then nothing needs to be freed. */
int cli_parse(int argc, char **argv, unsigned allowed, const char *usage,
              cli_args *out);
void cli_args_free(cli_args *a);

/* Prints "plugkit: " + the message and the command's usage line to stderr;
 * returns 2. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A host for the CLI: no namespace registered (every namespace and ABI is
 * accepted), PLUGKIT_PATH read by the library, then the --path directories.
 * With log_warnings, library warnings go to stderr as
 * "plugkit: warning: ...".  Discovers the plugins.  On failure prints the
 * error and returns NULL.  Free with pk_host_free(). */
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
 * `plugkit list`) to stderr and returns 1. */
int cli_no_plugin(pk_host *host, const char *id);

/* Prints "plugkit: no plugins found; searched " + the search path
 * ("PLUGKIT_PATH (a:b), c") to stderr. */
void cli_no_plugins_found(const cli_args *a);

/* The "ns:name" a requirement text names, without its version constraint
 * ("name" alone is in namespace ns). */
void cli_requirement_target(const char *ns, const char *req, char *buf,
                            size_t n);

/* Checks that the positional arguments from index `from` on all look like
 * "ns:name" (both parts non-empty).  Returns -1 when they are; otherwise prints the usage error,
 * frees *a and returns 2. */
int cli_check_pairs(cli_args *a, size_t from, const char *usage);

/* ---- json.c: a tiny JSON writer (pretty-printed, 2-space indent) ---- */

#define CLI_JSON_MAX_DEPTH 32

typedef struct cli_json_writer {
  FILE *out;
  unsigned depth;
  bool first[CLI_JSON_MAX_DEPTH]; /* no item written yet at this depth */
  bool after_key;             /* a key was written; its value comes next */
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
