#!/usr/bin/env bash
# `make demo`: the project's main job.  The example runner (examples/runner)
# with its four plugins on a copy of examples/runner/demo, against a Redis
# server of its own on a free loopback port: miss, hit, a remote hit in a
# second checkout, a miss after an included header changes, a tool
# environment, Redis going away, a config error.  Exits 0.  Step titles
# are bold on a terminal unless NO_COLOR is set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
make >/dev/null
RUNNER=$PWD/build/examples/runner/runner
tmp=$(mktemp -d)
redis_pid=
cleanup() {
  [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
  >"$tmp/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
export REDIS_PORT=$port   # {ctx.redis_port} in runner.toml
cp -r examples/runner/demo "$tmp/checkout-a"
cp -r examples/runner/demo "$tmp/checkout-b"

step "Redis is up on 127.0.0.1:$port; two checkouts of the demo project"
say "runner.toml declares four plugins: lint (commands), cinclude (a dep"
say "type), toolenv (an env type) and redis (a cache type, loaded lazily)"

step "the commands: cinclude/scan and lint/todo-count are hidden"
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

step "an env from a plugin: its setup runs first, its PATH and variables apply"
run "$tmp/checkout-a" greet

step "Redis goes away: a warning, the local cache keeps working"
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=
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

step "done: Redis stopped, temporary projects removed"
