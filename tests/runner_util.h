/* runner_util.h -- what the runner's test files share: a project in a
 * temporary directory, running the real runner binary in it (or in the
 * background, to signal it), and a redis-server of the test's own on a
 * free loopback port.
 * SPDX-License-Identifier: MIT */
#ifndef PK_RUNNER_UTIL_H
#define PK_RUNNER_UTIL_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNNER PK_RUNNER_DIR "/runner"

/* ---- a project in a temporary directory ---- */

typedef struct proj {
  char dir[128];
  char out[1 << 16]; /* stdout of the last run */
  char err[1 << 16]; /* stderr of the last run */
} proj;

static inline void put(const char *dir, const char *rel, const char *fmt,
                       ...)
{
  char path[512], cmd[600];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
  cr_assert_eq(system(cmd), 0);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s: %s", path, strerror(errno));
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fclose(f);
}

static inline void proj_new(proj *p)
{
  snprintf(p->dir, sizeof p->dir, "/tmp/pk_runner_XXXXXX");
  cr_assert_not_null(mkdtemp(p->dir));
}

/* A new project whose runner.toml is toml. */
static inline void proj_with(proj *p, const char *toml)
{
  proj_new(p);
  put(p->dir, "runner.toml", "%s", toml);
}

/* Removes the project and what its runs left beside it (.out, .err, .ran). */
static inline void proj_free(proj *p)
{
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.out' '%s.err' '%s.ran'", p->dir,
           p->dir, p->dir, p->dir);
  cr_assert_eq(system(cmd), 0);
}

static inline void slurp(const char *path, char *buf, size_t n)
{
  buf[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  size_t len = fread(buf, 1, n - 1, f);
  buf[len] = 0;
  fclose(f);
}

/* Runs "RUNNER ARGS" (the runner executable at path runner) in the
 * project (with ENV prefixed); the exit code. */
static inline int run_of(const char *runner, proj *p, const char *env,
                         const char *args)
{
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && RAN_FILE='%s.ran' %s '%s' %s >'%s.out' 2>'%s.err'",
           p->dir, p->dir, env ? env : "", runner, args, p->dir, p->dir);
  int st = system(cmd);
  char path[200];
  snprintf(path, sizeof path, "%s.out", p->dir);
  slurp(path, p->out, sizeof p->out);
  snprintf(path, sizeof path, "%s.err", p->dir);
  slurp(path, p->err, sizeof p->err);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Runs "runner ARGS" in the project (with ENV prefixed); the exit code. */
static inline int run(proj *p, const char *env, const char *args)
{
  return run_of(RUNNER, p, env, args);
}

static inline bool exists(const proj *p, const char *rel)
{
  char path[512];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", p->dir, rel);
  return stat(path, &st) == 0;
}

static inline int count_of(const char *hay, const char *needle)
{
  int n = 0;
  for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
    n++;
  return n;
}

/* Runs "git ARGS" in the project (ARGS may chain "&& git ..."), as a
 * fixed author, quietly; it must succeed. */
static inline void git(const proj *p, const char *args)
{
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t "
           "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t "
           "GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 && git %s "
           ">'%s.git' 2>&1",
           p->dir, args, p->dir);
  int st = system(cmd);
  char out[4096], path[200];
  snprintf(path, sizeof path, "%s.git", p->dir);
  slurp(path, out, sizeof out);
  unlink(path);
  cr_assert_eq(st, 0, "git %s: %s", args, out);
}

/* ---- runners in the background ---- */

/* Starts "runner ARGS..." (NULL-ended) in the project, its stdout and
 * stderr into DIR.NAME.out and DIR.NAME.err. */
static inline pid_t start(const proj *p, const char *name, ...)
{
  const char *argv[8] = {"runner"};
  va_list ap;
  va_start(ap, name);
  for (size_t i = 1; i < 7 && (argv[i] = va_arg(ap, const char *)); i++)
    ;
  va_end(ap);
  argv[7] = NULL;
  char out[200], err[200];
  snprintf(out, sizeof out, "%s.%s.out", p->dir, name);
  snprintf(err, sizeof err, "%s.%s.err", p->dir, name);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || chdir(p->dir) != 0 || dup2(o, 1) < 0 ||
        dup2(e, 2) < 0)
      _exit(126);
    setenv("RAN_FILE", "/dev/null", 1);
    execv(RUNNER, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

/* Waits for a runner: its exit code, or 128 + the signal that ended it. */
static inline int finish(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    cr_assert_eq(errno, EINTR);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* What runner NAME wrote on stderr. */
static inline void err_of(const proj *p, const char *name, char *buf,
                          size_t n)
{
  char path[200];
  snprintf(path, sizeof path, "%s.%s.err", p->dir, name);
  slurp(path, buf, n);
}

static inline void nap_ms(long ms)
{
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
  nanosleep(&ts, NULL);
}

static inline double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits (up to 20 s) until the project's file rel exists. */
static inline void wait_for_file(const proj *p, const char *rel)
{
  for (int i = 0; i < 2000 && !exists(p, rel); i++)
    nap_ms(10);
  cr_assert(exists(p, rel), "%s did not appear", rel);
}

/* Waits (up to 20 s) until runner NAME's stderr says says. */
static inline void wait_for_err(const proj *p, const char *name,
                                const char *says)
{
  char err[4096];
  for (int i = 0; i < 2000; i++) {
    err_of(p, name, err, sizeof err);
    if (strstr(err, says))
      return;
    nap_ms(10);
  }
  cr_assert_fail("runner %s never said \"%s\": %s", name, says, err);
}

/* Whether process pid still runs (a zombie does not). */
static inline bool alive(pid_t pid)
{
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  slurp(path, stat, sizeof stat);
  const char *paren = strrchr(stat, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z';
}

/* The pid the command wrote into the project's file rel. */
static inline pid_t pid_in(const proj *p, const char *rel)
{
  char path[300], text[32];
  snprintf(path, sizeof path, "%s/%s", p->dir, rel);
  for (int i = 0; i < 2000; i++) {
    slurp(path, text, sizeof text);
    if (strchr(text, '\n'))
      return (pid_t)atoi(text);
    nap_ms(10);
  }
  cr_assert_fail("no pid in %s", rel);
  return -1;
}

/* Waits (up to 10 s) for pid to end. */
static inline void wait_gone(pid_t pid, const char *what)
{
  for (int i = 0; i < 1000 && alive(pid); i++)
    nap_ms(10);
  cr_assert(!alive(pid), "%s (pid %d) outlived the runner", what, (int)pid);
}

/* Removes the project and what the background runs left beside it. */
static inline void races_free(proj *p)
{
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -f '%s'.*.out '%s'.*.err", p->dir, p->dir);
  cr_assert_eq(system(cmd), 0);
  proj_free(p);
}

/* ---- a big artifact of known content ---- */

enum { MB = 1 << 20 };

/* Whether the project's file rel holds exactly chunks x 1 MB, chunk I the
 * line "SEED I" repeated (what the tests' big commands write, e.g. with
 * `yes "$seed $i" | head -c 1048576`). */
static inline bool big_right(const proj *p, const char *rel, int seed,
                             int chunks)
{
  static char want[MB], got[MB];
  char path[512];
  snprintf(path, sizeof path, "%s/%s", p->dir, rel);
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  bool ok = true;
  for (int i = 1; ok && i <= chunks; i++) {
    size_t n = (size_t)snprintf(want, 32, "%d %d\n", seed, i);
    for (size_t have = n; have < MB; have *= 2) /* the line, doubled */
      memcpy(want + have, want, have < MB - have ? have : MB - have);
    ok = fread(got, 1, MB, f) == MB && !memcmp(got, want, MB);
  }
  ok = ok && fgetc(f) == EOF;
  fclose(f);
  return ok;
}

/* Writes seed into the project's src/seed. */
static inline void set_seed(const proj *p, int seed)
{
  put(p->dir, "src/seed", "%d\n", seed);
}

/* ---- a redis-server of our own ---- */

typedef struct redis {
  pid_t pid;
  int port;
} redis;

static inline int free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* A socket listening on a free loopback port (*port): connections wait
 * in its backlog until accepted. */
static inline int loopback_listener(int *port)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 16), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static inline bool port_open(int port)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* Every server a test started, stopped by its .fini even when an
 * assertion ends the test early. */
static pid_t started[4];
static size_t nstarted;

static inline void stop_servers(void)
{
  for (size_t i = 0; i < nstarted; i++)
    if (started[i] > 0) {
      kill(started[i], SIGTERM);
      waitpid(started[i], NULL, 0);
    }
  nstarted = 0;
}

static inline void redis_start(redis *r)
{
  r->port = free_port();
  char port[16];
  snprintf(port, sizeof port, "%d", r->port);
  r->pid = fork();
  cr_assert_geq(r->pid, 0);
  if (r->pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execlp("redis-server", "redis-server", "--port", port, "--bind",
           "127.0.0.1", "--save", "", "--appendonly", "no", (char *)NULL);
    _exit(127);
  }
  cr_assert_lt(nstarted, sizeof started / sizeof *started);
  started[nstarted++] = r->pid;
  for (int i = 0; i < 500 && !port_open(r->port); i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  cr_assert(port_open(r->port), "redis-server did not start on port %d",
            r->port);
}

static inline void redis_stop(redis *r)
{
  for (size_t i = 0; i < nstarted; i++)
    if (started[i] == r->pid)
      started[i] = 0;
  if (r->pid > 0) {
    kill(r->pid, SIGTERM);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
  }
}

/* redis-cli's output for a command against r. */
static inline void redis_cli(const redis *r, const char *args, char *out,
                             size_t n)
{
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "redis-cli -p %d %s", r->port, args);
  FILE *f = popen(cmd, "r");
  cr_assert_not_null(f);
  size_t len = fread(out, 1, n - 1, f);
  out[len] = 0;
  pclose(f);
}

/* The first key matching pattern (e.g. 't:build:*') into key. */
static inline void redis_key_of(const redis *r, const char *pattern,
                                char *key, size_t n)
{
  char args[300];
  snprintf(args, sizeof args, "--scan --pattern '%s'", pattern);
  redis_cli(r, args, key, n);
  key[strcspn(key, "\n")] = 0;
  cr_assert(key[0], "no redis key %s", pattern);
}

/* ---- an S3-compatible server of our own (s3rver, from npm) ---- */

typedef struct s3 {
  pid_t pid;
  int port;
  char dir[64];            /* its data */
} s3;

/* The s3rver program: S3RVER in the environment, else where
 * scripts/s3rver.sh installs it; NULL when it is not there. */
static inline const char *s3rver_path(void)
{
  const char *p = getenv("S3RVER") ? getenv("S3RVER") : PK_S3RVER;
  return access(p, X_OK) == 0 ? p : NULL;
}

/* Starts s3rver on a free loopback port with bucket "cache" (credentials
 * S3RVER / S3RVER); skips the test, saying why, when it is not
 * installed. */
static inline void s3_start(s3 *s)
{
  const char *prog = s3rver_path();
  if (!prog)
    cr_skip_test("s3rver is not installed (scripts/s3rver.sh installs it "
                 "from npm; or set S3RVER): S3 test skipped");
  snprintf(s->dir, sizeof s->dir, "/tmp/pk_s3_XXXXXX");
  cr_assert_not_null(mkdtemp(s->dir));
  s->port = free_port();
  char port[16];
  snprintf(port, sizeof port, "%d", s->port);
  s->pid = fork();
  cr_assert_geq(s->pid, 0);
  if (s->pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(prog, "s3rver", "-d", s->dir, "-a", "127.0.0.1", "-p", port,
          "--silent", "--configure-bucket", "cache", (char *)NULL);
    _exit(127);
  }
  cr_assert_lt(nstarted, sizeof started / sizeof *started);
  started[nstarted++] = s->pid;
  for (int i = 0; i < 1500 && !port_open(s->port); i++)
    nap_ms(10);
  cr_assert(port_open(s->port), "s3rver did not start on port %d", s->port);
}

static inline void s3_stop(s3 *s)
{
  for (size_t i = 0; i < nstarted; i++)
    if (started[i] == s->pid)
      started[i] = 0;
  if (s->pid > 0) {
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
  }
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
  cr_assert_eq(system(cmd), 0);
}

/* curl's output for a signed request to the server: curl ARGS, with PATH
 * (e.g. "/cache/t/x") appended to its URL. */
static inline void s3_curl(const s3 *s, const char *args, const char *path,
                           char *out, size_t n)
{
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER "
           "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' %s "
           "'http://127.0.0.1:%d%s'",
           args, s->port, path);
  FILE *f = popen(cmd, "r");
  cr_assert_not_null(f);
  size_t len = fread(out, 1, n - 1, f);
  out[len] = 0;
  pclose(f);
}

/* The key of the first object under prefix (e.g. "t/build-") into key. */
static inline void s3_key_of(const s3 *s, const char *prefix, char *key,
                             size_t n)
{
  char list[65536], path[300];
  snprintf(path, sizeof path, "/cache?list-type=2&prefix=%s", prefix);
  s3_curl(s, "", path, list, sizeof list);
  const char *k = strstr(list, "<Key>");
  const char *e = k ? strstr(k, "</Key>") : NULL;
  cr_assert(k && e, "no object under %s: %s", prefix, list);
  snprintf(key, n, "%.*s", (int)(e - k - 5), k + 5);
}

/* ---- the project of the scenarios ---- */

static inline void write_project(proj *p, int redis_port)
{
  put(p->dir, "runner.toml",
      "[ctx]\n"
      "redis_port = %d\n"
      "\n"
      "[plugins]\n"
      "lint = \"runner:lint\"\n"
      "cinclude = \"runner:cinclude\"\n"
      "tools = \"runner:toolenv\"\n"
      "\n"
      "[plugins.remote]\n"
      "plugin = \"runner:redis\"\n"
      "url = \"redis://127.0.0.1:{ctx.redis_port}\"\n"
      "prefix = \"t\"\n"
      "\n"
      "[caches.shared]\n"
      "type = \"redis\"\n"
      "\n"
      "[envs.dev]\n"
      "type = \"toolenv\"\n"
      "setup = '''printf '#!/bin/sh\\necho \"greet: $*\"\\n' > "
      "\"$TOOLENV_DIR/bin/greet\" && chmod +x \"$TOOLENV_DIR/bin/greet\" && "
      "echo greet-1.0 > \"$TOOLENV_DIR/lock\"'''\n"
      "vars = [\"GREETING=hello\"]\n"
      "\n"
      "[commands.build]\n"
      "exec = \"mkdir -p out && cat src/main.c > out/main.o && echo compiled "
      "&& echo ran >> \\\"$RAN_FILE\\\"\"\n"
      "deps = [\"src/*.c\", { type = \"cinclude\", path = \"src/main.c\" }]\n"
      "cache = \"shared\"\n"
      "artifacts = [\"out/main.o\"]\n"
      "\n"
      "[commands.test]\n"
      "exec = \"cat out/main.o | wc -l\"\n"
      "deps = [{ type = \"command\", name = \"build\", strict = true }]\n"
      "\n"
      "[commands.hello]\n"
      "exec = \"greet $GREETING\"\n"
      "deps = [\"src/*.c\"]\n"
      "env = \"dev\"\n"
      "\n"
      "[commands.secret]\n"
      "exec = \"echo secret\"\n"
      "hidden = true\n",
      redis_port);
  put(p->dir, "src/main.c", "#include \"util.h\"\nint main(void) { return "
                            "UTIL; }\n");
  put(p->dir, "src/util.h", "#include \"inner.h\"\n#define UTIL 0\n");
  put(p->dir, "src/inner.h", "/* inner */\n");
  put(p->dir, "src/unused.h", "/* not included */\n");
}

static inline int ran_count(const proj *p)
{
  char path[200], buf[4096];
  snprintf(path, sizeof path, "%s.ran", p->dir);
  slurp(path, buf, sizeof buf);
  return count_of(buf, "ran");
}

/* A new project of the scenarios, its remote cache on REDIS_PORT. */
static inline void proj_scenarios(proj *p, int redis_port)
{
  proj_new(p);
  write_project(p, redis_port);
}

/* Runs "runner ARGS": it succeeds, and its stderr says SAYS. */
static inline void run_says(proj *p, const char *args, const char *says)
{
  cr_assert_eq(run(p, NULL, args), 0, "%s", p->err);
  cr_assert(strstr(p->err, says), "%s", p->err);
}

/* A new checkout of the scenarios on the Redis at port gets what runner
 * ARGS needs from it. */
static inline void new_checkout_fetches(int port, const char *args)
{
  proj c;
  proj_scenarios(&c, port);
  run_says(&c, args, "fetched from the remote cache");
  proj_free(&c);
}

#endif
