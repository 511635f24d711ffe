// module_load.h — the collector loading kestrel.ko itself (engine.kmod.index,
// app/kmod_from_index.h), the way an operator's insmod would: finit_module
// on the artifact, then waiting for the module's device node.
//
// A refused load is explained, not just numbered: finit_module's errno is
// read together with what the kernel says about itself (module signature
// enforcement, lockdown, modules_disabled) and the artifact's vermagic, so
// the message names the remedy (sign the module, rebuild it for this
// kernel, run with CAP_SYS_MODULE, ...). The collector never unloads the
// module: like an insmod'ed one it stays for the next run.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"

namespace kestrel {

// The module registers a misc device named "kestrel" (kmod/module/kk_main.c,
// misc_register): the kernel publishes its numbers in sysfs at once, and
// devtmpfs creates /dev/kestrel from them shortly after.
inline constexpr const char* kKmodSysfsDev = "/sys/class/misc/kestrel/dev";

// What the kernel and the artifact say, to explain a refusal.
struct ModuleLoadFacts {
  bool sig_enforce = false;    // /sys/module/module/parameters/sig_enforce is Y
  std::string lockdown;        // /sys/kernel/security/lockdown's mode ("none", "integrity", ...); "" unknown
  bool modules_disabled = false;  // /proc/sys/kernel/modules_disabled is 1
  std::string kernel_release;  // uname -r
  std::string vermagic;        // the artifact's (.modinfo), or why it cannot be read
};
ModuleLoadFacts read_module_load_facts(const std::string& ko_path);

// The vermagic string of a kernel module file: the "vermagic=" entry of its
// .modinfo section (a 64-bit little-endian ELF: amd64 and arm64 modules).
// Errors name the file and what is wrong with it.
Result<std::string> read_module_vermagic(const std::string& ko_path);

// The error for finit_module failing on KO_PATH with ERR (an errno), with
// the remedy: EPERM (CAP_SYS_MODULE, lockdown, modules_disabled),
// EKEYREJECTED/ENOKEY/EBADMSG/ENODATA/ENOPKG (signature), ENOEXEC (vermagic),
// ENOENT (an unknown symbol), ENOSYS (no module support), else errno's text.
Status explain_module_load_error(int err, const std::string& ko_path, const ModuleLoadFacts& facts);

enum class ModuleLoadOutcome {
  kLoaded,         // finit_module succeeded
  kAlreadyLoaded,  // EEXIST: a module named kestrel is loaded already
};
// finit_module(fd, "", 0) on KO_PATH. Needs CAP_SYS_MODULE.
Result<ModuleLoadOutcome> load_module_file(const std::string& ko_path);

enum class DeviceNodeOutcome {
  kPresent,  // the node exists (devtmpfs made it, or it was there)
  kCreated,  // created here from sysfs's major:minor (mode 0600)
};
// Waits (at most TIMEOUT) for DEVICE, a character device, after the module
// was loaded. When /dev is not devtmpfs, when the module was loaded before
// (devtmpfs made its node back then; someone removed it), or when TIMEOUT
// passes, the node is created from SYSFS_DEV ("major:minor"). Errors: the
// module has no device in sysfs (it did not register one), or mknod fails.
Result<DeviceNodeOutcome> ensure_module_device(const std::string& device, const std::string& sysfs_dev,
                                               bool loaded_before, std::chrono::milliseconds timeout);

}  // namespace kestrel
