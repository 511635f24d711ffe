// alert_store_bench — the alert store (outputs/store/) on this disk:
//   1. write throughput of one transaction per alert (WAL,
//      synchronous=NORMAL): what the store sink does for an alert alone;
//   2. bulk write throughput (one transaction per 10,000), alerts/s, used
//      to fill the store to 1 million alerts;
//   3. the time of grouped counts over those 1 million alerts (by rule and
//      by priority over 1-minute buckets of a day, and with a filter),
//      median of 5;
//   4. a burst of 200,000 alerts submitted to an AlertDispatcher whose only
//      sink is the store (batched commits): how long submit() takes (it
//      must never wait for SQLite) and how many the bounded queue dropped;
//      then the same paced at 20,000 alerts/s for 2 s.
// usage: alert_store_bench [DIR]   (default /tmp; the file is removed after)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "outputs/alert_dispatcher.h"
#include "outputs/store/alert_query.h"
#include "outputs/store/alert_store.h"
#include "outputs/store/store_sink.h"

using namespace kestrel;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kDayNs = 86400ull * 1000000000ull;
constexpr uint64_t kStart = 1796515200ull * 1000000000ull;  // 2026-12-06T00:00:00Z

engine::Alert make_alert(std::mt19937_64& rng, uint64_t i) {
  engine::Alert a;
  a.time_ns = kStart + (i * (kDayNs / 1000000) + rng() % 1000) % kDayNs;  // 1M alerts over the day
  a.rule = "Bench Rule " + std::to_string(rng() % 40);
  a.priority = static_cast<engine::Priority>(3 + rng() % 5);
  a.hostname = "node-" + std::to_string(rng() % 16);
  a.source = "syscall";
  a.output = "Sensitive file opened for reading (file=/etc/shadow proc=cat cmdline=cat /etc/shadow parent=bash "
             "user=root uid=0 container=" + std::to_string(rng() % 50) + " pid=" + std::to_string(rng() % 100000) + ")";
  a.output_fields = {{"container.id", std::string("c") + std::to_string(rng() % 50)},
                     {"fd.name", std::string("/etc/shadow")},
                     {"proc.cmdline", std::string("cat /etc/shadow")},
                     {"proc.name", std::string("cat")},
                     {"proc.pid", static_cast<int64_t>(rng() % 100000)},
                     {"user.name", std::string("root")}};
  a.tags = {"filesystem", "mitre_credential_access", rng() % 2 ? "host" : "container"};
  return a;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  const std::string path = dir + "/kestrel-alert-store-bench.db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  auto store = store::AlertStore::open_writer({path, 0, 0});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    return 1;
  }
  std::mt19937_64 rng(42);
  uint64_t n = 0;

  // 1. As the sink writes: one transaction per alert.
  {
    const uint64_t count = 20000;
    std::vector<engine::Alert> alerts;
    for (uint64_t i = 0; i < count; ++i) alerts.push_back(make_alert(rng, n++));
    auto t = Clock::now();
    for (const auto& a : alerts)
      if (!(*store)->insert(a).ok()) return 1;
    const double s = seconds_since(t);
    std::printf("store write, one transaction per alert: %llu alerts in %.2f s = %.0f alerts/s\n",
                static_cast<unsigned long long>(count), s, count / s);
  }
  // 2. Bulk, filling to 1 million.
  {
    const uint64_t target = 1000000;
    auto t = Clock::now();
    const uint64_t first = n;
    while (n < target) {
      std::vector<engine::Alert> batch;
      for (int i = 0; i < 10000 && n < target; ++i) batch.push_back(make_alert(rng, n++));
      if (!(*store)->insert_all(batch).ok()) return 1;
    }
    const double s = seconds_since(t);
    std::printf("store write, 10,000 per transaction: %llu alerts in %.2f s = %.0f alerts/s\n",
                static_cast<unsigned long long>(n - first), s, (n - first) / s);
    std::printf("store size: %.1f MB for %llu alerts\n", (*store)->size_bytes() / 1048576.0,
                static_cast<unsigned long long>(n));
  }
  // 3. Grouped counts over the 1 million (a fresh reader, as the API uses).
  auto reader = store::AlertStore::open_reader(path);
  if (!reader.ok()) return 1;
  struct Case {
    const char* what;
    std::string by;
    store::AlertFilter filter;
    uint64_t bucket_ns;
  };
  std::vector<Case> cases = {
      {"by rule, 1-min buckets, whole day", "rule", {}, 60ull * 1000000000ull},
      {"by priority, 1-min buckets, whole day", "priority", {}, 60ull * 1000000000ull},
      {"by host, 1-h buckets, min_priority=Warning", "host", {.min_priority = 4}, 3600ull * 1000000000ull},
      {"by priority, 1-min buckets, last hour", "priority",
       {.from_ns = kStart + kDayNs - 3600ull * 1000000000ull}, 60ull * 1000000000ull},
      {"by rule, one rule, 1-min buckets", "rule", {.rule = std::string("Bench Rule 7")}, 60ull * 1000000000ull},
  };
  for (const auto& c : cases) {
    std::vector<double> times;
    uint64_t total = 0;
    for (int i = 0; i < 5; ++i) {
      auto t = Clock::now();
      auto r = store::count_alerts(**reader, c.filter, c.by, c.bucket_ns);
      times.push_back(seconds_since(t));
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.status().to_string().c_str());
        return 1;
      }
      total = (*r)["total"].get<uint64_t>();
    }
    std::sort(times.begin(), times.end());
    std::printf("grouped count %s: %llu alerts counted, median %.0f ms (min %.0f, max %.0f)\n", c.what,
                static_cast<unsigned long long>(total), times[2] * 1e3, times[0] * 1e3, times[4] * 1e3);
  }
  {
    auto t = Clock::now();
    auto page = store::list_alerts(**reader, {.text = std::string("pid=4242")}, 100, std::nullopt);
    std::printf("text search q=pid=4242 over 1M: %zu hits in %.0f ms\n", page.ok() ? page->alerts.size() : 0,
                seconds_since(t) * 1e3);
  }
  reader->reset();
  store->reset();
  // 4. The output stage: alerts into the dispatcher with the store sink,
  // all at once and paced.
  auto through_dispatcher = [&](uint64_t count, double per_second) -> bool {
    auto w = store::AlertStore::open_writer({path, 0, 0});
    if (!w.ok()) return false;
    std::vector<std::unique_ptr<engine::OutputSink>> sinks;
    sinks.push_back(store::make_store_sink(std::move(*w), nullptr));
    engine::DispatcherOptions options;
    options.shutdown_timeout = std::chrono::seconds(60);
    engine::AlertDispatcher dispatcher(options, std::move(sinks));
    std::vector<engine::Alert> alerts;
    for (uint64_t i = 0; i < count; ++i) alerts.push_back(make_alert(rng, n++));
    auto t = Clock::now();
    double in_submit = 0;
    for (uint64_t i = 0; i < count; ++i) {
      if (per_second > 0)
        std::this_thread::sleep_until(t + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(static_cast<double>(i) / per_second)));
      auto s = Clock::now();
      dispatcher.submit(std::move(alerts[i]));
      in_submit += seconds_since(s);
    }
    dispatcher.stop();
    const auto stats = dispatcher.stats().sinks.at("store");
    std::printf("%llu alerts into the dispatcher %s: submit() %.0f ns per alert; store delivered %llu, "
                "dropped (queue full) %llu; %.2f s until all written\n",
                static_cast<unsigned long long>(count),
                per_second > 0 ? ("paced at " + std::to_string(static_cast<int>(per_second)) + "/s").c_str()
                               : "in one burst",
                in_submit / static_cast<double>(count) * 1e9, static_cast<unsigned long long>(stats.delivered),
                static_cast<unsigned long long>(stats.dropped_queue_full), seconds_since(t));
    return true;
  };
  if (!through_dispatcher(200000, 0)) return 1;
  if (!through_dispatcher(40000, 20000)) return 1;
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  return 0;
}
