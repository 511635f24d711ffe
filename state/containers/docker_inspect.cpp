#include "state/containers/docker_inspect.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "state/containers/image_ref.h"
#include "state/containers/kubernetes_labels.h"

namespace kestrel {
namespace {

using json = nlohmann::json;

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool boolean(const json& obj, const char* key) {
  if (!obj.is_object()) return false;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}
const json& member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

void string_map(const json& obj, std::map<std::string, std::string>& out) {
  if (!obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (it->is_string()) out[it.key()] = it->get<std::string>();
}

// Docker's Healthcheck.Test: ["NONE"], ["CMD", args...], ["CMD-SHELL", cmd].
// Falco shows "NONE", the argv joined, or "/bin/sh -c cmd".
std::string healthcheck_of(const json& hc) {
  const json& test = member(hc, "Test");
  if (!test.is_array() || test.empty() || !test[0].is_string()) return {};
  std::string kind = test[0].get<std::string>();
  if (kind == "NONE") return "NONE";
  std::string out = kind == "CMD-SHELL" ? "/bin/sh -c" : "";
  for (size_t i = 1; i < test.size(); ++i) {
    if (!test[i].is_string()) continue;
    if (!out.empty()) out.push_back(' ');
    out += test[i].get<std::string>();
  }
  return out;
}

std::string strip_sha256(std::string s) {
  if (s.rfind("sha256:", 0) == 0) s.erase(0, 7);
  return s;
}

}  // namespace

uint64_t parse_rfc3339_ns(std::string_view text) {
  int y, mo, d, h, mi, s, consumed = 0;
  std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6) return 0;
  if (y <= 1970) return 0;
  uint64_t frac = 0;
  size_t i = static_cast<size_t>(consumed);
  if (i < t.size() && t[i] == '.') {
    int digits = 0;
    for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
      if (digits < 9) frac = frac * 10 + static_cast<uint64_t>(t[i] - '0'), ++digits;
    }
    for (; digits < 9; ++digits) frac *= 10;
  }
  int64_t offset = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(t.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) offset = (t[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset;
  if (secs < 0) return 0;
  return static_cast<uint64_t>(secs) * 1000000000ull + frac;
}

Result<ContainerInfo> parse_docker_inspect(std::string_view text, std::string_view type) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status(StatusCode::kInvalidArgument, "container inspect: not a JSON object");
  ContainerInfo c;
  c.id = str(j, "Id");
  if (c.id.empty()) return Status(StatusCode::kInvalidArgument, "container inspect: no Id");
  c.type = std::string(type);
  c.name = str(j, "Name");
  if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
  const json& config = member(j, "Config");
  c.image = str(config, "Image");
  c.image_id = strip_sha256(str(j, "Image"));
  ImageRef ref = parse_image_ref(c.image);
  c.image_repository = ref.repository;
  c.image_tag = ref.tag;
  c.image_digest = ref.digest;
  string_map(member(config, "Labels"), c.labels);
  c.healthcheck = healthcheck_of(member(config, "Healthcheck"));
  const json& host = member(j, "HostConfig");
  c.privileged_known = host.is_object();
  c.privileged = boolean(host, "Privileged");
  c.runtime = str(host, "Runtime");
  c.host_pid = str(host, "PidMode") == "host";
  c.host_ipc = str(host, "IpcMode") == "host";
  c.host_network = str(host, "NetworkMode") == "host";
  const json& mounts = member(j, "Mounts");
  if (mounts.is_array()) {
    for (const json& m : mounts) {
      ContainerMount mount;
      mount.source = str(m, "Source");
      mount.dest = str(m, "Destination");
      mount.mode = str(m, "Mode");
      mount.rw = boolean(m, "RW");
      mount.propagation = str(m, "Propagation");
      c.mounts.push_back(std::move(mount));
    }
  }
  // The first events of a container come before Docker marks it started
  // (its init runs while the state is still "created"): until the start
  // event refreshes it, the creation time stands in.
  c.start_ts = parse_rfc3339_ns(str(member(j, "State"), "StartedAt"));
  if (c.start_ts == 0) c.start_ts = parse_rfc3339_ns(str(j, "Created"));
  c.ip = str(member(j, "NetworkSettings"), "IPAddress");
  kubernetes_from_labels(c);
  return c;
}

std::string parse_docker_image_digest(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  const json& digests = member(j, "RepoDigests");
  if (!digests.is_array() || digests.empty() || !digests[0].is_string()) return {};
  std::string d = digests[0].get<std::string>();
  size_t at = d.find('@');
  return at == std::string::npos ? std::string() : d.substr(at + 1);
}

std::optional<DockerEvent> parse_docker_event(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  if (str(j, "Type") != "container") return std::nullopt;
  DockerEvent e;
  e.action = str(j, "Action");
  e.id = str(member(j, "Actor"), "ID");
  if (e.id.empty()) e.id = str(j, "id");
  if (e.id.empty() || e.action.empty()) return std::nullopt;
  return e;
}

bool is_plausible_container_ref(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char ch : id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '.' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace kestrel
