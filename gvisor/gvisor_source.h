// gvisor_source.h — the gVisor source: events from inside runsc sandboxes.
//
// Host-side eBPF sees nothing inside a gVisor sandbox (the Sentry answers the
// application's syscalls itself). Instead runsc streams its own view of each
// syscall and task to a monitoring socket (runsc --pod-init-config, see
// pod_init_config.h). GvisorSource listens on that socket and turns every
// point into the shared event record.
//
// Domains: each sandbox connection is its own pid namespace and gets its own
// DomainId (1, 2, ... in connection order, never reused while the source
// lives; a sandbox attached at open() gets the id reserved for it before it
// connects); every Event carries it. A `container` event (type gvisor) is
// emitted on container/start and on the first sight of any other container
// id in a sandbox.
//
// Threads: open() binds the socket, then starts one parser thread that owns
// the socket, confines itself with seccomp (seccomp_confine.h), accepts
// sandboxes and decodes their packets into a bounded queue. next() takes
// whatever is queued. When the queue is full the parser stops reading;
// runsc then drops points and reports them, and we count them
// ("sandbox_reported", per packet at most kMaxDropsPerPacket, wire.h).
// stats() is thread-safe.
//
// Untrusted peers: a sandbox's drop claims and its malformed packets, and
// the connections the server refused or timed out (monitor_server.h), are
// counted in stats().drops and listed in stats().untrusted_reasons, so the
// drop alarm (syscall_event_drops) never acts on them: a sandbox must not
// be able to raise Kestrel's alarm or stop it. next() logs them instead,
// naming the sandbox or process, rate limited (peer_report.h).
//
// Sandboxes already running: with attach.root set, open() also attaches to
// every running sandbox of that runsc root (sandbox_attach.h) and
// initial_state() returns their processes, each in the domain its
// connection gets. Failures are logged and counted (attach_report()); they
// never fail open().
//
// Factory for the app: make_gvisor_source(config); the CLI flag
// --gvisor-generate-config[=SOCKET] prints pod_init_config_json() and the
// engine.gvisor.* keys map onto GvisorSourceConfig.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gvisor/context.h"
#include "gvisor/message_decoder.h"
#include "gvisor/monitor_server.h"
#include "gvisor/peer_report.h"
#include "gvisor/pod_init_config.h"
#include "gvisor/process_memory.h"
#include "gvisor/record_arena.h"
#include "gvisor/sandbox_attach.h"
#include "sources/source.h"

namespace kestrel::gvisor {

inline constexpr const char* kDefaultSocketPath = "/run/kestrel/gvisor.sock";

struct GvisorSourceConfig {
  ServerOptions server;          // socket path, mode, connection limits
  DecoderLimits decoder;         // size caps for what one packet may become
  size_t queue_bytes = 32u << 20;  // decoded bytes held before backpressure
  bool confine = true;           // seccomp-confine the parser thread
  // Running sandboxes to attach to. attach.session_config empty: open()
  // writes a config naming every point the source can use and our socket
  // to a temporary file for `runsc trace create`.
  AttachOptions attach;
  // Where attach failures and peer reports (refused connections, sandbox
  // drop claims) go, one line each; empty: stderr.
  std::function<void(const std::string&)> log;
};

class GvisorSource : public Source {
 public:
  explicit GvisorSource(GvisorSourceConfig config);
  ~GvisorSource() override;

  const SourceCapabilities& capabilities() const override { return caps_; }
  // Binds the socket and starts the parser thread. Fails if the socket cannot
  // be created (permissions, path too long) or seccomp cannot be applied.
  // Then attaches to running sandboxes (config.attach), which only logs.
  Status open() override;
  // The processes of the sandboxes open() attached to (once; later calls
  // return nothing).
  std::vector<ThreadInfo> initial_state() override;
  // What open() found and attached under config.attach.root.
  const AttachReport& attach_report() const { return attach_; }
  // Takes effect for packets decoded after the call.
  Status set_event_filter(const EventTypeSet& types) override;
  // Event types as set_event_filter(); the process params choose the
  // optional fields of the session config written for attached sandboxes.
  Status set_capture_request(const CaptureRequest& request) override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  // drops: "sandbox_reported" (runsc's own counters, clamped per packet),
  // "malformed", "unknown_type", "too_large", "param_mismatch" (records a
  // converter wrote against the event table) summed over every sandbox
  // since open(); "refused_max_connections", "refused_per_peer",
  // "handshake_timeout" (connections refused or closed before the
  // handshake), "accept_failed" (accept4 out of fds; it then rests 1 s);
  // "attach_failed". All but attach_failed are in untrusted_reasons.
  SourceStats stats() const override;
  void close() override;

  // The gVisor context of out.events[i] from the last next(): container id,
  // cwd, process name, credentials, start times. Valid like the views.
  GvisorContext context(size_t i) const { return delivered_.context(i); }
  // A thread group no clone/exec point introduced (runsc exec), as its
  // points' context describes it (gvisor/process_memory.h).
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const override {
    return processes_.describe(domain, pid);
  }
  // The sandbox's own users and groups (sandbox_users.h: its rootfs's
  // /etc/passwd and /etc/group), read once per sandbox and kept; nullopt
  // while its rootfs is unknown or unreadable (logged once per sandbox).
  std::optional<CaptureUsers> domain_users(DomainId domain) const override;
  // Per-sandbox counters (live and recently closed sandboxes).
  std::vector<SandboxStats> sandbox_stats() const;
  const std::string& socket_path() const { return config_.server.socket_path; }

 private:
  void run();
  void attach_running();
  // Logs refused peers and sandboxes' drop claims (reader thread).
  void report_peers();

  GvisorSourceConfig config_;
  ProcessParamSet requested_params_;  // guarded by mu_
  SourceCapabilities caps_;
  MonitorServer server_;
  AttachReport attach_;  // written by open() before anyone reads it

  mutable std::mutex mu_;
  std::condition_variable cv_;  // producer <-> consumer
  RecordArena pending_;         // guarded by mu_
  RecordArena delivered_;       // reader thread only
  ProcessMemory processes_;     // thread-safe itself
  EventTypeSet filter_;         // guarded by mu_
  bool filter_changed_ = false; // guarded by mu_
  std::vector<SandboxStats> sandboxes_;  // guarded by mu_; refreshed by the parser
  SandboxStats totals_;                  // guarded by mu_; likewise
  ServerCounters counters_;              // guarded by mu_; likewise
  std::vector<RefusedPeer> refusals_;    // guarded by mu_; taken by next()
  PeerReport report_;                    // reader thread only
  Status thread_error_;         // guarded by mu_
  bool thread_done_ = false;    // guarded by mu_
  uint64_t events_ = 0, bytes_ = 0;  // guarded by mu_

  std::atomic<bool> stop_{false};
  mutable std::mutex users_mu_;  // guards the two below
  mutable std::map<DomainId, CaptureUsers> users_;  // read sandboxes' users
  mutable std::set<DomainId> users_failed_logged_;
  std::thread thread_;
};

// The drop reasons of stats() that an untrusted peer controls (see above).
const std::set<std::string>& untrusted_drop_reasons();

// What the app calls to build the source from its config.
std::unique_ptr<GvisorSource> make_gvisor_source(GvisorSourceConfig config);

}  // namespace kestrel::gvisor
