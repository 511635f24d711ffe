#include "sources/remote/remote_domains.h"

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "sources/capture/kcap_format.h"
#include "sources/event/event_view.h"

namespace kestrel::remote {

MachineIdentity local_machine_identity() {
  kcap::MachineInfo m = kcap::local_machine_info();
  MachineIdentity id;
  id.hypervisor = m.environment.hypervisor.empty() ? "none" : m.environment.hypervisor;
  id.kernel = m.kernel_release;
  id.hostname = m.hostname;
  id.environment = m.environment.kind;
  return id;
}

struct RemoteDomains::Sender {
  std::string name;
  std::string kind;
  StreamSequence sequence;
  bool has_stream = false;
  uint64_t stream_id = 0;
  DomainId domain = 0;
};

RemoteDomains::RemoteDomains(Options options) : options_(std::move(options)) {
  if (options_.machines == nullptr) {
    own_machines_ = std::make_unique<MachineDirectory>(local_machine_identity());
    options_.machines = own_machines_.get();
  }
}

RemoteDomains::~RemoteDomains() = default;

void RemoteDomains::log(const std::string& line) const {
  if (options_.log)
    options_.log(line);
  else
    std::fprintf(stderr, "kestrel: %s\n", line.c_str());
}

RemoteDomains::Sender* RemoteDomains::join(const SenderIdentity& who, const StreamHello& hello) {
  std::string line;
  Sender* sender = nullptr;
  {
    std::lock_guard lock(mu_);
    auto& slot = senders_[who.name];
    if (!slot) {
      slot = std::make_unique<Sender>();
      slot->name = who.name;
      slot->kind = who.kind;
    }
    Sender& s = *slot;
    const bool new_stream = !s.has_stream || s.stream_id != hello.stream_id;
    const uint64_t lost = s.sequence.on_hello(hello.stream_id, hello.next_sequence);
    const auto& machine = hello.header.machine;
    if (new_stream) {
      // A new sender process: new pids, so a new domain and fresh tables.
      s.has_stream = true;
      s.stream_id = hello.stream_id;
      s.domain = next_domain_++;
      MachineIdentity id;
      id.vm_name = who.name;
      id.vm_id = !who.id.empty()                               ? who.id
                 : !machine.environment.dmi_product_uuid.empty() ? machine.environment.dmi_product_uuid
                                                                 : "stream-" + std::to_string(hello.stream_id);
      id.hypervisor = machine.environment.hypervisor.empty() ? "none" : machine.environment.hypervisor;
      id.kernel = machine.kernel_release;
      id.hostname = machine.hostname;
      id.environment = machine.environment.kind;
      options_.machines->add(s.domain, std::move(id));
    }
    snapshots_[s.domain].clear();  // every connection brings a fresh one
    sender = &s;
    const std::string kernel = machine.kernel_release.empty() ? "unknown" : machine.kernel_release;
    const std::string hypervisor =
        machine.environment.hypervisor.empty() ? std::string("no hypervisor") : machine.environment.hypervisor;
    line = "remote: " + who.where + " is " + who.kind + " '" + who.name + "' (stream " +
           std::to_string(hello.stream_id) + ", connection " + std::to_string(hello.connection) + ", domain " +
           std::to_string(s.domain) + ", kernel " + kernel + ", " + hypervisor + ")" +
           (new_stream && s.sequence.counters().restarts > 0 ? ", restarted" : "") +
           (lost > 0 ? ", " + std::to_string(lost) + " records lost since its last batch" : "");
  }
  log(line);
  return sender;
}

const std::string& RemoteDomains::name_of(const Sender& s) const { return s.name; }

void RemoteDomains::snapshot(Sender& s, std::vector<ThreadInfo> threads) {
  std::lock_guard lock(mu_);
  auto& by_pid = snapshots_[s.domain];
  for (ThreadInfo& t : threads) {
    t.domain = s.domain;
    by_pid[t.pid].push_back(std::move(t));
  }
}

void RemoteDomains::batch(Sender& s, const StreamBatchView& batch) {
  std::lock_guard lock(mu_);
  s.sequence.on_batch(batch.first_sequence, batch.record_count, batch.produced);
  pending_.insert(pending_.end(), batch.records.begin(), batch.records.end());
  size_t at = 0;
  while (at < batch.records.size()) {
    uint32_t len = 0;
    std::memcpy(&len, batch.records.data() + at + offsetof(kestrel_event_hdr, len), sizeof len);
    pending_index_.emplace_back(len, s.domain);
    at += len;
  }
  queued_ += batch.record_count;
  cv_.notify_all();
}

void RemoteDomains::progress(Sender& s, uint64_t produced) {
  std::lock_guard lock(mu_);
  s.sequence.on_progress(produced);
}

bool RemoteDomains::has_room() const {
  std::lock_guard lock(mu_);
  return pending_.size() < options_.queue_bytes;
}

void RemoteDomains::wait_for_room(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return pending_.size() < options_.queue_bytes || stop_; });
}

uint64_t RemoteDomains::queued_records() const {
  std::lock_guard lock(mu_);
  return queued_;
}

Result<NextOutcome> RemoteDomains::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return !pending_.empty() || stop_; });
    if (pending_.empty()) return NextOutcome::kIdle;
    delivered_.swap(pending_);
    delivered_index_.swap(pending_index_);
    pending_.clear();
    pending_index_.clear();
  }
  cv_.notify_all();
  out.events.reserve(delivered_index_.size());
  size_t at = 0;
  for (const auto& [len, domain] : delivered_index_) {
    auto v = EventView::parse({delivered_.data() + at, len});
    at += len;
    if (v.ok()) out.events.push_back(Event{*v, domain, 0, false});  // the decoder checked every record
  }
  std::lock_guard lock(mu_);
  events_ += out.events.size();
  return NextOutcome::kBatch;
}

void RemoteDomains::add_stats(SourceStats& st) const {
  std::lock_guard lock(mu_);
  st.events += events_;
  const std::string& p = options_.counter_prefix;
  for (const auto& [name, s] : senders_) {
    const auto& c = s->sequence.counters();
    st.drops["gap:" + name] = c.lost;
    st.counters[p + "." + name + ".received"] = c.received;
    st.counters[p + "." + name + ".connections"] = c.connections;
    st.counters[p + "." + name + ".reconnects"] = c.reconnects;
    st.counters[p + "." + name + ".restarts"] = c.restarts;
    st.counters[p + "." + name + ".gaps"] = c.gaps;
  }
}

std::optional<std::vector<ThreadInfo>> RemoteDomains::describe_process(DomainId domain, int64_t pid) const {
  if (domain < kFirstRemoteDomain) return std::nullopt;
  std::lock_guard lock(mu_);
  auto d = snapshots_.find(domain);
  if (d == snapshots_.end()) return std::nullopt;
  auto p = d->second.find(pid);
  if (p == d->second.end()) return std::nullopt;
  return p->second;
}

void RemoteDomains::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

Status DomainVisitor::on_hello(const StreamHello& hello) {
  sender_ = domains_.join(identify_(hello), hello);
  return ok_status();
}

Status DomainVisitor::on_snapshot(std::vector<ThreadInfo> threads) {
  domains_.snapshot(*sender_, std::move(threads));
  return ok_status();
}

Status DomainVisitor::on_batch(const StreamBatchView& batch) {
  domains_.batch(*sender_, batch);
  return ok_status();
}

Status DomainVisitor::on_progress(const StreamProgress& p) {
  domains_.progress(*sender_, p.produced);
  return ok_status();
}

Status DomainVisitor::on_end(uint64_t, uint64_t) {
  domains_.log("remote: " + sender_->kind + " '" + sender_->name + "' ended its stream");
  return ok_status();
}

}  // namespace kestrel::remote
