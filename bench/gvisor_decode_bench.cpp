// gvisor_decode_bench — gVisor packet decode + convert throughput, one core.
//
// Replays packets recorded from a real runsc 0.0~20221219 sandbox running
// tests/gvisor/data/workload.sh (shell, cat, nc, python: opens, reads,
// closes, execs, clones, connects, raw mmap/mprotect points, ...) through
// MessageDecoder into a RecordArena, exactly as the parser thread does minus
// the socket recv. items_per_second = packets decoded per second.
// Target: >= 1,000,000 packets/s.
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gvisor/message_decoder.h"

#ifndef KESTREL_SOURCE_DIR
#define KESTREL_SOURCE_DIR "."
#endif

namespace kestrel::gvisor {
namespace {

std::vector<std::vector<uint8_t>> load(const char* name) {
  std::ifstream in(std::string(KESTREL_SOURCE_DIR) + "/tests/gvisor/data/" + name, std::ios::binary);
  std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i + 4 <= all.size();) {
    uint32_t n;
    std::memcpy(&n, all.data() + i, 4);
    i += 4;
    if (n > all.size() - i) break;
    out.emplace_back(all.begin() + long(i), all.begin() + long(i + n));
    i += n;
  }
  return out;
}

void run(benchmark::State& state, const std::vector<std::vector<uint8_t>>& packets) {
  if (packets.empty()) {
    state.SkipWithError("recorded stream not found");
    return;
  }
  MessageDecoder decoder;
  SandboxState sandbox(1);
  RecordArena out;
  uint64_t n = 0, bytes = 0;
  for (auto _ : state) {
    for (const auto& p : packets) decoder.decode(p, sandbox, out);
    n += packets.size();
    bytes += out.bytes();
    out.clear();  // the reader's swap: capacity is kept
  }
  state.SetItemsProcessed(int64_t(n));
  state.counters["records_per_packet"] = double(sandbox.events) / double(sandbox.packets);
  state.counters["malformed"] = double(sandbox.malformed);
}

void BM_DecodeRecordedWorkload(benchmark::State& state) {
  static const auto packets = load("runsc_workload.stream");
  run(state, packets);
}
BENCHMARK(BM_DecodeRecordedWorkload);

void BM_DecodeRecordedLifecycle(benchmark::State& state) {
  static const auto packets = load("runsc_lifecycle.stream");
  run(state, packets);
}
BENCHMARK(BM_DecodeRecordedLifecycle);

}  // namespace
}  // namespace kestrel::gvisor

BENCHMARK_MAIN();
