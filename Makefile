# The two commands (see README): `make run` and `make test`.
# Both install missing Debian packages first, then build with CMake.
#   make run    build and run the collector live with the embedded config
#   make test   build and run every test (unit + live integration)
#   make bench  build and run the benchmarks under bench/
#   make fuzz   libFuzzer on the gVisor decoder (clang, ASan+UBSan) for FUZZ_SECONDS
#   SANITIZE=1  build with ASan+UBSan into build-san/
.PHONY: all deps configure build run test bench fuzz clean

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

bench: build
	bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf build build-san

# libFuzzer on the gVisor message decoder (gvisor/fuzz/). Seeds are packets
# recorded from real runsc (gvisor/fuzz/corpus); new inputs go to
# build-fuzz/gvisor-corpus, findings to build-fuzz/ (crash-*).
FUZZ_SECONDS ?= 60
fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DKESTREL_GVISOR_FUZZ=ON \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined,fuzzer-no-link -Wno-unknown-warning-option" > /dev/null
	cmake --build build-fuzz --target gvisor_decoder_fuzz -j $(JOBS)
	mkdir -p build-fuzz/gvisor-corpus
	cd build-fuzz && gvisor/gvisor_decoder_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 \
	  gvisor-corpus ../gvisor/fuzz/corpus
