#!/usr/bin/env bash
# Makes sure the Debian packages a task needs are installed.  As root it
# installs what is missing with apt-get; otherwise it prints the exact
# apt-get line and fails.
#   scripts/deps.sh [build|demo|test] [extra packages...]   (default: test)
#     build  what `make` needs: a C compiler, CMake, pkg-config, libcrypto
#            (the runner), hiredis (the runner's redis plugin)
#     demo   build + what `make demo` runs: redis-server, python3
#     test   demo + what `make test` needs: clang and its sanitizer
#            runtime (the second compiler, TSan, libFuzzer), Criterion,
#            jansson (the CLI tests parse --json), Graphviz (graph --format
#            svg|png), zsh (the completion), clang-format, valgrind
set -euo pipefail
build=(build-essential cmake pkg-config libssl-dev libhiredis-dev)
demo=("${build[@]}" redis-server python3)
test=("${demo[@]}" clang libclang-rt-14-dev libcriterion-dev libjansson-dev
      graphviz zsh clang-format valgrind)
case ${1:-test} in
  build) want=("${build[@]}"); shift ;;
  demo) want=("${demo[@]}"); shift ;;
  test) want=("${test[@]}"); shift || true ;;
  *) want=("${test[@]}") ;; # extra packages only: on top of the test list
esac
want+=("$@")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
line="apt-get install -y ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "missing packages; run as root:  $line" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
