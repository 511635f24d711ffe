// run_collector.h — the collector proper: rules, sources, state, outputs.
#pragma once

#include <ostream>
#include <string>

#include "app/cli.h"
#include "app/config/config.h"
#include "sources/source.h"

namespace kestrel {

// Runs until the sources end (a capture), a signal (SIGINT/SIGTERM) or -M.
// Alerts go to the configured outputs (stdout as `out`); progress, warnings
// and the end-of-run summary to `log`. Returns the process exit code.
// Event types the state tables need whatever the rules ask for.
EventTypeSet state_event_types();

int run_collector(const CliOptions& options, const KestrelConfig& config, std::ostream& out, std::ostream& log);

}  // namespace kestrel
