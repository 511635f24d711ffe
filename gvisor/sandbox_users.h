// sandbox_users.h — a sandbox's own users and groups, for user.name inside it.
//
// A process in a sandbox has the sandbox's uids, named by the sandbox's
// /etc/passwd and /etc/group, which are files of its OCI bundle's rootfs
// (config.json `root.path`, relative to the bundle unless absolute); the
// host's databases say nothing about them. The rootfs is found from what
// Kestrel knows of the sandbox:
//   - a sandbox attached from `runsc list`: the bundle that list names;
//   - one that connected by itself: the connecting runsc process
//     (SO_PEERCRED pid): its `--bundle` flag, else its working directory
//     (runsc's default bundle); for `runsc do`, whose root is the host's
//     own /, the host's / .
//
// The files are untrusted (the sandbox may write its rootfs): they are read
// with openat2(RESOLVE_IN_ROOT), so a symlink /etc/passwd -> /etc/shadow
// resolves inside the rootfs, never to the host's file; at most
// kMaxUsersFileBytes each and kMaxUsersEntries entries are taken.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/status.h"
#include "sources/source.h"

namespace kestrel::gvisor {

inline constexpr size_t kMaxUsersFileBytes = 4u << 20;
inline constexpr size_t kMaxUsersEntries = 65536;

// The rootfs of the OCI bundle at `bundle` (its config.json root.path).
Result<std::string> rootfs_of_bundle(const std::string& bundle);

// The rootfs of the sandbox whose runsc process is `pid`, from its command
// line (see the top of this file).
Result<std::string> rootfs_of_runsc_process(pid_t pid);

// The users and groups of /etc/passwd and /etc/group under `rootfs`. A
// file that is missing leaves its list empty; an error only when neither
// can be read.
Result<CaptureUsers> read_rootfs_users(const std::string& rootfs);

// Parsers of the two formats (name:x:uid:gid:gecos:home:shell and
// name:x:gid:members), for tests; malformed lines are skipped.
void parse_passwd(std::string_view text, CaptureUsers& out);
void parse_group(std::string_view text, CaptureUsers& out);

}  // namespace kestrel::gvisor
