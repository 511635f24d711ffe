// remote_domains.h — how a remote Kestrel's stream becomes a domain of
// this one, whatever carried it: a VM guest's forwarded connection
// (remote_source.h) or a node's event stream read off the fleet bus
// (fleet/nats_event_source.h). The one implementation of it.
//
// Senders are keyed by a trusted name (the VM's name as the host knows it,
// the node of a bus subject). Each stream id of a sender (one sender
// process: a guest Kestrel, a node's run) gets its own DomainId, from
// kFirstRemoteDomain up, never reused, so a restarted sender (whose pids
// start again) gets fresh state tables; its identity goes into the
// MachineDirectory for vm.* and machine.* (vm.name = the sender's name).
// The sender's StreamSequence (stream_sequence.h) follows it across
// reconnects and restarts, so records lost on the way are counted.
//
// DomainVisitor is the StreamVisitor a decoder of one connection (or one
// bus stream) feeds: hello -> join, snapshot, batches queued with their
// domain, progress. next() hands the queued records out as one batch.
//
// Counting (stats()): drops["gap:<name>"] = records a sender captured and
// this Kestrel never received (the drop alarm acts on them like kernel
// drops); counters "<prefix>.<name>.{received,connections,reconnects,
// restarts,gaps}". Thread-safe: decoding threads and the source's next()
// may run at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sources/remote/stream_codec.h"
#include "sources/remote/stream_sequence.h"
#include "sources/source.h"
#include "state/machine_directory.h"

namespace kestrel::remote {

// Remote domains start here: gVisor sandboxes count up from 1, and the two
// sources may run together.
inline constexpr DomainId kFirstRemoteDomain = 1u << 24;

// This machine's identity for MachineDirectory's local entry.
MachineIdentity local_machine_identity();

// Who a hello comes from, as the receiving side decides it.
struct SenderIdentity {
  std::string name;  // vm.name; also the sender's key
  std::string id;    // vm.id when known from a trusted place; "" = the guest's DMI uuid, else "stream-<id>"
  std::string kind = "VM";  // how log lines call a sender ("VM", "node")
  std::string where;        // the peer, for log lines
};

class RemoteDomains {
 public:
  struct Options {
    size_t queue_bytes = 32u << 20;  // decoded records held before has_room() says no
    MachineDirectory* machines = nullptr;  // where senders are registered; null: a private one
    std::string counter_prefix = "remote";
    std::function<void(const std::string&)> log;  // empty: stderr
  };
  struct Sender;

  explicit RemoteDomains(Options options);
  ~RemoteDomains();

  // A hello: the sender's domain (a new one for a new stream id). Logs it.
  Sender* join(const SenderIdentity& who, const StreamHello& hello);
  void snapshot(Sender& s, std::vector<ThreadInfo> threads);
  void batch(Sender& s, const StreamBatchView& batch);
  void progress(Sender& s, uint64_t produced);
  const std::string& name_of(const Sender& s) const;

  bool has_room() const;
  // Until has_room(), stop(), or `wait` passed.
  void wait_for_room(std::chrono::milliseconds wait);
  // Records queued so far, all senders together (monotonic).
  uint64_t queued_records() const;

  // The queued records as one batch (views valid until the next call);
  // kIdle when none came within `wait`.
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait);
  // Adds events, bytes, drops and counters to `s`.
  void add_stats(SourceStats& s) const;
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const;
  void stop();  // wakes next() and wait_for_room()
  void log(const std::string& line) const;

 private:
  Options options_;
  std::unique_ptr<MachineDirectory> own_machines_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // records queued / space freed / stop
  bool stop_ = false;
  std::vector<uint8_t> pending_;
  std::vector<std::pair<uint32_t, DomainId>> pending_index_;  // record length, domain
  std::vector<uint8_t> delivered_;
  std::vector<std::pair<uint32_t, DomainId>> delivered_index_;
  std::map<std::string, std::unique_ptr<Sender>> senders_;  // by name
  std::unordered_map<DomainId, std::map<int64_t, std::vector<ThreadInfo>>> snapshots_;  // by domain, pid
  DomainId next_domain_ = kFirstRemoteDomain;
  uint64_t events_ = 0, queued_ = 0;
};

// Feeds one decoder's frames into a RemoteDomains. `identify` names the
// sender from its hello (called once, at the hello).
class DomainVisitor final : public StreamVisitor {
 public:
  DomainVisitor(RemoteDomains& domains, std::function<SenderIdentity(const StreamHello&)> identify)
      : domains_(domains), identify_(std::move(identify)) {}

  Status on_hello(const StreamHello& hello) override;
  Status on_snapshot(std::vector<ThreadInfo> threads) override;
  Status on_batch(const StreamBatchView& batch) override;
  Status on_progress(const StreamProgress& p) override;
  Status on_end(uint64_t batches, uint64_t events) override;

  RemoteDomains::Sender* sender() const { return sender_; }

 private:
  RemoteDomains& domains_;
  std::function<SenderIdentity(const StreamHello&)> identify_;
  RemoteDomains::Sender* sender_ = nullptr;
};

}  // namespace kestrel::remote
