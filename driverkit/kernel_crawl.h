// kernel_crawl.h — which kernels a crawled Debian archive ships, with the
// URLs of the .debs a driver build needs for each (kernel-crawler's entry).
//
// A kernel is a flavour headers package linux-headers-<abi>-<flavour>, where
// <abi> is a full kernel ABI (6.1.0-57, 6.12.118+deb12: three numbers, then
// '-' or '+' and more) — not the metapackages linux-headers-6.12-amd64 or
// linux-headers-amd64 — and whose image (linux-image-<abi>-<flavour>, or its
// -unsigned build) is in the crawled indexes too. Its -common(-rt) and
// linux-kbuild-* packages are found by header_resolver.h, following Depends.
//
// Tie-breaks, so that two crawls of the same archive are byte-identical:
//  - one package (name, version, architecture) in several indexes: the
//    .deb URL that sorts first (plain byte order) is the one listed;
//  - versions of one package: the newest satisfying Depends (the resolver's
//    rule; for the flavour package itself, simply the newest);
//  - entries sorted by ABI in Debian version order, then flavour (byte
//    order); headers sorted (byte order).
// A kernel whose headers cannot be resolved (no kbuild, no -common) is left
// out and reported with the resolver's reason: a list entry promises a
// buildable kernel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "driverkit/crawl_input.h"
#include "driverkit/driver_index.h"  // debian_architecture

namespace kestrel::driverkit {

// The flavours crawled for a Debian architecture: amd64 -> amd64,
// cloud-amd64, rt-amd64.
std::vector<std::string> debian_flavours(const std::string& deb_arch);

struct FlavourHeaders {
  std::string abi;      // 6.1.0-57
  std::string flavour;  // cloud-amd64
};
// PACKAGE as a flavour headers package of one of FLAVOURS; nullopt for
// metapackages, -common, and other flavours.
std::optional<FlavourHeaders> parse_flavour_headers(const std::string& package,
                                                    const std::vector<std::string>& flavours);

struct CrawledKernel {
  std::string kernelrelease;         // 6.1.0-57-amd64 (uname -r)
  std::string abi;
  std::string flavour;
  std::string version;               // the flavour package's Debian version
  std::vector<std::string> headers;  // .deb URLs, sorted
};

struct SkippedKernel {
  std::string kernelrelease;
  std::string reason;
};

struct KernelCrawl {
  std::vector<CrawledKernel> kernels;  // sorted (see above)
  std::vector<SkippedKernel> skipped;  // sorted by kernelrelease
  std::vector<std::string> problems;   // stanzas unusable (file:line: what)
};

// The kernels of DEB_ARCH in INDEXES.
KernelCrawl find_kernels(const std::vector<CrawledIndex>& indexes, const std::string& deb_arch);

}  // namespace kestrel::driverkit
