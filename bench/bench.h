/* bench.h -- the helpers every benchmark harness shares: a monotonic
 * clock, a median, BENCH_REPS and whole-file reading.  Output follows the
 * peers' format, "name N value unit".
 * SPDX-License-Identifier: MIT */
#ifndef PK_BENCH_H
#define PK_BENCH_H

#include <sched.h> /* bench_cpu_suffix: the includer defines _GNU_SOURCE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of n samples (sorts v in place). */
static inline double bench_median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* BENCH_REPS from the environment, else dflt. */
static inline int bench_reps(int dflt)
{
  const char *s = getenv("BENCH_REPS");
  return s && atoi(s) > 0 ? atoi(s) : dflt;
}

/* Whether BENCH_FRESH=1: each timed start in a process of its own
 * (bench_in_child), as a host starts.  Starts repeated in one process find
 * the heap, thread stacks and lazy bindings the last one left, which is
 * not what a host's start costs. */
static inline int bench_fresh(void)
{
  const char *s = getenv("BENCH_FRESH");
  return s && !strcmp(s, "1");
}

/* Runs fn(ud) in a child process (a fork of this one, which should have
 * run no host itself) and returns the seconds fn returns.  Exits when the
 * child fails. */
static inline double bench_in_child(double (*fn)(void *), void *ud)
{
  int fd[2];
  double t = 0;
  if (pipe(fd) != 0) {
    perror("pipe");
    exit(2);
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(2);
  }
  if (pid == 0) {
    close(fd[0]);
    t = fn(ud);
    fflush(NULL);
    _exit(write(fd[1], &t, sizeof t) == (ssize_t)sizeof t ? 0 : 1);
  }
  close(fd[1]);
  ssize_t got = read(fd[0], &t, sizeof t);
  close(fd[0]);
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof t) {
    fprintf(stderr, "bench: a start in a child process failed\n");
    exit(1);
  }
  return t;
}

/* fn(ud) in a process of its own under BENCH_FRESH=1 (bench_in_child),
 * else in this one; the seconds it returns. */
static inline double bench_start(double (*fn)(void *), void *ud)
{
  return bench_fresh() ? bench_in_child(fn, ud) : fn(ud);
}

/* "_fresh" under BENCH_FRESH=1, else "". */
static inline const char *bench_fresh_suffix(void)
{
  return bench_fresh() ? "_fresh" : "";
}

/* "_1cpu" when this process may run on one CPU only (taskset -c 0), else
 * "": the suffix of the names of a multi-threaded measurement, so that its
 * one-CPU figure is a result of its own beside the other. */
#ifdef _GNU_SOURCE
static inline const char *bench_cpu_suffix(void)
{
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1)
    return "_1cpu";
  return "";
}
#endif

/* Reads a whole file into a malloc'd, NUL-terminated buffer; exits on
 * error. */
static inline char *bench_slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  long n;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    perror(path);
    exit(2);
  }
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    perror(path);
    exit(2);
  }
  buf[n] = '\0';
  fclose(f);
  if (len)
    *len = (size_t)n;
  return buf;
}

#endif
