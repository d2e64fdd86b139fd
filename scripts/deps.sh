#!/usr/bin/env bash
# Makes sure the Debian packages the build and the tests need are installed.
# As root it installs what is missing with apt-get; otherwise it prints the
# exact apt-get line and fails.   usage: scripts/deps.sh [extra packages...]
set -euo pipefail
# nettle-dev and libxxhash-dev: the runner's hashing; libssl-dev: the
# tests and the fuzz target check the runner's tags against libcrypto;
# ninja-build: bench/runner-graph's anchor; clang-format: make format;
# valgrind: bench/callgrind-keylines; libcurl4-openssl-dev: the runner's s3
# cache (SigV4 signing needs libcurl >= 7.75); git: --since and the repo
# cache (and their tests).
want=(build-essential cmake clang clang-format libclang-rt-14-dev
      libcriterion-dev python3 pkg-config redis-server libhiredis-dev
      libssl-dev nettle-dev libxxhash-dev ninja-build valgrind
      libcurl4-openssl-dev git "$@")
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
