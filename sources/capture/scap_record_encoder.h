// scap_record_encoder.h — turns Kestrel event records into the .scap events
// that carry them, through the one mapping table (scap_event_table.h): the
// inverse of scap_converter.h.
//
// Kestrel's records are exit-only with the syscall's arguments merged in;
// scap captures hold an enter and an exit event per syscall, and libsinsp
// (sysdig, Falco) takes some facts only from the enter: the fd of a
// connect, read, write or close exit, for one. So a syscall record becomes
// two events, both at the record's timestamp: the enter (the params of the
// row before the written one, taken from the record) and the exit (the
// written row's). An enter-only event (procexit) becomes one.
//
// Kestrel's live sources report a new thread from the child's side only
// (clone/fork/vfork/clone3 with res = 0). libsinsp of sysdig 0.29 ignores
// that side and learns of a child from the caller's exit (res = child's
// tid) — without it the child's events before its execve show no process.
// So a child-side record is written as the caller's enter + exit first
// (on the thread the record's ptid names, res = the child's tid, vtid the
// caller's on the host, the other params as recorded), then the child's
// own enter + exit.
//
// Param encoding follows the scap row, not Kestrel's: integer widths are
// scap's (ERRNO, FD, PID 8 bytes; SIGTYPE 1; FLAGS32, UID 4 ...), flags
// are renumbered into PPM_* bits where the row says so, strings are
// NUL-terminated, argv/env/cgroups keep their NUL-separated form, socket
// addresses and tuples share Kestrel's encoding. A param the record lacks
// (empty) is written as zero of its width, or as "" for strings (libsinsp
// reads strings up to their NUL, never by their length), or empty.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "sources/event/event_view.h"

namespace kestrel::scap {

// One event to write; params point into the encoder's buffer and are valid
// until the next encode().
struct ScapEventOut {
  uint16_t id = 0;  // ppm_event_type
  uint64_t ts = 0;
  uint64_t tid = 0;
  std::vector<std::span<const uint8_t>> params;
  // libscap's EF_LARGE_PAYLOAD: u32 param lengths (else u16), and in a file
  // a *_LARGE event block.
  bool large_payload = false;
};

// `ev` as libscap holds an event in memory (scap_evt, ppm_evt_hdr + v2's
// nparams): u64 ts, u64 tid, u32 len, u16 type, u32 nparams, the nparams
// param lengths (u16; u32 for large-payload events), then the params,
// little-endian. A u16-length param longer than 65535 bytes is cut to it.
// `out` is cleared first and reused. This is the body of a .scap event
// block after its u16 cpu id (ScapWriter) and, byte for byte, the
// ss_plugin_event the Falco plugin API hands plugins for syscall events
// (plugins/plugin_event_encoding.h).
void serialize_event(const ScapEventOut& ev, std::vector<uint8_t>& out);

class ScapRecordEncoder {
 public:
  // The events carrying `record`, in file order (enter first). Empty when
  // no scap row is written for its type; the record is then counted in
  // not_written() by Kestrel type.
  std::span<const ScapEventOut> encode(const EventView& record);

  // Records no scap event carries, by Kestrel event type (KE_*).
  const std::map<uint16_t, uint64_t>& not_written() const { return not_written_; }

 private:
  // Encodes `record` as scap event `scap_id` into events_[n]; with
  // `caller_side`, as the clone caller's exit (see above).
  void encode_event(const EventView& record, uint16_t scap_id, size_t n, bool caller_side);
  // The caller's tid of a child-side clone record, or 0 if `record` is not
  // one (or does not name its parent).
  static int64_t clone_caller(const EventView& record);

  std::array<ScapEventOut, 4> events_;
  std::array<std::vector<uint8_t>, 4> bufs_;
  std::array<std::vector<size_t>, 4> ends_;
  // Per scap id: the Kestrel param index each scap param comes from (-1:
  // none), resolved once.
  std::map<uint16_t, std::vector<int>> slots_;
  std::map<uint16_t, uint64_t> not_written_;
};

}  // namespace kestrel::scap
