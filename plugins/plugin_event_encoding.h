// plugin_event_encoding.h — Kestrel's syscall records as the events the Falco
// plugin API hands plugins that extract from or parse the "syscall" source.
//
// The published API (plugin_types.h: ss_plugin_event) defines those events
// as libscap's: the scap event header, then the param lengths and params in
// the layout of falcosecurity/libs' event table for the event's code. Kestrel
// keeps exit-only records with the enter's params merged in; the .scap
// writer already turns one into the scap events that carry it (an enter and
// an exit; a clone's child side also the caller's pair), so this encodes
// through the same code (sources/capture/scap_record_encoder.h: the one
// table, scap_event_table.cpp, and serialize_event) instead of a second
// mapping. A plugin therefore sees what a `.scap` file Kestrel writes holds.
//
// Which event a plugin sees for one record:
//  - extraction (the rule engine evaluates a record once): record_event(),
//    the record's own event — the exit (or enter-only event), the child's
//    exit for a child-side clone record;
//  - parsing (every event of the stream, in order): events(), the enter
//    first, as a scap capture or libsinsp would deliver them.
// Records whose type no scap row carries (the writer counts those too)
// have no event: nullptr / empty.
//
// Views stay valid until the next call on the same encoder. One encoder per
// thread (it reuses its buffers; no allocation once warm).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <vector>

#include "plugins/plugin_abi.h"
#include "plugins/plugin_library.h"
#include "sources/capture/scap_record_encoder.h"
#include "sources/event/event_view.h"

namespace kestrel::plugin {

// The event source name plugins see for Kestrel's syscall records.
inline constexpr const char* kSyscallEventSource = "syscall";

class SyscallEventEncoder {
 public:
  // The record's own scap event, for plugin_extract_fields.
  const ss_plugin_event* record_event(const EventView& record);

  // Every scap event carrying the record, in stream order (enter first),
  // for plugin_parse_event.
  std::span<const ss_plugin_event* const> events(const EventView& record);

  // Records no scap event carries, by Kestrel type (KE_*).
  const std::map<uint16_t, uint64_t>& not_encoded() const { return encoder_.not_written(); }

 private:
  scap::ScapRecordEncoder encoder_;
  std::vector<std::vector<uint8_t>> bufs_;  // one serialised event each, reused
  std::vector<const ss_plugin_event*> views_;
};

// Whether a plugin takes syscall events for extraction at all, by the API's
// source rule (PluginLibrary::wants_extract decides per event type): its
// get_extract_event_sources names "syscall", or it declares none and has no
// event source of its own. (Defined with parses_syscall_events,
// plugin_event_parsing.cpp: one rule for both.)
bool extracts_syscall_events(const PluginInfo& info);

// The scap event code of `e` (its header's type), read without assuming
// alignment; for plugins' event-type filters.
inline uint16_t plugin_event_code(const ss_plugin_event* e) {
  uint16_t type;
  std::memcpy(&type, reinterpret_cast<const uint8_t*>(e) + offsetof(ss_plugin_event, type), sizeof type);
  return type;
}

}  // namespace kestrel::plugin
