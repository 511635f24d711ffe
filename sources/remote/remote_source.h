// remote_source.h — the host side of `--forward`: events forwarded by VM
// guests (or other nodes) over the stream of stream_codec.h, as one more
// source whose every sender is its own domain.
//
// Listening: one or more URIs (transport.h: unix://, tcp:// with mutual
// TLS, vsock://-1:PORT), many senders at once on each. One reader thread
// polls the listeners and every connection, decodes (StreamDecoder) and
// queues records for next(); when the queue is full it stops reading, so
// TCP/vsock/virtio back-pressure reaches the senders, whose bounded
// buffers drop and count (forwarder.h) — and the gap shows here.
//
// Domains (remote_domains.h, shared with the fleet bus's event source):
// each sender stream (a stream id: one guest Kestrel process) is its own
// DomainId, never reused, so a restarted guest gets fresh state tables.
// Its identity goes into the MachineDirectory for vm.* and machine.*:
//   vm.name  trusted sources first: the listener's ?name=, else the
//            `-name` of the qemu process at the other end of a unix socket
//            (SO_PEERCRED pid; qemu's virtio-serial chardev connects as a
//            client), else the TLS certificate's CN, else what the guest
//            says (forward.name / its hostname);
//   vm.id    qemu's -uuid, else the guest's DMI product_uuid, else
//            "stream-<id>".
// A VM is keyed by its vm.name: its StreamSequence (stream_sequence.h)
// follows it across reconnects and restarts, so the records lost when a
// guest is killed are counted when it says hello again.
//
// Counting: stats().drops["gap:<vm.name>"] = records a guest captured and
// the host never received (the drop alarm acts on them like kernel drops,
// so a gap raises "Falco internal: syscall event drop"); counters
// "remote.<vm>.{received,restarts,reconnects,connections}" and
// "remote.connections_refused" for malformed streams. A malformed stream
// closes that connection only.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sources/remote/remote_domains.h"
#include "sources/remote/stream_codec.h"
#include "sources/remote/transport.h"
#include "sources/source.h"
#include "state/machine_directory.h"

namespace kestrel::remote {

struct RemoteSourceConfig {
  std::vector<std::string> listen;  // URIs
  TlsFiles tls;                     // for tcp:// listeners
  StreamLimits limits;
  size_t queue_bytes = 32u << 20;   // decoded records held before reading stops
  size_t max_connections = 1024;
  MachineDirectory* machines = nullptr;  // where guests are registered (the app's)
  std::function<void(const std::string&)> log;  // connection lines; empty: stderr
};

// qemu's `-name` (its `guest=` part, or the whole value) and `-uuid` from
// the command line of process `pid`; empty when it is not qemu.
struct QemuIdentity {
  std::string name, uuid;
};
QemuIdentity qemu_identity_of(pid_t pid);

class RemoteSource final : public Source {
 public:
  explicit RemoteSource(RemoteSourceConfig config);
  ~RemoteSource() override;

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const override;
  void interrupt() override;
  void close() override;

  // The ports actually bound, in listen order (tcp://HOST:0 in tests).
  std::vector<uint16_t> ports() const;

 private:
  struct Conn;
  void run();
  void accept_from(Listener& l);
  bool read_from(Conn& c);  // false: drop the connection
  void log(const std::string& line) const { domains_.log(line); }

  RemoteSourceConfig config_;
  SourceCapabilities caps_;
  RemoteDomains domains_;  // the guests: their domains, sequences, queued records
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Conn>> conns_;  // reader thread only
  std::thread thread_;
  int wake_fd_ = -1;  // eventfd: interrupt()/close()
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_{0}, refused_{0};
};

}  // namespace kestrel::remote
