#!/usr/bin/env bash
# `make demo`: the project's main job, end to end.  Until the example
# command runner exists, it builds plugkit, runs the minimal host with its
# plugins, shows what the CLI says about them, and decodes the runner's
# example configuration with `plugkit toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make >/dev/null
B=build
step() { printf '\n== %s\n' "$*"; }

step "a host registers hello:greeter (it requires the data-only hello:names)"
"$B/examples/hello/hello-host" "$B/examples/hello/plugins" hello:greeter

step "plugkit order: the dependency layers, one per line"
"$B/bin/plugkit" order --path "$B/examples/hello/plugins" hello:greeter

step "plugkit list"
"$B/bin/plugkit" list --path "$B/examples/hello/plugins"

step "a missing requirement is explained (file:line:col, who, what to do)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/broken"
printf 'name = "broken"\nnamespace = "hello"\nversion = "1.0.0"\nrequires = ["nmes"]\n' \
  > "$tmp/broken/plugin.toml"
cp -r "$B/examples/hello/plugins/names" "$tmp/"
"$B/bin/plugkit" order --path "$tmp" hello:broken || true

step "plugkit toml examples/runner/runner.toml (tagged JSON)"
"$B/bin/plugkit" toml examples/runner/runner.toml
