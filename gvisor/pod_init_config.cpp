#include "gvisor/pod_init_config.h"

#include <nlohmann/json.hpp>

#include <set>

#include "gvisor/convert.h"
#include "gvisor/point_table.h"
#include "gvisor/runsc_command.h"
#include "gvisor/runsc_output.h"
#include "gvisor/sysno_map.h"
#include "sources/event/event_table.h"

namespace kestrel::gvisor {

namespace {

using Known = std::optional<std::set<std::string>>;

// Appends the points of `row` that serve `t`; false if there are none.
bool add_row_points(const PointRow& row, uint16_t t, std::set<std::string>& out, const Known& known) {
  if (!row.configured) return false;
  if (row.raw) {
    // Integer-only rows convert_raw.cpp fills from the raw arguments.
    if (!raw_convertible(t)) return false;
    std::optional<int> nr = SysnoMap::native().nr_for(t);
    if (!nr) return false;
    out.insert("syscall/sysno/" + std::to_string(*nr) + "/exit");
    return true;
  }
  bool any = false;
  for (const PointEvent& p : row.points) {
    if (p.event != t) continue;
    // Newer gVisor's points only when the runsc in use lists them.
    if (row.needs_listing && (!known || !known->count(std::string(p.point)))) continue;
    out.insert(std::string(p.point));
    any = true;
  }
  return any;
}

// Appends the points for `t` from the first row (in table order) that has
// any; false if no row does.
bool add_points(uint16_t t, std::set<std::string>& out, const Known& known = std::nullopt) {
  for (const PointRow& row : point_rows())
    if (add_row_points(row, t, out, known)) return true;
  return false;
}

}  // namespace

const std::vector<std::string>& context_fields() {
  static const std::vector<std::string> kFields = {
      "time", "thread_id", "task_start_time", "group_id", "thread_group_start_time",
      "container_id", "credentials", "cwd", "process_name"};
  return kFields;
}

void request_fields(PodInitConfigOptions& options, const ProcessParamSet& params) {
  options.container_env = params.env;
  options.exe_binary_info = params.exe_sha256;
}

std::vector<std::string> points_for(const EventTypeSet& types, const Known& known) {
  std::set<std::string> points;
  points.insert("container/start");
  for (size_t t = 1; t < types.size(); ++t)
    if (types.test(t)) add_points(static_cast<uint16_t>(t), points, known);
  std::vector<std::string> out;
  for (const std::string& p : points)
    if (!known || known->count(p)) out.push_back(p);
  return out;
}

Result<std::set<std::string>> installed_runsc_points(const std::string& runsc, std::chrono::milliseconds timeout) {
  CommandOptions options;
  options.timeout = timeout;
  auto r = run_command({runsc, "trace", "metadata"}, options);
  if (!r.ok()) return r.status();
  if (r->timed_out || r->exit_code != 0)
    return Status(StatusCode::kUnavailable, "runsc trace metadata: " + describe_failure(*r, timeout));
  std::set<std::string> points = parse_trace_metadata(r->out);
  if (points.empty()) return Status(StatusCode::kCorrupt, "runsc trace metadata listed no points");
  return points;
}

EventTypeSet unsupported_types(const EventTypeSet& types) {
  EventTypeSet out;
  std::set<std::string> scratch;
  for (size_t t = 1; t < types.size(); ++t)
    if (types.test(t) && !add_points(static_cast<uint16_t>(t), scratch)) out.set(t);
  return out;
}

std::string pod_init_config_json(const EventTypeSet& types, const PodInitConfigOptions& options) {
  nlohmann::json points = nlohmann::json::array();
  for (const std::string& name : points_for(types, options.runsc_points)) {
    nlohmann::json p = {{"name", name}, {"context_fields", context_fields()}};
    if (name == "container/start" && options.container_env) p["optional_fields"] = {"env"};
    if (name == "sentry/execve" && options.exe_binary_info) p["optional_fields"] = {"binary_info"};
    points.push_back(std::move(p));
  }
  nlohmann::json sink_config = {{"endpoint", options.endpoint}};
  if (options.retries > 0) sink_config["retries"] = options.retries;
  if (!options.backoff.empty()) sink_config["backoff"] = options.backoff;
  if (!options.backoff_max.empty()) sink_config["backoff_max"] = options.backoff_max;
  nlohmann::json sink = {{"name", "remote"}, {"config", sink_config}, {"ignore_setup_error", options.ignore_setup_error}};
  nlohmann::json doc = {{"trace_session", {{"name", "Default"}, {"points", points}, {"sinks", {sink}}}}};
  return doc.dump(2) + "\n";
}

}  // namespace kestrel::gvisor
