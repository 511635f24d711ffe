// point_table.h — the one table of gVisor messages, points and events.
//
// Each row is one gVisor message type (the wire header's MessageType, from
// common.proto) and says everything Kestrel knows about it:
//   - how to decode it (the protobuf message and the converter, convert.h);
//   - which Kestrel event rows it can produce, the first being the one a
//     converter emits when the message's syscall number picks none of the
//     others (the Sentry's sysno is untrusted);
//   - which trace points produce it and, per point, the event it serves;
//     the pod-init config (pod_init_config.h) enables a row's point for a
//     wanted event only when the row is `configured`; rows that are not are
//     still decoded when a sandbox sends them (a hand-written config).
// The message decoder, the converters' pick_event and the config generator
// all read this table, so a gVisor point is added in one place.
//
// Raw syscall points (syscall/sysno/N/exit) are one row whose points are
// derived: one per event convert_raw.cpp can fill from raw arguments, named
// by that event's native syscall number (sysno_map.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace kestrel::gvisor {

class Emitter;
enum class DecodeOutcome;

// A trace point and the event row it serves.
struct PointEvent {
  uint16_t event;
  std::string_view point;  // "syscall/openat/exit", "sentry/execve"
};

// The reusable protobuf messages one decoder parses into (point_table.cpp).
struct PointMessages;
struct PointMessagesDeleter {
  void operator()(PointMessages* m) const;
};
std::unique_ptr<PointMessages, PointMessagesDeleter> make_point_messages();

struct PointRow {
  uint16_t message_type;
  std::span<const uint16_t> events;  // events[0]: the default row
  std::span<const PointEvent> points;
  bool configured;     // the config generator may enable these points
  bool needs_listing;  // only when the runsc in use lists the point (newer gVisor)
  bool raw;            // the raw sysno row: points derived, see above
  // Parses `payload` into the row's message in `m`, notes a new container,
  // converts.
  DecodeOutcome (*decode)(PointMessages& m, std::span<const uint8_t> payload, Emitter& e, int recursion_limit);
};

// Every row, in the order the config generator prefers them for an event.
std::span<const PointRow> point_rows();
// The row for a wire message type, or nullptr when we do not decode it.
const PointRow* point_row(uint16_t message_type);

}  // namespace kestrel::gvisor
