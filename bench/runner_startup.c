/* runner_startup.c -- wall time of one command line, run many times:
 *   runner_startup ROUNDS N [--rm FILE] -- CMD ARGS...
 * Prints the median over ROUNDS of the mean time of N runs (stdout and
 * stderr to /dev/null), in milliseconds.  --rm: FILE is removed before
 * each run, untimed (a cold start: the runner's metadata cache).  Used by
 * bench/runner-bench.
 * SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  const char *rm = argc > 5 && !strcmp(argv[3], "--rm") ? argv[4] : NULL;
  char **cmd = argv + (rm ? 6 : 4);
  if (argc < (rm ? 7 : 5) || strcmp(cmd[-1], "--")) {
    fprintf(stderr,
            "usage: runner_startup ROUNDS N [--rm FILE] -- CMD ARGS...\n");
    return 64;
  }
  int rounds = atoi(argv[1]), n = atoi(argv[2]);
  double *t = calloc((size_t)rounds, sizeof *t);
  for (int r = 0; r < rounds; r++) {
    double spent = 0;
    for (int i = 0; i < n; i++) {
      if (rm)
        unlink(rm);
      double start = now();
      pid_t pid = fork();
      if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(cmd[0], cmd);
        _exit(127);
      }
      int st;
      waitpid(pid, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "runner_startup: %s failed\n", cmd[0]);
        return 1;
      }
      spent += now() - start;
    }
    t[r] = spent / n;
  }
  qsort(t, (size_t)rounds, sizeof *t, cmp);
  printf("%.3f\n", t[rounds / 2]);
  free(t);
  return 0;
}
