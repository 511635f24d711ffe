#include "app/source_factory.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "ebpf/ebpf_source.h"
#include "gvisor/gvisor_source.h"
#include "sources/capture/capture_source.h"
#include "sources/state/proc_scanner.h"

namespace kestrel {
namespace {

class ProcScannedSource : public Source {
 public:
  explicit ProcScannedSource(std::unique_ptr<Source> inner) : inner_(std::move(inner)) {}
  const SourceCapabilities& capabilities() const override { return inner_->capabilities(); }
  Status open() override { return inner_->open(); }
  std::vector<ThreadInfo> initial_state() override {
    auto scanned = ProcScanner().scan();
    // A failed scan is not fatal: state then fills in from events.
    return scanned.ok() ? std::move(*scanned) : std::vector<ThreadInfo>{};
  }
  Status set_event_filter(const EventTypeSet& types) override { return inner_->set_event_filter(types); }
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override { return inner_->next(out, wait); }
  SourceStats stats() const override { return inner_->stats(); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<Source> inner_;
};

Status not_landed(const std::string& what) {
  return Status(StatusCode::kUnimplemented, what + " has not landed yet");
}

}  // namespace

Result<std::string> gvisor_socket_path(const KestrelConfig& config) {
  const std::string& file = config.engine.gvisor_config;
  if (file.empty()) return std::string(gvisor::kDefaultSocketPath);
  std::ifstream in(file);
  if (!in) return Status(StatusCode::kNotFound, "engine.gvisor.config: cannot read '" + file + "'");
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) return Status(StatusCode::kInvalidArgument, "engine.gvisor.config: '" + file + "' is not JSON");
  // runsc's pod-init config: trace_session.sinks[] with a "remote" sink whose
  // config.endpoint is the socket we listen on.
  const auto& sinks = json["trace_session"]["sinks"];
  if (sinks.is_array())
    for (const auto& sink : sinks)
      if (sink.value("name", "") == "remote" && sink.contains("config") && sink["config"].contains("endpoint") &&
          sink["config"]["endpoint"].is_string())
        return sink["config"]["endpoint"].get<std::string>();
  return Status(StatusCode::kInvalidArgument,
                "engine.gvisor.config: '" + file + "' has no trace_session sink named \"remote\" with an endpoint");
}

namespace {

Result<std::unique_ptr<Source>> make_gvisor(const KestrelConfig& config) {
  auto path = gvisor_socket_path(config);
  if (!path.ok()) return path.status();
  gvisor::GvisorSourceConfig options;
  options.server.socket_path = *path;
  // Sandboxes already running under engine.gvisor.root are attached with
  // the same config (its remote sink is the socket above); without one the
  // source writes its own.
  options.attach.root = config.engine.gvisor_root;
  options.attach.session_config = config.engine.gvisor_config;
  return std::unique_ptr<Source>(gvisor::make_gvisor_source(options));
}

}  // namespace

std::unique_ptr<Source> with_proc_scan(std::unique_ptr<Source> source) {
  return std::make_unique<ProcScannedSource>(std::move(source));
}

Result<std::vector<std::unique_ptr<Source>>> make_sources(const KestrelConfig& config, const std::string& capture,
                                                          bool plugin_sources) {
  std::vector<std::unique_ptr<Source>> sources;
  if (!capture.empty()) {
    sources.push_back(make_capture_source(capture));
    return sources;
  }
  const std::string& kind = config.engine.kind;
  if (kind == "none" && plugin_sources) return sources;
  if (kind == "none")
    return Status(StatusCode::kInvalidArgument, "engine.kind=none and no -e capture: there is no event source");
  if (kind == "kmod") return not_landed("engine.kind=kmod: the kernel module source (driverkit)");
  if (kind == "gvisor") {
    auto g = make_gvisor(config);
    if (!g.ok()) return g.status();
    sources.push_back(std::move(*g));
    return sources;
  }
  if (kind == "capture") return Status(StatusCode::kInvalidArgument, "engine.kind=capture needs -e FILE");
  // auto and ebpf: the modern probe. open() explains what is missing when
  // the kernel cannot run it.
  EbpfOptions options;
  options.buffer_bytes = config.engine.ebpf_buf_size;
  options.cpus_per_buffer = static_cast<uint32_t>(config.engine.ebpf_cpus_for_each_buffer);
  sources.push_back(with_proc_scan(std::make_unique<EbpfSource>(options)));
  if (config.engine.gvisor_enabled) {
    // Sandboxes alongside the host: one stream, events tagged by domain.
    auto g = make_gvisor(config);
    if (!g.ok()) return g.status();
    sources.push_back(std::move(*g));
  }
  return sources;
}

}  // namespace kestrel
