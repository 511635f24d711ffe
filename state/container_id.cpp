#include "state/container_id.h"

#include <vector>

namespace kestrel {
namespace {

constexpr size_t kFullIdLength = 64;

bool is_hex_id(std::string_view s) {
  if (s.size() != kFullIdLength) return false;
  for (char c : s) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct Prefix {
  std::string_view prefix;
  std::string_view runtime;
};

// Checked in order; "crio-conmon-" fails the 64-hex test after "crio-".
constexpr Prefix kPrefixes[] = {
    {"docker-", "docker"},
    {"cri-containerd-", "containerd"},
    {"crio-", "cri-o"},
    {"libpod-", "podman"},
};

// Names the runtime of a bare-id component from the directories above it.
std::string_view runtime_from_path(std::string_view dirs) {
  if (dirs.find("/docker") != std::string_view::npos) return "docker";
  if (dirs.find("libpod") != std::string_view::npos) return "podman";
  if (dirs.find("crio") != std::string_view::npos) return "cri-o";
  // Kubernetes' cgroupfs layout does not name the runtime; containerd is
  // the default CRI runtime, as in Falco.
  return "containerd";
}

std::optional<ContainerMatch> match_component(std::string_view comp, std::string_view dirs) {
  if (comp.ends_with(".scope")) comp.remove_suffix(6);
  for (const Prefix& p : kPrefixes) {
    if (comp.starts_with(p.prefix) && is_hex_id(comp.substr(p.prefix.size())))
      return ContainerMatch{lower(comp.substr(p.prefix.size())), std::string(p.runtime)};
  }
  if (is_hex_id(comp)) return ContainerMatch{lower(comp), std::string(runtime_from_path(dirs))};
  return std::nullopt;
}

}  // namespace

std::optional<ContainerMatch> match_container_cgroup(std::string_view line) {
  // Controller lists never contain '/' or '=': the path follows a
  // "subsys=" prefix (which some producers write without the leading
  // '/'), else it starts at the first '/'.
  size_t slash = line.find('/');
  size_t eq = line.find('=');
  std::string_view path;
  if (eq != std::string_view::npos && (slash == std::string_view::npos || eq < slash)) {
    path = line.substr(eq + 1);
  } else if (slash != std::string_view::npos) {
    path = line.substr(slash);
  } else {
    return std::nullopt;
  }
  while (!path.empty() && (path.back() == '\n' || path.back() == '/')) path.remove_suffix(1);
  // Innermost component first.
  size_t end = path.size();
  while (end > 0) {
    size_t slash_before = path.rfind('/', end - 1);
    size_t start = slash_before == std::string_view::npos ? 0 : slash_before + 1;
    std::string_view dirs = slash_before == std::string_view::npos ? std::string_view() : path.substr(0, slash_before);
    if (auto m = match_component(path.substr(start, end - start), dirs)) return m;
    if (slash_before == std::string_view::npos) break;
    end = slash_before;
  }
  return std::nullopt;
}

std::string container_id_from_cgroup(std::string_view line) {
  auto m = match_container_cgroup(line);
  return m ? m->short_id() : std::string();
}

std::optional<ContainerMatch> match_container_cgroups(std::span<const std::string_view> lines) {
  for (std::string_view line : lines)
    if (auto m = match_container_cgroup(line)) return m;
  return std::nullopt;
}

}  // namespace kestrel
