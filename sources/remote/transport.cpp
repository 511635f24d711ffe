#include "sources/remote/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace kestrel::remote {

namespace {

Status errno_status(const std::string& what) {
  const int e = errno;
  StatusCode code = (e == EACCES || e == EPERM) ? StatusCode::kPermissionDenied : StatusCode::kUnavailable;
  return Status(code, what + ": " + std::strerror(e));
}

std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Waits for `fd` to be ready for `events` within `wait`; false on timeout.
Result<bool> wait_fd(int fd, short events, std::chrono::milliseconds wait) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno_status("poll");
    return r > 0;
  }
}

PeerInfo described(std::string what) {
  PeerInfo p;
  p.description = std::move(what);
  return p;
}

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

class PlainConnection final : public Connection {
 public:
  PlainConnection(int fd, PeerInfo peer, bool is_socket) : fd_(fd), socket_(is_socket) { peer_ = std::move(peer); }
  ~PlainConnection() override { ::close(fd_); }
  Status write_all(std::span<const uint8_t> bytes) override {
    if (!socket_) {
      // A virtio-serial port whose host side is not connected polls as
      // POLLHUP (and a write would block until it is): report it as a
      // lost connection so the forwarder reconnects with a fresh hello.
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & POLLHUP))
        return Status(StatusCode::kUnavailable, peer_.description + ": the host side is not connected");
    }
    while (!bytes.empty()) {
      ssize_t n = socket_ ? ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) : ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("writing to " + peer_.description);
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return ok_status();
  }
  Result<size_t> read_some(std::span<uint8_t> out, std::chrono::milliseconds wait) override {
    auto ready = wait_fd(fd_, POLLIN, wait);
    if (!ready.ok()) return ready.status();
    if (!*ready) return size_t{0};
    for (;;) {
      ssize_t n = ::read(fd_, out.data(), out.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("reading from " + peer_.description);
      if (n == 0) return Status(StatusCode::kUnavailable, peer_.description + " closed the connection");
      return static_cast<size_t>(n);
    }
  }
  int fd() const override { return fd_; }

 private:
  int fd_;
  bool socket_;
};

struct SslCtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// A context that presents `files.cert` and requires a peer certificate
// signed by `files.ca` (mutual TLS), TLS 1.2 at least.
Result<SslCtx> make_ssl_ctx(const TlsFiles& files, bool server) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty())
    return Status(StatusCode::kInvalidArgument,
                  "mutual TLS needs all three of a certificate, its key and the CA of the peers (got cert '" +
                      files.cert + "', key '" + files.key + "', ca '" + files.ca + "')");
  SslCtx ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return Status(StatusCode::kInternal, "SSL_CTX_new: " + ssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1)
    return Status(StatusCode::kInvalidArgument, "TLS certificate " + files.cert + ": " + ssl_errors());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Status(StatusCode::kInvalidArgument, "TLS key " + files.key + ": " + ssl_errors());
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return Status(StatusCode::kInvalidArgument, "TLS key " + files.key + " does not match " + files.cert);
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1)
    return Status(StatusCode::kInvalidArgument, "TLS CA " + files.ca + ": " + ssl_errors());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

class TlsConnection final : public Connection {
 public:
  TlsConnection(int fd, SSL* ssl, PeerInfo peer) : fd_(fd), ssl_(ssl) { peer_ = std::move(peer); }
  ~TlsConnection() override {
    SSL_free(ssl_);
    ::close(fd_);
  }
  // Runs one SSL call to completion on the blocking socket.
  Status write_all(std::span<const uint8_t> bytes) override {
    while (!bytes.empty()) {
      size_t written = 0;
      if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) != 1)
        return Status(StatusCode::kUnavailable, "TLS write to " + peer_.description + ": " + ssl_errors());
      bytes = bytes.subspan(written);
    }
    return ok_status();
  }
  Result<size_t> read_some(std::span<uint8_t> out, std::chrono::milliseconds wait) override {
    if (SSL_pending(ssl_) == 0) {
      auto ready = wait_fd(fd_, POLLIN, wait);
      if (!ready.ok()) return ready.status();
      if (!*ready) return size_t{0};
    }
    size_t n = 0;
    if (SSL_read_ex(ssl_, out.data(), out.size(), &n) == 1) return n;
    int err = SSL_get_error(ssl_, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return size_t{0};
    if (err == SSL_ERROR_ZERO_RETURN) return Status(StatusCode::kUnavailable, peer_.description + " closed the TLS session");
    return Status(StatusCode::kUnavailable, "TLS read from " + peer_.description + ": " + ssl_errors());
  }
  int fd() const override { return fd_; }
  bool pending() const override { return SSL_pending(ssl_) > 0; }

 private:
  int fd_;
  SSL* ssl_;
};

// The handshake on a connected blocking socket, bounded by SO_RCVTIMEO /
// SO_SNDTIMEO so a peer that stalls cannot hold the accepting thread.
Result<std::unique_ptr<Connection>> tls_handshake(SSL_CTX* ctx, int raw_fd, PeerInfo peer, bool server,
                                                  std::chrono::milliseconds timeout, const std::string& sni) {
  Fd fd(raw_fd);
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return Status(StatusCode::kInternal, "SSL_new: " + ssl_errors());
  SSL_set_fd(ssl, fd.fd);
  if (!server && !sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  int r = server ? SSL_accept(ssl) : SSL_connect(ssl);
  if (r != 1) {
    std::string why = ssl_errors();
    SSL_free(ssl);
    return Status(StatusCode::kPermissionDenied, "TLS handshake with " + peer.description + " failed: " + why);
  }
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      peer.tls_common_name = cn;
    X509_free(cert);
  }
  peer.description += " (TLS, peer CN " + (peer.tls_common_name.empty() ? std::string("?") : peer.tls_common_name) + ")";
  // Writes may block a sender for long (a slow receiver): leave them
  // unbounded; the forwarder's own buffer absorbs it. Reads poll.
  timeval none{};
  setsockopt(fd.fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
  setsockopt(fd.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  return std::unique_ptr<Connection>(std::make_unique<TlsConnection>(fd.release(), ssl, std::move(peer)));
}

// connect() bounded by `timeout` (non-blocking connect, then blocking again).
Status connect_within(int fd, const sockaddr* addr, socklen_t len, std::chrono::milliseconds timeout,
                      const std::string& what) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int r = ::connect(fd, addr, len);
  if (r != 0 && errno != EINPROGRESS) return errno_status("connecting to " + what);
  if (r != 0) {
    auto ready = wait_fd(fd, POLLOUT, timeout);
    if (!ready.ok()) return ready.status();
    if (!*ready) return Status(StatusCode::kUnavailable, "connecting to " + what + ": timed out");
    int err = 0;
    socklen_t elen = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) {
      errno = err;
      return errno_status("connecting to " + what);
    }
  }
  fcntl(fd, F_SETFL, flags);
  return ok_status();
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path)
    return Status(StatusCode::kInvalidArgument, "unix socket path '" + path + "' is empty or longer than " +
                                                    std::to_string(sizeof a.sun_path - 1) + " bytes");
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

class SocketListener final : public Listener {
 public:
  SocketListener(int fd, Endpoint ep, SslCtx ctx, uint16_t port)
      : fd_(fd), endpoint_(std::move(ep)), ctx_(std::move(ctx)), port_(port) {}
  ~SocketListener() override {
    ::close(fd_);
    if (endpoint_.kind == EndpointKind::kUnix) ::unlink(endpoint_.path.c_str());
  }
  int fd() const override { return fd_; }
  const Endpoint& endpoint() const override { return endpoint_; }
  uint16_t port() const override { return port_; }

  Result<std::unique_ptr<Connection>> accept(std::chrono::milliseconds timeout) override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) return errno_status("accepting on " + endpoint_.uri);
    PeerInfo peer;
    switch (endpoint_.kind) {
      case EndpointKind::kUnix: {
        ucred cred{};
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) peer.pid = cred.pid;
        peer.description = "unix " + endpoint_.path + " pid " + std::to_string(peer.pid);
        break;
      }
      case EndpointKind::kTcp: {
        char host[INET6_ADDRSTRLEN] = "?";
        uint16_t port = 0;
        if (addr.ss_family == AF_INET) {
          auto* a = reinterpret_cast<sockaddr_in*>(&addr);
          inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
          port = ntohs(a->sin_port);
        } else if (addr.ss_family == AF_INET6) {
          auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
          inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
          port = ntohs(a->sin6_port);
        }
        peer.description = "tcp " + std::string(host) + ":" + std::to_string(port);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        break;
      }
      case EndpointKind::kVsock: {
        auto* a = reinterpret_cast<sockaddr_vm*>(&addr);
        peer.vsock_cid = a->svm_cid;
        peer.description = "vsock cid " + std::to_string(a->svm_cid);
        break;
      }
      case EndpointKind::kSerial:
        break;
    }
    if (ctx_) return tls_handshake(ctx_.get(), fd, std::move(peer), true, timeout, "");
    return std::unique_ptr<Connection>(std::make_unique<PlainConnection>(fd, std::move(peer), true));
  }

 private:
  int fd_;
  Endpoint endpoint_;
  SslCtx ctx_;
  uint16_t port_;
};

}  // namespace

Result<Endpoint> parse_endpoint(const std::string& uri) {
  Endpoint ep;
  ep.uri = uri;
  std::string rest = uri;
  if (auto q = rest.find("?name="); q != std::string::npos) {
    ep.name = rest.substr(q + 6);
    rest = rest.substr(0, q);
  }
  auto bad = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument,
                  "remote endpoint '" + uri + "': " + why +
                      " (accepted: unix://PATH, tcp://HOST:PORT, vsock://CID:PORT, virtio-serial://DEVICE, /dev/...)");
  };
  auto host_port = [&](std::string_view hp, std::string& host, uint16_t& port) -> bool {
    auto colon = hp.rfind(':');
    uint32_t p = 0;
    if (colon == std::string_view::npos || !parse_u32(hp.substr(colon + 1), p) || p > 65535) return false;
    host = std::string(hp.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    port = static_cast<uint16_t>(p);
    return !host.empty();
  };
  if (rest.rfind("unix://", 0) == 0) {
    ep.kind = EndpointKind::kUnix;
    ep.path = rest.substr(7);
    if (ep.path.empty()) return bad("no socket path");
  } else if (rest.rfind("tcp://", 0) == 0) {
    ep.kind = EndpointKind::kTcp;
    if (!host_port(std::string_view(rest).substr(6), ep.host, ep.port)) return bad("expected tcp://HOST:PORT");
  } else if (rest.rfind("vsock://", 0) == 0) {
    ep.kind = EndpointKind::kVsock;
    std::string cid;
    if (!host_port(std::string_view(rest).substr(8), cid, ep.port)) return bad("expected vsock://CID:PORT");
    if (cid == "-1" || cid == "any")
      ep.cid = VMADDR_CID_ANY;
    else if (!parse_u32(cid, ep.cid))
      return bad("the CID must be a number (2 = the host), -1 or 'any' to listen on every CID");
  } else if (rest.rfind("virtio-serial://", 0) == 0) {
    ep.kind = EndpointKind::kSerial;
    ep.path = rest.substr(16);
    if (ep.path.empty() || ep.path.front() != '/') return bad("expected virtio-serial:///dev/...");
  } else if (rest.rfind("/dev/", 0) == 0) {
    ep.kind = EndpointKind::kSerial;
    ep.path = rest;
  } else {
    return bad("unknown scheme");
  }
  return ep;
}

Result<std::unique_ptr<Connection>> connect_endpoint(const Endpoint& ep, const TlsFiles& tls,
                                                     std::chrono::milliseconds timeout) {
  switch (ep.kind) {
    case EndpointKind::kSerial: {
      Fd fd(::open(ep.path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (fd.fd < 0) return errno_status("opening " + ep.path);
      termios t{};
      if (isatty(fd.fd) && tcgetattr(fd.fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd.fd, TCSANOW, &t);
      } else {
        // virtio-serial: wait for the host side (the VM's chardev) to be there.
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
          pollfd p{fd.fd, POLLOUT, 0};
          if (::poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP)) break;
          if (std::chrono::steady_clock::now() >= deadline)
            return Status(StatusCode::kUnavailable, ep.path + ": the host side of the port is not connected");
          ::usleep(50 * 1000);
        }
      }
      return std::unique_ptr<Connection>(
          std::make_unique<PlainConnection>(fd.release(), described("serial " + ep.path), false));
    }
    case EndpointKind::kUnix: {
      auto addr = unix_address(ep.path);
      if (!addr.ok()) return addr.status();
      Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (fd.fd < 0) return errno_status("socket(AF_UNIX)");
      if (Status st = connect_within(fd.fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr, timeout, ep.uri);
          !st.ok())
        return st;
      return std::unique_ptr<Connection>(std::make_unique<PlainConnection>(fd.release(), described(ep.uri), true));
    }
    case EndpointKind::kVsock: {
      Fd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (fd.fd < 0) return errno_status("socket(AF_VSOCK) (is the vsock transport loaded in this kernel?)");
      sockaddr_vm a{};
      a.svm_family = AF_VSOCK;
      a.svm_cid = ep.cid;
      a.svm_port = ep.port;
      if (Status st = connect_within(fd.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a, timeout, ep.uri); !st.ok())
        return st;
      return std::unique_ptr<Connection>(std::make_unique<PlainConnection>(fd.release(), described(ep.uri), true));
    }
    case EndpointKind::kTcp: {
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (int r = getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res); r != 0)
        return Status(StatusCode::kUnavailable, "resolving " + ep.host + ": " + gai_strerror(r));
      Status last(StatusCode::kUnavailable, "no address for " + ep.host);
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        Fd fd(::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (fd.fd < 0) continue;
        last = connect_within(fd.fd, ai->ai_addr, ai->ai_addrlen, timeout, ep.uri);
        if (!last.ok()) continue;
        freeaddrinfo(res);
        int one = 1;
        setsockopt(fd.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!tls.enabled())
          return std::unique_ptr<Connection>(std::make_unique<PlainConnection>(fd.release(), described(ep.uri), true));
        auto ctx = make_ssl_ctx(tls, false);
        if (!ctx.ok()) return ctx.status();
        return tls_handshake(ctx->get(), fd.release(), described(ep.uri), false, timeout, ep.host);
      }
      freeaddrinfo(res);
      return last;
    }
  }
  return Status(StatusCode::kInternal, "unknown endpoint kind");
}

Result<std::unique_ptr<Listener>> listen_endpoint(const Endpoint& ep, const TlsFiles& tls) {
  SslCtx ctx;
  if (tls.enabled()) {
    if (ep.kind != EndpointKind::kTcp)
      return Status(StatusCode::kInvalidArgument, "TLS applies to tcp:// only, not " + ep.uri);
    auto c = make_ssl_ctx(tls, true);
    if (!c.ok()) return c.status();
    ctx = std::move(*c);
  }
  uint16_t bound_port = 0;
  Fd fd;
  switch (ep.kind) {
    case EndpointKind::kSerial:
      return Status(StatusCode::kInvalidArgument,
                    "cannot listen on a serial device (" + ep.uri +
                        "): on the host, listen on the unix socket of the VM's chardev instead");
    case EndpointKind::kUnix: {
      auto addr = unix_address(ep.path);
      if (!addr.ok()) return addr.status();
      fd.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd.fd < 0) return errno_status("socket(AF_UNIX)");
      struct stat st{};
      if (::lstat(ep.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(ep.path.c_str());
      if (::bind(fd.fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
        return errno_status("binding " + ep.path);
      ::chmod(ep.path.c_str(), 0660);
      break;
    }
    case EndpointKind::kVsock: {
      fd.fd = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd.fd < 0) return errno_status("socket(AF_VSOCK) (is vhost_vsock / vsock loaded?)");
      sockaddr_vm a{};
      a.svm_family = AF_VSOCK;
      a.svm_cid = ep.cid;
      a.svm_port = ep.port;
      if (::bind(fd.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return errno_status("binding " + ep.uri);
      bound_port = ep.port;
      break;
    }
    case EndpointKind::kTcp: {
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = AI_PASSIVE;
      addrinfo* res = nullptr;
      if (int r = getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res); r != 0)
        return Status(StatusCode::kUnavailable, "resolving " + ep.host + ": " + gai_strerror(r));
      fd.fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      int b = fd.fd < 0 ? -1 : ::bind(fd.fd, res->ai_addr, res->ai_addrlen);
      freeaddrinfo(res);
      if (fd.fd < 0 || b != 0) return errno_status("binding " + ep.uri);
      sockaddr_storage got{};
      socklen_t len = sizeof got;
      getsockname(fd.fd, reinterpret_cast<sockaddr*>(&got), &len);
      bound_port = ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
      break;
    }
  }
  if (::listen(fd.fd, 64) != 0) return errno_status("listening on " + ep.uri);
  return std::unique_ptr<Listener>(std::make_unique<SocketListener>(fd.release(), ep, std::move(ctx), bound_port));
}

}  // namespace kestrel::remote
