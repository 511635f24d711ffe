#include "gvisor/monitor_server.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

namespace kestrel::gvisor {

namespace {
constexpr size_t kMaxClosedKept = 256;
// How long accept4 rests after running out of fds (see accept_all).
constexpr std::chrono::milliseconds kAcceptBackoff{1000};
constexpr const char* kHandshakeTimeout = "handshake_timeout";
constexpr std::string_view kRefusedPerPeer = "per_peer";
constexpr std::string_view kRefusedMaxConnections = "max_connections";

int ms_until(GvisorConnection::Clock::time_point at, GvisorConnection::Clock::time_point now) {
  if (at <= now) return 0;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(at - now).count();
  return static_cast<int>(std::min<int64_t>((us + 999) / 1000, 1 << 30));  // rounded up: never wake early
}

int earlier(int a, int b) {  // of two epoll timeouts, -1 meaning none
  if (a < 0) return b;
  if (b < 0) return a;
  return std::min(a, b);
}

void add_counters(SandboxStats& sum, const SandboxStats& s) {
  sum.packets += s.packets;
  sum.events += s.events;
  sum.filtered += s.filtered;
  sum.sandbox_dropped += s.sandbox_dropped;
  sum.drop_claims_clamped += s.drop_claims_clamped;
  sum.malformed += s.malformed;
  sum.unknown_type += s.unknown_type;
  sum.too_large += s.too_large;
  sum.param_mismatch += s.param_mismatch;
  sum.bad_exe_sha256 += s.bad_exe_sha256;
}

SandboxStats stats_of(const GvisorConnection& c) {
  const SandboxState& s = c.state();
  SandboxStats out;
  out.domain = s.domain;
  out.container_id = s.container_id;
  out.open = c.phase() != GvisorConnection::Phase::kClosed;
  out.close_reason = c.close_reason();
  out.version = c.sandbox_version();
  out.peer = c.peer();
  out.packets = s.packets;
  out.events = s.events;
  out.filtered = s.filtered;
  out.sandbox_dropped = s.drops.total();
  out.drop_claims_clamped = s.drops.clamped();
  out.malformed = s.malformed;
  out.unknown_type = s.unknown_type;
  out.too_large = s.too_large;
  out.param_mismatch = s.param_mismatch;
  out.bad_exe_sha256 = s.bad_exe_sha256;
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

const char* MonitorServer::refusal_for(const PeerCredentials& peer) const {
  auto it = per_peer_.find(peer.pid);
  if (it != per_peer_.end() && it->second >= options_.max_connections_per_peer) return kRefusedPerPeer.data();
  if (conns_.size() >= options_.max_connections) return kRefusedMaxConnections.data();
  return nullptr;
}

void MonitorServer::note_refusal(const PeerCredentials& peer, const char* reason) {
  if (reason == kRefusedPerPeer) ++counters_.refused_per_peer;
  else ++counters_.refused_max_connections;
  for (RefusedPeer& r : refusals_) {
    if (r.peer.pid == peer.pid && r.reason == reason) {
      ++r.count;
      return;
    }
  }
  if (refusals_.size() < kMaxRefusedPeersKept) refusals_.push_back({peer, reason, 1});
}

std::vector<RefusedPeer> MonitorServer::take_refusals() { return std::exchange(refusals_, {}); }

void MonitorServer::accept_all() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
      // Out of fds or memory: the connection stays queued and the listening
      // socket stays readable, so epoll would wake us in a busy loop. Rest
      // a second (poll_once resumes), counting it.
      ++counters_.accept_failed;
      epoll_event ev{};
      ev.data.fd = listen_fd_;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listening_ = false;
      resume_listening_ = GvisorConnection::Clock::now() + kAcceptBackoff;
      return;
    }
    PeerCredentials peer;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      peer.pid = cred.pid;
      peer.uid = cred.uid;
    }
    if (const char* reason = refusal_for(peer)) {
      note_refusal(peer, reason);
      ::close(fd);
      continue;
    }
    DomainId domain = 0;
    {
      std::lock_guard<std::mutex> lock(expect_mu_);
      auto it = expected_.find(peer.pid);
      if (peer.pid != 0 && it != expected_.end()) {
        domain = it->second;
        expected_.erase(it);
        attached_.fetch_add(1);
      }
    }
    if (domain == 0) domain = next_domain_.fetch_add(1);
    const auto now = GvisorConnection::Clock::now();
    auto conn = std::make_unique<GvisorConnection>(fd, domain, peer, now);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // conn's dtor closes fd
    ++counters_.accepted;
    ++per_peer_[peer.pid];
    deadlines_.push_back({now + options_.handshake_timeout, fd, domain});
    conns_.emplace(fd, std::move(conn));
  }
}

void MonitorServer::retire(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  GvisorConnection& c = *it->second;
  c.close(c.close_reason()[0] ? c.close_reason() : "eof");
  SandboxStats st = stats_of(c);
  add_counters(retired_totals_, st);
  // A connection that never said hello is no sandbox worth listing (and a
  // flood of them would push real sandboxes out of the bounded list).
  if (st.close_reason != kHandshakeTimeout) {
    closed_.push_back(std::move(st));
    if (closed_.size() > kMaxClosedKept) closed_.erase(closed_.begin());
  }
  if (auto p = per_peer_.find(c.peer().pid); p != per_peer_.end() && --p->second == 0) per_peer_.erase(p);
  conns_.erase(it);
}

int MonitorServer::expire_handshakes() {
  const auto now = GvisorConnection::Clock::now();
  while (!deadlines_.empty()) {
    const Deadline d = deadlines_.front();
    auto it = conns_.find(d.fd);
    if (it == conns_.end() || it->second->state().domain != d.domain ||
        it->second->phase() != GvisorConnection::Phase::kHandshake) {
      deadlines_.pop_front();  // gone, or handshake done
      continue;
    }
    if (d.at > now) return ms_until(d.at, now);
    deadlines_.pop_front();
    it->second->close(kHandshakeTimeout);
    ++counters_.handshake_timeouts;
    retire(d.fd);
  }
  return -1;
}

bool MonitorServer::poll_once(int timeout_ms, MessageDecoder& decoder, RecordArena& out) {
  int wait = earlier(timeout_ms, expire_handshakes());
  if (!listening_) {
    const auto now = GvisorConnection::Clock::now();
    if (now >= resume_listening_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd_;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listening_ = true;
    } else {
      wait = earlier(wait, ms_until(resume_listening_, now));
    }
  }
  epoll_event events[64];
  int n = ::epoll_wait(epoll_fd_, events, 64, wait);
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
  expire_handshakes();
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

SandboxStats MonitorServer::sandbox_totals() const {
  SandboxStats sum = retired_totals_;
  for (const auto& [fd, c] : conns_) add_counters(sum, stats_of(*c));
  return sum;
}

void MonitorServer::close() {
  while (!conns_.empty()) retire(conns_.begin()->first);
  deadlines_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(options_.socket_path.c_str());
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_), epoll_fd_ = -1;
  if (wake_fd_ >= 0) ::close(wake_fd_), wake_fd_ = -1;
}

}  // namespace kestrel::gvisor
