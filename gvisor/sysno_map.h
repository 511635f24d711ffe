// sysno_map.h — syscall numbers in gVisor points to Kestrel event types.
//
// One gVisor message often serves several syscalls (Open: open, openat,
// creat) and carries the syscall number; the raw point carries nothing but
// the number. gVisor numbers syscalls as the native kernel does on the
// sandbox's architecture, which is ours, so the mapping comes from the same
// libseccomp-backed table the kernel sources use (syscall_event_map), never
// from a hand-copied list.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace kestrel::gvisor {

class SysnoMap {
 public:
  // Syscall numbers above this are never mapped (no arch we support has them).
  static constexpr uint64_t kMaxSysno = 1023;

  // The table for the native architecture, built once.
  static const SysnoMap& native();

  // Event type reporting syscall `sysno`, or KE_NONE when there is none.
  uint16_t event_for(uint64_t sysno) const { return sysno <= kMaxSysno ? by_nr_[sysno] : 0; }
  // Native syscall number that event type `type` reports, if any.
  std::optional<int> nr_for(uint16_t type) const;

 private:
  SysnoMap();
  std::array<uint16_t, kMaxSysno + 1> by_nr_{};
  std::array<int, 1024> by_type_{};  // -1: no syscall
};

}  // namespace kestrel::gvisor
