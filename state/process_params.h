// process_params.h — reading the process params block of an event.
//
// execve, execveat, clone, clone3, fork and vfork all carry the same block
// of params (KE_PROCESS_PARAMS in events.def: exe, args, tid, pid, ptid,
// cwd, comm, env, tty, ..., start_ts, exepath) right after their `res` param. This
// file knows that block's layout once, for every event that carries it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sources/event/event_view.h"
#include "state/thread_info.h"

namespace kestrel {

// Index of the block's first param (exe) in events of `type`, or nullopt if
// that event type carries no process block.
std::optional<uint16_t> process_params_base(uint16_t type);

// Splits a CHARBUF_ARRAY param into its strings; a missing final NUL
// still ends the last string.
std::vector<std::string> split_string_array(std::span<const uint8_t> param);
// The same into `out`, whose strings' memory is reused (an exec's new
// arguments and environment over the old ones: no allocation for each
// string that fits where the old one was).
void split_string_array_into(std::span<const uint8_t> param, std::vector<std::string>& out);

// Copies the block at `base` into `t`. Params the event lacks (absent or
// unreadable) leave t's field unchanged, except args and env, which are
// replaced (an empty argv is encoded as an empty param). When cgroups are
// present the container fields are set from them, or cleared if they name
// no container (on the host only: a sandbox's id comes from its source,
// not from cgroups). t.domain is not touched.
void read_process_params(const EventView& ev, uint16_t base, ThreadInfo& t);

// Copies an exec event's executable-inode params (KE_EXE_INODE_PARAMS) into
// `t`: the image changed, so a param the event lacks (a source that cannot
// see the file) clears the old image's value to 0 (unknown). Events without
// those params leave `t` unchanged.
void read_exe_inode_params(const EventView& ev, ThreadInfo& t);

}  // namespace kestrel
