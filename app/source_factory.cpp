#include "app/source_factory.h"

#include <nlohmann/json.hpp>

#include <sys/utsname.h>

#include <cstdio>
#include <fstream>
#include <ostream>

#include "app/engine_choice.h"
#include "app/kmod_from_index.h"
#include "ebpf/ebpf_source.h"
#include "ebpf/host_checks.h"
#include "gvisor/gvisor_source.h"
#include "sources/remote/remote_source.h"
#include "kmod/kmod_source.h"
#include "kmod/module/kestrel_kmod_abi.h"
#include "sources/capture/capture_source.h"

namespace kestrel {

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
  if (config.engine.gvisor_max_connections) options.server.max_connections = config.engine.gvisor_max_connections;
  if (config.engine.gvisor_max_connections_per_peer)
    options.server.max_connections_per_peer = config.engine.gvisor_max_connections_per_peer;
  if (config.engine.gvisor_handshake_timeout.count() > 0)
    options.server.handshake_timeout = config.engine.gvisor_handshake_timeout;
  return std::unique_ptr<Source>(gvisor::make_gvisor_source(options));
}

Result<std::unique_ptr<Source>> make_kmod(const KestrelConfig& config) {
  KmodOptions options;
  if (config.engine.kmod_buf_size) options.buffer_bytes = config.engine.kmod_buf_size;
  return make_kmod_source(options);  // its initial_state() is a /proc scan
}

// The probe's helpers (ring buffers, bpf_loop) need Linux >= 5.17.
Status check_kernel_version() {
  struct utsname u {};
  int major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2)
    return Status(StatusCode::kUnavailable, "cannot tell the kernel version (uname)");
  if (major > 5 || (major == 5 && minor >= 17)) return ok_status();
  return Status(StatusCode::kUnavailable,
                std::string("kernel ") + u.release + " is older than 5.17, which the eBPF probe needs");
}

// What choose_syscall_engine() decides from: read from this host.
EngineFacts engine_facts(const std::string& kind, const KestrelConfig& config) {
  EngineFacts facts;
  if (kind == "auto") {
    facts.ebpf = ebpf::check_kernel_btf();
    if (facts.ebpf.ok()) facts.ebpf = ebpf::check_privileges();
    if (facts.ebpf.ok()) facts.ebpf = check_kernel_version();
  }
  facts.kmod_device = kmod_device_present(KESTREL_KMOD_DEVICE);
  facts.kmod_index = config.engine.kmod_index;
  return facts;
}

// engine.kind=auto or kmod: the source choose_syscall_engine() picks,
// after loading the module from engine.kmod.index when it says so.
// Returns "ebpf" or "kmod"; the choice and any load are logged.
Result<std::string> choose_and_prepare(const std::string& kind, const KestrelConfig& config, std::ostream& log) {
  EngineFacts facts = engine_facts(kind, config);
  auto choice = choose_syscall_engine(kind, facts);
  if (!choice.ok()) return choice.status();
  log << "kestrel: " << choice->why << "\n";
  if (choice->load_from_index) {
    auto load = load_kmod_from_index(facts.kmod_index, KESTREL_KMOD_DEVICE);
    if (!load.ok()) return index_load_failure(kind, facts, load.status());
    log << "kestrel: " << describe(*load) << "\n";
  }
  log.flush();
  return choice->kind;
}

}  // namespace

Result<std::vector<std::unique_ptr<Source>>> make_sources(const SourcePlan& plan, const KestrelConfig& config,
                                                          std::ostream& log) {
  std::vector<std::unique_ptr<Source>> sources;
  if (!plan.capture.empty()) {
    sources.push_back(make_capture_source(plan.capture));
    return sources;
  }
  std::string kind = plan.syscall_kind;
  if (kind == "auto" || kind == "kmod") {
    auto picked = choose_and_prepare(kind, config, log);
    if (!picked.ok()) return picked.status();
    kind = *picked;
  }
  if (kind == "kmod") {
    auto k = make_kmod(config);
    if (!k.ok()) return k.status();
    sources.push_back(std::move(*k));
  } else if (kind == "gvisor") {
    auto g = make_gvisor(config);
    if (!g.ok()) return g.status();
    sources.push_back(std::move(*g));
  } else if (kind == "ebpf") {
    // The modern probe; open() explains what is missing when the kernel
    // cannot run it. Its own initial_state() scans /proc with its own
    // options, after the probe is live; nothing wraps it.
    EbpfOptions options;
    options.buffer_bytes = config.engine.ebpf_buf_size;
    options.cpus_per_buffer = static_cast<uint32_t>(config.engine.ebpf_cpus_for_each_buffer);
    // Falco's libbpf_stats_enabled: only while some metrics are published
    // (the accounting costs every BPF program on the host two clock reads).
    const bool metrics_published =
        config.metrics.enabled || (config.webserver.enabled && config.webserver.prometheus_metrics_enabled);
    options.bpf_run_time_stats = config.metrics.libbpf_stats_enabled && metrics_published;
    sources.push_back(make_ebpf_source(options));
  } else if (!kind.empty()) {
    return Status(StatusCode::kInvalidArgument, "engine.kind=" + kind + " is not a syscall source");
  }
  if (plan.gvisor_alongside) {
    auto g = make_gvisor(config);
    if (!g.ok()) return g.status();
    sources.push_back(std::move(*g));
  }
  if (!plan.remote_listen.empty()) {
    remote::RemoteSourceConfig rc;
    rc.listen = plan.remote_listen;
    rc.tls = {config.remote.tls_cert, config.remote.tls_key, config.remote.tls_ca};
    if (config.remote.queue_bytes) rc.queue_bytes = config.remote.queue_bytes;
    if (config.remote.max_connections) rc.max_connections = config.remote.max_connections;
    rc.machines = plan.machines;
    sources.push_back(std::make_unique<remote::RemoteSource>(std::move(rc)));
  }
  return sources;
}

}  // namespace kestrel
