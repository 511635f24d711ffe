// pod_init_config.h — the runsc --pod-init-config that points sandboxes at us.
//
// runsc reads a JSON file naming one trace session ("Default" is the only
// name runsc accepts), the points to enable with their context fields, and
// the sinks. We enable, for a set of event types (the engine's selective
// capture), the fewest points that produce them, each with every context
// field the decoder uses, and one `remote` sink whose endpoint is our
// socket. Points by event type, as the table in point_table.h says (the
// first configured row that serves the event wins):
//   execve, execveat        sentry/execve (successful execs, post-exec view)
//   clone, clone3, fork, vfork  sentry/clone (child ids and start time)
//   procexit                sentry/task_exit
//   container               container/start (always on: it names the domain)
//   rows with a gVisor schema (open, openat, connect, ...)  syscall/<name>/exit
//   integer-only rows (listen, ptrace, mmap, kill, ...)  syscall/sysno/<nr>/exit
//   mmap, ptrace            syscall/<name>/exit instead, when the runsc in use
//                           lists it (newer gVisor; carries fd_path/context)
// Event types gVisor cannot report are left out (see unsupported_types()).
//
// Which runsc: PodInitConfigOptions::runsc_points is the set of point names
// the installed runsc accepts (`runsc trace metadata`, installed_runsc_points
// below). When set, no other point is ever named (runsc rejects a config
// with an unknown point). When unset, only points runsc 0.0~20221219 (Debian)
// knows are named.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sources/source.h"

namespace kestrel::gvisor {

struct PodInitConfigOptions {
  std::string endpoint = "/run/kestrel/gvisor.sock";
  // true: a sandbox still starts when Kestrel is not listening (fail open,
  // as Falco's generated config does); false: runsc refuses to start it.
  bool ignore_setup_error = true;
  // Ask for the container's environment in container/start (its one
  // optional field): set from the capture request (rules reading proc.env),
  // see request_fields() below.
  bool container_env = false;
  // Ask sentry/execve for its optional field binary_info (the binary's
  // mode, owner and, in runsc releases that compute it, SHA-256): set when
  // a rule reads proc.exe_sha256 (request_fields()). Debian's runsc
  // 0.0~20221219 accepts it but sends no digest.
  bool exe_binary_info = false;
  // The remote sink's "retries": how often runsc retries a point the full
  // socket refused before dropping it, backing off from "backoff" (25us)
  // doubling up to "backoff_max" (10ms). 0: drop at once (runsc's default),
  // never slowing the sandbox. Both exist in runsc 0.0~20221219.
  int retries = 0;
  std::string backoff, backoff_max;  // Go durations ("25us"); "": runsc's
  // Point names the target runsc accepts; nullopt: runsc 0.0~20221219's.
  std::optional<std::set<std::string>> runsc_points;
};

// The point names `runsc trace metadata` lists, via `runsc` (absolute or in
// PATH). Errors when runsc is missing, fails, or lists nothing.
Result<std::set<std::string>> installed_runsc_points(const std::string& runsc = "runsc",
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The context fields requested on every point. Not driven by the rules:
// each feeds the state tables whatever the rules read (time and the
// thread/group ids and start times: process identity; container_id: the
// domain; credentials: user.*/group.*; cwd: relative path resolution;
// process_name: proc.name of processes first seen mid-life).
const std::vector<std::string>& context_fields();

// Sets the optional fields of `options` from what the consumer reads:
// container/start's env when the process environment is asked for.
void request_fields(PodInitConfigOptions& options, const ProcessParamSet& params);

// Point names enabling `types`, sorted, without duplicates, limited to
// `runsc_points` when given (see above).
std::vector<std::string> points_for(const EventTypeSet& types,
                                    const std::optional<std::set<std::string>>& runsc_points = std::nullopt);

// Event types in `types` that no point can produce.
EventTypeSet unsupported_types(const EventTypeSet& types);

// The whole pod-init config as JSON text (pretty-printed, trailing newline).
std::string pod_init_config_json(const EventTypeSet& types, const PodInitConfigOptions& options);

}  // namespace kestrel::gvisor
