/* test_runner_redis_faults.c -- the runner's Redis cache when things go
 * wrong (issue 15 point 7): the runner killed (SIGKILL) at random points
 * while it stores entries to Redis; a real redis-server that drops the
 * connection in the middle of a transfer (its own client buffer limits,
 * and CLIENT KILL from a second connection); a loopback server that
 * answers garbage; two runners at once on one project with a Redis cache.
 * Every result is checked byte for byte, in the checkout that ran and in
 * fresh checkouts that read from Redis: a fault is a warning and a miss,
 * the command still runs, and nothing replays wrong output.
 * SPDX-License-Identifier: MIT */
#include <plugkit.h>

#include "runner_util.h"

enum { CHUNKS = 8 };

/* A new checkout whose cache "shared" is a Redis at port (redis_extra: more
 * lines for [plugins.remote]).  big: writes out/big.bin, CHUNKS x 1 MB of
 * "SEED I" lines (SEED from src/seed, here 0), and says "made SEED".
 * small: writes out/s.txt, "hi". */
static void faults_project(proj *p, int port, const char *redis_extra)
{
  proj_new(p);
  put(p->dir, "runner.toml",
      "[plugins.remote]\n"
      "plugin = \"runner:redis\"\n"
      "url = \"redis://127.0.0.1:%d\"\n"
      "prefix = \"f\"\n"
      "%s"
      "\n"
      "[caches.shared]\n"
      "type = \"redis\"\n"
      "\n"
      "[commands.big]\n"
      "exec = '''mkdir -p out && seed=$(cat src/seed) && : > out/big.bin && "
      "for i in $(seq %d); do yes \"$seed $i\" | head -c 1048576 >> "
      "out/big.bin; done && echo \"made $seed\"'''\n"
      "deps = [\"src/seed\"]\n"
      "artifacts = [\"out/big.bin\"]\n"
      "cache = \"shared\"\n"
      "\n"
      "[commands.small]\n"
      "exec = \"mkdir -p out && echo hi > out/s.txt\"\n"
      "deps = [\"src/seed\"]\n"
      "artifacts = [\"out/s.txt\"]\n"
      "cache = \"shared\"\n",
      port, redis_extra ? redis_extra : "", CHUNKS);
  set_seed(p, 0);
}

/* runner big in p succeeds, says "made SEED" when it ran, and leaves
 * out/big.bin right; whether the result came from Redis. */
static bool big_runs_right(proj *p, int seed)
{
  cr_assert_eq(run(p, NULL, "big"), 0, "%s", p->err);
  char made[32];
  snprintf(made, sizeof made, "made %d", seed);
  cr_assert(strstr(p->out, made), "%s\n%s", p->out, p->err);
  cr_assert(big_right(p, "out/big.bin", seed, CHUNKS),
            "wrong out/big.bin "
            "for seed %d: %s",
            seed, p->err);
  return strstr(p->err, "big: hit (fetched from the remote cache)") != NULL;
}

/* A fresh checkout on the Redis at port, its src/seed seed: runner big is
 * right twice (the second time a hit); whether the first came from Redis. */
static bool fresh_checkout_right(int port, int seed)
{
  proj c;
  faults_project(&c, port, NULL);
  set_seed(&c, seed);
  bool fetched = big_runs_right(&c, seed);
  big_runs_right(&c, seed);
  cr_assert(strstr(c.err, "big: hit"), "%s", c.err);
  proj_free(&c);
  return fetched;
}

static void redis_says(const redis *r, const char *args, const char *want)
{
  char out[512];
  redis_cli(r, args, out, sizeof out);
  cr_assert(strstr(out, want), "redis-cli %s: %s", args, out);
}

/* How many keys match pattern. */
static int redis_keys(const redis *r, const char *pattern)
{
  char args[200], out[8192];
  snprintf(args, sizeof args, "--scan --pattern '%s'", pattern);
  redis_cli(r, args, out, sizeof out);
  return count_of(out, "\n");
}

/* ---- kill -9 while storing to Redis ---- */

/* Polls (every ms, up to 20 s) until rel exists in p or pid ended. */
static void wait_file_or_end(const proj *p, const char *rel, pid_t pid)
{
  for (int i = 0; i < 20000 && !exists(p, rel) && alive(pid); i++)
    nap_ms(1);
}

static void count_quarantined(void *ud, const pk_quarantined *q)
{
  (void)q;
  ++*(size_t *)ud;
}

/* The runner is killed at a random point of a run that stores an 8 MB
 * entry to Redis: half the kills anywhere in the run, half in the window
 * between the local entry being written and the runner's end (the SET to
 * Redis).  After each kill a fresh checkout reading from Redis runs big
 * twice: right each time, a remote hit only from a whole entry. */
Test(runner_redis, kill_9_while_storing_to_redis_never_replays_wrong_output,
     .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj a;
  faults_project(&a, r.port, "timeout-ms = 5000\n");
  set_seed(&a, 1000);
  /* how long a run takes, and its tail after the local entry is written */
  double t0 = now_s();
  pid_t pid = start(&a, "a", "big", NULL);
  wait_file_or_end(&a, ".runner/cache/big.entry", pid);
  double t1 = now_s();
  cr_assert_eq(finish(pid), 0);
  long full_ms = (long)((now_s() - t0) * 1000);
  long tail_ms = (long)((now_s() - t1) * 1000);
  cr_assert_eq(redis_keys(&r, "f:big:*"), 1);
  unsigned rng = 15;
  int kills = 0, fetched = 0, missed = 0, quarantined = 0;
  for (int k = 1; k <= 24; k++) {
    set_seed(&a, k);
    char entry[300];
    snprintf(entry, sizeof entry, "%s/.runner/cache/big.entry", a.dir);
    unlink(entry);
    pid = start(&a, "a", "big", NULL);
    if (k % 2) {
      nap_ms((long)(rand_r(&rng) % (unsigned)(full_ms + 1)));
    } else {
      wait_file_or_end(&a, ".runner/cache/big.entry", pid);
      nap_ms((long)(rand_r(&rng) % (unsigned)(tail_ms + 1)));
    }
    kill(pid, SIGKILL);
    int code = finish(pid); /* 0: it was done before the kill */
    if (code != 128 + SIGKILL && code != 0) {
      char said[2048];
      err_of(&a, "a", said, sizeof said);
      cr_assert_fail("run %d: exit %d: %s", k, code, said);
    }
    kills += code != 0;
    /* A kill landing inside a plugin call (the redis factory connects at
     * start) is a strike against that plugin: the runner has crash_signals
     * on and no signal was recorded (docs/security.md, "the crash
     * quarantine").  A second one with the same files quarantines it, as
     * it should; this test is about the cache entries, so such a
     * quarantine (and only then) is lifted before the next run. */
    if (code != 0) {
      char mc[400];
      size_t in_quarantine = 0;
      pk_error qe;
      snprintf(mc, sizeof mc, "%s/.runner/plugins.cache", a.dir);
      /* (a run killed before its host made the cache and the journal:
       * PK_ENOTFOUND, nothing in quarantine) */
      pk_status qs =
          pk_quarantine_list(mc, count_quarantined, &in_quarantine, &qe);
      cr_assert(qs == PK_OK || qs == PK_ENOTFOUND, "%s", qe.message);
      if (in_quarantine)
        cr_assert_eq(pk_quarantine_clear(mc, NULL, NULL, &qe), PK_OK, "%s",
                     qe.message);
      quarantined += (int)in_quarantine;
    }
    if (fresh_checkout_right(r.port, k))
      fetched++;
    else
      missed++;
  }
  cr_log_info("kill -9 while storing to Redis: %d kills of 24 runs (%d "
              "quarantines: two kills inside a plugin's call), then %d "
              "remote hits and %d misses, all right",
              kills, quarantined, fetched, missed);
  cr_assert_gt(kills, 0, "no kill landed before the runner's end");
  cr_assert_gt(fetched, 0, "no run stored its entry before the kill");
  redis_stop(&r);
  races_free(&a);
}

/* ---- a Redis that drops the connection mid-transfer ---- */

/* redis-server's own limits drop the runner's connection in the middle
 * of an 8 MB transfer: the query buffer limit (1 MB) while it SETs the
 * entry, the output buffer limit (1 MB) while it GETs it.  Each is one
 * warning naming the command and the URL, and a miss: the command runs
 * and its outputs are right; nothing partial is stored. */
Test(runner_redis, redis_dropping_the_connection_mid_transfer_is_a_warning,
     .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  redis_says(&r, "CONFIG SET client-query-buffer-limit 1mb", "OK");
  proj a;
  faults_project(&a, r.port, NULL);
  set_seed(&a, 1);
  cr_assert_not(big_runs_right(&a, 1));
  char want[200];
  snprintf(want, sizeof want, " at redis://127.0.0.1:%d: ", r.port);
  cr_assert(strstr(a.err, "warning: cache shared (redis): SET f:big:"), "%s",
            a.err);
  cr_assert(strstr(a.err, want), "%s", a.err);
  cr_assert(strstr(a.err, "using the local cache only"), "%s", a.err);
  cr_assert_eq(count_of(a.err, "warning:"), 1, "%s", a.err);
  cr_assert_eq(redis_keys(&r, "f:big:*"), 0, "a partial SET was stored");
  big_runs_right(&a, 1); /* the local entry is whole */
  cr_assert(strstr(a.err, "big: hit, replaying"), "%s", a.err);

  /* the entry in Redis, then a GET that the server drops */
  redis_says(&r, "CONFIG SET client-query-buffer-limit 1gb", "OK");
  cr_assert_eq(run(&a, NULL, "-f big"), 0, "%s", a.err);
  cr_assert_eq(redis_keys(&r, "f:big:*"), 1);
  redis_says(&r, "CONFIG SET client-output-buffer-limit 'normal 1mb 1mb 0'",
             "OK");
  proj b;
  faults_project(&b, r.port, NULL);
  set_seed(&b, 1);
  cr_assert_not(big_runs_right(&b, 1));
  cr_assert(strstr(b.err, "warning: cache shared (redis): GET f:big:"), "%s",
            b.err);
  cr_assert(strstr(b.err, want), "%s", b.err);
  cr_assert(strstr(b.err, "big: miss, running"), "%s", b.err);
  cr_assert_eq(count_of(b.err, "warning:"), 1, "%s", b.err);
  /* the limit lifted, a third checkout fetches the whole entry */
  redis_says(&r, "CONFIG SET client-output-buffer-limit 'normal 0 0 0'", "OK");
  cr_assert(fresh_checkout_right(r.port, 1));
  redis_stop(&r);
  proj_free(&a);
  proj_free(&b);
}

/* Adds pid to the processes the test's .fini (stop_servers) stops. */
static void track(pid_t pid)
{
  cr_assert_lt(nstarted, sizeof started / sizeof *started);
  started[nstarted++] = pid;
}

/* A process that connects to the Redis at port and sends CLIENT KILL
 * TYPE normal every half millisecond: every other client's connection
 * (the runners') is dropped wherever its transfer is.  Stopped by
 * killer_stop or the test's .fini. */
static pid_t killer_start(int port)
{
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
      _exit(1);
    static const char cmd[] = "CLIENT KILL TYPE normal SKIPME yes\r\n";
    char reply[64];
    for (;;) {
      if (write(fd, cmd, sizeof cmd - 1) != (ssize_t)sizeof cmd - 1 ||
          read(fd, reply, sizeof reply) <= 0)
        _exit(1);
      struct timespec ts = {0, 500 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  track(pid);
  return pid;
}

static void killer_stop(pid_t pid)
{
  for (size_t i = 0; i < nstarted; i++)
    if (started[i] == pid)
      started[i--] = started[--nstarted];
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* While CLIENT KILL drops every connection again and again, checkouts
 * store and fetch 8 MB entries: every run succeeds with the right output
 * (hit or miss), at least one says why it missed Redis; once the killer
 * stops, every entry Redis holds is whole (fresh checkouts are right). */
Test(runner_redis, client_kill_during_transfers_is_a_warning_and_a_miss,
     .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  int warned = 0;
  for (int seed = 1; seed <= 6; seed++) {
    proj a, b;
    faults_project(&a, r.port, NULL);
    faults_project(&b, r.port, NULL);
    set_seed(&a, seed);
    set_seed(&b, seed);
    if (seed > 1) { /* a whole entry of the seed in Redis for b to GET */
      cr_assert_eq(run(&a, NULL, "big"), 0, "%s", a.err);
      set_seed(&a, seed + 100);
    }
    pid_t killer = killer_start(r.port);
    big_runs_right(&a, seed > 1 ? seed + 100 : seed); /* SETs */
    warned += strstr(a.err, "warning: cache shared (redis): ") != NULL;
    big_runs_right(&b, seed); /* GETs */
    warned += strstr(b.err, "warning: cache shared (redis): ") != NULL;
    killer_stop(killer);
    proj_free(&a);
    proj_free(&b);
  }
  cr_assert_gt(warned, 0, "CLIENT KILL never dropped a runner's connection");
  for (int seed = 1; seed <= 6; seed++) {
    fresh_checkout_right(r.port, seed);
    fresh_checkout_right(r.port, seed + 100);
  }
  redis_stop(&r);
}

/* ---- a server that answers garbage ---- */

/* A loopback server that answers every read of a connection with reply
 * (and then closes it when close_after); its port.  Stopped by the
 * test's .fini. */
static int garbage_server(const char *reply, bool close_after)
{
  int port, fd = loopback_listener(&port);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
      int c = accept(fd, NULL, NULL);
      char buf[1 << 16];
      while (c >= 0 && read(c, buf, sizeof buf) > 0 &&
             write(c, reply, strlen(reply)) >= 0 && !close_after)
        ;
      if (c >= 0)
        close(c);
    }
  }
  close(fd);
  track(pid);
  return port;
}

/* Each answer is a warning that says what was wrong, and a miss; small
 * runs and its output is right, and the next run is a local hit. */
Test(runner_redis, redis_answering_garbage_is_a_warning_and_a_miss,
     .fini = stop_servers)
{
  static const struct {
    const char *reply;
    bool close_after;
    const char *says; /* after "warning: cache shared (redis): " */
  } answers[] = {
      {"%garbage\r\n", false, "GET f:small:"},
      {"$1000\r\nabc", true, "GET f:small:"},
      {"+OK", true, "GET f:small:"},
      {":42\r\n", false,
       "the server answered an integer (42); treated as "
       "a miss"},
      {"+QUEUED\r\n", false,
       "the server answered a status (QUEUED); "
       "treated as a miss"},
      {"*1\r\n$1\r\nx\r\n", false, "the server answered an array"},
      /* hiredis would allocate 2^31 elements at once (2 GB and a minute
       * under ASan), then buffer 2 GB: both refused from their first line */
      {"*2147483647\r\n", false, "the server answered an array"},
      {"$2147483647\r\nabc", false,
       "the server answered a string of 2147483647 bytes"},
      {"$11\r\nhello world\r\n", false, "remote entry of small is unusable"},
  };
  for (size_t i = 0; i < sizeof answers / sizeof *answers; i++) {
    int port = garbage_server(answers[i].reply, answers[i].close_after);
    proj p;
    faults_project(&p, port, "timeout-ms = 2000\n");
    cr_assert_eq(run(&p, NULL, "small"), 0, "%s", p.err);
    cr_assert(strstr(p.err, "warning: cache shared (redis): "), "%s", p.err);
    cr_assert(strstr(p.err, answers[i].says), "answer %zu: %s", i, p.err);
    cr_assert(strstr(p.err, "small: miss, running"), "%s", p.err);
    char s[16], path[300];
    snprintf(path, sizeof path, "%s/out/s.txt", p.dir);
    slurp(path, s, sizeof s);
    cr_assert_str_eq(s, "hi\n");
    cr_assert_eq(run(&p, NULL, "small"), 0, "%s", p.err);
    cr_assert(strstr(p.err, "small: hit, replaying"), "%s", p.err);
    stop_servers();
    proj_free(&p);
  }
}

/* The SELECT of a url with /DB is read the same way: an array in answer is
 * refused from its first line, one warning, and the command runs. */
Test(runner_redis, garbage_answer_to_select_is_a_warning, .fini = stop_servers)
{
  int port = garbage_server("*2147483647\r\n", false);
  proj p;
  faults_project(&p, port, NULL);
  char cmd[400], want[200];
  snprintf(cmd, sizeof cmd, "sed -i 's|:%d\"|:%d/3\"|' '%s/runner.toml'", port,
           port, p.dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(run(&p, NULL, "small"), 0, "%s", p.err);
  snprintf(want, sizeof want,
           "warning: cache shared (redis): cannot reach "
           "redis://127.0.0.1:%d/3: SELECT 3: the server answered an array",
           port);
  cr_assert(strstr(p.err, want), "%s", p.err);
  cr_assert(strstr(p.err, "small: miss, running"), "%s", p.err);
  proj_free(&p);
}

/* ---- two runners at once ---- */

/* Two `runner big` at once in one checkout, and two more in a second
 * checkout, all on one Redis: one runs per checkout while the other waits
 * for the lock and hits; every artifact and every entry (read back by a
 * fresh checkout) is right. */
Test(runner_redis, two_runners_at_once_with_redis_corrupt_nothing,
     .fini = stop_servers)
{
  redis r;
  redis_start(&r);
  proj a, b;
  faults_project(&a, r.port, NULL);
  faults_project(&b, r.port, NULL);
  int both_ran = 0;
  for (int seed = 1; seed <= 6; seed++) {
    set_seed(&a, seed);
    set_seed(&b, seed);
    pid_t a1 = start(&a, "1", "big", NULL), a2 = start(&a, "2", "big", NULL);
    pid_t b1 = start(&b, "1", "big", NULL), b2 = start(&b, "2", "big", NULL);
    cr_assert_eq(finish(a1), 0);
    cr_assert_eq(finish(a2), 0);
    cr_assert_eq(finish(b1), 0);
    cr_assert_eq(finish(b2), 0);
    char e1[4096], e2[4096];
    err_of(&a, "1", e1, sizeof e1);
    err_of(&a, "2", e2, sizeof e2);
    both_ran +=
        strstr(e1, "big: miss, running") && strstr(e2, "big: miss, running");
    cr_assert_null(strstr(e1, "warning"), "%s", e1);
    cr_assert_null(strstr(e2, "warning"), "%s", e2);
    cr_assert(big_right(&a, "out/big.bin", seed, CHUNKS));
    cr_assert(big_right(&b, "out/big.bin", seed, CHUNKS));
    big_runs_right(&a, seed);
    cr_assert(strstr(a.err, "big: hit, replaying"), "%s", a.err);
    cr_assert(fresh_checkout_right(r.port, seed));
  }
  cr_assert_eq(both_ran, 0, "both runners of a checkout ran in %d rounds",
               both_ran);
  redis_stop(&r);
  races_free(&a);
  races_free(&b);
}
