/* cmd_check.c -- `plugkit check`: every installed plugin's manifest, ABI,
 * entry symbol and register hook, each plugin registered in a child process
 * of its own so that one that crashes or hangs is reported, not fatal.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

static const char usage[] =
    "check [--path DIR]... [--timeout SEC] [--json]";

#define DEFAULT_TIMEOUT 5.0

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the child: register one plugin on a fresh host ---- */

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

static _Noreturn void child(const cli_args *a, const char *id, int wfd)
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

  pk_host_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  pk_host *host = NULL;
  pk_error err;
  pk_error_clear(&err);
  pk_status st = pk_host_new(&o, &host, &err);
  for (size_t i = 0; st == PK_OK && i < a->npaths; i++)
    st = pk_host_add_path(host, a->paths[i], &err);
  const char *req[1] = {id};
  if (st == PK_OK)
    st = pk_host_register(host, req, 1, NULL, 0, &err);
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

/* ---- the parent: wait with a deadline ---- */

/* Runs the check of one plugin; writes the failure into reason (empty when
 * the plugin is fine).  Leaves no child behind. */
static void check_one(const cli_args *a, const char *id, double timeout,
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
    child(a, id, fds[1]);
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
  kill(-pid, SIGKILL); /* anything the plugin left running in its group */
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
}

/* ---- the command ---- */

int cmd_check(int argc, char **argv)
{
  cli_args a;
  int rc = cli_parse(argc, argv, CLI_OPT_JSON | CLI_OPT_TIMEOUT, usage, &a);
  if (rc >= 0)
    return rc;
  if (a.npos) {
    rc = cli_usage_error(usage, "check takes no arguments ('%s'); it checks "
                                "every installed plugin",
                         a.pos[0]);
    cli_args_free(&a);
    return rc;
  }
  double timeout = a.timeout > 0 ? a.timeout : DEFAULT_TIMEOUT;
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
      check_one(&a, pk_plugin_get_id(p), timeout, reason, sizeof reason);
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
