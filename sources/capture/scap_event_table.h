// scap_event_table.h — the one table between .scap event ids and Kestrel's
// event types (sources/abi/events.def): one row per scap event id Kestrel
// models, with the scap params in file order and, for each, the Kestrel
// param it fills. The reader converts through it; the writer (-w x.scap,
// scap_record_encoder.h) maps the other way through the same rows: for
// each Kestrel type the one row marked `written` (and its enter row).
//
// Ids, names, directions and param types are libscap's event table
// (falcosecurity/libs driver/ppm_events_public.h: enum ppm_event_type, and
// driver/event_table.c: g_event_info). Enter events have even ids, exits
// odd. Rows list the params Kestrel reads; params a newer writer appended
// beyond them are ignored, params an older writer left out stay empty.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kestrel::scap {

// ppm_param_type values (ppm_events_public.h) of the params the rows use.
enum class ParamType : uint8_t {
  kInt8 = 1,
  kInt16 = 2,
  kInt32 = 3,
  kInt64 = 4,
  kUint8 = 5,
  kUint16 = 6,
  kUint32 = 7,
  kUint64 = 8,
  kCharbuf = 9,
  kBytebuf = 10,
  kErrno = 11,
  kSockaddr = 12,
  kSocktuple = 13,
  kFd = 14,
  kPid = 15,
  kFspath = 17,
  kSyscallId = 18,
  kSigtype = 19,
  kFlags8 = 28,
  kFlags16 = 29,
  kFlags32 = 30,
  kUid = 31,
  kGid = 32,
  kMode = 42,
  kFsrelpath = 43,  // a path relative to a dirfd param
};

// How a scap value becomes the Kestrel param's value when their encodings
// differ: libscap renumbers open, mmap, protection and clone flags into
// its own PPM_* bits; Kestrel keeps Linux's.
enum class Convert : uint8_t { kNone, kOpenFlags, kMmapFlags, kProtFlags, kCloneFlags };

struct ParamRow {
  std::string_view name;  // scap's
  ParamType type;
  std::string_view kestrel;  // the Kestrel param it fills; empty: not kept
  Convert convert = Convert::kNone;
};

enum class Direction : uint8_t {
  kEnter,      // even id, answered by the exit at id + 1
  kExit,       // odd id; its record merges the enter's params
  kEnterOnly,  // an event with no exit (procexit): one record, evt.dir '>'
};

struct EventRow {
  uint16_t id;  // ppm_event_type
  std::string_view name;
  Direction dir;
  uint16_t kestrel_type;  // KE_*; KE_NONE: known to scap, not modelled
  std::span<const ParamRow> params;
  // The version the writer emits for kestrel_type (an exit or enter-only
  // row; the enter row is id - 1). One per Kestrel type at most, and only
  // versions sysdig 0.29 (Debian 12's; libs of 2022-03) knows, so the
  // captures open in the tools people have.
  bool written = false;
  // libscap's EF_LARGE_PAYLOAD: param lengths are u32, not u16, and the
  // event travels in a *_LARGE block.
  bool large_payload = false;
};

// The row for scap event `id`, if the table has one (modelled or not).
const EventRow* find_event(uint16_t id);
// All rows, by id.
std::span<const EventRow> all_events();
// One past the highest id the table has a row for: tables indexed by scap
// id need no more entries (an event of a higher id has no row).
uint16_t id_limit();
// The scap name of `id` ("open"), or nullopt when the table lacks it.
std::optional<std::string_view> event_name(uint16_t id);

// The row the writer emits for Kestrel type `kestrel_type`, or nullptr when
// no row is marked written for it (the writer counts those events).
const EventRow* written_row(uint16_t kestrel_type);

// Width in bytes of a fixed-size param type; 0 for variable-size ones
// (strings, buffers, socket addresses).
size_t fixed_size(ParamType type);

// PPM_* flag bits to Linux's (ppm_events_public.h), and back (the writer).
uint32_t ppm_open_flags_to_linux(uint32_t ppm);
uint32_t ppm_mmap_flags_to_linux(uint32_t ppm);
uint32_t ppm_prot_flags_to_linux(uint32_t ppm);
uint32_t ppm_clone_flags_to_linux(uint32_t ppm);
uint32_t linux_open_flags_to_ppm(uint32_t linux_flags);
uint32_t linux_mmap_flags_to_ppm(uint32_t linux_flags);
uint32_t linux_prot_flags_to_ppm(uint32_t linux_flags);
uint32_t linux_clone_flags_to_ppm(uint32_t linux_flags);

}  // namespace kestrel::scap
