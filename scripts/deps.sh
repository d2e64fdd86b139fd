#!/usr/bin/env bash
# Makes sure the Debian packages a task needs are installed.  As root it
# installs what is missing with apt-get; otherwise it prints the exact
# apt-get line and fails.
#   scripts/deps.sh [build|demo|bench|test|all] [extra packages...]
#     build  what `make` needs: a C compiler, CMake, pkg-config, nettle
#            and xxhash (the runner's hashing), hiredis (the runner's
#            redis plugin), libcurl >= 7.75 (the runner's s3 plugin
#            signs with SigV4)
#     demo   build + what `make demo` runs: redis-server, python3, git
#            (the demo's --since step)
#     bench  build + what the benchmarks run beside plugkit: python3,
#            ninja (bench/runner-graph's anchor), valgrind
#            (bench/callgrind-keylines), git (runner-graph's --since)
#     test   demo + what `make test` needs: clang and its sanitizer
#            runtime (the second compiler, TSan, libFuzzer), Criterion,
#            jansson (the CLI tests parse --json), libcrypto (the runner
#            tests and the fuzz target check the runner's tags against
#            it), Graphviz (graph --format svg|png), zsh (the completion),
#            clang-format (make format), curl (the S3 tests read the
#            server's objects), npm (scripts/s3rver.sh installs the S3
#            tests' server)
#     all    test + bench (the default; extra packages alone go on top)
set -euo pipefail
build=(build-essential cmake pkg-config nettle-dev libxxhash-dev libhiredis-dev
       libcurl4-openssl-dev)
demo=("${build[@]}" redis-server python3 git)
bench=("${build[@]}" python3 ninja-build valgrind git)
test=("${demo[@]}" clang libclang-rt-14-dev libcriterion-dev libjansson-dev
      libssl-dev graphviz zsh clang-format curl)
# npm installs s3rver (scripts/s3rver.sh); a Node.js that ships its own npm
# (NodeSource's nodejs) needs no Debian npm
command -v npm >/dev/null || test+=(npm)
case ${1:-} in
  build) want=("${build[@]}"); shift ;;
  demo) want=("${demo[@]}"); shift ;;
  bench) want=("${bench[@]}"); shift ;;
  test) want=("${test[@]}"); shift ;;
  all) want=("${test[@]}" "${bench[@]}"); shift ;;
  *) want=("${test[@]}" "${bench[@]}") ;; # none or extra packages: all
esac
want+=("$@")
mapfile -t want < <(printf '%s\n' "${want[@]}" | awk '!seen[$0]++')
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
