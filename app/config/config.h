// config.h — Kestrel's configuration: loading, validation, typed access.
//
// Sources of configuration, later ones winning key by key:
//   1. the declared defaults (config_schema.h, config_keys.cpp),
//   2. a user file (-c FILE) with the files its config_files names merged
//      into it by Falco's strategies (append, override, add-only), the
//      whole merged over the defaults,
//   3. -o key=value overrides, in command-line order (-u adds
//      buffered_outputs=false after them), and -p formats appended to
//      append_output.
// Falco keys Kestrel does not declare are translated first, layer by
// layer (falco_keys.h): aliases take effect, the rest are accepted with a
// warning (ConfigProvenance::warnings) or refused.
// Every layer is validated against config_schema.h before it is merged, so
// an error names the key and where it was written (file:line:col, or the
// -o argument). The result is a typed KestrelConfig.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kestrel {

struct OutputToggle {
  bool enabled{};
};

// One entry of Falco's `plugins:` list.
struct PluginConfig {
  std::string name;
  std::string library_path;
  std::string init_config;  // as given, or the JSON text of a YAML map
  std::string open_params;
  bool operator==(const PluginConfig&) const = default;
};

// One entry of Falco's `append_output:` list (also what -p FORMAT adds):
// extra text and fields appended to the output of the rules it matches.
// Parsed here; the output side applies it.
struct AppendOutput {
  // match: every condition given must hold; none given matches every rule.
  std::string match_rule, match_source;
  std::vector<std::string> match_tags;  // the rule has all of them
  std::string extra_output;             // appended to the output string
  // extra_fields: a field name ("evt.hostname") with an empty format, or
  // a custom name with its format ({home_directory: "${HOME}"}), in order.
  std::vector<std::pair<std::string, std::string>> extra_fields;
  bool suggested_output{};
  bool operator==(const AppendOutput&) const = default;
};

// One entry of `fleet.correlations:` (app/fleet_correlator.h): when the
// alerts of `rule` carry the same value of its output field `key` from at
// least `nodes` distinct nodes within `window` of event time, one alert
// `name` of `priority` is raised.
struct FleetCorrelation {
  std::string name;
  std::string rule;
  std::string key;
  uint64_t nodes = 0;
  std::chrono::milliseconds window{0};
  std::string priority;  // a Falco priority name as written
  bool operator==(const FleetCorrelation&) const = default;
};

// One entry of Falco's `rules:` list: enable or disable the rules whose
// name matches `rule` (a glob: `*` any run of characters) or that carry
// `tag`. Entries apply in order after every rules file is loaded, over the
// files' own `enabled:`.
struct RulesToggle {
  bool enable{};
  std::string rule;  // name glob; empty: not by name
  std::string tag;   // empty: not by tag
  bool operator==(const RulesToggle&) const = default;
};

// What loading read and noticed besides the values: the files (and
// directories) a change of which watch_config_files reloads on, and one
// line per Falco key Kestrel accepts without a use for it.
struct ConfigProvenance {
  std::vector<std::string> files;     // -c file, then each config_files file and directory
  std::vector<std::string> warnings;  // "falco.yaml:12: 'plugins_hostinfo' ...": print once per load
};

// The typed configuration. Members carry no defaults of their own: every
// one is bound to a declared key (config_keys.cpp) whose default
// load_config() applies, so a default is written in one place. A
// value-initialised KestrelConfig{} is all zeros and empty, not the
// defaults: use load_config({}) for those.
struct KestrelConfig {
  std::vector<std::string> rules_files;
  std::vector<RulesToggle> rules_toggles;  // Falco's rules: [{enable|disable: {rule, tag}}]
  // Falco's static_fields: {key: value}, in file order, ${VAR} expanded;
  // rules name them static.<key> (app/static_fields.h).
  std::vector<std::pair<std::string, std::string>> static_fields;
  // config_files: each included file or directory as "PATH" with its merge
  // strategy after a tab ("conf.d\tappend"); applied by the loader.
  std::vector<std::string> config_files;
  bool watch_config_files{};
  std::string priority;  // lower-cased Falco priority name ("info" is "informational")
  std::string rule_matching;
  bool json_output{};
  bool json_include_output_property{};
  bool json_include_tags_property{};
  bool json_include_message_property{};        // for the output side (issue 20)
  bool json_include_output_fields_property{};  // for the output side (issue 20)
  bool time_format_iso_8601{};
  bool buffered_outputs{};                     // false: every alert line flushed (-u)
  std::vector<AppendOutput> append_output;     // append_output entries, then one per -p
  struct {                                     // Falco's capture: section (rule capture: true)
    bool enabled{};
    std::string path_prefix;
    std::string mode;                          // rules | all_rules
    std::chrono::milliseconds default_duration{};
    uint64_t max_file_size_mb{};               // 0: no cap
  } capture;
  struct {
    bool stderr_enabled{}, syslog_enabled{};  // log_stderr, log_syslog
    std::string level;                        // log_level: a lower-cased priority name
  } log;
  OutputToggle stdout_output;
  struct {
    bool enabled{}, keep_alive{};
    std::string filename;
  } file_output;
  OutputToggle syslog_output;
  struct {
    bool enabled{}, keep_alive{};
    std::string program;
  } program_output;
  struct {
    bool enabled{};
    std::string url;
    std::string user_agent;
  } http_output;
  std::chrono::milliseconds output_timeout{};
  struct {
    bool ocsf{};
    uint64_t queue_capacity{};
    uint64_t rate{}, max_burst{};
    uint64_t http_queue_capacity{};
    std::chrono::milliseconds http_max_backoff{};
    std::chrono::milliseconds http_timeout{};
    uint64_t grpc_wait_subscribers{};
    std::chrono::milliseconds grpc_wait_timeout{};
    std::chrono::milliseconds grpc_drain_timeout{};
  } outputs;
  struct {
    bool enabled{};
    std::string bind_address;
    uint64_t threadiness{};
    std::string private_key, cert_chain, root_certs;
  } grpc;
  OutputToggle grpc_output;
  struct {
    bool enabled{};
    uint64_t listen_port{};
    std::string listen_address;
    std::string k8s_healthz_endpoint;  // path of the health check
    bool prometheus_metrics_enabled{};  // serve /metrics (Prometheus text)
  } webserver;
  struct {
    bool enabled{};
    std::string path;
    uint64_t retention_days{}, max_size_mb{}, queue_capacity{};
    bool replays{};  // store the alerts of -e replays too
  } store;
  struct {
    double threshold{};                // checked to be in [0, 1] by the drop alarm's plan
    std::vector<std::string> actions;  // each one of log, alert, exit, ignore
    double rate{}, max_burst{};        // token bucket of the actions
    bool simulate_drops{};
  } syscall_event_drops;
  struct {
    std::string kind;
    bool kernel_filter{};  // drop in the kernel what no rule and no state table needs
    uint64_t memory_limit_mb{};  // state tables' byte budget (state/memory_budget.h); 0: none
    uint64_t workers{1};  // rule-evaluating threads (app/engine_workers.h); 0: the cores, at most 8
    std::string replay_capture_file;  // engine.replay.capture_file: kind capture without -e
    uint64_t ebpf_buf_size{};
    uint64_t ebpf_cpus_for_each_buffer{};
    uint64_t kmod_buf_size{};
    std::string kmod_index;  // a kestrel-driverkit driver index; "" = none
    bool gvisor_enabled{};
    std::string gvisor_config, gvisor_root;
    uint64_t gvisor_max_connections{}, gvisor_max_connections_per_peer{};  // 0: the source's default
    std::chrono::milliseconds gvisor_handshake_timeout{};                  // 0: the source's default
  } engine;
  struct {
    uint64_t max_threads{}, max_fds_per_process{};
  } state;
  // forward: this Kestrel's event stream to a host (sources/remote/forwarder.h).
  struct {
    std::string uri;  // "": off
    std::string name;
    std::string tls_cert, tls_key, tls_ca;
    uint64_t buffer_bytes{};
  } forward;
  // remote: the host side, guests' forwarded streams as a source.
  struct {
    std::vector<std::string> listen;
    std::string tls_cert, tls_key, tls_ca;
    uint64_t queue_bytes{}, max_connections{};
  } remote;
  struct {
    bool enabled{}, watch_events{};
    std::string docker_socket, podman_socket, containerd_socket, cri_socket;
    std::vector<std::string> containerd_namespaces;
    std::chrono::milliseconds lookup_timeout{};
    uint64_t cache_size{};
  } containers;
  struct {
    uint64_t rules_file_bytes{};
  } limits;
  std::vector<PluginConfig> plugins;
  std::vector<std::string> load_plugins;  // names from `plugins` that run
  std::string plugins_dir;                // where a relative library_path is read from
  struct {
    bool enabled{};
    std::chrono::milliseconds interval{};
    std::string output_file;
    std::string kestrel_output_file;  // Kestrel's own JSON lines (metrics_json)
    // Falco's metrics switches (issue 20). kernel_iter_event_counters_enabled
    // and jemalloc_stats_enabled have no meaning here (falco_keys.cpp).
    bool output_rule{}, rules_counters_enabled{}, resource_utilization_enabled{}, state_counters_enabled{},
        kernel_event_counters_enabled{}, kernel_event_counters_per_cpu_enabled{}, libbpf_stats_enabled{},
        plugins_metrics_enabled{}, convert_memory_to_mb{}, include_empty_values{};
  } metrics;
  struct {
    std::vector<std::string> servers;
    std::string stream;
    uint64_t replicas{};
    std::string node;  // empty: the hostname
    std::string creds, tls_ca, tls_cert, tls_key;
    bool publish_alerts{}, publish_events{};
    std::chrono::milliseconds status_interval{};
    uint64_t queue_capacity{};
    bool consume_alerts{};
    std::string durable;
    bool consume_events{};
    std::string events_durable;
  } nats;
  struct {
    std::vector<FleetCorrelation> correlations;
  } fleet;
  struct {
    std::vector<std::string> custom_set;  // syscall names; "!name" leaves one out
    bool all{};                           // every event type, as -A
    bool repair{};
  } base_syscalls;
  ConfigProvenance provenance;  // not a key: what loading read
};

// The embedded kestrel.yaml, verbatim: the user-facing, commented copy of
// the declared defaults (a test holds the two to agreement).
std::string_view default_config_text();

struct ConfigInputs {
  std::string file;                    // -c FILE; empty: defaults only
  std::vector<std::string> overrides;  // -o key=value, in order
  std::vector<std::string> extra_outputs = {};  // -p FORMAT: appended to append_output as {extra_output: FORMAT}
};

// Loads, validates and merges. Errors carry the offending key and position.
Result<KestrelConfig> load_config(const ConfigInputs& inputs);

// Parses "500ms", "30s", "5m", "1h" or plain seconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kestrel
