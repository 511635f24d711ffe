#include "gvisor/pod_init_config.h"

#include <nlohmann/json.hpp>

#include <set>

#include "gvisor/convert.h"
#include "gvisor/runsc_command.h"
#include "gvisor/runsc_output.h"
#include "gvisor/sysno_map.h"
#include "sources/event/event_table.h"

namespace kestrel::gvisor {

namespace {

// Rows whose gVisor point is named after the syscall: syscall/<name>/exit.
constexpr uint16_t kSchematized[] = {
    KE_OPEN, KE_OPENAT, KE_CREAT, KE_CLOSE, KE_READ, KE_PREAD64, KE_READV, KE_PREADV, KE_WRITE, KE_PWRITE64,
    KE_WRITEV, KE_PWRITEV, KE_CONNECT, KE_SOCKET, KE_SOCKETPAIR, KE_BIND, KE_ACCEPT, KE_ACCEPT4, KE_CHDIR,
    KE_FCHDIR, KE_CHROOT, KE_SETUID, KE_SETGID, KE_SETSID, KE_SETRESUID, KE_SETRESGID, KE_PRLIMIT64, KE_PIPE,
    KE_PIPE2, KE_FCNTL, KE_DUP, KE_DUP2, KE_DUP3, KE_SIGNALFD, KE_SIGNALFD4, KE_EVENTFD, KE_EVENTFD2,
    KE_TIMERFD_CREATE, KE_TIMERFD_SETTIME, KE_TIMERFD_GETTIME, KE_INOTIFY_INIT, KE_INOTIFY_INIT1,
    KE_INOTIFY_ADD_WATCH, KE_INOTIFY_RM_WATCH,
};

bool schematized(uint16_t t) {
  for (uint16_t s : kSchematized)
    if (s == t) return true;
  return false;
}

// Rows newer gVisor reports through a schematized point of their own (more
// context than the raw point: fd_path, named fields); runsc 0.0~20221219
// lacks these points, so they are used only when the runsc lists them.
constexpr uint16_t kNewerSchematized[] = {KE_MMAP, KE_PTRACE};

using Known = std::optional<std::set<std::string>>;

// Appends the points for `t`; false if there are none.
bool add_points(uint16_t t, std::set<std::string>& out, const Known& known = std::nullopt) {
  for (uint16_t n : kNewerSchematized) {
    if (n != t || !known) continue;
    std::string point = "syscall/" + std::string(event_info(t).name) + "/exit";
    if (known->count(point)) {
      out.insert(point);
      return true;
    }
  }
  switch (t) {
    case KE_EXECVE:
    case KE_EXECVEAT: out.insert("sentry/execve"); return true;
    case KE_CLONE:
    case KE_CLONE3:
    case KE_FORK:
    case KE_VFORK: out.insert("sentry/clone"); return true;
    case KE_PROCEXIT: out.insert("sentry/task_exit"); return true;
    case KE_CONTAINER: out.insert("container/start"); return true;
    default: break;
  }
  if (schematized(t)) {
    std::string name(event_info(t).name);
    out.insert("syscall/" + name + "/exit");
    // preadv2/pwritev2 share the row of their older sibling.
    if (t == KE_PREADV) out.insert("syscall/preadv2/exit");
    if (t == KE_PWRITEV) out.insert("syscall/pwritev2/exit");
    return true;
  }
  if (raw_convertible(t)) {
    if (std::optional<int> nr = SysnoMap::native().nr_for(t)) {
      out.insert("syscall/sysno/" + std::to_string(*nr) + "/exit");
      return true;
    }
  }
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
