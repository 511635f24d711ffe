#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <bitset>

#include "app/config/config.h"
#include "app/config/config_schema.h"
#include "app/event_source_selection.h"
#include "app/fleet_command.h"
#include "app/list_events.h"
#include "app/list_fields_markdown.h"
#include "app/log_route.h"
#include "app/support_info.h"
#include "app/plugin_loading.h"
#include "app/rules_loading.h"
#include "app/collector_plan.h"
#include "app/run_collector.h"
#include "app/timestamped_log.h"
#include "app/validate_output.h"
#include "sources/capture/capture_recorder.h"
#include "sources/capture/machine_environment.h"
#include "sources/event/event_table.h"
#include "engine/eval/rule_engine.h"
#include "gvisor/pod_init_config.h"
#include "engine/fields/field_registry.h"

namespace kestrel {
namespace {

constexpr const char* kVersion = KESTREL_VERSION;

// The config keys, each with its help, type and default from its one
// declaration (config_schema.h).
std::string config_help() {
  std::string text = "\nConfiguration keys (kestrel.yaml, -c FILE, -o key=value):\n";
  for (const auto& key : config_keys()) {
    if (key.type == ConfigType::kSection) continue;
    std::string line = "  " + std::string(key.path);
    line.resize(std::max<size_t>(line.size() + 1, 38), ' ');
    std::string type(config_type_name(key.type));
    for (size_t i = 0; i < key.choices.size(); ++i) type += (i ? "|" : ": ") + std::string(key.choices[i]);
    text += line + std::string(key.help) + " [" + type + ", default: " + std::string(key.default_value) + "]\n";
  }
  return text;
}

int refuse(std::ostream& err, const std::string& what);

void build_parser(CLI::App& app, CliOptions& o) {
  app.set_version_flag("--version", std::string("kestrel ") + kVersion);
  app.add_option("-c,--config", o.config_file, "configuration file (default: the embedded kestrel.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("-o,--option", o.overrides, "override a config key: key=value, key[]=value appends to a list")
      ->allow_extra_args(false);
  app.add_option("-r,--rules", o.rules, "rules file or directory (repeatable; replaces rules_files)")
      ->allow_extra_args(false);
  app.add_option("-D", o.rule_selection.disabled_name_substrings,
                 "disable every rule whose name contains SUBSTRING (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-T", o.rule_selection.disabled_tags, "disable every rule tagged TAG (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-t", o.rule_selection.enabled_tags,
                 "run only the rules tagged TAG (repeatable: any of the tags); not with -D/-T")
      ->allow_extra_args(false);
  app.add_option("-e,--capture", o.capture, "replay a capture file (.kcap, or .scap from Falco/sysdig) instead of live capture");
  app.add_option("-w,--write", o.write_capture,
                 "also record every captured event to FILE: .kcap (native; .kcap.gz compresses) or .scap "
                 "(.scap.gz), which sysdig and Falco read");
  app.add_option("--capture-format", o.capture_format,
                 "format of the -w file whatever its extension: kcap or scap");
  app.add_option("-V,--validate", o.validate, "validate rules files and exit 0 (valid) or 1")
      ->allow_extra_args(false);
  app.add_option("-L,--list", o.list_fields, "list the fields of SOURCE (all sources if omitted) and exit")
      ->expected(0, 1)
      ->default_str("");
  app.add_flag("--list-events", o.list_events, "list every event type with its params and exit");
  app.add_flag("--list-rules", o.list_rules, "list the loaded rules (priority, source, tags) and exit");
  app.add_flag("--list-plugins", o.list_plugins, "load the plugins in load_plugins, print what they provide and exit");
  app.add_option("-M", o.duration_s, "stop after SECONDS")->check(CLI::PositiveNumber);
  app.add_flag("-A", o.all_events, "capture all event types, not only those the rules need");
  app.add_flag("--stats", o.stats,
               "at exit, also print each source's own counters (for a .scap replay: events read, modelled, and "
               "not modelled per scap event type)");
  app.add_flag("--allow-empty-rules", o.allow_empty_rules,
               "on SIGHUP, accept rules that enable no rule instead of keeping the rules in use");
  app.add_option("--gvisor-generate-config", o.gvisor_generate_config,
                 "print a runsc pod-init config for SOCKET and exit")
      ->expected(0, 1)
      ->default_str("/run/kestrel/gvisor.sock");
  app.add_option("--forward", o.forward,
                 "send the event stream to a host Kestrel: unix://PATH, tcp://HOST:PORT, vsock://CID:PORT, "
                 "virtio-serial:///dev/vport0p1 (sets forward.uri)");
  app.add_option("--listen-remote", o.listen_remote,
                 "receive forwarded streams on URI (repeatable; adds to remote.listen): unix://PATH[?name=VM], "
                 "tcp://HOST:PORT, vsock://-1:PORT")
      ->allow_extra_args(false);
  app.add_flag("--dry-run", o.dry_run,
               "load the configuration, plugins and rules and plan the sources, then exit without capturing");
  app.add_flag("--support", o.support,
               "print versions, system, command line, configuration and the rules files (with their SHA-256 and a "
               "digest of the set) as JSON and exit");
  app.add_flag("-u,--unbuffered", o.unbuffered, "flush every alert line as written (buffered_outputs=false)");
  app.add_option("-P,--pidfile", o.pidfile, "write the process id to FILE while running; removed at exit");
  app.add_option("--enable-source", o.enable_sources,
                 "run only the event sources named (syscall or a loaded plugin's source; repeatable)")
      ->allow_extra_args(false);
  app.add_option("--disable-source", o.disable_sources,
                 "do not run the event source named (syscall or a loaded plugin's source; repeatable)")
      ->allow_extra_args(false);
  app.add_flag("-i", o.list_ignored,
               "list the event types not captured with the loaded rules (what -A or base_syscalls add) and exit");
  app.add_flag("--list-syscall-events", o.list_syscall_events, "list the syscalls Kestrel decodes and exit");
  app.add_flag("--markdown", o.markdown, "with --list or --list-syscall-events: print Markdown");
  app.add_option("-p,--print", o.extra_outputs,
                 "append FORMAT to every rule's output (as an append_output entry {extra_output: FORMAT})")
      ->allow_extra_args(false);
  app.footer(config_help());
}

// The capture request the collector would plan for the configured rules
// (collector_plan.h: capture_request()), with the rules' needs, before
// base_syscalls; kExitOk, or the exit code after saying why on `err`.
int plan_rules_capture(const CliOptions& o, const KestrelConfig& config, std::ostream& err, CaptureRequest& request,
                       RulesNeeds& needs) {
  auto rules = load_configured_rules(o.rules.empty() ? config.rules_files : o.rules, err);
  if (!rules.ok()) {
    err << "kestrel: " << rules.status().message();
    return kExitFailure;
  }
  apply_rule_selection(*rules, config.rules_toggles, o.rule_selection);
  auto engine = engine::eval::RuleEngine::create(*rules, {});
  if (!engine.ok()) {
    err << "kestrel: " << engine.status().to_string() << "\n";
    return kExitFailure;
  }
  needs = rules_needs(*rules, **engine, {});
  request = capture_request(o, needs);
  return kExitOk;
}

// -i: every event type the capture request for these rules leaves out.
int print_ignored_events(const CliOptions& o, const KestrelConfig& config, std::ostream& out, std::ostream& err) {
  CaptureRequest request;
  RulesNeeds needs;
  if (int code = plan_rules_capture(o, config, err, request, needs); code != kExitOk) return code;
  if (Status s = apply_base_syscalls(request, config, needs); !s.ok()) return refuse(err, s.to_string());
  out << "Ignored event type(s) (captured only with -A, base_syscalls.all or base_syscalls.custom_set):\n";
  for (const auto& e : all_events())
    if (!request.event_types.test(e.type)) out << "- " << e.name << "\n";
  return kExitOk;
}

// --gvisor-generate-config[=SOCKET]: the runsc pod-init config enabling the
// points (and optional fields) the loaded rules and the state tables need,
// as the collector would ask its sources (collector_plan.h).
int print_gvisor_config(const CliOptions& o, const KestrelConfig& config, std::ostream& out, std::ostream& err) {
  CaptureRequest request;
  RulesNeeds needs;
  if (int code = plan_rules_capture(o, config, err, request, needs); code != kExitOk) return code;
  gvisor::PodInitConfigOptions options;
  gvisor::request_fields(options, request.process_params);
  if (!o.gvisor_generate_config->empty()) options.endpoint = *o.gvisor_generate_config;
  // Only points the installed runsc accepts (else runsc 0.0~20221219's).
  if (auto known = gvisor::installed_runsc_points(); known.ok()) options.runsc_points = *known;
  out << gvisor::pod_init_config_json(request.event_types, options);
  return kExitOk;
}

int refuse(std::ostream& err, const std::string& what) {
  err << "kestrel: " << what << "\n";
  return kExitUsage;
}

// Everything after the configuration is loaded; `err` is the log stream.
int run_configured(const CliOptions& o, const KestrelConfig& config, std::ostream& out, std::ostream& err) {
  if (o.gvisor_generate_config) return print_gvisor_config(o, config, out, err);
  if (o.support) {
    std::string cmdline;
    for (const auto& a : o.argv) cmdline += (cmdline.empty() ? "" : " ") + a;
    auto info = support_info(cmdline, config_inputs(o), config, o.rules.empty() ? config.rules_files : o.rules);
    if (!info.ok()) {
      err << "kestrel: " << info.status().to_string() << "\n";
      return kExitFailure;
    }
    out << info->dump(2) << "\n";
    return kExitOk;
  }
  if (o.list_ignored) return print_ignored_events(o, config, out, err);
  if (o.list_fields) {
    // As Falco, with the configured plugins loaded: their event sources
    // are known and list the fields the plugins declare.
    auto plugins = load_plugins(config);
    if (!plugins.ok()) {
      err << "kestrel: " << plugins.status().to_string() << "\n";
      return kExitFailure;
    }
    const engine::FieldRegistry fields = plugin_field_registry(*plugins, config.static_fields);
    // Falco's text (userspace/falco/app/actions/list_fields.cpp).
    if (!o.list_fields->empty() && !fields.is_known_source(*o.list_fields))
      return refuse(err, "Value for --list must be a valid source type");
    if (o.markdown) print_field_list_markdown(out, fields, *o.list_fields);
    else fields.print_field_list(out, *o.list_fields);
    return kExitOk;
  }
  if (o.list_plugins) {
    auto plugins = load_plugins(config);
    if (!plugins.ok()) {
      err << "kestrel: " << plugins.status().to_string() << "\n";
      return kExitFailure;
    }
    print_plugin_list(out, *plugins);
    return kExitOk;
  }
  if (o.list_rules) {
    auto rules = load_configured_rules(o.rules.empty() ? config.rules_files : o.rules, err);
    if (!rules.ok()) {
      err << "kestrel: " << rules.status().message();
      return kExitFailure;
    }
    apply_rule_selection(*rules, config.rules_toggles, o.rule_selection);
    print_rule_table(out, *rules);
    return kExitOk;
  }
  if (!o.write_capture.empty() || o.capture_format) {
    if (o.write_capture.empty()) return refuse(err, "--capture-format needs -w FILE");
    if (auto f = capture_format_for(o.write_capture, o.capture_format); !f.ok()) return refuse(err, f.status().message());
  }
  if (!o.validate.empty()) {
    // As Falco's -V, with the configured plugins loaded: their fields and
    // required_plugin_versions count.
    auto plugins = load_plugins(config);
    if (!plugins.ok()) {
      err << "kestrel: " << plugins.status().to_string() << "\n";
      return kExitFailure;
    }
    const engine::FieldRegistry fields = plugin_field_registry(*plugins, config.static_fields);
    return run_validate(o.validate, config.json_output, plugin_versions(*plugins), fields, out, err);
  }
  return run_collector(o, config, out, err);
}

}  // namespace

ConfigInputs config_inputs(const CliOptions& options) {
  ConfigInputs inputs{options.config_file, options.overrides, options.extra_outputs};
  if (options.unbuffered) inputs.overrides.push_back("buffered_outputs=false");
  if (!options.forward.empty()) inputs.overrides.push_back("forward.uri=" + options.forward);
  for (const auto& uri : options.listen_remote) inputs.overrides.push_back("remote.listen[]=" + uri);
  return inputs;
}

int run_kestrel(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  // `kestrel fleet ...`: the fleet bus's view, not a collector run.
  if (argc >= 2 && std::string_view(argv[1]) == "fleet") return run_fleet_command(argc - 1, argv + 1, out, err);
  CliOptions o;
  CLI::App app{"Kestrel: runtime security for Linux hosts, containers and gVisor sandboxes", "kestrel"};
  build_parser(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    // The environment line: where this binary runs (CPUID, DMI, /sys), so
    // a bug report or a fleet inventory says bare metal, which VM, or gVisor.
    out << "kestrel " << kVersion << "\nenvironment: " << kcap::describe_environment(kcap::detect_environment())
        << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "kestrel: " << e.what() << "\nRun 'kestrel --help' for the flags.\n";
    return kExitUsage;
  }
  // CLI11 fills an expected(0,1) option with "" when given without value.
  if (app.count("--list") == 0) o.list_fields.reset();
  if (app.count("--gvisor-generate-config") == 0) o.gvisor_generate_config.reset();

  if (std::string conflict = rule_selection_conflict(o.rule_selection); !conflict.empty()) {
    err << conflict << "\n";
    return kExitFailure;
  }

  if (!o.enable_sources.empty() && !o.disable_sources.empty())
    return refuse(err, "--enable-source and --disable-source cannot be given together");
  if (o.markdown && !o.list_fields && !o.list_syscall_events)
    return refuse(err, "--markdown goes with --list or --list-syscall-events");
  for (int i = 0; i < argc; ++i) o.argv.emplace_back(argv[i]);

  if (o.list_events) {
    print_event_table(out);
    return kExitOk;
  }
  if (o.list_syscall_events) {
    print_syscall_events(out, o.markdown);
    return kExitOk;
  }

  auto config = load_config(config_inputs(o));
  if (!config.ok()) return refuse(err, config.status().to_string());
  // engine.kind replay/capture with engine.replay.capture_file: as -e.
  if (o.capture.empty() && config->engine.kind == "capture" && !config->engine.replay_capture_file.empty())
    o.capture = config->engine.replay_capture_file;
  if (config->base_syscalls.all) o.all_events = true;
  // log_stderr, log_syslog, log_level; then time_format_iso_8601: every
  // log line from here on starts with the time.
  LogRouteBuf routed(err.rdbuf(), LogRouting{config->log.stderr_enabled, config->log.syslog_enabled,
                                             log_level_of(config->log.level)});
  TimestampedLogBuf timestamped(&routed);
  std::ostream routed_err(&routed);
  std::ostream timestamped_err(&timestamped);
  std::ostream& log = config->time_format_iso_8601 ? timestamped_err : routed_err;
  for (const auto& warning : config->provenance.warnings) log << "kestrel: warning: " << warning << "\n";
  log.flush();
  const int code = run_configured(o, *config, out, log);
  log.flush();
  if (code != kExitOk) routed.emit_held_back();
  return code;
}

}  // namespace kestrel
