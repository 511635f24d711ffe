#include "driverkit/header_resolver.h"

#include <deque>
#include <set>

namespace kestrel::driverkit {
namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

bool is_header_package(const std::string& name) {
  return starts_with(name, "linux-headers-") || starts_with(name, "linux-kbuild-");
}

bool is_compiler_hint(const std::string& name) {
  return starts_with(name, "linux-compiler-gcc-") ||
         (starts_with(name, "gcc-") && name.find_first_not_of("0123456789", 4) == std::string::npos);
}

struct Attempt {
  PackageIndex* index;
  std::string what;  // "has 6.1.176-1 (amd64)" or "has none"
};

// The newest candidate of NAME in INDEX matching ALT and ARCH; notes what it saw.
Result<std::optional<PackageCandidate>> best_in(PackageIndex* index, const DependencyAlternative& alt,
                                                const std::string& arch, std::string& seen) {
  auto found = index->lookup(alt.name);
  if (!found.ok()) return found.status();
  std::optional<PackageCandidate> best;
  std::string versions;
  for (auto& c : *found) {
    std::string a = c.control.architecture();
    if (!versions.empty()) versions += ", ";
    versions += c.control.version() + " (" + a + ")";
    if (a != arch && a != "all") continue;
    if (alt.constraint && !satisfies(c.control.version(), *alt.constraint)) continue;
    if (!best || compare_deb_versions(c.control.version(), best->control.version()) > 0) best = c;
  }
  seen = versions.empty() ? "has no such package" : "has " + versions;
  return best;
}

}  // namespace

Result<ResolvedHeaders> resolve_headers(const ResolveRequest& request,
                                        const std::vector<PackageIndex*>& target_indexes,
                                        const std::vector<PackageIndex*>& host_indexes) {
  ResolvedHeaders out;
  struct Pending {
    DependencyGroup group;
    std::string required_by;
  };
  std::deque<Pending> queue;
  queue.push_back({{DependencyAlternative{request.root_package, "", std::nullopt}}, ""});
  std::set<std::string> done;

  while (!queue.empty()) {
    Pending next = std::move(queue.front());
    queue.pop_front();
    // A group already satisfied by a package we took (the same -common named twice).
    bool satisfied = false;
    for (const auto& alt : next.group)
      for (const auto& p : out.packages)
        if (p.candidate.control.package() == alt.name &&
            (!alt.constraint || satisfies(p.candidate.control.version(), *alt.constraint)))
          satisfied = true;
    if (satisfied) continue;

    std::string tried;
    std::optional<ResolvedPackage> chosen;
    for (const auto& alt : next.group) {
      if (!is_header_package(alt.name)) continue;
      bool host_tool = starts_with(alt.name, "linux-kbuild-");
      const auto& indexes = host_tool ? host_indexes : target_indexes;
      const std::string& arch = host_tool ? request.host_architecture : request.architecture;
      for (PackageIndex* index : indexes) {
        std::string seen;
        auto best = best_in(index, alt, arch, seen);
        if (!best.ok()) return best.status();
        tried += "\n  " + alt.to_string() + " for " + arch + " in " + index->describe() + ": " + seen;
        if (*best) {
          chosen = ResolvedPackage{std::move(**best), index, next.required_by};
          break;
        }
      }
      if (chosen) break;
    }
    if (!chosen) {
      std::string what;
      for (const auto& alt : next.group) what += (what.empty() ? "" : " | ") + alt.to_string();
      return Status(StatusCode::kNotFound,
                    "headers not found: no package satisfies " + what +
                        (next.required_by.empty() ? "" : " (required by " + next.required_by + ")") +
                        "; tried:" + tried);
    }
    const ControlStanza& control = chosen->candidate.control;
    std::string self = control.package() + " " + control.version();
    if (!done.insert(control.package()).second) continue;
    auto depends = parse_depends(control.get("Depends"));
    if (!depends.ok())
      return Status(StatusCode::kCorrupt, "Depends of " + self + " from " + chosen->index->describe() + ": " +
                                              depends.status().message());
    out.packages.push_back(std::move(*chosen));
    for (auto& group : *depends) {
      bool follow = false;
      for (const auto& alt : group) {
        if (is_header_package(alt.name)) follow = true;
        if (is_compiler_hint(alt.name)) out.compiler_hints.push_back(alt.name);
      }
      if (follow) queue.push_back({std::move(group), self});
    }
  }
  return out;
}

}  // namespace kestrel::driverkit
