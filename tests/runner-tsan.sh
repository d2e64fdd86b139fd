#!/usr/bin/env bash
# runner-tsan.sh BUILD -- the parallel runner under ThreadSanitizer (issue
# 16 point 1): the runner and its plugins from BUILD (configured with
# -DPK_TSAN=ON) on a project of many commands using every plugin type at
# once -- a redis cache (a redis-server of its own on a free port), the
# cinclude dep, a toolenv env (a space's, inline, and a named one), the
# lint commands -- and commands per module, with 8 workers: a first run
# (every runnable a miss), a second (every one a hit), a second checkout
# (fetched from Redis), a header changed (some run again).  Then (issue
# 17) with 4 workers: the same project in a git repository, a file changed
# and --since HEAD; commands on the repo cache and on an s3 cache (s3rver
# on a free port, when scripts/s3rver.sh installed it); the cinclude
# plugin's in-process runnables (graph#MODULE) on the workers; --watch
# seeing an edit and ended by SIGINT.  Any ThreadSanitizer report fails
# it.  Prints one "Synthesis" line, as the other stress programs of
# scripts/test.sh do.
set -uo pipefail
BUILD=$(cd "${1:?usage: runner-tsan.sh BUILD}" && pwd)
RUNNER=$BUILD/examples/runner/runner
work=$(mktemp -d)
. "$(dirname "$0")/../scripts/redis.sh"
s3_pid=
cleanup() {
  redis_down
  [[ -n $s3_pid ]] && kill "$s3_pid" 2>/dev/null && wait "$s3_pid" 2>/dev/null
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
redis_up "$work"

project() { # project DIR: 48 commands over every plugin type, 3 modules
  local d=$1 i
  mkdir -p "$d/src" "$d/libs/a" "$d/libs/b" "$d/libs/c"
  {
    printf '[plugins]\nlint = "runner:lint"\ncinclude = "runner:cinclude"\n'
    printf 'tools = "runner:toolenv"\n'
    [[ -n ${s3_port:-} ]] && printf 's3 = "runner:s3"\n'
    printf '\n[plugins.remote]\n'
    printf 'plugin = "runner:redis"\nurl = "redis://127.0.0.1:%s"\n' "$port"
    printf 'prefix = "tsan"\n\n[caches.shared]\ntype = "redis"\n\n'
    printf '[envs.dev]\ntype = "toolenv"\nsetup = "echo 1 > $TOOLENV_DIR/lock"\n'
    printf 'vars = ["X=1"]\n\n'
    printf '[spaces.default]\nmodules = ["libs/a", "libs/b", "libs/c"]\n'
    printf 'env = { type = "toolenv", setup = "echo 2 > $TOOLENV_DIR/lock" }\n\n'
    printf '[commands.graphed]\nexec = "wc -l < .runner/cinclude/graph/{module.name}.lock"\n'
    printf 'deps = [{ type = "command", name = "cinclude/graph", strict = true }]\n\n'
    printf '[commands.kept]\nexec = "echo kept"\ndeps = ["src/f1.c"]\ncache = "repo"\n\n'
    if [[ -n ${s3_port:-} ]]; then
      printf '[caches.bucket]\ntype = "s3"\nbucket = "cache"\nprefix = "tsan"\n'
      printf 'endpoint = "http://127.0.0.1:%s"\naccess-key-id = "S3RVER"\n' "$s3_port"
      printf 'secret-access-key = "S3RVER"\n\n'
      printf '[commands.up]\nexec = "cat src/f2.c"\ndeps = ["src/f2.c"]\ncache = "bucket"\n\n'
    fi
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
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
verdict() { # verdict NAME RC WANT: [PASS] or [FAIL] for $work/NAME.err
  local name=$1 rc=$2 want=$3
  tested=$((tested + 1))
  if ((rc != 0)) || grep -q 'ThreadSanitizer' "$work/$name.err" ||
     ! grep -q -- "$want" "$work/$name.err"; then
    echo "[FAIL] runner-tsan::$name (exit $rc)"
    grep -A 30 -m1 'ThreadSanitizer' "$work/$name.err" || tail -n 20 "$work/$name.err"
  else
    echo "[PASS] runner-tsan::$name"
    passed=$((passed + 1))
  fi
}
step() { # step NAME DIR WANT_IN_STDERR ARGS...: one run under TSan, -n N
  local name=$1 dir=$2 want=$3; shift 3
  (cd "$dir" && "$RUNNER" -n "${N:-8}" "$@" >"$work/$name.out" \
     2>"$work/$name.err")
  verdict "$name" $? "$want"
}

# an S3 server when s3rver is installed (scripts/s3rver.sh)
S3RVER=${S3RVER:-$(dirname "$0")/../build/s3rver/node_modules/.bin/s3rver}
s3_port=
if [[ -x $S3RVER ]]; then
  s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$work/s3"
  "$S3RVER" -d "$work/s3" -a 127.0.0.1 -p "$s3_port" --silent \
    --configure-bucket cache >"$work/s3.log" 2>&1 &
  s3_pid=$!
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
    sleep 0.05
  done
else
  echo "runner-tsan: s3rver is not installed (scripts/s3rver.sh): the s3 cache is left out"
fi

project "$work/a"
step first "$work/a" "c43: miss, running"
step again "$work/a" "c42: hit, replaying"
project "$work/b"
step checkout "$work/b" "c40: hit (fetched from the remote cache)"
printf '/* changed */\n' >>"$work/a/src/common.h"
step header "$work/a" "c41: miss, running"

# issue 17, with 4 workers
N=4
git() { command git -c user.name=t -c user.email=t@t "$@"; }
(cd "$work/a" && printf '.runner/\nout/\n' >.gitignore && git init -q &&
   git add -A && git commit -qm base)
printf '/* since */\n' >>"$work/a/src/f7.c"
step since "$work/a" "runnables selected" --since HEAD
project "$work/d" # new: nothing ran there yet
step inproc "$work/d" "cinclude/graph#b: miss, running" graphed
if [[ -n $s3_port ]]; then
  printf '/* d */\n' >>"$work/d/src/f2.c" # a hash the bucket has not seen
  step s3-store "$work/d" "up: miss, running" up kept
  project "$work/e"
  printf '/* d */\n' >>"$work/e/src/f2.c"
  step s3-fetch "$work/e" "up: hit (fetched from the remote cache)" up
fi
(cd "$work/a" && exec "$RUNNER" -n 4 --watch c3 >"$work/watch.out" \
   2>"$work/watch.err") &
wpid=$!
for _ in $(seq 600); do grep -q 'runner: watching' "$work/watch.err" && break; sleep 0.05; done
printf '/* watched */\n' >>"$work/a/src/f3.c"
for _ in $(seq 600); do grep -q 'c3: miss' "$work/watch.err" && break; sleep 0.05; done
for _ in $(seq 600); do grep -q 'runner: watching' <(sed -n '/watch: src/,$p' "$work/watch.err") && break; sleep 0.05; done
kill -INT "$wpid"
wait "$wpid"
wrc=$?
verdict watch $((wrc == 130 ? 0 : wrc)) "watch: src/f3.c changed"
echo "[====] Synthesis: Tested: $tested | Passing: $passed | Failing: $((tested - passed)) | Crashing: 0"
((passed == tested))
