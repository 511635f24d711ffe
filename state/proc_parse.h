// proc_parse.h — parsers for the text of /proc/PID/{stat,status} and
// /proc/stat. Pure functions over strings, so fake trees and fuzzers can
// feed them anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kestrel {

// The fields of /proc/PID/stat the scanner uses (proc(5) numbering).
struct ProcStat {
  std::string comm;        // (2), without the parentheses
  char state = '?';        // (3)
  int64_t ppid = 0;        // (4)
  int64_t pgrp = 0;        // (5)
  int64_t session = 0;     // (6)
  uint32_t tty_nr = 0;     // (7), the kernel's encoded device number
  uint64_t starttime = 0;  // (22), clock ticks after boot
};

// nullopt if the text is not a stat line. The comm may hold spaces and
// parentheses; it ends at the *last* ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// The fields of /proc/PID/status the scanner uses. Absent lines leave
// the defaults.
struct ProcStatus {
  std::string name;
  int64_t tgid = 0, ppid = 0;
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
  int64_t vpid = 0, vtid = 0;  // last NStgid / NSpid entries: ids in the innermost pid namespace
  // NStgid entries: 1 in the pid namespace of this /proc, one more per
  // nested namespace (0: the line is absent, kernels before 4.1).
  int pid_ns_depth = 0;
};
ProcStatus parse_proc_status(std::string_view text);

// "btime" of /proc/stat (boot time, seconds since the epoch), or nullopt.
std::optional<uint64_t> parse_boot_time(std::string_view proc_stat_text);

// A stat starttime (clock ticks after boot) as ns since the epoch.
uint64_t start_time_ns(uint64_t boot_time_s, uint64_t starttime_ticks, uint64_t ticks_per_second);

}  // namespace kestrel
