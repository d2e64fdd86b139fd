/* fuzz_runner_toml.c -- libFuzzer target: any bytes as a project's
 * runner.toml, through the runner's own check: project_open (the host, its
 * description, the built-in types, the plugins of this build's
 * examples/runner/plugins, [ctx], [plugins], [caches], [envs], [spaces],
 * [modules], [commands], [defaults]) and, when the project opens, the plan
 * of every command (plan_build: deps, cycles, spaces, envs), built from the
 * runner's own sources (every one but main.c).  Nothing runs: no command,
 * no cache is read.
 *
 * Checks: nothing crashes, hangs, leaks or reads out of bounds (ASan,
 * UBSan); project_open returns 0 or 2, plan_build 0 or 1.  The runner's
 * messages go to /dev/null (they are written to file descriptor 2, so a
 * sanitizer's report inside the runner's code is silenced too: run a
 * finding again with FUZZ_VERBOSE=1 to see it).
 * SPDX-License-Identifier: MIT */
#include "runner.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int quiet = -1;
  static char here[512];
  if (quiet < 0) {
    quiet = getenv("FUZZ_VERBOSE") ? 2 : open("/dev/null", O_WRONLY);
    CHECK(quiet >= 0 && strlen(fuzz_tmpdir()) < sizeof here);
    strcpy(here, fuzz_tmpdir());
  }
  fuzz_write(fuzz_path("runner.toml"), data, size);
  run_options o = {.workers = 1};
  int saved = dup(2), cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(saved >= 0 && cwd >= 0 && dup2(quiet, 2) == 2);
  project p;
  int rc = project_open(&p, here, RUNNER_DIR, &o);
  int prc = -1;
  if (rc == 0) {
    plan pl;
    prc = plan_build(&pl, &p, NULL, 0, &o);
    plan_free(&pl);
  }
  project_close(&p);
  /* project_open enters the project: back to libFuzzer's directory */
  CHECK(fchdir(cwd) == 0 && close(cwd) == 0);
  CHECK(dup2(saved, 2) == 2 && close(saved) == 0);
  CHECK(rc == 0 || rc == 2);
  CHECK(rc != 0 || prc == 0 || prc == 1);
  return 0;
}
