# Thin wrapper over CMake.
#   make                 a release build in build/ on every CPU; prints a
#                        summary (the full log is build/build.log)
#   make install         into PREFIX (default /usr/local), under DESTDIR
#                        if set; make uninstall removes what it installed
#   make test            every check (scripts/test.sh)
#   make demo            the main job (scripts/demo.sh)
#   make bench           every benchmark beside its peers (../shared/bench)
#   make fuzz            every fuzz target for FUZZ_SECONDS each (default
#                        600; scripts/fuzz.sh, docs/fuzzing.md)
#   make man             the man pages in man/ again, from the --help texts
#                        and the docs (scripts/man.py)
# CMAKE_FLAGS passes options (e.g. -DPK_RUNNER_REDIS=OFF, see
# CMakeLists.txt); JOBS the parallelism.  The build runs under umask 022:
# hosts refuse plugin files that others can write (docs/security.md), the
# runner's plugins in build/ included.
BUILD ?= build
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all install uninstall test demo bench fuzz man clean format \
        format-all check-symbols check-layers

all:
	@mkdir -p $(BUILD)
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) \
	    >$(BUILD)/configure.log 2>&1 || \
	  { cat $(BUILD)/configure.log; echo "make: configuring failed (log: $(BUILD)/configure.log)"; exit 1; }
	@sed -n 's/^-- plugkit: /plugkit: /p' $(BUILD)/configure.log
	@echo "plugkit: building in $(BUILD)/ with $(JOBS) jobs (log: $(BUILD)/build.log)"
	@umask 022 && cmake --build $(BUILD) -j$(JOBS) >$(BUILD)/build.log 2>&1 || \
	  { grep -E -B2 -A12 'error|Error' $(BUILD)/build.log | tail -n 60; \
	    echo "make: the build failed (log: $(BUILD)/build.log)"; exit 1; }
	@cat $(BUILD)/summary.txt

install: all
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)" \
	    >$(BUILD)/install.log 2>&1 || \
	  { cat $(BUILD)/install.log; echo "make: install failed"; exit 1; }
	@echo "plugkit: installed $$(wc -l <$(BUILD)/install_manifest.txt) files into $(DESTDIR)$(PREFIX) (list: $(BUILD)/install_manifest.txt)"

uninstall:
	@scripts/uninstall.sh $(BUILD)/install_manifest.txt "$(DESTDIR)"

test:
	@scripts/test.sh

demo:
	@scripts/demo.sh

fuzz:
	@scripts/fuzz.sh

man: all
	@scripts/man.py --write $(BUILD)

bench: all
	@bench/toml-parse && bench/plugins-bench && bench/hook-dispatch && bench/config-bench && bench/runner-bench

check-symbols: all
	@scripts/check-symbols.sh $(BUILD)/lib/libplugkit.so

check-layers:
	@scripts/check-layers.sh

# The C sources by .clang-format: the lines changed since HEAD (staged or
# not), or (format-all) every line.
FORMAT_FILES = include/*.h include/plugkit/*.h src/*.c src/*.h src/toml/*.[ch] \
               tools/plugkit/*.[ch] tests/*.[ch] bench/*.[ch] fuzz/*.[ch] \
               examples/hello/*.c examples/runner/*.[ch]
format:
	@git clang-format --style=file --force HEAD -- $(wildcard $(FORMAT_FILES)) || true

format-all:
	@clang-format -i --style=file $(wildcard $(FORMAT_FILES))

clean:
	rm -rf $(BUILD)
