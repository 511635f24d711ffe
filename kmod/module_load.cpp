#include "kmod/module_load.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace kestrel {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "none [integrity] confidentiality" -> "integrity".
std::string selected_lockdown(const std::string& line) {
  auto open = line.find('[');
  auto close = line.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return "";
  return line.substr(open + 1, close - open - 1);
}

std::string errno_text(int err) { return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")"; }

// Whether /dev is a devtmpfs mount (the last mount on /dev wins), from
// mountinfo: "... <mount point> ... - <fstype> <source> <options>".
bool dev_is_devtmpfs() {
  std::ifstream in("/proc/self/mountinfo");
  bool devtmpfs = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point != "/dev") continue;
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string fstype;
    rest >> fstype;
    devtmpfs = fstype == "devtmpfs";
  }
  return devtmpfs;
}

bool is_char_device(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

Status create_node(const std::string& device, const std::string& sysfs_dev) {
  std::string numbers = first_line(sysfs_dev);
  unsigned major_nr = 0, minor_nr = 0;
  if (numbers.empty())
    return Status(StatusCode::kUnavailable, "the kestrel module is loaded but " + sysfs_dev +
                                                " does not exist: it registered no device (an old or foreign "
                                                "module named kestrel?); rmmod it and load this collector's");
  if (std::sscanf(numbers.c_str(), "%u:%u", &major_nr, &minor_nr) != 2)
    return Status(StatusCode::kCorrupt, sysfs_dev + " says \"" + numbers + "\", expected major:minor");
  if (::mknod(device.c_str(), S_IFCHR | 0600, makedev(major_nr, minor_nr)) != 0) {
    int err = errno;
    return Status(StatusCode::kUnavailable, "creating " + device + " (" + numbers + ", from " + sysfs_dev +
                                                "): mknod: " + errno_text(err));
  }
  return ok_status();
}

}  // namespace

Result<std::string> read_module_vermagic(const std::string& ko_path) {
  std::ifstream in(ko_path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot read " + ko_path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string& why) { return Status(StatusCode::kCorrupt, ko_path + ": " + why); };
  Elf64_Ehdr eh;
  if (bytes.size() < sizeof(eh)) return bad("too short for an ELF header");
  std::memcpy(&eh, bytes.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return bad("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return bad("not a 64-bit little-endian ELF (an amd64 or arm64 module is expected)");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum ||
      eh.e_shoff > bytes.size() || (bytes.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
    return bad("section headers out of bounds");
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, bytes.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
    return sh;
  };
  auto contents = [&](const Elf64_Shdr& sh) -> std::string_view {
    if (sh.sh_type == SHT_NOBITS || sh.sh_offset > bytes.size() || bytes.size() - sh.sh_offset < sh.sh_size) return {};
    return std::string_view(bytes).substr(sh.sh_offset, sh.sh_size);
  };
  std::string_view names = contents(section(eh.e_shstrndx));
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = section(i);
    if (sh.sh_name >= names.size()) continue;
    std::string_view name = names.substr(sh.sh_name);
    name = name.substr(0, name.find('\0'));
    if (name != ".modinfo") continue;
    // NUL-separated "key=value" strings, possibly with padding NULs.
    std::string_view info = contents(sh);
    for (size_t pos = 0; pos < info.size();) {
      size_t end = info.find('\0', pos);
      if (end == std::string_view::npos) end = info.size();
      std::string_view entry = info.substr(pos, end - pos);
      if (entry.starts_with("vermagic=")) return std::string(entry.substr(9));
      pos = end + 1;
    }
    return bad("its .modinfo has no vermagic (not a kernel module built by kbuild?)");
  }
  return bad("no .modinfo section (not a kernel module)");
}

ModuleLoadFacts read_module_load_facts(const std::string& ko_path) {
  ModuleLoadFacts facts;
  facts.sig_enforce = first_line("/sys/module/module/parameters/sig_enforce") == "Y";
  facts.lockdown = selected_lockdown(first_line("/sys/kernel/security/lockdown"));
  facts.modules_disabled = first_line("/proc/sys/kernel/modules_disabled") == "1";
  struct utsname u {};
  if (::uname(&u) == 0) facts.kernel_release = u.release;
  auto vermagic = read_module_vermagic(ko_path);
  facts.vermagic = vermagic.ok() ? *vermagic : "unreadable: " + vermagic.status().message();
  return facts;
}

Status explain_module_load_error(int err, const std::string& ko_path, const ModuleLoadFacts& facts) {
  const std::string what = "loading " + ko_path + ": finit_module: " + errno_text(err) + ": ";
  const std::string sign_remedy =
      "the kernel requires signed modules: sign with kestrel-driverkit build --signing-key/--signing-cert and "
      "enroll the key (mokutil --import, or a kernel built to trust it)";
  const bool locked_down = !facts.lockdown.empty() && facts.lockdown != "none";
  switch (err) {
    case EPERM:
      if (facts.modules_disabled)
        return Status(StatusCode::kPermissionDenied,
                      what + "module loading is disabled until reboot (/proc/sys/kernel/modules_disabled is 1): "
                             "load the module before it is set, or choose another engine");
      if (locked_down)
        return Status(StatusCode::kPermissionDenied,
                      what + "the kernel is locked down (" + facts.lockdown + ") and refuses this module; " +
                          sign_remedy);
      return Status(StatusCode::kPermissionDenied,
                    what + "loading a kernel module needs CAP_SYS_MODULE: run the collector as root (a container "
                           "needs the capability granted), or insmod the module beforehand");
    case EKEYREJECTED:
    case ENOKEY:
    case EBADMSG:
    case ENODATA:
    case ENOPKG:
      if (facts.sig_enforce || locked_down)
        return Status(StatusCode::kPermissionDenied,
                      what + "module.sig_enforce is on and the module's signature was refused; " + sign_remedy);
      return Status(StatusCode::kPermissionDenied,
                    what + "the kernel refused the module's signature or contents; if this kernel checks "
                           "signatures, " + sign_remedy + "; otherwise rebuild the module");
    case ENOEXEC:
      return Status(StatusCode::kUnavailable,
                    what + "built for another kernel: vermagic \"" + facts.vermagic + "\", this kernel is " +
                        facts.kernel_release + " (dmesg names the mismatch); rebuild it with kestrel-driverkit "
                        "build --kernelrelease " + facts.kernel_release + " and update the index");
    case ENOENT:
      return Status(StatusCode::kUnavailable,
                    what + "the module needs a symbol this kernel does not have (dmesg: \"Unknown symbol\"): it "
                           "was built against another build of " + facts.kernel_release + " (vermagic \"" +
                           facts.vermagic + "\"); rebuild it against this kernel's headers");
    case ENOSYS:
      return Status(StatusCode::kUnavailable,
                    what + "this kernel cannot load modules (built without CONFIG_MODULES); use the eBPF probe "
                           "(engine.kind=ebpf) on this kernel");
    default:
      return Status(StatusCode::kUnavailable, what + "the kernel refused the module (dmesg may say why)");
  }
}

Result<ModuleLoadOutcome> load_module_file(const std::string& ko_path) {
  int fd = ::open(ko_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Status(StatusCode::kNotFound, "cannot open the module " + ko_path + ": " + errno_text(err));
  }
  long rc = ::syscall(SYS_finit_module, fd, "", 0);
  int err = errno;
  ::close(fd);
  if (rc == 0) return ModuleLoadOutcome::kLoaded;
  if (err == EEXIST) return ModuleLoadOutcome::kAlreadyLoaded;
  return explain_module_load_error(err, ko_path, read_module_load_facts(ko_path));
}

Result<DeviceNodeOutcome> ensure_module_device(const std::string& device, const std::string& sysfs_dev,
                                               bool loaded_before, std::chrono::milliseconds timeout) {
  if (is_char_device(device)) return DeviceNodeOutcome::kPresent;
  // devtmpfs makes the node when the device registers; it will not make it
  // again for a module loaded earlier, and nothing makes it without devtmpfs.
  if (!loaded_before && dev_is_devtmpfs()) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (is_char_device(device)) return DeviceNodeOutcome::kPresent;
    }
  }
  if (Status s = create_node(device, sysfs_dev); !s.ok()) return s;
  return DeviceNodeOutcome::kCreated;
}

}  // namespace kestrel
