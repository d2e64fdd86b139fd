/* supervise.c -- commands in process groups of their own, under a small
 * supervising process per worker thread that takes a command's group down
 * when the runner goes or stops it (supervisor.c, the program
 * runner-supervise beside the runner: the protocol is there), and the
 * signals that stop the runner.
 * SPDX-License-Identifier: MIT
 *
 * A worker starts its supervisor on its first command, with posix_spawn:
 * the child shares the runner's memory until it execs (no copy of the
 * address space), gets only /dev/null as stdin and its socket -- every
 * other descriptor the runner's threads have open (other commands' locks
 * and pipes) is closed -- and an empty signal mask (the workers block the
 * stop signals).  Each command's output pipe and lock go to it over the
 * socket.  When the worker ends, it closes the socket and waits for its
 * supervisor. */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

/* ---- the runner's stop signals ---- */

static volatile sig_atomic_t g_stop;
static int g_stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
  int e = errno;
  g_stop = sig;
  if (write(g_stop_pipe[1], "s", 1) < 0) {
    /* full: a wake-up is pending anyway */
  }
  errno = e;
}

void stop_signals_install(void)
{
  if (g_stop_pipe[0] >= 0 || pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK))
    return;
  struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: a
                                                    blocking call returns */
  sigemptyset(&sa.sa_mask);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaction(sigs[i], &sa, NULL);
}

int stop_signal(void) { return g_stop; }

int stop_fd(void) { return g_stop_pipe[0]; }

/* ---- the supervisor of this thread ---- */

static char *g_supervisor; /* the program's path */

static _Thread_local struct {
  pid_t pid;               /* 0: not started */
  int sock;
} t_sup;

void child_init(const char *exe_dir)
{
  free(g_supervisor);
  g_supervisor = xconcat(exe_dir, "/runner-supervise", NULL);
}

/* Starts this thread's supervisor: 0, or -1 (errno). */
static int supervisor_start(void)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return -1;
  /* its end at 6 or above, so the child's dup2 onto 3 clears CLOEXEC */
  int theirs = sv[1] >= 6 ? sv[1] : fcntl(sv[1], F_DUPFD_CLOEXEC, 6);
  if (theirs != sv[1])
    close(sv[1]);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, SIGTERM);
  sigaddset(&dfl, SIGHUP);
  sigaddset(&dfl, SIGQUIT);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, theirs, 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  posix_spawnattr_init(&at);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  static char name[] = "runner-supervise";
  char *argv[] = {name, NULL}, *envp[] = {NULL};
  pid_t pid;
  int e = theirs < 0 ? errno
                     : posix_spawn(&pid, g_supervisor, &fa, &at, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (theirs >= 0)
    close(theirs);
  if (e) {
    close(sv[0]);
    runner_warn("cannot start %s: %s", g_supervisor, strerror(e));
    errno = e;
    return -1;
  }
  t_sup.pid = pid;
  t_sup.sock = sv[0];
  return 0;
}

/* Closes this thread's supervisor (it exits once its command, if any, is
 * stopped) and waits for it. */
void child_thread_end(void)
{
  if (!t_sup.pid)
    return;
  close(t_sup.sock);
  while (waitpid(t_sup.pid, NULL, 0) < 0 && errno == EINTR)
    ;
  t_sup.pid = 0;
}

int child_start(child *ch, const char *line, char *const envp[], int keep_fd)
{
  ch->out = ch->sock = -1;
  ch->stopped = false;
  if (!t_sup.pid && supervisor_start() != 0)
    return -1;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return -1;
  /* LINE NUL, each entry NUL, NUL */
  buf t = {0};
  buf_add(&t, line, strlen(line) + 1);
  for (char *const *e = envp; *e; e++)
    buf_add(&t, *e, strlen(*e) + 1);
  buf_add(&t, "", 1);
  char h[1 + 4 + 8] = {'S'};
  uint32_t flags = keep_fd >= 0;
  uint64_t len = t.n;
  memcpy(h + 1, &flags, 4);
  memcpy(h + 5, &len, 8);
  int fds[2] = {out[1], keep_fd};
  char cbuf[CMSG_SPACE(2 * sizeof(int))] = {0};
  struct iovec iov = {h, sizeof h};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = CMSG_SPACE((flags + 1) * sizeof(int))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN((flags + 1) * sizeof(int));
  memcpy(CMSG_DATA(c), fds, (flags + 1) * sizeof(int));
  ssize_t sent;
  do /* the workers block SIGPIPE: a gone supervisor is EPIPE */
    sent = sendmsg(t_sup.sock, &m, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  bool ok = sent > 0 && write_all(t_sup.sock, h + sent, sizeof h - (size_t)sent) &&
            write_all(t_sup.sock, t.p, t.n);
  int e = errno;
  buf_free(&t);
  close(out[1]); /* the supervisor has its copy */
  if (!ok) { /* it is gone: the next command starts another */
    close(out[0]);
    child_thread_end();
    errno = e;
    return -1;
  }
  ch->out = out[0];
  ch->sock = t_sup.sock;
  return 0;
}

void child_stop(child *ch)
{
  if (!ch->stopped && ch->sock >= 0)
    write_all(ch->sock, "K", 1);
  ch->stopped = true;
}

int child_wait(child *ch)
{
  child_stop(ch);
  if (ch->out >= 0)
    close(ch->out);
  ch->out = -1;
  char e[5];
  size_t got = 0;
  while (got < sizeof e) {
    ssize_t r = read(ch->sock, e + got, sizeof e - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 || e[0] != 'E') { /* the supervisor died, or is not ours */
      child_thread_end();
      return 127;
    }
    got += (size_t)r;
  }
  int32_t code;
  memcpy(&code, e + 1, 4);
  return code;
}
