#include "sources/state/container_id.h"

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
  // Controller lists and "name=" prefixes never contain '/': the path is
  // everything from the first '/'.
  size_t slash = line.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view path = line.substr(slash);
  while (!path.empty() && (path.back() == '\n' || path.back() == '/')) path.remove_suffix(1);
  // Innermost component first.
  size_t end = path.size();
  while (end > 0) {
    size_t start = path.rfind('/', end - 1);
    if (start == std::string_view::npos) break;
    std::string_view comp = path.substr(start + 1, end - start - 1);
    if (auto m = match_component(comp, path.substr(0, start))) return m;
    end = start;
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
