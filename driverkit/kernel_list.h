// kernel_list.h — kernel-crawler's JSON list of the kernels a distribution
// ships (falcosecurity/kernel-crawler's format): kestrel-crawler writes it,
// `kestrel-crawler --diff` and `kestrel-driverkit matrix` read it.
//
//   {"debian": [ {"headers": ["http://…/linux-headers-6.1.0-57-amd64_….deb", …],
//                 "kernelrelease": "6.1.0-57-amd64", "kernelversion": 1,
//                 "target": "debian", "kernelconfigdata": "<base64>"}, … ], … }
//
// The object is keyed by the lowercase distribution id; "headers" is what
// driverkit's config calls kernelurls; kernelversion is a number (Debian:
// kernel-crawler writes 1) or a string; target defaults to the distribution
// id; kernelconfigdata appears only when known (the debian target takes the
// config from the headers and ignores it). Written with sorted keys, a
// two-space indent and a final newline, so two crawls diff cleanly.
//
// The matrix sorts entries by (kernelrelease, target, kernelversion), the
// driver index's row order, and a shard takes every N-th of them, so
// `--shard i/N` over the same list and filter is the same split on every
// machine.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

struct KernelEntry {
  std::string distro;  // the key it was listed under: "debian"
  std::string kernelrelease;  // 6.1.0-57-amd64
  std::string kernelversion = "1";  // written as a number when it is one
  std::string target;  // driverkit's target: "debian"
  std::vector<std::string> headers;
  std::string kernelconfigdata;  // "" = absent
};

// The JSON text of ENTRIES, in their order, grouped by distro (sorted).
std::string write_kernel_list(const std::vector<KernelEntry>& entries);

// Every entry of the list TEXT (any distro); errors name ORIGIN and the
// entry ("list.json: debian[3] (6.1.0-57-amd64): no \"headers\""). A kernel
// listed twice (same release, target and version) is an error.
Result<std::vector<KernelEntry>> parse_kernel_list(const std::string& text, const std::string& origin);
// The same, from the file PATH.
Result<std::vector<KernelEntry>> read_kernel_list(const std::string& path);

struct KernelListDiff {
  std::vector<std::string> added;    // "debian 6.1.0-58-amd64"
  std::vector<std::string> removed;
  std::vector<std::string> changed;  // the same kernel with other headers (a rebuilt package)
};
// What NEW has that OLD had not, and the reverse, by (distro, kernelrelease).
KernelListDiff diff_kernel_lists(const std::vector<KernelEntry>& old_list, const std::vector<KernelEntry>& new_list);
// "+ debian 6.1.0-58-amd64" per added, "- …" per removed, "~ …" per changed,
// then "N added, M removed, K changed".
void print_kernel_list_diff(const KernelListDiff& diff, std::ostream& out);

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
