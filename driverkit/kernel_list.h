// kernel_list.h — the matrix's input: kernel-crawler's JSON list of the
// kernels a distribution ships (falcosecurity/kernel-crawler's format, as
// kestrel-crawler writes it):
//
//   {"debian": [ {"kernelrelease": "6.1.0-57-amd64", "kernelversion": 1,
//                 "target": "debian",
//                 "headers": ["http://…/linux-headers-6.1.0-57-amd64_….deb", …],
//                 "kernelconfigdata": "<base64>"}, … ], … }
//
// The object is keyed by distribution id; "headers" is what driverkit's
// config calls kernelurls; kernelversion is a number or a string; target
// defaults to the distribution id. kernelconfigdata is read and not used:
// the debian target takes the config from the headers.
//
// Entries are sorted by (kernelrelease, target, kernelversion), the driver
// index's row order, and a shard takes every N-th of them, so `--shard i/N`
// over the same list and filter is the same split on every machine.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

struct KernelEntry {
  std::string distro;  // the key it was listed under
  std::string kernelrelease;
  std::string kernelversion = "1";
  std::string target;
  std::vector<std::string> headers;
  std::string kernelconfigdata;
};

// Reads PATH; errors name the file and the entry ("debian[3]: no \"headers\"").
// A kernel listed twice (same release, target and version) is an error.
Result<std::vector<KernelEntry>> read_kernel_list(const std::string& path);

// Keeps the entries whose kernelrelease REGEX matches anywhere (ECMAScript,
// std::regex_search); "" keeps all. kInvalidArgument for a bad REGEX.
Result<std::vector<KernelEntry>> filter_kernels(std::vector<KernelEntry> entries, const std::string& regex);

// "i/N" with 0 <= i < N.
struct Shard {
  size_t index = 0;
  size_t count = 1;
};
Result<Shard> parse_shard(const std::string& text);

// Sorts ENTRIES (the index's order) and keeps those of SHARD: positions
// index, index+N, index+2N, ... (round robin, so the shards get kernels of
// every version and flavour alike).
std::vector<KernelEntry> select_shard(std::vector<KernelEntry> entries, const Shard& shard);

}  // namespace kestrel::driverkit
