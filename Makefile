# Thin wrapper over CMake.  `make` builds release into build/, `make test`
# runs every check (see scripts/test.sh), `make demo` runs the main job,
# `make bench` runs every benchmark beside its peers (../shared/bench),
# `make fuzz` runs every fuzz target for FUZZ_SECONDS (default 600; see
# scripts/fuzz.sh).
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all test demo bench fuzz clean format format-all check-symbols \
        check-layers

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j

test:
	@scripts/test.sh

demo:
	@scripts/demo.sh

fuzz:
	@scripts/fuzz.sh

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
