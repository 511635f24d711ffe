// run_collector.h — the collector proper: plugins and rules loaded, a plan
// made from them (collector_plan.h), a Collector running it (collector.h)
// with SIGINT/SIGTERM stopping and SIGHUP reloading it.
#pragma once

#include <ostream>
#include <string>

#include "app/cli.h"
#include "app/config/config.h"

namespace kestrel {

// The hostname alerts carry: $FALCO_HOSTNAME when set (Falco's override),
// else gethostname().
std::string alert_hostname();

// Runs until the sources end (a capture), a signal (SIGINT/SIGTERM) or -M.
// Alerts go to the configured outputs (stdout as `out`); progress, warnings
// and the end-of-run summary to `log`. Returns the process exit code.
int run_collector(const CliOptions& options, const KestrelConfig& config, std::ostream& out, std::ostream& log);

}  // namespace kestrel
