// cloudtrail_logs.h — CloudTrail log files into events: what the plugin's
// open() reads.
//
// A log file is one JSON object {"Records": [record, ...]} (AWS's "CloudTrail
// log file examples"), stored by S3 delivery as <...>_CloudTrail_<region>_
// <time>_<id>.json.gz. open_params names a file (plain or gzip) or a
// directory, whose *.json and *.json.gz files below it are read in path
// order. In a directory, JSON files that are not log files (the digest
// files CloudTrail delivers next to them have no "Records") are skipped
// and counted; a file named directly must be a log file. Anything that is
// not JSON, or nests beyond json_bounds::kMaxJsonDepth, fails the open with
// the file and position. Each record becomes one event: its compact JSON,
// stamped with its eventTime (records without one: the time of reading).
#pragma once

#include <cstdint>
#include <string>

#include "plugins/plugin_kit/plugin_event.h"

namespace kestrel::cloudtrail {

struct LogRead {
  std::string error;          // empty: success
  uint64_t files_read = 0;    // log files whose records were taken
  uint64_t files_skipped = 0; // JSON files without Records (digests)
};

// Appends the records of `path` (file or directory) to `out`.
LogRead read_cloudtrail_logs(const std::string& path, plugin_kit::ReplayEvents& out);

}  // namespace kestrel::cloudtrail
