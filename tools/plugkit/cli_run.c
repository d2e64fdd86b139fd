/* cli_run.c -- the one place the CLI runs plugin code: the registration
 * stages of a host (cli_run), in a child process with a deadline
 * (cli_isolate).
 *
 * The child runs in a process group of its own, killed when it ends; the
 * CLI is a child subreaper (Linux), so that a process a plugin leaves
 * behind, even one that left the group with setsid(), becomes the CLI's
 * child: it is found, killed and reported.  Which plugin's code is running
 * is kept, through the hosts' watch callback (cli_watch), in a page shared
 * with the parent, so that a crash, a hang or an exit is reported with
 * the plugin's name and the step it was in.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli.h"

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

pk_status cli_run(pk_host *host, const char *const *reqs, size_t n,
                  cli_stage upto, double ms[4], pk_error *err)
{
  double t[5] = {now_ms(), 0, 0, 0, 0};
  pk_status st = pk_host_request(host, reqs, n, err);
  t[1] = now_ms();
  if (st == PK_OK)
    st = pk_host_import(host, err);
  t[2] = now_ms();
  if (st == PK_OK && upto >= CLI_RESOLVE)
    st = pk_host_resolve(host, err);
  t[3] = now_ms();
  if (st == PK_OK && upto >= CLI_POST_REGISTER)
    st = pk_host_post_register(host, NULL, 0, err);
  t[4] = now_ms();
  for (int i = 0; ms && i < 4; i++)
    ms[i] = t[i + 1] - t[i];
  return st;
}

/* ---- the page shared with the child ---- */

#define MAX_NEST 8

/* One call into plugin code. */
typedef struct frame {
  pk_trace_event step;
  char id[128];
  char manifest[1024];
} frame;

typedef struct shared {
  int depth; /* plugin code nested this deep is running (may exceed
                MAX_NEST: only the outer ones are kept) */
  frame at[MAX_NEST];
  int done;    /* the body returned: the child ends normally */
  int exiting; /* exit() was called (our atexit handler ran) */
  char message[2048];
} shared;

static shared *page; /* in the child (and the parent): the mapping */

void cli_watch(void *ud, bool entering, pk_trace_event step, const pk_plugin *p)
{
  (void)ud;
  if (!page)
    return;
  if (!entering) {
    page->depth -= page->depth > 0;
    return;
  }
  if (page->depth < MAX_NEST) {
    frame *at = &page->at[page->depth];
    at->step = step;
    snprintf(at->id, sizeof at->id, "%s", p ? pk_plugin_get_id(p) : "");
    snprintf(at->manifest, sizeof at->manifest, "%s",
             p ? pk_plugin_get_manifest_path(p) : "");
  }
  page->depth++;
}

static void on_exit_called(void)
{
  if (page)
    page->exiting = 1;
}

void cli_child_message(const char *fmt, ...)
{
  if (!page)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(page->message, sizeof page->message, fmt, ap);
  va_end(ap);
}

/* ---- what a plugin leaves behind ---- */

#ifdef __linux__
/* The pids of this process's children (up to max), from the kernel's list
 * (/proc/self/task/PID/children), or else from every process's parent in
 * /proc/PID/stat.  Returns how many. */
static size_t children(pid_t *out, size_t max)
{
  char path[64];
  size_t n = 0;
  snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
  FILE *f = fopen(path, "r");
  if (f) {
    long pid;
    while (n < max && fscanf(f, "%ld", &pid) == 1)
      out[n++] = (pid_t)pid;
    fclose(f);
    return n;
  }
  DIR *d = opendir("/proc");
  for (struct dirent *e; d && n < max && (e = readdir(d));) {
    if (!isdigit((unsigned char)e->d_name[0]))
      continue;
    char stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", atol(e->d_name));
    FILE *sf = fopen(path, "r");
    size_t len = sf ? fread(stat, 1, sizeof stat - 1, sf) : 0;
    if (sf)
      fclose(sf);
    stat[len] = '\0';
    const char *end = strrchr(stat, ')'); /* the name may hold anything */
    long ppid;
    if (end && sscanf(end + 1, " %*c %ld", &ppid) == 1 && ppid == getpid())
      out[n++] = (pid_t)atol(e->d_name);
  }
  if (d)
    closedir(d);
  return n;
}
#endif

/* Kills and reaps whatever the child of group left: the rest of its
 * process group and, the CLI being a child subreaper, every process that
 * was below it and still runs (they are the CLI's children now, setsid()
 * or not).  Writes the pids of those still running into left (up to
 * max); returns how many. */
static size_t kill_leftovers(pid_t group, pid_t *left, size_t max)
{
  size_t nleft = 0;
#ifdef __linux__
  pid_t found[256];
  size_t n;
  /* each round kills what it finds; what they forked meanwhile is found by
   * the next (bounded, should a fork bomb outpace it) */
  for (int round = 0;
       round < 1000 && (n = children(found, sizeof found / sizeof *found));
       round++) {
    for (size_t i = 0; i < n; i++) {
      int status;
      if (waitpid(found[i], &status, WNOHANG) == found[i]) {
        found[i] = 0; /* it had ended: nothing left running */
        continue;
      }
      if (nleft < max)
        left[nleft] = found[i];
      nleft++;
      kill(found[i], SIGKILL);
    }
    kill(-group, SIGKILL); /* their descendants still in the group */
    for (size_t i = 0; i < n; i++)
      while (found[i] && waitpid(found[i], NULL, 0) < 0 && errno == EINTR)
        ;
  }
#else
  (void)left;
  (void)max;
#endif
  kill(-group, SIGKILL); /* anything left running in the group */
  return nleft;
}

/* Appends "left a process running: pid N" (or "left 2 processes running:
 * pids N, M") to reason; left holds the first max of the nleft pids. */
static void say_leftovers(char *reason, size_t n, const pid_t *left,
                          size_t nleft, size_t max)
{
  char pids[128] = ""; /* max (8) pids of up to 7 digits */
  size_t k = 0, len = strlen(reason);
  for (size_t i = 0; i < nleft && i < max; i++)
    k += (size_t)snprintf(pids + k, sizeof pids - k, "%s%ld", i ? ", " : "",
                          (long)left[i]);
  if (nleft == 1)
    snprintf(reason + len, n - len, "%sleft a process running: pid %s",
             len ? "; and " : "", pids);
  else
    snprintf(reason + len, n - len, "%sleft %zu processes running: pids %s%s",
             len ? "; and " : "", nleft, pids, nleft > max ? ", ..." : "");
}

/* ---- the child ---- */

static _Noreturn void child(cli_body_fn body, void *ud)
{
  /* Die with the default action on a crash, even under sanitizers that
   * install their own handlers, so that the parent sees the signal. */
  static const int crash[] = {SIGSEGV, SIGBUS,  SIGFPE, SIGILL,
                              SIGABRT, SIGTRAP, SIGSYS};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
    sigaction(crash[i], &sa, NULL);
  setpgid(0, 0);
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the command */
#endif
  atexit(on_exit_called);
  int rc = body(ud);
  fflush(NULL);
  page->done = 1;
  exit(rc); /* the atexit handlers run: the sanitizers' leak check too */
}

/* ---- the parent: wait with a deadline ---- */

/* What ended the child (status, or the deadline), into o. */
static void describe(cli_outcome *o, const shared *pg, int status,
                     bool timed_out, double timeout)
{
  int depth = pg->depth < MAX_NEST ? pg->depth : MAX_NEST;
  if (depth > 0) { /* the innermost plugin code known to run */
    snprintf(o->plugin, sizeof o->plugin, "%s", pg->at[depth - 1].id);
    snprintf(o->manifest, sizeof o->manifest, "%s", pg->at[depth - 1].manifest);
    snprintf(o->step, sizeof o->step, "%s",
             pk_trace_event_describe(pg->at[depth - 1].step));
  }
  if (timed_out)
    snprintf(o->what, sizeof o->what,
             depth ? "did not return within %g s (killed)"
                   : "timed out after %g s (killed)",
             timeout);
  else if (WIFSIGNALED(status))
    snprintf(o->what, sizeof o->what, "%scrashed: signal %d (%s)",
             pg->exiting ? "called exit(), then " : "", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  else if (WIFEXITED(status) && pg->exiting)
    snprintf(o->what, sizeof o->what, "called exit(%d), ending the process",
             WEXITSTATUS(status));
  else if (WIFEXITED(status))
    snprintf(o->what, sizeof o->what, "ended the process (_exit(%d))",
             WEXITSTATUS(status));
  else
    snprintf(o->what, sizeof o->what, "stopped unexpectedly (wait status %d)",
             status);
}

void cli_copy_file(FILE *from, FILE *to)
{
  char buf[8192];
  size_t got;
  fflush(from);
  rewind(from);
  while ((got = fread(buf, 1, sizeof buf, from)) > 0)
    fwrite(buf, 1, got, to);
  fflush(to);
}

int cli_isolate(cli_body_fn body, void *ud, double timeout, cli_outcome *o)
{
  memset(o, 0, sizeof *o);
  o->status = -1;
  if (timeout <= 0)
    timeout = CLI_DEFAULT_TIMEOUT;
#ifdef __linux__
  prctl(PR_SET_CHILD_SUBREAPER, 1); /* see kill_leftovers */
#endif
  shared *pg = mmap(NULL, sizeof *pg, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (pg == MAP_FAILED) {
    snprintf(o->what, sizeof o->what, "cannot run: mmap: %s", strerror(errno));
    return -1;
  }
  /* the child's standard output, kept until it is known to have ended
   * well (otherwise a command killed by a plugin prints the report only) */
  FILE *out = tmpfile();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(o->what, sizeof o->what, "cannot run: fork: %s", strerror(errno));
    munmap(pg, sizeof *pg);
    if (out)
      fclose(out);
    return -1;
  }
  if (pid == 0) {
    page = pg;
    if (out)
      dup2(fileno(out), STDOUT_FILENO);
    child(body, ud);
  }
  setpgid(pid, pid); /* also done by the child: whichever runs first */
  int status = 0;
  bool timed_out = false;
  double deadline = now_ms() + timeout * 1e3;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR))
      break;
    double left = deadline - now_ms();
    if (left <= 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
      timed_out = true;
      break;
    }
    struct timespec nap = {0, (long)((left < 5 ? left : 5) * 1e6)};
    nanosleep(&nap, NULL);
  }
  pid_t left[8];
  size_t nleft = kill_leftovers(pid, left, sizeof left / sizeof *left);
  snprintf(o->message, sizeof o->message, "%s", pg->message);
  if (!timed_out && pg->done && WIFEXITED(status))
    o->status = WEXITSTATUS(status);
  else
    describe(o, pg, status, timed_out, timeout);
  if (nleft && !timed_out)
    say_leftovers(o->left, sizeof o->left, left, nleft,
                  sizeof left / sizeof *left);
  munmap(pg, sizeof *pg);
  if (out && o->status >= 0)
    cli_copy_file(out, stdout);
  if (out)
    fclose(out);
  return o->status;
}

const char *cli_outcome_text(const cli_outcome *o, const char *self, char *buf,
                             size_t n)
{
  size_t len = 0;
  buf[0] = '\0';
  if (o->status < 0) {
    if (o->plugin[0] && (!self || strcmp(self, o->plugin)))
      len = (size_t)snprintf(buf, n, "%s: ", o->plugin);
    if (len < n && o->step[0])
      len += (size_t)snprintf(buf + len, n - len, "%s ", o->step);
    if (len < n)
      len += (size_t)snprintf(buf + len, n - len, "%s", o->what);
    if (len < n && o->manifest[0])
      len += (size_t)snprintf(buf + len, n - len,
                              "; fix or remove the plugin (manifest %s)",
                              o->manifest);
  }
  if (len < n && o->left[0])
    snprintf(buf + len, n - len, "%s%s", len ? "; and " : "", o->left);
  return buf;
}

int cli_report(const cli_command *cmd, const cli_outcome *o)
{
  if (o->status >= 0 && !o->left[0])
    return o->status;
  char text[4096];
  fprintf(stderr, "plugkit %s: %s\n", cmd->name,
          cli_outcome_text(o, NULL, text, sizeof text));
  return o->status > 0 ? o->status : 1;
}

void cli_outcome_error(const cli_outcome *o, pk_error *err)
{
  pk_error_clear(err);
  err->code = PK_EPLUGIN;
  snprintf(err->plugin, sizeof err->plugin, "%s", o->plugin);
  char text[4096];
  snprintf(err->message, sizeof err->message, "%s",
           cli_outcome_text(o, o->plugin, text, sizeof text));
}

int cli_run_command(const cli_command *cmd, int argc, char **argv,
                    size_t pairs_from, const char *missing, cli_body_fn body)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  if (a.npos == 0) {
    cli_args_free(&a);
    return cli_usage_error(cmd, "%s", missing);
  }
  if ((rc = cli_check_pairs(&a, pairs_from)) >= 0)
    return rc;
  cli_outcome o;
  cli_isolate(body, &a, a.timeout, &o);
  if (o.status < 0) {
    pk_error err;
    cli_outcome_error(&o, &err);
    cli_json_failure(&a, &err);
  }
  rc = cli_report(cmd, &o);
  cli_args_free(&a);
  return rc;
}
