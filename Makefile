# The two commands (see README): `make run` and `make test`.
# Both install missing Debian packages first, then build with CMake.
#   make run    build and run the collector live with the embedded config
#   make test   build and run every test (unit + live integration)
#   make bench  build and run the benchmarks under bench/
#   SANITIZE=1  build with ASan+UBSan into build-san/
.PHONY: all deps build run test bench clean

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
build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) > /dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/app/kestrel $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1 $(CTEST_ARGS)

bench: build
	bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf build build-san
