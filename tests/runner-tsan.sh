#!/usr/bin/env bash
# runner-tsan.sh BUILD -- the parallel runner under ThreadSanitizer (issue
# 16 point 1): the runner and its plugins from BUILD (configured with
# -DPK_TSAN=ON) on a project of many commands using every plugin type at
# once -- a redis cache (a redis-server of its own on a free port), the
# cinclude dep, a toolenv env (a space's, inline, and a named one), the
# lint commands -- and commands per module, with 8 workers: a first run
# (every runnable a miss), a second (every one a hit), a second checkout
# (fetched from Redis), a header changed (some run again).  Any
# ThreadSanitizer report fails it.  Prints one "Synthesis" line, as the
# other stress programs of scripts/test.sh do.
set -uo pipefail
BUILD=$(cd "${1:?usage: runner-tsan.sh BUILD}" && pwd)
RUNNER=$BUILD/examples/runner/runner
work=$(mktemp -d)
. "$(dirname "$0")/../scripts/redis.sh"
cleanup() {
  redis_down
  rm -rf "$work"
}
trap cleanup EXIT
redis_up "$work"

project() { # project DIR: 48 commands over every plugin type, 3 modules
  local d=$1 i
  mkdir -p "$d/src" "$d/libs/a" "$d/libs/b" "$d/libs/c"
  {
    printf '[plugins]\nlint = "runner:lint"\ncinclude = "runner:cinclude"\n'
    printf 'tools = "runner:toolenv"\n\n[plugins.remote]\n'
    printf 'plugin = "runner:redis"\nurl = "redis://127.0.0.1:%s"\n' "$port"
    printf 'prefix = "tsan"\n\n[caches.shared]\ntype = "redis"\n\n'
    printf '[envs.dev]\ntype = "toolenv"\nsetup = "echo 1 > $TOOLENV_DIR/lock"\n'
    printf 'vars = ["X=1"]\n\n'
    printf '[spaces.default]\nmodules = ["libs/a", "libs/b", "libs/c"]\n'
    printf 'env = { type = "toolenv", setup = "echo 2 > $TOOLENV_DIR/lock" }\n\n'
    printf '[commands.per]\nexec = "echo {module.name} > {module.dir}/out.txt"\n'
    printf 'deps = ["{module.dir}/*.c", { type = "cinclude", path = '
    printf '"{module.dir}/m.c" }]\nartifacts = ["{module.dir}/out.txt"]\n'
    printf 'cache = "shared"\n\n'
    for i in $(seq 0 43); do
      printf '[commands.c%d]\n' "$i"
      printf 'exec = "mkdir -p out && cat src/f%d.c > out/c%d.txt"\n' "$i" "$i"
      printf 'deps = ["src/f%d.c", { type = "cinclude", path = "src/f%d.c" }' "$i" "$i"
      ((i >= 4)) && printf ', { type = "command", name = "c%d", strict = true }' $((i - 4))
      printf ']\nartifacts = ["out/c%d.txt"]\n' "$i"
      ((i % 2 == 0)) && printf 'cache = "shared"\n'
      ((i % 3 == 0)) && printf 'env = "dev"\n'
      printf '\n'
    done
  } >"$d/runner.toml"
  printf '/* common */\n' >"$d/src/common.h"
  for i in $(seq 0 43); do
    printf '#include "common.h"\nint f%d;\n' "$i" >"$d/src/f$i.c"
  done
  for m in a b c; do printf 'int %s;\n' "$m" >"$d/libs/$m/m.c"; done
}

passed=0 tested=0
step() { # step NAME DIR WANT_IN_STDERR ARGS...: one run under TSan
  local name=$1 dir=$2 want=$3; shift 3
  tested=$((tested + 1))
  (cd "$dir" && TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
     "$RUNNER" -n 8 "$@" >"$work/$name.out" 2>"$work/$name.err")
  local rc=$?
  if ((rc != 0)) || grep -q 'ThreadSanitizer' "$work/$name.err" ||
     ! grep -q -- "$want" "$work/$name.err"; then
    echo "[FAIL] runner-tsan::$name (exit $rc)"
    grep -A 30 -m1 'ThreadSanitizer' "$work/$name.err" || tail -n 20 "$work/$name.err"
  else
    echo "[PASS] runner-tsan::$name"
    passed=$((passed + 1))
  fi
}

project "$work/a"
step first "$work/a" "c43: miss, running"
step again "$work/a" "c42: hit, replaying"
project "$work/b"
step checkout "$work/b" "c40: hit (fetched from the remote cache)"
printf '/* changed */\n' >>"$work/a/src/common.h"
step header "$work/a" "c41: miss, running"
echo "[====] Synthesis: Tested: $tested | Passing: $passed | Failing: $((tested - passed)) | Crashing: 0"
((passed == tested))
