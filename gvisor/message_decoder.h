// message_decoder.h — one runsc packet in, zero or more event records out.
//
// The decoder is the only code that reads bytes written by the Sentry after
// the handshake, and the Sentry is not trusted. For each packet it:
//   1. parses the 8-byte wire header (wire.h) and folds the sandbox's drop
//      counter into SandboxState::drops;
//   2. parses the payload with the protobuf message for the header's type
//      (the row of point_table.h),
//      through a CodedInputStream bounded to the payload with a recursion
//      limit (DecoderLimits::recursion_limit), never recursing on
//      attacker-controlled depth beyond it;
//   3. announces a container id seen for the first time in this sandbox
//      (a `container` event), then converts the message (convert.h).
// A packet that fails 1 or 2 is counted in SandboxState::malformed and
// yields nothing; an unknown type is counted in unknown_type; a record a
// converter wrote against its row is counted in param_mismatch. Protobuf
// message objects and the record builder are reused across packets, so the
// steady state allocates nothing per param or per record (the arena grows
// to its working size and keeps it).
//
// Not thread-safe: one decoder per parser thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "gvisor/convert.h"
#include "gvisor/point_table.h"
#include "gvisor/record_arena.h"
#include "gvisor/sandbox_state.h"
#include "sources/source.h"

namespace kestrel::gvisor {

enum class DecodeOutcome {
  kOk,           // decoded; zero or more records appended
  kMalformed,    // bad header or payload; counted, nothing appended
  kUnknownType,  // a message type this decoder does not know; counted
};

class MessageDecoder {
 public:
  explicit MessageDecoder(DecoderLimits limits = {});
  ~MessageDecoder();
  MessageDecoder(const MessageDecoder&) = delete;
  MessageDecoder& operator=(const MessageDecoder&) = delete;

  // Only records of these types are produced (others are counted in
  // SandboxState::filtered). Default: all.
  void set_filter(const EventTypeSet& types) { filter_ = types; }
  const DecoderLimits& limits() const { return limits_; }

  // Decodes one packet (header + payload) from sandbox `sandbox`, appending
  // records to `out`. Never throws, never reads outside `packet`.
  DecodeOutcome decode(std::span<const uint8_t> packet, SandboxState& sandbox, RecordArena& out);

 private:
  DecoderLimits limits_;
  EventTypeSet filter_;
  std::unique_ptr<PointMessages, PointMessagesDeleter> msgs_;
  EventBuilder builder_;  // reused for every record
};

}  // namespace kestrel::gvisor
