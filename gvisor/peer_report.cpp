#include "gvisor/peer_report.h"

#include <algorithm>
#include <set>

#include "state/proc_io.h"

namespace kestrel::gvisor {

std::string process_cmdline(pid_t pid) {
  if (pid <= 0) return "(pid unknown)";
  const auto text = read_text_file("/proc/" + std::to_string(pid) + "/cmdline", kMaxCmdlineRead);
  if (!text) return "(exited)";
  const std::string& buf = *text;
  size_t got = buf.size();
  while (got > 0 && buf[got - 1] == '\0') --got;
  if (got == 0) return "(no command line)";
  std::string out;
  for (size_t i = 0; i < got && out.size() < kMaxCmdlineShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(buf[i]);
    out += c == '\0' ? ' ' : (c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (got > kMaxCmdlineShown) out += "...";
  return out;
}

PeerReport::PeerReport(Log log, std::chrono::milliseconds interval) : log_(std::move(log)), interval_(interval) {}

void PeerReport::add_refusals(const std::vector<RefusedPeer>& refused) {
  for (const RefusedPeer& r : refused) {
    auto same = std::find_if(refused_.begin(), refused_.end(), [&](const Refused& x) {
      return x.peer.peer.pid == r.peer.pid && x.peer.reason == r.reason;
    });
    if (same != refused_.end()) {
      same->peer.count += r.count;
    } else if (refused_.size() < MonitorServer::kMaxRefusedPeersKept) {
      refused_.push_back({r, process_cmdline(r.peer.pid)});
    }
  }
}

void PeerReport::flush(const std::vector<SandboxStats>& sandboxes, Clock::time_point now) {
  if (now < next_batch_) return;
  std::vector<std::string> lines;
  for (const Refused& r : refused_) {
    const bool per_peer = r.peer.reason == "per_peer";
    lines.push_back("kestrel: gvisor: refused " + std::to_string(r.peer.count) + " connection(s) from pid " +
                    std::to_string(r.peer.peer.pid) + " uid " + std::to_string(r.peer.peer.uid) + " [" + r.cmdline +
                    "]: " +
                    (per_peer ? "that process has engine.gvisor.max_connections_per_peer open"
                              : "engine.gvisor.max_connections are open") +
                    "; a sandbox refused here runs unmonitored (counted as drops refused_" + r.peer.reason + ")");
  }
  refused_.clear();
  std::set<DomainId> present;
  for (const SandboxStats& s : sandboxes) {
    present.insert(s.domain);
    uint64_t& last = reported_drops_[s.domain];
    if (s.sandbox_dropped <= last) continue;
    std::string line = "kestrel: gvisor: sandbox " + std::to_string(s.domain) + " (container " +
                       (s.container_id.empty() ? "unknown" : s.container_id) + ", connected from pid " +
                       std::to_string(s.peer.pid) + ") reports " + std::to_string(s.sandbox_dropped) +
                       " points it could not send (" + std::to_string(s.sandbox_dropped - last) + " new";
    if (s.drop_claims_clamped)
      line += "; " + std::to_string(s.drop_claims_clamped) + " packet(s) claimed more than " +
              std::to_string(kMaxDropsPerPacket) + " and were clamped";
    line += "); counted as drops sandbox_reported, never acted on by syscall_event_drops (the sandbox is untrusted)";
    lines.push_back(std::move(line));
    last = s.sandbox_dropped;
  }
  std::erase_if(reported_drops_, [&](const auto& kv) { return !present.count(kv.first); });
  if (lines.empty()) return;
  next_batch_ = now + interval_;
  const size_t shown = std::min(lines.size(), kMaxLinesPerBatch);
  for (size_t i = 0; i < shown; ++i) log_(lines[i]);
  if (lines.size() > shown)
    log_("kestrel: gvisor: " + std::to_string(lines.size() - shown) + " more peer report(s) left out (rate limit)");
}

}  // namespace kestrel::gvisor
