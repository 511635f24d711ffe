#include "state/pidns_start.h"

#include <sys/stat.h>
#include <unistd.h>

#include "state/proc_io.h"
#include "state/proc_parse.h"

namespace kestrel {

PidNamespaceStarts::PidNamespaceStarts(std::string proc_root) : proc_root_(std::move(proc_root)) {
  long hz = ::sysconf(_SC_CLK_TCK);
  if (hz > 0) ticks_per_second_ = static_cast<uint64_t>(hz);
}

std::optional<uint64_t> PidNamespaceStarts::namespace_of(int64_t pid) const {
  struct stat st {};
  if (::stat((proc_root_ + "/" + std::to_string(pid) + "/ns/pid").c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_ino);
}

std::optional<uint64_t> PidNamespaceStarts::start_of(int64_t pid) {
  if (boot_time_s_ == 0) {
    if (auto text = read_text_file(proc_root_ + "/stat")) boot_time_s_ = parse_boot_time(*text).value_or(0);
    if (boot_time_s_ == 0) return std::nullopt;
  }
  auto text = read_text_file(proc_root_ + "/" + std::to_string(pid) + "/stat", 4096);
  if (!text) return std::nullopt;
  auto stat = parse_proc_stat(*text);
  if (!stat) return std::nullopt;
  return start_time_ns(boot_time_s_, stat->starttime, ticks_per_second_);
}

std::optional<int64_t> PidNamespaceStarts::find_init(int64_t pid, uint64_t ns) {
  // A process's pid namespace is its parent's or a descendant of it
  // (setns can only enter a descendant), so up a chain of parents the
  // nesting depth never grows and an equal depth is the same namespace:
  // depth (NStgid entries) tells where the chain leaves it, without the
  // ptrace access stat-ing /proc/PID/ns/pid needs (pid 1's may be denied).
  int depth = 0;
  int64_t p = pid;
  for (int step = 0; step < kMaxWalk && p > 0; ++step) {
    auto text = read_text_file(proc_root_ + "/" + std::to_string(p) + "/status", 16384);
    if (!text) break;
    ProcStatus status = parse_proc_status(*text);
    if (status.pid_ns_depth == 0) break;  // no NStgid: cannot tell
    if (depth == 0) {
      depth = status.pid_ns_depth;
      // The namespace of this /proc: its init is pid 1.
      if (depth == 1) return 1;
    }
    if (status.pid_ns_depth != depth) break;
    if (status.vpid == 1) return p;
    p = status.ppid;
  }
  // Entered from outside (setns: nsenter, docker exec): look for it.
  ++stats_.scans;
  for (int64_t q : list_numeric_entries(proc_root_)) {
    if (namespace_of(q) != ns) continue;
    auto text = read_text_file(proc_root_ + "/" + std::to_string(q) + "/status", 16384);
    if (text && parse_proc_status(*text).vpid == 1) return q;
  }
  ++stats_.not_found;
  return std::nullopt;
}

std::optional<uint64_t> PidNamespaceStarts::init_start_ts(int64_t pid) {
  std::optional<uint64_t> ns = pid > 0 ? namespace_of(pid) : std::nullopt;
  if (!ns) {
    ++stats_.gone;
    return std::nullopt;
  }
  if (Entry* e = cache_.find_and_touch(*ns)) {
    // pid 1 is the init of this /proc's own namespace, which never ends.
    if (e->init_pid == 1 || namespace_of(e->init_pid) == *ns) {
      ++stats_.cache_hits;
      return e->start_ts;
    }
    cache_.erase(*ns);  // that namespace died and its inode number was reused
  }
  ++stats_.lookups;
  std::optional<int64_t> init = find_init(pid, *ns);
  if (!init) return std::nullopt;
  std::optional<uint64_t> start = start_of(*init);
  if (!start) {
    ++stats_.gone;
    return std::nullopt;
  }
  *cache_.try_emplace_bounded(*ns, kMaxEntries, [](uint64_t, const Entry&) {}).first = Entry{*init, *start};
  return start;
}

}  // namespace kestrel
