#include "driverkit/kernel_crawl.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <tuple>

#include "driverkit/deb_version.h"
#include "driverkit/header_resolver.h"

namespace kestrel::driverkit {
namespace {

// The crawled stanzas as a PackageIndex, so header_resolver.h follows their
// Depends exactly as it does apt's. It lists; it does not download.
class CrawledPackageIndex : public PackageIndex {
 public:
  explicit CrawledPackageIndex(std::string description) : description_(std::move(description)) {}
  void add(PackageCandidate c) {
    std::string name = c.control.package();
    by_name_[name].push_back(std::move(c));
  }
  std::string describe() const override { return description_; }
  Result<std::vector<PackageCandidate>> lookup(const std::string& name) override {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::vector<PackageCandidate>{};
    return it->second;
  }
  Result<std::string> fetch(const PackageCandidate& candidate, const std::string&) override {
    return Status(StatusCode::kUnimplemented,
                  "the crawled index lists packages and does not download them (" + candidate.origin + ")");
  }
  const std::map<std::string, std::vector<PackageCandidate>>& packages() const { return by_name_; }

 private:
  std::string description_;
  std::map<std::string, std::vector<PackageCandidate>> by_name_;
};

std::string url_join(const std::string& base, const std::string& filename) {
  if (!base.empty() && base.back() == '/' && !filename.empty() && filename.front() == '/') return base + filename.substr(1);
  return base + filename;
}

}  // namespace

std::vector<std::string> debian_flavours(const std::string& deb_arch) {
  return {deb_arch, "cloud-" + deb_arch, "rt-" + deb_arch};
}

std::optional<FlavourHeaders> parse_flavour_headers(const std::string& package,
                                                    const std::vector<std::string>& flavours) {
  static const std::string kPrefix = "linux-headers-";
  // Three numbers, then a Debian ABI number (-57) or a +suffix (+deb12, +bpo).
  static const std::regex kAbi(R"(\d+\.\d+\.\d+(-\d+|\+[0-9A-Za-z.~]+))");
  if (package.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::string rest = package.substr(kPrefix.size());
  // Longest flavour first: 6.1.0-57-rt-amd64 is rt-amd64, not "6.1.0-57-rt" + amd64.
  std::vector<std::string> ordered = flavours;
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& f : ordered) {
    if (rest.size() <= f.size() + 1 || rest.compare(rest.size() - f.size(), f.size(), f) != 0 ||
        rest[rest.size() - f.size() - 1] != '-')
      continue;
    std::string abi = rest.substr(0, rest.size() - f.size() - 1);
    if (std::regex_match(abi, kAbi)) return FlavourHeaders{abi, f};
    return std::nullopt;
  }
  return std::nullopt;
}

KernelCrawl find_kernels(const std::vector<CrawledIndex>& indexes, const std::string& deb_arch) {
  KernelCrawl out;
  // One candidate per (package, version, architecture): the smallest URL.
  std::map<std::tuple<std::string, std::string, std::string>, PackageCandidate> unique;
  for (const auto& index : indexes) {
    for (const auto& stanza : index.stanzas) {
      std::string where = index.origin + ":" + std::to_string(stanza.line());
      std::string missing;
      for (const char* field : {"Package", "Version", "Architecture", "Filename"})
        if (stanza.get(field).empty()) missing += std::string(missing.empty() ? "" : ", ") + field;
      if (!missing.empty()) {
        out.problems.push_back(where + ": stanza of " + (stanza.package().empty() ? "?" : stanza.package()) +
                               " lacks " + missing + " (skipped)");
        continue;
      }
      std::string arch = stanza.architecture();
      if (arch != deb_arch && arch != "all") continue;
      std::string url = url_join(index.base_url, stanza.get("Filename"));
      auto key = std::make_tuple(stanza.package(), stanza.version(), arch);
      auto it = unique.find(key);
      if (it == unique.end()) {
        unique.emplace(key, PackageCandidate{stanza, InputSource::kUrl, url, ""});
      } else if (url < it->second.origin) {
        it->second = PackageCandidate{stanza, InputSource::kUrl, url, ""};
      }
    }
  }
  CrawledPackageIndex index("the crawled indexes (" + std::to_string(indexes.size()) + " Packages files)");
  for (auto& [key, candidate] : unique) index.add(std::move(candidate));

  std::vector<std::string> flavours = debian_flavours(deb_arch);
  for (const auto& [name, candidates] : index.packages()) {
    auto parsed = parse_flavour_headers(name, flavours);
    if (!parsed) continue;
    std::string release = parsed->abi + "-" + parsed->flavour;
    bool has_image = false;
    for (const std::string& image : {"linux-image-" + release, "linux-image-" + release + "-unsigned"}) {
      auto found = index.packages().find(image);
      if (found == index.packages().end()) continue;
      for (const auto& c : found->second)
        if (c.control.architecture() == deb_arch) has_image = true;
    }
    if (!has_image) {
      out.skipped.push_back({release, "no linux-image-" + release + "[-unsigned] for " + deb_arch +
                                          " in the crawled indexes"});
      continue;
    }
    auto resolved = resolve_headers({name, deb_arch, deb_arch}, {&index}, {&index});
    if (!resolved.ok()) {
      out.skipped.push_back({release, resolved.status().message()});
      continue;
    }
    CrawledKernel kernel{release, parsed->abi, parsed->flavour, resolved->packages.front().candidate.control.version(), {}};
    for (const auto& p : resolved->packages) kernel.headers.push_back(p.candidate.origin);
    std::sort(kernel.headers.begin(), kernel.headers.end());
    out.kernels.push_back(std::move(kernel));
  }
  std::sort(out.kernels.begin(), out.kernels.end(), [](const CrawledKernel& a, const CrawledKernel& b) {
    if (int c = compare_deb_versions(a.abi, b.abi); c != 0) return c < 0;
    if (a.flavour != b.flavour) return a.flavour < b.flavour;
    return a.kernelrelease < b.kernelrelease;
  });
  std::sort(out.skipped.begin(), out.skipped.end(),
            [](const SkippedKernel& a, const SkippedKernel& b) { return a.kernelrelease < b.kernelrelease; });
  return out;
}

}  // namespace kestrel::driverkit
