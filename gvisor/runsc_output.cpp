#include "gvisor/runsc_output.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "state/container_id.h"

namespace kestrel::gvisor {

namespace {

using nlohmann::json;

std::string clamp(const json& j, size_t max) {
  if (!j.is_string()) return {};
  const std::string& s = j.get_ref<const std::string&>();
  return s.size() > max ? s.substr(0, max) : s;
}

int64_t integer(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->get<int64_t>();
}

const json& member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

FdType fd_type(uint32_t mode, std::string_view path) {
  switch (mode & S_IFMT) {
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK: return FdType::kFile;
    case S_IFDIR: return FdType::kDirectory;
    case S_IFIFO: return FdType::kPipe;
    default: break;
  }
  // Anonymous inodes have no file type bits; their name says what they are.
  if (path.find("eventfd") != std::string_view::npos) return FdType::kEvent;
  if (path.find("eventpoll") != std::string_view::npos) return FdType::kEventPoll;
  if (path.find("signalfd") != std::string_view::npos) return FdType::kSignalFd;
  if (path.find("timerfd") != std::string_view::npos) return FdType::kTimerFd;
  if (path.find("inotify") != std::string_view::npos) return FdType::kInotify;
  if (path.rfind("pipe:", 0) == 0) return FdType::kPipe;
  // socket:[N] does not say which family; leave it unknown rather than guess.
  return FdType::kUnknown;
}

bool to_thread(const json& p, DomainId domain, const std::string& container_id, const ProcfsLimits& lim,
               ThreadInfo& t) {
  const json& status = member(p, "status");
  int64_t pid = integer(status, "pid");
  if (pid <= 0) return false;
  t.domain = domain;
  t.tid = t.pid = t.vtid = t.vpid = pid;
  t.ptid = integer(status, "ppid");
  t.comm = clamp(member(status, "comm"), 16);
  const json& stat = member(p, "stat");
  t.pgid = integer(stat, "pgid");
  t.sid = integer(stat, "sid");
  t.uid = static_cast<uint32_t>(integer(member(status, "uid"), "real"));
  t.euid = static_cast<uint32_t>(integer(member(status, "uid"), "effective"));
  t.gid = static_cast<uint32_t>(integer(member(status, "gid"), "real"));
  t.egid = static_cast<uint32_t>(integer(member(status, "gid"), "effective"));
  t.exepath = clamp(member(p, "exe"), lim.max_string);
  const json& args = member(p, "args");
  if (args.is_array()) {
    for (size_t i = 0; i < args.size() && i < lim.max_args; ++i) {
      if (i == 0) t.exe = clamp(args[i], lim.max_string);
      else t.args.push_back(clamp(args[i], lim.max_string));
    }
  }
  if (t.exe.empty()) t.exe = t.exepath;
  const json& env = member(p, "env");
  if (env.is_array())
    for (size_t i = 0; i < env.size() && i < lim.max_env; ++i) t.env.push_back(clamp(env[i], lim.max_string));
  t.cwd = clamp(member(p, "cwd"), lim.max_string);
  t.root = clamp(member(p, "root"), lim.max_string);
  if (t.root.empty()) t.root = "/";
  int64_t clone_ts = integer(p, "clone_ts");
  t.start_ts = clone_ts > 0 ? static_cast<uint64_t>(clone_ts) : 0;
  // As the state updater labels sandbox threads from a container event.
  t.container_id = container_id.substr(0, kContainerShortIdLength);
  t.container_full_id = container_id;
  t.container_type = "gvisor";
  const json& fds = member(p, "fdlist");
  if (fds.is_array()) {
    for (size_t i = 0; i < fds.size() && i < lim.max_fds; ++i) {
      FdInfo fd;
      fd.fd = integer(fds[i], "number");
      if (fd.fd < 0) continue;
      fd.name = clamp(member(fds[i], "path"), lim.max_string);
      fd.type = fd_type(static_cast<uint32_t>(integer(fds[i], "mode")), fd.name);
      t.fds.push_back(std::move(fd));
    }
  }
  return true;
}

}  // namespace

Result<std::vector<ListedSandbox>> parse_runsc_list(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status(StatusCode::kCorrupt, "runsc list: output is not JSON");
  std::vector<ListedSandbox> out;
  if (doc.is_null()) return out;  // runsc prints `null` when nothing runs
  if (!doc.is_array()) return Status(StatusCode::kCorrupt, "runsc list: output is not a JSON array");
  for (const json& e : doc) {
    ListedSandbox s;
    s.id = clamp(member(e, "id"), 256);
    if (s.id.empty()) continue;
    s.pid = integer(e, "pid");
    s.status = clamp(member(e, "status"), 64);
    s.bundle = clamp(member(e, "bundle"), 4096);
    out.push_back(std::move(s));
  }
  return out;
}

std::set<std::string> parse_trace_metadata(std::string_view text) {
  std::set<std::string> out;
  bool in_points = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("POINTS", 0) == 0) in_points = true;
    else if (line.rfind("SINKS", 0) == 0) in_points = false;
    constexpr std::string_view kName = "Name: ";
    if (!in_points || line.rfind(kName, 0) != 0) continue;
    std::string_view name = line.substr(kName.size());
    name = name.substr(0, name.find(','));
    if (!name.empty()) out.emplace(name);
  }
  return out;
}

Result<ProcfsDump> parse_procfs_dump(std::string_view text, DomainId domain, const std::string& container_id,
                                     const ProcfsLimits& limits) {
  ProcfsDump out;
  bool banner = text.find("PROCFS DUMP") != std::string_view::npos;
  bool any_object = false;
  // One object per line; lines that are not objects (banner, blanks) are
  // skipped. Splitting on lines keeps one bad object from hiding the rest.
  size_t pos = 0;
  while (pos < text.size() && out.threads.size() < limits.max_processes) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line.front() != '{') continue;
    any_object = true;
    json p = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    ThreadInfo t;
    if (p.is_discarded() || !to_thread(p, domain, container_id, limits, t)) {
      ++out.skipped;
      continue;
    }
    out.threads.push_back(std::move(t));
  }
  if (!banner && !any_object)
    return Status(StatusCode::kCorrupt, "runsc trace procfs: output has neither the banner nor a process");
  return out;
}

}  // namespace kestrel::gvisor
