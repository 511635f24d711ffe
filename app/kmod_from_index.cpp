#include "app/kmod_from_index.h"

#include <sys/utsname.h>

#include "driverkit/driver_index.h"
#include "kmod/module_load.h"

namespace kestrel {

Result<KmodIndexLoad> load_kmod_from_index(const std::string& index_path, const std::string& device,
                                           std::chrono::milliseconds device_timeout) {
  KmodIndexLoad load;
  load.index = index_path;
  auto index = driverkit::read_index(index_path);
  if (!index.ok()) return Status(index.status().code(), "engine.kmod.index: " + index.status().message());
  struct utsname u {};
  if (::uname(&u) != 0) return Status(StatusCode::kUnavailable, "engine.kmod.index: uname failed");
  load.kernelrelease = u.release;
  // The index's name for this machine (amd64, arm64), else uname -m as it is.
  load.architecture = driverkit::debian_architecture(u.machine);
  if (load.architecture.empty()) load.architecture = u.machine;
  auto found = driverkit::lookup_kernel(*index, index_path, {load.kernelrelease, "", load.architecture});
  if (!found.found) return Status(StatusCode::kUnavailable, "engine.kmod.index: " + found.reason);
  load.artifact = found.artifact_path;
  load.sha256 = found.row->sha256;

  auto loaded = load_module_file(load.artifact);
  if (!loaded.ok()) return loaded.status();
  load.already_loaded = *loaded == ModuleLoadOutcome::kAlreadyLoaded;
  auto node = ensure_module_device(device, kKmodSysfsDev, load.already_loaded, device_timeout);
  if (!node.ok())
    return Status(node.status().code(), "loaded " + load.artifact + " from " + index_path + ", but " +
                                            node.status().message());
  load.node_created = *node == DeviceNodeOutcome::kCreated;
  return load;
}

std::string describe(const KmodIndexLoad& load) {
  std::string line = (load.already_loaded ? "the kestrel module was loaded already (finit_module: EEXIST) for "
                                          : "loaded the kestrel module ") +
                     load.artifact +
                     (load.sha256.empty() ? " (the index records no sha256: not checked)"
                                          : " (sha256 " + load.sha256 + ", checked)") +
                     " from the driver index " + load.index +
                     " for kernel " + load.kernelrelease + " (" + load.architecture + ")";
  if (load.node_created) line += "; created /dev/kestrel from " + std::string(kKmodSysfsDev);
  return line;
}

}  // namespace kestrel
