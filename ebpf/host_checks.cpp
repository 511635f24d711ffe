#include "ebpf/host_checks.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include <cerrno>
#include <cstring>

namespace kestrel::ebpf {
namespace {

constexpr const char* kFallbackHint =
    "; use the kernel module source instead (engine.kind=kmod; build it for this kernel with kestrel-driverkit build)";

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Status check_kernel_btf() {
  if (::access("/sys/kernel/btf/vmlinux", R_OK) == 0) return ok_status();
  return Status(StatusCode::kUnavailable,
                std::string("this kernel exposes no BTF (/sys/kernel/btf/vmlinux missing: it was built "
                            "without CONFIG_DEBUG_INFO_BTF=y), which the eBPF probe needs") +
                    kFallbackHint);
}

Status check_privileges() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0)
    return Status(StatusCode::kInternal, std::string("capget: ") + std::strerror(errno));
  uint64_t eff = data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  auto has = [&](int cap) { return (eff >> cap) & 1; };
  constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
  if (has(kCapSysAdmin) || (has(kCapBpf) && has(kCapPerfmon))) return ok_status();
  return Status(StatusCode::kPermissionDenied,
                std::string("the eBPF probe needs root (CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON) to load and "
                            "attach its programs; run kestrel as root") +
                    kFallbackHint);
}

Result<std::string> ensure_tracefs() {
  // libbpf looks in debugfs' tracing dir first when it exists, then here.
  for (const char* dir : {"/sys/kernel/debug/tracing/events", "/sys/kernel/tracing/events"})
    if (is_dir(dir)) return std::string(dir);
  if (::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0) {
    int err = errno;
    return Status(err == EPERM ? StatusCode::kPermissionDenied : StatusCode::kUnavailable,
                  std::string("tracefs is not mounted and mounting it at /sys/kernel/tracing failed (") +
                      std::strerror(err) +
                      "); the eBPF probe attaches to syscall tracepoints through it. Run "
                      "`mount -t tracefs tracefs /sys/kernel/tracing` as root");
  }
  if (!is_dir("/sys/kernel/tracing/events"))
    return Status(StatusCode::kUnavailable,
                  "tracefs mounted at /sys/kernel/tracing has no events/ directory "
                  "(kernel built without CONFIG_FTRACE_SYSCALLS?)");
  return std::string("/sys/kernel/tracing/events");
}

bool tracepoint_exists(const std::string& events_dir, std::string_view category, std::string_view name) {
  std::string path = events_dir;
  path.append("/").append(category).append("/").append(name);
  return is_dir(path);
}

Status bpf_error(std::string_view what, int err, std::string_view log_tail) {
  if (err < 0) err = -err;
  std::string msg(what);
  msg += " failed: ";
  msg += std::strerror(err);
  StatusCode code = StatusCode::kUnavailable;
  if (err == EPERM || err == EACCES) {
    code = StatusCode::kPermissionDenied;
    msg += ". Loading the eBPF probe needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)";
    if (::geteuid() == 0) msg += "; running as root, so BPF may be restricted on this host (lockdown?)";
    msg += kFallbackHint;
  } else if (err == ENOSYS || err == EOPNOTSUPP) {
    msg += ". This kernel lacks BPF support the probe needs (ring buffers need Linux >= 5.8)";
    msg += kFallbackHint;
  }
  if (!log_tail.empty()) {
    msg += "\nlibbpf log (tail):\n";
    msg += log_tail;
  }
  return Status(code, std::move(msg));
}

bool kernel_has_function(const char* name) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return false;
  bool found = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
  btf__free(vmlinux);
  return found;
}

}  // namespace kestrel::ebpf
