// monitor_server.h — the unix SOCK_SEQPACKET socket runsc sandboxes connect to.
//
// One listening socket, one connection per sandbox, all multiplexed on one
// epoll instance and served by the thread that calls poll_once(). open()
// does everything that needs privileges or filesystem access (mkdir, bind,
// chmod); poll_once() then needs only the syscalls listed in
// seccomp_confine.h, so the caller can confine its thread in between.
//
// Whoever can connect is untrusted (a sandbox, or any process with access
// to the 0660 socket), so connections are bounded three ways, each refusal
// or closure counted (ServerCounters) and reported by peer (take_refusals()):
//   - max_connections in total; one more is accepted and closed at once
//     ("max_connections");
//   - max_connections_per_peer per connecting process, by the SO_PEERCRED
//     pid ("per_peer"). Per pid, not per uid: every runsc sandbox runs as
//     root, so a uid limit would either refuse real sandboxes or bound
//     nothing, while each sandbox connects from its own runsc process (`runsc
//     create/run/do`, or the `runsc trace create` we start to attach) and
//     needs one connection per trace session. A peer whose pid the kernel
//     cannot tell (pid 0) shares one budget with all such peers.
//   - handshake_timeout: a connection that has not completed the handshake
//     by then is closed ("handshake_timeout"); poll_once() wakes up for the
//     earliest such deadline. runsc sends its handshake right after
//     connect(), so a few seconds is ample.
// A process that forks many children can still use up max_connections with
// connections that complete the handshake; the socket's mode (0660, root)
// is the boundary against that, and every refusal names the peer.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "gvisor/message_decoder.h"
#include "gvisor/sandbox_connection.h"
#include "base/status.h"

namespace kestrel::gvisor {

struct ServerOptions {
  std::string socket_path = "/run/kestrel/gvisor.sock";
  mode_t socket_mode = 0660;
  size_t max_connections = 1024;         // further connections are refused (closed)
  size_t max_connections_per_peer = 8;   // per SO_PEERCRED pid (>= 1); further ones refused
  std::chrono::milliseconds handshake_timeout{5000};  // then the connection is closed
  ConnectionLimits connection;
};

// Counters of one sandbox, live or closed.
struct SandboxStats {
  DomainId domain = 0;
  std::string container_id;
  bool open = false;
  std::string close_reason;
  uint32_t version = 0;
  PeerCredentials peer;
  uint64_t packets = 0, events = 0, filtered = 0;
  // sandbox_dropped: what its headers claim, each packet's share clamped to
  // kMaxDropsPerPacket (wire.h); drop_claims_clamped: packets that claimed
  // more. Claims of an untrusted sandbox: reported, never acted on.
  uint64_t sandbox_dropped = 0, drop_claims_clamped = 0;
  uint64_t malformed = 0, unknown_type = 0, too_large = 0;
  uint64_t param_mismatch = 0;  // records dropped: params against the table
  uint64_t bad_exe_sha256 = 0;  // execve digests of the wrong length, left out (the event is kept)
};

// Connections the server refused or closed before the handshake.
struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t refused_max_connections = 0;  // the total limit was reached
  uint64_t refused_per_peer = 0;         // the connecting process had its limit
  uint64_t handshake_timeouts = 0;       // closed: no handshake in time
  uint64_t accept_failed = 0;            // accept4 failed (e.g. out of fds)
};

// One peer the server refused, for a log line that names it. `count`
// refusals of that (pid, reason) since the last take_refusals().
struct RefusedPeer {
  PeerCredentials peer;
  std::string reason;  // "max_connections" or "per_peer"
  uint64_t count = 0;
};

class MonitorServer {
 public:
  explicit MonitorServer(ServerOptions options);
  ~MonitorServer();
  MonitorServer(const MonitorServer&) = delete;
  MonitorServer& operator=(const MonitorServer&) = delete;

  // Creates the socket's directory if missing, replaces a stale socket file,
  // binds, sets the mode, listens, sets up epoll and a wake-up eventfd.
  Status open();
  const std::string& socket_path() const { return options_.socket_path; }

  // Waits up to `timeout_ms` for activity (less when a handshake deadline
  // comes first), accepts sandboxes, performs handshakes, decodes the
  // packets that are ready into `out`, and closes connections whose
  // handshake deadline passed. Returns false only if epoll itself failed
  // (the server is unusable).
  bool poll_once(int timeout_ms, MessageDecoder& decoder, RecordArena& out);

  // Makes a poll_once() in progress return early. Thread-safe.
  void wake();

  // Counters of every sandbox seen (closed ones are kept, up to a bound;
  // connections closed for handshake_timeout are only counted). Call from
  // the polling thread, or with polling paused; likewise the two below.
  std::vector<SandboxStats> sandbox_stats() const;
  // The sum of every connection's counters since open(), closed ones
  // included even after sandbox_stats() has forgotten them (so totals never
  // go down). Identity fields are empty.
  SandboxStats sandbox_totals() const;
  const ServerCounters& counters() const { return counters_; }
  // The refusals since the last call, one entry per (pid, reason), at most
  // kMaxRefusedPeersKept entries (later peers are only in counters()).
  std::vector<RefusedPeer> take_refusals();
  static constexpr size_t kMaxRefusedPeersKept = 64;
  size_t open_connections() const { return conns_.size(); }

  // Closes every fd and removes the socket file. Idempotent.
  void close();

  // ---- attaching to running sandboxes (sandbox_attach.h) -----------------
  // A DomainId no connection has or will get. Thread-safe.
  DomainId reserve_domain() { return next_domain_.fetch_add(1); }
  // The next connection whose peer (SO_PEERCRED at connect time) is process
  // `pid` gets `domain` instead of a fresh one. `runsc trace create` opens
  // the connection itself and hands it to the sandbox, so its pid names the
  // sandbox exactly. Thread-safe; forget_peer() drops an unused entry.
  void expect_peer(pid_t pid, DomainId domain);
  void forget_peer(pid_t pid);
  // Connections that were given an expected domain (for tests and stats).
  uint64_t attached_connections() const { return attached_.load(); }

 private:
  void accept_all();
  // Why a new connection from `peer` is refused, or nullptr.
  const char* refusal_for(const PeerCredentials& peer) const;
  void note_refusal(const PeerCredentials& peer, const char* reason);
  void retire(int fd);
  // Closes connections whose handshake deadline passed; returns the
  // milliseconds until the next deadline (-1: none).
  int expire_handshakes();

  ServerOptions options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<DomainId> next_domain_{1};
  std::mutex expect_mu_;
  std::map<pid_t, DomainId> expected_;  // guarded by expect_mu_
  std::atomic<uint64_t> attached_{0};
  std::vector<uint8_t> buf_;
  std::map<int, std::unique_ptr<GvisorConnection>> conns_;
  std::map<pid_t, size_t> per_peer_;  // open connections by peer pid
  // Handshake deadlines in accept order (all share one timeout, so this is
  // sorted); entries of connections gone or past the handshake are skipped.
  struct Deadline {
    GvisorConnection::Clock::time_point at;
    int fd;
    DomainId domain;
  };
  std::deque<Deadline> deadlines_;
  bool listening_ = true;  // false while accept4 is out of fds (see accept_all)
  GvisorConnection::Clock::time_point resume_listening_;
  std::vector<SandboxStats> closed_;  // most recent last, bounded
  SandboxStats retired_totals_;       // counters of every closed connection
  ServerCounters counters_;
  std::vector<RefusedPeer> refusals_;  // since the last take_refusals(), bounded
};

}  // namespace kestrel::gvisor
