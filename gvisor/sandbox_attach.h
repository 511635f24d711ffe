// sandbox_attach.h — joins sandboxes that were running before Kestrel.
//
// A sandbox started with our pod-init config connects by itself. One that
// was already running when Kestrel started (or started without the config)
// is found and attached through the runsc CLI, for each running sandbox of
// the runsc root R:
//   1. `runsc --root R list -sandbox -format=json`   which sandboxes run;
//   2. `runsc --root R trace create --force --config F ID`   replaces any
//      session named like ours with F's, whose remote sink is our socket:
//      the runsc process connects (we match it by pid, so the connection
//      gets the domain reserved for ID) and hands the socket to the sandbox;
//   3. `runsc --root R trace procfs ID`   the processes running now, as
//      ThreadInfo of that domain, so events of processes that started
//      before the session (args, exe, cwd, parent) resolve.
// Step 3 follows step 2 so no process falls between seed and stream.
// Every runsc call has a deadline; a sandbox whose step fails is reported
// and skipped, the others still attach.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "gvisor/monitor_server.h"
#include "gvisor/runsc_output.h"
#include "state/thread_info.h"

namespace kestrel::gvisor {

struct AttachOptions {
  std::string runsc = "runsc";  // binary: absolute, or looked up in PATH
  std::string root;             // runsc --root; empty: attach nothing
  std::string session_config;   // file for `trace create --config`
  std::chrono::milliseconds timeout{15000};  // per runsc call
  ProcfsLimits procfs;
};

struct AttachedSandbox {
  std::string id;
  DomainId domain = 0;
  size_t processes = 0;  // seeded from procfs
  std::string bundle;    // as `runsc list` names it: where its rootfs is found
};

struct AttachReport {
  size_t listed = 0;    // sandboxes `runsc list` named (any status)
  size_t running = 0;   // of which running: the ones we try
  size_t attached = 0;  // trace session created
  size_t failed = 0;    // list, trace create or procfs failed
  std::vector<AttachedSandbox> sandboxes;
  std::vector<ThreadInfo> threads;    // seed for the state tables
  std::vector<std::string> messages;  // one line per failure, for the log
};

// Runs the three steps above against `server` (open and being polled by
// another thread, which performs the handshakes). Never fails as a whole:
// failures are in the report.
AttachReport attach_running_sandboxes(const AttachOptions& options, MonitorServer& server);

}  // namespace kestrel::gvisor
