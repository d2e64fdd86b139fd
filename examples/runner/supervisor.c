/* supervisor.c -- runner-supervise, the small program between the runner
 * and its commands (supervise.c starts one per worker thread):
 *
 *   runner worker --posix_spawn--> runner-supervise --fork--> /bin/sh -c
 *                                  (one per worker)           LINE (its
 *                                                             own group)
 *
 *   runner-supervise   fd 0 /dev/null, fd 3 a stream socket to the runner
 *
 * It runs the worker's commands one after the other.  Over the socket:
 *   runner -> 'S', uint32 flags (1: a descriptor to keep), uint64 length,
 *             with the command's output pipe (its stdout and stderr) and
 *             the descriptor to keep (the runnable's lock) attached
 *             (SCM_RIGHTS); then length bytes: LINE, NUL, each
 *             environment entry and a NUL, then one more NUL
 *   runner -> 'K': stop the command (its group: SIGTERM, SIGKILL after
 *             STOP_GRACE_MS); ignored when none runs
 *   supervisor -> 'E', int32 status, once the command ended and what was
 *             left of its group is killed: the shell's exit status (128 +
 *             the signal that ended it), 127 when it could not start
 *
 * The runner holds the socket's other end.  When the runner dies -- even
 * by SIGKILL -- the socket reads end-of-file: the running command's group
 * gets SIGTERM, then SIGKILL, and the supervisor exits.  When the shell
 * ends by itself, what is left of its group (a job put in the background)
 * is killed: nothing the command started writes after the runner stored
 * its result.  The shell also gets SIGKILL should the supervisor die
 * (PR_SET_PDEATHSIG: the supervisor has one thread).  The supervisor
 * ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT: the runner decides.
 *
 * Why a program, and one per worker: a fork of the runner, a process
 * holding a large plan, copies its page tables and makes its writes
 * fault; starting a program costs an exec (in a VM, its CPU probing too).
 * A supervisor per worker is started once, with posix_spawn, and forks
 * each shell from a process of a few pages.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pipe2, MSG_CMSG_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { SOCK = 3, STOP_GRACE_MS = 2000, HEADER = 1 + 4 + 8 };

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

static bool read_all(int fd, void *buf, size_t n)
{
  for (char *p = buf; n;) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

/* The next command: its header and descriptors (out, keep or -1), then its
 * payload (malloc()ed); false at the runner's end of file. */
static bool next_command(int *out, int *keep, char **payload)
{
  char h[HEADER];
  size_t got = 0;
  *out = *keep = -1;
  while (got < HEADER) {
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    struct iovec iov = {h + got, got ? HEADER - got : 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t r = recvmsg(SOCK, &m, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fds[2] = {-1, -1};
        memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
        *out = fds[0];
        *keep = c->cmsg_len - CMSG_LEN(0) > sizeof(int) ? fds[1] : -1;
      }
    if (!got && h[0] == 'K')
      continue; /* a stop for a command that ended already */
    got += (size_t)r;
  }
  uint64_t len;
  memcpy(&len, h + 5, 8);
  if (h[0] != 'S' || *out < 0 || len < 3 || len > ((uint64_t)1 << 30) ||
      !(*payload = malloc(len)) || !read_all(SOCK, *payload, len) ||
      (*payload)[len - 1] || (*payload)[len - 2])
    exit(127); /* not the runner's: nothing to do */
  return true;
}

/* The shell: its own group, stdin /dev/null (what it would read is in no
 * hash), stdout and stderr the output pipe, keep inherited. */
static _Noreturn void shell(pid_t sup, int out, int keep, char *payload)
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
  if (dup2(out, 1) < 0 || dup2(out, 2) < 0)
    _exit(127);
  if (keep >= 0)
    fcntl(keep, F_SETFD, 0);
  char *line = payload, **env;
  size_t n = 0;
  for (char *e = line + strlen(line) + 1; *e; e += strlen(e) + 1)
    n++;
  if (!(env = calloc(n + 1, sizeof *env)))
    _exit(127);
  n = 0;
  for (char *e = line + strlen(line) + 1; *e; e += strlen(e) + 1)
    env[n++] = e;
  execle("/bin/sh", "sh", "-c", line, (char *)NULL, env);
  _exit(127);
}

/* Runs one command to its end; false when the runner is gone. */
static bool run(int out, int keep, char *payload)
{
  pid_t sup = getpid(), c = fork();
  if (c == 0)
    shell(sup, out, keep, payload);
  close(out);
  if (keep >= 0)
    close(keep);
  bool runner = true;
  int status = 127 << 8;
  if (c > 0) {
    setpgid(c, c); /* also here: no window where a kill misses the group */
    long deadline = -1; /* when SIGKILL follows SIGTERM */
    struct pollfd fds[2] = {{.fd = SOCK, .events = POLLIN},
                            {.fd = g_chld_pipe[0], .events = POLLIN}};
    for (;;) {
      pid_t w = waitpid(c, &status, WNOHANG);
      if (w == c)
        break;
      if (w < 0 && errno != EINTR)
        exit(127);
      int wait_ms = deadline < 0 ? -1 : (int)(deadline - now_ms());
      if (deadline >= 0 && wait_ms <= 0) {
        kill(-c, SIGKILL);
        deadline = -1;
        wait_ms = -1;
      }
      if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
        exit(127);
      char drain[64];
      while (read(g_chld_pipe[0], drain, sizeof drain) > 0)
        ;
      if (fds[0].fd >= 0 && fds[0].revents) {
        char k;
        ssize_t r = read(SOCK, &k, 1);
        if (r < 0 && errno == EINTR)
          continue;
        runner = r > 0;
        /* 'K', or the runner is gone: stop the group */
        kill(-c, SIGTERM);
        deadline = now_ms() + STOP_GRACE_MS;
        fds[0].fd = -1;
      }
    }
    kill(-c, SIGKILL); /* what is left of the group */
  }
  int32_t code = WIFEXITED(status) ? WEXITSTATUS(status)
                 : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127;
  char e[5] = {'E'};
  memcpy(e + 1, &code, 4);
  return runner && write(SOCK, e, sizeof e) == (ssize_t)sizeof e;
}

int main(void)
{
  struct sigaction ign = {.sa_handler = SIG_IGN};
  sigemptyset(&ign.sa_mask);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaction(sigs[i], &ign, NULL);
  if (fcntl(SOCK, F_SETFD, FD_CLOEXEC) != 0 ||
      pipe2(g_chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    fputs("runner-supervise: started by the runner only (fd 3: its "
          "socket)\n", stderr);
    return 127;
  }
  struct sigaction chld = {.sa_handler = on_chld,
                           .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&chld.sa_mask);
  sigaction(SIGCHLD, &chld, NULL);
  int out, keep;
  char *payload;
  while (next_command(&out, &keep, &payload)) {
    bool more = run(out, keep, payload);
    free(payload);
    if (!more)
      return 0;
  }
  return 0;
}
