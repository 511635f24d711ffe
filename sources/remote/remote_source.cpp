#include "sources/remote/remote_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

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

QemuIdentity qemu_identity_of(pid_t pid) {
  QemuIdentity q;
  if (pid <= 0) return q;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  for (size_t at = 0; at < all.size();) {
    size_t end = all.find('\0', at);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  if (argv.empty() || argv[0].find("qemu") == std::string::npos) return q;
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-name") {
      // "-name NAME" or "-name guest=NAME,debug-threads=on"
      std::string v = argv[i + 1];
      if (v.rfind("guest=", 0) == 0) v = v.substr(6);
      q.name = v.substr(0, v.find(','));
    } else if (argv[i] == "-uuid") {
      q.uuid = argv[i + 1];
    }
  }
  return q;
}

struct RemoteSource::Vm {
  std::string name;
  StreamSequence sequence;
  bool has_stream = false;
  uint64_t stream_id = 0;
  DomainId domain = 0;
};

struct RemoteSource::Conn {
  std::unique_ptr<Connection> link;
  std::string listener_name;
  StreamDecoder decoder;
  Vm* vm = nullptr;  // after the hello; owned by vms_
  DomainId domain = 0;
  bool snapshot_started = false;
};

// Routes one connection's frames into the source's queue and counters.
class RemoteSource::ConnVisitor final : public StreamVisitor {
 public:
  ConnVisitor(RemoteSource& src, Conn& conn) : src_(src), conn_(conn) {}

  Status on_hello(const StreamHello& hello) override {
    const PeerInfo& peer = conn_.link->peer();
    QemuIdentity qemu = qemu_identity_of(peer.pid);
    std::string name = !conn_.listener_name.empty() ? conn_.listener_name
                       : !qemu.name.empty()         ? qemu.name
                       : !peer.tls_common_name.empty() ? peer.tls_common_name
                       : !hello.name.empty()        ? hello.name
                                                    : "stream-" + std::to_string(hello.stream_id);
    std::string line;
    {
      std::lock_guard lock(src_.mu_);
      auto& slot = src_.vms_[name];
      if (!slot) {
        slot = std::make_unique<Vm>();
        slot->name = name;
      }
      Vm& vm = *slot;
      const bool new_stream = !vm.has_stream || vm.stream_id != hello.stream_id;
      const uint64_t lost = vm.sequence.on_hello(hello.stream_id, hello.next_sequence);
      if (new_stream) {
        // A new guest process: new pids, so a new domain and fresh tables.
        vm.has_stream = true;
        vm.stream_id = hello.stream_id;
        vm.domain = src_.next_domain_++;
        MachineIdentity id;
        id.vm_name = name;
        const auto& env = hello.header.machine.environment;
        id.vm_id = !qemu.uuid.empty()              ? qemu.uuid
                   : !env.dmi_product_uuid.empty() ? env.dmi_product_uuid
                                                   : "stream-" + std::to_string(hello.stream_id);
        id.hypervisor = env.hypervisor.empty() ? "none" : env.hypervisor;
        id.kernel = hello.header.machine.kernel_release;
        id.hostname = hello.header.machine.hostname;
        id.environment = env.kind;
        src_.config_.machines->add(vm.domain, std::move(id));
      }
      src_.snapshots_[vm.domain].clear();  // every connection brings a fresh one
      conn_.vm = &vm;
      conn_.domain = vm.domain;
      line = "remote: " + peer.description + " is VM '" + name + "' (stream " + std::to_string(hello.stream_id) +
             ", connection " + std::to_string(hello.connection) + ", domain " + std::to_string(vm.domain) +
             ", kernel " + hello.header.machine.kernel_release + ", " +
             (hello.header.machine.environment.hypervisor.empty() ? std::string("no hypervisor")
                                                                  : hello.header.machine.environment.hypervisor) +
             ")" + (new_stream && vm.sequence.counters().restarts > 0 ? ", restarted" : "") +
             (lost > 0 ? ", " + std::to_string(lost) + " records lost since its last batch" : "");
    }
    src_.log(line);
    return ok_status();
  }

  Status on_snapshot(std::vector<ThreadInfo> threads) override {
    std::lock_guard lock(src_.mu_);
    auto& by_pid = src_.snapshots_[conn_.domain];
    for (ThreadInfo& t : threads) {
      t.domain = conn_.domain;
      by_pid[t.pid].push_back(std::move(t));
    }
    return ok_status();
  }

  Status on_batch(const StreamBatchView& batch) override {
    std::lock_guard lock(src_.mu_);
    conn_.vm->sequence.on_batch(batch.first_sequence, batch.record_count, batch.produced);
    src_.pending_.insert(src_.pending_.end(), batch.records.begin(), batch.records.end());
    size_t at = 0;
    while (at < batch.records.size()) {
      uint32_t len = 0;
      std::memcpy(&len, batch.records.data() + at + offsetof(kestrel_event_hdr, len), sizeof len);
      src_.pending_index_.emplace_back(len, conn_.domain);
      at += len;
    }
    src_.cv_.notify_one();
    return ok_status();
  }

  Status on_progress(const StreamProgress& p) override {
    std::lock_guard lock(src_.mu_);
    conn_.vm->sequence.on_progress(p.produced);
    return ok_status();
  }

  Status on_end(uint64_t, uint64_t) override {
    src_.log("remote: VM '" + conn_.vm->name + "' ended its stream");
    return ok_status();
  }

 private:
  RemoteSource& src_;
  Conn& conn_;
};

RemoteSource::RemoteSource(RemoteSourceConfig config) : config_(std::move(config)) {
  caps_.name = "remote";
  caps_.live = true;
  caps_.sees_containers = true;
  caps_.event_types.set();
  if (config_.machines == nullptr) {
    own_machines_ = std::make_unique<MachineDirectory>(local_machine_identity());
    config_.machines = own_machines_.get();
  }
}

RemoteSource::~RemoteSource() { close(); }

void RemoteSource::log(const std::string& line) const {
  if (config_.log)
    config_.log(line);
  else
    std::fprintf(stderr, "kestrel: %s\n", line.c_str());
}

Status RemoteSource::open() {
  if (config_.listen.empty()) return Status(StatusCode::kInvalidArgument, "remote source: no listen URI");
  for (const std::string& uri : config_.listen) {
    auto ep = parse_endpoint(uri);
    if (!ep.ok()) return ep.status();
    auto l = listen_endpoint(*ep, ep->kind == EndpointKind::kTcp ? config_.tls : TlsFiles{});
    if (!l.ok()) return Status(l.status().code(), "remote source: " + l.status().message());
    listeners_.push_back(std::move(*l));
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status(StatusCode::kInternal, std::string("eventfd: ") + std::strerror(errno));
  thread_ = std::thread([this] { run(); });
  return ok_status();
}

std::vector<uint16_t> RemoteSource::ports() const {
  std::vector<uint16_t> out;
  for (const auto& l : listeners_) out.push_back(l->port());
  return out;
}

void RemoteSource::accept_from(Listener& l) {
  auto c = l.accept(std::chrono::milliseconds(3000));
  if (!c.ok()) {
    std::lock_guard lock(mu_);
    ++refused_;
    log("remote: refused a peer on " + l.endpoint().uri + ": " + c.status().to_string());
    return;
  }
  if (conns_.size() >= config_.max_connections) {
    std::lock_guard lock(mu_);
    ++refused_;
    log("remote: refused " + (*c)->peer().description + ": " + std::to_string(config_.max_connections) +
        " connections already");
    return;
  }
  auto conn = std::make_unique<Conn>();
  conn->link = std::move(*c);
  conn->listener_name = l.endpoint().name;
  conn->decoder = StreamDecoder(config_.limits);
  conns_.push_back(std::move(conn));
}

bool RemoteSource::read_from(Conn& c) {
  uint8_t buf[64 * 1024];
  auto n = c.link->read_some(buf, std::chrono::milliseconds(0));
  if (!n.ok()) {
    log("remote: " + c.link->peer().description + (c.vm ? " (VM '" + c.vm->name + "')" : std::string()) +
        " disconnected: " + n.status().message());
    return false;
  }
  if (*n == 0) return true;
  {
    std::lock_guard lock(mu_);
    bytes_ += *n;
  }
  ConnVisitor visitor(*this, c);
  if (Status st = c.decoder.feed({buf, *n}, visitor); !st.ok()) {
    std::lock_guard lock(mu_);
    ++refused_;
    log("remote: dropping " + c.link->peer().description + ": " + st.to_string());
    return false;
  }
  return true;
}

void RemoteSource::run() {
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    bool room;
    {
      std::lock_guard lock(mu_);
      room = pending_.size() < config_.queue_bytes;
    }
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    for (const auto& l : listeners_) fds.push_back({l->fd(), POLLIN, 0});
    bool tls_pending = false;
    for (const auto& c : conns_) {
      fds.push_back({c->link->fd(), static_cast<short>(room ? POLLIN : 0), 0});
      tls_pending |= room && c->link->pending();
    }
    int r = ::poll(fds.data(), fds.size(), tls_pending ? 0 : 200);
    if (r < 0 && errno != EINTR) {
      log(std::string("remote: poll: ") + std::strerror(errno));
      break;
    }
    if (!room) {
      // Full: wait for next() to take some, the senders' buffers hold the rest.
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return pending_.size() < config_.queue_bytes || stop_; });
    }
    for (size_t i = 0; i < listeners_.size(); ++i)
      if (fds[1 + i].revents & POLLIN) accept_from(*listeners_[i]);
    const size_t base = 1 + listeners_.size();
    std::vector<std::unique_ptr<Conn>> keep;
    for (size_t i = 0; i < conns_.size(); ++i) {
      bool ok = true;
      if (i < fds.size() - base) {
        short ev = fds[base + i].revents;
        if ((ev & (POLLIN | POLLHUP | POLLERR)) || (room && conns_[i]->link->pending())) ok = read_from(*conns_[i]);
      }
      if (ok) keep.push_back(std::move(conns_[i]));
    }
    conns_ = std::move(keep);
  }
  conns_.clear();
}

Result<NextOutcome> RemoteSource::next(EventBatch& out, std::chrono::milliseconds wait) {
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

SourceStats RemoteSource::stats() const {
  std::lock_guard lock(mu_);
  SourceStats s;
  s.events = events_;
  s.bytes = bytes_;
  for (const auto& [name, vm] : vms_) {
    const auto& c = vm->sequence.counters();
    s.drops["gap:" + name] = c.lost;
    s.counters["remote." + name + ".received"] = c.received;
    s.counters["remote." + name + ".connections"] = c.connections;
    s.counters["remote." + name + ".reconnects"] = c.reconnects;
    s.counters["remote." + name + ".restarts"] = c.restarts;
    s.counters["remote." + name + ".gaps"] = c.gaps;
  }
  s.counters["remote.connections_refused"] = refused_;
  return s;
}

std::optional<std::vector<ThreadInfo>> RemoteSource::describe_process(DomainId domain, int64_t pid) const {
  if (domain < kFirstRemoteDomain) return std::nullopt;
  std::lock_guard lock(mu_);
  auto d = snapshots_.find(domain);
  if (d == snapshots_.end()) return std::nullopt;
  auto p = d->second.find(pid);
  if (p == d->second.end()) return std::nullopt;
  return p->second;
}

void RemoteSource::interrupt() {
  cv_.notify_all();
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void RemoteSource::close() {
  stop_.store(true);
  interrupt();
  if (thread_.joinable()) thread_.join();
  listeners_.clear();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
}

}  // namespace kestrel::remote
