// kernel_filter_maps.h — the kernel filters of a capture request
// (sources/kernel_filter.h) as the probe's maps hold them
// (sources/abi/kernel_filter_abi.h): one kb_filter per filtered type, and the LPM trie
// entries of their path atoms, each valued with the alternatives whose
// atoms are prefixes of it (so the longest match alone answers).
//
// Pure: no BPF calls, so tests check the encoding without a kernel.
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "base/status.h"
#include "sources/kernel_filter.h"

extern "C" {
#include "sources/abi/kernel_filter_abi.h"
}

namespace kestrel {

struct FilterMaps {
  std::vector<std::pair<uint32_t, kb_filter>> filters;      // by event type
  std::vector<std::pair<kb_filter_key, uint64_t>> paths;  // LPM trie entries
};

// An error for a set the maps cannot hold (an atom longer than a key,
// more alternatives than bits); the caller then filters nothing.
Result<FilterMaps> encode_filter_maps(const KernelFilterSet& filters);

}  // namespace kestrel
