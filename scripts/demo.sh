#!/usr/bin/env bash
# `make demo`: the project's main job.  The example runner (examples/runner)
# with its four plugins on a copy of examples/runner/demo, against a Redis
# server of its own on a free loopback port: miss, hit, a remote hit in a
# second checkout, a miss after an included header changes, --since in a
# git repository, a tool environment, a command run per module with others
# at once on 4 workers, Redis going away, a config error.  Exits 0.  Step
# titles are bold on a terminal unless NO_COLOR is set.  (The s3 cache
# plugin works as the redis one does; tests/test_runner_s3.c runs it
# against an S3 server.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
make >/dev/null
RUNNER=$PWD/build/examples/runner/runner
tmp=$(mktemp -d)
. scripts/redis.sh
cleanup() {
  redis_down || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# bold step titles only on a terminal, and not when NO_COLOR is set
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi
say() { printf '   %s\n' "$*"; }
run() { # run DIR ARGS...: shows the command line, then what the runner says
  local dir=$1; shift
  printf '$ runner %s    (in %s)\n' "$*" "$(basename "$dir")"
  (cd "$dir" && "$RUNNER" "$@") 2>&1 | sed 's/^/   /'
  return "${PIPESTATUS[0]}"
}

redis_up "$tmp"
export REDIS_PORT=$port   # {ctx.redis_port} in runner.toml
cp -r examples/runner/demo "$tmp/checkout-a"
cp -r examples/runner/demo "$tmp/checkout-b"
(cd "$tmp/checkout-a" && printf '.runner/\nout/\n' >.gitignore &&
   git init -q && git add -A &&
   git -c user.name=demo -c user.email=demo@localhost commit -qm demo)

step "Redis is up on 127.0.0.1:$port; two checkouts of the demo project"
say "runner.toml declares four plugins: lint (commands), cinclude (a dep"
say "type), toolenv (an env type) and redis (a cache type, loaded lazily)"

step "the commands: check runs per module; cinclude/scan and lint/todo-count are hidden"
run "$tmp/checkout-a" --ls

step "first build: a miss, so it runs (the hidden cinclude/scan runs first)"
run "$tmp/checkout-a" build

step "same build again: a hit, the output is replayed, nothing runs"
run "$tmp/checkout-a" build

step "link needs build: build hits, link runs"
run "$tmp/checkout-a" link

step "a second checkout, same Redis: both fetched from the remote cache"
run "$tmp/checkout-b" link
say "out/app restored without compiling: $("$tmp/checkout-b/out/app")"

step "edit src/unused.h (nobody includes it): still a hit"
echo '/* edited */' >>"$tmp/checkout-a/src/unused.h"
run "$tmp/checkout-a" build

step "edit src/version.h (included through util.h): the cinclude hash changes"
echo '#undef APP_VERSION
#define APP_VERSION "2.0"' >>"$tmp/checkout-a/src/version.h"
run "$tmp/checkout-a" link
say "out/app now says: $("$tmp/checkout-a/out/app")"

step "--since HEAD: what the two uncommitted header edits select, nothing else"
run "$tmp/checkout-a" --since HEAD

step "an env from a plugin: its setup runs first, its PATH and variables apply"
run "$tmp/checkout-a" greet

step "check per module and lint/check at once on 4 workers: each output whole"
start=$(date +%s%N)
run "$tmp/checkout-a" -n 4 check lint/check
say "3 runnables, the checks 0.5 s each: $(( ($(date +%s%N) - start) / 1000000 )) ms in all"

step "Redis goes away: a warning, the local cache keeps working"
redis_down || true
echo '/* again */' >>"$tmp/checkout-a/src/main.c"
run "$tmp/checkout-a" build
run "$tmp/checkout-a" build

step "the plugkit CLI checks the same file with the runner's description"
printf '$ plugkit config check --host runner-host.toml runner.toml\n'
build/bin/plugkit config check --host build/examples/runner/runner-host.toml \
  --path build/examples/runner/plugins "$tmp/checkout-a/runner.toml" 2>&1 |
  sed 's/^/   /'

step "a config error names the file, line and column"
sed -i 's/^type = "redis"/type = "reddis"/' "$tmp/checkout-a/runner.toml"
run "$tmp/checkout-a" --ls || say "(exit $?: nothing ran)"

say "(the s3 cache plugin is the same against any S3-compatible server:"
say " tests/test_runner_s3.c runs it against s3rver)"

step "done: Redis stopped, temporary projects removed"
