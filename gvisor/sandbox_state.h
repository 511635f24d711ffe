// sandbox_state.h — what the decoder remembers about one connected sandbox.
//
// Each runsc sandbox is its own pid namespace, so each connection gets its
// own DomainId and its own counters; two sandboxes may report the same tids
// without mixing. Owned by the connection, touched only by the parser thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gvisor/wire.h"
#include "sources/source.h"

namespace kestrel::gvisor {

// The highest MessageType we know (MESSAGE_SYSCALL_PTRACE; the 2022-12 runsc
// sends up to 34, MESSAGE_SYSCALL_WRITE).
inline constexpr uint16_t kMaxKnownMessageType = 38;

struct SandboxState {
  explicit SandboxState(DomainId d = kHostDomain) : domain(d) {}

  DomainId domain;
  // The id of the first container seen (container/start or any context);
  // a pod sandbox may run more, listed in `containers`.
  std::string container_id;
  std::vector<std::string> containers;  // each announced once, bounded

  DropCounter drops;           // points the sandbox says it dropped
  uint64_t packets = 0;        // packets after the handshake
  uint64_t events = 0;         // records produced
  uint64_t malformed = 0;      // bad header, bad protobuf, absurd values
  uint64_t unknown_type = 0;   // message types we do not know
  uint64_t too_large = 0;      // packets above the size cap (counted by the reader)
  uint64_t filtered = 0;       // decoded but not wanted by the event filter
  uint64_t param_mismatch = 0;  // records a converter wrote against the table (not emitted)
  uint64_t bad_exe_sha256 = 0;  // ExecveInfo.binary_sha256 not 32 bytes: left out of the execve
  std::array<uint64_t, kMaxKnownMessageType + 1> by_type{};
};

}  // namespace kestrel::gvisor
