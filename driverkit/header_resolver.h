// header_resolver.h — which packages make up a kernel's headers.
//
// Starting from the flavour package (linux-headers-6.1.0-57-rt-amd64), the
// resolver follows Depends, never guessing names: every relation naming a
// linux-headers-* or linux-kbuild-* package is followed (recursively) and
// must be satisfied — by the first alternative, in the order written, that
// some index has in a version satisfying its constraint and for the right
// architecture. Other relations (linux-base, gcc-12, the image) are not
// followed; a compiler named there (gcc-N, linux-compiler-gcc-N-<arch>) is
// kept as a hint for messages.
//
// linux-kbuild-* holds host programs (fixdep, modpost, sign-file), so it is
// resolved against the *build host's* indexes and architecture: for an arm64
// cross build the amd64 linux-kbuild-6.1 of a version the arm64 headers
// accept. Indexes are asked in order; the first one that has a satisfying
// version wins, and within one index the newest satisfying version.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "driverkit/package_index.h"

namespace kestrel::driverkit {

struct ResolvedPackage {
  PackageCandidate candidate;
  PackageIndex* index = nullptr;  // where to fetch it from
  std::string required_by;        // "" for the root, else "pkg version"
};

struct ResolvedHeaders {
  std::vector<ResolvedPackage> packages;  // the root first, then in discovery order
  std::vector<std::string> compiler_hints;  // "gcc-12", "linux-compiler-gcc-12-x86"
};

struct ResolveRequest {
  std::string root_package;        // linux-headers-6.1.0-57-amd64
  std::string architecture;        // the kernel's: amd64 | arm64
  std::string host_architecture;   // the build host's (for linux-kbuild-*)
};

// TARGET_INDEXES serve header packages, HOST_INDEXES linux-kbuild-* (the
// same list for a native build). A kNotFound Status lists every package,
// version and index that was tried.
Result<ResolvedHeaders> resolve_headers(const ResolveRequest& request,
                                        const std::vector<PackageIndex*>& target_indexes,
                                        const std::vector<PackageIndex*>& host_indexes);

}  // namespace kestrel::driverkit
