// filter_blob.h — the in-kernel filters of a capture request
// (sources/kernel_filter.h) as the kernel module takes them
// (KESTREL_IOC_SET_FILTER, module/kestrel_kmod_filter_abi.h).
//
// Built from the eBPF probe's encoding (sources/kernel_filter_maps.h), so probe and
// module get the same kb_filter per type and the same atoms with the same
// bits; only the container differs (an LPM trie there, a sorted table
// here). Pure: no ioctl, so tests check the blob without the module.
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "sources/kernel_filter.h"

extern "C" {
#include "kmod/module/kestrel_kmod_filter_abi.h"
}

namespace kestrel::kmod {

// The blob for `filters` (empty set: a blob with no types, which turns the
// module's filter off). Errors as encode_filter_maps() (a set the kernel
// cannot hold); the caller then filters nothing.
Result<std::vector<uint8_t>> encode_filter_blob(const KernelFilterSet& filters);

}  // namespace kestrel::kmod
