#include "app/config/config_schema.h"

namespace kestrel {
namespace {

constexpr std::string_view kRuleMatching[] = {"first", "all"};
constexpr std::string_view kDropActions[] = {"log", "alert", "exit", "ignore"};
constexpr std::string_view kEngineKinds[] = {"auto", "ebpf", "kmod", "gvisor", "capture", "none"};

const ConfigKey kKeys[] = {
    {"rules_files", ConfigType::kStringList, "rules files or directories, loaded in order (empty: embedded ruleset)"},
    {"priority", ConfigType::kPriority, "minimum priority of alerts to emit"},
    {"rule_matching", ConfigType::kEnum, "first: only the first matching rule fires; all: every one", kRuleMatching},
    {"json_output", ConfigType::kBool, "emit alerts as JSON lines with Falco's keys"},
    {"json_include_output_property", ConfigType::kBool, "include the formatted `output` in JSON alerts"},
    {"json_include_tags_property", ConfigType::kBool, "include the rule's `tags` in JSON alerts"},
    {"stdout_output", ConfigType::kSection, "alerts to standard output"},
    {"stdout_output.enabled", ConfigType::kBool, "write alerts to stdout"},
    {"file_output", ConfigType::kSection, "alerts appended to a file"},
    {"file_output.enabled", ConfigType::kBool, "append alerts to `filename`"},
    {"file_output.keep_alive", ConfigType::kBool, "keep the file open between alerts"},
    {"file_output.filename", ConfigType::kString, "file to append to"},
    {"syslog_output", ConfigType::kSection, "alerts to syslog"},
    {"syslog_output.enabled", ConfigType::kBool, "send alerts to syslog"},
    {"program_output", ConfigType::kSection, "alerts piped to a program"},
    {"program_output.enabled", ConfigType::kBool, "pipe alerts to `program`"},
    {"program_output.keep_alive", ConfigType::kBool, "keep one program running for all alerts"},
    {"program_output.program", ConfigType::kString, "shell command that reads alerts on stdin"},
    {"output_timeout", ConfigType::kInt,
     "milliseconds a program output may take to read or finish an alert, and the outputs get to drain at exit"},
    {"http_output", ConfigType::kSection, "alerts POSTed as JSON (Falcosidekick)"},
    {"http_output.enabled", ConfigType::kBool, "POST alerts to `url`"},
    {"http_output.url", ConfigType::kString, "where to POST"},
    {"http_output.user_agent", ConfigType::kString, "User-Agent header of the POSTs"},
    {"grpc", ConfigType::kSection, "gRPC server (Falco-compatible outputs and version services)"},
    {"grpc.enabled", ConfigType::kBool, "run the gRPC server"},
    {"grpc.bind_address", ConfigType::kString, "unix:///path (plain) or host:port (TLS required)"},
    {"grpc.threadiness", ConfigType::kInt, "server threads (0: gRPC default)"},
    {"grpc.private_key", ConfigType::kString, "TLS server key file (TCP)"},
    {"grpc.cert_chain", ConfigType::kString, "TLS server certificate chain file (TCP)"},
    {"grpc.root_certs", ConfigType::kString, "CA file; when set, clients must present a certificate it signed"},
    {"grpc_output", ConfigType::kSection, "alerts streamed by the gRPC outputs service"},
    {"grpc_output.enabled", ConfigType::kBool, "stream alerts to gRPC subscribers (needs grpc.enabled)"},
    {"webserver", ConfigType::kSection, "HTTP endpoint with /healthz and /metrics"},
    {"webserver.enabled", ConfigType::kBool, "serve /healthz and /metrics"},
    {"webserver.listen_port", ConfigType::kInt, "TCP port of the endpoint"},
    {"webserver.listen_address", ConfigType::kString, "address the endpoint binds to"},
    {"syscall_event_drops", ConfigType::kSection, "what to do when sources lose events"},
    {"syscall_event_drops.threshold", ConfigType::kFloat, "fraction of events lost (0-1) above which actions run"},
    {"syscall_event_drops.actions", ConfigType::kEnumList, "any of: log, alert, exit (ignore: none)", kDropActions},
    {"outputs", ConfigType::kSection, "Kestrel-only output settings"},
    {"outputs.ocsf", ConfigType::kBool, "write alerts as OCSF Security Finding JSON lines (stdout, file, program, syslog)"},
    {"outputs.queue_capacity", ConfigType::kInt, "alerts waiting for the output thread; beyond it they are dropped and counted"},
    {"outputs.rate", ConfigType::kInt, "alerts per second let through (token bucket); 0 = unlimited"},
    {"outputs.max_burst", ConfigType::kInt, "token bucket size for outputs.rate"},
    {"outputs.http", ConfigType::kSection, "HTTP output delivery"},
    {"outputs.http.queue_capacity", ConfigType::kInt, "alerts waiting to be POSTed; beyond it they are dropped and counted"},
    {"outputs.http.max_backoff", ConfigType::kDuration, "longest wait between retries of a failed POST"},
    {"outputs.http.timeout", ConfigType::kDuration, "time limit of one POST"},
    {"outputs.grpc", ConfigType::kSection, "gRPC outputs service delivery"},
    {"outputs.grpc.wait_subscribers", ConfigType::kInt, "before capture starts, wait for this many `sub` streams (e.g. to replay -e to a client)"},
    {"outputs.grpc.wait_timeout", ConfigType::kDuration, "longest wait for those subscribers"},
    {"outputs.grpc.drain_timeout", ConfigType::kDuration, "at exit, longest wait for subscribers to receive what is queued"},
    {"limits", ConfigType::kSection, "bounds on untrusted input Kestrel reads"},
    {"limits.rules_file_bytes", ConfigType::kInt, "largest rules file loaded (bytes); larger ones are refused"},
    {"plugins", ConfigType::kPluginList,
     "Falco plugins: [{name, library_path, init_config (string or map), open_params}]"},
    {"load_plugins", ConfigType::kStringList, "names from `plugins` to load; their event sources run alongside engine.kind"},
    {"engine", ConfigType::kSection, "event sources"},
    {"engine.kind", ConfigType::kEnum, "syscall source: auto, ebpf, kmod, gvisor, capture or none", kEngineKinds},
    {"engine.ebpf", ConfigType::kSection, "modern eBPF probe"},
    {"engine.ebpf.buf_size", ConfigType::kInt, "bytes per ring buffer (power of two)"},
    {"engine.ebpf.cpus_for_each_buffer", ConfigType::kInt, "CPUs sharing one ring buffer (0: one for all)"},
    {"engine.kmod", ConfigType::kSection, "kestrel kernel module (kmod/, device /dev/kestrel)"},
    {"engine.kmod.buf_size", ConfigType::kInt, "data bytes per per-CPU ring (rounded up to a power of two)"},
    {"engine.gvisor", ConfigType::kSection, "gVisor (runsc) monitoring socket"},
    {"engine.gvisor.enabled", ConfigType::kBool, "listen for runsc sandboxes alongside the syscall source"},
    {"engine.gvisor.config", ConfigType::kString, "runsc pod-init config naming the socket"},
    {"engine.gvisor.root", ConfigType::kString, "runsc state root, to attach to running sandboxes"},
    {"engine.gvisor.max_connections", ConfigType::kInt, "sandbox connections open at once; more are refused, counted and logged (0: 1024)"},
    {"engine.gvisor.max_connections_per_peer", ConfigType::kInt,
     "connections one connecting process (SO_PEERCRED pid) may hold; more are refused, counted and logged (0: 8)"},
    {"engine.gvisor.handshake_timeout", ConfigType::kDuration,
     "a connection without a handshake by then is closed and counted (0: 5s)"},
    {"state", ConfigType::kSection, "thread and fd tables"},
    {"state.max_threads", ConfigType::kInt, "maximum threads tracked; older ones are evicted and counted"},
    {"state.max_fds_per_process", ConfigType::kInt, "maximum fds tracked per process"},
    {"metrics", ConfigType::kSection, "periodic statistics"},
    {"metrics.enabled", ConfigType::kBool, "log statistics every `interval`"},
    {"metrics.interval", ConfigType::kDuration, "how often to log statistics"},
    {"metrics.output_file", ConfigType::kString, "also append each snapshot as a JSON line to this file"},
};

}  // namespace

std::span<const ConfigKey> config_keys() { return kKeys; }

const ConfigKey* find_config_key(std::string_view path) {
  for (const auto& key : kKeys)
    if (key.path == path) return &key;
  return nullptr;
}

std::string_view config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::kSection: return "section";
    case ConfigType::kBool: return "bool";
    case ConfigType::kInt: return "integer";
    case ConfigType::kFloat: return "number";
    case ConfigType::kString: return "string";
    case ConfigType::kStringList: return "list of strings";
    case ConfigType::kEnum: return "enum";
    case ConfigType::kEnumList: return "list of enum";
    case ConfigType::kDuration: return "duration";
    case ConfigType::kPriority: return "priority";
    case ConfigType::kPluginList: return "list of plugins";
  }
  return "?";
}

}  // namespace kestrel
