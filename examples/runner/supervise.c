/* supervise.c -- a command in a process group of its own, under a small
 * supervising process that takes the group down when the runner goes
 * (supervisor.c, the program runner-supervise beside the runner), and the
 * signals that stop the runner.
 * SPDX-License-Identifier: MIT
 *
 * A worker thread starts the supervisor with posix_spawn: the child shares
 * the runner's memory until it execs (no copy of the address space), gets
 * only the descriptors it needs -- the life pipe, the output pipe, the
 * runnable's lock, /dev/null as stdin -- every other descriptor the
 * runner's threads have open (other commands' locks and pipes) being
 * closed, and an empty signal mask (the workers block the stop signals). */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

/* ---- the supervisor ---- */

static char *g_supervisor; /* the program's path */

void child_init(const char *exe_dir)
{
  free(g_supervisor);
  g_supervisor = xconcat(exe_dir, "/runner-supervise", NULL);
}

/* fd moved to 6 or above (CLOEXEC), so the child's dup2 onto 3, 4 and 5
 * overwrites none of the others: the new descriptor, or -1. */
static int high(int fd)
{
  if (fd >= 6)
    return fd;
  int h = fcntl(fd, F_DUPFD_CLOEXEC, 6);
  int e = errno;
  close(fd);
  errno = e;
  return h;
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
  int lr = high(life[0]), ow = high(out[1]), kept = -1;
  if (keep_fd >= 0 && keep_fd < 6)
    kept = fcntl(keep_fd, F_DUPFD_CLOEXEC, 6);
  else
    kept = keep_fd;
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
  posix_spawn_file_actions_adddup2(&fa, lr, 3);
  posix_spawn_file_actions_adddup2(&fa, ow, 4);
  if (kept >= 0)
    posix_spawn_file_actions_adddup2(&fa, kept, 5);
  posix_spawn_file_actions_addclosefrom_np(&fa, kept >= 0 ? 6 : 5);
  posix_spawnattr_init(&at);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  static char name[] = "runner-supervise", keep[] = "keep";
  char *argv[] = {name, (char *)line, kept >= 0 ? keep : NULL, NULL};
  pid_t pid;
  int e = lr < 0 || ow < 0 || (keep_fd >= 0 && kept < 0)
              ? errno
              : posix_spawn(&pid, g_supervisor, &fa, &at, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (kept >= 0 && kept != keep_fd)
    close(kept);
  if (lr >= 0)
    close(lr);
  if (ow >= 0)
    close(ow);
  if (e) {
    close(out[0]);
    close(life[1]);
    errno = e;
    return -1;
  }
  ch->sup = pid;
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
