// machine_directory.h — which machine each domain's events come from: the
// host itself, or a VM guest / remote node whose stream a RemoteSource
// ingests (sources/remote/remote_source.h) or a central reads off the
// fleet bus (fleet/nats_event_source.h); both register through
// sources/remote/remote_domains.h. The fields vm.name, vm.id,
// machine.hypervisor and machine.kernel (engine/eval/extract_machine.cpp)
// read it.
//
// Identity is set once per domain when its first hello arrives and never
// changes or goes away (domains are never reused), so find() hands out a
// pointer valid for the directory's life. Thread-safe: the RemoteSource's
// reader thread registers, the engine thread finds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kestrel {

struct MachineIdentity {
  std::string vm_name;     // as the host knows the VM (see remote_source.h), else the guest's own name
  std::string vm_id;       // the VM's UUID (qemu -uuid, the guest's DMI product_uuid), else its stream id
  std::string hypervisor;  // machine environment's hypervisor ("kvm", "qemu", ...); "none" on bare metal
  std::string kernel;      // uname -r of that machine
  std::string hostname;    // the machine's own hostname
  std::string environment; // "bare-metal", "vm", "gvisor"
};

class MachineDirectory {
 public:
  // `local` answers for every domain not registered (the host and its
  // gVisor sandboxes, which run on the host's kernel).
  explicit MachineDirectory(MachineIdentity local) : local_(std::move(local)) {}

  // Registers `domain`'s identity; a second call for one domain is ignored.
  void add(uint32_t domain, MachineIdentity identity);
  // The registered identity, or the local one; never null.
  const MachineIdentity* find(uint32_t domain) const;
  bool is_remote(uint32_t domain) const;
  const MachineIdentity& local() const { return local_; }

 private:
  MachineIdentity local_;
  mutable std::mutex mu_;
  std::map<uint32_t, std::unique_ptr<const MachineIdentity>> remote_;
};

}  // namespace kestrel
