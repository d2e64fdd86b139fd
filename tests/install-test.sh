#!/usr/bin/env bash
# install-test.sh [BUILD]: plugkit as a user gets it, in make test.
#   1. `make` with the redis plugin forced off (what a machine without
#      hiredis gets): everything else builds, the summary says so; the s3
#      plugin forced off is said the same way (configured only)
#   2. `make install DESTDIR=... PREFIX=/usr` stages every file where
#      GNUInstallDirs puts it; `make uninstall` removes them all
#   3. `make install PREFIX=TMP` (no root): the libraries export pk_ names
#      only, libplugkit.so has its SONAME
#   4. the installed CLI writes a host and a plugin (`plugkit new`); each
#      builds with its Makefile (pkg-config) and its CMakeLists
#      (find_package); the host runs and sees the plugin ready, both ways
#   5. a runner plugin (`plugkit new plugin --namespace runner --kind env`)
#      built against the installed <runner/plugin.h> runs in the installed
#      runner, beside a command run per module on 2 workers (each command
#      runs under the installed runner-supervise)
#   6. a project using plugkit through add_subdirectory()
# Prints one line per step; exits 1 at the first failure, with its log.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
BUILD=${1:-build/install-test}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
ok() { echo "install-test: ok: $*"; }
fail() {
  echo "install-test: FAILED: $*"
  [[ -s $log ]] && tail -n 40 "$log"
  exit 1
}
run() { "$@" >"$log" 2>&1; }

# 1. make without the redis plugin
# (the defaults otherwise: the unit tests, which need it, are left out,
# saying so)
run make BUILD="$BUILD" CMAKE_FLAGS="-DPK_RUNNER_REDIS=OFF -DPK_BUILD_TESTS=ON -DPK_BUILD_BENCH=ON" ||
  fail "make with -DPK_RUNNER_REDIS=OFF"
grep -q '(redis left out: PK_RUNNER_REDIS=OFF)' "$log" || fail "the summary does not say the redis plugin is left out"
grep -q '^plugkit: the unit tests are not built' "$log" || fail "make does not say the unit tests are left out"
[[ ! -e $BUILD/examples/runner/plugins/redis ]] || fail "plugins/redis exists without the plugin"
grep -q 'plugins cinclude lint toolenv (redis left out: PK_RUNNER_REDIS=OFF) s3$' "$log" ||
  fail "the summary does not list the s3 plugin"
ok "make with the redis plugin forced off builds everything else"
run cmake -S . -B "$tmp/nos3" -DPK_RUNNER_S3=OFF || fail "configuring with -DPK_RUNNER_S3=OFF"
grep -q 'plugins cinclude lint toolenv redis (s3 left out: PK_RUNNER_S3=OFF)$' "$tmp/nos3/summary.txt" ||
  fail "the summary does not say the s3 plugin is left out: $(cat "$tmp/nos3/summary.txt")"
ok "configuring with the s3 plugin forced off says so"

# 2. DESTDIR staging, then uninstall
stage=$tmp/stage
run make BUILD="$BUILD" DESTDIR="$stage" PREFIX=/usr install || fail "make install DESTDIR"
for f in usr/include/plugkit.h usr/include/plugkit/plugin.h usr/include/runner/plugin.h \
         usr/bin/plugkit usr/bin/runner usr/share/man/man1/plugkit.1 \
         usr/share/man/man5/plugkit-manifest.5 usr/share/man/man1/runner.1 \
         usr/share/man/man5/runner.toml.5 usr/share/bash-completion/completions/plugkit \
         usr/share/zsh/site-functions/_plugkit usr/share/doc/plugkit/LICENSE \
         usr/libexec/plugkit/runner/runner usr/libexec/plugkit/runner/runner-supervise \
         usr/libexec/plugkit/runner/runner-host.toml \
         usr/libexec/plugkit/runner/plugins/s3/libs3.so \
         usr/libexec/plugkit/runner/plugins/s3/plugin.toml; do
  [[ -e $stage/$f ]] || fail "make install DESTDIR=... PREFIX=/usr did not install /$f"
done
libdir=$(cd "$stage/usr" && dirname "$(find . -name plugkit.pc)" | sed "s#^\./##")
libdir=${libdir%/pkgconfig}
for f in libplugkit.so libplugkit.so.0 libplugkit.a cmake/plugkit/plugkitConfig.cmake \
         cmake/plugkit/plugkitConfigVersion.cmake; do
  [[ -e $stage/usr/$libdir/$f ]] || fail "no /usr/$libdir/$f"
done
run make BUILD="$BUILD" DESTDIR="$stage" uninstall || fail "make uninstall DESTDIR"
left=$(find "$stage" -type f -o -type l)
[[ -z $left ]] || fail "make uninstall left: $left"
ok "make install DESTDIR=... PREFIX=/usr into /usr/$libdir; make uninstall removes every file"

# 3. a temporary prefix
prefix=$tmp/prefix
run make BUILD="$BUILD" PREFIX="$prefix" install || fail "make install PREFIX=$prefix"
lib=$(dirname "$(find "$prefix" -name libplugkit.so)")
soname=$(readelf -d "$lib/libplugkit.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libplugkit.so.0 ]] || fail "SONAME is '$soname', not libplugkit.so.0"
run scripts/check-symbols.sh "$lib/libplugkit.so" "$lib/libplugkit.a" || fail "check-symbols on the installed libraries"
[[ $("$prefix/bin/plugkit" --version) == "plugkit "* ]] || fail "the installed plugkit"
[[ $("$prefix/bin/runner" --version) == "runner "* ]] || fail "the installed runner"
ok "make install PREFIX=TMP: SONAME $soname, pk_ symbols only, plugkit and runner run"

# 4. a host and a plugin from plugkit new, both ways
export PKG_CONFIG_PATH=$lib/pkgconfig CMAKE_PREFIX_PATH=$prefix PLUGKIT_PATH=
cd "$tmp"
mkdir made cmade
run "$prefix/bin/plugkit" new host demoapp || fail "plugkit new host"
run "$prefix/bin/plugkit" new plugin hello --namespace demoapp --dir made/hello ||
  fail "plugkit new plugin"
run make -C demoapp || fail "the host's Makefile (pkg-config)"
run make -C made/hello || fail "the plugin's Makefile (pkg-config)"
run cmake -S demoapp -B demoapp-cmake || fail "the host's CMakeLists (find_package)"
run cmake --build demoapp-cmake || fail "building the host with CMake"
run cmake -S made/hello -B cmade/hello || fail "the plugin's CMakeLists (find_package)"
run cmake --build cmade/hello || fail "building the plugin with CMake"
want="demoapp:hello 0.1.0: ready"
out=$(./demoapp/demoapp made 2>&1) || fail "the host (make) on the plugin (make): $out"
[[ $out == "$want" ]] || fail "the host (make) printed '$out', not '$want'"
out=$(./demoapp-cmake/demoapp cmade 2>&1) || fail "the host (cmake) on the plugin (cmake): $out"
[[ $out == "$want" ]] || fail "the host (cmake) printed '$out', not '$want'"
ok "plugkit new host + plugin: built with pkg-config and with CMake, the host sees '$want'"
# README's static link: libplugkit.a, no libplugkit.so needed at run time
run cc -o demoapp-static demoapp/demoapp.c $(pkg-config --cflags plugkit) \
  -L"$(pkg-config --variable=libdir plugkit)" -l:libplugkit.a -ldl -lpthread ||
  fail "README's static link"
[[ $(readelf -d demoapp-static) != *libplugkit* ]] || fail "README's static link needs libplugkit.so"
out=$(./demoapp-static made 2>&1) || fail "the static host: $out"
[[ $out == "$want" ]] || fail "the static host printed '$out', not '$want'"
ok "README's static link: libplugkit.a only, the host sees '$want'"

# 5. a runner plugin against the installed <runner/plugin.h>, in the installed runner
mkdir rplugins proj
run "$prefix/bin/plugkit" new plugin venv2 --namespace runner --kind env --tag venv2 \
  --dir rplugins/venv2 || fail "plugkit new plugin --namespace runner"
run make -C rplugins/venv2 || fail "the runner plugin's Makefile"
cat >proj/runner.toml <<'EOF'
[plugins]
v = "runner:venv2"

[envs.dev]
type = "venv2"
text = "pinned"

[commands.hi]
exec = "echo hi from the dev env"
env = "dev"

[spaces.default]
modules = ["m1", "m2"]

[commands.each]
exec = "echo each {module.name}"
deps = ["{module.dir}/*.txt"]
EOF
mkdir proj/m1 proj/m2
out=$(cd proj && PLUGKIT_PATH=$tmp/rplugins "$prefix/bin/runner" -n 2 hi each 2>&1) ||
  fail "the installed runner with the new env type: $out"
[[ $out == *"hi from the dev env"* ]] || fail "the runner printed: $out"
[[ $out == *"each m1"* && $out == *"each m2"* ]] || fail "each#m1 and each#m2 did not run: $out"
ok "a runner env type from plugkit new and a command per module run in the installed runner"

# 6. add_subdirectory
mkdir sub
cat >sub/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.20)
project(sub C)
add_subdirectory("$src" plugkit)
add_executable(subhost "$tmp/demoapp/demoapp.c")
target_link_libraries(subhost PRIVATE plugkit::plugkit)
EOF
run cmake -S sub -B sub/build -DPK_BUILD_CLI=OFF || fail "add_subdirectory(plugkit): configure"
run cmake --build sub/build -j"$(nproc)" || fail "add_subdirectory(plugkit): build"
[[ ! -e sub/build/plugkit/examples ]] || fail "add_subdirectory built the examples"
out=$(sub/build/subhost made 2>&1) || fail "the add_subdirectory host: $out"
[[ $out == "$want" ]] || fail "the add_subdirectory host printed '$out'"
ok "add_subdirectory(plugkit) + plugkit::plugkit: no examples or tests, the host runs"

cd "$src"
run make BUILD="$BUILD" uninstall || fail "make uninstall from PREFIX"
left=$(find "$prefix" -type f -o -type l)
[[ -z $left ]] || fail "make uninstall left: $left"
ok "make uninstall: nothing left in the prefix"
