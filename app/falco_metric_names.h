// falco_metric_names.h — how Falco and libs turn names into metric names,
// so figures named after rules, files, BPF programs and plugin metrics
// come out exactly as Falco's dashboards and log queries expect.
#pragma once

#include <string>
#include <string_view>

namespace kestrel {

// Falco's sanitize_rule_name (falco_utils): every character outside
// [a-zA-Z0-9_:] becomes '_', runs of '_' become one, a trailing '_' goes.
// "Read sensitive file (untrusted)" -> "Read_sensitive_file_untrusted";
// "falco_rules.yaml" -> "falco_rules_yaml". For the output_fields keys
// falco.rules.<rule> and falco.sha256_rules_file.<file>.
std::string falco_sanitized_name(std::string_view name);

// The Prometheus name libs' prometheus_metrics_converter gives a metric
// `name` (e.g. "sys_enter.run_time_ns") in `subsystem` ("scap", "plugins")
// with the unit suffix `unit` ("total", "nanoseconds_total",
// "nanoseconds"): "falcosecurity_<subsystem>_<name>_" with every libs unit
// suffix (_kb _bytes _mb _perc _percentage _ratio _ns _ts _sec _total)
// taken out wherever it occurs and '.' made '_', then `unit` appended:
// "falcosecurity_scap_sys_enter_run_time_nanoseconds_total".
std::string libs_prometheus_name(std::string_view subsystem, std::string_view name, std::string_view unit);

}  // namespace kestrel
