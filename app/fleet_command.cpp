#include "app/fleet_command.h"

#include <nats/nats.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/fleet_node.h"
#include "fleet/fleet_statuses.h"
#include "fleet/nats_bus.h"
#include "fleet/node_status.h"

namespace kestrel {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How many alerts of `node` the stream holds from `since_ns` on: the
// pending count of a throw-away consumer starting there.
Result<uint64_t> alerts_since(fleet::NatsBus& bus, const std::string& node, int64_t since_ns) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  const std::string subject = fleet::alerts_subject(node);
  cc.FilterSubject = subject.c_str();
  cc.DeliverPolicy = js_DeliverByStartTime;
  cc.OptStartTime = since_ns;
  cc.AckPolicy = js_AckNone;
  cc.Replicas = 1;
  cc.MemoryStorage = true;
  cc.InactiveThreshold = std::chrono::nanoseconds(std::chrono::seconds(30)).count();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // After a server is lost, one create in three is placed on it and never
  // answered (retry_unanswered): tried again until one is.
  natsStatus s = static_cast<natsStatus>(fleet::retry_unanswered([&](jsOptions* jo) {
    jerr = static_cast<jsErrCode>(0);
    return js_AddConsumer(&ci, bus.jetstream(), bus.options().stream.c_str(), &cc, jo, &jerr);
  }));
  if (s != NATS_OK)
    return Status(StatusCode::kUnavailable, fleet::nats_error("fleet status: counting " + subject, s, jerr));
  const uint64_t n = ci->NumPending;
  js_DeleteConsumer(bus.jetstream(), bus.options().stream.c_str(), ci->Name, nullptr, nullptr);
  jsConsumerInfo_Destroy(ci);
  return n;
}

// The last run of `node`'s event stream (kestrel.<node>.events, messages
// of the newest Kestrel-Run in order) into `path`: a .kcap file.
Status dump_events(fleet::NatsBus& bus, const std::string& node, const std::string& path, std::ostream& out) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = bus.options().stream.c_str();
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.AckPolicy = js_AckNone;
  so.Config.Replicas = 1;
  so.Config.MemoryStorage = true;
  const std::string subject = fleet::events_subject(node);
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // After a server is lost, one consumer create in three is placed on it
  // and never answered (retry_unanswered): tried again until one is.
  natsStatus s = static_cast<natsStatus>(fleet::retry_unanswered([&](jsOptions* jo) {
    jerr = static_cast<jsErrCode>(0);
    return js_SubscribeSync(&sub, bus.jetstream(), subject.c_str(), jo, &so, &jerr);
  }));
  if (s != NATS_OK) return Status(StatusCode::kUnavailable, fleet::nats_error("fleet events: " + subject, s, jerr));
  // A message sent again after a lost ack may be stored after later ones:
  // the run is put back in Kestrel-Seq order.
  std::string run;
  std::map<uint64_t, std::string> by_seq;
  for (;;) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 2000) != NATS_OK) break;
    const char* r = nullptr;
    const char* q = nullptr;
    natsMsgHeader_Get(msg, "Kestrel-Run", &r);
    natsMsgHeader_Get(msg, "Kestrel-Seq", &q);
    const uint64_t seq = q ? std::strtoull(q, nullptr, 10) : 0;
    if (r && run != r && std::strtoull(r, nullptr, 10) > std::strtoull(run.c_str(), nullptr, 10)) {
      run = r;  // a newer run starts over
      by_seq.clear();
    }
    if (r && run == r) by_seq[seq].assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    uint64_t pending = 1;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      pending = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
    }
    natsMsg_Destroy(msg);
    if (pending == 0) break;
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  if (by_seq.empty()) return Status(StatusCode::kNotFound, "fleet events: nothing on " + subject);
  std::string bytes;
  for (const auto& [seq, data] : by_seq) bytes += data;
  const uint64_t messages = by_seq.size();
  const uint64_t gaps = by_seq.rbegin()->first - messages;  // seqs start at 1
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) return Status(StatusCode::kUnavailable, "fleet events: cannot write " + path);
  out << "kestrel fleet: run " << run << " of " << node << ": " << messages << " messages, " << bytes.size()
      << " bytes, " << gaps << " sequence gaps, written to " << path << "\n";
  return ok_status();
}

std::string age_text(const fleet::NodeStatus& s) {
  if (s.final) return "exited";
  const double age = static_cast<double>(now_ns() - static_cast<int64_t>(s.time_ns)) / 1e9;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0fs ago", age < 0 ? 0 : age);
  return buf;
}

// The driver index's verdict for the node's kernel, when it has one.
std::string proven_text(const fleet::NodeStatus& s) {
  if (!s.driver_proven) return "";
  return *s.driver_proven ? " (index: proven)" : " (index: not proven)";
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

}  // namespace

int run_fleet_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CliOptions o;
  bool json = false;
  double window_s = 3600;
  CLI::App app{"kestrel fleet: the nodes publishing to the fleet bus (nats: in the config)", "kestrel fleet"};
  app.require_subcommand(1);
  CLI::App* status_cmd = app.add_subcommand("status", "one row per node: kernel, source, driver, events/s, drops, "
                                                      "alerts in the window");
  for (CLI::App* a : {status_cmd}) {
    a->add_option("-c", o.config_file, "configuration file (its nats: section names the bus)");
    a->add_option("-o", o.overrides, "override a config key (-o nats.servers=[nats://h:4222])");
  }
  std::string events_node, events_file;
  CLI::App* events_cmd = app.add_subcommand("events", "write a node's last event stream run as a .kcap file (kestrel -e)");
  events_cmd->add_option("-c", o.config_file, "configuration file");
  events_cmd->add_option("-o", o.overrides, "override a config key");
  events_cmd->add_option("--node", events_node, "the node (nats.node)")->required();
  events_cmd->add_option("-w", events_file, "the .kcap file to write")->required();
  status_cmd->add_flag("--json", json, "print a JSON array instead of the table");
  status_cmd->add_option("--window", window_s, "seconds of alerts counted (default 3600)")->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "kestrel fleet: " << e.what() << "\n";
    return kExitUsage;
  }
  auto config = load_config(config_inputs(o));
  if (!config.ok()) {
    err << "kestrel fleet: " << config.status().to_string() << "\n";
    return kExitUsage;
  }
  if (config->nats.servers.empty()) {
    err << "kestrel fleet: nats.servers is empty: say where the bus is (-c FILE or -o nats.servers=[nats://host:4222])\n";
    return kExitUsage;
  }
  auto bus = fleet::NatsBus::connect(nats_bus_options(*config));
  if (!bus.ok()) {
    err << "kestrel fleet: " << bus.status().to_string() << "\n";
    return kExitFailure;
  }
  if (events_cmd->parsed()) {
    Status st = dump_events(**bus, events_node, events_file, out);
    if (!st.ok()) err << "kestrel fleet: " << st.to_string() << "\n";
    return st.ok() ? kExitOk : kExitFailure;
  }
  std::vector<std::string> problems;
  auto nodes = fleet::read_last_statuses(**bus, problems);
  for (const auto& problem : problems) err << "kestrel fleet: " << problem << "\n";
  if (!nodes.ok()) {
    err << "kestrel fleet: " << nodes.status().to_string() << "\n";
    return kExitFailure;
  }
  if (nodes->empty()) {
    err << "kestrel fleet: no node has reported on stream " << (*bus)->options().stream << " yet\n";
    return kExitFailure;
  }
  const int64_t since = now_ns() - static_cast<int64_t>(window_s * 1e9);
  std::vector<std::vector<std::string>> rows{
      {"NODE", "KERNEL", "SOURCE", "DRIVER", "EVENTS/S", "DROPS", "ALERTS", "LAST SEEN"}};
  nlohmann::json array = nlohmann::json::array();
  for (const auto& [name, published] : *nodes) {
    const fleet::NodeStatus& s = published.status;
    auto alerts = alerts_since(**bus, name, since);
    if (!alerts.ok()) {
      err << "kestrel fleet: " << alerts.status().to_string() << "\n";
      return kExitFailure;
    }
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", s.events_per_s);
    rows.push_back({name, s.kernel, s.source, s.driver + proven_text(s), rate, std::to_string(s.drops), std::to_string(*alerts),
                    age_text(s)});
    nlohmann::json j = nlohmann::json::parse(published.json, nullptr, false);  // as the node sent it
    j["alerts_in_window"] = *alerts;
    j["window_s"] = window_s;
    array.push_back(std::move(j));
  }
  if (json) out << array.dump(2) << "\n";
  else print_table(out, rows);
  return kExitOk;
}

}  // namespace kestrel
