/* crash_util.h -- a child process whose host dies inside a plugin (the
 * crash quarantine's tests).
 * SPDX-License-Identifier: MIT */
#ifndef PK_TEST_CRASH_UTIL_H
#define PK_TEST_CRASH_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <plugkit.h>

/* Starts body(ud) in a child process with its stderr to /dev/null (the
 * sanitizer's report of the crash), exiting 7 if body returns; its pid. */
static inline pid_t child_start(void (*body)(const void *ud), const void *ud)
{
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
      dup2(null, 2);
    body(ud);
    _exit(7); /* not reached */
  }
  return pid;
}

/* Runs body(ud) as child_start does; its wait status (exit 7: body
 * returned). */
static inline int child_status(void (*body)(const void *ud), const void *ud)
{
  pid_t pid = child_start(body, ud);
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  return status;
}

/* Runs body(ud) as child_status does; fails the test when body returns or
 * the child ends normally. */
static inline void crashing_child(void (*body)(const void *ud), const void *ud,
                                  const char *what)
{
  int status = child_status(body, ud);
  cr_assert(!(WIFEXITED(status) && WEXITSTATUS(status) == 7),
            "the child host survived %s", what);
  cr_assert(WIFSIGNALED(status) || WEXITSTATUS(status) != 0, "status %d",
            status);
}

typedef struct crash_req {
  const char *cache, *sp, *req;
} crash_req;

static inline void register_req(const void *ud)
{
  const crash_req *c = ud;
  pk_host_options o = {.size = sizeof o, .cache_path = c->cache};
  pk_host *h = NULL;
  pk_host_new(&o, &h, NULL);
  pk_host_add_path(h, c->sp, NULL);
  const char *reqs[] = {c->req};
  pk_host_register(h, reqs, 1, NULL, 0, NULL);
}

/* A child host registers req, which crashes it. */
static inline void crash_child(const char *cache, const char *sp,
                               const char *req)
{
  crash_req c = {cache, sp, req};
  crashing_child(register_req, &c, req);
}

#endif
