/* supervise.c -- a command in a process group of its own, under a small
 * supervising process that takes the group down when the runner goes, and
 * the signals that stop the runner.
 * SPDX-License-Identifier: MIT
 *
 *   runner --fork--> supervisor --fork--> /bin/sh -c LINE  (its own group)
 *
 * The supervisor holds the read end of a pipe (the life pipe) whose only
 * write end is the runner's.  When the runner dies -- even by SIGKILL, and
 * whichever of its threads started the command -- or stops the command,
 * the pipe reads end-of-file and the supervisor sends the group SIGTERM,
 * then SIGKILL after STOP_GRACE_MS.  When the shell ends by itself, what
 * is left of its group (a job put in the background) is killed: nothing
 * the command started writes after the runner stored its result.  The
 * shell also gets SIGKILL should the supervisor die (PR_SET_PDEATHSIG: the
 * supervisor has one thread).  The supervisor ignores SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT: the runner decides, and the supervisor only ends
 * after the command.  Between fork and exec both processes call only
 * async-signal-safe functions, so a runner with threads may use this. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

enum { STOP_GRACE_MS = 2000 };

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

/* ---- the supervisor ---- */

static int g_chld_pipe[2] = {-1, -1};

static void on_chld(int sig)
{
  int e = errno;
  (void)sig;
  if (write(g_chld_pipe[1], "c", 1) < 0) {
    /* full: a wake-up is pending anyway */
  }
  errno = e;
}

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The shell: its own group, stdin /dev/null (what it would read is in no
 * hash), stdout and stderr the output pipe, keep_fd inherited. */
static _Noreturn void shell(pid_t sup, const char *line, char *const envp[],
                            int out, int keep_fd)
{
  setpgid(0, 0);
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  sigemptyset(&dfl.sa_mask);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaction(sigs[i], &dfl, NULL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != sup)
    _exit(127); /* the supervisor is already gone */
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
    _exit(127);
  if (keep_fd >= 0)
    fcntl(keep_fd, F_SETFD, 0);
  execle("/bin/sh", "sh", "-c", line, (char *)NULL, envp);
  _exit(127);
}

static _Noreturn void supervise(int life, const char *line,
                                char *const envp[], int out, int keep_fd)
{
  struct sigaction ign = {.sa_handler = SIG_IGN};
  sigemptyset(&ign.sa_mask);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaction(sigs[i], &ign, NULL);
  if (pipe2(g_chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    _exit(127);
  struct sigaction chld = {.sa_handler = on_chld,
                           .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&chld.sa_mask);
  sigaction(SIGCHLD, &chld, NULL);
  pid_t sup = getpid(), c = fork();
  if (c < 0)
    _exit(127);
  if (c == 0)
    shell(sup, line, envp, out, keep_fd);
  setpgid(c, c); /* also here: no window where a kill misses the group */
  close(out);
  int status = 0;
  long deadline = -1; /* when SIGKILL follows SIGTERM */
  struct pollfd fds[2] = {{.fd = life, .events = POLLIN},
                          {.fd = g_chld_pipe[0], .events = POLLIN}};
  for (;;) {
    pid_t w = waitpid(c, &status, WNOHANG);
    if (w == c)
      break;
    if (w < 0 && errno != EINTR)
      _exit(127);
    int wait_ms = deadline < 0 ? -1 : (int)(deadline - now_ms());
    if (deadline >= 0 && wait_ms <= 0) {
      kill(-c, SIGKILL);
      deadline = -1;
      wait_ms = -1;
    }
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
      _exit(127);
    char drain[64];
    while (read(g_chld_pipe[0], drain, sizeof drain) > 0)
      ;
    if (fds[0].fd >= 0 && fds[0].revents &&
        read(life, drain, sizeof drain) <= 0) {
      /* the runner is gone, or stops the command */
      kill(-c, SIGTERM);
      deadline = now_ms() + STOP_GRACE_MS;
      fds[0].fd = -1;
    }
  }
  kill(-c, SIGKILL); /* what is left of the group */
  _exit(WIFEXITED(status) ? WEXITSTATUS(status)
        : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127);
}

int child_start(child *ch, const char *line, char *const envp[], int keep_fd)
{
  int out[2], life[2];
  ch->sup = -1;
  ch->out = ch->life = -1;
  if (pipe2(out, O_CLOEXEC) != 0)
    return -1;
  if (pipe2(life, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return -1;
  }
  pid_t s = fork();
  if (s == 0) {
    close(out[0]);
    close(life[1]);
    supervise(life[0], line, envp, out[1], keep_fd);
  }
  int e = errno;
  close(out[1]);
  close(life[0]);
  if (s < 0) {
    close(out[0]);
    close(life[1]);
    errno = e;
    return -1;
  }
  ch->sup = s;
  ch->out = out[0];
  ch->life = life[1];
  return 0;
}

void child_stop(child *ch)
{
  if (ch->life >= 0)
    close(ch->life);
  ch->life = -1;
}

int child_wait(child *ch)
{
  child_stop(ch);
  if (ch->out >= 0)
    close(ch->out);
  ch->out = -1;
  int status;
  while (waitpid(ch->sup, &status, 0) < 0)
    if (errno != EINTR)
      return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status)
         : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127;
}
