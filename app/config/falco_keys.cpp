// falco_keys.cpp — the table of falco_keys.h, from Falco's falco.yaml
// (shared/reference/falco-config), one row per key.
#include "app/config/falco_keys.h"

#include <cstdlib>

namespace kestrel {
namespace {

// buf_size_preset N (1..10) is 2^(N-1) MiB per buffer; 0 is reserved
// (falco.yaml, "buf_size_preset").
Result<YAML::Node> preset_bytes(const YAML::Node& node) {
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  char* end = nullptr;
  const long preset = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || preset < 1 || preset > 10)
    return Status(StatusCode::kInvalidArgument, "'" + text + "' is not a buf_size_preset (1 to 10; 0 is reserved)");
  return YAML::Node(std::to_string((1ull << 20) << (preset - 1)));
}

// rules_file (before Falco 0.38) was a list or a single path.
Result<YAML::Node> as_list(const YAML::Node& node) {
  if (!node.IsScalar()) return node;
  YAML::Node list(YAML::NodeType::Sequence);
  list.push_back(node);
  return list;
}

using K = FalcoKeyKind;

constexpr std::string_view kNoLibs = "Kestrel has no libscap/libsinsp; its own log is the only one";
constexpr std::string_view kThreadPurge =
    "Kestrel's thread table drops a thread at its exit and evicts the oldest beyond state.max_threads; there is "
    "no purge timer";

const FalcoKey kFalcoKeys[] = {
    {"rules_file", K::kAlias, "rules_files", "", "", as_list},
    {"plugins_hostinfo", K::kNoMeaning, "", "Kestrel offers plugins no host-info state table"},
    {"buffer_format_base64", K::kDefaultOnly, "", "base64 rendering of data buffers is not implemented", "false"},
    {"outputs_queue", K::kSection},
    // capacity 0 (Falco: unbounded) is handled by the loader: Kestrel's queue is always bounded.
    {"outputs_queue.capacity", K::kAlias, "outputs.queue_capacity"},
    {"libs_logger", K::kSection},
    {"libs_logger.enabled", K::kNoMeaning, "", kNoLibs},
    {"libs_logger.severity", K::kNoMeaning, "", kNoLibs},
    {"syscall_event_timeouts", K::kSection},
    {"syscall_event_timeouts.max_consecutives", K::kNoMeaning, "",
     "Kestrel's sources wait on their rings; an idle ring is not an event timeout"},
    {"falco_libs", K::kSection},
    {"falco_libs.thread_table_size", K::kAlias, "state.max_threads"},
    {"falco_libs.thread_table_auto_purging_interval_s", K::kNoMeaning, "", kThreadPurge},
    {"falco_libs.thread_table_auto_purging_thread_timeout_s", K::kNoMeaning, "", kThreadPurge},
    {"falco_libs.snaplen", K::kNoMeaning, "",
     "libsinsp's I/O snapshot length: Kestrel's probe and module copy their own fixed buffer sizes"},
    {"engine.modern_ebpf", K::kSection},
    {"engine.modern_ebpf.cpus_for_each_buffer", K::kAlias, "engine.ebpf.cpus_for_each_buffer"},
    {"engine.modern_ebpf.buf_size_preset", K::kAlias, "engine.ebpf.buf_size", "", "", preset_bytes},
    {"engine.modern_ebpf.drop_failed_exit", K::kDefaultOnly, "", "dropping failed syscalls in the probe is not implemented",
     "false"},
    {"engine.modern_ebpf.disable_iterators", K::kNoMeaning, "",
     "Kestrel reads the initial process table from /proc, not with BPF iterators"},
    {"engine.ebpf.probe", K::kNoMeaning, "", "Falco's legacy eBPF probe file: Kestrel's probe is built in"},
    {"engine.ebpf.buf_size_preset", K::kAlias, "engine.ebpf.buf_size", "", "", preset_bytes},
    {"engine.ebpf.drop_failed_exit", K::kDefaultOnly, "", "dropping failed syscalls in the probe is not implemented",
     "false"},
    {"engine.kmod.buf_size_preset", K::kAlias, "engine.kmod.buf_size", "", "", preset_bytes},
    {"engine.kmod.drop_failed_exit", K::kDefaultOnly, "", "dropping failed syscalls in the module is not implemented",
     "false"},
    {"metrics.kernel_iter_event_counters_enabled", K::kNoMeaning, "",
     "counters of libscap's BPF iterators: Kestrel reads the initial process table from /proc, it has no iterators"},
    {"metrics.jemalloc_stats_enabled", K::kNoMeaning, "", "Kestrel is not built with jemalloc, so it has no jemalloc stats"},
    {"webserver.threadiness", K::kNoMeaning, "", "Kestrel's webserver sizes its own thread pool (cpp-httplib)"},
    {"webserver.ssl_enabled", K::kDefaultOnly, "", "TLS on the webserver is not implemented", "false"},
    {"webserver.ssl_certificate", K::kNoMeaning, "", "used only with webserver.ssl_enabled, which Kestrel does not implement"},
    {"http_output.insecure", K::kDefaultOnly, "", "turning off TLS verification is not implemented", "false"},
    {"http_output.ca_cert", K::kDefaultOnly, "", "a CA file for the HTTP output is not implemented (the system's CAs are used)",
     "\"\""},
    {"http_output.ca_bundle", K::kDefaultOnly, "",
     "a CA bundle for the HTTP output is not implemented (the system's CAs are used)", "\"\""},
    {"http_output.ca_path", K::kNoMeaning, "", "the HTTP output verifies against libcurl's system CA store"},
    {"http_output.mtls", K::kDefaultOnly, "", "client certificates on the HTTP output are not implemented", "false"},
    {"http_output.client_cert", K::kNoMeaning, "", "used only with http_output.mtls, which Kestrel does not implement"},
    {"http_output.client_key", K::kNoMeaning, "", "used only with http_output.mtls, which Kestrel does not implement"},
    {"http_output.echo", K::kDefaultOnly, "", "echoing the server's answer is not implemented", "false"},
    {"http_output.compress_uploads", K::kDefaultOnly, "", "compressed uploads are not implemented", "false"},
    {"http_output.keep_alive", K::kNoMeaning, "", "Kestrel's HTTP output reuses one connection per sink by itself"},
    {"http_output.max_consecutive_timeouts", K::kNoMeaning, "",
     "Kestrel retries a failed POST with backoff (outputs.http.max_backoff) until the shutdown deadline instead"},
};

}  // namespace

std::span<const FalcoKey> falco_keys() { return kFalcoKeys; }

const FalcoKey* find_falco_key(std::string_view path) {
  for (const auto& key : kFalcoKeys)
    if (key.path == path) return &key;
  return nullptr;
}

std::string falco_engine_kind(const std::string& kind) {
  if (kind == "modern_ebpf") return "ebpf";
  if (kind == "nodriver") return "none";
  if (kind == "replay") return "capture";
  return kind;
}

}  // namespace kestrel
