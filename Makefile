# Thin wrapper over CMake. `make run` and `make check` install what is
# missing (as root; otherwise they print the command), configure and build.
BUILD ?= build
CMAKE_FLAGS ?=
PACKAGES = cmake gcc make pkg-config libelf-dev libseccomp-dev musl-tools libmbedtls-dev \
           libcmocka-dev busybox-static gdb clang libclang-rt-14-dev file \
           python3 sqlite3 lua5.4 redis-server redis-tools nginx-light curl wrk \
           runsc proot

.PHONY: all deps configure build run check check-norewrite bench clean

all: build

deps:
	@./.ci/install-deps $(PACKAGES)

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$$(nproc)

run: build
	$(BUILD)/runtime/sabot run -- $(BUILD)/examples/hello

# Every test, then the hosted parts (runtime, manifest parser) and the unit
# tests again under ASan/UBSan in a second build tree. A test that fails is
# run once more before it counts (a few KVM and multi-process tests are
# timing sensitive on a loaded 2-CPU machine; the log keeps the first
# failure's output).
check: build
	@cd $(BUILD) && ctest --output-on-failure -j$$(nproc) --repeat until-pass:2
	@cmake -S . -B $(BUILD)-asan -DSABOT_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)-asan -j$$(nproc)
	@cd $(BUILD)-asan && ctest --output-on-failure -j$$(nproc) -R 'unit|runtime|fuzz|pal_conf'

# The whole suite with the lazy syscall rewrite off (Syscall User Dispatch
# only), in its own tree (.ci/run runs it after check; a failing test gets
# one more run there too).
check-norewrite: deps
	@cmake -S . -B $(BUILD)-norewrite -DSABOT_REWRITE=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)-norewrite -j$$(nproc)
	@cd $(BUILD)-norewrite && ctest --output-on-failure -j$$(nproc) --repeat until-pass:2

# Native vs sabot (SUD, rewrite, sabot-cc) vs gVisor vs proot: bench/run.
bench: build
	bench/run -b $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-norewrite
