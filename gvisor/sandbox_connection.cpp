#include "gvisor/sandbox_connection.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kestrel::gvisor {

GvisorConnection::GvisorConnection(int fd, DomainId domain, PeerCredentials peer, Clock::time_point accepted)
    : fd_(fd), peer_(peer), accepted_(accepted) {
  state_.domain = domain;
}

GvisorConnection::~GvisorConnection() { close("closed"); }

void GvisorConnection::close(const char* reason) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (phase_ != Phase::kClosed) close_reason_ = reason;
  phase_ = Phase::kClosed;
}

void GvisorConnection::handshake(std::span<const uint8_t> packet) {
  Result<uint32_t> v = parse_handshake(packet);
  if (!v.ok()) return close("bad_handshake");
  version_ = *v;
  if (version_ < kMinSandboxVersion) return close("old_version");
  std::vector<uint8_t> reply = encode_handshake(kWireVersion);
  // The sandbox blocks on this reply right after connecting; a full socket
  // buffer here would mean a broken peer.
  if (::send(fd_, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL) != static_cast<ssize_t>(reply.size()))
    return close("io_error");
  phase_ = Phase::kStreaming;
}

void GvisorConnection::on_readable(MessageDecoder& decoder, RecordArena& out, std::vector<uint8_t>& buf,
                                   const ConnectionLimits& limits) {
  if (buf.size() < limits.max_packet + 1) buf.resize(limits.max_packet + 1);
  for (size_t i = 0; i < limits.max_packets_per_round && phase_ != Phase::kClosed; ++i) {
    // MSG_TRUNC: the return value is the packet's real length even when it
    // did not fit, so an oversized packet is recognised and discarded whole.
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      return close("io_error");
    }
    if (n == 0) return close("eof");
    size_t len = static_cast<size_t>(n);
    if (phase_ == Phase::kHandshake) {
      if (len > kMaxHandshakeSize) return close("bad_handshake");
      handshake({buf.data(), len});
      continue;
    }
    if (len > limits.max_packet) {
      ++state_.too_large;
      continue;
    }
    decoder.decode({buf.data(), len}, state_, out);
    if (state_.malformed >= limits.max_malformed) return close("too_many_malformed");
  }
}

}  // namespace kestrel::gvisor
