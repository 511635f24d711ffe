// thread_info.h — what Kestrel knows about a thread and its fds.
//
// Plain data: the thread table keeps these, capture files persist them as
// the initial snapshot, sources that scan (/proc, runsc procfs) return them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kestrel {

// The kinds of fd, with Falco's fd.typechar letters.
enum class FdType : char {
  kUnknown = '?',
  kFile = 'f',
  kDirectory = 'd',
  kIpv4 = '4',
  kIpv6 = '6',
  kUnix = 'u',
  kPipe = 'p',
  kEvent = 'e',
  kSignalFd = 's',
  kEventPoll = 'l',
  kInotify = 'i',
  kTimerFd = 't',
  kNetlink = 'n',
  kMemfd = 'm',
  kBpf = 'b',
  kUserfaultfd = 'v',  // not in Falco; ours
  kIoUring = 'r',
};

// One value of a field a plugin added to a state table (add_table_field):
// numbers and bools as the bits of their ss_plugin_state_data member,
// strings copied. Kept with the row it belongs to, so it lives and dies
// (close, dup, exit) with that row.
struct PluginFieldValue {
  uint64_t bits = 0;
  std::string str;
};

struct FdInfo {
  int64_t fd = -1;
  FdType type = FdType::kUnknown;
  std::string name;            // path for files; "sip:sport->dip:dport" for sockets
  uint32_t open_flags = 0;     // as passed to open()
  std::vector<uint8_t> tuple;  // SOCKTUPLE encoding for connected sockets, else empty
  uint8_t l4proto = 0;         // IPPROTO_TCP / IPPROTO_UDP for sockets
  bool listening = false;
  uint64_t ino = 0;
  uint32_t dev = 0;
  // What Falco's libs also keep per fd (sinsp_fdinfo), shown to plugins in
  // the threads table's "file_descriptors" sub-table under libs' names:
  std::string name_raw;   // files: the path as the open call passed it
  std::string old_name;   // the name before the last event that renamed the fd
  uint32_t flags = 0;     // libs' sinsp_fdinfo FLAGS_* bits (FdFlag below)
  uint32_t mount_id = 0;  // as a plugin wrote it: Kestrel reads no mount ids
  int64_t pid = 0;        // pidfds' target, as a plugin wrote it (not tracked)
  // Values of the fields plugins added to "file_descriptors", by slot.
  std::vector<PluginFieldValue> plugin_values;
};

// The sinsp_fdinfo::flags bits Kestrel sets (libs' values, for plugins).
enum FdFlag : uint32_t {
  kFdFlagFromProc = 1u << 0,           // found by the /proc scan
  kFdFlagRoleClient = 1u << 2,         // connect()ed
  kFdFlagRoleServer = 1u << 3,         // accept()ed
  kFdFlagSocketConnected = 1u << 13,
  kFdFlagConnectionPending = 1u << 15,  // a non-blocking connect in progress
  kFdFlagConnectionFailed = 1u << 16,
};

struct ThreadInfo {
  uint32_t domain = 0;  // DomainId: 0 = host
  int64_t tid = 0;
  int64_t pid = 0;   // tgid
  int64_t ptid = 0;  // parent's tid (for a process: the parent process)
  int64_t sid = 0;
  int64_t pgid = 0;
  int64_t vtid = 0;  // ids inside the thread's pid namespace
  int64_t vpid = 0;
  std::string comm;     // task name (proc.name)
  std::string exe;      // argv[0] as executed (proc.exe)
  std::string exepath;  // full path of the executable (proc.exepath)
  std::vector<std::string> args;  // argv[1..]
  std::vector<std::string> env;
  std::string cwd;
  std::string root;  // chroot dir, "/" if none
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
  uint32_t loginuid = UINT32_MAX;  // -1: not set
  uint32_t tty = 0;
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
  std::string container_id;  // "" on the host; the sandbox id in gVisor
  uint64_t start_ts = 0;     // ns since epoch
  // The running image's inode: number, status-change and modification
  // times (ns since epoch), from the exec event (or the /proc scan); a
  // clone inherits its creator's. 0: the source did not say.
  uint64_t exe_ino = 0, exe_ino_ctime = 0, exe_ino_mtime = 0;
  uint32_t exe_flags = 0;    // EXE_* (symbol_sets.def)
  // The image's SHA-256 in lower-case hex when the exec event carried it
  // (execve's exe_sha256: gVisor's binary_sha256), else "" (host processes
  // are hashed on demand instead, state/exe_digest.h); a clone inherits it.
  std::string exe_sha256;
  // Started by an exec session into a sandbox (`runsc exec`, `kubectl
  // exec`), or a descendant of one: newer gVisor marks such tasks
  // (ContextData.is_exec_session); children inherit it (proc.is_exec_session).
  bool exec_session = false;
  std::vector<FdInfo> fds;   // only filled on the thread-group leader
  // (controller, path) per cgroup membership, as Falco's thread "cgroups":
  // from the event's cgroups param ("cpuset=/docker/<id>") or
  // /proc/PID/cgroup ("4:cpuset:/docker/<id>"; cgroup v2's "0::/path"
  // names no controller and gives ("", path)). Shown to plugins only.
  std::vector<std::pair<std::string, std::string>> cgroups;
  // Appended by the state tables (container.full_id, container.type):
  // container_id above is the 12-char short id, as Falco's container.id.
  std::string container_full_id;  // 64-hex id from the cgroup path, "" if none
  std::string container_type;     // "docker", "containerd", "cri-o", "podman", ""
};

}  // namespace kestrel
