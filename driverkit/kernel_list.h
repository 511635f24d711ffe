// kernel_list.h — the kernel list kestrel-crawler writes and `--diff` (and
// the matrix) read: falcosecurity/kernel-crawler's JSON, an object keyed by
// the lowercase distro id, each entry one kernel:
//
//   {"debian": [{"headers": ["http://…/linux-headers-6.1.0-57-amd64_…_amd64.deb", …],
//                "kernelrelease": "6.1.0-57-amd64", "kernelversion": 1, "target": "debian"}]}
//
// kernelversion is a number for Debian (kernel-crawler writes 1) and may be
// a string for other distros; kernelconfigdata (base64) appears only when
// known. Keys are written in sorted order with a two-space indent and a
// final newline, so two crawls diff cleanly.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

struct KernelListEntry {
  std::string distro;         // the key: "debian"
  std::string kernelrelease;  // 6.1.0-57-amd64
  std::string kernelversion;  // "1" (written as a number when it is one)
  std::string target;         // driverkit's target: "debian"
  std::vector<std::string> headers;
  std::string kernelconfigdata;  // "" = absent
};

// The JSON text of ENTRIES, in their order, grouped by distro (sorted).
std::string write_kernel_list(const std::vector<KernelListEntry>& entries);

// Every entry of a kernel list (any distro). ORIGIN names it in errors.
Result<std::vector<KernelListEntry>> read_kernel_list(const std::string& text, const std::string& origin);

struct KernelListDiff {
  std::vector<std::string> added;    // "debian 6.1.0-58-amd64"
  std::vector<std::string> removed;
  std::vector<std::string> changed;  // the same kernel with other headers (a rebuilt package)
};
// What NEW has that OLD had not, and the reverse, by (distro, kernelrelease).
KernelListDiff diff_kernel_lists(const std::vector<KernelListEntry>& old_list,
                                 const std::vector<KernelListEntry>& new_list);
// "+ debian 6.1.0-58-amd64" per added, "- …" per removed, "~ …" per changed,
// then "N added, M removed, K changed".
void print_kernel_list_diff(const KernelListDiff& diff, std::ostream& out);

}  // namespace kestrel::driverkit
