#!/usr/bin/env bash
# s3rver.sh [DIR] -- installs s3rver, an S3-compatible server for tests
# (the npm registry's, pinned: 3.7.1 runs on Node 20), into DIR (default
# build/s3rver) unless it is there.  The runner's S3 tests start it on a
# free loopback port (tests/runner_util.h: s3_start) and skip, saying so,
# when it is not installed.  Without npm, or when the install fails, it
# says so and exits 0: only those tests are skipped.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/build/s3rver}
VERSION=3.7.1
pkg=$DIR/node_modules/s3rver/package.json
if [[ -x $DIR/node_modules/.bin/s3rver ]] &&
   grep -q "\"version\": \"$VERSION\"" "$pkg" 2>/dev/null; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "s3rver.sh: npm not found: the S3 tests will be skipped (install" \
       "Node.js 20 and npm, then run scripts/s3rver.sh)" >&2
  exit 0
fi
mkdir -p "$DIR"
if ! npm install --prefix "$DIR" --no-audit --no-fund --no-save --silent \
       "s3rver@$VERSION" >"$DIR/npm.log" 2>&1; then
  echo "s3rver.sh: npm install s3rver@$VERSION failed (log: $DIR/npm.log):" \
       "the S3 tests will be skipped" >&2
fi
exit 0
