// grpc_server.h — Falco-compatible gRPC services: falco.outputs.service
// (`sub`, `get`) and falco.version.service, fed by an AlertHub.
//
// bind_address follows Falco's `grpc.bind_address`: "unix:///path/to.sock"
// (plain, the socket made mode 0660 as Kestrel's other sockets) or
// "host:port" over TCP, which requires TLS (server key + cert chain; with
// root_certs, client certificates are required and verified — mutual TLS,
// as Falco does). `threadiness` caps the server's threads (0: gRPC's
// default). Each open `sub` stream holds one thread while it waits.
#pragma once

#include <memory>
#include <string>

#include "outputs/grpc/alert_hub.h"
#include "base/status.h"

namespace kestrel::engine {

struct GrpcServerOptions {
  std::string bind_address = "unix:///run/kestrel/kestrel.sock";
  uint64_t threadiness = 0;
  std::string private_key{}, cert_chain{}, root_certs{};  // files, TCP only
  std::string version = "0.0.0";                     // reported by falco.version.service
};

class GrpcServer {
 public:
  virtual ~GrpcServer() = default;
  // Closes the hub (subscriptions end after what they have queued) and
  // shuts the server down, cancelling calls still open after `grace`.
  virtual void stop(std::chrono::milliseconds grace) = 0;
};

// Errors: an address that cannot be bound, TCP without TLS files, unreadable
// TLS files.
Result<std::unique_ptr<GrpcServer>> start_grpc_server(const GrpcServerOptions& options,
                                                      std::shared_ptr<AlertHub> hub);

}  // namespace kestrel::engine
