#include "state/proc_scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <charconv>

#include "state/container_id.h"
#include "state/proc_fd.h"
#include "state/proc_io.h"
#include "state/proc_parse.h"
#include "state/process_params.h"

namespace kestrel {
namespace {


std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

std::vector<std::string> split_nul(const std::string& s) {
  return split_string_array(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// The kernel's userspace device encoding (new_encode_dev), as events carry it.
uint32_t encode_dev(dev_t dev) {
  uint32_t major = ::major(dev), minor = ::minor(dev);
  return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

// "flags:\t02100002" in /proc/PID/fdinfo/N (octal).
std::optional<uint32_t> fdinfo_flags(const std::string& text) {
  size_t pos = text.find("flags:");
  if (pos == std::string::npos) return std::nullopt;
  pos = text.find_first_not_of(" \t", pos + 6);
  if (pos == std::string::npos) return std::nullopt;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), v, 8);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

}  // namespace

namespace {
std::optional<std::string> cgroup2_root_for(const ProcScanOptions& o) {
  if (!o.cgroup2_root) return detect_cgroup2_root(o.root);
  if (o.cgroup2_root->empty()) return std::nullopt;
  return o.cgroup2_root;
}
}  // namespace

ProcScanner::ProcScanner(ProcScanOptions options)
    : options_(std::move(options)), cgroups_(cgroup2_root_for(options_)) {
  long hz = ::sysconf(_SC_CLK_TCK);
  if (hz > 0) ticks_per_second_ = static_cast<uint64_t>(hz);
}

Result<std::vector<ThreadInfo>> ProcScanner::scan() {
  std::vector<int64_t> pids = list_numeric_entries(options_.root);
  if (pids.empty() && ::access(options_.root.c_str(), R_OK | X_OK) != 0)
    return Status(StatusCode::kUnavailable,
                  "cannot list " + options_.root + ": is procfs mounted and readable by this user?");
  std::vector<ThreadInfo> out;
  cgroups_.clear_cache();  // controllers get enabled between scans
  for (int64_t pid : pids) {
    auto threads = scan_one(pid);
    if (!threads) continue;
    for (ThreadInfo& t : *threads) out.push_back(std::move(t));
  }
  cgroups_.clear_cache();
  stats_.cgroups_v2_unresolved = cgroups_.unresolved_v2();
  return out;
}

std::optional<std::vector<ThreadInfo>> ProcScanner::scan_process(int64_t pid) {
  cgroups_.clear_cache();
  auto out = scan_one(pid);
  stats_.cgroups_v2_unresolved = cgroups_.unresolved_v2();
  return out;
}

std::optional<std::vector<ThreadInfo>> ProcScanner::scan_one(int64_t pid) {
  if (boot_time_s_ == 0) {
    if (auto text = read_text_file(options_.root + "/stat")) boot_time_s_ = parse_boot_time(*text).value_or(0);
  }
  const std::string dir = options_.root + "/" + std::to_string(pid);
  std::optional<ThreadInfo> leader = read_thread(dir, pid, pid);
  if (!leader) {
    ++stats_.vanished;
    return std::nullopt;
  }
  read_process_fields(dir, *leader);
  if (options_.fds) read_fds(dir, *leader);
  ++stats_.processes;
  ++stats_.threads;

  std::vector<ThreadInfo> out;
  out.push_back(std::move(*leader));
  if (!options_.threads) return out;
  for (int64_t tid : list_numeric_entries(dir + "/task")) {
    if (tid == pid) continue;
    std::optional<ThreadInfo> t = read_thread(dir + "/task/" + std::to_string(tid), tid, pid);
    if (!t) continue;  // the thread ended; its process is still fine
    const ThreadInfo& p = out.front();
    // Threads share the process's memory image, fs and cgroups.
    t->exe = p.exe;
    t->exepath = p.exepath;
    t->exe_ino = p.exe_ino;
    t->exe_ino_ctime = p.exe_ino_ctime;
    t->exe_ino_mtime = p.exe_ino_mtime;
    t->args = p.args;
    t->env = p.env;
    t->cwd = p.cwd;
    t->root = p.root;
    t->loginuid = p.loginuid;
    t->cgroups = p.cgroups;
    t->container_id = p.container_id;
    t->container_full_id = p.container_full_id;
    t->container_type = p.container_type;
    ++stats_.threads;
    out.push_back(std::move(*t));
  }
  return out;
}

std::optional<ThreadInfo> ProcScanner::read_thread(const std::string& dir, int64_t tid, int64_t pid) {
  auto stat_text = read_text_file(dir + "/stat", 4096);
  if (!stat_text) return std::nullopt;
  auto stat = parse_proc_stat(*stat_text);
  if (!stat) return std::nullopt;
  auto status_text = read_text_file(dir + "/status", 16384);
  if (!status_text) return std::nullopt;
  ProcStatus status = parse_proc_status(*status_text);

  ThreadInfo t;
  t.domain = options_.domain;
  t.tid = tid;
  t.pid = status.tgid != 0 ? status.tgid : pid;
  t.ptid = status.ppid != 0 ? status.ppid : stat->ppid;
  t.sid = stat->session;
  t.pgid = stat->pgrp;
  t.vtid = status.vtid != 0 ? status.vtid : tid;
  t.vpid = status.vpid != 0 ? status.vpid : t.pid;
  // comm holds the exact 15-byte name; stat's copy is the fallback.
  auto comm = read_text_file(dir + "/comm", 64);
  t.comm = comm ? trim_newline(*comm) : stat->comm;
  t.uid = status.uid;
  t.euid = status.euid;
  t.gid = status.gid;
  t.egid = status.egid;
  t.cap_inheritable = status.cap_inheritable;
  t.cap_permitted = status.cap_permitted;
  t.cap_effective = status.cap_effective;
  t.tty = stat->tty_nr;
  if (boot_time_s_ != 0) t.start_ts = start_time_ns(boot_time_s_, stat->starttime, ticks_per_second_);
  return t;
}

void ProcScanner::read_process_fields(const std::string& dir, ThreadInfo& t) {
  if (auto exe = read_link(dir + "/exe")) {
    t.exepath = *exe;
    // An unlinked binary: the path it was run from, marked by the kernel.
    constexpr std::string_view kDeleted = " (deleted)";
    if (std::string_view(t.exepath).ends_with(kDeleted)) {
      t.exepath.resize(t.exepath.size() - kDeleted.size());
      // A program run from a memfd (fileless execution) shows as one.
      if (t.exepath.starts_with("/memfd:")) t.exe_flags |= KESTREL_EXE_FROM_MEMFD;
    }
  }
  // The image's inode, as the exec event would have carried it: stat
  // follows the exe link to the file the process runs (a memfd too).
  struct stat st {};
  if (::stat((dir + "/exe").c_str(), &st) == 0) {
    t.exe_ino = st.st_ino;
    t.exe_ino_ctime = timespec_ns(st.st_ctim);
    t.exe_ino_mtime = timespec_ns(st.st_mtim);
  }
  if (auto cmdline = read_text_file(dir + "/cmdline", options_.max_args_bytes)) {
    std::vector<std::string> argv = split_nul(*cmdline);
    if (!argv.empty()) {
      t.exe = std::move(argv.front());
      t.args.assign(std::make_move_iterator(argv.begin() + 1), std::make_move_iterator(argv.end()));
    }
  }
  if (t.exe.empty()) t.exe = t.comm;  // kernel threads have no cmdline
  if (options_.env) {
    if (auto environ = read_text_file(dir + "/environ", 65536)) t.env = split_nul(*environ);
  }
  t.cwd = read_link(dir + "/cwd").value_or("");
  t.root = read_link(dir + "/root").value_or("");
  if (auto loginuid = read_text_file(dir + "/loginuid", 32)) {
    uint32_t v = 0;
    std::string s = trim_newline(*loginuid);
    if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc()) t.loginuid = v;
  }
  if (auto cgroup = read_text_file(dir + "/cgroup", 65536)) {
    std::string_view rest = *cgroup;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      cgroups_.add_line(line, t.cgroups);
      if (!t.container_id.empty()) continue;  // the first match names the container
      if (auto m = match_container_cgroup(line)) {
        t.container_id = m->short_id();
        t.container_full_id = m->full_id;
        t.container_type = m->runtime;
      }
    }
  }
}

const ProcSocketMap& ProcScanner::sockets_for(const std::string& dir) {
  // Sockets are per network namespace: one read of the tables per netns.
  // Without a readable ns link (a fake tree, no privileges) fall back to
  // the root's own net/ directory.
  std::optional<std::string> ns = read_link(dir + "/ns/net");
  std::string key = ns.value_or("");
  auto it = netns_sockets_.find(key);
  if (it != netns_sockets_.end()) return it->second;
  ++stats_.netns_scanned;
  ProcSocketMap map = read_proc_net(ns ? dir + "/net" : options_.root + "/net");
  return netns_sockets_.emplace(std::move(key), std::move(map)).first->second;
}

void ProcScanner::read_fds(const std::string& dir, ThreadInfo& t) {
  const std::string fd_dir = dir + "/fd";
  std::vector<int64_t> fds = list_numeric_entries(fd_dir);
  if (fds.empty() && ::access(fd_dir.c_str(), R_OK | X_OK) != 0) {
    ++stats_.fds_unreadable;
    return;
  }
  if (fds.size() > options_.max_fds_per_process) {
    ++stats_.fds_truncated;
    fds.resize(options_.max_fds_per_process);
  }
  const ProcSocketMap* sockets = nullptr;
  for (int64_t fd : fds) {
    const std::string path = fd_dir + "/" + std::to_string(fd);
    std::optional<std::string> link = read_link(path);
    if (!link) continue;  // closed since the listing
    if (sockets == nullptr && link->starts_with("socket:[")) sockets = &sockets_for(dir);
    struct stat st {};
    bool have_stat = link->starts_with('/') && ::stat(path.c_str(), &st) == 0;
    FdInfo f = classify_fd_link(fd, *link, have_stat && S_ISDIR(st.st_mode), sockets);
    if (have_stat) {
      f.ino = st.st_ino;
      f.dev = encode_dev(st.st_dev);
    }
    if (auto info = read_text_file(dir + "/fdinfo/" + std::to_string(fd), 4096)) {
      if (auto flags = fdinfo_flags(*info)) f.open_flags = *flags;
    }
    ++stats_.fds;
    t.fds.push_back(std::move(f));
  }
}

}  // namespace kestrel
