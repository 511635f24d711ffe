// console_api.h — the web console and its JSON API on the webserver.
//
// Served next to /healthz and /metrics, with the same bind address (and,
// as /metrics, no authentication: keep the default loopback bind, or put
// an authenticating proxy in front):
//
//   GET /                 the console (one page; its script and style are
//                         compiled into the binary, nothing is fetched
//                         from elsewhere)
//   GET /api/alerts       search: from, to (ns or 2026-12-06T10:00:00Z),
//                         rule, priority, min_priority, source, host,
//                         container (id or name), tag, q (text in the
//                         output); limit (≤ 1000, default 100) and
//                         before_id (the previous page's next_before_id)
//                         → {"alerts":[…], "next_before_id":N|null}
//   GET /api/alerts/ID    one alert, 404 when there is none
//   GET /api/counts       the same filters, by=rule|priority|source|host|
//                         container|tag|none, bucket=SECONDS (default: the
//                         range / 60, else 60) → alert_query.h's series
//   GET /api/state        this node (hostname, kernel, sources, driver),
//                         the latest metrics (sources, drops, outputs),
//                         rules loaded, and the fleet table: this node,
//                         every node the store has alerts from, and every
//                         node whose status the store's nodes table keeps
//                         (console_fleet.h)
//   GET /api/stream       server-sent events: each stored alert as
//                         `event: alert` with the /api/alerts JSON
// Bad parameters answer 400 with {"error": "…"} naming the parameter.
// Every API request opens its own read-only connection to the store, so
// the store's writer never waits for a reader (WAL).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/metrics.h"
#include "outputs/store/live_feed.h"

namespace httplib {
class Server;
}

namespace kestrel {

struct ConsoleSetup {
  std::string store_path;
  std::shared_ptr<store::LiveFeed> feed;
  nlohmann::json node;  // this node's facts (node_facts.h), "source" and driver "description" added
  std::string fleet_node;  // this Kestrel's name on the fleet bus (nats.node); "" without one
};

// `latest` returns the newest metrics snapshot (nullopt before the first).
void add_console_routes(httplib::Server& server, const ConsoleSetup& setup,
                        std::function<std::optional<MetricsSnapshot>()> latest);

}  // namespace kestrel
