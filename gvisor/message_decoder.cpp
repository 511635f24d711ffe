#include "gvisor/message_decoder.h"

#include "gvisor/point_table.h"
#include "gvisor/wire.h"

namespace kestrel::gvisor {

MessageDecoder::MessageDecoder(DecoderLimits limits) : limits_(limits), msgs_(make_point_messages()) { filter_.set(); }

MessageDecoder::~MessageDecoder() = default;

DecodeOutcome MessageDecoder::decode(std::span<const uint8_t> packet, SandboxState& sb, RecordArena& out) {
  ++sb.packets;
  Result<WireHeader> hdr = parse_wire_header(packet);
  if (!hdr.ok()) {
    ++sb.malformed;
    return DecodeOutcome::kMalformed;
  }
  sb.drops.observe(hdr->dropped_count);
  std::span<const uint8_t> payload = wire_payload(packet, *hdr);
  if (payload.size() > limits_.max_packet) {
    ++sb.malformed;
    return DecodeOutcome::kMalformed;
  }
  Emitter e(sb, out, filter_, limits_, builder_);
  // Converters write through the builder, which reports a param mismatch
  // as a Status (counted by Emitter::emit), never by throwing.
  const PointRow* row = point_row(hdr->message_type);
  DecodeOutcome r = row ? row->decode(*msgs_, payload, e, limits_.recursion_limit) : DecodeOutcome::kUnknownType;
  switch (r) {
    case DecodeOutcome::kOk:
      if (hdr->message_type < sb.by_type.size()) ++sb.by_type[hdr->message_type];
      break;
    case DecodeOutcome::kMalformed: ++sb.malformed; break;
    case DecodeOutcome::kUnknownType: ++sb.unknown_type; break;
  }
  return r;
}

}  // namespace kestrel::gvisor
