#include "outputs/store/alert_query.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <variant>

#include "engine/rule_items.h"
#include "outputs/alert_format.h"

namespace kestrel::store {
namespace {

using Bind = std::variant<int64_t, std::string>;

struct Where {
  std::string sql;  // " WHERE …" or empty
  std::vector<Bind> binds;
};

Where where_of(const AlertFilter& f) {
  std::vector<std::string> terms;
  Where w;
  auto add = [&](std::string term, std::vector<Bind> binds) {
    terms.push_back(std::move(term));
    for (auto& b : binds) w.binds.push_back(std::move(b));
  };
  if (f.from_ns) add("time_ns >= ?", {static_cast<int64_t>(*f.from_ns)});
  if (f.to_ns) add("time_ns < ?", {static_cast<int64_t>(*f.to_ns)});
  if (f.rule) add("rule = ?", {*f.rule});
  if (f.source) add("source = ?", {*f.source});
  if (f.host) add("host = ?", {*f.host});
  if (f.container) add("(container_id = ? OR container_name = ?)", {*f.container, *f.container});
  if (f.tag) add("EXISTS (SELECT 1 FROM json_each(alerts.tags) WHERE json_each.value = ?)", {*f.tag});
  if (f.priority) add("priority = ?", {static_cast<int64_t>(*f.priority)});
  if (f.min_priority) add("priority <= ?", {static_cast<int64_t>(*f.min_priority)});
  if (f.text) {
    std::string pattern = "%";
    for (char c : *f.text) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    pattern += '%';
    add("output LIKE ? ESCAPE '\\'", {std::move(pattern)});
  }
  for (size_t i = 0; i < terms.size(); ++i) w.sql += (i == 0 ? " WHERE " : " AND ") + terms[i];
  return w;
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) st_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Status status() const {
    return st_ ? ok_status() : Status(StatusCode::kInternal, std::string("store query: ") + sqlite3_errmsg(db_));
  }
  void bind(const std::vector<Bind>& binds, int first = 1) {
    int i = first;
    for (const auto& b : binds) {
      if (const auto* n = std::get_if<int64_t>(&b)) sqlite3_bind_int64(st_, i++, *n);
      else {
        const auto& s = std::get<std::string>(b);
        sqlite3_bind_text(st_, i++, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(st_); }
  Status step_error() const { return Status(StatusCode::kInternal, std::string("store query: ") + sqlite3_errmsg(db_)); }
  sqlite3_stmt* get() { return st_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

std::string column_text(sqlite3_stmt* st, int i) {
  const auto* p = sqlite3_column_text(st, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, i)))
           : std::string();
}

constexpr const char* kColumns =
    "id,time_ns,host,rule,priority,source,container_id,container_name,tags,output,fields";

nlohmann::json row_json(sqlite3_stmt* st) {
  nlohmann::json a;
  const auto time_ns = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
  a["id"] = sqlite3_column_int64(st, 0);
  a["time_ns"] = time_ns;
  a["time"] = engine::iso8601_utc(time_ns);
  a["hostname"] = column_text(st, 2);
  a["rule"] = column_text(st, 3);
  a["priority"] = std::string(engine::priority_name(static_cast<engine::Priority>(sqlite3_column_int(st, 4))));
  a["source"] = column_text(st, 5);
  a["container_id"] = column_text(st, 6);
  a["container_name"] = column_text(st, 7);
  a["tags"] = nlohmann::json::parse(column_text(st, 8), nullptr, false);
  a["output"] = column_text(st, 9);
  a["output_fields"] = nlohmann::json::parse(column_text(st, 10), nullptr, false);
  return a;
}

// The unary + keeps SQLite from walking an index in key order to group
// (random row reads over the whole table: ~8x slower than a scan on 1M
// alerts, bench/alert_store_bench); a WHERE term still uses its index.
std::optional<std::string> dimension_sql(const std::string& by) {
  if (by == "rule" || by == "source" || by == "host" || by == "priority") return "+" + by;
  if (by == "container") return "COALESCE(NULLIF(container_name,''), container_id)";
  if (by == "tag") return "t.value";
  if (by == "none") return "'all'";
  return std::nullopt;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

Result<uint64_t> parse_time_param(const std::string& name, const std::string& value) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec == std::errc() && end == value.data() + value.size()) return n;
  // RFC 3339, UTC: 2026-12-06T10:00:00Z or with a fraction.
  int y, mo, d, h, mi;
  double s;
  char z = 0;
  if (std::sscanf(value.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c", &y, &mo, &d, &h, &mi, &s, &z) == 7 && z == 'Z' &&
      mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && y >= 1970) {
    const int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                         h * 3600 + mi * 60;
    return static_cast<uint64_t>(secs) * 1000000000ull + static_cast<uint64_t>(s * 1e9);
  }
  return Status(StatusCode::kInvalidArgument,
                name + "=" + value + ": want ns since the epoch or a UTC time like 2026-12-06T10:00:00Z");
}

Result<int> parse_priority_param(const std::string& name, const std::string& value) {
  auto p = engine::parse_priority(value);
  if (!p) return Status(StatusCode::kInvalidArgument, name + "=" + value + ": not a priority (Emergency … Debug)");
  return static_cast<int>(*p);
}

Result<AlertFilter> parse_filter(const ParamLookup& get) {
  AlertFilter f;
  for (auto [name, slot] : {std::pair{"from", &f.from_ns}, std::pair{"to", &f.to_ns}})
    if (auto v = get(name); v && !v->empty()) {
      auto t = parse_time_param(name, *v);
      if (!t.ok()) return t.status();
      *slot = *t;
    }
  for (auto [name, slot] : {std::pair{"rule", &f.rule}, std::pair{"source", &f.source}, std::pair{"host", &f.host},
                            std::pair{"container", &f.container}, std::pair{"tag", &f.tag}, std::pair{"q", &f.text}})
    if (auto v = get(name); v && !v->empty()) *slot = *v;
  for (auto [name, slot] : {std::pair{"priority", &f.priority}, std::pair{"min_priority", &f.min_priority}})
    if (auto v = get(name); v && !v->empty()) {
      auto p = parse_priority_param(name, *v);
      if (!p.ok()) return p.status();
      *slot = *p;
    }
  return f;
}

bool is_count_dimension(const std::string& by) { return dimension_sql(by).has_value(); }

Result<AlertPage> list_alerts(AlertStore& store, const AlertFilter& filter, int limit,
                              std::optional<int64_t> before_id) {
  limit = std::clamp(limit, 1, kMaxPageSize);
  Where w = where_of(filter);
  if (before_id) {
    w.sql += w.sql.empty() ? " WHERE id < ?" : " AND id < ?";
    w.binds.push_back(*before_id);
  }
  // One more row than asked says whether another page follows.
  Statement st(store.db(), std::string("SELECT ") + kColumns + " FROM alerts" + w.sql + " ORDER BY id DESC LIMIT " +
                               std::to_string(limit + 1));
  if (Status s = st.status(); !s.ok()) return s;
  st.bind(w.binds);
  AlertPage page;
  int rows = 0, rc;
  int64_t last_id = 0;
  while ((rc = st.step()) == SQLITE_ROW) {
    if (++rows > limit) {
      page.next_before_id = last_id;
      break;
    }
    last_id = sqlite3_column_int64(st.get(), 0);
    page.alerts.push_back(row_json(st.get()));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return st.step_error();
  return page;
}

Result<std::optional<nlohmann::json>> get_alert(AlertStore& store, int64_t id) {
  Statement st(store.db(), std::string("SELECT ") + kColumns + " FROM alerts WHERE id = ?");
  if (Status s = st.status(); !s.ok()) return s;
  st.bind({id});
  int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<nlohmann::json>(row_json(st.get()));
  if (rc == SQLITE_DONE) return std::optional<nlohmann::json>();
  return st.step_error();
}

Result<nlohmann::json> count_alerts(AlertStore& store, const AlertFilter& filter, const std::string& by,
                                    uint64_t bucket_ns, int max_series) {
  auto key = dimension_sql(by);
  if (!key)
    return Status(StatusCode::kInvalidArgument,
                  "by=" + by + ": want one of rule, priority, source, host, container, tag, none");
  if (bucket_ns == 0) return Status(StatusCode::kInvalidArgument, "bucket must be > 0");
  Where w = where_of(filter);
  const std::string from = by == "tag" ? " FROM alerts, json_each(alerts.tags) AS t" : " FROM alerts";
  Statement st(store.db(), "SELECT " + *key + " AS k, (time_ns / ?) * ? AS b, count(*)" + from + w.sql +
                               " GROUP BY k, b");
  if (Status s = st.status(); !s.ok()) return s;
  st.bind({static_cast<int64_t>(bucket_ns), static_cast<int64_t>(bucket_ns)});
  st.bind(w.binds, 3);
  struct Series {
    uint64_t total = 0;
    std::map<uint64_t, uint64_t> buckets;
  };
  std::map<std::string, Series> series;
  uint64_t total = 0;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    std::string k = by == "priority" ? std::string(engine::priority_name(
                                           static_cast<engine::Priority>(sqlite3_column_int(st.get(), 0))))
                                     : column_text(st.get(), 0);
    const auto b = static_cast<uint64_t>(sqlite3_column_int64(st.get(), 1));
    const auto n = static_cast<uint64_t>(sqlite3_column_int64(st.get(), 2));
    auto& s = series[k];
    s.total += n;
    s.buckets[b] += n;
    total += n;
  }
  if (rc != SQLITE_DONE) return st.step_error();
  std::vector<std::pair<std::string, Series>> ordered(series.begin(), series.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second.total > b.second.total; });
  if (max_series > 0 && ordered.size() > static_cast<size_t>(max_series)) {
    Series other;
    for (size_t i = static_cast<size_t>(max_series); i < ordered.size(); ++i) {
      other.total += ordered[i].second.total;
      for (const auto& [b, n] : ordered[i].second.buckets) other.buckets[b] += n;
    }
    ordered.resize(static_cast<size_t>(max_series));
    ordered.emplace_back("(other)", std::move(other));
  }
  nlohmann::json out{{"by", by}, {"bucket_ns", bucket_ns}, {"total", total}, {"series", nlohmann::json::array()}};
  for (const auto& [k, s] : ordered) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const auto& [b, n] : s.buckets) buckets.push_back({b, n});
    out["series"].push_back({{"key", k}, {"total", s.total}, {"buckets", std::move(buckets)}});
  }
  return out;
}

Result<nlohmann::json> list_hosts(AlertStore& store, uint64_t since_ns) {
  // One pass over the (host, time_ns) index, which covers every column.
  Statement st(store.db(),
               "SELECT host, count(*), min(time_ns), max(time_ns), sum(time_ns >= ?) FROM alerts GROUP BY host "
               "ORDER BY host");
  if (Status s = st.status(); !s.ok()) return s;
  st.bind({static_cast<int64_t>(since_ns)});
  nlohmann::json hosts = nlohmann::json::array();
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    hosts.push_back({{"host", column_text(st.get(), 0)},
                     {"alerts", sqlite3_column_int64(st.get(), 1)},
                     {"first_ns", sqlite3_column_int64(st.get(), 2)},
                     {"last_ns", sqlite3_column_int64(st.get(), 3)},
                     {"alerts_since", sqlite3_column_int64(st.get(), 4)}});
  if (rc != SQLITE_DONE) return st.step_error();
  return hosts;
}

}  // namespace kestrel::store
