// node_status.h — what a node tells the fleet about itself, on
// kestrel.<node>.status every nats.status_interval (and once at exit).
//
// A JSON object, so any NATS client can read it:
//   {"node","hostname","kernel","source","driver","version","time" (ns since
//    the epoch),"uptime_s","events","events_per_s","drops","alerts",
//    "alerts_dropped","final"[,"driver_proven"]}
// `events`, `drops`, `alerts` count since the node started; `events_per_s`
// is the rate over the last interval; `alerts_dropped` counts alerts the
// node could not hand to the bus (its queue full, or the shutdown deadline).
// `final` marks the message a node sends as it exits. `driver_proven`
// (only with engine.kmod.index) says whether that driver index holds a
// built and VM-verified kestrel.ko for the node's kernel: the fleet's
// driver coverage, whichever source the node runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace kestrel::fleet {

struct NodeStatus {
  std::string node;
  std::string hostname;
  std::string kernel;  // uname -r of the node
  std::string source;  // the syscall source kind: ebpf, kmod, gvisor, capture, none
  std::string driver;  // what captures: "embedded eBPF probe", a driver index entry, ...
  std::string version;
  uint64_t time_ns = 0;
  double uptime_s = 0;
  uint64_t events = 0;
  double events_per_s = 0;
  uint64_t drops = 0;
  uint64_t alerts = 0;
  uint64_t alerts_dropped = 0;
  bool final = false;
  std::optional<bool> driver_proven = std::nullopt;  // absent without a driver index
};

std::string node_status_json(const NodeStatus& status);
// kCorrupt naming what is wrong; unknown keys are ignored (newer nodes).
Result<NodeStatus> parse_node_status(const std::string& json);

}  // namespace kestrel::fleet
