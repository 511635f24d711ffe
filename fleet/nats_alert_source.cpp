#include "fleet/nats_alert_source.h"

#include <nats/nats.h>

namespace kestrel::fleet {

NatsAlertSource::NatsAlertSource(NatsAlertSourceOptions options, AlertHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  caps_.name = "nats";
  caps_.live = true;
  caps_.event_types.reset();  // alerts only: no event records
}

NatsAlertSource::~NatsAlertSource() { close(); }

Status NatsAlertSource::open() {
  auto bus = NatsBus::connect(options_.bus);
  if (!bus.ok()) return bus.status();
  bus_ = std::move(*bus);
  auto sub = durable_pull_subscribe(*bus_, options_.subject, options_.durable, "nats source");
  if (!sub.ok()) return sub.status();
  sub_ = *sub;
  return ok_status();
}

bool NatsAlertSource::first_sighting(const std::string& id) {
  if (!seen_.insert(id).second) return false;
  seen_order_.push_back(id);
  if (seen_order_.size() > kDedupeWindow) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return true;
}

Result<NextOutcome> NatsAlertSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (!sub_) return Status(StatusCode::kInternal, "nats source: next() before open()");
  natsMsgList list{};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, sub_, options_.fetch_batch, std::max<int64_t>(wait.count(), 1), &jerr);
  // A timeout is an empty bus; other errors (a server failing over) pass:
  // the client reconnects and the next fetch goes on.
  if (s != NATS_OK) {
    if (s != NATS_TIMEOUT) ++fetch_errors_;
    natsMsgList_Destroy(&list);
    return NextOutcome::kIdle;
  }
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* msg = list.Msgs[i];
    ReceivedAlert alert;
    alert.node = node_of_subject(natsMsg_GetSubject(msg));
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id) alert.msg_id = id;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      if (meta->NumDelivered > 1) ++redelivered_;
      jsMsgMetaData_Destroy(meta);
    }
    const int len = natsMsg_GetDataLength(msg);
    if (alert.node.empty() || len <= 0) {
      ++malformed_;
    } else if (!alert.msg_id.empty() && !first_sighting(alert.msg_id)) {
      ++duplicates_;
    } else {
      alert.json.assign(natsMsg_GetData(msg), static_cast<size_t>(len));
      ++received_;
      if (!handler_(alert).ok()) ++rejected_;
    }
    natsMsg_Ack(msg, nullptr);
  }
  natsMsgList_Destroy(&list);
  return NextOutcome::kIdle;
}

SourceStats NatsAlertSource::stats() const {
  SourceStats st;
  if (malformed_.load()) st.drops["malformed"] = malformed_.load();
  st.counters = {{"received", received_.load()},       {"duplicates", duplicates_.load()},
                 {"redelivered", redelivered_.load()}, {"rejected", rejected_.load()},
                 {"fetch_errors", fetch_errors_.load()}};
  return st;
}

void NatsAlertSource::close() {
  if (sub_) {
    // Unsubscribing a durable pull consumer would delete it on the server;
    // destroying the handle keeps it for the next run.
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }
  bus_.reset();
}

}  // namespace kestrel::fleet
