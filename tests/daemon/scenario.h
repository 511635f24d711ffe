// scenario.h — a small capture for the daemon tests.
//
// Written with KcapWriter + EventBuilder from events a real process tree
// would produce (independently of the collector): bash runs
// `cat /etc/shadow` (alert "Sensitive File Read By Untrusted Program",
// Warning) and `cat /etc/hostname` (no alert); nc spawns `sh -i` (alert
// "Shell Spawned By Network Service", Critical). So replaying it raises
// exactly two alerts, in that order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::testing {

inline constexpr int kScenarioAlerts = 2;
inline constexpr int kScenarioEvents = 6;

// Writes the capture to a fresh file under /tmp named after `tag` and
// returns its path; the caller unlinks it.
std::string write_alert_scenario(const std::string& tag);
// Same, to a given path (the Node.js test's capture writer).
void write_alert_scenario_to(const std::string& path);

// One openat record of process `pid` (fd 3, relative to the cwd).
std::vector<uint8_t> open_event(uint64_t ts, int64_t pid, const std::string& path);

// A capture of openat events by one `cat` process (pid 200), one frame per
// group of paths. Returns the capture's bytes (also left at `path`).
std::string write_open_frames(const std::string& path, const std::vector<std::vector<std::string>>& frames);

// A capture of `count` openat events by one `cat` process (pid 200), of
// the paths prefix + "0", prefix + "1", ..., `per_frame` events a frame.
// Returns the capture's bytes (also left at `path`).
std::string write_open_capture(const std::string& path, const std::string& prefix, int count, int per_frame);

}  // namespace kestrel::testing
