// sandbox_connection.h — one runsc sandbox connected to the monitoring socket.
//
// Owns the connected SOCK_SEQPACKET fd and the sandbox's SandboxState. The
// first packet must be the Handshake (wire.h); after our reply the
// connection only reads. Used by MonitorServer on the parser thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "gvisor/message_decoder.h"
#include "gvisor/record_arena.h"
#include "gvisor/sandbox_state.h"

namespace kestrel::gvisor {

struct ConnectionLimits {
  size_t max_packet = 256 * 1024;  // larger packets are dropped (too_large)
  uint64_t max_malformed = 100;    // close the connection after this many
  size_t max_packets_per_round = 512;  // fairness between sandboxes
};

// Who opened the connection: SO_PEERCRED at connect time (pid 0 when the
// kernel could not tell, e.g. a peer in a pid namespace we cannot see).
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
};

class GvisorConnection {
 public:
  enum class Phase { kHandshake, kStreaming, kClosed };
  using Clock = std::chrono::steady_clock;

  GvisorConnection(int fd, DomainId domain, PeerCredentials peer = {}, Clock::time_point accepted = Clock::now());
  ~GvisorConnection();
  GvisorConnection(const GvisorConnection&) = delete;
  GvisorConnection& operator=(const GvisorConnection&) = delete;

  int fd() const { return fd_; }
  Phase phase() const { return phase_; }
  const SandboxState& state() const { return state_; }
  const PeerCredentials& peer() const { return peer_; }
  Clock::time_point accepted_at() const { return accepted_; }
  // Why the connection closed ("" while open): "eof", "bad_handshake",
  // "old_version", "too_many_malformed", "io_error", "handshake_timeout"
  // (set by MonitorServer).
  const char* close_reason() const { return close_reason_; }
  uint32_t sandbox_version() const { return version_; }

  // Reads what is available without blocking (up to max_packets_per_round
  // packets): the handshake first, then packets through `decoder` into
  // `out`. `buf` is scratch space the caller reuses across connections.
  // Afterwards phase() tells whether to keep the connection.
  void on_readable(MessageDecoder& decoder, RecordArena& out, std::vector<uint8_t>& buf,
                   const ConnectionLimits& limits);

  // Closes the fd (idempotent); `reason` is kept for stats.
  void close(const char* reason);

 private:
  void handshake(std::span<const uint8_t> packet);

  int fd_;
  PeerCredentials peer_;
  Clock::time_point accepted_;
  Phase phase_ = Phase::kHandshake;
  const char* close_reason_ = "";
  uint32_t version_ = 0;
  SandboxState state_;
};

}  // namespace kestrel::gvisor
