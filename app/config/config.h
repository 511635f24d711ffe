// config.h — Kestrel's configuration: loading, validation, typed access.
//
// Sources of configuration, later ones winning key by key:
//   1. the embedded default kestrel.yaml,
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
  bool enabled = false;
};

// One entry of Falco's `plugins:` list.
struct PluginConfig {
  std::string name;
  std::string library_path;
  std::string init_config;  // as given, or the JSON text of a YAML map
  std::string open_params;
};

struct KestrelConfig {
  std::vector<std::string> rules_files;
  std::string priority = "debug";  // lower-cased Falco priority name
  std::string rule_matching = "first";
  bool json_output = false;
  bool json_include_output_property = true;
  bool json_include_tags_property = true;
  OutputToggle stdout_output{true};
  struct {
    bool enabled = false, keep_alive = false;
    std::string filename;
  } file_output;
  OutputToggle syslog_output;
  struct {
    bool enabled = false, keep_alive = false;
    std::string program;
  } program_output;
  struct {
    bool enabled = false;
    std::string url;
    std::string user_agent = "kestrel";
  } http_output;
  std::chrono::milliseconds output_timeout{2000};
  struct {
    bool ocsf = false;
    uint64_t queue_capacity = 8192;
    uint64_t rate = 0, max_burst = 1000;
    uint64_t http_queue_capacity = 1024;
    std::chrono::milliseconds http_max_backoff{5000};
    std::chrono::milliseconds http_timeout{5000};
    uint64_t grpc_wait_subscribers = 0;
    std::chrono::milliseconds grpc_wait_timeout{30000};
    std::chrono::milliseconds grpc_drain_timeout{5000};
  } outputs;
  struct {
    bool enabled = false;
    std::string bind_address = "unix:///run/kestrel/kestrel.sock";
    uint64_t threadiness = 0;
    std::string private_key, cert_chain, root_certs;
  } grpc;
  OutputToggle grpc_output;
  struct {
    bool enabled = false;
    uint64_t listen_port = 8765;
    std::string listen_address = "127.0.0.1";
  } webserver;
  struct {
    double threshold = 0.1;
    std::vector<std::string> actions{"log", "alert"};
  } syscall_event_drops;
  struct {
    std::string kind = "auto";
    uint64_t ebpf_buf_size = 0;
    uint64_t ebpf_cpus_for_each_buffer = 1;
    uint64_t kmod_buf_size = 0;
    bool gvisor_enabled = false;
    std::string gvisor_config, gvisor_root;
    uint64_t gvisor_max_connections = 0, gvisor_max_connections_per_peer = 0;  // 0: the source's default
    std::chrono::milliseconds gvisor_handshake_timeout{0};                     // 0: the source's default
  } engine;
  struct {
    uint64_t max_threads = 0, max_fds_per_process = 0;
  } state;
  struct {
    uint64_t rules_file_bytes = 16u << 20;
  } limits;
  std::vector<PluginConfig> plugins;
  std::vector<std::string> load_plugins;  // names from `plugins` that run
  struct {
    bool enabled = false;
    std::chrono::milliseconds interval{60000};
    std::string output_file;
  } metrics;
};

// The embedded default kestrel.yaml, verbatim.
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
