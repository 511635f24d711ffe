// peer_report.h — log lines about untrusted peers of the monitoring socket:
// which process was refused a connection, and which sandbox claims to have
// dropped points. Rate limited, so a hostile peer cannot flood the log.
//
// Why log lines and not the drop alarm: a sandbox is untrusted. Its header
// says how many points it failed to send (wire.h DropCounter), and any
// process that can reach the socket can open connections; neither may
// raise Kestrel's own "event drops" alarm or stop Kestrel
// (syscall_event_drops.actions: exit). Their counts still reach stats(),
// the end-of-run summary and /metrics (SourceStats::untrusted_reasons tells
// the alarm to leave them alone); these lines say *which* sandbox or
// process it was.
//
// Threads: used only by the thread that calls GvisorSource::next() (not the
// seccomp-confined parser thread: naming a process reads /proc).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gvisor/monitor_server.h"

namespace kestrel::gvisor {

// What /proc/PID/cmdline says, arguments joined by spaces: at most
// kMaxCmdlineRead bytes are read and kMaxCmdlineShown characters shown
// (then "..."); bytes outside printable ASCII become '?', so a peer cannot
// forge log lines. "(pid 0: unknown)" or "(exited)" when there is nothing.
std::string process_cmdline(pid_t pid);
inline constexpr size_t kMaxCmdlineRead = 4096;
inline constexpr size_t kMaxCmdlineShown = 200;

class PeerReport {
 public:
  using Clock = std::chrono::steady_clock;
  using Log = std::function<void(const std::string&)>;

  // At most one batch of lines per `interval`; a batch has at most
  // kMaxLinesPerBatch lines plus one saying how many were left out.
  explicit PeerReport(Log log, std::chrono::milliseconds interval = std::chrono::seconds(10));

  // Refusals taken from the server (MonitorServer::take_refusals). Names
  // each new peer's process now, while it most likely still runs; keeps at
  // most MonitorServer::kMaxRefusedPeersKept peers until the next batch.
  void add_refusals(const std::vector<RefusedPeer>& refused);

  // Logs, if the interval allows: each refused peer since the last batch,
  // and each sandbox in `sandboxes` whose claimed drops grew since it was
  // last reported.
  void flush(const std::vector<SandboxStats>& sandboxes, Clock::time_point now = Clock::now());

  static constexpr size_t kMaxLinesPerBatch = 8;

 private:
  struct Refused {
    RefusedPeer peer;
    std::string cmdline;
  };
  Log log_;
  std::chrono::milliseconds interval_;
  Clock::time_point next_batch_{};
  std::vector<Refused> refused_;
  std::map<DomainId, uint64_t> reported_drops_;  // per sandbox, as last logged
};

}  // namespace kestrel::gvisor
