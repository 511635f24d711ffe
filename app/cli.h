// cli.h — the kestrel command line (Falco-style flags, parsed with CLI11).
//
// run_kestrel() is the whole program minus main(): tests call it in-process
// with their own streams. Exit codes: 0 success; 1 a runtime failure (no
// source, unreadable capture, rules that fail validation); 2 a usage error
// (bad flag, bad config) or a feature that has not landed yet, which is
// always refused loudly rather than ignored. -D/-T together with -t exits 1
// with Falco's message, as Falco does (scripts written for Falco check it).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/config/config.h"
#include "app/rule_selection.h"

namespace kestrel {

struct CliOptions {
  std::string config_file;                 // -c
  std::vector<std::string> overrides;      // -o key=value
  std::string forward;                     // --forward URI (forward.uri)
  std::vector<std::string> listen_remote;  // --listen-remote URI (remote.listen[])
  std::vector<std::string> rules;          // -r
  RuleSelection rule_selection;            // -D, -T, -t
  std::string capture;                     // -e
  std::string write_capture;               // -w
  std::optional<std::string> capture_format;  // --capture-format kcap|scap (else -w's extension)
  std::vector<std::string> validate;       // -V
  std::optional<std::string> list_fields;  // -L/--list [SOURCE]; "" = all sources
  bool list_events = false;                // --list-events
  bool list_rules = false;                 // --list-rules
  bool list_plugins = false;               // --list-plugins
  std::optional<double> duration_s;        // -M
  bool all_events = false;                 // -A
  bool allow_empty_rules = false;          // --allow-empty-rules
  bool stats = false;                      // --stats: per-source counters at exit
  std::optional<std::string> gvisor_generate_config;  // --gvisor-generate-config[=SOCKET]
  bool dry_run = false;                    // --dry-run: load everything, capture nothing
  bool support = false;                    // --support: versions, config, rules as JSON
  bool unbuffered = false;                 // -u: buffered_outputs=false
  std::string pidfile;                     // -P FILE
  std::vector<std::string> enable_sources;   // --enable-source
  std::vector<std::string> disable_sources;  // --disable-source
  bool list_ignored = false;               // -i: event types not captured with these rules
  bool list_syscall_events = false;        // --list-syscall-events
  bool markdown = false;                   // --markdown (with --list, --list-syscall-events)
  std::vector<std::string> extra_outputs;  // -p FORMAT: appended to every rule's output
  std::vector<std::string> argv;           // the command line as given (--support)
};

// What the configuration is loaded from: -c, -o (and -u as
// buffered_outputs=false after them), -p. Start-up and every reload use it.
ConfigInputs config_inputs(const CliOptions& options);

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int run_kestrel(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace kestrel
