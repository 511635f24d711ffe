# The two commands (see README): `make run` and `make test`.
# Both install missing Debian packages first, then build with CMake.
#   make run    build and run the collector live with the embedded config
#   make test   build and run every test (unit + live integration)
#   make bench  build and run the benchmarks under bench/
#   make fuzz   libFuzzer (clang, ASan+UBSan), FUZZ_SECONDS on each target, or on FUZZ_TARGET:
#               gvisor (the gVisor decoder) or k8saudit (webhook/audit JSON)
#   SANITIZE=1  build with ASan+UBSan into build-san/
.PHONY: all deps configure build run test bench fuzz clean fleet-test

SANITIZE ?= 0
BUILD_TYPE ?= Release
ifeq ($(SANITIZE),1)
BUILD_DIR ?= build-san
CMAKE_FLAGS += -DKESTREL_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
BUILD_DIR ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
endif
JOBS ?= $(shell nproc)
ARGS ?=

all: build

deps:
	@bash scripts/install-deps.sh

# Configure every time: it is cheap, and parts are added by folder existence.
configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) > /dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# `make run` needs only the collector, not the tests and benchmarks.
run: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target kestrel
	$(BUILD_DIR)/app/kestrel $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1 $(CTEST_ARGS)

bench: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target benchmarks
	bash bench/run.sh $(BUILD_DIR)

# The three-server NATS fail-over test alone (make test runs it too).
fleet-test: build
	python3 tests/fleet/fleet_cluster_test.py $(BUILD_DIR)/app/kestrel $(BUILD_DIR)/tests/fleet/work

clean:
	rm -rf build build-san

# libFuzzer; `make fuzz` runs every target for FUZZ_SECONDS each, one after
# the other; FUZZ_TARGET=NAME runs one:
#   gvisor    the gVisor message decoder (gvisor/fuzz/). Seeds are packets
#             recorded from real runsc (gvisor/fuzz/corpus).
#   k8saudit  the k8saudit webhook/audit-file JSON path and field extraction
#             (plugins/k8saudit/fuzz/). Seeds are falco-regression's
#             k8s audit files, read in place from ../shared.
# New inputs go to build-fuzz/<target>-corpus, findings to build-fuzz/
# (crash-*). One core; run it niced on a shared machine.
FUZZ_SECONDS ?= 60
FUZZ_TARGET ?= all
K8SAUDIT_SEEDS ?= $(wildcard ../shared/falco-regression/trace_files/k8s_audit)
fuzz:
ifeq ($(FUZZ_TARGET),all)
	$(MAKE) fuzz FUZZ_TARGET=gvisor
	$(MAKE) fuzz FUZZ_TARGET=k8saudit
else
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DKESTREL_GVISOR_FUZZ=ON -DKESTREL_PLUGIN_FUZZ=ON -DKESTREL_MIMALLOC=OFF \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined,fuzzer-no-link -Wno-unknown-warning-option" > /dev/null
ifeq ($(FUZZ_TARGET),gvisor)
	cmake --build build-fuzz --target gvisor_decoder_fuzz -j $(JOBS)
	mkdir -p build-fuzz/gvisor-corpus
	cd build-fuzz && gvisor/gvisor_decoder_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 \
	  gvisor-corpus ../gvisor/fuzz/corpus
else ifeq ($(FUZZ_TARGET),k8saudit)
	cmake --build build-fuzz --target k8saudit_json_fuzz -j $(JOBS)
	mkdir -p build-fuzz/k8saudit-corpus
	cd build-fuzz && plugins/k8saudit_json_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 \
	  k8saudit-corpus $(abspath $(K8SAUDIT_SEEDS))
else
	@echo "FUZZ_TARGET must be all, gvisor or k8saudit" >&2; exit 2
endif
endif
