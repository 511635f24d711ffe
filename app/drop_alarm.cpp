#include "app/drop_alarm.h"

#include <cstdio>

namespace kestrel {

DropAlarm::DropAlarm(DropAlarmOptions options, std::string hostname)
    : options_(options), hostname_(std::move(hostname)) {}

std::optional<DropAlarmAction> DropAlarm::check(const PipelineSummary& summary) {
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
  const uint64_t new_drops = drops - std::min(drops, last_drops_);
  const uint64_t new_events = summary.events - std::min(summary.events, last_events_);
  last_drops_ = drops;
  last_events_ = summary.events;
  if (new_drops == 0) return std::nullopt;
  const double ratio = static_cast<double>(new_drops) / static_cast<double>(new_drops + new_events);
  if (ratio <= options_.threshold) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (last_alarm_ && now - *last_alarm_ < options_.min_interval) return std::nullopt;
  last_alarm_ = now;

  char ratio_text[32];
  std::snprintf(ratio_text, sizeof ratio_text, "%.1f%%", ratio * 100);
  DropAlarmAction action;
  action.message = "event drops: " + std::to_string(new_drops) + " lost since the last check (" + ratio_text +
                   " of events; totals: " + detail + ")";
  action.exit = options_.exit;
  if (options_.alert) {
    engine::Alert a;
    a.time_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    a.rule = "Kestrel internal: event drops";
    a.priority = engine::Priority::kCritical;
    a.source = "internal";
    a.hostname = hostname_;
    a.output = "Kestrel is dropping events: " + action.message;
    fields.emplace_back("n_drops", new_drops);
    fields.emplace_back("n_evts", new_events);
    a.output_fields = std::move(fields);
    action.alert = std::move(a);
  }
  return action;
}

}  // namespace kestrel
