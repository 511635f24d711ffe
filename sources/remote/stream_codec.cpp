#include "sources/remote/stream_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "sources/capture/kcap.capnp.h"
#include "sources/capture/kcap_codec.h"
#include "sources/event/event_view.h"

namespace kestrel::remote {

namespace schema = kcap::schema;

namespace {

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

kj::StringPtr text(const std::string& s) { return kj::StringPtr(s.c_str(), s.size()); }

// Appends `message` as one frame: length, crc32, the flat message.
void append_frame(capnp::MessageBuilder& message, std::vector<uint8_t>& out) {
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
  auto bytes = flat.asBytes();
  uint8_t header[kcap::kFrameHeaderSize];
  put_u32(header, static_cast<uint32_t>(bytes.size()));
  put_u32(header + 4, static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), bytes.begin(), bytes.size())));
  out.insert(out.end(), header, header + sizeof header);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

template <typename F>
Status guarded(const char* what, std::vector<uint8_t>& out, F&& f) {
  const size_t mark = out.size();
  try {
    f();
    return ok_status();
  } catch (const kj::Exception& e) {
    out.resize(mark);
    return Status(StatusCode::kInternal, std::string("encoding a stream ") + what + ": " + e.getDescription().cStr());
  } catch (const std::exception& e) {
    out.resize(mark);
    return Status(StatusCode::kInternal, std::string("encoding a stream ") + what + ": " + e.what());
  }
}

}  // namespace

StreamEncoder::StreamEncoder(size_t max_snapshot_chunk_bytes)
    : max_snapshot_chunk_bytes_(std::clamp<size_t>(max_snapshot_chunk_bytes, 1, kcap::kMaxFrameBytes / 8)) {}

void StreamEncoder::append_preamble(std::vector<uint8_t>& out) {
  uint8_t preamble[kStreamPreambleSize] = {};
  std::memcpy(preamble, kStreamMagic, sizeof kStreamMagic);
  put_u32(preamble + 8, kStreamVersion);
  out.insert(out.end(), preamble, preamble + sizeof preamble);
}

Status StreamEncoder::append_hello(const StreamHello& hello, std::vector<uint8_t>& out) const {
  return guarded("hello", out, [&] {
    capnp::MallocMessageBuilder message;
    auto h = message.initRoot<schema::Frame>().initHello();
    kcap::KcapHeader header = hello.header;
    header.format_version = kcap::kFormatVersion;
    kcap::write_header_message(header, h.initHeader());
    h.setStreamId(hello.stream_id);
    h.setName(text(hello.name));
    h.setConnection(hello.connection);
    h.setNextSequence(hello.next_sequence);
    append_frame(message, out);
  });
}

Status StreamEncoder::append_snapshot(std::span<const ThreadInfo> threads, std::vector<uint8_t>& out) const {
  return guarded("snapshot", out, [&] {
    size_t start = 0;
    while (start < threads.size()) {
      size_t end = start, bytes = 0;
      while (end < threads.size() && (end == start || bytes + kcap::estimate_encoded_bytes(threads[end]) <=
                                                          max_snapshot_chunk_bytes_))
        bytes += kcap::estimate_encoded_bytes(threads[end++]);
      capnp::MallocMessageBuilder message;
      auto list = message.initRoot<schema::Frame>().initSnapshot().initThreads(static_cast<unsigned>(end - start));
      for (size_t i = start; i < end; ++i) kcap::write_thread(threads[i], list[static_cast<unsigned>(i - start)]);
      append_frame(message, out);
      start = end;
    }
  });
}

Status StreamEncoder::append_batch(uint64_t first_sequence, uint64_t produced, uint32_t record_count,
                                   std::span<const uint8_t> records, std::vector<uint8_t>& out) const {
  return guarded("event batch", out, [&] {
    // One segment big enough for the whole batch: a single flat copy.
    capnp::MallocMessageBuilder message(static_cast<unsigned>(records.size() / sizeof(capnp::word) + 32));
    auto ev = message.initRoot<schema::Frame>().initEvents();
    ev.setIndex(first_sequence);
    ev.setFirstSequence(first_sequence);
    ev.setProduced(produced);
    ev.setRecordCount(record_count);
    auto data = ev.initRecords(static_cast<unsigned>(records.size()));
    if (!records.empty()) std::memcpy(data.begin(), records.data(), records.size());
    append_frame(message, out);
  });
}

Status StreamEncoder::append_progress(const StreamProgress& progress, std::vector<uint8_t>& out) const {
  return guarded("progress", out, [&] {
    capnp::MallocMessageBuilder message;
    auto p = message.initRoot<schema::Frame>().initProgress();
    p.setProduced(progress.produced);
    p.setDropped(progress.dropped);
    append_frame(message, out);
  });
}

Status StreamEncoder::append_end(uint64_t batches, uint64_t events, std::vector<uint8_t>& out) const {
  return guarded("end", out, [&] {
    capnp::MallocMessageBuilder message;
    auto e = message.initRoot<schema::Frame>().initEnd();
    e.setBatches(batches);
    e.setEvents(events);
    append_frame(message, out);
  });
}

StreamDecoder::StreamDecoder(StreamLimits limits) : limits_(limits) {
  limits_.max_frame_bytes = std::min(limits_.max_frame_bytes, kcap::kMaxFrameBytes);
}

StreamDecoder::StreamDecoder(StreamLimits limits, StreamFraming framing, StreamHello origin)
    : StreamDecoder(limits) {
  framing_ = framing;
  origin_ = std::move(origin);
  saw_preamble_ = framing_ == StreamFraming::kKcapFrames;
}

Status StreamDecoder::fail(Status st) {
  error_ = st;
  pending_.clear();
  return st;
}

Status StreamDecoder::feed(std::span<const uint8_t> bytes, StreamVisitor& visitor) {
  if (!error_.ok()) return error_;
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  size_t pos = 0;
  Status st;
  while (st.ok()) {
    const size_t avail = pending_.size() - pos;
    const uint8_t* p = pending_.data() + pos;
    if (!saw_preamble_) {
      if (avail < kStreamPreambleSize) break;
      const bool kcap = framing_ == StreamFraming::kKcap;
      const uint32_t version = kcap ? kcap::kFormatVersion : kStreamVersion;
      if (std::memcmp(p, kcap ? kcap::kMagic : kStreamMagic, sizeof kStreamMagic) != 0) {
        st = Status(StatusCode::kCorrupt, kcap ? "published event stream does not start with the .kcap magic "
                                                 "(\\x89KCAP): not a Kestrel node's event stream"
                                               : "forwarded stream does not start with Kestrel's stream magic "
                                                 "(\\x89KSTR): the peer is not a Kestrel forwarder");
        break;
      }
      if (get_u32(p + 8) != version) {
        st = Status(StatusCode::kCorrupt, std::string(kcap ? "event stream .kcap" : "forwarded stream") +
                                              " version " + std::to_string(get_u32(p + 8)) +
                                              ", this Kestrel reads version " + std::to_string(version));
        break;
      }
      saw_preamble_ = true;
      pos += kStreamPreambleSize;
      offset_ += kStreamPreambleSize;
      continue;
    }
    if (avail < kcap::kFrameHeaderSize) break;
    const uint32_t len = get_u32(p);
    if (len % 8 != 0 || len == 0 || len > limits_.max_frame_bytes) {
      st = Status(StatusCode::kCorrupt, "forwarded stream frame at offset " + std::to_string(offset_) + " claims " +
                                            std::to_string(len) + " bytes (must be a non-zero multiple of 8, at most " +
                                            std::to_string(limits_.max_frame_bytes) + ")");
      break;
    }
    if (avail < kcap::kFrameHeaderSize + len) break;
    const uint8_t* payload = p + kcap::kFrameHeaderSize;
    const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), payload, len));
    if (crc != get_u32(p + 4)) {
      st = Status(StatusCode::kCorrupt,
                  "forwarded stream frame at offset " + std::to_string(offset_) + " fails its crc32 checksum");
      break;
    }
    st = decode_frame({payload, len}, visitor);
    pos += kcap::kFrameHeaderSize + len;
    offset_ += kcap::kFrameHeaderSize + len;
  }
  if (!st.ok()) return fail(st);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos));
  return ok_status();
}

Status StreamDecoder::decode_frame(std::span<const uint8_t> payload, StreamVisitor& visitor) {
  // Cap'n Proto reads words in place: copy to word-aligned storage.
  std::vector<capnp::word> words(payload.size() / sizeof(capnp::word));
  std::memcpy(words.data(), payload.data(), payload.size());
  const std::string where = "forwarded stream frame at offset " + std::to_string(offset_);
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords =
        std::max<uint64_t>(kcap::kMinTraversalWords, words.size() * kcap::kTraversalWordsPerFrameWord);
    options.nestingLimit = kcap::kNestingLimit;
    capnp::FlatArrayMessageReader message(kj::arrayPtr(words.data(), words.size()), options);
    if (message.getEnd() != words.data() + words.size())
      return Status(StatusCode::kCorrupt, where + " has bytes after its Cap'n Proto message");
    auto frame = message.getRoot<schema::Frame>();
    // A .kcap stream's header is its hello (StreamFraming::kKcap).
    const bool kcap_header = framing_ == StreamFraming::kKcap && frame.which() == schema::Frame::HEADER;
    const bool is_hello = kcap_header || (framing_ == StreamFraming::kForward && frame.which() == schema::Frame::HELLO);
    if (!saw_hello_ && !is_hello && framing_ != StreamFraming::kKcapFrames)
      return Status(StatusCode::kCorrupt, where + ": the first frame is not a hello");
    if (saw_hello_ && is_hello) return Status(StatusCode::kCorrupt, where + ": a second hello on one connection");
    if (kcap_header) {
      StreamHello hello = origin_;
      hello.header = kcap::read_header_message(frame.getHeader());
      saw_hello_ = true;
      return visitor.on_hello(hello);
    }
    if (framing_ == StreamFraming::kKcapFrames && !saw_hello_) {
      // Joined mid-stream: numbering starts at the first batch seen, so
      // what came before it (another reader's, perhaps) is not counted lost.
      StreamHello hello = origin_;
      if (frame.which() == schema::Frame::EVENTS) hello.next_sequence = frame.getEvents().getFirstSequence();
      saw_hello_ = true;
      if (Status st = visitor.on_hello(hello); !st.ok()) return st;
    }
    switch (frame.which()) {
      case schema::Frame::HELLO: {
        if (framing_ != StreamFraming::kForward)
          return Status(StatusCode::kCorrupt, where + ": a hello in a .kcap stream");
        auto h = frame.getHello();
        StreamHello hello;
        hello.header = kcap::read_header_message(h.getHeader());
        hello.stream_id = h.getStreamId();
        hello.name = std::string(h.getName().cStr(), h.getName().size());
        hello.connection = h.getConnection();
        hello.next_sequence = h.getNextSequence();
        saw_hello_ = true;
        return visitor.on_hello(hello);
      }
      case schema::Frame::SNAPSHOT: {
        if (saw_events_) return Status(StatusCode::kCorrupt, where + ": a snapshot after event batches");
        auto list = frame.getSnapshot().getThreads();
        snapshot_threads_ += list.size();
        if (snapshot_threads_ > limits_.max_snapshot_threads)
          return Status(StatusCode::kCorrupt, where + ": the snapshot exceeds " +
                                                  std::to_string(limits_.max_snapshot_threads) + " threads");
        std::vector<ThreadInfo> threads;
        threads.reserve(list.size());
        for (auto t : list) threads.push_back(kcap::read_thread(t));
        return visitor.on_snapshot(std::move(threads));
      }
      case schema::Frame::EVENTS: {
        saw_events_ = true;
        auto ev = frame.getEvents();
        auto data = ev.getRecords();
        StreamBatchView view;
        view.first_sequence = ev.getFirstSequence();
        view.produced = ev.getProduced();
        view.record_count = ev.getRecordCount();
        view.records = {data.begin(), data.size()};
        // Every record must parse and the count must match: a receiver
        // then hands records on without looking again.
        size_t at = 0;
        uint32_t n = 0;
        while (at < view.records.size()) {
          const size_t left = view.records.size() - at;
          uint32_t len = 0;
          if (left >= KESTREL_EVENT_HDR_SIZE)
            std::memcpy(&len, view.records.data() + at + offsetof(kestrel_event_hdr, len), sizeof len);
          if (len < KESTREL_EVENT_HDR_SIZE || len > left)
            return Status(StatusCode::kCorrupt, where + ": record " + std::to_string(n) + " of the batch has length " +
                                                    std::to_string(len) + " with " + std::to_string(left) + " bytes left");
          if (auto v = EventView::parse(view.records.subspan(at, len)); !v.ok())
            return Status(StatusCode::kCorrupt, where + ": record " + std::to_string(n) + " of the batch: " +
                                                    v.status().message());
          at += len;
          ++n;
        }
        if (n != view.record_count)
          return Status(StatusCode::kCorrupt, where + ": the batch says " + std::to_string(view.record_count) +
                                                  " records and holds " + std::to_string(n));
        if (view.produced < view.first_sequence + n)
          return Status(StatusCode::kCorrupt, where + ": produced " + std::to_string(view.produced) +
                                                  " is below the batch's last sequence number");
        return visitor.on_batch(view);
      }
      case schema::Frame::PROGRESS: {
        auto p = frame.getProgress();
        return visitor.on_progress({p.getProduced(), p.getDropped()});
      }
      case schema::Frame::END: {
        auto e = frame.getEnd();
        return visitor.on_end(e.getBatches(), e.getEvents());
      }
      default:
        return ok_status();  // a kind a newer sender added: skipped, as in .kcap files
    }
  } catch (const kj::Exception& e) {
    return Status(StatusCode::kCorrupt, where + " is not a valid stream message: " + e.getDescription().cStr());
  }
}

}  // namespace kestrel::remote
