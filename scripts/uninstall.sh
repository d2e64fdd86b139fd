#!/usr/bin/env bash
# `make uninstall`: removes every file `make install` recorded in the
# install manifest (CMake writes the paths without DESTDIR: give the same
# DESTDIR again), then the directories plugkit owns once they are empty.
#   usage: scripts/uninstall.sh MANIFEST [DESTDIR]
set -euo pipefail
manifest=${1:-build/install_manifest.txt}
destdir=${2:-}
if [[ ! -f $manifest ]]; then
  echo "uninstall: no $manifest: nothing was installed from this build (run make install first)" >&2
  exit 1
fi
n=0
while IFS= read -r f || [[ -n $f ]]; do # (no newline after the last)
  [[ -n $f ]] || continue
  f=$destdir$f
  if [[ -e $f || -L $f ]]; then rm -f -- "$f"; n=$((n + 1)); fi
done <"$manifest"
# the directories only plugkit puts files in, once empty
sed -n 's#^\(.*/\(include/plugkit\|include/runner\|cmake/plugkit\|doc/plugkit\|libexec/plugkit\)\)/.*#\1#p' \
  "$manifest" | sort -u | while IFS= read -r d; do
  d=$destdir$d
  if [[ -d $d ]]; then find "$d" -depth -type d -empty -delete; fi
done
echo "plugkit: removed $n files listed in $manifest${destdir:+ from $destdir}"
