#include "state/machine_directory.h"

namespace kestrel {

void MachineDirectory::add(uint32_t domain, MachineIdentity identity) {
  std::lock_guard lock(mu_);
  remote_.try_emplace(domain, std::make_unique<const MachineIdentity>(std::move(identity)));
}

const MachineIdentity* MachineDirectory::find(uint32_t domain) const {
  if (domain == 0) return &local_;
  std::lock_guard lock(mu_);
  auto it = remote_.find(domain);
  return it == remote_.end() ? &local_ : it->second.get();
}

bool MachineDirectory::is_remote(uint32_t domain) const {
  std::lock_guard lock(mu_);
  return remote_.count(domain) != 0;
}

}  // namespace kestrel
