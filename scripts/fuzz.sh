#!/usr/bin/env bash
# `make fuzz` (and the smoke runs of `make test`): runs every libFuzzer
# target of build/fuzz (or the ones named) for FUZZ_SECONDS (wall-clock)
# each, one after the other, at nice 19.  Seeds: the kept corpus
# fuzz/corpus/<target>/ when it exists (read only), else the valid
# documents of the toml-test suite.  New inputs are written to
# FUZZ_CORPUS/<target> (default build/fuzz-corpus, outside the repository's
# tracked files, so that a later run goes on from there); findings to
# build/fuzz-findings/.  docs/fuzzing.md lists the targets.
#
# Prints one line per target, "fuzz NAME: ok (N runs, cov: C, ft: F, cpu:
# S s)" (S: the user + system CPU seconds the fuzzer used, which on a busy
# machine is less than FUZZ_SECONDS) or "fuzz NAME: FAILED (log: ...)" and
# the log's tail; exits 1 when any failed.  Builds build/fuzz first unless
# --no-build is given.
#
# Environment: FUZZ_SECONDS (default 600), FUZZ_CORPUS, TOML_TEST_DIR
# (default ../shared/toml-test).
set -uo pipefail
cd "$(dirname "$0")/.."

build=1
if [[ ${1:-} == --no-build ]]; then build=0; shift; fi
OUT=$PWD/build/test-logs
CORPUS=${FUZZ_CORPUS:-$PWD/build/fuzz-corpus}
FINDINGS=$PWD/build/fuzz-findings
TT=${TOML_TEST_DIR:-../shared/toml-test}
mkdir -p "$OUT" "$CORPUS" "$FINDINGS"

if ((build)); then
  if ! { cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang \
           -DCMAKE_BUILD_TYPE=Debug -DPK_FUZZ=ON -DPK_WERROR=ON &&
         cmake --build build/fuzz -j"$(nproc)"; } >"$OUT/fuzz-build.log" 2>&1; then
    echo "fuzz build: FAILED (log: $OUT/fuzz-build.log)"
    tail -n 30 "$OUT/fuzz-build.log"
    exit 1
  fi
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in build/fuzz/fuzz/fuzz_*; do [[ -x $f ]] && targets+=("$(basename "$f")"); done
fi

status=0
for name in "${targets[@]}"; do
  bin=build/fuzz/fuzz/$name
  mkdir -p "$CORPUS/$name"
  seeds=()
  if [[ -d fuzz/corpus/$name ]]; then
    seeds=("fuzz/corpus/$name")
  elif [[ -d $TT/valid ]] && [[ -z $(ls -A "$CORPUS/$name") ]]; then
    find "$TT/valid" -name '*.toml' -exec cp {} "$CORPUS/$name/" \; 2>/dev/null
  fi
  log=$OUT/$name.log
  # the first corpus directory receives the new inputs; bash's time (user
  # and system seconds) goes to $log.cpu
  TIMEFORMAT='%U %S'
  if { time nice -n 19 "$bin" -max_total_time="${FUZZ_SECONDS:-600}" \
         -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="$FINDINGS/$name-" "$CORPUS/$name" "${seeds[@]}" \
         >"$log" 2>&1; } 2>"$log.cpu"; then
    runs=$(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$log.cpu")
    echo "fuzz $name: ok ($runs runs, ${cov:-no coverage line}, cpu: $cpu s)"
  else
    echo "fuzz $name: FAILED (log: $log)"
    tail -n 30 "$log"
    status=1
  fi
done
exit $status
