#include "app/console_api.h"

#include <httplib.h>

#include <charconv>

#include "app/console_fleet.h"
#include "outputs/store/alert_query.h"

namespace kestrel {

// The page, compiled in by embed_text.cmake (app/console/).
std::string_view console_page_text();
std::string_view console_app_text();
std::string_view console_style_text();

namespace {

constexpr auto kKeepAliveEvery = std::chrono::seconds(15);

void reply_json(httplib::Response& res, const nlohmann::json& j, int status = 200) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, const Status& s) {
  reply_json(res, {{"error", s.message()}}, s.code() == StatusCode::kInvalidArgument ? 400 : 500);
}

store::ParamLookup params_of(const httplib::Request& req) {
  return [&req](const std::string& name) -> std::optional<std::string> {
    if (!req.has_param(name)) return std::nullopt;
    return req.get_param_value(name);
  };
}

Result<int64_t> int_param(const httplib::Request& req, const std::string& name, int64_t fallback) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return fallback;
  const std::string v = req.get_param_value(name);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 0)
    return Status(StatusCode::kInvalidArgument, name + "=" + v + ": want a non-negative integer");
  return n;
}

Result<std::unique_ptr<store::AlertStore>> reader(const ConsoleSetup& setup) {
  auto r = store::AlertStore::open_reader(setup.store_path);
  if (!r.ok()) return Status(StatusCode::kUnavailable, r.status().message());
  return r;
}

void serve_alerts(const ConsoleSetup& setup, const httplib::Request& req, httplib::Response& res) {
  auto filter = store::parse_filter(params_of(req));
  if (!filter.ok()) return reply_error(res, filter.status());
  auto limit = int_param(req, "limit", 100);
  if (!limit.ok()) return reply_error(res, limit.status());
  auto before = int_param(req, "before_id", 0);
  if (!before.ok()) return reply_error(res, before.status());
  auto db = reader(setup);
  if (!db.ok()) return reply_error(res, db.status());
  auto page = store::list_alerts(**db, *filter, static_cast<int>(std::min<int64_t>(*limit, store::kMaxPageSize)),
                                 *before > 0 ? std::optional<int64_t>(*before) : std::nullopt);
  if (!page.ok()) return reply_error(res, page.status());
  nlohmann::json out{{"alerts", std::move(page->alerts)}, {"next_before_id", nullptr}};
  if (page->next_before_id) out["next_before_id"] = *page->next_before_id;
  reply_json(res, out);
}

void serve_alert(const ConsoleSetup& setup, const httplib::Request& req, httplib::Response& res) {
  int64_t id = 0;
  const std::string text = req.matches[1];
  std::from_chars(text.data(), text.data() + text.size(), id);
  auto db = reader(setup);
  if (!db.ok()) return reply_error(res, db.status());
  auto alert = store::get_alert(**db, id);
  if (!alert.ok()) return reply_error(res, alert.status());
  if (!*alert) return reply_json(res, {{"error", "no alert with id " + text}}, 404);
  reply_json(res, **alert);
}

void serve_counts(const ConsoleSetup& setup, const httplib::Request& req, httplib::Response& res) {
  auto filter = store::parse_filter(params_of(req));
  if (!filter.ok()) return reply_error(res, filter.status());
  const std::string by = req.has_param("by") ? req.get_param_value("by") : "priority";
  uint64_t fallback_s = 60;
  if (filter->from_ns && filter->to_ns && *filter->to_ns > *filter->from_ns)
    fallback_s = std::max<uint64_t>(1, (*filter->to_ns - *filter->from_ns) / 60 / 1000000000ull);
  auto bucket_s = int_param(req, "bucket", static_cast<int64_t>(fallback_s));
  if (!bucket_s.ok()) return reply_error(res, bucket_s.status());
  if (*bucket_s == 0) return reply_error(res, Status(StatusCode::kInvalidArgument, "bucket=0: want seconds > 0"));
  auto db = reader(setup);
  if (!db.ok()) return reply_error(res, db.status());
  auto counts = store::count_alerts(**db, *filter, by, static_cast<uint64_t>(*bucket_s) * 1000000000ull);
  if (!counts.ok()) return reply_error(res, counts.status());
  reply_json(res, *counts);
}

void serve_state(const ConsoleSetup& setup, const std::function<std::optional<MetricsSnapshot>()>& latest,
                 httplib::Response& res) {
  nlohmann::json out{{"node", setup.node}, {"store", {{"path", setup.store_path}}}};
  const auto snapshot = latest();
  nlohmann::json self = setup.node;
  self["host"] = setup.node.value("hostname", "");
  if (snapshot) {
    out["metrics"] = nlohmann::json::parse(metrics_json(*snapshot), nullptr, false);
    out["rules_loaded"] = snapshot->rules_loaded;
    uint64_t drops = 0;
    for (const auto& src : snapshot->sources)
      for (const auto& [reason, n] : src.drops) drops += n;
    self["events"] = snapshot->events;
    self["events_per_second"] = snapshot->events_per_second;
    self["drops"] = drops;
    out["drops_total"] = drops;
  }
  auto db = reader(setup);
  nlohmann::json errors = nlohmann::json::array();
  if (db.ok()) out["store"]["size_bytes"] = (*db)->size_bytes();
  else errors.push_back(db.status().message());
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  out["nodes"] = fleet_table(db.ok() ? (*db).get() : nullptr, std::move(self), setup.fleet_node,
                             static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()),
                             errors);
  if (!errors.empty()) out["store"]["error"] = errors.front();
  reply_json(res, out);
}

// Server-sent events: one `event: alert` per stored alert, a comment line
// now and then so proxies and the browser keep the connection.
void serve_stream(const ConsoleSetup& setup, httplib::Response& res) {
  std::shared_ptr<store::LiveFeed::Subscription> sub = store::LiveFeed::subscribe(setup.feed);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  auto first = std::make_shared<bool>(true);
  res.set_chunked_content_provider("text/event-stream", [sub, first](size_t, httplib::DataSink& sink) {
    if (*first) {
      *first = false;
      const std::string hello = "retry: 1000\nevent: hello\ndata: {}\n\n";
      return sink.write(hello.data(), hello.size());
    }
    const auto until = std::chrono::steady_clock::now() + kKeepAliveEvery;
    while (std::chrono::steady_clock::now() < until) {
      if (!sink.is_writable()) return false;
      auto line = sub->next(std::chrono::milliseconds(250));
      if (line) {
        const std::string event = "event: alert\ndata: " + *line + "\n\n";
        return sink.write(event.data(), event.size());
      }
      if (sub->closed()) return false;
    }
    const std::string ping = ": keep-alive\n\n";
    return sink.write(ping.data(), ping.size());
  });
}

void serve_asset(httplib::Response& res, std::string_view text, const char* type) {
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(text), type);
}

}  // namespace

void add_console_routes(httplib::Server& server, const ConsoleSetup& setup,
                        std::function<std::optional<MetricsSnapshot>()> latest) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    serve_asset(res, console_page_text(), "text/html; charset=utf-8");
  });
  server.Get("/console.js", [](const httplib::Request&, httplib::Response& res) {
    serve_asset(res, console_app_text(), "text/javascript; charset=utf-8");
  });
  server.Get("/console.css", [](const httplib::Request&, httplib::Response& res) {
    serve_asset(res, console_style_text(), "text/css; charset=utf-8");
  });
  server.Get("/api/alerts", [setup](const httplib::Request& req, httplib::Response& res) {
    serve_alerts(setup, req, res);
  });
  server.Get(R"(/api/alerts/(\d+))", [setup](const httplib::Request& req, httplib::Response& res) {
    serve_alert(setup, req, res);
  });
  server.Get("/api/counts", [setup](const httplib::Request& req, httplib::Response& res) {
    serve_counts(setup, req, res);
  });
  server.Get("/api/state", [setup, latest](const httplib::Request&, httplib::Response& res) {
    serve_state(setup, latest, res);
  });
  server.Get("/api/stream", [setup](const httplib::Request&, httplib::Response& res) { serve_stream(setup, res); });
}

}  // namespace kestrel
