#include "gvisor/sysno_map.h"

#include "sources/abi/kestrel_event.h"
#include "sources/event/syscall_table.h"

namespace kestrel::gvisor {

static_assert(KE_COUNT <= 1024, "SysnoMap::by_type_ must cover every event type");

SysnoMap::SysnoMap() {
  by_type_.fill(-1);
  for (const SyscallEventMapping& m : syscall_event_map(native_arch())) {
    if (m.nr < 0 || static_cast<uint64_t>(m.nr) > kMaxSysno) continue;
    by_nr_[m.nr] = m.event_type;
    if (m.event_type < by_type_.size()) by_type_[m.event_type] = m.nr;
  }
}

const SysnoMap& SysnoMap::native() {
  static const SysnoMap map;
  return map;
}

std::optional<int> SysnoMap::nr_for(uint16_t type) const {
  if (type >= by_type_.size() || by_type_[type] < 0) return std::nullopt;
  return by_type_[type];
}

}  // namespace kestrel::gvisor
