#include "fleet/nats_event_source.h"

#include <nats/nats.h>

#include <charconv>
#include <cstring>

#include "sources/capture/kcap_format.h"
#include "sources/remote/stream_codec.h"

namespace kestrel::fleet {

namespace {

bool parse_u64(const char* text, uint64_t& out) {
  if (text == nullptr) return false;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

// One node's current run: its decoder and the last Kestrel-Seq taken.
struct NatsEventSource::Run {
  Run(remote::RemoteDomains& domains, const std::string& node, uint64_t run, remote::StreamFraming framing)
      : id(run),
        visitor(domains, [node, run](const remote::StreamHello&) {
          remote::SenderIdentity who;
          who.name = node;
          who.kind = "node";
          who.where = events_subject(node) + " run " + std::to_string(run);
          return who;
        }) {
    remote::StreamHello origin;
    origin.stream_id = run;
    origin.name = node;
    decoder = remote::StreamDecoder({}, framing, std::move(origin));
  }
  uint64_t id = 0;
  uint64_t last_seq = 0;
  bool broken = false;  // a message failed to decode: the rest of the run cannot be trusted
  remote::StreamDecoder decoder;
  remote::DomainVisitor visitor;
};

NatsEventSource::NatsEventSource(NatsEventSourceOptions options)
    : options_(std::move(options)),
      domains_(remote::RemoteDomains::Options{.queue_bytes = size_t(64) << 20,
                                              .machines = options_.machines,
                                              .counter_prefix = "nats",
                                              .log = options_.log}) {
  caps_.name = "nats-events";
  // Not live: the multiplexer waits for room rather than drop what the bus
  // still holds (and what would be acked without being evaluated).
  caps_.live = false;
  caps_.sees_containers = true;
  caps_.event_types.set();
}

NatsEventSource::~NatsEventSource() { close(); }

Status NatsEventSource::open() {
  auto bus = NatsBus::connect(options_.bus);
  if (!bus.ok()) return bus.status();
  bus_ = std::move(*bus);
  auto sub = durable_pull_subscribe(*bus_, options_.subject, options_.durable, "nats events source");
  if (!sub.ok()) return sub.status();
  sub_ = *sub;
  return ok_status();
}

void NatsEventSource::take(natsMsg* msg) {
  ++messages_;
  const std::string node = node_of_subject(natsMsg_GetSubject(msg));
  const char* run_text = nullptr;
  const char* seq_text = nullptr;
  uint64_t run = 0, seq = 0;
  (void)natsMsgHeader_Get(msg, "Kestrel-Run", &run_text);
  (void)natsMsgHeader_Get(msg, "Kestrel-Seq", &seq_text);
  if (node.empty() || !parse_u64(run_text, run) || !parse_u64(seq_text, seq) || seq == 0) {
    ++malformed_;
    return;
  }
  const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
  const size_t len = static_cast<size_t>(std::max(natsMsg_GetDataLength(msg), 0));
  bytes_ += len;
  auto& slot = runs_[node];
  if (slot && run < slot->id) {
    ++stale_;  // the node restarted since; this run's domain is closed
    return;
  }
  if (!slot || run > slot->id) {
    // A new run (or the first seen): from its start when this is its first
    // message, else joined mid-way.
    const bool from_start =
        seq == 1 && len >= sizeof kcap::kMagic && std::memcmp(data, kcap::kMagic, sizeof kcap::kMagic) == 0;
    // What an earlier run still had to say is counted lost by the
    // domains (its last `produced`) at this run's hello.
    slot = std::make_unique<Run>(domains_, node, run,
                                 from_start ? remote::StreamFraming::kKcap : remote::StreamFraming::kKcapFrames);
    if (!from_start) missing_ += seq - 1;
  } else if (seq <= slot->last_seq) {
    ++duplicates_;  // redelivered: its events were taken already
    return;
  } else if (seq > slot->last_seq + 1) {
    missing_ += seq - slot->last_seq - 1;
  }
  Run& r = *slot;
  r.last_seq = seq;
  if (r.broken) {
    ++malformed_;
    return;
  }
  if (Status st = r.decoder.feed({data, len}, r.visitor); !st.ok()) {
    r.broken = true;
    ++malformed_;
    domains_.log("nats events: node '" + node + "' run " + std::to_string(run) + " message " + std::to_string(seq) +
                 ": " + st.to_string() + "; the rest of this run is ignored");
  }
}

void NatsEventSource::ack_consumed() {
  const uint64_t done = consumed_.load();
  while (!unacked_.empty() && unacked_.front().second <= done) {
    natsMsg_Ack(unacked_.front().first, nullptr);
    natsMsg_Destroy(unacked_.front().first);
    unacked_.pop_front();
  }
}

Result<NextOutcome> NatsEventSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (!sub_) return Status(StatusCode::kInternal, "nats events source: next() before open()");
  ack_consumed();
  if (domains_.has_room()) {
    natsMsgList list{};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s =
        natsSubscription_Fetch(&list, sub_, options_.fetch_batch, std::max<int64_t>(wait.count(), 1), &jerr);
    // A timeout is an empty bus; other errors (a server failing over) pass:
    // the client reconnects and the next fetch goes on.
    if (s != NATS_OK && s != NATS_TIMEOUT) ++fetch_errors_;
    for (int i = 0; s == NATS_OK && i < list.Count; ++i) {
      natsMsg* msg = list.Msgs[i];
      list.Msgs[i] = nullptr;  // ours until acked
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        if (meta->NumDelivered > 1) ++redelivered_;
        jsMsgMetaData_Destroy(meta);
      }
      take(msg);
      unacked_.emplace_back(msg, domains_.queued_records());
    }
    natsMsgList_Destroy(&list);
    ack_consumed();  // messages that brought no events (duplicates, snapshot only) once all before them are done
  }
  return domains_.next(out, std::chrono::milliseconds(0));
}

SourceStats NatsEventSource::stats() const {
  SourceStats st;
  domains_.add_stats(st);
  st.bytes = bytes_.load();
  if (malformed_.load()) st.drops["malformed"] = malformed_.load();
  st.counters["messages"] = messages_.load();
  st.counters["duplicates"] = duplicates_.load();
  st.counters["stale"] = stale_.load();
  st.counters["missing_messages"] = missing_.load();
  st.counters["redelivered"] = redelivered_.load();
  st.counters["fetch_errors"] = fetch_errors_.load();
  return st;
}

std::optional<std::vector<ThreadInfo>> NatsEventSource::describe_process(DomainId domain, int64_t pid) const {
  return domains_.describe_process(domain, pid);
}

void NatsEventSource::interrupt() { domains_.stop(); }

void NatsEventSource::close() {
  if (sub_) {
    ack_consumed();
    // Not processed: left unacked, the durable consumer gives them again.
    for (auto& [msg, end] : unacked_) natsMsg_Destroy(msg);
    unacked_.clear();
    // Unsubscribing a durable pull consumer would delete it on the server;
    // destroying the handle keeps it for the next run.
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }
  bus_.reset();
}

}  // namespace kestrel::fleet
