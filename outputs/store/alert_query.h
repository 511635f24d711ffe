// alert_query.h — searches and grouped counts over an AlertStore.
//
// An AlertFilter is what the API's query string says (every field
// optional, all of them ANDed):
//   from_ns / to_ns  time range, [from, to)
//   rule, source, host, container (id or name), tag: exact matches
//   priority         exact ("Warning"); min_priority: this one or more severe
//   text             substring of the output (case-insensitive, LIKE)
// Values are bound as SQL parameters, never spliced into the SQL text.
//
// list() pages by id, newest first: `before_id` (the previous page's
// next_before_id) continues where the last page ended, so a page stays
// stable while new alerts arrive. count() groups the matching alerts by a
// dimension (rule, priority, source, host, container, tag) and by time
// buckets of `bucket_ns`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "outputs/store/alert_store.h"

namespace kestrel::store {

struct AlertFilter {
  std::optional<uint64_t> from_ns = {}, to_ns = {};
  std::optional<std::string> rule = {}, source = {}, host = {}, container = {}, tag = {}, text = {};
  std::optional<int> priority = {}, min_priority = {};  // engine::Priority values
};

// Reads the filter from query parameters (from/to: ns since the epoch or
// RFC 3339 "2026-12-06T10:00:00Z"; priority names as in rules). `get`
// returns a parameter's value or nullopt. Errors name the parameter.
using ParamLookup = std::function<std::optional<std::string>(const std::string&)>;
Result<AlertFilter> parse_filter(const ParamLookup& get);
Result<uint64_t> parse_time_param(const std::string& name, const std::string& value);
Result<int> parse_priority_param(const std::string& name, const std::string& value);

struct AlertPage {
  nlohmann::json alerts = nlohmann::json::array();
  std::optional<int64_t> next_before_id;  // set when more may follow
};

// Grouping dimensions count() accepts; "none" counts all together.
bool is_count_dimension(const std::string& by);

// `limit` is capped at kMaxPageSize.
inline constexpr int kMaxPageSize = 1000;
Result<AlertPage> list_alerts(AlertStore& store, const AlertFilter& filter, int limit,
                              std::optional<int64_t> before_id);
// One alert as the API returns it; nullopt when there is no such id.
Result<std::optional<nlohmann::json>> get_alert(AlertStore& store, int64_t id);
// {"by":…, "bucket_ns":…, "total":N, "series":[{"key":…, "total":n,
//   "buckets":[[start_ns, n], …]}, …]} — series ordered by total, largest
// first, at most `max_series` (the rest summed into key "(other)").
Result<nlohmann::json> count_alerts(AlertStore& store, const AlertFilter& filter, const std::string& by,
                                    uint64_t bucket_ns, int max_series = 20);
// Every host the store has alerts from: host, alerts, first_ns/last_ns
// (event times), and alerts_since: how many have time_ns >= since_ns.
Result<nlohmann::json> list_hosts(AlertStore& store, uint64_t since_ns = 0);

}  // namespace kestrel::store
