// process_block.h — the process params block, written by name.
//
// Every process-creating event (execve, execveat, clone, clone3, fork,
// vfork) carries the same 25 params after `res` (KE_PROCESS_PARAMS in
// events.def). Userspace producers fill a ProcessBlockValues and write it
// with put_process_block, so the block's order and types live in the table
// only; state/process_params.cpp reads it the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sources/event/event_builder.h"

namespace kestrel {

// One member per param of the block, in table order; an unset member is
// written as an empty param (the value is unknown to the producer).
struct ProcessBlockValues {
  using Strings = std::span<const std::string_view>;
  std::optional<std::string_view> exe;
  std::optional<Strings> args;
  std::optional<int64_t> tid, pid, ptid;
  std::optional<std::string_view> cwd, comm;
  std::optional<Strings> env;
  std::optional<int64_t> tty, pgid, sid, vtid, vpid;
  std::optional<int64_t> loginuid, uid, euid, gid, egid;
  std::optional<uint64_t> cap_inheritable, cap_permitted, cap_effective;
  std::optional<Strings> cgroups;
  std::optional<uint32_t> exe_flags;
  std::optional<uint64_t> start_ts;
  std::optional<std::string_view> exepath;
};

// Writes the block's 25 params into `b`, whose next param must be the
// block's first (`exe`); a row without the block is a mismatch in b.status().
void put_process_block(EventBuilder& b, const ProcessBlockValues& v);

// The exec events' executable-inode params (KE_EXE_INODE_PARAMS), in table
// order; unset members are written empty. Times are ns since the epoch.
// `sha256`: the executable's digest (32 raw bytes), written as execve's
// trailing exe_sha256 param; empty: not known. execveat has no such param
// (it is at KESTREL_MAX_PARAMS), so a digest given for it is not written.
struct ExeInodeValues {
  std::optional<uint64_t> ino, ctime, mtime;
  std::span<const uint8_t> sha256;
};

// Writes them into `b`, whose next param must be `exe_ino` (execve and
// execveat end with them), and execve's exe_sha256 after them; anything
// else is a mismatch in b.status().
void put_exe_inode(EventBuilder& b, const ExeInodeValues& v);

}  // namespace kestrel
