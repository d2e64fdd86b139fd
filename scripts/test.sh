#!/usr/bin/env bash
# `make test`: install what is missing, build under gcc and clang with
# -Werror and ASan+UBSan, run the unit tests under both, the TOML
# conformance suite (1.0.0 and 1.1.0), the symbol and layer checks, the
# check of the generated float table and a short smoke run of every fuzz
# target (scripts/fuzz.sh).  Ends with one line "N passed, N failed".
#
# The runner's S3 tests need s3rver from the npm registry (scripts/s3rver.sh
# installs it into build/s3rver); without it they skip, saying so.
#
# Environment: TOML_TEST_DIR (default ../shared/toml-test), FUZZ_SECONDS
# (default 30), PK_COMPILERS (default "gcc clang").  Also: the install
# test (tests/install-test.sh), the man pages against their sources (a unit
# test).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1
scripts/s3rver.sh # the S3 tests' server (from npm); they skip without it

# Plugin directories and files that others can write are refused
# (docs/security.md): every tree this run makes is owner-writable only.
umask 022
JOBS=$(nproc)
OUT=$PWD/build/test-logs
mkdir -p "$OUT"
passed=0 failed=0
say() { printf '%s\n' "$*"; }
count() { passed=$((passed + $1)); failed=$((failed + $2)); }

# intercept_tls_get_addr=0: the sanitizer runtimes of GCC <= 13 and LLVM
# <= 16 take a dynamic TLS block for glibc 2.19's when its address falls at
# a given offset in its page (a matter of layout), and LeakSanitizer's
# tracer then dies scanning garbage at exit ("Tracer caught signal 11"):
# seen with the s3 plugin's libcurl in runner::s3_remote_hit_* on gcc 12
# and clang alike.  Dynamic TLS blocks are then not scanned as roots.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:intercept_tls_get_addr=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# A leak report fails the run unless every frame above the allocator is
# Criterion's own (stripped: no " in FUNCTION"), the one block its runner
# keeps at exit.  An LSan suppression cannot say that: "leak:libcriterion"
# matches any stack that passes through Criterion, i.e. every test.
our_leaks() { # our_leaks LOG: prints how many leak reports involve our code
  awk '/^(Direct|Indirect) leak of/ { if (inblk && ours) n++; inblk = 1; ours = 0; next }
       inblk && /^ *#[1-9][0-9]* .* in / { ours = 1 }
       inblk && /^$/ { if (ours) n++; inblk = 0; ours = 0 }
       END { if (inblk && ours) n++; print n + 0 }' "$1"
}

build() { # build DIR CC CMAKE_ARGS...
  local dir=$1 cc=$2; shift 2
  if cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
       "$@" >"$OUT/$(basename "$dir").log" 2>&1 &&
     cmake --build "$dir" -j"$JOBS" >>"$OUT/$(basename "$dir").log" 2>&1; then
    say "build $dir: ok"; count 1 0; return 0
  fi
  say "build $dir: FAILED (log: $OUT/$(basename "$dir").log)"
  tail -n 30 "$OUT/$(basename "$dir").log"
  count 0 1; return 1
}

unit() { # unit DIR
  local log="$OUT/unit-$(basename "$1").log"
  (cd "$1/tests" && ../bin/pk_tests --jobs "$JOBS" >"$log" 2>&1)
  local rc=$? syn
  syn=$(grep 'Synthesis:' "$log" | tail -1)
  local t p
  t=$(sed -n 's/.*Tested: \([0-9]*\).*/\1/p' <<<"$syn")
  p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")
  if [[ -z $t ]]; then
    say "unit tests in $1: no synthesis (exit $rc)"; tail -n 40 "$log"; count 0 1; return
  fi
  grep -E '^\[(----|FAIL)\]|ERROR: (Address|Leak|Undefined)|runtime error' "$log" | head -n 40
  say "unit tests in $1: $syn"
  count "$p" $((t - p))
  local leaks; leaks=$(our_leaks "$log")
  if ((leaks > 0)); then
    say "  but LeakSanitizer reports $leaks leak(s) (log: $log)"; count 0 1
  fi
  # LeakSanitizer also sets the exit code for Criterion's own block: only
  # another cause of a non-zero exit counts
  if ((rc != 0 && t == p)) &&
     ! { ((leaks == 0)) && grep -q 'ERROR: LeakSanitizer' "$log" &&
         ! grep -qE 'ERROR: AddressSanitizer|runtime error' "$log"; }; then
    say "  but pk_tests exited $rc"; count 0 1
  fi
}

compilers=${PK_COMPILERS:-gcc clang}
for cc in $compilers; do
  dir=build/test-$cc
  build "$dir" "$cc" -DPK_SANITIZE=ON -DPK_WERROR=ON && unit "$dir"
done
first=build/test-${compilers%% *}

# ThreadSanitizer: the thread-stress programs (16 threads calling hooks;
# 16 threads creating instances and waking a lazy plugin; discovery's
# loader threads) and the runner's 8 workers on a project using every
# plugin type (tests/runner-tsan.sh), clang only.
if build build/tsan clang -DPK_TSAN=ON -DPK_WERROR=ON; then
  for prog in pk_hooks_stress pk_types_stress pk_discover_stress runner-tsan; do
    log=$OUT/tsan-$prog.log
    cmd=(build/tsan/bin/$prog)
    [[ $prog == runner-tsan ]] && cmd=(tests/runner-tsan.sh build/tsan)
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
      "${cmd[@]}" >"$log" 2>&1
    rc=$?
    syn=$(grep 'Synthesis:' "$log" | tail -1)
    t=$(sed -n 's/.*Tested: \([0-9]*\).*/\1/p' <<<"$syn")
    p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")
    if [[ -z $t ]] || ((rc != 0)) || grep -q 'WARNING: ThreadSanitizer' "$log"; then
      say "tsan $prog: FAILED (exit $rc, log: $log)"; grep -A 30 -m1 'WARNING: ThreadSanitizer\|FAIL\|check failed' "$log" | head -n 40
      count "${p:-0}" $(( ${t:-1} - ${p:-0} > 0 ? ${t:-1} - ${p:-0} : 1 ))
    else
      grep '^\[FAIL\]' "$log"
      say "tsan $prog: $syn"
      count "$p" $((t - p))
    fi
  done
fi

# As a user gets it (tests/install-test.sh): make with the redis plugin
# forced off (a tree without hiredis builds), make install into a
# temporary prefix and under DESTDIR, make uninstall, a host and a plugin
# from plugkit new built with pkg-config and with CMake, a runner plugin in
# the installed runner, add_subdirectory.
tests/install-test.sh build/install-test >"$OUT/install-test.log" 2>&1
rc=$?
while IFS= read -r line; do
  say "$line"
  case $line in
    "install-test: ok: "*) count 1 0 ;;
    "install-test: FAILED: "*) count 0 1 ;;
  esac
done <"$OUT/install-test.log"
if ((rc != 0)) && ! grep -q '^install-test: FAILED' "$OUT/install-test.log"; then
  say "install-test: FAILED (exit $rc, log: $OUT/install-test.log)"; count 0 1
fi

# Public symbols of the shared and static libraries: only pk_ names.
if scripts/check-symbols.sh "$first/lib/libplugkit.so"; then count 1 0; else count 0 1; fi

# The core's layers: calls go down src/LAYERS, no circle between files.
if scripts/check-layers.sh "$first/src/CMakeFiles/plugkit_obj.dir"; then
  count 1 0
else
  count 0 1
fi

# Generated sources are what their generators write.
if python3 tools/gen-pow10.py | cmp -s - src/toml/toml_pow10.h; then
  count 1 0
else
  say "src/toml/toml_pow10.h differs from tools/gen-pow10.py's output: run"
  say "  tools/gen-pow10.py > src/toml/toml_pow10.h"; count 0 1
fi

# TOML conformance.
TT=${TOML_TEST_DIR:-../shared/toml-test}
if [[ -x $TT/run-toml-test ]]; then
  for v in 1.0.0 1.1.0; do
    "$TT/run-toml-test" --dir "$TT" --version "$v" \
      --decoder "$first/bin/plugkit toml --toml-version $v" >"$OUT/toml-$v.log" 2>&1
    grep -E '^FAIL' "$OUT/toml-$v.log" | head -n 20
    line=$(tail -n 1 "$OUT/toml-$v.log")
    say "conformance $line"
    p=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\1/p' <<<"$line")
    f=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\2/p' <<<"$line")
    if [[ -n $p ]]; then count "$p" "$f"; else count 0 1; fi
  done
else
  say "conformance: SKIPPED (no toml-test suite at $TT; set TOML_TEST_DIR)"
fi

# Fuzz smoke runs (clang + libFuzzer): scripts/fuzz.sh with FUZZ_SECONDS
# (default 30) per target, seeded from fuzz/corpus/<target>/ (else the
# toml-test documents), new inputs kept in a temporary directory.
if build build/fuzz clang -DPK_FUZZ=ON -DPK_WERROR=ON; then
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
  while IFS= read -r line; do
    say "$line"
    case $line in
      "fuzz "*": ok "*) count 1 0 ;;
      "fuzz "*": FAILED "*) count 0 1 ;;
    esac
  done < <(FUZZ_SECONDS=${FUZZ_SECONDS:-30} FUZZ_CORPUS=$corpus \
             TOML_TEST_DIR=$TT scripts/fuzz.sh --no-build)
fi

say "$passed passed, $failed failed"
((failed == 0))
