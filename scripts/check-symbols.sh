#!/usr/bin/env bash
# check-symbols [LIB.so [LIB.a]]: the libraries export the public API and
# nothing else.  The shared library's dynamic symbols and the static
# archive's global symbols must all be pk_ names, never pk__ ones (the
# archive is one object whose internal symbols are local: see
# src/CMakeLists.txt); both must export the same names.
set -euo pipefail
so=${1:-build/lib/libplugkit.so}
ar=${2:-${so%.so}.a}
fail=0
check() { # check WHAT NAMES...
  local what=$1 bad; shift
  bad=$(printf '%s\n' "$@" | grep -v '^pk_' | grep -v '^_init$\|^_fini$' || true)
  bad+=$(printf '%s\n' "$@" | grep '^pk__' || true)
  if [[ -n $bad ]]; then
    echo "check-symbols: $what exports non-API symbols:"; echo "$bad"; fail=1
  fi
}
mapfile -t dyn < <(nm -D --defined-only "$so" | awk '{print $3}' | sort)
check "$so" "${dyn[@]}"
mapfile -t sta < <(nm -g --defined-only "$ar" | awk 'NF == 3 {print $3}' | sort)
check "$ar" "${sta[@]}"
differ=$(diff <(printf '%s\n' "${dyn[@]}" | grep '^pk_') \
              <(printf '%s\n' "${sta[@]}") || true)
if [[ -n $differ ]]; then
  echo "check-symbols: $so and $ar export different names:"; echo "$differ"
  fail=1
fi
((fail == 0)) || exit 1
echo "check-symbols: ${#sta[@]} pk_ symbols in $so and $ar, nothing else"
