#include "app/fleet_node.h"

#include <sys/utsname.h>

#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "driverkit/driver_index.h"
#include "engine/rule_items.h"

namespace kestrel {

fleet::NatsBusOptions nats_bus_options(const KestrelConfig& config) {
  fleet::NatsBusOptions o;
  o.servers = config.nats.servers;
  o.stream = config.nats.stream;
  o.replicas = static_cast<int>(config.nats.replicas);
  o.creds = config.nats.creds;
  o.tls_ca = config.nats.tls_ca;
  o.tls_cert = config.nats.tls_cert;
  o.tls_key = config.nats.tls_key;
  return o;
}

std::string nats_node_name(const KestrelConfig& config, const std::string& hostname) {
  return config.nats.node.empty() ? hostname : config.nats.node;
}

namespace {

std::string kmod_from_index_description(const std::string& index_path) {
  auto index = driverkit::read_index(index_path);
  if (!index.ok()) return "kestrel.ko (driver index unreadable: " + index.status().message() + ")";
  struct utsname u {};
  ::uname(&u);
  std::string arch = driverkit::debian_architecture(u.machine);
  if (arch.empty()) arch = u.machine;
  auto found = driverkit::lookup_kernel(*index, index_path, {u.release, "", arch});
  if (!found.found) return "kestrel.ko (not in driver index " + index_path + ")";
  return std::filesystem::path(found.artifact_path).filename().string() + " (driver index, sha256 " +
         found.row->sha256.substr(0, 12) + ")";
}

}  // namespace

std::string describe_driver(const std::string& source_kind, const KestrelConfig& config,
                            const std::string& capture_file) {
  if (source_kind == "ebpf") return "embedded modern eBPF probe";
  if (source_kind == "kmod")
    return config.engine.kmod_index.empty() ? "kestrel.ko (loaded beforehand)"
                                            : kmod_from_index_description(config.engine.kmod_index);
  if (source_kind == "gvisor") return "runsc seccheck";
  if (source_kind == "capture") return "replay of " + std::filesystem::path(capture_file).filename().string();
  return "none";
}

fleet::NodeStatus node_status_from(const MetricsSnapshot& snapshot, const std::string& node,
                                   const std::string& source_kind, const std::string& driver) {
  fleet::NodeStatus s;
  s.node = node;
  s.hostname = snapshot.hostname;
  struct utsname u {};
  if (::uname(&u) == 0) s.kernel = u.release;
  s.source = source_kind;
  s.driver = driver;
  s.version = KESTREL_VERSION;
  s.time_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(snapshot.taken.time_since_epoch()).count());
  s.uptime_s = snapshot.uptime_seconds;
  s.events = snapshot.events;
  s.events_per_s = snapshot.events_per_second;
  for (const auto& src : snapshot.sources)
    for (const auto& [reason, n] : src.drops) s.drops += n;
  s.alerts = snapshot.alerts;
  if (auto it = snapshot.outputs.sinks.find("nats"); it != snapshot.outputs.sinks.end()) s.alerts_dropped = it->second.lost();
  return s;
}

namespace {

// "2026-12-06T23:01:52.123456789Z" (or "+0000") -> ns since the epoch.
std::optional<uint64_t> parse_iso_time(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  uint64_t ns = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest)
      if (digits < 9) ns = ns * 10 + static_cast<uint64_t>(*rest - '0'), ++digits;
    for (; digits < 9; ++digits) ns *= 10;
  }
  const time_t secs = timegm(&tm);
  if (secs < 0) return std::nullopt;
  return static_cast<uint64_t>(secs) * 1000000000ULL + ns;
}

engine::FieldValue field_value(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return v.get<double>();
  if (v.is_null()) return std::monostate{};
  return v.dump();
}

}  // namespace

Result<engine::Alert> alert_from_fleet_json(const std::string& text, const std::string& node) {
  auto bad = [&](const std::string& what) {
    return Status(StatusCode::kCorrupt, "alert from node '" + node + "': " + what);
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  engine::Alert a;
  a.hostname = node;
  if (!j.contains("rule") || !j["rule"].is_string()) return bad("no \"rule\"");
  a.rule = j["rule"].get<std::string>();
  if (!j.contains("priority") || !j["priority"].is_string()) return bad("no \"priority\"");
  auto priority = engine::parse_priority(j["priority"].get<std::string>());
  if (!priority) return bad("unknown priority '" + j["priority"].get<std::string>() + "'");
  a.priority = *priority;
  if (j.contains("source") && j["source"].is_string()) a.source = j["source"].get<std::string>();
  if (!j.contains("time") || !j["time"].is_string()) return bad("no \"time\"");
  auto t = parse_iso_time(j["time"].get<std::string>());
  if (!t) return bad("unreadable time '" + j["time"].get<std::string>() + "'");
  a.time_ns = *t;
  // `message` is the rule's output alone; `output` carries the node's time
  // and priority in front, which the central's own format adds again.
  if (j.contains("message") && j["message"].is_string()) a.output = j["message"].get<std::string>();
  else if (j.contains("output") && j["output"].is_string()) a.output = j["output"].get<std::string>();
  if (j.contains("output_fields") && j["output_fields"].is_object())
    for (const auto& [k, v] : j["output_fields"].items()) {
      // The node's leading time field is formatted again by the central.
      if (k == "evt.time" || k == "evt.time.iso8601") continue;
      a.output_fields.emplace_back(k, field_value(v));
    }
  if (j.contains("tags") && j["tags"].is_array())
    for (const auto& tag : j["tags"])
      if (tag.is_string()) a.tags.push_back(tag.get<std::string>());
  return a;
}

}  // namespace kestrel
