// transport.h — the byte pipes a forwarded stream (stream_codec.h) travels
// on, named by URI:
//
//   unix://PATH                 a unix stream socket (also the host side of a
//                               qemu virtio-serial chardev, and of a
//                               Firecracker vsock, which Firecracker proxies
//                               to PATH_PORT on the host)
//   tcp://HOST:PORT             TCP; with TLS files, mutual TLS 1.2+ (each
//                               side presents a certificate the other's CA
//                               signed; no certificate, no connection)
//   vsock://CID:PORT            AF_VSOCK (guest -> host: CID 2; a host
//                               listens on vsock://-1:PORT, any CID)
//   virtio-serial://DEVICE      a character device written as a byte pipe
//   /dev/...                    (the guest's /dev/vport0p1, /dev/virtio-ports/NAME,
//                               or a serial tty, put in raw mode); write only
//
// A listener URI may carry `?name=NAME`: every peer accepted there is the
// VM NAME (a per-VM socket path names its VM; see remote_source.h).
//
// Connections are blocking with timeouts; one thread uses a connection.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"

namespace kestrel::remote {

enum class EndpointKind { kUnix, kTcp, kVsock, kSerial };

struct Endpoint {
  EndpointKind kind = EndpointKind::kUnix;
  std::string path;         // unix socket or serial device
  std::string host;         // tcp
  uint16_t port = 0;        // tcp, vsock
  uint32_t cid = 0;         // vsock; UINT32_MAX = any (listen)
  std::string name;         // ?name= on a listener: the VM every peer there is
  std::string uri;          // as given
};

// Parses one of the forms above; kInvalidArgument naming the accepted forms.
Result<Endpoint> parse_endpoint(const std::string& uri);

// Mutual TLS for tcp://: all three files, or none (plain TCP).
struct TlsFiles {
  std::string cert;  // this side's certificate (PEM)
  std::string key;   // its private key (PEM)
  std::string ca;    // the CA that must have signed the peer's certificate
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// What the accepting side knows of a peer, from the transport (trusted,
// unlike anything the peer says in its stream).
struct PeerInfo {
  std::string description;  // "unix pid 1234", "tcp 10.0.0.5:41234", "vsock cid 7"
  pid_t pid = 0;            // unix: SO_PEERCRED
  uint32_t vsock_cid = 0;
  std::string tls_common_name;  // the peer certificate's subject CN
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Writes everything or fails (the peer went away: kUnavailable).
  virtual Status write_all(std::span<const uint8_t> bytes) = 0;
  // Up to out.size() bytes, waiting at most `wait`; 0 with ok on timeout;
  // kUnavailable at end of stream.
  virtual Result<size_t> read_some(std::span<uint8_t> out, std::chrono::milliseconds wait) = 0;
  // The fd to poll for readability (TLS may hold bytes: see pending()).
  virtual int fd() const = 0;
  virtual bool pending() const { return false; }
  const PeerInfo& peer() const { return peer_; }

 protected:
  PeerInfo peer_;
};

// Connects (opens, for a serial device) within `timeout`.
Result<std::unique_ptr<Connection>> connect_endpoint(const Endpoint& endpoint, const TlsFiles& tls,
                                                     std::chrono::milliseconds timeout);

class Listener {
 public:
  virtual ~Listener() = default;
  virtual int fd() const = 0;
  // Accepts one peer (call when fd() is readable); TLS handshakes within
  // `timeout`. An error concerns that peer only.
  virtual Result<std::unique_ptr<Connection>> accept(std::chrono::milliseconds timeout) = 0;
  virtual const Endpoint& endpoint() const = 0;
  // The port bound (tcp://HOST:0 picks one).
  virtual uint16_t port() const { return 0; }
};

// Binds and listens. unix: an existing socket file is replaced; the socket
// is made mode 0660. Serial devices cannot be listened on (the host side
// of virtio-serial is the qemu chardev's unix socket).
Result<std::unique_ptr<Listener>> listen_endpoint(const Endpoint& endpoint, const TlsFiles& tls);

}  // namespace kestrel::remote
