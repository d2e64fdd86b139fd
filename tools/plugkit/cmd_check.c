/* cmd_check.c -- `plugkit check`: every installed plugin's manifest, ABI,
 * entry symbol and register hook.  The search path is discovered once, in
 * the parent; each plugin is then registered in a child process forked
 * from that discovered host (it loads only that plugin and what it
 * requires), so that one that crashes or hangs is reported, not fatal.
 * The child runs in a process group of its own, killed when it ends; the
 * CLI is a child subreaper (Linux), so that a process a plugin leaves
 * behind, even one that left the group with setsid(), becomes the CLI's
 * child: it is found, killed and reported as a failure of that plugin.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli.h"

#define DEFAULT_TIMEOUT 5.0

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the child: register one plugin of the discovered host ---- */

static void write_all(int fd, const char *s, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

static _Noreturn void child(pk_host *host, const char *id, int wfd)
{
  /* Die with the default action on a crash, even under sanitizers that
   * install their own handlers, so that the parent sees the signal. */
  static const int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
                              SIGTRAP, SIGSYS};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
    sigaction(crash[i], &sa, NULL);
  setpgid(0, 0);
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the check */
#endif
  /* what plugins print must not mix with the report */
  int null = open("/dev/null", O_WRONLY);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    close(null);
  }

  pk_error err;
  pk_error_clear(&err);
  const char *req[1] = {id};
  pk_status st = cli_run(host, req, 1, CLI_POST_REGISTER, NULL, &err);
  if (st != PK_OK) {
    char msg[2048], line[2300];
    pk_error_format(&err, msg, sizeof msg);
    int n;
    if (err.plugin[0] && strcmp(err.plugin, id) && !strstr(msg, err.plugin))
      n = snprintf(line, sizeof line, "%s: %s", err.plugin, msg);
    else
      n = snprintf(line, sizeof line, "%s", msg);
    write_all(wfd, line, n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n
                                                            : sizeof line - 1);
  }
  pk_host_free(host); /* runs the unload hooks: part of the check */
  _exit(st == PK_OK ? 0 : 1);
}

/* ---- the parent: what a plugin leaves behind ---- */

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

/* ---- the parent: wait with a deadline ---- */

/* Runs the check of one plugin of host; writes the failure into reason
 * (empty when the plugin is fine).  Leaves no process behind. */
static void check_one(pk_host *host, const char *id, double timeout,
                      char *reason, size_t n)
{
  reason[0] = '\0';
  int fds[2];
  if (pipe(fds) != 0) {
    snprintf(reason, n, "cannot check: pipe: %s", strerror(errno));
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(reason, n, "cannot check: fork: %s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    child(host, id, fds[1]);
  }
  setpgid(pid, pid); /* also done by the child: whichever runs first */
  close(fds[1]);
  int rfd = fds[0];
  fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);

  char msg[4096];
  size_t len = 0;
  int status = 0;
  bool timed_out = false;
  double deadline = now_s() + timeout;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR))
      break;
    double left = deadline - now_s();
    if (left <= 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
      timed_out = true;
      break;
    }
    int ms = left > 0.05 ? 50 : (int)(left * 1000) + 1;
    struct pollfd pfd = {rfd, POLLIN, 0};
    if (rfd < 0) {
      poll(NULL, 0, 1); /* pipe closed: the child is exiting */
      continue;
    }
    if (poll(&pfd, 1, ms) <= 0)
      continue;
    ssize_t got = read(rfd, msg + len, sizeof msg - 1 - len);
    if (got > 0)
      len += (size_t)got;
    else if (got == 0 || (errno != EAGAIN && errno != EINTR) ||
             len == sizeof msg - 1) {
      close(rfd);
      rfd = -1;
    }
  }
  if (rfd >= 0) { /* what the child wrote just before exiting */
    ssize_t got;
    while (len < sizeof msg - 1 &&
           (got = read(rfd, msg + len, sizeof msg - 1 - len)) > 0)
      len += (size_t)got;
    close(rfd);
  }
  pid_t left[8];
  size_t nleft = kill_leftovers(pid, left, sizeof left / sizeof *left);
  msg[len] = '\0';
  while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
    msg[--len] = '\0';

  if (timed_out)
    snprintf(reason, n, "timed out after %g s", timeout);
  else if (WIFSIGNALED(status))
    snprintf(reason, n, "crashed: signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    ; /* fine */
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && len)
    snprintf(reason, n, "%.2000s", msg);
  else if (WIFEXITED(status))
    snprintf(reason, n, "exited with status %d%s%.2000s", WEXITSTATUS(status),
             len ? ": " : "", msg);
  else
    snprintf(reason, n, "stopped unexpectedly (wait status %d)", status);
  if (nleft && !timed_out)
    say_leftovers(reason, n, left, nleft, sizeof left / sizeof *left);
}

/* ---- the command ---- */

static int run(const cli_command *cmd, int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(cmd, argc, argv, &a);
  if (rc >= 0)
    return rc;
  if (a.npos) {
    rc = cli_usage_error(cmd,
                         "check takes no arguments ('%s'); it checks "
                         "every installed plugin",
                         a.pos[0]);
    cli_args_free(&a);
    return rc;
  }
  double timeout = a.timeout > 0 ? a.timeout : DEFAULT_TIMEOUT;
#ifdef __linux__
  prctl(PR_SET_CHILD_SUBREAPER, 1); /* see kill_leftovers */
#endif
  pk_host *host = cli_host_new(&a, false);
  if (!host) {
    cli_args_free(&a);
    return 1;
  }
  cli_json_writer w;
  if (a.json) {
    cli_json_init(&w, stdout);
    cli_json_begin_object(&w);
    cli_json_key(&w, "plugins");
    cli_json_begin_array(&w);
  }
  size_t total = 0, failed = 0;
  for (size_t i = 0; i < pk_host_plugin_count(host); i++) {
    pk_plugin *p = pk_host_plugin_at(host, i);
    pk_plugin_state st = pk_plugin_get_state(p);
    if (st == PK_STATE_SHADOWED)
      continue; /* never loaded: the copy that shadows it is checked */
    char reason[2400];
    if (st == PK_STATE_BROKEN)
      cli_plugin_reason(p, reason, sizeof reason);
    else
      check_one(host, pk_plugin_get_id(p), timeout, reason, sizeof reason);
    total++;
    failed += reason[0] != '\0';
    if (a.json) {
      cli_json_begin_object(&w);
      cli_json_key(&w, "id");
      cli_json_string(&w, pk_plugin_get_id(p));
      cli_json_key(&w, "manifest");
      cli_json_string(&w, pk_plugin_get_manifest_path(p));
      cli_json_key(&w, "ok");
      cli_json_bool(&w, reason[0] == '\0');
      cli_json_key(&w, "reason");
      cli_json_string(&w, reason[0] ? reason : NULL);
      cli_json_end_object(&w);
    } else if (reason[0]) {
      printf("FAIL %s: %s\n", pk_plugin_get_id(p), reason);
    } else {
      printf("ok   %s\n", pk_plugin_get_id(p));
    }
    fflush(stdout);
  }
  if (a.json) {
    cli_json_end_array(&w);
    cli_json_key(&w, "total");
    cli_json_int(&w, (long long)total);
    cli_json_key(&w, "ok");
    cli_json_int(&w, (long long)(total - failed));
    cli_json_key(&w, "failed");
    cli_json_int(&w, (long long)failed);
    cli_json_end_object(&w);
    cli_json_finish(&w);
  } else {
    printf("%zu plugin%s: %zu ok, %zu failed\n", total, total == 1 ? "" : "s",
           total - failed, failed);
  }
  if (total == 0)
    cli_no_plugins_found(&a);
  pk_host_free(host);
  cli_args_free(&a);
  return failed ? 1 : 0;
}

const cli_command cli_check = {
    "check",
    run,
    "",
    "load each plugin in a child process and report it",
    "Checks every installed plugin: its manifest, ABI, entry symbol and "
    "lifecycle hooks (register, post_register, unload), each plugin with "
    "what it requires in a child process of its own, so that one that "
    "crashes, hangs or leaves a process running is reported and the others "
    "are still checked.  Exits 1 when a plugin fails.",
    {{"--timeout", NULL, "SEC",
      "give each plugin SEC seconds (default 5; a "
      "decimal number such as 0.5)",
      false, NULL},
     {"--json", NULL, NULL,
      "print {plugins: [{id, manifest, ok, reason}], "
      "total, ok, failed} (docs/cli.md)",
      false, NULL},
     {"--path", NULL, "DIR",
      "search DIR for plugins too, after PLUGKIT_PATH (repeatable)", true,
      "dir"}}};
