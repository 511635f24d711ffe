#include "sources/event/event_table.h"

#include <array>
#include <string>
#include <unordered_map>

namespace kestrel {
namespace {

// One static ParamInfo array per event, named params_<ID>.
#define KE_BEGIN(ID, name, category, flags) constexpr ParamInfo params_##ID[] = {
#define KE_PARAM(ID, name, type, symbols) {#name, KPT_##type, SymbolSet::k##symbols},
#define KE_END(ID) };
#include "sources/abi/events.def"
#undef KE_BEGIN
#undef KE_PARAM
#undef KE_END

constexpr std::array<EventInfo, KE_COUNT> kEvents = [] {
  std::array<EventInfo, KE_COUNT> rows{};
  rows[KE_NONE] = EventInfo{KE_NONE, "unknown", KEC_OTHER, 0, {}};
#define KE_BEGIN(ID, name, category, flags) \
  rows[KE_##ID] = EventInfo{KE_##ID, #name, KEC_##category, flags, params_##ID};
#define KE_PARAM(ID, name, type, symbols)
#define KE_END(ID)
#include "sources/abi/events.def"
#undef KE_BEGIN
#undef KE_PARAM
#undef KE_END
  return rows;
}();

// The ABI promises at most KESTREL_MAX_PARAMS params per record.
constexpr bool params_within_bounds() {
  for (const auto& e : kEvents)
    if (e.params.size() > KESTREL_MAX_PARAMS) return false;
  return true;
}
static_assert(params_within_bounds(), "an event in events.def has more than KESTREL_MAX_PARAMS params");
static_assert(sizeof(kestrel_event_hdr) == KESTREL_EVENT_HDR_SIZE, "event header size drifted");
static_assert(offsetof(kestrel_event_hdr, len) == 16 && offsetof(kestrel_event_hdr, type) == 20,
              "event header layout drifted");

}  // namespace

std::optional<uint16_t> EventInfo::param_index(std::string_view param) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == param) return static_cast<uint16_t>(i);
  return std::nullopt;
}

const EventInfo& event_info(uint16_t type) {
  return type < kEvents.size() ? kEvents[type] : kEvents[KE_NONE];
}

std::span<const EventInfo> all_events() { return std::span(kEvents).subspan(1); }

std::optional<uint16_t> event_type_by_name(std::string_view name) {
  static const auto* by_name = [] {
    auto* m = new std::unordered_map<std::string_view, uint16_t>();
    for (const auto& e : all_events()) m->emplace(e.name, e.type);
    return m;
  }();
  auto it = by_name->find(name);
  if (it == by_name->end()) return std::nullopt;
  return it->second;
}

std::string_view category_name(kestrel_event_category category) {
  switch (category) {
    case KEC_OTHER: return "other";
    case KEC_FILE: return "file";
    case KEC_NET: return "net";
    case KEC_PROCESS: return "process";
    case KEC_MEMORY: return "memory";
    case KEC_IPC: return "ipc";
    case KEC_SECURITY: return "security";
    case KEC_SIGNAL: return "signal";
    case KEC_CONTAINER: return "container";
    case KEC_PLUGIN: return "plugin";
    case KEC_COUNT: break;
  }
  return "other";
}

std::string_view param_type_name(kestrel_param_type type) {
  switch (type) {
    case KPT_NONE: return "none";
    case KPT_INT8: return "int8";
    case KPT_INT16: return "int16";
    case KPT_INT32: return "int32";
    case KPT_INT64: return "int64";
    case KPT_UINT8: return "uint8";
    case KPT_UINT16: return "uint16";
    case KPT_UINT32: return "uint32";
    case KPT_UINT64: return "uint64";
    case KPT_ERRNO: return "errno";
    case KPT_FD: return "fd";
    case KPT_DIRFD: return "dirfd";
    case KPT_PID: return "pid";
    case KPT_UID: return "uid";
    case KPT_GID: return "gid";
    case KPT_MODE: return "mode";
    case KPT_FLAGS32: return "flags32";
    case KPT_ENUM32: return "enum32";
    case KPT_SIGNAL: return "signal";
    case KPT_SYSCALLID: return "syscallid";
    case KPT_RELTIME: return "reltime";
    case KPT_ABSTIME: return "abstime";
    case KPT_BOOL: return "bool";
    case KPT_CHARBUF: return "charbuf";
    case KPT_PATH: return "path";
    case KPT_CHARBUF_ARRAY: return "charbuf_array";
    case KPT_BYTES: return "bytes";
    case KPT_SOCKADDR: return "sockaddr";
    case KPT_SOCKTUPLE: return "socktuple";
    case KPT_COUNT: break;
  }
  return "none";
}

size_t param_fixed_size(kestrel_param_type type) {
  switch (type) {
    case KPT_INT8: case KPT_UINT8: case KPT_BOOL: return 1;
    case KPT_INT16: case KPT_UINT16: return 2;
    case KPT_INT32: case KPT_UINT32: case KPT_UID: case KPT_GID: case KPT_MODE:
    case KPT_FLAGS32: case KPT_ENUM32: case KPT_SIGNAL: case KPT_SYSCALLID: return 4;
    case KPT_INT64: case KPT_UINT64: case KPT_ERRNO: case KPT_FD: case KPT_DIRFD:
    case KPT_PID: case KPT_RELTIME: case KPT_ABSTIME: return 8;
    default: return 0;
  }
}

}  // namespace kestrel
