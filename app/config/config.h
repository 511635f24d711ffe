// config.h — Kestrel's configuration: loading, validation, typed access.
//
// Sources of configuration, later ones winning key by key:
//   1. the declared defaults (config_schema.h, config_keys.cpp),
//   2. a user file (-c FILE), merged over the defaults,
//   3. -o key=value overrides, in command-line order.
// Every layer is validated against config_schema.h before it is merged, so
// an error names the key and where it was written (file:line:col, or the
// -o argument). The result is a typed KestrelConfig.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
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

// The typed configuration. Members carry no defaults of their own: every
// one is bound to a declared key (config_keys.cpp) whose default
// load_config() applies, so a default is written in one place. A
// value-initialised KestrelConfig{} is all zeros and empty, not the
// defaults: use load_config({}) for those.
struct KestrelConfig {
  std::vector<std::string> rules_files;
  std::string priority;  // lower-cased Falco priority name ("info" is "informational")
  std::string rule_matching;
  bool json_output{};
  bool json_include_output_property{};
  bool json_include_tags_property{};
  bool time_format_iso_8601{};
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
  } webserver;
  struct {
    double threshold{};                // checked to be in [0, 1] by the drop alarm's plan
    std::vector<std::string> actions;  // each one of log, alert, exit, ignore
    double rate{}, max_burst{};        // token bucket of the actions
    bool simulate_drops{};
  } syscall_event_drops;
  struct {
    std::string kind;
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
  struct {
    bool enabled{}, watch_events{};
    std::string docker_socket, podman_socket;
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
  } metrics;
};

// The embedded kestrel.yaml, verbatim: the user-facing, commented copy of
// the declared defaults (a test holds the two to agreement).
std::string_view default_config_text();

struct ConfigInputs {
  std::string file;                    // -c FILE; empty: defaults only
  std::vector<std::string> overrides;  // -o key=value, in order
};

// Loads, validates and merges. Errors carry the offending key and position.
Result<KestrelConfig> load_config(const ConfigInputs& inputs);

// Parses "500ms", "30s", "5m", "1h" or plain seconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kestrel
