// scenario.h — a small capture for the daemon tests.
//
// Written with KcapWriter + EventBuilder from events a real process tree
// would produce (independently of the collector): bash runs
// `cat /etc/shadow` (alert "Sensitive File Read By Untrusted Program",
// Warning) and `cat /etc/hostname` (no alert); nc spawns `sh -i` (alert
// "Shell Spawned By Network Service", Critical). So replaying it raises
// exactly two alerts, in that order.
#pragma once

#include <string>

namespace kestrel::testing {

inline constexpr int kScenarioAlerts = 2;
inline constexpr int kScenarioEvents = 6;

// Writes the capture to a fresh file under /tmp named after `tag` and
// returns its path; the caller unlinks it.
std::string write_alert_scenario(const std::string& tag);
// Same, to a given path (the Node.js test's capture writer).
void write_alert_scenario_to(const std::string& path);

}  // namespace kestrel::testing
