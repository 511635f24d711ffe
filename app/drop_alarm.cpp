#include "app/drop_alarm.h"

#include <cstdio>

namespace kestrel {

DropAlarm::DropAlarm(DropAlarmOptions options, std::string hostname)
    : options_(options), hostname_(std::move(hostname)), bucket_(options.rate, options.max_burst) {
  // Falco: "In this case the threshold does not apply".
  if (options_.simulate_drops) options_.threshold = 0;
}

namespace {

bool has_ebpf(const PipelineSummary& summary) {
  for (const auto& src : summary.sources)
    if (src.name == "ebpf") return true;
  return false;
}

}  // namespace

std::optional<DropAlarmAction> DropAlarm::check(const PipelineSummary& summary, uint64_t now_ns) {
  uint64_t drops = 0;
  std::string detail;
  std::vector<std::pair<std::string, engine::FieldValue>> fields;
  for (const auto& src : summary.sources) {
    auto add = [&](const std::string& reason, uint64_t n) {
      if (!n) return;
      drops += n;
      detail += (detail.empty() ? "" : ", ") + src.name + "/" + reason + "=" + std::to_string(n);
      fields.emplace_back("n_drops_" + src.name + "_" + reason, n);
    };
    for (const auto& [reason, n] : src.stats.drops)
      if (!src.stats.untrusted_reasons.contains(reason)) add(reason, n);
    add("queue_full", src.queue_drops);
  }
  uint64_t new_drops = drops - std::min(drops, last_drops_);
  const uint64_t new_events = summary.events - std::min(summary.events, last_events_);
  last_drops_ = drops;
  last_events_ = summary.events;
  // Falco's n_drops_buffer: the kernel ring's own losses since the last check.
  uint64_t buffer = 0;
  for (const auto& src : summary.sources)
    if (auto it = src.stats.drops.find("buffer_full"); it != src.stats.drops.end()) buffer += it->second;
  const uint64_t new_buffer_drops = buffer - std::min(buffer, last_buffer_drops_);
  last_buffer_drops_ = buffer;
  if (options_.simulate_drops) ++new_drops;
  if (new_drops == 0) return std::nullopt;
  const double ratio = static_cast<double>(new_drops) / static_cast<double>(new_drops + new_events);
  if (ratio <= options_.threshold) return std::nullopt;
  ++counts_.detected;
  if (!bucket_.claim(now_ns)) return std::nullopt;
  ++counts_.actions;

  char ratio_text[32];
  std::snprintf(ratio_text, sizeof ratio_text, "%.1f%%", ratio * 100);
  DropAlarmAction action;
  // Falco's sentence first (what users and tools grep for), then where.
  action.message = std::string(kDropAlarmRule) + ". " + std::to_string(new_drops) +
                   " system calls dropped in last second. (" + ratio_text + " of events since the last check";
  if (options_.simulate_drops) action.message += "; 1 of them simulated (syscall_event_drops.simulate_drops)";
  if (!detail.empty()) action.message += "; totals: " + detail;
  action.message += ")";
  action.exit = options_.exit;
  if (options_.alert) {
    // Shaped as Falco's (source "internal", its sentence, its field names
    // with numbers; outputs/alert_format.h renders it as handle_msg does),
    // plus Kestrel's per-source, per-reason counts.
    engine::Alert a;
    a.time_ns = now_ns;
    a.rule = std::string(kDropAlarmRule);
    a.priority = engine::Priority::kCritical;
    a.source = engine::kInternalSource;
    a.hostname = hostname_;
    a.output = std::string(kDropAlarmRule) + ". " + std::to_string(new_drops) + " system calls dropped in last second.";
    fields.emplace_back("n_evts", new_events + new_drops);  // Falco's n_evts counts the drops too
    fields.emplace_back("n_drops", new_drops);
    fields.emplace_back("n_drops_buffer", new_buffer_drops);
    fields.emplace_back("ebpf_enabled", int64_t{has_ebpf(summary) ? 1 : 0});
    a.output_fields = std::move(fields);
    action.alert = std::move(a);
  }
  return action;
}

void print_drop_monitoring(std::ostream& out, const DropAlarmCounts& counts) {
  out << "Syscall event drop monitoring:\n"
      << "   - event drop detected: " << counts.detected << " occurrences\n"
      << "   - num times actions taken: " << counts.actions << "\n";
}

}  // namespace kestrel
