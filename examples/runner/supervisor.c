/* supervisor.c -- runner-supervise, the small program between the runner
 * and a command (supervise.c starts it):
 *
 *   runner --posix_spawn--> runner-supervise --fork--> /bin/sh -c LINE
 *                                                      (its own group)
 *
 *   runner-supervise LINE [keep]
 *     fd 0  /dev/null, fd 3  the life pipe's read end, fd 4  the command's
 *     output (its stdout and stderr), fd 5 with "keep": a descriptor the
 *     command and what it starts keep (the runnable's lock); its
 *     environment is the command's.
 *
 * The runner holds the life pipe's only write end.  When the runner dies
 * -- even by SIGKILL -- or stops the command, the pipe reads end-of-file
 * and the supervisor sends the group SIGTERM, then SIGKILL after
 * STOP_GRACE_MS.  When the shell ends by itself, what is left of its group
 * (a job put in the background) is killed: nothing the command started
 * writes after the runner stored its result.  The shell also gets SIGKILL
 * should the supervisor die (PR_SET_PDEATHSIG: the supervisor has one
 * thread).  The supervisor ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT:
 * the runner decides, and the supervisor only ends after the command.
 * Exit status: the shell's (128 + the signal that ended it), 127 when it
 * could not be started.
 *
 * It is a program of its own, linked statically, so that the runner's
 * worker threads start it with posix_spawn (no copy of the runner's
 * address space: a fork of a runner holding a large plan, and its
 * copy-on-write faults, cost more than the command `true`) and it forks
 * the shell from a process of a few pages.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { LIFE = 3, OUT = 4, KEEP = 5, STOP_GRACE_MS = 2000 };

extern char **environ;

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
 * hash), stdout and stderr the output pipe, KEEP inherited when kept. */
static _Noreturn void shell(pid_t sup, const char *line, bool keep)
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
  if (dup2(OUT, 1) < 0 || dup2(OUT, 2) < 0)
    _exit(127);
  close(OUT);
  close(LIFE);
  if (!keep)
    close(KEEP);
  execle("/bin/sh", "sh", "-c", line, (char *)NULL, environ);
  _exit(127);
}

int main(int argc, char **argv)
{
  if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "keep"))) {
    fputs("usage: runner-supervise LINE [keep]  (started by the runner: fd "
          "3 the life pipe, fd 4 the output, fd 5 kept)\n", stderr);
    return 127;
  }
  bool keep = argc == 3;
  struct sigaction ign = {.sa_handler = SIG_IGN};
  sigemptyset(&ign.sa_mask);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaction(sigs[i], &ign, NULL);
  if (pipe2(g_chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return 127;
  struct sigaction chld = {.sa_handler = on_chld,
                           .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&chld.sa_mask);
  sigaction(SIGCHLD, &chld, NULL);
  pid_t sup = getpid(), c = fork();
  if (c < 0)
    return 127;
  if (c == 0)
    shell(sup, argv[1], keep);
  setpgid(c, c); /* also here: no window where a kill misses the group */
  close(OUT);
  int status = 0;
  long deadline = -1; /* when SIGKILL follows SIGTERM */
  struct pollfd fds[2] = {{.fd = LIFE, .events = POLLIN},
                          {.fd = g_chld_pipe[0], .events = POLLIN}};
  for (;;) {
    pid_t w = waitpid(c, &status, WNOHANG);
    if (w == c)
      break;
    if (w < 0 && errno != EINTR)
      return 127;
    int wait_ms = deadline < 0 ? -1 : (int)(deadline - now_ms());
    if (deadline >= 0 && wait_ms <= 0) {
      kill(-c, SIGKILL);
      deadline = -1;
      wait_ms = -1;
    }
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
      return 127;
    char drain[64];
    while (read(g_chld_pipe[0], drain, sizeof drain) > 0)
      ;
    if (fds[0].fd >= 0 && fds[0].revents &&
        read(LIFE, drain, sizeof drain) <= 0) {
      /* the runner is gone, or stops the command */
      kill(-c, SIGTERM);
      deadline = now_ms() + STOP_GRACE_MS;
      fds[0].fd = -1;
    }
  }
  kill(-c, SIGKILL); /* what is left of the group */
  return WIFEXITED(status) ? WEXITSTATUS(status)
         : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127;
}
