// context.h — the context fields gVisor attaches to a point.
//
// gVisor's ContextData carries who and when: time, thread and thread-group
// ids with their start times, container id, credentials, cwd, process
// name and (newer gVisor) the parent's thread group and the exec-session
// mark, each present only when the session config asked for it. The event
// record keeps ts/tid/tgid in its header; the rest travels next to the
// record as a GvisorContext (see record_arena.h and GvisorSource::context).
#pragma once

#include <cstdint>
#include <string_view>

namespace kestrel::gvisor {

namespace common {
class ContextData;
}

struct GvisorContext {
  int64_t time_ns = 0;  // 0: not sent
  int32_t tid = 0;      // thread id in the sandbox's root pid namespace
  int32_t tgid = 0;
  int64_t thread_start_ns = 0;
  int64_t group_start_ns = 0;
  bool has_credentials = false;
  uint32_t ruid = 0, euid = 0, suid = 0;
  uint32_t rgid = 0, egid = 0, sgid = 0;
  // Newer gVisor: the parent's thread group (0: not sent), and whether the
  // task comes from an exec session (`runsc exec`, `kubectl exec`).
  int32_t parent_tgid = 0;
  bool is_exec_session = false;
  // Views into memory owned by whoever produced the context (the protobuf
  // message while decoding, the record arena afterwards).
  std::string_view container_id;
  std::string_view cwd;
  std::string_view process_name;
};

// The context of a point; all zero/empty when the point carried none. Strings
// are clamped to kMaxContextString bytes (the Sentry is untrusted).
inline constexpr size_t kMaxContextString = 4095;
GvisorContext context_from(const common::ContextData& cd);
// Same, for a message whose context_data field may be unset.
template <typename Msg>
GvisorContext context_of(const Msg& m) {
  return m.has_context_data() ? context_from(m.context_data()) : GvisorContext{};
}

}  // namespace kestrel::gvisor
