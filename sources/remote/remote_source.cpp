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

struct RemoteSource::Conn {
  std::unique_ptr<Connection> link;
  std::string listener_name;
  StreamDecoder decoder;
  std::unique_ptr<DomainVisitor> visitor;
};

RemoteSource::RemoteSource(RemoteSourceConfig config)
    : config_(std::move(config)),
      domains_(RemoteDomains::Options{.queue_bytes = config_.queue_bytes,
                                      .machines = config_.machines,
                                      .counter_prefix = "remote",
                                      .log = config_.log}) {
  caps_.name = "remote";
  caps_.live = true;
  caps_.sees_containers = true;
  caps_.event_types.set();
}

RemoteSource::~RemoteSource() { close(); }

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
    ++refused_;
    log("remote: refused a peer on " + l.endpoint().uri + ": " + c.status().to_string());
    return;
  }
  if (conns_.size() >= config_.max_connections) {
    ++refused_;
    log("remote: refused " + (*c)->peer().description + ": " + std::to_string(config_.max_connections) +
        " connections already");
    return;
  }
  auto conn = std::make_unique<Conn>();
  conn->link = std::move(*c);
  conn->listener_name = l.endpoint().name;
  conn->decoder = StreamDecoder(config_.limits);
  // The guest's name and id, trusted sources first (remote_source.h).
  conn->visitor = std::make_unique<DomainVisitor>(domains_, [c = conn.get()](const StreamHello& hello) {
    const PeerInfo& peer = c->link->peer();
    QemuIdentity qemu = qemu_identity_of(peer.pid);
    SenderIdentity who;
    who.name = !c->listener_name.empty()      ? c->listener_name
               : !qemu.name.empty()            ? qemu.name
               : !peer.tls_common_name.empty() ? peer.tls_common_name
               : !hello.name.empty()           ? hello.name
                                               : "stream-" + std::to_string(hello.stream_id);
    who.id = qemu.uuid;
    who.where = peer.description;
    return who;
  });
  conns_.push_back(std::move(conn));
}

bool RemoteSource::read_from(Conn& c) {
  uint8_t buf[64 * 1024];
  auto n = c.link->read_some(buf, std::chrono::milliseconds(0));
  if (!n.ok()) {
    auto* vm = c.visitor->sender();
    log("remote: " + c.link->peer().description + (vm ? " (VM '" + domains_.name_of(*vm) + "')" : std::string()) +
        " disconnected: " + n.status().message());
    return false;
  }
  if (*n == 0) return true;
  bytes_ += *n;
  if (Status st = c.decoder.feed({buf, *n}, *c.visitor); !st.ok()) {
    ++refused_;
    log("remote: dropping " + c.link->peer().description + ": " + st.to_string());
    return false;
  }
  return true;
}

void RemoteSource::run() {
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    const bool room = domains_.has_room();
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
    // Full: wait for next() to take some, the senders' buffers hold the rest.
    if (!room) domains_.wait_for_room(std::chrono::milliseconds(50));
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
  return domains_.next(out, wait);
}

SourceStats RemoteSource::stats() const {
  SourceStats s;
  s.bytes = bytes_.load();
  domains_.add_stats(s);
  s.counters["remote.connections_refused"] = refused_.load();
  return s;
}

std::optional<std::vector<ThreadInfo>> RemoteSource::describe_process(DomainId domain, int64_t pid) const {
  return domains_.describe_process(domain, pid);
}

void RemoteSource::interrupt() {
  domains_.stop();
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
