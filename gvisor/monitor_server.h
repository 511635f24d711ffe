// monitor_server.h — the unix SOCK_SEQPACKET socket runsc sandboxes connect to.
//
// One listening socket, one connection per sandbox, all multiplexed on one
// epoll instance and served by the thread that calls poll_once(). open()
// does everything that needs privileges or filesystem access (mkdir, bind,
// chmod); poll_once() then needs only the syscalls listed in
// seccomp_confine.h, so the caller can confine its thread in between.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "gvisor/message_decoder.h"
#include "gvisor/sandbox_connection.h"
#include "sources/base/status.h"

namespace kestrel::gvisor {

struct ServerOptions {
  std::string socket_path = "/run/kestrel/gvisor.sock";
  mode_t socket_mode = 0660;
  size_t max_connections = 1024;  // further sandboxes are refused (closed)
  ConnectionLimits connection;
};

// Counters of one sandbox, live or closed.
struct SandboxStats {
  DomainId domain = 0;
  std::string container_id;
  bool open = false;
  std::string close_reason;
  uint32_t version = 0;
  uint64_t packets = 0, events = 0, filtered = 0;
  uint64_t sandbox_dropped = 0, malformed = 0, unknown_type = 0, too_large = 0;
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

  // Waits up to `timeout_ms` for activity, accepts sandboxes, performs
  // handshakes and decodes the packets that are ready into `out`. Returns
  // false only if epoll itself failed (the server is unusable).
  bool poll_once(int timeout_ms, MessageDecoder& decoder, RecordArena& out);

  // Makes a poll_once() in progress return early. Thread-safe.
  void wake();

  // Counters of every sandbox seen (closed ones are kept, up to a bound).
  // Call from the polling thread, or with polling paused.
  std::vector<SandboxStats> sandbox_stats() const;
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
  void retire(int fd);

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
  std::vector<SandboxStats> closed_;  // most recent last, bounded
};

}  // namespace kestrel::gvisor
