#include "fleet/fleet_statuses.h"

#include <nats/nats.h>

namespace kestrel::fleet {
namespace {

constexpr const char* kStatusSubjects = "kestrel.*.status";

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<NodeStatusWatch*>(closure)->deliver(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

}  // namespace

Result<std::map<std::string, PublishedStatus>> read_last_statuses(NatsBus& bus, std::vector<std::string>& problems) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // Unanswered while the stream's leader is being elected (a server lost).
  natsStatus s = static_cast<natsStatus>(retry_unanswered([&](jsOptions* jo) {
    jo->Stream.Info.SubjectsFilter = kStatusSubjects;
    jerr = static_cast<jsErrCode>(0);
    return js_GetStreamInfo(&si, bus.jetstream(), bus.options().stream.c_str(), jo, &jerr);
  }));
  if (s != NATS_OK)
    return Status(StatusCode::kUnavailable, nats_error("node statuses: stream '" + bus.options().stream + "'", s, jerr));
  std::vector<std::string> subjects;
  if (si->State.Subjects)
    for (int i = 0; i < si->State.Subjects->Count; ++i) subjects.emplace_back(si->State.Subjects->List[i].Subject);
  jsStreamInfo_Destroy(si);
  std::map<std::string, PublishedStatus> nodes;
  for (const auto& subject : subjects) {
    natsMsg* msg = nullptr;
    jerr = static_cast<jsErrCode>(0);
    s = js_GetLastMsg(&msg, bus.jetstream(), bus.options().stream.c_str(), subject.c_str(), nullptr, &jerr);
    if (s != NATS_OK) {
      problems.push_back(nats_error(subject, s, jerr));
      continue;
    }
    std::string json(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    natsMsg_Destroy(msg);
    auto status = parse_node_status(json);
    if (!status.ok()) {
      problems.push_back(subject + ": " + status.status().to_string());
      continue;
    }
    const std::string node = status->node;
    nodes[node] = PublishedStatus{std::move(*status), std::move(json)};
  }
  return nodes;
}

Result<std::unique_ptr<NodeStatusWatch>> NodeStatusWatch::start(NatsBus& bus, Handler on_status) {
  std::unique_ptr<NodeStatusWatch> watch(new NodeStatusWatch(std::move(on_status)));
  natsStatus s = natsConnection_Subscribe(&watch->sub_, bus.connection(), kStatusSubjects, on_message, watch.get());
  if (s != NATS_OK)
    return Status(StatusCode::kUnavailable, nats_error(std::string("node statuses: subscribing to ") + kStatusSubjects, s));
  // Subscribed first: a status published while the stream is read is
  // delivered too (the handler keeps the newest).
  std::vector<std::string> problems;
  auto last = read_last_statuses(bus, problems);
  if (!last.ok()) return last.status();
  watch->malformed_ += problems.size();
  for (const auto& [node, published] : *last) {
    ++watch->received_;
    watch->on_status_(published);
  }
  return watch;
}

void NodeStatusWatch::deliver(const char* data, int length) {
  PublishedStatus published;
  published.json.assign(data ? data : "", data && length > 0 ? static_cast<size_t>(length) : 0);
  auto status = parse_node_status(published.json);
  if (!status.ok()) {
    ++malformed_;
    return;
  }
  published.status = std::move(*status);
  ++received_;
  on_status_(published);
}

NodeStatusWatch::~NodeStatusWatch() {
  if (!sub_) return;
  // Drain: no new delivery starts, and the one in progress (which uses
  // this object) finishes before it is destroyed.
  if (natsSubscription_Drain(sub_) == NATS_OK) natsSubscription_WaitForDrainCompletion(sub_, 2000);
  else natsSubscription_Unsubscribe(sub_);
  natsSubscription_Destroy(sub_);
}

}  // namespace kestrel::fleet
