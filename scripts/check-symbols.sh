#!/usr/bin/env bash
# Fails if the shared library exports a symbol that is not pk_*, or any pk__*.
set -euo pipefail
lib=${1:-build/lib/libplugkit.so}
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^pk_' | grep -v '^_init$\|^_fini$' || true)
bad+=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^pk__' || true)
if [[ -n $bad ]]; then
  echo "check-symbols: $lib exports non-API symbols:"; echo "$bad"; exit 1
fi
echo "check-symbols: $(nm -D --defined-only "$lib" | grep -c ' pk_') pk_ symbols, nothing else"
