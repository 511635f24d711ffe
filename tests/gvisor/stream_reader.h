// stream_reader.h — reads a recorded runsc packet stream (test helper).
//
// Format written by gvisor/tools/record_runsc.py: for each packet a u32
// little-endian length, then the packet exactly as runsc sent it.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kestrel::gvisor::testing {

inline std::vector<std::vector<uint8_t>> read_packet_stream(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::vector<uint8_t>> out;
  size_t i = 0;
  while (i + 4 <= all.size()) {
    uint32_t n;
    std::memcpy(&n, all.data() + i, 4);
    i += 4;
    if (n > all.size() - i) break;
    out.emplace_back(all.begin() + static_cast<long>(i), all.begin() + static_cast<long>(i + n));
    i += n;
  }
  return out;
}

}  // namespace kestrel::gvisor::testing
