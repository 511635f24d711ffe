#include "sources/capture/kcap_reader.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sources/capture/kcap.capnp.h"
#include "sources/capture/kcap_codec.h"

namespace kestrel::kcap {

namespace {

uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// A guess at what a non-capture file is, for the error message.
std::string describe_foreign(std::span<const uint8_t> head) {
  static constexpr uint8_t kPcapng[4] = {0x0a, 0x0d, 0x0d, 0x0a};
  if (head.size() >= 4 && std::memcmp(head.data(), kPcapng, 4) == 0)
    return "it looks like a .scap/pcapng file, which Kestrel does not read directly";
  bool text = !head.empty() && std::all_of(head.begin(), head.end(), [](uint8_t c) {
    return std::isprint(c) || std::isspace(c);
  });
  if (text) return "it looks like a text file";
  return "its first bytes are not the kcap magic";
}

std::string frame_kind_name(uint16_t which) {
  switch (which) {
    case schema::Frame::HEADER: return "header";
    case schema::Frame::SNAPSHOT: return "snapshot";
    case schema::Frame::EVENTS: return "event batch";
    case schema::Frame::END: return "end";
  }
  return "unknown";
}

}  // namespace

KcapReader::KcapReader() = default;
KcapReader::~KcapReader() = default;

Status KcapReader::error_at(StatusCode code, const std::string& message, uint64_t offset) const {
  std::string msg = message;
  if (compressed()) msg += " [offsets count decompressed bytes]";
  return Status(code, std::move(msg), SourcePosition{path_, 0, 0, offset});
}

Status KcapReader::fail(Status st) {
  error_ = st;
  pending_ = false;
  return st;
}

template <typename Fn>
Status KcapReader::with_frame(Fn&& fn) {
  try {
    auto words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(buffer_.data()),
                              frame_bytes_ / sizeof(capnp::word));
    capnp::ReaderOptions options;
    options.traversalLimitInWords = std::max<uint64_t>(kMinTraversalWords,
                                                       words.size() * kTraversalWordsPerFrameWord);
    options.nestingLimit = kNestingLimit;
    capnp::FlatArrayMessageReader message(words, options);
    if (message.getEnd() != words.end())
      return error_at(StatusCode::kCorrupt,
                      "frame at offset " + std::to_string(frame_offset_) +
                          " has bytes after its Cap'n Proto message",
                      frame_offset_);
    return fn(message.getRoot<schema::Frame>());
  } catch (const kj::Exception& e) {
    return error_at(StatusCode::kCorrupt,
                    "frame at offset " + std::to_string(frame_offset_) +
                        " is not a valid kcap message: " + e.getDescription().cStr(),
                    frame_offset_);
  } catch (const std::exception& e) {
    return error_at(StatusCode::kCorrupt,
                    "frame at offset " + std::to_string(frame_offset_) + " cannot be read: " + e.what(),
                    frame_offset_);
  }
}

Status KcapReader::open(const std::string& path) {
  close();
  path_ = path;
  auto src = open_byte_source(path);
  if (!src.ok()) return fail(src.status());
  return open(path, std::move(src.value()));
}

Status KcapReader::open(const std::string& path, std::unique_ptr<ByteSource> stream) {
  close();
  path_ = path;
  source_ = std::move(stream);
  if (Status st = check_preamble(); !st.ok()) return fail(st);

  auto got = read_frame();
  if (!got.ok()) return fail(got.status());
  if (!*got)
    return fail(error_at(StatusCode::kTruncated,
                         "capture ends at offset " + std::to_string(offset_) + ", right after its preamble, "
                         "without a header", offset_));
  Status st = with_frame([&](schema::Frame::Reader frame) {
    if (frame.which() != schema::Frame::HEADER)
      return error_at(StatusCode::kCorrupt,
                      "first frame (offset " + std::to_string(frame_offset_) + ") is a " +
                          frame_kind_name(frame.which()) + " frame, not the header",
                      frame_offset_);
    header_ = read_header_message(frame.getHeader());
    return ok_status();
  });
  if (!st.ok()) return fail(st);
  if (header_.format_version != kFormatVersion)
    return fail(error_at(StatusCode::kCorrupt,
                         "header frame at offset " + std::to_string(frame_offset_) + " says format version " +
                             std::to_string(header_.format_version) + " but the preamble says " +
                             std::to_string(kFormatVersion),
                         frame_offset_));

  // Snapshot chunks follow the header; the first frame of another kind is
  // kept for next_batch().
  for (;;) {
    got = read_frame();
    if (!got.ok()) return fail(got.status());
    if (!*got)
      return fail(error_at(StatusCode::kTruncated,
                           "capture ends at offset " + std::to_string(offset_) +
                               " before any event batch or end frame: the file was cut short",
                           offset_));
    auto kind = frame_kind();
    if (!kind.ok()) return fail(kind.status());
    if (*kind == FrameKind::kUnknown) continue;  // written by a newer Kestrel
    if (*kind != FrameKind::kSnapshot) {
      pending_ = true;
      pending_kind_ = *kind;
      return ok_status();
    }
    st = with_frame([&](schema::Frame::Reader frame) {
      for (auto t : frame.getSnapshot().getThreads()) snapshot_.push_back(read_thread(t));
      return ok_status();
    });
    if (!st.ok()) return fail(st);
  }
}

Status KcapReader::check_preamble() {
  uint8_t pre[kPreambleSize];
  auto got = source_->read(pre);
  if (!got.ok())
    return error_at(got.status().code(), got.status().message() + " (reading the preamble at offset 0)", 0);
  offset_ = *got;
  std::span<const uint8_t> head(pre, *got);
  if (*got == 0) return error_at(StatusCode::kTruncated, "file is empty (nothing at offset 0): not a Kestrel capture", 0);
  size_t magic_len = std::min(head.size(), sizeof kMagic);
  if (std::memcmp(pre, kMagic, magic_len) != 0)
    return error_at(StatusCode::kCorrupt, "not a Kestrel capture (.kcap): " + describe_foreign(head), 0);
  if (*got < kPreambleSize)
    return error_at(StatusCode::kTruncated,
                    "file ends at offset " + std::to_string(*got) + " inside the " +
                        std::to_string(kPreambleSize) + "-byte kcap preamble",
                    *got);
  uint32_t version = get_u32(pre + 8);
  if (version != kFormatVersion)
    return error_at(version > kFormatVersion ? StatusCode::kUnimplemented : StatusCode::kCorrupt,
                    "capture format version " + std::to_string(version) + " at offset 8; this Kestrel reads version " +
                        std::to_string(kFormatVersion),
                    8);
  if (get_u32(pre + 12) != 0)
    return error_at(StatusCode::kCorrupt, "reserved preamble field at offset 12 is not zero", 12);
  return ok_status();
}

Result<bool> KcapReader::read_frame() {
  frame_offset_ = offset_;
  frame_bytes_ = 0;
  uint8_t hdr[kFrameHeaderSize];
  auto got = source_->read(hdr);
  if (!got.ok())
    return error_at(got.status().code(),
                    got.status().message() + " (reading the frame at offset " + std::to_string(frame_offset_) + ")",
                    frame_offset_);
  offset_ += *got;
  if (*got == 0) return false;
  const std::string where = "frame at offset " + std::to_string(frame_offset_);
  if (*got < kFrameHeaderSize)
    return error_at(StatusCode::kTruncated,
                    "file ends at offset " + std::to_string(offset_) + " inside the header of the " + where,
                    frame_offset_);
  uint32_t len = get_u32(hdr);
  uint32_t crc = get_u32(hdr + 4);
  if (len == 0 || len % sizeof(capnp::word) != 0 || len > kMaxFrameBytes)
    return error_at(StatusCode::kCorrupt,
                    where + " declares a payload of " + std::to_string(len) +
                        " bytes (must be a non-zero multiple of 8, at most " + std::to_string(kMaxFrameBytes) + ")",
                    frame_offset_);
  // Grow the buffer as bytes actually arrive, so a damaged length cannot
  // make us allocate far more than the file holds.
  size_t have = 0;
  while (have < len) {
    size_t chunk = std::min<size_t>(len - have, std::max<size_t>(have, 1u << 20));
    if (buffer_.size() * sizeof(uint64_t) < have + chunk) buffer_.resize((have + chunk) / sizeof(uint64_t));
    auto n = source_->read({reinterpret_cast<uint8_t*>(buffer_.data()) + have, chunk});
    if (!n.ok())
      return error_at(n.status().code(), n.status().message() + " (reading the " + where + ")", frame_offset_);
    have += *n;
    offset_ += *n;
    if (*n < chunk)
      return error_at(StatusCode::kTruncated,
                      where + " declares " + std::to_string(len) + " bytes but the file ends at offset " +
                          std::to_string(offset_) + ", " + std::to_string(have) + " bytes in",
                      frame_offset_);
  }
  frame_bytes_ = len;
  uint32_t actual = static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0),
                                                  reinterpret_cast<const Bytef*>(buffer_.data()), len));
  if (actual != crc)
    return error_at(StatusCode::kCorrupt,
                    where + " (" + std::to_string(len) + " bytes) fails its crc32 checksum: the file is damaged",
                    frame_offset_);
  return true;
}

Result<KcapReader::FrameKind> KcapReader::frame_kind() {
  FrameKind kind = FrameKind::kNone;
  Status st = with_frame([&](schema::Frame::Reader frame) {
    switch (frame.which()) {
      case schema::Frame::HEADER: kind = FrameKind::kHeader; break;
      case schema::Frame::SNAPSHOT: kind = FrameKind::kSnapshot; break;
      case schema::Frame::EVENTS: kind = FrameKind::kEvents; break;
      case schema::Frame::END: kind = FrameKind::kEnd; break;
      default: kind = FrameKind::kUnknown; break;
    }
    return ok_status();
  });
  if (!st.ok()) return st;
  return kind;
}

Result<BatchOutcome> KcapReader::next_batch(std::vector<EventView>& out) {
  out.clear();
  if (!error_.ok()) return error_;
  if (done_) return BatchOutcome::kEnd;
  if (!source_) return Status(StatusCode::kInvalidArgument, "kcap reader: next_batch() before open()");
  for (;;) {
    FrameKind kind = pending_kind_;
    if (!pending_) {
      auto got = read_frame();
      if (!got.ok()) return fail(got.status());
      if (!*got)
        return fail(error_at(StatusCode::kTruncated,
                             "capture ends at offset " + std::to_string(offset_) + " after " +
                                 std::to_string(events_) + " events without its end frame: the file was cut "
                                 "short or its writer did not finish",
                             offset_));
      auto k = frame_kind();
      if (!k.ok()) return fail(k.status());
      kind = *k;
    }
    pending_ = false;
    switch (kind) {
      case FrameKind::kEvents: {
        if (Status st = decode_batch(out); !st.ok()) return fail(st);
        if (out.empty()) continue;
        return BatchOutcome::kBatch;
      }
      case FrameKind::kEnd: {
        if (Status st = decode_end(); !st.ok()) return fail(st);
        done_ = true;
        return BatchOutcome::kEnd;
      }
      case FrameKind::kUnknown:
        continue;
      default:
        return fail(error_at(StatusCode::kCorrupt,
                             std::string(kind == FrameKind::kHeader ? "header" : "snapshot") +
                                 " frame at offset " + std::to_string(frame_offset_) +
                                 " comes after the event batches started",
                             frame_offset_));
    }
  }
}

Status KcapReader::decode_batch(std::vector<EventView>& out) {
  return with_frame([&](schema::Frame::Reader frame) {
    auto batch = frame.getEvents();
    if (batch.getIndex() != batches_)
      return error_at(StatusCode::kCorrupt,
                      "event batch at offset " + std::to_string(frame_offset_) + " has index " +
                          std::to_string(batch.getIndex()) + " where " + std::to_string(batches_) +
                          " was expected: frames are missing or out of order",
                      frame_offset_);
    auto data = batch.getRecords();
    uint32_t count = batch.getRecordCount();
    const uint8_t* base = data.begin();
    const size_t size = data.size();
    const uint64_t blob_offset =
        frame_offset_ + kFrameHeaderSize + static_cast<uint64_t>(base - reinterpret_cast<const uint8_t*>(buffer_.data()));
    out.reserve(std::min<size_t>(count, size / KESTREL_EVENT_HDR_SIZE));
    size_t pos = 0;
    while (pos < size) {
      const uint64_t at = blob_offset + pos;
      uint32_t len = 0;
      if (size - pos >= KESTREL_EVENT_HDR_SIZE) std::memcpy(&len, base + pos + offsetof(kestrel_event_hdr, len), 4);
      if (size - pos < KESTREL_EVENT_HDR_SIZE || len < KESTREL_EVENT_HDR_SIZE || len > size - pos)
        return error_at(StatusCode::kCorrupt,
                        "event record at offset " + std::to_string(at) + " does not fit in its batch", at);
      auto view = EventView::parse({base + pos, len});
      if (!view.ok())
        return error_at(StatusCode::kCorrupt,
                        "event record at offset " + std::to_string(at) + ": " + view.status().message(), at);
      out.push_back(*view);
      pos += len;
    }
    if (out.size() != count)
      return error_at(StatusCode::kCorrupt,
                      "event batch at offset " + std::to_string(frame_offset_) + " declares " +
                          std::to_string(count) + " records but holds " + std::to_string(out.size()),
                      frame_offset_);
    batch_domain_ = batch.getDomain();
    events_ += count;
    ++batches_;
    return ok_status();
  });
}

Status KcapReader::decode_end() {
  Status st = with_frame([&](schema::Frame::Reader frame) {
    auto end = frame.getEnd();
    if (end.getBatches() != batches_ || end.getEvents() != events_)
      return error_at(StatusCode::kCorrupt,
                      "end frame at offset " + std::to_string(frame_offset_) + " counts " +
                          std::to_string(end.getBatches()) + " batches and " + std::to_string(end.getEvents()) +
                          " events but the file holds " + std::to_string(batches_) + " and " +
                          std::to_string(events_),
                      frame_offset_);
    return ok_status();
  });
  if (!st.ok()) return st;
  uint8_t extra;
  auto got = source_->read({&extra, 1});
  if (!got.ok())
    return error_at(got.status().code(),
                    got.status().message() + " (after the end frame, offset " + std::to_string(offset_) + ")",
                    offset_);
  if (*got != 0)
    return error_at(StatusCode::kCorrupt, "unexpected data at offset " + std::to_string(offset_) +
                                              ", after the end frame", offset_);
  return ok_status();
}

void KcapReader::close() {
  source_.reset();
  buffer_.clear();
  buffer_.shrink_to_fit();
  frame_bytes_ = 0;
  error_ = ok_status();
  done_ = pending_ = false;
  pending_kind_ = FrameKind::kNone;
  frame_offset_ = offset_ = 0;
  header_ = KcapHeader{};
  snapshot_.clear();
  batch_domain_ = 0;
  events_ = batches_ = 0;
}

}  // namespace kestrel::kcap
