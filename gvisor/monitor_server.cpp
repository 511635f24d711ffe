#include "gvisor/monitor_server.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace kestrel::gvisor {

namespace {
constexpr size_t kMaxClosedKept = 256;

SandboxStats stats_of(const GvisorConnection& c) {
  const SandboxState& s = c.state();
  SandboxStats out;
  out.domain = s.domain;
  out.container_id = s.container_id;
  out.open = c.phase() != GvisorConnection::Phase::kClosed;
  out.close_reason = c.close_reason();
  out.version = c.sandbox_version();
  out.packets = s.packets;
  out.events = s.events;
  out.filtered = s.filtered;
  out.sandbox_dropped = s.drops.total();
  out.malformed = s.malformed;
  out.unknown_type = s.unknown_type;
  out.too_large = s.too_large;
  return out;
}

Status errno_status(const std::string& what) {
  return Status(errno == EACCES || errno == EPERM ? StatusCode::kPermissionDenied : StatusCode::kUnavailable,
                what + ": " + std::strerror(errno));
}
}  // namespace

MonitorServer::MonitorServer(ServerOptions options) : options_(std::move(options)) {}

MonitorServer::~MonitorServer() { close(); }

Status MonitorServer::open() {
  const std::string& path = options_.socket_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Status(StatusCode::kInvalidArgument, "gvisor socket path '" + path + "' is empty or longer than " +
                                                    std::to_string(sizeof addr.sun_path - 1) + " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());

  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot create " + dir.string() + ": " + ec.message());

  // A socket file left by an earlier run would make bind fail; only ever
  // remove a socket, never a regular file someone put there.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return Status(StatusCode::kInvalidArgument, path + " exists and is not a socket; refusing to replace it");
    ::unlink(path.c_str());
  }

  listen_fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return errno_status("socket(AF_UNIX, SOCK_SEQPACKET)");
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Status s = errno_status("bind " + path);
    close();
    return s;
  }
  if (::chmod(path.c_str(), options_.socket_mode) != 0 || ::listen(listen_fd_, 128) != 0) {
    Status s = errno_status("chmod/listen " + path);
    close();
    return s;
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    Status s = errno_status("epoll/eventfd");
    close();
    return s;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  return ok_status();
}

void MonitorServer::accept_all() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: try on the next wake-up
    if (conns_.size() >= options_.max_connections) {
      ::close(fd);
      continue;
    }
    DomainId domain = 0;
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0) {
      std::lock_guard<std::mutex> lock(expect_mu_);
      auto it = expected_.find(peer.pid);
      if (it != expected_.end()) {
        domain = it->second;
        expected_.erase(it);
        attached_.fetch_add(1);
      }
    }
    if (domain == 0) domain = next_domain_.fetch_add(1);
    auto conn = std::make_unique<GvisorConnection>(fd, domain);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // conn's dtor closes fd
    conns_.emplace(fd, std::move(conn));
  }
}

void MonitorServer::retire(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  it->second->close(it->second->close_reason()[0] ? it->second->close_reason() : "eof");
  closed_.push_back(stats_of(*it->second));
  if (closed_.size() > kMaxClosedKept) closed_.erase(closed_.begin());
  conns_.erase(it);
}

bool MonitorServer::poll_once(int timeout_ms, MessageDecoder& decoder, RecordArena& out) {
  epoll_event events[64];
  int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  if (n < 0) return errno == EINTR;
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      accept_all();
    } else if (fd == wake_fd_) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof v);
    } else {
      auto it = conns_.find(fd);
      if (it == conns_.end()) continue;
      GvisorConnection& c = *it->second;
      // Read before honouring a hang-up: the last packets precede the EOF.
      c.on_readable(decoder, out, buf_, options_.connection);
      if (c.phase() == GvisorConnection::Phase::kClosed) retire(fd);
    }
  }
  return true;
}

void MonitorServer::expect_peer(pid_t pid, DomainId domain) {
  std::lock_guard<std::mutex> lock(expect_mu_);
  expected_[pid] = domain;
}

void MonitorServer::forget_peer(pid_t pid) {
  std::lock_guard<std::mutex> lock(expect_mu_);
  expected_.erase(pid);
}

void MonitorServer::wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof one);
}

std::vector<SandboxStats> MonitorServer::sandbox_stats() const {
  std::vector<SandboxStats> out = closed_;
  for (const auto& [fd, c] : conns_) out.push_back(stats_of(*c));
  return out;
}

void MonitorServer::close() {
  while (!conns_.empty()) retire(conns_.begin()->first);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(options_.socket_path.c_str());
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_), epoll_fd_ = -1;
  if (wake_fd_ >= 0) ::close(wake_fd_), wake_fd_ = -1;
}

}  // namespace kestrel::gvisor
