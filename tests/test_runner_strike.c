/* test_runner_strike.c -- the crash quarantine seen from the runner: a
 * runner killed from outside (SIGKILL) inside a plugin's call is a strike
 * against that plugin, which the next run warns of (naming it) and runs
 * on; a second such kill with the same files quarantines it: the next
 * run says so and how to lift it, and stops (the project declares the
 * plugin); `plugkit quarantine clear` lifts it.  A crash signal there
 * instead is said as the runner dies, and quarantines at once.  A copy
 * of the runner's directory (its executables and runner-host.toml;
 * plugins/ beside them) holds the fixture runner:hang
 * (tests/fixtures/runner/hang), whose register hook blocks when
 * RUNNER_TEST_HANG is set.
 * SPDX-License-Identifier: MIT */
#include "runner_util.h"

#include <sys/ioctl.h>

#define HANG PK_TEST_BINARY_DIR "/fixtures/runner/hang"

/* A directory laid out as the runner's install, with plugins/hang. */
typedef struct install {
  char dir[64];
  char runner[128];
} install;

static void install_new(install *in)
{
  snprintf(in->dir, sizeof in->dir, "/tmp/pk_rinst_XXXXXX");
  cr_assert_not_null(mkdtemp(in->dir));
  snprintf(in->runner, sizeof in->runner, "%s/runner", in->dir);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cp '%s/runner' '%s/runner-supervise' '%s/runner-host.toml' '%s/' "
           "&& mkdir '%s/plugins' && cp -r '%s' '%s/plugins/hang'",
           PK_RUNNER_DIR, PK_RUNNER_DIR, PK_RUNNER_DIR, in->dir, in->dir, HANG,
           in->dir);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void install_free(install *in)
{
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", in->dir);
  cr_assert_eq(system(cmd), 0);
}

/* Starts in's runner on gen with RUNNER_TEST_HANG set, waits until
 * runner:hang's register hook has made its mark (the runner is inside
 * the call), sends it sig, which it must die of.  What it wrote to its
 * standard error until then into err (n bytes). */
static void signal_inside(const install *in, const proj *p, int sig,
                          char *err, size_t n)
{
  char mark[200], errf[200];
  snprintf(mark, sizeof mark, "%s/inside", p->dir);
  snprintf(errf, sizeof errf, "%s/killed.err", p->dir);
  unlink(mark);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY),
        e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (null < 0 || e < 0 || chdir(p->dir) != 0 || dup2(null, 1) < 0 ||
        dup2(e, 2) < 0)
      _exit(126);
    setenv("RUNNER_TEST_HANG", mark, 1);
    execl(in->runner, "runner", "gen", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 2000 && access(mark, F_OK) != 0 && alive(pid); i++)
    nap_ms(10);
  cr_assert_eq(access(mark, F_OK), 0, "the runner never entered the hook");
  kill(pid, sig);
  cr_assert_eq(finish(pid), 128 + sig);
  FILE *f = fopen(errf, "r");
  cr_assert_not_null(f);
  size_t got = fread(err, 1, n - 1, f);
  err[got] = '\0';
  fclose(f);
  unlink(errf);
}

static void kill_inside(const install *in, const proj *p, char *err, size_t n)
{
  signal_inside(in, p, SIGKILL, err, n);
}

static const char strike[] =
    "runner: warning: runner:hang: plugin runner:hang: the host ended "
    "inside its register hook without a crash signal (killed from "
    "outside?); not quarantined: a second such end with the same files "
    "quarantines it\n";

Test(runner, a_kill_inside_a_plugin_is_a_strike_then_a_quarantine)
{
  install in;
  install_new(&in);
  proj p;
  proj_with(&p, "[plugins]\nhang = \"runner:hang\"\n\n"
                "[commands.gen]\nexec = \"echo made > out.txt\"\n"
                "deps = [\"in.txt\"]\n");
  put(p.dir, "in.txt", "v1\n");
  cr_assert_eq(run_of(in.runner, &p, NULL, "gen"), 0, "%s", p.err);
  cr_assert_null(strstr(p.err, "runner:hang"), "%s", p.err);

  char killed[4096];
  kill_inside(&in, &p, killed, sizeof killed);
  cr_expect_str_eq(killed, "");
  cr_assert_eq(run_of(in.runner, &p, NULL, "gen"), 0, "%s", p.err);
  cr_expect(strstr(p.err, strike), "%s", p.err);
  cr_expect(strstr(p.err, "gen: hit, replaying"), "%s", p.err);
  cr_assert_eq(run_of(in.runner, &p, NULL, "gen"), 0, "%s", p.err);
  cr_expect_null(strstr(p.err, "runner:hang"), "warned once: %s", p.err);

  kill_inside(&in, &p, killed, sizeof killed);
  cr_expect_str_eq(killed, "", "warned once");
  put(p.dir, "in.txt", "v2\n");
  char out[300];
  snprintf(out, sizeof out, "%s/out.txt", p.dir);
  cr_assert_eq(unlink(out), 0);
  int code = run_of(in.runner, &p, NULL, "gen");
  /* a plugin the project declares cannot start: the run stops there,
   * saying once (in the error that stops it) why and how to lift it */
  cr_expect_eq(code, 2, "%s", p.err);
  const char *found = strstr(p.err, "; found ");
  cr_assert_not_null(found, "%s", p.err);
  char want[2000];
  snprintf(want, sizeof want,
           "runner: starting the plugins: the host requested "
           "\"runner:hang\", but plugin runner:hang is in quarantine: the "
           "host ended twice inside its register hook without a crash "
           "signal (killed from outside?); found %.23s; it is skipped until "
           "its files (%s/plugins/hang/plugin.toml, "
           "%s/plugins/hang/librunner_hang.so) change, or run `plugkit "
           "quarantine clear runner:hang --cache %s/.runner/plugins.cache`\n",
           found + 8, in.dir, in.dir, p.dir);
  cr_expect_str_eq(p.err, want);
  cr_expect(!exists(&p, "out.txt"), "gen ran");

  /* the way out it names: the real CLI lifts it, the next run works */
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "'%s' quarantine clear runner:hang --cache "
           "'%s/.runner/plugins.cache' >/dev/null",
           PK_CLI_PATH, p.dir);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  cr_assert_eq(run_of(in.runner, &p, NULL, "gen"), 0, "%s", p.err);
  cr_expect_null(strstr(p.err, "runner:hang"), "%s", p.err);
  cr_expect(strstr(p.err, "gen: miss, running"), "%s", p.err);
  cr_expect(exists(&p, "out.txt"));
  proj_free(&p);
  install_free(&in);
}

/* A crash signal inside the plugin's code (the runner has crash_signals
 * on): the dying runner says the plugin, the hook and the signal on its
 * standard error, dies of the signal as it would have, and the next run
 * finds the plugin in quarantine at once, naming the signal. */
Test(runner, a_crash_signal_inside_a_plugin_is_said_as_the_runner_dies)
{
  install in;
  install_new(&in);
  proj p;
  proj_with(&p, "[plugins]\nhang = \"runner:hang\"\n\n"
                "[commands.gen]\nexec = \"echo made > out.txt\"\n");
  char died[4096], want[1200];
  signal_inside(&in, &p, SIGABRT, died, sizeof died);
  snprintf(want, sizeof want,
           "plugkit: plugin runner:hang crashed in its register hook: signal "
           "%d (%s); the host dies of it, and its next starts skip the plugin "
           "(quarantine) until its files change, or run `plugkit quarantine "
           "clear runner:hang --cache %s/.runner/plugins.cache`\n",
           SIGABRT, strsignal(SIGABRT), p.dir);
  cr_expect_str_eq(died, want);
  cr_expect_eq(run_of(in.runner, &p, NULL, "gen"), 2, "%s", p.err);
  snprintf(want, sizeof want,
           "plugin runner:hang is in quarantine: the host crashed in its "
           "register hook: signal %d (%s); found ",
           SIGABRT, strsignal(SIGABRT));
  cr_expect(strstr(p.err, want), "%s", p.err);
  proj_free(&p);
  install_free(&in);
}

/* The run after a strike warns of it before the plugin's code runs: when
 * that code ends the runner again, the warning was printed (the runner's
 * log holds its lines while the plugins start, and lets them go when a
 * plugin's code is entered). */
Test(runner, a_strike_is_warned_of_before_the_plugin_ends_the_runner_again)
{
  install in;
  install_new(&in);
  proj p;
  proj_with(&p, "[plugins]\nhang = \"runner:hang\"\n\n"
                "[commands.gen]\nexec = \"echo made > out.txt\"\n");
  char killed[4096];
  kill_inside(&in, &p, killed, sizeof killed);
  cr_expect_str_eq(killed, "");
  kill_inside(&in, &p, killed, sizeof killed);
  cr_expect_str_eq(killed, strike);
  proj_free(&p);
  install_free(&in);
}

/* The runner's own code inside a plugin's call is not the plugin's: its
 * register hook warns through runner_host.warn into a standard error that
 * nobody reads, so the runner blocks in its write, and is killed there.
 * The next run finds no strike against the plugin (the same kill inside
 * the plugin's own code is one, above). */
Test(runner, a_kill_inside_the_runners_warn_service_is_no_strike)
{
  install in;
  install_new(&in);
  proj p;
  proj_with(&p, "[plugins]\nhang = \"runner:hang\"\n\n"
                "[commands.gen]\nexec = \"echo made > out.txt\"\n");
  char mark[200];
  snprintf(mark, sizeof mark, "%s/warning", p.dir);
  int pipefd[2];
  cr_assert_eq(pipe(pipefd), 0);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || chdir(p.dir) != 0 || dup2(null, 1) < 0 ||
        dup2(pipefd[1], 2) < 0)
      _exit(126);
    close(pipefd[0]);
    setenv("RUNNER_TEST_WARN", mark, 1);
    execl(in.runner, "runner", "gen", (char *)NULL);
    _exit(127);
  }
  close(pipefd[1]);
  /* blocked: the pipe holds all it can and stays so */
  int pending = 0, last = -1;
  for (int i = 0; i < 2000 && alive(pid); i++) {
    nap_ms(10);
    cr_assert_eq(ioctl(pipefd[0], FIONREAD, &pending), 0);
    if (access(mark, F_OK) == 0 && pending >= 4096 && pending == last)
      break;
    last = pending;
  }
  cr_assert(alive(pid), "the runner ended: it never blocked in warn");
  cr_assert_eq(access(mark, F_OK), 0, "the runner never entered the hook");
  cr_assert_geq(pending, 4096, "nothing warned");
  nap_ms(50);
  kill(pid, SIGKILL);
  cr_assert_eq(finish(pid), 128 + SIGKILL);
  close(pipefd[0]);
  cr_assert_eq(run_of(in.runner, &p, NULL, "gen"), 0, "%s", p.err);
  cr_expect_null(strstr(p.err, "runner:hang"), "a strike: %s", p.err);
  cr_expect(strstr(p.err, "gen: running"), "%s", p.err);
  proj_free(&p);
  install_free(&in);
}
