# polis - the two commands a new machine needs are `make demo` and `make test`.
# Both install missing Debian packages first (make deps), then build.

DEBIAN_PACKAGES := gcc make cmake pkg-config libuv1-dev libcmocka-dev libisal-dev \
                   python3 python3-pytest python3-redis redis-server redis-tools nftables

BUILD_RELEASE := build/release
BUILD_ASAN    := build/asan
JOBS          ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST        := /usr/bin/python3 -m pytest
SUDO          := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Sanitizer settings for every test run: leaks, UB and memory errors abort.
export ASAN_OPTIONS  := detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

.PHONY: all build deps test unit integration chaos-test chaos demo bench fuzz clean format

all: build

build:
	@cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLIS_TESTS=OFF >/dev/null
	@cmake --build $(BUILD_RELEASE) -j $(JOBS)
	@ln -sf $(BUILD_RELEASE)/compile_commands.json compile_commands.json

# Installs only what is missing: one `apt-get update`, then one install.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

$(BUILD_ASAN)/polis: FORCE
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DPOLIS_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
FORCE:

unit: $(BUILD_ASAN)/polis
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)

integration: $(BUILD_ASAN)/polis
	POLIS_BIN=$(CURDIR)/$(BUILD_ASAN)/polis $(PYTEST) -q tests/integration

# The differential test against redis-server with a longer stream:
# make difftest N=200000 [SEED=1337]
N ?= 100000
SEED ?= 1337
.PHONY: difftest
difftest: deps $(BUILD_ASAN)/polis
	POLIS_BIN=$(CURDIR)/$(BUILD_ASAN)/polis POLIS_DIFF_COUNT=$(N) POLIS_DIFF_SEED=$(SEED) \
	  $(PYTEST) -q tests/integration/test_differential.py

# A short chaos campaign (2 runs x CHAOS_SECONDS) that must pass, and the
# proofs that each of its checkers catches a violation (tests/chaos).
CHAOS_SECONDS ?= 20
chaos-test: $(BUILD_ASAN)/polis
	POLIS_BIN=$(CURDIR)/$(BUILD_ASAN)/polis LINCHECK_BIN=$(CURDIR)/$(BUILD_ASAN)/polis-lincheck \
	  CHAOS_SECONDS=$(CHAOS_SECONDS) $(PYTEST) -q -s tests/chaos

# Every suite, under ASan + UBSan + LSan.
test: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory chaos-test

# A chaos campaign against real processes (ASan build): CHAOS_RUNS runs of
# CHAOS_SECONDS each, 3 and 5 nodes in turn, every nemesis. Results and the
# verdict of each run under build/chaos/ (docs/chaos.md).
CHAOS_RUNS ?= 20
CHAOS_CAMPAIGN_SECONDS ?= 60
CHAOS_ARGS ?=
chaos: deps $(BUILD_ASAN)/polis
	@/usr/bin/python3 tests/chaos/chaos_run.py --runs $(CHAOS_RUNS) \
	  --seconds $(CHAOS_CAMPAIGN_SECONDS) --polis $(BUILD_ASAN)/polis \
	  --lincheck $(BUILD_ASAN)/polis-lincheck $(CHAOS_ARGS)

demo: deps build
	@$(BUILD_RELEASE)/polis demo

bench: deps build
	@bench/vs-redis.sh $(BUILD_RELEASE)/polis

# 3-node polis vs 3-member etcd (durable writes), then kill -9 leader failover.
.PHONY: bench-cluster
bench-cluster: deps build
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="etcd-server etcd-client"
	@bench/vs-etcd.sh $(BUILD_RELEASE)/polis
	@bench/failover.sh $(BUILD_RELEASE)/polis

# libFuzzer on the RESP parser, the peer wire codec and the meta state machine (clang).
# FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz:
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="clang libclang-rt-14-dev"
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# Long simulation campaigns with the release build's polis-sim, one process
# per core: make sim SEEDS=100000 [SIM_SEED=1] [SIM_ARGS="--keep-going"].
SEEDS    ?= 10000
SIM_SEED ?= 1
.PHONY: sim
sim: deps build
	@$(BUILD_RELEASE)/polis-sim --seed $(SIM_SEED) --seeds $(SEEDS) --nodes 3,5,7 \
	  --jobs $(JOBS) $(SIM_ARGS)

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]')

clean:
	rm -rf build compile_commands.json
